/*
 * archive.c - wd_archive: the persistent index (src/index/store.c) behind
 * the public API, and its part in wd_index_add().
 *
 *   wd_index_add, every thread, per chunk      exact hash -> store exact;
 *   (after sketching it; one reader each)      else band keys -> candidates
 *                                              -> stored signatures -> verify
 *   thread 0, in input order (index.c)         consumes the hit of each document
 *
 * All readers are snapshots taken at attach (or the handle's last commit),
 * so every lookup of a batch sees the same archive whatever thread makes it,
 * and the hits are deterministic like the rest of the pipeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "wiredup.h"
#include "archive.h"
#include "features.h"
#include "../index/store.h"
#include "../sketch/minhash.h"

/* The band seed wd_index_create() gives its LSH table. */
#define BAND_SEED(seed) ((seed) ^ 0x6c7368ULL)

/* Stored signatures a lookup thread holds at once (see wd_archive_lookup):
 * 512 KiB of 128-value signatures. */
#define SIG_CACHE 1024

/* One lookup thread's reader and buffers. */
typedef struct lookup_thread {
    wd_store_reader *r;
    wd_u64s off, docs;     /* wd_store_candidates_batch() output */
    wd_u64s keys;          /* band keys of the chunk's documents that need them */
    wd_u64s which;         /* batch positions of those documents */
    wd_u64s end;           /* per such document: end of its distinct candidates in docs */
    wd_u64s uniq;          /* distinct candidates of the whole chunk, ascending */
    uint32_t *sig;         /* SIG_CACHE stored signatures: those of uniq[u0..u1) */
    unsigned *nsh;         /* their shingle counts */
} lookup_thread;

struct wd_archive {
    wd_store *s;
    wd_archive_mode mode;
    wd_params p;           /* the archive's parameters (bands, rows set) */
    lookup_thread *th;     /* one per index thread, after attach */
    unsigned nth;
    wd_archive_hit *hits;  /* per document of the current batch */
    size_t hits_cap;
    uint8_t *hashes;       /* exact hash of every document of the index, 16 bytes each */
    uint64_t nhashes, hashes_cap;
    uint64_t base;         /* first document of the current batch */
    uint64_t seen;         /* documents the attached index matches against: those
                              committed at attach (see wd_index_attach_archive) */
    char err[256];
};

/* Fingerprint of how this build turns text into an exact hash and a
 * signature under p (masking included: the text has a dateline), so an
 * archive written by a build that normalizes or hashes differently is
 * refused instead of silently matching nothing. */
static uint64_t sketch_probe(const wd_params *p)
{
    static const char text[] = "LONDON (Reuters) - Probe text: \xC3\x89t\xC3\xA9 caf\xC3\xA9, "
                               "\xE6\x9D\xB1\xE4\xBA\xAC 2024, \"quoted\" words and numbers 3.14.";
    wd_sketcher k;
    wd_scratch sc;
    memset(&sc, 0, sizeof sc);
    uint32_t *sig = malloc(p->num_hashes * sizeof *sig);
    uint8_t hash[16];
    unsigned n = 0;
    uint64_t h = 0;
    if (sig && !wd_sketcher_init(&k, p)) {
        if (!wd_scratch_init(&sc, p) &&
            !wd_features(p, &k, &sc, text, sizeof text - 1, hash, sig, &n)) {
            XXH64_state_t *st = XXH64_createState();
            if (st) {
                XXH64_reset(st, 0);
                XXH64_update(st, hash, 16);
                XXH64_update(st, sig, p->num_hashes * sizeof *sig);
                XXH64_update(st, &n, sizeof n);
                h = XXH64_digest(st) | 1; /* never 0 (= no probe) */
                XXH64_freeState(st);
            }
        }
        wd_scratch_free(&sc);
        wd_sketcher_free(&k);
    }
    free(sig);
    return h;
}

static int exists(const char *path)
{
    char buf[4096];
    struct stat st;
    if (snprintf(buf, sizeof buf, "%s/data.mdb", path) >= (int)sizeof buf) return 0;
    return stat(buf, &st) == 0;
}

