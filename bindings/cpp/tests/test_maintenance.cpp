// optimize(), wait_optimized(), verify(), stats(), and payloads kept byte for
// byte.
#include "test_util.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;
using quiver::SearchParams;

namespace {

constexpr size_t dim = 8;

std::string payload_of(uint64_t id) { return R"({"n":)" + std::to_string(id) + "}"; }

// Points 0..199 with payloads {"n": id}; 0..9 deleted, 10..19 overwritten
// (new vectors, same payloads). Returns the live vectors by id.
std::map<uint64_t, std::vector<float>> fill(quiver::Collection &c) {
    const std::vector<uint64_t> ids = qt::iota_ids(200);
    const std::vector<float> vectors = qt::random_vectors(200, dim, 7);
    std::vector<std::string> payloads;
    for (uint64_t id : ids) payloads.push_back(payload_of(id));
    c.upsert(ids, vectors, payloads);
    EXPECT_EQ(c.remove(qt::iota_ids(10)), 10u);
    const std::vector<uint64_t> overwritten = qt::iota_ids(10, 10);
    const std::vector<float> replaced = qt::random_vectors(10, dim, 8);
    c.upsert(overwritten, replaced, std::vector<std::string>(payloads.begin() + 10, payloads.begin() + 20));
    std::map<uint64_t, std::vector<float>> live;
    for (size_t i = 10; i < 200; i++) live[i] = std::vector<float>(vectors.begin() + i * dim, vectors.begin() + (i + 1) * dim);
    for (size_t i = 0; i < 10; i++)
        live[10 + i] = std::vector<float>(replaced.begin() + i * dim, replaced.begin() + (i + 1) * dim);
    return live;
}

void check_points(const std::string &what, const quiver::Collection &c,
                  const std::map<uint64_t, std::vector<float>> &live) {
    SCOPED_TRACE(what);
    ASSERT_EQ(c.count(), live.size());
    const quiver::Points pts = c.get({0, 9, 10, 15, 20, 123, 199});
    EXPECT_FALSE(pts[0].found);
    EXPECT_FALSE(pts[1].found);
    for (size_t i = 2; i < pts.size(); i++) {
        const quiver::PointRef p = pts[i];
        ASSERT_TRUE(p.found) << p.id;
        const std::vector<float> &want = live.at(p.id);
        EXPECT_TRUE(std::equal(p.vector.begin(), p.vector.end(), want.begin(), want.end())) << p.id;
        EXPECT_EQ(p.payload, payload_of(p.id));
        for (bool exact : {false, true}) {
            const quiver::Results r = c.search(want, SearchParams(3).exact(exact).with_payload());
            ASSERT_EQ(r[0].size(), 3u);
            EXPECT_EQ(r[0][0].id, p.id) << "exact " << exact;
            EXPECT_EQ(r[0][0].score, 0.0f);
            EXPECT_EQ(r[0][0].payload, payload_of(p.id));
        }
    }
    const std::string small = R"({"field": "n", "lt": 25})";
    EXPECT_EQ(c.scroll(0, 100, small).ids, qt::iota_ids(15, 10));
    const quiver::Results f = c.search(live.at(12), SearchParams(50).filter(small));
    ASSERT_EQ(f[0].size(), 15u);
    EXPECT_EQ(f[0][0].id, 12u);
}

// Checks the stats against count() and against themselves (and the JSON
// document against a few fields); returns them.
quiver::Stats check_stats(const std::string &what, const quiver::Collection &c) {
    SCOPED_TRACE(what);
    quiver::Stats s = c.stats();
    EXPECT_EQ(s.live_points, c.count());
    uint64_t sum = 0;
    for (const quiver::SegmentStats &g : s.segments) {
        sum += g.points;
        EXPECT_TRUE(g.kind == quiver::SegmentKind::Appendable || g.kind == quiver::SegmentKind::Sealed)
            << "segment " << g.id << " kind " << static_cast<uint32_t>(g.kind);
    }
    EXPECT_EQ(sum, s.live_points) << s.json;
    EXPECT_TRUE(s.optimizer_state == quiver::OptimizerState::Idle ||
                s.optimizer_state == quiver::OptimizerState::Pending ||
                s.optimizer_state == quiver::OptimizerState::Running);
    EXPECT_FALSE(s.read_only_cause.has_value()) << *s.read_only_cause;
    EXPECT_FALSE(s.optimizer_error.has_value()) << *s.optimizer_error;
    for (const quiver::ComponentStats &comp : s.components) EXPECT_FALSE(comp.name.empty());
    // The JSON document (parsed by the Go and C# tests) carries the same numbers.
    EXPECT_EQ(s.json.front(), '{');
    EXPECT_EQ(s.json.back(), '}');
    EXPECT_NE(s.json.find(R"("live_points":)" + std::to_string(s.live_points)), std::string::npos) << s.json;
    EXPECT_NE(s.json.find(R"("deleted_points":)" + std::to_string(s.deleted_points)), std::string::npos) << s.json;
    EXPECT_NE(s.json.find(std::string(R"("state":")") + quiver::optimizer_state_name(s.optimizer_state) + '"'),
              std::string::npos)
        << s.json;
    for (const quiver::SegmentStats &g : s.segments)
        EXPECT_NE(s.json.find(std::string(R"("kind":")") + quiver::segment_kind_name(g.kind) + '"'), std::string::npos)
            << s.json;
    return s;
}

} // namespace

TEST(Maintenance, OptimizeWaitOptimizedAndVerifyKeepEveryPoint) {
    qt::TempDir dir;
    std::map<uint64_t, std::vector<float>> live;
    {
        Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        quiver::Collection c = db.create_collection("m", CollectionConfig(dim, Metric::Euclidean));
        live = fill(c);
        check_points("before optimize", c, live);
        c.verify();
        c.optimize();
        c.wait_optimized();
        check_points("after optimize", c, live);
        c.verify();
        c.optimize(); // again, with nothing to do
        const std::vector<float> v = {1, 2, 3, 4, 5, 6, 7, 8};
        c.upsert_one(500, v, payload_of(500));
        live[500] = v;
        check_points("after a write", c, live);
        db.close();
    }
    Database db = Database::open(dir / "db");
    const quiver::Collection c = db.open_collection("m");
    c.verify();
    check_points("after reopen", c, live);
}

TEST(Maintenance, StatsAgreeWithCountAndThemselves) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    const quiver::Collection empty = db.create_collection("empty", CollectionConfig(dim));
    EXPECT_EQ(check_stats("empty", empty).live_points, 0u);
    quiver::Collection c = db.create_collection("m", CollectionConfig(dim, Metric::Euclidean));
    const auto live = fill(c);
    const quiver::Stats s = check_stats("after writes", c);
    EXPECT_EQ(s.live_points, live.size());
    EXPECT_TRUE(s.rebuilt_on_open.empty());
    EXPECT_STREQ(quiver::segment_kind_name(static_cast<quiver::SegmentKind>(7)), "unknown");
    EXPECT_STREQ(quiver::optimizer_state_name(static_cast<quiver::OptimizerState>(7)), "unknown");
}

TEST(Maintenance, StatsAfterOptimizeListValidSegments) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("m", CollectionConfig(dim, Metric::Euclidean));
    fill(c);
    c.optimize();
    c.wait_optimized();
    const quiver::Stats s = check_stats("after optimize", c);
    EXPECT_FALSE(s.segments.empty()) << s.json;
}

// Optimize sealed the appendable segment, merged and vacuumed: every point
// is in a sealed segment, nothing deleted is left.
TEST(Maintenance, OptimizeLeavesEveryPointInSealedSegments) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("m", CollectionConfig(dim, Metric::Euclidean));
    fill(c);
    c.optimize();
    c.wait_optimized();
    const quiver::Stats s = check_stats("after optimize", c);
    uint64_t sealed = 0;
    size_t n_sealed = 0;
    for (const quiver::SegmentStats &g : s.segments)
        if (g.kind == quiver::SegmentKind::Sealed) sealed += g.points, n_sealed++;
    EXPECT_GT(n_sealed, 0u) << s.json;
    EXPECT_EQ(sealed, s.live_points) << s.json;
    EXPECT_EQ(s.deleted_points, 0u) << s.json;
}

