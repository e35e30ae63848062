/*
 * normalize.c - raw bytes -> "tok tok tok" (wiredup.h, "Text rules").
 *
 * The input is cut into alternating runs:
 *
 *   ...ASCII ASCII ASCII [A  non-ASCII non-ASCII ...] ASCII ASCII...
 *   \___ fast path ___/  \________ general path ______/
 *
 * ASCII bytes go through a 128-entry table (lowercase letter / digit, or a
 * separator) and never touch utf8proc. A non-ASCII run, together with the
 * one ASCII byte just before it (it may compose with what follows, as in
 * "e" + U+0301 or "<" + U+0338), goes through the general path: strict
 * decoding, NFKC_Casefold with utf8proc, then classification by general
 * category. Cutting before an ASCII byte never changes the result: ASCII
 * bytes are starters (combining class 0) and no canonical composition has an
 * ASCII second element, so nothing composes or reorders across the cut.
 * Inside the general path, code points that normalization provably leaves
 * alone are copied without utf8proc as well (see "Code point facts").
 * wd_normalize_slow() runs everything through utf8proc; the tests check that
 * both give the same bytes, for random text and for every BMP code point.
 *
 * Scratch space for code points is a per-thread buffer that only grows, so
 * a warmed-up thread normalizes without calling malloc.
 */
#include "text.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#if defined(__SSE2__) && !defined(WD_TEXT_PORTABLE)
#include <emmintrin.h>
#define WD_NORMALIZE_SSE2 1
#endif

#include "normalize_simd.h"
#include "rewrite.h"
#include "script.h"
#include "text_internal.h"
#include "utf8.h"
#include "../common/cpu.h"

/* What the output ends with. A separator after a token writes its space at
 * once ("eager" spaces, so the ASCII loop never looks back); wd_normalize()
 * drops a trailing space at the end. */
enum {
    K_SEP,   /* output empty or ending in a space: at a token boundary */
    K_WORD,  /* inside a word: letters, digits and marks run together */
    K_SOLO   /* after a Han/Kana/Hangul/Thai character: only marks attach */
};

/* NFKC_Casefold as utf8proc defines it (utf8proc_NFKC_Casefold): the IGNORE
 * flag drops default-ignorable code points (soft hyphen, zero-width joiners,
 * BOM, variation selectors) so they cannot split or change a word. COMPOSE
 * also makes utf8proc_decompose_char() split Hangul syllables, which the
 * compose step then rebuilds, so jamo sequences meet syllables half way. */
#define NORM_OPTS ((utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_COMPAT | \
                                       UTF8PROC_CASEFOLD | UTF8PROC_IGNORE))

/* ASCII after NFKC_Casefold: the lowercase byte of a letter or digit, 0 for a
 * separator. Matches utf8proc: letters and digits are the only ASCII in the
 * L* and N* categories, and A-Z fold to a-z. */
static const unsigned char ascii_map[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
};

/* The same with ' ' for separators: what the fast path writes. */
static const unsigned char ascii_fold[128] = {
    ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
    ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
    ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', ' ', ' ', ' ', ' ', ' ',
    ' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', ' ', ' ', ' ', ' ', ' ',
    ' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', ' ', ' ', ' ', ' ', ' ',
};

/* ---------------------------------------------------------------------------
 * Per-thread code point scratch
 *
 * A thread-local pointer gives fast access; a pthread key with a destructor
 * frees the buffer when a worker thread exits.
 * ------------------------------------------------------------------------- */
typedef struct cp_scratch {
    int32_t *data;  /* code points */
    size_t cap;     /* code points allocated */
} cp_scratch;

static _Thread_local cp_scratch tl_scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_release(void *p)
{
    free(p);
}

/* The input after rewrite.h's repairs, when one fired; same lifetime. */
static _Thread_local wd_buf tl_fixed;
static pthread_key_t fixed_key;
static int fixed_key_ok;

static void scratch_key_init(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_release) == 0;
    fixed_key_ok = pthread_key_create(&fixed_key, scratch_release) == 0;
}

/* Room for at least want code points in tl_scratch. WD_OK or WD_E_NOMEM. */
static int scratch_reserve(size_t want)
{
    cp_scratch *sc = &tl_scratch;
    if (want <= sc->cap) return WD_OK;
    size_t cap = sc->cap + sc->cap / 2 + 256;
    if (cap < want) cap = want;
    if (cap > SIZE_MAX / sizeof *sc->data) return WD_E_NOMEM;
    int32_t *p = realloc(sc->data, cap * sizeof *p);
    if (!p) return WD_E_NOMEM;
    sc->data = p;
    sc->cap = cap;
    pthread_once(&scratch_once, scratch_key_init);
    if (scratch_key_ok) pthread_setspecific(scratch_key, p);
    return WD_OK;
}

