/*
 * test_lsh.c - LSH shape and S-curve (params.c) and the band buckets
 * (src/index/lsh.h).
 *
 *   - wd_lsh_probability against its closed form 1 - (1 - s^r)^b, its ends
 *     and its monotonicity; wd_lsh_shape against the test's own brute-force
 *     search with its own integration of the FP + FN area.
 *   - Recall: pairs with known Jaccard s, signed with wd_minhash_sign, go
 *     through a wd_lsh; the candidate rate at each s must match the S-curve
 *     within binomial noise.
 *   - Brute force vs index: ~2000 synthetic documents through query-then-
 *     insert; the candidate set must be exactly the pairs that agree on a
 *     whole band (checked over all pairs), and the misses above the
 *     threshold must be what the S-curve predicts.
 *   - Buckets of 1, 2, 5, 100 documents (inline and list forms).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wiredup.h"
#include "index/lsh.h"
#include "sketch/minhash.h"

#define H 128
#define SEED 0x5eedULL

/* ---- test data ---------------------------------------------------------- */

/* splitmix64, the test's own copy (data must not depend on the code under
 * test). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rng_range(uint64_t *s, unsigned lo, unsigned hi) /* [lo, hi] */
{
    return lo + (unsigned)(rng_next(s) % ((uint64_t)hi - lo + 1));
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static void shuffle_u64(uint64_t *v, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_next(s) % i;
        uint64_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/*
 * Fresh shingle hashes: MinHash reads the low 32 bits (minhash.h), so every
 * value gets distinct low 32 bits -- murmur3's fmix32 of a counter, a
 * bijection on 32 bits -- and random high bits. Sets built from fresh()
 * therefore have exactly the overlaps the test constructs.
 */
static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t fresh_counter;
static uint64_t fresh_rng = 0x0123456789abcdefULL;

static uint64_t fresh(void)
{
    return (rng_next(&fresh_rng) & 0xffffffff00000000ULL) | fmix32(fresh_counter++);
}

/* A pair with exact Jaccard inter/union: `inter` shared values and the rest
 * split evenly between the two sides. */
static void make_pair(unsigned uni, unsigned inter, uint64_t *a, uint64_t *b,
                      unsigned *na, unsigned *nb, uint64_t *rng)
{
    unsigned only = uni - inter, oa = only / 2, ob = only - oa;
    for (unsigned i = 0; i < inter; i++) a[i] = b[i] = fresh();
    for (unsigned i = 0; i < oa; i++) a[inter + i] = fresh();
    for (unsigned i = 0; i < ob; i++) b[inter + i] = fresh();
    *na = inter + oa;
    *nb = inter + ob;
    shuffle_u64(a, *na, rng);
    shuffle_u64(b, *nb, rng);
}

static int query_has(const wd_u64s *v, uint64_t doc)
{
    for (size_t i = 0; i < v->len; i++)
        if (v->data[i] == doc) return 1;
    return 0;
}

/* ---- S-curve and shape -------------------------------------------------- */

static void test_probability(void **state)
{
    (void)state;
    const unsigned shapes[][2] = { {1, 1}, {1, 8}, {8, 1}, {25, 5}, {42, 3}, {9, 13}, {1, 128} };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        unsigned b = shapes[k][0], r = shapes[k][1];
        assert_true(wd_lsh_probability(0.0, b, r) == 0.0);
        assert_true(wd_lsh_probability(1.0, b, r) == 1.0);
        double prev = 0.0;
        for (int i = 1; i <= 1000; i++) {
            double s = i / 1000.0;
            double p = wd_lsh_probability(s, b, r);
            assert_true(p >= 0.0 && p <= 1.0);
            if (p < prev) fail_msg("b=%u r=%u: P(%.3f)=%.17g < P(prev)=%.17g", b, r, s, p, prev);
            prev = p;
            double want = 1.0 - pow(1.0 - pow(s, r), b);
            assert_true(fabs(p - want) <= 1e-12);
        }
    }
    /* Special cases of the closed form. */
    assert_true(fabs(wd_lsh_probability(0.3, 1, 1) - 0.3) < 1e-15);
    assert_true(fabs(wd_lsh_probability(0.3, 1, 4) - 0.0081) < 1e-15);
    assert_true(fabs(wd_lsh_probability(0.5, 2, 1) - 0.75) < 1e-15);
    /* Strictly increasing inside (0, 1) for a normal shape. */
    assert_true(wd_lsh_probability(0.49, 25, 5) < wd_lsh_probability(0.51, 25, 5));
}

/* The weights wiredup.h gives the two areas in wd_lsh_shape's objective. */
#define W_FP 0.05
#define W_FN 0.95

/*
 * Weighted FP + FN area of every shape (b, r) with b * r <= n at threshold
 * t, by composite Simpson with GRID intervals on each side of t, written
 * independently of params.c. For speed, log(1 - s^r) is computed once per
 * (r, s) and P = 1 - exp(b log(1 - s^r)).
 */
#define GRID 1000

static double simpson_shape(const double *lg, double h, unsigned b, int miss, double *w)
{
    double sum = 0;
    for (int i = 0; i <= GRID; i++) {
        double p = 1.0 - exp(b * lg[i]);
        sum += (miss ? 1.0 - p : p) * w[i];
    }
    return sum * h / 3;
}

static double shape_error_table(double t, unsigned b, unsigned r, const double *lg_lo,
                                const double *lg_hi, double *w)
{
    (void)r;
    return W_FP * simpson_shape(lg_lo, t / GRID, b, 0, w) +
           W_FN * simpson_shape(lg_hi, (1 - t) / GRID, b, 1, w);
}

/* log(1 - s^r) on the grid of [lo, hi]; -inf at s = 1 (P = 1 there). */
static void log_table(double lo, double hi, unsigned r, double *lg)
{
    for (int i = 0; i <= GRID; i++) {
        double s = lo + (hi - lo) * i / GRID;
        lg[i] = s >= 1 ? -INFINITY : log1p(-pow(s, r));
    }
}

static void check_shape(double t, unsigned n)
{
    static double lg_lo[GRID + 1], lg_hi[GRID + 1], w[GRID + 1];
    for (int i = 0; i <= GRID; i++) w[i] = i == 0 || i == GRID ? 1 : i % 2 ? 4 : 2;
    unsigned b = 0, r = 0;
    assert_int_equal(wd_lsh_shape(t, n, &b, &r), WD_OK);
    assert_true(b >= 1 && r >= 1);
    assert_true((unsigned long)b * r <= n);
    double got = INFINITY, best = INFINITY;
    unsigned bb = 0, br = 0;
    for (unsigned rr = 1; rr <= n; rr++) {
        log_table(0, t, rr, lg_lo);
        log_table(t, 1, rr, lg_hi);
        for (unsigned bd = 1; (unsigned long)bd * rr <= n; bd++) {
            double e = shape_error_table(t, bd, rr, lg_lo, lg_hi, w);
            if (e < best) { best = e; bb = bd; br = rr; }
            if (bd == b && rr == r) got = e;
        }
    }
    if (!(got <= best + 1e-6))
        fail_msg("t=%.2f n=%u: shape %ux%u has error %.9f, brute force %ux%u has %.9f",
                 t, n, b, r, got, bb, br, best);
}

static void test_shape_is_optimal(void **state)
{
    (void)state;
    const double ts[] = { 0.1, 0.25, 0.5, 0.75, 0.9 };
    const unsigned ns[] = { 1, 16, 64, 128 };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++) check_shape(ts[i], ns[j]);
    check_shape(0.5, 256);
    check_shape(1.0, 64);
}

