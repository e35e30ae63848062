/*
 * test_simhash.c - SimHash fingerprints (src/sketch/simhash.h).
 *
 *   - Every ISA the CPU supports (forced with wd_isa_select, and each
 *     kernel called directly) gives the fingerprint of the test's own naive
 *     model (64 per-bit counters, the documented mixing) on random inputs
 *     of every length around the kernels' block and flush sizes, and on
 *     inputs built to stress the counters: one hash repeated 100k times
 *     (maximum carries), two hashes alternating (exact ties), weights 255.
 *   - Exact properties: empty set -> 0, one feature -> its mixed hash,
 *     order independence, weights of 1 = unweighted, weight 0 = absent.
 *   - Statistics: pairs with Jaccard 0.9 are ~6.6 bits apart on average
 *     (64 theta / pi for the angle between the sets), unrelated sets ~32.
 *
 * AVX-512 cannot run on every machine; the test says when it skips it.
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
#include "common/cpu.h"
#include "sketch/simhash.h"

/* ---- test PRNG and the naive model (independent of the code) ------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The documented feature mixing: splitmix64's finalizer of h ^ key, with
 * key = the finalizer of seed ^ "simhash". */
static uint64_t model_fin(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t model(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t seed)
{
    uint64_t key = model_fin(seed ^ 0x73696d68617368ULL);
    int64_t vote[64] = { 0 };
    for (size_t i = 0; i < n; i++) {
        uint64_t f = model_fin(sh[i] ^ key);
        int64_t wi = w ? w[i] : 1;
        for (int j = 0; j < 64; j++) vote[j] += (f >> j & 1) ? wi : -wi;
    }
    uint64_t fp = 0;
    for (int j = 0; j < 64; j++)
        if (vote[j] > 0) fp |= 1ULL << j;
    return fp;
}

/* ---- the ISAs to check ---------------------------------------------------- */

static const wd_isa_t isas[] = { WD_ISA_SCALAR, WD_ISA_AVX2, WD_ISA_AVX512 };
#define NISA (sizeof isas / sizeof isas[0])

static int usable(wd_isa_t isa)
{
    if (wd_isa_supported(isa)) return 1;
    static int told[NISA];
    if (!told[isa]) {
        print_message("skipping %s: not supported by this CPU (unverified here)\n", wd_isa_label(isa));
        told[isa] = 1;
    }
    return 0;
}

static uint64_t kernel(wd_isa_t isa, const uint64_t *sh, const uint8_t *w, size_t n, uint64_t seed)
{
    uint64_t key = wd_simhash_key(seed);
    switch (isa) {
    case WD_ISA_AVX512: return w ? wd_simhash_weighted_avx512(sh, w, n, key) : wd_simhash_avx512(sh, n, key);
    case WD_ISA_AVX2: return w ? wd_simhash_weighted_avx2(sh, w, n, key) : wd_simhash_avx2(sh, n, key);
    default: return w ? wd_simhash_weighted_scalar(sh, w, n, key) : wd_simhash_scalar(sh, n, key);
    }
}

/* Checks every usable ISA, through the dispatcher and directly. */
static void check_all(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t seed, const char *what)
{
    uint64_t want = model(sh, w, n, seed);
    for (size_t k = 0; k < NISA; k++) {
        if (!usable(isas[k])) continue;
        assert_int_equal(wd_isa_select(wd_isa_label(isas[k])), WD_OK);
        uint64_t got = w ? wd_simhash_weighted(sh, w, n, seed) : wd_simhash(sh, n, seed);
        uint64_t direct = kernel(isas[k], sh, w, n, seed);
        if (got != want || direct != want)
            fail_msg("%s, n=%zu, %s: got %016llx (direct %016llx), want %016llx", what, n,
                     wd_isa_label(isas[k]), (unsigned long long)got, (unsigned long long)direct,
                     (unsigned long long)want);
    }
    assert_int_equal(wd_isa_select("auto"), WD_OK);
}

/* ---- ISA agreement --------------------------------------------------------- */

#define BIG 100000

static void test_isas_random(void **state)
{
    (void)state;
    uint64_t rng = 42;
    uint64_t *sh = malloc(BIG * sizeof *sh);
    uint8_t *w = malloc(BIG);
    assert_non_null(sh);
    assert_non_null(w);
    for (size_t i = 0; i < BIG; i++) {
        sh[i] = rng_next(&rng);
        w[i] = (uint8_t)rng_next(&rng);
    }
    /* Every length up to past two AVX-512 blocks, then flush boundaries of
     * every kernel (scalar 255*16, AVX2 63*64, AVX-512 31*128, weighted 257). */
    for (size_t n = 0; n <= 300; n++) {
        check_all(sh, NULL, n, 7, "random");
        check_all(sh, w, n, 7, "random weighted");
    }
    const size_t sizes[] = { 513, 1000, 3967, 3968, 3969, 4031, 4032, 4033, 4079, 4080, 4081,
                             8063, 8064, 8161, 12345, 65536 + 17, BIG };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        check_all(sh, NULL, sizes[k], 0x5eed + k, "random");
        check_all(sh, w, sizes[k], 0x5eed + k, "random weighted");
    }
    /* Unaligned start. */
    check_all(sh + 1, NULL, 999, 3, "unaligned");
    check_all(sh + 3, w + 3, 999, 3, "unaligned weighted");
    free(sh);
    free(w);
}

