using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NUnit.Framework;

namespace Quiver.Tests
{
    [TestFixture]
    public class ConcurrencyTests : TempDirFixture
    {
        private const int Dim = 32;

        /// <summary>Runs <paramref name="bodies"/> on their own threads and waits for them all.</summary>
        private static List<Exception> RunThreads(IEnumerable<Action> bodies, int timeoutMs = 60000)
        {
            var errors = new ConcurrentQueue<Exception>();
            var threads = bodies.Select(body => new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            foreach (var t in threads)
            {
                Assert.That(t.Join(timeoutMs), Is.True, "a thread did not finish (deadlock?)");
            }
            return errors.ToList();
        }

        [Test, Timeout(120000)]
        public void ManyThreadsReadAndWriteOneCollection()
        {
            const int writers = 4, batches = 30, batchSize = 25;
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("c", new CollectionConfig(Dim)))
            {
                int writersLeft = writers;
                var bodies = new List<Action>();
                for (int w = 0; w < writers; w++)
                {
                    int wid = w;
                    bodies.Add(() =>
                    {
                        // Each writer uses its own handle to the collection.
                        using (var mine = db.OpenCollection("c"))
                        {
                            for (int b = 0; b < batches; b++)
                            {
                                var ids = TestData.Ids(wid * 100000 + b * batchSize, batchSize);
                                var payloads = ids.Select(id => "{\"w\": " + wid + ", \"id\": " + id + "}").ToArray();
                                mine.Upsert(ids, TestData.RandomVectors(batchSize, Dim, wid * 1000 + b), payloads);
                            }
                        }
                        Interlocked.Decrement(ref writersLeft);
                    });
                }
                for (int s = 0; s < 3; s++)
                {
                    int sid = s;
                    bodies.Add(() =>
                    {
                        long last = 0;
                        int round = 0;
                        while (Volatile.Read(ref writersLeft) > 0 || round < 5)
                        {
                            var queries = TestData.RandomVectors(8, Dim, sid * 7919 + round++);
                            using (var r = c.SearchBatch(queries, new SearchOptions(5) { WithPayload = true }))
                            {
                                Assert.That(r.QueryCount, Is.EqualTo(8));
                                for (int q = 0; q < 8; q++)
                                {
                                    foreach (var hit in r.GetHits(q))
                                    {
                                        StringAssert.Contains("\"id\":" + hit.Id, hit.Payload.Replace(" ", ""));
                                    }
                                }
                            }
                            long n = c.Count();
                            Assert.That(n % batchSize, Is.EqualTo(0), "a search saw half a batch");
                            Assert.That(n, Is.GreaterThanOrEqualTo(last));
                            last = n;
                        }
                    });
                }
                bodies.Add(() =>
                {
                    while (Volatile.Read(ref writersLeft) > 0)
                    {
                        using (var batch = c.Get(0, 1, 100000, 200000, 300000))
                        {
                            for (int i = 0; i < batch.Count; i++)
                            {
                                if (batch.IsFound(i))
                                {
                                    Assert.That(batch.GetVector(i).Length, Is.EqualTo(Dim));
                                }
                            }
                        }
                        c.ScrollIds("{\"field\": \"w\", \"eq\": 2}", 64).Count();
                    }
                });

                var errors = RunThreads(bodies);
                Assert.That(errors, Is.Empty, string.Join("\n", errors));
                Assert.That(c.Count(), Is.EqualTo(writers * batches * batchSize));
                for (int w = 0; w < writers; w++)
                {
                    Assert.That(c.ScrollIds("{\"field\": \"w\", \"eq\": " + w + "}").Count(), Is.EqualTo(batches * batchSize));
                }
            }
        }

