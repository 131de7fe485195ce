// One Database and one Collection object shared by std::threads: concurrent
// writes, reads and searches; close() while other threads are busy.
#include "test_util.hpp"

#include <atomic>
#include <thread>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;
using quiver::SearchParams;
using quiver::Status;

namespace {

// Threads report failures through this instead of gtest assertions (which
// are only thread-safe on some platforms).
struct Failures {
    std::atomic<int> count{0};
    std::atomic<int> last_status{0};
    void add(const quiver::Error &e) {
        last_status = e.code();
        count++;
    }
};

} // namespace

TEST(Concurrency, WritersReadersAndSearchersShareOneCollection) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
    const size_t dim = 16, writers = 4, batches = 10, batch = 25;
    quiver::Collection c = db.create_collection("c", CollectionConfig(dim, Metric::Euclidean).hnsw_ef_construction(40));
    c.upsert({0}, qt::random_vectors(1, dim, 1)); // something to search from the start

    Failures failures;
    std::atomic<bool> writing{true};
    std::atomic<size_t> searches{0};
    std::vector<std::thread> threads;
    for (size_t w = 0; w < writers; w++) {
        threads.emplace_back([&, w] {
            // Writes start once a search ran: otherwise the writers may all
            // be done before a searcher is first scheduled.
            while (searches.load() == 0 && failures.count.load() == 0) std::this_thread::yield();
            try {
                for (size_t b = 0; b < batches; b++) {
                    const uint64_t first = 1 + (w * batches + b) * batch;
                    const std::vector<float> v = qt::random_vectors(batch, dim, static_cast<uint32_t>(first));
                    std::vector<std::string> payloads(batch, R"({"writer":)" + std::to_string(w) + "}");
                    c.upsert(qt::iota_ids(batch, first), v, payloads);
                }
            } catch (const quiver::Error &e) {
                failures.add(e);
            }
        });
    }
    for (size_t s = 0; s < 2; s++) {
        threads.emplace_back([&, s] {
            try {
                const std::vector<float> q = qt::random_vectors(1, dim, 1000 + static_cast<uint32_t>(s));
                while (writing) {
                    const quiver::Results r = c.search(q, SearchParams(5).with_payload());
                    if (r[0].empty()) throw quiver::Error(Status::Internal, "a search found nothing");
                    // Every hit's payload is whole: a batch is seen entirely or not at all.
                    for (const quiver::Hit &h : r[0])
                        if (h.id != 0 && h.payload.find("writer") == std::string_view::npos)
                            throw quiver::Error(Status::Internal, "a hit without its payload");
                    const uint64_t n = c.count();
                    const quiver::Points p = c.get({0, 1, 500});
                    if (n == 0 || !p[0].found) throw quiver::Error(Status::Internal, "point 0 vanished");
                    searches++;
                }
            } catch (const quiver::Error &e) {
                failures.add(e);
            }
        });
    }
    for (size_t w = 0; w < writers; w++) threads[w].join();
    writing = false;
    for (size_t i = writers; i < threads.size(); i++) threads[i].join();

    EXPECT_EQ(failures.count.load(), 0) << "last status " << failures.last_status.load();
    EXPECT_GT(searches.load(), 0u);
    EXPECT_EQ(c.count(), 1 + writers * batches * batch);
    const quiver::ScrollPage all = c.scroll(0, 10000);
    EXPECT_EQ(all.ids.size(), 1 + writers * batches * batch);
}

TEST(Concurrency, HandlesOpenedFromManyThreads) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    for (int i = 0; i < 4; i++) db.create_collection("c" + std::to_string(i), CollectionConfig(4, Metric::Euclidean));
    Failures failures;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; t++) {
        threads.emplace_back([&, t] {
            try {
                for (int round = 0; round < 5; round++) {
                    quiver::Collection c = db.open_collection("c" + std::to_string(t % 4));
                    const uint64_t id = static_cast<uint64_t>(t * 100 + round);
                    c.upsert_one(id, {1, static_cast<float>(t), static_cast<float>(round), 0});
                    const quiver::Points mine = c.get({id});
                    if (!mine[0].found) throw quiver::Error(Status::Internal, "own write not visible");
                    if (db.list_collections().size() != 4) throw quiver::Error(Status::Internal, "lost a collection");
                }
            } catch (const quiver::Error &e) {
                failures.add(e);
            }
        });
    }
    for (std::thread &t : threads) t.join();
    EXPECT_EQ(failures.count.load(), 0) << "last status " << failures.last_status.load();
    uint64_t total = 0;
    for (int i = 0; i < 4; i++) total += db.open_collection("c" + std::to_string(i)).count();
    EXPECT_EQ(total, 40u);
}

TEST(Concurrency, CloseWhileOtherThreadsSearch) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("c", CollectionConfig(8, Metric::Euclidean));
    c.upsert(qt::iota_ids(300), qt::random_vectors(300, 8));

    std::atomic<int> ok{0}, closed{0}, other{0};
    std::atomic<bool> started{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; t++) {
        threads.emplace_back([&, t] {
            const std::vector<float> q = qt::random_vectors(1, 8, static_cast<uint32_t>(t));
            for (;;) {
                try {
                    const quiver::Results r = c.search(q, SearchParams(3));
                    ok += r[0].size() == 3;
                    started = true;
                } catch (const quiver::Error &e) {
                    (e.status() == Status::Closed ? closed : other)++;
                    return;
                }
            }
        });
    }
    while (!started) std::this_thread::yield();
    db.close(); // waits for searches in flight; later calls get Closed
    for (std::thread &t : threads) t.join();
    EXPECT_GT(ok.load(), 0);
    EXPECT_EQ(closed.load(), 3);
    EXPECT_EQ(other.load(), 0);
}
