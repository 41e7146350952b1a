package org.nvdb;

/**
 * A failed nvdb call. {@link #status()} is the nvdb status code (a {@link Status} constant) and
 * the message is the library's, naming what was wrong (which record, which id, which byte).
 *
 * <p>A failed call changes nothing in the database: a batch is applied whole or not at all.
 */
public class NvdbException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public NvdbException(int status, String message) {
    super(message);
    this.status = status;
  }

  /* Called by the JNI wrapper, which hands over the message as UTF-8. */
  NvdbException(int status, byte[] utf8Message) {
    this(status, Utf8.decode(utf8Message));
  }

  /** The nvdb status code, negative: one of the {@link Status} constants. */
  public int status() {
    return status;
  }

  @Override
  public String toString() {
    return getClass().getName() + ": " + Status.name(status) + ": " + getMessage();
  }
}
