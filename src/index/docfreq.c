/* docfreq.c - document frequency of shingles, exact or sketched (see docfreq.h). */
#include "docfreq.h"

#define JUDYERROR_NOTEST 1 /* report Judy's errors as return codes, never exit */
#include <Judy.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

/* splitmix64's finalizer: row r of the sketch uses mix(hash ^ seed[r]). */
static inline uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Cell of hash in row r: a 64-bit hash scaled to [0, width) (Lemire's
 * multiply-shift range reduction, no division). */
static inline uint64_t cell(const wd_docfreq *d, unsigned r, uint64_t hash)
{
    return (uint64_t)(((unsigned __int128)mix(hash ^ d->seed[r]) * d->width) >> 64) + r * d->width;
}

int wd_docfreq_init_exact(wd_docfreq *d)
{
    memset(d, 0, sizeof *d);
    d->kind = WD_DOCFREQ_EXACT;
    d->min_docs = WD_DOCFREQ_MIN_DOCS;
    return WD_OK;
}

int wd_docfreq_init_sketch(wd_docfreq *d, uint64_t width, unsigned depth, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    if (width == 0 || depth == 0 || depth > WD_DOCFREQ_MAX_DEPTH ||
        width > SIZE_MAX / sizeof *d->cells / depth)
        return WD_E_INVALID;
    d->kind = WD_DOCFREQ_SKETCH;
    d->min_docs = WD_DOCFREQ_MIN_DOCS;
    d->width = width;
    d->depth = depth;
    d->cells = calloc((size_t)width * depth, sizeof *d->cells);
    if (!d->cells) return WD_E_NOMEM;
    uint64_t s = seed ^ 0x646f6366726571ULL; /* "docfreq" */
    for (unsigned r = 0; r < depth; r++) d->seed[r] = mix(s += 0x9e3779b97f4a7c15ULL);
    return WD_OK;
}

void wd_docfreq_free(wd_docfreq *d)
{
    Word_t bytes;
    JLFA(bytes, d->judy);
    (void)bytes;
    free(d->cells);
    memset(d, 0, sizeof *d);
}

/* Conservative update of one hash: every row's cell is raised to
 * (the smallest of them) + 1, never lowered. */
static inline void sketch_add1(wd_docfreq *d, const uint64_t *at)
{
    uint32_t lo = UINT32_MAX;
    for (unsigned r = 0; r < d->depth; r++)
        if (d->cells[at[r]] < lo) lo = d->cells[at[r]];
    if (lo == UINT32_MAX) return; /* saturated */
    for (unsigned r = 0; r < d->depth; r++)
        if (d->cells[at[r]] <= lo) d->cells[at[r]] = lo + 1;
}

/* Cells are far apart in memory, so a block's cells are computed and
 * prefetched before any is updated. */
#define BLOCK 16

int wd_docfreq_add(wd_docfreq *d, const uint64_t *hashes, size_t n)
{
    if (d->kind == WD_DOCFREQ_EXACT) {
        for (size_t i = 0; i < n; i++) {
            PWord_t pv;
            JLI(pv, d->judy, (Word_t)hashes[i]);
            if (pv == PJERR) return WD_E_NOMEM;
            if (*pv == 0) d->distinct++;
            ++*pv;
        }
    } else {
        uint64_t at[BLOCK][WD_DOCFREQ_MAX_DEPTH];
        for (size_t i = 0; i < n; i += BLOCK) {
            size_t m = n - i < BLOCK ? n - i : BLOCK;
            for (size_t k = 0; k < m; k++)
                for (unsigned r = 0; r < d->depth; r++) {
                    at[k][r] = cell(d, r, hashes[i + k]);
                    __builtin_prefetch(&d->cells[at[k][r]], 1);
                }
            for (size_t k = 0; k < m; k++) {
                if (!d->plain) {
                    sketch_add1(d, at[k]);
                    continue;
                }
                for (unsigned r = 0; r < d->depth; r++)
                    if (d->cells[at[k][r]] != UINT32_MAX) d->cells[at[k][r]]++;
            }
        }
    }
    d->docs++;
    d->total += n;
    return WD_OK;
}

uint64_t wd_docfreq_estimate(const wd_docfreq *d, uint64_t hash)
{
    if (d->kind == WD_DOCFREQ_EXACT) {
        PWord_t pv;
        JLG(pv, d->judy, (Word_t)hash);
        return pv && pv != PJERR ? (uint64_t)*pv : 0;
    }
    uint32_t lo = UINT32_MAX;
    for (unsigned r = 0; r < d->depth; r++) {
        uint32_t c = d->cells[cell(d, r, hash)];
        if (c < lo) lo = c;
    }
    return lo;
}

uint64_t wd_docfreq_threshold(const wd_docfreq *d, double share)
{
    if (!(share > 0)) share = 0; /* NaN too */
    if (share > 1) share = 1;
    double t = ceil(share * (double)d->docs);
    uint64_t th = t >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)t;
    return th > d->min_docs ? th : d->min_docs;
}

int wd_docfreq_is_common(const wd_docfreq *d, uint64_t hash, double share)
{
    return wd_docfreq_estimate(d, hash) >= wd_docfreq_threshold(d, share);
}

size_t wd_docfreq_filter(const wd_docfreq *d, double share, const uint64_t *in, size_t n, uint64_t *out)
{
    const uint64_t th = wd_docfreq_threshold(d, share);
    size_t k = 0;
    if (d->kind == WD_DOCFREQ_EXACT) {
        for (size_t i = 0; i < n; i++) {
            uint64_t h = in[i];
            if (wd_docfreq_estimate(d, h) < th) out[k++] = h;
        }
        return k;
    }
    /* As in wd_docfreq_add: a block's cells are all requested before any
     * is read, so the cache misses overlap instead of following each other.
     * out may be in: a block is read whole before its kept values are
     * written, and they never pass the read position. */
    uint64_t at[BLOCK][WD_DOCFREQ_MAX_DEPTH], h[BLOCK];
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        for (size_t j = 0; j < m; j++) {
            h[j] = in[i + j];
            for (unsigned r = 0; r < d->depth; r++) {
                at[j][r] = cell(d, r, h[j]);
                __builtin_prefetch(&d->cells[at[j][r]]);
            }
        }
        for (size_t j = 0; j < m; j++) {
            uint32_t lo = UINT32_MAX;
            for (unsigned r = 0; r < d->depth; r++)
                if (d->cells[at[j][r]] < lo) lo = d->cells[at[j][r]];
            if (lo < th) out[k++] = h[j];
        }
    }
    return k;
}

int wd_docfreq_merge(wd_docfreq *into, const wd_docfreq *from)
{
    if (into->kind != from->kind) return WD_E_INVALID;
    if (into->kind == WD_DOCFREQ_EXACT) {
        Word_t h = 0;
        PWord_t src;
        JLF(src, from->judy, h);
        while (src && src != PJERR) {
            PWord_t dst;
            JLI(dst, into->judy, h);
            if (dst == PJERR) return WD_E_NOMEM;
            if (*dst == 0) into->distinct++;
            *dst += *src;
            JLN(src, from->judy, h);
        }
    } else {
        if (into->width != from->width || into->depth != from->depth ||
            memcmp(into->seed, from->seed, sizeof into->seed))
            return WD_E_INVALID;
        const size_t cells = (size_t)into->width * into->depth;
        for (size_t i = 0; i < cells; i++) {
            uint64_t s = (uint64_t)into->cells[i] + from->cells[i];
            into->cells[i] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
        }
    }
    into->docs += from->docs;
    into->total += from->total;
    return WD_OK;
}
