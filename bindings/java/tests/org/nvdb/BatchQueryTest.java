package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nvdb.TestSupport.assertStatus;
import static org.nvdb.TestSupport.randomVector;
import static org.nvdb.TestSupport.vec;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Database.queryBatch: each answer is query()'s for the same vector; bad batches are refused. */
class BatchQueryTest {
  /** A database of n random records "r0".."r{n-1}" with metadata {"i": index}. */
  private static Database randomDatabase(int dim, Metric metric, int n, Random random) {
    Database db = Database.inMemory(dim, metric);
    String[] ids = new String[n];
    String[] metadata = new String[n];
    float[][] vectors = new float[n][];
    for (int i = 0; i < n; i++) {
      ids[i] = "r" + i;
      metadata[i] = "{\"i\":" + i + "}";
      vectors[i] = randomVector(random, dim);
    }
    db.upsert(ids, vectors, metadata);
    return db;
  }

  private static float[][] randomQueries(int n, int dim, Random random) {
    float[][] q = new float[n][];
    for (int i = 0; i < n; i++) q[i] = randomVector(random, dim);
    return q;
  }

  private static void assertBatchEqualsSingles(Database db, float[][] queries, Query query) {
    List<List<Hit>> answers = db.queryBatch(queries, query);
    assertEquals(queries.length, answers.size());
    for (int i = 0; i < queries.length; i++) {
      assertEquals(db.query(queries[i], query), answers.get(i), "query " + i + " of " + db);
    }
  }

  @Test
  void everyMetricAnswersAsSingleQueries() {
    Random random = new Random(5);
    for (Metric metric : Metric.values()) {
      try (Database db = randomDatabase(17, metric, 600, random)) {
        float[][] queries = randomQueries(23, 17, random);
        assertBatchEqualsSingles(db, queries, new Query().topK(10));
        assertBatchEqualsSingles(db, queries, new Query().topK(5).filter("{\"i\": {\"$lt\": 300}}"));
        assertBatchEqualsSingles(db, new float[][] {queries[0]}, new Query().topK(3));
        List<List<Hit>> top = db.queryBatch(queries, 4);
        assertTrue(top.stream().allMatch(hits -> hits.size() == 4));
      }
    }
  }

  @Test
  void thresholdsApplyToEveryQuery() {
    Random random = new Random(6);
    try (Database db = randomDatabase(8, Metric.DOT, 300, random)) {
      float[][] queries = randomQueries(9, 8, random);
      assertBatchEqualsSingles(db, queries, new Query().topK(50).threshold(2f));
    }
  }

  @Test
  void anEmptyBatchHasNoAnswers() {
    try (Database db = Database.inMemory(3)) {
      assertEquals(List.of(), db.queryBatch(new float[0][], 5));
    }
  }

  @Test
  void badBatchesAreRefusedNamingTheQuery() {
    try (Database db = Database.inMemory(3)) {
      db.upsert("a", vec(1, 0, 0), null);
      float[][] nan = {vec(1, 0, 0), vec(0, 1, 0), vec(0, Float.NaN, 1)};
      assertTrue(assertStatus(Status.EVECTOR, () -> db.queryBatch(nan, 1)).getMessage()
          .contains("query 2"));
      float[][] zero = {vec(0, 0, 0), vec(1, 0, 0)};
      assertTrue(assertStatus(Status.EVECTOR, () -> db.queryBatch(zero, 1)).getMessage()
          .contains("query 0"));
      float[][] shortOne = {vec(1, 0, 0), vec(1, 0)};
      assertTrue(assertStatus(Status.EDIM, () -> db.queryBatch(shortOne, 1)).getMessage()
          .contains("query 1"));
      assertStatus(Status.EINVAL, () -> db.queryBatch(new float[][] {vec(1, 0, 0), null}, 1));
      assertStatus(Status.EINVAL, () -> db.queryBatch(null, 1));
      assertStatus(Status.EINVAL, () -> db.queryBatch(new float[][] {vec(1, 0, 0)}, -1));
      assertStatus(Status.EFILTER,
          () -> db.queryBatch(new float[][] {vec(1, 0, 0)}, new Query().filter("{\"$x\": 1}")));
    }
  }
}
