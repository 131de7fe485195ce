// Payload operations (set, overwrite, delete keys, clear; by ids and by
// filter), delete and count by filter, scroll of points (by id with a filter,
// ordered by an indexed integer or datetime field, ascending and descending,
// page by page with cursors and through scroll_pages), explain, the new
// filter builders (values_count, has_id, tags[].name paths) and the errors,
// each checked against a model of the payloads kept by the test.
#include "test_util.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <regex>
#include <string_view>

using quiver::CollectionConfig;
using quiver::CountBounds;
using quiver::Database;
using quiver::Filter;
using quiver::Metric;
using quiver::PointsPage;
using quiver::ScrollParams;
using quiver::SearchParams;
using quiver::Status;

namespace {

constexpr size_t dim = 4;
constexpr uint64_t n_points = 120;

uint64_t n_of(uint64_t i) { return (i * 37) % 61; }
std::string group_of(uint64_t i) { return "g" + std::to_string(i % 4); }

// The payload as written: keys unsorted, no spaces.
std::string initial_payload(uint64_t i) {
    return R"({"g":")" + group_of(i) + R"(","n":)" + std::to_string(n_of(i)) + R"(,"keep":1})";
}

// The payload of point `id` as stored ("" when it has none); fails the test
// when there is no such point.
std::string payload_of(const quiver::Collection &c, uint64_t id) {
    const quiver::Points p = c.get({id});
    EXPECT_TRUE(p[0].found) << "point " << id;
    return std::string(p[0].payload);
}

// 120 points with the payloads above and indexes on n (integer) and g
// (keyword); `model` holds the payload every point should have.
class PayloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        c = db.create_collection("p", CollectionConfig(dim, Metric::Euclidean));
        ids = qt::iota_ids(n_points);
        vectors = qt::random_vectors(n_points, dim, 11);
        for (uint64_t i : ids) model[i] = initial_payload(i);
        std::vector<std::string> payloads;
        for (uint64_t i : ids) payloads.push_back(model[i]);
        c.upsert(ids, vectors, payloads);
        c.create_field_index("n", quiver::FieldKind::Integer);
        c.create_field_index("g", quiver::FieldKind::Keyword);
    }
    void TearDown() override { db.close(); }

    // Every point exists with its model payload and its original vector.
    void expect_model(const std::string &when) {
        ASSERT_EQ(c.count(), model.size()) << when;
        const quiver::Points got = c.get(ids);
        for (quiver::PointRef p : got) {
            const auto it = model.find(p.id);
            if (it == model.end()) {
                EXPECT_FALSE(p.found) << when << ": point " << p.id << " should be gone";
                continue;
            }
            ASSERT_TRUE(p.found) << when << ": point " << p.id;
            EXPECT_EQ(p.payload, it->second) << when << ": point " << p.id;
            ASSERT_EQ(p.vector.size(), dim);
            for (size_t j = 0; j < dim; j++) EXPECT_EQ(p.vector[j], vectors[p.id * dim + j]) << when;
        }
    }

    // The ids of the model whose payload is still the initial one and
    // satisfies `pred`.
    template <class Pred>
    std::vector<uint64_t> initial_where(Pred pred) const {
        std::vector<uint64_t> out;
        for (const auto &[id, payload] : model)
            if (payload == initial_payload(id) && pred(id)) out.push_back(id);
        return out;
    }

    qt::TempDir dir;
    Database db;
    quiver::Collection c;
    std::vector<uint64_t> ids;
    std::vector<float> vectors;
    std::map<uint64_t, std::string> model;
};

// Every id of a scroll, page by page with the cursors by hand; checks that
// each page holds at most `limit` points and that only the last one has no
// cursor. `pages` receives the number of pages.
std::vector<uint64_t> scroll_ids(const quiver::Collection &c, ScrollParams params, size_t *pages = nullptr) {
    std::vector<uint64_t> out;
    size_t n = 0;
    for (;;) {
        const PointsPage page = c.scroll_points(params);
        n++;
        EXPECT_LE(page.points.size(), params.limit());
        for (quiver::PointRef p : page.points) {
            EXPECT_TRUE(p.found);
            out.push_back(p.id);
        }
        if (!page.next) break;
        EXPECT_EQ(page.points.size(), params.limit()) << "only the last page may be short";
        EXPECT_FALSE(page.next->empty());
        params.cursor(*page.next);
        if (n > 10000) {
            ADD_FAILURE() << "the scroll does not end";
            break;
        }
    }
    if (pages != nullptr) *pages = n;
    return out;
}

