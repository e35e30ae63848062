/* runcount.c - exact hash counts as merged sorted runs (see runcount.h). */
#include "runcount.h"

#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

void wd_runcount_init(wd_runcount *c)
{
    memset(c, 0, sizeof *c);
}

static void run_free(wd_run *r)
{
    free(r->key);
    free(r->count);
    memset(r, 0, sizeof *r);
}

void wd_runcount_free(wd_runcount *c)
{
    free(c->buf);
    for (unsigned i = 0; i < c->nruns; i++) run_free(&c->run[i]);
    memset(c, 0, sizeof *c);
}

static int run_alloc(wd_run *r, size_t n)
{
    r->key = malloc((n ? n : 1) * sizeof *r->key);
    r->count = malloc((n ? n : 1) * sizeof *r->count);
    r->len = 0;
    if (r->key && r->count) return WD_OK;
    run_free(r);
    return WD_E_NOMEM;
}

/* LSD radix sort, 8 bits a pass; passes whose digit is constant skipped.
 * The result ends in v. */
static void radix_sort(uint64_t *v, size_t n, uint64_t *tmp)
{
    size_t cnt[8][256];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++) cnt[b][(v[i] >> (8 * b)) & 0xFF]++;
    uint64_t *src = v, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        unsigned shift = 8u * (unsigned)b;
        size_t *k = cnt[b], sum = 0;
        if (k[(src[0] >> shift) & 0xFF] == n) continue;
        for (int d = 0; d < 256; d++) {
            size_t t = k[d];
            k[d] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) dst[k[(src[i] >> shift) & 0xFF]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
}

/* Insertion sort that gives up (returning 0, v still a permutation) after
 * moving more than budget values. */
static int insertion_sort(uint64_t *v, size_t n, size_t budget)
{
    size_t moved = 0;
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
        v[j] = x;
        if ((moved += i - j) > budget) return 0;
    }
    return 1;
}

#define TOP_BITS 16

/*
 * Sorts v[0..n) (n <= WD_RUNCOUNT_BUFFER): one scatter by the top 16 bits,
 * after which hashes sit a few places from home and an insertion sort
 * finishes; equal hashes (the common shingles) never move. Should the
 * buckets be crowded (not hashes), the LSD radix sort takes over.
 */
static void sort_u64(uint64_t *v, size_t n, uint64_t *tmp, uint32_t *start)
{
    memset(start, 0, ((1u << TOP_BITS) + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++) start[(v[i] >> (64 - TOP_BITS)) + 1]++;
    for (size_t b = 1; b <= (1u << TOP_BITS); b++) start[b] += start[b - 1];
    for (size_t i = 0; i < n; i++) tmp[start[v[i] >> (64 - TOP_BITS)]++] = v[i];
    if (!insertion_sort(tmp, n, 8 * n)) radix_sort(tmp, n, v);
    memcpy(v, tmp, n * sizeof *v);
}

/* a and b merged into out (counts of equal keys added). */
static int merge2(const wd_run *a, const wd_run *b, wd_run *out)
{
    if (run_alloc(out, a->len + b->len)) return WD_E_NOMEM;
    size_t i = 0, j = 0, k = 0;
    while (i < a->len && j < b->len) {
        if (a->key[i] < b->key[j]) {
            out->key[k] = a->key[i];
            out->count[k++] = a->count[i++];
        } else if (b->key[j] < a->key[i]) {
            out->key[k] = b->key[j];
            out->count[k++] = b->count[j++];
        } else {
            uint64_t s = (uint64_t)a->count[i++] + b->count[j++];
            out->key[k] = a->key[i - 1];
            out->count[k++] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
        }
    }
    for (; i < a->len; i++, k++) out->key[k] = a->key[i], out->count[k] = a->count[i];
    for (; j < b->len; j++, k++) out->key[k] = b->key[j], out->count[k] = b->count[j];
    out->len = k;
    return WD_OK;
}

/* Merges the top two runs into one. */
static int collapse_top(wd_runcount *c)
{
    wd_run m;
    if (merge2(&c->run[c->nruns - 2], &c->run[c->nruns - 1], &m)) return WD_E_NOMEM;
    run_free(&c->run[c->nruns - 1]);
    run_free(&c->run[c->nruns - 2]);
    c->run[c->nruns - 2] = m;
    c->nruns--;
    return WD_OK;
}

/* Pushes run r (taken over) and restores falling lengths. */
static int push(wd_runcount *c, wd_run *r)
{
    if (c->nruns == WD_RUNCOUNT_MAX_RUNS && collapse_top(c)) {
        run_free(r);
        return WD_E_NOMEM;
    }
    c->run[c->nruns++] = *r;
    memset(r, 0, sizeof *r);
    while (c->nruns > 1 && c->run[c->nruns - 2].len <= 2 * c->run[c->nruns - 1].len)
        if (collapse_top(c)) return WD_E_NOMEM;
    return WD_OK;
}

/* Sorts the buffer into a run. */
static int flush(wd_runcount *c)
{
    if (!c->nbuf) return WD_OK;
    wd_run r;
    uint64_t *tmp = malloc(c->nbuf * sizeof *tmp);
    uint32_t *start = malloc(((1u << TOP_BITS) + 1) * sizeof *start);
    if (!tmp || !start || run_alloc(&r, c->nbuf)) {
        free(tmp);
        free(start);
        return WD_E_NOMEM;
    }
    sort_u64(c->buf, c->nbuf, tmp, start);
    free(tmp);
    free(start);
    size_t k = 0;
    for (size_t i = 0; i < c->nbuf; i++) {
        if (k && r.key[k - 1] == c->buf[i]) {
            if (r.count[k - 1] != UINT32_MAX) r.count[k - 1]++;
        } else {
            r.key[k] = c->buf[i];
            r.count[k++] = 1;
        }
    }
    r.len = k;
    c->nbuf = 0;
    return push(c, &r);
}

int wd_runcount_add(wd_runcount *c, const uint64_t *h, size_t n)
{
    if (!c->buf && !(c->buf = malloc(WD_RUNCOUNT_BUFFER * sizeof *c->buf))) return WD_E_NOMEM;
    while (n) {
        size_t m = WD_RUNCOUNT_BUFFER - c->nbuf < n ? WD_RUNCOUNT_BUFFER - c->nbuf : n;
        memcpy(c->buf + c->nbuf, h, m * sizeof *h);
        c->nbuf += m;
        h += m;
        n -= m;
        if (c->nbuf == WD_RUNCOUNT_BUFFER && flush(c)) return WD_E_NOMEM;
    }
    return WD_OK;
}

int wd_runcount_merge(wd_runcount *into, wd_runcount *from)
{
    if (flush(from) || flush(into)) return WD_E_NOMEM;
    for (unsigned i = 0; i < from->nruns; i++)
        if (push(into, &from->run[i])) return WD_E_NOMEM;
    from->nruns = 0;
    wd_runcount_free(from);
    return WD_OK;
}

const wd_run *wd_runcount_finish(wd_runcount *c)
{
    static const wd_run empty = { NULL, NULL, 0 };
    if (flush(c)) return NULL;
    while (c->nruns > 1)
        if (collapse_top(c)) return NULL;
    return c->nruns ? &c->run[0] : &empty;
}
