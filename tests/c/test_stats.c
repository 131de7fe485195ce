/*
 * test_stats.c: qv_collection_stats and its view, qv_collection_optimize,
 * qv_collection_wait_optimized and qv_collection_verify.
 *
 * The checks are the contract's structure and consistency (live points
 * equal the count, a pointer is NULL exactly when its count is 0, the JSON
 * parses and agrees with the view, ...), not particular numbers: the
 * engine behind these calls changes, the contract does not.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <stdlib.h>

enum { DIM = 8 };

/* ---- a minimal JSON checker ---------------------------------------------- */

static const char *ws(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}

static const char *json_value(const char *s, int depth);

static const char *json_string(const char *s) {
    if (*s != '"') return NULL;
    for (s++; *s != '"'; s++) {
        if ((unsigned char)*s < 0x20) return NULL; /* also the terminating NUL */
        if (*s == '\\') {
            s++;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0') return NULL;
                s += 4;
            } else if (*s == '\0' || strchr("\"\\/bfnrt", *s) == NULL) {
                return NULL;
            }
        }
    }
    return s + 1;
}

static const char *digits(const char *s) {
    const char *start = s;
    while (*s >= '0' && *s <= '9') s++;
    return s == start ? NULL : s;
}

static const char *json_number(const char *s) {
    if (*s == '-') s++;
    if (*s == '0')
        s++;
    else if ((s = digits(s)) == NULL)
        return NULL;
    if (*s == '.' && (s = digits(s + 1)) == NULL) return NULL;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if ((s = digits(s)) == NULL) return NULL;
    }
    return s;
}

/* Object members or array elements up to `close`. */
static const char *json_members(const char *s, char close, int object, int depth) {
    s = ws(s + 1);
    if (*s == close) return s + 1;
    for (;;) {
        if (object) {
            if ((s = json_string(s)) == NULL) return NULL;
            s = ws(s);
            if (*s != ':') return NULL;
            s = ws(s + 1);
        }
        if ((s = json_value(s, depth + 1)) == NULL) return NULL;
        s = ws(s);
        if (*s == close) return s + 1;
        if (*s != ',') return NULL;
        s = ws(s + 1);
    }
}

/* The end of the JSON value at `s`, or NULL when it is not valid JSON. */
static const char *json_value(const char *s, int depth) {
    if (depth > 64) return NULL;
    switch (*s) {
    case '{': return json_members(s, '}', 1, depth);
    case '[': return json_members(s, ']', 0, depth);
    case '"': return json_string(s);
    case 't': return strncmp(s, "true", 4) == 0 ? s + 4 : NULL;
    case 'f': return strncmp(s, "false", 5) == 0 ? s + 5 : NULL;
    case 'n': return strncmp(s, "null", 4) == 0 ? s + 4 : NULL;
    default: return json_number(s);
    }
}

/* 1 when `json` is one valid JSON document. */
static int json_valid(const char *json) {
    const char *end = json_value(ws(json), 0);
    return end != NULL && *ws(end) == '\0';
}

/* The value of the top-level member `key` of the (valid) JSON object
 * `json` as an unsigned integer; 0 and *found = 0 when it is missing or
 * not an unsigned integer. */
static uint64_t json_u64(const char *json, const char *key, int *found) {
    *found = 0;
    const char *s = ws(json);
    if (*s != '{') return 0;
    s = ws(s + 1);
    size_t klen = strlen(key);
    while (*s == '"') {
        const char *k = s + 1, *end = json_string(s);
        s = ws(ws(end) + 1); /* past the ':' */
        if ((size_t)(end - 1 - k) == klen && strncmp(k, key, klen) == 0) {
            if (*s < '0' || *s > '9') return 0;
            *found = 1;
            return strtoull(s, NULL, 10);
        }
        s = ws(json_value(s, 1));
        if (*s == ',') s = ws(s + 1);
    }
    return 0;
}

/* ---- the view's contract --------------------------------------------------- */

#define CHECK_VIEW(v, count) check_view(v, count, __LINE__)

