using System;

namespace Nvdb {

/// <summary>How scores are computed. A higher score is better for every metric.</summary>
public enum Metric {
  /// <summary>Cosine when creating; the database's own when opening.</summary>
  Default = 0,
  /// <summary>Cosine similarity in [-1, 1]; vectors are normalised when stored.</summary>
  Cosine = 1,
  /// <summary>Inner product of the vectors as given.</summary>
  Dot = 2,
  /// <summary>Minus the Euclidean distance, -||q - v|| (at most 0).</summary>
  L2 = 3,
}

/// <summary>How to open a database.</summary>
public enum OpenMode {
  /// <summary>Read-write; create the database if it is missing (needs a dimension).</summary>
  Create = 0,
  /// <summary>Read-write; <see cref="Status.NotFound"/> if it is missing.</summary>
  Write = 1,
  /// <summary>Read-only; writes fail with <see cref="Status.ReadOnly"/>.</summary>
  Read = 2,
}

/// <summary>Flags of <see cref="OpenOptions"/>.</summary>
[Flags]
public enum OpenFlags {
  /// <summary>No flag.</summary>
  None = 0,
  /// <summary>Store files: commit without fsync (survives a process crash, not a power loss).</summary>
  NoSync = 1,
}

/// <summary>
/// Options of <see cref="Database(string, OpenOptions)"/>; the defaults open
/// or create with the database's own dimension and metric.
/// </summary>
public sealed class OpenOptions {
  /// <summary>1 to 65536; required to create, 0 accepts any when opening.</summary>
  public int Dim { get; set; }
  /// <summary>The metric to create with, or that the database must have.</summary>
  public Metric Metric { get; set; } = Metric.Default;
  /// <summary>Create (default), Write or Read.</summary>
  public OpenMode Mode { get; set; } = OpenMode.Create;
  /// <summary>Permission bits of a store created by this open (e.g. 0x1A0 for 0640); 0 means 0600.</summary>
  public int Permissions { get; set; }
  /// <summary>NVDB_FLAG_* bits.</summary>
  public OpenFlags Flags { get; set; } = OpenFlags.None;
}

}
