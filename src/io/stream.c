/*
 * stream.c - records from a descriptor as they complete (see stream.h).
 *
 *   buf:  [ released ... | held records | pending bytes | free ... ]pad
 *         0              ^first held    ^start  ^scan  ^len        ^cap
 *
 * `start` is the first byte not yet returned; [start, scan) is known to
 * hold no terminator, so each byte is searched once even when a long
 * record arrives in many small reads. When room is needed and nothing is
 * held, pending bytes move to the front (or the buffer doubles); when
 * records are held, the pending bytes go to a fresh buffer and the old one
 * is kept until wd_stream_release().
 */
#include "stream.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIRST_CAP ((size_t)1 << 20) /* first buffer */
#define MIN_FREE ((size_t)1 << 16)  /* room offered to each read() */

struct wd_stream {
    int fd;
    wd_format fmt;          /* as opened, then as detected for AUTO */
    int decided;            /* fmt is final */
    char *buf;              /* cap + WD_INPUT_PADDING bytes */
    size_t cap, start, scan, len;
    uint64_t base;          /* stream offset of buf[0] */
    uint64_t num;           /* records returned */
    int holding;            /* buf holds records returned since the last release */
    char **retired;         /* older buffers holding records */
    size_t nretired, capretired;
    size_t limit;           /* longest record; 0 = none */
    int eof;                /* read() returned 0 */
    int state;              /* 0, or WD_STREAM_ERROR / WD_STREAM_EOF once final */
    char err[64];
};

wd_stream *wd_stream_open(int fd, wd_format fmt)
{
    wd_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->buf = malloc(FIRST_CAP + WD_INPUT_PADDING);
    if (!s->buf) {
        free(s);
        return NULL;
    }
    memset(s->buf + FIRST_CAP, 0, WD_INPUT_PADDING);
    s->cap = FIRST_CAP;
    s->fd = fd;
    s->fmt = fmt;
    s->decided = fmt != WD_FMT_AUTO;
    return s;
}

void wd_stream_release(wd_stream *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nretired; i++) free(s->retired[i]);
    s->nretired = 0;
    s->holding = 0;
}

void wd_stream_close(wd_stream *s)
{
    if (!s) return;
    wd_stream_release(s);
    free(s->retired);
    free(s->buf);
    free(s);
}

void wd_stream_set_limit(wd_stream *s, size_t max_record)
{
    s->limit = max_record;
}

wd_format wd_stream_format(const wd_stream *s)
{
    return s->decided ? s->fmt : WD_FMT_AUTO;
}

const char *wd_stream_error(const wd_stream *s)
{
    return s->err;
}

static int fail(wd_stream *s, const char *msg)
{
    snprintf(s->err, sizeof s->err, "%s", msg);
    s->state = WD_STREAM_ERROR;
    return WD_STREAM_ERROR;
}

static int too_long(wd_stream *s)
{
    snprintf(s->err, sizeof s->err, "record longer than %zu bytes", s->limit);
    s->state = WD_STREAM_ERROR;
    return WD_STREAM_ERROR;
}

/* Makes at least MIN_FREE bytes of room after len without moving held
 * records. 0 or -1 (out of memory). */
