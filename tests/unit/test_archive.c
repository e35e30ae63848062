/*
 * test_archive.c - wd_archive through the public API: documents archived by
 * one index are found by the next (exact and near, with the in-memory
 * rules and numbers), the same for any thread count, in large batches as
 * in memory, leader mode's ties,
 * what put refuses, and the parameter checks.
 *
 * Uses include/wiredup.h only. Texts are random words from the test's own
 * PRNG, so unrelated texts share no word 5-gram.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wiredup.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define NDOCS 200
#define WORDS 40
static char texts[NDOCS][WORDS * 9];

/* Document i: WORDS random 6-letter words. */
static void make_texts(void)
{
    uint64_t rng = 0x617263ULL;
    for (int i = 0; i < NDOCS; i++) {
        char *p = texts[i];
        for (int w = 0; w < WORDS; w++) {
            for (int c = 0; c < 6; c++) *p++ = (char)('a' + rng_next(&rng) % 26);
            *p++ = ' ';
        }
        p[-1] = 0;
    }
}

static char dir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    make_texts();
    snprintf(dir, sizeof dir, "/tmp/wd-test-archive-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Archives documents 0..NDOCS-1 at path (ids "a<i>"). */
static void build_archive(const char *path, const wd_params *p)
{
    wd_archive *a;
    wd_index *ix;
    char err[256];
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_WRITE, p, &a, err, sizeof err), WD_OK);
    wd_params q = *p;
    wd_archive_shape(a, &q);
    assert_int_equal(wd_index_create(&q, &ix), WD_OK);
    assert_int_equal(wd_index_attach_archive(ix, a), WD_OK);
    wd_doc docs[NDOCS];
    for (int i = 0; i < NDOCS; i++) docs[i] = (wd_doc){ .text = texts[i], .len = strlen(texts[i]) };
    assert_int_equal(wd_index_add(ix, docs, NDOCS, NULL), WD_OK);
    assert_int_equal(wd_archive_begin(a), WD_OK);
    for (int i = 0; i < NDOCS; i++) {
        char id[16];
        int n = snprintf(id, sizeof id, "a%d", i);
        assert_int_equal(wd_archive_put(a, ix, (uint64_t)i, id, (size_t)n), WD_OK);
    }
    assert_int_equal(wd_archive_commit(a), WD_OK);
    assert_int_equal(wd_archive_count(a), NDOCS);
    wd_index_free(ix);
    wd_archive_close(a);
}

/* The new documents: an exact copy of 5, a near copy of 7 (2 words of 40
 * changed), an unrelated text, an empty one, a copy of the near copy,
 * another copy of 5, and another near copy of 7 (2 other words changed). */
#define NNEW 7
static char near7[WORDS * 9], near7b[WORDS * 9];
static void new_docs(wd_doc *d)
{
    memcpy(near7, texts[7], sizeof near7);
    memcpy(near7 + 9 * 7, "zzzzzz", 6);
    memcpy(near7 + 7 * 30, "yyyyyy", 6);
    memcpy(near7b, texts[7], sizeof near7b);
    memcpy(near7b + 7 * 12, "xxxxxx", 6);
    memcpy(near7b + 7 * 36, "wwwwww", 6);
    static const char *unrelated = "completely unrelated words about nothing archived here at all today";
    d[0] = (wd_doc){ .text = texts[5], .len = strlen(texts[5]) };
    d[1] = (wd_doc){ .text = near7, .len = strlen(near7) };
    d[2] = (wd_doc){ .text = unrelated, .len = strlen(unrelated) };
    d[3] = (wd_doc){ "", 0 };
    d[4] = (wd_doc){ .text = near7, .len = strlen(near7) };
    d[5] = (wd_doc){ .text = texts[5], .len = strlen(texts[5]) };
    d[6] = (wd_doc){ .text = near7b, .len = strlen(near7b) };
}

