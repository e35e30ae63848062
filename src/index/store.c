/*
 * store.c - the persistent index on LMDB (see store.h for the layout and
 * the contracts).
 *
 *   wd_store_add ----> batch buffer (records, (band key, doc) pairs)
 *   wd_store_commit -> map grown ahead when the batch may not fit
 *                      one write transaction:
 *                        docs   appended (MDB_APPEND: numbers only grow)
 *                        exact  in hash order, MDB_NOOVERWRITE (first wins)
 *                        bands  radix-sorted (key, doc), deduplicated, in key
 *                               order; appended when the tree is empty
 *                        filter the chunks of the new keys, or rebuilt twice
 *                               as large when bands outgrew it
 *                        meta   "docs" counter
 *                      MDB_MAP_FULL -> abort, double the map, write again
 *
 * Why buffer instead of writing each add at once: the batch can be replayed
 * after the map grows (LMDB cannot resize inside a transaction), and band
 * keys are random, so inserting them sorted shares the B-tree descent and
 * the dirty pages between neighbours (about 3x faster than insertion order).
 *
 * Querying goes straight to the B-trees through per-thread readers rather
 * than loading the index into memory (numbers in store.h): a band filter
 * in front of `bands` answers most lookups of a new document -- its keys
 * are mostly in no bucket -- from one cache line.
 */
#include "store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <unistd.h>

#include "lsh.h"

_Static_assert(sizeof(size_t) == 8, "integer keys and values are 64-bit size_t");

#define DOC_HDR 24                   /* hash[16] shingles u32 id_len u32 */
#define DEF_MAP ((size_t)1 << 30)    /* 1 GiB */
#define DEF_MAP_MAX ((size_t)1 << 40) /* 1 TiB */
#define DEF_READERS 510
#define VERIFY_CHUNK 16384           /* documents whose band keys are checked together */

/*
 * The band filter: a blocked Bloom filter of every key in `bands`, so that
 * the B-tree is searched only for keys that are probably there (most keys
 * of a new document are not: a lookup that misses costs a descent through
 * four pages, a filter test one cache line). Chunk i of the `filter`
 * database is one overflow page holding FILTER_PAD bytes (so that blocks are
 * 64-byte aligned in the map) and FILTER_BLOCKS blocks of 512 bits; a key
 * sets FILTER_K bits of one block. The block is chosen by the key's high
 * bits (fastrange), so keys in B-tree order visit chunks in order and the
 * filter is rebuilt in one pass over `bands`. Rebuilt with room for twice
 * the entries whenever `bands` outgrows it; about 1 % false positives.
 */
#define FILTER_CHUNK 4080            /* value size: exactly one overflow page */
#define FILTER_PAD 48
#define FILTER_BLOCKS 63
#define FILTER_BITS_PER_KEY 10
#define FILTER_K 7

static inline uint64_t filter_block(uint64_t key, uint64_t nblocks)
{
    return (uint64_t)(((unsigned __int128)key * nblocks) >> 64);
}

/* FILTER_K bit positions (9 bits each) from a mix of the key. */
static inline uint64_t filter_bits(uint64_t key)
{
    uint64_t m = (key ^ (key >> 31)) * 0xbf58476d1ce4e5b9ULL;
    return m ^ (m >> 29);
}

static inline int filter_test(const uint8_t *block, uint64_t key)
{
    uint64_t m = filter_bits(key);
    for (int i = 0; i < FILTER_K; i++, m >>= 9) {
        unsigned b = (unsigned)(m & 511);
        if (!(block[b >> 3] >> (b & 7) & 1)) return 0;
    }
    return 1;
}

static inline void filter_set(uint8_t *block, uint64_t key)
{
    uint64_t m = filter_bits(key);
    for (int i = 0; i < FILTER_K; i++, m >>= 9) {
        unsigned b = (unsigned)(m & 511);
        block[b >> 3] |= (uint8_t)(1u << (b & 7));
    }
}

/* Keys a filter of n chunks is sized for. */
static inline uint64_t filter_capacity(uint64_t n)
{
    return n * FILTER_BLOCKS * 512 / FILTER_BITS_PER_KEY;
}

struct wd_store_reader {
    wd_store *s;
    MDB_txn *txn;          /* read-only snapshot */
    MDB_cursor *bands;     /* cursor on bands */
    uint64_t count;        /* documents in the snapshot */
    const uint8_t **chunk; /* the filter's chunks in the map (NULL: no filter) */
    uint64_t nchunk;       /* chunks in the snapshot's filter */
    size_t capchunk;       /* room in chunk */
    wd_u64s tmp;           /* (key, index) pairs of a batch lookup */
    wd_u64s tmp2;          /* (index, doc) results of a batch lookup */
    wd_store_reader *next; /* the store's readers */
};

struct wd_store {
    MDB_env *env;
    MDB_dbi meta, docs, exact, bands, filter;
    wd_store_mode mode;
    wd_store_params p;     /* stored parameters */
    unsigned format;       /* stored format */
    char created_by[32];   /* stored "created_by" */
    wd_lsh lsh;            /* the band-key function (no buckets) */
    size_t map_size;       /* current map size */
    size_t map_max;        /* growth limit */
    int no_pregrow;        /* only MDB_MAP_FULL grows the map */
    uint64_t count;        /* committed documents as last seen */
    char *path;            /* the directory */
    /* the open batch */
    MDB_txn *txn;          /* write transaction between begin and commit */
    uint64_t base;         /* number of the batch's first document */
    uint64_t nbatch;       /* documents buffered */
    wd_buf vals;           /* their records back to back */
    wd_u64s voff;          /* start of each record in vals */
    wd_u64s pairs;         /* (band key, doc) pairs, two values each */
    uint64_t *keybuf;      /* bands keys computed for an add */
    int failed;            /* a commit failed: no more batches */
    int broken;            /* LMDB lost the map in a resize: only close works */
    wd_store_reader *readers;
    char err[320];         /* last message */
};

/* ---- errors ------------------------------------------------------------- */

static int set_err(char *buf, size_t len, int code, const char *fmt, va_list ap)
{
    if (buf && len) vsnprintf(buf, len, fmt, ap);
    return code;
}

