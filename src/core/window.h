/*
 * window.h - the leaders of a windowed index, oldest first: a ring of
 * entries numbered by a running sequence number (the n-th leader ever added
 * is entry n, in slot n mod capacity).
 *
 * A windowed index stores entry numbers, not document numbers, in the exact
 * set and the LSH buckets (or Hamming tables). Entries are added in document
 * order, so sorting candidates by entry sorts them by document, and an
 * entry's signature, shingle count and exact hash stay here, in its slot,
 * until it leaves: the per-document arrays of an unbounded index are not
 * needed. The ring grows (doubling) only when full, so its size follows the
 * largest window seen.
 */
#ifndef WD_CORE_WINDOW_H
#define WD_CORE_WINDOW_H

#include <stdint.h>

typedef struct wd_window {
    uint64_t max;       /* most entries held (params.window); 0: no count limit */
    int64_t span;       /* params.window_seconds; 0: no time limit */
    int64_t newest;     /* largest document time seen; INT64_MIN before any */
    unsigned sigw;      /* signature words per entry */
    uint64_t head;      /* oldest entry held */
    uint64_t tail;      /* next entry number: head..tail-1 are held */
    uint64_t cap;       /* slots, a power of two (0 before the first push) */
    uint64_t *doc;      /* per slot: the document */
    int64_t *time;      /* per slot: its time */
    unsigned *nsh;      /* per slot: its distinct shingles */
    uint32_t *sig;      /* per slot: sigw signature words */
    uint8_t *hash;      /* per slot: 16 bytes of exact hash */
} wd_window;

void wd_window_init(wd_window *w, uint64_t max, uint64_t span, unsigned sigw);
void wd_window_free(wd_window *w);

/* Appends an entry; *entry (OUT) receives its number. WD_OK or WD_E_NOMEM. */
int wd_window_push(wd_window *w, uint64_t doc, int64_t time, unsigned nsh,
                   const uint32_t *sig, const uint8_t hash[16], uint64_t *entry);

/* Notes a document's time (newest = max(newest, t)). */
void wd_window_see(wd_window *w, int64_t t);

/* 1 when the oldest entry must leave: more than max held, or older than
 * newest - span (see wiredup.h, "Windows"). */
int wd_window_expired(const wd_window *w);

static inline uint64_t wd_window_slot(const wd_window *w, uint64_t e)
{
    return e & (w->cap - 1);
}

static inline uint64_t wd_window_len(const wd_window *w)
{
    return w->tail - w->head;
}

#endif
