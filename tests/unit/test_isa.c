/*
 * test_isa.c - every SIMD kernel on every ISA this CPU runs gives the
 * scalar reference's result bit for bit.
 *
 *   - MinHash signatures (wd_minhash_sign_*) for signature lengths on both
 *     sides of the vector widths and shingle counts from 0 up;
 *   - signature agreement counts (wd_sig_agree_*);
 *   - the ASCII fast path of wd_normalize(), through the dispatcher, on
 *     random ASCII (every byte class, runs of separators, block edges) and
 *     mixed text where ASCII runs meet UTF-8 and CJK tokens;
 *   - the whole pipeline: normalized text, shingle sets, MinHash and OPH
 *     signatures of real-looking documents, and an index's clusters.
 * Each ISA is forced with wd_isa_select(); one the CPU lacks is skipped with
 * a message (its kernels compile, but are unverified on this machine).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wiredup.h"
#include "common/cpu.h"
#include "core/features.h"
#include "sketch/minhash.h"
#include "sketch/oph.h"
#include "text/text.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static const wd_isa_t isas[] = { WD_ISA_SCALAR, WD_ISA_AVX2, WD_ISA_AVX512 };
#define NISA (sizeof isas / sizeof isas[0])

static int usable(wd_isa_t isa)
{
    if (wd_isa_supported(isa)) return 1;
    static int told[NISA];
    if (!told[isa]) {
        print_message("skipping %s: not supported by this CPU (its kernels are unverified here)\n",
                      wd_isa_label(isa));
        told[isa] = 1;
    }
    return 0;
}

static void select_isa(wd_isa_t isa)
{
    assert_int_equal(wd_isa_select(wd_isa_label(isa)), WD_OK);
    assert_int_equal(wd_isa_active(), isa);
}

/* ---- MinHash ------------------------------------------------------------- */

static void minhash_direct(wd_isa_t isa, const wd_minhash *m, const uint64_t *sh, size_t n,
                           uint32_t *sig)
{
    switch (isa) {
    case WD_ISA_AVX512: wd_minhash_sign_avx512(m, sh, n, sig); break;
    case WD_ISA_AVX2: wd_minhash_sign_avx2(m, sh, n, sig); break;
    default: wd_minhash_sign_scalar(m, sh, n, sig); break;
    }
}

static void test_minhash_kernels(void **state)
{
    (void)state;
    static const unsigned lens[] = { 1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 100, 128, 129, 1000,
                                     WD_MAX_HASHES };
    static const size_t counts[] = { 0, 1, 2, 3, 4, 5, 17, 200, 1001 };
    rng_state = 11;
    uint64_t *sh = malloc(1001 * sizeof *sh);
    uint32_t *want = malloc((WD_MAX_HASHES + 1) * sizeof *want);
    uint32_t *got = malloc((WD_MAX_HASHES + 1) * sizeof *got);
    assert_true(sh && want && got);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        unsigned n = lens[li];
        wd_minhash m;
        assert_int_equal(wd_minhash_init(&m, n, rng()), WD_OK);
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
            size_t c = counts[ci];
            for (size_t i = 0; i < c; i++) {
                sh[i] = rng();
                /* extremes of x: 0, all ones, and a repeat */
                if (i % 50 == 3) sh[i] = 0;
                if (i % 50 == 4) sh[i] = UINT64_MAX;
                if (i % 50 == 5) sh[i] = sh[i - 1];
            }
            wd_minhash_sign_scalar(&m, sh, c, want);
            for (size_t k = 0; k < NISA; k++) {
                if (!usable(isas[k])) continue;
                got[n] = 0xDEADBEEF;  /* exactly n values are written */
                minhash_direct(isas[k], &m, sh, c, got);
                assert_int_equal(got[n], 0xDEADBEEF);
                if (memcmp(got, want, n * sizeof *got))
                    fail_msg("%s: n=%u count=%zu differs from scalar", wd_isa_label(isas[k]), n, c);
                select_isa(isas[k]);
                wd_minhash_sign(&m, sh, c, got);
                assert_memory_equal(got, want, n * sizeof *got);
            }
        }
        wd_minhash_free(&m);
    }
    assert_int_equal(wd_isa_select("auto"), WD_OK);
    free(sh);
    free(want);
    free(got);
}

static void test_sig_agree_kernels(void **state)
{
    (void)state;
    rng_state = 12;
    uint32_t a[1030], b[1030];
    for (unsigned n = 0; n <= 1030; n += n < 40 ? 1 : 97) {
        for (unsigned i = 0; i < n; i++) {
            a[i] = (uint32_t)rng();
            b[i] = rng() % 3 ? a[i] : (uint32_t)rng();
        }
        unsigned want = wd_sig_agree_scalar(a, b, n);
        for (size_t k = 0; k < NISA; k++) {
            if (!usable(isas[k])) continue;
            unsigned got = isas[k] == WD_ISA_AVX512 ? wd_sig_agree_avx512(a, b, n)
                         : isas[k] == WD_ISA_AVX2 ? wd_sig_agree_avx2(a, b, n)
                         : wd_sig_agree_scalar(a, b, n);
            assert_int_equal(got, want);
            select_isa(isas[k]);
            assert_int_equal(wd_sig_agree(a, b, n), want);
        }
    }
    assert_int_equal(wd_isa_select("auto"), WD_OK);
}

