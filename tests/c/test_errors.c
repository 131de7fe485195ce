/*
 * test_errors.c: every status code reached through a real bad input, the
 * error object contract (code, message with context, NULL on success), and
 * "a failed call changes nothing".
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

enum { DIM = 4 };

/* A database with a cosine collection "e" of DIM holding points 1..3. */
static qv_collection *setup(qv_database **db, const char *name) {
    *db = qvt_open_db(qvt_path(name));
    if (*db == NULL) return NULL;
    qv_collection *c = qvt_create(*db, "e", DIM, QV_METRIC_COSINE);
    if (c == NULL) return NULL;
    uint64_t ids[3] = {1, 2, 3};
    float v[3 * DIM] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    const char *data = "{\"a\":1}{\"a\":2}{\"a\":3}";
    uint64_t offs[4] = {0, 7, 14, 21};
    OK(qv_collection_upsert(c, ids, 3, v, 3 * DIM, offs, (const uint8_t *)data, 21, ERR));
    return c;
}

static void teardown(qv_database *db, qv_collection *c) {
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

void test_errors_null_and_lengths(void) {
    qv_database *db = NULL;
    qv_collection *c = setup(&db, "nulls");
    if (c == NULL) goto out;
    uint64_t n = 0, id = 9, next;
    size_t count;
    uint8_t has_next;
    float v[DIM] = {1, 1, 1, 1};
    qv_search_params p;
    qv_search_params_init(&p);
    uint64_t ids[10];
    float scores[10];
    uint32_t counts[1];
    qv_points *pts = NULL;
    qv_results *r = NULL;
    qv_strings *names = NULL;
    qv_collection *out = NULL;
    qv_collection_config cfg;
    qv_collection_config_init(&cfg);
    cfg.dimension = DIM;

    /* NULL handles. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_count(NULL, &n, ERR));
    CHECK_MESSAGE_HAS("coll");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(NULL, &id, 1, v, DIM, NULL, NULL, 0, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(NULL, v, 1, DIM, &p, ids, scores, 10, counts, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(NULL, v, 1, DIM, &p, &r, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_get(NULL, &id, 1, &pts, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_delete(NULL, &id, 1, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll(NULL, 0, NULL, 0, ids, 10, &count, &next, &has_next, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_get_config(NULL, &cfg, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_checkpoint(NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(NULL, (const uint8_t *)"x", 1, &cfg, &out, ERR));
    CHECK_MESSAGE_HAS("db");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open_collection(NULL, (const uint8_t *)"e", 1, &out, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_list_collections(NULL, &names, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_drop_collection(NULL, (const uint8_t *)"e", 1, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_points_get_view(NULL, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_results_get_view(NULL, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_strings_get(NULL, 0, NULL, NULL, ERR));
    CHECK(out == NULL && pts == NULL && r == NULL && names == NULL);

    /* NULL out-pointers. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_count(c, NULL, ERR));
    CHECK_MESSAGE_HAS("out");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_get(c, &id, 1, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, v, 1, DIM, &p, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_get_config(c, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll(c, 0, NULL, 0, ids, 10, NULL, &next, &has_next, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll(c, 0, NULL, 0, ids, 10, &count, NULL, &has_next, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll(c, 0, NULL, 0, ids, 10, &count, &next, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_list_collections(db, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open_collection(db, (const uint8_t *)"e", 1, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, (const uint8_t *)"x", 1, &cfg, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, (const uint8_t *)"x", 1, NULL, &out, ERR));
    CHECK_MESSAGE_HAS("config");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open((const uint8_t *)"/tmp/x", 6, NULL, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, v, 1, DIM, NULL, ids, scores, 10, counts, ERR));
    CHECK_MESSAGE_HAS("params");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, v, 1, DIM, &p, NULL, scores, 10, counts, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, v, 1, DIM, &p, ids, NULL, 10, counts, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, v, 1, DIM, &p, ids, scores, 10, NULL, ERR));

    /* NULL buffers with a non-zero length. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, NULL, 1, v, DIM, NULL, NULL, 0, ERR));
    CHECK_MESSAGE_HAS("ids is NULL but n is 1");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, &id, 1, NULL, DIM, NULL, NULL, 0, ERR));
    CHECK_MESSAGE_HAS("vectors is NULL but vectors_len is 4");
    uint64_t offs[2] = {0, 7};
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, &id, 1, v, DIM, offs, NULL, 7, ERR));
    CHECK_MESSAGE_HAS("payload_data");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_get(c, NULL, 2, &pts, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_delete(c, NULL, 2, NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, NULL, 1, DIM, &p, ids, scores, 10, counts, ERR));
    CHECK_MESSAGE_HAS("queries is NULL but nq x dim is 4");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll(c, 0, NULL, 5, ids, 10, &count, &next, &has_next, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll(c, 0, NULL, 0, NULL, 10, &count, &next, &has_next, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll(c, 0, NULL, 0, ids, 0, &count, &next, &has_next, ERR));
    CHECK_MESSAGE_HAS("ids_cap is 0; it must be at least 1");
    qv_database *db2 = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open(NULL, 5, NULL, &db2, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open((const uint8_t *)"", 0, NULL, &db2, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open((const uint8_t *)"/tmp/a\0b", 8, NULL, &db2, ERR));
    CHECK(db2 == NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, NULL, 3, &cfg, &out, ERR));
    p.filter_json = NULL;
    p.filter_len = 12;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, v, 1, DIM, &p, ids, scores, 10, counts, ERR));
    CHECK_MESSAGE_HAS("params.filter_json is NULL but params.filter_len is 12");

    /* Misaligned buffers. */
    uint64_t raw[3] = {0, 0, 0};
    const uint64_t *odd = (const uint64_t *)((const char *)raw + 1);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_get(c, odd, 1, &pts, ERR));
    CHECK_MESSAGE_HAS("aligned");

    /* Bad payload offsets, and payload data without offsets. */
    const char *pd = "{\"a\":1}";
    uint64_t bad1[2] = {4, 2}, bad2[2] = {0, 8};
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, &id, 1, v, DIM, bad1, (const uint8_t *)pd, 7, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, &id, 1, v, DIM, bad2, (const uint8_t *)pd, 7, ERR));
    CHECK_MESSAGE_HAS("payload_offsets[0] is 0 and payload_offsets[1] is 8");
    CHECK_MESSAGE_HAS("point 9 (batch index 0)");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, &id, 1, v, DIM, NULL, (const uint8_t *)pd, 7, ERR));

    /* A failing call with err == NULL just returns the status. */
    CHECK(qv_collection_count(NULL, &n, NULL) == QV_ERR_INVALID_ARGUMENT);
    CHECK(qv_collection_upsert(c, NULL, 1, v, DIM, NULL, NULL, 0, NULL) == QV_ERR_INVALID_ARGUMENT);
    CHECK_EQ_U64(qvt_count(c), 3);
