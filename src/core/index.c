/*
 * index.c - the wd_index handle: the pipeline from a batch of texts to
 * verified pairs and clusters.
 *
 *   batch of texts
 *     | every thread, chunks of 8      normalize, exact hash, shingles,
 *     | (up to 256 with an archive),   MinHash/OPH signature, LSH band keys
 *     | in any order                   (archive: lookups, archive.c)
 *     v
 *   thread 0, in input order           exact set -> LSH query -> verify each
 *   (overlapping the above)            candidate -> union -> LSH insert
 *
 * Only the first half depends on the thread count, and it writes each
 * document's results to that document's own slots, so the second half sees
 * the same data in the same order for any thread count or batch size: the
 * output is deterministic by construction. The matching thread takes each
 * document as soon as its chunk is sketched, and sketches chunks itself
 * while it waits, so the sequential half overlaps the parallel one.
 *
 * A windowed index (params.window, window_seconds; see window.h) keeps the
 * signatures only for the current batch (slot i of the batch instead of
 * slot d of the stream); leaders are copied into the window, whose entry
 * numbers are what the exact set and the LSH hold, and leave all three in
 * input order on the matching thread.
 */
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"
#include "archive.h"
#include "features.h"
#include "window.h"
#include "template.h"
#include "../cluster/unionfind.h"
#include "../index/exact.h"
#include "../index/hamming.h"
#include "../index/lsh.h"
#include "../sketch/minhash.h"
#include "../text/text_internal.h"

/* Documents sketched together (see wd_index_add). */
#define CHUNK 8

/* With an archive attached, documents sketched and looked up together: the
 * archive lookup of a chunk is one sorted pass over its band keys through
 * the store's filter and B-trees, and its cost per document falls with the
 * number of keys in flight (filter misses overlap, neighbouring keys share
 * B-tree pages, a signature fetched once serves every copy of a story).
 * Large enough for that, small enough that a batch still splits into many
 * chunks for the threads (and see claim()). A multiple of CHUNK. */
#define ARCHIVE_CHUNK 256

struct wd_index {
    wd_params p;            /* resolved parameters (bands, rows, threads set) */
    wd_sketcher sk;         /* MinHash permutations or OPH tables */
    wd_lsh lsh;             /* band buckets (MinHash, OPH) */
    wd_hamming ham;         /* fingerprint tables (SimHash) */
    unsigned sigw;          /* signature words per document (wd_sig_words) */
    wd_exact exact;         /* exact-duplicate set */
    wd_uf uf;               /* clusters */
    uint32_t *sigs;         /* sigw values per document */
    unsigned *nsh;          /* distinct shingles per document (0 = empty) */
    uint64_t n;             /* documents added */
    uint64_t cap;           /* documents sigs/nsh can hold */
    wd_scratch *scratch;    /* one per thread */
    unsigned nthreads;      /* threads used for sketching */
    uint64_t *keys;         /* band keys of the current batch */
    uint8_t *hashes;        /* exact hashes of the current batch, 16 bytes each */
    signed char *status;    /* per document of the batch: wd_features() result */
    atomic_uchar *ready;    /* per chunk of the batch (see wd_index_add) */
    size_t batch_cap;       /* documents keys/hashes can hold */
    wd_u64s cands;          /* candidate list of the document being matched */
    size_t *where;          /* bands: LSH slots the document's insert will take */
    wd_tmpl tmpl;           /* template shingles: counts and filter (template_share) */
    wd_pair_fn on_pair;     /* pair callback or NULL */
    void *on_pair_ctx;
    int failed;             /* latched error: WD_OK or the first failure */
    int windowed;           /* params.window or window_seconds set */
    wd_window win;          /* leaders in the window (windowed) */
    uint64_t *ekeys;        /* bands: band keys of a leader that leaves */
    wd_archive *archive;    /* looked up during sketching (archive.c), or NULL */
};

