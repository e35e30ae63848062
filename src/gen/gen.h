/*
 * gen.h - the syndication corpus generator behind `wiredup gen`.
 *
 * From base stories (JSONL or one per line) it writes a labeled corpus of
 * wire stories and their syndicated copies: DIR/docs.jsonl
 * ({"id","outlet","date","title","text"}), DIR/labels.tsv (id<TAB>cluster)
 * and DIR/stats.txt. The same configuration and seed give the same bytes,
 * whatever the thread count. See src/gen/run.c for the model.
 */
#ifndef WD_GEN_GEN_H
#define WD_GEN_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Edit types; each has a rate: the probability that an outlet copy gets it. */
typedef enum gen_edit {
    GEN_HEADLINE = 0, /* headline rewrite: case, tickers, words, prefix, suffix */
    GEN_DATELINE,     /* dateline in the outlet's form, or removed */
    GEN_BYLINE,       /* a byline paragraph */
    GEN_TRAILER,      /* reporting/editing credits, copyright, related coverage */
    GEN_TRUNCATE,     /* keep the first 40-90 % of paragraphs (or sentences) */
    GEN_DROP,         /* drop one middle sentence */
    GEN_COPYEDIT,     /* the outlet's word substitutions (pct -> percent, ...) */
    GEN_UNICODE,      /* curly quotes, em dashes, no-break spaces */
    GEN_OCR,          /* character confusions at ocr_chars of the characters */
    GEN_WRAP,         /* the outlet's layout: width and paragraph breaks */
    /* Held-out edit types (heldout.c): absent from syndication-dev, so an
     * evaluation with them measures what tuning on dev could not see. Off
     * by default; --edits=heldout turns them on. */
    GEN_REORDER,      /* two body paragraphs after the lead swap places */
    GEN_RESPLIT,      /* sentences merged with ", and" / split at "; " and ", and " */
    GEN_LOCAL,        /* a local paragraph inserted in the middle */
    GEN_NUMBERS,      /* 1,000 <-> 1000, "5 pct" -> "5%", "3 dlrs" -> "$3" */
    GEN_CORRECTION,   /* re-issued as a correction: a figure changed, a note */
    GEN_HTML,         /* HTML remnants: <p> tags, entities, a stray <br> */
    GEN_HYPHEN,       /* words broken with a hyphen at line ends */
    GEN_TEMPLATE,     /* story-level: a new story on an earlier one's table template */
    GEN_FOLLOWUP,     /* story-level: a new story quoting an earlier one's paragraph */
    GEN_NEDITS
} gen_edit;

/* Edit types below this are the dev set's ("all" sets only them). */
#define GEN_NDEV GEN_REORDER

/* "headline", "dateline", ... indexed by gen_edit. */
extern const char *const gen_edit_names[GEN_NEDITS];

typedef struct gen_config {
    const char *base_path;      /* base stories */
    int base_format;            /* 0 auto, 1 lines, 2 jsonl */
    const char *text_field;     /* JSONL field of the text */
    const char *title_field;    /* JSONL field of the title (may be absent) */
    uint64_t seed;              /* everything random derives from it */
    uint64_t docs;              /* documents to write */
    double dup_rate;            /* share of stories that get copies */
    unsigned max_copies;        /* copies of a syndicated story: 1..max_copies */
    double rate[GEN_NEDITS];    /* per edit type */
    double ocr_chars;           /* share of characters changed in an OCR'd copy */
    double reuse_noise;         /* share of words replaced in a reused base */
    double wire_rate;           /* share of first copies that are the verbatim wire story */
    double base_dedup;          /* drop bases with Jaccard >= this with an earlier one; 0 off */
    unsigned min_chars;         /* skip bases whose body is shorter (bytes) */
    unsigned max_chars;         /* skip bases whose body is longer; 0 = no limit */
    int title_in_text;          /* text = title "\n\n" body (1) or body only (0) */
    const char *wire_name;      /* outlet name of the wire service */
    unsigned threads;           /* worker threads; 0 = all cores */
    const char *out_dir;        /* where the files go */
    int quiet;                  /* no summary or progress on stderr */
} gen_config;

/* Fills the defaults (the rates of the syndication-dev model). */
void gen_config_default(gen_config *c);

/* Parses "name:rate,name:rate" (also "none", "all", "all:0.5" for the dev
 * types, "heldout" for the held-out types at their preset rates) into c->rate.
 * 0, or -1 with a message in err. */
int gen_parse_edits(gen_config *c, const char *list, char *err, size_t errlen);

/* Writes the corpus. Returns a CLI exit code (0, 3 bad base input, 4 write or
 * memory error) after printing any message itself. */
int gen_run(const gen_config *c);

#endif
