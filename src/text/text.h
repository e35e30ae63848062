/*
 * text.h - the first stage: bytes -> normalized text -> shingle hashes.
 *
 *   raw UTF-8 --wd_normalize--> "tok tok tok" --wd_shingle_set--> distinct u64
 *
 * wd_normalize() applies the "Text rules" of wiredup.h and writes the
 * normalized form: tokens separated by exactly one ASCII space, no leading or
 * trailing space. Each Han/Hiragana/Katakana/Hangul/Thai character (with its
 * following combining marks) is a token of its own, so it is surrounded by
 * spaces in the output. Two documents are exact duplicates when their
 * normalized forms are equal.
 *
 * wd_shingle_set() hashes the shingles of the normalized form (seeded):
 *   WD_SHINGLE_WORD: k consecutive tokens; a document with fewer than k tokens
 *                    yields one shingle of all its tokens.
 *   WD_SHINGLE_CHAR: k consecutive code points of the normalized form
 *                    (spaces included), XXH3; a shorter document yields one
 *                    shingle.
 * and returns each distinct hash once, in no particular (but deterministic)
 * order; the length is the number of distinct shingles. wd_shingles()
 * returns the same values sorted ascending. An empty text yields none.
 *
 * Word shingle hashes (seed s; K = the splitmix64 stream from
 * s ^ 0x7368696e676c65, drawn as k0, k1, then m_0 .. m_{k-1}, each | 1):
 *   token t of len <= 16 bytes: lo, hi = bytes 0..7 and 8..15 as
 *       little-endian words, zero-filled; T(t) = fold((lo ^ k0) * (hi ^ (k1 + len)))
 *       where fold(p) = low 64 bits of the 128-bit product ^ high 64 bits;
 *   longer token: T(t) = XXH3_64bits_withSeed(t, len, s);
 *   shingle of tokens t_0 .. t_{k-1}: fmix64(sum of T(t_i) * m_i, mod 2^64),
 *       fmix64 = MurmurHash3's finalizer.
 * One short multiply per token and k + 2 per shingle, where hashing each
 * shingle's bytes again would cost far more; the finalizer makes every bit
 * depend on every token, and two shingles that differ in one token never
 * collide before it (the m_i are odd, so the sum is injective in each term).
 */
#ifndef WD_TEXT_H
#define WD_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "wiredup.h"
#include "../common/buf.h"

/* Normalizes s[0..n) into out (out->len is set; out->data is not
 * NUL-terminated). Returns WD_OK or WD_E_NOMEM. */
int wd_normalize(const char *s, size_t n, wd_buf *out);

/* Distinct shingle hashes of normalized text norm[0..n) into out, in no
 * particular order. Returns WD_OK, WD_E_NOMEM, or WD_E_INVALID for k == 0 or
 * k > WD_MAX_SHINGLE. This is what the index uses: MinHash and OPH do not
 * care about order, and the set costs less than a sort. */
int wd_shingle_set(const char *norm, size_t n, wd_shingle_kind kind, unsigned k,
                   uint64_t seed, wd_u64s *out);

/* The same values sorted ascending (for exact set operations). */
int wd_shingles(const char *norm, size_t n, wd_shingle_kind kind, unsigned k,
                uint64_t seed, wd_u64s *out);

#endif
