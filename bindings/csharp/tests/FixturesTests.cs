using System;
using System.Collections.Generic;
using System.IO;
using System.Json;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>
/// CONTRACT §5: nano-vectordb files written by the Python package give the
/// answers it gave (tests/fixtures/NAME.expected.json), opened directly, imported
/// into another database, and after an export/reopen round trip.
/// </summary>
[TestFixture]
public class FixturesTests {
  const double ScoreTolerance = 1e-5;

  static JsonObject Expected(string fixture) {
    string path = Path.Combine(Support.FixturesDir, fixture + ".expected.json");
    return (JsonObject)JsonValue.Parse(File.ReadAllText(path));
  }

  static string DbFile(string fixture) {
    return Path.Combine(Support.FixturesDir, fixture + ".db.json");
  }

  [TestCase("a_small")]
  [TestCase("b_autoid")]
  public void OpenedReadOnlyGivesNanoVectordbsAnswers(string fixture) {
    using (var db = new Database(DbFile(fixture), new OpenOptions { Mode = OpenMode.Read })) {
      CheckAnswers(db, Expected(fixture));
    }
  }

  [TestCase("a_small")]
  [TestCase("b_autoid")]
  public void ImportedGivesNanoVectordbsAnswers(string fixture) {
    JsonObject expected = Expected(fixture);
    using (var db = Support.Memory((int)expected["embedding_dim"])) {
      db.ImportJson(DbFile(fixture));
      CheckAnswers(db, expected);
    }
  }

  [TestCase("a_small")]
  [TestCase("b_autoid")]
  public void ExportedAndReopenedGivesTheSameAnswers(string fixture) {
    string dir = Support.TempDir("export");
    try {
      string path = Path.Combine(dir, fixture + ".json");
      using (var db = new Database(DbFile(fixture), new OpenOptions { Mode = OpenMode.Read })) {
        db.ExportJson(path);
      }
      using (var db = new Database(path, new OpenOptions { Mode = OpenMode.Read })) {
        CheckAnswers(db, Expected(fixture));
      }
    } finally {
      Directory.Delete(dir, true);
    }
  }

  [Test]
  public void AutoIdsAreTheMd5OfTheInputVectors() {
    JsonObject expected = Expected("b_autoid");
    JsonValue inputs = expected["auto_ids"]["inputs"];
    var records = new List<Record>();
    var ids = new List<string>();
    for (int i = 0; i < inputs.Count; ++i) {
      records.Add(new Record(null, Support.Floats(inputs[i]["vector_f32"])));
      ids.Add((string)inputs[i]["md5_id"]);
    }
    using (var db = Support.Memory(16))
    using (var file = new Database(DbFile("b_autoid"), new OpenOptions { Mode = OpenMode.Read })) {
      CollectionAssert.AreEqual(ids, db.Upsert(records).Inserted);
      // The stored (normalised) vectors equal those of the Python-written file.
      IList<Record> mine = db.Get(ids), theirs = file.Get(ids);
      for (int i = 0; i < ids.Count; ++i) {
        Assert.That(mine[i].Vector, Is.EqualTo(theirs[i].Vector).Within(1e-6), ids[i]);
      }
    }
  }

  [Test]
  public void AnEmptyFileHasNoRecordsButItsAdditionalData() {
    JsonObject expected = Expected("e_empty");
    using (var db = new Database(DbFile("e_empty"), new OpenOptions { Mode = OpenMode.Read })) {
      Assert.AreEqual(0, db.Count);
      Assert.AreEqual((int)expected["embedding_dim"], db.Dim);
      Support.AssertJsonEqual(expected["additional_data"], JsonValue.Parse(db.AdditionalData));
    }
  }

  [Test]
  public void NumericIdsThatCollideWithStringIdsAreRefused() {
    using (var db = Support.Memory(8)) {
      var e = Support.AssertStatus(Status.Id, () => db.ImportJson(DbFile("f_int_ids")));
      StringAssert.Contains("3", e.Message);
      Assert.AreEqual(0, db.Count);
    }
  }

  static void CheckAnswers(Database db, JsonObject expected) {
    Assert.AreEqual((int)expected["embedding_dim"], db.Dim);
    Assert.AreEqual(Metric.Cosine, db.Metric);
    Assert.AreEqual((int)expected["len"], db.Count);
    Support.AssertJsonEqual(expected["additional_data"], JsonValue.Parse(db.AdditionalData));

    JsonValue queries = expected["queries"];
    Assert.AreEqual(10, queries.Count);
    for (int i = 0; i < queries.Count; ++i) {
      JsonValue q = queries[i];
      CheckHits(q, db.Query(Support.Floats(q["vector"]), (int)q["top_k"]), "query " + i);
    }

    JsonValue t = expected["threshold_query"];
    CheckHits(t, db.Query(Support.Floats(t["vector"]), (int)t["top_k"],
                          (float)(double)t["better_than_threshold"]), "threshold query");

    // nano-vectordb's filter_lambda d.get(field) == value, as a declarative filter.
    JsonValue f = expected["filtered_query"];
    var filter = new JsonObject();
    filter[(string)f["filter"]["field"]] = f["filter"]["equals"];
    CheckHits(f, db.Query(Support.Floats(f["vector"]), (int)f["top_k"], filter: filter.ToString()),
              "filtered query");

    CheckGet(db, expected["get"]);
  }

  static void CheckHits(JsonValue expected, IList<Hit> hits, string what) {
    CollectionAssert.AreEqual(Support.Strings(expected["ids"]), Support.Ids(hits), what);
    for (int i = 0; i < hits.Count; ++i) {
      Assert.AreEqual((double)expected["scores"][i], hits[i].Score, ScoreTolerance, what + " score " + i);
    }
    if (expected.ContainsKey("records")) {
      for (int i = 0; i < hits.Count; ++i) {
        Support.AssertJsonEqual(WithoutReservedKeys(expected["records"][i]),
                                JsonValue.Parse(hits[i].Metadata), what + " record " + i);
      }
    }
  }

  // nano-vectordb returns storage order; nvdb returns the order asked, which
  // is what is checked here: the asked ids that exist, in the order asked.
  static void CheckGet(Database db, JsonValue expected) {
    var byId = new Dictionary<string, JsonValue>();
    foreach (JsonValue record in expected["results"]) byId[(string)record["__id__"]] = record;
    var wanted = new List<string>();
    foreach (string id in Support.Strings(expected["ids"])) {
      if (byId.ContainsKey(id)) wanted.Add(id);
    }
    IList<Record> records = db.Get(Support.Strings(expected["ids"]));
    CollectionAssert.AreEqual(wanted, Support.Ids(records));
    foreach (Record record in records) {
      Support.AssertJsonEqual(WithoutReservedKeys(byId[record.Id]), JsonValue.Parse(record.Metadata), "get " + record.Id);
      Assert.AreEqual(db.Dim, record.Vector.Length);
    }
  }

  static JsonValue WithoutReservedKeys(JsonValue record) {
    var copy = new JsonObject();
    foreach (KeyValuePair<string, JsonValue> kv in (JsonObject)record) {
      if (kv.Key != "__id__" && kv.Key != "__metrics__") copy[kv.Key] = kv.Value;
    }
    return copy;
  }
}

}
