// The graph: edges (add, replace, remove, get, find, degree, count,
// properties byte for byte, deleting a point, reopening), the label schema,
// traversals (BFS / DFS, labels, per-hop labels, filter, depths, direction,
// limit) against a reference traversal written here on a random graph,
// shortest paths against a reference BFS / Dijkstra, search_expand and
// traverse_ranked against exact scores computed here, errors, and the
// lifetime of the Traversal range.
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <string_view>

using quiver::CollectionConfig;
using quiver::Database;
using quiver::Direction;
using quiver::Edge;
using quiver::Filter;
using quiver::Metric;
using quiver::Order;
using quiver::PathOptions;
using quiver::Status;
using quiver::Traversal;
using quiver::TraverseOptions;

// ---- compile-time properties of the types ---------------------------------------------

template <class T>
constexpr bool move_only_v = std::is_move_constructible_v<T> && std::is_move_assignable_v<T> &&
                             !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T>;
static_assert(move_only_v<Traversal>);
static_assert(std::is_nothrow_move_constructible_v<Traversal> && std::is_nothrow_move_assignable_v<Traversal>);
static_assert(std::is_copy_constructible_v<Edge> && std::is_copy_constructible_v<quiver::Path>);

template <class T, class = void>
struct can_index : std::false_type {};
template <class T>
struct can_index<T, std::void_t<decltype(std::declval<T>()[0])>> : std::true_type {};
static_assert(can_index<const Traversal &>::value);
static_assert(!can_index<Traversal &&>::value); // a Visit cannot borrow from a temporary

template <class T, class = void>
struct can_begin : std::false_type {};
template <class T>
struct can_begin<T, std::void_t<decltype(std::declval<T>().begin())>> : std::true_type {};
static_assert(can_begin<const Traversal &>::value);
static_assert(!can_begin<Traversal &&>::value);
static_assert(std::is_same_v<std::iterator_traits<Traversal::iterator>::iterator_category,
                             std::random_access_iterator_tag>);
static_assert(std::is_same_v<std::iterator_traits<Traversal::iterator>::value_type, quiver::Visit>);

namespace {

// ---- the test graph ----------------------------------------------------------------

// graph_n points 0..graph_n-1 of dimension 4 with the payload {"group": i%3,
// "odd": i%2}; edges only between the first graph_linked of them (the rest
// are isolated). graph_edges edges with ids drawn at random (so ascending id
// order is not the order they are added in), labels a, b, c, weights among
// graph_weights (0 included), some self loops, some parallel edges, some
// with properties.
constexpr size_t graph_n = 48;
constexpr size_t graph_linked = 44;
constexpr size_t graph_edges = 170;
constexpr size_t graph_dim = 4;
const float graph_weights[] = {1, 0.5f, 2, 3.25f, 0, 1.5f, 0.125f};

std::string graph_payload(size_t i) {
    return "{\"group\": " + std::to_string(i % 3) + ", \"odd\": " + std::to_string(i % 2) + "}";
}

using Labels = std::vector<std::string>;

// One visit of the reference traversal.
struct RefVisit {
    uint64_t id = 0;
    uint64_t origin = 0;
    uint32_t depth = 0;
    std::vector<uint64_t> path;
    std::optional<float> score;
};

struct Step {
    uint64_t edge;
    uint64_t point;
    double weight;
};

// The model: the edges by id and the points' vectors.
struct RefGraph {
    std::map<uint64_t, Edge> edges;
    std::map<uint64_t, std::vector<float>> vectors;

    std::vector<Edge> sorted(const std::function<bool(const Edge &)> &keep = nullptr) const {
        std::vector<Edge> out;
        for (const auto &[id, e] : edges)
            if (!keep || keep(e)) out.push_back(e);
        return out; // a std::map: by ascending id
    }

    // The hops out of p along dir, by ascending edge id, keeping the labels
    // in allowed (all when empty); a self loop once.
    std::vector<Step> steps(uint64_t p, Direction dir, const Labels &allowed) const {
        std::vector<Step> out;
        for (const auto &[id, e] : edges) {
            if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), e.label) == allowed.end()) continue;
            const double w = e.weight;
            if (dir != Direction::In && e.source == p)
                out.push_back(Step{id, e.target, w});
            else if (dir != Direction::Out && e.target == p)
                out.push_back(Step{id, e.source, w});
        }
        return out;
    }

    // The traversal written from its specification: starts in order (a
    // repeated one once) at depth 0; BFS level by level, DFS preorder,
    // neighbours by ascending edge id, each point once; a point reached by
    // a hop that `accept` refuses is neither returned nor walked through
    // (and not tried again); points below min_depth are walked through but
    // not returned; the result is cut at the limit.
    std::vector<RefVisit> traverse(const std::vector<uint64_t> &starts, const TraverseOptions &o,
                                   const std::function<bool(uint64_t)> &accept) const {
        const uint32_t min_d = o.min_depth(), max_d = o.max_depth();
        const auto hop = [&](uint32_t h) -> const Labels & {
            if (h - 1 < o.hop_labels().size() && !o.hop_labels()[h - 1].empty()) return o.hop_labels()[h - 1];
            return o.labels();
        };
        std::set<uint64_t> seen, rejected;
        std::vector<RefVisit> out;
        const auto reach = [&](const RefVisit &p, const Step &s, RefVisit &v) {
            if (seen.count(s.point) != 0 || rejected.count(s.point) != 0) return false;
            if (accept && !accept(s.point)) {
                rejected.insert(s.point);
                return false;
            }
            v = RefVisit{s.point, p.origin, p.depth + 1, p.path, std::nullopt};
            v.path.push_back(s.edge);
            seen.insert(s.point);
            if (v.depth >= min_d) out.push_back(v);
            return true;
        };
        const auto start = [&](uint64_t s, RefVisit &v) {
            if (seen.count(s) != 0) return false;
            v = RefVisit{s, s, 0, {}, std::nullopt};
            seen.insert(s);
            if (min_d == 0) out.push_back(v);
            return true;
        };
        if (o.order() == Order::Bfs) {
            std::deque<RefVisit> queue;
            for (uint64_t s : starts) {
                RefVisit v;
                if (start(s, v)) queue.push_back(v);
            }
            while (!queue.empty()) {
                const RefVisit p = queue.front();
                queue.pop_front();
                if (p.depth >= max_d) continue;
                for (const Step &s : steps(p.id, o.direction(), hop(p.depth + 1))) {
                    RefVisit v;
                    if (reach(p, s, v)) queue.push_back(v);
                }
            }
        } else {
            std::function<void(const RefVisit &)> dfs = [&](const RefVisit &p) {
                if (p.depth >= max_d) return;
                for (const Step &s : steps(p.id, o.direction(), hop(p.depth + 1))) {
                    RefVisit v;
                    if (reach(p, s, v)) dfs(v);
                }
            };
            for (uint64_t s : starts) {
                RefVisit v;
                if (start(s, v)) dfs(v);
            }
        }
        if (out.size() > o.limit()) out.resize(o.limit());
        return out;
    }

    // The fewest hops from `from` to every point it reaches (BFS) and the
    // least total weight (Dijkstra, by a plain O(n^2) scan).
    void distances(uint64_t from, Direction dir, const Labels &labels, std::map<uint64_t, size_t> &hops,
                   std::map<uint64_t, double> &cost) const {
        hops = {{from, 0}};
        std::deque<uint64_t> queue{from};
        while (!queue.empty()) {
            const uint64_t p = queue.front();
            queue.pop_front();
            for (const Step &s : steps(p, dir, labels))
                if (hops.count(s.point) == 0) {
                    hops[s.point] = hops[p] + 1;
                    queue.push_back(s.point);
                }
        }
        cost = {{from, 0.0}};
        std::set<uint64_t> done;
        for (;;) {
            bool found = false;
            uint64_t best = 0;
            for (const auto &[p, c] : cost)
                if (done.count(p) == 0 && (!found || c < cost.at(best))) best = p, found = true;
            if (!found) break;
            done.insert(best);
            for (const Step &s : steps(best, dir, labels)) {
                const double c = cost.at(best) + s.weight;
                auto it = cost.find(s.point);
                if (it == cost.end() || c < it->second) cost[s.point] = c;
            }
        }
    }

    // Checks that p is a path from `from` to `to` along dir and labels and
    // returns the sum of its edges' weights, from the first edge.
    double check_path(const std::string &what, const quiver::Path &p, uint64_t from, uint64_t to, Direction dir,
                      const Labels &labels) const {
        EXPECT_FALSE(p.points.empty()) << what;
        if (p.points.empty()) return -1;
        EXPECT_EQ(p.points.front(), from) << what;
        EXPECT_EQ(p.points.back(), to) << what;
        EXPECT_EQ(p.edges.size(), p.points.size() - 1) << what;
        double sum = 0;
        for (size_t i = 0; i < p.edges.size() && i + 1 < p.points.size(); i++) {
            auto it = edges.find(p.edges[i]);
            if (it == edges.end()) {
                ADD_FAILURE() << what << ": edge " << p.edges[i] << " does not exist";
                return -1;
            }
            const Edge &e = it->second;
            if (!labels.empty()) {
                EXPECT_NE(std::find(labels.begin(), labels.end(), e.label), labels.end())
                    << what << ": edge " << e.id << " has label " << e.label;
            }
            const uint64_t a = p.points[i], b = p.points[i + 1];
            const bool fwd = e.source == a && e.target == b, back = e.target == a && e.source == b;
            const bool ok = dir == Direction::Out ? fwd : dir == Direction::In ? back : (fwd || back);
            EXPECT_TRUE(ok) << what << ": edge " << e.id << " (" << e.source << " -> " << e.target
                            << ") does not lead from " << a << " to " << b;
            sum += e.weight;
        }
        return sum;
    }
};