// The same through scroll_pages.
std::vector<uint64_t> scroll_pages_ids(const quiver::Collection &c, const ScrollParams &params, size_t *pages) {
    std::vector<uint64_t> out;
    *pages = 0;
    for (const PointsPage &page : c.scroll_pages(params)) {
        ++*pages;
        EXPECT_FALSE(page.points.empty());
        for (quiver::PointRef p : page.points) out.push_back(p.id);
    }
    return out;
}

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

} // namespace

TEST_F(PayloadTest, OperationsByIds) {
    // Set: merges the keys, sorts them; missing ids are skipped.
    EXPECT_EQ(c.set_payload(quiver::ids({3, 4, 5, 999}), R"({"x":true})"), 3u);
    for (uint64_t i : {3, 4, 5})
        model[i] = R"({"g":")" + group_of(i) + R"(","keep":1,"n":)" + std::to_string(n_of(i)) + R"(,"x":true})";
    expect_model("after set");
    EXPECT_EQ(c.count_where(Filter::eq("x", true)), 3u);

    // Overwrite: the new object byte for byte (spaces and key order kept).
    const std::vector<uint64_t> three = {3};
    EXPECT_EQ(c.overwrite_payload(quiver::ids(three), R"({"n": 1000,  "g":"new"})"), 1u);
    model[3] = R"({"n": 1000,  "g":"new"})";
    expect_model("after overwrite");
    EXPECT_EQ(c.count_where(Filter::gte("n", 1000)), 1u); // the index follows

    // Delete keys: absent paths are ignored; from an initializer list and
    // from a container.
    EXPECT_EQ(c.delete_payload_keys(quiver::ids({4}), {"keep", "no.such"}), 1u);
    model[4] = R"({"g":"g0","n":)" + std::to_string(n_of(4)) + R"(,"x":true})";
    const std::vector<std::string> paths = {"x", "keep"};
    EXPECT_EQ(c.delete_payload_keys(quiver::Selection::ids({5, 6}), paths), 2u);
    model[5] = R"({"g":"g1","n":)" + std::to_string(n_of(5)) + "}";
    model[6] = R"({"g":"g2","n":)" + std::to_string(n_of(6)) + "}";
    expect_model("after delete keys");

    // Clear: no payload at all; the point and its vector stay.
    EXPECT_EQ(c.clear_payload(quiver::ids({4, 7})), 2u);
    model[4] = model[7] = "";
    expect_model("after clear");
    EXPECT_EQ(c.count_where(Filter::exists("g")), n_points - 2);

    // An empty id list applies to nothing; update_payload is the raw call.
    EXPECT_EQ(c.clear_payload(quiver::ids({})), 0u);
    EXPECT_EQ(c.update_payload(quiver::ids({8}), quiver::PayloadOp::Set, R"({"y":2})"), 1u);
    model[8] = R"({"g":"g0","keep":1,"n":)" + std::to_string(n_of(8)) + R"(,"y":2})";
    expect_model("after update_payload");

    // Everything survives a reopen (replayed from the log).
    db.close();
    db = Database::open(dir / "db");
    c = db.open_collection("p");
    expect_model("after reopen");
}

