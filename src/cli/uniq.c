/*
 * uniq.c - `wiredup uniq`: a `uniq` for near-duplicates, for live pipelines.
 *
 *   fd --wd_stream--> records as they complete --parse--> texts
 *      --wd_index_add (leader clustering)--> keep or drop --> stdout, flushed
 *
 * A record is written as soon as it is decided: it is kept unless it is a
 * near-duplicate of an earlier kept record. Only kept records are indexed
 * (leader clustering), so what has been written is never taken back and a
 * duplicate of a dropped record is judged against the kept one. Records are
 * taken in batches of whatever has already arrived (up to --batch), so a
 * trickling input is answered at once and a fast one is processed in bulk.
 *
 * With --window or --window-time the index forgets old kept records (see
 * wiredup.h, "Windows"), and so does uniq: after each batch the kept
 * records before wd_index_window_start() can never be named again, so
 * they are dropped (with -c, printed with their final count), and memory
 * stays bounded on an endless stream.
 *
 * With --index a record that copies an archived document is a duplicate of
 * it (an archived document is an earlier leader), and in write mode the
 * kept records are archived in input order. They are committed once
 * --index-batch of them are pending and at the end, not after every batch:
 * a trickling input flushes batches of one record, and a commit each would
 * make a large archive crawl. Only records whose batch has been written out
 * (with -c: whose counts have) are committed, so the archive never holds a
 * record the reader did not get; the other way round, records written but
 * not yet committed when uniq is killed are decided again by a rerun.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wiredup.h"
#include "archive_opts.h"
#include "batch.h"
#include "cli.h"
#include "corpus.h"
#include "engine_opts.h"
#include "options.h"
#include "timeval.h"
#include "../io/json.h"
#include "../io/output.h"
#include "../io/stream.h"

enum on_error { ON_FAIL, ON_SKIP, ON_KEEP };

typedef struct uniq_opts {
    wd_params p;
    corpus_opts in;           /* input format and JSONL fields */
    const char *out_path;
    int repeated;             /* -d: print only the duplicates */
    int count;                /* -c: prefix kept records with their group size, at the end */
    int annotate;             /* records as JSON with dup_of and similarity */
    int stats;
    enum on_error on_error;
    unsigned long batch;
    const char *time_field;   /* --time-field: JSONL field with the record's time */
    archive_opts ar;          /* --index, --index-mode, --index-batch */
} uniq_opts;

/* A kept record's id, so later duplicates can name it; with -c also its
 * bytes and its group size. */
typedef struct kept_rec {
    uint64_t doc;             /* document number in the index */
    uint64_t id_off, id_len;  /* in the ids arena */
    uint64_t raw_off, raw_len;/* in the raws arena (-c only) */
    uint64_t count;           /* records in its group (-c) */
    char term;                /* its terminator (-c) */
    char archive;             /* --index write mode: to be archived (not empty) */
} kept_rec;

typedef struct uniq_run {
    uniq_opts o;
    wd_index *ix;
    wd_out out;
    cli_parser parser;
    kept_rec *kept;           /* kept[kfirst..nkept): records that may still be named */
    uint64_t kfirst, nkept, cap_kept;
    wd_buf ids, raws, tmp;
    uint64_t records_in, dups, skipped, errors;
    wd_archive *arch;         /* --index, or NULL */
    uint64_t kcommit;         /* kept[kcommit..kwritten): written, not yet archived */
    uint64_t kwritten;
    uint64_t pending;         /* of those, the ones to archive */
    uint64_t archived_copies; /* duplicates of archived documents */
    wd_buf aname;             /* "archive:" + an archived id */
} uniq_run;

enum {
    U_OUTPUT = 1, U_REPEATED, U_COUNT, U_ANNOTATE,
    U_STATS, U_ON_ERROR, U_BATCH, U_WINDOW, U_WINDOW_TIME, U_TIME_FIELD, U_HELP
};

