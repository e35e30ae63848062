/*
 * test_mask.c - boilerplate masking (src/text/mask.h). All texts are
 * written for this test.
 *
 *   - Built-in rules: each dateline, byline, credit, headline tag and
 *     trailer form is removed and the story around it kept; look-alikes
 *     in body text (hyphenated words, "By contrast", "copyright" in a
 *     sentence, a dateline-like line past the head window, a title that
 *     starts with "Copyright") are kept.
 *   - Windows: head_lines and tail_lines move what the rules see.
 *   - Rules files: every kind, comments; errors name FILE:LINE and keep
 *     none of the file's rules; a missing file.
 *   - Robustness: CRLF, NUL bytes, invalid UTF-8, no newline, empty
 *     input, long lines; the output is never longer than the input
 *     (random inputs); the program's locale does not change results;
 *     copies mask the same.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wiredup.h"
#include "text/mask.h"

static wd_mask_rules builtin;

static int setup(void **state)
{
    (void)state;
    if (wd_mask_rules_init(&builtin) || wd_mask_rules_builtin(&builtin)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_mask_rules_free(&builtin);
    return 0;
}

/* Runs of white space to one space, no space at the ends. */
static char *squash(const char *s, size_t n)
{
    char *o = malloc(n + 1), *p = o;
    assert_non_null(o);
    int sp = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            sp = 1;
            continue;
        }
        if (sp && p > o) *p++ = ' ';
        sp = 0;
        *p++ = c;
    }
    *p = '\0';
    return o;
}

/* Masks text with r and compares the squashed result with want. */
static void expect_r(const wd_mask_rules *r, const char *text, const char *want)
{
    wd_buf out = { 0 };
    size_t n = strlen(text);
    assert_int_equal(wd_mask(r, text, n, &out), WD_OK);
    assert_true(out.len <= n);
    char *got = squash(out.data, out.len);
    if (strcmp(got, want)) fail_msg("masking\n  %s\ngave\n  %s\nwant\n  %s", text, got, want);
    free(got);
    wd_buf_free(&out);
}

static void expect(const char *text, const char *want)
{
    expect_r(&builtin, text, want);
}

/* ---- built-in rules ---------------------------------------------------------- */

static void test_datelines(void **state)
{
    (void)state;
    expect("Bank holds rates\n\nSEOUL, March 18 (Yonhap) -- The central bank kept its rate.",
           "Bank holds rates The central bank kept its rate.");
    expect("Stocks up\n\nNEW YORK (Reuters) - Shares rose on Monday.", "Stocks up Shares rose on Monday.");
    expect("Judge rules\n\nNEW YORK, March 3 - A judge ruled for the city.", "Judge rules A judge ruled for the city.");
    expect("Port reopens\n\nKingston, March 11 (Reuters)\xe2\x80\x94Officials reopened the port.",
           "Port reopens Officials reopened the port.");
    expect("Council votes\n\nNew York - The council voted late.", "Council votes The council voted late.");
    expect("Plant sold\n\nANAHEIM, Calif., March 9 - The plant was sold.", "Plant sold The plant was sold.");
    expect("Talks\n\nStrasbourg, France \xe2\x80\x94 Talks resumed.", "Talks Talks resumed.");
    expect("Fares\n\nRio de Janeiro, Feb. 2 (Reuters) - Bus fares rose.", "Fares Bus fares rose.");
    expect("Rates\n\nLONDON, April 7- Rates fell.", "Rates Rates fell.");
    expect("Rates\n\nTHE HAGUE (AP) -- Rates fell.", "Rates Rates fell.");
    expect("Short\n\nPARIS (Reuters) -\nThe text starts on the next line.", "Short The text starts on the next line.");
}

