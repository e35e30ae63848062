/*
 * index.c - the wd_index handle: the pipeline from a batch of texts to
 * verified pairs and clusters.
 *
 *   batch of texts
 *     | parallel (OpenMP, any order)   normalize, exact hash, shingles,
 *     |                                MinHash signature, LSH band keys
 *     v
 *   sequential, in input order         exact set -> LSH query -> verify each
 *                                      candidate -> union -> LSH insert
 *
 * Only the first half depends on the thread count, and it writes each
 * document's results to that document's own slots, so the second half sees
 * the same data in the same order for any thread count or batch size: the
 * output is deterministic by construction.
 */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"
#include "features.h"
#include "../cluster/unionfind.h"
#include "../index/exact.h"
#include "../index/lsh.h"
#include "../sketch/minhash.h"

struct wd_index {
    wd_params p;            /* resolved parameters (bands, rows, threads set) */
    wd_minhash mh;          /* MinHash permutations */
    wd_lsh lsh;             /* band buckets */
    wd_exact exact;         /* exact-duplicate set */
    wd_uf uf;               /* clusters */
    uint32_t *sigs;         /* num_hashes values per document */
    unsigned *nsh;          /* distinct shingles per document (0 = empty) */
    uint64_t n;             /* documents added */
    uint64_t cap;           /* documents sigs/nsh can hold */
    wd_scratch *scratch;    /* one per thread */
    unsigned nthreads;      /* threads used for sketching */
    uint64_t *keys;         /* band keys of the current batch */
    uint8_t *hashes;        /* exact hashes of the current batch, 16 bytes each */
    size_t batch_cap;       /* documents keys/hashes can hold */
    wd_u64s cands;          /* candidate list of the document being matched */
    wd_pair_fn on_pair;     /* pair callback or NULL */
    void *on_pair_ctx;
    int failed;             /* latched error: WD_OK or the first failure */
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
    if (!ix->p.bands) wd_lsh_shape(p->threshold, p->num_hashes, &ix->p.bands, &ix->p.rows);
    if (!ix->p.threads) ix->p.threads = (unsigned)omp_get_num_procs();
    ix->nthreads = ix->p.threads;
    wd_exact_init(&ix->exact);
    wd_uf_init(&ix->uf);
    wd_lsh_init(&ix->lsh, ix->p.bands, ix->p.rows, p->seed ^ 0x6c7368ULL);
    ix->scratch = calloc(ix->nthreads, sizeof *ix->scratch);
    if (!ix->scratch || wd_minhash_init(&ix->mh, p->num_hashes, p->seed)) {
        wd_index_free(ix);
        return WD_E_NOMEM;
    }
    *out = ix;
    return WD_OK;
}

