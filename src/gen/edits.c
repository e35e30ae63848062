/*
 * edits.c - making one document: the story, the outlet's house style and
 * the edits a syndicated copy goes through.
 *
 *   base --reuse noise (reuse > 0)--> story title + body
 *        --wire copy--> verbatim text (reuse 0) or wire layout
 *        --outlet copy--> headline, truncation, sentence drop, dateline,
 *          copy-edit, Unicode punctuation, OCR noise, layout, byline, trailer
 *        --> one JSONL line + one label line
 *
 * Every random choice comes from streams seeded by (seed, story, copy) or
 * (seed, base, reuse), so a document depends only on its recipe. Bylines and
 * credits come from a per-story stream: all copies of a story name the same
 * reporters, as real syndicated copies do. Each pass reads one buffer and
 * appends to another; buffers belong to the thread and are reused, so the
 * steady state allocates nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_internal.h"
#include "../io/json.h"

const char *const gen_edit_names[GEN_NEDITS] = {
    "headline", "dateline", "byline", "trailer", "truncate",
    "drop", "copyedit", "unicode", "ocr", "wrap",
    "reorder", "resplit", "local", "numbers", "correction", "html", "hyphen",
    "template", "followup"
};

static const char *const outlet_names[GEN_OUTLETS] = {
    "Harbor Gazette", "Lakeside Tribune", "Union Dispatch", "Market Street Journal",
    "Prairie Courier", "Northern Observer", "The Evening Bulletin", "Capital Report",
    "Riverside Sentinel", "Commodities Daily", "Coastline News", "Metro Financial",
    "The Weekly Ledger", "Summit Press", "Bayview Times", "Continental Wire Review",
    "Granite Post", "Trade Winds Online", "The Civic Record", "Pacific Business Digest"
};

static const char *const first_names[] = {
    "Anna", "Brian", "Carla", "David", "Elena", "Frank", "Grace", "Henry", "Irene", "James",
    "Karen", "Louis", "Maria", "Nathan", "Olga", "Peter", "Rachel", "Samuel", "Teresa",
    "Victor", "Wendy", "Yusuf", "Claire", "Martin", "Sofia", "Thomas", "Helen", "Roberto"
};
static const char *const last_names[] = {
    "Walsh", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Fischer", "Alvarez", "Novak",
    "O'Brien", "Kowalski", "Haddad", "Brennan", "Castillo", "Jensen", "Mehta", "Rossi",
    "Sullivan", "Varga", "Whitfield", "Yamamoto", "Dubois", "Keller", "Marsh", "Petrov"
};
#define NFIRST (sizeof first_names / sizeof *first_names)
#define NLAST (sizeof last_names / sizeof *last_names)

static const char *const month_wire[12] = { "Jan", "Feb", "March", "April", "May", "June",
                                            "July", "Aug", "Sept", "Oct", "Nov", "Dec" };
static const char *const month_full[12] = { "January", "February", "March", "April", "May",
                                            "June", "July", "August", "September", "October",
                                            "November", "December" };
static const char *const month_ap[12] = { "Jan.", "Feb.", "March", "April", "May", "June",
                                          "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec." };

/* Copy-edit substitution pairs: an outlet uses each forward, backward or not
 * at all. "<" stands for "remove the angle brackets of <Company>". */
#define SUB(a, b) { a, b, sizeof a - 1, sizeof b - 1 }
static const struct { const char *a, *b; size_t al, bl; } subs[] = {
    SUB("pct", "percent"), SUB("mln", "million"), SUB("bln", "billion"), SUB("dlrs", "dollars"),
    SUB("said", "says"),   SUB("cts", "cents"),   SUB("U.S.", "US"),     SUB("pct", "per cent"),
    SUB("vs", "versus"),   SUB("Corp", "Corporation"), SUB("govt", "government"),
    SUB("qtr", "quarter"), SUB("shr", "share"),   SUB("yr", "year"),     SUB("<", "")
};
#define NSUBS (sizeof subs / sizeof *subs)

/* Headline word rewrites (compared without case; empty = dropped). */
static const struct { const char *a, *b; } head_words[] = {
    { "QTR", "QUARTER" }, { "NET", "PROFIT" }, { "SHR", "SHARE" }, { "1ST", "FIRST" },
    { "2ND", "SECOND" },  { "3RD", "THIRD" },  { "4TH", "FOURTH" }, { "INC", "" },
    { "CORP", "" },       { "LTD", "" },       { "PCT", "PERCENT" }, { "MLN", "MILLION" },
    { "BLN", "BILLION" }, { "DLRS", "DOLLARS" }, { "SAYS", "SAID" }, { "CO", "" }
};
#define NHEAD (sizeof head_words / sizeof *head_words)
static const char *const head_prefix[] = { "UPDATE 1-", "UPDATE 2-", "BRIEF-", "RPT-", "Breaking: " };
enum { H_CASE = 1, H_TICKERS = 2, H_WORDS = 4, H_PREFIX = 8, H_SUFFIX = 16 };

