// Named sparse vectors: upsert of two names (indices given unsorted) over a
// sealed and an appendable segment, read back sorted with get_sparse; exact
// search equal to a brute-force dot product computed here (ids and float
// scores exactly, ties by ascending id), with and without a filter, with
// payloads; update_sparse (set, remove, repeated and missing ids) and the
// searches again; a plain upsert leaves a point no sparse vector; everything
// kept across a reopen; hybrid search with a sparse branch (alone: the
// sparse order; with a dense branch: RRF of the two); the parameters'
// defaults and C structs; and the errors, which change nothing.
#include "test_util.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Filter;
using quiver::HybridBranch;
using quiver::HybridSearchParams;
using quiver::SearchParams;
using quiver::SparseColumn;
using quiver::SparseSearchParams;
using quiver::SparseVector;
using quiver::Status;

namespace {

constexpr size_t dim = 2;
constexpr uint64_t n_points = 200;
constexpr uint64_t n_sealed = 120; // points 0 .. 119 are written, then sealed
constexpr uint32_t vocab = 40;
constexpr size_t max_nnz = 8;

using Model = std::map<uint64_t, SparseVector>; // id -> its vector of one name, sorted by index
using Hits = std::vector<std::pair<uint64_t, float>>;

// `v` sorted by index.
SparseVector sorted(SparseVector v) {
    std::vector<std::pair<uint32_t, float>> pairs;
    for (size_t j = 0; j < v.indices.size(); j++) pairs.emplace_back(v.indices[j], v.values[j]);
    std::sort(pairs.begin(), pairs.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    SparseVector out;
    for (const auto &[i, x] : pairs) out.indices.push_back(i), out.values.push_back(x);
    return out;
}

// 1 to `max_n` distinct indices below `vocab`, in random (unsorted) order,
// with values in [lo, hi).
SparseVector random_sparse(std::mt19937 &rng, size_t max_n, float lo, float hi) {
    std::uniform_int_distribution<uint32_t> index(0, vocab - 1);
    std::uniform_int_distribution<size_t> count(1, max_n);
    std::uniform_real_distribution<float> value(lo, hi);
    SparseVector v;
    const size_t n = count(rng);
    while (v.indices.size() < n) {
        const uint32_t i = index(rng);
        if (std::find(v.indices.begin(), v.indices.end(), i) != v.indices.end()) continue;
        v.indices.push_back(i);
        v.values.push_back(value(rng));
    }
    return v;
}

// The dot product of a stored (sorted) vector with the query, as the
// engine defines it: the products of the shared indices summed in 32-bit
// floats in ascending index order. Each product goes through a volatile so
// that no compiler fuses it with the addition (-ffp-contract).
std::optional<float> dot(const SparseVector &point, const std::map<uint32_t, float> &query) {
    float s = 0.0f;
    bool shared = false;
    for (size_t j = 0; j < point.indices.size(); j++) {
        const auto it = query.find(point.indices[j]);
        if (it == query.end()) continue;
        shared = true;
        volatile float product = point.values[j] * it->second;
        s = s + product;
    }
    return shared ? std::optional<float>(s) : std::nullopt;
}

// The best k points of `model` for `query` (that share an index with it and
// pass `keep`), best first, equal scores by ascending id.
Hits brute_force(const Model &model, const SparseVector &query, size_t k,
                 const std::function<bool(uint64_t)> &keep = nullptr) {
    std::map<uint32_t, float> q;
    for (size_t j = 0; j < query.indices.size(); j++) q[query.indices[j]] = query.values[j];
    Hits all;
    for (const auto &[id, v] : model) {
        if (keep && !keep(id)) continue;
        if (const std::optional<float> s = dot(v, q)) all.emplace_back(id, *s);
    }
    std::stable_sort(all.begin(), all.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    if (all.size() > k) all.resize(k);
    return all;
}

Hits hits_of(const quiver::Results &r) {
    Hits out;
    for (quiver::Hit h : r.at(0)) out.emplace_back(h.id, h.score);
    return out;
}

std::string show(const Hits &hits) {
    std::string out;
    for (const auto &[id, s] : hits) out += (out.empty() ? "" : " ") + std::to_string(id) + ":" + std::to_string(s);
    return out;
}

bool odd(uint64_t id) { return id % 2 == 1; }

// 200 points with 2-dimensional vectors (euclidean), payload {"odd": 0|1},
// and two sparse vectors: "a" (random, 1 to 8 entries over 40 indices;
// none for i % 10 == 0) and "b" (index i % 7 at 1, and 10 + i % 5 at 0.5
// when i % 3 == 0: many equal scores). Points 0 .. 119 are sealed.
class SparseTest : public ::testing::Test {
protected:
    void SetUp() override {
        db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        c = db.create_collection("s", CollectionConfig(dim, quiver::Metric::Euclidean));
        std::mt19937 rng(7);
        std::vector<SparseVector> a_rows, b_rows;
        for (uint64_t i = 0; i < n_points; i++) {
            ids.push_back(i);
            vectors.push_back(static_cast<float>(i));
            vectors.push_back(1.0f);
            payloads.push_back(R"({"odd":)" + std::to_string(i % 2) + "}");
            SparseVector a = i % 10 == 0 ? SparseVector{} : random_sparse(rng, max_nnz, -1.0f, 3.0f);
            SparseVector b{{static_cast<uint32_t>(i % 7)}, {1.0f}};
            if (i % 3 == 0) {
                b.indices.insert(b.indices.begin(), static_cast<uint32_t>(10 + i % 5));
                b.values.insert(b.values.begin(), 0.5f);
            }
            unsorted_rows += !std::is_sorted(a.indices.begin(), a.indices.end());
            unsorted_rows += !std::is_sorted(b.indices.begin(), b.indices.end());
            if (!a.empty()) model_a[i] = sorted(a);
            model_b[i] = sorted(b);
            a_rows.push_back(std::move(a));
            b_rows.push_back(std::move(b));
        }
        write(0, n_sealed, a_rows, b_rows);
        c.optimize();
        write(n_sealed, n_points, a_rows, b_rows);
    }
    void TearDown() override { db.close(); }

    // Upserts points [from, to) with both names (the payloads as strings).
    void write(uint64_t from, uint64_t to, const std::vector<SparseVector> &a, const std::vector<SparseVector> &b) {
        const size_t n = static_cast<size_t>(to - from);
        const std::vector<SparseColumn> cols = {
            {"a", std::vector<SparseVector>(a.begin() + from, a.begin() + to)},
            {"b", std::vector<SparseVector>(b.begin() + from, b.begin() + to)},
        };
        c.upsert(quiver::span<const uint64_t>(ids.data() + from, n),
                 quiver::span<const float>(vectors.data() + from * dim, n * dim),
                 std::vector<std::string>(payloads.begin() + from, payloads.begin() + to), cols);
    }

    // get_sparse of every id (and of one that does not exist) equals the model.
    void expect_stored(const std::string &name, const Model &model, const std::string &what) {
        std::vector<uint64_t> want_ids = ids;
        want_ids.push_back(12345);
        const std::vector<std::optional<SparseVector>> got = c.get_sparse(want_ids, name);
        ASSERT_EQ(got.size(), want_ids.size()) << what;
        for (size_t i = 0; i < want_ids.size(); i++) {
            const auto it = model.find(want_ids[i]);
            if (it == model.end()) {
                EXPECT_FALSE(got[i].has_value()) << what << ": point " << want_ids[i] << " has a vector " << name;
            } else {
                ASSERT_TRUE(got[i].has_value()) << what << ": point " << want_ids[i] << " lost its vector " << name;
                EXPECT_EQ(*got[i], it->second) << what << ": point " << want_ids[i] << ", " << name;
            }
        }
    }

    // Queries of both names (k 1 .. 100, with and without the filter odd = 1;
    // query values non-negative in even rounds, of both signs in odd ones)
    // against brute force: ids and scores exactly equal.
    void expect_searches(const std::string &what) {
        std::mt19937 rng(99);
        const size_t rounds = qt::under_valgrind() ? 6 : 16;
        size_t total = 0, filtered_total = 0, negative = 0;
        for (size_t round = 0; round < rounds; round++) {
            const SparseVector q = random_sparse(rng, 6, round % 2 == 0 ? 0.0f : -1.0f, 2.0f);
            const uint32_t k = round == 0 ? 100 : static_cast<uint32_t>(1 + round * 3);
            for (const bool filtered : {false, true}) {
                for (const auto &[name, model] : {std::pair<const char *, const Model *>{"a", &model_a},
                                                  {"b", &model_b}}) {
                    SparseSearchParams p(k);
                    if (filtered) p.filter(Filter::eq("odd", 1));
                    const Hits want = brute_force(*model, q, k, filtered ? std::function<bool(uint64_t)>(odd) : nullptr);
                    const Hits got = hits_of(c.sparse_search(name, q, p));
                    (filtered ? filtered_total : total) += want.size();
                    for (const auto &h : want) negative += h.second < 0;
                    EXPECT_EQ(got, want) << what << ": round " << round << ", " << name << ", k " << k
                                         << (filtered ? ", odd" : "") << "\n got  " << show(got) << "\n want "
                                         << show(want);
                }
            }
        }
        // The comparisons are not of empty lists; some scores are negative.
        EXPECT_GT(total, rounds * 10) << what;
        EXPECT_GT(filtered_total, rounds * 5) << what;
        EXPECT_GT(negative, 0u) << what;
    }

    qt::TempDir dir;
    Database db;
    quiver::Collection c;
    std::vector<uint64_t> ids;
    std::vector<float> vectors;
    std::vector<std::string> payloads;
    Model model_a, model_b;
    size_t unsorted_rows = 0; // rows written with their indices out of order
};

} // namespace

TEST(Sparse, DefaultsAndCStructs) {
    const SparseSearchParams p;
    EXPECT_EQ(p.k(), 10u);
    EXPECT_FALSE(p.with_payload());
    EXPECT_TRUE(p.filter().empty());
    const qv_sparse_search_params none = p.to_c("");
    EXPECT_EQ(none.struct_size, sizeof(qv_sparse_search_params));
    EXPECT_EQ(none.name, nullptr);
    EXPECT_EQ(none.name_len, 0u);
    EXPECT_EQ(none.filter_json, nullptr);

    const SparseSearchParams q = SparseSearchParams(7).with_payload().filter(Filter::eq("odd", 1));
    const std::string name = "splade";
    const qv_sparse_search_params raw = q.to_c(name);
    EXPECT_EQ(raw.k, 7u);
    EXPECT_EQ(raw.with_payload, 1u);
    EXPECT_EQ(raw.reserved, 0u);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(raw.name), raw.name_len), "splade");
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(raw.filter_json), raw.filter_len),
              R"({"field": "odd", "eq": 1})");
    EXPECT_EQ(SparseSearchParams(3).k(4).with_payload(true).with_payload(false).k(), 4u);

    const SparseVector v{{9, 2}, {0.5f, 1.5f}};
    EXPECT_EQ(v.size(), 2u);
    EXPECT_FALSE(v.empty());
    EXPECT_TRUE(SparseVector{}.empty());
    EXPECT_EQ(v, (SparseVector{{9, 2}, {0.5f, 1.5f}}));
    EXPECT_NE(v, (SparseVector{{2, 9}, {1.5f, 0.5f}})); // as written, not as stored

    const std::vector<float> dq = {1, 2};
    const HybridSearchParams h = HybridSearchParams(5)
                                     .branch(HybridBranch::sparse("a", v, SparseSearchParams(9).filter("{\"has_id\": [1]}"), 2))
                                     .branch(HybridBranch::dense(dq, SearchParams(4)));
    ASSERT_EQ(h.branches().size(), 2u);
    const HybridBranch &s = h.branches()[0];
    EXPECT_EQ(s.kind(), quiver::BranchKind::Sparse);
    EXPECT_EQ(s.weight(), 2.0f);
    EXPECT_EQ(s.sparse_name(), "a");
    EXPECT_EQ(s.sparse_query(), v);
    EXPECT_EQ(s.sparse_params().k(), 9u);
    EXPECT_TRUE(s.vector().empty());
    EXPECT_TRUE(s.query().empty());
    EXPECT_TRUE(h.branches()[1].sparse_name().empty());
    EXPECT_TRUE(h.branches()[1].sparse_query().empty());

    HybridSearchParams::CArrays arrays;
    const qv_hybrid_params hp = h.to_c(arrays);
    ASSERT_EQ(hp.nbranches, 2u);
    const qv_hybrid_branch &b = hp.branches[0], &d = hp.branches[1];
    EXPECT_EQ(b.struct_size, sizeof(qv_hybrid_branch));
    EXPECT_EQ(b.kind, static_cast<uint32_t>(QV_BRANCH_SPARSE));
    EXPECT_EQ(b.weight, 2.0f);
    EXPECT_EQ(b.sparse_indices, s.sparse_query().indices.data());
    EXPECT_EQ(b.sparse_values, s.sparse_query().values.data());
    EXPECT_EQ(b.sparse_nnz, 2u);
    ASSERT_NE(b.sparse, nullptr);
    EXPECT_EQ(b.sparse->struct_size, sizeof(qv_sparse_search_params));
    EXPECT_EQ(b.sparse->k, 9u);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(b.sparse->name), b.sparse->name_len), "a");
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(b.sparse->filter_json), b.sparse->filter_len),
              R"({"has_id": [1]})");
    EXPECT_EQ(b.vector, nullptr);
    EXPECT_EQ(b.search, nullptr);
    EXPECT_EQ(b.query, nullptr);
    EXPECT_EQ(b.text, nullptr);
    EXPECT_EQ(d.kind, static_cast<uint32_t>(QV_BRANCH_DENSE));
    EXPECT_EQ(d.sparse, nullptr);
    EXPECT_EQ(d.sparse_indices, nullptr);
    EXPECT_EQ(d.sparse_nnz, 0u);
    // An empty sparse query: NULL arrays of length 0.
    const HybridSearchParams e = HybridSearchParams().branch(HybridBranch::sparse("a", SparseVector{}, SparseSearchParams()));
    const qv_hybrid_params ep = e.to_c(arrays);
    EXPECT_EQ(ep.branches[0].sparse_indices, nullptr);
    EXPECT_EQ(ep.branches[0].sparse_values, nullptr);
    EXPECT_EQ(ep.branches[0].sparse_nnz, 0u);
}

