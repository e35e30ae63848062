/*
 * eval.c - `wiredup eval --labels=LABELS.tsv [dedup options] FILE...`:
 * cluster a labeled corpus as `dedup` would and say how good the result is
 * and where it goes wrong.
 *
 *   corpus + labels --corpus_run_index--> clusters, verified pairs
 *     --wd_score--> precision, recall, F1, ARI
 *     --per true cluster--> breakdown by true cluster size
 *     --verified pairs across true clusters--> false merges
 *     --true pairs in different predicted clusters--> missed pairs
 *
 * The scores are those of `dedup --clusters=c.tsv FILE && score LABELS c.tsv`
 * with the same options (one definition: wd_score()). Results go to stdout,
 * deterministic for any -j; the timing line goes to stderr.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"
#include "cli.h"
#include "corpus.h"
#include "engine_opts.h"
#include "options.h"
#include "progress.h"
#include "../io/json.h"

enum { O_LABELS = 1, O_JSON, O_TOP, O_QUIET, O_HELP };

static const cli_opt eval_tab[] = {
    { O_LABELS, 0, "labels", "FILE", "true clusters: id<TAB>cluster lines, every document (required)" },
    { O_JSON, 0, "json", NULL, "print one JSON object instead of text" },
    { O_TOP, 0, "top", "N", "false merges and missed pairs listed (default: 10)" },
    { O_QUIET, 'q', "quiet", NULL, "no progress bar and no timing line on stderr" },
    { O_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

typedef struct eval_opts {
    wd_params p;
    corpus_opts in;
    const char *labels;
    int json;
    int quiet;
    unsigned long top;
} eval_opts;

static void eval_help(void)
{
    printf("Usage: wiredup eval --labels=LABELS.tsv [OPTIONS] [FILE...]\n\n"
           "Clusters the documents as 'wiredup dedup' does with the same options and\n"
           "scores the clusters against the true ones in LABELS: pairwise precision,\n"
           "recall, F1 and the Adjusted Rand Index (the numbers 'wiredup score' gives\n"
           "for the --clusters file of that dedup run), recall by true cluster size,\n"
           "and the worst mistakes:\n"
           "  false merges  verified pairs whose documents are in different true\n"
           "                clusters (each joins two true clusters), most similar first:\n"
           "                the mistakes the engine was surest of. 'kind' is 'exact'\n"
           "                for the same normalized text (often a labeling mistake),\n"
           "                else 'near';\n"
           "  missed pairs  true pairs left in different clusters, most similar first:\n"
           "                the ones closest to the threshold, the most fixable. 'why' is\n"
           "                'sim' when the estimates are below --threshold and\n"
           "                --containment, 'lsh' when they pass but LSH never made the\n"
           "                pair a candidate (a lower --threshold or more --bands helps),\n"
           "                'leader' when they pass under --cluster=leader.\n"
           "Similarities are the estimates dedup verifies pairs with (MinHash).\n\n"
           "LABELS has a line id<TAB>cluster for every document (the format of\n"
           "labels.tsv from 'wiredup gen' and of 'dedup --clusters'); a document\n"
           "without a label, an id that is not in the input, and two documents with\n"
           "one id are errors. Reads standard input when no FILE or '-' is given.\n\n"
           "Options:\n");
    cli_print_options(stdout, eval_tab);
    printf("\nInput options:\n");
    cli_print_options(stdout, corpus_tab);
    printf("\nMatching options:\n");
    cli_print_options(stdout, cli_engine_tab);
    printf("\nIndex options:\n");
    cli_print_options(stdout, cli_index_tab);
    printf("\nTiming ('eval: N docs in S s, R docs/s') goes to stderr, so stdout is the\n"
           "same for any thread count.\n\n"
           "Exit codes: 0 ok, 2 usage error, 3 bad or unreadable input or labels,\n"
           "            4 internal or resource error.\n");
}

static int on_opt(void *ctx, int id, const char *v)
{
    eval_opts *o = ctx;
    if (id >= CLI_ENGINE_BASE) return cli_engine_opt("eval", &o->p, id, v);
    if (id >= CORPUS_OPT_BASE) return corpus_opt("eval", &o->in, id, v);
    switch (id) {
    case O_LABELS: o->labels = v; break;
    case O_JSON: o->json = 1; break;
    case O_QUIET: o->quiet = 1; break;
    case O_TOP:
        if (cli_uint(v, 0, 1000000, &o->top)) {
            cli_error("eval: invalid value '%s' for --top (expected 0 to 1000000)", v);
            return WD_EXIT_USAGE;
        }
        break;
    case O_HELP:
        eval_help();
        return -1;
    }
    return 0;
}

/* A pair of documents with its estimated similarity. */
typedef struct epair {
    uint64_t a, b;       /* a < b */
    double j, c;         /* estimated Jaccard and containment */
    const char *why;     /* false merges: exact or near; missed pairs: sim, lsh, leader */
} epair;