static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(int c) { return is_upper(c) || is_lower(c); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int to_lower(int c) { return is_upper(c) ? c + 32 : c; }
static int to_upper(int c) { return is_lower(c) ? c - 32 : c; }

void gen_styles_init(gen_ctx *X)
{
    memset(X->style, 0, sizeof X->style);
    X->style[0].name = X->cfg->wire_name;
    X->style[0].para = 2;
    X->style[0].width = 65;
    for (int o = 1; o <= GEN_OUTLETS; o++) {
        gen_rng r = gen_rng_make(X->cfg->seed, 0x57594c45ULL, (uint64_t)o);
        gen_style *s = &X->style[o];
        s->name = outlet_names[o - 1];
        s->dateline = (uint8_t)gen_below(&r, 5);
        s->byline = (uint8_t)gen_below(&r, 5);
        s->trailer = (uint8_t)gen_below(&r, 5);
        s->headline = H_CASE;
        if (gen_chance(&r, 0.5)) s->headline |= H_TICKERS;
        if (gen_chance(&r, 0.5)) s->headline |= H_WORDS;
        if (gen_chance(&r, 0.4)) s->headline |= H_PREFIX;
        if (gen_chance(&r, 0.5)) s->headline |= H_SUFFIX;
        s->para = (uint8_t)gen_below(&r, 3);
        s->width = gen_chance(&r, 0.25) ? 0 : (uint8_t)(58 + gen_below(&r, 19));
        for (unsigned k = 0; k < NSUBS; k++) {
            double u = gen_unif(&r);
            unsigned dir = u < 0.45 ? 0 : u < 0.9 ? 1 : 2;
            if (subs[k].b[0] == 0 || strchr(subs[k].b, ' ')) dir = dir ? 1 : 0;
            s->copyedit |= dir << (2 * k);
        }
    }
}

void gen_scratch_free(gen_scratch *S)
{
    wd_buf_free(&S->title);
    wd_buf_free(&S->body);
    wd_buf_free(&S->b1);
    wd_buf_free(&S->b2);
    wd_buf_free(&S->text);
    wd_buf_free(&S->json);
    wd_buf_free(&S->neg_title);
    wd_buf_free(&S->neg_body);
    free(S->sent);
    memset(S, 0, sizeof *S);
}

/* ---------------------------------------------------------------------------
 * Reuse noise: a reused base gets a share of its words replaced by words
 * drawn from the whole base corpus (digits by other digits), keeping the
 * case pattern. With share p, a word 5-gram survives with (1-p)^5: at the
 * default 0.35 two reuses of one base share about 1.3 % of their 5-grams
 * and a reuse shares 12 % with the original (Jaccard 0.06), far below any
 * duplicate threshold, so reuses are distinct stories with distinct labels.
 * ------------------------------------------------------------------------- */
/* Byte classes: letters, digits, and bytes of multi-byte characters. */
enum { C_LOWER = 1, C_UPPER = 2, C_DIGIT = 4, C_HIGH = 8, C_WORD = 7 };
static const uint8_t cls[256] = {
    ['0' ... '9'] = C_DIGIT, ['A' ... 'Z'] = C_UPPER, ['a' ... 'z'] = C_LOWER,
    [0x80 ... 0xff] = C_HIGH
};

void gen_perturb(wd_buf *dst, const char *str, size_t n, const gen_corpus *C, gen_rng *P,
                 double noise)
{
    const unsigned char *s = (const unsigned char *)str;
    const uint32_t thresh = (uint32_t)(noise * 65536.0);
    uint64_t bits = 0;
    int nbits = 0;
    size_t i = 0, done = 0; /* str[done..) is not yet in dst */
    gen_room(dst, n + n / 2 + 64);
    while (i < n) {
        while (i < n && !(cls[s[i]] & C_WORD)) i++;
        if (i >= n) break;
        size_t w = i;
        unsigned seen = 0;
        while (i < n && (cls[s[i]] & C_WORD)) seen |= cls[s[i++]];
        size_t len = i - w;
        int glued = (w > 0 && (cls[s[w - 1]] & C_HIGH)) || (i < n && (cls[s[i]] & C_HIGH));
        if (nbits == 0) {
            bits = gen_next(P);
            nbits = 4;
        }
        uint32_t u = (uint32_t)(bits & 0xffff);
        bits >>= 16;
        nbits--;
        if (glued || u >= thresh) continue;
        gen_put(dst, str + done, w - done);
        done = i;
        char *o = gen_room(dst, len > 16 ? len : 16);
        if (seen == C_DIGIT) {
            uint64_t d = gen_next(P);
            for (size_t k = 0; k < len; k++, d >>= 4)
                o[k] = (char)('0' + (d & 15) % 10);
            if (len > 1 && o[0] == '0') o[0] = '1';
            dst->len += len;
            continue;
        }
        const char *v = C->vocab[gen_below(P, C->nvocab)];
        size_t rl = (unsigned char)v[0];
        memcpy(o, v + 1, 15);
        if (seen == C_UPPER && len > 1) {
            for (size_t k = 0; k < rl; k++) o[k] = (char)(o[k] - 32);
        } else if (cls[s[w]] & C_UPPER) {
            o[0] = (char)(o[0] - 32);
        }
        dst->len += rl;
    }
    gen_put(dst, str + done, n - done);
}

/* ---------------------------------------------------------------------------
 * Headline rewrite
 * ------------------------------------------------------------------------- */
static int word_ieq(const char *w, size_t n, const char *ref)
{
    size_t k = 0;
    for (; k < n && ref[k]; k++)
        if (to_upper((unsigned char)w[k]) != ref[k]) return 0;
    return k == n && ref[k] == 0;
}

static void headline(wd_buf *dst, const char *t, size_t n, const gen_style *st,
                     const char *outlet, const char *wire, gen_rng *R)
{
    unsigned ops = st->headline;
    int drop_tickers = gen_chance(R, 0.5);
    size_t start;
    if ((ops & H_PREFIX) && gen_chance(R, 0.35))
        gen_puts(dst, head_prefix[gen_below(R, sizeof head_prefix / sizeof *head_prefix)]);
    start = dst->len;
    size_t i = 0;
    while (i < n) {
        while (i < n && t[i] == ' ') i++;
        size_t w = i;
        while (i < n && t[i] != ' ') i++;
        if (i == w) break;
        const char *word = t + w;
        size_t len = i - w;
        if ((ops & H_TICKERS) && len > 2 && word[0] == '<' && word[len - 1] == '>') {
            if (drop_tickers) continue;
            if (dst->len > start) gen_putc(dst, ' ');
            gen_putc(dst, '(');
            gen_put(dst, word + 1, len - 2);
            gen_putc(dst, ')');
            continue;
        }
        if (ops & H_WORDS) {
            size_t core = len;
            while (core && (word[core - 1] == ',' || word[core - 1] == ':')) core--;
            const char *rep = NULL;
            for (unsigned k = 0; k < NHEAD && !rep; k++)
                if (word_ieq(word, core, head_words[k].a)) rep = head_words[k].b;
            if (rep) {
                if (*rep) {
                    if (dst->len > start) gen_putc(dst, ' ');
                    gen_puts(dst, rep);
                    gen_put(dst, word + core, len - core);
                }
                continue;
            }
        }
        if (dst->len > start) gen_putc(dst, ' ');
        gen_put(dst, word, len);
    }
    if (dst->len == start) gen_put(dst, t, n); /* nothing left: keep it */
    if (ops & H_CASE) {
        double u = gen_unif(R);
        int mode = u < 0.6 ? 1 : u < 0.9 ? 2 : 0; /* title case, sentence case, as is */
        int first = 1;
        for (size_t k = start; k < dst->len; k++) {
            char *c = &dst->data[k];
            int word_start = k == start || dst->data[k - 1] == ' ' || dst->data[k - 1] == '(' ||
                             dst->data[k - 1] == '-' || dst->data[k - 1] == '/';
            if (!is_alpha((unsigned char)*c)) continue;
            if (mode == 1) *c = (char)(word_start ? to_upper(*c) : to_lower(*c));
            else if (mode == 2) *c = (char)(first ? to_upper(*c) : to_lower(*c));
            first = 0;
        }
    }
    if ((ops & H_SUFFIX) && gen_chance(R, 0.5)) {
        switch (gen_below(R, 4)) {
        case 0: gen_puts(dst, " | "); gen_puts(dst, outlet); break;
        case 1: gen_puts(dst, " - "); gen_puts(dst, wire); break;
        case 2: gen_puts(dst, " ("); gen_puts(dst, wire); gen_putc(dst, ')'); break;
        default: gen_puts(dst, " - report"); break;
        }
    }
}

/* ---------------------------------------------------------------------------
 * Sentences
 * ------------------------------------------------------------------------- */
static void add_sent(gen_scratch *S, size_t off, size_t len, uint32_t par, uint32_t words)
{
    if (S->nsent == S->cap_sent) {
        size_t cap = S->cap_sent ? S->cap_sent * 2 : 256;
        gen_sent *n = realloc(S->sent, cap * sizeof *n);
        if (!n) gen_oom();
        S->sent = n;
        S->cap_sent = cap;
    }
    S->sent[S->nsent++] = (gen_sent){ (uint32_t)off, (uint32_t)len, par, words };
}

/* Is the '.' at s[i] the end of an abbreviation (Mr., U.S., single letters)? */
static int abbreviation(const char *s, size_t i)
{
    size_t w = i;
    while (w > 0 && is_alpha((unsigned char)s[w - 1])) w--;
    size_t len = i - w;
    if (len == 1) return 1;
    if (len == 2 && ((s[w] == 'M' && s[w + 1] == 'r') || (s[w] == 'D' && s[w + 1] == 'r') ||
                     (s[w] == 'S' && s[w + 1] == 't') || (s[w] == 'J' && s[w + 1] == 'r') ||
                     (s[w] == 'M' && s[w + 1] == 's') || (s[w] == 'N' && s[w + 1] == 'o')))
        return 1;
    if (len == 3 && s[w] == 'M' && s[w + 1] == 'r' && s[w + 2] == 's') return 1;
    return 0;
}

/* Splits a clean body (paragraphs on lines) into sentences. */
static void split_sentences(gen_scratch *S, const char *s, size_t n)
{
    S->nsent = 0;
    uint32_t par = 0;
    size_t i = 0, start = 0;
    uint32_t words = 1;
    while (i < n) {
        char c = s[i];
        if (c == '\n') {
            if (i > start) add_sent(S, start, i - start, par, words);
            par++;
            start = ++i;
            words = 1;
            continue;
        }
        if (c == ' ') {
            words++;
            if (i > start) {
                char p = s[i - 1];
                size_t e = i - 1;
                if ((p == '"' || p == ')' || p == '\'') && e > start) p = s[--e];
                if ((p == '.' || p == '!' || p == '?') && i + 1 < n) {
                    unsigned char nx = (unsigned char)s[i + 1];
                    if ((is_upper(nx) || is_digit(nx) || nx == '"' || nx == '<' || nx == '(') &&
                        !(p == '.' && abbreviation(s, e))) {
                        add_sent(S, start, i - start, par, words - 1);
                        start = i + 1;
                        words = 1;
                    }
                }
            }
        }
        i++;
    }
    if (n > start) add_sent(S, start, n - start, par, words);
}

/* ---------------------------------------------------------------------------
 * Copy-edit substitutions
 * ------------------------------------------------------------------------- */
static void copyedit(wd_buf *dst, const char *s, size_t n, uint32_t dirs)
{
    uint64_t first[4] = {0}; /* first letters of the words this outlet replaces */
    for (unsigned k = 0; k + 1 < NSUBS; k++) {
        unsigned dir = (dirs >> (2 * k)) & 3;
        if (!dir) continue;
        unsigned char c = (unsigned char)(dir == 1 ? subs[k].a : subs[k].b)[0];
        first[c >> 6] |= 1ULL << (c & 63);
    }
    gen_room(dst, n + n / 8 + 16);
    size_t i = 0;
    while (i < n) {
        size_t w = i;
        while (i < n && !is_alnum((unsigned char)s[i]) && s[i] != '<') i++;
        gen_put(dst, s + w, i - w);
        if (i >= n) break;
        if (s[i] == '<') {
            unsigned dir = (dirs >> (2 * (NSUBS - 1))) & 3;
            const char *close = dir ? memchr(s + i, '>', n - i < 64 ? n - i : 64) : NULL;
            if (close) {
                gen_put(dst, s + i + 1, (size_t)(close - s) - i - 1);
                i = (size_t)(close - s) + 1;
            } else {
                gen_putc(dst, '<');
                i++;
            }
            continue;
        }
        w = i;
        while (i < n && is_alnum((unsigned char)s[i])) i++;
        size_t len = i - w;
        /* "U.S." is letters and dots */
        if (len == 1 && s[w] == 'U' && i + 2 < n && s[i] == '.' && s[i + 1] == 'S' && s[i + 2] == '.')
            len = 4, i = w + 4;
        const char *rep = NULL;
        size_t replen = 0;
        if (!(first[(unsigned char)s[w] >> 6] >> ((unsigned char)s[w] & 63) & 1)) {
            gen_put(dst, s + w, len);
            continue;
        }
        for (unsigned k = 0; k + 1 < NSUBS && !rep; k++) {
            unsigned dir = (dirs >> (2 * k)) & 3;
            if (!dir) continue;
            const char *from = dir == 1 ? subs[k].a : subs[k].b;
            size_t fl = dir == 1 ? subs[k].al : subs[k].bl;
            if (fl == len && !memcmp(from, s + w, len)) {
                rep = dir == 1 ? subs[k].b : subs[k].a;
                replen = dir == 1 ? subs[k].bl : subs[k].al;
            }
        }
        if (rep) gen_put(dst, rep, replen);
        else gen_put(dst, s + w, len);
    }
}

/* ---------------------------------------------------------------------------
 * Unicode punctuation: curly quotes and apostrophes, em dashes, no-break
 * spaces after Mr./Mrs./Dr. and between a number and the word after it.
 * ------------------------------------------------------------------------- */
static void unicode_punct(wd_buf *dst, const char *s, size_t n)
{
    gen_room(dst, n + n / 4 + 16);
    size_t i = 0;
    while (i < n) {
        size_t w = i;
        while (i < n && s[i] != '"' && s[i] != '\'' && s[i] != '-' && s[i] != ' ') i++;
        gen_put(dst, s + w, i - w);
        if (i >= n) break;
        char c = s[i];
        unsigned char prev = i ? (unsigned char)s[i - 1] : ' ';
        unsigned char next = i + 1 < n ? (unsigned char)s[i + 1] : ' ';
        if (c == '"') {
            int open = prev == ' ' || prev == '\n' || prev == '(' || i == 0;
            gen_puts(dst, open ? "\xE2\x80\x9C" : "\xE2\x80\x9D");
            i++;
        } else if (c == '\'') {
            int open = (prev == ' ' || prev == '\n' || i == 0) && is_alpha(next);
            gen_puts(dst, open ? "\xE2\x80\x98" : "\xE2\x80\x99");
            i++;
        } else if (c == '-') {
            if (next == '-') {
                gen_puts(dst, "\xE2\x80\x94");
                i += 2;
            } else if (prev == ' ' && next == ' ') {
                gen_puts(dst, "\xE2\x80\x94");
                i++;
            } else {
                gen_putc(dst, '-');
                i++;
            }
        } else { /* ' ' */
            int nbsp = 0;
            if (is_digit(prev) && is_alpha(next)) nbsp = 1;
            else if (prev == '.' && i >= 3 &&
                     ((s[i - 3] == 'M' && s[i - 2] == 'r') || (s[i - 3] == 'D' && s[i - 2] == 'r') ||
                      (s[i - 3] == 'M' && s[i - 2] == 's') ||
                      (i >= 4 && s[i - 4] == 'M' && s[i - 3] == 'r' && s[i - 2] == 's')))
                nbsp = 1;
            if (nbsp) gen_puts(dst, "\xC2\xA0");
            else gen_putc(dst, ' ');
            i++;
        }
    }
}

/* ---------------------------------------------------------------------------
 * OCR noise: at a share `rate` of the characters (positions drawn by
 * geometric skips, so the cost is per change, not per byte), an ASCII letter
 * or digit is confused with a look-alike (rn/m, l/1, e/c, O/0, ...), hit as
 * a keyboard neighbour, deleted, swapped with the next one or doubled.
 * ------------------------------------------------------------------------- */
static const char *const kb_rows[3] = { "qwertyuiop", "asdfghjkl", "zxcvbnm" };

static char kb_neighbour(char c, gen_rng *R)
{
    int lc = to_lower((unsigned char)c);
    for (int r = 0; r < 3; r++) {
        const char *p = strchr(kb_rows[r], lc);
        if (!p || !lc) continue;
        size_t k = (size_t)(p - kb_rows[r]), len = strlen(kb_rows[r]);
        size_t j = k == 0 ? 1 : k + 1 == len ? k - 1 : (gen_below(R, 2) ? k + 1 : k - 1);
        char o = kb_rows[r][j];
        return (char)(is_upper((unsigned char)c) ? to_upper(o) : o);
    }
    return c;
}

/* A look-alike for s[i] (may be two characters); sets *used to the number
 * of input characters replaced. NULL when there is none. */
static const char *confusion(const char *s, size_t i, size_t n, size_t *used, char buf[3])
{
    char c = s[i];
    *used = 1;
    if (c == 'r' && i + 1 < n && s[i + 1] == 'n') { *used = 2; return "m"; }
    if (c == 'c' && i + 1 < n && s[i + 1] == 'l') { *used = 2; return "d"; }
    switch (c) {
    case 'm': return "rn";
    case 'd': return "cl";
    case 'l': return "1";
    case '1': return "l";
    case 'e': return "c";
    case 'c': return "e";
    case 'O': return "0";
    case '0': return "O";
    case 'I': return "l";
    case 'i': return "l";
    case 'h': return "b";
    case 'b': return "h";
    case 'u': return "v";
    case 'v': return "u";
    case 'S': return "5";
    case '5': return "S";
    case 'B': return "8";
    case 'g': return "q";
    case 'a': return "o";
    case 'o': return "a";
    case 'n': return "u";
    case 't': return "f";
    case 'f': return "t";
    default: buf[0] = 0; return NULL;
    }
}

static void ocr_noise(wd_buf *dst, const char *s, size_t n, double rate, gen_rng *R)
{
    gen_room(dst, n + n / 16 + 16);
    if (rate <= 0) {
        gen_put(dst, s, n);
        return;
    }
    double lg = log1p(-rate);
    size_t i = 0;
    for (;;) {
        double u = gen_unif(R);
        double skip = lg < 0 ? floor(log1p(-u) / lg) : 0;
        size_t next = skip >= (double)(n - i) ? n : i + (size_t)skip;
        gen_put(dst, s + i, next - i);
        i = next;
        if (i >= n) break;
        char c = s[i];
        if (!is_alnum((unsigned char)c)) {
            gen_putc(dst, c);
            i++;
            continue;
        }
        double op = gen_unif(R);
        char buf[3];
        size_t used;
        const char *look = op < 0.6 ? confusion(s, i, n, &used, buf) : NULL;
        if (look) {
            gen_puts(dst, look);
            i += used;
        } else if (op < 0.75) {
            gen_putc(dst, kb_neighbour(c, R));
            i++;
        } else if (op < 0.85) {
            i++;                                 /* deletion */
        } else if (op < 0.95 && i + 1 < n && is_alnum((unsigned char)s[i + 1])) {
            gen_putc(dst, s[i + 1]);             /* transposition */
            gen_putc(dst, c);
            i += 2;
        } else {
            gen_putc(dst, c);                    /* doubled */
            gen_putc(dst, c);
            i++;
        }
    }
}

/* ---------------------------------------------------------------------------
 * Layout: paragraphs (lines of a clean body) wrapped at width (0: one line
 * each) and separated by a blank line, a newline, or a newline and an
 * indent (the wire layout).
 * ------------------------------------------------------------------------- */
static void layout(wd_buf *dst, const char *s, size_t n, unsigned width, unsigned para)
{
    gen_room(dst, n + n / 32 + 16);
    size_t i = 0;
    int firstpar = 1;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        if (!firstpar) gen_puts(dst, para == 0 ? "\n\n" : para == 1 ? "\n" : "\n    ");
        size_t col0 = firstpar || para != 2 ? 0 : 4;
        firstpar = 0;
        size_t at = dst->len, len = end - i;
        gen_put(dst, s + i, len);
        if (width) {
            /* greedy, in place: when a word ends past the width, the space
             * before it becomes a line break */
            char *p = dst->data + at;
            size_t line = 0, last = (size_t)-1;
            for (size_t k = 0; k <= len; k++) {
                if (k < len && p[k] != ' ') continue;
                if (k - line + col0 > width && last != (size_t)-1 && last >= line) {
                    p[last] = '\n';
                    line = last + 1;
                    col0 = 0;
                }
                last = k;
            }
        }
        i = end + 1;
    }
}

