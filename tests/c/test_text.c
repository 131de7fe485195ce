/*
 * test_text.c: text indexes and BM25 search through the C ABI: a small
 * corpus, the top hits and scores of each match mode against a BM25
 * computed here, with boosts over two fields, a filter, payloads, the
 * `text` filter conditions, the settings kept across a reopen, and the
 * errors.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>

enum { N = 40, DIM = 4 };

static const char *WORDS[] = {"red", "fish", "blue", "cat", "green", "tree", "sky", "stone"};

/* Text of point i: a few of WORDS, by a fixed rule; its tag. */
static void text_for(char *buf, size_t cap, uint64_t i) {
    size_t len = 0;
    buf[0] = 0;
    unsigned n = 1 + (unsigned)(i % 5);
    for (unsigned j = 0; j < n; j++) {
        const char *w = WORDS[(i * 7 + j * j * 3 + j) % 8];
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", j ? " " : "", w);
    }
}

/* Whether the `n` bytes at `s` contain the string `needle`. */
static int contains(const char *s, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(s + i, needle, m) == 0) return 1;
    return 0;
}

static int tag_of(uint64_t i) { return (int)(i % 3); }

/* Terms of `s` (ASCII words, lowercased): count of `term` and the length. */
static void count_term(const char *s, const char *term, unsigned *tf, unsigned *len) {
    *tf = 0, *len = 0;
    char w[32];
    size_t k = 0;
    for (const char *p = s;; p++) {
        if (isalnum((unsigned char)*p)) {
            if (k + 1 < sizeof w) w[k++] = (char)tolower((unsigned char)*p);
            continue;
        }
        if (k) {
            w[k] = 0;
            (*len)++;
            if (strcmp(w, term) == 0) (*tf)++;
            k = 0;
        }
        if (!*p) break;
    }
}

/* BM25 (k1 1.2, b 0.75) of the one-term query `term` over the N texts. */
static void bm25_all(const char *term, double *score) {
    char buf[128];
    unsigned tf[N], len[N];
    double total = 0, df = 0;
    for (uint64_t i = 0; i < N; i++) {
        text_for(buf, sizeof buf, i);
        count_term(buf, term, &tf[i], &len[i]);
        total += len[i];
        df += tf[i] > 0;
    }
    double avg = total / N, idf = log(1 + (N - df + 0.5) / (df + 0.5));
    for (int i = 0; i < N; i++)
        score[i] = tf[i] ? idf * tf[i] * 2.2 / (tf[i] + 1.2 * (0.25 + 0.75 * len[i] / avg)) : 0;
}

static qv_results *search(qv_collection *c, const char *q, qv_text_search_params *p) {
    qv_results *r = NULL;
    OK(qv_collection_text_search(c, (const uint8_t *)q, strlen(q), p, &r, ERR));
    return r;
}

/* The best-first order of `score` (ties by id), as the library returns. */
static void check_ranking(const qv_results *r, const double *score, int (*keep)(uint64_t)) {
    qv_results_view v;
    OK(qv_results_get_view(r, &v, ERR));
    CHECK_EQ_U64(v.num_queries, 1);
    uint64_t want[N];
    size_t n = 0;
    for (uint64_t i = 0; i < N; i++)
        if (score[i] > 0 && (keep == NULL || keep(i))) want[n++] = i;
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && (score[want[b]] > score[want[b - 1]] + 1e-9 ||
                                     (fabs(score[want[b]] - score[want[b - 1]]) <= 1e-9 &&
                                      want[b] < want[b - 1]));
             b--) {
            uint64_t t = want[b];
            want[b] = want[b - 1], want[b - 1] = t;
        }
    uint64_t got = v.offsets[1];
    CHECK_EQ_U64(got, n < 5 ? n : 5);
    for (uint64_t j = 0; j < got && j < n; j++) {
        CHECK_NEAR(v.scores[j], score[want[j]], 1e-4);
        if (fabs(score[want[j]] - v.scores[j]) < 1e-4 && v.ids[j] != want[j])
            CHECK_NEAR(score[v.ids[j]], score[want[j]], 1e-4);
    }
}

static int tag1(uint64_t i) { return tag_of(i) == 1; }