/* ---- normalization ------------------------------------------------------- */

/* A malloc'd copy of exactly n bytes, so ASan catches reads past the end. */
static char *exact_copy(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

/* Normalizes s[0..n) under every usable ISA; all must agree with scalar. */
static void check_normalize(const char *s, size_t n)
{
    char *in = exact_copy(s, n);
    wd_buf want = {0}, got = {0};
    select_isa(WD_ISA_SCALAR);
    assert_int_equal(wd_normalize(in, n, &want), WD_OK);
    for (size_t k = 1; k < NISA; k++) {
        if (!usable(isas[k])) continue;
        select_isa(isas[k]);
        assert_int_equal(wd_normalize(in, n, &got), WD_OK);
        if (got.len != want.len || (want.len && memcmp(got.data, want.data, want.len)))
            fail_msg("%s: normalize of %zu bytes differs from scalar (%zu vs %zu bytes)",
                     wd_isa_label(isas[k]), n, got.len, want.len);
    }
    assert_int_equal(wd_isa_select("auto"), WD_OK);
    wd_buf_free(&want);
    wd_buf_free(&got);
    free(in);
}

static void test_normalize_ascii(void **state)
{
    (void)state;
    rng_state = 13;
    char buf[700];
    /* Every ASCII byte alone and in pairs with a letter. */
    for (int c = 0; c < 128; c++) {
        char t[3] = { (char)c, 'Q', (char)c };
        check_normalize(t, 3);
        check_normalize(t, 1);
    }
    for (int it = 0; it < 3000; it++) {
        size_t n = (size_t)(rng() % sizeof buf);
        int mode = it % 4;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rng();
            if (mode == 0) buf[i] = (char)(r % 128);                    /* any ASCII, NUL too */
            else if (mode == 1) buf[i] = "aZ9 .,-\t\n"[r % 9];         /* dense boundaries */
            else if (mode == 2) buf[i] = r % 7 ? (char)('a' + r % 26) : ' ';
            else buf[i] = r % 3 ? (char)('A' + r % 26) : "  ,.;:!?()"[r % 10];
        }
        check_normalize(buf, n);
    }
}

static void test_normalize_mixed(void **state)
{
    (void)state;
    rng_state = 14;
    static const char *const pieces[] = {
        "The ", "QUICK", " brown-fox ", "jumps", " over the lazy dog. ", "  ", "\t\n",
        "caf\xC3\xA9", " na\xC3\xAFve ", "\xE2\x80\x9Cquoted\xE2\x80\x9D", " \xE6\x9D\xB1\xE4\xBA\xAC ",
        "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA", "e\xCC\x81", "\xEF\xBC\xA1\xEF\xBC\xA2",
        "\xC3\x28", "\xF0\x9F\x98\x80", "1987", " U.S. ", "--", "Reuters", "x",
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    };
    char buf[4096];
    for (int it = 0; it < 1500; it++) {
        size_t n = 0, want = (size_t)(rng() % 3000);
        while (n < want) {
            const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            if (n + l > sizeof buf) break;
            memcpy(buf + n, p, l);
            n += l;
        }
        check_normalize(buf, n);
    }
}

/* ---- the whole pipeline ---------------------------------------------------- */

/* A news-like document: words from a small vocabulary (so documents share
 * shingles), punctuation, numbers, some non-ASCII. */
static size_t make_doc(char *buf, size_t cap, uint64_t topic)
{
    static const char *const words[] = {
        "the", "said", "company", "shares", "percent", "market", "government", "bank",
        "oil", "prices", "Reuters", "year", "quarter", "profit", "U.S.", "trade",
        "officials", "million", "billion", "dlrs", "analysts", "expected", "rose", "fell",
        "caf\xC3\xA9", "\xE2\x80\x94", "Z\xC3\xBCrich", "\xE6\x9D\xB1\xE4\xBA\xAC", "1987", "3.5",
    };
    size_t n = 0, len = 200 + (size_t)(rng() % 1500);
    uint64_t local = topic;
    while (n + 32 < len && n + 32 < cap) {
        local = local * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = rng() % 10 ? local >> 33 : rng();  /* mostly the topic's text */
        const char *w = words[r % (sizeof words / sizeof words[0])];
        size_t l = strlen(w);
        memcpy(buf + n, w, l);
        n += l;
        buf[n++] = r % 13 == 0 ? ',' : ' ';
        if (r % 29 == 0) buf[n++] = '\n';
    }
    return n;
}

