/*
 * test_oph.c - one-permutation hashing with optimal densification
 * (src/sketch/oph.h).
 *
 * The central check is the MinHash property: for sets A and B with Jaccard
 * J, the fraction of the n bins where the signatures agree estimates J
 * without bias and with about MinHash's spread, sqrt(J(1-J)/n). Pairs span
 * J in [0, 1] and set sizes from a handful (most bins empty, so nearly every
 * value comes from densification) to thousands. The rest are exact
 * properties: empty set, order and repeats, a single element filling every
 * bin, probes past the precomputed ones, seeds, and lengths.
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
#include "sketch/oph.h"

#define H 128

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
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

static unsigned agree(const uint32_t *a, const uint32_t *b, unsigned n)
{
    unsigned e = 0;
    for (unsigned i = 0; i < n; i++) e += a[i] == b[i];
    return e;
}

static wd_oph make(unsigned n, uint64_t seed)
{
    wd_oph o;
    assert_int_equal(wd_oph_init(&o, n, seed), WD_OK);
    assert_int_equal(o.n, n);
    return o;
}

/*
 * 600 pairs: a target Jaccard t ~ U[0,1] (every 25th pair forced to 0 and
 * 1), |A| drawn from a small range (3..60: mostly densified) for a third of
 * them and from 50..2000 for the rest, |B| fitted so the overlap that gives
 * t fits. Shingle hashes are random 64-bit values (distinct in practice).
 * Each estimate must lie within 4.5 standard deviations (plus one step of
 * 1/n) of the exact Jaccard, and the mean signed error must be ~0.
 */
static void test_estimate_unbiased(void **state)
{
    (void)state;
    enum { PAIRS = 600, MAXN = 2000 };
    uint64_t rng = 0x0b5e55ed;
    wd_oph o = make(H, 0x5eed);
    uint64_t *a = malloc(MAXN * sizeof *a), *b = malloc(2 * MAXN * sizeof *b);
    uint32_t sa[H], sb[H];
    assert_true(a && b);
    double sum_err = 0.0, worst = 0.0, sum_sq_z = 0.0;
    int counted = 0, small = 0;
    for (int k = 0; k < PAIRS; k++) {
        double t = k % 25 == 0 ? 0.0 : k % 25 == 1 ? 1.0 : rng_unit(&rng);
        int tiny = k % 3 == 0;
        unsigned na = tiny ? 3 + (unsigned)(rng_next(&rng) % 58) : 50 + (unsigned)(rng_next(&rng) % 1951);
        double dmax = (tiny ? 60 : MAXN) - na;
        if (t > 0 && na * (1 - t) / t < dmax) dmax = na * (1 - t) / t;
        unsigned nb = na + (unsigned)(rng_unit(&rng) * dmax);
        long inter = lround(t * (na + nb) / (1 + t));
        if (inter > (long)na) inter = na;
        for (unsigned i = 0; i < na; i++) a[i] = rng_next(&rng);
        memcpy(b, a, (size_t)inter * sizeof *b);
        for (unsigned i = (unsigned)inter; i < nb; i++) b[i] = rng_next(&rng);
        shuffle(a, na, &rng);
        shuffle(b, nb, &rng);

        double J = (double)inter / (double)(na + nb - inter);
        wd_oph_sign(&o, a, na, sa);
        wd_oph_sign(&o, b, nb, sb);
        double est = (double)agree(sa, sb, H) / H;
        double sd = sqrt(J * (1 - J) / H), err = est - J;
        if (fabs(err) > 4.5 * sd + 1.0 / H)
            fail_msg("pair %d: |A|=%u |B|=%u I=%ld J=%.4f estimate=%.4f (%.1f sd)", k, na, nb,
                     inter, J, est, sd > 0 ? fabs(err) / sd : INFINITY);
        if (J == 1.0) assert_int_equal(agree(sa, sb, H), H);
        if (sd > 0) {
            double z = err / sd;
            if (fabs(z) > worst) worst = fabs(z);
            sum_sq_z += z * z;
            counted++;
        }
        sum_err += err;
        small += tiny;
    }
    double mean = sum_err / PAIRS, rms_z = sqrt(sum_sq_z / counted);
    if (!(fabs(mean) < 0.01)) fail_msg("mean signed error %.5f: biased", mean);
    /* The spread is MinHash's: the z-scores' RMS near 1 (not far above). */
    if (!(rms_z < 1.3)) fail_msg("RMS z-score %.2f: spread above MinHash's", rms_z);
    print_message("    mean error %+.5f, RMS z %.2f, worst %.2f sd, %d tiny pairs\n", mean, rms_z,
                  worst, small);
    free(a);
    free(b);
    wd_oph_free(&o);
}

