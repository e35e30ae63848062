/*
 * test_store.c - the persistent index (src/index/store.h).
 *
 *   - Round trip: batches of synthetic documents (near duplicates sharing
 *     bands, exact copies, empty documents, odd ids) go in; every record,
 *     exact entry and band bucket comes back, checked against a brute-force
 *     model, before and after reopening read-only; verify passes; export
 *     writes the expected lines; stats agree.
 *   - Parameters: a mismatch names both settings; bands 0/rows 0 adopts the
 *     index's; an unknown format is refused.
 *   - Reopen continues the numbering; abort (and close with an open batch)
 *     leaves nothing.
 *   - Errors: missing index, a file instead of a directory, a foreign
 *     directory, a read-only directory (as another user when run as root),
 *     a full map at its limit and a full disk (RLIMIT_FSIZE): clear errors,
 *     and the index is unchanged and verifies afterwards.
 *   - Map growth: a tiny initial map grows ahead of a batch, or by doubling
 *     after MDB_MAP_FULL; when the address space runs out the old map is
 *     restored and the batch fails cleanly.
 *   - Verify finds faults planted with raw LMDB writes.
 *   - kill -9: a child indexes a fixed input in batches, skipping documents
 *     already indexed (as a rerun does), and is killed at a random moment
 *     (or kills itself in the middle of a batch) 20 times; each time the
 *     index opens, verifies and holds exactly a prefix of whole batches,
 *     never less than the child reported committed; a last run completes
 *     the input with no document twice.
 *   - One writer process and one reader process at once: the reader only
 *     ever sees whole batches, consistent records and a growing count,
 *     while the writer grows the map under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "wiredup.h"
#include "index/lsh.h"
#include "index/store.h"

/* ---- helpers ------------------------------------------------------------ */

static char tmpdir[64];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wd_test_store.XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return chmod(tmpdir, 0755); /* reachable by another user (read-only test) */
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    if ((size_t)snprintf(out, n, "%s/%s", tmpdir, name) >= n) abort();
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static wd_store_params test_params(unsigned H, unsigned bands, unsigned rows)
{
    wd_store_params p = { .shingle = WD_SHINGLE_WORD, .shingle_size = 5, .num_hashes = H,
                          .sketch = WD_SKETCH_MINHASH, .bands = bands, .rows = rows,
                          .seed = 0x5eed, .band_seed = 0x5eed ^ 0x6c7368ULL };
    return p;
}

/*
 * Synthetic document i of a deterministic input. Groups of three share most
 * of their signature (so they share band keys); every 11th is an exact copy
 * of the one before (same hash); every 13th is empty; ids vary in length and
 * include bytes that need escaping.
 */
typedef struct tdoc {
    wd_store_doc d;
    uint32_t sig[WD_MAX_HASHES];
    char id[96];
} tdoc;

static void make_doc(uint64_t i, unsigned H, tdoc *t)
{
    memset(t, 0, sizeof *t);
    uint64_t g = i - i % 3, s = g * 7919 + 1;
    for (unsigned k = 0; k < H; k++) t->sig[k] = (uint32_t)rng_next(&s);
    s = i * 104729 + 3;
    for (unsigned k = 0; k < H; k += 5) t->sig[(k + i) % H] ^= (i % 3) ? (uint32_t)rng_next(&s) | 1 : 0;
    uint64_t hsrc = (i % 11 == 5) ? i - 1 : i;
    uint64_t hs = hsrc * 31 + 7;
    uint64_t h0 = rng_next(&hs), h1 = rng_next(&hs);
    memcpy(t->d.hash, &h0, 8);
    memcpy(t->d.hash + 8, &h1, 8);
    t->d.shingles = (i % 13 == 12) ? 0 : (unsigned)(5 + i % 40);
    if (i % 11 == 5) t->d.shingles = (unsigned)(5 + (i - 1) % 40);
    if (i % 13 == 12) t->d.shingles = 0;
    if (i % 17 == 3) snprintf(t->id, sizeof t->id, "id\t%llu\n\"q\"\\", (unsigned long long)i);
    else if (i % 19 == 4) t->id[0] = 0;
    else snprintf(t->id, sizeof t->id, "doc-%llu", (unsigned long long)i);
    t->d.id = t->id;
    t->d.id_len = strlen(t->id);
    t->d.sig = t->sig;
}

/* Adds documents [from, to) as one batch; keys passed for odd documents
 * (computed here with the same band function), computed by the store for
 * even ones. */
