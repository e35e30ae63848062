/*
 * simhash_avx2.c - SimHash kernels for AVX2 (compiled with -mavx2 -mbmi2).
 *
 * Same algorithm as simhash.c, four features per register:
 *   - mixing: splitmix64's finalizer, each 64-bit multiply built from three
 *     32x32->64 vpmuludq;
 *   - unweighted: the Harley-Seal CSA tree on 16 registers (64 features);
 *     the four lanes of its carry-out (sixteens) are expanded to byte masks
 *     and counted in byte lanes, flushed to 64-bit totals every 63 blocks;
 *   - weighted: each feature expanded to 16-bit masks, ANDed with its
 *     weight and added into 16-bit lanes, flushed every 257 features.
 *
 * Bit expansion: a word broadcast to all four qwords, vpshufb copies its
 * byte k/8 to byte k (k = 0..31 for bits 0..31, then 32..63), and an AND
 * with 1 << (k % 8) plus a compare turns bit k into byte k = 0xff. So
 * counter k counts bit k. A document small enough that nothing was flushed
 * (the usual case) is finished in registers: 16-bit counts, one compare
 * with n / 2, and vpmovmskb gives the fingerprint.
 */
#include "simhash.h"

#if defined(__AVX2__)
#include <immintrin.h>
#include <string.h>

/* ---- mixing ------------------------------------------------------------- */

static inline __m256i mul64(__m256i a, uint64_t k)
{
    const __m256i klo = _mm256_set1_epi64x((long long)(k & 0xffffffffu));
    const __m256i khi = _mm256_set1_epi64x((long long)(k >> 32));
    __m256i lo = _mm256_mul_epu32(a, klo);
    __m256i mid = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), klo),
                                   _mm256_mul_epu32(a, khi));
    return _mm256_add_epi64(lo, _mm256_slli_epi64(mid, 32));
}

static inline __m256i mix4(__m256i x, __m256i key)
{
    x = _mm256_xor_si256(x, key);
    x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 30));
    x = mul64(x, WD_SIMHASH_M1);
    x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 27));
    x = mul64(x, WD_SIMHASH_M2);
    return _mm256_xor_si256(x, _mm256_srli_epi64(x, 31));
}

static inline __m256i load_mix(const uint64_t *p, __m256i key)
{
    return mix4(_mm256_loadu_si256((const __m256i *)p), key);
}

/* ---- bit expansion ------------------------------------------------------ */

/* b: one word in all four qwords. Byte k of *lo is 0xff when bit k is set,
 * byte k of *hi when bit 32 + k is. */
static inline void expand8(__m256i b, __m256i *lo, __m256i *hi)
{
    const __m256i idx = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                         2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i l = _mm256_shuffle_epi8(b, idx);
    __m256i h = _mm256_shuffle_epi8(b, _mm256_add_epi8(idx, _mm256_set1_epi8(4)));
    *lo = _mm256_cmpeq_epi8(_mm256_and_si256(l, bit), bit);
    *hi = _mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit);
}

/* Lane k of v in all four qwords. */
#define LANE(v, k) _mm256_permute4x64_epi64(v, (k) * 0x55)

/* ---- unweighted --------------------------------------------------------- */

#define CSA(h, l, a, b, c)                                                        \
    do {                                                                          \
        __m256i a_ = (a), b_ = (b), c_ = (c), u_ = _mm256_xor_si256(a_, b_);      \
        h = _mm256_or_si256(_mm256_and_si256(a_, b_), _mm256_and_si256(u_, c_));  \
        l = _mm256_xor_si256(u_, c_);                                             \
    } while (0)

/* Adds every bit of the four lanes of v to the byte counters (+0..4). */
static inline void add4(__m256i acc[2], __m256i v)
{
    __m256i lo, hi;
    expand8(LANE(v, 0), &lo, &hi);
    acc[0] = _mm256_sub_epi8(acc[0], lo);
    acc[1] = _mm256_sub_epi8(acc[1], hi);
    expand8(LANE(v, 1), &lo, &hi);
    acc[0] = _mm256_sub_epi8(acc[0], lo);
    acc[1] = _mm256_sub_epi8(acc[1], hi);
    expand8(LANE(v, 2), &lo, &hi);
    acc[0] = _mm256_sub_epi8(acc[0], lo);
    acc[1] = _mm256_sub_epi8(acc[1], hi);
    expand8(LANE(v, 3), &lo, &hi);
    acc[0] = _mm256_sub_epi8(acc[0], lo);
    acc[1] = _mm256_sub_epi8(acc[1], hi);
}

/* tot[j] += unit * byte j of acc. */
static void flush_bytes(const __m256i acc[2], uint64_t tot[64], uint64_t unit)
{
    uint8_t c[64];
    _mm256_storeu_si256((__m256i *)c, acc[0]);
    _mm256_storeu_si256((__m256i *)(c + 32), acc[1]);
    for (int j = 0; j < 64; j++) tot[j] += unit * c[j];
}

