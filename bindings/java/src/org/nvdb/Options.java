package org.nvdb;

/**
 * How to open a database: a small fluent builder, read once by {@link Database#open}.
 *
 * <pre>{@code
 * new Options().dim(384).metric(Metric.COSINE)          // create if missing
 * new Options().dim(384).elementType(ElementType.INT8)  // a compact scan
 * new Options().mode(OpenMode.READ)                     // a reader of an existing store
 * }</pre>
 */
public final class Options {
  int dim;
  Metric metric = Metric.DEFAULT;
  ElementType elementType = ElementType.DEFAULT;
  OpenMode mode = OpenMode.CREATE;
  int permissions;
  boolean noSync;

  /** 1..65536; required to create, 0 (the default) accepts any when opening. */
  public Options dim(int dim) {
    this.dim = dim;
    return this;
  }

  /** The metric to create with, or that an existing database must have; DEFAULT accepts any. */
  public Options metric(Metric metric) {
    this.metric = metric;
    return this;
  }

  /**
   * The element type to create with, or that an existing database must have (NvdbException with
   * Status.EMISMATCH otherwise); DEFAULT accepts any.
   */
  public Options elementType(ElementType elementType) {
    this.elementType = elementType;
    return this;
  }

  public Options mode(OpenMode mode) {
    this.mode = mode;
    return this;
  }

  /** Permission bits of a store created by this open (e.g. 0640); 0 means 0600. */
  public Options permissions(int permissions) {
    this.permissions = permissions;
    return this;
  }

  /**
   * Store files only: commit without fsync, much faster. A commit survives a process crash; a
   * power loss goes back to the last commit flushed to disk ("durable_epoch" in {@link
   * Database#info()}), never a torn one. The writer flushes at {@link Database#save()} and
   * {@link Database#close()}, with each new generation, at its first write a second after the
   * last flush, and as replaced records wait for their rows to be reused (nvdb.h,
   * NVDB_FLAG_NO_SYNC).
   */
  public Options noSync(boolean noSync) {
    this.noSync = noSync;
    return this;
  }
}
