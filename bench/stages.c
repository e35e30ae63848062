/*
 * stages.c - time each stage of the dedup pipeline in isolation over a
 * corpus, one thread (in the manner of zstd's fullbench).
 *
 *   bench-stages [--runs=N] [--no-warmup] [--csv=FILE] [--label=NAME] CORPUS.jsonl
 *
 * The corpus is read once into memory ("read"); then, batch by batch (4096
 * records, as `wiredup dedup` does), each stage runs over the whole batch
 * before the next starts, with the clock around each stage only:
 *
 *   read       the file into memory (read(2), from the page cache when warm)
 *   parse      record splitting + JSON text extraction (simdjson)
 *   normalize  NFKC + case folding + word separation (wd_normalize)
 *   shingle    word 5-gram hashes, sorted and distinct (wd_shingles)
 *   sketch     MinHash signature (wd_minhash_sign) + exact-text hash (XXH3-128)
 *   index      exact set, LSH band keys, bucket lookups, candidate
 *              verification from signatures, bucket inserts
 *   cluster    union-find over the verified pairs, cluster of every document
 *   write      formatting id<TAB>cluster<TAB>similarity lines, write to /dev/null
 *
 * plus, for reference, "library" = wd_index_add over the same texts with one
 * thread (all of normalize..index as the library runs them). The default
 * parameters are used. Each figure is the median of --runs runs (default 3)
 * after one warm-up run (--no-warmup: none; the corpus file should then be
 * in the page cache already). MB/s is corpus bytes / stage time; docs/s likewise.
 * This program uses internal headers (-Isrc); it is a benchmark, not an API.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "wiredup.h"
#include "common/buf.h"
#include "core/features.h"
#include "index/exact.h"
#include "index/lsh.h"
#include "cluster/unionfind.h"
#include "sketch/minhash.h"
#include "text/text.h"
#include "io/json.h"
#include "io/records.h"

enum { S_READ, S_PARSE, S_NORM, S_SHINGLE, S_SKETCH, S_INDEX, S_CLUSTER, S_WRITE, S_LIBRARY, NSTAGES };
static const char *const stage_name[NSTAGES] = {
    "read", "parse", "normalize", "shingle", "sketch", "index", "cluster", "write", "library"
};
#define BATCH 4096
#define MAX_RUNS 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-stages: %s\n", what);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Reads the whole file with read(2) into a buffer with 64 zero bytes after it. */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(2);
    }
    off_t size = lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    char *buf = xmalloc((size_t)size + 64);
    size_t got = 0;
    while (got < (size_t)size) {
        ssize_t r = read(fd, buf + got, (size_t)size - got > (1 << 24) ? 1 << 24 : (size_t)size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("read failed");
        got += (size_t)r;
    }
    close(fd);
    memset(buf + got, 0, 64);
    *len = got;
    return buf;
}

typedef struct pair { uint64_t a, b; float j; } pair;

static uint64_t g_cands, g_pairs; /* distinct candidates and verified pairs, last run */

/* One run over the corpus; adds each stage's seconds to t[]. Returns the
 * XXH64 of the cluster output (so runs can be compared). */