static void add_batch(wd_store *s, uint64_t from, uint64_t to)
{
    const wd_store_params *p = wd_store_params_get(s);
    wd_lsh l;
    wd_lsh_init(&l, p->bands, p->rows, p->band_seed);
    uint64_t keys[WD_MAX_HASHES];
    tdoc t;
    assert_int_equal(wd_store_begin(s), WD_OK);
    for (uint64_t i = from; i < to; i++) {
        make_doc(i, p->num_hashes, &t);
        uint64_t num;
        const uint64_t *k = NULL;
        if (i % 2) {
            wd_lsh_keys(&l, t.sig, keys);
            k = keys;
        }
        assert_int_equal(wd_store_add(s, &t.d, k, &num), WD_OK);
        assert_int_equal(num, i);
    }
    assert_int_equal(wd_store_commit(s), WD_OK);
    assert_int_equal(wd_store_count(s), to);
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

/* Checks everything a reader can see of documents [0, n) against the model. */
static void check_contents(wd_store *s, uint64_t n)
{
    const wd_store_params *p = wd_store_params_get(s);
    const unsigned H = p->num_hashes, B = p->bands;
    wd_lsh l;
    wd_lsh_init(&l, B, p->rows, p->band_seed);
    wd_store_reader *r;
    assert_int_equal(wd_store_reader_open(s, &r), WD_OK);
    assert_int_equal(wd_store_reader_count(r), n);

    uint64_t *keys = malloc(n * B * sizeof *keys);
    tdoc *t = malloc(sizeof *t);
    uint32_t *sig = malloc(H * sizeof *sig);
    assert_non_null(keys);
    assert_non_null(t);
    assert_non_null(sig);
    for (uint64_t i = 0; i < n; i++) {
        make_doc(i, H, t);
        wd_lsh_keys(&l, t->sig, keys + i * B);
        wd_store_doc got;
        assert_int_equal(wd_store_get(r, i, &got, sig), WD_OK);
        assert_int_equal(got.doc, i);
        assert_memory_equal(got.hash, t->d.hash, 16);
        assert_int_equal(got.shingles, t->d.shingles);
        assert_int_equal(got.id_len, t->d.id_len);
        if (got.id_len) assert_memory_equal(got.id, t->d.id, got.id_len);
        assert_memory_equal(sig, t->sig, H * sizeof *sig);
        /* exact: the first non-empty document with this hash */
        uint64_t first;
        int rc = wd_store_exact(r, t->d.hash, &first);
        if (t->d.shingles) {
            assert_int_equal(rc, 1);
            uint64_t want = (i % 11 == 5 && (i - 1) % 13 != 12) ? i - 1 : i;
            assert_int_equal(first, want);
        }
    }
    wd_store_doc none;
    assert_int_equal(wd_store_get(r, n, &none, sig), WD_E_INVALID);

    /* candidates: exactly the non-empty documents sharing a band key */
    wd_u64s got = { 0 }, off = { 0 }, bdocs = { 0 };
    uint64_t *want = malloc((n + 1) * sizeof *want);
    assert_non_null(want);
    assert_int_equal(wd_store_candidates_batch(r, keys, n, B, &off, &bdocs), WD_OK);
    assert_int_equal(off.len, n + 1);
    for (uint64_t d = 0; d < n; d++) {
        size_t nw = 0;
        for (uint64_t c = 0; c < n; c++) {
            make_doc(c, H, t);
            if (!t->d.shingles) continue;
            int share = 0;
            for (unsigned a = 0; a < B && !share; a++)
                for (unsigned b = 0; b < B && !share; b++)
                    share = keys[d * B + a] == keys[c * B + b];
            if (share) want[nw++] = c;
        }
        got.len = 0;
        assert_int_equal(wd_store_candidates(r, keys + d * B, B, &got), WD_OK);
        size_t ng = sort_unique(got.data, got.len);
        assert_int_equal(ng, nw);
        for (size_t k = 0; k < nw; k++) assert_int_equal(got.data[k], want[k]);
        size_t nb = off.data[d + 1] - off.data[d];
        uint64_t *bd = bdocs.data + off.data[d];
        nb = sort_unique(bd, nb);
        assert_int_equal(nb, nw);
        for (size_t k = 0; k < nw; k++) assert_int_equal(bd[k], want[k]);
    }
    wd_store_reader_close(r);
    wd_u64s_free(&got);
    wd_u64s_free(&off);
    wd_u64s_free(&bdocs);
    free(want);
    free(keys);
    free(t);
    free(sig);
}

/* foreach: documents from `from` on, in order. */
typedef struct walk {
    uint64_t next;
    unsigned H;
    int stop_at;
} walk;

static int walk_fn(void *ctx, const wd_store_doc *d)
{
    walk *w = ctx;
    tdoc t;
    make_doc(w->next, w->H, &t);
    if (d->doc != w->next || memcmp(d->sig, t.sig, w->H * 4) || d->id_len != t.d.id_len)
        return 99;
    w->next++;
    return w->stop_at >= 0 && d->doc == (uint64_t)w->stop_at ? 7 : 0;
}

typedef struct sink {
    char *data;
    size_t len;
} sink;

static int sink_write(void *ctx, const char *buf, size_t len)
{
    sink *k = ctx;
    k->data = realloc(k->data, k->len + len + 1);
    if (!k->data) return -1;
    memcpy(k->data + k->len, buf, len);
    k->len += len;
    k->data[k->len] = 0;
    return 0;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* ---- tests -------------------------------------------------------------- */

static void test_roundtrip(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "idx");
    wd_store_params p = test_params(32, 8, 4);
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), 0);
    add_batch(s, 0, 1);
    add_batch(s, 1, 100);
    add_batch(s, 100, 260);
    check_contents(s, 260);
    assert_int_equal(wd_store_verify(s), WD_OK);

    wd_store_reader *r;
    assert_int_equal(wd_store_reader_open(s, &r), WD_OK);
    walk w = { 0, 32, -1 };
    assert_int_equal(wd_store_foreach(r, 0, walk_fn, &w), WD_OK);
    assert_int_equal(w.next, 260);
    w = (walk){ 200, 32, 210 };
    assert_int_equal(wd_store_foreach(r, 200, walk_fn, &w), 7); /* stopped by fn */
    assert_int_equal(w.next, 211);
    wd_store_reader_close(r);

    wd_store_stats st;
    assert_int_equal(wd_store_stats_get(s, &st), WD_OK);
    assert_int_equal(st.docs, 260);
    assert_int_equal(st.format, WD_STORE_FORMAT);
    assert_int_equal(st.params.num_hashes, 32);
    assert_int_equal(st.params.bands, 8);
    assert_string_equal(st.created_by, wd_version());
    assert_true(st.file_bytes > 0 && st.used_bytes > 0 && st.used_bytes <= st.file_bytes);
    assert_true(st.map_bytes >= st.file_bytes);
    assert_true(st.filter_bytes >= 4096 && st.filter_bytes % 4096 == 0);
    uint64_t nonempty = 0, exact = 0;
    for (uint64_t i = 0; i < 260; i++) {
        tdoc t;
        make_doc(i, 32, &t);
        if (!t.d.shingles) continue;
        nonempty++;
        exact += !(i % 11 == 5 && (i - 1) % 13 != 12);
    }
    assert_int_equal(st.exact, exact);
    assert_true(st.band_entries <= nonempty * 8 && st.band_entries > nonempty * 7);

    sink tsv = { 0 }, js = { 0 };
    assert_int_equal(wd_store_export(s, WD_STORE_EXPORT_TSV, sink_write, &tsv), WD_OK);
    assert_int_equal(wd_store_export(s, WD_STORE_EXPORT_JSONL, sink_write, &js), WD_OK);
    assert_int_equal(count_lines(tsv.data), 260);
    assert_int_equal(count_lines(js.data), 260);
    /* document 0 first, document 3 (odd id) escaped */
    tdoc t0;
    make_doc(0, 32, &t0);
    char hex[33];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", t0.d.hash[i]);
    char line[256];
    snprintf(line, sizeof line, "doc-0\t5\t%s\n", hex);
    assert_int_equal(strncmp(tsv.data, line, strlen(line)), 0);
    snprintf(line, sizeof line, "{\"id\":\"doc-0\",\"shingles\":5,\"hash\":\"%s\"}\n", hex);
    assert_int_equal(strncmp(js.data, line, strlen(line)), 0);
    assert_non_null(strstr(tsv.data, "id\\t3\\n\"q\"\\\\\t8\t"));
    assert_non_null(strstr(js.data, "{\"id\":\"id\\t3\\n\\\"q\\\"\\\\\",\"shingles\":8,"));
    free(tsv.data);
    free(js.data);
    wd_store_close(s);

    /* read-only reopen sees the same; writing is refused */
    assert_int_equal(wd_store_open(path, WD_STORE_READ, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), 260);
    check_contents(s, 260);
    assert_int_equal(wd_store_verify(s), WD_OK);
    assert_int_equal(wd_store_begin(s), WD_E_STATE);
    wd_store_close(s);
    /* without expectations */
    assert_int_equal(wd_store_open(path, WD_STORE_READ, NULL, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_params_get(s)->rows, 4);
    wd_store_close(s);
}

