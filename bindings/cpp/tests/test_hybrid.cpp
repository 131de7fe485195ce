// Hybrid search and multi-query search: a small corpus with vectors and a
// text field; reciprocal rank fusion of a dense and a text branch against
// RRF computed here from the branches' own results (search and
// text_search with the same parameters), with branch weights and two
// rrf_k values; a single dense branch keeps the search's order; relative
// score fusion computed here; payloads; multi-query average, max, RRF and
// weighted fusion against a computation here; the parameters' defaults and
// C structs; and the errors.
#include "test_util.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Fusion;
using quiver::HybridBranch;
using quiver::HybridSearchParams;
using quiver::MultiFusion;
using quiver::MultiQueryParams;
using quiver::SearchParams;
using quiver::Status;
using quiver::TextSearchParams;

namespace {

constexpr size_t dim = 4;
constexpr uint64_t n_points = 60;
constexpr uint32_t depth = 20; // each branch's candidates

const char *const words[6] = {"red", "fish", "blue", "cat", "green", "tree"};

using Hits = std::vector<std::pair<uint64_t, float>>; // one branch's (id, score), best first
using Scores = std::map<uint64_t, double>;            // id -> expected fused score

Hits hits_of(const quiver::Results &r) {
    Hits out;
    for (quiver::Hit h : r.at(0)) out.emplace_back(h.id, h.score);
    return out;
}

// Adds weight / (k + rank) for each hit (rank from 1).
void add_rrf(Scores &fused, const Hits &hits, double weight, double k) {
    for (size_t j = 0; j < hits.size(); j++) fused[hits[j].first] += weight / (k + static_cast<double>(j) + 1);
}

// Adds weight x the min-max normalised oriented score (distances negated;
// all equal: 1) for each hit.
void add_rsf(Scores &fused, const Hits &hits, double weight, bool higher_is_better) {
    if (hits.empty()) return;
    const auto orient = [&](float s) { return higher_is_better ? static_cast<double>(s) : -static_cast<double>(s); };
    double lo = orient(hits[0].second), hi = lo;
    for (const auto &[id, s] : hits) lo = std::min(lo, orient(s)), hi = std::max(hi, orient(s));
    for (const auto &[id, s] : hits) fused[id] += weight * (lo == hi ? 1.0 : (orient(s) - lo) / (hi - lo));
}

// The hits are the best min(k, want.size()) points of `want` (the highest
// first, or the lowest when `lowest_first`), equal scores by ascending id,
// each with its expected score.
void expect_fused(const quiver::Results &r, const Scores &want, size_t k, const std::string &what,
                  bool lowest_first = false) {
    ASSERT_EQ(r.size(), 1u) << what;
    std::vector<std::pair<uint64_t, double>> order(want.begin(), want.end());
    std::stable_sort(order.begin(), order.end(), [&](const auto &a, const auto &b) {
        return lowest_first ? a.second < b.second : a.second > b.second;
    });
    const quiver::QueryHits hits = r[0];
    ASSERT_EQ(hits.size(), std::min(k, want.size())) << what;
    for (size_t j = 0; j < hits.size(); j++) {
        const auto it = want.find(hits[j].id);
        ASSERT_NE(it, want.end()) << what << ": hit " << hits[j].id << " is no candidate";
        // Position j holds a point whose expected score is the j-th best
        // (equal up to f32 rounding), with that score.
        EXPECT_NEAR(hits[j].score, order[j].second, 1e-5) << what << ": hit " << j;
        EXPECT_NEAR(it->second, order[j].second, 1e-5) << what << ": hit " << j << " (point " << hits[j].id << ")";
        if (j > 0) {
            const float a = hits[j - 1].score, b = hits[j].score;
            EXPECT_TRUE((lowest_first ? a < b : a > b) || (a == b && hits[j - 1].id < hits[j].id))
                << what << ": hits " << j - 1 << " and " << j << " out of order";
        }
    }
}

// 60 points with random 4-dimensional vectors (euclidean) and a payload
// {"body": "<word> <word>", "tag": i % 3}; a text index on body, none on
// tag. Points 0 .. 39 are sealed.
class HybridTest : public ::testing::Test {
protected:
    void SetUp() override {
        db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        c = db.create_collection("h", CollectionConfig(dim, quiver::Metric::Euclidean));
        vectors = qt::random_vectors(n_points, dim, 11);
        for (uint64_t i = 0; i < n_points; i++)
            payloads.push_back(std::string(R"({"body":")") + words[i % 6] + " " + words[(i / 6) % 6] +
                               R"(","tag":)" + std::to_string(i % 3) + "}");
        const std::vector<uint64_t> ids = qt::iota_ids(n_points);
        c.upsert(quiver::span<const uint64_t>(ids.data(), 40), quiver::span<const float>(vectors.data(), 40 * dim),
                 std::vector<std::string>(payloads.begin(), payloads.begin() + 40));
        c.create_text_index("body");
        c.optimize();
        c.upsert(quiver::span<const uint64_t>(ids.data() + 40, n_points - 40),
                 quiver::span<const float>(vectors.data() + 40 * dim, (n_points - 40) * dim),
                 std::vector<std::string>(payloads.begin() + 40, payloads.end()));
    }
    void TearDown() override { db.close(); }