static uint64_t run(const char *path, double t[NSTAGES], uint64_t *ndocs, size_t *nbytes)
{
    double t0 = now();
    size_t len;
    char *data = read_file(path, &len);
    t[S_READ] += now() - t0;
    *nbytes = len;

    wd_params p;
    wd_params_default(&p);
    p.threads = 1;
    wd_lsh_shape(p.threshold, p.num_hashes, &p.bands, &p.rows);
    const unsigned H = p.num_hashes, B = p.bands;
    wd_minhash mh;
    if (wd_minhash_init(&mh, H, p.seed)) die("out of memory");
    wd_lsh lsh;
    wd_lsh_init(&lsh, p.bands, p.rows, p.seed ^ 0x6c7368ULL);
    wd_exact ex;
    wd_exact_init(&ex);
    wd_json *json = wd_json_new();
    if (!json) die("out of memory");

    wd_span *spans = xmalloc(BATCH * sizeof *spans);
    wd_json_fields *f = xmalloc(BATCH * sizeof *f);
    size_t *noff = xmalloc((BATCH + 1) * sizeof *noff), *soff = xmalloc((BATCH + 1) * sizeof *soff);
    uint8_t *hash = xmalloc(BATCH * 16);
    uint64_t *keys = xmalloc((size_t)BATCH * B * sizeof *keys);
    wd_buf arena = {0}, norm = {0}, nb = {0};
    wd_u64s sh = {0}, sb = {0}, cands = {0};
    uint32_t *sigs = NULL;     /* all documents' signatures */
    unsigned *nsh = NULL;      /* all documents' shingle counts */
    size_t cap_docs = 0;
    pair *pairs = NULL;
    size_t npairs = 0, cap_pairs = 0;
    uint64_t n = 0, ncand = 0;
    wd_format fmt = wd_format_detect(data, len, WD_FMT_AUTO);
    size_t pos = 0;
    char err[160];

    for (;;) {
        /* parse */
        double a = now();
        size_t k = 0;
        arena.len = 0;
        while (k < BATCH && wd_record_next(data, len, fmt, &pos, &spans[k])) {
            if (fmt == WD_FMT_JSONL) {
                if (wd_json_extract(json, data + spans[k].off, spans[k].len, len + 64 - spans[k].off,
                                    "text", NULL, &arena, &f[k], err, sizeof err))
                    die(err);
            } else {
                f[k].text_off = arena.len;
                f[k].text_len = spans[k].len;
                if (wd_buf_reserve(&arena, arena.len + spans[k].len)) die("out of memory");
                memcpy(arena.data + arena.len, data + spans[k].off, spans[k].len);
                arena.len += spans[k].len;
            }
            k++;
        }
        t[S_PARSE] += now() - a;
        if (k == 0) break;
        if (n + k > cap_docs) {
            cap_docs = (n + k) * 2;
            sigs = realloc(sigs, cap_docs * H * sizeof *sigs);
            nsh = realloc(nsh, cap_docs * sizeof *nsh);
            if (!sigs || !nsh) die("out of memory");
        }

        /* normalize */
        a = now();
        nb.len = 0;
        for (size_t i = 0; i < k; i++) {
            if (wd_normalize(arena.data + f[i].text_off, f[i].text_len, &norm)) die("normalize");
            noff[i] = nb.len;
            if (wd_buf_reserve(&nb, nb.len + norm.len)) die("out of memory");
            if (norm.len) memcpy(nb.data + nb.len, norm.data, norm.len);
            nb.len += norm.len;
        }
        noff[k] = nb.len;
        t[S_NORM] += now() - a;

        /* shingle */
        a = now();
        sb.len = 0;
        for (size_t i = 0; i < k; i++) {
            if (wd_shingles(nb.data ? nb.data + noff[i] : "", noff[i + 1] - noff[i], p.shingle,
                            p.shingle_size, p.seed, &sh))
                die("shingles");
            soff[i] = sb.len;
            if (wd_u64s_reserve(&sb, sb.len + sh.len)) die("out of memory");
            if (sh.len) memcpy(sb.data + sb.len, sh.data, sh.len * sizeof *sh.data);
            sb.len += sh.len;
        }
        soff[k] = sb.len;
        t[S_SHINGLE] += now() - a;

        /* sketch */
        a = now();
        for (size_t i = 0; i < k; i++) {
            XXH128_canonical_t c;
            XXH128_canonicalFromHash(&c, XXH3_128bits_withSeed(nb.data ? nb.data + noff[i] : "",
                                                               noff[i + 1] - noff[i], p.seed));
            memcpy(hash + i * 16, c.digest, 16);
            nsh[n + i] = (unsigned)(soff[i + 1] - soff[i]);
            wd_minhash_sign(&mh, sb.data + soff[i], soff[i + 1] - soff[i], sigs + (n + i) * H);
        }
        t[S_SKETCH] += now() - a;

        /* index: as match_one() in src/core/index.c, components mode */
        a = now();
        for (size_t i = 0; i < k; i++) wd_lsh_keys(&lsh, sigs + (n + i) * H, keys + i * B);
        for (size_t i = 0; i < k; i++) {
            uint64_t d = n + i, first;
            if (nsh[d] == 0) continue;
            int rc = wd_exact_add(&ex, hash + i * 16, d, &first);
            if (rc < 0) die("out of memory");
            if (npairs + 4096 > cap_pairs) {
                cap_pairs = cap_pairs ? cap_pairs * 2 : 1 << 16;
                pairs = realloc(pairs, cap_pairs * sizeof *pairs);
                if (!pairs) die("out of memory");
            }
            if (rc == 1) {
                pairs[npairs++] = (pair){ first, d, 1.0f };
                continue;
            }
            cands.len = 0;
            if (wd_lsh_query(&lsh, keys + i * B, &cands)) die("out of memory");
            if (cands.len > 1) qsort(cands.data, cands.len, sizeof *cands.data, cmp_u64);
            uint64_t prev = UINT64_MAX;
            for (size_t q = 0; q < cands.len; q++) {
                uint64_t cd = cands.data[q];
                if (cd == prev) continue;
                prev = cd;
                ncand++;
                unsigned agree = wd_sig_agree(sigs + d * H, sigs + cd * H, H);
                double j = (double)agree / H;
                double ct = wd_containment_est(j, nsh[d], nsh[cd]);
                if (!wd_pair_accept(&p, agree, j, ct)) continue;
                if (npairs == cap_pairs) {
                    cap_pairs *= 2;
                    pairs = realloc(pairs, cap_pairs * sizeof *pairs);
                    if (!pairs) die("out of memory");
                }
                pairs[npairs++] = (pair){ cd, d, (float)j };
            }
            if (wd_lsh_insert(&lsh, keys + i * B, d)) die("out of memory");
        }
        t[S_INDEX] += now() - a;
        n += k;
    }

    /* cluster */
    double a = now();
    wd_uf uf;
    wd_uf_init(&uf);
    if (wd_uf_grow(&uf, n)) die("out of memory");
    for (size_t i = 0; i < npairs; i++) wd_uf_union(&uf, pairs[i].a, pairs[i].b);
    uint64_t *cl = xmalloc(n * sizeof *cl);
    for (uint64_t i = 0; i < n; i++) cl[i] = wd_uf_find(&uf, i);
    t[S_CLUSTER] += now() - a;

    /* write: the --clusters lines (record numbers as ids) */
    a = now();
    int devnull = open("/dev/null", O_WRONLY);
    char *out = xmalloc(1 << 20);
    size_t ol = 0;
    XXH3_state_t *xs = XXH3_createState();
    XXH3_64bits_reset(xs);
    for (uint64_t i = 0; i < n; i++) {
        double j = 1.0;
        if (cl[i] != i)
            j = (double)wd_sig_agree(sigs + i * H, sigs + cl[i] * H, H) / H;
        ol += (size_t)snprintf(out + ol, 64, "%llu\t%llu\t%.4f\n", (unsigned long long)i + 1,
                               (unsigned long long)cl[i] + 1, j);
        if (ol > (1 << 20) - 64) {
            XXH3_64bits_update(xs, out, ol);
            if (write(devnull, out, ol) < 0) die("write failed");
            ol = 0;
        }
    }
    XXH3_64bits_update(xs, out, ol);
    if (write(devnull, out, ol) < 0) die("write failed");
    uint64_t digest = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    close(devnull);
    t[S_WRITE] += now() - a;

    /* the library on the same texts, one thread */
    {
        wd_params q;
        wd_params_default(&q);
        q.threads = 1;
        wd_index *ix;
        if (wd_index_create(&q, &ix)) die("wd_index_create");
        wd_doc *docs = xmalloc(BATCH * sizeof *docs);
        pos = 0;
        for (;;) {
            size_t k = 0;
            arena.len = 0;
            while (k < BATCH && wd_record_next(data, len, fmt, &pos, &spans[k])) {
                if (fmt == WD_FMT_JSONL) {
                    if (wd_json_extract(json, data + spans[k].off, spans[k].len,
                                        len + 64 - spans[k].off, "text", NULL, &arena, &f[k], err,
                                        sizeof err))
                        die(err);
                } else {
                    f[k].text_off = spans[k].off; /* texts straight from data */
                    f[k].text_len = spans[k].len;
                }
                k++;
            }
            if (k == 0) break;
            for (size_t i = 0; i < k; i++) {
                docs[i].text = (fmt == WD_FMT_JSONL ? arena.data : data) + f[i].text_off;
                docs[i].len = f[i].text_len;
            }
            a = now();
            if (wd_index_add(ix, docs, k, NULL)) die("wd_index_add");
            t[S_LIBRARY] += now() - a;
        }
        wd_index_free(ix);
        free(docs);
    }

    *ndocs = n;
    g_cands = ncand;
    g_pairs = npairs;
    wd_uf_free(&uf);
    wd_lsh_free(&lsh);
    wd_exact_free(&ex);
    wd_minhash_free(&mh);
    wd_json_free(json);
    wd_buf_free(&arena);
    wd_buf_free(&norm);
    wd_buf_free(&nb);
    wd_u64s_free(&sh);
    wd_u64s_free(&sb);
    wd_u64s_free(&cands);
    free(spans); free(f); free(noff); free(soff); free(hash); free(keys);
    free(sigs); free(nsh); free(pairs); free(cl); free(out); free(data);
    return digest;
}