static void upsert_all(qv_collection *c) {
    static float vecs[N * DIM];
    static char data[N * 160];
    uint64_t ids[N], offs[N + 1];
    size_t len = 0;
    offs[0] = 0;
    for (uint64_t i = 0; i < N; i++) {
        char t[128];
        text_for(t, sizeof t, i);
        ids[i] = i;
        for (int k = 0; k < DIM; k++) vecs[i * DIM + k] = (float)(i + k);
        len += (size_t)snprintf(data + len, sizeof data - len,
                                "{\"body\":\"%s\",\"title\":[\"%s\"],\"tag\":%d}", t,
                                WORDS[i % 8], tag_of(i));
        offs[i + 1] = len;
    }
    OK(qv_collection_upsert(c, ids, N, vecs, N * DIM, offs, (const uint8_t *)data, len, ERR));
}

void test_text_search(void) {
    const char *path = qvt_path("text");
    qv_database *db = qvt_open_db(path);
    if (db == NULL) return;
    qv_collection *c = qvt_create(db, "t", DIM, QV_METRIC_EUCLIDEAN);
    if (c == NULL) return;
    upsert_all(c);
    OK(qv_collection_optimize(c, ERR));
    /* Backfilled over a sealed segment. */
    OK(qv_collection_create_text_index(c, (const uint8_t *)"body", 4, NULL, ERR));
    qv_text_index_options o;
    qv_text_index_options_init(&o);
    CHECK_NEAR(o.k1, 1.2, 1e-6);
    CHECK_NEAR(o.b, 0.75, 1e-6);
    o.stemming = 1;
    OK(qv_collection_create_text_index(c, (const uint8_t *)"title", 5, &o, ERR));
    OK(qv_collection_create_field_index(c, (const uint8_t *)"tag", 3, QV_FIELD_INTEGER, ERR));

    qv_field_indexes *l = NULL;
    OK(qv_collection_list_field_indexes(c, &l, ERR));
    CHECK_EQ_U64(qv_field_indexes_count(l), 3);
    qv_field_index_view fv;
    OK(qv_field_indexes_get(l, 0, &fv, ERR));
    CHECK(strcmp(fv.field, "body") == 0);
    CHECK_EQ_U64(fv.kind, QV_FIELD_TEXT);
    CHECK(fv.ram_bytes > 0);
    qv_field_indexes_free(l);

    qv_text_field body = {(const uint8_t *)"body", 4, 1.0f, 0};
    qv_text_search_params p;
    qv_text_search_params_init(&p);
    CHECK_EQ_U64(p.k, 10);
    CHECK_EQ_U64(p.mode, QV_TEXT_ANY);
    p.k = 5;
    p.fields = &body;
    p.nfields = 1;
    double score[N];
    for (int round = 0; round < 2; round++) {
        for (int w = 0; w < 8; w++) {
            bm25_all(WORDS[w], score);
            qv_results *r = search(c, WORDS[w], &p);
            check_ranking(r, score, NULL);
            qv_results_free(r);
        }
        /* A filter the integer index answers. */
        const char *f = "{\"field\": \"tag\", \"eq\": 1}";
        p.filter_json = (const uint8_t *)f;
        p.filter_len = strlen(f);
        bm25_all("fish", score);
        qv_results *r = search(c, "FISH", &p);
        check_ranking(r, score, tag1);
        qv_results_free(r);
        p.filter_json = NULL, p.filter_len = 0;
        if (round == 0) {
            /* Reopen: the indexes and their settings come back. */
            qv_collection_free(c);
            OK(qv_database_close(db, ERR));
            qv_database_free(db);
            db = qvt_open_db(path);
            if (db == NULL) return;
            c = NULL;
            OK(qv_database_open_collection(db, (const uint8_t *)"t", 1, &c, ERR));
            if (c == NULL) return;
        }
    }

    /* Boosts over two fields add up; "fishes" stems to "fish" in title. */
    qv_text_field two[2] = {{(const uint8_t *)"body", 4, 1.0f, 0},
                            {(const uint8_t *)"title", 5, 2.0f, 0}};
    p.fields = two;
    p.nfields = 2;
    p.k = 40;
    p.with_payload = 1;
    qv_results *r = search(c, "fishes", &p);
    qv_results_view v;
    OK(qv_results_get_view(r, &v, ERR));
    CHECK(v.offsets[1] > 0);
    for (uint64_t j = 0; j < v.offsets[1]; j++) {
        /* Every hit has "fish" as its title (the body has no "fishes"). */
        const char *pl = (const char *)v.payload_data + v.payload_offsets[j];
        size_t pn = (size_t)(v.payload_offsets[j + 1] - v.payload_offsets[j]);
        CHECK(pn > 0 && contains(pl, pn, "\"title\":[\"fish\"]"));
    }
    qv_results_free(r);

    /* All and phrase. */
    p.fields = &body, p.nfields = 1, p.with_payload = 0;
    p.mode = QV_TEXT_PHRASE;
    r = search(c, "stone cat", &p);
    OK(qv_results_get_view(r, &v, ERR));
    uint64_t phrase_hits = v.offsets[1];
    qv_results_free(r);
    uint64_t n = 0;
    const char *pf = "{\"field\": \"body\", \"phrase\": \"stone cat\"}";
    OK(qv_collection_count_where(c, (const uint8_t *)pf, strlen(pf), &n, ERR));
    CHECK_EQ_U64(phrase_hits, n);
    size_t brute = 0;
    for (uint64_t i = 0; i < N; i++) {
        char t[128];
        text_for(t, sizeof t, i);
        brute += strstr(t, "stone cat") != NULL;
    }
    CHECK_EQ_U64(n, brute);
    CHECK(n > 0);
    p.mode = QV_TEXT_ALL;
    const char *af = "{\"field\": \"body\", \"text\": \"stone cat\"}";
    OK(qv_collection_count_where(c, (const uint8_t *)af, strlen(af), &n, ERR));
    r = search(c, "cat stone", &p);
    OK(qv_results_get_view(r, &v, ERR));
    CHECK_EQ_U64(v.offsets[1], n);
    CHECK(n >= brute);
    qv_results_free(r);
    p.mode = QV_TEXT_ANY;

    /* Errors, each changing nothing. */
    FAILS(QV_ERR_ALREADY_EXISTS,
          qv_collection_create_text_index(c, (const uint8_t *)"body", 4, NULL, ERR));
    o.k1 = -1;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_create_text_index(c, (const uint8_t *)"other", 5, &o, ERR));
    CHECK_MESSAGE_HAS("options.k1 is -1");
    qv_text_index_options_init(&o);
    o.stemming = 2;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_create_text_index(c, (const uint8_t *)"other", 5, &o, ERR));
    CHECK_MESSAGE_HAS("options.stemming is 2");
    o.stemming = 0;
    o.struct_size = 4;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_create_text_index(c, (const uint8_t *)"other", 5, &o, ERR));
    CHECK_MESSAGE_HAS("struct_size");
    qv_text_field none = {(const uint8_t *)"tag", 3, 1.0f, 0};
    p.fields = &none;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("has no text index");
    CHECK(r == NULL);
    p.fields = &body;
    p.nfields = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("params.nfields is 0");
    p.nfields = 1;
    p.mode = 7;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("params.mode is 7");
    p.mode = QV_TEXT_ANY;
    p.k = 0;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("k is 0");
    p.k = 5;
    body.boost = -1;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, &p, &r, ERR));
    CHECK_MESSAGE_HAS("boost -1");
    body.boost = 1;
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"\xff", 1, &p, &r, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT, qv_collection_text_search(c, NULL, 1, &p, &r, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, NULL, &r, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, &p, NULL, ERR));
    /* A query of punctuation finds nothing, without error. */
    r = search(c, " ... ", &p);
    OK(qv_results_get_view(r, &v, ERR));
    CHECK_EQ_U64(v.num_hits, 0);
    qv_results_free(r);

    FAILS(QV_ERR_NOT_FOUND, qv_collection_drop_field_index(c, (const uint8_t *)"body", 4, ERR));
    OK(qv_collection_drop_text_index(c, (const uint8_t *)"body", 4, ERR));
    FAILS(QV_ERR_NOT_FOUND, qv_collection_drop_text_index(c, (const uint8_t *)"body", 4, ERR));
    FAILS(QV_ERR_INVALID_ARGUMENT,
          qv_collection_text_search(c, (const uint8_t *)"x", 1, &p, &r, ERR));
    /* Without an index, the text condition is evaluated on the payload. */
    OK(qv_collection_count_where(c, (const uint8_t *)pf, strlen(pf), &n, ERR));
    CHECK_EQ_U64(n, brute);

    qv_collection_free(c);
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
}