    // Point i's vector.
    quiver::span<const float> vec(uint64_t i) const { return {vectors.data() + i * dim, dim}; }

    qt::TempDir dir;
    Database db;
    quiver::Collection c;
    std::vector<float> vectors;
    std::vector<std::string> payloads;
    const SearchParams dense_params = SearchParams(depth).exact();
    const TextSearchParams text_params = TextSearchParams(depth).field("body");
};

} // namespace

TEST(Hybrid, DefaultsAndCStructs) {
    const HybridSearchParams p;
    EXPECT_EQ(p.k(), 10u);
    EXPECT_EQ(p.fusion(), Fusion::Rrf);
    EXPECT_EQ(p.rrf_k(), 60.0f);
    EXPECT_FALSE(p.with_payload());
    EXPECT_TRUE(p.branches().empty());

    const std::vector<float> q = {1, 2, 3, 4};
    const HybridSearchParams h = HybridSearchParams(5)
                                     .fusion(Fusion::Rsf)
                                     .rrf_k(3)
                                     .with_payload()
                                     .branch(HybridBranch::dense(q, SearchParams(7).filter(R"({"has_id": [1]})")))
                                     .branch(HybridBranch::text("red fish", TextSearchParams(9).field("body"), 2));
    ASSERT_EQ(h.branches().size(), 2u);
    EXPECT_EQ(h.branches()[0].kind(), quiver::BranchKind::Dense);
    EXPECT_EQ(h.branches()[0].weight(), 1.0f);
    EXPECT_EQ(h.branches()[0].vector(), q);
    EXPECT_EQ(h.branches()[1].kind(), quiver::BranchKind::Text);
    EXPECT_EQ(h.branches()[1].weight(), 2.0f);
    EXPECT_EQ(h.branches()[1].query(), "red fish");
    EXPECT_EQ(h.branches()[1].text_params().k(), 9u);
    EXPECT_EQ(HybridBranch::dense({1.0f, 2.0f}, SearchParams()).weight(0.5f).weight(), 0.5f);

    HybridSearchParams::CArrays arrays;
    const qv_hybrid_params raw = h.to_c(arrays);
    EXPECT_EQ(raw.struct_size, sizeof(qv_hybrid_params));
    EXPECT_EQ(raw.k, 5u);
    EXPECT_EQ(raw.fusion, static_cast<uint32_t>(QV_FUSION_RSF));
    EXPECT_EQ(raw.rrf_k, 3.0f);
    EXPECT_EQ(raw.with_payload, 1u);
    ASSERT_EQ(raw.nbranches, 2u);
    ASSERT_EQ(raw.branches, arrays.branches.data());
    const qv_hybrid_branch &d = raw.branches[0], &t = raw.branches[1];
    EXPECT_EQ(d.struct_size, sizeof(qv_hybrid_branch));
    EXPECT_EQ(d.kind, static_cast<uint32_t>(QV_BRANCH_DENSE));
    EXPECT_EQ(d.vector, h.branches()[0].vector().data());
    EXPECT_EQ(d.dim, 4u);
    ASSERT_NE(d.search, nullptr);
    EXPECT_EQ(d.search->k, 7u);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(d.search->filter_json), d.search->filter_len),
              R"({"has_id": [1]})");
    EXPECT_EQ(d.query, nullptr);
    EXPECT_EQ(d.text, nullptr);
    EXPECT_EQ(t.kind, static_cast<uint32_t>(QV_BRANCH_TEXT));
    EXPECT_EQ(t.weight, 2.0f);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(t.query), t.query_len), "red fish");
    ASSERT_NE(t.text, nullptr);
    EXPECT_EQ(t.text->k, 9u);
    ASSERT_EQ(t.text->nfields, 1u);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(t.text->fields[0].name), t.text->fields[0].name_len),
              "body");
    EXPECT_EQ(t.vector, nullptr);
    EXPECT_EQ(t.search, nullptr);

    const MultiQueryParams m;
    EXPECT_EQ(m.fusion(), MultiFusion::Rrf);
    EXPECT_EQ(m.rrf_k(), 60.0f);
    EXPECT_EQ(m.candidates(), 0u);
    EXPECT_TRUE(m.weights().empty());
    const MultiQueryParams w = MultiQueryParams(MultiFusion::Weighted).weights({1, 0.5f}).candidates(30).rrf_k(7);
    const qv_multi_query_params mraw = w.to_c();
    EXPECT_EQ(mraw.struct_size, sizeof(qv_multi_query_params));
    EXPECT_EQ(mraw.fusion, static_cast<uint32_t>(QV_MULTI_WEIGHTED));
    EXPECT_EQ(mraw.candidates, 30u);
    EXPECT_EQ(mraw.rrf_k, 7.0f);
    EXPECT_EQ(mraw.weights, w.weights().data());
    EXPECT_EQ(mraw.nweights, 2u);
    EXPECT_EQ(m.to_c().weights, nullptr);
}

