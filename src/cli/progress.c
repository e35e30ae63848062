/* progress.c - progress bar on stderr (see progress.h). */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void progress_start(progress *p, const char *label, const char *unit, uint64_t total, int quiet)
{
    p->on = !quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->stage = NULL;
    p->unit = unit;
    p->total = total;
    p->done = 0;
    p->t0 = p->on ? now() : 0.0;
    p->last = p->t0;   /* first drawn after 0.1 s: quick runs never flash a bar */
    p->drawn = 0;
}

void progress_stage(progress *p, const char *stage)
{
    p->stage = stage;
}

/* "12.3 MB", or "7501" for counts. */
static void amount(char *buf, size_t n, const char *unit, double v)
{
    if (unit[0] == 'B' && unit[1] == 0) {
        static const char *const suffix[] = { "B", "kB", "MB", "GB", "TB" };
        int k = 0;
        while (v >= 1000.0 && k < 4) {
            v /= 1000.0;
            k++;
        }
        snprintf(buf, n, k ? "%.1f %s" : "%.0f %s", v, suffix[k]);
    } else {
        snprintf(buf, n, v >= 100 || v == (double)(uint64_t)v ? "%.0f" : "%.1f", v);
    }
}

static int columns(void)
{
    struct winsize w;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col >= 20) return w.ws_col;
    return 80;
}

static void draw(progress *p, double t)
{
    double secs = t - p->t0, rate = secs > 0 ? p->done / secs : 0.0;
    char done[32], total[32], r[32], tail[160], eta[32] = "";
    amount(done, sizeof done, p->unit, (double)p->done);
    amount(r, sizeof r, p->unit, rate);
    int is_bytes = p->unit[0] == 'B' && p->unit[1] == 0;
    if (p->total && rate > 0 && p->done <= p->total) {
        unsigned long left = (unsigned long)((p->total - p->done) / rate + 0.5);
        if (left >= 3600)
            snprintf(eta, sizeof eta, "  ETA %lu:%02lu:%02lu", left / 3600, left / 60 % 60, left % 60);
        else
            snprintf(eta, sizeof eta, "  ETA %lu:%02lu", left / 60, left % 60);
    }
    const char *sp = is_bytes ? "" : " ", *unit = is_bytes ? "" : p->unit;
    if (p->total) {
        amount(total, sizeof total, p->unit, (double)p->total);
        snprintf(tail, sizeof tail, "  %s/%s%s%s  %s%s%s/s%s%s%s", done, total, sp, unit, r, sp,
                 unit, eta, p->stage ? "  " : "", p->stage ? p->stage : "");
    } else {
        snprintf(tail, sizeof tail, "  %s%s%s  %s%s%s/s%s%s", done, sp, unit, r, sp, unit,
                 p->stage ? "  " : "", p->stage ? p->stage : "");
    }
    /* "label  [####....]tail": a bar of 24 cells, fewer (or none) when the
     * line would not fit; the tail is cut at the edge, never wrapped. */
    int cols = columns() - 1, used = (int)strlen(p->label) + (int)strlen(tail);
    int width = cols - used - 4;
    if (width > 24) width = 24;
    fprintf(stderr, "\r%s", p->label);
    if (p->total && width >= 8) {
        double frac = p->done >= p->total ? 1.0 : (double)p->done / p->total;
        int fill = (int)(frac * width);
        fputs("  [", stderr);
        for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
        fputc(']', stderr);
        used += width + 4;
    }
    if (used > cols) {
        size_t n = strlen(tail), cut = (size_t)(used - cols);
        tail[cut < n ? n - cut : 0] = 0;
    }
    fprintf(stderr, "%s\033[K", tail);
    fflush(stderr);
    p->drawn = 1;
}

void progress_update(progress *p, uint64_t done)
{
    if (!p->on) return;
    p->done = done;
    double t = now();
    if (t - p->last < 0.1) return;
    p->last = t;
    draw(p, t);
}

void progress_clear(progress *p)
{
    if (!p->on || !p->drawn) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = 0;
    p->last = 0.0;
}

void progress_end(progress *p)
{
    progress_clear(p);
    p->on = 0;
}