/*
 * Where the S-curve crosses the threshold. Think of P as a distribution
 * function F(s - x) shifted by x. The objective is
 *     w_fp * int_0^t F(s - x) ds + w_fn * int_t^1 (1 - F(s - x)) ds,
 * and its derivative in x is about -w_fp F(t - x) + w_fn (1 - F(t - x))
 * (the curve is ~0 at s = 0 and ~1 at s = 1), zero where
 *     P(t) = F(t - x) = w_fn / (w_fp + w_fn) = 0.95.
 * (With equal weights that is the familiar 1/2.) The (b, r) grid is coarse,
 * so the optimum only lands near 0.95: the check is a band around it, for
 * enough hashes that the grid is not too coarse.
 */
static void test_shape_crosses_threshold(void **state)
{
    (void)state;
    unsigned b, r;
    assert_int_equal(wd_lsh_shape(0.5, 128, &b, &r), WD_OK);
    assert_true(b * r <= 128);
    double p = wd_lsh_probability(0.5, b, r);
    if (!(p > 0.85 && p < 0.995)) fail_msg("t=0.5: %ux%u gives P(t)=%.3f", b, r, p);
    /* Far below / above the threshold the curve is near 0 / 1. */
    assert_true(wd_lsh_probability(0.1, b, r) < 0.05);
    assert_true(wd_lsh_probability(0.8, b, r) > 0.99);

    const unsigned ns[] = { 64, 128, 256 };
    for (int i = 2; i <= 8; i++)
        for (int j = 0; j < 3; j++) {
            double t = i / 10.0;
            assert_int_equal(wd_lsh_shape(t, ns[j], &b, &r), WD_OK);
            p = wd_lsh_probability(t, b, r);
            if (!(p > 0.85 && p < 0.995))
                fail_msg("t=%.1f n=%u: %ux%u gives P(t)=%.3f", t, ns[j], b, r, p);
        }
    /* A higher threshold never asks for a flatter curve: rows grow. */
    unsigned prev_r = 0;
    for (int i = 1; i <= 9; i++) {
        assert_int_equal(wd_lsh_shape(i / 10.0, 128, &b, &r), WD_OK);
        assert_true(r >= prev_r);
        prev_r = r;
    }
}

