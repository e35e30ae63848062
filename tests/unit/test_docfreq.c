/*
 * test_docfreq.c - document-frequency counters (src/index/docfreq.h).
 *
 *   - Exact counter against a model (all occurrences sorted and counted)
 *     on random documents drawn from a Zipf-like pool, so counts range
 *     from 1 to every document: every hash, and absent ones.
 *   - Count-min sketch with conservative update, on the same data with a
 *     small width (so collisions happen): never below the true count; the
 *     share of hashes whose error exceeds e/width * N at most e^-depth;
 *     with a wide sketch, (almost) exact.
 *   - is_common: the threshold max(min_docs, ceil(share * docs)) and its
 *     floor on tiny inputs; filter; merge of exact counters and of
 *     sketches; invalid sketch shapes.
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
#include "index/docfreq.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* ---- data: documents of distinct hashes from a skewed pool ---------------- */

#define POOL 20000
#define DOCS 600

typedef struct corpus {
    uint64_t pool[POOL];
    uint64_t *doc[DOCS];
    size_t len[DOCS];
    /* model: distinct hashes and their document counts */
    uint64_t *key;
    uint64_t *count;
    size_t nkeys;
    uint64_t total;
} corpus;

static void make_corpus(corpus *c, uint64_t seed)
{
    uint64_t rng = seed;
    for (size_t i = 0; i < POOL; i++) c->pool[i] = rng_next(&rng);
    c->total = 0;
    uint64_t *all = NULL;
    size_t nall = 0;
    for (size_t d = 0; d < DOCS; d++) {
        size_t want = 20 + rng_next(&rng) % 400;
        uint64_t *v = malloc(want * sizeof *v);
        assert_non_null(v);
        for (size_t k = 0; k < want; k++) {
            /* pool index ~ POOL * u^3: low indices (templates) are common */
            double u = (double)(rng_next(&rng) >> 11) * 0x1.0p-53;
            v[k] = c->pool[(size_t)(POOL * u * u * u)];
        }
        if (d % 10 == 0) v[0] = c->pool[0]; /* a hash in every 10th document */
        qsort(v, want, sizeof *v, cmp_u64);
        size_t m = 0;
        for (size_t k = 0; k < want; k++)
            if (m == 0 || v[k] != v[m - 1]) v[m++] = v[k];
        c->doc[d] = v;
        c->len[d] = m;
        all = realloc(all, (nall + m) * sizeof *all);
        assert_non_null(all);
        memcpy(all + nall, v, m * sizeof *v);
        nall += m;
        c->total += m;
    }
    qsort(all, nall, sizeof *all, cmp_u64);
    c->key = malloc(nall * sizeof *c->key);
    c->count = malloc(nall * sizeof *c->count);
    assert_non_null(c->key);
    assert_non_null(c->count);
    c->nkeys = 0;
    for (size_t i = 0; i < nall; i++) {
        if (c->nkeys && c->key[c->nkeys - 1] == all[i]) {
            c->count[c->nkeys - 1]++;
        } else {
            c->key[c->nkeys] = all[i];
            c->count[c->nkeys++] = 1;
        }
    }
    free(all);
}

static void free_corpus(corpus *c)
{
    for (size_t d = 0; d < DOCS; d++) free(c->doc[d]);
    free(c->key);
    free(c->count);
}

static uint64_t model_count(const corpus *c, uint64_t h)
{
    size_t lo = 0, hi = c->nkeys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->key[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->nkeys && c->key[lo] == h ? c->count[lo] : 0;
}

static void add_all(wd_docfreq *d, const corpus *c, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) assert_int_equal(wd_docfreq_add(d, c->doc[i], c->len[i]), WD_OK);
}

/* ---- exact ------------------------------------------------------------------ */

static void test_exact_model(void **state)
{
    (void)state;
    static corpus c;
    make_corpus(&c, 1);
    wd_docfreq d;
    assert_int_equal(wd_docfreq_init_exact(&d), WD_OK);
    add_all(&d, &c, 0, DOCS);
    assert_int_equal(d.docs, DOCS);
    assert_int_equal(d.total, c.total);
    assert_int_equal(d.distinct, c.nkeys);
    uint64_t maxc = 0;
    for (size_t i = 0; i < c.nkeys; i++) {
        assert_int_equal(wd_docfreq_estimate(&d, c.key[i]), c.count[i]);
        if (c.count[i] > maxc) maxc = c.count[i];
    }
    assert_true(maxc > DOCS / 2);             /* the data does have templates */
    assert_true(wd_docfreq_estimate(&d, c.pool[0]) >= DOCS / 10);
    uint64_t rng = 99;
    for (int i = 0; i < 1000; i++) {
        uint64_t h = rng_next(&rng);
        assert_int_equal(wd_docfreq_estimate(&d, h), model_count(&c, h));
    }

    /* is_common and filter against the model */
    const double shares[] = { 0.0, 0.01, 0.05, 0.2, 0.5, 1.0 };
    for (size_t s = 0; s < sizeof shares / sizeof shares[0]; s++) {
        uint64_t th = (uint64_t)ceil(shares[s] * DOCS);
        if (th < WD_DOCFREQ_MIN_DOCS) th = WD_DOCFREQ_MIN_DOCS;
        assert_int_equal(wd_docfreq_threshold(&d, shares[s]), th);
        for (size_t i = 0; i < c.nkeys; i += 7)
            assert_int_equal(wd_docfreq_is_common(&d, c.key[i], shares[s]), c.count[i] >= th);
        uint64_t *out = malloc(c.len[3] * sizeof *out);
        assert_non_null(out);
        size_t kept = wd_docfreq_filter(&d, shares[s], c.doc[3], c.len[3], out);
        size_t want = 0;
        for (size_t k = 0; k < c.len[3]; k++)
            if (model_count(&c, c.doc[3][k]) < th) {
                assert_true(want < kept && out[want] == c.doc[3][k]);
                want++;
            }
        assert_int_equal(kept, want);
        free(out);
    }
    wd_docfreq_free(&d);
    free_corpus(&c);
}

