// Full-text indexes and BM25 search: a small corpus over two segments (one
// sealed, with a deleted and an overwritten point), the ranking and scores
// of one-term queries against a BM25 computed here, two fields with boosts,
// the all and phrase modes against count_where with the same text filter, a
// filter, payloads, the indexes and their options kept across a reopen, the
// text filter builders and the errors.
#include "test_util.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string_view>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::FieldKind;
using quiver::Filter;
using quiver::Status;
using quiver::TextIndexOptions;
using quiver::TextMode;
using quiver::TextSearchParams;

namespace {

constexpr size_t dim = 2;
constexpr uint64_t n_points = 30;
constexpr uint64_t n_sealed = 20; // points 0 .. 19 are written, then sealed
constexpr uint64_t deleted_id = 7;
constexpr uint64_t overwritten_id = 3;

const char *const body_words[6] = {"red", "fish", "blue", "cat", "green", "stone"};
const char *const title_words[4] = {"fish", "bird", "tree", "stone"};

// One point of the corpus: its payload and the words of its fields.
struct Doc {
    bool has_body = true;
    std::string body;  // the text written
    std::string title; // the text written
    int tag = 0;
    std::string payload; // as written
};

std::string join(const std::vector<std::string> &words) {
    std::string out;
    for (const std::string &w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

// Point i: a body of 1 to 6 words (none for i % 10 == 9, punctuation only
// for 4), a title of 1 or 2 words, a tag i % 3. `version` 1 rewrites it.
Doc make_doc(uint64_t i, int version = 0) {
    Doc d;
    d.has_body = i % 10 != 9;
    if (i == 4) {
        d.body = "... !";
    } else if (d.has_body) {
        std::vector<std::string> words;
        for (uint64_t j = 0; j < 1 + (i + version) % 6; j++) words.push_back(body_words[(i * i * 5 + j * (1 + i % 4) + j * j * 3) % 6]);
        d.body = join(words);
    }
    d.title = title_words[(i + version) % 4];
    if (i % 3 == 0) d.title += std::string(" ") + title_words[(i / 3) % 4];
    d.tag = static_cast<int>(i % 3);
    d.payload = "{";
    if (d.has_body) d.payload += R"("body":")" + d.body + R"(",)";
    d.payload += R"("title":")" + d.title + R"(","tag":)" + std::to_string(d.tag) + "}";
    return d;
}

// Lowercase ASCII words, as the default analyzer splits this corpus.
std::vector<std::string> terms(const std::string &text) {
    std::vector<std::string> out;
    std::string w;
    for (size_t i = 0; i <= text.size(); i++) {
        const unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
        if (std::isalnum(c)) {
            w += static_cast<char>(std::tolower(c));
        } else if (!w.empty()) {
            out.push_back(w);
            w.clear();
        }
    }
    return out;
}

using Scores = std::map<uint64_t, double>; // id -> expected score (> 0 only)

// BM25 (Lucene's idf) of the query `query` over one field of the live
// points: n = points with at least one term in the field, avg_len over them.
Scores bm25(const std::map<uint64_t, Doc> &docs, bool title, const std::string &query, double boost = 1,
            double k1 = 1.2, double b = 0.75) {
    std::map<uint64_t, std::vector<std::string>> field;
    double n = 0, total = 0;
    for (const auto &[id, d] : docs) {
        std::vector<std::string> t = terms(title ? d.title : d.body);
        if (t.empty()) continue;
        n++;
        total += static_cast<double>(t.size());
        field[id] = std::move(t);
    }
    const double avg = total / n;
    Scores out;
    std::set<std::string> distinct;
    for (const std::string &q : terms(query)) distinct.insert(q);
    for (const std::string &q : distinct) {
        double df = 0;
        for (const auto &[id, t] : field) df += std::count(t.begin(), t.end(), q) > 0;
        const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
        for (const auto &[id, t] : field) {
            const double tf = static_cast<double>(std::count(t.begin(), t.end(), q));
            if (tf == 0) continue;
            const double len = static_cast<double>(t.size());
            out[id] += boost * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg));
        }
    }
    return out;
}

Scores sum(Scores a, const Scores &b) {
    for (const auto &[id, s] : b) a[id] += s;
    return a;
}

Scores restrict(const Scores &s, const std::set<uint64_t> &keep) {
    Scores out;
    for (const auto &[id, v] : s)
        if (keep.count(id)) out[id] = v;
    return out;
}

std::set<uint64_t> ids_of(const quiver::QueryHits &hits) {
    std::set<uint64_t> out;
    for (quiver::Hit h : hits) out.insert(h.id);
    return out;
}
// The ids of a one-query result (a temporary too: the set is a copy).
std::set<uint64_t> ids_of(const quiver::Results &r) { return ids_of(r.at(0)); }

// The hits are the best min(k, want.size()) points of `want`, best first
// (equal scores by ascending id), each with its expected score.
void expect_ranking(const quiver::Results &r, const Scores &want, size_t k, const std::string &what) {
    ASSERT_EQ(r.size(), 1u) << what;
    const quiver::QueryHits hits = r[0];
    ASSERT_EQ(hits.size(), std::min(k, want.size())) << what;
    for (size_t j = 0; j < hits.size(); j++) {
        const auto it = want.find(hits[j].id);
        ASSERT_NE(it, want.end()) << what << ": hit " << hits[j].id << " should not match";
        EXPECT_NEAR(hits[j].score, it->second, 1e-4 * std::max(1.0, it->second)) << what << ": point " << hits[j].id;
        if (j > 0) {
            EXPECT_TRUE(hits[j - 1].score > hits[j].score ||
                        (hits[j - 1].score == hits[j].score && hits[j - 1].id < hits[j].id))
                << what << ": hits " << j - 1 << " and " << j << " out of order";
        }
    }
    if (hits.empty()) return;
    const std::set<uint64_t> got = ids_of(hits);
    for (const auto &[id, s] : want)
        if (!got.count(id)) {
            EXPECT_LE(s, hits[hits.size() - 1].score + 1e-4) << what << ": point " << id << " left out";
        }
}

// 30 points: 0 .. 19 written and sealed, with text indexes on body
// (defaults) and title (stemming) and an integer index on tag, then 20 ..
// 29 written; point 7 deleted, point 3 rewritten. `docs` holds the live
// points.
class TextTest : public ::testing::Test {
protected:
    void SetUp() override {
        db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        c = db.create_collection("docs", CollectionConfig(dim, quiver::Metric::Euclidean));
        write(qt::iota_ids(n_sealed));
        c.create_text_index("body");
        c.create_text_index("title", TextIndexOptions().stemming());
        c.create_field_index("tag", FieldKind::Integer);
        c.optimize();
        write(qt::iota_ids(n_points - n_sealed, n_sealed));
        ASSERT_EQ(c.remove({deleted_id}), 1u);
        docs.erase(deleted_id);
        docs[overwritten_id] = make_doc(overwritten_id, 1);
        c.upsert_one(overwritten_id, {0.5f, 0.5f}, docs[overwritten_id].payload);
    }
    void TearDown() override { db.close(); }

