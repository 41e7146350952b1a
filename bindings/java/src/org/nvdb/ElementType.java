package org.nvdb;

/**
 * What stored vectors are kept as for the scan, chosen when a database is created. Every record
 * keeps its float32 vector too: {@link Database#get}, export and every score are exact float32
 * values, and only which candidates a query re-scores exactly is approximate. Memory per vector
 * element: float32 4 bytes; float16 and bfloat16 6 (2 scanned); int8 5 (1 scanned); each compact
 * type adds 8 bytes per record. ".json" files are float32 only.
 */
public enum ElementType {
  /** Float32 when creating; the database's own when opening. */
  DEFAULT(0),
  /** The scan reads the float32 vectors. */
  FLOAT32(1),
  /** IEEE binary16, scaled per vector. */
  FLOAT16(2),
  /** bfloat16, scaled per vector. */
  BFLOAT16(3),
  /** 8-bit integers with a per-vector scale. */
  INT8(4);

  final int code;

  ElementType(int code) {
    this.code = code;
  }

  static ElementType of(int code) {
    for (ElementType t : values()) {
      if (t.code == code) return t;
    }
    throw new NvdbException(Status.EINTERNAL, "unknown element type code " + code);
  }
}
