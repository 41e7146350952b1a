package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nvdb.TestSupport.assertStatus;
import static org.nvdb.TestSupport.vec;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API, feature by feature, on small databases. */
class DatabaseTest {
  @TempDir Path tmp;

  private static List<String> ids(List<Hit> hits) {
    return hits.stream().map(Hit::id).collect(Collectors.toList());
  }

  private static List<String> recordIds(List<Record> records) {
    return records.stream().map(Record::id).collect(Collectors.toList());
  }

  /** Four records under the dot metric, so that scores are easy to check by hand. */
  private static Database music() {
    Database db = Database.inMemory(3, Metric.DOT);
    db.upsert(new String[] {"a", "b", "c", "d"},
        new float[][] {vec(1, 0, 0), vec(0, 2, 0), vec(3, 0, 0), vec(0, 0, 4)},
        new String[] {
          "{\"genre\":\"jazz\",\"year\":1959,\"info\":{\"label\":\"blue\"}}",
          "{\"genre\":\"rock\",\"year\":1969}",
          "{\"genre\":\"jazz\",\"year\":2001,\"tags\":[\"live\"]}",
          "{\"genre\":\"pop\"}"});
    return db;
  }

  @Test
  void libraryVersionIsTheProjectVersion() {
    assertEquals(System.getProperty("nvdb.version"), Database.libraryVersion());
  }