TEST_F(SparseTest, UpsertTwoNamesReadsBackSorted) {
    EXPECT_EQ(c.count(), n_points);
    expect_stored("a", model_a, "a");
    expect_stored("b", model_b, "b");
    // Many rows were written unsorted; expect_stored compared them sorted.
    EXPECT_GT(unsorted_rows, 100u);
    // A name no point carries, and no ids.
    for (const std::optional<SparseVector> &v : c.get_sparse(ids, "c")) EXPECT_FALSE(v.has_value());
    EXPECT_TRUE(c.get_sparse({}, "a").empty());
    const auto one = c.get_sparse({3, 3, 10}, "a");
    ASSERT_EQ(one.size(), 3u);
    EXPECT_EQ(one[0], model_a.at(3));
    EXPECT_EQ(one[1], model_a.at(3));
    EXPECT_FALSE(one[2].has_value()); // i % 10 == 0: no vector "a"

    // The dense vectors and payloads are as written.
    const quiver::Points pts = c.get({5, 150});
    EXPECT_EQ(std::vector<float>(pts[0].vector.begin(), pts[0].vector.end()), (std::vector<float>{5, 1}));
    EXPECT_EQ(pts[1].payload, payloads[150]);

    // The other overloads: no payloads; payloads in the C layout.
    const SparseVector w{{5, 1}, {2.0f, -1.0f}};
    c.upsert({500, 501}, {1, 2, 3, 4}, {SparseColumn{"a", {w, SparseVector{}}}});
    const std::vector<uint64_t> offsets = {0, 2, 2};
    c.upsert({502, 503}, {1, 2, 3, 4}, offsets, "{}", {SparseColumn{"b", {SparseVector{}, w}}});
    const auto a = c.get_sparse({500, 501, 502, 503}, "a");
    const auto b = c.get_sparse({500, 501, 502, 503}, "b");
    EXPECT_EQ(a[0], sorted(w));
    EXPECT_FALSE(a[1].has_value());
    EXPECT_FALSE(a[2].has_value());
    EXPECT_FALSE(b[2].has_value());
    EXPECT_EQ(b[3], sorted(w));
    const quiver::Points more = c.get({500, 502, 503});
    EXPECT_TRUE(more[0].payload.empty());
    EXPECT_EQ(more[1].payload, "{}");
    EXPECT_TRUE(more[2].payload.empty());
    // No columns at all: points without sparse vectors.
    c.upsert({504}, {1, 1}, std::vector<SparseColumn>{});
    EXPECT_FALSE(c.get_sparse({504}, "a")[0].has_value());
    EXPECT_EQ(c.count(), n_points + 5);
}

