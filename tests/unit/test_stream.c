/*
 * test_stream.c - the streaming record reader (src/io/stream.h).
 *
 *   - Trickle: a writer process sends a record stamped with the time it was
 *     written, then waits for the reader to acknowledge it on a second pipe
 *     before sleeping 100 ms and sending the next. The reader must hand the
 *     first record over before the second is written (the writer fails if
 *     no acknowledgement comes) and within 50 ms of its arrival. Also with
 *     JSONL detection behind leading blank lines, and with wait == 0.
 *   - Chunk boundaries: inputs in every format, cut at every byte position
 *     (and every pair of positions for the short ones, and one byte at a
 *     time) into separate writes that the reader drains in between, give
 *     exactly the records, numbers and offsets wd_record_next() finds in
 *     the whole input, whether the caller releases each record or holds all
 *     of them to the end.
 *   - A 20 MB record between short ones, written in uneven chunks by another
 *     process, with an earlier record held across the buffer growth.
 *   - The record-length limit, a descriptor in O_NONBLOCK mode, read errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/records.h"
#include "io/stream.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void sleep_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(90);
        c += w;
        n -= (size_t)w;
    }
}

/* ---- trickle -------------------------------------------------------------- */

/*
 * Writer: for each record, writes prefix + the current time + "\n" (or the
 * JSON form), then waits up to 2 s for one acknowledgement byte, then
 * sleeps 100 ms. Exits 1 when an acknowledgement did not come in time
 * (the reader waited for more input before handing the record over).
 */
static void trickle_writer(int out, int ack, int json, int nrec)
{
    if (json) write_all(out, "\n  \n", 4); /* blank lines before the first '{' */
    for (int i = 0; i < nrec; i++) {
        char line[128];
        int n = json ? snprintf(line, sizeof line, "{\"id\":%d,\"sent\":%.6f}\n", i, now())
                     : snprintf(line, sizeof line, "record %d sent %.6f\n", i, now());
        write_all(out, line, (size_t)n);
        struct pollfd pf = { ack, POLLIN, 0 };
        if (poll(&pf, 1, 2000) != 1) _exit(1);
        char c;
        if (read(ack, &c, 1) != 1) _exit(2);
        sleep_ms(100);
    }
    close(out);
    _exit(0);
}

static void trickle(int json, int wait)
{
    int data[2], ack[2];
    assert_int_equal(pipe(data), 0);
    assert_int_equal(pipe(ack), 0);
    const int nrec = 3;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(data[0]);
        close(ack[1]);
        trickle_writer(data[1], ack[0], json, nrec);
    }
    close(data[1]);
    close(ack[0]);
    wd_stream *s = wd_stream_open(data[0], WD_FMT_AUTO);
    assert_non_null(s);
    wd_stream_rec r;
    int got = 0, blanks = 0;
    double worst = 0, prev = 0;
    for (;;) {
        int rc = wd_stream_next(s, &r, wait);
        if (rc == WD_STREAM_AGAIN) {
            sleep_ms(1);
            continue;
        }
        if (rc == WD_STREAM_EOF) break;
        assert_int_equal(rc, WD_STREAM_RECORD);
        double t = now();
        if (r.len == 0 || (r.len == 2 && !memcmp(r.data, "  ", 2))) { /* the blank lines */
            blanks++;
            wd_stream_release(s);
            continue;
        }
        const char *at = json ? strstr(r.data, "\"sent\":") : strstr(r.data, "sent ");
        assert_non_null(at);
        double sent = strtod(at + (json ? 7 : 5), NULL);
        double lat = t - sent;
        if (lat > worst) worst = lat;
        assert_true(lat < 0.050);                 /* within 50 ms of arrival */
        if (got > 0) assert_true(t - prev > 0.090); /* the next one came later */
        prev = t;
        got++;
        wd_stream_release(s);
        assert_int_equal(write(ack[1], "k", 1), 1);
    }
    assert_int_equal(got, nrec);
    assert_int_equal(blanks, json ? 2 : 0);
    assert_int_equal(wd_stream_format(s), json ? WD_FMT_JSONL : WD_FMT_LINES);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0); /* every record was acknowledged in time */
    wd_stream_close(s);
    close(data[0]);
    close(ack[1]);
    if (getenv("WD_TEST_VERBOSE")) fprintf(stderr, "worst latency %.3f ms\n", worst * 1e3);
}

static void test_trickle_lines(void **state)
{
    (void)state;
    trickle(0, 1);
}

