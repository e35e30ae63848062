/*
 * corpus.h - a labeled corpus held whole in memory, for `eval` and `tune`.
 *
 * The inputs are read as `dedup` reads them (one document per line, JSONL
 * with --text-field/--id-field, NUL-separated records; the same format
 * detection), every text and id is copied into an arena, and the inputs are
 * closed again. Document i is the i-th record over all inputs, the number
 * the index gives it.
 *
 * Ids are kept raw (as decoded from JSON) and compared with LABELS in their
 * TSV form (tab, newline, CR and backslash written \t \n \r \\), the form
 * `dedup --clusters` writes and `score` reads, so a label file that scores a
 * `dedup` run also labels the corpus. An id-less record's id is its record
 * number, counting from 1 across all inputs, as in `dedup`.
 *
 * Unlike `dedup`, a bad record is always an error (`wiredup: error:
 * FILE:LINE: what`, exit 3): a scored corpus must be the labeled one.
 */
#ifndef WD_CLI_CORPUS_H
#define WD_CLI_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "wiredup.h"
#include "options.h"
#include "../common/buf.h"
#include "../io/records.h"

/* Option ids of corpus_tab: below CLI_ENGINE_BASE, above command ids. */
#define CORPUS_OPT_BASE 900

/* --format, -0, --text-field, --id-field: the input options of dedup. */
extern const cli_opt corpus_tab[];

typedef struct corpus_opts {
    wd_format fmt;            /* asked format (AUTO by default) */
    const char *text_field;   /* JSONL field with the text */
    const char *id_field;     /* JSONL field with the id */
} corpus_opts;

/* Defaults: auto format, fields "text" and "id". */
void corpus_opts_default(corpus_opts *o);

/* Applies one corpus_tab option. 0, or WD_EXIT_USAGE after a message naming cmd. */
int corpus_opt(const char *cmd, corpus_opts *o, int id, const char *val);

/* Where a document came from and where its bytes are. */
typedef struct corpus_doc {
    size_t text_off;   /* text at corpus.text.data + text_off */
    size_t text_len;
    size_t id_off;     /* raw id at corpus.ids.data + id_off */
    size_t id_len;
    uint64_t line;     /* record number within its input, from 1 */
    int input;         /* index into corpus.names */
} corpus_doc;

typedef struct corpus {
    corpus_doc *docs;         /* n documents in input order */
    size_t n, cap;
    wd_buf text;              /* all texts */
    wd_buf ids;               /* all raw ids */
    const char **names;       /* input names for messages ("<stdin>" for "-") */
    int ninputs;
    uint64_t bytes;           /* input bytes read */
} corpus;

/* Loads files[0..nfiles) ("-" = stdin). An exit code: WD_EXIT_OK, or
 * WD_EXIT_INPUT / WD_EXIT_INTERNAL after an error message. cmd names the
 * command in messages. */
int corpus_load(corpus *c, const char *cmd, const corpus_opts *o, char **files, int nfiles);

void corpus_free(corpus *c);

static inline const char *corpus_text(const corpus *c, size_t i, size_t *len)
{
    *len = c->docs[i].text_len;
    return c->text.data ? c->text.data + c->docs[i].text_off : "";
}

static inline const char *corpus_id(const corpus *c, size_t i, size_t *len)
{
    *len = c->docs[i].id_len;
    return c->ids.data ? c->ids.data + c->docs[i].id_off : "";
}

/* Appends the TSV form of s[0..n) to out (not NUL-terminated). 0 or -1. */
int corpus_tsv_escape(const char *s, size_t n, wd_buf *out);

/*
 * Reads LABELS (`id<TAB>cluster[<TAB>...]` lines; blank lines skipped, a CR
 * before the newline dropped, the format `score` reads) into gold[0..n): equal
 * numbers for documents of one cluster, numbered from 0 in order of first
 * appearance in the corpus. *nclusters receives the number of clusters.
 * Errors (exit 3): a malformed line, a duplicate id, an id that is not in the
 * corpus, a document of the corpus without a label, two documents of the
 * corpus with the same id. gold has c->n entries.
 */
int corpus_labels(const corpus *c, const char *cmd, const char *path,
                  uint64_t *gold /* OUT */, uint64_t *nclusters /* OUT */);

/*
 * One clustering run of the whole corpus under *p, as `dedup` does it
 * (batches of 4096 documents in corpus order), keeping what eval and tune
 * look at afterwards.
 */
typedef struct corpus_run {
    wd_index *ix;        /* every document added: wd_index_similarity() works */
    uint64_t *cluster;   /* wd_index_clusters() */
    uint64_t *rep;       /* the first document with the same normalized text (an
                            exact copy's original), else the document itself */
    wd_pair *pairs;      /* verified pairs, in the order found */
    size_t npairs, cap_pairs;
    double seconds;      /* wd_index_create() to wd_index_clusters(), wall clock */
} corpus_run;

struct progress;

/* An exit code; messages name cmd. pg (may be NULL) is advanced by the
 * documents added. fn (may be NULL) receives the verified pairs instead of
 * r->pairs; when it returns a positive value the run stops and -1 is
 * returned, without a message. A failed run is freed. */
int corpus_run_index(const corpus *c, const char *cmd, const wd_params *p, struct progress *pg,
                     wd_pair_fn fn, void *ctx, corpus_run *r /* OUT */);

void corpus_run_free(corpus_run *r);

/*
 * Would verification accept a pair with `agree` equal signature values of
 * p->num_hashes and containment estimate c? The rule of README "How it
 * works", step 4 (the library's own is internal): estimated Jaccard
 * agree/H at the threshold, or containment at --containment backed by at
 * least 4 agreeing values.
 */
int corpus_would_verify(const wd_params *p, unsigned agree, double c);

/* The library's containment estimate from the Jaccard estimate j and the
 * distinct shingle counts: |A n B| = j (|A| + |B|) / (1 + j) over the smaller. */
double corpus_containment_est(double j, unsigned na, unsigned nb);

/* The first `chars` characters of document i's text on one line: white
 * space runs and control characters become one space, invalid UTF-8 bytes
 * '?'; "..." is appended when cut. Appended to out, NUL-terminated. */
int corpus_snippet(const corpus *c, size_t i, size_t chars, wd_buf *out);

#endif
