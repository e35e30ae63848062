/*
 * store_bench.c - querying new documents against a persistent index: straight
 * from LMDB (wd_store readers) versus loading the index into memory first
 * (Judy LSH + signature array, what wd_index holds), and what writing costs.
 *
 *   archived: A documents with random 128-value signatures (60 bands x 2
 *             rows, the default shape), written as one batch
 *   queries:  Q new documents: 30 % near copies of an archived one (40 % of
 *             the signature redrawn), 5 % exact copies, the rest new
 *   per query: exact lookup, band candidates, signature of each distinct
 *             candidate, agreement count (the verification wd_index does)
 *
 * Every method must find the same number of accepted pairs (printed as a
 * check). Each phase prints wall time, CPU time (all threads; what to
 * compare on a busy machine) and major page faults (0: the index was in
 * the page cache). The optional fourth argument picks phases: any of
 * l (LMDB queries), m (load into memory, query there), w (write batches);
 * default "lm".
 *
 * Build and run (from the repository root):
 *   make build/libwiredup.a
 *   cc -O2 -fopenmp -Iinclude -Isrc tests/perf/store_bench.c build/libwiredup.a \
 *      -lxxhash -lJudy -lutf8proc -llmdb -lm -o build/store_bench
 *   build/store_bench /tmp/wd-bench-index 1000000 100000 lmw
 */
#include <Judy.h>
#include <omp.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wiredup.h"
#include "index/exact.h"
#include "index/lsh.h"
#include "index/store.h"
#include "sketch/minhash.h"

#define H 128
#define BANDS 60
#define ROWS 2
#define ACCEPT 32 /* agreeing values for a pair to count (Jaccard 0.25) */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CPU seconds of the process (all threads) and major page faults: unlike
 * wall time, hardly changed by other jobs on the machine. */
static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static long majflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_majflt;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void archived_doc(uint64_t i, uint32_t *sig, uint8_t hash[16])
{
    uint64_t s = i * 0x2545F4914F6CDD1DULL + 11;
    for (unsigned k = 0; k < H; k++) sig[k] = (uint32_t)rng_next(&s);
    uint64_t h0 = rng_next(&s), h1 = rng_next(&s);
    memcpy(hash, &h0, 8);
    memcpy(hash + 8, &h1, 8);
}

/* What loading into memory fills. */
struct load {
    uint32_t *sigs;
    wd_lsh *l;
    wd_exact *e;
};

