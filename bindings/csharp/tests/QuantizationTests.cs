using System;
using System.Linq;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// SQ8 storage (<see cref="Storage.Sq8"/>) and the search options of quantized
    /// modes (<see cref="SearchOptions.Oversampling"/>, <see cref="SearchOptions.Rescore"/>):
    /// scores checked against cosines computed here.
    /// </summary>
    [TestFixture]
    public class QuantizationTests : TempDirFixture
    {
        private const int Dim = 48;
        private const int Points = 400;
        private const int K = 10;

        private QuiverDatabase db;
        private QuiverCollection sq8;
        private float[] vectors;   // Points x Dim unit vectors, point i at row i
        private float[][] queries; // stored vectors and fresh unit vectors

        /// <summary><paramref name="n"/> deterministic unit vectors of Dim floats, row-major.</summary>
        private static float[] UnitVectors(int n, int seed)
        {
            float[] v = TestData.RandomVectors(n, Dim, seed);
            for (int i = 0; i < n; i++)
            {
                double norm = 0;
                for (int j = 0; j < Dim; j++)
                {
                    norm += (double)v[i * Dim + j] * v[i * Dim + j];
                }
                float inv = (float)(1 / Math.Sqrt(norm));
                for (int j = 0; j < Dim; j++)
                {
                    v[i * Dim + j] *= inv;
                }
            }
            return v;
        }

        private static float[] Row(float[] m, int i) => m.Skip(i * Dim).Take(Dim).ToArray();

        /// <summary>The cosine of <paramref name="q"/> and stored point <paramref name="id"/>, in doubles.</summary>
        private double ExactCosine(float[] q, ulong id)
        {
            double dot = 0, nq = 0, nv = 0;
            for (int j = 0; j < Dim; j++)
            {
                double a = q[j], b = vectors[(int)id * Dim + j];
                dot += a * b;
                nq += a * a;
                nv += b * b;
            }
            return dot / Math.Sqrt(nq * nv);
        }

        [SetUp]
        public void CreateSq8Collection()
        {
            db = OpenFast(DbPath());
            sq8 = db.CreateCollection("sq8", new CollectionConfig(Dim, Metric.Cosine) { Storage = Storage.Sq8 });
            vectors = UnitVectors(Points, 11);
            sq8.Upsert(TestData.Ids(0, Points), vectors);
            sq8.Optimize(); // seals the points: searches now walk the codes
            float[] fresh = UnitVectors(10, 12);
            queries = new[] { 0, 17, 123, 256, 399 }.Select(i => Row(vectors, i))
                .Concat(Enumerable.Range(0, 10).Select(i => Row(fresh, i)))
                .ToArray();
        }

        [TearDown]
        public void CloseSq8Collection()
        {
            sq8.Dispose();
            db.Dispose();
        }

        private static QuiverException InvalidArgument(TestDelegate code)
        {
            var e = Assert.Throws<QuiverException>(code);
            Assert.That(e.Status, Is.EqualTo(QuiverStatus.InvalidArgument), e.Message);
            return e;
        }

        /// <summary>Every point is in a sealed segment that the graph walk (on codes) answers, without a fallback scan on the vectors.</summary>
        private void AssertWalksSealedGraph(float[] q, SearchOptions options)
        {
            var plan = sq8.Explain(q, options);
            Assert.That(plan.Segments.Where(s => s.Live > 0).Sum(s => s.Live), Is.EqualTo(Points), plan.Json);
            foreach (var s in plan.Segments.Where(s => s.Live > 0))
            {
                Assert.That(s.Kind, Is.EqualTo("sealed"), plan.Json);
                Assert.That(s.Plan, Is.EqualTo("graph"), plan.Json);
                Assert.That(s.Fallback, Is.False, plan.Json);
            }
        }

        // ---- configuration -------------------------------------------------------------

        [Test]
        public void DefaultsAreF32AndRescoring()
        {
            Assert.That(new CollectionConfig(3).Storage, Is.EqualTo(Storage.F32));
            Assert.That((uint)Storage.F32, Is.EqualTo(0u));
            Assert.That((uint)Storage.Sq8, Is.EqualTo(1u));
            var o = new SearchOptions();
            Assert.That(o.Oversampling, Is.EqualTo(0f));
            Assert.That(o.Rescore, Is.True);
            Assert.That(new SearchOptions(5).Rescore, Is.True);
            using (var f32 = db.CreateCollection("f32", new CollectionConfig(Dim)))
            {
                Assert.That(f32.Config.Storage, Is.EqualTo(Storage.F32));
            }
        }

        [Test]
        public void ConfigReportsSq8()
        {
            Assert.That(sq8.Config.Storage, Is.EqualTo(Storage.Sq8));
            StringAssert.Contains("storage=Sq8", sq8.Config.ToString());
            using (var again = db.OpenCollection("sq8"))
            {
                Assert.That(again.Config.Storage, Is.EqualTo(Storage.Sq8));
                Assert.That(again.Config.Metric, Is.EqualTo(Metric.Cosine));
            }
            sq8.Dispose();
            db.Dispose();
            db = OpenFast(DbPath());
            sq8 = db.OpenCollection("sq8");
            Assert.That(sq8.Config.Storage, Is.EqualTo(Storage.Sq8), "after reopening the database");
        }

        [Test]
        public void Sq8WithDotAndEuclidean()
        {
            foreach (var metric in new[] { Metric.Dot, Metric.Euclidean })
            {
                using (var c = db.CreateCollection("sq8-" + metric, new CollectionConfig(Dim, metric) { Storage = Storage.Sq8 }))
                {
                    Assert.That(c.Config.Storage, Is.EqualTo(Storage.Sq8), metric.ToString());
                    c.Upsert(TestData.Ids(0, Points), vectors);
                    c.Optimize();
                    var hits = c.Search(Row(vectors, 42), new SearchOptions(3));
                    Assert.That(hits.Length, Is.EqualTo(3), metric.ToString());
                    Assert.That(hits[0].Id, Is.EqualTo(42ul), metric.ToString());
                    Assert.That(hits[0].Score, Is.EqualTo(metric == Metric.Dot ? 1f : 0f).Within(1e-4), metric.ToString());
                }
            }
        }

        [Test]
        public void Sq8IsRefusedForHammingJaccardAndMetadataOnly()
        {
            var e = InvalidArgument(() => db.CreateCollection("h", new CollectionConfig(Dim, Metric.Hamming) { Storage = Storage.Sq8 }));
            StringAssert.Contains("config.storage", e.Message);
            StringAssert.Contains("hamming", e.Message);
            e = InvalidArgument(() => db.CreateCollection("j", new CollectionConfig(Dim, Metric.Jaccard) { Storage = Storage.Sq8 }));
            StringAssert.Contains("config.storage", e.Message);
            StringAssert.Contains("jaccard", e.Message);
            var meta = CollectionConfig.MetadataOnly();
            meta.Storage = Storage.Sq8;
            e = InvalidArgument(() => db.CreateCollection("m", meta));
            StringAssert.Contains("config.storage", e.Message);
            InvalidArgument(() => db.CreateCollection("u", new CollectionConfig(Dim) { Storage = (Storage)9 }));
            Assert.That(db.ListCollections(), Is.EqualTo(new[] { "sq8" }), "nothing refused was created");

            // The same configurations in f32 mode are fine.
            using (var h = db.CreateCollection("h", new CollectionConfig(Dim, Metric.Hamming)))
            using (var m = db.CreateCollection("m", CollectionConfig.MetadataOnly()))
            {
                Assert.That(h.Config.Storage, Is.EqualTo(Storage.F32));
                Assert.That(m.Config.Storage, Is.EqualTo(Storage.F32));
            }
        }

        // ---- scores ----------------------------------------------------------------------

        [Test]
        public void RescoredScoresAreExact()
        {
            foreach (var options in new[]
            {
                new SearchOptions(K),
                new SearchOptions(K) { Oversampling = 1 },
                new SearchOptions(K) { Oversampling = 10 },
                new SearchOptions(K) { Oversampling = 100, Rescore = true },
            })
            {
                string what = "oversampling " + options.Oversampling;
                AssertWalksSealedGraph(queries[0], options);
                for (int qi = 0; qi < queries.Length; qi++)
                {
                    var hits = sq8.Search(queries[qi], options);
                    Assert.That(hits.Length, Is.EqualTo(K), what);
                    for (int r = 0; r < hits.Length; r++)
                    {
                        Assert.That(hits[r].Score, Is.EqualTo(ExactCosine(queries[qi], hits[r].Id)).Within(1e-4),
                            what + ", query " + qi + ", rank " + r + ", id " + hits[r].Id);
                        if (r > 0)
                        {
                            Assert.That(hits[r].Score, Is.LessThanOrEqualTo(hits[r - 1].Score), what + ": best first");
                        }
                    }
                    if (qi < 5)
                    {
                        Assert.That(hits[0].Id, Is.EqualTo((ulong)new[] { 0, 17, 123, 256, 399 }[qi]), what + ": a stored vector finds itself");
                    }
                }
            }
        }

        [Test]
        public void EstimatedScoresWithoutRescore()
        {
            var options = new SearchOptions(K) { Rescore = false };
            AssertWalksSealedGraph(queries[0], options);
            int differing = 0;
            double worst = 0;
            foreach (var q in queries)
            {
                var hits = sq8.Search(q, options);
                Assert.That(hits.Length, Is.EqualTo(K));
                foreach (var h in hits)
                {
                    double error = Math.Abs(h.Score - ExactCosine(q, h.Id));
                    Assert.That(error, Is.LessThanOrEqualTo(0.05), "estimated score of " + h.Id + ": " + h.Score);
                    worst = Math.Max(worst, error);
                    if (error > 1e-4)
                    {
                        differing++;
                    }
                }
            }
            Assert.That(differing, Is.GreaterThan(0),
                "with Rescore = false the scores are estimated on the codes; none differs from the exact cosine (largest error " + worst + ")");

            // Every search path passes the options on: batch and explain agree with Search.
            using (var batch = sq8.SearchBatch(queries, options))
            {
                for (int qi = 0; qi < queries.Length; qi++)
                {
                    var one = sq8.Search(queries[qi], options);
                    var many = batch.GetHits(qi);
                    Assert.That(many.Select(h => h.Id), Is.EqualTo(one.Select(h => h.Id)), "batch, query " + qi);
                    Assert.That(many.Select(h => h.Score), Is.EqualTo(one.Select(h => h.Score)), "batch, query " + qi);
                }
            }
            var explained = sq8.Explain(queries[7], options).Hits;
            Assert.That(explained.Select(h => h.Score), Is.EqualTo(sq8.Search(queries[7], options).Select(h => h.Score)).Within(1e-6));
            using (var exactBatch = sq8.SearchBatch(queries, new SearchOptions(K)))
            {
                for (int qi = 0; qi < queries.Length; qi++)
                {
                    foreach (var h in exactBatch.GetHits(qi))
                    {
                        Assert.That(h.Score, Is.EqualTo(ExactCosine(queries[qi], h.Id)).Within(1e-4), "batch with rescoring, query " + qi);
                    }
                }
            }
        }

        [Test]
        public void F32IgnoresRescore()
        {
            using (var f32 = db.CreateCollection("f32", new CollectionConfig(Dim)))
            {
                f32.Upsert(TestData.Ids(0, Points), vectors);
                f32.Optimize();
                foreach (var q in queries)
                {
                    foreach (var h in f32.Search(q, new SearchOptions(K) { Rescore = false, Oversampling = 2 }))
                    {
                        Assert.That(h.Score, Is.EqualTo(ExactCosine(q, h.Id)).Within(1e-4), "f32 scores are always exact");
                    }
                }
            }
        }

        // ---- oversampling checks ---------------------------------------------------------

        [Test]
        public void OversamplingOutOfRangeIsRefusedByTheLibrary()
        {
            var e = InvalidArgument(() => sq8.Search(queries[0], new SearchOptions(K) { Oversampling = 0.5f }));
            StringAssert.Contains("params.oversampling", e.Message);
            StringAssert.Contains("0.5", e.Message);
            e = InvalidArgument(() => sq8.Search(queries[0], new SearchOptions(K) { Oversampling = 101 }));
            StringAssert.Contains("params.oversampling", e.Message);
            e = InvalidArgument(() => sq8.Search(queries[0], new SearchOptions(K) { Oversampling = float.PositiveInfinity }));
            StringAssert.Contains("params.oversampling", e.Message);
            e = InvalidArgument(() => sq8.SearchBatch(queries, new SearchOptions(K) { Oversampling = 0.5f }));
            StringAssert.Contains("params.oversampling", e.Message);
            e = InvalidArgument(() => sq8.Explain(queries[0], new SearchOptions(K) { Oversampling = 0.5f }));
            StringAssert.Contains("params.oversampling", e.Message);
        }

        [Test]
        public void OversamplingSetterRejectsNegativeAndNaN()
        {
            var o = new SearchOptions();
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => o.Oversampling = -1);
            Assert.That(e.ParamName, Is.EqualTo("Oversampling"));
            Assert.Throws<ArgumentOutOfRangeException>(() => o.Oversampling = float.NaN);
            Assert.Throws<ArgumentOutOfRangeException>(() => o.Oversampling = float.NegativeInfinity);
            Assert.That(o.Oversampling, Is.EqualTo(0f), "a rejected value leaves the option unchanged");
            o.Oversampling = 4;
            o.Oversampling = 0; // back to the library's default
            Assert.That(o.Oversampling, Is.EqualTo(0f));
        }
    }
}