int wd_index_create(const wd_params *p, wd_index **out)
{
    if (!out) return WD_E_INVALID;
    *out = NULL;
    int rc = wd_params_check(p);
    if (rc) return rc;
    wd_index *ix = calloc(1, sizeof *ix);
    if (!ix) return WD_E_NOMEM;
    ix->p = *p;
    ix->sigw = wd_sig_words(p);
    if (p->sketch == WD_SKETCH_SIMHASH) {
        ix->p.bands = ix->p.rows = 0;   /* candidates come from the Hamming tables */
        if ((rc = wd_hamming_init(&ix->ham, p->max_distance, 0))) {
            free(ix);
            return rc;
        }
    } else if (!ix->p.bands) {
        wd_lsh_shape(p->threshold, p->num_hashes, &ix->p.bands, &ix->p.rows);
    }
    if (!ix->p.threads) ix->p.threads = (unsigned)omp_get_num_procs();
    ix->nthreads = ix->p.threads;
    wd_exact_init(&ix->exact);
    wd_uf_init(&ix->uf);
    wd_lsh_init(&ix->lsh, ix->p.bands, ix->p.rows, p->seed ^ 0x6c7368ULL);
    ix->windowed = p->window || p->window_seconds;
    wd_window_init(&ix->win, p->window, p->window_seconds, ix->sigw);
    /* aligned: one cache line per thread's scratch (see wd_scratch) */
    ix->scratch = aligned_alloc(64, ix->nthreads * sizeof *ix->scratch);
    if (ix->scratch) memset(ix->scratch, 0, ix->nthreads * sizeof *ix->scratch);
    for (unsigned t = 0; ix->scratch && t < ix->nthreads; t++) {
        if ((rc = wd_scratch_init(&ix->scratch[t], p))) {
            wd_index_free(ix);
            return rc;
        }
    }
    if ((rc = wd_tmpl_init(&ix->tmpl, p->template_share, ix->nthreads, p->seed))) {
        wd_index_free(ix);
        return rc;
    }
    ix->where = malloc(ix->p.bands * sizeof *ix->where);
    ix->ekeys = malloc(ix->p.bands * sizeof *ix->ekeys);
    if (!ix->scratch || !ix->where || !ix->ekeys || wd_sketcher_init(&ix->sk, p)) {
        wd_index_free(ix);
        return WD_E_NOMEM;
    }
    *out = ix;
    return WD_OK;
}

void wd_index_free(wd_index *ix)
{
    if (!ix) return;
    wd_sketcher_free(&ix->sk);
    wd_lsh_free(&ix->lsh);
    if (ix->p.sketch == WD_SKETCH_SIMHASH) wd_hamming_free(&ix->ham);
    wd_exact_free(&ix->exact);
    wd_uf_free(&ix->uf);
    if (ix->scratch)
        for (unsigned t = 0; t < ix->nthreads; t++) wd_scratch_free(&ix->scratch[t]);
    free(ix->scratch);
    free(ix->sigs);
    free(ix->nsh);
    free(ix->keys);
    free(ix->hashes);
    free(ix->status);
    free((void *)ix->ready);
    wd_u64s_free(&ix->cands);
    free(ix->where);
    free(ix->ekeys);
    wd_window_free(&ix->win);
    wd_tmpl_free(&ix->tmpl);
    free(ix);
}

const wd_params *wd_index_params(const wd_index *ix)
{
    return &ix->p;
}

void wd_index_on_pair(wd_index *ix, wd_pair_fn fn, void *ctx)
{
    ix->on_pair = fn;
    ix->on_pair_ctx = ctx;
}

uint64_t wd_index_count(const wd_index *ix)
{
    return ix->n;
}

/* Room for cap documents in the per-document arrays. */
static int reserve_docs(wd_index *ix, uint64_t cap)
{
    const size_t H = ix->sigw;
    if (cap <= ix->cap) return WD_OK;
    if (cap > SIZE_MAX / (H * sizeof *ix->sigs)) return WD_E_NOMEM;
    uint32_t *s = realloc(ix->sigs, cap * H * sizeof *s);
    if (!s) return WD_E_NOMEM;
    ix->sigs = s;
    unsigned *c = realloc(ix->nsh, cap * sizeof *c);
    if (!c) return WD_E_NOMEM;
    ix->nsh = c;
    ix->cap = cap;
    return WD_OK;
}