/* ---------------------------------------------------------------------------
 * Datelines, bylines, trailers
 * ------------------------------------------------------------------------- */
static void put_city(wd_buf *dst, const char *c, size_t n, int title_case)
{
    for (size_t k = 0; k < n; k++) {
        int ch = (unsigned char)c[k];
        int start = k == 0 || c[k - 1] == ' ' || c[k - 1] == '-' || c[k - 1] == '.';
        gen_putc(dst, (char)(title_case ? (start ? to_upper(ch) : to_lower(ch)) : ch));
    }
}

/* form: -1 wire, 0..3 outlet forms (4 = removed is handled by the caller). */
static void dateline(wd_buf *dst, const gen_base *b, const char *arena, int form, const char *wire)
{
    const char *city = arena + b->city_off;
    char num[8];
    snprintf(num, sizeof num, "%u", b->day);
    int m = b->month - 1;
    switch (form) {
    case 0:
        put_city(dst, city, b->city_len, 0);
        gen_puts(dst, ", "); gen_puts(dst, month_full[m]); gen_putc(dst, ' '); gen_puts(dst, num);
        gen_puts(dst, " ("); gen_puts(dst, wire); gen_puts(dst, ") - ");
        break;
    case 1:
        put_city(dst, city, b->city_len, 0);
        gen_puts(dst, ", "); gen_puts(dst, month_ap[m]); gen_putc(dst, ' '); gen_puts(dst, num);
        gen_puts(dst, " ("); gen_puts(dst, wire); gen_puts(dst, ") - ");
        break;
    case 2:
        put_city(dst, city, b->city_len, 0);
        gen_puts(dst, " ("); gen_puts(dst, wire); gen_puts(dst, ") -- ");
        break;
    case 3:
        put_city(dst, city, b->city_len, 1);
        gen_puts(dst, " - ");
        break;
    default:
        put_city(dst, city, b->city_len, 0);
        gen_puts(dst, ", "); gen_puts(dst, month_wire[m]); gen_putc(dst, ' '); gen_puts(dst, num);
        gen_puts(dst, " - ");
        break;
    }
}

