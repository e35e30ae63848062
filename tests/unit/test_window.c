/*
 * test_window.c - the windowed index (params.window, window_seconds)
 * against a brute-force model.
 *
 * The model keeps the window as a plain list of leaders and applies the
 * rules of wiredup.h "Windows" literally: before each document the newest
 * time moves and old leaders leave from the front; the document is compared
 * with every leader left (wd_compare: an exact copy wins, else the verified
 * leader with the highest estimate, the earliest among equals); a document
 * that matches nothing joins the list, and the front leaves while the list
 * is longer than the window.
 *
 * The documents come in families (a base text of random words and variants
 * with at most one word changed, or changed case and punctuation), drawn
 * from a drifting set of six families that comes round again, so copies
 * meet their leader inside the window and after it has left. The index uses 64 bands of 2 rows: any two
 * variants of a family (Jaccard above 0.5) are LSH candidates with
 * probability 1 - 1e-10, and documents of different families share no word,
 * so LSH finds exactly the pairs the model compares. SimHash candidates
 * come from exact Hamming tables and need no such care.
 *
 * Every configuration runs with batch sizes 1, 7 and the whole stream and
 * with 1 and 2 threads; all must equal the model, document by document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "wiredup.h"

#define NDOCS 500
#define FAMILIES 30
#define BASE_WORDS 30

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct stream {
    char *text[NDOCS];
    wd_doc docs[NDOCS];
} stream;

/* A word no other family uses: family f, number k, spelled in letters. */
static void word(char *out, unsigned f, uint64_t k)
{
    char *o = out;
    for (uint64_t v = (uint64_t)f * 1000003u + k + 1; v; v /= 26) *o++ = (char)('a' + v % 26);
    *o = 0;
}

static void make_stream(stream *s, uint64_t seed)
{
    uint64_t rng = seed;
    int64_t t = 1000000;
    for (unsigned d = 0; d < NDOCS; d++) {
        char buf[BASE_WORDS * 16];
        size_t len = 0;
        /* six families active at a time, drifting: a family returns about
         * 250 documents after it was last drawn */
        unsigned f = (unsigned)((d / 10 + rng_next(&rng) % 6) % FAMILIES);
        unsigned kind = (unsigned)(rng_next(&rng) % 10);
        unsigned edit = (unsigned)(rng_next(&rng) % BASE_WORDS);
        uint64_t fresh = rng_next(&rng) % 1000;
        buf[0] = 0;
        if (kind == 0) {                 /* empty, or punctuation only */
            len = (size_t)snprintf(buf, sizeof buf, "%s", rng_next(&rng) % 2 ? "" : " ,;. ");
        } else {
            for (unsigned w = 0; w < BASE_WORDS; w++) {
                char wd[16];
                /* kind 1-3: exact copy; 4-5: case and punctuation; else one word changed */
                word(wd, f, kind >= 6 && w == edit ? 100 + fresh : w);
                if (kind == 4 || kind == 5) wd[0] = (char)(wd[0] - 'a' + 'A');
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", w ? (kind == 5 ? ", " : " ") : "", wd);
            }
        }
        s->text[d] = strdup(buf);
        assert_non_null(s->text[d]);
        /* Mostly ascending times with jitter (some out of order), now and
         * then a jump that empties a time window. */
        t += 10 + (int64_t)(rng_next(&rng) % 5 == 0 ? 400 : 0);
        int64_t jitter = (int64_t)(rng_next(&rng) % 61) - 30;
        s->docs[d] = (wd_doc){ s->text[d], len, t + jitter };
    }
}

static void free_stream(stream *s)
{
    for (unsigned d = 0; d < NDOCS; d++) free(s->text[d]);
}

