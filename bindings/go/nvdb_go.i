/*
 * The Go side of the common SWIG interface (../nvdb.i): the package name,
 * short names, and the typemaps that let Go slices and strings travel
 * without copies or sentinel values. SWIG's Go output is the internal
 * package nvdb.dev/nvdb/internal/swig; the idiomatic package nvdb is
 * written over it by hand.
 */
%module swig

/*
 * Short Go names: nvdb_b_query becomes swig.Query, nvdb_b_error swig.Error.
 * (Opaque handles keep SWIG's names, e.g. Struct_SS_nvdb_db: a %rename does
 * not reach a pointer to an incomplete struct.)
 */
%rename("%(strip:[nvdb_b_])s") "";
%rename(Error) nvdb_b_error;

/*
 * Vectors are Go []float32 slices passed as they are: C reads (query,
 * batch_add) or fills (records_vector) the slice's own array during the
 * call and keeps no pointer to it, which is what cgo's pointer rules ask.
 */
%typemap(gotype) (const float *vector, size_t len), (float *out, size_t len) "[]float32"
%typemap(in) (const float *vector, size_t len), (float *out, size_t len)
%{
  $1 = ($1_ltype)$input.array;
  $2 = (size_t)$input.len;
%}

/*
 * A Go string cannot be nil: the empty filter means "no filter" (NULL).
 * Out of memory, the filter becomes "", which nvdb rejects (NVDB_EFILTER)
 * rather than running the query unfiltered.
 */
%typemap(in) const char *filter (int owned = 0)
%{
  $1 = NULL;
  if ($input.n > 0) {
    $1 = ($1_ltype)malloc($input.n + 1);
    if ($1) {
      memcpy($1, $input.p, $input.n);
      $1[$input.n] = '\0';
      owned = 1;
    } else {
      $1 = ($1_ltype)"";
    }
  }
%}
%typemap(freearg) const char *filter
%{
  if (owned$argnum) free($1);
%}

/*
 * The strings nvdb returns through const pointers (ids, metadata, static
 * texts) live as long as their result, which the Go layer frees only after
 * reading them: Go copies them straight from C memory, sparing SWIG's
 * default a malloc, a copy and a second cgo call (to free that copy) per
 * string. The char * that nvdb allocates (info, additional data) keep
 * SWIG's default, which frees them with nvdb_free (%newobject in nvdb.i).
 */
%go_import("strings")
%typemap(out) const char *
%{
  $result.p = (char *)$1;
  $result.n = $1 ? (intgo)strlen($1) : 0;
%}
%typemap(goout) const char * %{ $result = strings.Clone($1) %}

/*
 * nvdb_b_batch_add takes NULL for "generate the id", which a Go string
 * cannot say: the Go layer calls batch_add_record, whose has_id tells.
 * An empty id with has_id set reaches nvdb, which rejects it (NVDB_EID).
 */
%ignore nvdb_b_batch_add;

%include "nvdb.i"

%inline %{
int nvdb_b_batch_add_record(nvdb_b_batch *b, int has_id, const char *id, const float *vector,
                            size_t len, const char *metadata) {
  return nvdb_b_batch_add(b, has_id ? id : NULL, vector, len, metadata);
}
%}
