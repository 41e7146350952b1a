// The C# quick start: create a database in memory, upsert three albums,
// query them with a metadata filter, and read one back.
//
// Build: mcs -r:Nvdb.dll QuickStart.cs   Run: mono QuickStart.exe
// (libnvdb_csharp.so and libnvdb.so.0 next to Nvdb.dll or on LD_LIBRARY_PATH)
using System;
using Nvdb;

static class QuickStart {
  static int Main() {
    // Cosine similarity by default; Dispose (the using block) closes the database.
    using (var db = new Database(":memory:", dim: 4)) {
      UpsertReport report = db.Upsert(
          new Record("kind-of-blue", new[] { 0.9f, 0.1f, 0.0f, 0.2f }, "{\"genre\": \"jazz\", \"year\": 1959}"),
          new Record("a-love-supreme", new[] { 0.8f, 0.3f, 0.1f, 0.1f }, "{\"genre\": \"jazz\", \"year\": 1965}"),
          new Record("nevermind", new[] { 0.1f, 0.9f, 0.8f, 0.0f }, "{\"genre\": \"rock\"}"));
      Console.WriteLine("inserted {0} records", report.Inserted.Count);

      var query = new[] { 1.0f, 0.2f, 0.0f, 0.1f };
      foreach (Hit hit in db.Query(query, topK: 5, filter: "{\"genre\": \"jazz\", \"year\": {\"$lt\": 1960}}")) {
        Console.WriteLine("{0} {1:F3} {2}", hit.Id, hit.Score, hit.Metadata);
      }

      try {
        db.Upsert("bad", new[] { 1.0f, 2.0f });  // wrong dimension: refused, nothing changes
      } catch (NvdbException e) {
        Console.WriteLine("refused ({0}): {1}", e.Status, e.Message);
      }

      Record album = db.Get("nevermind")[0];
      Console.WriteLine("{0} {1} ({2} records)", album.Id, album.Metadata, db.Count);
      return db.Count == 3 ? 0 : 1;
    }
  }
}
