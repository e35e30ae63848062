/*
 * store.h - the persistent index: documents, exact hashes and LSH band
 * buckets in LMDB, so a later run finds duplicates among archived documents
 * without reading them again.
 *
 * On disk an index is a directory (LMDB's default layout) holding
 *     data.mdb   the B-trees
 *     lock.mdb   reader table and writer mutex (LMDB's; safe to delete only
 *                when no process has the index open)
 * with five named databases:
 *
 *   meta   name -> value: "format" (WD_STORE_FORMAT), "shingle",
 *          "shingle_size", "num_hashes", "seed", "sketch", "bands", "rows",
 *          "band_seed", "sketch_probe", "band_probe" (the first band key of a
 *          fixed signature: catches a change of the band-key function),
 *          "docs" (committed documents), "filter_chunks": 8-byte
 *          little-endian integers; "created_by" (the wiredup version, text).
 *   docs   doc number (size_t, MDB_INTEGERKEY; 0, 1, 2, ... without gaps)
 *          -> hash[16] | shingles u32 | id_len u32 | sig u32[num_hashes] | id
 *          (native byte order, as LMDB itself).
 *   exact  XXH3-128 of the normalized text (16 bytes) -> first doc (size_t).
 *          Empty documents (0 shingles) have no entry.
 *   bands  band key (size_t, MDB_INTEGERKEY) -> doc numbers (size_t,
 *          MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP). The keys are those
 *          of wd_lsh_keys() with the index's band seed; empty documents have
 *          none. A key repeated across a document's bands is stored once.
 *   filter chunk number (size_t, MDB_INTEGERKEY) -> 4080 bytes: a blocked
 *          Bloom filter of the keys in bands (~1 % false positives), one
 *          overflow page per chunk; meta "filter_chunks" says how many.
 *          Lookups test it first: most band keys of a new document are in
 *          no bucket, and a filter test costs one cache line where a B-tree
 *          miss costs four pages.
 *
 * A directory rather than one file (MDB_NOSUBDIR) because the lock file
 * then lives with the data under one name the user gives, removable with
 * `rm -r`, and a read-only directory is recognised before anything is
 * written.
 *
 * Writing: one batch is one LMDB write transaction. wd_store_begin() takes
 * LMDB's writer lock (a second writer, in any process, waits there) and
 * reads the document counter; wd_store_add() only buffers; wd_store_commit()
 * writes the buffered batch (docs appended, exact entries and band entries
 * in key order, the filter chunks they touch) and commits. A batch is
 * therefore all or nothing: a crash, a kill or a failed commit leaves the
 * index exactly as the last committed batch left it. The map is grown
 * (doubling) before a batch that may not fit, and should that estimate fall
 * short (MDB_MAP_FULL) doubled again and the batch written again, up to
 * wd_store_options.map_max (WD_E_LIMIT beyond); a full disk, a quota or a
 * read-only file system fail the commit with the index unchanged. After a
 * failed commit the handle refuses further batches (WD_E_STATE); reads
 * still work.
 *
 * What a batch costs: band keys are random, so a batch dirties about one
 * B-tree leaf per band entry until it has touched them all. Into an index
 * of 1,000,000 documents (60 bands) a batch of 4,096 documents takes 3-4 s
 * (~0.8 ms a document), one of 65,536 7-10 s (~0.1 ms a document): commit
 * in large batches (tens of thousands of documents, or per input) rather
 * than per sketching batch. Such an index takes ~2.4 GB written in one
 * batch, ~4 GB of live pages once random inserts have split its leaves.
 *
 * Querying goes straight to the B-trees through readers instead of loading
 * the index into memory: for 100,000 new documents against 1,000,000
 * archived ones, loading costs ~15 s of CPU (15 us per archived document),
 * querying the store ~15-17 us of CPU per new document (the whole
 * wd_index_add, sketching included) when the lookups are batched over 256
 * documents (wd_store_candidates_batch), against ~8-9 us for an index
 * already in memory (PERFORMANCE.md); lookups run on any number of
 * threads, one reader each. tests/perf/store_bench.c measures the store
 * alone.
 *
 * Reading: a wd_store_reader is a snapshot (an LMDB read transaction) with
 * its own cursors; each thread that queries uses its own reader, and
 * readers may be used on different threads at once. Readers see the last
 * batch committed when they were opened or last refreshed: wd_store_commit()
 * and wd_store_refresh() move every reader of the handle to the newest
 * batch (including batches committed by other processes). Keep snapshots
 * short-lived: while a snapshot is held, LMDB cannot reuse the pages later
 * batches free, and the file grows.
 *
 * Threads: the wd_store handle (open, begin/add/commit/abort, refresh,
 * reader open/close, stats, verify, export, close) is used by one thread at
 * a time; begin and commit must run on the same thread (the writer lock is
 * a mutex). A process must not open the same index twice at once (an LMDB
 * rule): open it once, in write mode if it will write, and query through
 * readers. After fork() only the parent may use an open handle.
 *
 * Errors: functions return WD_OK, a negative WD_E_* or WD_STORE_E_* code,
 * and leave a one-line message without the path (the caller adds it) in
 * wd_store_errmsg(); wd_store_open() writes it to err instead.
 */
