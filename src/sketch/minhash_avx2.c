/*
 * minhash_avx2.c - MinHash kernel for AVX2 (compiled with -mavx2 -mbmi2).
 *
 * Eight hashes per register, computed as minhash.h explains:
 *
 *   x = the shingle's low 32 bits, broadcast
 *   even = lo_e * x + b_e     (vpmuludq + vpaddq: 4 64-bit products)
 *   odd  = lo_o * x + b_o
 *   h    = shufps(even, odd, 0xDD) + ahi * x     (high halves; vpmulld)
 *   sig  = min(sig, h)
 *
 * Group-major order: the constants of one group of eight hashes stay in
 * registers while every shingle passes by (two independent minima hide
 * the latency), so the inner loop loads only the broadcast shingle.
 */
#include "minhash.h"

#if defined(__AVX2__)
#include <immintrin.h>
#include <string.h>

static inline __m256i hash8(__m256i x, __m256i le, __m256i lo, __m256i be, __m256i bo,
                            __m256i ah)
{
    __m256i e = _mm256_add_epi64(_mm256_mul_epu32(le, x), be);
    __m256i o = _mm256_add_epi64(_mm256_mul_epu32(lo, x), bo);
    __m256i hi = _mm256_castps_si256(
        _mm256_shuffle_ps(_mm256_castsi256_ps(e), _mm256_castsi256_ps(o), 0xDD));
    return _mm256_add_epi32(hi, _mm256_mullo_epi32(ah, x));
}

void wd_minhash_sign_avx2(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig)
{
    const unsigned n = m->n;
    for (unsigned g = 0; g < n; g += 8) {
        const __m256i le = _mm256_load_si256((const __m256i *)(m->lo_e + g / 2));
        const __m256i lo = _mm256_load_si256((const __m256i *)(m->lo_o + g / 2));
        const __m256i be = _mm256_load_si256((const __m256i *)(m->b_e + g / 2));
        const __m256i bo = _mm256_load_si256((const __m256i *)(m->b_o + g / 2));
        const __m256i ah = _mm256_load_si256((const __m256i *)(m->ahi + g));
        __m256i s0 = _mm256_set1_epi32(-1), s1 = s0;
        size_t k = 0;
        for (; k + 2 <= count; k += 2) {
            __m256i x0 = _mm256_set1_epi32((int)(uint32_t)sh[k]);
            __m256i x1 = _mm256_set1_epi32((int)(uint32_t)sh[k + 1]);
            s0 = _mm256_min_epu32(s0, hash8(x0, le, lo, be, bo, ah));
            s1 = _mm256_min_epu32(s1, hash8(x1, le, lo, be, bo, ah));
        }
        if (k < count)
            s0 = _mm256_min_epu32(s0, hash8(_mm256_set1_epi32((int)(uint32_t)sh[k]),
                                            le, lo, be, bo, ah));
        s0 = _mm256_min_epu32(s0, s1);
        if (g + 8 <= n) {
            _mm256_storeu_si256((__m256i *)(sig + g), s0);
        } else {
            uint32_t tmp[8];
            _mm256_storeu_si256((__m256i *)tmp, s0);
            memcpy(sig + g, tmp, (n - g) * sizeof *sig);
        }
    }
}

unsigned wd_sig_agree_avx2(const uint32_t *x, const uint32_t *y, unsigned n)
{
    unsigned eq = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(x + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(y + i));
        eq += (unsigned)__builtin_popcount(
            (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b))));
    }
    for (; i < n; i++) eq += x[i] == y[i];
    return eq;
}

#else /* no AVX2 in this build: never selected, kept for linking */

unsigned wd_sig_agree_avx2(const uint32_t *x, const uint32_t *y, unsigned n)
{
    return wd_sig_agree_scalar(x, y, n);
}

void wd_minhash_sign_avx2(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig)
{
    wd_minhash_sign_scalar(m, sh, count, sig);
}

#endif
