/*
 * test_concurrency.c: several threads search and one upserts while the main
 * thread closes a collection handle and then the database under them.
 * Every call must return QV_OK or QV_ERR_CLOSED, nothing may crash, every
 * acknowledged upsert must be in the database after a reopen, and every
 * handle is freed at the end.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

enum { DIM = 16, BASE = 300, SEARCHERS = 4 };
/* A thread stops after this many calls past its first QV_ERR_CLOSED, or at
 * this many calls in all (a safety net: the close should stop it first). */
enum { CALLS_AFTER_CLOSED = 20, MAX_CALLS = 2000000 };

typedef struct worker {
    pthread_t thread;
    const qv_collection *coll; /* the handle this thread uses */
    int index;
    _Atomic long calls;         /* calls made */
    _Atomic long ok;            /* calls that returned QV_OK */
    _Atomic int saw_closed;     /* has seen QV_ERR_CLOSED */
    long unexpected;            /* statuses other than OK / CLOSED */
    char first_unexpected[256];
    uint64_t acked_upserts;     /* upserter: batches acknowledged with QV_OK */
} worker;

static void note(worker *w, int32_t s, qv_error *err, const char *what) {
    w->calls++;
    if (s == QV_OK) {
        w->ok++;
        if (err != NULL && w->unexpected++ == 0)
            snprintf(w->first_unexpected, sizeof w->first_unexpected, "%s: QV_OK with *err set", what);
    } else if (s == QV_ERR_CLOSED && err != NULL && qv_error_code(err) == QV_ERR_CLOSED) {
        w->saw_closed = 1;
    } else if (w->unexpected++ == 0) {
        snprintf(w->first_unexpected, sizeof w->first_unexpected, "%s: status %d: %s", what, s,
                 qv_error_message(err));
    }
    qv_error_free(err);
}

/* Runs `call` (which writes its error into `err`) and notes its outcome. */
#define NOTE(w, what, call)                 \
    do {                                    \
        qv_error *err = NULL;               \
        int32_t s_ = (call);                \
        note((w), s_, err, (what));         \
    } while (0)

static void *searcher(void *arg) {
    worker *w = arg;
    uint64_t seed = 100 + (uint64_t)w->index;
    float q[4 * DIM];
    uint64_t ids[4 * 10];
    float scores[4 * 10];
    uint32_t counts[4];
    const char *filter = "{\"field\": \"even\", \"eq\": true}";
    long after = 0;
    while (w->calls < MAX_CALLS && (!w->saw_closed || after++ < CALLS_AFTER_CLOSED)) {
        for (size_t i = 0; i < 4 * DIM; i++) q[i] = qvt_rand(&seed);
        qv_search_params p;
        qv_search_params_init(&p);
        p.k = 10;
        switch (w->calls % 4) {
        case 0: /* single query, caller arrays */
            NOTE(w, "search nq=1", qv_collection_search(w->coll, q, 1, DIM, &p, ids, scores, 10, counts, &err));
            break;
        case 1: { /* a batch, with a filter */
            p.filter_json = (const uint8_t *)filter;
            p.filter_len = strlen(filter);
            NOTE(w, "search nq=4 filtered",
                 qv_collection_search(w->coll, q, 4, DIM, &p, ids, scores, 40, counts, &err));
            break;
        }
        case 2: { /* owned results with payloads */
            qv_results *r = NULL;
            qv_error *err = NULL;
            p.with_payload = 1;
            int32_t s = qv_collection_search_results(w->coll, q, 2, DIM, &p, &r, &err);
            if (s == QV_OK) {
                qv_results_view v;
                if (qv_results_get_view(r, &v, NULL) != QV_OK || v.num_queries != 2) {
                    if (w->unexpected++ == 0)
                        snprintf(w->first_unexpected, sizeof w->first_unexpected, "bad results view");
                }
            }
            qv_results_free(r);
            note(w, s, err, "search_results");
            break;
        }
        default: { /* reads */
            uint64_t n = 0;
            NOTE(w, "count", qv_collection_count(w->coll, &n, &err));
            uint64_t id = (uint64_t)w->calls % BASE;
            qv_points *pts = NULL;
            NOTE(w, "get", qv_collection_get(w->coll, &id, 1, &pts, &err));
            qv_points_free(pts);
            break;
        }
        }
    }
    return NULL;
}

