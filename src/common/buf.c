/* buf.c - growable arrays (see buf.h). Growth is geometric (x1.5 + slack). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

static int grow(void **data, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap) return WD_OK;
    size_t n = *cap + *cap / 2 + 64;
    if (n < want) n = want;
    if (n > SIZE_MAX / elem) return WD_E_NOMEM;
    void *p = realloc(*data, n * elem);
    if (!p) return WD_E_NOMEM;
    *data = p;
    *cap = n;
    return WD_OK;
}

int wd_buf_reserve(wd_buf *b, size_t cap)
{
    return grow((void **)&b->data, &b->cap, cap, 1);
}

int wd_u64s_reserve(wd_u64s *v, size_t cap)
{
    return grow((void **)&v->data, &v->cap, cap, sizeof *v->data);
}

int wd_buf_append(wd_buf *b, const void *s, size_t n, size_t *off)
{
    if (n > SIZE_MAX - b->len - 1 || wd_buf_reserve(b, b->len + n + 1)) return WD_E_NOMEM;
    if (n) memcpy(b->data + b->len, s, n);
    *off = b->len;
    b->len += n;
    return WD_OK;
}

void wd_buf_free(wd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void wd_u64s_free(wd_u64s *v)
{
    free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}
