package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nvdb.TestSupport.assertStatus;
import static org.nvdb.TestSupport.snapshot;
import static org.nvdb.TestSupport.vec;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Shared stores, "shm:NAME" and store files: one writer and any number of readers, in this
 * process and in another.
 */
class StoreTest {
  enum Kind { SHM, FILE }

  @TempDir Path tmp;
  private final List<String> shmNames = new ArrayList<>();

  private String locator(Kind kind) {
    if (kind == Kind.FILE) return tmp.resolve("store.nvdb").toString();
    String name = TestSupport.uniqueShmName("store");
    shmNames.add(name);
    return "shm:" + name;
  }

  /** The objects of a store: the root and its data generations. */
  private List<Path> objects(String locator) throws IOException {
    if (locator.startsWith("shm:")) return TestSupport.shmObjects(locator.substring(4));
    List<Path> out = new ArrayList<>();
    Path root = Paths.get(locator);
    try (DirectoryStream<Path> all = Files.newDirectoryStream(root.getParent(),
        root.getFileName() + "*")) {
      all.forEach(out::add);
    }
    return out;
  }

  @AfterEach
  void removeSharedMemory() throws IOException {
    for (String name : shmNames) {
      TestSupport.removeShm(name);
      assertEquals(List.of(), TestSupport.shmObjects(name));
    }
  }

  private static Database writer(String locator) {
    return Database.open(locator, new Options().dim(4));
  }

