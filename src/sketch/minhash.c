/* minhash.c - classic MinHash (see minhash.h for the hash family), the
 * scalar reference kernel and the ISA dispatch. */
#include "minhash.h"

#include <stdlib.h>
#include <string.h>

#include "wiredup.h"
#include "../common/cpu.h"

uint64_t wd_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int wd_minhash_init(wd_minhash *m, unsigned n, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    m->npad = (n + WD_MINHASH_PAD - 1) / WD_MINHASH_PAD * WD_MINHASH_PAD;
    if (m->npad == 0) m->npad = WD_MINHASH_PAD;
    const size_t np = m->npad;
    /* a, b (n each), then the SIMD tables: 64-byte aligned, a multiple of
     * 64 bytes each since npad is a multiple of 16. */
    size_t bytes = 2 * np * 8 + np * 4 + 4 * (np / 2) * 8;
    m->mem = aligned_alloc(64, bytes);
    if (!m->mem) return WD_E_NOMEM;
    uint64_t *p = m->mem;
    m->a = p;
    m->b = p + np;
    m->lo_e = p + 2 * np;
    m->lo_o = m->lo_e + np / 2;
    m->b_e = m->lo_o + np / 2;
    m->b_o = m->b_e + np / 2;
    m->ahi = (uint32_t *)(m->b_o + np / 2);
    uint64_t st = seed ^ 0x6d696e68617368ULL; /* "minhash" */
    for (unsigned i = 0; i < n; i++) {
        m->a[i] = wd_splitmix64(&st) | 1;
        m->b[i] = wd_splitmix64(&st);
    }
    for (size_t i = n; i < np; i++) { /* padding: computed, never written out */
        m->a[i] = 1;
        m->b[i] = 0;
    }
    for (size_t i = 0; i < np; i++) {
        size_t q = i / 4, r = i % 4;
        uint64_t *lo = r < 2 ? m->lo_e : m->lo_o, *bb = r < 2 ? m->b_e : m->b_o;
        lo[2 * q + r % 2] = (uint32_t)m->a[i];
        bb[2 * q + r % 2] = m->b[i];
        m->ahi[i] = (uint32_t)(m->a[i] >> 32);
    }
    return WD_OK;
}

void wd_minhash_free(wd_minhash *m)
{
    free(m->mem);
    memset(m, 0, sizeof *m);
}

/*
 * The reference: h_i exactly as minhash.h defines it. Shingle-major order:
 * one pass over the shingles, each updating all n minima, keeps the
 * signature in L1.
 */
void wd_minhash_sign_scalar(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig)
{
    const unsigned n = m->n;
    const uint64_t *a = m->a, *b = m->b;
    for (unsigned i = 0; i < n; i++) sig[i] = UINT32_MAX;
    for (size_t k = 0; k < count; k++) {
        uint64_t x = (uint32_t)sh[k];
        for (unsigned i = 0; i < n; i++) {
            uint32_t h = (uint32_t)((a[i] * x + b[i]) >> 32);
            sig[i] = h < sig[i] ? h : sig[i];
        }
    }
}

void wd_minhash_sign(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig)
{
    switch (wd_isa_active()) {
    case WD_ISA_AVX512: wd_minhash_sign_avx512(m, sh, count, sig); return;
    case WD_ISA_AVX2: wd_minhash_sign_avx2(m, sh, count, sig); return;
    default: wd_minhash_sign_scalar(m, sh, count, sig); return;
    }
}

unsigned wd_sig_agree_scalar(const uint32_t *x, const uint32_t *y, unsigned n)
{
    unsigned eq = 0;
    for (unsigned i = 0; i < n; i++) eq += x[i] == y[i];
    return eq;
}

unsigned wd_sig_agree(const uint32_t *x, const uint32_t *y, unsigned n)
{
    switch (wd_isa_active()) {
    case WD_ISA_AVX512: return wd_sig_agree_avx512(x, y, n);
    case WD_ISA_AVX2: return wd_sig_agree_avx2(x, y, n);
    default: return wd_sig_agree_scalar(x, y, n);
    }
}
