/*
 * test_hybrid.c: hybrid search (a dense and a text branch, fused) and
 * multi-query search through the C ABI: the fused order and scores equal
 * reciprocal rank fusion computed here from the branches' own results
 * (qv_collection_search_results, qv_collection_text_search); a single
 * branch keeps its order; average multi-query fusion against a
 * computation here; and the errors.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <math.h>
#include <stdlib.h>

enum { N = 60, DIM = 4, DEPTH = 20 };

static const char *WORDS[] = {"red", "fish", "blue", "cat", "green", "tree"};

static void upsert(qv_collection *c, float *vecs) {
    static char data[N * 96];
    uint64_t ids[N], offs[N + 1];
    size_t len = 0;
    offs[0] = 0;
    uint64_t seed = 5;
    for (uint64_t i = 0; i < N; i++) {
        ids[i] = i;
        for (int k = 0; k < DIM; k++) vecs[i * DIM + k] = qvt_rand(&seed);
        len += (size_t)snprintf(data + len, sizeof data - len, "{\"body\":\"%s %s\"}",
                                WORDS[i % 6], WORDS[(i / 6) % 6]);
        offs[i + 1] = len;
    }
    OK(qv_collection_upsert(c, ids, N, vecs, N * DIM, offs, (const uint8_t *)data, len, ERR));
}

/* Adds weight / (k + rank) for each hit of one query of `r` into `fused`. */
static void add_rrf(const qv_results *r, double weight, double k, double *fused) {
    qv_results_view v;
    OK(qv_results_get_view(r, &v, ERR));
    for (uint64_t j = 0; j < v.offsets[1]; j++) fused[v.ids[j]] += weight / (k + (double)j + 1);
}

/* Checks that `r` holds the best `k` of `fused` (ties by id), best first. */
static void check_fused(const qv_results *r, const double *fused, uint64_t k) {
    qv_results_view v;
    OK(qv_results_get_view(r, &v, ERR));
    uint64_t order[N];
    uint64_t n = 0;
    for (uint64_t i = 0; i < N; i++)
        if (fused[i] > 0) order[n++] = i;
    for (uint64_t a = 1; a < n; a++)
        for (uint64_t b = a; b > 0 && (fused[order[b]] > fused[order[b - 1]] + 1e-9 ||
                                       (fabs(fused[order[b]] - fused[order[b - 1]]) <= 1e-9 &&
                                        order[b] < order[b - 1]));
             b--) {
            uint64_t t = order[b];
            order[b] = order[b - 1], order[b - 1] = t;
        }
    CHECK_EQ_U64(v.offsets[1], n < k ? n : k);
    for (uint64_t j = 0; j < v.offsets[1]; j++) {
        CHECK_NEAR(v.scores[j], fused[order[j]], 1e-6);
        CHECK_NEAR(fused[v.ids[j]], fused[order[j]], 1e-6);
    }
}