TEST_F(PayloadTest, OperationsByFilter) {
    const std::vector<uint64_t> g2 = initial_where([](uint64_t i) { return i % 4 == 2; });
    // Set on the points of a built filter.
    EXPECT_EQ(c.set_payload(quiver::where(Filter::eq("g", "g2")), R"({"x":false})"), g2.size());
    for (uint64_t i : g2) model[i] = R"({"g":"g2","keep":1,"n":)" + std::to_string(n_of(i)) + R"(,"x":false})";
    expect_model("after set");
    EXPECT_EQ(c.count_where(Filter::eq("x", false)), g2.size());

    // Delete keys on the points of a hand-written filter.
    EXPECT_EQ(c.delete_payload_keys(quiver::where(R"({"field": "x", "exists": true})"), {"keep", "x"}), g2.size());
    for (uint64_t i : g2) model[i] = R"({"g":"g2","n":)" + std::to_string(n_of(i)) + "}";
    expect_model("after delete keys");

    // Overwrite where two conditions hold (one on each index).
    const Filter small_g1 = Filter::and_({Filter::eq("g", "g1"), Filter::lt("n", 30)});
    const std::vector<uint64_t> hit = initial_where([](uint64_t i) { return i % 4 == 1 && n_of(i) < 30; });
    ASSERT_GT(hit.size(), 3u);
    EXPECT_EQ(c.overwrite_payload(quiver::where(small_g1), R"({"g": "one",  "n": 7})"), hit.size());
    for (uint64_t i : hit) model[i] = R"({"g": "one",  "n": 7})";
    expect_model("after overwrite");
    EXPECT_EQ(c.count_where(small_g1), 0u);
    EXPECT_EQ(c.count_where(Filter::eq("g", "one")), hit.size());

    // Clear them again by filter.
    EXPECT_EQ(c.clear_payload(quiver::Selection::where(Filter::eq("g", "one"))), hit.size());
    for (uint64_t i : hit) model[i] = "";
    expect_model("after clear");
    EXPECT_EQ(c.count_where(Filter::exists("g")), n_points - hit.size());

    // A filter nothing matches applies to nothing.
    EXPECT_EQ(c.set_payload(quiver::where(Filter::eq("g", "nope")), R"({"z":1})"), 0u);
    expect_model("after a set on nothing");
}

TEST_F(PayloadTest, DeleteAndCountWhere) {
    EXPECT_EQ(c.count_where(), n_points);
    EXPECT_EQ(c.count_where(""), n_points);
    EXPECT_EQ(c.count_where(Filter::and_({})), n_points);
    const std::vector<uint64_t> small = initial_where([](uint64_t i) { return n_of(i) < 20; });
    ASSERT_GT(small.size(), 10u);
    EXPECT_EQ(c.count_where(Filter::lt("n", 20)), small.size());
    EXPECT_EQ(c.count_where(R"({"field": "n", "lt": 20})"), small.size());
    const std::vector<uint64_t> unindexed = initial_where([](uint64_t i) { return n_of(i) < 20 && i % 4 == 3; });
    EXPECT_EQ(c.count_where(Filter::and_({Filter::lt("n", 20), Filter::eq("g", "g3"), Filter::eq("keep", 1)})),
              unindexed.size());

    EXPECT_EQ(c.delete_where(Filter::lt("n", 20)), small.size());
    for (uint64_t i : small) model.erase(i);
    expect_model("after delete_where(lt)");
    EXPECT_EQ(c.count_where(Filter::lt("n", 20)), 0u);
    EXPECT_EQ(c.count_where(), n_points - small.size());

    const std::vector<uint64_t> g3 = initial_where([](uint64_t i) { return i % 4 == 3; });
    EXPECT_EQ(c.delete_where(R"({"field": "g", "eq": "g3"})"), g3.size());
    for (uint64_t i : g3) model.erase(i);
    expect_model("after delete_where(g3)");
    EXPECT_EQ(c.delete_where(Filter::eq("g", "g3")), 0u); // nothing left to delete

    db.close();
    db = Database::open(dir / "db");
    c = db.open_collection("p");
    expect_model("after reopen");
}

