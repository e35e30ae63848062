/*
 * input.h - whole inputs in memory: files are mapped, stdin is read.
 *
 * dedup needs every record until clustering ends (the kept record is written
 * unchanged), so an input is held whole: a regular file by mmap (read-only,
 * no copy), anything else (stdin, a pipe, a FIFO) by reading into a growing
 * buffer. The loaded data is followed by WD_INPUT_PADDING readable zero
 * bytes when it was read into memory; a mapping is readable up to its last
 * page. `readable` says how far reading is safe (a parser needing padding
 * copies a record that ends too close to it). An empty input has data NULL
 * and readable 0. `name` is the caller's pointer, not a copy.
 */
#ifndef WD_IO_INPUT_H
#define WD_IO_INPUT_H

#include <stddef.h>

#define WD_INPUT_PADDING 64

typedef struct wd_input {
    const char *name;   /* as given; "-" is shown as "<stdin>" */
    const char *data;   /* the bytes (may be NULL when len == 0) */
    size_t len;         /* number of bytes */
    size_t readable;    /* bytes readable from data (len + padding, or the mapping) */
    int mapped;         /* 1: data is an mmap, 0: malloc'd */
} wd_input;

/* Loads path ("-" = stdin). On failure returns -1 and writes a message
 * (e.g. "No such file or directory") to err. */
int wd_input_load(const char *path, wd_input *in, char *err, size_t errlen);

/* Releases the data; safe on a zeroed or already closed input. */
void wd_input_close(wd_input *in);

/* The name to print in messages: "<stdin>" for "-". */
const char *wd_input_display(const wd_input *in);

#endif
