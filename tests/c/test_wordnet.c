/*
 * test_wordnet.c: a realistic run on the committed WordNet sample: real
 * 384-dimensional sentence embeddings (half floats widened in C) with their
 * JSON lines as payloads, one batch upsert, searches checked against a brute
 * force in C, a filter on "pos", payloads read back, and a reopen.
 */
#define _XOPEN_SOURCE 700

#include <pthread.h>
#include "harness.h"

#include <math.h>
#include <stdlib.h>

/* Exact cosine of query q and base row i. */
static double cosine(const qvt_wordnet *w, const float *q, size_t i) {
    const float *v = &w->vectors[i * w->dim];
    double dot = 0, qn = 0, vn = 0;
    for (size_t d = 0; d < w->dim; d++)
        dot += (double)q[d] * v[d], qn += (double)q[d] * q[d], vn += (double)v[d] * v[d];
    return dot / sqrt(qn * vn);
}

/* Exact cosine top-k over the base (ties: lower id first). */
static void brute_force(const qvt_wordnet *w, const float *q, size_t k, uint64_t *out) {
    double *best = malloc(k * sizeof *best);
    if (best == NULL) abort();
    for (size_t j = 0; j < k; j++) best[j] = -INFINITY, out[j] = QV_NO_ID;
    for (size_t i = 0; i < w->n; i++) {
        double s = cosine(w, q, i);
        if (s <= best[k - 1]) continue;
        size_t j = k - 1;
        while (j > 0 && best[j - 1] < s) best[j] = best[j - 1], out[j] = out[j - 1], j--;
        best[j] = s;
        out[j] = i;
    }
    free(best);
}

/* Whether the JSON text contains `"key":value` as written by the library. */
static int has_member(const uint8_t *json, size_t len, const char *member) {
    size_t ml = strlen(member);
    for (size_t i = 0; i + ml <= len; i++)
        if (memcmp(json + i, member, ml) == 0) return 1;
    return 0;
}

