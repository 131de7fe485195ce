/*
 * test_crud.c: versions, NULL-tolerant helpers, the create / upsert / get /
 * delete / count / scroll / list / drop flow, reopening, metadata-only
 * collections and handle lifetimes.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <math.h>
#include <stdlib.h>

/* Compact JSON with sorted keys, as the library writes payloads back. */
static size_t payload_of(char *buf, size_t cap, size_t i) {
    if (i % 4 == 3) return 0; /* every fourth point has no payload */
    return (size_t)snprintf(buf, cap, "{\"n\":%zu,\"tag\":\"%s\",\"text\":\"point \\\"%zu\\\"\"}", i,
                            i % 2 ? "odd" : "even", i);
}

/* Builds payload offsets/data for points 0..n-1 with `payload_of`. */
static void build_payloads(size_t n, uint64_t *offs, char *data, size_t cap) {
    size_t len = 0;
    offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
        len += payload_of(data + len, cap - len, i);
        offs[i + 1] = len;
    }
}

static void normalize(float *v, size_t dim) {
    double s = 0;
    for (size_t i = 0; i < dim; i++) s += (double)v[i] * v[i];
    s = sqrt(s);
    for (size_t i = 0; i < dim; i++) v[i] = (float)(v[i] / s);
}

/* Checks that entry `j` of a points view holds payload `want` (NULL = none). */
static void check_view_payload(const qv_points_view *v, size_t j, const char *want, int line) {
    uint64_t a = v->payload_offsets[j], b = v->payload_offsets[j + 1];
    size_t wl = want ? strlen(want) : 0;
    qvt_checks++;
    if (b - a != wl || (wl && memcmp(v->payload_data + a, want, wl) != 0))
        qvt_fail(__FILE__, line, "payload of entry %zu is \"%.*s\", expected \"%s\"", j,
                 (int)(b - a), (const char *)v->payload_data + a, want ? want : "");
}

void test_version_and_null_arguments(void) {
    CHECK(strcmp(qv_version(), QV_VERSION) == 0);
    CHECK_EQ_U64(qv_abi_version(), QV_ABI_VERSION);

    /* Freeing and closing NULL are no-ops. */
    qv_error_free(NULL);
    qv_points_free(NULL);
    qv_results_free(NULL);
    qv_strings_free(NULL);
    qv_collection_free(NULL);
    qv_database_free(NULL);
    OK(qv_collection_close(NULL, ERR));
    OK(qv_database_close(NULL, ERR));
    CHECK(qv_collection_close(NULL, NULL) == QV_OK);
    CHECK(qv_database_close(NULL, NULL) == QV_OK);

    /* Accessors on NULL. */
    CHECK(qv_error_code(NULL) == QV_ERR_INVALID_ARGUMENT);
    CHECK(qv_error_message(NULL) != NULL && qv_error_message(NULL)[0] == '\0');
    CHECK_EQ_U64(qv_strings_count(NULL), 0);
    qv_collection_config_init(NULL);
    qv_search_params_init(NULL);
    qv_database_options_init(NULL);

    /* The init functions set struct_size and the documented defaults. */
    qv_collection_config cfg;
    memset(&cfg, 0xff, sizeof cfg);
    qv_collection_config_init(&cfg);
    CHECK_EQ_U64(cfg.struct_size, sizeof cfg);
    CHECK_EQ_U64(cfg.kind, QV_KIND_VECTOR);
    CHECK_EQ_U64(cfg.dimension, 0);
    CHECK_EQ_U64(cfg.metric, QV_METRIC_COSINE);
    CHECK_EQ_U64(cfg.hnsw_m, 16);
    CHECK_EQ_U64(cfg.hnsw_ef_construction, 200);
    CHECK_EQ_U64(cfg.hnsw_ef_search, 64);
    qv_search_params p;
    memset(&p, 0xff, sizeof p);
    qv_search_params_init(&p);
    CHECK_EQ_U64(p.struct_size, sizeof p);
    CHECK_EQ_U64(p.k, 10);
    CHECK(p.ef == 0 && p.exact == 0 && p.with_payload == 0 && p.filter_json == NULL &&
          p.filter_len == 0);
    qv_database_options o;
    memset(&o, 0xff, sizeof o);
    qv_database_options_init(&o);
    CHECK_EQ_U64(o.struct_size, sizeof o);
    CHECK_EQ_U64(o.sync, QV_SYNC_EVERY_BATCH);

    /* An error object from a real failure. */
    qv_error *err = NULL;
    CHECK(qv_database_open(NULL, 3, NULL, NULL, &err) == QV_ERR_INVALID_ARGUMENT);
    CHECK(err != NULL && qv_error_code(err) == QV_ERR_INVALID_ARGUMENT);
    CHECK(strlen(qv_error_message(err)) > 10);
    qv_error_free(err);
}