  private static Database reader(String locator) {
    return Database.open(locator, new Options().mode(OpenMode.READ));
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aReaderSeesEachCommitOfTheWriter(Kind kind) {
    String locator = locator(kind);
    try (Database w = writer(locator); Database r = reader(locator)) {
      assertEquals(0, r.count());
      assertEquals(4, r.dim());

      w.upsert(new String[] {"a", "b"}, new float[][] {vec(1, 0, 0, 0), vec(0, 1, 0, 0)},
          new String[] {"{\"n\":1}", "{\"n\":2}"});
      assertEquals(2, r.count());
      assertEquals("{\"n\":2}", r.get("b").get(0).metadata());
      assertEquals("a", r.query(vec(1, 0.1f, 0, 0), 1).get(0).id());

      w.upsert("a", vec(0, 0, 1, 0), "{\"n\":3}");
      assertEquals("{\"n\":3}", r.get("a").get(0).metadata());
      assertEquals("a", r.query(vec(0, 0, 1, 0), 1).get(0).id());

      w.delete("b");
      assertEquals(1, r.count());
      assertEquals(List.of(), r.get("b"));

      w.setAdditionalData("{\"v\":1}");
      assertEquals("{\"v\":1}", r.additionalData());
      assertTrue(r.info().contains("\"read_only\":true"), r.info());
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aReadersWritesFailWithReadOnly(Kind kind) {
    String locator = locator(kind);
    try (Database w = writer(locator); Database r = reader(locator)) {
      w.upsert("a", vec(1, 2, 3, 4), "{}");
      String before = snapshot(r, "a", "new");
      assertStatus(Status.EREADONLY, () -> r.upsert("new", vec(1, 1, 1, 1), null));
      assertStatus(Status.EREADONLY, () -> r.upsert("a", vec(1, 1, 1, 1), null));
      assertStatus(Status.EREADONLY, () -> r.delete("a"));
      assertStatus(Status.EREADONLY, () -> r.setAdditionalData("{\"x\":1}"));
      try (Database other = Database.inMemory(4)) {
        assertStatus(Status.EREADONLY, () -> r.copyFrom(other));
      }
      assertEquals(before, snapshot(r, "a", "new"));
      assertEquals(before, snapshot(w, "a", "new"));
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aSecondWriterGetsBusyUntilTheFirstCloses(Kind kind) {
    String locator = locator(kind);
    try (Database w = writer(locator)) {
      w.upsert("a", vec(1, 2, 3, 4), null);
      assertStatus(Status.EBUSY, () -> Database.open(locator, new Options().mode(OpenMode.WRITE)));
      assertStatus(Status.EBUSY, () -> writer(locator));
      assertEquals(1, w.count());
    }
    try (Database next = Database.open(locator, new Options().mode(OpenMode.WRITE))) {
      assertEquals(1, next.count());
      next.upsert("b", vec(4, 3, 2, 1), null);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aReaderOutlivesItsWriter(Kind kind) {
    String locator = locator(kind);
    Database w = writer(locator);
    w.upsert("a", vec(1, 2, 3, 4), null);
    try (Database r = reader(locator)) {
      w.close();
      assertEquals(1, r.count());
      assertEquals("a", r.query(vec(1, 1, 1, 1), 1).get(0).id());
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void storesAreOwnerOnlyUnlessAskedOtherwise(Kind kind) throws IOException {
    String locator = locator(kind);
    try (Database w = writer(locator)) {
      w.upsert("a", vec(1, 2, 3, 4), null);
      List<Path> objects = objects(locator);
      assertFalse(objects.isEmpty());
      for (Path p : objects) {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
            p.toString());
      }
    }
    String shared = locator(kind) + "-shared";
    if (kind == Kind.SHM) shmNames.add(shared.substring(4));
    try (Database w = Database.open(shared, new Options().dim(4).permissions(0640))) {
      w.upsert("a", vec(1, 2, 3, 4), null);
      for (Path p : objects(shared)) {
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
            p.toString());
      }
    }
  }

  @Test
  void aStoreFileKeepsItsCommitsAcrossOpens() {
    String locator = tmp.resolve("persistent.nvdb").toString();
    try (Database w = Database.open(locator, new Options().dim(4).metric(Metric.DOT).noSync(true))) {
      w.upsert("kept", vec(1, 2, 3, 4), "{\"k\":true}");
      w.setAdditionalData("{\"saved\":1}");
    }
    try (Database r = reader(locator)) {
      assertEquals(Metric.DOT, r.metric());
      assertEquals(1, r.count());
      assertEquals("{\"k\":true}", r.get("kept").get(0).metadata());
      assertEquals("{\"saved\":1}", r.additionalData());
      assertTrue(r.info().contains("\"storage\":\"file\""), r.info());
    }
  }

  /**
   * save flushes the commits of a no-sync store file, so that a power loss keeps them: info's
   * durable_epoch reaches the epoch, and stays there when the store is reopened.
   */
  @Test
  void saveMakesTheCommitsOfANoSyncStoreFileDurable() {
    String locator = tmp.resolve("flushed.nvdb").toString();
    try (Database w = Database.open(locator, new Options().dim(2).noSync(true))) {
      w.upsert("a", vec(1, 0), null);
      String info = w.info();
      assertTrue(infoNumber(info, "durable_epoch") < infoNumber(info, "epoch"), info);
      w.save();
      info = w.info();
      assertEquals(infoNumber(info, "epoch"), infoNumber(info, "durable_epoch"), info);
    }
    try (Database r = reader(locator)) {
      String info = r.info();
      assertEquals(infoNumber(info, "epoch"), infoNumber(info, "durable_epoch"), info);
    }
  }

  private static long infoNumber(String info, String field) {
    return JsonParser.parseString(info).getAsJsonObject().get(field).getAsLong();
  }

  /** verify finds a sound store sound and names the damage of a broken one; compact drops dead rows. */
  @Test
  void verifyAndCompact() throws IOException {
    String locator = tmp.resolve("maintained.nvdb").toString();
    try (Database w = writer(locator)) {
      for (int i = 0; i < 4; i++) w.upsert("r" + i, vec(1, i, 0, 1), null);
      w.delete("r0");
      Verification v = w.verify();
      assertTrue(v.sound(), v.report());
      assertTrue(v.report().contains("\"rows\":4,\"live\":3,"), v.report());
      w.compact();
      assertTrue(w.info().contains("\"generation\":2,"), w.info());
      assertTrue(w.info().contains("\"rows\":3,"), w.info());
      w.upsert("r9", vec(0, 0, 1, 0), null);
      try (Database r = reader(locator)) {
        assertEquals(4, r.count());
        assertStatus(Status.EREADONLY, r::compact);
        assertTrue(r.verify().sound());
      }
    }
    // Row 0's heap offset in generation 2 (dim 4, 1,024 rows: row entries start at 20480).
    try (FileChannel data = FileChannel.open(Paths.get(locator + ".2"), StandardOpenOption.WRITE)) {
      data.write(ByteBuffer.wrap(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}), 20480);
    }
    try (Database r = reader(locator)) {
      Verification v = r.verify();
      assertFalse(v.sound());
      assertTrue(v.report().contains("row 0: its id and metadata lie outside the heap"), v.report());
    }
  }

  /** A reader in another JVM sees this process's commits and cannot become a second writer. */
  @ParameterizedTest
  @EnumSource(Kind.class)
  void aReaderInAnotherProcess(Kind kind) throws Exception {
    String locator = locator(kind);
    try (Database w = writer(locator)) {
      w.upsert(new String[] {"p", "q"}, new float[][] {vec(1, 0, 0, 0), vec(0, 1, 0, 0)}, null);
      TestSupport.Child child = TestSupport.runJava(List.of(),
          TestSupport.nvdbJar() + ":" + TestSupport.testClasses(), "org.nvdb.StoreProbe",
          locator, "q");
      assertEquals(0, child.exitCode, child.output);
      assertEquals("count 2\nbest q\nwrite " + Status.EREADONLY + "\nsecond writer "
          + Status.EBUSY, child.output.strip());
    }
  }
}