        /// <summary>
        /// The operations the dispose tests run in a loop on a collection handle
        /// until it reports Closed; anything else is a failure.
        /// </summary>
        private static Action Worker(Func<QuiverCollection> coll, int kind, int seed, CountdownEvent started,
            ConcurrentQueue<ulong> acknowledged, Action onClosed)
        {
            return () =>
            {
                var rnd = new Random(seed);
                bool signalled = false;
                try
                {
                    for (int round = 0; ; round++)
                    {
                        var c = coll();
                        switch (kind % 5)
                        {
                            case 0: // long calls: exact batch search
                                using (var r = c.SearchBatch(TestData.RandomVectors(16, Dim, seed + round), new SearchOptions(10) { Exact = true, WithPayload = true }))
                                {
                                    r.GetHits(15);
                                }
                                break;
                            case 1: // writes
                                ulong baseId = (ulong)(1000000 + seed * 100000 + round * 20);
                                var ids = TestData.Ids((int)baseId, 20);
                                c.Upsert(ids, TestData.RandomVectors(20, Dim, seed + round), ids.Select(i => "{\"i\": " + i + "}").ToArray());
                                foreach (var id in ids)
                                {
                                    acknowledged.Enqueue(id);
                                }
                                break;
                            case 2:
                                using (var p = c.Get(TestData.Ids(rnd.Next(3000), 50)))
                                {
                                    p.GetVector(49);
                                }
                                break;
                            case 3:
                                c.Scroll((ulong)rnd.Next(3000), 500, "{\"field\": \"i\", \"gte\": 100}");
                                c.Count();
                                break;
                            default:
                                c.Search(TestData.RandomVectors(1, Dim, round), new SearchOptions(20) { Ef = 100 });
                                break;
                        }
                        if (!signalled)
                        {
                            signalled = true;
                            started.Signal();
                        }
                    }
                }
                catch (QuiverException e) when (e.Status == QuiverStatus.Closed)
                {
                    onClosed();
                }
                finally
                {
                    if (!signalled)
                    {
                        started.Signal();
                    }
                }
            };
        }

        private static void Fill(QuiverCollection c, int n)
        {
            var ids = TestData.Ids(0, n);
            c.Upsert(ids, TestData.RandomVectors(n, Dim, 42), ids.Select(i => "{\"i\": " + i + "}").ToArray());
        }

        [Test, Timeout(120000)]
        public void DisposingACollectionWhileOtherThreadsAreInsideCalls()
        {
            using (var db = OpenFast(DbPath()))
            {
                using (var c = db.CreateCollection("c", new CollectionConfig(Dim)))
                {
                    Fill(c, 3000);
                }
                for (int round = 0; round < 10; round++)
                {
                    const int threads = 6;
                    var shared = db.OpenCollection("c");
                    var started = new CountdownEvent(threads);
                    int closed = 0;
                    var acked = new ConcurrentQueue<ulong>();
                    var bodies = Enumerable.Range(0, threads)
                        .Select(t => Worker(() => shared, t, round * 10 + t, started, acked, () => Interlocked.Increment(ref closed)))
                        .ToList();
                    bodies.Add(() =>
                    {
                        started.Wait();
                        Thread.Sleep(10 * (round % 5));
                        shared.Dispose();
                    });
                    var errors = RunThreads(bodies);
                    Assert.That(errors, Is.Empty, string.Join("\n", errors));
                    Assert.That(closed, Is.EqualTo(threads), "every thread ends with QuiverException(Closed)");
                    Assert.That(Assert.Throws<QuiverException>(() => shared.Count()).Status, Is.EqualTo(QuiverStatus.Closed));
                    using (var other = db.OpenCollection("c"))
                    using (var found = other.Get(acked.ToArray()))
                    {
                        for (int i = 0; i < found.Count; i++)
                        {
                            Assert.That(found.IsFound(i), Is.True, "an acknowledged write is there");
                        }
                    }
                }
            }
        }

        [TestCase(false), Timeout(120000)]
        [TestCase(true)]
        public void DisposingTheDatabaseWhileOtherThreadsAreInsideCalls(bool explicitClose)
        {
            string path = DbPath();
            using (var db = OpenFast(path))
            using (var c = db.CreateCollection("c", new CollectionConfig(Dim)))
            {
                Fill(c, 3000);
            }
            for (int round = 0; round < 4; round++)
            {
                DisposeTheDatabaseWhileOtherThreadsAreInsideCalls(path, explicitClose, round);
            }
        }

