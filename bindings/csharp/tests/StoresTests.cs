using System;
using System.Diagnostics;
using System.IO;
using System.Json;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>
/// Shared stores, "shm:NAME" and store files: one writer, any number of
/// readers; a reader sees the writer's commits, cannot write (ReadOnly), and
/// a second writer is refused (Busy).
/// </summary>
[TestFixture]
public class StoresTests {
  /// <summary>A unique store locator of one kind, removed on Dispose.</summary>
  sealed class Store : IDisposable {
    public readonly string Locator;
    readonly string shmName, dir;

    public Store(string kind) {
      if (kind == "shm") {
        shmName = Support.UniqueName("store");
        Locator = "shm:" + shmName;
      } else {
        dir = Support.TempDir("store");
        Locator = Path.Combine(dir, "albums.nvdb");
      }
    }

    public void Dispose() {
      if (shmName != null) Support.RemoveShm(shmName);
      if (dir != null) Directory.Delete(dir, true);
    }
  }

  static readonly OpenOptions Reader = new OpenOptions { Mode = OpenMode.Read };
  static readonly float[] A = { 1, 0, 0, 0 };
  static readonly float[] B = { 0, 1, 0, 0 };

  [TestCase("shm")]
  [TestCase("file")]
  public void AReaderSeesTheWritersCommits(string kind) {
    using (var store = new Store(kind))
    using (var writer = new Database(store.Locator, 4))
    using (var reader = new Database(store.Locator, Reader)) {
      Assert.AreEqual(0, reader.Count);
      Assert.AreEqual(4, reader.Dim);

      writer.Upsert("a", A, "{\"n\":1}");
      Assert.AreEqual(1, reader.Count);
      Assert.AreEqual("{\"n\":1}", reader.Get("a")[0].Metadata);
      CollectionAssert.AreEqual(new[] { "a" }, Support.Ids(reader.Query(A)));

      writer.Upsert(new Record("b", B), new Record("a", B, "{\"n\":2}"));
      writer.AdditionalData = "{\"v\":2}";
      Assert.AreEqual(2, reader.Count);
      Assert.AreEqual("{\"n\":2}", reader.Get("a")[0].Metadata);
      Assert.AreEqual("{\"v\":2}", reader.AdditionalData);

      writer.Delete("a");
      CollectionAssert.AreEqual(new[] { "b" }, Support.Ids(reader.Query(A)));

      var info = (JsonObject)JsonValue.Parse(reader.Info);
      Assert.AreEqual(kind, (string)info["storage"]);
      Assert.IsTrue((bool)info["read_only"]);
    }
  }

  [Test]
  public void VerifyFindsDamageAndCompactDropsDeadRows() {
    using (var store = new Store("file")) {
      using (var writer = new Database(store.Locator, 4)) {
        for (int i = 0; i < 4; i++) writer.Upsert("r" + i, new float[] { 1, i, 0, 1 });
        writer.Delete("r0");
        Verification found = writer.Verify();
        Assert.IsTrue(found.Sound, found.Report);
        var report = (JsonObject)JsonValue.Parse(found.Report);
        Assert.AreEqual(4, (int)report["rows"]);
        Assert.AreEqual(3, (int)report["live"]);
        writer.Compact();
        var info = (JsonObject)JsonValue.Parse(writer.Info);
        Assert.AreEqual(2, (int)info["generation"]);
        Assert.AreEqual(3, (int)info["rows"]);
        writer.Upsert("r9", new float[] { 0, 0, 1, 0 });
        using (var reader = new Database(store.Locator, Reader)) {
          Assert.AreEqual(4, reader.Count);
          Support.AssertStatus(Status.ReadOnly, () => reader.Compact());
          Assert.IsTrue(reader.Verify().Sound);
        }
      }
      // Row 0's heap offset in generation 2 (dim 4, 1,024 rows: row entries start at 20480).
      using (var data = new FileStream(store.Locator + ".2", FileMode.Open, FileAccess.Write)) {
        data.Seek(20480, SeekOrigin.Begin);
        data.Write(new byte[] { 255, 255, 255, 255, 255, 255, 255, 255 }, 0, 8);
      }
      using (var reader = new Database(store.Locator, Reader)) {
        Verification found = reader.Verify();
        Assert.IsFalse(found.Sound);
        StringAssert.Contains("row 0: its id and metadata lie outside the heap", found.Report);
      }
    }
  }

  [TestCase("shm")]
  [TestCase("file")]
  public void AReadersWritesFailWithReadOnly(string kind) {
    using (var store = new Store(kind)) {
      using (var writer = new Database(store.Locator, 4)) writer.Upsert("a", A);
      using (var reader = new Database(store.Locator, Reader)) {
        Support.AssertStatus(Status.ReadOnly, () => reader.Upsert("b", B));
        Support.AssertStatus(Status.ReadOnly, () => reader.Delete("a"));
        Support.AssertStatus(Status.ReadOnly, () => reader.AdditionalData = "{}");
        Support.AssertStatus(Status.ReadOnly, () => reader.ImportJson(Path.Combine(Support.FixturesDir, "e_empty.db.json")));
        Assert.AreEqual(1, reader.Count);
      }
    }
  }

