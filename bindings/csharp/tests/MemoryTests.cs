using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>No leaks: many calls keep the resident memory flat.</summary>
[TestFixture]
public class MemoryTests {
  const int Dim = 8;

  static Database Filled() {
    var random = new Random(3);
    var db = Support.Memory(Dim);
    var records = new List<Record>();
    for (int i = 0; i < 200; ++i) {
      records.Add(new Record("r" + i, Support.RandomVector(random, Dim), "{\"i\":" + i + ",\"even\":" + (i % 2 == 0 ? "true" : "false") + "}"));
    }
    db.Upsert(records);
    return db;
  }

  static long SettledRssKb() {
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    return Support.RssKb();
  }

  // Queries of every shape, and one failing call in a hundred (the exception
  // path must free what it allocated too).
  static int Queries(Database db, float[][] vectors, int count) {
    int hits = 0;
    for (int n = 0; n < count; ++n) {
      float[] q = vectors[n % vectors.Length];
      switch (n % 4) {
      case 0: hits += db.Query(q, 5).Count; break;
      case 1: hits += db.Query(q, 5, 0.1f).Count; break;
      case 2: hits += db.Query(q, 5, filter: "{\"even\": true}").Count; break;
      default: hits += db.Get("r" + (n % 200), "missing").Count; break;
      }
      if (n % 100 == 99) {
        try {
          db.Query(new float[Dim + 1]);
        } catch (NvdbException) {
          hits++;
        }
      }
    }
    return hits;
  }

  [Test]
  public void HundredThousandQueriesKeepResidentMemoryFlat() {
    using (Database db = Filled()) {
      var random = new Random(5);
      var vectors = new float[64][];
      for (int i = 0; i < vectors.Length; ++i) vectors[i] = Support.RandomVector(random, Dim);

      Queries(db, vectors, 20000);  // warm-up: JIT, pools, GC heap size
      long before = SettledRssKb();
      int hits = Queries(db, vectors, 100000);
      long after = SettledRssKb();

      Console.WriteLine("VmRSS after warm-up: {0} kB; after 100,000 queries: {1} kB ({2:+0.0;-0.0}%)",
                        before, after, 100.0 * (after - before) / before);
      Assert.Greater(hits, 100000);
      Assert.LessOrEqual(after, before * 1.10, "resident memory grew by more than 10%");
    }
  }

  [Test]
  public void UpsertGetDeleteCyclesKeepResidentMemoryFlat() {
    using (var db = Support.Memory(Dim)) {
      var random = new Random(6);
      Action<int> cycles = count => {
        for (int n = 0; n < count; ++n) {
          string id = "c" + (n % 50);
          db.Upsert(id, Support.RandomVector(random, Dim), "{\"n\":" + n + "}");
          db.Get(id);
          if (n % 2 == 1) db.Delete(id);
          db.AdditionalData = "{\"n\":" + n + "}";
        }
      };
      cycles(5000);
      long before = SettledRssKb();
      cycles(20000);
      long after = SettledRssKb();
      Console.WriteLine("VmRSS after warm-up: {0} kB; after 20,000 write cycles: {1} kB", before, after);
      Assert.LessOrEqual(after, before * 1.10, "resident memory grew by more than 10%");
    }
  }
}

}