static void test_trickle_jsonl(void **state)
{
    (void)state;
    trickle(1, 1);
}

static void test_trickle_nowait(void **state)
{
    (void)state;
    trickle(0, 0);
}

/* ---- chunk boundaries ---------------------------------------------------- */

typedef struct exp_rec {
    size_t off, len;
} exp_rec;

/* What the whole-input splitter finds. */
static size_t expected(const char *in, size_t len, wd_format asked, wd_format *fmt, exp_rec *out)
{
    *fmt = wd_format_detect(in, len, asked);
    size_t pos = 0, n = 0;
    wd_span sp;
    while (wd_record_next(in, len, *fmt, &pos, &sp)) out[n++] = (exp_rec){ sp.off, sp.len };
    return n;
}

typedef struct got_rec {
    const char *data;
    size_t len;
    uint64_t num, off;
} got_rec;

/* Drains what is available without blocking; returns records appended. */
static size_t drain(wd_stream *s, int wait, int hold, got_rec *out, size_t n)
{
    wd_stream_rec r;
    int rc;
    while ((rc = wd_stream_next(s, &r, wait)) == WD_STREAM_RECORD) {
        assert_true(r.readable >= r.len + WD_INPUT_PADDING);
        out[n++] = (got_rec){ r.data, r.len, r.num, r.off };
        if (!hold) {
            /* check now: the record goes away at release */
            out[n - 1].data = NULL;
            char *copy = malloc(r.len + 1);
            assert_non_null(copy);
            memcpy(copy, r.data, r.len);
            out[n - 1].data = copy;
            wd_stream_release(s);
        }
    }
    assert_int_equal(rc, wait ? WD_STREAM_EOF : WD_STREAM_AGAIN);
    return n;
}

/* Feeds in[] cut at the given positions through a pipe and compares. */
static void feed_and_check(const char *in, size_t len, wd_format asked, const size_t *cuts,
                           int ncuts, int hold)
{
    static exp_rec want[256];
    static got_rec got[256];
    wd_format fmt;
    size_t nw = expected(in, len, asked, &fmt, want);
    int p[2];
    assert_int_equal(pipe(p), 0);
    wd_stream *s = wd_stream_open(p[0], asked);
    assert_non_null(s);
    size_t ng = 0, at = 0;
    for (int c = 0; c <= ncuts; c++) {
        size_t to = c < ncuts ? cuts[c] : len;
        if (to > at) write_all(p[1], in + at, to - at);
        at = to;
        if (c < ncuts) ng = drain(s, 0, hold, got, ng);
    }
    close(p[1]);
    ng = drain(s, 1, hold, got, ng);
    assert_int_equal(ng, nw);
    for (size_t i = 0; i < nw; i++) {
        assert_int_equal(got[i].len, want[i].len);
        assert_memory_equal(got[i].data, in + want[i].off, want[i].len);
        assert_int_equal(got[i].off, want[i].off);
        assert_int_equal(got[i].num, i + 1);
        if (!hold) free((void *)got[i].data);
    }
    assert_int_equal(wd_stream_format(s), fmt);
    wd_stream_close(s);
    close(p[0]);
}

static const struct {
    const char *data;
    size_t len;
    wd_format fmt;
} inputs[] = {
#define IN(s, f) { s, sizeof s - 1, f }
    IN("a\nbb\r\n\n\r\nccc\rd\nlast", WD_FMT_LINES),
    IN("one\r\n", WD_FMT_LINES),
    IN("abc\r", WD_FMT_LINES),
    IN("\n", WD_FMT_LINES),
    IN("", WD_FMT_LINES),
    IN("x\r\r\n\r", WD_FMT_AUTO),
    IN("a\0bb\0\0c\r\n", WD_FMT_NUL),
    IN("\0", WD_FMT_NUL),
    IN("  \n{\"a\":1}\n\n{\"b\":\"x\\ny\"}\r\n", WD_FMT_AUTO),
    IN("\r\n \t\n{\"t\":2}", WD_FMT_AUTO),
    IN("\n\nhello\nworld", WD_FMT_AUTO),
    IN(" \n \n", WD_FMT_AUTO),
    IN("{\"a\":1}\n{\"a\":2}\n", WD_FMT_JSONL),
#undef IN
};

