/*
 * rewrite.c - byte-level repairs before tokenizing (see rewrite.h).
 *
 * Every rule starts at a trigger byte, a digit or one of '-' '&' '<', which
 * a scan finds sixteen bytes at a time (SSE2 is the x86-64 baseline, so this
 * does not depend on the dispatched ISA; every trigger is then judged by
 * the same scalar code). Most documents have triggers but no rule firing:
 * they cost one read of the input and no copy. The first firing rule starts
 * a copy; later ones are patched into it.
 */
#include "rewrite.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(WD_TEXT_PORTABLE)
#include <emmintrin.h>
#define WD_REWRITE_SSE2 1
#endif

#include "utf8.h"
#include "wiredup.h"

static inline int is_digit(unsigned c) { return c - '0' < 10; }
static inline int is_alpha(unsigned c) { return (c | 0x20) - 'a' < 26; }
static inline int is_lower(unsigned c) { return c - 'a' < 26; }
static inline int is_blank(unsigned c) { return c == ' ' || c == '\t' || c == '\r'; }

/* What a rule does: s[i..i+len) becomes rep[0..rlen). */
typedef struct fix {
    size_t len;   /* input bytes replaced */
    char rep[4];  /* replacement: nothing, a space, or one UTF-8 character */
    int rlen;     /* bytes in rep; never more than len */
    int split;    /* instead: the digits s[i..i+len) in groups of three */
} fix;

/* s[i] is a digit and s[i - 1] is not. A number written with or without
 * thousands separators: "1,250,000" vs "1250000". The plain form is split,
 * not the grouped one joined, so the usual (grouped) form keeps its tokens:
 * a run of four or more ASCII digits with no ASCII letter or digit on
 * either side is written in groups of three from the right, "1 250 000",
 * as ',' already separates the grouped form. Years ("1 987") and long
 * fractions split too, the same way in every copy. '.' is left alone: in
 * English wire text it is the decimal point ("7.125 pct"). */
static int rule_number(const unsigned char *s, size_t i, size_t n, fix *f)
{
    size_t e = i;
    while (e < n && is_digit(s[e])) e++;
    f->len = e - i;  /* skipped either way: no later digit of the run fires */
    f->rlen = 0;
    f->split = f->len >= 4 && !(i && is_alpha(s[i - 1])) && !(e < n && is_alpha(s[e]));
    return f->split;
}

/* s[i] == '-'. A word broken at a line end by layout, "tele-\nvision": a
 * letter, '-', blanks, one newline, blanks, a lowercase letter. The break is
 * removed and the word joins up. A hyphen inside a line ("well-known") or
 * before a capital ("Anglo-\nAmerican") keeps separating. */
static int rule_hyphen(const unsigned char *s, size_t i, size_t n, fix *f)
{
    if (i == 0 || !is_alpha(s[i - 1])) return 0;
    size_t j = i + 1;
    while (j < n && is_blank(s[j])) j++;
    if (j >= n || s[j] != '\n') return 0;
    for (j++; j < n && is_blank(s[j]); j++) {}
    if (j >= n || !is_lower(s[j])) return 0;
    f->len = j - i;
    f->rlen = 0;
    return 1;
}

/* Does s[i..n) start with the NUL-terminated w? Then its length, else 0. */
static size_t starts(const unsigned char *s, size_t i, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n - i >= k && !memcmp(s + i, w, k) ? k : 0;
}

/* s[i] == '&'. HTML entities left in text by a careless export. The named
 * ones all stand for separators, so they become a space; a numeric one
 * (&#39; &#x2019;) becomes its character if it is a scalar value other than
 * NUL, and is left alone otherwise. */
