/*
 * harness.h: the small test harness of the C tests (tests/c/).
 *
 * Checks never abort: a failed check prints file:line, what was checked and,
 * for a call, the qv_error message, then counts a failure; the runner exits
 * non-zero when any check failed.
 *
 * Calls that take a trailing `qv_error **err` are checked with OK / FAILS,
 * writing `ERR` for that argument:
 *
 *     OK(qv_collection_count(coll, &n, ERR));
 *     FAILS(QV_ERR_DIMENSION_MISMATCH, qv_collection_upsert(coll, ..., ERR));
 *
 * Both also check the error out-parameter contract: NULL on success; on
 * failure an error object whose code is the returned status and whose message
 * is not empty and speaks C, not Rust (no `1..=9` ranges, no backticks).
 * The message of the last failure stays in `qvt_last_message` (so a test
 * can check that it has context).
 */
#ifndef QUIVER_TEST_HARNESS_H
#define QUIVER_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "quiver.h"

extern _Atomic int qvt_failures;
extern _Atomic long qvt_checks;
/* The error out-parameter of OK / FAILS, and the message of the last failure
 * they saw (both per thread). */
extern _Thread_local qv_error *qvt_err;
extern _Thread_local char qvt_last_message[1024];
/* A non-NULL pointer the library must overwrite through `err`. */
extern qv_error *const qvt_unset_error;

void qvt_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int32_t qvt_check_call(const char *file, int line, const char *call, int32_t expected,
                       int32_t got, qv_error **err);

#define CHECK(cond)                                                       \
    do {                                                                  \
        qvt_checks++;                                                     \
        if (!(cond)) qvt_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                        \
    do {                                                                          \
        unsigned long long qvt_a = (unsigned long long)(a);                       \
        unsigned long long qvt_b = (unsigned long long)(b);                       \
        qvt_checks++;                                                             \
        if (qvt_a != qvt_b)                                                       \
            qvt_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, qvt_a, qvt_b); \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                      \
    do {                                                                           \
        double qvt_a = (double)(a), qvt_b = (double)(b);                           \
        qvt_checks++;                                                              \
        if (!(qvt_a - qvt_b <= (tol) && qvt_b - qvt_a <= (tol)))                   \
            qvt_fail(__FILE__, __LINE__, "%s ~= %s: %g vs %g (tolerance %g)", #a, #b, \
                     qvt_a, qvt_b, (double)(tol));                                 \
    } while (0)

/* Inside OK / FAILS: the `qv_error **err` argument of the checked call. */
#define ERR (&qvt_err)

/* Evaluates `call` and checks that it returned `expected` (see above). The
 * whole expression yields the status. Usable from any thread. */
#define EXPECT(expected, call)                                                   \
    (qvt_err = qvt_unset_error,                                                  \
     qvt_check_call(__FILE__, __LINE__, #call, (expected), (call), &qvt_err))
#define OK(call) EXPECT(QV_OK, call)
#define FAILS(code, call) EXPECT(code, call)

/* Checks that the message of the last failure contains `needle`. */
#define CHECK_MESSAGE_HAS(needle)                                                 \
    do {                                                                          \
        qvt_checks++;                                                             \
        if (strstr(qvt_last_message, (needle)) == NULL)                           \
            qvt_fail(__FILE__, __LINE__, "error message lacks \"%s\": %s", (needle), \
                     qvt_last_message);                                           \
    } while (0)

/* ---- environment ---------------------------------------------------------- */

/* Nonzero in the quick variant (valgrind): smaller data, same code paths. */
extern int qvt_quick;
/* Directory of the committed WordNet sample. */
extern const char *qvt_data_dir;
/* Nonzero when the tests run under valgrind. */
int qvt_under_valgrind(void);
/* The body of `quiver-c-tests --child NAME DIR` (test_limits.c): runs the
 * child test NAME in the fresh directory DIR; returns the exit status. */
int qvt_child_main(const char *name, const char *dir);

/* A fresh, not yet existing path under the run's temporary directory
 * (static storage, overwritten by the next call). */
const char *qvt_path(const char *name);
/* Removes a directory tree; returns 0 on success. */
int qvt_remove_tree(const char *path);
/* Writes `len` bytes to `path` (truncating); returns 0 on success. */
int qvt_write_file(const char *path, const void *data, size_t len);

/* Opens (creating) the database at `path` with default options; NULL and a
 * counted failure when that fails. */
qv_database *qvt_open_db(const char *path);
/* Creates a vector collection with `dimension` and `metric`. */
qv_collection *qvt_create(qv_database *db, const char *name, uint32_t dimension, uint32_t metric);
/* The number of points, or UINT64_MAX (and a counted failure). */
uint64_t qvt_count(const qv_collection *c);

/* ---- data ----------------------------------------------------------------- */

/* A deterministic pseudo-random float in [-1, 1). */
float qvt_rand(uint64_t *state);
/* IEEE 754 half (binary16) to float. */
float qvt_half_to_float(uint16_t h);

/* The WordNet sample: `n` vectors of `dim` floats and their payload lines. */
typedef struct qvt_wordnet {
    size_t n, dim;
    float *vectors;         /* n * dim */
    char *jsonl;            /* the payload lines, concatenated without '\n' */
    uint64_t *offsets;      /* n + 1 offsets into jsonl */
} qvt_wordnet;

/* Loads the first `n` base points (and payload lines) of the sample; 0 on success. */
int qvt_wordnet_load(qvt_wordnet *w, size_t n);
/* Loads the first `nq` query vectors into a new array (free()); NULL on failure. */
float *qvt_wordnet_queries(size_t nq, size_t dim);
void qvt_wordnet_free(qvt_wordnet *w);

/* ---- the tests (one function per behaviour, grouped by file) -------------- */

void test_version_and_null_arguments(void);
void test_crud_flow(void);
void test_reopen_keeps_data(void);
void test_scroll_pages(void);
void test_metadata_only(void);
void test_handle_lifetimes(void);

void test_search_caller_arrays(void);
void test_search_owned_results(void);
void test_batch_equals_single(void);
void test_metrics(void);

void test_errors_null_and_lengths(void);
void test_errors_vectors(void);
void test_errors_utf8_and_json(void);
void test_errors_search_arguments(void);
void test_errors_names(void);
void test_errors_enums_and_struct_size(void);
void test_errors_lock_and_files(void);
void test_errors_use_after_close(void);
void test_failed_calls_change_nothing(void);

void test_errors_option_struct_versions(void);
void test_errors_huge_values(void);
void test_errors_size_overflow(void);

void test_stats_view(void);
void test_stats_lifetime_and_errors(void);
void test_optimize_verify_wait(void);

void test_out_of_memory(void);

void test_concurrent_close(void);

void test_field_indexes(void);
void test_payload_operations(void);
void test_text_search(void);
void test_hybrid_search(void);
void test_graph(void);
void test_sparse_vectors(void);

void test_wordnet_sample(void);
void test_wordnet_sq8(void);
void test_wordnet_modes(void);

#endif /* QUIVER_TEST_HARNESS_H */