    void write(const std::vector<uint64_t> &ids) {
        std::vector<std::string> payloads;
        for (uint64_t i : ids) {
            docs[i] = make_doc(i);
            payloads.push_back(docs[i].payload);
        }
        c.upsert(ids, qt::random_vectors(ids.size(), dim, 5), payloads);
    }

    // The live points whose body satisfies `pred` (on its terms).
    template <class Pred>
    std::set<uint64_t> body_where(Pred pred) const {
        std::set<uint64_t> out;
        for (const auto &[id, d] : docs)
            if (pred(terms(d.body))) out.insert(id);
        return out;
    }

    static bool has(const std::vector<std::string> &t, const std::string &w) {
        return std::find(t.begin(), t.end(), w) != t.end();
    }

    qt::TempDir dir;
    Database db;
    quiver::Collection c;
    std::map<uint64_t, Doc> docs;
};

} // namespace

// The builders write the JSON of the text operators; the parameters start
// from the library's defaults.
TEST(Text, FilterBuildersAndDefaults) {
    EXPECT_EQ(Filter::text("body", "red fish").json(), R"({"field": "body", "text": "red fish"})");
    EXPECT_EQ(Filter::text_any("body", "red fish").json(), R"({"field": "body", "text_any": "red fish"})");
    EXPECT_EQ(Filter::phrase("body", "red fish").json(), R"({"field": "body", "phrase": "red fish"})");
    EXPECT_EQ(Filter::phrase("meta.notes", R"(say "hi")").json(),
              R"({"field": "meta.notes", "phrase": "say \"hi\""})");
    EXPECT_EQ(Filter::and_({Filter::text("body", "cat"), Filter::not_(Filter::text_any("title", "bird tree"))}).json(),
              R"({"and": [{"field": "body", "text": "cat"}, {"not": {"field": "title", "text_any": "bird tree"}}]})");

    const TextIndexOptions o;
    EXPECT_FALSE(o.ascii_folding() || o.stop_words() || o.stemming());
    EXPECT_FLOAT_EQ(o.k1(), 1.2f);
    EXPECT_FLOAT_EQ(o.b(), 0.75f);
    const TextIndexOptions set = TextIndexOptions().ascii_folding().stop_words().stemming().k1(2).b(0.5f);
    EXPECT_TRUE(set.ascii_folding() && set.stop_words() && set.stemming());
    EXPECT_EQ(set.raw().stemming, 1u);
    EXPECT_EQ(set.k1(), 2.0f);
    EXPECT_EQ(set.b(), 0.5f);

    const TextSearchParams p;
    EXPECT_EQ(p.k(), 10u);
    EXPECT_EQ(p.mode(), TextMode::Any);
    EXPECT_FALSE(p.with_payload());
    EXPECT_TRUE(p.fields().empty());
    const TextSearchParams q =
        TextSearchParams(3).field("body").field("title", 2).mode(TextMode::Phrase).filter(Filter::eq("tag", 1));
    ASSERT_EQ(q.fields().size(), 2u);
    EXPECT_EQ(q.fields()[1].name, "title");
    EXPECT_EQ(q.fields()[1].boost, 2.0f);
    std::vector<qv_text_field> fields;
    const qv_text_search_params raw = q.to_c(fields);
    EXPECT_EQ(raw.k, 3u);
    EXPECT_EQ(raw.mode, static_cast<uint32_t>(QV_TEXT_PHRASE));
    EXPECT_EQ(raw.nfields, 2u);
    EXPECT_EQ(raw.fields, fields.data());
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(raw.fields[0].name), raw.fields[0].name_len), "body");
    EXPECT_EQ(raw.fields[0].boost, 1.0f);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(raw.filter_json), raw.filter_len),
              R"({"field": "tag", "eq": 1})");
    EXPECT_EQ(TextSearchParams().fields({{"a", 1}, {"b", 3}}).fields().size(), 2u);
}

