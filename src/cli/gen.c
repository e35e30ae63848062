/*
 * gen.c - `wiredup gen`: write a labeled corpus of syndicated news copies
 * from base stories (the generator itself is in src/gen/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "../gen/gen.h"

enum {
    O_BASE = 1, O_BASE_FORMAT, O_TEXT_FIELD, O_TITLE_FIELD, O_SEED, O_DOCS, O_DUP_RATE,
    O_MAX_COPIES, O_EDITS, O_OCR_RATE, O_REUSE_NOISE, O_WIRE_RATE, O_BASE_DEDUP, O_MIN_CHARS,
    O_MAX_CHARS, O_TITLE_IN_TEXT, O_WIRE, O_THREADS, O_OUT, O_QUIET, O_HELP
};

static const cli_opt gen_tab[] = {
    { O_BASE, 0, "base", "FILE", "base stories: JSONL or one per line (required)" },
    { O_BASE_FORMAT, 0, "base-format", "FMT", "auto, jsonl or lines (default: auto)" },
    { O_TEXT_FIELD, 0, "text-field", "NAME", "JSONL field with the text (default: text)" },
    { O_TITLE_FIELD, 0, "title-field", "NAME", "JSONL field with the title; else the first words (default: title)" },
    { O_SEED, 0, "seed", "N", "random seed; same seed and options, same bytes (default: 1)" },
    { O_DOCS, 'n', "docs", "N", "documents to write (default: 10000)" },
    { O_DUP_RATE, 0, "dup-rate", "P", "share of stories that get syndicated copies (default: 0.35)" },
    { O_MAX_COPIES, 0, "max-copies", "N", "most copies of one story, besides it (default: 8)" },
    { O_EDITS, 0, "edits", "LIST", "edit rates, e.g. truncate:0.5,ocr:0 or none (see below)" },
    { O_OCR_RATE, 0, "ocr-rate", "P", "share of characters an OCR'd copy changes (default: 0.005)" },
    { O_REUSE_NOISE, 0, "reuse-noise", "P", "share of words replaced when a base is reused (default: 0.35)" },
    { O_WIRE_RATE, 0, "wire-rate", "P", "share of stories whose first document is the verbatim wire text (default: 0.5)" },
    { O_BASE_DEDUP, 0, "base-dedup", "J", "drop bases with Jaccard >= J with an earlier one; 0 = off (default: 0.3)" },
    { O_MIN_CHARS, 0, "min-chars", "N", "skip bases whose body is shorter (default: 0)" },
    { O_MAX_CHARS, 0, "max-chars", "N", "skip bases whose body is longer; 0 = no limit (default: 0)" },
    { O_TITLE_IN_TEXT, 0, "title-in-text", "YES|NO", "text starts with the title and a blank line (default: yes)" },
    { O_WIRE, 0, "wire", "NAME", "name of the wire service (default: Reuters)" },
    { O_THREADS, 'j', "threads", "N", "worker threads; never changes the output (default: all cores)" },
    { O_OUT, 'o', "out", "DIR", "write DIR/docs.jsonl, DIR/labels.tsv, DIR/stats.txt (required)" },
    { O_QUIET, 'q', "quiet", NULL, "no progress or summary on stderr" },
    { O_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

static void gen_help(void)
{
    gen_config d;
    gen_config_default(&d);
    printf("Usage: wiredup gen --base=FILE --out=DIR [OPTIONS]\n\n"
           "Writes a labeled corpus of wire stories and their syndicated copies:\n"
           "DIR/docs.jsonl ({\"id\",\"outlet\",\"date\",\"title\",\"text\"}), DIR/labels.tsv\n"
           "(id<TAB>cluster: the copies of one story share a cluster) and DIR/stats.txt.\n"
           "Streams to disk: memory holds the base texts and a few days of planned\n"
           "documents, whatever --docs is. Bases are used in a shuffled order; once all\n"
           "are used they are used again, each reuse with --reuse-noise of its words\n"
           "replaced so that it is a different story (word-5-gram Jaccard about 0.06\n"
           "with the original at the default).\n\nOptions:\n");
    cli_print_options(stdout, gen_tab);
    printf("\nEdits (--edits=NAME:RATE,...; NAME alone means rate 1; 'none' sets every rate\n"
           "to 0, 'all:RATE' every dev rate, 'heldout' turns on the held-out types at\n"
           "preset rates and writes DIR/edits.tsv: id<TAB>held-out edits of the document):\n"
           "the rate is the chance that an outlet copy gets the edit; for the two story\n"
           "types, the chance that a story is followed by such a hard negative (its own\n"
           "cluster). The held-out types are absent from syndication-dev.\n");
    for (int e = 0; e < GEN_NEDITS; e++) {
        static const char *const what[GEN_NEDITS] = {
            "headline rewrite: case, tickers, words, prefix, suffix",
            "dateline in the outlet's form, or removed",
            "byline paragraph",
            "trailer: credits, copyright, related coverage",
            "keep the first 40-90% of paragraphs (or sentences)",
            "drop one middle sentence",
            "outlet's word substitutions (pct/percent, mln/million, ...)",
            "curly quotes, em dashes, no-break spaces",
            "OCR noise: character confusions at --ocr-rate",
            "re-wrapping to the outlet's width and paragraph breaks",
            "held-out: two paragraphs after the lead swapped",
            "held-out: sentences merged (', and') and split",
            "held-out: a local paragraph inserted in the middle",
            "held-out: 1,000/1000, '5 pct' -> '5%', '3 dlrs' -> '$3'",
            "held-out: re-issued correction: figure, note, title",
            "held-out: HTML remnants: <p>, &amp;, &quot;, <br>",
            "held-out: words hyphenated across line ends",
            "held-out story: another company on a table's template",
            "held-out story: a new story quoting one paragraph"
        };
        printf("  %-10s %-54s (default: %.2f)\n", gen_edit_names[e], what[e], d.rate[e]);
    }
    printf("\nExit codes: 0 ok, 2 usage error, 3 bad or unreadable base file,\n"
           "            4 internal or resource error (out of memory, write failure).\n");
}

static int on_opt(void *ctx, int id, const char *v)
{
    gen_config *c = ctx;
    unsigned long u;
    double d;
    char err[160];
    switch (id) {
    case O_BASE: c->base_path = v; break;
    case O_BASE_FORMAT:
        if (!strcmp(v, "auto")) c->base_format = 0;
        else if (!strcmp(v, "lines")) c->base_format = 1;
        else if (!strcmp(v, "jsonl")) c->base_format = 2;
        else return cli_bad_value("gen", "base-format", v, "auto, jsonl or lines");
        break;
    case O_TEXT_FIELD: c->text_field = v; break;
    case O_TITLE_FIELD: c->title_field = v; break;
    case O_SEED: {
        char *e;
        unsigned long long s = strtoull(v, &e, 10);
        if (!*v || *e || *v == '-') return cli_bad_value("gen", "seed", v, "a number from 0 to 2^64-1");
        c->seed = s;
        break;
    }
    case O_DOCS: {
        char *e;
        unsigned long long n = strtoull(v, &e, 10);
        if (!*v || *e || *v == '-' || n < 1 || n > (1ULL << 40))
            return cli_bad_value("gen", "docs", v, "1 to 2^40");
        c->docs = n;
        break;
    }
    case O_DUP_RATE:
        if (cli_double(v, 0, 1, &d)) return cli_bad_value("gen", "dup-rate", v, "0 to 1");
        c->dup_rate = d;
        break;
    case O_MAX_COPIES:
        if (cli_uint(v, 0, 255, &u)) return cli_bad_value("gen", "max-copies", v, "0 to 255");
        c->max_copies = (unsigned)u;
        break;
    case O_EDITS:
        if (gen_parse_edits(c, v, err, sizeof err)) {
            cli_error("gen: --edits: %s (names: headline, dateline, byline, trailer, truncate, "
                      "drop, copyedit, unicode, ocr, wrap, reorder, resplit, local, numbers, "
                      "correction, html, hyphen, template, followup, none, all, heldout)", err);
            return WD_EXIT_USAGE;
        }
        break;
    case O_OCR_RATE:
        if (cli_double(v, 0, 0.5, &d)) return cli_bad_value("gen", "ocr-rate", v, "0 to 0.5");
        c->ocr_chars = d;
        break;
    case O_REUSE_NOISE:
        if (cli_double(v, 0, 1, &d)) return cli_bad_value("gen", "reuse-noise", v, "0 to 1");
        c->reuse_noise = d;
        break;
    case O_WIRE_RATE:
        if (cli_double(v, 0, 1, &d)) return cli_bad_value("gen", "wire-rate", v, "0 to 1");
        c->wire_rate = d;
        break;
    case O_BASE_DEDUP:
        if (cli_double(v, 0, 1, &d)) return cli_bad_value("gen", "base-dedup", v, "0 to 1");
        c->base_dedup = d;
        break;
    case O_MIN_CHARS:
        if (cli_uint(v, 0, 1UL << 30, &u)) return cli_bad_value("gen", "min-chars", v, "0 to 2^30");
        c->min_chars = (unsigned)u;
        break;
    case O_MAX_CHARS:
        if (cli_uint(v, 0, 1UL << 30, &u)) return cli_bad_value("gen", "max-chars", v, "0 to 2^30");
        c->max_chars = (unsigned)u;
        break;
    case O_TITLE_IN_TEXT:
        if (!strcmp(v, "yes")) c->title_in_text = 1;
        else if (!strcmp(v, "no")) c->title_in_text = 0;
        else return cli_bad_value("gen", "title-in-text", v, "yes or no");
        break;
    case O_WIRE:
        if (!*v) return cli_bad_value("gen", "wire", v, "a name");
        c->wire_name = v;
        break;
    case O_THREADS:
        if (cli_uint(v, 0, 1024, &u)) return cli_bad_value("gen", "threads", v, "0 to 1024");
        c->threads = (unsigned)u;
        break;
    case O_OUT: c->out_dir = v; break;
    case O_QUIET: c->quiet = 1; break;
    case O_HELP:
        gen_help();
        return -1;
    }
    return 0;
}

int cmd_gen(int argc, char **argv)
{
    gen_config c;
    gen_config_default(&c);
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ gen_tab, NULL }, argc, argv, on_opt, &c, &nops);
    if (rc) return rc < 0 ? WD_EXIT_OK : rc;
    if (nops) {
        cli_error("gen: unexpected argument '%s' (the base file is given with --base)", argv[1]);
        return WD_EXIT_USAGE;
    }
    if (!c.base_path || !c.out_dir) {
        cli_error("gen: --base=FILE and --out=DIR are required (see 'wiredup gen --help')");
        return WD_EXIT_USAGE;
    }
    if (c.min_chars && c.max_chars && c.min_chars > c.max_chars) {
        cli_error("gen: --min-chars is above --max-chars");
        return WD_EXIT_USAGE;
    }
    return gen_run(&c);
}
