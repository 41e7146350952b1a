using System;
using System.Collections.Generic;

namespace Nvdb {

/// <summary>
/// A record: an id, a vector and its metadata as JSON text. Given to
/// <see cref="Database.Upsert(Record[])"/> (a null id is generated as the md5
/// of the vector, as nano-vectordb does; null metadata means "{}") and
/// returned by <see cref="Database.Get(string[])"/> (with the stored vector,
/// normalised under cosine, and compact metadata).
/// </summary>
public sealed class Record {
  /// <summary>The id (1 to 1024 bytes of UTF-8), or null to generate it.</summary>
  public string Id { get; }
  /// <summary>The vector; its length must be the database's dimension.</summary>
  public float[] Vector { get; }
  /// <summary>The metadata, a JSON object as text; null means "{}".</summary>
  public string Metadata { get; }

  /// <summary>A record to upsert.</summary>
  public Record(string id, float[] vector, string metadata = null) {
    if (vector == null) throw new ArgumentNullException(nameof(vector));
    Id = id;
    Vector = vector;
    Metadata = metadata;
  }

  /// <summary>For debugging: the id and metadata.</summary>
  public override string ToString() { return "Record(" + Id + ", " + Metadata + ")"; }
}

/// <summary>A query result: a record's id, its score (higher is better) and its metadata.</summary>
public sealed class Hit {
  /// <summary>The record's id.</summary>
  public string Id { get; }
  /// <summary>The score under the database's metric.</summary>
  public float Score { get; }
  /// <summary>The record's metadata as compact JSON text.</summary>
  public string Metadata { get; }

  internal Hit(string id, float score, string metadata) {
    Id = id;
    Score = score;
    Metadata = metadata;
  }

  /// <summary>For debugging: id and score.</summary>
  public override string ToString() { return "Hit(" + Id + ", " + Score + ")"; }
}

/// <summary>What an upsert did: the distinct ids updated and inserted, in input order.</summary>
public sealed class UpsertReport {
  /// <summary>Ids that were present and replaced.</summary>
  public IReadOnlyList<string> Updated { get; }
  /// <summary>Ids that were new.</summary>
  public IReadOnlyList<string> Inserted { get; }

  internal UpsertReport(IReadOnlyList<string> updated, IReadOnlyList<string> inserted) {
    Updated = updated;
    Inserted = inserted;
  }
}

}
