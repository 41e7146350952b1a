using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>Database.QueryBatch: each answer is Query's for the same vector; bad batches are refused.</summary>
[TestFixture]
public class BatchQueriesTests {
  // A database of n random records "r0".."r{n-1}" with metadata {"i": index}.
  static Database RandomDatabase(int dim, Metric metric, int n, Random random) {
    Database db = Support.Memory(dim, metric);
    var records = new Record[n];
    for (int i = 0; i < n; ++i) records[i] = new Record("r" + i, Support.RandomVector(random, dim), "{\"i\":" + i + "}");
    db.Upsert(records);
    return db;
  }

  static float[][] RandomQueries(int n, int dim, Random random) {
    var q = new float[n][];
    for (int i = 0; i < n; ++i) q[i] = Support.RandomVector(random, dim);
    return q;
  }

  static void AssertBatchEqualsSingles(Database db, float[][] queries, int topK, float? threshold = null,
                                       string filter = null) {
    IList<IList<Hit>> answers = db.QueryBatch(queries, topK, threshold, filter);
    Assert.AreEqual(queries.Length, answers.Count);
    for (int q = 0; q < queries.Length; ++q) {
      IList<Hit> single = db.Query(queries[q], topK, threshold, filter);
      Assert.AreEqual(single.Count, answers[q].Count, "query " + q);
      for (int i = 0; i < single.Count; ++i) {
        Assert.AreEqual(single[i].Id, answers[q][i].Id, "query " + q + " hit " + i);
        Assert.AreEqual(single[i].Score, answers[q][i].Score, 1e-5, "query " + q + " hit " + i);
        Assert.AreEqual(single[i].Metadata, answers[q][i].Metadata, "query " + q + " hit " + i);
      }
    }
  }

  [Test]
  public void EveryMetricAnswersAsSingleQueries() {
    var random = new Random(5);
    foreach (Metric metric in new[] { Metric.Cosine, Metric.Dot, Metric.L2 }) {
      using (Database db = RandomDatabase(17, metric, 600, random)) {
        float[][] queries = RandomQueries(23, 17, random);
        AssertBatchEqualsSingles(db, queries, 10);
        AssertBatchEqualsSingles(db, queries, 5, filter: "{\"i\": {\"$lt\": 300}}");
        AssertBatchEqualsSingles(db, new[] { queries[0] }, 3);
        foreach (IList<Hit> hits in db.QueryBatch(queries, 4)) Assert.AreEqual(4, hits.Count);
      }
    }
  }

  [Test]
  public void ThresholdsApplyToEveryQuery() {
    var random = new Random(6);
    using (Database db = RandomDatabase(8, Metric.Dot, 300, random)) {
      AssertBatchEqualsSingles(db, RandomQueries(9, 8, random), 50, threshold: 0.5f);
    }
  }

  [Test]
  public void AnEmptyBatchHasNoAnswers() {
    using (Database db = Support.Memory(3)) {
      CollectionAssert.IsEmpty(db.QueryBatch(new float[0][], 5));
    }
  }

  [Test]
  public void BadBatchesAreRefusedNamingTheQuery() {
    using (Database db = Support.Memory(3)) {
      db.Upsert(new Record("a", new float[] { 1, 0, 0 }, null));
      var nan = new[] { new float[] { 1, 0, 0 }, new float[] { 0, 1, 0 }, new float[] { 0, float.NaN, 1 } };
      StringAssert.Contains("query 2", Support.AssertStatus(Status.Vector, () => db.QueryBatch(nan, 1)).Message);
      var zero = new[] { new float[] { 0, 0, 0 }, new float[] { 1, 0, 0 } };
      StringAssert.Contains("query 0", Support.AssertStatus(Status.Vector, () => db.QueryBatch(zero, 1)).Message);
      var shortOne = new[] { new float[] { 1, 0, 0 }, new float[] { 1, 0 } };
      StringAssert.Contains("query 1", Support.AssertStatus(Status.Dimension, () => db.QueryBatch(shortOne, 1)).Message);
      Assert.Throws<ArgumentNullException>(() => db.QueryBatch(new[] { new float[] { 1, 0, 0 }, null }, 1));
      Assert.Throws<ArgumentNullException>(() => db.QueryBatch(null, 1));
      Support.AssertStatus(Status.InvalidArgument, () => db.QueryBatch(new[] { new float[] { 1, 0, 0 } }, -1));
      Support.AssertStatus(Status.Filter, () => db.QueryBatch(new[] { new float[] { 1, 0, 0 } }, 1, filter: "{\"$x\": 1}"));
    }
  }
}

}