static void test_shape_invalid(void **state)
{
    (void)state;
    unsigned b = 77, r = 77;
    assert_int_equal(wd_lsh_shape(0.0, 128, &b, &r), WD_E_INVALID);
    assert_int_equal(wd_lsh_shape(-0.5, 128, &b, &r), WD_E_INVALID);
    assert_int_equal(wd_lsh_shape(1.5, 128, &b, &r), WD_E_INVALID);
    assert_int_equal(wd_lsh_shape(NAN, 128, &b, &r), WD_E_INVALID);
    assert_int_equal(wd_lsh_shape(0.5, 0, &b, &r), WD_E_INVALID);
    assert_int_equal(wd_lsh_shape(0.5, WD_MAX_HASHES + 1, &b, &r), WD_E_INVALID);
    assert_int_equal(wd_lsh_shape(0.5, 128, NULL, &r), WD_E_INVALID);
    assert_int_equal(wd_lsh_shape(0.5, 128, &b, NULL), WD_E_INVALID);
}

/* ---- recall matches the S-curve ----------------------------------------- */

/*
 * For each s in 0.1 .. 0.9: M pairs with exact Jaccard s (union 200). Side
 * A of every pair goes into one wd_lsh as document k; side B queries it.
 * Pair k is a candidate when document k comes back. The count is
 * Binomial(M, P(s)), so it must lie within 4 sd of M P(s); one extra count
 * of slack covers the discreteness where M P(s) is tiny.
 */
