/*
 * batch.h - turning a batch of raw records into document texts and ids,
 * in parallel for JSONL, for the commands that feed the index (uniq, ...).
 */
#ifndef WD_CLI_BATCH_H
#define WD_CLI_BATCH_H

#include <stddef.h>

#include "../common/buf.h"
#include "../io/json.h"
#include "../io/records.h"

/* Per-thread JSON parsers and arenas, reused across batches. */
typedef struct cli_parser {
    unsigned nthreads;
    wd_json **json;           /* one parser per thread */
    wd_buf *arena;            /* one arena per thread: decoded texts and ids */
    const char *text_field;   /* JSONL field with the text */
    const char *id_field;     /* JSONL field with the id (NULL: none) */
} cli_parser;

/* A raw record. */
typedef struct cli_raw {
    const char *data;
    size_t len;
    size_t readable;          /* bytes readable from data (>= len) */
} cli_raw;

/* What a record parsed to; text and id stay valid until the next batch. */
typedef struct cli_parsed {
    const char *text;
    size_t text_len;
    const char *id;           /* NULL: no id field (use the record number) */
    size_t id_len;
    int ok;                   /* 0: err says why */
    char err[160];
} cli_parsed;

int cli_parser_init(cli_parser *p, unsigned nthreads, const char *text_field,
                    const char *id_field);
void cli_parser_free(cli_parser *p);

/* Parses n records of format fmt (LINES and NUL: the record is the text). */
void cli_parse_batch(cli_parser *p, wd_format fmt, const cli_raw *in, size_t n,
                     cli_parsed *out);

#endif