int wd_index_reserve(wd_index *ix, uint64_t docs)
{
    if (!ix) return WD_E_INVALID;
    if (ix->failed) return WD_E_STATE;
    if (ix->windowed) { /* the window, not the stream, sets the size */
        if (!ix->p.window) return WD_OK;  /* a time window: its size is unknown */
        if (docs > ix->p.window) docs = ix->p.window;
        return wd_lsh_reserve(&ix->lsh, docs) ? WD_E_NOMEM : WD_OK;
    }
    if (reserve_docs(ix, docs) || wd_lsh_reserve(&ix->lsh, docs)) return WD_E_NOMEM;
    return WD_OK;
}

/* Room for n more documents in the per-document arrays and the batch
 * (windowed: the per-document arrays only hold the batch). */
static int reserve(wd_index *ix, size_t n)
{
    const size_t B = ix->p.bands;
    if (ix->windowed) {
        if (reserve_docs(ix, n)) return WD_E_NOMEM;
    } else if (ix->n + n > ix->cap) {
        uint64_t cap = ix->cap + ix->cap / 2 + 1024;
        if (cap < ix->n + n) cap = ix->n + n;
        if (reserve_docs(ix, cap)) return WD_E_NOMEM;
    }
    if (n > ix->batch_cap) {
        uint64_t *k = realloc(ix->keys, n * B * sizeof *k);
        if (!k) return WD_E_NOMEM;
        ix->keys = k;
        uint8_t *h = realloc(ix->hashes, n * 16);
        if (!h) return WD_E_NOMEM;
        ix->hashes = h;
        signed char *st = realloc(ix->status, n);
        if (!st) return WD_E_NOMEM;
        ix->status = st;
        atomic_uchar *r = realloc(ix->ready, (n + CHUNK - 1) / CHUNK * sizeof *r); /* either chunk size */
        if (!r) return WD_E_NOMEM;
        ix->ready = r;
        ix->batch_cap = n;
    }
    return ix->windowed ? WD_OK : wd_uf_grow(&ix->uf, n);
}

/* Insertion sort of v[0..n) without repeats; returns the count. */
static size_t sort_small(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
        v[j] = x;
    }
    size_t m = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[m - 1]) v[m++] = v[i];
    return m;
}

/*
 * Sorts the candidates ascending and drops repeats; returns how many
 * remain, or SIZE_MAX when out of memory. A document with close earlier
 * copies gets each of them from most of its bands, so long lists are
 * mostly repeats: they are first thinned through a small hash set (its
 * table after the list), then the few left are sorted.
 */
static size_t sort_candidates(wd_u64s *c)
{
    size_t n = c->len;
    if (n <= 32) return sort_small(c->data, n);
    size_t slots = 64;
    while (slots < 2 * n) slots <<= 1;
    if (wd_u64s_reserve(c, n + slots)) return SIZE_MAX;
    uint64_t *v = c->data, *tab = v + n;
    unsigned shift = 64 - (unsigned)__builtin_ctzll(slots);
    memset(tab, 0xFF, slots * sizeof *tab);  /* UINT64_MAX: free (no such document) */
    size_t u = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t x = v[k];
        size_t i = (size_t)((x * 0x9e3779b97f4a7c15ULL) >> shift);
        while (tab[i] != UINT64_MAX && tab[i] != x) i = (i + 1) & (slots - 1);
        if (tab[i] == UINT64_MAX) {
            tab[i] = x;
            v[u++] = x;
        }
    }
    if (u <= 32) return sort_small(v, u);
    return wd_sort_unique_u64(v, u, v + u);  /* the table's room serves as its buffer */
}

/* Reports a verified pair and joins the clusters. */
static int found(wd_index *ix, uint64_t a, uint64_t b, float j, float c, wd_match_kind kind)
{
    if (!ix->windowed) wd_uf_union(&ix->uf, a, b);
    if (!ix->on_pair) return 0;
    wd_pair pr = { a, b, j, c, kind };
    return ix->on_pair(ix->on_pair_ctx, &pr);
}

/* A candidate's signature, shingle count and document: candidates are
 * document numbers, or entry numbers of the window when windowed. */
static inline const uint32_t *cand_sig(const wd_index *ix, uint64_t c)
{
    if (ix->windowed) return ix->win.sig + wd_window_slot(&ix->win, c) * ix->sigw;
    return ix->sigs + c * ix->sigw;
}

static inline unsigned cand_nsh(const wd_index *ix, uint64_t c)
{
    return ix->windowed ? ix->win.nsh[wd_window_slot(&ix->win, c)] : ix->nsh[c];
}

