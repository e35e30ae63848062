/*
 * wiredup.h - find exact and near-duplicate text documents.
 *
 * The one public header of libwiredup. The pipeline it exposes:
 *
 *   text --normalize--> tokens --shingle--> hashes --MinHash--> signature
 *        --LSH bands--> candidates --verify--> pairs --union-find--> clusters
 *
 * Conventions
 *   - Every function that can fail returns a wd_status: WD_OK (0) or a
 *     negative WD_E_* code; wd_strerror() turns it into text.
 *   - The library never prints, never exits and never aborts.
 *   - Handles are opaque. Whoever creates a handle frees it.
 *   - Strings are UTF-8 with an explicit length; they need not be
 *     NUL-terminated. Invalid UTF-8 is never an error: see "Text rules".
 *   - Thread safety: functions taking a const handle, and wd_compare(), may be
 *     called from several threads at once. A non-const handle must be used by
 *     one thread at a time; the library may use OpenMP threads inside a call
 *     (wd_params.threads).
 *
 * Text rules (what the tokenizer does with any byte string)
 *   - UTF-8 is decoded; every byte that does not start a valid, shortest-form
 *     sequence (stray continuation bytes, overlong forms, surrogates, code
 *     points above U+10FFFF, truncated sequences) counts as one separator,
 *     like a space. NUL bytes are separators too. No input is rejected.
 *   - Text is mapped by Unicode NFKC with case folding (ASCII takes a fast
 *     path with the same result). Default-ignorable characters (soft hyphen,
 *     zero-width space, BOM, variation selectors) are removed, not turned
 *     into separators: "co\u00ADoperate" is "cooperate".
 *   - Letters, digits and combining marks form words; everything else
 *     (punctuation, symbols, quotes, dashes, white space, NBSP) separates
 *     them, so quote and dash variants never change a shingle.
 *   - Han, Hiragana, Katakana, Hangul and Thai characters are each a token of
 *     their own (with any marks that follow), so a Chinese, Japanese, Korean
 *     or Thai article gets meaningful character shingles; so are the
 *     ideographic marks and numerals U+3005-3007, 3021-3029, 3038-303B. A
 *     combining mark with no token before it starts a token.
 *   - Before that, four repairs undo what layout and markup tools do to
 *     copies of a story (each looks at the raw bytes only):
 *     a run of four or more ASCII digits with no ASCII letter next to it is
 *     read in groups of three from the right, "1250000" as "1 250 000",
 *     which is how "1,250,000" reads (years too: "2 024"; '.' stays a
 *     separator, the decimal point of English text);
 *     a letter, '-', blanks, a newline, blanks and a lowercase letter join
 *     into one word, "tele-\n vision" is "television" (a hyphen inside a
 *     line, or before a capital, still separates);
 *     the HTML entities &amp; &quot; &lt; &gt; &apos; &nbsp; are separators
 *     and &#N; / &#xH; become their character (a scalar value other than
 *     NUL; otherwise they stay text);
 *     the tags <p> </p> <br> <br/> <br /> are separators (lowercase only:
 *     wire text writes tickers such as "<P>" in angle brackets).
 *   - A document with no token at all is "empty": it has no shingles, is
 *     never a near duplicate, and empty documents are not exact duplicates
 *     of each other.
 */
#ifndef WIREDUP_H
#define WIREDUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WD_VERSION_MAJOR 0
#define WD_VERSION_MINOR 1
#define WD_VERSION_PATCH 0
#define WD_VERSION_STRING "0.1.0"

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *wd_version(void);

/*
 * The instruction set the SIMD kernels use: "scalar", "avx2" or "avx512".
 * Chosen once from the CPU; the environment variable WIREDUP_ISA forces one.
 * Every choice gives bit-identical results; only speed differs.
 */
const char *wd_isa(void);

/* Forces "scalar", "avx2", "avx512" or "auto" for the whole process (not
 * while an index is in use on another thread). WD_E_INVALID for an unknown
 * name, WD_E_UNSUPPORTED when the CPU lacks it (the choice is unchanged). */
int wd_isa_select(const char *name);

/* ---------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------- */
typedef enum wd_status {
    WD_OK = 0,
    WD_E_INVALID = -1,     /* an argument or parameter is out of range */
    WD_E_NOMEM = -2,       /* memory allocation failed */
    WD_E_STATE = -3,       /* the handle failed earlier and refuses work */
    WD_E_LIMIT = -4,       /* a size limit was reached (documents, shingles) */
    WD_E_UNSUPPORTED = -5, /* feature not available in this build or CPU */
    WD_E_IO = -20,         /* archive: the system refused (missing index, permissions,
                              read-only file system, disk full, I/O error) */
    WD_E_MISMATCH = -21,   /* archive: built with other parameters or another format */
    WD_E_CORRUPT = -22     /* archive: not an index, damaged, or verify found a fault */
} wd_status;

