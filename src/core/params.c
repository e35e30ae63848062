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
    p->threshold = 0.25;
    p->containment = 0.5;
    p->bands = 0;
    p->rows = 0;
    p->threads = 0;
    p->sketch = WD_SKETCH_MINHASH;
    p->cluster = WD_CLUSTER_COMPONENTS;
    p->max_distance = 3;
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
    if (p->max_distance > 64) return WD_E_INVALID;
    /* Not built yet: accepted by the type, refused until implemented. */
    if (p->sketch == WD_SKETCH_SIMHASH) return WD_E_UNSUPPORTED;
    return WD_OK;
}

double wd_lsh_probability(double s, unsigned bands, unsigned rows)
{
    if (s <= 0.0) return 0.0;
    if (s >= 1.0) return 1.0;
    return 1.0 - pow(1.0 - pow(s, rows), bands);
}

/* Integral of f over [a, b] by Simpson's rule; the S-curve is smooth. */
static double area(double a, double b, unsigned bands, unsigned rows, int miss)
{
    const int n = 200; /* even */
    double h = (b - a) / n, sum = 0.0;
    for (int i = 0; i <= n; i++) {
        double s = a + i * h;
        double f = wd_lsh_probability(s, bands, rows);
        if (miss) f = 1.0 - f;
        sum += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
    }
    return sum * h / 3.0;
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
    for (unsigned r = 1; r <= num_hashes; r++) {
        for (unsigned b = 1; b * r <= num_hashes; b++) {
            double err = WD_LSH_FP_WEIGHT * area(0.0, threshold, b, r, 0) +
                         WD_LSH_FN_WEIGHT * area(threshold, 1.0, b, r, 1);
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
