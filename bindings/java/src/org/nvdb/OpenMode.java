package org.nvdb;

/** How {@link Database#open(String, Options)} opens a database. */
public enum OpenMode {
  /** Read-write; create the database if it is missing. */
  CREATE(0),
  /** Read-write; {@link Status#ENOTFOUND} if it is missing. */
  WRITE(1),
  /** Read-only; writes fail with {@link Status#EREADONLY}. */
  READ(2);

  final int code;

  OpenMode(int code) {
    this.code = code;
  }
}