/* A static, human-readable description of a status code. Never NULL. */
const char *wd_strerror(int status);

/* ---------------------------------------------------------------------------
 * Parameters
 * ------------------------------------------------------------------------- */
typedef enum wd_shingle_kind {
    WD_SHINGLE_WORD = 0, /* k consecutive tokens (CJK/Thai characters are tokens) */
    WD_SHINGLE_CHAR = 1  /* k consecutive characters of the normalized text */
} wd_shingle_kind;

typedef enum wd_sketch_kind {
    WD_SKETCH_MINHASH = 0,     /* classic MinHash: num_hashes permutations */
    WD_SKETCH_OPH = 1,         /* one-permutation hashing, optimal densification */
    WD_SKETCH_SIMHASH = 2      /* 64-bit SimHash, Hamming-distance index */
} wd_sketch_kind;

typedef enum wd_cluster_mode {
    WD_CLUSTER_COMPONENTS = 0, /* union-find over all verified pairs */
    WD_CLUSTER_LEADER = 1      /* join the best earlier cluster leader, or lead a new one */
} wd_cluster_mode;

#define WD_PARAMS_VERSION 1

#define WD_MAX_SHINGLE 64     /* largest shingle_size */
#define WD_MAX_HASHES 1024    /* largest num_hashes */

typedef struct wd_params {
    unsigned version;          /* WD_PARAMS_VERSION; set by wd_params_default() */
    wd_shingle_kind shingle;   /* word or character shingles */
    unsigned shingle_size;     /* k: tokens (word) or characters (char) per shingle, 1..WD_MAX_SHINGLE */
    unsigned num_hashes;       /* MinHash signature length, 1..WD_MAX_HASHES */
    uint64_t seed;             /* seeds shingle hashing and the MinHash permutations */
    double threshold;          /* estimated Jaccard at or above which a pair is a duplicate, (0,1] */
    double containment;        /* estimated containment of the shorter document in the
                                  longer at or above which a pair is a duplicate; 0 = off */
    unsigned bands;            /* LSH bands; 0 with rows == 0: chosen from threshold */
    unsigned rows;             /* LSH rows per band; bands * rows <= num_hashes */
    unsigned threads;          /* worker threads; 0 = all cores */
    wd_sketch_kind sketch;     /* how documents are sketched and indexed */
    wd_cluster_mode cluster;   /* how verified pairs become clusters */
    unsigned max_distance;     /* SimHash: largest Hamming distance of a duplicate, 0..63 */
    int mask;                  /* 1: remove wire boilerplate (datelines, bylines, agency
                                  credits, copyright and "Reporting by" trailers) before
                                  normalizing; 0: use the text as it is */
    const char *mask_rules;    /* a rules file added to the built-in rules, or NULL;
                                  borrowed: must outlive the index (see wd_mask_check) */
    uint64_t window;           /* leader clustering only: a document is compared with
                                  the last `window` cluster leaders only, and older
                                  leaders leave the index; 0 = all (see "Windows") */
    uint64_t window_seconds;   /* leader clustering only: leaders older than the newest
                                  wd_doc.time seen minus this many seconds leave the
                                  index; 0 = off (see "Windows") */
    double template_share;     /* [0, 1]; 0 = off. A shingle found in at least this share
                                  of the documents (and in at least WD_TEMPLATE_MIN_DOCS)
                                  is template text (market reports, earnings tables,
                                  weather) and is left out of the signatures; see
                                  "Template shingles" below */
} wd_params;