static void run_recall(unsigned bands, unsigned rows, int M)
{
    uint64_t rng = 0xC0FFEE ^ ((uint64_t)bands << 32 | rows);
    wd_minhash m;
    assert_int_equal(wd_minhash_init(&m, H, SEED), WD_OK);
    wd_lsh l;
    wd_lsh_init(&l, bands, rows, 77);
    uint64_t a[200], b[200];
    uint32_t *sa = malloc((size_t)M * 9 * H * sizeof *sa);
    uint64_t *keys = malloc(bands * sizeof *keys);
    assert_non_null(sa);
    assert_non_null(keys);
    wd_u64s out = {0};
    int hits[9] = {0};

    /* Insert all A sides first so every query also sees the 9M-1 other
     * documents, as in a real index. */
    uint32_t *sbs = malloc((size_t)M * 9 * H * sizeof *sbs);
    assert_non_null(sbs);
    for (int lv = 0; lv < 9; lv++) {
        unsigned inter = 20 * (lv + 1); /* s = inter / 200 */
        for (int k = 0; k < M; k++) {
            unsigned na, nb;
            size_t doc = (size_t)lv * M + k;
            make_pair(200, inter, a, b, &na, &nb, &rng);
            wd_minhash_sign(&m, a, na, sa + doc * H);
            wd_minhash_sign(&m, b, nb, sbs + doc * H);
            wd_lsh_keys(&l, sa + doc * H, keys);
            assert_int_equal(wd_lsh_insert(&l, keys, doc), WD_OK);
        }
    }
    for (int lv = 0; lv < 9; lv++)
        for (int k = 0; k < M; k++) {
            size_t doc = (size_t)lv * M + k;
            wd_lsh_keys(&l, sbs + doc * H, keys);
            out.len = 0;
            assert_int_equal(wd_lsh_query(&l, keys, &out), WD_OK);
            hits[lv] += query_has(&out, doc);
        }
    for (int lv = 0; lv < 9; lv++) {
        double s = (lv + 1) / 10.0, p = wd_lsh_probability(s, bands, rows);
        double mean = M * p, sd = sqrt(M * p * (1 - p));
        if (fabs(hits[lv] - mean) > 4 * sd + 1)
            fail_msg("%ux%u s=%.1f: %d of %d candidates, S-curve expects %.1f (sd %.1f)",
                     bands, rows, s, hits[lv], M, mean, sd);
    }
    print_message("    %ux%u candidates at s=0.1..0.9: %d %d %d %d %d %d %d %d %d of %d\n",
                  bands, rows, hits[0], hits[1], hits[2], hits[3], hits[4], hits[5],
                  hits[6], hits[7], hits[8], M);
    wd_u64s_free(&out);
    free(sa);
    free(sbs);
    free(keys);
    wd_lsh_free(&l);
    wd_minhash_free(&m);
}

static void test_recall_matches_s_curve(void **state)
{
    (void)state;
    unsigned b, r;
    assert_int_equal(wd_lsh_shape(0.5, H, &b, &r), WD_OK);
    run_recall(b, r, 400);              /* the shape the index would use */
    run_recall(16, 4, 300);             /* uses only 64 of the 128 values */
    run_recall(4, 2, 300);              /* flat curve */
}

/* ---- brute force vs index ----------------------------------------------- */

typedef struct doc {
    uint64_t *v;      /* shingle hashes, sorted by value */
    unsigned n;
    unsigned family;  /* documents of different families share nothing */
} doc;

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static double exact_jaccard(const doc *x, const doc *y)
{
    if (x->family != y->family) return 0.0; /* disjoint by construction */
    unsigned i = 0, j = 0, k = 0;
    while (i < x->n && j < y->n) {
        if (x->v[i] < y->v[j]) i++;
        else if (x->v[i] > y->v[j]) j++;
        else { k++; i++; j++; }
    }
    return (double)k / (x->n + y->n - k);
}

/* A mutated copy of src with Jaccard ~t: drop k values, add k fresh ones. */
static void mutate(const doc *src, doc *dst, double t, uint64_t *rng)
{
    unsigned n = src->n;
    unsigned k = (unsigned)lround(n * (1 - t) / (1 + t));
    if (k > n - 1) k = n - 1;
    dst->n = n;
    dst->family = src->family;
    dst->v = malloc(n * sizeof *dst->v);
    assert_non_null(dst->v);
    memcpy(dst->v, src->v, n * sizeof *dst->v);
    shuffle_u64(dst->v, n, rng);
    for (unsigned i = 0; i < k; i++) dst->v[i] = fresh();
    qsort(dst->v, n, sizeof *dst->v, cmp_u64);
}