out:
    teardown(db, c);
}

void test_errors_vectors(void) {
    qv_database *db = NULL;
    qv_collection *c = setup(&db, "vectors");
    if (c == NULL) goto out;
    uint64_t ids[2] = {10, 11};
    float v[2 * DIM] = {1, 2, 3, 4, 5, 6, 7, 8};

    /* Wrong float count for the batch: 2 ids, 7 floats. */
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_upsert(c, ids, 2, v, 7, NULL, NULL, 0, ERR));
    CHECK_MESSAGE_HAS("got 7 floats, collection expects 8");
    /* Two rows of three floats: the row length is reported. */
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_upsert(c, ids, 2, v, 6, NULL, NULL, 0, ERR));
    CHECK_MESSAGE_HAS("got 3 floats, collection expects 4");
    /* One id, three floats. */
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_upsert(c, ids, 1, v, 3, NULL, NULL, 0, ERR));
    CHECK_MESSAGE_HAS("got 3 floats");

    /* Non-finite values: NaN and infinity, in the second point. */
    v[DIM + 2] = NAN;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, ids, 2, v, 2 * DIM, NULL, NULL, 0, ERR));
    CHECK_MESSAGE_HAS("point 11");
    CHECK_MESSAGE_HAS("not finite");
    v[DIM + 2] = INFINITY;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, ids, 2, v, 2 * DIM, NULL, NULL, 0, ERR));
    v[DIM + 2] = 7;

    /* A zero vector has no direction under cosine. */
    float zero[DIM] = {0, 0, 0, 0};
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, ids, 1, zero, DIM, NULL, NULL, 0, ERR));
    CHECK_MESSAGE_HAS("zero vector");

    /* Queries: wrong dimension, NaN, a zero query under cosine. */
    qv_search_params p;
    qv_search_params_init(&p);
    uint64_t hid[20];
    float hs[20];
    uint32_t hc[2];
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_search(c, v, 1, 3, &p, hid, hs, 20, hc, ERR));
    CHECK_MESSAGE_HAS("expects 4");
    qv_results *r = NULL;
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_search_results(c, v, 2, 5, &p, &r, ERR));
    CHECK(r == NULL);
    v[DIM + 1] = NAN;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, v, 2, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK_MESSAGE_HAS("query 1");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, &v[DIM], 1, DIM, &p, hid, hs, 20, hc, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, v, 2, DIM, &p, &r, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, zero, 1, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK_EQ_U64(qvt_count(c), 3);
out:
    teardown(db, c);
}