static void expect_mismatch(const char *path, wd_store_params want, const char *msg)
{
    wd_store *s = (wd_store *)1;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &want, NULL, &s, err, sizeof err),
                     WD_STORE_E_MISMATCH);
    assert_null(s);
    assert_string_equal(err, msg);
}

static void test_params_mismatch(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "idx");
    wd_store_params p = test_params(32, 8, 4);
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 10);
    wd_store_close(s);

    wd_store_params q = p;
    q.shingle_size = 3;
    expect_mismatch(path, q, "index was built with shingle word:5, asked word:3");
    q = p;
    q.shingle = WD_SHINGLE_CHAR;
    expect_mismatch(path, q, "index was built with shingle word:5, asked char:5");
    q = p;
    q.num_hashes = 64;
    expect_mismatch(path, q, "index was built with num-hashes 32, asked 64");
    q = p;
    q.seed = 7;
    q.band_seed = 7 ^ 0x6c7368ULL;
    /* the band seed follows from the seed: not named twice */
    expect_mismatch(path, q, "index was built with seed 24301, asked 7");
    q = p;
    q.band_seed = 7;
    expect_mismatch(path, q, "index was built with band seed 7089541, asked 7");
    q = p;
    q.sketch = WD_SKETCH_OPH;
    expect_mismatch(path, q, "index was built with sketch minhash, asked oph");
    q = p;
    q.bands = 4;
    q.rows = 8;
    expect_mismatch(path, q, "index was built with bands 8, rows 4, asked bands 4, rows 8");
    q = p;
    q.shingle_size = 3;
    q.num_hashes = 64;
    expect_mismatch(path, q, "index was built with shingle word:5, asked word:3; "
                             "num-hashes 32, asked 64");

    /* the text pipeline changed: refused when both have a probe */
    assert_int_equal(wd_store_open(path, WD_STORE_READ, NULL, NULL, &s, err, sizeof err), WD_OK);
    wd_store_close(s);
    char probed[128];
    tmp_path(probed, sizeof probed, "probed");
    q = p;
    q.sketch_probe = 0x1234;
    assert_int_equal(wd_store_open(probed, WD_STORE_WRITE, &q, NULL, &s, err, sizeof err), WD_OK);
    wd_store_close(s);
    assert_int_equal(wd_store_open(probed, WD_STORE_READ, &q, NULL, &s, err, sizeof err), WD_OK);
    wd_store_close(s);
    q.sketch_probe = 0x5678;
    char want[256];
    snprintf(want, sizeof want, "index was built with another text pipeline (wiredup %s; probe "
             "0000000000001234, this build 0000000000005678): rebuild the index", wd_version());
    expect_mismatch(probed, q, want);
    q.sketch_probe = 0;                 /* a caller without a probe is not checked */
    assert_int_equal(wd_store_open(probed, WD_STORE_READ, &q, NULL, &s, err, sizeof err), WD_OK);
    wd_store_close(s);

    /* bands 0 / rows 0: take the index's */
    q = p;
    q.bands = q.rows = 0;
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &q, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_params_get(s)->bands, 8);
    assert_int_equal(wd_store_params_get(s)->rows, 4);
    wd_store_close(s);

    /* creating needs parameters; invalid ones are refused */
    char other[128];
    tmp_path(other, sizeof other, "new");
    assert_int_equal(wd_store_open(other, WD_STORE_WRITE, NULL, NULL, &s, err, sizeof err), WD_E_INVALID);
    assert_int_equal(access(other, F_OK), -1); /* nothing left behind */
    q = p;
    q.bands = 40; /* 40 x 4 > 32 */
    assert_int_equal(wd_store_open(other, WD_STORE_WRITE, &q, NULL, &s, err, sizeof err), WD_E_INVALID);

    /* creating needs bands and rows */
    q = p;
    q.bands = q.rows = 0;
    assert_int_equal(wd_store_open(other, WD_STORE_WRITE, &q, NULL, &s, err, sizeof err), WD_E_INVALID);
    assert_int_equal(access(other, F_OK), -1);

    /* another band-key function (a planted probe) */
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, probed, 0, 0644), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
    uint8_t junk[8] = { 1, 2, 3 };
    MDB_val bk = { 10, "band_probe" }, bv = { 8, junk };
    assert_int_equal(mdb_put(t, meta, &bk, &bv, 0), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);
    assert_int_equal(wd_store_open(probed, WD_STORE_READ, NULL, NULL, &s, err, sizeof err),
                     WD_STORE_E_MISMATCH);
    snprintf(want, sizeof want, "index was built with another band-key function (wiredup %s); "
             "rebuild it with this version", wd_version());
    assert_string_equal(err, want);

    /* a format from the future */
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, path, 0, 0644), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
    uint8_t two[8] = { 2 };
    MDB_val k = { 6, "format" }, v = { 8, two };
    assert_int_equal(mdb_put(t, meta, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);
    assert_int_equal(wd_store_open(path, WD_STORE_READ, &p, NULL, &s, err, sizeof err),
                     WD_STORE_E_MISMATCH);
    assert_string_equal(err, "index format 2 cannot be read by this build (format 1)");
}