// The test graph's edges in the order they are added (not by id).
std::vector<Edge> random_graph_edges(uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint64_t> ids(10 * graph_edges);
    std::iota(ids.begin(), ids.end(), uint64_t{1});
    std::shuffle(ids.begin(), ids.end(), rng);
    const char *const labels[] = {"a", "a", "b", "c", "b", "a"};
    std::vector<Edge> edges;
    for (size_t i = 0; i < graph_edges; i++) {
        Edge e;
        e.id = ids[i];
        e.source = rng() % graph_linked;
        e.target = rng() % graph_linked;
        e.label = labels[rng() % 6];
        e.weight = graph_weights[rng() % std::size(graph_weights)];
        if (i % 15 == 7) {
            e.target = e.source; // a self loop
        } else if (i % 11 == 5) {
            e.source = edges[i - 1].source; // parallel to the previous edge
            e.target = edges[i - 1].target;
        }
        if (i % 9 == 0) // odd spacing, escapes and UTF-8: kept byte for byte
            e.properties = "{ \"n\": " + std::to_string(i) +
                           ",  \"note\": \"\xc3\xa9\\u00e9 \\\"q\\\"\", \"list\": [1, 2.50, {}] }";
        edges.push_back(std::move(e));
    }
    return edges;
}

// A database with the test graph in collection `name`.
struct GraphDb {
    qt::TempDir dir;
    Database db;
    quiver::Collection c;
    RefGraph g;

    explicit GraphDb(Metric m = Metric::Cosine, const std::string &name = "g") : db(Database::open(dir / "db")) {
        add(name, m, c, g);
    }

    void add(const std::string &name, Metric m, quiver::Collection &coll, RefGraph &ref) {
        coll = db.create_collection(name, CollectionConfig(graph_dim, m));
        const std::vector<float> vecs = qt::random_vectors(graph_n, graph_dim, 23);
        std::vector<std::string> payloads;
        for (size_t i = 0; i < graph_n; i++) {
            payloads.push_back(graph_payload(i));
            ref.vectors[i] = std::vector<float>(vecs.begin() + i * graph_dim, vecs.begin() + (i + 1) * graph_dim);
        }
        const std::vector<uint64_t> ids = qt::iota_ids(graph_n);
        const size_t half = graph_n / 2;
        // The first half sealed, the rest in the appendable segment.
        coll.upsert(quiver::span<const uint64_t>(ids.data(), half),
                    quiver::span<const float>(vecs.data(), half * graph_dim),
                    std::vector<std::string>(payloads.begin(), payloads.begin() + half));
        coll.optimize();
        coll.upsert(quiver::span<const uint64_t>(ids.data() + half, graph_n - half),
                    quiver::span<const float>(vecs.data() + half * graph_dim, (graph_n - half) * graph_dim),
                    std::vector<std::string>(payloads.begin() + half, payloads.end()));
        const std::vector<Edge> edges = random_graph_edges(5);
        for (size_t lo = 0; lo < edges.size(); lo += 40) {
            const size_t n = std::min<size_t>(40, edges.size() - lo);
            coll.add_edges(quiver::span<const Edge>(edges.data() + lo, n));
            for (size_t i = lo; i < lo + n; i++) ref.edges[edges[i].id] = edges[i];
        }
    }
};

// ---- comparisons ----------------------------------------------------------------------

std::string ids_string(quiver::span<const uint64_t> ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); i++) s += (i ? " " : "") + std::to_string(ids[i]);
    return s + "]";
}

std::string visit_string(uint64_t id, uint64_t origin, uint32_t depth, quiver::span<const uint64_t> path,
                         std::optional<float> score) {
    std::ostringstream s;
    s << id << "(d" << depth << " from " << origin << " via " << ids_string(path) << ")";
    if (score) s << " score " << *score;
    return s.str();
}

std::string visits_string(const Traversal &t) {
    std::string s;
    for (quiver::Visit v : t) s += visit_string(v.id, v.origin, v.depth, v.path, v.score) + " ";
    return s;
}

std::string visits_string(const std::vector<RefVisit> &vs) {
    std::string s;
    for (const RefVisit &v : vs) s += visit_string(v.id, v.origin, v.depth, v.path, v.score) + " ";
    return s;
}

// Ids, origins, depths, paths in order; scores equal when `with_scores`,
// else none.
::testing::AssertionResult same_visits(const Traversal &got, const std::vector<RefVisit> &want, bool with_scores) {
    bool ok = got.size() == want.size();
    for (size_t i = 0; ok && i < got.size(); i++) {
        const quiver::Visit g = got[i];
        const RefVisit &w = want[i];
        ok = g.id == w.id && g.origin == w.origin && g.depth == w.depth && g.path.size() == g.depth &&
             std::equal(g.path.begin(), g.path.end(), w.path.begin(), w.path.end()) &&
             (g.depth > 0 || g.path.data() == nullptr);
        ok = ok && (with_scores ? g.score == w.score : !g.score);
    }
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\n got  " << visits_string(got) << "\n want " << visits_string(want);
}

