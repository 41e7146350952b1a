using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using NUnit.Framework;

namespace Nvdb.Tests {

/// <summary>One Database shared by many threads: queries run at once and stay exact.</summary>
[TestFixture]
public class ThreadsTests {
  const int Dim = 16, Records = 2000, Queries = 32, Threads = 8, QueriesPerThread = 300;
  const string BaseOnly = "{\"src\": \"base\"}";

  Database db;
  float[][] queries;
  IList<Hit>[] expected;

  [SetUp]
  public void Fill() {
    var random = new Random(42);
    db = Support.Memory(Dim);
    var records = new List<Record>();
    for (int i = 0; i < Records; ++i) {
      records.Add(new Record("r" + i, Support.RandomVector(random, Dim), "{\"src\":\"base\",\"i\":" + i + "}"));
    }
    db.Upsert(records);
    queries = new float[Queries][];
    expected = new IList<Hit>[Queries];
    for (int q = 0; q < Queries; ++q) {
      queries[q] = Support.RandomVector(random, Dim);
      expected[q] = db.Query(queries[q], 10, filter: BaseOnly);  // computed alone, first
    }
  }

  [TearDown]
  public void Close() {
    db.Dispose();
  }

  /// <summary>Runs body(thread index) on n threads started together; returns their exceptions.</summary>
  static List<Exception> RunThreads(int n, Action<int> body) {
    var errors = new ConcurrentQueue<Exception>();
    var start = new Barrier(n);
    var threads = new List<Thread>();
    for (int t = 0; t < n; ++t) {
      int index = t;
      var thread = new Thread(() => {
        try {
          start.SignalAndWait();
          body(index);
        } catch (Exception e) {
          errors.Enqueue(e);
        }
      });
      threads.Add(thread);
      thread.Start();
    }
    foreach (Thread thread in threads) thread.Join();
    return new List<Exception>(errors);
  }

  void CheckQuery(int q) {
    IList<Hit> hits = db.Query(queries[q], 10, filter: BaseOnly);
    Assert.AreEqual(expected[q].Count, hits.Count);
    for (int i = 0; i < hits.Count; ++i) {
      Assert.AreEqual(expected[q][i].Id, hits[i].Id);
      Assert.AreEqual(expected[q][i].Score, hits[i].Score);
      Assert.AreEqual(expected[q][i].Metadata, hits[i].Metadata);
    }
  }

  [Test]
  public void EightThreadsQueryOneHandleAtOnceWithExactAnswers() {
    List<Exception> errors = RunThreads(Threads, t => {
      var random = new Random(t);
      for (int n = 0; n < QueriesPerThread; ++n) CheckQuery(random.Next(Queries));
    });
    CollectionAssert.IsEmpty(errors);
  }

  [Test]
  public void QueriesStayExactWhileAnotherThreadWrites() {
    // The writer's records are outside the readers' filter, so their answers
    // must not move, while upserts and deletes commit between their queries.
    List<Exception> errors = RunThreads(Threads + 1, t => {
      if (t == Threads) {
        var random = new Random(99);
        for (int n = 0; n < 200; ++n) {
          db.Upsert("w" + n, Support.RandomVector(random, Dim), "{\"src\":\"writer\"}");
          if (n % 3 == 0) db.Delete("w" + (n / 2));
        }
        return;
      }
      var pick = new Random(t);
      for (int n = 0; n < QueriesPerThread; ++n) CheckQuery(pick.Next(Queries));
    });
    CollectionAssert.IsEmpty(errors);
    Assert.Greater(db.Count, Records);
  }

  [Test]
  public void ErrorsAreReportedToTheThreadThatFailed() {
    // Half the calls fail with distinct statuses: each thread must get its own.
    List<Exception> errors = RunThreads(Threads, t => {
      for (int n = 0; n < 200; ++n) {
        switch ((t + n) % 3) {
        case 0:
          CheckQuery(n % Queries);
          break;
        case 1:
          var dim = Assert.Throws<NvdbException>(() => db.Query(new float[Dim + 1 + t]));
          Assert.AreEqual(Status.Dimension, dim.Status);
          StringAssert.Contains((Dim + 1 + t).ToString(), dim.Message);
          break;
        default:
          var filter = Assert.Throws<NvdbException>(() => db.Query(queries[0], filter: "{\"$bad" + t + "\": 1}"));
          Assert.AreEqual(Status.Filter, filter.Status);
          break;
        }
      }
    });
    CollectionAssert.IsEmpty(errors);
  }
}

}
