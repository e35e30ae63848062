/*
 * test_index.c - the public API end to end: parameters, wd_compare, and the
 * wd_index (exact and near duplicates, empty documents, clusters, pair
 * callbacks, determinism across threads and batch sizes).
 *
 * Uses include/wiredup.h only. Texts are generated from the test's own PRNG
 * with fixed seeds: words are made of consonant-vowel syllables from a
 * vocabulary of distinct words, so unrelated texts share no word 5-gram and
 * the Jaccard of related texts is what the test constructs.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wiredup.h"

/* ---- PRNG --------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rng_below(uint64_t *s, unsigned n)
{
    return (unsigned)(rng_next(s) % n);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

/* ---- words and texts ---------------------------------------------------- */

/*
 * Word i of the vocabulary: two syllables named by i's base-80 digits, and
 * a third syllable for some words. Two-syllable words are distinct from each
 * other, three-syllable words too (their first two syllables are), and the
 * two kinds differ in length: every word is distinct.
 */
#define VOCAB 6400
static char vocab[VOCAB][8];

static void vocab_init(void)
{
    static const char cons[] = "bcdfghjklmnprstv", vow[] = "aeiou";
    uint64_t rng = 0x766f636162ULL;
    for (unsigned i = 0; i < VOCAB; i++) {
        unsigned s1 = i % 80, s2 = i / 80;
        char *w = vocab[i];
        *w++ = cons[s1 / 5];
        *w++ = vow[s1 % 5];
        *w++ = cons[s2 / 5];
        *w++ = vow[s2 % 5];
        if (rng_below(&rng, 3) == 0) {
            unsigned s3 = rng_below(&rng, 80);
            *w++ = cons[s3 / 5];
            *w++ = vow[s3 % 5];
        }
        *w = 0;
    }
}

/* A document as a sequence of vocabulary indices. */
typedef struct words {
    unsigned *w;
    size_t n;
} words;

static words words_random(uint64_t *rng, size_t n)
{
    words d = { malloc((n ? n : 1) * sizeof(unsigned)), n };
    assert_non_null(d.w);
    for (size_t i = 0; i < n; i++) d.w[i] = rng_below(rng, VOCAB);
    return d;
}

static words words_copy(const words *s)
{
    words d = { malloc((s->n ? s->n : 1) * sizeof(unsigned)), s->n };
    assert_non_null(d.w);
    memcpy(d.w, s->w, s->n * sizeof(unsigned));
    return d;
}

/* Replaces k distinct positions (spread out) with new random words. */
static void words_substitute(words *d, size_t k, uint64_t *rng)
{
    for (size_t j = 0; j < k; j++) {
        size_t pos = (j * d->n) / k + rng_below(rng, (unsigned)(d->n / k));
        unsigned nw;
        do nw = rng_below(rng, VOCAB); while (nw == d->w[pos]);
        d->w[pos] = nw;
    }
}

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void text_put(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}

/* "w w w": lowercase ASCII words and single spaces, which normalization
 * leaves unchanged. */
static text render_plain(const words *d)
{
    text t = {0};
    text_put(&t, "", 0);
    for (size_t i = 0; i < d->n; i++) {
        if (i) text_put(&t, " ", 1);
        text_put(&t, vocab[d->w[i]], strlen(vocab[d->w[i]]));
    }
    return t;
}

/* The same words with capitals, punctuation, quotes and irregular white
 * space: a different byte string, the same normalized text. */
static text render_fancy(const words *d, uint64_t *rng)
{
    static const char *seps[] = { " ", "  ", ", ", ". ", ";\n", " -- ", "\t", " \"", "\" ",
                                  "! ", "? ", " (", ") ", "\r\n", "...", ": " };
    text t = {0};
    text_put(&t, "  ", rng_below(rng, 3));     /* 0-2 leading spaces */
    int cap = 1;
    for (size_t i = 0; i < d->n; i++) {
        if (i) {
            const char *sep = seps[rng_below(rng, sizeof seps / sizeof seps[0])];
            text_put(&t, sep, strlen(sep));
            cap = sep[0] == '.' || sep[0] == '!' || sep[0] == '?';
        }
        char w[8];
        strcpy(w, vocab[d->w[i]]);
        if (cap || rng_below(rng, 10) == 0) w[0] = (char)(w[0] - 'a' + 'A');
        if (rng_below(rng, 40) == 0)
            for (char *c = w; *c; c++)
                if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
        text_put(&t, w, strlen(w));
    }
    text_put(&t, ".\n", 2);
    return t;
}

static void words_free(words *d) { free(d->w); d->w = NULL; }
static void text_free(text *t) { free(t->s); t->s = NULL; }

/* ---- helpers ------------------------------------------------------------ */

static wd_params params_default(void)
{
    wd_params p;
    wd_params_default(&p);
    return p;
}

static wd_index *index_new(const wd_params *p)
{
    wd_index *ix = NULL;
    assert_int_equal(wd_index_create(p, &ix), WD_OK);
    assert_non_null(ix);
    return ix;
}

static wd_doc doc_of(const text *t)
{
    wd_doc d = { t->s, t->len };
    return d;
}

static wd_doc doc_str(const char *s)
{
    wd_doc d = { s, s ? strlen(s) : 0 };
    return d;
}

/* Recorded pairs, in callback order. */
typedef struct pairs {
    wd_pair *v;
    size_t n, cap;
    int stop_at;      /* return stop_rc on this pair number (1-based); 0 = never */
    int stop_rc;
} pairs;

static int record_pair(void *ctx, const wd_pair *p)
{
    pairs *ps = ctx;
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        ps->v = realloc(ps->v, ps->cap * sizeof *ps->v);
        assert_non_null(ps->v);
    }
    ps->v[ps->n++] = *p;
    return ps->stop_at && (int)ps->n == ps->stop_at ? ps->stop_rc : 0;
}

static int has_pair(const pairs *ps, uint64_t a, uint64_t b)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->v[i].a == a && ps->v[i].b == b) return 1;
    return 0;
}

