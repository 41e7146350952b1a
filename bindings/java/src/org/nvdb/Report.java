package org.nvdb;

import java.util.List;

/** The outcome of an upsert: the distinct ids updated and inserted, in input order. Immutable. */
public final class Report {
  private final List<String> updated;
  private final List<String> inserted;

  Report(List<String> updated, List<String> inserted) {
    this.updated = List.copyOf(updated);
    this.inserted = List.copyOf(inserted);
  }

  /** Ids that were already present and whose vector and metadata were replaced. */
  public List<String> updated() {
    return updated;
  }

  /** Ids that were new, generated ids included. */
  public List<String> inserted() {
    return inserted;
  }

  @Override
  public String toString() {
    return "Report{updated=" + updated + ", inserted=" + inserted + "}";
  }
}
