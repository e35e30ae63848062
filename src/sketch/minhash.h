/*
 * minhash.h - classic MinHash signatures over shingle hashes.
 *
 * Permutation i maps a shingle hash x (its low 32 bits) to
 *     h_i(x) = (a_i * x + b_i) >> 32        (64-bit arithmetic)
 * a multiply-add-shift family (Dietzfelbinger), with a_i, b_i drawn from the
 * seed by splitmix64. sig[i] = min over the document's shingles of h_i(x);
 * two signatures agree at i with probability equal to the Jaccard similarity
 * of the shingle sets. An empty set gives all UINT32_MAX.
 */
#ifndef WD_SKETCH_MINHASH_H
#define WD_SKETCH_MINHASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct wd_minhash {
    unsigned n;      /* signature length */
    uint64_t *a;     /* multipliers, n entries */
    uint64_t *b;     /* offsets, n entries */
} wd_minhash;

/* Draws the n permutations from seed. WD_OK or WD_E_NOMEM. */
int wd_minhash_init(wd_minhash *m, unsigned n, uint64_t seed);
void wd_minhash_free(wd_minhash *m);

/* Signature of the shingle hashes sh[0..count) into sig[0..m->n). */
void wd_minhash_sign(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig);

/* Number of positions where two signatures of length n agree. */
unsigned wd_sig_agree(const uint32_t *x, const uint32_t *y, unsigned n);

/* splitmix64 step: the project's deterministic stream of 64-bit values. */
uint64_t wd_splitmix64(uint64_t *state);

#endif
