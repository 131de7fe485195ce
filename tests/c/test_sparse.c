/*
 * test_sparse.c: named sparse vectors through the C ABI. CSR upsert of two
 * names, read back sorted (qv_collection_get_sparse); exact search equal
 * to a brute-force dot product computed here, with and without a filter,
 * across a sealed and an appendable segment and after reopen; the
 * separate update; a sparse hybrid branch; and the errors, which change
 * nothing.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 300, DIM = 2, VOCAB = 40, MAXNNZ = 8 };

/* What the collection holds for name "a": row i of point i. */
static uint32_t a_idx[N][MAXNNZ];
static float a_val[N][MAXNNZ];
static int a_nnz[N];

/* A uniform number in [0, 1). */
static double unit(uint64_t *seed) { return (qvt_rand(seed) + 1.0) / 2.0; }

static void make_rows(uint64_t *indptr, uint32_t *indices, float *values) {
    uint64_t seed = 11;
    uint64_t at = 0;
    indptr[0] = 0;
    for (int i = 0; i < N; i++) {
        int nnz = (i % 10 == 0) ? 0 : 1 + (int)(unit(&seed) * (MAXNNZ - 1));
        a_nnz[i] = 0;
        for (int j = 0; j < nnz; j++) {
            uint32_t ix = (uint32_t)(unit(&seed) * VOCAB);
            int dup = 0;
            for (int k = 0; k < a_nnz[i]; k++) dup |= a_idx[i][k] == ix;
            if (dup) continue;
            float v = (float)(unit(&seed) * 4.0 - 1.0);
            a_idx[i][a_nnz[i]] = ix;
            a_val[i][a_nnz[i]] = v;
            a_nnz[i]++;
            indices[at] = ix;
            values[at] = v;
            at++;
        }
        indptr[i + 1] = at;
    }
}

/* The dot product of point i's "a" with the query, summed in ascending
 * index order; 0 in *shared when no index is shared. */
static float dot_a(int i, const uint32_t *qi, const float *qv, int qn, int *shared) {
    float s = 0.0f;
    *shared = 0;
    for (uint32_t ix = 0; ix < VOCAB; ix++) {
        int p = -1, q = -1;
        for (int k = 0; k < a_nnz[i]; k++)
            if (a_idx[i][k] == ix) p = k;
        for (int k = 0; k < qn; k++)
            if (qi[k] == ix) q = k;
        if (p >= 0 && q >= 0) {
            s += a_val[i][p] * qv[q];
            *shared = 1;
        }
    }
    return s;
}

/* Checks one search against brute force (odd ids only when `odd`). */
static void check_search(qv_collection *c, const uint32_t *qi, const float *qv, int qn,
                         uint32_t k, int odd) {
    qv_sparse_search_params p;
    qv_sparse_search_params_init(&p);
    p.k = k;
    p.name = (const uint8_t *)"a";
    p.name_len = 1;
    const char *f = "{\"field\": \"odd\", \"eq\": 1}";
    if (odd) {
        p.filter_json = (const uint8_t *)f;
        p.filter_len = strlen(f);
    }
    qv_results *r = NULL;
    OK(qv_collection_sparse_search(c, qi, qv, (size_t)qn, &p, &r, ERR));
    if (r == NULL) return;
    qv_results_view v;
    OK(qv_results_get_view(r, &v, ERR));
    /* Brute force: best first, ties by id. */
    uint64_t best[N];
    float score[N];
    uint64_t n = 0;
    for (int i = 0; i < N; i++) {
        int shared;
        float s = dot_a(i, qi, qv, qn, &shared);
        if (!shared || (odd && i % 2 == 0)) continue;
        uint64_t at = n++;
        while (at > 0 && (score[at - 1] < s)) {
            best[at] = best[at - 1];
            score[at] = score[at - 1];
            at--;
        }
        best[at] = (uint64_t)i;
        score[at] = s;
    }
    CHECK_EQ_U64(v.offsets[1], n < k ? n : k);
    for (uint64_t j = 0; j < v.offsets[1]; j++) {
        CHECK_EQ_U64(v.ids[j], best[j]);
        CHECK(v.scores[j] == score[j]);
    }
    qv_results_free(r);
}