static void put_name(wd_buf *dst, gen_rng *N, int upper)
{
    const char *f = first_names[gen_below(N, NFIRST)], *l = last_names[gen_below(N, NLAST)];
    size_t at = dst->len;
    gen_puts(dst, f);
    gen_putc(dst, ' ');
    gen_puts(dst, l);
    if (upper)
        for (size_t k = at; k < dst->len; k++) dst->data[k] = (char)to_upper((unsigned char)dst->data[k]);
}

static void byline(wd_buf *dst, int form, gen_rng N, const char *wire)
{
    switch (form) {
    case 0: gen_puts(dst, "By "); put_name(dst, &N, 0); break;
    case 1: put_name(dst, &N, 0); gen_puts(dst, ", "); gen_puts(dst, wire); break;
    case 2: gen_puts(dst, "By "); put_name(dst, &N, 1); break;
    case 3: gen_puts(dst, "By "); put_name(dst, &N, 0); gen_puts(dst, " and "); put_name(dst, &N, 0); break;
    default: put_name(dst, &N, 0); gen_puts(dst, " | Staff Writer"); break;
    }
}

static void trailer(wd_buf *dst, int form, gen_rng N, const gen_ctx *X, const gen_base *b,
                    int year, gen_rng *R)
{
    const char *wire = X->cfg->wire_name;
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    gen_rng M = N;
    (void)gen_next(&M); /* editors differ from the byline's reporter */
    switch (form) {
    case 0:
        gen_puts(dst, "Reporting by "); put_name(dst, &N, 0);
        gen_puts(dst, "; Editing by "); put_name(dst, &M, 0);
        break;
    case 1:
        gen_puts(dst, "(Reporting by "); put_name(dst, &N, 0);
        if (b->city_len) {
            gen_puts(dst, " in ");
            put_city(dst, X->C->arena.data + b->city_off, b->city_len, 1);
        }
        gen_puts(dst, "; Editing by "); put_name(dst, &M, 0); gen_putc(dst, ')');
        break;
    case 2:
        gen_puts(dst, "Copyright "); gen_puts(dst, y); gen_putc(dst, ' '); gen_puts(dst, wire);
        gen_puts(dst, ". All rights reserved.");
        break;
    case 3:
        gen_puts(dst, "Republished with permission. "); gen_puts(dst, wire);
        gen_puts(dst, " news copyright "); gen_puts(dst, y); gen_putc(dst, '.');
        break;
    default: {
        const gen_base *o = &X->C->b[gen_below(R, X->C->n)];
        gen_puts(dst, "Related coverage: ");
        gen_put(dst, X->C->arena.data + o->title_off, o->title_len);
        break;
    }
    }
}

