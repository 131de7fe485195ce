using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>Optimize, WaitOptimized, Verify, Stats, and payloads kept byte for byte.</summary>
    [TestFixture]
    public class MaintenanceTests : TempDirFixture
    {
        private const int Dim = 8;

        private static string PayloadOf(ulong id) => "{\"n\":" + id + "}";

        // Points 0..199 with payloads {"n": id}; 0..9 deleted, 10..19 overwritten
        // (new vectors, same payloads). Returns the live vectors by id.
        private static Dictionary<ulong, float[]> Fill(QuiverCollection c)
        {
            ulong[] ids = TestData.Ids(0, 200);
            float[] vectors = TestData.RandomVectors(200, Dim, 7);
            c.Upsert(ids, vectors, ids.Select(PayloadOf).ToArray());
            Assert.That(c.Delete(TestData.Ids(0, 10)), Is.EqualTo(10));
            float[] replaced = TestData.RandomVectors(10, Dim, 8);
            ulong[] overwritten = TestData.Ids(10, 10);
            c.Upsert(overwritten, replaced, overwritten.Select(PayloadOf).ToArray());
            var live = new Dictionary<ulong, float[]>();
            for (int i = 10; i < 200; i++)
            {
                live[(ulong)i] = vectors.Skip(i * Dim).Take(Dim).ToArray();
            }
            for (int i = 0; i < 10; i++)
            {
                live[(ulong)(10 + i)] = replaced.Skip(i * Dim).Take(Dim).ToArray();
            }
            return live;
        }

        private static void CheckPoints(string what, QuiverCollection c, Dictionary<ulong, float[]> live)
        {
            Assert.That(c.Count(), Is.EqualTo(live.Count), what);
            Assert.That(c.Get(0), Is.Null, what + ": deleted point 0");
            Assert.That(c.Get(9), Is.Null, what + ": deleted point 9");
            foreach (ulong id in new ulong[] { 10, 15, 20, 123, 199 })
            {
                var p = c.Get(id);
                Assert.That(p, Is.Not.Null, what + ": point " + id);
                Assert.That(p.Vector, Is.EqualTo(live[id]), what + ": vector of " + id);
                Assert.That(p.Payload, Is.EqualTo(PayloadOf(id)), what + ": payload of " + id);
                foreach (bool exact in new[] { false, true })
                {
                    var hits = c.Search(live[id], new SearchOptions(3) { Exact = exact, WithPayload = true });
                    Assert.That(hits.Length, Is.EqualTo(3), what);
                    Assert.That(hits[0].Id, Is.EqualTo(id), what + ": nearest to the vector of " + id + ", exact " + exact);
                    Assert.That(hits[0].Score, Is.EqualTo(0f), what);
                    Assert.That(hits[0].Payload, Is.EqualTo(PayloadOf(id)), what);
                }
            }
            const string small = "{\"field\": \"n\", \"lt\": 25}";
            Assert.That(c.ScrollIds(small).ToArray(), Is.EqualTo(TestData.Ids(10, 15)), what + ": filtered scroll");
            var filtered = c.Search(live[12], new SearchOptions(50) { Filter = small });
            Assert.That(filtered.Length, Is.EqualTo(15), what + ": filtered search");
            Assert.That(filtered[0].Id, Is.EqualTo(12), what + ": filtered search");
        }

        [Test]
        public void OptimizeWaitOptimizedAndVerifyKeepEveryPoint()
        {
            Dictionary<ulong, float[]> live;
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("m", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                live = Fill(c);
                CheckPoints("before Optimize", c, live);
                c.Verify();
                c.Optimize();
                c.WaitOptimized();
                CheckPoints("after Optimize", c, live);
                c.Verify();
                c.Optimize(); // again, with nothing to do
                c.Upsert(500, new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, PayloadOf(500));
                live[500] = new float[] { 1, 2, 3, 4, 5, 6, 7, 8 };
                CheckPoints("after a write", c, live);
            }
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.OpenCollection("m"))
            {
                c.Verify();
                CheckPoints("after reopen", c, live);
            }
        }

        // Checks the stats against Count, against themselves and against their
        // JSON document; returns them.
        private static CollectionStats CheckStats(string what, QuiverCollection c)
        {
            CollectionStats s = c.Stats();
            Assert.That(s.LivePoints, Is.EqualTo(c.Count()), what + ": LivePoints vs Count()");
            Assert.That(s.Segments.Sum(x => x.Points), Is.EqualTo(s.LivePoints), what + ": points of the segments: " + s.Json);
            foreach (var seg in s.Segments)
            {
                Assert.That(seg.Kind, Is.EqualTo(SegmentKind.Appendable).Or.EqualTo(SegmentKind.Sealed), what + ": " + seg);
            }
            Assert.That(s.OptimizerState, Is.EqualTo(OptimizerState.Idle).Or.EqualTo(OptimizerState.Pending).Or.EqualTo(OptimizerState.Running), what);
            Assert.That(s.ReadOnlyCause, Is.Null, what + ": a healthy collection is writable");
            Assert.That(s.OptimizerError, Is.Null, what);
            Assert.That(s.Components.All(x => !string.IsNullOrEmpty(x.Name)), Is.True, what + ": component names");
            Assert.That(s.ToString(), Is.EqualTo(s.Json));

            // The JSON document says the same.
            var doc = (Dictionary<string, object>)MiniJson.Parse(s.Json);
            Assert.That(doc["live_points"], Is.EqualTo(s.LivePoints), what);
            Assert.That(doc["deleted_points"], Is.EqualTo(s.DeletedPoints), what);
            Assert.That(doc["disk_bytes"], Is.EqualTo(s.DiskBytes), what);
            Assert.That(doc["ram_bytes"], Is.EqualTo(s.RamBytes), what);
            Assert.That(doc["read_only_cause"], Is.EqualTo(s.ReadOnlyCause), what);
            var optimizer = (Dictionary<string, object>)doc["optimizer"];
            Assert.That(optimizer["state"], Is.EqualTo(s.OptimizerState.ToString().ToLowerInvariant()), what);
            Assert.That(optimizer["completed_runs"], Is.EqualTo(s.OptimizerRuns), what);
            Assert.That(optimizer["last_error"], Is.EqualTo(s.OptimizerError), what);
            var segments = (List<object>)doc["segments"];
            Assert.That(segments.Count, Is.EqualTo(s.Segments.Count), what);
            for (int i = 0; i < segments.Count; i++)
            {
                var d = (Dictionary<string, object>)segments[i];
                var seg = s.Segments[i];
                Assert.That(d["id"], Is.EqualTo((long)seg.Id), what);
                Assert.That(d["kind"], Is.EqualTo(seg.Kind.ToString().ToLowerInvariant()), what);
                Assert.That(d["points"], Is.EqualTo(seg.Points), what);
                Assert.That(d["deleted"], Is.EqualTo(seg.Deleted), what);
                Assert.That(d["disk_bytes"], Is.EqualTo(seg.DiskBytes), what);
                Assert.That(d["ram_bytes"], Is.EqualTo(seg.RamBytes), what);
            }
            var components = (List<object>)doc["components"];
            Assert.That(components.Count, Is.EqualTo(s.Components.Count), what);
            for (int i = 0; i < components.Count; i++)
            {
                var d = (Dictionary<string, object>)components[i];
                Assert.That(d["name"], Is.EqualTo(s.Components[i].Name), what);
                Assert.That(d["disk_bytes"], Is.EqualTo(s.Components[i].DiskBytes), what);
                Assert.That(d["ram_bytes"], Is.EqualTo(s.Components[i].RamBytes), what);
            }
            Assert.That(((List<object>)doc["rebuilt_on_open"]).Cast<string>(), Is.EqualTo(s.RebuiltOnOpen), what);
            return s;
        }

        [Test]
        public void StatsAgreeWithCountAndTheirJson()
        {
            using (var db = OpenFast(DbPath()))
            using (var empty = db.CreateCollection("empty", new CollectionConfig(Dim)))
            using (var c = db.CreateCollection("m", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                Assert.That(CheckStats("empty", empty).LivePoints, Is.EqualTo(0));
                var live = Fill(c);
                var s = CheckStats("after writes", c);
                Assert.That(s.LivePoints, Is.EqualTo(live.Count));
                Assert.That(s.RebuiltOnOpen, Is.Empty, "nothing to rebuild in a new collection");
                Assert.Throws<NotSupportedException>(() => ((IList<SegmentStats>)s.Segments).Clear(), "read-only lists");
            }
        }

        [Test]
        public void StatsAfterOptimizeListValidSegments()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("m", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                Fill(c);
                c.Optimize();
                c.WaitOptimized();
                var s = CheckStats("after Optimize", c);
                Assert.That(s.Segments, Is.Not.Empty, s.Json);
            }
        }

        [Test]
        public void OptimizeLeavesEveryPointInSealedSegments()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("m", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                Fill(c);
                c.Optimize();
                c.WaitOptimized();
                var s = CheckStats("after Optimize", c);
                // Optimize sealed the appendable segment, merged and vacuumed.
                var sealedSegments = s.Segments.Where(x => x.Kind == SegmentKind.Sealed).ToArray();
                Assert.That(sealedSegments, Is.Not.Empty, s.Json);
                Assert.That(sealedSegments.Sum(x => x.Points), Is.EqualTo(s.LivePoints), "the sealed segments hold every point: " + s.Json);
                Assert.That(s.DeletedPoints, Is.EqualTo(0), "nothing deleted is left: " + s.Json);
            }
        }

        [Test]
        public void OptimizeWhileOtherThreadsSearch()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("m", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                var live = Fill(c);
                int stop = 0;
                var errors = new List<Exception>();
                var threads = Enumerable.Range(0, 4).Select(g => new Thread(() =>
                {
                    ulong id = (ulong)(20 + g);
                    try
                    {
                        while (Volatile.Read(ref stop) == 0)
                        {
                            var hits = c.Search(live[id], new SearchOptions(5) { Exact = g % 2 == 0 });
                            if (hits.Length != 5 || hits[0].Id != id)
                            {
                                throw new Exception("search for " + id + ": " + string.Join(",", hits.Select(h => h.Id)));
                            }
                            c.Stats();
                        }
                    }
                    catch (Exception e)
                    {
                        lock (errors)
                        {
                            errors.Add(e);
                        }
                    }
                })).ToArray();
                foreach (var t in threads)
                {
                    t.Start();
                }
                for (int i = 0; i < 3; i++)
                {
                    c.Optimize();
                }
                c.WaitOptimized();
                Volatile.Write(ref stop, 1);
                foreach (var t in threads)
                {
                    t.Join();
                }
                Assert.That(errors, Is.Empty);
                CheckPoints("after concurrent Optimize", c, live);
            }
        }

        [Test]
        public void PayloadsComeBackExactlyAsWritten()
        {
            string[] payloads =
            {
                "{ \"z\": 1,  \"a\": [1.0, 2e3, -0.50],\n\t\"m\": {\"y\": null, \"b\": true} }",
                "{\"b\":\"caf\\u00e9 \u00e9 \ud83d\ude00\",\"a\":\"\\\"quoted\\\"\\\\\"}",
                null,
                "{}",
            };
            // And through the C form, bytes as they are.
            byte[] raw = Encoding.UTF8.GetBytes("{\"k\" : [ ] }{\"\u00fc\":  0}");
            string[] rawTexts = { "{\"k\" : [ ] }", "{\"\u00fc\":  0}" };
            var byId = new Dictionary<ulong, string> { { 1, payloads[0] }, { 2, payloads[1] }, { 3, null }, { 4, payloads[3] }, { 5, rawTexts[0] }, { 6, rawTexts[1] } };
            ulong[] all = byId.Keys.ToArray();

            Action<string, QuiverCollection> check = (what, c) =>
            {
                using (var batch = c.Get(all))
                {
                    for (int i = 0; i < all.Length; i++)
                    {
                        Assert.That(batch.GetPayload(i), Is.EqualTo(byId[all[i]]), what + ": Get(" + all[i] + ")");
                    }
                }
                foreach (var hit in c.Search(new float[] { 0, 0 }, new SearchOptions(10) { WithPayload = true, Exact = true }))
                {
                    Assert.That(hit.Payload, Is.EqualTo(byId[hit.Id]), what + ": Search hit " + hit.Id);
                }
                using (var r = c.SearchBatch(new float[] { 0, 0, 6, 0 }, new SearchOptions(10) { WithPayload = true }))
                {
                    for (int q = 0; q < r.QueryCount; q++)
                    {
                        foreach (var hit in r.GetHits(q))
                        {
                            Assert.That(hit.Payload, Is.EqualTo(byId[hit.Id]), what + ": SearchBatch query " + q + " hit " + hit.Id);
                        }
                    }
                }
            };

            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("raw", new CollectionConfig(2, Metric.Euclidean)))
            {
                c.Upsert(new ulong[] { 1, 2, 3, 4 }, new float[] { 1, 0, 2, 0, 3, 0, 4, 0 }, payloads);
                c.Upsert(new ulong[] { 5, 6 }, new float[] { 5, 0, 6, 0 },
                    new ulong[] { 0, (ulong)Encoding.UTF8.GetByteCount(rawTexts[0]), (ulong)raw.Length }, raw);
                check("as written", c);
                c.Optimize();
                check("after Optimize", c);
            }
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.OpenCollection("raw"))
            {
                check("after reopen", c);
            }
        }

        [Test]
        public void FieldIndexesServeFilteredSearches()
        {
            const int n = 300;
            ulong[] ids = TestData.Ids(0, n);
            float[] vectors = TestData.RandomVectors(n, Dim, 5);
            string[] payloads = ids.Select(i => "{\"tag\":\"t" + (i % 7) + "\",\"n\":" + i + "}").ToArray();
            const string filter = "{\"and\": [{\"field\": \"tag\", \"eq\": \"t4\"}, {\"field\": \"n\", \"gte\": 60}]}";
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("f", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                c.Upsert(ids.Take(150).ToArray(), vectors.Take(150 * Dim).ToArray(), payloads.Take(150).ToArray());
                c.Optimize();
                c.CreateFieldIndex("tag", FieldKind.Keyword);
                c.CreateFieldIndex("n", FieldKind.Integer);
                c.Upsert(ids.Skip(150).ToArray(), vectors.Skip(150 * Dim).ToArray(), payloads.Skip(150).ToArray());
                var list = c.FieldIndexes();
                Assert.That(list.Count, Is.EqualTo(2));
                Assert.That(list[0].Field, Is.EqualTo("tag"));
                Assert.That(list[0].Kind, Is.EqualTo(FieldKind.Keyword));
                Assert.That(list[1].Kind, Is.EqualTo(FieldKind.Integer));
                Assert.That(list[0].RamBytes, Is.GreaterThan(0UL));
                Assert.That(Assert.Throws<QuiverException>(() => c.CreateFieldIndex("tag", FieldKind.Keyword)).Status,
                    Is.EqualTo(QuiverStatus.AlreadyExists));
                Assert.That(Assert.Throws<QuiverException>(() => c.CreateFieldIndex("a..b", FieldKind.Bool)).Status,
                    Is.EqualTo(QuiverStatus.InvalidArgument));
                Assert.That(Assert.Throws<QuiverException>(() => c.CreateFieldIndex("x", (FieldKind)9)).Status,
                    Is.EqualTo(QuiverStatus.InvalidArgument));
                Assert.That(Assert.Throws<QuiverException>(() => c.DropFieldIndex("nope")).Status,
                    Is.EqualTo(QuiverStatus.NotFound));
            }
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.OpenCollection("f"))
            {
                Assert.That(c.FieldIndexes().Count, Is.EqualTo(2));
                for (int q = 0; q < 5; q++)
                {
                    float[] query = vectors.Skip(q * 40 * Dim).Take(Dim).ToArray();
                    var exact = c.Search(query, new SearchOptions(6) { Exact = true, Filter = filter });
                    var got = c.Search(query, new SearchOptions(6) { Filter = filter });
                    Assert.That(exact.Length, Is.EqualTo(6));
                    Assert.That(got.Select(h => h.Id), Is.EqualTo(exact.Select(h => h.Id)), "query " + q);
                    foreach (var h in got)
                    {
                        Assert.That(h.Id % 7 == 4 && h.Id >= 60, Is.True, "hit " + h.Id);
                    }
                }
                c.DropFieldIndex("tag");
                Assert.That(c.FieldIndexes().Select(x => x.Field), Is.EqualTo(new[] { "n" }));
            }
        }
    
        [Test]
        public void FilterBuildersWriteTheHandWrittenJson()
        {
            Assert.That(Filter.Eq("lang", "fr").Json, Is.EqualTo("{\"field\": \"lang\", \"eq\": \"fr\"}"));
            Assert.That(Filter.Gte("year", 2022).Json, Is.EqualTo("{\"field\": \"year\", \"gte\": 2022}"));
            Assert.That(Filter.Lt("x", 2.5).Json, Is.EqualTo("{\"field\": \"x\", \"lt\": 2.5}"));
            Assert.That(Filter.Ne("a", null).Json, Is.EqualTo("{\"field\": \"a\", \"ne\": null}"));
            Assert.That(Filter.Between("n", 1, 9).Json, Is.EqualTo("{\"field\": \"n\", \"between\": [1, 9]}"));
            Assert.That(Filter.In("t", "a", "b").Json, Is.EqualTo("{\"field\": \"t\", \"in\": [\"a\", \"b\"]}"));
            Assert.That(Filter.In("t").Json, Is.EqualTo("{\"field\": \"t\", \"in\": []}"));
            Assert.That(Filter.NotIn("t", 1UL).Json, Is.EqualTo("{\"field\": \"t\", \"nin\": [1]}"));
            Assert.That(Filter.ContainsAll("t", "x").Json, Is.EqualTo("{\"field\": \"t\", \"contains_all\": [\"x\"]}"));
            Assert.That(Filter.ContainsAny("t", true).Json, Is.EqualTo("{\"field\": \"t\", \"contains_any\": [true]}"));
            Assert.That(Filter.Like("s", "50\\%").Json, Is.EqualTo("{\"field\": \"s\", \"like\": \"50\\\\%\"}"));
            Assert.That(Filter.ILike("s", "a\"b").Json, Is.EqualTo("{\"field\": \"s\", \"ilike\": \"a\\\"b\"}"));
            Assert.That(Filter.Exists("m.l").Json, Is.EqualTo("{\"field\": \"m.l\", \"exists\": true}"));
            Assert.That(Filter.IsNull("d").Json, Is.EqualTo("{\"field\": \"d\", \"is_null\": true}"));
            Assert.That(Filter.IsEmpty("d").Json, Is.EqualTo("{\"field\": \"d\", \"is_empty\": true}"));
            Assert.That(Filter.And(Filter.Eq("a", 1), Filter.Or()).Json,
                Is.EqualTo("{\"and\": [{\"field\": \"a\", \"eq\": 1}, {\"or\": []}]}"));
            Assert.That(Filter.Not(Filter.Eq("a", "x\n")).Json, Is.EqualTo("{\"not\": {\"field\": \"a\", \"eq\": \"x\\n\"}}"));
            Assert.Throws<ArgumentException>(() => Filter.Eq("a", double.NaN));
            Assert.Throws<ArgumentException>(() => Filter.Eq("a", new object()));

            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("b", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                ulong[] ids = TestData.Ids(0, 120);
                float[] vectors = TestData.RandomVectors(120, Dim, 9);
                c.Upsert(ids, vectors, ids.Select(i => "{\"n\":" + i + ",\"tag\":\"t" + (i % 5) + "\"}").ToArray());
                var built = Filter.And(Filter.Between("n", 20, 90), Filter.NotIn("tag", "t1", "t2"), Filter.Like("tag", "t_"));
                const string hand = "{\"and\": [{\"field\": \"n\", \"between\": [20, 90]}, {\"field\": \"tag\", \"nin\": [\"t1\", \"t2\"]}, {\"field\": \"tag\", \"like\": \"t_\"}]}";
                Assert.That(built.Json, Is.EqualTo(hand));
                for (int q = 0; q < 3; q++)
                {
                    float[] query = vectors.Skip(q * 7 * Dim).Take(Dim).ToArray();
                    var a = c.Search(query, new SearchOptions(10) { Exact = true, Filter = built.Json });
                    var b = c.Search(query, new SearchOptions(10) { Exact = true, Filter = hand });
                    Assert.That(a.Length, Is.EqualTo(10));
                    Assert.That(a.Select(h => h.Id), Is.EqualTo(b.Select(h => h.Id)));
                    foreach (var h in a)
                    {
                        Assert.That(h.Id >= 20 && h.Id <= 90 && h.Id % 5 != 1 && h.Id % 5 != 2, Is.True, "hit " + h.Id);
                    }
                }
            }
        }
    }
}
