/*
 * output.h - buffered output files with the error rules of the CLI.
 *
 * "-" is stdout. A regular file (or a new one) is written to a temporary
 * file beside it and renamed over it by wd_out_close(), so a failed run
 * (wd_out_discard()) leaves an existing file as it was and creates none;
 * anything else (a device such as /dev/null, a FIFO) is written directly.
 * A closed pipe (EPIPE, as with `| head`) is not an error:
 * the writer goes quiet and wd_out_closed_pipe() says so, so the program
 * can stop early and exit 0. Any other write failure is latched and
 * reported by wd_out_close().
 */
#ifndef WD_IO_OUTPUT_H
#define WD_IO_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

typedef struct wd_out {
    FILE *f;            /* NULL when not open */
    const char *name;   /* path, or "-" */
    int is_stdout;      /* 1 for "-" */
    int err;            /* first errno of a failed write, 0 if none */
    int pipe_closed;    /* reader went away (EPIPE) */
    char *tmp;          /* temporary file renamed to name on close, or NULL */
} wd_out;

/* Opens path for writing ("-" = stdout). atomic: a regular file goes through
 * a temporary file as described above; 0: written in place as it comes (a
 * streaming filter). 0, or -1 with errno set. */
int wd_out_open(wd_out *o, const char *path, int atomic);

void wd_out_write(wd_out *o, const void *p, size_t n);
void wd_out_printf(wd_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Pushes buffered bytes out now (a filter does this after each batch so a
 * slow input is answered at once). */
void wd_out_flush(wd_out *o);

/* 1 once a write has met a closed pipe. */
int wd_out_closed_pipe(const wd_out *o);

/* After a failed run: closes and removes the temporary file, so the target
 * stays as it was (never touches a device such as /dev/null or a FIFO). */
void wd_out_discard(wd_out *o);

/* Flushes and closes (stdout is flushed, not closed). 0, or the errno of the
 * first failure other than EPIPE. Safe on a never-opened writer. */
int wd_out_close(wd_out *o);

#endif