/* Read mode without parameters (wiredup index): takes the stored ones. */
static int open_any(const char *path, wd_archive **out, char *err, size_t errlen)
{
    wd_archive *a = calloc(1, sizeof *a);
    if (!a) return WD_E_NOMEM;
    int rc = wd_store_open(path, WD_STORE_READ, NULL, NULL, &a->s, err, errlen);
    if (rc) {
        free(a);
        return rc;
    }
    const wd_store_params *sp = wd_store_params_get(a->s);
    wd_params_default(&a->p);
    a->p.shingle = (wd_shingle_kind)sp->shingle;
    a->p.shingle_size = sp->shingle_size;
    a->p.num_hashes = sp->num_hashes;
    a->p.sketch = (wd_sketch_kind)sp->sketch;
    a->p.bands = sp->bands;
    a->p.rows = sp->rows;
    a->p.seed = sp->seed;
    *out = a;
    return WD_OK;
}

int wd_archive_open(const char *path, wd_archive_mode mode, const wd_params *p,
                    wd_archive **out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (!out) return WD_E_INVALID;
    *out = NULL;
    if (!path || (p ? wd_params_check(p) != WD_OK : mode != WD_ARCHIVE_READ)) {
        if (err && errlen) snprintf(err, errlen, "invalid parameters");
        return WD_E_INVALID;
    }
    if (!p) return open_any(path, out, err, errlen);
    if (p->sketch == WD_SKETCH_SIMHASH) {
        if (err && errlen) snprintf(err, errlen, "a simhash index cannot be archived");
        return WD_E_UNSUPPORTED;
    }
    wd_archive *a = calloc(1, sizeof *a);
    if (!a) return WD_E_NOMEM;
    a->mode = mode;
    a->p = *p;
    /* No shape asked: an existing archive keeps its own, a new one gets the
     * shape an index would choose for the threshold. */
    if (!p->bands && !exists(path))
        wd_lsh_shape(p->threshold, p->num_hashes, &a->p.bands, &a->p.rows);
    wd_store_params sp;
    wd_store_params_from(&a->p, BAND_SEED(p->seed), &sp);
    sp.sketch_probe = sketch_probe(p);
    int rc = wd_store_open(path, mode == WD_ARCHIVE_WRITE ? WD_STORE_WRITE : WD_STORE_READ, &sp,
                           NULL, &a->s, err, errlen);
    if (rc) {
        free(a);
        return rc;
    }
    const wd_store_params *have = wd_store_params_get(a->s);
    a->p.bands = have->bands;
    a->p.rows = have->rows;
    *out = a;
    return WD_OK;
}

void wd_archive_close(wd_archive *a)
{
    if (!a) return;
    for (unsigned t = 0; t < a->nth; t++) {
        wd_store_reader_close(a->th[t].r);
        wd_u64s_free(&a->th[t].off);
        wd_u64s_free(&a->th[t].docs);
        wd_u64s_free(&a->th[t].keys);
        wd_u64s_free(&a->th[t].which);
        wd_u64s_free(&a->th[t].end);
        wd_u64s_free(&a->th[t].uniq);
        free(a->th[t].sig);
        free(a->th[t].nsh);
    }
    free(a->th);
    wd_store_close(a->s);
    free(a->hits);
    free(a->hashes);
    free(a);
}

const char *wd_archive_errmsg(const wd_archive *a)
{
    if (!a) return "";
    return a->err[0] ? a->err : wd_store_errmsg(a->s);
}

void wd_archive_shape(const wd_archive *a, wd_params *p)
{
    p->bands = a->p.bands;
    p->rows = a->p.rows;
}

uint64_t wd_archive_count(const wd_archive *a)
{
    return wd_store_count(a->s);
}

static int failmsg(wd_archive *a, int rc, const char *msg)
{
    snprintf(a->err, sizeof a->err, "%s", msg);
    return rc;
}

