/*
 * nvdb.h — the C API of nvdb, a small, fast vector database.
 *
 * nvdb stores records (an id, a float32 vector of a fixed dimension, and a
 * JSON metadata object) and answers exact nearest-neighbour queries over them,
 * with the semantics of the Python nano-vectordb: cosine similarity by
 * default, top-k, a score threshold, a metadata filter, one "additional data"
 * JSON object per database, and nano-vectordb's JSON file format.
 *
 * THREADS
 *   A handle may be used from many threads at once. Reads (get, count,
 *   query, additional-data get, info, export, verify) never wait for
 *   writes: each works from the last commit when it starts and sees a
 *   write wholly or not at all. Writes (upsert, delete, additional-data set, import, copy,
 *   save, compact) are serialised inside the handle and never wait for
 *   reads (verify on a writer's handle waits for its writes). Error messages
 *   are per thread (nvdb_errmsg()). Close a handle only when no other thread
 *   uses it.
 *   Large scans and upserts are split across one pool of threads owned by
 *   the library and shared by every handle and every calling thread (which
 *   works too); no thread is started per call. The pool starts at the first
 *   call that needs it, with one thread per core counting the caller, or
 *   with the number in the environment variable NVDB_THREADS (1 to 1024)
 *   at that moment; NVDB_THREADS=1 runs everything on the calling thread.
 *
 * PROCESSES
 *   ":memory:" and "*.json" databases live in the memory of the process that
 *   opened them: two processes opening one ".json" file each get a copy, and
 *   the last to save wins. To share, use a store: "shm:NAME" (a shared-memory
 *   object, gone at reboot) or a store file (any other path; it persists).
 *   - One writer, any number of readers. A store opened for writing is locked
 *     (an open-file-description lock the kernel releases when the handle is
 *     closed or its process dies); a second writer, in this process or
 *     another, gets NVDB_EBUSY. Readers (NVDB_OPEN_READ) never wait for a
 *     lock, map the data read-only and cannot change it (NVDB_EREADONLY).
 *     Each holds a shared record lock on its slot of the reader table,
 *     which only tells the writer it is alive; a reader of an shm store
 *     that may not write its root (its permissions) is outside the table
 *     and holds one on the root instead, which tells the writer it exists
 *     (see Space).
 *   - What readers see: every read works from the newest commit at its
 *     start; a commit is visible to the next read that starts after the
 *     write returns, never in part. Readers never block the writer, nor the
 *     writer them. The data is shared, not copied: attaching costs the same
 *     for any size.
 *   - When a process dies: a killed reader leaves nothing behind (its slot
 *     in the reader table is found dead and freed). A killed writer leaves
 *     the last successful commit; readers keep answering from it, and a new
 *     writer can open the store at once. A store file reopens with exactly
 *     the last commit that returned success, also after a power loss unless
 *     NVDB_FLAG_NO_SYNC was used.
 *   - Space: a full disk or /dev/shm is NVDB_ENOMEM ("... No space left
 *     on device") from the write that needed room, with nothing changed
 *     and the writer still usable, never a crash (on filesystems with
 *     fallocate, which reserves what is written through the mapping).
 *     Replaced and deleted records: in shm stores the writer writes new
 *     records into their rows once no read can see them (each read
 *     publishes its epoch in the reader table), so the store stays about
 *     the size of its live records; so do NVDB_FLAG_NO_SYNC store files,
 *     once the rows are also older than the last two flushes. Durable
 *     store files, and stores a reader outside the reader table is open
 *     on, keep them until a rewrite: room for about twice the live rows
 *     (docs/storage.md). nvdb_compact shrinks either.
 *   - fork(): a handle belongs to the process that opened it; open again in
 *     the child (a writer's lock is not inherited by the child's copy).
 *   - Network filesystems: store files need coherent shared mappings and
 *     POSIX record locks; NFS and similar provide neither reliably. Use a
 *     local filesystem or shm:.
 *
 * CONVENTIONS
 *   - Every call that can fail returns an int status: NVDB_OK (0) or a
 *     negative NVDB_E* code. Decide success from the return value, then read
 *     nvdb_errmsg() on the same thread for the details.
 *   - Constructors take their out-parameter first and set it to NULL on
 *     failure, so there is nothing to free when they fail.
 *   - Everything returned through a pointer-to-pointer is the caller's and is
 *     released with the matching *_free function (or nvdb_free for strings);
 *     every *_free and nvdb_close accept NULL. Do not mix allocators.
 *   - Strings are NUL-terminated UTF-8. Metadata and filters are JSON text.
 *   - A failed call changes nothing: a batch is applied whole or not at all.
 *     The one exception is a durable commit whose flush to disk fails
 *     after it was made visible (see NVDB_FLAG_NO_SYNC).
 */