static void test_reopen_and_abort(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "idx");
    wd_store_params p = test_params(32, 8, 4);
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 50);
    wd_store_close(s);

    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), 50);
    add_batch(s, 50, 120);

    /* abort: nothing of the batch is visible, numbering is reused */
    wd_store_reader *r;
    assert_int_equal(wd_store_reader_open(s, &r), WD_OK);
    assert_int_equal(wd_store_begin(s), WD_OK);
    assert_int_equal(wd_store_begin(s), WD_E_STATE); /* one batch at a time */
    tdoc t;
    uint64_t num;
    for (uint64_t i = 120; i < 150; i++) {
        make_doc(i, 32, &t);
        assert_int_equal(wd_store_add(s, &t.d, NULL, &num), WD_OK);
    }
    wd_store_abort(s);
    assert_int_equal(wd_store_count(s), 120);
    assert_int_equal(wd_store_refresh(s), WD_OK);
    assert_int_equal(wd_store_reader_count(r), 120);
    make_doc(130, 32, &t);
    uint64_t first;
    assert_int_equal(wd_store_exact(r, t.d.hash, &first), 0);
    assert_int_equal(wd_store_add(s, &t.d, NULL, &num), WD_E_STATE); /* no batch */
    assert_int_equal(wd_store_commit(s), WD_E_STATE);
    wd_store_reader_close(r);
    add_batch(s, 120, 150);
    check_contents(s, 150);

    /* close with a batch open: discarded */
    assert_int_equal(wd_store_begin(s), WD_OK);
    make_doc(150, 32, &t);
    assert_int_equal(wd_store_add(s, &t.d, NULL, &num), WD_OK);
    wd_store_close(s);
    assert_int_equal(wd_store_open(path, WD_STORE_READ, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), 150);
    assert_int_equal(wd_store_verify(s), WD_OK);
    wd_store_close(s);
}

