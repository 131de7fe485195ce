/*
 * harness.c: checks, temporary directories, data loading and the test
 * runner of the C tests.
 *
 * usage: quiver-c-tests [--quick] [DATA_DIR]
 *   --quick    the variant run under valgrind: smaller data sets (also when
 *              the environment variable QV_TEST_QUICK is set and not "0")
 *   DATA_DIR   the WordNet sample [default: tests/data/wordnet-sample of the
 *              source tree the binary was built from]
 *
 * Tests that must survive what kills a process (an abort) run in a child:
 * the binary runs itself as `quiver-c-tests --child NAME DIR` (see
 * qvt_child_main), and the parent checks how the child ended.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef QVT_DEFAULT_DATA_DIR
#define QVT_DEFAULT_DATA_DIR "tests/data/wordnet-sample"
#endif

_Atomic int qvt_failures;
_Atomic long qvt_checks;
_Thread_local qv_error *qvt_err;
_Thread_local char qvt_last_message[1024];
static char qvt_unset_error_byte;
qv_error *const qvt_unset_error = (qv_error *)&qvt_unset_error_byte;
int qvt_quick;
const char *qvt_data_dir = QVT_DEFAULT_DATA_DIR;

static char qvt_root[256];
static const char *qvt_current_test = "(none)";

void qvt_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    qvt_failures++;
    fprintf(stderr, "FAIL %s:%d [%s]: ", file, line, qvt_current_test);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *status_name(int32_t s) {
    switch (s) {
    case QV_OK: return "QV_OK";
    case QV_ERR_INVALID_ARGUMENT: return "QV_ERR_INVALID_ARGUMENT";
    case QV_ERR_DIMENSION_MISMATCH: return "QV_ERR_DIMENSION_MISMATCH";
    case QV_ERR_NOT_FOUND: return "QV_ERR_NOT_FOUND";
    case QV_ERR_ALREADY_EXISTS: return "QV_ERR_ALREADY_EXISTS";
    case QV_ERR_CLOSED: return "QV_ERR_CLOSED";
    case QV_ERR_IO: return "QV_ERR_IO";
    case QV_ERR_CORRUPT: return "QV_ERR_CORRUPT";
    case QV_ERR_INCOMPATIBLE_FORMAT: return "QV_ERR_INCOMPATIBLE_FORMAT";
    case QV_ERR_LOCKED: return "QV_ERR_LOCKED";
    case QV_ERR_UNSUPPORTED: return "QV_ERR_UNSUPPORTED";
    case QV_ERR_QUERY_SYNTAX: return "QV_ERR_QUERY_SYNTAX";
    case QV_ERR_OUT_OF_MEMORY: return "QV_ERR_OUT_OF_MEMORY";
    case QV_ERR_INTERNAL: return "QV_ERR_INTERNAL";
    case QV_ERR_PANIC: return "QV_ERR_PANIC";
    case QV_ERR_READ_ONLY: return "QV_ERR_READ_ONLY";
    default: return "(unknown status)";
    }
}

int32_t qvt_check_call(const char *file, int line, const char *call, int32_t expected,
                       int32_t got, qv_error **errp) {
    qv_error *err = *errp;
    *errp = NULL;
    qvt_checks++;
    if (err == qvt_unset_error) {
        qvt_fail(file, line, "%s: returned %s without writing *err", call, status_name(got));
        return got;
    }
    const char *msg = qv_error_message(err);
    if (got != expected) {
        qvt_fail(file, line, "%s: expected %s, got %s: %s", call, status_name(expected),
                 status_name(got), err ? msg : "(no error object)");
    } else if (got == QV_OK && err != NULL) {
        qvt_fail(file, line, "%s: QV_OK but *err is not NULL (%s)", call, msg);
    } else if (got != QV_OK) {
        if (err == NULL)
            qvt_fail(file, line, "%s: %s but *err is NULL", call, status_name(got));
        else if (qv_error_code(err) != got)
            qvt_fail(file, line, "%s: returned %s but qv_error_code says %s", call,
                     status_name(got), status_name(qv_error_code(err)));
        else if (msg == NULL || msg[0] == '\0')
            qvt_fail(file, line, "%s: %s with an empty message", call, status_name(got));
        else if (strstr(msg, "..=") != NULL || strstr(msg, "`") != NULL)
            qvt_fail(file, line, "%s: a message in Rust terms (a range such as 1..=9, or a backtick): %s",
                     call, msg);
    }
    if (err != NULL) {
        snprintf(qvt_last_message, sizeof qvt_last_message, "%s", msg ? msg : "");
        qv_error_free(err);
    }
    return got;
}

/* ---- environment ---------------------------------------------------------- */