static void test_dateline_lookalikes(void **state)
{
    (void)state;
    expect("Merger\n\nVereins- und Westbank AG said it would merge.",
           "Merger Vereins- und Westbank AG said it would merge.");
    expect("Imports\n\nFat- and oil-bearing imports rose.", "Imports Fat- and oil-bearing imports rose.");
    expect("Shares\n\nShares of Acme - the toy maker - fell.", "Shares Shares of Acme - the toy maker - fell.");
    expect("Note\n\nThe company said - in a filing - it would pay.",
           "Note The company said - in a filing - it would pay.");
    /* past the head window (5 non-blank lines): kept */
    expect("T\n\nOne.\n\nTwo.\n\nThree.\n\nFour.\n\nLONDON (Reuters) - Five.",
           "T One. Two. Three. Four. LONDON (Reuters) - Five.");
}

static void test_bylines_and_credits(void **state)
{
    (void)state;
    expect("Title\n\nBy Jane Doe\n\nThe story.", "Title The story.");
    expect("Title\n\nBy JANE DOE\n\nThe story.", "Title The story.");
    expect("Title\n\nBy Jane Doe and John Roe\n\nThe story.", "Title The story.");
    expect("Title\n\nBy Henry Hale | Reuters\n\nThe story.", "Title The story.");
    expect("Title\n\nJane Doe, Reuters\n\nThe story.", "Title The story.");
    expect("Title\n\nBy contrast, the bank held rates.", "Title By contrast, the bank held rates.");
    expect("Title\n\nBy March 3 the deal should close.", "Title By March 3 the deal should close.");
    expect("Oil rises (Reuters)\n\nOil rose.", "Oil rises Oil rose.");
    expect("Title\n\nOil rose (AP) on Monday.", "Title Oil rose on Monday.");
    /* Korean credit and reporter tag */
    expect("\xea\xb8\x88\xeb\xa6\xac\n\n(\xec\x84\x9c\xec\x9a\xb8=\xec\x97\xb0\xed\x95\xa9\xeb\x89\xb4\xec\x8a\xa4) "
           "\xed\x99\x8d\xea\xb8\xb8\xeb\x8f\x99 \xea\xb8\xb0\xec\x9e\x90 = \xea\xb8\x88\xeb\xa6\xac\xea\xb0\x80 "
           "\xec\x98\xac\xeb\x9e\x90\xeb\x8b\xa4.",
           "\xea\xb8\x88\xeb\xa6\xac \xea\xb8\x88\xeb\xa6\xac\xea\xb0\x80 \xec\x98\xac\xeb\x9e\x90\xeb\x8b\xa4.");
}

static void test_headline_tags(void **state)
{
    (void)state;
    expect("UPDATE 2-Acme sells unit\n\nAcme sold it.", "Acme sells unit Acme sold it.");
    expect("BRIEF-Acme sells unit\n\nAcme sold it.", "Acme sells unit Acme sold it.");
    expect("Breaking: Acme sells unit\n\nAcme sold it.", "Acme sells unit Acme sold it.");
    expect("Acme sells unit - Reuters\n\nAcme sold it.", "Acme sells unit Acme sold it.");
    expect("Acme sells unit | The Evening Gazette\n\nAcme sold it.", "Acme sells unit Acme sold it.");
    expect("Acme sells unit - report\n\nAcme sold it.", "Acme sells unit Acme sold it.");
}