TEST_F(HybridTest, RrfEqualsRrfOfTheBranches) {
    const quiver::span<const float> q = vec(7);
    const char *text = "fish cat";
    const Hits dense = hits_of(c.search(q, dense_params));
    const Hits found = hits_of(c.text_search(text, text_params));
    ASSERT_EQ(dense.size(), depth);
    ASSERT_GT(found.size(), 8u);

    for (const float rrf_k : {60.0f, 3.0f}) {
        for (const auto &[wd, wt] : {std::pair<float, float>{1, 1}, {1, 2}, {0.5f, 0.25f}}) {
            Scores want;
            add_rrf(want, dense, wd, rrf_k);
            add_rrf(want, found, wt, rrf_k);
            const std::string what = "rrf_k " + std::to_string(rrf_k) + ", weights " + std::to_string(wd) + "/" +
                                     std::to_string(wt);
            const HybridSearchParams p = HybridSearchParams(8)
                                             .rrf_k(rrf_k)
                                             .branch(HybridBranch::dense(q, dense_params, wd))
                                             .branch(HybridBranch::text(text, text_params, wt));
            expect_fused(c.hybrid_search(p), want, 8, what);
            // All candidates.
            expect_fused(c.hybrid_search(HybridSearchParams(p).k(100)), want, 100, what + ", k 100");
        }
    }
    // The default rrf_k is 60; branches() replaces the list.
    Scores want;
    add_rrf(want, dense, 1, 60);
    add_rrf(want, found, 1, 60);
    expect_fused(c.hybrid_search(HybridSearchParams().branches(
                     {HybridBranch::text(text, text_params), HybridBranch::dense(q, dense_params)})),
                 want, 10, "defaults");
}