static inline uint64_t cand_doc(const wd_index *ix, uint64_t c)
{
    return ix->windowed ? ix->win.doc[wd_window_slot(&ix->win, c)] : c;
}

/*
 * A verified candidate c (document cd) of document d: it becomes the best
 * match when it beats the best so far (equal estimates keep the earlier
 * candidate), and in components mode it is joined at once; leader mode
 * joins only the best, at the end of the candidate list.
 */
static int take(wd_index *ix, uint64_t d, uint64_t cd, double j, double ct, int leader,
                double *best_j, wd_match *m)
{
    if (j > *best_j) { /* compared as double: a float can round equals apart */
        *best_j = j;
        m->kind = WD_MATCH_NEAR;
        m->best = cd;
        m->jaccard = (float)j;
        m->containment = (float)ct;
    }
    return leader ? 0 : found(ix, cd, d, (float)j, (float)ct, WD_MATCH_NEAR);
}

/* Windowed: the oldest leaders leave while the window says so, from the
 * exact set, the LSH buckets (under the band keys their signature gives,
 * the ones they were inserted with) or the Hamming tables, and the ring. */
static int evict(wd_index *ix)
{
    wd_window *w = &ix->win;
    while (wd_window_expired(w)) {
        const uint64_t e = w->head, s = wd_window_slot(w, e);
        const uint32_t *sig = w->sig + s * ix->sigw;
        int rc = wd_exact_remove(&ix->exact, w->hash + s * 16, e);
        if (rc < 0) return rc;
        if (ix->p.sketch == WD_SKETCH_SIMHASH) {
            if ((rc = wd_hamming_remove(&ix->ham, wd_sig_fp(sig), e))) return rc;
        } else {
            wd_lsh_keys(&ix->lsh, sig, ix->ekeys);
            wd_lsh_remove(&ix->lsh, ix->ekeys, e);
        }
        w->head++;
    }
    return WD_OK;
}

/* Indexes document d (batch slot `slot`) for later documents: under its
 * number, or windowed under a new window entry, which also takes its exact
 * hash (an unbounded index records every hash in match_one). keys are its
 * band keys, right after the query that noted ix->where. */
static int index_doc(wd_index *ix, uint64_t d, uint64_t slot, const uint64_t *keys,
                     const uint8_t *hash, int64_t time)
{
    const uint32_t *sig = ix->sigs + slot * ix->sigw;
    uint64_t id = d, first;
    int rc;
    if (ix->windowed) {
        if ((rc = wd_window_push(&ix->win, d, time, ix->nsh[slot], sig, hash, &id))) return rc;
        if ((rc = wd_exact_add(&ix->exact, hash, id, &first)) < 0) return rc;
    }
    if (ix->p.sketch == WD_SKETCH_SIMHASH) rc = wd_hamming_insert(&ix->ham, wd_sig_fp(sig), id);
    else rc = wd_lsh_insert_at(&ix->lsh, keys, id, ix->where);
    if (rc || !ix->windowed) return rc;
    return evict(ix);
}

/* SimHash: candidates are the documents within max_distance in the
 * fingerprint tables; the distance is the verification. Same order and
 * reporting rules as the MinHash path below. */
static int match_simhash(wd_index *ix, uint64_t d, uint64_t slot, const uint8_t *hash,
                         int64_t time, wd_match *m, int leader)
{
    const unsigned nd = ix->nsh[slot];
    uint64_t fp = wd_sig_fp(ix->sigs + slot * 2);
    ix->cands.len = 0;
    int rc = wd_hamming_query(&ix->ham, fp, &ix->cands);
    if (rc) return rc;
    size_t nc = sort_candidates(&ix->cands);
    if (nc == SIZE_MAX) return WD_E_NOMEM;
    double best_j = -1.0;
    for (size_t k = 0; k < nc; k++) {
        uint64_t c = ix->cands.data[k];
        const unsigned nc_sh = cand_nsh(ix, c);
        unsigned dist = (unsigned)__builtin_popcountll(fp ^ wd_sig_fp(cand_sig(ix, c)));
        double j = wd_simhash_jaccard(dist, nd, nc_sh);
        double ct = wd_containment_est(j, nd, nc_sh);
        if ((rc = take(ix, d, cand_doc(ix, c), j, ct, leader, &best_j, m))) return rc;
    }
    if (leader && m->kind == WD_MATCH_NEAR)
        return found(ix, m->best, d, m->jaccard, m->containment, WD_MATCH_NEAR);
    return index_doc(ix, d, slot, NULL, hash, time);
}

