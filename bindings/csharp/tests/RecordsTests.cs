using System;
using System.Collections.Generic;
using System.IO;
using System.Json;
using System.Security.Cryptography;
using System.Text;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>CONTRACT §1: upsert, get, delete, count, additional data, metrics, files.</summary>
[TestFixture]
public class RecordsTests {
  static readonly float[] A = { 1, 0, 0, 0 };
  static readonly float[] B = { 0, 1, 0, 0 };
  static readonly float[] C = { 0, 0, 3, 4 };

  [Test]
  public void UpsertReportsInsertedThenUpdatedIds() {
    using (var db = Support.Memory(4)) {
      UpsertReport first = db.Upsert(new Record("a", A), new Record("b", B));
      CollectionAssert.AreEqual(new[] { "a", "b" }, first.Inserted);
      CollectionAssert.IsEmpty(first.Updated);

      UpsertReport second = db.Upsert(new Record("b", C), new Record("c", C));
      CollectionAssert.AreEqual(new[] { "b" }, second.Updated);
      CollectionAssert.AreEqual(new[] { "c" }, second.Inserted);
      Assert.AreEqual(3, db.Count);
    }
  }

  [Test]
  public void EmptyUpsertChangesNothingAndStillReports() {
    using (var db = Support.Memory(4)) {
      UpsertReport report = db.Upsert(new Record[0]);
      CollectionAssert.IsEmpty(report.Inserted);
      CollectionAssert.IsEmpty(report.Updated);
      Assert.AreEqual(0, db.Count);
    }
  }

  [Test]
  public void RepeatedIdInOneBatchLastOneWinsAndIsReportedOnce() {
    using (var db = Support.Memory(4)) {
      UpsertReport report = db.Upsert(new Record("x", A, "{\"n\":1}"), new Record("x", C, "{\"n\":2}"));
      CollectionAssert.AreEqual(new[] { "x" }, report.Inserted);
      Record x = db.Get("x")[0];
      Assert.AreEqual("{\"n\":2}", x.Metadata);
      Assert.That(x.Vector, Is.EqualTo(new[] { 0f, 0f, 0.6f, 0.8f }).Within(1e-6));
    }
  }

  [Test]
  public void UpdateReplacesVectorAndWholeMetadata() {
    using (var db = Support.Memory(4)) {
      db.Upsert("a", A, "{\"old\":true,\"keep\":1}");
      db.Upsert("a", B, "{\"new\":true}");
      Record a = db.Get("a")[0];
      Assert.AreEqual("{\"new\":true}", a.Metadata);
      Assert.That(a.Vector, Is.EqualTo(B).Within(1e-6));
      Assert.AreEqual(1, db.Count);
    }
  }

  [Test]
  public void GeneratedIdIsTheMd5OfTheFloat32VectorAsGiven() {
    var vector = new[] { 1.5f, -2.25f, 3f, 0.1f };
    using (var db = Support.Memory(4)) {
      UpsertReport report = db.Upsert(null, vector, "{\"auto\":true}");
      Assert.AreEqual(Md5Hex(vector), report.Inserted[0]);
      Assert.AreEqual("{\"auto\":true}", db.Get(report.Inserted[0])[0].Metadata);
    }
  }

  [Test]
  public void GetReturnsTheOrderAskedSkipsUnknownAndRepeats() {
    using (var db = Support.Memory(4)) {
      db.Upsert(new Record("a", A), new Record("b", B), new Record("c", C));
      CollectionAssert.AreEqual(new[] { "c", "a", "c" }, Support.Ids(db.Get("c", "missing", "a", "c")));
      CollectionAssert.IsEmpty(db.Get("missing"));
      CollectionAssert.IsEmpty(db.Get(new string[0]));
    }
  }

  [Test]
  public void StoredVectorsAreNormalisedUnderCosineAndKeptUnderDot() {
    using (var cosine = Support.Memory(4))
    using (var dot = Support.Memory(4, Metric.Dot)) {
      cosine.Upsert("c", C);
      dot.Upsert("c", C);
      Assert.That(cosine.Get("c")[0].Vector, Is.EqualTo(new[] { 0f, 0f, 0.6f, 0.8f }).Within(1e-6));
      Assert.That(dot.Get("c")[0].Vector, Is.EqualTo(C));
    }
  }

  [Test]
  public void MetadataRoundTripsExactly() {
    const string metadata = "{\"z\":1,\"a\":\"café ☕ 🚀 \\u0001 \\\"q\\\"\",\"big\":18446744073709551616,"
        + "\"neg_zero\":-0.0,\"tiny\":1e-07,\"huge\":1.5e+300,\"nested\":{\"l\":[1,2.5,null,true,{}]},"
        + "\"名称\":\"值\",\"empty\":\"\"}";
    using (var db = Support.Memory(4)) {
      db.Upsert("文档-é", A, metadata);
      Record record = db.Get("文档-é")[0];
      Assert.AreEqual("文档-é", record.Id);
      Assert.AreEqual(metadata, record.Metadata);
      Assert.AreEqual(metadata, db.Query(A, 1)[0].Metadata);
    }
  }

  [Test]
  public void MissingMetadataIsAnEmptyObject() {
    using (var db = Support.Memory(4)) {
      db.Upsert("a", A);
      Assert.AreEqual("{}", db.Get("a")[0].Metadata);
    }
  }

  [Test]
  public void DeleteSaysHowManyWereRemoved() {
    using (var db = Support.Memory(4)) {
      db.Upsert(new Record("a", A), new Record("b", B), new Record("c", C));
      Assert.AreEqual(2, db.Delete("a", "missing", "c"));
      Assert.AreEqual(1, db.Count);
      CollectionAssert.IsEmpty(db.Get("a", "c"));
      Assert.AreEqual(0, db.Delete("a"));
      CollectionAssert.AreEqual(new[] { "b" }, Support.Ids(db.Query(B)));
    }
  }