void test_hybrid_search(void) {
    static float vecs[N * DIM];
    const char *path = qvt_path("hybrid");
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "h", DIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) return;
    upsert(c, vecs);
    OK(qv_collection_create_text_index(c, (const uint8_t *)"body", 4, NULL, ERR));

    qv_search_params sp;
    qv_search_params_init(&sp);
    sp.k = DEPTH;
    sp.exact = 1;
    qv_text_field body = {(const uint8_t *)"body", 4, 1.0f, 0};
    qv_text_search_params tp;
    qv_text_search_params_init(&tp);
    tp.k = DEPTH;
    tp.fields = &body;
    tp.nfields = 1;
    const char *text = "fish cat";
    const float *q = &vecs[7 * DIM];

    qv_hybrid_branch br[2];
    qv_hybrid_branch_init(&br[0]);
    qv_hybrid_branch_init(&br[1]);
    CHECK_NEAR(br[0].weight, 1.0, 0);
    br[0].kind = QV_BRANCH_DENSE;
    br[0].vector = q;
    br[0].dim = DIM;
    br[0].search = &sp;
    br[1].kind = QV_BRANCH_TEXT;
    br[1].query = (const uint8_t *)text;
    br[1].query_len = strlen(text);
    br[1].text = &tp;
    br[1].weight = 2.0f;
    qv_hybrid_params hp;
    qv_hybrid_params_init(&hp);
    CHECK_EQ_U64(hp.fusion, QV_FUSION_RRF);
    CHECK_NEAR(hp.rrf_k, 60, 0);
    hp.k = 8;
    hp.branches = br;
    hp.nbranches = 2;

    /* The branches alone, then RRF computed here. */
    qv_results *dense = NULL, *words = NULL, *r = NULL;
    OK(qv_collection_search_results(c, q, 1, DIM, &sp, &dense, ERR));
    OK(qv_collection_text_search(c, (const uint8_t *)text, strlen(text), &tp, &words, ERR));
    double fused[N] = {0};
    add_rrf(dense, 1.0, 60, fused);
    add_rrf(words, 2.0, 60, fused);
    OK(qv_collection_hybrid_search(c, &hp, &r, ERR));
    check_fused(r, fused, 8);
    qv_results_free(r);
    hp.rrf_k = 3;
    for (int i = 0; i < N; i++) fused[i] = 0;
    add_rrf(dense, 1.0, 3, fused);
    add_rrf(words, 2.0, 3, fused);
    hp.with_payload = 1;
    OK(qv_collection_hybrid_search(c, &hp, &r, ERR));
    check_fused(r, fused, 8);
    qv_results_view v;
    OK(qv_results_get_view(r, &v, ERR));
    CHECK(v.payload_offsets[1] > v.payload_offsets[0]);
    qv_results_free(r);
    hp.with_payload = 0;

    /* One dense branch keeps the search's order. */
    hp.nbranches = 1;
    hp.k = DEPTH;
    OK(qv_collection_hybrid_search(c, &hp, &r, ERR));
    qv_results_view dv;
    OK(qv_results_get_view(r, &v, ERR));
    OK(qv_results_get_view(dense, &dv, ERR));
    CHECK_EQ_U64(v.offsets[1], dv.offsets[1]);
    for (uint64_t j = 0; j < v.offsets[1]; j++) CHECK_EQ_U64(v.ids[j], dv.ids[j]);
    qv_results_free(r);
    hp.nbranches = 2;
    hp.k = 8;

    /* Multi-query, average: two vectors, means over the lists holding a
     * point (distances stay distances, smallest first). */
    float two[2 * DIM];
    memcpy(two, q, sizeof(float) * DIM);
    memcpy(two + DIM, &vecs[30 * DIM], sizeof(float) * DIM);
    qv_results *second = NULL;
    OK(qv_collection_search_results(c, two + DIM, 1, DIM, &sp, &second, ERR));
    qv_multi_query_params mp;
    qv_multi_query_params_init(&mp);
    CHECK_EQ_U64(mp.fusion, QV_MULTI_RRF);
    mp.fusion = QV_MULTI_AVERAGE;
    double sum[N] = {0}, cnt[N] = {0};
    qv_results_view sv;
    OK(qv_results_get_view(second, &sv, ERR));
    for (uint64_t j = 0; j < dv.offsets[1]; j++) sum[dv.ids[j]] += dv.scores[j], cnt[dv.ids[j]]++;
    for (uint64_t j = 0; j < sv.offsets[1]; j++) sum[sv.ids[j]] += sv.scores[j], cnt[sv.ids[j]]++;
    qv_search_params mq = sp;
    mq.k = 5;
    mp.candidates = DEPTH;
    OK(qv_collection_multi_query_search(c, two, 2, DIM, &mq, &mp, &r, ERR));
    OK(qv_results_get_view(r, &v, ERR));
    CHECK_EQ_U64(v.offsets[1], 5);
    for (uint64_t j = 0; j < v.offsets[1]; j++) {
        uint64_t id = v.ids[j];
        CHECK(cnt[id] > 0);
        CHECK_NEAR(v.scores[j], sum[id] / cnt[id], 1e-5);
        /* No point outside the result has a smaller mean distance. */
        for (uint64_t i = 0; i < N; i++) {
            int in = 0;
            for (uint64_t x = 0; x < v.offsets[1]; x++) in |= v.ids[x] == i;
            if (!in && cnt[i] > 0) CHECK(sum[i] / cnt[i] >= v.scores[v.offsets[1] - 1] - 1e-6);
        }
    }
    qv_results_free(r);
    qv_results_free(second);
    qv_results_free(dense);
    qv_results_free(words);

    /* Errors. */
    hp.nbranches = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    CHECK_MESSAGE_HAS("params.nbranches is 0");
    CHECK(r == NULL);
    hp.nbranches = 2;
    br[1].kind = 9;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    CHECK_MESSAGE_HAS("params.branches[1].kind is 9");
    br[1].kind = QV_BRANCH_TEXT;
    body.boost = -2;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    CHECK_MESSAGE_HAS("branches[1]");
    body.boost = 1;
    br[0].dim = 3;
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_hybrid_search(c, &hp, &r, ERR));
    br[0].dim = DIM;
    br[0].weight = NAN;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    CHECK_MESSAGE_HAS("weight");
    br[0].weight = 1;
    br[0].struct_size = 8;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    CHECK_MESSAGE_HAS("qv_hybrid_branch_init");
    qv_hybrid_branch_init(&br[0]);
    br[0].kind = QV_BRANCH_DENSE, br[0].vector = q, br[0].dim = DIM, br[0].search = &sp;
    hp.fusion = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    CHECK_MESSAGE_HAS("params.fusion is 0");
    hp.fusion = QV_FUSION_RRF;
    hp.rrf_k = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    hp.rrf_k = 60;
    hp.k = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &r, ERR));
    hp.k = 8;
    for (uint32_t f = QV_FUSION_RRF; f <= QV_FUSION_WEIGHTED; f++) {
        hp.fusion = f;
        OK(qv_collection_hybrid_search(c, &hp, &r, ERR));
        OK(qv_results_get_view(r, &v, ERR));
        CHECK_EQ_U64(v.offsets[1], 8);
        qv_results_free(r);
    }
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, NULL, &r, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, NULL, ERR));
    mp.fusion = QV_MULTI_WEIGHTED;
    float w[1] = {1};
    mp.weights = w;
    mp.nweights = 1;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_multi_query_search(c, two, 2, DIM, &mq, &mp, &r, ERR));
    CHECK_MESSAGE_HAS("weights");
    mp.fusion = 7;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_multi_query_search(c, two, 2, DIM, &mq, &mp, &r, ERR));
    CHECK_MESSAGE_HAS("multi.fusion is 7");
    mp.fusion = QV_MULTI_MAX;
    mp.candidates = 2;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_multi_query_search(c, two, 2, DIM, &mq, &mp, &r, ERR));
    CHECK_MESSAGE_HAS("candidates is 2");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_multi_query_search(c, two, 0, DIM, &mq, NULL, &r, ERR));
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_multi_query_search(c, two, 2, 3, &mq, NULL, &r, ERR));
    OK(qv_collection_multi_query_search(c, two, 2, DIM, &mq, NULL, &r, ERR));
    qv_results_free(r);

    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
