/*
 * utf8.h - strict UTF-8 decoding and encoding (internal to src/text).
 *
 * The decoder accepts exactly the well-formed sequences of Unicode Table 3-7:
 * shortest form only, no surrogates, nothing above U+10FFFF. Everything else
 * is reported as invalid so that the caller can treat that one byte as a
 * separator and resume at the next byte (wiredup.h, "Text rules"). It never
 * reads at or past s + n, so inputs that end mid-sequence are safe.
 */
#ifndef WD_TEXT_UTF8_H
#define WD_TEXT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence starting at s[0] (n >= 1 bytes available). On success
 * stores the code point in *cp and returns its length 1..4; returns 0 when
 * s[0] does not start a valid, shortest-form sequence within the n bytes. */
static inline int wd_utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c < 0xC2) return 0;            /* continuation byte or overlong C0/C1 */
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = (int32_t)(((c & 0x1F) << 6) | (s[1] & 0x3F));
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3) return 0;
        unsigned c1 = s[1], c2 = s[2];
        /* E0 needs A0..BF (else overlong); ED needs 80..9F (else surrogate) */
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (c1 < lo || c1 > hi || (c2 & 0xC0) != 0x80) return 0;
        *cp = (int32_t)(((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F));
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4) return 0;
        unsigned c1 = s[1], c2 = s[2], c3 = s[3];
        /* F0 needs 90..BF (else overlong); F4 needs 80..8F (else > U+10FFFF) */
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (c1 < lo || c1 > hi || (c2 & 0xC0) != 0x80 || (c3 & 0xC0) != 0x80)
            return 0;
        *cp = (int32_t)(((c & 0x07) << 18) | ((c1 & 0x3F) << 12) |
                        ((c2 & 0x3F) << 6) | (c3 & 0x3F));
        return 4;
    }
    return 0;                          /* F5..FF never occur in UTF-8 */
}

/* Writes the UTF-8 form of a valid scalar value cp to d (room for 4 bytes)
 * and returns the number of bytes written. */
static inline int wd_utf8_encode(int32_t cp, char *d)
{
    uint32_t u = (uint32_t)cp;
    if (u < 0x80) {
        d[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        d[0] = (char)(0xC0 | (u >> 6));
        d[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        d[0] = (char)(0xE0 | (u >> 12));
        d[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        d[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (u >> 18));
    d[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    d[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* 1 when s[0..n) is entirely well-formed UTF-8 (same rules as the decoder). */
int wd_utf8_valid(const char *s, size_t n);

/* Number of code points in s[0..n), counting a position as the start of one
 * when it is 0 or holds a byte that is not a continuation byte (10xxxxxx).
 * Defined for any bytes; equals the code point count for valid UTF-8. */
size_t wd_utf8_count(const char *s, size_t n);

#endif
