/*
 * features.h - everything the index needs from one document's text:
 * normalize -> exact hash -> shingles -> MinHash signature.
 */
#ifndef WD_CORE_FEATURES_H
#define WD_CORE_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "wiredup.h"
#include "../common/buf.h"
#include "../sketch/minhash.h"

/* Per-thread scratch, reused across documents. */
typedef struct wd_scratch {
    wd_buf norm;    /* normalized text */
    wd_u64s sh;     /* shingle hashes */
} wd_scratch;

void wd_scratch_free(wd_scratch *s);

/*
 * Computes the XXH3-128 of the normalized text into hash[16], the signature
 * into sig[0..p->num_hashes) and the number of distinct shingles into
 * *shingles (0 for an empty document). Leaves the normalized text and the
 * shingles in s. WD_OK or WD_E_NOMEM.
 */
int wd_features(const wd_params *p, const wd_minhash *m, wd_scratch *s,
                const char *text, size_t len,
                uint8_t hash[16], uint32_t *sig, unsigned *shingles);

/* Containment of the smaller set in the larger, estimated from the Jaccard
 * estimate j and the set sizes: |A n B| = j (|A| + |B|) / (1 + j). */
double wd_containment_est(double j, unsigned na, unsigned nb);

/*
 * The verification rule every candidate pair goes through: estimated
 * Jaccard at or above the threshold, or (when containment is on) estimated
 * containment at or above it backed by at least WD_MIN_AGREE_CONTAINMENT
 * agreeing signature values. The floor exists because one chance agreement
 * makes a tiny document look contained in a long one.
 */
#define WD_MIN_AGREE_CONTAINMENT 4
int wd_pair_accept(const wd_params *p, unsigned agree, double jaccard, double containment);

#endif