int qvt_under_valgrind(void) {
    /* valgrind preloads its vgpreload_*.so into the program it runs. */
    const char *preload = getenv("LD_PRELOAD");
    return preload != NULL && strstr(preload, "vgpreload") != NULL;
}

/* ---- files ---------------------------------------------------------------- */

const char *qvt_path(const char *name) {
    static _Thread_local char buf[512];
    static _Atomic unsigned counter;
    snprintf(buf, sizeof buf, "%s/%s-%u", qvt_root, name, counter++);
    return buf;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int qvt_remove_tree(const char *path) {
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int qvt_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* ---- database helpers ----------------------------------------------------- */

qv_database *qvt_open_db(const char *path) {
    qv_database *db = NULL;
    if (OK(qv_database_open((const uint8_t *)path, strlen(path), NULL, &db, ERR)) != QV_OK)
        return NULL;
    return db;
}

qv_collection *qvt_create(qv_database *db, const char *name, uint32_t dimension, uint32_t metric) {
    qv_collection_config cfg;
    qv_collection_config_init(&cfg);
    cfg.dimension = dimension;
    cfg.metric = metric;
    qv_collection *c = NULL;
    if (OK(qv_database_create_collection(db, (const uint8_t *)name, strlen(name), &cfg, &c, ERR)) !=
        QV_OK)
        return NULL;
    return c;
}

uint64_t qvt_count(const qv_collection *c) {
    uint64_t n = UINT64_MAX;
    if (OK(qv_collection_count(c, &n, ERR)) != QV_OK) return UINT64_MAX;
    return n;
}

/* ---- data ----------------------------------------------------------------- */

float qvt_rand(uint64_t *state) {
    /* splitmix64 */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (float)((double)(z >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

float qvt_half_to_float(uint16_t h) {
    unsigned sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24); /* zero or subnormal */
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

/* Reads `count` little-endian halves from the start of `file` in the data dir. */
static float *read_halves(const char *file, size_t count) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", qvt_data_dir, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    unsigned char *raw = malloc(count * 2);
    float *out = malloc(count * sizeof(float));
    if (raw == NULL || out == NULL || fread(raw, 2, count, f) != count) {
        fprintf(stderr, "cannot read %zu halves from %s\n", count, path);
        free(raw);
        free(out);
        fclose(f);
        return NULL;
    }
    fclose(f);
    for (size_t i = 0; i < count; i++)
        out[i] = qvt_half_to_float((uint16_t)(raw[2 * i] | (raw[2 * i + 1] << 8)));
    free(raw);
    return out;
}

int qvt_wordnet_load(qvt_wordnet *w, size_t n) {
    memset(w, 0, sizeof *w);
    w->n = n;
    w->dim = 384;
    w->vectors = read_halves("base.f16", n * w->dim);
    char path[1024];
    snprintf(path, sizeof path, "%s/base.jsonl", qvt_data_dir);
    FILE *f = fopen(path, "rb");
    w->offsets = malloc((n + 1) * sizeof(uint64_t));
    size_t cap = 256 * n + 1, len = 0;
    w->jsonl = malloc(cap);
    if (w->vectors == NULL || f == NULL || w->offsets == NULL || w->jsonl == NULL) {
        if (f) fclose(f);
        qvt_wordnet_free(w);
        return -1;
    }
    w->offsets[0] = 0;
    size_t i = 0;
    int ch;
    while (i < n && (ch = fgetc(f)) != EOF) {
        if (ch == '\n') {
            w->offsets[++i] = len;
            continue;
        }
        if (len + 1 >= cap) {
            char *bigger = realloc(w->jsonl, cap *= 2);
            if (bigger == NULL) break;
            w->jsonl = bigger;
        }
        w->jsonl[len++] = (char)ch;
    }
    fclose(f);
    if (i != n) {
        fprintf(stderr, "%s has fewer than %zu lines\n", path, n);
        qvt_wordnet_free(w);
        return -1;
    }
    return 0;
}

float *qvt_wordnet_queries(size_t nq, size_t dim) {
    return read_halves("queries.f16", nq * dim);
}

void qvt_wordnet_free(qvt_wordnet *w) {
    free(w->vectors);
    free(w->jsonl);
    free(w->offsets);
    memset(w, 0, sizeof *w);
}

/* ---- runner --------------------------------------------------------------- */

typedef struct {
    const char *name;
    void (*fn)(void);
} test_case;

#define T(name) {#name, name}
static const test_case tests[] = {
    T(test_version_and_null_arguments),
    T(test_crud_flow),
    T(test_reopen_keeps_data),
    T(test_scroll_pages),
    T(test_metadata_only),
    T(test_handle_lifetimes),
    T(test_search_caller_arrays),
    T(test_search_owned_results),
    T(test_batch_equals_single),
    T(test_metrics),
    T(test_errors_null_and_lengths),
    T(test_errors_vectors),
    T(test_errors_utf8_and_json),
    T(test_errors_search_arguments),
    T(test_errors_names),
    T(test_errors_enums_and_struct_size),
    T(test_errors_lock_and_files),
    T(test_errors_use_after_close),
    T(test_failed_calls_change_nothing),
    T(test_errors_option_struct_versions),
    T(test_errors_huge_values),
    T(test_errors_size_overflow),
    T(test_stats_view),
    T(test_stats_lifetime_and_errors),
    T(test_optimize_verify_wait),
    T(test_out_of_memory),
    T(test_concurrent_close),
    T(test_field_indexes),
    T(test_payload_operations),
    T(test_text_search),
    T(test_hybrid_search),
    T(test_sparse_vectors),
    T(test_graph),
    T(test_wordnet_sample),
    T(test_wordnet_sq8),
    T(test_wordnet_modes),
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--child") == 0) {
        qvt_current_test = argv[2];
        return qvt_child_main(argv[2], argv[3]);
    }
    const char *env = getenv("QV_TEST_QUICK");
    qvt_quick = env != NULL && env[0] != '\0' && strcmp(env, "0") != 0;
    const char *only = getenv("QV_TEST_ONLY"); /* run the tests whose name contains this */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            qvt_quick = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--quick] [DATA_DIR]\n", argv[0]);
            return 2;
        } else
            qvt_data_dir = argv[i];
    }
    snprintf(qvt_root, sizeof qvt_root, "/tmp/quiver-c-tests-XXXXXX");
    if (mkdtemp(qvt_root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    printf("quiver %s (ABI %u), data %s%s\n", qv_version(), qv_abi_version(), qvt_data_dir,
           qvt_quick ? ", quick variant" : "");
    int ran = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only != NULL && strstr(tests[i].name, only) == NULL) continue;
        int before = qvt_failures;
        double t = now();
        qvt_current_test = tests[i].name;
        tests[i].fn();
        ran++;
        printf("%-4s %-36s %6.2f s\n", qvt_failures == before ? "ok" : "FAIL", tests[i].name,
               now() - t);
        fflush(stdout);
    }
    qvt_current_test = "(cleanup)";
    if (qvt_remove_tree(qvt_root) != 0) qvt_fail(__FILE__, __LINE__, "cannot remove %s", qvt_root);
    printf("%d tests, %ld checks, %d failures\n", ran, (long)qvt_checks, (int)qvt_failures);
    return qvt_failures == 0 && ran > 0 ? 0 : 1;
}
