/*
 * test_remove.c - removing documents from the LSH buckets (wd_lsh_remove)
 * and the exact set (wd_exact_remove), for sliding windows.
 *
 * Both structures are driven by random insert/remove sequences and compared
 * after every operation with a model that is obviously right: per key, the
 * list of documents in insertion order (LSH) and a hash -> first-document
 * table (exact). Keys and hashes come from a small universe so buckets
 * collide, grow into lists, shrink back to one document and empty out;
 * documents sometimes repeat a key across bands; removals of documents that
 * were never inserted or are already gone are mixed in. At the end every
 * live document is removed and both structures must be empty (LSH: no entry
 * left; exact: the Judy array is NULL), and ASan checks that nothing leaks.
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
#include "index/exact.h"
#include "index/lsh.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- LSH ---------------------------------------------------------------- */

#define BANDS 6
#define KEYS 48          /* key universe: small, so buckets collide */
#define MAXDOCS 4096

/* Model: the band keys of each document, whether it is inserted, and per
 * key the set of inserted documents holding it (kept up to date by
 * model_insert/model_remove, so a check costs the size of the buckets). */
typedef struct model {
    uint64_t keys[MAXDOCS][BANDS];  /* band keys of each document */
    uint8_t live[MAXDOCS];          /* 1 while inserted */
    uint64_t ndocs;
    uint32_t bucket[KEYS + 1][MAXDOCS]; /* key -> documents, ascending */
    uint32_t nb[KEYS + 1];
} model;

static void model_insert(model *m, uint64_t d)
{
    m->live[d] = 1;
    for (unsigned b = 0; b < BANDS; b++) {
        uint64_t k = m->keys[d][b];
        if (m->nb[k] && m->bucket[k][m->nb[k] - 1] == d) continue; /* repeated key */
        m->bucket[k][m->nb[k]++] = (uint32_t)d; /* d is the largest so far */
    }
}

static void model_remove(model *m, uint64_t d)
{
    if (!m->live[d]) return;
    m->live[d] = 0;
    for (unsigned b = 0; b < BANDS; b++) {
        uint64_t k = m->keys[d][b];
        uint32_t j = 0;
        for (uint32_t i = 0; i < m->nb[k]; i++)
            if (m->bucket[k][i] != d) m->bucket[k][j++] = m->bucket[k][i];
        m->nb[k] = j;
    }
}

static size_t model_bucket(const model *m, uint64_t key, uint64_t *out)
{
    for (uint32_t i = 0; i < m->nb[key]; i++) out[i] = m->bucket[key][i];
    return m->nb[key];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static size_t sort_unique(uint64_t *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1]) v[k++] = v[i];
    return k;
}

/* Every key of the universe: the bucket the structure returns equals the
 * model's; an empty model means an empty structure. */
static void check_lsh(const wd_lsh *l, const model *m)
{
    static uint64_t want[MAXDOCS];
    wd_u64s got = { 0 };
    size_t total = 0;
    for (uint64_t key = 1; key <= KEYS; key++) {
        uint64_t q[BANDS] = { key };     /* key 0 is never used */
        got.len = 0;
        assert_int_equal(wd_lsh_query(l, q, &got), WD_OK);
        size_t ng = sort_unique(got.data, got.len);
        size_t nw = model_bucket(m, key, want);
        assert_int_equal(ng, nw);
        for (size_t i = 0; i < nw; i++) assert_int_equal(got.data[i], want[i]);
        total += nw;
    }
    if (total == 0) assert_int_equal(wd_lsh_count(l), 0);
    else assert_true(wd_lsh_count(l) >= total);
    wd_u64s_free(&got);
}

static void random_keys(uint64_t *keys, uint64_t *rng)
{
    for (unsigned b = 0; b < BANDS; b++) {
        /* 1 in 5: repeat an earlier band's key (same key in two bands) */
        if (b > 0 && rng_next(rng) % 5 == 0) keys[b] = keys[rng_next(rng) % b];
        else keys[b] = 1 + rng_next(rng) % KEYS;
    }
}

