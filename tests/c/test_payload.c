/*
 * test_payload.c: payload operations, delete and count by filter, scroll
 * of points with an order and a cursor, and explain, through the C ABI;
 * each against what a C loop over the known payloads expects, and the
 * errors.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <stdlib.h>

enum { PN = 200, PDIM = 4 };

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static void upsert_points(qv_collection *c, float *vecs) {
    uint64_t ids[PN], offs[PN + 1];
    static char data[PN * 64];
    size_t len = 0;
    offs[0] = 0;
    for (uint64_t i = 0; i < PN; i++) {
        ids[i] = i;
        len += (size_t)snprintf(data + len, sizeof data - len,
                                "{\"g\":\"g%llu\",\"n\":%llu,\"keep\":1}",
                                (unsigned long long)(i % 4), (unsigned long long)((i * 37) % 101));
        offs[i + 1] = len;
    }
    OK(qv_collection_upsert(c, ids, PN, vecs, PN * PDIM, offs, (const uint8_t *)data, len, ERR));
}

static uint64_t count_where(qv_collection *c, const char *filter) {
    uint64_t n = 0;
    OK(qv_collection_count_where(c, (const uint8_t *)filter, filter ? strlen(filter) : 0, &n, ERR));
    return n;
}

/* The payload of point `id` as text (empty when none); buf of `cap` bytes. */
static const char *payload_of(qv_collection *c, uint64_t id, char *buf, size_t cap) {
    qv_points *p = NULL;
    qv_points_view v;
    buf[0] = 0;
    OK(qv_collection_get(c, &id, 1, &p, ERR));
    OK(qv_points_get_view(p, &v, ERR));
    size_t len = (size_t)(v.payload_offsets[1] - v.payload_offsets[0]);
    if (len < cap) {
        memcpy(buf, v.payload_data + v.payload_offsets[0], len);
        buf[len] = 0;
    }
    qv_points_free(p);
    return buf;
}

/* Scrolls every page with `params` (its cursor is overwritten) and writes
 * the ids into `out`; returns their number. */
static size_t scroll_all(qv_collection *c, qv_scroll_params *params, uint64_t *out, size_t cap) {
    size_t n = 0;
    char cursor[64] = {0};
    params->cursor = NULL;
    params->cursor_len = 0;
    for (int pages = 0; pages < 1000; pages++) {
        qv_points *p = NULL;
        qv_points_view v;
        if (OK(qv_collection_scroll_points(c, params, &p, ERR)) != QV_OK) return n;
        OK(qv_points_get_view(p, &v, ERR));
        /* Vectors only when asked for. */
        CHECK(params->with_vectors ? v.dimension == PDIM : (v.dimension == 0 && v.vectors == NULL));
        for (uint64_t i = 0; i < v.count && n < cap; i++) {
            CHECK(v.found[i] == 1);
            out[n++] = v.ids[i];
        }
        const char *next = NULL;
        size_t next_len = 0;
        OK(qv_points_next_cursor(p, &next, &next_len, ERR));
        if (next == NULL) {
            CHECK(next_len == 0);
            qv_points_free(p);
            return n;
        }
        CHECK(next_len < sizeof cursor && strlen(next) == next_len);
        memcpy(cursor, next, next_len + 1);
        qv_points_free(p);
        params->cursor = (const uint8_t *)cursor;
        params->cursor_len = next_len;
    }
    CHECK(!"scroll did not end");
    return n;
}

