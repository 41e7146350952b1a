using System;

namespace Nvdb {

/// <summary>
/// A call that nvdb refused or that failed. <see cref="Status"/> is the C
/// status code; the message is nvdb's, naming what was wrong (which record,
/// which id). Nothing in the database changed.
/// </summary>
[Serializable]
public class NvdbException : Exception {
  /// <summary>The nvdb status code (never <see cref="Nvdb.Status.Ok"/>).</summary>
  public Status Status { get; }

  /// <summary>An exception for <paramref name="status"/> with nvdb's message.</summary>
  public NvdbException(Status status, string message)
      : base(string.IsNullOrEmpty(message) ? StatusText(status) : message) {
    Status = status;
  }

  /// <summary>nvdb's static description of a status code (nvdb_strerror).</summary>
  public static string StatusText(Status status) {
    return NvdbNative.nvdb_b_strerror((int)status);
  }

  /// <summary>The message followed by the status name, e.g. "... (Dimension)".</summary>
  public override string ToString() {
    return GetType().FullName + " (" + Status + "): " + Message + Environment.NewLine + StackTrace;
  }
}

}