static void lsh_random_run(uint64_t seed, unsigned ops, unsigned remove_pct)
{
    static model m;
    memset(&m, 0, sizeof m);
    uint64_t rng = seed;
    wd_lsh l;
    wd_lsh_init(&l, BANDS, 2, 7);
    for (unsigned op = 0; op < ops && m.ndocs < MAXDOCS; op++) {
        unsigned r = (unsigned)(rng_next(&rng) % 100);
        if (r < remove_pct && m.ndocs > 0) {
            uint64_t d = rng_next(&rng) % m.ndocs; /* live or not: both fine */
            assert_int_equal(wd_lsh_remove(&l, m.keys[d], d), WD_OK);
            model_remove(&m, d);
        } else if (r < remove_pct + 3) {
            /* a document that was never inserted, with random keys */
            uint64_t keys[BANDS];
            random_keys(keys, &rng);
            assert_int_equal(wd_lsh_remove(&l, keys, MAXDOCS + 5), WD_OK);
        } else {
            uint64_t d = m.ndocs++;
            random_keys(m.keys[d], &rng);
            assert_int_equal(wd_lsh_insert(&l, m.keys[d], d), WD_OK);
            model_insert(&m, d);
        }
        check_lsh(&l, &m);
    }
    for (uint64_t d = 0; d < m.ndocs; d++) {
        assert_int_equal(wd_lsh_remove(&l, m.keys[d], d), WD_OK);
        model_remove(&m, d);
        if (d % 16 == 0) check_lsh(&l, &m);
    }
    check_lsh(&l, &m);
    assert_int_equal(wd_lsh_count(&l), 0);
    wd_lsh_free(&l);
}

static void test_lsh_remove_random(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++)
        lsh_random_run(seed, 1500, (unsigned)(10 + seed * 5));
}

/* A sliding window: insert document i, remove document i - W. The number
 * of buckets stays bounded by the window, and the model agrees throughout. */
static void test_lsh_window(void **state)
{
    (void)state;
    static model m;
    memset(&m, 0, sizeof m);
    uint64_t rng = 99;
    wd_lsh l;
    wd_lsh_init(&l, BANDS, 2, 7);
    const uint64_t W = 50;
    for (uint64_t d = 0; d < MAXDOCS; d++) {
        random_keys(m.keys[d], &rng);
        assert_int_equal(wd_lsh_insert(&l, m.keys[d], d), WD_OK);
        model_insert(&m, d);
        m.ndocs = d + 1;
        if (d >= W) {
            assert_int_equal(wd_lsh_remove(&l, m.keys[d - W], d - W), WD_OK);
            model_remove(&m, d - W);
        }
        check_lsh(&l, &m);
    }
    check_lsh(&l, &m);
    for (uint64_t d = MAXDOCS - W; d < MAXDOCS; d++)
        assert_int_equal(wd_lsh_remove(&l, m.keys[d], d), WD_OK);
    assert_int_equal(wd_lsh_count(&l), 0);
    wd_lsh_free(&l);
}

/* Hand-made cases: a bucket of one, two down to one, a document listed
 * twice in one bucket (same key in two bands), removing twice, removing a
 * document from a bucket that does not hold it. */
static size_t bucket_of(const wd_lsh *l, uint64_t key, uint64_t *out)
{
    wd_u64s got = { 0 };
    uint64_t q[2] = { key, 0 };
    assert_int_equal(wd_lsh_query(l, q, &got), WD_OK);
    size_t n = sort_unique(got.data, got.len);
    for (size_t i = 0; i < n; i++) out[i] = got.data[i];
    wd_u64s_free(&got);
    return n;
}

static void test_lsh_remove_cases(void **state)
{
    (void)state;
    wd_lsh l;
    wd_lsh_init(&l, 2, 1, 1);
    uint64_t b[128];
    uint64_t k_a[2] = { 10, 20 }, k_b[2] = { 10, 30 }, k_c[2] = { 40, 40 };

    assert_int_equal(wd_lsh_remove(&l, k_a, 1), WD_OK); /* empty structure */
    assert_int_equal(wd_lsh_insert(&l, k_a, 1), WD_OK);
    assert_int_equal(wd_lsh_insert(&l, k_b, 2), WD_OK); /* key 10: {1, 2} */
    assert_int_equal(wd_lsh_insert(&l, k_c, 3), WD_OK); /* key 40 twice: {3} */
    assert_int_equal(wd_lsh_remove(&l, k_a, 1), WD_OK);
    assert_int_equal(wd_lsh_remove(&l, k_a, 1), WD_OK); /* again: no-op */
    assert_int_equal(bucket_of(&l, 10, b), 1);
    assert_int_equal(b[0], 2);
    assert_int_equal(bucket_of(&l, 20, b), 0);

    assert_int_equal(wd_lsh_remove(&l, k_c, 3), WD_OK); /* both copies go */
    assert_int_equal(bucket_of(&l, 40, b), 0);
    assert_int_equal(wd_lsh_remove(&l, k_b, 3), WD_OK); /* not in 10 or 30 */
    assert_int_equal(bucket_of(&l, 10, b), 1);
    assert_int_equal(bucket_of(&l, 30, b), 1);
    assert_int_equal(wd_lsh_remove(&l, k_b, 2), WD_OK);
    assert_int_equal(wd_lsh_count(&l), 0);

    /* a big bucket loses every other document */
    uint64_t k[2] = { 5, 6 };
    for (uint64_t d = 0; d < 100; d++) assert_int_equal(wd_lsh_insert(&l, k, d), WD_OK);
    for (uint64_t d = 0; d < 100; d += 2) assert_int_equal(wd_lsh_remove(&l, k, d), WD_OK);
    assert_int_equal(bucket_of(&l, 5, b), 50);
    for (size_t i = 0; i < 50; i++) assert_int_equal(b[i], 2 * i + 1);
    for (uint64_t d = 1; d < 100; d += 2) assert_int_equal(wd_lsh_remove(&l, k, d), WD_OK);
    assert_int_equal(wd_lsh_count(&l), 0);
    wd_lsh_free(&l);
}

