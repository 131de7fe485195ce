// Ownership: move-only types, moved-from objects, release(), destruction in
// any order, and exceptions that leave nothing behind (valgrind checks the
// leaks when test.sh runs this binary under memcheck).
#include "test_util.hpp"

#include <type_traits>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;
using quiver::Status;

// ---- compile-time properties -------------------------------------------------------

template <class T>
constexpr bool move_only_v = !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T> &&
                             std::is_nothrow_move_constructible_v<T> && std::is_nothrow_move_assignable_v<T> &&
                             std::is_nothrow_destructible_v<T>;
static_assert(move_only_v<quiver::Database>);
static_assert(move_only_v<quiver::Collection>);
static_assert(move_only_v<quiver::Results>);
static_assert(move_only_v<quiver::Points>);
static_assert(std::is_base_of_v<std::runtime_error, quiver::Error>);
static_assert(std::is_nothrow_copy_constructible_v<quiver::Error>);

// A view cannot be taken from a temporary owner: `coll.search(q)[0]` does
// not compile (it would dangle at the end of the statement).
template <class T, class = void>
struct can_index : std::false_type {};
template <class T>
struct can_index<T, std::void_t<decltype(std::declval<T>()[0])>> : std::true_type {};
static_assert(can_index<const quiver::Results &>::value);
static_assert(!can_index<quiver::Results &&>::value);
static_assert(can_index<const quiver::Points &>::value);
static_assert(!can_index<quiver::Points &&>::value);

template <class T, class = void>
struct can_begin : std::false_type {};
template <class T>
struct can_begin<T, std::void_t<decltype(std::declval<T>().begin())>> : std::true_type {};
static_assert(can_begin<const quiver::Points &>::value);
static_assert(!can_begin<quiver::Points &&>::value);

// Iterators are random access (std algorithms work on them).
static_assert(std::is_same_v<std::iterator_traits<quiver::QueryHits::iterator>::iterator_category,
                             std::random_access_iterator_tag>);
static_assert(std::is_same_v<std::iterator_traits<quiver::Points::iterator>::iterator_category,
                             std::random_access_iterator_tag>);

// ---- moved-from objects ---------------------------------------------------------------

TEST(MovedFrom, DatabaseThrowsInvalidArgumentAndCloseIsANoOp) {
    qt::TempDir dir;
    Database a = Database::open(dir / "db");
    Database b = std::move(a);
    EXPECT_FALSE(a.valid()); // NOLINT(bugprone-use-after-move): on purpose
    EXPECT_FALSE(static_cast<bool>(a));
    EXPECT_EQ(a.get(), nullptr);
    EXPECT_TRUE(b.valid());
    const std::string m = qt::expect_error(Status::InvalidArgument, [&] { a.list_collections(); });
    EXPECT_NE(m.find("moved from"), std::string::npos) << m;
    qt::expect_error(Status::InvalidArgument, [&] { a.create_collection("x", CollectionConfig(2)); });
    qt::expect_error(Status::InvalidArgument, [&] { a.open_collection("x"); });
    qt::expect_error(Status::InvalidArgument, [&] { a.drop_collection("x"); });
    EXPECT_NO_THROW(a.close());
    b.create_collection("x", CollectionConfig(2));
    EXPECT_EQ(b.list_collections().size(), 1u);

    // Move assignment releases the handle it replaces.
    Database c = Database::open(dir / "db2");
    c = std::move(b);
    EXPECT_EQ(c.list_collections().size(), 1u);
    Database reopened = Database::open(dir / "db2"); // the replaced handle is gone: no lock left
    Database &alias = c;
    c = std::move(alias); // self-move: no effect on the handle
    EXPECT_TRUE(c.valid());
    Database empty;
    EXPECT_FALSE(empty.valid());
}

TEST(MovedFrom, CollectionThrowsInvalidArgumentAndCloseIsANoOp) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection a = db.create_collection("c", CollectionConfig(2, Metric::Euclidean));
    quiver::Collection b(std::move(a));
    EXPECT_FALSE(a.valid()); // NOLINT(bugprone-use-after-move)
    using S = Status;
    qt::expect_error(S::InvalidArgument, [&] { a.upsert({1}, {1, 2}); });
    qt::expect_error(S::InvalidArgument, [&] { a.upsert_one(1, {1, 2}, "{}"); });
    qt::expect_error(S::InvalidArgument, [&] { a.get({1}); });
    qt::expect_error(S::InvalidArgument, [&] { a.remove({1}); });
    qt::expect_error(S::InvalidArgument, [&] { a.count(); });
    qt::expect_error(S::InvalidArgument, [&] { a.scroll(); });
    qt::expect_error(S::InvalidArgument, [&] { a.search({1, 2}); });
    qt::expect_error(S::InvalidArgument, [&] { a.config(); });
    qt::expect_error(S::InvalidArgument, [&] { a.checkpoint(); });
    qt::expect_error(S::InvalidArgument, [&] { a.optimize(); });
    qt::expect_error(S::InvalidArgument, [&] { a.wait_optimized(); });
    qt::expect_error(S::InvalidArgument, [&] { a.verify(); });
    qt::expect_error(S::InvalidArgument, [&] { a.stats(); });
    EXPECT_NO_THROW(a.close());
    b.upsert({1}, {1, 2});
    EXPECT_EQ(b.count(), 1u);

    quiver::Collection other = db.create_collection("d", CollectionConfig(2));
    other = std::move(b); // frees the handle of "d"
    EXPECT_EQ(other.count(), 1u);
}