static uint64_t *clusters_of(const wd_index *ix)
{
    uint64_t n = wd_index_count(ix);
    uint64_t *c = malloc((n ? n : 1) * sizeof *c);
    assert_non_null(c);
    assert_int_equal(wd_index_clusters(ix, c), WD_OK);
    return c;
}

/* ---- parameters and status ---------------------------------------------- */

static void test_params(void **state)
{
    (void)state;
    wd_params p = params_default();
    assert_int_equal(p.version, WD_PARAMS_VERSION);
    assert_int_equal(wd_params_check(&p), WD_OK);
    assert_int_equal(wd_params_check(NULL), WD_E_INVALID);

#define BAD(field, value)                                           \
    do {                                                            \
        wd_params q = params_default();                             \
        q.field = value;                                            \
        if (wd_params_check(&q) != WD_E_INVALID)                    \
            fail_msg("%s = %s accepted", #field, #value);           \
        wd_index *ix = (wd_index *)&q;                              \
        assert_int_equal(wd_index_create(&q, &ix), WD_E_INVALID);   \
        assert_null(ix);                                            \
    } while (0)
#define GOOD(field, value)                                          \
    do {                                                            \
        wd_params q = params_default();                             \
        q.field = value;                                            \
        if (wd_params_check(&q) != WD_OK)                           \
            fail_msg("%s = %s rejected", #field, #value);           \
    } while (0)

    BAD(version, 0);
    BAD(version, WD_PARAMS_VERSION + 1);
    BAD(shingle, (wd_shingle_kind)2);
    BAD(shingle_size, 0);
    BAD(shingle_size, WD_MAX_SHINGLE + 1);
    BAD(num_hashes, 0);
    BAD(num_hashes, 2000);
    BAD(num_hashes, WD_MAX_HASHES + 1);
    BAD(threshold, 0.0);
    BAD(threshold, -0.25);
    BAD(threshold, 1.5);
    BAD(threshold, NAN);
    BAD(containment, -0.1);
    BAD(containment, 1.5);
    BAD(containment, NAN);
    BAD(bands, 10);      /* bands without rows */
    BAD(rows, 4);        /* rows without bands */
    BAD(sketch, (wd_sketch_kind)3);
    BAD(cluster, (wd_cluster_mode)2);
    BAD(max_distance, 64);
    GOOD(shingle, WD_SHINGLE_CHAR);
    GOOD(shingle_size, 1);
    GOOD(shingle_size, WD_MAX_SHINGLE);
    GOOD(num_hashes, 1);
    GOOD(num_hashes, WD_MAX_HASHES);
    GOOD(threshold, 1.0);
    GOOD(containment, 1.0);
    GOOD(threads, 3);
    GOOD(cluster, WD_CLUSTER_LEADER);
    GOOD(max_distance, 63);
#undef BAD
#undef GOOD

    /* bands * rows against num_hashes (default 128). */
    p = params_default();
    p.bands = 16; p.rows = 8;
    assert_int_equal(wd_params_check(&p), WD_OK);          /* = 128 */
    p.bands = 20; p.rows = 7;
    assert_int_equal(wd_params_check(&p), WD_E_INVALID);   /* 140 > 128 */
    p.bands = 1; p.rows = 129;
    assert_int_equal(wd_params_check(&p), WD_E_INVALID);
    p.bands = 65536; p.rows = 65536;                       /* product overflows 32 bits */
    assert_int_equal(wd_params_check(&p), WD_E_INVALID);

    /* The index resolves bands, rows and threads. */
    p = params_default();
    wd_index *ix = index_new(&p);
    const wd_params *r = wd_index_params(ix);
    assert_true(r->bands >= 1 && r->rows >= 1);
    assert_true(r->bands * r->rows <= r->num_hashes);
    assert_true(r->threads >= 1);
    assert_true(r->threshold == p.threshold);
    assert_int_equal(r->num_hashes, p.num_hashes);
    unsigned b, rr;
    assert_int_equal(wd_lsh_shape(p.threshold, p.num_hashes, &b, &rr), WD_OK);
    assert_int_equal(r->bands, b);
    assert_int_equal(r->rows, rr);
    assert_int_equal(wd_index_count(ix), 0);
    wd_index_free(ix);
    /* Explicit bands and rows are kept. */
    p.bands = 16; p.rows = 8; p.threads = 2;
    ix = index_new(&p);
    assert_int_equal(wd_index_params(ix)->bands, 16);
    assert_int_equal(wd_index_params(ix)->rows, 8);
    assert_int_equal(wd_index_params(ix)->threads, 2);
    wd_index_free(ix);
    wd_index_free(NULL);
    assert_int_equal(wd_index_create(&p, NULL), WD_E_INVALID);
    ix = (wd_index *)&p;
    assert_int_equal(wd_index_create(NULL, &ix), WD_E_INVALID);
    assert_null(ix);
}

static void test_strerror(void **state)
{
    (void)state;
    const int codes[] = { WD_OK, WD_E_INVALID, WD_E_NOMEM, WD_E_STATE, WD_E_LIMIT,
                          WD_E_UNSUPPORTED };
    enum { NC = sizeof codes / sizeof codes[0] };
    for (int i = 0; i < NC; i++) {
        const char *a = wd_strerror(codes[i]);
        assert_non_null(a);
        assert_true(strlen(a) > 0);
        for (int j = 0; j < i; j++)
            if (strcmp(a, wd_strerror(codes[j])) == 0)
                fail_msg("codes %d and %d share the text \"%s\"", codes[i], codes[j], a);
    }
    const int unknown[] = { 1, 42, -6, -1000, 2147483647, -2147483647 - 1 };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *u = wd_strerror(unknown[i]);
        assert_non_null(u);
        for (int j = 0; j < NC; j++) assert_string_not_equal(u, wd_strerror(codes[j]));
    }
    assert_string_equal(wd_version(), WD_VERSION_STRING);
}

/* ---- exact duplicates --------------------------------------------------- */

static void test_exact_duplicates(void **state)
{
    (void)state;
    uint64_t rng = 0xE4AC7;
    words w = words_random(&rng, 120);
    text plain = render_plain(&w), fancy1 = render_fancy(&w, &rng),
         fancy2 = render_fancy(&w, &rng);
    assert_true(plain.len != fancy1.len || memcmp(plain.s, fancy1.s, plain.len) != 0);

    wd_params p = params_default();
    wd_index *ix = index_new(&p);
    pairs ps = {0};
    wd_index_on_pair(ix, record_pair, &ps);
    wd_doc docs[] = { doc_of(&plain), doc_of(&plain), doc_of(&fancy1), doc_of(&fancy2) };
    wd_match m[4];
    assert_int_equal(wd_index_add(ix, docs, 4, m), WD_OK);
    assert_int_equal(m[0].kind, WD_MATCH_NONE);
    assert_int_equal(m[0].empty, 0);
    assert_int_equal(m[0].shingles, 116);            /* 120 distinct words, k = 5 */
    for (int i = 1; i < 4; i++) {
        assert_int_equal(m[i].kind, WD_MATCH_EXACT);
        assert_int_equal(m[i].best, 0);               /* the first copy, not the latest */
        assert_true(m[i].jaccard == 1.0f);
        assert_true(m[i].containment == 1.0f);
        assert_int_equal(m[i].shingles, 116);
        assert_true(has_pair(&ps, 0, (uint64_t)i));
    }
    assert_int_equal(ps.n, 3);
    for (size_t i = 0; i < ps.n; i++) assert_int_equal(ps.v[i].kind, WD_MATCH_EXACT);
    uint64_t *c = clusters_of(ix);
    for (int i = 0; i < 4; i++) assert_int_equal(c[i], 0);
    free(c);

    /* wd_compare agrees. */
    wd_similarity s;
    assert_int_equal(wd_compare(&p, plain.s, plain.len, fancy1.s, fancy1.len, &s), WD_OK);
    assert_int_equal(s.exact, 1);
    assert_int_equal(s.duplicate, 1);
    assert_true(s.jaccard == 1.0);
    assert_true(s.jaccard_est == 1.0);
    /* ... and a one-word change is not exact. */
    words w2 = words_copy(&w);
    words_substitute(&w2, 1, &rng);
    text other = render_plain(&w2);
    assert_int_equal(wd_compare(&p, plain.s, plain.len, other.s, other.len, &s), WD_OK);
    assert_int_equal(s.exact, 0);
    assert_true(s.jaccard < 1.0);

    free(ps.v);
    wd_index_free(ix);
    text_free(&plain); text_free(&fancy1); text_free(&fancy2); text_free(&other);
    words_free(&w); words_free(&w2);
}

/* ---- near duplicates ---------------------------------------------------- */

static void test_near_duplicates(void **state)
{
    (void)state;
    uint64_t rng = 0x4EA5;
    words t = words_random(&rng, 300);
    words light = words_copy(&t), heavy = words_copy(&t), unrelated = words_random(&rng, 300);
    words_substitute(&light, 4, &rng);    /* J ~ 0.87 with t */
    words_substitute(&heavy, 40, &rng);   /* J ~ 0.3 with t */
    words heavy2 = words_copy(&heavy);
    words_substitute(&heavy2, 3, &rng);   /* close to heavy, far from t */
    text tt = render_plain(&t), tl = render_fancy(&light, &rng), th = render_plain(&heavy),
         tu = render_plain(&unrelated), th2 = render_plain(&heavy2);

    wd_params p = params_default();
    wd_index *ix = index_new(&p);
    pairs ps = {0};
    wd_index_on_pair(ix, record_pair, &ps);
    /* 0 = t, 1 = heavy copy of t, 2 = unrelated, 3 = light copy of t,
     * 4 = light copy of heavy. */
    wd_doc docs[] = { doc_of(&tt), doc_of(&th), doc_of(&tu), doc_of(&tl), doc_of(&th2) };
    wd_match m[5];
    assert_int_equal(wd_index_add(ix, docs, 5, m), WD_OK);

    assert_int_equal(m[0].kind, WD_MATCH_NONE);
    assert_int_equal(m[2].kind, WD_MATCH_NONE);       /* unrelated */
    assert_int_equal(m[3].kind, WD_MATCH_NEAR);
    assert_int_equal(m[3].best, 0);                   /* t, not the heavy copy */
    assert_int_equal(m[4].kind, WD_MATCH_NEAR);
    assert_int_equal(m[4].best, 1);                   /* heavy, not t */
    for (int i = 3; i <= 4; i++) {
        double j, c;
        assert_int_equal(wd_index_similarity(ix, m[i].best, (uint64_t)i, &j, &c), WD_OK);
        assert_true(m[i].jaccard == (float)j);
        assert_true(m[i].containment == (float)c);
        assert_true(j >= p.threshold);
        assert_true(j > 0.7);                          /* ~0.87 exact, 4 sd below is 0.75 */
    }
    /* Every reported pair is verified: estimate at or above the threshold. */
    for (size_t i = 0; i < ps.n; i++) {
        assert_int_equal(ps.v[i].kind, WD_MATCH_NEAR);
        assert_true(ps.v[i].a < ps.v[i].b);
        assert_true(ps.v[i].jaccard >= p.threshold);
        assert_true(ps.v[i].b != 2 && ps.v[i].a != 2);
    }
    assert_true(has_pair(&ps, 0, 3));
    assert_true(has_pair(&ps, 1, 4));
    uint64_t *c = clusters_of(ix);
    assert_int_equal(c[2], 2);
    assert_int_equal(c[3], 0);
    free(c);

    free(ps.v);
    wd_index_free(ix);
    text_free(&tt); text_free(&tl); text_free(&th); text_free(&tu); text_free(&th2);
    words_free(&t); words_free(&light); words_free(&heavy); words_free(&unrelated);
    words_free(&heavy2);
}

/* ---- empty documents ---------------------------------------------------- */

static void test_empty_documents(void **state)
{
    (void)state;
    wd_params p = params_default();
    wd_index *ix = index_new(&p);
    pairs ps = {0};
    wd_index_on_pair(ix, record_pair, &ps);
    wd_doc docs[] = { doc_str(""), doc_str("  ,,, "), { NULL, 0 }, doc_str(""),
                      doc_str("  ,,, "), doc_str("--- !!! \n\t ..."),
                      doc_str("a real document, finally"), doc_str("") };
    enum { N = sizeof docs / sizeof docs[0] };
    wd_match m[N];
    memset(m, 0xff, sizeof m);
    assert_int_equal(wd_index_add(ix, docs, N, m), WD_OK);
    for (int i = 0; i < N; i++) {
        int empty = i != 6;
        assert_int_equal(m[i].empty, empty);
        assert_int_equal(m[i].kind, WD_MATCH_NONE);
        if (empty) assert_int_equal(m[i].shingles, 0);
        else assert_true(m[i].shingles > 0);
    }
    assert_int_equal(ps.n, 0);
    uint64_t *c = clusters_of(ix);
    for (int i = 0; i < N; i++) assert_int_equal(c[i], (uint64_t)i);
    free(c);
    double j = -1, ct = -1;
    assert_int_equal(wd_index_similarity(ix, 0, 3, &j, &ct), WD_OK);
    assert_true(j == 0.0 && ct == 0.0);
    assert_int_equal(wd_index_similarity(ix, 0, 6, &j, &ct), WD_OK);
    assert_true(j == 0.0 && ct == 0.0);

    /* wd_compare: two empties are neither exact nor duplicates. */
    wd_similarity s;
    assert_int_equal(wd_compare(&p, "", 0, "  ,,, ", 6, &s), WD_OK);
    assert_int_equal(s.shingles_a, 0);
    assert_int_equal(s.shingles_b, 0);
    assert_int_equal(s.exact, 0);
    assert_int_equal(s.duplicate, 0);
    assert_true(s.jaccard == 0.0);
    assert_int_equal(wd_compare(&p, NULL, 0, "", 0, &s), WD_OK);
    assert_int_equal(s.duplicate, 0);
    free(ps.v);
    wd_index_free(ix);
}

/* ---- clusters ----------------------------------------------------------- */

/*
 * A = X, B = X Z, C = Z with X, Z unrelated 200-word runs: J(A,B) and
 * J(B,C) are ~0.49 (196 of 396 shingles), J(A,C) = 0; a is A with three
 * words changed. Added in several
 * orders (with an unrelated U), the cluster of every document is the
 * earliest document of its component, including when B arrives last and
 * joins two existing clusters.
 */
static void check_chain(const char *order, const uint64_t *want)
{
    uint64_t rng = 0xC4A1;
    words x = words_random(&rng, 200), z = words_random(&rng, 200), u = words_random(&rng, 250);
    words x2 = words_copy(&x);
    words_substitute(&x2, 3, &rng);                       /* 'a': a near copy of A */
    words xz = { malloc(400 * sizeof(unsigned)), 400 };
    assert_non_null(xz.w);
    memcpy(xz.w, x.w, 200 * sizeof(unsigned));
    memcpy(xz.w + 200, z.w, 200 * sizeof(unsigned));
    text ta = render_plain(&x), tb = render_plain(&xz), tc = render_plain(&z), tu = render_plain(&u),
         ta2 = render_plain(&x2);

    size_t n = strlen(order);
    wd_doc docs[8];
    int pos_a = -1, pos_c = -1;
    for (size_t i = 0; i < n; i++) {
        const text *t = order[i] == 'A' ? &ta : order[i] == 'B' ? &tb : order[i] == 'C' ? &tc
                      : order[i] == 'a' ? &ta2 : &tu;
        docs[i] = doc_of(t);
        if (order[i] == 'A') pos_a = (int)i;
        if (order[i] == 'C') pos_c = (int)i;
    }
    wd_params p = params_default();
    wd_index *ix = index_new(&p);
    pairs ps = {0};
    wd_index_on_pair(ix, record_pair, &ps);
    /* One document per call: clusters must also be right in between. */
    for (size_t i = 0; i < n; i++) assert_int_equal(wd_index_add(ix, &docs[i], 1, NULL), WD_OK);
    uint64_t *c = clusters_of(ix);
    for (size_t i = 0; i < n; i++)
        if (c[i] != want[i])
            fail_msg("order %s: cluster[%zu] = %llu, want %llu", order, i,
                     (unsigned long long)c[i], (unsigned long long)want[i]);
    /* A and C were never paired directly. */
    double j, ct;
    assert_int_equal(wd_index_similarity(ix, (uint64_t)pos_a, (uint64_t)pos_c, &j, &ct), WD_OK);
    assert_true(j < p.threshold);
    assert_false(has_pair(&ps, (uint64_t)(pos_a < pos_c ? pos_a : pos_c),
                          (uint64_t)(pos_a < pos_c ? pos_c : pos_a)));
    free(c);
    free(ps.v);
    wd_index_free(ix);
    text_free(&ta); text_free(&tb); text_free(&tc); text_free(&tu); text_free(&ta2);
    words_free(&x); words_free(&z); words_free(&u); words_free(&xz); words_free(&x2);
}

static void test_clusters(void **state)
{
    (void)state;
    check_chain("ABC", (const uint64_t[]){ 0, 0, 0 });
    check_chain("ACB", (const uint64_t[]){ 0, 0, 0 });    /* B joins {A} and {C} */
    check_chain("UCAB", (const uint64_t[]){ 0, 1, 1, 1 }); /* C is the earliest */
    check_chain("CUBUA", (const uint64_t[]){ 0, 1, 0, 1, 0 }); /* second U: exact copy */
    /* {A, a} rooted at 1 joins {C} through B: a's cluster must follow its
     * root's new root, not stay 1. */
    check_chain("CAaB", (const uint64_t[]){ 0, 0, 0, 0 });
    check_chain("UAaCB", (const uint64_t[]){ 0, 1, 1, 1, 1 });
}

/*
 * A cluster whose members do not all point at its root: A(1) and its bridge
 * a(2) = X Y form a cluster rooted at 1; B(3) = Y Z is similar to a and to
 * C(0) = Z but not to A. Adding B re-roots {A, a} under 0 while a, never
 * looked up again, still points at 1. cluster[] must give 0 for everyone.
 * X, Y, Z are unrelated 150-word runs, so the links are J ~0.49 (A-a, B-C)
 * and ~0.33 (a-B); the threshold is lowered to 0.15 to keep them far
 * (4 sd) from it.
 */
static void test_cluster_reroot(void **state)
{
    (void)state;
    uint64_t rng = 0xB21D6E;
    words x = words_random(&rng, 150), y = words_random(&rng, 150), z = words_random(&rng, 150);
    words xy = { malloc(300 * sizeof(unsigned)), 300 }, yz = { malloc(300 * sizeof(unsigned)), 300 };
    assert_non_null(xy.w);
    assert_non_null(yz.w);
    memcpy(xy.w, x.w, 150 * sizeof(unsigned));
    memcpy(xy.w + 150, y.w, 150 * sizeof(unsigned));
    memcpy(yz.w, y.w, 150 * sizeof(unsigned));
    memcpy(yz.w + 150, z.w, 150 * sizeof(unsigned));
    text tc = render_plain(&z), ta = render_plain(&x), tbr = render_plain(&xy), tb = render_plain(&yz);
    wd_params p = params_default();
    p.threshold = 0.15;
    wd_index *ix = index_new(&p);
    pairs ps = {0};
    wd_index_on_pair(ix, record_pair, &ps);
    wd_doc docs[] = { doc_of(&tc), doc_of(&ta), doc_of(&tbr), doc_of(&tb) };
    for (int i = 0; i < 4; i++) assert_int_equal(wd_index_add(ix, &docs[i], 1, NULL), WD_OK);
    /* The scenario is the intended one. */
    assert_true(has_pair(&ps, 1, 2));
    assert_true(has_pair(&ps, 0, 3));
    assert_true(has_pair(&ps, 2, 3));
    assert_false(has_pair(&ps, 1, 3));
    assert_int_equal(ps.n, 3);
    uint64_t *c = clusters_of(ix);
    for (int i = 0; i < 4; i++)
        if (c[i] != 0) fail_msg("cluster[%d] = %llu, want 0", i, (unsigned long long)c[i]);
    free(c);
    free(ps.v);
    wd_index_free(ix);
    text_free(&tc); text_free(&ta); text_free(&tbr); text_free(&tb);
    words_free(&x); words_free(&y); words_free(&z); words_free(&xy); words_free(&yz);
}

/* ---- determinism -------------------------------------------------------- */

typedef struct run {
    uint64_t *cluster;
    wd_match *match;
    pairs ps;
} run;

static void run_corpus(const wd_doc *docs, size_t n, unsigned threads, size_t batch, run *out)
{
    wd_params p = params_default();
    p.threads = threads;
    wd_index *ix = index_new(&p);
    memset(out, 0, sizeof *out);
    out->match = malloc(n * sizeof *out->match);
    assert_non_null(out->match);
    wd_index_on_pair(ix, record_pair, &out->ps);
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch;
        assert_int_equal(wd_index_add(ix, docs + i, k, out->match + i), WD_OK);
        assert_int_equal(wd_index_count(ix), i + k);
    }
    out->cluster = clusters_of(ix);
    wd_index_free(ix);
}

