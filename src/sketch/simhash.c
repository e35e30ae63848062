/*
 * simhash.c - SimHash: the scalar kernels (the portable path every ISA
 * variant must match bit for bit) and the dispatch. See simhash.h.
 *
 * Unweighted: the fingerprint needs, for each bit j, the number c_j of
 * features with bit j set (fp_j = 2 c_j > n). Rather than 64 counter
 * updates per feature, the features are added as bit-sliced 4-bit
 * counters with carry-save adders (Harley-Seal, as in fast popcount):
 *
 *   16 features d0..d15 --CSA tree--> ones, twos, fours, eights (kept)
 *                                      + sixteens (carry out, per bit)
 *
 * csa(a, b, c) = (majority, xor) satisfies a + b + c = 2 h + l bitwise, so
 * at any time count_j = ones_j + 2 twos_j + 4 fours_j + 8 eights_j
 * + 16 (sixteens seen at bit j). Only the sixteens need per-bit
 * counting, once per 16 features: byte counters, 8 bits at a time (SWAR),
 * flushed to 64-bit totals before they can overflow. The SIMD variants run
 * the same tree on 4 (AVX2) or 8 (AVX-512) features per register.
 *
 * Weighted: per-bit sums of the weights in 16-bit SWAR lanes.
 */
#include "simhash.h"

#include <string.h>

#include "../common/cpu.h"

#define LSB8 0x0101010101010101ULL

static inline void csa(uint64_t *h, uint64_t *l, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t u = a ^ b;
    *h = (a & b) | (u & c);
    *l = u ^ c;
}

/* Byte i of cnt[t] counts bit 8i + t of the words added. */
static inline void add_bits8(uint64_t cnt[8], uint64_t x)
{
    for (int t = 0; t < 8; t++) cnt[t] += (x >> t) & LSB8;
}

static void flush8(uint64_t cnt[8], uint64_t tot[64], uint64_t unit)
{
    for (int t = 0; t < 8; t++) {
        for (int i = 0; i < 8; i++) tot[8 * i + t] += unit * ((cnt[t] >> (8 * i)) & 0xff);
        cnt[t] = 0;
    }
}

/* Adds a carry-out word to the byte counters, flushing them first when
 * another add could overflow a byte. */
static inline void add_sixteens(uint64_t c16[8], uint64_t x, uint64_t tot[64],
                                unsigned *pending, int *flushed)
{
    if (*pending == 255) {
        if (!*flushed) memset(tot, 0, 64 * sizeof *tot);
        flush8(c16, tot, 16);
        *pending = 0;
        *flushed = 1;
    }
    add_bits8(c16, x);
    ++*pending;
}

uint64_t wd_simhash_scalar(const uint64_t *sh, size_t n, uint64_t key)
{
    uint64_t ones = 0, twos = 0, fours = 0, eights = 0;
    uint64_t tot[64];          /* per-bit count, flushed part (once flushed) */
    uint64_t c16[8] = { 0 };   /* sixteens not yet in tot (bytes) */
    unsigned pending = 0;      /* adds into c16 since its flush, <= 255 */
    int flushed = 0;
    size_t i = 0;

    for (; i + 16 <= n; i += 16) {
        uint64_t d[16], twosA, twosB, foursA, foursB, eightsA, eightsB, sixteens;
        for (int k = 0; k < 16; k++) d[k] = wd_simhash_mix(sh[i + k] ^ key);
        csa(&twosA, &ones, ones, d[0], d[1]);
        csa(&twosB, &ones, ones, d[2], d[3]);
        csa(&foursA, &twos, twos, twosA, twosB);
        csa(&twosA, &ones, ones, d[4], d[5]);
        csa(&twosB, &ones, ones, d[6], d[7]);
        csa(&foursB, &twos, twos, twosA, twosB);
        csa(&eightsA, &fours, fours, foursA, foursB);
        csa(&twosA, &ones, ones, d[8], d[9]);
        csa(&twosB, &ones, ones, d[10], d[11]);
        csa(&foursA, &twos, twos, twosA, twosB);
        csa(&twosA, &ones, ones, d[12], d[13]);
        csa(&twosB, &ones, ones, d[14], d[15]);
        csa(&foursB, &twos, twos, twosA, twosB);
        csa(&eightsB, &fours, fours, foursA, foursB);
        csa(&sixteens, &eights, eights, eightsA, eightsB);
        add_sixteens(c16, sixteens, tot, &pending, &flushed);
    }
    for (; i < n; i++) {        /* ripple-carry increment by one feature */
        uint64_t x = wd_simhash_mix(sh[i] ^ key), c;
        c = ones & x;   ones ^= x;
        x = twos & c;   twos ^= c;
        c = fours & x;  fours ^= x;
        x = eights & c; eights ^= c;
        if (x) add_sixteens(c16, x, tot, &pending, &flushed);
    }
    /* The 4-bit remainders, 8 bits at a time: bytes <= 15, no carries. */
    uint64_t r[8];
    for (int t = 0; t < 8; t++)
        r[t] = ((ones >> t) & LSB8) + (((twos >> t) & LSB8) << 1) +
               (((fours >> t) & LSB8) << 2) + (((eights >> t) & LSB8) << 3);

    uint64_t fp = 0;
    if (!flushed) {
        /* n < 256 * 16 + 16: count = 16 c16 + r <= 4095 in 16-bit lanes
         * (even bytes, then odd bytes); count > floor(n / 2) shows as bit
         * 15 of count + 0x7fff - floor(n / 2), which cannot carry out. */
        const uint64_t lo = 0x00ff00ff00ff00ffULL, top = 0x8000800080008000ULL;
        const uint64_t bias = (0x7fffULL - (n >> 1)) * 0x0001000100010001ULL;
        for (int t = 0; t < 8; t++) {
            uint64_t e = ((c16[t] & lo) << 4) + (r[t] & lo);
            uint64_t o = (((c16[t] >> 8) & lo) << 4) + ((r[t] >> 8) & lo);
            fp |= ((e + bias) & top) >> (15 - t);
            fp |= ((o + bias) & top) >> (15 - t) << 8;
        }
        return fp;
    }
    flush8(c16, tot, 16);
    flush8(r, tot, 1);
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * tot[j] > n) << j;
    return fp;
}

