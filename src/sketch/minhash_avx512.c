/*
 * minhash_avx512.c - MinHash kernel for AVX-512 F/BW/DQ/VL.
 *
 * minhash_avx2.c with sixteen hashes per register: vpmuludq gives eight
 * 64-bit products, vshufps 0xDD picks the high halves per 128-bit lane in
 * the same [even0 even1 odd0 odd1] order, so the tables of minhash.h serve
 * both widths.
 */
#include "minhash.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__)
#include <immintrin.h>

static inline __m512i hash16(__m512i x, __m512i le, __m512i lo, __m512i be, __m512i bo,
                             __m512i ah)
{
    __m512i e = _mm512_add_epi64(_mm512_mul_epu32(le, x), be);
    __m512i o = _mm512_add_epi64(_mm512_mul_epu32(lo, x), bo);
    __m512i hi = _mm512_castps_si512(
        _mm512_shuffle_ps(_mm512_castsi512_ps(e), _mm512_castsi512_ps(o), 0xDD));
    return _mm512_add_epi32(hi, _mm512_mullo_epi32(ah, x));
}

void wd_minhash_sign_avx512(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig)
{
    const unsigned n = m->n;
    for (unsigned g = 0; g < n; g += 16) {
        const __m512i le = _mm512_load_si512((const void *)(m->lo_e + g / 2));
        const __m512i lo = _mm512_load_si512((const void *)(m->lo_o + g / 2));
        const __m512i be = _mm512_load_si512((const void *)(m->b_e + g / 2));
        const __m512i bo = _mm512_load_si512((const void *)(m->b_o + g / 2));
        const __m512i ah = _mm512_load_si512((const void *)(m->ahi + g));
        __m512i s0 = _mm512_set1_epi32(-1), s1 = s0;
        size_t k = 0;
        for (; k + 2 <= count; k += 2) {
            __m512i x0 = _mm512_set1_epi32((int)(uint32_t)sh[k]);
            __m512i x1 = _mm512_set1_epi32((int)(uint32_t)sh[k + 1]);
            s0 = _mm512_min_epu32(s0, hash16(x0, le, lo, be, bo, ah));
            s1 = _mm512_min_epu32(s1, hash16(x1, le, lo, be, bo, ah));
        }
        if (k < count)
            s0 = _mm512_min_epu32(s0, hash16(_mm512_set1_epi32((int)(uint32_t)sh[k]),
                                             le, lo, be, bo, ah));
        s0 = _mm512_min_epu32(s0, s1);
        unsigned left = n - g;
        __mmask16 keep = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        _mm512_mask_storeu_epi32(sig + g, keep, s0);
    }
}

unsigned wd_sig_agree_avx512(const uint32_t *x, const uint32_t *y, unsigned n)
{
    unsigned eq = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i a = _mm512_loadu_si512((const void *)(x + i));
        __m512i b = _mm512_loadu_si512((const void *)(y + i));
        eq += (unsigned)__builtin_popcount((unsigned)_mm512_cmpeq_epi32_mask(a, b));
    }
    if (i < n) {
        __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
        __m512i a = _mm512_maskz_loadu_epi32(k, x + i);
        __m512i b = _mm512_maskz_loadu_epi32(k, y + i);
        eq += (unsigned)__builtin_popcount((unsigned)_mm512_mask_cmpeq_epi32_mask(k, a, b));
    }
    return eq;
}

#else /* no AVX-512 in this build: never selected, kept for linking */

unsigned wd_sig_agree_avx512(const uint32_t *x, const uint32_t *y, unsigned n)
{
    return wd_sig_agree_scalar(x, y, n);
}

void wd_minhash_sign_avx512(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig)
{
    wd_minhash_sign_scalar(m, sh, count, sig);
}

#endif
