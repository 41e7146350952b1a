package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nvdb.TestSupport.assertStatus;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The nano-vectordb fixtures (tests/fixtures, written by the Python package): nvdb must give the
 * answers recorded in NAME.expected.json, whether the file is opened or imported.
 */
class FixtureTest {
  private static final float SCORE_TOLERANCE = 1e-5f;

  @TempDir Path tmp;

  enum Way { OPEN_READ_ONLY, IMPORT_INTO_MEMORY }

  static Stream<Arguments> fixturesAndWays() {
    List<Arguments> cases = new ArrayList<>();
    for (String name : new String[] {"a_small", "b_autoid", "e_empty", "g_int_ids_plain"}) {
      for (Way way : Way.values()) cases.add(Arguments.of(name, way));
    }
    return cases.stream();
  }

  private static JsonObject expected(String name) throws IOException {
    Path file = TestSupport.fixtures().resolve(name + ".expected.json");
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  private static String dbFile(String name) {
    return TestSupport.fixtures().resolve(name + ".db.json").toString();
  }

  private static Database load(String name, Way way, int dim) {
    if (way == Way.OPEN_READ_ONLY) {
      return Database.open(dbFile(name), new Options().mode(OpenMode.READ));
    }
    Database db = Database.inMemory(dim);
    db.importJson(dbFile(name));
    return db;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("fixturesAndWays")
  void answersAsNanoVectordb(String name, Way way) throws IOException {
    JsonObject exp = expected(name);
    int dim = exp.get("embedding_dim").getAsInt();
    try (Database db = load(name, way, dim)) {
      assertEquals(dim, db.dim());
      assertEquals(Metric.COSINE, db.metric());
      assertEquals(exp.get("len").getAsLong(), db.count());
      assertJson(exp.get("additional_data"), parse(db.additionalData()), "additional_data");

      List<String> rows = texts(exp.getAsJsonArray("ids_in_row_order"));
      assertEquals(rows, ids(db.get(rows)), "every row by get");
      checkQueries(db, exp);
      checkGet(db, exp.getAsJsonObject("get"));
    }
  }

  /** The 10 queries, the threshold query and the filtered query of an expectations file. */
  private static void checkQueries(Database db, JsonObject exp) {
    for (JsonElement q : exp.getAsJsonArray("queries")) {
      JsonObject query = q.getAsJsonObject();
      checkHits(db.query(floats(query.getAsJsonArray("vector")), query.get("top_k").getAsInt()),
          query);
    }
    JsonObject threshold = exp.getAsJsonObject("threshold_query");
    checkHits(db.query(floats(threshold.getAsJsonArray("vector")),
        new Query().topK(threshold.get("top_k").getAsInt())
            .threshold(threshold.get("better_than_threshold").getAsFloat())),
        threshold);

    // nano-vectordb's filter_lambda there is an equality on one field: {field: value}.
    if (exp.get("filtered_query").isJsonNull()) {
      // e_empty: nano-vectordb raises IndexError for a filter on an empty database; nvdb
      // returns no hits.
      assertEquals(List.of(), db.query(floats(threshold.getAsJsonArray("vector")),
          new Query().filter("{\"group\": \"beta\"}")));
      return;
    }
    JsonObject filtered = exp.getAsJsonObject("filtered_query");
    JsonObject equality = filtered.getAsJsonObject("filter");
    JsonObject filter = new JsonObject();
    filter.add(equality.get("field").getAsString(), equality.get("equals"));
    checkHits(db.query(floats(filtered.getAsJsonArray("vector")),
        new Query().topK(filtered.get("top_k").getAsInt()).filter(filter.toString())),
        filtered);
  }

  private static void checkHits(List<Hit> hits, JsonObject expected) {
    List<String> ids = texts(expected.getAsJsonArray("ids"));
    JsonArray scores = expected.getAsJsonArray("scores");
    JsonArray records = expected.getAsJsonArray("records");
    assertEquals(ids, hitIds(hits));
    for (int i = 0; i < hits.size(); i++) {
      Hit hit = hits.get(i);
      assertEquals(scores.get(i).getAsFloat(), hit.score(), SCORE_TOLERANCE, hit.id());
      assertJson(metadataOf(records.get(i)), parse(hit.metadata()), "metadata of " + hit.id());
    }
  }

  /* nvdb returns the records in the order asked (nano-vectordb: in row order). */
  private static void checkGet(Database db, JsonObject get) {
    Map<String, JsonObject> found = new LinkedHashMap<>();
    for (JsonElement r : get.getAsJsonArray("results")) {
      found.put(r.getAsJsonObject().get("__id__").getAsString(), metadataOf(r));
    }
    List<String> asked = texts(get.getAsJsonArray("ids"));
    List<String> inOrderAsked = new ArrayList<>(asked);
    inOrderAsked.retainAll(found.keySet());

    List<Record> records = db.get(asked);
    assertEquals(inOrderAsked, ids(records));
    for (Record r : records) {
      assertJson(found.get(r.id()), parse(r.metadata()), "metadata of " + r.id());
      assertEquals(db.dim(), r.vector().length);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixturesAndWays")
  void exportsTheSameBytesAsTheFileItLoaded(String name, Way way) throws Exception {
    JsonObject exp = expected(name);
    Path out = tmp.resolve(name + "-" + way + ".json");
    try (Database db = load(name, way, exp.get("embedding_dim").getAsInt())) {
      db.exportJson(out.toString());
    }
    assertEquals(exp.get("db_file_md5").getAsString(), md5(Files.readAllBytes(out)));
  }

  /** b_autoid: upserting its input vectors without ids gives nano-vectordb's md5 ids and report. */
  @Test
  void generatedIdsAndReportReproduceNanoVectordb() throws IOException {
    JsonObject exp = expected("b_autoid");
    JsonArray inputs = exp.getAsJsonObject("auto_ids").getAsJsonArray("inputs");
    float[][] vectors = new float[inputs.size()][];
    String[] metadata = new String[inputs.size()];
    List<String> md5s = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      JsonObject input = inputs.get(i).getAsJsonObject();
      vectors[i] = floats(input.getAsJsonArray("vector_f32"));
      metadata[i] = "{\"i\": " + i + ", \"parity\": \"" + (i % 2 == 0 ? "even" : "odd") + "\"}";
      md5s.add(input.get("md5_id").getAsString());
    }
    JsonObject report = exp.getAsJsonArray("operations").get(0).getAsJsonObject()
        .getAsJsonObject("report");

    try (Database db = Database.inMemory(exp.get("embedding_dim").getAsInt())) {
      Report got = db.upsert(null, vectors, metadata);
      assertEquals(md5s, got.inserted());
      assertEquals(texts(report.getAsJsonArray("insert")), got.inserted());
      assertEquals(texts(report.getAsJsonArray("update")), got.updated());
      // The same answers as the saved and reloaded file, within the tolerance.
      checkQueries(db, exp);
      checkGet(db, exp.getAsJsonObject("get"));

      Report again = db.upsert(null, vectors, metadata);
      assertEquals(md5s, again.updated());
      assertEquals(List.of(), again.inserted());
    }
  }

  /** a_small: its upsert report, replayed from the file into an empty database. */
  @Test
  void anImportedFileHasTheRecordedInsertReport() throws IOException {
    JsonObject exp = expected("a_small");
    JsonObject report = exp.getAsJsonArray("operations").get(0).getAsJsonObject()
        .getAsJsonObject("report");
    try (Database file = load("a_small", Way.OPEN_READ_ONLY, 8); Database db = Database.inMemory(8)) {
      List<String> ids = texts(exp.getAsJsonArray("ids_in_row_order"));
      List<Record> records = file.get(ids);
      String[] metadata = records.stream().map(Record::metadata).toArray(String[]::new);
      float[][] vectors = records.stream().map(Record::vector).toArray(float[][]::new);
      Report got = db.upsert(ids.toArray(new String[0]), vectors, metadata);
      assertEquals(texts(report.getAsJsonArray("insert")), got.inserted());
      assertEquals(List.of(), got.updated());
      checkQueries(db, exp);
    }
  }

  /** f_int_ids has the int id 3 and the string id "3": nvdb refuses to merge them. */
  @Test
  void collidingIdsAreRefused() {
    NvdbException e = assertStatus(Status.EID,
        () -> Database.open(dbFile("f_int_ids"), new Options().mode(OpenMode.READ)));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
    try (Database db = Database.inMemory(8)) {
      assertStatus(Status.EID, () -> db.importJson(dbFile("f_int_ids")));
      assertEquals(0, db.count());
    }
  }

  /* ---- JSON helpers ---- */

  private static JsonElement parse(String json) {
    return JsonParser.parseString(json);
  }

  /** A result record of the expectations without nano-vectordb's own keys. */
  private static JsonObject metadataOf(JsonElement record) {
    JsonObject metadata = record.getAsJsonObject().deepCopy();
    metadata.remove("__id__");
    metadata.remove("__metrics__");
    return metadata;
  }

  /**
   * Strict equality: the same keys in the same order, and numbers with the same text (nvdb keeps
   * metadata exactly: 9007199254740993, -0.0 and 1e-07 must come back as written).
   */
  private static void assertJson(JsonElement expected, JsonElement actual, String where) {
    if (expected.isJsonObject()) {
      assertTrue(actual.isJsonObject(), where);
      JsonObject e = expected.getAsJsonObject();
      JsonObject a = actual.getAsJsonObject();
      assertEquals(new ArrayList<>(e.keySet()), new ArrayList<>(a.keySet()), where + ": keys");
      for (String key : e.keySet()) assertJson(e.get(key), a.get(key), where + "." + key);
    } else if (expected.isJsonArray()) {
      assertTrue(actual.isJsonArray(), where);
      JsonArray e = expected.getAsJsonArray();
      JsonArray a = actual.getAsJsonArray();
      assertEquals(e.size(), a.size(), where + ": length");
      for (int i = 0; i < e.size(); i++) assertJson(e.get(i), a.get(i), where + "[" + i + "]");
    } else if (expected.isJsonNull()) {
      assertTrue(actual.isJsonNull(), where);
    } else if (expected.getAsJsonPrimitive().isNumber()) {
      assertTrue(actual.isJsonPrimitive() && actual.getAsJsonPrimitive().isNumber(), where);
      assertEquals(expected.getAsString(), actual.getAsString(), where);
    } else {
      assertEquals(expected, actual, where);
    }
  }

  private static List<String> texts(JsonArray array) {
    List<String> out = new ArrayList<>();
    for (JsonElement e : array) out.add(e.getAsString()); // a numeric id: its decimal text
    return out;
  }

  private static float[] floats(JsonArray array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).getAsFloat();
    return out;
  }

  private static List<String> hitIds(List<Hit> hits) {
    List<String> out = new ArrayList<>();
    for (Hit h : hits) out.add(h.id());
    return out;
  }

  private static List<String> ids(List<Record> records) {
    List<String> out = new ArrayList<>();
    for (Record r : records) out.add(r.id());
    return out;
  }

  private static String md5(byte[] bytes) throws NoSuchAlgorithmException {
    StringBuilder hex = new StringBuilder();
    for (byte b : MessageDigest.getInstance("MD5").digest(bytes)) {
      hex.append(String.format("%02x", b));
    }
    return hex.toString();
  }
}
