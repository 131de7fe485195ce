using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// The storage modes f16, bf16, binary and PQ (<see cref="Storage"/>), PQ's
    /// parameters (<see cref="CollectionConfig.PqSubspaces"/>, <see cref="CollectionConfig.PqCentroids"/>)
    /// and <see cref="QuiverCollection.TrainQuantizer"/> with and without progress
    /// callbacks: recall against a brute force computed here on the WordNet sample,
    /// scores checked against cosines computed here. A database per test.
    /// </summary>
    [TestFixture]
    public class QuantModesTests : TempDirFixture
    {
        protected const int K = 10;
        protected const int SmallDim = 48, SmallPoints = 600;

        protected static readonly Storage[] NewModes = { Storage.F16, Storage.Bf16, Storage.Binary, Storage.Pq };

        protected QuiverDatabase db;

        [SetUp]
        public void OpenDatabase() => db = OpenFast(DbPath());

        [TearDown]
        public void CloseDatabase() => db.Dispose();

        // ---- data ------------------------------------------------------------------------

        /// <summary>
        /// The WordNet sample (5,000 x 384 unit MiniLM embeddings, 100 queries), and the
        /// brute force over it: every query's cosine with every point, in doubles, and the
        /// top K ids. Read and computed once for the fixture.
        /// </summary>
        protected sealed class Sample
        {
            internal const int Dim = 384, N = 5000, NQ = 100;
            internal readonly float[] Vectors;
            internal readonly float[] Queries;
            internal readonly double[] Cosines; // NQ x N
            internal readonly HashSet<ulong>[] Truth;

            private static Sample loaded;

            internal static Sample Get() => loaded ?? (loaded = new Sample());

            private Sample()
            {
                string data = TestData.WordNetSample;
                Vectors = TestData.ReadHalfFloats(Path.Combine(data, "base.f16"), N * Dim);
                Queries = TestData.ReadHalfFloats(Path.Combine(data, "queries.f16"), NQ * Dim);
                double[] vn = Norms(Vectors, N), qn = Norms(Queries, NQ);
                Cosines = new double[NQ * N];
                Truth = new HashSet<ulong>[NQ];
                for (int q = 0; q < NQ; q++)
                {
                    for (int i = 0; i < N; i++)
                    {
                        double dot = 0;
                        for (int j = 0; j < Dim; j++)
                        {
                            dot += (double)Queries[q * Dim + j] * Vectors[i * Dim + j];
                        }
                        Cosines[q * N + i] = dot / (qn[q] * vn[i]);
                    }
                    Truth[q] = new HashSet<ulong>(Enumerable.Range(0, N)
                        .OrderByDescending(i => Cosines[q * N + i]).Take(K).Select(i => (ulong)i));
                }
            }

            private static double[] Norms(float[] m, int rows)
            {
                var result = new double[rows];
                for (int i = 0; i < rows; i++)
                {
                    double s = 0;
                    for (int j = 0; j < Dim; j++)
                    {
                        s += (double)m[i * Dim + j] * m[i * Dim + j];
                    }
                    result[i] = Math.Sqrt(s);
                }
                return result;
            }
        }

        /// <summary>The WordNet sample in a new cosine collection, optimized: one sealed segment.</summary>
        protected QuiverCollection WordNetIn(string name, Storage storage, int pqSubspaces = 0)
        {
            var s = Sample.Get();
            var c = db.CreateCollection(name, new CollectionConfig(Sample.Dim, Metric.Cosine) { Storage = storage, PqSubspaces = pqSubspaces });
            c.Upsert(TestData.Ids(0, Sample.N), s.Vectors);
            c.Optimize();
            return c;
        }

        /// <summary>Small random vectors (seed 5) in a new cosine collection, optimized: fast to train.</summary>
        protected QuiverCollection SmallIn(string name, Storage storage, int pqSubspaces = 0)
        {
            var c = db.CreateCollection(name, new CollectionConfig(SmallDim, Metric.Cosine) { Storage = storage, PqSubspaces = pqSubspaces });
            c.Upsert(TestData.Ids(0, SmallPoints), TestData.RandomVectors(SmallPoints, SmallDim, 5));
            c.Optimize();
            return c;
        }

        protected static int SealedSegments(QuiverCollection c) =>
            c.Stats().Segments.Count(s => s.Kind == SegmentKind.Sealed && s.Points > 0);

        /// <summary>
        /// Searches every sample query: K hits each, best first, every score the exact
        /// cosine (rescored); returns recall@K against the brute force.
        /// </summary>
        protected static double CheckRecallAndExactScores(QuiverCollection c, SearchOptions options, string what)
        {
            var s = Sample.Get();
            int found = 0;
            using (var r = c.SearchBatch(s.Queries, options))
            {
                Assert.That(r.QueryCount, Is.EqualTo(Sample.NQ), what);
                for (int q = 0; q < Sample.NQ; q++)
                {
                    var hits = r.GetHits(q);
                    Assert.That(hits.Length, Is.EqualTo(K), what + ", query " + q);
                    for (int rank = 0; rank < hits.Length; rank++)
                    {
                        Assert.That(hits[rank].Score, Is.EqualTo(s.Cosines[q * Sample.N + (int)hits[rank].Id]).Within(1e-4),
                            what + ", query " + q + ", rank " + rank + ", id " + hits[rank].Id + ": the score is the exact cosine");
                        if (rank > 0)
                        {
                            Assert.That(hits[rank].Score, Is.LessThanOrEqualTo(hits[rank - 1].Score), what + ": best first");
                        }
                    }
                    found += hits.Count(h => s.Truth[q].Contains(h.Id));
                }
            }
            return found / (double)(Sample.NQ * K);
        }

        /// <summary>Every point is in a sealed segment, which the graph walk on codes answers.</summary>
        protected static void AssertWalksSealedCodes(QuiverCollection c, float[] query, int points, string what)
        {
            var plan = c.Explain(query, new SearchOptions(K));
            var live = plan.Segments.Where(s => s.Live > 0).ToList();
            Assert.That(live.Sum(s => s.Live), Is.EqualTo(points), what + ": " + plan.Json);
            Assert.That(live.All(s => s.Kind == "sealed" && s.Plan == "graph" && !s.Fallback), Is.True, what + ": " + plan.Json);
        }

        protected static float[] Query(int q) =>
            Sample.Get().Queries.Skip(q * Sample.Dim).Take(Sample.Dim).ToArray();

        protected static QuiverException Fails(QuiverStatus status, TestDelegate code)
        {
            var e = Assert.Throws<QuiverException>(code);
            Assert.That(e.Status, Is.EqualTo(status), e.Message);
            Assert.That(e.Code, Is.EqualTo((int)status), e.Message);
            return e;
        }

        /// <summary>
        /// A progress callback that records its calls (done, total, managed thread id).
        /// Made on the thread that then calls <see cref="QuiverCollection.TrainQuantizer"/>.
        /// </summary>
        protected sealed class Recorder
        {
            private readonly object gate = new object();
            private readonly Func<ulong, ulong, bool> answer;
            private int inside;
            internal readonly List<Tuple<ulong, ulong, int>> Calls = new List<Tuple<ulong, ulong, int>>();
            internal int Overlapping;
            /// <summary>The managed thread the recorder was made on: the caller's.</summary>
            internal readonly int Caller = Environment.CurrentManagedThreadId;

            internal Recorder(Func<ulong, ulong, bool> answer = null) => this.answer = answer ?? ((d, t) => true);

            internal bool Progress(ulong done, ulong total)
            {
                // The library promises one call at a time: count any overlap.
                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref Overlapping);
                }
                try
                {
                    lock (gate)
                    {
                        Calls.Add(Tuple.Create(done, total, Environment.CurrentManagedThreadId));
                    }
                    return answer(done, total);
                }
                finally
                {
                    Interlocked.Decrement(ref inside);
                }
            }

            /// <summary>
            /// The calls' done values are 1, 2, ..., <paramref name="calls"/> in this order, all
            /// with the same total, one call at a time, each on the caller's thread.
            /// </summary>
            internal void AssertInOrderOnTheCaller(int calls, ulong total, string what)
            {
                Assert.That(Overlapping, Is.EqualTo(0), what + ": one call at a time");
                Assert.That(Calls.Select(c => c.Item1), Is.EqualTo(Enumerable.Range(1, calls).Select(d => (ulong)d)),
                    what + ": done is 1.." + calls + ", in order");
                Assert.That(Calls.Select(c => c.Item2).Distinct(), Is.EqualTo(new[] { total }), what + ": the total");
                Assert.That(Calls.Select(c => c.Item3).Distinct(), Is.EqualTo(new[] { Caller }),
                    what + ": the callback runs on the thread that called TrainQuantizer");
            }

            /// <summary>Every step 1..total reported once, in order, on the caller's thread.</summary>
            internal void AssertCompleted(ulong total, string what) => AssertInOrderOnTheCaller((int)total, total, what);
        }

        /// <summary>Points 0, 97, 194, ... of a small collection (seed 5) find themselves first, rescored.</summary>
        protected static void AssertFindThemselves(QuiverCollection c, float[] vectors, string what)
        {
            for (int id = 0; id < SmallPoints; id += 97)
            {
                var hits = c.Search(vectors.Skip(id * SmallDim).Take(SmallDim).ToArray(), new SearchOptions(K));
                Assert.That(hits.Length, Is.EqualTo(K), what);
                Assert.That(hits[0].Id, Is.EqualTo((ulong)id), what + ": a stored vector finds itself");
                Assert.That(hits[0].Score, Is.EqualTo(1f).Within(1e-4), what + ": rescored");
            }
        }

        // ---- constants and defaults ------------------------------------------------------

        [Test]
        public void ModesStatusAndDefaultsMatchTheHeader()
        {
            Assert.That((uint)Storage.F16, Is.EqualTo(2u));
            Assert.That((uint)Storage.Bf16, Is.EqualTo(3u));
            Assert.That((uint)Storage.Binary, Is.EqualTo(4u));
            Assert.That((uint)Storage.Pq, Is.EqualTo(5u));
            Assert.That(QuiverLibrary.ExpectedAbiVersion, Is.EqualTo(4u));
            Assert.That(QuiverLibrary.AbiVersion, Is.EqualTo(QuiverLibrary.ExpectedAbiVersion));

            var config = new CollectionConfig(384);
            Assert.That(config.Storage, Is.EqualTo(Storage.F32));
            Assert.That(config.PqSubspaces, Is.EqualTo(0), "0 = automatic");
            Assert.That(config.PqCentroids, Is.EqualTo(256));
            var train = new TrainOptions();
            Assert.That(train.PqSubspaces, Is.EqualTo(0));
            Assert.That(train.PqCentroids, Is.EqualTo(256));
            Assert.That(train.PqIterations, Is.EqualTo(12));
            StringAssert.Contains("pq_iterations=12", train.ToString());

            Assert.That((int)QuiverStatus.Cancelled, Is.EqualTo(16));
            var e = new QuiverException(16, "cancelled: training the quantizer of collection \"docs\"");
            Assert.That(e.Status, Is.EqualTo(QuiverStatus.Cancelled));
            Assert.That(e.Code, Is.EqualTo(16));
            Assert.That(new QuiverException(QuiverStatus.Cancelled, "x").Code, Is.EqualTo(16));
            var native = Errors.FromNative(16, IntPtr.Zero);
            Assert.That(native.Status, Is.EqualTo(QuiverStatus.Cancelled));
            StringAssert.Contains("Cancelled", native.Message);
        }

        // ---- every new mode --------------------------------------------------------------

        [Test, Timeout(600000)]
        public void EveryNewModeFindsTheNeighboursWithExactScores()
        {
            var s = Sample.Get();
            foreach (var mode in NewModes)
            {
                string what = mode.ToString();
                using (var c = WordNetIn("wn-" + mode.ToString().ToLowerInvariant(), mode))
                {
                    Assert.That(c.Config.Storage, Is.EqualTo(mode), what);
                    AssertWalksSealedCodes(c, Query(0), Sample.N, what);

                    // The mode's default oversampling (0), rescored: exact scores, high recall.
                    double recall = CheckRecallAndExactScores(c, new SearchOptions(K), what);
                    Console.WriteLine("WordNet sample, {0}: recall@10 rescored = {1:F3}", mode, recall);
                    Assert.That(recall, Is.GreaterThanOrEqualTo(0.9), what + ": recall@10 against the brute force");

                    // Without rescoring the scores are the estimates from the codes.
                    var quick = c.Search(Query(3), new SearchOptions(K) { Rescore = false });
                    Assert.That(quick.Length, Is.EqualTo(K), what);
                    double worst = quick.Max(h => Math.Abs(h.Score - s.Cosines[3 * Sample.N + (int)h.Id]));
                    Assert.That(worst, Is.GreaterThan(1e-6), what + ": Rescore = false returns estimates");

                    // A stored vector finds itself, with a cosine of 1.
                    var self = c.Search(s.Vectors.Skip(42 * Sample.Dim).Take(Sample.Dim).ToArray(), new SearchOptions(3));
                    Assert.That(self.Select(h => h.Id), Has.Member(42ul), what);
                    Assert.That(self[0].Score, Is.EqualTo(1f).Within(1e-4), what);
                }
            }
        }

        [Test]
        public void NewModesWithDotAndEuclidean()
        {
            float[] vectors = TestData.RandomVectors(SmallPoints, SmallDim, 9);
            float[] q = vectors.Skip(7 * SmallDim).Take(SmallDim).ToArray();
            double norm = Math.Sqrt(q.Sum(x => (double)x * x));
            foreach (var mode in NewModes)
            {
                foreach (var metric in new[] { Metric.Dot, Metric.Euclidean })
                {
                    string what = mode + " " + metric;
                    using (var c = db.CreateCollection("m-" + mode + "-" + metric,
                               new CollectionConfig(SmallDim, metric) { Storage = mode, PqSubspaces = 12 }))
                    {
                        c.Upsert(TestData.Ids(0, SmallPoints), vectors);
                        c.Optimize();
                        var hits = c.Search(q, new SearchOptions(3) { Oversampling = 20 });
                        Assert.That(hits.Length, Is.EqualTo(3), what);
                        Assert.That(hits[0].Id, Is.EqualTo(7ul), what);
                        Assert.That(hits[0].Score, Is.EqualTo(metric == Metric.Dot ? norm * norm : 0).Within(1e-3), what + ": exact score");
                    }
                }
            }
        }

        // ---- PQ's configuration ----------------------------------------------------------

        [Test]
        public void PqConfigIsCheckedByTheLibrary()
        {
            var e = Fails(QuiverStatus.InvalidArgument,
                () => db.CreateCollection("p", new CollectionConfig(SmallDim) { Storage = Storage.Pq, PqSubspaces = 7 }));
            StringAssert.Contains("config.pq_subspaces is 7", e.Message);
            StringAssert.Contains("48", e.Message);
            e = Fails(QuiverStatus.InvalidArgument,
                () => db.CreateCollection("p", new CollectionConfig(SmallDim) { Storage = Storage.Pq, PqSubspaces = 96 }));
            StringAssert.Contains("config.pq_subspaces", e.Message);
            e = Fails(QuiverStatus.InvalidArgument,
                () => db.CreateCollection("p", new CollectionConfig(SmallDim) { Storage = Storage.Pq, PqSubspaces = -1 }));
            StringAssert.Contains("config.pq_subspaces", e.Message);
            foreach (int centroids in new[] { 0, 1, 257, -1 })
            {
                e = Fails(QuiverStatus.InvalidArgument,
                    () => db.CreateCollection("p", new CollectionConfig(SmallDim) { Storage = Storage.Pq, PqCentroids = centroids }));
                StringAssert.Contains("config.pq_centroids", e.Message);
            }
            foreach (var mode in NewModes)
            {
                e = Fails(QuiverStatus.InvalidArgument,
                    () => db.CreateCollection("h", new CollectionConfig(SmallDim, Metric.Hamming) { Storage = mode }));
                StringAssert.Contains("config.storage", e.Message);
                var meta = CollectionConfig.MetadataOnly();
                meta.Storage = mode;
                e = Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection("m", meta));
                StringAssert.Contains("config.storage", e.Message);
            }
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection("u", new CollectionConfig(SmallDim) { Storage = (Storage)6 }));
            Assert.That(db.ListCollections(), Is.Empty, "nothing refused was created");

            // The other modes ignore PQ's parameters (valid ones: the library checks them in
            // every mode, so that a bad value is never kept).
            using (var f16 = db.CreateCollection("f16", new CollectionConfig(SmallDim) { Storage = Storage.F16, PqSubspaces = 8, PqCentroids = 16 }))
            {
                Assert.That(f16.Config.Storage, Is.EqualTo(Storage.F16));
            }
        }

        [Test]
        public void PqConfigIsReportedBackAndPersists()
        {
            using (var c = db.CreateCollection("pq", new CollectionConfig(SmallDim) { Storage = Storage.Pq, PqSubspaces = 16, PqCentroids = 64 }))
            using (var auto = db.CreateCollection("auto", new CollectionConfig(SmallDim) { Storage = Storage.Pq }))
            {
                var cfg = c.Config;
                Assert.That(cfg.Storage, Is.EqualTo(Storage.Pq));
                Assert.That(cfg.PqSubspaces, Is.EqualTo(16));
                Assert.That(cfg.PqCentroids, Is.EqualTo(64));
                StringAssert.Contains("storage=Pq pq_subspaces=16 pq_centroids=64", cfg.ToString());
                Assert.That(auto.Config.PqSubspaces, Is.EqualTo(0), "automatic is reported as 0");
                Assert.That(auto.Config.PqCentroids, Is.EqualTo(256));
                c.Upsert(TestData.Ids(0, SmallPoints), TestData.RandomVectors(SmallPoints, SmallDim, 3));
                c.Optimize();
            }
            db.Dispose();
            db = OpenFast(DbPath());
            using (var c = db.OpenCollection("pq"))
            {
                Assert.That(c.Config.Storage, Is.EqualTo(Storage.Pq), "after reopening the database");
                Assert.That(c.Config.PqSubspaces, Is.EqualTo(16));
                Assert.That(c.Config.PqCentroids, Is.EqualTo(64));
                Assert.That(c.Count(), Is.EqualTo(SmallPoints));
                Assert.That(c.Stats().RebuiltOnOpen, Is.Empty);
            }
        }

        // ---- TrainQuantizer without callbacks --------------------------------------------

        [Test]
        public void TrainQuantizerOnF32IsUnsupported()
        {
            using (var c = db.CreateCollection("f32", new CollectionConfig(SmallDim)))
            {
                c.Upsert(TestData.Ids(0, SmallPoints), TestData.RandomVectors(SmallPoints, SmallDim, 4));
                c.Optimize();
                int calls = 0;
                var e = Fails(QuiverStatus.Unsupported, () => c.TrainQuantizer(null, (d, t) => { calls++; return true; }));
                StringAssert.Contains("f32", e.Message);
                Fails(QuiverStatus.Unsupported, () => c.TrainQuantizer(new TrainOptions { PqSubspaces = 8 }));
                Fails(QuiverStatus.Unsupported, () => c.TrainQuantizer());
                Assert.That(calls, Is.EqualTo(0));
                Assert.That(c.Config.Storage, Is.EqualTo(Storage.F32));
            }
        }

        [Test]
        public void BadTrainOptionsAreNamedByTheLibrary()
        {
            using (var c = SmallIn("pq", Storage.Pq, pqSubspaces: 12))
            {
                int calls = 0;
                Func<ulong, ulong, bool> count = (d, t) => { calls++; return true; };
                var e = Fails(QuiverStatus.InvalidArgument, () => c.TrainQuantizer(new TrainOptions { PqSubspaces = 7 }, count));
                StringAssert.Contains("params.pq_subspaces is 7", e.Message);
                e = Fails(QuiverStatus.InvalidArgument, () => c.TrainQuantizer(new TrainOptions { PqSubspaces = -2 }, count));
                StringAssert.Contains("params.pq_subspaces", e.Message);
                e = Fails(QuiverStatus.InvalidArgument, () => c.TrainQuantizer(new TrainOptions { PqCentroids = 1 }, count));
                StringAssert.Contains("params.pq_centroids is 1", e.Message);
                e = Fails(QuiverStatus.InvalidArgument, () => c.TrainQuantizer(new TrainOptions { PqCentroids = 300 }, count));
                StringAssert.Contains("params.pq_centroids is 300", e.Message);
                e = Fails(QuiverStatus.InvalidArgument, () => c.TrainQuantizer(new TrainOptions { PqIterations = 0 }, count));
                StringAssert.Contains("params.pq_iterations is 0", e.Message);
                e = Fails(QuiverStatus.InvalidArgument, () => c.TrainQuantizer(new TrainOptions { PqIterations = 101 }, count));
                StringAssert.Contains("params.pq_iterations", e.Message);
                Assert.That(calls, Is.EqualTo(0), "nothing was trained");
                Assert.That(c.Config.PqSubspaces, Is.EqualTo(12));
            }
        }

        [Test]
        public void TrainQuantizerWithoutSealedSegmentsAndAfterDispose()
        {
            var c = db.CreateCollection("fresh", new CollectionConfig(SmallDim) { Storage = Storage.Pq });
            c.Upsert(TestData.Ids(0, 50), TestData.RandomVectors(50, SmallDim, 8)); // appendable only
            int calls = 0;
            c.TrainQuantizer(new TrainOptions { PqSubspaces = 8 }, (d, t) => { calls++; return true; });
            Assert.That(calls, Is.EqualTo(0), "no sealed segment: nothing to report");
            Assert.That(c.Config.PqSubspaces, Is.EqualTo(8), "the parameters apply to later seals");
            c.Dispose();
            var e = Fails(QuiverStatus.Closed, () => c.TrainQuantizer());
            StringAssert.Contains("disposed", e.Message);
            Fails(QuiverStatus.Closed, () => { var unused = c.Config; });
        }

        // ---- TrainQuantizer with progress callbacks -------------------------------------

        [Test, Timeout(600000)]
        public void TrainQuantizerWithNewSubspacesReportsProgressAndStaysExact()
        {
            using (var c = WordNetIn("pq", Storage.Pq, pqSubspaces: 16))
            {
                int segments = SealedSegments(c);
                Assert.That(segments, Is.EqualTo(1));
                double before = CheckRecallAndExactScores(c, new SearchOptions(K) { Oversampling = 3 }, "PQ16");

                int gcs = 0, searchedHits = -1;
                var recorder = new Recorder((done, total) =>
                {
                    // The delegate must survive a collection during the native call.
                    if (gcs++ < 3)
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                    }
                    // The callback may search (this collection too) while it trains.
                    if (done == 2)
                    {
                        searchedHits = c.Search(Query(1), new SearchOptions(K)).Length;
                    }
                    return true;
                });
                Assert.That(recorder.Caller, Is.EqualTo(Environment.CurrentManagedThreadId));
                c.TrainQuantizer(new TrainOptions { PqSubspaces = 48 }, recorder.Progress);
                recorder.AssertCompleted((ulong)(48 * segments), "PQ48");
                Assert.That(searchedHits, Is.EqualTo(K), "a search from the callback");

                Assert.That(c.Config.PqSubspaces, Is.EqualTo(48), "the new parameters are the collection's");
                Assert.That(c.Config.PqCentroids, Is.EqualTo(256));
                AssertWalksSealedCodes(c, Query(0), Sample.N, "PQ48");
                double after = CheckRecallAndExactScores(c, new SearchOptions(K) { Oversampling = 3 }, "PQ48");
                Console.WriteLine("WordNet sample, PQ: recall@10 at oversampling 3 = {0:F3} with 16 subspaces, {1:F3} with 48", before, after);
                Assert.That(after, Is.GreaterThan(before), "finer codes");
                Assert.That(CheckRecallAndExactScores(c, new SearchOptions(K), "PQ48, default oversampling"), Is.GreaterThanOrEqualTo(0.9));
                using (var other = db.OpenCollection("pq"))
                {
                    Assert.That(other.Config.PqSubspaces, Is.EqualTo(48), "another handle sees them");
                }

                // Retraining with the current parameters (no options): one step per subspace again.
                var again = new Recorder();
                c.TrainQuantizer(null, again.Progress);
                again.AssertCompleted((ulong)(48 * segments), "retrain");
                Assert.That(c.Config.PqSubspaces, Is.EqualTo(48));
            }
            db.Dispose();
            db = OpenFast(DbPath());
            using (var c = db.OpenCollection("pq"))
            {
                Assert.That(c.Config.PqSubspaces, Is.EqualTo(48), "persisted");
                Assert.That(CheckRecallAndExactScores(c, new SearchOptions(K), "PQ48 reopened"), Is.GreaterThanOrEqualTo(0.9));
            }
        }

        [Test, Timeout(600000)]
        public void CancelledTrainingChangesNothing()
        {
            using (var c = WordNetIn("pq", Storage.Pq, pqSubspaces: 16))
            {
                SearchHit[][] before = Enumerable.Range(0, 5).Select(q => c.Search(Query(q), new SearchOptions(K) { Rescore = false })).ToArray();
                bool refused = false;
                int seen = 0, callsAfterRefusal = 0;
                var recorder = new Recorder((done, total) =>
                {
                    if (refused)
                    {
                        callsAfterRefusal++;
                    }
                    refused = ++seen >= 3;
                    return !refused;
                });
                var e = Fails(QuiverStatus.Cancelled, () => c.TrainQuantizer(new TrainOptions { PqSubspaces = 96 }, recorder.Progress));
                StringAssert.Contains("cancelled", e.Message);
                Assert.That(refused, Is.True);
                Assert.That(callsAfterRefusal, Is.EqualTo(0), "not called again after it returned false");
                recorder.AssertInOrderOnTheCaller(3, 96, "cancelled at 3");

                Assert.That(c.Config.PqSubspaces, Is.EqualTo(16), "the parameters did not change");
                for (int q = 0; q < before.Length; q++)
                {
                    var now = c.Search(Query(q), new SearchOptions(K) { Rescore = false });
                    Assert.That(now.Select(h => h.Id), Is.EqualTo(before[q].Select(h => h.Id)), "query " + q + ": the codes did not change");
                    Assert.That(now.Select(h => h.Score), Is.EqualTo(before[q].Select(h => h.Score)), "query " + q + ": the estimates did not change");
                }
                Assert.That(CheckRecallAndExactScores(c, new SearchOptions(K), "after the cancel"), Is.GreaterThanOrEqualTo(0.9));

                // Cancelling on the first call works too.
                int calls = 0;
                Fails(QuiverStatus.Cancelled, () => c.TrainQuantizer(null, (d, t) => { calls++; return false; }));
                Assert.That(calls, Is.EqualTo(1));
                Assert.That(c.Config.PqSubspaces, Is.EqualTo(16));
            }
        }

        [Test]
        public void OtherModesTrainOneStepPerSegment()
        {
            float[] vectors = TestData.RandomVectors(SmallPoints, SmallDim, 5);
            foreach (var mode in new[] { Storage.Sq8, Storage.F16, Storage.Bf16, Storage.Binary })
            {
                string what = mode.ToString();
                using (var c = SmallIn("t-" + mode, mode))
                {
                    int segments = SealedSegments(c);
                    Assert.That(segments, Is.EqualTo(1), what);
                    var recorder = new Recorder();
                    c.TrainQuantizer(new TrainOptions(), recorder.Progress);
                    recorder.AssertCompleted((ulong)segments, what);
                    c.TrainQuantizer(); // no callback at all
                    Assert.That(c.Config.Storage, Is.EqualTo(mode), what);
                    AssertFindThemselves(c, vectors, what);
                }
            }
        }

        [Test]
        public void AThrowingCallbackSurfacesItsException()
        {
            float[] vectors = TestData.RandomVectors(SmallPoints, SmallDim, 5);
            // PQ reports a step per subspace, the other modes one per segment; all on this thread.
            foreach (var mode in new[] { Storage.Pq, Storage.Sq8, Storage.Binary })
            {
                string what = mode.ToString();
                using (var c = SmallIn("x-" + mode, mode, mode == Storage.Pq ? 12 : 0))
                {
                    var boom = new InvalidOperationException("boom from the progress callback");
                    int calls = 0;
                    var thrown = Assert.Throws<InvalidOperationException>(
                        () => c.TrainQuantizer(new TrainOptions { PqSubspaces = 24 }, (d, t) => { calls++; throw boom; }), what);
                    Assert.That(thrown, Is.SameAs(boom), what + ": the callback's own exception");
                    Assert.That(calls, Is.EqualTo(1), what + ": not called again after it threw");
                    Assert.That(c.Config.PqSubspaces, Is.EqualTo(mode == Storage.Pq ? 12 : 0), what + ": nothing changed");

                    if (mode == Storage.Pq)
                    {
                        // Throwing on a later step, after some subspaces were trained.
                        calls = 0;
                        var late = Assert.Throws<ArgumentException>(() => c.TrainQuantizer(null, (d, t) =>
                        {
                            if (++calls == 2)
                            {
                                throw new ArgumentException("late");
                            }
                            return true;
                        }), what);
                        Assert.That(late.Message, Is.EqualTo("late"), what);
                        Assert.That(calls, Is.EqualTo(2), what);
                        Assert.That(c.Config.PqSubspaces, Is.EqualTo(12), what);
                    }

                    // The collection is intact and trains again.
                    AssertFindThemselves(c, vectors, what);
                    var recorder = new Recorder();
                    c.TrainQuantizer(null, recorder.Progress);
                    recorder.AssertCompleted(mode == Storage.Pq ? 12ul : 1ul, what);
                    AssertFindThemselves(c, vectors, what);
                }
            }
        }
    }
}
