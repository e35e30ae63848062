/*
 * shingle.c - normalized text -> distinct 64-bit shingle hashes.
 *
 *   word, k = 3:   "the cat sat on"
 *                   T(the) T(cat) T(sat) T(on)       T = one 128-bit multiply
 *                   \_________________/              fmix64(sum T_i * m_i)
 *                          \__________________/
 *   char, k = 3:   XXH3(bytes of k consecutive code points, seed)
 *
 * (The exact definition is in text.h.) A token of up to 16 bytes is two
 * masked 8-byte loads and one multiply, with no branch on its length; a
 * shingle is k multiply-adds and a finalizer, whatever the token lengths.
 * Words are read in host byte order (little-endian on every supported
 * target), so values are stable across runs and machines of that order.
 *
 * All work happens inside out: token hashes are written to out->data, each
 * shingle overwrites the first token hash it no longer needs, and repeats
 * are dropped through a hash set that lives after the shingles, so a reused
 * out never allocates in steady state. The index only needs the set (MinHash
 * and OPH ignore order); wd_shingles() sorts it for exact set operations.
 *
 * Tokens are found from 64-bit masks of space positions (SSE2, else SWAR),
 * so there is no per-byte loop and no per-token memchr call.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL  /* inlined for speed; values equal the library's */
#include <xxhash.h>

#if defined(__SSE2__) && !defined(WD_TEXT_PORTABLE)
#include <emmintrin.h>
#define WD_SHINGLE_SSE2 1
#endif

#include "text_internal.h"
#include "utf8.h"

static inline unsigned ctz64(uint64_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

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

/* Insertion sort of v[0..n). Gives up, returning 0, once it has moved more
 * than budget values (v is then a permutation of its input); returns 1 when
 * sorted. */
static int insertion_sort_u64(uint64_t *v, size_t n, size_t budget)
{
    size_t moves = 0;
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
        moves += i - j;
        if (moves > budget) return 0;
    }
    return 1;
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

/* Top-bit buckets: about two per value, at most 2^13 (a 32 KiB table). */
#define MAX_BUCKET_BITS 13
/* A bucket with more values than this is radix sorted, so clustered values
 * cannot make the sort quadratic. */
#define CROWDED 48

/*
 * Shingle hashes are uniform, so one distribution pass on the top bits, with
 * about two buckets per value, leaves the array nearly sorted: one insertion
 * pass over it only moves values within their small bucket, and repeats fall
 * out while copying back. That is two reads and two writes per value instead
 * of the sixteen of a full LSD radix sort. Inputs that are not uniform (many
 * values in one bucket) exhaust the insertion pass's move budget and are
 * finished bucket by bucket, crowded ones by radix sort.
 */
size_t wd_sort_unique_u64(uint64_t *v, size_t n, uint64_t *tmp)
{
    if (n < 2) return n;
    if (n <= 32) {
        insertion_sort_u64(v, n, SIZE_MAX);
        return unique_copy(v, v, n);
    }
    if (n > UINT32_MAX) {
        qsort(v, n, sizeof *v, cmp_u64);
        return unique_copy(v, v, n);
    }
    unsigned bits = 1;
    while (bits < MAX_BUCKET_BITS && ((size_t)1 << bits) <= n) bits++;
    unsigned shift = 64 - bits;
    size_t nb = (size_t)1 << bits;
    uint32_t start[(1u << MAX_BUCKET_BITS) + 1];
    memset(start, 0, (nb + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++) start[(v[i] >> shift) + 1]++;
    for (size_t b = 1; b <= nb; b++) start[b] += start[b - 1];
    /* Scatter v -> tmp; afterwards start[b] is the end of bucket b. */
    for (size_t i = 0; i < n; i++) tmp[start[v[i] >> shift]++] = v[i];
    /* Values only move within their bucket (everything in earlier buckets is
     * smaller), so a pass that gives up leaves the buckets intact. */
    if (!insertion_sort_u64(tmp, n, 4 * n)) {
        size_t lo = 0;
        for (size_t b = 0; b < nb; b++) {
            size_t hi = start[b];
            if (hi - lo > CROWDED) radix_sort_u64(tmp + lo, hi - lo, v + lo);
            else insertion_sort_u64(tmp + lo, hi - lo, SIZE_MAX);
            lo = hi;
        }
    }
    return unique_copy(v, tmp, n);
}

/* ---------------------------------------------------------------------------
 * Token and shingle hashing (the definition is in text.h)
 * ------------------------------------------------------------------------- */

/* The byte masks of a token of len <= 16 read as two little-endian words. */
static const uint64_t mask_lo[17] = {
    0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFF, 0xFFFFFFFFFFFF, 0xFFFFFFFFFFFFFF,
    ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL
};
static const uint64_t mask_hi[17] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFF, 0xFFFFFFFFFFFF, 0xFFFFFFFFFFFFFF, ~0ULL
};

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);  /* little-endian on every supported target */
    return v;
}