static int fail(wd_store *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(wd_store *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_err(s->err, sizeof s->err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* The status for an LMDB or errno code. */
static int status_of(int rc)
{
    switch (rc) {
    case MDB_SUCCESS: return WD_OK;
    case ENOMEM: return WD_E_NOMEM;
    case MDB_MAP_FULL: case MDB_READERS_FULL: case MDB_TXN_FULL: case MDB_DBS_FULL:
        return WD_E_LIMIT;
    case MDB_CORRUPTED: case MDB_INVALID: case MDB_PAGE_NOTFOUND: case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE: case MDB_BAD_VALSIZE: case MDB_KEYEXIST: case MDB_NOTFOUND:
    case MDB_PANIC:
        return WD_STORE_E_CORRUPT;
    }
    return rc > 0 ? WD_STORE_E_IO : WD_STORE_E_CORRUPT;
}

/* "what: reason" for an LMDB failure. */
static int fail_mdb(wd_store *s, int rc, const char *what)
{
    return fail(s, status_of(rc), "%s: %s", what, mdb_strerror(rc));
}

/* ---- small helpers ------------------------------------------------------ */

static void put_le64(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static int meta_put(MDB_txn *t, MDB_dbi dbi, const char *name, uint64_t v)
{
    uint8_t b[8];
    put_le64(b, v);
    MDB_val k = { strlen(name), (void *)name }, d = { 8, b };
    return mdb_put(t, dbi, &k, &d, 0);
}

/* 0 and *v, MDB_NOTFOUND, or another LMDB code (a value of the wrong size
 * is MDB_CORRUPTED). */
static int meta_get(MDB_txn *t, MDB_dbi dbi, const char *name, uint64_t *v)
{
    MDB_val k = { strlen(name), (void *)name }, d;
    int rc = mdb_get(t, dbi, &k, &d);
    if (rc) return rc;
    if (d.mv_size != 8) return MDB_CORRUPTED;
    *v = get_le64(d.mv_data);
    return 0;
}

static const char *shingle_name(unsigned k)
{
    return k == WD_SHINGLE_WORD ? "word" : k == WD_SHINGLE_CHAR ? "char" : "?";
}

static const char *sketch_name(unsigned k)
{
    return k == WD_SKETCH_MINHASH ? "minhash" : k == WD_SKETCH_OPH ? "oph"
         : k == WD_SKETCH_SIMHASH ? "simhash" : "?";
}

void wd_store_params_from(const wd_params *p, uint64_t band_seed, wd_store_params *out)
{
    out->shingle = (unsigned)p->shingle;
    out->shingle_size = p->shingle_size;
    out->num_hashes = p->num_hashes;
    out->sketch = (unsigned)p->sketch;
    out->bands = p->bands;
    out->rows = p->rows;
    out->seed = p->seed;
    out->band_seed = band_seed;
    out->sketch_probe = 0;
}

static int params_valid(const wd_store_params *p, int need_bands)
{
    if (p->num_hashes < 1 || p->num_hashes > WD_MAX_HASHES) return 0;
    if (p->shingle_size < 1 || p->shingle_size > WD_MAX_SHINGLE) return 0;
    if ((p->bands == 0) != (p->rows == 0)) return 0;
    if (need_bands && p->bands == 0) return 0;
    return (unsigned long)p->bands * p->rows <= p->num_hashes;
}

/* Appends "; " then a formatted piece to buf. */
static void add_piece(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_piece(char *buf, size_t len, const char *fmt, ...)
{
    size_t at = strlen(buf);
    if (at + 3 >= len) return;
    if (at) {
        memcpy(buf + at, "; ", 3);
        at += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + at, len - at, fmt, ap);
    va_end(ap);
}

/* Every difference between the stored parameters and the expected ones,
 * in words the command line uses. 0 when they agree. */
static int params_mismatch(wd_store *s, const wd_store_params *want)
{
    const wd_store_params *have = &s->p;
    char d[sizeof s->err - 32] = "";
    if (have->shingle != want->shingle || have->shingle_size != want->shingle_size)
        add_piece(d, sizeof d, "shingle %s:%u, asked %s:%u", shingle_name(have->shingle),
                  have->shingle_size, shingle_name(want->shingle), want->shingle_size);
    if (have->num_hashes != want->num_hashes)
        add_piece(d, sizeof d, "num-hashes %u, asked %u", have->num_hashes, want->num_hashes);
    if (have->seed != want->seed)
        add_piece(d, sizeof d, "seed %llu, asked %llu", (unsigned long long)have->seed,
                  (unsigned long long)want->seed);
    if (have->sketch != want->sketch)
        add_piece(d, sizeof d, "sketch %s, asked %s", sketch_name(have->sketch),
                  sketch_name(want->sketch));
    if (want->bands && (have->bands != want->bands || have->rows != want->rows))
        add_piece(d, sizeof d, "bands %u, rows %u, asked bands %u, rows %u", have->bands,
                  have->rows, want->bands, want->rows);
    /* The probe and the band seed follow from the settings above (and from
     * how this build treats text): named only when those agree, so that a
     * changed --seed reads as just that. */
    const int named = d[0] != 0;
    if (!named && want->sketch_probe && have->sketch_probe && have->sketch_probe != want->sketch_probe)
        add_piece(d, sizeof d, "another text pipeline (wiredup %s; probe %016llx, this build "
                  "%016llx): rebuild the index", s->created_by[0] ? s->created_by : "?",
                  (unsigned long long)have->sketch_probe, (unsigned long long)want->sketch_probe);
    if (!named && have->band_seed != want->band_seed)
        add_piece(d, sizeof d, "band seed %llu, asked %llu",
                  (unsigned long long)have->band_seed, (unsigned long long)want->band_seed);
    if (!d[0]) return 0;
    return fail(s, WD_STORE_E_MISMATCH, "index was built with %s", d);
}

/* ---- readers ------------------------------------------------------------ */

static int resize_map(wd_store *s, size_t size);
static void batch_clear(wd_store *s);

static int snapshot_count(wd_store *s, MDB_txn *t, uint64_t *n)
{
    int rc = meta_get(t, s->meta, "docs", n);
    if (rc) return fail_mdb(s, rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc, "reading the document counter");
    return WD_OK;
}

/*
 * Points r->chunk at the filter chunks of r's snapshot. A filter that does
 * not look right is not used (lookups then all go to the B-tree, which is
 * always correct); verify reports it.
 */
static int load_filter(wd_store *s, MDB_txn *t, const uint8_t ***chunk, uint64_t *nchunk,
                       size_t *cap)
{
    uint64_t n = 0;
    *nchunk = 0;
    int rc = meta_get(t, s->meta, "filter_chunks", &n);
    if (rc == MDB_NOTFOUND || n == 0) return WD_OK;
    if (rc) return fail_mdb(s, rc, "reading the filter");
    if (n > *cap) {
        const uint8_t **c = realloc(*chunk, n * sizeof *c);
        if (!c) return fail(s, WD_E_NOMEM, "out of memory");
        *chunk = c;
        *cap = n;
    }
    MDB_cursor *cur;
    rc = mdb_cursor_open(t, s->filter, &cur);
    if (rc) return fail_mdb(s, rc, "reading the filter");
    MDB_val k, v;
    uint64_t i = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && i < n;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
        uint64_t key;
        memcpy(&key, k.mv_data, 8);
        if (k.mv_size != 8 || key != i || v.mv_size != FILTER_CHUNK) break;
        (*chunk)[i] = v.mv_data;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return fail_mdb(s, rc, "reading the filter");
    *nchunk = i == n ? n : 0;
    return WD_OK;
}

/* 0 when the filter says key is certainly not in bands. */
static inline int filter_may_have(const uint8_t *const *chunk, uint64_t nchunk, uint64_t key)
{
    if (!nchunk) return 1;
    uint64_t b = filter_block(key, nchunk * FILTER_BLOCKS);
    return filter_test(chunk[b / FILTER_BLOCKS] + FILTER_PAD + (b % FILTER_BLOCKS) * 64, key);
}

/* Requests the filter block of key into the cache (see the batch lookup). */
static inline void filter_prefetch(const uint8_t *const *chunk, uint64_t nchunk, uint64_t key)
{
    if (!nchunk) return;
    uint64_t b = filter_block(key, nchunk * FILTER_BLOCKS);
    __builtin_prefetch(chunk[b / FILTER_BLOCKS] + FILTER_PAD + (b % FILTER_BLOCKS) * 64);
}

static void readers_reset(wd_store *s)
{
    for (wd_store_reader *r = s->readers; r; r = r->next) mdb_txn_reset(r->txn);
}

/* Renews every (reset) reader at the newest batch. When another process
 * grew the file beyond our map, every reader is reset, the map is resized
 * and the renewal starts over. */
static int readers_renew(wd_store *s)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        int rc = 0;
        wd_store_reader *r;
        for (r = s->readers; r && !rc; r = r->next) {
            rc = mdb_txn_renew(r->txn);
            if (!rc) rc = mdb_cursor_renew(r->txn, r->bands);
            if (!rc) {
                int st = snapshot_count(s, r->txn, &r->count);
                if (!st) st = load_filter(s, r->txn, &r->chunk, &r->nchunk, &r->capchunk);
                if (st) return st;
            }
        }
        if (!rc) {
            if (s->readers) s->count = s->readers->count;
            return WD_OK;
        }
        readers_reset(s);
        if (rc != MDB_MAP_RESIZED) return fail_mdb(s, rc, "starting a read snapshot");
        int st = resize_map(s, 0);
        if (st) return st;
    }
    return fail(s, WD_STORE_E_IO, "starting a read snapshot: map keeps growing");
}

int wd_store_refresh(wd_store *s)
{
    if (!s) return WD_E_INVALID;
    if (s->broken) return fail(s, WD_E_STATE, "the index map is gone; reopen it");
    readers_reset(s);
    if (s->readers) return readers_renew(s);
    MDB_txn *t;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    if (rc == MDB_MAP_RESIZED && !s->txn) {
        int st = resize_map(s, 0);
        if (st) return st;
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    }
    if (rc) return fail_mdb(s, rc, "starting a read snapshot");
    int st = snapshot_count(s, t, &s->count);
    mdb_txn_abort(t);
    return st;
}

int wd_store_reader_open(wd_store *s, wd_store_reader **out)
{
    if (!s || !out) return WD_E_INVALID;
    *out = NULL;
    if (s->broken) return fail(s, WD_E_STATE, "the index map is gone; reopen it");
    wd_store_reader *r = calloc(1, sizeof *r);
    if (!r) return fail(s, WD_E_NOMEM, "out of memory");
    r->s = s;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &r->txn);
    if (rc == MDB_MAP_RESIZED) {
        /* Another process grew the file past our map: resize, for all. */
        readers_reset(s);
        int st = resize_map(s, 0);
        if (!st) st = readers_renew(s);
        if (st) {
            free(r);
            return st;
        }
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &r->txn);
    }
    if (!rc) {
        rc = mdb_cursor_open(r->txn, s->bands, &r->bands);
        if (rc) mdb_txn_abort(r->txn);
    }
    if (rc) {
        free(r);
        return fail_mdb(s, rc, "starting a read snapshot");
    }
    int st = snapshot_count(s, r->txn, &r->count);
    if (!st) st = load_filter(s, r->txn, &r->chunk, &r->nchunk, &r->capchunk);
    if (st) {
        free(r->chunk);
        mdb_cursor_close(r->bands);
        mdb_txn_abort(r->txn);
        free(r);
        return st;
    }
    r->next = s->readers;
    s->readers = r;
    *out = r;
    return WD_OK;
}

void wd_store_reader_close(wd_store_reader *r)
{
    if (!r) return;
    wd_store *s = r->s;
    for (wd_store_reader **p = &s->readers; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    mdb_cursor_close(r->bands);
    mdb_txn_abort(r->txn);
    free(r->chunk);
    wd_u64s_free(&r->tmp);
    wd_u64s_free(&r->tmp2);
    free(r);
}

uint64_t wd_store_reader_count(const wd_store_reader *r)
{
    return r ? r->count : 0;
}

/* ---- open and close ----------------------------------------------------- */

static int is_empty_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "lock.mdb")) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

/* The first band key of a fixed signature under p: stored at creation and
 * compared at open, so an index written with another band-key function
 * (another wd_lsh_keys) is refused instead of never matching. */