void wd_index_free(wd_index *ix)
{
    if (!ix) return;
    wd_minhash_free(&ix->mh);
    wd_lsh_free(&ix->lsh);
    wd_exact_free(&ix->exact);
    wd_uf_free(&ix->uf);
    if (ix->scratch)
        for (unsigned t = 0; t < ix->nthreads; t++) wd_scratch_free(&ix->scratch[t]);
    free(ix->scratch);
    free(ix->sigs);
    free(ix->nsh);
    free(ix->keys);
    free(ix->hashes);
    wd_u64s_free(&ix->cands);
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

/* Room for n more documents in the per-document arrays and the batch. */
static int reserve(wd_index *ix, size_t n)
{
    const size_t H = ix->p.num_hashes, B = ix->p.bands;
    if (ix->n + n > ix->cap) {
        uint64_t cap = ix->cap + ix->cap / 2 + 1024;
        if (cap < ix->n + n) cap = ix->n + n;
        uint32_t *s = realloc(ix->sigs, cap * H * sizeof *s);
        if (!s) return WD_E_NOMEM;
        ix->sigs = s;
        unsigned *c = realloc(ix->nsh, cap * sizeof *c);
        if (!c) return WD_E_NOMEM;
        ix->nsh = c;
        ix->cap = cap;
    }
    if (n > ix->batch_cap) {
        uint64_t *k = realloc(ix->keys, n * B * sizeof *k);
        if (!k) return WD_E_NOMEM;
        ix->keys = k;
        uint8_t *h = realloc(ix->hashes, n * 16);
        if (!h) return WD_E_NOMEM;
        ix->hashes = h;
        ix->batch_cap = n;
    }
    return wd_uf_grow(&ix->uf, n);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Reports a verified pair and joins the clusters. */
static int found(wd_index *ix, uint64_t a, uint64_t b, float j, float c, wd_match_kind kind)
{
    wd_uf_union(&ix->uf, a, b);
    if (!ix->on_pair) return 0;
    wd_pair pr = { a, b, j, c, kind };
    return ix->on_pair(ix->on_pair_ctx, &pr);
}

/*
 * Matches document d (already sketched) against the earlier ones, in input
 * order. Candidates are visited in ascending document order, so the best
 * match is the earliest among equals.
 *
 * Components mode reports and joins every verified candidate, and indexes
 * every document. Leader mode indexes only cluster leaders (documents that
 * matched nothing), so the candidates are leaders; a document joins the
 * best one and is not indexed itself. Nothing chains through a member: a
 * template shared by two leaders' members never merges their clusters.
 */
static int match_one(wd_index *ix, uint64_t d, const uint64_t *keys,
                     const uint8_t *hash, wd_match *m)
{
    const unsigned H = ix->p.num_hashes;
    const unsigned nd = ix->nsh[d];
    const int leader = ix->p.cluster == WD_CLUSTER_LEADER;
    memset(m, 0, sizeof *m);
    m->shingles = nd;
    if (nd == 0) {               /* empty: never a duplicate */
        m->empty = 1;
        return 0;
    }
    uint64_t first;
    int rc = wd_exact_add(&ix->exact, hash, d, &first);
    if (rc < 0) return rc;
    if (rc == 1) {               /* exact: same clusters as its first copy */
        m->kind = WD_MATCH_EXACT;
        m->best = first;
        m->jaccard = m->containment = 1.0f;
        return found(ix, first, d, 1.0f, 1.0f, WD_MATCH_EXACT);
    }
    ix->cands.len = 0;
    if (wd_lsh_query(&ix->lsh, keys, &ix->cands)) return WD_E_NOMEM;
    if (ix->cands.len > 1) qsort(ix->cands.data, ix->cands.len, sizeof *ix->cands.data, cmp_u64);
    const uint32_t *sd = ix->sigs + d * H;
    uint64_t prev = UINT64_MAX;
    double best_j = -1.0; /* as double: a float can round two equal estimates apart */
    for (size_t k = 0; k < ix->cands.len; k++) {
        uint64_t c = ix->cands.data[k];
        if (c == prev) continue;
        prev = c;
        unsigned agree = wd_sig_agree(sd, ix->sigs + c * H, H);
        double j = (double)agree / H;
        double ct = wd_containment_est(j, nd, ix->nsh[c]);
        if (!wd_pair_accept(&ix->p, agree, j, ct)) continue;
        if (j > best_j) {
            best_j = j;
            m->kind = WD_MATCH_NEAR;
            m->best = c;
            m->jaccard = (float)j;
            m->containment = (float)ct;
        }
        if (leader) continue;
        rc = found(ix, c, d, (float)j, (float)ct, WD_MATCH_NEAR);
        if (rc) return rc;
    }
    if (leader && m->kind == WD_MATCH_NEAR)
        return found(ix, m->best, d, m->jaccard, m->containment, WD_MATCH_NEAR);
    return wd_lsh_insert(&ix->lsh, keys, d);
}

int wd_index_add(wd_index *ix, const wd_doc *docs, size_t n, wd_match *matches)
{
    if (!ix) return WD_E_INVALID;
    if (ix->failed) return WD_E_STATE;
    if (n == 0) return WD_OK;
    if (!docs) return WD_E_INVALID;
    int rc = reserve(ix, n);
    if (rc) return ix->failed = rc;

    const unsigned H = ix->p.num_hashes, B = ix->p.bands;
    const uint64_t base = ix->n;
    int err = WD_OK;
    /* A parallel region per tiny batch costs more than it saves (and
     * busy-waiting threads hurt on a loaded machine). */
    unsigned nt = n < ix->nthreads ? (unsigned)n : ix->nthreads;
    #pragma omp parallel num_threads(nt) if (n >= 64)
    {
        wd_scratch *s = &ix->scratch[omp_get_thread_num()];
        #pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < n; i++) {
            uint64_t d = base + i;
            uint32_t *sig = ix->sigs + d * H;
            int r = wd_features(&ix->p, &ix->mh, s, docs[i].text, docs[i].len,
                                ix->hashes + i * 16, sig, &ix->nsh[d]);
            if (r) {
                #pragma omp critical(wd_index_err)
                err = err ? err : r;
            } else {
                wd_lsh_keys(&ix->lsh, sig, ix->keys + i * B);
            }
        }
    }
    if (err) return ix->failed = err;

    for (size_t i = 0; i < n; i++) {
        wd_match tmp, *m = matches ? &matches[i] : &tmp;
        rc = match_one(ix, base + i, ix->keys + i * B, ix->hashes + i * 16, m);
        ix->n = base + i + 1;
        if (rc) return ix->failed = rc;
    }
    return WD_OK;
}

int wd_index_clusters(const wd_index *ix, uint64_t *cluster)
{
    if (!ix || (!cluster && ix->n)) return WD_E_INVALID;
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
    const unsigned H = ix->p.num_hashes;
    if (a == b) {
        *jaccard = *containment = ix->nsh[a] ? 1.0 : 0.0;
        return WD_OK;
    }
    if (!ix->nsh[a] || !ix->nsh[b]) {
        *jaccard = *containment = 0.0;
        return WD_OK;
    }
    *jaccard = (double)wd_sig_agree(ix->sigs + a * H, ix->sigs + b * H, H) / H;
    *containment = wd_containment_est(*jaccard, ix->nsh[a], ix->nsh[b]);
    return WD_OK;
}
