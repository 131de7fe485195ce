// The storage modes F16, Bf16, Binary and Pq (Sq8 has test_sq8.cpp) and
// Collection::train_quantizer. Cosine collections of 2,000 (under valgrind
// 1,000) deterministic embedding-like vectors of 32 dimensions, sealed by
// optimize(): recall against a brute force computed here and exact
// (rescored) scores in every mode; PQ's parameters checked and reported
// back; training with new PQ parameters (progress, cancel, a throwing
// callback, bad parameters, f32).
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <ostream>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;
using quiver::SearchParams;
using quiver::Status;
using quiver::Storage;
using quiver::TrainParams;

namespace {

constexpr size_t dim = 32, num_queries = 20, k = 10;
// Points; fewer under valgrind, where everything runs some 50 times slower.
const size_t n = qt::under_valgrind() ? 1000 : 2000;

// Scales each row of `v` to unit length.
void normalize(std::vector<float> &v) {
    for (size_t i = 0; i < v.size() / dim; i++) {
        float *row = v.data() + i * dim;
        double norm = 0;
        for (size_t j = 0; j < dim; j++) norm += static_cast<double>(row[j]) * row[j];
        const float inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (size_t j = 0; j < dim; j++) row[j] *= inv;
    }
}

// `count` deterministic unit vectors of `dim` floats, uniform on the sphere.
std::vector<float> unit_vectors(size_t count, uint32_t seed) {
    std::vector<float> v = qt::random_vectors(count, dim, seed);
    normalize(v);
    return v;
}

// `count` deterministic unit vectors shaped like embeddings: 12 latent
// dimensions mapped into `dim` by a fixed random matrix, plus some noise.
// (Uniform vectors on a 32-dimensional sphere have nearly equidistant
// neighbours, which one bit per dimension cannot tell apart.)
std::vector<float> embedding_like(size_t count, uint32_t seed) {
    constexpr size_t latent = 12;
    std::normal_distribution<float> normal;
    std::mt19937 map_rng(7);
    std::vector<float> map(latent * dim);
    for (float &x : map) x = normal(map_rng);
    std::mt19937 rng(seed);
    std::vector<float> v(count * dim), z(latent);
    for (size_t i = 0; i < count; i++) {
        for (float &x : z) x = normal(rng);
        for (size_t j = 0; j < dim; j++) {
            float x = 0.5f * normal(rng);
            for (size_t l = 0; l < latent; l++) x += z[l] * map[l * dim + j];
            v[i * dim + j] = x;
        }
    }
    normalize(v);
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

const char *mode_name(Storage s) {
    switch (s) {
    case Storage::F32: return "f32";
    case Storage::Sq8: return "sq8";
    case Storage::F16: return "f16";
    case Storage::Bf16: return "bf16";
    case Storage::Binary: return "binary";
    case Storage::Pq: return "pq";
    }
    return "unknown";
}

// The data every test searches: points 0..n-1, the queries, and the exact
// top k of each query (brute force).
struct Data {
    std::vector<float> vectors = embedding_like(n, 21);
    std::vector<float> queries = embedding_like(num_queries, 22);
    std::vector<std::vector<uint64_t>> truth;

    Data() {
        for (size_t q = 0; q < num_queries; q++) {
            std::vector<std::pair<double, uint64_t>> all(n);
            for (uint64_t id = 0; id < n; id++) all[id] = {-cosine(query(q), point(id)), id};
            std::partial_sort(all.begin(), all.begin() + k, all.end());
            std::vector<uint64_t> top(k);
            for (size_t j = 0; j < k; j++) top[j] = all[j].second;
            truth.push_back(top);
        }
    }
    const float *point(uint64_t id) const { return vectors.data() + id * dim; }
    const float *query(size_t q) const { return queries.data() + q * dim; }
};

const Data &data() {
    static const Data d;
    return d;
}

// A cosine collection of `mode`. Graph builds with a shorter candidate list
// than the default 200, for speed under valgrind: the recall measured is
// the codes', with a graph that finds the neighbours in f32 too.
CollectionConfig config(Storage mode) {
    return CollectionConfig(dim, Metric::Cosine).storage(mode).hnsw_ef_construction(64);
}

// Creates `name` with `config`, upserts the points and optimizes, so that
// every point is in a sealed segment (where the codes are walked).
quiver::Collection sealed(Database &db, const std::string &name, const CollectionConfig &config) {
    quiver::Collection c = db.create_collection(name, config);
    c.upsert(qt::iota_ids(n), data().vectors);
    c.optimize();
    const quiver::Stats s = c.stats();
    EXPECT_EQ(s.live_points, n);
    for (const quiver::SegmentStats &g : s.segments)
        EXPECT_TRUE(g.points == 0 || g.kind == quiver::SegmentKind::Sealed)
            << "segment " << g.id << " still holds " << g.points << " points after optimize(): " << s.json;
    return c;
}

// Sealed segments of a collection: what train_quantizer trains.
uint64_t sealed_segments(const quiver::Collection &c) {
    const quiver::Stats s = c.stats();
    return static_cast<uint64_t>(std::count_if(s.segments.begin(), s.segments.end(), [](const quiver::SegmentStats &g) {
        return g.kind == quiver::SegmentKind::Sealed;
    }));
}

// How a search answers the queries: recall@k against the brute force, the
// largest |score - exact cosine|, and the ids returned. Checks the shape of
// the results (k hits per query, distinct ids, best first).
struct Quality {
    double recall = 0;
    double worst_error = 0;
    std::vector<uint64_t> ids;
};

Quality quality(const quiver::Collection &c, const SearchParams &params) {
    const Data &d = data();
    const quiver::Results r = c.search_batch(d.queries, num_queries, params);
    EXPECT_EQ(r.size(), num_queries);
    Quality out;
    size_t found = 0;
    for (size_t q = 0; q < r.size(); q++) {
        const quiver::QueryHits hits = r[q];
        EXPECT_EQ(hits.size(), k) << "query " << q;
        std::vector<uint64_t> seen;
        for (size_t j = 0; j < hits.size(); j++) {
            const quiver::Hit h = hits[j];
            out.ids.push_back(h.id);
            EXPECT_LT(h.id, n) << "query " << q;
            if (h.id >= n) continue;
            seen.push_back(h.id);
            if (j > 0) {
                EXPECT_GE(hits[j - 1].score, h.score) << "query " << q << ": not best first";
            }
            out.worst_error = std::max(out.worst_error, std::abs(h.score - cosine(d.query(q), d.point(h.id))));
            found += static_cast<size_t>(std::count(d.truth[q].begin(), d.truth[q].end(), h.id));
        }
        std::sort(seen.begin(), seen.end());
        EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "query " << q << ": a repeated id";
    }
    out.recall = static_cast<double>(found) / static_cast<double>(num_queries * k);
    return out;
}

// A progress callback's calls (done, total, thread). Made on the thread
// that then calls train_quantizer.
struct ProgressLog {
    struct Call {
        uint64_t done, total;
        std::thread::id thread;
    };
    std::mutex mu;
    std::vector<Call> calls;
    const std::thread::id caller = std::this_thread::get_id();

    quiver::ProgressFn record(bool go_on = true) {
        return [this, go_on](uint64_t done, uint64_t total) {
            std::lock_guard<std::mutex> lock(mu);
            calls.push_back({done, total, std::this_thread::get_id()});
            return go_on;
        };
    }
    // There were `n` calls, reporting done = 1, 2, ..., n in this order,
    // each with `total`, each on the caller's thread.
    void expect_in_order(uint64_t n, uint64_t total) {
        std::lock_guard<std::mutex> lock(mu);
        ASSERT_EQ(calls.size(), n);
        for (uint64_t i = 0; i < n; i++) {
            EXPECT_EQ(calls[i].done, i + 1) << "call " << i << ": done arrives in order";
            EXPECT_EQ(calls[i].total, total) << "call " << i;
            EXPECT_EQ(calls[i].thread, caller) << "call " << i << ": on the thread that called train_quantizer";
        }
    }
    // Every step 1..total, in order, on the caller's thread.
    void expect_complete(uint64_t total) { expect_in_order(total, total); }
};

constexpr Storage modes[] = {Storage::F16, Storage::Bf16, Storage::Binary, Storage::Pq};

} // namespace

namespace quiver {
// How GoogleTest (and so ctest's test names) shows a mode parameter.
void PrintTo(Storage s, std::ostream *os) { *os << mode_name(s); }
} // namespace quiver

namespace {

class QuantModeTest : public ::testing::TestWithParam<Storage> {};

// A PQ collection "pq" of 4 subspaces x 64 centroids (few, for speed)
// to retrain.
class TrainTest : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = Database::open(dir_ / "db");
        coll_ = sealed(db_, "pq", config(Storage::Pq).pq_subspaces(4).pq_centroids(64));
        segments_ = sealed_segments(coll_);
        ASSERT_GE(segments_, 1u);
        before_ = quality(coll_, SearchParams(k));
    }

