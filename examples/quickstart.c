/*
 * quickstart.c: Quiver from C, on real data.
 *
 * Creates a database in a temporary directory, inserts 300 WordNet
 * definitions (384-dimensional MiniLM sentence embeddings stored as half
 * floats, with their JSON lines as payloads) in one batch, searches them by
 * meaning with and without a payload filter, prints the nearest definitions,
 * and removes the database again.
 *
 *     make demo
 *     # or: cc -O2 -Iinclude examples/quickstart.c -Ltarget/release -lquiver \
 *     #        -Wl,-rpath,$PWD/target/release -o quickstart && ./quickstart
 *
 * usage: quickstart [DATA_DIR]   (default: tests/data/wordnet-sample, run
 * from the repository root)
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quiver.h>

#define DIM 384
#define N_POINTS 300
#define K 5

/* ---- reading the data ------------------------------------------------------ */

/* IEEE 754 half (binary16) to float. */
static float half_to_float(uint16_t h) {
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

/* Reads the first `rows` vectors of a little-endian half-float file. */
static float *read_vectors(const char *dir, const char *file, size_t rows) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "quickstart: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t count = rows * DIM;
    unsigned char *raw = malloc(count * 2);
    float *out = malloc(count * sizeof *out);
    if (raw == NULL || out == NULL || fread(raw, 2, count, f) != count) {
        fprintf(stderr, "quickstart: cannot read %zu vectors from %s\n", rows, path);
        free(out);
        out = NULL;
    } else {
        for (size_t i = 0; i < count; i++)
            out[i] = half_to_float((uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8));
    }
    free(raw);
    fclose(f);
    return out;
}

/* Reads the first `rows` lines of base.jsonl as one buffer without the
 * newlines; offsets[i]..offsets[i+1] is line i (the payload format of
 * qv_collection_upsert). */
static char *read_payloads(const char *dir, size_t rows, uint64_t *offsets) {
    char path[4096];
    snprintf(path, sizeof path, "%s/base.jsonl", dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "quickstart: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0, row = 0;
    char *data = malloc(cap);
    int ch;
    offsets[0] = 0;
    while (data != NULL && row < rows && (ch = fgetc(f)) != EOF) {
        if (ch == '\n') {
            offsets[++row] = len;
            continue;
        }
        if (len == cap) {
            char *bigger = realloc(data, cap *= 2);
            if (bigger == NULL) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
        }
        data[len++] = (char)ch;
    }
    fclose(f);
    if (data != NULL && row < rows) {
        fprintf(stderr, "quickstart: %s has fewer than %zu lines\n", path, rows);
        free(data);
        data = NULL;
    }
    return data;
}

/* ---- reading a string member out of a JSON payload -------------------------- */

typedef struct {
    const char *p, *end;
} scanner;

static void skip_ws(scanner *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hex4(const char *p, const char *end, unsigned *out) {
    if (end - p < 4) return -1;
    *out = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = (c >= '0' && c <= '9')   ? (unsigned)(c - '0')
                     : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                     : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10)
                                              : 16u;
        if (d == 16) return -1;
        *out = *out << 4 | d;
    }
    return 0;
}

/* Appends byte `c` to out[cap] at *len, keeping room for the NUL. */
static void put(char *out, size_t cap, size_t *len, char c) {
    if (out != NULL && *len + 1 < cap) out[*len] = c;
    (*len)++;
}

