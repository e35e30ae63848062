/*
 * archive.h - what the index pipeline (index.c) calls of an attached
 * archive (archive.c), and what archive.c reads of an index.
 */
#ifndef WD_CORE_ARCHIVE_H
#define WD_CORE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "wiredup.h"

/* The archived match of one document of the current batch. */
typedef struct wd_archive_hit {
    uint64_t doc;        /* archived document */
    double jaccard;      /* estimated (1 for exact); double: leader mode compares it */
    double containment;
    wd_match_kind kind;  /* WD_MATCH_NONE: none */
} wd_archive_hit;

/* Before the parallel phase of a batch of n documents numbered from base:
 * room for their hashes and hits. WD_OK or WD_E_NOMEM. */
int wd_archive_prepare(wd_archive *a, uint64_t base, size_t n);

/*
 * Thread t (a reader of its own) looks up documents i0..i1 of the batch:
 * hashes (16 bytes each), keys (bands each), sigs and nsh are those of
 * document i0 onward, status the wd_features() results (non-zero: skip).
 * Keeps the hashes for wd_archive_put(). WD_OK or a negative code.
 */
int wd_archive_lookup(wd_archive *a, unsigned t, size_t i0, size_t i1,
                      const uint8_t *hashes, const uint64_t *keys,
                      const uint32_t *sigs, const unsigned *nsh, const signed char *status);

/* The hit of document d of the current batch (after its lookup). */
const wd_archive_hit *wd_archive_hit_of(const wd_archive *a, uint64_t d);

/* index.c: the signature and shingle count of document d (NULL when d was
 * not added). */
const uint32_t *wd_index_doc(const wd_index *ix, uint64_t d, unsigned *shingles /* OUT */);

/* index.c: the archive attached to ix, or NULL. */
void wd_index_set_archive(wd_index *ix, wd_archive *a);

#endif
