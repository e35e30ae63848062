/*
 * mask.c - boilerplate masking with POSIX regular expressions (see mask.h).
 *
 * One pass finds the windows: the first head_lines non-blank lines, and the
 * last tail_lines non-blank lines (the first line of the text excluded, so
 * a title is never a trailer). Tail rules pick the cut: the earliest
 * window line any of them matches; the text ends there. Then the lines
 * before the cut are copied, head and inline matches replaced by a space,
 * lines matched by a line rule left empty. Without line or inline rules,
 * everything between the head window and the cut is one memcpy.
 *
 * regexec() is the cost: glibc sets up a matcher per call (0.5 to 1 us
 * even when the pattern fails on the first byte), so the built-in rules
 * carry literal pre-checks (the line starts with one of a few words, ends
 * with one, or contains one near its start) and most lines never reach
 * regexec: on syndication-dev, about three calls per document. Lines are
 * matched in place with REG_STARTEND (no copy, no NUL needed) where the C
 * library has it.
 */
#include "mask.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

#define MAX_WINDOW 64   /* head_lines and tail_lines are clamped to this */
#define MAX_SPANS 64    /* masked spans per line; more are left in place */

/* ---- the built-in rules --------------------------------------------------
 * Bytes, C locale. HI is any non-ASCII byte, so UTF-8 letters count as
 * letters in names (and as "not a space" elsewhere). */
#define HI "\200-\377"
#define CAP "[A-Z" HI "]"
#define CAPW CAP "[A-Za-z0-9" HI ".'&-]*"  /* a capitalized word */
/* lowercase words inside place names; not "of" or "on", which would make
 * "Shares of IBM - ..." a dateline */
#define PART "(de|da|do|dos|das|del|della|di|du|des|la|le|el|al|es|sur|aan|van|von|y)"
/* New York, Rio de Janeiro, SALT LAKE CITY, ANAHEIM: at most four words, so
 * an all-caps headline such as "STORM CLOSES THE NORTHERN FERRY ROUTE - ..."
 * is not taken for a place. */
#define PLACE CAPW "( (" PART " )?" CAPW "){0,3}"
#define MONTH "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Za-z]*\\.?"
#define AGENCY "\\([A-Za-z][A-Za-z0-9&./ -]{0,30}\\)"
/* -, --, --- before a space or the line's end; en dash, em dash, bar.
 * Right after a place name a hyphen needs a space before it too, so
 * "Vereins- und" or "Fat- and oil" are not datelines. */
#define DASH_TIGHT "(-{1,3}( |$)|\342\200[\223\224\225] ?)"
#define DASH_SPACED "( -{1,3}( |$)| ?\342\200[\223\224\225] ?)"
#define DATE MONTH " [0-9]{1,2}"
#define NAME CAPW "( " CAPW "){0,3}"
#define AGENCIES "(Reuters|Reuter|REUTERS|AP|AFP|Yonhap|Yonhap News Agency|Bloomberg|Kyodo|Kyodo News|" \
                 "Xinhua|dpa|UPI|EFE|ANSA|PTI|IANS|AAP|Dow Jones|Associated Press|The Associated Press|" \
                 "Agence France-Presse|Staff|Staff Writer|Staff Reporter|Correspondent|" \
                 "Special Correspondent|Agencies|Wire Services)"
#define CREDITS "(Reuters|Reuter|REUTERS|AP|AFP|Yonhap|Bloomberg|Kyodo|Xinhua|dpa|UPI|EFE|ANSA|PTI|" \
                "IANS|AAP|RTRS|Dow Jones|Associated Press)"

typedef struct wd_mask_builtin {
    wd_mask_kind kind;
    const char *pattern;
    unsigned window, maxlen;               /* see wd_mask_rule */
    const char *first;                     /* byte class of the first non-blank byte */
    const char *starts[WD_MASK_HINTS];     /* NULL-terminated lists (none: no check) */
    const char *ends[WD_MASK_HINTS];
    const char *hints[WD_MASK_HINTS];
} builtin;