static void test_isas_adversarial(void **state)
{
    (void)state;
    uint64_t *sh = malloc(BIG * sizeof *sh);
    uint8_t *w = malloc(BIG);
    assert_non_null(sh);
    assert_non_null(w);

    /* One hash repeated: every count is 0 or n, carries at every bit that
     * is set, byte counters at their limits. */
    for (size_t i = 0; i < BIG; i++) sh[i] = 0x0123456789abcdefULL;
    memset(w, 255, BIG);
    const size_t sizes[] = { 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 4032, 4033, 4096, 65537, BIG };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        check_all(sh, NULL, sizes[k], 1, "repeated");
        check_all(sh, w, sizes[k], 1, "repeated, weight 255");
    }

    /* Two hashes alternating: bits where their features differ tie exactly
     * (even n) and must be 0; odd n breaks the tie toward the first. */
    for (size_t i = 0; i < BIG; i++) sh[i] = i % 2 ? 0xfeedULL : 0xbeefULL;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        check_all(sh, NULL, sizes[k], 1, "alternating");
        check_all(sh, w, sizes[k], 1, "alternating, weight 255");
    }
    uint64_t key = wd_simhash_key(1);
    uint64_t fa = wd_simhash_mix(0xbeefULL ^ key), fb = wd_simhash_mix(0xfeedULL ^ key);
    assert_true(wd_simhash(sh, 1000, 1) == (fa & fb));
    assert_true(wd_simhash(sh, 1001, 1) == fa);

    /* Zero weights mixed in. */
    uint64_t rng = 9;
    for (size_t i = 0; i < BIG; i++) {
        sh[i] = rng_next(&rng);
        w[i] = rng_next(&rng) % 3 == 0 ? 0 : 255;
    }
    check_all(sh, w, BIG, 2, "weights 0/255");
    free(sh);
    free(w);
}

/* ---- exact properties ------------------------------------------------------ */