static void test_trailers(void **state)
{
    (void)state;
    expect("T\n\nBody one.\nBody two.\n\nReporting by Ann Lee; Editing by Bo Chan", "T Body one. Body two.");
    expect("T\n\nBody.\n    (Reporting by Ann Lee in Oslo; Editing by Bo Chan)\n", "T Body.");
    expect("T\n\nBody.\n(c) Copyright Acme News 2024. Click For Restrictions", "T Body.");
    expect("T\n\nBody.\n\n\xc2\xa9 2024 Valley News. Content distributed by Acme.", "T Body.");
    expect("T\n\nBody.\n\nCopyright 2024 Acme. All rights reserved.", "T Body.");
    expect("T\n\nBody.\n\nRepublished with permission. Acme copyright 2024.", "T Body.");
    /* everything after the first trailer line goes, wrapped lines too */
    expect("T\n\nBody.\n\nRelated coverage: Acme buys Beta; Gamma posts\nyear loss\n\n(c) Copyright Acme",
           "T Body.");
    expect("T\n\nBody.\n\nReporting by Ann Lee; Additional reporting by Cy\nDee; Editing by Bo Chan\n\n"
           "Related coverage\n\n* Acme buys Beta\n\n* Gamma posts loss",
           "T Body.");
    expect("T\n\nBody.\n\nann.lee@example.com\n", "T Body.");
    expect("T\n\nBody.\nReuter\n", "T Body.");
    /* look-alikes */
    expect("T\n\nThe suit claims copyright infringement.\nIt was filed today.",
           "T The suit claims copyright infringement. It was filed today.");
    expect("Copyright law reform stalls\n\nLawmakers delayed the vote.",
           "Copyright law reform stalls Lawmakers delayed the vote.");
    /* a trailer-like line more than tail_lines (8) non-blank lines from the end stays */
    expect("T\nCopyright holders met.\n1\n2\n3\n4\n5\n6\n7\n8", "T Copyright holders met. 1 2 3 4 5 6 7 8");
}

static void test_windows(void **state)
{
    (void)state;
    /* The dateline rule sees the first 96 bytes of a line; there the line
     * goes on, so a hyphen at byte 96 is not "a dash at the end". */
    char line[256] = "T\n\nLONDONTOWN", want[512];
    for (int i = 0; i < 13; i++) strcat(line, ", Aaaa");
    strcat(line, ", Jan 3-");
    assert_int_equal(strlen(line) - 3, 96);
    snprintf(want, sizeof want, "T %sray results", line + 3);
    strcat(line, "ray results");
    expect(line, want);
    /* one place name less: "Jan 3- ray" inside the window is a dateline */
    strcpy(line, "T\n\nLONDONTOWN");
    for (int i = 0; i < 12; i++) strcat(line, ", Aaaa");
    strcat(line, ", Jan 3- ray results");
    expect(line, "T ray results");

    wd_mask_rules r;
    assert_int_equal(wd_mask_rules_copy(&builtin, &r), WD_OK);
    const char *late = "T\n\nOne.\n\nTwo.\n\nThree.\n\nFour.\n\nLONDON (Reuters) - Five.";
    r.head_lines = 6;
    expect_r(&r, late, "T One. Two. Three. Four. Five.");
    r.head_lines = 0;
    expect_r(&r, "T\n\nLONDON (Reuters) - Body.", "T LONDON (Reuters) - Body.");
    r.tail_lines = 9;
    expect_r(&r, "T\nCopyright holders met.\n1\n2\n3\n4\n5\n6\n7\n8", "T");
    r.tail_lines = 0;
    expect_r(&r, "T\n\nBody.\n(c) Copyright Acme", "T Body. (c) Copyright Acme");
    wd_mask_rules_free(&r);
}

/* ---- rules files -------------------------------------------------------------- */

