package org.nvdb;

/**
 * The options of a query: how many hits, a score threshold, a declarative filter.
 *
 * <pre>{@code
 * db.query(vector, new Query().topK(5).threshold(0.3f).filter("{\"genre\": \"jazz\"}"));
 * }</pre>
 *
 * <p>The filter is a JSON document in the style of MongoDB's {@code where}: a top-level object
 * ANDs its fields; a field maps to a value (equality) or to operators {@code $eq $ne $gt $gte $lt
 * $lte $in $nin $exists}; {@code $and $or $not} combine filters; {@code "a.b"} reaches into nested
 * objects. An invalid filter fails the query with {@link Status#EFILTER}.
 */
public final class Query {
  int topK = 10;
  boolean useThreshold;
  float threshold;
  String filter;

  /** How many hits at most (default 10; 0 means none). */
  public Query topK(int topK) {
    this.topK = topK;
    return this;
  }

  /** Keep only hits whose score is at least threshold. */
  public Query threshold(float threshold) {
    this.useThreshold = true;
    this.threshold = threshold;
    return this;
  }

  /** A declarative JSON filter on metadata, or null for none. */
  public Query filter(String filter) {
    this.filter = filter;
    return this;
  }
}
