// A realistic run on tests/data/wordnet-sample: 5,000 MiniLM embeddings of
// WordNet definitions (384 dims) with their JSON lines as payloads; recall
// of graph search against the committed exact ground truth, exact search,
// a selective filter, and the data surviving a reopen.
#include "test_util.hpp"

#include <algorithm>
#include <iostream>
#include <set>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Metric;
using quiver::SearchParams;

namespace {

constexpr size_t dim = qt::wordnet_dim;

// Recall@k of `r`: the share of the true k nearest found, query by query;
// `truth(q)` gives the true ids of query q, best first.
template <class Truth>
double recall(const quiver::Results &r, size_t k, Truth truth) {
    size_t hit = 0;
    for (size_t q = 0; q < r.size(); q++) {
        const std::vector<uint64_t> ids = truth(q);
        const std::set<uint64_t> best(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k));
        for (const quiver::Hit &h : r[q]) hit += best.count(h.id);
    }
    return static_cast<double>(hit) / static_cast<double>(r.size() * k);
}

} // namespace

TEST(WordNet, RecallFilterAndReopen) {
    // The whole sample, whose committed ground truth is over all 5,000
    // points. Under valgrind, where everything runs some 50 times slower,
    // the first 1,000 points and 10 queries, checked against the library's
    // exact search only.
    const bool full = !qt::under_valgrind();
    const size_t n = full ? 5000 : 1000, nq = full ? 100 : 10, k = 10;
    const std::vector<float> base = qt::read_f16("base.f16", n);
    const std::vector<float> queries = qt::read_f16("queries.f16", nq);
    const std::vector<std::string> lines = qt::read_jsonl(n);
    const std::vector<uint32_t> gt = qt::read_gt(nq);
    const auto ground_truth = [&](size_t q) {
        return std::vector<uint64_t>(gt.begin() + static_cast<std::ptrdiff_t>(q * 100),
                                     gt.begin() + static_cast<std::ptrdiff_t>(q * 100 + k));
    };
    const std::string animal = R"({"field": "category", "eq": "noun.animal"})";
    const size_t animals_in_sample = static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [](const std::string &l) {
        return l.find(R"("category": "noun.animal")") != std::string::npos;
    }));
    if (full) {
        EXPECT_EQ(animals_in_sample, 334u); // tests/data/wordnet-sample/README.md
    }

    qt::TempDir dir;
    {
        Database db = Database::open(dir / "db", quiver::DatabaseOptions().sync(quiver::Sync::Never));
        // Dot product: the vectors are normalised and the ground truth ranks by dot product.
        quiver::Collection defs = db.create_collection("definitions", CollectionConfig(dim, Metric::Dot));
        // In batches of 1,000, as an application streaming its data would.
        for (size_t first = 0; first < n; first += 1000) {
            const size_t m = std::min<size_t>(1000, n - first);
            const std::vector<uint64_t> ids = qt::iota_ids(m, first);
            defs.upsert(ids, quiver::span<const float>(base.data() + first * dim, m * dim),
                        std::vector<std::string_view>(lines.begin() + static_cast<std::ptrdiff_t>(first),
                                                      lines.begin() + static_cast<std::ptrdiff_t>(first + m)));
        }
        EXPECT_EQ(defs.count(), n);

        // Exact search is the ground truth (ties aside); graph search finds
        // nearly all of it.
        const quiver::Results exact = defs.search_batch(queries, nq, SearchParams(k).exact());
        const quiver::Results graph = defs.search_batch(queries, nq, SearchParams(k).ef(64));
        ASSERT_EQ(graph.size(), nq);
        const auto exact_ids = [&](size_t q) {
            const quiver::span<const uint64_t> ids = exact[q].ids();
            return std::vector<uint64_t>(ids.begin(), ids.end());
        };
        const double graph_recall = recall(graph, k, exact_ids);
        EXPECT_GE(graph_recall, 0.9) << "graph recall@10";
        if (full) {
            EXPECT_GE(recall(exact, k, ground_truth), 0.99) << "exact recall@10 against gt100.u32";
            EXPECT_GE(recall(graph, k, ground_truth), 0.9) << "graph recall@10 against gt100.u32";
        }
        std::cout << "[ wordnet  ] " << n << " points, " << nq << " queries: recall@10 of graph search "
                  << graph_recall << "\n";

        // A selective filter (noun.animal: 334 of the 5,000 points).
        const quiver::span<const float> q0(queries.data(), dim);
        const quiver::Results animals = defs.search(q0, SearchParams(k).filter(animal).with_payload());
        ASSERT_EQ(animals[0].size(), k);
        for (const quiver::Hit &h : animals[0]) {
            // Payloads come back byte for byte as the sample writes them.
            EXPECT_NE(h.payload.find(R"("category": "noun.animal")"), std::string_view::npos) << h.payload;
            EXPECT_NE(h.payload.find(R"("text":)"), std::string_view::npos);
        }
        const quiver::Results animals_exact = defs.search(q0, SearchParams(k).filter(animal).exact());
        EXPECT_EQ(animals[0][0].id, animals_exact[0][0].id);
        EXPECT_EQ(defs.scroll(0, n, animal).ids.size(), animals_in_sample);
        db.close();
    }
    // Everything is there after a reopen, graph included.
    Database db = Database::open(dir / "db");
    const quiver::Collection defs = db.open_collection("definitions");
    EXPECT_EQ(defs.count(), n);
    const quiver::Points p = defs.get({0, n - 1});
    EXPECT_EQ(p[0].payload.substr(0, 11), R"({"id": 0, ")"); // byte for byte as written
    EXPECT_NE(p[0].payload.find("an air gun in which BBs"), std::string_view::npos);
    EXPECT_TRUE(p[1].found);
    const quiver::Results again = defs.search_batch(queries, nq, SearchParams(k).ef(64));
    EXPECT_GE(recall(again, k, [&](size_t q) {
                  const quiver::Results one = defs.search(quiver::span<const float>(queries.data() + q * dim, dim),
                                                          SearchParams(k).exact());
                  const quiver::span<const uint64_t> ids = one[0].ids();
                  return std::vector<uint64_t>(ids.begin(), ids.end());
              }),
              0.9);
}