static uint64_t band_probe(const wd_store_params *p)
{
    uint32_t sig[WD_MAX_HASHES];
    uint64_t keys[WD_MAX_HASHES];
    for (unsigned i = 0; i < p->num_hashes; i++) sig[i] = 0x9e3779b9u * (i + 1);
    wd_lsh l;
    wd_lsh_init(&l, p->bands, p->rows, p->band_seed);
    wd_lsh_keys(&l, sig, keys);
    return keys[0];
}

/* Reads meta into s->p, s->format, s->created_by, s->count. */
static int load_meta(wd_store *s, MDB_txn *t)
{
    MDB_val k = { 10, "created_by" }, d;
    s->created_by[0] = 0;
    if (mdb_get(t, s->meta, &k, &d) == 0) {
        size_t n = d.mv_size < sizeof s->created_by - 1 ? d.mv_size : sizeof s->created_by - 1;
        memcpy(s->created_by, d.mv_data, n);
        s->created_by[n] = 0;
    }
    uint64_t v[12];
    static const char *const names[] = { "format", "shingle", "shingle_size", "num_hashes",
                                         "seed", "sketch", "bands", "rows", "band_seed", "docs",
                                         "sketch_probe", "band_probe" };
    for (int i = 0; i < 12; i++) {
        int rc = meta_get(t, s->meta, names[i], &v[i]);
        if (rc == MDB_NOTFOUND)
            return fail(s, WD_STORE_E_CORRUPT, "not a wiredup index (meta has no \"%s\")", names[i]);
        if (rc) return fail_mdb(s, rc, "reading meta");
    }
    s->format = v[0] > 0xffffffffu ? 0xffffffffu : (unsigned)v[0];
    if (s->format != WD_STORE_FORMAT)
        return fail(s, WD_STORE_E_MISMATCH, "index format %u cannot be read by this build (format %u)",
                    s->format, WD_STORE_FORMAT);
    for (int i = 1; i < 8; i++)
        if (i != 4 && v[i] > 0xffffffffu)
            return fail(s, WD_STORE_E_CORRUPT, "meta \"%s\" out of range", names[i]);
    s->p.shingle = (unsigned)v[1];
    s->p.shingle_size = (unsigned)v[2];
    s->p.num_hashes = (unsigned)v[3];
    s->p.seed = v[4];
    s->p.sketch = (unsigned)v[5];
    s->p.bands = (unsigned)v[6];
    s->p.rows = (unsigned)v[7];
    s->p.band_seed = v[8];
    s->count = v[9];
    s->p.sketch_probe = v[10];
    if (!params_valid(&s->p, 1)) return fail(s, WD_STORE_E_CORRUPT, "meta holds invalid parameters");
    if (v[11] != band_probe(&s->p))
        return fail(s, WD_STORE_E_MISMATCH, "index was built with another band-key function "
                    "(wiredup %s); rebuild it with this version", s->created_by);
    return WD_OK;
}

static int write_meta(wd_store *s, MDB_txn *t, const wd_store_params *p)
{
    int rc = meta_put(t, s->meta, "format", WD_STORE_FORMAT);
    if (!rc) rc = meta_put(t, s->meta, "shingle", p->shingle);
    if (!rc) rc = meta_put(t, s->meta, "shingle_size", p->shingle_size);
    if (!rc) rc = meta_put(t, s->meta, "num_hashes", p->num_hashes);
    if (!rc) rc = meta_put(t, s->meta, "seed", p->seed);
    if (!rc) rc = meta_put(t, s->meta, "sketch", p->sketch);
    if (!rc) rc = meta_put(t, s->meta, "bands", p->bands);
    if (!rc) rc = meta_put(t, s->meta, "rows", p->rows);
    if (!rc) rc = meta_put(t, s->meta, "band_seed", p->band_seed);
    if (!rc) rc = meta_put(t, s->meta, "sketch_probe", p->sketch_probe);
    if (!rc) rc = meta_put(t, s->meta, "band_probe", band_probe(p));
    if (!rc) rc = meta_put(t, s->meta, "docs", 0);
    if (!rc) rc = meta_put(t, s->meta, "filter_chunks", 0);
    if (!rc) {
        const char *v = wd_version();
        MDB_val k = { 10, "created_by" }, d = { strlen(v), (void *)v };
        rc = mdb_put(t, s->meta, &k, &d, 0);
    }
    return rc;
}

static const unsigned DB_BANDS_FLAGS = MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP;

/* Opens the four databases in t (creating them when create). */
static int open_dbs(wd_store *s, MDB_txn *t, int create)
{
    unsigned c = create ? MDB_CREATE : 0;
    int rc = mdb_dbi_open(t, "meta", c, &s->meta);
    if (!rc) rc = mdb_dbi_open(t, "docs", c | MDB_INTEGERKEY, &s->docs);
    if (!rc) rc = mdb_dbi_open(t, "exact", c, &s->exact);
    if (!rc) rc = mdb_dbi_open(t, "bands", c | DB_BANDS_FLAGS, &s->bands);
    if (!rc) rc = mdb_dbi_open(t, "filter", c | MDB_INTEGERKEY, &s->filter);
    return rc;
}

/* Opens the databases and reads or (write mode, new index) writes meta. */
static int setup(wd_store *s, const wd_store_params *expect)
{
    MDB_txn *t;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    if (rc) return fail_mdb(s, rc, "cannot read");
    rc = open_dbs(s, t, 0);
    if (rc == 0) {
        int st = load_meta(s, t);
        if (st) {
            mdb_txn_abort(t);
            return st;
        }
        rc = mdb_txn_commit(t); /* makes the database handles usable */
        return rc ? fail_mdb(s, rc, "cannot read") : WD_OK;
    }
    mdb_txn_abort(t);
    if (rc != MDB_NOTFOUND) return fail_mdb(s, rc, "not a wiredup index");
    if (s->mode == WD_STORE_READ) return fail(s, WD_STORE_E_CORRUPT, "not a wiredup index (no meta)");

    /* A new index (or one another process is creating right now). */
    if (!expect || !expect->bands)
        return fail(s, WD_E_INVALID, "creating an index needs its parameters, bands and rows included");
    rc = mdb_txn_begin(s->env, NULL, 0, &t);
    if (rc) return fail_mdb(s, rc, "cannot write");
    rc = open_dbs(s, t, 1);
    if (rc) {
        mdb_txn_abort(t);
        return fail_mdb(s, rc, "creating the databases");
    }
    uint64_t fmt;
    rc = meta_get(t, s->meta, "format", &fmt);
    if (rc == MDB_NOTFOUND) rc = write_meta(s, t, expect);
    else if (rc == 0) rc = MDB_KEYEXIST; /* created meanwhile: read it below */
    if (rc && rc != MDB_KEYEXIST) {
        mdb_txn_abort(t);
        return fail_mdb(s, rc, "creating the index");
    }
    int st = load_meta(s, t);
    if (st) {
        mdb_txn_abort(t);
        return st;
    }
    rc = mdb_txn_commit(t);
    return rc ? fail_mdb(s, rc, "creating the index") : WD_OK;
}

