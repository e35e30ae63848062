/*
 * test_hamming.c - the permuted-table Hamming index (src/index/hamming.h)
 * against brute force.
 *
 *   - For k = 0..8 (automatic blocks) and several explicit block counts:
 *     random fingerprints plus planted neighbours at distances 0..k+2 of
 *     some of them, plus a low-entropy family (one base with only a few
 *     low bits varied, so prefix ranges hold many keys). Queries: stored
 *     fingerprints, their perturbations at distances 0..k+2, and random
 *     ones. The result set must equal the brute-force set exactly, with no
 *     document twice.
 *   - Random insert/remove sequences against a model (an array of live
 *     entries), many documents under one fingerprint (list growth and the
 *     return to the inline form), removal of absent entries.
 *   - query_within for every maxd <= k; the automatic block table of
 *     hamming.h; invalid arguments.
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
#include "index/hamming.h"

/* ---- test PRNG ------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* fp with exactly d distinct random bits flipped. */
static uint64_t flip(uint64_t fp, unsigned d, uint64_t *rng)
{
    uint64_t done = 0;
    while ((unsigned)__builtin_popcountll(done) < d) done |= 1ULL << (rng_next(rng) % 64);
    return fp ^ done;
}

static unsigned dist(uint64_t a, uint64_t b)
{
    return (unsigned)__builtin_popcountll(a ^ b);
}

/* ---- model: live (fp, doc) entries --------------------------------------- */

typedef struct entry {
    uint64_t fp, doc;
    int live;
} entry;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Query the index and brute force; the sorted results must be equal. */
static void check_query(const wd_hamming *h, const entry *e, size_t n, uint64_t q, unsigned maxd,
                        wd_u64s *got, wd_u64s *want)
{
    got->len = want->len = 0;
    assert_int_equal(wd_hamming_query_within(h, q, maxd, got), WD_OK);
    for (size_t i = 0; i < n; i++)
        if (e[i].live && dist(e[i].fp, q) <= maxd) {
            assert_int_equal(wd_u64s_reserve(want, want->len + 1), WD_OK);
            want->data[want->len++] = e[i].doc;
        }
    if (got->len) qsort(got->data, got->len, sizeof *got->data, cmp_u64);
    if (want->len) qsort(want->data, want->len, sizeof *want->data, cmp_u64);
    for (size_t i = 1; i < got->len; i++)
        if (got->data[i] == got->data[i - 1])
            fail_msg("k=%u maxd=%u q=%016llx: doc %llu reported twice", h->k, maxd,
                     (unsigned long long)q, (unsigned long long)got->data[i]);
    if (got->len != want->len || (got->len && memcmp(got->data, want->data, got->len * 8)))
        fail_msg("k=%u b=%u maxd=%u q=%016llx: %zu results, brute force %zu", h->k, h->nblocks,
                 maxd, (unsigned long long)q, got->len, want->len);
}

/* Fills e with random fingerprints, planted neighbours and a low-entropy
 * family; returns the count. */
static size_t make_set(entry *e, size_t cap, unsigned k, uint64_t *rng)
{
    size_t n = 0;
    while (n < cap / 2) e[n++] = (entry){ rng_next(rng), 0, 1 };
    size_t bases = n;
    while (n < cap * 3 / 4) {   /* neighbours at 0..k+2 of random stored ones */
        uint64_t base = e[rng_next(rng) % bases].fp;
        e[n++] = (entry){ flip(base, (unsigned)(rng_next(rng) % (k + 3)), rng), 0, 1 };
    }
    uint64_t low = rng_next(rng);
    while (n < cap) e[n++] = (entry){ low ^ (rng_next(rng) & 0xfff), 0, 1 };
    for (size_t i = 0; i < n; i++) e[i].doc = i;
    return n;
}