#define AGENCY_NAMES "Reuters", "Reuter", "REUTERS", "AP", "AFP", "Yonhap", "Bloomberg", "Kyodo", \
                     "News", "Xinhua", "dpa", "UPI", "EFE", "ANSA", "PTI", "IANS", "AAP", "Jones", \
                     "Press", "Presse", "Staff", "Writer", "Reporter", "Correspondent", "Agencies", \
                     "Services"

static const builtin builtins[] = {
    /* Datelines: SEOUL, March 18 (Yonhap) -- | NEW YORK (Reuters) - |
     * NEW YORK, March 3 - | Kingston, March 11 (Reuters)— | New York - |
     * ANAHEIM, Calif., March 9 - | Strasbourg, France — */
    { .kind = WD_MASK_HEAD,
      .pattern = "^" PLACE "(, " PLACE ")*((,? " DATE ")? ?" AGENCY " ?" DASH_TIGHT "|,? " DATE " ?" DASH_TIGHT
                 "|" DASH_SPACED ") *",
      .window = 96, .first = "A-Z\200-\377", .hints = { "-", "\342\200" } },
    /* Bylines on their own line: By Jane Doe | By JANE DOE and John Roe |
     * By Henry Harding | Reuters */
    { .kind = WD_MASK_HEAD,
      .pattern = "^(By|BY|by) " NAME "((,| and| AND| &) " NAME ")*( ?[|,/] ?[A-Z][A-Za-z0-9 .&'-]{1,40})? *$",
      .maxlen = 120, .starts = { "By ", "BY ", "by " } },
    /* Jane Doe, Reuters | Jane Doe / AP */
    { .kind = WD_MASK_HEAD, .pattern = "^" NAME " ?[,|/-] ?" AGENCIES " *$",
      .maxlen = 100, .first = "A-Z\200-\377", .ends = { AGENCY_NAMES } },
    /* Agency credits: (Reuters) (AP) (Yonhap) ... */
    { .kind = WD_MASK_HEAD, .pattern = "\\(" CREDITS "\\)", .window = 256,
      .hints = { "(Reuter", "(REUTERS)", "(AP)", "(AFP)", "(Yonhap)", "(Bloomberg)", "(Kyodo)",
                 "(Xinhua)", "(dpa)", "(UPI)", "(EFE)", "(ANSA)", "(PTI)", "(IANS)", "(AAP)",
                 "(RTRS)", "(Dow Jones)", "(Associated Press)" } },
    /* Korean-style credits: (서울=연합뉴스), （北京=共同） */
    { .kind = WD_MASK_HEAD, .pattern = "\\([^()=]{1,40}=[^()=]{1,40}\\)", .window = 160, .hints = { "=" } },
    { .kind = WD_MASK_HEAD, .pattern = "\357\274\210[^()=]{1,40}=[^()=]{1,40}\357\274\211", .window = 160,
      .hints = { "=" } },
    /* Korean reporter tag: 홍길동 기자 = */
    { .kind = WD_MASK_HEAD, .pattern = "[^ ]{2,15} (기자|특파원) ?= ?", .window = 160,
      .hints = { "기자", "특파원" } },
    /* Chinese: 新华社北京3月18日电, （记者张三） */
    { .kind = WD_MASK_HEAD, .pattern = "新华社.{0,40}电", .window = 160, .hints = { "新华社" } },
    { .kind = WD_MASK_HEAD, .pattern = "(（|\\()记者.{1,30}(）|\\))", .window = 160, .hints = { "记者" } },
    /* Japanese bracketed credits: 【ワシントン共同】 */
    { .kind = WD_MASK_HEAD, .pattern = "【.{1,30}】", .window = 160, .hints = { "【" } },
    /* Headline tags: UPDATE 1- BRIEF- RPT- ... Breaking: */
    { .kind = WD_MASK_HEAD,
      .pattern = "^(UPDATE [0-9]+|BRIEF|RPT|REFILE|CORRECTED|CORRECTION|EXCLUSIVE|WRAPUP [0-9]+|"
                 "INSTANT VIEW|FACTBOX|ANALYSIS|TIMELINE)[-:] ?",
      .window = 32,
      .starts = { "UPDATE ", "BRIEF", "RPT", "REFILE", "CORRECT", "EXCLUSIVE", "WRAPUP ", "INSTANT VIEW",
                  "FACTBOX", "ANALYSIS", "TIMELINE" } },
    { .kind = WD_MASK_HEAD,
      .pattern = "^(Breaking|BREAKING|Exclusive|EXCLUSIVE|Update|UPDATE|Developing|DEVELOPING)( [Nn]ews| NEWS)?: ",
      .window = 32,
      .starts = { "Breaking", "BREAKING", "Exclusive", "EXCLUSIVE", "Update", "UPDATE", "Developing",
                  "DEVELOPING" } },
    /* Headline suffixes: - Reuters | - report | | Outlet Name */
    { .kind = WD_MASK_HEAD,
      .pattern = " (-|--|\\||\342\200[\223\224]) (Reuters|Reuter|REUTERS|AP|AFP|Yonhap|report|Report|REPORT|"
                 "sources|Sources) *$",
      .maxlen = 200,
      .ends = { "Reuters", "Reuter", "REUTERS", "AP", "AFP", "Yonhap", "report", "Report", "REPORT",
                "sources", "Sources" } },
    { .kind = WD_MASK_HEAD, .pattern = " \\| [A-Z][A-Za-z0-9 .&'-]{2,40}$", .maxlen = 200, .hints = { " | " } },

    /* Trailers: Reporting by ...; Editing by ... | (Reporting by ...) */
    { .kind = WD_MASK_TAIL,
      .pattern = "^[[:space:]]*\\(?(Reporting|Writing|Editing|Additional [Rr]eporting|Compiled|Edited|"
                 "Produced|Research|Translated|Graphics|Reported|Written) by ",
      .window = 48,
      .starts = { "Reporting", "Writing", "Editing", "Additional", "Compiled", "Edited", "Produced",
                  "Research", "Translated", "Graphics", "Reported", "Written", "(Reporting", "(Writing",
                  "(Editing", "(Additional", "(Compiled", "(Edited", "(Produced", "(Research",
                  "(Translated", "(Graphics", "(Reported" } },
    /* (c) Copyright ... | © 1987 ... | All rights reserved | Related
     * coverage | Republished with permission | Click For Restrictions */
    { .kind = WD_MASK_TAIL,
      .pattern = "^[[:space:]]*(\\([cC]\\)|©|Copyright|COPYRIGHT|All [Rr]ights [Rr]eserved|ALL RIGHTS RESERVED|"
                 "Republished with permission|Related [Cc]overage|RELATED COVERAGE|Related:|Read more|"
                 "READ MORE|Click [Ff]or [Rr]estrictions|Our Standards|Keywords:)",
      .window = 48,
      .starts = { "(c)", "(C)", "©", "Copyright", "COPYRIGHT", "All ", "ALL RIGHTS", "Republished",
                  "Related", "RELATED", "Read more", "READ MORE", "Click", "Our Standards", "Keywords:" } },
    /* The Reuters-21578 sign-off */
    { .kind = WD_MASK_TAIL, .pattern = "^[[:space:]]*(Reuter|REUTER)[[:space:]]*$", .maxlen = 24,
      .starts = { "Reuter", "REUTER" } },
    /* A reporter's e-mail address on its own line */
    { .kind = WD_MASK_TAIL, .pattern = "^[[:space:]]*[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}[[:space:]]*$",
      .maxlen = 100, .hints = { "@" } },
    /* Korean and Chinese sign-offs: <저작권자(c) 연합뉴스...> (끝) （责任编辑：...） */
    { .kind = WD_MASK_TAIL, .pattern = "^[[:space:]]*(<저작권자|저작권자|\\(끝\\)|<끝>|\\[끝\\]|ⓒ)", .window = 48,
      .starts = { "<저작권자", "저작권자", "(끝)", "<끝>", "[끝]", "ⓒ" } },
    { .kind = WD_MASK_TAIL, .pattern = "^[[:space:]]*(（|\\()(责任编辑|責任編輯)", .window = 48,
      .starts = { "（责任编辑", "(责任编辑", "（責任編輯", "(責任編輯" } },
};