std::string edge_string(const Edge &e) {
    std::ostringstream s;
    s << "{" << e.id << ": " << e.source << " -" << e.label << "-> " << e.target << " w " << e.weight << " "
      << e.properties << "}";
    return s.str();
}

::testing::AssertionResult same_edges(const std::vector<Edge> &got, const std::vector<Edge> &want) {
    if (got == want) return ::testing::AssertionSuccess();
    auto f = ::testing::AssertionFailure();
    f << "\n got ";
    for (const Edge &e : got) f << edge_string(e);
    f << "\n want ";
    for (const Edge &e : want) f << edge_string(e);
    return f;
}

// The payload filters the traversal tests use, as filter text and as the
// predicate the reference applies.
const std::string group_not0 = Filter::ne("group", 0).json();
const std::string odd_only = Filter::eq("odd", 1).json();

std::function<bool(uint64_t)> ref_filter(const std::string &f) {
    if (f == group_not0) return [](uint64_t id) { return id % 3 != 0; };
    if (f == odd_only) return [](uint64_t id) { return id % 2 == 1; };
    EXPECT_TRUE(f.empty()) << "no reference for filter " << f;
    return nullptr;
}

std::string describe(const std::vector<uint64_t> &starts, const TraverseOptions &o) {
    std::ostringstream s;
    s << "traverse(" << ids_string(starts) << ", order " << static_cast<uint32_t>(o.order()) << ", depth "
      << o.min_depth() << ".." << o.max_depth() << ", dir " << static_cast<uint32_t>(o.direction()) << ", limit "
      << o.limit() << ", labels";
    for (const std::string &l : o.labels()) s << " " << l;
    s << ", hops";
    for (const Labels &h : o.hop_labels()) {
        s << " [";
        for (const std::string &l : h) s << l;
        s << "]";
    }
    s << ", filter " << o.filter() << ")";
    return s.str();
}

// The library's own message for a failing C call (to compare with what()).
template <class F>
std::string c_message(F &&f) {
    qv_error *err = nullptr;
    const int32_t status = f(&err);
    EXPECT_NE(status, QV_OK);
    const std::string msg = err != nullptr ? qv_error_message(err) : "";
    qv_error_free(err);
    return msg;
}

// The collection's metric between a query and a vector, in double, as
// search() scores it.
double ref_score(Metric m, const std::vector<float> &q, const std::vector<float> &v) {
    double dot = 0, nq = 0, nv = 0, d2 = 0;
    for (size_t i = 0; i < q.size(); i++) {
        const double a = q[i], b = v[i];
        dot += a * b;
        nq += a * a;
        nv += b * b;
        d2 += (a - b) * (a - b);
    }
    if (m == Metric::Cosine) return dot / std::sqrt(nq * nv);
    if (m == Metric::Euclidean) return std::sqrt(d2);
    return dot;
}

} // namespace

// ---- traversals ------------------------------------------------------------------------

// Traversals (BFS and DFS, one and several starts, depths, labels on all hops
// and per hop, directions, a payload filter, a limit) against the reference.
TEST(Graph, TraverseMatchesTheReference) {
    GraphDb t;
    struct Case {
        const char *name;
        std::vector<uint64_t> starts;
        TraverseOptions opts;
    };
    const std::vector<Case> cases = {
        {"defaults", {3}, TraverseOptions()},
        {"bfs depth 3", {3}, TraverseOptions().max_depth(3)},
        {"dfs depth 3", {3}, TraverseOptions().order(Order::Dfs).max_depth(3)},
        {"bfs with starts", {3, 17, 3}, TraverseOptions().max_depth(2).min_depth(0)},
        {"dfs with starts", {17, 3, 40}, TraverseOptions().order(Order::Dfs).max_depth(4).min_depth(0)},
        {"min depth 2", {5, 9}, TraverseOptions().min_depth(2).max_depth(3)},
        {"dfs min depth 3", {5}, TraverseOptions().order(Order::Dfs).min_depth(3).max_depth(5)},
        {"label a", {1}, TraverseOptions().max_depth(4).labels({"a"})},
        {"labels b c", {1, 2}, TraverseOptions().max_depth(4).labels({"b", "c"})},
        {"unknown label", {1}, TraverseOptions().max_depth(4).labels({"zz"})},
        {"per hop", {8}, TraverseOptions().max_depth(3).labels({"a"}).hop_labels({{"b"}, {}, {"c", "b"}})},
        {"dfs per hop", {8, 30}, TraverseOptions().order(Order::Dfs).max_depth(3).hop_labels({{"a"}, {"b", "c"}})},
        {"in", {12}, TraverseOptions().max_depth(3).direction(Direction::In)},
        {"both", {12}, TraverseOptions().max_depth(2).direction(Direction::Both)},
        {"dfs both", {12}, TraverseOptions().order(Order::Dfs).max_depth(6).direction(Direction::Both)},
        {"filter", {0, 6}, TraverseOptions().max_depth(4).filter(group_not0)},
        {"dfs filter with starts", {0, 6},
         TraverseOptions().order(Order::Dfs).max_depth(4).filter(Filter::ne("group", 0)).min_depth(0)},
        {"limit", {3, 4}, TraverseOptions().max_depth(5).limit(7)},
        {"dfs limit", {3, 4}, TraverseOptions().order(Order::Dfs).max_depth(5).limit(7)},
        {"limit below starts", {3, 4, 5}, TraverseOptions().max_depth(2).limit(2).min_depth(0)},
        {"isolated", {graph_n - 1}, TraverseOptions().max_depth(3).min_depth(0).direction(Direction::Both)},
        {"no starts", {}, TraverseOptions().max_depth(3)},
        {"everything", {0}, TraverseOptions().max_depth(1000).direction(Direction::Both).limit(10000000)},
    };
    size_t non_empty = 0;
    for (const Case &tc : cases) {
        const Traversal got = t.c.traverse(tc.starts, tc.opts);
        EXPECT_TRUE(same_visits(got, t.g.traverse(tc.starts, tc.opts, ref_filter(tc.opts.filter())), false))
            << tc.name;
        EXPECT_LE(got.size(), tc.opts.limit()) << tc.name;
        if (!got.empty()) non_empty++;
    }
    EXPECT_GE(non_empty, cases.size() - 4) << "the graph is too sparse to test";
    // The whole connected part is reached by "everything" (a sanity check of
    // the graph, not of the library).
    EXPECT_GE(t.c.traverse({0}, cases.back().opts).size(), graph_linked / 2);

    // Random options, many times.
    std::mt19937 rng(77);
    const Labels labels = {"a", "b", "c", "zz"};
    const auto subset = [&] {
        Labels out;
        for (const std::string &l : labels)
            if (rng() % 3 == 0) out.push_back(l);
        return out;
    };
    const std::string filters[] = {"", "", group_not0, odd_only};
    size_t deep = 0;
    for (int round = 0; round < 300; round++) {
        TraverseOptions o;
        o.order(static_cast<Order>(rng() % 2)).max_depth(1 + rng() % 5).direction(static_cast<Direction>(rng() % 3));
        o.filter(filters[rng() % 4]);
        o.min_depth(static_cast<uint32_t>(rng() % (o.max_depth() + 1)));
        if (rng() % 2 == 0) o.labels(subset());
        if (rng() % 3 == 0) {
            std::vector<Labels> hops(rng() % (o.max_depth() + 1));
            for (Labels &h : hops) h = subset();
            o.hop_labels(hops);
        }
        if (rng() % 3 == 0) o.limit(1 + rng() % 20);
        std::vector<uint64_t> starts(1 + rng() % 3);
        for (uint64_t &s : starts) s = rng() % graph_n;
        const Traversal got = t.c.traverse(starts, o);
        ASSERT_TRUE(same_visits(got, t.g.traverse(starts, o, ref_filter(o.filter())), false))
            << "round " << round << ": " << describe(starts, o);
        if (std::any_of(got.begin(), got.end(), [](quiver::Visit v) { return v.depth >= 3; })) deep++;
    }
    EXPECT_GE(deep, 20u) << "too few random traversals went 3 hops deep";
}

