using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// Payload operations, count and delete by filter, the scroll of points (by
    /// id, ordered, with cursors), explain, datetime indexes and the filter
    /// builders of values_count / has_id, each checked against what the known
    /// payloads say; and that bad arguments throw and change nothing.
    /// </summary>
    [TestFixture]
    public class PayloadTests : TempDirFixture
    {
        private const int N = 60;
        private const int Dim = 4;
        private static readonly float[] Vectors = TestData.RandomVectors(N, Dim, 11);
        private static readonly ulong[] AllIds = TestData.Ids(0, N);

        // Compact, keys sorted: what a SET rewrites a payload as, so the
        // expected texts after a SET are predictable.
        private static string Base(ulong i) => "{\"g\":\"g" + (i % 4) + "\",\"keep\":1,\"n\":" + N37(i) + "}";

        private static ulong N37(ulong i) => i * 37 % 101;

        private static float[] VectorOf(ulong i) => Vectors.Skip((int)i * Dim).Take(Dim).ToArray();

        // Points 0..N-1 in two segments: a sealed one (the first half) and the appendable one.
        private static QuiverCollection Fill(QuiverDatabase db, string name = "p")
        {
            var c = db.CreateCollection(name, new CollectionConfig(Dim, Metric.Euclidean));
            string[] payloads = AllIds.Select(Base).ToArray();
            c.Upsert(AllIds.Take(N / 2).ToArray(), Vectors.Take(N / 2 * Dim).ToArray(), payloads.Take(N / 2).ToArray());
            c.Optimize();
            c.Upsert(AllIds.Skip(N / 2).ToArray(), Vectors.Skip(N / 2 * Dim).ToArray(), payloads.Skip(N / 2).ToArray());
            return c;
        }

        private static string[] PayloadsOf(QuiverCollection c, ulong[] ids)
        {
            using (var batch = c.Get(ids))
            {
                return Enumerable.Range(0, batch.Count).Select(batch.GetPayload).ToArray();
            }
        }

        private static QuiverException Invalid(TestDelegate code, string messagePart = null)
        {
            var e = Assert.Throws<QuiverException>(code);
            Assert.That(e.Status, Is.EqualTo(QuiverStatus.InvalidArgument), e.Message);
            if (messagePart != null)
            {
                StringAssert.Contains(messagePart, e.Message);
            }
            return e;
        }

        private static List<ulong> ScrollByPages(QuiverCollection c, ScrollOptions options, int pageSize, out int pages)
        {
            var ids = new List<ulong>();
            pages = 0;
            options.Cursor = null;
            while (true)
            {
                PointsPage page = c.ScrollPoints(options);
                pages++;
                Assert.That(page.Points.Length, Is.LessThanOrEqualTo(pageSize));
                ids.AddRange(page.Points.Select(p => p.Id));
                Assert.That(page.HasNext, Is.EqualTo(page.NextCursor != null));
                if (!page.HasNext)
                {
                    options.Cursor = null;
                    return ids;
                }
                Assert.That(page.Points.Length, Is.EqualTo(pageSize), "only the last page is short");
                Assert.That(pages, Is.LessThan(1000), "the scroll does not end");
                options.Cursor = page.NextCursor;
            }
        }

        [Test]
        public void PayloadOperationsByIds()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                Assert.That(c.SetPayload(new ulong[] { 3, 4, 999 }, "{\"x\":true}"), Is.EqualTo(2), "999 does not exist");
                Assert.That(c.Get(3).Payload, Is.EqualTo("{\"g\":\"g3\",\"keep\":1,\"n\":10,\"x\":true}"));
                Assert.That(c.Get(4).Payload, Is.EqualTo("{\"g\":\"g0\",\"keep\":1,\"n\":47,\"x\":true}"));
                Assert.That(c.Get(5).Payload, Is.EqualTo(Base(5)), "not selected");
                Assert.That(c.Get(3).Vector, Is.EqualTo(VectorOf(3)), "vectors stay");
                Assert.That(c.Get(999), Is.Null, "a missing id is not created");

                Assert.That(c.OverwritePayload(new ulong[] { 3 }, "{\"n\": 1000,  \"g\":\"new\"}"), Is.EqualTo(1));
                Assert.That(c.Get(3).Payload, Is.EqualTo("{\"n\": 1000,  \"g\":\"new\"}"), "kept byte for byte");

                Assert.That(c.DeletePayloadKeys(new ulong[] { 4, 5 }, "keep", "absent.path"), Is.EqualTo(2));
                Assert.That(c.Get(4).Payload, Is.EqualTo("{\"g\":\"g0\",\"n\":47,\"x\":true}"));
                Assert.That(c.Get(5).Payload, Is.EqualTo("{\"g\":\"g1\",\"n\":84}"));

                Assert.That(c.ClearPayload(4, 999), Is.EqualTo(1));
                var four = c.Get(4);
                Assert.That(four, Is.Not.Null, "the point stays");
                Assert.That(four.Payload, Is.Null);
                Assert.That(four.Vector, Is.EqualTo(VectorOf(4)));

                Assert.That(c.SetPayload(new ulong[0], "{\"x\":1}"), Is.EqualTo(0));
                Assert.That(c.DeletePayloadKeys(new ulong[] { 6 }), Is.EqualTo(1), "no keys: applies, changes nothing");
                Assert.That(c.Get(6).Payload, Is.EqualTo(Base(6)));
                Assert.That(c.Count(), Is.EqualTo(N));
            }
            // Everything was durable (and is replayed from the log).
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.OpenCollection("p"))
            {
                Assert.That(PayloadsOf(c, new ulong[] { 3, 4, 5, 6 }), Is.EqualTo(new[]
                {
                    "{\"n\": 1000,  \"g\":\"new\"}", null, "{\"g\":\"g1\",\"n\":84}", Base(6),
                }));
            }
        }

        [Test]
        public void PayloadOperationsByFilter()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                c.CreateFieldIndex("g", FieldKind.Keyword);
                Assert.That(c.SetPayload(Filter.Eq("g", "g2"), "{\"x\":false}"), Is.EqualTo(N / 4));
                Assert.That(c.CountWhere(Filter.Eq("x", false)), Is.EqualTo(N / 4));
                foreach (ulong i in AllIds)
                {
                    string want = i % 4 == 2 ? Base(i).TrimEnd('}') + ",\"x\":false}" : Base(i);
                    Assert.That(c.Get(i).Payload, Is.EqualTo(want), "point " + i);
                }

                // The JSON-text form selects the same way.
                Assert.That(c.SetPayload("{\"field\": \"g\", \"eq\": \"g1\"}", "{\"y\":1}"), Is.EqualTo(N / 4));
                Assert.That(c.Get(1).Payload, Is.EqualTo("{\"g\":\"g1\",\"keep\":1,\"n\":37,\"y\":1}"));

                Assert.That(c.DeletePayloadKeys(Filter.Exists("x"), "keep"), Is.EqualTo(N / 4));
                Assert.That(c.Get(2).Payload, Is.EqualTo("{\"g\":\"g2\",\"n\":74,\"x\":false}"));
                Assert.That(c.Get(0).Payload, Is.EqualTo(Base(0)));
                Assert.That(c.DeletePayloadKeys("{\"field\": \"y\", \"eq\": 1}", "y"), Is.EqualTo(N / 4));
                Assert.That(c.Get(1).Payload, Is.EqualTo(Base(1)));

                Assert.That(c.OverwritePayload(Filter.HasId(7, 8, 1000), "{\"o\": 1}"), Is.EqualTo(2));
                Assert.That(PayloadsOf(c, new ulong[] { 7, 8 }), Is.EqualTo(new[] { "{\"o\": 1}", "{\"o\": 1}" }));
                Assert.That(c.OverwritePayload("{\"field\": \"o\", \"eq\": 1}", "{\"o\":2}"), Is.EqualTo(2));
                Assert.That(c.Get(8).Payload, Is.EqualTo("{\"o\":2}"));

                int g3 = AllIds.Count(i => i % 4 == 3 && i != 7);
                Assert.That(c.ClearPayload(Filter.Eq("g", "g3")), Is.EqualTo(g3));
                Assert.That(c.Get(11).Payload, Is.Null);
                Assert.That(c.ClearPayload("{\"field\": \"o\", \"exists\": true}"), Is.EqualTo(2));
                Assert.That(c.CountWhere(Filter.Exists("g")), Is.EqualTo(N - g3 - 2));
                Assert.That(c.CountWhere(Filter.Eq("g", "g3")), Is.EqualTo(0), "the keyword index follows the updates");

                // {"and": []} matches every point, also those without a payload.
                Assert.That(c.SetPayload(Filter.And(), "{\"all\":1}"), Is.EqualTo(N));
                Assert.That(c.CountWhere(Filter.Eq("all", 1)), Is.EqualTo(N));
                Assert.That(c.Get(11).Payload, Is.EqualTo("{\"all\":1}"));
                Assert.That(c.Count(), Is.EqualTo(N));
            }
        }

        [Test]
        public void DeleteWhereAndCountWhere()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                long below30 = AllIds.Count(i => N37(i) < 30);
                Assert.That(c.CountWhere((string)null), Is.EqualTo(N));
                Assert.That(c.CountWhere(""), Is.EqualTo(N));
                Assert.That(c.CountWhere(Filter.And()), Is.EqualTo(N));
                Assert.That(c.CountWhere(Filter.Or()), Is.EqualTo(0));
                Assert.That(c.CountWhere(Filter.Eq("g", "g1")), Is.EqualTo(N / 4));
                Assert.That(c.CountWhere("{\"field\": \"n\", \"lt\": 30}"), Is.EqualTo(below30));
                // The same, answered by field indexes.
                c.CreateFieldIndex("n", FieldKind.Integer);
                c.CreateFieldIndex("g", FieldKind.Keyword);
                Assert.That(c.CountWhere(Filter.Lt("n", 30)), Is.EqualTo(below30));
                Assert.That(c.CountWhere(Filter.And(Filter.Eq("g", "g1"), Filter.Lt("n", 30))),
                    Is.EqualTo(AllIds.Count(i => i % 4 == 1 && N37(i) < 30)));

                Assert.That(c.DeleteWhere(Filter.Eq("g", "g1")), Is.EqualTo(N / 4));
                Assert.That(c.Count(), Is.EqualTo(N - N / 4));
                Assert.That(c.CountWhere(Filter.Eq("g", "g1")), Is.EqualTo(0));
                Assert.That(c.Get(1), Is.Null);
                Assert.That(c.Get(2), Is.Not.Null);

                long high = AllIds.Count(i => i % 4 != 1 && N37(i) >= 90);
                Assert.That(c.DeleteWhere("{\"field\": \"n\", \"gte\": 90}"), Is.EqualTo(high));
                Assert.That(c.DeleteWhere(Filter.Eq("g", "g1")), Is.EqualTo(0), "nothing left to delete");
                Assert.That(c.Count(), Is.EqualTo(N - N / 4 - high));
                Assert.That(c.CountWhere((string)null), Is.EqualTo(c.Count()));
                Assert.That(c.ScrollIds().Count(), Is.EqualTo(c.Count()));
            }
        }

        [Test]
        public void ScrollOptionsDefaultsComeFromTheLibrary()
        {
            var o = new ScrollOptions();
            Assert.That(o.Limit, Is.EqualTo(100));
            Assert.That(o.WithPayload, Is.True);
            Assert.That(o.WithVectors, Is.False);
            Assert.That(o.Descending, Is.False);
            Assert.That(o.Filter, Is.Null);
            Assert.That(o.OrderBy, Is.Null);
            Assert.That(o.Cursor, Is.Null);
            Assert.That(new ScrollOptions(7).Limit, Is.EqualTo(7));
            Assert.Throws<ArgumentOutOfRangeException>(() => new ScrollOptions(-1));
        }

        [Test]
        public void ScrollPointsByIdWithAFilterInPages()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                ulong[] g0 = AllIds.Where(i => i % 4 == 0).ToArray();
                var options = new ScrollOptions(7) { Filter = Filter.Eq("g", "g0").Json };
                List<ulong> got = ScrollByPages(c, options, 7, out int pages);
                Assert.That(got, Is.EqualTo(g0));
                Assert.That(pages, Is.EqualTo((g0.Length + 6) / 7));

                options.Cursor = null;
                PointsPage first = c.ScrollPoints(options);
                Assert.That(first.Points.Select(p => p.Id), Is.EqualTo(g0.Take(7)));
                Assert.That(first.Points.All(p => p.Vector == null), Is.True, "no vectors unless asked for");
                Assert.That(first.Points.Select(p => p.Payload), Is.EqualTo(g0.Take(7).Select(Base)));
                Assert.That(first.NextCursor, Is.Not.Null);

                // Resuming from a cursor, and every page at once.
                options.Cursor = first.NextCursor;
                Assert.That(c.ScrollAllPoints(options).Select(p => p.Id), Is.EqualTo(g0.Skip(7)));
                options.Cursor = null;
                Assert.That(c.ScrollAllPoints(options).Select(p => p.Id), Is.EqualTo(g0));

                var vectorsOnly = new ScrollOptions(5) { WithVectors = true, WithPayload = false, Filter = Filter.HasId(2, 9, 44).Json };
                QuiverPoint[] pts = c.ScrollAllPoints(vectorsOnly).ToArray();
                Assert.That(pts.Select(p => p.Id), Is.EqualTo(new ulong[] { 2, 9, 44 }));
                Assert.That(pts.All(p => p.Payload == null), Is.True);
                foreach (var p in pts)
                {
                    Assert.That(p.Vector, Is.EqualTo(VectorOf(p.Id)), "point " + p.Id);
                }

                PointsPage all = c.ScrollPoints();
                Assert.That(all.Points.Select(p => p.Id), Is.EqualTo(AllIds), "default: 100 a page, by id");
                Assert.That(all.NextCursor, Is.Null);
                Assert.That(all.HasNext, Is.False);
                Assert.That(c.ScrollPoints(new ScrollOptions { Filter = Filter.Or().Json }).Points, Is.Empty);
            }
        }

        [Test]
        public void ScrollPointsOrderedByAnIntegerIndexAscendingAndDescending()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("o", new CollectionConfig(Dim, Metric.Euclidean)))
            {
                // r has ties (by ascending id); some points have no integer r.
                Func<ulong, string> payload = i =>
                    i % 11 == 5 ? "{\"g\":\"g" + (i % 4) + "\"}" :
                    i % 11 == 6 ? "{\"g\":\"g" + (i % 4) + "\",\"r\":\"seven\"}" :
                    "{\"g\":\"g" + (i % 4) + "\",\"r\":" + (i * 7 % 13) + "}";
                string[] payloads = AllIds.Select(payload).ToArray();
                c.Upsert(AllIds.Take(25).ToArray(), Vectors.Take(25 * Dim).ToArray(), payloads.Take(25).ToArray());
                c.Optimize();
                c.CreateFieldIndex("r", FieldKind.Integer);
                c.Upsert(AllIds.Skip(25).ToArray(), Vectors.Skip(25 * Dim).ToArray(), payloads.Skip(25).ToArray());

                ulong[] withR = AllIds.Where(i => i % 11 != 5 && i % 11 != 6).ToArray();
                ulong[] asc = withR.OrderBy(i => i * 7 % 13).ThenBy(i => i).ToArray();
                ulong[] desc = withR.OrderByDescending(i => i * 7 % 13).ThenBy(i => i).ToArray();

                var up = new ScrollOptions(8) { OrderBy = "r" };
                Assert.That(ScrollByPages(c, up, 8, out int pages), Is.EqualTo(asc));
                Assert.That(pages, Is.GreaterThan(3));
                var down = new ScrollOptions(8) { OrderBy = "r", Descending = true };
                Assert.That(ScrollByPages(c, down, 8, out pages), Is.EqualTo(desc));

                down.Cursor = null;
                Assert.That(c.ScrollAllPoints(down).Select(p => p.Id), Is.EqualTo(desc));
                var downG0 = new ScrollOptions(3) { OrderBy = "r", Descending = true, Filter = Filter.Eq("g", "g0").Json, WithVectors = true };
                QuiverPoint[] pts = c.ScrollAllPoints(downG0).ToArray();
                Assert.That(pts.Select(p => p.Id), Is.EqualTo(desc.Where(i => i % 4 == 0)));
                Assert.That(pts.Select(p => p.Payload), Is.EqualTo(pts.Select(p => payload(p.Id))));
                Assert.That(pts[0].Vector, Is.EqualTo(VectorOf(pts[0].Id)));

                // The order follows payload updates through the index.
                c.SetPayload(new ulong[] { asc[0] }, "{\"r\":100}");
                Assert.That(c.ScrollPoints(new ScrollOptions(1) { OrderBy = "r", Descending = true }).Points[0].Id, Is.EqualTo(asc[0]));
            }
        }

        [Test]
        public void ExplainDescribesThePlanOfEachSegment()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                c.CreateFieldIndex("n", FieldKind.Integer);
                float[] query = VectorOf(0);
                var options = new SearchOptions(5) { Filter = Filter.Lt("n", 5).Json };
                SearchExplanation e = c.Explain(query, options);
                StringAssert.Contains("\"segments\":[", e.Json);
                StringAssert.Contains("\"hits\":[", e.Json);
                Assert.That(e.ToString(), Is.EqualTo(e.Json));

                SearchHit[] hits = c.Search(query, options);
                Assert.That(hits.Length, Is.EqualTo(AllIds.Count(i => N37(i) < 5)));
                Assert.That(e.Hits.Select(h => h.Id), Is.EqualTo(hits.Select(h => h.Id)));
                Assert.That(e.Hits.Select(h => h.Score), Is.EqualTo(hits.Select(h => h.Score)));

                Assert.That(e.Segments.Count, Is.GreaterThanOrEqualTo(2), "a sealed and the appendable segment");
                Assert.That(e.Segments.Sum(s => s.Live), Is.EqualTo(N));
                var statsIds = c.Stats().Segments.Select(s => s.Id).ToArray();
                var plans = new[] { "graph", "graph-indexed", "graph-two-hop", "graph-filtered", "scan-candidates", "scan-filtered", "scan", "none" };
                foreach (var s in e.Segments)
                {
                    Assert.That(statsIds, Contains.Item(s.Segment), s.ToString());
                    Assert.That(new[] { "sealed", "frozen", "appendable" }, Contains.Item(s.Kind), s.ToString());
                    Assert.That(plans, Contains.Item(s.Plan), s.ToString());
                    Assert.That(s.Sure, Is.Not.Null, "the index answers n < 5: " + s);
                    Assert.That(s.Cost, Is.GreaterThanOrEqualTo(0), s.ToString());
                    Assert.That(s.Estimate, Is.GreaterThanOrEqualTo(0), s.ToString());
                    Assert.That(s.ToCheck, Is.LessThanOrEqualTo(s.Live), s.ToString());
                }
                Assert.That(e.Segments.Select(s => s.Plan), Contains.Item("scan-candidates"), e.Json);

                // Without a filter no index answers; a filter on an unindexed field neither.
                SearchExplanation plain = c.Explain(query, new SearchOptions(3));
                Assert.That(plain.Hits.Select(h => h.Id), Is.EqualTo(c.Search(query, new SearchOptions(3)).Select(h => h.Id)));
                Assert.That(plain.Segments.All(s => s.Sure == null), Is.True, plain.Json);
                Assert.That(plain.Segments.All(s => s.Plan == "graph" || s.Plan == "scan"), Is.True, plain.Json);
                SearchExplanation unindexed = c.Explain(query, new SearchOptions(3) { Filter = Filter.Eq("g", "g1").Json, Exact = true });
                Assert.That(unindexed.Hits.All(h => h.Id % 4 == 1), Is.True, unindexed.Json);
                Assert.That(unindexed.Segments.All(s => s.Sure == null), Is.True, unindexed.Json);

                Assert.That(Assert.Throws<QuiverException>(() => c.Explain(new float[] { 1, 0 }, options)).Status,
                    Is.EqualTo(QuiverStatus.DimensionMismatch));
                Invalid(() => c.Explain(query, new SearchOptions(0)));
                Invalid(() => c.Explain(query, new SearchOptions { Filter = "{\"field\": \"n\", \"lt\": }" }));
                Invalid(() => c.Explain(new float[] { 1, float.NaN, 0, 0 }));
            }
        }

        [Test]
        public void DatetimeIndexAnswersRangesByInstant()
        {
            var at = new Dictionary<ulong, string>
            {
                { 1, "2024-01-01T00:30:00Z" },
                { 2, "2024-01-01T01:00:00+02:00" }, // 2023-12-31T23:00Z: after 1 as a string, before it as an instant
                { 3, "2023-12-31" },                // a date: midnight UTC
                { 4, "2024-06-15T12:00:00-05:00" },
                { 5, "2025-02-01T00:00:00Z" },
                { 6, "not a date" },                // compared as a string: after "2024-..."
            };
            ulong[] ids = { 1, 2, 3, 4, 5, 6, 7 };
            string[] payloads = ids.Select(i => at.ContainsKey(i) ? "{\"at\":\"" + at[i] + "\"}" : "{\"other\":1}").ToArray();
            var since2024 = Filter.Gte("at", "2024-01-01T00:00:00Z");
            var lastDay2023 = Filter.Between("at", "2023-12-31T00:00:00Z", "2024-01-01T00:00:00Z");
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("dt", CollectionConfig.MetadataOnly()))
            {
                c.Upsert(ids, (float[])null, payloads);
                Func<Filter, ulong[]> matching = f => c.ScrollAllPoints(new ScrollOptions { Filter = f.Json }).Select(p => p.Id).ToArray();
                Assert.That(matching(since2024), Is.EqualTo(new ulong[] { 1, 4, 5, 6 }), "without an index");
                Assert.That(matching(lastDay2023), Is.EqualTo(new ulong[] { 2, 3 }));

                c.CreateFieldIndex("at", FieldKind.Datetime);
                Assert.That(c.FieldIndexes().Single().Kind, Is.EqualTo(FieldKind.Datetime));
                Assert.That(c.CountWhere(since2024), Is.EqualTo(4));
                Assert.That(matching(since2024), Is.EqualTo(new ulong[] { 1, 4, 5, 6 }));
                Assert.That(matching(lastDay2023), Is.EqualTo(new ulong[] { 2, 3 }));
                Assert.That(matching(Filter.Lt("at", "2024-01-01T00:00:00+00:00")), Is.EqualTo(new ulong[] { 2, 3 }));
                Assert.That(c.CountWhere(Filter.Gt("at", "2024-06-15T16:59:59Z")), Is.EqualTo(3));

                // Ordered by instant; the value that is not a datetime and the missing one are left out.
                var up = new ScrollOptions(2) { OrderBy = "at" };
                Assert.That(ScrollByPages(c, up, 2, out int pages), Is.EqualTo(new ulong[] { 3, 2, 1, 4, 5 }));
                var down = new ScrollOptions(2) { OrderBy = "at", Descending = true, WithVectors = true };
                QuiverPoint[] pts = c.ScrollAllPoints(down).ToArray();
                Assert.That(pts.Select(p => p.Id), Is.EqualTo(new ulong[] { 5, 4, 1, 2, 3 }));
                Assert.That(pts[0].Vector, Is.Empty, "metadata-only: no floats");

                // Payload operations on a metadata-only collection, through the index.
                Assert.That(c.SetPayload(Filter.Eq("at", "not a date"), "{\"at\":\"2023-06-01T00:00:00Z\"}"), Is.EqualTo(1));
                Assert.That(c.CountWhere(since2024), Is.EqualTo(3));
                Assert.That(c.DeleteWhere(lastDay2023), Is.EqualTo(2));
                Assert.That(c.ScrollAllPoints(up).Select(p => p.Id), Is.EqualTo(new ulong[] { 6, 1, 4, 5 }));
            }
        }

        [Test]
        public void ValuesCountHasIdAndArrayPathBuilders()
        {
            Assert.That(Filter.ValuesCount("words", 2, 5).Json, Is.EqualTo("{\"field\": \"words\", \"values_count\": {\"gte\": 2, \"lte\": 5}}"));
            Assert.That(Filter.ValuesCount("words", 1).Json, Is.EqualTo("{\"field\": \"words\", \"values_count\": {\"gte\": 1}}"));
            Assert.That(Filter.ValuesCount("a.b", 0, 1).Json, Is.EqualTo("{\"field\": \"a.b\", \"values_count\": {\"gte\": 0, \"lte\": 1}}"));
            Assert.That(Filter.HasId(1, 2, 3).Json, Is.EqualTo("{\"has_id\": [1, 2, 3]}"));
            Assert.That(Filter.HasId().Json, Is.EqualTo("{\"has_id\": []}"));
            Assert.That(Filter.HasId(ulong.MaxValue).Json, Is.EqualTo("{\"has_id\": [18446744073709551615]}"));
            Assert.That(Filter.Eq("tags[].name", "red").Json, Is.EqualTo("{\"field\": \"tags[].name\", \"eq\": \"red\"}"));
            Assert.That(Filter.And(Filter.HasId(5), Filter.ValuesCount("w", 1, 3)).Json,
                Is.EqualTo("{\"and\": [{\"has_id\": [5]}, {\"field\": \"w\", \"values_count\": {\"gte\": 1, \"lte\": 3}}]}"));

            // words: i % 5 strings (none: no field); tags: objects, the first red for even ids.
            Func<ulong, string> payload = i =>
                "{" + (i % 5 == 0 ? "" : "\"words\":[" + string.Join(",", Enumerable.Range(0, (int)(i % 5)).Select(k => "\"w" + k + "\"")) + "],") +
                "\"tags\":[{\"name\":\"" + (i % 2 == 0 ? "red" : "blue") + "\",\"w\":" + i + "},{\"name\":\"green\"}]}";
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("v", CollectionConfig.MetadataOnly()))
            {
                c.Upsert(AllIds, (float[])null, AllIds.Select(payload).ToArray());
                long twoToFour = AllIds.Count(i => i % 5 >= 2);
                Assert.That(c.CountWhere(Filter.ValuesCount("words", 2, 5)), Is.EqualTo(twoToFour));
                Assert.That(c.CountWhere(Filter.ValuesCount("words", 2, 3)), Is.EqualTo(AllIds.Count(i => i % 5 >= 2 && i % 5 <= 3)));
                Assert.That(c.CountWhere("{\"field\": \"words\", \"values_count\": {\"gte\": 2, \"lte\": 4}}"), Is.EqualTo(twoToFour));
                Assert.That(c.CountWhere(Filter.ValuesCount("words", 0, 0)), Is.EqualTo(N / 5), "a missing field holds 0 values");
                Assert.That(c.CountWhere(Filter.ValuesCount("tags", 2)), Is.EqualTo(N));
                Invalid(() => c.CountWhere(Filter.ValuesCount("words", -1)), "values_count");

                Assert.That(c.CountWhere(Filter.HasId(1, 2, 3, 999)), Is.EqualTo(3));
                Assert.That(c.CountWhere(Filter.HasId()), Is.EqualTo(0));
                Assert.That(c.CountWhere(Filter.Not(Filter.HasId(1, 2))), Is.EqualTo(N - 2));
                Assert.That(c.ScrollAllPoints(new ScrollOptions { Filter = Filter.And(Filter.HasId(1, 2, 3, 4), Filter.ValuesCount("words", 3)).Json })
                    .Select(p => p.Id), Is.EqualTo(new ulong[] { 3, 4 }));

                Assert.That(c.CountWhere(Filter.Eq("tags[].name", "red")), Is.EqualTo(N / 2));
                Assert.That(c.CountWhere(Filter.Eq("tags[].name", "green")), Is.EqualTo(N));
                Assert.That(c.CountWhere(Filter.Gte("tags[].w", 50)), Is.EqualTo(N - 50));
                c.CreateFieldIndex("tags[].name", FieldKind.Keyword);
                Assert.That(c.CountWhere(Filter.Eq("tags[].name", "red")), Is.EqualTo(N / 2), "with an index");

                // DeletePayloadKeys with a [] path removes the key from each element.
                Assert.That(c.DeletePayloadKeys(Filter.HasId(0, 1), "tags[].name", "words"), Is.EqualTo(2));
                Assert.That(c.Get(0).Payload, Is.EqualTo("{\"tags\":[{\"w\":0},{}]}"));
                Assert.That(c.Get(1).Payload, Is.EqualTo("{\"tags\":[{\"w\":1},{}]}"));
                Assert.That(c.CountWhere(Filter.Eq("tags[].name", "green")), Is.EqualTo(N - 2));
            }
        }

        [Test]
        public void BadArgumentsThrowAndChangeNothing()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db))
            {
                c.CreateFieldIndex("g", FieldKind.Keyword);
                c.CreateFieldIndex("n", FieldKind.Integer);
                string[] before = PayloadsOf(c, AllIds);
                ulong[] ids = { 1, 2 };

                Invalid(() => c.SetPayload(ids, "[1]"), "must be a JSON object");
                Invalid(() => c.SetPayload(ids, "{not json"), "arg_json");
                Invalid(() => c.SetPayload(ids, ""));
                Invalid(() => c.OverwritePayload(ids, "3"));
                Invalid(() => c.OverwritePayload(Filter.Eq("g", "g0"), "{\"a\": "));
                Invalid(() => c.SetPayload("{\"field\": \"g\", \"eqq\": 1}", "{\"x\":1}"), "unknown operator \"eqq\"");
                Invalid(() => c.SetPayload("", "{\"x\":1}"), "needs a filter");
                Invalid(() => c.ClearPayload(""), "needs a filter");
                Invalid(() => c.ClearPayload("not json"));
                Invalid(() => c.DeletePayloadKeys(ids, "a..b"), "keys[0]");
                Invalid(() => c.DeletePayloadKeys(Filter.Eq("g", "g0"), "keep", "b."), "keys[1]");
                Invalid(() => c.DeletePayloadKeys(Filter.FromJson("{\"field\": \"g\"}"), "keep"));

                Invalid(() => c.DeleteWhere(""), "filter");
                Invalid(() => c.DeleteWhere("{\"field\":\"g\",\"eqq\":1}"), "unknown operator \"eqq\"");
                Invalid(() => c.DeleteWhere(Filter.FromJson("[1]")));
                Invalid(() => c.CountWhere("{\"nope\": 1}"));
                Invalid(() => c.CountWhere(Filter.HasId().Json.Replace("[]", "1")), "has_id");

                Invalid(() => c.ScrollPoints(new ScrollOptions { OrderBy = "g" }), "no integer, float or datetime index");
                Invalid(() => c.ScrollPoints(new ScrollOptions { OrderBy = "keep" }), "no integer, float or datetime index");
                Invalid(() => c.ScrollPoints(new ScrollOptions { OrderBy = "a..b" }));
                Invalid(() => c.ScrollPoints(new ScrollOptions { Cursor = "bogus" }), "\"bogus\"");
                Invalid(() => c.ScrollPoints(new ScrollOptions(0)), "limit");
                Invalid(() => c.ScrollPoints(new ScrollOptions { Filter = "{\"field\": 1}" }));
                Invalid(() => c.ScrollAllPoints(new ScrollOptions { Cursor = "id:x" }).ToList());
                string byId = c.ScrollPoints(new ScrollOptions(5)).NextCursor;
                string ordered = c.ScrollPoints(new ScrollOptions(5) { OrderBy = "n" }).NextCursor;
                Assert.That(byId, Is.Not.Null);
                Assert.That(ordered, Is.Not.Null);
                Invalid(() => c.ScrollPoints(new ScrollOptions(5) { Cursor = ordered }), "ordered scroll's cursor");
                Invalid(() => c.ScrollPoints(new ScrollOptions(5) { OrderBy = "n", Cursor = byId }), "scroll by id's cursor");

                // Caught by the binding before any call.
                Assert.Throws<ArgumentNullException>(() => c.SetPayload((ulong[])null, "{}"));
                Assert.Throws<ArgumentNullException>(() => c.SetPayload(ids, null));
                Assert.Throws<ArgumentNullException>(() => c.SetPayload((Filter)null, "{}"));
                Assert.Throws<ArgumentNullException>(() => c.OverwritePayload((string)null, "{}"));
                Assert.Throws<ArgumentNullException>(() => c.DeletePayloadKeys(ids, (string[])null));
                Assert.Throws<ArgumentNullException>(() => c.DeletePayloadKeys(ids, "keep", null));
                Assert.Throws<ArgumentNullException>(() => c.ClearPayload((ulong[])null));
                Assert.Throws<ArgumentNullException>(() => c.DeleteWhere((string)null));
                Assert.Throws<ArgumentNullException>(() => c.CountWhere((Filter)null));
                Assert.Throws<ArgumentNullException>(() => c.Explain(null));
                Assert.Throws<ArgumentException>(() => c.SetPayload(ids, "{\"a\": \"\ud800\"}"));
                Assert.Throws<ArgumentException>(() => c.DeletePayloadKeys(ids, "\ud800"));

                Assert.That(PayloadsOf(c, AllIds), Is.EqualTo(before), "a rejected call changes nothing");
                Assert.That(c.Count(), Is.EqualTo(N));
            }
        }

        [Test]
        public void DisposedCollectionThrowsClosed()
        {
            using (var db = OpenFast(DbPath()))
            {
                var c = Fill(db);
                c.Dispose();
                TestDelegate[] calls =
                {
                    () => c.SetPayload(new ulong[] { 1 }, "{}"),
                    () => c.ClearPayload(Filter.And()),
                    () => c.DeleteWhere(Filter.And()),
                    () => c.CountWhere(Filter.And()),
                    () => c.ScrollPoints(),
                    () => c.ScrollAllPoints().First(),
                    () => c.Explain(new float[Dim]),
                };
                foreach (var call in calls)
                {
                    Assert.That(Assert.Throws<QuiverException>(call).Status, Is.EqualTo(QuiverStatus.Closed));
                }
                using (var again = db.OpenCollection("p"))
                {
                    Assert.That(again.CountWhere((string)null), Is.EqualTo(N));
                }
            }
        }
    }
}