/* ---- rule sets ---------------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void set_err(char *err, size_t size, const char *fmt, ...)
{
    if (!err || !size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

/* ^ first and no | outside parentheses: the pattern matches only at the
 * start of a line, so one regexec per line is enough. */
static int is_anchored(const char *p)
{
    if (p[0] != '^') return 0;
    int depth = 0;
    for (const char *c = p + 1; *c; c++) {
        if (*c == '\\') {
            if (!*++c) break;
        } else if (*c == '[') {             /* skip a bracket expression */
            c++;
            if (*c == '^') c++;
            if (*c == ']') c++;
            while (*c && *c != ']') {
                if (*c == '[' && (c[1] == ':' || c[1] == '.' || c[1] == '=')) {
                    char close = c[1];
                    c += 2;
                    while (*c && !(c[0] == close && c[1] == ']')) c++;
                    if (*c) c++;
                }
                if (*c) c++;
            }
            if (!*c) break;
        } else if (*c == '(') {
            depth++;
        } else if (*c == ')') {
            depth--;
        } else if (*c == '|' && depth == 0) {
            return 0;
        }
    }
    return 1;
}

int wd_mask_rules_init(wd_mask_rules *r)
{
    memset(r, 0, sizeof *r);
    r->head_lines = WD_MASK_HEAD_LINES;
    r->tail_lines = WD_MASK_TAIL_LINES;
    r->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return r->c_locale ? WD_OK : WD_E_NOMEM;
}