static const cli_opt uniq_tab[] = {
    { U_OUTPUT, 'o', "output", "FILE", "write to FILE (default: - for stdout)" },
    { U_REPEATED, 'd', "repeated", NULL, "print only the duplicates (with --annotate: what each repeats)" },
    { U_COUNT, 'c', "count", NULL, "at the end, print each kept record prefixed by its group size" },
    { U_ANNOTATE, 0, "annotate", NULL, "print records as JSON with dup_of and similarity added" },
    { U_STATS, 0, "stats", NULL, "print a JSON summary on stderr at the end" },
    { U_ON_ERROR, 0, "on-error", "MODE", "bad record: fail (exit 3), skip, keep (default: fail)" },
    { U_BATCH, 0, "batch", "N", "most records decided together; never changes results (default: 4096)" },
    { U_WINDOW, 0, "window", "N", "compare with the last N kept records only: bounded memory (default: all)" },
    { U_WINDOW_TIME, 0, "window-time", "DURATION", "compare with kept records up to DURATION older than the newest (90s, 45m, 36h, 7d)" },
    { U_TIME_FIELD, 0, "time-field", "FIELD", "JSONL field with each record's time (for --window-time)" },
    { U_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

static void uniq_help(void)
{
    printf("Usage: wiredup uniq [OPTIONS] [FILE...]\n\n"
           "Writes each record that is not a near-duplicate of an earlier kept record,\n"
           "unchanged, as soon as it arrives: a 'uniq' for near-duplicates, for pipelines\n"
           "such as 'tail -f crawl.jsonl | wiredup uniq | indexer'. Reads standard input\n"
           "when no FILE or '-' is given. Same input formats as 'wiredup dedup'.\n\n"
           "Options:\n");
    cli_print_options(stdout, uniq_tab);
    printf("\nInput options:\n");
    cli_print_options(stdout, corpus_tab);
    printf("\nMatching options:\n");
    cli_print_options(stdout, cli_engine_tab);
    printf("\nIndex options (uniq always uses leader clustering):\n");
    cli_print_options(stdout, cli_index_tab);
    printf("\nPersistent index options:\n");
    cli_print_options(stdout, cli_archive_tab);
    printf("\nWith --index, a record that copies an archived document is a duplicate of\n"
           "it (-d prints it, --annotate names it 'archive:ID'). Write mode adds the\n"
           "kept non-empty records, in input order, once they are written: committed\n"
           "when --index-batch of them are pending and at the end of input. Records\n"
           "written but not committed when uniq is killed are decided again by a rerun.\n"
           "--index cannot be used with --window, --window-time or --template-share.\n");
    printf("\nWindows: --window and --window-time bound the memory of an endless stream:\n"
           "a record is compared only with the kept records still in the window, so a\n"
           "copy of a record that has left it is kept again. --window-time needs\n"
           "--time-field: a time is Unix seconds, an RFC 3339 date (2024-06-01, UTC) or\n"
           "date-time (2024-06-01T12:00:00Z; no offset means UTC). The window holds the\n"
           "kept records no older than the newest time seen minus DURATION; they leave\n"
           "in the order they were kept, so a late record stays until those kept before\n"
           "it have left. A record without a valid time is a bad record. With a window,\n"
           "-c prints each kept record when it leaves the window (same order).\n");
    printf("\nA bad record is reported as 'wiredup: error: FILE:LINE: what'; with\n"
           "--on-error=fail the records before it are written, then uniq stops.\n\n"
           "Exit codes: 0 ok, 2 usage error (also: --index built with other parameters),\n"
           "            3 bad or unreadable input (also: a missing or damaged index),\n"
           "            4 internal or resource error (also: an index that cannot be\n"
           "            written: the committed batches are kept).\n");
}

static int on_opt(void *ctx, int id, const char *v)
{
    uniq_opts *o = ctx;
    unsigned long u;
    if (id >= CLI_ENGINE_BASE) return cli_engine_opt("uniq", &o->p, id, v);
    if (id >= CORPUS_OPT_BASE) return corpus_opt("uniq", &o->in, id, v);
    if (id >= CLI_ARCHIVE_BASE) return archive_opt("uniq", &o->ar, id, v);
    switch (id) {
    case U_OUTPUT: o->out_path = v; break;
    case U_REPEATED: o->repeated = 1; break;
    case U_COUNT: o->count = 1; break;
    case U_ANNOTATE: o->annotate = 1; break;
    case U_STATS: o->stats = 1; break;
    case U_ON_ERROR:
        if (!strcmp(v, "fail")) o->on_error = ON_FAIL;
        else if (!strcmp(v, "skip")) o->on_error = ON_SKIP;
        else if (!strcmp(v, "keep")) o->on_error = ON_KEEP;
        else return cli_bad_value("uniq", "on-error", v, "fail, skip or keep");
        break;
    case U_BATCH:
        if (cli_uint(v, 1, 1UL << 24, &u)) return cli_bad_value("uniq", "batch", v, "1 to 16777216");
        o->batch = u;
        break;
    case U_WINDOW:
        if (cli_uint(v, 1, ULONG_MAX, &u)) return cli_bad_value("uniq", "window", v, "a positive count of records");
        o->p.window = u;
        break;
    case U_WINDOW_TIME:
        if (cli_duration_parse(v, &o->p.window_seconds))
            return cli_bad_value("uniq", "window-time", v, "a duration such as 90s, 45m, 36h or 7d");
        break;
    case U_TIME_FIELD: o->time_field = v; break;
    case U_HELP:
        uniq_help();
        return -1;
    }
    return 0;
}

/* The kept record that document doc is (kept records are in doc order). */
static kept_rec *find_kept(uniq_run *U, uint64_t doc)
{
    uint64_t lo = U->kfirst, hi = U->nkept;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (U->kept[mid].doc < doc) lo = mid + 1;
        else hi = mid;
    }
    return lo < U->nkept && U->kept[lo].doc == doc ? &U->kept[lo] : NULL;
}

/* Writes one record, as it came or as an annotated JSON object. */
static void emit(uniq_run *U, const cli_raw *raw, const cli_parsed *ps, uint64_t num, char term,
                 wd_format fmt, const char *of, size_t of_len, double sim)
{
    if (!U->o.annotate) {
        wd_out_write(&U->out, raw->data, raw->len);
        wd_out_write(&U->out, &term, 1);
        return;
    }
    wd_buf *t = &U->tmp;
    char num_id[24];
    const char *id = ps && ps->id ? ps->id : num_id;
    size_t id_len = ps && ps->id ? ps->id_len
                                 : (size_t)snprintf(num_id, sizeof num_id, "%llu", (unsigned long long)num);
    cli_write_object_open(&U->out, t, raw->data, raw->len, fmt == WD_FMT_JSONL && ps && ps->ok,
                          id, id_len);
    if (!of) {
        wd_out_write(&U->out, "\"dup_of\":null,\"similarity\":1.0000}\n", 35);
        return;
    }
    t->len = 0;
    wd_json_quote(of, of_len, t);
    wd_out_write(&U->out, "\"dup_of\":", 9);
    wd_out_write(&U->out, t->data, t->len);
    wd_out_printf(&U->out, ",\"similarity\":%.4f}\n", sim);
}

/* Registers a kept record: its id (and bytes for -c). */
static int keep(uniq_run *U, uint64_t doc, const cli_raw *raw, const cli_parsed *ps, uint64_t num,
                char term)
{
    if (U->nkept == U->cap_kept) {
        uint64_t cap = U->cap_kept ? U->cap_kept * 2 : 1024;
        kept_rec *n = realloc(U->kept, cap * sizeof *n);
        if (!n) return -1;
        U->kept = n;
        U->cap_kept = cap;
    }
    kept_rec *k = &U->kept[U->nkept++];
    memset(k, 0, sizeof *k);
    k->doc = doc;
    k->count = 1;
    k->term = term;
    char buf[24];
    const char *id = ps && ps->id ? ps->id : buf;
    size_t len = ps && ps->id ? ps->id_len : (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)num);
    size_t at;
    k->id_len = len;
    if (wd_buf_append(&U->ids, id, len, &at)) return -1;
    k->id_off = at;
    if (U->o.count) {
        k->raw_len = raw->len;
        if (wd_buf_append(&U->raws, raw->data, raw->len, &at)) return -1;
        k->raw_off = at;
    }
    return 0;
}