/* Points *s, *n at the repaired input (rewrite.h) when a rule fires there.
 * Both entry points start here, so every path tokenizes the same bytes.
 * WD_OK or WD_E_NOMEM. */
static int repair(const char **s, size_t *n)
{
    void *old = tl_fixed.data;
    int r = wd_rewrite(*s, *n, &tl_fixed);
    if (tl_fixed.data != old) {
        pthread_once(&scratch_once, scratch_key_init);
        if (fixed_key_ok) pthread_setspecific(fixed_key, tl_fixed.data);
    }
    if (r < 0) return WD_E_NOMEM;
    if (r) {
        *s = tl_fixed.data;
        *n = tl_fixed.len;
    }
    return WD_OK;
}

/* ---------------------------------------------------------------------------
 * Fast path
 * ------------------------------------------------------------------------- */

/* Index of the first byte >= 0x80 in s[i..n), or n. Eight bytes at a time,
 * since news text is mostly ASCII. */
static size_t next_non_ascii(const unsigned char *s, size_t i, size_t n)
{
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        w &= 0x8080808080808080u;
        if (w) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + ((size_t)__builtin_ctzll(w) >> 3);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n && s[i] < 0x80) i++;
    return i;
}

/* Appends the tokens of the ASCII bytes s[0..m) at d[o] and returns the new
 * length. d needs room for o + m + 1 bytes: at most one byte per input byte
 * plus the space that ends a Han/Kana token. Every byte is stored, folded or
 * as a space, and kept unless it is a second separator in a row, so the
 * scalar loop has no branch (word boundaries are too frequent to predict)
 * and its only dependency chain is one add per byte. With SSE2, sixteen
 * bytes are folded and classified at once; a block without two separators
 * in a row (about half of news text) is stored whole. */
static size_t ascii_run(const unsigned char *s, size_t m, char *d, size_t o,
                        int *kind)
{
    if (m == 0) return o;
    if (*kind == K_SOLO) d[o++] = ' ';  /* right for a word and a separator alike */
    unsigned prev_sep = *kind != K_WORD;
    size_t i = 0;
#ifdef WD_NORMALIZE_SSE2
    /* Bytes are < 0x80 here, so signed compares order them correctly. */
    const __m128i sp = _mm_set1_epi8(0x20);
    const __m128i a0 = _mm_set1_epi8('a' - 1), z1 = _mm_set1_epi8('z' + 1);
    const __m128i d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1);
    for (; i + 16 <= m; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i low = _mm_or_si128(x, sp);  /* A-Z -> a-z */
        __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(low, a0), _mm_cmplt_epi8(low, z1));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, d0), _mm_cmplt_epi8(x, d9));
        __m128i word = _mm_or_si128(alpha, digit);
        __m128i fold = _mm_or_si128(_mm_or_si128(_mm_and_si128(alpha, low),
                                                 _mm_and_si128(digit, x)),
                                    _mm_andnot_si128(word, sp));
        unsigned sep = (unsigned)_mm_movemask_epi8(word) ^ 0xFFFFu;
        unsigned keep = ~(sep & ((sep << 1) | prev_sep)) & 0xFFFFu;
        prev_sep = sep >> 15;
        if (keep == 0xFFFFu) {
            _mm_storeu_si128((__m128i *)(void *)(d + o), fold);
            o += 16;
            continue;
        }
        unsigned char f[16];
        _mm_storeu_si128((__m128i *)(void *)f, fold);
        for (int j = 0; j < 16; j++) {
            d[o] = (char)f[j];
            o += (keep >> j) & 1;
        }
    }
#endif
    for (; i < m; i++) {
        unsigned v = ascii_fold[s[i]];
        unsigned sep = v == ' ';
        d[o] = (char)v;
        o += !(sep & prev_sep);
        prev_sep = sep;
    }
    *kind = prev_sep ? K_SEP : K_WORD;
    return o;
}

_Static_assert((int)K_SEP == (int)WD_K_SEP && (int)K_WORD == (int)WD_K_WORD &&
                   (int)K_SOLO == (int)WD_K_SOLO,
               "normalize_simd.h mirrors the output states");

/* ascii_run() on the active ISA: the vector versions give the same bytes
 * (tests/unit/test_isa.c) and need WD_ASCII_RUN_SLACK bytes of room. */