    // The collection still has its parameters and answers as before.
    void expect_unchanged() {
        const CollectionConfig c = coll_.config();
        EXPECT_EQ(c.pq_subspaces(), 4u);
        EXPECT_EQ(c.pq_centroids(), 64u);
        const Quality now = quality(coll_, SearchParams(k));
        EXPECT_EQ(now.ids, before_.ids);
        EXPECT_LE(now.worst_error, 1e-4);
    }

    qt::TempDir dir_;
    Database db_;
    quiver::Collection coll_;
    uint64_t segments_ = 0;
    Quality before_;
};

// What a test's progress callback throws.
struct Boom : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace

TEST(QuantOptions, DefaultsComeFromTheLibrary) {
    EXPECT_EQ(static_cast<uint32_t>(Storage::F16), static_cast<uint32_t>(QV_STORAGE_F16));
    EXPECT_EQ(static_cast<uint32_t>(Storage::Bf16), static_cast<uint32_t>(QV_STORAGE_BF16));
    EXPECT_EQ(static_cast<uint32_t>(Storage::Binary), static_cast<uint32_t>(QV_STORAGE_BINARY));
    EXPECT_EQ(static_cast<uint32_t>(Storage::Pq), static_cast<uint32_t>(QV_STORAGE_PQ));

    qv_collection_config raw;
    qv_collection_config_init(&raw);
    const CollectionConfig d(dim);
    EXPECT_EQ(d.pq_subspaces(), raw.pq_subspaces);
    EXPECT_EQ(d.pq_centroids(), raw.pq_centroids);
    EXPECT_EQ(d.pq_subspaces(), 0u); // automatic
    EXPECT_EQ(d.pq_centroids(), 256u);
    EXPECT_EQ(d.raw().struct_size, raw.struct_size);
    const CollectionConfig c = CollectionConfig(dim).storage(Storage::Pq).pq_subspaces(8).pq_centroids(16);
    EXPECT_EQ(c.storage(), Storage::Pq);
    EXPECT_EQ(c.pq_subspaces(), 8u);
    EXPECT_EQ(c.pq_centroids(), 16u);
    EXPECT_EQ(c.raw().storage, static_cast<uint32_t>(QV_STORAGE_PQ));
    EXPECT_EQ(c.raw().pq_subspaces, 8u);
    EXPECT_EQ(c.raw().pq_centroids, 16u);

    qv_train_params tp;
    qv_train_params_init(&tp);
    const TrainParams t;
    EXPECT_EQ(t.raw().struct_size, tp.struct_size);
    EXPECT_EQ(t.raw().struct_size, sizeof(qv_train_params));
    EXPECT_EQ(t.pq_subspaces(), tp.pq_subspaces);
    EXPECT_EQ(t.pq_centroids(), tp.pq_centroids);
    EXPECT_EQ(t.pq_iterations(), tp.pq_iterations);
    EXPECT_EQ(t.pq_subspaces(), 0u);
    EXPECT_EQ(t.pq_centroids(), 256u);
    EXPECT_EQ(t.pq_iterations(), 12u);
    const TrainParams u = TrainParams().pq_subspaces(96).pq_centroids(128).pq_iterations(5);
    EXPECT_EQ(u.pq_subspaces(), 96u);
    EXPECT_EQ(u.pq_centroids(), 128u);
    EXPECT_EQ(u.pq_iterations(), 5u);
    EXPECT_EQ(u.raw().pq_iterations, 5u);
}

