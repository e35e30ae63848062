/*
 * score.c - pairwise precision, recall, F1 and the Adjusted Rand Index of a
 * predicted clustering against gold labels (definitions: the "Metrics"
 * section of ../shared/datasets/README.md).
 *
 * Everything comes from the contingency table: n_ij documents are in gold
 * cluster i and predicted cluster j, a_i and b_j are its row and column sums.
 * Two documents are together in both clusterings exactly when they share a
 * cell, so with C(x,2) = x(x-1)/2
 *
 *     TP = sum_ij C(n_ij,2)   G = sum_i C(a_i,2)   P = sum_j C(b_j,2)
 *
 * and no pair list is built. The table is not stored either: sorting the
 * (gold, pred) label pairs of the documents makes every cell a run of equal
 * pairs and every row a run of equal gold labels; a second sort by the
 * predicted label alone makes every column a run. O(n log n) time, 16 bytes
 * per document, labels may be any 64-bit values.
 *
 * Counts are exact 64-bit integers (C(n,2) fits for n < 6e9). The ARI
 *
 *     ARI = (TP - E) / (G/2 + P/2 - E),   E = G*P / N,   N = C(n,2)
 *
 * is evaluated in the equivalent form (numerator and denominator times 2N)
 *
 *     ARI = 2 (N*TP - G*P) / (G (N - P) + P (N - G))
 *
 * whose two parts are exact 128-bit integers where the compiler has them, so
 * nothing cancels in floating point: a clustering that agrees with gold only
 * by chance scores 0.0 exactly, not 1e-11. The denominator is a sum of two
 * non-negative terms; it is 0 exactly when G = P = 0 (both all singletons,
 * or n < 2) or G = P = N (both one cluster), and then ARI is 1 by the
 * README's rule.
 *
 * n < 2 has no pair at all: TP = G = P = 0, so precision = recall = F1 =
 * ARI = 1 by the same conventions (nothing to find, nothing wrongly found).
 * gold and pred may be NULL when n == 0.
 */
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

typedef struct label_pair {
    uint64_t gold;  /* the document's gold label */
    uint64_t pred;  /* the document's predicted label */
} label_pair;

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 wide;
#else
typedef double wide;   /* no 128-bit integers: rounded, still accurate */
#endif

/* C(x,2) without overflowing x(x-1) first. */
static uint64_t pairs_of(uint64_t x)
{
    return (x % 2 == 0) ? (x / 2) * (x - 1) : x * ((x - 1) / 2);
}

static int cmp_gold_pred(const void *x, const void *y)
{
    const label_pair *a = x, *b = y;
    if (a->gold != b->gold) return a->gold < b->gold ? -1 : 1;
    if (a->pred != b->pred) return a->pred < b->pred ? -1 : 1;
    return 0;
}

static int cmp_pred(const void *x, const void *y)
{
    const label_pair *a = x, *b = y;
    if (a->pred != b->pred) return a->pred < b->pred ? -1 : 1;
    return 0;
}

/* x - y as a double, for x, y >= 0 that may not fit in a double exactly. */
static double wide_diff(wide x, wide y)
{
    return x >= y ? (double)(x - y) : -(double)(y - x);
}

int wd_score(const uint64_t *gold, const uint64_t *pred, size_t n,
             wd_scores *out)
{
    if (!out || (n > 0 && (!gold || !pred))) return WD_E_INVALID;

    uint64_t tp = 0, g = 0, p = 0;
    if (n >= 2) {
        if (n > SIZE_MAX / sizeof(label_pair)) return WD_E_NOMEM;
        label_pair *v = malloc(n * sizeof *v);
        if (!v) return WD_E_NOMEM;
        for (size_t i = 0; i < n; i++) {
            v[i].gold = gold[i];
            v[i].pred = pred[i];
        }

        /* Rows (gold runs) and cells (runs of equal pairs). */
        qsort(v, n, sizeof *v, cmp_gold_pred);
        size_t row = 0, cell = 0;
        for (size_t i = 1; i <= n; i++) {
            int new_row = i == n || v[i].gold != v[row].gold;
            if (new_row || v[i].pred != v[cell].pred) {
                tp += pairs_of(i - cell);
                cell = i;
            }
            if (new_row) {
                g += pairs_of(i - row);
                row = i;
            }
        }

        /* Columns (pred runs). */
        qsort(v, n, sizeof *v, cmp_pred);
        size_t col = 0;
        for (size_t i = 1; i <= n; i++) {
            if (i == n || v[i].pred != v[col].pred) {
                p += pairs_of(i - col);
                col = i;
            }
        }
        free(v);
    }

    wd_scores s;
    memset(&s, 0, sizeof s);
    s.true_pairs = (double)tp;
    s.gold_pairs = (double)g;
    s.predicted_pairs = (double)p;
    s.precision = p == 0 ? 1.0 : (double)tp / (double)p;
    s.recall = g == 0 ? 1.0 : (double)tp / (double)g;
    s.f1 = (s.precision + s.recall == 0.0)
               ? 0.0
               : 2.0 * s.precision * s.recall / (s.precision + s.recall);

    uint64_t all = pairs_of((uint64_t)n);   /* N = C(n,2) */
    if ((g == 0 && p == 0) || (g == all && p == all)) {
        s.ari = 1.0;                          /* denominator 0 */
    } else {
        wide num = (wide)all * tp, chance = (wide)g * p;
        wide den = (wide)g * (all - p) + (wide)p * (all - g);
        s.ari = 2.0 * wide_diff(num, chance) / (double)den;
    }

    *out = s;
    return WD_OK;
}
