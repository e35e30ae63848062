/*
 * test_sketch.c - MinHash signatures (src/sketch/minhash.h).
 *
 * The central check is statistical: for a pair of sets with Jaccard J, each
 * signature position agrees with probability J, so agree/n is a binomial
 * proportion with standard deviation sqrt(J(1-J)/n). Over many random pairs
 * whose Jaccard spans [0, 1], every estimate must stay within 4 standard
 * deviations and the mean signed error must be ~0 (no bias). The rest are
 * exact properties that hold for any min-wise hash family: empty set,
 * determinism, order and multiplicity independence, union = elementwise min.
 *
 * Test data comes from the test's own PRNG (not the library's), with a fixed
 * seed, so a failure is reproducible.
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
#include "sketch/minhash.h"

#define H 128

/* ---- test PRNG: splitmix64, written out here so the data does not depend
 * on the code under test -------------------------------------------------- */
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

static double rng_unit(uint64_t *s) /* [0, 1) */
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static void shuffle(uint64_t *v, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_next(s) % i;
        uint64_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/*
 * A source of random shingle hashes that never repeats a value's low 32
 * bits (the part MinHash reads, per minhash.h), so the sets the test builds
 * have exactly the sizes and overlaps it asks for. Open addressing on the
 * low 32 bits.
 */
typedef struct pool {
    uint32_t *seen;   /* low 32 bits handed out */
    uint8_t *used;    /* slot in use */
    size_t cap;       /* power of two */
    uint64_t rng;
} pool;

static void pool_init(pool *p, size_t cap, uint64_t seed)
{
    p->cap = cap;
    p->seen = calloc(cap, sizeof *p->seen);
    p->used = calloc(cap, 1);
    assert_non_null(p->seen);
    assert_non_null(p->used);
    p->rng = seed;
}

static void pool_reset(pool *p)
{
    memset(p->used, 0, p->cap);
}

static void pool_free(pool *p)
{
    free(p->seen);
    free(p->used);
}

static uint64_t pool_fresh(pool *p)
{
    for (;;) {
        uint64_t v = rng_next(&p->rng);
        uint32_t lo = (uint32_t)v;
        size_t i = (lo * 0x9e3779b1u) & (p->cap - 1);
        while (p->used[i] && p->seen[i] != lo) i = (i + 1) & (p->cap - 1);
        if (p->used[i]) continue; /* low half already handed out: redraw */
        p->used[i] = 1;
        p->seen[i] = lo;
        return v;
    }
}

/* 1 when v[0..n) has no two values with equal low 32 bits (checks pool). */
static int cmp_lo32(const void *a, const void *b)
{
    uint32_t x = (uint32_t)*(const uint64_t *)a, y = (uint32_t)*(const uint64_t *)b;
    return (x > y) - (x < y);
}

static size_t distinct_lo32(const uint64_t *v, size_t n)
{
    uint64_t *c = malloc((n ? n : 1) * sizeof *c);
    assert_non_null(c);
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_lo32);
    size_t d = n ? 1 : 0;
    for (size_t i = 1; i < n; i++) d += (uint32_t)c[i] != (uint32_t)c[i - 1];
    free(c);
    return d;
}

static wd_minhash make_mh(unsigned n, uint64_t seed)
{
    wd_minhash m;
    assert_int_equal(wd_minhash_init(&m, n, seed), WD_OK);
    assert_int_equal(m.n, n);
    return m;
}

/* ---- the statistical property ------------------------------------------ */

/*
 * 300 pairs. For each, a target Jaccard t ~ U[0,1] and |A| ~ U[50,2000];
 * |B| = |A| + d with d chosen so the overlap I that gives t fits inside A,
 * then I = round(t(|A|+|B|)/(1+t)). The exact Jaccard I/(|A|+|B|-I) is what
 * the estimate is compared with. Every few pairs are forced to J = 0 and
 * J = 1, the ends of the range.
 */
