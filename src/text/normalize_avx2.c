/*
 * normalize_avx2.c - the ASCII fast path of wd_normalize() for AVX2
 * (see normalize_simd.h; compiled with -mavx2 -mbmi2).
 *
 * Per 32 bytes:
 *   alpha = (c | 0x20) in 'a'..'z'       digit = c in '0'..'9'
 *   out   = alpha ? c | 0x20 : digit ? c : ' '
 *   sep   = ~movemask(alpha | digit)     one bit per byte
 *   drop  = sep & (sep << 1 | carry)     a separator right after one
 * and the bytes not in drop are packed eight at a time with pshufb.
 */
#include "normalize_simd.h"

#include <string.h>

/* One byte the scalar way: the fold of normalize.c's ascii_fold table. */
static inline unsigned fold1(unsigned c)
{
    unsigned l = c | 0x20;
    if (l - 'a' < 26) return l;
    if (c - '0' < 10) return c;
    return ' ';
}

/* The scalar loop for s[i..m), carrying "last byte out was a separator". */
static size_t tail(const unsigned char *s, size_t i, size_t m, char *d, size_t o,
                   uint32_t *carry)
{
    uint32_t c = *carry;
    for (; i < m; i++) {
        unsigned v = fold1(s[i]);
        uint32_t sep = v == ' ';
        d[o] = (char)v;
        o += !(sep & c);
        c = sep;
    }
    *carry = c;
    return o;
}

#if defined(__AVX2__)
#include <immintrin.h>

/* Packs the bytes of the 16-byte x whose bits are set in keep (16 bits) to
 * d[o] and returns the new o; stores 16 bytes from d + o. */
static inline size_t pack16(__m128i x, unsigned keep, char *d, size_t o)
{
    unsigned k0 = keep & 0xFF, k1 = keep >> 8;
    /* The high half's indices point into bytes 8..15: add 8 (0x80 + 8
     * still has the top bit, so it still writes zero). */
    __m128i hi = _mm_add_epi8(_mm_cvtsi64_si128((long long)wd_compact8[k1]), _mm_set1_epi8(8));
    __m128i idx = _mm_unpacklo_epi64(_mm_cvtsi64_si128((long long)wd_compact8[k0]), hi);
    __m128i p = _mm_shuffle_epi8(x, idx);
    _mm_storel_epi64((__m128i *)(void *)(d + o), p);
    o += (size_t)__builtin_popcount(k0);
    _mm_storel_epi64((__m128i *)(void *)(d + o), _mm_unpackhi_epi64(p, p));
    return o + (size_t)__builtin_popcount(k1);
}

size_t wd_ascii_run_avx2(const unsigned char *s, size_t m, char *d, size_t o, int *kind)
{
    if (m == 0) return o;
    if (*kind == WD_K_SOLO) d[o++] = ' ';  /* right for a word and a separator alike */
    uint32_t carry = *kind != WD_K_WORD;   /* the last byte out is a separator */
    size_t i = 0;
    const __m256i x20 = _mm256_set1_epi8(0x20), sp = _mm256_set1_epi8(' ');
    const __m256i a1 = _mm256_set1_epi8('a' - 1), z1 = _mm256_set1_epi8('z' + 1);
    const __m256i d1 = _mm256_set1_epi8('0' - 1), n1 = _mm256_set1_epi8('9' + 1);
    for (; i + 32 <= m; i += 32) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        __m256i l = _mm256_or_si256(c, x20);
        /* ASCII only (the caller cuts the run there), so signed compares work. */
        __m256i alpha = _mm256_and_si256(_mm256_cmpgt_epi8(l, a1), _mm256_cmpgt_epi8(z1, l));
        __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(c, d1), _mm256_cmpgt_epi8(n1, c));
        __m256i word = _mm256_or_si256(alpha, digit);
        __m256i out = _mm256_blendv_epi8(sp, _mm256_or_si256(c, _mm256_and_si256(alpha, x20)), word);
        uint32_t sep = ~(uint32_t)_mm256_movemask_epi8(word);
        uint32_t keep = ~(sep & (sep << 1 | carry));
        carry = sep >> 31;
        o = pack16(_mm256_castsi256_si128(out), keep & 0xFFFF, d, o);
        o = pack16(_mm256_extracti128_si256(out, 1), keep >> 16, d, o);
    }
    o = tail(s, i, m, d, o, &carry);
    *kind = carry ? WD_K_SEP : WD_K_WORD;
    return o;
}

#else /* no AVX2 in this build: never selected, kept for linking */

size_t wd_ascii_run_avx2(const unsigned char *s, size_t m, char *d, size_t o, int *kind)
{
    if (m == 0) return o;
    if (*kind == WD_K_SOLO) d[o++] = ' ';
    uint32_t carry = *kind != WD_K_WORD;
    o = tail(s, 0, m, d, o, &carry);
    *kind = carry ? WD_K_SEP : WD_K_WORD;
    return o;
}

#endif
