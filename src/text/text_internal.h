/*
 * text_internal.h - entry points of src/text exposed for the unit tests
 * (and for other modules that want them); not part of the public API.
 */
#ifndef WD_TEXT_INTERNAL_H
#define WD_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"

/* wd_normalize() without the ASCII fast path: every byte goes through
 * utf8proc. Same contract and, by design, the same output; it exists so that
 * tests can check the fast path against it. */
int wd_normalize_slow(const char *s, size_t n, wd_buf *out);

/* Sorts v[0..n) ascending, drops repeated values and returns how many remain
 * (at the front of v). tmp must hold n values; its contents are clobbered. */
size_t wd_sort_unique_u64(uint64_t *v, size_t n, uint64_t *tmp);

/* The word shingle hash of text.h, piece by piece, for tests: the hash of
 * one token, and of a shingle of the k (1..WD_MAX_SHINGLE) token hashes t. */
uint64_t wd_token_hash(const char *tok, size_t len, uint64_t seed);
uint64_t wd_shingle_combine(const uint64_t *t, unsigned k, uint64_t seed);

#endif
