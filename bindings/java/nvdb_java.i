/*
 * The Java-specific part of the nvdb binding: module name, typemaps and
 * renames, then the common interface (bindings/nvdb.i).
 *
 * The generated classes (NvdbNative, NvdbNativeJNI) are package-private in
 * org.nvdb: users see only the idiomatic API written over
 * them (Database, Hit, Record, Report, NvdbException). The typemaps make the
 * raw layer convenient for that API:
 *   - every nvdb_b_error *err disappears from the Java signature; a failed
 *     call throws NvdbException(status, message) from the wrapper itself;
 *   - handles (nvdb_db *, nvdb_hits *, ...) travel as Java longs, 0 = NULL;
 *   - vectors are float[] pinned with GetPrimitiveArrayCritical (no copy);
 *   - strings are UTF-8 both ways, encoded and decoded in Java, because JNI's
 *     own string functions speak "modified UTF-8" (characters outside the BMP
 *     and NUL are encoded differently from the UTF-8 nvdb requires).
 */
%module NvdbNative

/* Keep the raw layer out of the public API. */
%pragma(java) moduleclassmodifiers="final class"
%pragma(java) jniclassclassmodifiers="final class"
/* SWIG puts constants in a public interface of their own; Status.java
   holds the status codes instead (append-only, so literals are safe) and a
   test checks each against the library. */
%rename("$ignore", regextarget=1, %$isconstant) "^NVDB_";
/* Any first use of the raw layer loads the native library (with a clear
   message when it is missing; see NativeLibrary.java). */
%pragma(java) jniclasscode=%{
  static {
    NativeLibrary.load();
  }
%}

/* In the wrapper section, after the common layer's declarations (header). */
%wrapper %{
#include <stdint.h>

/* Copies len bytes of UTF-8 into a new Java byte[] (NULL for a NULL string). */
static jbyteArray nvdb_java_bytes(JNIEnv *jenv, const char *s) {
  if (!s) return NULL;
  const jsize len = (jsize)strlen(s);
  jbyteArray out = (*jenv)->NewByteArray(jenv, len);
  if (out) (*jenv)->SetByteArrayRegion(jenv, out, 0, len, (const jbyte *)s);
  return out; /* NULL with an OutOfMemoryError pending */
}

/* A NUL-terminated malloc'ed copy of a byte[] of UTF-8 (NULL for null); 0 if out of memory. */
static int nvdb_java_cstring(JNIEnv *jenv, jbyteArray in, char **out) {
  *out = NULL;
  if (!in) return 1;
  const jsize len = (*jenv)->GetArrayLength(jenv, in);
  *out = (char *)malloc((size_t)len + 1);
  if (!*out) {
    SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "nvdb: out of memory copying a string");
    return 0;
  }
  (*jenv)->GetByteArrayRegion(jenv, in, 0, len, (jbyte *)*out);
  (*out)[len] = '\0';
  return 1;
}

/* Throws org.nvdb.NvdbException(status, UTF-8 message) for a failed call. */
static void nvdb_java_throw(JNIEnv *jenv, const nvdb_b_error *err) {
  if ((*jenv)->ExceptionCheck(jenv)) return; /* keep the first failure */
  jclass cls = (*jenv)->FindClass(jenv, "org/nvdb/NvdbException");
  if (!cls) return; /* NoClassDefFoundError pending */
  jmethodID ctor = (*jenv)->GetMethodID(jenv, cls, "<init>", "(I[B)V");
  jbyteArray message = ctor ? nvdb_java_bytes(jenv, err->message) : NULL;
  jobject ex = message ? (*jenv)->NewObject(jenv, cls, ctor, (jint)err->status, message) : NULL;
  if (ex) (*jenv)->Throw(jenv, (jthrowable)ex);
  (*jenv)->DeleteLocalRef(jenv, ex);
  (*jenv)->DeleteLocalRef(jenv, message);
  (*jenv)->DeleteLocalRef(jenv, cls);
}
%}

/* ---- Errors: a local nvdb_b_error per call, thrown as NvdbException. ---- */

/* The struct is an implementation detail of the error typemap below. */
%ignore nvdb_b_error;
/* Strings the library returns are released by the newfree typemap instead. */
%ignore nvdb_b_free;

%typemap(in, numinputs=0) nvdb_b_error *err (nvdb_b_error call_error) {
  call_error.status = NVDB_OK;
  call_error.message[0] = '\0';
  $1 = &call_error;
}
/* Thrown from freearg, not argout: err is every function's last parameter,
   so its freearg runs after the vectors' ReleasePrimitiveArrayCritical, and
   no JNI call is made while an array is pinned. */
%typemap(freearg) nvdb_b_error *err {
  if ($1->status != NVDB_OK) nvdb_java_throw(jenv, $1);
}

/* ---- Handles: Java longs (0 = NULL), owned by the idiomatic classes. ---- */