TEST_F(TextTest, OneTermRankingMatchesBm25) {
    const std::vector<quiver::FieldIndex> list = c.field_indexes();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].field, "body");
    EXPECT_EQ(list[0].kind, FieldKind::Text);
    EXPECT_EQ(list[1].field, "title");
    EXPECT_EQ(list[1].kind, FieldKind::Text);
    EXPECT_EQ(list[2].kind, FieldKind::Integer);

    for (const char *w : body_words) {
        const Scores want = bm25(docs, false, w);
        ASSERT_FALSE(want.empty()) << w;
        expect_ranking(c.text_search(w, TextSearchParams(100).field("body")), want, 100, w);
        expect_ranking(c.text_search(w, TextSearchParams(3).field("body")), want, 3, std::string(w) + " top 3");
    }
    // The query is analyzed as the text: words, lowercased.
    expect_ranking(c.text_search("  FISH!", TextSearchParams(100).field("body")), bm25(docs, false, "fish"), 100,
                   "FISH!");
    // Default k: 10.
    EXPECT_EQ(c.text_search("fish cat red", TextSearchParams().field("body")).num_hits(),
              std::min<size_t>(10, bm25(docs, false, "fish cat red").size()));
}

TEST_F(TextTest, TwoFieldsWithBoosts) {
    // Any mode: a point scores boost x BM25 in each field, summed.
    const Scores fish = sum(bm25(docs, false, "fish"), bm25(docs, true, "fish", 2));
    expect_ranking(c.text_search("fish", TextSearchParams(100).field("body").field("title", 2)), fish, 100,
                   "fish, title x2");
    expect_ranking(c.text_search("fish", TextSearchParams(100).fields({{"body", 1}, {"title", 2}})), fish, 100,
                   "fish, fields()");
    const Scores two = sum(bm25(docs, false, "stone bird", 0.5), bm25(docs, true, "stone bird", 3));
    expect_ranking(c.text_search("stone bird", TextSearchParams(5).fields({{"title", 3}, {"body", 0.5f}})), two, 5,
                   "stone bird");
    // A boost of 1 on one field is that field's BM25.
    expect_ranking(c.text_search("tree", TextSearchParams(100).field("title")), bm25(docs, true, "tree"), 100,
                   "tree");
}

