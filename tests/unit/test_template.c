/*
 * test_template.c - template shingles (wd_params.template_share).
 *
 *   - A generated collection: reports of three templates (a long fixed
 *     skeleton, numbers and names varying) and unique stories with one
 *     near copy each. Without the filter the reports of a template merge
 *     (so the filter is what keeps them apart); with it, learned in batch
 *     or counted streaming, no two reports pair and every copy still does.
 *   - Batch learning gives the same matches for 1, 2 and 3 threads and
 *     whether learned in one call or several; its counts match a model at
 *     the threshold (a shingle in 20 of 200 documents is common at 0.1, one
 *     in 19 is not).
 *   - Streaming: the same matches for batch sizes 1, 7 and 1000 and for 1
 *     or 2 threads; the filter does act once counts are frozen.
 *   - A document whose shingles are all common keeps them all.
 *   - Plain count-min sketches merge to the same cells however documents
 *     were dealt out (what makes streaming counts thread-independent).
 *   - The epoch boundaries; parameters; wd_index_learn after an add.
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
#include "core/template.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- the collection --------------------------------------------------- */

#define NDOCS 1500
#define STORY_EVERY 10   /* every 10th document is a story, the next its copy */

static const char *skeleton[3] = {
    "the composite index closed %u points at %u on the day with shares of %u companies "
    "trading and the index is a weighted measure of the largest listed companies reviewed "
    "every quarter by an independent committee and prices quoted are provisional closing "
    "values that may be revised after settlement in the evening while figures are supplied "
    "by the exchange and delayed by at least fifteen minutes %u",
    "company number %u reported net income of %u million on revenue of %u million and "
    "results are unaudited and prepared under accepted accounting principles with per share "
    "figures diluted and excluding one time items unless stated otherwise and the company "
    "will hold a call for investors at nine while this summary was generated automatically "
    "from the filing and was not reviewed by an editor %u",
    "forecast for station %u with a high of %u and a low of %u degrees and forecasts are "
    "issued by the weather service four times a day and are valid for the next twenty four "
    "hours while warnings for severe weather are issued separately and take precedence over "
    "this forecast and sunrise and sunset times are local and air quality is expected to "
    "be fair %u",
};

typedef struct coll {
    char *text[NDOCS];
    size_t len[NDOCS];
    wd_doc docs[NDOCS];
    int story[NDOCS];    /* 1: a story, 2: its copy (the document before it) */
} coll;

/* A story: 60 random syllable words, unique to it. */
static void story(char *buf, size_t cap, uint64_t *rng)
{
    static const char cons[] = "bcdfghjklmnprstv", vow[] = "aeiou";
    size_t at = 0;
    for (int w = 0; w < 60; w++) {
        for (int s = 0; s < 3; s++) {
            uint64_t r = rng_next(rng);
            buf[at++] = cons[r % 16];
            buf[at++] = vow[(r >> 8) % 5];
        }
        buf[at++] = ' ';
    }
    buf[at] = 0;
    assert_true(at < cap);
}

static void coll_make(coll *c)
{
    uint64_t rng = 0x74656d706cULL;
    for (size_t i = 0; i < NDOCS; i++) {
        char buf[1024];
        c->story[i] = 0;
        if (i % STORY_EVERY == 0) {
            story(buf, sizeof buf, &rng);
            c->story[i] = 1;
        } else if (i % STORY_EVERY == 1) {
            strcpy(buf, c->text[i - 1]);
            memcpy(buf + 14, "zz", 2); /* one word changed: a near copy */
            c->story[i] = 2;
        } else {
            unsigned v[4];
            for (int k = 0; k < 4; k++) v[k] = (unsigned)(rng_next(&rng) % 1000000);
            snprintf(buf, sizeof buf, skeleton[i % 3], v[0], v[1], v[2], v[3]);
        }
        c->text[i] = strdup(buf);
        assert_non_null(c->text[i]);
        c->len[i] = strlen(buf);
        c->docs[i] = (wd_doc){ .text = c->text[i], .len = c->len[i] };
    }
}

static void coll_free(coll *c)
{
    for (size_t i = 0; i < NDOCS; i++) free(c->text[i]);
}

