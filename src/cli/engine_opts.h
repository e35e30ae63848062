/*
 * engine_opts.h - the options that set wd_params, shared by every command
 * that runs the engine (dedup, compare, ...), so each is spelled, checked
 * and documented once.
 */
#ifndef WD_CLI_ENGINE_OPTS_H
#define WD_CLI_ENGINE_OPTS_H

#include "wiredup.h"
#include "options.h"

/* Option ids of cli_engine_tab; command tables use ids below this. */
#define CLI_ENGINE_BASE 1000

extern const cli_opt cli_engine_tab[];

/* Applies one engine option to *p. 0, or WD_EXIT_USAGE after a message
 * naming cmd. */
int cli_engine_opt(const char *cmd, wd_params *p, int id, const char *val);

/* Cross-option checks after parsing (bands with rows, ...). 0 or WD_EXIT_USAGE. */
int cli_engine_check(const char *cmd, const wd_params *p);

#endif
