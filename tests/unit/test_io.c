/*
 * test_io.c - input loading, record splitting and JSONL field extraction.
 *
 * Inputs are real files, FIFOs and pipes in a fresh temp directory; JSON
 * records are placed in exact-size malloc'd buffers where the point is that
 * nothing is read past them (ASan builds catch an overread).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/input.h"
#include "io/json.h"
#include "io/records.h"

/* ------------------------------------------------------------------------
 * helpers
 * ---------------------------------------------------------------------- */

/* A fresh temp directory per test; removed (with its files) afterwards. */
static char tmpdir[64];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wd_test_io.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Splits data[0..len) as fmt; the records as NUL-terminated copies joined by
 * '|' into out (for short inputs). Returns the record count. */
static size_t split(const char *data, size_t len, wd_format fmt, char *out,
                    size_t outlen)
{
    size_t pos = 0, n = 0, o = 0;
    wd_span r;
    out[0] = 0;
    while (wd_record_next(data, len, fmt, &pos, &r)) {
        assert_true(r.off + r.len <= len);
        if (n++) out[o++] = '|';
        assert_true(o + r.len + 2 < outlen);
        memcpy(out + o, data + r.off, r.len);
        o += r.len;
        out[o] = 0;
    }
    assert_int_equal(pos, len);
    return n;
}

/*
 * A record that ends right before an inaccessible page, so reading one byte
 * past it faults. (ASan cannot see reads made inside libsimdjson.so, which is
 * not instrumented; a guard page catches them in every build.)
 */
typedef struct guarded {
    char *rec;      /* the copy; rec + len is the first byte of the guard */
    void *map;      /* the whole mapping */
    size_t maplen;  /* its size */
} guarded;

static guarded guard_copy(const char *s, size_t len)
{
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (len + ps - 1) / ps * ps;
    guarded g;
    g.maplen = body + ps;
    g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g.map != MAP_FAILED);
    assert_int_equal(mprotect((char *)g.map + body, ps, PROT_NONE), 0);
    g.rec = (char *)g.map + body - len;
    if (len) memcpy(g.rec, s, len);
    return g;
}

static void guard_free(guarded *g)
{
    munmap(g->map, g->maplen);
}

typedef struct extracted {
    int rc;
    char err[256];
    wd_json_fields f;
    char text[1024];
    char id[256];
} extracted;

/* Extracts from rec[0..len) placed in an exact-size buffer (copy path). */
static extracted extract_with(wd_json *j, const char *rec, size_t len,
                              const char *tf, const char *idf)
{
    extracted x;
    memset(&x, 0, sizeof x);
    wd_buf arena = {0};
    guarded g = guard_copy(rec, len);
    x.rc = wd_json_extract(j, g.rec, len, len, tf, idf, &arena, &x.f, x.err,
                           sizeof x.err);
    if (x.rc == 0) {
        assert_true(x.f.text_len < sizeof x.text);
        assert_true(x.f.id_len < sizeof x.id);
        memcpy(x.text, arena.data + x.f.text_off, x.f.text_len);
        memcpy(x.id, arena.data + x.f.id_off, x.f.id_len);
    } else {
        assert_int_equal(arena.len, 0);
    }
    guard_free(&g);
    wd_buf_free(&arena);
    return x;
}

static extracted extract(const char *rec)
{
    wd_json *j = wd_json_new();
    assert_non_null(j);
    extracted x = extract_with(j, rec, strlen(rec), "text", "id");
    wd_json_free(j);
    return x;
}

static void expect_error(const char *rec, size_t len, const char *tf,
                         const char *want)
{
    wd_json *j = wd_json_new();
    assert_non_null(j);
    extracted x = extract_with(j, rec, len, tf, "id");
    wd_json_free(j);
    assert_int_equal(x.rc, -1);
    if (!strstr(x.err, want)) fail_msg("error \"%s\" lacks \"%s\"", x.err, want);
}

/* ------------------------------------------------------------------------
 * records
 * ---------------------------------------------------------------------- */

static void test_lines_final_newline(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "alpha\nbeta gamma\n";
    assert_int_equal(split(in, sizeof in - 1, WD_FMT_LINES, out, sizeof out), 2);
    assert_string_equal(out, "alpha|beta gamma");
}

