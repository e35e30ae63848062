/*
 * heldout.c - edit types that syndication-dev does not show, for a held-out
 * evaluation (`wiredup gen --edits=heldout`).
 *
 * Copy edits (a syndicated copy, same cluster) work on a body with one
 * paragraph per line, like the dev edits in edits.c:
 *   reorder     two paragraphs after the lead swap places
 *   resplit     ". X" merged into ", and x"; ", and " / "; " split into ". "
 *   local       a paragraph of local reaction inserted in the middle
 *   numbers     1,000 <-> 10000-style separators, "5 pct" -> "5%", "$3"
 *   correction  one figure changed, a "(Corrects ...)" note, CORRECTED- title
 *   html        <p> tags, &amp;/&quot; entities, a stray <br>
 *   hyphen      words broken across line ends ("sever-\nal"), after layout
 * Story edits make a new story, its own cluster, that looks like an earlier
 * one (hard negatives):
 *   template    the earlier story's table with other figures and company
 *               (only stories that are mostly figures: earnings, dividends)
 *   followup    another story that quotes one paragraph of the earlier one
 * Why these: each keeps the story a human would call the same (or, for the
 * story edits, a different one) while moving text in a way dev never does:
 * order, sentence boundaries, inserted text, number forms, markup.
 */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"

