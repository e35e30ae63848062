/*
 * normalize.c - raw bytes -> "tok tok tok" (wiredup.h, "Text rules").
 *
 * The input is cut into alternating runs:
 *
 *   ...ASCII ASCII ASCII [A  non-ASCII non-ASCII ...] ASCII ASCII...
 *   \___ fast path ___/  \________ general path ______/
 *
 * ASCII bytes go through a 128-entry table (lowercase letter / digit, or 0
 * for a separator) and never touch utf8proc. A non-ASCII run, together with
 * the one ASCII byte just before it (it may compose with what follows, as in
 * "e" + U+0301 or "<" + U+0338), goes through the general path: strict
 * decoding, NFKC_Casefold with utf8proc, then classification by general
 * category. Cutting before an ASCII byte never changes the result: ASCII
 * bytes are starters (combining class 0) and no canonical composition has an
 * ASCII second element, so nothing composes or reorders across the cut.
 * wd_normalize_slow() runs the general path over everything; the tests check
 * both give the same bytes.
 *
 * Scratch space for code points is a per-thread buffer that only grows, so
 * a warmed-up thread normalizes without calling malloc.
 */
#include "text.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "script.h"
#include "text_internal.h"
#include "utf8.h"

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

static void scratch_key_init(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_release) == 0;
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
 * as a space, and kept unless it is a second separator in a row, so the loop
 * has no branch (word boundaries are too frequent to predict) and its only
 * dependency chain is one add per byte. */
static size_t ascii_run(const unsigned char *s, size_t m, char *d, size_t o,
                        int *kind)
{
    if (m == 0) return o;
    if (*kind == K_SOLO) d[o++] = ' ';  /* right for a word and a separator alike */
    unsigned prev_sep = *kind != K_WORD;
    for (size_t i = 0; i < m; i++) {
        unsigned v = ascii_fold[s[i]];
        unsigned sep = v == ' ';
        d[o] = (char)v;
        o += !(sep & prev_sep);
        prev_sep = sep;
    }
    *kind = prev_sep ? K_SEP : K_WORD;
    return o;
}

/* ---------------------------------------------------------------------------
 * General path
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

/* Appends the tokens of normalized code points b[0..w) to out, which has
 * room for 5 bytes per code point (4 of UTF-8, 1 of space). */
static void emit(const int32_t *b, size_t w, wd_buf *out, int *kindp)
{
    char *d = out->data;
    size_t o = out->len;
    int kind = *kindp;
    for (size_t j = 0; j < w; j++) {
        int32_t cp = b[j];
        if (cp < 0x80) {
            unsigned v = ascii_map[cp];
            if (!v) {
                if (kind != K_SEP) d[o++] = ' ';
                kind = K_SEP;
                continue;
            }
            if (kind == K_SOLO) d[o++] = ' ';
            d[o++] = (char)v;
            kind = K_WORD;
            continue;
        }
        utf8proc_category_t cat = utf8proc_category(cp);
        if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
            (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)) {
            if (wd_script_solo(cp)) {
                if (kind != K_SEP) d[o++] = ' ';
                kind = K_SOLO;
            } else {
                if (kind == K_SOLO) d[o++] = ' ';
                kind = K_WORD;
            }
        } else if (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) {
            /* A mark stays with the token before it; with none before, it
             * starts a word of its own rather than vanishing. */
            if (kind == K_SEP) kind = K_WORD;
        } else {
            if (kind != K_SEP) d[o++] = ' ';
            kind = K_SEP;
            continue;
        }
        o += (size_t)wd_utf8_encode(cp, d + o);
    }
    out->len = o;
    *kindp = kind;
}

/* Runs the general path over s[0..n) and appends the tokens to out. Each
 * byte that does not start a valid sequence becomes U+0020 in the code point
 * stream: a separator that composes with nothing, as the rules require. */
static int slow_run(const unsigned char *s, size_t n, wd_buf *out, int *kind)
{
    if (n == 0) return WD_OK;
    if (scratch_reserve(n + 32) != WD_OK) return WD_E_NOMEM;
    int32_t *buf = tl_scratch.data;
    size_t cap = tl_scratch.cap, w = 0, i = 0;
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    while (i < n) {
        int32_t cp;
        int len = wd_utf8_decode(s + i, n - i, &cp);
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
            /* Rare long expansion (U+FDFA gives 18): grow for the rest too. */
            if (scratch_reserve(w + (size_t)r + (n - i) + 32) != WD_OK)
                return WD_E_NOMEM;
            buf = tl_scratch.data;
            cap = tl_scratch.cap;
        }
        i += (size_t)len;
    }
    canonical_order(buf, w);
    utf8proc_ssize_t c = utf8proc_normalize_utf32(buf, (utf8proc_ssize_t)w, NORM_OPTS);
    w = c < 0 ? 0 : (size_t)c;
    if (w > (SIZE_MAX - out->len - 1) / 5) return WD_E_NOMEM;
    if (wd_buf_reserve(out, out->len + 5 * w + 1) != WD_OK) return WD_E_NOMEM;
    emit(buf, w, out, kind);
    return WD_OK;
}

/* ---------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------- */

int wd_normalize(const char *s, size_t n, wd_buf *out)
{
    if (!out || (!s && n)) return WD_E_INVALID;
    out->len = 0;
    if (n == 0) return WD_OK;
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
            if (wd_buf_reserve(out, out->len + m + 1) != WD_OK) goto nomem;
            out->len = ascii_run(u + i, m, out->data, out->len, &kind);
        }
        if (p == n) break;
        size_t q = p + 1;
        while (q < n && u[q] >= 0x80) q++;
        if (slow_run(u + fast_end, q - fast_end, out, &kind) != WD_OK) goto nomem;
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
    if (slow_run((const unsigned char *)s, n, out, &kind) != WD_OK) {
        out->len = 0;
        return WD_E_NOMEM;
    }
    if (kind == K_SEP && out->len) out->len--;
    return WD_OK;
}