/* ---- exact set ---------------------------------------------------------- */

#define HASHES 40

static void make_hash(uint8_t h[16], unsigned i)
{
    memset(h, 0, 16);
    h[0] = (uint8_t)i;
    h[7] = 0xa5;
    h[15] = (uint8_t)(i * 37);
}

/* The entry for hash hi maps to want - 1 (absent when want == 0), probed
 * through the public calls: add a probe document, and take it out again
 * when it went in. */
static void check_exact(wd_exact *e, unsigned hi, uint64_t want)
{
    const uint64_t PROBE = 1u << 30;
    uint8_t h[16];
    make_hash(h, hi);
    uint64_t f;
    int rc = wd_exact_add(e, h, PROBE, &f);
    if (want) {
        assert_int_equal(rc, 1);
        assert_int_equal(f, want - 1);
    } else {
        assert_int_equal(rc, 0);
        assert_int_equal(wd_exact_remove(e, h, PROBE), 1);
    }
}

static void test_exact_remove_random(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        uint64_t rng = seed * 1000;
        uint64_t first[HASHES];      /* model: doc + 1, 0 = absent */
        memset(first, 0, sizeof first);
        uint64_t *hash_of = calloc(4000, sizeof *hash_of); /* doc -> hash index */
        assert_non_null(hash_of);
        wd_exact e;
        wd_exact_init(&e);
        uint64_t ndocs = 0;
        for (unsigned op = 0; op < 4000; op++) {
            uint8_t h[16];
            if (rng_next(&rng) % 100 < 40 && ndocs > 0) {
                uint64_t d = rng_next(&rng) % ndocs;
                unsigned hi = (unsigned)hash_of[d];
                make_hash(h, hi);
                int want = first[hi] == d + 1;
                assert_int_equal(wd_exact_remove(&e, h, d), want);
                if (want) first[hi] = 0;
            } else {
                uint64_t d = ndocs++;
                unsigned hi = (unsigned)(rng_next(&rng) % HASHES);
                hash_of[d] = hi;
                make_hash(h, hi);
                uint64_t f;
                int rc = wd_exact_add(&e, h, d, &f);
                assert_int_equal(rc, first[hi] != 0);
                if (first[hi]) assert_int_equal(f, first[hi] - 1);
                else first[hi] = d + 1;
            }
            for (unsigned hi = 0; hi < HASHES; hi++) check_exact(&e, hi, first[hi]);
        }
        for (unsigned hi = 0; hi < HASHES; hi++) {
            uint8_t h[16];
            make_hash(h, hi);
            if (first[hi]) {
                assert_int_equal(wd_exact_remove(&e, h, first[hi]), 0); /* the next doc: not its owner */
                assert_int_equal(wd_exact_remove(&e, h, first[hi] - 1), 1);
            }
            assert_int_equal(wd_exact_remove(&e, h, 0), 0);
        }
        for (unsigned hi = 0; hi < HASHES; hi++) check_exact(&e, hi, 0);
        wd_exact_free(&e);
        free(hash_of);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lsh_remove_cases),
        cmocka_unit_test(test_lsh_remove_random),
        cmocka_unit_test(test_lsh_window),
        cmocka_unit_test(test_exact_remove_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