static void put_utf8(char *out, size_t cap, size_t *len, unsigned cp) {
    if (cp < 0x80) {
        put(out, cap, len, (char)cp);
    } else if (cp < 0x800) {
        put(out, cap, len, (char)(0xc0 | cp >> 6));
        put(out, cap, len, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        put(out, cap, len, (char)(0xe0 | cp >> 12));
        put(out, cap, len, (char)(0x80 | (cp >> 6 & 0x3f)));
        put(out, cap, len, (char)(0x80 | (cp & 0x3f)));
    } else {
        put(out, cap, len, (char)(0xf0 | cp >> 18));
        put(out, cap, len, (char)(0x80 | (cp >> 12 & 0x3f)));
        put(out, cap, len, (char)(0x80 | (cp >> 6 & 0x3f)));
        put(out, cap, len, (char)(0x80 | (cp & 0x3f)));
    }
}

/* Reads a JSON string at s->p (which is at the opening quote), decoding its
 * escapes into out[cap] (NUL-terminated, truncated if needed; out may be
 * NULL to skip). Returns 0, or -1 when the string is malformed. */
static int read_string(scanner *s, char *out, size_t cap) {
    size_t len = 0;
    if (s->p >= s->end || *s->p != '"') return -1;
    s->p++;
    while (s->p < s->end && *s->p != '"') {
        char c = *s->p++;
        if (c != '\\') {
            put(out, cap, &len, c);
            continue;
        }
        if (s->p >= s->end) return -1;
        c = *s->p++;
        switch (c) {
        case '"': case '\\': case '/': put(out, cap, &len, c); break;
        case 'b': put(out, cap, &len, '\b'); break;
        case 'f': put(out, cap, &len, '\f'); break;
        case 'n': put(out, cap, &len, '\n'); break;
        case 'r': put(out, cap, &len, '\r'); break;
        case 't': put(out, cap, &len, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(s->p, s->end, &cp) != 0) return -1;
            s->p += 4;
            /* A surrogate pair: \uD83D\uDE00. */
            if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
                s->p[1] == 'u' && hex4(s->p + 2, s->end, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                s->p += 6;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd; /* a lone surrogate */
            }
            put_utf8(out, cap, &len, cp);
            break;
        }
        default: return -1;
        }
    }
    if (s->p >= s->end) return -1; /* no closing quote */
    s->p++;
    if (out != NULL && cap > 0) out[len < cap ? len : cap - 1] = '\0';
    return 0;
}

/* Skips one JSON value of any kind (nested objects and arrays included). */
static int skip_value(scanner *s) {
    int depth = 0;
    do {
        skip_ws(s);
        if (s->p >= s->end) return -1;
        char c = *s->p;
        if (c == '"') {
            if (read_string(s, NULL, 0) != 0) return -1;
        } else if (c == '{' || c == '[') {
            depth++;
            s->p++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return -1;
            depth--;
            s->p++;
        } else if (depth > 0) {
            s->p++; /* ',' or ':' or a scalar's character inside a container */
        } else {
            /* a number, true, false or null: up to the next delimiter */
            while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']' && *s->p != ' ' &&
                   *s->p != '\t' && *s->p != '\n' && *s->p != '\r')
                s->p++;
        }
    } while (depth > 0);
    return 0;
}

/* Copies the string member `key` of the top-level JSON object in
 * json[0..len) into out[cap] (decoded, NUL-terminated). Returns 0, or -1 when
 * the text is not an object with such a string member. */
static int json_string_member(const uint8_t *json, size_t len, const char *key, char *out,
                              size_t cap) {
    scanner s = {(const char *)json, (const char *)json + len};
    char name[64];
    skip_ws(&s);
    if (s.p >= s.end || *s.p++ != '{') return -1;
    for (;;) {
        skip_ws(&s);
        if (s.p < s.end && *s.p == '}') return -1; /* end of object: not found */
        if (read_string(&s, name, sizeof name) != 0) return -1;
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ':') return -1;
        skip_ws(&s);
        if (strcmp(name, key) == 0 && s.p < s.end && *s.p == '"') return read_string(&s, out, cap);
        if (skip_value(&s) != 0) return -1;
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') s.p++;
    }
}

/* ---- the demo ---------------------------------------------------------------- */

static int fail(const char *what, qv_error *err) {
    fprintf(stderr, "quickstart: %s failed: %s\n", what, qv_error_message(err));
    qv_error_free(err);
    return -1;
}

/* Searches `query` (K nearest, with payloads, optional filter) and prints
 * the score and the definition text of each hit. */
