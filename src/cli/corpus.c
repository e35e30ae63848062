/* corpus.c - a labeled corpus in memory (see corpus.h). */
#include "corpus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Judy.h>

#include "cli.h"
#include "progress.h"
#include "../io/input.h"
#include "../io/json.h"

enum { C_FORMAT = CORPUS_OPT_BASE, C_NULL, C_TEXT_FIELD, C_ID_FIELD };

const cli_opt corpus_tab[] = {
    { C_FORMAT, 0, "format", "FMT", "input format: auto, lines, jsonl, nul (default: auto)" },
    { C_NULL, '0', "null", NULL, "records end with NUL bytes (same as --format=nul)" },
    { C_TEXT_FIELD, 0, "text-field", "NAME", "JSONL field with the text (default: text)" },
    { C_ID_FIELD, 0, "id-field", "NAME", "JSONL field with the id (default: id; else the record number)" },
    { 0, 0, NULL, NULL, NULL }
};

void corpus_opts_default(corpus_opts *o)
{
    o->fmt = WD_FMT_AUTO;
    o->text_field = "text";
    o->id_field = "id";
}

int corpus_opt(const char *cmd, corpus_opts *o, int id, const char *v)
{
    switch (id) {
    case C_FORMAT:
        if (!strcmp(v, "auto")) o->fmt = WD_FMT_AUTO;
        else if (!strcmp(v, "lines")) o->fmt = WD_FMT_LINES;
        else if (!strcmp(v, "jsonl")) o->fmt = WD_FMT_JSONL;
        else if (!strcmp(v, "nul")) o->fmt = WD_FMT_NUL;
        else {
            cli_error("%s: invalid value '%s' for --format (expected auto, lines, jsonl or nul)",
                      cmd, v);
            return WD_EXIT_USAGE;
        }
        return 0;
    case C_NULL: o->fmt = WD_FMT_NUL; return 0;
    case C_TEXT_FIELD: o->text_field = v; return 0;
    case C_ID_FIELD: o->id_field = v; return 0;
    }
    return 0;
}

static int push_doc(corpus *c, const corpus_doc *d)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        corpus_doc *p = realloc(c->docs, cap * sizeof *p);
        if (!p) return -1;
        c->docs = p;
        c->cap = cap;
    }
    c->docs[c->n++] = *d;
    return 0;
}

/* Reads the records of one loaded input. An exit code. */
static int load_input(corpus *c, const char *cmd, const corpus_opts *o, const wd_input *in,
                      int k, wd_json *json, wd_buf *arena)
{
    const char *name = c->names[k];
    wd_format fmt = wd_format_detect(in->data, in->len, o->fmt);
    size_t pos = 0;
    uint64_t line = 0;
    wd_span sp;
    char err[160], num[24];
    c->bytes += in->len;
    while (wd_record_next(in->data, in->len, fmt, &pos, &sp)) {
        corpus_doc d = { .line = ++line, .input = k };
        const char *text = in->data + sp.off, *id = NULL;
        size_t text_len = sp.len, id_len = 0;
        if (fmt == WD_FMT_JSONL) {
            wd_json_fields f;
            arena->len = 0;
            if (wd_json_extract(json, in->data + sp.off, sp.len, in->readable - sp.off,
                                o->text_field, o->id_field, arena, &f, err, sizeof err)) {
                cli_error("%s:%" PRIu64 ": %s", name, line, err);
                return WD_EXIT_INPUT;
            }
            text = arena->data + f.text_off;
            text_len = f.text_len;
            if (f.has_id) {
                id = arena->data + f.id_off;
                id_len = f.id_len;
            }
        }
        if (!id) {
            id_len = (size_t)snprintf(num, sizeof num, "%zu", c->n + 1);
            id = num;
        }
        d.text_len = text_len;
        d.id_len = id_len;
        if (wd_buf_append(&c->text, text, text_len, &d.text_off) ||
            wd_buf_append(&c->ids, id, id_len, &d.id_off) || push_doc(c, &d)) {
            cli_error("%s: out of memory", cmd);
            return WD_EXIT_INTERNAL;
        }
    }
    return WD_EXIT_OK;
}