static int load_fn(void *ctx, const wd_store_doc *d)
{
    struct load *ld = ctx;
    uint64_t keys[BANDS], first;
    memcpy(ld->sigs + d->doc * H, d->sig, H * 4);
    if (!d->shingles) return 0;
    wd_lsh_keys(ld->l, d->sig, keys);
    if (wd_exact_add(ld->e, d->hash, d->doc, &first) < 0) return 1;
    return wd_lsh_insert(ld->l, keys, d->doc);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Verifies the distinct candidates c[0..n) of query q with get_sig. */
typedef struct qset {
    uint64_t n;
    uint32_t *sig;     /* n x H */
    uint8_t *hash;     /* n x 16 */
    uint64_t *keys;    /* n x BANDS */
} qset;

static uint64_t verify_mem(const uint32_t *sigs, const uint32_t *sq, wd_u64s *c)
{
    uint64_t acc = 0, prev = UINT64_MAX;
    if (c->len > 1) qsort(c->data, c->len, sizeof *c->data, cmp_u64);
    for (size_t k = 0; k < c->len; k++) {
        if (c->data[k] == prev) continue;
        prev = c->data[k];
        acc += wd_sig_agree(sq, sigs + prev * H, H) >= ACCEPT;
    }
    return acc;
}

static uint64_t verify_store(wd_store_reader *r, const uint32_t *sq, uint64_t *c, size_t n,
                             uint32_t *buf)
{
    uint64_t acc = 0, prev = UINT64_MAX;
    if (n > 1) qsort(c, n, sizeof *c, cmp_u64);
    for (size_t k = 0; k < n; k++) {
        if (c[k] == prev) continue;
        prev = c[k];
        wd_store_doc d;
        if (wd_store_get(r, prev, &d, buf)) abort();
        acc += wd_sig_agree(sq, buf, H) >= ACCEPT;
    }
    return acc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: store_bench DIR [archived] [queries]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *dir = argv[1];
    const uint64_t A = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    const uint64_t Q = argc > 3 ? strtoull(argv[3], NULL, 10) : 100000;
    const int T = omp_get_num_procs();
    const char *what = argc > 4 ? argv[4] : "lm";
    wd_store_params p = { WD_SHINGLE_WORD, 5, H, WD_SKETCH_MINHASH, BANDS, ROWS, 0x5eed,
                          0x5eed ^ 0x6c7368ULL, 0 };
    char err[320];
    wd_store *s;
    if (wd_store_open(dir, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err)) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    wd_lsh lsh;
    wd_lsh_init(&lsh, BANDS, ROWS, p.band_seed);
    uint32_t sig[H];
    uint8_t hash[16];
    char id[32];

    /* ---- build ---- */
    if (wd_store_count(s) < A) { /* an index from an earlier run is reused */
        if (wd_store_count(s) != 0) {
            fprintf(stderr, "%s holds %llu documents; remove it first\n", dir,
                    (unsigned long long)wd_store_count(s));
            return 1;
        }
        double t0 = now();
        if (wd_store_begin(s)) return 1;
        for (uint64_t i = 0; i < A; i++) {
            archived_doc(i, sig, hash);
            wd_store_doc d = { 0 };
            memcpy(d.hash, hash, 16);
            d.shingles = 100;
            d.sig = sig;
            d.id = id;
            d.id_len = (size_t)snprintf(id, sizeof id, "a%llu", (unsigned long long)i);
            if (wd_store_add(s, &d, NULL, NULL)) return 1;
        }
        double t1 = now();
        if (wd_store_commit(s)) {
            fprintf(stderr, "commit: %s\n", wd_store_errmsg(s));
            return 1;
        }
        double t2 = now();
        printf("build: %llu documents in one batch: add %.2f s, commit %.2f s (%.2f us/doc)\n",
               (unsigned long long)A, t1 - t0, t2 - t1, (t2 - t0) / A * 1e6);
    }
    wd_store_stats st;
    wd_store_stats_get(s, &st);
    printf("index: %llu docs, %llu band entries, %.0f MB used, %.0f MB on disk\n",
           (unsigned long long)st.docs, (unsigned long long)st.band_entries, st.used_bytes / 1e6,
           st.disk_bytes / 1e6);

    /* ---- queries ---- */
    qset q = { Q, malloc(Q * H * 4), malloc(Q * 16), malloc(Q * BANDS * 8) };
    uint64_t rs = 42;
    for (uint64_t i = 0; i < Q; i++) {
        uint32_t *sq = q.sig + i * H;
        unsigned kind = (unsigned)(rng_next(&rs) % 100);
        if (kind < 35) {
            archived_doc(rng_next(&rs) % A, sq, q.hash + i * 16);
            if (kind >= 5) {             /* near copy: 40 % of the values redrawn */
                for (unsigned k = 0; k < H; k++)
                    if (rng_next(&rs) % 100 < 40) sq[k] = (uint32_t)rng_next(&rs);
                uint64_t h = rng_next(&rs);
                memcpy(q.hash + i * 16, &h, 8);
            }
        } else {
            for (unsigned k = 0; k < H; k++) sq[k] = (uint32_t)rng_next(&rs);
            uint64_t h0 = rng_next(&rs), h1 = rng_next(&rs);
            memcpy(q.hash + i * 16, &h0, 8);
            memcpy(q.hash + i * 16 + 8, &h1, 8);
        }
        wd_lsh_keys(&lsh, sq, q.keys + i * BANDS);
    }

    /* (1) straight from LMDB, one document at a time, 1..T threads */
    for (int t = 1; strchr(what, 'l') && t <= T; t *= 2) {
        wd_store_reader **rd = malloc(t * sizeof *rd);
        for (int k = 0; k < t; k++)
            if (wd_store_reader_open(s, &rd[k])) return 1;
        uint64_t acc = 0, exact = 0;
        double t0 = now(), c0 = cpu();
        long f0 = majflt();
        #pragma omp parallel num_threads(t) reduction(+ : acc, exact)
        {
            wd_store_reader *r = rd[omp_get_thread_num()];
            wd_u64s c = { 0 };
            uint32_t buf[H];
            #pragma omp for schedule(dynamic, 256)
            for (uint64_t i = 0; i < Q; i++) {
                uint64_t first;
                if (wd_store_exact(r, q.hash + i * 16, &first) == 1) {
                    exact++;
                    continue;
                }
                c.len = 0;
                if (wd_store_candidates(r, q.keys + i * BANDS, BANDS, &c)) abort();
                acc += verify_store(r, q.sig + i * H, c.data, c.len, buf);
            }
            wd_u64s_free(&c);
        }
        double dt = now() - t0, dc = cpu() - c0;
        printf("lmdb per-doc   %d thread%s: wall %.2f s, cpu %.2f s = %.1f us/query, %ld major faults "
               "(exact %llu, accepted %llu)\n", t, t > 1 ? "s" : "", dt, dc, dc / Q * 1e6,
               majflt() - f0, (unsigned long long)exact, (unsigned long long)acc);
        for (int k = 0; k < t; k++) wd_store_reader_close(rd[k]);
        free(rd);
    }

    /* (2) straight from LMDB, sorted lookups per chunk of 4096 queries */
    for (int t = 1; strchr(what, 'l') && t <= T; t *= 2) {
        wd_store_reader **rd = malloc(t * sizeof *rd);
        for (int k = 0; k < t; k++)
            if (wd_store_reader_open(s, &rd[k])) return 1;
        uint64_t acc = 0, exact = 0;
        const uint64_t CH = 4096;
        double t0 = now(), cc0 = cpu();
        long f0 = majflt();
        #pragma omp parallel num_threads(t) reduction(+ : acc, exact)
        {
            wd_store_reader *r = rd[omp_get_thread_num()];
            wd_u64s off = { 0 }, docs = { 0 };
            uint32_t buf[H];
            #pragma omp for schedule(dynamic, 1)
            for (uint64_t c0 = 0; c0 < Q; c0 += CH) {
                uint64_t n = Q - c0 < CH ? Q - c0 : CH;
                if (wd_store_candidates_batch(r, q.keys + c0 * BANDS, n, BANDS, &off, &docs)) abort();
                for (uint64_t i = 0; i < n; i++) {
                    uint64_t first;
                    if (wd_store_exact(r, q.hash + (c0 + i) * 16, &first) == 1) {
                        exact++;
                        continue;
                    }
                    acc += verify_store(r, q.sig + (c0 + i) * H, docs.data + off.data[i],
                                        off.data[i + 1] - off.data[i], buf);
                }
            }
            wd_u64s_free(&off);
            wd_u64s_free(&docs);
        }
        double dt = now() - t0, dc = cpu() - cc0;
        printf("lmdb sorted    %d thread%s: wall %.2f s, cpu %.2f s = %.1f us/query, %ld major faults "
               "(exact %llu, accepted %llu)\n", t, t > 1 ? "s" : "", dt, dc, dc / Q * 1e6,
               majflt() - f0, (unsigned long long)exact, (unsigned long long)acc);
        for (int k = 0; k < t; k++) wd_store_reader_close(rd[k]);
        free(rd);
    }

    /* (3) load everything into memory, then query there */
    if (strchr(what, 'm')) {
        double t0 = now(), c0 = cpu();
        const uint64_t N = wd_store_count(s); /* A, or more from earlier write runs */
        uint32_t *sigs = malloc(N * H * 4);
        wd_lsh mem;
        wd_exact ex;
        wd_lsh_init(&mem, BANDS, ROWS, p.band_seed);
        wd_exact_init(&ex);
        wd_store_reader *r;
        if (!sigs || wd_store_reader_open(s, &r)) return 1;
        struct load ld = { sigs, &mem, &ex };
        if (wd_store_foreach(r, 0, load_fn, &ld)) return 1;
        wd_store_reader_close(r);
        double t1 = now(), c1 = cpu();
        uint64_t acc = 0, exact = 0;
        wd_u64s c = { 0 };
        for (uint64_t i = 0; i < Q; i++) {
            PWord_t pv;
            JHSG(pv, ex.judy, q.hash + i * 16, 16);
            if (pv) {
                exact++;
                continue;
            }
            c.len = 0;
            if (wd_lsh_query(&mem, q.keys + i * BANDS, &c)) return 1;
            acc += verify_mem(sigs, q.sig + i * H, &c);
        }
        double t2 = now(), c2 = cpu();
        printf("load to memory: wall %.2f s, cpu %.2f s = %.1f us/archived doc\n", t1 - t0, c1 - c0,
               (c1 - c0) / N * 1e6);
        printf("memory query   1 thread : wall %.2f s, cpu %.2f s = %.1f us/query (exact %llu, "
               "accepted %llu)\n", t2 - t1, c2 - c1, (c2 - c1) / Q * 1e6, (unsigned long long)exact,
               (unsigned long long)acc);
        printf("load + query (memory): cpu %.2f s\n", c2 - c0);
        wd_u64s_free(&c);
        wd_lsh_free(&mem);
        wd_exact_free(&ex);
        free(sigs);
    }

    /* (4) what writing costs on this index: batches of new documents */
    if (strchr(what, 'w')) {
        unsigned long sizes[] = { 4096, 65536 };
        uint64_t next = wd_store_count(s);
        for (int k = 0; k < 2; k++) {
            double t0 = now(), c0 = cpu();
            if (wd_store_begin(s)) return 1;
            for (unsigned long i = 0; i < sizes[k]; i++, next++) {
                archived_doc(next, sig, hash);
                wd_store_doc d = { 0 };
                memcpy(d.hash, hash, 16);
                d.shingles = 100;
                d.sig = sig;
                if (wd_store_add(s, &d, NULL, NULL)) return 1;
            }
            if (wd_store_commit(s)) return 1;
            double dt = now() - t0, dc = cpu() - c0;
            printf("write batch of %lu into %llu: wall %.2f s (%.1f us/doc), cpu %.2f s\n", sizes[k],
                   (unsigned long long)(next - sizes[k]), dt, dt / sizes[k] * 1e6, dc);
        }
    }
    wd_store_close(s);
    return 0;
}

