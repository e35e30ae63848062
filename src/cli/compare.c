/*
 * compare.c - `wiredup compare A B`: the exact and estimated similarity of
 * two documents, and whether dedup would call them duplicates.
 */
#include <string.h>

#include "wiredup.h"
#include "cli.h"
#include "engine_opts.h"
#include "options.h"
#include "../io/input.h"

enum { C_STRINGS = 1, C_SHOW, C_HELP };

static const cli_opt compare_tab[] = {
    { C_STRINGS, 's', "strings", NULL, "A and B are the texts themselves, not files" },
    { C_SHOW, 0, "show", NULL, "also print the passages the two share (normalized text)" },
    { C_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

typedef struct compare_opts {
    wd_params p;
    int strings;
    int show;
} compare_opts;

static int print_passage(void *ctx, const char *s, size_t n)
{
    int *count = ctx;
    printf("passage %d: %.*s\n", ++*count, (int)n, s);
    return 0;
}

static int on_opt(void *ctx, int id, const char *v)
{
    compare_opts *o = ctx;
    if (id >= CLI_ENGINE_BASE) return cli_engine_opt("compare", &o->p, id, v);
    switch (id) {
    case C_STRINGS: o->strings = 1; break;
    case C_SHOW: o->show = 1; break;
    case C_HELP:
        printf("Usage: wiredup compare [OPTIONS] A B\n\n"
               "Prints the exact and MinHash-estimated Jaccard similarity and containment\n"
               "of two documents (each file's whole content is one document; '-' reads\n"
               "standard input), and the verdict dedup would reach with these options.\n\n"
               "Options:\n");
        cli_print_options(stdout, compare_tab);
        printf("\nMatching options:\n");
        cli_print_options(stdout, cli_engine_tab);
        printf("\nExit codes: 0 ok, 2 usage error, 3 unreadable input, 4 internal error.\n");
        return -1;
    }
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    compare_opts o = {0};
    wd_params_default(&o.p);
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ compare_tab, cli_engine_tab, NULL }, argc, argv,
                       on_opt, &o, &nops);
    if (rc) return rc < 0 ? WD_EXIT_OK : rc;
    if ((rc = cli_engine_check("compare", &o.p))) return rc;
    if (o.p.template_share > 0) {
        cli_error("compare: --template-share needs a collection to count in (use dedup or eval)");
        return WD_EXIT_USAGE;
    }
    if (nops != 2) {
        cli_error("compare: expected two documents, got %d (see 'wiredup compare --help')", nops);
        return WD_EXIT_USAGE;
    }
    wd_input in[2] = {{0}};
    const char *text[2];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        const char *arg = argv[1 + k];
        if (o.strings) {
            text[k] = arg;
            len[k] = strlen(arg);
            continue;
        }
        char err[256];
        if (wd_input_load(arg, &in[k], err, sizeof err)) {
            cli_error("%s: %s", strcmp(arg, "-") ? arg : "<stdin>", err);
            wd_input_close(&in[0]);
            return WD_EXIT_INPUT;
        }
        text[k] = in[k].data;
        len[k] = in[k].len;
    }
    wd_similarity s;
    int passages = 0;
    int st = wd_compare(&o.p, text[0], len[0], text[1], len[1], &s);
    if (st) {
        cli_error("compare: %s", wd_strerror(st));
        wd_input_close(&in[0]);
        wd_input_close(&in[1]);
        return WD_EXIT_INTERNAL;
    }
    const char *verdict = s.exact ? "exact duplicate" : s.duplicate ? "near duplicate" : "distinct";
    printf("shingles        %zu %zu\n", s.shingles_a, s.shingles_b);
    printf("shared          %zu\n", s.shared);
    printf("jaccard         %.4f\n", s.jaccard);
    printf("containment     %.4f\n", s.containment);
    printf("jaccard_est     %.4f\n", s.jaccard_est);
    printf("containment_est %.4f\n", s.containment_est);
    printf("verdict         %s\n", verdict);
    if (o.show) {
        st = wd_shared_passages(&o.p, text[0], len[0], text[1], len[1], print_passage, &passages);
        if (!st && !passages) printf("no shared passage\n");
    }
    wd_input_close(&in[0]);
    wd_input_close(&in[1]);
    if (st) {
        cli_error("compare: %s", wd_strerror(st));
        return WD_EXIT_INTERNAL;
    }
    return WD_EXIT_OK;
}
