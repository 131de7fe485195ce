/*
 * test_search.c: both result modes (caller arrays with QV_NO_ID / NaN
 * sentinels, owned qv_results with payloads), batch search equal to single
 * searches, and the score of each metric.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <math.h>
#include <stdlib.h>

enum { N = 40, DIM = 8 };

static const uint64_t RED[3] = {5, 17, 33};

static int contains(const uint8_t *hay, size_t len, const char *needle) {
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp(hay + i, needle, nl) == 0) return 1;
    return 0;
}

static int is_red(uint64_t id) { return id == RED[0] || id == RED[1] || id == RED[2]; }

/* Payload of point `id` (compact, sorted keys: as the library writes it). */
static size_t payload_for(char *buf, size_t cap, uint64_t id) {
    if (id == 7) return 0; /* point 7 has no payload */
    return (size_t)snprintf(buf, cap, "{\"color\":\"%s\",\"id\":%llu}", is_red(id) ? "red" : "blue",
                            (unsigned long long)id);
}

/* A collection "s" of N points with ids 0..N-1 in a fresh database. */
static qv_collection *fill(qv_database **db, const char *name, float *vecs) {
    *db = qvt_open_db(qvt_path(name));
    if (*db == NULL) return NULL;
    qv_collection *c = qvt_create(*db, "s", DIM, QV_METRIC_COSINE);
    if (c == NULL) return NULL;
    uint64_t ids[N], offs[N + 1];
    char data[N * 64];
    size_t len = 0;
    uint64_t seed = 3;
    offs[0] = 0;
    for (size_t i = 0; i < N; i++) {
        ids[i] = i;
        for (size_t d = 0; d < DIM; d++) vecs[i * DIM + d] = qvt_rand(&seed);
        len += payload_for(data + len, sizeof data - len, i);
        offs[i + 1] = len;
    }
    OK(qv_collection_upsert(c, ids, N, vecs, N * DIM, offs, (const uint8_t *)data, len, ERR));
    return c;
}