  [Test]
  public void BatchesOfAThousandRecords() {
    var random = new Random(7);
    var records = new List<Record>();
    var ids = new List<string>();
    for (int i = 0; i < 1000; ++i) {
      ids.Add("id-" + i);
      records.Add(new Record(ids[i], Support.RandomVector(random, 16), "{\"i\":" + i + "}"));
    }
    using (var db = Support.Memory(16)) {
      Assert.AreEqual(1000, db.Upsert(records).Inserted.Count);
      Assert.AreEqual(1000, db.Count);
      IList<Record> all = db.Get(ids);
      CollectionAssert.AreEqual(ids, Support.Ids(all));
      Assert.AreEqual("{\"i\":999}", all[999].Metadata);
      Assert.AreEqual(500, db.Delete(ids.GetRange(0, 500)));
      Assert.AreEqual(500, db.Count);
      Assert.AreEqual(500, db.Upsert(records).Updated.Count);
    }
  }

  [Test]
  public void AdditionalDataIsAnEmptyObjectUntilSetThenReplacedWhole() {
    using (var db = Support.Memory(4)) {
      Assert.AreEqual("{}", db.AdditionalData);
      db.AdditionalData = "{\"model\":\"m-ü\",\"params\":{\"chunk\":512}}";
      Assert.AreEqual("{\"model\":\"m-ü\",\"params\":{\"chunk\":512}}", db.AdditionalData);
      db.AdditionalData = "{\"other\":1}";
      Assert.AreEqual("{\"other\":1}", db.AdditionalData);
    }
  }

  [Test]
  public void DotAndL2ScoresAreHigherForBetterMatches() {
    using (var dot = Support.Memory(4, Metric.Dot))
    using (var l2 = Support.Memory(4, Metric.L2)) {
      foreach (Database db in new[] { dot, l2 }) {
        db.Upsert(new Record("a", A), new Record("c", C));
      }
      var q = new[] { 0f, 0f, 1f, 1f };
      IList<Hit> byDot = dot.Query(q);
      CollectionAssert.AreEqual(new[] { "c", "a" }, Support.Ids(byDot));
      Assert.AreEqual(7f, byDot[0].Score, 1e-5);
      Assert.AreEqual(0f, byDot[1].Score, 1e-5);

      IList<Hit> byL2 = l2.Query(q);  // minus the Euclidean distance: a is nearer
      CollectionAssert.AreEqual(new[] { "a", "c" }, Support.Ids(byL2));
      Assert.AreEqual(-Math.Sqrt(3), byL2[0].Score, 1e-5);
      Assert.AreEqual(-Math.Sqrt(4 + 9), byL2[1].Score, 1e-5);
      Assert.AreEqual(Metric.Dot, dot.Metric);
      Assert.AreEqual(Metric.L2, l2.Metric);
    }
  }

  [Test]
  public void InfoDescribesTheDatabase() {
    using (var db = Support.Memory(4)) {
      db.Upsert("a", A);
      var info = (JsonObject)JsonValue.Parse(db.Info);
      Assert.AreEqual(4, (int)info["dim"]);
      Assert.AreEqual("cosine", (string)info["metric"]);
      Assert.AreEqual(1, (int)info["count"]);
      Assert.AreEqual("memory", (string)info["storage"]);
      Assert.AreEqual(4, db.Dim);
      Assert.AreEqual(Metric.Cosine, db.Metric);
    }
  }

  [Test]
  public void CopyFromTakesRecordsAndAdditionalData() {
    using (var source = Support.Memory(4))
    using (var target = Support.Memory(4)) {
      source.Upsert(new Record("a", A, "{\"s\":1}"), new Record("b", B));
      source.AdditionalData = "{\"from\":\"source\"}";
      target.Upsert("t", C);
      target.CopyFrom(source);
      Assert.AreEqual(3, target.Count);
      Assert.AreEqual("{\"s\":1}", target.Get("a")[0].Metadata);
      Assert.AreEqual("{\"from\":\"source\"}", target.AdditionalData);
      using (var other = Support.Memory(8)) {
        Support.AssertStatus(Status.Mismatch, () => other.CopyFrom(source));
      }
    }
  }

  [Test]
  public void JsonFileIsWrittenBySaveAndByDisposeAndReadBack() {
    string dir = Support.TempDir("json");
    try {
      string path = Path.Combine(dir, "albums.json");
      using (var db = new Database(path, 4)) {
        db.Upsert("a", A, "{\"n\":1}");
        db.Save();
        Assert.IsTrue(File.Exists(path));
        db.Upsert("b", B);
        db.AdditionalData = "{\"saved\":true}";
      }
      using (var db = new Database(path, new OpenOptions { Mode = OpenMode.Read })) {
        Assert.AreEqual(2, db.Count);
        Assert.AreEqual("{\"n\":1}", db.Get("a")[0].Metadata);
        Assert.AreEqual("{\"saved\":true}", db.AdditionalData);
        Support.AssertStatus(Status.ReadOnly, () => db.Save());
      }
    } finally {
      Directory.Delete(dir, true);
    }
  }

  static string Md5Hex(float[] vector) {
    var bytes = new byte[vector.Length * 4];
    Buffer.BlockCopy(vector, 0, bytes, 0, bytes.Length);  // little-endian on this machine
    Assert.IsTrue(BitConverter.IsLittleEndian);
    using (MD5 md5 = MD5.Create()) {
      var hex = new StringBuilder();
      foreach (byte b in md5.ComputeHash(bytes)) hex.Append(b.ToString("x2"));
      return hex.ToString();
    }
  }
}

}