#ifndef NVDB_H
#define NVDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NVDB_API __attribute__((visibility("default")))
#else
#define NVDB_API
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

#define NVDB_VERSION_MAJOR 0
#define NVDB_VERSION_MINOR 1
#define NVDB_VERSION_PATCH 0
/** MAJOR * 1000000 + MINOR * 1000 + PATCH. */
#define NVDB_VERSION_NUMBER \
  (NVDB_VERSION_MAJOR * 1000000 + NVDB_VERSION_MINOR * 1000 + NVDB_VERSION_PATCH)
#define NVDB_VERSION_STRING "0.1.0"

/** The library's version as "MAJOR.MINOR.PATCH"; a static string. */
NVDB_API const char *nvdb_version(void);
/** The library's NVDB_VERSION_NUMBER, to compare with the header's. */
NVDB_API int nvdb_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status codes (append-only: values never change meaning)                   */
/* ------------------------------------------------------------------------ */

#define NVDB_OK 0
#define NVDB_EINVAL -1     /* an argument is invalid (NULL, out of range)   */
#define NVDB_EDIM -2       /* a vector's length or the dimension is wrong   */
#define NVDB_EVECTOR -3    /* a vector has NaN/Inf, is zero under cosine,
                              or its squared norm overflows float32          */
#define NVDB_EID -4        /* an id is empty, too long, not UTF-8, has NUL,
                              or two ids collide on import                   */
#define NVDB_EJSON -5      /* metadata/additional data is not valid JSON, not
                              an object, has a duplicate or reserved key     */
#define NVDB_EFILTER -6    /* a declarative filter is invalid               */
#define NVDB_ENOTFOUND -7  /* the database to open does not exist           */
#define NVDB_EEXIST -8     /* the database to create exists already         */
#define NVDB_EIO -9        /* an operating-system I/O call failed           */
#define NVDB_ECORRUPT -10  /* a file is truncated or corrupt                */
#define NVDB_EVERSION -11  /* a file or segment of another format/layout    */
#define NVDB_EBUSY -12     /* another writer has the database open          */
#define NVDB_EREADONLY -13 /* a write through a read-only handle            */
#define NVDB_ENOMEM -14    /* out of memory, or no room left for a store    */
#define NVDB_EABORTED -15  /* a filter callback asked to stop the query     */
#define NVDB_EMISMATCH -16 /* options (dim, metric, element type) differ from
                              the database                                   */
#define NVDB_EINTERNAL -99 /* a bug in nvdb: please report it               */

/**
 * A static, human-readable description of a status code ("unknown status"
 * for a value nvdb does not define). Never NULL.
 */
NVDB_API const char *nvdb_strerror(int status);

/**
 * The message of the last failed call made on this thread, naming what was
 * wrong (which record, which id, which byte). Valid until the next call that
 * fails on this thread; "" if none has failed yet. Never NULL.
 */
NVDB_API const char *nvdb_errmsg(void);

/** Releases a string returned by nvdb (info, additional data). NULL is a no-op. */
NVDB_API void nvdb_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Opening and closing                                                        */
/* ------------------------------------------------------------------------ */

typedef struct nvdb_db nvdb_db;

/** How scores are computed. Higher is better for every metric. */
typedef enum nvdb_metric {
  NVDB_METRIC_DEFAULT = 0, /* cosine when creating; the database's own when opening */
  NVDB_METRIC_COSINE = 1,  /* cosine similarity, in [-1, 1]; vectors are
                              normalised when stored and queries when asked */
  NVDB_METRIC_DOT = 2,     /* inner product of the vectors as given          */
  NVDB_METRIC_L2 = 3       /* minus the Euclidean distance: -||q - v||, <= 0 */
} nvdb_metric;