static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(int c) { return is_upper(c) || is_lower(c); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* Paragraph starts (offsets of the lines of s); returns the count, at most max. */
static size_t paragraphs(const char *s, size_t n, size_t *start, size_t max)
{
    size_t np = 0;
    for (size_t i = 0; i < n && np < max;) {
        start[np++] = i;
        const char *nl = memchr(s + i, '\n', n - i);
        i = nl ? (size_t)(nl - s) + 1 : n;
    }
    return np;
}

static size_t par_end(const char *s, size_t n, size_t at)
{
    const char *nl = memchr(s + at, '\n', n - at);
    return nl ? (size_t)(nl - s) : n;
}

#define MAXPAR 512

int gen_reorder(wd_buf *dst, const char *s, size_t n, gen_rng *R)
{
    size_t st[MAXPAR], np = paragraphs(s, n, st, MAXPAR);
    if (np < 3) return 0;
    size_t i = 1 + gen_below(R, np - 2); /* swap i and i+1, never the lead */
    for (size_t k = 0; k < np; k++) {
        size_t p = k == i ? i + 1 : k == i + 1 ? i : k;
        if (k) gen_putc(dst, '\n');
        gen_put(dst, s + st[p], par_end(s, n, st[p]) - st[p]);
    }
    return 1;
}

int gen_resplit(wd_buf *dst, const char *s, size_t n, gen_rng *R)
{
    int changed = 0;
    size_t i = 0;
    while (i < n) {
        /* a sentence end after a lowercase word: merge with the next one */
        if (s[i] == '.' && i + 2 < n && s[i + 1] == ' ' && is_upper((unsigned char)s[i + 2]) &&
            i >= 3 && is_lower((unsigned char)s[i - 1]) && is_lower((unsigned char)s[i - 2]) &&
            is_lower((unsigned char)s[i - 3]) && i + 3 < n && is_lower((unsigned char)s[i + 3]) &&
            gen_chance(R, 0.4)) {
            gen_puts(dst, ", and ");
            gen_putc(dst, (char)(s[i + 2] + 32));
            i += 3;
            changed = 1;
            continue;
        }
        /* ", and " or "; " inside a sentence: split it in two */
        size_t skip = !memcmp(s + i, ", and ", i + 6 <= n ? 6 : 0) ? 6
                    : (s[i] == ';' && i + 1 < n && s[i + 1] == ' ') ? 2 : 0;
        if (skip && i + skip < n && is_lower((unsigned char)s[i + skip]) && gen_chance(R, 0.6)) {
            gen_puts(dst, ". ");
            gen_putc(dst, (char)(s[i + skip] - 32));
            i += skip + 1;
            changed = 1;
            continue;
        }
        gen_putc(dst, s[i++]);
    }
    return changed;
}

/* ---------------------------------------------------------------------------
 * A local paragraph: two or three sentences from parts, with a name and a
 * figure, so that two outlets' local paragraphs seldom share a 5-gram.
 * ------------------------------------------------------------------------- */
static const char *const who[] = {
    "a spokesman for the county development office", "a local analyst", "the mayor's office",
    "a regional trade group", "the chamber of commerce", "a union representative",
    "an economist at the state university", "a plant manager in the area"
};
static const char *const says[] = {
    "said the news was being watched closely", "declined to comment on the report",
    "said it was too early to judge the effect", "welcomed the announcement",
    "said about %u jobs in the region could be affected", "expected a decision within %u weeks"
};
static const char *const extra[] = {
    "The company employs about %u people in the region.",
    "Shares of local suppliers were little changed in afternoon trading.",
    "Area businesses have asked for talks with state officials.",
    "A public meeting on the issue is planned for next month.",
    "Local output rose %u percent last year, according to state figures.",
    "Readers can find earlier coverage on our business pages."
};
#define N_(a) (sizeof a / sizeof *a)

static void put_fmt(wd_buf *dst, const char *fmt, unsigned v)
{
    char tmp[160];
    int k = snprintf(tmp, sizeof tmp, fmt, v);
    gen_put(dst, tmp, (size_t)k);
}

int gen_local(wd_buf *dst, const char *s, size_t n, gen_rng *R)
{
    size_t st[MAXPAR], np = paragraphs(s, n, st, MAXPAR);
    size_t at = np >= 2 ? par_end(s, n, st[np / 2 - (np > 2)]) : n; /* after the middle one */
    gen_put(dst, s, at);
    gen_putc(dst, '\n');
    const char *w = who[gen_below(R, N_(who))];
    gen_putc(dst, (char)(w[0] - 32));
    gen_puts(dst, w + 1);
    gen_putc(dst, ' ');
    put_fmt(dst, says[gen_below(R, N_(says))], 2 + (unsigned)gen_below(R, 400));
    gen_puts(dst, ". ");
    size_t a = gen_below(R, N_(extra)), b = (a + 1 + gen_below(R, N_(extra) - 1)) % N_(extra);
    put_fmt(dst, extra[a], 20 + (unsigned)gen_below(R, 3000));
    if (gen_chance(R, 0.5)) {
        gen_putc(dst, ' ');
        put_fmt(dst, extra[b], 1 + (unsigned)gen_below(R, 12));
    }
    if (at < n) gen_put(dst, s + at, n - at);
    return 1;
}

/* ---------------------------------------------------------------------------
 * Numbers: separators toggled (1,250,000 -> 1250000; 25000 -> 25,000; four
 * digits are left alone, they are mostly years), "N pct"/"N percent" ->
 * "N%", "N dlrs" -> "$N", "N mln dlrs" -> "$N mln".
 * ------------------------------------------------------------------------- */
static int word_at(const char *s, size_t n, size_t i, const char *w)
{
    size_t k = strlen(w);
    return i + k <= n && !memcmp(s + i, w, k) && (i + k == n || !is_alpha((unsigned char)s[i + k]));
}

int gen_numbers(wd_buf *dst, const char *s, size_t n)
{
    int changed = 0;
    size_t i = 0;
    while (i < n) {
        if (!is_digit((unsigned char)s[i]) || (i && (is_alpha((unsigned char)s[i - 1]) ||
                                                     s[i - 1] == '.' || s[i - 1] == ','))) {
            gen_putc(dst, s[i++]);
            continue;
        }
        size_t w = i, digits = 0, commas = 0;
        while (i < n && (is_digit((unsigned char)s[i]) ||
                         (s[i] == ',' && i + 3 < n && is_digit((unsigned char)s[i + 1]) &&
                          is_digit((unsigned char)s[i + 2]) && is_digit((unsigned char)s[i + 3])))) {
            if (s[i] == ',') commas++;
            else digits++;
            i++;
        }
        size_t frac = i; /* a decimal part stays as it is */
        if (i + 1 < n && s[i] == '.' && is_digit((unsigned char)s[i + 1]))
            for (i++; i < n && is_digit((unsigned char)s[i]); i++) {}
        /* what follows: a unit that moves in front, or a percent sign */
        size_t after = i;
        int dollar = 0, pct = 0;
        const char *scale = NULL;
        if (after < n && s[after] == ' ') {
            if (word_at(s, n, after + 1, "pct")) pct = 4;
            else if (word_at(s, n, after + 1, "percent")) pct = 8;
            else if (word_at(s, n, after + 1, "dlrs")) dollar = 5;
            else if (word_at(s, n, after + 1, "mln") && word_at(s, n, after + 5, "dlrs"))
                scale = "mln", dollar = 9;
            else if (word_at(s, n, after + 1, "bln") && word_at(s, n, after + 5, "dlrs"))
                scale = "bln", dollar = 9;
        }
        if (dollar) gen_putc(dst, '$');
        if (commas) {
            for (size_t k = w; k < frac; k++)
                if (s[k] != ',') gen_putc(dst, s[k]);
        } else if (digits >= 5) {
            for (size_t k = w; k < frac; k++) {
                gen_putc(dst, s[k]);
                size_t left = frac - k - 1;
                if (left && left % 3 == 0) gen_putc(dst, ',');
            }
        } else {
            gen_put(dst, s + w, frac - w);
        }
        gen_put(dst, s + frac, i - frac);
        if (pct) gen_putc(dst, '%');
        if (scale) {
            gen_putc(dst, ' ');
            gen_put(dst, scale, 3); /* "mln" or "bln" */
        }
        i += (size_t)(pct + dollar);
        changed |= commas || digits >= 5 || pct || dollar;
    }
    return changed;
}

/* ---------------------------------------------------------------------------
 * A correction: one figure of the body changes (its last digit), and a note
 * paragraph opens the body. Returns 1 (the note is always there).
 * ------------------------------------------------------------------------- */
int gen_correct(wd_buf *dst, const char *s, size_t n, gen_rng *R)
{
    size_t figures = 0;
    for (size_t i = 0; i < n; i++)
        if (is_digit((unsigned char)s[i]) && (i + 1 == n || !is_digit((unsigned char)s[i + 1])))
            figures++;
    size_t pick = figures ? gen_below(R, figures) : 0, par = 1, at = (size_t)-1;
    for (size_t i = 0, k = 0; i < n && figures; i++) {
        if (s[i] == '\n') par++;
        if (is_digit((unsigned char)s[i]) && (i + 1 == n || !is_digit((unsigned char)s[i + 1])) &&
            k++ == pick) {
            at = i;
            break;
        }
    }
    char note[96];
    if (at != (size_t)-1)
        snprintf(note, sizeof note, "(Corrects figure in paragraph %zu)\n", par);
    else
        snprintf(note, sizeof note, "(Corrects headline, adds dropped word)\n");
    gen_puts(dst, note);
    gen_put(dst, s, n);
    if (at != (size_t)-1) {
        char *d = dst->data + dst->len - n + at;
        *d = (char)('0' + (*d - '0' + 1 + (int)gen_below(R, 9)) % 10);
    }
    return 1;
}

/* HTML remnants: each paragraph in <p>...</p>, & and " as entities, and a
 * <br> at one sentence end. */
int gen_html(wd_buf *dst, const char *s, size_t n, gen_rng *R)
{
    size_t br = gen_below(R, n ? n : 1);
    int br_done = 0;
    gen_puts(dst, "<p>");
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') gen_puts(dst, "</p>\n<p>");
        else if (c == '&') gen_puts(dst, "&amp;");
        else if (c == '"') gen_puts(dst, "&quot;");
        else if (c == ' ' && !br_done && i >= br && i && s[i - 1] == '.') {
            gen_puts(dst, " <br> ");
            br_done = 1;
        } else gen_putc(dst, c);
    }
    gen_puts(dst, "</p>");
    return 1;
}