// Shortest paths: unweighted (as long as the reference BFS distance, with and
// without a hop bound), weighted (the reference Dijkstra cost), over many
// pairs, with directions and labels; unreachable points give std::nullopt.
TEST(Graph, ShortestPathsMatchTheReference) {
    GraphDb t;
    const std::pair<Direction, Labels> variants[] = {
        {Direction::Out, {}},         {Direction::In, {}},       {Direction::Both, {}},
        {Direction::Out, {"a", "c"}}, {Direction::Both, {"b"}},
    };
    size_t found = 0, missing = 0, bounded = 0, zero_cost = 0;
    for (const auto &[dir, labels] : variants) {
        for (uint64_t from = 0; from < graph_n; from += 3) {
            std::map<uint64_t, size_t> hops;
            std::map<uint64_t, double> cost;
            t.g.distances(from, dir, labels, hops, cost);
            for (uint64_t to = 0; to < graph_n; to++) {
                const std::string what = "shortest_path(" + std::to_string(from) + ", " + std::to_string(to) +
                                         ", dir " + std::to_string(static_cast<uint32_t>(dir)) + ", " +
                                         std::to_string(labels.size()) + " labels)";
                const PathOptions opts = PathOptions().direction(dir).labels(labels);
                const std::optional<quiver::Path> p = t.c.shortest_path(from, to, opts);
                const std::optional<quiver::Path> w = t.c.shortest_path(from, to, PathOptions(opts).weighted());
                auto h = hops.find(to);
                if (h == hops.end()) {
                    missing++;
                    ASSERT_FALSE(p.has_value()) << what;
                    ASSERT_FALSE(w.has_value()) << "weighted " << what;
                    continue;
                }
                found++;
                ASSERT_TRUE(p.has_value()) << what << ": want " << h->second << " hops";
                t.g.check_path(what, *p, from, to, dir, labels);
                ASSERT_EQ(p->edges.size(), h->second) << what;
                ASSERT_EQ(p->cost, static_cast<double>(h->second)) << what;
                if (from == to) {
                    ASSERT_TRUE(p->edges.empty() && p->points.size() == 1) << what;
                }
                // With a hop bound.
                const uint32_t bound = 1 + static_cast<uint32_t>(to % 4);
                const std::optional<quiver::Path> b = t.c.shortest_path(from, to, PathOptions(opts).max_depth(bound));
                if (h->second > bound) {
                    bounded++;
                    ASSERT_FALSE(b.has_value()) << what << " with max_depth " << bound;
                } else {
                    ASSERT_TRUE(b.has_value()) << what << " with max_depth " << bound;
                    ASSERT_EQ(b->edges.size(), h->second) << what << " with max_depth " << bound;
                }
                // Weighted.
                ASSERT_TRUE(w.has_value()) << "weighted " << what;
                const double sum = t.g.check_path("weighted " + what, *w, from, to, dir, labels);
                ASSERT_NEAR(w->cost, cost.at(to), 1e-9) << "weighted " << what;
                ASSERT_NEAR(sum, w->cost, 1e-9) << "weighted " << what;
                if (w->cost == 0 && from != to) zero_cost++;
            }
        }
    }
    EXPECT_GE(found, 200u);
    EXPECT_GE(missing, 50u);
    EXPECT_GE(bounded, 20u);
    EXPECT_GT(zero_cost, 0u) << "no path of weight 0 was tested";
}

// search_expand against an exact search and the reference traversal from
// its hits: each visit carries the score of the hit it came from, which is
// the exact score computed here.
TEST(Graph, SearchExpandMatchesTheReference) {
    GraphDb t;
    const std::vector<float> queries = qt::random_vectors(6, graph_dim, 91);
    struct Case {
        quiver::SearchParams search;
        TraverseOptions opts;
    };
    const std::vector<Case> cases = {
        {quiver::SearchParams(3).exact(), TraverseOptions()},
        {quiver::SearchParams(4).exact(), TraverseOptions().max_depth(2).min_depth(0)},
        {quiver::SearchParams(5).exact().filter(odd_only), TraverseOptions().order(Order::Dfs).max_depth(3).min_depth(0)},
        {quiver::SearchParams(2).exact(),
         TraverseOptions().min_depth(2).max_depth(3).direction(Direction::Both).labels({"a"})},
        {quiver::SearchParams(6).exact(), TraverseOptions().max_depth(3).filter(group_not0).limit(9).min_depth(0)},
        {quiver::SearchParams(3), TraverseOptions().max_depth(2).direction(Direction::In)},
    };
    for (size_t i = 0; i < cases.size(); i++) {
        const std::vector<float> q(queries.begin() + i * graph_dim, queries.begin() + (i + 1) * graph_dim);
        const Case &tc = cases[i];
        const quiver::Results hits = t.c.search(q, tc.search);
        ASSERT_EQ(hits[0].size(), tc.search.k()) << "case " << i;
        std::map<uint64_t, float> scores;
        std::vector<uint64_t> hit_ids;
        for (quiver::Hit h : hits[0]) {
            scores[h.id] = h.score;
            hit_ids.push_back(h.id);
            EXPECT_NEAR(h.score, ref_score(Metric::Cosine, q, t.g.vectors[h.id]), 1e-5);
        }
        std::vector<RefVisit> want = t.g.traverse(hit_ids, tc.opts, ref_filter(tc.opts.filter()));
        for (RefVisit &v : want) v.score = scores.at(v.origin);
        const Traversal got = t.c.search_expand(q, tc.search, tc.opts);
        EXPECT_TRUE(same_visits(got, want, true)) << "case " << i;
        EXPECT_FALSE(got.empty()) << "case " << i;
        // The same walk from the hits the caller holds ...
        EXPECT_TRUE(same_visits(t.c.expand_hits(hits[0], tc.opts), want, true)) << "expand_hits case " << i;
        // ... and from bare ids (no scores), a hit that is not a point first (skipped).
        std::vector<uint64_t> ids = {uint64_t(1) << 40};
        ids.insert(ids.end(), hit_ids.begin(), hit_ids.end());
        const Traversal bare = t.c.expand_hits(ids, {}, tc.opts);
        EXPECT_TRUE(same_visits(bare, want, false)) << "expand_hits without scores, case " << i;
    }
    const std::vector<uint64_t> two = {1, 2};
    const std::vector<float> nan_score = {1.0f, std::nanf("")};
    qt::expect_error(Status::InvalidArgument, [&] { t.c.expand_hits(two, nan_score); });
    qt::expect_error(Status::InvalidArgument, [&] { t.c.expand_hits(two, std::vector<float>{1.0f}); });
    EXPECT_TRUE(t.c.expand_hits(std::vector<uint64_t>{}, {}).empty());
}

