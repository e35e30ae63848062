/*
 * test_score.c - wd_score() against hand-computed examples, invariances,
 * the README's edge-case conventions, and a brute-force pair-counting model.
 *
 * Notation in the comments: n documents, N = C(n,2) pairs, TP = pairs
 * together in both, G = gold pairs, P = predicted pairs, E = G*P/N,
 * ARI = (TP - E) / ((G + P)/2 - E).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "wiredup.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EPS 1e-12

/* cmocka's assert_float_equal works in float; scores need double. */
#define assert_near(got, want) assert_near_at((got), (want), #got, __FILE__, __LINE__)
static void assert_near_at(double got, double want, const char *what,
                           const char *file, int line)
{
    if (!(fabs(got - want) <= EPS)) {
        print_error("%s:%d: %s = %.17g, expected %.17g\n", file, line, what,
                    got, want);
        fail();
    }
}

static wd_scores score(const uint64_t *gold, const uint64_t *pred, size_t n)
{
    wd_scores s;
    assert_int_equal(wd_score(gold, pred, n, &s), WD_OK);
    return s;
}

static void assert_scores(const wd_scores *s, double tp, double g, double p,
                          double precision, double recall, double f1,
                          double ari)
{
    assert_near(s->true_pairs, tp);
    assert_near(s->gold_pairs, g);
    assert_near(s->predicted_pairs, p);
    assert_near(s->precision, precision);
    assert_near(s->recall, recall);
    assert_near(s->f1, f1);
    assert_near(s->ari, ari);
}

/*
 * gold = pred = {5,5,7,7,7,9}: clusters of sizes 2, 3, 1.
 * G = P = TP = C(2,2) + C(3,2) + C(1,2) = 1 + 3 + 0 = 4; N = C(6,2) = 15.
 * precision = recall = 4/4 = 1, F1 = 1.
 * E = 4*4/15 = 16/15; ARI = (4 - 16/15) / (4 - 16/15) = 1.
 */
static void test_identical(void **state)
{
    const uint64_t l[] = {5, 5, 7, 7, 7, 9};
    wd_scores s = score(l, l, LEN(l));
    assert_scores(&s, 4, 4, 4, 1, 1, 1, 1);
}

/*
 * gold = {1,1,2,2,2,3} (sizes 2, 3, 1), pred = all singletons.
 * G = 1 + 3 + 0 = 4, P = 0, TP = 0, N = 15.
 * precision = 1 (P == 0 rule), recall = 0/4 = 0, F1 = 2*1*0/(1+0) = 0.
 * E = 4*0/15 = 0; ARI = (0 - 0) / (4/2 + 0 - 0) = 0.
 */
static void test_all_singletons_predicted(void **state)
{
    const uint64_t gold[] = {1, 1, 2, 2, 2, 3};
    const uint64_t pred[] = {10, 11, 12, 13, 14, 15};
    wd_scores s = score(gold, pred, LEN(gold));
    assert_scores(&s, 0, 4, 0, 1, 0, 0, 0);
}

/*
 * gold = {1,1,1,2,2,2}, pred = {1,1,2,2,3,3}.
 * Contingency table (rows gold 1,2; columns pred 1,2,3):
 *        p1 p2 p3 | a
 *   g1    2  1  0 | 3
 *   g2    0  1  2 | 3
 *   b     2  2  2 | n = 6
 * TP = C(2,2) + C(1,2) + C(1,2) + C(2,2) = 1 + 0 + 0 + 1 = 2
 * G  = C(3,2) + C(3,2) = 3 + 3 = 6
 * P  = C(2,2) * 3 = 3
 * precision = 2/3, recall = 2/6 = 1/3,
 * F1 = 2 * (2/3)(1/3) / (2/3 + 1/3) = (4/9) / 1 = 4/9
 * N = 15, E = 6*3/15 = 1.2
 * ARI = (2 - 1.2) / ((6 + 3)/2 - 1.2) = 0.8 / 3.3 = 8/33 = 0.242424...
 */
static const uint64_t six_gold[] = {1, 1, 1, 2, 2, 2};
static const uint64_t six_pred[] = {1, 1, 2, 2, 3, 3};

static void test_known_ari(void **state)
{
    wd_scores s = score(six_gold, six_pred, 6);
    assert_scores(&s, 2, 6, 3, 2.0 / 3, 1.0 / 3, 4.0 / 9, 8.0 / 33);
}