static void test_lines_no_final_newline(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "alpha\nbeta";
    assert_int_equal(split(in, sizeof in - 1, WD_FMT_LINES, out, sizeof out), 2);
    assert_string_equal(out, "alpha|beta");
    /* offsets point into the input */
    size_t pos = 0;
    wd_span r;
    assert_int_equal(wd_record_next(in, 10, WD_FMT_LINES, &pos, &r), 1);
    assert_int_equal(wd_record_next(in, 10, WD_FMT_LINES, &pos, &r), 1);
    assert_int_equal(r.off, 6);
    assert_int_equal(r.len, 4);
    assert_int_equal(wd_record_next(in, 10, WD_FMT_LINES, &pos, &r), 0);
    assert_int_equal(wd_record_next(in, 10, WD_FMT_LINES, &pos, &r), 0);
}

static void test_lines_crlf(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "a\r\nb b\r\n\r\nc";
    assert_int_equal(split(in, sizeof in - 1, WD_FMT_LINES, out, sizeof out), 4);
    assert_string_equal(out, "a|b b||c");
    /* only one CR is dropped, and only before a LF */
    const char in2[] = "x\r\r\ny\rz\r";
    assert_int_equal(split(in2, sizeof in2 - 1, WD_FMT_LINES, out, sizeof out), 2);
    assert_string_equal(out, "x\r|y\rz\r");
    /* JSONL splits the same way */
    const char in3[] = "{}\r\n{}";
    assert_int_equal(split(in3, sizeof in3 - 1, WD_FMT_JSONL, out, sizeof out), 2);
    assert_string_equal(out, "{}|{}");
}

static void test_lines_empty_records(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "\n\na\n\n";
    assert_int_equal(split(in, sizeof in - 1, WD_FMT_LINES, out, sizeof out), 4);
    assert_string_equal(out, "||a|");
    assert_int_equal(split("\n", 1, WD_FMT_LINES, out, sizeof out), 1);
    assert_string_equal(out, "");
    assert_int_equal(split("", 0, WD_FMT_LINES, out, sizeof out), 0);
    assert_int_equal(split(NULL, 0, WD_FMT_JSONL, out, sizeof out), 0);
    /* an empty line in JSONL is a record too */
    const char in2[] = "{}\n\n{}\n";
    assert_int_equal(split(in2, sizeof in2 - 1, WD_FMT_JSONL, out, sizeof out), 3);
    assert_string_equal(out, "{}||{}");
}

static void test_nul_records(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "a\nb\r\n\0\0c d\0e";
    size_t len = sizeof in - 1;
    size_t pos = 0, n = 0;
    wd_span r[8];
    while (wd_record_next(in, len, WD_FMT_NUL, &pos, &r[n])) n++;
    assert_int_equal(n, 4);
    assert_int_equal(r[0].len, 5); /* "a\nb\r\n": LF and CR are text */
    assert_memory_equal(in + r[0].off, "a\nb\r\n", 5);
    assert_int_equal(r[1].len, 0);
    assert_int_equal(r[2].len, 3);
    assert_memory_equal(in + r[2].off, "c d", 3);
    assert_int_equal(r[3].len, 1);
    assert_int_equal(in[r[3].off], 'e');
    /* a final NUL does not start another record */
    assert_int_equal(split("x\0y\0", 4, WD_FMT_NUL, out, sizeof out), 2);
    assert_string_equal(out, "x|y");
}