/*
 * Template shingles (template_share > 0)
 *   Templated reports share a skeleton of fixed sentences and differ in
 *   names and numbers; their fixed shingles alone can make two different
 *   reports look like copies, and union-find then chains a whole series
 *   into one cluster. With template_share > 0 the index counts in how many
 *   documents each shingle occurs and drops the common ones before
 *   sketching, so only a document's own text is compared:
 *   - Batch: wd_index_learn() over all documents first. Counts are exact;
 *     common = in at least max(WD_TEMPLATE_MIN_DOCS, ceil(share * learned))
 *     documents. Learned counts never change afterwards.
 *   - Streaming (wd_index_add without wd_index_learn): a count-min sketch
 *     of fixed size (WD_TEMPLATE_SKETCH_BYTES per thread plus one) counts
 *     documents as they are added. Counts are frozen per epoch so the result
 *     does not depend on batches or threads: document d is filtered with
 *     the counts of documents [0, e), e the last epoch start <= d. Epochs
 *     start at 0, 16, 32, 64, ..., 4096 and then every WD_TEMPLATE_EPOCH
 *     documents, so nothing is filtered in the first 16 documents. The
 *     sketch (4 rows of 2^17 counters) never undercounts; it overcounts a
 *     shingle by more than e/2^17 of all shingle occurrences counted with
 *     probability under 2% (for 300 shingles a document, 0.6% of the
 *     documents: small next to a share of a few percent).
 *   - A document whose shingles are all common keeps all of them, so a pure
 *     template still matches its copies. Exact duplicates are found from the
 *     whole normalized text either way.
 *   - wd_match.shingles and the containment estimate count the shingles
 *     kept. wd_compare() has no corpus and ignores template_share.
 */
#define WD_TEMPLATE_MIN_DOCS 5
#define WD_TEMPLATE_EPOCH 4096
#define WD_TEMPLATE_SKETCH_BYTES (2u << 20)

/* Fills *p with the defaults, tuned for syndicated news (see README). */
void wd_params_default(wd_params *p);

/* WD_OK when *p is usable, else WD_E_INVALID. */
int wd_params_check(const wd_params *p);

/*
 * Checks a masking rules file: one rule a line, "KIND REGEX" with KIND head
 * (first lines), tail (last lines, and all after a match), line (a whole
 * matching line anywhere) or inline (the match anywhere); POSIX extended
 * regular expressions; '#' starts a comment. WD_OK, or WD_E_INVALID with a
 * message "FILE:LINE: what" in err.
 */
int wd_mask_check(const char *path, char *err, size_t errlen);

/*
 * LSH shape for a threshold: the bands x rows (bands * rows <= num_hashes)
 * that minimize the weighted sum 0.05 FP + 0.95 FN of the false-positive
 * area (probability of becoming a candidate below the threshold) and the
 * false-negative area (probability of being missed above it) under the
 * S-curve 1 - (1 - s^rows)^bands. False negatives weigh more because every
 * candidate is verified: a false positive only costs a comparison.
 */
int wd_lsh_shape(double threshold, unsigned num_hashes,
                 unsigned *bands /* OUT */, unsigned *rows /* OUT */);

/* Probability that a pair of Jaccard similarity s becomes an LSH candidate. */
double wd_lsh_probability(double s, unsigned bands, unsigned rows);

/* ---------------------------------------------------------------------------
 * Comparing two documents
 * ------------------------------------------------------------------------- */
typedef struct wd_similarity {
    size_t shingles_a;         /* distinct shingles of a */
    size_t shingles_b;         /* distinct shingles of b */
    size_t shared;             /* distinct shingles in both */
    double jaccard;            /* exact |A n B| / |A u B| */
    double containment;        /* exact |A n B| / min(|A|, |B|) */
    double jaccard_est;        /* estimated from the MinHash signatures */
    double containment_est;    /* estimated from signatures and shingle counts */
    int exact;                 /* 1 when the normalized texts are identical */
    int duplicate;             /* 1 when the pair passes verification under these
                                  parameters (exact, or the estimates reach threshold or
                                  containment); an index pairs it if LSH makes it a candidate */
} wd_similarity;

/* Exact and estimated similarity of two documents under *p. Thread-safe. */
int wd_compare(const wd_params *p, const char *a, size_t a_len,
               const char *b, size_t b_len, wd_similarity *out /* OUT */);

/* Called for each shared passage; a non-zero return stops the walk. */
typedef int (*wd_passage_fn)(void *ctx, const char *text, size_t len);

/*
 * The passages two documents share: calls fn, in a's order, with each
 * maximal run of a's normalized text (see "Text rules") whose tokens are all
 * covered by k-token shingles that also occur in b (k = shingle_size for word
 * shingles, 3 for character shingles). Returns WD_OK, WD_E_NOMEM, or the
 * callback's non-zero value.
 */
int wd_shared_passages(const wd_params *p, const char *a, size_t a_len,
                       const char *b, size_t b_len, wd_passage_fn fn, void *ctx);

