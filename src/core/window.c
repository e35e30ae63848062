/* window.c - the leaders of a windowed index (see window.h). */
#include "window.h"

#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

void wd_window_init(wd_window *w, uint64_t max, uint64_t span, unsigned sigw)
{
    memset(w, 0, sizeof *w);
    w->max = max;
    w->span = (int64_t)span;  /* <= INT64_MAX: wd_params_check */
    w->newest = INT64_MIN;
    w->sigw = sigw;
}

void wd_window_free(wd_window *w)
{
    free(w->doc);
    free(w->time);
    free(w->nsh);
    free(w->sig);
    free(w->hash);
    memset(w, 0, sizeof *w);
}

/* Moves the held entries into rings of twice the slots: an entry's slot
 * depends on the capacity, so each is copied to its new place. */
static int grow(wd_window *w)
{
    uint64_t cap = w->cap ? w->cap * 2 : 64;
    const size_t W = w->sigw;
    if (cap > SIZE_MAX / (W * sizeof *w->sig)) return WD_E_NOMEM;
    uint64_t *doc = malloc(cap * sizeof *doc);
    int64_t *time = malloc(cap * sizeof *time);
    unsigned *nsh = malloc(cap * sizeof *nsh);
    uint32_t *sig = malloc(cap * W * sizeof *sig);
    uint8_t *hash = malloc(cap * 16);
    if (!doc || !time || !nsh || !sig || !hash) {
        free(doc);
        free(time);
        free(nsh);
        free(sig);
        free(hash);
        return WD_E_NOMEM;
    }
    for (uint64_t e = w->head; e < w->tail; e++) {
        uint64_t o = e & (w->cap - 1), n = e & (cap - 1);
        doc[n] = w->doc[o];
        time[n] = w->time[o];
        nsh[n] = w->nsh[o];
        memcpy(sig + n * W, w->sig + o * W, W * sizeof *sig);
        memcpy(hash + n * 16, w->hash + o * 16, 16);
    }
    free(w->doc);
    free(w->time);
    free(w->nsh);
    free(w->sig);
    free(w->hash);
    w->doc = doc;
    w->time = time;
    w->nsh = nsh;
    w->sig = sig;
    w->hash = hash;
    w->cap = cap;
    return WD_OK;
}

int wd_window_push(wd_window *w, uint64_t doc, int64_t time, unsigned nsh,
                   const uint32_t *sig, const uint8_t hash[16], uint64_t *entry)
{
    if (wd_window_len(w) == w->cap && grow(w)) return WD_E_NOMEM;
    uint64_t s = wd_window_slot(w, w->tail);
    w->doc[s] = doc;
    w->time[s] = time;
    w->nsh[s] = nsh;
    memcpy(w->sig + s * w->sigw, sig, w->sigw * sizeof *sig);
    memcpy(w->hash + s * 16, hash, 16);
    *entry = w->tail++;
    return WD_OK;
}

void wd_window_see(wd_window *w, int64_t t)
{
    if (t > w->newest) w->newest = t;
}

int wd_window_expired(const wd_window *w)
{
    if (w->head == w->tail) return 0;
    if (w->max && wd_window_len(w) > w->max) return 1;
    if (!w->span || w->newest == INT64_MIN) return 0;
    /* newest - span without overflow: below INT64_MIN + span nothing is old */
    if (w->newest < INT64_MIN + w->span) return 0;
    return w->time[wd_window_slot(w, w->head)] < w->newest - w->span;
}