/*
 * scikit-learn's documented example: adjusted_rand_score([0,0,1,1],
 * [0,0,1,2]) = 0.57.
 *        p0 p1 p2 | a
 *   g0    2  0  0 | 2
 *   g1    0  1  1 | 2
 * TP = 1, G = 1 + 1 = 2, P = 1 + 0 + 0 = 1, N = C(4,2) = 6, E = 2*1/6 = 1/3
 * ARI = (1 - 1/3) / ((2 + 1)/2 - 1/3) = (2/3) / (7/6) = 4/7 = 0.5714...
 * precision = 1/1, recall = 1/2, F1 = 2 * 1 * 0.5 / 1.5 = 2/3.
 */
static void test_sklearn_example(void **state)
{
    const uint64_t gold[] = {0, 0, 1, 1};
    const uint64_t pred[] = {0, 0, 1, 2};
    wd_scores s = score(gold, pred, LEN(gold));
    assert_scores(&s, 1, 2, 1, 1, 0.5, 2.0 / 3, 4.0 / 7);
}

/*
 * Worse than chance: gold = {1,1,2,2}, pred = {1,2,1,2}, every cell 1.
 * TP = 0, G = 2, P = 2, N = 6, E = 4/6 = 2/3
 * ARI = (0 - 2/3) / (2 - 2/3) = (-2/3) / (4/3) = -1/2.
 * precision = 0, recall = 0, F1 = 0 (both 0 rule).
 */
static void test_negative_ari(void **state)
{
    const uint64_t gold[] = {1, 1, 2, 2};
    const uint64_t pred[] = {1, 2, 1, 2};
    wd_scores s = score(gold, pred, LEN(gold));
    assert_scores(&s, 0, 2, 2, 0, 0, 0, -0.5);
}

/*
 * The six-document case with labels spread over the whole 64-bit range
 * (UINT64_MAX, 0, 2^63, a 20-digit value, and a pred label equal to a gold
 * label value, which must not matter): same table, same scores.
 */
static void test_large_labels(void **state)
{
    const uint64_t big = UINT64_MAX, zero = 0, top = UINT64_C(1) << 63;
    const uint64_t huge = UINT64_C(12345678901234567890);
    const uint64_t gold[] = {big, big, big, zero, zero, zero};
    const uint64_t pred[] = {top, top, huge, huge, big, big};
    wd_scores s = score(gold, pred, LEN(gold));
    assert_scores(&s, 2, 6, 3, 2.0 / 3, 1.0 / 3, 4.0 / 9, 8.0 / 33);
}

/*
 * Renaming labels (any injective map, separately for gold and pred) and
 * reordering documents (one permutation applied to both arrays) leave the
 * contingency table, hence every score, unchanged. Swapping gold and pred
 * transposes it: precision and recall swap, F1 and ARI stay.
 */
static void test_permutation_invariance(void **state)
{
    /* Documents in order 5,3,0,4,1,2; gold 1->900, 2->7; pred 1->3, 2->1, 3->2. */
    const size_t order[] = {5, 3, 0, 4, 1, 2};
    uint64_t gold[6], pred[6];
    for (size_t i = 0; i < 6; i++) {
        uint64_t g = six_gold[order[i]], p = six_pred[order[i]];
        gold[i] = g == 1 ? 900 : 7;
        pred[i] = p == 1 ? 3 : p == 2 ? 1 : 2;
    }
    wd_scores s = score(gold, pred, 6);
    assert_scores(&s, 2, 6, 3, 2.0 / 3, 1.0 / 3, 4.0 / 9, 8.0 / 33);

    wd_scores t = score(six_pred, six_gold, 6);
    assert_scores(&t, 2, 3, 6, 1.0 / 3, 2.0 / 3, 4.0 / 9, 8.0 / 33);
}

/*
 * Degenerate clusterings, where the README's conventions decide.
 * n = 4, N = 6 throughout.
 */
static void test_conventions(void **state)
{
    const uint64_t singles[] = {1, 2, 3, 4};
    const uint64_t one[] = {8, 8, 8, 8};
    wd_scores s;

    /* Both all singletons: G = P = TP = 0 -> precision 1, recall 1,
     * F1 = 2*1*1/2 = 1, ARI denominator 0 -> 1. */
    s = score(singles, singles, 4);
    assert_scores(&s, 0, 0, 0, 1, 1, 1, 1);

    /* Both one cluster: G = P = TP = N = 6, E = 36/6 = 6,
     * ARI = (6 - 6) / (6 - 6): denominator 0 -> 1. */
    s = score(one, one, 4);
    assert_scores(&s, 6, 6, 6, 1, 1, 1, 1);

    /* Gold one cluster, pred singletons: G = 6, P = 0, TP = 0,
     * precision 1, recall 0, F1 0, E = 0, ARI = 0 / 3 = 0. */
    s = score(one, singles, 4);
    assert_scores(&s, 0, 6, 0, 1, 0, 0, 0);

    /* Gold singletons, pred one cluster: G = 0 -> recall 1, precision
     * 0/6 = 0, F1 = 0, E = 0, ARI = 0 / 3 = 0. */
    s = score(singles, one, 4);
    assert_scores(&s, 0, 0, 6, 0, 1, 0, 0);
}