TEST_F(SparseTest, SearchEqualsBruteForce) {
    expect_searches("fresh");
    // k above the candidates: all of them. An index no point has scores
    // nothing; one shared index gives every holder its product.
    const SparseVector q{{3}, {1.0f}};
    const Hits all = hits_of(c.sparse_search("b", q, SparseSearchParams(1000)));
    EXPECT_EQ(all, brute_force(model_b, q, 1000));
    EXPECT_GT(all.size(), 20u);
    for (size_t j = 1; j < all.size(); j++) EXPECT_LT(all[j - 1].first, all[j].first) << "equal scores by id";
    EXPECT_EQ(c.sparse_search("b", SparseVector{{39}, {1.0f}}).num_hits(), 0u);
    // An empty query and a name no point carries find nothing.
    EXPECT_EQ(c.sparse_search("a", SparseVector{}).num_hits(), 0u);
    EXPECT_EQ(c.sparse_search("zzz", q).num_hits(), 0u);
    // The span overload, and indices in any order.
    const std::vector<uint32_t> qi = {17, 4, 30};
    const std::vector<float> qv = {0.5f, 2.0f, 1.0f};
    const Hits spans = hits_of(c.sparse_search("a", qi, qv, SparseSearchParams(20)));
    EXPECT_EQ(spans, brute_force(model_a, SparseVector{qi, qv}, 20));
    EXPECT_EQ(spans, hits_of(c.sparse_search("a", sorted(SparseVector{qi, qv}), SparseSearchParams(20))));
    // Payloads when asked for.
    const quiver::Results r = c.sparse_search("a", SparseVector{qi, qv}, SparseSearchParams(20).with_payload());
    ASSERT_EQ(r[0].size(), 20u);
    for (quiver::Hit h : r[0]) EXPECT_EQ(h.payload, payloads.at(h.id)) << h.id;
    const quiver::Results plain = c.sparse_search("a", SparseVector{qi, qv}, SparseSearchParams(20));
    for (quiver::Hit h : plain[0]) EXPECT_TRUE(h.payload.empty());
}

