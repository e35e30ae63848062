/*
 * base.c - loading the base stories of the generator.
 *
 *   file --records--> text (+ title) --sanitize--> original text
 *        --dateline, unwrap--> clean body: one line per paragraph
 *        --filters, near-duplicate bases dropped--> corpus
 *
 * Paragraphs: a blank line, or a line that starts with a blank (the Reuters
 * layout: hard-wrapped lines, indented paragraph starts), begins a new one.
 * Near-duplicate bases (templated stories, re-sent wire items) would give two
 * clusters the same content under different labels, so a base whose
 * estimated word-5-gram Jaccard with an earlier base reaches --base-dedup, or
 * whose containment reaches 0.5, is dropped. That check uses libwiredup
 * itself through the public API; it only cleans the inputs of the
 * generator, and can be turned off (--base-dedup=0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"
#include "gen_internal.h"
#include "../cli/cli.h"
#include "../io/input.h"
#include "../io/json.h"
#include "../io/records.h"

void gen_oom(void)
{
    cli_error("gen: out of memory");
    exit(WD_EXIT_INTERNAL);
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) return 0;
        return 4;
    }
    return 0;
}

/* Appends s with invalid UTF-8 replaced by U+FFFD, CR dropped, and other
 * control characters (tab included) turned into spaces; '\n' is kept. */
static void put_sanitized(wd_buf *a, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f) {
            size_t j = i + 1;
            while (j < n && s[j] >= 0x20 && s[j] < 0x7f) j++;
            gen_put(a, str + i, j - i);
            i = j;
        } else if (c == '\n') {
            gen_putc(a, '\n');
            i++;
        } else if (c == '\r') {
            i++;
        } else if (c < 0x80) {
            gen_putc(a, ' ');
            i++;
        } else {
            size_t k = utf8_len(s + i, n - i);
            if (k) gen_put(a, str + i, k);
            else gen_put(a, "\xEF\xBF\xBD", 3);
            i += k ? k : 1;
        }
    }
}

static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(int c) { return is_upper(c) || is_lower(c); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_space(int c) { return c == ' ' || c == '\n' || c == '\t'; }

static const char *const months[12] = { "jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec" };

/*
 * A wire dateline at the start of s: "CITY, Mon D - " (also "--", a full or
 * dotted month name). Returns the bytes it takes (trailing blanks
 * included) and fills the city and date, or 0 when s has none.
 */
static size_t parse_dateline(const char *s, size_t n, size_t *city_len, int *month, int *day)
{
    size_t lim = n < 90 ? n : 90, dash = 0, dlen = 0;
    for (size_t i = 1; i + 2 < lim; i++)
        if (s[i] == ' ' && s[i + 1] == '-') {
            dash = i;
            dlen = s[i + 2] == '-' ? 3 : 2;
            break;
        }
    if (!dash || dash + dlen >= n || s[dash + dlen] != ' ') return 0;
    size_t comma = 0;
    for (size_t i = 0; i < dash; i++)
        if (s[i] == ',') comma = i;  /* the last comma: "WASHINGTON, D.C., Feb 2" */
    if (comma < 2 || !is_upper((unsigned char)s[0]) || !is_upper((unsigned char)s[1])) return 0;
    for (size_t i = 0; i < comma; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alpha(c) && c != ' ' && c != '.' && c != '\'' && c != '-' && c != '&' &&
            c != '/' && c != ',')
            return 0;
    }
    size_t i = comma + 1;
    while (i < dash && s[i] == ' ') i++;
    if (dash - i < 4) return 0;
    char m[3];
    for (int k = 0; k < 3; k++) m[k] = (char)(s[i + k] | 0x20);
    int mo = 0;
    for (int k = 0; k < 12; k++)
        if (!memcmp(m, months[k], 3)) mo = k + 1;
    if (!mo) return 0;
    while (i < dash && is_alpha((unsigned char)s[i])) i++;
    if (i < dash && s[i] == '.') i++;
    while (i < dash && s[i] == ' ') i++;
    int d = 0;
    while (i < dash && is_digit((unsigned char)s[i])) d = d * 10 + (s[i++] - '0');
    if (d < 1 || d > 31) return 0;
    size_t end = dash + dlen;
    while (end < n && is_space((unsigned char)s[end])) end++;
    *city_len = comma;
    *month = mo;
    *day = d;
    return end;
}

/* Appends the clean body of s: paragraphs on lines of their own, blanks
 * collapsed to one space. Returns the number of words. */
static size_t put_clean(wd_buf *a, const char *s, size_t n)
{
    size_t words = 0, start = a->len;
    int at_line_start = 1, pending = 0; /* 0 none, 1 space, 2 paragraph break */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            if (at_line_start) pending = 2;          /* blank line */
            else if (pending < 1) pending = 1;
            at_line_start = 1;
            continue;
        }
        if (c == ' ') {
            if (at_line_start && i > 0) pending = 2; /* indented line */
            else if (pending < 1) pending = 1;
            continue;
        }
        at_line_start = 0;
        if (a->len > start) {
            if (pending == 2) gen_putc(a, '\n');
            else if (pending == 1) gen_putc(a, ' ');
        }
        if (pending || a->len == start) words++;
        pending = 0;
        gen_putc(a, (char)c);
    }
    return words;
}