static void test_open_errors(void **state)
{
    (void)state;
    char path[128], file[128], foreign[128];
    tmp_path(path, sizeof path, "missing");
    tmp_path(file, sizeof file, "file");
    tmp_path(foreign, sizeof foreign, "foreign");
    wd_store_params p = test_params(32, 8, 4);
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_READ, &p, NULL, &s, err, sizeof err), WD_STORE_E_IO);
    assert_string_equal(err, "no index here (No such file or directory)");
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    assert_int_equal(wd_store_open(file, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_STORE_E_IO);
    assert_string_equal(err, "not a directory (an index is a directory)");
    assert_int_equal(mkdir(foreign, 0755), 0);
    char fx[160];
    snprintf(fx, sizeof fx, "%s/notes.txt", foreign);
    f = fopen(fx, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(wd_store_open(foreign, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err),
                     WD_STORE_E_CORRUPT);
    assert_string_equal(err, "not a wiredup index (a non-empty directory without data.mdb)");
    assert_int_equal(wd_store_open(foreign, WD_STORE_READ, &p, NULL, &s, err, sizeof err), WD_STORE_E_IO);
    assert_string_equal(err, "no index here (no data.mdb)");
}

/* Opens path for writing as a user who may not write there. */
static void test_read_only_dir(void **state)
{
    (void)state;
    char path[128], fresh[128];
    tmp_path(path, sizeof path, "idx");
    tmp_path(fresh, sizeof fresh, "ro/new");
    wd_store_params p = test_params(32, 8, 4);
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 40);
    wd_store_close(s);
    char ro[128];
    tmp_path(ro, sizeof ro, "ro");
    assert_int_equal(mkdir(ro, 0755), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* As root permissions do not apply: become nobody. Otherwise make
         * the files read-only. */
        if (geteuid() == 0) {
            if (setgid(65534) || setuid(65534)) _exit(10);
        } else {
            char cmd[300];
            snprintf(cmd, sizeof cmd, "chmod -R a-w '%s' '%s'", path, ro);
            if (system(cmd)) _exit(11);
        }
        int rc = wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err);
        if (rc != WD_STORE_E_IO) _exit(12);
        if (strcmp(err, "cannot open for writing: Permission denied")) {
            fprintf(stderr, "got: %s\n", err);
            _exit(13);
        }
        rc = wd_store_open(fresh, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err);
        if (rc != WD_STORE_E_IO) _exit(14);
        if (strcmp(err, "cannot create the index directory: Permission denied")) {
            fprintf(stderr, "got: %s\n", err);
            _exit(15);
        }
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' '%s'", path, ro);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(wd_store_open(path, WD_STORE_READ, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), 40);
    assert_int_equal(wd_store_verify(s), WD_OK);
    wd_store_close(s);
}

static void test_map_growth_and_limit(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "idx");
    wd_store_params p = test_params(128, 60, 2);
    /* 64 KiB and only MDB_MAP_FULL grows it: the batch is written again
     * after each doubling */
    wd_store_options o = { .map_size = 64 << 10, .no_pregrow = 1 };
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, &o, &s, err, sizeof err), WD_OK);
    wd_store_reader *r;
    assert_int_equal(wd_store_reader_open(s, &r), WD_OK); /* readers survive a resize */
    add_batch(s, 0, 300);
    add_batch(s, 300, 2000);
    assert_int_equal(wd_store_reader_count(r), 2000);
    wd_store_stats st;
    assert_int_equal(wd_store_stats_get(s, &st), WD_OK);
    assert_true(st.map_bytes >= 2u << 20);
    wd_store_reader_close(r);
    assert_int_equal(wd_store_verify(s), WD_OK);
    wd_store_close(s);

    /* growing ahead of the batch, from its estimated size */
    char pre[128];
    tmp_path(pre, sizeof pre, "pre");
    o = (wd_store_options){ .map_size = 64 << 10 };
    assert_int_equal(wd_store_open(pre, WD_STORE_WRITE, &p, &o, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 2000);
    assert_int_equal(wd_store_verify(s), WD_OK);
    wd_store_close(s);

    /* a limit: the batch that does not fit fails, the index is unchanged */
    char lim[128];
    tmp_path(lim, sizeof lim, "lim");
    o.map_size = 1 << 20;
    o.map_max = 1 << 20;
    assert_int_equal(wd_store_open(lim, WD_STORE_WRITE, &p, &o, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 100);
    assert_int_equal(wd_store_begin(s), WD_OK);
    tdoc t;
    for (uint64_t i = 100; i < 3000; i++) {
        make_doc(i, 128, &t);
        assert_int_equal(wd_store_add(s, &t.d, NULL, NULL), WD_OK);
    }
    assert_int_equal(wd_store_commit(s), WD_E_LIMIT);
    assert_string_equal(wd_store_errmsg(s),
                        "the index reached its map size limit (1048576 bytes); batch not written");
    assert_int_equal(wd_store_count(s), 100);
    assert_int_equal(wd_store_begin(s), WD_E_STATE); /* refuses after a failed batch */
    wd_store_close(s);
    assert_int_equal(wd_store_open(lim, WD_STORE_READ, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), 100);
    assert_int_equal(wd_store_verify(s), WD_OK);
    check_contents(s, 100);
    wd_store_close(s);
}

/* A full disk, simulated with a file-size limit in a child process. */
static void test_disk_full(void **state)
{
    (void)state;
    char path[128], data[160];
    tmp_path(path, sizeof path, "idx");
    snprintf(data, sizeof data, "%s/data.mdb", path);
    wd_store_params p = test_params(128, 60, 2);
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 200);
    wd_store_close(s);
    struct stat sb;
    assert_int_equal(stat(data, &sb), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = { (rlim_t)sb.st_size + (64 << 10), (rlim_t)sb.st_size + (64 << 10) };
        if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(10);
        if (wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err)) _exit(11);
        if (wd_store_begin(s)) _exit(12);
        tdoc t;
        for (uint64_t i = 200; i < 3000; i++) {
            make_doc(i, 128, &t);
            if (wd_store_add(s, &t.d, NULL, NULL)) _exit(13);
        }
        int rc = wd_store_commit(s);
        if (rc != WD_STORE_E_IO) _exit(14);
        if (strcmp(wd_store_errmsg(s), "the file size limit was reached, batch not written: Input/output error")) {
            fprintf(stderr, "got: %s\n", wd_store_errmsg(s));
            _exit(15);
        }
        if (wd_store_count(s) != 200) _exit(16);
        wd_store_close(s);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), 200);
    assert_int_equal(wd_store_verify(s), WD_OK);
    add_batch(s, 200, 400); /* and it goes on from there */
    check_contents(s, 400);
    wd_store_close(s);
}

