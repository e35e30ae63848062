/*
 * dedup.c - `wiredup dedup`: cluster the documents of whole inputs and keep
 * the first of each cluster.
 *
 *   inputs --load--> records --parse (parallel)--> texts --wd_index_add-->
 *   matches + pairs --wd_index_clusters--> kept records, clusters, stats
 *
 * Records are held until the end (files are mapped, stdin is read whole):
 * whether a record is kept is only known once every later record has been
 * seen, because a later copy can join two earlier clusters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wiredup.h"
#include "archive_opts.h"
#include "batch.h"
#include "cli.h"
#include "corpus.h"
#include "engine_opts.h"
#include "options.h"
#include "progress.h"
#include "../io/input.h"
#include "../io/json.h"
#include "../io/output.h"
#include "../io/records.h"

enum on_error { ON_FAIL, ON_SKIP, ON_KEEP };

/* The index and the mapped inputs are handed back to the system when the
 * process exits, which it does right after cmd_dedup() returns; tearing a
 * big index down piece by piece first (the exact set's Judy array, page
 * after page of tables) costs a few percent of a run. Sanitizer builds (and
 * -DWD_DEDUP_FREE_AT_EXIT=1) still free everything, so LeakSanitizer keeps
 * checking that nothing else leaks. */
#ifndef WD_DEDUP_FREE_AT_EXIT
#if defined(__SANITIZE_ADDRESS__)
#define WD_DEDUP_FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WD_DEDUP_FREE_AT_EXIT 1
#endif
#endif
#endif
#ifndef WD_DEDUP_FREE_AT_EXIT
#define WD_DEDUP_FREE_AT_EXIT 0
#endif

/* Output files. All are opened before the work starts (so a bad path fails
 * at once) and written only once the run has succeeded; after a failure the
 * ones created are removed, so a failed run leaves no partial output. */
enum { OUT_RECORDS, OUT_CLUSTERS, OUT_PAIRS, OUT_EXPLAIN, OUT_COUNT };

/* Which record of a cluster is kept. Ties always go to input order. */
enum keep_policy {
    KEEP_FIRST,      /* the earliest record */
    KEEP_LONGEST,    /* the longest text */
    KEEP_EARLIEST,   /* the smallest value of a field (dates, numbers) */
    KEEP_PRIORITY    /* the best-ranked value of a field in a list */
};

typedef struct dedup_opts {
    wd_params p;                /* engine parameters */
    corpus_opts in;             /* input format and JSONL fields */
    const char *out_path;       /* kept (or annotated) records */
    const char *clusters_path;  /* id, cluster, similarity */
    const char *pairs_path;     /* verified pairs */
    int annotate;               /* write every record with cluster fields */
    int stats;                  /* JSON summary on stderr */
    int quiet;                  /* no progress bar */
    enum on_error on_error;     /* what a bad record does */
    enum keep_policy keep;      /* which record of a cluster is kept */
    const char *keep_field;     /* field for earliest:/priority: */
    char *keep_list;            /* priority: comma-separated values, owned */
    const char *explain_path;   /* --explain */
    unsigned long batch;        /* records per batch */
    archive_opts ar;            /* --index, --index-mode, --index-batch */
} dedup_opts;

/* One record that reached the index (skipped ones never do). */
typedef struct rec {
    uint64_t off;       /* raw bytes in inputs[input] */
    uint64_t len;
    uint64_t num;       /* 1-based number among all records read */
    uint64_t id_off;    /* id in the ids arena when has_id */
    uint32_t id_len;
    uint32_t input;     /* which input */
    uint8_t has_id;     /* 0: the id is num */
    uint8_t bad;        /* kept unchanged after an error (--on-error=keep) */
    uint8_t json;       /* the record is a JSON object */
    uint8_t kind;       /* wd_match_kind of its own match */
    uint8_t has_key;    /* the --keep field was present */
    uint64_t key_off;   /* --keep field value in the keys arena */
    uint32_t key_len;
    uint32_t shingles;  /* distinct shingles */
    uint64_t text_len;  /* bytes of document text (--keep=longest) */
    uint64_t partner;   /* best verified partner (either side), if pkind */
    float pj, pc;       /* its estimated Jaccard and containment */
    uint8_t pkind;      /* wd_match_kind of that pair; NONE: no pair */
    uint8_t akind;      /* wd_match_kind of its best archived match; NONE: none */
    uint64_t adoc;      /* that archived document */
    float aj, ac;       /* its estimated Jaccard and containment */
} rec;

typedef struct dedup_run {
    dedup_opts o;
    wd_input *in;       /* loaded inputs */
    wd_format *fmt;     /* detected format of each input */
    int nin;
    rec *recs;          /* doc number -> record */
    uint64_t nrecs, cap_recs;
    wd_buf ids;         /* decoded ids */
    wd_buf keys;        /* decoded --keep field values */
    wd_out out[4];      /* OUT_*: opened before any work, written at the end */
    wd_pair *pairs;     /* verified pairs, in the order found (--pairs) */
    uint64_t npairs, cap_pairs;
    char numbuf[2][24]; /* ids of id-less records: two may be live at once */
    uint64_t records_in, skipped, errors, bytes;
    progress pg;        /* on stderr when it is a terminal */
    wd_archive *arch;   /* --index, or NULL */
    uint64_t *arch_of;  /* per cluster root: the member whose archived match names
                           the cluster's archived document, or NO_ARCH (--index) */
    wd_buf aname;       /* "archive:" + an archived id */
} dedup_run;

