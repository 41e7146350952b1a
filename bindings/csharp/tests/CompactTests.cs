using System;
using System.Collections.Generic;
using System.IO;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>
/// Compact element types: chosen in OpenOptions, kept by stores, and
/// answers that are float32's exactly (hits, scores, stored vectors).
/// </summary>
[TestFixture]
public class CompactTests {
  static float[][] Vectors(int n, int dim) {
    var random = new Random(17);
    var rows = new float[n][];
    for (int i = 0; i < n; ++i) rows[i] = Support.RandomVector(random, dim);
    return rows;
  }

  static Database Load(string locator, ElementType type, float[][] rows) {
    var db = new Database(locator, new OpenOptions { Dim = rows[0].Length, Metric = Metric.L2, ElementType = type });
    var records = new List<Record>();
    for (int i = 0; i < rows.Length; ++i) records.Add(new Record("r" + i, rows[i]));
    db.Upsert(records);
    return db;
  }

  [TestCase(ElementType.Float16)]
  [TestCase(ElementType.BFloat16)]
  [TestCase(ElementType.Int8)]
  public void CompactScansGiveFloat32AnswersAndOriginals(ElementType type) {
    float[][] rows = Vectors(2000, 48);
    using (var compact = Load(":memory:", type, rows))
    using (var exact = Load(":memory:", ElementType.Float32, rows)) {
      Assert.AreEqual(type, compact.ElementType);
      Assert.AreEqual(ElementType.Float32, exact.ElementType);
      for (int q = 0; q < 20; ++q) {
        IList<Hit> got = compact.Query(rows[q * 7], topK: 5), want = exact.Query(rows[q * 7], topK: 5);
        Assert.AreEqual(want.Count, got.Count);
        for (int i = 0; i < want.Count; ++i) {
          Assert.AreEqual(want[i].Id, got[i].Id);
          Assert.AreEqual(want[i].Score, got[i].Score);  // exact, not approximate
        }
      }
      CollectionAssert.AreEqual(rows[11], compact.Get("r11")[0].Vector);
      StringAssert.Contains("\"element_type\":\"" + type.ToString().ToLowerInvariant() + "\"", compact.Info);
    }
  }

  [Test]
  public void StoresKeepTheirElementTypeAndRefuseAnother() {
    string dir = Support.TempDir("compact");
    try {
      string file = Path.Combine(dir, "compact.nvdb");
      float[][] rows = Vectors(100, 8);
      using (var db = Load(file, ElementType.Int8, rows)) Assert.AreEqual(ElementType.Int8, db.ElementType);
      using (var db = new Database(file)) {
        Assert.AreEqual(ElementType.Int8, db.ElementType);
        Assert.AreEqual(100, db.Count);
      }
      using (var db = new Database(file, new OpenOptions { Mode = OpenMode.Read, ElementType = ElementType.Int8 }))
        Assert.AreEqual("r3", db.Query(rows[3], topK: 1)[0].Id);
      var e = Support.AssertStatus(Status.Mismatch,
          () => new Database(file, new OpenOptions { Mode = OpenMode.Read, ElementType = ElementType.Float16 }));
      StringAssert.Contains("int8", e.Message);
    } finally {
      Directory.Delete(dir, true);
    }
  }

  [Test]
  public void JsonFilesAreFloat32Only() {
    string dir = Support.TempDir("compact-json");
    try {
      string json = Path.Combine(dir, "a.json");
      Support.AssertStatus(Status.Mismatch,
          () => new Database(json, new OpenOptions { Dim = 4, ElementType = ElementType.BFloat16 }));
      Assert.IsFalse(File.Exists(json));
      using (var db = new Database(json, 4)) Assert.AreEqual(ElementType.Float32, db.ElementType);
    } finally {
      Directory.Delete(dir, true);
    }
  }
}

}