static void rule_free(wd_mask_rule *ru)
{
    regfree(&ru->re);
    free(ru->pattern);
}

void wd_mask_rules_free(wd_mask_rules *r)
{
    for (size_t i = 0; i < r->n; i++) rule_free(&r->rule[i]);
    free(r->rule);
    if (r->c_locale) freelocale(r->c_locale);
    memset(r, 0, sizeof *r);
}

/* Byte set of a class such as "A-Z\200-\377" (ranges and single bytes). */
static void byte_class(const char *spec, uint8_t set[32])
{
    memset(set, 0, 32);
    for (const unsigned char *c = (const unsigned char *)spec; *c; c++) {
        unsigned lo = *c, hi = *c;
        if (c[1] == '-' && c[2]) {
            hi = c[2];
            c += 2;
        }
        for (unsigned x = lo; x <= hi; x++) set[x >> 3] |= (uint8_t)(1u << (x & 7));
    }
}

static const char *const *list_or_null(const char *const *l)
{
    return l && l[0] ? l : NULL;
}

/* Compiles and appends a rule; b (may be NULL) gives the built-in checks. */
static int add_rule(wd_mask_rules *r, wd_mask_kind kind, const char *pattern, const builtin *b,
                    char *err, size_t err_size)
{
    if ((unsigned)kind > WD_MASK_INLINE || !pattern) {
        set_err(err, err_size, "bad rule kind or pattern");
        return WD_E_INVALID;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 32;
        wd_mask_rule *nr = realloc(r->rule, cap * sizeof *nr);
        if (!nr) return WD_E_NOMEM;
        r->rule = nr;
        r->cap = cap;
    }
    wd_mask_rule *ru = &r->rule[r->n];
    memset(ru, 0, sizeof *ru);
    int flags = REG_EXTENDED | REG_NEWLINE;
    if (kind == WD_MASK_TAIL || kind == WD_MASK_LINE) flags |= REG_NOSUB;
    locale_t old = uselocale(r->c_locale);
    int rc = regcomp(&ru->re, pattern, flags);
    uselocale(old);
    if (rc) {
        if (rc == REG_ESPACE) return WD_E_NOMEM;
        char why[256];
        regerror(rc, &ru->re, why, sizeof why);
        set_err(err, err_size, "bad pattern '%s': %s", pattern, why);
        return WD_E_INVALID;
    }
    ru->pattern = strdup(pattern);
    if (!ru->pattern) {
        regfree(&ru->re);
        return WD_E_NOMEM;
    }
    ru->kind = kind;
    ru->anchored = is_anchored(pattern);
    ru->builtin = b;
    if (b) {
        ru->window = b->window;
        ru->maxlen = b->maxlen;
        ru->has_first = b->first != NULL;
        if (b->first) byte_class(b->first, ru->first);
        ru->starts = list_or_null(b->starts);
        ru->ends = list_or_null(b->ends);
        ru->hints = list_or_null(b->hints);
        for (size_t i = 0; ru->starts && ru->starts[i]; i++) {
            const unsigned char c = (unsigned char)ru->starts[i][0];
            ru->starts_len[i] = (uint8_t)strlen(ru->starts[i]);
            ru->starts_first[c >> 3] |= (uint8_t)(1u << (c & 7));
        }
        for (size_t i = 0; ru->ends && ru->ends[i]; i++) {
            ru->ends_len[i] = (uint8_t)strlen(ru->ends[i]);
            const unsigned char c = (unsigned char)ru->ends[i][ru->ends_len[i] - 1];
            ru->ends_last[c >> 3] |= (uint8_t)(1u << (c & 7));
        }
        for (size_t i = 0; ru->hints && ru->hints[i]; i++) {
            ru->hints_len[i] = (uint8_t)strlen(ru->hints[i]);
            if (!memchr(ru->hint_bytes, ru->hints[i][0], ru->nhint_bytes))
                ru->hint_bytes[ru->nhint_bytes++] = ru->hints[i][0];
        }
    }
    r->n++;
    return WD_OK;
}