int wd_store_open(const char *path, wd_store_mode mode, const wd_store_params *expect,
                  const wd_store_options *opts, wd_store **out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (!out) return WD_E_INVALID;
    *out = NULL;
    wd_store *s = calloc(1, sizeof *s);
    if (!s) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return WD_E_NOMEM;
    }
    int st = WD_OK, made_dir = 0;
    s->mode = mode;
    s->map_size = opts && opts->map_size ? opts->map_size : DEF_MAP;
    s->map_max = opts && opts->map_max ? opts->map_max : DEF_MAP_MAX;
    s->no_pregrow = opts && opts->no_pregrow;
    if (s->map_max < s->map_size) s->map_max = s->map_size;
    unsigned readers = opts && opts->max_readers ? opts->max_readers : DEF_READERS;

    if (!path || !*path || (mode != WD_STORE_READ && mode != WD_STORE_WRITE)) {
        st = fail(s, WD_E_INVALID, "invalid arguments");
        goto out;
    }
    if (expect && !params_valid(expect, 0)) {
        st = fail(s, WD_E_INVALID, "invalid index parameters");
        goto out;
    }
    if (!(s->path = strdup(path))) {
        st = fail(s, WD_E_NOMEM, "out of memory");
        goto out;
    }

    /* The directory: exists, or is created in write mode. */
    struct stat sb;
    char data[4096];
    snprintf(data, sizeof data, "%s/data.mdb", path);
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT) {
            st = fail(s, WD_STORE_E_IO, "%s", strerror(errno));
            goto out;
        }
        if (mode == WD_STORE_READ) {
            st = fail(s, WD_STORE_E_IO, "no index here (%s)", strerror(ENOENT));
            goto out;
        }
        if (mkdir(path, 0777) != 0) {
            st = fail(s, WD_STORE_E_IO, "cannot create the index directory: %s", strerror(errno));
            goto out;
        }
        made_dir = 1;
    } else if (!S_ISDIR(sb.st_mode)) {
        st = fail(s, WD_STORE_E_IO, "not a directory (an index is a directory)");
        goto out;
    } else if (stat(data, &sb) != 0) {
        if (mode == WD_STORE_READ) {
            st = fail(s, WD_STORE_E_IO, "no index here (no data.mdb)");
            goto out;
        }
        if (!is_empty_dir(path)) {
            st = fail(s, WD_STORE_E_CORRUPT, "not a wiredup index (a non-empty directory without data.mdb)");
            goto out;
        }
    }

    int rc = mdb_env_create(&s->env);
    if (!rc) rc = mdb_env_set_maxdbs(s->env, 5);
    if (!rc) rc = mdb_env_set_maxreaders(s->env, readers);
    if (!rc && mode == WD_STORE_WRITE) rc = mdb_env_set_mapsize(s->env, s->map_size);
    if (rc) {
        st = fail_mdb(s, rc, "cannot set up LMDB");
        goto out;
    }
    rc = mdb_env_open(s->env, path, MDB_NOTLS | (mode == WD_STORE_READ ? MDB_RDONLY : 0), 0666);
    if (rc) {
        st = fail(s, status_of(rc), "cannot open%s: %s", mode == WD_STORE_WRITE ? " for writing" : "",
                  mdb_strerror(rc));
        mdb_env_close(s->env);
        s->env = NULL;
        goto out;
    }
    int dead;
    mdb_reader_check(s->env, &dead); /* slots of readers that died (kill -9) */
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_size = info.me_mapsize;
    if (s->map_max < s->map_size) s->map_max = s->map_size;
    if (mode == WD_STORE_WRITE && !s->no_pregrow) {
        /* Room for the index to double before the first resize (LMDB
         * shrinks a smaller request to exactly the pages in use). */
        MDB_stat es;
        mdb_env_stat(s->env, &es);
        uint64_t used = (uint64_t)(info.me_last_pgno + 1) * es.ms_psize;
        size_t want = s->map_size;
        while (want < 2 * used && want < s->map_max) want = want > s->map_max / 2 ? s->map_max : want * 2;
        if (want != s->map_size && resize_map(s, want) != WD_OK) {
            if (s->broken) {
                st = WD_E_NOMEM;
                goto out;
            }
            s->err[0] = 0; /* no room for headroom: grow later, or fail then */
        }
    }

    st = setup(s, expect);
    if (st) goto out;
    if (expect && (st = params_mismatch(s, expect))) goto out;
    wd_lsh_init(&s->lsh, s->p.bands, s->p.rows, s->p.band_seed);
    if (!(s->keybuf = malloc(s->p.bands * sizeof *s->keybuf))) {
        st = fail(s, WD_E_NOMEM, "out of memory");
        goto out;
    }
out:
    if (st) {
        if (err && errlen) snprintf(err, errlen, "%s", s->err);
        if (s->env) mdb_env_close(s->env);
        s->env = NULL;
        if (made_dir) {     /* leave nothing behind */
            char lock[4096];
            snprintf(lock, sizeof lock, "%s/lock.mdb", path);
            unlink(data);
            unlink(lock);
            rmdir(path);
        }
        free(s->keybuf);
        free(s->path);
        free(s);
        return st;
    }
    *out = s;
    return WD_OK;
}

void wd_store_close(wd_store *s)
{
    if (!s) return;
    wd_store_abort(s);
    while (s->readers) wd_store_reader_close(s->readers);
    if (s->env) mdb_env_close(s->env);
    wd_buf_free(&s->vals);
    wd_u64s_free(&s->voff);
    wd_u64s_free(&s->pairs);
    free(s->keybuf);
    free(s->path);
    free(s);
}

const wd_store_params *wd_store_params_get(const wd_store *s)
{
    return &s->p;
}

const char *wd_store_errmsg(const wd_store *s)
{
    return s ? s->err : "";
}

uint64_t wd_store_count(const wd_store *s)
{
    return s ? s->count : 0;
}

/* ---- writing ------------------------------------------------------------ */

/*
 * Resizes the map (no transaction of this process may be active, readers
 * reset). LMDB unmaps the old map before it maps the new one and has no way
 * back when that fails, so the address space is probed first (a PROT_NONE
 * reservation of the new size): running out of it (RLIMIT_AS, 32-bit) is
 * then an ordinary error with the handle intact. Only when LMDB fails
 * anyway is the handle marked broken (everything but close refuses).
 * size 0 adopts the size another process gave the map.
 */
static int resize_map(wd_store *s, size_t size)
{
    if (size) {
        void *probe = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (probe == MAP_FAILED)
            return fail(s, WD_E_NOMEM, "cannot grow the map to %zu bytes: %s", size, strerror(errno));
        munmap(probe, size);
    }
    int rc = mdb_env_set_mapsize(s->env, size);
    if (rc) {
        s->broken = 1;
        return fail(s, status_of(rc), "cannot map %zu bytes of the index: %s; close and reopen it",
                    size, mdb_strerror(rc));
    }
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_size = info.me_mapsize;
    return WD_OK;
}

/* Begins the write transaction and reads the counter into *count. */
static int begin_txn(wd_store *s, uint64_t *count)
{
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = mdb_txn_begin(s->env, NULL, 0, &s->txn);
        if (rc != MDB_MAP_RESIZED || attempt == 3) break;
        /* Another process grew the file past our map: adopt its size. */
        readers_reset(s);
        int st = resize_map(s, 0);
        if (!st) st = readers_renew(s);
        if (st) return st;
        if (s->map_max < s->map_size) s->map_max = s->map_size;
    }
    if (rc) {
        s->txn = NULL;
        return fail_mdb(s, rc, "cannot start a write transaction");
    }
    rc = meta_get(s->txn, s->meta, "docs", count);
    if (rc) {
        mdb_txn_abort(s->txn);
        s->txn = NULL;
        return fail_mdb(s, rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc, "reading the document counter");
    }
    return WD_OK;
}

int wd_store_begin(wd_store *s)
{
    if (!s) return WD_E_INVALID;
    if (s->mode != WD_STORE_WRITE) return fail(s, WD_E_STATE, "the index is open read-only");
    if (s->failed || s->broken) return fail(s, WD_E_STATE, "an earlier batch failed; reopen the index");
    if (s->txn) return fail(s, WD_E_STATE, "a batch is already open");
    int st = begin_txn(s, &s->base);
    if (st) return st;
    s->count = s->base;
    s->nbatch = 0;
    s->vals.len = 0;
    s->voff.len = 0;
    s->pairs.len = 0;
    return WD_OK;
}

int wd_store_add(wd_store *s, const wd_store_doc *d, const uint64_t *keys, uint64_t *doc)
{
    if (!s || !d) return WD_E_INVALID;
    if (!s->txn) return fail(s, WD_E_STATE, "no batch is open (wd_store_begin)");
    const unsigned H = s->p.num_hashes, B = s->p.bands;
    if (!d->sig || (d->id_len && !d->id) || d->id_len > UINT32_MAX)
        return fail(s, WD_E_INVALID, "invalid document");
    size_t size = DOC_HDR + (size_t)H * 4 + d->id_len;
    if (wd_buf_reserve(&s->vals, s->vals.len + size) ||
        wd_u64s_reserve(&s->voff, s->voff.len + 1) ||
        (d->shingles && wd_u64s_reserve(&s->pairs, s->pairs.len + 2 * (size_t)B)))
        return fail(s, WD_E_NOMEM, "out of memory");
    uint64_t num = s->base + s->nbatch;
    char *v = s->vals.data + s->vals.len;
    uint32_t sh = d->shingles, il = (uint32_t)d->id_len;
    memcpy(v, d->hash, 16);
    memcpy(v + 16, &sh, 4);
    memcpy(v + 20, &il, 4);
    memcpy(v + DOC_HDR, d->sig, (size_t)H * 4);
    if (il) memcpy(v + DOC_HDR + (size_t)H * 4, d->id, il);
    s->voff.data[s->voff.len++] = s->vals.len;
    s->vals.len += size;
    if (d->shingles) {
        if (!keys) {
            wd_lsh_keys(&s->lsh, d->sig, s->keybuf);
            keys = s->keybuf;
        }
        for (unsigned b = 0; b < B; b++) {
            s->pairs.data[s->pairs.len++] = keys[b];
            s->pairs.data[s->pairs.len++] = num;
        }
    }
    s->nbatch++;
    if (doc) *doc = num;
    return WD_OK;
}

/*
 * Sorts n (key, value) pairs of 64-bit values by key, stably (LSD radix,
 * 11-bit digits; a digit all keys share is skipped). Pairs with equal keys
 * keep their order, so documents stay ascending within a key.
 *
 * from > 0 sorts by the key's bits from..63 only, then finishes with an
 * insertion sort: for a few thousand random keys (a batch lookup), pairs
 * are in place after the two top digits but for the rare ones that share
 * them, so this is a third of the full sort's passes.
 */
static int sort_pairs_from(uint64_t *v, size_t n, int from)
{
    if (n < 2) return WD_OK;
    uint64_t *tmp = malloc(n * 2 * sizeof *tmp);
    if (!tmp) return WD_E_NOMEM;
    uint64_t *src = v, *dst = tmp;
    static const int BITS = 11;
    size_t cnt[1 << 11];
    for (int shift = from; shift < 64; shift += BITS) {
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++) cnt[(src[2 * i] >> shift) & ((1u << BITS) - 1)]++;
        size_t first = (src[0] >> shift) & ((1u << BITS) - 1);
        if (cnt[first] == n) continue;
        size_t sum = 0;
        for (size_t d = 0; d < (1u << BITS); d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t at = cnt[(src[2 * i] >> shift) & ((1u << BITS) - 1)]++;
            dst[2 * at] = src[2 * i];
            dst[2 * at + 1] = src[2 * i + 1];
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * 2 * sizeof *v);
    free(tmp);
    for (size_t i = 1; from && i < n; i++) {
        uint64_t k = v[2 * i], x = v[2 * i + 1];
        size_t j = i;
        for (; j > 0 && v[2 * (j - 1)] > k; j--) {
            v[2 * j] = v[2 * (j - 1)];
            v[2 * j + 1] = v[2 * (j - 1) + 1];
        }
        v[2 * j] = k;
        v[2 * j + 1] = x;
    }
    return WD_OK;
}

