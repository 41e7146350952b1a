using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Json;
using System.Threading;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>Helpers shared by the test fixtures.</summary>
static class Support {
  static int counter;

  /// <summary>A new private database.</summary>
  public static Database Memory(int dim, Metric metric = Metric.Cosine) {
    return new Database(":memory:", new OpenOptions { Dim = dim, Metric = metric });
  }

  /// <summary>A name no other test process uses: shm names and temp files include the pid.</summary>
  public static string UniqueName(string tag) {
    return "cs-" + Process.GetCurrentProcess().Id + "-" + tag + "-" + Interlocked.Increment(ref counter);
  }

  /// <summary>Removes the objects of store shm:NAME (/dev/shm/nvdb-NAME and nvdb-NAME.G).</summary>
  public static void RemoveShm(string name) {
    foreach (string pattern in new[] { "nvdb-" + name, "nvdb-" + name + ".*" }) {
      foreach (string file in Directory.GetFiles("/dev/shm", pattern)) File.Delete(file);
    }
  }

  /// <summary>A new empty directory under the temp directory.</summary>
  public static string TempDir(string tag) {
    string dir = Path.Combine(Path.GetTempPath(), UniqueName(tag));
    Directory.CreateDirectory(dir);
    return dir;
  }

  /// <summary>The folder of the nano-vectordb fixtures (set by CTest).</summary>
  public static string FixturesDir {
    get {
      string dir = Environment.GetEnvironmentVariable("NVDB_FIXTURES");
      Assert.IsNotNull(dir, "NVDB_FIXTURES is not set (run the tests with ctest)");
      return dir;
    }
  }

  public static float[] RandomVector(Random random, int dim) {
    var v = new float[dim];
    for (int i = 0; i < dim; ++i) v[i] = (float)(random.NextDouble() * 2 - 1);
    return v;
  }

  public static float[] Normalised(float[] v) {
    double norm = 0;
    foreach (float x in v) norm += (double)x * x;
    norm = Math.Sqrt(norm);
    var n = new float[v.Length];
    for (int i = 0; i < v.Length; ++i) n[i] = (float)(v[i] / norm);
    return n;
  }

  public static float[] Floats(JsonValue array) {
    var v = new float[array.Count];
    for (int i = 0; i < v.Length; ++i) v[i] = (float)(double)array[i];
    return v;
  }

  public static List<string> Strings(JsonValue array) {
    var list = new List<string>();
    for (int i = 0; i < array.Count; ++i) list.Add((string)array[i]);
    return list;
  }

  public static List<string> Ids(IEnumerable<Hit> hits) {
    var ids = new List<string>();
    foreach (Hit hit in hits) ids.Add(hit.Id);
    return ids;
  }

  public static List<string> Ids(IEnumerable<Record> records) {
    var ids = new List<string>();
    foreach (Record record in records) ids.Add(record.Id);
    return ids;
  }

  /// <summary>The process's resident set size in kB (VmRSS of /proc/self/status).</summary>
  public static long RssKb() {
    foreach (string line in File.ReadAllLines("/proc/self/status")) {
      if (line.StartsWith("VmRSS:")) {
        return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
      }
    }
    throw new InvalidOperationException("no VmRSS in /proc/self/status");
  }

  /// <summary>Asserts that a call throws NvdbException with this status, and returns it.</summary>
  public static NvdbException AssertStatus(Status status, TestDelegate call) {
    var e = Assert.Throws<NvdbException>(call);
    Assert.AreEqual(status, e.Status, e.Message);
    Assert.IsNotEmpty(e.Message);
    return e;
  }

  /// <summary>
  /// Compares two JSON values structurally (object key order aside); numbers
  /// compare by the text the parser makes of them, so 9007199254740993 and
  /// -0.0 must survive exactly.
  /// </summary>
  public static void AssertJsonEqual(JsonValue expected, JsonValue actual, string path = "$") {
    if (expected == null || actual == null) {
      Assert.IsTrue(expected == null && actual == null, path + ": null vs non-null");
      return;
    }
    Assert.AreEqual(expected.JsonType, actual.JsonType, path);
    switch (expected.JsonType) {
    case JsonType.Object:
      var eo = (JsonObject)expected;
      var ao = (JsonObject)actual;
      Assert.AreEqual(eo.Count, ao.Count, path + ": key count");
      foreach (KeyValuePair<string, JsonValue> kv in eo) {
        Assert.IsTrue(ao.ContainsKey(kv.Key), path + ": missing key " + kv.Key);
        AssertJsonEqual(kv.Value, ao[kv.Key], path + "." + kv.Key);
      }
      break;
    case JsonType.Array:
      Assert.AreEqual(expected.Count, actual.Count, path + ": length");
      for (int i = 0; i < expected.Count; ++i) {
        AssertJsonEqual(expected[i], actual[i], path + "[" + i + "]");
      }
      break;
    default:
      Assert.AreEqual(expected.ToString(), actual.ToString(), path);
      break;
    }
  }

  public static void AssertJsonEqual(string expected, string actual) {
    AssertJsonEqual(JsonValue.Parse(expected), JsonValue.Parse(actual));
  }
}

}
