/*
 * options.h - one table of option definitions drives both parsing and the
 * --help text, so the two never disagree (git parse-options, ripgrep).
 */
#ifndef WD_CLI_OPTIONS_H
#define WD_CLI_OPTIONS_H

#include <stdio.h>

typedef struct cli_opt {
    int id;              /* returned to the handler; 0 ends the table */
    char shrt;           /* short name or 0 */
    const char *lng;     /* long name without "--", or NULL */
    const char *arg;     /* metavariable when the option takes a value, else NULL */
    const char *help;    /* one line; "(default: ...)" is part of it */
} cli_opt;

/* Called for each option found; val is NULL for flags. Returns 0, or an
 * exit code to stop parsing with (after printing its own message). */
typedef int (*cli_opt_fn)(void *ctx, int id, const char *val);

/*
 * Parses argv[1..argc) against the tables in tabs (a NULL-terminated list:
 * a command's own table, then shared ones such as cli_engine_tab). Operands (non-options, "-" included, and
 * everything after "--") are moved to the front of argv + 1 in order and
 * their count stored in *nops. Returns 0 or an exit code (usage errors are
 * reported here as "wiredup: error: <cmd>: ...").
 */
int cli_parse(const cli_opt *const *tabs, int argc, char **argv, cli_opt_fn fn, void *ctx,
              int *nops);

/* Prints the option list of tab, aligned, to f. */
void cli_print_options(FILE *f, const cli_opt *tab);

/* Number parsing with range checks; 0 on success. */
int cli_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
int cli_double(const char *s, double min, double max, double *out);

/* Reports "<cmd>: invalid value '<val>' for --<opt> (expected <want>)" and
 * returns WD_EXIT_USAGE. */
int cli_bad_value(const char *cmd, const char *opt, const char *val, const char *want);

#endif
