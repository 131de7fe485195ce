using System;
using System.Linq;
using System.Threading;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// Objects nobody disposes are released by their finalizers: no crash, no
    /// leak. Allocation happens on short-lived threads so that Mono's
    /// conservative stack scan cannot keep the objects alive by accident.
    /// </summary>
    [TestFixture]
    public class GcTests : TempDirFixture
    {
        private const int Dim = 32;
        private const int PerRound = 10000;

        private static void OnThread(Action body)
        {
            Exception error = null;
            var t = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    error = e;
                }
            });
            t.Start();
            t.Join();
            if (error != null)
            {
                throw new Exception("allocating thread failed", error);
            }
        }

        private static QuiverCollection Filled(QuiverDatabase db)
        {
            var c = db.CreateCollection("c", new CollectionConfig(Dim));
            var ids = TestData.Ids(0, 200);
            // ~150-byte payloads, so that a leaked result is worth kilobytes.
            var payloads = ids.Select(i => "{\"i\": " + i + ", \"text\": \"" + new string((char)('a' + (int)(i % 26)), 128) + "\"}").ToArray();
            c.Upsert(ids, TestData.RandomVectors(200, Dim, 3), payloads);
            return c;
        }

        /// <summary>
        /// One round: 10,000 collection handles, 10,000 search results (4 queries
        /// x 10 hits with payloads, ~7 KB each in the library) and 10,000 point
        /// batches (10 points with vectors and payloads, ~3 KB), none disposed.
        /// </summary>
        private static void UndisposedRound(QuiverDatabase db, float[] queries)
        {
            OnThread(() =>
            {
                var ids = TestData.Ids(0, 10);
                var options = new SearchOptions(10) { WithPayload = true };
                for (int i = 0; i < PerRound; i++)
                {
                    var c = db.OpenCollection("c");
                    var r = c.SearchBatch(queries, options);
                    var p = c.Get(ids);
                    if (r.TotalHits != 40 || p.Count != 10)
                    {
                        throw new Exception("unexpected result sizes");
                    }
                }
            });
        }

        [Test, Timeout(600000)]
        public void TenThousandUndisposedObjectsAreCollectedWithoutALeak()
        {
            using (var db = OpenFast(DbPath()))
            using (Filled(db))
            {
                var queries = TestData.RandomVectors(4, Dim, 9);
                UndisposedRound(db, queries); // warm-up: JIT, heaps, library caches
                UndisposedRound(db, queries);
                TestData.FullGc();
                long rss0 = TestData.ResidentBytes();
                long released0 = QuiverHandle.Released;

                const int rounds = 4;
                for (int round = 0; round < rounds; round++)
                {
                    UndisposedRound(db, queries);
                    TestData.FullGc();
                }
                long rss1 = TestData.ResidentBytes();
                long released = QuiverHandle.Released - released0;
                long growth = rss1 - rss0;
                Console.WriteLine("GC: {0} rounds x {1} undisposed collections + results + point batches: " +
                                  "{2} native objects released by finalizers, RSS {3:F1} MiB -> {4:F1} MiB ({5:+0.0;-0.0} MiB)",
                    rounds, PerRound, released, rss0 / 1048576.0, rss1 / 1048576.0, growth / 1048576.0);

                // Each round creates 3 x 10,000 native objects; Mono's conservative
                // stack scan may keep a handful alive for a while.
                Assert.That(released, Is.GreaterThanOrEqualTo(rounds * 3 * PerRound - 100));
                // Leaking them would cost ~400 MB (40,000 results of ~7 KB, 40,000
                // point batches of ~3 KB; measured: +399 MiB with qv_results_free
                // skipped): the bound is far below that, and above the few tens of
                // MiB that Mono's heap and malloc's arenas move by themselves.
                Assert.That(growth, Is.LessThan(64L << 20), "RSS grew by " + growth / 1048576 + " MiB");
                Assert.That(db.OpenCollection("c").Count(), Is.EqualTo(200), "the database is unaffected");
            }
        }

        [Test, Timeout(300000)]
        public void FinalizersRunSafelyAfterTheDatabaseWasDisposed()
        {
            long released0 = QuiverHandle.Released;
            var db = OpenFast(DbPath());
            Filled(db).Dispose();
            var queries = TestData.RandomVectors(2, Dim, 1);
            QuiverCollection[] keep = null;
            OnThread(() =>
            {
                keep = Enumerable.Range(0, PerRound).Select(_ => db.OpenCollection("c")).ToArray();
                for (int i = 0; i < PerRound; i++)
                {
                    keep[i].SearchBatch(queries); // undisposed
                }
            });
            db.Dispose();
            Assert.That(Assert.Throws<QuiverException>(() => keep[0].Count()).Status, Is.EqualTo(QuiverStatus.Closed));
            keep = null;
            TestData.FullGc();
            Assert.That(QuiverHandle.Released - released0, Is.GreaterThanOrEqualTo(2 * PerRound - 100));
            QuiverDatabase.Open(DbPath()).Dispose();
        }

        [Test, Timeout(60000)]
        public void AnUndisposedDatabaseIsClosedByTheCollector()
        {
            OnThread(() =>
            {
                var db = QuiverDatabase.Open(DbPath());
                var c = db.CreateCollection("c", new CollectionConfig(2));
                c.Upsert(new ulong[] { 1, 2 }, new float[] { 1, 0, 0, 1 });
                // Neither is disposed; the collection keeps its database object alive.
            });
            TestData.FullGc();
            // The finalizers closed the database (releasing its lock) and kept the data.
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.OpenCollection("c"))
            {
                Assert.That(c.Count(), Is.EqualTo(2));
            }
        }

        [Test, Timeout(60000)]
        public void ACollectionKeepsItsDatabaseAlive()
        {
            QuiverCollection c = null;
            OnThread(() =>
            {
                var db = QuiverDatabase.Open(DbPath());
                c = db.CreateCollection("c", new CollectionConfig(2));
            });
            TestData.FullGc();
            // The database object was not reachable from user code, only through c.Database.
            c.Upsert(new ulong[] { 1 }, new float[] { 1, 1 });
            Assert.That(c.Count(), Is.EqualTo(1));
            c.Database.Dispose();
            c.Dispose();
        }
    }
}
