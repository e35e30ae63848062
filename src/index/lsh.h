/*
 * lsh.h - LSH band buckets in a flat hash table.
 *
 * A signature of bands x rows values is cut into bands; each band is hashed
 * (XXH3, seeded with the band seed plus the band number) to a 64-bit key.
 * Documents with the same key in any band become candidates. All bands
 * share one table: a key collision across bands only adds a candidate, and
 * every candidate is verified anyway.
 *
 * The table is open addressing in groups of seven slots, each group one
 * 64-byte cache line: seven control bytes, then the slots. The key is first
 * mixed by a bijection; a slot holds the top 32 bits of that hash and the
 * document (32 bits; larger numbers go through a side array), and its
 * control byte is EMPTY, DELETED or 7 low bits of the hash, so 39 bits of
 * the key are compared (a false match between two keys has chance 2^-39 and
 * only adds a candidate). A key is looked up in its home group and the
 * groups after it while they have no EMPTY slot, as in Swiss tables
 * (absl::flat_hash_map): usually one cache line for the lookup and the
 * insert that follows it, and a line that wd_lsh_prefetch() can request
 * from the key alone. A bucket with several documents is several slots with
 * the same key, found in insertion order along the probe sequence: inserts
 * go to the first EMPTY slot, removals leave DELETED, and the table is
 * rebuilt (in slot order, so the order is kept) when full or crowded with
 * DELETED slots. The home group is the fingerprint scaled to the table
 * size, so a rebuild needs no keys, and probes never wrap around (home
 * groups are [0, n) and the table has room after n). 64 bytes per 7 slots
 * at a load of 3/8 to 3/4 (3/4 when sized by wd_lsh_reserve()): 12 to 24
 * bytes per band and document.
 */
#ifndef WD_INDEX_LSH_H
#define WD_INDEX_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"

struct wd_lsh_table;

typedef struct wd_lsh {
    struct wd_lsh_table *t;  /* the table, NULL until the first insert */
    uint64_t *big;           /* document numbers too large for a slot */
    size_t nbig, capbig;
    unsigned bands;          /* bands per signature */
    unsigned rows;           /* values per band */
    uint64_t seed;           /* band hash seed */
} wd_lsh;

void wd_lsh_init(wd_lsh *l, unsigned bands, unsigned rows, uint64_t seed);
void wd_lsh_free(wd_lsh *l);

/* The band keys of a signature into keys[0..bands). */
void wd_lsh_keys(const wd_lsh *l, const uint32_t *sig, uint64_t *keys);

/* Appends every document sharing a key with keys[] to out (unsorted, may
 * repeat). WD_OK or WD_E_NOMEM. */
int wd_lsh_query(const wd_lsh *l, const uint64_t *keys, wd_u64s *out);

/* wd_lsh_query() that also notes in where[0..bands) the slot an insert of
 * each key would take now, for wd_lsh_insert_at(). */
int wd_lsh_query_at(const wd_lsh *l, const uint64_t *keys, wd_u64s *out, size_t *where);

/* Asks the cache for what a query or insert of keys[0..bands) will read. */
void wd_lsh_prefetch(const wd_lsh *l, const uint64_t *keys);

/* Sizes the table for docs documents in all (a hint: it still grows past
 * them), so that filling it needs no rebuild. WD_OK or WD_E_NOMEM. */
int wd_lsh_reserve(wd_lsh *l, size_t docs);

/* Adds doc under each of its band keys. WD_OK or WD_E_NOMEM. */
int wd_lsh_insert(wd_lsh *l, const uint64_t *keys, uint64_t doc);

/* The same, right after wd_lsh_query_at() of the same keys with no change to
 * the table in between: the slots noted in where are taken without probing
 * again (where may be NULL). Same result as wd_lsh_insert(). */
int wd_lsh_insert_at(wd_lsh *l, const uint64_t *keys, uint64_t doc, const size_t *where);

/*
 * Removes doc from the bucket of each of its band keys (the keys it was
 * inserted with), for sliding windows. Every occurrence of doc goes; a key
 * whose bucket does not hold doc is skipped, so removing a document that was
 * never inserted (an exact duplicate, an empty document) or removing it twice
 * is harmless. The order of the other documents in a bucket is kept. Slots
 * are reclaimed when an insert rebuilds the table, which then shrinks if
 * the window did, so memory follows the window. Always WD_OK (the status is
 * kept for callers written against a fallible remove).
 */
int wd_lsh_remove(wd_lsh *l, const uint64_t *keys, uint64_t doc);

/* (key, document) entries held: 0 once every inserted document is removed. */
size_t wd_lsh_count(const wd_lsh *l);

#endif