void test_wordnet_sample(void) {
    const size_t n = qvt_quick ? 80 : 500, nq = qvt_quick ? 3 : 20, k = 10;
    qvt_wordnet w;
    if (qvt_wordnet_load(&w, n) != 0) {
        qvt_fail(__FILE__, __LINE__, "cannot load the WordNet sample from %s", qvt_data_dir);
        return;
    }
    float *queries = qvt_wordnet_queries(nq, w.dim);
    CHECK(queries != NULL);
    if (queries == NULL) {
        qvt_wordnet_free(&w);
        return;
    }
    /* The half floats decode to unit vectors. */
    double norm = 0;
    for (size_t d = 0; d < w.dim; d++) norm += (double)w.vectors[d] * w.vectors[d];
    CHECK_NEAR(norm, 1.0, 1e-2);

    char dir[512];
    snprintf(dir, sizeof dir, "%s", qvt_path("wordnet"));
    qv_database *db = qvt_open_db(dir);
    qv_collection *c = db ? qvt_create(db, "definitions", (uint32_t)w.dim, QV_METRIC_COSINE) : NULL;
    uint64_t *ids = malloc(n * sizeof *ids);
    uint64_t *hit = malloc(nq * k * sizeof *hit), *truth = malloc(k * sizeof *truth);
    float *score = malloc(nq * k * sizeof *score);
    uint32_t *cnt = malloc(nq * sizeof *cnt);
    if (!ids || !hit || !truth || !score || !cnt) abort();
    if (c == NULL) goto out;
    for (size_t i = 0; i < n; i++) ids[i] = i;
    OK(qv_collection_upsert(c, ids, n, w.vectors, n * w.dim, w.offsets, (const uint8_t *)w.jsonl,
                            w.offsets[n], ERR));
    CHECK_EQ_U64(qvt_count(c), n);

    /* A base vector finds itself first, with cosine ~1. */
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = (uint32_t)k;
    size_t probes[4] = {0, 7, n / 2, n - 1};
    for (size_t i = 0; i < 4; i++) {
        OK(qv_collection_search(c, &w.vectors[probes[i] * w.dim], 1, w.dim, &p, hit, score, k, cnt, ERR));
        CHECK_EQ_U64(cnt[0], k);
        CHECK_EQ_U64(hit[0], probes[i]);
        CHECK_NEAR(score[0], 1.0, 1e-4);
    }

    /* Exact search equals a brute force in C; the graph search (one batch)
     * finds nearly all of it. */
    p.exact = 1;
    OK(qv_collection_search(c, queries, nq, w.dim, &p, hit, score, nq * k, cnt, ERR));
    size_t found = 0, exact_mismatch = 0;
    for (size_t q = 0; q < nq; q++) {
        brute_force(&w, &queries[q * w.dim], k, truth);
        for (size_t j = 0; j < k; j++)
            if (hit[q * k + j] != truth[j]) exact_mismatch++;
    }
    CHECK_EQ_U64(exact_mismatch, 0);
    p.exact = 0;
    OK(qv_collection_search(c, queries, nq, w.dim, &p, hit, score, nq * k, cnt, ERR));
    for (size_t q = 0; q < nq; q++) {
        brute_force(&w, &queries[q * w.dim], k, truth);
        for (size_t j = 0; j < k; j++)
            for (size_t t = 0; t < k; t++)
                if (hit[q * k + j] == truth[t]) found++;
    }
    double recall = (double)found / (double)(nq * k);
    qvt_checks++;
    if (recall < 0.95) qvt_fail(__FILE__, __LINE__, "recall@10 %.3f < 0.95", recall);

    /* Verbs only, with payloads: every hit is a verb and carries its line. */
    const char *verbs = "{\"field\": \"pos\", \"eq\": \"verb\"}";
    size_t n_verbs = 0;
    for (size_t i = 0; i < n; i++)
        if (has_member((const uint8_t *)w.jsonl + w.offsets[i], w.offsets[i + 1] - w.offsets[i],
                       "\"pos\": \"verb\""))
            n_verbs++;
    p.filter_json = (const uint8_t *)verbs;
    p.filter_len = strlen(verbs);
    p.with_payload = 1;
    qv_results *r = NULL;
    OK(qv_collection_search_results(c, queries, 2, w.dim, &p, &r, ERR));
    qv_results_view v;
    if (OK(qv_results_get_view(r, &v, ERR)) == QV_OK) {
        size_t want = n_verbs < k ? n_verbs : k;
        CHECK_EQ_U64(v.num_hits, 2 * want);
        for (size_t j = 0; j < v.num_hits; j++) {
            const uint8_t *pl = v.payload_data + v.payload_offsets[j];
            size_t pl_len = v.payload_offsets[j + 1] - v.payload_offsets[j];
            /* Byte for byte the line it was written from (point id = line). */
            uint64_t id = v.ids[j];
            CHECK(id < n);
            if (id >= n) continue;
            size_t line_len = w.offsets[id + 1] - w.offsets[id];
            CHECK_EQ_U64(pl_len, line_len);
            CHECK(pl_len == line_len && memcmp(pl, w.jsonl + w.offsets[id], pl_len) == 0);
            CHECK(has_member(pl, pl_len, "\"pos\": \"verb\""));
        }
    }
    qv_results_free(r);

    /* Reopen: the same graph answers the same. */
    if (!qvt_quick) {
        p.filter_json = NULL;
        p.filter_len = 0;
        OK(qv_collection_search(c, queries, nq, w.dim, &p, hit, score, nq * k, cnt, ERR));
        qv_collection_free(c);
        c = NULL;
        OK(qv_database_close(db, ERR));
        qv_database_free(db);
        db = qvt_open_db(dir);
        if (db == NULL) goto out;
        OK(qv_database_open_collection(db, (const uint8_t *)"definitions", 11, &c, ERR));
        CHECK_EQ_U64(qvt_count(c), n);
        uint64_t *again = malloc(nq * k * sizeof *again);
        float *again_s = malloc(nq * k * sizeof *again_s);
        if (!again || !again_s) abort();
        OK(qv_collection_search(c, queries, nq, w.dim, &p, again, again_s, nq * k, cnt, ERR));
        CHECK(memcmp(hit, again, nq * k * sizeof *hit) == 0);
        free(again);
        free(again_s);
    }
out:
    qv_collection_free(c);
    if (db) OK(qv_database_close(db, ERR));
    qv_database_free(db);
    free(ids);
    free(hit);
    free(truth);
    free(score);
    free(cnt);
    free(queries);
    qvt_wordnet_free(&w);
}