/*
 * Matches document d (already sketched, in batch slot `slot`) against the
 * earlier ones, in input order. Candidates are visited in ascending
 * document order, so the best match is the earliest among equals.
 *
 * Components mode reports and joins every verified candidate, and indexes
 * every document. Leader mode indexes only cluster leaders (documents that
 * matched nothing), so the candidates are leaders; a document joins the
 * best one and is not indexed itself. Nothing chains through a member: a
 * template shared by two leaders' members never merges their clusters.
 * A windowed index looks exact copies up among the leaders only, so a
 * member leaves no trace.
 */
static int match_one(wd_index *ix, uint64_t d, uint64_t slot, const uint64_t *keys,
                     const uint8_t *hash, int64_t time, wd_match *m)
{
    const unsigned H = ix->p.num_hashes;
    const unsigned nd = ix->nsh[slot];
    const int leader = ix->p.cluster == WD_CLUSTER_LEADER;
    memset(m, 0, sizeof *m);
    m->shingles = nd;
    if (nd == 0) {               /* empty: never a duplicate */
        m->empty = 1;
        return 0;
    }
    const wd_archive_hit *ah = ix->archive ? wd_archive_hit_of(ix->archive, d) : NULL;
    if (ah && ah->kind) {
        m->archived_kind = ah->kind;
        m->archived_doc = ah->doc;
        m->archived_jaccard = (float)ah->jaccard;
        m->archived_containment = (float)ah->containment;
        /* Leader mode: an archived document is an earlier leader, and wins
         * ties, so a copy as good as an in-memory exact one joins it. */
        if (leader && ah->jaccard >= 1.0) return 0;
    }
    uint64_t first;
    int rc = ix->windowed ? wd_exact_find(&ix->exact, hash, &first)
                          : wd_exact_add(&ix->exact, hash, d, &first);
    if (rc < 0) return rc;
    if (rc == 1) {               /* exact: same clusters as its first copy */
        m->kind = WD_MATCH_EXACT;
        m->best = cand_doc(ix, first);
        m->jaccard = m->containment = 1.0f;
        return found(ix, m->best, d, 1.0f, 1.0f, WD_MATCH_EXACT);
    }
    if (ix->p.sketch == WD_SKETCH_SIMHASH) return match_simhash(ix, d, slot, hash, time, m, leader);
    ix->cands.len = 0;
    if (wd_lsh_query_at(&ix->lsh, keys, &ix->cands, ix->where)) return WD_E_NOMEM;
    size_t nc = sort_candidates(&ix->cands);
    if (nc == SIZE_MAX) return WD_E_NOMEM;
    const uint32_t *sd = ix->sigs + slot * H;
    if (nc) { /* each candidate's signature is requested one ahead (below) */
        const char *c0 = (const char *)cand_sig(ix, ix->cands.data[0]);
        for (size_t off = 0; off < H * sizeof *ix->sigs; off += 64) __builtin_prefetch(c0 + off);
    }
    double best_j = -1.0;
    for (size_t k = 0; k < nc; k++) {
        uint64_t c = ix->cands.data[k];
        if (k + 1 < nc) { /* the next signature, while this one is compared */
            const char *nx = (const char *)cand_sig(ix, ix->cands.data[k + 1]);
            for (size_t off = 0; off < H * sizeof *ix->sigs; off += 64) __builtin_prefetch(nx + off);
        }
        unsigned agree = wd_sig_agree(sd, cand_sig(ix, c), H);
        double j = (double)agree / H;
        double ct = wd_containment_est(j, nd, cand_nsh(ix, c));
        if (!wd_pair_accept(&ix->p, agree, j, ct)) continue;
        if ((rc = take(ix, d, cand_doc(ix, c), j, ct, leader, &best_j, m))) return rc;
    }
    if (leader && ah && ah->kind && ah->jaccard >= best_j) {
        m->kind = WD_MATCH_NONE; /* joins the archived leader, not an in-memory one */
        m->best = 0;
        m->jaccard = m->containment = 0.0f;
        return 0;
    }
    if (leader && m->kind == WD_MATCH_NEAR)
        return found(ix, m->best, d, m->jaccard, m->containment, WD_MATCH_NEAR);
    return index_doc(ix, d, slot, keys, hash, time);
}

