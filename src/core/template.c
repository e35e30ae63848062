/* template.c - counting template shingles and dropping them (see template.h). */
#include "template.h"

#define JUDYERROR_NOTEST 1 /* report Judy's errors as return codes, never exit */
#include <Judy.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

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
    wd_docfreq_free(&t->counts);
    free(t->set);
    memset(t, 0, sizeof *t);
}

int wd_tmpl_learn_begin(wd_tmpl *t)
{
    if (t->mode == WD_TMPL_STREAM) { /* nothing streamed yet: the sketches go */
        free_local(t);
        wd_docfreq_free(&t->counts);
        wd_docfreq_init_exact(&t->counts);
        t->counts.min_docs = WD_TEMPLATE_MIN_DOCS;
        t->mode = WD_TMPL_LEARNED;
    }
    if (t->local) return WD_OK;
    t->local = calloc(t->nthreads, sizeof *t->local);
    if (!t->local) return WD_E_NOMEM;
    for (unsigned i = 0; i < t->nthreads; i++) wd_docfreq_init_exact(&t->local[i]);
    return WD_OK;
}

int wd_tmpl_learn_end(wd_tmpl *t)
{
    int rc = WD_OK;
    for (unsigned i = 0; i < t->nthreads && !rc; i++) {
        if (t->local[i].docs == 0) continue;
        if (t->counts.docs == 0) { /* the first one is taken over, not copied */
            wd_docfreq tmp = t->counts;
            t->counts = t->local[i];
            t->local[i] = tmp;
            t->counts.min_docs = WD_TEMPLATE_MIN_DOCS;
        } else {
            rc = wd_docfreq_merge(&t->counts, &t->local[i]);
        }
    }
    free_local(t);
    return rc;
}

static inline uint64_t slot_of(const wd_tmpl *t, uint64_t h)
{
    return (h * 0x9e3779b97f4a7c15ULL >> 17) & t->set_mask;
}

int wd_tmpl_freeze(wd_tmpl *t)
{
    if (t->mode != WD_TMPL_LEARNED || t->frozen) return WD_OK;
    const uint64_t th = wd_docfreq_threshold(&t->counts, t->share);
    size_t n = 0;
    Word_t h = 0;
    PWord_t pv;
    JLF(pv, t->counts.judy, h);
    while (pv && pv != PJERR) {
        n += *pv >= th;
        JLN(pv, t->counts.judy, h);
    }
    uint64_t slots = 16;
    while (slots < 2 * (uint64_t)n) slots <<= 1;
    t->set = calloc(slots, sizeof *t->set);
    if (!t->set) return WD_E_NOMEM;
    t->set_mask = slots - 1;
    h = 0;
    JLF(pv, t->counts.judy, h);
    while (pv && pv != PJERR) {
        if (*pv >= th) {
            t->ncommon++;
            if (h == 0) {
                t->set_zero = 1;
            } else {
                uint64_t i = slot_of(t, h);
                while (t->set[i]) i = (i + 1) & t->set_mask;
                t->set[i] = h;
            }
        }
        JLN(pv, t->counts.judy, h);
    }
    wd_docfreq_free(&t->counts); /* the set is all the filter needs */
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
        for (size_t i = 0; i < n; i++)
            if (wd_docfreq_estimate(&t->counts, h[i]) < t->threshold) h[k++] = h[i];
    } else {
        return n;
    }
    return k;
}