TEST_F(PayloadTest, ScrollByIdWithAFilter) {
    // Pages of 7 of the g0 points (30 of them): 5 pages, by ascending id.
    const ScrollParams params = ScrollParams(7).filter(Filter::eq("g", "g0"));
    const std::vector<uint64_t> want = initial_where([](uint64_t i) { return i % 4 == 0; });
    size_t pages = 0;
    EXPECT_EQ(scroll_ids(c, params, &pages), want);
    EXPECT_EQ(pages, ceil_div(want.size(), 7));
    size_t range_pages = 0;
    EXPECT_EQ(scroll_pages_ids(c, params, &range_pages), want);
    EXPECT_EQ(range_pages, pages);

    // The first page in detail: payloads by default, no vectors.
    const PointsPage first = c.scroll_points(params);
    ASSERT_EQ(first.points.size(), 7u);
    ASSERT_TRUE(first.next.has_value());
    EXPECT_EQ(first.points.dimension(), 0u);
    EXPECT_TRUE(first.points.vectors().empty());
    for (size_t j = 0; j < 7; j++) {
        const quiver::PointRef p = first.points[j];
        EXPECT_EQ(p.id, want[j]);
        EXPECT_TRUE(p.found);
        EXPECT_EQ(p.payload, model[p.id]);
        EXPECT_TRUE(p.vector.empty());
    }
    // Going on from a cursor by hand gives the rest.
    const std::vector<uint64_t> rest = scroll_ids(c, ScrollParams(params).cursor(*first.next));
    EXPECT_EQ(rest, std::vector<uint64_t>(want.begin() + 7, want.end()));

    // Vectors without payloads, all points: the defaults' 100 a page.
    const ScrollParams all = ScrollParams().with_vectors().with_payload(false);
    EXPECT_EQ(all.limit(), 100u);
    const PointsPage page = c.scroll_points(all);
    ASSERT_EQ(page.points.size(), 100u);
    ASSERT_TRUE(page.next.has_value());
    ASSERT_EQ(page.points.dimension(), dim);
    for (quiver::PointRef p : page.points) {
        EXPECT_TRUE(p.payload.empty());
        ASSERT_EQ(p.vector.size(), dim);
        for (size_t j = 0; j < dim; j++) EXPECT_EQ(p.vector[j], vectors[p.id * dim + j]);
    }
    const PointsPage last = c.scroll_points(ScrollParams(all).cursor(*page.next));
    EXPECT_EQ(last.points.size(), n_points - 100);
    EXPECT_FALSE(last.next.has_value());
    EXPECT_EQ(last.points[0].id, 100u);

    // A page that ends exactly at the last point has no cursor; a filter
    // that matches nothing gives one empty page (and a range of no pages).
    EXPECT_FALSE(c.scroll_points(ScrollParams(n_points)).next.has_value());
    const ScrollParams none = ScrollParams(5).filter(Filter::eq("g", "nope"));
    const PointsPage empty = c.scroll_points(none);
    EXPECT_TRUE(empty.points.empty());
    EXPECT_FALSE(empty.next.has_value());
    quiver::PointsPages no_pages = c.scroll_pages(none);
    EXPECT_TRUE(no_pages.begin() == no_pages.end());

    // The range's iterator: ++ reads the next page; begin() again returns
    // the current position.
    quiver::PointsPages range = c.scroll_pages(ScrollParams(50));
    quiver::PointsPages::iterator it = range.begin();
    ASSERT_TRUE(it != range.end());
    EXPECT_EQ(it->points.size(), 50u);
    EXPECT_EQ((*it).points[0].id, 0u);
    ++it;
    EXPECT_EQ(it->points[0].id, 50u);
    EXPECT_TRUE(range.begin() == it);
    it++;
    EXPECT_EQ(it->points.size(), n_points - 100);
    ++it;
    EXPECT_TRUE(it == range.end());
}

TEST_F(PayloadTest, ScrollOrderedByAnIntegerField) {
    // Two points leave the order: one without payload, one whose n is a
    // string (no value of the index's kind).
    EXPECT_EQ(c.clear_payload(quiver::ids({10})), 1u);
    EXPECT_EQ(c.overwrite_payload(quiver::ids({11}), R"({"g":"g3","n":"eleven"})"), 1u);
    std::vector<uint64_t> asc;
    for (uint64_t i : ids)
        if (i != 10 && i != 11) asc.push_back(i);
    std::sort(asc.begin(), asc.end(), [](uint64_t a, uint64_t b) {
        return n_of(a) != n_of(b) ? n_of(a) < n_of(b) : a < b;
    });
    // Descending: largest n first, ties still by ascending id.
    std::vector<uint64_t> desc = asc;
    std::stable_sort(desc.begin(), desc.end(), [](uint64_t a, uint64_t b) { return n_of(a) > n_of(b); });
    ASSERT_NE(asc.front(), desc.back()) << "the data needs ties for this test";

    size_t pages = 0;
    EXPECT_EQ(scroll_ids(c, ScrollParams(9).order_by("n"), &pages), asc);
    EXPECT_EQ(pages, ceil_div(asc.size(), 9));
    EXPECT_EQ(scroll_ids(c, ScrollParams(9).order_by("n").descending(), &pages), desc);
    EXPECT_EQ(pages, ceil_div(desc.size(), 9));
    size_t range_pages = 0;
    EXPECT_EQ(scroll_pages_ids(c, ScrollParams(9).order_by("n").descending(), &range_pages), desc);
    EXPECT_EQ(range_pages, pages);

    // With a filter: the g1 points, largest n first, in pages of 4.
    std::vector<uint64_t> g1;
    std::copy_if(desc.begin(), desc.end(), std::back_inserter(g1), [](uint64_t i) { return i % 4 == 1; });
    EXPECT_EQ(scroll_ids(c, ScrollParams(4).order_by("n").descending().filter(Filter::eq("g", "g1"))), g1);

    // The payloads come along, in that order.
    const PointsPage page = c.scroll_points(ScrollParams(3).order_by("n"));
    ASSERT_EQ(page.points.size(), 3u);
    for (size_t j = 0; j < 3; j++) {
        EXPECT_EQ(page.points[j].id, asc[j]);
        EXPECT_EQ(page.points[j].payload, initial_payload(asc[j]));
    }
}