TEST_F(SparseTest, UpdateThenSearch) {
    // Sealed points 1 and 2, appendable 150; 999 does not exist; 7 twice
    // (the last row wins); 2 and 151 lose their vector "a"; 10 had none.
    const std::vector<uint64_t> up = {1, 2, 150, 999, 7, 7, 151, 10};
    const std::vector<SparseVector> rows = {
        {{7, 3}, {0.5f, 2.0f}}, {}, {{0, 39, 20}, {1.0f, -0.25f, 3.0f}}, {{1}, {1.0f}},
        {{5}, {9.0f}},          {{6, 5}, {1.0f, 4.0f}}, {}, {{2, 3}, {0.75f, 0.5f}},
    };
    EXPECT_EQ(c.update_sparse(up, "a", rows), 6u); // the distinct ids but 999
    model_a[1] = sorted(rows[0]);
    model_a.erase(2);
    model_a[150] = sorted(rows[2]);
    model_a[7] = sorted(rows[5]);
    model_a.erase(151);
    model_a[10] = sorted(rows[7]);
    expect_stored("a", model_a, "after update");
    expect_stored("b", model_b, "b after updating a");
    expect_searches("after update");
    EXPECT_EQ(c.count(), n_points);
    // The dense vectors and payloads stay.
    const quiver::Points pts = c.get({1, 2, 150});
    EXPECT_EQ(std::vector<float>(pts[0].vector.begin(), pts[0].vector.end()), (std::vector<float>{1, 1}));
    EXPECT_EQ(pts[1].payload, payloads[2]);
    EXPECT_EQ(pts[2].payload, payloads[150]);

    // A new name through the SparseColumn overload; then sealed by optimize.
    EXPECT_EQ(c.update_sparse({4, 5}, SparseColumn{"c", {{{1}, {1.0f}}, {{1}, {2.0f}}}}), 2u);
    c.optimize();
    EXPECT_EQ(hits_of(c.sparse_search("c", SparseVector{{1}, {1.0f}})), (Hits{{5, 2.0f}, {4, 1.0f}}));
    expect_searches("after optimize");
    EXPECT_EQ(c.update_sparse({}, "a", std::vector<SparseVector>{}), 0u);

    // An upsert replaces the whole point: without sparse columns it keeps none.
    c.upsert({1}, {1, 1});
    model_a.erase(1);
    model_b.erase(1);
    expect_stored("a", model_a, "after a plain upsert");
    expect_stored("b", model_b, "b after a plain upsert");
    expect_searches("after a plain upsert");
    // A deleted point has none either.
    EXPECT_EQ(c.remove({3, 160}), 2u);
    model_a.erase(3), model_a.erase(160), model_b.erase(3), model_b.erase(160);
    expect_stored("a", model_a, "after delete");
    expect_searches("after delete");
}

