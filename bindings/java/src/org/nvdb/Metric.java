package org.nvdb;

/** How scores are computed. Higher is better for every metric. */
public enum Metric {
  /** Cosine when creating; the database's own when opening. */
  DEFAULT(0),
  /** Cosine similarity in [-1, 1]; vectors are normalised when stored and queries when asked. */
  COSINE(1),
  /** The inner product of the vectors as given. */
  DOT(2),
  /** Minus the Euclidean distance, -||q - v||, so that higher is better (always <= 0). */
  L2(3);

  final int code;

  Metric(int code) {
    this.code = code;
  }

  static Metric of(int code) {
    for (Metric m : values()) {
      if (m.code == code) return m;
    }
    throw new NvdbException(Status.EINTERNAL, "unknown metric code " + code);
  }
}
