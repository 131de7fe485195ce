using System;
using System.IO;
using System.Linq;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// Real data: the committed 5,000-point WordNet sample (MiniLM embeddings
    /// stored as half floats, JSON payloads), its 100 queries and their exact
    /// top-100 over the sample.
    /// </summary>
    [TestFixture]
    public class WordNetTests : TempDirFixture
    {
        private const int Dim = 384, N = 5000, NQ = 100, K = 10;

        private static double Recall(SearchResults r, uint[] gt, int k)
        {
            int hits = 0;
            for (int q = 0; q < r.QueryCount; q++)
            {
                var truth = new System.Collections.Generic.HashSet<ulong>(gt.Skip(q * 100).Take(k).Select(x => (ulong)x));
                hits += r.GetIds(q).Count(truth.Contains);
            }
            return hits / (double)(r.QueryCount * k);
        }

        [Test, Timeout(600000)]
        public void RecallFiltersAndReopenOnTheWordNetSample()
        {
            string data = TestData.WordNetSample;
            float[] vectors = TestData.ReadHalfFloats(Path.Combine(data, "base.f16"), N * Dim);
            float[] queries = TestData.ReadHalfFloats(Path.Combine(data, "queries.f16"), NQ * Dim);
            uint[] gt = TestData.ReadU32(Path.Combine(data, "gt100.u32"));
            string[] payloads = TestData.ReadLines(Path.Combine(data, "base.jsonl"), N);
            Assert.That(gt.Length, Is.EqualTo(NQ * 100));
            Assert.That(payloads.Length, Is.EqualTo(N));
            // The half floats are L2-normalised embeddings.
            double norm = Math.Sqrt(vectors.Take(Dim).Sum(x => (double)x * x));
            Assert.That(norm, Is.EqualTo(1.0).Within(0.01));

            ulong[] firstIds;
            string path = DbPath();
            using (var db = OpenFast(path))
            using (var c = db.CreateCollection("wordnet", new CollectionConfig(Dim, Metric.Cosine) { HnswM = 16, HnswEfConstruction = 200 }))
            {
                c.Upsert(TestData.Ids(0, N), vectors, payloads); // one batch, one call
                Assert.That(c.Count(), Is.EqualTo(N));

                using (var r = c.SearchBatch(queries, new SearchOptions(K) { Ef = 64 }))
                {
                    Assert.That(r.QueryCount, Is.EqualTo(NQ));
                    double recall = Recall(r, gt, K);
                    Console.WriteLine("WordNet sample: recall@10 at ef=64 = {0:F3}", recall);
                    Assert.That(recall, Is.GreaterThanOrEqualTo(0.9));
                    firstIds = r.GetIds(0);
                }
                using (var r = c.SearchBatch(queries, new SearchOptions(K) { Exact = true }))
                {
                    Assert.That(Recall(r, gt, K), Is.GreaterThanOrEqualTo(0.99), "exact search matches the ground truth");
                }

                // A filtered search returns k matching points, also for a rare category.
                foreach (var category in new[] { "noun.animal", "verb.motion", "verb.weather" })
                {
                    var filter = "{\"field\": \"category\", \"eq\": \"" + category + "\"}";
                    int matching = payloads.Count(p => p.Contains("\"category\": \"" + category + "\""));
                    using (var r = c.SearchBatch(queries, new SearchOptions(K) { Filter = filter, WithPayload = true }))
                    using (var exact = c.SearchBatch(queries, new SearchOptions(K) { Filter = filter, Exact = true }))
                    {
                        int found = 0, agree = 0;
                        for (int q = 0; q < NQ; q++)
                        {
                            var hits = r.GetHits(q);
                            Assert.That(hits.Length, Is.EqualTo(Math.Min(K, matching)), category);
                            Assert.That(hits.All(h => h.Payload.Replace(" ", "").Contains("\"category\":\"" + category + "\"")), Is.True, category);
                            var truth = exact.GetIds(q);
                            found += truth.Length;
                            agree += hits.Count(h => truth.Contains(h.Id));
                        }
                        Console.WriteLine("WordNet sample: filtered recall@10 ({0}, {1} points) = {2:F3}", category, matching, agree / (double)found);
                        Assert.That(agree / (double)found, Is.GreaterThanOrEqualTo(0.9), category);
                    }
                }

                // Stored vectors are the inputs, normalised.
                var p7 = c.Get(7);
                var input = vectors.Skip(7 * Dim).Take(Dim).ToArray();
                double n7 = Math.Sqrt(input.Sum(x => (double)x * x));
                for (int i = 0; i < Dim; i++)
                {
                    Assert.That(p7.Vector[i], Is.EqualTo(input[i] / n7).Within(1e-5));
                }
                Assert.That(p7.Payload.Replace(" ", ""), Is.StringContaining("\"id\":7"));
            }

            // Reopened, the saved graph answers the same.
            using (var db = QuiverDatabase.Open(path))
            using (var c = db.OpenCollection("wordnet"))
            using (var r = c.SearchBatch(queries, new SearchOptions(K) { Ef = 64 }))
            {
                Assert.That(c.Count(), Is.EqualTo(N));
                Assert.That(r.GetIds(0), Is.EqualTo(firstIds));
                Assert.That(Recall(r, gt, K), Is.GreaterThanOrEqualTo(0.9));
            }
        }
    }
}
