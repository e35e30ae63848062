/*
 * records.c - record splitting and format detection (see records.h).
 *
 * Splitting is one memchr per record: glibc's memchr scans 32 or 64 bytes per
 * step, so a record costs a call plus a pass over its bytes, and a single
 * 100 MB line is found as fast as many short ones. The caller keeps the
 * cursor (*pos); nothing here allocates or keeps state.
 */
#include "records.h"

#include <string.h>

/* JSON white space: what may precede the '{' of a JSONL input. */
static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

wd_format wd_format_detect(const char *data, size_t len, wd_format asked)
{
    if (asked != WD_FMT_AUTO) return asked;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (!is_blank(c)) return c == '{' ? WD_FMT_JSONL : WD_FMT_LINES;
    }
    return WD_FMT_LINES; /* empty or all blank: no JSON to speak of */
}

/*
 * LINES and JSONL end a record at "\n" and drop one "\r" before it; NUL ends
 * it at a 0 byte. AUTO is split as LINES (detection only decides how records
 * are read, not where they end). The last record needs no terminator, and a
 * terminator at the very end does not start another (empty) record.
 */
int wd_record_next(const char *data, size_t len, wd_format fmt, size_t *pos,
                   wd_span *rec)
{
    size_t start = *pos;
    if (start >= len) return 0;

    int sep = fmt == WD_FMT_NUL ? '\0' : '\n';
    const char *p = memchr(data + start, sep, len - start);
    size_t end = p ? (size_t)(p - data) : len;

    *pos = p ? end + 1 : len;
    rec->off = start;
    rec->len = end - start;
    if (p && sep == '\n' && rec->len > 0 && data[end - 1] == '\r') rec->len--;
    return 1;
}