static void test_chunk_boundaries(void **state)
{
    (void)state;
    const size_t nin = sizeof inputs / sizeof inputs[0];
    for (size_t k = 0; k < nin; k++) {
        const char *in = inputs[k].data;
        size_t len = inputs[k].len;
        for (int hold = 0; hold < 2; hold++) {
            feed_and_check(in, len, inputs[k].fmt, NULL, 0, hold);
            for (size_t i = 0; i <= len; i++) {           /* one cut anywhere */
                size_t cut[1] = { i };
                feed_and_check(in, len, inputs[k].fmt, cut, 1, hold);
            }
            for (size_t i = 0; i <= len; i++)             /* two cuts anywhere */
                for (size_t j = i; j <= len; j++) {
                    size_t cuts[2] = { i, j };
                    feed_and_check(in, len, inputs[k].fmt, cuts, 2, hold);
                }
            size_t bytes[64];                             /* one byte at a time */
            for (size_t i = 0; i < len; i++) bytes[i] = i + 1;
            feed_and_check(in, len, inputs[k].fmt, bytes, (int)len, hold);
        }
    }
}

/* Many records crossing many buffer refills, random cut sizes, held or not. */
static void test_many_records(void **state)
{
    (void)state;
    size_t len = 3u << 20;
    char *in = malloc(len);
    assert_non_null(in);
    uint64_t rng = 5;
    size_t i = 0;
    while (i < len) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = (rng >> 33) % 200;
        if ((rng >> 20) % 50 == 0) n = (rng >> 24) % 300000; /* now and then a long one */
        for (size_t k = 0; k < n && i < len; k++, i++) in[i] = (char)('a' + (i + k) % 26);
        if (i < len) in[i++] = (rng >> 40) % 7 == 0 ? '\r' : '\n';
        if (i < len && in[i - 1] == '\r') in[i++] = '\n';
    }
    exp_rec *want = malloc(sizeof *want * len / 2);
    assert_non_null(want);
    wd_format fmt;
    size_t nw = expected(in, len, WD_FMT_LINES, &fmt, want);
    for (int hold = 0; hold < 2; hold++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            uint64_t r = 77;
            for (size_t at = 0; at < len;) {
                r = r * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t n = 1 + (r >> 33) % 100000;
                if (n > len - at) n = len - at;
                write_all(p[1], in + at, n);
                at += n;
            }
            _exit(0);
        }
        close(p[1]);
        wd_stream *s = wd_stream_open(p[0], WD_FMT_LINES);
        assert_non_null(s);
        wd_stream_rec r;
        const char **held = malloc(sizeof *held * (nw + 1));
        assert_non_null(held);
        size_t n = 0, since = 0;
        int rc;
        while ((rc = wd_stream_next(s, &r, 1)) == WD_STREAM_RECORD) {
            assert_true(n < nw);
            assert_int_equal(r.len, want[n].len);
            assert_int_equal(r.off, want[n].off);
            assert_memory_equal(r.data, in + want[n].off, r.len);
            held[n++] = r.data;
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            if (!hold) {
                wd_stream_release(s);
                since = n;
            } else if ((rng >> 33) % 8000 == 0) {
                /* everything held since the last release is intact */
                for (size_t q = since; q < n; q++)
                    assert_memory_equal(held[q], in + want[q].off, want[q].len);
                wd_stream_release(s);
                since = n;
            }
        }
        for (size_t q = since; q < n; q++)
            assert_memory_equal(held[q], in + want[q].off, want[q].len);
        assert_int_equal(rc, WD_STREAM_EOF);
        assert_int_equal(n, nw);
        free(held);
        wd_stream_close(s);
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    free(want);
    free(in);
}

/* ---- a 20 MB record ------------------------------------------------------- */

