/*
 * hamming.h - stored 64-bit fingerprints within Hamming distance k of a
 * query: permuted tables (Manku, Jain, Das Sarma 2007) on Judy arrays.
 *
 * The 64 bits are cut into b > k blocks of contiguous bits. Two
 * fingerprints within distance k differ in at most k blocks, so they agree
 * on at least b - k whole blocks. For each of the C(b, k) choices of b - k
 * blocks there is a table: a Judy1 set of the fingerprints permuted so the
 * chosen blocks come first (top bits), the other blocks after them in
 * order. A query permutes itself the same way and walks, in each table,
 * the ordered range of keys that share its prefix (J1F, then J1N while the
 * prefix matches); every key found is checked with popcount(xor) <= k.
 *
 *   fp  = [B0|B1|B2|B3|B4]            b = 5 blocks, k = 3: 10 tables
 *   key = [B1|B3|B0|B2|B4]            table {1, 3}: prefix = B1 B3
 *
 * Permuting keeps Hamming distances, and a key maps back to its
 * fingerprint. A fingerprint within distance k is found in every table
 * whose prefix blocks it agrees on; it is reported only by the first of
 * them, so each one is reported once. Documents hang off one JudyL keyed
 * by the fingerprint (shared by all tables): one document is stored in the
 * value itself (doc << 1 | 1), more in a growable list, as in lsh.c.
 *
 * Cost: a table's prefix has about 64 (b - k) / b bits, so a query visits
 * about N / 2^prefix keys per table that are not answers. b = 0 at init
 * picks, for each k, the smallest b whose prefixes all reach 20 bits with
 * at most 48 tables, else the largest b within 48 tables:
 *
 *   k       0   1   2   3   4   5   6   7   8
 *   b       1   2   3   5   6   7   8   9  10
 *   tables  1   2   3  10  15  21  28  36  45
 *   prefix 64  32  21  25  20  18  16  14  12    (bits, shortest)
 *
 * Memory: one Judy1 key per fingerprint and table plus the JudyL of
 * documents; measured on 1M random fingerprints: 26 bytes per fingerprint
 * for k = 0, 100 for k = 3 (10 tables), 390 for k = 8 (45 tables).
 */
#ifndef WD_INDEX_HAMMING_H
#define WD_INDEX_HAMMING_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"

#define WD_HAMMING_MAX_K 63          /* largest k (b <= 64) */
#define WD_HAMMING_MAX_TABLES 4096   /* largest C(b, k) accepted */

/* One step of a table's permutation: bits [src, src + width) of the
 * fingerprint go to bits [dst, dst + width) of the key. */
typedef struct wd_hamming_move {
    uint8_t src, dst, width, block;
} wd_hamming_move;

typedef struct wd_hamming_table {
    void *keys;               /* Judy1: permuted fingerprints */
    uint64_t prefix;          /* mask of the key's prefix bits (top) */
    uint64_t blocks;          /* bit i set: block i is in the prefix */
} wd_hamming_table;

typedef struct wd_hamming {
    unsigned k;               /* largest distance reported */
    unsigned nblocks;         /* b */
    unsigned ntables;         /* C(b, k) */
    wd_hamming_table *t;      /* ntables tables */
    wd_hamming_move *moves;   /* nblocks moves per table */
    uint64_t block_mask[64];  /* bits of block i in a fingerprint */
    void *docs;               /* JudyL: fingerprint -> documents */
    uint64_t count;           /* (fingerprint, document) entries */
} wd_hamming;

/*
 * An empty index for distances <= k cut into `blocks` blocks (0: chosen
 * from k as above). WD_E_INVALID when k > WD_HAMMING_MAX_K, or blocks is
 * not 0 and not in k+1..64, or gives more than WD_HAMMING_MAX_TABLES
 * tables; WD_E_NOMEM. On failure *h is left freed.
 */
int wd_hamming_init(wd_hamming *h, unsigned k, unsigned blocks);
void wd_hamming_free(wd_hamming *h);

/* Stores doc under fingerprint fp. A document is meant to be stored once;
 * storing the same pair twice stores it twice. WD_OK or WD_E_NOMEM (the
 * index is then unchanged or missing only this entry's table keys; free
 * it). */
int wd_hamming_insert(wd_hamming *h, uint64_t fp, uint64_t doc);

/* Removes one (fp, doc) entry. WD_OK, or WD_E_INVALID when it is not
 * stored. */
int wd_hamming_remove(wd_hamming *h, uint64_t fp, uint64_t doc);

/* Appends to out every document stored under a fingerprint within Hamming
 * distance k of fp: each (fingerprint, document) entry once, in no
 * particular order. WD_OK or WD_E_NOMEM. Safe from several threads while
 * nobody inserts or removes. */
int wd_hamming_query(const wd_hamming *h, uint64_t fp, wd_u64s *out);

/* The same, limited to distance <= maxd (maxd <= k; larger means k). */
int wd_hamming_query_within(const wd_hamming *h, uint64_t fp, unsigned maxd, wd_u64s *out);

/* The block count init chooses for k (see the table above). */
unsigned wd_hamming_auto_blocks(unsigned k);

#endif