int wd_mask_rules_add(wd_mask_rules *r, wd_mask_kind kind, const char *pattern, char *err, size_t err_size)
{
    return add_rule(r, kind, pattern, NULL, err, err_size);
}

int wd_mask_rules_builtin(wd_mask_rules *r)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        const builtin *b = &builtins[i];
        int rc = add_rule(r, b->kind, b->pattern, b, NULL, 0);
        if (rc) return rc == WD_E_INVALID ? WD_E_NOMEM : rc; /* built-ins compile (tested) */
    }
    return WD_OK;
}

int wd_mask_rules_copy(const wd_mask_rules *src, wd_mask_rules *dst)
{
    int rc = wd_mask_rules_init(dst);
    if (rc) return rc;
    dst->head_lines = src->head_lines;
    dst->tail_lines = src->tail_lines;
    for (size_t i = 0; i < src->n && !rc; i++) {
        const wd_mask_rule *ru = &src->rule[i];
        rc = add_rule(dst, ru->kind, ru->pattern, ru->builtin, NULL, 0);
    }
    if (rc) wd_mask_rules_free(dst);
    return rc ? WD_E_NOMEM : WD_OK;
}

int wd_mask_rules_load(const char *path, wd_mask_rules *r, char *err, size_t err_size)
{
    static const char *const kinds[] = { "head", "tail", "line", "inline" };
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return WD_E_INVALID;
    }
    const size_t before = r->n;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int rc = WD_OK;
    while (rc == WD_OK && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        size_t i = 0;
        while (i < len && is_blank(line[i])) i++;
        if (i == len || line[i] == '#') continue;
        size_t kw = i;
        while (i < len && !is_blank(line[i])) i++;
        size_t kwlen = i - kw;
        int kind = -1;
        for (int k = 0; k < 4; k++)
            if (strlen(kinds[k]) == kwlen && !memcmp(line + kw, kinds[k], kwlen)) kind = k;
        if (kind < 0) {
            set_err(err, err_size, "%s:%zu: unknown rule kind '%.*s' (expected head, tail, line or inline)",
                    path, lineno, (int)kwlen, line + kw);
            rc = WD_E_INVALID;
            break;
        }
        while (i < len && is_blank(line[i])) i++;
        if (i == len) {
            set_err(err, err_size, "%s:%zu: missing pattern after '%s'", path, lineno, kinds[kind]);
            rc = WD_E_INVALID;
            break;
        }
        if (memchr(line + i, '\0', len - i)) {
            set_err(err, err_size, "%s:%zu: NUL byte in pattern", path, lineno);
            rc = WD_E_INVALID;
            break;
        }
        char why[512];
        rc = add_rule(r, (wd_mask_kind)kind, line + i, NULL, why, sizeof why);
        if (rc == WD_E_INVALID) set_err(err, err_size, "%s:%zu: %s", path, lineno, why);
    }
    if (rc == WD_OK && ferror(f)) {
        set_err(err, err_size, "%s: read error: %s", path, strerror(errno));
        rc = WD_E_INVALID;
    }
    free(line);
    fclose(f);
    if (rc) {                               /* keep none of this file's rules */
        while (r->n > before) rule_free(&r->rule[--r->n]);
    }
    return rc;
}