#ifndef WD_INDEX_STORE_H
#define WD_INDEX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "wiredup.h"
#include "../common/buf.h"

#define WD_STORE_FORMAT 1

/* Status codes of the store beyond wd_status (WD_E_INVALID, WD_E_NOMEM,
 * WD_E_STATE, WD_E_LIMIT are used as documented there). */
#define WD_STORE_E_IO       (-20) /* the system refused: missing index, permissions,
                                     read-only file system, disk full, I/O error */
#define WD_STORE_E_MISMATCH (-21) /* built with other parameters, or another format */
#define WD_STORE_E_CORRUPT  (-22) /* not an index, damaged, or verify found a fault */

typedef struct wd_store wd_store;
typedef struct wd_store_reader wd_store_reader;

typedef enum wd_store_mode {
    WD_STORE_READ = 0,   /* query only; the index must exist */
    WD_STORE_WRITE = 1   /* query and add; created when absent */
} wd_store_mode;

/* What must be equal for an index to be reused: everything that changes a
 * stored hash, signature or band key. threshold and containment are not
 * here: they only decide which candidates are accepted. */
typedef struct wd_store_params {
    unsigned shingle;       /* wd_shingle_kind */
    unsigned shingle_size;  /* tokens or characters per shingle */
    unsigned num_hashes;    /* signature length */
    unsigned sketch;        /* wd_sketch_kind */
    unsigned bands;         /* LSH bands; 0 with rows == 0 in an expectation:
                               take the index's (then read them back with
                               wd_store_params_get()) */
    unsigned rows;          /* values per band */
    uint64_t seed;          /* wd_params.seed: shingle hashes, permutations, exact hash */
    uint64_t band_seed;     /* seed of the band-key hash (wd_lsh.seed) */
    uint64_t sketch_probe;  /* fingerprint of how this build turns text into an exact
                               hash and a signature (e.g. XXH3 of both for a fixed
                               text), so an index built by a wiredup that normalizes,
                               shingles or hashes differently is refused rather than
                               silently matching nothing; checked when both the
                               index and the caller have one (0 = none) */
} wd_store_params;

/* The store parameters of resolved engine parameters (bands and rows set)
 * and the band seed the index gives its wd_lsh; sketch_probe is left 0 for
 * the caller to fill. */
void wd_store_params_from(const wd_params *p, uint64_t band_seed, wd_store_params *out /* OUT */);

/* Tuning; zero fields take the defaults. */
typedef struct wd_store_options {
    size_t map_size;        /* initial map size in bytes (default 1 GiB, at least
                               the data already there); only address space */
    size_t map_max;         /* largest map size doubling may reach (default 1 TiB);
                               a batch that does not fit fails with WD_E_LIMIT */
    unsigned max_readers;   /* reader slots, all processes together (default 510);
                               fixed by whoever creates the lock file */
    int no_pregrow;         /* tests: skip growing the map ahead of a batch from
                               its estimated size, so only MDB_MAP_FULL grows it */
} wd_store_options;