/** How to open. */
typedef enum nvdb_open_mode {
  NVDB_OPEN_CREATE = 0, /* read-write; create the database if it is missing */
  NVDB_OPEN_WRITE = 1,  /* read-write; NVDB_ENOTFOUND if it is missing       */
  NVDB_OPEN_READ = 2    /* read-only; writes fail with NVDB_EREADONLY        */
} nvdb_open_mode;

/**
 * What stored vectors are kept as for the scan. Chosen when a database is
 * created and part of its format; every record keeps its float32 vector
 * too, so get, export and every score are exact float32 values whatever
 * the type. With a compact type the scan reads the compact vectors only,
 * ranks rows by their approximate scores, and re-scores the best
 * max(4 * top_k, top_k + 32) candidates exactly from the float32 vectors:
 * only which candidates are re-scored is approximate (measured recall@10
 * against float32: docs/storage.md). Memory per vector element:
 *   float32   4 bytes, all scanned
 *   float16   6 bytes (2 scanned + 4 kept), and 8 bytes per record
 *   bfloat16  6 bytes (2 scanned + 4 kept), and 8 bytes per record
 *   int8      5 bytes (1 scanned + 4 kept), and 8 bytes per record
 * Each compact vector is the float32 vector divided by a per-vector scale
 * (its largest magnitude; for int8, that over 127, the codes symmetric in
 * -127..127), so no value overflows float16 and int8 uses its whole range.
 * The 8 bytes per record are that scale and the squared norm (l2).
 * ":memory:" and stores take every type; ".json" files are float32 only.
 */
typedef enum nvdb_element_type {
  NVDB_ELEMENT_DEFAULT = 0,  /* float32 when creating; the database's own when opening */
  NVDB_ELEMENT_FLOAT32 = 1,  /* the scan reads the float32 vectors          */
  NVDB_ELEMENT_FLOAT16 = 2,  /* IEEE binary16: 11 significant bits          */
  NVDB_ELEMENT_BFLOAT16 = 3, /* bfloat16: 8 significant bits, float32 range */
  NVDB_ELEMENT_INT8 = 4      /* 8-bit integers with a per-vector scale      */
} nvdb_element_type;

#define NVDB_OPTIONS_VERSION 2

/**
 * Options of nvdb_open. Start from NVDB_OPTIONS_INIT (or nvdb_options_init)
 * and set what you need: new fields are added at the end with a new
 * NVDB_OPTIONS_VERSION, and older callers keep working.
 */
typedef struct nvdb_options {
  uint32_t version;   /* NVDB_OPTIONS_VERSION                                 */
  uint32_t dim;       /* 1..65536; required to create, 0 = any when opening,
                         otherwise must match (NVDB_EMISMATCH)                */
  nvdb_metric metric; /* NVDB_METRIC_DEFAULT or a metric that must match      */
  nvdb_open_mode mode;
  uint32_t permissions; /* shm: and store files created by this open: the
                           permission bits (e.g. 0640); 0 means 0600, owner
                           only. Not narrowed by the umask.                  */
  uint32_t flags;     /* NVDB_FLAG_* bits                                     */
  /* Since version 2 (version-1 callers get NVDB_ELEMENT_DEFAULT): an
     nvdb_element_type. When creating, the type to store; when opening,
     NVDB_ELEMENT_DEFAULT or the database's own type (NVDB_EMISMATCH
     otherwise, and for any other than float32 on a ".json" file).        */
  uint32_t element_type;
} nvdb_options;

