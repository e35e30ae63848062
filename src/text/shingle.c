/*
 * shingle.c - normalized text -> sorted, distinct 64-bit shingle hashes.
 *
 *   word, k = 3:   "the cat sat on"
 *                   h(the) h(cat) h(sat) h(on)       token hashes, XXH3(seed)
 *                   \_________________/              XXH3(seed) of k hashes
 *                          \__________________/
 *   char, k = 3:   XXH3(seed) of the bytes of each k consecutive code points
 *
 * Hashing each token once and then the k fixed-size token hashes costs one
 * short hash per token plus one 8k-byte hash per shingle, whatever the token
 * lengths. Token hashes are hashed in host byte order (little-endian on every
 * supported target), so the values are stable across runs and machines of
 * the same byte order.
 *
 * All work happens inside out: token hashes are written to out->data, each
 * shingle overwrites the first token hash it no longer needs, and the radix
 * sort uses the space after the shingles as its second buffer, so a reused
 * out never allocates in steady state.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL  /* inlined for speed; values equal the library's */
#include <xxhash.h>

#include "text_internal.h"
#include "utf8.h"

/* ---------------------------------------------------------------------------
 * Sorting
 * ------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Least-significant-digit radix sort, 8 bits per pass, all eight histograms
 * counted in one read; a pass whose digit is the same everywhere is skipped.
 * No bad inputs, but eight passes: the fallback for crowded buckets below.
 * The result ends in v. */
static void radix_sort_u64(uint64_t *v, size_t n, uint64_t *tmp)
{
    uint32_t cnt[8][256];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = v[i];
        for (int b = 0; b < 8; b++) cnt[b][(x >> (8 * b)) & 0xFF]++;
    }
    uint64_t *src = v, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        unsigned shift = 8u * (unsigned)b;
        uint32_t *c = cnt[b];
        if (c[(src[0] >> shift) & 0xFF] == n) continue;  /* one bucket: no-op pass */
        uint32_t sum = 0;
        for (int d = 0; d < 256; d++) {
            uint32_t t = c[d];
            c[d] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t x = src[i];
            dst[c[(x >> shift) & 0xFF]++] = x;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
}

