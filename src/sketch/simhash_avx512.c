/*
 * simhash_avx512.c - SimHash kernels for AVX-512 F/BW/DQ/VL.
 *
 * Mirrors simhash_avx2.c with eight features per register:
 *   - mixing with the native 64-bit multiply (vpmullq, DQ);
 *   - each CSA is two vpternlogq (majority 0xE8, xor3 0x96) on 16
 *     registers = 128 features per block; the carry-out's eight lanes are
 *     expanded with vpmovm2b (a 64-bit mask to 64 bytes, BW), so byte j
 *     counts bit j (no permuted order); flushed every 31 blocks;
 *   - weighted: a masked 16-bit add of the weight, the feature itself being
 *     the mask (bits 0..31 and 32..63 into two registers), flushed every
 *     257 features.
 * A document small enough that nothing was flushed (the usual case) is
 * finished in registers: 16-bit counts compared with n / 2 give the
 * fingerprint as two 32-bit masks.
 */
#include "simhash.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__)
#include <immintrin.h>
#include <string.h>

static inline __m512i mix8(__m512i x, __m512i key)
{
    const __m512i m1 = _mm512_set1_epi64((long long)WD_SIMHASH_M1);
    const __m512i m2 = _mm512_set1_epi64((long long)WD_SIMHASH_M2);
    x = _mm512_xor_si512(x, key);
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 30));
    x = _mm512_mullo_epi64(x, m1);
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 27));
    x = _mm512_mullo_epi64(x, m2);
    return _mm512_xor_si512(x, _mm512_srli_epi64(x, 31));
}

static inline __m512i load_mix(const uint64_t *p, __m512i key)
{
    return mix8(_mm512_loadu_si512((const void *)p), key);
}

#define CSA(h, l, a, b, c)                                  \
    do {                                                    \
        __m512i a_ = (a), b_ = (b), c_ = (c);               \
        h = _mm512_ternarylogic_epi64(a_, b_, c_, 0xe8);    \
        l = _mm512_ternarylogic_epi64(a_, b_, c_, 0x96);    \
    } while (0)

/* Adds every bit of the eight lanes of v to the byte counters (+0..8). */
static inline __m512i add8(__m512i acc, __m512i v)
{
    _Alignas(64) uint64_t lane[8];
    _mm512_store_si512((void *)lane, v);
    for (int k = 0; k < 8; k++) acc = _mm512_sub_epi8(acc, _mm512_movm_epi8(_cvtu64_mask64(lane[k])));
    return acc;
}

static inline void flush(__m512i *acc, uint64_t tot[64], uint64_t unit)
{
    uint8_t c[64];
    _mm512_storeu_si512((void *)c, *acc);
    for (int j = 0; j < 64; j++) tot[j] += unit * c[j];
    *acc = _mm512_setzero_si512();
}