// traverse_ranked against the reference traversal ranked by brute force in
// the collection's metric: best first, scores the exact ones.
TEST(Graph, TraverseRankedMatchesExactScores) {
    for (Metric m : {Metric::Cosine, Metric::Dot, Metric::Euclidean}) {
        GraphDb t(m);
        const std::vector<float> queries = qt::random_vectors(8, graph_dim, 5);
        struct Case {
            std::vector<uint64_t> starts;
            TraverseOptions opts;
            uint32_t k;
        };
        const std::vector<Case> cases = {
            {{3}, TraverseOptions().max_depth(3), 5},
            {{3, 20}, TraverseOptions().max_depth(2).min_depth(0), 4},
            {{10}, TraverseOptions().order(Order::Dfs).max_depth(4).direction(Direction::Both), 10},
            {{1}, TraverseOptions().max_depth(5).filter(group_not0).direction(Direction::Both), 100},
            {{2, 9}, TraverseOptions().max_depth(3).labels({"a", "b"}).limit(6), 3},
            {{graph_n - 1}, TraverseOptions().max_depth(3), 3}, // nothing reached
            {{graph_n - 1}, TraverseOptions().max_depth(3).min_depth(0), 3},
        };
        const bool lower_better = m == Metric::Euclidean;
        for (size_t i = 0; i < cases.size(); i++) {
            const Case &tc = cases[i];
            const std::vector<float> q(queries.begin() + i * graph_dim, queries.begin() + (i + 1) * graph_dim);
            std::vector<std::pair<RefVisit, double>> ranked;
            for (const RefVisit &v : t.g.traverse(tc.starts, tc.opts, ref_filter(tc.opts.filter())))
                ranked.emplace_back(v, ref_score(m, q, t.g.vectors[v.id]));
            std::sort(ranked.begin(), ranked.end(), [&](const auto &a, const auto &b) {
                if (a.second != b.second) return (a.second < b.second) == lower_better;
                return a.first.id < b.first.id;
            });
            if (ranked.size() > tc.k) ranked.resize(tc.k);
            const Traversal got = t.c.traverse_ranked(tc.starts, tc.opts, q, tc.k);
            const std::string what = "metric " + std::to_string(static_cast<uint32_t>(m)) + ", case " +
                                     std::to_string(i) + ": " + describe(tc.starts, tc.opts);
            ASSERT_EQ(got.size(), ranked.size()) << what << "\n got " << visits_string(got);
            for (size_t j = 0; j < got.size(); j++) {
                const quiver::Visit v = got[j];
                const RefVisit &w = ranked[j].first;
                EXPECT_EQ(v.id, w.id) << what << " at " << j << "\n got " << visits_string(got);
                EXPECT_EQ(v.origin, w.origin) << what;
                EXPECT_EQ(v.depth, w.depth) << what;
                EXPECT_TRUE(std::equal(v.path.begin(), v.path.end(), w.path.begin(), w.path.end())) << what;
                ASSERT_TRUE(v.score.has_value()) << what;
                EXPECT_NEAR(*v.score, ranked[j].second, 1e-5) << what;
                if (j > 0) { // sorted, best first
                    const float prev = *got[j - 1].score;
                    EXPECT_TRUE(lower_better ? prev <= *v.score : prev >= *v.score) << what;
                }
            }
            if (i == 0) {
                EXPECT_GE(got.size(), 3u) << what;
            }
        }
    }
}

// ---- edges -------------------------------------------------------------------------------

// Reading edges: get by id, find by source, target and label, degree,
// count, properties byte for byte.
TEST(Graph, EdgesRead) {
    GraphDb t;
    quiver::Collection &c = t.c;
    EXPECT_EQ(c.count_edges(), t.g.edges.size());
    const std::vector<Edge> all = t.g.sorted();
    EXPECT_TRUE(same_edges(c.find_edges(), all));
    size_t with_props = 0, zero_weight = 0;
    for (const Edge &e : c.find_edges()) {
        if (!e.properties.empty()) {
            with_props++;
            EXPECT_EQ(e.properties, t.g.edges.at(e.id).properties); // byte for byte
            EXPECT_NE(e.properties.find("  \"note\": \"\xc3\xa9\\u00e9 \\\"q\\\"\""), std::string::npos);
        }
        if (e.weight == 0) zero_weight++;
    }
    EXPECT_GE(with_props, 10u);
    EXPECT_GT(zero_weight, 0u);

    // get_edges: in the order of the ids, missing ones left out.
    std::vector<uint64_t> ids;
    std::vector<Edge> want;
    for (size_t k = 0; k < all.size(); k += 3) {
        const size_t i = all.size() - 1 - k;
        ids.push_back(all[i].id);
        ids.push_back(999999 + i);
        want.push_back(all[i]);
    }
    EXPECT_TRUE(same_edges(c.get_edges(ids), want));
    EXPECT_TRUE(c.get_edges({}).empty());
    EXPECT_TRUE(same_edges(c.get_edges({all[3].id, all[3].id}), {all[3], all[3]}));

    for (const char *label : {"a", "b", "c", "zz"})
        EXPECT_TRUE(same_edges(c.find_edges(std::nullopt, std::nullopt, label),
                               t.g.sorted([&](const Edge &e) { return e.label == label; })))
            << label;
    for (uint64_t p = 0; p < graph_n; p++) {
        EXPECT_TRUE(same_edges(c.find_edges(p), t.g.sorted([&](const Edge &e) { return e.source == p; }))) << p;
        EXPECT_TRUE(same_edges(c.find_edges(std::nullopt, p), t.g.sorted([&](const Edge &e) { return e.target == p; })))
            << p;
        EXPECT_TRUE(same_edges(c.find_edges(p, std::nullopt, "a"),
                               t.g.sorted([&](const Edge &e) { return e.source == p && e.label == "a"; })))
            << p;
        EXPECT_TRUE(same_edges(c.find_edges(std::nullopt, p, "b"),
                               t.g.sorted([&](const Edge &e) { return e.target == p && e.label == "b"; })))
            << p;
        for (const char *label : {"", "a", "c"}) {
            const std::string_view l(label);
            const quiver::Degree d = c.degree(p, l);
            EXPECT_EQ(d.in, t.g.sorted([&](const Edge &e) { return e.target == p && (l.empty() || e.label == l); }).size())
                << p << " " << label;
            EXPECT_EQ(d.out, t.g.sorted([&](const Edge &e) { return e.source == p && (l.empty() || e.label == l); }).size())
                << p << " " << label;
        }
    }
    // Between two points: every pair that has edges, parallel ones included.
    size_t parallel = 0;
    for (const Edge &e : all) {
        const std::vector<Edge> w =
            t.g.sorted([&](const Edge &x) { return x.source == e.source && x.target == e.target; });
        EXPECT_TRUE(same_edges(c.find_edges(e.source, e.target), w));
        if (w.size() > 1) parallel++;
    }
    EXPECT_GT(parallel, 0u) << "the graph has no parallel edges";
    const quiver::Degree none = c.degree(123456);
    EXPECT_EQ(none.in, 0u);
    EXPECT_EQ(none.out, 0u);
}