/* The window by the book: leaders as (document, time), oldest first. */
static void model_run(const wd_params *p, const stream *s, wd_match *want, uint64_t *start)
{
    uint64_t lead[NDOCS];
    unsigned head = 0, tail = 0;
    int64_t newest = INT64_MIN;
    const int64_t span = (int64_t)p->window_seconds;
    for (unsigned d = 0; d < NDOCS; d++) {
        const wd_doc *x = &s->docs[d];
        if (span) {
            if (x->time > newest) newest = x->time;
            while (head < tail && s->docs[lead[head]].time < newest - span) head++;
        }
        wd_match *m = &want[d];
        memset(m, 0, sizeof *m);
        double best = -1.0;
        wd_similarity sim;
        assert_int_equal(wd_compare(p, x->text, x->len, "", 0, &sim), WD_OK);
        m->shingles = (unsigned)sim.shingles_a;
        if (!sim.shingles_a) {
            m->empty = 1;
            continue;
        }
        for (unsigned k = head; k < tail; k++) {
            const wd_doc *y = &s->docs[lead[k]];
            assert_int_equal(wd_compare(p, x->text, x->len, y->text, y->len, &sim), WD_OK);
            if (sim.exact) {
                m->kind = WD_MATCH_EXACT;
                m->best = lead[k];
                m->jaccard = m->containment = 1.0f;
                break;
            }
            if (sim.duplicate && sim.jaccard_est > best) {
                best = sim.jaccard_est;
                m->kind = WD_MATCH_NEAR;
                m->best = lead[k];
                m->jaccard = (float)sim.jaccard_est;
                m->containment = (float)sim.containment_est;
            }
        }
        if (m->kind != WD_MATCH_NONE) continue;
        lead[tail++] = d;
        while (p->window && tail - head > p->window) head++;
    }
    *start = head < tail ? lead[head] : NDOCS;
}

static void index_run(const wd_params *p, const stream *s, size_t batch, wd_match *got,
                      uint64_t *start)
{
    wd_index *ix = NULL;
    assert_int_equal(wd_index_create(p, &ix), WD_OK);
    for (size_t at = 0; at < NDOCS; at += batch) {
        size_t n = NDOCS - at < batch ? NDOCS - at : batch;
        assert_int_equal(wd_index_add(ix, s->docs + at, n, got + at), WD_OK);
        /* Nothing before the window start can be matched again. */
        assert_true(wd_index_window_start(ix) <= at + n);
    }
    *start = wd_index_window_start(ix);
    uint64_t cl[1];
    assert_int_equal(wd_index_clusters(ix, cl), WD_E_STATE);
    double j, c;
    assert_int_equal(wd_index_similarity(ix, 0, 1, &j, &c), WD_E_STATE);
    wd_index_free(ix);
}

static void check_config(wd_sketch_kind sk, uint64_t window, uint64_t seconds, uint64_t seed)
{
    static stream s;
    static wd_match want[NDOCS], got[NDOCS];
    make_stream(&s, seed);
    wd_params p;
    wd_params_default(&p);
    p.sketch = sk;
    p.mask = 0;  /* no boilerplate here, and wd_compare would compile the rules per call */
    p.cluster = WD_CLUSTER_LEADER;
    if (sk != WD_SKETCH_SIMHASH) {
        p.bands = 64;
        p.rows = 2;
    }
    p.window = window;
    p.window_seconds = seconds;
    uint64_t want_start, got_start;
    model_run(&p, &s, want, &want_start);
    unsigned evicted_copies = 0, matched = 0;
    const size_t batches[] = { 1, 7, NDOCS };
    for (unsigned threads = 1; threads <= 2; threads++) {
        p.threads = threads;
        for (size_t b = 0; b < 3; b++) {
            memset(got, 0xAB, sizeof got);
            index_run(&p, &s, batches[b], got, &got_start);
            for (unsigned d = 0; d < NDOCS; d++) {
                if (memcmp(&want[d], &got[d], sizeof want[d])) {
                    fail_msg("sketch %d window %llu seconds %llu batch %zu threads %u: doc %u: "
                             "want kind %d best %llu j %.4f, got kind %d best %llu j %.4f",
                             (int)sk, (unsigned long long)window, (unsigned long long)seconds,
                             batches[b], threads, d, (int)want[d].kind,
                             (unsigned long long)want[d].best, want[d].jaccard, (int)got[d].kind,
                             (unsigned long long)got[d].best, got[d].jaccard);
                }
            }
            assert_int_equal(got_start, want_start);
        }
    }
    /* The stream must exercise both sides of the window: copies that
     * matched, and copies of a family whose leader had left (new leaders of
     * a family seen before). */
    unsigned seen_leader[FAMILIES] = { 0 };
    for (unsigned d = 0; d < NDOCS; d++) {
        if (want[d].kind != WD_MATCH_NONE) matched++;
        else if (!want[d].empty) {
            unsigned f = 0; /* family: the first word names it */
            for (; f < FAMILIES; f++) {
                char w0[16];
                word(w0, f, 0);
                if (!strncasecmp(s.docs[d].text, w0, strlen(w0))) break;
            }
            if (f < FAMILIES && seen_leader[f]++) evicted_copies++;
        }
    }
    assert_true(matched > 20);
    if (window || seconds) assert_true(evicted_copies > 5);
    free_stream(&s);
}