/* Recall@k of `hit` (nq rows of k ids) against brute force (`truth` is
 * scratch for k ids); `*off` counts the scores more than 1e-4 from the
 * exact cosine. */
static double recall_and_score_errors(const qvt_wordnet *w, const float *queries, size_t nq,
                                      size_t k, const uint64_t *hit, const float *score,
                                      uint64_t *truth, size_t *off) {
    size_t found = 0;
    for (size_t q = 0; q < nq; q++) {
        brute_force(w, &queries[q * w->dim], k, truth);
        for (size_t j = 0; j < k; j++) {
            for (size_t t = 0; t < k; t++)
                if (hit[q * k + j] == truth[t]) found++;
            if (fabs(score[q * k + j] - cosine(w, &queries[q * w->dim], hit[q * k + j])) > 1e-4)
                (*off)++;
        }
    }
    return (double)found / (double)(nq * k);
}

/* QV_STORAGE_SQ8: the sealed segment walks one-byte codes; scores come back
 * exact (rescored) by default, estimated with rescore 0; bad settings are
 * refused with the parameter's name. */
void test_wordnet_sq8(void) {
    const size_t n = qvt_quick ? 300 : 2000, nq = qvt_quick ? 3 : 20, k = 10;
    qvt_wordnet w;
    if (qvt_wordnet_load(&w, n) != 0) {
        qvt_fail(__FILE__, __LINE__, "cannot load the WordNet sample from %s", qvt_data_dir);
        return;
    }
    float *queries = qvt_wordnet_queries(nq, w.dim);
    uint64_t *ids = malloc(n * sizeof *ids), *hit = malloc(nq * k * sizeof *hit);
    uint64_t *truth = malloc(k * sizeof *truth);
    float *score = malloc(nq * k * sizeof *score);
    uint32_t *cnt = malloc(nq * sizeof *cnt);
    if (!queries || !ids || !hit || !truth || !score || !cnt) abort();
    qv_database *db = qvt_open_db(qvt_path("sq8"));
    qv_collection *c = NULL;
    if (db == NULL) goto out;

    qv_collection_config cfg;
    qv_collection_config_init(&cfg);
    CHECK_EQ_U64(cfg.storage, QV_STORAGE_F32);
    cfg.dimension = (uint32_t)w.dim;
    cfg.storage = QV_STORAGE_SQ8;
    cfg.metric = QV_METRIC_HAMMING;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_database_create_collection(db, (const uint8_t *)"bad", 3, &cfg, &c, ERR));
    CHECK_MESSAGE_HAS("config.storage is sq8 with metric hamming");
    cfg.metric = QV_METRIC_COSINE;
    if (OK(qv_database_create_collection(db, (const uint8_t *)"sq8", 3, &cfg, &c, ERR)) != QV_OK)
        goto out;
    qv_collection_config got;
    OK(qv_collection_get_config(c, &got, ERR));
    CHECK_EQ_U64(got.storage, QV_STORAGE_SQ8);
    for (size_t i = 0; i < n; i++) ids[i] = i;
    OK(qv_collection_upsert(c, ids, n, w.vectors, n * w.dim, NULL, NULL, 0, ERR));
    OK(qv_collection_optimize(c, ERR));

    qv_search_params p;
    qv_search_params_init(&p);
    CHECK_EQ_U64(p.rescore, 1);
    CHECK(p.oversampling == 0.0f);
    p.k = (uint32_t)k;
    OK(qv_collection_search(c, queries, nq, w.dim, &p, hit, score, nq * k, cnt, ERR));
    size_t off = 0;
    double recall = recall_and_score_errors(&w, queries, nq, k, hit, score, truth, &off);
    CHECK_EQ_U64(off, 0);
    qvt_checks++;
    if (recall < 0.95) qvt_fail(__FILE__, __LINE__, "SQ8 recall@10 %.3f < 0.95", recall);

    /* Without rescoring: estimates, close to the exact cosines. */
    p.rescore = 0;
    p.oversampling = 2.0f;
    OK(qv_collection_search(c, queries, nq, w.dim, &p, hit, score, nq * k, cnt, ERR));
    size_t far = 0, differ = 0;
    for (size_t j = 0; j < nq * k; j++) {
        double e = cosine(&w, &queries[(j / k) * w.dim], hit[j]);
        if (fabs(score[j] - e) > 0.05) far++;
        if (fabs(score[j] - e) > 1e-6) differ++;
    }
    CHECK_EQ_U64(far, 0);
    CHECK(differ > 0);

    p.rescore = 2;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, queries, 1, w.dim, &p, hit, score, k, cnt, ERR));
    CHECK_MESSAGE_HAS("params.rescore");
    p.rescore = 1;
    p.oversampling = 0.5f;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, queries, 1, w.dim, &p, hit, score, k, cnt, ERR));
    CHECK_MESSAGE_HAS("params.oversampling is 0.5; it must be between 1 and 100");
    p.oversampling = NAN;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, queries, 1, w.dim, &p, hit, score, k, cnt, ERR));
    CHECK_MESSAGE_HAS("params.oversampling is NaN");
