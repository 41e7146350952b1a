package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Native memory does not leak: the process's resident memory stays flat (within 10%) over
 * 100,000 queries, and over many calls of every other kind, failed ones included. CTest runs this
 * class with a fixed, pre-touched Java heap, so that the JVM's own growth does not hide a leak.
 */
class LeakTest {
  private static final int DIM = 8;
  private static final double TOLERANCE = 0.10;

  private static Database smallDatabase(Random random) {
    Database db = Database.inMemory(DIM);
    int n = 200;
    String[] ids = new String[n];
    float[][] vectors = new float[n][];
    String[] metadata = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = "doc-" + i;
      vectors[i] = TestSupport.randomVector(random, DIM);
      metadata[i] = "{\"group\":\"g" + (i % 4) + "\",\"text\":\"caf\u00e9 \ud83d\ude80 " + i + "\"}";
    }
    db.upsert(ids, vectors, metadata);
    return db;
  }

  private static void assertFlat(String what, long beforeKb, long afterKb) {
    double growth = (afterKb - beforeKb) / (double) beforeKb;
    System.out.printf("%s: VmRSS after warm-up %d kB, at the end %d kB (%+.2f%%)%n", what,
        beforeKb, afterKb, 100 * growth);
    assertTrue(growth <= TOLERANCE,
        what + ": resident memory grew from " + beforeKb + " kB to " + afterKb + " kB");
  }

  @Test
  void aHundredThousandQueriesKeepResidentMemoryFlat() throws Exception {
    Random random = new Random(1);
    float[][] queries = new float[100][];
    for (int i = 0; i < queries.length; i++) queries[i] = TestSupport.randomVector(random, DIM);
    Query filtered = new Query().topK(5).filter("{\"group\": {\"$in\": [\"g1\", \"g2\"]}}");

    try (Database db = smallDatabase(random)) {
      long checksum = 0;
      for (int i = 0; i < 20_000; i++) checksum += db.query(queries[i % 100], 5).size();
      System.gc();
      long before = TestSupport.residentKb();
      for (int i = 0; i < 100_000; i++) {
        float[] q = queries[i % 100];
        checksum += (i % 2 == 0 ? db.query(q, 5) : db.query(q, filtered)).size();
      }
      System.gc();
      long after = TestSupport.residentKb();
      assertEquals(5L * 120_000, checksum);
      assertFlat("100000 queries", before, after);
    }
  }

  /** Every other call, and the error path (the exception built in the JNI wrapper). */
  @Test
  void otherCallsAndFailuresKeepResidentMemoryFlat() throws Exception {
    Random random = new Random(2);
    try (Database db = smallDatabase(random)) {
      float[] wrongDim = new float[DIM + 1];
      Runnable round = () -> {
        float[] v = TestSupport.randomVector(random, DIM);
        Report report = db.upsert(new String[] {"tmp-a", null}, new float[][] {v, v},
            new String[] {"{\"t\":1}", null});
        db.get("doc-1", "tmp-a", "missing");
        db.delete(report.inserted()); // so that the database itself does not grow
        db.setAdditionalData("{\"round\":true}");
        db.additionalData();
        db.count();
        db.info();
        try {
          db.query(wrongDim, 5);
        } catch (NvdbException expected) {
          // the message and the exception are made in native code
        }
        try {
          db.upsert("bad", v, "not json");
        } catch (NvdbException expected) {
          // idem, from another call
        }
      };
      for (int i = 0; i < 5_000; i++) round.run();
      System.gc();
      long before = TestSupport.residentKb();
      for (int i = 0; i < 20_000; i++) round.run();
      System.gc();
      long after = TestSupport.residentKb();
      assertFlat("20000 rounds of other calls", before, after);
    }
  }
}
