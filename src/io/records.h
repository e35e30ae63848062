/*
 * records.h - splitting an input into records and recognizing its format.
 *
 * Formats:
 *   LINES  one document per line; "\n" ends a record, a "\r" before it is
 *          dropped; a last line without "\n" is still a record.
 *   NUL    records end with a NUL byte ("-0"); a last record without one is
 *          still a record.
 *   JSONL  LINES whose records are JSON objects; text and id are fields.
 * AUTO picks JSONL when the first non-blank byte of the input is '{',
 * otherwise LINES (wd_record_next() splits AUTO as LINES). A lone "\r" at
 * the very end of the data, with no "\n" after it, is kept. An empty line in JSONL is a record too (an error record:
 * nothing is ever dropped silently).
 */
#ifndef WD_IO_RECORDS_H
#define WD_IO_RECORDS_H

#include <stddef.h>
#include <stdint.h>

typedef enum wd_format {
    WD_FMT_AUTO = 0,
    WD_FMT_LINES,
    WD_FMT_JSONL,
    WD_FMT_NUL
} wd_format;

/* A record's location in its input, without its terminator. */
typedef struct wd_span {
    size_t off;     /* byte offset in the input */
    size_t len;     /* bytes, terminator (and a CR before a LF) excluded */
} wd_span;

/* AUTO -> LINES or JSONL by the rule above; other values are returned as is. */
wd_format wd_format_detect(const char *data, size_t len, wd_format asked);

/* Finds the next record starting at *pos (advanced past its terminator).
 * Returns 1 and fills *rec, or 0 at the end of the data. */
int wd_record_next(const char *data, size_t len, wd_format fmt, size_t *pos,
                   wd_span *rec);

#endif