static void test_estimate_within_4_sigma_and_unbiased(void **state)
{
    (void)state;
    enum { PAIRS = 300, MAXN = 2000 };
    uint64_t rng = 0x5ca1ab1e0ddba11ULL;
    pool pl;
    pool_init(&pl, 1u << 13, 0xfeedface12345ULL);
    wd_minhash m = make_mh(H, 0x5eed);
    uint64_t *a = malloc(MAXN * sizeof *a), *b = malloc(2 * MAXN * sizeof *b);
    uint32_t sa[H], sb[H];
    assert_non_null(a);
    assert_non_null(b);

    double sum_err = 0.0, worst_z = 0.0;
    int low = 0, mid = 0, high = 0;
    for (int k = 0; k < PAIRS; k++) {
        double t = k % 25 == 0 ? 0.0 : k % 25 == 1 ? 1.0 : rng_unit(&rng);
        unsigned na = rng_range(&rng, 50, MAXN);
        double dmax = MAXN - na;
        if (t > 0 && na * (1 - t) / t < dmax) dmax = na * (1 - t) / t;
        unsigned nb = na + (unsigned)(rng_unit(&rng) * dmax);
        long inter = lround(t * (na + nb) / (1 + t));
        if (inter > (long)na) inter = na;
        if (inter < 0) inter = 0;

        pool_reset(&pl);
        for (unsigned i = 0; i < na; i++) a[i] = pool_fresh(&pl);
        memcpy(b, a, (size_t)inter * sizeof *b);
        for (unsigned i = (unsigned)inter; i < nb; i++) b[i] = pool_fresh(&pl);
        shuffle(a, na, &rng);
        shuffle(b, nb, &rng);
        assert_int_equal(distinct_lo32(a, na), na);
        assert_int_equal(distinct_lo32(b, nb), nb);

        double J = (double)inter / (double)(na + nb - inter);
        wd_minhash_sign(&m, a, na, sa);
        wd_minhash_sign(&m, b, nb, sb);
        double est = (double)wd_sig_agree(sa, sb, H) / H;
        double sd = sqrt(J * (1 - J) / H);
        /* The estimate moves in steps of 1/H; allow one step on top of 4
         * sigma so that J near 0 or 1 (sd -> 0) is judged fairly. At J = 0
         * and J = 1 the bound is then one step: J = 1 must give equal
         * signatures (it does exactly) and J = 0 at most one chance tie. */
        double err = est - J;
        if (fabs(err) > 4 * sd + 1.0 / H)
            fail_msg("pair %d: |A|=%u |B|=%u I=%ld J=%.4f estimate=%.4f (%.1f sd)",
                     k, na, nb, inter, J, est, sd > 0 ? fabs(err) / sd : INFINITY);
        if (J == 1.0) assert_int_equal(wd_sig_agree(sa, sb, H), H);
        if (sd > 0 && fabs(err) / sd > worst_z) worst_z = fabs(err) / sd;
        sum_err += err;
        low += J < 0.2;
        mid += J >= 0.4 && J <= 0.6;
        high += J > 0.8;
    }
    /* The pairs really span the range. */
    assert_true(low >= 30);
    assert_true(mid >= 30);
    assert_true(high >= 30);
    double mean = sum_err / PAIRS;
    if (!(fabs(mean) < 0.01))
        fail_msg("mean signed error %.5f over %d pairs: biased estimator", mean, PAIRS);
    print_message("    mean error %+.5f, worst %.2f sd\n", mean, worst_z);
    free(a);
    free(b);
    pool_free(&pl);
    wd_minhash_free(&m);
}

/* ---- exact properties --------------------------------------------------- */

static void test_empty_set(void **state)
{
    (void)state;
    wd_minhash m = make_mh(H, 1);
    uint32_t sig[H];
    memset(sig, 0x5a, sizeof sig);
    wd_minhash_sign(&m, NULL, 0, sig);
    for (unsigned i = 0; i < H; i++) assert_int_equal(sig[i], UINT32_MAX);
    wd_minhash_free(&m);
}

