/*
 * test_fields.c: field indexes through the C ABI: create on a populated
 * collection, maintained by later writes, listed with their kinds and
 * bytes, used by filtered searches (same hits as an exact search and as a
 * brute force in C), kept across a reopen, dropped; and the errors.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <math.h>
#include <stdlib.h>

enum { N = 300, DIM = 8 };

/* Payload of point i: a tag (one of 7), a number, a flag. */
static size_t payload_for(char *buf, size_t cap, uint64_t i) {
    return (size_t)snprintf(buf, cap, "{\"tag\":\"t%llu\",\"n\":%llu,\"flag\":%s}",
                            (unsigned long long)(i % 7), (unsigned long long)i,
                            i % 3 == 0 ? "true" : "false");
}

static int wanted(uint64_t i) { return i % 7 == 2 && i < 200; }

static void upsert_range(qv_collection *c, float *vecs, uint64_t from, uint64_t to) {
    uint64_t ids[N], offs[N + 1];
    static char data[N * 64];
    size_t len = 0, k = 0;
    offs[0] = 0;
    for (uint64_t i = from; i < to; i++, k++) {
        ids[k] = i;
        len += payload_for(data + len, sizeof data - len, i);
        offs[k + 1] = len;
    }
    OK(qv_collection_upsert(c, ids, k, &vecs[from * DIM], k * DIM, offs, (const uint8_t *)data,
                            len, ERR));
}

static qv_field_indexes *list(qv_collection *c) {
    qv_field_indexes *l = NULL;
    OK(qv_collection_list_field_indexes(c, &l, ERR));
    return l;
}

void test_field_indexes(void) {
    static float vecs[N * DIM];
    uint64_t seed = 11;
    for (size_t i = 0; i < N * DIM; i++) vecs[i] = qvt_rand(&seed);
    const char *path = qvt_path("fields");
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "f", DIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) return;
    upsert_range(c, vecs, 0, 150);
    OK(qv_collection_optimize(c, ERR));
    /* Backfilled over a sealed segment, then maintained by writes. */
    OK(qv_collection_create_field_index(c, (const uint8_t *)"tag", 3, QV_FIELD_KEYWORD, ERR));
    OK(qv_collection_create_field_index(c, (const uint8_t *)"n", 1, QV_FIELD_INTEGER, ERR));
    upsert_range(c, vecs, 150, N);

    qv_field_indexes *l = list(c);
    CHECK_EQ_U64(qv_field_indexes_count(l), 2);
    qv_field_index_view v;
    OK(qv_field_indexes_get(l, 0, &v, ERR));
    CHECK(strcmp(v.field, "tag") == 0);
    CHECK_EQ_U64(v.kind, QV_FIELD_KEYWORD);
    CHECK(v.ram_bytes > 0);
    CHECK(v.disk_bytes > 0);
    OK(qv_field_indexes_get(l, 1, &v, ERR));
    CHECK(strcmp(v.field, "n") == 0);
    CHECK_EQ_U64(v.kind, QV_FIELD_INTEGER);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_field_indexes_get(l, 2, &v, ERR));
    CHECK_MESSAGE_HAS("index 2 is out of range");
    qv_field_indexes_free(l);
    qv_field_indexes_free(NULL);
    CHECK_EQ_U64(qv_field_indexes_count(NULL), 0);

    /* Errors, each changing nothing. */
    FAILS(QV_ERR_ALREADY_EXISTS,
          qv_collection_create_field_index(c, (const uint8_t *)"tag", 3, QV_FIELD_KEYWORD, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_create_field_index(c, (const uint8_t *)"x", 1, 9, ERR));
    CHECK_MESSAGE_HAS("kind is 9");
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_create_field_index(c, (const uint8_t *)"a..b", 4, QV_FIELD_BOOL, ERR));
    CHECK_MESSAGE_HAS("field");
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_create_field_index(c, NULL, 3, QV_FIELD_BOOL, ERR));
    FAILS(QV_ERR_NOT_FOUND, qv_collection_drop_field_index(c, (const uint8_t *)"nope", 4, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_list_field_indexes(c, NULL, ERR));
    l = list(c);
    CHECK_EQ_U64(qv_field_indexes_count(l), 2);
    qv_field_indexes_free(l);

    /* An indexed filter: graph and exact search give the brute-force hits. */
    const char *f = "{\"and\": [{\"field\": \"tag\", \"eq\": \"t2\"}, {\"field\": \"n\", \"lt\": 200}]}";
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = 5;
    p.filter_json = (const uint8_t *)f;
    p.filter_len = strlen(f);
    const float *q = &vecs[40 * DIM];
    uint64_t want[5];
    double best[5];
    for (int j = 0; j < 5; j++) best[j] = INFINITY, want[j] = QV_NO_ID;
    for (uint64_t i = 0; i < N; i++) {
        if (!wanted(i)) continue;
        double d = 0;
        for (int k = 0; k < DIM; k++) d += ((double)q[k] - vecs[i * DIM + k]) * ((double)q[k] - vecs[i * DIM + k]);
        int j = 4;
        if (d >= best[4]) continue;
        while (j > 0 && best[j - 1] > d) best[j] = best[j - 1], want[j] = want[j - 1], j--;
        best[j] = d, want[j] = i;
    }
    for (int round = 0; round < 2; round++) {
        for (uint32_t exact = 0; exact <= 1; exact++) {
            p.exact = exact;
            uint64_t ids[5];
            float scores[5];
            uint32_t count = 0;
            OK(qv_collection_search(c, q, 1, DIM, &p, ids, scores, 5, &count, ERR));
            CHECK_EQ_U64(count, 5);
            for (int j = 0; j < 5; j++) CHECK_EQ_U64(ids[j], want[j]);
        }
        if (round == 0) {
            /* Across a reopen: the index definitions are durable. */
            qv_collection_free(c);
            OK(qv_database_close(db, ERR));
            qv_database_free(db);
            db = qvt_open_db(path);
            if (db == NULL) return;
            c = NULL;
            OK(qv_database_open_collection(db, (const uint8_t *)"f", 1, &c, ERR));
            if (c == NULL) return;
            l = list(c);
            CHECK_EQ_U64(qv_field_indexes_count(l), 2);
            qv_field_indexes_free(l);
        }
    }

    OK(qv_collection_drop_field_index(c, (const uint8_t *)"tag", 3, ERR));
    l = list(c);
    CHECK_EQ_U64(qv_field_indexes_count(l), 1);
    OK(qv_field_indexes_get(l, 0, &v, ERR));
    CHECK(strcmp(v.field, "n") == 0);
    qv_field_indexes_free(l);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