static int print_nearest(const qv_collection *defs, const float *query, const char *filter) {
    qv_search_params params;
    qv_search_params_init(&params);
    params.k = K;
    params.with_payload = 1;
    if (filter != NULL) {
        params.filter_json = (const uint8_t *)filter;
        params.filter_len = strlen(filter);
    }
    qv_results *results = NULL;
    qv_error *err = NULL;
    if (qv_collection_search_results(defs, query, 1, DIM, &params, &results, &err) != QV_OK)
        return fail("search", err);
    qv_results_view view;
    if (qv_results_get_view(results, &view, &err) != QV_OK) {
        qv_results_free(results);
        return fail("results view", err);
    }
    for (uint64_t j = view.offsets[0]; j < view.offsets[1]; j++) {
        char text[512];
        const uint8_t *payload = view.payload_data + view.payload_offsets[j];
        size_t payload_len = (size_t)(view.payload_offsets[j + 1] - view.payload_offsets[j]);
        if (json_string_member(payload, payload_len, "text", text, sizeof text) != 0)
            snprintf(text, sizeof text, "(no text)");
        printf("  %.3f  #%-4llu %s\n", view.scores[j], (unsigned long long)view.ids[j], text);
    }
    qv_results_free(results); /* the view dies with it */
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

int main(int argc, char **argv) {
    const char *data_dir = argc > 1 ? argv[1] : "tests/data/wordnet-sample";
    int status = 1;
    qv_database *db = NULL;
    qv_collection *defs = NULL;
    qv_error *err = NULL;
    uint64_t ids[N_POINTS], offsets[N_POINTS + 1];

    printf("quiver %s (ABI %u)\n", qv_version(), qv_abi_version());
    if (qv_abi_version() != QV_ABI_VERSION) {
        fprintf(stderr, "quickstart: built against ABI %d, library has %u\n", QV_ABI_VERSION,
                qv_abi_version());
        return 1;
    }

    float *vectors = read_vectors(data_dir, "base.f16", N_POINTS);
    float *query = read_vectors(data_dir, "queries.f16", 1);
    char *payloads = read_payloads(data_dir, N_POINTS, offsets);
    char dir[] = "/tmp/quiver-quickstart-XXXXXX";
    if (vectors == NULL || query == NULL || payloads == NULL) goto done;
    if (mkdtemp(dir) == NULL) {
        perror("quickstart: mkdtemp");
        goto done;
    }

    /* A database is a directory; a collection holds points of one dimension. */
    if (qv_database_open((const uint8_t *)dir, strlen(dir), NULL, &db, &err) != QV_OK) {
        fail("open", err);
        goto cleanup;
    }
    qv_collection_config config;
    qv_collection_config_init(&config); /* cosine, HNSW m 16, ef_construction 200 */
    config.dimension = DIM;
    if (qv_database_create_collection(db, (const uint8_t *)"definitions", 11, &config, &defs, &err) !=
        QV_OK) {
        fail("create collection", err);
        goto cleanup;
    }

    /* One batch: ids, vectors (row-major) and JSON payloads. */
    for (size_t i = 0; i < N_POINTS; i++) ids[i] = i;
    if (qv_collection_upsert(defs, ids, N_POINTS, vectors, (size_t)N_POINTS * DIM, offsets,
                             (const uint8_t *)payloads, offsets[N_POINTS], &err) != QV_OK) {
        fail("upsert", err);
        goto cleanup;
    }
    uint64_t count = 0;
    if (qv_collection_count(defs, &count, &err) != QV_OK) {
        fail("count", err);
        goto cleanup;
    }
    printf("inserted %llu definitions into %s\n", (unsigned long long)count, dir);

    /* The query is the embedding of a definition that is not in the base. */
    printf("\nnearest definitions to query 0:\n");
    if (print_nearest(defs, query, NULL) != 0) goto cleanup;
    printf("\nthe same, verbs only ({\"field\": \"pos\", \"eq\": \"verb\"}):\n");
    if (print_nearest(defs, query, "{\"field\": \"pos\", \"eq\": \"verb\"}") != 0) goto cleanup;
    status = 0;

cleanup:
    qv_collection_free(defs);
    if (db != NULL && qv_database_close(db, &err) != QV_OK) status = fail("close", err);
    qv_database_free(db);
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        fprintf(stderr, "quickstart: cannot remove %s\n", dir);
        status = 1;
    }
done:
    free(vectors);
    free(query);
    free(payloads);
    return status;
}