TEST(MovedFrom, ResultsAndPointsAreEmpty) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("c", CollectionConfig(2, Metric::Euclidean));
    c.upsert({1, 2}, {1, 2, 3, 4}, std::vector<std::string>{R"({"a":1})", R"({"a":2})"});

    quiver::Results r = c.search({1, 2}, quiver::SearchParams(2).with_payload());
    const quiver::Hit first = r[0][0];
    quiver::Results r2 = std::move(r);
    EXPECT_EQ(r.size(), 0u); // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.num_hits(), 0u);
    EXPECT_EQ(r.get(), nullptr);
    // Views taken before the move stay valid: the buffer moved with its owner.
    EXPECT_EQ(first.payload, R"({"a":1})");
    EXPECT_EQ(r2[0][0].payload, R"({"a":1})");

    quiver::Points p = c.get({1, 2});
    quiver::Points p2;
    p2 = std::move(p);
    EXPECT_EQ(p.size(), 0u); // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(p.begin(), p.end());
    EXPECT_EQ(p2.size(), 2u);
    EXPECT_EQ(p2[1].payload, R"({"a":2})");

    // release() hands the C object over.
    qv_results *raw = r2.release();
    EXPECT_TRUE(r2.empty());
    qv_results_free(raw);
}

// ---- ownership across objects ------------------------------------------------------

TEST(Ownership, CollectionOutlivesItsDatabaseObject) {
    qt::TempDir dir;
    quiver::Collection c;
    {
        Database db = Database::open(dir / "db");
        c = db.create_collection("c", CollectionConfig(2, Metric::Euclidean));
    } // ~Database: the handle is released, the collection keeps the database open
    c.upsert({1, 2}, {1, 0, 0, 1});
    EXPECT_EQ(c.count(), 2u);
    qt::expect_error(Status::Locked, [&] { Database::open(dir / "db"); });
    c = quiver::Collection(); // the last reference: the database closes
    Database db = Database::open(dir / "db");
    EXPECT_EQ(db.open_collection("c").count(), 2u);
}

TEST(Ownership, ResultsOutliveTheirCollectionAndDatabase) {
    qt::TempDir dir;
    quiver::Results r;
    {
        Database db = Database::open(dir / "db");
        quiver::Collection c = db.create_collection("c", CollectionConfig(2, Metric::Euclidean));
        c.upsert_one(7, {1, 1}, R"({"keep":"me"})");
        r = c.search({1, 1}, quiver::SearchParams(1).with_payload());
        db.close();
    }
    EXPECT_EQ(r[0][0].id, 7u);
    EXPECT_EQ(r[0][0].payload, R"({"keep":"me"})");
}

TEST(Ownership, RawHandlesRoundTrip) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("c", CollectionConfig(2));
    qv_collection *raw = c.release();
    EXPECT_FALSE(c.valid());
    uint64_t n = 1;
    EXPECT_EQ(qv_collection_count(raw, &n, nullptr), QV_OK);
    EXPECT_EQ(n, 0u);
    quiver::Collection again(raw); // owns it again
    EXPECT_EQ(again.count(), 0u);
}

// ---- exceptions leave nothing behind ------------------------------------------------

namespace {

// Takes results and points, then fails: unwinding must free them all.
void search_then_fail(const quiver::Collection &c) {
    quiver::Results r = c.search({1, 0}, quiver::SearchParams(2).with_payload());
    quiver::Points p = c.get({1, 2, 3});
    EXPECT_EQ(r[0].size(), 2u);
    c.search({1, 0, 0}); // dimension mismatch: throws
}

} // namespace

TEST(Exceptions, LeaveNoLeak) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("c", CollectionConfig(2, Metric::Euclidean));
    c.upsert({1, 2, 3}, {1, 0, 0, 1, 1, 1}, std::vector<std::string>(3, R"({"x":"payload"})"));
    int thrown = 0;
    for (int i = 0; i < 50; i++) {
        try {
            search_then_fail(c);
        } catch (const quiver::Error &e) {
            thrown += e.status() == Status::DimensionMismatch;
        }
        try {
            quiver::Collection tmp = db.open_collection("c");
            db.open_collection("missing"); // throws with tmp alive
        } catch (const quiver::Error &e) {
            thrown += e.status() == Status::NotFound;
        }
        try {
            Database::open(dir / "db"); // locked
        } catch (const quiver::Error &e) {
            thrown += e.status() == Status::Locked;
        }
        try {
            c.upsert({4, 5}, {1, 1, 2, 2}, std::vector<std::string>{"{}", "{bad"});
        } catch (const quiver::Error &e) {
            thrown += e.status() == Status::InvalidArgument;
        }
    }
    EXPECT_EQ(thrown, 200);
    EXPECT_EQ(c.count(), 3u);
}

TEST(Exceptions, FailedOpenLeavesNothingOpen) {
    qt::TempDir dir;
    for (int i = 0; i < 20; i++) {
        EXPECT_THROW(Database::open(""), quiver::Error);
        EXPECT_THROW(Database::open(dir / "db").create_collection("..", CollectionConfig(2)), quiver::Error);
    }
    // Every temporary Database above was released: the directory is free.
    Database db = Database::open(dir / "db");
    EXPECT_TRUE(db.list_collections().empty());
}