static void done(qv_database *db, qv_collection *c) {
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

void test_search_caller_arrays(void) {
    float vecs[N * DIM];
    qv_database *db = NULL;
    qv_collection *c = fill(&db, "arrays", vecs);
    if (c == NULL) goto out;
    const char *red = "{\"field\": \"color\", \"eq\": \"red\"}";

    /* A filter that matches 3 points with k = 10, two queries: 3 hits each,
     * slots 3..9 of each row set to QV_NO_ID / NaN. */
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = 10;
    p.filter_json = (const uint8_t *)red;
    p.filter_len = strlen(red);
    for (int exact = 0; exact <= 1; exact++) {
        p.exact = (uint32_t)exact;
        uint64_t ids[20];
        float scores[20];
        uint32_t counts[2] = {99, 99};
        memset(ids, 0xab, sizeof ids);
        memset(scores, 0xab, sizeof scores);
        OK(qv_collection_search(c, vecs, 2, DIM, &p, ids, scores, 20, counts, ERR));
        for (size_t q = 0; q < 2; q++) {
            CHECK_EQ_U64(counts[q], 3);
            for (size_t j = 0; j < 3; j++) {
                CHECK(is_red(ids[q * 10 + j]));
                CHECK(!isnan(scores[q * 10 + j]));
                if (j > 0) CHECK(scores[q * 10 + j] <= scores[q * 10 + j - 1]);
            }
            CHECK(ids[q * 10] != ids[q * 10 + 1] && ids[q * 10 + 1] != ids[q * 10 + 2]);
            for (size_t j = 3; j < 10; j++) {
                CHECK(ids[q * 10 + j] == QV_NO_ID);
                CHECK(isnan(scores[q * 10 + j]));
            }
        }
    }

    /* No filter: k hits, best first; the query's own point first with score ~1. */
    p.filter_json = NULL;
    p.filter_len = 0;
    p.exact = 0;
    uint64_t ids[50];
    float scores[50];
    uint32_t count = 0;
    OK(qv_collection_search(c, &vecs[9 * DIM], 1, DIM, &p, ids, scores, 10, &count, ERR));
    CHECK_EQ_U64(count, 10);
    CHECK_EQ_U64(ids[0], 9);
    CHECK_NEAR(scores[0], 1.0, 1e-5);
    for (size_t j = 1; j < 10; j++) CHECK(scores[j] <= scores[j - 1] && ids[j] != QV_NO_ID);

    /* Graph and exact search agree on this small collection. */
    uint64_t ex_ids[10];
    float ex_scores[10];
    p.exact = 1;
    OK(qv_collection_search(c, &vecs[9 * DIM], 1, DIM, &p, ex_ids, ex_scores, 10, &count, ERR));
    CHECK(memcmp(ids, ex_ids, sizeof ex_ids) == 0);
    p.exact = 0;

    /* k larger than the collection: every point once, then sentinels. out_len
     * may exceed nq * k. */
    p.k = 45;
    OK(qv_collection_search(c, vecs, 1, DIM, &p, ids, scores, 50, &count, ERR));
    CHECK_EQ_U64(count, N);
    for (size_t j = N; j < 45; j++) CHECK(ids[j] == QV_NO_ID && isnan(scores[j]));
    int seen[N] = {0};
    for (size_t j = 0; j < N; j++)
        if (ids[j] < N) seen[ids[j]]++;
    for (size_t i = 0; i < N; i++) CHECK_EQ_U64(seen[i], 1);

    /* A per-call ef (smaller than k is raised to k). */
    p.k = 5;
    p.ef = 2;
    OK(qv_collection_search(c, vecs, 1, DIM, &p, ids, scores, 5, &count, ERR));
    CHECK_EQ_U64(count, 5);
    CHECK_EQ_U64(ids[0], 0);

    /* Deleted points are not found. */
    uint64_t del = 0;
    OK(qv_collection_delete(c, &del, 1, NULL, ERR));
    OK(qv_collection_search(c, vecs, 1, DIM, &p, ids, scores, 5, &count, ERR));
    for (size_t j = 0; j < count; j++) CHECK(ids[j] != 0);
out:
    done(db, c);
}

void test_search_owned_results(void) {
    float vecs[N * DIM];
    qv_database *db = NULL;
    qv_collection *c = fill(&db, "owned", vecs);
    if (c == NULL) goto out;

    /* Three queries, k = 5, with payloads: same hits as the caller-array mode. */
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = 5;
    p.with_payload = 1;
    const float *qs = &vecs[5 * DIM]; /* points 5, 6, 7 (7 has no payload) */
    qv_results *r = NULL;
    OK(qv_collection_search_results(c, qs, 3, DIM, &p, &r, ERR));
    qv_results_view v;
    memset(&v, 0, sizeof v);
    OK(qv_results_get_view(r, &v, ERR));
    uint64_t ids[15];
    float scores[15];
    uint32_t counts[3];
    OK(qv_collection_search(c, qs, 3, DIM, &p, ids, scores, 15, counts, ERR));
    CHECK_EQ_U64(v.num_queries, 3);
    CHECK_EQ_U64(v.num_hits, 15);
    if (v.num_queries == 3 && v.num_hits == 15) {
        for (size_t q = 0; q < 3; q++) {
            CHECK_EQ_U64(v.offsets[q], q * 5);
            CHECK_EQ_U64(v.offsets[q + 1] - v.offsets[q], counts[q]);
            CHECK_EQ_U64(v.ids[v.offsets[q]], 5 + q); /* its own point first */
        }
        CHECK_EQ_U64(v.payload_offsets[0], 0);
        CHECK_EQ_U64(v.payload_offsets[15], v.payload_data_len);
        for (size_t j = 0; j < 15; j++) {
            CHECK_EQ_U64(v.ids[j], ids[j]);
            CHECK(v.scores[j] == scores[j]);
            char want[64];
            size_t wl = payload_for(want, sizeof want, v.ids[j]);
            uint64_t a = v.payload_offsets[j], b = v.payload_offsets[j + 1];
            qvt_checks++;
            if (b - a != wl || memcmp(v.payload_data + a, want, wl) != 0)
                qvt_fail(__FILE__, __LINE__, "payload of hit %zu (id %llu): \"%.*s\", expected \"%.*s\"",
                         j, (unsigned long long)v.ids[j], (int)(b - a),
                         (const char *)v.payload_data + a, (int)wl, want);
        }
    }
    qv_results_free(r);

    /* Without payloads: every payload range is empty. */
    p.with_payload = 0;
    r = NULL;
    OK(qv_collection_search_results(c, qs, 2, DIM, &p, &r, ERR));
    if (OK(qv_results_get_view(r, &v, ERR)) == QV_OK) {
        CHECK(v.num_queries == 2 && v.num_hits == 10 && v.payload_data_len == 0);
        for (size_t j = 0; j <= v.num_hits; j++) CHECK_EQ_U64(v.payload_offsets[j], 0);
    }
    qv_results_free(r);

    /* A filter matching 3 points with k = 10: rows of 3. */
    const char *red = "{\"field\": \"color\", \"eq\": \"red\"}";
    p.k = 10;
    p.with_payload = 1;
    p.filter_json = (const uint8_t *)red;
    p.filter_len = strlen(red);
    r = NULL;
    OK(qv_collection_search_results(c, qs, 2, DIM, &p, &r, ERR));
    if (OK(qv_results_get_view(r, &v, ERR)) == QV_OK) {
        CHECK(v.num_queries == 2 && v.num_hits == 6);
        CHECK(v.offsets[0] == 0 && v.offsets[1] == 3 && v.offsets[2] == 6);
        for (size_t j = 0; j < v.num_hits; j++) {
            CHECK(is_red(v.ids[j]));
            uint64_t a = v.payload_offsets[j], b = v.payload_offsets[j + 1];
            CHECK(b > a && contains(v.payload_data + a, b - a, "\"red\""));
        }
    }
    qv_results_free(r);

    /* A filter matching nothing: zero hits, the view is still well formed. */
    const char *none = "{\"field\": \"color\", \"eq\": \"green\"}";
    p.filter_json = (const uint8_t *)none;
    p.filter_len = strlen(none);
    r = NULL;
    OK(qv_collection_search_results(c, qs, 1, DIM, &p, &r, ERR));
    if (OK(qv_results_get_view(r, &v, ERR)) == QV_OK)
        CHECK(v.num_queries == 1 && v.num_hits == 0 && v.offsets[0] == 0 && v.offsets[1] == 0 &&
              v.payload_data_len == 0);
    /* Empty arrays come back as NULL, never as a dangling non-NULL pointer. */
    CHECK(v.ids == NULL && v.scores == NULL && v.payload_data == NULL && v.payload_offsets != NULL);
    qv_results_free(r);
out:
    done(db, c);
}

/* Runs `nq` queries as one batch and one by one; all must agree exactly. */
static void compare_batch(const qv_collection *c, const float *qs, size_t nq, size_t dim,
                          const qv_search_params *p) {
    size_t k = p->k;
    uint64_t *bi = malloc(nq * k * sizeof *bi), *si = malloc(k * sizeof *si);
    float *bs = malloc(nq * k * sizeof *bs), *ss = malloc(k * sizeof *ss);
    uint32_t *bc = malloc(nq * sizeof *bc), sc = 0;
    if (!bi || !si || !bs || !ss || !bc) abort();
    OK(qv_collection_search(c, qs, nq, dim, p, bi, bs, nq * k, bc, ERR));
    size_t mismatches = 0;
    for (size_t q = 0; q < nq; q++) {
        OK(qv_collection_search(c, qs + q * dim, 1, dim, p, si, ss, k, &sc, ERR));
        if (sc != bc[q]) mismatches++;
        for (size_t j = 0; j < sc && j < bc[q]; j++)
            if (si[j] != bi[q * k + j] || ss[j] != bs[q * k + j]) mismatches++;
    }
    qvt_checks++;
    if (mismatches)
        qvt_fail(__FILE__, __LINE__, "batch of %zu queries (exact %u, filter %s) differs from "
                 "single searches in %zu places", nq, p->exact, p->filter_len ? "yes" : "no",
                 mismatches);
    /* The owned-results mode of the same batch. */
    qv_results *r = NULL;
    qv_results_view v;
    OK(qv_collection_search_results(c, qs, nq, dim, p, &r, ERR));
    if (OK(qv_results_get_view(r, &v, ERR)) == QV_OK && v.num_queries == nq) {
        mismatches = 0;
        for (size_t q = 0; q < nq; q++) {
            if (v.offsets[q + 1] - v.offsets[q] != bc[q]) mismatches++;
            for (size_t j = 0; j < bc[q] && v.offsets[q] + j < v.num_hits; j++)
                if (v.ids[v.offsets[q] + j] != bi[q * k + j] || v.scores[v.offsets[q] + j] != bs[q * k + j])
                    mismatches++;
        }
        CHECK_EQ_U64(mismatches, 0);
    }
    qv_results_free(r);
    free(bi);
    free(si);
    free(bs);
    free(ss);
    free(bc);
}

void test_batch_equals_single(void) {
    const size_t n = qvt_quick ? 150 : 1000, dim = 16, nq = qvt_quick ? 8 : 40;
    qv_database *db = qvt_open_db(qvt_path("batch"));
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "b", (uint32_t)dim, QV_METRIC_DOT);
    uint64_t *ids = malloc(n * sizeof *ids), *offs = malloc((n + 1) * sizeof *offs);
    float *vecs = malloc(n * dim * sizeof *vecs), *qs = malloc(nq * dim * sizeof *qs);
    char *data = malloc(n * 16);
    if (!ids || !offs || !vecs || !qs || !data) abort();
    uint64_t seed = 4;
    size_t len = 0;
    offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = i * 11;
        for (size_t d = 0; d < dim; d++) vecs[i * dim + d] = qvt_rand(&seed);
        len += (size_t)snprintf(data + len, 16, "{\"m\":%zu}", i % 10);
        offs[i + 1] = len;
    }
    for (size_t i = 0; i < nq * dim; i++) qs[i] = qvt_rand(&seed);
    OK(qv_collection_upsert(c, ids, n, vecs, n * dim, offs, (const uint8_t *)data, len, ERR));

    qv_search_params p;
    qv_search_params_init(&p);
    p.k = 7;
    p.ef = 32;
    compare_batch(c, qs, nq, dim, &p); /* graph */
    p.exact = 1;
    compare_batch(c, qs, nq, dim, &p); /* exact */
    const char *f = "{\"field\": \"m\", \"in\": [1, 2, 3]}";
    p.filter_json = (const uint8_t *)f;
    p.filter_len = strlen(f);
    compare_batch(c, qs, nq, dim, &p); /* exact, filtered */
    p.exact = 0;
    compare_batch(c, qs, nq, dim, &p); /* graph, filtered */

    /* A k so large that a batch is searched in several parts (of about
     * 2^18 hits each): the same results, and a bad query is named by its
     * index in the whole batch. */
    const size_t many = 40;
    float *mq = malloc(many * dim * sizeof *mq);
    if (mq == NULL) abort();
    for (size_t i = 0; i < many * dim; i++) mq[i] = qvt_rand(&seed);
    p.filter_json = NULL;
    p.filter_len = 0;
    p.k = 20000;
    p.exact = 1;
    compare_batch(c, mq, many, dim, &p);
    p.exact = 0;
    compare_batch(c, mq, many, dim, &p);
    mq[37 * dim + 3] = NAN;
    qv_results *r = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, mq, many, dim, &p, &r, ERR));
    CHECK_MESSAGE_HAS("query 37");
    CHECK(r == NULL);
    mq[37 * dim + 3] = 3e38f;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, mq, many, dim, &p, &r, ERR));
    CHECK_MESSAGE_HAS("query 37");
    CHECK_MESSAGE_HAS("squared norm");
    free(mq);

    free(ids);
    free(offs);
    free(vecs);
    free(qs);
    free(data);
    done(db, c);
}

