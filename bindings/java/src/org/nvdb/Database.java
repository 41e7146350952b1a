package org.nvdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An nvdb database: records (an id, a float vector of a fixed dimension, JSON metadata) and
 * exact nearest-neighbour queries over them, with nano-vectordb's semantics.
 *
 * <pre>{@code
 * try (Database db = Database.inMemory(4)) {
 *   db.upsert("a", new float[] {1, 0, 0, 0}, "{\"genre\": \"jazz\"}");
 *   List<Hit> hits = db.query(new float[] {1, 0.1f, 0, 0}, 5);
 * }
 * }</pre>
 *
 * <p>Locators: {@code ":memory:"} (private), {@code "PATH.json"} (a nano-vectordb file, loaded
 * into memory and written back by {@link #save()} and {@link #close()}), {@code "shm:NAME"} (a
 * store in shared memory) or any other path (a store file). Stores have one writer and any number
 * of readers, in this process or others: a second writer gets {@link Status#EBUSY}, a reader's
 * write {@link Status#EREADONLY}, and a reader sees each commit once the write has returned.
 *
 * <p>Threads: a Database may be shared by any number of threads, and every method may be called
 * concurrently (reads run in parallel; writes are serialised by the library and never wait for
 * reads). {@link #close()} waits for the calls in progress; every call after it throws an
 * {@link NvdbException} with status {@link Status#EINVAL}. Results ({@link Hit}, {@link Record},
 * {@link Report}) are immutable copies that outlive the database.
 *
 * <p>Errors: every failure throws {@link NvdbException} carrying the nvdb status code, and
 * leaves the database as it was.
 */
public final class Database implements AutoCloseable {
  private static final long FLAG_NO_SYNC = 1;

  /* Every call holds the read side while it uses the handle; close takes the write side, so a
     handle is never freed under a call in progress (which would crash the JVM). */
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private long handle; // 0 once closed; guarded by lock
  private final String locator;
  private final int dim;
  private final Metric metric;
  private final ElementType elementType;

  private Database(long handle, String locator) {
    this.handle = handle;
    this.locator = locator;
    this.dim = (int) NvdbNative.dim(handle);
    this.metric = Metric.of(NvdbNative.metric(handle));
    this.elementType = ElementType.of(NvdbNative.element_type(handle));
  }

  /* ---- Opening and closing ---- */

  /** Opens or creates the database at locator (see the class comment for locators). */
  public static Database open(String locator, Options options) {
    require(locator, "the locator");
    require(options, "the options");
    require(options.metric, "the metric");
    require(options.mode, "the mode");
    require(options.elementType, "the element type");
    NativeLibrary.load(); // before the first native call, for its clear message when missing
    byte[] where = Utf8.encode(locator, Status.EINVAL, "the locator");
    long handle = NvdbNative.open(where, Integer.toUnsignedLong(options.dim), options.metric.code,
        options.mode.code, Integer.toUnsignedLong(options.permissions),
        options.noSync ? FLAG_NO_SYNC : 0, options.elementType.code);
    try {
      return new Database(handle, locator);
    } catch (RuntimeException e) { // a metric or type this binding does not know: do not leak the handle
      NvdbNative.close(handle);
      throw e;
    }
  }

  /** Opens an existing database for reading and writing, whatever its dimension and metric. */
  public static Database open(String locator) {
    return open(locator, new Options().mode(OpenMode.WRITE));
  }

  /** A new, empty, private database of dimension dim under cosine. */
  public static Database inMemory(int dim) {
    return inMemory(dim, Metric.COSINE);
  }

  /** A new, empty, private database of dimension dim under the given metric. */
  public static Database inMemory(int dim, Metric metric) {
    return open(":memory:", new Options().dim(dim).metric(metric));
  }

  /** The native library's version, "MAJOR.MINOR.PATCH". */
  public static String libraryVersion() {
    NativeLibrary.load();
    return NvdbNative.version();
  }

  /**
   * Saves a writable database (see {@link #save()}) and releases the handle, which is released
   * even when the save fails (the exception says so). Waits for calls in progress on other
   * threads. Closing twice is a no-op.
   */
  @Override
  public void close() {
    Lock exclusive = lock.writeLock();
    exclusive.lock();
    try {
      long h = handle;
      handle = 0;
      if (h != 0) NvdbNative.close(h);
    } finally {
      exclusive.unlock();
    }
  }

  public boolean isClosed() {
    return use(h -> h == 0, false);
  }

  /**
   * Writes a ".json" database back to its file atomically. For the writer of a store file opened
   * with {@link Options#noSync}, flushes its commits to disk, so that a power loss keeps them
   * ({@link Status#EIO} if the disk fails). A no-op for other kinds.
   */
  public void save() {
    run(NvdbNative::save);
  }

  /* ---- Properties ---- */

  public String locator() {
    return locator;
  }

  public int dim() {
    return use(h -> dim);
  }

  public Metric metric() {
    return use(h -> metric);
  }

  /** What the scan reads: FLOAT32, FLOAT16, BFLOAT16 or INT8 (never DEFAULT). */
  public ElementType elementType() {
    return use(h -> elementType);
  }

  /** The number of live records. */
  public long count() {
    return use(NvdbNative::count);
  }

  /**
   * A JSON object describing the database (storage, kernel, epoch and readers of a store...;
   * for a store file, "durable_epoch": the last commit flushed to disk).
   */
  public String info() {
    return use(NvdbNative::info);
  }

  /* ---- Records ---- */

  /**
   * Inserts or replaces one record. id null generates the id (the md5 hex digest of the vector's
   * float32 bytes, as nano-vectordb does); metadata is a JSON object, or null for {}.
   */
  public Report upsert(String id, float[] vector, String metadata) {
    return upsert(new String[] {id}, new float[][] {vector}, new String[] {metadata});
  }

  /**
   * Inserts new records and replaces existing ones, all or nothing. ids null generates every id
   * (a null entry generates one); metadata null means {} for all (a null entry: {}). Within one
   * batch a repeated id: the last record wins and the id is reported once.
   */
  public Report upsert(String[] ids, float[][] vectors, String[] metadata) {
    long batch = batch(ids, vectors, metadata);
    try {
      return use(h -> report(NvdbNative.upsert(h, batch)));
    } finally {
      NvdbNative.batch_free(batch);
    }
  }

  /**
   * The records with these ids, in the order asked (nano-vectordb returns storage order); unknown
   * ids are skipped and an id asked twice comes back twice.
   */
  public List<Record> get(String... ids) {
    require(ids, "the ids");
    return get(Arrays.asList(ids));
  }

  public List<Record> get(Collection<String> ids) {
    long list = idList("get", ids);
    try {
      return use(h -> records(NvdbNative.get(h, list)));
    } finally {
      NvdbNative.ids_free(list);
    }
  }

  /** Deletes the records with these ids (unknown ids are ignored); returns how many were. */
  public long delete(String... ids) {
    require(ids, "the ids");
    return delete(Arrays.asList(ids));
  }

  public long delete(Collection<String> ids) {
    long list = idList("delete", ids);
    try {
      return use(h -> NvdbNative.delete(h, list));
    } finally {
      NvdbNative.ids_free(list);
    }
  }

  /* ---- Queries ---- */

  /** The topK records most similar to vector, best first. */
  public List<Hit> query(float[] vector, int topK) {
    return query(vector, new Query().topK(topK));
  }

  /**
   * The records most similar to vector, best first (equal scores by id, bytewise), with the
   * query's top-k, threshold and filter. The vector is passed to the library without a copy.
   */
  public List<Hit> query(float[] vector, Query query) {
    require(vector, "the query vector");
    require(query, "the query");
    if (query.topK < 0) throw new NvdbException(Status.EINVAL, "query: topK is negative");
    byte[] filter = Utf8.encode(query.filter, Status.EFILTER, "query: the filter");
    return use(h -> hits(NvdbNative.query(h, vector, query.topK, query.useThreshold ? 1 : 0,
        query.threshold, filter)));
  }

  /** For each vector, its topK records most similar, as {@link #queryBatch(float[][], Query)}. */
  public List<List<Hit>> queryBatch(float[][] vectors, int topK) {
    return queryBatch(vectors, new Query().topK(topK));
  }

  /**
   * Answers many queries in one call: element i is what {@link #query(float[], Query)} returns
   * for vectors[i] (the same hits in the same order), all from one commit. The library scores
   * them together as a matrix product, far faster than one call per vector when there are more
   * than a few. Every vector is checked before any work; a bad one is named in the exception
   * ("query 3: ..."). The vectors are copied into one array for the call.
   */
  public List<List<Hit>> queryBatch(float[][] vectors, Query query) {
    require(vectors, "the query vectors");
    require(query, "the query");
    if (query.topK < 0) throw new NvdbException(Status.EINVAL, "query batch: topK is negative");
    float[] rows = rowMajor(vectors);
    byte[] filter = Utf8.encode(query.filter, Status.EFILTER, "query batch: the filter");
    return use(h -> answers(NvdbNative.query_batch(h, rows, vectors.length, query.topK,
        query.useThreshold ? 1 : 0, query.threshold, filter)));
  }

  /* ---- Additional data, import, export ---- */

  /** The database's additional data: one JSON object, "{}" until set. */
  public String additionalData() {
    return use(NvdbNative::get_additional_data);
  }

  /** Replaces the additional data with json, which must be a JSON object. */
  public void setAdditionalData(String json) {
    require(json, "the additional data");
    byte[] bytes = Utf8.encode(json, Status.EJSON, "the additional data");
    run(h -> NvdbNative.set_additional_data(h, bytes));
  }

  /**
   * Upserts every record of a nano-vectordb file, and takes its additional data if it has one;
   * all or nothing. The file's dimension must be this database's.
   */
  public void importJson(String path) {
    byte[] file = Utf8.encode(require(path, "the path"), Status.EINVAL, "the path");
    run(h -> NvdbNative.import_json(h, file));
  }

  /** Writes this (cosine) database as a nano-vectordb file, atomically. */
  public void exportJson(String path) {
    byte[] file = Utf8.encode(require(path, "the path"), Status.EINVAL, "the path");
    run(h -> NvdbNative.export_json(h, file));
  }

  /** Upserts every record of source into this database and copies its additional data. */
  public void copyFrom(Database source) {
    require(source, "the source database");
    run(h -> source.run(s -> NvdbNative.copy(h, s)));
  }

  /* ---- Maintenance ---- */

  /**
   * Checks the database's checksums and structure, reading all of it once (nvdb_verify). A
   * damaged database is a result ({@code sound()} false, the problems in the report), not an
   * exception; NvdbException only when the check cannot run. Any handle may verify, a reader also
   * while the writer commits.
   */
  public Verification verify() {
    return use(h -> {
      long v = NvdbNative.verify(h);
      try {
        return new Verification(NvdbNative.verification_sound(v) != 0,
            NvdbNative.verification_report(v));
      } finally {
        NvdbNative.verification_free(v);
      }
    });
  }

  /**
   * Rewrites the live records into a new generation without the dead ones, giving back the space
   * of deleted and replaced records; readers keep answering. Status.EREADONLY on a reader.
   */
  public void compact() {
    run(NvdbNative::compact);
  }

  @Override
  public String toString() {
    return "Database{" + locator + ", dim " + dim + ", " + metric + "}";
  }

  /* ---- Helpers ---- */

  private interface Call<T> {
    T apply(long handle);
  }

  private interface Action {
    void apply(long handle);
  }

  private <T> T use(Call<T> call) {
    return use(call, true);
  }

  /* Runs call with the live handle, which close cannot free meanwhile. */
  private <T> T use(Call<T> call, boolean mustBeOpen) {
    Lock shared = lock.readLock();
    shared.lock();
    try {
      if (handle == 0 && mustBeOpen) {
        throw new NvdbException(Status.EINVAL, "the database " + locator + " is closed");
      }
      return call.apply(handle);
    } finally {
      shared.unlock();
    }
  }

  private void run(Action action) {
    use(h -> {
      action.apply(h);
      return null;
    });
  }

  private static <T> T require(T value, String what) {
    if (value == null) throw new NvdbException(Status.EINVAL, what + " is null");
    return value;
  }

  private static NvdbException outOfMemory() {
    return new NvdbException(Status.ENOMEM, "out of memory");
  }

  /* A native batch of the records to upsert; the caller frees it. */
  private static long batch(String[] ids, float[][] vectors, String[] metadata) {
    require(vectors, "the vectors");
    int n = vectors.length;
    if (ids != null && ids.length != n) {
      throw new NvdbException(Status.EINVAL, "upsert: " + ids.length + " ids for " + n + " vectors");
    }
    if (metadata != null && metadata.length != n) {
      throw new NvdbException(Status.EINVAL,
          "upsert: " + metadata.length + " metadata for " + n + " vectors");
    }
    long batch = NvdbNative.batch_new();
    if (batch == 0) throw outOfMemory();
    try {
      for (int i = 0; i < n; i++) {
        String record = "upsert: record " + i + ": ";
        require(vectors[i], record + "the vector");
        byte[] id = ids == null ? null : Utf8.encode(ids[i], Status.EID, record + "the id");
        byte[] meta = metadata == null ? null
            : Utf8.encode(metadata[i], Status.EJSON, record + "the metadata");
        if (NvdbNative.batch_add(batch, id, vectors[i], meta) == 0) throw outOfMemory();
      }
      return batch;
    } catch (RuntimeException e) {
      NvdbNative.batch_free(batch);
      throw e;
    }
  }

  /* A native list of ids; the caller frees it. */
  private static long idList(String operation, Collection<String> ids) {
    require(ids, "the ids");
    long list = NvdbNative.ids_new();
    if (list == 0) throw outOfMemory();
    try {
      int i = 0;
      for (String id : ids) {
        String what = operation + ": id " + i++;
        byte[] bytes = Utf8.encode(require(id, what), Status.EID, what);
        if (NvdbNative.ids_add(list, bytes) == 0) throw outOfMemory();
      }
      return list;
    } catch (RuntimeException e) {
      NvdbNative.ids_free(list);
      throw e;
    }
  }

  /* The functions below copy a native result into Java objects, then free it. */

  private static Report report(long report) {
    try {
      List<String> updated = new ArrayList<>();
      List<String> inserted = new ArrayList<>();
      for (long i = 0, n = NvdbNative.report_updated_count(report); i < n; i++) {
        updated.add(NvdbNative.report_updated_id(report, i));
      }
      for (long i = 0, n = NvdbNative.report_inserted_count(report); i < n; i++) {
        inserted.add(NvdbNative.report_inserted_id(report, i));
      }
      return new Report(updated, inserted);
    } finally {
      NvdbNative.report_free(report);
    }
  }

  private List<Record> records(long records) {
    try {
      int n = (int) NvdbNative.records_count(records);
      List<Record> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        float[] vector = new float[dim];
        NvdbNative.records_vector(records, i, vector);
        out.add(new Record(NvdbNative.records_id(records, i), vector,
            NvdbNative.records_metadata(records, i)));
      }
      return Collections.unmodifiableList(out);
    } finally {
      NvdbNative.records_free(records);
    }
  }

  /* The vectors one after the other, each checked to have this database's dimension. */
  private float[] rowMajor(float[][] vectors) {
    float[] rows = new float[Math.multiplyExact(vectors.length, dim)];
    for (int i = 0; i < vectors.length; i++) {
      float[] v = require(vectors[i], "query batch: query " + i);
      if (v.length != dim) {
        throw new NvdbException(Status.EDIM, "query batch: query " + i + " has " + v.length
            + " components, the database has dim " + dim);
      }
      System.arraycopy(v, 0, rows, i * dim, dim);
    }
    return rows;
  }

  private static List<List<Hit>> answers(long answers) {
    try {
      int n = (int) NvdbNative.answers_count(answers);
      List<List<Hit>> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) out.add(hits(NvdbNative.answers_take(answers, i)));
      return Collections.unmodifiableList(out);
    } finally {
      NvdbNative.answers_free(answers);
    }
  }

  private static List<Hit> hits(long hits) {
    try {
      int n = (int) NvdbNative.hits_count(hits);
      List<Hit> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(new Hit(NvdbNative.hits_id(hits, i), NvdbNative.hits_score(hits, i),
            NvdbNative.hits_metadata(hits, i)));
      }
      return Collections.unmodifiableList(out);
    } finally {
      NvdbNative.hits_free(hits);
    }
  }
}
