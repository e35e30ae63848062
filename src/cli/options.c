/* options.c - table-driven option parsing (see options.h). */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt *find_long(const cli_opt *const *tabs, const char *name, size_t n)
{
    for (; *tabs; tabs++)
        for (const cli_opt *o = *tabs; o->id; o++)
            if (o->lng && strlen(o->lng) == n && !strncmp(o->lng, name, n)) return o;
    return NULL;
}

static const cli_opt *find_short(const cli_opt *const *tabs, char c)
{
    for (; *tabs; tabs++)
        for (const cli_opt *o = *tabs; o->id; o++)
            if (o->shrt == c) return o;
    return NULL;
}

int cli_parse(const cli_opt *const *tabs, int argc, char **argv, cli_opt_fn fn, void *ctx, int *nops)
{
    int nop = 0, rc;
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc) argv[1 + nop++] = argv[i];
            break;
        }
        if (a[0] != '-' || a[1] == 0) {         /* operand, "-" included */
            argv[1 + nop++] = a;
            continue;
        }
        if (a[1] == '-') {                      /* --name or --name=value */
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            const cli_opt *o = find_long(tabs, name, n);
            if (!o) {
                cli_error("%s: unknown option '--%.*s' (see 'wiredup %s --help')", cmd, (int)n, name, cmd);
                return WD_EXIT_USAGE;
            }
            const char *val = NULL;
            if (o->arg) {
                if (eq) val = eq + 1;
                else if (i + 1 < argc) val = argv[++i];
                else {
                    cli_error("%s: option '--%s' needs a value %s", cmd, o->lng, o->arg);
                    return WD_EXIT_USAGE;
                }
            } else if (eq) {
                cli_error("%s: option '--%s' takes no value", cmd, o->lng);
                return WD_EXIT_USAGE;
            }
            if ((rc = fn(ctx, o->id, val))) return rc;
            continue;
        }
        for (const char *p = a + 1; *p; p++) {   /* -abc, -j4, -j 4 */
            const cli_opt *o = find_short(tabs, *p);
            if (!o) {
                cli_error("%s: unknown option '-%c' (see 'wiredup %s --help')", cmd, *p, cmd);
                return WD_EXIT_USAGE;
            }
            if (!o->arg) {
                if ((rc = fn(ctx, o->id, NULL))) return rc;
                continue;
            }
            const char *val = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) {
                cli_error("%s: option '-%c' needs a value %s", cmd, *p, o->arg);
                return WD_EXIT_USAGE;
            }
            if ((rc = fn(ctx, o->id, val))) return rc;
            break;
        }
    }
    *nops = nop;
    return 0;
}

void cli_print_options(FILE *f, const cli_opt *tab)
{
    for (; tab->id; tab++) {
        char left[64];
        int n = 0;
        if (tab->shrt && tab->lng)
            n = snprintf(left, sizeof left, "-%c, --%s", tab->shrt, tab->lng);
        else if (tab->shrt)
            n = snprintf(left, sizeof left, "-%c", tab->shrt);
        else
            n = snprintf(left, sizeof left, "    --%s", tab->lng);
        if (tab->arg && n < (int)sizeof left)
            snprintf(left + n, sizeof left - n, "%s%s", tab->lng ? "=" : " ", tab->arg);
        fprintf(f, "  %-28s %s\n", left, tab->help);
    }
}

int cli_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max)) return -1;
    *out = v;
    return 0;
}

int cli_bad_value(const char *cmd, const char *opt, const char *val, const char *want)
{
    cli_error("%s: invalid value '%s' for --%s (expected %s)", cmd, val, opt, want);
    return WD_EXIT_USAGE;
}