/* ---------------------------------------------------------------------------
 * One document
 * ------------------------------------------------------------------------- */
#define SWAP_BUF(a, b) do { wd_buf t_ = (a); (a) = (b); (b) = t_; } while (0)

/* A hard negative's story (recipe kind): from the earlier story's title and
 * body, into S->neg_title and S->neg_body. */
static void hard_negative(const gen_ctx *X, const gen_recipe *r, gen_scratch *S,
                          const char **title, size_t *title_len, const char **body,
                          size_t *body_len)
{
    const gen_corpus *C = X->C;
    gen_rng R = gen_rng_make(X->cfg->seed ^ 0x4e454741ULL, r->story, 0);
    S->neg_title.len = S->neg_body.len = 0;
    if (r->kind == GEN_TEMPLATE) {
        gen_template(&S->neg_title, &S->neg_body, *title, *title_len, *body, *body_len, C, &R);
    } else {
        /* the follow-up's own text: its base with heavy noise, so that it is
         * no copy of the story that base makes elsewhere in the corpus */
        const gen_base *o = &C->b[r->other];
        const char *arena = C->arena.data;
        wd_buf own = {0};
        gen_perturb(&S->neg_title, arena + o->title_off, o->title_len, C, &R, 0.35);
        gen_perturb(&own, arena + o->clean_off, o->clean_len, C, &R, 0.35);
        if (!gen_followup(&S->neg_body, own.data, own.len, *body, *body_len, &R))
            gen_put(&S->neg_body, own.data, own.len); /* planning rules this out */
        wd_buf_free(&own);
    }
    *title = S->neg_title.data;
    *title_len = S->neg_title.len;
    *body = S->neg_body.data;
    *body_len = S->neg_body.len;
}

