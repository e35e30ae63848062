/*
 * exact.h - exact-duplicate set: XXH3-128 of the normalized text -> the
 * first document that had it, in a JudyHS array keyed by the 16 hash bytes.
 */
#ifndef WD_INDEX_EXACT_H
#define WD_INDEX_EXACT_H

#include <stdint.h>

typedef struct wd_exact {
    void *judy;   /* JudyHS: 16-byte hash -> doc + 1 */
} wd_exact;

void wd_exact_init(wd_exact *e);
void wd_exact_free(wd_exact *e);

/* Looks up hash; when absent, records doc under it. Sets *first to the first
 * document with this hash (doc itself when new). Returns 1 when the hash was
 * already present, 0 when added, WD_E_NOMEM on failure. */
int wd_exact_add(wd_exact *e, const uint8_t hash[16], uint64_t doc, uint64_t *first);

/* Looks up hash without recording anything: 1 with *first set when present,
 * else 0. */
int wd_exact_find(const wd_exact *e, const uint8_t hash[16], uint64_t *first);

/* Removes the entry for hash only when it maps to doc (a later copy that
 * was never recorded leaves the first one in place). Returns 1 when removed,
 * 0 when hash is absent or maps to another document, WD_E_NOMEM on failure. */
int wd_exact_remove(wd_exact *e, const uint8_t hash[16], uint64_t doc);

#endif