static void run_free(run *r)
{
    free(r->cluster);
    free(r->match);
    free(r->ps.v);
}

static uint64_t model_find(uint64_t *parent, uint64_t x)
{
    while (parent[x] != x) x = parent[x];
    return x;
}

/*
 * ~3,000 documents: 300 stories of 60-250 words, each with up to 11 noisy
 * copies (word substitutions, a truncated end, a trailer, a changed
 * rendering, exact re-posts), plus a few empty documents, shuffled. Four
 * runs with different thread counts and batch sizes must produce identical
 * clusters, matches and pair sequences. The first run is also checked for
 * sense: pairs come in document order and never cross stories, matches
 * agree with pairs, and the clusters are the components of the pairs.
 */
static void test_determinism(void **state)
{
    (void)state;
    enum { STORIES = 300, MAXDOCS = 5000 };
    uint64_t rng = 0xDE7E12;
    text *texts = calloc(MAXDOCS, sizeof *texts);
    unsigned *story = malloc(MAXDOCS * sizeof *story);
    assert_non_null(texts);
    assert_non_null(story);
    size_t n = 0;
    for (unsigned s = 0; s < STORIES; s++) {
        words orig = words_random(&rng, 60 + rng_below(&rng, 191));
        unsigned copies = 4 + rng_below(&rng, 12);
        texts[n] = render_fancy(&orig, &rng);
        story[n++] = s;
        for (unsigned c = 0; c < copies; c++) {
            words w = words_copy(&orig);
            unsigned kind = rng_below(&rng, 5);
            if (kind <= 2) words_substitute(&w, 1 + rng_below(&rng, (unsigned)(w.n / 25)), &rng);
            if (kind == 1) w.n -= rng_below(&rng, (unsigned)(w.n / 5));        /* truncated */
            if (kind == 2) {                                                     /* trailer */
                words tr = words_random(&rng, 5 + rng_below(&rng, 20));
                unsigned *nw = realloc(w.w, (w.n + tr.n) * sizeof(unsigned));
                assert_non_null(nw);
                w.w = nw;
                memcpy(w.w + w.n, tr.w, tr.n * sizeof(unsigned));
                w.n += tr.n;
                words_free(&tr);
            }
            /* kind 3: same words, new rendering (exact); 4: plain (exact) */
            texts[n] = kind == 4 ? render_plain(&w) : render_fancy(&w, &rng);
            story[n++] = s;
            words_free(&w);
        }
        words_free(&orig);
        if (s % 50 == 0) {                       /* an empty document now and then */
            text_put(&texts[n], " ;; ", 4);
            story[n++] = UINT32_MAX;
        }
    }
    assert_true(n >= 2500 && n <= MAXDOCS);
    /* Shuffle documents (and their story labels) together. */
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(&rng, (unsigned)i);
        text t = texts[i - 1]; texts[i - 1] = texts[j]; texts[j] = t;
        unsigned s = story[i - 1]; story[i - 1] = story[j]; story[j] = s;
    }
    wd_doc *docs = malloc(n * sizeof *docs);
    assert_non_null(docs);
    for (size_t i = 0; i < n; i++) docs[i] = doc_of(&texts[i]);

    const struct { unsigned threads; size_t batch; } cfg[] = {
        { 1, 0 }, { 2, 1 }, { 2, 7 }, { 4, 1000 } };
    run r[4];
    for (int k = 0; k < 4; k++)
        run_corpus(docs, n, cfg[k].threads, cfg[k].batch ? cfg[k].batch : n, &r[k]);

    for (int k = 1; k < 4; k++) {
        if (memcmp(r[0].cluster, r[k].cluster, n * sizeof *r[0].cluster) != 0)
            fail_msg("clusters differ between threads=%u batch=%zu and threads=%u batch=%zu",
                     cfg[0].threads, n, cfg[k].threads, cfg[k].batch);
        for (size_t i = 0; i < n; i++) {
            const wd_match *a = &r[0].match[i], *b = &r[k].match[i];
            if (a->kind != b->kind || a->empty != b->empty || a->shingles != b->shingles ||
                (a->kind != WD_MATCH_NONE &&
                 (a->best != b->best || a->jaccard != b->jaccard || a->containment != b->containment)))
                fail_msg("config %d: match of document %zu differs", k, i);
        }
        assert_int_equal(r[k].ps.n, r[0].ps.n);
        for (size_t i = 0; i < r[0].ps.n; i++) {
            const wd_pair *a = &r[0].ps.v[i], *b = &r[k].ps.v[i];
            if (a->a != b->a || a->b != b->b || a->kind != b->kind || a->jaccard != b->jaccard ||
                a->containment != b->containment)
                fail_msg("config %d: pair %zu differs: (%llu,%llu) vs (%llu,%llu)", k, i,
                         (unsigned long long)a->a, (unsigned long long)a->b,
                         (unsigned long long)b->a, (unsigned long long)b->b);
        }
    }

    /* Sense checks on run 0. */
    const run *R = &r[0];
    uint64_t *parent = malloc(n * sizeof *parent);
    assert_non_null(parent);
    for (size_t i = 0; i < n; i++) parent[i] = i;
    size_t exact = 0, near = 0;
    for (size_t i = 0; i < R->ps.n; i++) {
        const wd_pair *q = &R->ps.v[i];
        assert_true(q->a < q->b && q->b < n);
        if (i) assert_true(q->b >= R->ps.v[i - 1].b);       /* found in document order */
        if (story[q->a] != story[q->b])
            fail_msg("pair (%llu,%llu) joins stories %u and %u", (unsigned long long)q->a,
                     (unsigned long long)q->b, story[q->a], story[q->b]);
        assert_int_not_equal(R->match[q->b].kind, WD_MATCH_NONE);
        exact += q->kind == WD_MATCH_EXACT;
        near += q->kind == WD_MATCH_NEAR;
        uint64_t x = model_find(parent, q->a), y = model_find(parent, q->b);
        if (x < y) parent[y] = x; else parent[x] = y;
    }
    size_t together = 0, members = 0;
    for (size_t i = 0; i < n; i++) {
        const wd_match *m = &R->match[i];
        assert_int_equal(R->cluster[i], model_find(parent, i));
        assert_int_equal(m->empty, story[i] == UINT32_MAX);
        if (m->kind != WD_MATCH_NONE) {
            assert_true(m->best < i);
            assert_true(has_pair(&R->ps, m->best, i));
            assert_int_equal(story[m->best], story[i]);
        }
        if (m->kind == WD_MATCH_NEAR) {
            /* best is the pair of highest Jaccard, and the match carries
             * that pair's numbers. */
            for (size_t k = 0; k < R->ps.n; k++) {
                const wd_pair *q = &R->ps.v[k];
                if (q->b != i) continue;
                assert_true(q->jaccard <= m->jaccard);
                if (q->a == m->best)
                    assert_true(q->jaccard == m->jaccard && q->containment == m->containment);
            }
        }
        /* How many documents share a cluster with their story's earliest
         * document (recall, loosely). */
        if (story[i] != UINT32_MAX) {
            size_t first = 0;
            while (story[first] != story[i]) first++;
            members++;
            together += R->cluster[i] == R->cluster[first];
        }
    }
    print_message("    %zu documents, %zu exact + %zu near pairs, %zu of %zu with their story\n",
                  n, exact, near, together, members);
    assert_true(exact > 300);
    assert_true(near > 1000);
    assert_true(together >= members * 97 / 100);

    free(parent);
    for (int k = 0; k < 4; k++) run_free(&r[k]);
    for (size_t i = 0; i < n; i++) text_free(&texts[i]);
    free(texts);
    free(story);
    free(docs);
}

