/* output.c - buffered output with EPIPE handling (see output.h). */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_BUFSZ (1 << 20)

/* The process umask (reading it means setting it; put it back at once). */
static mode_t current_umask(void)
{
    mode_t m = umask(022);
    umask(m);
    return m;
}

int wd_out_open(wd_out *o, const char *path, int atomic)
{
    memset(o, 0, sizeof *o);
    o->name = path;
    o->is_stdout = !strcmp(path, "-");
    struct stat st;
    if (o->is_stdout) {
        o->f = stdout;
    } else if (!atomic || (stat(path, &st) == 0 && !S_ISREG(st.st_mode))) {
        o->f = fopen(path, "w");             /* /dev/null, a FIFO, a terminal */
    } else {
        size_t n = strlen(path);
        o->tmp = malloc(n + 16);
        if (!o->tmp) return -1;
        memcpy(o->tmp, path, n);
        memcpy(o->tmp + n, ".wiredup-XXXXXX", 16);
        int fd = mkstemp(o->tmp);
        if (fd < 0) {
            int e = errno;
            free(o->tmp);
            o->tmp = NULL;
            errno = e;
            return -1;
        }
        if (stat(path, &st) == 0) fchmod(fd, st.st_mode & 07777); /* keep its mode */
        else fchmod(fd, 0666 & ~current_umask());
        o->f = fdopen(fd, "w");
        if (!o->f) {
            int e = errno;
            close(fd);
            unlink(o->tmp);
            free(o->tmp);
            o->tmp = NULL;
            errno = e;
        }
    }
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

void wd_out_discard(wd_out *o)
{
    if (!o->f) return;
    if (!o->is_stdout) fclose(o->f);
    o->f = NULL;
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
}

int wd_out_close(wd_out *o)
{
    if (!o->f) return 0;
    if (!o->pipe_closed && !o->err && fflush(o->f)) check(o);
    if (!o->is_stdout && fclose(o->f) && !o->err && !o->pipe_closed) o->err = errno;
    o->f = NULL;
    if (o->tmp) {   /* the run succeeded: the new file replaces the old at once */
        if (!o->err && rename(o->tmp, o->name) && !o->err) o->err = errno;
        if (o->err) unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
    }
    return o->err;
}