static int sort_pairs(uint64_t *v, size_t n)
{
    return sort_pairs_from(v, n, 0);
}

/* (hash, doc) of a batch document, for writing exact in hash order. */
typedef struct exact_ent {
    const uint8_t *hash;
    uint64_t doc;
} exact_ent;

static int cmp_exact(const void *a, const void *b)
{
    const exact_ent *x = a, *y = b;
    int c = memcmp(x->hash, y->hash, 16);
    if (c) return c;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

/* Writes filter chunk i. */
static int filter_put(MDB_txn *t, MDB_dbi dbi, uint64_t i, uint8_t *buf, unsigned flags)
{
    size_t k64 = i;
    MDB_val k = { 8, &k64 }, v = { FILTER_CHUNK, buf };
    return mdb_put(t, dbi, &k, &v, flags);
}

/* Rebuilds the filter with n chunks from every key in bands, in one pass
 * (keys ascend, so chunks are filled in order and appended). */
static int filter_rebuild(wd_store *s, MDB_txn *t, uint64_t n)
{
    int rc = mdb_drop(t, s->filter, 0);
    if (rc) return rc;
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(t, s->bands, &c))) return rc;
    uint8_t buf[FILTER_CHUNK];
    memset(buf, 0, sizeof buf);
    const uint64_t nblocks = n * FILTER_BLOCKS;
    uint64_t cur = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP)) {
        uint64_t key;
        memcpy(&key, k.mv_data, 8);
        uint64_t b = filter_block(key, nblocks);
        for (; cur < b / FILTER_BLOCKS; cur++) {
            if ((rc = filter_put(t, s->filter, cur, buf, MDB_APPEND))) break;
            memset(buf, 0, sizeof buf);
        }
        if (rc) break;
        filter_set(buf + FILTER_PAD + (b % FILTER_BLOCKS) * 64, key);
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND) return rc;
    for (rc = 0; cur < n && !rc; cur++) {
        rc = filter_put(t, s->filter, cur, buf, MDB_APPEND);
        memset(buf, 0, sizeof buf);
    }
    return rc ? rc : meta_put(t, s->meta, "filter_chunks", n);
}

/* Adds the batch's band keys (sorted in s->pairs) to the filter, chunk by
 * chunk; rebuilds it larger when bands has outgrown it. */
static int filter_update(wd_store *s, MDB_txn *t)
{
    uint64_t n = 0;
    int rc = meta_get(t, s->meta, "filter_chunks", &n);
    if (rc && rc != MDB_NOTFOUND) return rc;
    MDB_stat st;
    if ((rc = mdb_stat(t, s->bands, &st))) return rc;
    if (st.ms_entries > filter_capacity(n)) {
        uint64_t bits = 2 * (uint64_t)st.ms_entries * FILTER_BITS_PER_KEY;
        uint64_t per = (uint64_t)FILTER_BLOCKS * 512;
        return filter_rebuild(s, t, (bits + per - 1) / per);
    }
    const uint64_t *p = s->pairs.data;
    const size_t np = s->pairs.len / 2;
    const uint64_t nblocks = n * FILTER_BLOCKS;
    uint8_t buf[FILTER_CHUNK];
    uint64_t cur = UINT64_MAX;
    for (size_t i = 0; i < np; i++) {
        if (i > 0 && p[2 * i] == p[2 * i - 2]) continue;
        uint64_t b = filter_block(p[2 * i], nblocks);
        if (b / FILTER_BLOCKS != cur) {
            if (cur != UINT64_MAX && (rc = filter_put(t, s->filter, cur, buf, 0))) return rc;
            cur = b / FILTER_BLOCKS;
            size_t k64 = cur;
            MDB_val k = { 8, &k64 }, v;
            if ((rc = mdb_get(t, s->filter, &k, &v))) return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
            if (v.mv_size != FILTER_CHUNK) return MDB_CORRUPTED;
            memcpy(buf, v.mv_data, FILTER_CHUNK);
        }
        filter_set(buf + FILTER_PAD + (b % FILTER_BLOCKS) * 64, p[2 * i]);
    }
    if (cur != UINT64_MAX) rc = filter_put(t, s->filter, cur, buf, 0);
    return rc;
}

/* Writes the buffered batch into s->txn. Returns an LMDB code (0 = ok). */
static int write_batch(wd_store *s, exact_ent *ex)
{
    MDB_txn *t = s->txn;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t, s->docs, &c);
    if (rc) return rc;
    for (uint64_t i = 0; i < s->nbatch && !rc; i++) {
        size_t num = s->base + i;
        size_t end = i + 1 < s->nbatch ? s->voff.data[i + 1] : s->vals.len;
        MDB_val k = { 8, &num }, v = { end - s->voff.data[i], s->vals.data + s->voff.data[i] };
        rc = mdb_cursor_put(c, &k, &v, MDB_APPEND);
    }
    mdb_cursor_close(c);
    if (rc) return rc == MDB_KEYEXIST ? MDB_CORRUPTED : rc;

    size_t nex = 0;
    for (uint64_t i = 0; i < s->nbatch; i++) {
        const char *v = s->vals.data + s->voff.data[i];
        uint32_t sh;
        memcpy(&sh, v + 16, 4);
        if (sh) ex[nex++] = (exact_ent){ (const uint8_t *)v, s->base + i };
    }
    qsort(ex, nex, sizeof *ex, cmp_exact);
    for (size_t i = 0; i < nex && !rc; i++) {
        size_t doc = ex[i].doc;
        MDB_val k = { 16, (void *)ex[i].hash }, v = { 8, &doc };
        rc = mdb_put(t, s->exact, &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) rc = 0; /* the first document keeps it */
    }
    if (rc) return rc;

    MDB_stat st;
    rc = mdb_stat(t, s->bands, &st);
    if (rc) return rc;
    const int append = st.ms_entries == 0;
    rc = mdb_cursor_open(t, s->bands, &c);
    if (rc) return rc;
    const uint64_t *p = s->pairs.data;
    size_t np = s->pairs.len / 2;
    for (size_t i = 0; i < np && !rc; i++) {
        int same_key = i > 0 && p[2 * i] == p[2 * i - 2];
        if (same_key && p[2 * i + 1] == p[2 * i - 1]) continue; /* key repeated in a doc */
        size_t key = p[2 * i], doc = p[2 * i + 1];
        MDB_val k = { 8, &key }, v = { 8, &doc };
        unsigned flags = !append ? 0 : same_key ? MDB_APPENDDUP : MDB_APPEND;
        rc = mdb_cursor_put(c, &k, &v, flags);
    }
    mdb_cursor_close(c);
    if (rc) return rc;
    if ((rc = filter_update(s, t))) return rc;
    return meta_put(t, s->meta, "docs", s->base + s->nbatch);
}

/*
 * The message for a failed write. LMDB reports a short write -- what a full
 * disk or a file size limit usually produces -- as EIO, so EIO is explained
 * by looking at the free space and RLIMIT_FSIZE.
 */
static int write_error(wd_store *s, int rc)
{
    const char *why = NULL;
    if (rc == ENOSPC || rc == EDQUOT) {
        why = "the disk is full";
    } else if (rc == EFBIG) {
        why = "the file size limit was reached";
    } else if (rc == EIO) {
        uint64_t need = s->vals.len + s->pairs.len * 16 + (1u << 20);
        struct statvfs vfs;
        struct rlimit rl;
        struct stat fs;
        char data[4096];
        snprintf(data, sizeof data, "%s/data.mdb", s->path);
        if (statvfs(s->path, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < need)
            why = "the disk is full";
        else if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
                 stat(data, &fs) == 0 && (uint64_t)fs.st_size + need > rl.rlim_cur)
            why = "the file size limit was reached";
    }
    if (why) return fail(s, WD_STORE_E_IO, "%s, batch not written: %s", why, mdb_strerror(rc));
    return fail(s, status_of(rc), "batch not written: %s", mdb_strerror(rc));
}

/*
 * Bytes the batch may need beyond the pages in use: copy-on-write can copy
 * every page it touches once (at most all pages in use, at most one per
 * entry written), plus the new data itself. An overestimate costs only
 * address space; an underestimate costs a second write of the batch.
 */
static uint64_t batch_need(const wd_store *s, uint64_t used, unsigned psize)
{
    uint64_t entries = s->pairs.len / 2 + 2 * s->nbatch;
    uint64_t touched = entries * psize < used ? entries * psize : used;
    return used + touched + 2 * (s->vals.len + s->pairs.len * 8) + ((uint64_t)1 << 20);
}

/* Grows the map (doubling) to at least need bytes, with the write
 * transaction closed: aborts it, resizes, begins again. */
