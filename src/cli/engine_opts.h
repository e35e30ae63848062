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

/* How two documents are compared: shingles, sketch, thresholds. */
extern const cli_opt cli_engine_tab[];
/* How a collection is indexed and clustered: LSH shape, clustering, threads. */
extern const cli_opt cli_index_tab[];

/* Applies one option of either table to *p. 0, or WD_EXIT_USAGE after a message
 * naming cmd. */
int cli_engine_opt(const char *cmd, wd_params *p, int id, const char *val);

/* Cross-option checks after parsing (bands with rows, ...). 0 or WD_EXIT_USAGE. */
int cli_engine_check(const char *cmd, const wd_params *p);

#endif