static void test_pipeline(void **state)
{
    (void)state;
    enum { DOCS = 300 };
    rng_state = 15;
    char (*text)[1800] = malloc(DOCS * sizeof *text);
    size_t len[DOCS];
    assert_non_null(text);
    for (int i = 0; i < DOCS; i++) len[i] = make_doc(text[i], sizeof text[i], (uint64_t)(i % 60));
    wd_doc docs[DOCS];
    for (int i = 0; i < DOCS; i++) docs[i] = (wd_doc){ .text = text[i], .len = len[i] };

    for (int sk = 0; sk < 2; sk++) {
        wd_params p;
        wd_params_default(&p);
        p.sketch = sk ? WD_SKETCH_OPH : WD_SKETCH_MINHASH;
        p.threads = 2;
        wd_sketcher K;
        assert_int_equal(wd_sketcher_init(&K, &p), WD_OK);
        uint64_t ref_clusters[DOCS];
        uint32_t *ref_sig = malloc((size_t)DOCS * p.num_hashes * sizeof *ref_sig);
        uint32_t *sig = malloc(p.num_hashes * sizeof *sig);
        assert_true(ref_sig && sig);
        for (size_t k = 0; k < NISA; k++) {
            if (!usable(isas[k])) continue;
            select_isa(isas[k]);
            /* Per document: normalized text, shingle set, signature. */
            wd_scratch s = {0};
            for (int i = 0; i < DOCS; i++) {
                uint8_t h[16];
                unsigned nsh;
                assert_int_equal(wd_features(&p, &K, &s, docs[i].text, docs[i].len, h, sig, &nsh),
                                 WD_OK);
                uint32_t *r = ref_sig + (size_t)i * p.num_hashes;
                if (k == 0) memcpy(r, sig, p.num_hashes * sizeof *sig);
                else if (memcmp(r, sig, p.num_hashes * sizeof *sig))
                    fail_msg("%s %s: signature of document %d differs from scalar",
                             sk ? "oph" : "minhash", wd_isa_label(isas[k]), i);
            }
            wd_scratch_free(&s);
            /* And the index built from them. */
            wd_index *ix;
            assert_int_equal(wd_index_create(&p, &ix), WD_OK);
            assert_int_equal(wd_index_add(ix, docs, DOCS, NULL), WD_OK);
            uint64_t cl[DOCS];
            assert_int_equal(wd_index_clusters(ix, cl), WD_OK);
            if (k == 0) {
                memcpy(ref_clusters, cl, sizeof cl);
                int joined = 0;
                for (int i = 0; i < DOCS; i++) joined += cl[i] != (uint64_t)i;
                assert_true(joined > 0);  /* the test sees real clusters */
            } else {
                assert_memory_equal(cl, ref_clusters, sizeof cl);
            }
            wd_index_free(ix);
        }
        assert_int_equal(wd_isa_select("auto"), WD_OK);
        free(ref_sig);
        free(sig);
        wd_sketcher_free(&K);
    }
    free(text);
}

/* Normalized text and shingle sets of the same documents, across ISAs. */
static void test_text_stage(void **state)
{
    (void)state;
    rng_state = 16;
    char buf[1800];
    for (int it = 0; it < 200; it++) {
        size_t n = make_doc(buf, sizeof buf, rng());
        wd_buf want = {0}, got = {0};
        wd_u64s ws = {0}, gs = {0};
        select_isa(WD_ISA_SCALAR);
        assert_int_equal(wd_normalize(buf, n, &want), WD_OK);
        assert_int_equal(wd_shingles(want.data, want.len, WD_SHINGLE_WORD, 5, 77, &ws), WD_OK);
        for (size_t k = 1; k < NISA; k++) {
            if (!usable(isas[k])) continue;
            select_isa(isas[k]);
            assert_int_equal(wd_normalize(buf, n, &got), WD_OK);
            assert_int_equal(got.len, want.len);
            assert_memory_equal(got.data, want.data, want.len);
            assert_int_equal(wd_shingles(got.data, got.len, WD_SHINGLE_WORD, 5, 77, &gs), WD_OK);
            assert_int_equal(gs.len, ws.len);
            assert_memory_equal(gs.data, ws.data, ws.len * sizeof *ws.data);
        }
        wd_buf_free(&want);
        wd_buf_free(&got);
        wd_u64s_free(&ws);
        wd_u64s_free(&gs);
    }
    assert_int_equal(wd_isa_select("auto"), WD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minhash_kernels),
        cmocka_unit_test(test_sig_agree_kernels),
        cmocka_unit_test(test_normalize_ascii),
        cmocka_unit_test(test_normalize_mixed),
        cmocka_unit_test(test_text_stage),
        cmocka_unit_test(test_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
