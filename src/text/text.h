/*
 * text.h - the first stage: bytes -> normalized text -> shingle hashes.
 *
 *   raw UTF-8 --wd_normalize--> "tok tok tok" --wd_shingles--> sorted distinct u64
 *
 * wd_normalize() applies the "Text rules" of wiredup.h and writes the
 * normalized form: tokens separated by exactly one ASCII space, no leading or
 * trailing space. Each Han/Hiragana/Katakana/Hangul/Thai character (with its
 * following combining marks) is a token of its own, so it is surrounded by
 * spaces in the output. Two documents are exact duplicates when their
 * normalized forms are equal.
 *
 * wd_shingles() hashes shingles of the normalized form with XXH3 (seeded):
 *   WD_SHINGLE_WORD: k consecutive tokens; a document with fewer than k tokens
 *                    yields one shingle of all its tokens.
 *   WD_SHINGLE_CHAR: k consecutive code points of the normalized form
 *                    (spaces included); a shorter document yields one shingle.
 * The output is sorted ascending and holds each hash once, so its length is
 * the number of distinct shingles. An empty normalized text yields none.
 * Tokens are runs of non-space bytes, so text that is not exactly normalized
 * is still handled; in CHAR mode a code point starts at any byte that is not
 * a UTF-8 continuation byte.
 *
 * Both functions return WD_E_INVALID for a NULL out or a NULL text with
 * n > 0 (and WD_E_INVALID for k == 0 or an unknown kind); on any error
 * out->len is 0.
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

/* Shingle hashes of normalized text norm[0..n) into out (sorted, distinct).
 * Returns WD_OK, WD_E_NOMEM, or WD_E_INVALID for k == 0. */
int wd_shingles(const char *norm, size_t n, wd_shingle_kind kind, unsigned k,
                uint64_t seed, wd_u64s *out);

#endif