static void test_detect(void **state)
{
    (void)state;
    const char *jsonl[] = {"{\"text\":1}\n", "\n\n{}", "  \t\r\n{", "{"};
    for (size_t i = 0; i < sizeof jsonl / sizeof *jsonl; i++)
        assert_int_equal(wd_format_detect(jsonl[i], strlen(jsonl[i]), WD_FMT_AUTO),
                         WD_FMT_JSONL);
    const char *lines[] = {"hello {", "\n x{", "[1]", "", "\n\n \t", "\v{"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        assert_int_equal(wd_format_detect(lines[i], strlen(lines[i]), WD_FMT_AUTO),
                         WD_FMT_LINES);
    assert_int_equal(wd_format_detect(NULL, 0, WD_FMT_AUTO), WD_FMT_LINES);
    /* the length bounds the scan: "{" past len does not count */
    assert_int_equal(wd_format_detect("  {", 2, WD_FMT_AUTO), WD_FMT_LINES);
    /* an explicit format is kept */
    assert_int_equal(wd_format_detect("{}", 2, WD_FMT_LINES), WD_FMT_LINES);
    assert_int_equal(wd_format_detect("abc", 3, WD_FMT_JSONL), WD_FMT_JSONL);
    assert_int_equal(wd_format_detect("{}", 2, WD_FMT_NUL), WD_FMT_NUL);
}

static void test_huge_single_line(void **state)
{
    (void)state;
    const size_t len = (size_t)100 << 20;
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, 'x', len);
    big[len / 2] = '\r'; /* a CR not before a LF stays */
    size_t pos = 0;
    wd_span r;
    assert_int_equal(wd_record_next(big, len, WD_FMT_LINES, &pos, &r), 1);
    assert_int_equal(r.off, 0);
    assert_int_equal(r.len, len);
    assert_int_equal(pos, len);
    assert_int_equal(wd_record_next(big, len, WD_FMT_LINES, &pos, &r), 0);
    /* with a final CRLF it is still one record, without them */
    big[len - 1] = '\n';
    big[len - 2] = '\r';
    pos = 0;
    assert_int_equal(wd_record_next(big, len, WD_FMT_LINES, &pos, &r), 1);
    assert_int_equal(r.len, len - 2);
    assert_int_equal(wd_record_next(big, len, WD_FMT_LINES, &pos, &r), 0);
    free(big);
}

/* ------------------------------------------------------------------------
 * input
 * ---------------------------------------------------------------------- */

static void test_input_mmap(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "data.txt");
    size_t len = 3 * 4096 + 123;
    char *want = malloc(len);
    assert_non_null(want);
    for (size_t i = 0; i < len; i++) want[i] = (char)(i * 131 + (i >> 7));
    write_file(path, want, len);

    wd_input in;
    char err[128] = "";
    assert_int_equal(wd_input_load(path, &in, err, sizeof err), 0);
    assert_int_equal(in.mapped, 1);
    assert_int_equal(in.len, len);
    assert_memory_equal(in.data, want, len);
    /* readable: to the end of the last page, which reads as zeros */
    long ps = sysconf(_SC_PAGESIZE);
    assert_int_equal(in.readable, (len + ps - 1) / ps * ps);
    for (size_t i = len; i < in.readable; i++) assert_int_equal(in.data[i], 0);
    assert_string_equal(wd_input_display(&in), path);
    wd_input_close(&in);
    assert_null(in.data);
    wd_input_close(&in); /* twice is fine */
    free(want);

    wd_input zero;
    memset(&zero, 0, sizeof zero);
    wd_input_close(&zero); /* zeroed is fine */
}

static void test_input_page_exact(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "page.txt");
    long ps = sysconf(_SC_PAGESIZE);
    char *want = malloc((size_t)ps);
    assert_non_null(want);
    memset(want, 'p', (size_t)ps);
    write_file(path, want, (size_t)ps);
    wd_input in;
    char err[128];
    assert_int_equal(wd_input_load(path, &in, err, sizeof err), 0);
    assert_int_equal(in.mapped, 1);
    assert_int_equal(in.len, (size_t)ps);
    assert_int_equal(in.readable, (size_t)ps); /* no page past the file */
    wd_input_close(&in);
    free(want);
}

static void test_input_empty_file(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "empty.txt");
    write_file(path, "", 0);
    wd_input in;
    char err[128] = "";
    assert_int_equal(wd_input_load(path, &in, err, sizeof err), 0);
    assert_int_equal(in.len, 0);
    assert_null(in.data);
    wd_input_close(&in);
}