TEST_F(PayloadTest, ExplainDescribesThePlanOfEachSegment) {
    c.optimize(); // a sealed segment, with its graph and field indexes
    const std::vector<float> query(vectors.begin() + 5 * dim, vectors.begin() + 6 * dim);
    for (const SearchParams &params :
         {SearchParams(5).exact(), SearchParams(5).exact().filter(Filter::lt("n", 10)), SearchParams(5),
          SearchParams(3).filter(Filter::and_({Filter::eq("g", "g1"), Filter::gte("n", 40)}))}) {
        const std::string text = c.explain(query, params);
        SCOPED_TRACE(text);
        EXPECT_EQ(text.rfind(R"({"hits":[)", 0), 0u);
        EXPECT_NE(text.find(R"("segments":[)"), std::string::npos);
        EXPECT_NE(text.find(R"("kind":"sealed")"), std::string::npos);
        EXPECT_NE(text.find(R"("plan":")"), std::string::npos);
        // The hits are the search's.
        const quiver::Results res = c.search(query, params);
        std::vector<uint64_t> hits;
        const std::regex hit(R"(\{"id":(\d+),"score":)");
        for (std::sregex_iterator m(text.begin(), text.end(), hit), end; m != end; ++m)
            hits.push_back(std::stoull((*m)[1].str()));
        EXPECT_EQ(hits, std::vector<uint64_t>(res[0].ids().begin(), res[0].ids().end()));
        EXPECT_FALSE(hits.empty());
    }
    // An index answers n < 10 for sure: the candidates are scanned.
    const std::string plan = c.explain(query, SearchParams(5).filter(Filter::lt("n", 10)));
    EXPECT_NE(plan.find(R"("plan":"scan-candidates")"), std::string::npos) << plan;
}

// A datetime index: RFC 3339 strings with different offsets compare as
// instants (not as text) in range filters, and order a scroll.
TEST(Payload, DatetimeIndexAndRangeFilters) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("events", CollectionConfig::metadata_only());
    const uint64_t n = 36;
    // Point i happens m(i) minutes after 2024-03-10T00:00Z; odd points are
    // written at +05:00, so their text sorts 5 hours late.
    const auto minutes = [](uint64_t i) { return (i * 37) % 600; };
    const auto at = [&](uint64_t i) {
        const uint64_t local = minutes(i) + (i % 2 == 1 ? 300 : 0);
        char buf[64];
        std::snprintf(buf, sizeof buf, "2024-03-10T%02u:%02u:00%s", static_cast<unsigned>(local / 60),
                      static_cast<unsigned>(local % 60), i % 2 == 1 ? "+05:00" : "Z");
        return std::string(buf);
    };
    std::vector<std::string> payloads;
    for (uint64_t i = 0; i < n; i++) payloads.push_back(R"({"at":")" + at(i) + R"(","i":)" + std::to_string(i) + "}");
    payloads.push_back(R"({"at":12345})"); // 36: no datetime
    payloads.push_back(R"({"other":1})");         // 37: no at
    const std::vector<uint64_t> all = qt::iota_ids(n + 2);
    // Half before the index is built, half after (kept up by writes).
    c.upsert(std::vector<uint64_t>(all.begin(), all.begin() + 20), {},
             std::vector<std::string>(payloads.begin(), payloads.begin() + 20));
    c.create_field_index("at", quiver::FieldKind::Datetime);
    c.upsert(std::vector<uint64_t>(all.begin() + 20, all.end()), {},
             std::vector<std::string>(payloads.begin() + 20, payloads.end()));
    const std::vector<quiver::FieldIndex> list = c.field_indexes();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].field, "at");
    EXPECT_EQ(list[0].kind, quiver::FieldKind::Datetime);

    const auto count_minutes = [&](uint64_t lo, uint64_t hi) { // lo <= m(i) < hi
        uint64_t k = 0;
        for (uint64_t i = 0; i < n; i++) k += minutes(i) >= lo && minutes(i) < hi;
        return k;
    };
    // 02:00Z <= at <= 10:00+05:00 (= 05:00Z).
    const Filter between = Filter::between("at", "2024-03-10T02:00:00Z", "2024-03-10T10:00:00+05:00");
    EXPECT_EQ(between.json(),
              R"({"field": "at", "between": ["2024-03-10T02:00:00Z", "2024-03-10T10:00:00+05:00"]})");
    EXPECT_EQ(c.count_where(between), count_minutes(120, 301));
    EXPECT_EQ(c.count_where(Filter::gte("at", "2024-03-10T08:00:00+05:00")), count_minutes(180, 600));
    EXPECT_EQ(c.count_where(Filter::lt("at", "2024-03-10T01:00:00Z")), count_minutes(0, 60));
    EXPECT_EQ(c.count_where(Filter::and_({Filter::gt("at", "2024-03-10"), Filter::lte("at", "2024-03-10T04:00:00Z")})),
              count_minutes(1, 241));
    // The same range in hand-written JSON, and as a scroll filter.
    const std::string hand = R"({"field": "at", "between": ["2024-03-10T02:00:00Z", "2024-03-10T05:00:00Z"]})";
    EXPECT_EQ(c.count_where(hand), count_minutes(120, 301));
    EXPECT_EQ(scroll_ids(c, ScrollParams(4).filter(hand)).size(), count_minutes(120, 301));

    // Ordered by instant; the points without a datetime are left out.
    std::vector<uint64_t> by_time = qt::iota_ids(n);
    std::sort(by_time.begin(), by_time.end(), [&](uint64_t a, uint64_t b) { return minutes(a) < minutes(b); });
    size_t pages = 0;
    EXPECT_EQ(scroll_ids(c, ScrollParams(5).order_by("at"), &pages), by_time);
    EXPECT_EQ(pages, ceil_div(n, 5));
    std::reverse(by_time.begin(), by_time.end());
    EXPECT_EQ(scroll_ids(c, ScrollParams(5).order_by("at").descending()), by_time);
    db.close();
}

