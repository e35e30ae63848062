/*
 * docfreq.h - in how many documents does each shingle hash occur?
 *
 * Templates (market reports, earnings tables, weather) and boilerplate
 * that masking missed show up as shingles shared by a large share of all
 * documents; the index can drop or down-weight them so that templated but
 * different reports do not look alike. Two counters behind one API:
 *
 *   exact   JudyL hash -> number of documents; memory grows with the
 *           number of distinct shingles. (The index's batch first pass
 *           uses runcount.h instead: a JudyL insert per shingle made it
 *           cost 5x the whole run.)
 *   sketch  count-min sketch with conservative update (Estan & Varghese
 *           2002): depth rows of width 32-bit counters, row r indexed by
 *           a seeded hash of the shingle. Fixed memory (width * depth * 4
 *           bytes) for streaming. An estimate is never below the true
 *           count, and exceeds it by more than e/width * N (N = the sum of
 *           all counts) with probability at most e^-depth (Cormode &
 *           Muthukrishnan 2005); conservative update only lowers it.
 *           Streaming template counts use plain update (d->plain).
 *
 * A document is added as its distinct shingle hashes (wd_shingles output is
 * sorted and distinct), so counts are document frequencies. "Common" means
 * count >= max(min_docs, ceil(share * documents added)): the floor keeps
 * small inputs, where every shingle of a 3-document input is in 33 % of
 * them, from flagging everything.
 *
 * Merging lets threads count separate parts and combine them (exact:
 * sums per hash; sketch: sums per cell, which stays an upper bound).
 * Estimates and is_common only read, and may run on several threads.
 */
#ifndef WD_INDEX_DOCFREQ_H
#define WD_INDEX_DOCFREQ_H

#include <stddef.h>
#include <stdint.h>

#define WD_DOCFREQ_MIN_DOCS 5         /* default floor of is_common */
#define WD_DOCFREQ_WIDTH (1u << 20)   /* suggested sketch width: e/w = 2.6e-6 */
#define WD_DOCFREQ_DEPTH 4            /* suggested sketch depth: e^-4 = 1.8 % */
#define WD_DOCFREQ_MAX_DEPTH 16

typedef enum wd_docfreq_kind {
    WD_DOCFREQ_EXACT = 0,
    WD_DOCFREQ_SKETCH = 1
} wd_docfreq_kind;

typedef struct wd_docfreq {
    wd_docfreq_kind kind;
    uint64_t docs;             /* documents added */
    uint64_t total;            /* sum of all counts (N of the error bound) */
    uint64_t min_docs;         /* floor of is_common, WD_DOCFREQ_MIN_DOCS */
    void *judy;                /* exact: JudyL hash -> count */
    uint64_t distinct;         /* exact: hashes counted */
    uint32_t *cells;           /* sketch: depth rows of width counters */
    uint64_t width;            /* sketch: counters per row */
    unsigned depth;            /* sketch: rows */
    int plain;                 /* sketch: 1 = plain update (every row's cell + 1), set
                                  after init: counts then do not depend on the order of
                                  adds, so per-thread sketches merge to the same cells
                                  however documents were dealt out */
    uint64_t seed[WD_DOCFREQ_MAX_DEPTH]; /* sketch: row hash keys */
} wd_docfreq;

/* An empty exact counter. WD_OK. */
int wd_docfreq_init_exact(wd_docfreq *d);

/* An empty sketch of width x depth counters, rows keyed from seed.
 * WD_E_INVALID for width 0, depth outside 1..WD_DOCFREQ_MAX_DEPTH or a
 * size that overflows; WD_E_NOMEM. */
int wd_docfreq_init_sketch(wd_docfreq *d, uint64_t width, unsigned depth, uint64_t seed);

void wd_docfreq_free(wd_docfreq *d);

/* Counts one document: its n distinct hashes. WD_OK or WD_E_NOMEM (exact:
 * the counts of this document may then be partly added). */
int wd_docfreq_add(wd_docfreq *d, const uint64_t *hashes, size_t n);

/* The number of documents added that contain hash (sketch: an upper
 * estimate). */
uint64_t wd_docfreq_estimate(const wd_docfreq *d, uint64_t hash);

/* The count from which a hash is common: max(min_docs, ceil(share * docs)),
 * share clamped to [0, 1]. */
uint64_t wd_docfreq_threshold(const wd_docfreq *d, double share);

/* 1 when estimate(hash) >= wd_docfreq_threshold(d, share). */
int wd_docfreq_is_common(const wd_docfreq *d, uint64_t hash, double share);

/* Copies the hashes of in[0..n) that are not common to out (which may be
 * in) and returns how many. */
size_t wd_docfreq_filter(const wd_docfreq *d, double share, const uint64_t *in, size_t n, uint64_t *out);

/* Adds the counts of `from` into `into`: both exact, or sketches of the
 * same width, depth and seed (else WD_E_INVALID). WD_OK or WD_E_NOMEM. */
int wd_docfreq_merge(wd_docfreq *into, const wd_docfreq *from);

#endif