/* Nibble -> four 16-bit lanes, lane i all ones when bit i is set. */
static const uint64_t spread4[16] = {
#define L(i, b) ((((uint64_t)(i) >> (b)) & 1) * (0xffffULL << (16 * (b))))
#define S(i) (L(i, 0) | L(i, 1) | L(i, 2) | L(i, 3))
    S(0), S(1), S(2), S(3), S(4), S(5), S(6), S(7),
    S(8), S(9), S(10), S(11), S(12), S(13), S(14), S(15),
#undef S
#undef L
};

/*
 * Weighted: lane i of acc[k] (16 bits) sums the weights of bit 4k + i, a
 * nibble at a time (SWAR). A lane gains <= 255 per feature, so the lanes
 * are flushed to 64-bit sums every 257 features.
 */
uint64_t wd_simhash_weighted_scalar(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key)
{
    uint64_t s[64] = { 0 }, acc[16] = { 0 }, total = 0;
    unsigned since = 0;
    for (size_t i = 0; i < n; i++) {
        if (since == 257) {
            for (int k = 0; k < 16; k++) {
                for (int b = 0; b < 4; b++) s[4 * k + b] += (acc[k] >> (16 * b)) & 0xffff;
                acc[k] = 0;
            }
            since = 0;
        }
        uint64_t f = wd_simhash_mix(sh[i] ^ key), wv = w[i] * 0x0001000100010001ULL;
        total += w[i];
        for (int k = 0; k < 16; k++) acc[k] += spread4[(f >> (4 * k)) & 15] & wv;
        since++;
    }
    for (int k = 0; k < 16; k++)
        for (int b = 0; b < 4; b++) s[4 * k + b] += (acc[k] >> (16 * b)) & 0xffff;
    uint64_t fp = 0;
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * s[j] > total) << j;
    return fp;
}

uint64_t wd_simhash(const uint64_t *sh, size_t n, uint64_t seed)
{
    const uint64_t key = wd_simhash_key(seed);
    switch (wd_isa_active()) {
    case WD_ISA_AVX512: return wd_simhash_avx512(sh, n, key);
    case WD_ISA_AVX2: return wd_simhash_avx2(sh, n, key);
    default: return wd_simhash_scalar(sh, n, key);
    }
}

uint64_t wd_simhash_weighted(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t seed)
{
    const uint64_t key = wd_simhash_key(seed);
    switch (wd_isa_active()) {
    case WD_ISA_AVX512: return wd_simhash_weighted_avx512(sh, w, n, key);
    case WD_ISA_AVX2: return wd_simhash_weighted_avx2(sh, w, n, key);
    default: return wd_simhash_weighted_scalar(sh, w, n, key);
    }
}