// QV_ERR_CANCELLED maps like the other codes (a real cancel: TrainTest).
TEST(QuantOptions, CancelledIsStatus16) {
    EXPECT_EQ(static_cast<int32_t>(Status::Cancelled), 16);
    EXPECT_EQ(static_cast<int32_t>(Status::Cancelled), QV_ERR_CANCELLED);
    EXPECT_STREQ(quiver::status_name(Status::Cancelled), "cancelled");
    try {
        quiver::detail::check(QV_ERR_CANCELLED, nullptr);
        ADD_FAILURE() << "no exception";
    } catch (const quiver::Error &e) {
        EXPECT_EQ(e.status(), Status::Cancelled);
        EXPECT_EQ(e.code(), 16);
        EXPECT_STREQ(e.what(), "cancelled");
    }
}

TEST_P(QuantModeTest, RecallIsHighAndRescoredScoresAreExact) {
    const Storage mode = GetParam();
    qt::TempDir dir;
    Quality q;
    {
        Database db = Database::open(dir / "db");
        quiver::Collection c = sealed(db, "q", config(mode));
        EXPECT_EQ(c.config().storage(), mode);

        // The default search parameters (oversampling 0 = the mode's own).
        q = quality(c, SearchParams(k));
        EXPECT_GE(q.recall, 0.9) << "recall@" << k;
        EXPECT_LE(q.worst_error, 1e-4) << "rescored scores are exact cosines";
        // A point's own vector finds the point first.
        for (uint64_t id : {uint64_t{0}, uint64_t{777}, uint64_t{n - 1}}) {
            const quiver::Results self = c.search(quiver::span<const float>(data().point(id), dim), SearchParams(1));
            ASSERT_EQ(self[0].size(), 1u);
            EXPECT_EQ(self[0][0].id, id);
            EXPECT_NEAR(self[0][0].score, 1.0, 1e-4);
        }
        // More oversampling: at least as good, still exact.
        const Quality wide = quality(c, SearchParams(k).oversampling(30));
        EXPECT_GE(wide.recall, 0.95);
        EXPECT_LE(wide.worst_error, 1e-4);

        // Without rescoring: the scores are estimated on the codes (else the
        // option did not reach the library, or the codes were not walked);
        // the two-byte floats estimate closely.
        const Quality rough = quality(c, SearchParams(k).rescore(false));
        EXPECT_GT(rough.worst_error, 0.0) << "every score without rescoring equals the exact cosine";
        if (mode == Storage::F16 || mode == Storage::Bf16) {
            EXPECT_LT(rough.worst_error, 0.01);
        }
        db.close();
    }
    // Fixed at creation: the mode and the answers survive reopening.
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.open_collection("q");
    EXPECT_EQ(c.config().storage(), mode);
    EXPECT_EQ(c.count(), n);
    EXPECT_TRUE(c.stats().rebuilt_on_open.empty());
    EXPECT_EQ(quality(c, SearchParams(k)).ids, q.ids);
}

