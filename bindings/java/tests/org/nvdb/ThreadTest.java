package org.nvdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One Database shared by many threads: queries from 8 threads at once give the right answers,
 * also while another thread writes, and closing under them never crashes the JVM.
 */
class ThreadTest {
  private static final int THREADS = 8;
  private static final int DIM = 16;
  private static final int RECORDS = 500;
  private static final int TOP_K = 5;

  private final Random random = new Random(2024);
  private float[][] vectors;
  private float[][] queries;
  private ExecutorService pool;

  @BeforeEach
  void setUp() {
    vectors = new float[RECORDS][];
    for (int i = 0; i < RECORDS; i++) vectors[i] = TestSupport.randomVector(random, DIM);
    queries = new float[64][];
    for (int i = 0; i < queries.length; i++) queries[i] = TestSupport.randomVector(random, DIM);
    pool = Executors.newFixedThreadPool(THREADS + 1);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
  }

  private static String id(int i) {
    return String.format("r%04d", i);
  }

  private Database stableDatabase() {
    Database db = Database.inMemory(DIM);
    String[] ids = new String[RECORDS];
    String[] metadata = new String[RECORDS];
    for (int i = 0; i < RECORDS; i++) {
      ids[i] = id(i);
      metadata[i] = "{\"stable\":true,\"i\":" + i + "}";
    }
    db.upsert(ids, vectors, metadata);
    return db;
  }

  /** The expected top-k ids, computed in Java by brute force (cosine, ties by id). */
  private List<String> bruteForce(float[] q) {
    List<Integer> order = new ArrayList<>();
    double[] scores = new double[RECORDS];
    for (int i = 0; i < RECORDS; i++) {
      scores[i] = cosine(q, vectors[i]);
      order.add(i);
    }
    order.sort(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparing(ThreadTest::id));
    return order.subList(0, TOP_K).stream().map(ThreadTest::id).collect(Collectors.toList());
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  /** Runs task on THREADS threads released together; returns what each returned. */
  private List<Integer> onThreads(ThrowingTask task) throws Exception {
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Future<Integer>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      final int thread = t;
      futures.add(pool.submit(() -> {
        start.await();
        return task.run(thread);
      }));
    }
    List<Integer> results = new ArrayList<>();
    for (Future<Integer> f : futures) results.add(f.get(120, TimeUnit.SECONDS));
    return results;
  }

  private interface ThrowingTask {
    int run(int thread) throws Exception;
  }

  /** How many of the queries a thread runs come back different from expected. */
  private int queryMany(Database db, List<List<Hit>> expected, Query query, int thread) {
    int wrong = 0;
    for (int n = 0; n < 2000; n++) {
      int q = (n + thread * 7) % queries.length;
      if (!db.query(queries[q], query).equals(expected.get(q))) wrong++;
    }
    return wrong;
  }

  @Test
  void eightThreadsQueryOneHandleAtOnce() throws Exception {
    try (Database db = stableDatabase()) {
      Query query = new Query().topK(TOP_K);
      List<List<Hit>> expected = new ArrayList<>();
      for (float[] q : queries) {
        List<Hit> hits = db.query(q, query);
        assertEquals(bruteForce(q), hits.stream().map(Hit::id).collect(Collectors.toList()));
        expected.add(hits);
      }
      List<Integer> wrong = onThreads(thread -> queryMany(db, expected, query, thread));
      assertEquals(List.of(0, 0, 0, 0, 0, 0, 0, 0), wrong);
    }
  }

  @Test
  void readersGetRightAnswersWhileAWriterWrites() throws Exception {
    try (Database db = stableDatabase()) {
      // Readers see only the stable records; the writer churns others that would rank high.
      Query stableOnly = new Query().topK(TOP_K).filter("{\"stable\": true}");
      List<List<Hit>> expected = new ArrayList<>();
      for (float[] q : queries) expected.add(db.query(q, stableOnly));

      AtomicBoolean done = new AtomicBoolean();
      Future<Integer> writer = pool.submit(() -> {
        int commits = 0;
        for (int n = 0; !done.get(); n++) {
          String churn = "churn-" + (n % 50);
          db.upsert(churn, queries[n % queries.length], "{\"stable\":false}");
          if (n % 3 == 0) db.delete(churn);
          commits++;
        }
        return commits;
      });
      List<Integer> wrong;
      try {
        wrong = onThreads(thread -> queryMany(db, expected, stableOnly, thread));
      } finally {
        done.set(true);
      }
      assertTrue(writer.get(60, TimeUnit.SECONDS) > 0);
      assertEquals(List.of(0, 0, 0, 0, 0, 0, 0, 0), wrong);
      assertTrue(db.count() >= RECORDS);
    }
  }

  @Test
  void closingUnderRunningQueriesNeverCrashes() throws Exception {
    Database db = stableDatabase();
    Future<?> closer = pool.submit(() -> {
      Thread.sleep(100);
      db.close();
      return null;
    });
    List<Integer> queriesBeforeClose = onThreads(thread -> {
      int n = 0;
      try {
        while (true) {
          db.query(queries[n % queries.length], TOP_K);
          n++;
        }
      } catch (NvdbException e) {
        assertEquals(Status.EINVAL, e.status());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
      }
      return n;
    });
    closer.get(60, TimeUnit.SECONDS);
    assertTrue(db.isClosed());
    assertEquals(THREADS, queriesBeforeClose.size());
  }
}