static inline uint64_t mul_fold(uint64_t a, uint64_t b)
{
    __uint128_t p = (__uint128_t)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* MurmurHash3's 64-bit finalizer: a bijection with full avalanche. */
static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Keys of one call: drawn from the seed, so every seed hashes differently. */
typedef struct shingle_keys {
    uint64_t seed;
    uint64_t k0, k1;                 /* token hash */
    uint64_t mul[WD_MAX_SHINGLE];    /* odd multipliers of the k positions */
} shingle_keys;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void keys_init(shingle_keys *K, uint64_t seed, unsigned k)
{
    uint64_t st = seed ^ 0x7368696e676c65ULL; /* "shingle" */
    K->seed = seed;
    K->k0 = splitmix(&st);
    K->k1 = splitmix(&st);
    for (unsigned i = 0; i < k && i < WD_MAX_SHINGLE; i++) K->mul[i] = splitmix(&st) | 1;
}

/* Hash of the token p[0..len); p[0..16) must be readable when len <= 16. */
static inline uint64_t token_hash16(const shingle_keys *K, const char *p, size_t len)
{
    uint64_t lo = load64(p) & mask_lo[len], hi = load64(p + 8) & mask_hi[len];
    return mul_fold(lo ^ K->k0, hi ^ (K->k1 + len));
}

/* Hash of the token s[a..b) of the text s[0..n). */
static inline uint64_t token_hash(const shingle_keys *K, const char *s, size_t a, size_t b,
                                  size_t n)
{
    size_t len = b - a;
    if (len > 16) return XXH3_64bits_withSeed(s + a, len, K->seed);
    if (a + 16 <= n) return token_hash16(K, s + a, len);
    char pad[16] = {0};  /* near the end: do not read past the text */
    memcpy(pad, s + a, len);
    return token_hash16(K, pad, len);
}

/* Shingle of the token hashes t[0..k). */
static inline uint64_t combine(const shingle_keys *K, const uint64_t *t, unsigned k)
{
    uint64_t acc = 0;
    for (unsigned i = 0; i < k; i++) acc += t[i] * K->mul[i];
    return fmix64(acc);
}

uint64_t wd_token_hash(const char *tok, size_t len, uint64_t seed)
{
    shingle_keys K;
    keys_init(&K, seed, 0);
    return token_hash(&K, tok, 0, len, len);
}

uint64_t wd_shingle_combine(const uint64_t *t, unsigned k, uint64_t seed)
{
    shingle_keys K;
    keys_init(&K, seed, k);
    return combine(&K, t, k);
}

/* ---------------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------------- */

/* Bit i set when p[i] == ' ', for the 64 readable bytes at p. */
static inline uint64_t space_mask64(const char *p)
{
#ifdef WD_SHINGLE_SSE2
    const __m128i sp = _mm_set1_epi8(' ');
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sp)) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int k = 0; k < 8; k++) {
        uint64_t w = 0;
        for (int b = 0; b < 8; b++) w |= (uint64_t)(unsigned char)p[8 * k + b] << (8 * b);
        w ^= 0x2020202020202020u;                    /* spaces become 0x00 */
        uint64_t t = ((w & 0x7F7F7F7F7F7F7F7Fu) + 0x7F7F7F7F7F7F7F7Fu) | w;
        uint64_t z = (~t & 0x8080808080808080u) >> 7; /* 1 in each zero byte */
        m |= ((z * 0x0102040810204080u) >> 56) << (8 * k); /* gather 8 bits */
    }
    return m;
#endif
}

