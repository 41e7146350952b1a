namespace Nvdb {

/// <summary>
/// What <see cref="Database.Verify"/> found: whether the database is sound,
/// and the library's JSON report ({"sound", "generation", "epoch", "rows",
/// "live", ..., "problem_count", "problems": [{"part", "message"}]}; see
/// nvdb_verify in nvdb.h).
/// </summary>
public sealed class Verification {
  /// <summary>True when nothing is wrong; false when the report lists damage.</summary>
  public bool Sound { get; }
  /// <summary>The JSON report.</summary>
  public string Report { get; }

  internal Verification(bool sound, string report) {
    Sound = sound;
    Report = report;
  }

  /// <summary>For debugging: the report.</summary>
  public override string ToString() { return Report; }
}

}
