/*
 * mask.h - remove wire boilerplate before normalization.
 *
 *   raw text --wd_mask--> text without datelines, bylines, credits and
 *                         trailers --wd_normalize--> ...
 *
 * Syndicated copies of one story differ in what outlets wrap around it:
 * `SEOUL, March 18 (Yonhap) --` or `NEW YORK (Reuters) -` datelines,
 * `By Jane Doe` bylines, `(Reuters)` credits, `Reporting by ...; Editing
 * by ...` and copyright trailers, `Related coverage` lists. Those shingles
 * make copies look less alike and unrelated stories of one outlet look
 * more alike. Masking removes them with rules, POSIX extended regular
 * expressions (regcomp/regexec) of four kinds:
 *
 *   head REGEX    tried on each of the first head_lines non-blank lines;
 *                 every match is replaced by one space (use ^...$ to drop
 *                 a whole line)
 *   tail REGEX    tried on each of the last tail_lines non-blank lines
 *                 (never the first line of the text); the first line that
 *                 matches and everything after it are removed
 *   line REGEX    tried on every line; a matching line is removed
 *   inline REGEX  tried on every line; every match becomes one space
 *
 * Lines end at '\n' (a '\r' before it is not part of the line when
 * matching). Patterns are matched on bytes (the C locale, whatever the
 * program's locale), so UTF-8 text in a pattern matches literally and a
 * bracket such as [\200-\377] means "any non-ASCII byte". REG_NEWLINE is
 * on: ^ and $ are the line's ends.
 *
 * head and tail rules only look at a few lines, which keeps masking cheap
 * and stops them from eating body text; line and inline rules cost a
 * regexec per line and are for user rules files. The built-in rules
 * (wd_mask_rules_builtin) are head and tail rules that also look at no
 * more than the start of a line (a dateline is in its first 96 bytes) or
 * only at short lines (a byline), and carry a cheap literal pre-check, so
 * the regex runs only on lines that might match, on a few dozen bytes.
 *
 * Rules file (wd_mask_rules_load): one rule per line, `KIND REGEX`, KIND
 * and the pattern separated by spaces or tabs; the pattern is the rest of
 * the line, trailing spaces included. Blank lines and lines whose first
 * non-blank character is '#' are ignored.
 *
 * Threads: wd_mask() only reads the rules, but glibc's regexec() locks each
 * compiled pattern, so threads sharing one set take turns. Give each
 * thread its own copy (wd_mask_rules_copy) for throughput.
 */
#ifndef WD_TEXT_MASK_H
#define WD_TEXT_MASK_H

#include <locale.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"

typedef enum wd_mask_kind {
    WD_MASK_HEAD = 0,
    WD_MASK_TAIL = 1,
    WD_MASK_LINE = 2,
    WD_MASK_INLINE = 3
} wd_mask_kind;

#define WD_MASK_HEAD_LINES 5   /* default head_lines */
#define WD_MASK_TAIL_LINES 8   /* default tail_lines */
#define WD_MASK_HINTS 32       /* longest pre-check list of a built-in rule, NULL included */

typedef struct wd_mask_rule {
    wd_mask_kind kind;
    regex_t re;                /* compiled in the C locale */
    char *pattern;             /* source, for copies and messages */
    int anchored;              /* ^ at the start, no top-level |: at most one match per line */
    /* Pre-checks of the built-in rules (none for user rules): the regex
     * runs only on lines that pass them all. */
    const struct wd_mask_builtin *builtin; /* the built-in rule, or NULL */
    unsigned window;           /* sees only the first `window` bytes of a line ($ not at the cut) */
    unsigned maxlen;           /* skips lines longer than this */
    int has_first;             /* first[] applies */
    uint8_t first[32];         /* byte set of the line's first non-blank byte */
    const char *const *starts; /* the line, after blanks, starts with one of these */
    const char *const *ends;   /* the line, before trailing blanks, ends with one of these */
    const char *const *hints;  /* one of these occurs in the window */
    char hint_bytes[WD_MASK_HINTS]; /* the hints' distinct first bytes */
    size_t nhint_bytes;
    uint8_t starts_len[WD_MASK_HINTS], ends_len[WD_MASK_HINTS], hints_len[WD_MASK_HINTS];
    uint8_t starts_first[32];  /* byte set of the starts' first bytes */
    uint8_t ends_last[32];     /* byte set of the ends' last bytes */
} wd_mask_rule;

typedef struct wd_mask_rules {
    wd_mask_rule *rule;        /* in the order added */
    size_t n, cap;
    unsigned head_lines;       /* lines head rules see, WD_MASK_HEAD_LINES */
    unsigned tail_lines;       /* lines tail rules see, WD_MASK_TAIL_LINES */
    locale_t c_locale;         /* "C", for regcomp and regexec */
} wd_mask_rules;

/* An empty rule set with the default windows. WD_OK or WD_E_NOMEM. */
int wd_mask_rules_init(wd_mask_rules *r);

/* Appends the built-in rules for wire datelines, bylines, credits,
 * headline tags and trailers. WD_OK or WD_E_NOMEM. */
int wd_mask_rules_builtin(wd_mask_rules *r);

/* Appends one rule. WD_E_INVALID for a bad pattern, with the reason in
 * err (err_size bytes, may be 0); WD_E_NOMEM. */
int wd_mask_rules_add(wd_mask_rules *r, wd_mask_kind kind, const char *pattern,
                      char *err, size_t err_size);

/*
 * Appends the rules of a rules file. WD_OK; WD_E_INVALID with
 * "PATH:LINE: reason" in err for a bad line (no rule of the file is kept
 * then), or "PATH: reason" when the file cannot be read; WD_E_NOMEM.
 */
int wd_mask_rules_load(const char *path, wd_mask_rules *r, char *err, size_t err_size);

/* A copy of src with its own compiled patterns (for another thread). */
int wd_mask_rules_copy(const wd_mask_rules *src, wd_mask_rules *dst);

void wd_mask_rules_free(wd_mask_rules *r);

/*
 * The text s[0..n) with the rules applied, into out (out->len set; the
 * result is at most n bytes and not NUL-terminated). Line breaks are kept,
 * so the result has the lines of the input minus removed trailers. r may
 * be NULL or empty: a plain copy. WD_OK or WD_E_NOMEM.
 */
int wd_mask(const wd_mask_rules *r, const char *s, size_t n, wd_buf *out);

#endif