/* ---------------------------------------------------------------------------
 * The index: documents in, matches and clusters out
 *
 * Documents are numbered 0, 1, 2, ... in the order they are added. Adding is
 * sequential in that order, so results never depend on the batch size or the
 * number of threads: document i is compared against every earlier document
 * j < i that shares an LSH bucket with it, and each candidate is verified
 * from the two signatures before it counts.
 * ------------------------------------------------------------------------- */
typedef struct wd_index wd_index;

/* One document to add. */
typedef struct wd_doc {
    const char *text;          /* UTF-8 (invalid bytes allowed); may be NULL when len == 0 */
    size_t len;                /* bytes in text */
    int64_t time;              /* seconds (Unix time, say); read only when
                                  params.window_seconds > 0 */
} wd_doc;

typedef enum wd_match_kind {
    WD_MATCH_NONE = 0,         /* no earlier duplicate */
    WD_MATCH_EXACT = 1,        /* same normalized text as an earlier document */
    WD_MATCH_NEAR = 2          /* verified MinHash similarity */
} wd_match_kind;

/* What adding one document found. */
typedef struct wd_match {
    uint64_t best;             /* earlier document it matches best (if kind != NONE) */
    float jaccard;             /* estimated Jaccard with best (1 for exact) */
    float containment;         /* estimated containment with best (1 for exact) */
    wd_match_kind kind;        /* how it matched */
    unsigned shingles;         /* distinct shingles of this document that were sketched
                                  (template shingles left out, see template_share) */
    unsigned empty;            /* 1 when the document has no token */
    /* With an archive attached (wd_index_attach_archive): the archived
     * document it matches best, found with the same rules as in memory
     * (exact hash first; else the verified band candidate with the highest
     * estimated Jaccard, the earliest among equals). */
    wd_match_kind archived_kind; /* WD_MATCH_NONE: no archived duplicate */
    uint64_t archived_doc;     /* its number in the archive */
    float archived_jaccard;    /* estimated Jaccard with it (1 for exact) */
    float archived_containment;/* estimated containment (1 for exact) */
} wd_match;

/* One verified pair, reported in the order pairs are found. */
typedef struct wd_pair {
    uint64_t a;                /* earlier document */
    uint64_t b;                /* later document (the one being added) */
    float jaccard;             /* estimated Jaccard */
    float containment;         /* estimated containment of the shorter in the longer */
    wd_match_kind kind;        /* WD_MATCH_EXACT or WD_MATCH_NEAR */
} wd_pair;

/* Called for each verified pair, in a deterministic order, on the calling
 * thread. A non-zero return stops wd_index_add() with that value. */
typedef int (*wd_pair_fn)(void *ctx, const wd_pair *pair);

/* Creates an empty index. *p is copied and checked (WD_E_INVALID). */
int wd_index_create(const wd_params *p, wd_index **out /* OUT */);

/* Frees the index; NULL is allowed. */
void wd_index_free(wd_index *ix);

/* The parameters in effect, with bands and rows resolved. */
const wd_params *wd_index_params(const wd_index *ix);

/* Registers a callback for verified pairs (NULL to stop). */
void wd_index_on_pair(wd_index *ix, wd_pair_fn fn, void *ctx);

/*
 * Template counting, batch mode (see "Template shingles"): counts the
 * shingles of n documents, on params.threads threads (the counts do not
 * depend on how many). Call it for every batch of the collection before the
 * first wd_index_add(); the collection added afterwards need not be the
 * same documents. Does nothing when template_share is 0. WD_OK, WD_E_NOMEM
 * (latched), WD_E_INVALID after the first wd_index_add(), WD_E_STATE after
 * a failure.
 */
int wd_index_learn(wd_index *ix, const wd_doc *docs, size_t n);

/*
 * Adds n documents, numbered from wd_index_count(). Sketching runs on
 * params.threads threads; matching runs in input order. matches[i] (may be
 * NULL) receives what document i of the batch matched. After a failure the
 * index refuses further adds with WD_E_STATE.
 */
int wd_index_add(wd_index *ix, const wd_doc *docs, size_t n,
                 wd_match *matches /* OUT, n entries, or NULL */);

/* Number of documents added so far. */
uint64_t wd_index_count(const wd_index *ix);

/*
 * A hint that the index will hold about docs documents in all: its tables
 * are sized for them at once instead of growing (and copying) as documents
 * come. Never changes results; adding more than docs still works. On a
 * windowed index at most `window` documents are reserved (none for a time
 * window alone).
 * WD_OK, WD_E_NOMEM, or WD_E_STATE after a failure.
 */
int wd_index_reserve(wd_index *ix, uint64_t docs);