int corpus_load(corpus *c, const char *cmd, const corpus_opts *o, char **files, int nfiles)
{
    memset(c, 0, sizeof *c);
    static char *stdin_only[] = { "-" };
    if (nfiles == 0) {
        files = stdin_only;
        nfiles = 1;
    }
    c->names = calloc((size_t)nfiles, sizeof *c->names);
    wd_json *json = wd_json_new();
    if (!c->names || !json) {
        wd_json_free(json);
        cli_error("%s: out of memory", cmd);
        return WD_EXIT_INTERNAL;
    }
    c->ninputs = nfiles;
    int rc = WD_EXIT_OK;
    wd_buf arena = {0};
    for (int k = 0; k < nfiles && rc == WD_EXIT_OK; k++) {
        wd_input in;
        char err[256];
        c->names[k] = strcmp(files[k], "-") ? files[k] : "<stdin>";
        if (wd_input_load(files[k], &in, err, sizeof err)) {
            cli_error("%s: %s", c->names[k], err);
            rc = WD_EXIT_INPUT;
            break;
        }
        rc = load_input(c, cmd, o, &in, k, json, &arena);
        wd_input_close(&in);
    }
    wd_buf_free(&arena);
    wd_json_free(json);
    return rc;
}

void corpus_free(corpus *c)
{
    free(c->docs);
    wd_buf_free(&c->text);
    wd_buf_free(&c->ids);
    free(c->names);
    memset(c, 0, sizeof *c);
}

int corpus_tsv_escape(const char *s, size_t n, wd_buf *out)
{
    if (wd_buf_reserve(out, out->len + 2 * n + 1)) return -1;
    char *p = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        char e = s[i] == '\t' ? 't' : s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' : s[i] == '\\' ? '\\' : 0;
        if (e) {
            *p++ = '\\';
            *p++ = e;
        } else {
            *p++ = s[i];
        }
    }
    out->len = (size_t)(p - out->data);
    return 0;
}

/* The TSV form of document i's id in tmp (NUL-terminated for messages). */
static const char *tsv_id(const corpus *c, size_t i, wd_buf *tmp)
{
    size_t n;
    const char *id = corpus_id(c, i, &n);
    tmp->len = 0;
    if (corpus_tsv_escape(id, n, tmp) || wd_buf_reserve(tmp, tmp->len + 1)) return NULL;
    tmp->data[tmp->len] = 0;
    return tmp->data;
}

/* Splits a LABELS line in place: 1 with id and cluster set, 0 when blank,
 * -1 with *why set. */
static int split_label(char *line, size_t len, char **id, size_t *id_len, char **cl,
                       size_t *cl_len, const char **why)
{
    if (len && line[len - 1] == '\r') len--;
    if (strspn(line, " \t\r") >= len) return 0;
    char *tab = memchr(line, '\t', len);
    if (!tab) {
        *why = "expected id<TAB>cluster";
        return -1;
    }
    char *end = memchr(tab + 1, '\t', len - (size_t)(tab + 1 - line));
    if (!end) end = line + len;
    if (tab == line) {
        *why = "empty id";
        return -1;
    }
    if (end == tab + 1) {
        *why = "empty cluster";
        return -1;
    }
    *id = line;
    *id_len = (size_t)(tab - line);
    *cl = tab + 1;
    *cl_len = (size_t)(end - tab - 1);
    return 1;
}