/* Adds the new documents to a fresh index attached to the archive. */
static void query(const char *path, const wd_params *p, unsigned threads, size_t batch,
                  wd_match *m, uint64_t *cl)
{
    wd_archive *a;
    wd_index *ix;
    char err[256];
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_READ, p, &a, err, sizeof err), WD_OK);
    wd_params q = *p;
    q.threads = threads;
    wd_archive_shape(a, &q);
    assert_int_equal(wd_index_create(&q, &ix), WD_OK);
    assert_int_equal(wd_index_attach_archive(ix, a), WD_OK);
    wd_doc d[NNEW];
    new_docs(d);
    for (size_t i = 0; i < NNEW; i += batch)
        assert_int_equal(wd_index_add(ix, d + i, i + batch < NNEW ? batch : NNEW - i, m + i), WD_OK);
    if (cl) assert_int_equal(wd_index_clusters(ix, cl), WD_OK);
    /* read mode refuses to add */
    assert_int_equal(wd_archive_begin(a), WD_E_STATE);
    wd_index_free(ix);
    wd_archive_close(a);
}

static void test_found_like_in_memory(void **state)
{
    (void)state;
    char path[96];
    path_of(path, sizeof path, "ix");
    wd_params p;
    wd_params_default(&p);
    build_archive(path, &p);

    wd_match m[NNEW];
    query(path, &p, 2, NNEW, m, NULL);
    assert_int_equal(m[0].archived_kind, WD_MATCH_EXACT);
    assert_int_equal(m[0].archived_doc, 5);
    assert_true(m[0].archived_jaccard == 1.0f);
    assert_int_equal(m[1].archived_kind, WD_MATCH_NEAR);
    assert_int_equal(m[1].archived_doc, 7);
    assert_int_equal(m[2].archived_kind, WD_MATCH_NONE);
    assert_int_equal(m[3].archived_kind, WD_MATCH_NONE);
    assert_int_equal(m[3].empty, 1);
    assert_int_equal(m[4].archived_kind, WD_MATCH_NEAR);
    /* components mode: in-memory matching is unchanged */
    assert_int_equal(m[4].kind, WD_MATCH_EXACT);
    assert_int_equal(m[4].best, 1);
    assert_int_equal(m[5].archived_kind, WD_MATCH_EXACT);
    assert_int_equal(m[5].kind, WD_MATCH_EXACT);
    assert_int_equal(m[5].best, 0);
    assert_int_equal(m[6].archived_kind, WD_MATCH_NEAR);
    assert_int_equal(m[6].archived_doc, 7);
    assert_int_equal(m[6].kind, WD_MATCH_NEAR);
    assert_int_equal(m[6].best, 1);

    /* the same numbers as an in-memory index holding both */
    wd_index *ix;
    assert_int_equal(wd_index_create(&p, &ix), WD_OK);
    wd_doc all[NDOCS + 2];
    for (int i = 0; i < NDOCS; i++) all[i] = (wd_doc){ .text = texts[i], .len = strlen(texts[i]) };
    all[NDOCS] = (wd_doc){ .text = near7, .len = strlen(near7) };
    wd_match mm[NDOCS + 1];
    assert_int_equal(wd_index_add(ix, all, NDOCS + 1, mm), WD_OK);
    assert_int_equal(mm[NDOCS].kind, WD_MATCH_NEAR);
    assert_int_equal(mm[NDOCS].best, 7);
    assert_true(mm[NDOCS].jaccard == m[1].archived_jaccard);
    assert_true(mm[NDOCS].containment == m[1].archived_containment);
    wd_index_free(ix);

    /* ids and similarity of archived documents */
    wd_archive *a;
    char err[256];
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_READ, NULL, &a, err, sizeof err), WD_OK);
    assert_int_equal(wd_archive_verify(a), WD_OK);
    wd_archive_stats st;
    assert_int_equal(wd_archive_stats_get(a, &st), WD_OK);
    assert_int_equal(st.docs, NDOCS);
    assert_int_equal(st.params.num_hashes, p.num_hashes);
    wd_archive_close(a);
}

static void test_same_for_any_threads_and_batch(void **state)
{
    (void)state;
    char path[96];
    path_of(path, sizeof path, "ix");
    wd_params p;
    wd_params_default(&p);
    build_archive(path, &p);
    wd_match ref[NNEW], m[NNEW];
    uint64_t cref[NNEW], c[NNEW];
    query(path, &p, 1, NNEW, ref, cref);
    const unsigned th[] = { 2, 3, 1 };
    const size_t b[] = { 1, 2, 4 };
    for (int k = 0; k < 3; k++) {
        query(path, &p, th[k], b[k], m, c);
        assert_memory_equal(ref, m, sizeof m);
        assert_memory_equal(cref, c, sizeof c);
    }
}