void test_payload_operations(void) {
    static float vecs[PN * PDIM];
    uint64_t seed = 5;
    for (size_t i = 0; i < PN * PDIM; i++) vecs[i] = qvt_rand(&seed);
    char path[512];
    snprintf(path, sizeof path, "%s", qvt_path("payload"));
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "p", PDIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) return;
    upsert_points(c, vecs);
    OK(qv_collection_create_field_index(c, S("n"), QV_FIELD_INTEGER, ERR));
    OK(qv_collection_create_field_index(c, S("g"), QV_FIELD_KEYWORD, ERR));
    char buf[256];

    /* Count by filter. */
    CHECK_EQ_U64(count_where(c, NULL), PN);
    CHECK_EQ_U64(count_where(c, "{\"field\":\"g\",\"eq\":\"g1\"}"), PN / 4);
    uint64_t want = 0;
    for (uint64_t i = 0; i < PN; i++) want += (i * 37) % 101 < 30;
    CHECK_EQ_U64(count_where(c, "{\"field\":\"n\",\"lt\":30}"), want);

    /* Set by ids, then by filter. */
    uint64_t applied = 0, ids[3] = {3, 4, 999};
    OK(qv_collection_update_payload(c, QV_PAYLOAD_SET, ids, 3, NULL, 0, S("{\"x\":true}"),
                                    &applied, ERR));
    CHECK_EQ_U64(applied, 2);
    CHECK(strcmp(payload_of(c, 3, buf, sizeof buf), "{\"g\":\"g3\",\"keep\":1,\"n\":10,\"x\":true}") == 0);
    OK(qv_collection_update_payload(c, QV_PAYLOAD_SET, NULL, 0, S("{\"field\":\"g\",\"eq\":\"g2\"}"),
                                    S("{\"x\":false}"), &applied, ERR));
    CHECK_EQ_U64(applied, PN / 4);
    CHECK_EQ_U64(count_where(c, "{\"field\":\"x\",\"eq\":false}"), PN / 4);
    /* Delete keys by filter, overwrite and clear by ids. */
    OK(qv_collection_update_payload(c, QV_PAYLOAD_DELETE_KEYS, NULL, 0,
                                    S("{\"field\":\"x\",\"exists\":true}"), S("[\"keep\"]"),
                                    &applied, ERR));
    CHECK_EQ_U64(applied, PN / 4 + 2);
    CHECK(strcmp(payload_of(c, 4, buf, sizeof buf), "{\"g\":\"g0\",\"n\":47,\"x\":true}") == 0);
    OK(qv_collection_update_payload(c, QV_PAYLOAD_OVERWRITE, ids, 1, NULL, 0,
                                    S("{\"n\": 1000,  \"g\":\"new\"}"), &applied, ERR));
    CHECK(strcmp(payload_of(c, 3, buf, sizeof buf), "{\"n\": 1000,  \"g\":\"new\"}") == 0);
    CHECK_EQ_U64(count_where(c, "{\"field\":\"n\",\"gte\":1000}"), 1);
    OK(qv_collection_update_payload(c, QV_PAYLOAD_CLEAR, ids + 1, 1, NULL, 0, NULL, 0, &applied,
                                    ERR));
    CHECK_EQ_U64(applied, 1);
    CHECK(strcmp(payload_of(c, 4, buf, sizeof buf), "") == 0);

    /* Delete by filter. */
    uint64_t deleted = 0;
    OK(qv_collection_delete_where(c, S("{\"field\":\"g\",\"eq\":\"g1\"}"), &deleted, ERR));
    CHECK_EQ_U64(deleted, PN / 4);
    CHECK_EQ_U64(count_where(c, NULL), PN - PN / 4);

    /* Scroll by id with a filter, in pages of 7. */
    qv_scroll_params sp;
    qv_scroll_params_init(&sp);
    CHECK(sp.limit == 100 && sp.with_payload == 1);
    sp.limit = 7;
    sp.filter_json = (const uint8_t *)"{\"field\":\"g\",\"eq\":\"g0\"}";
    sp.filter_len = strlen((const char *)sp.filter_json);
    uint64_t got[PN];
    size_t n = scroll_all(c, &sp, got, PN);
    size_t k = 0;
    int ok = 1;
    for (uint64_t i = 0; i < PN; i++) {
        if (i % 4 != 0 || i == 4) continue; /* 4 was cleared */
        ok &= k < n && got[k] == i;
        k++;
    }
    CHECK(ok && k == n);
    /* Ordered by n, descending, all points: n never increases. */
    qv_scroll_params_init(&sp);
    sp.limit = 9;
    sp.order_by = (const uint8_t *)"n";
    sp.order_by_len = 1;
    sp.descending = 1;
    sp.with_vectors = 1;
    n = scroll_all(c, &sp, got, PN);
    CHECK_EQ_U64(n, PN - PN / 4 - 1); /* point 4 has no payload, so no n */
    CHECK(got[0] == 3);               /* n = 1000 */
    for (size_t i = 1; i < n; i++) {
        char a[256], b[256];
        long na = strtol(strstr(payload_of(c, got[i - 1], a, sizeof a), "\"n\":") + 4, NULL, 10);
        long nb = strtol(strstr(payload_of(c, got[i], b, sizeof b), "\"n\":") + 4, NULL, 10);
        if (na < nb || (na == nb && got[i - 1] > got[i])) {
            CHECK(!"descending order");
            break;
        }
    }

    /* Explain: a JSON document naming the plan of each segment. */
    qv_search_params params;
    qv_search_params_init(&params);
    params.k = 5;
    params.filter_json = (const uint8_t *)"{\"field\":\"n\",\"lt\":5}";
    params.filter_len = strlen((const char *)params.filter_json);
    qv_strings *plan = NULL;
    OK(qv_collection_explain(c, vecs, PDIM, &params, &plan, ERR));
    const char *text = NULL;
    OK(qv_strings_get(plan, 0, &text, NULL, ERR));
    CHECK(text != NULL && strstr(text, "\"segments\":[") != NULL);
    CHECK(text != NULL && strstr(text, "\"plan\":\"scan-candidates\"") != NULL);
    CHECK(text != NULL && strstr(text, "\"hits\":[") != NULL);
    qv_strings_free(plan);

    /* Errors change nothing. */
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_update_payload(c, 9, ids, 1, NULL, 0, NULL, 0, &applied, ERR));
    CHECK(strstr(qvt_last_message, "op is 9") != NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_update_payload(c, QV_PAYLOAD_SET, ids, 1, S("{\"field\":\"g\",\"eq\":1}"),
                                       S("{}"), &applied, ERR));
    CHECK(strstr(qvt_last_message, "not both") != NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_update_payload(c, QV_PAYLOAD_SET, ids, 1, NULL, 0,
                                                                S("[1]"), &applied, ERR));
    CHECK(strstr(qvt_last_message, "must be a JSON object") != NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_update_payload(c, QV_PAYLOAD_DELETE_KEYS, ids, 1, NULL, 0, S("[\"a..b\"]"),
                                       &applied, ERR));
    CHECK(strstr(qvt_last_message, "keys[0]") != NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_update_payload(c, QV_PAYLOAD_CLEAR, ids, 1, NULL, 0, S("{}"), &applied, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_delete_where(c, NULL, 0, &deleted, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_delete_where(c, S("{\"field\":\"g\",\"eqq\":1}"), &deleted, ERR));
    CHECK(strstr(qvt_last_message, "unknown operator \"eqq\"") != NULL);
    qv_points *p = NULL;
    qv_scroll_params_init(&sp);
    sp.order_by = (const uint8_t *)"g";
    sp.order_by_len = 1;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll_points(c, &sp, &p, ERR));
    CHECK(p == NULL && strstr(qvt_last_message, "no integer, float or datetime index") != NULL);
    qv_scroll_params_init(&sp);
    sp.cursor = (const uint8_t *)"bogus";
    sp.cursor_len = 5;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll_points(c, &sp, &p, ERR));
    CHECK(strstr(qvt_last_message, "params.cursor \"bogus\"") != NULL);
    qv_scroll_params_init(&sp);
    sp.descending = 1;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll_points(c, &sp, &p, ERR));
    CHECK(strstr(qvt_last_message, "params.descending is 1 without params.order_by") != NULL);
    qv_scroll_params_init(&sp);
    sp.limit = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll_points(c, &sp, &p, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_scroll_points(c, NULL, &p, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_points_next_cursor(NULL, &text, NULL, ERR));
    CHECK_EQ_U64(count_where(c, NULL), PN - PN / 4);

    /* Everything survives a reopen (replayed from the log). */
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
    db = qvt_open_db(path);
    if (db == NULL) return;
    c = NULL;
    OK(qv_database_open_collection(db, S("p"), &c, ERR));
    if (c == NULL) return;
    CHECK_EQ_U64(count_where(c, NULL), PN - PN / 4);
    CHECK(strcmp(payload_of(c, 3, buf, sizeof buf), "{\"n\": 1000,  \"g\":\"new\"}") == 0);
    CHECK_EQ_U64(count_where(c, "{\"field\":\"x\",\"eq\":false}"), PN / 4);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