/*
 * Opens the index in directory path. WRITE creates the directory and an
 * empty index when absent (expect must then be non-NULL: it becomes the
 * index's parameters); it refuses a non-empty directory that holds no
 * index. READ requires an existing index. When expect is non-NULL it must
 * match the stored parameters, else WD_STORE_E_MISMATCH with a message such
 * as "index was built with shingle word:5, asked word:3". opts may be NULL.
 * On failure *out is NULL and err (may be NULL) holds the message.
 */
int wd_store_open(const char *path, wd_store_mode mode, const wd_store_params *expect,
                  const wd_store_options *opts, wd_store **out /* OUT */,
                  char *err, size_t errlen);

/* Closes the index (an uncommitted batch is discarded, readers are closed).
 * NULL is allowed. */
void wd_store_close(wd_store *s);

/* The stored parameters. */
const wd_store_params *wd_store_params_get(const wd_store *s);

/* The message of the last failure ("" when none). */
const char *wd_store_errmsg(const wd_store *s);

/* Committed documents, as of this handle's last open, commit or refresh. */
uint64_t wd_store_count(const wd_store *s);

/* ---- writing -------------------------------------------------------------- */

/* One document as stored. For wd_store_add() the caller fills it; for
 * wd_store_get()/wd_store_foreach() the store does (see there). */
typedef struct wd_store_doc {
    uint64_t doc;           /* number (set by the store) */
    uint8_t hash[16];       /* XXH3-128 of the normalized text */
    unsigned shingles;      /* distinct shingles; 0 = empty document */
    const uint32_t *sig;    /* num_hashes values */
    const char *id;         /* id bytes (may be NULL when id_len == 0) */
    size_t id_len;          /* at most UINT32_MAX */
} wd_store_doc;

/* Starts a batch: waits for the writer lock and reads the counter.
 * WD_E_STATE when a batch is open, the handle is read-only or failed. */
int wd_store_begin(wd_store *s);

/*
 * Buffers one document of the batch with its band keys (bands values from
 * wd_lsh_keys(); NULL: computed here from the signature). *doc (may be NULL)
 * receives its number: wd_store_count() at begin plus its place in the
 * batch. An empty document (shingles == 0) is stored without exact or band
 * entries. A document whose hash is already in `exact` is stored, and
 * `exact` keeps pointing to the first one.
 */
int wd_store_add(wd_store *s, const wd_store_doc *d, const uint64_t *keys,
                 uint64_t *doc /* OUT, or NULL */);

/* Writes and commits the batch, then refreshes every reader. On failure
 * nothing of the batch is kept and the handle refuses further batches. */
int wd_store_commit(wd_store *s);

/* Discards the batch and releases the writer lock. */
void wd_store_abort(wd_store *s);

/* Moves every reader of s to the newest committed batch (also other
 * processes' batches) and updates wd_store_count(). Not while a reader is
 * in use on another thread. */
int wd_store_refresh(wd_store *s);

/* ---- reading -------------------------------------------------------------- */

/* A snapshot for one thread, positioned at the newest committed batch. */
int wd_store_reader_open(wd_store *s, wd_store_reader **out /* OUT */);
void wd_store_reader_close(wd_store_reader *r);

/* Documents in the reader's snapshot. */
uint64_t wd_store_reader_count(const wd_store_reader *r);

/* The first document with this exact hash: 1 and *doc, 0 when absent, or
 * a negative code. */
int wd_store_exact(wd_store_reader *r, const uint8_t hash[16], uint64_t *doc /* OUT */);

/* Appends to out the documents in the buckets of keys[0..nkeys) (unsorted,
 * may repeat: a document sharing several bands appears once per band). */
int wd_store_candidates(wd_store_reader *r, const uint64_t *keys, unsigned nkeys,
                        wd_u64s *out /* OUT, appended */);