int wd_index_attach_archive(wd_index *ix, wd_archive *a)
{
    if (!ix || !a || a->th) return WD_E_INVALID;
    const wd_params *ip = wd_index_params(ix);
    if (wd_index_count(ix)) return failmsg(a, WD_E_STATE, "the index already holds documents");
    /* Stored signatures must not depend on the rest of a run's input
     * (template counts) or on the per-batch layout of a windowed index. */
    if (ip->template_share > 0.0)
        return failmsg(a, WD_E_INVALID, "template shingles (--template-share) cannot be used with a persistent index");
    if (ip->window || ip->window_seconds)
        return failmsg(a, WD_E_INVALID, "a window cannot be used with a persistent index");
    if (ip->sketch != a->p.sketch || ip->shingle != a->p.shingle ||
        ip->shingle_size != a->p.shingle_size || ip->num_hashes != a->p.num_hashes ||
        ip->seed != a->p.seed || ip->bands != a->p.bands || ip->rows != a->p.rows)
        return failmsg(a, WD_E_MISMATCH, "the index was created with other parameters than the archive");
    unsigned n = ip->threads ? ip->threads : 1;
    a->th = calloc(n, sizeof *a->th);
    if (!a->th) return WD_E_NOMEM;
    a->nth = n;
    for (unsigned t = 0; t < n; t++) {
        a->th[t].sig = malloc((size_t)SIG_CACHE * a->p.num_hashes * sizeof *a->th[t].sig);
        a->th[t].nsh = malloc(SIG_CACHE * sizeof *a->th[t].nsh);
        if (!a->th[t].sig || !a->th[t].nsh) return WD_E_NOMEM;
        int rc = wd_store_reader_open(a->s, &a->th[t].r);
        if (rc) return rc;
    }
    /* Documents committed from now on (by this handle or another process)
     * are never matched: the index holds this run's own documents already,
     * and a run's answers must not depend on when its batches commit. */
    a->seen = wd_store_count(a->s);
    wd_index_set_archive(ix, a);
    return WD_OK;
}

int wd_archive_prepare(wd_archive *a, uint64_t base, size_t n)
{
    if (n > a->hits_cap) {
        wd_archive_hit *h = realloc(a->hits, n * sizeof *h);
        if (!h) return WD_E_NOMEM;
        a->hits = h;
        a->hits_cap = n;
    }
    if (base + n > a->hashes_cap) {
        uint64_t cap = a->hashes_cap + a->hashes_cap / 2 + 4096;
        if (cap < base + n) cap = base + n;
        uint8_t *h = realloc(a->hashes, cap * 16);
        if (!h) return WD_E_NOMEM;
        a->hashes = h;
        a->hashes_cap = cap;
    }
    a->base = base;
    a->nhashes = base + n;
    return WD_OK;
}

const wd_archive_hit *wd_archive_hit_of(const wd_archive *a, uint64_t d)
{
    return &a->hits[d - a->base];
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Sorts v[0..n) ascending without repeats; returns the count. */
static size_t sort_unique(uint64_t *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof *v, cmp_u64);
    size_t m = n ? 1 : 0;
    for (size_t k = 1; k < n; k++)
        if (v[k] != v[m - 1]) v[m++] = v[k];
    return m;
}

/* Position of x in the ascending v[0..n) (x is there). */
static size_t find_u64(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0;
    while (n > 1) {
        size_t half = n / 2;
        if (v[lo + half] <= x) lo += half;
        n -= half;
    }
    return lo;
}

/*
 * Verifies the candidates of the chunk's documents that need it against
 * stored signatures: the same rule as in memory, each document's
 * candidates in ascending order, the best estimate winning and the
 * earliest among equals. Copies of one story share their archived
 * candidates, so the distinct candidates of the whole chunk are fetched
 * once each, in document order (neighbours share B-tree pages), SIG_CACHE
 * at a time; every document's walk resumes where the last slice left it,
 * so the visiting order is that of its own sorted list.
 */
