using System;
using System.Collections.Generic;

namespace Nvdb {

/// <summary>
/// An nvdb database: records (id, float[] vector, JSON metadata) queried by
/// exact nearest-neighbour search, with nano-vectordb's semantics.
/// </summary>
/// <remarks>
/// Locators: ":memory:" (private, in memory), "PATH.json" (a nano-vectordb
/// file, written back by <see cref="Save"/> and <see cref="Dispose"/>),
/// "shm:NAME" (a shared-memory store) or any other path (a store file). A
/// store has one writer and any number of readers (<see cref="OpenMode.Read"/>)
/// in any process.
///
/// Threads: one Database may be shared by any number of threads. Reads (Get,
/// Count, Query, AdditionalData, Info, ExportJson) run concurrently without
/// locks, each on the last commit; writes are serialised by nvdb and never
/// wait for reads. Dispose is safe even while other threads are inside a
/// call: the native handle is closed when the last such call returns, and
/// calls made after Dispose throw <see cref="ObjectDisposedException"/>.
/// Hit, Record and UpsertReport are immutable (a Record's vector array is the
/// caller's).
///
/// Errors: every refusal or failure throws <see cref="NvdbException"/> with
/// the C status code, and leaves the database unchanged (a batch is applied
/// whole or not at all). Null arguments throw ArgumentNullException.
/// </remarks>
public sealed class Database : IDisposable {
  readonly DbHandle handle;

  /// <summary>The database's dimension.</summary>
  public int Dim { get; }

  /// <summary>The database's metric (never <see cref="Metric.Default"/>).</summary>
  public Metric Metric { get; }

  /// <summary>What the scan reads (never <see cref="ElementType.Default"/>).</summary>
  public ElementType ElementType { get; }

  /// <summary>Opens or creates a database (see the class remarks for locators).</summary>
  public Database(string locator, OpenOptions options) {
    if (locator == null) throw new ArgumentNullException(nameof(locator));
    if (options == null) throw new ArgumentNullException(nameof(options));
    CheckText(locator, Status.InvalidArgument, "the locator");
    if (options.Dim < 0) {
      throw new NvdbException(Status.InvalidArgument, "open: dim " + options.Dim + " is negative");
    }
    handle = NvdbNative.nvdb_b_open(locator, (uint)options.Dim, (int)options.Metric,
                                    (int)options.Mode, (uint)options.Permissions,
                                    (uint)options.Flags, (uint)options.ElementType);
    Dim = (int)NvdbNative.nvdb_b_dim(handle);
    Metric = (Metric)NvdbNative.nvdb_b_metric(handle);
    ElementType = (ElementType)NvdbNative.nvdb_b_element_type(handle);
  }

  /// <summary>Opens a database, or creates it with this dimension and cosine.</summary>
  public Database(string locator, int dim) : this(locator, new OpenOptions { Dim = dim }) {}

  /// <summary>Opens an existing database read-write (a ".json" file, a store).</summary>
  public Database(string locator) : this(locator, new OpenOptions()) {}

  /// <summary>The version of the native library, "MAJOR.MINOR.PATCH".</summary>
  public static string Version {
    get { return NvdbNative.nvdb_b_version(); }
  }

  /// <summary>True once <see cref="Dispose"/> or <see cref="Close"/> was called.</summary>
  public bool IsClosed {
    get { return handle.IsClosed; }
  }

  /// <summary>The number of live records.</summary>
  public long Count {
    get {
      ThrowIfClosed();
      return NvdbNative.nvdb_b_count(handle);
    }
  }

  /// <summary>
  /// A JSON object describing the database (dim, metric, count, storage,
  /// epoch and readers of a store...; for a store file, "durable_epoch", the
  /// last commit flushed to disk).
  /// </summary>
  public string Info {
    get {
      ThrowIfClosed();
      return NvdbNative.nvdb_b_info(handle);
    }
  }

  /// <summary>The database's additional data: one JSON object, "{}" until set, set whole.</summary>
  public string AdditionalData {
    get {
      ThrowIfClosed();
      return NvdbNative.nvdb_b_get_additional_data(handle);
    }
    set {
      if (value == null) throw new ArgumentNullException(nameof(value));
      ThrowIfClosed();
      CheckText(value, Status.Json, "the additional data");
      NvdbNative.nvdb_b_set_additional_data(handle, value);
    }
  }