static void searches(qv_collection *c) {
    uint64_t seed = 99;
    for (int round = 0; round < 12; round++) {
        uint32_t qi[6];
        float qv[6];
        int qn = 0;
        for (int j = 0; j < 6; j++) {
            uint32_t ix = (uint32_t)(unit(&seed) * VOCAB);
            int dup = 0;
            for (int k = 0; k < qn; k++) dup |= qi[k] == ix;
            if (dup) continue;
            qi[qn] = ix;
            qv[qn] = (float)(unit(&seed) * 2.0);
            qn++;
        }
        check_search(c, qi, qv, qn, 1 + (uint32_t)round * 3, round % 2);
    }
}

void test_sparse_vectors(void) {
    static uint64_t indptr[N + 1], bptr[N + 1];
    static uint32_t indices[N * MAXNNZ], bidx[N];
    static float values[N * MAXNNZ], bval[N];
    static uint64_t ids[N];
    static float vecs[N * DIM];
    static char data[N * 16];
    uint64_t offs[N + 1];
    const char *path = qvt_path("sparse");
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "s", DIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) return;
    make_rows(indptr, indices, values);
    size_t len = 0;
    offs[0] = 0;
    bptr[0] = 0;
    for (int i = 0; i < N; i++) {
        ids[i] = (uint64_t)i;
        vecs[i * DIM] = (float)i;
        vecs[i * DIM + 1] = 1.0f;
        len += (size_t)snprintf(data + len, sizeof data - len, "{\"odd\":%d}", i % 2);
        offs[i + 1] = len;
        bidx[i] = (uint32_t)(i % 7);
        bval[i] = 1.0f;
        bptr[i + 1] = (uint64_t)(i + 1);
    }
    qv_sparse_column cols[2] = {
        {(const uint8_t *)"a", 1, indptr, indices, values},
        {(const uint8_t *)"b", 1, bptr, bidx, bval},
    };
    /* Two batches with an optimize between: a sealed and an appendable
     * segment. */
    uint64_t half = N / 2;
    uint64_t ptr2[N + 1];
    for (uint64_t i = 0; i <= half; i++) ptr2[i] = indptr[i];
    qv_sparse_column first = {(const uint8_t *)"a", 1, ptr2, indices, values};
    OK(qv_collection_upsert_sparse(c, ids, half, vecs, half * DIM, offs, (const uint8_t *)data,
                                   offs[half], &first, 1, ERR));
    OK(qv_collection_optimize(c, ERR));
    OK(qv_collection_upsert_sparse(c, ids, N, vecs, N * DIM, offs, (const uint8_t *)data, len,
                                   cols, 2, ERR));
    searches(c);

    /* Read back: sorted by index; row 0 (no vector) is empty. */
    qv_sparse *s = NULL;
    uint64_t want[3] = {0, 1, 12345};
    OK(qv_collection_get_sparse(c, want, 3, (const uint8_t *)"a", 1, &s, ERR));
    if (s != NULL) {
        qv_sparse_view v;
        OK(qv_sparse_get_view(s, &v, ERR));
        CHECK_EQ_U64(v.count, 3);
        CHECK_EQ_U64(v.indptr[1], 0);
        CHECK_EQ_U64(v.indptr[2] - v.indptr[1], (uint64_t)a_nnz[1]);
        CHECK_EQ_U64(v.indptr[3], v.indptr[2]);
        for (uint64_t j = v.indptr[1] + 1; j < v.indptr[2]; j++)
            CHECK(v.indices[j - 1] < v.indices[j]);
        qv_sparse_free(s);
    }
    qv_sparse_free(NULL);

    /* Update "a" of points 1 and 2 (2 loses it); 999 does not exist. */
    uint64_t uids[3] = {1, 2, 999};
    uint64_t uptr[4] = {0, 2, 2, 3};
    uint32_t uidx[3] = {7, 3, 5};
    float uval[3] = {0.5f, 2.0f, 1.0f};
    qv_sparse_column upd = {(const uint8_t *)"a", 1, uptr, uidx, uval};
    uint64_t updated = 0;
    OK(qv_collection_update_sparse(c, uids, 3, &upd, &updated, ERR));
    CHECK_EQ_U64(updated, 2);
    a_nnz[1] = 2;
    a_idx[1][0] = 7, a_val[1][0] = 0.5f;
    a_idx[1][1] = 3, a_val[1][1] = 2.0f;
    a_nnz[2] = 0;
    searches(c);

    /* Errors change nothing. */
    uint64_t bad_ptr[3] = {0, 2, 1};
    qv_sparse_column bad = {(const uint8_t *)"a", 1, bad_ptr, uidx, uval};
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert_sparse(c, ids, 2, vecs, 2 * DIM, NULL,
                                                               NULL, 0, &bad, 1, ERR));
    CHECK_MESSAGE_HAS("indptr");
    uint64_t dptr[2] = {0, 2};
    uint32_t didx[2] = {4, 4};
    qv_sparse_column dup = {(const uint8_t *)"a", 1, dptr, didx, uval};
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_upsert_sparse(c, ids, 1, vecs, DIM, NULL, NULL, 0, &dup, 1, ERR));
    CHECK_MESSAGE_HAS("index 4 is given twice");
    CHECK_MESSAGE_HAS("point 0 (batch index 0)");
    qv_sparse_column noname = {NULL, 1, dptr, uidx, uval};
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_upsert_sparse(c, ids, 1, vecs, DIM, NULL, NULL, 0, &noname, 1, ERR));
    CHECK_MESSAGE_HAS("columns[0].name is NULL");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_update_sparse(c, uids, 3, NULL, NULL, ERR));
    qv_sparse_search_params p;
    qv_sparse_search_params_init(&p);
    qv_results *r = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_sparse_search(c, uidx, uval, 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("sparse vector name");
    CHECK(r == NULL);
    p.name = (const uint8_t *)"a";
    p.name_len = 1;
    float nan = NAN;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_sparse_search(c, uidx, &nan, 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("not finite");
    p.k = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_sparse_search(c, uidx, uval, 1, &p, &r, ERR));
    p.struct_size = 8;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_sparse_search(c, uidx, uval, 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("qv_sparse_search_params_init");
    searches(c);

    /* Reopen: everything comes back from the log and the segment. */
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
    db = qvt_open_db(path);
    if (db == NULL) return;
    c = NULL;
    OK(qv_database_open_collection(db, (const uint8_t *)"s", 1, &c, ERR));
    if (c == NULL) return;
    searches(c);
    OK(qv_collection_optimize(c, ERR));
    searches(c);

    /* A hybrid query with one sparse branch keeps the sparse order. */
    uint32_t qi[2] = {3, 7};
    float qv[2] = {1.0f, 1.0f};
    qv_sparse_search_params sp;
    qv_sparse_search_params_init(&sp);
    sp.k = 5;
    sp.name = (const uint8_t *)"a";
    sp.name_len = 1;
    qv_results *alone = NULL;
    OK(qv_collection_sparse_search(c, qi, qv, 2, &sp, &alone, ERR));
    qv_hybrid_branch br;
    qv_hybrid_branch_init(&br);
    br.kind = QV_BRANCH_SPARSE;
    br.sparse_indices = qi;
    br.sparse_values = qv;
    br.sparse_nnz = 2;
    br.sparse = &sp;
    qv_hybrid_params hp;
    qv_hybrid_params_init(&hp);
    hp.k = 5;
    hp.branches = &br;
    hp.nbranches = 1;
    qv_results *fused = NULL;
    OK(qv_collection_hybrid_search(c, &hp, &fused, ERR));
    if (alone != NULL && fused != NULL) {
        qv_results_view a, f;
        OK(qv_results_get_view(alone, &a, ERR));
        OK(qv_results_get_view(fused, &f, ERR));
        CHECK_EQ_U64(f.offsets[1], a.offsets[1]);
        for (uint64_t j = 0; j < a.offsets[1] && j < f.offsets[1]; j++)
            CHECK_EQ_U64(f.ids[j], a.ids[j]);
    }
    qv_results_free(fused);
    /* A bad sparse branch names its place. */
    br.sparse_nnz = 0;
    br.sparse = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &fused, ERR));
    CHECK_MESSAGE_HAS("params.branches[0].sparse is NULL");
    br.sparse = &sp;
    br.sparse_nnz = 2;
    br.sparse_indices = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &fused, ERR));
    CHECK_MESSAGE_HAS("params.branches[0].sparse_indices is NULL but params.branches[0].sparse_nnz is 2");
    /* A branch of the size before ABI version 4 (64 bytes) is refused. */
    br.sparse_indices = qi;
    br.struct_size = 64;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_hybrid_search(c, &hp, &fused, ERR));
    CHECK_MESSAGE_HAS("params.branches[0].struct_size is 64");
    CHECK(fused == NULL);
    qv_results_free(alone);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