/* ---- wd_index_similarity ------------------------------------------------ */

static void test_similarity(void **state)
{
    (void)state;
    uint64_t rng = 0x5171;
    wd_params p = params_default();
    wd_index *ix = index_new(&p);
    enum { N = 12 };
    words base = words_random(&rng, 150);
    text t[N];
    wd_doc docs[N];
    for (int i = 0; i < N; i++) {
        words w = words_copy(&base);
        if (i % 3 == 1) words_substitute(&w, (size_t)(2 + 3 * i), &rng);
        if (i % 3 == 2) w.n = 40 + 8 * (size_t)i;          /* prefixes: containment */
        if (i == N - 1) { words_free(&w); w = words_random(&rng, 90); }
        t[i] = render_plain(&w);
        docs[i] = doc_of(&t[i]);
        words_free(&w);
    }
    assert_int_equal(wd_index_add(ix, docs, N, NULL), WD_OK);
    for (uint64_t a = 0; a < N; a++)
        for (uint64_t b = 0; b < N; b++) {
            double j = -1, c = -1, j2, c2;
            assert_int_equal(wd_index_similarity(ix, a, b, &j, &c), WD_OK);
            assert_int_equal(wd_index_similarity(ix, b, a, &j2, &c2), WD_OK);
            assert_true(j == j2 && c == c2);                 /* symmetric */
            assert_true(j >= 0 && j <= 1 && c >= 0 && c <= 1);
            if (a == b) {
                assert_true(j == 1.0 && c == 1.0);
                continue;
            }
            wd_similarity s;
            assert_int_equal(wd_compare(&p, docs[a].text, docs[a].len, docs[b].text,
                                        docs[b].len, &s), WD_OK);
            if (j != s.jaccard_est || c != s.containment_est)
                fail_msg("docs %llu,%llu: index %.6f/%.6f, compare %.6f/%.6f",
                         (unsigned long long)a, (unsigned long long)b, j, c,
                         s.jaccard_est, s.containment_est);
        }
    double j, c;
    assert_int_equal(wd_index_similarity(ix, N, 0, &j, &c), WD_E_INVALID);
    assert_int_equal(wd_index_similarity(ix, 0, N, &j, &c), WD_E_INVALID);
    assert_int_equal(wd_index_similarity(ix, UINT64_MAX, 0, &j, &c), WD_E_INVALID);
    assert_int_equal(wd_index_similarity(ix, 0, 1, NULL, &c), WD_E_INVALID);
    assert_int_equal(wd_index_similarity(ix, 0, 1, &j, NULL), WD_E_INVALID);
    assert_int_equal(wd_index_similarity(NULL, 0, 1, &j, &c), WD_E_INVALID);
    wd_index_free(ix);
    for (int i = 0; i < N; i++) text_free(&t[i]);
    words_free(&base);
}

