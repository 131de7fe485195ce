/*
 * test_graph.c: edges and traversals through the C ABI. A pseudo-random
 * graph over 40 points; BFS and DFS (directions, depths, labels, per-hop
 * labels, a filter, a limit) equal to a reference written here; shortest
 * paths (hops and weights) of the least cost; reads (get, find, degree,
 * count) and properties byte for byte; durability across reopen;
 * deleting a point removes its edges; the schema; the errors, which
 * change nothing; graph + vector calls.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NP = 40, NE = 160, DIM = 2, MAXV = NP };

typedef struct {
    uint64_t id, src, dst;
    int label; /* 0, 1, 2: "a", "b", "c" */
    float weight;
    int alive;
} ref_edge;

static ref_edge E[NE + 8];
static int ne;
static const char *LABELS[3] = {"a", "b", "c"};
static int point_alive[NP];

/* The reference's neighbours of p: edge indexes by ascending edge id,
 * dir 0 out, 1 in, 2 both (a loop once). */
static int steps(uint64_t p, int dir, int *out) {
    int n = 0;
    for (int i = 0; i < ne; i++) {
        if (!E[i].alive) continue;
        int o = dir != 1 && E[i].src == p;
        int in = dir != 0 && E[i].dst == p;
        if (o || in) out[n++] = i;
    }
    for (int i = 1; i < n; i++) /* insertion sort by edge id */
        for (int j = i; j > 0 && E[out[j - 1]].id > E[out[j]].id; j--) {
            int t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

static uint64_t other(int e, uint64_t p) { return E[e].src == p ? E[e].dst : E[e].src; }

typedef struct {
    int order, dir, min_depth, max_depth, limit, label; /* label -1 = any */
    int hop1;                                             /* -1 = none, else hop 1's label */
    int filter_even;                                      /* reached points must be even */
} tparams;

typedef struct {
    uint64_t id, origin;
    uint32_t depth;
    uint64_t path[8];
} rvisit;

static int hop_ok(const tparams *t, int hop, int label) {
    if (hop == 1 && t->hop1 >= 0) return label == t->hop1;
    return t->label < 0 || label == t->label;
}

static int seen_depth[MAXV];
static uint64_t seen_path[MAXV][8];
static uint64_t seen_origin[MAXV];
static int rejected[MAXV];

static void ref_dfs(const tparams *t, uint64_t p, int d, rvisit *out, int *n) {
    int nb[NE + 8];
    if (d >= t->max_depth) return;
    int k = steps(p, t->dir, nb);
    for (int i = 0; i < k; i++) {
        if (*n >= t->limit) return;
        uint64_t q = other(nb[i], p);
        if (!hop_ok(t, d + 1, E[nb[i]].label) || seen_depth[q] >= 0 || rejected[q]) continue;
        if (t->filter_even && q % 2 != 0) {
            rejected[q] = 1;
            continue;
        }
        seen_depth[q] = d + 1;
        seen_origin[q] = seen_origin[p];
        memcpy(seen_path[q], seen_path[p], sizeof seen_path[q]);
        seen_path[q][d] = E[nb[i]].id;
        if (d + 1 >= t->min_depth) {
            out[*n].id = q;
            out[*n].origin = seen_origin[q];
            out[*n].depth = (uint32_t)(d + 1);
            memcpy(out[*n].path, seen_path[q], sizeof out[*n].path);
            (*n)++;
        }
        ref_dfs(t, q, d + 1, out, n);
    }
}

static int reference(const tparams *t, const uint64_t *starts, int ns, rvisit *out) {
    int n = 0;
    uint64_t queue[MAXV];
    int qh = 0, qt = 0;
    for (int i = 0; i < MAXV; i++) seen_depth[i] = -1, rejected[i] = 0;
    for (int s = 0; s < ns; s++) {
        uint64_t p = starts[s];
        if (seen_depth[p] >= 0) continue;
        if (t->order == QV_DFS && n >= t->limit) break;
        seen_depth[p] = 0;
        seen_origin[p] = p;
        memset(seen_path[p], 0, sizeof seen_path[p]);
        if (t->min_depth == 0 && n < t->limit) {
            out[n].id = p;
            out[n].origin = p;
            out[n].depth = 0;
            n++;
        }
        if (t->order == QV_DFS)
            ref_dfs(t, p, 0, out, &n);
        else
            queue[qt++] = p;
    }
    while (qh < qt) {
        uint64_t p = queue[qh++];
        int d = seen_depth[p];
        int nb[NE + 8];
        if (d >= t->max_depth) continue;
        int k = steps(p, t->dir, nb);
        for (int i = 0; i < k; i++) {
            uint64_t q = other(nb[i], p);
            if (!hop_ok(t, d + 1, E[nb[i]].label) || seen_depth[q] >= 0 || rejected[q]) continue;
            if (t->filter_even && q % 2 != 0) {
                rejected[q] = 1;
                continue;
            }
            seen_depth[q] = d + 1;
            seen_origin[q] = seen_origin[p];
            memcpy(seen_path[q], seen_path[p], sizeof seen_path[q]);
            seen_path[q][d] = E[nb[i]].id;
            if (d + 1 >= t->min_depth && n < t->limit) {
                out[n].id = q;
                out[n].origin = seen_origin[q];
                out[n].depth = (uint32_t)(d + 1);
                memcpy(out[n].path, seen_path[q], sizeof out[n].path);
                n++;
            }
            queue[qt++] = q;
        }
    }
    return n;
}

static qv_label lab(int l) {
    qv_label x = {(const uint8_t *)LABELS[l], 1};
    return x;
}

static void check_traversal(qv_collection *c, const tparams *t, const uint64_t *starts, int ns) {
    static rvisit want[MAXV];
    int nw = reference(t, starts, ns, want);
    qv_traverse_params p;
    qv_traverse_params_init(&p);
    p.order = (uint32_t)t->order;
    p.direction = (uint32_t)t->dir;
    p.min_depth = (uint32_t)t->min_depth;
    p.max_depth = (uint32_t)t->max_depth;
    p.limit = (uint32_t)t->limit;
    qv_label all = t->label >= 0 ? lab(t->label) : lab(0);
    if (t->label >= 0) {
        p.labels = &all;
        p.nlabels = 1;
    }
    qv_label h1 = t->hop1 >= 0 ? lab(t->hop1) : lab(0);
    uint64_t hop_indptr[2] = {0, 1};
    if (t->hop1 >= 0) {
        p.hop_labels = &h1;
        p.hop_indptr = hop_indptr;
        p.nhops = 1;
    }
    const char *f = "{\"field\": \"even\", \"eq\": true}";
    if (t->filter_even) {
        p.filter_json = (const uint8_t *)f;
        p.filter_len = strlen(f);
    }
    qv_traversal *tr = NULL;
    if (OK(qv_collection_traverse(c, starts, (size_t)ns, &p, &tr, ERR)) != QV_OK) return;
    CHECK_EQ_U64(qv_traversal_count(tr), nw);
    for (int i = 0; i < nw && i < (int)qv_traversal_count(tr); i++) {
        qv_visit v;
        OK(qv_traversal_get(tr, (size_t)i, &v, ERR));
        CHECK_EQ_U64(v.id, want[i].id);
        CHECK_EQ_U64(v.depth, want[i].depth);
        CHECK_EQ_U64(v.origin, want[i].origin);
        CHECK_EQ_U64(v.has_score, 0);
        CHECK_EQ_U64(v.path_len, want[i].depth);
        for (uint32_t k = 0; k < v.depth && k < 8; k++) CHECK_EQ_U64(v.path[k], want[i].path[k]);
    }
    qv_traversal_free(tr);
}

/* Least cost from a to b both ways (weights or hops): Bellman-Ford. */
static double ref_distance(uint64_t a, uint64_t b, int weighted) {
    double d[MAXV];
    for (int i = 0; i < MAXV; i++) d[i] = INFINITY;
    d[a] = 0;
    for (int round = 0; round < MAXV; round++)
        for (int i = 0; i < ne; i++) {
            if (!E[i].alive) continue;
            double w = weighted ? (double)E[i].weight : 1.0;
            if (d[E[i].src] + w < d[E[i].dst]) d[E[i].dst] = d[E[i].src] + w;
            if (d[E[i].dst] + w < d[E[i].src]) d[E[i].src] = d[E[i].dst] + w;
        }
    return d[b];
}

static void check_paths(qv_collection *c, uint64_t *seed) {
    for (int k = 0; k < 30; k++) {
        uint64_t a, b;
        do a = (uint64_t)((qvt_rand(seed) + 1.0f) / 2.0f * NP) % NP;
        while (!point_alive[a]);
        do b = (uint64_t)((qvt_rand(seed) + 1.0f) / 2.0f * NP) % NP;
        while (!point_alive[b]);
        for (int weighted = 0; weighted < 2; weighted++) {
            qv_path_params pp;
            qv_path_params_init(&pp);
            pp.direction = QV_DIRECTION_BOTH;
            pp.weighted = (uint32_t)weighted;
            qv_path *path = NULL;
            if (OK(qv_collection_shortest_path(c, a, b, &pp, &path, ERR)) != QV_OK) continue;
            double want = ref_distance(a, b, weighted);
            if (isinf(want)) {
                CHECK(path == NULL);
                continue;
            }
            CHECK(path != NULL);
            if (path == NULL) continue;
            qv_path_view v;
            OK(qv_path_get_view(path, &v, ERR));
            CHECK_NEAR(v.cost, want, 1e-9);
            CHECK_EQ_U64(v.points[0], a);
            CHECK_EQ_U64(v.points[v.npoints - 1], b);
            double sum = 0;
            for (uint64_t i = 0; i + 1 < v.npoints; i++) {
                int found = 0;
                for (int e = 0; e < ne; e++)
                    if (E[e].alive && E[e].id == v.edges[i]) {
                        found = (E[e].src == v.points[i] && E[e].dst == v.points[i + 1]) ||
                                (E[e].dst == v.points[i] && E[e].src == v.points[i + 1]);
                        sum += weighted ? (double)E[e].weight : 1.0;
                    }
                CHECK(found);
            }
            CHECK_NEAR(sum, want, 1e-9);
            qv_path_free(path);
        }
    }
}

static void check_all(qv_collection *c, uint64_t seed) {
    static const tparams ts[] = {
        {QV_BFS, 0, 1, 1, 1000, -1, -1, 0}, {QV_BFS, 1, 0, 3, 1000, -1, -1, 0},
        {QV_BFS, 2, 2, 4, 1000, 0, -1, 0},  {QV_BFS, 2, 1, 3, 1000, 2, 1, 1},
        {QV_BFS, 0, 1, 5, 6, -1, -1, 0},    {QV_DFS, 0, 1, 3, 1000, -1, -1, 0},
        {QV_DFS, 2, 0, 4, 1000, 1, -1, 1},  {QV_DFS, 1, 1, 2, 1000, -1, 0, 0},
        {QV_DFS, 2, 1, 6, 9, -1, -1, 0},
    };
    for (size_t t = 0; t < sizeof ts / sizeof ts[0]; t++)
        for (int k = 0; k < 4; k++) {
            uint64_t starts[3];
            int ns = 1 + k % 3;
            for (int s = 0; s < ns; s++) {
                do starts[s] = (uint64_t)((qvt_rand(&seed) + 1.0f) / 2.0f * NP) % NP;
                while (!point_alive[starts[s]]);
            }
            check_traversal(c, &ts[t], starts, ns);
        }
    check_paths(c, &seed);
    /* Reads. */
    uint64_t count = 0;
    int alive = 0;
    for (int i = 0; i < ne; i++) alive += E[i].alive;
    OK(qv_collection_count_edges(c, &count, ERR));
    CHECK_EQ_U64(count, alive);
    for (uint64_t p = 0; p < NP; p++) {
        uint64_t in = 99, out = 99, want_in = 0, want_out = 0, want_b = 0;
        for (int i = 0; i < ne; i++)
            if (E[i].alive) {
                want_in += E[i].dst == p;
                want_out += E[i].src == p;
                want_b += E[i].src == p && E[i].label == 1;
            }
        OK(qv_collection_degree(c, p, NULL, 0, &in, &out, ERR));
        CHECK_EQ_U64(in, want_in);
        CHECK_EQ_U64(out, want_out);
        qv_edges *es = NULL;
        OK(qv_collection_find_edges(c, &p, NULL, (const uint8_t *)"b", 1, &es, ERR));
        CHECK_EQ_U64(qv_edges_count(es), want_b);
        uint64_t last = 0;
        for (size_t i = 0; i < qv_edges_count(es); i++) {
            qv_edge e;
            OK(qv_edges_get(es, i, &e, ERR));
            CHECK_EQ_U64(e.source, p);
            CHECK(e.label_len == 1 && e.label[0] == 'b');
            CHECK(i == 0 || e.id > last);
            last = e.id;
        }
        qv_edges_free(es);
    }
}

static void add_random_edges(qv_collection *c, uint64_t *seed, int count, uint64_t first_id) {
    qv_edge batch[NE];
    static char props[NE][32];
    for (int i = 0; i < count; i++) {
        ref_edge *r = &E[ne + i];
        r->id = first_id + (uint64_t)i * 2;
        do r->src = (uint64_t)((qvt_rand(seed) + 1.0f) / 2.0f * NP) % NP;
        while (!point_alive[r->src]);
        do r->dst = (uint64_t)((qvt_rand(seed) + 1.0f) / 2.0f * NP) % NP;
        while (!point_alive[r->dst]);
        if (i % 17 == 0) r->dst = r->src;
        r->label = (int)((qvt_rand(seed) + 1.0f) * 1.5f) % 3;
        r->weight = 0.25f * (float)(1 + i % 7);
        r->alive = 1;
        qv_edge_init(&batch[i]);
        batch[i].id = r->id;
        batch[i].source = r->src;
        batch[i].target = r->dst;
        batch[i].label = (const uint8_t *)LABELS[r->label];
        batch[i].label_len = 1;
        batch[i].weight = r->weight;
        if (i % 5 == 0) {
            int len = snprintf(props[i], sizeof props[i], "{ \"n\" : %d }", i);
            batch[i].properties_json = (const uint8_t *)props[i];
            batch[i].properties_len = (uint64_t)len;
        }
    }
    OK(qv_collection_add_edges(c, batch, (size_t)count, ERR));
    ne += count;
}

static qv_collection *open_coll(qv_database **db, const char *path) {
    *db = qvt_open_db(path);
    if (*db == NULL) return NULL;
    qv_collection *c = NULL;
    OK(qv_database_open_collection(*db, (const uint8_t *)"g", 1, &c, ERR));
    return c;
}

void test_graph(void) {
    static char path[4096];
    snprintf(path, sizeof path, "%s", qvt_path("graph"));
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "g", DIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) return;
    uint64_t ids[NP], offs[NP + 1];
    float vecs[NP * DIM];
    char data[NP * 24];
    size_t len = 0;
    offs[0] = 0;
    for (int i = 0; i < NP; i++) {
        ids[i] = (uint64_t)i;
        vecs[i * DIM] = (float)i;
        vecs[i * DIM + 1] = (float)(i % 5);
        len += (size_t)snprintf(data + len, sizeof data - len, "{\"even\":%s}",
                                i % 2 ? "false" : "true");
        offs[i + 1] = len;
        point_alive[i] = 1;
    }
    OK(qv_collection_upsert(c, ids, NP, vecs, NP * DIM, offs, (const uint8_t *)data, len, ERR));
    uint64_t seed = 5;
    add_random_edges(c, &seed, NE / 2, 1);
    OK(qv_collection_checkpoint(c, ERR));
    add_random_edges(c, &seed, NE / 2, 1001);
    check_all(c, 1);

    /* Properties byte for byte; get in the order asked, missing left out. */
    uint64_t want_ids[3] = {E[5].id, 999999, E[0].id};
    qv_edges *es = NULL;
    OK(qv_collection_get_edges(c, want_ids, 3, &es, ERR));
    CHECK_EQ_U64(qv_edges_count(es), 2);
    qv_edge e;
    OK(qv_edges_get(es, 0, &e, ERR));
    CHECK_EQ_U64(e.id, E[5].id);
    CHECK(e.properties_json != NULL && e.properties_len == strlen("{ \"n\" : 5 }") &&
          memcmp(e.properties_json, "{ \"n\" : 5 }", e.properties_len) == 0);
    OK(qv_edges_get(es, 1, &e, ERR));
    CHECK_EQ_U64(e.id, E[0].id);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_edges_get(es, 2, &e, ERR));
    qv_edges_free(es);

    /* Errors change nothing. */
    qv_edge bad[2];
    qv_edge_init(&bad[0]);
    bad[0].id = 5000;
    bad[0].source = 1;
    bad[0].target = 2;
    bad[0].label = (const uint8_t *)"a";
    bad[0].label_len = 1;
    bad[1] = bad[0];
    bad[1].id = 5001;
    bad[1].target = 777;
    FAILS(QV_ERR_NOT_FOUND, qv_collection_add_edges(c, bad, 2, ERR));
    CHECK_MESSAGE_HAS("edges[1] (id 5001): its target point 777");
    bad[1].target = 3;
    bad[1].weight = -1.0f;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_add_edges(c, bad, 2, ERR));
    bad[1].weight = 1.0f;
    bad[1].label_len = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_add_edges(c, bad, 2, ERR));
    bad[1].label_len = 1;
    bad[1].properties_json = (const uint8_t *)"[1]";
    bad[1].properties_len = 3;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_add_edges(c, bad, 2, ERR));
    bad[1].properties_json = NULL;
    bad[1].properties_len = 0;
    bad[1].reserved = 1;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_add_edges(c, bad, 2, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_add_edges(c, NULL, 2, ERR));
    qv_traverse_params tp;
    qv_traverse_params_init(&tp);
    uint64_t s0 = 0, missing = 555;
    qv_traversal *tr = (qv_traversal *)&tp;
    FAILS(QV_ERR_NOT_FOUND, qv_collection_traverse(c, &missing, 1, &tp, &tr, ERR));
    CHECK(tr == NULL);
    tp.max_depth = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_traverse(c, &s0, 1, &tp, &tr, ERR));
    tp.max_depth = 2;
    tp.direction = 7;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_traverse(c, &s0, 1, &tp, &tr, ERR));
    CHECK_MESSAGE_HAS("params.direction is 7");
    tp.direction = 0;
    tp.struct_size = 8;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_traverse(c, &s0, 1, &tp, &tr, ERR));
    qv_path_params pp;
    qv_path_params_init(&pp);
    pp.weighted = 1;
    pp.max_depth = 2;
    qv_path *found = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_shortest_path(c, 0, 1, &pp, &found, ERR));
    CHECK(found == NULL);
    FAILS(QV_ERR_NOT_FOUND, qv_collection_shortest_path(c, 0, 555, NULL, &found, ERR));
    CHECK_MESSAGE_HAS("to: point 555 is not in collection");
    CHECK(found == NULL);
    /* Reads with a label no edge can have are refused, not empty. */
    char long_label[257];
    memset(long_label, 'x', sizeof long_label);
    qv_edges *none = NULL;
    uint64_t din = 9, dout = 9;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_find_edges(c, &s0, NULL, (const uint8_t *)"a\x01", 2, &none, ERR));
    CHECK(none == NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_degree(c, 0, (const uint8_t *)long_label, sizeof long_label, &din, &dout, ERR));
    CHECK_MESSAGE_HAS("257 bytes");
    check_all(c, 2);

    /* Remove some edges; delete two points (their edges go). */
    uint64_t gone[4] = {E[1].id, E[2].id, E[90].id, 424242};
    uint64_t removed = 0;
    OK(qv_collection_remove_edges(c, gone, 4, &removed, ERR));
    CHECK_EQ_U64(removed, 3);
    E[1].alive = E[2].alive = E[90].alive = 0;
    uint64_t dead[2] = {7, 8}, deleted = 0;
    OK(qv_collection_delete(c, dead, 2, &deleted, ERR));
    for (int d = 0; d < 2; d++) {
        point_alive[dead[d]] = 0;
        for (int i = 0; i < ne; i++)
            if (E[i].src == dead[d] || E[i].dst == dead[d]) E[i].alive = 0;
    }
    check_all(c, 3);

    /* Schema: only "a" and "c"; "a" from even points. */
    const char *schema = "{\"labels\": {\"a\": {\"source\": {\"field\": \"even\", \"eq\": true}}, \"c\": {}}}";
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_set_graph_schema(c, (const uint8_t *)schema, strlen(schema), ERR));
    CHECK_MESSAGE_HAS("existing edge");
    qv_strings *sch = NULL;
    OK(qv_collection_get_graph_schema(c, &sch, ERR));
    CHECK_EQ_U64(qv_strings_count(sch), 0);
    qv_strings_free(sch);
    qv_database_close(db, ERR);
    qv_collection_free(c);
    qv_database_free(db);

    /* Durable: everything again after reopen. */
    c = open_coll(&db, path);
    if (c == NULL) return;
    check_all(c, 4);
    /* Remove every edge the schema would refuse, then set it. */
    for (int i = 0; i < ne; i++)
        if (E[i].alive && (E[i].label == 1 || (E[i].label == 0 && E[i].src % 2 != 0))) {
            OK(qv_collection_remove_edges(c, &E[i].id, 1, NULL, ERR));
            E[i].alive = 0;
        }
    OK(qv_collection_set_graph_schema(c, (const uint8_t *)schema, strlen(schema), ERR));
    bad[0].source = 3; /* odd: refused for "a" */
    bad[1] = bad[0];
    bad[1].reserved = 0;
    bad[1].id = 5001;
    bad[1].source = 2;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_add_edges(c, bad, 2, ERR));
    CHECK_MESSAGE_HAS("does not match the schema's source filter");
    bad[0].label = (const uint8_t *)"b";
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_add_edges(c, bad, 2, ERR));
    CHECK_MESSAGE_HAS("is not in the graph schema");
    check_all(c, 5);
    OK(qv_collection_get_graph_schema(c, &sch, ERR));
    CHECK_EQ_U64(qv_strings_count(sch), 1);
    qv_strings_free(sch);

    /* Graph + vector: ranked traversal against a brute force here. */
    qv_traverse_params_init(&tp);
    tp.direction = QV_DIRECTION_BOTH;
    tp.max_depth = 3;
    uint64_t start = 0;
    while (!point_alive[start]) start++;
    tparams rt = {QV_BFS, 2, 1, 3, 1000, -1, -1, 0};
    static rvisit reached[MAXV];
    int nr = reference(&rt, &start, 1, reached);
    float q[DIM] = {10.3f, 2.0f};
    OK(qv_collection_traverse_ranked(c, &start, 1, &tp, q, DIM, 3, &tr, ERR));
    int want_n = nr < 3 ? nr : 3;
    CHECK_EQ_U64(qv_traversal_count(tr), want_n);
    float prev = -1.0f;
    for (int i = 0; i < (int)qv_traversal_count(tr); i++) {
        qv_visit v;
        OK(qv_traversal_get(tr, (size_t)i, &v, ERR));
        CHECK_EQ_U64(v.has_score, 1);
        float dx = (float)v.id - q[0], dy = (float)(v.id % 5) - q[1];
        CHECK_NEAR(v.score, sqrtf(dx * dx + dy * dy), 1e-4);
        CHECK(v.score >= prev);
        prev = v.score;
        /* Fewer than k points reached are closer than the last kept. */
        if (i == want_n - 1) {
            int closer = 0;
            for (int r = 0; r < nr; r++) {
                float ex = (float)reached[r].id - q[0], ey = (float)(reached[r].id % 5) - q[1];
                closer += sqrtf(ex * ex + ey * ey) < v.score - 1e-4f;
            }
            CHECK(closer < want_n);
        }
    }
    qv_traversal_free(tr);
    qv_search_params sp;
    qv_search_params_init(&sp);
    sp.k = 3;
    sp.exact = 1;
    qv_traverse_params_init(&tp);
    tp.min_depth = 0;
    OK(qv_collection_search_expand(c, q, DIM, &sp, &tp, &tr, ERR));
    CHECK(qv_traversal_count(tr) >= 3);
    for (size_t i = 0; i < qv_traversal_count(tr); i++) {
        qv_visit v;
        OK(qv_traversal_get(tr, i, &v, ERR));
        CHECK_EQ_U64(v.has_score, 1);
        if (v.depth == 0) CHECK_EQ_U64(v.id, v.origin);
    }
    /* The same walk from the hits of a search the caller ran: equal to
     * search_expand's, visit for visit, score bit for bit. */
    qv_traversal *se = tr;
    uint64_t hit_ids[4];
    float hit_scores[4];
    uint32_t nhits = 0;
    OK(qv_collection_search(c, q, 1, DIM, &sp, hit_ids, hit_scores, 3, &nhits, ERR));
    CHECK_EQ_U64(nhits, 3);
    qv_traversal *eh = NULL;
    OK(qv_collection_expand_hits(c, hit_ids, hit_scores, nhits, &tp, &eh, ERR));
    CHECK_EQ_U64(qv_traversal_count(eh), qv_traversal_count(se));
    /* Without scores; with an id that is not a point first (skipped). */
    uint64_t ids2[4] = {999999, hit_ids[0], hit_ids[1], hit_ids[2]};
    qv_traversal *ns = NULL;
    OK(qv_collection_expand_hits(c, ids2, NULL, 4, &tp, &ns, ERR));
    CHECK_EQ_U64(qv_traversal_count(ns), qv_traversal_count(se));
    for (size_t i = 0; i < qv_traversal_count(se) && i < qv_traversal_count(eh) &&
                       i < qv_traversal_count(ns);
         i++) {
        qv_visit a, b, n0;
        OK(qv_traversal_get(se, i, &a, ERR));
        OK(qv_traversal_get(eh, i, &b, ERR));
        OK(qv_traversal_get(ns, i, &n0, ERR));
        CHECK_EQ_U64(b.id, a.id);
        CHECK_EQ_U64(b.origin, a.origin);
        CHECK_EQ_U64(b.depth, a.depth);
        CHECK_EQ_U64(b.has_score, 1);
        CHECK(memcmp(&b.score, &a.score, sizeof a.score) == 0);
        CHECK_EQ_U64(b.path_len, a.path_len);
        if (b.path_len == a.path_len && a.path_len > 0)
            CHECK(memcmp(b.path, a.path, a.path_len * sizeof *a.path) == 0);
        CHECK_EQ_U64(n0.id, a.id);
        CHECK_EQ_U64(n0.origin, a.origin);
        CHECK_EQ_U64(n0.has_score, 0);
    }
    qv_traversal_free(ns);
    qv_traversal_free(eh);
    hit_scores[1] = NAN;
    eh = (qv_traversal *)&tp;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_expand_hits(c, hit_ids, hit_scores, nhits, &tp, &eh, ERR));
    CHECK_MESSAGE_HAS("scores[1] is NaN");
    CHECK(eh == NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_expand_hits(c, NULL, NULL, 2, &tp, &eh, ERR));
    OK(qv_collection_expand_hits(c, NULL, NULL, 0, &tp, &eh, ERR));
    CHECK_EQ_U64(qv_traversal_count(eh), 0);
    qv_traversal_free(eh);
    qv_traversal_free(se);
    qv_edges_free(NULL);
    qv_traversal_free(NULL);
    qv_path_free(NULL);
    OK(qv_database_close(db, ERR));
    qv_collection_free(c);
    qv_database_free(db);
}