/* Appends up to 12 words of the first sentence of clean text as a title. */
static void put_derived_title(wd_buf *a, const char *s, size_t n)
{
    size_t words = 0, i = 0, end = 0;
    while (i < n && words < 12) {
        while (i < n && s[i] == ' ') i++;
        size_t w = i;
        while (i < n && s[i] != ' ' && s[i] != '\n') i++;
        if (i == w) break;
        end = i;
        words++;
        if (s[i - 1] == '.' || s[i - 1] == '!' || s[i - 1] == '?' || i >= n || s[i] == '\n') break;
    }
    while (end > 0 && (s[end - 1] == '.' || s[end - 1] == ',' || s[end - 1] == ':' ||
                       s[end - 1] == ';'))
        end--;
    gen_put(a, s, end);
}

/* Drops bases that are near duplicates of an earlier one (see the top). */
static int drop_near_duplicates(gen_corpus *C, const gen_config *c)
{
    wd_params p;
    wd_params_default(&p);
    p.threshold = c->base_dedup;
    p.containment = 0.5;
    p.threads = c->threads;
    wd_index *ix;
    int st = wd_index_create(&p, &ix);
    if (st) {
        cli_error("gen: --base-dedup: %s", wd_strerror(st));
        return WD_EXIT_USAGE;
    }
    enum { B = 4096 };
    wd_doc *docs = malloc(B * sizeof *docs);
    wd_match *m = malloc(B * sizeof *m);
    if (!docs || !m) gen_oom();
    size_t kept = 0;
    for (size_t i = 0; i < C->n; i += B) {
        size_t nb = C->n - i < B ? C->n - i : B;
        for (size_t k = 0; k < nb; k++) {
            docs[k].text = C->arena.data + C->b[i + k].clean_off;
            docs[k].len = C->b[i + k].clean_len;
        }
        if ((st = wd_index_add(ix, docs, nb, m))) {
            cli_error("gen: checking bases: %s", wd_strerror(st));
            wd_index_free(ix);
            free(docs);
            free(m);
            return WD_EXIT_INTERNAL;
        }
        for (size_t k = 0; k < nb; k++) {
            if (m[k].kind != WD_MATCH_NONE) C->near_dup++;
            else C->b[kept++] = C->b[i + k];
        }
    }
    C->n = kept;
    wd_index_free(ix);
    free(docs);
    free(m);
    return 0;
}

/*
 * The vocabulary of reuse noise: GEN_VOCAB words drawn by frequency (every
 * letters-only word of 2 to 15 letters in the clean bodies is a candidate;
 * reservoir sampling with a fixed seed), kept in a small array so that
 * replacing a word costs no cache miss.
 */
#define GEN_VOCAB 4096
static void build_vocab(gen_corpus *C)
{
    C->vocab = calloc(GEN_VOCAB, sizeof *C->vocab);
    if (!C->vocab) gen_oom();
    gen_rng r = gen_rng_make(0x564f4341ULL, 0, 0);
    uint64_t seen = 0;
    for (size_t k = 0; k < C->n; k++) {
        const char *s = C->arena.data + C->b[k].clean_off;
        size_t n = C->b[k].clean_len, i = 0;
        while (i < n) {
            while (i < n && !is_alpha((unsigned char)s[i])) i++;
            size_t w = i;
            while (i < n && is_alpha((unsigned char)s[i])) i++;
            size_t len = i - w;
            int glued = (i < n && ((unsigned char)s[i] & 0x80)) ||
                        (w > 0 && ((unsigned char)s[w - 1] & 0x80));
            if (len < 2 || len > 15 || glued) continue;
            uint64_t slot = seen < GEN_VOCAB ? seen : gen_below(&r, seen + 1);
            seen++;
            if (slot < GEN_VOCAB) {
                C->vocab[slot][0] = (char)len;
                for (size_t q = 0; q < len; q++)
                    C->vocab[slot][1 + q] = (char)(s[w + q] | 0x20);
            }
        }
    }
    C->nvocab = seen < GEN_VOCAB ? seen : GEN_VOCAB;
    if (C->nvocab == 0) { /* no word at all: digits only; use a stand-in */
        C->vocab[0][0] = 4;
        memcpy(C->vocab[0] + 1, "word", 4);
        C->nvocab = 1;
    }
}

