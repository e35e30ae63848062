/*
 * batch.h - turning a batch of raw records into document texts and ids,
 * in parallel for JSONL, for the commands that feed the index (dedup, uniq),
 * and writing a record back as a JSON object with fields added.
 */
#ifndef WD_CLI_BATCH_H
#define WD_CLI_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../io/json.h"
#include "../io/output.h"
#include "../io/records.h"

/* One thread's parser and arena: a cache line each, since the arena length
 * changes with every record and must not share a line with another
 * thread's. */
typedef struct cli_slot {
    _Alignas(64) wd_json *json;
    wd_buf arena;             /* decoded texts, ids and keys of this batch */
} cli_slot;

/* Per-thread parsers and arenas, reused across batches. */
typedef struct cli_parser {
    unsigned nthreads;
    cli_slot *slot;           /* one per thread */
    wd_json_fields *f;        /* per record of the batch: offsets in its arena */
    uint16_t *who;            /* per record: the thread that parsed it */
    size_t cap;               /* records f and who can hold */
    const char *text_field;   /* JSONL field with the text */
    const char *id_field;     /* JSONL field with the id (NULL: none) */
} cli_parser;

/* A raw record. */
typedef struct cli_raw {
    const char *data;
    size_t len;
    size_t readable;          /* bytes readable from data (>= len) */
} cli_raw;

/* What a record parsed to; valid until the next batch. */
typedef struct cli_parsed {
    const char *text;
    size_t text_len;
    const char *id;           /* NULL: no id field (use the record number) */
    size_t id_len;
    const char *key;          /* the key field (see cli_parser_init), or NULL */
    size_t key_len;
    int ok;                   /* 0: err says why */
    char err[160];
} cli_parsed;

/* key_field: a further JSONL field to extract (--keep), or NULL. 0 or -1. */
int cli_parser_init(cli_parser *p, unsigned nthreads, const char *text_field,
                    const char *id_field, const char *key_field);
void cli_parser_free(cli_parser *p);

/* Parses n records of format fmt (LINES and NUL: the record is the text).
 * 0, or -1 when out of memory (nothing parsed). */
int cli_parse_batch(cli_parser *p, wd_format fmt, const cli_raw *in, size_t n,
                    cli_parsed *out);

/*
 * Starts writing a record as a JSON object that more fields will follow:
 * a JSON record up to its closing brace, with a comma unless it is empty;
 * any other record as {"id":ID,"text":TEXT, (tmp is scratch).
 */
void cli_write_object_open(wd_out *o, wd_buf *tmp, const char *raw, size_t len, int is_json,
                           const char *id, size_t id_len);

#endif