static inline size_t ascii_fast(const unsigned char *s, size_t m, char *d, size_t o,
                                int *kind)
{
    switch (wd_isa_active()) {
    case WD_ISA_AVX512: return wd_ascii_run_avx512(s, m, d, o, kind);
    case WD_ISA_AVX2: return wd_ascii_run_avx2(s, m, d, o, kind);
    default: return ascii_run(s, m, d, o, kind);
    }
}

/* ---------------------------------------------------------------------------
 * Canonical ordering
 * ------------------------------------------------------------------------- */

/* Canonical combining class; nothing below U+0300 has one. */
static inline int ccc(int32_t cp)
{
    return cp < 0x300 ? 0 : utf8proc_get_property(cp)->combining_class;
}

/* Canonical ordering: sorts each run of non-starters by combining class,
 * stably (Unicode 3.11). utf8proc_decompose() does this step for us, but we
 * decode ourselves so that invalid bytes become separators, and call
 * utf8proc_decompose_char(), which does not. */
static void canonical_order(int32_t *b, size_t w)
{
    size_t i = 0;
    while (i < w) {
        if (ccc(b[i]) == 0) {
            i++;
            continue;
        }
        size_t a = i++;
        while (i < w && ccc(b[i]) != 0) i++;
        for (size_t j = a + 1; j < i; j++) {  /* insertion sort of b[a..i) */
            int32_t x = b[j];
            int cx = ccc(x);
            size_t t = j;
            while (t > a && ccc(b[t - 1]) > cx) {
                b[t] = b[t - 1];
                t--;
            }
            b[t] = x;
        }
    }
}

/* ---------------------------------------------------------------------------
 * Code point facts
 *
 * The output needs the class of each normalized code point. The general path
 * also wants to know when a code point can skip utf8proc. Normalization can
 * only join or reorder a code point with its neighbours through composition
 * (a starter followed by a "second element") and canonical ordering (runs of
 * non-starters). So a code point X that NFKC_Casefold maps to itself may be
 * copied straight to the output when
 *   - X's own decomposition starts with a starter that is no second element
 *     (nothing before X can then reach it), and
 *   - what follows X is "safe": its decomposition also starts that way, or X
 *     is "stable", i.e. has no decomposition and no part in any composition.
 * Most text in Chinese, Japanese, Korean and Thai, most punctuation, and
 * lowercase accented Latin letters before ASCII qualify. The facts for the
 * BMP come from a 64 KiB table built on first use (a few milliseconds), for
 * the rest from utf8proc each time.
 * ------------------------------------------------------------------------- */
enum {
    C_SEP = 0,     /* separator */
    C_WORD = 1,    /* letter or digit that joins its neighbours into a word */
    C_MARK = 2,    /* combining mark: stays with the token before it */
    C_SOLO = 3,    /* Han/Kana/Hangul/Thai letter or digit: a token alone */
    C_CLASS = 3,   /* mask of the class */
    C_SAFE = 4,    /* decomposes to a starter first that is no second element */
    C_SELF = 8,    /* safe, and NFKC_Casefold maps it to itself */
    C_STABLE = 16  /* self, no decomposition, no part in any composition */
};

/* utf8proc 2.10 packed the composition fields into bit-fields. */
#if UTF8PROC_VERSION_MAJOR == 2 && UTF8PROC_VERSION_MINOR < 10
#define IS_SECOND(p) ((p)->comb_index != UINT16_MAX && (p)->comb_index >= 0x8000)
#define NO_COMPOSITION(p) ((p)->comb_index == UINT16_MAX)
#else
#define IS_SECOND(p) ((p)->comb_issecond)
#define NO_COMPOSITION(p) ((p)->comb_index == 0x3FF && !(p)->comb_issecond)
#endif

