using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// Hybrid search (<see cref="QuiverCollection.HybridSearch"/>, <see cref="HybridBranch"/>,
    /// <see cref="HybridSearchParams"/>, <see cref="Fusion"/>) and multi-query search
    /// (<see cref="QuiverCollection.MultiQuerySearch(float[][], SearchOptions, MultiQueryFusion, int, float[], float)"/>)
    /// over a small corpus with vectors and a text field: every fusion against a fusion
    /// computed here from the branches' own results (<see cref="QuiverCollection.Search"/> and
    /// <see cref="QuiverCollection.TextSearch"/> with the same options), a single branch keeping
    /// its order, payloads, the native structs, and the errors.
    /// </summary>
    [TestFixture]
    public class HybridSearchTests : TempDirFixture
    {
        private const int Dim = 4;
        private const int Points = 60;
        private const int Depth = 20;
        // Point 13 has no payload (so no text either).
        private const int NoPayload = 13;

        private static readonly string[] Words = { "red", "fish", "blue", "cat", "green", "tree" };

        private static readonly float[] Vectors = TestData.RandomVectors(Points, Dim, 11);

        private static float[] Vector(int i) => Vectors.Skip(i * Dim).Take(Dim).ToArray();

        private static string Body(int i) =>
            Words[i % 6] + " " + Words[(i / 6) % 6] + (i % 5 == 0 ? " stone" : "");

        // Odd spacing on purpose: payloads come back byte for byte.
        private static string Payload(int i) =>
            i == NoPayload ? null : "{\"body\": \"" + Body(i) + "\",  \"tag\":" + (i % 3) + "}";

        // The corpus in two segments (0..29 sealed before the indexes exist, 30..59 appendable
        // after), a text index on "body" and an integer (value) index on "tag".
        private static QuiverCollection Fill(QuiverDatabase db)
        {
            var c = db.CreateCollection("h", new CollectionConfig(Dim, Metric.Euclidean));
            ulong[] ids = TestData.Ids(0, Points);
            string[] payloads = Enumerable.Range(0, Points).Select(Payload).ToArray();
            const int half = 30;
            c.Upsert(ids.Take(half).ToArray(), Vectors.Take(half * Dim).ToArray(), payloads.Take(half).ToArray());
            c.Optimize();
            c.CreateTextIndex("body");
            c.CreateFieldIndex("tag", FieldKind.Integer);
            c.Upsert(ids.Skip(half).ToArray(), Vectors.Skip(half * Dim).ToArray(), payloads.Skip(half).ToArray());
            return c;
        }

        private static SearchOptions Exact(int k = Depth, string filter = null) =>
            new SearchOptions(k) { Exact = true, Filter = filter };

        private static QuiverException Fails(QuiverStatus status, TestDelegate code, params string[] messageParts)
        {
            var e = Assert.Throws<QuiverException>(code);
            Assert.That(e.Status, Is.EqualTo(status), e.Message);
            Assert.That(e.Code, Is.EqualTo((int)status));
            foreach (string part in messageParts)
            {
                StringAssert.Contains(part, e.Message);
            }
            return e;
        }

        // ---- the fusions, computed here --------------------------------------------------------

        /// <summary>One branch's (or query's) own results, its weight and its orientation.</summary>
        private sealed class Ranked
        {
            internal SearchHit[] Hits;
            internal float Weight = 1;
            internal bool HigherIsBetter;
        }

        private static Ranked DenseList(SearchHit[] hits, float weight = 1) =>
            new Ranked { Hits = hits, Weight = weight, HigherIsBetter = false }; // euclidean distances

        private static Ranked TextList(SearchHit[] hits, float weight = 1) =>
            new Ranked { Hits = hits, Weight = weight, HigherIsBetter = true }; // BM25

        private static double Oriented(float s, bool higherIsBetter) => higherIsBetter ? s : -(double)s;

        /// <summary>
        /// Each id's fused score, accumulated in double over the lists in order (as the library
        /// documents it), rounded to float: the sum over the lists holding the id of weight ×
        /// the list's contribution for it.
        /// </summary>
        private static Dictionary<ulong, float> FuseHere(IList<Ranked> lists, Fusion fusion, float rrfK = 60)
        {
            var acc = new Dictionary<ulong, double>();
            foreach (Ranked list in lists)
            {
                SearchHit[] hits = list.Hits;
                if (hits.Length == 0)
                {
                    continue;
                }
                double[] o = hits.Select(h => Oriented(h.Score, list.HigherIsBetter)).ToArray();
                double lo = o.Min(), hi = o.Max();
                double mean = o.Sum() / o.Length;
                double sigma = Math.Sqrt(o.Select(x => (x - mean) * (x - mean)).Sum() / o.Length);
                for (int pos = 0; pos < hits.Length; pos++)
                {
                    double c;
                    switch (fusion)
                    {
                        case Fusion.Rrf:
                            c = 1.0 / ((double)rrfK + (pos + 1)); // rank from 1
                            break;
                        case Fusion.Rsf:
                            c = lo == hi ? 1 : (o[pos] - lo) / (hi - lo); // min-max: best 1, worst 0
                            break;
                        case Fusion.Dbsf:
                            c = lo == hi ? 1 : Math.Min(1, Math.Max(0, (o[pos] - (mean - 3 * sigma)) / (6 * sigma)));
                            break;
                        default:
                            c = o[pos]; // weighted raw score, distances negated
                            break;
                    }
                    double v = (double)list.Weight * c;
                    ulong id = hits[pos].Id;
                    acc[id] = acc.TryGetValue(id, out double before) ? before + v : v;
                }
            }
            return acc.ToDictionary(kv => kv.Key, kv => (float)kv.Value);
        }

        /// <summary>The best <paramref name="k"/> of <paramref name="scores"/>, highest first, equal scores by ascending id.</summary>
        private static KeyValuePair<ulong, float>[] Best(Dictionary<ulong, float> scores, int k, bool lowestFirst = false) =>
            (lowestFirst ? scores.OrderBy(kv => kv.Value) : scores.OrderByDescending(kv => kv.Value))
                .ThenBy(kv => kv.Key).Take(k).ToArray();

        private static void CheckHits(SearchHit[] got, KeyValuePair<ulong, float>[] want, string what)
        {
            Assert.That(got.Select(h => h.Id).ToArray(), Is.EqualTo(want.Select(kv => kv.Key).ToArray()), what + ": ids");
            for (int j = 0; j < got.Length; j++)
            {
                Assert.That(got[j].Score, Is.EqualTo(want[j].Value).Within(1e-6), what + ": score at rank " + j);
            }
        }

        // How many adjacent equal scores (ties broken by id) a ranking holds.
        private static int Ties(KeyValuePair<ulong, float>[] ranking) =>
            Enumerable.Range(1, Math.Max(0, ranking.Length - 1)).Count(j => ranking[j].Value == ranking[j - 1].Value);

        // ---- the native structs ------------------------------------------------------------------

        [Test]
        public unsafe void NativeStructsHaveTheLibrarysLayout()
        {
            NativeMethods.qv_hybrid_branch b;
            NativeMethods.qv_hybrid_branch_init(&b);
            Assert.That(b.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_hybrid_branch)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_hybrid_branch>(), Is.EqualTo(96)); // with the sparse fields (SparseVectorTests)
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("weight"), Is.EqualTo(8));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("vector"), Is.EqualTo(16));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("search"), Is.EqualTo(32));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("query"), Is.EqualTo(40));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("text"), Is.EqualTo(56));
            Assert.That(b.kind, Is.EqualTo(0u));
            Assert.That(b.weight, Is.EqualTo(1f));
            Assert.That(b.vector == null && b.search == null && b.query == null && b.text == null, Is.True);

            NativeMethods.qv_hybrid_params p;
            NativeMethods.qv_hybrid_params_init(&p);
            Assert.That(p.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_hybrid_params)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_hybrid_params>(), Is.EqualTo(40));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_params>("rrf_k"), Is.EqualTo(12));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_params>("branches"), Is.EqualTo(24));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_params>("nbranches"), Is.EqualTo(32));
            Assert.That(p.k, Is.EqualTo(10u));
            Assert.That(p.fusion, Is.EqualTo((uint)Fusion.Rrf));
            Assert.That(p.rrf_k, Is.EqualTo(60f));
            Assert.That(p.with_payload, Is.EqualTo(0u));

            NativeMethods.qv_multi_query_params m;
            NativeMethods.qv_multi_query_params_init(&m);
            Assert.That(m.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_multi_query_params)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_multi_query_params>(), Is.EqualTo(40));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_multi_query_params>("candidates"), Is.EqualTo(12));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_multi_query_params>("weights"), Is.EqualTo(16));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_multi_query_params>("reserved2"), Is.EqualTo(36));
            Assert.That(m.fusion, Is.EqualTo((uint)MultiQueryFusion.Rrf));
            Assert.That(m.rrf_k, Is.EqualTo(60f));
            Assert.That(m.candidates, Is.EqualTo(0u));

            // The enums carry the header's constants.
            Assert.That(new[] { Fusion.Rrf, Fusion.Rsf, Fusion.Dbsf, Fusion.Weighted }.Select(f => (uint)f), Is.EqualTo(new uint[] { 1, 2, 3, 4 }));
            Assert.That(new[] { MultiQueryFusion.Average, MultiQueryFusion.Max, MultiQueryFusion.Rrf, MultiQueryFusion.Weighted }.Select(f => (uint)f),
                Is.EqualTo(new uint[] { 1, 2, 3, 4 }));
            Assert.That((uint)HybridBranchKind.Dense, Is.EqualTo(NativeMethods.BranchDense));
            Assert.That((uint)HybridBranchKind.Text, Is.EqualTo(NativeMethods.BranchText));
            Assert.That((uint)HybridBranchKind.Sparse, Is.EqualTo(NativeMethods.BranchSparse));

            // The C# defaults are the library's.
            var hp = new HybridSearchParams();
            Assert.That(hp.K, Is.EqualTo(10));
            Assert.That(hp.Fusion, Is.EqualTo(Fusion.Rrf));
            Assert.That(hp.RrfK, Is.EqualTo(60f));
            Assert.That(hp.WithPayload, Is.False);
            Assert.That(hp.Branches, Is.Empty);
            var dense = HybridBranch.Dense(new float[] { 1, 2, 3, 4 }, null);
            Assert.That(dense.Kind, Is.EqualTo(HybridBranchKind.Dense));
            Assert.That(dense.Weight, Is.EqualTo(1f));
            Assert.That(dense.Options.K, Is.EqualTo(10));
            var text = HybridBranch.Text("red fish", new TextSearchParams("body"), 2.5f);
            Assert.That(text.Kind, Is.EqualTo(HybridBranchKind.Text));
            Assert.That(text.Weight, Is.EqualTo(2.5f));
            Assert.That(text.Query, Is.EqualTo("red fish"));
            Assert.That(new HybridSearchParams(dense, text).Branches, Is.EqualTo(new[] { dense, text }));
            Assert.That(hp.Add(text).Add(dense).Branches, Is.EqualTo(new[] { text, dense }));
        }

        // ---- hybrid search -----------------------------------------------------------------------

        [Test]
        public void RrfOfDenseAndTextEqualsRrfOfTheBranchesOwnResults()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                float[] q = Vector(7);
                var cases = new[]
                {
                    new { Dense = Exact(), Text = new TextSearchParams("body") { K = Depth }, Query = "fish cat" },
                    // Each branch with its own filter and depth.
                    new { Dense = Exact(12, Filter.Eq("tag", 1).Json), Text = new TextSearchParams("body") { K = 9, Filter = Filter.Ne("tag", 1).Json }, Query = "tree stone" },
                    // Graph search (not exact) and all-terms text.
                    new { Dense = new SearchOptions(15) { Ef = 40 }, Text = new TextSearchParams("body") { K = Depth, Mode = TextMode.All }, Query = "green fish" },
                };
                foreach (var t in cases)
                {
                    SearchHit[] dense = c.Search(q, t.Dense);
                    SearchHit[] words = c.TextSearch(t.Query, t.Text);
                    Assert.That(dense, Is.Not.Empty);
                    Assert.That(words, Is.Not.Empty);
                    foreach (float[] w in new[] { new[] { 1f, 1f }, new[] { 1f, 2f }, new[] { 0.5f, 1.5f }, new[] { 0f, 1f } })
                    {
                        foreach (float rrfK in new[] { 60f, 3f })
                        {
                            foreach (int k in new[] { 8, 100 })
                            {
                                string what = t.Query + " weights " + w[0] + "/" + w[1] + " rrf_k " + rrfK + " k " + k;
                                var p = new HybridSearchParams { K = k, RrfK = rrfK }
                                    .Add(HybridBranch.Dense(q, t.Dense, w[0]))
                                    .Add(HybridBranch.Text(t.Query, t.Text, w[1]));
                                var want = Best(FuseHere(new[] { DenseList(dense, w[0]), TextList(words, w[1]) }, Fusion.Rrf, rrfK), k);
                                SearchHit[] got = c.HybridSearch(p);
                                CheckHits(got, want, what);
                                Assert.That(got.All(h => h.Payload == null), Is.True, what);
                                if (k == 100)
                                {
                                    // Every point either branch found, and no other.
                                    Assert.That(got.Select(h => h.Id), Is.EquivalentTo(dense.Select(h => h.Id).Union(words.Select(h => h.Id))), what);
                                }
                            }
                        }
                    }
                }
                // The default RRF constant is 60, and the branch order does not matter.
                SearchHit[] d = c.Search(q, Exact()), x = c.TextSearch("fish", new TextSearchParams("body") { K = Depth });
                var expected = Best(FuseHere(new[] { DenseList(d), TextList(x, 3) }, Fusion.Rrf), 10);
                CheckHits(c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(q, Exact()), HybridBranch.Text("fish", new TextSearchParams("body") { K = Depth }, 3))), expected, "defaults");
                CheckHits(c.HybridSearch(new HybridSearchParams(HybridBranch.Text("fish", new TextSearchParams("body") { K = Depth }, 3), HybridBranch.Dense(q, Exact()))), expected, "reversed");
            }
        }

        [Test]
        public void OneBranchKeepsItsSearchOrder()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                foreach (SearchOptions o in new[] { Exact(), new SearchOptions(Depth), Exact(25, Filter.Eq("tag", 2).Json) })
                {
                    SearchHit[] alone = c.Search(Vector(21), o);
                    SearchHit[] got = c.HybridSearch(new HybridSearchParams { K = o.K }.Add(HybridBranch.Dense(Vector(21), o)));
                    Assert.That(got.Select(h => h.Id), Is.EqualTo(alone.Select(h => h.Id)), o.Filter);
                    // RRF: 1 / (60 + rank).
                    Assert.That(got.Select(h => h.Score), Is.EqualTo(got.Select((h, r) => (float)(1.0 / (60 + r + 1)))), o.Filter);
                    // RSF keeps it too (ties of equal distances apart).
                    SearchHit[] rsf = c.HybridSearch(new HybridSearchParams { K = o.K, Fusion = Fusion.Rsf }.Add(HybridBranch.Dense(Vector(21), o)));
                    Assert.That(rsf.Select(h => h.Id), Is.EqualTo(alone.Select(h => h.Id)), o.Filter);
                    Assert.That(rsf[0].Score, Is.EqualTo(1f));
                    Assert.That(rsf[rsf.Length - 1].Score, Is.EqualTo(0f));
                }
                var tp = new TextSearchParams("body") { K = 30 };
                SearchHit[] text = c.TextSearch("fish stone", tp);
                Assert.That(text.Length, Is.GreaterThan(10));
                SearchHit[] fused = c.HybridSearch(new HybridSearchParams { K = 30 }.Add(HybridBranch.Text("fish stone", tp, 0.25f)));
                Assert.That(fused.Select(h => h.Id), Is.EqualTo(text.Select(h => h.Id)));
                Assert.That(fused.Select(h => h.Score), Is.EqualTo(fused.Select((h, r) => (float)(0.25 * (1.0 / (60 + r + 1))))));
                // Fewer fused results than candidates: the best ones.
                Assert.That(c.HybridSearch(new HybridSearchParams { K = 4 }.Add(HybridBranch.Text("fish stone", tp))).Select(h => h.Id),
                    Is.EqualTo(text.Take(4).Select(h => h.Id)));
            }
        }

        [Test]
        public void ScoreFusionsMatchTheirFormulas()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                float[] q = Vector(40);
                var tp = new TextSearchParams("body") { K = 25 };
                SearchHit[] dense = c.Search(q, Exact());
                SearchHit[] words = c.TextSearch("fish red", tp);
                int ties = 0;
                foreach (Fusion fusion in new[] { Fusion.Rsf, Fusion.Dbsf, Fusion.Weighted })
                {
                    foreach (float[] w in new[] { new[] { 1f, 1f }, new[] { 2f, 0.5f }, new[] { 0.3f, 3f } })
                    {
                        string what = fusion + " weights " + w[0] + "/" + w[1];
                        var want = Best(FuseHere(new[] { DenseList(dense, w[0]), TextList(words, w[1]) }, fusion), 100);
                        var p = new HybridSearchParams(HybridBranch.Dense(q, Exact(), w[0]), HybridBranch.Text("fish red", tp, w[1]))
                        {
                            K = 100,
                            Fusion = fusion,
                            RrfK = 1234, // ignored by these fusions
                        };
                        CheckHits(c.HybridSearch(p), want, what);
                        p.K = 7;
                        CheckHits(c.HybridSearch(p), want.Take(7).ToArray(), what + " k 7");
                        ties += Ties(want);
                    }
                }
                // Equal BM25 scores make equal fused scores, which come by ascending id.
                Assert.That(ties, Is.GreaterThan(0));

                // RSF by hand: the best hit of both branches scores w0 + w1.
                var both = new HybridSearchParams(HybridBranch.Dense(Vector(7), Exact(5)), HybridBranch.Text("fish", new TextSearchParams("body") { K = 5 }, 2))
                {
                    K = 100,
                    Fusion = Fusion.Rsf,
                };
                SearchHit[] top = c.HybridSearch(both);
                Assert.That(top[0].Id, Is.EqualTo(7UL)); // point 7: "fish fish", nearest to itself, the best BM25 (tied with 43)
                Assert.That(top[0].Score, Is.EqualTo(3f).Within(1e-6));
            }
        }

        [Test]
        public void PayloadsComeBackByteForByte()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                var dense = Exact();
                dense.WithPayload = true; // a branch's own WithPayload is ignored
                var tp = new TextSearchParams("body") { K = Depth, WithPayload = true };
                var p = new HybridSearchParams(HybridBranch.Dense(Vector(NoPayload), dense), HybridBranch.Text("cat tree", tp)) { K = 30 };
                SearchHit[] bare = c.HybridSearch(p);
                Assert.That(bare.All(h => h.Payload == null), Is.True);
                p.WithPayload = true;
                SearchHit[] hits = c.HybridSearch(p);
                Assert.That(hits.Select(h => h.Id), Is.EqualTo(bare.Select(h => h.Id)));
                Assert.That(hits.Select(h => h.Score), Is.EqualTo(bare.Select(h => h.Score)));
                Assert.That(hits.Select(h => h.Id), Contains.Item((ulong)NoPayload)); // the dense branch's best
                foreach (SearchHit h in hits)
                {
                    Assert.That(h.Payload, Is.EqualTo(Payload((int)h.Id)), "hit " + h.Id);
                }
                Assert.That(hits.Count(h => h.Payload != null), Is.EqualTo(hits.Length - 1));

                // Multi-query: with the search options' WithPayload.
                SearchHit[] multi = c.MultiQuerySearch(new[] { Vector(NoPayload), Vector(3) }, new SearchOptions(6) { Exact = true, WithPayload = true });
                Assert.That(multi.Length, Is.EqualTo(6));
                Assert.That(multi.Select(h => h.Id), Contains.Item((ulong)NoPayload));
                Assert.That(multi.Select(h => h.Id), Contains.Item(3UL));
                foreach (SearchHit h in multi)
                {
                    Assert.That(h.Payload, Is.EqualTo(Payload((int)h.Id)), "multi hit " + h.Id);
                }
                Assert.That(c.MultiQuerySearch(new[] { Vector(3) }, Exact(6)).All(h => h.Payload == null), Is.True);
            }
        }

        [Test]
        public void TextOnlyHybridOnAMetadataOnlyCollection()
        {
            using (var db = OpenFast(DbPath()))
            using (var m = db.CreateCollection("m", CollectionConfig.MetadataOnly()))
            {
                m.Upsert(new ulong[] { 1, 2, 3 }, (float[])null, new[] { "{\"t\":\"red fish\"}", "{\"t\": \"blue fish fish\"}", "{\"u\": \"fish\"}" });
                m.CreateTextIndex("t");
                m.CreateTextIndex("u");
                var t = HybridBranch.Text("fish", new TextSearchParams("t"));
                var u = HybridBranch.Text("fish", new TextSearchParams("u"), 0.5f);
                SearchHit[] t1 = m.TextSearch("fish", new TextSearchParams("t"));
                SearchHit[] u1 = m.TextSearch("fish", new TextSearchParams("u"));
                var want = Best(FuseHere(new[] { TextList(t1), TextList(u1, 0.5f) }, Fusion.Rrf), 10);
                CheckHits(m.HybridSearch(new HybridSearchParams(t, u) { WithPayload = true }), want, "two text branches");
                Assert.That(m.HybridSearch(new HybridSearchParams(u) { WithPayload = true }).Single().Payload, Is.EqualTo("{\"u\": \"fish\"}"));
                Fails(QuiverStatus.Unsupported, () => m.HybridSearch(new HybridSearchParams(t, HybridBranch.Dense(new float[0], null))));
                Fails(QuiverStatus.Unsupported, () => m.MultiQuerySearch(new[] { new float[0] }));
            }
        }

        // ---- multi-query search --------------------------------------------------------------------

        [Test]
        public void MultiQueryFusionsMatchTheListsOfEachQuery()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                float[][] queries = { Vector(7), Vector(30), Vector(52) };
                const int k = 6;
                foreach (int candidates in new[] { 0, k, Depth })
                {
                    int depth = candidates == 0 ? k : candidates;
                    SearchHit[][] lists = queries.Select(v => c.Search(v, Exact(depth))).ToArray();
                    var options = Exact(k);
                    string what = "candidates " + candidates;

                    // Average: the mean distance over the lists holding a point, smallest first.
                    var sum = new Dictionary<ulong, double>();
                    var count = new Dictionary<ulong, int>();
                    foreach (SearchHit h in lists.SelectMany(l => l))
                    {
                        sum[h.Id] = (sum.TryGetValue(h.Id, out double s) ? s : 0) + h.Score;
                        count[h.Id] = (count.TryGetValue(h.Id, out int n) ? n : 0) + 1;
                    }
                    var mean = sum.ToDictionary(kv => kv.Key, kv => (float)(kv.Value / count[kv.Key]));
                    SearchHit[] avg = c.MultiQuerySearch(queries, options, MultiQueryFusion.Average, candidates);
                    CheckHits(avg, Best(mean, k, lowestFirst: true), what + " average");
                    Assert.That(avg.Select(h => h.Score), Is.Ordered, what);

                    // Max: the smallest distance.
                    var min = lists.SelectMany(l => l).GroupBy(h => h.Id).ToDictionary(g => g.Key, g => g.Min(h => h.Score));
                    CheckHits(c.MultiQuerySearch(queries, options, MultiQueryFusion.Max, candidates), Best(min, k, lowestFirst: true), what + " max");

                    // RRF, two constants; weighted, distances negated.
                    var ranked = lists.Select(l => DenseList(l)).ToArray();
                    foreach (float rrfK in new[] { 60f, 2f })
                    {
                        CheckHits(c.MultiQuerySearch(queries, options, MultiQueryFusion.Rrf, candidates, null, rrfK),
                            Best(FuseHere(ranked, Fusion.Rrf, rrfK), k), what + " rrf " + rrfK);
                    }
                    CheckHits(c.MultiQuerySearch(queries, options, candidates: candidates),
                        Best(FuseHere(ranked, Fusion.Rrf), k), what + " default rrf");
                    float[] weights = { 1f, 0.5f, 2f };
                    var weighted = lists.Select((l, i) => DenseList(l, weights[i])).ToArray();
                    SearchHit[] wsum = c.MultiQuerySearch(queries, options, MultiQueryFusion.Weighted, candidates, weights);
                    CheckHits(wsum, Best(FuseHere(weighted, Fusion.Weighted), k), what + " weighted");
                    Assert.That(wsum.Select(h => h.Score), Is.Ordered.Descending, what);

                    // The row-major form gives the same.
                    float[] flat = queries.SelectMany(v => v).ToArray();
                    Assert.That(c.MultiQuerySearch(flat, options, MultiQueryFusion.Average, candidates).Select(h => h.Id), Is.EqualTo(avg.Select(h => h.Id)));
                    Assert.That(c.MultiQuerySearch(flat, options, MultiQueryFusion.Weighted, candidates, weights).Select(h => h.Score), Is.EqualTo(wsum.Select(h => h.Score)));
                }

                // One query: its own search.
                var filtered = Exact(8, Filter.Eq("tag", 0).Json);
                Assert.That(c.MultiQuerySearch(new[] { Vector(9) }, filtered, MultiQueryFusion.Average).Select(h => h.Id),
                    Is.EqualTo(c.Search(Vector(9), filtered).Select(h => h.Id)));
                Assert.That(c.MultiQuerySearch(new[] { Vector(9) }, filtered, MultiQueryFusion.Max).Select(h => h.Score),
                    Is.EqualTo(c.Search(Vector(9), filtered).Select(h => h.Score)));
            }
        }

        // ---- errors ------------------------------------------------------------------------------

        [Test]
        public void ErrorsMapToTheBindingsExceptions()
        {
            var db = OpenFast(DbPath());
            QuiverCollection c = Fill(db);
            try
            {
                float[] q = Vector(3);
                HybridBranch dense = HybridBranch.Dense(q, Exact());
                HybridBranch text = HybridBranch.Text("fish", new TextSearchParams("body"));

                // No branches.
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams()), "params.nbranches is 0");
                // A negative or non-finite weight.
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, HybridBranch.Text("fish", new TextSearchParams("body"), -1))), "weight is -1");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(q, null, float.NaN), text)), "weight");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(q, null, float.PositiveInfinity))), "weight");
                // A dense branch of the wrong dimension: the binding's dimension-mismatch exception, naming the branch.
                Fails(QuiverStatus.DimensionMismatch, () => c.HybridSearch(new HybridSearchParams(text, HybridBranch.Dense(new float[] { 1, 2, 3 }, null))), "branches[1]");
                Fails(QuiverStatus.DimensionMismatch, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(new float[Dim + 1], null))), "branches[0]");
                Fails(QuiverStatus.DimensionMismatch, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(new float[0], null))), "branches[0]");
                // A text branch on a field without a text index (a value index does not count), naming the branch.
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, HybridBranch.Text("fish", new TextSearchParams("tag")))), "branches[1]", "text index");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Text("fish", new TextSearchParams("nope")), dense)), "branches[0]", "text index");
                // A branch's own bad parameters, named likewise.
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, HybridBranch.Text("fish", new TextSearchParams()))), "branches[1]", "nfields is 0");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, HybridBranch.Text("fish", new TextSearchParams().Field("body", -2)))), "branches[1]");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(q, new SearchOptions(0)), text)), "branches[0]");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(q, new SearchOptions { Filter = "{\"field\": " }))), "branches[0]");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Dense(new[] { 1f, float.NaN, 0, 0 }, null))), "branches[0]");
                // The fusion's own parameters.
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, text) { K = 0 }));
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, text) { K = 100001 }));
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, text) { RrfK = 0 }), "rrf k is 0");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, text) { RrfK = float.NaN }), "rrf k");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dense, text) { Fusion = (Fusion)9 }), "params.fusion is 9");
                c.HybridSearch(new HybridSearchParams(dense, text) { Fusion = Fusion.Rsf, RrfK = 0 }); // RrfK is RRF's only
                // Caught by the binding.
                Assert.Throws<ArgumentNullException>(() => c.HybridSearch(null));
                Assert.Throws<ArgumentNullException>(() => c.HybridSearch(new HybridSearchParams { Branches = { dense, null } }));
                Assert.Throws<ArgumentNullException>(() => new HybridSearchParams().Add(null));
                Assert.Throws<ArgumentNullException>(() => new HybridSearchParams((HybridBranch[])null));
                Assert.Throws<ArgumentNullException>(() => HybridBranch.Dense(null, Exact()));
                Assert.Throws<ArgumentNullException>(() => HybridBranch.Text(null, new TextSearchParams("body")));
                Assert.Throws<ArgumentNullException>(() => HybridBranch.Text("fish", null));
                Assert.Throws<ArgumentException>(() => HybridBranch.Text("\ud800", new TextSearchParams("body")));
                Assert.Throws<ArgumentNullException>(() => c.HybridSearch(new HybridSearchParams(HybridBranch.Text("x", new TextSearchParams { Fields = { default(TextField) } }))));
                Assert.Throws<ArgumentException>(() => c.HybridSearch(new HybridSearchParams(HybridBranch.Text("x", new TextSearchParams("\ud800")))));
                Assert.Throws<ArgumentOutOfRangeException>(() => new HybridSearchParams { K = -1 });

                // Multi-query: weights not one per query, negative, or missing.
                float[][] two = { Vector(1), Vector(2) };
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, Exact(5), MultiQueryFusion.Weighted, 0, new[] { 1f }), "1 weights for 2 queries");
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, Exact(5), MultiQueryFusion.Weighted, 0, new[] { 1f, 1f, 1f }), "3 weights for 2 queries");
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, Exact(5), MultiQueryFusion.Weighted), "weights");
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, Exact(5), MultiQueryFusion.Weighted, 0, new[] { 1f, -1f }), "weight");
                c.MultiQuerySearch(two, Exact(5), MultiQueryFusion.Average, 0, new[] { 1f }); // read by Weighted only
                // Other parameters.
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, Exact(5), MultiQueryFusion.Max, 2), "candidates is 2");
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, Exact(5), (MultiQueryFusion)7), "multi.fusion is 7");
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, Exact(5), MultiQueryFusion.Rrf, 0, null, 0), "rrf k is 0");
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(two, new SearchOptions(0)));
                Fails(QuiverStatus.InvalidArgument, () => c.MultiQuerySearch(new float[0][]), "nq is 0");
                Fails(QuiverStatus.DimensionMismatch, () => c.MultiQuerySearch(new[] { new float[] { 1, 2, 3 } }));
                Fails(QuiverStatus.DimensionMismatch, () => c.MultiQuerySearch(new[] { Vector(1), new float[] { 1, 2, 3 } }));
                Fails(QuiverStatus.DimensionMismatch, () => c.MultiQuerySearch(new float[Dim + 1]));
                Assert.Throws<ArgumentNullException>(() => c.MultiQuerySearch((float[][])null));
                Assert.Throws<ArgumentNullException>(() => c.MultiQuerySearch((float[])null));
                Assert.Throws<ArgumentNullException>(() => c.MultiQuerySearch(new[] { Vector(1), null }));
                Assert.Throws<ArgumentOutOfRangeException>(() => c.MultiQuerySearch(two, null, MultiQueryFusion.Rrf, -1));

                // Closed: after Dispose, and after the database closed.
                var other = db.OpenCollection("h");
                other.Dispose();
                Fails(QuiverStatus.Closed, () => other.HybridSearch(new HybridSearchParams(dense, text)));
                Fails(QuiverStatus.Closed, () => other.MultiQuerySearch(two));
                db.Dispose();
                Fails(QuiverStatus.Closed, () => c.HybridSearch(new HybridSearchParams(dense, text)));
                Fails(QuiverStatus.Closed, () => c.MultiQuerySearch(two));
            }
            finally
            {
                c.Dispose();
                db.Dispose();
            }
        }
    }
}