static void test_brute_force_vs_index(void **state)
{
    (void)state;
    enum { FAMILIES = 250, COPIES = 7, N = FAMILIES * (COPIES + 1) };
    uint64_t rng = 0xB207E;
    doc *docs = calloc(N, sizeof *docs);
    assert_non_null(docs);
    size_t nd = 0;
    for (unsigned f = 0; f < FAMILIES; f++) {
        doc *base = &docs[nd++];
        base->n = rng_range(&rng, 60, 300);
        base->family = f;
        base->v = malloc(base->n * sizeof *base->v);
        assert_non_null(base->v);
        for (unsigned i = 0; i < base->n; i++) base->v[i] = fresh();
        qsort(base->v, base->n, sizeof *base->v, cmp_u64);
        for (unsigned c = 0; c < COPIES; c++) {
            /* Copies of the base or of an earlier copy, at Jaccard levels
             * from 0.2 to 1 (a sixth are exact copies). */
            const doc *src = &docs[nd - 1 - rng_range(&rng, 0, c)];
            double t = rng_next(&rng) % 6 == 0 ? 1.0 : 0.2 + 0.8 * rng_unit(&rng);
            mutate(src, &docs[nd++], t, &rng);
        }
    }
    assert_int_equal(nd, N);
    /* Shuffle the arrival order. */
    uint64_t *order = malloc(N * sizeof *order);
    assert_non_null(order);
    for (size_t i = 0; i < N; i++) order[i] = i;
    shuffle_u64(order, N, &rng);

    unsigned B, R;
    const double T = 0.5;
    assert_int_equal(wd_lsh_shape(T, H, &B, &R), WD_OK);
    wd_minhash m;
    assert_int_equal(wd_minhash_init(&m, H, SEED), WD_OK);
    wd_lsh l;
    wd_lsh_init(&l, B, R, 1234);
    uint32_t *sig = malloc((size_t)N * H * sizeof *sig);
    uint64_t *keys = malloc(B * sizeof *keys);
    uint8_t *cand = calloc((size_t)N * N, 1); /* cand[later * N + earlier] */
    assert_non_null(sig);
    assert_non_null(keys);
    assert_non_null(cand);
    wd_u64s out = {0};
    for (size_t i = 0; i < N; i++) {
        const doc *d = &docs[order[i]];
        wd_minhash_sign(&m, d->v, d->n, sig + i * H);
        wd_lsh_keys(&l, sig + i * H, keys);
        out.len = 0;
        assert_int_equal(wd_lsh_query(&l, keys, &out), WD_OK);
        for (size_t k = 0; k < out.len; k++) {
            assert_true(out.data[k] < i);     /* only earlier documents */
            cand[i * N + out.data[k]] = 1;
        }
        assert_int_equal(wd_lsh_insert(&l, keys, i), WD_OK);
    }

    size_t above = 0, missed = 0, below_cand = 0, cands = 0;
    double exp_miss = 0, var_miss = 0, exp_fp = 0, var_fp = 0;
    for (size_t i = 1; i < N; i++)
        for (size_t j = 0; j < i; j++) {
            /* Brute force from the signatures: a pair is a candidate exactly
             * when some band agrees on all its rows. */
            const uint32_t *x = sig + i * H, *y = sig + j * H;
            int band = 0;
            for (unsigned b = 0; b < B && !band; b++) {
                unsigned r = 0;
                while (r < R && x[b * R + r] == y[b * R + r]) r++;
                band = r == R;
            }
            int c = cand[i * N + j];
            if (c != band)
                fail_msg("documents %zu and %zu: LSH candidate=%d, a band agrees=%d", j, i, c, band);
            cands += c;
            double J = exact_jaccard(&docs[order[i]], &docs[order[j]]);
            double p = wd_lsh_probability(J, B, R);
            if (J >= T) {
                above++;
                missed += !c;
                exp_miss += 1 - p;
                var_miss += p * (1 - p);
            } else {
                below_cand += c;
                exp_fp += p;
                var_fp += p * (1 - p);
            }
        }
    print_message("    %zu pairs >= %.2f, %zu missed (S-curve %.1f +- %.1f); "
                  "%zu candidates below (S-curve %.1f +- %.1f)\n",
                  above, T, missed, exp_miss, sqrt(var_miss), below_cand, exp_fp, sqrt(var_fp));
    assert_true(above >= 1000);                /* the corpus has real work */
    assert_true(cands > above / 2);
    if (missed > exp_miss + 4 * sqrt(var_miss) + 1)
        fail_msg("%zu of %zu pairs above %.2f missed; S-curve expects %.1f", missed, above, T, exp_miss);
    if (below_cand > exp_fp + 4 * sqrt(var_fp) + 1)
        fail_msg("%zu candidates below %.2f; S-curve expects %.1f", below_cand, T, exp_fp);

    wd_u64s_free(&out);
    for (size_t i = 0; i < N; i++) free(docs[i].v);
    free(docs);
    free(order);
    free(sig);
    free(keys);
    free(cand);
    wd_lsh_free(&l);
    wd_minhash_free(&m);
}

