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
 * Weighted: per-bit sums of the weights, straightforwardly.
 */
#include "simhash.h"

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

uint64_t wd_simhash_scalar(const uint64_t *sh, size_t n, uint64_t key)
{
    uint64_t ones = 0, twos = 0, fours = 0, eights = 0;
    uint64_t tot[64] = { 0 };  /* per-bit count, finished part */
    uint64_t c16[8] = { 0 };   /* sixteens not yet in tot (bytes) */
    unsigned pending = 0;      /* adds into c16 since its flush, <= 255 */
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
        if (pending == 255) {
            flush8(c16, tot, 16);
            pending = 0;
        }
        add_bits8(c16, sixteens);
        pending++;
    }
    for (; i < n; i++) {        /* ripple-carry increment by one feature */
        uint64_t x = wd_simhash_mix(sh[i] ^ key), c;
        c = ones & x;   ones ^= x;
        x = twos & c;   twos ^= c;
        c = fours & x;  fours ^= x;
        x = eights & c; eights ^= c;
        if (x) {
            if (pending == 255) {
                flush8(c16, tot, 16);
                pending = 0;
            }
            add_bits8(c16, x);
            pending++;
        }
    }
    flush8(c16, tot, 16);
    /* The 4-bit remainders, 8 bits at a time: bytes <= 15, no carries. */
    for (int t = 0; t < 8; t++)
        c16[t] = ((ones >> t) & LSB8) + (((twos >> t) & LSB8) << 1) +
                 (((fours >> t) & LSB8) << 2) + (((eights >> t) & LSB8) << 3);
    flush8(c16, tot, 1);

    uint64_t fp = 0;
    for (int j = 0; j < 64; j++) fp |= (uint64_t)(2 * tot[j] > n) << j;
    return fp;
}

uint64_t wd_simhash_weighted_scalar(const uint64_t *sh, const uint8_t *w, size_t n, uint64_t key)
{
    uint64_t s[64] = { 0 }, total = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t f = wd_simhash_mix(sh[i] ^ key), wi = w[i];
        total += wi;
        for (int j = 0; j < 64; j++) s[j] += wi & (0 - ((f >> j) & 1));
    }
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