out:
    qv_collection_free(c);
    if (db) OK(qv_database_close(db, ERR));
    qv_database_free(db);
    free(ids);
    free(hit);
    free(truth);
    free(score);
    free(cnt);
    free(queries);
    qvt_wordnet_free(&w);
}

/* Progress of qv_collection_train_quantizer: the calls seen, the last
 * (done, total), and the call at which to cancel (0 = never). */
typedef struct {
    uint64_t calls, done, total, cancel_at;
    int out_of_order, other_thread;
    pthread_t caller;
    /* When set: the first call searches this collection (through the
     * handle being trained) and records whether that worked. */
    qv_collection *search_in;
    const float *query;
    size_t dim;
    int searched;
} progress_log;

static int32_t on_progress(void *user, uint64_t done, uint64_t total) {
    progress_log *l = user;
    l->calls++;
    if (done != l->done + 1 || done > total) l->out_of_order = 1;
    if (!pthread_equal(pthread_self(), l->caller)) l->other_thread = 1;
    if (l->search_in && l->calls == 1) {
        qv_search_params p;
        qv_search_params_init(&p);
        p.k = 1;
        uint64_t id = 0;
        float s = 0;
        uint32_t n = 0;
        l->searched = qv_collection_search(l->search_in, l->query, 1, l->dim, &p, &id, &s, 1, &n,
                                           NULL) == QV_OK && n == 1;
    }
    l->done = done;
    l->total = total;
    return l->cancel_at == 0 || l->calls < l->cancel_at;
}

/* QV_STORAGE_F16, BF16, BINARY and PQ: exact scores and high recall by
 * default; PQ's parameters checked with their names; training with
 * progress, cancellation and errors. */
