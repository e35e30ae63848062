/*
 * main.c - the wiredup program: subcommand dispatch and messages.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"
#include "cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wiredup: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wiredup: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cmd_gen(int argc, char **argv); /* gen.c */
int cmd_eval(int argc, char **argv); /* eval.c */
int cmd_tune(int argc, char **argv); /* tune.c */
int cmd_index(int argc, char **argv); /* index_cmd.c */

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    { "dedup", cmd_dedup, "cluster near-duplicate documents and keep one of each cluster" },
    { "uniq", cmd_uniq, "stream filter: drop near-duplicates of earlier kept records" },
    { "index", cmd_index, "stats, verify or export a persistent index (dedup or uniq --index)" },
    { "compare", cmd_compare, "show the similarity of two documents" },
    { "score", cmd_score, "score a clustering against ground-truth labels" },
    { "eval", cmd_eval, "cluster a labeled corpus and show scores and the worst mistakes" },
    { "tune", cmd_tune, "sweep parameters on a labeled corpus and recommend a command" },
    { "gen", cmd_gen, "write a labeled corpus of syndicated copies from base stories" },
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: wiredup COMMAND [OPTIONS] [ARGS]\n\n"
               "Find exact and near-duplicate text documents.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nRun 'wiredup COMMAND --help' for a command's options.\n"
               "Options: -h, --help   this text;  --version [-v]   print the version [and the\n"
               "         instruction set in use]\n\n"
               "Environment: WIREDUP_ISA=scalar|avx2|avx512|auto forces the SIMD kernels\n"
               "             (results are identical; only speed differs).\n\n"
               "Exit codes: 0 ok, 2 usage error, 3 bad or unreadable input,\n"
               "            4 internal or resource error (1: 'index verify' found damage).\n");
}

int main(int argc, char **argv)
{
    /* A closed pipe shows up as EPIPE on write and ends the run quietly. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return WD_EXIT_USAGE;
    }
    const char *isa = getenv("WIREDUP_ISA");
    if (isa && *isa) {
        int st = wd_isa_select(isa);
        if (st) {
            cli_error("WIREDUP_ISA=%s: %s", isa,
                      st == WD_E_INVALID ? "unknown (expected scalar, avx2, avx512 or auto)"
                                         : "not supported by this CPU");
            return WD_EXIT_USAGE;
        }
    }
    const char *c = argv[1];
    if (!strcmp(c, "-h") || !strcmp(c, "--help") || !strcmp(c, "help")) {
        usage(stdout);
        return WD_EXIT_OK;
    }
    if (!strcmp(c, "--version") || !strcmp(c, "-V")) {
        printf("wiredup %s\n", wd_version());
        if (argc > 2 && (!strcmp(argv[2], "-v") || !strcmp(argv[2], "--verbose")))
            printf("isa %s\n", wd_isa());
        return WD_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(c, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    cli_error("unknown command '%s' (see 'wiredup --help')", c);
    return WD_EXIT_USAGE;
}