/* ---- running the index ------------------------------------------------ */

typedef struct run {
    wd_match m[NDOCS];
    uint64_t cl[NDOCS];
} run;

/* learn: 0 streaming, else learned in that many calls. */
static void run_index(const coll *c, double share, unsigned threads, size_t batch, int learn,
                      run *r)
{
    wd_params p;
    wd_params_default(&p);
    p.template_share = share;
    p.threads = threads;
    wd_index *ix;
    assert_int_equal(wd_index_create(&p, &ix), WD_OK);
    for (int k = 0; k < learn; k++) {
        size_t from = (size_t)k * NDOCS / learn, to = (size_t)(k + 1) * NDOCS / learn;
        assert_int_equal(wd_index_learn(ix, c->docs + from, to - from), WD_OK);
    }
    for (size_t i = 0; i < NDOCS; i += batch) {
        size_t n = NDOCS - i < batch ? NDOCS - i : batch;
        assert_int_equal(wd_index_add(ix, c->docs + i, n, r->m + i), WD_OK);
    }
    assert_int_equal(wd_index_clusters(ix, r->cl), WD_OK);
    wd_index_free(ix);
}

static void assert_same(const run *a, const run *b)
{
    for (size_t i = 0; i < NDOCS; i++) {
        assert_int_equal(a->m[i].kind, b->m[i].kind);
        assert_int_equal(a->m[i].shingles, b->m[i].shingles);
        if (a->m[i].kind) assert_int_equal(a->m[i].best, b->m[i].best);
        assert_true(a->m[i].jaccard == b->m[i].jaccard);
        assert_int_equal(a->cl[i], b->cl[i]);
    }
}

/* Reports merged with another report, and copies clustered with their story,
 * from document `from` on. */
static void count(const coll *c, const run *r, size_t from, size_t *reports, size_t *copies)
{
    *reports = *copies = 0;
    for (size_t i = from; i < NDOCS; i++) {
        if (c->story[i] == 2) *copies += r->cl[i] == r->cl[i - 1];
        else if (!c->story[i]) *reports += r->cl[i] != i;
    }
}

static run ra, rb;

static void test_without_filter_reports_merge(void **state)
{
    coll *c = *state;
    size_t reports, copies;
    run_index(c, 0.0, 2, 1000, 0, &ra);
    count(c, &ra, 0, &reports, &copies);
    assert_true(reports > NDOCS / 2);      /* templates chain the reports together */
    assert_int_equal(copies, NDOCS / STORY_EVERY);
}

static void test_learned(void **state)
{
    coll *c = *state;
    size_t reports, copies;
    run_index(c, 0.2, 1, 1000, 1, &ra);
    count(c, &ra, 0, &reports, &copies);
    assert_int_equal(reports, 0);
    assert_int_equal(copies, NDOCS / STORY_EVERY);
    run_index(c, 0.2, 2, 1000, 1, &rb);
    assert_same(&ra, &rb);
    run_index(c, 0.2, 3, 7, 3, &rb);       /* three learn calls, other batches */
    assert_same(&ra, &rb);
}

static void test_streaming(void **state)
{
    coll *c = *state;
    size_t reports, copies;
    run_index(c, 0.0, 1, 1000, 0, &rb);     /* unfiltered shingle counts */
    run_index(c, 0.2, 1, 1, 0, &ra);
    /* epochs: counts freeze at 16, 32, ...: from 64 on the filter is in force */
    count(c, &ra, 64, &reports, &copies);
    assert_int_equal(reports, 0);
    assert_int_equal(copies, (NDOCS - 64) / STORY_EVERY); /* copies 71, 81, ..., 1491 */
    size_t fewer = 0, nreports = 0;  /* every report lost most of its shingles */
    for (size_t i = 64; i < NDOCS; i++) {
        nreports += !c->story[i];
        fewer += !c->story[i] && 2 * ra.m[i].shingles < rb.m[i].shingles;
    }
    assert_int_equal(fewer, nreports);
    const size_t batch[] = { 7, 1000 };
    for (int b = 0; b < 2; b++)
        for (unsigned t = 1; t <= 2; t++) {
            run_index(c, 0.2, t, batch[b], 0, &rb);
            assert_same(&ra, &rb);
        }
}