TEST_F(SparseTest, SurvivesReopen) {
    EXPECT_EQ(c.update_sparse({8, 130}, "b", {SparseVector{{0, 1}, {3.0f, 3.0f}}, SparseVector{}}), 2u);
    model_b[8] = SparseVector{{0, 1}, {3.0f, 3.0f}};
    model_b.erase(130);
    db.close();
    c = quiver::Collection();
    db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    c = db.open_collection("s");
    EXPECT_EQ(c.count(), n_points);
    expect_stored("a", model_a, "reopened");
    expect_stored("b", model_b, "reopened");
    expect_searches("reopened");
    c.optimize();
    expect_stored("b", model_b, "reopened, optimized");
    expect_searches("reopened, optimized");
}

TEST_F(SparseTest, HybridSparseBranch) {
    const SparseVector q{{3, 7, 12}, {1.0f, 0.5f, 2.0f}};
    for (const bool filtered : {false, true}) {
        SparseSearchParams p(15);
        if (filtered) p.filter(Filter::eq("odd", 1));
        const quiver::Results alone = c.sparse_search("a", q, p);
        ASSERT_EQ(alone[0].size(), 15u);
        const quiver::Results fused =
            c.hybrid_search(HybridSearchParams(15).branch(HybridBranch::sparse("a", q, p)));
        ASSERT_EQ(fused[0].size(), alone[0].size());
        for (size_t j = 0; j < alone[0].size(); j++) {
            EXPECT_EQ(fused[0][j].id, alone[0][j].id) << j;
            EXPECT_NEAR(fused[0][j].score, 1.0 / (60.0 + static_cast<double>(j) + 1), 1e-7) << j;
            if (filtered) {
                EXPECT_TRUE(odd(fused[0][j].id)) << fused[0][j].id;
            }
        }
    }
    // With payloads, fewer fused hits than the branch's depth.
    const quiver::Results few =
        c.hybrid_search(HybridSearchParams(4).with_payload().branch(HybridBranch::sparse("a", q, SparseSearchParams(30))));
    const quiver::Results top = c.sparse_search("a", q, SparseSearchParams(4));
    ASSERT_EQ(few[0].size(), 4u);
    for (size_t j = 0; j < 4; j++) {
        EXPECT_EQ(few[0][j].id, top[0][j].id);
        EXPECT_EQ(few[0][j].payload, payloads.at(few[0][j].id));
    }

    // With a dense branch: RRF of the two lists (weights 1 and 2).
    const std::vector<float> dq = {40.0f, 1.0f};
    const SearchParams dense = SearchParams(20).exact();
    const SparseSearchParams sp(20);
    const Hits d = hits_of(c.search(dq, dense));
    const Hits s = hits_of(c.sparse_search("a", q, sp));
    std::map<uint64_t, double> want;
    for (size_t j = 0; j < d.size(); j++) want[d[j].first] += 1.0 / (60.0 + static_cast<double>(j) + 1);
    for (size_t j = 0; j < s.size(); j++) want[s[j].first] += 2.0 / (60.0 + static_cast<double>(j) + 1);
    const quiver::Results r = c.hybrid_search(
        HybridSearchParams(100).branch(HybridBranch::dense(dq, dense)).branch(HybridBranch::sparse("a", q, sp, 2)));
    ASSERT_EQ(r[0].size(), want.size());
    for (size_t j = 0; j < r[0].size(); j++) {
        const auto it = want.find(r[0][j].id);
        ASSERT_NE(it, want.end()) << r[0][j].id;
        EXPECT_NEAR(r[0][j].score, it->second, 1e-6) << r[0][j].id;
        if (j > 0) {
            const float a = r[0][j - 1].score, b = r[0][j].score;
            EXPECT_TRUE(a > b || (a == b && r[0][j - 1].id < r[0][j].id)) << j;
        }
    }
}