void test_crud_flow(void) {
    enum { N = 12, DIM = 4 };
    const char *path = qvt_path("crud");
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "docs", DIM, QV_METRIC_COSINE);
    if (c == NULL) goto out;

    qv_collection_config cfg;
    memset(&cfg, 0, sizeof cfg);
    OK(qv_collection_get_config(c, &cfg, ERR));
    CHECK_EQ_U64(cfg.struct_size, sizeof cfg);
    CHECK_EQ_U64(cfg.kind, QV_KIND_VECTOR);
    CHECK_EQ_U64(cfg.dimension, DIM);
    CHECK_EQ_U64(cfg.metric, QV_METRIC_COSINE);
    CHECK_EQ_U64(cfg.hnsw_m, 16);
    CHECK_EQ_U64(cfg.hnsw_ef_construction, 200);
    CHECK_EQ_U64(cfg.hnsw_ef_search, 64);

    /* Upsert N points with sparse ids, payloads (some absent). */
    uint64_t ids[N];
    float vecs[N * DIM];
    uint64_t offs[N + 1];
    char data[4096];
    uint64_t seed = 1;
    for (size_t i = 0; i < N; i++) {
        ids[i] = 1000 + 7 * i;
        for (size_t d = 0; d < DIM; d++) vecs[i * DIM + d] = qvt_rand(&seed);
    }
    build_payloads(N, offs, data, sizeof data);
    CHECK_EQ_U64(qvt_count(c), 0);
    OK(qv_collection_upsert(c, ids, N, vecs, N * DIM, offs, (const uint8_t *)data, offs[N], ERR));
    CHECK_EQ_U64(qvt_count(c), N);

    /* Get: found and missing ids, vectors (normalised for cosine), payloads. */
    uint64_t want[4] = {ids[2], 42, ids[3], ids[N - 2]};
    qv_points *pts = NULL;
    OK(qv_collection_get(c, want, 4, &pts, ERR));
    qv_points_view v;
    OK(qv_points_get_view(pts, &v, ERR));
    CHECK_EQ_U64(v.count, 4);
    CHECK_EQ_U64(v.dimension, DIM);
    for (size_t j = 0; j < 4; j++) CHECK_EQ_U64(v.ids[j], want[j]);
    CHECK(v.found[0] == 1 && v.found[1] == 0 && v.found[2] == 1 && v.found[3] == 1);
    float unit[DIM];
    memcpy(unit, &vecs[2 * DIM], sizeof unit);
    normalize(unit, DIM);
    for (size_t d = 0; d < DIM; d++) {
        CHECK_NEAR(v.vectors[d], unit[d], 1e-6);
        CHECK(v.vectors[DIM + d] == 0.0f); /* missing: zeros */
    }
    char buf[256];
    payload_of(buf, sizeof buf, 2);
    check_view_payload(&v, 0, buf, __LINE__);
    check_view_payload(&v, 1, NULL, __LINE__); /* missing */
    check_view_payload(&v, 2, NULL, __LINE__); /* point 3 has no payload */
    payload_of(buf, sizeof buf, N - 2);
    check_view_payload(&v, 3, buf, __LINE__);
    CHECK_EQ_U64(v.payload_offsets[4], v.payload_data_len);
    qv_points_free(pts);

    /* Replace one point: new vector and payload, same count. */
    float nv[DIM] = {0, 0, 0, 1};
    const char *np = "{\"replaced\":true}";
    uint64_t noffs[2] = {0, strlen(np)};
    OK(qv_collection_upsert(c, &ids[2], 1, nv, DIM, noffs, (const uint8_t *)np, strlen(np), ERR));
    CHECK_EQ_U64(qvt_count(c), N);
    pts = NULL;
    OK(qv_collection_get(c, &ids[2], 1, &pts, ERR));
    if (OK(qv_points_get_view(pts, &v, ERR)) == QV_OK) {
        CHECK(v.found[0] == 1);
        CHECK(v.vectors[3] == 1.0f && v.vectors[0] == 0.0f);
        check_view_payload(&v, 0, np, __LINE__);
    }
    qv_points_free(pts);

    /* An empty batch is fine and changes nothing. */
    OK(qv_collection_upsert(c, NULL, 0, NULL, 0, NULL, NULL, 0, ERR));
    CHECK_EQ_U64(qvt_count(c), N);

    /* Search: the replaced point is the nearest to its new vector. */
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = 3;
    uint64_t hit[3];
    float score[3];
    uint32_t cnt = 0;
    OK(qv_collection_search(c, nv, 1, DIM, &p, hit, score, 3, &cnt, ERR));
    CHECK_EQ_U64(cnt, 3);
    CHECK_EQ_U64(hit[0], ids[2]);
    CHECK_NEAR(score[0], 1.0, 1e-5);

    /* Delete: existing and missing ids; `deleted` counts the existing. */
    uint64_t del[3] = {ids[0], 999999, ids[1]};
    uint64_t deleted = 77;
    OK(qv_collection_delete(c, del, 3, &deleted, ERR));
    CHECK_EQ_U64(deleted, 2);
    CHECK_EQ_U64(qvt_count(c), N - 2);
    OK(qv_collection_delete(c, del, 3, NULL, ERR)); /* `deleted` is optional */
    OK(qv_collection_delete(c, del, 3, &deleted, ERR));
    CHECK_EQ_U64(deleted, 0);
    pts = NULL;
    OK(qv_collection_get(c, del, 1, &pts, ERR));
    if (OK(qv_points_get_view(pts, &v, ERR)) == QV_OK) CHECK(v.found[0] == 0);
    qv_points_free(pts);
    OK(qv_collection_search(c, vecs, 1, DIM, &p, hit, score, 3, &cnt, ERR));
    for (uint32_t j = 0; j < cnt; j++) CHECK(hit[j] != ids[0] && hit[j] != ids[1]);

    /* Collections: list (sorted), drop. */
    qv_collection *other = qvt_create(db, "alpha", 2, QV_METRIC_DOT);
    qv_strings *names = NULL;
    OK(qv_database_list_collections(db, &names, ERR));
    CHECK_EQ_U64(qv_strings_count(names), 2);
    const char *s = NULL;
    size_t len = 0;
    OK(qv_strings_get(names, 0, &s, &len, ERR));
    CHECK(s != NULL && strcmp(s, "alpha") == 0 && len == 5);
    OK(qv_strings_get(names, 1, &s, NULL, ERR));
    CHECK(s != NULL && strcmp(s, "docs") == 0);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_strings_get(names, 2, &s, &len, ERR));
    CHECK_MESSAGE_HAS("out of range");
    qv_strings_free(names);

    OK(qv_database_drop_collection(db, (const uint8_t *)"alpha", 5, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_count(other, &deleted, ERR)); /* handle to a dropped one */
    qv_collection_free(other);
    names = NULL;
    OK(qv_database_list_collections(db, &names, ERR));
    CHECK_EQ_U64(qv_strings_count(names), 1);
    qv_strings_free(names);
    qv_collection *gone = NULL;
    FAILS(QV_ERR_NOT_FOUND, qv_database_open_collection(db, (const uint8_t *)"alpha", 5, &gone, ERR));
    CHECK(gone == NULL);
    FAILS(QV_ERR_NOT_FOUND, qv_database_drop_collection(db, (const uint8_t *)"alpha", 5, ERR));
    /* The name can be used again. */
    other = qvt_create(db, "alpha", 3, QV_METRIC_EUCLIDEAN);
    CHECK(other != NULL && qvt_count(other) == 0);
    qv_collection_free(other);

    OK(qv_collection_checkpoint(c, ERR));
    CHECK_EQ_U64(qvt_count(c), N - 2);
    OK(qv_collection_close(c, ERR));
out:
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

void test_reopen_keeps_data(void) {
    enum { N = 60, DIM = 8 };
    const char *p0 = qvt_path("reopen");
    char path[512];
    snprintf(path, sizeof path, "%s", p0);
    uint64_t ids[N];
    float vecs[N * DIM];
    uint64_t offs[N + 1];
    char data[8192];
    uint64_t seed = 2;
    for (size_t i = 0; i < N; i++) {
        ids[i] = i * 3 + 1;
        for (size_t d = 0; d < DIM; d++) vecs[i * DIM + d] = qvt_rand(&seed);
    }
    build_payloads(N, offs, data, sizeof data);

    /* Round 1: sync at checkpoints only; close without an explicit checkpoint. */
    qv_database_options o;
    qv_database_options_init(&o);
    o.sync = QV_SYNC_NEVER;
    qv_database *db = NULL;
    OK(qv_database_open((const uint8_t *)path, strlen(path), &o, &db, ERR));
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "keep", DIM, QV_METRIC_EUCLIDEAN);
    OK(qv_collection_upsert(c, ids, N, vecs, N * DIM, offs, (const uint8_t *)data, offs[N], ERR));
    qv_collection_free(c); /* free without close: fine */
    OK(qv_database_close(db, ERR));
    qv_database_free(db);

    /* Round 2: reopen, find everything; write more; free without closing. */
    db = qvt_open_db(path);
    if (db == NULL) return;
    c = NULL;
    OK(qv_database_open_collection(db, (const uint8_t *)"keep", 4, &c, ERR));
    CHECK_EQ_U64(qvt_count(c), N);
    qv_collection_config cfg;
    OK(qv_collection_get_config(c, &cfg, ERR));
    CHECK(cfg.dimension == DIM && cfg.metric == QV_METRIC_EUCLIDEAN);
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = 1;
    uint64_t hit;
    float score;
    uint32_t cnt;
    OK(qv_collection_search(c, &vecs[17 * DIM], 1, DIM, &p, &hit, &score, 1, &cnt, ERR));
    CHECK(cnt == 1 && hit == ids[17]);
    CHECK_NEAR(score, 0.0, 1e-5);
    qv_points *pts = NULL;
    OK(qv_collection_get(c, &ids[5], 1, &pts, ERR));
    qv_points_view v;
    if (OK(qv_points_get_view(pts, &v, ERR)) == QV_OK) {
        char buf[128];
        payload_of(buf, sizeof buf, 5);
        check_view_payload(&v, 0, buf, __LINE__);
        for (size_t d = 0; d < DIM; d++) CHECK(v.vectors[d] == vecs[5 * DIM + d]); /* euclidean: as given */
    }
    qv_points_free(pts);
    uint64_t del[2] = {ids[0], ids[1]};
    OK(qv_collection_delete(c, del, 2, NULL, ERR));
    uint64_t extra = 5000;
    OK(qv_collection_upsert(c, &extra, 1, vecs, DIM, NULL, NULL, 0, ERR));
    /* Dropping every handle closes the database (no explicit close). */
    qv_database_free(db);
    qv_collection_free(c);

    /* Round 3: the deletes and the insert survived. */
    db = qvt_open_db(path);
    if (db == NULL) return;
    c = NULL;
    OK(qv_database_open_collection(db, (const uint8_t *)"keep", 4, &c, ERR));
    CHECK_EQ_U64(qvt_count(c), N - 1);
    pts = NULL;
    uint64_t q[3] = {ids[0], extra, ids[2]};
    OK(qv_collection_get(c, q, 3, &pts, ERR));
    if (OK(qv_points_get_view(pts, &v, ERR)) == QV_OK)
        CHECK(v.found[0] == 0 && v.found[1] == 1 && v.found[2] == 1);
    qv_points_free(pts);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

/* Scrolls everything matching `filter` in pages of `page`; returns the ids
 * in `out` (up to `cap`) and their number; counts pages in `*pages`. */
static size_t scroll_all(const qv_collection *c, const char *filter, size_t page, uint64_t *out,
                         size_t cap, size_t *pages) {
    uint64_t from = 0, next = 0;
    uint8_t has_next = 1;
    size_t total = 0;
    *pages = 0;
    uint64_t buf[64];
    while (has_next && *pages < 1000) {
        size_t count = 999;
        if (OK(qv_collection_scroll(c, from, (const uint8_t *)filter, filter ? strlen(filter) : 0,
                                    buf, page, &count, &next, &has_next, ERR)) != QV_OK)
            break;
        (*pages)++;
        CHECK(count <= page);
        CHECK(has_next ? count == page : 1);
        CHECK(has_next ? next > buf[count - 1] : next == 0);
        for (size_t i = 0; i < count && total < cap; i++) out[total++] = buf[i];
        from = next;
    }
    return total;
}

void test_scroll_pages(void) {
    enum { N = 25, DIM = 2 };
    qv_database *db = qvt_open_db(qvt_path("scroll"));
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "s", DIM, QV_METRIC_EUCLIDEAN);
    uint64_t ids[N];
    float vecs[N * DIM];
    uint64_t offs[N + 1];
    char data[2048];
    size_t len = 0;
    offs[0] = 0;
    for (size_t i = 0; i < N; i++) {
        ids[i] = 2 * (N - i); /* inserted in descending order: 50, 48, ..., 2 */
        vecs[i * DIM] = (float)i;
        vecs[i * DIM + 1] = 1;
        len += (size_t)snprintf(data + len, sizeof data - len, "{\"group\":\"%c\",\"i\":%zu}",
                                "abc"[ids[i] % 3], i);
        offs[i + 1] = len;
    }
    OK(qv_collection_upsert(c, ids, N, vecs, N * DIM, offs, (const uint8_t *)data, len, ERR));

    /* All, pages of 7: 2, 4, ..., 50 in four pages. */
    uint64_t got[64];
    size_t pages = 0;
    size_t n = scroll_all(c, NULL, 7, got, 64, &pages);
    CHECK_EQ_U64(n, N);
    CHECK_EQ_U64(pages, 4);
    for (size_t i = 0; i < n; i++) CHECK_EQ_U64(got[i], 2 * (i + 1));

    /* A page as large as the rest: no next page. */
    n = scroll_all(c, NULL, N, got, 64, &pages);
    CHECK(n == N && pages == 1);

    /* With a filter: ids with id % 3 == 0 (6, 12, ..., 48: 8 of them), pages of 3. */
    const char *f = "{\"field\": \"group\", \"eq\": \"a\"}";
    n = scroll_all(c, f, 3, got, 64, &pages);
    CHECK_EQ_U64(n, 8);
    CHECK_EQ_U64(pages, 3);
    for (size_t i = 0; i < n; i++) CHECK_EQ_U64(got[i], 6 * (i + 1));
    /* A filter with and/or/not and a range. */
    f = "{\"and\": [{\"not\": {\"field\": \"group\", \"eq\": \"a\"}}, {\"field\": \"i\", \"lt\": 5}]}";
    n = scroll_all(c, f, 2, got, 64, &pages);
    /* i < 5: ids 50, 48, 46, 44, 42; not group a (id % 3 != 0): 50, 46, 44. */
    CHECK_EQ_U64(n, 3);
    CHECK(got[0] == 44 && got[1] == 46 && got[2] == 50);
    CHECK_EQ_U64(pages, 2);

    /* Starting in the middle (inclusive), and past the end. */
    uint64_t buf[8], next = 1;
    size_t count = 9;
    uint8_t has_next = 9;
    OK(qv_collection_scroll(c, 20, NULL, 0, buf, 8, &count, &next, &has_next, ERR));
    CHECK(count == 8 && buf[0] == 20 && buf[7] == 34 && has_next == 1 && next == 36);
    OK(qv_collection_scroll(c, 51, NULL, 0, buf, 8, &count, &next, &has_next, ERR));
    CHECK(count == 0 && has_next == 0 && next == 0);
    const char *none = "{\"field\":\"group\",\"eq\":\"z\"}";
    OK(qv_collection_scroll(c, 0, (const uint8_t *)none, strlen(none), buf, 8, &count, &next,
                            &has_next, ERR));
    CHECK(count == 0 && has_next == 0);

    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

void test_metadata_only(void) {
    const char *path = qvt_path("meta");
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    qv_database *db = qvt_open_db(dir);
    if (db == NULL) return;
    qv_collection_config cfg;
    qv_collection_config_init(&cfg);
    cfg.kind = QV_KIND_METADATA_ONLY;
    qv_collection *c = NULL;
    OK(qv_database_create_collection(db, (const uint8_t *)"meta", 4, &cfg, &c, ERR));
    if (c == NULL) goto out;

    const char *data = "{\"k\":1}{\"k\":2}{\"k\":3}";
    uint64_t ids[3] = {10, 20, 30};
    uint64_t offs[4] = {0, 7, 14, 21};
    OK(qv_collection_upsert(c, ids, 3, NULL, 0, offs, (const uint8_t *)data, 21, ERR));
    CHECK_EQ_U64(qvt_count(c), 3);
    float v4[4] = {1, 2, 3, 4};
    FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_upsert(c, ids, 1, v4, 4, NULL, NULL, 0, ERR));
    CHECK_EQ_U64(qvt_count(c), 3);

    qv_points *pts = NULL;
    OK(qv_collection_get(c, &ids[1], 1, &pts, ERR));
    qv_points_view v;
    if (OK(qv_points_get_view(pts, &v, ERR)) == QV_OK) {
        CHECK(v.count == 1 && v.dimension == 0 && v.found[0] == 1);
        CHECK(v.payload_offsets[1] - v.payload_offsets[0] == 7 &&
              memcmp(v.payload_data + v.payload_offsets[0], "{\"k\":2}", 7) == 0);
    }
    qv_points_free(pts);

    uint64_t got[4], next;
    size_t count;
    uint8_t has_next;
    const char *f = "{\"field\":\"k\",\"gte\":2}";
    OK(qv_collection_scroll(c, 0, (const uint8_t *)f, strlen(f), got, 4, &count, &next, &has_next,
                            ERR));
    CHECK(count == 2 && got[0] == 20 && got[1] == 30 && has_next == 0);

    /* No vector search on a metadata-only collection. */
    qv_search_params p;
    qv_search_params_init(&p);
    uint64_t hid[10];
    float hs[10];
    uint32_t hc;
    FAILS(QV_ERR_UNSUPPORTED, qv_collection_search(c, NULL, 1, 0, &p, hid, hs, 10, &hc, ERR));
    CHECK_MESSAGE_HAS("metadata-only");
    FAILS(QV_ERR_UNSUPPORTED, qv_collection_search(c, v4, 1, 4, &p, hid, hs, 10, &hc, ERR));
    qv_results *r = NULL;
    FAILS(QV_ERR_UNSUPPORTED, qv_collection_search_results(c, NULL, 1, 0, &p, &r, ERR));
    CHECK(r == NULL);

    OK(qv_collection_get_config(c, &cfg, ERR));
    CHECK(cfg.kind == QV_KIND_METADATA_ONLY && cfg.dimension == 0);
    qv_collection_free(c);
    c = NULL;

    /* It stays metadata-only after a reopen. */
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
    db = qvt_open_db(dir);
    if (db == NULL) return;
    OK(qv_database_open_collection(db, (const uint8_t *)"meta", 4, &c, ERR));
    CHECK_EQ_U64(qvt_count(c), 3);
    OK(qv_collection_get_config(c, &cfg, ERR));
    CHECK(cfg.kind == QV_KIND_METADATA_ONLY);
out:
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

void test_handle_lifetimes(void) {
    const char *p0 = qvt_path("lifetimes");
    char path[512];
    snprintf(path, sizeof path, "%s", p0);
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c1 = qvt_create(db, "c", 2, QV_METRIC_EUCLIDEAN);
    qv_collection *c2 = NULL;
    OK(qv_database_open_collection(db, (const uint8_t *)"c", 1, &c2, ERR));

    /* Closing one handle leaves the other working; closing twice is fine. */
    OK(qv_collection_close(c1, ERR));
    OK(qv_collection_close(c1, ERR));
    uint64_t n;
    FAILS(QV_ERR_CLOSED, qv_collection_count(c1, &n, ERR));
    CHECK_MESSAGE_HAS("closed");
    CHECK_EQ_U64(qvt_count(c2), 0);
    qv_collection_free(c1);

    /* The collection handle keeps the database open after the database
     * handle is released. */
    qv_database_free(db);
    uint64_t id = 1;
    float vec[2] = {1, 2};
    OK(qv_collection_upsert(c2, &id, 1, vec, 2, NULL, NULL, 0, ERR));
    CHECK_EQ_U64(qvt_count(c2), 1);
    qv_database *again = NULL;
    FAILS(QV_ERR_LOCKED, qv_database_open((const uint8_t *)path, strlen(path), NULL, &again, ERR));
    CHECK(again == NULL);

    /* Releasing the last handle closes the database and its lock. */
    qv_collection_free(c2);
    again = qvt_open_db(path);
    if (again == NULL) return;
    OK(qv_database_open_collection(again, (const uint8_t *)"c", 1, &c2, ERR));
    CHECK_EQ_U64(qvt_count(c2), 1);
    OK(qv_database_close(again, ERR));
    OK(qv_database_close(again, ERR)); /* twice */
    FAILS(QV_ERR_CLOSED, qv_collection_count(c2, &n, ERR));
    qv_collection_free(c2);
    qv_database_free(again);
}
