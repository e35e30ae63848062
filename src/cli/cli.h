/*
 * cli.h - shared pieces of the wiredup program: exit codes, messages and the
 * subcommand entry points (one file per subcommand).
 */
#ifndef WD_CLI_H
#define WD_CLI_H

#include <stdio.h>

/* Exit codes, as documented in `wiredup --help`. */
enum {
    WD_EXIT_OK = 0,        /* success */
    WD_EXIT_FOUND = 1,     /* duplicates found, where an option asks for it */
    WD_EXIT_USAGE = 2,     /* bad command line */
    WD_EXIT_INPUT = 3,     /* bad or unreadable input */
    WD_EXIT_INTERNAL = 4   /* out of memory, write error, internal error */
};

/* "wiredup: error: <msg>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "wiredup: warning: <msg>\n" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Subcommands: argv[0] is the subcommand name. Return an exit code. */
int cmd_dedup(int argc, char **argv);
int cmd_uniq(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_score(int argc, char **argv);

#endif
