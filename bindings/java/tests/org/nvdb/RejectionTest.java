package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nvdb.TestSupport.assertStatus;
import static org.nvdb.TestSupport.snapshot;
import static org.nvdb.TestSupport.vec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * CONTRACT §1 rejections: each fails with an NvdbException carrying the nvdb status code, and
 * the database is unchanged afterwards.
 */
class RejectionTest {
  private static final String[] IDS = {"a", "b", "new", "x", "y"};

  @TempDir Path tmp;
  private Database db;

  @BeforeEach
  void open() {
    db = Database.inMemory(3);
    db.upsert(new String[] {"a", "b"}, new float[][] {vec(1, 0, 0), vec(0, 1, 0)},
        new String[] {"{\"k\":\"a\"}", "{\"k\":\"b\"}"});
    db.setAdditionalData("{\"set\":true}");
  }

  @AfterEach
  void close() {
    db.close();
  }

  /** call must fail with status and leave the database exactly as it was. */
  private void rejects(int status, Executable call) {
    String before = snapshot(db, IDS);
    assertStatus(status, call);
    assertEquals(before, snapshot(db, IDS), "the failed call changed the database");
  }

  @Test
  void aVectorOfTheWrongLength() {
    rejects(Status.EDIM, () -> db.upsert("new", vec(1, 2), null));
    rejects(Status.EDIM, () -> db.upsert("new", vec(1, 2, 3, 4), null));
    rejects(Status.EDIM, () -> db.upsert("a", vec(), null));
    rejects(Status.EDIM, () -> db.query(vec(1, 2), 1));
    rejects(Status.EDIM, () -> db.query(vec(1, 2, 3, 4), 1));
  }