/* ---- wd_compare against the test's own shingles ------------------------- */

typedef struct span {
    const char *s;
    size_t n;
} span;

static int cmp_span(const void *x, const void *y)
{
    const span *a = x, *b = y;
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->s, b->s, n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* The distinct word k-grams of a plain text (words separated by single
 * spaces) as sorted spans; a text of fewer than k words is one shingle. */
static span *kgrams(const char *s, size_t len, unsigned k, size_t *count)
{
    size_t nw = 0, cap = 16;
    size_t *start = malloc(cap * sizeof *start), *end = malloc(cap * sizeof *end);
    assert_non_null(start);
    assert_non_null(end);
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != ' ') j++;
        if (nw == cap) {
            cap *= 2;
            start = realloc(start, cap * sizeof *start);
            end = realloc(end, cap * sizeof *end);
            assert_non_null(start);
            assert_non_null(end);
        }
        start[nw] = i;
        end[nw++] = j;
        i = j + 1;
    }
    size_t ng = nw == 0 ? 0 : nw < k ? 1 : nw - k + 1;
    span *g = malloc((ng ? ng : 1) * sizeof *g);
    assert_non_null(g);
    for (size_t i = 0; i < ng; i++) {
        size_t last = nw < k ? nw - 1 : i + k - 1;
        g[i].s = s + start[i];
        g[i].n = end[last] - start[i];
    }
    qsort(g, ng, sizeof *g, cmp_span);
    size_t d = 0;
    for (size_t i = 0; i < ng; i++)
        if (d == 0 || cmp_span(&g[d - 1], &g[i]) != 0) g[d++] = g[i];
    free(start);
    free(end);
    *count = d;
    return g;
}