static void insertion_sort_u64(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Copies the sorted src[0..n) (n >= 1) to dst without repeats; returns the
 * count. The last value stays in a register: comparing against dst[m - 1]
 * would chain every iteration through a store. */
static size_t unique_copy(uint64_t *dst, const uint64_t *src, size_t n)
{
    uint64_t last = src[0];
    size_t m = 1;
    dst[0] = last;
    for (size_t i = 1; i < n; i++) {
        uint64_t x = src[i];
        dst[m] = x;
        m += x != last;
        last = x;
    }
    return m;
}

/* A bucket with more values than this is sorted by radix instead of by
 * insertion, so clustered values cannot make the sort quadratic. */
#define CROWDED 48
#define MAX_BUCKET_BITS 12

/*
 * Shingle hashes are uniform, so one distribution pass on the top bits, with
 * about one bucket per value, leaves the array nearly sorted: a single
 * insertion sort over it only moves values within their small bucket, and
 * repeats fall out while copying back. That is two reads and two writes per
 * value instead of the sixteen of a full LSD radix sort, which matters since
 * sorting otherwise dominates shingling at news-article sizes (n = 100..5000).
 */
size_t wd_sort_unique_u64(uint64_t *v, size_t n, uint64_t *tmp)
{
    if (n < 2) return n;
    if (n <= 32) {
        insertion_sort_u64(v, n);
        return unique_copy(v, v, n);
    }
    if (n > UINT32_MAX) {
        qsort(v, n, sizeof *v, cmp_u64);
        return unique_copy(v, v, n);
    }
    unsigned bits = 0;
    while (bits < MAX_BUCKET_BITS && ((size_t)2 << bits) <= n) bits++;
    unsigned shift = 64 - bits;
    size_t nb = (size_t)1 << bits;
    uint32_t start[(1u << MAX_BUCKET_BITS) + 1];
    memset(start, 0, (nb + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++) start[(v[i] >> shift) + 1]++;
    uint32_t crowd = 0;
    for (size_t b = 1; b <= nb; b++) {
        if (start[b] > crowd) crowd = start[b];
        start[b] += start[b - 1];
    }
    /* Scatter v -> tmp; afterwards start[b] is the end of bucket b. */
    for (size_t i = 0; i < n; i++) tmp[start[v[i] >> shift]++] = v[i];
    if (crowd <= CROWDED) {
        insertion_sort_u64(tmp, n);
    } else {
        size_t lo = 0;
        for (size_t b = 0; b < nb; b++) {
            size_t hi = start[b];
            if (hi - lo > CROWDED) radix_sort_u64(tmp + lo, hi - lo, v + lo);
            else insertion_sort_u64(tmp + lo, hi - lo);
            lo = hi;
        }
    }
    return unique_copy(v, tmp, n);
}

/* ---------------------------------------------------------------------------
 * Shingling
 * ------------------------------------------------------------------------- */

/* Tokens are the maximal runs of bytes other than ' ', so text that is not
 * exactly normalized (double or edge spaces) still shingles sensibly. */
static int word_shingles(const char *s, size_t n, unsigned k, uint64_t seed,
                         wd_u64s *out)
{
    size_t spaces = 0;
    for (size_t i = 0; i < n; i++) spaces += s[i] == ' ';
    size_t maxtok = spaces + 1;
    /* Room for the token hashes and, after the shingles, the sort buffer. */
    if (maxtok > SIZE_MAX / 2 / sizeof(uint64_t)) return WD_E_NOMEM;
    if (wd_u64s_reserve(out, 2 * maxtok) != WD_OK) return WD_E_NOMEM;
    uint64_t *h = out->data;
    size_t t = 0;
    const char *p = s, *end = s + n;
    while (p < end) {
        if (*p == ' ') {
            p++;
            continue;
        }
        const char *q = memchr(p, ' ', (size_t)(end - p));
        if (!q) q = end;
        h[t++] = XXH3_64bits_withSeed(p, (size_t)(q - p), seed);
        p = q;
    }
    if (t == 0) return WD_OK;
    size_t m;
    if (t < k) {
        h[0] = XXH3_64bits_withSeed(h, t * sizeof *h, seed);
        m = 1;
    } else {
        m = t - k + 1;
        size_t bytes = (size_t)k * sizeof *h;
        for (size_t j = 0; j < m; j++) h[j] = XXH3_64bits_withSeed(h + j, bytes, seed);
    }
    out->len = wd_sort_unique_u64(h, m, h + m);
    return WD_OK;
}

/* Start of the code point after the one at s[i]. */
static inline size_t next_cp(const char *s, size_t i, size_t n)
{
    i++;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    return i;
}

static int char_shingles(const char *s, size_t n, unsigned k, uint64_t seed,
                         wd_u64s *out)
{
    size_t c = wd_utf8_count(s, n);
    if (c == 0) return WD_OK;
    if (c < k) {
        if (wd_u64s_reserve(out, 1) != WD_OK) return WD_E_NOMEM;
        out->data[0] = XXH3_64bits_withSeed(s, n, seed);
        out->len = 1;
        return WD_OK;
    }
    size_t m = c - k + 1;
    if (m > SIZE_MAX / 2 / sizeof(uint64_t)) return WD_E_NOMEM;
    if (wd_u64s_reserve(out, 2 * m) != WD_OK) return WD_E_NOMEM;
    uint64_t *h = out->data;
    size_t a = 0, b = 0;  /* the window is s[a..b), k code points */
    for (unsigned j = 0; j < k; j++) b = next_cp(s, b, n);
    for (size_t j = 0;; j++) {
        h[j] = XXH3_64bits_withSeed(s + a, b - a, seed);
        if (j + 1 == m) break;
        a = next_cp(s, a, n);
        b = next_cp(s, b, n);
    }
    out->len = wd_sort_unique_u64(h, m, h + m);
    return WD_OK;
}

int wd_shingles(const char *norm, size_t n, wd_shingle_kind kind, unsigned k,
                uint64_t seed, wd_u64s *out)
{
    if (!out) return WD_E_INVALID;
    out->len = 0;
    if (k == 0 || (!norm && n)) return WD_E_INVALID;
    if (n == 0) return WD_OK;
    switch (kind) {
    case WD_SHINGLE_WORD: return word_shingles(norm, n, k, seed, out);
    case WD_SHINGLE_CHAR: return char_shingles(norm, n, k, seed, out);
    }
    return WD_E_INVALID;
}