static void check_view(const qv_stats_view *v, uint64_t count, int line) {
    int before = qvt_failures;
    CHECK_EQ_U64(v->live_points, count);
    CHECK_EQ_U64(v->reserved, 0);
    CHECK(v->optimizer_state == QV_OPTIMIZER_IDLE || v->optimizer_state == QV_OPTIMIZER_PENDING ||
          v->optimizer_state == QV_OPTIMIZER_RUNNING);
    CHECK(v->optimizer_error == NULL || v->optimizer_error[0] != '\0');
    CHECK(v->read_only_cause == NULL); /* these collections are writable */

    /* Segments: NULL exactly when there are none; appendable ones first;
     * unique ids; their points and deleted points add up. */
    CHECK((v->segments == NULL) == (v->segment_count == 0));
    uint64_t points = 0, deleted = 0, disk = 0, ram = 0;
    int sealed_seen = 0;
    for (uint64_t i = 0; i < v->segment_count; i++) {
        const qv_segment_stats *g = &v->segments[i];
        CHECK(g->kind == QV_SEGMENT_APPENDABLE || g->kind == QV_SEGMENT_SEALED);
        CHECK(!(sealed_seen && g->kind == QV_SEGMENT_APPENDABLE));
        sealed_seen |= g->kind == QV_SEGMENT_SEALED;
        CHECK_EQ_U64(g->reserved, 0);
        for (uint64_t j = 0; j < i; j++) CHECK(v->segments[j].id != g->id);
        points += g->points;
        deleted += g->deleted;
        disk += g->disk_bytes;
        ram += g->ram_bytes;
    }
    CHECK_EQ_U64(points, v->live_points);
    CHECK_EQ_U64(deleted, v->deleted_points);
    CHECK(disk <= v->disk_bytes); /* the collection has files besides its segments' */
    CHECK(ram <= v->ram_bytes);

    /* Components: named, uniquely. */
    CHECK((v->components == NULL) == (v->component_count == 0));
    for (uint64_t i = 0; i < v->component_count; i++) {
        const char *name = v->components[i].name;
        CHECK(name != NULL && name[0] != '\0');
        for (uint64_t j = 0; j < i && name != NULL; j++)
            CHECK(v->components[j].name == NULL || strcmp(v->components[j].name, name) != 0);
    }

    /* Repairs made on open: one sentence each. */
    CHECK((v->rebuilt_on_open == NULL) == (v->rebuilt_count == 0));
    for (uint64_t i = 0; i < v->rebuilt_count; i++)
        CHECK(v->rebuilt_on_open[i] != NULL && v->rebuilt_on_open[i][0] != '\0');

    /* The JSON document parses and says the same. */
    CHECK(v->json != NULL);
    if (v->json != NULL && json_valid(v->json)) {
        const char *keys[4] = {"live_points", "deleted_points", "disk_bytes", "ram_bytes"};
        const uint64_t want[4] = {v->live_points, v->deleted_points, v->disk_bytes, v->ram_bytes};
        for (int i = 0; i < 4; i++) {
            int found;
            uint64_t got = json_u64(v->json, keys[i], &found);
            CHECK(found);
            CHECK_EQ_U64(got, want[i]);
        }
        CHECK(strstr(v->json, "\"segments\"") != NULL && strstr(v->json, "\"optimizer\"") != NULL);
    } else if (v->json != NULL) {
        qvt_fail(__FILE__, line, "stats JSON does not parse: %s", v->json);
    }
    if (qvt_failures != before) qvt_fail(__FILE__, line, "(the stats view checked here)");
}

/* Takes the stats of `c`, checks them against `count`, and returns them
 * (NULL after a failure). */
static qv_stats *stats_of(const qv_collection *c, uint64_t count, qv_stats_view *v, int line) {
    qv_stats *st = NULL;
    if (OK(qv_collection_stats(c, &st, ERR)) != QV_OK) return NULL;
    memset(v, 0xab, sizeof *v);
    if (OK(qv_stats_get_view(st, v, ERR)) != QV_OK) {
        qv_stats_free(st);
        return NULL;
    }
    check_view(v, count, line);
    return st;
}

/* Upserts points `first` .. `first + n - 1` with small payloads. */
static void upsert_range(const qv_collection *c, uint64_t first, size_t n, uint64_t seed) {
    uint64_t *ids = malloc(n * sizeof *ids);
    float *v = malloc(n * DIM * sizeof *v);
    uint64_t *offs = malloc((n + 1) * sizeof *offs);
    char *data = malloc(n * 32 + 1);
    if (ids && v && offs && data) {
        size_t len = 0;
        offs[0] = 0;
        for (size_t i = 0; i < n; i++) {
            ids[i] = first + i;
            for (size_t d = 0; d < DIM; d++) v[i * DIM + d] = qvt_rand(&seed);
            len += (size_t)snprintf(data + len, 32, "{\"i\":%llu}", (unsigned long long)ids[i]);
            offs[i + 1] = len;
        }
        OK(qv_collection_upsert(c, ids, n, v, n * DIM, offs, (const uint8_t *)data, len, ERR));
    }
    free(ids);
    free(v);
    free(offs);
    free(data);
}

