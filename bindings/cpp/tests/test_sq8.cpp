// Quantized storage: CollectionConfig::storage(Storage::Sq8) and the search
// options SearchParams::oversampling / rescore. An SQ8 cosine collection of
// 300 deterministic unit vectors, sealed by optimize(); its scores checked
// against exact cosines computed here, with and without rescoring; and the
// arguments the library refuses.
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;
using quiver::SearchParams;
using quiver::Status;
using quiver::Storage;

namespace {

constexpr size_t n = 300, dim = 32, num_queries = 8, k = 10;

// `count` deterministic unit vectors of `dim` floats.
std::vector<float> unit_vectors(size_t count, uint32_t seed) {
    std::vector<float> v = qt::random_vectors(count, dim, seed);
    for (size_t i = 0; i < count; i++) {
        float *row = v.data() + i * dim;
        double norm = 0;
        for (size_t j = 0; j < dim; j++) norm += static_cast<double>(row[j]) * row[j];
        const float inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (size_t j = 0; j < dim; j++) row[j] *= inv;
    }
    return v;
}

double cosine(const float *a, const float *b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t j = 0; j < dim; j++) {
        dot += static_cast<double>(a[j]) * b[j];
        na += static_cast<double>(a[j]) * a[j];
        nb += static_cast<double>(b[j]) * b[j];
    }
    return dot / std::sqrt(na * nb);
}

// The SQ8 cosine collection "q" holding points 0..n-1, optimized so that
// every point is in a sealed segment (where the codes are walked).
class Sq8Test : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = Database::open(dir_ / "db");
        coll_ = db_.create_collection("q", CollectionConfig(dim, Metric::Cosine).storage(Storage::Sq8));
        vectors_ = unit_vectors(n, 11);
        queries_ = unit_vectors(num_queries, 12);
        coll_.upsert(qt::iota_ids(n), vectors_);
        coll_.optimize();
        const quiver::Stats s = coll_.stats();
        ASSERT_EQ(s.live_points, n);
        for (const quiver::SegmentStats &g : s.segments)
            ASSERT_TRUE(g.points == 0 || g.kind == quiver::SegmentKind::Sealed)
                << "segment " << g.id << " still holds " << g.points << " points after optimize(): " << s.json;
    }

    const float *point(uint64_t id) const { return vectors_.data() + id * dim; }
    const float *query(size_t q) const { return queries_.data() + q * dim; }

    // For every hit of every query: |score - exact cosine|. Checks the
    // shape of the results (k hits per query, distinct ids, best first).
    std::vector<double> errors(const SearchParams &params) const {
        const quiver::Results r = coll_.search_batch(queries_, num_queries, params);
        EXPECT_EQ(r.size(), num_queries);
        std::vector<double> out;
        for (size_t q = 0; q < r.size(); q++) {
            const quiver::QueryHits hits = r[q];
            EXPECT_EQ(hits.size(), k) << "query " << q;
            std::vector<uint64_t> seen;
            for (size_t j = 0; j < hits.size(); j++) {
                const quiver::Hit h = hits[j];
                EXPECT_LT(h.id, n) << "query " << q;
                if (h.id >= n) continue;
                seen.push_back(h.id);
                if (j > 0) {
                    EXPECT_GE(hits[j - 1].score, h.score) << "query " << q << ": not best first";
                }
                out.push_back(std::abs(static_cast<double>(h.score) - cosine(query(q), point(h.id))));
            }
            std::sort(seen.begin(), seen.end());
            EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "query " << q << ": a repeated id";
        }
        return out;
    }

    qt::TempDir dir_;
    Database db_;
    quiver::Collection coll_;
    std::vector<float> vectors_, queries_;
};

} // namespace

