package org.nvdb;

/**
 * What {@link Database#verify()} found: whether the database is sound, and the library's JSON
 * report ({"sound", "generation", "epoch", "rows", "live", ..., "problem_count", "problems":
 * [{"part", "message"}]}, see nvdb_verify in nvdb.h). Immutable.
 */
public final class Verification {
  private final boolean sound;
  private final String report;

  Verification(boolean sound, String report) {
    this.sound = sound;
    this.report = report;
  }

  /** True when nothing is wrong; false when the report lists damage. */
  public boolean sound() {
    return sound;
  }

  /** The JSON report. */
  public String report() {
    return report;
  }

  @Override
  public String toString() {
    return "Verification{sound=" + sound + ", report=" + report + "}";
  }
}
