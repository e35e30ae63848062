/*
 * oph.h - one-permutation hashing with optimal densification
 *         (Shrivastava 2017, "Optimal Densification for Fast and Accurate
 *         Minwise Hashing", ICML).
 *
 * Classic MinHash evaluates n hash functions per shingle; OPH evaluates one
 * and splits its range into n bins:
 *
 *     f(x)  = mix(x ^ key)                  64 bits, key drawn from the seed
 *     bin   = (hi32(f) * n) >> 32           which of the n bins
 *     value = lo32(f)
 *     sig[bin] = min over the shingles that fall in bin of value
 *
 * (mix = splitmix64's finalizer.) Two sets agree in a bin that is non-empty
 * for both with probability equal to their Jaccard similarity. A bin no
 * shingle fell into is filled by optimal densification: for attempt
 * t = 1, 2, ..., empty bin i probes bin
 *     j(i, t) = (hi32(mix(key2 ^ (i << 32 | t))) * n) >> 32
 * and takes the value of the first j(i, t) that was non-empty before
 * densification. The probe sequence depends only on the seed and i, so two
 * documents fill an empty bin from the same sequence, which keeps every bin
 * an unbiased Jaccard estimator with MinHash's variance (the paper's
 * result).
 *
 * The signature has the same length and meaning as a MinHash signature, so
 * LSH banding and verification are unchanged. An empty set gives all
 * UINT32_MAX.
 *
 * Cost: one mix and one read-modify-write per shingle, plus the probes:
 * about n / m per empty bin when m bins are non-empty, which is what
 * dominates for short documents. The first WD_OPH_PROBES probes of every
 * bin are therefore precomputed per seed and tested eight at a time without
 * a branch; later ones are computed as defined above.
 */
#ifndef WD_SKETCH_OPH_H
#define WD_SKETCH_OPH_H

#include <stddef.h>
#include <stdint.h>

#define WD_OPH_PROBES 16

typedef struct wd_oph {
    unsigned n;        /* bins = signature length */
    uint64_t key;      /* shingle mixing key */
    uint64_t key2;     /* densification probe key */
    uint16_t *probe;   /* n x WD_OPH_PROBES: j(i, t) for t = 1 .. WD_OPH_PROBES */
} wd_oph;

/* Prepares n (1..WD_MAX_HASHES) bins for seed. WD_OK or WD_E_NOMEM. */
int wd_oph_init(wd_oph *o, unsigned n, uint64_t seed);
void wd_oph_free(wd_oph *o);

/* Signature of the shingle hashes sh[0..count) (repeats allowed) into
 * sig[0..o->n). */
void wd_oph_sign(const wd_oph *o, const uint64_t *sh, size_t count, uint32_t *sig);

#endif