/* ---- matching ----------------------------------------------------------- */

/* Is there a match of ru in line[from..len)? Sets *m to it. noteol: the
 * line goes on after len ($ must not match there).
 *
 * regexec gets a NUL-terminated copy of the range: lines inside a document
 * are not terminated, and although glibc's REG_STARTEND would stay inside
 * the range, sanitizers (and other libcs) read the string to its NUL. The
 * windows rules look at are short, so the copy is a small memcpy on the
 * stack. */
static int match(const wd_mask_rule *ru, const char *line, size_t len, size_t from, int noteol,
                 regmatch_t *m)
{
    if (len > INT_MAX) return 0; /* regoff_t may be an int */
    int eflags = (from ? REG_NOTBOL : 0) | (noteol ? REG_NOTEOL : 0);
    char small[512], *z = small;
    size_t n = len - from;
    if (n >= sizeof small && !(z = malloc(n + 1))) return 0;
    memcpy(z, line + from, n);
    z[n] = '\0';
    int ok = regexec(&ru->re, z, 1, m, eflags) == 0;
    if (z != small) free(z);
    if (ok) {
        m->rm_so += (regoff_t)from;
        m->rm_eo += (regoff_t)from;
    }
    return ok;
}

/* Is a built-in rule worth a regexec on this line? Sets the part of the
 * line it sees: the first `window` bytes (noteol: the line goes on). The
 * lists are compared byte first, as almost every candidate fails there. */