/*
 * Candidates for n documents at once: keys holds nkeys band keys per
 * document. The keys are looked up in sorted order, which is about twice as
 * fast as one document at a time on a large index. On return
 * docs->data[off->data[i] .. off->data[i + 1]) are the candidates of
 * document i (unsorted, may repeat); both vectors are overwritten.
 */
int wd_store_candidates_batch(wd_store_reader *r, const uint64_t *keys, size_t n,
                              unsigned nkeys, wd_u64s *off /* OUT, n + 1 */,
                              wd_u64s *docs /* OUT */);

/*
 * Document doc of the snapshot into *out: hash, shingles and id (pointing
 * into the map, valid until the reader is refreshed or closed); the
 * signature is copied to sig (num_hashes values; may be NULL) and out->sig
 * points to it. WD_E_INVALID when doc is not in the snapshot.
 */
int wd_store_get(wd_store_reader *r, uint64_t doc, wd_store_doc *out /* OUT */,
                 uint32_t *sig /* OUT, or NULL */);

/* Calls fn for documents from, from + 1, ... of the snapshot in order
 * (out->sig is an aligned copy, out->id points into the map; both valid
 * during the call). A non-zero return of fn stops the walk and is returned. */
typedef int (*wd_store_doc_fn)(void *ctx, const wd_store_doc *d);
int wd_store_foreach(wd_store_reader *r, uint64_t from, wd_store_doc_fn fn, void *ctx);

/* ---- maintenance ---------------------------------------------------------- */

typedef struct wd_store_stats {
    uint64_t docs;          /* committed documents */
    uint64_t empty_docs;    /* of which have no shingle */
    uint64_t exact;         /* entries in exact (distinct hashes) */
    uint64_t band_entries;  /* (key, doc) pairs in bands */
    uint64_t filter_bytes;  /* size of the band filter */
    uint64_t band_keys;     /* distinct band keys */
    uint64_t file_bytes;    /* size of data.mdb */
    uint64_t disk_bytes;    /* blocks data.mdb occupies on disk */
    uint64_t used_bytes;    /* pages holding data; the rest of the file is free
                               pages that later batches reuse (the file never shrinks) */
    uint64_t map_bytes;     /* current map size */
    unsigned page_size;     /* LMDB page size */
    unsigned format;        /* WD_STORE_FORMAT it was written with */
    wd_store_params params; /* stored parameters */
    char created_by[32];    /* wiredup version that created it */
} wd_store_stats;

int wd_store_stats_get(wd_store *s, wd_store_stats *out /* OUT */);

/*
 * Checks the newest snapshot: documents numbered 0..docs-1 without gaps
 * and with well-formed records; the "docs" counter equals the number of
 * records; every non-empty document's band keys, recomputed from its
 * signature, are in `bands` with its number, and `bands` holds nothing else;
 * every `exact` entry points to a document with that hash, every non-empty
 * document's hash is there, pointing to it or to an earlier copy; the
 * filter has its chunks, room for the entries and admits every band key.
 * WD_OK, or WD_STORE_E_CORRUPT with the first fault and the number of
 * faults in the message. Looks up every band entry: ~5 s per 100,000
 * documents in an index of 1,000,000 (60 bands), memory ~16 MB.
 */
int wd_store_verify(wd_store *s);

typedef enum wd_store_export_fmt {
    WD_STORE_EXPORT_TSV = 0,   /* id<TAB>shingles<TAB>hash, id escaped as \t \n \r \\ */
    WD_STORE_EXPORT_JSONL = 1  /* {"id":"...","shingles":N,"hash":"hex"} */
} wd_store_export_fmt;

/* Writes every document in number order, one line each, through write
 * (return non-zero to stop; that value is returned). The hash is 32
 * lower-case hex digits. Invalid UTF-8 in an id becomes U+FFFD in JSONL. */
typedef int (*wd_store_write_fn)(void *ctx, const char *buf, size_t len);
int wd_store_export(wd_store *s, wd_store_export_fmt fmt, wd_store_write_fn write, void *ctx);

#endif