/* Appends n random three-syllable words to buf at *at. */
static void words(char *buf, size_t *at, int n, uint64_t *rng)
{
    static const char cons[] = "bcdfghjklmnprstv", vow[] = "aeiou";
    for (int w = 0; w < n; w++) {
        for (int s = 0; s < 3; s++) {
            uint64_t r = rng_next(rng);
            buf[(*at)++] = cons[r % 16];
            buf[(*at)++] = vow[(r >> 8) % 5];
        }
        buf[(*at)++] = ' ';
    }
    buf[*at] = 0;
}

/*
 * Learned counts against a model, right at the threshold: 200 documents,
 * share 0.1, so a shingle is common from 20 documents. Phrase P_k (7 words:
 * 3 shingles of its own) is in the 20 documents i = k (mod 10), phrase Q_k
 * in 19 of them; everything else is unique. So every document keeps all its
 * shingles but P_k's three. A count that lost or doubled some thread's
 * documents moves P or Q across the line.
 */
static void test_learned_model(void **state)
{
    (void)state;
    enum { N = 200, PH = 7 };
    static char text[N][512];
    char ph[2][10][128];
    wd_doc d[N];
    uint64_t rng = 0x6d6f64656cULL;
    for (int k = 0; k < 10; k++)
        for (int q = 0; q < 2; q++) {
            size_t at = 0;
            words(ph[q][k], &at, PH, &rng);
        }
    for (int i = 0; i < N; i++) {
        size_t at = 0;
        words(text[i], &at, 20, &rng);
        at += (size_t)sprintf(text[i] + at, "%s", ph[0][i % 10]);
        words(text[i], &at, 5, &rng);
        if (i < N - 10) at += (size_t)sprintf(text[i] + at, "%s", ph[1][i % 10]);
        words(text[i], &at, 5, &rng);
        d[i] = (wd_doc){ .text = text[i], .len = at };
    }
    for (unsigned threads = 1; threads <= 3; threads++) {
        wd_match plain[N], filt[N];
        for (int share = 0; share <= 1; share++) {
            wd_params p;
            wd_params_default(&p);
            p.template_share = share ? 0.1 : 0;
            p.threads = threads;
            wd_index *ix;
            assert_int_equal(wd_index_create(&p, &ix), WD_OK);
            assert_int_equal(wd_index_learn(ix, d, N), WD_OK);
            assert_int_equal(wd_index_add(ix, d, N, share ? filt : plain), WD_OK);
            wd_index_free(ix);
        }
        for (int i = 0; i < N; i++) assert_int_equal(filt[i].shingles, plain[i].shingles - (PH - 4));
    }
}

/* A document made only of common shingles keeps them (and matches its copy). */
static void test_all_common_falls_back(void **state)
{
    (void)state;
    const char *t = "one two three four five six seven eight nine ten eleven twelve";
    wd_doc d[8];
    for (int i = 0; i < 8; i++) d[i] = (wd_doc){ .text = t, .len = strlen(t) };
    wd_params p;
    wd_params_default(&p);
    p.template_share = 0.5;
    p.threads = 1;
    wd_index *ix;
    wd_match m[8];
    assert_int_equal(wd_index_create(&p, &ix), WD_OK);
    assert_int_equal(wd_index_learn(ix, d, 8), WD_OK);
    assert_int_equal(wd_index_add(ix, d, 8, m), WD_OK);
    assert_int_equal(m[0].shingles, 8);   /* 12 words, 5-word shingles */
    assert_int_equal(m[7].kind, WD_MATCH_EXACT);
    /* too late to learn */
    assert_int_equal(wd_index_learn(ix, d, 1), WD_E_INVALID);
    assert_int_equal(wd_index_add(ix, d, 1, m), WD_OK); /* not latched */
    wd_index_free(ix);
}

/* Plain count-min updates commute: documents dealt out to two sketches in
 * any way merge to the very cells one sketch gets (with conservative
 * update they would not, once cells collide: this sketch is narrow). */