%define NVDB_JAVA_HANDLE(TYPE)
%typemap(jni) TYPE *, const TYPE * "jlong"
%typemap(jtype) TYPE *, const TYPE * "long"
%typemap(jstype) TYPE *, const TYPE * "long"
%typemap(javain) TYPE *, const TYPE * "$javainput"
%typemap(javaout) TYPE *, const TYPE * {
    return $jnicall;
  }
%typemap(in) TYPE *, const TYPE * %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(out) TYPE *, const TYPE * %{ $result = (jlong)(intptr_t)$1; %}
%enddef

NVDB_JAVA_HANDLE(nvdb_db)
NVDB_JAVA_HANDLE(nvdb_hits)
NVDB_JAVA_HANDLE(nvdb_records)
NVDB_JAVA_HANDLE(nvdb_report)
NVDB_JAVA_HANDLE(nvdb_b_ids)
NVDB_JAVA_HANDLE(nvdb_b_batch)
NVDB_JAVA_HANDLE(nvdb_b_verification)
NVDB_JAVA_HANDLE(nvdb_b_answers)

/* ---- Strings. ---- */

/* Strings are UTF-8 bytes on the JNI side and are encoded and decoded in
   Java, so that every character survives (see the top of this file). */
%typemap(jni) const char *, char * "jbyteArray"
%typemap(jtype) const char *, char * "byte[]"
%typemap(jstype) const char *, char * "String"
/* Results (ids, metadata, messages, JSON documents). */
%typemap(javaout) const char *, char * {
    return Utf8.decode($jnicall);
  }
%typemap(out) const char *, char * %{ $result = nvdb_java_bytes(jenv, $1); %}
/* Arguments: a NUL-terminated copy of the bytes, freed after the call. */
%typemap(javain) const char * "Utf8.encode($javainput)"
%typemap(in) const char * {
  if (!nvdb_java_cstring(jenv, $input, &$1)) return $null;
}
%typemap(freearg) const char * "free($1);"

/* The arguments the idiomatic layer passes already encoded: it rejects NUL
   and unpaired surrogates with the status that fits the argument (an id:
   NVDB_EID, metadata: NVDB_EJSON, a filter: NVDB_EFILTER). */
%define NVDB_JAVA_UTF8_ARG(NAME)
%typemap(jstype) const char *NAME "byte[]"
%typemap(javain) const char *NAME "$javainput"
%enddef
NVDB_JAVA_UTF8_ARG(locator)
NVDB_JAVA_UTF8_ARG(json)
NVDB_JAVA_UTF8_ARG(id)
NVDB_JAVA_UTF8_ARG(metadata)
NVDB_JAVA_UTF8_ARG(filter)
NVDB_JAVA_UTF8_ARG(path)

/* ---- Vectors: float[], pinned rather than copied. ---- */

/* The array is pinned in "check", which runs after every "in" typemap, so
   that no JNI call (a string copy) happens while it is pinned; it is
   released in "freearg" before the error typemap throws. */
%typemap(jni) (const float *vector, size_t len) "jfloatArray"
%typemap(jtype) (const float *vector, size_t len) "float[]"
%typemap(jstype) (const float *vector, size_t len) "float[]"
%typemap(javain) (const float *vector, size_t len) "$javainput"
%typemap(in) (const float *vector, size_t len) {
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "nvdb: null vector");
    return $null;
  }
  $1 = NULL;
  $2 = (size_t)(*jenv)->GetArrayLength(jenv, $input);
}
%typemap(check) (const float *vector, size_t len) {
  $1 = ($1_ltype)(*jenv)->GetPrimitiveArrayCritical(jenv, $input, NULL);
  if (!$1) return $null; /* OutOfMemoryError pending */
}
%typemap(freearg) (const float *vector, size_t len) {
  if ($1) (*jenv)->ReleasePrimitiveArrayCritical(jenv, $input, (void *)$1, JNI_ABORT);
}

/* A caller's float[] that receives a record's vector. */
%typemap(jni) (float *out, size_t len) "jfloatArray"
%typemap(jtype) (float *out, size_t len) "float[]"
%typemap(jstype) (float *out, size_t len) "float[]"
%typemap(javain) (float *out, size_t len) "$javainput"
%typemap(in) (float *out, size_t len) {
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "nvdb: null output array");
    return $null;
  }
  $1 = NULL;
  $2 = (size_t)(*jenv)->GetArrayLength(jenv, $input);
}
%typemap(check) (float *out, size_t len) {
  $1 = ($1_ltype)(*jenv)->GetPrimitiveArrayCritical(jenv, $input, NULL);
  if (!$1) return $null; /* OutOfMemoryError pending */
}
%typemap(freearg) (float *out, size_t len) {
  if ($1) (*jenv)->ReleasePrimitiveArrayCritical(jenv, $input, $1, 0);
}

/* ---- Names: NvdbNative.open(...), NvdbNative.hits_count(...), ... ---- */
%rename("%(strip:[nvdb_b_])s", %$isfunction) "";

%include "nvdb.i"