/**
 * Store files only: commit without fsync. A commit then survives the crash
 * of any process but not of the machine: a power loss takes the store back
 * to the last commit that reached the disk, whole, never corrupt. The
 * writer flushes its commits at nvdb_save and nvdb_close, with each new
 * generation, at its first write a second or more after the last flush,
 * and once the commits since then replaced or deleted a quarter as many
 * records as the generation has room for beside the live ones (or as are
 * live, if fewer; at least 16); nvdb_info's "durable_epoch" names the last
 * one flushed. Commits are much faster. A flush that fails makes its write
 * return NVDB_EIO, and so does every later write until nvdb_compact writes
 * the store anew (Linux reports a failed write-back only once).
 * Without it (the default), a write returns once its commit is on disk; if
 * the disk fails that flush, the write returns NVDB_EIO, saying that the
 * commit is visible but may not survive a machine crash.
 */
#define NVDB_FLAG_NO_SYNC 1u

#define NVDB_OPTIONS_INIT \
  {NVDB_OPTIONS_VERSION, 0, NVDB_METRIC_DEFAULT, NVDB_OPEN_CREATE, 0, 0, NVDB_ELEMENT_DEFAULT}

/**
 * Sets *opts to NVDB_OPTIONS_INIT with the given version, writing only the
 * fields that version has (a version-1 struct is shorter). NVDB_EINVAL if
 * version is not one this library knows.
 */
NVDB_API int nvdb_options_init(nvdb_options *opts, unsigned version);

/**
 * Opens or creates a database. On success *out is a handle to release with
 * nvdb_close; on failure *out is NULL.
 *
 * locator:
 *   ":memory:"   a new, empty, private database (needs opts->dim; the mode
 *                must be NVDB_OPEN_CREATE).
 *   "PATH.json"  a nano-vectordb file: loaded whole into memory, and written
 *                back atomically by nvdb_save and nvdb_close unless opened
 *                with NVDB_OPEN_READ. A missing file is created on the first
 *                save (NVDB_OPEN_CREATE, needs opts->dim). Its metric is
 *                cosine, as nano-vectordb's.
 *   "shm:NAME"   a store in shared memory, for many processes (see
 *                PROCESSES above). NAME: 1 to 200 letters, digits, '-', '_'
 *                or '.'; the objects are /dev/shm/nvdb-NAME and
 *                /dev/shm/nvdb-NAME.G (G: the current generation).
 *   other paths  a store file, as shm: but persistent: PATH holds the lock,
 *                the reader table and the current generation number, PATH.G
 *                the data (docs/storage.md). Commits are durable (fsync)
 *                unless opts->flags has NVDB_FLAG_NO_SYNC.
 * Stores are created with opts->permissions (default 0600). A reader that may
 * read a store but not write its root (0640 for its group, say) reads it
 * all the same, but is not listed among the readers. A new store
 * needs opts->dim; opening an existing one with a dim, metric or element
 * type that differs gives NVDB_EMISMATCH; a store of another format
 * version gives NVDB_EVERSION, a damaged one NVDB_ECORRUPT.
 *
 * opts may be NULL only to open an existing file with NVDB_OPEN_CREATE
 * defaults. Errors: NVDB_EINVAL, NVDB_ENOTFOUND, NVDB_EMISMATCH, NVDB_EIO,
 * NVDB_ECORRUPT (a truncated or malformed file; nothing is opened), and the
 * record errors of nvdb_upsert for a file whose records break the rules.
 */
NVDB_API int nvdb_open(nvdb_db **out, const char *locator, const nvdb_options *opts);

/**
 * Saves a writable database (as nvdb_save) and releases the handle,
 * which is invalid afterwards even when the save fails; the status says
 * whether it succeeded. NULL is a no-op returning NVDB_OK. A handle must not
 * be in use by another thread when it is closed.
 */
NVDB_API int nvdb_close(nvdb_db *db);

/**
 * Writes a ".json" database back to its file atomically (a temporary file
 * in the same folder, fsync, rename): the file holds either the old or the
 * new contents, never a mix. For the writer of a store file opened with
 * NVDB_FLAG_NO_SYNC, flushes its commits to disk (fdatasync), so that a
 * power loss keeps them. A no-op for other stores, which commit as they
 * go, and for ":memory:". NVDB_EREADONLY on a read-only ".json" handle;
 * NVDB_EIO if the disk fails the flush.
 */
NVDB_API int nvdb_save(nvdb_db *db);