static int cmp_epair(const void *x, const void *y)
{
    const epair *p = x, *q = y;
    if (p->j != q->j) return p->j > q->j ? -1 : 1;
    if (p->c != q->c) return p->c > q->c ? -1 : 1;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

/* One row of the breakdown by true cluster size. */
typedef struct size_row {
    uint64_t size, clusters, pairs, found, intact;
} size_row;

typedef struct eval_result {
    wd_scores s;
    size_row *rows;       /* by size, ascending */
    size_t nrows;
    epair *merges;        /* verified pairs across true clusters, sorted */
    size_t nmerges;
    epair *missed;        /* true pairs in different predicted clusters, sorted */
    size_t nmissed;
    uint64_t nclusters;   /* true clusters */
} eval_result;

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Sorts document numbers by (gold, predicted, number). */
static const uint64_t *g_gold, *g_pred;
static int cmp_doc(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    if (g_gold[a] != g_gold[b]) return g_gold[a] < g_gold[b] ? -1 : 1;
    if (g_pred[a] != g_pred[b]) return g_pred[a] < g_pred[b] ? -1 : 1;
    return (a > b) - (a < b);
}

static uint64_t pairs_of(uint64_t x)
{
    return x * (x ? x - 1 : 0) / 2;
}

/* Would verification accept a pair with these estimates? */
static int passes(const wd_params *p, double j, double c)
{
    return corpus_would_verify(p, (unsigned)lround(j * p->num_hashes), c);
}

static int evaluate(const corpus *c, const uint64_t *gold, const corpus_run *r,
                    const wd_params *p, eval_result *e)
{
    const size_t n = c->n;
    memset(e, 0, sizeof *e);
    int st = wd_score(gold, r->cluster, n, &e->s);
    if (st) return st;

    uint64_t *order = malloc((n ? n : 1) * sizeof *order);
    uint64_t *psize = calloc(n ? n : 1, sizeof *psize);
    uint64_t *sizes = malloc((n ? n : 1) * sizeof *sizes);
    if (!order || !psize || !sizes) goto nomem;
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        psize[r->cluster[i]]++;
    }
    g_gold = gold;
    g_pred = r->cluster;
    qsort(order, n, sizeof *order, cmp_doc);

    /* True clusters: runs of equal gold in order. */
    size_t nsizes = 0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && gold[order[k]] == gold[order[i]]) k++;
        sizes[nsizes++] = k - i;
        i = k;
    }
    e->nclusters = nsizes;
    qsort(sizes, nsizes, sizeof *sizes, cmp_u64);
    size_t distinct = 0;
    for (size_t i = 0; i < nsizes; i++) distinct += i == 0 || sizes[i] != sizes[i - 1];
    e->rows = calloc(distinct ? distinct : 1, sizeof *e->rows);
    if (!e->rows) goto nomem;
    for (size_t i = 0; i < nsizes; i++) {
        if (i == 0 || sizes[i] != sizes[i - 1]) e->rows[e->nrows++].size = sizes[i];
    }

    /* Per true cluster: found pairs, intact or not, missed pairs. */
    size_t cap_missed = 0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && gold[order[k]] == gold[order[i]]) k++;
        uint64_t size = k - i, found = 0;
        for (size_t a = i; a < k;) {
            size_t b = a;
            while (b < k && r->cluster[order[b]] == r->cluster[order[a]]) b++;
            found += pairs_of(b - a);
            a = b;
        }
        size_t lo = 0, hi = e->nrows;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (e->rows[mid].size <= size) lo = mid;
            else hi = mid;
        }
        size_row *row = &e->rows[lo];
        row->clusters++;
        row->pairs += pairs_of(size);
        row->found += found;
        row->intact += r->cluster[order[i]] == r->cluster[order[k - 1]] &&
                       psize[r->cluster[order[i]]] == size;
        /* Missed: pairs of this cluster in different predicted clusters. */
        for (size_t a = i; a < k; a++) {
            for (size_t b = a + 1; b < k; b++) {
                uint64_t x = order[a], y = order[b];
                if (r->cluster[x] == r->cluster[y]) continue;
                if (e->nmissed == cap_missed) {
                    cap_missed = cap_missed ? 2 * cap_missed : 256;
                    epair *m = realloc(e->missed, cap_missed * sizeof *m);
                    if (!m) goto nomem;
                    e->missed = m;
                }
                epair *m = &e->missed[e->nmissed++];
                m->a = x < y ? x : y;
                m->b = x < y ? y : x;
                wd_index_similarity(r->ix, m->a, m->b, &m->j, &m->c);
                m->why = !passes(p, m->j, m->c) ? "sim"
                       : p->cluster == WD_CLUSTER_LEADER ? "leader" : "lsh";
            }
        }
        i = k;
    }
    if (e->nmissed > 1) qsort(e->missed, e->nmissed, sizeof *e->missed, cmp_epair);

    /* False merges: verified pairs across true clusters. */
    e->merges = malloc((r->npairs ? r->npairs : 1) * sizeof *e->merges);
    if (!e->merges) goto nomem;
    for (size_t i = 0; i < r->npairs; i++) {
        const wd_pair *pr = &r->pairs[i];
        if (gold[pr->a] == gold[pr->b]) continue;
        epair *m = &e->merges[e->nmerges++];
        m->a = pr->a;
        m->b = pr->b;
        m->why = pr->kind == WD_MATCH_EXACT ? "exact" : "near";
        /* the callback's estimates are floats: the index's doubles print the same
         * numbers as missed pairs and dedup --pairs */
        wd_index_similarity(r->ix, m->a, m->b, &m->j, &m->c);
    }
    qsort(e->merges, e->nmerges, sizeof *e->merges, cmp_epair);
    free(order);
    free(psize);
    free(sizes);
    return WD_OK;
