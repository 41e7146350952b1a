using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>After Dispose every call throws ObjectDisposedException; nothing crashes.</summary>
[TestFixture]
public class DisposalTests {
  static readonly float[] A = { 1, 0, 0, 0 };

  [Test]
  public void EveryCallAfterDisposeThrowsObjectDisposedException() {
    var db = Support.Memory(4);
    db.Upsert("a", A);
    db.Dispose();
    Assert.IsTrue(db.IsClosed);
    using (var open = Support.Memory(4)) {
      var calls = new Dictionary<string, TestDelegate> {
        { "Count", () => { long n = db.Count; } },
        { "Info", () => { string s = db.Info; } },
        { "AdditionalData get", () => { string s = db.AdditionalData; } },
        { "AdditionalData set", () => db.AdditionalData = "{}" },
        { "Upsert", () => db.Upsert("b", A) },
        { "Get", () => db.Get("a") },
        { "Delete", () => db.Delete("a") },
        { "Query", () => db.Query(A) },
        { "ImportJson", () => db.ImportJson("x.json") },
        { "ExportJson", () => db.ExportJson("x.json") },
        { "Save", () => db.Save() },
        { "CopyFrom closed", () => open.CopyFrom(db) },
        { "CopyFrom into closed", () => db.CopyFrom(open) },
      };
      foreach (KeyValuePair<string, TestDelegate> call in calls) {
        Assert.Throws<ObjectDisposedException>(call.Value, call.Key);
      }
      Assert.AreEqual(4, db.Dim);  // cached: still answers
    }
  }

  [Test]
  public void DisposingTwiceIsHarmless() {
    var db = Support.Memory(4);
    db.Dispose();
    db.Dispose();
    db.Close();
    Assert.IsTrue(db.IsClosed);
  }

  [Test]
  public void DisposeReleasesAStoreForTheNextWriter() {
    string name = Support.UniqueName("dispose");
    try {
      using (var writer = new Database("shm:" + name, 4)) writer.Upsert("a", A);
      using (var next = new Database("shm:" + name, new OpenOptions { Mode = OpenMode.Write })) {
        Assert.AreEqual(1, next.Count);
      }
    } finally {
      Support.RemoveShm(name);
    }
  }

  [Test]
  public void DisposeWhileOtherThreadsQueryNeverCrashes() {
    var db = Support.Memory(4);
    var random = new Random(1);
    for (int i = 0; i < 500; ++i) db.Upsert("r" + i, Support.RandomVector(random, 4));
    var outcomes = new Exception[4];
    long answered = 0;
    var threads = new List<Thread>();
    for (int t = 0; t < outcomes.Length; ++t) {
      int index = t;
      threads.Add(new Thread(() => {
        try {
          while (true) {
            Assert.AreEqual(10, db.Query(A).Count);
            Interlocked.Increment(ref answered);
          }
        } catch (Exception e) {
          outcomes[index] = e;
        }
      }));
    }
    foreach (Thread thread in threads) thread.Start();
    while (Interlocked.Read(ref answered) < 1000) Thread.Sleep(1);
    db.Dispose();
    foreach (Thread thread in threads) thread.Join();
    foreach (Exception e in outcomes) Assert.IsInstanceOf<ObjectDisposedException>(e, e.ToString());
  }

  [Test]
  public void CloseReportsAFailedSaveOnce() {
    string dir = Support.TempDir("close");
    var db = new Database(Path.Combine(dir, "gone.json"), 4);
    db.Upsert("a", A);
    Directory.Delete(dir, true);  // the save on close cannot write its file
    var e = Assert.Throws<NvdbException>(() => db.Close());
    Assert.AreEqual(Status.IO, e.Status, e.Message);
    StringAssert.Contains("gone.json", e.Message);
    Assert.IsTrue(db.IsClosed);
    db.Dispose();  // already reported: no second exception
  }
}

}