  /// <summary>Inserts or replaces one record; a null id is generated.</summary>
  public UpsertReport Upsert(string id, float[] vector, string metadata = null) {
    return Upsert(new Record(id, vector, metadata));
  }

  /// <summary>Inserts new records and replaces existing ones, all or nothing.</summary>
  public UpsertReport Upsert(params Record[] records) {
    return Upsert((IEnumerable<Record>)records);
  }

  /// <summary>
  /// Inserts new records and replaces existing ones (vector and metadata),
  /// all or nothing. Within one batch a repeated id: the last one wins.
  /// </summary>
  public UpsertReport Upsert(IEnumerable<Record> records) {
    if (records == null) throw new ArgumentNullException(nameof(records));
    ThrowIfClosed();
    SWIGTYPE_p_nvdb_b_batch batch = NvdbNative.nvdb_b_batch_new();
    if (batch == null) throw OutOfMemory();
    try {
      int i = 0;
      foreach (Record record in records) {
        AddToBatch(batch, i++, record);
      }
      SWIGTYPE_p_nvdb_report report = NvdbNative.nvdb_b_upsert(handle, batch);
      try {
        return ReadReport(report);
      } finally {
        NvdbNative.nvdb_b_report_free(report);
      }
    } finally {
      NvdbNative.nvdb_b_batch_free(batch);
    }
  }

  /// <summary>The records with these ids, in the order asked; unknown ids are skipped.</summary>
  public IList<Record> Get(params string[] ids) {
    return Get((IEnumerable<string>)ids);
  }

  /// <summary>
  /// The records with these ids, in the order asked (nano-vectordb returns
  /// storage order); unknown ids are skipped, an id asked twice comes twice.
  /// </summary>
  public IList<Record> Get(IEnumerable<string> ids) {
    SWIGTYPE_p_nvdb_b_ids list = ToNative(ids, "get");
    try {
      SWIGTYPE_p_nvdb_records records = NvdbNative.nvdb_b_get(handle, list);
      try {
        return ReadRecords(records);
      } finally {
        NvdbNative.nvdb_b_records_free(records);
      }
    } finally {
      NvdbNative.nvdb_b_ids_free(list);
    }
  }

  /// <summary>Deletes the records with these ids; returns how many were removed.</summary>
  public long Delete(params string[] ids) {
    return Delete((IEnumerable<string>)ids);
  }

  /// <summary>Deletes the records with these ids (unknown ids are ignored); returns how many were removed.</summary>
  public long Delete(IEnumerable<string> ids) {
    SWIGTYPE_p_nvdb_b_ids list = ToNative(ids, "delete");
    try {
      return NvdbNative.nvdb_b_delete(handle, list);
    } finally {
      NvdbNative.nvdb_b_ids_free(list);
    }
  }

  /// <summary>
  /// The records most similar to <paramref name="vector"/>, best first (equal
  /// scores by id, bytewise ascending).
  /// </summary>
  /// <param name="vector">The query; its length must be <see cref="Dim"/>.</param>
  /// <param name="topK">How many hits at most (0 gives none).</param>
  /// <param name="threshold">If set, only scores at least this good.</param>
  /// <param name="filter">A declarative JSON filter on metadata, e.g.
  /// {"genre": "jazz", "year": {"$gte": 2000}}; null for none.</param>
  public IList<Hit> Query(float[] vector, int topK = 10, float? threshold = null,
                          string filter = null) {
    if (vector == null) throw new ArgumentNullException(nameof(vector));
    if (topK < 0) {
      throw new NvdbException(Status.InvalidArgument, "query: top_k " + topK + " is negative");
    }
    ThrowIfClosed();
    CheckText(filter, Status.Filter, "query: the filter");
    SWIGTYPE_p_nvdb_hits hits = NvdbNative.nvdb_b_query(
        handle, vector, vector.Length, (uint)topK, threshold.HasValue ? 1 : 0,
        threshold.GetValueOrDefault(), filter);
    try {
      return ReadHits(hits);
    } finally {
      NvdbNative.nvdb_b_hits_free(hits);
    }
  }