static void test_input_missing(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "does-not-exist");
    wd_input in;
    char err[128] = "";
    assert_int_equal(wd_input_load(path, &in, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_null(in.data);
    assert_string_equal(wd_input_display(&in), path);
    wd_input_close(&in);
}

static void test_input_directory(void **state)
{
    (void)state;
    wd_input in;
    char err[128] = "";
    assert_int_equal(wd_input_load(tmpdir, &in, err, sizeof err), -1);
    assert_string_equal(err, "Is a directory");
    wd_input_close(&in);
}

/* 0 when loading path fails with "Permission denied". */
static int load_denied(const char *path)
{
    wd_input in;
    char err[128] = "";
    int rc = wd_input_load(path, &in, err, sizeof err);
    wd_input_close(&in);
    return rc == -1 && strcmp(err, "Permission denied") == 0 ? 0 : 1;
}

static void test_input_permission(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "secret.txt");
    write_file(path, "x", 1);
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() != 0) {
        assert_int_equal(load_denied(path), 0);
        return;
    }
    /* root reads anything: try as "nobody" in a child (who may enter the
     * directory, so it is the file's mode that refuses) */
    assert_int_equal(chmod(tmpdir, 0755), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
        _exit(load_denied(path));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Writes len bytes of pattern into fd from a child process, then exits. */
static pid_t spawn_writer(const char *fifo, int fd, size_t len)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (fifo) fd = open(fifo, O_WRONLY);
        if (fd < 0) _exit(1);
        char chunk[8192];
        size_t done = 0;
        while (done < len) {
            size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
            for (size_t i = 0; i < n; i++) chunk[i] = (char)('a' + (done + i) % 23);
            ssize_t w = write(fd, chunk, n);
            if (w <= 0) _exit(2);
            done += (size_t)w;
        }
        close(fd);
        _exit(0);
    }
    return pid;
}

static void check_pattern(const wd_input *in, size_t len)
{
    assert_int_equal(in->mapped, 0);
    assert_int_equal(in->len, len);
    assert_int_equal(in->readable, len + WD_INPUT_PADDING);
    for (size_t i = 0; i < len; i++)
        if (in->data[i] != (char)('a' + i % 23)) fail_msg("byte %zu differs", i);
    for (size_t i = len; i < in->readable; i++) assert_int_equal(in->data[i], 0);
}

static void test_input_fifo(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "fifo");
    assert_int_equal(mkfifo(path, 0600), 0);
    size_t len = 3u << 20; /* many pipe buffers, several regrowths */
    pid_t pid = spawn_writer(path, -1, len);
    wd_input in;
    char err[128] = "";
    assert_int_equal(wd_input_load(path, &in, err, sizeof err), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_pattern(&in, len);
    wd_input_close(&in);
}

static void test_input_stdin_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    size_t len = 100000;
    pid_t pid = spawn_writer(NULL, p[1], len);
    close(p[1]);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);

    wd_input in;
    char err[128] = "";
    int rc = wd_input_load("-", &in, err, sizeof err);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(rc, 0);
    check_pattern(&in, len);
    assert_string_equal(wd_input_display(&in), "<stdin>");
    wd_input_close(&in);
}

static void test_input_empty_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    wd_input in;
    char err[128] = "";
    assert_int_equal(wd_input_load(path, &in, err, sizeof err), 0);
    assert_int_equal(in.len, 0);
    assert_null(in.data);
    wd_input_close(&in);
    close(p[0]);
}

/* ------------------------------------------------------------------------
 * json
 * ---------------------------------------------------------------------- */

static void test_json_fields(void **state)
{
    (void)state;
    extracted x = extract("{\"id\": \"d001\", \"title\": \"t\", \"text\": \"hello world\"}");
    assert_int_equal(x.rc, 0);
    assert_string_equal(x.text, "hello world");
    assert_int_equal(x.f.has_id, 1);
    assert_string_equal(x.id, "d001");

    x = extract("  {\"text\":\"\"}  ");
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.f.text_len, 0);
    assert_int_equal(x.f.has_id, 0);
}

static void test_json_escapes(void **state)
{
    (void)state;
    extracted x = extract("{\"text\": \"a\\nb\\t\\\"q\\\" \\\\ \\/ caf\\u00e9 "
                          "\\ud83d\\ude00 \\u0000end\", \"id\": \"x\\u0041\"}");
    assert_int_equal(x.rc, 0);
    const char want[] = "a\nb\t\"q\" \\ / caf\xc3\xa9 \xf0\x9f\x98\x80 \0end";
    assert_int_equal(x.f.text_len, sizeof want - 1);
    assert_memory_equal(x.text, want, sizeof want - 1);
    assert_string_equal(x.id, "xA");
    /* raw UTF-8 passes through */
    x = extract("{\"text\": \"\xe2\x80\x9cq\xe2\x80\x9d \xe4\xb8\xad\"}");
    assert_int_equal(x.rc, 0);
    assert_string_equal(x.text, "\xe2\x80\x9cq\xe2\x80\x9d \xe4\xb8\xad");
}