TEST(Sq8Options, DefaultsComeFromTheLibrary) {
    qv_collection_config raw;
    qv_collection_config_init(&raw);
    EXPECT_EQ(raw.storage, static_cast<uint32_t>(QV_STORAGE_F32));
    EXPECT_EQ(CollectionConfig(4).storage(), Storage::F32);
    EXPECT_EQ(static_cast<uint32_t>(Storage::F32), static_cast<uint32_t>(QV_STORAGE_F32));
    EXPECT_EQ(static_cast<uint32_t>(Storage::Sq8), static_cast<uint32_t>(QV_STORAGE_SQ8));
    const CollectionConfig c = CollectionConfig(4).storage(Storage::Sq8);
    EXPECT_EQ(c.storage(), Storage::Sq8);
    EXPECT_EQ(c.raw().storage, static_cast<uint32_t>(QV_STORAGE_SQ8));

    qv_search_params sp;
    qv_search_params_init(&sp);
    const SearchParams p;
    EXPECT_EQ(p.oversampling(), 0.0f); // 0 = the library's default (3)
    EXPECT_TRUE(p.rescore());
    EXPECT_EQ(p.to_c().oversampling, sp.oversampling);
    EXPECT_EQ(p.to_c().rescore, sp.rescore);
    EXPECT_EQ(p.to_c().struct_size, sp.struct_size);

    const SearchParams q = SearchParams(5).oversampling(4.5f).rescore(false);
    EXPECT_EQ(q.oversampling(), 4.5f);
    EXPECT_FALSE(q.rescore());
    EXPECT_EQ(q.to_c().oversampling, 4.5f);
    EXPECT_EQ(q.to_c().rescore, 0u);
    EXPECT_EQ(q.to_c().k, 5u);
    EXPECT_EQ(SearchParams(q).rescore().to_c().rescore, 1u); // rescore() with no argument turns it on
}

TEST_F(Sq8Test, ConfigReportsSq8) {
    EXPECT_EQ(coll_.config().storage(), Storage::Sq8);
    EXPECT_EQ(coll_.config().metric(), Metric::Cosine);
    EXPECT_EQ(coll_.config().dimension(), dim);
    EXPECT_EQ(db_.open_collection("q").config().storage(), Storage::Sq8);
    // Another collection keeps the default.
    EXPECT_EQ(db_.create_collection("f", CollectionConfig(dim)).config().storage(), Storage::F32);

    // Fixed at creation: it survives closing and reopening the database.
    coll_ = quiver::Collection();
    db_.close();
    db_ = Database::open(dir_ / "db");
    coll_ = db_.open_collection("q");
    EXPECT_EQ(coll_.config().storage(), Storage::Sq8);
    EXPECT_EQ(db_.open_collection("f").config().storage(), Storage::F32);
    EXPECT_EQ(coll_.count(), n);
}

TEST_F(Sq8Test, RescoredScoresAreExactCosines) {
    // The default (rescore on, oversampling 0 = 3) and explicit values.
    for (const SearchParams &params : {SearchParams(k), SearchParams(k).rescore(true).oversampling(1),
                                       SearchParams(k).oversampling(3), SearchParams(k).oversampling(100)}) {
        SCOPED_TRACE("oversampling " + std::to_string(params.oversampling()));
        const std::vector<double> e = errors(params);
        ASSERT_EQ(e.size(), num_queries * k);
        for (double d : e) EXPECT_LE(d, 1e-4);
    }
}

TEST_F(Sq8Test, FindsTheExactNeighbours) {
    // With rescoring, the hits are (nearly all) the true top k, computed by
    // brute force here; a point's own vector finds the point first.
    size_t found = 0;
    const quiver::Results r = coll_.search_batch(queries_, num_queries, SearchParams(k));
    for (size_t q = 0; q < num_queries; q++) {
        std::vector<uint64_t> order = qt::iota_ids(n);
        std::sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) {
            return cosine(query(q), point(a)) > cosine(query(q), point(b));
        });
        for (const quiver::Hit &h : r[q]) found += static_cast<size_t>(std::count(order.begin(), order.begin() + k, h.id));
    }
    EXPECT_GE(found, num_queries * k * 9 / 10) << "recall@" << k << " below 0.9";

    for (uint64_t id : {0u, 77u, 299u}) {
        const quiver::Results self = coll_.search(quiver::span<const float>(point(id), dim), SearchParams(1));
        ASSERT_EQ(self[0].size(), 1u);
        EXPECT_EQ(self[0][0].id, id);
        EXPECT_NEAR(self[0][0].score, 1.0, 1e-4);
    }
}

TEST_F(Sq8Test, WithoutRescoringScoresAreEstimates) {
    const std::vector<double> e = errors(SearchParams(k).rescore(false));
    ASSERT_EQ(e.size(), num_queries * k);
    const double worst = *std::max_element(e.begin(), e.end());
    for (double d : e) EXPECT_LE(d, 0.05);
    // Estimated on one-byte codes: not the exact cosines (else the option
    // did not reach the library, or the codes were not walked).
    EXPECT_GT(worst, 1e-4) << "every score without rescoring equals the exact cosine";
    const size_t differ = static_cast<size_t>(std::count_if(e.begin(), e.end(), [](double d) { return d > 1e-4; }));
    EXPECT_GE(differ, 1u);
}