/* Prints a kept record with its group size (-c). */
static void print_count(uniq_run *U, const kept_rec *k)
{
    wd_out_printf(&U->out, "%7llu ", (unsigned long long)k->count);
    wd_out_write(&U->out, U->raws.data + k->raw_off, k->raw_len);
    wd_out_write(&U->out, &k->term, 1);
}

/*
 * Windowed: drops the kept records that no later record can match (those
 * before wd_index_window_start()), printing them first with -c, since their
 * count is final. Once the dropped ones are most of the array, the rest
 * and their bytes move to the front, so memory follows the window.
 */
static void drop_old(uniq_run *U)
{
    const uint64_t start = wd_index_window_start(U->ix);
    while (U->kfirst < U->nkept && U->kept[U->kfirst].doc < start) {
        if (U->o.count && !wd_out_closed_pipe(&U->out)) print_count(U, &U->kept[U->kfirst]);
        U->kfirst++;
    }
    if (U->kfirst < 1024 || U->kfirst * 2 < U->nkept) return;
    const uint64_t n = U->nkept - U->kfirst;
    const size_t id0 = n ? U->kept[U->kfirst].id_off : U->ids.len;
    const size_t raw0 = n ? U->kept[U->kfirst].raw_off : U->raws.len;
    memmove(U->kept, U->kept + U->kfirst, n * sizeof *U->kept);
    for (uint64_t i = 0; i < n; i++) {
        U->kept[i].id_off -= id0;
        U->kept[i].raw_off -= raw0;
    }
    if (U->ids.len > id0) memmove(U->ids.data, U->ids.data + id0, U->ids.len - id0);
    U->ids.len -= id0;
    if (U->raws.len > raw0) memmove(U->raws.data, U->raws.data + raw0, U->raws.len - raw0);
    U->raws.len -= raw0;
    U->kfirst = 0;
    U->nkept = n;
}