void test_errors_utf8_and_json(void) {
    qv_database *db = NULL;
    qv_collection *c = setup(&db, "json");
    if (c == NULL) goto out;
    uint64_t id = 20;
    float v[DIM] = {1, 1, 0, 0};

    /* Invalid UTF-8 inside a JSON string, invalid JSON, trailing garbage. */
    const char *bad_utf8 = "{\"a\":\"\xff\xfe\"}";
    uint64_t offs[2] = {0, strlen(bad_utf8)};
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, &id, 1, v, DIM, offs, (const uint8_t *)bad_utf8, offs[1], ERR));
    CHECK_MESSAGE_HAS("point 20");
    const char *bad_json[] = {"{\"a\":", "{a:1}", "{\"a\":1} x", "nul", "{\"a\":1,}"};
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        offs[1] = strlen(bad_json[i]);
        FAILS(QV_ERR_INVALID_ARGUMENT,
              qv_collection_upsert(c, &id, 1, v, DIM, offs, (const uint8_t *)bad_json[i], offs[1], ERR));
        CHECK_MESSAGE_HAS("payload");
    }
    /* The bad payload of the second point of a batch is named by index. */
    uint64_t two[2] = {21, 22};
    float v2[2 * DIM] = {1, 0, 0, 0, 0, 1, 0, 0};
    const char *pd = "{\"ok\":1}{\"ok\":";
    uint64_t offs2[3] = {0, 8, strlen(pd)};
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, two, 2, v2, 2 * DIM, offs2, (const uint8_t *)pd, offs2[2], ERR));
    CHECK_MESSAGE_HAS("batch index 1");
    CHECK_EQ_U64(qvt_count(c), 3);

    /* Invalid filters, in search and scroll. */
    const char *bad_filters[] = {
        "{\"field\": \"a\", \"eq\": ",          /* not JSON */
        "{\"field\": \"a\", \"eq\": \"\xc3\x28\"}", /* invalid UTF-8 */
        "[1, 2]",                               /* not an object */
        "{\"field\": \"a\", \"like\": 1}",      /* unknown operator */
        "{\"field\": \"a\", \"eq\": 1, \"ne\": 2}", /* two operators */
        "{\"and\": 5}",                         /* and of a non-list */
    };
    qv_search_params p;
    qv_search_params_init(&p);
    uint64_t hid[10], next;
    float hs[10];
    uint32_t hc;
    size_t count;
    uint8_t has_next;
    qv_results *r = NULL;
    for (size_t i = 0; i < sizeof bad_filters / sizeof bad_filters[0]; i++) {
        p.filter_json = (const uint8_t *)bad_filters[i];
        p.filter_len = strlen(bad_filters[i]);
        FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, v, 1, DIM, &p, hid, hs, 10, &hc, ERR));
        CHECK_MESSAGE_HAS("filter");
        FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, v, 1, DIM, &p, &r, ERR));
        FAILS(QV_ERR_INVALID_ARGUMENT,
              qv_collection_scroll(c, 0, p.filter_json, (size_t)p.filter_len, hid, 10, &count, &next, &has_next, ERR));
    }
    CHECK(r == NULL);

    /* Invalid UTF-8 in a collection name. */
    qv_collection *out = NULL;
    qv_collection_config cfg;
    qv_collection_config_init(&cfg);
    cfg.dimension = 2;
    const char *bad_name = "caf\xc3";
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, (const uint8_t *)bad_name, 4, &cfg, &out, ERR));
    CHECK_MESSAGE_HAS("UTF-8");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open_collection(db, (const uint8_t *)bad_name, 4, &out, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_drop_collection(db, (const uint8_t *)bad_name, 4, ERR));
    CHECK(out == NULL);
out:
    teardown(db, c);
}

void test_errors_search_arguments(void) {
    qv_database *db = NULL;
    qv_collection *c = setup(&db, "searchargs");
    if (c == NULL) goto out;
    float q[2 * DIM] = {1, 0, 0, 0, 0, 1, 0, 0};
    qv_search_params p;
    qv_search_params_init(&p);
    uint64_t hid[20];
    float hs[20];
    uint32_t hc[2];
    qv_results *r = NULL;

    p.k = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 1, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK_MESSAGE_HAS("params.k is 0; it must be between 1 and 100000");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, q, 1, DIM, &p, &r, ERR));
    p.k = 100001;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, q, 1, DIM, &p, &r, ERR));
    CHECK_MESSAGE_HAS("params.k is 100001; it must be between 1 and 100000");
    p.k = 10;
    /* Output arrays too short for nq * k. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 2, DIM, &p, hid, hs, 19, hc, ERR));
    CHECK_MESSAGE_HAS("out_len is 19, but nq x params.k = 2 x 10 = 20 slots are needed");
    /* nq == 0. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 0, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK_MESSAGE_HAS("nq is 0; it must be at least 1");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, q, 0, DIM, &p, &r, ERR));
    /* Flags other than 0 / 1, ef out of range. */
    p.exact = 2;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 1, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK_MESSAGE_HAS("params.exact is 2; it must be 0 or 1");
    p.exact = 0;
    p.with_payload = 7;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, q, 1, DIM, &p, &r, ERR));
    CHECK_MESSAGE_HAS("params.with_payload is 7; it must be 0 or 1");
    p.with_payload = 0;
    p.ef = 200000;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 1, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK_MESSAGE_HAS("params.ef is 200000; it must be between 1 and 100000");
    p.ef = 0;
    /* nq * dim overflowing. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, SIZE_MAX / 2, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK_MESSAGE_HAS("overflows");
    CHECK(r == NULL);
    /* Still fine afterwards. */
    OK(qv_collection_search(c, q, 2, DIM, &p, hid, hs, 20, hc, ERR));
    CHECK(hc[0] == 3 && hid[0] == 1 && hid[10] == 2);