int corpus_labels(const corpus *c, const char *cmd, const char *path, uint64_t *gold,
                  uint64_t *nclusters)
{
    Pvoid_t ids = NULL, names = NULL;
    wd_buf tmp = {0};
    uint64_t *lab = malloc((c->n ? c->n : 1) * sizeof *lab);
    uint64_t *renum = NULL, nnames = 0;
    int rc = WD_EXIT_OK;
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    if (!lab) goto nomem;

    /* id (TSV form) -> document number + 1 */
    for (size_t i = 0; i < c->n; i++) {
        const char *id = tsv_id(c, i, &tmp);
        if (!id) goto nomem;
        PPvoid_t v = JudyHSIns(&ids, (void *)id, tmp.len, PJE0);
        if (v == PPJERR) goto nomem;
        if (*v) {
            const corpus_doc *a = &c->docs[(size_t)(Word_t)*v - 1], *b = &c->docs[i];
            cli_error("%s:%" PRIu64 ": duplicate id \"%s\" (first at %s:%" PRIu64
                      "): documents must have distinct ids to be scored",
                      c->names[b->input], b->line, id, c->names[a->input], a->line);
            rc = WD_EXIT_INPUT;
            goto out;
        }
        *v = (void *)(Word_t)(i + 1);
        lab[i] = UINT64_MAX;
    }

    int is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    f = is_stdin ? stdin : fopen(path, "r");
    if (!f) {
        cli_error("%s: %s", name, strerror(errno));
        rc = WD_EXIT_INPUT;
        goto out;
    }
    ssize_t got;
    uint64_t lineno = 0;
    errno = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        if (len && line[len - 1] == '\n') line[--len] = 0;
        char *id, *cl;
        size_t id_len, cl_len;
        const char *why;
        int kind = split_label(line, len, &id, &id_len, &cl, &cl_len, &why);
        if (kind == 0) continue;
        if (kind < 0) {
            cli_error("%s:%" PRIu64 ": %s", name, lineno, why);
            rc = WD_EXIT_INPUT;
            goto out;
        }
        id[id_len] = 0;
        PPvoid_t v = JudyHSGet(ids, id, id_len);
        if (!v) {
            cli_error("%s:%" PRIu64 ": id \"%s\" is not in the input", name, lineno, id);
            rc = WD_EXIT_INPUT;
            goto out;
        }
        size_t doc = (size_t)(Word_t)*v - 1;
        if (lab[doc] != UINT64_MAX) {
            cli_error("%s:%" PRIu64 ": duplicate id \"%s\"", name, lineno, id);
            rc = WD_EXIT_INPUT;
            goto out;
        }
        PPvoid_t w = JudyHSIns(&names, cl, cl_len, PJE0);
        if (w == PPJERR) goto nomem;
        if (!*w) *w = (void *)(Word_t)++nnames;
        lab[doc] = (uint64_t)(Word_t)*w - 1;
        errno = 0;
    }
    if (ferror(f)) {
        cli_error("%s: %s", name, strerror(errno ? errno : EIO));
        rc = WD_EXIT_INPUT;
        goto out;
    }
    size_t missing = 0, first = 0;
    for (size_t i = 0; i < c->n; i++)
        if (lab[i] == UINT64_MAX && missing++ == 0) first = i;
    if (missing) {
        const corpus_doc *d = &c->docs[first];
        const char *id = tsv_id(c, first, &tmp);
        if (!id) goto nomem;
        if (missing == 1)
            cli_error("%s: no label for id \"%s\" (%s:%" PRIu64 ")", name, id,
                      c->names[d->input], d->line);
        else
            cli_error("%s: no label for %zu documents, the first id \"%s\" (%s:%" PRIu64 ")",
                      name, missing, id, c->names[d->input], d->line);
        rc = WD_EXIT_INPUT;
        goto out;
    }
    /* Number clusters in order of first appearance in the corpus. */
    renum = malloc((nnames ? nnames : 1) * sizeof *renum);
    if (!renum) goto nomem;
    for (uint64_t k = 0; k < nnames; k++) renum[k] = UINT64_MAX;
    uint64_t next = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (renum[lab[i]] == UINT64_MAX) renum[lab[i]] = next++;
        gold[i] = renum[lab[i]];
    }
    *nclusters = next;
    goto out;
nomem:
    cli_error("%s: out of memory", cmd);
    rc = WD_EXIT_INTERNAL;
out:
    if (f && f != stdin) fclose(f);
    free(line);
    free(lab);
    free(renum);
    wd_buf_free(&tmp);
    JudyHSFreeArray(&ids, PJE0);
    JudyHSFreeArray(&names, PJE0);
    return rc;
}

