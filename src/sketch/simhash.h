/*
 * simhash.h - 64-bit SimHash fingerprints of shingle sets (Charikar 2002).
 *
 * Every shingle hash h is re-mixed with the seed into a feature
 *     f = mix(h ^ key(seed))           mix = splitmix64's finalizer
 * and votes on each of the 64 bits: +w when bit j of f is set, -w when it
 * is clear. Bit j of the fingerprint is 1 when the vote is positive:
 *
 *     fp_j = 1  iff  2 * S_j > W,   S_j = sum of w over features with bit j set,
 *                                   W   = sum of all w
 *
 * (S_j - (W - S_j) > 0). A tie gives 0, so the empty set gives 0. Two sets
 * that share most of their (weight) mass agree on most bits: the expected
 * Hamming distance grows with the angle between the weighted feature
 * vectors, so near-duplicates land within a few bits and unrelated sets at
 * ~32.
 *
 * Counting is exact integer arithmetic, so every ISA variant returns the
 * same fingerprint bit for bit; wd_simhash() picks one with wd_isa_active().
 *
 * Unweighted (w = 1 each): the 64 per-bit counts are a "positional
 * popcount", computed with carry-save adders (Harley-Seal) over the
 * bit-sliced features; see simhash.c. Weighted: w in 0..255 per feature,
 * summed in 16-bit SIMD lanes. Weight 0 drops a feature; dropping features
 * is cheaper done by filtering the list and calling wd_simhash().
 */
#ifndef WD_SKETCH_SIMHASH_H
#define WD_SKETCH_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

/* Fingerprint of the n shingle hashes sh[0..n) with weight 1 each. The
 * input need not be sorted; a repeated hash votes once per occurrence. */
uint64_t wd_simhash(const uint64_t *sh, size_t n, uint64_t seed);

/* Fingerprint with weight w[i] (0..255) for sh[i]. */
uint64_t wd_simhash_weighted(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t seed);

/* Hamming distance of two fingerprints. */
static inline unsigned wd_simhash_distance(uint64_t a, uint64_t b)
{
    return (unsigned)__builtin_popcountll(a ^ b);
}

/* ---- internals shared by the ISA variants (tests and benchmarks call the
 * kernels directly) ------------------------------------------------------ */

#define WD_SIMHASH_M1 0xbf58476d1ce4e5b9ULL
#define WD_SIMHASH_M2 0x94d049bb133111ebULL

/* splitmix64's finalizer: a bijection of 64-bit words. */
static inline uint64_t wd_simhash_mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * WD_SIMHASH_M1;
    x = (x ^ (x >> 27)) * WD_SIMHASH_M2;
    return x ^ (x >> 31);
}

/* The value every shingle hash is xored with before mixing. */
static inline uint64_t wd_simhash_key(uint64_t seed)
{
    return wd_simhash_mix(seed ^ 0x73696d68617368ULL); /* "simhash" */
}

/* Kernels: key = wd_simhash_key(seed). A variant the build or the CPU
 * cannot run must not be called (wd_isa_supported). */
uint64_t wd_simhash_scalar(const uint64_t *sh, size_t n, uint64_t key);
uint64_t wd_simhash_avx2(const uint64_t *sh, size_t n, uint64_t key);
uint64_t wd_simhash_avx512(const uint64_t *sh, size_t n, uint64_t key);
uint64_t wd_simhash_weighted_scalar(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key);
uint64_t wd_simhash_weighted_avx2(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key);
uint64_t wd_simhash_weighted_avx512(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key);

#endif