out:
    teardown(db, c);
}

void test_errors_names(void) {
    qv_database *db = qvt_open_db(qvt_path("names"));
    if (db == NULL) return;
    qv_collection_config cfg;
    qv_collection_config_init(&cfg);
    cfg.dimension = 3;
    qv_collection *c = NULL;
    const char *bad[] = {"", ".hidden", "a/b", "a b", "..", "x\x01y",
                         "an-extremely-long-collection-name-that-is-longer-than-sixty-four-bytes"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FAILS(QV_ERR_INVALID_ARGUMENT,
              qv_database_create_collection(db, (const uint8_t *)bad[i], strlen(bad[i]), &cfg, &c, ERR));
        CHECK_MESSAGE_HAS("name");
        FAILS(QV_ERR_INVALID_ARGUMENT,
              qv_database_open_collection(db, (const uint8_t *)bad[i], strlen(bad[i]), &c, ERR));
    }
    /* A name with an embedded NUL: the byte length counts. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, (const uint8_t *)"ab\0c", 4, &cfg, &c, ERR));
    CHECK(c == NULL);

    /* Unknown collection, create twice. The out-pointer is NULL after a
       failure even when it held garbage before. */
    c = (qv_collection *)(uintptr_t)0x5a5a5a5a;
    FAILS(QV_ERR_NOT_FOUND, qv_database_open_collection(db, (const uint8_t *)"nope", 4, &c, ERR));
    CHECK_MESSAGE_HAS("nope");
    CHECK(c == NULL);
    FAILS(QV_ERR_NOT_FOUND, qv_database_drop_collection(db, (const uint8_t *)"nope", 4, ERR));
    const char *ok_name = "Docs_2.v-1";
    OK(qv_database_create_collection(db, (const uint8_t *)ok_name, strlen(ok_name), &cfg, &c, ERR));
    qv_collection *twice = NULL;
    FAILS(QV_ERR_ALREADY_EXISTS, qv_database_create_collection(db, (const uint8_t *)ok_name, strlen(ok_name), &cfg, &twice, ERR));
    CHECK_MESSAGE_HAS(ok_name);
    CHECK(twice == NULL);
    /* The name is taken by length, not up to a NUL: "Docs" is another name. */
    FAILS(QV_ERR_NOT_FOUND, qv_database_open_collection(db, (const uint8_t *)ok_name, 4, &twice, ERR));
    qv_strings *names = NULL;
    OK(qv_database_list_collections(db, &names, ERR));
    CHECK_EQ_U64(qv_strings_count(names), 1);
    qv_strings_free(names);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

void test_errors_enums_and_struct_size(void) {
    qv_database *db = qvt_open_db(qvt_path("enums"));
    if (db == NULL) return;
    qv_collection *c = NULL;
    qv_collection_config cfg;
#define BAD_CONFIG(field, value, needle)                                                        \
    do {                                                                                        \
        qv_collection_config_init(&cfg);                                                        \
        cfg.dimension = 3;                                                                      \
        cfg.field = (value);                                                                    \
        FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, (const uint8_t *)"c", 1, &cfg, &c, ERR)); \
        CHECK_MESSAGE_HAS(needle);                                                              \
    } while (0)
    BAD_CONFIG(metric, 99, "config.metric is 99; it must be one of QV_METRIC_COSINE (0)");
    BAD_CONFIG(metric, UINT32_MAX, "config.metric is 4294967295");
    BAD_CONFIG(kind, 2, "config.kind is 2; it must be QV_KIND_VECTOR (0) or QV_KIND_METADATA_ONLY (1)");
    BAD_CONFIG(struct_size, 0, "config.struct_size is 0");
    BAD_CONFIG(struct_size, sizeof cfg - 4, "initialise the struct with qv_collection_config_init");
    BAD_CONFIG(dimension, 0, "config.dimension is 0; it must be between 1 and 65536");
    BAD_CONFIG(dimension, 65537, "config.dimension is 65537; it must be between 1 and 65536");
    BAD_CONFIG(hnsw_m, 1, "config.hnsw_m is 1; it must be between 2 and 128");
    BAD_CONFIG(hnsw_m, 129, "config.hnsw_m is 129");
    BAD_CONFIG(hnsw_ef_construction, 0, "config.hnsw_ef_construction is 0; it must be between 1 and 10000");
    BAD_CONFIG(hnsw_ef_search, 10001, "config.hnsw_ef_search is 10001; it must be between 1 and 10000");
    BAD_CONFIG(storage, 6, "config.storage is 6; it must be one of QV_STORAGE_F32 (0), QV_STORAGE_SQ8 (1)");
    BAD_CONFIG(pq_centroids, 1, "config.pq_centroids is 1; it must be between 2 and 256");
    /* Metadata-only with a dimension. */
    qv_collection_config_init(&cfg);
    cfg.kind = QV_KIND_METADATA_ONLY;
    cfg.dimension = 3;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, (const uint8_t *)"c", 1, &cfg, &c, ERR));
    CHECK_MESSAGE_HAS("config.dimension is 3; a metadata-only collection has dimension 0");
    CHECK(c == NULL);
    qv_strings *names = NULL;
    OK(qv_database_list_collections(db, &names, ERR));
    CHECK_EQ_U64(qv_strings_count(names), 0); /* nothing was created */
    qv_strings_free(names);

    /* Search params and database options with a bad struct_size / enum. */
    c = qvt_create(db, "c", 3, QV_METRIC_DOT);
    float q[3] = {1, 2, 3};
    uint64_t hid[10];
    float hs[10];
    uint32_t hc;
    qv_search_params p;
    qv_search_params_init(&p);
    p.struct_size = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 1, 3, &p, hid, hs, 10, &hc, ERR));
    CHECK_MESSAGE_HAS("struct_size");
    memset(&p, 0, sizeof p); /* not initialised */
    p.k = 10;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 1, 3, &p, hid, hs, 10, &hc, ERR));
    qv_database_options o;
    qv_database_options_init(&o);
    o.struct_size = 0;
    qv_database *db2 = NULL;
    const char *p2 = qvt_path("enums-opts");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open((const uint8_t *)p2, strlen(p2), &o, &db2, ERR));
    CHECK_MESSAGE_HAS("struct_size");
    qv_database_options_init(&o);
    o.sync = 5;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open((const uint8_t *)p2, strlen(p2), &o, &db2, ERR));
    CHECK_MESSAGE_HAS("opts.sync is 5; it must be QV_SYNC_EVERY_BATCH (0) or QV_SYNC_NEVER (1)");
    CHECK(db2 == NULL);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