TEST_F(TextTest, AllAndPhraseMatchCountWhere) {
    // The first two different adjacent words of a body that some bodies
    // hold apart or in the other order, so that phrase < all < any.
    std::string first, second;
    std::set<uint64_t> want_phrase, want_all, want_any;
    for (const auto &[id, d] : docs) {
        const std::vector<std::string> t = terms(d.body);
        for (size_t j = 0; j + 1 < t.size() && first.empty(); j++) {
            const std::string a = t[j], b = t[j + 1];
            if (a == b) continue;
            want_phrase = body_where([&](const std::vector<std::string> &u) {
                for (size_t i = 0; i + 1 < u.size(); i++)
                    if (u[i] == a && u[i + 1] == b) return true;
                return false;
            });
            want_all = body_where([&](const std::vector<std::string> &u) { return has(u, a) && has(u, b); });
            want_any = body_where([&](const std::vector<std::string> &u) { return has(u, a) || has(u, b); });
            if (want_phrase.size() < want_all.size() && want_all.size() < want_any.size()) first = a, second = b;
        }
    }
    ASSERT_FALSE(first.empty()) << "the corpus has no such words";
    const std::string phrase = first + " " + second, reversed = second + " " + first;

    const quiver::Results by_phrase = c.text_search(phrase, TextSearchParams(100).field("body").mode(TextMode::Phrase));
    EXPECT_EQ(ids_of(by_phrase), want_phrase) << phrase;
    EXPECT_EQ(c.count_where(Filter::phrase("body", phrase)), want_phrase.size());
    EXPECT_EQ(c.count_where(R"({"field": "body", "phrase": ")" + phrase + R"("})"), want_phrase.size());
    // The words in the other order are not the phrase (unless some body has them so).
    EXPECT_EQ(c.text_search(reversed, TextSearchParams(100).field("body").mode(TextMode::Phrase)).num_hits(),
              c.count_where(Filter::phrase("body", reversed)));

    const quiver::Results by_all = c.text_search(reversed, TextSearchParams(100).field("body").mode(TextMode::All));
    EXPECT_EQ(ids_of(by_all), want_all) << reversed;
    EXPECT_EQ(c.count_where(Filter::text("body", reversed)), want_all.size());
    // The points matched score as in any mode.
    expect_ranking(by_all, restrict(bm25(docs, false, reversed), want_all), 100, "all: " + reversed);

    const quiver::Results by_any = c.text_search(reversed, TextSearchParams(100).field("body"));
    EXPECT_EQ(ids_of(by_any), want_any);
    EXPECT_EQ(c.count_where(Filter::text_any("body", reversed)), want_any.size());
}