static void test_compare_exact_jaccard(void **state)
{
    (void)state;
    uint64_t rng = 0xC0A1;
    wd_params p = params_default();
    p.containment = 0;   /* duplicate then means exact or estimate >= threshold */
    const unsigned H = p.num_hashes;
    int checked = 0;
    for (int trial = 0; trial < 60; trial++) {
        /* Texts that share runs of words: b is a with a random fraction of
         * words replaced, some runs cut, or a tiny vocabulary (repeated
         * 5-grams); a few are shorter than 5 words. */
        size_t n = trial < 4 ? 1 + (size_t)trial : 20 + rng_below(&rng, 400);
        unsigned vocab_n = trial % 7 == 3 ? 3 : VOCAB;
        words a = { malloc(n * sizeof(unsigned)), n };
        assert_non_null(a.w);
        for (size_t i = 0; i < n; i++) a.w[i] = rng_below(&rng, vocab_n);
        words b = words_copy(&a);
        double frac = rng_unit(&rng) * 0.3;
        for (size_t i = 0; i < b.n; i++)
            if (rng_unit(&rng) < frac) b.w[i] = rng_below(&rng, vocab_n);
        if (trial % 5 == 4) b.n = b.n / 2 + 1;
        text ta = render_plain(&a), tb = render_plain(&b);

        size_t na, nb;
        span *ga = kgrams(ta.s, ta.len, p.shingle_size, &na);
        span *gb = kgrams(tb.s, tb.len, p.shingle_size, &nb);
        size_t shared = 0;
        for (size_t i = 0, j = 0; i < na && j < nb;) {
            int c = cmp_span(&ga[i], &gb[j]);
            if (c < 0) i++;
            else if (c > 0) j++;
            else { shared++; i++; j++; }
        }
        double J = (double)shared / (double)(na + nb - shared);
        double C = (double)shared / (double)(na < nb ? na : nb);

        wd_similarity s;
        assert_int_equal(wd_compare(&p, ta.s, ta.len, tb.s, tb.len, &s), WD_OK);
        if (s.shingles_a != na || s.shingles_b != nb || s.shared != shared)
            fail_msg("trial %d: library %zu/%zu/%zu shingles, test %zu/%zu/%zu", trial,
                     s.shingles_a, s.shingles_b, s.shared, na, nb, shared);
        assert_true(s.jaccard == J);
        assert_true(s.containment == C);
        double sd = sqrt(J * (1 - J) / H);
        if (fabs(s.jaccard_est - J) > 4 * sd + 1.0 / H)
            fail_msg("trial %d: J=%.4f estimate %.4f (sd %.4f)", trial, J, s.jaccard_est, sd);
        assert_int_equal(s.exact, ta.len == tb.len && memcmp(ta.s, tb.s, ta.len) == 0);
        /* The duplicate flag follows the documented rule. */
        assert_int_equal(s.duplicate, s.exact || s.jaccard_est >= p.threshold);
        /* Symmetric. */
        wd_similarity r;
        assert_int_equal(wd_compare(&p, tb.s, tb.len, ta.s, ta.len, &r), WD_OK);
        assert_true(r.jaccard == s.jaccard && r.jaccard_est == s.jaccard_est &&
                    r.containment_est == s.containment_est && r.shared == s.shared);
        checked++;
        free(ga);
        free(gb);
        text_free(&ta);
        text_free(&tb);
        words_free(&a);
        words_free(&b);
    }
    assert_int_equal(checked, 60);

    /* Argument checks. */
    wd_similarity s;
    assert_int_equal(wd_compare(&p, "a", 1, "b", 1, NULL), WD_E_INVALID);
    assert_int_equal(wd_compare(&p, NULL, 3, "b", 1, &s), WD_E_INVALID);
    assert_int_equal(wd_compare(&p, "a", 1, NULL, 3, &s), WD_E_INVALID);
    assert_int_equal(wd_compare(NULL, "a", 1, "b", 1, &s), WD_E_INVALID);
    p.num_hashes = 0;
    assert_int_equal(wd_compare(&p, "a", 1, "b", 1, &s), WD_E_INVALID);
}