static void test_json_numeric_id(void **state)
{
    (void)state;
    extracted x = extract("{\"id\": 42, \"text\": \"t\"}");
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.f.has_id, 1);
    assert_string_equal(x.id, "42");
    x = extract("{\"id\": -7, \"text\": \"t\"}");
    assert_string_equal(x.id, "-7");
    x = extract("{\"id\": 18446744073709551615, \"text\": \"t\"}");
    assert_string_equal(x.id, "18446744073709551615");
    /* a double id keeps the text the record wrote */
    x = extract("{\"id\": 1.5, \"text\": \"t\"}");
    assert_int_equal(x.rc, 0);
    assert_string_equal(x.id, "1.5");
    x = extract("{\"id\": 1.50 ,\"text\": \"t\"}");
    assert_string_equal(x.id, "1.50");
    x = extract("{\"text\": \"t\", \"id\":2.5E-7}");
    assert_string_equal(x.id, "2.5E-7");
    x = extract("{\"text\": \"t\", \"id\": 1e3\n}");
    assert_string_equal(x.id, "1e3");
    /* ... unless the key is spelled with escapes: then simdjson's shortest
     * form of the value */
    x = extract("{\"\\u0069d\": 1.50, \"text\": \"t\"}");
    assert_int_equal(x.rc, 0);
    assert_string_equal(x.id, "1.5");
    /* an integer too large for 64 bits is refused by simdjson */
    x = extract("{\"id\": 123456789012345678901234567890, \"text\": \"t\"}");
    assert_int_equal(x.rc, -1);
    assert_non_null(strstr(x.err, "malformed JSON: "));
}

static void test_json_absent_id(void **state)
{
    (void)state;
    extracted x = extract("{\"text\": \"t\"}");
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.f.has_id, 0);
    assert_int_equal(x.f.id_len, 0);
    x = extract("{\"text\": \"t\", \"id\": null}");
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.f.has_id, 0);
    /* no id field asked for */
    wd_json *j = wd_json_new();
    x = extract_with(j, "{\"text\":\"t\",\"id\":\"z\"}", 21, "text", NULL);
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.f.has_id, 0);
    wd_json_free(j);
    /* an id that is neither string nor number */
    expect_error("{\"text\":\"t\",\"id\":true}", 22, "text",
                 "field \"id\" is not a string or a number");
    expect_error("{\"text\":\"t\",\"id\":[1]}", 21, "text",
                 "field \"id\" is not a string or a number");
}

static void test_json_custom_fields(void **state)
{
    (void)state;
    wd_json *j = wd_json_new();
    assert_non_null(j);
    const char rec[] = "{\"text\": \"not me\", \"id\": 1, \"body\": \"me\", \"doc_id\": \"D-9\"}";
    extracted x = extract_with(j, rec, sizeof rec - 1, "body", "doc_id");
    assert_int_equal(x.rc, 0);
    assert_string_equal(x.text, "me");
    assert_string_equal(x.id, "D-9");
    /* keys are compared after unescaping */
    const char rec2[] = "{\"b\\u006fdy\": \"escaped key\"}";
    x = extract_with(j, rec2, sizeof rec2 - 1, "body", "doc_id");
    assert_int_equal(x.rc, 0);
    assert_string_equal(x.text, "escaped key");
    assert_int_equal(x.f.has_id, 0);
    wd_json_free(j);
    expect_error(rec2, sizeof rec2 - 1, "content", "missing field \"content\"");
}

