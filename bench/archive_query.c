/*
 * archive_query.c - the query rate of a persistent index against the same
 * documents added to an in-memory index that already holds the archive
 * (bench/archive.sh runs it; numbers in PERFORMANCE.md).
 *
 *   build/bench-archive OLD NEW INDEX THREADS ROUNDS [archive|memory]
 *
 * OLD and NEW hold NUL-terminated texts (the archived documents and the
 * new ones); INDEX is an archive built from OLD. Each round times
 * wd_index_add() of NEW in batches of 4096 (dedup's default), twice:
 *   memory   an index that was given OLD first (untimed)
 *   archive  an empty index attached to INDEX (read mode)
 * both sized beforehand for what they will hold (wd_index_reserve), as
 * dedup does from the input size.
 * and prints wall and CPU seconds (the process's CPU clock: all threads)
 * of both (or only the one named last: for profiling). Round 0 is a
 * warm-up. Uses include/wiredup.h only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wiredup.h"

#define BATCH 4096

typedef struct texts {
    char *buf;
    wd_doc *docs;
    size_t n;
} texts;

static int load(const char *path, texts *t)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->buf = malloc((size_t)len + 1);
    if (!t->buf || fread(t->buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        return -1;
    }
    fclose(f);
    t->buf[len] = 0;
    size_t n = 0;
    for (long i = 0; i < len; i++) n += t->buf[i] == 0;
    t->docs = malloc((n ? n : 1) * sizeof *t->docs);
    if (!t->docs) return -1;
    t->n = 0;
    for (char *p = t->buf, *e = t->buf + len; p < e;) {
        size_t l = strlen(p);
        t->docs[t->n++] = (wd_doc){ .text = p, .len = l };
        p += l + 1;
    }
    return 0;
}

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Adds t in batches; wall and CPU seconds into w and c; matches found. */
static int timed_add(wd_index *ix, const texts *t, double *w, double *c, size_t *found)
{
    static wd_match m[BATCH];
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    *found = 0;
    for (size_t i = 0; i < t->n; i += BATCH) {
        size_t n = t->n - i < BATCH ? t->n - i : BATCH;
        int rc = wd_index_add(ix, t->docs + i, n, m);
        if (rc) return rc;
        for (size_t k = 0; k < n; k++) *found += m[k].kind != WD_MATCH_NONE || m[k].archived_kind != WD_MATCH_NONE;
    }
    *w = now(CLOCK_MONOTONIC) - w0;
    *c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    return WD_OK;
}

int main(int argc, char **argv)
{
    const char *only = argc == 7 ? argv[6] : "";
    if ((argc != 6 && argc != 7) || (argc == 7 && strcmp(only, "archive") && strcmp(only, "memory"))) {
        fprintf(stderr, "usage: bench-archive OLD NEW INDEX THREADS ROUNDS [archive|memory]\n");
        return 2;
    }
    texts old = { 0 }, new;
    if ((strcmp(only, "archive") && load(argv[1], &old)) || load(argv[2], &new)) {
        fprintf(stderr, "bench-archive: cannot read the texts\n");
        return 2;
    }
    wd_params p;
    wd_params_default(&p);
    p.threads = (unsigned)atoi(argv[4]);
    int rounds = atoi(argv[5]);
    for (int r = 0; r <= rounds; r++) {
        double mw = 0, mc = 0, aw = 0, ac = 0;
        size_t mf = 0, af = 0;
        wd_index *ix;
        char err[256];
        wd_archive *a;
        if (wd_archive_open(argv[3], WD_ARCHIVE_READ, &p, &a, err, sizeof err)) {
            fprintf(stderr, "bench-archive: %s: %s\n", argv[3], err);
            return 2;
        }
        wd_params q = p;
        wd_archive_shape(a, &q);
        if (strcmp(only, "memory")) {
            if (wd_index_create(&q, &ix) || wd_index_reserve(ix, new.n) ||
                wd_index_attach_archive(ix, a) || timed_add(ix, &new, &aw, &ac, &af))
                return 3;
            wd_index_free(ix);
        }
        wd_archive_close(a);

        double bw, bc;
        size_t bf;
        if (strcmp(only, "archive")) {
            if (wd_index_create(&q, &ix) || wd_index_reserve(ix, old.n + new.n) ||
                timed_add(ix, &old, &bw, &bc, &bf) || timed_add(ix, &new, &mw, &mc, &mf))
                return 3;
            wd_index_free(ix);
        }
        printf("%s %d\tarchive %.3f s wall %.3f s cpu (%zu matched)\tmemory %.3f s wall %.3f s cpu "
               "(%zu matched)\n", r ? "round" : "warm-up", r, aw, ac, af, mw, mc, mf);
        fflush(stdout);
    }
    return 0;
}
