/*
 * passages.c - the text two documents share, for `wiredup compare --show`.
 *
 * Works on the normalized texts, where tokens are separated by exactly one
 * space, so a k-token shingle is a contiguous substring. B's shingles are
 * hashed into a sorted array; each of A's shingles found there marks its k
 * tokens as covered; maximal runs of covered tokens are the passages.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "wiredup.h"
#include "../common/buf.h"
#include "../text/text.h"

/* Token start offsets of normalized text s[0..n) into *starts. */
static int token_starts(const char *s, size_t n, wd_u64s *starts)
{
    starts->len = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || s[i - 1] == ' ') {
            if (wd_u64s_reserve(starts, starts->len + 1)) return WD_E_NOMEM;
            starts->data[starts->len++] = i;
        }
    }
    return WD_OK;
}

/* End (exclusive) of token t. */
static size_t token_end(const wd_u64s *st, size_t t, size_t n)
{
    return t + 1 < st->len ? st->data[t + 1] - 1 : n;
}

static uint64_t shingle_hash(const char *s, const wd_u64s *st, size_t t, size_t k, size_t n)
{
    size_t from = st->data[t], to = token_end(st, t + k - 1, n);
    return XXH3_64bits(s + from, to - from);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int wd_shared_passages(const wd_params *p, const char *a, size_t a_len,
                       const char *b, size_t b_len, wd_passage_fn fn, void *ctx)
{
    if (!p || !fn || (!a && a_len) || (!b && b_len)) return WD_E_INVALID;
    size_t k = p->shingle == WD_SHINGLE_WORD ? p->shingle_size : 3;
    wd_buf na = {0}, nb = {0};
    wd_u64s sa = {0}, sb = {0}, hb = {0};
    unsigned char *cover = NULL;
    int rc = wd_normalize(a ? a : "", a_len, &na);
    if (!rc) rc = wd_normalize(b ? b : "", b_len, &nb);
    if (!rc) rc = token_starts(na.data, na.len, &sa);
    if (!rc) rc = token_starts(nb.data, nb.len, &sb);
    if (rc) goto out;
    if (sa.len < k || sb.len < k) k = sa.len < sb.len ? sa.len : sb.len;
    if (k == 0) goto out;
    if (wd_u64s_reserve(&hb, sb.len - k + 1) || !(cover = calloc(sa.len, 1))) {
        rc = WD_E_NOMEM;
        goto out;
    }
    for (size_t t = 0; t + k <= sb.len; t++) hb.data[hb.len++] = shingle_hash(nb.data, &sb, t, k, nb.len);
    qsort(hb.data, hb.len, sizeof *hb.data, cmp_u64);
    for (size_t t = 0; t + k <= sa.len; t++) {
        uint64_t h = shingle_hash(na.data, &sa, t, k, na.len);
        if (bsearch(&h, hb.data, hb.len, sizeof h, cmp_u64)) memset(cover + t, 1, k);
    }
    for (size_t t = 0; t < sa.len && !rc;) {
        if (!cover[t]) { t++; continue; }
        size_t u = t;
        while (u < sa.len && cover[u]) u++;
        size_t from = sa.data[t], to = token_end(&sa, u - 1, na.len);
        rc = fn(ctx, na.data + from, to - from);
        t = u;
    }
out:
    free(cover);
    wd_buf_free(&na);
    wd_buf_free(&nb);
    wd_u64s_free(&sa);
    wd_u64s_free(&sb);
    wd_u64s_free(&hb);
    return rc;
}