static unsigned char bmp_info[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

/* The class of a code point: letters and digits (L*, N*) make words,
 * marks (M*) attach, everything else separates. */
static unsigned class_of(int32_t cp, const utf8proc_property_t *p)
{
    int cat = p->category;
    if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
        (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
        return wd_script_solo(cp) ? C_SOLO : C_WORD;
    if (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) return C_MARK;
    return C_SEP;
}

static unsigned info_compute(int32_t cp)
{
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    unsigned info = class_of(cp, p);
    /* Conjoining jamo compose by arithmetic, which the property tables do
     * not show: never a shortcut. */
    if (cp >= 0x1100 && cp <= 0x11FF) return info;
    int32_t b[32];
    utf8proc_ssize_t r;
    int trivial = p->decomp_seqindex == UINT16_MAX && p->casefold_seqindex == UINT16_MAX &&
                  !p->ignorable && !(cp >= 0xAC00 && cp <= 0xD7A3);
    if (trivial) {
        b[0] = cp;
        r = 1;
    } else {
        int bc = UTF8PROC_BOUNDCLASS_START;
        r = utf8proc_decompose_char(cp, b, 32, NORM_OPTS, &bc);
        if (r < 1 || r > 32) return info;  /* ignorable, or a long expansion */
    }
    const utf8proc_property_t *f = utf8proc_get_property(b[0]);
    if (f->combining_class != 0 || IS_SECOND(f) || (b[0] >= 0x1160 && b[0] <= 0x11FF))
        return info;  /* V and T jamo are second elements by arithmetic */
    info |= C_SAFE;
    if (trivial) {
        info |= C_SELF;
        if (p->combining_class == 0 && NO_COMPOSITION(p)) info |= C_STABLE;
        return info;
    }
    canonical_order(b, (size_t)r);
    r = utf8proc_normalize_utf32(b, r, NORM_OPTS);
    if (r == 1 && b[0] == cp) info |= C_SELF;
    return info;
}

static void bmp_init(void)
{
    for (int32_t cp = 0; cp < 0x10000; cp++)
        bmp_info[cp] = (cp >= 0xD800 && cp <= 0xDFFF) ? C_SEP : (unsigned char)info_compute(cp);
}

/* Facts of a scalar value; bmp_init() must have run. */
static inline unsigned cp_info(int32_t cp)
{
    return cp < 0x10000 ? bmp_info[cp] : info_compute(cp);
}

/* Just the class (C_CLASS bits); bmp_init() must have run. */
static inline unsigned cp_class(int32_t cp)
{
    return cp < 0x10000 ? bmp_info[cp] & C_CLASS : class_of(cp, utf8proc_get_property(cp));
}

/* ---------------------------------------------------------------------------
 * General path
 * ------------------------------------------------------------------------- */

/* Appends one code point of class cls, given as its UTF-8 bytes u[0..len),
 * at d[o] and returns the new length; writes at most len + 1 bytes. */
static inline size_t put(char *d, size_t o, int *kind, unsigned cls,
                         const char *u, int len)
{
    switch (cls) {
    case C_SEP:
        if (*kind != K_SEP) d[o++] = ' ';
        *kind = K_SEP;
        return o;
    case C_WORD:
        if (*kind == K_SOLO) d[o++] = ' ';
        *kind = K_WORD;
        break;
    case C_SOLO:
        if (*kind != K_SEP) d[o++] = ' ';
        *kind = K_SOLO;
        break;
    default:
        /* A mark stays with the token before it; with none before, it
         * starts a word of its own rather than vanishing. */
        if (*kind == K_SEP) *kind = K_WORD;
        break;
    }
    memcpy(d + o, u, (size_t)len);
    return o + (size_t)len;
}

/* Appends the tokens of normalized code points b[0..w) to out, which has
 * room for 5 bytes per code point (4 of UTF-8, 1 of space). */
static void emit(const int32_t *b, size_t w, wd_buf *out, int *kind)
{
    char *d = out->data;
    size_t o = out->len;
    for (size_t j = 0; j < w; j++) {
        int32_t cp = b[j];
        char u[4];
        if (cp < 0x80) {
            u[0] = (char)ascii_map[cp];
            o = put(d, o, kind, u[0] ? C_WORD : C_SEP, u, 1);
        } else {
            int len = wd_utf8_encode(cp, u);
            o = put(d, o, kind, cp_class(cp), u, len);
        }
    }
    out->len = o;
}

/* Normalizes the pending code points b[0..w) and appends their tokens. */
static int flush(int32_t *b, size_t w, wd_buf *out, int *kind)
{
    canonical_order(b, w);
    utf8proc_ssize_t c = utf8proc_normalize_utf32(b, (utf8proc_ssize_t)w, NORM_OPTS);
    w = c < 0 ? 0 : (size_t)c;
    if (w > (SIZE_MAX - out->len - 1) / 5) return WD_E_NOMEM;
    if (wd_buf_reserve(out, out->len + 5 * w + 1) != WD_OK) return WD_E_NOMEM;
    emit(b, w, out, kind);
    return WD_OK;
}

/* Runs the general path over s[0..n) and appends the tokens to out. Code
 * points are decomposed (with case folding) into the per-thread scratch and
 * normalized together there. With shortcut set, a code point that provably
 * normalizes to itself whatever its neighbours (stable, or self with a safe
 * successor) first flushes what is pending and is then copied as it is.
 * Each byte that does not start a valid sequence is a separator that
 * composes with nothing: U+0020 in the pending stream, or a flush and a
 * space with the shortcut. */
static int slow_run(const unsigned char *s, size_t n, wd_buf *out, int *kind,
                    int shortcut)
{
    if (n == 0) return WD_OK;
    pthread_once(&bmp_once, bmp_init);
    /* Sized for what is pending, not for the run: with the shortcut, most
     * code points never wait here. */
    if (scratch_reserve(256) != WD_OK) return WD_E_NOMEM;
    int32_t *buf = tl_scratch.data;
    size_t cap = tl_scratch.cap, w = 0, i = 0;
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    while (i < n) {
        int32_t cp;
        int len = wd_utf8_decode(s + i, n - i, &cp);
        if (shortcut) {
            unsigned info = len ? cp_info(cp) : (C_SEP | C_STABLE);  /* invalid: a separator */
            if ((info & (C_SELF | C_STABLE)) == C_SELF) {
                /* Maps to itself; copy it if what follows cannot join it. */
                size_t at = i + (size_t)len;
                int32_t next;
                if (at >= n || wd_utf8_decode(s + at, n - at, &next) == 0 ||
                    (cp_info(next) & C_SAFE))
                    info |= C_STABLE;
            }
            if (info & C_STABLE) {
                if (w) {
                    if (flush(buf, w, out, kind) != WD_OK) return WD_E_NOMEM;
                    w = 0;
                }
                /* room for this and every later stable code point */
                if (out->cap - out->len < 5 &&
                    wd_buf_reserve(out, out->len + 2 * (n - i) + 8) != WD_OK)
                    return WD_E_NOMEM;
                if (len == 0) len = 1;
                out->len = put(out->data, out->len, kind, info & C_CLASS,
                               (const char *)s + i, len);
                i += (size_t)len;
                continue;
            }
        }
        if (len == 0) {
            cp = ' ';
            len = 1;
        }
        for (;;) {
            utf8proc_ssize_t r = utf8proc_decompose_char(
                cp, buf + w, (utf8proc_ssize_t)(cap - w), NORM_OPTS, &boundclass);
            if (r < 0) r = 0;  /* cannot happen for a scalar value; drop it */
            if ((size_t)r <= cap - w) {
                w += (size_t)r;
                break;
            }
            if (scratch_reserve(w + (size_t)r) != WD_OK) return WD_E_NOMEM;
            buf = tl_scratch.data;
            cap = tl_scratch.cap;
        }
        i += (size_t)len;
    }
    return w ? flush(buf, w, out, kind) : WD_OK;
}

/* ---------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------- */

int wd_normalize(const char *s, size_t n, wd_buf *out)
{
    if (!out || (!s && n)) return WD_E_INVALID;
    out->len = 0;
    if (n == 0) return WD_OK;
    if (repair(&s, &n) != WD_OK) return WD_E_NOMEM;
    if (n > SIZE_MAX - 1 || wd_buf_reserve(out, n + 1) != WD_OK)
        return WD_E_NOMEM;
    const unsigned char *u = (const unsigned char *)s;
    int kind = K_SEP;
    size_t i = 0;
    while (i < n) {
        size_t p = next_non_ascii(u, i, n);
        /* The ASCII byte just before a non-ASCII byte goes with it. */
        size_t fast_end = (p < n && p > i) ? p - 1 : p;
        size_t m = fast_end - i;
        if (m) {
            if (wd_buf_reserve(out, out->len + m + 1 + WD_ASCII_RUN_SLACK) != WD_OK) goto nomem;
            out->len = ascii_fast(u + i, m, out->data, out->len, &kind);
        }
        if (p == n) break;
        size_t q = p + 1;
        while (q < n && u[q] >= 0x80) q++;
        if (slow_run(u + fast_end, q - fast_end, out, &kind, 1) != WD_OK) goto nomem;
        i = q;
    }
    if (kind == K_SEP && out->len) out->len--;  /* the eager trailing space */
    return WD_OK;
nomem:
    out->len = 0;
    return WD_E_NOMEM;
}

int wd_normalize_slow(const char *s, size_t n, wd_buf *out)
{
    if (!out || (!s && n)) return WD_E_INVALID;
    out->len = 0;
    int kind = K_SEP;
    if (n && repair(&s, &n) != WD_OK) return WD_E_NOMEM;
    if (slow_run((const unsigned char *)s, n, out, &kind, 0) != WD_OK) {
        out->len = 0;
        return WD_E_NOMEM;
    }
    if (kind == K_SEP && out->len) out->len--;
    return WD_OK;
}