static void test_floor_on_tiny_inputs(void **state)
{
    (void)state;
    wd_docfreq d;
    assert_int_equal(wd_docfreq_init_exact(&d), WD_OK);
    const uint64_t doc[3] = { 1, 2, 3 };
    for (int i = 0; i < 3; i++) assert_int_equal(wd_docfreq_add(&d, doc, 3), WD_OK);
    /* every hash is in 100 % of 3 documents, but below the floor of 5 */
    assert_int_equal(wd_docfreq_estimate(&d, 2), 3);
    assert_false(wd_docfreq_is_common(&d, 2, 0.1));
    assert_false(wd_docfreq_is_common(&d, 2, 1.0));
    for (int i = 0; i < 2; i++) assert_int_equal(wd_docfreq_add(&d, doc, 3), WD_OK);
    assert_true(wd_docfreq_is_common(&d, 2, 0.1));  /* 5 >= max(5, 1) */
    assert_true(wd_docfreq_is_common(&d, 2, 1.0));  /* 5 >= max(5, 5) */
    assert_false(wd_docfreq_is_common(&d, 4, 0.1)); /* absent */
    d.min_docs = 0;
    assert_true(wd_docfreq_is_common(&d, 4, 0.0));  /* 0 >= 0: no floor, no share */
    assert_int_equal(wd_docfreq_threshold(&d, -1.0), 0);
    assert_int_equal(wd_docfreq_threshold(&d, NAN), 0);
    assert_int_equal(wd_docfreq_threshold(&d, 7.0), 5); /* share clamped to 1 */
    /* an empty document counts as a document */
    assert_int_equal(wd_docfreq_add(&d, NULL, 0), WD_OK);
    assert_int_equal(d.docs, 6);
    wd_docfreq_free(&d);
}

/* ---- sketch -------------------------------------------------------------------- */

static void check_sketch(const corpus *c, uint64_t width, unsigned depth, double *max_err_ratio)
{
    wd_docfreq d;
    assert_int_equal(wd_docfreq_init_sketch(&d, width, depth, 42), WD_OK);
    add_all(&d, c, 0, DOCS);
    assert_int_equal(d.total, c->total);
    const double bound = M_E / (double)width * (double)c->total;
    size_t over = 0, exact = 0;
    double worst = 0;
    for (size_t i = 0; i < c->nkeys; i++) {
        uint64_t est = wd_docfreq_estimate(&d, c->key[i]);
        if (est < c->count[i])
            fail_msg("width %llu depth %u: hash %zu estimated %llu < true %llu", (unsigned long long)width,
                     depth, i, (unsigned long long)est, (unsigned long long)c->count[i]);
        double err = (double)(est - c->count[i]);
        if (err > bound) over++;
        if (err == 0) exact++;
        if (err / bound > worst) worst = err / bound;
    }
    /* Absent hashes: estimates are errors too. */
    uint64_t rng = 7;
    for (int i = 0; i < 2000; i++) {
        uint64_t h = rng_next(&rng);
        if ((double)wd_docfreq_estimate(&d, h) - (double)model_count(c, h) > bound) over++;
    }
    double allowed = exp(-(double)depth) * (double)(c->nkeys + 2000);
    print_message("width %6llu depth %u: bound e/w*N = %.1f, worst error %.2f of it, %zu over "
                  "(allowed %.0f), %zu of %zu exact\n",
                  (unsigned long long)width, depth, bound, worst, over, allowed, exact, c->nkeys);
    assert_true((double)over <= allowed);
    *max_err_ratio = worst;
    wd_docfreq_free(&d);
}