TEST_F(TextTest, FilterAndPayloads) {
    std::set<uint64_t> tag1;
    for (const auto &[id, d] : docs)
        if (d.tag == 1) tag1.insert(id);
    // The statistics stay collection-wide under a filter.
    const Scores want = restrict(bm25(docs, false, "red"), tag1);
    ASSERT_FALSE(want.empty());
    ASSERT_LT(want.size(), bm25(docs, false, "red").size());
    const quiver::Results r =
        c.text_search("red", TextSearchParams(100).field("body").filter(Filter::eq("tag", 1)).with_payload());
    expect_ranking(r, want, 100, "red, tag 1");
    for (quiver::Hit h : r[0]) EXPECT_EQ(h.payload, docs.at(h.id).payload) << h.id;
    EXPECT_EQ(r[0].payload(0), docs.at(r[0][0].id).payload);

    // A hand-written filter, a text condition on another field; no payloads.
    const quiver::Results plain = c.text_search(
        "fish", TextSearchParams(100).field("body").filter(R"({"field": "title", "text_any": "bird tree"})"));
    std::set<uint64_t> birds_trees;
    for (const auto &[id, d] : docs) {
        const std::vector<std::string> t = terms(d.title);
        if (has(t, "bird") || has(t, "tree")) birds_trees.insert(id);
    }
    expect_ranking(plain, restrict(bm25(docs, false, "fish"), birds_trees), 100, "fish, bird or tree titles");
    ASSERT_FALSE(plain[0].empty());
    for (quiver::Hit h : plain[0]) EXPECT_TRUE(h.payload.empty()) << h.id;
}

TEST_F(TextTest, ReopenKeepsTheIndexesAndTheirOptions) {
    const Scores cat = bm25(docs, false, "cat");
    db.close();
    c = quiver::Collection();
    db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    c = db.open_collection("docs");

    const std::vector<quiver::FieldIndex> list = c.field_indexes();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].kind, FieldKind::Text);
    EXPECT_EQ(list[1].kind, FieldKind::Text);
    expect_ranking(c.text_search("cat", TextSearchParams(100).field("body")), cat, 100, "cat after reopen");

    // title stems: "fishes" finds the titles with "fish"; body does not.
    std::set<uint64_t> fish_titles;
    for (const auto &[id, d] : docs)
        if (has(terms(d.title), "fish")) fish_titles.insert(id);
    ASSERT_FALSE(fish_titles.empty());
    EXPECT_EQ(ids_of(c.text_search("fishes", TextSearchParams(100).field("title"))), fish_titles);
    EXPECT_EQ(c.count_where(Filter::text("title", "Fishes")), fish_titles.size());
    EXPECT_EQ(c.text_search("fishes", TextSearchParams(100).field("body")).num_hits(), 0u);
    expect_ranking(c.text_search("fishes", TextSearchParams(100).field("title")), bm25(docs, true, "fish"), 100,
                   "fishes in title");
}

// create_field_index with FieldKind::Text: a text index with the defaults.
TEST(Text, FieldKindTextCreatesATextIndex) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("t", CollectionConfig::metadata_only());
    c.upsert({1, 2, 3}, {}, std::vector<std::string>{R"({"t":"Red fish"})", R"({"t":["blue fish", "red"]})", "{}"});
    c.create_field_index("t", FieldKind::Text);
    c.create_field_index("t", FieldKind::Keyword); // a value index besides
    const std::vector<quiver::FieldIndex> list = c.field_indexes();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].kind, FieldKind::Text);
    EXPECT_EQ(list[1].kind, FieldKind::Keyword);
    const quiver::Results r = c.text_search("red", TextSearchParams().field("t"));
    EXPECT_EQ(ids_of(r), (std::set<uint64_t>{1, 2}));
    EXPECT_EQ(c.count_where(Filter::text("t", "fish red")), 2u);
    EXPECT_EQ(c.count_where(Filter::phrase("t", "fish red")), 0u); // not within one string
    qt::expect_error(Status::AlreadyExists, [&] { c.create_text_index("t"); });
    c.drop_field_index("t"); // the value index
    c.drop_text_index("t");
    EXPECT_TRUE(c.field_indexes().empty());
    db.close();
}