static void test_plain_sketch_merges_exactly(void **state)
{
    (void)state;
    wd_docfreq one, a, b;
    assert_int_equal(wd_docfreq_init_sketch(&one, 64, 4, 7), WD_OK);
    assert_int_equal(wd_docfreq_init_sketch(&a, 64, 4, 7), WD_OK);
    assert_int_equal(wd_docfreq_init_sketch(&b, 64, 4, 7), WD_OK);
    one.plain = a.plain = b.plain = 1;
    uint64_t rng = 0x706c61696eULL, h[40];
    for (int i = 0; i < 300; i++) {
        size_t n = 1 + rng_next(&rng) % 40;
        for (size_t k = 0; k < n; k++) h[k] = rng_next(&rng) % 500; /* repeats across docs */
        assert_int_equal(wd_docfreq_add(&one, h, n), WD_OK);
        assert_int_equal(wd_docfreq_add(rng_next(&rng) & 1 ? &a : &b, h, n), WD_OK);
    }
    assert_int_equal(wd_docfreq_merge(&a, &b), WD_OK);
    assert_memory_equal(a.cells, one.cells, 64 * 4 * sizeof *one.cells);
    assert_int_equal(a.docs, one.docs);
    wd_docfreq_free(&one);
    wd_docfreq_free(&a);
    wd_docfreq_free(&b);
}

/* The sketch filter (blocks of prefetched cells) keeps exactly the hashes
 * is_common rejects, in order, also in place and for a length that is not a
 * multiple of the block. */
static void test_sketch_filter(void **state)
{
    (void)state;
    wd_docfreq d;
    assert_int_equal(wd_docfreq_init_sketch(&d, 256, 4, 3), WD_OK);
    d.plain = 1;
    uint64_t rng = 0x66696c746572ULL, h[50], in[203], out[203];
    for (int i = 0; i < 400; i++) {
        for (size_t k = 0; k < 50; k++) h[k] = rng_next(&rng) % 700;
        assert_int_equal(wd_docfreq_add(&d, h, 50), WD_OK);
    }
    for (size_t k = 0; k < 203; k++) in[k] = rng_next(&rng) % 800;
    const double share = 0.08;
    size_t want = 0, kept = wd_docfreq_filter(&d, share, in, 203, out);
    for (size_t k = 0; k < 203; k++)
        if (!wd_docfreq_is_common(&d, in[k], share)) {
            assert_true(want < kept && out[want] == in[k]);
            want++;
        }
    assert_int_equal(kept, want);
    assert_true(kept > 0 && kept < 203); /* both kinds present */
    assert_int_equal(wd_docfreq_filter(&d, share, in, 203, in), kept);
    assert_memory_equal(in, out, kept * sizeof *in);
    wd_docfreq_free(&d);
}

static void test_epochs_and_params(void **state)
{
    (void)state;
    assert_int_equal(wd_tmpl_epoch_after(0), 16);
    assert_int_equal(wd_tmpl_epoch_after(15), 16);
    assert_int_equal(wd_tmpl_epoch_after(16), 32);
    assert_int_equal(wd_tmpl_epoch_after(1000), 1024);
    assert_int_equal(wd_tmpl_epoch_after(4095), 4096);
    assert_int_equal(wd_tmpl_epoch_after(4096), 8192);
    assert_int_equal(wd_tmpl_epoch_after(10000), 12288);
    wd_params p;
    wd_params_default(&p);
    assert_true(p.template_share == 0.0);
    const double bad[] = { -0.1, 1.5, NAN };
    for (int i = 0; i < 3; i++) {
        p.template_share = bad[i];
        assert_int_equal(wd_params_check(&p), WD_E_INVALID);
    }
    p.template_share = 1.0;
    assert_int_equal(wd_params_check(&p), WD_OK);
}

static int setup(void **state)
{
    static coll c;
    coll_make(&c);
    *state = &c;
    return 0;
}

static int teardown(void **state)
{
    coll_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_filter_reports_merge),
        cmocka_unit_test(test_learned),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_learned_model),
        cmocka_unit_test(test_all_common_falls_back),
        cmocka_unit_test(test_plain_sketch_merges_exactly),
        cmocka_unit_test(test_sketch_filter),
        cmocka_unit_test(test_epochs_and_params),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
