/* timeval.c - times and durations for `uniq --window-time` (see timeval.h). */
#include "timeval.h"

#include <limits.h>

/* Reads exactly n digits at *p; -1 when one is missing. */
static int digits(const char **p, const char *end, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9') return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Skips a fraction ".ddd" (at least one digit) when there is one. */
static int skip_fraction(const char **p, const char *end, int *nonzero)
{
    if (*p >= end || **p != '.') return 0;
    (*p)++;
    const char *start = *p;
    for (; *p < end && **p >= '0' && **p <= '9'; (*p)++)
        if (**p != '0') *nonzero = 1;
    return *p > start ? 0 : -1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar: count
 * years from March, so the leap day ends a year, then whole 400-year eras
 * (146097 days) and the days within the era. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                            /* 0..399 */
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* 0..365 */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;   /* 0..146096 */
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dm[m - 1] + (m == 2 && leap);
}

/* [-]digits[.digits]: Unix seconds. */
static int parse_epoch(const char *p, const char *end, int64_t *out)
{
    int neg = p < end && *p == '-';
    if (neg) p++;
    if (p >= end || *p < '0' || *p > '9') return -1;
    int64_t v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (*p - '0');
    }
    int frac = 0;
    if (skip_fraction(&p, end, &frac) || p != end) return -1;
    if (neg) v = -v - (frac ? 1 : 0);  /* towards the past */
    *out = v;
    return 0;
}

int cli_time_parse(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len;
    if (len < 10 || s[4] != '-' || s[7] != '-') return parse_epoch(p, end, out);
    int y = digits(&p, end, 4);
    p++;
    int mo = digits(&p, end, 2);
    p++;
    int d = digits(&p, end, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400;
    if (p == end) {
        *out = secs;
        return 0;
    }
    if (*p != 'T' && *p != 't' && *p != ' ') return -1;
    p++;
    int h = digits(&p, end, 2);
    if (h < 0 || h > 23 || p >= end || *p++ != ':') return -1;
    int mi = digits(&p, end, 2);
    if (mi < 0 || mi > 59) return -1;
    int sec = 0, frac = 0;
    if (p < end && *p == ':') {
        p++;
        sec = digits(&p, end, 2);
        if (sec < 0 || sec > 60) return -1;  /* 60: a leap second */
        if (skip_fraction(&p, end, &frac)) return -1;
    }
    secs += h * 3600 + mi * 60 + sec;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = digits(&p, end, 2), om = 0;
        if (oh < 0 || oh > 23) return -1;
        if (p < end && *p == ':') p++;
        if (p < end && (om = digits(&p, end, 2)) < 0) return -1;
        if (om > 59) return -1;
        secs -= sign * (oh * 3600 + om * 60);  /* local = UTC + offset */
    }
    if (p != end) return -1;
    *out = secs;
    return 0;
}

int cli_duration_parse(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > UINT64_MAX / 10 - 9) return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (p == s || v == 0 || !p[0] || p[1]) return -1;
    uint64_t unit;
    switch (*p) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return -1;
    }
    if (v > (uint64_t)INT64_MAX / unit) return -1;
    *out = v * unit;
    return 0;
}
