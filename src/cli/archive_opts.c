/*
 * archive_opts.c - the persistent index options of dedup and uniq (see
 * archive_opts.h).
 */
#include <string.h>

#include "archive_opts.h"
#include "cli.h"

enum { A_INDEX = CLI_ARCHIVE_BASE, A_INDEX_MODE, A_INDEX_BATCH };

const cli_opt cli_archive_tab[] = {
    { A_INDEX, 0, "index", "PATH", "persistent index (a directory): also find copies of archived documents, then archive the kept ones" },
    { A_INDEX_MODE, 0, "index-mode", "MODE", "write (create when absent; add kept documents) or read (query only, must exist) (default: write)" },
    { A_INDEX_BATCH, 0, "index-batch", "N", "documents per index transaction (default: 65536)" },
    { 0, 0, NULL, NULL, NULL }
};

void archive_opts_default(archive_opts *o)
{
    o->path = NULL;
    o->write = 1;
    o->batch = 65536;
}

int archive_opt(const char *cmd, archive_opts *o, int id, const char *v)
{
    unsigned long u;
    switch (id) {
    case A_INDEX: o->path = v; break;
    case A_INDEX_MODE:
        if (!strcmp(v, "write")) o->write = 1;
        else if (!strcmp(v, "read")) o->write = 0;
        else return cli_bad_value(cmd, "index-mode", v, "write or read");
        break;
    case A_INDEX_BATCH:
        if (cli_uint(v, 1, 1UL << 30, &u)) return cli_bad_value(cmd, "index-batch", v, "1 to 1073741824");
        o->batch = u;
        break;
    }
    return 0;
}

int archive_check(const char *cmd, const archive_opts *o, const wd_params *p)
{
    if (!o->path) return 0;
    if (p->template_share > 0.0) {
        cli_error("%s: --template-share cannot be used with --index: stored signatures "
                  "must not depend on the rest of the input (see 'wiredup %s --help')", cmd, cmd);
        return WD_EXIT_USAGE;
    }
    if (p->window || p->window_seconds) {
        cli_error("%s: --window and --window-time cannot be used with --index: the index "
                  "keeps every archived document (see 'wiredup %s --help')", cmd, cmd);
        return WD_EXIT_USAGE;
    }
    return 0;
}

int archive_open(const archive_opts *o, wd_params *p, wd_archive **out)
{
    char err[512];
    wd_archive_mode mode = o->write ? WD_ARCHIVE_WRITE : WD_ARCHIVE_READ;
    int st = wd_archive_open(o->path, mode, p, out, err, sizeof err);
    if (st) {
        cli_error("%s: %s", o->path, err[0] ? err : wd_strerror(st));
        return st == WD_E_MISMATCH || st == WD_E_UNSUPPORTED || st == WD_E_INVALID ? WD_EXIT_USAGE
             : st == WD_E_IO || st == WD_E_CORRUPT                                 ? WD_EXIT_INPUT
                                                                                   : WD_EXIT_INTERNAL;
    }
    wd_archive_shape(*out, p);
    return 0;
}

int archive_attach(const char *cmd, wd_index *ix, wd_archive *a)
{
    int st = wd_index_attach_archive(ix, a);
    if (st == WD_E_INVALID) {
        cli_error("%s: --index: %s", cmd, wd_archive_errmsg(a));
        return WD_EXIT_USAGE;
    }
    if (st) {
        cli_error("%s: %s", cmd, wd_strerror(st));
        return WD_EXIT_INTERNAL;
    }
    return 0;
}

const char *archive_name(wd_archive *a, uint64_t doc, wd_buf *name, int *len)
{
    const char *id;
    size_t n, at;
    if (wd_archive_id(a, doc, &id, &n, NULL)) {
        id = "?"; /* cannot happen: the document is in the snapshot that found it */
        n = 1;
    }
    name->len = 0;
    if (wd_buf_append(name, "archive:", 8, &at) || wd_buf_append(name, id, n, &at) ||
        name->len > INT32_MAX) {
        *len = 1;
        return "?";
    }
    *len = (int)name->len;
    return name->data;
}

int archive_add_failed(const archive_opts *o, wd_archive *a, int st)
{
    const char *msg = wd_archive_errmsg(a);
    cli_error("%s: cannot add to the index (committed batches are kept): %s", o->path,
              msg[0] ? msg : wd_strerror(st));
    return WD_EXIT_INTERNAL;
}