/* ---- buckets ------------------------------------------------------------ */

/*
 * Key K shared by n documents (band 0 for some, band 2 for others: all bands
 * share one table), each with its own keys in the other bands. A query with
 * K returns each of the n documents exactly once; a query with a document's
 * own key returns only it. n = 1 is the inline form, 2 the first list, 5 a
 * grown list, 100 several reallocations.
 */
static void check_bucket(unsigned n)
{
    enum { BANDS = 4 };
    const uint64_t K = 0x4b4b4b4b4b4b4b4bULL;
    wd_lsh l;
    wd_lsh_init(&l, BANDS, 1, 0);
    uint64_t keys[BANDS];
    uint64_t *ids = malloc(n * sizeof *ids);
    assert_non_null(ids);
    for (unsigned i = 0; i < n; i++) {
        /* Document numbers 0, large ones and a few in between. */
        ids[i] = i == 0 ? 0 : i == 1 ? (1ULL << 40) + 3 : i == 2 ? (1ULL << 62) - 1 : 10 * i + 7;
        for (unsigned b = 0; b < BANDS; b++) keys[b] = 0x1000000ULL * (i + 1) + b;
        keys[i % 2 ? 2 : 0] = K;
        assert_int_equal(wd_lsh_insert(&l, keys, ids[i]), WD_OK);
    }

    /* Query K among absent keys; out already holds values, which stay. */
    wd_u64s out = {0};
    assert_int_equal(wd_u64s_reserve(&out, 2), WD_OK);
    out.data[0] = 111;
    out.data[1] = 222;
    out.len = 2;
    uint64_t q[BANDS] = { 1, K, 2, 3 };
    assert_int_equal(wd_lsh_query(&l, q, &out), WD_OK);
    assert_int_equal(out.len, 2 + n);
    assert_int_equal(out.data[0], 111);
    assert_int_equal(out.data[1], 222);
    for (unsigned i = 0; i < n; i++) {
        unsigned seen = 0;
        for (size_t k = 2; k < out.len; k++) seen += out.data[k] == ids[i];
        if (seen != 1) fail_msg("bucket of %u: document %llu returned %u times", n,
                                (unsigned long long)ids[i], seen);
    }
    /* A document's own key finds only that document. */
    for (unsigned i = 0; i < n; i += n > 10 ? 13 : 1) {
        uint64_t own[BANDS] = { 5, 6, 7, 0x1000000ULL * (i + 1) + (i % 2 ? 1 : 3) };
        out.len = 0;
        assert_int_equal(wd_lsh_query(&l, own, &out), WD_OK);
        assert_int_equal(out.len, 1);
        assert_int_equal(out.data[0], ids[i]);
    }
    /* Keys nobody has. */
    uint64_t none[BANDS] = { 9, 10, 11, 12 };
    out.len = 0;
    assert_int_equal(wd_lsh_query(&l, none, &out), WD_OK);
    assert_int_equal(out.len, 0);
    wd_u64s_free(&out);
    free(ids);
    wd_lsh_free(&l);
}