/* Bits k (0..31) where 16 * byte k of a + byte k of r > t (t < 2^15). */
static inline uint32_t above(__m256i a, __m256i r, short t)
{
    const __m256i vt = _mm256_set1_epi16(t);
    __m256i c0 = _mm256_add_epi16(_mm256_slli_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(a)), 4),
                                  _mm256_cvtepu8_epi16(_mm256_castsi256_si128(r)));
    __m256i c1 = _mm256_add_epi16(_mm256_slli_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(a, 1)), 4),
                                  _mm256_cvtepu8_epi16(_mm256_extracti128_si256(r, 1)));
    /* packs interleaves the 128-bit halves; vpermq 0xd8 restores the order. */
    __m256i p = _mm256_packs_epi16(_mm256_cmpgt_epi16(c0, vt), _mm256_cmpgt_epi16(c1, vt));
    return (uint32_t)_mm256_movemask_epi8(_mm256_permute4x64_epi64(p, 0xd8));
}

uint64_t wd_simhash_avx2(const uint64_t *sh, size_t n, uint64_t key)
{
    const __m256i vkey = _mm256_set1_epi64x((long long)key);
    __m256i ones = _mm256_setzero_si256(), twos = ones, fours = ones, eights = ones;
    __m256i acc[2] = { ones, ones }; /* sixteens per bit, bytes <= 4 * blocks */
    uint64_t tot[64];                /* flushed totals, once flushed */
    int flushed = 0;
    unsigned blocks = 0;             /* blocks since the last flush */
    size_t i = 0;

    for (; i + 64 <= n; i += 64) {
        __m256i twosA, twosB, foursA, foursB, eightsA, eightsB, sixteens;
        const uint64_t *p = sh + i;
        CSA(twosA, ones, ones, load_mix(p + 0, vkey), load_mix(p + 4, vkey));
        CSA(twosB, ones, ones, load_mix(p + 8, vkey), load_mix(p + 12, vkey));
        CSA(foursA, twos, twos, twosA, twosB);
        CSA(twosA, ones, ones, load_mix(p + 16, vkey), load_mix(p + 20, vkey));
        CSA(twosB, ones, ones, load_mix(p + 24, vkey), load_mix(p + 28, vkey));
        CSA(foursB, twos, twos, twosA, twosB);
        CSA(eightsA, fours, fours, foursA, foursB);
        CSA(twosA, ones, ones, load_mix(p + 32, vkey), load_mix(p + 36, vkey));
        CSA(twosB, ones, ones, load_mix(p + 40, vkey), load_mix(p + 44, vkey));
        CSA(foursA, twos, twos, twosA, twosB);
        CSA(twosA, ones, ones, load_mix(p + 48, vkey), load_mix(p + 52, vkey));
        CSA(twosB, ones, ones, load_mix(p + 56, vkey), load_mix(p + 60, vkey));
        CSA(foursB, twos, twos, twosA, twosB);
        CSA(eightsB, fours, fours, foursA, foursB);
        CSA(sixteens, eights, eights, eightsA, eightsB);
        add4(acc, sixteens);
        if (++blocks == 63) {
            if (!flushed) memset(tot, 0, sizeof tot);
            flush_bytes(acc, tot, 16);
            acc[0] = acc[1] = _mm256_setzero_si256();
            flushed = 1;
            blocks = 0;
        }
    }
    /* Fewer than 64 left: one register at a time, the last one padded with
     * zero features (which vote for nothing). The remainders hold <= 15 per
     * lane and bit and at most 16 more features arrive, so at most one
     * carry per lane and bit: bytes stay <= 4 * 62 + 4. */
    while (i < n) {
        __m256i x;
        if (i + 4 <= n) {
            x = load_mix(sh + i, vkey);
            i += 4;
        } else {
            uint64_t tmp[4] = { 0, 0, 0, 0 };
            size_t rem = n - i;
            memcpy(tmp, sh + i, rem * sizeof *tmp);
            x = mix4(_mm256_loadu_si256((const __m256i *)tmp), vkey);
            __m256i valid = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)rem),
                                               _mm256_setr_epi64x(0, 1, 2, 3));
            x = _mm256_and_si256(x, valid);
            i = n;
        }
        __m256i c = _mm256_and_si256(ones, x);
        ones = _mm256_xor_si256(ones, x);
        x = _mm256_and_si256(twos, c);
        twos = _mm256_xor_si256(twos, c);
        c = _mm256_and_si256(fours, x);
        fours = _mm256_xor_si256(fours, x);
        x = _mm256_and_si256(eights, c);
        eights = _mm256_xor_si256(eights, c);
        if (!_mm256_testz_si256(x, x)) add4(acc, x);
    }

    /* Remainders: level L adds 2^L per set bit; bytes <= 4 lanes * 15. */
    __m256i r[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
    const __m256i lv[4] = { ones, twos, fours, eights };
    for (int L = 0; L < 4; L++) {
        const __m256i weight = _mm256_set1_epi8((char)(1 << L));
        __m256i lanes[4] = { LANE(lv[L], 0), LANE(lv[L], 1), LANE(lv[L], 2), LANE(lv[L], 3) };
        for (int k = 0; k < 4; k++) {
            __m256i lo, hi;
            expand8(lanes[k], &lo, &hi);
            r[0] = _mm256_add_epi8(r[0], _mm256_and_si256(lo, weight));
            r[1] = _mm256_add_epi8(r[1], _mm256_and_si256(hi, weight));
        }
    }

    if (!flushed) { /* n < 64 * 64: counts <= 16 * 252 + 60 fit 16 bits */
        short t = (short)(n >> 1); /* 2c > n  <=>  c > floor(n / 2) */
        return above(acc[0], r[0], t) | (uint64_t)above(acc[1], r[1], t) << 32;
    }
    flush_bytes(acc, tot, 16);
    flush_bytes(r, tot, 1);
    uint64_t fp = 0;
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * tot[j] > n) << j;
    return fp;
}

