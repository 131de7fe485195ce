// Search: single and batch, owned Results and caller arrays, k / ef /
// exact / filter / with_payload, and every metric's score order.
#include "test_util.hpp"

#include <algorithm>
#include <cmath>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;
using quiver::SearchParams;

namespace {

// 200 points of dimension 8 on a grid-free random layout, payloads
// {"group": "g<id % 4>", "id": <id>}.
class SearchTest : public ::testing::Test {
protected:
    static constexpr size_t n = 200, dim = 8;

    void SetUp() override {
        db_ = Database::open(dir_ / "db");
        coll_ = db_.create_collection("s", CollectionConfig(dim, Metric::Euclidean));
        vectors_ = qt::random_vectors(n, dim, 7);
        std::vector<std::string> payloads;
        for (size_t i = 0; i < n; i++)
            payloads.push_back(R"({"group":"g)" + std::to_string(i % 4) + R"(","id":)" + std::to_string(i) + "}");
        coll_.upsert(qt::iota_ids(n), vectors_, payloads);
    }

    quiver::span<const float> vec(size_t i) const { return {vectors_.data() + i * dim, dim}; }

    qt::TempDir dir_;
    Database db_;
    quiver::Collection coll_;
    std::vector<float> vectors_;
};

} // namespace

TEST_F(SearchTest, FindsThePointItself) {
    const quiver::Results r = coll_.search(vec(42), SearchParams(5));
    ASSERT_EQ(r.size(), 1u);
    const quiver::QueryHits hits = r[0];
    ASSERT_EQ(hits.size(), 5u);
    EXPECT_EQ(hits[0].id, 42u);
    EXPECT_EQ(hits[0].score, 0.0f); // L2 distance to itself
    EXPECT_TRUE(hits[0].payload.empty()); // not asked for
    for (size_t j = 1; j < hits.size(); j++) EXPECT_LE(hits[j - 1].score, hits[j].score); // best (lowest) first
    EXPECT_EQ(r.num_hits(), 5u);
    EXPECT_EQ(hits.ids()[0], 42u);
    EXPECT_EQ(hits.scores().size(), 5u);
}

TEST_F(SearchTest, ReturnsPayloadsInPlace) {
    const quiver::Results r = coll_.search(vec(9), SearchParams(3).with_payload());
    const quiver::QueryHits hits = r[0];
    EXPECT_EQ(hits[0].payload, R"({"group":"g1","id":9})");
    for (const quiver::Hit &h : hits) {
        EXPECT_FALSE(h.payload.empty());
        // The view points into the library's buffer, not a copy.
        const char *base = reinterpret_cast<const char *>(r.view().payload_data);
        EXPECT_GE(h.payload.data(), base);
        EXPECT_LE(h.payload.data() + h.payload.size(), base + r.view().payload_data_len);
    }
}

TEST_F(SearchTest, FilterKeepsOnlyMatchingPoints) {
    const quiver::Results r =
        coll_.search(vec(0), SearchParams(20).with_payload().filter(R"({"field":"group","eq":"g2"})"));
    const quiver::QueryHits hits = r[0];
    EXPECT_EQ(hits.size(), 20u);
    for (const quiver::Hit &h : hits) {
        EXPECT_EQ(h.id % 4, 2u);
        EXPECT_NE(h.payload.find(R"("group":"g2")"), std::string_view::npos);
    }
    // Exact filtered search gives the same best hit as a scan would.
    const quiver::Results exact =
        coll_.search(vec(0), SearchParams(1).exact().filter(R"({"field":"group","eq":"g2"})"));
    float best = INFINITY;
    uint64_t best_id = 0;
    for (size_t i = 2; i < n; i += 4) {
        float d = 0;
        for (size_t k = 0; k < dim; k++) d += (vectors_[i * dim + k] - vectors_[k]) * (vectors_[i * dim + k] - vectors_[k]);
        if (std::sqrt(d) < best) best = std::sqrt(d), best_id = i;
    }
    EXPECT_EQ(exact[0][0].id, best_id);
    EXPECT_NEAR(exact[0][0].score, best, 1e-4);
}