static int pregrow(wd_store *s, uint64_t need)
{
    size_t size = s->map_size;
    while (size < need && size < s->map_max) size = size > s->map_max / 2 ? s->map_max : size * 2;
    if (size == s->map_size) return WD_OK; /* at the limit: MAP_FULL will say so */
    mdb_txn_abort(s->txn);
    s->txn = NULL;
    readers_reset(s);
    int st = resize_map(s, size);
    if (st) return st;
    st = readers_renew(s);
    uint64_t count;
    if (!st) st = begin_txn(s, &count);
    if (!st && count != s->base) {
        mdb_txn_abort(s->txn);
        s->txn = NULL;
        st = fail(s, WD_E_STATE, "another process wrote to the index while the map grew; batch not written");
    }
    return st;
}

int wd_store_commit(wd_store *s)
{
    if (!s) return WD_E_INVALID;
    if (!s->txn) return fail(s, WD_E_STATE, "no batch is open (wd_store_begin)");
    MDB_envinfo info;
    MDB_stat es;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &es);
    int st = s->no_pregrow ? WD_OK
           : pregrow(s, batch_need(s, (uint64_t)(info.me_last_pgno + 1) * es.ms_psize, es.ms_psize));
    if (st) {
        wd_store_abort(s);
        s->failed = 1;
        if (!s->broken) {
            readers_reset(s);
            readers_renew(s);
        }
        return st;
    }
    st = sort_pairs(s->pairs.data, s->pairs.len / 2);
    exact_ent *ex = st ? NULL : malloc((s->nbatch ? s->nbatch : 1) * sizeof *ex);
    if (!ex) {
        wd_store_abort(s);
        s->failed = 1;
        return fail(s, WD_E_NOMEM, "out of memory");
    }
    for (;;) {
        int rc = write_batch(s, ex);
        if (rc == 0) rc = mdb_txn_commit(s->txn);
        else mdb_txn_abort(s->txn);
        s->txn = NULL;
        if (rc == 0) break;
        if (rc != MDB_MAP_FULL) {
            st = write_error(s, rc);
            break;
        }
        /* The map is full: double it and write the batch again. */
        if (s->map_size >= s->map_max) {
            st = fail(s, WD_E_LIMIT, "the index reached its map size limit (%zu bytes); batch not written",
                      s->map_max);
            break;
        }
        size_t size = s->map_size > s->map_max / 2 ? s->map_max : s->map_size * 2;
        readers_reset(s);
        if ((st = resize_map(s, size))) break;
        if ((st = readers_renew(s))) break;
        uint64_t count;
        if ((st = begin_txn(s, &count))) break;
        if (count != s->base) {
            mdb_txn_abort(s->txn);
            s->txn = NULL;
            st = fail(s, WD_E_STATE, "another process wrote to the index while the map grew; batch not written");
            break;
        }
    }
    free(ex);
    if (st) {
        batch_clear(s);
        s->failed = 1;
        if (!s->broken) {
            readers_reset(s);
            readers_renew(s);
        }
        return st;
    }
    s->count = s->base + s->nbatch;
    batch_clear(s);
    readers_reset(s);
    return readers_renew(s);
}

/* Forgets the buffered batch; gives back the memory of a large one. */
static void batch_clear(wd_store *s)
{
    s->nbatch = 0;
    s->vals.len = 0;
    s->voff.len = 0;
    s->pairs.len = 0;
    if (s->vals.cap + 8 * (s->voff.cap + s->pairs.cap) > ((size_t)64 << 20)) {
        wd_buf_free(&s->vals);
        wd_u64s_free(&s->voff);
        wd_u64s_free(&s->pairs);
    }
}

void wd_store_abort(wd_store *s)
{
    if (!s) return;
    if (s->txn) mdb_txn_abort(s->txn);
    s->txn = NULL;
    batch_clear(s);
}

/* ---- reading ------------------------------------------------------------ */

/* Parses a docs record into *out (sig not set). 0 or -1 when malformed. */
static int parse_doc(const wd_store *s, const MDB_val *v, uint64_t num, wd_store_doc *out)
{
    const size_t sigb = (size_t)s->p.num_hashes * 4;
    if (v->mv_size < DOC_HDR + sigb) return -1;
    const char *b = v->mv_data;
    uint32_t sh, il;
    memcpy(out->hash, b, 16);
    memcpy(&sh, b + 16, 4);
    memcpy(&il, b + 20, 4);
    if (v->mv_size != DOC_HDR + sigb + il) return -1;
    out->doc = num;
    out->shingles = sh;
    out->id_len = il;
    out->id = b + DOC_HDR + sigb;
    out->sig = NULL;
    return 0;
}