nomem:
    free(order);
    free(psize);
    free(sizes);
    return WD_E_NOMEM;
}

static void eval_result_free(eval_result *e)
{
    free(e->rows);
    free(e->merges);
    free(e->missed);
}

static double tidy(double x)
{
    return fabs(x) < 5e-7 ? 0.0 : x;
}

static const char *shingle_name(const wd_params *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s:%u", p->shingle == WD_SHINGLE_WORD ? "word" : "char", p->shingle_size);
    return buf;
}

/* Writes the id of document d, TSV form, quoted for JSON when json. */
static void put_id(const corpus *c, uint64_t d, int json, wd_buf *tmp)
{
    size_t n;
    const char *id = corpus_id(c, d, &n);
    tmp->len = 0;
    if (json) wd_json_quote(id, n, tmp);
    else corpus_tsv_escape(id, n, tmp);
    fwrite(tmp->data, 1, tmp->len, stdout);
}

static void put_snippet(const corpus *c, uint64_t d, int json, wd_buf *tmp, wd_buf *q)
{
    tmp->len = 0;
    corpus_snippet(c, d, 60, tmp);
    if (json) {
        q->len = 0;
        wd_json_quote(tmp->data, tmp->len, q);
        fwrite(q->data, 1, q->len, stdout);
    } else {
        printf("\"%s\"", tmp->data);
    }
}

/* Pairs with their estimates, a tag (column `tag`: kind or why), both ids
 * and the start of both texts. */
static void print_pairs_text(const corpus *c, const epair *v, size_t n, const char *tag,
                             wd_buf *t, wd_buf *q)
{
    if (n == 0) return;
    printf("  jaccard  contain  %-6s  id / text\n", tag);
    for (size_t i = 0; i < n; i++) {
        printf("  %.4f   %.4f   %-6s  ", tidy(v[i].j), tidy(v[i].c), v[i].why);
        put_id(c, v[i].a, 0, t);
        printf("  ");
        put_snippet(c, v[i].a, 0, t, q);
        printf("\n  %*s", 26, "");
        put_id(c, v[i].b, 0, t);
        printf("  ");
        put_snippet(c, v[i].b, 0, t, q);
        printf("\n");
    }
}