static void run_brute_force(unsigned k, unsigned blocks, size_t cap, unsigned queries)
{
    uint64_t rng = 1000 + k * 31 + blocks;
    entry *e = malloc(cap * sizeof *e);
    assert_non_null(e);
    size_t n = make_set(e, cap, k, &rng);
    wd_hamming h;
    assert_int_equal(wd_hamming_init(&h, k, blocks), WD_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(wd_hamming_insert(&h, e[i].fp, e[i].doc), WD_OK);
    assert_int_equal(h.count, n);

    wd_u64s got = { 0 }, want = { 0 };
    size_t found = 0;
    for (unsigned qi = 0; qi < queries; qi++) {
        uint64_t q;
        switch (qi % 3) {
        case 0: q = e[rng_next(&rng) % n].fp; break;
        case 1: q = flip(e[rng_next(&rng) % n].fp, (unsigned)(rng_next(&rng) % (k + 3)), &rng); break;
        default: q = rng_next(&rng); break;
        }
        check_query(&h, e, n, q, k, &got, &want);
        found += want.len;
        if (qi % 16 == 0)
            for (unsigned d = 0; d < k; d++) check_query(&h, e, n, q, d, &got, &want);
    }
    assert_true(found > queries / 2); /* the sets do plant answers */

    /* Remove a third, query again. */
    for (size_t i = 0; i < n; i++)
        if (rng_next(&rng) % 3 == 0) {
            assert_int_equal(wd_hamming_remove(&h, e[i].fp, e[i].doc), WD_OK);
            e[i].live = 0;
            assert_int_equal(wd_hamming_remove(&h, e[i].fp, e[i].doc), WD_E_INVALID);
        }
    for (unsigned qi = 0; qi < queries / 2; qi++) {
        uint64_t q = flip(e[rng_next(&rng) % n].fp, (unsigned)(rng_next(&rng) % (k + 3)), &rng);
        check_query(&h, e, n, q, k, &got, &want);
    }
    wd_u64s_free(&got);
    wd_u64s_free(&want);
    wd_hamming_free(&h);
    free(e);
}

static void test_brute_force_auto(void **state)
{
    (void)state;
    for (unsigned k = 0; k <= 8; k++) run_brute_force(k, 0, 4000, 600);
}

static void test_brute_force_blocks(void **state)
{
    (void)state;
    const unsigned cases[][2] = { { 0, 3 }, { 1, 4 }, { 2, 4 }, { 3, 4 }, { 3, 6 }, { 3, 7 },
                                  { 4, 8 }, { 6, 7 }, { 10, 11 }, { 12, 14 }, { 2, 16 }, { 1, 64 } };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        run_brute_force(cases[c][0], cases[c][1], 1500, 200);
}

/* ---- random operations against the model --------------------------------- */

static void test_random_ops(void **state)
{
    (void)state;
    enum { CAP = 3000, OPS = 20000 };
    uint64_t rng = 77;
    entry *e = calloc(CAP, sizeof *e);
    assert_non_null(e);
    size_t n = 0;
    wd_hamming h;
    assert_int_equal(wd_hamming_init(&h, 3, 0), WD_OK);
    wd_u64s got = { 0 }, want = { 0 };
    uint64_t pool[64];          /* few distinct fingerprints: shared lists */
    for (int i = 0; i < 64; i++) pool[i] = i < 32 ? rng_next(&rng) : flip(pool[i - 32], 2, &rng);
    uint64_t live = 0;
    for (unsigned op = 0; op < OPS; op++) {
        uint64_t r = rng_next(&rng) % 10;
        if (r < 5 && n < CAP) {
            e[n] = (entry){ pool[rng_next(&rng) % 64], n, 1 };
            assert_int_equal(wd_hamming_insert(&h, e[n].fp, e[n].doc), WD_OK);
            n++;
            live++;
        } else if (r < 8 && n) {
            size_t i = rng_next(&rng) % n;
            assert_int_equal(wd_hamming_remove(&h, e[i].fp, e[i].doc), e[i].live ? WD_OK : WD_E_INVALID);
            if (e[i].live) live--;
            e[i].live = 0;
        } else {
            uint64_t q = flip(pool[rng_next(&rng) % 64], (unsigned)(rng_next(&rng) % 5), &rng);
            check_query(&h, e, n, q, 3, &got, &want);
        }
        assert_int_equal(h.count, live);
    }
    /* Absent entries: wrong document, unknown fingerprint. */
    assert_int_equal(wd_hamming_remove(&h, pool[0], UINT64_C(1) << 40), WD_E_INVALID);
    assert_int_equal(wd_hamming_remove(&h, ~pool[0], 0), WD_E_INVALID);
    /* Removing everything leaves every table empty. */
    for (size_t i = 0; i < n; i++)
        if (e[i].live) assert_int_equal(wd_hamming_remove(&h, e[i].fp, e[i].doc), WD_OK);
    assert_int_equal(h.count, 0);
    assert_null(h.docs);
    for (unsigned t = 0; t < h.ntables; t++) assert_null(h.t[t].keys);
    wd_u64s_free(&got);
    wd_u64s_free(&want);
    wd_hamming_free(&h);
    free(e);
}

static void test_one_fingerprint_many_docs(void **state)
{
    (void)state;
    wd_hamming h;
    assert_int_equal(wd_hamming_init(&h, 2, 0), WD_OK);
    const uint64_t fp = 0x0123456789abcdefULL;
    wd_u64s out = { 0 };
    for (uint64_t d = 0; d < 100; d++) assert_int_equal(wd_hamming_insert(&h, fp, d * 3), WD_OK);
    assert_int_equal(wd_hamming_query(&h, fp ^ 3, &out), WD_OK);
    assert_int_equal(out.len, 100);
    for (uint64_t d = 0; d < 100; d++) assert_true(out.data[d] == d * 3); /* insertion order */
    for (uint64_t d = 0; d < 99; d++) assert_int_equal(wd_hamming_remove(&h, fp, d * 3), WD_OK);
    out.len = 0;
    assert_int_equal(wd_hamming_query(&h, fp, &out), WD_OK);
    assert_int_equal(out.len, 1);
    assert_true(out.data[0] == 99 * 3);
    assert_int_equal(wd_hamming_remove(&h, fp, 99 * 3), WD_OK);
    out.len = 0;
    assert_int_equal(wd_hamming_query(&h, fp, &out), WD_OK);
    assert_int_equal(out.len, 0);
    assert_int_equal(h.count, 0);
    /* the fingerprint left every table (an empty Judy array is NULL) */
    assert_null(h.docs);
    for (unsigned t = 0; t < h.ntables; t++) assert_null(h.t[t].keys);
    /* Reinsert after the fingerprint left every table. */
    assert_int_equal(wd_hamming_insert(&h, fp, 5), WD_OK);
    assert_int_equal(wd_hamming_query(&h, fp ^ 0x8000000000000001ULL, &out), WD_OK);
    assert_int_equal(out.len, 1);
    assert_int_equal(wd_hamming_query(&h, fp ^ 7, &out), WD_OK); /* distance 3 > k */
    assert_int_equal(out.len, 1);
    wd_u64s_free(&out);
    wd_hamming_free(&h);
}

static void test_config(void **state)
{
    (void)state;
    /* The table in hamming.h. */
    const unsigned want_b[] = { 1, 2, 3, 5, 6, 7, 8, 9, 10 };
    const unsigned want_t[] = { 1, 2, 3, 10, 15, 21, 28, 36, 45 };
    for (unsigned k = 0; k <= 8; k++) {
        assert_int_equal(wd_hamming_auto_blocks(k), want_b[k]);
        wd_hamming h;
        assert_int_equal(wd_hamming_init(&h, k, 0), WD_OK);
        assert_int_equal(h.nblocks, want_b[k]);
        assert_int_equal(h.ntables, want_t[k]);
        /* Every table: a permutation of all 64 bits, prefix = its blocks. */
        for (unsigned t = 0; t < h.ntables; t++) {
            uint64_t covered = 0;
            unsigned plen = 0;
            for (unsigned i = 0; i < h.nblocks; i++) {
                const wd_hamming_move *m = &h.moves[t * h.nblocks + i];
                uint64_t bits = (m->width == 64 ? ~0ULL : ((1ULL << m->width) - 1)) << m->dst;
                assert_true((covered & bits) == 0);
                covered |= bits;
                if (h.t[t].blocks >> m->block & 1) plen += m->width;
            }
            assert_true(covered == ~0ULL);
            assert_int_equal(__builtin_popcountll(h.t[t].prefix), plen);
            assert_int_equal(__builtin_popcountll(h.t[t].blocks), h.nblocks - k);
        }
        wd_hamming_free(&h);
    }
    wd_hamming h;
    assert_int_equal(wd_hamming_init(&h, 64, 0), WD_E_INVALID);
    assert_int_equal(wd_hamming_init(&h, 3, 3), WD_E_INVALID);  /* b must exceed k */
    assert_int_equal(wd_hamming_init(&h, 3, 65), WD_E_INVALID);
    assert_int_equal(wd_hamming_init(&h, 20, 40), WD_E_INVALID); /* C(40, 20) tables */
    assert_int_equal(wd_hamming_init(&h, 63, 0), WD_OK);         /* degenerate but exact */
    assert_int_equal(h.ntables, 64);
    for (uint64_t d = 0; d < 50; d++) assert_int_equal(wd_hamming_insert(&h, d * 0x9e3779b97f4a7c15ULL, d), WD_OK);
    wd_u64s out = { 0 };
    assert_int_equal(wd_hamming_query(&h, 0, &out), WD_OK);
    assert_int_equal(out.len, 50); /* every stored fingerprint but ~0 is within 63 of 0 */
    wd_u64s_free(&out);
    wd_hamming_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_brute_force_auto),
        cmocka_unit_test(test_brute_force_blocks),
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_one_fingerprint_many_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
