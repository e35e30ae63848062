/* lsh.c - LSH band buckets in a flat hash table (see lsh.h). */
#include "lsh.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL  /* the fixed-length band hash inlines; values equal the library's */
#include <xxhash.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wiredup.h"
#include "../common/bigmem.h"

/* Control bytes: all zeros is an empty table, so fresh zeroed pages need no
 * initialization; a full slot has the top bit set and 7 bits of hash. */
enum { EMPTY = 0x00, DELETED = 0x01, FULL = 0x80 };
#define SLOTS 7            /* slots per group */
#define SLACK 64           /* groups after the home groups that probes may reach */
#define MIN_GROUPS 256
/* Document numbers from BIG_DOC up are kept in l->big and the slot holds
 * BIG_DOC + their index there (no index gets near 3.75 billion documents;
 * the tests do use such numbers). */
#define BIG_DOC 0xF0000000u

/* One cache line: the control bytes of seven slots, then the slots. */
typedef struct group {
    uint8_t ctrl[8];         /* SLOTS control bytes; ctrl[7] stays EMPTY, unused */
    uint32_t fp[SLOTS];      /* top half of the key's hash */
    uint32_t doc[SLOTS];     /* document, or BIG_DOC + index in big */
} group;

_Static_assert(sizeof(group) == 64, "a group is one cache line");

struct wd_lsh_table {
    group *g;           /* end groups */
    size_t ngroups;     /* home groups */
    size_t end;         /* ngroups + SLACK */
    size_t live;        /* full slots */
    size_t deleted;     /* DELETED slots */
};

/* A bijective mix of the key (splitmix64's finalizer): the top 32 bits are
 * the slot's fingerprint, whose top bits are the home group, and the low 7
 * bits the control byte, so 39 bits of the key are compared. */
static inline uint64_t key_hash(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint32_t key_fp(uint64_t h)
{
    return (uint32_t)(h >> 32);
}

static inline uint8_t key_tag(uint64_t h)
{
    return (uint8_t)(FULL | (h & 0x7F));
}

static inline unsigned ctz32(uint32_t x)
{
    return (unsigned)__builtin_ctz(x);
}

/* Bit i (i < SLOTS) set when the group's ctrl[i] == c. */
static inline uint32_t match(const group *g, uint8_t c)
{
#if defined(__SSE2__)
    __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)g->ctrl);
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)c))) & 0x7F;
#else
    uint32_t m = 0;
    for (int i = 0; i < SLOTS; i++) m |= (uint32_t)(g->ctrl[i] == c) << i;
    return m;
#endif
}

void wd_lsh_init(wd_lsh *l, unsigned bands, unsigned rows, uint64_t seed)
{
    l->t = NULL;
    l->big = NULL;
    l->nbig = l->capbig = 0;
    l->bands = bands;
    l->rows = rows;
    l->seed = seed;
}

static void table_free(struct wd_lsh_table *t)
{
    if (!t) return;
    wd_bigmem_free(t->g, t->end * sizeof *t->g);
    free(t);
}

void wd_lsh_free(wd_lsh *l)
{
    table_free(l->t);
    free(l->big);
    l->t = NULL;
    l->big = NULL;
    l->nbig = l->capbig = 0;
}

size_t wd_lsh_count(const wd_lsh *l)
{
    return l->t ? l->t->live : 0;
}

void wd_lsh_keys(const wd_lsh *l, const uint32_t *sig, uint64_t *keys)
{
    const size_t len = l->rows * sizeof *sig;
    if (len == 8) { /* the default shape: XXH3's 4-8 byte path, inlined */
        for (unsigned b = 0; b < l->bands; b++)
            keys[b] = XXH3_64bits_withSeed(sig + (size_t)b * 2, 8, l->seed + b);
        return;
    }
    for (unsigned b = 0; b < l->bands; b++)
        keys[b] = XXH3_64bits_withSeed(sig + (size_t)b * l->rows, len, l->seed + b);
}

static inline uint64_t doc_of(const wd_lsh *l, uint32_t v)
{
    return v < BIG_DOC ? v : l->big[v - BIG_DOC];
}

/* The slot value for doc: itself, or its place in l->big (added once per
 * insert; freed with the index). UINT32_MAX when out of memory. */
