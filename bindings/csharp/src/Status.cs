namespace Nvdb {

/// <summary>
/// The status codes of the C API (NVDB_E* in nvdb.h), with the same values:
/// <c>(int)status</c> is the C code. The list only grows.
/// </summary>
public enum Status {
  /// <summary>NVDB_OK: success.</summary>
  Ok = 0,
  /// <summary>NVDB_EINVAL: an argument is invalid (out of range, a bad locator).</summary>
  InvalidArgument = -1,
  /// <summary>NVDB_EDIM: a vector's length or the dimension is wrong.</summary>
  Dimension = -2,
  /// <summary>NVDB_EVECTOR: a vector has NaN/Inf, is zero under cosine, or overflows.</summary>
  Vector = -3,
  /// <summary>NVDB_EID: an id is empty, too long, not UTF-8, has NUL, or collides on import.</summary>
  Id = -4,
  /// <summary>NVDB_EJSON: metadata/additional data is not a JSON object, or has a reserved key.</summary>
  Json = -5,
  /// <summary>NVDB_EFILTER: a declarative filter is invalid.</summary>
  Filter = -6,
  /// <summary>NVDB_ENOTFOUND: the database to open does not exist.</summary>
  NotFound = -7,
  /// <summary>NVDB_EEXIST: the database to create exists already.</summary>
  Exists = -8,
  /// <summary>NVDB_EIO: an operating-system I/O call failed.</summary>
  IO = -9,
  /// <summary>NVDB_ECORRUPT: a file is truncated or corrupt.</summary>
  Corrupt = -10,
  /// <summary>NVDB_EVERSION: a file or segment of another format or layout.</summary>
  Version = -11,
  /// <summary>NVDB_EBUSY: another writer has the database open.</summary>
  Busy = -12,
  /// <summary>NVDB_EREADONLY: a write through a read-only handle.</summary>
  ReadOnly = -13,
  /// <summary>NVDB_ENOMEM: out of memory.</summary>
  NoMemory = -14,
  /// <summary>NVDB_EABORTED: a filter callback stopped the query (C only).</summary>
  Aborted = -15,
  /// <summary>NVDB_EMISMATCH: options (dim, metric) differ from the database's.</summary>
  Mismatch = -16,
  /// <summary>NVDB_EINTERNAL: a bug in nvdb.</summary>
  Internal = -99,
}

}