int wd_store_exact(wd_store_reader *r, const uint8_t hash[16], uint64_t *doc)
{
    if (!r || !hash || !doc) return WD_E_INVALID;
    if (r->s->broken) return fail(r->s, WD_E_STATE, "the index map is gone; reopen it");
    MDB_val k = { 16, (void *)hash }, v;
    int rc = mdb_get(r->txn, r->s->exact, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return fail_mdb(r->s, rc, "reading exact");
    if (v.mv_size != 8) return fail(r->s, WD_STORE_E_CORRUPT, "malformed exact entry");
    memcpy(doc, v.mv_data, 8);
    return 1;
}

/* Appends the bucket of key to out, looked up in the B-tree. */
static int bucket_tree(wd_store_reader *r, uint64_t key, wd_u64s *out)
{
    size_t k64 = key;
    MDB_val k = { 8, &k64 }, v;
    int rc = mdb_cursor_get(r->bands, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) return WD_OK;
    if (rc) return fail_mdb(r->s, rc, "reading bands");
    size_t n;
    rc = mdb_cursor_count(r->bands, &n);
    if (rc) return fail_mdb(r->s, rc, "reading bands");
    if (n == 1) {
        if (v.mv_size != 8) return fail(r->s, WD_STORE_E_CORRUPT, "malformed band entry");
        if (wd_u64s_reserve(out, out->len + 1)) return fail(r->s, WD_E_NOMEM, "out of memory");
        memcpy(&out->data[out->len++], v.mv_data, 8);
        return WD_OK;
    }
    if (wd_u64s_reserve(out, out->len + n)) return fail(r->s, WD_E_NOMEM, "out of memory");
    size_t got = 0;
    for (MDB_cursor_op op = MDB_GET_MULTIPLE;; op = MDB_NEXT_MULTIPLE) {
        rc = mdb_cursor_get(r->bands, &k, &v, op);
        if (rc == MDB_NOTFOUND) break;
        if (rc) return fail_mdb(r->s, rc, "reading bands");
        size_t m = v.mv_size / 8;
        if (got + m > n) return fail(r->s, WD_STORE_E_CORRUPT, "malformed band bucket");
        memcpy(out->data + out->len + got, v.mv_data, m * 8);
        got += m;
    }
    out->len += got;
    return WD_OK;
}

/* Appends the bucket of key to out (the filter first). */
static int bucket(wd_store_reader *r, uint64_t key, wd_u64s *out)
{
    return filter_may_have(r->chunk, r->nchunk, key) ? bucket_tree(r, key, out) : WD_OK;
}

int wd_store_candidates(wd_store_reader *r, const uint64_t *keys, unsigned nkeys, wd_u64s *out)
{
    if (!r || (!keys && nkeys) || !out) return WD_E_INVALID;
    if (r->s->broken) return fail(r->s, WD_E_STATE, "the index map is gone; reopen it");
    for (unsigned b = 0; b < nkeys; b++) {
        int st = bucket(r, keys[b], out);
        if (st) return st;
    }
    return WD_OK;
}

int wd_store_candidates_batch(wd_store_reader *r, const uint64_t *keys, size_t n,
                              unsigned nkeys, wd_u64s *off, wd_u64s *docs)
{
    if (!r || (!keys && n && nkeys) || !off || !docs) return WD_E_INVALID;
    if (r->s->broken) return fail(r->s, WD_E_STATE, "the index map is gone; reopen it");
    const size_t total = n * nkeys;
    if (wd_u64s_reserve(off, n + 1) || wd_u64s_reserve(&r->tmp, 2 * total))
        return fail(r->s, WD_E_NOMEM, "out of memory");
    for (size_t i = 0; i < total; i++) {
        r->tmp.data[2 * i] = keys[i];
        r->tmp.data[2 * i + 1] = i / nkeys;
    }
    /* Up to 65,536 keys: by their top 22 bits, which leaves them nearly in
     * order (see sort_pairs_from); more would share those bits too often. */
    if (sort_pairs_from(r->tmp.data, total, total <= 65536 ? 64 - 22 : 0))
        return fail(r->s, WD_E_NOMEM, "out of memory");

    /* The filter first, in a pass of its own: each key's filter block is a
     * cache miss, and most keys stop there. They are requested
     * PREFETCH_AHEAD keys ahead, so the misses overlap, with no B-tree walk
     * in between to stall the loop; the keys that pass stay in order. */
    enum { PREFETCH_AHEAD = 16 };
    size_t pass = total;
    if (r->nchunk) {
        uint64_t *t = r->tmp.data;
        for (size_t i = 0; i < total && i < PREFETCH_AHEAD; i++)
            filter_prefetch(r->chunk, r->nchunk, t[2 * i]);
        pass = 0;
        for (size_t i = 0; i < total; i++) {
            if (i + PREFETCH_AHEAD < total) filter_prefetch(r->chunk, r->nchunk, t[2 * (i + PREFETCH_AHEAD)]);
            if (!filter_may_have(r->chunk, r->nchunk, t[2 * i])) continue;
            t[2 * pass] = t[2 * i];
            t[2 * pass + 1] = t[2 * i + 1];
            pass++;
        }
    }

    /* (document index, candidate) pairs, one B-tree lookup per distinct key. */
    wd_u64s bk = { 0 };
    r->tmp2.len = 0;
    int st = WD_OK;
    for (size_t i = 0; i < pass && !st;) {
        size_t j = i + 1;
        while (j < pass && r->tmp.data[2 * j] == r->tmp.data[2 * i]) j++;
        bk.len = 0;
        st = bucket_tree(r, r->tmp.data[2 * i], &bk);
        if (!st && bk.len) {
            if (wd_u64s_reserve(&r->tmp2, r->tmp2.len + 2 * bk.len * (j - i))) {
                st = fail(r->s, WD_E_NOMEM, "out of memory");
                break;
            }
            for (size_t q = i; q < j; q++)
                for (size_t c = 0; c < bk.len; c++) {
                    r->tmp2.data[r->tmp2.len++] = r->tmp.data[2 * q + 1];
                    r->tmp2.data[r->tmp2.len++] = bk.data[c];
                }
        }
        i = j;
    }
    wd_u64s_free(&bk);
    if (st) return st;

    /* Counting sort by document index into off/docs. */
    size_t m = r->tmp2.len / 2;
    if (wd_u64s_reserve(docs, m ? m : 1)) return fail(r->s, WD_E_NOMEM, "out of memory");
    memset(off->data, 0, (n + 1) * sizeof *off->data);
    for (size_t i = 0; i < m; i++) off->data[r->tmp2.data[2 * i] + 1]++;
    for (size_t i = 0; i < n; i++) off->data[i + 1] += off->data[i];
    off->len = n + 1;
    for (size_t i = 0; i < m; i++) {
        uint64_t d = r->tmp2.data[2 * i];
        docs->data[off->data[d]++] = r->tmp2.data[2 * i + 1];
    }
    for (size_t i = n; i > 0; i--) off->data[i] = off->data[i - 1];
    off->data[0] = 0;
    docs->len = m;
    return WD_OK;
}

int wd_store_get(wd_store_reader *r, uint64_t doc, wd_store_doc *out, uint32_t *sig)
{
    if (!r || !out) return WD_E_INVALID;
    if (r->s->broken) return fail(r->s, WD_E_STATE, "the index map is gone; reopen it");
    if (doc >= r->count) return fail(r->s, WD_E_INVALID, "document %llu is not in the index",
                                     (unsigned long long)doc);
    size_t k64 = doc;
    MDB_val k = { 8, &k64 }, v;
    int rc = mdb_get(r->txn, r->s->docs, &k, &v);
    if (rc) return fail_mdb(r->s, rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc, "reading docs");
    if (parse_doc(r->s, &v, doc, out))
        return fail(r->s, WD_STORE_E_CORRUPT, "document %llu: malformed record", (unsigned long long)doc);
    if (sig) {
        memcpy(sig, (const char *)v.mv_data + DOC_HDR, (size_t)r->s->p.num_hashes * 4);
        out->sig = sig;
    }
    return WD_OK;
}

int wd_store_foreach(wd_store_reader *r, uint64_t from, wd_store_doc_fn fn, void *ctx)
{
    if (!r || !fn) return WD_E_INVALID;
    if (r->s->broken) return fail(r->s, WD_E_STATE, "the index map is gone; reopen it");
    wd_store *s = r->s;
    if (from >= r->count) return WD_OK;
    uint32_t *sig = malloc((size_t)s->p.num_hashes * 4);
    MDB_cursor *c;
    if (!sig) return fail(s, WD_E_NOMEM, "out of memory");
    int rc = mdb_cursor_open(r->txn, s->docs, &c);
    if (rc) {
        free(sig);
        return fail_mdb(s, rc, "reading docs");
    }
    size_t k64 = from;
    MDB_val k = { 8, &k64 }, v;
    int st = WD_OK;
    uint64_t want = from;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); want < r->count;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), want++) {
        if (rc) {
            st = fail_mdb(s, rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc, "reading docs");
            break;
        }
        uint64_t num;
        memcpy(&num, k.mv_data, 8);
        wd_store_doc d;
        if (k.mv_size != 8 || num != want || parse_doc(s, &v, num, &d)) {
            st = fail(s, WD_STORE_E_CORRUPT, "document %llu: missing or malformed",
                      (unsigned long long)want);
            break;
        }
        memcpy(sig, (const char *)v.mv_data + DOC_HDR, (size_t)s->p.num_hashes * 4);
        d.sig = sig;
        if ((st = fn(ctx, &d))) break;
    }
    mdb_cursor_close(c);
    free(sig);
    return st;
}

/* ---- maintenance -------------------------------------------------------- */

int wd_store_stats_get(wd_store *s, wd_store_stats *out)
{
    if (!s || !out) return WD_E_INVALID;
    if (s->broken) return fail(s, WD_E_STATE, "the index map is gone; reopen it");
    memset(out, 0, sizeof *out);
    MDB_txn *t;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    if (rc) return fail_mdb(s, rc, "starting a read snapshot");
    MDB_stat sd, se, sb, sf;
    int st = snapshot_count(s, t, &out->docs);
    if (!st && ((rc = mdb_stat(t, s->docs, &sd)) || (rc = mdb_stat(t, s->exact, &se)) ||
                (rc = mdb_stat(t, s->bands, &sb)) || (rc = mdb_stat(t, s->filter, &sf))))
        st = fail_mdb(s, rc, "reading statistics");
    /* pages holding data: the five databases and the directory of them */
    uint64_t pages = 2; /* the two meta pages */
    MDB_dbi all[6] = { s->meta, s->docs, s->exact, s->bands, s->filter, 0 };
    if (!st && (rc = mdb_dbi_open(t, NULL, 0, &all[5]))) st = fail_mdb(s, rc, "reading statistics");
    for (int i = 0; i < 6 && !st; i++) {
        MDB_stat x;
        if ((rc = mdb_stat(t, all[i], &x))) st = fail_mdb(s, rc, "reading statistics");
        else pages += x.ms_branch_pages + x.ms_leaf_pages + x.ms_overflow_pages;
    }
    mdb_txn_abort(t);
    if (st) return st;
    out->exact = se.ms_entries;
    out->band_entries = sb.ms_entries;
    out->filter_bytes = sf.ms_overflow_pages * (uint64_t)sf.ms_psize;
    MDB_envinfo info;
    MDB_stat env;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &env);
    out->page_size = env.ms_psize;
    out->used_bytes = pages * env.ms_psize;
    out->map_bytes = info.me_mapsize;
    char data[4096];
    snprintf(data, sizeof data, "%s/data.mdb", s->path);
    struct stat fs;
    if (stat(data, &fs) == 0) {
        out->file_bytes = (uint64_t)fs.st_size;
        out->disk_bytes = (uint64_t)fs.st_blocks * 512;
    }
    out->format = s->format;
    out->params = s->p;
    memcpy(out->created_by, s->created_by, sizeof out->created_by);
    return WD_OK;
}

/* State of a verify walk. */
typedef struct verify_ctx {
    wd_store *s;
    MDB_txn *t;
    MDB_cursor *bands;
    const uint8_t **chunk;  /* the filter (nchunk == 0: none) */
    uint64_t nchunk;
    size_t capchunk;
    uint64_t filter_misses; /* keys in bands the filter denies */
    uint64_t faults;        /* problems found */
    uint64_t band_pairs;    /* distinct (key, doc) pairs expected */
    uint64_t exact_owners;  /* documents that exact points to */
    wd_u64s pairs;          /* (key, doc) of the current chunk */
    uint64_t *keys;         /* bands keys of one document */
    char first[256];        /* the first problem */
} verify_ctx;

static void fault(verify_ctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fault(verify_ctx *v, const char *fmt, ...)
{
    if (v->faults++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->first, sizeof v->first, fmt, ap);
        va_end(ap);
    }
}

/* Checks the (key, doc) pairs gathered so far against bands, in key order. */
static int verify_pairs(verify_ctx *v)
{
    size_t n = v->pairs.len / 2;
    if (sort_pairs(v->pairs.data, n)) return WD_E_NOMEM;
    const uint64_t *p = v->pairs.data;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && p[2 * i] == p[2 * i - 2] && p[2 * i + 1] == p[2 * i - 1]) continue;
        v->band_pairs++;
        size_t key = p[2 * i], doc = p[2 * i + 1];
        MDB_val k = { 8, &key }, d = { 8, &doc };
        int rc = mdb_cursor_get(v->bands, &k, &d, MDB_GET_BOTH);
        if (rc == MDB_NOTFOUND)
            fault(v, "document %llu: band key %016llx missing from bands", (unsigned long long)doc,
                  (unsigned long long)key);
        else if (rc)
            return fail_mdb(v->s, rc, "reading bands");
        if (!filter_may_have(v->chunk, v->nchunk, key) && v->filter_misses++ == 0)
            fault(v, "document %llu: band key %016llx missing from the filter",
                  (unsigned long long)doc, (unsigned long long)key);
    }
    v->pairs.len = 0;
    return WD_OK;
}

