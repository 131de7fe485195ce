using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// Edges and traversals (<see cref="QuiverCollection.AddEdges(IReadOnlyList{Edge})"/>,
    /// <see cref="QuiverCollection.RemoveEdges"/>, <see cref="QuiverCollection.GetEdges"/>,
    /// <see cref="QuiverCollection.FindEdges"/>, <see cref="QuiverCollection.Degree"/>,
    /// <see cref="QuiverCollection.CountEdges"/>, the label schema,
    /// <see cref="QuiverCollection.Traverse(ulong[], TraverseOptions)"/>,
    /// <see cref="QuiverCollection.SearchExpand"/>, <see cref="QuiverCollection.TraverseRanked"/>,
    /// <see cref="QuiverCollection.ShortestPath"/>) on a random graph of 48 points (half sealed,
    /// half appendable) and 170 edges, compared with a model written here: the edges by id, a
    /// reference BFS/DFS written from the specification, a reference BFS distance and Dijkstra
    /// cost, and brute-force scores. Errors raise QuiverException with the library's message
    /// and change nothing.
    /// </summary>
    [TestFixture]
    public class GraphTests : TempDirFixture
    {
        private const int N = 48;       // points 0..47
        private const int Linked = 44;  // edges only between 0..43; 44..47 are isolated
        private const int EdgeCount = 170;
        private const int Dim = 4;

        private static readonly float[] Weights = { 1f, 0.5f, 2f, 3.25f, 0f, 1.5f, 0.125f };
        private static readonly string[] EdgeLabels = { "a", "a", "b", "c", "b", "a" };

        private static readonly string GroupNot0 = Filter.Ne("group", 0).Json;
        private static readonly string OddOnly = Filter.Eq("odd", 1).Json;

        private static string Payload(int i) => "{\"group\": " + (i % 3) + ", \"odd\": " + (i % 2) + "}";

        // The predicate a filter stands for in the reference traversal.
        private static Func<ulong, bool> Accept(string filter)
        {
            if (filter == null)
            {
                return null;
            }
            if (filter == GroupNot0)
            {
                return id => id % 3 != 0;
            }
            if (filter == OddOnly)
            {
                return id => id % 2 == 1;
            }
            throw new ArgumentException("no reference predicate for " + filter);
        }

        // ---- the model ---------------------------------------------------------------------------

        private sealed class Step
        {
            internal ulong Edge, Point;
            internal double Weight;
        }

        private sealed class RefGraph
        {
            internal readonly Dictionary<ulong, Edge> Edges = new Dictionary<ulong, Edge>();
            internal readonly Dictionary<ulong, float[]> Vectors = new Dictionary<ulong, float[]>();

            internal Edge[] Sorted(Func<Edge, bool> keep = null) =>
                Edges.Values.Where(e => keep == null || keep(e)).OrderBy(e => e.Id).ToArray();

            // The hops out of p along dir, by ascending edge id, keeping the labels in allowed
            // (all when empty); a self loop once.
            internal List<Step> Steps(ulong p, Direction dir, IReadOnlyList<string> allowed)
            {
                var output = new List<Step>();
                foreach (Edge e in Edges.Values)
                {
                    if (allowed != null && allowed.Count > 0 && !allowed.Contains(e.Label))
                    {
                        continue;
                    }
                    if (dir != Direction.In && e.Source == p)
                    {
                        output.Add(new Step { Edge = e.Id, Point = e.Target, Weight = e.Weight });
                    }
                    else if (dir != Direction.Out && e.Target == p)
                    {
                        output.Add(new Step { Edge = e.Id, Point = e.Source, Weight = e.Weight });
                    }
                }
                output.Sort((a, b) => a.Edge.CompareTo(b.Edge));
                return output;
            }

            // The traversal written from its specification: starts in order (a repeated one
            // once) at depth 0; BFS level by level, DFS preorder, neighbours by ascending edge
            // id, each point once; a point reached by a hop that `accept` refuses is neither
            // returned nor walked through; points below the least depth are walked through but
            // not returned; the result is cut at the limit.
            internal List<Visit> Traverse(ulong[] starts, TraverseOptions o, Func<ulong, bool> accept)
            {
                int minD = o.MinDepth, maxD = o.MaxDepth, limit = o.Limit;
                Func<int, IReadOnlyList<string>> hop = h =>
                    o.HopLabels != null && h - 1 < o.HopLabels.Count && o.HopLabels[h - 1] != null && o.HopLabels[h - 1].Count > 0
                        ? o.HopLabels[h - 1]
                        : o.Labels;
                var seen = new HashSet<ulong>();
                var rejected = new HashSet<ulong>();
                var output = new List<Visit>();
                Func<Visit, Step, Visit?> reach = (p, s) =>
                {
                    if (seen.Contains(s.Point) || rejected.Contains(s.Point))
                    {
                        return null;
                    }
                    if (accept != null && !accept(s.Point))
                    {
                        rejected.Add(s.Point);
                        return null;
                    }
                    var v = new Visit(s.Point, p.Origin, p.Depth + 1, null, p.Path.Concat(new[] { s.Edge }).ToArray());
                    seen.Add(s.Point);
                    if (v.Depth >= minD)
                    {
                        output.Add(v);
                    }
                    return v;
                };
                Func<ulong, Visit?> start = s =>
                {
                    if (!seen.Add(s))
                    {
                        return null;
                    }
                    var v = new Visit(s, s, 0, null, new ulong[0]);
                    if (minD == 0)
                    {
                        output.Add(v);
                    }
                    return v;
                };
                if (o.Order == TraversalOrder.BreadthFirst)
                {
                    var queue = new Queue<Visit>();
                    foreach (ulong s in starts)
                    {
                        Visit? v = start(s);
                        if (v.HasValue)
                        {
                            queue.Enqueue(v.Value);
                        }
                    }
                    while (queue.Count > 0)
                    {
                        Visit p = queue.Dequeue();
                        if (p.Depth >= maxD)
                        {
                            continue;
                        }
                        foreach (Step s in Steps(p.Id, o.Direction, hop(p.Depth + 1)))
                        {
                            Visit? v = reach(p, s);
                            if (v.HasValue)
                            {
                                queue.Enqueue(v.Value);
                            }
                        }
                    }
                }
                else
                {
                    Action<Visit> dfs = null;
                    dfs = p =>
                    {
                        if (p.Depth >= maxD)
                        {
                            return;
                        }
                        foreach (Step s in Steps(p.Id, o.Direction, hop(p.Depth + 1)))
                        {
                            Visit? v = reach(p, s);
                            if (v.HasValue)
                            {
                                dfs(v.Value);
                            }
                        }
                    };
                    foreach (ulong s in starts)
                    {
                        Visit? v = start(s);
                        if (v.HasValue)
                        {
                            dfs(v.Value);
                        }
                    }
                }
                return output.Count > limit ? output.GetRange(0, limit) : output;
            }

            // The fewest hops from `from` to every point it reaches (BFS), and the least total
            // weight (Dijkstra, in double).
            internal void Distances(ulong from, Direction dir, IReadOnlyList<string> labels,
                out Dictionary<ulong, int> hops, out Dictionary<ulong, double> cost)
            {
                hops = new Dictionary<ulong, int> { { from, 0 } };
                var queue = new Queue<ulong>();
                queue.Enqueue(from);
                while (queue.Count > 0)
                {
                    ulong p = queue.Dequeue();
                    foreach (Step s in Steps(p, dir, labels))
                    {
                        if (!hops.ContainsKey(s.Point))
                        {
                            hops[s.Point] = hops[p] + 1;
                            queue.Enqueue(s.Point);
                        }
                    }
                }
                cost = new Dictionary<ulong, double> { { from, 0 } };
                var done = new HashSet<ulong>();
                while (true)
                {
                    ulong best = 0;
                    bool found = false;
                    foreach (var kv in cost)
                    {
                        if (!done.Contains(kv.Key) && (!found || kv.Value < cost[best]))
                        {
                            best = kv.Key;
                            found = true;
                        }
                    }
                    if (!found)
                    {
                        break;
                    }
                    done.Add(best);
                    foreach (Step s in Steps(best, dir, labels))
                    {
                        double c;
                        if (!cost.TryGetValue(s.Point, out c) || cost[best] + s.Weight < c)
                        {
                            cost[s.Point] = cost[best] + s.Weight;
                        }
                    }
                }
            }

            // Checks that p is a path from `from` to `to` along dir and labels; returns the
            // sum of its edges' weights, from the first edge.
            internal double CheckPath(string what, GraphPath p, ulong from, ulong to, Direction dir, IReadOnlyList<string> labels)
            {
                Assert.That(p.Points.Count, Is.GreaterThan(0), what);
                Assert.That(p.Points[0] == from && p.Points[p.Points.Count - 1] == to, Is.True,
                    what + ": " + p + " does not go from " + from + " to " + to);
                Assert.That(p.Edges.Count, Is.EqualTo(p.Points.Count - 1), what + ": " + p);
                Assert.That(p.Hops, Is.EqualTo(p.Edges.Count), what);
                double sum = 0;
                for (int i = 0; i < p.Edges.Count; i++)
                {
                    Edge e;
                    Assert.That(Edges.TryGetValue(p.Edges[i], out e), Is.True, what + ": edge " + p.Edges[i] + " does not exist");
                    if (labels != null && labels.Count > 0)
                    {
                        Assert.That(labels, Has.Member(e.Label), what + ": " + e);
                    }
                    ulong a = p.Points[i], b = p.Points[i + 1];
                    bool fwd = e.Source == a && e.Target == b, back = e.Target == a && e.Source == b;
                    bool ok = dir == Direction.Out ? fwd : dir == Direction.In ? back : fwd || back;
                    Assert.That(ok, Is.True, what + ": " + e + " does not lead from " + a + " to " + b + " going " + dir);
                    sum += e.Weight;
                }
                return sum;
            }
        }

        // The test graph's edges in the order they are added (not by id): ids drawn at random,
        // labels a, b, c, weights among Weights (0 included), some self loops, some parallel
        // edges, some with properties.
        private static List<Edge> RandomGraphEdges(int seed)
        {
            var rnd = new Random(seed);
            var ids = Enumerable.Range(1, 10 * EdgeCount).Select(i => (ulong)i).ToArray();
            for (int i = ids.Length - 1; i > 0; i--)
            {
                int j = rnd.Next(i + 1);
                ulong t = ids[i];
                ids[i] = ids[j];
                ids[j] = t;
            }
            var edges = new List<Edge>(EdgeCount);
            for (int i = 0; i < EdgeCount; i++)
            {
                ulong source = (ulong)rnd.Next(Linked), target = (ulong)rnd.Next(Linked);
                string label = EdgeLabels[rnd.Next(EdgeLabels.Length)];
                float weight = Weights[rnd.Next(Weights.Length)];
                if (i % 15 == 7)
                {
                    target = source; // a self loop
                }
                else if (i % 11 == 5)
                {
                    source = edges[i - 1].Source; // parallel to the previous edge
                    target = edges[i - 1].Target;
                }
                string props = i % 9 == 0
                    ? "{ \"n\": " + i + ",  \"note\": \"é\\u00e9 \\\"q\\\"\", \"list\": [1, 2.50, {}] }"
                    : null;
                edges.Add(new Edge(ids[i], source, target, label, weight, props));
            }
            return edges;
        }

        // The test graph in a new collection "name" of metric m.
        private static QuiverCollection GraphCollection(QuiverDatabase db, string name, Metric m, out RefGraph g)
        {
            var model = new RefGraph();
            float[] vecs = TestData.RandomVectors(N, Dim, 23);
            for (int i = 0; i < N; i++)
            {
                model.Vectors[(ulong)i] = vecs.Skip(i * Dim).Take(Dim).ToArray();
            }
            var c = db.CreateCollection(name, new CollectionConfig(Dim, m));
            try
            {
                // The first half sealed, the rest in the appendable segment.
                foreach (int lo in new[] { 0, N / 2 })
                {
                    var ids = Enumerable.Range(lo, N / 2).ToArray();
                    c.Upsert(ids.Select(i => (ulong)i).ToArray(), ids.SelectMany(i => model.Vectors[(ulong)i]).ToArray(),
                        ids.Select(Payload).ToArray());
                    if (lo == 0)
                    {
                        c.Optimize();
                    }
                }
                List<Edge> edges = RandomGraphEdges(5);
                for (int lo = 0; lo < edges.Count; lo += 40)
                {
                    List<Edge> batch = edges.GetRange(lo, Math.Min(40, edges.Count - lo));
                    c.AddEdges(batch);
                    foreach (Edge e in batch)
                    {
                        model.Edges[e.Id] = e;
                    }
                }
            }
            catch
            {
                c.Dispose();
                throw;
            }
            g = model;
            return c;
        }

        // ---- comparisons -------------------------------------------------------------------------

        private static string Show(IEnumerable<Visit> vs) => "[" + string.Join(" ", vs) + "]";

        private static string Show(IEnumerable<Edge> es) => "[" + string.Join("; ", es) + "]";

        // Ids, depths, origins, paths (and scores when withScores; none otherwise), in order.
        private static void SameVisits(string what, IReadOnlyList<Visit> got, IReadOnlyList<Visit> want, bool withScores)
        {
            bool ok = got.Count == want.Count;
            for (int i = 0; ok && i < got.Count; i++)
            {
                Visit g = got[i], w = want[i];
                ok = g.Id == w.Id && g.Depth == w.Depth && g.Origin == w.Origin && g.Path.SequenceEqual(w.Path) &&
                     g.Path.Count == g.Depth && (withScores ? g.Score.HasValue && g.Score.Equals(w.Score) : !g.Score.HasValue);
            }
            if (!ok)
            {
                Assert.Fail(what + ":\n got " + Show(got) + "\nwant " + Show(want));
            }
        }

        private static void SameEdges(string what, IReadOnlyList<Edge> got, IReadOnlyList<Edge> want)
        {
            bool ok = got.Count == want.Count;
            for (int i = 0; ok && i < got.Count; i++)
            {
                ok = got[i].Equals(want[i]) && (got[i].Properties == null || got[i].Properties.Length > 0);
            }
            if (!ok)
            {
                Assert.Fail(what + ":\n got " + Show(got) + "\nwant " + Show(want));
            }
        }

        private static QuiverException Fails(QuiverStatus status, TestDelegate code, string what)
        {
            var e = Assert.Throws<QuiverException>(code, what);
            Assert.That(e.Status, Is.EqualTo(status), what + ": " + e.Message);
            Assert.That(e.Message, Is.Not.Empty, what);
            return e;
        }

        private static string[] L(params string[] labels) => labels;

        private sealed class Case
        {
            internal string Name;
            internal ulong[] Starts;
            internal TraverseOptions Options;

            internal Case(string name, ulong[] starts, TraverseOptions options)
            {
                Name = name;
                Starts = starts;
                Options = options;
            }
        }

        private static TraverseOptions Dfs(int maxDepth) => new TraverseOptions(maxDepth) { Order = TraversalOrder.DepthFirst };

        // ---- the native structs ----------------------------------------------------------------

        [Test]
        public unsafe void NativeStructsHaveTheLibrarysLayout()
        {
            Assert.That(Marshal.SizeOf<NativeMethods.qv_edge>(), Is.EqualTo(64));
            Assert.That(sizeof(NativeMethods.qv_edge), Is.EqualTo(64));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_edge>("label"), Is.EqualTo(24));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_edge>("properties_json"), Is.EqualTo(40));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_edge>("weight"), Is.EqualTo(56));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_edge>("reserved"), Is.EqualTo(60));
            NativeMethods.qv_edge e;
            e.id = 9;
            e.weight = 7;
            e.reserved = 3;
            e.label = (byte*)1;
            NativeMethods.qv_edge_init(&e);
            Assert.That(e.id == 0 && e.source == 0 && e.target == 0 && e.label == null && e.label_len == 0, Is.True);
            Assert.That(e.properties_json == null && e.properties_len == 0 && e.reserved == 0, Is.True);
            Assert.That(e.weight, Is.EqualTo(1f));

            Assert.That(Marshal.SizeOf<NativeMethods.qv_label>(), Is.EqualTo(16));

            NativeMethods.qv_traverse_params t;
            NativeMethods.qv_traverse_params_init(&t);
            Assert.That(t.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_traverse_params)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_traverse_params>(), Is.EqualTo(80));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_traverse_params>("labels"), Is.EqualTo(24));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_traverse_params>("hop_labels"), Is.EqualTo(40));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_traverse_params>("nhops"), Is.EqualTo(56));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_traverse_params>("filter_len"), Is.EqualTo(72));
            Assert.That(t.order == NativeMethods.Bfs && t.min_depth == 1 && t.max_depth == 1, Is.True);
            Assert.That(t.direction == NativeMethods.DirectionOut && t.limit == 1000, Is.True);
            Assert.That(t.labels == null && t.nlabels == 0 && t.hop_labels == null && t.hop_indptr == null && t.nhops == 0, Is.True);
            Assert.That(t.filter_json == null && t.filter_len == 0, Is.True);

            Assert.That(Marshal.SizeOf<NativeMethods.qv_visit>(), Is.EqualTo(48));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_visit>("depth"), Is.EqualTo(16));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_visit>("score"), Is.EqualTo(24));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_visit>("path"), Is.EqualTo(32));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_visit>("path_len"), Is.EqualTo(40));

            NativeMethods.qv_path_params p;
            NativeMethods.qv_path_params_init(&p);
            Assert.That(p.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_path_params)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_path_params>(), Is.EqualTo(32));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_path_params>("labels"), Is.EqualTo(16));
            Assert.That(p.direction == 0 && p.weighted == 0 && p.max_depth == 0 && p.labels == null && p.nlabels == 0, Is.True);

            Assert.That(Marshal.SizeOf<NativeMethods.qv_path_view>(), Is.EqualTo(32));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_path_view>("cost"), Is.EqualTo(24));

            Assert.That((uint)Direction.Out, Is.EqualTo(NativeMethods.DirectionOut));
            Assert.That((uint)Direction.In, Is.EqualTo(NativeMethods.DirectionIn));
            Assert.That((uint)Direction.Both, Is.EqualTo(NativeMethods.DirectionBoth));
            Assert.That((uint)TraversalOrder.DepthFirst, Is.EqualTo(NativeMethods.Dfs));

            var o = new TraverseOptions();
            Assert.That(o.Order == TraversalOrder.BreadthFirst && o.MinDepth == 1 && o.MaxDepth == 1, Is.True, o.ToString());
            Assert.That(o.Direction == Direction.Out && o.Limit == 1000 && o.Labels == null && o.Filter == null, Is.True, o.ToString());
            var po = new PathOptions();
            Assert.That(po.Direction == Direction.Out && !po.Weighted && po.MaxDepth == 0 && po.Labels == null, Is.True, po.ToString());
        }

        // ---- reading edges -----------------------------------------------------------------------

        // Get by id, find by source, target and label, degree, count, properties byte for byte.
        [Test]
        public void EdgesRead()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = GraphCollection(db, "g", Metric.Cosine, out RefGraph g))
            {
                Assert.That(c.CountEdges(), Is.EqualTo(g.Edges.Count));
                Assert.That(g.Edges.Count, Is.EqualTo(EdgeCount));
                Edge[] all = g.Sorted();
                SameEdges("FindEdges()", c.FindEdges(), all);
                Assert.That(c.FindEdges().Count(e => e.Properties != null), Is.GreaterThanOrEqualTo(10));

                // GetEdges: in the order of the ids, missing ones left out.
                var ids = new List<ulong>();
                var want = new List<Edge>();
                for (int i = all.Length - 1; i >= 0; i -= 3)
                {
                    ids.Add(all[i].Id);
                    ids.Add(999999 + (ulong)i);
                    want.Add(all[i]);
                }
                SameEdges("GetEdges", c.GetEdges(ids.ToArray()), want);
                Assert.That(c.GetEdges(), Is.Empty);
                Assert.That(c.GetEdge(all[3].Id), Is.EqualTo(all[3]));
                Assert.That(c.GetEdge(424242), Is.Null);

                foreach (string label in new[] { "a", "b", "c", "zz" })
                {
                    SameEdges("FindEdges(label " + label + ")", c.FindEdges(label: label), g.Sorted(e => e.Label == label));
                }
                SameEdges("FindEdges(label \"\")", c.FindEdges(label: ""), all);
                for (ulong p = 0; p < N; p++)
                {
                    ulong q = p;
                    SameEdges("from " + p, c.FindEdges(source: p), g.Sorted(e => e.Source == q));
                    SameEdges("to " + p, c.FindEdges(target: p), g.Sorted(e => e.Target == q));
                    SameEdges("from " + p + " a", c.FindEdges(p, null, "a"), g.Sorted(e => e.Source == q && e.Label == "a"));
                    SameEdges("to " + p + " b", c.FindEdges(null, p, "b"), g.Sorted(e => e.Target == q && e.Label == "b"));
                    foreach (string label in new[] { null, "", "a", "c" })
                    {
                        Func<Edge, bool> labelled = e => string.IsNullOrEmpty(label) || e.Label == label;
                        var d = new PointDegree(g.Sorted(e => e.Target == q && labelled(e)).Length,
                            g.Sorted(e => e.Source == q && labelled(e)).Length);
                        Assert.That(c.Degree(p, label), Is.EqualTo(d), "Degree(" + p + ", " + label + ")");
                    }
                }
                // Between two points: every pair that has edges, parallel ones included.
                int parallel = 0;
                foreach (Edge e in all)
                {
                    Edge[] between = g.Sorted(x => x.Source == e.Source && x.Target == e.Target);
                    SameEdges("between " + e.Source + " and " + e.Target, c.FindEdges(e.Source, e.Target), between);
                    if (between.Length > 1)
                    {
                        parallel++;
                    }
                }
                Assert.That(parallel, Is.GreaterThan(0), "the graph has no parallel edges");
                Assert.That(all.Count(e => e.Source == e.Target), Is.GreaterThan(0), "the graph has no self loops");
                Edge loop = all.First(e => e.Source == e.Target);
                PointDegree ld = c.Degree(loop.Source, loop.Label);
                Assert.That(ld.In, Is.GreaterThanOrEqualTo(1));
                Assert.That(ld.Out, Is.GreaterThanOrEqualTo(1));
                Assert.That(c.Degree(123456), Is.EqualTo(new PointDegree(0, 0)));
                Assert.That(c.Degree(N - 1), Is.EqualTo(new PointDegree(0, 0)), "an isolated point");

                // The stats count the edges.
                var stats = (Dictionary<string, object>)MiniJson.Parse(c.Stats().Json);
                Assert.That(stats.ContainsKey("edges"), Is.True, c.Stats().Json);
                Assert.That(stats["edges"], Is.EqualTo((long)EdgeCount));
            }
        }

        // Properties come back byte for byte (whitespace, key order, escapes, non-ASCII, numbers
        // as written), through get, find and a reopen; null and empty mean none.
        [Test]
        public void PropertiesAreKeptByteForByte()
        {
            string[] texts =
            {
                "{}",
                "{\"b\":1,\"a\":2}",
                "{ \n\t\"x\" :  1.50e0 ,\r\n \"y\": [ ] }",
                "{\"s\": \"\\u00e9\\ud83d\\ude00 \\\"quoted\\\" \\\\ \\/\"}",
                "{\"raw\": \"é 😀 日本語\", \"n\": -0.0, \"big\": 12345678901234567890123}",
                "{\"deep\": {\"a\": [1, {\"b\": [true, false, null]}]}}   ",
                "  {\"lead\": 1}",
            };
            string path = DbPath();
            var edges = new List<Edge>();
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.CreateCollection("p", new CollectionConfig(2, Metric.Euclidean)))
            {
                c.Upsert(new ulong[] { 1, 2 }, new float[] { 1, 0, 0, 1 });
                for (int i = 0; i < texts.Length; i++)
                {
                    edges.Add(new Edge(100 + (ulong)i, 1, 2, "p", 1f + i, texts[i]));
                }
                edges.Add(new Edge(200, 2, 1, "p", 0.25f, null));
                edges.Add(new Edge(201, 2, 1, "p", 0.25f, ""));
                c.AddEdges(edges);
                Assert.That(edges[edges.Count - 1].Properties, Is.Null, "empty properties are none");
                for (int i = 0; i < texts.Length; i++)
                {
                    Edge got = c.GetEdge(100 + (ulong)i);
                    Assert.That(got.Properties, Is.EqualTo(texts[i]), "edge " + (100 + i));
                    Assert.That(Encoding.UTF8.GetBytes(got.Properties), Is.EqualTo(Encoding.UTF8.GetBytes(texts[i])));
                }
                Assert.That(c.GetEdge(200).Properties, Is.Null);
                Assert.That(c.GetEdge(201).Properties, Is.Null);
                SameEdges("FindEdges", c.FindEdges(), edges);
            }
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.OpenCollection("p"))
            {
                SameEdges("after reopening", c.FindEdges(), edges);
            }
        }

        // ---- writing edges -----------------------------------------------------------------------

        // Replace by id, the last of a batch wins, weight 0, remove, deleting a point removes its
        // edges, upserting it keeps them, and everything survives close and reopen.
        [Test]
        public void EdgesWrite()
        {
            string path = DbPath();
            RefGraph g = null;
            const ulong victim = 7;
            Action<QuiverCollection, string> check = (c, what) =>
            {
                Assert.That(c.CountEdges(), Is.EqualTo(g.Edges.Count), what + ": CountEdges");
                SameEdges(what + ": all edges", c.FindEdges(), g.Sorted());
                Assert.That(c.FindEdges(source: victim), Is.Empty, what);
                Assert.That(c.FindEdges(target: victim), Is.Empty, what);
                Assert.That(c.Degree(victim), Is.EqualTo(new PointDegree(0, 0)), what);
                var e = Fails(QuiverStatus.NotFound, () => c.Traverse(victim), what + ": Traverse from the deleted point");
                StringAssert.Contains("starts[0]", e.Message);
                foreach (var o in new[]
                {
                    new TraverseOptions(4) { Direction = Direction.Both, MinDepth = 0 },
                    new TraverseOptions(5) { Order = TraversalOrder.DepthFirst, Labels = L("a", "b") },
                })
                {
                    var starts = new ulong[] { 8, 1 };
                    SameVisits(what + ": " + o, c.Traverse(starts, o), g.Traverse(starts, o, null), false);
                }
            };
            using (var db = QuiverDatabase.Open(path))
            using (var c = GraphCollection(db, "g", Metric.Cosine, out g))
            {
                // Replace an edge, and a batch naming one id twice.
                Edge first = g.Sorted()[0];
                var repl = new Edge(first.Id, 40, 41, "c", 2.5f, "{\"v\":1}");
                var twice = new[]
                {
                    new Edge(777777, 1, 2, "a", 9f),
                    new Edge(777777, 2, 3, "b", 0.25f, "{\"last\":true}"),
                };
                c.AddEdges(repl, twice[0], twice[1]);
                g.Edges[first.Id] = repl;
                g.Edges[777777] = twice[1];
                SameEdges("replaced edges", c.GetEdges(first.Id, 777777), new[] { repl, twice[1] });
                Assert.That(c.FindEdges(source: 1).Any(e => e.Id == 777777), Is.False, "the first of the batch is not there");
                Assert.That(c.FindEdges(source: first.Source).Any(e => e.Id == first.Id), Is.EqualTo(first.Source == 40),
                    "the replaced edge left its old source");

                // Default and zero weights; the read edges added again are unchanged.
                c.AddEdge(888001, 5, 6, "a");
                c.AddEdge(888002, 6, 5, "a", 0f);
                Edge[] got = c.GetEdges(888001, 888002);
                Assert.That(got.Length, Is.EqualTo(2));
                Assert.That(got[0].Weight, Is.EqualTo(1f));
                Assert.That(got[1].Weight, Is.EqualTo(0f));
                c.AddEdges(got);
                SameEdges("added again as read", c.GetEdges(888001, 888002), got);
                g.Edges[888001] = got[0];
                g.Edges[888002] = got[1];

                // Remove: the count of those that existed, a repeated id once.
                Assert.That(c.RemoveEdges(888001, 888001, 31337), Is.EqualTo(1));
                g.Edges.Remove(888001);
                Assert.That(c.RemoveEdges(), Is.EqualTo(0));
                Assert.That(c.RemoveEdges(888001), Is.EqualTo(0));
                Assert.That(c.GetEdge(888001), Is.Null);

                // Deleting a point removes its edges, in and out; upserting another keeps them.
                int touching = 0;
                foreach (Edge e in g.Edges.Values.ToArray())
                {
                    if (e.Source == victim || e.Target == victim)
                    {
                        g.Edges.Remove(e.Id);
                        touching++;
                    }
                }
                Assert.That(touching, Is.GreaterThan(0), "point 7 has no edges");
                Assert.That(c.Delete(victim), Is.EqualTo(1));
                c.Upsert(8, new float[] { 1, 2, 3, 4 }, Payload(8));
                g.Vectors[8] = new float[] { 1, 2, 3, 4 };
                Fails(QuiverStatus.NotFound, () => c.AddEdge(1, 1, victim, "a"), "an edge to the deleted point");
                check(c, "after the writes");
            }
            // Close and reopen.
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.OpenCollection("g"))
            {
                check(c, "after reopening");
                // And once more after a checkpoint and an optimization.
                c.Checkpoint();
                c.Optimize();
                c.WaitOptimized();
                check(c, "after checkpoint and optimize");
            }
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.OpenCollection("g"))
            {
                check(c, "after reopening again");
            }
        }

        // ---- the label schema --------------------------------------------------------------------

        private static bool JsonEqual(object a, object b)
        {
            var da = a as Dictionary<string, object>;
            var db = b as Dictionary<string, object>;
            if (da != null || db != null)
            {
                return da != null && db != null && da.Count == db.Count &&
                       da.All(kv => db.ContainsKey(kv.Key) && JsonEqual(kv.Value, db[kv.Key]));
            }
            var la = a as List<object>;
            var lb = b as List<object>;
            if (la != null || lb != null)
            {
                return la != null && lb != null && la.Count == lb.Count && la.Zip(lb, JsonEqual).All(x => x);
            }
            return Equals(a, b);
        }

        // A schema's labels and their (parsed) source and target filters, null when absent.
        private static Dictionary<string, object[]> SchemaRules(string json)
        {
            Assert.That(json, Is.Not.Null, "no schema");
            var doc = (Dictionary<string, object>)MiniJson.Parse(json);
            var rules = new Dictionary<string, object[]>();
            foreach (var kv in (Dictionary<string, object>)doc["labels"])
            {
                var r = (Dictionary<string, object>)kv.Value;
                rules[kv.Key] = new[]
                {
                    r.ContainsKey("source") ? r["source"] : null,
                    r.ContainsKey("target") ? r["target"] : null,
                };
            }
            return rules;
        }

        private static void SameSchema(string what, string got, string want)
        {
            Dictionary<string, object[]> g = SchemaRules(got), w = SchemaRules(want);
            Assert.That(g.Keys.OrderBy(k => k, StringComparer.Ordinal), Is.EqualTo(w.Keys.OrderBy(k => k, StringComparer.Ordinal)),
                what + ": " + got);
            foreach (var kv in w)
            {
                Assert.That(JsonEqual(g[kv.Key][0], kv.Value[0]) && JsonEqual(g[kv.Key][1], kv.Value[1]), Is.True,
                    what + ": label " + kv.Key + ": " + got + ", want " + want);
            }
        }

        // A violating add fails and changes nothing, a schema existing edges violate is refused,
        // get returns what was set, null removes it, and it survives reopening.
        [Test]
        public void GraphSchema()
        {
            string path = DbPath();
            string person = Filter.Eq("kind", "person").Json, paper = Filter.Eq("kind", "paper").Json;
            string schema = "{\"labels\": {\"wrote\": {\"source\": " + person + ", \"target\": " + paper + "}, " +
                            "\"cites\": {\"source\": " + paper + ", \"target\": " + paper + "}, \"knows\": {}}}";
            var ok = new[]
            {
                new Edge(1, 1, 4, "wrote"),
                new Edge(2, 5, 4, "cites"),
                new Edge(3, 1, 2, "knows"),
                new Edge(4, 4, 1, "knows"),
            };
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.CreateCollection("lib", new CollectionConfig(2, Metric.Euclidean)))
            {
                var ids = new ulong[] { 1, 2, 3, 4, 5, 6 };
                c.Upsert(ids, ids.SelectMany(i => new float[] { i, 0 }).ToArray(),
                    ids.Select(i => "{\"kind\": \"" + (i > 3 ? "paper" : "person") + "\"}").ToArray());
                Assert.That(c.GetGraphSchema(), Is.Null, "a new collection has no schema");
                c.SetGraphSchema(schema);
                SameSchema("GetGraphSchema", c.GetGraphSchema(), schema);

                c.AddEdges(ok);
                var bads = new[]
                {
                    new Edge(10, 1, 2, "likes"),   // not in the schema
                    new Edge(10, 4, 5, "wrote"),   // source a paper
                    new Edge(10, 1, 2, "wrote"),   // target a person
                    new Edge(10, 5, 1, "cites"),   // target a person
                    new Edge(1, 1, 2, "cites"),    // a replacement the schema refuses
                    new Edge(11, 1, 999, "knows"), // not found: checked too
                };
                foreach (Edge bad in bads)
                {
                    var e = Fails(bad.Target == 999 ? QuiverStatus.NotFound : QuiverStatus.InvalidArgument,
                        () => c.AddEdges(new Edge(12, 2, 3, "knows"), bad), "AddEdges(" + bad + ")");
                    StringAssert.Contains("edges[1]", e.Message);
                    SameEdges("after AddEdges(" + bad + ")", c.FindEdges(), ok);
                }

                // A schema the existing edges violate: refused, the old one stays.
                foreach (string bad in new[]
                {
                    "{\"labels\": {\"wrote\": {\"source\": " + person + ", \"target\": " + paper + "}, \"cites\": {}}}", // no "knows"
                    "{\"labels\": {\"wrote\": {}, \"cites\": {}, \"knows\": {\"source\": " + person + "}}}",            // edge 4 from a paper
                    "{\"labels\": 3}", "{\"label\": {}}", "[1]", "{", "{\"labels\": {\"x\": {\"source\": {\"field\": \"kind\", \"nope\": 1}}}}",
                    "{\"labels\": {\"x\": {\"origin\": {}}}}", "{\"labels\": {\"\": {}}}",
                })
                {
                    Fails(QuiverStatus.InvalidArgument, () => c.SetGraphSchema(bad), "SetGraphSchema(" + bad + ")");
                    SameSchema("after SetGraphSchema(" + bad + ")", c.GetGraphSchema(), schema);
                }
                // The text read back, set again, reads back the same.
                string text = c.GetGraphSchema();
                c.SetGraphSchema(text);
                Assert.That(JsonEqual(MiniJson.Parse(c.GetGraphSchema()), MiniJson.Parse(text)), Is.True, c.GetGraphSchema());
            }
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.OpenCollection("lib"))
            {
                SameSchema("after reopening", c.GetGraphSchema(), schema);
                Fails(QuiverStatus.InvalidArgument, () => c.AddEdge(20, 1, 2, "likes"), "a violating add after reopening");
                Assert.That(c.GetEdge(20), Is.Null);
                // Removing it: any label again.
                c.RemoveGraphSchema();
                Assert.That(c.GetGraphSchema(), Is.Null);
                c.AddEdge(20, 1, 2, "likes");
                Assert.That(c.GetEdge(20), Is.EqualTo(new Edge(20, 1, 2, "likes")));
                // Empty text removes it too.
                c.SetGraphSchema("{\"labels\": {\"likes\": {}, \"wrote\": {}, \"cites\": {}, \"knows\": {}}}");
                Assert.That(c.GetGraphSchema(), Is.Not.Null);
                c.SetGraphSchema("");
                Assert.That(c.GetGraphSchema(), Is.Null);
            }
        }

        // ---- traversals --------------------------------------------------------------------------

        // BFS and DFS, one and several starts, depths, labels on all hops and per hop,
        // directions, a payload filter, a limit: against the reference traversal; then 300
        // traversals with random options.
        [Test]
        public void Traverse()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = GraphCollection(db, "g", Metric.Cosine, out RefGraph g))
            {
                // A point with an edge of the label leaving it (to another point).
                Func<string, ulong[]> from = label => new[] { g.Sorted(e => e.Label == label && e.Source != e.Target)[0].Source };
                var cases = new[]
                {
                    new Case("defaults", new ulong[] { 3 }, new TraverseOptions()),
                    new Case("bfs depth 3", new ulong[] { 3 }, new TraverseOptions(3)),
                    new Case("dfs depth 3", new ulong[] { 3 }, Dfs(3)),
                    new Case("bfs with starts", new ulong[] { 3, 17, 3 }, new TraverseOptions(2) { MinDepth = 0 }),
                    new Case("dfs with starts", new ulong[] { 17, 3, 40 }, new TraverseOptions(4) { Order = TraversalOrder.DepthFirst, MinDepth = 0 }),
                    new Case("min depth 2", new ulong[] { 5, 9 }, new TraverseOptions(3) { MinDepth = 2 }),
                    new Case("dfs min depth 3", new ulong[] { 5 }, new TraverseOptions(5) { Order = TraversalOrder.DepthFirst, MinDepth = 3 }),
                    new Case("min depth = max depth", new ulong[] { 5 }, new TraverseOptions(2) { MinDepth = 2 }),
                    new Case("label a", from("a"), new TraverseOptions(4) { Labels = L("a") }),
                    new Case("labels b c", new ulong[] { 1, 2 }, new TraverseOptions(4) { Labels = L("b", "c") }),
                    new Case("unknown label", new ulong[] { 1 }, new TraverseOptions(4) { Labels = L("zz") }),
                    new Case("per hop", from("b"), new TraverseOptions(3)
                        { Labels = L("a"), HopLabels = new[] { L("b"), null, L("c", "b") } }),
                    new Case("dfs per hop", new ulong[] { 8, 30 }, new TraverseOptions(3)
                        { Order = TraversalOrder.DepthFirst, HopLabels = new[] { L("a"), L("b", "c") } }),
                    new Case("per hop, empty entries", from("b"), new TraverseOptions(3)
                        { Labels = L("b"), HopLabels = new[] { L(), L() } }),
                    new Case("in", new ulong[] { 12 }, new TraverseOptions(3) { Direction = Direction.In }),
                    new Case("both", new ulong[] { 12 }, new TraverseOptions(2) { Direction = Direction.Both }),
                    new Case("dfs both", new ulong[] { 12 }, new TraverseOptions(6) { Order = TraversalOrder.DepthFirst, Direction = Direction.Both }),
                    new Case("filter", new ulong[] { 0, 6 }, new TraverseOptions(4) { Filter = GroupNot0 }),
                    new Case("dfs filter with starts", new ulong[] { 0, 6 }, new TraverseOptions(4)
                        { Order = TraversalOrder.DepthFirst, Filter = GroupNot0, MinDepth = 0 }),
                    new Case("filter odd", new ulong[] { 2 }, new TraverseOptions(4) { Filter = OddOnly, Direction = Direction.Both }),
                    new Case("limit", new ulong[] { 3, 4 }, new TraverseOptions(5) { Limit = 7 }),
                    new Case("dfs limit", new ulong[] { 3, 4 }, new TraverseOptions(5) { Order = TraversalOrder.DepthFirst, Limit = 7 }),
                    new Case("limit below starts", new ulong[] { 3, 4, 5 }, new TraverseOptions(2) { Limit = 2, MinDepth = 0 }),
                    new Case("isolated", new ulong[] { N - 1 }, new TraverseOptions(3) { MinDepth = 0, Direction = Direction.Both }),
                    new Case("no starts", new ulong[0], new TraverseOptions(3)),
                    new Case("everything", new ulong[] { 0 }, new TraverseOptions(1000) { Direction = Direction.Both, Limit = 10000000 }),
                };
                int nonEmpty = 0;
                foreach (Case tc in cases)
                {
                    IReadOnlyList<Visit> got = c.Traverse(tc.Starts, tc.Options);
                    SameVisits(tc.Name + " (" + tc.Options + ")", got, g.Traverse(tc.Starts, tc.Options, Accept(tc.Options.Filter)), false);
                    Assert.That(got.Count, Is.LessThanOrEqualTo(tc.Options.Limit), tc.Name);
                    Assert.That(got.Select(v => v.Id).Distinct().Count(), Is.EqualTo(got.Count), tc.Name + ": a point twice");
                    if (got.Count > 0)
                    {
                        nonEmpty++;
                    }
                }
                Assert.That(nonEmpty, Is.EqualTo(cases.Length - 2), "only \"unknown label\" and \"no starts\" may find nothing");
                Assert.That(c.Traverse(0, new TraverseOptions(1000) { Direction = Direction.Both, Limit = 10000000 }).Count,
                    Is.GreaterThan(30), "everything reaches most of the graph");
                // One start: as the array form.
                SameVisits("one start", c.Traverse(3, new TraverseOptions(2)), c.Traverse(new ulong[] { 3 }, new TraverseOptions(2)), false);

                // Random options, many times.
                var rnd = new Random(77);
                string[] labels = { "a", "b", "c", "zz" };
                Func<string[]> subset = () => labels.Where(l => rnd.Next(3) == 0).ToArray();
                string[] filters = { null, null, GroupNot0, OddOnly };
                int deep = 0;
                for (int round = 0; round < 300; round++)
                {
                    var o = new TraverseOptions(1 + rnd.Next(5))
                    {
                        Order = (TraversalOrder)rnd.Next(2),
                        Direction = (Direction)rnd.Next(3),
                        Filter = filters[rnd.Next(filters.Length)],
                    };
                    o.MinDepth = rnd.Next(o.MaxDepth + 1);
                    if (rnd.Next(2) == 0)
                    {
                        o.Labels = subset();
                    }
                    if (rnd.Next(3) == 0)
                    {
                        o.HopLabels = Enumerable.Range(0, rnd.Next(o.MaxDepth + 1)).Select(_ => (IReadOnlyList<string>)subset()).ToArray();
                    }
                    if (rnd.Next(3) == 0)
                    {
                        o.Limit = 1 + rnd.Next(20);
                    }
                    ulong[] starts = Enumerable.Range(0, 1 + rnd.Next(3)).Select(_ => (ulong)rnd.Next(N)).ToArray();
                    IReadOnlyList<Visit> got = c.Traverse(starts, o);
                    SameVisits("round " + round + ": Traverse([" + string.Join(", ", starts) + "], " + o + ")",
                        got, g.Traverse(starts, o, Accept(o.Filter)), false);
                    if (got.Any(v => v.Depth >= 3))
                    {
                        deep++;
                    }
                }
                Assert.That(deep, Is.GreaterThanOrEqualTo(20), "random traversals that went 3 hops deep");
            }
        }

        // Unweighted (as long as the reference BFS distance, with and without a hop bound) and
        // weighted (the reference Dijkstra cost) shortest paths over many pairs, with
        // directions and labels; unreachable points give null.
        [Test]
        public void ShortestPath()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = GraphCollection(db, "g", Metric.Cosine, out RefGraph g))
            {
                var variants = new[]
                {
                    new KeyValuePair<Direction, string[]>(Direction.Out, null),
                    new KeyValuePair<Direction, string[]>(Direction.In, null),
                    new KeyValuePair<Direction, string[]>(Direction.Both, null),
                    new KeyValuePair<Direction, string[]>(Direction.Out, L("a", "c")),
                    new KeyValuePair<Direction, string[]>(Direction.Both, L("b")),
                };
                int found = 0, missing = 0, bounded = 0, zeroCost = 0, cheaper = 0;
                foreach (var vr in variants)
                {
                    Direction dir = vr.Key;
                    string[] labels = vr.Value;
                    for (ulong from = 0; from < N; from += 3)
                    {
                        g.Distances(from, dir, labels, out Dictionary<ulong, int> hops, out Dictionary<ulong, double> cost);
                        for (ulong to = 0; to < N; to++)
                        {
                            string what = "ShortestPath(" + from + ", " + to + ", " + dir + " [" + string.Join(", ", labels ?? new string[0]) + "])";
                            GraphPath p = c.ShortestPath(from, to, new PathOptions { Direction = dir, Labels = labels });
                            GraphPath w = c.ShortestPath(from, to, new PathOptions { Direction = dir, Labels = labels, Weighted = true });
                            if (!hops.TryGetValue(to, out int h))
                            {
                                missing++;
                                Assert.That(p, Is.Null, what);
                                Assert.That(w, Is.Null, "weighted " + what);
                                continue;
                            }
                            found++;
                            Assert.That(p, Is.Not.Null, what + ": want " + h + " hops");
                            g.CheckPath(what, p, from, to, dir, labels);
                            Assert.That(p.Hops, Is.EqualTo(h), what + ": " + p);
                            Assert.That(p.Cost, Is.EqualTo((double)h), what + ": " + p);
                            if (from == to)
                            {
                                Assert.That(p.Points, Is.EqualTo(new[] { from }), what);
                                Assert.That(p.Edges, Is.Empty, what);
                            }
                            // With a hop bound.
                            int bound = 1 + (int)(to % 4);
                            GraphPath b = c.ShortestPath(from, to, new PathOptions { Direction = dir, Labels = labels, MaxDepth = bound });
                            if (h > bound)
                            {
                                bounded++;
                                Assert.That(b, Is.Null, what + " with MaxDepth " + bound);
                            }
                            else
                            {
                                Assert.That(b, Is.Not.Null, what + " with MaxDepth " + bound);
                                Assert.That(b.Hops, Is.EqualTo(h), what + " with MaxDepth " + bound);
                            }
                            // Weighted.
                            Assert.That(w, Is.Not.Null, "weighted " + what);
                            double sum = g.CheckPath("weighted " + what, w, from, to, dir, labels);
                            Assert.That(w.Cost, Is.EqualTo(cost[to]).Within(1e-9), "weighted " + what + ": " + w);
                            Assert.That(sum, Is.EqualTo(w.Cost).Within(1e-9), "weighted " + what + ": " + w);
                            if (w.Cost == 0 && from != to)
                            {
                                zeroCost++;
                            }
                            if (w.Cost < p.Cost - 1e-9 && w.Hops > p.Hops)
                            {
                                cheaper++; // a longer path of less weight
                            }
                        }
                    }
                }
                Console.WriteLine(found + " paths, " + missing + " unreachable, " + bounded + " beyond the hop bound, " +
                                      zeroCost + " of weight 0, " + cheaper + " longer but lighter");
                Assert.That(found, Is.GreaterThanOrEqualTo(200));
                Assert.That(missing, Is.GreaterThanOrEqualTo(50));
                Assert.That(bounded, Is.GreaterThanOrEqualTo(20));
                Assert.That(cheaper, Is.GreaterThan(0), "no case where Dijkstra and BFS differ");
            }
        }

        // SearchExpand against a search and the reference traversal from its hits, each visit
        // with the score of the hit it came from.
        [Test]
        public void SearchExpand()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = GraphCollection(db, "g", Metric.Cosine, out RefGraph g))
            {
                float[] queries = TestData.RandomVectors(6, Dim, 91);
                var cases = new[]
                {
                    new KeyValuePair<SearchOptions, TraverseOptions>(new SearchOptions(3) { Exact = true }, new TraverseOptions()),
                    new KeyValuePair<SearchOptions, TraverseOptions>(new SearchOptions(4) { Exact = true }, new TraverseOptions(2) { MinDepth = 0 }),
                    new KeyValuePair<SearchOptions, TraverseOptions>(new SearchOptions(5) { Exact = true, Filter = OddOnly },
                        new TraverseOptions(3) { Order = TraversalOrder.DepthFirst, MinDepth = 0 }),
                    new KeyValuePair<SearchOptions, TraverseOptions>(new SearchOptions(2) { Exact = true },
                        new TraverseOptions(3) { MinDepth = 2, Direction = Direction.Both, Labels = L("a") }),
                    new KeyValuePair<SearchOptions, TraverseOptions>(new SearchOptions(6) { Exact = true, WithPayload = true },
                        new TraverseOptions(3) { Filter = GroupNot0, Limit = 9, MinDepth = 0 }),
                    new KeyValuePair<SearchOptions, TraverseOptions>(new SearchOptions(3), new TraverseOptions(2) { Direction = Direction.In }),
                };
                for (int i = 0; i < cases.Length; i++)
                {
                    float[] q = queries.Skip(i * Dim).Take(Dim).ToArray();
                    SearchOptions so = cases[i].Key;
                    TraverseOptions to = cases[i].Value;
                    string what = "SearchExpand(query " + i + ", k " + so.K + ", " + to + ")";
                    SearchHit[] hits = c.Search(q, so);
                    Assert.That(hits.Length, Is.EqualTo(so.K), what + ": the search");
                    var scores = hits.ToDictionary(h => h.Id, h => h.Score);
                    List<Visit> want = g.Traverse(hits.Select(h => h.Id).ToArray(), to, Accept(to.Filter))
                        .Select(v => new Visit(v.Id, v.Origin, v.Depth, scores[v.Origin], v.Path.ToArray())).ToList();
                    IReadOnlyList<Visit> got = c.SearchExpand(q, so, to);
                    SameVisits(what, got, want, true);
                    Assert.That(got, Is.Not.Empty, what);
                    // The same walk from the hits the caller holds; a hit that is not a point
                    // (first here) is skipped.
                    var withGone = new[] { new SearchHit(1UL << 40, 2f, null) }.Concat(hits).ToArray();
                    SameVisits("ExpandHits: " + what, c.ExpandHits(withGone, to), want, true);
                }
                Fails(QuiverStatus.InvalidArgument,
                    () => c.ExpandHits(new[] { new SearchHit(1, 1f, null), new SearchHit(2, float.NaN, null) }),
                    "ExpandHits NaN score");
                Assert.That(c.ExpandHits(new SearchHit[0]), Is.Empty, "ExpandHits of no hits");
                Assert.Throws<ArgumentNullException>(() => c.ExpandHits(null));
                // The defaults: k 10 hits, one hop out.
                float[] q0 = queries.Take(Dim).ToArray();
                SearchHit[] top = c.Search(q0);
                var sc = top.ToDictionary(h => h.Id, h => h.Score);
                SameVisits("SearchExpand(defaults)", c.SearchExpand(q0),
                    g.Traverse(top.Select(h => h.Id).ToArray(), new TraverseOptions(), null)
                        .Select(v => new Visit(v.Id, v.Origin, v.Depth, sc[v.Origin], v.Path.ToArray())).ToList(), true);
            }
        }

        // The collection's metric between a query and a vector, in double, as Search scores it.
        private static double RefScore(Metric m, float[] q, float[] v)
        {
            double dot = 0, nq = 0, nv = 0, d2 = 0;
            for (int i = 0; i < q.Length; i++)
            {
                double a = q[i], b = v[i];
                dot += a * b;
                nq += a * a;
                nv += b * b;
                d2 += (a - b) * (a - b);
            }
            switch (m)
            {
                case Metric.Cosine:
                    return dot / Math.Sqrt(nq * nv);
                case Metric.Euclidean:
                    return Math.Sqrt(d2);
                default:
                    return dot;
            }
        }

        // TraverseRanked against the reference traversal ranked by exact (double) scores in the
        // collection's metric.
        [Test]
        public void TraverseRanked()
        {
            using (var db = OpenFast(DbPath()))
            {
                foreach (Metric m in new[] { Metric.Cosine, Metric.Dot, Metric.Euclidean })
                {
                    using (var c = GraphCollection(db, "g" + m, m, out RefGraph g))
                    {
                        float[] queries = TestData.RandomVectors(8, Dim, 5);
                        var cases = new[]
                        {
                            new Case("3 hops", new ulong[] { 3 }, new TraverseOptions(3)),
                            new Case("with starts", new ulong[] { 3, 20 }, new TraverseOptions(2) { MinDepth = 0 }),
                            new Case("dfs both", new ulong[] { 10 }, new TraverseOptions(4) { Order = TraversalOrder.DepthFirst, Direction = Direction.Both }),
                            new Case("filter", new ulong[] { 1 }, new TraverseOptions(5) { Filter = GroupNot0, Direction = Direction.Both }),
                            new Case("labels limit", new ulong[] { 2, 9 }, new TraverseOptions(3) { Labels = L("a", "b"), Limit = 6 }),
                            new Case("nothing reached", new ulong[] { N - 1 }, new TraverseOptions(3)),
                            new Case("isolated start", new ulong[] { N - 1 }, new TraverseOptions(3) { MinDepth = 0 }),
                            new Case("everything", new ulong[] { 0 }, new TraverseOptions(1000) { Direction = Direction.Both }),
                        };
                        int[] ks = { 5, 4, 10, 100, 3, 3, 3, 100000 };
                        bool lowerBetter = m == Metric.Euclidean;
                        for (int i = 0; i < cases.Length; i++)
                        {
                            float[] q = queries.Skip(i * Dim).Take(Dim).ToArray();
                            Case tc = cases[i];
                            int k = ks[i];
                            string what = m + ": TraverseRanked(" + tc.Name + ", " + tc.Options + ", k " + k + ")";
                            List<Visit> walk = g.Traverse(tc.Starts, tc.Options, Accept(tc.Options.Filter));
                            var exact = walk.ToDictionary(v => v.Id, v => RefScore(m, q, g.Vectors[v.Id]));
                            var byId = walk.ToDictionary(v => v.Id);
                            List<Visit> ranked = walk.OrderBy(v => lowerBetter ? exact[v.Id] : -exact[v.Id]).ThenBy(v => v.Id).Take(k).ToList();
                            IReadOnlyList<Visit> got = c.TraverseRanked(tc.Starts, tc.Options, q, k);
                            string show = "\n got " + Show(got) + "\nwant " +
                                          string.Join(" ", ranked.Select(v => v + " " + exact[v.Id].ToString("R", CultureInfo.InvariantCulture)));
                            Assert.That(got.Count, Is.EqualTo(ranked.Count), what + show);
                            for (int j = 0; j < got.Count; j++)
                            {
                                Visit v = got[j];
                                Assert.That(byId.ContainsKey(v.Id), Is.True, what + ": " + v + " is not in the walk" + show);
                                Visit w = byId[v.Id];
                                Assert.That(v.Origin == w.Origin && v.Depth == w.Depth && v.Path.SequenceEqual(w.Path), Is.True,
                                    what + ": " + v + ", the walk has " + w + show);
                                Assert.That(v.Score.HasValue, Is.True, what + show);
                                Assert.That((double)v.Score.Value, Is.EqualTo(exact[v.Id]).Within(1e-5), what + ": " + v + show);
                                // The reference's point at j, unless the two are tied within rounding.
                                Assert.That(v.Id == ranked[j].Id || Math.Abs(exact[v.Id] - exact[ranked[j].Id]) < 1e-6, Is.True,
                                    what + ": position " + j + show);
                                if (j > 0)
                                {
                                    float a = got[j - 1].Score.Value, b = v.Score.Value;
                                    bool sorted = lowerBetter ? a < b : a > b;
                                    Assert.That(sorted || (a == b && got[j - 1].Id < v.Id), Is.True, what + ": not sorted at " + j + show);
                                }
                            }
                            if (i == 0)
                            {
                                Assert.That(got.Count, Is.GreaterThanOrEqualTo(3), what + ": too few points ranked");
                            }
                        }
                    }
                }
            }
        }

        // ---- errors --------------------------------------------------------------------------------

        // Bad edges and bad parameters: QuiverException with the library's message (or the
        // binding's own argument exceptions), and nothing written.
        [Test]
        public void Errors()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = GraphCollection(db, "g", Metric.Cosine, out RefGraph g))
            {
                int count = g.Edges.Count;
                var good = new Edge(555555, 1, 2, "a");
                Action<string> unchanged = what =>
                {
                    Assert.That(c.CountEdges(), Is.EqualTo(count), what + ": CountEdges");
                    Assert.That(c.GetEdge(good.Id), Is.Null, what + ": the good edge of the batch was written");
                    SameEdges(what, c.FindEdges(), g.Sorted());
                };

                var notFound = Fails(QuiverStatus.NotFound, () => c.AddEdges(good, new Edge(1, 1, 99999, "a")), "missing target");
                StringAssert.Contains("edges[1]", notFound.Message);
                StringAssert.Contains("target point 99999 is not in collection \"g\"", notFound.Message);
                unchanged("missing target");
                notFound = Fails(QuiverStatus.NotFound, () => c.AddEdges(good, new Edge(1, 99998, 1, "a")), "missing source");
                StringAssert.Contains("source point 99998 is not in collection \"g\"", notFound.Message);
                unchanged("missing source");

                var bads = new[]
                {
                    new KeyValuePair<string, Edge>("empty label", new Edge(1, 1, 2, "")),
                    new KeyValuePair<string, Edge>("control character", new Edge(1, 1, 2, "a\nb")),
                    new KeyValuePair<string, Edge>("DEL", new Edge(1, 1, 2, "a\u007f")),
                    new KeyValuePair<string, Edge>("long label", new Edge(1, 1, 2, new string('x', 257))),
                    new KeyValuePair<string, Edge>("long label in bytes", new Edge(1, 1, 2, string.Concat(Enumerable.Repeat("é", 129)))),
                    new KeyValuePair<string, Edge>("negative weight", new Edge(1, 1, 2, "a", -1f)),
                    new KeyValuePair<string, Edge>("NaN weight", new Edge(1, 1, 2, "a", float.NaN)),
                    new KeyValuePair<string, Edge>("infinite weight", new Edge(1, 1, 2, "a", float.PositiveInfinity)),
                    new KeyValuePair<string, Edge>("properties an array", new Edge(1, 1, 2, "a", 1f, "[1, 2]")),
                    new KeyValuePair<string, Edge>("properties a string", new Edge(1, 1, 2, "a", 1f, "\"x\"")),
                    new KeyValuePair<string, Edge>("properties not JSON", new Edge(1, 1, 2, "a", 1f, "{bad")),
                    new KeyValuePair<string, Edge>("properties with trailing text", new Edge(1, 1, 2, "a", 1f, "{} {}")),
                    new KeyValuePair<string, Edge>("properties over 1 MiB", new Edge(1, 1, 2, "a", 1f,
                        "{\"x\": \"" + new string('y', 1 << 20) + "\"}")),
                };
                foreach (var tc in bads)
                {
                    var e = Fails(QuiverStatus.InvalidArgument, () => c.AddEdges(good, tc.Value), tc.Key);
                    StringAssert.Contains("edges[1]", e.Message, tc.Key);
                    unchanged(tc.Key);
                }
                // The longest labels pass: 256 bytes.
                c.AddEdges(new Edge(555556, 1, 2, new string('x', 256)), new Edge(555557, 1, 2, string.Concat(Enumerable.Repeat("é", 128))));
                Assert.That(c.RemoveEdges(555556, 555557), Is.EqualTo(2));
                // The binding's own checks, before the library is called.
                Assert.Throws<ArgumentNullException>(() => c.AddEdges(good, null));
                Assert.Throws<ArgumentNullException>(() => c.AddEdges((IReadOnlyList<Edge>)null));
                Assert.Throws<ArgumentNullException>(() => new Edge(1, 1, 2, null));
                Assert.Throws<ArgumentException>(() => c.AddEdges(good, new Edge(1, 1, 2, "a\ud800")));
                Assert.Throws<ArgumentException>(() => c.AddEdges(good, new Edge(1, 1, 2, "a", 1f, "{\"x\": \"\udc00\"}")));
                unchanged("the binding's checks");
                c.AddEdges(new Edge[0]);
                unchanged("an empty batch");

                // A replacement in a failed batch: the edge is unchanged.
                Edge first = g.Sorted()[0];
                Fails(QuiverStatus.InvalidArgument, () => c.AddEdges(new Edge(first.Id, 1, 2, "zz"), new Edge(2, 1, 2, "")), "replace with a bad batch");
                Assert.That(c.GetEdge(first.Id), Is.EqualTo(first));
                unchanged("replace with a bad batch");

                // Traversal parameters.
                float[] q = g.Vectors[1];
                var bad = new[]
                {
                    new KeyValuePair<string, TraverseOptions>("MaxDepth 1001", new TraverseOptions(1001)),
                    new KeyValuePair<string, TraverseOptions>("MaxDepth 0", new TraverseOptions(0) { MinDepth = 0 }),
                    new KeyValuePair<string, TraverseOptions>("MinDepth above MaxDepth", new TraverseOptions(2) { MinDepth = 3 }),
                    new KeyValuePair<string, TraverseOptions>("Limit 0", new TraverseOptions { Limit = 0 }),
                    new KeyValuePair<string, TraverseOptions>("Limit too large", new TraverseOptions { Limit = 10000001 }),
                    new KeyValuePair<string, TraverseOptions>("more hops than MaxDepth", new TraverseOptions(1) { HopLabels = new[] { L("a"), L("b") } }),
                    new KeyValuePair<string, TraverseOptions>("empty label", new TraverseOptions { Labels = L("") }),
                    new KeyValuePair<string, TraverseOptions>("control character", new TraverseOptions { Labels = L("a", "b\u0001") }),
                    new KeyValuePair<string, TraverseOptions>("long label", new TraverseOptions { Labels = L(new string('x', 257)) }),
                    new KeyValuePair<string, TraverseOptions>("empty hop label", new TraverseOptions(2) { HopLabels = new[] { null, L("a", "") } }),
                    new KeyValuePair<string, TraverseOptions>("bad filter", new TraverseOptions { Filter = "{\"field\": \"group\", \"almost\": 1}" }),
                    new KeyValuePair<string, TraverseOptions>("filter not JSON", new TraverseOptions { Filter = "{" }),
                    new KeyValuePair<string, TraverseOptions>("bad direction", new TraverseOptions { Direction = (Direction)7 }),
                    new KeyValuePair<string, TraverseOptions>("bad order", new TraverseOptions { Order = (TraversalOrder)5 }),
                };
                foreach (var tc in bad)
                {
                    Fails(QuiverStatus.InvalidArgument, () => c.Traverse(new ulong[] { 1 }, tc.Value), "Traverse: " + tc.Key);
                    Fails(QuiverStatus.InvalidArgument, () => c.TraverseRanked(new ulong[] { 1 }, tc.Value, q, 3), "TraverseRanked: " + tc.Key);
                    Fails(QuiverStatus.InvalidArgument, () => c.SearchExpand(q, new SearchOptions(3), tc.Value), "SearchExpand: " + tc.Key);
                }
                var ms = Fails(QuiverStatus.NotFound, () => c.Traverse(new ulong[] { 1, 99999 }), "missing start");
                StringAssert.Contains("starts[1]", ms.Message);
                StringAssert.Contains("99999", ms.Message);
                Fails(QuiverStatus.NotFound, () => c.TraverseRanked(new ulong[] { 99999 }, null, q, 3), "TraverseRanked: missing start");
                Assert.Throws<ArgumentOutOfRangeException>(() => new TraverseOptions { MaxDepth = -1 });
                Assert.Throws<ArgumentOutOfRangeException>(() => new TraverseOptions { MinDepth = -1 });
                Assert.Throws<ArgumentOutOfRangeException>(() => new TraverseOptions { Limit = -1 });
                Assert.Throws<ArgumentNullException>(() => c.Traverse(null));
                Assert.Throws<ArgumentNullException>(() => c.Traverse(1, new TraverseOptions { Labels = new string[] { null } }));
                Assert.Throws<ArgumentNullException>(() => c.Traverse(1, new TraverseOptions(2) { HopLabels = new[] { L("a", null) } }));
                Assert.Throws<ArgumentException>(() => c.Traverse(1, new TraverseOptions { Labels = L("\ud800") }));

                // Ranking and search parameters.
                Fails(QuiverStatus.InvalidArgument, () => c.TraverseRanked(new ulong[] { 1 }, null, q, 0), "TraverseRanked k 0");
                Fails(QuiverStatus.InvalidArgument, () => c.TraverseRanked(new ulong[] { 1 }, null, q, 100001), "TraverseRanked k 100001");
                Assert.Throws<ArgumentOutOfRangeException>(() => c.TraverseRanked(new ulong[] { 1 }, null, q, -1));
                Fails(QuiverStatus.DimensionMismatch, () => c.TraverseRanked(new ulong[] { 1 }, null, new float[] { 1, 2 }, 3), "TraverseRanked short query");
                Fails(QuiverStatus.InvalidArgument, () => c.TraverseRanked(new ulong[] { 1 }, null, new[] { 1f, float.NaN, 0f, 0f }, 3), "TraverseRanked NaN query");
                Assert.Throws<ArgumentNullException>(() => c.TraverseRanked(new ulong[] { 1 }, null, null, 3));
                Fails(QuiverStatus.DimensionMismatch, () => c.SearchExpand(new float[] { 1, 2 }), "SearchExpand short query");
                Fails(QuiverStatus.InvalidArgument, () => c.SearchExpand(q, new SearchOptions(0)), "SearchExpand k 0");
                Fails(QuiverStatus.InvalidArgument, () => c.SearchExpand(q, new SearchOptions { Filter = "{\"nope\": 1}" }), "SearchExpand bad filter");
                Assert.Throws<ArgumentNullException>(() => c.SearchExpand(null));

                // Shortest path parameters.
                var e1 = Fails(QuiverStatus.NotFound, () => c.ShortestPath(1, 99999), "ShortestPath to a missing point");
                StringAssert.Contains("99999", e1.Message);
                Fails(QuiverStatus.NotFound, () => c.ShortestPath(99999, 1), "ShortestPath from a missing point");
                Fails(QuiverStatus.InvalidArgument, () => c.ShortestPath(1, 2, new PathOptions { Weighted = true, MaxDepth = 3 }), "weighted with MaxDepth");
                Fails(QuiverStatus.InvalidArgument, () => c.ShortestPath(1, 2, new PathOptions { Labels = L("") }), "ShortestPath empty label");
                Fails(QuiverStatus.InvalidArgument, () => c.ShortestPath(1, 2, new PathOptions { Direction = (Direction)3 }), "ShortestPath bad direction");
                Assert.Throws<ArgumentOutOfRangeException>(() => new PathOptions { MaxDepth = -1 });

                // Reads with labels no edge can have are refused.
                foreach (string label in new[] { "a\u0001", new string('x', 257) })
                {
                    Fails(QuiverStatus.InvalidArgument, () => c.FindEdges(label: label), "FindEdges bad label");
                    Fails(QuiverStatus.InvalidArgument, () => c.Degree(1, label), "Degree bad label");
                }
                Assert.Throws<ArgumentException>(() => c.FindEdges(label: "\udc00"));
                Assert.Throws<ArgumentException>(() => c.Degree(1, "\udc00"));
                unchanged("after the bad reads");

                // A closed collection.
                c.Dispose();
                Fails(QuiverStatus.Closed, () => c.AddEdges(good), "AddEdges closed");
                Fails(QuiverStatus.Closed, () => c.RemoveEdges(1), "RemoveEdges closed");
                Fails(QuiverStatus.Closed, () => c.GetEdges(1), "GetEdges closed");
                Fails(QuiverStatus.Closed, () => c.FindEdges(), "FindEdges closed");
                Fails(QuiverStatus.Closed, () => c.Degree(1), "Degree closed");
                Fails(QuiverStatus.Closed, () => c.CountEdges(), "CountEdges closed");
                Fails(QuiverStatus.Closed, () => c.Traverse(1), "Traverse closed");
                Fails(QuiverStatus.Closed, () => c.SearchExpand(q), "SearchExpand closed");
                Fails(QuiverStatus.Closed, () => c.TraverseRanked(new ulong[] { 1 }, null, q, 3), "TraverseRanked closed");
                Fails(QuiverStatus.Closed, () => c.ShortestPath(1, 2), "ShortestPath closed");
                Fails(QuiverStatus.Closed, () => c.SetGraphSchema(null), "SetGraphSchema closed");
                Fails(QuiverStatus.Closed, () => c.GetGraphSchema(), "GetGraphSchema closed");
            }
        }

        // Reads from several threads while another writes: every write is seen whole or not at
        // all, and traversals over the labels it does not touch stay equal to the reference.
        [Test]
        public void ConcurrentReadsAndWrites()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = GraphCollection(db, "g", Metric.Cosine, out RefGraph g))
            {
                const int Batches = 40, PerBatch = 5;
                var o = new TraverseOptions(3) { Labels = L("a", "b", "c"), Direction = Direction.Both, MinDepth = 0 };
                List<Visit> want = g.Traverse(new ulong[] { 3 }, o, null);
                Assert.That(want.Count, Is.GreaterThan(5));
                var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
                int done = 0, reads = 0;
                var started = new System.Threading.CountdownEvent(3);
                var readers = Enumerable.Range(0, 3).Select(r => new System.Threading.Thread(() =>
                {
                    try
                    {
                        long last = 0;
                        while (System.Threading.Volatile.Read(ref done) == 0)
                        {
                            SameVisits("concurrent traversal", c.Traverse(new ulong[] { 3 }, o), want, false);
                            long n = c.FindEdges(label: "w").Length;
                            Assert.That(n % PerBatch, Is.EqualTo(0), "half a batch seen");
                            Assert.That(n, Is.GreaterThanOrEqualTo(last), "a write went back");
                            last = n;
                            long d = c.Degree(44, "w").Out;
                            Assert.That(d, Is.LessThanOrEqualTo(Batches * PerBatch));
                            if (System.Threading.Interlocked.Increment(ref reads) <= 3)
                            {
                                started.Signal();
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        errors.Enqueue(e);
                    }
                })).ToList();
                readers.ForEach(t => t.Start());
                try
                {
                    started.Wait(TimeSpan.FromSeconds(60)); // the readers are reading (or one failed)
                    for (int b = 0; b < Batches; b++)
                    {
                        c.AddEdges(Enumerable.Range(0, PerBatch)
                            .Select(i => new Edge(1000000 + (ulong)(b * PerBatch + i), 44 + (ulong)(i % 4), 45 + (ulong)(b % 3), "w"))
                            .ToList());
                    }
                }
                finally
                {
                    System.Threading.Volatile.Write(ref done, 1);
                    readers.ForEach(t => t.Join());
                }
                Assert.That(errors, Is.Empty, string.Join("\n", errors));
                Assert.That(reads, Is.GreaterThan(3));
                Assert.That(c.FindEdges(label: "w").Length, Is.EqualTo(Batches * PerBatch));
                Assert.That(c.CountEdges(), Is.EqualTo(EdgeCount + Batches * PerBatch));
            }
        }

        // A metadata-only collection has edges and traversals, but no ranking or search.
        [Test]
        public void MetadataOnlyCollection()
        {
            using (var db = OpenFast(DbPath()))
            using (var meta = db.CreateCollection("meta", CollectionConfig.MetadataOnly()))
            {
                meta.Upsert(new ulong[] { 1, 2, 3 }, (float[])null, new[] { "{}", null, "{\"x\": 1}" });
                meta.AddEdges(new Edge(1, 1, 2, "x"), new Edge(2, 2, 3, "y", 0.5f));
                IReadOnlyList<Visit> vs = meta.Traverse(1, new TraverseOptions(2) { MinDepth = 0 });
                SameVisits("metadata-only traversal", vs, new[]
                {
                    new Visit(1, 1, 0, null, new ulong[0]),
                    new Visit(2, 1, 1, null, new ulong[] { 1 }),
                    new Visit(3, 1, 2, null, new ulong[] { 1, 2 }),
                }, false);
                GraphPath p = meta.ShortestPath(1, 3, new PathOptions { Weighted = true });
                Assert.That(p.Points, Is.EqualTo(new ulong[] { 1, 2, 3 }));
                Assert.That(p.Edges, Is.EqualTo(new ulong[] { 1, 2 }));
                Assert.That(p.Cost, Is.EqualTo(1.5));
                Assert.That(meta.ShortestPath(3, 1), Is.Null);
                Assert.That(meta.ShortestPath(3, 1, new PathOptions { Direction = Direction.In }).Hops, Is.EqualTo(2));
                Fails(QuiverStatus.Unsupported, () => meta.TraverseRanked(new ulong[] { 1 }, null, new float[0], 1), "TraverseRanked metadata-only");
                var e = Fails(QuiverStatus.Unsupported, () => meta.SearchExpand(new float[0]), "SearchExpand metadata-only");
                StringAssert.Contains("metadata-only", e.Message);
                // Deleting the middle point cuts the path.
                meta.Delete(2);
                Assert.That(meta.CountEdges(), Is.EqualTo(0));
                Assert.That(meta.ShortestPath(1, 3), Is.Null);
                Assert.That(meta.Traverse(1, new TraverseOptions(2)), Is.Empty);
            }
        }

        // Edge, Visit and GraphPath: values, equality and text.
        [Test]
        public void ValueTypes()
        {
            var a = new Edge(7, 1, 2, "knows", 0.5f, "{\"since\": 2020}");
            Assert.That(a, Is.EqualTo(new Edge(7, 1, 2, "knows", 0.5f, "{\"since\": 2020}")));
            Assert.That(a.GetHashCode(), Is.EqualTo(new Edge(7, 1, 2, "knows", 0.5f, "{\"since\": 2020}").GetHashCode()));
            Assert.That(a, Is.Not.EqualTo(new Edge(7, 1, 2, "knows", 0.5f, "{\"since\":2020}")));
            Assert.That(a, Is.Not.EqualTo(new Edge(7, 1, 2, "knows", 1f, "{\"since\": 2020}")));
            Assert.That(a, Is.Not.EqualTo(new Edge(7, 2, 1, "knows", 0.5f, "{\"since\": 2020}")));
            Assert.That(a.ToString(), Is.EqualTo("edge 7: 1 -[knows 0.5]-> 2 {\"since\": 2020}"));
            Assert.That(new Edge(1, 1, 1, "x").Weight, Is.EqualTo(1f));
            Assert.That(new Edge(1, 1, 1, "x", 1f, "").Properties, Is.Null);

            var v = new Visit(5, 1, 2, null, new ulong[] { 10, 14 });
            Assert.That(v.ToString(), Is.EqualTo("5 (from 1, depth 2, path [10, 14])"));
            Assert.That(v, Is.EqualTo(new Visit(5, 1, 2, null, new ulong[] { 10, 14 })));
            Assert.That(v, Is.Not.EqualTo(new Visit(5, 1, 2, null, new ulong[] { 10, 15 })));
            Assert.That(v, Is.Not.EqualTo(new Visit(5, 1, 2, 0.5f, new ulong[] { 10, 14 })));
            Assert.That(default(Visit).Path, Is.Empty);
            Assert.Throws<ArgumentNullException>(() => new Visit(1, 1, 0, null, null));
            Assert.That(new PointDegree(2, 3).ToString(), Is.EqualTo("in=2 out=3"));
        }
    }
}