static uint32_t doc_value(wd_lsh *l, uint64_t doc)
{
    if (doc < BIG_DOC) return (uint32_t)doc;
    if (l->nbig && l->big[l->nbig - 1] == doc) return BIG_DOC + (uint32_t)(l->nbig - 1);
    if (l->nbig >= (size_t)(UINT32_MAX - BIG_DOC)) return UINT32_MAX;
    if (l->nbig == l->capbig) {
        size_t cap = l->capbig ? 2 * l->capbig : 16;
        uint64_t *b = realloc(l->big, cap * sizeof *b);
        if (!b) return UINT32_MAX;
        l->big = b;
        l->capbig = cap;
    }
    l->big[l->nbig] = doc;
    return BIG_DOC + (uint32_t)l->nbig++;
}

static struct wd_lsh_table *table_new(size_t ngroups)
{
    struct wd_lsh_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ngroups = ngroups;
    t->end = ngroups + SLACK;
    t->g = wd_bigmem_alloc(t->end * sizeof *t->g);  /* zeroed: all EMPTY */
    if (!t->g) {
        free(t);
        return NULL;
    }
    return t;
}

/* fp scaled to [0, ngroups) (Lemire): monotone in fp, so a key's probe
 * sequence moves up with it in a table of any size. */
static inline size_t home(const struct wd_lsh_table *t, uint32_t fp)
{
    return (size_t)(((uint64_t)fp * t->ngroups) >> 32);
}

/* Puts (fp, tag, v) in the first EMPTY slot of its probe sequence, which
 * lies after every slot of that key (slots never return to EMPTY before a
 * rebuild). 0, or -1 when the probe runs past the groups after the home
 * groups. */
static int place(struct wd_lsh_table *t, uint32_t fp, uint8_t tag, uint32_t v)
{
    for (size_t gi = home(t, fp); gi < t->end; gi++) {
        group *g = &t->g[gi];
        uint32_t e = match(g, EMPTY);
        if (e) {
            unsigned i = ctz32(e);
            g->ctrl[i] = tag;
            g->fp[i] = fp;
            g->doc[i] = v;
            t->live++;
            return 0;
        }
    }
    return -1;
}

/* Rebuilds into a table of ngroups home groups (or more, if a probe
 * overflows), moving the full slots in slot order so each bucket keeps its
 * order. */
static int rebuild(wd_lsh *l, size_t ngroups)
{
    struct wd_lsh_table *o = l->t;
    for (;;) {
        if (ngroups > ((size_t)1 << 32) / 2) return WD_E_NOMEM;
        struct wd_lsh_table *t = table_new(ngroups);
        if (!t) return WD_E_NOMEM;
        int ok = 1;
        if (o)
            for (size_t gi = 0; gi < o->end && ok; gi++) {
                const group *g = &o->g[gi];
                for (unsigned i = 0; i < SLOTS && ok; i++)
                    if (g->ctrl[i] & FULL) ok = place(t, g->fp[i], g->ctrl[i], g->doc[i]) == 0;
            }
        if (ok) {
            table_free(o);
            l->t = t;
            return WD_OK;
        }
        table_free(t);
        ngroups *= 2;
    }
}

/* Home groups for n slots at a load of 3/8 (at least MIN_GROUPS). */
static size_t groups_for(size_t n)
{
    size_t ng = n / SLOTS * 8 / 3 + 1;
    return ng < MIN_GROUPS ? MIN_GROUPS : ng;
}

/* Room for n more slots: keeps live + deleted at or below 3/4 of the home
 * slots (groups of seven overflow into the next group more often than wide
 * probes would, so they run a little emptier); a rebuild doubles. */
static int reserve(wd_lsh *l, size_t n)
{
    struct wd_lsh_table *t = l->t;
    if (t && t->live + t->deleted + n <= t->ngroups * SLOTS / 4 * 3) return WD_OK;
    return rebuild(l, groups_for((t ? t->live : 0) + n));
}

int wd_lsh_reserve(wd_lsh *l, size_t docs)
{
    struct wd_lsh_table *t = l->t;
    size_t want = docs * l->bands;  /* at a load of 3/4 once they are in */
    size_t ng = want / SLOTS * 4 / 3 + 1;
    if (t && t->ngroups >= ng) return WD_OK;
    if (ng < MIN_GROUPS) ng = MIN_GROUPS;
    return rebuild(l, ng);
}

void wd_lsh_prefetch(const wd_lsh *l, const uint64_t *keys)
{
    const struct wd_lsh_table *t = l->t;
    if (!t) return;
    for (unsigned b = 0; b < l->bands; b++)
        __builtin_prefetch(&t->g[home(t, key_fp(key_hash(keys[b])))]);
}