INSTANTIATE_TEST_SUITE_P(Modes, QuantModeTest, ::testing::ValuesIn(modes),
                         [](const ::testing::TestParamInfo<Storage> &info) { return std::string(mode_name(info.param)); });

TEST(QuantConfig, PqParametersAreCheckedAndReportedBack) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    const CollectionConfig pq = CollectionConfig(dim, Metric::Cosine).storage(Storage::Pq);
    std::string msg = qt::expect_error(Status::InvalidArgument, [&] {
        db.create_collection("bad", CollectionConfig(pq).pq_subspaces(7));
    });
    EXPECT_NE(msg.find("config.pq_subspaces is 7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("divide the dimension 32"), std::string::npos) << msg;
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        db.create_collection("bad", CollectionConfig(pq).pq_subspaces(64));
    });
    EXPECT_NE(msg.find("config.pq_subspaces is 64"), std::string::npos) << msg;
    for (uint32_t centroids : {0u, 1u, 257u}) {
        msg = qt::expect_error(Status::InvalidArgument, [&] {
            db.create_collection("bad", CollectionConfig(pq).pq_centroids(centroids));
        });
        EXPECT_NE(msg.find("config.pq_centroids is " + std::to_string(centroids)), std::string::npos) << msg;
    }
    // Quantized modes need cosine, dot or euclidean, and vectors.
    for (Storage mode : modes) {
        SCOPED_TRACE(mode_name(mode));
        msg = qt::expect_error(Status::InvalidArgument, [&] {
            db.create_collection("bad", CollectionConfig(dim, Metric::Hamming).storage(mode));
        });
        EXPECT_NE(msg.find("config.storage"), std::string::npos) << msg;
        msg = qt::expect_error(Status::InvalidArgument, [&] {
            db.create_collection("bad", CollectionConfig::metadata_only().storage(mode));
        });
        EXPECT_NE(msg.find("config.storage"), std::string::npos) << msg;
    }
    // An unknown mode.
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        db.create_collection("bad", CollectionConfig(dim).storage(static_cast<Storage>(6)));
    });
    EXPECT_NE(msg.find("config.storage is 6"), std::string::npos) << msg;
    EXPECT_TRUE(db.list_collections().empty());

    // Valid parameters are reported back, also after reopening; 0 stays 0
    // (automatic); the other modes ignore PQ's parameters (valid ones: the
    // library checks them in every mode, so that a bad value is never kept).
    EXPECT_EQ(db.create_collection("pq8", CollectionConfig(pq).pq_subspaces(8).pq_centroids(16)).config().pq_subspaces(),
              8u);
    const CollectionConfig automatic = db.create_collection("pq0", pq).config();
    EXPECT_EQ(automatic.pq_subspaces(), 0u);
    EXPECT_EQ(automatic.pq_centroids(), 256u);
    EXPECT_EQ(db.create_collection("f16", CollectionConfig(dim).storage(Storage::F16).pq_subspaces(8)).config().storage(),
              Storage::F16);
    db.close();
    db = Database::open(dir / "db");
    const CollectionConfig c = db.open_collection("pq8").config();
    EXPECT_EQ(c.storage(), Storage::Pq);
    EXPECT_EQ(c.pq_subspaces(), 8u);
    EXPECT_EQ(c.pq_centroids(), 16u);
    EXPECT_EQ(db.open_collection("pq0").config().pq_subspaces(), 0u);
}

