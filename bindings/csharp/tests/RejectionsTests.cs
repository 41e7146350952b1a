using System;
using System.IO;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>
/// CONTRACT §1.7: every refusal throws NvdbException with the C status code,
/// and the database is unchanged afterwards.
/// </summary>
[TestFixture]
public class RejectionsTests {
  static readonly float[] Kept = { 1, 2, 3, 4 };
  const string KeptMetadata = "{\"v\":1}";
  const string KeptAdditional = "{\"a\":1}";
  Database db;

  [SetUp]
  public void OpenWithOneRecord() {
    db = Support.Memory(4);
    db.Upsert("keep", Kept, KeptMetadata);
    db.AdditionalData = KeptAdditional;
  }

  [TearDown]
  public void CheckUnchangedAndClose() {
    try {
      Assert.AreEqual(1, db.Count);
      Record keep = db.Get("keep")[0];
      Assert.AreEqual(KeptMetadata, keep.Metadata);
      Assert.That(keep.Vector, Is.EqualTo(Support.Normalised(Kept)).Within(1e-6));
      Assert.AreEqual(KeptAdditional, db.AdditionalData);
    } finally {
      db.Dispose();
    }
  }

  [Test]
  public void WrongDimensionIsRefused() {
    Support.AssertStatus(Status.Dimension, () => db.Upsert("x", new float[] { 1, 2, 3 }));
    Support.AssertStatus(Status.Dimension, () => db.Upsert("keep", new float[] { 1, 2, 3, 4, 5 }));
    Support.AssertStatus(Status.Dimension, () => db.Upsert("x", new float[0]));
    Support.AssertStatus(Status.Dimension, () => db.Query(new float[] { 1, 2, 3 }));
  }

  [TestCase(float.NaN)]
  [TestCase(float.PositiveInfinity)]
  [TestCase(float.NegativeInfinity)]
  public void NonFiniteComponentsAreRefused(float bad) {
    Support.AssertStatus(Status.Vector, () => db.Upsert("x", new[] { 1, bad, 0, 0 }));
    Support.AssertStatus(Status.Vector, () => db.Upsert("keep", new[] { bad, 1, 0, 0 }));
    Support.AssertStatus(Status.Vector, () => db.Query(new[] { 1, 0, 0, bad }));
  }

  [Test]
  public void ZeroVectorIsRefusedUnderCosine() {
    Support.AssertStatus(Status.Vector, () => db.Upsert("x", new float[4]));
    Support.AssertStatus(Status.Vector, () => db.Query(new float[4]));
  }

  [Test]
  public void InvalidIdsAreRefused() {
    Support.AssertStatus(Status.Id, () => db.Upsert("", Kept));
    Support.AssertStatus(Status.Id, () => db.Upsert(new string('x', 1025), Kept));
    Support.AssertStatus(Status.Id, () => db.Upsert(new string('é', 513), Kept));  // 1026 bytes
    Support.AssertStatus(Status.Id, () => db.Upsert("a\0b", Kept));
    Support.AssertStatus(Status.Id, () => db.Get("a\0b"));
    Support.AssertStatus(Status.Id, () => db.Delete("keep\0"));
  }

  [Test]
  public void LongestIdIsAccepted() {
    using (var other = Support.Memory(4)) {
      string id = new string('é', 512);  // 1024 bytes of UTF-8
      other.Upsert(id, Kept);
      Assert.AreEqual(id, other.Get(id)[0].Id);
    }
  }

  [TestCase("[1, 2]")]
  [TestCase("3")]
  [TestCase("\"text\"")]
  [TestCase("null")]
  [TestCase("not json")]
  [TestCase("{\"a\": }")]
  [TestCase("{\"a\": 1} trailing")]
  [TestCase("{\"a\": 1, \"a\": 2}")]
  [TestCase("{\"a\": 1}\0{\"b\": 2}")]
  public void JsonThatIsNotAnObjectIsRefused(string json) {
    Support.AssertStatus(Status.Json, () => db.Upsert("x", Kept, json));
    Support.AssertStatus(Status.Json, () => db.Upsert("keep", Kept, json));
    Support.AssertStatus(Status.Json, () => db.AdditionalData = json);
  }

  // Keys of nano-vectordb's file format: refused in record metadata only.
  [TestCase("{\"__id__\": \"x\"}")]
  [TestCase("{\"__vector__\": [1]}")]
  [TestCase("{\"a\": 1, \"__metrics__\": 1}")]
  public void MetadataWithAReservedKeyIsRefused(string metadata) {
    Support.AssertStatus(Status.Json, () => db.Upsert("x", Kept, metadata));
    Support.AssertStatus(Status.Json, () => db.Upsert("keep", Kept, metadata));
  }

