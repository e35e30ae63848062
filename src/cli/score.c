/*
 * score.c - `wiredup score`: how well a predicted clustering matches gold
 * labels, as pairwise precision, recall, F1 and Adjusted Rand Index (the
 * "Metrics" of datasets/README.md; the arithmetic is wd_score()).
 *
 * Both inputs are `id<TAB>cluster[<TAB>anything...]` lines. Cluster names
 * are opaque strings, interned to numbers through JudySL maps; so are the
 * ids of LABELS, which fix the set of documents and their order. A document
 * that PREDICTED does not mention gets a label of its own (a singleton), as
 * the README says; an id that LABELS does not know is an error, because a
 * prediction for another data set must not score quietly.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Judy.h>

#include "cli.h"
#include "options.h"
#include "../common/buf.h"
#include "wiredup.h"

enum { OPT_JSON = 1, OPT_HELP };

static const cli_opt score_opts[] = {
    { OPT_JSON, 0, "json", NULL, "print one JSON object instead of text" },
    { OPT_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

static void score_help(FILE *f)
{
    fputs("Usage: wiredup score [--json] LABELS.tsv PREDICTED.tsv\n"
          "\n"
          "Scores a predicted clustering against gold labels: pairwise precision,\n"
          "recall and F1, and the Adjusted Rand Index.\n"
          "\n"
          "Both files hold lines id<TAB>cluster; further columns are ignored, as\n"
          "are blank lines. Every document is a line of LABELS. Documents missing\n"
          "from PREDICTED count as singletons; an id in PREDICTED that is not in\n"
          "LABELS is an error. \"-\" reads standard input (for one of the files).\n"
          "\n"
          "Options:\n", f);
    cli_print_options(f, score_opts);
    fputs("\n"
          "Exit codes: 0 ok, 2 usage error, 3 bad or unreadable input,\n"
          "            4 internal or resource error.\n", f);
}

typedef struct score_args {
    int json;   /* --json */
    int help;   /* -h, --help */
} score_args;

static int on_option(void *ctx, int id, const char *val)
{
    score_args *a = ctx;
    if (id == OPT_JSON) a->json = 1;
    if (id == OPT_HELP) a->help = 1;
    return 0;
}

/* Predicted labels of documents PREDICTED does not name: this bit plus the
 * document number, so they never equal each other or an interned cluster. */
#define SINGLETON_BIT (UINT64_C(1) << 63)

typedef struct score_state {
    Pvoid_t ids;         /* JudySL: LABELS id -> document number + 1 */
    Pvoid_t gold_names;  /* JudySL: gold cluster name -> number + 1 */
    Pvoid_t pred_names;  /* JudySL: predicted cluster name -> number + 1 */
    uint64_t gold_count; /* gold clusters interned so far */
    uint64_t pred_count; /* predicted clusters interned so far */
    wd_u64s gold;        /* gold cluster of each document */
    uint64_t *pred;      /* predicted cluster of each document */
} score_state;

/* The slot of key in a JudySL map, created (holding 0) when new; NULL when
 * out of memory. */
static Word_t *slot(Pvoid_t *map, const char *key)
{
    PPvoid_t v = JudySLIns(map, (const uint8_t *)key, PJE0);
    return v == PPJERR ? NULL : (Word_t *)v;
}

/* The number of cluster name in map, numbering new names from *count. */
static int intern(Pvoid_t *map, uint64_t *count, const char *name,
                  uint64_t *out)
{
    Word_t *v = slot(map, name);
    if (!v) return WD_E_NOMEM;
    if (*v == 0) *v = (Word_t)++*count;
    *out = (uint64_t)*v - 1;
    return WD_OK;
}

/*
 * Splits one line (terminator removed, NUL-terminated) into id and cluster,
 * NUL-terminating both in place. Returns 1, 0 for a blank line, or -1 with
 * *why set.
 */
static int split_line(char *line, size_t len, char **id, char **cluster,
                      const char **why)
{
    if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
    if (strspn(line, " \t\r") == len) return 0;
    if (memchr(line, '\0', len)) {
        *why = "NUL byte in line";
        return -1;
    }
    char *tab = strchr(line, '\t');
    if (!tab) {
        *why = "expected id<TAB>cluster";
        return -1;
    }
    *tab = '\0';
    char *end = strchr(tab + 1, '\t');
    if (end) *end = '\0';
    if (tab == line) {
        *why = "empty id";
        return -1;
    }
    if (tab[1] == '\0') {
        *why = "empty cluster";
        return -1;
    }
    *id = line;
    *cluster = tab + 1;
    return 1;
}

/* Gives every document of LABELS its own predicted label to start with. */
static int start_predictions(score_state *st)
{
    size_t n = st->gold.len;
    st->pred = malloc((n ? n : 1) * sizeof *st->pred);
    if (!st->pred) return WD_E_NOMEM;
    for (size_t i = 0; i < n; i++) st->pred[i] = SINGLETON_BIT | i;
    return WD_OK;
}

/* One line of LABELS (predicted == 0) or PREDICTED (predicted == 1): an exit
 * code, after reporting the error. */