/* Emits the hashes of the tokens that end in one 64-byte block at base,
 * given its space mask. A token begins at a non-space after a space (carry:
 * the byte before the block was a space, or there was none) and ends at the
 * next space; starts and ends alternate, so the branch below predicts well,
 * and so does the length test in token_hash() (news words are short). */
static inline size_t block_tokens(const shingle_keys *K, const char *s, size_t n, size_t base,
                                  uint64_t sp, uint64_t *carry, size_t *start, uint64_t *h,
                                  size_t t)
{
    uint64_t prev = (sp << 1) | *carry;
    *carry = sp >> 63;
    uint64_t starts = ~sp & prev, ends = sp & ~prev;
    uint64_t ev = starts | ends;
    while (ev) {
        unsigned b = ctz64(ev);
        size_t pos = base + b;
        if ((starts >> b) & 1) *start = pos;
        else h[t++] = token_hash(K, s, *start, pos, n);
        ev &= ev - 1;
    }
    return t;
}

/* Writes the hash of every token of s[0..n) (maximal runs of bytes other than
 * ' ') to h and returns how many there were. */
static size_t hash_tokens(const shingle_keys *K, const char *s, size_t n, uint64_t *h)
{
    size_t t = 0, start = 0, i = 0;
    uint64_t carry = 1;
    for (; i + 64 <= n; i += 64)
        t = block_tokens(K, s, n, i, space_mask64(s + i), &carry, &start, h, t);
    /* The tail, padded with spaces, which also ends a token running to the
     * end of the text. Runs even when no byte is left, for that reason. */
    char pad[64];
    memset(pad, ' ', sizeof pad);
    if (n > i) memcpy(pad, s + i, n - i);
    return block_tokens(K, s, n, i, space_mask64(pad), &carry, &start, h, t);
}

/* Counts ' ' bytes, for sizing. */
static size_t count_spaces(const char *s, size_t n)
{
    size_t c = 0, i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t m = space_mask64(s + i);
        while (m) {  /* Kernighan: no popcnt in baseline x86-64 */
            m &= m - 1;
            c++;
        }
    }
    for (; i < n; i++) c += s[i] == ' ';
    return c;
}

/* ---------------------------------------------------------------------------
 * Distinct values
 * ------------------------------------------------------------------------- */

/* Above this many values the hash set would need too much memory next to
 * them; sorting needs only as much again. */
#define SET_MAX ((size_t)1 << 20)

/* Table slots for m values: a power of two at least 4 m (load <= 1/4), so
 * that most values find their first slot free and the probe loop is rarely
 * entered; past 64 Ki values, 1.5 m, to bound the memory. */
static size_t set_slots(size_t m)
{
    size_t want = m <= ((size_t)1 << 16) ? 4 * m : m + m / 2, s = 16;
    while (s < want) s <<= 1;
    return s;
}

/* Room the distinct pass needs in v after m values. */
static size_t distinct_room(size_t m)
{
    return m > SET_MAX ? m : set_slots(m);
}

/*
 * Drops repeated values from v[0..m) and returns how many remain (at the
 * front of v, in order of first occurrence, or sorted when m > SET_MAX).
 * v must have room for m + distinct_room(m) values. Open addressing with
 * linear probing on the top bits; 0 marks a free slot, so a value 0 is
 * tracked apart. Shingle hashes are uniform and the table sparse, so the
 * common case (a new value, its slot free) is one predictable branch.
 */
static size_t distinct(uint64_t *v, size_t m)
{
    if (m < 2) return m;
    if (m > SET_MAX) return wd_sort_unique_u64(v, m, v + m);
    size_t slots = set_slots(m), mask = slots - 1;
    unsigned shift = 64 - (unsigned)ctz64(slots);
    uint64_t *tab = v + m;
    memset(tab, 0, slots * sizeof *tab);
    size_t u = 0;
    int zero = 0;
    for (size_t j = 0; j < m; j++) {
        uint64_t x = v[j];
        size_t i = (size_t)(x >> shift);
        uint64_t y = tab[i];
        if (__builtin_expect(y == 0 && x != 0, 1)) {
            tab[i] = x;
            v[u++] = x;
            continue;
        }
        if (x == 0) {
            if (!zero) v[u++] = 0;
            zero = 1;
            continue;
        }
        while (y != 0 && y != x) {
            i = (i + 1) & mask;
            y = tab[i];
        }
        if (y == 0) {
            tab[i] = x;
            v[u++] = x;
        }
    }
    return u;
}

