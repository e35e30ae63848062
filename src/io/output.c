/* output.c - buffered output with EPIPE handling (see output.h). */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define OUT_BUFSZ (1 << 20)

int wd_out_open(wd_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    o->name = path;
    o->is_stdout = !strcmp(path, "-");
    o->f = o->is_stdout ? stdout : fopen(path, "w");
    if (!o->f) return -1;
    setvbuf(o->f, NULL, _IOFBF, OUT_BUFSZ);
    return 0;
}

static void check(wd_out *o)
{
    if (!ferror(o->f)) return;
    if (errno == EPIPE) o->pipe_closed = 1;
    else if (!o->err) o->err = errno ? errno : EIO;
}

void wd_out_write(wd_out *o, const void *p, size_t n)
{
    if (!o->f || o->pipe_closed || o->err) return;
    if (fwrite(p, 1, n, o->f) != n) check(o);
}

void wd_out_printf(wd_out *o, const char *fmt, ...)
{
    if (!o->f || o->pipe_closed || o->err) return;
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(o->f, fmt, ap) < 0) check(o);
    va_end(ap);
}

void wd_out_flush(wd_out *o)
{
    if (!o->f || o->pipe_closed || o->err) return;
    if (fflush(o->f)) check(o);
}

int wd_out_closed_pipe(const wd_out *o)
{
    return o->pipe_closed;
}

int wd_out_close(wd_out *o)
{
    if (!o->f) return 0;
    if (!o->pipe_closed && !o->err && fflush(o->f)) check(o);
    if (!o->is_stdout && fclose(o->f) && !o->err && !o->pipe_closed) o->err = errno;
    o->f = NULL;
    return o->err;
}