/** The database's dimension, or 0 if db is NULL. */
NVDB_API uint32_t nvdb_dim(const nvdb_db *db);

/** The database's metric (never NVDB_METRIC_DEFAULT), or NVDB_METRIC_DEFAULT if db is NULL. */
NVDB_API nvdb_metric nvdb_metric_of(const nvdb_db *db);

/**
 * The database's element type (never NVDB_ELEMENT_DEFAULT), or
 * NVDB_ELEMENT_DEFAULT if db is NULL.
 */
NVDB_API nvdb_element_type nvdb_element_type_of(const nvdb_db *db);

/** The number of live records. */
NVDB_API int nvdb_count(nvdb_db *db, size_t *out);

/**
 * Describes the database as one JSON object:
 *   {"dim": 8, "metric": "cosine", "count": 50, "storage": "json",
 *    "locator": "a.json", "format": "nano-vectordb", "format_version": 1,
 *    "read_only": false, "element_type": "float32", "kernel": "avx512",
 *    "threads": 2}
 * storage is "memory", "json", "shm" or "file"; element_type is "float32",
 * "float16", "bfloat16" or "int8"; kernel is the instruction set the
 * float32 scan uses, threads the size of the library's thread pool. A
 * compact element type adds "compact_kernel", the instruction set of its
 * scan ("scalar", "avx2", "avx512" or "avx512-bf16-vnni"). Stores
 * (shm and file) add "generation", "epoch", "rows" (live and dead),
 * "capacity" and "readers": [{"pid": 123, "generation": 4}, ...], the live
 * reader processes; store files add "durable_epoch", the newest commit
 * known to be on disk (the epoch a power loss would go back to, at worst).
 * *out is set to a string to release with nvdb_free (NULL on failure).
 */
NVDB_API int nvdb_info(nvdb_db *db, char **out);

/* ------------------------------------------------------------------------ */
/* Records                                                                    */
/* ------------------------------------------------------------------------ */

/** Limits: ids are 1 to NVDB_MAX_ID_BYTES bytes of UTF-8 without NUL. */
#define NVDB_MAX_ID_BYTES 1024
#define NVDB_MAX_DIM 65536

/** Outcome of an upsert: the distinct ids updated and inserted, in input order. */
typedef struct nvdb_report nvdb_report;

/**
 * Inserts new records and replaces existing ones (vector and metadata), all
 * or nothing.
 *
 *   n         number of records (0 is a no-op that still returns a report).
 *   ids       n ids, or NULL to generate every id; a NULL entry generates
 *             that one. A generated id is the md5 hex digest of the 4*dim
 *             bytes of the vector as given (little-endian float32), as
 *             nano-vectordb does. Within one batch a repeated id: the last
 *             record wins and the id is reported once.
 *   vectors   n * dim floats, row-major; vectors_len is their number
 *             (NVDB_EDIM unless it equals n * dim). Rejected (NVDB_EVECTOR) if any
 *             component is NaN or infinite, if the vector is zero under
 *             cosine, or if its squared norm exceeds FLT_MAX. Under cosine
 *             the stored vector is the normalised one.
 *   metadata  n JSON texts, or NULL for all "{}"; a NULL entry means "{}".
 *             Each must be a JSON object (NVDB_EJSON otherwise) without the
 *             keys "__id__", "__vector__" and "__metrics__" (reserved by the
 *             nano-vectordb file format) and without duplicate keys. It is
 *             kept exactly: key order, number text (big integers, -0.0),
 *             and strings come back as given.
 *   report    optional: if not NULL, receives the report on success (release
 *             it with nvdb_report_free) and NULL on failure.
 *
 * On any error nothing is changed, and nvdb_errmsg() names the failing record
 * as "record I" (I counted from 0 in the batch) with its id when it has one.
 */
NVDB_API int nvdb_upsert(nvdb_db *db, size_t n, const char *const *ids, const float *vectors,
                         size_t vectors_len, const char *const *metadata, nvdb_report **report);

