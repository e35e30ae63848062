/*
 * test_runcount.c - exact hash counts as sorted runs (src/index/runcount.h),
 * against a model (all values sorted with qsort, equal ones counted):
 *   - random hashes with repeats over several buffers (runs merged);
 *   - the same values dealt out to three counters and merged, in two orders;
 *   - crowded buckets (values sharing their top bits: the sort's fallback),
 *     zero and UINT64_MAX;
 *   - an empty counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wiredup.h"
#include "index/runcount.h"

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

/* The run must be v's distinct values, ascending, with their counts. */
static void check(const wd_run *r, const uint64_t *v, size_t n)
{
    uint64_t *s = malloc((n ? n : 1) * sizeof *s);
    assert_non_null(s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        size_t j = i;
        while (j < n && s[j] == s[i]) j++;
        assert_true(k < r->len);
        assert_true(r->key[k] == s[i]);
        assert_int_equal(r->count[k], j - i);
        i = j;
    }
    assert_int_equal(r->len, k);
    free(s);
}

#define N (3 * WD_RUNCOUNT_BUFFER + 12345)

/* Values: random, a pool of repeated ones, and (crowded) ones that differ
 * only in their low bits. */
static uint64_t *make(uint64_t seed, int crowded)
{
    uint64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = rng_next(&seed);
        if (crowded) v[i] = 0xABCD000000000000ULL | (r % 5000000);
        else v[i] = r % 3 ? r : rng_next(&(uint64_t){ r % 1000 }); /* 1000 repeated values */
    }
    v[0] = 0;
    v[1] = UINT64_MAX;
    v[2] = 0;
    return v;
}

static void one_counter(int crowded)
{
    uint64_t *v = make(crowded ? 2 : 1, crowded);
    wd_runcount c;
    wd_runcount_init(&c);
    for (size_t i = 0; i < N; i += 777) /* uneven adds across buffer ends */
        assert_int_equal(wd_runcount_add(&c, v + i, N - i < 777 ? N - i : 777), WD_OK);
    const wd_run *r = wd_runcount_finish(&c);
    assert_non_null(r);
    check(r, v, N);
    wd_runcount_free(&c);
    free(v);
}

static void test_random(void **state) { (void)state; one_counter(0); }
static void test_crowded(void **state) { (void)state; one_counter(1); }

static void test_merge(void **state)
{
    (void)state;
    uint64_t *v = make(3, 0);
    wd_run *keep[2];
    wd_runcount all[2];
    for (int order = 0; order < 2; order++) {
        wd_runcount c[3];
        for (int k = 0; k < 3; k++) wd_runcount_init(&c[k]);
        uint64_t deal = 9;
        for (size_t i = 0; i < N; i++)
            assert_int_equal(wd_runcount_add(&c[rng_next(&deal) % 3], v + i, 1), WD_OK);
        wd_runcount_init(&all[order]);
        for (int k = 0; k < 3; k++)
            assert_int_equal(wd_runcount_merge(&all[order], &c[order ? 2 - k : k]), WD_OK);
        keep[order] = (wd_run *)wd_runcount_finish(&all[order]);
        assert_non_null(keep[order]);
        check(keep[order], v, N);
    }
    assert_int_equal(keep[0]->len, keep[1]->len);
    assert_memory_equal(keep[0]->count, keep[1]->count, keep[0]->len * sizeof *keep[0]->count);
    wd_runcount_free(&all[0]);
    wd_runcount_free(&all[1]);
    free(v);
}

static void test_empty(void **state)
{
    (void)state;
    wd_runcount c;
    wd_runcount_init(&c);
    const wd_run *r = wd_runcount_finish(&c);
    assert_non_null(r);
    assert_int_equal(r->len, 0);
    wd_runcount_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_crowded),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