        private static void DisposeTheDatabaseWhileOtherThreadsAreInsideCalls(string path, bool explicitClose, int round)
        {
            var acked = new ConcurrentQueue<ulong>();
            using (var db = OpenFast(path))
            {
                const int threads = 6;
                var started = new CountdownEvent(threads + 1);
                int closed = 0;
                // Each worker has its own collection handle; one more thread works on the database handle.
                var handles = Enumerable.Range(0, threads).Select(_ => db.OpenCollection("c")).ToArray();
                var bodies = Enumerable.Range(0, threads)
                    .Select(t => Worker(() => handles[t], t, round * 10 + t, started, acked, () => Interlocked.Increment(ref closed)))
                    .ToList();
                bodies.Add(() =>
                {
                    bool signalled = false;
                    try
                    {
                        for (int i = 0; ; i++)
                        {
                            db.ListCollections();
                            using (var c = db.OpenCollection("c"))
                            {
                                c.Count();
                            }
                            if (!signalled)
                            {
                                signalled = true;
                                started.Signal();
                            }
                        }
                    }
                    catch (QuiverException e) when (e.Status == QuiverStatus.Closed)
                    {
                        Interlocked.Increment(ref closed);
                    }
                    finally
                    {
                        if (!signalled)
                        {
                            started.Signal();
                        }
                    }
                });
                bodies.Add(() =>
                {
                    started.Wait();
                    Thread.Sleep(10 * round);
                    if (explicitClose)
                    {
                        db.Close();
                    }
                    else
                    {
                        db.Dispose();
                    }
                });
                var errors = RunThreads(bodies);
                Assert.That(errors, Is.Empty, string.Join("\n", errors));
                Assert.That(closed, Is.EqualTo(threads + 1), "every thread ends with QuiverException(Closed)");
                Assert.That(Assert.Throws<QuiverException>(() => db.ListCollections()).Status, Is.EqualTo(QuiverStatus.Closed));
                foreach (var h in handles)
                {
                    Assert.That(Assert.Throws<QuiverException>(() => h.Count()).Status, Is.EqualTo(QuiverStatus.Closed));
                    h.Dispose();
                }
            }
            // The lock is released and every acknowledged write is durable.
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.OpenCollection("c"))
            using (var found = c.Get(acked.ToArray()))
            {
                Assert.That(c.Count(), Is.GreaterThanOrEqualTo(3000 + acked.Count));
                for (int i = 0; i < found.Count; i++)
                {
                    Assert.That(found.IsFound(i), Is.True, "acknowledged write " + found.GetId(i) + " is there");
                }
            }
        }

        [Test, Timeout(60000)]
        public void DisposingResultsWhileOtherThreadsReadThem()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("c", new CollectionConfig(Dim)))
            {
                Fill(c, 500);
                for (int round = 0; round < 10; round++)
                {
                    var results = c.SearchBatch(TestData.RandomVectors(100, Dim, round), new SearchOptions(10) { WithPayload = true });
                    var points = c.Get(TestData.Ids(0, 500));
                    var started = new CountdownEvent(4);
                    int closed = 0;
                    var bodies = Enumerable.Range(0, 4).Select(t => (Action)(() =>
                    {
                        bool signalled = false;
                        try
                        {
                            for (int i = 0; ; i++)
                            {
                                if (t % 2 == 0)
                                {
                                    var hits = results.GetHits(i % 100);
                                    Assert.That(hits.Length, Is.EqualTo(10));
                                    Assert.That(hits[9].Payload, Is.Not.Null);
                                }
                                else
                                {
                                    Assert.That(points.GetVector(i % 500).Length, Is.EqualTo(Dim));
                                    Assert.That(points.GetPayload(i % 500), Is.Not.Null);
                                }
                                if (!signalled)
                                {
                                    signalled = true;
                                    started.Signal();
                                }
                            }
                        }
                        catch (QuiverException e) when (e.Status == QuiverStatus.Closed)
                        {
                            Interlocked.Increment(ref closed);
                        }
                        finally
                        {
                            if (!signalled)
                            {
                                started.Signal();
                            }
                        }
                    })).ToList();
                    bodies.Add(() =>
                    {
                        started.Wait();
                        Thread.Sleep(round);
                        results.Dispose();
                        points.Dispose();
                    });
                    var errors = RunThreads(bodies);
                    Assert.That(errors, Is.Empty, string.Join("\n", errors));
                    Assert.That(closed, Is.EqualTo(4));
                }
            }
        }
    }
}