/* Writes `text` over collections/<name>/manifest.json under `dir`. */
static void overwrite_config(const char *dir, const char *name, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/collections/%s/collection.json", dir, name);
    struct stat st;
    CHECK(stat(path, &st) == 0); /* the file this test corrupts exists */
    CHECK(qvt_write_file(path, text, strlen(text)) == 0);
}

void test_errors_lock_and_files(void) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", qvt_path("files"));
    qv_database *db = qvt_open_db(dir);
    if (db == NULL) return;

    /* A second open of the same directory, in the same process. */
    qv_database *second = NULL;
    FAILS(QV_ERR_LOCKED, qv_database_open((const uint8_t *)dir, strlen(dir), NULL, &second, ERR));
    CHECK_MESSAGE_HAS(dir);
    CHECK(second == NULL);

    const char *names[4] = {"garbage", "foreign", "future", "intact"};
    for (size_t i = 0; i < 4; i++) {
        qv_collection *c = qvt_create(db, names[i], 2, QV_METRIC_EUCLIDEAN);
        uint64_t id = 1;
        float v[2] = {1, 2};
        OK(qv_collection_upsert(c, &id, 1, v, 2, NULL, NULL, 0, ERR));
        qv_collection_free(c);
    }
    OK(qv_database_close(db, ERR));
    qv_database_free(db);

    /* Damage three configuration files of the closed database. */
    overwrite_config(dir, "garbage", "\x01\x02garbage\xff not json");
    overwrite_config(dir, "foreign", "{\"magic\": \"someone-else\", \"format_version\": 1}");
    overwrite_config(dir, "future",
                       "{\"magic\": \"quiver-collection\", \"format_version\": 999, \"kind\": \"vector\","
                       " \"dimension\": 2, \"metric\": \"euclidean\"}");
    db = qvt_open_db(dir);
    if (db == NULL) return;
    qv_collection *c = NULL;
    FAILS(QV_ERR_CORRUPT, qv_database_open_collection(db, (const uint8_t *)"garbage", 7, &c, ERR));
    CHECK_MESSAGE_HAS("collection.json");
    FAILS(QV_ERR_INCOMPATIBLE_FORMAT, qv_database_open_collection(db, (const uint8_t *)"foreign", 7, &c, ERR));
    CHECK_MESSAGE_HAS("collection.json");
    FAILS(QV_ERR_INCOMPATIBLE_FORMAT, qv_database_open_collection(db, (const uint8_t *)"future", 6, &c, ERR));
    CHECK_MESSAGE_HAS("999");
    CHECK(c == NULL);
    /* The intact collection is unaffected; a damaged one can be dropped. */
    OK(qv_database_open_collection(db, (const uint8_t *)"intact", 6, &c, ERR));
    CHECK_EQ_U64(qvt_count(c), 1);
    qv_collection_free(c);
    OK(qv_database_drop_collection(db, (const uint8_t *)"garbage", 7, ERR));
    OK(qv_database_close(db, ERR));
    qv_database_free(db);

    /* A directory that is not a quiver database, and a foreign marker. */
    char foreign[512];
    snprintf(foreign, sizeof foreign, "%s", qvt_path("not-a-db"));
    CHECK(mkdir(foreign, 0700) == 0);
    char file[600];
    snprintf(file, sizeof file, "%s/notes.txt", foreign);
    CHECK(qvt_write_file(file, "hello", 5) == 0);
    db = NULL;
    FAILS(QV_ERR_INCOMPATIBLE_FORMAT, qv_database_open((const uint8_t *)foreign, strlen(foreign), NULL, &db, ERR));
    CHECK_MESSAGE_HAS("not a quiver database");
    snprintf(file, sizeof file, "%s/quiver.db", foreign);
    CHECK(qvt_write_file(file, "{\"magic\": \"other\"}", 18) == 0);
    FAILS(QV_ERR_INCOMPATIBLE_FORMAT, qv_database_open((const uint8_t *)foreign, strlen(foreign), NULL, &db, ERR));
    CHECK(qvt_write_file(file, "\x7f" "ELF garbage", 12) == 0);
    FAILS(QV_ERR_CORRUPT, qv_database_open((const uint8_t *)foreign, strlen(foreign), NULL, &db, ERR));
    CHECK(db == NULL);
    /* A path that is a regular file. */
    FAILS(QV_ERR_IO, qv_database_open((const uint8_t *)file, strlen(file), NULL, &db, ERR));
    CHECK(db == NULL);
}

