using System;
using System.Linq;
using NUnit.Framework;

namespace Quiver.Tests
{
    [TestFixture]
    public class CrudTests : TempDirFixture
    {
        private static readonly string[] Payloads =
        {
            "{\"lang\": \"en\", \"year\": 2021, \"tags\": [\"a\", \"b\"]}",
            "{\"lang\": \"fr\", \"year\": 2023}",
            null,
            "{\"lang\": \"fr\", \"year\": 2019, \"title\": \"caf\u00e9 \u2615 \ud83d\ude00\"}",
        };

        // Four 3-d points: 1 = x axis, 2 = y axis, 3 = z axis, 4 = between x and y.
        private static readonly float[] Vectors = { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0 };

        [Test]
        public void VersionMatchesTheBinding()
        {
            Assert.That(QuiverLibrary.Version, Is.StringMatching(@"^\d+\.\d+\.\d+"));
            Assert.That(QuiverLibrary.AbiVersion, Is.EqualTo(QuiverLibrary.ExpectedAbiVersion));
        }

        [Test]
        public void CreateListOpenDropCollections()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            {
                Assert.That(db.ListCollections(), Is.Empty);
                using (var a = db.CreateCollection("docs", new CollectionConfig(3)))
                using (var b = db.CreateCollection("b-2.x_y", new CollectionConfig(8, Metric.Euclidean) { HnswM = 8, HnswEfConstruction = 50, HnswEfSearch = 32 }))
                using (var m = db.CreateCollection("meta", CollectionConfig.MetadataOnly()))
                {
                    Assert.That(a.Name, Is.EqualTo("docs"));
                    Assert.That(a.Dimension, Is.EqualTo(3));
                    Assert.That(a.Database, Is.SameAs(db));
                    var cfg = b.Config;
                    Assert.That(cfg.Kind, Is.EqualTo(CollectionKind.Vector));
                    Assert.That(cfg.Dimension, Is.EqualTo(8));
                    Assert.That(cfg.Metric, Is.EqualTo(Metric.Euclidean));
                    Assert.That(cfg.HnswM, Is.EqualTo(8));
                    Assert.That(cfg.HnswEfConstruction, Is.EqualTo(50));
                    Assert.That(cfg.HnswEfSearch, Is.EqualTo(32));
                    Assert.That(m.Config.Kind, Is.EqualTo(CollectionKind.MetadataOnly));
                    Assert.That(m.Dimension, Is.EqualTo(0));
                }
                Assert.That(db.ListCollections(), Is.EqualTo(new[] { "b-2.x_y", "docs", "meta" }));
                using (var again = db.OpenCollection("docs"))
                {
                    Assert.That(again.Config.Metric, Is.EqualTo(Metric.Cosine));
                    Assert.That(again.Config.HnswM, Is.EqualTo(16), "library default");
                }
                db.DropCollection("b-2.x_y");
                Assert.That(db.ListCollections(), Is.EqualTo(new[] { "docs", "meta" }));
            }
        }

        [Test]
        public void DefaultsComeFromTheLibrary()
        {
            var c = new CollectionConfig(5);
            Assert.That(c.Kind, Is.EqualTo(CollectionKind.Vector));
            Assert.That(c.Metric, Is.EqualTo(Metric.Cosine));
            Assert.That(c.HnswM, Is.EqualTo(16));
            Assert.That(c.HnswEfConstruction, Is.EqualTo(200));
            Assert.That(c.HnswEfSearch, Is.EqualTo(64));
            Assert.That(new DatabaseOptions().Sync, Is.EqualTo(SyncMode.EveryBatch));
            var s = new SearchOptions();
            Assert.That(s.K, Is.EqualTo(10));
            Assert.That(s.Ef, Is.EqualTo(0));
            Assert.That(s.Exact, Is.False);
            Assert.That(s.WithPayload, Is.False);
            Assert.That(s.Filter, Is.Null);
        }