// Writing edges: replace by id, the last of a batch wins, weight 0, remove,
// deleting a point removes its edges, upserting another keeps them, and
// everything survives close and reopen.
TEST(Graph, EdgesWriteAndReopen) {
    GraphDb t;
    RefGraph &g = t.g;

    // Replace an edge (by id), and a batch naming one id twice.
    const Edge first = g.sorted().front();
    const Edge repl{first.id, 40, 41, "c", 2.5f, R"({"v":1})"};
    const std::vector<Edge> batch = {repl, Edge{777777, 1, 2, "a", 9.0f}, Edge{777777, 2, 3, "b", 0.25f, R"({"last":true})"}};
    t.c.add_edges(batch);
    g.edges[first.id] = repl;
    g.edges[777777] = batch[2];
    EXPECT_TRUE(same_edges(t.c.get_edges({first.id, 777777}), {repl, batch[2]}));
    for (const Edge &e : t.c.find_edges(first.source, first.target)) EXPECT_NE(e.id, first.id); // moved away

    // One edge, the default weight, weight 0.
    t.c.add_edge(Edge{888001, 5, 6, "a"});
    t.c.add_edge(Edge{888002, 6, 5, "a", 0.0f});
    const std::vector<Edge> w = t.c.get_edges({888001, 888002});
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0].weight, 1.0f);
    EXPECT_EQ(w[1].weight, 0.0f);
    EXPECT_TRUE(w[0].properties.empty());
    t.c.add_edges(w); // added again as read: unchanged
    EXPECT_TRUE(same_edges(t.c.get_edges({888001, 888002}), w));
    g.edges[888001] = w[0];
    g.edges[888002] = w[1];

    // Remove: the count of those that existed.
    EXPECT_EQ(t.c.remove_edges({888001, 888001, 31337}), 1u);
    g.edges.erase(888001);
    EXPECT_EQ(t.c.remove_edges({}), 0u);
    EXPECT_EQ(t.c.remove_edges({888001}), 0u);

    // Deleting a point removes its edges, in and out; upserting another
    // keeps its edges.
    const uint64_t victim = 7;
    size_t touching = 0;
    for (auto it = g.edges.begin(); it != g.edges.end();) {
        if (it->second.source == victim || it->second.target == victim) {
            it = g.edges.erase(it);
            touching++;
        } else {
            ++it;
        }
    }
    ASSERT_GT(touching, 0u) << "point 7 has no edges";
    EXPECT_EQ(t.c.remove({victim}), 1u);
    const std::vector<float> v8 = {1, 2, 3, 4};
    t.c.upsert_one(8, v8, graph_payload(8));
    g.vectors[8] = v8;

    const auto check = [&](const quiver::Collection &c, const std::string &what) {
        EXPECT_EQ(c.count_edges(), g.edges.size()) << what;
        EXPECT_TRUE(same_edges(c.find_edges(), g.sorted())) << what;
        EXPECT_TRUE(c.find_edges(victim).empty()) << what;
        EXPECT_TRUE(c.find_edges(std::nullopt, victim).empty()) << what;
        EXPECT_EQ(c.degree(victim).in + c.degree(victim).out, 0u) << what;
        const std::string msg = qt::expect_error(Status::NotFound, [&] { c.traverse({victim}); });
        EXPECT_NE(msg.find("starts[0]"), std::string::npos) << msg;
        for (const TraverseOptions &o : {TraverseOptions().max_depth(4).direction(Direction::Both).min_depth(0),
                                         TraverseOptions().order(Order::Dfs).max_depth(5).labels({"a", "b"})})
            EXPECT_TRUE(same_visits(c.traverse({8, 1}, o), g.traverse({8, 1}, o, nullptr), false)) << what;
    };
    check(t.c, "after the writes");

    // Close and reopen.
    t.c.close();
    t.c = quiver::Collection();
    t.db.close();
    t.db = Database::open(t.dir / "db");
    quiver::Collection c2 = t.db.open_collection("g");
    check(c2, "after reopening");
    // And once more after a checkpoint and an optimization.
    c2.checkpoint();
    c2.optimize();
    check(c2, "after checkpoint and optimize");
}

// The label schema: a violating add fails and changes nothing, a schema the
// existing edges violate is refused, get returns what was set, remove
// removes it, and it survives reopening.
TEST(Graph, Schema) {
    qt::TempDir dir;
    Database db = Database::open(dir / "db");
    quiver::Collection c = db.create_collection("lib", CollectionConfig(2, Metric::Euclidean));
    std::vector<std::string> payloads;
    for (int i = 1; i <= 6; i++) payloads.push_back(i <= 3 ? R"({"kind": "person"})" : R"({"kind": "paper"})");
    c.upsert(qt::iota_ids(6, 1), qt::random_vectors(6, 2), payloads);
    EXPECT_EQ(c.graph_schema(), std::nullopt);

    const std::string person = Filter::eq("kind", "person").json(), paper = Filter::eq("kind", "paper").json();
    const std::string schema = R"({"labels": {"wrote": {"source": )" + person + R"(, "target": )" + paper +
                               R"(}, "cites": {"source": )" + paper + R"(, "target": )" + paper +
                               R"(}, "knows": {}}})";
    c.set_graph_schema(schema);
    const std::optional<std::string> got = c.graph_schema();
    ASSERT_TRUE(got.has_value());
    for (const char *part : {"\"labels\"", "\"wrote\"", "\"cites\"", "\"knows\"", "person", "paper"})
        EXPECT_NE(got->find(part), std::string::npos) << *got;
    // What it returns is the form set_graph_schema takes: set again, the same.
    c.set_graph_schema(*got);
    EXPECT_EQ(c.graph_schema(), got);

    const std::vector<Edge> ok = {{1, 1, 4, "wrote"}, {2, 5, 4, "cites"}, {3, 1, 2, "knows"}, {4, 4, 1, "knows"}};
    c.add_edges(ok);
    for (const Edge &bad : std::vector<Edge>{
             {10, 1, 2, "likes"},  // not in the schema
             {10, 4, 5, "wrote"},  // source a paper
             {10, 1, 2, "wrote"},  // target a person
             {10, 5, 1, "cites"},  // target a person
             {1, 1, 2, "cites"},   // a replacement the schema refuses
             {11, 1, 999, "knows"} // not found: checked too
         }) {
        const std::vector<Edge> batch = {Edge{12, 2, 3, "knows"}, bad};
        const std::string msg =
            qt::expect_error(bad.target == 999 ? Status::NotFound : Status::InvalidArgument, [&] { c.add_edges(batch); });
        EXPECT_NE(msg.find("edges[1]"), std::string::npos) << msg;
        EXPECT_TRUE(same_edges(c.find_edges(), ok)) << edge_string(bad);
    }

    // A schema the existing edges violate: refused, the old one stays.
    for (const std::string &bad :
         {std::string(R"({"labels": {"wrote": {}, "cites": {}}})"),                        // no "knows"
          R"({"labels": {"wrote": {}, "cites": {}, "knows": {"source": )" + person + "}}}", // edge 4 from a paper
          std::string(R"({"labels": 3})"), std::string(R"({"label": {}})"), std::string("[1]"), std::string("{"),
          std::string(R"({"labels": {"x": {"source": {"field": "kind", "nope": 1}}}})"),
          std::string(R"({"labels": {"x": {"origin": {}}}})"), std::string(R"({"labels": {"": {}}})")}) {
        qt::expect_error(Status::InvalidArgument, [&] { c.set_graph_schema(bad); });
        EXPECT_EQ(c.graph_schema(), got) << bad;
    }
    // An empty text would remove the schema in C: the binding refuses it.
    const std::string msg = qt::expect_error(Status::InvalidArgument, [&] { c.set_graph_schema(""); });
    EXPECT_NE(msg.find("remove_graph_schema"), std::string::npos) << msg;
    EXPECT_EQ(c.graph_schema(), got);

    // Survives reopening.
    c = quiver::Collection();
    db.close();
    db = Database::open(dir / "db");
    c = db.open_collection("lib");
    EXPECT_EQ(c.graph_schema(), got);
    qt::expect_error(Status::InvalidArgument, [&] { c.add_edge(Edge{20, 1, 2, "likes"}); });
    EXPECT_EQ(c.count_edges(), ok.size());

    // Removed: any label again.
    c.remove_graph_schema();
    EXPECT_EQ(c.graph_schema(), std::nullopt);
    c.remove_graph_schema(); // without one: a no-op
    c.add_edge(Edge{20, 1, 2, "likes"});
    EXPECT_EQ(c.count_edges(), ok.size() + 1);
}