/* --time-field: the record's time into doc->time, or the record becomes a
 * bad one (ps->ok = 0) saying why. */
static void record_time(uniq_run *U, cli_parsed *ps, wd_doc *doc)
{
    if (!ps->key) {
        snprintf(ps->err, sizeof ps->err, "missing time field \"%s\"", U->o.time_field);
        ps->ok = 0;
    } else if (cli_time_parse(ps->key, ps->key_len, &doc->time)) {
        int shown = ps->key_len > 40 ? 40 : (int)ps->key_len;
        snprintf(ps->err, sizeof ps->err,
                 "field \"%s\": '%.*s%s' is not a time (Unix seconds or RFC 3339 date or date-time)",
                 U->o.time_field, shown, ps->key, ps->key_len > 40 ? "..." : "");
        ps->ok = 0;
    }
}

/*
 * --index, write mode: archives the kept records kept[kcommit..kwritten)
 * marked for it, in input order, in one transaction. An exit code or 0.
 */
static int commit_written(uniq_run *U)
{
    int st = WD_OK;
    if (U->pending && !(st = wd_archive_begin(U->arch))) {
        for (uint64_t k = U->kcommit; k < U->kwritten && !st; k++) {
            const kept_rec *r = &U->kept[k];
            if (r->archive) st = wd_archive_put(U->arch, U->ix, r->doc, U->ids.data + r->id_off, r->id_len);
        }
        if (!st) st = wd_archive_commit(U->arch);
        else wd_archive_abort(U->arch);
    }
    if (st) return archive_add_failed(&U->o.ar, U->arch, st);
    U->kcommit = U->kwritten;
    U->pending = 0;
    return 0;
}

/* The kept records so far have reached the output (it took every byte):
 * they may be archived, and are once --index-batch of them wait. */
static int written(uniq_run *U)
{
    if (U->out.err || wd_out_closed_pipe(&U->out)) return 0;
    for (; U->kwritten < U->nkept; U->kwritten++) U->pending += (uint64_t)U->kept[U->kwritten].archive;
    return U->pending >= U->o.ar.batch ? commit_written(U) : 0;
}

