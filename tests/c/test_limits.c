/*
 * test_limits.c: requests too large for memory fail with
 * QV_ERR_OUT_OF_MEMORY instead of aborting the host.
 *
 * Each case runs in a child process (this binary, run as `--child NAME
 * DIR`) whose address space is limited to 2 GiB (RLIMIT_AS): an abort
 * there is a failed check here, not the end of the test run. Under
 * valgrind, which manages the address space itself, RLIMIT_AS does not
 * apply, so the cases are skipped there.
 */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { DIM_GET = 128, DIM_SEARCH = 4 };

#define LIMIT_BYTES ((rlim_t)2 << 30)

static int limit_address_space(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_AS, &r) != 0) return -1;
    r.rlim_cur = LIMIT_BYTES;
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < LIMIT_BYTES) r.rlim_cur = r.rlim_max;
    return setrlimit(RLIMIT_AS, &r);
}

/* Upserts `n` points 0..n-1 of `dim` floats. */
static void fill(const qv_collection *c, size_t n, size_t dim) {
    uint64_t *ids = malloc(n * sizeof *ids);
    float *v = malloc(n * dim * sizeof *v);
    uint64_t seed = 42;
    if (ids && v) {
        for (size_t i = 0; i < n; i++) ids[i] = i;
        for (size_t i = 0; i < n * dim; i++) v[i] = qvt_rand(&seed);
        OK(qv_collection_upsert(c, ids, n, v, n * dim, NULL, NULL, 0, ERR));
    }
    free(ids);
    free(v);
}

/* qv_collection_get of 8M ids (all of an existing point: the engine would
 * copy its vector 8M times) needs 8M * (128 * 4 + 17) bytes: 4.2 GB. */
static void child_get(const qv_collection *c) {
    fill(c, 100, DIM_GET);
    const size_t n = (size_t)8 << 20;
    uint64_t *ids = malloc(n * sizeof *ids);
    if (ids == NULL) {
        CHECK(!"malloc of the ids");
        return;
    }
    for (size_t i = 0; i < n; i++) ids[i] = i % 100;
    CHECK(limit_address_space() == 0);
    qv_points *pts = (qv_points *)(uintptr_t)1;
    FAILS(QV_ERR_OUT_OF_MEMORY, qv_collection_get(c, ids, n, &pts, ERR));
    CHECK_MESSAGE_HAS("out of memory");
    CHECK(pts == NULL);
    /* A smaller request still works. */
    OK(qv_collection_get(c, ids, 1000, &pts, ERR));
    qv_points_view v;
    if (OK(qv_points_get_view(pts, &v, ERR)) == QV_OK)
        CHECK(v.count == 1000 && v.found[0] == 1 && v.found[999] == 1);
    qv_points_free(pts);
    free(ids);
}

/* qv_collection_search_results of 50,000 queries with k = 2,000 over
 * 2,000 points: 100M hits of 20 bytes, 2.0 GB of results, about what the
 * 2 GiB hold: it may succeed or fail, but never abort (the engine must not
 * hold all 100M hits at once besides them). Twice as many queries cannot
 * fit: QV_ERR_OUT_OF_MEMORY. */
static void child_search(const qv_collection *c) {
    const size_t points = 2000, nq = 100000;
    fill(c, points, DIM_SEARCH);
    float *q = malloc(nq * DIM_SEARCH * sizeof *q);
    if (q == NULL) {
        CHECK(!"malloc of the queries");
        return;
    }
    uint64_t seed = 7;
    for (size_t i = 0; i < nq * DIM_SEARCH; i++) q[i] = qvt_rand(&seed);
    CHECK(limit_address_space() == 0);
    qv_search_params p;
    qv_search_params_init(&p);
    p.k = 2000;
    p.exact = 1;
    qv_results *r = (qv_results *)(uintptr_t)1;
    FAILS(QV_ERR_OUT_OF_MEMORY, qv_collection_search_results(c, q, nq, DIM_SEARCH, &p, &r, ERR));
    CHECK_MESSAGE_HAS("out of memory");
    CHECK(r == NULL);
    qvt_err = qvt_unset_error;
    int32_t s = qv_collection_search_results(c, q, nq / 2, DIM_SEARCH, &p, &r, ERR);
    qvt_check_call(__FILE__, __LINE__, "search_results(50,000 x 2,000)",
                   s == QV_ERR_OUT_OF_MEMORY ? QV_ERR_OUT_OF_MEMORY : QV_OK, s, &qvt_err);
    qv_results_view big;
    if (s == QV_OK && OK(qv_results_get_view(r, &big, ERR)) == QV_OK)
        CHECK(big.num_queries == nq / 2 && big.num_hits == (uint64_t)nq / 2 * 2000);
    printf("     50,000 x 2,000 under 2 GiB: %s\n", s == QV_OK ? "fits" : "QV_ERR_OUT_OF_MEMORY");
    qv_results_free(r);
    r = NULL;
    /* A smaller request still works. */
    OK(qv_collection_search_results(c, q, 10, DIM_SEARCH, &p, &r, ERR));
    qv_results_view v;
    if (OK(qv_results_get_view(r, &v, ERR)) == QV_OK)
        CHECK(v.num_queries == 10 && v.num_hits == 10 * 2000);
    qv_results_free(r);
    free(q);
}

int qvt_child_main(const char *name, const char *dir) {
    qv_database *db = qvt_open_db(dir);
    if (db == NULL) return 1;
    int known = 1;
    if (strcmp(name, "get") == 0) {
        qv_collection *c = qvt_create(db, "g", DIM_GET, QV_METRIC_EUCLIDEAN);
        if (c != NULL) child_get(c);
        qv_collection_free(c);
    } else if (strcmp(name, "search") == 0) {
        qv_collection *c = qvt_create(db, "s", DIM_SEARCH, QV_METRIC_EUCLIDEAN);
        if (c != NULL) child_search(c);
        qv_collection_free(c);
    } else {
        fprintf(stderr, "unknown child test %s\n", name);
        known = 0;
    }
    OK(qv_database_close(db, ERR));
    qv_database_free(db);
    qvt_remove_tree(dir);
    return known && qvt_failures == 0 ? 0 : 1;
}

/* Runs child test `name` and checks that it exited with status 0. */
static void run_child(const char *name) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", qvt_path(name));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        qvt_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        char *args[] = {"quiver-c-tests", "--child", (char *)name, dir, NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    qvt_checks++;
    if (WIFSIGNALED(status))
        qvt_fail(__FILE__, __LINE__, "child test \"%s\" was killed by signal %d (%s)", name,
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        qvt_fail(__FILE__, __LINE__, "child test \"%s\" failed (exit status %d)", name,
                 WEXITSTATUS(status));
}

void test_out_of_memory(void) {
    if (qvt_under_valgrind()) {
        printf("     (skipped under valgrind: RLIMIT_AS does not apply there)\n");
        return;
    }
    run_child("get");
    run_child("search");
}
