/*
 * lsh.h - LSH band buckets in a Judy array.
 *
 * A signature of bands x rows values is cut into bands; each band is hashed
 * (XXH3, seeded with the band number) to a 64-bit key. Documents with the
 * same key in any band become candidates. All bands share one JudyL array:
 * a key collision across bands only adds a candidate, and every candidate
 * is verified anyway.
 *
 * A bucket holding one document stores it in the Judy value itself
 * (doc << 1 | 1); a larger bucket points to a growable list. Most buckets
 * hold one document, so most cost only the Judy entry.
 */
#ifndef WD_INDEX_LSH_H
#define WD_INDEX_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"

typedef struct wd_lsh {
    void *judy;        /* JudyL: band key -> bucket */
    unsigned bands;    /* bands per signature */
    unsigned rows;     /* values per band */
    uint64_t seed;     /* band hash seed */
} wd_lsh;

void wd_lsh_init(wd_lsh *l, unsigned bands, unsigned rows, uint64_t seed);
void wd_lsh_free(wd_lsh *l);

/* The band keys of a signature into keys[0..bands). */
void wd_lsh_keys(const wd_lsh *l, const uint32_t *sig, uint64_t *keys);

/* Appends every document sharing a key with keys[] to out (unsorted, may
 * repeat). WD_OK or WD_E_NOMEM. */
int wd_lsh_query(const wd_lsh *l, const uint64_t *keys, wd_u64s *out);

/* Adds doc under each of its band keys. WD_OK or WD_E_NOMEM. */
int wd_lsh_insert(wd_lsh *l, const uint64_t *keys, uint64_t doc);

/*
 * Removes doc from the bucket of each of its band keys (the keys it was
 * inserted with), for sliding windows. Every occurrence of doc goes; a key
 * whose bucket does not hold doc is skipped, so removing a document that was
 * never inserted (an exact duplicate, an empty document) or removing it twice
 * is harmless. An emptied bucket is deleted from the Judy array, a list left
 * with one document goes back to the inline form and a list at a quarter of
 * its room is shrunk, so memory follows the window. The order of the other
 * documents in a bucket is kept. WD_OK or WD_E_NOMEM (Judy could not
 * restructure; the document may then be gone from some buckets only).
 */
int wd_lsh_remove(wd_lsh *l, const uint64_t *keys, uint64_t doc);

#endif