/* VmSize of this process in bytes (0 when unknown). */
static __attribute__((unused)) uint64_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %llu kB", (unsigned long long *)&kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

/*
 * Growing the map fails (address space exhausted, RLIMIT_AS): LMDB has
 * already unmapped the old map, so the store maps it back; the batch fails
 * with a clear message, the handle still reads, and the index is unchanged.
 * Not under AddressSanitizer, which needs terabytes of address space.
 */
static void test_map_growth_fails(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#else
    char path[128];
    tmp_path(path, sizeof path, "idx");
    wd_store_params p = test_params(128, 60, 2);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        wd_store_options o = { .map_size = 1 << 20 };
        wd_store *s;
        char err[256];
        tdoc t;
        if (wd_store_open(path, WD_STORE_WRITE, &p, &o, &s, err, sizeof err)) _exit(10);
        if (wd_store_begin(s)) _exit(11);
        for (uint64_t i = 0; i < 50; i++) {
            make_doc(i, 128, &t);
            if (wd_store_add(s, &t.d, NULL, NULL)) _exit(12);
        }
        if (wd_store_commit(s)) _exit(13);
        wd_store_reader *r;
        if (wd_store_reader_open(s, &r)) _exit(14);
        if (wd_store_begin(s)) _exit(15);
        for (uint64_t i = 50; i < 20050; i++) {
            make_doc(i, 128, &t);
            if (wd_store_add(s, &t.d, NULL, NULL)) _exit(16);
        }
        uint64_t vm = vm_size();
        if (!vm) _exit(0); /* no /proc: nothing to test */
        struct rlimit rl = { vm + (24 << 20), vm + (24 << 20) };
        if (setrlimit(RLIMIT_AS, &rl)) _exit(17);
        int rc = wd_store_commit(s);
        if (rc != WD_E_NOMEM) {
            fprintf(stderr, "commit: %d %s\n", rc, wd_store_errmsg(s));
            _exit(18);
        }
        if (strncmp(wd_store_errmsg(s), "cannot grow the map to ", 23)) {
            fprintf(stderr, "got: %s\n", wd_store_errmsg(s));
            _exit(19);
        }
        if (wd_store_count(s) != 50 || wd_store_begin(s) != WD_E_STATE) _exit(20);
        wd_store_doc d;
        if (wd_store_get(r, 10, &d, NULL) || wd_store_refresh(s)) _exit(21); /* still reads */
        wd_store_close(s);
        if (wd_store_open(path, WD_STORE_READ, &p, &o, &s, err, sizeof err)) _exit(22);
        if (wd_store_count(s) != 50 || wd_store_verify(s)) _exit(23);
        wd_store_close(s);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

/* Plants faults with raw LMDB writes; verify must name them. */
static void plant(const char *path, const char *dbname, unsigned flags, const void *key, size_t klen,
                  const void *val, size_t vlen, int del)
{
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 5), 0);
    assert_int_equal(mdb_env_open(env, path, 0, 0644), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, dbname, flags, &dbi), 0);
    MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
    if (del) assert_int_equal(mdb_del(t, dbi, &k, vlen ? &v : NULL), 0);
    else assert_int_equal(mdb_put(t, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);
}

static void expect_fault(const char *path, const char *prefix)
{
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_READ, NULL, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_verify(s), WD_STORE_E_CORRUPT);
    if (strncmp(wd_store_errmsg(s), prefix, strlen(prefix))) {
        fprintf(stderr, "got: %s\nwanted: %s...\n", wd_store_errmsg(s), prefix);
        fail();
    }
    wd_store_close(s);
}