/* ---- callbacks and the latched error ------------------------------------ */

/* The callback stops the add on its second pair: exact pairs when near is 0,
 * near pairs when near is 1 (b and d are light copies of a and c). */
static void check_stop(int rc, int near)
{
    uint64_t rng = 0x5709;
    words w1 = words_random(&rng, 80), w2 = words_random(&rng, 80);
    words v1 = words_copy(&w1), v2 = words_copy(&w2);
    if (near) {
        words_substitute(&v1, 2, &rng);
        words_substitute(&v2, 2, &rng);
    }
    text a = render_plain(&w1), b = render_plain(&v1), c = render_plain(&w2), d = render_plain(&v2);
    wd_params p = params_default();
    wd_index *ix = index_new(&p);
    pairs ps = { .stop_at = 2, .stop_rc = rc };
    wd_index_on_pair(ix, record_pair, &ps);
    /* pairs: (0,1), then (2,3) -> stop */
    wd_doc docs[] = { doc_of(&a), doc_of(&b), doc_of(&c), doc_of(&d), doc_of(&a), doc_of(&c) };
    wd_match m[6];
    assert_int_equal(wd_index_add(ix, docs, 6, m), rc);
    assert_int_equal(ps.n, 2);                           /* nothing after the stop */
    assert_true(ps.v[0].a == 0 && ps.v[0].b == 1);
    assert_true(ps.v[1].a == 2 && ps.v[1].b == 3);
    assert_int_equal(ps.v[1].kind, near ? WD_MATCH_NEAR : WD_MATCH_EXACT);
    assert_int_equal(m[1].kind, near ? WD_MATCH_NEAR : WD_MATCH_EXACT);
    /* Latched: every later add is refused, whatever it holds. */
    assert_int_equal(wd_index_add(ix, docs, 1, m), WD_E_STATE);
    assert_int_equal(wd_index_add(ix, docs + 2, 3, NULL), WD_E_STATE);
    assert_int_equal(wd_index_add(ix, docs, 0, NULL), WD_E_STATE);
    assert_int_equal(ps.n, 2);
    wd_index_free(ix);
    free(ps.v);
    text_free(&a); text_free(&b); text_free(&c); text_free(&d);
    words_free(&w1); words_free(&w2); words_free(&v1); words_free(&v2);
}