static int verify_chunk(wd_archive *a, lookup_thread *T, size_t need, size_t i0,
                        const uint32_t *sigs, const unsigned *nsh)
{
    const unsigned H = a->p.num_hashes;
    size_t total = 0;
    for (size_t q = 0; q < need; q++) {
        uint64_t from = T->off.data[q], to = T->off.data[q + 1];
        uint64_t end = from + sort_unique(T->docs.data + from, (size_t)(to - from));
        while (end > from && T->docs.data[end - 1] >= a->seen) end--; /* committed after the attach */
        T->end.data[q] = end;
        total += (size_t)(T->end.data[q] - from);
    }
    if (!total) return WD_OK;
    if (wd_u64s_reserve(&T->uniq, total)) return WD_E_NOMEM;
    T->uniq.len = 0;
    for (size_t q = 0; q < need; q++)
        for (uint64_t k = T->off.data[q]; k < T->end.data[q]; k++)
            T->uniq.data[T->uniq.len++] = T->docs.data[k];
    const size_t nu = sort_unique(T->uniq.data, T->uniq.len);
    /* off.data[q] now walks document q's candidates across the slices */
    for (size_t u0 = 0; u0 < nu; u0 += SIG_CACHE) {
        const size_t u1 = nu - u0 < SIG_CACHE ? nu : u0 + SIG_CACHE;
        for (size_t u = u0; u < u1; u++) {
            wd_store_doc sd;
            int rc = wd_store_get(T->r, T->uniq.data[u], &sd, T->sig + (u - u0) * H);
            if (rc) return rc;
            T->nsh[u - u0] = sd.shingles;
        }
        const uint64_t last = T->uniq.data[u1 - 1];
        for (size_t q = 0; q < need; q++) {
            const size_t i = (size_t)T->which.data[q], k = i - i0;
            const uint32_t *sig = sigs + k * H;
            wd_archive_hit *h = &a->hits[i];
            uint64_t *c = T->docs.data;
            uint64_t at = T->off.data[q];
            for (; at < T->end.data[q] && c[at] <= last; at++) {
                size_t u = find_u64(T->uniq.data + u0, u1 - u0, c[at]);
                unsigned agree = wd_sig_agree(sig, T->sig + u * H, H);
                double j = (double)agree / H;
                double ct = wd_containment_est(j, nsh[k], T->nsh[u]);
                /* h->jaccard is -1 until a candidate is accepted */
                if (!wd_pair_accept(&a->p, agree, j, ct) || !(j > h->jaccard)) continue;
                *h = (wd_archive_hit){ c[at], j, ct, WD_MATCH_NEAR };
            }
            T->off.data[q] = at;
        }
    }
    for (size_t q = 0; q < need; q++) {
        wd_archive_hit *h = &a->hits[T->which.data[q]];
        if (h->kind == WD_MATCH_NONE) h->jaccard = 0.0;
    }
    return WD_OK;
}

int wd_archive_lookup(wd_archive *a, unsigned t, size_t i0, size_t i1,
                      const uint8_t *hashes, const uint64_t *keys,
                      const uint32_t *sigs, const unsigned *nsh, const signed char *status)
{
    lookup_thread *T = &a->th[t];
    const unsigned B = a->p.bands;
    size_t need = 0;
    T->keys.len = 0;
    if (wd_u64s_reserve(&T->keys, (i1 - i0) * B) || wd_u64s_reserve(&T->which, i1 - i0) ||
        wd_u64s_reserve(&T->end, i1 - i0))
        return WD_E_NOMEM;
    for (size_t i = i0; i < i1; i++) {
        wd_archive_hit *h = &a->hits[i];
        const size_t k = i - i0;
        memcpy(a->hashes + (a->base + i) * 16, hashes + k * 16, 16);
        *h = (wd_archive_hit){ 0, 0.0, 0.0, WD_MATCH_NONE };
        if (status[i] || nsh[k] == 0) continue;
        uint64_t doc;
        int rc = wd_store_exact(T->r, hashes + k * 16, &doc);
        if (rc < 0) return rc;
        if (rc == 1 && doc < a->seen) {
            *h = (wd_archive_hit){ doc, 1.0, 1.0, WD_MATCH_EXACT };
            continue;
        }
        memcpy(T->keys.data + need * B, keys + k * B, B * sizeof *keys);
        h->jaccard = -1.0;  /* below any estimate: see verify_chunk */
        T->which.data[need++] = i;
    }
    if (!need) return WD_OK;
    int rc = wd_store_candidates_batch(T->r, T->keys.data, need, B, &T->off, &T->docs);
    if (rc) return rc;
    return verify_chunk(a, T, need, i0, sigs, nsh);
}