TEST_F(TrainTest, NewSubspacesReportProgressAndKeepSearchesExact) {
    EXPECT_GE(before_.recall, 0.9);
    EXPECT_LE(before_.worst_error, 1e-4);

    ProgressLog log;
    coll_.train_quantizer(TrainParams().pq_subspaces(8).pq_centroids(64), log.record());
    // One step per subspace per sealed segment, rising to the total.
    log.expect_complete(8 * segments_);
    CollectionConfig c = coll_.config();
    EXPECT_EQ(c.pq_subspaces(), 8u);
    EXPECT_EQ(c.pq_centroids(), 64u);
    const Quality after = quality(coll_, SearchParams(k));
    EXPECT_GE(after.recall, 0.9);
    EXPECT_LE(after.worst_error, 1e-4) << "rescored scores are exact cosines after training";
    const Quality rough = quality(coll_, SearchParams(k).rescore(false));
    EXPECT_GT(rough.worst_error, 0.0) << "the retrained codes are walked";

    // Without parameters: the current ones (8 x 64, not the library's
    // defaults), retrained on today's data.
    ProgressLog again;
    coll_.train_quantizer(again.record());
    again.expect_complete(8 * segments_);
    c = coll_.config();
    EXPECT_EQ(c.pq_subspaces(), 8u);
    EXPECT_EQ(c.pq_centroids(), 64u);

    // The parameters persist.
    coll_ = quiver::Collection();
    db_.close();
    db_ = Database::open(dir_ / "db");
    coll_ = db_.open_collection("pq");
    EXPECT_EQ(coll_.config().pq_subspaces(), 8u);
    EXPECT_TRUE(coll_.stats().rebuilt_on_open.empty());
    EXPECT_LE(quality(coll_, SearchParams(k)).worst_error, 1e-4);
}