static void test_verify_finds_faults(void **state)
{
    (void)state;
    wd_store_params p = test_params(32, 8, 4);
    wd_store *s;
    char err[256], path[128];
    const unsigned BF = MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP;
    wd_lsh l;
    wd_lsh_init(&l, 8, 4, p.band_seed);
    tdoc t;
    uint64_t keys[8];
    size_t doc;

    /* a missing band entry */
    tmp_path(path, sizeof path, "a");
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 30);
    wd_store_close(s);
    make_doc(7, 32, &t);
    wd_lsh_keys(&l, t.sig, keys);
    doc = 7;
    plant(path, "bands", BF, &keys[2], 8, &doc, 8, 1);
    char want[128];
    snprintf(want, sizeof want, "document 7: band key %016llx missing from bands",
             (unsigned long long)keys[2]);
    expect_fault(path, want);

    /* a stray band entry */
    tmp_path(path, sizeof path, "b");
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 30);
    wd_store_close(s);
    size_t key = 12345;
    doc = 3;
    plant(path, "bands", BF, &key, 8, &doc, 8, 0);
    expect_fault(path, "bands holds ");

    /* exact pointing to a document with another hash */
    tmp_path(path, sizeof path, "c");
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 30);
    wd_store_close(s);
    make_doc(9, 32, &t);
    doc = 2;
    plant(path, "exact", 0, t.d.hash, 16, &doc, 8, 0);
    expect_fault(path, "document 9: exact points to document 2, which has another hash");

    /* a zeroed filter chunk: the keys it held are denied */
    tmp_path(path, sizeof path, "f");
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 30);
    wd_store_close(s);
    uint8_t zero[4080] = { 0 };
    size_t chunk0 = 0;
    plant(path, "filter", MDB_INTEGERKEY, &chunk0, 8, zero, sizeof zero, 0);
    wd_store *s2;
    assert_int_equal(wd_store_open(path, WD_STORE_READ, NULL, NULL, &s2, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_verify(s2), WD_STORE_E_CORRUPT);
    assert_non_null(strstr(wd_store_errmsg(s2), "missing from the filter"));
    wd_store_close(s2);

    /* the counter disagrees with docs */
    tmp_path(path, sizeof path, "d");
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    add_batch(s, 0, 30);
    wd_store_close(s);
    size_t k29 = 29;
    plant(path, "docs", MDB_INTEGERKEY, &k29, 8, NULL, 0, 1);
    expect_fault(path, "the counter says 30 documents, docs holds 29");
}

/* ---- kill -9 ------------------------------------------------------------ */

#define KILL_DOCS 6000
#define KILL_BATCH 100

/*
 * One indexing run, as `dedup --index` does it: every input document whose
 * exact hash is already indexed is skipped; the rest go in batches. After
 * each commit the count is reported on fd. With self_kill > 0 the run kills
 * itself after that many adds (in the middle of a batch).
 */
static void index_run(const char *path, int fd, long self_kill, int no_pregrow)
{
    wd_store_params p = test_params(128, 60, 2);
    /* grows during the runs, ahead of a batch or after MDB_MAP_FULL */
    wd_store_options o = { .map_size = 1 << 20, .no_pregrow = no_pregrow };
    wd_store *s;
    char err[256];
    if (wd_store_open(path, WD_STORE_WRITE, &p, &o, &s, err, sizeof err)) _exit(20);
    wd_store_reader *r;
    if (wd_store_reader_open(s, &r)) _exit(21);
    tdoc t;
    long adds = 0;
    uint64_t i = 0;
    while (i < KILL_DOCS) {
        if (wd_store_begin(s)) _exit(22);
        unsigned n = 0;
        for (; i < KILL_DOCS && n < KILL_BATCH; i++) {
            make_doc(i, 128, &t);
            t.d.shingles = 10;                 /* all non-empty, all distinct */
            uint64_t h = i * 0x9e3779b97f4a7c15ULL + 1;
            memcpy(t.d.hash, &h, 8);
            uint64_t first;
            int rc = wd_store_exact(r, t.d.hash, &first);
            if (rc < 0) _exit(23);
            if (rc == 1) continue;             /* indexed by an earlier run */
            if (wd_store_add(s, &t.d, NULL, NULL)) _exit(24);
            n++;
            if (self_kill > 0 && ++adds == self_kill) raise(SIGKILL);
        }
        if (n == 0) {
            wd_store_abort(s);
            continue;
        }
        uint64_t msg[2] = { 1, 0 };          /* entering commit */
        if (fd >= 0 && write(fd, msg, sizeof msg) != sizeof msg) _exit(26);
        if (wd_store_commit(s)) _exit(25);
        msg[0] = 2;                            /* committed: the count */
        msg[1] = wd_store_count(s);
        if (fd >= 0 && write(fd, msg, sizeof msg) != sizeof msg) _exit(26);
    }
    wd_store_close(s);
    _exit(0);
}

/* The index holds documents 0..count-1 of the input, each once. */
static uint64_t check_prefix(const char *path)
{
    wd_store *s;
    char err[256];
    wd_store_params p = test_params(128, 60, 2);
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_verify(s), WD_OK);
    uint64_t n = wd_store_count(s);
    wd_store_reader *r;
    assert_int_equal(wd_store_reader_open(s, &r), WD_OK);
    for (uint64_t i = 0; i < n; i++) {
        wd_store_doc d;
        assert_int_equal(wd_store_get(r, i, &d, NULL), WD_OK);
        uint64_t h;
        memcpy(&h, d.hash, 8);
        assert_int_equal(h, i * 0x9e3779b97f4a7c15ULL + 1);
    }
    wd_store_reader_close(r);
    wd_store_close(s);
    return n;
}

