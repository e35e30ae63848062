/*
 * timeval.h - the times and durations of `uniq --window-time`.
 *
 * A time is integer Unix seconds ("1717243200", "-5"; a fraction such as
 * "1717243200.75" is dropped towards the past), an RFC 3339 / ISO 8601
 * calendar date ("2024-06-01", midnight UTC) or date-time
 * ("2024-06-01T12:00:00Z", "2024-06-01 14:00:00.5+02:00"; 'T', 't' or a
 * space between; seconds optional; a fraction is dropped; an offset Z, z,
 * +HH:MM, -HH:MM, +HHMM or +HH, none meaning UTC). Years 0000-9999.
 * A duration is a positive whole number with a unit: s, m, h or d.
 */
#ifndef WD_CLI_TIMEVAL_H
#define WD_CLI_TIMEVAL_H

#include <stddef.h>
#include <stdint.h>

/* s[0..len) as Unix seconds into *out. 0, or -1 when it is not a time. */
int cli_time_parse(const char *s, size_t len, int64_t *out);

/* A NUL-terminated duration as seconds into *out. 0, or -1. */
int cli_duration_parse(const char *s, uint64_t *out);

#endif