// ---- errors --------------------------------------------------------------------------------

// Bad edges and bad parameters: quiver::Error with the library's status and
// message, and nothing written.
TEST(Graph, Errors) {
    GraphDb t;
    quiver::Collection &c = t.c;
    const uint64_t count = c.count_edges();
    const Edge good{555555, 1, 2, "a"};
    const auto unchanged = [&](const std::string &what) {
        EXPECT_EQ(c.count_edges(), count) << what;
        EXPECT_TRUE(c.get_edges({good.id}).empty()) << what << ": the good edge of the batch was written";
    };
    struct BadEdge {
        const char *what;
        Edge edge;
        Status status;
    };
    const float nan = std::nanf(""), inf = INFINITY;
    for (const BadEdge &tc : std::vector<BadEdge>{
             {"missing target", {1, 1, 99999, "a"}, Status::NotFound},
             {"missing source", {1, 99999, 1, "a"}, Status::NotFound},
             {"empty label", {1, 1, 2, ""}, Status::InvalidArgument},
             {"control character", {1, 1, 2, "a\nb"}, Status::InvalidArgument},
             {"long label", {1, 1, 2, std::string(257, 'x')}, Status::InvalidArgument},
             {"bad UTF-8", {1, 1, 2, "a\xff"}, Status::InvalidArgument},
             {"negative weight", {1, 1, 2, "a", -1.0f}, Status::InvalidArgument},
             {"NaN weight", {1, 1, 2, "a", nan}, Status::InvalidArgument},
             {"infinite weight", {1, 1, 2, "a", inf}, Status::InvalidArgument},
             {"properties an array", {1, 1, 2, "a", 1.0f, "[1, 2]"}, Status::InvalidArgument},
             {"properties a string", {1, 1, 2, "a", 1.0f, "\"x\""}, Status::InvalidArgument},
             {"properties not JSON", {1, 1, 2, "a", 1.0f, "{bad"}, Status::InvalidArgument},
         }) {
        const std::vector<Edge> batch = {good, tc.edge};
        const std::string msg = qt::expect_error(tc.status, [&] { c.add_edges(batch); });
        EXPECT_NE(msg.find("edges[1]"), std::string::npos) << tc.what << ": " << msg;
        unchanged(tc.what);
    }
    // The missing end point: exactly the library's message.
    {
        const Edge bad{1, 1, 99999, "a"};
        const std::string msg = qt::expect_error(Status::NotFound, [&] { c.add_edges({good, bad}); });
        qv_edge ce[2];
        for (int i = 0; i < 2; i++) qv_edge_init(&ce[i]);
        ce[0].id = good.id, ce[0].source = good.source, ce[0].target = good.target;
        ce[1].id = bad.id, ce[1].source = bad.source, ce[1].target = bad.target;
        ce[0].label = ce[1].label = reinterpret_cast<const uint8_t *>("a");
        ce[0].label_len = ce[1].label_len = 1;
        EXPECT_EQ(msg, c_message([&](qv_error **e) { return qv_collection_add_edges(c.get(), ce, 2, e); }));
        EXPECT_NE(msg.find("target point 99999"), std::string::npos) << msg;
        unchanged("missing end point");
    }
    // A failed batch leaves an existing edge id as it was.
    const Edge first = t.g.sorted().front();
    qt::expect_error(Status::InvalidArgument, [&] { c.add_edges({Edge{first.id, 1, 2, "zz"}, Edge{2, 1, 2, ""}}); });
    EXPECT_TRUE(same_edges(c.get_edges({first.id}), {first}));

    // Traversal parameters, in the three traversals.
    struct BadTraverse {
        const char *what;
        std::vector<uint64_t> starts;
        TraverseOptions opts;
        Status status;
    };
    const std::vector<float> q = t.g.vectors[1];
    for (const BadTraverse &tc : std::vector<BadTraverse>{
             {"missing start", {1, 99999}, TraverseOptions(), Status::NotFound},
             {"max_depth 0", {1}, TraverseOptions().max_depth(0), Status::InvalidArgument},
             {"max_depth 1001", {1}, TraverseOptions().max_depth(1001), Status::InvalidArgument},
             {"min_depth above max_depth", {1}, TraverseOptions().min_depth(3).max_depth(2), Status::InvalidArgument},
             {"limit 0", {1}, TraverseOptions().limit(0), Status::InvalidArgument},
             {"limit too large", {1}, TraverseOptions().limit(10000001), Status::InvalidArgument},
             {"more hops than max_depth", {1}, TraverseOptions().max_depth(1).hop_labels({{"a"}, {"b"}}),
              Status::InvalidArgument},
             {"empty label", {1}, TraverseOptions().labels({""}), Status::InvalidArgument},
             {"empty hop label", {1}, TraverseOptions().max_depth(2).hop_labels({{}, {"a", ""}}), Status::InvalidArgument},
             {"bad filter", {1}, TraverseOptions().filter(R"({"field": "group", "almost": 1})"), Status::InvalidArgument},
             {"filter not JSON", {1}, TraverseOptions().filter("{"), Status::InvalidArgument},
             {"bad direction", {1}, TraverseOptions().direction(static_cast<Direction>(7)), Status::InvalidArgument},
             {"bad order", {1}, TraverseOptions().order(static_cast<Order>(5)), Status::InvalidArgument},
         }) {
        const std::string msg = qt::expect_error(tc.status, [&] { c.traverse(tc.starts, tc.opts); });
        // The library's message, as the C call gives it.
        TraverseOptions::CArrays arrays;
        const qv_traverse_params p = tc.opts.to_c(arrays);
        qv_traversal *out = nullptr;
        EXPECT_EQ(msg, c_message([&](qv_error **e) {
                      return qv_collection_traverse(c.get(), tc.starts.data(), tc.starts.size(), &p, &out, e);
                  }))
            << tc.what;
        EXPECT_EQ(out, nullptr);
        if (tc.status == Status::NotFound) {
            EXPECT_NE(msg.find("starts[1]"), std::string::npos) << msg;
        }
        qt::expect_error(tc.status, [&] { c.traverse_ranked(tc.starts, tc.opts, q, 3); });
        if (tc.status != Status::NotFound)
            qt::expect_error(tc.status, [&] { c.search_expand(q, quiver::SearchParams(3), tc.opts); });
    }
    qt::expect_error(Status::InvalidArgument, [&] { c.traverse_ranked({1}, TraverseOptions(), q, 0); });
    qt::expect_error(Status::InvalidArgument, [&] { c.traverse_ranked({1}, TraverseOptions(), q, 100001); });
    qt::expect_error(Status::DimensionMismatch, [&] { c.traverse_ranked({1}, TraverseOptions(), {1.0f, 2.0f}, 3); });
    qt::expect_error(Status::InvalidArgument, [&] { c.traverse_ranked({1}, TraverseOptions(), {1.0f, nan, 0.0f, 0.0f}, 3); });
    qt::expect_error(Status::DimensionMismatch, [&] { c.search_expand({1.0f, 2.0f}); });
    qt::expect_error(Status::InvalidArgument, [&] { c.search_expand(q, quiver::SearchParams(0)); });

    // Shortest path parameters.
    std::string msg = qt::expect_error(Status::NotFound, [&] { c.shortest_path(1, 99999); });
    EXPECT_NE(msg.find("to: point 99999"), std::string::npos) << msg;
    qt::expect_error(Status::NotFound, [&] { c.shortest_path(99999, 1); });
    qt::expect_error(Status::InvalidArgument, [&] { c.shortest_path(1, 2, PathOptions().weighted().max_depth(3)); });
    qt::expect_error(Status::InvalidArgument, [&] { c.shortest_path(1, 2, PathOptions().labels({""})); });
    qt::expect_error(Status::InvalidArgument,
                     [&] { c.shortest_path(1, 2, PathOptions().direction(static_cast<Direction>(3))); });

    // Reads with bad labels: not UTF-8 is refused.
    qt::expect_error(Status::InvalidArgument, [&] { c.find_edges(std::nullopt, std::nullopt, "a\xff"); });
    qt::expect_error(Status::InvalidArgument, [&] { c.degree(1, "a\xff"); });
    // A label no edge can have (a control character, 257 bytes) is refused too.
    for (const std::string &label : {std::string("a\x01"), std::string(257, 'x')}) {
        qt::expect_error(Status::InvalidArgument, [&] { c.find_edges(std::nullopt, std::nullopt, label); });
        qt::expect_error(Status::InvalidArgument, [&] { c.degree(1, label); });
    }
    EXPECT_EQ(c.count_edges(), count);

    // A metadata-only collection has edges and traversals, but no ranking.
    quiver::Collection meta = t.db.create_collection("meta", CollectionConfig::metadata_only());
    meta.upsert({1, 2}, {}, std::vector<std::string>{"{}", ""});
    meta.add_edge(Edge{1, 1, 2, "x"});
    const Traversal mt = meta.traverse({1});
    ASSERT_EQ(mt.size(), 1u);
    EXPECT_EQ(mt[0].id, 2u);
    qt::expect_error(Status::Unsupported, [&] { meta.traverse_ranked({1}, TraverseOptions(), {}, 1); });

    // A closed collection, and one without a handle.
    c.close();
    qt::expect_error(Status::Closed, [&] { c.add_edge(good); });
    qt::expect_error(Status::Closed, [&] { c.traverse({1}); });
    qt::expect_error(Status::Closed, [&] { c.shortest_path(1, 2); });
    qt::expect_error(Status::Closed, [&] { c.count_edges(); });
    qt::expect_error(Status::Closed, [&] { c.graph_schema(); });
    quiver::Collection moved = std::move(meta);
    qt::expect_error(Status::InvalidArgument, [&] { meta.count_edges(); });
    qt::expect_error(Status::InvalidArgument, [&] { meta.traverse({1}); });
    qt::expect_error(Status::InvalidArgument, [&] { meta.set_graph_schema(""); });
    EXPECT_EQ(moved.count_edges(), 1u);
}