static void test_deterministic(void **state)
{
    (void)state;
    uint64_t rng = 42, sh[500];
    for (size_t i = 0; i < 500; i++) sh[i] = rng_next(&rng);
    /* Two independently initialized generators with the same seed agree. */
    wd_minhash m1 = make_mh(H, 0xabcdef), m2 = make_mh(H, 0xabcdef);
    uint32_t s1[H], s2[H], s3[H];
    wd_minhash_sign(&m1, sh, 500, s1);
    wd_minhash_sign(&m1, sh, 500, s2);
    wd_minhash_sign(&m2, sh, 500, s3);
    assert_memory_equal(s1, s2, sizeof s1);
    assert_memory_equal(s1, s3, sizeof s1);
    /* A non-empty set never leaves the "empty" marker everywhere. */
    int all_max = 1;
    for (unsigned i = 0; i < H; i++) all_max &= s1[i] == UINT32_MAX;
    assert_false(all_max);
    wd_minhash_free(&m1);
    wd_minhash_free(&m2);
}

static void test_seed_changes_signature(void **state)
{
    (void)state;
    uint64_t rng = 7, sh[300];
    for (size_t i = 0; i < 300; i++) sh[i] = rng_next(&rng);
    uint64_t seeds[] = { 0, 1, 2, 0x5eed, 0x5eee, UINT64_MAX };
    uint32_t sig[6][H];
    for (int s = 0; s < 6; s++) {
        wd_minhash m = make_mh(H, seeds[s]);
        wd_minhash_sign(&m, sh, 300, sig[s]);
        wd_minhash_free(&m);
    }
    /* Different permutations: positions agree only by chance (min values of
     * independent hashes of 300 keys rarely tie), so nearly nothing agrees. */
    for (int x = 0; x < 6; x++)
        for (int y = x + 1; y < 6; y++) {
            unsigned agree = wd_sig_agree(sig[x], sig[y], H);
            if (agree > 2)
                fail_msg("seeds %d and %d: %u of %u positions equal", x, y, agree, H);
        }
}

/* The signature is a function of the set: order and repeats do not matter,
 * and sig(A u B) is the elementwise minimum of sig(A) and sig(B). */
static void test_set_semantics(void **state)
{
    (void)state;
    enum { N = 400 };
    uint64_t rng = 99, sh[N], rep[3 * N];
    for (size_t i = 0; i < N; i++) sh[i] = rng_next(&rng);
    wd_minhash m = make_mh(H, 0x5eed);
    uint32_t ref[H], got[H], sa[H], sb[H];
    wd_minhash_sign(&m, sh, N, ref);

    for (int round = 0; round < 5; round++) {
        shuffle(sh, N, &rng);
        wd_minhash_sign(&m, sh, N, got);
        assert_memory_equal(ref, got, sizeof ref);
    }
    for (size_t i = 0; i < 3 * N; i++) rep[i] = sh[i % N];
    shuffle(rep, 3 * N, &rng);
    wd_minhash_sign(&m, rep, 3 * N, got);
    assert_memory_equal(ref, got, sizeof ref);

    /* Split into two overlapping halves [0, 250) and [150, 400). */
    wd_minhash_sign(&m, sh, 250, sa);
    wd_minhash_sign(&m, sh + 150, N - 150, sb);
    for (unsigned i = 0; i < H; i++) {
        assert_true(sa[i] >= ref[i]);
        assert_int_equal(ref[i], sa[i] < sb[i] ? sa[i] : sb[i]);
    }
    /* Single elements: distinct keys give (almost) disjoint signatures. */
    wd_minhash_sign(&m, &sh[0], 1, sa);
    wd_minhash_sign(&m, &sh[1], 1, sb);
    assert_true(wd_sig_agree(sa, sb, H) <= 1);
    wd_minhash_free(&m);
}