  @Test
  void nanInfiniteAndZeroVectors() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      rejects(Status.EVECTOR, () -> db.upsert("new", vec(1, bad, 0), null));
      rejects(Status.EVECTOR, () -> db.upsert("a", vec(bad, 0, 0), null));
      rejects(Status.EVECTOR, () -> db.query(vec(0, 0, bad), 1));
    }
    rejects(Status.EVECTOR, () -> db.upsert("new", vec(0, 0, 0), null));
    rejects(Status.EVECTOR, () -> db.query(vec(0, 0, 0), 1));
    rejects(Status.EVECTOR, () -> db.upsert("new", vec(3e38f, 3e38f, 0), null)); // norm² > FLT_MAX
  }

  @Test
  void aZeroVectorIsFineUnderDot() {
    try (Database dot = Database.inMemory(2, Metric.DOT)) {
      dot.upsert("zero", vec(0, 0), null);
      assertEquals(0f, dot.query(vec(1, 1), 1).get(0).score());
    }
  }

  @Test
  void invalidIds() {
    rejects(Status.EID, () -> db.upsert("", vec(1, 1, 1), null));
    rejects(Status.EID, () -> db.upsert("x".repeat(1025), vec(1, 1, 1), null));
    rejects(Status.EID, () -> db.upsert("nul\0inside", vec(1, 1, 1), null));
    rejects(Status.EID, () -> db.upsert("lone \ud800 surrogate", vec(1, 1, 1), null));
    rejects(Status.EID, () -> db.get("a", "nul\0inside"));
    rejects(Status.EID, () -> db.delete("a", "nul\0inside"));
    rejects(Status.EINVAL, () -> db.get("a", null));
    rejects(Status.EINVAL, () -> db.delete(new String[] {"a", null}));
  }

  @Test
  void metadataThatIsNotAJsonObject() {
    String[] bad = {
      "[1, 2]", "3", "\"text\"", "null", "true", "not json", "{\"a\": 1", "{\"a\": 1} trailing",
      "{\"a\": 1, \"a\": 2}", "{\"n\": NaN}", "", "{\"nul\": \"a\0b\"}", "{\"s\": \"\ud800\"}",
    };
    for (String metadata : bad) {
      rejects(Status.EJSON, () -> db.upsert("new", vec(1, 1, 1), metadata));
      rejects(Status.EJSON, () -> db.upsert("a", vec(1, 1, 1), metadata));
      rejects(Status.EJSON, () -> db.setAdditionalData(metadata));
    }
    // Keys the nano-vectordb file format reserves in records (not in the additional data).
    for (String reserved : new String[] {"__id__", "__vector__", "__metrics__"}) {
      rejects(Status.EJSON, () -> db.upsert("new", vec(1, 1, 1), "{\"" + reserved + "\": 1}"));
    }
  }

  @Test
  void invalidFilters() {
    String[] bad = {
      "not json", "[1]", "{\"a\": {\"$bogus\": 1}}", "{\"$and\": 3}", "{\"a\": {\"$in\": 1}}",
      "{\"nul\": \"a\0b\"}",
    };
    for (String filter : bad) {
      rejects(Status.EFILTER, () -> db.query(vec(1, 1, 1), new Query().filter(filter)));
    }
  }

  @Test
  void aBatchIsAllOrNothing() {
    String[] ids = {"a", "new", "x"};
    rejects(Status.EDIM, () -> db.upsert(ids, new float[][] {vec(1, 1, 1), vec(1, 1, 1), vec(1, 1)}, null));
    rejects(Status.EVECTOR, () -> db.upsert(ids,
        new float[][] {vec(1, 1, 1), vec(Float.NaN, 1, 1), vec(1, 1, 1)}, null));
    rejects(Status.EID, () -> db.upsert(new String[] {"a", "", "x"},
        new float[][] {vec(1, 1, 1), vec(1, 1, 1), vec(1, 1, 1)}, null));
    rejects(Status.EJSON, () -> db.upsert(ids,
        new float[][] {vec(1, 1, 1), vec(1, 1, 1), vec(1, 1, 1)}, new String[] {"{}", "{}", "[]"}));
    NvdbException e = assertStatus(Status.EVECTOR, () -> db.upsert(ids,
        new float[][] {vec(1, 1, 1), vec(0, 0, 0), vec(1, 1, 1)}, null));
    assertTrue(e.getMessage().contains("record 1"), e.getMessage());
  }

  @Test
  void nullAndMismatchedArguments() {
    rejects(Status.EINVAL, () -> db.upsert("new", null, null));
    rejects(Status.EINVAL, () -> db.upsert(null, (float[][]) null, null));
    rejects(Status.EINVAL, () -> db.upsert(new String[] {"x", "y"}, new float[][] {vec(1, 1, 1)}, null));
    rejects(Status.EINVAL, () -> db.upsert(null, new float[][] {vec(1, 1, 1)}, new String[2]));
    rejects(Status.EINVAL, () -> db.upsert(new String[] {"x", "y"},
        new float[][] {vec(1, 1, 1), null}, null));
    rejects(Status.EINVAL, () -> db.query(null, 1));
    rejects(Status.EINVAL, () -> db.query(vec(1, 1, 1), null));
    rejects(Status.EINVAL, () -> db.query(vec(1, 1, 1), -1));
    rejects(Status.EINVAL, () -> db.get((String[]) null));
    rejects(Status.EINVAL, () -> db.setAdditionalData(null));
    rejects(Status.EINVAL, () -> db.importJson(null));
    rejects(Status.EINVAL, () -> db.copyFrom(null));
    assertStatus(Status.EINVAL, () -> Database.open(null, new Options()));
    assertStatus(Status.EINVAL, () -> Database.open(":memory:", null));
  }

  @Test
  void openingErrors() throws Exception {
    assertStatus(Status.ENOTFOUND, () -> Database.open(tmp.resolve("missing.json").toString()));
    assertStatus(Status.ENOTFOUND, () -> Database.open(tmp.resolve("missing-store").toString()));
    assertStatus(Status.EINVAL, () -> Database.open(":memory:", new Options()));
    assertStatus(Status.EINVAL, () -> Database.inMemory(0));
    assertStatus(Status.EINVAL, () -> Database.inMemory(65537));
    assertStatus(Status.EINVAL, () -> Database.inMemory(-1));
    assertStatus(Status.EINVAL, () -> Database.open("shm:bad/name", new Options().dim(2)));

    Path truncated = tmp.resolve("truncated.json");
    Files.write(truncated, "{\"embedding_dim\": 3, \"data\": [".getBytes(StandardCharsets.UTF_8));
    assertStatus(Status.ECORRUPT, () -> Database.open(truncated.toString()));
    rejects(Status.ECORRUPT, () -> db.importJson(truncated.toString()));
    rejects(Status.ENOTFOUND, () -> db.importJson(tmp.resolve("absent.json").toString()));

    String store = tmp.resolve("store").toString();
    Database.open(store, new Options().dim(3).metric(Metric.DOT)).close();
    assertStatus(Status.EMISMATCH, () -> Database.open(store, new Options().dim(4)));
    assertStatus(Status.EMISMATCH, () -> Database.open(store, new Options().metric(Metric.L2)));
  }

  @Test
  void importAndExportMismatches() {
    Path file = tmp.resolve("dim3.json");
    db.exportJson(file.toString());
    try (Database four = Database.inMemory(4)) {
      assertStatus(Status.EMISMATCH, () -> four.importJson(file.toString()));
      assertEquals(0, four.count());
    }
    try (Database dot = Database.inMemory(3, Metric.DOT)) {
      assertStatus(Status.EMISMATCH, () -> dot.exportJson(tmp.resolve("dot.json").toString()));
      try (Database two = Database.inMemory(2)) {
        assertStatus(Status.EMISMATCH, () -> two.copyFrom(dot));
      }
    }
  }

  @Test
  void writesThroughAReadOnlyJsonDatabase() {
    Path file = tmp.resolve("ro.json");
    db.exportJson(file.toString());
    try (Database reader = Database.open(file.toString(), new Options().mode(OpenMode.READ))) {
      String before = snapshot(reader, IDS);
      assertStatus(Status.EREADONLY, () -> reader.upsert("new", vec(1, 1, 1), null));
      assertStatus(Status.EREADONLY, () -> reader.delete("a"));
      assertStatus(Status.EREADONLY, () -> reader.setAdditionalData("{}"));
      assertStatus(Status.EREADONLY, reader::save);
      assertEquals(before, snapshot(reader, IDS));
    }
  }
}