/* n = 0 and n = 1 have no pairs: everything 1 by the conventions. NULL
 * label arrays are fine when n == 0. */
static void test_tiny(void **state)
{
    const uint64_t a[] = {42}, b[] = {7};
    wd_scores s = score(NULL, NULL, 0);
    assert_scores(&s, 0, 0, 0, 1, 1, 1, 1);
    s = score(a, b, 1);
    assert_scores(&s, 0, 0, 0, 1, 1, 1, 1);
}

static void test_invalid(void **state)
{
    const uint64_t l[] = {1, 1};
    wd_scores s;
    assert_int_equal(wd_score(l, l, 2, NULL), WD_E_INVALID);
    assert_int_equal(wd_score(NULL, l, 2, &s), WD_E_INVALID);
    assert_int_equal(wd_score(l, NULL, 2, &s), WD_E_INVALID);
    assert_int_equal(wd_score(NULL, NULL, 0, NULL), WD_E_INVALID);
}

/*
 * Chance agreement computed without rounding trouble: gold is one cluster of
 * 100,000 documents, pred the same minus one singleton. Every predicted pair
 * is a gold pair, so TP = P = C(99999,2) = 4,999,850,001, and E = G*P/N = P
 * since G = N = C(100000,2) = 4,999,950,000: ARI = 0 exactly, recall
 * P/G, precision 1.
 */
static void test_large_chance(void **state)
{
    enum { n = 100000 };
    uint64_t *gold = calloc(n, sizeof *gold), *pred = calloc(n, sizeof *pred);
    assert_non_null(gold);
    assert_non_null(pred);
    pred[n / 2] = 1;
    wd_scores s = score(gold, pred, n);
    double g = 4999950000.0, p = 4999850001.0;
    assert_scores(&s, p, g, p, 1, p / g, 2 * (p / g) / (1 + p / g), 0);
    assert_true(s.ari == 0.0);
    free(gold);
    free(pred);
}

/* Model: count pairs directly (O(n^2)) on random labelings and compare. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng(void)
{
    uint64_t x = rng_state; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void test_random_vs_pairs(void **state)
{
    enum { rounds = 200, max_n = 120 };
    uint64_t gold[max_n], pred[max_n];
    for (int r = 0; r < rounds; r++) {
        size_t n = 2 + rng() % (max_n - 1);
        uint64_t kg = 1 + rng() % n, kp = 1 + rng() % n;
        for (size_t i = 0; i < n; i++) {
            gold[i] = (rng() % kg) * UINT64_C(0x100000001);
            pred[i] = r % 3 == 0 ? gold[i] ^ 5 : rng() % kp; /* some identical */
        }
        double tp = 0, g = 0, p = 0, all = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = i + 1; j < n; j++) {
                int sg = gold[i] == gold[j], sp = pred[i] == pred[j];
                tp += sg && sp;
                g += sg;
                p += sp;
                all += 1;
            }
        }
        double e = g * p / all, den = (g + p) / 2 - e;
        double prec = p ? tp / p : 1, rec = g ? tp / g : 1;
        double f1 = prec + rec ? 2 * prec * rec / (prec + rec) : 0;
        double ari = (g == 0 && p == 0) || (g == all && p == all)
                         ? 1 : (tp - e) / den;
        wd_scores s = score(gold, pred, n);
        assert_scores(&s, tp, g, p, prec, rec, f1, ari);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical),
        cmocka_unit_test(test_all_singletons_predicted),
        cmocka_unit_test(test_known_ari),
        cmocka_unit_test(test_sklearn_example),
        cmocka_unit_test(test_negative_ari),
        cmocka_unit_test(test_large_labels),
        cmocka_unit_test(test_permutation_invariance),
        cmocka_unit_test(test_conventions),
        cmocka_unit_test(test_tiny),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_large_chance),
        cmocka_unit_test(test_random_vs_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
