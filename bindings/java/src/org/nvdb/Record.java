package org.nvdb;

import java.util.Arrays;
import java.util.Objects;

/**
 * A stored record, as returned by {@link Database#get}: its id, its stored vector (normalised
 * under cosine) and its metadata (compact JSON). Immutable: {@link #vector()} returns a copy.
 *
 * <p>With {@code import org.nvdb.*}, write {@code import org.nvdb.Record;} too, since
 * {@code java.lang.Record} has the same simple name.
 */
public final class Record {
  private final String id;
  private final float[] vector;
  private final String metadata;

  Record(String id, float[] vector, String metadata) {
    this.id = id;
    this.vector = vector;
    this.metadata = metadata;
  }

  public String id() {
    return id;
  }

  /** A copy of the stored vector. */
  public float[] vector() {
    return vector.clone();
  }

  /** The record's metadata as compact JSON text, exactly as stored. */
  public String metadata() {
    return metadata;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Record)) return false;
    Record r = (Record) o;
    return id.equals(r.id) && Arrays.equals(vector, r.vector) && metadata.equals(r.metadata);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, Arrays.hashCode(vector), metadata);
  }

  @Override
  public String toString() {
    return "Record{id=" + id + ", vector=" + Arrays.toString(vector) + ", metadata=" + metadata
        + "}";
  }
}
