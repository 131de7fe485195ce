// Databases, collections and points: open/close, create/open/list/drop,
// upsert (every form), get, delete, count, scroll, checkpoint, reopen.
#include "test_util.hpp"

#include <algorithm>
#include <string_view>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;

TEST(Version, MatchesTheHeader) {
    EXPECT_EQ(quiver::version(), std::string_view(QV_VERSION));
    EXPECT_EQ(quiver::abi_version(), quiver::header_abi_version);
    EXPECT_EQ(quiver::header_abi_version, static_cast<uint32_t>(QV_ABI_VERSION));
}

TEST(Database, CreatesListsOpensAndDropsCollections) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    EXPECT_TRUE(db.valid());
    EXPECT_TRUE(db.list_collections().empty());

    db.create_collection("zebra", CollectionConfig(4));
    db.create_collection("alpha", CollectionConfig(8, Metric::Dot).hnsw_m(8).hnsw_ef_construction(50));
    db.create_collection("meta", CollectionConfig::metadata_only());
    EXPECT_EQ(db.list_collections(), (std::vector<std::string>{"alpha", "meta", "zebra"}));

    const quiver::Collection alpha = db.open_collection("alpha");
    const CollectionConfig c = alpha.config();
    EXPECT_EQ(c.kind(), quiver::Kind::Vector);
    EXPECT_EQ(c.dimension(), 8u);
    EXPECT_EQ(c.metric(), Metric::Dot);
    EXPECT_EQ(c.hnsw_m(), 8u);
    EXPECT_EQ(c.hnsw_ef_construction(), 50u);
    EXPECT_EQ(c.hnsw_ef_search(), CollectionConfig().hnsw_ef_search()); // the library's default

    const CollectionConfig m = db.open_collection("meta").config();
    EXPECT_EQ(m.kind(), quiver::Kind::MetadataOnly);
    EXPECT_EQ(m.dimension(), 0u);

    db.drop_collection("zebra");
    EXPECT_EQ(db.list_collections(), (std::vector<std::string>{"alpha", "meta"}));
    db.close();
    db.close(); // twice: a no-op
}

TEST(Database, ConfigDefaultsComeFromTheLibrary) {
    qv_collection_config raw;
    qv_collection_config_init(&raw);
    const CollectionConfig c(16);
    EXPECT_EQ(c.raw().struct_size, raw.struct_size);
    EXPECT_EQ(c.metric(), Metric::Cosine);
    EXPECT_EQ(c.hnsw_m(), raw.hnsw_m);
    EXPECT_EQ(c.hnsw_ef_construction(), raw.hnsw_ef_construction);
    EXPECT_EQ(c.dimension(), 16u);

    qv_search_params sp;
    qv_search_params_init(&sp);
    const quiver::SearchParams p;
    EXPECT_EQ(p.k(), sp.k);
    EXPECT_EQ(p.ef(), sp.ef);
    EXPECT_FALSE(p.exact());
    EXPECT_FALSE(p.with_payload());
    EXPECT_TRUE(p.filter().empty());
    EXPECT_EQ(p.to_c().filter_json, nullptr);
    EXPECT_EQ(quiver::DatabaseOptions().sync(), quiver::Sync::EveryBatch);
}

TEST(Points, UpsertGetCountDelete) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("pts", CollectionConfig(3, Metric::Euclidean));

    const std::vector<uint64_t> ids = qt::iota_ids(100, 1);
    const std::vector<float> vectors = qt::random_vectors(100, 3);
    std::vector<std::string> payloads;
    for (uint64_t id : ids)
        payloads.push_back(id % 10 == 0 ? std::string() // no payload
                                        : R"({"lang":")" + std::string(id % 2 ? "en" : "fr") +
                                              R"(","n":)" + std::to_string(id) + "}");
    c.upsert(ids, vectors, payloads);
    EXPECT_EQ(c.count(), 100u);

    const quiver::Points pts = c.get({5, 10, 1000, 6});
    ASSERT_EQ(pts.size(), 4u);
    EXPECT_EQ(pts.dimension(), 3u);
    EXPECT_EQ(pts[0].id, 5u);
    EXPECT_TRUE(pts[0].found);
    EXPECT_EQ(pts[0].payload, R"({"lang":"en","n":5})");
    ASSERT_EQ(pts[0].vector.size(), 3u);
    for (size_t d = 0; d < 3; d++) EXPECT_EQ(pts[0].vector[d], vectors[4 * 3 + d]);
    EXPECT_TRUE(pts[1].found);
    EXPECT_TRUE(pts[1].payload.empty()); // id 10 has none
    EXPECT_EQ(pts[2].id, 1000u);
    EXPECT_FALSE(pts[2].found);
    EXPECT_TRUE(pts[2].payload.empty());
    EXPECT_EQ(pts[3].payload, R"({"lang":"fr","n":6})");
    EXPECT_EQ(pts.vectors().size(), 12u);
    EXPECT_EQ(pts.view().count, 4u);

    size_t found = 0;
    for (quiver::PointRef p : pts) found += p.found;
    EXPECT_EQ(found, 3u);
    EXPECT_EQ(std::count_if(pts.begin(), pts.end(), [](const quiver::PointRef &p) { return !p.found; }), 1);

    // Replace one point; repeated ids in one batch: the last one wins.
    c.upsert({7, 7}, {1, 1, 1, 2, 2, 2}, std::vector<std::string_view>{R"({"v":1})", R"({"v":2})"});
    const quiver::Points seven = c.get({7});
    EXPECT_EQ(seven[0].payload, R"({"v":2})");
    EXPECT_EQ(seven[0].vector[0], 2.0f);
    EXPECT_EQ(c.count(), 100u);

    EXPECT_EQ(c.remove({1, 2, 3, 5000}), 3u);
    EXPECT_EQ(c.remove({1}), 0u);
    EXPECT_EQ(c.count(), 97u);
    const quiver::Points two = c.get({2}); // views need a named owner: c.get({2})[0] does not compile
    EXPECT_FALSE(two[0].found);
    EXPECT_EQ(c.get({}).size(), 0u);
}