static void test_sketch_bounds(void **state)
{
    (void)state;
    static corpus c;
    make_corpus(&c, 2);
    double worst;
    check_sketch(&c, 256, 2, &worst);
    check_sketch(&c, 1024, 4, &worst);
    check_sketch(&c, 4096, 3, &worst);
    check_sketch(&c, 100003, 5, &worst); /* not a power of two */

    /* Wide enough that collisions are rare: (almost) every count exact. */
    wd_docfreq d;
    assert_int_equal(wd_docfreq_init_sketch(&d, 1u << 22, 4, 1), WD_OK);
    add_all(&d, &c, 0, DOCS);
    size_t exact = 0;
    for (size_t i = 0; i < c.nkeys; i++) exact += wd_docfreq_estimate(&d, c.key[i]) == c.count[i];
    assert_true(exact >= c.nkeys - c.nkeys / 1000);
    assert_true(wd_docfreq_is_common(&d, c.pool[0], 0.1));
    wd_docfreq_free(&d);
    free_corpus(&c);
}

/* ---- merge and shapes ------------------------------------------------------------- */

static void test_merge(void **state)
{
    (void)state;
    static corpus c;
    make_corpus(&c, 3);
    wd_docfreq a, b, whole;
    assert_int_equal(wd_docfreq_init_exact(&a), WD_OK);
    assert_int_equal(wd_docfreq_init_exact(&b), WD_OK);
    add_all(&a, &c, 0, DOCS / 3);
    add_all(&b, &c, DOCS / 3, DOCS);
    assert_int_equal(wd_docfreq_merge(&a, &b), WD_OK);
    assert_int_equal(a.docs, DOCS);
    assert_int_equal(a.total, c.total);
    assert_int_equal(a.distinct, c.nkeys);
    for (size_t i = 0; i < c.nkeys; i++) assert_int_equal(wd_docfreq_estimate(&a, c.key[i]), c.count[i]);

    /* sketches: the merge is an upper bound, and equals a sketch of the
     * whole when nothing collides */
    wd_docfreq sa, sb;
    assert_int_equal(wd_docfreq_init_sketch(&sa, 2048, 3, 5), WD_OK);
    assert_int_equal(wd_docfreq_init_sketch(&sb, 2048, 3, 5), WD_OK);
    add_all(&sa, &c, 0, DOCS / 2);
    add_all(&sb, &c, DOCS / 2, DOCS);
    assert_int_equal(wd_docfreq_merge(&sa, &sb), WD_OK);
    assert_int_equal(sa.docs, DOCS);
    for (size_t i = 0; i < c.nkeys; i++) assert_true(wd_docfreq_estimate(&sa, c.key[i]) >= c.count[i]);

    /* incompatible pairs */
    assert_int_equal(wd_docfreq_merge(&a, &sa), WD_E_INVALID);
    assert_int_equal(wd_docfreq_init_sketch(&whole, 2048, 3, 6), WD_OK); /* other seed */
    assert_int_equal(wd_docfreq_merge(&whole, &sa), WD_E_INVALID);
    wd_docfreq_free(&whole);
    assert_int_equal(wd_docfreq_init_sketch(&whole, 2048, 2, 5), WD_OK); /* other depth */
    assert_int_equal(wd_docfreq_merge(&whole, &sa), WD_E_INVALID);
    wd_docfreq_free(&whole);

    wd_docfreq_free(&a);
    wd_docfreq_free(&b);
    wd_docfreq_free(&sa);
    wd_docfreq_free(&sb);
    free_corpus(&c);
}

static void test_shapes(void **state)
{
    (void)state;
    wd_docfreq d;
    assert_int_equal(wd_docfreq_init_sketch(&d, 0, 4, 1), WD_E_INVALID);
    assert_int_equal(wd_docfreq_init_sketch(&d, 1024, 0, 1), WD_E_INVALID);
    assert_int_equal(wd_docfreq_init_sketch(&d, 1024, WD_DOCFREQ_MAX_DEPTH + 1, 1), WD_E_INVALID);
    assert_int_equal(wd_docfreq_init_sketch(&d, UINT64_MAX / 2, 4, 1), WD_E_INVALID);
    /* width 1: one counter per row, every estimate is the max count seen */
    assert_int_equal(wd_docfreq_init_sketch(&d, 1, 1, 1), WD_OK);
    const uint64_t x[2] = { 10, 20 };
    assert_int_equal(wd_docfreq_add(&d, x, 2), WD_OK);
    assert_int_equal(wd_docfreq_add(&d, x, 1), WD_OK);
    assert_int_equal(wd_docfreq_estimate(&d, 999), 3);  /* CU: 1, 2, then 3 */
    wd_docfreq_free(&d);
    /* seeds give different rows */
    wd_docfreq e, f;
    assert_int_equal(wd_docfreq_init_sketch(&e, 64, 2, 1), WD_OK);
    assert_int_equal(wd_docfreq_init_sketch(&f, 64, 2, 2), WD_OK);
    assert_true(memcmp(e.seed, f.seed, sizeof e.seed) != 0);
    wd_docfreq_free(&e);
    wd_docfreq_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_model),
        cmocka_unit_test(test_floor_on_tiny_inputs),
        cmocka_unit_test(test_sketch_bounds),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
