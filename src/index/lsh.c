/* lsh.c - LSH band buckets (see lsh.h). */
#include "lsh.h"

#include <Judy.h>
#include <stdlib.h>
#include <xxhash.h>

#include "wiredup.h"

typedef struct bucket {
    uint32_t n, cap;   /* documents held, room */
    uint64_t doc[];    /* in insertion order */
} bucket;

void wd_lsh_init(wd_lsh *l, unsigned bands, unsigned rows, uint64_t seed)
{
    l->judy = NULL;
    l->bands = bands;
    l->rows = rows;
    l->seed = seed;
}

void wd_lsh_free(wd_lsh *l)
{
    Word_t key = 0;
    PWord_t pv;
    JLF(pv, l->judy, key);
    while (pv) {
        if (!(*pv & 1)) free((void *)*pv);
        JLN(pv, l->judy, key);
    }
    Word_t bytes;
    JLFA(bytes, l->judy);
    (void)bytes;
}

void wd_lsh_keys(const wd_lsh *l, const uint32_t *sig, uint64_t *keys)
{
    for (unsigned b = 0; b < l->bands; b++)
        keys[b] = XXH3_64bits_withSeed(sig + (size_t)b * l->rows,
                                       l->rows * sizeof *sig, l->seed + b);
}

int wd_lsh_query(const wd_lsh *l, const uint64_t *keys, wd_u64s *out)
{
    for (unsigned b = 0; b < l->bands; b++) {
        PWord_t pv;
        JLG(pv, l->judy, (Word_t)keys[b]);
        if (!pv) continue;
        if (*pv & 1) {
            if (wd_u64s_reserve(out, out->len + 1)) return WD_E_NOMEM;
            out->data[out->len++] = *pv >> 1;
        } else {
            const bucket *bk = (const bucket *)*pv;
            if (wd_u64s_reserve(out, out->len + bk->n)) return WD_E_NOMEM;
            for (uint32_t i = 0; i < bk->n; i++) out->data[out->len++] = bk->doc[i];
        }
    }
    return WD_OK;
}

int wd_lsh_insert(wd_lsh *l, const uint64_t *keys, uint64_t doc)
{
    for (unsigned b = 0; b < l->bands; b++) {
        PWord_t pv;
        JLI(pv, l->judy, (Word_t)keys[b]);
        if (pv == PJERR) return WD_E_NOMEM;
        if (*pv == 0) {                 /* new bucket: the document inline */
            *pv = (Word_t)(doc << 1 | 1);
        } else if (*pv & 1) {           /* second document: make a list */
            bucket *bk = malloc(sizeof *bk + 4 * sizeof bk->doc[0]);
            if (!bk) return WD_E_NOMEM;
            bk->n = 2;
            bk->cap = 4;
            bk->doc[0] = *pv >> 1;
            bk->doc[1] = doc;
            *pv = (Word_t)bk;
        } else {
            bucket *bk = (bucket *)*pv;
            if (bk->doc[bk->n - 1] == doc) continue; /* same key in two bands */
            if (bk->n == bk->cap) {
                uint32_t cap = bk->cap * 2;
                bucket *nb = realloc(bk, sizeof *bk + cap * sizeof bk->doc[0]);
                if (!nb) return WD_E_NOMEM;
                nb->cap = cap;
                bk = nb;
                *pv = (Word_t)bk;
            }
            bk->doc[bk->n++] = doc;
        }
    }
    return WD_OK;
}

int wd_lsh_remove(wd_lsh *l, const uint64_t *keys, uint64_t doc)
{
    for (unsigned b = 0; b < l->bands; b++) {
        PWord_t pv;
        JLG(pv, l->judy, (Word_t)keys[b]);
        if (!pv) continue;              /* not inserted, or already gone */
        bucket *bk = NULL;
        if (*pv & 1) {
            if (*pv >> 1 != doc) continue;
        } else {
            bk = (bucket *)*pv;
            uint32_t k = 0;
            for (uint32_t i = 0; i < bk->n; i++)
                if (bk->doc[i] != doc) bk->doc[k++] = bk->doc[i];
            if (k == bk->n) continue;   /* doc not in this bucket */
            if (k == 1) {               /* back to the inline form */
                *pv = (Word_t)(bk->doc[0] << 1 | 1);
                free(bk);
                continue;
            }
            if (k > 1) {
                bk->n = k;
                if (bk->cap > 4 && k <= bk->cap / 4) {
                    uint32_t cap = bk->cap / 2;
                    bucket *nb = realloc(bk, sizeof *bk + cap * sizeof bk->doc[0]);
                    if (nb) {           /* shrinking is optional */
                        nb->cap = cap;
                        *pv = (Word_t)nb;
                    }
                }
                continue;
            }
            /* k == 0: every entry was doc, so the list is still intact if
             * the delete below fails. */
        }
        int rc;
        JLD(rc, l->judy, (Word_t)keys[b]);
        if (rc == JERR) return WD_E_NOMEM;
        free(bk);
    }
    return WD_OK;
}
