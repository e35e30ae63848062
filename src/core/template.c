/* template.c - counting template shingles and dropping them (see template.h). */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

static void free_learning(wd_tmpl *t);

static void free_local(wd_tmpl *t)
{
    if (!t->local) return;
    for (unsigned i = 0; i < t->nthreads; i++) wd_docfreq_free(&t->local[i]);
    free(t->local);
    t->local = NULL;
}

/* Per-thread pending sketches and the frozen one, all empty. */
static int stream_init(wd_tmpl *t)
{
    t->local = calloc(t->nthreads, sizeof *t->local);
    if (!t->local) return WD_E_NOMEM;
    int rc = wd_docfreq_init_sketch(&t->counts, WD_TMPL_WIDTH, WD_TMPL_DEPTH, t->seed);
    for (unsigned i = 0; !rc && i < t->nthreads; i++) {
        rc = wd_docfreq_init_sketch(&t->local[i], WD_TMPL_WIDTH, WD_TMPL_DEPTH, t->seed);
        t->local[i].plain = 1;
    }
    t->counts.plain = 1;
    t->counts.min_docs = WD_TEMPLATE_MIN_DOCS;
    t->epoch_end = wd_tmpl_epoch_after(0);
    t->threshold = UINT64_MAX; /* no counts yet: nothing is common */
    return rc;
}

int wd_tmpl_init(wd_tmpl *t, double share, unsigned nthreads, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->share = share;
    t->nthreads = nthreads ? nthreads : 1;
    t->seed = seed;
    if (share <= 0) return WD_OK;
    t->mode = WD_TMPL_STREAM;
    int rc = stream_init(t);
    if (rc) wd_tmpl_free(t);
    return rc;
}

void wd_tmpl_free(wd_tmpl *t)
{
    free_local(t);
    free_learning(t);
    wd_docfreq_free(&t->counts);
    wd_runcount_free(&t->learned);
    free(t->set);
    memset(t, 0, sizeof *t);
}

int wd_tmpl_learn_begin(wd_tmpl *t)
{
    if (t->mode == WD_TMPL_STREAM) { /* nothing streamed yet: the sketches go */
        free_local(t);
        wd_docfreq_free(&t->counts);
        wd_runcount_init(&t->learned);
        t->mode = WD_TMPL_LEARNED;
    }
    if (t->learning) return WD_OK;
    t->learning = calloc(t->nthreads, sizeof *t->learning);
    return t->learning ? WD_OK : WD_E_NOMEM;
}

int wd_tmpl_learn_add(wd_tmpl *t, unsigned thread, const uint64_t *h, size_t n)
{
    return wd_runcount_add(&t->learning[thread], h, n);
}

static void free_learning(wd_tmpl *t)
{
    if (!t->learning) return;
    for (unsigned i = 0; i < t->nthreads; i++) wd_runcount_free(&t->learning[i]);
    free(t->learning);
    t->learning = NULL;
}

int wd_tmpl_learn_end(wd_tmpl *t, size_t n)
{
    int rc = WD_OK;
    for (unsigned i = 0; i < t->nthreads && !rc; i++)
        rc = wd_runcount_merge(&t->learned, &t->learning[i]);
    free_learning(t);
    t->learned_docs += n;
    return rc;
}

static inline uint64_t slot_of(const wd_tmpl *t, uint64_t h)
{
    return (h * 0x9e3779b97f4a7c15ULL >> 17) & t->set_mask;
}

int wd_tmpl_freeze(wd_tmpl *t)
{
    if (t->mode != WD_TMPL_LEARNED || t->frozen) return WD_OK;
    const wd_run *r = wd_runcount_finish(&t->learned);
    if (!r) return WD_E_NOMEM;
    wd_docfreq th_of = { .docs = t->learned_docs, .min_docs = WD_TEMPLATE_MIN_DOCS };
    const uint64_t th = wd_docfreq_threshold(&th_of, t->share);
    size_t n = 0;
    for (size_t i = 0; i < r->len; i++) n += r->count[i] >= th;
    uint64_t slots = 16;
    while (slots < 2 * (uint64_t)n) slots <<= 1;
    t->set = calloc(slots, sizeof *t->set);
    if (!t->set) return WD_E_NOMEM;
    t->set_mask = slots - 1;
    for (size_t i = 0; i < r->len; i++) {
        if (r->count[i] < th) continue;
        uint64_t h = r->key[i];
        t->ncommon++;
        if (h == 0) {
            t->set_zero = 1;
            continue;
        }
        uint64_t k = slot_of(t, h);
        while (t->set[k]) k = (k + 1) & t->set_mask;
        t->set[k] = h;
    }
    wd_runcount_free(&t->learned); /* the set is all the filter needs */
    t->frozen = 1;
    return WD_OK;
}

uint64_t wd_tmpl_epoch_after(uint64_t d)
{
    if (d >= WD_TEMPLATE_EPOCH) return (d / WD_TEMPLATE_EPOCH + 1) * WD_TEMPLATE_EPOCH;
    uint64_t b = WD_TMPL_FIRST_EPOCH;
    while (b <= d) b <<= 1;
    return b;
}

int wd_tmpl_next_epoch(wd_tmpl *t, uint64_t next_doc)
{
    const size_t cells = (size_t)WD_TMPL_WIDTH * WD_TMPL_DEPTH;
    for (unsigned i = 0; i < t->nthreads; i++) {
        wd_docfreq *l = &t->local[i];
        if (l->docs == 0) continue;
        int rc = wd_docfreq_merge(&t->counts, l); /* same shape: cannot fail */
        if (rc) return rc;
        memset(l->cells, 0, cells * sizeof *l->cells);
        l->docs = l->total = 0;
    }
    t->threshold = t->counts.docs ? wd_docfreq_threshold(&t->counts, t->share) : UINT64_MAX;
    t->epoch_end = wd_tmpl_epoch_after(next_doc);
    return WD_OK;
}

wd_docfreq *wd_tmpl_counter(const wd_tmpl *t, unsigned thread)
{
    return t->mode == WD_TMPL_STREAM ? &t->local[thread] : NULL;
}

static inline int in_set(const wd_tmpl *t, uint64_t h)
{
    if (h == 0) return t->set_zero;
    for (uint64_t i = slot_of(t, h);; i = (i + 1) & t->set_mask) {
        if (t->set[i] == h) return 1;
        if (!t->set[i]) return 0;
    }
}

size_t wd_tmpl_filter(const wd_tmpl *t, uint64_t *h, size_t n)
{
    size_t k = 0;
    if (t->mode == WD_TMPL_LEARNED) {
        if (!t->ncommon) return n;
        for (size_t i = 0; i < n; i++)
            if (!in_set(t, h[i])) h[k++] = h[i];
    } else if (t->mode == WD_TMPL_STREAM) {
        if (t->threshold == UINT64_MAX) return n;
        k = wd_docfreq_filter(&t->counts, t->share, h, n, h); /* t->threshold's rule */
    } else {
        return n;
    }
    return k;
}
