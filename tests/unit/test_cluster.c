/*
 * test_cluster.c - union-find (src/cluster/unionfind.h) against a simple
 * model, and the exact-duplicate set (src/index/exact.h).
 *
 * The model of union-find is a label array: label[i] names i's component,
 * and a union relabels every element of one component. After each batch of
 * random unions every wd_uf_find must return the smallest element of the
 * model's component -- the "earliest document" rule the index relies on.
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
#include "cluster/unionfind.h"
#include "index/exact.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- union-find vs model ------------------------------------------------ */

typedef struct model {
    uint64_t *label;  /* component name of each element */
    uint64_t n;
} model;

static void model_union(model *m, uint64_t x, uint64_t y)
{
    uint64_t lx = m->label[x], ly = m->label[y];
    if (lx == ly) return;
    for (uint64_t i = 0; i < m->n; i++)
        if (m->label[i] == ly) m->label[i] = lx;
}

/* Every find equals the smallest element of the model's component, and the
 * parent array keeps its documented invariant parent[i] <= i. */
static void check_against_model(wd_uf *u, const model *m)
{
    uint64_t *minof = malloc(m->n * sizeof *minof);
    assert_non_null(minof);
    /* Labels are element numbers, so a table indexed by label works. */
    for (uint64_t i = 0; i < m->n; i++) minof[i] = UINT64_MAX;
    for (uint64_t i = 0; i < m->n; i++)
        if (i < minof[m->label[i]]) minof[m->label[i]] = i;
    assert_int_equal(u->n, m->n);
    for (uint64_t i = 0; i < m->n; i++) {
        assert_true(u->parent[i] <= i);
        uint64_t want = minof[m->label[i]];
        uint64_t got = wd_uf_find(u, i);
        if (got != want)
            fail_msg("find(%llu) = %llu, smallest of its component is %llu",
                     (unsigned long long)i, (unsigned long long)got,
                     (unsigned long long)want);
    }
    free(minof);
}

static void test_uf_random_unions(void **state)
{
    (void)state;
    enum { N = 1000, UNIONS = 10000, BATCH = 250 };
    uint64_t rng = 0x0F0F;
    wd_uf u;
    wd_uf_init(&u);
    assert_int_equal(wd_uf_grow(&u, N), WD_OK);
    model m = { malloc(N * sizeof(uint64_t)), N };
    assert_non_null(m.label);
    for (uint64_t i = 0; i < N; i++) m.label[i] = i;
    check_against_model(&u, &m); /* all singletons */

    size_t components = N;
    for (int k = 1; k <= UNIONS; k++) {
        uint64_t x, y;
        /* Mostly uniform pairs; some unions of an element with itself and
         * of two elements already together; early on, favour small
         * numbers to build long chains. */
        if (k % 97 == 0) {
            x = y = rng_next(&rng) % N;
        } else if (k < 2000 && k % 3 == 0) {
            x = rng_next(&rng) % 50;
            y = rng_next(&rng) % N;
        } else {
            x = rng_next(&rng) % N;
            y = rng_next(&rng) % N;
        }
        if (m.label[x] != m.label[y]) components--;
        wd_uf_union(&u, x, y);
        model_union(&m, x, y);
        if (k % BATCH == 0) check_against_model(&u, &m);
        /* Component count from the structure: roots are parent[i] == i. */
        if (k % 1000 == 0) {
            size_t roots = 0;
            for (uint64_t i = 0; i < N; i++) roots += u.parent[i] == i;
            assert_int_equal(roots, components);
        }
    }
    assert_int_equal(components, 1); /* 10,000 random unions connect 1,000 */
    free(m.label);
    wd_uf_free(&u);
}

/*
 * The index grows the structure batch by batch while unions happen, and
 * joins later documents to earlier ones (union(a, b) with a < b, as well as
 * the reverse). Growth must keep the existing components and add fresh
 * singletons.
 */
static void test_uf_grow_between_unions(void **state)
{
    (void)state;
    uint64_t rng = 0xABC;
    wd_uf u;
    wd_uf_init(&u);
    model m = { malloc(3000 * sizeof(uint64_t)), 0 };
    assert_non_null(m.label);
    for (int round = 0; round < 30; round++) {
        uint64_t add = 1 + rng_next(&rng) % 150;
        assert_int_equal(wd_uf_grow(&u, add), WD_OK);
        for (uint64_t i = 0; i < add; i++) m.label[m.n + i] = m.n + i;
        m.n += add;
        for (int k = 0; k < 60; k++) {
            uint64_t a = rng_next(&rng) % m.n, b = rng_next(&rng) % m.n;
            if (k % 2) { uint64_t t = a; a = b; b = t; }
            wd_uf_union(&u, a, b);
            model_union(&m, a, b);
        }
        check_against_model(&u, &m);
    }
    assert_int_equal(wd_uf_grow(&u, 0), WD_OK);
    check_against_model(&u, &m);
    free(m.label);
    wd_uf_free(&u);
    assert_null(u.parent);
    assert_int_equal(u.n, 0);
}