// The new operators: values_count, has_id and paths into arrays of objects,
// built and hand-written, through count_where and a payload operation.
TEST(Payload, FilterBuildersForCountsIdsAndArrayPaths) {
    EXPECT_EQ(Filter::values_count("words", CountBounds().gte(2).lt(5)).json(),
              R"({"field": "words", "values_count": {"gte": 2, "lt": 5}})");
    EXPECT_EQ(Filter::values_count("words", 2, 4).json(), R"({"field": "words", "values_count": {"gte": 2, "lte": 4}})");
    EXPECT_EQ(Filter::values_count("words", 1).json(), R"({"field": "words", "values_count": {"gte": 1}})");
    EXPECT_EQ(Filter::values_count("w", CountBounds().eq(0)).json(), R"({"field": "w", "values_count": {"eq": 0}})");
    EXPECT_EQ(Filter::values_count("w", CountBounds().lte(3).gt(1)).json(),
              R"({"field": "w", "values_count": {"gt": 1, "lte": 3}})");
    EXPECT_EQ(Filter::values_count("w", CountBounds().lt(9).lt(3)).json(), R"({"field": "w", "values_count": {"lt": 3}})");
    EXPECT_EQ(CountBounds().json(), "{}");
    EXPECT_EQ(Filter::has_id({1, 2, 3}).json(), R"({"has_id": [1, 2, 3]})");
    EXPECT_EQ(Filter::has_id({}).json(), R"({"has_id": []})");
    EXPECT_EQ(Filter::has_id({18446744073709551615ull}).json(), R"({"has_id": [18446744073709551615]})");
    EXPECT_EQ(Filter::eq("tags[].name", "red").json(), R"({"field": "tags[].name", "eq": "red"})");
    EXPECT_EQ(Filter::not_(Filter::has_id({7})).json(), R"({"not": {"has_id": [7]}})");

    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    quiver::Collection c = db.create_collection("t", CollectionConfig::metadata_only());
    const uint64_t n = 30;
    // words: i % 6 strings; tags: [red] (i % 3 == 0), [blue, red] (1), none (2).
    const auto payload = [](uint64_t i) {
        std::string words = "[";
        for (uint64_t w = 0; w < i % 6; w++) words += (w ? "," : "") + std::string("\"w") + std::to_string(w) + "\"";
        words += "]";
        std::string p = R"({"words":)" + words;
        if (i % 3 == 0) p += R"(,"tags":[{"name":"red"}])";
        if (i % 3 == 1) p += R"(,"tags":[{"name":"blue","w":1},{"name":"red"}])";
        return p + "}";
    };
    std::vector<std::string> payloads;
    for (uint64_t i = 0; i < n; i++) payloads.push_back(payload(i));
    c.upsert(qt::iota_ids(n), {}, payloads);
    const auto expect_count = [&](const Filter &built, const std::string &hand, uint64_t want) {
        EXPECT_EQ(built.json(), hand);
        EXPECT_EQ(c.count_where(built), want) << hand;
        EXPECT_EQ(c.count_where(hand), want) << hand;
    };
    const auto count_if = [&](auto pred) {
        uint64_t k = 0;
        for (uint64_t i = 0; i < n; i++) k += pred(i);
        return k;
    };
    expect_count(Filter::values_count("words", CountBounds().gte(2).lt(5)),
                 R"({"field": "words", "values_count": {"gte": 2, "lt": 5}})",
                 count_if([](uint64_t i) { return i % 6 >= 2 && i % 6 < 5; }));
    expect_count(Filter::values_count("words", 2, 4), R"({"field": "words", "values_count": {"gte": 2, "lte": 4}})",
                 count_if([](uint64_t i) { return i % 6 >= 2 && i % 6 <= 4; }));
    expect_count(Filter::values_count("tags", CountBounds().eq(0)), R"({"field": "tags", "values_count": {"eq": 0}})",
                 count_if([](uint64_t i) { return i % 3 == 2; }));
    expect_count(Filter::has_id({1, 2, 3, 999}), R"({"has_id": [1, 2, 3, 999]})", 3);
    expect_count(Filter::and_({Filter::has_id({0, 1, 2, 3, 4, 5}), Filter::eq("tags[].name", "blue")}),
                 R"({"and": [{"has_id": [0, 1, 2, 3, 4, 5]}, {"field": "tags[].name", "eq": "blue"}]})", 2);
    expect_count(Filter::eq("tags[].name", "red"), R"({"field": "tags[].name", "eq": "red"})",
                 count_if([](uint64_t i) { return i % 3 != 2; }));

    // A payload operation selected by has_id, deleting a path into the array.
    EXPECT_EQ(c.delete_payload_keys(quiver::where(Filter::has_id({1, 3})), {"tags[].name"}), 2u);
    EXPECT_EQ(payload_of(c, 1), R"({"tags":[{"w":1},{}],"words":["w0"]})");
    EXPECT_EQ(payload_of(c, 3), R"({"tags":[{}],"words":["w0","w1","w2"]})");
    EXPECT_EQ(c.count_where(Filter::eq("tags[].name", "red")), count_if([](uint64_t i) { return i % 3 != 2; }) - 2);
    db.close();
}