/* Runs one held-out edit from cur into nxt and swaps them when it applied;
 * clears the flag when it did not. */
#define HELDOUT(flag, call) do { \
        if (flag) { \
            nxt->len = 0; \
            if (call) { wd_buf *t_ = cur; cur = nxt; nxt = t_; } else (flag) = 0; \
        } \
    } while (0)

void gen_make_doc(const gen_ctx *X, const gen_recipe *r, uint64_t doc, gen_scratch *S,
                  wd_buf *out, wd_buf *labels, wd_buf *edits)
{
    const gen_config *c = X->cfg;
    const gen_corpus *C = X->C;
    const gen_base *b = &C->b[r->base];
    const char *arena = C->arena.data;
    const gen_style *st = &X->style[r->outlet];
    gen_rng R = gen_rng_make(c->seed, r->story, (uint64_t)r->member + 1);
    gen_rng N = gen_rng_make(c->seed ^ 0x4e414d45ULL, r->story, 0); /* names: per story */

    time_t when = (time_t)(X->epoch + r->t);
    struct tm tm;
    gmtime_r(&when, &tm);

    /* the story: the base, or the base with reuse noise */
    const char *title = arena + b->title_off, *body = arena + b->clean_off;
    size_t title_len = b->title_len, body_len = b->clean_len;
    if (r->reuse && c->reuse_noise > 0) {
        gen_rng P = gen_rng_make(c->seed ^ 0x52455553ULL, r->base, r->reuse);
        S->title.len = S->body.len = 0;
        gen_perturb(&S->title, title, title_len, C, &P, c->reuse_noise);
        gen_perturb(&S->body, body, body_len, C, &P, c->reuse_noise);
        title = S->title.data;
        title_len = S->title.len;
        body = S->body.data;
        body_len = S->body.len;
    }

    if (r->kind) {
        hard_negative(X, r, S, &title, &title_len, &body, &body_len);
        S->edits[r->kind]++;
    }

    wd_buf *text = &S->text;
    text->len = 0;
    const char *out_title = title;
    size_t out_title_len = title_len;
    int ed[GEN_NEDITS] = {0};

    if (r->outlet == 0) { /* the wire story */
        S->wire++;
        if (c->title_in_text) {
            gen_put(text, title, title_len);
            gen_puts(text, "\n\n");
        }
        if (!r->reuse && !r->kind) {
            gen_put(text, arena + b->orig_off, b->orig_len);
        } else {
            S->b1.len = 0;
            if (b->city_len) dateline(&S->b1, b, arena, -1, c->wire_name);
            gen_put(&S->b1, body, body_len);
            layout(text, S->b1.data, S->b1.len, 65, 2);
        }
    } else {
        /* story edits (template, followup) are made when planning */
        for (int e = 0; e < GEN_TEMPLATE; e++) ed[e] = gen_chance(&R, c->rate[e]);
        if (!b->city_len) ed[GEN_DATELINE] = 0;

        if (ed[GEN_HEADLINE]) {
            S->b2.len = 0;
            headline(&S->b2, title, title_len, st, st->name, c->wire_name, &R);
            SWAP_BUF(S->b2, S->title); /* the story title is no longer needed */
            out_title = S->title.data;
            out_title_len = S->title.len;
        }
        if (ed[GEN_CORRECTION]) { /* the re-issue says so in its headline */
            S->b2.len = 0;
            gen_puts(&S->b2, "CORRECTED-");
            gen_put(&S->b2, out_title, out_title_len);
            SWAP_BUF(S->b2, S->title);
            out_title = S->title.data;
            out_title_len = S->title.len;
        }

        /* sentences kept: truncation, then a dropped sentence */
        if (ed[GEN_TRUNCATE] || ed[GEN_DROP]) split_sentences(S, body, body_len);
        else add_sent((S->nsent = 0, S), 0, body_len, 0, 0); /* the body as is */
        size_t keep = S->nsent, drop = (size_t)-1;
        if (ed[GEN_TRUNCATE] && S->nsent > 1) {
            double frac = 0.4 + 0.5 * gen_unif(&R);
            uint32_t npar = S->sent[S->nsent - 1].par + 1;
            if (npar >= 4) {
                uint32_t kp = (uint32_t)ceil(frac * npar);
                keep = 0;
                while (keep < S->nsent && S->sent[keep].par < kp) keep++;
            } else {
                keep = (size_t)ceil(frac * (double)S->nsent);
            }
            size_t words = 0;
            for (size_t k = 0; k < keep; k++) words += S->sent[k].words;
            while (keep < S->nsent && words < 25) words += S->sent[keep++].words;
            if (keep == S->nsent) ed[GEN_TRUNCATE] = 0;
        }
        if (ed[GEN_DROP] && keep >= 3) drop = 1 + gen_below(&R, keep - 2);
        else ed[GEN_DROP] = 0;

        wd_buf *cur = &S->b1, *nxt = &S->b2;
        cur->len = 0;
        if (ed[GEN_DATELINE]) {
            if (st->dateline < 4) dateline(cur, b, arena, st->dateline, c->wire_name);
        } else if (b->city_len) {
            dateline(cur, b, arena, -1, c->wire_name);
        }
        size_t prev = (size_t)-1;
        for (size_t k = 0; k < keep; k++) {
            if (k == drop) continue;
            const gen_sent *s = &S->sent[k];
            if (prev != (size_t)-1) gen_putc(cur, s->par != S->sent[prev].par ? '\n' : ' ');
            gen_put(cur, body + s->off, s->len);
            prev = k;
        }
        HELDOUT(ed[GEN_CORRECTION], gen_correct(nxt, cur->data, cur->len, &R));
        HELDOUT(ed[GEN_NUMBERS], gen_numbers(nxt, cur->data, cur->len));
        HELDOUT(ed[GEN_RESPLIT], gen_resplit(nxt, cur->data, cur->len, &R));
        HELDOUT(ed[GEN_REORDER], gen_reorder(nxt, cur->data, cur->len, &R));
        HELDOUT(ed[GEN_LOCAL], gen_local(nxt, cur->data, cur->len, &R));
        if (ed[GEN_COPYEDIT]) {
            nxt->len = 0;
            copyedit(nxt, cur->data, cur->len, st->copyedit);
            wd_buf *t = cur; cur = nxt; nxt = t;
        }
        if (ed[GEN_UNICODE]) {
            nxt->len = 0;
            unicode_punct(nxt, cur->data, cur->len);
            wd_buf *t = cur; cur = nxt; nxt = t;
        }
        if (ed[GEN_OCR]) {
            nxt->len = 0;
            ocr_noise(nxt, cur->data, cur->len, c->ocr_chars, &R);
            wd_buf *t = cur; cur = nxt; nxt = t;
        }

        HELDOUT(ed[GEN_HTML], gen_html(nxt, cur->data, cur->len, &R));

        if (c->title_in_text) {
            gen_put(text, out_title, out_title_len);
            gen_puts(text, "\n\n");
        }
        unsigned para = ed[GEN_WRAP] ? st->para : 2, width = ed[GEN_WRAP] ? st->width : 65;
        if (ed[GEN_HYPHEN] && !width) width = 65; /* breaks need lines */
        const char *psep = para == 0 ? "\n\n" : para == 1 ? "\n" : "\n    ";
        if (ed[GEN_BYLINE]) {
            byline(text, st->byline, N, c->wire_name);
            gen_puts(text, "\n\n");
        }
        size_t body_at = text->len;
        layout(text, cur->data, cur->len, width, para);
        if (ed[GEN_HYPHEN]) {
            nxt->len = 0;
            if (gen_hyphenate(nxt, text->data + body_at, text->len - body_at, &R)) {
                text->len = body_at;
                gen_put(text, nxt->data, nxt->len);
            } else {
                ed[GEN_HYPHEN] = 0;
            }
        }
        if (ed[GEN_TRAILER]) {
            gen_puts(text, psep);
            trailer(text, st->trailer, N, X, b, tm.tm_year + 1900, &R);
        }
        for (int e = 0; e < GEN_TEMPLATE; e++) S->edits[e] += (uint64_t)ed[e];
    }

    /* the JSONL line */
    char head[160];
    int hl = snprintf(head, sizeof head,
                      "{\"id\":\"d%0*llu\",\"outlet\":", X->id_width, (unsigned long long)doc);
    gen_put(out, head, (size_t)hl);
    if (wd_json_quote(st->name, strlen(st->name), out)) gen_oom();
    hl = snprintf(head, sizeof head, ",\"date\":\"%04d-%02d-%02dT%02d:%02d:%02d\",\"title\":",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    gen_put(out, head, (size_t)hl);
    if (wd_json_quote(out_title, out_title_len, out)) gen_oom();
    gen_puts(out, ",\"text\":");
    if (wd_json_quote(text->data, text->len, out)) gen_oom();
    gen_puts(out, "}\n");

    hl = snprintf(head, sizeof head, "d%0*llu\tc%0*llu\n", X->id_width, (unsigned long long)doc,
                  X->id_width, (unsigned long long)r->story);
    gen_put(labels, head, (size_t)hl);

    if (edits) {
        hl = snprintf(head, sizeof head, "d%0*llu\t", X->id_width, (unsigned long long)doc);
        gen_put(edits, head, (size_t)hl);
        size_t at = edits->len;
        if (r->kind) ed[r->kind] = 1;
        for (int e = GEN_NDEV; e < GEN_NEDITS; e++)
            if (ed[e]) {
                if (edits->len > at) gen_putc(edits, ',');
                gen_puts(edits, gen_edit_names[e]);
            }
        if (edits->len == at) gen_putc(edits, '-');
        gen_putc(edits, '\n');
    }
}