TEST_F(HybridTest, OneDenseBranchKeepsTheSearchOrder) {
    const quiver::Results alone = c.search(vec(30), dense_params);
    const quiver::Results fused =
        c.hybrid_search(HybridSearchParams(depth).branch(HybridBranch::dense(vec(30), dense_params)));
    ASSERT_EQ(fused[0].size(), alone[0].size());
    for (size_t j = 0; j < alone[0].size(); j++) {
        EXPECT_EQ(fused[0][j].id, alone[0][j].id) << j;
        EXPECT_NEAR(fused[0][j].score, 1.0 / (60.0 + static_cast<double>(j) + 1), 1e-7) << j;
    }
    // The same through the graph, with a filter of its own.
    const SearchParams graph = SearchParams(10).filter(quiver::Filter::eq("tag", 1));
    const quiver::Results a = c.search(vec(3), graph);
    const quiver::Results f = c.hybrid_search(HybridSearchParams(10).branch(HybridBranch::dense(vec(3), graph)));
    EXPECT_EQ(std::vector<uint64_t>(f[0].ids().begin(), f[0].ids().end()),
              std::vector<uint64_t>(a[0].ids().begin(), a[0].ids().end()));
}

TEST_F(HybridTest, RsfEqualsMinMaxOfTheBranches) {
    const quiver::span<const float> q = vec(12);
    const char *text = "green tree";
    const Hits dense = hits_of(c.search(q, dense_params));
    const Hits found = hits_of(c.text_search(text, text_params));
    ASSERT_FALSE(found.empty());
    for (const auto &[wd, wt] : {std::pair<float, float>{1, 1}, {1, 0.5f}, {0, 3}}) {
        Scores want; // every candidate, also those that get 0
        add_rsf(want, dense, wd, false);
        add_rsf(want, found, wt, true);
        const std::string what = "rsf, weights " + std::to_string(wd) + "/" + std::to_string(wt);
        const HybridSearchParams p = HybridSearchParams(100)
                                         .fusion(Fusion::Rsf)
                                         .branch(HybridBranch::dense(q, dense_params, wd))
                                         .branch(HybridBranch::text(text, text_params, wt));
        expect_fused(c.hybrid_search(p), want, 100, what);
        expect_fused(c.hybrid_search(HybridSearchParams(p).k(6)), want, 6, what + ", k 6");
    }
    // Every fusion returns k hits, best first.
    for (const Fusion f : {Fusion::Rrf, Fusion::Rsf, Fusion::Dbsf, Fusion::Weighted}) {
        const quiver::Results r = c.hybrid_search(HybridSearchParams(8).fusion(f).branches(
            {HybridBranch::dense(q, dense_params), HybridBranch::text(text, text_params)}));
        ASSERT_EQ(r[0].size(), 8u) << static_cast<uint32_t>(f);
        for (size_t j = 1; j < 8; j++) EXPECT_GE(r[0][j - 1].score, r[0][j].score) << static_cast<uint32_t>(f);
    }
}

TEST_F(HybridTest, Payloads) {
    HybridSearchParams p = HybridSearchParams(12).with_payload().branches(
        {HybridBranch::dense(vec(5), dense_params), HybridBranch::text("blue", text_params)});
    const quiver::Results r = c.hybrid_search(p);
    ASSERT_EQ(r[0].size(), 12u);
    for (quiver::Hit h : r[0]) EXPECT_EQ(h.payload, payloads.at(h.id)) << h.id;
    // The branches' own with_payload does not matter.
    const quiver::Results plain = c.hybrid_search(
        p.with_payload(false).branches({HybridBranch::dense(vec(5), SearchParams(dense_params).with_payload()),
                                        HybridBranch::text("blue", TextSearchParams(text_params).with_payload())}));
    ASSERT_EQ(plain[0].size(), 12u);
    for (size_t j = 0; j < 12; j++) {
        EXPECT_EQ(plain[0][j].id, r[0][j].id);
        EXPECT_TRUE(plain[0][j].payload.empty());
    }
    // Multi-query: payloads when the search asks for them.
    std::vector<float> two(vec(5).begin(), vec(5).end());
    two.insert(two.end(), vec(50).begin(), vec(50).end());
    const quiver::Results m = c.multi_query_search(two.data(), 2, dim, SearchParams(6).exact().with_payload());
    ASSERT_EQ(m[0].size(), 6u);
    for (quiver::Hit h : m[0]) EXPECT_EQ(h.payload, payloads.at(h.id)) << h.id;
}