TEST_F(TextTest, Errors) {
    const auto invalid = [](const std::function<void()> &f) { return qt::expect_error(Status::InvalidArgument, f); };
    const auto search = [&](const TextSearchParams &p) { c.text_search("fish", p); };
    EXPECT_NE(invalid([&] { search(TextSearchParams().field("tag")); }).find("has no text index"), std::string::npos);
    invalid([&] { search(TextSearchParams().field("nope")); });
    EXPECT_NE(invalid([&] { search(TextSearchParams()); }).find("params.nfields is 0"), std::string::npos);
    EXPECT_NE(invalid([&] { search(TextSearchParams().field("body", -1)); }).find("boost -1"), std::string::npos);
    EXPECT_NE(invalid([&] { search(TextSearchParams().field("body", NAN)); }).find("boost"), std::string::npos);
    EXPECT_NE(invalid([&] { search(TextSearchParams().field("body").field("body", 2)); }).find("named twice"),
              std::string::npos);
    invalid([&] { search(TextSearchParams(0).field("body")); });
    invalid([&] { search(TextSearchParams(100001).field("body")); });
    EXPECT_NE(invalid([&] { search(TextSearchParams().field("body").mode(static_cast<TextMode>(7))); })
                  .find("params.mode is 7"),
              std::string::npos);
    invalid([&] { search(TextSearchParams().field("body").filter("{")); });
    invalid([&] { search(TextSearchParams().field("")); });
    invalid([&] { c.text_search("\xff", TextSearchParams().field("body")); });

    // Queries without terms find nothing.
    EXPECT_EQ(c.text_search(" ... ", TextSearchParams().field("body")).num_hits(), 0u);
    EXPECT_EQ(c.text_search("", TextSearchParams().field("body")).num_hits(), 0u);

    EXPECT_NE(invalid([&] { c.create_text_index("other", TextIndexOptions().k1(-1)); }).find("options.k1"),
              std::string::npos);
    invalid([&] { c.create_text_index("other", TextIndexOptions().k1(NAN)); });
    invalid([&] { c.create_text_index("other", TextIndexOptions().k1(1001)); });
    EXPECT_NE(invalid([&] { c.create_text_index("other", TextIndexOptions().b(1.5f)); }).find("options.b"),
              std::string::npos);
    invalid([&] { c.create_text_index("a..b"); });
    qt::expect_error(Status::AlreadyExists, [&] { c.create_text_index("body"); });
    qt::expect_error(Status::AlreadyExists, [&] { c.create_text_index("title", TextIndexOptions().stemming()); });
    qt::expect_error(Status::AlreadyExists, [&] { c.create_field_index("body", FieldKind::Text); });
    EXPECT_EQ(c.field_indexes().size(), 3u) << "nothing was created";

    // A text index is not a value index, and the other way round.
    qt::expect_error(Status::NotFound, [&] { c.drop_field_index("body"); });
    qt::expect_error(Status::NotFound, [&] { c.drop_text_index("tag"); });
    c.drop_text_index("title");
    qt::expect_error(Status::NotFound, [&] { c.drop_text_index("title"); });
    EXPECT_EQ(c.field_indexes().size(), 2u);
    invalid([&] { search(TextSearchParams().field("title")); });
    // Without the index, a text condition is evaluated on the payloads
    // (default analyzer: no stemming).
    std::set<uint64_t> fish_titles;
    for (const auto &[id, d] : docs)
        if (has(terms(d.title), "fish")) fish_titles.insert(id);
    EXPECT_EQ(c.count_where(Filter::text("title", "fish")), fish_titles.size());
    EXPECT_EQ(c.count_where(Filter::text("title", "fishes")), 0u);

    // A collection without a handle throws before calling the library.
    quiver::Collection moved = std::move(c);
    invalid([&] { search(TextSearchParams().field("body")); });
    invalid([&] { c.create_text_index("x"); });
    invalid([&] { c.drop_text_index("body"); });
    c = std::move(moved);
    expect_ranking(c.text_search("red", TextSearchParams(100).field("body")), bm25(docs, false, "red"), 100,
                   "red after the errors");
}
