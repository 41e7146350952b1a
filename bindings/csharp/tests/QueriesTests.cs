using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>CONTRACT §1.5 and §4: top_k, threshold, ties and the declarative filter.</summary>
[TestFixture]
public class QueriesTests {
  Database db;

  [SetUp]
  public void OpenAlbums() {
    db = Support.Memory(3);
    db.Upsert(
        new Record("kind-of-blue", new float[] { 1, 0, 0 }, "{\"genre\":\"jazz\",\"year\":1959,\"label\":{\"name\":\"Columbia\"}}"),
        new Record("a-love-supreme", new float[] { 0.9f, 0.1f, 0 }, "{\"genre\":\"jazz\",\"year\":1965,\"live\":false}"),
        new Record("nevermind", new float[] { 0, 1, 0 }, "{\"genre\":\"rock\",\"year\":1991}"),
        new Record("ok-computer", new float[] { 0, 0.9f, 0.1f }, "{\"genre\":\"rock\",\"year\":1997}"),
        new Record("kid-a", new float[] { 0, 0, 1 }, "{\"genre\":\"electronic\",\"year\":2000,\"tags\":[\"glitch\"]}"));
  }

  [TearDown]
  public void Close() {
    db.Dispose();
  }

  List<string> Ids(string filter, int topK = 10) {
    return Support.Ids(db.Query(new float[] { 1, 0.05f, 0 }, topK, filter: filter));
  }

  [Test]
  public void HitsComeBestFirstWithScoresAndMetadata() {
    IList<Hit> hits = db.Query(new float[] { 1, 0, 0 }, 2);
    CollectionAssert.AreEqual(new[] { "kind-of-blue", "a-love-supreme" }, Support.Ids(hits));
    Assert.AreEqual(1.0f, hits[0].Score, 1e-6);
    Assert.AreEqual(0.9 / Math.Sqrt(0.82), hits[1].Score, 1e-6);
    Assert.AreEqual("{\"genre\":\"jazz\",\"year\":1965,\"live\":false}", hits[1].Metadata);
  }

  [Test]
  public void TopKLimitsTheHits() {
    Assert.AreEqual(5, db.Query(new float[] { 1, 1, 1 }).Count);  // top_k 10 by default
    Assert.AreEqual(3, db.Query(new float[] { 1, 1, 1 }, 3).Count);
    Assert.AreEqual(5, db.Query(new float[] { 1, 1, 1 }, 100).Count);
    CollectionAssert.IsEmpty(db.Query(new float[] { 1, 1, 1 }, 0));
  }

  [Test]
  public void ThresholdKeepsScoresAtLeastThatGood() {
    var q = new float[] { 1, 0.2f, 0 };
    IList<Hit> all = db.Query(q);
    IList<Hit> kept = db.Query(q, threshold: all[2].Score);  // inclusive
    CollectionAssert.AreEqual(Support.Ids(all).GetRange(0, 3), Support.Ids(kept));
    CollectionAssert.IsEmpty(db.Query(q, threshold: 1.01f));
    Assert.AreEqual(5, db.Query(q, threshold: -1f).Count);
  }

  [Test]
  public void TiesAreOrderedById() {
    using (var ties = Support.Memory(2)) {
      foreach (string id in new[] { "b", "c", "a" }) ties.Upsert(id, new float[] { 1, 1 });
      CollectionAssert.AreEqual(new[] { "a", "b", "c" }, Support.Ids(ties.Query(new float[] { 1, 1 })));
    }
  }

  [Test]
  public void FilterOnEqualityAndComparisons() {
    CollectionAssert.AreEqual(new[] { "kind-of-blue", "a-love-supreme" }, Ids("{\"genre\": \"jazz\"}"));
    CollectionAssert.AreEqual(new[] { "kind-of-blue" }, Ids("{\"genre\": \"jazz\", \"year\": {\"$lt\": 1960}}"));
    CollectionAssert.AreEqual(new[] { "a-love-supreme", "nevermind" }, Ids("{\"year\": {\"$gt\": 1960, \"$lte\": 1991}}"));
    CollectionAssert.AreEqual(new[] { "ok-computer", "kid-a" }, Ids("{\"year\": {\"$gte\": 1997}}"));
    CollectionAssert.AreEqual(new[] { "kind-of-blue", "a-love-supreme", "kid-a" }, Ids("{\"genre\": {\"$ne\": \"rock\"}}"));
    CollectionAssert.AreEqual(new[] { "nevermind" }, Ids("{\"year\": {\"$eq\": 1991.0}}"));
  }

  [Test]
  public void FilterOnSetsExistenceAndNestedFields() {
    CollectionAssert.AreEqual(new[] { "nevermind", "ok-computer", "kid-a" }, Ids("{\"genre\": {\"$in\": [\"rock\", \"electronic\"]}}"));
    CollectionAssert.AreEqual(new[] { "kind-of-blue", "a-love-supreme" }, Ids("{\"genre\": {\"$nin\": [\"rock\", \"electronic\"]}}"));
    CollectionAssert.AreEqual(new[] { "a-love-supreme" }, Ids("{\"live\": {\"$exists\": true}}"));
    CollectionAssert.AreEqual(new[] { "kind-of-blue" }, Ids("{\"label.name\": \"Columbia\"}"));
  }

  [Test]
  public void FilterWithLogicalOperators() {
    CollectionAssert.AreEqual(new[] { "kind-of-blue", "kid-a" },
        Ids("{\"$or\": [{\"year\": 1959}, {\"genre\": \"electronic\"}]}"));
    CollectionAssert.AreEqual(new[] { "a-love-supreme" },
        Ids("{\"$and\": [{\"genre\": \"jazz\"}, {\"year\": {\"$gt\": 1960}}]}"));
    CollectionAssert.AreEqual(new[] { "nevermind", "ok-computer", "kid-a" },
        Ids("{\"$not\": {\"genre\": \"jazz\"}}"));
  }

  [Test]
  public void FilterTopKAndThresholdCombine() {
    CollectionAssert.AreEqual(new[] { "nevermind" }, Ids("{\"genre\": \"rock\"}", 1));
    IList<Hit> hits = db.Query(new float[] { 0, 1, 0 }, 10, 0.5f, "{\"genre\": \"rock\"}");
    CollectionAssert.AreEqual(new[] { "nevermind", "ok-computer" }, Support.Ids(hits));
  }

  [Test]
  public void AFilterMatchingNothingGivesNoHits() {
    CollectionAssert.IsEmpty(Ids("{\"genre\": \"polka\"}"));
    using (var empty = Support.Memory(3)) {
      CollectionAssert.IsEmpty(empty.Query(new float[] { 1, 0, 0 }));
      CollectionAssert.IsEmpty(empty.Query(new float[] { 1, 0, 0 }, filter: "{\"a\": 1}"));
    }
  }

  [Test]
  public void TheQueryVectorIsNotModified() {
    var q = new float[] { 3, 4, 0 };
    db.Query(q);
    CollectionAssert.AreEqual(new float[] { 3, 4, 0 }, q);
  }
}

}