static void test_leader_prefers_archive(void **state)
{
    (void)state;
    char path[96];
    path_of(path, sizeof path, "ix");
    wd_params p;
    wd_params_default(&p);
    build_archive(path, &p);
    p.cluster = WD_CLUSTER_LEADER;
    wd_match m[NNEW];
    uint64_t cl[NNEW];
    query(path, &p, 2, NNEW, m, cl);
    /* the exact copy joins its archived leader (a tie with nothing: it is
     * first), the near copy too rather than leading a cluster of its own;
     * its repeat is an exact copy of it, so in its cluster. Documents that
     * joined archived leaders are no leaders in memory: the second copy of
     * 5 finds no in-memory exact copy, the other near copy of 7 no near one. */
    assert_int_equal(m[0].archived_kind, WD_MATCH_EXACT);
    assert_int_equal(m[0].kind, WD_MATCH_NONE);
    assert_int_equal(m[1].archived_kind, WD_MATCH_NEAR);
    assert_int_equal(m[1].kind, WD_MATCH_NONE);
    assert_int_equal(m[4].kind, WD_MATCH_EXACT);
    assert_int_equal(m[4].best, 1);
    assert_int_equal(m[4].archived_kind, WD_MATCH_NEAR);
    assert_int_equal(m[4].archived_doc, 7);
    assert_int_equal(m[5].archived_kind, WD_MATCH_EXACT);
    assert_int_equal(m[5].kind, WD_MATCH_NONE);
    assert_int_equal(m[6].archived_kind, WD_MATCH_NEAR);
    assert_int_equal(m[6].kind, WD_MATCH_NONE);
    const uint64_t want[NNEW] = { 0, 1, 2, 3, 1, 5, 6 };
    assert_memory_equal(cl, want, sizeof want);
}

/*
 * Many documents per lookup: STORIES stories, COPIES near copies of each
 * archived (one word edited, stories interleaved), and NQ new near copies
 * (two other words edited) queried in batches of any size on any number of
 * threads. A lookup chunk then spans every story, so it has more distinct
 * candidates than a lookup thread holds signatures of at once, and every
 * new document has COPIES archived candidates, many with equal estimates
 * (the earliest must win). The model: one in-memory index given the archive
 * and then the new documents, whose reported pairs (components mode
 * reports every verified one) give each new document its best archived
 * match by the same rule.
 */
#define STORIES 150
#define COPIES 12
#define NARCH (STORIES * COPIES)
#define NQ 600
#define LWORDS 100
static char ltexts[NARCH + NQ][LWORDS * 7];

static void make_long_texts(void)
{
    static char story[STORIES][LWORDS][7];
    uint64_t rng = 0x6c6f6e67ULL;
    for (int s = 0; s < STORIES; s++)
        for (int w = 0; w < LWORDS; w++)
            for (int c = 0; c < 6; c++) story[s][w][c] = (char)('a' + rng_next(&rng) % 26);
    for (int i = 0; i < NARCH + NQ; i++) {
        const int s = i % STORIES, copy = i / STORIES;
        /* archived copy: one word edited; new document: two others */
        const int e1 = i < NARCH ? (copy * 7 + 3) % LWORDS : (copy * 13 + 50) % LWORDS;
        const int e2 = i < NARCH ? -1 : (copy * 13 + 57) % LWORDS;
        char *p = ltexts[i];
        for (int w = 0; w < LWORDS; w++) {
            for (int c = 0; c < 6; c++)
                *p++ = w == e1 || w == e2 ? (char)('a' + rng_next(&rng) % 26) : story[s][w][c];
            *p++ = ' ';
        }
        p[-1] = 0;
    }
}

typedef struct best_arch {
    float j[NQ], c[NQ];
    uint64_t doc[NQ];
    int found[NQ];
} best_arch;

