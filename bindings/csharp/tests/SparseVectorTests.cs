using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// Named sparse vectors (<see cref="SparseVector"/>, <see cref="SparseColumn"/>,
    /// <see cref="QuiverCollection.UpsertSparse(ulong[], float[], string[], SparseColumn[])"/>,
    /// <see cref="QuiverCollection.UpdateSparse(ulong[], string, SparseVector?[])"/>,
    /// <see cref="QuiverCollection.GetSparse(ulong[], string)"/>,
    /// <see cref="QuiverCollection.SparseSearch"/>, <see cref="HybridBranch.Sparse"/>) over a
    /// corpus of two names in a sealed and an appendable segment: read back sorted, searches
    /// equal to a dot product computed here (ids and float scores exactly, ties by id), with
    /// and without a filter, after an update and after a reopen, a sparse hybrid branch, the
    /// native structs, and the errors, which change nothing.
    /// </summary>
    [TestFixture]
    public class SparseVectorTests : TempDirFixture
    {
        private const int Dim = 2;
        private const int Points = 240;
        private const int Half = 120;
        private const string OddOnly = "{\"field\": \"odd\", \"eq\": 1}";

        private static readonly string[] Names = { "a", "b" };

        // "a": unsorted, distinct indices below 40, values that round when summed (so the
        // summation order shows); none on every tenth point.
        // "b": indices below 12, values in halves (so that equal scores are common and the
        // order by id shows); none on points 3, 10, 17, ...
        private static SparseVector? Make(string name, int i, Random rnd)
        {
            bool a = name == "a";
            if (a ? i % 10 == 0 : i % 7 == 3)
            {
                rnd.Next(); // keep the sequence of the others independent of the gaps
                return null;
            }
            int vocab = a ? 40 : 12;
            int want = 1 + rnd.Next(a ? 8 : 4);
            var entries = new List<KeyValuePair<uint, float>>();
            while (entries.Count < want)
            {
                uint ix = (uint)rnd.Next(vocab);
                if (entries.Any(e => e.Key == ix))
                {
                    continue;
                }
                float v = a ? (float)(rnd.NextDouble() * 4 - 1) : (rnd.Next(7) - 2) * 0.5f;
                entries.Add(new KeyValuePair<uint, float>(ix, v));
            }
            return new SparseVector(entries.Select(e => e.Key).ToArray(), entries.Select(e => e.Value).ToArray());
        }

        private static string Payload(int i) => "{\"odd\": " + (i % 2) + ",  \"i\":" + i + "}";

        private static float[] Dense(int i) => new[] { (float)i, 1f };

        /// <summary>What the collection should hold: per name, the vector of each id (null = none).</summary>
        private sealed class Model
        {
            internal readonly Dictionary<string, SparseVector?[]> Vectors = new Dictionary<string, SparseVector?[]>();

            internal Model()
            {
                foreach (string name in Names)
                {
                    var rnd = new Random(name == "a" ? 5 : 6);
                    Vectors[name] = Enumerable.Range(0, Points).Select(i => Make(name, i, rnd)).ToArray();
                }
            }
        }

        // The corpus in two segments: points 0..119 sealed, 120..239 appendable.
        private static QuiverCollection Fill(QuiverDatabase db, Model m)
        {
            var c = db.CreateCollection("s", new CollectionConfig(Dim, Metric.Euclidean));
            foreach (var range in new[] { Enumerable.Range(0, Half), Enumerable.Range(Half, Points - Half) })
            {
                int[] ix = range.ToArray();
                c.UpsertSparse(ix.Select(i => (ulong)i).ToArray(), ix.SelectMany(Dense).ToArray(), ix.Select(Payload).ToArray(),
                    Names.Select(n => new SparseColumn(n, ix.Select(i => m.Vectors[n][i]).ToArray())).ToArray());
                if (ix[0] == 0)
                {
                    c.Optimize();
                }
            }
            return c;
        }

        /// <summary>
        /// The best <paramref name="k"/> points by the dot product of their vector
        /// <paramref name="name"/> with <paramref name="query"/>, summed in float in ascending
        /// index order, among the points sharing an index with it (and odd, when
        /// <paramref name="oddOnly"/>), best first, equal scores by ascending id.
        /// </summary>
        private static KeyValuePair<ulong, float>[] BruteForce(Model m, string name, SparseVector query, int k, bool oddOnly)
        {
            var q = new Dictionary<uint, float>();
            for (int j = 0; j < query.Count; j++)
            {
                q[query.Indices[j]] = query.Values[j];
            }
            var scored = new List<KeyValuePair<ulong, float>>();
            SparseVector?[] vectors = m.Vectors[name];
            for (int i = 0; i < vectors.Length; i++)
            {
                if (vectors[i] == null || (oddOnly && i % 2 == 0))
                {
                    continue;
                }
                SparseVector v = vectors[i].Value.Sorted();
                float s = 0f;
                bool shared = false;
                for (int j = 0; j < v.Count; j++)
                {
                    if (q.TryGetValue(v.Indices[j], out float w))
                    {
                        s = (float)(s + (float)(v.Values[j] * w));
                        shared = true;
                    }
                }
                if (shared)
                {
                    scored.Add(new KeyValuePair<ulong, float>((ulong)i, s));
                }
            }
            return scored.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(k).ToArray();
        }

        private static void CheckExactly(SearchHit[] got, KeyValuePair<ulong, float>[] want, string what)
        {
            Assert.That(got.Select(h => h.Id).ToArray(), Is.EqualTo(want.Select(kv => kv.Key).ToArray()), what + ": ids");
            for (int j = 0; j < got.Length; j++)
            {
                Assert.That(got[j].Score == want[j].Value, Is.True,
                    what + ": score at rank " + j + " is " + got[j].Score.ToString("R") + ", not " + want[j].Value.ToString("R"));
            }
        }

        // Queries for a name: distinct indices in random order, values like the name's.
        private static SparseVector[] Queries(string name, int seed)
        {
            var rnd = new Random(seed);
            bool a = name == "a";
            var result = new SparseVector[14];
            for (int r = 0; r < result.Length; r++)
            {
                var ix = new List<uint>();
                int want = 1 + rnd.Next(6);
                while (ix.Count < want)
                {
                    uint x = (uint)rnd.Next(a ? 44 : 12); // a few indices no point has
                    if (!ix.Contains(x))
                    {
                        ix.Add(x);
                    }
                }
                result[r] = new SparseVector(ix.ToArray(), ix.Select(_ => a ? (float)(rnd.NextDouble() * 2) : rnd.Next(1, 4) * 0.5f).ToArray());
            }
            return result;
        }

        private static readonly int[] Ks = { 1, 4, 10, 25, 100, 1000 };

        // Every name, query, k and filter against the brute force; returns how many ties (equal
        // adjacent scores) the expected rankings held.
        private static int SearchesMatch(QuiverCollection c, Model m, string what)
        {
            int ties = 0;
            foreach (string name in Names)
            {
                SparseVector[] queries = Queries(name, name == "a" ? 21 : 22);
                for (int r = 0; r < queries.Length; r++)
                {
                    int k = Ks[r % Ks.Length];
                    foreach (bool odd in new[] { false, true })
                    {
                        string label = what + " " + name + " query " + r + " " + queries[r] + " k " + k + (odd ? " odd" : "");
                        var options = new SparseSearchOptions(k) { Filter = odd ? OddOnly : null };
                        var want = BruteForce(m, name, queries[r], k, odd);
                        SearchHit[] got = c.SparseSearch(name, queries[r], options);
                        CheckExactly(got, want, label);
                        Assert.That(got.All(h => h.Payload == null), Is.True, label);
                        ties += Enumerable.Range(1, Math.Max(0, want.Length - 1)).Count(j => want[j].Value == want[j - 1].Value);
                    }
                }
            }
            return ties;
        }

        private static void ReadsBack(QuiverCollection c, Model m, string what)
        {
            ulong[] ids = TestData.Ids(0, Points).Concat(new ulong[] { Points, 9999 }).ToArray();
            foreach (string name in Names)
            {
                SparseVector?[] got = c.GetSparse(ids, name);
                Assert.That(got.Length, Is.EqualTo(ids.Length), what);
                for (int i = 0; i < Points; i++)
                {
                    SparseVector? want = m.Vectors[name][i];
                    string label = what + " " + name + " point " + i;
                    if (want == null || want.Value.IsEmpty)
                    {
                        Assert.That(got[i], Is.Null, label);
                        continue;
                    }
                    Assert.That(got[i], Is.Not.Null, label);
                    Assert.That(got[i].Value, Is.EqualTo(want.Value.Sorted()), label);
                    Assert.That(got[i].Value.Indices, Is.Ordered, label);
                }
                Assert.That(got[Points], Is.Null, what + " missing point");
                Assert.That(got[Points + 1], Is.Null, what + " missing point");
            }
        }

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

        private static SparseVector V(uint[] indices, params float[] values) => new SparseVector(indices, values);

        // ---- the native structs and the value types ----------------------------------------------

        [Test]
        public unsafe void NativeStructsHaveTheLibrarysLayout()
        {
            NativeMethods.qv_sparse_search_params p;
            NativeMethods.qv_sparse_search_params_init(&p);
            Assert.That(p.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_sparse_search_params)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_sparse_search_params>(), Is.EqualTo(48));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_sparse_search_params>("with_payload"), Is.EqualTo(8));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_sparse_search_params>("name"), Is.EqualTo(16));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_sparse_search_params>("filter_json"), Is.EqualTo(32));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_sparse_search_params>("filter_len"), Is.EqualTo(40));
            Assert.That(p.k, Is.EqualTo(10u));
            Assert.That(p.with_payload, Is.EqualTo(0u));
            Assert.That(p.name == null && p.name_len == 0 && p.filter_json == null && p.filter_len == 0, Is.True);

            // No init functions: the header's layouts.
            Assert.That(sizeof(NativeMethods.qv_sparse_column), Is.EqualTo(40));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_sparse_column>(), Is.EqualTo(40));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_sparse_column>("indptr"), Is.EqualTo(16));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_sparse_column>("values"), Is.EqualTo(32));
            Assert.That(sizeof(NativeMethods.qv_sparse_view), Is.EqualTo(32));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_sparse_view>("values"), Is.EqualTo(24));

            // The hybrid branch grew by the sparse fields: 96 bytes.
            NativeMethods.qv_hybrid_branch b;
            NativeMethods.qv_hybrid_branch_init(&b);
            Assert.That(b.struct_size, Is.EqualTo(96u));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_hybrid_branch>(), Is.EqualTo(96));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("sparse_indices"), Is.EqualTo(64));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("sparse_values"), Is.EqualTo(72));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("sparse_nnz"), Is.EqualTo(80));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_hybrid_branch>("sparse"), Is.EqualTo(88));
            Assert.That(b.sparse_indices == null && b.sparse_values == null && b.sparse_nnz == 0 && b.sparse == null, Is.True);
            Assert.That((uint)HybridBranchKind.Sparse, Is.EqualTo(NativeMethods.BranchSparse));
            Assert.That(NativeMethods.BranchSparse, Is.EqualTo(3u));

            // The C# defaults are the library's.
            var o = new SparseSearchOptions();
            Assert.That(o.K, Is.EqualTo(10));
            Assert.That(o.WithPayload, Is.False);
            Assert.That(o.Filter, Is.Null);
            Assert.That(new SparseSearchOptions(3).K, Is.EqualTo(3));
            var q = V(new uint[] { 2, 1 }, 0.5f, 1);
            var branch = HybridBranch.Sparse("a", q, null, 2f);
            Assert.That(branch.Kind, Is.EqualTo(HybridBranchKind.Sparse));
            Assert.That(branch.Weight, Is.EqualTo(2f));
            Assert.That(branch.SparseName, Is.EqualTo("a"));
            Assert.That(branch.SparseQuery, Is.EqualTo(q));
            Assert.That(branch.SparseOptions.K, Is.EqualTo(10));
            Assert.That(branch.Vector, Is.Null);
            Assert.That(branch.Query, Is.Null);
            StringAssert.Contains("sparse(\"a\" nnz=2", branch.ToString());
        }

        [Test]
        public void SparseVectorsAndColumns()
        {
            var v = V(new uint[] { 9, 2, 5 }, 1.5f, -2, 0.25f);
            Assert.That(v.Count, Is.EqualTo(3));
            Assert.That(v.IsEmpty, Is.False);
            SparseVector s = v.Sorted();
            Assert.That(s.Indices, Is.EqualTo(new uint[] { 2, 5, 9 }));
            Assert.That(s.Values, Is.EqualTo(new[] { -2f, 0.25f, 1.5f }));
            Assert.That(v.Indices, Is.EqualTo(new uint[] { 9, 2, 5 }), "Sorted copies");
            Assert.That(s != v, Is.True, "equality is in order");
            Assert.That(s == V(new uint[] { 2, 5, 9 }, -2, 0.25f, 1.5f), Is.True);
            Assert.That(s.GetHashCode(), Is.EqualTo(V(new uint[] { 2, 5, 9 }, -2, 0.25f, 1.5f).GetHashCode()));
            Assert.That(new SparseVector(new Dictionary<uint, float> { [9] = 1.5f, [2] = -2, [5] = 0.25f }), Is.EqualTo(s));
            Assert.That(s.ToString(), Is.EqualTo("{2: -2, 5: 0.25, 9: 1.5}"));
            var empty = default(SparseVector);
            Assert.That(empty.Count, Is.EqualTo(0));
            Assert.That(empty.IsEmpty, Is.True);
            Assert.That(empty.Indices, Is.Empty);
            Assert.That(empty.Values, Is.Empty);
            Assert.That(empty, Is.EqualTo(V(new uint[0])));

            // A column from vectors is the CSR of their rows.
            var col = new SparseColumn("x", v, null, default(SparseVector), s);
            Assert.That(col.Name, Is.EqualTo("x"));
            Assert.That(col.Count, Is.EqualTo(4));
            Assert.That(col.GetRow(0), Is.EqualTo((SparseVector?)v));
            Assert.That(col.GetRow(1), Is.Null);
            Assert.That(col.GetRow(2), Is.Null);
            Assert.That(col.GetRow(3), Is.EqualTo((SparseVector?)s));
            Assert.That(new SparseColumn("x", new List<SparseVector> { v, default(SparseVector) }).GetRow(0), Is.EqualTo((SparseVector?)v));
            var csr = new SparseColumn("y", new ulong[] { 0, 0, 2 }, new uint[] { 4, 1 }, new[] { 1f, 2f });
            Assert.That(csr.Count, Is.EqualTo(2));
            Assert.That(csr.GetRow(0), Is.Null);
            Assert.That(csr.GetRow(1), Is.EqualTo((SparseVector?)V(new uint[] { 4, 1 }, 1, 2)));
            Assert.Throws<ArgumentOutOfRangeException>(() => csr.GetRow(2));

            // The checks the binding makes.
            Fails(QuiverStatus.InvalidArgument, () => V(new uint[] { 1, 2 }, 1), "2 indices and 1 values");
            Fails(QuiverStatus.InvalidArgument, () => new SparseColumn("y", new ulong[] { 0, 2 }, new uint[] { 4, 1 }, new[] { 1f }), "2 indices and 1 values");
            Fails(QuiverStatus.InvalidArgument, () => new SparseColumn("y", new ulong[0], new uint[0], new float[0]), "indptr");
            Assert.Throws<ArgumentNullException>(() => new SparseVector(null, new float[0]));
            Assert.Throws<ArgumentNullException>(() => new SparseVector(new uint[0], null));
            Assert.Throws<ArgumentNullException>(() => new SparseVector((IDictionary<uint, float>)null));
            Assert.Throws<ArgumentNullException>(() => new SparseColumn(null, v));
            Assert.Throws<ArgumentNullException>(() => new SparseColumn("x", (SparseVector?[])null));
            Assert.Throws<ArgumentNullException>(() => new SparseColumn("x", (IReadOnlyList<SparseVector>)null));
            Assert.Throws<ArgumentNullException>(() => new SparseColumn("x", null, new uint[0], new float[0]));
            Assert.Throws<ArgumentException>(() => new SparseColumn("\ud800", v));
            Assert.Throws<ArgumentOutOfRangeException>(() => new SparseSearchOptions { K = -1 });
        }

        // ---- writes and reads ---------------------------------------------------------------------

        [Test]
        public void UpsertOfTwoNamesReadsBackSorted()
        {
            var m = new Model();
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, m))
            {
                Assert.That(c.Count(), Is.EqualTo(Points));
                // Some of the vectors were given unsorted, some points have none.
                Assert.That(m.Vectors["a"].Count(v => v != null && v.Value != v.Value.Sorted()), Is.GreaterThan(50));
                Assert.That(m.Vectors["b"].Count(v => v == null), Is.GreaterThan(20));
                ReadsBack(c, m, "after upsert");
                Assert.That(c.GetSparse(7, "a"), Is.EqualTo((SparseVector?)m.Vectors["a"][7].Value.Sorted()));
                Assert.That(c.GetSparse(10, "a"), Is.Null);
                Assert.That(c.GetSparse(TestData.Ids(0, Points), "nobody").All(v => v == null), Is.True);
                Assert.That(c.GetSparse(new ulong[0], "a"), Is.Empty);
                // The dense vectors and payloads are those written with them.
                using (PointBatch batch = c.Get(TestData.Ids(0, Points)))
                {
                    for (int i = 0; i < Points; i++)
                    {
                        Assert.That(batch.GetVector(i), Is.EqualTo(Dense(i)));
                        Assert.That(batch.GetPayload(i), Is.EqualTo(Payload(i)));
                    }
                }

                // An upsert replaces the whole point: without columns, no sparse vectors stay.
                c.UpsertSparse(new ulong[] { 1 }, Dense(1), new[] { Payload(1) });
                Assert.That(c.GetSparse(1, "a"), Is.Null);
                Assert.That(c.GetSparse(1, "b"), Is.Null);
                c.Upsert(new ulong[] { 2 }, Dense(2), new[] { Payload(2) });
                Assert.That(c.GetSparse(2, "a"), Is.Null);

                // The other forms: the C ABI's CSR (no copy), jagged dense rows, one point.
                c.UpsertSparse(new ulong[] { 1, 2 }, new[] { Dense(1), Dense(2) }, new[] { Payload(1), Payload(2) },
                    new SparseColumn("a", new ulong[] { 0, 2, 3 }, new uint[] { 30, 3, 8 }, new[] { 1f, 2f, 3f }));
                Assert.That(c.GetSparse(1, "a"), Is.EqualTo((SparseVector?)V(new uint[] { 3, 30 }, 2, 1)));
                Assert.That(c.GetSparse(2, "a"), Is.EqualTo((SparseVector?)V(new uint[] { 8 }, 3)));
                Assert.That(c.GetSparse(2, "b"), Is.Null);
                c.UpsertSparse(3, Dense(3), Payload(3), new Dictionary<string, SparseVector>
                {
                    ["a"] = V(new uint[] { 5, 1 }, 1, 2),
                    ["b"] = default(SparseVector), // empty: no vector of that name
                });
                Assert.That(c.GetSparse(3, "a"), Is.EqualTo((SparseVector?)V(new uint[] { 1, 5 }, 2, 1)));
                Assert.That(c.GetSparse(3, "b"), Is.Null);
                Assert.That(c.Get(3).Payload, Is.EqualTo(Payload(3)));
                // A metadata-only collection carries sparse vectors too.
                using (var meta = db.CreateCollection("m", CollectionConfig.MetadataOnly()))
                {
                    meta.UpsertSparse(new ulong[] { 4, 5 }, (float[])null, null, new SparseColumn("t", V(new uint[] { 1 }, 1), V(new uint[] { 1, 2 }, 2, 1)));
                    Assert.That(meta.SparseSearch("t", V(new uint[] { 1 }, 1)).Select(h => h.Id), Is.EqualTo(new ulong[] { 5, 4 }));
                }
            }
        }

        // ---- search -------------------------------------------------------------------------------

        [Test]
        public void SearchEqualsABruteForceDotProduct()
        {
            var m = new Model();
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, m))
            {
                int ties = SearchesMatch(c, m, "fresh");
                Assert.That(ties, Is.GreaterThan(10), "the rankings should hold equal scores (ordered by id)");

                // Payloads, byte for byte, when asked for.
                SparseVector q = Queries("a", 21)[0];
                SearchHit[] hits = c.SparseSearch("a", q, new SparseSearchOptions(30) { WithPayload = true });
                Assert.That(hits, Is.Not.Empty);
                foreach (SearchHit h in hits)
                {
                    Assert.That(h.Payload, Is.EqualTo(Payload((int)h.Id)));
                }
                // The Filter builders, and a filter no point matches.
                CheckExactly(c.SparseSearch("a", q, new SparseSearchOptions(30) { Filter = Filter.Eq("odd", 1).Json }),
                    BruteForce(m, "a", q, 30, true), "Filter.Eq");
                Assert.That(c.SparseSearch("a", q, new SparseSearchOptions { Filter = Filter.Eq("odd", 7).Json }), Is.Empty);
                // A name nobody has, an index nobody has, an empty query: nothing.
                Assert.That(c.SparseSearch("nobody", q), Is.Empty);
                Assert.That(c.SparseSearch("a", V(new uint[] { 4000000000 }, 1)), Is.Empty);
                Assert.That(c.SparseSearch("a", default(SparseVector)), Is.Empty);
                // The default k is 10.
                Assert.That(c.SparseSearch("b", V(new uint[] { 1, 2, 3 }, 1, 1, 1)).Length, Is.EqualTo(10));
            }
        }

        [Test]
        public void UpdateSparseThenSearchAgain()
        {
            var m = new Model();
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, m))
            {
                SparseVector?[] a = m.Vectors["a"];
                // New vectors for 5 (sealed) and 130 (appendable), a vector for 10 (had none),
                // none for 11 (null) and 131 (empty); 5000 does not exist; 7 twice: the last wins.
                ulong[] ids = { 5, 130, 10, 11, 131, 5000, 7, 7 };
                var vectors = new SparseVector?[]
                {
                    V(new uint[] { 39, 0, 17 }, 3.25f, -0.5f, 1.125f),
                    V(new uint[] { 3 }, 100f),
                    V(new uint[] { 2, 3 }, 0.1f, 0.2f),
                    null,
                    default(SparseVector),
                    V(new uint[] { 1 }, 1f),
                    V(new uint[] { 4 }, 4f),
                    V(new uint[] { 6, 5 }, 6f, 5f),
                };
                Assert.That(c.UpdateSparse(ids, "a", vectors), Is.EqualTo(6)); // the points that exist, 7 once
                a[5] = vectors[0];
                a[130] = vectors[1];
                a[10] = vectors[2];
                a[11] = null;
                a[131] = null;
                a[7] = vectors[7];
                ReadsBack(c, m, "after update");
                Assert.That(c.GetSparse(5000, "a"), Is.Null);
                Assert.That(c.Count(), Is.EqualTo(Points), "no point was created");
                SearchesMatch(c, m, "updated");
                // The point's best: 130 now leads any query with index 3.
                Assert.That(c.SparseSearch("a", V(new uint[] { 3 }, 1f), new SparseSearchOptions(1)).Single().Id, Is.EqualTo(130UL));

                // The dense vector, the payload and the other name stay.
                Assert.That(c.Get(5).Vector, Is.EqualTo(Dense(5)));
                Assert.That(c.Get(130).Payload, Is.EqualTo(Payload(130)));
                Assert.That(c.Search(Dense(130), new SearchOptions(1) { Exact = true }).Single().Id, Is.EqualTo(130UL));
                Assert.That(c.GetSparse(5, "b"), Is.EqualTo(m.Vectors["b"][5] == null ? (SparseVector?)null : m.Vectors["b"][5].Value.Sorted()));

                // The CSR form, and a name of its own (added to points that exist).
                Assert.That(c.UpdateSparse(new ulong[] { 20, 21, 9999 }, new SparseColumn("c", new ulong[] { 0, 1, 1, 2 }, new uint[] { 9, 9 }, new[] { 1f, 2f })), Is.EqualTo(2));
                Assert.That(c.GetSparse(new ulong[] { 20, 21 }, "c"), Is.EqualTo(new SparseVector?[] { V(new uint[] { 9 }, 1), null }));
                Assert.That(c.SparseSearch("c", V(new uint[] { 9 }, 1)).Select(h => h.Id), Is.EqualTo(new ulong[] { 20 }));
                Assert.That(c.UpdateSparse(new ulong[0], "a", new SparseVector?[0]), Is.EqualTo(0));
                ReadsBack(c, m, "after the other updates");
            }
        }

        [Test]
        public void VectorsSurviveClosingAndReopening()
        {
            var m = new Model();
            string path = DbPath();
            using (var db = OpenFast(path))
            using (var c = Fill(db, m))
            {
                c.UpdateSparse(new ulong[] { 4, 125 }, "b", new SparseVector?[] { V(new uint[] { 11, 0 }, 2.5f, 1.5f), null });
                m.Vectors["b"][4] = V(new uint[] { 11, 0 }, 2.5f, 1.5f);
                m.Vectors["b"][125] = null;
                SearchesMatch(c, m, "before close");
            }
            using (var db = OpenFast(path))
            using (var c = db.OpenCollection("s"))
            {
                Assert.That(c.Count(), Is.EqualTo(Points));
                ReadsBack(c, m, "reopened");
                SearchesMatch(c, m, "reopened");
                c.Optimize(); // everything in sealed segments now
                ReadsBack(c, m, "optimized");
                SearchesMatch(c, m, "optimized");
            }
            using (var db = OpenFast(path))
            using (var c = db.OpenCollection("s"))
            {
                ReadsBack(c, m, "reopened after optimize");
                SearchesMatch(c, m, "reopened after optimize");
            }
        }

        // ---- hybrid --------------------------------------------------------------------------------

        [Test]
        public void HybridWithOneSparseBranchGivesTheSparseOrder()
        {
            var m = new Model();
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, m))
            {
                foreach (string name in Names)
                {
                    foreach (SparseVector q in Queries(name, 31).Take(6))
                    {
                        foreach (string filter in new[] { null, OddOnly })
                        {
                            var options = new SparseSearchOptions(15) { Filter = filter };
                            SearchHit[] alone = c.SparseSearch(name, q, options);
                            SearchHit[] fused = c.HybridSearch(new HybridSearchParams { K = 15 }.Add(HybridBranch.Sparse(name, q, options)));
                            string what = name + " " + q + " " + filter;
                            Assert.That(fused.Select(h => h.Id), Is.EqualTo(alone.Select(h => h.Id)), what);
                            for (int r = 0; r < fused.Length; r++)
                            {
                                Assert.That(fused[r].Score, Is.EqualTo((float)(1.0 / (60 + r + 1))).Within(1e-7), what + " rank " + r);
                            }
                        }
                    }
                }

                // With a dense branch: RRF of the two lists, computed here; payloads from the fusion.
                SparseVector sq = Queries("a", 31)[2];
                var sparseOptions = new SparseSearchOptions(20) { WithPayload = false };
                var denseOptions = new SearchOptions(20) { Exact = true };
                SearchHit[] s = c.SparseSearch("a", sq, sparseOptions);
                SearchHit[] d = c.Search(Dense(50), denseOptions);
                var acc = new Dictionary<ulong, double>();
                foreach (var list in new[] { new { Hits = s, W = 2.0 }, new { Hits = d, W = 1.0 } })
                {
                    for (int r = 0; r < list.Hits.Length; r++)
                    {
                        ulong id = list.Hits[r].Id;
                        acc[id] = (acc.TryGetValue(id, out double before) ? before : 0) + list.W / (60 + r + 1);
                    }
                }
                var want = acc.Select(kv => new KeyValuePair<ulong, float>(kv.Key, (float)kv.Value))
                    .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(12).ToArray();
                SearchHit[] got = c.HybridSearch(new HybridSearchParams { K = 12, WithPayload = true }
                    .Add(HybridBranch.Dense(Dense(50), denseOptions))
                    .Add(HybridBranch.Sparse("a", sq, sparseOptions, 2f)));
                Assert.That(got.Select(h => h.Id), Is.EqualTo(want.Select(kv => kv.Key)));
                for (int r = 0; r < got.Length; r++)
                {
                    Assert.That(got[r].Score, Is.EqualTo(want[r].Value).Within(1e-6), "rank " + r);
                    Assert.That(got[r].Payload, Is.EqualTo(Payload((int)got[r].Id)));
                }
                // Two sparse branches over the two names, and an empty sparse query (finds nothing).
                SearchHit[] two = c.HybridSearch(new HybridSearchParams { K = 5 }
                    .Add(HybridBranch.Sparse("a", sq, null))
                    .Add(HybridBranch.Sparse("b", Queries("b", 31)[0], null))
                    .Add(HybridBranch.Sparse("b", default(SparseVector), null)));
                Assert.That(two.Length, Is.EqualTo(5));
                Assert.That(c.HybridSearch(new HybridSearchParams(HybridBranch.Sparse("a", default(SparseVector), null))), Is.Empty);
            }
        }

        // ---- errors --------------------------------------------------------------------------------

        [Test]
        public void ErrorsThrowInvalidArgumentAndChangeNothing()
        {
            var m = new Model();
            var db = OpenFast(DbPath());
            QuiverCollection c = Fill(db, m);
            try
            {
                SparseVector q = Queries("a", 21)[3];
                SearchHit[] before = c.SparseSearch("a", q, new SparseSearchOptions(50));
                var dup = V(new uint[] { 4, 9, 4 }, 1, 2, 3);
                var nan = V(new uint[] { 4, 9 }, 1, float.NaN);
                var good = V(new uint[] { 4 }, 1);
                ulong[] one = { 5 };         // exists, with vectors of both names
                ulong[] newOne = { 777 };    // does not exist
                float[] dense = { 0, 0 };

                // Upsert: a duplicate index, a value not finite, an empty name, a name twice.
                foreach (ulong[] ids in new[] { one, newOne })
                {
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("a", dup)), "index 4 is given twice");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("b", good), new SparseColumn("a", nan)), "not finite", "\"a\"");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("a", V(new uint[] { 1 }, float.PositiveInfinity))), "not finite");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("", good)), "columns[0]", "0 bytes");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("a", good), new SparseColumn("a", good)), "columns[1]", "twice");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("a\u0001", good)), "control character");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn(new string('n', 257), good)), "257 bytes");
                    // The CSR form's own checks: indptr not from 0, decreasing.
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("a", new ulong[] { 1, 1 }, new uint[] { 1 }, new[] { 1f })), "indptr");
                    // Caught by the binding (the library cannot see the arrays' lengths).
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("a", good, good)), "sparse[0] (\"a\") has 2 rows for 1 ids");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, null, new SparseColumn("a", new ulong[] { 0, 2 }, new uint[] { 1 }, new[] { 1f })), "indptr ends at 2");
                    Fails(QuiverStatus.InvalidArgument, () => c.UpsertSparse(ids, dense, new[] { "{}", "{}" }, new SparseColumn("a", good)), "2 payloads for 1 ids");
                    // And the dense part's own errors.
                    Fails(QuiverStatus.DimensionMismatch, () => c.UpsertSparse(ids, new float[] { 1 }, null, new SparseColumn("a", good)));
                }

                // Update: the same errors, through both forms.
                Fails(QuiverStatus.InvalidArgument, () => c.UpdateSparse(one, "a", new SparseVector?[] { dup }), "index 4 is given twice");
                Fails(QuiverStatus.InvalidArgument, () => c.UpdateSparse(new ulong[] { 6, 5 }, "a", new SparseVector?[] { good, nan }), "not finite", "point 5 (batch index 1)");
                Fails(QuiverStatus.InvalidArgument, () => c.UpdateSparse(one, "", new SparseVector?[] { good }), "0 bytes");
                Fails(QuiverStatus.InvalidArgument, () => c.UpdateSparse(one, "", new SparseVector?[] { null }), "0 bytes");
                Fails(QuiverStatus.InvalidArgument, () => c.UpdateSparse(one, new SparseColumn("a", new ulong[] { 0, 3 }, new uint[] { 2, 3, 2 }, new[] { 1f, 1, 1 })), "index 2 is given twice");
                Fails(QuiverStatus.InvalidArgument, () => c.UpdateSparse(one, "a", new SparseVector?[] { good, good }), "2 sparse vectors for 1 ids");
                Fails(QuiverStatus.InvalidArgument, () => c.UpdateSparse(one, new SparseColumn("a", good, good)), "has 2 rows for 1 ids");

                // Reads and searches: an empty name, k 0, a duplicate index, a value not finite, a bad filter.
                Fails(QuiverStatus.InvalidArgument, () => c.GetSparse(one, ""), "0 bytes");
                Fails(QuiverStatus.InvalidArgument, () => c.SparseSearch("", q), "0 bytes");
                Fails(QuiverStatus.InvalidArgument, () => c.SparseSearch("a", q, new SparseSearchOptions(0)), "k is 0");
                Fails(QuiverStatus.InvalidArgument, () => c.SparseSearch("a", q, new SparseSearchOptions(100001)), "k is 100001");
                Fails(QuiverStatus.InvalidArgument, () => c.SparseSearch("a", dup), "index 4 is given twice");
                Fails(QuiverStatus.InvalidArgument, () => c.SparseSearch("a", nan), "not finite");
                Fails(QuiverStatus.InvalidArgument, () => c.SparseSearch("a", q, new SparseSearchOptions { Filter = "{\"field\": " }), "filter");
                // In a hybrid branch, named by its place.
                HybridBranch dn = HybridBranch.Dense(dense, null);
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(dn, HybridBranch.Sparse("a", dup, null))), "branches[1]", "index 4 is given twice");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Sparse("a", nan, null), dn)), "branches[0]", "not finite");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Sparse("", q, null))), "branches[0]", "0 bytes");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Sparse("a", q, new SparseSearchOptions(0)))), "branches[0]", "k is 0");
                Fails(QuiverStatus.InvalidArgument, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Sparse("a", q, null, -1))), "weight");

                // Caught by the binding.
                Assert.Throws<ArgumentNullException>(() => c.UpsertSparse(null, dense, null));
                Assert.Throws<ArgumentNullException>(() => c.UpsertSparse(one, dense, null, new SparseColumn("a", good), null));
                Assert.Throws<ArgumentNullException>(() => c.UpdateSparse(null, "a", new SparseVector?[0]));
                Assert.Throws<ArgumentNullException>(() => c.UpdateSparse(one, null, new SparseVector?[] { good }));
                Assert.Throws<ArgumentNullException>(() => c.UpdateSparse(one, "a", null));
                Assert.Throws<ArgumentNullException>(() => c.UpdateSparse(one, (SparseColumn)null));
                Assert.Throws<ArgumentNullException>(() => c.GetSparse(null, "a"));
                Assert.Throws<ArgumentNullException>(() => c.GetSparse(one, null));
                Assert.Throws<ArgumentNullException>(() => c.SparseSearch(null, q));
                Assert.Throws<ArgumentNullException>(() => HybridBranch.Sparse(null, q, null));
                Assert.Throws<ArgumentException>(() => c.SparseSearch("\ud800", q));

                // Nothing changed.
                Assert.That(c.Count(), Is.EqualTo(Points));
                Assert.That(c.Get(777), Is.Null);
                Assert.That(c.Get(5).Vector, Is.EqualTo(Dense(5)));
                Assert.That(c.Get(5).Payload, Is.EqualTo(Payload(5)));
                ReadsBack(c, m, "after the errors");
                SearchHit[] after = c.SparseSearch("a", q, new SparseSearchOptions(50));
                Assert.That(after.Select(h => h.Id), Is.EqualTo(before.Select(h => h.Id)));
                Assert.That(after.Select(h => h.Score), Is.EqualTo(before.Select(h => h.Score)));

                // Closed: after Dispose, and after the database closed.
                var other = db.OpenCollection("s");
                other.Dispose();
                Fails(QuiverStatus.Closed, () => other.UpsertSparse(one, dense, null, new SparseColumn("a", good)));
                Fails(QuiverStatus.Closed, () => other.UpdateSparse(one, "a", new SparseVector?[] { good }));
                Fails(QuiverStatus.Closed, () => other.GetSparse(one, "a"));
                Fails(QuiverStatus.Closed, () => other.SparseSearch("a", q));
                db.Dispose();
                Fails(QuiverStatus.Closed, () => c.UpsertSparse(one, dense, null, new SparseColumn("a", good)));
                Fails(QuiverStatus.Closed, () => c.UpdateSparse(one, "a", new SparseVector?[] { good }));
                Fails(QuiverStatus.Closed, () => c.GetSparse(one, "a"));
                Fails(QuiverStatus.Closed, () => c.SparseSearch("a", q));
                Fails(QuiverStatus.Closed, () => c.HybridSearch(new HybridSearchParams(HybridBranch.Sparse("a", q, null))));
            }
            finally
            {
                c.Dispose();
                db.Dispose();
            }
        }
    }
}
