/*
 * normalize_avx512.c - the ASCII fast path of wd_normalize() for AVX-512
 * F/BW/DQ/VL (see normalize_simd.h).
 *
 * normalize_avx2.c with 64 bytes per step: the classes come out as mask
 * registers, and the kept bytes are packed with the same pshufb table,
 * eight at a time (VBMI2's vpcompressb is not in the baseline this build
 * targets).
 */
#include "normalize_simd.h"

#include <string.h>

static inline unsigned fold1(unsigned c)
{
    unsigned l = c | 0x20;
    if (l - 'a' < 26) return l;
    if (c - '0' < 10) return c;
    return ' ';
}

static size_t tail(const unsigned char *s, size_t i, size_t m, char *d, size_t o,
                   uint64_t *carry)
{
    uint64_t c = *carry;
    for (; i < m; i++) {
        unsigned v = fold1(s[i]);
        uint64_t sep = v == ' ';
        d[o] = (char)v;
        o += !(sep & c);
        c = sep;
    }
    *carry = c;
    return o;
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
#include <immintrin.h>

static inline size_t pack16(__m128i x, unsigned keep, char *d, size_t o)
{
    unsigned k0 = keep & 0xFF, k1 = keep >> 8;
    __m128i hi = _mm_add_epi8(_mm_cvtsi64_si128((long long)wd_compact8[k1]), _mm_set1_epi8(8));
    __m128i idx = _mm_unpacklo_epi64(_mm_cvtsi64_si128((long long)wd_compact8[k0]), hi);
    __m128i p = _mm_shuffle_epi8(x, idx);
    _mm_storel_epi64((__m128i *)(void *)(d + o), p);
    o += (size_t)__builtin_popcount(k0);
    _mm_storel_epi64((__m128i *)(void *)(d + o), _mm_unpackhi_epi64(p, p));
    return o + (size_t)__builtin_popcount(k1);
}

size_t wd_ascii_run_avx512(const unsigned char *s, size_t m, char *d, size_t o, int *kind)
{
    if (m == 0) return o;
    if (*kind == WD_K_SOLO) d[o++] = ' ';
    uint64_t carry = *kind != WD_K_WORD;
    size_t i = 0;
    const __m512i x20 = _mm512_set1_epi8(0x20), sp = _mm512_set1_epi8(' ');
    for (; i + 64 <= m; i += 64) {
        __m512i c = _mm512_loadu_si512((const void *)(s + i));
        __m512i l = _mm512_or_si512(c, x20);
        __mmask64 alpha = _mm512_cmpge_epu8_mask(l, _mm512_set1_epi8('a')) &
                          _mm512_cmple_epu8_mask(l, _mm512_set1_epi8('z'));
        __mmask64 digit = _mm512_cmpge_epu8_mask(c, _mm512_set1_epi8('0')) &
                          _mm512_cmple_epu8_mask(c, _mm512_set1_epi8('9'));
        __mmask64 word = alpha | digit;
        /* letters from l (lowercase), digits from c, the rest a space */
        __m512i out = _mm512_mask_blend_epi8(word, sp, _mm512_mask_blend_epi8(alpha, c, l));
        uint64_t sep = ~(uint64_t)word;
        uint64_t keep = ~(sep & (sep << 1 | carry));
        carry = sep >> 63;
        o = pack16(_mm512_extracti32x4_epi32(out, 0), (unsigned)(keep & 0xFFFF), d, o);
        o = pack16(_mm512_extracti32x4_epi32(out, 1), (unsigned)(keep >> 16 & 0xFFFF), d, o);
        o = pack16(_mm512_extracti32x4_epi32(out, 2), (unsigned)(keep >> 32 & 0xFFFF), d, o);
        o = pack16(_mm512_extracti32x4_epi32(out, 3), (unsigned)(keep >> 48), d, o);
    }
    o = tail(s, i, m, d, o, &carry);
    *kind = carry ? WD_K_SEP : WD_K_WORD;
    return o;
}

#else /* no AVX-512 in this build: never selected, kept for linking */

size_t wd_ascii_run_avx512(const unsigned char *s, size_t m, char *d, size_t o, int *kind)
{
    if (m == 0) return o;
    if (*kind == WD_K_SOLO) d[o++] = ' ';
    uint64_t carry = *kind != WD_K_WORD;
    o = tail(s, 0, m, d, o, &carry);
    *kind = carry ? WD_K_SEP : WD_K_WORD;
    return o;
}

#endif
