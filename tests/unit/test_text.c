/*
 * test_text.c - wd_normalize() and wd_shingles() (src/text).
 *
 * Every input is copied into a heap buffer of exactly its length, so that
 * AddressSanitizer (make test-san) reports any read past the end, e.g. while
 * decoding a sequence that is cut off by the end of the input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "text/text.h"
#include "text/text_internal.h"
#include "text/utf8.h"

/* ---------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------- */

/* Deterministic generator (splitmix64), so failures replay. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A malloc'd copy of exactly n bytes (NULL for n == 0). */
static char *exact_copy(const char *s, size_t n)
{
    if (n == 0) return NULL;
    char *p = malloc(n);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

/* Normalizes s[0..n) from an exact-size copy through both the fast and the
 * general path, checks that they agree, and returns a NUL-terminated copy of
 * the result (caller frees). */
static char *norm_n(const char *s, size_t n)
{
    char *in = exact_copy(s, n);
    wd_buf fast = {0}, slow = {0};
    assert_int_equal(wd_normalize(in, n, &fast), WD_OK);
    assert_int_equal(wd_normalize_slow(in, n, &slow), WD_OK);
    char *r = malloc(fast.len + 1);
    assert_non_null(r);
    if (fast.len) memcpy(r, fast.data, fast.len);
    r[fast.len] = '\0';
    char *r2 = malloc(slow.len + 1);
    assert_non_null(r2);
    if (slow.len) memcpy(r2, slow.data, slow.len);
    r2[slow.len] = '\0';
    assert_string_equal(r, r2);
    free(r2);
    wd_buf_free(&fast);
    wd_buf_free(&slow);
    free(in);
    return r;
}

static void check_norm_n(const char *s, size_t n, const char *want)
{
    char *got = norm_n(s, n);
    if (strcmp(got, want) != 0)
        print_error("normalize: got \"%s\", want \"%s\"\n", got, want);
    assert_string_equal(got, want);
    free(got);
}

static void check_norm(const char *s, const char *want)
{
    check_norm_n(s, strlen(s), want);
}

/* Shingles of raw text (normalized first). Returns the count; hashes in *v. */
static size_t shingles_of(const char *s, wd_shingle_kind kind, unsigned k,
                          uint64_t seed, wd_u64s *v)
{
    wd_buf b = {0};
    assert_int_equal(wd_normalize(s, strlen(s), &b), WD_OK);
    char *norm = exact_copy(b.data, b.len);
    assert_int_equal(wd_shingles(norm, b.len, kind, k, seed, v), WD_OK);
    free(norm);
    wd_buf_free(&b);
    return v->len;
}

static void assert_sorted_distinct(const wd_u64s *v)
{
    for (size_t i = 1; i < v->len; i++) assert_true(v->data[i - 1] < v->data[i]);
}

/* Checks the invariants every normalized output has. */
static void assert_well_formed(const char *s, size_t n)
{
    assert_true(wd_utf8_valid(s, n));
    if (n == 0) return;
    assert_true(s[0] != ' ');
    assert_true(s[n - 1] != ' ');
    for (size_t i = 1; i < n; i++) assert_false(s[i] == ' ' && s[i - 1] == ' ');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* ASCII that survives is a space, a lowercase letter or a digit. */
        if (c < 0x80)
            assert_true(c == ' ' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    }
}

/* ---------------------------------------------------------------------------
 * Decoder
 * ------------------------------------------------------------------------- */

static void test_utf8_decoder(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        int valid;
    } cases[] = {
        {"a", 1, 1},
        {"\xC3\xA9", 2, 1},               /* é */
        {"\xE2\x82\xAC", 3, 1},           /* € */
        {"\xF0\x9F\x98\x80", 4, 1},       /* U+1F600 */
        {"\xF4\x8F\xBF\xBF", 4, 1},       /* U+10FFFF */
        {"\xED\x9F\xBF", 3, 1},           /* U+D7FF, just below surrogates */
        {"\x80", 1, 0},                   /* lone continuation */
        {"\xC0\xAF", 2, 0},               /* overlong '/' */
        {"\xC1\xBF", 2, 0},               /* overlong */
        {"\xE0\x80\xAF", 3, 0},           /* overlong */
        {"\xF0\x80\x80\xAF", 4, 0},       /* overlong */
        {"\xED\xA0\x80", 3, 0},           /* U+D800 surrogate */
        {"\xED\xBF\xBF", 3, 0},           /* U+DFFF surrogate */
        {"\xF4\x90\x80\x80", 4, 0},       /* U+110000 */
        {"\xF5\x80\x80\x80", 4, 0},       /* never valid lead */
        {"\xFF", 1, 0},
        {"\xE4\xB8", 2, 0},               /* truncated */
        {"\xC3", 1, 0},                   /* truncated */
        {"\xF0\x9F\x98", 3, 0},           /* truncated */
        {"\xC3\x41", 2, 0},               /* bad continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = exact_copy(cases[i].s, cases[i].n);
        if (wd_utf8_valid(p, cases[i].n) != cases[i].valid)
            print_error("case %zu\n", i);
        assert_int_equal(wd_utf8_valid(p, cases[i].n), cases[i].valid);
        free(p);
    }
    int32_t cp = 0;
    assert_int_equal(wd_utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    char out[4];
    assert_int_equal(wd_utf8_encode(0x20AC, out), 3);
    assert_memory_equal(out, "\xE2\x82\xAC", 3);
    assert_int_equal(wd_utf8_count("a\xC3\xA9\xE2\x82\xAC", 6), 3);
    assert_int_equal(wd_utf8_count("\x80\x80", 2), 1);
}

/* ---------------------------------------------------------------------------
 * Normalization
 * ------------------------------------------------------------------------- */

static void test_ascii(void **state)
{
    (void)state;
    check_norm("Hello, World!  It's  THE end.", "hello world it s the end");
    check_norm("  leading and trailing\t\n", "leading and trailing");
    check_norm("snake_case-and.dots/2024", "snake case and dots 2 024");
    check_norm("ABCxyz0123456789", "abcxyz0123456789");
    check_norm("a", "a");
    check_norm("$100 @home #tag ~x", "100 home tag x");
}

static void test_unicode_folding(void **state)
{
    (void)state;
    /* Quotes, dashes and odd spaces are separators. */
    check_norm("\xE2\x80\x9CHello\xE2\x80\x9D\xE2\x80\x94world", "hello world");
    check_norm("it\xE2\x80\x99s \xE2\x80\x98quoted\xE2\x80\x99", "it s quoted");
    check_norm("a\xC2\xA0" "b\xE2\x80\x89" "c\xE2\x80\x93" "d\xE3\x80\x80" "e", "a b c d e");
    check_norm("\xC2\xAB" "guillemets\xC2\xBB \xE2\x80\xA6", "guillemets");
    /* NFKC: fullwidth letters, ligatures; case folding: sharp s. */
    check_norm("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3", "abc");              /* ＡＢＣ */
    check_norm("\xEF\xAC\x81", "fi");                                          /* ﬁ */
    check_norm("\xEF\xAC\x81nance", "finance");
    check_norm("Stra\xC3\x9F" "e", "strasse");                                 /* Straße */
    check_norm("STRASSE", "strasse");
    check_norm("\xE1\xBA\x9E", "ss");                                          /* ẞ */
    check_norm("\xCE\xA3\xCE\xBF\xCF\x86\xCE\xAF\xCE\xB1", "\xCF\x83\xCE\xBF\xCF\x86\xCE\xAF\xCE\xB1"); /* Σοφία */
    check_norm("\xE2\x84\xAA", "k");                                           /* Kelvin sign */
    check_norm("x\xC2\xB2", "x2");                                             /* superscript two */
    /* Precomposed and decomposed é are the same word. */
    check_norm("caf\xC3\xA9", "caf\xC3\xA9");
    check_norm("cafe\xCC\x81", "caf\xC3\xA9");
    check_norm("CAFE\xCC\x81", "caf\xC3\xA9");
    /* Default-ignorable code points vanish instead of splitting words. */
    check_norm("co\xC2\xAD" "operate", "cooperate");                           /* soft hyphen */
    check_norm("\xEF\xBB\xBF" "bom", "bom");                                   /* BOM */
    /* A composition that turns letters + mark into a symbol. */
    check_norm("a<\xCC\xB8" "b", "a b");                                       /* a≮b */
}

static void test_korean(void **state)
{
    (void)state;
    /* 서울에서 발표했다 */
    check_norm("\xEC\x84\x9C\xEC\x9A\xB8\xEC\x97\x90\xEC\x84\x9C "
               "\xEB\xB0\x9C\xED\x91\x9C\xED\x96\x88\xEB\x8B\xA4",
               "\xEC\x84\x9C \xEC\x9A\xB8 \xEC\x97\x90 \xEC\x84\x9C "
               "\xEB\xB0\x9C \xED\x91\x9C \xED\x96\x88 \xEB\x8B\xA4");
    /* Conjoining jamo compose back into the syllable: 한 = U+1112 U+1161 U+11AB */
    check_norm("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", "\xED\x95\x9C");
    /* Compatibility jamo ㄱㅏ compose to 가 under NFKC. */
    check_norm("\xE3\x84\xB1\xE3\x85\x8F", "\xEA\xB0\x80");
    /* Halfwidth jamo ﾡ (U+FFA1) is ㄱ: a lone jamo stays a token. */
    check_norm("\xEF\xBE\xA1", "\xE1\x84\x80");
    /* Korean next to Latin and digits. */
    check_norm("KOSPI\xEC\xA7\x80\xEC\x88\x98 2.5%", "kospi \xEC\xA7\x80 \xEC\x88\x98 2 5");
}

static void test_cjk(void **state)
{
    (void)state;
    /* 東京 Tokyo 2024年 */
    check_norm("\xE6\x9D\xB1\xE4\xBA\xAC Tokyo 2024\xE5\xB9\xB4",
               "\xE6\x9D\xB1 \xE4\xBA\xAC tokyo 2 024 \xE5\xB9\xB4");
    /* 日本語のテキスト。 : Han, Hiragana, Katakana each alone; 。 separates. */
    check_norm("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE"
               "\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88\xE3\x80\x82",
               "\xE6\x97\xA5 \xE6\x9C\xAC \xE8\xAA\x9E \xE3\x81\xAE "
               "\xE3\x83\x86 \xE3\x82\xAD \xE3\x82\xB9 \xE3\x83\x88");
    /* Halfwidth ｶﾞ becomes the fullwidth precomposed ガ. */
    check_norm("\xEF\xBD\xB6\xEF\xBE\x9E", "\xE3\x82\xAC");
    /* Decomposed が (か + U+3099) composes to one token. */
    check_norm("\xE3\x81\x8B\xE3\x82\x99", "\xE3\x81\x8C");
    /* Fullwidth digits inside Chinese. 中国ＧＤＰ增长５％ */
    check_norm("\xE4\xB8\xAD\xE5\x9B\xBD\xEF\xBC\xA7\xEF\xBC\xA4\xEF\xBC\xB0"
               "\xE5\xA2\x9E\xE9\x95\xBF\xEF\xBC\x95\xEF\xBC\x85",
               "\xE4\xB8\xAD \xE5\x9B\xBD gdp \xE5\xA2\x9E \xE9\x95\xBF 5");
    /* Ideographic comma and full stop are separators. */
    check_norm("\xE4\xB8\x80\xE3\x80\x81\xE4\xBA\x8C", "\xE4\xB8\x80 \xE4\xBA\x8C");
}

static void test_thai(void **state)
{
    (void)state;
    /* สวัสดี : marks U+0E31 and U+0E35 stay with their consonant. */
    check_norm("\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5",
               "\xE0\xB8\xAA \xE0\xB8\xA7\xE0\xB8\xB1 \xE0\xB8\xAA \xE0\xB8\x94\xE0\xB8\xB5");
    /* ที่ : consonant + two marks is one token. */
    check_norm("\xE0\xB8\x97\xE0\xB8\xB5\xE0\xB9\x88", "\xE0\xB8\x97\xE0\xB8\xB5\xE0\xB9\x88");
    /* Thai then Latin: separate tokens even without a space. */
    check_norm("\xE0\xB8\x81" "abc", "\xE0\xB8\x81 abc");
}

static void test_marks(void **state)
{
    (void)state;
    /* A mark with no token before it starts one; marks never vanish. */
    check_norm("\xCC\x81" "a", "\xCC\x81" "a");
    check_norm("x \xCC\x81", "x \xCC\x81");
    /* Canonical ordering: dot-below and acute in either order are equal. */
    char *a = norm_n("q\xCC\x81\xCC\xA3", 5);
    char *b = norm_n("q\xCC\xA3\xCC\x81", 5);
    assert_string_equal(a, b);
    assert_string_equal(a, "q\xCC\xA3\xCC\x81");
    free(a);
    free(b);
    /* Composition through a reordered mark: ệ from e + U+0302 + U+0323. */
    check_norm("e\xCC\x82\xCC\xA3", "\xE1\xBB\x87");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        const char *want;
    } cases[] = {
        {"ab\x80" "cd", 5, "ab cd"},                  /* lone continuation */
        {"ab\xC0\xAF" "cd", 6, "ab cd"},              /* overlong '/' */
        {"ab\xE0\x80\xAF" "cd", 7, "ab cd"},          /* overlong, 3 bytes */
        {"ab\xED\xA0\x80" "cd", 7, "ab cd"},          /* surrogate U+D800 */
        {"ab\xF4\x90\x80\x80" "cd", 8, "ab cd"},      /* above U+10FFFF */
        {"ab\xF5\x80" "cd", 6, "ab cd"},              /* F5 lead */
        {"ab\xFE\xFF" "cd", 6, "ab cd"},
        {"ab\xE4\xB8", 4, "ab"},                      /* truncated at end */
        {"\xE4\xB8", 2, ""},
        {"ab\xF0\x9F\x98", 5, "ab"},                  /* truncated 4-byte */
        {"\xC3", 1, ""},
        {"ab\xE4\xB8" "cd", 6, "ab cd"},              /* truncated mid-text */
        {"ab\0cd", 5, "ab cd"},                       /* embedded NUL */
        {"\0\0\0", 3, ""},
        {"caf\xC3\xA9\xC3", 6, "caf\xC3\xA9"},       /* valid then truncated */
        {"e\x80\xCC\x81", 4, "e \xCC\x81"},          /* an invalid byte blocks composition */
        {"\xE6\x9D\xB1\xFF\xE4\xBA\xAC", 7, "\xE6\x9D\xB1 \xE4\xBA\xAC"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = norm_n(cases[i].s, cases[i].n);
        if (strcmp(got, cases[i].want) != 0)
            print_error("invalid case %zu: got \"%s\"\n", i, got);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

static void test_empty(void **state)
{
    (void)state;
    wd_buf b = {0};
    assert_int_equal(wd_normalize(NULL, 0, &b), WD_OK);
    assert_int_equal(b.len, 0);
    check_norm("", "");
    check_norm("   \t\r\n", "");
    check_norm("!?.,;:--()[]{}<>\"'", "");
    check_norm("\xE2\x80\x94\xC2\xA0\xE2\x80\x9C\xE2\x80\x9D\xE3\x80\x82", "");
    /* A previous result is discarded, not appended to. */
    assert_int_equal(wd_normalize("abc", 3, &b), WD_OK);
    assert_int_equal(wd_normalize("...", 3, &b), WD_OK);
    assert_int_equal(b.len, 0);
    wd_buf_free(&b);

    wd_u64s v = {0};
    assert_int_equal(wd_shingles(NULL, 0, WD_SHINGLE_WORD, 5, 1, &v), WD_OK);
    assert_int_equal(v.len, 0);
    assert_int_equal(wd_shingles(NULL, 0, WD_SHINGLE_CHAR, 5, 1, &v), WD_OK);
    assert_int_equal(v.len, 0);
    assert_int_equal(shingles_of(" ... ", WD_SHINGLE_WORD, 5, 1, &v), 0);
    wd_u64s_free(&v);
}

/* A long expansion (U+FDFA gives 18 code points) forces the code point
 * scratch to grow in the middle of a run; NBSP (not ASCII, so the run goes
 * on) keeps the copies apart. */
static void test_long_expansion(void **state)
{
    (void)state;
    const char *one = "\xEF\xB7\xBA\xC2\xA0";  /* ﷺ NBSP */
    char *want1 = norm_n(one, 5);
    size_t l1 = strlen(want1);
    assert_true(l1 > 20);
    size_t reps = 3000;
    char *in = malloc(5 * reps);
    assert_non_null(in);
    for (size_t i = 0; i < reps; i++) memcpy(in + 5 * i, one, 5);
    wd_buf b = {0};
    assert_int_equal(wd_normalize(in, 5 * reps, &b), WD_OK);
    assert_int_equal(b.len, reps * (l1 + 1) - 1);
    for (size_t i = 0; i < reps; i++) {
        assert_memory_equal(b.data + i * (l1 + 1), want1, l1);
        if (i + 1 < reps) assert_int_equal(b.data[i * (l1 + 1) + l1], ' ');
    }
    wd_buf_free(&b);
    free(in);
    free(want1);
}

/* The ASCII fast path must give exactly what utf8proc gives. */
static void test_fast_equals_slow_ascii(void **state)
{
    (void)state;
    rng_state = 42;
    wd_buf fast = {0}, slow = {0};
    for (int it = 0; it < 2000; it++) {
        size_t n = (size_t)(rng() % 200);
        char *s = malloc(n ? n : 1);
        assert_non_null(s);
        for (size_t i = 0; i < n; i++) {
            /* Bias towards letters and spaces so words form. */
            uint64_t r = rng();
            s[i] = (r & 3) ? (char)("aZ 9q.X"[(r >> 2) % 7]) : (char)((r >> 8) & 0x7F);
        }
        assert_int_equal(wd_normalize(s, n, &fast), WD_OK);
        assert_int_equal(wd_normalize_slow(s, n, &slow), WD_OK);
        assert_int_equal(fast.len, slow.len);
        if (fast.len) assert_memory_equal(fast.data, slow.data, fast.len);
        free(s);
    }
    wd_buf_free(&fast);
    wd_buf_free(&slow);
}

/* Pieces for random Unicode text: ASCII, marks, compositions, scripts,
 * compatibility forms and invalid bytes. */
static const char *const pieces[] = {
    "a", "E", "z", "<", "=", " ", ".", "\t", "0", "\0",
    "\xCC\x81", "\xCC\xA3", "\xCC\x82", "\xCC\xB8", "\xCD\x85",       /* marks */
    "\xC3\xA9", "\xC3\x85", "\xC3\x9F", "\xE1\xBA\x9E", "\xC4\xB0",   /* é Å ß ẞ İ */
    "\xCE\xA3", "\xCF\x82", "\xE2\x84\xAA", "\xE2\x84\xAB",           /* Σ ς K Å */
    "\xEF\xAC\x81", "\xEF\xBC\xA1", "\xEF\xBC\x90", "\xEF\xB7\xBA",   /* ﬁ Ａ ０ ﷺ */
    "\xEA\xB0\x80", "\xE1\x84\x80", "\xE1\x85\xA1", "\xE1\x86\xA8",   /* 가 ᄀ ᅡ ᆨ */
    "\xE3\x84\xB1", "\xEF\xBE\xA1",                                   /* ㄱ ﾡ */
    "\xE6\x9D\xB1", "\xE3\x81\x8B", "\xE3\x82\x99", "\xEF\xBD\xB6",   /* 東 か ゙ ｶ */
    "\xEF\xBE\x9E", "\xE3\x83\xBC",                                   /* ﾞ ー */
    "\xE0\xB8\x81", "\xE0\xB8\xB5", "\xE0\xB9\x88", "\xE0\xB8\xB3",   /* Thai */
    "\xC2\xA0", "\xE2\x80\x94", "\xE2\x80\x9C", "\xC2\xAD",           /* NBSP — “ SHY */
    "\xE2\x80\x8D", "\xEF\xB8\x8F", "\xF0\x9F\x98\x80",               /* ZWJ VS16 emoji */
    "\xEA\xB0\x81", "\xE3\x84\xB3", "\xEF\xBE\xA3", "\xE1\x86\xA7",   /* 각 ㄳ ﾣ U+11A7 */
    "\xE2\x80\x8B", "\xE3\x80\x82", "\xEF\xBC\x8C", "\xE0\xB8\xB1",   /* ZWSP 。 ， Thai mark */
    "\xF0\xA0\x80\x80", "\xF0\x9D\x90\x80", "\xF0\xAF\xA0\x80",       /* U+20000, bold A, compat ideograph */
    "\x80", "\xC0", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE4\xB8", "\xFF",
};

static size_t random_unicode(char *buf, size_t max)
{
    size_t n = 0, count = (size_t)(rng() % 40);
    for (size_t i = 0; i < count; i++) {
        const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
        size_t l = p[0] ? strlen(p) : 1;
        if (n + l > max) break;
        memcpy(buf + n, p, l);
        n += l;
    }
    return n;
}

/* Cutting the input into fast and general runs must not change anything,
 * and normalizing is idempotent. */
static void test_fast_equals_slow_unicode(void **state)
{
    (void)state;
    rng_state = 7;
    char tmp[256];
    wd_buf fast = {0}, slow = {0}, again = {0};
    for (int it = 0; it < 3000; it++) {
        size_t n = random_unicode(tmp, sizeof tmp);
        char *s = exact_copy(tmp, n);
        assert_int_equal(wd_normalize(s, n, &fast), WD_OK);
        assert_int_equal(wd_normalize_slow(s, n, &slow), WD_OK);
        assert_int_equal(fast.len, slow.len);
        if (fast.len) assert_memory_equal(fast.data, slow.data, fast.len);
        assert_well_formed(fast.data, fast.len);
        char *f = exact_copy(fast.data, fast.len);
        assert_int_equal(wd_normalize(f, fast.len, &again), WD_OK);
        assert_int_equal(again.len, fast.len);
        if (fast.len) assert_memory_equal(again.data, fast.data, fast.len);
        free(f);
        free(s);
    }
    wd_buf_free(&fast);
    wd_buf_free(&slow);
    wd_buf_free(&again);
}

/* Every BMP code point, alone and next to what could compose or reorder with
 * it, gives the same through the shortcuts (ASCII table, stable code points
 * copied as they are) as through utf8proc alone. */
static void test_every_bmp_code_point(void **state)
{
    (void)state;
    static const char *const after[] = {
        "", "\xCC\x81", "\xCC\xA3", "\xE3\x82\x99", "\xE1\x86\xA8", "\xE1\x85\xA1",
        "\xE3\x84\xB3", "\xE2\x80\x8B\xE1\x86\xA8", "\xCC\xB8", "x",
    };
    wd_buf fast = {0}, slow = {0};
    char in[32];
    for (int32_t cp = 1; cp < 0x10000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        for (size_t a = 0; a < sizeof after / sizeof after[0]; a++) {
            if (a > 0 && cp % 7 != 0 && !(cp >= 0xAC00 && cp <= 0xD7A3 && (cp - 0xAC00) % 28 == 0) &&
                !(cp >= 0x1100 && cp <= 0x11FF) && !(cp >= 0x3000 && cp <= 0x30FF))
                continue;  /* the neighbours for a sample (and all of Hangul/Kana) */
            size_t n = 0;
            in[n++] = 'e';
            n += (size_t)wd_utf8_encode(cp, in + n);
            size_t l = strlen(after[a]);
            memcpy(in + n, after[a], l);
            n += l;
            assert_int_equal(wd_normalize(in, n, &fast), WD_OK);
            assert_int_equal(wd_normalize_slow(in, n, &slow), WD_OK);
            if (fast.len != slow.len || (fast.len && memcmp(fast.data, slow.data, fast.len)))
                print_error("U+%04X + after[%zu]\n", (unsigned)cp, a);
            assert_int_equal(fast.len, slow.len);
            if (fast.len) assert_memory_equal(fast.data, slow.data, fast.len);
        }
    }
    wd_buf_free(&fast);
    wd_buf_free(&slow);
}

/* Random bytes: never fails, output always well formed, shingles fine too. */
static void test_random_bytes(void **state)
{
    (void)state;
    rng_state = 12345;
    wd_buf b = {0};
    wd_u64s v = {0};
    for (int it = 0; it < 1000; it++) {
        size_t n = (size_t)(rng() % 300);
        char *s = malloc(n ? n : 1);
        assert_non_null(s);
        int mode = it % 3;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rng();
            if (mode == 0) s[i] = (char)r;                           /* uniform bytes */
            else if (mode == 1) s[i] = (char)(0x80 | (r & 0x7F));    /* high bytes */
            else s[i] = (char)((r & 1) ? "\xE4\xB8\xAD a\xCC"[(r >> 1) % 7] : (char)(r >> 8));
        }
        assert_int_equal(wd_normalize(s, n, &b), WD_OK);
        assert_well_formed(b.data, b.len);
        /* Raw bytes are not normalized text, but shingling them is safe. */
        assert_int_equal(wd_shingles(s, n, WD_SHINGLE_WORD, 3, 9, &v), WD_OK);
        assert_sorted_distinct(&v);
        assert_int_equal(wd_shingles(s, n, WD_SHINGLE_CHAR, 4, 9, &v), WD_OK);
        assert_sorted_distinct(&v);
        free(s);
    }
    wd_buf_free(&b);
    wd_u64s_free(&v);
}

/* ---------------------------------------------------------------------------
 * Shingles
 * ------------------------------------------------------------------------- */

static void test_word_shingle_counts(void **state)
{
    (void)state;
    wd_u64s v = {0};
    assert_int_equal(shingles_of("a b c d e f", WD_SHINGLE_WORD, 5, 1, &v), 2);
    assert_int_equal(shingles_of("a b c d e", WD_SHINGLE_WORD, 5, 1, &v), 1);
    assert_int_equal(shingles_of("a b c", WD_SHINGLE_WORD, 5, 1, &v), 1);
    assert_int_equal(shingles_of("a", WD_SHINGLE_WORD, 5, 1, &v), 1);
    assert_int_equal(shingles_of("a b c d e f g h i j", WD_SHINGLE_WORD, 1, 1, &v), 10);
    /* Repeats: "a b", "b a" only. */
    assert_int_equal(shingles_of("a b a b a b", WD_SHINGLE_WORD, 2, 1, &v), 2);
    assert_int_equal(shingles_of("x x x x x x x x", WD_SHINGLE_WORD, 3, 1, &v), 1);
    /* CJK characters are tokens: 東京大学 has 3 word 2-shingles. */
    assert_int_equal(shingles_of("\xE6\x9D\xB1\xE4\xBA\xAC\xE5\xA4\xA7\xE5\xAD\xA6",
                                 WD_SHINGLE_WORD, 2, 1, &v), 3);
    wd_u64s_free(&v);
}

/* The word shingle hash of text.h, written plainly from its definition
 * (byte by byte, no shared code with src/text), so the tests pin it. */
static uint64_t model_splitmix(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

typedef struct model_keys {
    uint64_t k0, k1, m[64];
} model_keys;

static model_keys model_keys_of(uint64_t seed)
{
    model_keys K;
    uint64_t st = seed ^ 0x7368696e676c65u;
    K.k0 = model_splitmix(&st);
    K.k1 = model_splitmix(&st);
    for (int i = 0; i < 64; i++) K.m[i] = model_splitmix(&st) | 1;
    return K;
}

static uint64_t model_token(const char *t, size_t len, uint64_t seed)
{
    if (len > 16) return XXH3_64bits_withSeed(t, len, seed);
    model_keys K = model_keys_of(seed);
    uint64_t lo = 0, hi = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t byte = (unsigned char)t[i];
        if (i < 8) lo |= byte << (8 * i);
        else hi |= byte << (8 * (i - 8));
    }
    unsigned __int128 p = (unsigned __int128)(lo ^ K.k0) * (hi ^ (K.k1 + len));
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}

static uint64_t model_shingle(const uint64_t *th, size_t k, uint64_t seed)
{
    model_keys K = model_keys_of(seed);
    uint64_t h = 0;
    for (size_t i = 0; i < k; i++) h += th[i] * K.m[i];
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

static void test_word_shingle_values(void **state)
{
    (void)state;
    /* Pins the definition of text.h against the model above. */
    uint64_t seed = 99;
    uint64_t h[3] = {
        model_token("ab", 2, seed),
        model_token("c", 1, seed),
        model_token("d", 1, seed),
    };
    uint64_t s0 = model_shingle(h, 2, seed);
    uint64_t s1 = model_shingle(h + 1, 2, seed);
    uint64_t all = model_shingle(h, 3, seed);
    /* The pieces the library exposes for tests agree with the model. */
    assert_true(wd_token_hash("ab", 2, seed) == h[0]);
    assert_true(wd_shingle_combine(h, 3, seed) == all);
    /* Every token length, up to and past the 16-byte path. */
    const char *word = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t len = 1; len <= 36; len++) {
        char *t = exact_copy(word, len);  /* exact size: no read past it */
        assert_true(wd_token_hash(t, len, seed) == model_token(t, len, seed));
        free(t);
    }
    wd_u64s v = {0};
    assert_int_equal(wd_shingles("ab c d", 6, WD_SHINGLE_WORD, 2, seed, &v), WD_OK);
    assert_int_equal(v.len, 2);
    assert_true(v.data[0] == (s0 < s1 ? s0 : s1));
    assert_true(v.data[1] == (s0 < s1 ? s1 : s0));
    /* Fewer tokens than k: one shingle of them all. */
    assert_int_equal(wd_shingles("ab c d", 6, WD_SHINGLE_WORD, 4, seed, &v), WD_OK);
    assert_int_equal(v.len, 1);
    assert_true(v.data[0] == all);
    /* Stray spaces do not make empty tokens. */
    assert_int_equal(wd_shingles("  ab   c d ", 11, WD_SHINGLE_WORD, 4, seed, &v), WD_OK);
    assert_int_equal(v.len, 1);
    assert_true(v.data[0] == all);
    wd_u64s_free(&v);
}

static void test_char_shingles(void **state)
{
    (void)state;
    wd_u64s v = {0};
    uint64_t seed = 5;
    assert_int_equal(wd_shingles("abcdef", 6, WD_SHINGLE_CHAR, 3, seed, &v), WD_OK);
    assert_int_equal(v.len, 4);
    assert_sorted_distinct(&v);
    int found = 0;
    for (size_t i = 0; i < v.len; i++) found += v.data[i] == XXH3_64bits_withSeed("cde", 3, seed);
    assert_int_equal(found, 1);
    /* Shorter than k: one shingle of the whole text. */
    assert_int_equal(wd_shingles("ab", 2, WD_SHINGLE_CHAR, 3, seed, &v), WD_OK);
    assert_int_equal(v.len, 1);
    assert_true(v.data[0] == XXH3_64bits_withSeed("ab", 2, seed));
    /* Exactly k. */
    assert_int_equal(wd_shingles("abc", 3, WD_SHINGLE_CHAR, 3, seed, &v), WD_OK);
    assert_int_equal(v.len, 1);
    /* Repeats collapse. */
    assert_int_equal(wd_shingles("aaaaaa", 6, WD_SHINGLE_CHAR, 2, seed, &v), WD_OK);
    assert_int_equal(v.len, 1);
    /* Spaces count; code points, not bytes: "東 京" is 3 code points. */
    const char *jp = "\xE6\x9D\xB1 \xE4\xBA\xAC";
    assert_int_equal(wd_shingles(jp, 7, WD_SHINGLE_CHAR, 2, seed, &v), WD_OK);
    assert_int_equal(v.len, 2);
    uint64_t a = XXH3_64bits_withSeed(jp, 4, seed), b = XXH3_64bits_withSeed(jp + 3, 4, seed);
    assert_true(v.data[0] == (a < b ? a : b));
    assert_true(v.data[1] == (a < b ? b : a));
    /* One two-byte code point among ASCII. */
    assert_int_equal(wd_shingles("x\xC3\xA9y", 4, WD_SHINGLE_CHAR, 2, seed, &v), WD_OK);
    assert_int_equal(v.len, 2);
    a = XXH3_64bits_withSeed("x\xC3\xA9", 3, seed);
    b = XXH3_64bits_withSeed("\xC3\xA9y", 3, seed);
    assert_true(v.data[0] == (a < b ? a : b));
    assert_true(v.data[1] == (a < b ? b : a));
    assert_int_equal(wd_shingles(jp, 7, WD_SHINGLE_CHAR, 3, seed, &v), WD_OK);
    assert_int_equal(v.len, 1);
    assert_true(v.data[0] == XXH3_64bits_withSeed(jp, 7, seed));
    wd_u64s_free(&v);
}

static void test_shingle_args(void **state)
{
    (void)state;
    wd_u64s v = {0};
    assert_int_equal(wd_shingles("a b", 3, WD_SHINGLE_WORD, 0, 1, &v), WD_E_INVALID);
    assert_int_equal(wd_shingles("a b", 3, WD_SHINGLE_CHAR, 0, 1, &v), WD_E_INVALID);
    assert_int_equal(wd_shingles("a b", 3, (wd_shingle_kind)7, 2, 1, &v), WD_E_INVALID);
    assert_int_equal(v.len, 0);
    wd_u64s_free(&v);
}

static void test_seed_and_determinism(void **state)
{
    (void)state;
    const char *text = "the quick brown fox jumps over the lazy dog again and again";
    wd_u64s a = {0}, b = {0}, c = {0};
    shingles_of(text, WD_SHINGLE_WORD, 3, 1, &a);
    shingles_of(text, WD_SHINGLE_WORD, 3, 1, &b);
    shingles_of(text, WD_SHINGLE_WORD, 3, 2, &c);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len * sizeof *a.data);
    assert_int_equal(a.len, c.len);
    size_t shared = 0;
    for (size_t i = 0; i < a.len; i++)
        for (size_t j = 0; j < c.len; j++) shared += a.data[i] == c.data[j];
    assert_int_equal(shared, 0);
    shingles_of(text, WD_SHINGLE_CHAR, 5, 1, &a);
    shingles_of(text, WD_SHINGLE_CHAR, 5, 2, &c);
    assert_true(a.len > 0 && a.len == c.len);
    assert_true(memcmp(a.data, c.data, a.len * sizeof *a.data) != 0);
    wd_u64s_free(&a);
    wd_u64s_free(&b);
    wd_u64s_free(&c);
}

/* Punctuation, case, quote style and spacing never change a shingle. */
static void test_punctuation_invariance(void **state)
{
    (void)state;
    const char *x = "\xE2\x80\x9CWe don\xE2\x80\x99t expect a recession,\xE2\x80\x9D "
                    "the minister said \xE2\x80\x94 again.";
    const char *y = "\"we  DON'T expect a recession\" the Minister said - again";
    for (int kind = 0; kind < 2; kind++) {
        wd_u64s a = {0}, b = {0};
        shingles_of(x, (wd_shingle_kind)kind, 4, 3, &a);
        shingles_of(y, (wd_shingle_kind)kind, 4, 3, &b);
        assert_true(a.len > 3);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len * sizeof *a.data);
        wd_u64s_free(&a);
        wd_u64s_free(&b);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Character shingles, written plainly: code points start at byte 0 and at
 * every byte that is not 10xxxxxx; hash every k consecutive ones. */
static size_t model_char_shingles(const char *s, size_t n, unsigned k, uint64_t seed,
                                  uint64_t **out)
{
    size_t *st = malloc((n + 1) * sizeof *st), c = 0;
    uint64_t *sh = malloc((n + 1) * sizeof *sh);
    assert_true(st && sh);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ((unsigned char)s[i] & 0xC0) != 0x80) st[c++] = i;
    st[c] = n;
    size_t m = 0;
    if (c > 0 && c < k) sh[m++] = XXH3_64bits_withSeed(s, n, seed);
    for (size_t j = 0; c >= k && j + k <= c; j++)
        sh[m++] = XXH3_64bits_withSeed(s + st[j], st[j + k] - st[j], seed);
    qsort(sh, m, sizeof *sh, cmp_u64);
    size_t u = 0;
    for (size_t j = 0; j < m; j++)
        if (u == 0 || sh[u - 1] != sh[j]) sh[u++] = sh[j];
    free(st);
    *out = sh;
    return u;
}

/* wd_shingle_set() holds the same values as wd_shingles(), each once, in
 * some order. */
static void check_set_matches(const char *s, size_t n, wd_shingle_kind kind, unsigned k,
                              uint64_t seed, const uint64_t *want, size_t m)
{
    wd_u64s set = {0};
    assert_int_equal(wd_shingle_set(s, n, kind, k, seed, &set), WD_OK);
    assert_int_equal(set.len, m);
    uint64_t *c = malloc((m + 1) * sizeof *c);
    assert_non_null(c);
    if (m) memcpy(c, set.data, m * sizeof *c);
    qsort(c, m, sizeof *c, cmp_u64);
    if (m) assert_memory_equal(c, want, m * sizeof *c);
    free(c);
    wd_u64s_free(&set);
}

static void test_char_shingles_model(void **state)
{
    (void)state;
    rng_state = 1234;
    wd_u64s v = {0};
    char tmp[256];
    for (int it = 0; it < 600; it++) {
        size_t n;
        if (it % 3 == 0) {          /* ASCII only: the one-byte fast path */
            n = (size_t)(rng() % 200);
            for (size_t i = 0; i < n; i++) tmp[i] = "ab c"[rng() % 4];
        } else {
            n = random_unicode(tmp, sizeof tmp);
        }
        char *s = exact_copy(tmp, n);
        unsigned k = (unsigned)(rng() % 8) + 1;
        uint64_t seed = rng(), *want;
        size_t m = model_char_shingles(s, n, k, seed, &want);
        assert_int_equal(wd_shingles(s, n, WD_SHINGLE_CHAR, k, seed, &v), WD_OK);
        assert_int_equal(v.len, m);
        if (m) assert_memory_equal(v.data, want, m * sizeof *want);
        check_set_matches(s, n, WD_SHINGLE_CHAR, k, seed, want, m);
        free(want);
        free(s);
    }
    wd_u64s_free(&v);
}

/* The definition of word shingles, written plainly: split on ' ', hash each
 * token, hash each k consecutive token hashes, sort, drop repeats. */
static size_t model_word_shingles(const char *s, size_t n, unsigned k, uint64_t seed,
                                  uint64_t **out)
{
    uint64_t *h = malloc((n / 2 + 2) * sizeof *h);
    assert_non_null(h);
    size_t t = 0, i = 0;
    while (i < n) {
        if (s[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && s[j] != ' ') j++;
        h[t++] = model_token(s + i, j - i, seed);
        i = j;
    }
    size_t m = 0;
    uint64_t *sh = malloc((t + 1) * sizeof *sh);
    assert_non_null(sh);
    if (t > 0 && t < k) sh[m++] = model_shingle(h, t, seed);
    for (size_t j = 0; t >= k && j + k <= t; j++) sh[m++] = model_shingle(h + j, k, seed);
    qsort(sh, m, sizeof *sh, cmp_u64);
    size_t u = 0;
    for (size_t j = 0; j < m; j++)
        if (u == 0 || sh[u - 1] != sh[j]) sh[u++] = sh[j];
    free(h);
    *out = sh;
    return u;
}

/* wd_shingles() against the model: random token lengths (1..40 bytes, so
 * both token hash paths), runs of spaces, tokens touching both ends and
 * the 64-byte block edges of the scanner, and one text past 256 KiB (where
 * the token count is measured instead of bounded). */
static void test_word_shingles_model(void **state)
{
    (void)state;
    rng_state = 99;
    wd_u64s v = {0};
    for (int it = 0; it < 400; it++) {
        size_t cap = it == 0 ? 300000 : (size_t)(rng() % 700) + 1;
        char *buf = malloc(cap);
        assert_non_null(buf);
        size_t n = 0;
        int few = (int)(rng() % 3);  /* 0: few distinct tokens, so repeats */
        while (n < cap) {
            size_t len = (size_t)(rng() % (few ? 40 : 3)) + 1;
            for (size_t j = 0; j < len && n < cap; j++) buf[n++] = (char)('a' + rng() % (few ? 26 : 2));
            size_t sp = rng() % 4 == 0 ? (size_t)(rng() % 3) + 1 : 1;
            for (size_t j = 0; j < sp && n < cap; j++) buf[n++] = ' ';
        }
        n = (size_t)(rng() % (cap + 1));                 /* cut anywhere */
        if (it == 0) n = cap;
        char *s = exact_copy(buf, n);
        unsigned k = (unsigned)(rng() % 9) + 1;
        if (it % 50 == 1) k = 20;                        /* a long shingle */
        uint64_t seed = rng();
        uint64_t *want;
        size_t m = model_word_shingles(s, n, k, seed, &want);
        assert_int_equal(wd_shingles(s, n, WD_SHINGLE_WORD, k, seed, &v), WD_OK);
        assert_int_equal(v.len, m);
        if (m) assert_memory_equal(v.data, want, m * sizeof *want);
        check_set_matches(s, n, WD_SHINGLE_WORD, k, seed, want, m);
        free(want);
        free(s);
        free(buf);
    }
    wd_u64s_free(&v);
}

/* The radix sort against qsort + a unique pass, at sizes on both sides of
 * the insertion-sort cut-off, with and without many repeats. */
static void test_sort_unique(void **state)
{
    (void)state;
    rng_state = 3;
    static const size_t sizes[] = {0, 1, 2, 3, 31, 32, 33, 100, 1000, 5000, 70000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (int dup = 0; dup < 4; dup++) {
            size_t n = sizes[si];
            uint64_t *v = malloc((n + 1) * sizeof *v), *w = malloc((n + 1) * sizeof *w);
            uint64_t *tmp = malloc((n + 1) * sizeof *tmp);
            assert_true(v && w && tmp);
            for (size_t i = 0; i < n; i++) {
                uint64_t r = rng();
                if (dup == 1) r %= 17;                      /* few values, low bytes */
                if (dup == 2) r = (r % 5) << 56 | 0xABCD;   /* only the top byte varies */
                if (dup == 3) r = i == n / 2 ? 7 : 9;       /* all but one alike */
                v[i] = w[i] = r;
            }
            qsort(w, n, sizeof *w, cmp_u64);
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (m == 0 || w[m - 1] != w[i]) w[m++] = w[i];
            size_t got = wd_sort_unique_u64(v, n, tmp);
            assert_int_equal(got, m);
            if (m) assert_memory_equal(v, w, m * sizeof *v);
            free(v);
            free(w);
            free(tmp);
        }
    }
}

/* Reused buffers stop growing: the hot path does not allocate once warm. */
static void test_steady_state_reuse(void **state)
{
    (void)state;
    const char *text = "Bonjour \xC3\xA0 tous, caf\xC3\xA9 cr\xC3\xA8me \xE6\x9D\xB1\xE4\xBA\xAC "
                       "and plain ASCII words to make it longer than a line";
    wd_buf b = {0};
    wd_u64s v = {0};
    assert_int_equal(wd_normalize(text, strlen(text), &b), WD_OK);
    assert_int_equal(wd_shingles(b.data, b.len, WD_SHINGLE_WORD, 3, 1, &v), WD_OK);
    char *bd = b.data;
    uint64_t *vd = v.data;
    size_t bc = b.cap, vc = v.cap;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(wd_normalize(text, strlen(text), &b), WD_OK);
        assert_int_equal(wd_shingles(b.data, b.len, WD_SHINGLE_WORD, 3, 1, &v), WD_OK);
        assert_ptr_equal(b.data, bd);
        assert_ptr_equal(v.data, vd);
        assert_int_equal(b.cap, bc);
        assert_int_equal(v.cap, vc);
    }
    wd_buf_free(&b);
    wd_u64s_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decoder),
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_unicode_folding),
        cmocka_unit_test(test_korean),
        cmocka_unit_test(test_cjk),
        cmocka_unit_test(test_thai),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_long_expansion),
        cmocka_unit_test(test_fast_equals_slow_ascii),
        cmocka_unit_test(test_fast_equals_slow_unicode),
        cmocka_unit_test(test_every_bmp_code_point),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_word_shingle_counts),
        cmocka_unit_test(test_word_shingle_values),
        cmocka_unit_test(test_word_shingles_model),
        cmocka_unit_test(test_char_shingles),
        cmocka_unit_test(test_char_shingles_model),
        cmocka_unit_test(test_shingle_args),
        cmocka_unit_test(test_seed_and_determinism),
        cmocka_unit_test(test_punctuation_invariance),
        cmocka_unit_test(test_sort_unique),
        cmocka_unit_test(test_steady_state_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