  /// <summary>
  /// Answers many queries in one call: element i is what <see cref="Query"/> returns for
  /// vectors[i] with the same options (the same hits in the same order), all from one commit.
  /// The library scores them together as a matrix product, far faster than one call per vector
  /// when there are more than a few. Every vector is checked before any work; a bad one is named
  /// in the exception ("query 3: ..."). The vectors are copied into one array for the call.
  /// </summary>
  public IList<IList<Hit>> QueryBatch(float[][] vectors, int topK = 10, float? threshold = null,
                                      string filter = null) {
    if (vectors == null) throw new ArgumentNullException(nameof(vectors));
    if (topK < 0) {
      throw new NvdbException(Status.InvalidArgument, "query batch: top_k " + topK + " is negative");
    }
    ThrowIfClosed();
    float[] rows = RowMajor(vectors);
    CheckText(filter, Status.Filter, "query batch: the filter");
    SWIGTYPE_p_nvdb_b_answers answers = NvdbNative.nvdb_b_query_batch(
        handle, rows, rows.Length, vectors.Length, (uint)topK, threshold.HasValue ? 1 : 0,
        threshold.GetValueOrDefault(), filter);
    try {
      var result = new IList<Hit>[NvdbNative.nvdb_b_answers_count(answers)];
      for (int i = 0; i < result.Length; ++i) {
        SWIGTYPE_p_nvdb_hits hits = NvdbNative.nvdb_b_answers_take(answers, i);
        try {
          result[i] = ReadHits(hits);
        } finally {
          NvdbNative.nvdb_b_hits_free(hits);
        }
      }
      return Array.AsReadOnly(result);
    } finally {
      NvdbNative.nvdb_b_answers_free(answers);
    }
  }

  // The vectors one after the other, each checked to have this database's dimension.
  float[] RowMajor(float[][] vectors) {
    var rows = new float[checked(vectors.Length * Dim)];
    for (int i = 0; i < vectors.Length; ++i) {
      if (vectors[i] == null) throw new ArgumentNullException(nameof(vectors), "query batch: query " + i + " is null");
      if (vectors[i].Length != Dim) {
        throw new NvdbException(Status.Dimension, "query batch: query " + i + " has " + vectors[i].Length +
                                                      " components, the database has dim " + Dim);
      }
      Array.Copy(vectors[i], 0, rows, i * Dim, Dim);
    }
    return rows;
  }

  /// <summary>Upserts every record of a nano-vectordb file and takes its additional data, all or nothing.</summary>
  public void ImportJson(string path) {
    if (path == null) throw new ArgumentNullException(nameof(path));
    ThrowIfClosed();
    CheckText(path, Status.InvalidArgument, "import: the path");
    NvdbNative.nvdb_b_import_json(handle, path);
  }

  /// <summary>Writes the database as a nano-vectordb file, atomically (cosine only).</summary>
  public void ExportJson(string path) {
    if (path == null) throw new ArgumentNullException(nameof(path));
    ThrowIfClosed();
    CheckText(path, Status.InvalidArgument, "export: the path");
    NvdbNative.nvdb_b_export_json(handle, path);
  }

  /// <summary>Upserts every record of <paramref name="source"/> and copies its additional data, all or nothing.</summary>
  public void CopyFrom(Database source) {
    if (source == null) throw new ArgumentNullException(nameof(source));
    ThrowIfClosed();
    source.ThrowIfClosed();
    NvdbNative.nvdb_b_copy(handle, source.handle);
  }

  /// <summary>
  /// Checks the database's checksums and structure, reading all of it once
  /// (nvdb_verify). A damaged database is a result (Sound false, the
  /// problems in the report), not an exception; NvdbException only when the
  /// check cannot run. Any handle may verify, a reader also while the writer
  /// commits.
  /// </summary>
  public Verification Verify() {
    ThrowIfClosed();
    SWIGTYPE_p_nvdb_b_verification found = NvdbNative.nvdb_b_verify(handle);
    try {
      return new Verification(NvdbNative.nvdb_b_verification_sound(found) != 0,
                              NvdbNative.nvdb_b_verification_report(found));
    } finally {
      NvdbNative.nvdb_b_verification_free(found);
    }
  }

  /// <summary>
  /// Rewrites the live records into a new generation without the dead ones,
  /// giving back the space of deleted and replaced records; readers keep
  /// answering. Status.ReadOnly on a reader.
  /// </summary>
  public void Compact() {
    ThrowIfClosed();
    NvdbNative.nvdb_b_compact(handle);
  }

  /// <summary>
  /// Writes a ".json" database back to its file atomically. For the writer
  /// of a store file opened with <see cref="OpenFlags.NoSync"/>, flushes its
  /// commits to disk, so that a power loss keeps them (Status.IO if the disk
  /// fails). A no-op for other kinds.
  /// </summary>
  public void Save() {
    ThrowIfClosed();
    NvdbNative.nvdb_b_save(handle);
  }

