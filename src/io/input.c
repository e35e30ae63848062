/*
 * input.c - whole inputs in memory (see input.h).
 *
 *   regular file, size > 0 --open/fstat/mmap--> data = the mapping (no copy)
 *   "-", pipe, FIFO, tty, char device, size-0 file --read()--> malloc buffer
 *                                          + WD_INPUT_PADDING zero bytes
 *
 * A mapping ends at a page boundary; the bytes between the end of the file
 * and the end of its last page read as zeros, so `readable` is len rounded up
 * to the page size. Nothing past that is mapped: when len is a multiple of
 * the page size, readable == len and a parser needing padding must copy the
 * last record (wd_json_extract does).
 *
 * A regular file whose size is 0 is read rather than mapped: it is usually
 * empty, but some (/proc, /sys) report 0 and have content. The file must not
 * be truncated while it is mapped (touching a page past the new end raises
 * SIGBUS); that is the usual contract of mmap-based tools.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* First read buffer, and the largest single read() asked for. */
#define READ_FIRST (1u << 16)
#define READ_STEP (1u << 24)

static void set_err(char *err, size_t errlen, int errnum)
{
    if (!err || errlen == 0) return;
    snprintf(err, errlen, "%s", strerror(errnum));
}

static size_t page_size(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    return ps > 0 ? (size_t)ps : 4096;
}

/* Bytes of the mapping of a len-byte file: len rounded up to a page. */
static size_t mapped_bytes(size_t len)
{
    size_t ps = page_size();
    return (len + ps - 1) / ps * ps;
}

/*
 * Reads fd to its end into a malloc'd buffer that always has room for
 * WD_INPUT_PADDING bytes after the data; those are zeroed. Grows by doubling
 * (realloc of a large block is a cheap mremap), starting from the size fstat
 * reported when it gave one. Returns 0 or an errno value.
 */
static int read_all(int fd, size_t hint, wd_input *in)
{
    size_t cap = hint > 0 ? hint + 1 /* +1: EOF is seen without a regrow */
                          : READ_FIRST;
    size_t len = 0;
    char *buf = malloc(cap + WD_INPUT_PADDING);
    if (!buf) return ENOMEM;

    for (;;) {
        if (len == cap) {
            if (cap > (SIZE_MAX - WD_INPUT_PADDING) / 2) {
                free(buf);
                return ENOMEM;
            }
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap + WD_INPUT_PADDING);
            if (!nb) {
                free(buf);
                return ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - len;
        if (want > READ_STEP) want = READ_STEP;
        ssize_t got = read(fd, buf + len, want);
        if (got < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            return e;
        }
        if (got == 0) break;
        len += (size_t)got;
    }

    if (len == 0) {
        free(buf);
        return 0; /* data stays NULL: nothing to pad */
    }
    /* Give back a large unused tail (doubling can leave up to half). */
    if (cap - len > len / 4 && cap - len > READ_FIRST) {
        char *nb = realloc(buf, len + WD_INPUT_PADDING);
        if (nb) buf = nb;
    }
    memset(buf + len, 0, WD_INPUT_PADDING);
    in->data = buf;
    in->len = len;
    in->readable = len + WD_INPUT_PADDING;
    in->mapped = 0;
    return 0;
}

static int map_file(int fd, size_t len, wd_input *in)
{
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return errno;
    /* Advice only: a failure changes nothing. */
    (void)madvise(p, len, MADV_SEQUENTIAL);
    in->data = p;
    in->len = len;
    in->readable = mapped_bytes(len);
    in->mapped = 1;
    return 0;
}

int wd_input_load(const char *path, wd_input *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    in->name = path;
    if (!path) {
        set_err(err, errlen, EINVAL);
        return -1;
    }

    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, errno);
        return -1;
    }

    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = errno;
    } else if (S_ISDIR(st.st_mode)) {
        rc = EISDIR;
    } else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > SIZE_MAX / 2) {
        rc = EFBIG;
    } else if (!is_stdin && S_ISREG(st.st_mode) && st.st_size > 0) {
        rc = map_file(fd, (size_t)st.st_size, in);
    } else {
        /* stdin redirected from a file: size the buffer from what is left */
        size_t hint = 0;
        if (S_ISREG(st.st_mode)) {
            off_t at = lseek(fd, 0, SEEK_CUR);
            if (at >= 0 && at < st.st_size) hint = (size_t)(st.st_size - at);
        }
        rc = read_all(fd, hint, in);
    }

    if (!is_stdin) close(fd); /* a mapping outlives its descriptor */
    if (rc != 0) {
        memset(in, 0, sizeof *in);
        in->name = path;
        set_err(err, errlen, rc);
        return -1;
    }
    return 0;
}

void wd_input_close(wd_input *in)
{
    if (!in) return;
    if (in->data) {
        if (in->mapped)
            munmap((void *)in->data, mapped_bytes(in->len));
        else
            free((void *)in->data);
    }
    in->data = NULL;
    in->len = 0;
    in->readable = 0;
    in->mapped = 0;
}

const char *wd_input_display(const wd_input *in)
{
    if (!in || !in->name) return "<input>";
    return strcmp(in->name, "-") == 0 ? "<stdin>" : in->name;
}