static int rule_entity(const unsigned char *s, size_t i, size_t n, fix *f)
{
    static const char *const named[] = {"&amp;", "&quot;", "&lt;", "&gt;", "&apos;", "&nbsp;"};
    size_t len;
    for (size_t k = 0; k < sizeof named / sizeof *named; k++)
        if ((len = starts(s, i, n, named[k]))) {
            f->len = len;
            f->rep[0] = ' ';
            f->rlen = 1;
            return 1;
        }
    if (n - i < 4 || s[i + 1] != '#') return 0;
    size_t j = i + 2;
    int hex = (s[j] | 0x20) == 'x';
    j += (size_t)hex;
    uint32_t cp = 0;
    size_t digits = 0;
    for (; j < n && digits < 8; j++, digits++) {  /* 8 digits cannot overflow */
        unsigned c = s[j], v;
        if (is_digit(c)) v = c - '0';
        else if (hex && (c | 0x20) - 'a' < 6) v = (c | 0x20) - 'a' + 10;
        else break;
        cp = cp * (hex ? 16 : 10) + v;
    }
    if (!digits || j >= n || s[j] != ';') return 0;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    f->len = j + 1 - i;  /* at least "&#N;", 4 bytes: the character fits */
    f->rlen = wd_utf8_encode((int32_t)cp, f->rep);
    return 1;
}

/* s[i] == '<'. Paragraph and line-break tags become a space. Lowercase
 * only: Reuters writes ticker symbols in angle brackets, and "<P>" (Phillips
 * Petroleum) or "<BR>" is a company, not markup. */
static int rule_tag(const unsigned char *s, size_t i, size_t n, fix *f)
{
    static const char *const tags[] = {"<p>", "</p>", "<br>", "<br/>", "<br />"};
    size_t len;
    for (size_t k = 0; k < sizeof tags / sizeof *tags; k++)
        if ((len = starts(s, i, n, tags[k]))) {
            f->len = len;
            f->rep[0] = ' ';
            f->rlen = 1;
            return 1;
        }
    return 0;
}

/* The rule that fires at s[i], if any: 1 and *f filled in, else 0 (then
 * f->len, when set, is how many bytes need no second look). */
static int rule_at(const unsigned char *s, size_t i, size_t n, fix *f)
{
    f->len = 1;
    f->split = 0;
    switch (s[i]) {
    case '-': return rule_hyphen(s, i, n, f);
    case '&': return rule_entity(s, i, n, f);
    case '<': return rule_tag(s, i, n, f);
    default: return is_digit(s[i]) ? rule_number(s, i, n, f) : 0;
    }
}

/* Index of the first trigger byte in s[i..n), or n. */
static size_t next_trigger(const unsigned char *s, size_t i, size_t n)
{
#ifdef WD_REWRITE_SSE2
    const __m128i d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1);
    const __m128i dash = _mm_set1_epi8('-');
    const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* signed compares: bytes >= 0x80 are below '0' */
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, d0), _mm_cmplt_epi8(x, d9));
        __m128i m = _mm_or_si128(_mm_or_si128(digit, _mm_cmpeq_epi8(x, dash)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, amp), _mm_cmpeq_epi8(x, lt)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) return i + (size_t)__builtin_ctz(bits);
    }
#endif
    for (; i < n; i++)
        if (is_digit(s[i]) || s[i] == '-' || s[i] == '&' || s[i] == '<') break;
    return i;
}

int wd_rewrite(const char *text, size_t n, wd_buf *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t done = 0;  /* s[0..done) has been dealt with (copied, once writing) */
    int writing = 0;
    for (size_t i = next_trigger(s, 0, n); i < n; i = next_trigger(s, i, n)) {
        fix f;
        if (!rule_at(s, i, n, &f)) {
            i += f.len;
            continue;
        }
        if (!writing) {
            if (n > (SIZE_MAX - 1) / 4 * 3 || wd_buf_reserve(out, n + n / 3 + 1) != WD_OK)
                return WD_E_NOMEM;
            out->len = 0;
            writing = 1;
        }
        memcpy(out->data + out->len, s + done, i - done);
        out->len += i - done;
        if (f.split) {
            /* a space before each group of three that has digits before it */
            for (size_t k = i, e = i + f.len; k < e; k++) {
                out->data[out->len++] = (char)s[k];
                if (k + 1 < e && (e - k - 1) % 3 == 0) out->data[out->len++] = ' ';
            }
        } else {
            memcpy(out->data + out->len, f.rep, (size_t)f.rlen);
            out->len += (size_t)f.rlen;
        }
        done = i = i + f.len;
    }
    if (!writing) return 0;
    memcpy(out->data + out->len, s + done, n - done);
    out->len += n - done;
    return 1;
}