  [TestCase("shm")]
  [TestCase("file")]
  public void ASecondWriterIsBusyUntilTheFirstCloses(string kind) {
    using (var store = new Store(kind)) {
      using (var writer = new Database(store.Locator, 4)) {
        writer.Upsert("a", A);
        Support.AssertStatus(Status.Busy, () => new Database(store.Locator, 4));
        Support.AssertStatus(Status.Busy, () => new Database(store.Locator, new OpenOptions { Mode = OpenMode.Write }));
      }
      using (var second = new Database(store.Locator, new OpenOptions { Mode = OpenMode.Write })) {
        Assert.AreEqual(1, second.Count);
        second.Upsert("b", B);
      }
      using (var reader = new Database(store.Locator, Reader)) Assert.AreEqual(2, reader.Count);
    }
  }

  [TestCase("shm")]
  [TestCase("file")]
  public void OpeningWithAnotherDimensionOrMetricIsAMismatch(string kind) {
    using (var store = new Store(kind)) {
      using (new Database(store.Locator, 4)) {}
      Support.AssertStatus(Status.Mismatch, () => new Database(store.Locator, new OpenOptions { Dim = 8, Mode = OpenMode.Read }));
      Support.AssertStatus(Status.Mismatch, () => new Database(store.Locator, new OpenOptions { Metric = Metric.Dot, Mode = OpenMode.Read }));
    }
  }

  [Test]
  public void AStoreFileKeepsItsCommitsAfterClose() {
    using (var store = new Store("file")) {
      using (var writer = new Database(store.Locator, new OpenOptions { Dim = 4, Metric = Metric.L2, Flags = OpenFlags.NoSync })) {
        writer.Upsert("a", A, "{\"kept\":true}");
      }
      using (var reader = new Database(store.Locator, Reader)) {
        Assert.AreEqual(Metric.L2, reader.Metric);
        Assert.AreEqual("{\"kept\":true}", reader.Get("a")[0].Metadata);
      }
    }
  }

  // Save flushes the commits of a NoSync store file, so that a power loss
  // keeps them: Info's durable_epoch reaches the epoch, and stays there when
  // the store is reopened.
  [Test]
  public void SaveMakesTheCommitsOfANoSyncStoreFileDurable() {
    using (var store = new Store("file")) {
      using (var writer = new Database(store.Locator, new OpenOptions { Dim = 2, Flags = OpenFlags.NoSync })) {
        writer.Upsert("a", new float[] { 1, 0 });
        string info = writer.Info;
        Assert.Less(InfoNumber(info, "durable_epoch"), InfoNumber(info, "epoch"), info);
        writer.Save();
        info = writer.Info;
        Assert.AreEqual(InfoNumber(info, "epoch"), InfoNumber(info, "durable_epoch"), info);
      }
      using (var reader = new Database(store.Locator, Reader)) {
        string info = reader.Info;
        Assert.AreEqual(InfoNumber(info, "epoch"), InfoNumber(info, "durable_epoch"), info);
      }
    }
  }

  static long InfoNumber(string info, string field) {
    return (long)((JsonObject)JsonValue.Parse(info))[field];
  }

  [Test]
  public void MissingStoresAreNotFoundForReadAndWrite() {
    using (var store = new Store("shm")) {
      Support.AssertStatus(Status.NotFound, () => new Database(store.Locator, Reader));
      Support.AssertStatus(Status.NotFound, () => new Database(store.Locator, new OpenOptions { Mode = OpenMode.Write }));
    }
  }

  // Another process, the nvdb command, reads what this one commits, and is
  // refused as a writer while this process holds the store.
  [Test]
  public void AnotherProcessSharesTheStore() {
    string cli = Environment.GetEnvironmentVariable("NVDB_CLI");
    if (string.IsNullOrEmpty(cli)) Assert.Ignore("NVDB_CLI is not set (the nvdb command is not built)");
    using (var store = new Store("shm")) {
      using (var writer = new Database(store.Locator, 4)) {
        writer.Upsert("a", A, "{\"from\":\"csharp\"}");
        string got = Run(cli, 0, "get", store.Locator, "a");
        StringAssert.Contains("\"from\":\"csharp\"", got.Replace(" ", ""));
        Run(cli, 1, "delete", store.Locator, "a");
      }
      Run(cli, 0, "delete", store.Locator, "a");
      using (var reader = new Database(store.Locator, Reader)) Assert.AreEqual(0, reader.Count);
    }
  }

  static string Run(string program, int expectedExit, params string[] args) {
    var start = new ProcessStartInfo(program, string.Join(" ", args)) {
      UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
    };
    using (Process process = Process.Start(start)) {
      string output = process.StandardOutput.ReadToEnd();
      string error = process.StandardError.ReadToEnd();
      process.WaitForExit();
      Assert.AreEqual(expectedExit, process.ExitCode, "nvdb " + string.Join(" ", args) + ": " + error);
      return output;
    }
  }
}

}