TEST_F(HybridTest, MultiQueryMatchesTheLists) {
    const std::vector<uint64_t> rows = {7, 30, 44};
    std::vector<float> flat;
    std::vector<std::vector<float>> nested;
    std::vector<Hits> lists;
    for (uint64_t i : rows) {
        flat.insert(flat.end(), vec(i).begin(), vec(i).end());
        nested.emplace_back(vec(i).begin(), vec(i).end());
        lists.push_back(hits_of(c.search(vec(i), dense_params))); // depth = the candidates
    }
    const SearchParams search = SearchParams(5).exact();

    // Expected: average (the mean distance over the lists holding a point,
    // smallest first), max (the smallest distance), RRF (rrf_k 60) and
    // weighted (the sum of weight x -distance).
    Scores sum, count, average, best, rrf, weighted;
    const std::vector<float> weights = {1, 0.5f, 2};
    for (size_t q = 0; q < lists.size(); q++) {
        for (size_t j = 0; j < lists[q].size(); j++) {
            const auto [id, s] = lists[q][j];
            sum[id] += s;
            count[id]++;
            best[id] = best.count(id) ? std::min(best[id], static_cast<double>(s)) : s;
            weighted[id] -= weights[q] * s;
        }
        add_rrf(rrf, lists[q], 1, 60);
    }
    for (const auto &[id, s] : sum) average[id] = s / count[id];

    const MultiQueryParams avg = MultiQueryParams(MultiFusion::Average).candidates(depth);
    expect_fused(c.multi_query_search(flat.data(), 3, dim, search, avg), average, 5, "average", true);
    expect_fused(c.multi_query_search(nested, search, avg), average, 5, "average, nested", true);
    // Lists of all 60 points: the plain mean of the distances to the rows.
    Scores all;
    for (uint64_t i = 0; i < n_points; i++) {
        double total = 0;
        for (uint64_t r : rows) {
            double d = 0;
            for (size_t k = 0; k < dim; k++) {
                const double x = static_cast<double>(vectors[i * dim + k]) - vectors[r * dim + k];
                d += x * x;
            }
            total += std::sqrt(d);
        }
        all[i] = total / static_cast<double>(rows.size());
    }
    expect_fused(c.multi_query_search(nested, SearchParams(100).exact(), MultiQueryParams(avg).candidates(100)), all,
                 100, "average over all points", true);

    // RRF (the default fusion, rrf_k 60) and another rrf_k.
    const MultiQueryParams by_rank = MultiQueryParams().candidates(depth);
    expect_fused(c.multi_query_search(flat.data(), 3, dim, search, by_rank), rrf, 5, "rrf");
    // candidates 0 = the search's k (50): lists of 50.
    Scores rrf10;
    for (uint64_t i : rows) add_rrf(rrf10, hits_of(c.search(vec(i), SearchParams(50).exact())), 1, 10);
    const MultiQueryParams rrf_k10 = MultiQueryParams(by_rank).rrf_k(10).candidates(0);
    expect_fused(c.multi_query_search(nested, SearchParams(50).exact(), rrf_k10), rrf10, 50,
                 "rrf_k 10, candidates = k");
    // Max and weighted.
    expect_fused(c.multi_query_search(nested, search, MultiQueryParams(MultiFusion::Max).candidates(depth)), best, 5,
                 "max", true);
    expect_fused(c.multi_query_search(
                     nested, search, MultiQueryParams(MultiFusion::Weighted).weights(weights).candidates(depth)),
                 weighted, 5, "weighted");
}