/* The model: the best archived document of each new one, from the pairs. */
static int note_pair(void *ctx, const wd_pair *pr)
{
    best_arch *b = ctx;
    if (pr->a >= NARCH || pr->b < NARCH) return 0;
    const size_t q = (size_t)(pr->b - NARCH);
    /* pairs of a document come in ascending a: on equals the first stays */
    if (!b->found[q] || pr->jaccard > b->j[q]) {
        b->found[q] = 1;
        b->j[q] = pr->jaccard;
        b->c[q] = pr->containment;
        b->doc[q] = pr->a;
    }
    return 0;
}

static void test_large_batches_like_in_memory(void **state)
{
    (void)state;
    make_long_texts();
    char path[96];
    path_of(path, sizeof path, "ix");
    wd_params p;
    wd_params_default(&p);
    static wd_doc docs[NARCH + NQ];
    for (int i = 0; i < NARCH + NQ; i++) docs[i] = (wd_doc){ .text = ltexts[i], .len = strlen(ltexts[i]) };

    wd_archive *a;
    wd_index *ix;
    char err[256];
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_WRITE, &p, &a, err, sizeof err), WD_OK);
    wd_params q = p;
    wd_archive_shape(a, &q);
    assert_int_equal(wd_index_create(&q, &ix), WD_OK);
    assert_int_equal(wd_index_attach_archive(ix, a), WD_OK);
    assert_int_equal(wd_index_add(ix, docs, NARCH, NULL), WD_OK);
    assert_int_equal(wd_archive_begin(a), WD_OK);
    for (int i = 0; i < NARCH; i++) assert_int_equal(wd_archive_put(a, ix, (uint64_t)i, "x", 1), WD_OK);
    assert_int_equal(wd_archive_commit(a), WD_OK);
    wd_index_free(ix);
    wd_archive_close(a);

    static best_arch want;
    memset(&want, 0, sizeof want);
    assert_int_equal(wd_index_create(&q, &ix), WD_OK);
    wd_index_on_pair(ix, note_pair, &want);
    assert_int_equal(wd_index_add(ix, docs, NARCH + NQ, NULL), WD_OK);
    wd_index_free(ix);
    size_t near = 0;
    for (int k = 0; k < NQ; k++) near += want.found[k];
    assert_true(near > NQ * 9 / 10);  /* the model is not vacuous */

    const unsigned th[] = { 1, 2, 3, 2 };
    const size_t b[] = { NQ, NQ, 97, 1 };
    static wd_match m[NQ];
    for (int v = 0; v < 4; v++) {
        assert_int_equal(wd_archive_open(path, WD_ARCHIVE_READ, &p, &a, err, sizeof err), WD_OK);
        q.threads = th[v];
        assert_int_equal(wd_index_create(&q, &ix), WD_OK);
        assert_int_equal(wd_index_attach_archive(ix, a), WD_OK);
        for (size_t i = 0; i < NQ; i += b[v])
            assert_int_equal(wd_index_add(ix, docs + NARCH + i, i + b[v] < NQ ? b[v] : NQ - i, m + i), WD_OK);
        for (int k = 0; k < NQ; k++) {
            assert_int_equal(m[k].archived_kind, want.found[k] ? WD_MATCH_NEAR : WD_MATCH_NONE);
            if (!want.found[k]) continue;
            assert_int_equal(m[k].archived_doc, want.doc[k]);
            assert_true(m[k].archived_jaccard == want.j[k]);
            assert_true(m[k].archived_containment == want.c[k]);
        }
        wd_index_free(ix);
        wd_archive_close(a);
    }
}