/*
 * The cluster of every document: cluster[i] is the number of the earliest
 * document connected to i through verified pairs (connected components), so
 * cluster[i] == i marks the first document of its cluster. WD_E_STATE on a
 * windowed index (it keeps nothing about documents that left the window).
 */
int wd_index_clusters(const wd_index *ix, uint64_t *cluster /* OUT, wd_index_count() entries */);

/* Estimated Jaccard and containment of two added documents a and b, from
 * their signatures: 0 and 0 when either is empty, else 1 and 1 when a == b.
 * WD_E_STATE on a windowed index. */
int wd_index_similarity(const wd_index *ix, uint64_t a, uint64_t b,
                        double *jaccard /* OUT */, double *containment /* OUT */);

/*
 * Windows: bounded memory for endless streams (params.window,
 * params.window_seconds; leader clustering only, WD_E_INVALID otherwise).
 *
 * A windowed index holds only recent cluster leaders, and a document is
 * compared with those alone: an exact or near copy of a leader that has left
 * the window is a new leader. Everything the index keeps per document (its
 * entries in the exact set and the LSH buckets or Hamming tables, its
 * signature) goes when it leaves, and documents that join a cluster leave
 * nothing behind, so memory follows the window, not the stream. Exact copies
 * are found among the leaders only (a copy of a member matches the member's
 * leader, as a near duplicate unless the texts are equal).
 *
 * Leaders leave in the order they were added (first in, first out), at
 * document granularity in input order, so results never depend on the
 * batch size or the thread count. Before each document is matched:
 *   - newest = the largest wd_doc.time seen so far, this document's included;
 *   - while the oldest leader in the window has time < newest -
 *     window_seconds, it leaves (a late document, older than that, is still
 *     matched against the window, and when it leads it stays until the
 *     leaders added before it have left);
 * and after a new leader is added, the oldest leaves while more than
 * `window` are held. With both limits set, either one evicts.
 *
 * wd_index_clusters() and wd_index_similarity() refuse a windowed index
 * (WD_E_STATE): callers take what they need from the wd_match of each add.
 */

/* The earliest document that a later document can still match: the oldest
 * leader in the window, or wd_index_count() when the window is empty; 0 for
 * an index without a window. Everything before it can be forgotten by the
 * caller (uniq drops its records for kept documents below it). */
uint64_t wd_index_window_start(const wd_index *ix);

/* ---------------------------------------------------------------------------
 * The archive: a persistent index on disk (LMDB)
 *
 * An archive is a directory holding the exact hashes, signatures, LSH band
 * buckets and ids of documents added by earlier runs, and the parameters
 * they were built with. Attached to an index, it makes wd_index_add() look
 * every new document up among the archived ones (wd_match.archived_*).
 * Documents are added to it in batches: begin, put..., commit; a batch is
 * one transaction, so a crash leaves the archive as the last commit left
 * it. Readers and one writer, in any processes, may use an archive at once;
 * a reader sees the archive as of its open (or the handle's last commit).
 * SimHash indexes cannot be archived (WD_E_UNSUPPORTED).
 * ------------------------------------------------------------------------- */
typedef struct wd_archive wd_archive;

typedef enum wd_archive_mode {
    WD_ARCHIVE_READ = 0,       /* query only; the archive must exist; never modified */
    WD_ARCHIVE_WRITE = 1       /* query and add; created when absent */
} wd_archive_mode;

/*
 * Opens the archive in directory path. *p gives the parameters it must have
 * been built with (shingling, signature size, sketch, seed, and bands/rows
 * when set; bands == rows == 0 takes the archive's, or for a new archive
 * those wd_index_create would choose). A mismatch is WD_E_MISMATCH with a
 * message naming both settings ("index was built with shingle word:5, asked
 * word:3"). p may be NULL in read mode: any archive is accepted (for
 * stats, verify, export). On failure *out is NULL and err (may be NULL)
 * holds a one-line message without the path.
 */
int wd_archive_open(const char *path, wd_archive_mode mode, const wd_params *p,
                    wd_archive **out /* OUT */, char *err, size_t errlen);

/* Closes it; an open batch is discarded. NULL is allowed. */
void wd_archive_close(wd_archive *a);

/* The message of the last failure ("" when none). */
const char *wd_archive_errmsg(const wd_archive *a);

/* Copies the archive's LSH shape into p->bands and p->rows, so an index
 * created from p computes the same band keys. */
void wd_archive_shape(const wd_archive *a, wd_params *p /* IN/OUT */);

