/*
 * simhash_avx2.c - SimHash kernels for AVX2 (compiled with -mavx2 -mbmi2).
 *
 * Same algorithm as simhash.c, four features per register:
 *   - mixing: splitmix64's finalizer, the 64-bit multiplies built from
 *     three 32x32->64 vpmuludq;
 *   - unweighted: the Harley-Seal CSA tree on 16 registers (64 features);
 *     its carry-out (sixteens, 4 lanes) is expanded to byte masks and
 *     counted in byte lanes, flushed to 64-bit totals every 63 blocks;
 *   - weighted: each feature expanded to 16-bit masks, ANDed with its
 *     weight and added into 16-bit lanes, flushed every 257 features.
 *
 * Bit expansion without shuffles: a word broadcast to all four qwords
 * holds its byte k at byte positions k, k+8, k+16, k+24. Byte i of
 * expansion register q tests bit 4q + i/8 of that byte, i.e. bit
 *     8 (i % 8) + 4q + i/8        (q = 0, 1; i = 0..31)
 * so two registers cover all 64 bits with one AND and one compare each.
 * The same idea with 16-bit elements: element i of register q (0..3) tests
 * bit 16 (i % 4) + 4q + i/4. Counters are therefore kept in this permuted
 * order and mapped back to bit numbers when flushed.
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

/* ---- unweighted --------------------------------------------------------- */

#define CSA(h, l, a, b, c)                                                        \
    do {                                                                          \
        __m256i a_ = (a), b_ = (b), c_ = (c), u_ = _mm256_xor_si256(a_, b_);      \
        h = _mm256_or_si256(_mm256_and_si256(a_, b_), _mm256_and_si256(u_, c_));  \
        l = _mm256_xor_si256(u_, c_);                                             \
    } while (0)

/* Bit number counted by byte i of expansion register q (see top). */
static inline int pos8(int q, int i)
{
    return 8 * (i % 8) + 4 * q + i / 8;
}

typedef struct bytecount {
    __m256i acc[2];    /* byte counters, permuted order */
    __m256i e[2];      /* expansion masks: byte i of e[q] = 1 << (4q + i/8) */
    uint64_t tot[64];  /* per-bit totals */
} bytecount;

static void bc_init(bytecount *b)
{
    b->acc[0] = b->acc[1] = _mm256_setzero_si256();
    b->e[0] = _mm256_setr_epi8(1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
                               4, 4, 4, 4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8);
    b->e[1] = _mm256_slli_epi64(b->e[0], 4);
    memset(b->tot, 0, sizeof b->tot);
}

/* Adds every bit of the four lanes of v (bytes += 0..4). */
static inline void bc_add4(bytecount *b, __m256i v)
{
    __m256i l[4] = { _mm256_permute4x64_epi64(v, 0x00), _mm256_permute4x64_epi64(v, 0x55),
                     _mm256_permute4x64_epi64(v, 0xaa), _mm256_permute4x64_epi64(v, 0xff) };
    for (int k = 0; k < 4; k++)
        for (int q = 0; q < 2; q++)
            b->acc[q] = _mm256_sub_epi8(
                b->acc[q], _mm256_cmpeq_epi8(_mm256_and_si256(l[k], b->e[q]), b->e[q]));
}

/* Moves the byte counters, in units of `unit`, into tot. */
static void bc_flush(bytecount *b, uint64_t unit)
{
    uint8_t c[2][32];
    _mm256_storeu_si256((__m256i *)c[0], b->acc[0]);
    _mm256_storeu_si256((__m256i *)c[1], b->acc[1]);
    for (int q = 0; q < 2; q++)
        for (int i = 0; i < 32; i++) b->tot[pos8(q, i)] += unit * c[q][i];
    b->acc[0] = b->acc[1] = _mm256_setzero_si256();
}

uint64_t wd_simhash_avx2(const uint64_t *sh, size_t n, uint64_t key)
{
    const __m256i vkey = _mm256_set1_epi64x((long long)key);
    __m256i ones = _mm256_setzero_si256(), twos = ones, fours = ones, eights = ones;
    bytecount b;
    bc_init(&b);
    unsigned blocks = 0;        /* blocks since the flush: bytes <= 4 * blocks */
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
        bc_add4(&b, sixteens);
        if (++blocks == 63) {
            bc_flush(&b, 16);
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
        if (!_mm256_testz_si256(x, x)) bc_add4(&b, x);
    }
    bc_flush(&b, 16);

    /* Remainders: level L adds 2^L per set bit; bytes <= 4 lanes * 15. */
    const __m256i lv[4] = { ones, twos, fours, eights };
    for (int L = 0; L < 4; L++) {
        const __m256i weight = _mm256_set1_epi8((char)(1 << L));
        __m256i l[4] = { _mm256_permute4x64_epi64(lv[L], 0x00), _mm256_permute4x64_epi64(lv[L], 0x55),
                         _mm256_permute4x64_epi64(lv[L], 0xaa), _mm256_permute4x64_epi64(lv[L], 0xff) };
        for (int k = 0; k < 4; k++)
            for (int q = 0; q < 2; q++) {
                __m256i m = _mm256_cmpeq_epi8(_mm256_and_si256(l[k], b.e[q]), b.e[q]);
                b.acc[q] = _mm256_add_epi8(b.acc[q], _mm256_and_si256(m, weight));
            }
    }
    bc_flush(&b, 1);

    uint64_t fp = 0;
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * b.tot[j] > n) << j;
    return fp;
}

/* ---- weighted ----------------------------------------------------------- */

static inline int pos16(int q, int i)
{
    return 16 * (i % 4) + 4 * q + i / 4;
}

uint64_t wd_simhash_weighted_avx2(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key)
{
    const __m256i vkey = _mm256_set1_epi64x((long long)key);
    __m256i e[4], acc[4];
    e[0] = _mm256_setr_epi16(1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8);
    for (int q = 1; q < 4; q++) e[q] = _mm256_slli_epi16(e[q - 1], 4);
    for (int q = 0; q < 4; q++) acc[q] = _mm256_setzero_si256();
    uint64_t s[64] = { 0 }, total = 0;
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
                uint16_t c[4][16];
                for (int q = 0; q < 4; q++) {
                    _mm256_storeu_si256((__m256i *)c[q], acc[q]);
                    acc[q] = _mm256_setzero_si256();
                    for (int j = 0; j < 16; j++) s[pos16(q, j)] += c[q][j];
                }
                since = 0;
            }
            const __m256i bc = _mm256_set1_epi64x((long long)f[k]);
            const __m256i wv = _mm256_set1_epi16((short)w[i + k]);
            total += w[i + k];
            for (int q = 0; q < 4; q++) {
                __m256i t = _mm256_cmpeq_epi16(_mm256_and_si256(bc, e[q]), e[q]);
                acc[q] = _mm256_add_epi16(acc[q], _mm256_and_si256(t, wv));
            }
            since++;
        }
    }
    uint16_t c[4][16];
    for (int q = 0; q < 4; q++) {
        _mm256_storeu_si256((__m256i *)c[q], acc[q]);
        for (int j = 0; j < 16; j++) s[pos16(q, j)] += c[q][j];
    }
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
