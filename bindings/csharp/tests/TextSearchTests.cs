using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>
    /// Text indexes and BM25 search (<see cref="QuiverCollection.CreateTextIndex"/>,
    /// <see cref="QuiverCollection.TextSearch"/>, <see cref="FieldKind.Text"/>) and the text
    /// filter conditions (<see cref="Filter.Text"/>, <see cref="Filter.TextAny"/>,
    /// <see cref="Filter.Phrase"/>) over a small corpus of lowercase ASCII words: rankings
    /// and scores against a BM25 computed here, boosts over two fields, the match modes
    /// against CountWhere and a brute force, filters, payloads, the options kept across a
    /// reopen, and the errors.
    /// </summary>
    [TestFixture]
    public class TextSearchTests : TempDirFixture
    {
        private const int Dim = 4;
        // Points 0..39 have a body of 1 to 6 words; 40 has no body, 41 a body without a
        // word: neither counts in the body's statistics.
        private const int Points = 42;
        private const double Eps = 1e-4;

        private static readonly string[] Words = { "red", "fish", "blue", "cat", "green", "tree", "sky", "stone" };
        // Words that are their own English stem, for the title (indexed with stemming).
        private static readonly string[] TitleWords = { "fish", "cat", "tree", "stone" };

        private static string Body(int i) =>
            i == 40 ? null :
            i == 41 ? "... !!" :
            string.Join(" ", Enumerable.Range(0, 1 + i % 6).Select(j => Words[(i * 7 + j * j * 3 + j) % 8]));

        private static string Title(int i) =>
            TitleWords[i % 4] + (i % 3 == 0 ? " " + TitleWords[(i + 1) % 4] : "");

        private static int Tag(int i) => i % 3;

        // Odd spacing on purpose: payloads come back byte for byte.
        private static string Payload(int i) =>
            "{\"body\": " + (Body(i) == null ? "null" : "\"" + Body(i) + "\"") +
            ",  \"title\":\"" + Title(i) + "\", \"tag\":" + Tag(i) + "}";

        private static string[] Bodies() => Enumerable.Range(0, Points).Select(Body).ToArray();

        private static string[] Titles() => Enumerable.Range(0, Points).Select(Title).ToArray();

        // The terms of a text as the default analyzer makes them for this corpus: words of
        // letters and digits, lowercased.
        private static string[] Terms(string text) =>
            text == null
                ? new string[0]
                : new string(text.Select(ch => char.IsLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : ' ').ToArray())
                    .Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);

        /// <summary>
        /// Lucene's BM25 of the one-term query <paramref name="term"/> for every id of
        /// <paramref name="texts"/> (null = no text, or a point that is not live): N the texts
        /// with at least one term, avglen their mean length in terms.
        /// </summary>
        private static double[] Bm25(string[] texts, string term, double k1 = 1.2, double b = 0.75)
        {
            string[][] terms = texts.Select(Terms).ToArray();
            int n = terms.Count(t => t.Length > 0);
            double avg = (double)terms.Sum(t => t.Length) / n;
            int df = terms.Count(t => t.Contains(term));
            double idf = Math.Log(1 + (n - df + 0.5) / (df + 0.5));
            return terms.Select(t =>
            {
                int tf = t.Count(x => x == term);
                return tf == 0 ? 0 : idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * t.Length / avg));
            }).ToArray();
        }

        private static double[] Sum(double[] a, double[] b, double weightB = 1) =>
            a.Select((x, i) => x + weightB * b[i]).ToArray();

        /// <summary>
        /// <paramref name="got"/> is the best-first order of <paramref name="expected"/> (the
        /// points scoring above 0 that <paramref name="keep"/> keeps, equal scores by
        /// ascending id), its first <paramref name="k"/>, with the expected scores.
        /// </summary>
        private static void CheckRanking(SearchHit[] got, double[] expected, int k, Func<int, bool> keep = null, string what = "")
        {
            int[] want = Enumerable.Range(0, expected.Length)
                .Where(i => expected[i] > 0 && (keep == null || keep(i)))
                .OrderByDescending(i => expected[i]).ThenBy(i => i)
                .ToArray();
            Assert.That(got.Length, Is.EqualTo(Math.Min(k, want.Length)), what);
            Assert.That(got.Select(h => h.Id).Distinct().Count(), Is.EqualTo(got.Length), what);
            for (int j = 0; j < got.Length; j++)
            {
                Assert.That(got[j].Score, Is.EqualTo(expected[want[j]]).Within(Eps), what + " rank " + j);
                if (got[j].Id != (ulong)want[j])
                {
                    // Another point of the same score (the library breaks float ties by id).
                    Assert.That(expected[(int)got[j].Id], Is.EqualTo(expected[want[j]]).Within(Eps), what + " rank " + j);
                }
                if (j > 0)
                {
                    Assert.That(got[j].Score, Is.LessThanOrEqualTo(got[j - 1].Score), what + " best first");
                }
            }
        }

        private static QuiverException Fails(QuiverStatus status, TestDelegate code, string messagePart = null)
        {
            var e = Assert.Throws<QuiverException>(code);
            Assert.That(e.Status, Is.EqualTo(status), e.Message);
            Assert.That(e.Code, Is.EqualTo((int)status));
            if (messagePart != null)
            {
                StringAssert.Contains(messagePart, e.Message);
            }
            return e;
        }

        // The corpus in two segments: 0..20 sealed before the indexes exist (they are
        // backfilled), 21..41 written to the appendable segment afterwards.
        private static QuiverCollection Fill(QuiverDatabase db, Action<QuiverCollection> makeIndexes, string name = "t")
        {
            var c = db.CreateCollection(name, new CollectionConfig(Dim, Metric.Euclidean));
            ulong[] ids = TestData.Ids(0, Points);
            float[] vectors = Enumerable.Range(0, Points * Dim).Select(x => (float)(x / Dim + x % Dim + 1)).ToArray();
            string[] payloads = Enumerable.Range(0, Points).Select(Payload).ToArray();
            const int half = 21;
            c.Upsert(ids.Take(half).ToArray(), vectors.Take(half * Dim).ToArray(), payloads.Take(half).ToArray());
            c.Optimize();
            makeIndexes(c);
            c.Upsert(ids.Skip(half).ToArray(), vectors.Skip(half * Dim).ToArray(), payloads.Skip(half).ToArray());
            return c;
        }

        private static void DefaultIndexes(QuiverCollection c)
        {
            c.CreateTextIndex("body");
            c.CreateTextIndex("title", new TextIndexOptions { Stemming = true });
        }

        private static HashSet<ulong> Ids(IEnumerable<SearchHit> hits) => new HashSet<ulong>(hits.Select(h => h.Id));

        // ---- the native structs ------------------------------------------------------------

        [Test]
        public unsafe void NativeStructsHaveTheLibrarysLayout()
        {
            NativeMethods.qv_text_index_options o;
            NativeMethods.qv_text_index_options_init(&o);
            Assert.That(o.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_text_index_options)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_text_index_options>(), Is.EqualTo(28));
            Assert.That(o.k1, Is.EqualTo(1.2f));
            Assert.That(o.b, Is.EqualTo(0.75f));

            NativeMethods.qv_text_search_params p;
            NativeMethods.qv_text_search_params_init(&p);
            Assert.That(p.struct_size, Is.EqualTo((uint)sizeof(NativeMethods.qv_text_search_params)));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_text_search_params>(), Is.EqualTo(56));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_text_search_params>("fields"), Is.EqualTo(16));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_text_search_params>("filter_json"), Is.EqualTo(32));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_text_search_params>("reserved2"), Is.EqualTo(52));
            Assert.That(p.k, Is.EqualTo(10u));
            Assert.That(p.mode, Is.EqualTo((uint)TextMode.Any));

            // No init function: the header's layout (pointer, u64, float, u32).
            Assert.That(sizeof(NativeMethods.qv_text_field), Is.EqualTo(24));
            Assert.That(Marshal.SizeOf<NativeMethods.qv_text_field>(), Is.EqualTo(24));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_text_field>("name_len"), Is.EqualTo(8));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_text_field>("boost"), Is.EqualTo(16));
            Assert.That((long)Marshal.OffsetOf<NativeMethods.qv_text_field>("reserved"), Is.EqualTo(20));

            var options = new TextIndexOptions();
            Assert.That(options.AsciiFolding || options.StopWords || options.Stemming, Is.False);
            Assert.That(options.K1, Is.EqualTo(1.2f));
            Assert.That(options.B, Is.EqualTo(0.75f));
            var sp = new TextSearchParams("a", "b").Field("c", 2);
            Assert.That(sp.K, Is.EqualTo(10));
            Assert.That(sp.Mode, Is.EqualTo(TextMode.Any));
            Assert.That(sp.WithPayload, Is.False);
            Assert.That(sp.Filter, Is.Null);
            Assert.That(sp.Fields.Select(f => f.Name + "^" + f.Boost), Is.EqualTo(new[] { "a^1", "b^1", "c^2" }));
            Assert.That((uint)FieldKind.Text, Is.EqualTo(6u));
        }

        // ---- filter builders ---------------------------------------------------------------

        [Test]
        public void FilterBuildersWriteTheTextConditions()
        {
            Assert.That(Filter.Text("body", "stone cat").Json, Is.EqualTo("{\"field\": \"body\", \"text\": \"stone cat\"}"));
            Assert.That(Filter.TextAny("body", "stone cat").Json, Is.EqualTo("{\"field\": \"body\", \"text_any\": \"stone cat\"}"));
            Assert.That(Filter.Phrase("body", "stone cat").Json, Is.EqualTo("{\"field\": \"body\", \"phrase\": \"stone cat\"}"));
            Assert.That(Filter.Phrase("m.t", "say \"hi\"\n").Json, Is.EqualTo("{\"field\": \"m.t\", \"phrase\": \"say \\\"hi\\\"\\n\"}"));
            Assert.That(Filter.And(Filter.Text("body", "cat"), Filter.Not(Filter.TextAny("title", "fish tree"))).Json,
                Is.EqualTo("{\"and\": [{\"field\": \"body\", \"text\": \"cat\"}, {\"not\": {\"field\": \"title\", \"text_any\": \"fish tree\"}}]}"));
            Assert.Throws<ArgumentNullException>(() => Filter.Text("body", null));
            Assert.Throws<ArgumentNullException>(() => Filter.Phrase(null, "x"));

            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, DefaultIndexes))
            {
                string[] bodies = Bodies();
                Func<string, int, bool> has = (w, i) => Terms(bodies[i]).Contains(w);
                int both = Enumerable.Range(0, Points).Count(i => has("stone", i) && has("cat", i));
                int either = Enumerable.Range(0, Points).Count(i => has("stone", i) || has("cat", i));
                int phrase = Enumerable.Range(0, Points).Count(i => bodies[i] != null && (" " + bodies[i] + " ").Contains(" stone cat "));
                Assert.That(phrase, Is.GreaterThan(0));
                Assert.That(both, Is.GreaterThan(phrase));
                Assert.That(either, Is.GreaterThan(both));
                Assert.That(c.CountWhere(Filter.Text("body", "stone cat")), Is.EqualTo(both));
                Assert.That(c.CountWhere("{\"field\": \"body\", \"text\": \"stone cat\"}"), Is.EqualTo(both));
                Assert.That(c.CountWhere(Filter.TextAny("body", "stone cat")), Is.EqualTo(either));
                Assert.That(c.CountWhere("{\"field\": \"body\", \"text_any\": \"stone cat\"}"), Is.EqualTo(either));
                Assert.That(c.CountWhere(Filter.Phrase("body", "stone cat")), Is.EqualTo(phrase));
                Assert.That(c.CountWhere("{\"field\": \"body\", \"phrase\": \"stone cat\"}"), Is.EqualTo(phrase));
                // Analyzed as the index analyzes: case does not matter, order does for a phrase.
                Assert.That(c.CountWhere(Filter.Phrase("body", "STONE  Cat")), Is.EqualTo(phrase));
                Assert.That(c.CountWhere(Filter.Text("body", "cat STONE")), Is.EqualTo(both));
                int reversed = Enumerable.Range(0, Points).Count(i => bodies[i] != null && (" " + bodies[i] + " ").Contains(" cat stone "));
                Assert.That(c.CountWhere(Filter.Phrase("body", "cat stone")), Is.EqualTo(reversed));
            }
        }

        // ---- ranking and scores ------------------------------------------------------------

        [Test]
        public void OneTermRankingMatchesBm25()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, x => x.CreateTextIndex("body")))
            {
                var list = c.FieldIndexes();
                Assert.That(list.Select(x => x.Field), Is.EqualTo(new[] { "body" }));
                Assert.That(list[0].Kind, Is.EqualTo(FieldKind.Text));
                Assert.That(list[0].RamBytes, Is.GreaterThan(0UL));

                string[] bodies = Bodies();
                Action<string> check = stage =>
                {
                    foreach (string w in Words)
                    {
                        double[] expected = Bm25(bodies, w);
                        CheckRanking(c.TextSearch(w, new TextSearchParams("body") { K = 5 }), expected, 5, null, stage + " " + w);
                        // Every point holding the term, and only those.
                        SearchHit[] all = c.TextSearch(w, new TextSearchParams("body") { K = 100 });
                        CheckRanking(all, expected, 100, null, stage + " all " + w);
                        Assert.That(all.Length, Is.EqualTo(expected.Count(s => s > 0)), stage + " " + w);
                    }
                    // The query is analyzed as the text is.
                    CheckRanking(c.TextSearch("  FISH! ", new TextSearchParams("body") { K = 7 }), Bm25(bodies, "fish"), 7, null, stage + " FISH");
                    Assert.That(c.TextSearch(" ... ", new TextSearchParams("body")), Is.Empty, stage + " no terms");
                    Assert.That(c.TextSearch("", new TextSearchParams("body")), Is.Empty, stage + " empty");
                    Assert.That(c.TextSearch("unicorn", new TextSearchParams("body")), Is.Empty, stage + " unknown term");
                };
                check("appendable + sealed");

                // Statistics over the live points only.
                Assert.That(c.Delete(5, 17), Is.EqualTo(2));
                bodies[5] = bodies[17] = null;
                check("after deletes");

                c.Optimize(); // one sealed segment: the any-mode walk with score bounds
                check("optimized");

                // Payloads rewritten: the index follows.
                c.SetPayload(new ulong[] { 0 }, "{\"body\": \"fish fish fish\"}");
                bodies[0] = "fish fish fish";
                check("after a payload update");
            }
        }

        [Test]
        public void TwoFieldsWithBoostsAddUp()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, DefaultIndexes))
            {
                string[] bodies = Bodies(), titles = Titles();
                foreach (string w in new[] { "cat", "fish", "stone" })
                {
                    double[] body = Bm25(bodies, w), title = Bm25(titles, w);
                    var p = new TextSearchParams { K = 50 }.Field("body").Field("title", 2.5f);
                    CheckRanking(c.TextSearch(w, p), Sum(body, title, 2.5), 50, null, "body + 2.5 title: " + w);
                    p = new TextSearchParams { K = 50 }.Field("title", 0.5f).Field("body", 3);
                    CheckRanking(c.TextSearch(w, p), Sum(Sum(new double[Points], body, 3), title, 0.5), 50, null, "0.5 title + 3 body: " + w);
                    CheckRanking(c.TextSearch(w, new TextSearchParams("title") { K = 50 }), title, 50, null, "title: " + w);
                }
                // Two terms: the sum over terms and fields.
                double[] expected = Sum(Sum(Bm25(bodies, "cat"), Bm25(bodies, "tree")),
                    Sum(Bm25(titles, "cat"), Bm25(titles, "tree")), 2);
                CheckRanking(c.TextSearch("cat tree", new TextSearchParams { K = 50 }.Field("body").Field("title", 2)),
                    expected, 50, null, "cat tree");
            }
        }

        [Test]
        public void AllAndPhraseMatchCountWhere()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, DefaultIndexes))
            {
                string[] bodies = Bodies();
                double[] any = Sum(Bm25(bodies, "stone"), Bm25(bodies, "cat"));
                var cases = new[]
                {
                    new { Mode = TextMode.Any, Filter = Filter.TextAny("body", "stone cat") },
                    new { Mode = TextMode.All, Filter = Filter.Text("body", "stone cat") },
                    new { Mode = TextMode.Phrase, Filter = Filter.Phrase("body", "stone cat") },
                };
                var counts = new List<long>();
                foreach (var t in cases)
                {
                    SearchHit[] hits = c.TextSearch("stone cat", new TextSearchParams("body") { K = 1000, Mode = t.Mode });
                    long n = c.CountWhere(t.Filter);
                    Assert.That(hits.Length, Is.EqualTo(n), t.Mode.ToString());
                    Assert.That(Ids(hits), Is.EquivalentTo(c.ScrollIds(t.Filter.Json)), t.Mode.ToString());
                    // A returned point scores every term, whichever mode matched it.
                    var set = Ids(hits);
                    CheckRanking(hits, any, 1000, i => set.Contains((ulong)i), t.Mode.ToString());
                    counts.Add(n);
                }
                int phrase = Enumerable.Range(0, Points).Count(i => bodies[i] != null && (" " + bodies[i] + " ").Contains(" stone cat "));
                Assert.That(counts[2], Is.EqualTo(phrase));
                Assert.That(counts[0], Is.GreaterThan(counts[1]));
                Assert.That(counts[1], Is.GreaterThan(counts[2]));
                // A phrase keeps its order; all-terms does not.
                Assert.That(Ids(c.TextSearch("cat stone", new TextSearchParams("body") { K = 1000, Mode = TextMode.All })),
                    Is.EquivalentTo(c.ScrollIds(Filter.Text("body", "stone cat").Json)));
                Assert.That(c.TextSearch("cat stone", new TextSearchParams("body") { K = 1000, Mode = TextMode.Phrase }).Length,
                    Is.EqualTo(c.CountWhere(Filter.Phrase("body", "cat stone"))));
                // k cuts the best.
                CheckRanking(c.TextSearch("stone cat", new TextSearchParams("body") { K = 3, Mode = TextMode.Phrase }), any, 3,
                    i => bodies[i] != null && (" " + bodies[i] + " ").Contains(" stone cat "), "phrase k 3");
            }
        }

        [Test]
        public void FilterSelectsTheHitsNotTheStatistics()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, DefaultIndexes))
            {
                string[] bodies = Bodies(), titles = Titles();
                double[] fish = Bm25(bodies, "fish");
                Action<string> check = stage =>
                {
                    var p = new TextSearchParams("body") { K = 4, Filter = Filter.Eq("tag", 1).Json };
                    CheckRanking(c.TextSearch("fish", p), fish, 4, i => Tag(i) == 1, stage + " tag 1");
                    p.K = 100;
                    CheckRanking(c.TextSearch("fish", p), fish, 100, i => Tag(i) == 1, stage + " tag 1, all");
                    // A text condition on another field as the filter.
                    p.Filter = Filter.And(Filter.Ne("tag", 0), Filter.TextAny("title", "tree fishes")).Json;
                    CheckRanking(c.TextSearch("fish", p), fish, 100,
                        i => Tag(i) != 0 && (Terms(titles[i]).Contains("tree") || Terms(titles[i]).Contains("fish")), stage + " text filter");
                    p.Filter = Filter.HasId().Json;
                    Assert.That(c.TextSearch("fish", p), Is.Empty, stage);
                };
                check("payload filter");
                c.CreateFieldIndex("tag", FieldKind.Integer);
                check("indexed filter");
                c.Optimize();
                check("optimized");
            }
        }

        [Test]
        public void PayloadsComeBackByteForByte()
        {
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, DefaultIndexes))
            {
                var p = new TextSearchParams { K = 100, WithPayload = true }.Field("body").Field("title");
                SearchHit[] hits = c.TextSearch("tree", p);
                Assert.That(hits.Length, Is.GreaterThan(10));
                foreach (var h in hits)
                {
                    Assert.That(h.Payload, Is.EqualTo(Payload((int)h.Id)), "hit " + h.Id);
                }
                p.WithPayload = false;
                SearchHit[] bare = c.TextSearch("tree", p);
                Assert.That(bare.Select(h => h.Id), Is.EqualTo(hits.Select(h => h.Id)));
                Assert.That(bare.Select(h => h.Score), Is.EqualTo(hits.Select(h => h.Score)));
                Assert.That(bare.All(h => h.Payload == null), Is.True);

                // A metadata-only collection searches the same way.
                using (var m = db.CreateCollection("m", CollectionConfig.MetadataOnly()))
                {
                    m.Upsert(new ulong[] { 1, 2, 3 }, (float[])null, new[] { "{\"t\":\"red fish\"}", "{\"t\": \"blue fish fish\"}", null });
                    m.CreateTextIndex("t");
                    SearchHit[] mh = m.TextSearch("fish", new TextSearchParams("t") { WithPayload = true });
                    Assert.That(mh.Select(h => h.Id), Is.EquivalentTo(new ulong[] { 1, 2 }));
                    Assert.That(mh.Single(h => h.Id == 2).Payload, Is.EqualTo("{\"t\": \"blue fish fish\"}"));
                }
            }
        }

        [Test]
        public void ReopenKeepsTheIndexesAndTheirOptions()
        {
            var title = new TextIndexOptions { Stemming = true, K1 = 2f, B = 0.3f };
            using (var db = OpenFast(DbPath()))
            using (var c = Fill(db, x =>
            {
                x.CreateFieldIndex("body", FieldKind.Text); // the default analyzer
                x.CreateTextIndex("title", title);
                x.CreateFieldIndex("title", FieldKind.Keyword); // a value index besides the text index
            }))
            {
                Assert.That(c.TextSearch("fishes", new TextSearchParams("title")), Is.Not.Empty);
            }
            string[] bodies = Bodies(), titles = Titles();
            for (int round = 0; round < 2; round++)
            {
                using (var db = QuiverDatabase.Open(DbPath()))
                using (var c = db.OpenCollection("t"))
                {
                    string stage = "reopen " + round;
                    var kinds = c.FieldIndexes().ToDictionary(x => x.Field + "/" + x.Kind, x => x.Kind);
                    Assert.That(kinds.Keys, Is.EquivalentTo(new[] { "body/Text", "title/Text", "title/Keyword" }), stage);

                    // Stemming kept: "fishes" finds the titles holding "fish", with the same scores.
                    double[] fish = Bm25(titles, "fish", 2, 0.3);
                    SearchHit[] stemmed = c.TextSearch("fishes", new TextSearchParams("title") { K = 100, WithPayload = true });
                    CheckRanking(stemmed, fish, 100, null, stage + " fishes");
                    Assert.That(stemmed.Length, Is.EqualTo(titles.Count(t => Terms(t).Contains("fish"))), stage);
                    Assert.That(stemmed.All(h => h.Payload.Contains("\"title\":\"fish") || h.Payload.Contains(" fish\"")), Is.True, stage);
                    // k1 and b kept, for another term too.
                    CheckRanking(c.TextSearch("tree", new TextSearchParams("title") { K = 100 }), Bm25(titles, "tree", 2, 0.3), 100, null, stage + " tree");
                    // The body keeps the default analyzer: no stemming, k1 1.2, b 0.75.
                    Assert.That(c.TextSearch("fishes", new TextSearchParams("body")), Is.Empty, stage);
                    CheckRanking(c.TextSearch("fish", new TextSearchParams("body") { K = 100 }), Bm25(bodies, "fish"), 100, null, stage + " body");
                    Assert.That(c.CountWhere(Filter.Eq("title", "fish")), Is.EqualTo(titles.Count(t => t == "fish")), stage);
                    if (round == 0)
                    {
                        c.Optimize();
                    }
                }
            }
        }

        // ---- errors --------------------------------------------------------------------------

        [Test]
        public void ErrorsMapToTheBindingsExceptions()
        {
            var db = OpenFast(DbPath());
            QuiverCollection c = Fill(db, DefaultIndexes);
            try
            {
                // No text index on the field (a value index does not count), no field, a field twice.
                c.CreateFieldIndex("tag", FieldKind.Integer);
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("tag")), "has no text index");
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("nope")), "has no text index");
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams()), "nfields is 0");
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("body", "body")));
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("")));
                // Bad boosts.
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams().Field("body", -1)), "boost -1");
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams().Field("body", float.NaN)));
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams().Field("body", float.PositiveInfinity)));
                // k, mode, filter.
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("body") { K = 0 }), "k is 0");
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("body") { K = 100001 }));
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("body") { Mode = (TextMode)7 }), "params.mode is 7");
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("body") { Filter = "{\"field\": " }));
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("x", new TextSearchParams("body") { Filter = "{\"field\": \"body\", \"text\": 3}" }));
                Assert.Throws<ArgumentOutOfRangeException>(() => new TextSearchParams("body") { K = -1 });
                Assert.Throws<ArgumentNullException>(() => c.TextSearch(null, new TextSearchParams("body")));
                Assert.Throws<ArgumentNullException>(() => c.TextSearch("x", null));
                Assert.Throws<ArgumentNullException>(() => new TextSearchParams((string)null));
                Assert.Throws<ArgumentNullException>(() => c.TextSearch("x", new TextSearchParams { Fields = { default(TextField) } }));
                Assert.Throws<ArgumentException>(() => c.TextSearch("\ud800", new TextSearchParams("body")));
                Assert.Throws<ArgumentException>(() => c.TextSearch("x", new TextSearchParams("\ud800")));

                // Bad options, each creating nothing.
                Fails(QuiverStatus.InvalidArgument, () => c.CreateTextIndex("other", new TextIndexOptions { K1 = -1 }), "options.k1 is -1");
                Fails(QuiverStatus.InvalidArgument, () => c.CreateTextIndex("other", new TextIndexOptions { K1 = 1001 }), "options.k1");
                Fails(QuiverStatus.InvalidArgument, () => c.CreateTextIndex("other", new TextIndexOptions { K1 = float.NaN }), "options.k1");
                Fails(QuiverStatus.InvalidArgument, () => c.CreateTextIndex("other", new TextIndexOptions { B = 1.5f }), "options.b");
                Fails(QuiverStatus.InvalidArgument, () => c.CreateTextIndex("a..b"));
                Fails(QuiverStatus.InvalidArgument, () => c.CreateTextIndex(""));
                Assert.Throws<ArgumentNullException>(() => c.CreateTextIndex(null));
                Assert.That(c.FieldIndexes().Select(x => x.Field), Is.EquivalentTo(new[] { "body", "title", "tag" }));

                // Duplicates: AlreadyExists, also through CreateFieldIndex(Text); a value index may join.
                Fails(QuiverStatus.AlreadyExists, () => c.CreateTextIndex("body"));
                Fails(QuiverStatus.AlreadyExists, () => c.CreateTextIndex("title", new TextIndexOptions { StopWords = true }));
                Fails(QuiverStatus.AlreadyExists, () => c.CreateFieldIndex("body", FieldKind.Text));
                c.CreateFieldIndex("body", FieldKind.Keyword);
                c.DropFieldIndex("body"); // drops the value index only
                Assert.That(c.TextSearch("fish", new TextSearchParams("body")), Is.Not.Empty);

                // Drop: once, then NotFound; DropFieldIndex does not drop a text index.
                Fails(QuiverStatus.NotFound, () => c.DropFieldIndex("body"));
                long phrase = c.CountWhere(Filter.Phrase("body", "stone cat"));
                c.DropTextIndex("body");
                Fails(QuiverStatus.NotFound, () => c.DropTextIndex("body"));
                Fails(QuiverStatus.NotFound, () => c.DropTextIndex("tag"));
                Fails(QuiverStatus.InvalidArgument, () => c.TextSearch("fish", new TextSearchParams("body")), "has no text index");
                // Without the index the text condition is evaluated on the payloads.
                Assert.That(c.CountWhere(Filter.Phrase("body", "stone cat")), Is.EqualTo(phrase));
                Assert.That(c.FieldIndexes().Select(x => x.Field), Is.EquivalentTo(new[] { "title", "tag" }));
                c.CreateFieldIndex("body", FieldKind.Text); // again, with the default analyzer
                CheckRanking(c.TextSearch("fish", new TextSearchParams("body") { K = 100 }), Bm25(Bodies(), "fish"), 100, null, "recreated");

                // Closed: after Dispose, and after the database closed.
                var other = db.OpenCollection("t");
                other.Dispose();
                Fails(QuiverStatus.Closed, () => other.TextSearch("fish", new TextSearchParams("body")));
                Fails(QuiverStatus.Closed, () => other.CreateTextIndex("x"));
                Fails(QuiverStatus.Closed, () => other.DropTextIndex("title"));
                db.Dispose();
                Fails(QuiverStatus.Closed, () => c.TextSearch("fish", new TextSearchParams("body")));
                Fails(QuiverStatus.Closed, () => c.CreateTextIndex("x"));
            }
            finally
            {
                c.Dispose();
                db.Dispose();
            }
        }
    }
}