// ---- the Traversal range ----------------------------------------------------------------

// A Traversal owns the library's result: moves keep its visits and paths
// (the same memory), a moved-from one is empty, release() hands the handle
// over, and it outlives the collection and the database it came from.
TEST(Graph, TraversalLifetime) {
    std::vector<RefVisit> want;
    Traversal kept;
    const TraverseOptions opts = TraverseOptions().max_depth(3).min_depth(0).direction(Direction::Both);
    {
        GraphDb t;
        want = t.g.traverse({2}, opts, nullptr);
        ASSERT_GE(want.size(), 5u);
        Traversal a = t.c.traverse({2}, opts);
        ASSERT_TRUE(same_visits(a, want, false));
        const uint64_t *path = a[want.size() - 1].path.data();
        ASSERT_NE(path, nullptr);

        // Range and access.
        EXPECT_EQ(static_cast<size_t>(std::distance(a.begin(), a.end())), a.size());
        EXPECT_EQ((*(a.end() - 1)).id, want.back().id);
        EXPECT_EQ(a.begin()[1].id, want[1].id);
        EXPECT_EQ(a.at(0).id, want[0].id);
        EXPECT_EQ(a[0].path.size(), 0u);
        EXPECT_FALSE(a[0].score.has_value());
        EXPECT_THROW(a.at(a.size()), std::out_of_range);
        std::vector<uint64_t> ids;
        std::transform(a.begin(), a.end(), std::back_inserter(ids), [](quiver::Visit v) { return v.id; });
        EXPECT_EQ(ids.size(), want.size());
        EXPECT_EQ(std::set<uint64_t>(ids.begin(), ids.end()).size(), ids.size()) << "a point returned twice";

        // Move construction: the same paths, the source empty.
        Traversal b = std::move(a);
        EXPECT_TRUE(a.empty());
        EXPECT_EQ(a.size(), 0u);
        EXPECT_EQ(a.begin(), a.end());
        EXPECT_EQ(a.get(), nullptr);
        EXPECT_EQ(b[want.size() - 1].path.data(), path);
        EXPECT_TRUE(same_visits(b, want, false));

        // Move assignment over a traversal that holds one (freed), and onto
        // itself through a reference.
        Traversal c = t.c.traverse({5}, opts);
        ASSERT_FALSE(c.empty());
        c = std::move(b);
        EXPECT_TRUE(b.empty());
        EXPECT_EQ(c[want.size() - 1].path.data(), path);
        Traversal &self = c;
        c = std::move(self);
        EXPECT_TRUE(same_visits(c, want, false));

        // release(): the caller owns the handle.
        Traversal d = t.c.traverse({2}, opts);
        qv_traversal *raw = d.release();
        EXPECT_TRUE(d.empty());
        EXPECT_EQ(qv_traversal_count(raw), want.size());
        qv_traversal_free(raw);
        // A traversal given to a new owner.
        Traversal e(t.c.traverse({2}, opts).release());
        EXPECT_TRUE(same_visits(e, want, false));
        EXPECT_TRUE(Traversal(nullptr).empty());

        kept = std::move(c);
        t.c.close();
        t.db.close();
    } // the collection, the database and their directory are gone
    EXPECT_TRUE(same_visits(kept, want, false));
    kept = Traversal();
    EXPECT_TRUE(kept.empty());
}
