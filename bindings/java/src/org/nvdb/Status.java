package org.nvdb;

/**
 * The status codes of nvdb (include/nvdb.h), as carried by {@link NvdbException#status()}.
 *
 * <p>The list only grows and a value never changes meaning, so the values are written here as
 * literals (usable in {@code switch}); a test checks each against the native library.
 */
public final class Status {
  public static final int OK = 0;
  /** An argument is invalid (null, out of range), or the database is closed. */
  public static final int EINVAL = -1;
  /** A vector's length or the dimension is wrong. */
  public static final int EDIM = -2;
  /** A vector has NaN/Inf, is zero under cosine, or its squared norm overflows float32. */
  public static final int EVECTOR = -3;
  /** An id is empty, too long, not valid Unicode, has NUL, or two ids collide on import. */
  public static final int EID = -4;
  /** Metadata or additional data is not a JSON object, or has a duplicate or reserved key. */
  public static final int EJSON = -5;
  /** A declarative filter is invalid. */
  public static final int EFILTER = -6;
  /** The database to open does not exist. */
  public static final int ENOTFOUND = -7;
  /** The database to create exists already. */
  public static final int EEXIST = -8;
  /** An operating-system I/O call failed. */
  public static final int EIO = -9;
  /** A file is truncated or corrupt. */
  public static final int ECORRUPT = -10;
  /** A file or segment of another format or layout. */
  public static final int EVERSION = -11;
  /** Another writer has the database open. */
  public static final int EBUSY = -12;
  /** A write through a read-only handle. */
  public static final int EREADONLY = -13;
  /** Out of memory. */
  public static final int ENOMEM = -14;
  /** A filter callback asked to stop the query (not reachable from Java). */
  public static final int EABORTED = -15;
  /** Options (dim, metric) differ from the database's. */
  public static final int EMISMATCH = -16;
  /** A bug in nvdb. */
  public static final int EINTERNAL = -99;

  private Status() {}

  /** The C name of a status code ("NVDB_EDIM"), or "NVDB_STATUS_" + code for an unknown one. */
  public static String name(int status) {
    switch (status) {
      case OK: return "NVDB_OK";
      case EINVAL: return "NVDB_EINVAL";
      case EDIM: return "NVDB_EDIM";
      case EVECTOR: return "NVDB_EVECTOR";
      case EID: return "NVDB_EID";
      case EJSON: return "NVDB_EJSON";
      case EFILTER: return "NVDB_EFILTER";
      case ENOTFOUND: return "NVDB_ENOTFOUND";
      case EEXIST: return "NVDB_EEXIST";
      case EIO: return "NVDB_EIO";
      case ECORRUPT: return "NVDB_ECORRUPT";
      case EVERSION: return "NVDB_EVERSION";
      case EBUSY: return "NVDB_EBUSY";
      case EREADONLY: return "NVDB_EREADONLY";
      case ENOMEM: return "NVDB_ENOMEM";
      case EABORTED: return "NVDB_EABORTED";
      case EMISMATCH: return "NVDB_EMISMATCH";
      case EINTERNAL: return "NVDB_EINTERNAL";
      default: return "NVDB_STATUS_" + status;
    }
  }

  /** The library's description of a status code (nvdb_strerror). */
  public static String describe(int status) {
    NativeLibrary.load();
    return NvdbNative.strerror(status);
  }
}