/*
 * The work of one wd_index_add(): documents are sketched in chunks, claimed
 * from a shared counter by every thread; thread 0 (the calling thread)
 * matches the documents in input order as their chunks complete, and
 * sketches the next unclaimed chunk whenever the document it needs is not
 * ready yet. So matching overlaps sketching, no thread waits for a whole
 * batch, and with one thread the two simply alternate chunk by chunk (which
 * keeps each chunk's data in cache until it is matched).
 *
 * A chunk is CHUNK documents, or with an archive up to ARCHIVE_CHUNK,
 * shrinking towards the end of the batch (a share of what is left per
 * thread) so that no thread is left with a long chunk while the others
 * wait. Which documents share a chunk changes nothing in the results: an
 * archive lookup answers each document on its own.
 */
typedef struct add_job {
    wd_index *ix;
    const wd_doc *docs;
    size_t n;                   /* documents in the batch */
    uint64_t base;              /* number of the first */
    size_t chunk;               /* largest chunk: CHUNK, or ARCHIVE_CHUNK */
    unsigned nt;                /* threads sketching */
    atomic_size_t next;         /* first unclaimed document (a multiple of CHUNK) */
    atomic_uchar *ready;        /* per CHUNK documents: 1 once sketched (release) */
    atomic_int stop;            /* matching ended: claim nothing more */
} add_job;

/* Claims the next chunk [*i0, *end); 0 when there is none left. */
static int claim(add_job *J, size_t *i0, size_t *end)
{
    size_t at = atomic_load_explicit(&J->next, memory_order_relaxed), e;
    do {
        if (at >= J->n) return 0;
        size_t size = J->chunk, share = (J->n - at) / (2 * J->nt);
        share = (share + CHUNK - 1) / CHUNK * CHUNK;
        if (size > share) size = share > CHUNK ? share : CHUNK;
        e = at + size < J->n ? at + size : J->n;
    } while (!atomic_compare_exchange_weak_explicit(&J->next, &at, e, memory_order_relaxed,
                                                    memory_order_relaxed));
    *i0 = at;
    *end = e;
    return 1;
}

/* Sketches one unclaimed chunk; 0 when there is none left. */
static int sketch_chunk(add_job *J, wd_scratch *s)
{
    size_t i0, end;
    if (atomic_load_explicit(&J->stop, memory_order_relaxed) || !claim(J, &i0, &end)) return 0;
    wd_index *ix = J->ix;
    const unsigned W = ix->sigw, B = ix->p.bands;
    for (size_t i = i0; i < end; i++) {
        uint64_t slot = ix->windowed ? i : J->base + i;
        uint32_t *sig = ix->sigs + slot * W;
        int r = wd_features(&ix->p, &ix->sk, s, J->docs[i].text, J->docs[i].len,
                            ix->hashes + i * 16, sig, &ix->nsh[slot]);
        ix->status[i] = (signed char)r;
        if (!r) wd_lsh_keys(&ix->lsh, sig, ix->keys + i * B);
    }
    if (ix->archive) {
        int r = wd_archive_lookup(ix->archive, (unsigned)(s - ix->scratch), i0, end,
                                  ix->hashes + i0 * 16, ix->keys + i0 * B,
                                  ix->sigs + (J->base + i0) * W, ix->nsh + J->base + i0,
                                  ix->status);
        for (size_t i = i0; r && i < end; i++)
            if (!ix->status[i]) ix->status[i] = (signed char)r;
    }
    for (size_t c = i0 / CHUNK; c * CHUNK < end; c++)
        atomic_store_explicit(&J->ready[c], 1, memory_order_release);
    return 1;
}

/* Waiting for another thread's chunk: brief, so spin a little, then yield
 * the core (the machine may be shared). */