static int make_room(wd_stream *s)
{
    if (s->cap - s->len >= MIN_FREE) return 0;
    size_t pending = s->len - s->start;
    size_t need = pending + MIN_FREE;
    if (!s->holding && s->start > 0) {      /* slide the pending bytes down */
        memmove(s->buf, s->buf + s->start, pending);
        s->base += s->start;
        s->scan -= s->start;
        s->len = pending;
        s->start = 0;
        if (s->cap - s->len >= MIN_FREE) return 0;
    }
    size_t cap = s->cap;
    while (cap < need) cap *= 2;
    if (!s->holding) {
        char *nb = realloc(s->buf, cap + WD_INPUT_PADDING);
        if (!nb) return -1;
        memset(nb + cap, 0, WD_INPUT_PADDING);
        s->buf = nb;
        s->cap = cap;
        return 0;
    }
    /* Records are held in buf: continue in a new buffer, retire the old. */
    if (s->nretired == s->capretired) {
        size_t c = s->capretired ? s->capretired * 2 : 4;
        char **r = realloc(s->retired, c * sizeof *r);
        if (!r) return -1;
        s->retired = r;
        s->capretired = c;
    }
    char *nb = malloc(cap + WD_INPUT_PADDING);
    if (!nb) return -1;
    memset(nb + cap, 0, WD_INPUT_PADDING);
    memcpy(nb, s->buf + s->start, pending);
    s->retired[s->nretired++] = s->buf;
    s->buf = nb;
    s->cap = cap;
    s->base += s->start;
    s->scan -= s->start;
    s->len = pending;
    s->start = 0;
    s->holding = 0; /* the held records are in the retired buffer */
    return 0;
}

/* AUTO: decides the format once a non-blank byte or the end is there. */
static void decide(wd_stream *s)
{
    for (size_t i = s->scan; i < s->len; i++) {
        char c = s->buf[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            /* Nothing has been returned yet, so buf holds the input from
             * its first byte (or blanks only before start). */
            s->fmt = wd_format_detect(s->buf + s->start, s->len - s->start, WD_FMT_AUTO);
            s->decided = 1;
            return;
        }
    }
    s->scan = s->len; /* all blank so far */
    /* At the end, or (with a limit) after more blank bytes than a record
     * may hold: decided as an all-blank input is, LINES. */
    if (s->eof || (s->limit && s->len > s->limit)) {
        s->fmt = wd_format_detect(NULL, 0, WD_FMT_AUTO);
        s->decided = 1;
    }
}

/* Hands out the record wd_record_next() finds at start within [0, end). */
static int emit(wd_stream *s, size_t end, wd_stream_rec *rec)
{
    size_t pos = s->start;
    wd_span sp;
    wd_record_next(s->buf, end, s->fmt, &pos, &sp);
    if (s->limit && sp.len > s->limit) return too_long(s);
    rec->data = s->buf + sp.off;
    rec->len = sp.len;
    rec->readable = s->cap + WD_INPUT_PADDING - sp.off;
    rec->num = ++s->num;
    rec->off = s->base + sp.off;
    s->start = s->scan = pos;
    s->holding = 1;
    return WD_STREAM_RECORD;
}

int wd_stream_next(wd_stream *s, wd_stream_rec *rec, int wait)
{
    if (s->state) return s->state;
    for (;;) {
        if (!s->decided) {
            decide(s);
            if (s->decided) s->scan = s->start;
        }
        if (s->decided) {
            const int sep = s->fmt == WD_FMT_NUL ? '\0' : '\n';
            const char *p = memchr(s->buf + s->scan, sep, s->len - s->scan);
            if (p) return emit(s, (size_t)(p - s->buf) + 1, rec);
            s->scan = s->len;
            if (s->eof) {
                if (s->start < s->len) return emit(s, s->len, rec);
                s->state = WD_STREAM_EOF;
                return WD_STREAM_EOF;
            }
            if (s->limit && s->len - s->start > s->limit + 1) return too_long(s);
        }

        /* No complete record: read what is there. */
        if (!wait) {
            struct pollfd pf = { s->fd, POLLIN, 0 };
            int r = poll(&pf, 1, 0);
            if (r == 0) return WD_STREAM_AGAIN;
            if (r < 0 && errno == EINTR) return WD_STREAM_AGAIN;
            /* r < 0 (e.g. a descriptor poll does not support): read decides */
        }
        if (make_room(s)) return fail(s, "out of memory");
        ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!wait) return WD_STREAM_AGAIN;
                struct pollfd pf = { s->fd, POLLIN, 0 };
                if (poll(&pf, 1, -1) < 0 && errno != EINTR) return fail(s, strerror(errno));
                continue;
            }
            return fail(s, strerror(errno));
        }
        if (got == 0) s->eof = 1;
        s->len += (size_t)got;
    }
}