TEST(Points, UpsertForms) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("forms", CollectionConfig(2, Metric::Euclidean));

    // Without payloads.
    c.upsert({1, 2}, {1, 0, 0, 1});
    // The C layout: offsets into one buffer.
    const std::string data = R"({"a":1}{"b":2})";
    const std::vector<uint64_t> offsets = {0, 7, 7, 14};
    c.upsert({3, 4, 5}, {1, 1, 2, 2, 3, 3}, offsets, data);
    // One point at a time.
    c.upsert_one(6, {6, 6}, R"({"six":6})");
    c.upsert_one(7, {7, 7});
    // From pointer + size.
    const uint64_t raw_ids[2] = {8, 9};
    const float raw_vecs[4] = {8, 8, 9, 9};
    c.upsert(quiver::span<const uint64_t>(raw_ids, 2), quiver::span<const float>(raw_vecs, 4));
    // From std::array.
    c.upsert(std::array<uint64_t, 1>{10}, std::array<float, 2>{10, 10});
    EXPECT_EQ(c.count(), 10u);

    const quiver::Points p = c.get({1, 3, 4, 5, 6, 7});
    EXPECT_TRUE(p[0].payload.empty());
    EXPECT_EQ(p[1].payload, R"({"a":1})");
    EXPECT_TRUE(p[2].payload.empty());
    EXPECT_EQ(p[3].payload, R"({"b":2})");
    EXPECT_EQ(p[4].payload, R"({"six":6})");
    EXPECT_TRUE(p[5].payload.empty());
    EXPECT_EQ(p[4].vector[1], 6.0f);
}

TEST(Points, Scroll) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("scroll", CollectionConfig(2, Metric::Euclidean));
    std::vector<uint64_t> ids;
    std::vector<std::string> payloads;
    for (uint64_t i = 0; i < 95; i++) {
        ids.push_back(1000 - i * 10); // descending on purpose
        payloads.push_back(i % 3 == 0 ? R"({"tag":"three"})" : R"({"tag":"other"})");
    }
    c.upsert(ids, qt::random_vectors(ids.size(), 2), payloads);

    std::vector<uint64_t> seen;
    std::optional<uint64_t> from = 0;
    size_t pages = 0;
    while (from) {
        quiver::ScrollPage page = c.scroll(*from, 30);
        EXPECT_LE(page.ids.size(), 30u);
        seen.insert(seen.end(), page.ids.begin(), page.ids.end());
        from = page.next;
        pages++;
    }
    std::vector<uint64_t> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(seen, sorted);
    EXPECT_EQ(pages, 4u);

    // With a filter.
    const quiver::ScrollPage three = c.scroll(0, 1000, R"({"field":"tag","eq":"three"})");
    EXPECT_EQ(three.ids.size(), 32u);
    EXPECT_FALSE(three.next.has_value());
    for (uint64_t id : three.ids) EXPECT_EQ(((1000 - id) / 10) % 3, 0u) << id;

    // Into a caller buffer, starting in the middle.
    std::array<uint64_t, 5> buf{};
    const quiver::ScrollResult r = c.scroll_into(buf, 505);
    EXPECT_EQ(r.count, 5u);
    EXPECT_EQ(buf[0], 510u);
    EXPECT_EQ(buf[4], 550u);
    ASSERT_TRUE(r.next.has_value());
    EXPECT_EQ(*r.next, 560u);
}

TEST(Points, MetadataOnlyCollection) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("docs", CollectionConfig::metadata_only());
    c.upsert({1, 2, 3}, {}, std::vector<std::string>{R"({"k":"a"})", R"({"k":"b"})", R"({"k":"a"})"});
    c.upsert_one(4, {}, R"({"k":"b"})");
    EXPECT_EQ(c.count(), 4u);
    const quiver::Points p = c.get({3, 4});
    EXPECT_EQ(p.dimension(), 0u);
    EXPECT_TRUE(p[0].vector.empty());
    EXPECT_EQ(p[1].payload, R"({"k":"b"})");
    EXPECT_EQ(c.scroll(0, 10, R"({"field":"k","eq":"a"})").ids, (std::vector<uint64_t>{1, 3}));
}

TEST(Database, ReopensWithTheData) {
    qt::TempDir dir;
    const std::vector<float> vectors = qt::random_vectors(50, 4);
    {
        Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        quiver::Collection c = db.create_collection("keep", CollectionConfig(4, Metric::Euclidean));
        c.upsert(qt::iota_ids(50), vectors, std::vector<std::string>(50, R"({"x":true})"));
        c.checkpoint();
        c.upsert_one(50, {1, 2, 3, 4}); // after the checkpoint: from the log
        db.close();
    }
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.open_collection("keep");
    EXPECT_EQ(c.count(), 51u);
    const quiver::Points p = c.get({7, 50});
    EXPECT_EQ(p[0].payload, R"({"x":true})");
    EXPECT_EQ(p[0].vector[3], vectors[7 * 4 + 3]);
    EXPECT_EQ(p[1].vector[2], 3.0f);
    const quiver::Results r = c.search(p[0].vector, quiver::SearchParams(1).exact());
    EXPECT_EQ(r[0][0].id, 7u);
}