#define NO_ARCH UINT64_MAX

enum {
    O_OUTPUT = 1, O_CLUSTERS, O_PAIRS,
    O_ANNOTATE, O_STATS, O_ON_ERROR, O_KEEP, O_EXPLAIN, O_BATCH, O_QUIET, O_HELP
};

static const cli_opt dedup_tab[] = {
    { O_OUTPUT, 'o', "output", "FILE", "write kept records to FILE (default: - for stdout)" },
    { O_CLUSTERS, 0, "clusters", "FILE", "write id<TAB>cluster<TAB>similarity for every record" },
    { O_PAIRS, 0, "pairs", "FILE", "write verified pairs: a<TAB>b<TAB>jaccard<TAB>containment<TAB>kind" },
    { O_ANNOTATE, 0, "annotate", NULL, "write every record with cluster, dup_of, similarity added" },
    { O_STATS, 0, "stats", NULL, "print a JSON summary on stderr" },
    { O_ON_ERROR, 0, "on-error", "MODE", "bad record: fail (exit 3), skip, keep (default: fail)" },
    { O_KEEP, 0, "keep", "POLICY", "record kept per cluster: first, longest, earliest:FIELD, priority:FIELD=a,b,c (default: first)" },
    { O_EXPLAIN, 0, "explain", "FILE", "write why each clustered record is in its cluster (JSONL)" },
    { O_BATCH, 0, "batch", "N", "records per batch; never changes results (default: 4096)" },
    { O_QUIET, 'q', "quiet", NULL, "no progress bar (shown only when stderr is a terminal)" },
    { O_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

static void dedup_help(void)
{
    printf("Usage: wiredup dedup [OPTIONS] [FILE...]\n\n"
           "Clusters exact and near-duplicate documents and writes one record of each\n"
           "cluster (the first, or the one --keep picks), unchanged. Reads standard\n"
           "input when no FILE or '-' is given.\n"
           "Input: one document per line, JSONL (detected when the first non-blank\n"
           "byte is '{'), or NUL-separated records (-0).\n\nOptions:\n");
    cli_print_options(stdout, dedup_tab);
    printf("\nInput options:\n");
    cli_print_options(stdout, corpus_tab);
    printf("\nMatching options:\n");
    cli_print_options(stdout, cli_engine_tab);
    printf("\nIndex options:\n");
    cli_print_options(stdout, cli_index_tab);
    printf("\nPersistent index options:\n");
    cli_print_options(stdout, cli_archive_tab);
    printf("\nWith --index, a cluster any of whose records copies an archived document\n"
           "keeps none of them; outputs name that document 'archive:ID' (its stored id).\n"
           "Write mode then adds the kept records, in input order, after the outputs\n"
           "are written (empty documents are not stored). See 'wiredup index'.\n");
    printf("\nA bad record (malformed JSON, a missing or non-string text field) is\n"
           "reported as 'wiredup: error: FILE:LINE: what'. Empty documents and invalid\n"
           "UTF-8 are not errors: see 'Text rules' in wiredup(1).\n\n"
           "Exit codes: 0 ok, 2 usage error (also: --index built with other parameters),\n"
           "            3 bad or unreadable input (also: a missing or damaged index),\n"
           "            4 internal or resource error (out of memory, write failure,\n"
           "            an index that cannot be written: the index stays as it was).\n");
}

static int on_opt(void *ctx, int id, const char *v)
{
    dedup_opts *o = ctx;
    unsigned long u;
    if (id >= CLI_ENGINE_BASE) return cli_engine_opt("dedup", &o->p, id, v);
    if (id >= CORPUS_OPT_BASE) return corpus_opt("dedup", &o->in, id, v);
    if (id >= CLI_ARCHIVE_BASE) return archive_opt("dedup", &o->ar, id, v);
    switch (id) {
    case O_OUTPUT: o->out_path = v; break;
    case O_CLUSTERS: o->clusters_path = v; break;
    case O_PAIRS: o->pairs_path = v; break;
    case O_ANNOTATE: o->annotate = 1; break;
    case O_STATS: o->stats = 1; break;
    case O_ON_ERROR:
        if (!strcmp(v, "fail")) o->on_error = ON_FAIL;
        else if (!strcmp(v, "skip")) o->on_error = ON_SKIP;
        else if (!strcmp(v, "keep")) o->on_error = ON_KEEP;
        else return cli_bad_value("dedup", "on-error", v, "fail, skip or keep");
        break;
    case O_KEEP:
        if (!strcmp(v, "first")) o->keep = KEEP_FIRST;
        else if (!strcmp(v, "longest")) o->keep = KEEP_LONGEST;
        else if (!strncmp(v, "earliest:", 9) && v[9]) {
            o->keep = KEEP_EARLIEST;
            o->keep_field = v + 9;
        } else if (!strncmp(v, "priority:", 9) && strchr(v + 9, '=') > v + 9 &&
                   strchr(v + 9, '=')[1]) {
            o->keep = KEEP_PRIORITY;
            free(o->keep_list);
            o->keep_list = strdup(v + 9);      /* "FIELD=a,b,c" */
            if (!o->keep_list) return WD_EXIT_INTERNAL;
            char *eq = strchr(o->keep_list, '=');
            *eq = 0;
            o->keep_field = o->keep_list;
        } else
            return cli_bad_value("dedup", "keep", v, "first, longest, earliest:FIELD or priority:FIELD=a,b,c");
        break;
    case O_EXPLAIN: o->explain_path = v; break;
    case O_QUIET: o->quiet = 1; break;
    case O_BATCH:
        if (cli_uint(v, 1, 1UL << 24, &u)) return cli_bad_value("dedup", "batch", v, "1 to 16777216");
        o->batch = u;
        break;
    case O_HELP:
        dedup_help();
        return -1; /* stop: exit 0 */
    }
    return 0;
}

/* The id of record r as bytes; slot picks one of two number buffers so two
 * ids can be live at once. */
static const char *rec_id(dedup_run *R, const rec *r, int slot, int *len)
{
    if (r->has_id) {
        *len = (int)r->id_len;
        return R->ids.data + r->id_off;
    }
    *len = snprintf(R->numbuf[slot], sizeof R->numbuf[slot], "%llu", (unsigned long long)r->num);
    return R->numbuf[slot];
}

/* Remembers the best pair of each record, for --explain. */
static void note_partner(rec *r, uint64_t other, const wd_pair *pr)
{
    if (r->pkind == WD_MATCH_NONE || pr->jaccard > r->pj) {
        r->partner = other;
        r->pj = pr->jaccard;
        r->pc = pr->containment;
        r->pkind = (uint8_t)pr->kind;
    }
}

static int on_pair(void *ctx, const wd_pair *pr)
{
    dedup_run *R = ctx;
    note_partner(&R->recs[pr->a], pr->b, pr);
    note_partner(&R->recs[pr->b], pr->a, pr);
    if (!R->o.pairs_path) return 0;
    if (R->npairs == R->cap_pairs) {
        uint64_t cap = R->cap_pairs ? R->cap_pairs * 2 : 1024;
        wd_pair *n = realloc(R->pairs, cap * sizeof *n);
        if (!n) return WD_E_NOMEM;
        R->pairs = n;
        R->cap_pairs = cap;
    }
    R->pairs[R->npairs++] = *pr;
    return 0;
}

/* Writes an id as a TSV field: tab, newline, CR and backslash escaped as
 * \t \n \r \\ so every line keeps its columns. */
static void put_tsv(wd_out *o, const char *s, int n)
{
    int from = 0;
    for (int i = 0; i < n; i++) {
        const char *esc = s[i] == '\t' ? "\\t" : s[i] == '\n' ? "\\n" : s[i] == '\r' ? "\\r"
                        : s[i] == '\\' ? "\\\\" : NULL;
        if (!esc) continue;
        wd_out_write(o, s + from, (size_t)(i - from));
        wd_out_write(o, esc, 2);
        from = i + 1;
    }
    wd_out_write(o, s + from, (size_t)(n - from));
}

static void put_tsv_id(dedup_run *R, wd_out *o, uint64_t d)
{
    int len;
    const char *id = rec_id(R, &R->recs[d], 0, &len);
    put_tsv(o, id, len);
}

/* Keeps s[0..n) for the whole run (ids and --keep values). */
static int keep_copy(wd_buf *arena, const char *s, size_t n, uint64_t *off, uint32_t *len)
{
    size_t at;
    if (n > UINT32_MAX || wd_buf_append(arena, s, n, &at)) return -1;
    *off = at;
    *len = (uint32_t)n;
    return 0;
}

static int push_rec(dedup_run *R, const rec *r)
{
    if (R->nrecs == R->cap_recs) {
        uint64_t cap = R->cap_recs ? R->cap_recs * 2 : 4096;
        rec *n = realloc(R->recs, cap * sizeof *n);
        if (!n) return -1;
        R->recs = n;
        R->cap_recs = cap;
    }
    R->recs[R->nrecs++] = *r;
    return 0;
}

/*
 * Tells the index (and the record table) how many documents to expect, from
 * the records in the first MiB of the first input and the size of all of
 * them, so their tables are sized once instead of growing and copying. A
 * hint only: a wrong guess costs memory or a regrowth, never a result.
 */
static void reserve_estimate(dedup_run *R, wd_index *ix)
{
    uint64_t total = 0;
    for (int k = 0; k < R->nin; k++) total += R->in[k].len;
    if (R->nin == 0 || R->in[0].len == 0) return;
    size_t sample = R->in[0].len < ((size_t)1 << 20) ? R->in[0].len : (size_t)1 << 20;
    int sep = R->o.in.fmt == WD_FMT_NUL ? '\0' : '\n';
    uint64_t recs = 0;
    for (const char *p = R->in[0].data, *e = p + sample; (p = memchr(p, sep, (size_t)(e - p))); p++)
        recs++;
    if (recs < 16) return;  /* a few huge records: nothing worth sizing */
    uint64_t est = total / sample * recs + (uint64_t)R->nin;
    wd_index_reserve(ix, est); /* a hint: failing leaves the tables to grow */
    if (est > R->cap_recs && est < ((uint64_t)1 << 40)) {
        rec *n = realloc(R->recs, est * sizeof *n);
        if (n) {
            R->recs = n;
            R->cap_recs = est;
        }
    }
}

/*
 * --template-share: a first pass over every input that only counts
 * shingles (wd_index_learn), so each document is filtered with the counts
 * of the whole collection. The records are parsed again in the second
 * pass; keeping every decoded text instead would cost their size in memory.
 * Bad records are left to the second pass, which reports them in order.
 */
static int learn_inputs(dedup_run *R, wd_index *ix)
{
    const size_t batch = R->o.batch;
    cli_parser P;
    wd_span span;
    cli_raw *raw = malloc(batch * sizeof *raw);
    cli_parsed *ps = malloc(batch * sizeof *ps);
    wd_doc *docs = malloc(batch * sizeof *docs);
    int rc = cli_parser_init(&P, wd_index_params(ix)->threads, R->o.in.text_field, NULL, NULL);
    int st = WD_OK;
    if (rc || !raw || !ps || !docs) st = WD_E_NOMEM;
    for (int k = 0; k < R->nin && !st; k++) {
        const wd_input *in = &R->in[k];
        wd_format fmt = wd_format_detect(in->data, in->len, R->o.in.fmt);
        size_t pos = 0, nb;
        do {
            for (nb = 0; nb < batch && wd_record_next(in->data, in->len, fmt, &pos, &span); nb++)
                raw[nb] = (cli_raw){ in->data + span.off, span.len, in->readable - span.off };
            if (cli_parse_batch(&P, fmt, raw, nb, ps)) {
                st = WD_E_NOMEM;
                break;
            }
            size_t nd = 0;
            for (size_t i = 0; i < nb; i++)
                if (ps[i].ok) docs[nd++] = (wd_doc){ .text = ps[i].text, .len = ps[i].text_len };
            st = wd_index_learn(ix, docs, nd);
        } while (nb && !st);
    }
    cli_parser_free(&P);
    free(raw);
    free(ps);
    free(docs);
    if (st) cli_error("dedup: %s", wd_strerror(st));
    return st ? WD_EXIT_INTERNAL : WD_EXIT_OK;
}

/*
 * Reads every input in batches: parse in parallel, deal with bad records
 * in order, then hand the texts to the index.
 */
static int run_inputs(dedup_run *R, wd_index *ix)
{
    const unsigned nthreads = wd_index_params(ix)->threads;
    const size_t batch = R->o.batch;
    int rc = WD_EXIT_OK;
    cli_parser P;
    wd_span *span = malloc(batch * sizeof *span);
    cli_raw *raw = malloc(batch * sizeof *raw);
    cli_parsed *ps = malloc(batch * sizeof *ps);
    wd_doc *docs = malloc(batch * sizeof *docs);
    wd_match *m = malloc(batch * sizeof *m);
    int pinit = cli_parser_init(&P, nthreads, R->o.in.text_field, R->o.in.id_field,
                                R->o.keep_field);
    if (pinit || !span || !raw || !ps || !docs || !m) goto nomem;
    reserve_estimate(R, ix);

    uint64_t total = 0;
    for (int k = 0; k < R->nin; k++) total += R->in[k].len;
    progress_start(&R->pg, "dedup", "B", total, R->o.quiet);
    for (int k = 0; k < R->nin && rc == WD_EXIT_OK; k++) {
        const wd_input *in = &R->in[k];
        const char *name = wd_input_display(in);
        wd_format fmt = R->fmt[k] = wd_format_detect(in->data, in->len, R->o.in.fmt);
        size_t pos = 0;
        uint64_t line = 0;
        R->bytes += in->len;
        for (;;) {
            size_t nb = 0;
            while (nb < batch && wd_record_next(in->data, in->len, fmt, &pos, &span[nb])) {
                raw[nb] = (cli_raw){ in->data + span[nb].off, span[nb].len,
                                     in->readable - span[nb].off };
                nb++;
            }
            if (nb == 0) break;
            progress_update(&R->pg, R->bytes - in->len + pos);
            if (cli_parse_batch(&P, fmt, raw, nb, ps)) goto nomem;

            size_t nd = 0;
            for (size_t i = 0; i < nb; i++) {
                const cli_parsed *b = &ps[i];
                uint64_t lineno = ++line;
                rec r = { .off = span[i].off, .len = span[i].len, .num = ++R->records_in,
                          .input = (uint32_t)k, .json = fmt == WD_FMT_JSONL };
                docs[nd].text = b->ok ? b->text : NULL;
                docs[nd].len = b->ok ? b->text_len : 0; /* a bad record: empty, never a duplicate */
                if (!b->ok) {
                    R->errors++;
                    progress_clear(&R->pg);
                    if (R->o.on_error == ON_FAIL) {
                        cli_error("%s:%llu: %s", name, (unsigned long long)lineno, b->err);
                        rc = WD_EXIT_INPUT;
                        goto out;
                    }
                    if (R->o.on_error == ON_SKIP) {
                        cli_warn("%s:%llu: %s (record skipped)", name,
                                 (unsigned long long)lineno, b->err);
                        R->skipped++;
                        continue;
                    }
                    cli_warn("%s:%llu: %s (record kept unchanged)", name,
                             (unsigned long long)lineno, b->err);
                    r.bad = 1;
                    r.json = 0;
                } else {
                    if (b->id) {
                        if (keep_copy(&R->ids, b->id, b->id_len, &r.id_off, &r.id_len))
                            goto nomem;
                        r.has_id = 1;
                    }
                    if (b->key) {
                        if (keep_copy(&R->keys, b->key, b->key_len, &r.key_off, &r.key_len))
                            goto nomem;
                        r.has_key = 1;
                    }
                }
                r.text_len = docs[nd].len;
                if (push_rec(R, &r)) goto nomem;
                nd++;
            }
            int st = wd_index_add(ix, docs, nd, m);
            if (st) {
                progress_clear(&R->pg);
                cli_error("dedup: %s", wd_strerror(st));
                rc = WD_EXIT_INTERNAL;
                goto out;
            }
            for (size_t i = 0; i < nd; i++) {
                rec *r = &R->recs[R->nrecs - nd + i];
                r->kind = (uint8_t)m[i].kind;
                r->shingles = m[i].shingles;
                r->akind = (uint8_t)m[i].archived_kind;
                r->adoc = m[i].archived_doc;
                r->aj = m[i].archived_jaccard;
                r->ac = m[i].archived_containment;
            }
        }
    }
    goto out;
nomem:
    progress_clear(&R->pg);
    cli_error("dedup: out of memory");
    rc = WD_EXIT_INTERNAL;
out:
    progress_end(&R->pg);
    cli_parser_free(&P);
    free(span);
    free(raw);
    free(ps);
    free(docs);
    free(m);
    return rc;
}

/* Compares two --keep values: numerically when both are numbers, else
 * bytewise. */
static int key_cmp(const char *a, size_t la, const char *b, size_t lb)
{
    char ba[64], bb[64], *ea, *eb;
    if (la < sizeof ba && lb < sizeof bb) {
        memcpy(ba, a, la);
        ba[la] = 0;
        memcpy(bb, b, lb);
        bb[lb] = 0;
        double x = strtod(ba, &ea), y = strtod(bb, &eb);
        if (la && lb && !*ea && !*eb) return (x > y) - (x < y);
    }
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* Rank of a record's key in the priority list; unlisted and missing rank last. */
static size_t key_rank(const dedup_run *R, const rec *r)
{
    const char *list = R->o.keep_list + strlen(R->o.keep_list) + 1;
    size_t rank = 0;
    while (*list) {
        size_t n = strcspn(list, ",");
        if (r->has_key && n == r->key_len && !memcmp(list, R->keys.data + r->key_off, n))
            return rank;
        rank++;
        list += n + (list[n] == ',');
    }
    return rank + 1;
}

/* 1 when record x should be kept rather than y (y earlier in input). */
static int keep_better(const dedup_run *R, const rec *x, const rec *y)
{
    switch (R->o.keep) {
    case KEEP_FIRST:
        return 0;
    case KEEP_LONGEST:
        return x->text_len > y->text_len;
    case KEEP_EARLIEST:
        if (!x->has_key) return 0;
        if (!y->has_key) return 1;
        return key_cmp(R->keys.data + x->key_off, x->key_len, R->keys.data + y->key_off,
                       y->key_len) < 0;
    case KEEP_PRIORITY:
        return key_rank(R, x) < key_rank(R, y);
    }
    return 0;
}

/* kept[root] = the record kept for the cluster rooted at root. Records that
 * were kept unchanged after an error are singletons and stay kept. */
static void choose_kept(const dedup_run *R, const uint64_t *cl, uint64_t *kept)
{
    for (uint64_t d = 0; d < R->nrecs; d++) {
        if (cl[d] == d) kept[d] = d;
        else if (keep_better(R, &R->recs[d], &R->recs[kept[cl[d]]])) kept[cl[d]] = d;
    }
}

/* Estimated Jaccard of d with the record kept for its cluster. */
static double sim_to_kept(wd_index *ix, uint64_t d, uint64_t k)
{
    double j = 1.0, c;
    if (d != k) wd_index_similarity(ix, k, d, &j, &c);
    return j;
}

/* "archive:ID" for archived document adoc, in R->aname (valid until the
 * next call). */
static const char *arch_doc_name(dedup_run *R, uint64_t adoc, int *len)
{
    return archive_name(R->arch, adoc, &R->aname, len);
}

/* The archived document a cluster copies, or NO_ARCH. */
static uint64_t cluster_adoc(const dedup_run *R, uint64_t root)
{
    if (!R->arch_of || R->arch_of[root] == NO_ARCH) return NO_ARCH;
    return R->recs[R->arch_of[root]].adoc;
}

/* Estimated Jaccard of d with archived document adoc. */
static double sim_to_archived(dedup_run *R, wd_index *ix, uint64_t d, uint64_t adoc)
{
    double j = 0.0, c;
    wd_archive_similarity(R->arch, ix, d, adoc, &j, &c);
    return j;
}

/*
 * --index: a cluster any of whose records matches an archived document is a
 * copy of it, and the member with the best archived match (the earliest
 * among equals) names that document. arch_of[root] = that member.
 */
static int mark_archived(dedup_run *R, const uint64_t *cl)
{
    R->arch_of = malloc((R->nrecs ? R->nrecs : 1) * sizeof *R->arch_of);
    if (!R->arch_of) return -1;
    for (uint64_t d = 0; d < R->nrecs; d++) R->arch_of[d] = NO_ARCH;
    for (uint64_t d = 0; d < R->nrecs; d++) {
        const rec *r = &R->recs[d];
        uint64_t *m = &R->arch_of[cl[d]];
        if (r->akind != WD_MATCH_NONE && (*m == NO_ARCH || r->aj > R->recs[*m].aj)) *m = d;
    }
    return 0;
}

/* Writes record r as a JSON object with the cluster fields added; an (alen
 * bytes), when not NULL, names the archived document its cluster copies. */
static void write_annotated(dedup_run *R, wd_out *o, wd_buf *tmp, const rec *r,
                            const rec *first, const rec *kept, double sim,
                            const char *an, int alen)
{
    const char *raw = R->in[r->input].data + r->off;
    const char term = R->fmt[r->input] == WD_FMT_NUL ? '\0' : '\n';
    if (r->bad) {               /* not JSON we understood: as it came */
        wd_out_write(o, raw, r->len);
        wd_out_write(o, &term, 1);
        return;
    }
    int len;
    const char *id = rec_id(R, r, 0, &len);
    cli_write_object_open(o, tmp, raw, r->len, r->json, id, (size_t)len);
    tmp->len = 0;
    id = an ? an : rec_id(R, first, 0, &len);
    if (an) len = alen;
    wd_json_quote(id, (size_t)len, tmp);
    wd_out_write(o, "\"cluster\":", 10);
    wd_out_write(o, tmp->data, tmp->len);
    if (kept == r && !an) wd_out_write(o, ",\"dup_of\":null", 14);
    else {
        tmp->len = 0;
        id = an ? an : rec_id(R, kept, 0, &len);
        if (an) len = alen;
        wd_json_quote(id, (size_t)len, tmp);
        wd_out_write(o, ",\"dup_of\":", 10);
        wd_out_write(o, tmp->data, tmp->len);
    }
    wd_out_printf(o, ",\"similarity\":%.4f}\n", sim);
}

/* One JSONL line for each record in a cluster of two or more. */
static void write_explain(dedup_run *R, wd_out *o, wd_buf *tmp, const uint64_t *cl,
                          const uint64_t *kept, const wd_params *p)
{
    static const char *sketch[] = { "minhash", "oph", "simhash" };
    for (uint64_t d = 0; d < R->nrecs && !wd_out_closed_pipe(o); d++) {
        const rec *r = &R->recs[d];
        /* With --index a record matching an archived document is explained
         * by that match, and a copy's cluster and kept record are the
         * archived document. */
        const int direct = r->akind != WD_MATCH_NONE;
        if (r->pkind == WD_MATCH_NONE && !direct) continue; /* alone in its cluster */
        const rec *m = &R->recs[r->partner];
        const uint64_t k = kept[cl[d]], adoc = cluster_adoc(R, cl[d]);
        unsigned mshingles = m->shingles;
        const wd_match_kind kind = direct ? r->akind : r->pkind;
        const double j = direct ? r->aj : r->pj, c = direct ? r->ac : r->pc;
        if (direct) {
            const char *id;
            size_t n;
            if (wd_archive_id(R->arch, r->adoc, &id, &n, &mshingles)) mshingles = 0;
        }
        double shared = kind == WD_MATCH_EXACT
                            ? r->shingles
                            : j * ((double)r->shingles + mshingles) / (1.0 + j);
        const struct { const char *name; const rec *who; uint64_t adoc; } f[] = {
            { "{\"id\":", r, NO_ARCH }, { ",\"cluster\":", &R->recs[cl[d]], adoc },
            { ",\"kept\":", &R->recs[k], adoc }, { ",\"matched\":", m, direct ? r->adoc : NO_ARCH },
        };
        for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
            int len;
            const char *id = f[i].adoc != NO_ARCH ? arch_doc_name(R, f[i].adoc, &len)
                                                  : rec_id(R, f[i].who, 0, &len);
            tmp->len = 0;
            wd_json_quote(id, (size_t)len, tmp);
            wd_out_printf(o, "%s%.*s", f[i].name, (int)tmp->len, tmp->data);
        }
        wd_out_printf(o, ",\"status\":\"%s\",\"method\":\"%s\",\"jaccard\":%.4f,"
                         "\"containment\":%.4f,\"shared_shingles\":%.0f,\"shingles\":%u,"
                         "\"matched_shingles\":%u}\n",
                      k == d && adoc == NO_ARCH ? "kept" : "dropped",
                      kind == WD_MATCH_EXACT ? "exact" : sketch[p->sketch], j, c,
                      shared, r->shingles, mshingles);
    }
}

static const char *out_path(const dedup_run *R, int k)
{
    const char *p[OUT_COUNT] = { R->o.out_path, R->o.clusters_path, R->o.pairs_path,
                                 R->o.explain_path };
    return p[k];
}

/* Opens every requested output; on failure reports it and closes the rest. */
static int open_outputs(dedup_run *R)
{
    for (int k = 0; k < OUT_COUNT; k++) {
        const char *path = out_path(R, k);
        if (!path) continue;
        if (wd_out_open(&R->out[k], path, 1)) {
            cli_error("%s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* After a failure: close the outputs and remove the files this run created
 * (never a file that existed before, nor a device such as /dev/null). */
static void discard_outputs(dedup_run *R)
{
    for (int k = 0; k < OUT_COUNT; k++) wd_out_discard(&R->out[k]);
}

static int write_outputs(dedup_run *R, wd_index *ix, const uint64_t *cl, const uint64_t *kept)
{
    int rc = WD_EXIT_OK;
    wd_buf tmp = {0};
    wd_out *o = &R->out[OUT_CLUSTERS];
    for (uint64_t d = 0; o->f && d < R->nrecs && !wd_out_closed_pipe(o); d++) {
        const uint64_t adoc = cluster_adoc(R, cl[d]);
        put_tsv_id(R, o, d);
        wd_out_write(o, "\t", 1);
        if (adoc != NO_ARCH) {
            int len;
            const char *an = arch_doc_name(R, adoc, &len);
            put_tsv(o, an, len);
            wd_out_printf(o, "\t%.4f\n", sim_to_archived(R, ix, d, adoc));
            continue;
        }
        put_tsv_id(R, o, cl[d]);
        wd_out_printf(o, "\t%.4f\n", sim_to_kept(ix, d, kept[cl[d]]));
    }
    o = &R->out[OUT_PAIRS];
    for (uint64_t i = 0; o->f && i < R->npairs && !wd_out_closed_pipe(o); i++) {
        const wd_pair *pr = &R->pairs[i];
        put_tsv_id(R, o, pr->a);
        wd_out_write(o, "\t", 1);
        put_tsv_id(R, o, pr->b);
        wd_out_printf(o, "\t%.4f\t%.4f\t%s\n", pr->jaccard, pr->containment,
                      pr->kind == WD_MATCH_EXACT ? "exact" : "near");
    }
    /* --index: then each record's best archived match, in input order */
    for (uint64_t d = 0; o->f && R->arch && d < R->nrecs && !wd_out_closed_pipe(o); d++) {
        const rec *r = &R->recs[d];
        if (r->akind == WD_MATCH_NONE) continue;
        int len;
        const char *an = arch_doc_name(R, r->adoc, &len);
        put_tsv(o, an, len);
        wd_out_write(o, "\t", 1);
        put_tsv_id(R, o, d);
        wd_out_printf(o, "\t%.4f\t%.4f\t%s\n", r->aj, r->ac,
                      r->akind == WD_MATCH_EXACT ? "exact" : "near");
    }
    if (R->out[OUT_EXPLAIN].f)
        write_explain(R, &R->out[OUT_EXPLAIN], &tmp, cl, kept, wd_index_params(ix));
    o = &R->out[OUT_RECORDS];
    for (uint64_t d = 0; d < R->nrecs && !wd_out_closed_pipe(o); d++) {
        const rec *r = &R->recs[d];
        uint64_t k = kept[cl[d]], adoc = cluster_adoc(R, cl[d]);
        if (R->o.annotate && adoc != NO_ARCH) {
            double sim = sim_to_archived(R, ix, d, adoc);
            int len;
            const char *an = arch_doc_name(R, adoc, &len);
            write_annotated(R, o, &tmp, r, &R->recs[cl[d]], &R->recs[k], sim, an, len);
        } else if (R->o.annotate) {
            write_annotated(R, o, &tmp, r, &R->recs[cl[d]], &R->recs[k], sim_to_kept(ix, d, k),
                            NULL, 0);
        } else if (k == d && adoc == NO_ARCH) {
            char term = R->fmt[r->input] == WD_FMT_NUL ? '\0' : '\n';
            wd_out_write(o, R->in[r->input].data + r->off, r->len);
            wd_out_write(o, &term, 1);
        }
    }
    for (int k = 0; k < OUT_COUNT; k++) {
        if (!R->out[k].f) continue;
        if (wd_out_close(&R->out[k])) {
            const char *path = out_path(R, k);
            cli_error("%s: write failed: %s", strcmp(path, "-") ? path : "<stdout>",
                      strerror(R->out[k].err));
            rc = WD_EXIT_INTERNAL;
        }
    }
    wd_buf_free(&tmp);
    return rc;
}

static void print_stats(dedup_run *R, const uint64_t *cl, const wd_params *p, double secs)
{
    uint64_t kept = 0, exact = 0, clusters = 0, copies = 0;
    uint64_t *size = calloc(R->nrecs ? R->nrecs : 1, sizeof *size);
    for (uint64_t d = 0; d < R->nrecs; d++) {
        int copy = cluster_adoc(R, cl[d]) != NO_ARCH;
        copies += copy;
        kept += cl[d] == d && !copy;  /* one kept record per cluster, whichever it is */
        exact += R->recs[d].kind == WD_MATCH_EXACT;
        if (size && ++size[cl[d]] == 2) clusters++;
    }
    free(size);
    char arch[64] = ""; /* only with --index, so other runs print what they did */
    if (R->arch)
        snprintf(arch, sizeof arch, "\"archived_copies\":%llu,", (unsigned long long)copies);
    fprintf(stderr,
            "{\"records_in\":%llu,\"kept\":%llu,\"duplicates\":%llu,\"exact_duplicates\":%llu,"
            "\"skipped\":%llu,\"errors\":%llu,\"clusters\":%llu,%s\"bytes\":%llu,\"bands\":%u,"
            "\"rows\":%u,\"threads\":%u,"
            "\"seconds\":%.3f,\"mb_per_s\":%.1f}\n",
            (unsigned long long)R->records_in, (unsigned long long)kept,
            (unsigned long long)(R->nrecs - kept), (unsigned long long)exact,
            (unsigned long long)R->skipped, (unsigned long long)R->errors,
            (unsigned long long)clusters, arch, (unsigned long long)R->bytes, p->bands, p->rows,
            p->threads, secs,
            secs > 0 ? R->bytes / 1e6 / secs : 0.0);
}

/*
 * --index in write mode, after the outputs are written: adds the kept
 * records of clusters that copy nothing archived, in input order, in
 * transactions of --index-batch documents. Empty documents are left out:
 * never duplicates, a rerun would store them again. A kill between two
 * commits leaves whole batches; rerunning the input finds them archived and
 * adds the rest.
 */
static int archive_kept(dedup_run *R, wd_index *ix, const uint64_t *cl, const uint64_t *kept)
{
    int st = WD_OK, open = 0;
    uint64_t added = 0;
    for (uint64_t d = 0; d < R->nrecs && !st; d++) {
        const rec *r = &R->recs[d];
        if (kept[cl[d]] != d || cluster_adoc(R, cl[d]) != NO_ARCH || r->bad || !r->shingles)
            continue;
        if (!open && (st = wd_archive_begin(R->arch))) break;
        open = 1;
        int len;
        const char *id = rec_id(R, r, 0, &len);
        if ((st = wd_archive_put(R->arch, ix, d, id, (size_t)len))) break;
        if (++added % R->o.ar.batch == 0) {
            open = 0;
            st = wd_archive_commit(R->arch);
        }
    }
    if (!st && open) {
        open = 0;
        st = wd_archive_commit(R->arch);
    }
    if (!st) return WD_EXIT_OK;
    if (open) wd_archive_abort(R->arch);
    return archive_add_failed(&R->o.ar, R->arch, st);
}

int cmd_dedup(int argc, char **argv)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dedup_run R;
    memset(&R, 0, sizeof R);
    dedup_opts *o = &R.o;
    wd_params_default(&o->p);
    corpus_opts_default(&o->in);
    o->out_path = "-";
    o->batch = 4096;
    archive_opts_default(&o->ar);
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ dedup_tab, corpus_tab, cli_engine_tab,
                                                 cli_index_tab, cli_archive_tab, NULL },
                       argc, argv, on_opt, o, &nops);
    if (rc) return rc < 0 ? WD_EXIT_OK : rc;
    if ((rc = cli_engine_check("dedup", &o->p))) return rc;
    wd_index *ix = NULL;

    static char *stdin_only[] = { "-" };
    char **files = nops ? argv + 1 : stdin_only;
    if ((rc = archive_check("dedup", &o->ar, &o->p))) return rc; /* before anything is created */
    R.nin = nops ? nops : 1;
    R.in = calloc((size_t)R.nin, sizeof *R.in);
    R.fmt = calloc((size_t)R.nin, sizeof *R.fmt);
    if (!R.in || !R.fmt) {
        cli_error("dedup: out of memory");
        free(R.in);
        free(R.fmt);
        return WD_EXIT_INTERNAL;
    }
    for (int k = 0; k < R.nin; k++) {
        char err[256];
        if (wd_input_load(files[k], &R.in[k], err, sizeof err)) {
            cli_error("%s: %s", strcmp(files[k], "-") ? files[k] : "<stdin>", err);
            rc = WD_EXIT_INPUT;
            goto done;
        }
    }

    if (o->ar.path && (rc = archive_open(&o->ar, &o->p, &R.arch))) goto done;
    int st = wd_index_create(&o->p, &ix);
    if (!st && R.arch && (rc = archive_attach("dedup", ix, R.arch))) goto free_ix;
    if (st) {
        cli_error("dedup: %s", wd_strerror(st));
        rc = st == WD_E_INVALID ? WD_EXIT_USAGE : WD_EXIT_INTERNAL;
        goto free_ix;
    }
    if (open_outputs(&R)) {
        rc = WD_EXIT_INTERNAL;
        goto free_ix;
    }
    wd_index_on_pair(ix, on_pair, &R);
    if (o->p.template_share > 0) rc = learn_inputs(&R, ix);
    if (rc == WD_EXIT_OK) rc = run_inputs(&R, ix);
    if (rc == WD_EXIT_OK) {
        uint64_t *cl = malloc((R.nrecs ? R.nrecs : 1) * sizeof *cl);
        uint64_t *kept = malloc((R.nrecs ? R.nrecs : 1) * sizeof *kept);
        if (!cl || !kept || (R.arch && (wd_index_clusters(ix, cl), mark_archived(&R, cl)))) {
            cli_error("dedup: out of memory");
            rc = WD_EXIT_INTERNAL;
        } else {
            wd_index_clusters(ix, cl);
            choose_kept(&R, cl, kept);
            rc = write_outputs(&R, ix, cl, kept);
            if (rc == WD_EXIT_OK && R.arch && o->ar.write) rc = archive_kept(&R, ix, cl, kept);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (o->stats)
                print_stats(&R, cl, wd_index_params(ix),
                            (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
        }
        free(cl);
        free(kept);
    }
free_ix:
    if (rc != WD_EXIT_OK) discard_outputs(&R);
#if WD_DEDUP_FREE_AT_EXIT
    wd_index_free(ix);
done:
    for (int k = 0; k < R.nin; k++) wd_input_close(&R.in[k]);
#else
    (void)ix; /* the process exits next: see WD_DEDUP_FREE_AT_EXIT */
done:
#endif
    wd_archive_close(R.arch); /* always: releases LMDB's reader slots and writer lock */
    free(R.arch_of);
    wd_buf_free(&R.aname);
    free(R.in);
    free(R.fmt);
    free(R.recs);
    free(R.pairs);
    free(o->keep_list);
    wd_buf_free(&R.ids);
    wd_buf_free(&R.keys);
    return rc;
}