TEST(Maintenance, OptimizeWhileOtherThreadsSearch) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("m", CollectionConfig(dim, Metric::Euclidean));
    const auto live = fill(c);
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int g = 0; g < 4; g++)
        threads.emplace_back([&, g] {
            const uint64_t id = 20 + static_cast<uint64_t>(g);
            try {
                while (!stop.load()) {
                    const quiver::Results r = c.search(live.at(id), SearchParams(5).exact(g % 2 == 0));
                    if (r[0].size() != 5 || r[0][0].id != id) failures++;
                    c.stats();
                }
            } catch (const std::exception &) {
                failures++;
            }
        });
    for (int i = 0; i < 3; i++) c.optimize();
    c.wait_optimized();
    stop = true;
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    check_points("after concurrent optimize", c, live);
}

// Payloads come back byte for byte as written (whitespace, key order,
// number spelling, escapes), from get() and search(), before and after
// optimize() and a reopen.
TEST(Maintenance, PayloadsComeBackExactlyAsWritten) {
    const std::vector<std::string> payloads = {
        "{ \"z\": 1,  \"a\": [1.0, 2e3, -0.50],\n\t\"m\": {\"y\": null, \"b\": true} }",
        R"({"b":"caf\u00e9 )" "\xc3\xa9 \xf0\x9f\x98\x80" R"(","a":"\"quoted\"\\"})",
        "", // no payload
        "{}",
        R"({"k" : [ ] })",
    };
    const std::vector<uint64_t> ids = {1, 2, 3, 4, 5};
    const auto check = [&](const std::string &what, const quiver::Collection &c) {
        SCOPED_TRACE(what);
        const quiver::Points pts = c.get(ids);
        for (size_t i = 0; i < ids.size(); i++) EXPECT_EQ(pts[i].payload, payloads[i]) << "get(" << ids[i] << ")";
        const quiver::Results r =
            c.search_batch({0, 0, 5, 0}, 2, SearchParams(10).with_payload());
        for (size_t q = 0; q < r.size(); q++) {
            ASSERT_EQ(r[q].size(), ids.size());
            for (quiver::Hit h : r[q]) EXPECT_EQ(h.payload, payloads[h.id - 1]) << "query " << q << " hit " << h.id;
        }
    };
    qt::TempDir dir;
    {
        Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        quiver::Collection c = db.create_collection("raw", CollectionConfig(2, Metric::Euclidean));
        c.upsert(ids, {1, 0, 2, 0, 3, 0, 4, 0, 5, 0}, payloads);
        check("as written", c);
        c.optimize();
        check("after optimize", c);
        db.close();
    }
    Database db = Database::open(dir / "db");
    check("after reopen", db.open_collection("raw"));
}

