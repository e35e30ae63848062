/*
 * test_rewrite.c - the repairs before tokenizing (src/text/rewrite.c): long
 * numbers in groups of three, line-end hyphenation, HTML entities and tags.
 *
 * Known cases go through wd_normalize() and wd_normalize_slow() (which must
 * agree), from exact-size heap copies so ASan sees any read past the end.
 * wd_rewrite() is also checked against a plain byte-by-byte model of the
 * rules on random text made mostly of trigger bytes, which exercises the
 * sixteen-byte trigger scan at every offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/rewrite.h"
#include "text/text.h"
#include "text/text_internal.h"

static char *exact_copy(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

/* Normalizes s both ways, checks they agree and that the result is want. */
static void check_norm(const char *s, const char *want)
{
    size_t n = strlen(s);
    char *in = exact_copy(s, n);
    wd_buf fast = {0}, slow = {0};
    assert_int_equal(wd_normalize(in, n, &fast), WD_OK);
    assert_int_equal(wd_normalize_slow(in, n, &slow), WD_OK);
    assert_int_equal(fast.len, slow.len);
    assert_memory_equal(fast.data ? fast.data : "", slow.data ? slow.data : "", fast.len);
    if (fast.len != strlen(want) || memcmp(fast.data, want, fast.len))
        print_error("normalize(\"%s\"): got \"%.*s\", want \"%s\"\n", s, (int)fast.len,
                    fast.data ? fast.data : "", want);
    assert_int_equal(fast.len, strlen(want));
    assert_memory_equal(fast.data ? fast.data : "", want, fast.len);
    wd_buf_free(&fast);
    wd_buf_free(&slow);
    free(in);
}

static void test_numbers(void **state)
{
    (void)state;
    /* grouped and plain forms read the same */
    check_norm("1,250,000 dlrs", "1 250 000 dlrs");
    check_norm("1250000 dlrs", "1 250 000 dlrs");
    check_norm("25000", "25 000");
    check_norm("$1250.", "1 250");
    check_norm("(12345)", "12 345");
    check_norm("1,250 vs 1250", "1 250 vs 1 250");
    /* fewer than four digits, or part of a word: left alone */
    check_norm("7.125 pct", "7 125 pct");
    check_norm("999", "999");
    check_norm("A1234 1234b x12345y", "a1234 1234b x12345y");
    /* the split is from the right, whatever the length */
    check_norm("1234567890123", "1 234 567 890 123");
    check_norm("\xC3\xA9" "12345", "\xC3\xA9" "12 345");  /* a non-ASCII neighbour does not stop it */
}

static void test_hyphen(void **state)
{
    (void)state;
    check_norm("tele-\nvision", "television");
    check_norm("tele- \r\n  vision set", "television set");
    check_norm("a tele-\tvision", "a tele vision");     /* no newline */
    check_norm("well-known", "well known");               /* inside a line */
    check_norm("Anglo-\nAmerican", "anglo american");     /* a capital after it */
    check_norm("tele-\n\nvision", "tele vision");         /* a paragraph break */
    check_norm("1985-\nnext", "1 985 next");              /* no letter before it */
    check_norm("word -\nnext", "word next");
    check_norm("co-\nop-\neration", "cooperation");
    check_norm("end-\n", "end");
    check_norm("-\nabc", "abc");
}

static void test_html(void **state)
{
    (void)state;
    check_norm("AT&amp;T", "at t");
    check_norm("AT&T", "at t");
    check_norm("&quot;Yes,&quot; he said", "yes he said");
    check_norm("don&#39;t &#x44;on&#X27;t", "don t don t");
    check_norm("caf&#233; caf&#xE9;", "caf\xC3\xA9 caf\xC3\xA9");
    check_norm("e&#769;", "\xC3\xA9");                    /* composes after decoding */
    check_norm("&#0; &#55296; &#1114112; &#123456789; &#x;", "0 55 296 1 114 112 123 456 789 x");
    check_norm("&amp &AMP; &unknown;", "amp amp unknown");
    check_norm("<p>First.</p>\n<p>Second<br>third<br/>fourth<br />end</p>",
               "first second third fourth end");
    check_norm("Phillips Petroleum <P> and <BR>", "phillips petroleum p and br");
    check_norm("<pre> <b>", "pre b");
}

/* ---------------------------------------------------------------------------
 * Model: the rules written the obvious way, one position at a time
 * ------------------------------------------------------------------------- */
static int dig(int c) { return c >= '0' && c <= '9'; }
static int alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int blank(int c) { return c == ' ' || c == '\t' || c == '\r'; }

static int lit(const unsigned char *s, size_t i, size_t n, const char *w)
{
    size_t k = strlen(w);
    return i + k <= n && memcmp(s + i, w, k) == 0 ? (int)k : 0;
}