/* ---- weighted ----------------------------------------------------------- */

uint64_t wd_simhash_weighted_avx2(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key)
{
    const __m256i vkey = _mm256_set1_epi64x((long long)key);
    /* Element i of register q counts bit 16q + i: its two bytes are byte
     * 2q (i < 8) or 2q + 1 (i >= 8) of the feature, tested at bit i % 8. */
    const __m256i bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
    __m256i idx[4], acc[4];
    for (int q = 0; q < 4; q++) {
        idx[q] = _mm256_setr_epi64x((long long)(0x0101010101010101ULL * (uint64_t)(2 * q)),
                                    (long long)(0x0101010101010101ULL * (uint64_t)(2 * q)),
                                    (long long)(0x0101010101010101ULL * (uint64_t)(2 * q + 1)),
                                    (long long)(0x0101010101010101ULL * (uint64_t)(2 * q + 1)));
        acc[q] = _mm256_setzero_si256();
    }
    uint64_t s[64], total = 0;
    int flushed = 0;
    unsigned since = 0;         /* features since the flush: lanes <= 255 * since */
    _Alignas(32) uint64_t f[4];

    for (size_t i = 0; i < n; i += 4) {
        size_t m = n - i < 4 ? n - i : 4;
        if (m == 4) {
            _mm256_store_si256((__m256i *)f, load_mix(sh + i, vkey));
        } else {
            uint64_t tmp[4] = { 0, 0, 0, 0 };
            memcpy(tmp, sh + i, m * sizeof *tmp);
            _mm256_store_si256((__m256i *)f, mix4(_mm256_loadu_si256((const __m256i *)tmp), vkey));
        }
        for (size_t k = 0; k < m; k++) {
            if (since == 257) {
                uint16_t c[64];
                if (!flushed) memset(s, 0, sizeof s);
                for (int q = 0; q < 4; q++) {
                    _mm256_storeu_si256((__m256i *)(c + 16 * q), acc[q]);
                    acc[q] = _mm256_setzero_si256();
                }
                for (int j = 0; j < 64; j++) s[j] += c[j];
                flushed = 1;
                since = 0;
            }
            const __m256i b = _mm256_set1_epi64x((long long)f[k]);
            const __m256i wv = _mm256_set1_epi16((short)w[i + k]);
            total += w[i + k];
            for (int q = 0; q < 4; q++) {
                __m256i t = _mm256_and_si256(_mm256_shuffle_epi8(b, idx[q]), bit);
                t = _mm256_and_si256(_mm256_cmpeq_epi16(t, bit), wv);
                acc[q] = _mm256_add_epi16(acc[q], t);
            }
            since++;
        }
    }
    if (!flushed) { /* every sum <= 65535; bits where sum > floor(total / 2) */
        const __m256i vt = _mm256_set1_epi16((short)(total >> 1)), zero = _mm256_setzero_si256();
        uint64_t fp = 0;
        for (int h = 0; h < 2; h++) {
            __m256i le0 = _mm256_cmpeq_epi16(_mm256_subs_epu16(acc[2 * h], vt), zero);
            __m256i le1 = _mm256_cmpeq_epi16(_mm256_subs_epu16(acc[2 * h + 1], vt), zero);
            __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi16(le0, le1), 0xd8);
            fp |= (uint64_t)(uint32_t)~_mm256_movemask_epi8(p) << (32 * h);
        }
        return fp;
    }
    uint16_t c[64];
    for (int q = 0; q < 4; q++) _mm256_storeu_si256((__m256i *)(c + 16 * q), acc[q]);
    for (int j = 0; j < 64; j++) s[j] += c[j];
    uint64_t fp = 0;
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * s[j] > total) << j;
    return fp;
}

#else /* no AVX2 in this build: never selected, kept for linking */

uint64_t wd_simhash_avx2(const uint64_t *sh, size_t n, uint64_t key)
{
    return wd_simhash_scalar(sh, n, key);
}

uint64_t wd_simhash_weighted_avx2(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key)
{
    return wd_simhash_weighted_scalar(sh, w, n, key);
}

#endif