static void wait_a_bit(unsigned *spins)
{
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

static int chunk_ready(add_job *J, size_t i)
{
    return atomic_load_explicit(&J->ready[i / CHUNK], memory_order_acquire);
}

/* Thread 0: match in input order, sketching while waiting. */
static int match_all(add_job *J, wd_match *matches)
{
    wd_index *ix = J->ix;
    const unsigned B = ix->p.bands;
    wd_scratch *s = &ix->scratch[0];
    int rc = WD_OK;
    for (size_t i = 0; i < J->n; i++) {
        unsigned spins = 0;
        while (!chunk_ready(J, i))
            if (!sketch_chunk(J, s)) wait_a_bit(&spins);
        if (ix->status[i]) {
            rc = ix->status[i];
            break;
        }
        /* The LSH lookups of a document are cache misses in a big index;
         * they follow from its band keys alone, so they are requested a
         * document ahead and arrive while this one is verified. */
        if (i + 1 < J->n && chunk_ready(J, i + 1) && !ix->status[i + 1])
            wd_lsh_prefetch(&ix->lsh, ix->keys + (i + 1) * B);
        wd_match tmp, *m = matches ? &matches[i] : &tmp;
        int64_t time = 0;
        if (ix->windowed) { /* the window moves before each document, in input order */
            if (ix->p.window_seconds) wd_window_see(&ix->win, time = J->docs[i].time);
            if ((rc = evict(ix))) break;
        }
        rc = match_one(ix, J->base + i, ix->windowed ? i : J->base + i, ix->keys + i * B,
                       ix->hashes + i * 16, time, m);
        ix->n = J->base + i + 1;
        if (rc) break;
    }
    atomic_store_explicit(&J->stop, 1, memory_order_relaxed);
    return rc;
}

/* Adds n documents that all fall in one template epoch (see wd_index_add). */
static int add_part(wd_index *ix, const wd_doc *docs, size_t n, wd_match *matches)
{
    int rc = reserve(ix, n);
    if (!rc && ix->archive) rc = wd_archive_prepare(ix->archive, ix->n, n);
    if (rc) return rc;

    const size_t nslots = (n + CHUNK - 1) / CHUNK;
    /* A parallel region per tiny batch costs more than it saves. */
    unsigned nt = n < 64 ? 1 : ix->nthreads;
    if (nt > nslots) nt = (unsigned)nslots;
    add_job J = { .ix = ix, .docs = docs, .n = n, .base = ix->n, .nt = nt,
                  .chunk = ix->archive ? ARCHIVE_CHUNK : CHUNK, .ready = ix->ready };
    atomic_init(&J.next, 0);
    atomic_init(&J.stop, 0);
    for (size_t c = 0; c < nslots; c++) atomic_init(&J.ready[c], 0);
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num();
        if (t == 0) {
            rc = match_all(&J, matches);
        } else {
            wd_scratch *s = &ix->scratch[t];
            while (sketch_chunk(&J, s)) {}
        }
    }
    return rc;
}

/* Points every thread's scratch at the template counter and filter. */
static void tmpl_attach(wd_index *ix)
{
    for (unsigned t = 0; t < ix->nthreads; t++) {
        ix->scratch[t].count = wd_tmpl_counter(&ix->tmpl, t);
        ix->scratch[t].tmpl = ix->tmpl.mode == WD_TMPL_OFF ? NULL : &ix->tmpl;
    }
}

/*
 * Streaming template counts (see wiredup.h) freeze at epoch boundaries, so
 * a batch that crosses one is added in parts: the pending counts are folded
 * in exactly when the index reaches a boundary, whatever the batches were.
 */
int wd_index_add(wd_index *ix, const wd_doc *docs, size_t n, wd_match *matches)
{
    if (!ix) return WD_E_INVALID;
    if (ix->failed) return WD_E_STATE;
    if (n == 0) return WD_OK;
    if (!docs) return WD_E_INVALID;
    int rc = wd_tmpl_freeze(&ix->tmpl);
    if (rc) return ix->failed = rc;
    tmpl_attach(ix);
    wd_tmpl *tm = &ix->tmpl;
    while (n && !rc) {
        size_t part = n;
        if (tm->mode == WD_TMPL_STREAM) {
            if (ix->n == tm->epoch_end && (rc = wd_tmpl_next_epoch(tm, ix->n))) break;
            if (tm->epoch_end - ix->n < part) part = (size_t)(tm->epoch_end - ix->n);
        }
        rc = add_part(ix, docs, part, matches);
        docs += part;
        n -= part;
        if (matches) matches += part;
    }
    if (rc) ix->failed = rc;
    return rc;
}