static void test_kill9(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "idx");
    uint64_t rng = 2024, before = 0;
    int killed_in_commit = 0;
    for (int round = 0; round < 20; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        long self_kill = round % 4 == 3 ? (long)(1 + rng_next(&rng) % 250) : 0;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            index_run(path, fds[1], self_kill, round % 2);
        }
        close(fds[1]);
        if (!self_kill) {
            /* kill at a random moment: often inside a commit */
            struct timespec d = { 0, (long)(2 + rng_next(&rng) % 40) * 1000000L };
            nanosleep(&d, NULL);
            kill(pid, SIGKILL);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        uint64_t reported = before, msg[2], last = 0;
        while (read(fds[0], msg, sizeof msg) == sizeof msg) {
            last = msg[0];
            if (msg[0] == 2) reported = msg[1];
        }
        close(fds[0]);
        int in_commit = WIFSIGNALED(status) && last == 1;
        killed_in_commit += in_commit;
        uint64_t n = check_prefix(path);
        if (WIFSIGNALED(status)) {
            /* whole batches only; the last one may have committed unreported */
            if (self_kill) assert_int_equal(n, reported); /* mid-batch: not committed */
            else assert_true(n == reported || n == reported + KILL_BATCH ||
                             (n == KILL_DOCS && reported >= KILL_DOCS - KILL_BATCH));
        } else {
            assert_int_equal(WEXITSTATUS(status), 0);
            assert_int_equal(n, KILL_DOCS);
        }
        if (getenv("WD_TEST_VERBOSE"))
            fprintf(stderr, "round %d: %s, reported %llu, index %llu\n", round,
                    self_kill ? "self-kill mid-batch" : in_commit ? "killed in commit"
                    : WIFSIGNALED(status) ? "killed outside commit" : "finished",
                    (unsigned long long)reported, (unsigned long long)n);
        assert_true(n >= before);
        assert_int_equal(n % KILL_BATCH == 0 || n == KILL_DOCS, 1);
        before = n;
    }
    /* the rerun completes the input, nothing twice */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) index_run(path, -1, 0, 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(check_prefix(path), KILL_DOCS);
    if (getenv("WD_TEST_VERBOSE")) fprintf(stderr, "killed inside a commit: %d\n", killed_in_commit);
}

/* ---- one writer, one reader ---------------------------------------------- */

#define CC_BATCH 50
#define CC_BATCHES 40

static void test_concurrent_reader(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "idx");
    wd_store_params p = test_params(128, 60, 2);
    wd_store_options o = { .map_size = 128 << 10 }; /* the writer grows it under the reader */
    wd_store *s;
    char err[256];
    assert_int_equal(wd_store_open(path, WD_STORE_WRITE, &p, &o, &s, err, sizeof err), WD_OK);
    wd_store_close(s);

    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        if (wd_store_open(path, WD_STORE_WRITE, &p, &o, &s, err, sizeof err)) _exit(20);
        tdoc t;
        for (uint64_t b = 0; b < CC_BATCHES; b++) {
            if (wd_store_begin(s)) _exit(21);
            for (uint64_t i = b * CC_BATCH; i < (b + 1) * CC_BATCH; i++) {
                make_doc(i, 128, &t);
                if (wd_store_add(s, &t.d, NULL, NULL)) _exit(22);
            }
            if (wd_store_commit(s)) _exit(23);
            struct timespec d = { 0, 5 * 1000000L };
            nanosleep(&d, NULL);
        }
        wd_store_close(s);
        _exit(0);
    }
    pid_t reader = fork();
    assert_true(reader >= 0);
    if (reader == 0) {
        if (wd_store_open(path, WD_STORE_READ, &p, NULL, &s, err, sizeof err)) _exit(30);
        wd_store_reader *r;
        if (wd_store_reader_open(s, &r)) _exit(31);
        uint64_t last = 0, snapshots = 0;
        uint32_t sig[128];
        tdoc t;
        double t0 = now();
        wd_u64s cands = { 0 };
        wd_lsh l;
        wd_lsh_init(&l, 60, 2, p.band_seed);
        uint64_t keys[60];
        while (last < CC_BATCH * CC_BATCHES) {
            if (now() - t0 > 20) _exit(32);
            if (wd_store_refresh(s)) _exit(33);
            uint64_t n = wd_store_reader_count(r);
            if (n < last || n % CC_BATCH) _exit(34);   /* whole batches, never back */
            snapshots += n != last;
            last = n;
            if (n == 0) continue;
            /* the newest document is complete and findable */
            uint64_t d = n - 1;
            wd_store_doc got;
            if (wd_store_get(r, d, &got, sig)) _exit(35);
            make_doc(d, 128, &t);
            if (memcmp(sig, t.sig, sizeof sig) || got.shingles != t.d.shingles) _exit(36);
            if (wd_store_get(r, n, &got, sig) != WD_E_INVALID) _exit(37);
            if (t.d.shingles) {
                uint64_t first;
                if (wd_store_exact(r, t.d.hash, &first) != 1 || first > d) _exit(38);
                wd_lsh_keys(&l, t.sig, keys);
                cands.len = 0;
                if (wd_store_candidates(r, keys, 60, &cands)) _exit(39);
                int found = 0;
                for (size_t k = 0; k < cands.len; k++) {
                    found |= cands.data[k] == d;
                    if (cands.data[k] >= n) _exit(40); /* nothing from a later batch */
                }
                if (!found) _exit(41);
            }
        }
        wd_u64s_free(&cands);
        wd_store_close(s);
        _exit(snapshots >= 3 ? 0 : 42); /* it did see the index grow */
    }
    int status;
    assert_int_equal(waitpid(writer, &status, 0), writer);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(waitpid(reader, &status, 0), reader);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(wd_store_open(path, WD_STORE_READ, &p, NULL, &s, err, sizeof err), WD_OK);
    assert_int_equal(wd_store_count(s), CC_BATCH * CC_BATCHES);
    assert_int_equal(wd_store_verify(s), WD_OK);
    wd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_params_mismatch, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_reopen_and_abort, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_open_errors, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_only_dir, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_map_growth_and_limit, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_disk_full, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_map_growth_fails, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_verify_finds_faults, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_kill9, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_concurrent_reader, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
