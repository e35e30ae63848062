/*
 * index_cmd.c - `wiredup index stats|verify|export PATH`: look after a
 * persistent index (a directory written by `dedup --index=PATH`) without
 * running the engine. Opens it read-only, so it is safe beside a writer.
 */
#include <stdio.h>
#include <string.h>

#include "wiredup.h"
#include "cli.h"
#include "options.h"

enum { O_FORMAT = 1, O_HELP };

static const cli_opt index_tab[] = {
    { O_FORMAT, 0, "format", "FMT", "export: tsv (id<TAB>shingles<TAB>hash) or jsonl (default: tsv)" },
    { O_HELP, 'h', "help", NULL, "show this help" },
    { 0, 0, NULL, NULL, NULL }
};

static void index_help(void)
{
    printf("Usage: wiredup index stats|verify|export [OPTIONS] PATH\n\n"
           "Looks after a persistent index written by 'wiredup dedup --index=PATH'.\n"
           "  stats    counts, sizes and the parameters it was built with (NAME<TAB>VALUE)\n"
           "  verify   checks every document, exact entry, band entry and filter bit\n"
           "  export   every document in the order added: id, shingles, exact hash\n"
           "Opens the index read-only: a running writer is not disturbed, and the\n"
           "answer is the index as of its last committed batch.\n\nOptions:\n");
    cli_print_options(stdout, index_tab);
    printf("\nExit codes: 0 ok, 1 verify found damage, 2 usage error,\n"
           "            3 missing, unreadable or damaged index, 4 write or internal error.\n");
}

typedef struct index_opts {
    int jsonl;
} index_opts;

static int on_opt(void *ctx, int id, const char *v)
{
    index_opts *o = ctx;
    switch (id) {
    case O_FORMAT:
        if (!strcmp(v, "tsv")) o->jsonl = 0;
        else if (!strcmp(v, "jsonl")) o->jsonl = 1;
        else {
            cli_error("index: invalid value '%s' for --format (expected tsv or jsonl)", v);
            return WD_EXIT_USAGE;
        }
        break;
    case O_HELP:
        index_help();
        return -1;
    }
    return 0;
}

static int write_stdout(void *ctx, const char *buf, size_t len)
{
    (void)ctx;
    return fwrite(buf, 1, len, stdout) == len ? 0 : 1;
}

static void print_stats(const wd_archive_stats *s)
{
    const wd_params *p = &s->params;
    static const char *sketch[] = { "minhash", "oph", "simhash" };
    printf("docs\t%llu\nexact_hashes\t%llu\nband_entries\t%llu\n"
           "file_bytes\t%llu\nused_bytes\t%llu\nformat\t%u\n"
           "shingle\t%s:%u\nnum_hashes\t%u\nsketch\t%s\nbands\t%u\nrows\t%u\nseed\t%llu\n"
           "created_by\t%s\n",
           (unsigned long long)s->docs, (unsigned long long)s->exact,
           (unsigned long long)s->band_entries,
           (unsigned long long)s->file_bytes, (unsigned long long)s->used_bytes, s->format,
           p->shingle == WD_SHINGLE_CHAR ? "char" : "word", p->shingle_size, p->num_hashes,
           (unsigned)p->sketch < 3 ? sketch[p->sketch] : "?", p->bands, p->rows,
           (unsigned long long)p->seed, s->created_by);
}

int cmd_index(int argc, char **argv)
{
    index_opts o = { 0 };
    int nops = 0;
    int rc = cli_parse((const cli_opt *const[]){ index_tab, NULL }, argc, argv, on_opt, &o, &nops);
    if (rc) return rc < 0 ? WD_EXIT_OK : rc;
    if (nops != 2) {
        cli_error("index: expected an action and a PATH (see 'wiredup index --help')");
        return WD_EXIT_USAGE;
    }
    const char *action = argv[1], *path = argv[2];
    if (strcmp(action, "stats") && strcmp(action, "verify") && strcmp(action, "export")) {
        cli_error("index: unknown action '%s' (expected stats, verify or export)", action);
        return WD_EXIT_USAGE;
    }
    char err[512];
    wd_archive *a = NULL;
    int st = wd_archive_open(path, WD_ARCHIVE_READ, NULL, &a, err, sizeof err);
    if (st) {
        cli_error("%s: %s", path, err[0] ? err : wd_strerror(st));
        return st == WD_E_NOMEM ? WD_EXIT_INTERNAL : WD_EXIT_INPUT;
    }
    rc = WD_EXIT_OK;
    if (!strcmp(action, "stats")) {
        wd_archive_stats s;
        if ((st = wd_archive_stats_get(a, &s))) {
            cli_error("%s: %s", path, wd_archive_errmsg(a));
            rc = WD_EXIT_INPUT;
        } else {
            print_stats(&s);
        }
    } else if (!strcmp(action, "verify")) {
        st = wd_archive_verify(a);
        if (st == WD_E_CORRUPT) {
            cli_error("%s: %s", path, wd_archive_errmsg(a));
            rc = 1;
        } else if (st) {
            cli_error("%s: %s", path, wd_archive_errmsg(a));
            rc = st == WD_E_NOMEM ? WD_EXIT_INTERNAL : WD_EXIT_INPUT;
        } else {
            printf("ok: %llu documents\n", (unsigned long long)wd_archive_count(a));
        }
    } else {
        st = wd_archive_export(a, o.jsonl, write_stdout, NULL);
        if (st == 1) {
            rc = ferror(stdout) ? WD_EXIT_INTERNAL : WD_EXIT_OK;
        } else if (st) {
            cli_error("%s: %s", path, wd_archive_errmsg(a));
            rc = WD_EXIT_INPUT;
        }
    }
    if (fflush(stdout) && rc == WD_EXIT_OK) {
        cli_error("<stdout>: write failed");
        rc = WD_EXIT_INTERNAL;
    }
    wd_archive_close(a);
    return rc;
}