/* Decides and writes one batch. Returns an exit code (0 to go on). */
static int run_batch(uniq_run *U, const char *name, wd_format fmt, const cli_raw *raw,
                     const uint64_t *nums, size_t n, cli_parsed *ps, wd_doc *docs, wd_match *m)
{
    const size_t n_in = n;
    const char term = fmt == WD_FMT_NUL ? '\0' : '\n';
    if (cli_parse_batch(&U->parser, fmt, raw, n, ps)) {
        cli_error("uniq: out of memory");
        return WD_EXIT_INTERNAL;
    }
    size_t bad = n; /* with --on-error=fail: the records before it still go out */
    for (size_t i = 0; i < n; i++) {
        docs[i].time = INT64_MIN;  /* a bad record: never moves the window */
        if (ps[i].ok && U->o.time_field) record_time(U, &ps[i], &docs[i]);
        docs[i].text = ps[i].ok ? ps[i].text : NULL;
        docs[i].len = ps[i].ok ? ps[i].text_len : 0;
        if (ps[i].ok) continue;
        U->errors++;
        if (U->o.on_error == ON_FAIL) {
            bad = i;
            break;
        }
        cli_warn("%s:%llu: %s (record %s)", name, (unsigned long long)nums[i], ps[i].err,
                 U->o.on_error == ON_SKIP ? "skipped" : "kept unchanged");
    }
    n = bad;
    uint64_t base = wd_index_count(U->ix);
    int st = wd_index_add(U->ix, docs, n, m);
    if (st) {
        cli_error("uniq: %s", wd_strerror(st));
        return WD_EXIT_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t num = ++U->records_in;
        if (!ps[i].ok && U->o.on_error == ON_SKIP) {
            U->skipped++;
            continue;
        }
        if (m[i].kind == WD_MATCH_NONE && m[i].archived_kind == WD_MATCH_NONE) { /* new: kept */
            /* windowed, an empty record can never be named: nothing to keep */
            int named = !m[i].empty || U->o.count || (!U->o.p.window_seconds && !U->o.p.window);
            if (named && keep(U, base + i, &raw[i], ps[i].ok ? &ps[i] : NULL, nums[i], term)) {
                cli_error("uniq: out of memory");
                return WD_EXIT_INTERNAL;
            }
            /* empty documents are never duplicates: a rerun would store them again */
            if (U->arch && U->o.ar.write && !m[i].empty) U->kept[U->nkept - 1].archive = 1;
            if (!U->o.repeated && !U->o.count)
                emit(U, &raw[i], ps[i].ok ? &ps[i] : NULL, num, term, fmt, NULL, 0, 1.0);
            continue;
        }
        U->dups++;
        if (m[i].kind == WD_MATCH_NONE) { /* a copy of an archived document */
            U->archived_copies++;
            if (U->o.repeated || (U->o.annotate && !U->o.count)) {
                int len;
                const char *an = archive_name(U->arch, m[i].archived_doc, &U->aname, &len);
                emit(U, &raw[i], &ps[i], num, term, fmt, an, (size_t)len, m[i].archived_jaccard);
            }
            continue;
        }
        kept_rec *of = find_kept(U, m[i].best);
        if (of) of->count++;
        if (U->o.repeated || (U->o.annotate && !U->o.count))
            emit(U, &raw[i], &ps[i], num, term, fmt, of ? U->ids.data + of->id_off : NULL,
                 of ? of->id_len : 0, m[i].jaccard);
    }
    if (U->o.p.window || U->o.p.window_seconds) drop_old(U);
    wd_out_flush(&U->out);
    if (U->arch && U->o.ar.write && !U->o.count) {
        int rc = written(U);
        if (rc) return rc;
    }
    if (bad < n_in) {
        cli_error("%s:%llu: %s", name, (unsigned long long)nums[bad], ps[bad].err);
        return WD_EXIT_INPUT;
    }
    return WD_EXIT_OK;
}

/* Reads one input to its end, batch by batch. */
static int run_input(uniq_run *U, int fd, const char *name)
{
    const size_t batch = U->o.batch;
    int rc = WD_EXIT_OK;
    wd_stream *s = wd_stream_open(fd, U->o.in.fmt);
    cli_raw *raw = malloc(batch * sizeof *raw);
    uint64_t *nums = malloc(batch * sizeof *nums);
    cli_parsed *ps = malloc(batch * sizeof *ps);
    wd_doc *docs = malloc(batch * sizeof *docs);
    wd_match *m = malloc(batch * sizeof *m);
    if (!s || !raw || !nums || !ps || !docs || !m) {
        cli_error("uniq: out of memory");
        rc = WD_EXIT_INTERNAL;
        goto out;
    }
    for (int eof = 0; !eof && rc == WD_EXIT_OK && !wd_out_closed_pipe(&U->out);) {
        size_t n = 0;
        wd_stream_rec r;
        /* Block for the first record, then take whatever else is there. */
        for (int wait = 1; n < batch; wait = 0) {
            int got = wd_stream_next(s, &r, wait);
            if (got == WD_STREAM_ERROR) {
                cli_error("%s: %s", name, wd_stream_error(s));
                rc = WD_EXIT_INPUT;
                goto out;
            }
            if (got == WD_STREAM_EOF) eof = 1;
            if (got != WD_STREAM_RECORD) break;
            raw[n] = (cli_raw){ r.data, r.len, r.readable };
            nums[n++] = r.num;
        }
        if (n) rc = run_batch(U, name, wd_stream_format(s), raw, nums, n, ps, docs, m);
        wd_stream_release(s);
    }
out:
    wd_stream_close(s);
    free(raw);
    free(nums);
    free(ps);
    free(docs);
    free(m);
    return rc;
}