static int take_line(score_state *st, int predicted, const char *name,
                     uint64_t lineno, char *id, char *cluster)
{
    uint64_t c;
    if (!predicted) {
        Word_t *v = slot(&st->ids, id);
        if (!v) goto nomem;
        if (*v != 0) {
            cli_error("%s:%" PRIu64 ": duplicate id \"%s\"", name, lineno, id);
            return WD_EXIT_INPUT;
        }
        if (wd_u64s_reserve(&st->gold, st->gold.len + 1) != WD_OK) goto nomem;
        if (intern(&st->gold_names, &st->gold_count, cluster, &c) != WD_OK)
            goto nomem;
        st->gold.data[st->gold.len++] = c;
        *v = (Word_t)st->gold.len;
        return WD_EXIT_OK;
    }

    PPvoid_t v = JudySLGet(st->ids, (const uint8_t *)id, PJE0);
    if (!v) {
        cli_error("%s:%" PRIu64 ": unknown id \"%s\"", name, lineno, id);
        return WD_EXIT_INPUT;
    }
    size_t doc = (size_t)*(Word_t *)v - 1;
    if (!(st->pred[doc] & SINGLETON_BIT)) {
        cli_error("%s:%" PRIu64 ": duplicate id \"%s\"", name, lineno, id);
        return WD_EXIT_INPUT;
    }
    if (intern(&st->pred_names, &st->pred_count, cluster, &c) != WD_OK)
        goto nomem;
    st->pred[doc] = c;
    return WD_EXIT_OK;

nomem:
    cli_error("out of memory");
    return WD_EXIT_INTERNAL;
}

/* Reads LABELS or PREDICTED ("-" = stdin) into st: an exit code. */
static int read_file(score_state *st, const char *path, int predicted)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    if (!f) {
        cli_error("%s: %s", name, strerror(errno));
        return WD_EXIT_INPUT;
    }

    int rc = WD_EXIT_OK;
    char *line = NULL;
    size_t cap = 0;
    uint64_t lineno = 0;
    ssize_t got;
    errno = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        char *id, *cluster;
        const char *why = NULL;
        int kind = split_line(line, len, &id, &cluster, &why);
        if (kind < 0) {
            cli_error("%s:%" PRIu64 ": %s", name, lineno, why);
            rc = WD_EXIT_INPUT;
            break;
        }
        if (kind == 0) continue;
        rc = take_line(st, predicted, name, lineno, id, cluster);
        if (rc != WD_EXIT_OK) break;
        errno = 0;
    }
    if (rc == WD_EXIT_OK && ferror(f)) {
        int e = errno;
        if (e == ENOMEM) {
            cli_error("out of memory");
            rc = WD_EXIT_INTERNAL;
        } else {
            cli_error("%s: %s", name, strerror(e ? e : EIO));
            rc = WD_EXIT_INPUT;
        }
    }
    free(line);
    if (!is_stdin) fclose(f);
    return rc;
}

/* Rounds away "-0.0000": a score that prints as zero prints as 0. */
static double tidy(double x, double half_unit)
{
    return fabs(x) < half_unit ? 0.0 : x;
}

static void print_scores(const wd_scores *s, size_t docs, int json)
{
    if (json) {
        printf("{\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"ari\":%.6f,"
               "\"docs\":%zu,\"gold_pairs\":%.0f,\"predicted_pairs\":%.0f,"
               "\"true_pairs\":%.0f}\n",
               tidy(s->precision, 5e-7), tidy(s->recall, 5e-7),
               tidy(s->f1, 5e-7), tidy(s->ari, 5e-7), docs, s->gold_pairs,
               s->predicted_pairs, s->true_pairs);
        return;
    }
    printf("precision %.4f\n", tidy(s->precision, 5e-5));
    printf("recall    %.4f\n", tidy(s->recall, 5e-5));
    printf("f1        %.4f\n", tidy(s->f1, 5e-5));
    printf("ari       %.4f\n", tidy(s->ari, 5e-5));
    printf("docs %zu  gold_pairs %.0f  predicted_pairs %.0f  true_pairs %.0f\n",
           docs, s->gold_pairs, s->predicted_pairs, s->true_pairs);
}

int cmd_score(int argc, char **argv)
{
    score_args args = { 0, 0 };
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ score_opts, NULL }, argc, argv, on_option, &args, &nops);
    if (rc) return rc;
    if (args.help) {
        score_help(stdout);
        return fflush(stdout) == 0 || errno == EPIPE ? WD_EXIT_OK : WD_EXIT_INTERNAL;
    }
    if (nops != 2) {
        cli_error("score: expected 2 files, LABELS.tsv and PREDICTED.tsv, got %d "
                  "(see 'wiredup score --help')", nops);
        return WD_EXIT_USAGE;
    }
    const char *labels = argv[1], *predicted = argv[2];
    if (!strcmp(labels, "-") && !strcmp(predicted, "-")) {
        cli_error("score: only one file can be standard input "
                  "(see 'wiredup score --help')");
        return WD_EXIT_USAGE;
    }

    score_state st;
    memset(&st, 0, sizeof st);
    wd_scores s;
    rc = read_file(&st, labels, 0);
    if (rc == WD_EXIT_OK && start_predictions(&st) != WD_OK) {
        cli_error("out of memory");
        rc = WD_EXIT_INTERNAL;
    }
    if (rc == WD_EXIT_OK) rc = read_file(&st, predicted, 1);
    if (rc == WD_EXIT_OK) {
        int err = wd_score(st.gold.data, st.pred, st.gold.len, &s);
        if (err != WD_OK) {
            cli_error("score: %s", wd_strerror(err));
            rc = WD_EXIT_INTERNAL;
        }
    }
    if (rc == WD_EXIT_OK) {
        print_scores(&s, st.gold.len, args.json);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            if (errno != EPIPE) {
                cli_error("stdout: %s", strerror(errno));
                rc = WD_EXIT_INTERNAL;
            }
        }
    }

    JudySLFreeArray(&st.ids, PJE0);
    JudySLFreeArray(&st.gold_names, PJE0);
    JudySLFreeArray(&st.pred_names, PJE0);
    wd_u64s_free(&st.gold);
    free(st.pred);
    return rc;
}
