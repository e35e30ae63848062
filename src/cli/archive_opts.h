/*
 * archive_opts.h - the persistent index options (--index, --index-mode,
 * --index-batch) shared by dedup and uniq: one table, one parser, one way
 * of opening the archive and naming its documents, so both commands spell,
 * check and report them alike.
 */
#ifndef WD_CLI_ARCHIVE_OPTS_H
#define WD_CLI_ARCHIVE_OPTS_H

#include "wiredup.h"
#include "options.h"
#include "../common/buf.h"

/* Option ids of cli_archive_tab: below CORPUS_OPT_BASE, above command ids. */
#define CLI_ARCHIVE_BASE 800

extern const cli_opt cli_archive_tab[];

typedef struct archive_opts {
    const char *path;         /* --index: the archive directory, or NULL */
    int write;                /* --index-mode=write: add the kept documents */
    unsigned long batch;      /* --index-batch: documents per transaction */
} archive_opts;

void archive_opts_default(archive_opts *o);

/* Applies one option of cli_archive_tab. 0, or WD_EXIT_USAGE after a
 * message naming cmd. */
int archive_opt(const char *cmd, archive_opts *o, int id, const char *val);

/* Refuses what an archive cannot hold (template shingles, a window) with
 * a usage message, before anything is opened or created. 0 or
 * WD_EXIT_USAGE. */
int archive_check(const char *cmd, const archive_opts *o, const wd_params *p);

/* Opens the archive and takes its LSH shape into p, so an index created
 * from p computes the band keys stored there. 0, or an exit code after a
 * message (2 other parameters, 3 missing or damaged, 4 otherwise). */
int archive_open(const archive_opts *o, wd_params *p, wd_archive **out /* OUT */);

/* Attaches a to the fresh index ix. 0, or an exit code after a message. */
int archive_attach(const char *cmd, wd_index *ix, wd_archive *a);

/* "archive:ID" for archived document doc, built in name (valid until its
 * next use); *len its length. */
const char *archive_name(wd_archive *a, uint64_t doc, wd_buf *name, int *len /* OUT */);

/* The message for a failed begin/put/commit (st): exit code 4. */
int archive_add_failed(const archive_opts *o, wd_archive *a, int st);

#endif
