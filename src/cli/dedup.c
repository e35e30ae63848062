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
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wiredup.h"
#include "cli.h"
#include "engine_opts.h"
#include "options.h"
#include "../io/input.h"
#include "../io/json.h"
#include "../io/output.h"
#include "../io/records.h"

enum on_error { ON_FAIL, ON_SKIP, ON_KEEP };

typedef struct dedup_opts {
    wd_params p;                /* engine parameters */
    wd_format fmt;              /* asked input format */
    const char *text_field;     /* JSONL field holding the text */
    const char *id_field;       /* JSONL field holding the id */
    const char *out_path;       /* kept (or annotated) records */
    const char *clusters_path;  /* id, cluster, similarity */
    const char *pairs_path;     /* verified pairs */
    int annotate;               /* write every record with cluster fields */
    int stats;                  /* JSON summary on stderr */
    enum on_error on_error;     /* what a bad record does */
    unsigned long batch;        /* records per batch */
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
    uint8_t kind;       /* wd_match_kind */
} rec;

typedef struct dedup_run {
    dedup_opts o;
    wd_input *in;       /* loaded inputs */
    wd_format *fmt;     /* detected format of each input */
    int nin;
    rec *recs;          /* doc number -> record */
    uint64_t nrecs, cap_recs;
    wd_buf ids;         /* decoded ids */
    wd_out pairs;       /* --pairs */
    char numbuf[2][24]; /* ids of id-less records, for rec_id() */
    uint64_t records_in, skipped, errors, bytes;
} dedup_run;

enum {
    O_FORMAT = 1, O_NULL, O_TEXT_FIELD, O_ID_FIELD, O_OUTPUT, O_CLUSTERS, O_PAIRS,
    O_ANNOTATE, O_STATS, O_ON_ERROR, O_BATCH, O_HELP
};