/* A hand-made case: unions in "wrong" order still give the smallest root. */
static void test_uf_small(void **state)
{
    (void)state;
    wd_uf u;
    wd_uf_init(&u);
    assert_int_equal(wd_uf_grow(&u, 8), WD_OK);
    wd_uf_union(&u, 7, 6);
    wd_uf_union(&u, 6, 5);
    assert_int_equal(wd_uf_find(&u, 7), 5);
    wd_uf_union(&u, 3, 4);
    wd_uf_union(&u, 7, 4);       /* joins {3,4} and {5,6,7} through their largest */
    for (uint64_t i = 3; i <= 7; i++) assert_int_equal(wd_uf_find(&u, i), 3);
    for (uint64_t i = 0; i < 3; i++) assert_int_equal(wd_uf_find(&u, i), i);
    wd_uf_union(&u, 5, 1);
    for (uint64_t i = 3; i <= 7; i++) assert_int_equal(wd_uf_find(&u, i), 1);
    assert_int_equal(wd_uf_find(&u, 1), 1);
    assert_int_equal(wd_uf_find(&u, 0), 0);
    assert_int_equal(wd_uf_find(&u, 2), 2);
    wd_uf_free(&u);
}

/* ---- exact-duplicate set ------------------------------------------------ */

static void test_exact_add(void **state)
{
    (void)state;
    wd_exact e;
    wd_exact_init(&e);
    uint8_t h1[16], h2[16];
    for (int i = 0; i < 16; i++) h1[i] = (uint8_t)(i * 17 + 3);
    memcpy(h2, h1, 16);
    h2[15] ^= 0x80;                 /* differs in one bit of the last byte */
    uint64_t first = 999;
    assert_int_equal(wd_exact_add(&e, h1, 5, &first), 0);
    assert_int_equal(first, 5);
    assert_int_equal(wd_exact_add(&e, h2, 6, &first), 0);
    assert_int_equal(first, 6);
    assert_int_equal(wd_exact_add(&e, h1, 9, &first), 1);
    assert_int_equal(first, 5);
    assert_int_equal(wd_exact_add(&e, h1, 12, &first), 1);
    assert_int_equal(first, 5);       /* always the first, not the latest */
    assert_int_equal(wd_exact_add(&e, h2, 13, &first), 1);
    assert_int_equal(first, 6);
    /* Document 0 is a valid first document (stored as doc + 1). */
    uint8_t z[16] = {0};
    assert_int_equal(wd_exact_add(&e, z, 0, &first), 0);
    assert_int_equal(first, 0);
    assert_int_equal(wd_exact_add(&e, z, 1, &first), 1);
    assert_int_equal(first, 0);
    wd_exact_free(&e);

    /* Against a model: 5,000 adds drawn from 1,500 random hashes. */
    enum { HASHES = 1500, ADDS = 5000 };
    uint8_t (*hs)[16] = malloc(HASHES * sizeof *hs);
    uint64_t *firstdoc = malloc(HASHES * sizeof *firstdoc);
    assert_non_null(hs);
    assert_non_null(firstdoc);
    uint64_t rng = 77;
    for (int i = 0; i < HASHES; i++) {
        uint64_t x = rng_next(&rng), y = rng_next(&rng);
        memcpy(hs[i], &x, 8);
        memcpy(hs[i] + 8, &y, 8);
        firstdoc[i] = UINT64_MAX;
    }
    /* Some pairs share their first 8 or last 8 bytes: the whole key counts. */
    memcpy(hs[1], hs[0], 8);
    memcpy(hs[3] + 8, hs[2] + 8, 8);
    wd_exact_init(&e);
    for (uint64_t d = 0; d < ADDS; d++) {
        int i = (int)(rng_next(&rng) % HASHES);
        int rc = wd_exact_add(&e, hs[i], d, &first);
        if (firstdoc[i] == UINT64_MAX) {
            assert_int_equal(rc, 0);
            assert_int_equal(first, d);
            firstdoc[i] = d;
        } else {
            assert_int_equal(rc, 1);
            assert_int_equal(first, firstdoc[i]);
        }
    }
    wd_exact_free(&e);
    free(hs);
    free(firstdoc);

    /* An empty set frees cleanly. */
    wd_exact_init(&e);
    wd_exact_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uf_random_unions),
        cmocka_unit_test(test_uf_grow_between_unions),
        cmocka_unit_test(test_uf_small),
        cmocka_unit_test(test_exact_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