TEST_F(SparseTest, ErrorsChangeNothing) {
    const auto invalid = [](const std::function<void()> &f) { return qt::expect_error(Status::InvalidArgument, f); };
    const auto has = [](const std::string &message, const char *part) {
        EXPECT_NE(message.find(part), std::string::npos) << "\"" << message << "\" should name " << part;
    };
    const auto unchanged = [&](const std::string &what) {
        EXPECT_EQ(c.count(), n_points) << what;
        EXPECT_FALSE(c.get_sparse({1000}, "a")[0].has_value()) << what;
        expect_stored("a", model_a, what);
        expect_stored("b", model_b, what);
        const SparseVector q{{3, 7}, {1.0f, 1.0f}};
        EXPECT_EQ(hits_of(c.sparse_search("a", q, SparseSearchParams(30))), brute_force(model_a, q, 30)) << what;
    };
    const std::vector<uint64_t> two = {1000, 5}; // a new point and an existing one
    const std::vector<float> two_vecs = {1, 1, 2, 2};
    const SparseVector good{{1, 2}, {1.0f, 1.0f}};
    const SparseVector dup{{4, 9, 4}, {1.0f, 2.0f, 3.0f}};
    const SparseVector nan{{4, 9}, {1.0f, NAN}};
    const SparseVector inf{{4}, {INFINITY}};
    const SparseVector uneven{{4, 9}, {1.0f}};

    // Upsert: the bad row is the second, after a good one.
    std::string m = invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"a", {good, dup}}}); });
    has(m, "index 4 is given twice");
    has(m, "point 5 (batch index 1)");
    unchanged("upsert, duplicate index");
    has(invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"b", {good, good}}, SparseColumn{"a", {good, nan}}}); }),
        "not finite");
    unchanged("upsert, NaN");
    has(invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"a", {inf, good}}}); }), "not finite");
    unchanged("upsert, infinity");
    has(invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"", {good, good}}}); }), "name");
    unchanged("upsert, empty name");
    invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"a", {good, good}}, SparseColumn{"a", {good, good}}}); });
    unchanged("upsert, a name twice");
    invalid([&] { c.upsert(two, two_vecs, {SparseColumn{std::string(257, 'x'), {good, good}}}); });
    unchanged("upsert, a long name");
    // Checked by the header (the CSR layout has no length for them).
    m = invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"a", {good}}}); });
    has(m, "sparse[0] (\"a\") holds 1 vectors for 2 ids");
    m = invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"a", {good, good}}, SparseColumn{"b", {good, uneven}}}); });
    has(m, "sparse[1] (\"b\") of point 5 (batch index 1): 2 indices and 1 values");
    invalid([&] { c.upsert(two, two_vecs, std::vector<std::string>{"{}", "{}"}, {SparseColumn{"a", {dup, good}}}); });
    invalid([&] { c.upsert(two, two_vecs, std::vector<std::string>{"{}"}, {SparseColumn{"a", {good, good}}}); });
    qt::expect_error(Status::DimensionMismatch, [&] { c.upsert(two, {1, 1, 2}, {SparseColumn{"a", {good, good}}}); });
    unchanged("upsert, header checks");

    // update_sparse.
    const std::vector<uint64_t> existing = {5, 6};
    has(invalid([&] { c.update_sparse(existing, "a", {good, dup}); }), "index 4 is given twice");
    unchanged("update, duplicate index");
    has(invalid([&] { c.update_sparse(existing, "a", {nan, good}); }), "not finite");
    unchanged("update, NaN");
    has(invalid([&] { c.update_sparse(existing, "", {good, good}); }), "name");
    unchanged("update, empty name");
    has(invalid([&] { c.update_sparse(existing, "a", {good}); }), "2 ids and 1 sparse vectors");
    has(invalid([&] { c.update_sparse(existing, "a", {good, uneven}); }),
        "the sparse vector \"a\" of point 6 (batch index 1): 2 indices and 1 values");
    unchanged("update, header checks");

    // get_sparse and sparse_search.
    has(invalid([&] { c.get_sparse({1, 2}, ""); }), "name");
    has(invalid([&] { c.sparse_search("a", dup); }), "index 4 is given twice");
    has(invalid([&] { c.sparse_search("a", nan); }), "not finite");
    has(invalid([&] { c.sparse_search("", good); }), "name");
    invalid([&] { c.sparse_search("a", good, SparseSearchParams(0)); });
    invalid([&] { c.sparse_search("a", good, SparseSearchParams(100001)); });
    invalid([&] { c.sparse_search("a", good, SparseSearchParams().filter("{\"field\": ")); });
    has(invalid([&] { c.sparse_search("a", uneven); }), "the sparse query has 2 indices and 1 values");
    has(invalid([&] { c.sparse_search("a", std::vector<uint32_t>{1, 2}, std::vector<float>{1}); }), "2 indices");

    // Hybrid branches.
    const auto branch = [&](const SparseVector &q, std::string_view name, uint32_t k) {
        c.hybrid_search(HybridSearchParams().branches(
            {HybridBranch::dense({1.0f, 1.0f}, SearchParams()), HybridBranch::sparse(name, q, SparseSearchParams(k))}));
    };
    has(invalid([&] { branch(dup, "a", 10); }), "branches[1]");
    has(invalid([&] { branch(dup, "a", 10); }), "index 4 is given twice");
    has(invalid([&] { branch(nan, "a", 10); }), "not finite");
    has(invalid([&] { branch(good, "", 10); }), "branches[1]");
    has(invalid([&] { branch(good, "a", 0); }), "branches[1]");
    has(invalid([&] { HybridBranch::sparse("a", uneven, SparseSearchParams()); }), "2 indices and 1 values");
    unchanged("reads");

    // A collection without a handle throws before calling the library.
    quiver::Collection moved = std::move(c);
    invalid([&] { c.upsert(two, two_vecs, {SparseColumn{"a", {good, good}}}); });
    invalid([&] { c.update_sparse(existing, "a", {good, good}); });
    invalid([&] { c.get_sparse(existing, "a"); });
    invalid([&] { c.sparse_search("a", good); });
    c = std::move(moved);
    unchanged("after the moved-from calls");
}

TEST(Sparse, MetadataOnlyCollection) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("m", CollectionConfig::metadata_only());
    c.upsert({1, 2, 3}, {}, std::vector<std::string>{R"({"t":1})", "", R"({"t":3})"},
             {SparseColumn{"w", {{{1, 2}, {1.0f, 2.0f}}, {{2}, {5.0f}}, {}}}});
    EXPECT_EQ(hits_of(c.sparse_search("w", SparseVector{{2}, {1.0f}}, SparseSearchParams(5))),
              (Hits{{2, 5.0f}, {1, 2.0f}}));
    const auto got = c.get_sparse({1, 2, 3}, "w");
    EXPECT_EQ(got[0], (SparseVector{{1, 2}, {1.0f, 2.0f}}));
    EXPECT_FALSE(got[2].has_value());
    db.close();
}
