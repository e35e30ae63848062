/*
 * template.h - which shingles are template text (wd_params.template_share).
 *
 * Two ways to know, one filter (the rules are in wiredup.h, "Template
 * shingles"):
 *
 *   learned   wd_index_learn: per-thread exact counters (sorted runs,
 *             runcount.h), merged (sums, so the thread count cannot matter);
 *             at the first add the common hashes are pulled out into a small
 *             hash set and the counts are freed. Fixed from then on.
 *   stream    every wd_index_add: each sketching thread counts into its own
 *             plain count-min sketch ("pending"); at an epoch boundary the
 *             pending sketches are added into "frozen", which is all the
 *             filter reads. Plain updates commute, so frozen holds the same
 *             cells for any thread count, and the index splits its batches at
 *             epoch boundaries, so it holds the same cells for any batch size.
 */
#ifndef WD_CORE_TEMPLATE_H
#define WD_CORE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "../index/docfreq.h"
#include "../index/runcount.h"

#define WD_TMPL_FIRST_EPOCH 16        /* first epoch boundary; doubles up to WD_TEMPLATE_EPOCH */
#define WD_TMPL_WIDTH (1u << 17)      /* sketch counters per row: 2 MB a sketch, mostly
                                         in cache (2^19 gave the same output at 1.6x the time) */
#define WD_TMPL_DEPTH 4               /* sketch rows: WD_TEMPLATE_SKETCH_BYTES each */

typedef enum wd_tmpl_mode {
    WD_TMPL_OFF = 0,     /* template_share == 0 */
    WD_TMPL_STREAM = 1,  /* counting as documents are added (the default when on) */
    WD_TMPL_LEARNED = 2  /* counts from wd_index_learn */
} wd_tmpl_mode;

typedef struct wd_tmpl {
    wd_tmpl_mode mode;
    double share;             /* template_share */
    unsigned nthreads;        /* local counters */
    uint64_t seed;            /* sketch seed */
    wd_docfreq *local;        /* stream: per thread, the pending sketch */
    wd_docfreq counts;        /* stream: the frozen sketch */
    wd_runcount *learning;    /* learned: per thread, while wd_index_learn runs */
    wd_runcount learned;      /* learned: merged exact counts until frozen */
    uint64_t learned_docs;    /* learned: documents counted */
    int frozen;               /* learned: the common set is built, counts freed */
    uint64_t *set;            /* learned: common hashes, open addressing, 0 = free slot */
    uint64_t set_mask;        /* slots - 1 */
    int set_zero;             /* learned: hash 0 is common (0 marks free slots) */
    size_t ncommon;           /* learned: hashes in the set */
    uint64_t threshold;       /* stream: count from which a hash is common (this epoch) */
    uint64_t epoch_end;       /* stream: first document of the next epoch */
} wd_tmpl;

/* Off when share is 0, else ready to stream. WD_OK or WD_E_NOMEM. */
int wd_tmpl_init(wd_tmpl *t, double share, unsigned nthreads, uint64_t seed);
void wd_tmpl_free(wd_tmpl *t);

/* Learning n documents: per-thread exact counters, each thread adding the
 * distinct shingles of its documents, then their sum. WD_OK or WD_E_NOMEM. */
int wd_tmpl_learn_begin(wd_tmpl *t);
int wd_tmpl_learn_add(wd_tmpl *t, unsigned thread, const uint64_t *h, size_t n);
int wd_tmpl_learn_end(wd_tmpl *t, size_t n);

/* Learned: builds the set of common hashes and frees the counts (once).
 * WD_OK or WD_E_NOMEM. */
int wd_tmpl_freeze(wd_tmpl *t);

/* Stream: the epoch boundary after document d (see wiredup.h). */
uint64_t wd_tmpl_epoch_after(uint64_t d);

/* Stream: adds the pending counts into the frozen sketch, clears them and
 * starts the epoch that ends at wd_tmpl_epoch_after(next_doc). WD_OK. */
int wd_tmpl_next_epoch(wd_tmpl *t, uint64_t next_doc);

/* Where thread `thread` counts documents now, or NULL (off, or learned). */
wd_docfreq *wd_tmpl_counter(const wd_tmpl *t, unsigned thread);

/* Keeps the hashes of h[0..n) that are not common, in place, and returns how
 * many. With none kept h is unchanged (the fallback of wiredup.h). Read-only:
 * any number of threads at once. */
size_t wd_tmpl_filter(const wd_tmpl *t, uint64_t *h, size_t n);

#endif