static void test_lengths(void **state)
{
    (void)state;
    /* n = 1 and n = WD_MAX_HASHES work. */
    uint64_t rng = 3, sh[100];
    for (size_t i = 0; i < 100; i++) sh[i] = rng_next(&rng);
    wd_minhash big = make_mh(WD_MAX_HASHES, 11), small = make_mh(1, 11);
    uint32_t *sbig = malloc(WD_MAX_HASHES * sizeof *sbig), s1[2] = { 0, 12345 };
    assert_non_null(sbig);
    wd_minhash_sign(&big, sh, 100, sbig);
    wd_minhash_sign(&small, sh, 100, s1);
    assert_int_not_equal(s1[0], UINT32_MAX);
    assert_int_equal(s1[1], 12345);            /* writes exactly n values */
    /* sig[i] is a minimum over the set, so it never grows when a key is
     * added, and some position drops when many keys are added. */
    uint32_t *s2 = malloc(WD_MAX_HASHES * sizeof *s2);
    assert_non_null(s2);
    wd_minhash_sign(&big, sh, 50, s2);
    unsigned dropped = 0;
    for (unsigned i = 0; i < WD_MAX_HASHES; i++) {
        assert_true(sbig[i] <= s2[i]);
        dropped += sbig[i] < s2[i];
    }
    /* Each position's minimum moves with probability 1/2 (the min of 100
     * lies in the second 50 half the time): ~512 of 1024. */
    assert_in_range(dropped, 400, 624);
    free(sbig);
    free(s2);
    wd_minhash_free(&big);
    wd_minhash_free(&small);
}

static void test_sig_agree(void **state)
{
    (void)state;
    const uint32_t x[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    const uint32_t y[] = { 1, 0, 3, 0, 5, 0, 7, 9 };
    const uint32_t z[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    const uint32_t mx[] = { UINT32_MAX, UINT32_MAX, 0, 0 };
    const uint32_t my[] = { UINT32_MAX, 0, UINT32_MAX, 0 };
    assert_int_equal(wd_sig_agree(x, x, 8), 8);
    assert_int_equal(wd_sig_agree(x, y, 8), 4);
    assert_int_equal(wd_sig_agree(y, x, 8), 4);
    assert_int_equal(wd_sig_agree(x, z, 8), 0);   /* shifted by one: no position */
    assert_int_equal(wd_sig_agree(x, y, 7), 4);   /* only the first n count */
    assert_int_equal(wd_sig_agree(x, y, 2), 1);
    assert_int_equal(wd_sig_agree(x, y, 0), 0);
    assert_int_equal(wd_sig_agree(mx, my, 4), 2);
    /* A long random case against a plain count. */
    uint64_t rng = 5;
    uint32_t a[1000], b[1000];
    unsigned want = 0;
    for (int i = 0; i < 1000; i++) {
        a[i] = (uint32_t)rng_next(&rng);
        b[i] = rng_next(&rng) % 3 == 0 ? a[i] : a[i] ^ (1u << (i % 32));
        want += a[i] == b[i];
    }
    assert_int_equal(wd_sig_agree(a, b, 1000), want);
}

/* wd_splitmix64 is the reference splitmix64 (Steele, Lea, Flood 2014);
 * 0xe220a8397b1dcdaf is the published first output for state 0. */
static void test_splitmix64(void **state)
{
    (void)state;
    uint64_t s = 0, mine = 0;
    assert_true(wd_splitmix64(&s) == 0xe220a8397b1dcdafULL);
    s = 0;
    for (int i = 0; i < 1000; i++) assert_true(wd_splitmix64(&s) == rng_next(&mine));
    assert_true(s == mine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimate_within_4_sigma_and_unbiased),
        cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_seed_changes_signature),
        cmocka_unit_test(test_set_semantics),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_sig_agree),
        cmocka_unit_test(test_splitmix64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