static void print_text(const corpus *c, const eval_result *e, const wd_params *p, size_t top)
{
    char sh[32];
    wd_buf t = {0}, q = {0};
    printf("docs %zu  true clusters %llu  shingle %s  num-hashes %u  threshold %g  "
           "containment %g  lsh %ux%u  cluster %s",
           c->n, (unsigned long long)e->nclusters, shingle_name(p, sh, sizeof sh),
           p->num_hashes, p->threshold, p->containment, p->bands, p->rows,
           p->cluster == WD_CLUSTER_LEADER ? "leader" : "components");
    if (p->template_share > 0) printf("  template-share %g", p->template_share);
    printf("\n\n");
    printf("precision %.4f\nrecall    %.4f\nf1        %.4f\nari       %.4f\n", tidy(e->s.precision),
           tidy(e->s.recall), tidy(e->s.f1), tidy(e->s.ari));
    printf("gold_pairs %.0f  predicted_pairs %.0f  true_pairs %.0f\n\n", e->s.gold_pairs,
           e->s.predicted_pairs, e->s.true_pairs);

    printf("by true cluster size (intact: the predicted cluster is exactly the true one):\n");
    printf("  %5s %9s %8s %8s %8s %8s\n", "size", "clusters", "pairs", "found", "recall", "intact");
    uint64_t tc = 0, tp = 0, tf = 0, ti = 0;
    for (size_t i = 0; i < e->nrows; i++) {
        const size_row *r = &e->rows[i];
        char rec[16] = "-";
        if (r->pairs) snprintf(rec, sizeof rec, "%.4f", (double)r->found / r->pairs);
        printf("  %5llu %9llu %8llu %8llu %8s %8llu\n", (unsigned long long)r->size,
               (unsigned long long)r->clusters, (unsigned long long)r->pairs,
               (unsigned long long)r->found, rec, (unsigned long long)r->intact);
        tc += r->clusters;
        tp += r->pairs;
        tf += r->found;
        ti += r->intact;
    }
    char rec[16] = "-";
    if (tp) snprintf(rec, sizeof rec, "%.4f", (double)tf / tp);
    printf("  %5s %9llu %8llu %8llu %8s %8llu\n\n", "all", (unsigned long long)tc,
           (unsigned long long)tp, (unsigned long long)tf, rec, (unsigned long long)ti);

    size_t nm = e->nmerges < top ? e->nmerges : top;
    printf("false merges: %zu verified pair%s across true clusters, %.0f false pair%s in all",
           e->nmerges, e->nmerges == 1 ? "" : "s", e->s.predicted_pairs - e->s.true_pairs,
           e->s.predicted_pairs - e->s.true_pairs == 1 ? "" : "s");
    if (nm == 1) printf("; the most similar:\n");
    else printf(nm ? "; the %zu most similar:\n" : "\n", nm);
    print_pairs_text(c, e->merges, nm, "kind", &t, &q);
    size_t nx = e->nmissed < top ? e->nmissed : top;
    printf("\nmissed pairs: %zu true pair%s in different clusters", e->nmissed,
           e->nmissed == 1 ? "" : "s");
    if (nx == 1) printf("; the most similar:\n");
    else printf(nx ? "; the %zu most similar:\n" : "\n", nx);
    print_pairs_text(c, e->missed, nx, "why", &t, &q);
    wd_buf_free(&t);
    wd_buf_free(&q);
}

static void print_pairs_json(const corpus *c, const epair *v, size_t n, const char *tag,
                             wd_buf *t, wd_buf *q)
{
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"a\":", i ? "," : "");
        put_id(c, v[i].a, 1, t);
        printf(",\"b\":");
        put_id(c, v[i].b, 1, t);
        printf(",\"jaccard\":%.4f,\"containment\":%.4f", tidy(v[i].j), tidy(v[i].c));
        printf(",\"%s\":\"%s\"", tag, v[i].why);
        printf(",\"text_a\":");
        put_snippet(c, v[i].a, 1, t, q);
        printf(",\"text_b\":");
        put_snippet(c, v[i].b, 1, t, q);
        printf("}");
    }
}