void test_wordnet_modes(void) {
    /* Under valgrind the small variant even without --quick: k-means of
     * 2000 points ran for six minutes there. */
    const int small = qvt_quick || qvt_under_valgrind();
    const size_t n = small ? 300 : 2000, nq = small ? 3 : 20, k = 10;
    qvt_wordnet w;
    if (qvt_wordnet_load(&w, n) != 0) {
        qvt_fail(__FILE__, __LINE__, "cannot load the WordNet sample from %s", qvt_data_dir);
        return;
    }
    float *queries = qvt_wordnet_queries(nq, w.dim);
    uint64_t *ids = malloc(n * sizeof *ids), *hit = malloc(nq * k * sizeof *hit);
    uint64_t *truth = malloc(k * sizeof *truth);
    float *score = malloc(nq * k * sizeof *score);
    uint32_t *cnt = malloc(nq * sizeof *cnt);
    if (!queries || !ids || !hit || !truth || !score || !cnt) abort();
    for (size_t i = 0; i < n; i++) ids[i] = i;
    qv_database *db = qvt_open_db(qvt_path("modes"));
    qv_collection *c = NULL;
    if (db == NULL) goto out;

    const uint32_t modes[] = {QV_STORAGE_F16, QV_STORAGE_BF16, QV_STORAGE_BINARY, QV_STORAGE_PQ};
    const char *names[] = {"f16", "bf16", "binary", "pq"};
    for (size_t m = 0; m < 4; m++) {
        qv_collection_config cfg;
        qv_collection_config_init(&cfg);
        CHECK_EQ_U64(cfg.pq_subspaces, 0);
        CHECK_EQ_U64(cfg.pq_centroids, 256);
        cfg.dimension = (uint32_t)w.dim;
        cfg.storage = modes[m];
        /* Fewer centroids in the quick run (valgrind): k-means is its cost. */
        if (small) cfg.pq_centroids = 32;
        if (OK(qv_database_create_collection(db, (const uint8_t *)names[m], strlen(names[m]), &cfg,
                                             &c, ERR)) != QV_OK)
            goto out;
        qv_collection_config got;
        OK(qv_collection_get_config(c, &got, ERR));
        CHECK_EQ_U64(got.storage, modes[m]);
        OK(qv_collection_upsert(c, ids, n, w.vectors, n * w.dim, NULL, NULL, 0, ERR));
        OK(qv_collection_optimize(c, ERR));
        qv_search_params p;
        qv_search_params_init(&p);
        p.k = (uint32_t)k;
        OK(qv_collection_search(c, queries, nq, w.dim, &p, hit, score, nq * k, cnt, ERR));
        size_t off = 0;
        double recall = recall_and_score_errors(&w, queries, nq, k, hit, score, truth, &off);
        CHECK_EQ_U64(off, 0);
        qvt_checks++;
        if (recall < 0.95) qvt_fail(__FILE__, __LINE__, "%s recall@10 %.3f < 0.95", names[m], recall);
        if (modes[m] == QV_STORAGE_F16) {
            /* Cancelling the last (here the only) step is a cancel too. */
            progress_log only = {0, 0, 0, 1, 0, 0, pthread_self(), NULL, NULL, 0, 0};
            FAILS(QV_ERR_CANCELLED, qv_collection_train_quantizer(c, NULL, on_progress, &only, ERR));
            CHECK_EQ_U64(only.calls, 1);
            CHECK_EQ_U64(only.total, 1);
        }
        if (modes[m] != QV_STORAGE_PQ) {
            qv_collection_free(c);
            c = NULL;
        }
    }

    /* PQ's parameters are checked, named. */
    {
        qv_collection_config cfg;
        qv_collection_config_init(&cfg);
        cfg.dimension = (uint32_t)w.dim;
        cfg.storage = QV_STORAGE_PQ;
        qv_collection *bad = NULL;
        cfg.pq_subspaces = 7;
        FAILS(QV_ERR_INVALID_ARGUMENT,
              qv_database_create_collection(db, (const uint8_t *)"bad", 3, &cfg, &bad, ERR));
        CHECK_MESSAGE_HAS("config.pq_subspaces is 7; it must divide the dimension 384");
        cfg.pq_subspaces = 0;
        cfg.pq_centroids = 300;
        FAILS(QV_ERR_INVALID_ARGUMENT,
              qv_database_create_collection(db, (const uint8_t *)"bad", 3, &cfg, &bad, ERR));
        CHECK_MESSAGE_HAS("config.pq_centroids is 300; it must be between 2 and 256");
        cfg.storage = 6;
        FAILS(QV_ERR_INVALID_ARGUMENT,
              qv_database_create_collection(db, (const uint8_t *)"bad", 3, &cfg, &bad, ERR));
        CHECK_MESSAGE_HAS("config.storage is 6");
        CHECK(bad == NULL);
    }

    /* Training the PQ collection (c is still open). */
    qv_train_params tp;
    qv_train_params_init(&tp);
    CHECK_EQ_U64(tp.struct_size, sizeof tp);
    CHECK_EQ_U64(tp.pq_subspaces, 0);
    CHECK_EQ_U64(tp.pq_centroids, 256);
    CHECK_EQ_U64(tp.pq_iterations, 12);
    tp.pq_subspaces = 7;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_train_quantizer(c, &tp, NULL, NULL, ERR));
    CHECK_MESSAGE_HAS("params.pq_subspaces is 7");
    tp.pq_subspaces = 96;
    tp.pq_iterations = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_train_quantizer(c, &tp, NULL, NULL, ERR));
    CHECK_MESSAGE_HAS("params.pq_iterations is 0; it must be between 1 and 100");
    tp.pq_iterations = small ? 2 : 4;
    if (small) tp.pq_centroids = 16;
    tp.struct_size = 8;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_train_quantizer(c, &tp, NULL, NULL, ERR));
    CHECK_MESSAGE_HAS("params.struct_size is 8");
    tp.struct_size = sizeof tp;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_train_quantizer(NULL, &tp, NULL, NULL, ERR));

    progress_log cancel = {0, 0, 0, 2, 0, 0, pthread_self(), NULL, NULL, 0, 0};
    FAILS(QV_ERR_CANCELLED, qv_collection_train_quantizer(c, &tp, on_progress, &cancel, ERR));
    CHECK_MESSAGE_HAS("cancelled");
    CHECK_EQ_U64(cancel.calls, 2);
    qv_collection_config got;
    OK(qv_collection_get_config(c, &got, ERR));
    CHECK_EQ_U64(got.pq_subspaces, 0);

    progress_log log = {0, 0, 0, 0, 0, 0, pthread_self(), c, queries, w.dim, 0};
    OK(qv_collection_train_quantizer(c, &tp, on_progress, &log, ERR));
    CHECK_EQ_U64(log.calls, 96);
    CHECK_EQ_U64(log.done, 96);
    CHECK_EQ_U64(log.total, 96);
    CHECK_EQ_U64(log.out_of_order, 0);
    CHECK_EQ_U64(log.other_thread, 0); /* called on the caller's thread */
    CHECK_EQ_U64(log.searched, 1);     /* and it may search the same handle */
    CHECK_EQ_U64(cancel.other_thread, 0);
    OK(qv_collection_get_config(c, &got, ERR));
    CHECK_EQ_U64(got.pq_subspaces, 96);
    /* NULL params: the current ones again; no callback. */
    OK(qv_collection_train_quantizer(c, NULL, NULL, NULL, ERR));
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = (uint32_t)k;
    OK(qv_collection_search(c, queries, nq, w.dim, &p, hit, score, nq * k, cnt, ERR));
    size_t off = 0;
    for (size_t j = 0; j < nq * k; j++)
        if (fabs(score[j] - cosine(&w, &queries[(j / k) * w.dim], hit[j])) > 1e-4) off++;
    CHECK_EQ_U64(off, 0);
    qv_collection_free(c);
    c = NULL;

    /* An f32 collection has nothing to train. */
    {
        qv_collection_config cfg;
        qv_collection_config_init(&cfg);
        cfg.dimension = 4;
        if (OK(qv_database_create_collection(db, (const uint8_t *)"plain", 5, &cfg, &c, ERR)) != QV_OK)
            goto out;
        FAILS(QV_ERR_UNSUPPORTED, qv_collection_train_quantizer(c, NULL, NULL, NULL, ERR));
        CHECK_MESSAGE_HAS("stores f32 vectors");
    }
out:
    qv_collection_free(c);
    if (db) OK(qv_database_close(db, ERR));
    qv_database_free(db);
    free(ids);
    free(hit);
    free(truth);
    free(score);
    free(cnt);
    free(queries);
    qvt_wordnet_free(&w);
}