        [Test]
        public void UpsertGetCountDelete()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.CreateCollection("docs", new CollectionConfig(3)))
            {
                c.Upsert(new ulong[] { 1, 2, 3, 4 }, Vectors, Payloads);
                Assert.That(c.Count(), Is.EqualTo(4));

                using (var batch = c.Get(4, 3, 99, 1))
                {
                    Assert.That(batch.Count, Is.EqualTo(4));
                    Assert.That(batch.Dimension, Is.EqualTo(3));
                    Assert.That(batch.GetId(0), Is.EqualTo(4));
                    Assert.That(batch.GetId(2), Is.EqualTo(99));
                    Assert.That(batch.IsFound(0) && batch.IsFound(1) && batch.IsFound(3), Is.True);
                    Assert.That(batch.IsFound(2), Is.False);
                    Assert.That(batch.GetPoint(2), Is.Null);
                    Assert.That(batch.GetPayload(2), Is.Null);
                    Assert.That(batch.GetVector(2), Is.EqualTo(new float[3]));
                    // Cosine collections store vectors normalised.
                    float h = (float)Math.Sqrt(0.5);
                    Assert.That(batch.GetVector(0), Is.EqualTo(new[] { h, h, 0f }).Within(1e-6));
                    Assert.That(batch.GetVector(3), Is.EqualTo(new[] { 1f, 0f, 0f }));
                    Assert.That(batch.GetPayload(1), Is.Null, "point 3 was upserted without payload");
                    StringAssert.Contains("caf\u00e9 \u2615 \ud83d\ude00", batch.GetPayload(0), "UTF-8 round trip");
                    StringAssert.Contains("\"en\"", batch.GetPayload(3));
                    var dest = new float[5];
                    batch.CopyVector(3, dest, 2);
                    Assert.That(dest, Is.EqualTo(new[] { 0f, 0f, 1f, 0f, 0f }));
                    Assert.Throws<ArgumentOutOfRangeException>(() => batch.GetId(4));
                    Assert.Throws<ArgumentException>(() => batch.CopyVector(0, dest, 3));
                }

                var p = c.Get(2);
                Assert.That(p.Id, Is.EqualTo(2));
                Assert.That(p.Vector, Is.EqualTo(new[] { 0f, 1f, 0f }));
                StringAssert.Contains("\"fr\"", p.Payload);
                Assert.That(c.Get(12345), Is.Null);

                // Replace: the last write wins, also within one batch.
                c.Upsert(new ulong[] { 2, 2 }, new float[][] { new float[] { 0, 0, 5 }, new float[] { 0, 2, 0 } },
                    new[] { "{\"v\": 1}", "{\"v\": 2}" });
                Assert.That(c.Count(), Is.EqualTo(4));
                StringAssert.Contains("2", c.Get(2).Payload);
                c.Upsert(7, new float[] { 0, 1, 1 });
                Assert.That(c.Count(), Is.EqualTo(5));

                Assert.That(c.Delete(1, 7, 1000), Is.EqualTo(2));
                Assert.That(c.Count(), Is.EqualTo(3));
                Assert.That(c.Get(1), Is.Null);
                Assert.That(c.Delete(new ulong[0]), Is.EqualTo(0));
                c.Checkpoint();
            }
        }

        [Test]
        public void PrecodedPayloadsAreUsedAsTheyAre()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.CreateCollection("docs", new CollectionConfig(2)))
            {
                byte[] data = System.Text.Encoding.UTF8.GetBytes("{\"a\":1}{\"b\":2}");
                c.Upsert(new ulong[] { 1, 2, 3 }, new float[] { 1, 0, 0, 1, 1, 1 }, new ulong[] { 0, 7, 7, 14 }, data);
                StringAssert.Contains("\"a\"", c.Get(1).Payload);
                Assert.That(c.Get(2).Payload, Is.Null);
                StringAssert.Contains("\"b\"", c.Get(3).Payload);
                c.Upsert(new ulong[] { 4 }, new float[] { 1, 2 }, null, null);
                Assert.That(c.Get(4).Payload, Is.Null);
            }
        }

        [Test]
        public void SearchRanksByMetricWithFiltersAndPayloads()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.CreateCollection("docs", new CollectionConfig(3)))
            {
                c.Upsert(new ulong[] { 1, 2, 3, 4 }, Vectors, Payloads);

                var hits = c.Search(new float[] { 0.9f, 0.1f, 0 }, new SearchOptions(3));
                Assert.That(hits.Select(x => x.Id), Is.EqualTo(new ulong[] { 1, 4, 2 }));
                Assert.That(hits[0].Score, Is.GreaterThan(hits[1].Score));
                Assert.That(hits[0].Payload, Is.Null, "no payloads unless asked for");

                var exact = c.Search(new float[] { 0.9f, 0.1f, 0 }, new SearchOptions(10) { Exact = true, Ef = 5 });
                Assert.That(exact.Length, Is.EqualTo(4), "k larger than the collection");

                var fr = new SearchOptions(10) { Filter = "{\"field\": \"lang\", \"eq\": \"fr\"}", WithPayload = true };
                hits = c.Search(new float[] { 1, 0, 0 }, fr);
                Assert.That(hits.Select(x => x.Id), Is.EqualTo(new ulong[] { 4, 2 }));
                Assert.That(hits.All(x => x.Payload.Contains("fr")), Is.True);

                var recent = new SearchOptions(10) { Filter = "{\"and\": [{\"field\": \"lang\", \"eq\": \"fr\"}, {\"field\": \"year\", \"gte\": 2022}]}" };
                Assert.That(c.Search(new float[] { 1, 0, 0 }, recent).Select(x => x.Id), Is.EqualTo(new ulong[] { 2 }));
            }
        }

        [Test]
        public void EuclideanScoresAreDistances()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.CreateCollection("l2", new CollectionConfig(2, Metric.Euclidean)))
            {
                c.Upsert(new ulong[] { 10, 20, 30 }, new float[] { 0, 0, 3, 4, 10, 10 });
                var hits = c.Search(new float[] { 0, 0 }, new SearchOptions(3));
                Assert.That(hits.Select(x => x.Id), Is.EqualTo(new ulong[] { 10, 20, 30 }));
                Assert.That(hits[1].Score, Is.EqualTo(5f).Within(1e-5));
            }
        }

        [Test]
        public void BatchSearchInAllThreeForms()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.CreateCollection("docs", new CollectionConfig(3)))
            {
                c.Upsert(new ulong[] { 1, 2, 3, 4 }, Vectors, Payloads);
                float[] flat = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
                var opts = new SearchOptions(2) { WithPayload = true };

                using (var r = c.SearchBatch(flat, opts))
                {
                    Assert.That(r.QueryCount, Is.EqualTo(3));
                    Assert.That(r.TotalHits, Is.EqualTo(6));
                    Assert.That(r.HitCount(2), Is.EqualTo(2));
                    Assert.That(r.GetIds(0), Is.EqualTo(new ulong[] { 1, 4 }));
                    Assert.That(r.GetIds(1), Is.EqualTo(new ulong[] { 2, 4 }));
                    Assert.That(r.GetId(2, 0), Is.EqualTo(3));
                    Assert.That(r.GetScore(2, 0), Is.EqualTo(1f).Within(1e-6));
                    Assert.That(r.GetPayload(2, 0), Is.Null);
                    StringAssert.Contains("\"en\"", r.GetPayload(0, 0));
                    Assert.That(r[1, 0].Id, Is.EqualTo(2));
                    StringAssert.Contains("\"fr\"", r[1, 0].Payload);
                    var hits = r.GetHits(0);
                    Assert.That(hits.Length, Is.EqualTo(2));
                    var ids = new ulong[6];
                    var scores = new float[6];
                    var offsets = new long[4];
                    r.CopyTo(ids, scores, offsets);
                    Assert.That(ids, Is.EqualTo(new ulong[] { 1, 4, 2, 4, 3, ids[5] }));
                    Assert.That(offsets, Is.EqualTo(new long[] { 0, 2, 4, 6 }));
                    Assert.Throws<ArgumentOutOfRangeException>(() => r.HitCount(3));
                    Assert.Throws<ArgumentOutOfRangeException>(() => r.GetId(0, 2));
                    Assert.Throws<ArgumentOutOfRangeException>(() => r.GetId(-1, 0));
                }

                using (var r = c.SearchBatch(new[] { new float[] { 0, 1, 0 }, new float[] { 1, 1, 0 } }, new SearchOptions(1)))
                {
                    Assert.That(r.GetId(0, 0), Is.EqualTo(2));
                    Assert.That(r.GetId(1, 0), Is.EqualTo(4));
                    Assert.That(r.GetPayload(1, 0), Is.Null);
                }

                var outIds = new ulong[9];
                var outScores = new float[9];
                var counts = new int[3];
                int nq = c.SearchBatchInto(flat, new SearchOptions(3) { Filter = "{\"field\": \"lang\", \"eq\": \"fr\"}" }, outIds, outScores, counts);
                Assert.That(nq, Is.EqualTo(3));
                Assert.That(counts, Is.EqualTo(new[] { 2, 2, 2 }));
                Assert.That(outIds.Take(2), Is.EqualTo(new ulong[] { 4, 2 }));
                Assert.That(outIds[2], Is.EqualTo(ulong.MaxValue), "unused slot: QV_NO_ID");
                Assert.That(float.IsNaN(outScores[2]), Is.True, "unused slot: NaN");
            }
        }

        [Test]
        public void ScrollPagesThroughIdsWithAFilter()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = db.CreateCollection("docs", new CollectionConfig(2)))
            {
                ulong[] ids = TestData.Ids(1, 25);
                var payloads = ids.Select(i => "{\"even\": " + (i % 2 == 0 ? "true" : "false") + "}").ToArray();
                c.Upsert(ids, TestData.RandomVectors(25, 2, 1), payloads);

                var page = c.Scroll(0, 10);
                Assert.That(page.Ids, Is.EqualTo(TestData.Ids(1, 10)));
                Assert.That(page.HasNext, Is.True);
                page = c.Scroll(page.Next, 10);
                Assert.That(page.Ids, Is.EqualTo(TestData.Ids(11, 10)));
                page = c.Scroll(page.Next, 10);
                Assert.That(page.Ids, Is.EqualTo(TestData.Ids(21, 5)));
                Assert.That(page.HasNext, Is.False);
                Assert.That(page.Next, Is.EqualTo(0));

                Assert.That(c.ScrollIds(pageSize: 7).ToArray(), Is.EqualTo(ids));
                var even = c.ScrollIds("{\"field\": \"even\", \"eq\": true}", 3).ToArray();
                Assert.That(even, Is.EqualTo(ids.Where(i => i % 2 == 0).ToArray()));

                var buffer = new ulong[4];
                int n = c.Scroll(20, "{\"field\": \"even\", \"eq\": false}", buffer, out ulong next, out bool more);
                Assert.That(n, Is.EqualTo(3));
                Assert.That(buffer.Take(3), Is.EqualTo(new ulong[] { 21, 23, 25 }));
                Assert.That(more, Is.False);
            }
        }

        [Test]
        public void MetadataOnlyCollectionsHoldPayloads()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var m = db.CreateCollection("meta", CollectionConfig.MetadataOnly()))
            {
                m.Upsert(new ulong[] { 5, 6 }, (float[])null, new[] { "{\"k\": \"x\"}", "{\"k\": \"y\"}" });
                Assert.That(m.Count(), Is.EqualTo(2));
                var p = m.Get(6);
                Assert.That(p.Vector, Is.Empty);
                StringAssert.Contains("\"y\"", p.Payload);
                Assert.That(m.ScrollIds("{\"field\": \"k\", \"eq\": \"x\"}").ToArray(), Is.EqualTo(new ulong[] { 5 }));
            }
        }

        [Test]
        public void DataSurvivesReopen()
        {
            using (var db = QuiverDatabase.Open(DbPath()))
            using (var c = db.CreateCollection("docs", new CollectionConfig(3)))
            {
                c.Upsert(new ulong[] { 1, 2, 3, 4 }, Vectors, Payloads);
                db.Close();
                Assert.That(Assert.Throws<QuiverException>(() => c.Count()).Status, Is.EqualTo(QuiverStatus.Closed));
            }
            using (var db = QuiverDatabase.Open(DbPath(), new DatabaseOptions { Sync = SyncMode.Never }))
            using (var c = db.OpenCollection("docs"))
            {
                Assert.That(c.Count(), Is.EqualTo(4));
                Assert.That(c.Search(new float[] { 0, 0, 1 }, new SearchOptions(1))[0].Id, Is.EqualTo(3));
                StringAssert.Contains("2023", c.Get(2).Payload);
            }
        }

        [Test]
        public void CloseTwiceAndDisposeAfterCloseAreHarmless()
        {
            var db = QuiverDatabase.Open(DbPath());
            var c = db.CreateCollection("docs", new CollectionConfig(3));
            db.Close();
            db.Close();
            db.Dispose();
            c.Dispose();
            c.Dispose();
            // The directory lock is released: it opens again.
            QuiverDatabase.Open(DbPath()).Dispose();
        }
    }
}
