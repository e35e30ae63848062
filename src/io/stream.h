/*
 * stream.h - records from a file descriptor as soon as they are complete,
 * for filters in a live pipeline (`tail -f log.jsonl | wiredup uniq`).
 *
 * wd_input (input.h) holds a whole input; a stream holds only what has
 * arrived and is not yet released. Each wd_stream_next() returns the next
 * complete record if one is buffered; otherwise it calls read() once for
 * whatever the descriptor has -- a pipe returns as soon as anything is
 * there -- and looks again. It blocks only when no complete record is
 * buffered (and with wait == 0 not even then), so a record is handed over
 * the moment its terminator arrives, however slowly the input trickles.
 *
 * Records follow records.h exactly (the splitting is wd_record_next() on
 * the buffered bytes, the format choice wd_format_detect()): "\n" ends a
 * LINES or JSONL record and a "\r" before it is dropped, NUL ends a NUL
 * record, and a last record without a terminator is returned at end of
 * input. With WD_FMT_AUTO the format is decided by the first non-blank byte
 * of the input, so nothing is returned before that byte (or the end) has
 * arrived; leading blank lines are held back until then (with a record
 * limit set, at most that many bytes of them: then the input counts as
 * all-blank so far, which is LINES).
 *
 * Memory: records stay valid, at the same address, until
 * wd_stream_release(). Until then the stream never moves them: when the
 * buffer is full it continues in a new one and frees the old at release.
 * Callers that handle one record at a time release after each; callers that
 * batch (`uniq` parses and sketches a batch in parallel) release after the
 * batch. The buffer grows to the longest record (doubling); a limit can be
 * set. Every record is followed by at least WD_INPUT_PADDING readable bytes
 * (for wd_json_extract() without a copy).
 */
#ifndef WD_IO_STREAM_H
#define WD_IO_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "records.h"

typedef struct wd_stream wd_stream;

/* One record, valid until wd_stream_release(). */
typedef struct wd_stream_rec {
    const char *data;   /* the bytes, terminator (and a CR before a LF) excluded */
    size_t len;         /* bytes in data */
    size_t readable;    /* bytes readable from data, >= len + WD_INPUT_PADDING */
    uint64_t num;       /* 1-based record number: the line number for LINES and JSONL */
    uint64_t off;       /* byte offset of the record in the stream */
} wd_stream_rec;

/* What wd_stream_next() returns. */
enum {
    WD_STREAM_ERROR = -1,  /* read failed or a record is too long: wd_stream_error() */
    WD_STREAM_EOF = 0,     /* no more records */
    WD_STREAM_RECORD = 1,  /* *rec is the next record */
    WD_STREAM_AGAIN = 2    /* wait == 0 and no complete record is available now */
};

/* A stream over fd (not closed by the stream) in format fmt (AUTO allowed).
 * NULL when out of memory. */
wd_stream *wd_stream_open(int fd, wd_format fmt);

/* Frees the stream and its buffers (records become invalid). NULL allowed. */
void wd_stream_close(wd_stream *s);

/* Largest record accepted, in bytes (0 = no limit, the default); a longer
 * one makes wd_stream_next() fail. */
void wd_stream_set_limit(wd_stream *s, size_t max_record);

/*
 * The next record. wait != 0: blocks until a record is complete or the
 * input ends. wait == 0: returns WD_STREAM_AGAIN instead of blocking (it
 * still reads what is available without blocking, also from a descriptor
 * in O_NONBLOCK mode). After an error or EOF further calls return the same.
 */
int wd_stream_next(wd_stream *s, wd_stream_rec *rec /* OUT */, int wait);

/* The caller is done with every record returned so far. */
void wd_stream_release(wd_stream *s);

/* The format records are split and parsed by: fmt as opened, or for AUTO
 * the detected one (WD_FMT_AUTO until the first record or EOF). */
wd_format wd_stream_format(const wd_stream *s);

/* After WD_STREAM_ERROR: a message such as "Input/output error" or
 * "record longer than 1048576 bytes" (static or in the stream); "" before. */
const char *wd_stream_error(const wd_stream *s);

#endif
