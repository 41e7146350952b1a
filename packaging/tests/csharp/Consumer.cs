// Uses the installed Nvdb.dll as any C# program would: compiled with
// -r:<prefix>/lib/cli/nvdb/Nvdb.dll and run with MONO_PATH pointing there;
// mono finds libnvdb_csharp.so next to the assembly.
// Usage: mono Consumer.exe EXPECTED_VERSION
using System;
using Nvdb;

public static class Consumer {
  public static int Main(string[] args) {
    if (Database.Version != args[0]) {
      Console.Error.WriteLine($"csharp: libnvdb is version {Database.Version}, expected {args[0]}");
      return 1;
    }
    using (var db = new Database(":memory:", dim: 2)) {
      db.Upsert(new Record("east", new[] { 1f, 0f }), new Record("north", new[] { 0f, 1f }));
      var hits = db.Query(new[] { 0.1f, 0.9f }, topK: 1);
      if (hits.Count != 1 || hits[0].Id != "north") {
        Console.Error.WriteLine("csharp: the query did not find \"north\"");
        return 1;
      }
    }
    Console.WriteLine($"csharp: nvdb {Database.Version} ok");
    return 0;
  }
}