static void test_properties(void **state)
{
    (void)state;
    uint64_t rng = 5, sh[500], perm[500];
    uint8_t w1[500], w[500];
    for (int i = 0; i < 500; i++) {
        sh[i] = perm[i] = rng_next(&rng);
        w1[i] = 1;
        w[i] = (uint8_t)(1 + rng_next(&rng) % 255);
    }
    assert_true(wd_simhash(NULL, 0, 1) == 0);
    assert_true(wd_simhash_weighted(NULL, NULL, 0, 1) == 0);
    /* One feature: the fingerprint is the feature itself. */
    assert_true(wd_simhash(sh, 1, 77) == model_fin(sh[0] ^ model_fin(77 ^ 0x73696d68617368ULL)));
    /* Order does not matter. */
    for (int i = 499; i > 0; i--) {
        int j = (int)(rng_next(&rng) % (uint64_t)(i + 1));
        uint64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    assert_true(wd_simhash(sh, 500, 3) == wd_simhash(perm, 500, 3));
    /* Weight 1 everywhere is the unweighted fingerprint. */
    assert_true(wd_simhash_weighted(sh, w1, 500, 3) == wd_simhash(sh, 500, 3));
    /* Weight 0 is the same as leaving the feature out. */
    memcpy(w1, w, sizeof w);
    w1[10] = w1[20] = 0;
    uint64_t rest[498];
    uint8_t wrest[498];
    for (int i = 0, k = 0; i < 500; i++)
        if (i != 10 && i != 20) { rest[k] = sh[i]; wrest[k++] = w[i]; }
    assert_true(wd_simhash_weighted(sh, w1, 500, 3) == wd_simhash_weighted(rest, wrest, 498, 3));
    /* The seed changes the fingerprint. */
    assert_true(wd_simhash(sh, 500, 3) != wd_simhash(sh, 500, 4));
}

/* ---- statistics ------------------------------------------------------------- */

/* A pair of sets of union u with exact Jaccard inter/u, sides split evenly. */
static void make_pair(size_t u, size_t inter, uint64_t *a, size_t *na, uint64_t *b, size_t *nb,
                      uint64_t *rng)
{
    size_t oa = (u - inter) / 2, ob = u - inter - oa;
    for (size_t i = 0; i < inter; i++) a[i] = b[i] = rng_next(rng);
    for (size_t i = 0; i < oa; i++) a[inter + i] = rng_next(rng);
    for (size_t i = 0; i < ob; i++) b[inter + i] = rng_next(rng);
    *na = inter + oa;
    *nb = inter + ob;
}

static void test_distance_statistics(void **state)
{
    (void)state;
    enum { PAIRS = 300, U = 1000 };
    static uint64_t a[U], b[U];
    uint64_t rng = 1234;
    double near = 0, far = 0;
    for (int p = 0; p < PAIRS; p++) {
        size_t na, nb;
        make_pair(U, 900, a, &na, b, &nb, &rng); /* Jaccard 0.9 */
        near += wd_simhash_distance(wd_simhash(a, na, 1), wd_simhash(b, nb, 1));
        make_pair(U, 0, a, &na, b, &nb, &rng);   /* unrelated */
        far += wd_simhash_distance(wd_simhash(a, na, 1), wd_simhash(b, nb, 1));
    }
    near /= PAIRS;
    far /= PAIRS;
    /* Angle between the sets' indicator vectors: cos = |A n B| / sqrt(|A||B|). */
    double cosine = 900.0 / 950.0;
    double want = 64.0 * acos(cosine) / M_PI; /* 6.64 */
    print_message("mean distance: Jaccard 0.9 %.2f (theory %.2f), unrelated %.2f (theory 32)\n",
                  near, want, far);
    assert_true(fabs(near - want) < 1.0);  /* sd of the mean ~0.14 */
    assert_true(near < 8.0);
    assert_true(fabs(far - 32.0) < 1.5);   /* sd of the mean ~0.23 */

    /* Down-weighting the unshared part brings a pair closer. */
    uint8_t wa[U], wb[U];
    size_t na, nb;
    make_pair(U, 600, a, &na, b, &nb, &rng);
    double plain = 0, weighted = 0;
    for (int s = 0; s < 50; s++) {
        for (size_t i = 0; i < U; i++) wa[i] = wb[i] = i < 600 ? 200 : 20;
        plain += wd_simhash_distance(wd_simhash(a, na, s), wd_simhash(b, nb, s));
        weighted += wd_simhash_distance(wd_simhash_weighted(a, wa, na, s),
                                        wd_simhash_weighted(b, wb, nb, s));
    }
    assert_true(weighted < plain / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isas_random),
        cmocka_unit_test(test_isas_adversarial),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_distance_statistics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