/* Broken hyphenation: at a line break inside a paragraph (a '\n' between two
 * words) the first part of a long next word moves up with a hyphen, as text
 * extracted from a typeset page reads. */
int gen_hyphenate(wd_buf *dst, const char *s, size_t n, gen_rng *R)
{
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n' || i == 0 || s[i - 1] == '\n' || i + 1 >= n || !is_alpha((unsigned char)s[i + 1])) {
            gen_putc(dst, s[i]);
            continue;
        }
        size_t w = i + 1, e = w;
        while (e < n && is_alpha((unsigned char)s[e])) e++;
        if (e - w < 6 || !gen_chance(R, 0.7)) {
            gen_putc(dst, s[i]);
            continue;
        }
        size_t cut = 2 + gen_below(R, e - w - 4); /* 2 .. len-3 letters move up */
        gen_putc(dst, ' ');
        gen_put(dst, s + w, cut);
        gen_puts(dst, "-\n");
        gen_put(dst, s + w + cut, e - w - cut);
        i = e - 1;
        changed = 1;
    }
    return changed;
}

/* ---------------------------------------------------------------------------
 * Story edits
 * ------------------------------------------------------------------------- */

/* Is the body mostly figures (earnings/dividend tables)? A share of >= 15 %
 * of its tokens with a digit: then another company's figures on the same
 * template make a different story with few shared word 5-grams. */