  @Test
  void statusConstantsAreTheLibraryCodes() throws Exception {
    Set<Integer> seen = new HashSet<>();
    for (Field f : Status.class.getFields()) {
      if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class) continue;
      int code = f.getInt(null);
      assertTrue(seen.add(code), "duplicate value of " + f.getName());
      assertEquals("NVDB_" + f.getName(), Status.name(code));
      assertNotEquals("unknown status", Status.describe(code), f.getName());
    }
    assertEquals(18, seen.size());
    assertEquals("unknown status", Status.describe(1));
    assertEquals("another writer has the database open", Status.describe(Status.EBUSY));
    assertEquals("the database is open read-only", Status.describe(Status.EREADONLY));
  }

  @Test
  void propertiesOfANewDatabase() {
    try (Database db = Database.inMemory(7)) {
      assertEquals(7, db.dim());
      assertEquals(Metric.COSINE, db.metric());
      assertEquals(0, db.count());
      assertEquals(":memory:", db.locator());
      assertTrue(db.info().contains("\"storage\":\"memory\""), db.info());
      assertFalse(db.isClosed());
    }
    try (Database db = Database.inMemory(2, Metric.L2)) {
      assertEquals(Metric.L2, db.metric());
    }
  }

  @Test
  void upsertReportsInsertedThenUpdatedIds() {
    try (Database db = Database.inMemory(2)) {
      Report first = db.upsert(new String[] {"a", "b"}, new float[][] {vec(1, 0), vec(0, 1)}, null);
      assertEquals(List.of("a", "b"), first.inserted());
      assertEquals(List.of(), first.updated());

      Report second = db.upsert(new String[] {"c", "b"}, new float[][] {vec(1, 1), vec(1, 2)},
          new String[] {null, "{\"v\":2}"});
      assertEquals(List.of("c"), second.inserted());
      assertEquals(List.of("b"), second.updated());
      assertEquals(3, db.count());
      assertEquals("{\"v\":2}", db.get("b").get(0).metadata());
      assertEquals("{}", db.get("c").get(0).metadata());
    }
  }

  @Test
  void aRepeatedIdInOneBatchIsReportedOnceAndTheLastWins() {
    try (Database db = Database.inMemory(2)) {
      Report report = db.upsert(new String[] {"x", "y", "x"},
          new float[][] {vec(1, 0), vec(0, 1), vec(0, 3)},
          new String[] {"{\"n\":1}", "{}", "{\"n\":3}"});
      assertEquals(List.of("x", "y"), report.inserted());
      assertEquals(2, db.count());
      Record x = db.get("x").get(0);
      assertEquals("{\"n\":3}", x.metadata());
      assertArrayEquals(vec(0, 1), x.vector(), 1e-6f);
    }
  }

  @Test
  void anUpdateReplacesVectorAndMetadataWholly() {
    try (Database db = Database.inMemory(2, Metric.DOT)) {
      db.upsert("k", vec(1, 2), "{\"old\":true,\"keep\":1}");
      Report report = db.upsert("k", vec(3, 4), "{\"new\":true}");
      assertEquals(List.of("k"), report.updated());
      Record k = db.get("k").get(0);
      assertArrayEquals(vec(3, 4), k.vector());
      assertEquals("{\"new\":true}", k.metadata());
    }
  }

  @Test
  void aMissingIdIsTheMd5OfTheVectorsFloat32Bytes() throws Exception {
    float[] v = vec(0.5f, -1.25f, 3f);
    ByteBuffer bytes = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) bytes.putFloat(f);
    StringBuilder md5 = new StringBuilder();
    for (byte b : MessageDigest.getInstance("MD5").digest(bytes.array())) {
      md5.append(String.format("%02x", b));
    }
    try (Database db = Database.inMemory(3)) {
      Report report = db.upsert(null, v, null);
      assertEquals(List.of(md5.toString()), report.inserted());
      assertEquals(md5.toString(), db.get(md5.toString()).get(0).id());
    }
  }

  @Test
  void getReturnsRecordsInTheOrderAskedSkippingUnknownIds() {
    try (Database db = music()) {
      List<Record> got = db.get("c", "missing", "a", "c");
      assertEquals(List.of("c", "a", "c"), recordIds(got));
      assertEquals(List.of(), db.get());
      assertEquals(List.of("b"), recordIds(db.get(List.of("b"))));
    }
  }

  @Test
  void storedVectorsAreNormalisedUnderCosineOnly() {
    try (Database cosine = Database.inMemory(2); Database dot = Database.inMemory(2, Metric.DOT)) {
      cosine.upsert("v", vec(3, 4), null);
      dot.upsert("v", vec(3, 4), null);
      assertArrayEquals(vec(0.6f, 0.8f), cosine.get("v").get(0).vector(), 1e-6f);
      assertArrayEquals(vec(3, 4), dot.get("v").get(0).vector());
    }
  }

  @Test
  void recordsAreImmutableCopies() {
    try (Database db = music()) {
      Record a = db.get("a").get(0);
      a.vector()[0] = 42;
      assertArrayEquals(vec(1, 0, 0), a.vector());
      assertEquals(a, db.get("a").get(0));
    }
  }

  @Test
  void metadataComesBackExactly() {
    String[] documents = {
      "{\"big\":18446744073709551616,\"neg_zero\":-0.0,\"tiny\":1e-07,\"huge\":1.5e+300}",
      "{\"z\":1,\"a\":2,\"m\":[1,2.50,null,true,false,{\"deep\":{}}]}",
      "{\"text\":\"caf\u00e9 \u2615 \u5411\u91cf \ud83d\ude80\",\"\u540d\u79f0\":\"\u503c\"}",
      "{\"esc\":\"tab\\tnewline\\nquote\\\" backslash\\\\ \\u0001\"}",
      "{}",
    };
    try (Database db = Database.inMemory(2)) {
      for (int i = 0; i < documents.length; i++) {
        db.upsert("r" + i, vec(1, i), documents[i]);
      }
      for (int i = 0; i < documents.length; i++) {
        assertEquals(documents[i], db.get("r" + i).get(0).metadata());
      }
      Hit rocket = db.query(vec(1, 2), 1).get(0);
      assertEquals("r2", rocket.id());
      assertEquals(documents[2], rocket.metadata());
    }
  }

  @Test
  void idsMayBeAnyUnicode() {
    String[] ids = {"\u6587\u6863-007-\u00e9", "emoji \ud83d\ude80", "x".repeat(1024)};
    try (Database db = Database.inMemory(2)) {
      Report report = db.upsert(ids, new float[][] {vec(1, 0), vec(0, 1), vec(1, 1)}, null);
      assertEquals(List.of(ids), report.inserted());
      assertEquals(List.of(ids), recordIds(db.get(ids)));
      assertEquals(ids[1], db.query(vec(0, 1), 1).get(0).id());
    }
  }

  @Test
  void deleteRemovesAndCountsOnlyExistingIds() {
    try (Database db = music()) {
      assertEquals(2, db.delete("a", "missing", "c"));
      assertEquals(0, db.delete("a"));
      assertEquals(2, db.count());
      assertEquals(List.of("b", "d"), recordIds(db.get("a", "b", "c", "d")));
      assertEquals(1, db.delete(List.of("b")));
      assertEquals(1, db.count());
    }
  }

  @Test
  void queryReturnsTopKBestFirstWithScores() {
    try (Database db = music()) {
      List<Hit> hits = db.query(vec(1, 1, 1), 3);
      assertEquals(List.of("d", "c", "b"), ids(hits));
      assertEquals(4f, hits.get(0).score());
      assertEquals(3f, hits.get(1).score());
      assertEquals(2f, hits.get(2).score());
      assertEquals("{\"genre\":\"pop\"}", hits.get(0).metadata());
      assertEquals(4, db.query(vec(1, 1, 1), 10).size());
      assertEquals(List.of(), db.query(vec(1, 1, 1), 0));
      assertEquals(10, new Query().topK, "the default top-k is the C API's");
    }
  }

  @Test
  void equalScoresAreOrderedById() {
    try (Database db = Database.inMemory(2, Metric.DOT)) {
      db.upsert(new String[] {"m", "b", "z", "a"},
          new float[][] {vec(1, 0), vec(1, 0), vec(1, 0), vec(1, 0)}, null);
      assertEquals(List.of("a", "b", "m", "z"), ids(db.query(vec(1, 0), 4)));
    }
  }

  @Test
  void thresholdKeepsScoresAtLeastThatGood() {
    try (Database db = music()) {
      assertEquals(List.of("d", "c"), ids(db.query(vec(1, 1, 1), new Query().threshold(3f))));
      assertEquals(List.of("d"), ids(db.query(vec(1, 1, 1), new Query().threshold(3.5f))));
      assertEquals(List.of(), ids(db.query(vec(1, 1, 1), new Query().threshold(5f))));
    }
  }

  @Test
  void declarativeFiltersRestrictTheHits() {
    try (Database db = music()) {
      float[] q = vec(1, 1, 1);
      assertEquals(List.of("c", "a"), ids(db.query(q, new Query().filter("{\"genre\": \"jazz\"}"))));
      assertEquals(List.of("c", "b"),
          ids(db.query(q, new Query().filter("{\"year\": {\"$gte\": 1960}}"))));
      assertEquals(List.of("d", "b"),
          ids(db.query(q, new Query().filter("{\"genre\": {\"$in\": [\"rock\", \"pop\"]}}"))));
      assertEquals(List.of("d", "b"),
          ids(db.query(q, new Query().filter("{\"genre\": {\"$ne\": \"jazz\"}}"))));
      assertEquals(List.of("a"), ids(db.query(q, new Query().filter("{\"info.label\": \"blue\"}"))));
      assertEquals(List.of("d", "a"), ids(db.query(q,
          new Query().filter("{\"$or\": [{\"genre\": \"pop\"}, {\"year\": {\"$lt\": 1960}}]}"))));
      assertEquals(List.of("d", "b", "a"),
          ids(db.query(q, new Query().filter("{\"$not\": {\"tags\": {\"$exists\": true}}}"))));
      assertEquals(List.of("c"),
          ids(db.query(q, new Query().topK(1).threshold(2.5f).filter("{\"genre\": \"jazz\"}"))));
      assertEquals(List.of(), ids(db.query(q, new Query().filter("{\"genre\": \"folk\"}"))));
    }
  }

  @Test
  void l2ScoresAreMinusTheEuclideanDistance() {
    try (Database db = Database.inMemory(2, Metric.L2)) {
      db.upsert(new String[] {"near", "far"}, new float[][] {vec(1, 1), vec(4, 6)}, null);
      List<Hit> hits = db.query(vec(1, 2), 2);
      assertEquals(List.of("near", "far"), ids(hits));
      assertEquals(-1f, hits.get(0).score(), 1e-6f);
      assertEquals(-5f, hits.get(1).score(), 1e-6f);
    }
  }

  @Test
  void additionalDataIsOneJsonObjectSetAndReadWhole() {
    try (Database db = Database.inMemory(2)) {
      assertEquals("{}", db.additionalData());
      db.setAdditionalData("{\"model\":\"m-\u00fc\",\"dim\":2,\"params\":{\"chunk\":512}}");
      assertEquals("{\"model\":\"m-\u00fc\",\"dim\":2,\"params\":{\"chunk\":512}}", db.additionalData());
      db.setAdditionalData("{\"other\":[]}");
      assertEquals("{\"other\":[]}", db.additionalData());
    }
  }

  @Test
  void aBatchOfAThousandRecords() {
    int n = 1000;
    Random random = new Random(7);
    String[] ids = new String[n];
    float[][] vectors = new float[n][];
    String[] metadata = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = "id-" + i;
      vectors[i] = TestSupport.randomVector(random, 16);
      metadata[i] = "{\"i\":" + i + "}";
    }
    try (Database db = Database.inMemory(16)) {
      assertEquals(n, db.upsert(ids, vectors, metadata).inserted().size());
      assertEquals(n, db.count());
      List<Record> all = db.get(ids);
      for (int i = 0; i < n; i++) {
        assertEquals(ids[i], all.get(i).id());
        assertEquals(metadata[i], all.get(i).metadata());
      }
      Hit self = db.query(vectors[123], 1).get(0);
      assertEquals("id-123", self.id());
      assertEquals(1f, self.score(), 1e-5f);

      List<String> half = new ArrayList<>();
      for (int i = 0; i < n; i += 2) half.add(ids[i]);
      assertEquals(n / 2, db.delete(half));
      assertEquals(n / 2, db.count());
      Report again = db.upsert(ids, vectors, null);
      assertEquals(n / 2, again.inserted().size());
      assertEquals(n / 2, again.updated().size());
    }
  }

  @Test
  void exportThenImportGivesTheSameDatabase() {
    Path file = tmp.resolve("exported.json");
    try (Database db = music(); Database cosine = Database.inMemory(3)) {
      cosine.copyFrom(db);
      cosine.setAdditionalData("{\"from\":\"java\"}");
      cosine.exportJson(file.toString());
      assertTrue(Files.exists(file));

      try (Database back = Database.inMemory(3)) {
        back.importJson(file.toString());
        assertEquals(4, back.count());
        assertEquals("{\"from\":\"java\"}", back.additionalData());
        assertEquals(cosine.get("a", "b", "c", "d"), back.get("a", "b", "c", "d"));
        assertEquals(cosine.query(vec(1, 2, 3), 4), back.query(vec(1, 2, 3), 4));
      }
      try (Database opened = Database.open(file.toString(), new Options().mode(OpenMode.READ))) {
        assertEquals(cosine.query(vec(1, 2, 3), 4), opened.query(vec(1, 2, 3), 4));
        assertTrue(opened.info().contains("\"read_only\":true"), opened.info());
      }
    }
  }

  @Test
  void aJsonDatabaseIsSavedOnCloseAndOnSave() {
    String file = tmp.resolve("db.json").toString();
    try (Database db = Database.open(file, new Options().dim(2))) {
      db.upsert("one", vec(1, 0), "{\"n\":1}");
      db.save();
      try (Database reader = Database.open(file, new Options().mode(OpenMode.READ))) {
        assertEquals(1, reader.count());
      }
      db.upsert("two", vec(0, 1), null);
    }
    try (Database db = Database.open(file)) {
      assertEquals(2, db.count());
      assertEquals(2, db.dim());
      assertEquals("{\"n\":1}", db.get("one").get(0).metadata());
    }
  }

  @Test
  void copyFromTakesRecordsAndAdditionalData() {
    try (Database src = music(); Database dst = Database.inMemory(3, Metric.DOT)) {
      src.setAdditionalData("{\"k\":1}");
      dst.copyFrom(src);
      assertEquals(4, dst.count());
      assertEquals("{\"k\":1}", dst.additionalData());
      assertEquals(src.query(vec(1, 1, 1), 4), dst.query(vec(1, 1, 1), 4));
    }
  }

  @Test
  void closeIsIdempotentAndEveryLaterCallThrowsAClearError() {
    Database db = music();
    List<Hit> before = db.query(vec(1, 1, 1), 2);
    db.close();
    db.close();
    assertTrue(db.isClosed());
    assertEquals(2, before.size(), "results outlive the database");
    assertTrue(before.get(0).id().equals("d"));

    NvdbException e = assertStatus(Status.EINVAL, db::count);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertStatus(Status.EINVAL, () -> db.query(vec(1, 1, 1), 2));
    assertStatus(Status.EINVAL, () -> db.upsert("x", vec(1, 0, 0), null));
    assertStatus(Status.EINVAL, () -> db.get("a"));
    assertStatus(Status.EINVAL, () -> db.delete("a"));
    assertStatus(Status.EINVAL, db::additionalData);
    assertStatus(Status.EINVAL, () -> db.setAdditionalData("{}"));
    assertStatus(Status.EINVAL, db::info);
    assertStatus(Status.EINVAL, db::save);
    assertStatus(Status.EINVAL, db::dim);
    assertStatus(Status.EINVAL, db::metric);
    assertStatus(Status.EINVAL, () -> db.exportJson(tmp.resolve("x.json").toString()));
    assertStatus(Status.EINVAL, () -> db.importJson(tmp.resolve("x.json").toString()));
    try (Database other = Database.inMemory(3)) {
      assertStatus(Status.EINVAL, () -> other.copyFrom(db));
      assertStatus(Status.EINVAL, () -> db.copyFrom(other));
    }
  }

  @Test
  void exceptionsCarryStatusAndMessage() {
    try (Database db = Database.inMemory(3)) {
      NvdbException e = assertStatus(Status.EDIM, () -> db.query(vec(1, 2), 1));
      assertEquals(Status.EDIM, e.status());
      assertFalse(e.getMessage().isEmpty());
      assertTrue(e.toString().contains("NVDB_EDIM"), e.toString());
    }
  }
}