TEST_F(TrainTest, CancelChangesNothing) {
    // At the first step.
    ProgressLog log;
    std::string msg = qt::expect_error(Status::Cancelled, [&] {
        coll_.train_quantizer(TrainParams().pq_subspaces(8).pq_centroids(64), log.record(false));
    });
    EXPECT_NE(msg.find("cancelled"), std::string::npos) << msg;
    // Steps in flight may still finish in the library; the callback is not
    // called again once it said stop.
    log.expect_in_order(1, 8 * segments_);
    expect_unchanged();

    // Halfway (as a lambda that keeps its own count, on this thread).
    const std::thread::id caller = std::this_thread::get_id();
    size_t calls = 0, stops = 0, elsewhere = 0;
    uint64_t last_total = 0;
    qt::expect_error(Status::Cancelled, [&] {
        coll_.train_quantizer(TrainParams().pq_subspaces(8).pq_centroids(64), [&](uint64_t done, uint64_t total) {
            calls++;
            EXPECT_EQ(done, calls) << "done arrives in order";
            if (std::this_thread::get_id() != caller) elsewhere++;
            last_total = total;
            const bool go_on = done < total / 2;
            if (!go_on) stops++;
            return go_on;
        });
    });
    EXPECT_EQ(last_total, 8 * segments_);
    EXPECT_EQ(calls, last_total / 2) << "not called again after it returned false";
    EXPECT_EQ(stops, 1u);
    EXPECT_EQ(elsewhere, 0u) << "the callback runs on the thread that called train_quantizer";
    expect_unchanged();

    // The collection trains normally afterwards (few iterations: quick).
    coll_.train_quantizer(TrainParams().pq_subspaces(8).pq_centroids(64).pq_iterations(2));
    EXPECT_EQ(coll_.config().pq_subspaces(), 8u);
}

TEST_F(TrainTest, AThrowingCallbackIsRethrownAndChangesNothing) {
    size_t calls = 0;
    const TrainParams params = TrainParams().pq_subspaces(8).pq_centroids(64);
    try {
        coll_.train_quantizer(params, [&](uint64_t, uint64_t) -> bool {
            calls++; // one call at a time: no lock needed
            throw Boom("boom from the progress callback");
        });
        ADD_FAILURE() << "nothing was thrown";
    } catch (const Boom &e) {
        EXPECT_STREQ(e.what(), "boom from the progress callback");
    } catch (const quiver::Error &e) {
        ADD_FAILURE() << "expected the callback's exception, got quiver::Error: " << e.what();
    }
    EXPECT_EQ(calls, 1u) << "called again after it threw";
    expect_unchanged();

    // Anything thrown, not only std::exception; also at a later step.
    calls = 0;
    try {
        coll_.train_quantizer(params, [&](uint64_t done, uint64_t) -> bool {
            calls++;
            if (done >= 3) throw 42;
            return true;
        });
        ADD_FAILURE() << "nothing was thrown";
    } catch (int v) {
        EXPECT_EQ(v, 42);
    }
    EXPECT_EQ(calls, 3u) << "called again after it threw";
    expect_unchanged();

    // The collection trains normally afterwards (few iterations: quick).
    ProgressLog log;
    coll_.train_quantizer(TrainParams(params).pq_iterations(2), log.record());
    log.expect_complete(8 * segments_);
    EXPECT_EQ(coll_.config().pq_subspaces(), 8u);
}