int gen_is_table(const char *s, size_t n)
{
    size_t tokens = 0, figures = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && (s[i] == ' ' || s[i] == '\n')) i++;
        if (i >= n) break;
        int dig = 0;
        tokens++;
        while (i < n && s[i] != ' ' && s[i] != '\n') dig |= is_digit((unsigned char)s[i++]);
        figures += (size_t)dig;
    }
    return tokens >= 20 && figures * 100 >= tokens * 15;
}

static void put_upper_word(wd_buf *dst, const gen_corpus *C, gen_rng *R, int all_caps)
{
    const char *v = C->vocab[gen_below(R, C->nvocab)];
    for (size_t k = 0; k < (unsigned char)v[0]; k++)
        gen_putc(dst, (char)(all_caps || k == 0 ? v[1 + k] - 32 : v[1 + k]));
}

/* The same template, another company and other figures: every digit is
 * redrawn, every <Company> and the title's words before the first figure or
 * '<' are replaced. */
void gen_template(wd_buf *title, wd_buf *body, const char *t, size_t tl, const char *s,
                  size_t n, const gen_corpus *C, gen_rng *R)
{
    int name = 1;
    for (size_t i = 0; i < tl;) {
        if (t[i] == '<' || is_digit((unsigned char)t[i])) name = 0;
        if (name && is_upper((unsigned char)t[i])) {
            while (i < tl && t[i] != ' ') i++;
            put_upper_word(title, C, R, 1);
            continue;
        }
        gen_putc(title, is_digit((unsigned char)t[i]) ? (char)('0' + gen_below(R, 10)) : t[i]);
        i++;
    }
    for (size_t i = 0; i < n;) {
        char c = s[i];
        if (c == '<') {
            const char *close = memchr(s + i, '>', n - i < 64 ? n - i : 64);
            if (close) {
                gen_putc(body, '<');
                put_upper_word(body, C, R, 0);
                gen_putc(body, ' ');
                put_upper_word(body, C, R, 0);
                gen_putc(body, '>');
                i = (size_t)(close - s) + 1;
                continue;
            }
        }
        if (is_digit((unsigned char)c)) {
            int lead = i == 0 || !is_digit((unsigned char)s[i - 1]);
            gen_putc(body, (char)('0' + (lead ? 1 + gen_below(R, 9) : gen_below(R, 10))));
        } else {
            gen_putc(body, c);
        }
        i++;
    }
}

/* A follow-up: another story's body (other, already noised by the caller,
 * at least twice as long) with one paragraph after the lead of the earlier
 * story (s) quoted after its own lead. 0 when the earlier story has fewer than three paragraphs. */
int gen_followup(wd_buf *body, const char *other, size_t on, const char *s, size_t n, gen_rng *R)
{
    size_t st[MAXPAR], np = paragraphs(s, n, st, MAXPAR);
    if (np < 3) return 0;
    /* the shorter of two paragraphs after the lead: a quote, not a retelling */
    size_t q = 1 + gen_below(R, np - 1), q2 = 1 + gen_below(R, np - 1);
    if (par_end(s, n, st[q2]) - st[q2] < par_end(s, n, st[q]) - st[q]) q = q2;
    size_t lead = par_end(other, on, 0);
    gen_put(body, other, lead);
    gen_puts(body, "\nEarlier this week: ");
    gen_put(body, s + st[q], par_end(s, n, st[q]) - st[q]);
    if (lead < on) gen_put(body, other + lead, on - lead);
    return 1;
}

int gen_paragraphs(const char *s, size_t n)
{
    size_t st[MAXPAR];
    return (int)paragraphs(s, n, st, MAXPAR);
}
