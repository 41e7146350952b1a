// A reader process of a shared store: Reader.exe LOCATOR reads query vectors
// from stdin (numbers separated by spaces, one query per line) and prints the
// top 3 hits of each as "id=score ..." (used by the multi-language test).
using System;
using System.Globalization;
using System.Linq;
using Nvdb;

public static class Reader {
  public static void Main(string[] args) {
    using (var db = new Database(args[0], new OpenOptions { Mode = OpenMode.Read })) {
      for (string line; (line = Console.ReadLine()) != null;) {
        float[] q = line.Trim().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)
                        .Select(x => float.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var hits = db.Query(q, 3).Select(
            h => h.Id + "=" + h.Score.ToString("F6", CultureInfo.InvariantCulture));
        Console.WriteLine(string.Join(" ", hits));
        Console.Out.Flush();
      }
    }
  }
}