static void print_json(const corpus *c, const eval_result *e, const wd_params *p, size_t top)
{
    char sh[32];
    wd_buf t = {0}, q = {0};
    printf("{\"docs\":%zu,\"true_clusters\":%llu,\"precision\":%.6f,\"recall\":%.6f,"
           "\"f1\":%.6f,\"ari\":%.6f,\"gold_pairs\":%.0f,\"predicted_pairs\":%.0f,"
           "\"true_pairs\":%.0f,",
           c->n, (unsigned long long)e->nclusters, tidy(e->s.precision), tidy(e->s.recall),
           tidy(e->s.f1), tidy(e->s.ari), e->s.gold_pairs, e->s.predicted_pairs,
           e->s.true_pairs);
    printf("\"params\":{\"shingle\":\"%s\",\"num_hashes\":%u,\"threshold\":%g,"
           "\"containment\":%g,\"bands\":%u,\"rows\":%u,\"cluster\":\"%s\",\"seed\":%llu",
           shingle_name(p, sh, sizeof sh), p->num_hashes, p->threshold, p->containment,
           p->bands, p->rows, p->cluster == WD_CLUSTER_LEADER ? "leader" : "components",
           (unsigned long long)p->seed);
    if (p->template_share > 0) printf(",\"template_share\":%g", p->template_share);
    printf("},");
    printf("\"by_size\":[");
    for (size_t i = 0; i < e->nrows; i++) {
        const size_row *r = &e->rows[i];
        printf("%s{\"size\":%llu,\"clusters\":%llu,\"pairs\":%llu,\"found\":%llu,", i ? "," : "",
               (unsigned long long)r->size, (unsigned long long)r->clusters,
               (unsigned long long)r->pairs, (unsigned long long)r->found);
        if (r->pairs) printf("\"recall\":%.6f,", (double)r->found / r->pairs);
        else printf("\"recall\":null,");
        printf("\"intact\":%llu}", (unsigned long long)r->intact);
    }
    printf("],\"false_merges\":{\"verified_pairs\":%zu,\"false_pairs\":%.0f,\"top\":[",
           e->nmerges, e->s.predicted_pairs - e->s.true_pairs);
    print_pairs_json(c, e->merges, e->nmerges < top ? e->nmerges : top, "kind", &t, &q);
    printf("]},\"missed\":{\"pairs\":%zu,\"top\":[", e->nmissed);
    print_pairs_json(c, e->missed, e->nmissed < top ? e->nmissed : top, "why", &t, &q);
    printf("]}}\n");
    wd_buf_free(&t);
    wd_buf_free(&q);
}

int cmd_eval(int argc, char **argv)
{
    eval_opts o;
    memset(&o, 0, sizeof o);
    wd_params_default(&o.p);
    corpus_opts_default(&o.in);
    o.top = 10;
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ eval_tab, corpus_tab, cli_engine_tab,
                                                 cli_index_tab, NULL },
                       argc, argv, on_opt, &o, &nops);
    if (rc) return rc < 0 ? WD_EXIT_OK : rc;
    if ((rc = cli_engine_check("eval", &o.p))) return rc;
    if (!o.labels) {
        cli_error("eval: --labels=FILE is required (see 'wiredup eval --help')");
        return WD_EXIT_USAGE;
    }

    corpus c;
    uint64_t *gold = NULL, nclusters = 0;
    corpus_run r;
    memset(&r, 0, sizeof r);
    eval_result e;
    memset(&e, 0, sizeof e);
    rc = corpus_load(&c, "eval", &o.in, argv + 1, nops);
    if (rc) goto out;
    gold = malloc((c.n ? c.n : 1) * sizeof *gold);
    if (!gold) {
        cli_error("eval: out of memory");
        rc = WD_EXIT_INTERNAL;
        goto out;
    }
    if ((rc = corpus_labels(&c, "eval", o.labels, gold, &nclusters))) goto out;

    progress pg;
    progress_start(&pg, "eval", "docs", c.n, o.quiet);
    rc = corpus_run_index(&c, "eval", &o.p, &pg, NULL, NULL, &r);
    progress_end(&pg);
    if (rc) goto out;
    int st = evaluate(&c, gold, &r, wd_index_params(r.ix), &e);
    if (st) {
        cli_error("eval: %s", wd_strerror(st));
        rc = WD_EXIT_INTERNAL;
        goto out;
    }
    if (o.json) print_json(&c, &e, wd_index_params(r.ix), o.top);
    else print_text(&c, &e, wd_index_params(r.ix), o.top);
    if (fflush(stdout) || ferror(stdout)) {
        if (errno != EPIPE) {
            cli_error("stdout: %s", strerror(errno));
            rc = WD_EXIT_INTERNAL;
            goto out;
        }
    }
    if (!o.quiet)
        fprintf(stderr, "eval: %zu docs in %.2f s, %.0f docs/s\n", c.n, r.seconds,
                r.seconds > 0 ? c.n / r.seconds : 0.0);
out:
    eval_result_free(&e);
    corpus_run_free(&r);
    free(gold);
    corpus_free(&c);
    return rc;
}