TEST_F(HybridTest, Errors) {
    const auto invalid = [](const std::function<void()> &f) { return qt::expect_error(Status::InvalidArgument, f); };
    const auto has = [](const std::string &message, const char *part) {
        EXPECT_NE(message.find(part), std::string::npos) << "\"" << message << "\" should name " << part;
    };
    const HybridBranch dense = HybridBranch::dense(vec(1), dense_params);
    const HybridBranch text = HybridBranch::text("fish", text_params);

    has(invalid([&] { c.hybrid_search(HybridSearchParams()); }), "params.nbranches is 0");
    has(invalid([&] { c.hybrid_search(HybridSearchParams().branches({dense, HybridBranch(text).weight(-1)})); }),
        "branches[1].weight is -1");
    has(invalid([&] { c.hybrid_search(HybridSearchParams().branch(HybridBranch(dense).weight(NAN))); }), "weight");
    const std::string mismatch = qt::expect_error(Status::DimensionMismatch, [&] {
        c.hybrid_search(HybridSearchParams().branches({text, HybridBranch::dense({1.0f, 2.0f, 3.0f}, dense_params)}));
    });
    has(mismatch, "branches[1]");
    // tag has no text index.
    const std::string no_index = invalid([&] {
        const HybridBranch tag = HybridBranch::text("fish", TextSearchParams().field("tag"));
        c.hybrid_search(HybridSearchParams().branches({dense, tag}));
    });
    has(no_index, "branches[1]");
    has(no_index, "has no text index");
    has(invalid([&] { c.hybrid_search(HybridSearchParams().branch(HybridBranch::text("fish", TextSearchParams()))); }),
        "branches[0]");
    has(invalid([&] { c.hybrid_search(HybridSearchParams().branch(dense).fusion(static_cast<Fusion>(9))); }),
        "params.fusion is 9");
    invalid([&] { c.hybrid_search(HybridSearchParams().branch(dense).rrf_k(0)); });
    invalid([&] { c.hybrid_search(HybridSearchParams(0).branch(dense)); });

    // Multi-query.
    std::vector<float> two(vec(1).begin(), vec(1).end());
    two.insert(two.end(), vec(2).begin(), vec(2).end());
    const SearchParams search = SearchParams(5).exact();
    has(invalid([&] {
            c.multi_query_search(two.data(), 2, dim, search, MultiQueryParams(MultiFusion::Weighted).weights({1}));
        }),
        "1 weights for 2 queries");
    has(invalid([&] {
            c.multi_query_search(two.data(), 2, dim, search, MultiQueryParams(MultiFusion::Weighted).weights({1, -1}));
        }),
        "weight");
    has(invalid([&] { c.multi_query_search(two.data(), 2, dim, search, MultiQueryParams().candidates(2)); }),
        "candidates is 2");
    has(invalid([&] { c.multi_query_search(two.data(), 0, dim, search); }), "nq is 0");
    invalid([&] { c.multi_query_search(std::vector<std::vector<float>>{}, search); });
    qt::expect_error(Status::DimensionMismatch, [&] { c.multi_query_search(two.data(), 2, 3, search); });
    has(invalid([&] { c.multi_query_search({{1, 2, 3, 4}, {1, 2, 3}}, search); }), "queries[1] holds 3 floats");
    // Weights are read by the weighted fusion only.
    EXPECT_EQ(c.multi_query_search(two.data(), 2, dim, search, MultiQueryParams().weights({1})).num_hits(), 5u);

    // A collection without a handle throws before calling the library.
    quiver::Collection moved = std::move(c);
    invalid([&] { c.hybrid_search(HybridSearchParams().branch(dense)); });
    invalid([&] { c.multi_query_search(two.data(), 2, dim, search); });
    c = std::move(moved);
    EXPECT_EQ(c.hybrid_search(HybridSearchParams(4).branches({dense, text})).num_hits(), 4u);
}