static const cli_opt dedup_tab[] = {
    { O_FORMAT, 0, "format", "FMT", "input format: auto, lines, jsonl, nul (default: auto)" },
    { O_NULL, '0', "null", NULL, "records end with NUL bytes (same as --format=nul)" },
    { O_TEXT_FIELD, 0, "text-field", "NAME", "JSONL field with the text (default: text)" },
    { O_ID_FIELD, 0, "id-field", "NAME", "JSONL field with the id (default: id; else the record number)" },
    { O_OUTPUT, 'o', "output", "FILE", "write kept records to FILE (default: - for stdout)" },
    { O_CLUSTERS, 0, "clusters", "FILE", "write id<TAB>cluster<TAB>similarity for every record" },
    { O_PAIRS, 0, "pairs", "FILE", "write verified pairs: a<TAB>b<TAB>jaccard<TAB>containment<TAB>kind" },
    { O_ANNOTATE, 0, "annotate", NULL, "write every record with cluster, dup_of, similarity added" },
    { O_STATS, 0, "stats", NULL, "print a JSON summary on stderr" },
    { O_ON_ERROR, 0, "on-error", "MODE", "bad record: fail (exit 3), skip, keep (default: fail)" },
    { O_BATCH, 0, "batch", "N", "records per batch; never changes results (default: 4096)" },
    { O_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

static void dedup_help(void)
{
    printf("Usage: wiredup dedup [OPTIONS] [FILE...]\n\n"
           "Clusters exact and near-duplicate documents and writes the first record of\n"
           "each cluster, unchanged. Reads standard input when no FILE or '-' is given.\n"
           "Input: one document per line, JSONL (detected when the first non-blank\n"
           "byte is '{'), or NUL-separated records (-0).\n\nOptions:\n");
    cli_print_options(stdout, dedup_tab);
    printf("\nMatching options:\n");
    cli_print_options(stdout, cli_engine_tab);
    printf("\nA bad record (malformed JSON, a missing or non-string text field) is\n"
           "reported as 'wiredup: error: FILE:LINE: what'. Empty documents and invalid\n"
           "UTF-8 are not errors: see 'Text rules' in wiredup(1).\n\n"
           "Exit codes: 0 ok, 2 usage error, 3 bad or unreadable input,\n"
           "            4 internal or resource error (out of memory, write failure).\n");
}

static int bad_value(const char *opt, const char *val, const char *want)
{
    cli_error("dedup: invalid value '%s' for --%s (expected %s)", val, opt, want);
    return WD_EXIT_USAGE;
}

static int on_opt(void *ctx, int id, const char *v)
{
    dedup_opts *o = ctx;
    unsigned long u;
    if (id >= CLI_ENGINE_BASE) return cli_engine_opt("dedup", &o->p, id, v);
    switch (id) {
    case O_FORMAT:
        if (!strcmp(v, "auto")) o->fmt = WD_FMT_AUTO;
        else if (!strcmp(v, "lines")) o->fmt = WD_FMT_LINES;
        else if (!strcmp(v, "jsonl")) o->fmt = WD_FMT_JSONL;
        else if (!strcmp(v, "nul")) o->fmt = WD_FMT_NUL;
        else return bad_value("format", v, "auto, lines, jsonl or nul");
        break;
    case O_NULL: o->fmt = WD_FMT_NUL; break;
    case O_TEXT_FIELD: o->text_field = v; break;
    case O_ID_FIELD: o->id_field = v; break;
    case O_OUTPUT: o->out_path = v; break;
    case O_CLUSTERS: o->clusters_path = v; break;
    case O_PAIRS: o->pairs_path = v; break;
    case O_ANNOTATE: o->annotate = 1; break;
    case O_STATS: o->stats = 1; break;
    case O_ON_ERROR:
        if (!strcmp(v, "fail")) o->on_error = ON_FAIL;
        else if (!strcmp(v, "skip")) o->on_error = ON_SKIP;
        else if (!strcmp(v, "keep")) o->on_error = ON_KEEP;
        else return bad_value("on-error", v, "fail, skip or keep");
        break;
    case O_BATCH:
        if (cli_uint(v, 1, 1UL << 24, &u)) return bad_value("batch", v, "1 to 16777216");
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

static int on_pair(void *ctx, const wd_pair *pr)
{
    dedup_run *R = ctx;
    int la, lb;
    const char *a = rec_id(R, &R->recs[pr->a], 0, &la);
    const char *b = rec_id(R, &R->recs[pr->b], 1, &lb);
    wd_out_printf(&R->pairs, "%.*s\t%.*s\t%.4f\t%.4f\t%s\n", la, a, lb, b, pr->jaccard,
                  pr->containment, pr->kind == WD_MATCH_EXACT ? "exact" : "near");
    return 0;
}

/* Per-thread state for parsing a batch. */
typedef struct parse_slot {
    wd_json *json;
    wd_buf arena;
} parse_slot;

/* A record of the current batch. */
typedef struct batch_rec {
    wd_span span;
    uint64_t line;
    int slot;                 /* thread whose arena holds text and id */
    wd_json_fields f;
    int ok;                   /* 0: err holds the message */
    char err[160];
} batch_rec;

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
 * Reads every input in batches: parse in parallel, deal with bad records
 * in order, then hand the texts to the index.
 */
static int run_inputs(dedup_run *R, wd_index *ix)
{
    const unsigned nthreads = wd_index_params(ix)->threads;
    const size_t batch = R->o.batch;
    int rc = WD_EXIT_OK;
    parse_slot *slots = calloc(nthreads, sizeof *slots);
    batch_rec *br = malloc(batch * sizeof *br);
    wd_doc *docs = malloc(batch * sizeof *docs);
    wd_match *m = malloc(batch * sizeof *m);
    if (!slots || !br || !docs || !m) goto nomem;
    for (unsigned t = 0; t < nthreads; t++)
        if (!(slots[t].json = wd_json_new())) goto nomem;

    for (int k = 0; k < R->nin && rc == WD_EXIT_OK; k++) {
        const wd_input *in = &R->in[k];
        const char *name = wd_input_display(in);
        wd_format fmt = R->fmt[k] = wd_format_detect(in->data, in->len, R->o.fmt);
        size_t pos = 0;
        uint64_t line = 0;
        R->bytes += in->len;
        for (;;) {
            size_t nb = 0;
            while (nb < batch && wd_record_next(in->data, in->len, fmt, &pos, &br[nb].span))
                br[nb++].line = ++line;
            if (nb == 0) break;
            for (unsigned t = 0; t < nthreads; t++) slots[t].arena.len = 0;

            if (fmt == WD_FMT_JSONL) {
                #pragma omp parallel for num_threads(nthreads) schedule(dynamic, 64)
                for (size_t i = 0; i < nb; i++) {
                    int t = omp_get_thread_num();
                    batch_rec *b = &br[i];
                    b->slot = t;
                    b->ok = wd_json_extract(slots[t].json, in->data + b->span.off, b->span.len,
                                            in->readable - b->span.off, R->o.text_field,
                                            R->o.id_field, &slots[t].arena, &b->f,
                                            b->err, sizeof b->err) == 0;
                }
            } else {
                for (size_t i = 0; i < nb; i++) br[i].ok = 1;
            }

            size_t nd = 0;
            for (size_t i = 0; i < nb; i++) {
                batch_rec *b = &br[i];
                rec r = { .off = b->span.off, .len = b->span.len, .num = ++R->records_in,
                          .input = (uint32_t)k, .json = fmt == WD_FMT_JSONL };
                docs[nd].text = in->data + b->span.off;
                docs[nd].len = b->span.len;
                if (!b->ok) {
                    R->errors++;
                    if (R->o.on_error == ON_FAIL) {
                        cli_error("%s:%llu: %s", name, (unsigned long long)b->line, b->err);
                        rc = WD_EXIT_INPUT;
                        goto out;
                    }
                    if (R->o.on_error == ON_SKIP) {
                        cli_warn("%s:%llu: %s (record skipped)", name,
                                 (unsigned long long)b->line, b->err);
                        R->skipped++;
                        continue;
                    }
                    cli_warn("%s:%llu: %s (record kept unchanged)", name,
                             (unsigned long long)b->line, b->err);
                    r.bad = 1;
                    r.json = 0;
                    docs[nd].len = 0; /* an empty document: never a duplicate */
                } else if (fmt == WD_FMT_JSONL) {
                    const wd_buf *a = &slots[b->slot].arena;
                    docs[nd].text = a->data + b->f.text_off;
                    docs[nd].len = b->f.text_len;
                    if (b->f.has_id) {
                        if (wd_buf_reserve(&R->ids, R->ids.len + b->f.id_len) ||
                            b->f.id_len > UINT32_MAX)
                            goto nomem;
                        memcpy(R->ids.data + R->ids.len, a->data + b->f.id_off, b->f.id_len);
                        r.has_id = 1;
                        r.id_off = R->ids.len;
                        r.id_len = (uint32_t)b->f.id_len;
                        R->ids.len += b->f.id_len;
                    }
                }
                if (push_rec(R, &r)) goto nomem;
                nd++;
            }
            int st = wd_index_add(ix, docs, nd, m);
            if (st) {
                cli_error("dedup: %s", wd_strerror(st));
                rc = WD_EXIT_INTERNAL;
                goto out;
            }
            for (size_t i = 0; i < nd; i++) R->recs[R->nrecs - nd + i].kind = (uint8_t)m[i].kind;
        }
    }
    goto out;
nomem:
    cli_error("dedup: out of memory");
    rc = WD_EXIT_INTERNAL;
out:
    if (slots) {
        for (unsigned t = 0; t < nthreads; t++) {
            wd_json_free(slots[t].json);
            wd_buf_free(&slots[t].arena);
        }
    }
    free(slots);
    free(br);
    free(docs);
    free(m);
    return rc;
}

/* Writes record r as a JSON object with the cluster fields added. */
static void write_annotated(dedup_run *R, wd_out *o, wd_buf *tmp, const rec *r,
                            const rec *cl, double sim)
{
    const char *raw = R->in[r->input].data + r->off;
    const char term = R->fmt[r->input] == WD_FMT_NUL ? '\0' : '\n';
    if (r->bad) {               /* not JSON we understood: as it came */
        wd_out_write(o, raw, r->len);
        wd_out_write(o, &term, 1);
        return;
    }
    int lc, lr;
    const char *cid = rec_id(R, cl, 0, &lc);
    tmp->len = 0;
    if (r->json) {              /* the object up to its closing brace */
        size_t end = r->len;
        while (end && raw[end - 1] != '}') end--;
        size_t k = end - 1;
        while (k && (raw[k - 1] == ' ' || raw[k - 1] == '\t' || raw[k - 1] == '\n' || raw[k - 1] == '\r')) k--;
        wd_out_write(o, raw, end - 1);
        if (raw[k - 1] != '{') wd_out_write(o, ",", 1);
    } else {                    /* a text record becomes an object */
        const char *id = rec_id(R, r, 1, &lr);
        wd_out_write(o, "{\"id\":", 6);
        wd_json_quote(id, (size_t)lr, tmp);
        wd_out_write(o, tmp->data, tmp->len);
        tmp->len = 0;
        wd_out_write(o, ",\"text\":", 8);
        wd_json_quote(raw, r->len, tmp);
        wd_out_write(o, tmp->data, tmp->len);
        wd_out_write(o, ",", 1);
    }
    tmp->len = 0;
    wd_json_quote(cid, (size_t)lc, tmp);
    wd_out_write(o, "\"cluster\":", 10);
    wd_out_write(o, tmp->data, tmp->len);
    if (cl == r) wd_out_write(o, ",\"dup_of\":null", 14);
    else {
        wd_out_write(o, ",\"dup_of\":", 10);
        wd_out_write(o, tmp->data, tmp->len);
    }
    wd_out_printf(o, ",\"similarity\":%.4f}\n", sim);
}

static int write_outputs(dedup_run *R, wd_index *ix, const uint64_t *cl)
{
    int rc = WD_EXIT_OK;
    wd_buf tmp = {0};
    if (R->o.clusters_path) {
        wd_out c;
        if (wd_out_open(&c, R->o.clusters_path)) {
            cli_error("%s: %s", R->o.clusters_path, strerror(errno));
            return WD_EXIT_INTERNAL;
        }
        for (uint64_t d = 0; d < R->nrecs && !wd_out_closed_pipe(&c); d++) {
            double j, ct;
            wd_index_similarity(ix, cl[d], d, &j, &ct);
            if (cl[d] == d) j = 1.0;
            int li, lc;
            const char *id = rec_id(R, &R->recs[d], 0, &li);
            const char *cid = rec_id(R, &R->recs[cl[d]], 1, &lc);
            wd_out_printf(&c, "%.*s\t%.*s\t%.4f\n", li, id, lc, cid, j);
        }
        if (wd_out_close(&c)) {
            cli_error("%s: %s", R->o.clusters_path, strerror(c.err));
            return WD_EXIT_INTERNAL;
        }
    }
    wd_out o;
    if (wd_out_open(&o, R->o.out_path)) {
        cli_error("%s: %s", R->o.out_path, strerror(errno));
        return WD_EXIT_INTERNAL;
    }
    for (uint64_t d = 0; d < R->nrecs && !wd_out_closed_pipe(&o); d++) {
        const rec *r = &R->recs[d];
        if (R->o.annotate) {
            double j = 1.0, ct;
            if (cl[d] != d) wd_index_similarity(ix, cl[d], d, &j, &ct);
            write_annotated(R, &o, &tmp, r, &R->recs[cl[d]], j);
        } else if (cl[d] == d) {
            char term = R->fmt[r->input] == WD_FMT_NUL ? '\0' : '\n';
            wd_out_write(&o, R->in[r->input].data + r->off, r->len);
            wd_out_write(&o, &term, 1);
        }
    }
    if (wd_out_close(&o)) {
        cli_error("%s: write failed: %s", !strcmp(R->o.out_path, "-") ? "<stdout>" : R->o.out_path,
                  strerror(o.err));
        rc = WD_EXIT_INTERNAL;
    }
    wd_buf_free(&tmp);
    return rc;
}

static void print_stats(dedup_run *R, const uint64_t *cl, const wd_params *p, double secs)
{
    uint64_t kept = 0, exact = 0, clusters = 0;
    uint64_t *size = calloc(R->nrecs ? R->nrecs : 1, sizeof *size);
    for (uint64_t d = 0; d < R->nrecs; d++) {
        kept += cl[d] == d;
        exact += R->recs[d].kind == WD_MATCH_EXACT;
        if (size && ++size[cl[d]] == 2) clusters++;
    }
    free(size);
    fprintf(stderr,
            "{\"records_in\":%llu,\"kept\":%llu,\"duplicates\":%llu,\"exact_duplicates\":%llu,"
            "\"skipped\":%llu,\"errors\":%llu,\"clusters\":%llu,\"bytes\":%llu,\"bands\":%u,"
            "\"rows\":%u,\"threads\":%u,"
            "\"seconds\":%.3f,\"mb_per_s\":%.1f}\n",
            (unsigned long long)R->records_in, (unsigned long long)kept,
            (unsigned long long)(R->nrecs - kept), (unsigned long long)exact,
            (unsigned long long)R->skipped, (unsigned long long)R->errors,
            (unsigned long long)clusters, (unsigned long long)R->bytes, p->bands, p->rows,
            p->threads, secs,
            secs > 0 ? R->bytes / 1e6 / secs : 0.0);
}

int cmd_dedup(int argc, char **argv)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dedup_run R;
    memset(&R, 0, sizeof R);
    dedup_opts *o = &R.o;
    wd_params_default(&o->p);
    o->text_field = "text";
    o->id_field = "id";
    o->out_path = "-";
    o->batch = 4096;
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ dedup_tab, cli_engine_tab, NULL }, argc, argv,
                       on_opt, o, &nops);
    if (rc) return rc < 0 ? WD_EXIT_OK : rc;
    if ((rc = cli_engine_check("dedup", &o->p))) return rc;

    static char *stdin_only[] = { "-" };
    char **files = nops ? argv + 1 : stdin_only;
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

    wd_index *ix = NULL;
    int st = wd_index_create(&o->p, &ix);
    if (st) {
        cli_error("dedup: %s", wd_strerror(st));
        rc = st == WD_E_INVALID ? WD_EXIT_USAGE : WD_EXIT_INTERNAL;
        goto done;
    }
    if (o->pairs_path) {
        if (wd_out_open(&R.pairs, o->pairs_path)) {
            cli_error("%s: %s", o->pairs_path, strerror(errno));
            rc = WD_EXIT_INTERNAL;
            goto free_ix;
        }
        wd_index_on_pair(ix, on_pair, &R);
    }
    rc = run_inputs(&R, ix);
    if (o->pairs_path && wd_out_close(&R.pairs) && rc == WD_EXIT_OK) {
        cli_error("%s: %s", o->pairs_path, strerror(R.pairs.err));
        rc = WD_EXIT_INTERNAL;
    }
    if (rc == WD_EXIT_OK) {
        uint64_t *cl = malloc((R.nrecs ? R.nrecs : 1) * sizeof *cl);
        if (!cl) {
            cli_error("dedup: out of memory");
            rc = WD_EXIT_INTERNAL;
        } else {
            wd_index_clusters(ix, cl);
            rc = write_outputs(&R, ix, cl);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (o->stats)
                print_stats(&R, cl, wd_index_params(ix),
                            (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
            free(cl);
        }
    }
free_ix:
    wd_index_free(ix);
done:
    for (int k = 0; k < R.nin; k++) wd_input_close(&R.in[k]);
    free(R.in);
    free(R.fmt);
    free(R.recs);
    wd_buf_free(&R.ids);
    return rc;
}