/* ---------------------------------------------------------------------------
 * Shingling
 * ------------------------------------------------------------------------- */

/* Tokens are the maximal runs of bytes other than ' ', so text that is not
 * exactly normalized (double or edge spaces) still shingles sensibly. The
 * token hashes are written to out, and each shingle overwrites the first
 * token hash it no longer needs. */
static int word_shingles(const char *s, size_t n, unsigned k, uint64_t seed,
                         wd_u64s *out)
{
    /* Each token but the last is followed by a space, so n / 2 + 1 bounds the
     * count; past 256 KiB an exact count keeps the buffer from being 4n. */
    size_t maxtok = n <= ((size_t)1 << 18) ? n / 2 + 1 : count_spaces(s, n) + 1;
    if (maxtok > SIZE_MAX / 4 / sizeof(uint64_t)) return WD_E_NOMEM;
    if (wd_u64s_reserve(out, maxtok + distinct_room(maxtok)) != WD_OK) return WD_E_NOMEM;
    shingle_keys K;
    keys_init(&K, seed, k);
    uint64_t *h = out->data;
    size_t t = hash_tokens(&K, s, n, h);
    if (t == 0) return WD_OK;
    size_t m;
    if (t < k) {
        h[0] = combine(&K, h, (unsigned)t);
        m = 1;
    } else {
        m = t - k + 1;
        if (k == 5) {  /* the default: constants in registers */
            const uint64_t m0 = K.mul[0], m1 = K.mul[1], m2 = K.mul[2], m3 = K.mul[3],
                           m4 = K.mul[4];
            for (size_t j = 0; j < m; j++)
                h[j] = fmix64(h[j] * m0 + h[j + 1] * m1 + h[j + 2] * m2 + h[j + 3] * m3 +
                              h[j + 4] * m4);
        } else {
            for (size_t j = 0; j < m; j++) h[j] = combine(&K, h + j, k);
        }
    }
    out->len = distinct(h, m);
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
    if (m > SIZE_MAX / 4 / sizeof(uint64_t)) return WD_E_NOMEM;
    if (wd_u64s_reserve(out, m + distinct_room(m)) != WD_OK) return WD_E_NOMEM;
    uint64_t *h = out->data;
    if (c == n) {
        /* No continuation byte: every code point is one byte (ASCII text). */
        for (size_t j = 0; j < m; j++) h[j] = XXH3_64bits_withSeed(s + j, k, seed);
    } else {
        size_t a = 0, b = 0;  /* the window is s[a..b), k code points */
        for (unsigned j = 0; j < k; j++) b = next_cp(s, b, n);
        for (size_t j = 0;; j++) {
            h[j] = XXH3_64bits_withSeed(s + a, b - a, seed);
            if (j + 1 == m) break;
            a = next_cp(s, a, n);
            b = next_cp(s, b, n);
        }
    }
    out->len = distinct(h, m);
    return WD_OK;
}

int wd_shingle_set(const char *norm, size_t n, wd_shingle_kind kind, unsigned k,
                   uint64_t seed, wd_u64s *out)
{
    if (!out) return WD_E_INVALID;
    out->len = 0;
    if (k == 0 || k > WD_MAX_SHINGLE || (!norm && n)) return WD_E_INVALID;
    if (n == 0) return WD_OK;
    switch (kind) {
    case WD_SHINGLE_WORD: return word_shingles(norm, n, k, seed, out);
    case WD_SHINGLE_CHAR: return char_shingles(norm, n, k, seed, out);
    }
    return WD_E_INVALID;
}

/* The set, sorted: the distinct values need as much room again, which the
 * set's table already reserved. */
int wd_shingles(const char *norm, size_t n, wd_shingle_kind kind, unsigned k,
                uint64_t seed, wd_u64s *out)
{
    int rc = wd_shingle_set(norm, n, kind, k, seed, out);
    if (rc || out->len < 2) return rc;
    if (out->cap < 2 * out->len && wd_u64s_reserve(out, 2 * out->len) != WD_OK) {
        out->len = 0;
        return WD_E_NOMEM;
    }
    out->len = wd_sort_unique_u64(out->data, out->len, out->data + out->len);
    return WD_OK;
}
