/*
 * features.h - everything the index needs from one document's text:
 * normalize -> exact hash -> shingles -> MinHash or OPH signature.
 */
#ifndef WD_CORE_FEATURES_H
#define WD_CORE_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "wiredup.h"
#include "../common/buf.h"
#include "../sketch/minhash.h"
#include "../sketch/oph.h"

/* Per-thread scratch, reused across documents. A cache line of its own:
 * the lengths change all the time, and two threads' scratch side by side
 * in an array would bounce that line between their cores. */
typedef struct wd_scratch {
    _Alignas(64) wd_buf norm;  /* normalized text */
    wd_u64s sh;                /* shingle hashes */
    wd_buf masked;             /* text with boilerplate removed */
    struct wd_mask_rules *mask;/* this thread's rules (regexec locks a shared
                                  pattern), or NULL when p->mask is 0 */
    struct wd_docfreq *count;  /* counts each document's shingles (template
                                  streaming: this thread's pending sketch), or NULL */
    const struct wd_tmpl *tmpl;/* drops template shingles before sketching, or NULL */
} wd_scratch;

/* Prepares scratch for *p: compiles its masking rules when p->mask.
 * WD_OK, WD_E_NOMEM or WD_E_INVALID (a bad rules file). */
int wd_scratch_init(wd_scratch *s, const wd_params *p);
void wd_scratch_free(wd_scratch *s);

/* What turns shingles into a signature, prepared once from the parameters:
 * the permutations of classic MinHash or the probe tables of OPH. */
typedef struct wd_sketcher {
    wd_sketch_kind kind;  /* WD_SKETCH_MINHASH or WD_SKETCH_OPH */
    wd_minhash mh;        /* MinHash permutations (kind == MINHASH) */
    wd_oph oph;           /* OPH bins and probes (kind == OPH) */
} wd_sketcher;

/* WD_OK, WD_E_NOMEM, or WD_E_UNSUPPORTED for a sketch without signature. */
int wd_sketcher_init(wd_sketcher *k, const wd_params *p);
void wd_sketcher_free(wd_sketcher *k);

/*
 * The first half of wd_features(): masks, normalizes and hashes the text
 * into hash[16] and leaves its distinct shingles in s->sh (neither counted
 * nor filtered). WD_OK, WD_E_NOMEM or WD_E_LIMIT.
 */
int wd_doc_shingles(const wd_params *p, wd_scratch *s, const char *text, size_t len,
                    uint8_t hash[16]);

/*
 * Computes the XXH3-128 of the normalized text into hash[16], the signature
 * into sig[0..p->num_hashes) (MinHash or OPH, as k was made) and the
 * number of distinct shingles into *shingles (0 for an empty document).
 * When s->count is set the shingles are counted there first; when s->tmpl
 * is set the common ones are then left out of the signature and of
 * *shingles (all of them kept when all are common). Leaves the normalized
 * text and the sketched shingles (in no particular order: wd_shingle_set)
 * in s. WD_OK or WD_E_NOMEM.
 */
int wd_features(const wd_params *p, const wd_sketcher *k, wd_scratch *s,
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
/* Signature words a document takes: num_hashes, or 2 for a SimHash
 * fingerprint (low word first). */
static inline unsigned wd_sig_words(const wd_params *p)
{
    return p->sketch == WD_SKETCH_SIMHASH ? 2 : p->num_hashes;
}

/* SimHash: the fingerprint in a signature, and the Jaccard similarity a
 * Hamming distance stands for (Charikar: the angle is pi d / 64; for sets
 * of sizes na and nb, cos = |A n B| / sqrt(na nb)). */
static inline uint64_t wd_sig_fp(const uint32_t *sig)
{
    return (uint64_t)sig[0] | (uint64_t)sig[1] << 32;
}
double wd_simhash_jaccard(unsigned distance, unsigned na, unsigned nb);

int wd_pair_accept(const wd_params *p, unsigned agree, double jaccard, double containment);

#endif