int gen_corpus_load(gen_corpus *C, const gen_config *c)
{
    memset(C, 0, sizeof *C);
    wd_input in;
    char err[256];
    if (wd_input_load(c->base_path, &in, err, sizeof err)) {
        cli_error("%s: %s", strcmp(c->base_path, "-") ? c->base_path : "<stdin>", err);
        return WD_EXIT_INPUT;
    }
    wd_format fmt = wd_format_detect(in.data, in.len,
                                     c->base_format == 1 ? WD_FMT_LINES
                                     : c->base_format == 2 ? WD_FMT_JSONL : WD_FMT_AUTO);
    wd_json *json = fmt == WD_FMT_JSONL ? wd_json_new() : NULL;
    wd_buf tmp = {0};
    size_t cap = 0, pos = 0;
    uint64_t line = 0;
    wd_span sp;
    int rc = 0;
    if (fmt == WD_FMT_JSONL && !json) gen_oom();
    while (wd_record_next(in.data, in.len, fmt, &pos, &sp)) {
        line++;
        const char *text = in.data + sp.off, *title = NULL;
        size_t text_len = sp.len, title_len = 0;
        if (fmt == WD_FMT_JSONL) {
            int blank = 1;
            for (size_t i = 0; i < sp.len && blank; i++) blank = is_space((unsigned char)text[i]);
            if (blank) continue;
            wd_json_fields f;
            tmp.len = 0;
            if (wd_json_extract(json, in.data + sp.off, sp.len, in.readable - sp.off,
                                c->text_field, c->title_field, &tmp, &f, err, sizeof err)) {
                cli_error("%s:%llu: %s", wd_input_display(&in), (unsigned long long)line, err);
                rc = WD_EXIT_INPUT;
                break;
            }
            text = tmp.data + f.text_off;
            text_len = f.text_len;
            if (f.has_id) {
                title = tmp.data + f.id_off;
                title_len = f.id_len;
            }
        }
        C->read++;
        if (C->n == cap) {
            cap = cap ? cap * 2 : 1024;
            gen_base *nb = realloc(C->b, cap * sizeof *nb);
            if (!nb) gen_oom();
            C->b = nb;
        }
        gen_base *b = &C->b[C->n];
        memset(b, 0, sizeof *b);
        wd_buf *a = &C->arena;
        size_t mark = a->len;
        b->orig_off = a->len;
        put_sanitized(a, text, text_len);
        while (a->len > b->orig_off && is_space((unsigned char)a->data[a->len - 1])) a->len--;
        size_t skip = 0;
        while (b->orig_off + skip < a->len && is_space((unsigned char)a->data[b->orig_off + skip]))
            skip++;
        b->orig_off += skip;
        b->orig_len = (uint32_t)(a->len - b->orig_off);
        size_t city = 0;
        int mo = 0, day = 0;
        size_t dl = parse_dateline(a->data + b->orig_off, b->orig_len, &city, &mo, &day);
        if (dl) {
            b->city_off = b->orig_off;
            b->city_len = (uint32_t)city;
            b->month = (uint8_t)mo;
            b->day = (uint8_t)day;
        }
        b->clean_off = a->len;
        /* the arena may move while appending: copy through an offset */
        size_t src = b->orig_off + dl, srclen = b->orig_len - dl;
        gen_room(a, srclen + 1);
        size_t words = put_clean(a, a->data + src, srclen);
        b->clean_len = (uint32_t)(a->len - b->clean_off);
        b->title_off = a->len;
        if (title_len) {
            size_t t0 = a->len;
            put_sanitized(a, title, title_len);
            /* one line, single spaces */
            size_t w = t0;
            int sp_pending = 0;
            for (size_t r = t0; r < a->len; r++) {
                char ch = a->data[r];
                if (ch == ' ' || ch == '\n') { sp_pending = w > t0; continue; }
                if (sp_pending) a->data[w++] = ' ';
                sp_pending = 0;
                a->data[w++] = ch;
            }
            a->len = w;
        }
        if (a->len == b->title_off) {
            gen_room(a, b->clean_len);
            put_derived_title(a, a->data + b->clean_off, b->clean_len);
        }
        b->title_len = (uint32_t)(a->len - b->title_off);
        if (words < 8 || b->clean_len < c->min_chars || b->title_len == 0) {
            C->too_short++;
            a->len = mark;
            continue;
        }
        if (c->max_chars && b->clean_len > c->max_chars) {
            C->too_long++;
            a->len = mark;
            continue;
        }
        if (a->len - mark > UINT32_MAX / 2) {
            cli_error("%s:%llu: record too long", wd_input_display(&in), (unsigned long long)line);
            rc = WD_EXIT_INPUT;
            break;
        }
        C->n++;
    }
    wd_buf_free(&tmp);
    wd_json_free(json);
    wd_input_close(&in);
    if (rc) return rc;
    if (c->base_dedup > 0 && C->n > 1 && (rc = drop_near_duplicates(C, c))) return rc;
    if (C->n == 0) {
        cli_error("gen: %s: no usable base story (%llu read, %llu too short, %llu too long)",
                  c->base_path, (unsigned long long)C->read, (unsigned long long)C->too_short,
                  (unsigned long long)C->too_long);
        return WD_EXIT_INPUT;
    }
    build_vocab(C);
    return 0;
}

void gen_corpus_free(gen_corpus *C)
{
    wd_buf_free(&C->arena);
    free(C->b);
    free(C->vocab);
    memset(C, 0, sizeof *C);
}