/* Searches `q` in a fresh collection of `n` points with `metric`; checks
 * the best id and its score. */
static void check_metric(uint32_t metric, const float *pts, size_t n, size_t dim, const float *q,
                         uint64_t best, float best_score, int higher_is_better) {
    qv_database *db = qvt_open_db(qvt_path("metric"));
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "m", (uint32_t)dim, metric);
    uint64_t ids[8];
    for (size_t i = 0; i < n; i++) ids[i] = i;
    OK(qv_collection_upsert(c, ids, n, pts, n * dim, NULL, NULL, 0, ERR));
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = (uint32_t)n;
    p.exact = 1;
    uint64_t hit[8];
    float sc[8];
    uint32_t cnt = 0;
    OK(qv_collection_search(c, q, 1, dim, &p, hit, sc, n, &cnt, ERR));
    CHECK_EQ_U64(cnt, n);
    CHECK_EQ_U64(hit[0], best);
    CHECK_NEAR(sc[0], best_score, 1e-5);
    for (size_t j = 1; j < cnt; j++) CHECK(higher_is_better ? sc[j] <= sc[j - 1] : sc[j] >= sc[j - 1]);
    done(db, c);
}

void test_metrics(void) {
    /* Euclidean: L2 distance, not squared; lower first. */
    const float e[6] = {3, 4, 10, 10, -1, 0};
    const float origin[2] = {0, 0};
    check_metric(QV_METRIC_EUCLIDEAN, e, 3, 2, origin, 2, 1.0f, 0);
    const float far[2] = {3, 9};
    check_metric(QV_METRIC_EUCLIDEAN, e, 3, 2, far, 0, 5.0f, 0);
    /* Dot product, higher first. */
    const float d[6] = {1, 2, 3, 1, -5, 0};
    const float dq[2] = {2, 1};
    check_metric(QV_METRIC_DOT, d, 3, 2, dq, 1, 7.0f, 1);
    /* Cosine similarity of the directions. */
    const float cq[2] = {2, 4};
    check_metric(QV_METRIC_COSINE, d, 3, 2, cq, 0, 1.0f, 1);
    /* Hamming: positions that differ, lower first. */
    const float h[12] = {1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1};
    const float hq[4] = {1, 1, 1, 0};
    check_metric(QV_METRIC_HAMMING, h, 3, 4, hq, 0, 1.0f, 0);
    /* Jaccard of the non-zero positions, higher first: {0,2} vs {0,1,2} = 2/3,
     * {} vs {0,1,2} = 0, {0,1,3} vs {0,1,2} = 2/4. */
    check_metric(QV_METRIC_JACCARD, h, 3, 4, hq, 0, 2.0f / 3.0f, 1);
}
