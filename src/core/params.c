/*
 * params.c - defaults, validation and the LSH shape for a threshold.
 *
 * The defaults serve syndicated news: copies of one wire story share most
 * 5-word shingles, but truncation, trailers and OCR noise pull word-5-gram
 * Jaccard of true copies down to 0.25 (10th percentile on syndication-dev)
 * while unrelated stories, even templated ones, stay near 0. So the Jaccard
 * threshold is low and a containment rule catches truncated copies. See the
 * README section "Choosing parameters" for the measurements behind them.
 */
#include <math.h>

#include "wiredup.h"

void wd_params_default(wd_params *p)
{
    p->version = WD_PARAMS_VERSION;
    p->shingle = WD_SHINGLE_WORD;
    p->shingle_size = 5;
    p->num_hashes = 128;
    p->seed = 0x5eed;
    p->threshold = 0.30;
    p->containment = 0.5;
    p->bands = 0;
    p->rows = 0;
    p->threads = 0;
    p->sketch = WD_SKETCH_MINHASH;
    p->cluster = WD_CLUSTER_COMPONENTS;
    p->max_distance = 3;
    p->mask = 1;
    p->mask_rules = NULL;
    p->window = 0;
    p->window_seconds = 0;
    p->template_share = 0.0; /* off: syndication-dev has no templates to gain on (README) */
}

int wd_params_check(const wd_params *p)
{
    if (!p || p->version != WD_PARAMS_VERSION) return WD_E_INVALID;
    if (p->shingle != WD_SHINGLE_WORD && p->shingle != WD_SHINGLE_CHAR) return WD_E_INVALID;
    if (p->shingle_size < 1 || p->shingle_size > WD_MAX_SHINGLE) return WD_E_INVALID;
    if (p->num_hashes < 1 || p->num_hashes > WD_MAX_HASHES) return WD_E_INVALID;
    if (!(p->threshold > 0.0 && p->threshold <= 1.0)) return WD_E_INVALID;
    if (!(p->containment >= 0.0 && p->containment <= 1.0)) return WD_E_INVALID;
    if ((p->bands == 0) != (p->rows == 0)) return WD_E_INVALID;
    if (p->bands && (unsigned long)p->bands * p->rows > p->num_hashes) return WD_E_INVALID;
    if (p->sketch != WD_SKETCH_MINHASH && p->sketch != WD_SKETCH_OPH &&
        p->sketch != WD_SKETCH_SIMHASH)
        return WD_E_INVALID;
    if (p->cluster != WD_CLUSTER_COMPONENTS && p->cluster != WD_CLUSTER_LEADER) return WD_E_INVALID;
    if (p->max_distance > 63) return WD_E_INVALID;
    if (p->mask != 0 && p->mask != 1) return WD_E_INVALID;
    /* A window forgets documents; only leader clustering can live with that
     * (components would need every document's cluster). */
    if ((p->window || p->window_seconds) && p->cluster != WD_CLUSTER_LEADER) return WD_E_INVALID;
    if (p->window_seconds > (uint64_t)INT64_MAX) return WD_E_INVALID;
    if (!(p->template_share >= 0.0 && p->template_share <= 1.0)) return WD_E_INVALID;
    return WD_OK;
}

double wd_lsh_probability(double s, unsigned bands, unsigned rows)
{
    if (s <= 0.0) return 0.0;
    if (s >= 1.0) return 1.0;
    return 1.0 - pow(1.0 - pow(s, rows), bands);
}

/* Simpson's rule over [a, b] in AREA_STEPS steps; the S-curve is smooth. */
#define AREA_STEPS 200 /* even */

/* The grid of one area: s_i = a + i h and s_i^rows, computed once per rows
 * value and shared by every bands value (the shape search below calls pow
 * half as often; the values are the very ones wd_lsh_probability() uses). */
typedef struct area_grid {
    double a, h;
    double s[AREA_STEPS + 1];
    double sr[AREA_STEPS + 1];  /* pow(s_i, rows) */
} area_grid;

static void grid_init(area_grid *g, double a, double b, unsigned rows)
{
    g->a = a;
    g->h = (b - a) / AREA_STEPS;
    for (int i = 0; i <= AREA_STEPS; i++) {
        g->s[i] = a + i * g->h;
        g->sr[i] = pow(g->s[i], rows);
    }
}

/* Integral of wd_lsh_probability(s, bands, rows) (or 1 minus it, with
 * miss) over the grid's interval, to the last bit as if each point had
 * called wd_lsh_probability(). */
static double area(const area_grid *g, unsigned bands, int miss)
{
    double sum = 0.0;
    for (int i = 0; i <= AREA_STEPS; i++) {
        double s = g->s[i];
        double f = s <= 0.0 ? 0.0 : s >= 1.0 ? 1.0 : 1.0 - pow(1.0 - g->sr[i], bands);
        if (miss) f = 1.0 - f;
        sum += f * (i == 0 || i == AREA_STEPS ? 1 : (i % 2 ? 4 : 2));
    }
    return sum * g->h / 3.0;
}

/*
 * Why the weights are lopsided: every candidate is verified from the
 * signatures, so a false positive of the S-curve costs one signature
 * comparison, while a false negative is a duplicate lost for good. Equal
 * weights pick curves that pass only half the pairs sitting at the
 * threshold; these pass 90-98% of them.
 */
#ifndef WD_LSH_FP_WEIGHT
#define WD_LSH_FP_WEIGHT 0.05
#endif
#define WD_LSH_FN_WEIGHT (1.0 - WD_LSH_FP_WEIGHT)

int wd_lsh_shape(double threshold, unsigned num_hashes, unsigned *bands, unsigned *rows)
{
    if (!bands || !rows || !(threshold > 0.0 && threshold <= 1.0) ||
        num_hashes < 1 || num_hashes > WD_MAX_HASHES)
        return WD_E_INVALID;
    double best = INFINITY;
    unsigned bb = 1, br = num_hashes;
    area_grid lo, hi;
    for (unsigned r = 1; r <= num_hashes; r++) {
        grid_init(&lo, 0.0, threshold, r);
        grid_init(&hi, threshold, 1.0, r);
        for (unsigned b = 1; b * r <= num_hashes; b++) {
            double err = WD_LSH_FP_WEIGHT * area(&lo, b, 0) +
                         WD_LSH_FN_WEIGHT * area(&hi, b, 1);
            if (err < best - 1e-12) { /* ties keep the smaller shape */
                best = err;
                bb = b;
                br = r;
            }
        }
    }
    *bands = bb;
    *rows = br;
    return WD_OK;
}