static size_t model(const unsigned char *s, size_t n, char *o)
{
    static const char *const words[] = {"&amp;", "&quot;", "&lt;", "&gt;", "&apos;", "&nbsp;",
                                        "<p>", "</p>", "<br>", "<br/>", "<br />"};
    size_t w = 0, i = 0;
    while (i < n) {
        if (dig(s[i]) && (i == 0 || !dig(s[i - 1]))) {
            size_t e = i;
            while (e < n && dig(s[e])) e++;
            int ok = e - i >= 4 && (i == 0 || !alpha(s[i - 1])) && (e == n || !alpha(s[e]));
            for (size_t k = i; k < e; k++) {
                o[w++] = (char)s[k];
                if (ok && k + 1 < e && (e - k - 1) % 3 == 0) o[w++] = ' ';
            }
            i = e;
            continue;
        }
        if (s[i] == '-' && i > 0 && alpha(s[i - 1])) {
            size_t j = i + 1;
            while (j < n && blank(s[j])) j++;
            if (j < n && s[j] == '\n') {
                j++;
                while (j < n && blank(s[j])) j++;
                if (j < n && s[j] >= 'a' && s[j] <= 'z') {
                    i = j;
                    continue;
                }
            }
        }
        int k = 0;
        for (size_t t = 0; t < sizeof words / sizeof *words && !k; t++) k = lit(s, i, n, words[t]);
        if (k) {
            o[w++] = ' ';
            i += (size_t)k;
            continue;
        }
        if (s[i] == '&' && i + 1 < n && s[i + 1] == '#') {
            size_t j = i + 2;
            int hex = j < n && (s[j] == 'x' || s[j] == 'X');
            unsigned long v = 0;
            size_t d = 0;
            for (j += (size_t)hex; j < n && d < 8; j++, d++) {
                int c = s[j];
                if (dig(c)) v = v * (hex ? 16 : 10) + (unsigned long)(c - '0');
                else if (hex && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
                    v = v * 16 + (unsigned long)((c | 0x20) - 'a' + 10);
                else break;
            }
            if (d && j < n && s[j] == ';' && v >= 1 && v <= 0x10FFFF &&
                !(v >= 0xD800 && v <= 0xDFFF)) {
                if (v < 0x80) {
                    o[w++] = (char)v;
                } else if (v < 0x800) {
                    o[w++] = (char)(0xC0 | v >> 6);
                    o[w++] = (char)(0x80 | (v & 0x3F));
                } else if (v < 0x10000) {
                    o[w++] = (char)(0xE0 | v >> 12);
                    o[w++] = (char)(0x80 | (v >> 6 & 0x3F));
                    o[w++] = (char)(0x80 | (v & 0x3F));
                } else {
                    o[w++] = (char)(0xF0 | v >> 18);
                    o[w++] = (char)(0x80 | (v >> 12 & 0x3F));
                    o[w++] = (char)(0x80 | (v >> 6 & 0x3F));
                    o[w++] = (char)(0x80 | (v & 0x3F));
                }
                i = j + 1;
                continue;
            }
        }
        o[w++] = (char)s[i++];
    }
    return w;
}

static uint64_t rng_state = 42;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void test_model(void **state)
{
    (void)state;
    /* pieces that make rules fire, half fire, or sit next to each other */
    static const char *const pieces[] = {
        "0", "1", "12", "1234", ",", ".", "-", "-\n", "- \r\n ", "\n", " ", "\t",
        "a", "B", "tele", "&", "&amp;", "&amp", "&#", "&#39;", "&#x41;", "&#0;", "&#x;",
        ";", "#", "x", "<", "<p>", "</p", "<br />", "<br/>", "<br", ">", "/", "p",
        "\xC3\xA9", "abc", "99999"};
    const size_t np = sizeof pieces / sizeof *pieces;
    char buf[512], want[1024];
    wd_buf out = {0};
    for (int round = 0; round < 20000; round++) {
        size_t n = 0, parts = (size_t)(rng() % 40);
        for (size_t k = 0; k < parts; k++) {
            const char *p = pieces[rng() % np];
            size_t l = strlen(p);
            if (n + l > sizeof buf) break;
            memcpy(buf + n, p, l);
            n += l;
        }
        char *in = exact_copy(buf, n);
        size_t wn = model((const unsigned char *)in, n, want);
        out.len = 0;
        int r = wd_rewrite(in, n, &out);
        assert_true(r == 0 || r == 1);
        const char *got = r ? out.data : in;
        size_t gn = r ? out.len : n;
        if (gn != wn || memcmp(got, want, wn))
            print_error("rewrite(\"%.*s\"): got \"%.*s\", want \"%.*s\"\n", (int)n, in, (int)gn,
                        got, (int)wn, want);
        assert_int_equal(gn, wn);
        assert_memory_equal(got, want, wn);
        assert_true(gn <= n + n / 3);
        if (r == 0) assert_memory_equal(in, want, n);  /* "nothing fired" is true */
        free(in);
    }
    wd_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_hyphen),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