  [Test]
  public void ABatchIsAppliedWholeOrNotAtAll() {
    var e = Support.AssertStatus(Status.Vector, () => db.Upsert(
        new Record("new", new float[] { 0, 1, 0, 0 }),
        new Record("keep", new float[] { 0, 0, 1, 0 }, "{\"v\":2}"),
        new Record("bad", new float[] { 0, 0, float.NaN, 0 })));
    StringAssert.Contains("record 2", e.Message);
    CollectionAssert.IsEmpty(db.Get("new", "bad"));

    e = Support.AssertStatus(Status.Json, () => db.Upsert(
        new Record("new", new float[] { 0, 1, 0, 0 }), new Record("x", Kept, "[]")));
    StringAssert.Contains("record 1", e.Message);
    Support.AssertStatus(Status.Dimension, () => db.Upsert(
        new Record("new", new float[] { 0, 1, 0, 0 }), new Record("x", new float[] { 1 })));
  }

  [TestCase("not json")]
  [TestCase("[1]")]
  [TestCase("{\"$foo\": 1}")]
  [TestCase("{\"a\": {\"$gt\": }}")]
  [TestCase("{\"a\": {\"$in\": 3}}")]
  [TestCase("{\"$and\": {\"a\": 1}}")]
  [TestCase("{\"a\": 1}\0")]
  public void InvalidFiltersAreRefused(string filter) {
    Support.AssertStatus(Status.Filter, () => db.Query(Kept, filter: filter));
  }

  [Test]
  public void NegativeTopKIsRefused() {
    Support.AssertStatus(Status.InvalidArgument, () => db.Query(Kept, -1));
  }

  [Test]
  public void NullArgumentsThrowArgumentNullException() {
    Assert.Throws<ArgumentNullException>(() => db.Query(null));
    Assert.Throws<ArgumentNullException>(() => db.Upsert("x", null));
    Assert.Throws<ArgumentNullException>(() => db.Upsert((Record)null));
    Assert.Throws<ArgumentNullException>(() => db.Get((string)null));
    Assert.Throws<ArgumentNullException>(() => db.Delete((string[])null));
    Assert.Throws<ArgumentNullException>(() => db.AdditionalData = null);
  }

  [Test]
  public void OpenFailuresCarryTheirStatus() {
    Support.AssertStatus(Status.InvalidArgument, () => new Database(":memory:"));
    Support.AssertStatus(Status.InvalidArgument, () => new Database(":memory:", 65537));
    Support.AssertStatus(Status.InvalidArgument, () => new Database(":memory:", -1));
    Support.AssertStatus(Status.InvalidArgument, () => new Database("shm:bad/name", 4));
    Support.AssertStatus(Status.InvalidArgument, () => new Database(":memory:\0x", 4));
    string dir = Support.TempDir("open");
    try {
      Support.AssertStatus(Status.NotFound, () => new Database(
          Path.Combine(dir, "missing.json"), new OpenOptions { Mode = OpenMode.Write }));
      Support.AssertStatus(Status.NotFound, () => new Database(
          Path.Combine(dir, "missing.store"), new OpenOptions { Mode = OpenMode.Read }));
      string corrupt = Path.Combine(dir, "corrupt.json");
      File.WriteAllText(corrupt, "{\"embedding_dim\": 4, \"data\": [");
      Support.AssertStatus(Status.Corrupt, () => new Database(corrupt));
      Support.AssertStatus(Status.Corrupt, () => db.ImportJson(corrupt));
    } finally {
      Directory.Delete(dir, true);
    }
  }

  [Test]
  public void ImportOfAnotherDimensionIsAMismatch() {
    string path = Path.Combine(Support.FixturesDir, "a_small.db.json");  // dim 8
    Support.AssertStatus(Status.Mismatch, () => db.ImportJson(path));
    Support.AssertStatus(Status.Mismatch, () => new Database(path, new OpenOptions { Dim = 4 }));
  }

  [Test]
  public void ExportOfANonCosineDatabaseIsAMismatch() {
    string dir = Support.TempDir("export");
    try {
      using (var dot = Support.Memory(4, Metric.Dot)) {
        Support.AssertStatus(Status.Mismatch, () => dot.ExportJson(Path.Combine(dir, "dot.json")));
      }
    } finally {
      Directory.Delete(dir, true);
    }
  }
}

}