/* The query of wd_lsh_query(); with where, also the slot an insert of each
 * key would take (its first EMPTY slot: group * SLOTS + slot), or SIZE_MAX
 * past the end. */
static int query(const wd_lsh *l, const uint64_t *keys, wd_u64s *out, size_t *where)
{
    const struct wd_lsh_table *t = l->t;
    if (!t) {
        if (where)
            for (unsigned b = 0; b < l->bands; b++) where[b] = SIZE_MAX;
        return WD_OK;
    }
    for (unsigned b = 0; b < l->bands; b++) {
        const uint64_t h = key_hash(keys[b]);
        const uint32_t fp = key_fp(h);
        const uint8_t tag = key_tag(h);
        if (where) where[b] = SIZE_MAX;
        for (size_t gi = home(t, fp); gi < t->end; gi++) {
            const group *g = &t->g[gi];
            uint32_t m = match(g, tag);
            while (m) {
                unsigned i = ctz32(m);
                m &= m - 1;
                if (g->fp[i] != fp) continue;
                if (out->len == out->cap && wd_u64s_reserve(out, out->len + 16)) return WD_E_NOMEM;
                out->data[out->len++] = doc_of(l, g->doc[i]);
            }
            uint32_t e = match(g, EMPTY);
            if (e) {
                if (where) where[b] = gi * SLOTS + ctz32(e);
                break;
            }
        }
    }
    return WD_OK;
}

int wd_lsh_query(const wd_lsh *l, const uint64_t *keys, wd_u64s *out)
{
    return query(l, keys, out, NULL);
}

int wd_lsh_query_at(const wd_lsh *l, const uint64_t *keys, wd_u64s *out, size_t *where)
{
    return query(l, keys, out, where);
}

int wd_lsh_insert(wd_lsh *l, const uint64_t *keys, uint64_t doc)
{
    return wd_lsh_insert_at(l, keys, doc, NULL);
}

int wd_lsh_insert_at(wd_lsh *l, const uint64_t *keys, uint64_t doc, const size_t *where)
{
    uint32_t v = doc_value(l, doc);
    if (v == UINT32_MAX) return WD_E_NOMEM;
    struct wd_lsh_table *before = l->t;
    if (reserve(l, l->bands)) return WD_E_NOMEM;
    if (l->t != before) where = NULL;  /* rebuilt: the slots moved */
    for (unsigned b = 0; b < l->bands; b++) {
        struct wd_lsh_table *t = l->t;
        const uint64_t h = key_hash(keys[b]);
        size_t w = where ? where[b] : SIZE_MAX;
        if (w != SIZE_MAX) {
            group *g = &t->g[w / SLOTS];
            unsigned i = (unsigned)(w % SLOTS);
            if (g->ctrl[i] == EMPTY) {
                /* Still the first EMPTY slot of the key's probe sequence:
                 * slots only fill up, and an earlier band of this document
                 * that took it fails the test above. */
                g->ctrl[i] = key_tag(h);
                g->fp[i] = key_fp(h);
                g->doc[i] = v;
                t->live++;
                continue;
            }
        }
        while (place(l->t, key_fp(h), key_tag(h), v) != 0) /* ran into the end: grow */
            if (rebuild(l, l->t->ngroups * 2)) return WD_E_NOMEM;
        if (l->t != t) where = NULL;
    }
    return WD_OK;
}

int wd_lsh_remove(wd_lsh *l, const uint64_t *keys, uint64_t doc)
{
    struct wd_lsh_table *t = l->t;
    if (!t) return WD_OK;
    for (unsigned b = 0; b < l->bands; b++) {
        const uint64_t h = key_hash(keys[b]);
        const uint32_t fp = key_fp(h);
        const uint8_t tag = key_tag(h);
        for (size_t gi = home(t, fp); gi < t->end; gi++) {
            group *g = &t->g[gi];
            uint32_t m = match(g, tag);
            while (m) {
                unsigned i = ctz32(m);
                m &= m - 1;
                if (g->fp[i] == fp && doc_of(l, g->doc[i]) == doc) {
                    g->ctrl[i] = DELETED;
                    t->live--;
                    t->deleted++;
                }
            }
            if (match(g, EMPTY)) break;
        }
    }
    return WD_OK;
}