// Bad arguments throw Status::InvalidArgument (the dimension of a query:
// DimensionMismatch) and change nothing.
TEST_F(PayloadTest, ErrorsChangeNothing) {
    using quiver::PayloadOp;
    const auto invalid = [](const std::function<void()> &f) { return qt::expect_error(Status::InvalidArgument, f); };
    const quiver::Selection one = quiver::ids({1});
    EXPECT_NE(invalid([&] { c.set_payload(one, "[1]"); }).find("must be a JSON object"), std::string::npos);
    EXPECT_NE(invalid([&] { c.set_payload(one, R"({"x":)"); }).find("not valid JSON"), std::string::npos);
    invalid([&] { c.set_payload(one, ""); });
    invalid([&] { c.overwrite_payload(one, "[1]"); });
    invalid([&] { c.overwrite_payload(one, "{"); });
    EXPECT_NE(invalid([&] { c.delete_payload_keys(one, {"a..b"}); }).find("keys[0]"), std::string::npos);
    invalid([&] { c.delete_payload_keys(one, {"ok", ""}); });
    invalid([&] { c.update_payload(one, PayloadOp::DeleteKeys, R"({"a":1})"); });
    invalid([&] { c.update_payload(one, PayloadOp::DeleteKeys, "[1]"); });
    invalid([&] { c.update_payload(one, PayloadOp::Clear, "{}"); });
    EXPECT_NE(invalid([&] { c.update_payload(one, static_cast<PayloadOp>(9), "{}"); }).find("op is 9"),
              std::string::npos);
    EXPECT_NE(invalid([&] { c.set_payload(quiver::where(""), R"({"x":1})"); }).find("empty filter"),
              std::string::npos);
    EXPECT_NE(invalid([&] { c.set_payload(quiver::where(Filter(R"({"field":"g","eqq":1})")), "{}"); })
                  .find("unknown operator \"eqq\""),
              std::string::npos);
    invalid([&] { c.clear_payload(quiver::where("{not json")); });

    invalid([&] { c.delete_where(""); });
    invalid([&] { c.delete_where(R"({"field":"g","eqq":1})"); });
    invalid([&] { c.delete_where(R"({"has_id": 1})"); });
    invalid([&] { c.count_where(R"({"field":"g"})"); });
    invalid([&] { c.count_where(R"({"has_id": [1, -2]})"); });
    invalid([&] { c.count_where(R"({"field": "w", "values_count": {"ge": 1}})"); });

    // Scrolls: ordering by a keyword-indexed or an unindexed field, a cursor
    // that no scroll returned or that another kind of scroll returned, a
    // limit of 0.
    EXPECT_NE(invalid([&] { c.scroll_points(ScrollParams().order_by("g")); })
                  .find("no integer, float or datetime index"),
              std::string::npos);
    invalid([&] { c.scroll_points(ScrollParams().order_by("keep")); });
    EXPECT_NE(invalid([&] { c.scroll_points(ScrollParams().cursor("bogus")); }).find("bogus"), std::string::npos);
    invalid([&] { c.scroll_points(ScrollParams(0)); });
    invalid([&] { c.scroll_points(ScrollParams().filter("{")); });
    const PointsPage by_id = c.scroll_points(ScrollParams(5));
    const PointsPage by_n = c.scroll_points(ScrollParams(5).order_by("n"));
    ASSERT_TRUE(by_id.next && by_n.next);
    invalid([&] { c.scroll_points(ScrollParams(5).order_by("n").cursor(*by_id.next)); });
    invalid([&] { c.scroll_points(ScrollParams(5).cursor(*by_n.next)); });
    invalid([&] { c.scroll_pages(ScrollParams().cursor("bogus")).begin(); });
    {
        // An error ends the range.
        quiver::PointsPages pages = c.scroll_pages(ScrollParams().order_by("nope"));
        invalid([&] { pages.begin(); });
        EXPECT_TRUE(pages.begin() == pages.end());
    }

    // Explain: as search.
    const std::vector<float> query(dim, 0.5f);
    qt::expect_error(Status::DimensionMismatch, [&] { c.explain(std::vector<float>(dim + 1, 0.5f)); });
    invalid([&] { c.explain(query, SearchParams(5).filter("{")); });
    invalid([&] { c.explain(query, SearchParams(0)); });

    // A collection without a handle throws before calling the library.
    quiver::Collection moved = std::move(c);
    invalid([&] { c.set_payload(one, "{}"); });
    invalid([&] { c.clear_payload(quiver::where(Filter::eq("g", "g1"))); });
    invalid([&] { c.delete_where(Filter::eq("g", "g1")); });
    invalid([&] { c.count_where(); });
    invalid([&] { c.scroll_points(); });
    invalid([&] { c.scroll_pages(); });
    invalid([&] { c.explain(query); });
    c = std::move(moved);

    expect_model("after the errors");
}
