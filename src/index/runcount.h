/*
 * runcount.h - exact occurrence counts of 64-bit hashes, as sorted runs.
 *
 * The batch first pass of template counting sees every shingle of every
 * document once; a search tree (JudyL) pays a cache miss or more per
 * insert and costs 5-7x the whole dedup run. Here adding is a buffer push;
 * a full buffer is radix-sorted and run-length encoded into a run (hash,
 * count) sorted by hash, and runs are merged like a log-structured merge
 * tree (a new run merges with the one below while that is no more than
 * twice as long), so each distinct hash is merged O(log n) times, always
 * reading and writing memory in order. 12 bytes per distinct hash.
 *
 * Counts are sums, so counters filled by different threads with any split
 * of the input merge to the same final run.
 */
#ifndef WD_INDEX_RUNCOUNT_H
#define WD_INDEX_RUNCOUNT_H

#include <stddef.h>
#include <stdint.h>

#define WD_RUNCOUNT_BUFFER (1u << 18)  /* values buffered before a sort */
#define WD_RUNCOUNT_MAX_RUNS 64

typedef struct wd_run {
    uint64_t *key;              /* ascending, distinct */
    uint32_t *count;            /* occurrences of key[i] (saturates at UINT32_MAX) */
    size_t len;
} wd_run;

typedef struct wd_runcount {
    uint64_t *buf;              /* values not yet sorted */
    size_t nbuf;
    wd_run run[WD_RUNCOUNT_MAX_RUNS]; /* run[0] the longest; lengths fall */
    unsigned nruns;
} wd_runcount;

void wd_runcount_init(wd_runcount *c);
void wd_runcount_free(wd_runcount *c);

/* Counts one occurrence of each of h[0..n). WD_OK or WD_E_NOMEM. */
int wd_runcount_add(wd_runcount *c, const uint64_t *h, size_t n);

/* Moves every count of `from` into `into` (from is left empty). WD_OK or
 * WD_E_NOMEM. */
int wd_runcount_merge(wd_runcount *into, wd_runcount *from);

/* All counts as one run (valid until the next add or merge), or NULL when
 * out of memory. */
const wd_run *wd_runcount_finish(wd_runcount *c);

#endif