int wd_archive_id(wd_archive *a, uint64_t doc, const char **id, size_t *len, unsigned *shingles)
{
    if (!a || !a->th || !id || !len) return WD_E_INVALID;
    wd_store_doc sd;
    int rc = wd_store_get(a->th[0].r, doc, &sd, NULL);
    if (rc) return rc;
    *id = sd.id ? sd.id : "";
    *len = sd.id_len;
    if (shingles) *shingles = sd.shingles;
    return WD_OK;
}

int wd_archive_similarity(wd_archive *a, const wd_index *ix, uint64_t d, uint64_t doc,
                          double *jaccard, double *containment)
{
    if (!a || !a->th || !jaccard || !containment) return WD_E_INVALID;
    unsigned nd;
    const uint32_t *sig = wd_index_doc(ix, d, &nd);
    if (!sig) return WD_E_INVALID;
    *jaccard = *containment = 0.0;
    if (!nd) return WD_OK;
    wd_store_doc sd;
    int rc = wd_store_get(a->th[0].r, doc, &sd, a->th[0].sig);
    if (rc) return rc;
    *jaccard = (double)wd_sig_agree(sig, a->th[0].sig, a->p.num_hashes) / a->p.num_hashes;
    *containment = wd_containment_est(*jaccard, nd, sd.shingles);
    return WD_OK;
}

int wd_archive_begin(wd_archive *a)
{
    if (!a) return WD_E_INVALID;
    if (a->mode != WD_ARCHIVE_WRITE) return failmsg(a, WD_E_STATE, "the archive was opened read-only");
    return wd_store_begin(a->s);
}

int wd_archive_put(wd_archive *a, const wd_index *ix, uint64_t d, const char *id, size_t id_len)
{
    if (!a || !ix || d >= a->nhashes) return WD_E_INVALID;
    unsigned nd;
    const uint32_t *sig = wd_index_doc(ix, d, &nd);
    if (!sig || nd == 0) return WD_E_INVALID;
    wd_store_doc sd = { .shingles = nd, .sig = sig, .id = id, .id_len = id_len };
    memcpy(sd.hash, a->hashes + d * 16, 16);
    return wd_store_add(a->s, &sd, NULL, NULL);
}

int wd_archive_commit(wd_archive *a)
{
    return a ? wd_store_commit(a->s) : WD_E_INVALID;
}

void wd_archive_abort(wd_archive *a)
{
    if (a) wd_store_abort(a->s);
}

int wd_archive_stats_get(wd_archive *a, wd_archive_stats *out)
{
    if (!a || !out) return WD_E_INVALID;
    wd_store_stats st;
    int rc = wd_store_stats_get(a->s, &st);
    if (rc) return rc;
    memset(out, 0, sizeof *out);
    out->docs = st.docs;
    out->exact = st.exact;
    out->band_entries = st.band_entries;
    out->band_keys = st.band_keys;
    out->file_bytes = st.file_bytes;
    out->used_bytes = st.used_bytes;
    out->format = st.format;
    wd_params_default(&out->params);
    out->params.shingle = (wd_shingle_kind)st.params.shingle;
    out->params.shingle_size = st.params.shingle_size;
    out->params.num_hashes = st.params.num_hashes;
    out->params.sketch = (wd_sketch_kind)st.params.sketch;
    out->params.bands = st.params.bands;
    out->params.rows = st.params.rows;
    out->params.seed = st.params.seed;
    memcpy(out->created_by, st.created_by, sizeof out->created_by);
    return WD_OK;
}

int wd_archive_verify(wd_archive *a)
{
    return a ? wd_store_verify(a->s) : WD_E_INVALID;
}

int wd_archive_export(wd_archive *a, int jsonl, wd_write_fn write, void *ctx)
{
    if (!a || !write) return WD_E_INVALID;
    return wd_store_export(a->s, jsonl ? WD_STORE_EXPORT_JSONL : WD_STORE_EXPORT_TSV, write, ctx);
}