static char *write_file(const char *text)
{
    char *path = strdup("/tmp/wd_test_mask_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_rules_file(void **state)
{
    (void)state;
    char *path = write_file("# house rules\n"
                            "\n"
                            "head ^WIRE SERVICE$\n"
                            "  tail ^--- end ---\n"
                            "line ^ADVERTISEMENT$\r\n"
                            "inline \\[photo[^]]*\\]\n"
                            "\t# indented comment\n");
    wd_mask_rules r;
    char err[256] = "";
    assert_int_equal(wd_mask_rules_init(&r), WD_OK);
    assert_int_equal(wd_mask_rules_load(path, &r, err, sizeof err), WD_OK);
    assert_int_equal(r.n, 4);
    expect_r(&r, "Title\nWIRE SERVICE\nBody [photo: a cat] one.\nADVERTISEMENT\nBody two.\n"
                 "1\n2\n3\n4\n5\n6\nADVERTISEMENT\nLast.\n--- end ---\nfooter",
             "Title Body one. Body two. 1 2 3 4 5 6 Last.");
    /* head rules only see the head window; line and inline rules every line */
    expect_r(&r, "a\nb\nc\nd\ne\nWIRE SERVICE\n[photo]", "a b c d e WIRE SERVICE");
    wd_mask_rules_free(&r);
    unlink(path);
    free(path);
}

static void check_bad_file(const char *text, const char *want_suffix)
{
    char *path = write_file(text);
    wd_mask_rules r;
    char err[512] = "";
    assert_int_equal(wd_mask_rules_init(&r), WD_OK);
    assert_int_equal(wd_mask_rules_add(&r, WD_MASK_INLINE, "keep me", err, sizeof err), WD_OK);
    assert_int_equal(wd_mask_rules_load(path, &r, err, sizeof err), WD_E_INVALID);
    assert_int_equal(r.n, 1); /* none of the file's rules kept */
    size_t pl = strlen(path);
    if (strncmp(err, path, pl) || !strstr(err + pl, want_suffix))
        fail_msg("error '%s' does not say '%s%s'", err, path, want_suffix);
    wd_mask_rules_free(&r);
    unlink(path);
    free(path);
}

static void test_rules_file_errors(void **state)
{
    (void)state;
    check_bad_file("head ^ok$\nhead (unclosed\n", ":2: bad pattern '(unclosed': ");
    check_bad_file("# c\nhead ^ok$\nfoo ^x\n", ":3: unknown rule kind 'foo' (expected head, tail, line or inline)");
    check_bad_file("tail\n", ":1: missing pattern after 'tail'");
    check_bad_file("inline   \n", ":1: missing pattern after 'inline'");
    check_bad_file("line a{2,1}\n", ":1: bad pattern 'a{2,1}'");
    wd_mask_rules r;
    char err[256] = "";
    assert_int_equal(wd_mask_rules_init(&r), WD_OK);
    assert_int_equal(wd_mask_rules_load("/nonexistent/rules.txt", &r, err, sizeof err), WD_E_INVALID);
    assert_non_null(strstr(err, "/nonexistent/rules.txt: cannot open: "));
    assert_int_equal(wd_mask_rules_add(&r, WD_MASK_HEAD, "[z-a]", err, sizeof err), WD_E_INVALID);
    assert_non_null(strstr(err, "bad pattern '[z-a]'"));
    assert_int_equal(wd_mask_rules_add(&r, (wd_mask_kind)9, "x", NULL, 0), WD_E_INVALID);
    wd_mask_rules_free(&r);
}

/* ---- robustness ------------------------------------------------------------------ */

static void test_odd_input(void **state)
{
    (void)state;
    expect("", "");
    expect("\n\n\n", "");
    expect("no newline at all", "no newline at all");
    expect("Title\r\n\r\nBy Jane Doe\r\n\r\nLONDON (Reuters) - Body.\r\n(c) Copyright Acme\r\n",
           "Title Body.");
    /* NUL bytes and invalid UTF-8 pass through */
    const char nul[] = "Title\n\nLONDON (Reuters) - A\0B \xff\xfe text.\n";
    wd_buf out = { 0 };
    assert_int_equal(wd_mask(&builtin, nul, sizeof nul - 1, &out), WD_OK);
    const char want[] = "Title\n\n A\0B \xff\xfe text.\n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.data, want, sizeof want - 1);
    /* no rules: a copy */
    wd_mask_rules none;
    assert_int_equal(wd_mask_rules_init(&none), WD_OK);
    assert_int_equal(wd_mask(&none, nul, sizeof nul - 1, &out), WD_OK);
    assert_int_equal(out.len, sizeof nul - 1);
    assert_memory_equal(out.data, nul, sizeof nul - 1);
    assert_int_equal(wd_mask(NULL, "abc", 3, &out), WD_OK);
    assert_int_equal(out.len, 3);
    wd_mask_rules_free(&none);
    /* a long unwrapped first paragraph: the dateline still goes */
    size_t n = 200000;
    char *big = malloc(n + 64);
    assert_non_null(big);
    strcpy(big, "T\n\nLONDON (Reuters) - ");
    size_t k = strlen(big);
    for (; k < n; k++) big[k] = k % 7 ? 'a' : ' ';
    strcpy(big + k, ".\nReporting by Ann Lee");
    assert_int_equal(wd_mask(&builtin, big, strlen(big), &out), WD_OK);
    assert_true(out.len == strlen(big) - strlen("LONDON (Reuters) - ") + 1 - strlen("Reporting by Ann Lee"));
    free(big);
    wd_buf_free(&out);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_random_inputs(void **state)
{
    (void)state;
    static const char *const bits[] = { "LONDON (Reuters) - ", "By Jane Doe", "\n", "\n\n", " ", "-",
                                        "(Reuters)", "Reporting by X", "(c) ", "\xc2\xa9", "\xe2\x80\x94",
                                        "word ", "Copyright ", "\r", "\xff", "|", " - Reuters", "=",
                                        "(\xec\x84\x9c\xec\x9a\xb8=\xec\x97\xb0\xed\x95\xa9)", "UPDATE 1-" };
    uint64_t rng = 3;
    wd_buf out = { 0 };
    char buf[4096];
    for (int it = 0; it < 3000; it++) {
        size_t n = 0, parts = rng_next(&rng) % 60;
        for (size_t p = 0; p < parts; p++) {
            const char *b = bits[rng_next(&rng) % (sizeof bits / sizeof bits[0])];
            size_t bl = strlen(b);
            if (n + bl >= sizeof buf) break;
            memcpy(buf + n, b, bl);
            n += bl;
        }
        assert_int_equal(wd_mask(&builtin, buf, n, &out), WD_OK);
        assert_true(out.len <= n);
    }
    wd_buf_free(&out);
}

static void test_locale_and_copy(void **state)
{
    (void)state;
    const char *text = "UPDATE 1-\xc3\x89lan buys Caf\xc3\xa9 | Gazette\n\nZ\xc3\x9cRICH, March 3 (Reuters) - "
                       "\xc3\x89lan bought it.\n\n\xc2\xa9 2024 Gazette.";
    wd_buf a = { 0 }, b = { 0 }, c = { 0 };
    assert_int_equal(wd_mask(&builtin, text, strlen(text), &a), WD_OK);
    char *got = squash(a.data, a.len);
    assert_string_equal(got, "\xc3\x89lan buys Caf\xc3\xa9 \xc3\x89lan bought it.");
    free(got);
    /* a UTF-8 locale in the program does not change the bytes rules see */
    if (setlocale(LC_ALL, "C.UTF-8")) {
        wd_mask_rules r;
        assert_int_equal(wd_mask_rules_init(&r), WD_OK);
        assert_int_equal(wd_mask_rules_builtin(&r), WD_OK);
        assert_int_equal(wd_mask(&r, text, strlen(text), &b), WD_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        wd_mask_rules_free(&r);
        setlocale(LC_ALL, "C");
    } else {
        print_message("C.UTF-8 locale not available: locale check skipped\n");
    }
    wd_mask_rules r2;
    assert_int_equal(wd_mask_rules_copy(&builtin, &r2), WD_OK);
    assert_int_equal(wd_mask(&r2, text, strlen(text), &c), WD_OK);
    assert_int_equal(a.len, c.len);
    assert_memory_equal(a.data, c.data, a.len);
    wd_mask_rules_free(&r2);
    wd_buf_free(&a);
    wd_buf_free(&b);
    wd_buf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datelines),
        cmocka_unit_test(test_dateline_lookalikes),
        cmocka_unit_test(test_bylines_and_credits),
        cmocka_unit_test(test_headline_tags),
        cmocka_unit_test(test_trailers),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_rules_file),
        cmocka_unit_test(test_rules_file_errors),
        cmocka_unit_test(test_odd_input),
        cmocka_unit_test(test_random_inputs),
        cmocka_unit_test(test_locale_and_copy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