// Field indexes: created on a populated collection and kept up by later
// writes; filtered searches give the hits of an exact search; listed,
// refused twice, dropped; kept across a reopen.
TEST(Maintenance, FieldIndexesServeFilteredSearches) {
    qt::TempDir dir;
    const size_t n = 300;
    const std::vector<uint64_t> ids = qt::iota_ids(n);
    const std::vector<float> vectors = qt::random_vectors(n, dim, 5);
    std::vector<std::string> payloads;
    for (uint64_t i : ids)
        payloads.push_back(R"({"tag":"t)" + std::to_string(i % 7) + R"(","n":)" + std::to_string(i) + "}");
    const auto part = [&](size_t from, size_t to, quiver::Collection &c) {
        c.upsert(std::vector<uint64_t>(ids.begin() + from, ids.begin() + to),
                 std::vector<float>(vectors.begin() + from * dim, vectors.begin() + to * dim),
                 std::vector<std::string>(payloads.begin() + from, payloads.begin() + to));
    };
    const std::string filter = R"({"and": [{"field": "tag", "eq": "t3"}, {"field": "n", "lt": 250}]})";
    {
        Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        quiver::Collection c = db.create_collection("f", CollectionConfig(dim, Metric::Euclidean));
        part(0, 150, c);
        c.optimize();
        c.create_field_index("tag", quiver::FieldKind::Keyword);
        c.create_field_index("n", quiver::FieldKind::Integer);
        part(150, n, c);
        const std::vector<quiver::FieldIndex> list = c.field_indexes();
        ASSERT_EQ(list.size(), 2u);
        EXPECT_EQ(list[0].field, "tag");
        EXPECT_EQ(list[0].kind, quiver::FieldKind::Keyword);
        EXPECT_EQ(list[1].kind, quiver::FieldKind::Integer);
        EXPECT_GT(list[0].ram_bytes, 0u);
        qt::expect_error(quiver::Status::AlreadyExists, [&] { c.create_field_index("n", quiver::FieldKind::Integer); });
        qt::expect_error(quiver::Status::InvalidArgument, [&] { c.create_field_index("a..b", quiver::FieldKind::Bool); });
        qt::expect_error(quiver::Status::InvalidArgument, [&] { c.create_field_index("x", static_cast<quiver::FieldKind>(9)); });
        qt::expect_error(quiver::Status::NotFound, [&] { c.drop_field_index("nope"); });
        db.close();
    }
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.open_collection("f");
    ASSERT_EQ(c.field_indexes().size(), 2u);
    for (size_t q = 0; q < 5; q++) {
        const std::vector<float> query(vectors.begin() + q * 40 * dim, vectors.begin() + (q * 40 + 1) * dim);
        const quiver::Results exact = c.search(query, SearchParams(6).exact(true).filter(filter));
        const quiver::Results got = c.search(query, SearchParams(6).filter(filter));
        ASSERT_EQ(exact[0].size(), 6u);
        ASSERT_EQ(got[0].size(), 6u);
        for (size_t j = 0; j < 6; j++) {
            EXPECT_EQ(got[0][j].id, exact[0][j].id) << "query " << q << " hit " << j;
            EXPECT_TRUE(got[0][j].id % 7 == 3 && got[0][j].id < 250) << got[0][j].id;
        }
    }
    c.drop_field_index("tag");
    ASSERT_EQ(c.field_indexes().size(), 1u);
    EXPECT_EQ(c.field_indexes()[0].field, "n");
}