void test_errors_use_after_close(void) {
    qv_database *db = NULL;
    qv_collection *c = setup(&db, "closed");
    if (c == NULL) goto out;
    qv_collection *other = NULL;
    OK(qv_database_open_collection(db, (const uint8_t *)"e", 1, &other, ERR));
    uint64_t n, id = 1, next;
    float q[DIM] = {1, 0, 0, 0};
    qv_search_params p;
    qv_search_params_init(&p);
    uint64_t hid[10];
    float hs[10];
    uint32_t hc;
    size_t count;
    uint8_t has_next;
    qv_results *r = NULL;
    qv_points *pts = NULL;
    qv_collection_config cfg;

    /* A closed collection handle. */
    OK(qv_collection_close(c, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_count(c, &n, ERR));
    CHECK_MESSAGE_HAS("closed");
    FAILS(QV_ERR_CLOSED, qv_collection_upsert(c, &id, 1, q, DIM, NULL, NULL, 0, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_search(c, q, 1, DIM, &p, hid, hs, 10, &hc, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_search_results(c, q, 1, DIM, &p, &r, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_get(c, &id, 1, &pts, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_delete(c, &id, 1, NULL, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_scroll(c, 0, NULL, 0, hid, 10, &count, &next, &has_next, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_get_config(c, &cfg, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_checkpoint(c, ERR));
    OK(qv_collection_close(c, ERR));
    /* ... does not close the other handle, nor change the data. */
    CHECK_EQ_U64(qvt_count(other), 3);

    /* A closed database: its handle, and collection handles obtained before. */
    OK(qv_database_close(db, ERR));
    qv_collection *c2 = NULL;
    qv_strings *names = NULL;
    qv_collection_config_init(&cfg);
    cfg.dimension = 2;
    FAILS(QV_ERR_CLOSED, qv_database_open_collection(db, (const uint8_t *)"e", 1, &c2, ERR));
    CHECK_MESSAGE_HAS("closed");
    FAILS(QV_ERR_CLOSED, qv_database_create_collection(db, (const uint8_t *)"f", 1, &cfg, &c2, ERR));
    FAILS(QV_ERR_CLOSED, qv_database_list_collections(db, &names, ERR));
    FAILS(QV_ERR_CLOSED, qv_database_drop_collection(db, (const uint8_t *)"e", 1, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_count(other, &n, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_upsert(other, &id, 1, q, DIM, NULL, NULL, 0, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_search(other, q, 1, DIM, &p, hid, hs, 10, &hc, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_search_results(other, q, 1, DIM, &p, &r, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_get(other, &id, 1, &pts, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_delete(other, &id, 1, NULL, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_scroll(other, 0, NULL, 0, hid, 10, &count, &next, &has_next, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_checkpoint(other, ERR));
    OK(qv_collection_close(other, ERR));
    CHECK(c2 == NULL && names == NULL && r == NULL && pts == NULL);
    OK(qv_database_close(db, ERR));
    qv_collection_free(other);
out:
    teardown(db, c);
}

void test_failed_calls_change_nothing(void) {
    qv_database *db = NULL;
    qv_collection *c = setup(&db, "nochange");
    if (c == NULL) goto out;
    /* A batch that replaces point 1 and adds 30..33, with a NaN in its last point. */
    uint64_t ids[5] = {1, 30, 31, 32, 33};
    float v[5 * DIM];
    for (size_t i = 0; i < 5 * DIM; i++) v[i] = (float)(i % 7) + 1;
    const char *pd = "{\"new\":1}{\"new\":2}{\"new\":3}{\"new\":4}{\"new\":5}";
    uint64_t offs[6] = {0, 9, 18, 27, 36, 45};
    v[4 * DIM + 3] = NAN;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, ids, 5, v, 5 * DIM, offs, (const uint8_t *)pd, 45, ERR));
    v[4 * DIM + 3] = 1;
    /* ... with a wrong float count, with a bad last payload. */
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_upsert(c, ids, 5, v, 5 * DIM - 1, offs, (const uint8_t *)pd, 45, ERR));
    uint64_t short_offs[6] = {0, 9, 18, 27, 36, 44};
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, ids, 5, v, 5 * DIM, short_offs, (const uint8_t *)pd, 45, ERR));
    /* Failed deletes and searches. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_delete(c, NULL, 3, NULL, ERR));
    CHECK_EQ_U64(qvt_count(c), 3);

    /* Nothing of the failed batches is visible; point 1 is unchanged. */
    qv_points *pts = NULL;
    OK(qv_collection_get(c, ids, 5, &pts, ERR));
    qv_points_view pv;
    if (OK(qv_points_get_view(pts, &pv, ERR)) == QV_OK) {
        CHECK(pv.found[0] == 1);
        for (size_t i = 1; i < 5; i++) CHECK(pv.found[i] == 0);
        CHECK(pv.vectors[0] == 1.0f && pv.vectors[1] == 0.0f);
        CHECK(pv.payload_offsets[1] - pv.payload_offsets[0] == 7 &&
              memcmp(pv.payload_data, "{\"a\":1}", 7) == 0);
    }
    qv_points_free(pts);

    /* And the same batch without the error goes in whole. */
    OK(qv_collection_upsert(c, ids, 5, v, 5 * DIM, offs, (const uint8_t *)pd, 45, ERR));
    CHECK_EQ_U64(qvt_count(c), 7);

out:
    teardown(db, c);
}

/* Option structs of another version: a caller built against a newer
 * quiver.h passes a larger struct (and struct_size), which this library
 * refuses, naming both sizes; a reserved field must be 0. */
void test_errors_option_struct_versions(void) {
    qv_database *db = NULL;
    qv_collection *c = setup(&db, "versions");
    if (c == NULL) goto out;
    char want[160];

    /* qv_search_params with a field this library does not know. */
    struct {
        qv_search_params p;
        uint64_t newer_field;
    } big;
    memset(&big, 0, sizeof big);
    qv_search_params_init(&big.p);
    big.p.struct_size = (uint32_t)sizeof big;
    big.newer_field = 7;
    float q[DIM] = {1, 0, 0, 0};
    uint64_t hid[10];
    float hs[10];
    uint32_t hc;
    qv_results *r = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 1, DIM, &big.p, hid, hs, 10, &hc, ERR));
    snprintf(want, sizeof want, "params.struct_size is %zu, but this library's qv_search_params has %zu bytes",
             sizeof big, sizeof big.p);
    CHECK_MESSAGE_HAS(want);
    CHECK_MESSAGE_HAS("newer quiver.h");
    CHECK_MESSAGE_HAS(QV_VERSION);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, q, 1, DIM, &big.p, &r, ERR));
    CHECK_MESSAGE_HAS("newer quiver.h");
    CHECK(r == NULL);
    /* The same struct with this version's size is fine. */
    big.p.struct_size = (uint32_t)sizeof big.p;
    OK(qv_collection_search(c, q, 1, DIM, &big.p, hid, hs, 10, &hc, ERR));
    /* A non-zero reserved field. */
    big.p.reserved = 1;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, q, 1, DIM, &big.p, hid, hs, 10, &hc, ERR));
    CHECK_MESSAGE_HAS("params.reserved is 1; it must be 0");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, q, 1, DIM, &big.p, &r, ERR));
    CHECK_MESSAGE_HAS("params.reserved");
    CHECK(r == NULL);

    /* qv_collection_config. */
    struct {
        qv_collection_config cfg;
        uint32_t newer_fields[6];
    } bigc;
    memset(&bigc, 0, sizeof bigc);
    qv_collection_config_init(&bigc.cfg);
    bigc.cfg.dimension = 3;
    bigc.cfg.struct_size = (uint32_t)sizeof bigc;
    qv_collection *c2 = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_create_collection(db, (const uint8_t *)"newer", 5, &bigc.cfg, &c2, ERR));
    snprintf(want, sizeof want, "config.struct_size is %zu, but this library's qv_collection_config has %zu bytes",
             sizeof bigc, sizeof bigc.cfg);
    CHECK_MESSAGE_HAS(want);
    CHECK_MESSAGE_HAS("newer quiver.h");
    CHECK(c2 == NULL);

    /* qv_database_options. */
    struct {
        qv_database_options o;
        uint64_t newer_field;
    } bigo;
    memset(&bigo, 0, sizeof bigo);
    qv_database_options_init(&bigo.o);
    bigo.o.struct_size = (uint32_t)sizeof bigo;
    const char *path = qvt_path("versions-opts");
    qv_database *db2 = NULL;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_database_open((const uint8_t *)path, strlen(path), &bigo.o, &db2, ERR));
    snprintf(want, sizeof want, "opts.struct_size is %zu, but this library's qv_database_options has %zu bytes",
             sizeof bigo, sizeof bigo.o);
    CHECK_MESSAGE_HAS(want);
    CHECK(db2 == NULL);

    /* Nothing was created by the refused calls. */
    qv_strings *names = NULL;
    OK(qv_database_list_collections(db, &names, ERR));
    CHECK_EQ_U64(qv_strings_count(names), 1);
    qv_strings_free(names);
    struct stat st;
    CHECK(stat(path, &st) != 0);
out:
    teardown(db, c);
}

/* Finite values whose squares overflow: under the dot product two such
 * vectors score +inf + -inf = NaN (the empty-slot marker of
 * qv_collection_search), so they are refused, vectors and queries. */
void test_errors_huge_values(void) {
    qv_database *db = qvt_open_db(qvt_path("huge"));
    if (db == NULL) return;
    const uint32_t metrics[] = {QV_METRIC_DOT, QV_METRIC_EUCLIDEAN, QV_METRIC_HAMMING, QV_METRIC_JACCARD};
    for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
        char name[16];
        snprintf(name, sizeof name, "m%zu", m);
        qv_collection *c = qvt_create(db, name, DIM, metrics[m]);
        if (c == NULL) continue;
        uint64_t ids[2] = {4, 5};
        float v[2 * DIM] = {1, 2, 3, 4, 1e30f, -1e30f, 1, 1};
        FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, ids, 2, v, 2 * DIM, NULL, NULL, 0, ERR));
        CHECK_MESSAGE_HAS("point 5 (batch index 1)");
        CHECK_MESSAGE_HAS("squared norm");
        CHECK_EQ_U64(qvt_count(c), 0);
        /* Large values whose squared norm is finite are fine ... */
        float ok[2 * DIM] = {1.8e19f, 0, 0, 0, 1.3e19f, -1.3e19f, 0, 0};
        OK(qv_collection_upsert(c, ids, 2, ok, 2 * DIM, NULL, NULL, 0, ERR));
        /* ... and so is a query of them: no score is NaN. */
        qv_search_params p;
        qv_search_params_init(&p);
        uint64_t hid[2 * 10];
        float hs[2 * 10];
        uint32_t hc[2];
        float qs[2 * DIM] = {1.3e19f, 1.3e19f, 0, 0, -1.8e19f, 0, 0, 0};
        for (uint32_t exact = 0; exact <= 1; exact++) {
            p.exact = exact;
            OK(qv_collection_search(c, qs, 2, DIM, &p, hid, hs, 20, hc, ERR));
            for (size_t i = 0; i < 2; i++) {
                CHECK_EQ_U64(hc[i], 2);
                for (size_t j = 0; j < hc[i]; j++) CHECK(!isnan(hs[i * 10 + j]));
            }
        }
        /* A query whose squared norm overflows is refused, in both modes. */
        qs[DIM + 1] = 1e30f;
        FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search(c, qs, 2, DIM, &p, hid, hs, 20, hc, ERR));
        CHECK_MESSAGE_HAS("query 1");
        CHECK_MESSAGE_HAS("squared norm");
        qv_results *r = NULL;
        FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_search_results(c, &qs[DIM], 1, DIM, &p, &r, ERR));
        CHECK_MESSAGE_HAS("squared norm");
        CHECK(r == NULL);
        qv_collection_free(c);
    }
    /* Cosine normalises first: the direction of huge values is kept. */
    qv_collection *c = qvt_create(db, "cos", DIM, QV_METRIC_COSINE);
    if (c != NULL) {
        uint64_t id = 1;
        float v[DIM] = {1e30f, 1e30f, 0, 0};
        OK(qv_collection_upsert(c, &id, 1, v, DIM, NULL, NULL, 0, ERR));
        qv_search_params p;
        qv_search_params_init(&p);
        uint64_t hid[10];
        float hs[10];
        uint32_t hc;
        float q[DIM] = {3e38f, 3e38f, 3e38f, 0};
        OK(qv_collection_search(c, q, 1, DIM, &p, hid, hs, 10, &hc, ERR));
        CHECK(hc == 1 && hid[0] == 1);
        CHECK_NEAR(hs[0], 2.0 / sqrt(6.0), 1e-5);
        qv_collection_free(c);
    }
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