static void test_big_record(void **state)
{
    (void)state;
    const size_t BIG = 20u << 20;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        write_all(p[1], "first\n", 6);
        char *chunk = malloc(1 << 20);
        if (!chunk) _exit(91);
        uint64_t r = 3;
        for (size_t at = 0; at < BIG;) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t n = 1 + (r >> 33) % (1 << 20);
            if (n > BIG - at) n = BIG - at;
            for (size_t k = 0; k < n; k++) chunk[k] = (char)('A' + (at + k) % 23);
            write_all(p[1], chunk, n);
            at += n;
        }
        write_all(p[1], "\nshort\nend", 10);
        _exit(0);
    }
    close(p[1]);
    wd_stream *s = wd_stream_open(p[0], WD_FMT_AUTO);
    assert_non_null(s);
    wd_stream_rec first, big, r;
    assert_int_equal(wd_stream_next(s, &first, 1), WD_STREAM_RECORD);
    assert_int_equal(first.len, 5);
    /* not released: the buffer must grow around it */
    assert_int_equal(wd_stream_next(s, &big, 1), WD_STREAM_RECORD);
    assert_int_equal(big.len, BIG);
    assert_int_equal(big.num, 2);
    assert_int_equal(big.off, 6);
    for (size_t k = 0; k < BIG; k++)
        if (big.data[k] != (char)('A' + k % 23)) fail_msg("byte %zu differs", k);
    assert_memory_equal(first.data, "first", 5);
    wd_stream_release(s);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_RECORD);
    assert_int_equal(r.len, 5);
    assert_memory_equal(r.data, "short", 5);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_RECORD);
    assert_int_equal(r.len, 3);
    assert_memory_equal(r.data, "end", 3);
    assert_int_equal(r.off, 6 + BIG + 7);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_EOF);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_EOF);
    wd_stream_close(s);
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- limits and errors --------------------------------------------------- */

static void test_limit_and_errors(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    wd_stream *s = wd_stream_open(p[0], WD_FMT_LINES);
    wd_stream_set_limit(s, 10);
    wd_stream_rec r;
    write_all(p[1], "0123456789\n0123456789x", 22);
    assert_int_equal(wd_stream_next(s, &r, 0), WD_STREAM_RECORD);  /* exactly 10: fine */
    assert_int_equal(wd_stream_next(s, &r, 0), WD_STREAM_AGAIN);   /* 11 so far, could be CR */
    write_all(p[1], "y", 1);
    assert_int_equal(wd_stream_next(s, &r, 0), WD_STREAM_ERROR);
    assert_string_equal(wd_stream_error(s), "record longer than 10 bytes");
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_ERROR);   /* stays failed */
    wd_stream_close(s);
    close(p[0]);
    close(p[1]);

    /* a complete long record in one read is refused too */
    assert_int_equal(pipe(p), 0);
    s = wd_stream_open(p[0], WD_FMT_LINES);
    wd_stream_set_limit(s, 4);
    write_all(p[1], "ok\ntoo long\n", 12);
    close(p[1]);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_RECORD);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_ERROR);
    wd_stream_close(s);
    close(p[0]);

    /* AUTO with a limit does not wait forever on blank input */
    assert_int_equal(pipe(p), 0);
    s = wd_stream_open(p[0], WD_FMT_AUTO);
    wd_stream_set_limit(s, 8);
    write_all(p[1], "\n \n  \n", 6);
    assert_int_equal(wd_stream_next(s, &r, 0), WD_STREAM_AGAIN);   /* 6 blank bytes: wait */
    assert_int_equal(wd_stream_format(s), WD_FMT_AUTO);
    write_all(p[1], "\n\n\n", 3);
    assert_int_equal(wd_stream_next(s, &r, 0), WD_STREAM_RECORD);  /* 9 > 8: decided */
    assert_int_equal(wd_stream_format(s), WD_FMT_LINES);
    assert_int_equal(r.len, 0);
    wd_stream_close(s);
    close(p[0]);
    close(p[1]);

    /* a read error */
    s = wd_stream_open(-1, WD_FMT_LINES);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_ERROR);
    assert_string_equal(wd_stream_error(s), strerror(EBADF));
    wd_stream_close(s);
}

/* O_NONBLOCK: wait == 1 still blocks (in poll), wait == 0 says AGAIN. */
static void test_nonblocking_fd(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        sleep_ms(50);
        write_all(p[1], "late\n", 5);
        _exit(0);
    }
    close(p[1]);
    wd_stream *s = wd_stream_open(p[0], WD_FMT_LINES);
    wd_stream_rec r;
    assert_int_equal(wd_stream_next(s, &r, 0), WD_STREAM_AGAIN);
    double t0 = now();
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_RECORD);
    assert_true(now() - t0 > 0.02);
    assert_int_equal(r.len, 4);
    assert_int_equal(wd_stream_next(s, &r, 1), WD_STREAM_EOF);
    wd_stream_close(s);
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trickle_lines),
        cmocka_unit_test(test_trickle_jsonl),
        cmocka_unit_test(test_trickle_nowait),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_many_records),
        cmocka_unit_test(test_big_record),
        cmocka_unit_test(test_limit_and_errors),
        cmocka_unit_test(test_nonblocking_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