/** Number of ids inserted by the upsert. */
NVDB_API size_t nvdb_report_inserted_count(const nvdb_report *report);
/** The i-th inserted id; NULL if i is out of range. Lives as long as the report. */
NVDB_API const char *nvdb_report_inserted_id(const nvdb_report *report, size_t i);
/** Number of ids updated (already present) by the upsert. */
NVDB_API size_t nvdb_report_updated_count(const nvdb_report *report);
/** The i-th updated id; NULL if i is out of range. Lives as long as the report. */
NVDB_API const char *nvdb_report_updated_id(const nvdb_report *report, size_t i);
/** Releases a report. NULL is a no-op. */
NVDB_API void nvdb_report_free(nvdb_report *report);

/** Records returned by nvdb_get. */
typedef struct nvdb_records nvdb_records;

/**
 * Fetches records by id, in the order asked; unknown ids are skipped (and
 * an id asked twice comes back twice). nano-vectordb returns storage order
 * instead. *out receives a result to release with nvdb_records_free.
 */
NVDB_API int nvdb_get(nvdb_db *db, size_t n, const char *const *ids, nvdb_records **out);

NVDB_API size_t nvdb_records_count(const nvdb_records *records);
/** The i-th record's id; NULL if out of range. Lives as long as the result. */
NVDB_API const char *nvdb_records_id(const nvdb_records *records, size_t i);
/**
 * The i-th record's stored vector (dim floats; normalised under cosine):
 * the float32 vector, whatever the element type.
 */
NVDB_API const float *nvdb_records_vector(const nvdb_records *records, size_t i);
/** The i-th record's metadata as compact JSON text. */
NVDB_API const char *nvdb_records_metadata(const nvdb_records *records, size_t i);
NVDB_API void nvdb_records_free(nvdb_records *records);

/**
 * Deletes records by id; unknown ids are ignored. *deleted (optional)
 * receives how many records were removed.
 */
NVDB_API int nvdb_delete(nvdb_db *db, size_t n, const char *const *ids, size_t *deleted);

/* ------------------------------------------------------------------------ */
/* Queries                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * A callback filter: returns 1 to keep the record, 0 to skip it, or a
 * negative value to abandon the query (nvdb_query then fails with
 * NVDB_EABORTED). metadata_json is compact JSON; both strings live only
 * for the duration of the call. It may be called from several threads at
 * once and in any order. It must not call nvdb functions on the database
 * being queried (the query holds it; a write waiting behind would deadlock).
 */
typedef int (*nvdb_filter_fn)(const char *id, const char *metadata_json, void *ctx);

#define NVDB_QUERY_OPTIONS_VERSION 1

/**
 * Options of nvdb_query; start from NVDB_QUERY_OPTIONS_INIT.
 *
 * filter is a declarative filter on metadata, in the style of MongoDB:
 *   {"genre": "jazz", "year": {"$gte": 2000}}
 * A top-level object ANDs its fields. A field maps to a value (equality) or
 * to an object of operators: $eq $ne $gt $gte $lt $lte $in $nin $exists.
 * $and / $or take an array of filters, $not takes a filter. Dotted names
 * ("a.b") reach into nested objects. Equality compares JSON values exactly
 * (1 equals 1.0; true does not equal 1); $gt and friends compare numbers
 * with numbers and strings with strings (bytewise) and are false otherwise;
 * $ne and $nin are true when the field is missing.
 */
typedef struct nvdb_query_options {
  uint32_t version;       /* NVDB_QUERY_OPTIONS_VERSION                       */
  uint32_t top_k;         /* how many hits at most; 0 means none            */
  int use_threshold;      /* nonzero: keep only scores >= threshold         */
  float threshold;
  const char *filter;     /* declarative JSON filter, or NULL               */
  nvdb_filter_fn filter_fn; /* callback filter, or NULL; ANDed with filter  */
  void *filter_ctx;       /* passed to filter_fn                            */
} nvdb_query_options;

#define NVDB_QUERY_OPTIONS_INIT {NVDB_QUERY_OPTIONS_VERSION, 10, 0, 0.0f, NULL, NULL, NULL}

/** Sets *opts to NVDB_QUERY_OPTIONS_INIT. NVDB_EINVAL for an unknown version. */
NVDB_API int nvdb_query_options_init(nvdb_query_options *opts, unsigned version);

