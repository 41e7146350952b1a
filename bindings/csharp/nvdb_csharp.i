/*
 * The C# flavour of the common interface (../nvdb.i): typemaps and renames
 * only. SWIG generates an internal P/Invoke layer (namespace Nvdb, class
 * NvdbNative); the public API is written over it in src/ (Database, Hit,
 * Record, UpsertReport, NvdbException).
 *
 * - Errors: every nvdb_b_error *err parameter disappears from the C#
 *   signature. The C wrapper keeps the error on its stack and, when the call
 *   failed, raises an NvdbException (status + message) as a SWIG "pending
 *   exception", thrown by the C# side as soon as the native call returns. The
 *   message is captured in the same native call that failed, on its thread.
 * - Handles: nvdb_db * travels as DbHandle, a SafeHandle. The P/Invoke
 *   marshaller holds a reference for the duration of each call, so disposing
 *   a Database while another thread is inside a call defers the close until
 *   that call returns, and any later call throws ObjectDisposedException
 *   instead of passing a freed pointer.
 * - Vectors: float[] is passed as a pinned pointer (no copy); a
 *   (pointer, length) pair cannot become one C# parameter, so the length
 *   stays a separate argument of the internal methods and src/ supplies it.
 */
%module NvdbNative

%include "arrays_csharp.i"

/* Nothing generated here is public: src/ is the API. */
%pragma(csharp) moduleclassmodifiers="internal class"
%pragma(csharp) imclassclassmodifiers="internal class"
%typemap(csclassmodifiers) SWIGTYPE, SWIGTYPE *, SWIGTYPE &, SWIGTYPE [] "internal class"

/* ---- Errors become NvdbException --------------------------------------- */

%insert(runtime) %{
typedef void (SWIGSTDCALL *nvdb_cs_exception_callback)(int status, const char *message);
static nvdb_cs_exception_callback nvdb_cs_raise = NULL;

/* Called once, from the static constructor of NvdbNativePINVOKE. */
SWIGEXPORT void SWIGSTDCALL nvdb_cs_register_exception_callback(nvdb_cs_exception_callback callback) {
  nvdb_cs_raise = callback;
}

/* Named SWIG_CSharpSetPendingException* so that SWIG checks every typemap
   calling it is marked canthrow (warning 845, an error under -Werror). */
static void SWIG_CSharpSetPendingExceptionNvdb(int status, const char *message) {
  nvdb_cs_raise(status, message);
}
%}

%pragma(csharp) imclasscode=%{
  // Turns a failed native call into a pending NvdbException (thrown by the
  // generated code right after the call returns, on the same thread).
  protected class NvdbExceptionHelper {
    public delegate void ExceptionDelegate(int status, string message);
    // Kept in a static field: the native side holds only a function pointer.
    static ExceptionDelegate raise = new ExceptionDelegate(SetPending);

    [global::System.Runtime.InteropServices.DllImport("$dllimport", EntryPoint="nvdb_cs_register_exception_callback")]
    public static extern void nvdb_cs_register_exception_callback(ExceptionDelegate callback);

    static void SetPending(int status, string message) {
      SWIGPendingException.Set(new NvdbException((Status)status, message));
    }

    static NvdbExceptionHelper() {
      nvdb_cs_register_exception_callback(raise);
    }
  }
  // Protected, as SWIG's own helpers, so that the compiler sees it as used.
  static protected NvdbExceptionHelper nvdbExceptionHelper = new NvdbExceptionHelper();
%}

%typemap(in, numinputs=0) nvdb_b_error *err (nvdb_b_error error) {
  error.status = 0;
  error.message[0] = '\0';
  $1 = &error;
}
%typemap(argout, canthrow=1) nvdb_b_error *err {
  if ($1->status != 0) {
    SWIG_CSharpSetPendingExceptionNvdb($1->status, $1->message);
  }
}
/* The struct itself never reaches C#. */
%ignore nvdb_b_error;

/* ---- Database handles are SafeHandles ---------------------------------- */

%typemap(ctype) nvdb_db * "void *"
%typemap(imtype) nvdb_db * "DbHandle"
%typemap(cstype) nvdb_db * "DbHandle"
%typemap(csin) nvdb_db * "$csinput"
%typemap(csout, excode=SWIGEXCODE) nvdb_db * {
    DbHandle handle = $imcall;$excode
    return handle;
  }
%typemap(in) nvdb_db * "$1 = (nvdb_db *)$input;"
%typemap(out) nvdb_db * "$result = (void *)$1;"

/* DbHandle.ReleaseHandle gets the raw pointer (the SafeHandle is already
   closed) and must not throw: it calls these instead of nvdb_b_close. */
%typemap(ctype) void *raw "void *"
%typemap(imtype) void *raw "global::System.IntPtr"
%typemap(cstype) void *raw "global::System.IntPtr"
%typemap(csin) void *raw "$csinput"
%typemap(in) void *raw "$1 = $input;"
%ignore nvdb_b_close;

/* ---- Vectors: float[] pinned, not copied -------------------------------- */

%apply float INPUT[] { const float *vector };
%apply float OUTPUT[] { float *out };

/* nvdb_free is applied by %newobject; C# has no pointer to free. */
%ignore nvdb_b_free;

%include "nvdb.i"

/* After nvdb.i, whose header block includes nvdb.h. */
%inline %{
/* Closes the handle; the status is returned, the message is nvdb_cs_errmsg()
   read next on the same thread. */
int nvdb_cs_close(void *raw) { return nvdb_close((struct nvdb_db *)raw); }
const char *nvdb_cs_errmsg(void) { return nvdb_errmsg(); }
%}