  /// <summary>
  /// Saves a writable database (see <see cref="Save"/>) and releases the
  /// handle; throws NvdbException if that save failed. Calling it again
  /// does nothing.
  /// </summary>
  public void Close() {
    handle.Dispose();
    // Close ran now unless another thread is still inside a call; it then
    // runs when that call returns, and its status has no one to report to.
    Status status = handle.CloseStatus;
    if (status != Status.Ok) {
      handle.CloseStatus = Status.Ok;
      throw new NvdbException(status, handle.CloseMessage);
    }
  }

  /// <summary>Same as <see cref="Close"/>.</summary>
  public void Dispose() {
    Close();
  }

  void ThrowIfClosed() {
    // A close racing with this check is caught by the marshaller, which
    // throws ObjectDisposedException too: no call reaches a freed handle.
    if (handle.IsClosed) {
      throw new ObjectDisposedException(nameof(Database), "the database was closed");
    }
  }

  // C strings end at the first NUL: refuse text that would be cut short
  // rather than let nvdb see a different id, JSON document or path.
  static void CheckText(string text, Status status, string what) {
    if (text != null && text.IndexOf('\0') >= 0) {
      throw new NvdbException(status, what + " contains a NUL character");
    }
  }

  static NvdbException OutOfMemory() {
    return new NvdbException(Status.NoMemory, "out of memory");
  }

  static void AddToBatch(SWIGTYPE_p_nvdb_b_batch batch, int i, Record record) {
    if (record == null) throw new ArgumentNullException("records[" + i + "]");
    string which = "upsert: record " + i;
    CheckText(record.Id, Status.Id, which + ": the id");
    CheckText(record.Metadata, Status.Json, which + ": the metadata");
    if (NvdbNative.nvdb_b_batch_add(batch, record.Id, record.Vector, record.Vector.Length,
                                    record.Metadata) == 0) {
      throw OutOfMemory();
    }
  }

  SWIGTYPE_p_nvdb_b_ids ToNative(IEnumerable<string> ids, string operation) {
    if (ids == null) throw new ArgumentNullException(nameof(ids));
    ThrowIfClosed();
    SWIGTYPE_p_nvdb_b_ids list = NvdbNative.nvdb_b_ids_new();
    if (list == null) throw OutOfMemory();
    try {
      int i = 0;
      foreach (string id in ids) {
        if (id == null) throw new ArgumentNullException("ids[" + i + "]");
        CheckText(id, Status.Id, operation + ": id " + i);
        if (NvdbNative.nvdb_b_ids_add(list, id) == 0) throw OutOfMemory();
        i++;
      }
      return list;
    } catch {
      NvdbNative.nvdb_b_ids_free(list);
      throw;
    }
  }

  static UpsertReport ReadReport(SWIGTYPE_p_nvdb_report report) {
    var updated = new string[NvdbNative.nvdb_b_report_updated_count(report)];
    for (int i = 0; i < updated.Length; ++i) {
      updated[i] = NvdbNative.nvdb_b_report_updated_id(report, i);
    }
    var inserted = new string[NvdbNative.nvdb_b_report_inserted_count(report)];
    for (int i = 0; i < inserted.Length; ++i) {
      inserted[i] = NvdbNative.nvdb_b_report_inserted_id(report, i);
    }
    return new UpsertReport(Array.AsReadOnly(updated), Array.AsReadOnly(inserted));
  }

  IList<Record> ReadRecords(SWIGTYPE_p_nvdb_records records) {
    var result = new Record[NvdbNative.nvdb_b_records_count(records)];
    for (int i = 0; i < result.Length; ++i) {
      var vector = new float[Dim];
      NvdbNative.nvdb_b_records_vector(records, i, vector, vector.Length);
      result[i] = new Record(NvdbNative.nvdb_b_records_id(records, i), vector,
                             NvdbNative.nvdb_b_records_metadata(records, i));
    }
    return Array.AsReadOnly(result);
  }

  static IList<Hit> ReadHits(SWIGTYPE_p_nvdb_hits hits) {
    var result = new Hit[NvdbNative.nvdb_b_hits_count(hits)];
    for (int i = 0; i < result.Length; ++i) {
      result[i] = new Hit(NvdbNative.nvdb_b_hits_id(hits, i), NvdbNative.nvdb_b_hits_score(hits, i),
                          NvdbNative.nvdb_b_hits_metadata(hits, i));
    }
    return Array.AsReadOnly(result);
  }
}

}
