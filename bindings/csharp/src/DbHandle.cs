using System;
using System.Runtime.InteropServices;

namespace Nvdb {

/// <summary>
/// Owns an nvdb_db pointer. As a SafeHandle it is reference-counted by the
/// P/Invoke marshaller around every native call, so the pointer is closed
/// only once no call is using it, and a call made after Dispose throws
/// ObjectDisposedException before reaching native code. Its critical
/// finalizer closes a handle the program forgot to dispose.
/// </summary>
internal sealed class DbHandle : SafeHandle {
  // Set by ReleaseHandle, which must not throw; Database.Close reports it.
  internal Status CloseStatus = Status.Ok;
  internal string CloseMessage;

  // Used by the marshaller when nvdb_b_open returns.
  public DbHandle() : base(IntPtr.Zero, true) {}

  public override bool IsInvalid {
    get { return handle == IntPtr.Zero; }
  }

  protected override bool ReleaseHandle() {
    int status = NvdbNative.nvdb_cs_close(handle);
    if (status != 0) {
      // Read at once: nvdb's message is per thread and valid until the next failure.
      CloseMessage = NvdbNative.nvdb_cs_errmsg();
      CloseStatus = (Status)status;
    }
    return true;
  }
}

}