// The filter builders write the JSON one writes by hand; a search with a
// built filter equals the search with the hand-written one.
TEST(Maintenance, FilterBuildersWriteTheHandWrittenJson) {
    using quiver::Filter;
    EXPECT_EQ(Filter::eq("lang", "fr").json(), R"({"field": "lang", "eq": "fr"})");
    EXPECT_EQ(Filter::gte("year", 2022).json(), R"({"field": "year", "gte": 2022})");
    EXPECT_EQ(Filter::lt("x", 2.5).json(), R"({"field": "x", "lt": 2.5})");
    EXPECT_EQ(Filter::ne("a", nullptr).json(), R"({"field": "a", "ne": null})");
    EXPECT_EQ(Filter::eq("a", true).json(), R"({"field": "a", "eq": true})");
    EXPECT_EQ(Filter::between("n", 1, 9).json(), R"({"field": "n", "between": [1, 9]})");
    EXPECT_EQ(Filter::in("t", {"a", "b"}).json(), R"({"field": "t", "in": ["a", "b"]})");
    EXPECT_EQ(Filter::in("t", {}).json(), R"({"field": "t", "in": []})");
    EXPECT_EQ(Filter::not_in("t", {1}).json(), R"({"field": "t", "nin": [1]})");
    EXPECT_EQ(Filter::contains_all("t", {"x"}).json(), R"({"field": "t", "contains_all": ["x"]})");
    EXPECT_EQ(Filter::contains_any("t", {"x"}).json(), R"({"field": "t", "contains_any": ["x"]})");
    EXPECT_EQ(Filter::like("s", "50\\%").json(), R"({"field": "s", "like": "50\\%"})");
    EXPECT_EQ(Filter::ilike("s", "a\"b").json(), R"({"field": "s", "ilike": "a\"b"})");
    EXPECT_EQ(Filter::exists("m.l").json(), R"({"field": "m.l", "exists": true})");
    EXPECT_EQ(Filter::is_null("d").json(), R"({"field": "d", "is_null": true})");
    EXPECT_EQ(Filter::is_empty("d").json(), R"({"field": "d", "is_empty": true})");
    EXPECT_EQ(Filter::and_({Filter::eq("a", 1), Filter::or_({})}).json(),
              R"({"and": [{"field": "a", "eq": 1}, {"or": []}]})");
    EXPECT_EQ(Filter::not_(Filter::eq("a", "x\n")).json(), R"({"not": {"field": "a", "eq": "x\n"}})");
    qt::expect_error(quiver::Status::InvalidArgument, [] { Filter::eq("a", std::nan("")); });

    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("b", CollectionConfig(dim, Metric::Euclidean));
    const std::vector<uint64_t> ids = qt::iota_ids(120);
    const std::vector<float> vectors = qt::random_vectors(120, dim, 9);
    std::vector<std::string> payloads;
    for (uint64_t i : ids)
        payloads.push_back(R"({"n":)" + std::to_string(i) + R"(,"tag":"t)" + std::to_string(i % 5) + R"("})");
    c.upsert(ids, vectors, payloads);
    const Filter built = Filter::and_({Filter::between("n", 20, 90), Filter::not_in("tag", {"t1", "t2"}),
                                       Filter::like("tag", "t_")});
    const std::string hand =
        R"({"and": [{"field": "n", "between": [20, 90]}, {"field": "tag", "nin": ["t1", "t2"]}, {"field": "tag", "like": "t_"}]})";
    EXPECT_EQ(built.json(), hand);
    for (size_t q = 0; q < 3; q++) {
        const std::vector<float> query(vectors.begin() + q * 7 * dim, vectors.begin() + (q * 7 + 1) * dim);
        const quiver::Results a = c.search(query, SearchParams(10).exact(true).filter(built));
        const quiver::Results b = c.search(query, SearchParams(10).exact(true).filter(hand));
        ASSERT_EQ(a[0].size(), 10u);
        for (size_t j = 0; j < 10; j++) {
            EXPECT_EQ(a[0][j].id, b[0][j].id);
            const uint64_t i = a[0][j].id;
            EXPECT_TRUE(i >= 20 && i <= 90 && i % 5 != 1 && i % 5 != 2) << i;
        }
    }
}
