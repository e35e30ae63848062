/* hamming.c - permuted-table Hamming index (see hamming.h). */
#include "hamming.h"

#define JUDYERROR_NOTEST 1 /* report Judy's errors as return codes, never exit */
#include <Judy.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

typedef struct doclist {
    uint32_t n, cap;   /* documents held, room */
    uint64_t doc[];    /* in insertion order */
} doclist;

/* C(n, r), or WD_HAMMING_MAX_TABLES + 1 when larger. */
static uint64_t binom(unsigned n, unsigned r)
{
    if (r > n - r) r = n - r;
    uint64_t c = 1;
    for (unsigned i = 1; i <= r; i++) {
        c = c * (n - r + i) / i; /* exact: c * (n - r + i) is C(n - r + i, i) * i */
        if (c > WD_HAMMING_MAX_TABLES) return WD_HAMMING_MAX_TABLES + 1;
    }
    return c;
}

/* Bits in the shortest prefix of b - k blocks: 64 = q b + extra, the first
 * `extra` blocks have q + 1 bits. */
static unsigned min_prefix(unsigned b, unsigned k)
{
    unsigned q = 64 / b, extra = 64 % b, r = b - k, small = b - extra;
    return r * q + (r > small ? r - small : 0);
}

#define AUTO_MIN_PREFIX 20
#define AUTO_MAX_TABLES 48

unsigned wd_hamming_auto_blocks(unsigned k)
{
    if (k > WD_HAMMING_MAX_K) return 0;
    unsigned best = k + 1;
    for (unsigned b = k + 1; b <= 64; b++) {
        if (binom(b, k) > AUTO_MAX_TABLES) break;
        best = b;
        if (min_prefix(b, k) >= AUTO_MIN_PREFIX) break;
    }
    return best;
}

static inline uint64_t width_mask(unsigned w)
{
    return w >= 64 ? ~0ULL : (1ULL << w) - 1;
}

static inline uint64_t permute(const wd_hamming *h, unsigned t, uint64_t fp)
{
    const wd_hamming_move *m = h->moves + (size_t)t * h->nblocks;
    uint64_t key = 0;
    for (unsigned i = 0; i < h->nblocks; i++)
        key |= ((fp >> m[i].src) & width_mask(m[i].width)) << m[i].dst;
    return key;
}

static inline uint64_t unpermute(const wd_hamming *h, unsigned t, uint64_t key)
{
    const wd_hamming_move *m = h->moves + (size_t)t * h->nblocks;
    uint64_t fp = 0;
    for (unsigned i = 0; i < h->nblocks; i++)
        fp |= ((key >> m[i].dst) & width_mask(m[i].width)) << m[i].src;
    return fp;
}

int wd_hamming_init(wd_hamming *h, unsigned k, unsigned blocks)
{
    memset(h, 0, sizeof *h);
    if (k > WD_HAMMING_MAX_K) return WD_E_INVALID;
    unsigned b = blocks ? blocks : wd_hamming_auto_blocks(k);
    if (b <= k || b > 64) return WD_E_INVALID;
    uint64_t nt = binom(b, k);
    if (nt > WD_HAMMING_MAX_TABLES) return WD_E_INVALID;
    h->k = k;
    h->nblocks = b;
    h->ntables = (unsigned)nt;
    h->t = calloc(nt, sizeof *h->t);
    h->moves = malloc(nt * b * sizeof *h->moves);
    if (!h->t || !h->moves) {
        wd_hamming_free(h);
        return WD_E_NOMEM;
    }

    unsigned lo[64], size[64];
    for (unsigned i = 0, at = 0; i < b; i++) {
        size[i] = 64 / b + (i < 64 % b);
        lo[i] = at;
        at += size[i];
        h->block_mask[i] = width_mask(size[i]) << lo[i];
    }
    /* Tables: the (b - k)-subsets of the blocks in lexicographic order. */
    const unsigned r = b - k;
    unsigned c[64];
    for (unsigned i = 0; i < r; i++) c[i] = i;
    for (unsigned t = 0; t < nt; t++) {
        wd_hamming_move *m = h->moves + (size_t)t * b;
        uint64_t in = 0;
        for (unsigned i = 0; i < r; i++) in |= 1ULL << c[i];
        unsigned pos = 64, nm = 0, plen = 0;
        for (unsigned pass = 0; pass < 2; pass++)     /* prefix blocks, then the rest */
            for (unsigned i = 0; i < b; i++) {
                if (((in >> i) & 1) != (pass == 0)) continue;
                pos -= size[i];
                m[nm++] = (wd_hamming_move){ (uint8_t)lo[i], (uint8_t)pos, (uint8_t)size[i], (uint8_t)i };
                if (pass == 0) plen += size[i];
            }
        h->t[t].blocks = in;
        h->t[t].prefix = ~width_mask(64 - plen);
        /* next subset */
        int i = (int)r - 1;
        while (i >= 0 && c[i] == b - r + (unsigned)i) i--;
        if (i < 0) break;
        c[i]++;
        for (unsigned j = (unsigned)i + 1; j < r; j++) c[j] = c[j - 1] + 1;
    }
    return WD_OK;
}

void wd_hamming_free(wd_hamming *h)
{
    if (h->t)
        for (unsigned t = 0; t < h->ntables; t++) {
            Word_t bytes;
            J1FA(bytes, h->t[t].keys);
            (void)bytes;
        }
    Word_t fp = 0;
    PWord_t pv;
    JLF(pv, h->docs, fp);
    while (pv && pv != PJERR) {
        if (!(*pv & 1)) free((void *)*pv);
        JLN(pv, h->docs, fp);
    }
    Word_t bytes;
    JLFA(bytes, h->docs);
    (void)bytes;
    free(h->t);
    free(h->moves);
    memset(h, 0, sizeof *h);
}