static void test_empty_and_single(void **state)
{
    (void)state;
    wd_oph o = make(H, 1);
    uint32_t sig[H];
    memset(sig, 0x5a, sizeof sig);
    wd_oph_sign(&o, NULL, 0, sig);
    for (unsigned i = 0; i < H; i++) assert_int_equal(sig[i], UINT32_MAX);
    /* One shingle fills one bin; densification copies it everywhere. */
    uint64_t x = 0x123456789abcdefULL;
    wd_oph_sign(&o, &x, 1, sig);
    for (unsigned i = 1; i < H; i++) assert_int_equal(sig[i], sig[0]);
    wd_oph_free(&o);
    /* Probes past the precomputed ones: 1024 bins, one full. */
    wd_oph big = make(WD_MAX_HASHES, 3);
    uint32_t *s = malloc(WD_MAX_HASHES * sizeof *s);
    assert_non_null(s);
    wd_oph_sign(&big, &x, 1, s);
    for (unsigned i = 1; i < WD_MAX_HASHES; i++) assert_int_equal(s[i], s[0]);
    free(s);
    wd_oph_free(&big);
}

/* A function of the set: order and repeats do not matter; every value is
 * the minimum of a bin that some shingle fell into. */
static void test_set_semantics(void **state)
{
    (void)state;
    enum { N = 90 };
    uint64_t rng = 5, sh[N], rep[3 * N];
    for (size_t i = 0; i < N; i++) sh[i] = rng_next(&rng);
    wd_oph o = make(H, 0x5eed);
    uint32_t ref[H], got[H];
    wd_oph_sign(&o, sh, N, ref);
    for (int round = 0; round < 5; round++) {
        shuffle(sh, N, &rng);
        wd_oph_sign(&o, sh, N, got);
        assert_memory_equal(ref, got, sizeof ref);
    }
    for (size_t i = 0; i < 3 * N; i++) rep[i] = sh[i % N];
    shuffle(rep, 3 * N, &rng);
    wd_oph_sign(&o, rep, 3 * N, got);
    assert_memory_equal(ref, got, sizeof ref);
    /* With 90 shingles in 128 bins many bins are empty and densified, so
     * values repeat, but there are no more distinct values than shingles. */
    unsigned distinct_vals = 0;
    for (unsigned i = 0; i < H; i++) {
        unsigned j = 0;
        while (j < i && ref[j] != ref[i]) j++;
        distinct_vals += j == i;
    }
    assert_true(distinct_vals <= N);
    assert_true(distinct_vals > N / 3);
    assert_true(distinct_vals < H);
    wd_oph_free(&o);
}

static void test_seeds_and_lengths(void **state)
{
    (void)state;
    uint64_t rng = 7, sh[300];
    for (size_t i = 0; i < 300; i++) sh[i] = rng_next(&rng);
    uint32_t a[H], b[H];
    wd_oph o1 = make(H, 1), o2 = make(H, 2), o1b = make(H, 1);
    wd_oph_sign(&o1, sh, 300, a);
    wd_oph_sign(&o1b, sh, 300, b);
    assert_memory_equal(a, b, sizeof a);            /* same seed, same signature */
    wd_oph_sign(&o2, sh, 300, b);
    assert_true(agree(a, b, H) <= 3);               /* another seed: chance only */
    wd_oph_free(&o1);
    wd_oph_free(&o2);
    wd_oph_free(&o1b);
    static const unsigned lens[] = { 1, 2, 3, 64, 100, 1000, WD_MAX_HASHES };
    uint32_t *s = malloc((WD_MAX_HASHES + 1) * sizeof *s);
    assert_non_null(s);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        wd_oph o = make(lens[k], 9);
        s[lens[k]] = 12345;
        wd_oph_sign(&o, sh, 300, s);
        assert_int_equal(s[lens[k]], 12345);        /* writes exactly n values */
        for (unsigned i = 0; i < lens[k]; i++) assert_int_not_equal(s[i], UINT32_MAX);
        wd_oph_free(&o);
    }
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimate_unbiased),
        cmocka_unit_test(test_empty_and_single),
        cmocka_unit_test(test_set_semantics),
        cmocka_unit_test(test_seeds_and_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