/*
 * Batch template counting: every thread shingles documents from a shared
 * loop into its own exact counter; the counters are summed at the end, so
 * the counts are the same however the documents were dealt out.
 */
int wd_index_learn(wd_index *ix, const wd_doc *docs, size_t n)
{
    if (!ix) return WD_E_INVALID;
    if (ix->failed) return WD_E_STATE;
    if (ix->n) return WD_E_INVALID;
    if (ix->tmpl.mode == WD_TMPL_OFF || n == 0) return WD_OK;
    if (!docs) return WD_E_INVALID;
    int rc = wd_tmpl_learn_begin(&ix->tmpl);
    if (rc) return ix->failed = rc;
    atomic_int err;
    atomic_init(&err, WD_OK);
    unsigned nt = n < 64 ? 1 : ix->nthreads;
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        unsigned t = (unsigned)omp_get_thread_num();
        wd_scratch *s = &ix->scratch[t];
        uint8_t hash[16];
        #pragma omp for schedule(dynamic, CHUNK)
        for (size_t i = 0; i < n; i++) {
            if (atomic_load_explicit(&err, memory_order_relaxed)) continue;
            int r = wd_doc_shingles(&ix->p, s, docs[i].text, docs[i].len, hash);
            if (!r) r = wd_tmpl_learn_add(&ix->tmpl, t, s->sh.data, s->sh.len);
            if (r) {
                int ok = WD_OK;
                atomic_compare_exchange_strong(&err, &ok, r);
            }
        }
    }
    rc = atomic_load(&err);
    if (!rc) rc = wd_tmpl_learn_end(&ix->tmpl, n);
    if (rc) ix->failed = rc;
    return rc;
}

int wd_index_clusters(const wd_index *ix, uint64_t *cluster)
{
    if (!ix || (!cluster && ix->n)) return WD_E_INVALID;
    if (ix->windowed) return WD_E_STATE;
    /* Parents always point to smaller documents, so one ascending pass
     * resolves every root without modifying the (const) index. */
    for (uint64_t i = 0; i < ix->n; i++) {
        uint64_t p = ix->uf.parent[i];
        cluster[i] = p == i ? i : cluster[p];
    }
    return WD_OK;
}

int wd_index_similarity(const wd_index *ix, uint64_t a, uint64_t b,
                        double *jaccard, double *containment)
{
    if (!ix || !jaccard || !containment || a >= ix->n || b >= ix->n) return WD_E_INVALID;
    if (ix->windowed) return WD_E_STATE;
    const unsigned H = ix->p.num_hashes;
    if (a == b) {
        *jaccard = *containment = ix->nsh[a] ? 1.0 : 0.0;
        return WD_OK;
    }
    if (!ix->nsh[a] || !ix->nsh[b]) {
        *jaccard = *containment = 0.0;
        return WD_OK;
    }
    if (ix->p.sketch == WD_SKETCH_SIMHASH) {
        unsigned dist = (unsigned)__builtin_popcountll(wd_sig_fp(ix->sigs + a * 2) ^
                                                       wd_sig_fp(ix->sigs + b * 2));
        *jaccard = wd_simhash_jaccard(dist, ix->nsh[a], ix->nsh[b]);
    } else {
        *jaccard = (double)wd_sig_agree(ix->sigs + a * H, ix->sigs + b * H, H) / H;
    }
    *containment = wd_containment_est(*jaccard, ix->nsh[a], ix->nsh[b]);
    return WD_OK;
}

uint64_t wd_index_window_start(const wd_index *ix)
{
    if (!ix || !ix->windowed) return 0;
    const wd_window *w = &ix->win;
    return w->head == w->tail ? ix->n : w->doc[wd_window_slot(w, w->head)];
}

const uint32_t *wd_index_doc(const wd_index *ix, uint64_t d, unsigned *shingles)
{
    if (d >= ix->n) return NULL;
    *shingles = ix->nsh[d];
    return ix->sigs + d * ix->sigw;
}

void wd_index_set_archive(wd_index *ix, wd_archive *a)
{
    ix->archive = a;
}