/* Documents committed, as of the open or the last commit. */
uint64_t wd_archive_count(const wd_archive *a);

/*
 * Attaches a to ix: from now on wd_index_add() looks every document up in
 * a (in the parallel sketching phase, one reader per thread) and keeps its
 * exact hash for wd_archive_put(). In leader mode an archived match counts
 * as an earlier leader, preferred over an in-memory one of equal
 * similarity: the document then joins no in-memory cluster. Only the
 * documents committed at attach are matched: later commits (of documents
 * of ix through this handle, or of another process) are not, so answers do
 * not depend on when batches are committed. ix must be
 * empty and built with the archive's parameters (WD_E_MISMATCH), without
 * template_share or a window (WD_E_INVALID, see wd_archive_errmsg); a must
 * outlive ix and serve only it.
 */
int wd_index_attach_archive(wd_index *ix, wd_archive *a);

/* The id of archived document doc (pointing into the map: valid until the
 * next commit or close) and its distinct shingles (shingles may be NULL).
 * Needs an attached index. WD_E_INVALID when there is no such document. */
int wd_archive_id(wd_archive *a, uint64_t doc, const char **id /* OUT */, size_t *len /* OUT */,
                  unsigned *shingles /* OUT, or NULL */);

/* Estimated Jaccard and containment between document d of the attached
 * index and archived document doc (0 and 0 when d is empty). */
int wd_archive_similarity(wd_archive *a, const wd_index *ix, uint64_t d, uint64_t doc,
                          double *jaccard /* OUT */, double *containment /* OUT */);

/* Adding: begin a batch (waits for any other writer), put documents of the
 * attached index by number with their ids, commit. Empty documents are
 * refused (WD_E_INVALID): they are never duplicates, so a rerun would store
 * them twice. On a failed commit nothing of the batch is kept and the
 * handle refuses further batches (WD_E_STATE). */
int wd_archive_begin(wd_archive *a);
int wd_archive_put(wd_archive *a, const wd_index *ix, uint64_t d, const char *id, size_t id_len);
int wd_archive_commit(wd_archive *a);
void wd_archive_abort(wd_archive *a);

typedef struct wd_archive_stats {
    uint64_t docs;             /* committed documents */
    uint64_t exact;            /* distinct exact hashes */
    uint64_t band_entries;     /* (band key, document) pairs */
    uint64_t band_keys;        /* distinct band keys */
    uint64_t file_bytes;       /* size of data.mdb */
    uint64_t used_bytes;       /* pages in use (the file never shrinks) */
    unsigned format;           /* on-disk format version */
    wd_params params;          /* stored parameters (threshold etc. left default) */
    char created_by[32];       /* wiredup version that created it */
} wd_archive_stats;

int wd_archive_stats_get(wd_archive *a, wd_archive_stats *out /* OUT */);

/* Checks every record, exact entry, band entry and filter bit of the
 * newest snapshot: WD_OK, or WD_E_CORRUPT with the first fault and the
 * number of faults in wd_archive_errmsg(). */
int wd_archive_verify(wd_archive *a);

/* Writes every document in number order, one line each through write:
 * jsonl 0: id<TAB>shingles<TAB>hash (id escaped \t \n \r \\), 1:
 * {"id":...,"shingles":N,"hash":"hex"}. A non-zero return of write stops
 * the export and is returned. */
typedef int (*wd_write_fn)(void *ctx, const char *buf, size_t len);
int wd_archive_export(wd_archive *a, int jsonl, wd_write_fn write, void *ctx);

/* ---------------------------------------------------------------------------
 * Scoring a clustering against ground truth
 * ------------------------------------------------------------------------- */
typedef struct wd_scores {
    double precision;          /* TP / predicted pairs (1 when none predicted) */
    double recall;             /* TP / gold pairs (1 when no gold pair) */
    double f1;                 /* harmonic mean of precision and recall */
    double ari;                /* Adjusted Rand Index (Hubert & Arabie 1985) */
    double true_pairs;         /* TP: pairs together in both */
    double gold_pairs;         /* pairs together in gold */
    double predicted_pairs;    /* pairs together in the prediction */
} wd_scores;

/* Pairwise scores of predicted labels against gold labels for n documents.
 * Labels are arbitrary integers; equal labels mean the same cluster. */
int wd_score(const uint64_t *gold, const uint64_t *pred, size_t n,
             wd_scores *out /* OUT */);

#ifdef __cplusplus
}
#endif
#endif /* WIREDUP_H */