static int keep_pair(void *ctx, const wd_pair *pr)
{
    corpus_run *r = ctx;
    if (r->npairs == r->cap_pairs) {
        size_t cap = r->cap_pairs ? r->cap_pairs * 2 : 4096;
        wd_pair *n = realloc(r->pairs, cap * sizeof *n);
        if (!n) return WD_E_NOMEM;
        r->pairs = n;
        r->cap_pairs = cap;
    }
    r->pairs[r->npairs++] = *pr;
    return 0;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int corpus_run_index(const corpus *c, const char *cmd, const wd_params *p, progress *pg,
                     wd_pair_fn fn, void *ctx, corpus_run *r)
{
    enum { BATCH = 4096 };
    memset(r, 0, sizeof *r);
    size_t n = c->n ? c->n : 1;
    wd_doc *docs = malloc(BATCH * sizeof *docs);
    wd_match *m = malloc(BATCH * sizeof *m);
    r->cluster = malloc(n * sizeof *r->cluster);
    r->rep = malloc(n * sizeof *r->rep);
    int st = WD_OK;
    if (!docs || !m || !r->cluster || !r->rep) {
        st = WD_E_NOMEM;
        goto out;
    }
    double t0 = seconds_now();
    st = wd_index_create(p, &r->ix);
    if (st) goto out;
    if (fn) wd_index_on_pair(r->ix, fn, ctx);
    else wd_index_on_pair(r->ix, keep_pair, r);
    /* Template shingles: the whole corpus is here, so count it exactly first. */
    for (size_t i = 0; p->template_share > 0 && i < c->n && !st; i += BATCH) {
        size_t nb = c->n - i < BATCH ? c->n - i : BATCH;
        for (size_t k = 0; k < nb; k++) docs[k].text = corpus_text(c, i + k, &docs[k].len);
        st = wd_index_learn(r->ix, docs, nb);
    }
    for (size_t i = 0; i < c->n && !st; i += BATCH) {
        size_t nb = c->n - i < BATCH ? c->n - i : BATCH;
        for (size_t k = 0; k < nb; k++) docs[k].text = corpus_text(c, i + k, &docs[k].len);
        st = wd_index_add(r->ix, docs, nb, m);
        for (size_t k = 0; k < nb && !st; k++)
            r->rep[i + k] = m[k].kind == WD_MATCH_EXACT ? r->rep[m[k].best] : i + k;
        if (pg) progress_update(pg, pg->done + nb);
    }
    if (!st) st = wd_index_clusters(r->ix, r->cluster);
    r->seconds = seconds_now() - t0;
out:
    free(docs);
    free(m);
    if (st > 0) {               /* fn asked to stop */
        corpus_run_free(r);
        return -1;
    }
    if (st) {
        if (pg) progress_clear(pg);
        cli_error("%s: %s", cmd, wd_strerror(st));
        corpus_run_free(r);
        return st == WD_E_INVALID ? WD_EXIT_USAGE : WD_EXIT_INTERNAL;
    }
    return WD_EXIT_OK;
}

void corpus_run_free(corpus_run *r)
{
    wd_index_free(r->ix);
    free(r->cluster);
    free(r->rep);
    free(r->pairs);
    memset(r, 0, sizeof *r);
}

int corpus_snippet(const corpus *c, size_t i, size_t chars, wd_buf *out)
{
    size_t len;
    const unsigned char *s = (const unsigned char *)corpus_text(c, i, &len);
    size_t k = 0, got = 0;
    int space = 0;
    if (wd_buf_reserve(out, out->len + 4 * chars + 8)) return -1;
    char *o = out->data + out->len;
    while (k < len && s[k] <= ' ') k++;          /* leading white space */
    while (k < len && got < chars) {
        unsigned char ch = s[k];
        size_t n = ch < 0x80 ? 1 : (ch & 0xE0) == 0xC0 ? 2 : (ch & 0xF0) == 0xE0 ? 3
                 : (ch & 0xF8) == 0xF0 ? 4 : 0;
        int ok = n && k + n <= len && (n < 2 || ch >= 0xC2);
        for (size_t q = 1; ok && q < n; q++) ok = (s[k + q] & 0xC0) == 0x80;
        if (!ok) n = 1;
        if (ch <= ' ' || ch == 0x7F) {       /* white space and controls */
            space = 1;
            k++;
            continue;
        }
        if (space && got) {
            if (got + 1 >= chars) break;     /* no trailing space before "..." */
            *o++ = ' ';
            got++;
        }
        space = 0;
        if (ok) {
            memcpy(o, s + k, n);
            o += n;
        } else {
            *o++ = '?';
        }
        got++;
        k += n;
    }
    while (k < len && s[k] <= ' ') k++;
    if (k < len) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = 0;
    out->len = (size_t)(o - out->data);
    return 0;
}

int corpus_would_verify(const wd_params *p, unsigned agree, double c)
{
    double j = (double)agree / p->num_hashes;
    return j >= p->threshold || (p->containment > 0 && agree >= 4 && c >= p->containment);
}

double corpus_containment_est(double j, unsigned na, unsigned nb)
{
    unsigned lo = na < nb ? na : nb;
    if (!lo) return 0.0;
    double c = j * ((double)na + nb) / (1.0 + j) / lo;
    return c > 1.0 ? 1.0 : c;
}