static void test_put_and_params(void **state)
{
    (void)state;
    char path[96], missing[96];
    path_of(path, sizeof path, "ix");
    path_of(missing, sizeof missing, "missing");
    wd_params p;
    wd_params_default(&p);
    char err[256];
    wd_archive *a;
    wd_index *ix;
    assert_int_equal(wd_archive_open(missing, WD_ARCHIVE_READ, &p, &a, err, sizeof err), WD_E_IO);
    assert_null(a);
    assert_int_equal(access(missing, F_OK), -1); /* read mode creates nothing */

    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_WRITE, &p, &a, err, sizeof err), WD_OK);
    wd_archive_shape(a, &p);
    assert_int_equal(wd_index_create(&p, &ix), WD_OK);
    assert_int_equal(wd_index_attach_archive(ix, a), WD_OK);
    wd_doc d[2] = { { texts[0], strlen(texts[0]) }, { "", 0 } };
    assert_int_equal(wd_index_add(ix, d, 2, NULL), WD_OK);
    assert_int_equal(wd_archive_begin(a), WD_OK);
    assert_int_equal(wd_archive_put(a, ix, 1, "e", 1), WD_E_INVALID); /* empty */
    assert_int_equal(wd_archive_put(a, ix, 2, "x", 1), WD_E_INVALID); /* not added */
    assert_int_equal(wd_archive_put(a, ix, 0, "d", 1), WD_OK);
    assert_int_equal(wd_archive_commit(a), WD_OK);
    assert_int_equal(wd_archive_count(a), 1);
    wd_index_free(ix);
    wd_archive_close(a);

    wd_params q = p;
    q.shingle_size = 3;
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_READ, &q, &a, err, sizeof err), WD_E_MISMATCH);
    assert_non_null(strstr(err, "shingle word:5, asked word:3"));
    q = p;
    q.seed = 7;
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_WRITE, &q, &a, err, sizeof err), WD_E_MISMATCH);
    assert_non_null(strstr(err, "seed 24301, asked 7"));
    q = p;
    q.sketch = WD_SKETCH_SIMHASH;
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_READ, &q, &a, err, sizeof err), WD_E_UNSUPPORTED);
    /* an index with another shape cannot be attached */
    q = p;
    q.bands = p.bands - 1;
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_READ, &p, &a, err, sizeof err), WD_OK);
    assert_int_equal(wd_index_create(&q, &ix), WD_OK);
    assert_int_equal(wd_index_attach_archive(ix, a), WD_E_MISMATCH);
    wd_index_free(ix);
    wd_archive_close(a);
}

/* A document committed while the index runs (a streaming writer commits
 * as it goes) is matched in memory, never as archived: the answers do not
 * depend on when the batches are committed. Documents archived before the
 * attach still are. */
static void test_commits_during_run_unseen(void **state)
{
    (void)state;
    char path[96];
    path_of(path, sizeof path, "ix");
    wd_params p;
    wd_params_default(&p);
    build_archive(path, &p);
    p.cluster = WD_CLUSTER_LEADER;
    wd_archive *a;
    wd_index *ix;
    char err[256];
    assert_int_equal(wd_archive_open(path, WD_ARCHIVE_WRITE, &p, &a, err, sizeof err), WD_OK);
    wd_archive_shape(a, &p);
    assert_int_equal(wd_index_create(&p, &ix), WD_OK);
    assert_int_equal(wd_index_attach_archive(ix, a), WD_OK);
    static const char *fresh = "a fresh story that nobody archived before this run began today";
    wd_doc d = { .text = fresh, .len = strlen(fresh) };
    wd_match m;
    assert_int_equal(wd_index_add(ix, &d, 1, &m), WD_OK);
    assert_int_equal(m.kind, WD_MATCH_NONE);
    assert_int_equal(m.archived_kind, WD_MATCH_NONE);
    assert_int_equal(wd_archive_begin(a), WD_OK);
    assert_int_equal(wd_archive_put(a, ix, 0, "f", 1), WD_OK);
    assert_int_equal(wd_archive_commit(a), WD_OK);
    assert_int_equal(wd_archive_count(a), NDOCS + 1);
    /* its copy: the in-memory leader, not the document just committed */
    assert_int_equal(wd_index_add(ix, &d, 1, &m), WD_OK);
    assert_int_equal(m.kind, WD_MATCH_EXACT);
    assert_int_equal(m.best, 0);
    assert_int_equal(m.archived_kind, WD_MATCH_NONE);
    /* an archived one is still found */
    d = (wd_doc){ .text = texts[3], .len = strlen(texts[3]) };
    assert_int_equal(wd_index_add(ix, &d, 1, &m), WD_OK);
    assert_int_equal(m.archived_kind, WD_MATCH_EXACT);
    assert_int_equal(m.archived_doc, 3);
    wd_index_free(ix);
    wd_archive_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_found_like_in_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_for_any_threads_and_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leader_prefers_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_batches_like_in_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commits_during_run_unseen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_and_params, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