/* n * dimension overflowing size_t is refused before anything is read
 * (the ids buffer here is shorter than n: the library must not form it). */
void test_errors_size_overflow(void) {
    qv_database *db = qvt_open_db(qvt_path("overflow"));
    if (db == NULL) return;
    const uint32_t dim = 65536;
    qv_collection *c = qvt_create(db, "wide", dim, QV_METRIC_DOT);
    float *v = calloc(dim, sizeof *v);
    if (c != NULL && v != NULL) {
        v[0] = 1;
        uint64_t ids[1] = {1};
        /* (2^48 + 1) * 2^16 = 2^64 + 2^16: wraps to 2^16 = vectors_len. */
        size_t n = ((size_t)1 << 48) + 1;
        FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_upsert(c, ids, n, v, dim, NULL, NULL, 0, ERR));
        CHECK_MESSAGE_HAS("overflows");
        CHECK_EQ_U64(qvt_count(c), 0);
        /* A get that large is more memory than there is. */
        qv_points *pts = NULL;
        FAILS(QV_ERR_OUT_OF_MEMORY, qv_collection_get(c, ids, n, &pts, ERR));
        CHECK(pts == NULL);
        OK(qv_collection_upsert(c, ids, 1, v, dim, NULL, NULL, 0, ERR));
        CHECK_EQ_U64(qvt_count(c), 1);
    }
    free(v);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