static void test_json_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "{\"text\":\"a\"",          /* truncated */
        "{\"text\":\"a",            /* truncated inside a string */
        "{\"text\":\"a\"} x",       /* trailing garbage */
        "{\"text\":\"a\"}{}",       /* two values */
        "{\"text\":\"a\",}",        /* trailing comma */
        "{\"text\":\"a\\q\"}",      /* bad escape */
        "{\"text\":\"\\ud800\"}",   /* lone surrogate */
        "{\"text\":\"a\tb\"}",      /* raw control character */
        "{text:\"a\"}",             /* unquoted key */
        "{\"text\":\"a\", \"n\": 01}", /* bad number elsewhere */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        extracted x = extract(bad[i]);
        if (x.rc != -1) fail_msg("accepted: %s", bad[i]);
        if (strncmp(x.err, "malformed JSON: ", 16) != 0)
            fail_msg("%s -> \"%s\"", bad[i], x.err);
    }
    extracted x = extract("{\"text\":\"caf\xe9\"}"); /* Latin-1, not UTF-8 */
    assert_int_equal(x.rc, -1);
    assert_non_null(strstr(x.err, "malformed JSON: "));
    assert_non_null(strstr(x.err, "UTF-8"));
    /* invalid UTF-8 in a field that is not wanted is still an error */
    x = extract("{\"text\":\"ok\",\"other\":\"\xc0\xaf\"}");
    assert_int_equal(x.rc, -1);
    assert_non_null(strstr(x.err, "UTF-8"));
}

static void test_json_not_object(void **state)
{
    (void)state;
    const char *recs[] = {"[1]", "\"text\"", "42", "null", "[{\"text\":\"a\"}]"};
    for (size_t i = 0; i < sizeof recs / sizeof *recs; i++) {
        extracted x = extract(recs[i]);
        assert_int_equal(x.rc, -1);
        assert_string_equal(x.err, "record is not a JSON object");
    }
}

static void test_json_empty_record(void **state)
{
    (void)state;
    expect_error("", 0, "text", "malformed JSON: empty record");
    expect_error("   \t", 4, "text", "malformed JSON: empty record");
}

static void test_json_missing_text(void **state)
{
    (void)state;
    extracted x = extract("{\"id\": \"a\", \"txt\": \"b\"}");
    assert_int_equal(x.rc, -1);
    assert_string_equal(x.err, "missing field \"text\"");
    x = extract("{}");
    assert_string_equal(x.err, "missing field \"text\"");
    /* a nested "text" is not the field */
    x = extract("{\"meta\": {\"text\": \"a\"}}");
    assert_string_equal(x.err, "missing field \"text\"");
}

static void test_json_text_not_string(void **state)
{
    (void)state;
    const char *recs[] = {"{\"text\": 5}", "{\"text\": null}", "{\"text\": {}}",
                          "{\"text\": [\"a\"]}", "{\"text\": true}"};
    for (size_t i = 0; i < sizeof recs / sizeof *recs; i++) {
        extracted x = extract(recs[i]);
        assert_int_equal(x.rc, -1);
        assert_string_equal(x.err, "field \"text\" is not a string");
    }
    expect_error("{\"body\": 1}", 11, "body", "field \"body\" is not a string");
}

/* Records at the very end of exact-size blocks, every length 0..200 around
 * the 64-byte padding boundary, plus the in-place path with exactly 64 bytes
 * of padding. */
static void test_json_unpadded_and_padded(void **state)
{
    (void)state;
    wd_json *j = wd_json_new();
    assert_non_null(j);
    wd_buf arena = {0};
    char rec[512], text[512];
    for (size_t n = 0; n < 200; n++) {
        for (size_t i = 0; i < n; i++) text[i] = (char)('a' + i % 26);
        text[n] = 0;
        int len = snprintf(rec, sizeof rec, "{\"id\":%zu,\"text\":\"%s\"}", n, text);
        /* mode 0: exact-size malloc block (ASan sees our own reads);
         * mode 1: exact end before a guard page (copy path);
         * mode 2: 64 junk bytes then a guard page (parsed in place) */
        for (int mode = 0; mode < 3; mode++) {
            size_t room = mode == 2 ? (size_t)len + 64 : (size_t)len;
            char *heap = NULL;
            guarded g = {0};
            const char *buf;
            if (mode == 0) {
                heap = malloc((size_t)len);
                assert_non_null(heap);
                memcpy(heap, rec, (size_t)len);
                buf = heap;
            } else {
                char tmp[600];
                memcpy(tmp, rec, (size_t)len);
                memset(tmp + len, 'Z', 64); /* junk: must not matter */
                g = guard_copy(tmp, room);
                buf = g.rec;
            }
            wd_json_fields f;
            char err[128];
            size_t before = arena.len;
            assert_int_equal(wd_json_extract(j, buf, (size_t)len, room, "text",
                                             "id", &arena, &f, err, sizeof err),
                             0);
            assert_int_equal(f.text_off, before);
            assert_int_equal(f.text_len, n);
            assert_memory_equal(arena.data + f.text_off, text, n);
            char idtxt[32];
            snprintf(idtxt, sizeof idtxt, "%zu", n);
            assert_int_equal(f.id_len, strlen(idtxt));
            assert_memory_equal(arena.data + f.id_off, idtxt, f.id_len);
            if (heap) free(heap);
            else guard_free(&g);
        }
    }
    /* an error leaves the arena as it was */
    size_t before = arena.len;
    wd_json_fields f;
    char err[128];
    assert_int_equal(wd_json_extract(j, "{\"text\":1}", 10, 10, "text", "id",
                                     &arena, &f, err, sizeof err), -1);
    assert_int_equal(arena.len, before);
    wd_buf_free(&arena);
    wd_json_free(j);
}