static int rule_view(const wd_mask_rule *ru, const char *line, size_t len, size_t *vlen, int *noteol)
{
    *vlen = len;
    *noteol = 0;
    if (!ru->builtin) return 1;
    if (ru->maxlen && len > ru->maxlen) return 0;
    if (ru->window && len > ru->window) {
        *vlen = ru->window;
        *noteol = 1;
    }
    const unsigned char *u = (const unsigned char *)line;
    size_t b = 0, e = len;
    while (b < *vlen && is_blank(line[b])) b++;
    if (b == *vlen) return 0;
    if (ru->has_first && !(ru->first[u[b] >> 3] & (1u << (u[b] & 7)))) return 0;
    if (ru->starts) {
        if (!(ru->starts_first[u[b] >> 3] & (1u << (u[b] & 7)))) return 0;
        size_t i = 0;
        for (; ru->starts[i]; i++) {
            const size_t m = ru->starts_len[i];
            if ((unsigned char)ru->starts[i][0] == u[b] && m <= *vlen - b && !memcmp(line + b, ru->starts[i], m))
                break;
        }
        if (!ru->starts[i]) return 0;
    }
    if (ru->ends) {                 /* maxlen rules: the whole line is seen */
        while (e > b && is_blank(line[e - 1])) e--;
        if (!(ru->ends_last[u[e - 1] >> 3] & (1u << (u[e - 1] & 7)))) return 0;
        size_t i = 0;
        for (; ru->ends[i]; i++) {
            const size_t m = ru->ends_len[i];
            if (m <= e - b && (unsigned char)ru->ends[i][m - 1] == u[e - 1] &&
                !memcmp(line + e - m, ru->ends[i], m))
                break;
        }
        if (!ru->ends[i]) return 0;
    }
    if (ru->hints) {                /* memchr for each first byte, then compare */
        for (size_t k = 0; k < ru->nhint_bytes; k++) {
            const char *p = line + b, *end = line + *vlen;
            while ((p = memchr(p, ru->hint_bytes[k], (size_t)(end - p))) != NULL) {
                for (size_t i = 0; ru->hints[i]; i++) {
                    const size_t m = ru->hints_len[i];
                    if (ru->hints[i][0] == *p && m <= (size_t)(end - p) && !memcmp(p, ru->hints[i], m))
                        return 1;
                }
                p++;
            }
        }
        return 0;
    }
    return 1;
}

typedef struct span {
    size_t so, eo;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->so > y->so) - (x->so < y->so);
}

/* Appends the spans of every rule of `kind` in line[0..len). */
static size_t collect(const wd_mask_rules *r, wd_mask_kind kind, const char *line, size_t len,
                      span *sp, size_t ns)
{
    for (size_t i = 0; i < r->n; i++) {
        const wd_mask_rule *ru = &r->rule[i];
        size_t vlen;
        int noteol;
        if (ru->kind != kind || !rule_view(ru, line, len, &vlen, &noteol)) continue;
        size_t from = 0;
        regmatch_t m;
        while (from <= vlen && ns < MAX_SPANS && match(ru, line, vlen, from, noteol, &m)) {
            size_t so = (size_t)m.rm_so, eo = (size_t)m.rm_eo;
            if (eo > so) sp[ns++] = (span){ so, eo };
            if (ru->anchored) break;
            from = eo > so ? eo : eo + 1;
        }
    }
    return ns;
}

static int any_match(const wd_mask_rules *r, wd_mask_kind kind, const char *line, size_t len)
{
    regmatch_t m;
    for (size_t i = 0; i < r->n; i++) {
        const wd_mask_rule *ru = &r->rule[i];
        size_t vlen;
        int noteol;
        if (ru->kind == kind && rule_view(ru, line, len, &vlen, &noteol) &&
            match(ru, line, vlen, 0, noteol, &m))
            return 1;
    }
    return 0;
}

/* Copies line[0..len) to o with the spans replaced by a space, one space
 * for spans that overlap or touch. */
static char *emit(char *o, const char *line, size_t len, span *sp, size_t ns)
{
    if (ns > 1) qsort(sp, ns, sizeof *sp, cmp_span);
    size_t m = 0;
    for (size_t i = 0; i < ns; i++) {
        if (m && sp[i].so <= sp[m - 1].eo) {
            if (sp[i].eo > sp[m - 1].eo) sp[m - 1].eo = sp[i].eo;
        } else {
            sp[m++] = sp[i];
        }
    }
    size_t at = 0;
    for (size_t i = 0; i < m; i++) {
        memcpy(o, line + at, sp[i].so - at);
        o += sp[i].so - at;
        *o++ = ' ';
        at = sp[i].eo;
    }
    memcpy(o, line + at, len - at);
    return o + (len - at);
}

static int line_blank(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_blank(p[i])) return 0;
    return 1;
}

/* Length of the line starting at s[ls] (without '\n'), and its length for
 * matching (without a final '\r'). */
