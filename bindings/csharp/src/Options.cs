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

/// <summary>
/// What stored vectors are kept as for the scan, chosen when a database is
/// created. Every record keeps its float32 vector too: Get, export and every
/// score are exact float32 values, and only which candidates a query
/// re-scores exactly is approximate. Memory per vector element: float32 4
/// bytes; Float16 and BFloat16 6 (2 scanned); Int8 5 (1 scanned); each
/// compact type adds 8 bytes per record. ".json" files are float32 only.
/// </summary>
public enum ElementType {
  /// <summary>Float32 when creating; the database's own when opening.</summary>
  Default = 0,
  /// <summary>The scan reads the float32 vectors.</summary>
  Float32 = 1,
  /// <summary>IEEE binary16, scaled per vector.</summary>
  Float16 = 2,
  /// <summary>bfloat16, scaled per vector.</summary>
  BFloat16 = 3,
  /// <summary>8-bit integers with a per-vector scale.</summary>
  Int8 = 4,
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
  /// <summary>
  /// Store files: commit without fsync, much faster. A commit survives a
  /// process crash; a power loss goes back to the last commit flushed to
  /// disk ("durable_epoch" in <see cref="Database.Info"/>), never a torn one.
  /// The writer flushes at <see cref="Database.Save"/> and
  /// <see cref="Database.Close"/>, with each new generation, at its first
  /// write a second after the last flush, and as replaced records wait for
  /// their rows to be reused (nvdb.h, NVDB_FLAG_NO_SYNC).
  /// </summary>
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
  /// <summary>
  /// The element type to create with, or that the database must have
  /// (<see cref="Status.Mismatch"/> otherwise); Default accepts any.
  /// </summary>
  public ElementType ElementType { get; set; } = ElementType.Default;
  /// <summary>Create (default), Write or Read.</summary>
  public OpenMode Mode { get; set; } = OpenMode.Create;
  /// <summary>Permission bits of a store created by this open (e.g. 0x1A0 for 0640); 0 means 0600.</summary>
  public int Permissions { get; set; }
  /// <summary>NVDB_FLAG_* bits.</summary>
  public OpenFlags Flags { get; set; } = OpenFlags.None;
}

}