uint64_t wd_simhash_avx512(const uint64_t *sh, size_t n, uint64_t key)
{
    const __m512i vkey = _mm512_set1_epi64((long long)key);
    __m512i ones = _mm512_setzero_si512(), twos = ones, fours = ones, eights = ones;
    __m512i acc = _mm512_setzero_si512(); /* sixteens per bit, bytes <= 8 * blocks */
    uint64_t tot[64];                      /* flushed totals, once flushed */
    int flushed = 0;
    unsigned blocks = 0;                   /* blocks since the last flush */
    size_t i = 0;

    for (; i + 128 <= n; i += 128) {
        __m512i twosA, twosB, foursA, foursB, eightsA, eightsB, sixteens;
        const uint64_t *p = sh + i;
        CSA(twosA, ones, ones, load_mix(p + 0, vkey), load_mix(p + 8, vkey));
        CSA(twosB, ones, ones, load_mix(p + 16, vkey), load_mix(p + 24, vkey));
        CSA(foursA, twos, twos, twosA, twosB);
        CSA(twosA, ones, ones, load_mix(p + 32, vkey), load_mix(p + 40, vkey));
        CSA(twosB, ones, ones, load_mix(p + 48, vkey), load_mix(p + 56, vkey));
        CSA(foursB, twos, twos, twosA, twosB);
        CSA(eightsA, fours, fours, foursA, foursB);
        CSA(twosA, ones, ones, load_mix(p + 64, vkey), load_mix(p + 72, vkey));
        CSA(twosB, ones, ones, load_mix(p + 80, vkey), load_mix(p + 88, vkey));
        CSA(foursA, twos, twos, twosA, twosB);
        CSA(twosA, ones, ones, load_mix(p + 96, vkey), load_mix(p + 104, vkey));
        CSA(twosB, ones, ones, load_mix(p + 112, vkey), load_mix(p + 120, vkey));
        CSA(foursB, twos, twos, twosA, twosB);
        CSA(eightsB, fours, fours, foursA, foursB);
        CSA(sixteens, eights, eights, eightsA, eightsB);
        acc = add8(acc, sixteens);
        if (++blocks == 31) {
            if (!flushed) memset(tot, 0, sizeof tot);
            flush(&acc, tot, 16);
            flushed = 1;
            blocks = 0;
        }
    }
    /* < 128 left, one register at a time; <= 1 carry per lane and bit, so
     * bytes stay <= 8 * 30 + 8. */
    while (i < n) {
        size_t rem = n - i < 8 ? n - i : 8;
        __mmask8 valid = (__mmask8)((1u << rem) - 1);
        __m512i x = _mm512_maskz_mov_epi64(valid, mix8(_mm512_maskz_loadu_epi64(valid, sh + i), vkey));
        i += rem;
        __m512i c = _mm512_and_si512(ones, x);
        ones = _mm512_xor_si512(ones, x);
        x = _mm512_and_si512(twos, c);
        twos = _mm512_xor_si512(twos, c);
        c = _mm512_and_si512(fours, x);
        fours = _mm512_xor_si512(fours, x);
        x = _mm512_and_si512(eights, c);
        eights = _mm512_xor_si512(eights, c);
        if (_mm512_test_epi64_mask(x, x)) acc = add8(acc, x);
    }

    /* Remainders: level L adds 2^L per set bit; bytes <= 8 lanes * 15. */
    __m512i r = _mm512_setzero_si512();
    const __m512i lv[4] = { ones, twos, fours, eights };
    for (int L = 0; L < 4; L++) {
        const __m512i weight = _mm512_set1_epi8((char)(1 << L));
        _Alignas(64) uint64_t lane[8];
        _mm512_store_si512((void *)lane, lv[L]);
        for (int k = 0; k < 8; k++) r = _mm512_mask_add_epi8(r, _cvtu64_mask64(lane[k]), r, weight);
    }

    if (!flushed) { /* n < 32 * 128: counts <= 16 * 248 + 120 fit 16 bits */
        const __m512i t = _mm512_set1_epi16((short)(n >> 1)); /* 2c > n <=> c > n/2 */
        __m512i c0 = _mm512_add_epi16(_mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(acc)), 4),
                                      _mm512_cvtepu8_epi16(_mm512_castsi512_si256(r)));
        __m512i c1 = _mm512_add_epi16(_mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(acc, 1)), 4),
                                      _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(r, 1)));
        return (uint64_t)_cvtmask32_u32(_mm512_cmpgt_epu16_mask(c0, t)) |
               (uint64_t)_cvtmask32_u32(_mm512_cmpgt_epu16_mask(c1, t)) << 32;
    }
    flush(&acc, tot, 16);
    flush(&r, tot, 1);
    uint64_t fp = 0;
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * tot[j] > n) << j;
    return fp;
}

uint64_t wd_simhash_weighted_avx512(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key)
{
    const __m512i vkey = _mm512_set1_epi64((long long)key);
    __m512i lo = _mm512_setzero_si512(), hi = lo;  /* 16-bit sums of bits 0..31, 32..63 */
    uint64_t s[64], total = 0;
    int flushed = 0;
    unsigned since = 0;         /* features since the flush: lanes <= 255 * since */
    _Alignas(64) uint64_t f[8];

    for (size_t i = 0; i < n; i += 8) {
        size_t m = n - i < 8 ? n - i : 8;
        __mmask8 valid = (__mmask8)((1u << m) - 1);
        _mm512_store_si512((void *)f, mix8(_mm512_maskz_loadu_epi64(valid, sh + i), vkey));
        for (size_t k = 0; k < m; k++) {
            if (since == 257) {
                uint16_t c[64];
                if (!flushed) memset(s, 0, sizeof s);
                _mm512_storeu_si512((void *)c, lo);
                _mm512_storeu_si512((void *)(c + 32), hi);
                for (int j = 0; j < 64; j++) s[j] += c[j];
                lo = hi = _mm512_setzero_si512();
                flushed = 1;
                since = 0;
            }
            const __m512i wv = _mm512_set1_epi16((short)w[i + k]);
            total += w[i + k];
            lo = _mm512_mask_add_epi16(lo, _cvtu32_mask32((uint32_t)f[k]), lo, wv);
            hi = _mm512_mask_add_epi16(hi, _cvtu32_mask32((uint32_t)(f[k] >> 32)), hi, wv);
            since++;
        }
    }
    if (!flushed) { /* every sum <= 65535; bits where sum > floor(total / 2) */
        const __m512i t = _mm512_set1_epi16((short)(total >> 1));
        return (uint64_t)_cvtmask32_u32(_mm512_cmpgt_epu16_mask(lo, t)) |
               (uint64_t)_cvtmask32_u32(_mm512_cmpgt_epu16_mask(hi, t)) << 32;
    }
    uint16_t c[64];
    _mm512_storeu_si512((void *)c, lo);
    _mm512_storeu_si512((void *)(c + 32), hi);
    for (int j = 0; j < 64; j++) s[j] += c[j];
    uint64_t fp = 0;
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * s[j] > total) << j;
    return fp;
}

#else /* no AVX-512 in this build: never selected, kept for linking */

uint64_t wd_simhash_avx512(const uint64_t *sh, size_t n, uint64_t key)
{
    return wd_simhash_scalar(sh, n, key);
}

uint64_t wd_simhash_weighted_avx512(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key)
{
    return wd_simhash_weighted_scalar(sh, w, n, key);
}

#endif