int main(int argc, char **argv)
{
    int runs = 3, warmup = 1;
    const char *csv = NULL, *path = NULL, *label = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--runs=", 7)) runs = atoi(argv[i] + 7);
        else if (!strcmp(argv[i], "--no-warmup")) warmup = 0;
        else if (!strncmp(argv[i], "--csv=", 6)) csv = argv[i] + 6;
        else if (!strncmp(argv[i], "--label=", 8)) label = argv[i] + 8;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench-stages [--runs=N] [--no-warmup] [--csv=FILE] [--label=NAME] CORPUS\n");
            return 2;
        } else path = argv[i];
    }
    if (!path || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: bench-stages [--runs=N (1-%d)] [--csv=FILE] [--label=NAME] CORPUS\n", MAX_RUNS);
        return 2;
    }
    if (!label) label = path;
    static double t[MAX_RUNS + 1][NSTAGES];
    uint64_t ndocs = 0, digest = 0;
    size_t nbytes = 0;
    for (int r = !warmup; r <= runs; r++) { /* run 0 is the warm-up */
        uint64_t d = run(path, t[r], &ndocs, &nbytes);
        if (r > !warmup && d != digest) die("the cluster output changed between runs");
        digest = d;
    }
    printf("bench-stages: %s: %zu bytes, %llu docs, median of %d runs%s, 1 thread, "
           "wiredup %s, isa %s\n",
           label, nbytes, (unsigned long long)ndocs, runs, warmup ? " after a warm-up" : ", no warm-up",
           wd_version(), wd_isa());
    printf("%-10s %10s %10s %12s %7s\n", "stage", "seconds", "MB/s", "docs/s", "share");
    double med[NSTAGES], total = 0;
    for (int s = 0; s < NSTAGES; s++) {
        double v[MAX_RUNS];
        for (int r = 0; r < runs; r++) v[r] = t[r + 1][s];
        qsort(v, (size_t)runs, sizeof *v, cmp_double);
        med[s] = runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;
        if (s != S_LIBRARY) total += med[s];
    }
    FILE *fc = NULL;
    if (csv) {
        int exists = access(csv, F_OK) == 0;
        fc = fopen(csv, "a");
        if (!fc) perror(csv);
        else if (!exists) fprintf(fc, "corpus,stage,seconds,mb_per_s,docs_per_s,share\n");
    }
    for (int s = 0; s < NSTAGES; s++) {
        double mbs = med[s] > 0 ? nbytes / 1e6 / med[s] : 0, dps = med[s] > 0 ? ndocs / med[s] : 0;
        double share = s == S_LIBRARY ? med[s] / total : med[s] / total;
        if (s == S_LIBRARY) printf("%-10s %10s %10s %12s %7s\n", "", "", "", "", "");
        printf("%-10s %10.3f %10.1f %12.0f %6.1f%%\n", stage_name[s], med[s], mbs, dps, 100 * share);
        if (fc) fprintf(fc, "%s,%s,%.4f,%.1f,%.0f,%.4f\n", label, stage_name[s], med[s], mbs, dps, share);
    }
    printf("%-10s %10.3f %10.1f %12.0f  (sum of stages read..write)\n", "total", total,
           nbytes / 1e6 / total, ndocs / total);
    printf("candidates %.2f per doc, verified pairs %.3f per doc; clusters output xxh3 %016llx\n",
           ndocs ? (double)g_cands / ndocs : 0.0, ndocs ? (double)g_pairs / ndocs : 0.0,
           (unsigned long long)digest);
    if (fc) fclose(fc);
    return 0;
}
