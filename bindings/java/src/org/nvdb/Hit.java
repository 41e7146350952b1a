package org.nvdb;

import java.util.Objects;

/** One result of a query: a record's id, its score and its metadata (compact JSON). Immutable. */
public final class Hit {
  private final String id;
  private final float score;
  private final String metadata;

  Hit(String id, float score, String metadata) {
    this.id = id;
    this.score = score;
    this.metadata = metadata;
  }

  public String id() {
    return id;
  }

  /** Cosine similarity, inner product, or minus the Euclidean distance: higher is better. */
  public float score() {
    return score;
  }

  /** The record's metadata as compact JSON text, exactly as stored. */
  public String metadata() {
    return metadata;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Hit)) return false;
    Hit h = (Hit) o;
    return id.equals(h.id) && Float.compare(score, h.score) == 0 && metadata.equals(h.metadata);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, score, metadata);
  }

  @Override
  public String toString() {
    return "Hit{id=" + id + ", score=" + score + ", metadata=" + metadata + "}";
  }
}