static void test_callback_stop(void **state)
{
    (void)state;
    check_stop(42, 0);
    check_stop(1, 0);
    check_stop(-77, 0);
    check_stop(42, 1);
    check_stop(-3, 1);

    /* Removing the callback stops reports but not matching. */
    wd_params p = params_default();
    wd_index *ix = index_new(&p);
    pairs ps = {0};
    wd_index_on_pair(ix, record_pair, &ps);
    wd_doc d[] = { doc_str("one two three four five six"), doc_str("One, two; three four five six!") };
    wd_match m[2];
    assert_int_equal(wd_index_add(ix, d, 2, m), WD_OK);
    assert_int_equal(ps.n, 1);
    wd_index_on_pair(ix, NULL, NULL);
    assert_int_equal(wd_index_add(ix, d, 2, m), WD_OK);
    assert_int_equal(ps.n, 1);
    assert_int_equal(m[0].kind, WD_MATCH_EXACT);
    assert_int_equal(m[0].best, 0);
    assert_int_equal(wd_index_count(ix), 4);
    /* Bad arguments are refused without latching. */
    assert_int_equal(wd_index_add(ix, NULL, 1, m), WD_E_INVALID);
    assert_int_equal(wd_index_add(NULL, d, 1, m), WD_E_INVALID);
    assert_int_equal(wd_index_add(ix, d, 1, NULL), WD_OK);
    assert_int_equal(wd_index_count(ix), 5);
    assert_int_equal(wd_index_clusters(NULL, NULL), WD_E_INVALID);
    assert_int_equal(wd_index_clusters(ix, NULL), WD_E_INVALID);
    free(ps.v);
    wd_index_free(ix);
}

int main(void)
{
    vocab_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_exact_duplicates),
        cmocka_unit_test(test_near_duplicates),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_clusters),
        cmocka_unit_test(test_cluster_reroot),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_similarity),
        cmocka_unit_test(test_compare_exact_jaccard),
        cmocka_unit_test(test_callback_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