TEST_F(SearchTest, KLargerThanTheCollection) {
    const quiver::Results r = coll_.search(vec(1), SearchParams(1000).ef(16).exact());
    EXPECT_EQ(r[0].size(), n);
}

TEST_F(SearchTest, BatchSearch) {
    std::vector<float> queries;
    for (size_t i : {3u, 77u, 150u}) queries.insert(queries.end(), vec(i).begin(), vec(i).end());
    const quiver::Results r = coll_.search_batch(queries, 3, SearchParams(4).with_payload());
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r.num_hits(), 12u);
    EXPECT_EQ(r[0][0].id, 3u);
    EXPECT_EQ(r[1][0].id, 77u);
    EXPECT_EQ(r[2][0].id, 150u);
    EXPECT_EQ(r.at(2)[0].payload, R"({"group":"g2","id":150})");
    EXPECT_THROW(r.at(3), std::out_of_range);
    EXPECT_THROW(r[0].at(4), std::out_of_range);
    size_t queries_seen = 0;
    for (size_t q = 0; q < r.size(); q++) queries_seen += r[q].size() == 4;
    EXPECT_EQ(queries_seen, 3u);
}

TEST_F(SearchTest, CallerArraysWithSentinels) {
    coll_.upsert_one(9999, {100, 100, 100, 100, 100, 100, 100, 100}, R"({"group":"far"})");
    std::vector<float> queries;
    for (size_t i : {5u, 6u}) queries.insert(queries.end(), vec(i).begin(), vec(i).end());
    const uint32_t k = 3;
    std::vector<uint64_t> ids(2 * k, 0);
    std::vector<float> scores(2 * k, -1);
    std::vector<uint32_t> counts(2, 0);
    // Only one point matches the filter: one hit per query, the rest sentinels.
    coll_.search_into(queries, 2, SearchParams(k).filter(R"({"field":"group","eq":"far"})"), ids, scores, counts);
    for (size_t q = 0; q < 2; q++) {
        EXPECT_EQ(counts[q], 1u);
        EXPECT_EQ(ids[q * k], 9999u);
        for (size_t j = 1; j < k; j++) {
            EXPECT_EQ(ids[q * k + j], QV_NO_ID);
            EXPECT_TRUE(std::isnan(scores[q * k + j]));
        }
    }
    coll_.search_into(queries, 2, SearchParams(k), ids, scores, counts);
    EXPECT_EQ(ids[0], 5u);
    EXPECT_EQ(ids[k], 6u);
    EXPECT_EQ(counts[1], k);
}

TEST(Metrics, ScoresAreOrderedBestFirst) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    const std::vector<float> v = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0};
    const std::vector<float> q = {1, 0.5f, 0};
    struct Case {
        Metric metric;
        bool higher_is_better;
    };
    for (Case c : {Case{Metric::Cosine, true}, Case{Metric::Dot, true}, Case{Metric::Euclidean, false},
                   Case{Metric::Hamming, false}, Case{Metric::Jaccard, true}}) {
        const std::string name = "m" + std::to_string(static_cast<uint32_t>(c.metric));
        quiver::Collection coll = db.create_collection(name, CollectionConfig(3, c.metric));
        coll.upsert({1, 2, 3, 4}, v);
        const quiver::Results r = coll.search(q, SearchParams(4).exact());
        ASSERT_EQ(r[0].size(), 4u) << name;
        for (size_t j = 1; j < 4; j++) {
            if (c.higher_is_better)
                EXPECT_GE(r[0][j - 1].score, r[0][j].score) << name;
            else
                EXPECT_LE(r[0][j - 1].score, r[0][j].score) << name;
        }
    }
}