TEST_F(Sq8Test, OversamplingOutOfRangeIsRefused) {
    for (float o : {0.5f, 101.0f, -1.0f, NAN}) {
        SCOPED_TRACE("oversampling " + std::to_string(o));
        const std::string msg = qt::expect_error(Status::InvalidArgument, [&] {
            coll_.search(quiver::span<const float>(query(0), dim), SearchParams(k).oversampling(o));
        });
        EXPECT_NE(msg.find("params.oversampling"), std::string::npos) << msg;
    }
    const std::string msg = qt::expect_error(Status::InvalidArgument, [&] {
        coll_.search(quiver::span<const float>(query(0), dim), SearchParams(k).oversampling(0.5f));
    });
    EXPECT_NE(msg.find("params.oversampling is 0.5"), std::string::npos) << msg;
    // The other search calls pass it too.
    qt::expect_error(Status::InvalidArgument, [&] {
        coll_.search_batch(queries_, num_queries, SearchParams(k).oversampling(0.5f));
    });
    std::vector<uint64_t> ids(k);
    std::vector<float> scores(k);
    std::vector<uint32_t> counts(1);
    qt::expect_error(Status::InvalidArgument, [&] {
        coll_.search_into(quiver::span<const float>(query(0), dim), 1, SearchParams(k).oversampling(0.5f), ids, scores,
                          counts);
    });
    qt::expect_error(Status::InvalidArgument, [&] {
        coll_.explain(quiver::span<const float>(query(0), dim), SearchParams(k).oversampling(0.5f));
    });
    // In range, the caller-array mode answers exact scores too.
    coll_.search_into(quiver::span<const float>(query(0), dim), 1, SearchParams(k).oversampling(2), ids, scores, counts);
    ASSERT_EQ(counts[0], k);
    for (size_t j = 0; j < k; j++) EXPECT_NEAR(scores[j], cosine(query(0), point(ids[j])), 1e-4) << ids[j];
}

TEST(Sq8Config, RefusedWithHammingJaccardAndWithoutVectors) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    std::string msg = qt::expect_error(Status::InvalidArgument, [&] {
        db.create_collection("h", CollectionConfig(dim, Metric::Hamming).storage(Storage::Sq8));
    });
    EXPECT_NE(msg.find("config.storage is sq8 with metric hamming"), std::string::npos) << msg;
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        db.create_collection("j", CollectionConfig(dim, Metric::Jaccard).storage(Storage::Sq8));
    });
    EXPECT_NE(msg.find("config.storage"), std::string::npos) << msg;
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        db.create_collection("m", CollectionConfig::metadata_only().storage(Storage::Sq8));
    });
    EXPECT_NE(msg.find("config.storage"), std::string::npos) << msg;
    EXPECT_TRUE(db.list_collections().empty());

    // The same metrics with the default storage, and SQ8 with the others.
    db.create_collection("h", CollectionConfig(dim, Metric::Hamming));
    for (Metric m : {Metric::Dot, Metric::Euclidean}) {
        const std::string name = "sq8-" + std::to_string(static_cast<uint32_t>(m));
        EXPECT_EQ(db.create_collection(name, CollectionConfig(dim, m).storage(Storage::Sq8)).config().storage(),
                  Storage::Sq8);
    }
    EXPECT_EQ(db.list_collections().size(), 3u);
}

TEST(Sq8Config, F32IgnoresRescore) {
    // f32 scores are always exact: rescore(false) changes nothing.
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("f", CollectionConfig(dim));
    const std::vector<float> vectors = unit_vectors(n, 11), q = unit_vectors(1, 12);
    c.upsert(qt::iota_ids(n), vectors);
    c.optimize();
    const quiver::Results r = c.search(q, SearchParams(k).rescore(false).oversampling(1));
    ASSERT_EQ(r[0].size(), k);
    for (const quiver::Hit &h : r[0]) EXPECT_NEAR(h.score, cosine(q.data(), vectors.data() + h.id * dim), 1e-5);
}
