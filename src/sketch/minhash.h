/*
 * minhash.h - classic MinHash signatures over shingle hashes.
 *
 * Permutation i maps a shingle hash x (its low 32 bits) to
 *     h_i(x) = (a_i * x + b_i) >> 32        (64-bit arithmetic)
 * a multiply-add-shift family (Dietzfelbinger), with a_i, b_i drawn from the
 * seed by splitmix64. sig[i] = min over the document's shingles of h_i(x);
 * two signatures agree at i with probability equal to the Jaccard similarity
 * of the shingle sets. An empty set gives all UINT32_MAX.
 *
 * wd_minhash_sign() runs the kernel of the active ISA (wd_isa_active()):
 * the scalar reference in minhash.c or a SIMD variant in minhash_avx2.c /
 * minhash_avx512.c. All of them compute exactly h_i above, so they return
 * the same signature bit for bit.
 */
#ifndef WD_SKETCH_MINHASH_H
#define WD_SKETCH_MINHASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * The SIMD kernels split the 64x32-bit product into 32-bit pieces,
 *     a_i x + b_i = ((a_i_hi x) << 32) + (a_i_lo x + b_i)      (mod 2^64)
 * so that h_i(x) = lo32(a_i_hi x) + hi32(a_i_lo x + b_i): one 32-bit
 * multiply (8 or 16 lanes) and two 32x32->64 multiplies (4 or 8 lanes each)
 * per vector of results. The 64-bit products come out in two registers,
 * "even" and "odd", and one shuffle per 128-bit lane (shufps 0xDD) picks
 * their high halves as [even0 even1 odd0 odd1]; the tables below are laid
 * out so that this order is the natural one. For the 128-bit block q
 * (hash indices 4q .. 4q+3):
 *     lo_e[2q + r] = a_lo, b_e[2q + r] = b  of hash 4q + r      r = 0, 1
 *     lo_o[2q + r] = a_lo, b_o[2q + r] = b  of hash 4q + 2 + r
 *     ahi[4q + r]  = a_hi                   of hash 4q + r      r = 0..3
 * Tables hold npad = n rounded up to WD_MINHASH_PAD entries (the padding
 * hashes' results are never written out).
 */
#define WD_MINHASH_PAD 16

typedef struct wd_minhash {
    unsigned n;      /* signature length */
    uint64_t *a;     /* multipliers, n entries */
    uint64_t *b;     /* offsets, n entries */
    unsigned npad;   /* n rounded up to WD_MINHASH_PAD */
    uint32_t *ahi;   /* npad high halves of a (layout above) */
    uint64_t *lo_e;  /* npad / 2 low halves of a, even products */
    uint64_t *lo_o;  /* npad / 2 low halves of a, odd products */
    uint64_t *b_e;   /* npad / 2 offsets, even products */
    uint64_t *b_o;   /* npad / 2 offsets, odd products */
    void *mem;       /* one allocation behind the five tables */
} wd_minhash;

/* Draws the n permutations from seed. WD_OK or WD_E_NOMEM. */
int wd_minhash_init(wd_minhash *m, unsigned n, uint64_t seed);
void wd_minhash_free(wd_minhash *m);

/* Signature of the shingle hashes sh[0..count) into sig[0..m->n). The
 * input may hold repeats (a minimum does not care). */
void wd_minhash_sign(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig);

/* The kernels behind wd_minhash_sign(), callable directly by tests and
 * benchmarks; an ISA variant must only be called when the CPU supports it. */
void wd_minhash_sign_scalar(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig);
void wd_minhash_sign_avx2(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig);
void wd_minhash_sign_avx512(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig);

/* Number of positions where two signatures of length n agree (any ISA). */
unsigned wd_sig_agree(const uint32_t *x, const uint32_t *y, unsigned n);
unsigned wd_sig_agree_scalar(const uint32_t *x, const uint32_t *y, unsigned n);
unsigned wd_sig_agree_avx2(const uint32_t *x, const uint32_t *y, unsigned n);
unsigned wd_sig_agree_avx512(const uint32_t *x, const uint32_t *y, unsigned n);

/* splitmix64 step: the project's deterministic stream of 64-bit values. */
uint64_t wd_splitmix64(uint64_t *state);

#endif