/** Hits of a query, best first. */
typedef struct nvdb_hits nvdb_hits;

/**
 * Finds the records most similar to vector, exactly; vector_len must equal
 * the database's dim (NVDB_EDIM otherwise). Hits are
 * ordered by score, best first; equal scores are ordered by id (bytewise
 * ascending), so the order does not depend on how records are stored.
 * opts may be NULL for NVDB_QUERY_OPTIONS_INIT. The query vector is checked
 * as an upsert's is (NVDB_EVECTOR, NVDB_EDIM).
 */
NVDB_API int nvdb_query(nvdb_db *db, const float *vector, size_t vector_len,
                        const nvdb_query_options *opts, nvdb_hits **out);

/**
 * Answers n queries in one call: for each, exactly what nvdb_query would
 * return with the same options (the same ids in the same order, the same
 * scores), from one commit for all of them. Use it for many queries at once:
 * it scores them together as a blocked matrix product, which is bound by
 * arithmetic instead of by reading every stored vector once per query, so
 * beyond a few queries it costs far less than as many nvdb_query calls (for
 * one or two queries nvdb_query is faster).
 *
 *   n            number of queries; 0 is a no-op returning NVDB_OK.
 *   vectors      n * dim floats, row-major (query i at vectors + i * dim);
 *                vectors_len is their number (NVDB_EDIM unless it equals
 *                n * dim). Every query is checked as nvdb_query checks its
 *                vector (NVDB_EVECTOR) before any work.
 *   opts         as for nvdb_query, the same for every query (NULL for
 *                NVDB_QUERY_OPTIONS_INIT). A filter callback is asked about
 *                each record once for the whole batch, not once per query.
 *   out          an array of n pointers the caller provides (may be NULL
 *                when n is 0, NVDB_EINVAL otherwise). On success out[i]
 *                receives query i's hits, to release with nvdb_hits_free
 *                one by one. On failure every out[i] is NULL.
 *
 * Errors: those of nvdb_query; a bad query vector is named in nvdb_errmsg()
 * as "query I" (I counted from 0 in the batch).
 */
NVDB_API int nvdb_query_batch(nvdb_db *db, size_t n, const float *vectors, size_t vectors_len,
                              const nvdb_query_options *opts, nvdb_hits **out);

NVDB_API size_t nvdb_hits_count(const nvdb_hits *hits);
NVDB_API const char *nvdb_hits_id(const nvdb_hits *hits, size_t i);
/** The i-th score; NaN if i is out of range. */
NVDB_API float nvdb_hits_score(const nvdb_hits *hits, size_t i);
NVDB_API const char *nvdb_hits_metadata(const nvdb_hits *hits, size_t i);
NVDB_API void nvdb_hits_free(nvdb_hits *hits);

/* ------------------------------------------------------------------------ */
/* Additional data, import and export                                         */
/* ------------------------------------------------------------------------ */

/**
 * The database's additional data: one JSON object, "{}" until set. *out is
 * a compact JSON string to release with nvdb_free.
 */
NVDB_API int nvdb_get_additional_data(nvdb_db *db, char **out);

/** Replaces the additional data with json, which must be a JSON object. */
NVDB_API int nvdb_set_additional_data(nvdb_db *db, const char *json);

/**
 * Upserts every record of the nano-vectordb file at path into db, and sets
 * db's additional data from the file's if it has one; all or nothing. The
 * file's embedding_dim must equal db's dimension (NVDB_EMISMATCH). Ids the
 * file stores as JSON numbers become their decimal text (and are written
 * back as numbers by nvdb_export_json); if that makes two ids equal (3 and
 * "3") the import fails with NVDB_EID naming them.
 */
NVDB_API int nvdb_import_json(nvdb_db *db, const char *path);

/**
 * Writes db as a nano-vectordb file at path, atomically, in the layout the
 * Python package writes (key order, separators, non-ASCII text unescaped,
 * base64 of the stored float32 matrix: the float32 vectors whatever the
 * element type), so nano-vectordb loads it and gives the same answers. Only
 * cosine databases can be exported (NVDB_EMISMATCH).
 */