/* Records larger than the parser's first capacity, and one large enough that
 * the parser gives its memory back afterwards; later small records still work. */
static void test_json_large_records(void **state)
{
    (void)state;
    wd_json *j = wd_json_new();
    assert_non_null(j);
    size_t sizes[] = {100000, 1000000, (size_t)17 << 20, 50};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        size_t len = n + 12;
        char *buf = malloc(len);
        assert_non_null(buf);
        memcpy(buf, "{\"text\":\"", 9);
        for (size_t i = 0; i < n; i++) buf[9 + i] = (char)('a' + i % 26);
        memcpy(buf + 9 + n, "\"}\n", 3);
        wd_buf arena = {0};
        wd_json_fields f;
        char err[128] = "";
        assert_int_equal(wd_json_extract(j, buf, len - 1, len, "text", "id",
                                         &arena, &f, err, sizeof err), 0);
        assert_int_equal(f.text_len, n);
        assert_memory_equal(arena.data, buf + 9, n);
        wd_buf_free(&arena);
        free(buf);
    }
    wd_json_free(j);
}

static void quote(const char *s, size_t n, char *out, size_t outlen)
{
    wd_buf b = {0};
    assert_int_equal(wd_json_quote(s, n, &b), 0);
    assert_true(b.len < outlen);
    memcpy(out, b.data, b.len);
    out[b.len] = 0;
    wd_buf_free(&b);
}

