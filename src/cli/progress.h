/*
 * progress.h - a one-line progress bar on stderr with rate and ETA.
 *
 *   tune  [########............]  12/48 configs  2.1 configs/s  ETA 0:17  all pairs
 *
 * Drawn only when stderr is a terminal and the command was not given
 * --quiet; otherwise every call does nothing, so logs and pipes never see
 * it. Redrawn at most 10 times a second however often progress_update() is
 * called (one clock read per call). progress_end() erases the line, so the
 * messages and summaries that follow start on a clean line; call it (or
 * progress_clear()) before printing anything else to stderr.
 *
 * Units: "B" counts bytes and is shown in kB/MB/GB; any other unit is shown
 * as a plain count ("docs", "configs"). A total of 0 means unknown: no bar,
 * no ETA, just the count and the rate.
 */
#ifndef WD_CLI_PROGRESS_H
#define WD_CLI_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    int on;              /* 1 when drawing (stderr is a tty, not --quiet) */
    const char *label;   /* "tune", "eval", ... */
    const char *stage;   /* what is being done now, shown last; may be NULL */
    const char *unit;    /* "B", "docs", "configs" */
    uint64_t total;      /* 0 = unknown */
    uint64_t done;       /* last value given */
    double t0;           /* start, monotonic seconds */
    double last;         /* last redraw */
    int drawn;           /* a line is on screen */
} progress;

/* Starts a bar (not drawn until the first update). */
void progress_start(progress *p, const char *label, const char *unit, uint64_t total, int quiet);

/* Records that done units are complete; redraws when 0.1 s have passed. */
void progress_update(progress *p, uint64_t done);

/* Names the current stage (NULL: none), shown after the ETA from the next
 * redraw on. */
void progress_stage(progress *p, const char *stage);

/* Erases the line if drawn; the bar reappears at the next update. */
void progress_clear(progress *p);

/* Erases the line and stops the bar. */
void progress_end(progress *p);

#endif