NVDB_API int nvdb_export_json(nvdb_db *db, const char *path);

/**
 * Upserts every record of src into dst, and copies src's additional data;
 * all or nothing. The dimensions must be equal (NVDB_EMISMATCH); stored
 * vectors are copied as they are (the float32 ones; dst stores them in its
 * own element type).
 */
NVDB_API int nvdb_copy(nvdb_db *dst, nvdb_db *src);

/* ------------------------------------------------------------------------ */
/* Maintenance: verification and compaction                                  */
/* ------------------------------------------------------------------------ */

/**
 * Checks the database's structure and checksums, reading every byte of its
 * current generation once (O(size); the scan of a query, roughly):
 *   - the header: magic, format, layout and its checksum;
 *   - both commit records: checksum, counts within capacity, the record
 *     holding its epoch's slot, and for a store file's commits of up to
 *     1 MB the checksum of the data the commit added (larger commits, shm
 *     and memory databases carry no data checksum);
 *   - every row entry visible at the newest sound commit (a writer may be
 *     writing dead rows in place): id and metadata within the heap, the id
 *     1 to NVDB_MAX_ID_BYTES bytes of UTF-8, the metadata a JSON object;
 *   - the live rows: their number equals the commit's count, no two share
 *     an id, every vector is finite and, under cosine, of unit length;
 *   - the additional data: a well-formed JSON object.
 * Vectors of older commits carry no checksum: a bit flip that leaves a
 * vector finite (and of unit length under cosine) is not detected. A
 * commit a machine crash cut short (which opening sets aside, see
 * PROCESSES) is reported as damage (part "data") until the writer's next
 * commit takes its place.
 *
 * On NVDB_OK (sound) and NVDB_ECORRUPT (damaged; nvdb_errmsg() names the
 * first problem), *report receives a JSON object to release with nvdb_free:
 *   {"sound": false, "locator": "docs.nvdb", "storage": "file",
 *    "generation": 2, "epoch": 7, "rows": 120, "live": 100,
 *    "commit_records": 2, "rows_checked": 120, "vectors_checked": 100,
 *    "problem_count": 1,
 *    "problems": [{"part": "row", "message": "row 5: its id is not UTF-8"}]}
 * part is one of "header", "commit record", "data", "row", "id", "vector",
 * "count", "heap"; at most 100 problems are listed, problem_count counts
 * them all. epoch, rows and live describe the newest sound commit (0 if
 * none). On any other status (NVDB_EINVAL, NVDB_ENOMEM, ...) *report is
 * NULL. A store whose header cannot be read fails already in nvdb_open
 * (NVDB_ECORRUPT), so a verifying program opens it first, reads only.
 *
 * Any handle may verify: a reader sees what other readers see, also while
 * the writer commits; a writer's own writes wait for it. Verification
 * changes nothing (a reader's lazy checks still raise NVDB_ECORRUPT on a
 * damaged row; a writer does not open a store with damaged live rows).
 * ":memory:" and ".json" databases are checked in memory: a ".json" file
 * has no checksums, and a damaged one fails to load in nvdb_open.
 */
NVDB_API int nvdb_verify(nvdb_db *db, char **report);

/**
 * Rewrites the live records into a new generation without dead rows, sized
 * for the live data plus an eighth, and removes the old one: the space of
 * deleted and replaced records is given back. Writers reuse dead rows or
 * compact on their own once dead rows outnumber live ones (see PROCESSES,
 * Space); this does it now. Readers keep
 * answering throughout: a query running on the old generation finishes
 * there, the next one follows the writer (see PROCESSES). One commit,
 * durable like any other: a crash leaves the old or the new generation.
 * For ":memory:" the private memory is rewritten; for ".json" the
 * in-memory copy is (the file never holds dead rows: nvdb_save rewrites it
 * whole). NVDB_EREADONLY on a read-only handle; NVDB_ENOMEM or NVDB_EIO if
 * the new generation cannot be made, the database then unchanged.
 */
NVDB_API int nvdb_compact(nvdb_db *db);

#ifdef __cplusplus
}
#endif

#endif /* NVDB_H */