static int verify_doc(void *ctx, const wd_store_doc *d)
{
    verify_ctx *v = ctx;
    wd_store *s = v->s;
    if (d->shingles == 0) return 0;
    /* exact: the hash is there, pointing to this document or an earlier
     * document with the same hash. */
    MDB_val k = { 16, (void *)d->hash }, val;
    int rc = mdb_get(v->t, s->exact, &k, &val);
    if (rc == MDB_NOTFOUND) {
        fault(v, "document %llu: its hash is missing from exact", (unsigned long long)d->doc);
    } else if (rc) {
        return fail_mdb(s, rc, "reading exact");
    } else if (val.mv_size != 8) {
        fault(v, "document %llu: malformed exact entry", (unsigned long long)d->doc);
    } else {
        uint64_t first;
        memcpy(&first, val.mv_data, 8);
        if (first == d->doc) {
            v->exact_owners++;
        } else if (first > d->doc) {
            fault(v, "document %llu: exact points to the later document %llu",
                  (unsigned long long)d->doc, (unsigned long long)first);
        } else {
            size_t f64 = first;
            MDB_val fk = { 8, &f64 }, fv;
            wd_store_doc fd;
            rc = mdb_get(v->t, s->docs, &fk, &fv);
            if (rc && rc != MDB_NOTFOUND) return fail_mdb(s, rc, "reading docs");
            if (rc || parse_doc(s, &fv, first, &fd) || memcmp(fd.hash, d->hash, 16))
                fault(v, "document %llu: exact points to document %llu, which has another hash",
                      (unsigned long long)d->doc, (unsigned long long)first);
        }
    }
    wd_lsh_keys(&s->lsh, d->sig, v->keys);
    if (wd_u64s_reserve(&v->pairs, v->pairs.len + 2 * (size_t)s->p.bands)) return WD_E_NOMEM;
    for (unsigned b = 0; b < s->p.bands; b++) {
        v->pairs.data[v->pairs.len++] = v->keys[b];
        v->pairs.data[v->pairs.len++] = d->doc;
    }
    if (v->pairs.len / 2 >= (size_t)VERIFY_CHUNK * s->p.bands) return verify_pairs(v);
    return 0;
}

int wd_store_verify(wd_store *s)
{
    if (!s) return WD_E_INVALID;
    if (s->broken) return fail(s, WD_E_STATE, "the index map is gone; reopen it");
    if (s->txn) return fail(s, WD_E_STATE, "a batch is open");
    wd_store_reader *r;
    int st = wd_store_reader_open(s, &r);
    if (st) return st;
    verify_ctx v = { .s = s, .t = r->txn };
    MDB_stat sd, se, sb;
    int rc;
    if ((rc = mdb_stat(r->txn, s->docs, &sd)) || (rc = mdb_stat(r->txn, s->exact, &se)) ||
        (rc = mdb_stat(r->txn, s->bands, &sb))) {
        st = fail_mdb(s, rc, "reading statistics");
        goto out;
    }
    if (sd.ms_entries != r->count)
        fault(&v, "the counter says %llu documents, docs holds %llu", (unsigned long long)r->count,
              (unsigned long long)sd.ms_entries);
    /* the filter: as many well-formed chunks as meta says, room for bands */
    uint64_t fchunks = 0;
    MDB_stat sf;
    if ((rc = meta_get(r->txn, s->meta, "filter_chunks", &fchunks)) ||
        (rc = mdb_stat(r->txn, s->filter, &sf))) {
        st = fail_mdb(s, rc, "reading the filter");
        goto out;
    }
    if ((st = load_filter(s, r->txn, &v.chunk, &v.nchunk, &v.capchunk))) goto out;
    if (v.nchunk != fchunks || sf.ms_entries != fchunks)
        fault(&v, "the filter has %llu usable chunks of %llu, meta says %llu",
              (unsigned long long)v.nchunk, (unsigned long long)sf.ms_entries,
              (unsigned long long)fchunks);
    else if (sb.ms_entries > filter_capacity(fchunks))
        fault(&v, "the filter is sized for %llu band entries, bands holds %llu",
              (unsigned long long)filter_capacity(fchunks), (unsigned long long)sb.ms_entries);
    if (!(v.keys = malloc(s->p.bands * sizeof *v.keys)) ||
        mdb_cursor_open(r->txn, s->bands, &v.bands)) {
        st = fail(s, WD_E_NOMEM, "out of memory");
        goto out;
    }
    /* Documents 0..count-1 in order (foreach faults on a gap or a bad record). */
    st = wd_store_foreach(r, 0, verify_doc, &v);
    if (st == WD_STORE_E_CORRUPT) {
        fault(&v, "%s", s->err);
        st = WD_OK;
    } else if (st == WD_E_NOMEM) {
        st = fail(s, WD_E_NOMEM, "out of memory");
    }
    if (!st && v.pairs.len) st = verify_pairs(&v);
    if (st) goto out;
    /* Nothing besides the expected entries: each expected pair was found,
     * so equal totals mean no stray ones. */
    if (sb.ms_entries != v.band_pairs)
        fault(&v, "bands holds %llu entries, the documents account for %llu",
              (unsigned long long)sb.ms_entries, (unsigned long long)v.band_pairs);
    if (se.ms_entries != v.exact_owners)
        fault(&v, "exact holds %llu entries, %llu documents own one", (unsigned long long)se.ms_entries,
              (unsigned long long)v.exact_owners);
    if (v.faults)
        st = fail(s, WD_STORE_E_CORRUPT, "%s (%llu fault%s)", v.first,
                  (unsigned long long)v.faults, v.faults == 1 ? "" : "s");
out:
    if (v.bands) mdb_cursor_close(v.bands);
    free(v.chunk);
    wd_store_reader_close(r);
    free(v.keys);
    wd_u64s_free(&v.pairs);
    return st;
}

/* ---- export ------------------------------------------------------------- */

typedef struct export_ctx {
    wd_store_export_fmt fmt;
    wd_store_write_fn write;
    void *ctx;
    wd_buf line;
} export_ctx;

static int put_bytes(wd_buf *b, const char *s, size_t n)
{
    if (wd_buf_reserve(b, b->len + n)) return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

static int put_id(wd_buf *b, const char *id, size_t n, wd_store_export_fmt fmt)
{
    const unsigned char *s = (const unsigned char *)id;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        char esc[8];
        const char *out = NULL;
        size_t len = 0;
        if (fmt == WD_STORE_EXPORT_TSV) {
            if (c == '\t') out = "\\t";
            else if (c == '\n') out = "\\n";
            else if (c == '\r') out = "\\r";
            else if (c == '\\') out = "\\\\";
            if (out) len = 2;
            else out = (const char *)s + i, len = 1;
            i++;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            out = esc, len = 2, i++;
        } else if (c == '\t' || c == '\n' || c == '\r') {
            esc[0] = '\\';
            esc[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
            out = esc, len = 2, i++;
        } else if (c < 0x20) {
            len = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
            out = esc, i++;
        } else {
            len = utf8_len(s + i, n - i);
            if (len) out = (const char *)s + i, i += len;
            else out = "\xef\xbf\xbd", len = 3, i++; /* U+FFFD */
        }
        if (put_bytes(b, out, len)) return -1;
    }
    return 0;
}

static int export_doc(void *ctx, const wd_store_doc *d)
{
    export_ctx *x = ctx;
    char hex[33], num[24];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", d->hash[i]);
    int nl = snprintf(num, sizeof num, "%u", d->shingles);
    wd_buf *b = &x->line;
    b->len = 0;
    int bad;
    if (x->fmt == WD_STORE_EXPORT_TSV) {
        bad = put_id(b, d->id, d->id_len, x->fmt) || put_bytes(b, "\t", 1) ||
              put_bytes(b, num, (size_t)nl) || put_bytes(b, "\t", 1) || put_bytes(b, hex, 32) ||
              put_bytes(b, "\n", 1);
    } else {
        bad = put_bytes(b, "{\"id\":\"", 7) || put_id(b, d->id, d->id_len, x->fmt) ||
              put_bytes(b, "\",\"shingles\":", 13) || put_bytes(b, num, (size_t)nl) ||
              put_bytes(b, ",\"hash\":\"", 9) || put_bytes(b, hex, 32) || put_bytes(b, "\"}\n", 3);
    }
    if (bad) return WD_E_NOMEM;
    return x->write(x->ctx, b->data, b->len);
}

int wd_store_export(wd_store *s, wd_store_export_fmt fmt, wd_store_write_fn write, void *ctx)
{
    if (!s || !write || (fmt != WD_STORE_EXPORT_TSV && fmt != WD_STORE_EXPORT_JSONL))
        return WD_E_INVALID;
    wd_store_reader *r;
    int st = wd_store_reader_open(s, &r);
    if (st) return st;
    export_ctx x = { fmt, write, ctx, { 0 } };
    st = wd_store_foreach(r, 0, export_doc, &x);
    if (st == WD_E_NOMEM) fail(s, st, "out of memory");
    wd_buf_free(&x.line);
    wd_store_reader_close(r);
    return st;
}