TEST(TrainQuantizer, F32IsUnsupportedOtherModesTrainOneStepPerSegment) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    size_t calls = 0;
    const quiver::ProgressFn count = [&](uint64_t, uint64_t) {
        ++calls;
        return true;
    };

    quiver::Collection f32 = db.create_collection("f32", CollectionConfig(dim));
    f32.upsert(qt::iota_ids(100), unit_vectors(100, 5));
    f32.optimize();
    std::string msg = qt::expect_error(Status::Unsupported, [&] { f32.train_quantizer(); });
    EXPECT_NE(msg.find("f32"), std::string::npos) << msg;
    qt::expect_error(Status::Unsupported, [&] { f32.train_quantizer(TrainParams(), count); });
    qt::expect_error(Status::Unsupported, [&] { f32.train_quantizer(count); });
    EXPECT_EQ(calls, 0u);
    EXPECT_EQ(f32.config().storage(), Storage::F32);

    // F16: nothing to choose, one step per sealed segment.
    quiver::Collection f16 = db.create_collection("f16", CollectionConfig(dim).storage(Storage::F16));
    f16.upsert(qt::iota_ids(300), unit_vectors(300, 6));
    f16.optimize();
    const uint64_t segments = sealed_segments(f16);
    ASSERT_GE(segments, 1u);
    ProgressLog log;
    f16.train_quantizer(log.record());
    log.expect_complete(segments);
    ProgressLog cancel;
    qt::expect_error(Status::Cancelled, [&] { f16.train_quantizer(cancel.record(false)); });
    cancel.expect_in_order(1, segments);

    // Closed, and without a handle (checked before the library is called).
    f16.close();
    qt::expect_error(Status::Closed, [&] { f16.train_quantizer(count); });
    quiver::Collection moved = std::move(f32);
    qt::expect_error(Status::InvalidArgument, [&] { f32.train_quantizer(count); });
    EXPECT_EQ(calls, 0u);
}

// The parameters are checked before anything else: a small collection
// will do.
TEST(TrainQuantizer, BadParametersNameTheField) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection pq = db.create_collection("pq", config(Storage::Pq).pq_subspaces(4).pq_centroids(16));
    pq.upsert(qt::iota_ids(100), unit_vectors(100, 5));
    pq.optimize();
    size_t calls = 0;
    const quiver::ProgressFn count = [&](uint64_t, uint64_t) {
        ++calls;
        return true;
    };
    std::string msg = qt::expect_error(Status::InvalidArgument, [&] {
        pq.train_quantizer(TrainParams().pq_subspaces(7), count);
    });
    EXPECT_NE(msg.find("params.pq_subspaces is 7"), std::string::npos) << msg;
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        pq.train_quantizer(TrainParams().pq_subspaces(8).pq_centroids(1), count);
    });
    EXPECT_NE(msg.find("params.pq_centroids is 1"), std::string::npos) << msg;
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        pq.train_quantizer(TrainParams().pq_subspaces(8).pq_centroids(300), count);
    });
    EXPECT_NE(msg.find("params.pq_centroids is 300"), std::string::npos) << msg;
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        pq.train_quantizer(TrainParams().pq_subspaces(8).pq_iterations(0), count);
    });
    EXPECT_NE(msg.find("params.pq_iterations is 0"), std::string::npos) << msg;
    msg = qt::expect_error(Status::InvalidArgument, [&] {
        pq.train_quantizer(TrainParams().pq_subspaces(8).pq_iterations(101), count);
    });
    EXPECT_NE(msg.find("params.pq_iterations is 101"), std::string::npos) << msg;
    // A wrong struct_size (a caller built against another quiver.h).
    TrainParams wrong;
    wrong.raw().struct_size += 4;
    msg = qt::expect_error(Status::InvalidArgument, [&] { pq.train_quantizer(wrong, count); });
    EXPECT_NE(msg.find("params.struct_size is " + std::to_string(sizeof(qv_train_params) + 4)), std::string::npos)
        << msg;
    EXPECT_EQ(calls, 0u);
    const CollectionConfig c = pq.config();
    EXPECT_EQ(c.pq_subspaces(), 4u);
    EXPECT_EQ(c.pq_centroids(), 16u);
}