static void test_json_quote_exact(void **state)
{
    (void)state;
    char out[256];
    quote("", 0, out, sizeof out);
    assert_string_equal(out, "\"\"");
    quote("a\"b\\c/", 6, out, sizeof out);
    assert_string_equal(out, "\"a\\\"b\\\\c/\"");
    quote("\n\r\t\b\f\x01\x1f\x7f", 8, out, sizeof out);
    assert_string_equal(out, "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"");
    quote("\0x", 2, out, sizeof out);
    assert_string_equal(out, "\"\\u0000x\"");
    quote("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, out, sizeof out);
    assert_string_equal(out, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    /* invalid bytes: each one that starts no valid sequence is one U+FFFD */
    quote("a\xff" "b", 3, out, sizeof out);
    assert_string_equal(out, "\"a\\ufffdb\"");
    quote("\xc3", 1, out, sizeof out); /* truncated */
    assert_string_equal(out, "\"\\ufffd\"");
    quote("\xe2\x80!", 3, out, sizeof out); /* truncated: one per byte */
    assert_string_equal(out, "\"\\ufffd\\ufffd!\"");
    quote("\xc0\xaf", 2, out, sizeof out); /* overlong */
    assert_string_equal(out, "\"\\ufffd\\ufffd\"");
    quote("\xed\xa0\x80", 3, out, sizeof out); /* surrogate */
    assert_string_equal(out, "\"\\ufffd\\ufffd\\ufffd\"");
    quote("\xf4\x90\x80\x80", 4, out, sizeof out); /* above U+10FFFF */
    assert_string_equal(out, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    quote("\xe4\xb8\xad\x80\xe4\xb8\xad\n", 8, out, sizeof out); /* mixed */
    assert_string_equal(out, "\"\xe4\xb8\xad\\ufffd\xe4\xb8\xad\\n\"");
    /* appends after what the buffer already holds */
    wd_buf b = {0};
    assert_int_equal(wd_buf_reserve(&b, 3), 0);
    memcpy(b.data, "id:", 3);
    b.len = 3;
    assert_int_equal(wd_json_quote("x", 1, &b), 0);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "id:\"x\"", 6);
    wd_buf_free(&b);
}

/* Quote then parse gives back the string (invalid bytes as U+FFFD). Random
 * strings drawn from pieces that stress each escape and UTF-8 length. */
static void test_json_quote_roundtrip(void **state)
{
    (void)state;
    static const char *pieces[] = {
        "a", "Z", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x01",
        "\x1f", "\x7f", "\xc3\xa9", "\xe2\x80\x9c", "\xf0\x9f\x98\x80", "{}",
        "\\u00e9", "plain words here",
    };
    /* each ends with an ASCII byte so that no two can join into a valid
     * sequence ("\xc3" then "\x80" would) */
    static const char *bad[] = {"\xff.", "\xc3.", "\xe2\x80.", "\x80.",
                                "\xc0\xaf.", "\xed\xa0\x80."};
    static const size_t bad_fffd[] = {1, 1, 2, 1, 2, 3}; /* one per byte */
    wd_json *j = wd_json_new();
    assert_non_null(j);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (int iter = 0; iter < 2000; iter++) {
        char s[600], want[1200];
        size_t n = 0, wn = 0;
        int pieces_n = (int)(rng % 40);
        for (int p = 0; p < pieces_n; p++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(rng >> 33);
            if (iter % 2 && r % 9 == 0) { /* an invalid sequence */
                size_t k = (r / 9) % 6;
                size_t bl = strlen(bad[k]);
                memcpy(s + n, bad[k], bl);
                n += bl;
                for (size_t q = 0; q < bad_fffd[k]; q++) {
                    memcpy(want + wn, "\xef\xbf\xbd", 3);
                    wn += 3;
                }
                want[wn++] = '.';
                continue;
            }
            const char *pc = pieces[r % (sizeof pieces / sizeof *pieces)];
            size_t pl = strlen(pc);
            memcpy(s + n, pc, pl);
            memcpy(want + wn, pc, pl);
            n += pl;
            wn += pl;
        }
        if (iter % 5 == 0) { /* embedded NUL */
            s[n++] = 0;
            want[wn++] = 0;
        }
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;

        wd_buf rec = {0};
        assert_int_equal(wd_buf_reserve(&rec, 16), 0);
        memcpy(rec.data, "{\"text\":", 8);
        rec.len = 8;
        assert_int_equal(wd_json_quote(s, n, &rec), 0);
        assert_int_equal(wd_buf_reserve(&rec, rec.len + 1), 0);
        rec.data[rec.len++] = '}';

        wd_buf arena = {0};
        wd_json_fields f;
        char err[256] = "";
        int rc = wd_json_extract(j, rec.data, rec.len, rec.len, "text", "id",
                                 &arena, &f, err, sizeof err);
        if (rc != 0) fail_msg("iter %d: %s", iter, err);
        assert_int_equal(f.text_len, wn);
        if (wn) assert_memory_equal(arena.data + f.text_off, want, wn);
        wd_buf_free(&arena);
        wd_buf_free(&rec);
    }
    wd_json_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_final_newline),
        cmocka_unit_test(test_lines_no_final_newline),
        cmocka_unit_test(test_lines_crlf),
        cmocka_unit_test(test_lines_empty_records),
        cmocka_unit_test(test_nul_records),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_huge_single_line),
        cmocka_unit_test_setup_teardown(test_input_mmap, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_input_page_exact, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_input_empty_file, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_input_missing, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_input_directory, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_input_permission, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_input_fifo, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_input_stdin_pipe),
        cmocka_unit_test(test_input_empty_pipe),
        cmocka_unit_test(test_json_fields),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_numeric_id),
        cmocka_unit_test(test_json_absent_id),
        cmocka_unit_test(test_json_custom_fields),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_json_not_object),
        cmocka_unit_test(test_json_empty_record),
        cmocka_unit_test(test_json_missing_text),
        cmocka_unit_test(test_json_text_not_string),
        cmocka_unit_test(test_json_unpadded_and_padded),
        cmocka_unit_test(test_json_large_records),
        cmocka_unit_test(test_json_quote_exact),
        cmocka_unit_test(test_json_quote_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