static size_t line_end(const char *s, size_t n, size_t ls)
{
    const char *nl = memchr(s + ls, '\n', n - ls);
    return nl ? (size_t)(nl - s) : n;
}

static size_t match_len(const char *s, size_t ls, size_t le)
{
    return le > ls && s[le - 1] == '\r' ? le - ls - 1 : le - ls;
}

int wd_mask(const wd_mask_rules *r, const char *s, size_t n, wd_buf *out)
{
    if (wd_buf_reserve(out, n ? n : 1)) return WD_E_NOMEM;
    out->len = 0;
    if (n == 0) return WD_OK;
    if (!r || r->n == 0) {
        memcpy(out->data, s, n);
        out->len = n;
        return WD_OK;
    }
    int has[4] = { 0, 0, 0, 0 };
    for (size_t i = 0; i < r->n; i++) has[r->rule[i].kind] = 1;
    const unsigned H = r->head_lines < MAX_WINDOW ? r->head_lines : MAX_WINDOW;
    const unsigned T = r->tail_lines < MAX_WINDOW ? r->tail_lines : MAX_WINDOW;
    locale_t old = uselocale(r->c_locale);

    /* The first non-blank line, which tail rules never see. */
    size_t first_end = 0;
    for (size_t ls = 0; ls < n;) {
        size_t le = line_end(s, n, ls);
        if (!line_blank(s + ls, le - ls)) {
            first_end = le;
            break;
        }
        ls = le + 1;
    }

    /* The cut: the earliest of the last T non-blank lines a tail rule
     * matches. The window is found backwards, then tried forwards. */
    size_t cut = n;
    if (has[WD_MASK_TAIL] && T) {
        size_t starts[MAX_WINDOW], ends[MAX_WINDOW], k = 0;
        size_t le = n;
        while (k < T) {
            const char *nl = le ? memrchr(s, '\n', le) : NULL;
            size_t ls = nl ? (size_t)(nl - s) + 1 : 0;
            if (ls < first_end) break;      /* reached the first line */
            if (!line_blank(s + ls, le - ls)) {
                starts[k] = ls;
                ends[k++] = le;
            }
            if (ls == 0) break;
            le = ls - 1;                    /* the '\n' before this line */
        }
        while (k > 0) {
            k--;
            if (any_match(r, WD_MASK_TAIL, s + starts[k], match_len(s, starts[k], ends[k]))) {
                cut = starts[k];
                break;
            }
        }
    }

    /* Copy the lines before the cut. */
    char *o = out->data;
    const int per_line = has[WD_MASK_LINE] || has[WD_MASK_INLINE];
    unsigned nonblank = 0;
    size_t ls = 0;
    span sp[MAX_SPANS];
    while (ls < cut) {
        if (!per_line && (nonblank >= H || !has[WD_MASK_HEAD])) { /* the rest in one go */
            memcpy(o, s + ls, cut - ls);
            o += cut - ls;
            break;
        }
        size_t le = line_end(s, n, ls);
        if (le > cut) le = cut;
        size_t ml = match_len(s, ls, le);
        int blank = line_blank(s + ls, le - ls);
        if (!blank && has[WD_MASK_LINE] && any_match(r, WD_MASK_LINE, s + ls, ml)) {
            /* removed: keep only its line break */
        } else if (blank) {
            memcpy(o, s + ls, le - ls);
            o += le - ls;
        } else {
            size_t ns = 0;
            if (nonblank < H) ns = collect(r, WD_MASK_HEAD, s + ls, ml, sp, ns);
            if (has[WD_MASK_INLINE]) ns = collect(r, WD_MASK_INLINE, s + ls, ml, sp, ns);
            o = emit(o, s + ls, le - ls, sp, ns);
        }
        if (!blank) nonblank++;
        if (le < n && le < cut) *o++ = '\n';
        ls = le + 1;
    }
    out->len = (size_t)(o - out->data);
    uselocale(old);
    return WD_OK;
}