static void *upserter(void *arg) {
    worker *w = arg;
    uint64_t seed = 7;
    uint64_t next_id = 100000;
    long after = 0;
    while (w->calls < MAX_CALLS && (!w->saw_closed || after++ < CALLS_AFTER_CLOSED)) {
        enum { B = 8 };
        uint64_t ids[B];
        float v[B * DIM];
        char data[B * 32];
        uint64_t offs[B + 1];
        size_t len = 0;
        offs[0] = 0;
        for (size_t i = 0; i < B; i++) {
            ids[i] = next_id + i;
            for (size_t d = 0; d < DIM; d++) v[i * DIM + d] = qvt_rand(&seed);
            len += (size_t)snprintf(data + len, sizeof data - len, "{\"even\":%s}",
                                    (ids[i] % 2) ? "false" : "true");
            offs[i + 1] = len;
        }
        qv_error *err = NULL;
        int32_t s = qv_collection_upsert(w->coll, ids, B, v, B * DIM, offs, (const uint8_t *)data, len, &err);
        note(w, s, err, "upsert");
        if (s == QV_OK) {
            w->acked_upserts += B;
            next_id += B;
        }
        if (w->calls % 5 == 0) { /* and a delete of an id that does not exist */
            uint64_t missing = 1u << 30;
            NOTE(w, "delete", qv_collection_delete(w->coll, &missing, 1, NULL, &err));
        }
    }
    return NULL;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (up to ~60 s) until every worker in `ws` has made `calls` more calls. */
static void wait_progress(worker *ws, size_t n, long calls) {
    long start[SEARCHERS + 1];
    for (size_t i = 0; i < n; i++) start[i] = ws[i].calls;
    for (int tries = 0; tries < 60000; tries++) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            if (ws[i].calls - start[i] >= calls || ws[i].saw_closed) done++;
        if (done == n) return;
        sleep_ms(1);
    }
}

void test_concurrent_close(void) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", qvt_path("concurrency"));
    qv_database *db = qvt_open_db(dir);
    if (db == NULL) return;
    qv_collection *shared = qvt_create(db, "conc", DIM, QV_METRIC_COSINE);
    qv_collection *second = NULL;
    OK(qv_database_open_collection(db, (const uint8_t *)"conc", 4, &second, ERR));
    if (shared == NULL || second == NULL) return;
    {
        uint64_t ids[BASE], offs[BASE + 1];
        static float v[BASE * DIM];
        static char data[BASE * 32];
        uint64_t seed = 5;
        size_t len = 0;
        offs[0] = 0;
        for (size_t i = 0; i < BASE; i++) {
            ids[i] = i;
            for (size_t d = 0; d < DIM; d++) v[i * DIM + d] = qvt_rand(&seed);
            len += (size_t)snprintf(data + len, sizeof data - len, "{\"even\":%s}", i % 2 ? "false" : "true");
            offs[i + 1] = len;
        }
        OK(qv_collection_upsert(shared, ids, BASE, v, BASE * DIM, offs, (const uint8_t *)data, len, ERR));
    }

    /* Searchers 0 and 1 use the handle the main thread closes first; the
     * others and the upserter use a second handle, closed by the database
     * close. */
    static worker ws[SEARCHERS + 1];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i <= SEARCHERS; i++) {
        ws[i].index = i;
        ws[i].coll = (i < 2) ? shared : second;
        int rc = pthread_create(&ws[i].thread, NULL, i < SEARCHERS ? searcher : upserter, &ws[i]);
        CHECK(rc == 0);
        if (rc != 0) return; /* cannot continue safely */
    }
    long progress = qvt_quick ? 3 : 50;
    wait_progress(ws, SEARCHERS + 1, progress);
    OK(qv_collection_close(shared, ERR));
    wait_progress(ws, SEARCHERS + 1, progress);
    OK(qv_database_close(db, ERR));
    for (int i = 0; i <= SEARCHERS; i++) pthread_join(ws[i].thread, NULL);

    uint64_t acked = ws[SEARCHERS].acked_upserts;
    for (int i = 0; i <= SEARCHERS; i++) {
        qvt_checks++;
        if (ws[i].unexpected)
            qvt_fail(__FILE__, __LINE__, "thread %d: %ld unexpected statuses, first: %s", i,
                     ws[i].unexpected, ws[i].first_unexpected);
        CHECK(ws[i].saw_closed);
        CHECK(ws[i].ok > 0);
    }
    if (!qvt_quick || getenv("QV_TEST_VERBOSE"))
        printf("     concurrency: calls per thread %ld %ld %ld %ld, upserter %ld (%llu points acked)\n",
               (long)ws[0].calls, (long)ws[1].calls, (long)ws[2].calls, (long)ws[3].calls,
               (long)ws[SEARCHERS].calls, (unsigned long long)acked);

    /* Both handles now say closed; free everything. */
    uint64_t n;
    FAILS(QV_ERR_CLOSED, qv_collection_count(shared, &n, ERR));
    FAILS(QV_ERR_CLOSED, qv_collection_count(second, &n, ERR));
    qv_collection_free(shared);
    qv_collection_free(second);
    qv_database_free(db);

    /* Every acknowledged upsert is durable, and nothing else was written. */
    db = qvt_open_db(dir);
    if (db == NULL) return;
    qv_collection *c = NULL;
    OK(qv_database_open_collection(db, (const uint8_t *)"conc", 4, &c, ERR));
    CHECK_EQ_U64(qvt_count(c), BASE + acked);
    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
