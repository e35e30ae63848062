/*
 * buf.h - growable arrays for per-thread scratch space.
 *
 * Scratch buffers are reused across documents so the hot path does not call
 * malloc once it has warmed up: a reserve only reallocates when a document is
 * larger than any seen before on that thread.
 */
#ifndef WD_COMMON_BUF_H
#define WD_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_buf {
    char *data;   /* bytes; not NUL-terminated unless the writer says so */
    size_t len;   /* bytes in use */
    size_t cap;   /* bytes allocated */
} wd_buf;

typedef struct wd_u64s {
    uint64_t *data; /* values */
    size_t len;     /* values in use */
    size_t cap;     /* values allocated */
} wd_u64s;

/* Ensure room for at least cap elements. WD_OK or WD_E_NOMEM; on failure the
 * buffer is unchanged. */
int wd_buf_reserve(wd_buf *b, size_t cap);
int wd_u64s_reserve(wd_u64s *v, size_t cap);

/* Appends s[0..n) to b and sets *off to where it starts. WD_OK or
 * WD_E_NOMEM (b unchanged). A byte of room stays after the data. */
int wd_buf_append(wd_buf *b, const void *s, size_t n, size_t *off);

/* Release memory and reset to empty. */
void wd_buf_free(wd_buf *b);
void wd_u64s_free(wd_u64s *v);

#ifdef __cplusplus
}
#endif
#endif