void test_stats_view(void) {
    char path[512];
    snprintf(path, sizeof path, "%s", qvt_path("stats"));
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "s", DIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) goto out;
    qv_stats_view v;

    /* Empty. */
    qv_stats *st = stats_of(c, 0, &v, __LINE__);
    qv_stats_free(st);

    /* 50 points, 10 deleted, 5 replaced. */
    upsert_range(c, 0, 50, 1);
    uint64_t del[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    OK(qv_collection_delete(c, del, 10, NULL, ERR));
    upsert_range(c, 10, 5, 2);
    st = stats_of(c, qvt_count(c), &v, __LINE__);
    CHECK_EQ_U64(v.live_points, 40);
    qv_stats_free(st);

    /* A metadata-only collection reports as well. */
    qv_collection_config cfg;
    qv_collection_config_init(&cfg);
    cfg.kind = QV_KIND_METADATA_ONLY;
    qv_collection *meta = NULL;
    OK(qv_database_create_collection(db, (const uint8_t *)"meta", 4, &cfg, &meta, ERR));
    if (meta != NULL) {
        uint64_t ids[2] = {1, 2};
        uint64_t offs[3] = {0, 2, 4};
        OK(qv_collection_upsert(meta, ids, 2, NULL, 0, offs, (const uint8_t *)"{}{}", 4, ERR));
        st = stats_of(meta, 2, &v, __LINE__);
        qv_stats_free(st);
    }
    qv_collection_free(meta);

    /* After a reopen. */
    qv_collection_free(c);
    c = NULL;
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
    db = qvt_open_db(path);
    if (db == NULL) return;
    OK(qv_database_open_collection(db, (const uint8_t *)"s", 1, &c, ERR));
    if (c != NULL) {
        st = stats_of(c, 40, &v, __LINE__);
        qv_stats_free(st);
    }
out:
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

void test_stats_lifetime_and_errors(void) {
    qv_database *db = qvt_open_db(qvt_path("stats-errors"));
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "s", DIM, QV_METRIC_DOT);
    if (c == NULL) goto out;
    upsert_range(c, 100, 20, 3);

    /* NULL arguments; the out-pointer is NULL after a failure. */
    qv_stats *st = (qv_stats *)(uintptr_t)0x5a5a5a5a;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_stats(NULL, &st, ERR));
    CHECK_MESSAGE_HAS("coll is NULL");
    CHECK(st == NULL);
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_stats(c, NULL, ERR));
    CHECK_MESSAGE_HAS("out");
    qv_stats_view v;
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_stats_get_view(NULL, &v, ERR));
    CHECK_MESSAGE_HAS("stats is NULL");
    qv_stats_free(NULL);
    CHECK(qv_collection_stats(NULL, &st, NULL) == QV_ERR_INVALID_ARGUMENT);

    /* A snapshot: later writes do not change it, and it outlives the
     * collection and database handles. */
    OK(qv_collection_stats(c, &st, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_stats_get_view(st, NULL, ERR));
    CHECK_MESSAGE_HAS("view");
    upsert_range(c, 200, 5, 4);
    qv_stats *later = NULL;
    OK(qv_collection_stats(c, &later, ERR));
    qv_stats_view lv;
    if (OK(qv_stats_get_view(later, &lv, ERR)) == QV_OK) CHECK_VIEW(&lv, 25);
    qv_stats_free(later);

    /* A closed handle. */
    OK(qv_collection_close(c, ERR));
    qv_stats *none = NULL;
    FAILS(QV_ERR_CLOSED, qv_collection_stats(c, &none, ERR));
    CHECK(none == NULL);
    FAILS(QV_ERR_CLOSED, qv_collection_optimize(c, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_wait_optimized(c, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_verify(c, ERR));
    qv_collection_free(c);
    c = NULL;
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
    db = NULL;

    if (OK(qv_stats_get_view(st, &v, ERR)) == QV_OK) {
        CHECK_VIEW(&v, 20);
        qv_stats_view again;
        OK(qv_stats_get_view(st, &again, ERR));
        CHECK(again.json == v.json && again.segments == v.segments); /* the same views */
    }
    qv_stats_free(st);
out:
    qv_collection_free(c);
    if (db != NULL) OK(qv_database_close(db, ERR));
    qv_database_free(db);
}

/* The nearest neighbour of point `id`'s own vector is `id` (euclidean). */
static void check_finds_itself(const qv_collection *c, uint64_t id, uint32_t exact) {
    qv_points *pts = NULL;
    if (OK(qv_collection_get(c, &id, 1, &pts, ERR)) != QV_OK) return;
    qv_points_view pv;
    if (OK(qv_points_get_view(pts, &pv, ERR)) == QV_OK && pv.found[0]) {
        qv_search_params p;
        qv_search_params_init(&p);
        p.k = 1;
        p.exact = exact;
        uint64_t hit = 0;
        float score;
        uint32_t cnt = 0;
        OK(qv_collection_search(c, pv.vectors, 1, DIM, &p, &hit, &score, 1, &cnt, ERR));
        CHECK(cnt == 1 && hit == id);
        /* Its payload survived the rewrite. */
        char want[32];
        int len = snprintf(want, sizeof want, "{\"i\":%llu}", (unsigned long long)id);
        CHECK(pv.payload_offsets[1] - pv.payload_offsets[0] == (uint64_t)len &&
              memcmp(pv.payload_data, want, (size_t)len) == 0);
    } else {
        CHECK(!"point found");
    }
    qv_points_free(pts);
}

void test_optimize_verify_wait(void) {
    char path[512];
    snprintf(path, sizeof path, "%s", qvt_path("optimize"));
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "o", DIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) goto out;

    /* NULL handles. */
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_optimize(NULL, ERR));
    CHECK_MESSAGE_HAS("coll is NULL");
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_wait_optimized(NULL, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_verify(NULL, ERR));
    CHECK(qv_collection_verify(NULL, NULL) == QV_ERR_INVALID_ARGUMENT);

    /* On an empty collection. */
    OK(qv_collection_optimize(c, ERR));
    OK(qv_collection_wait_optimized(c, ERR));
    OK(qv_collection_verify(c, ERR));

    /* Several batches, deletes and overwrites, then optimize: the same
     * points, findable, with their payloads. */
    const size_t n = qvt_quick ? 120 : 600;
    for (size_t b = 0; b < 4; b++) upsert_range(c, b * n / 4, n / 4, 10 + b);
    uint64_t del[20];
    for (size_t i = 0; i < 20; i++) del[i] = i * 3;
    OK(qv_collection_delete(c, del, 20, NULL, ERR));
    upsert_range(c, 1, 10, 99); /* overwrites 1..10 (and revives 3, 6, 9) */
    uint64_t count = qvt_count(c);
    CHECK_EQ_U64(count, n - 20 + 3);
    OK(qv_collection_optimize(c, ERR));
    CHECK_EQ_U64(qvt_count(c), count);
    OK(qv_collection_wait_optimized(c, ERR));
    qv_stats_view v;
    qv_stats *st = stats_of(c, count, &v, __LINE__);
    if (st != NULL) CHECK_EQ_U64(v.optimizer_state, QV_OPTIMIZER_IDLE); /* no writes since */
    qv_stats_free(st);
    OK(qv_collection_verify(c, ERR));
    const uint64_t probe[4] = {1, 3, 4, (uint64_t)n - 1};
    for (size_t i = 0; i < 4; i++) {
        check_finds_itself(c, probe[i], 0);
        check_finds_itself(c, probe[i], 1);
    }

    /* Writes after an optimize, and a reopen. */
    upsert_range(c, 10000, 7, 5);
    OK(qv_collection_optimize(c, ERR));
    OK(qv_collection_optimize(c, ERR)); /* nothing to do: fine */
    OK(qv_collection_verify(c, ERR));
    qv_collection_free(c);
    c = NULL;
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
    db = qvt_open_db(path);
    if (db == NULL) return;
    OK(qv_database_open_collection(db, (const uint8_t *)"o", 1, &c, ERR));
    if (c != NULL) {
        OK(qv_collection_verify(c, ERR));
        OK(qv_collection_wait_optimized(c, ERR));
        CHECK_EQ_U64(qvt_count(c), count + 7);
        check_finds_itself(c, 10003, 0);
        st = stats_of(c, count + 7, &v, __LINE__);
        qv_stats_free(st);
    }
out:
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