static void test_buckets(void **state)
{
    (void)state;
    check_bucket(1);
    check_bucket(2);
    check_bucket(5);
    check_bucket(100);

    /* One document with the same key in two bands, then others: the first
     * document is found (repeats allowed) and nothing else is invented. */
    wd_lsh l;
    wd_lsh_init(&l, 3, 1, 0);
    uint64_t k1[3] = { 50, 50, 51 }, k2[3] = { 50, 52, 53 }, k3[3] = { 60, 50, 50 };
    assert_int_equal(wd_lsh_insert(&l, k1, 7), WD_OK);
    assert_int_equal(wd_lsh_insert(&l, k2, 8), WD_OK);
    assert_int_equal(wd_lsh_insert(&l, k3, 9), WD_OK);
    wd_u64s out = {0};
    uint64_t q[3] = { 50, 0, 0 };
    assert_int_equal(wd_lsh_query(&l, q, &out), WD_OK);
    assert_true(query_has(&out, 7));
    assert_true(query_has(&out, 8));
    assert_true(query_has(&out, 9));
    for (size_t i = 0; i < out.len; i++) assert_in_range(out.data[i], 7, 9);
    wd_u64s_free(&out);
    wd_lsh_free(&l);

    /* An index that never saw a document frees cleanly. */
    wd_lsh_init(&l, 8, 16, 0);
    wd_lsh_free(&l);
}

/* Band keys: a function of the band's values and the band number. */
static void test_keys(void **state)
{
    (void)state;
    enum { B = 8, R = 4 };
    uint32_t sig[B * R], sig2[B * R];
    uint64_t rng = 17;
    for (int i = 0; i < B * R; i++) sig[i] = (uint32_t)rng_next(&rng);
    wd_lsh l, l2;
    wd_lsh_init(&l, B, R, 1);
    wd_lsh_init(&l2, B, R, 2);
    uint64_t k[B], kk[B], k2[B];
    wd_lsh_keys(&l, sig, k);
    wd_lsh_keys(&l, sig, kk);
    assert_memory_equal(k, kk, sizeof k);
    /* Change one value of band 3: only key 3 changes. */
    memcpy(sig2, sig, sizeof sig);
    sig2[3 * R + 2] ^= 1;
    wd_lsh_keys(&l, sig2, kk);
    for (int b = 0; b < B; b++) {
        if (b == 3) assert_true(k[b] != kk[b]);
        else assert_true(k[b] == kk[b]);
    }
    /* Identical values in two bands still give different keys. */
    for (int i = 0; i < B * R; i++) sig2[i] = 42;
    wd_lsh_keys(&l, sig2, kk);
    for (int x = 0; x < B; x++)
        for (int y = x + 1; y < B; y++) assert_true(kk[x] != kk[y]);
    /* The seed changes every key. */
    wd_lsh_keys(&l2, sig, k2);
    for (int b = 0; b < B; b++) assert_true(k[b] != k2[b]);
    wd_lsh_free(&l);
    wd_lsh_free(&l2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probability),
        cmocka_unit_test(test_shape_is_optimal),
        cmocka_unit_test(test_shape_crosses_threshold),
        cmocka_unit_test(test_shape_invalid),
        cmocka_unit_test(test_recall_matches_s_curve),
        cmocka_unit_test(test_brute_force_vs_index),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