int cmd_uniq(int argc, char **argv)
{
    uniq_run U;
    memset(&U, 0, sizeof U);
    uniq_opts *o = &U.o;
    wd_params_default(&o->p);
    corpus_opts_default(&o->in);
    o->out_path = "-";
    o->batch = 4096;
    archive_opts_default(&o->ar);
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ uniq_tab, corpus_tab, cli_engine_tab, cli_index_tab,
                                                 cli_archive_tab, NULL },
                       argc, argv, on_opt, o, &nops);
    if (rc) return rc < 0 ? WD_EXIT_OK : rc;
    if (o->p.cluster != WD_CLUSTER_COMPONENTS) {
        cli_error("uniq: --cluster does not apply: uniq keeps the first of each group");
        return WD_EXIT_USAGE;
    }
    o->p.cluster = WD_CLUSTER_LEADER;
    if ((rc = cli_engine_check("uniq", &o->p))) return rc;
    if (!o->p.window_seconds != !o->time_field) {
        cli_error("uniq: %s", o->time_field ? "--time-field needs --window-time"
                                            : "--window-time needs --time-field (each record's time)");
        return WD_EXIT_USAGE;
    }
    if ((rc = archive_check("uniq", &o->ar, &o->p))) return rc; /* before anything is created */

    static char *stdin_only[] = { "-" };
    char **files = nops ? argv + 1 : stdin_only;
    int nin = nops ? nops : 1;
    if (o->ar.path && (rc = archive_open(&o->ar, &o->p, &U.arch))) return rc;
    int st = wd_index_create(&o->p, &U.ix);
    if (st) {
        cli_error("uniq: %s", wd_strerror(st));
        rc = st == WD_E_INVALID ? WD_EXIT_USAGE : WD_EXIT_INTERNAL;
        goto done;
    }
    if (U.arch && (rc = archive_attach("uniq", U.ix, U.arch))) goto done;
    if (cli_parser_init(&U.parser, wd_index_params(U.ix)->threads, o->in.text_field, o->in.id_field,
                        o->time_field)) {
        cli_error("uniq: out of memory");
        rc = WD_EXIT_INTERNAL;
        goto done;
    }
    if (wd_out_open(&U.out, o->out_path, 0)) {
        cli_error("%s: %s", o->out_path, strerror(errno));
        rc = WD_EXIT_INTERNAL;
        goto done;
    }
    for (int k = 0; k < nin && rc == WD_EXIT_OK && !wd_out_closed_pipe(&U.out); k++) {
        int is_stdin = !strcmp(files[k], "-");
        const char *name = is_stdin ? "<stdin>" : files[k];
        int fd = is_stdin ? 0 : open(files[k], O_RDONLY);
        if (fd < 0) {
            cli_error("%s: %s", name, strerror(errno));
            rc = WD_EXIT_INPUT;
            break;
        }
        rc = run_input(&U, fd, name);
        if (!is_stdin) close(fd);
    }
    if (rc == WD_EXIT_OK && o->count) {
        for (uint64_t i = U.kfirst; i < U.nkept && !wd_out_closed_pipe(&U.out); i++)
            print_count(&U, &U.kept[i]);
    }
    /* the records written before a bad one (--on-error=fail) or a closed
     * pipe are archived too; with -c the counts must have gone out */
    if (U.arch && o->ar.write && (rc == WD_EXIT_OK || (rc == WD_EXIT_INPUT && !o->count))) {
        wd_out_flush(&U.out);
        int st2 = written(&U);
        if (!st2) st2 = commit_written(&U);
        if (st2) rc = st2;
    }
    if (wd_out_close(&U.out) && rc == WD_EXIT_OK) {
        cli_error("%s: write failed: %s", strcmp(o->out_path, "-") ? o->out_path : "<stdout>",
                  strerror(U.out.err));
        rc = WD_EXIT_INTERNAL;
    }
    char arch[64] = ""; /* only with --index, so other runs print what they did */
    if (U.arch)
        snprintf(arch, sizeof arch, ",\"archived_copies\":%llu", (unsigned long long)U.archived_copies);
    if (o->stats && rc == WD_EXIT_OK)
        fprintf(stderr, "{\"records_in\":%llu,\"kept\":%llu,\"duplicates\":%llu,\"skipped\":%llu,"
                        "\"errors\":%llu%s}\n",
                (unsigned long long)U.records_in,
                (unsigned long long)(U.records_in - U.dups - U.skipped),
                (unsigned long long)U.dups, (unsigned long long)U.skipped,
                (unsigned long long)U.errors, arch);
done:
    wd_index_free(U.ix);
    wd_archive_close(U.arch); /* after the index: releases LMDB's readers and writer lock */
    wd_buf_free(&U.aname);
    cli_parser_free(&U.parser);
    free(U.kept);
    wd_buf_free(&U.ids);
    wd_buf_free(&U.raws);
    wd_buf_free(&U.tmp);
    return rc;
}