/* Removes the permuted fp from tables 0..n-1. */
static void unset_keys(wd_hamming *h, uint64_t fp, unsigned n)
{
    for (unsigned t = 0; t < n; t++) {
        int rc;
        J1U(rc, h->t[t].keys, (Word_t)permute(h, t, fp));
        (void)rc;
    }
}

int wd_hamming_insert(wd_hamming *h, uint64_t fp, uint64_t doc)
{
    PWord_t pv;
    JLI(pv, h->docs, (Word_t)fp);
    if (pv == PJERR) return WD_E_NOMEM;
    if (*pv == 0) {                     /* new fingerprint: into every table */
        for (unsigned t = 0; t < h->ntables; t++) {
            int rc;
            J1S(rc, h->t[t].keys, (Word_t)permute(h, t, fp));
            if (rc == JERR) {
                unset_keys(h, fp, t);
                JLD(rc, h->docs, (Word_t)fp);
                return WD_E_NOMEM;
            }
        }
        *pv = (Word_t)(doc << 1 | 1);
    } else if (*pv & 1) {               /* second document: make a list */
        doclist *l = malloc(sizeof *l + 4 * sizeof l->doc[0]);
        if (!l) return WD_E_NOMEM;
        l->n = 2;
        l->cap = 4;
        l->doc[0] = *pv >> 1;
        l->doc[1] = doc;
        *pv = (Word_t)l;
    } else {
        doclist *l = (doclist *)*pv;
        if (l->n == l->cap) {
            if (l->cap > UINT32_MAX / 2) return WD_E_NOMEM;
            uint32_t cap = l->cap * 2;
            doclist *nl = realloc(l, sizeof *nl + cap * sizeof nl->doc[0]);
            if (!nl) return WD_E_NOMEM;
            nl->cap = cap;
            l = nl;
            *pv = (Word_t)l;
        }
        l->doc[l->n++] = doc;
    }
    h->count++;
    return WD_OK;
}

int wd_hamming_remove(wd_hamming *h, uint64_t fp, uint64_t doc)
{
    PWord_t pv;
    JLG(pv, h->docs, (Word_t)fp);
    if (!pv || pv == PJERR) return WD_E_INVALID;
    if (*pv & 1) {
        if (*pv >> 1 != doc) return WD_E_INVALID;
        int rc;
        JLD(rc, h->docs, (Word_t)fp);
        (void)rc;
        unset_keys(h, fp, h->ntables);
    } else {
        doclist *l = (doclist *)*pv;
        uint32_t i = 0;
        while (i < l->n && l->doc[i] != doc) i++;
        if (i == l->n) return WD_E_INVALID;
        memmove(l->doc + i, l->doc + i + 1, (l->n - i - 1) * sizeof l->doc[0]);
        if (--l->n == 1) {              /* back to the inline form */
            *pv = (Word_t)(l->doc[0] << 1 | 1);
            free(l);
        }
    }
    h->count--;
    return WD_OK;
}

/* Appends the documents of a stored fingerprint. */
static int append_docs(const wd_hamming *h, uint64_t fp, wd_u64s *out)
{
    PWord_t pv;
    JLG(pv, h->docs, (Word_t)fp);
    if (!pv || pv == PJERR) return WD_OK; /* cannot happen: tables and docs agree */
    if (*pv & 1) {
        if (wd_u64s_reserve(out, out->len + 1)) return WD_E_NOMEM;
        out->data[out->len++] = *pv >> 1;
    } else {
        const doclist *l = (const doclist *)*pv;
        if (wd_u64s_reserve(out, out->len + l->n)) return WD_E_NOMEM;
        memcpy(out->data + out->len, l->doc, l->n * sizeof l->doc[0]);
        out->len += l->n;
    }
    return WD_OK;
}

int wd_hamming_query_within(const wd_hamming *h, uint64_t fp, unsigned maxd, wd_u64s *out)
{
    if (maxd > h->k) maxd = h->k;
    for (unsigned t = 0; t < h->ntables; t++) {
        const uint64_t key = permute(h, t, fp), pm = h->t[t].prefix, lo = key & pm;
        Word_t idx = (Word_t)lo;
        int rc;
        /* First key >= lo. J1F tests lo and then searches on; from lo - 1,
         * J1N does it in one search. */
        if (lo) {
            idx--;
            J1N(rc, h->t[t].keys, idx);
        } else {
            J1F(rc, h->t[t].keys, idx);
        }
        while (rc == 1 && (idx & pm) == lo) {
            if ((unsigned)__builtin_popcountll(idx ^ key) <= maxd) {
                /* Report from the first table whose prefix blocks all agree. */
                uint64_t hit = unpermute(h, t, idx), x = hit ^ fp, diff = 0;
                for (unsigned i = 0; i < h->nblocks; i++)
                    if (x & h->block_mask[i]) diff |= 1ULL << i;
                unsigned first = 0;
                while (h->t[first].blocks & diff) first++;
                if (first == t && append_docs(h, hit, out)) return WD_E_NOMEM;
            }
            J1N(rc, h->t[t].keys, idx);
        }
    }
    return WD_OK;
}

int wd_hamming_query(const wd_hamming *h, uint64_t fp, wd_u64s *out)
{
    return wd_hamming_query_within(h, fp, h->k, out);
}