static void test_window_count(void **state)
{
    (void)state;
    const uint64_t windows[] = { 1, 3, 10, 25 };
    for (unsigned k = 0; k < 4; k++) {
        check_config(WD_SKETCH_MINHASH, windows[k], 0, 11 + k);
        check_config(WD_SKETCH_OPH, windows[k], 0, 21 + k);
        check_config(WD_SKETCH_SIMHASH, windows[k], 0, 31 + k);
    }
}

static void test_window_time(void **state)
{
    (void)state;
    const uint64_t spans[] = { 30, 60, 150, 600 };
    for (unsigned k = 0; k < 4; k++) {
        check_config(WD_SKETCH_MINHASH, 0, spans[k], 41 + k);
        check_config(WD_SKETCH_SIMHASH, 0, spans[k], 51 + k);
    }
    check_config(WD_SKETCH_MINHASH, 8, 300, 61);  /* both limits */
    check_config(WD_SKETCH_SIMHASH, 8, 300, 62);
}

/* Only leader clustering can forget documents. */
static void test_window_params(void **state)
{
    (void)state;
    wd_params p;
    wd_params_default(&p);
    p.window = 10;
    assert_int_equal(wd_params_check(&p), WD_E_INVALID);
    p.cluster = WD_CLUSTER_LEADER;
    assert_int_equal(wd_params_check(&p), WD_OK);
    p.window = 0;
    p.window_seconds = (uint64_t)INT64_MAX + 1;
    assert_int_equal(wd_params_check(&p), WD_E_INVALID);
    p.window_seconds = (uint64_t)INT64_MAX;
    assert_int_equal(wd_params_check(&p), WD_OK);
    wd_params_default(&p);
    wd_index *ix = NULL;
    assert_int_equal(wd_index_create(&p, &ix), WD_OK);
    assert_int_equal(wd_index_window_start(ix), 0);
    wd_index_free(ix);
}

/* Extreme times: no overflow in newest - span, and documents without a
 * meaningful time (INT64_MIN) leave as soon as they are the oldest. */
static void test_window_extreme_times(void **state)
{
    (void)state;
    wd_params p;
    wd_params_default(&p);
    p.cluster = WD_CLUSTER_LEADER;
    p.window_seconds = (uint64_t)INT64_MAX;
    const char *a = "alpha bravo charlie delta echo foxtrot golf hotel india juliet";
    wd_doc docs[] = { { a, strlen(a), INT64_MIN }, { a, strlen(a), INT64_MAX },
                      { a, strlen(a), 0 } };
    wd_match m[3];
    wd_index *ix = NULL;
    assert_int_equal(wd_index_create(&p, &ix), WD_OK);
    assert_int_equal(wd_index_add(ix, docs, 3, m), WD_OK);
    /* span INT64_MAX: INT64_MAX - span = 0 > INT64_MIN, so doc 0 left
     * before doc 1 was matched; doc 1 leads, doc 2 (time 0) is its copy. */
    assert_int_equal(m[0].kind, WD_MATCH_NONE);
    assert_int_equal(m[1].kind, WD_MATCH_NONE);
    assert_int_equal(m[2].kind, WD_MATCH_EXACT);
    assert_int_equal(m[2].best, 1);
    assert_int_equal(wd_index_window_start(ix), 1);
    wd_index_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_params),
        cmocka_unit_test(test_window_extreme_times),
        cmocka_unit_test(test_window_count),
        cmocka_unit_test(test_window_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
