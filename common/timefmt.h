/* Durations ("90s", "15m", "12h", "30d", "30 days", "1d 12h" or plain
 * seconds) and RFC 3339 timestamps, as they appear in acmed.conf, renewal
 * files and ACME responses. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Parse a duration: a number of seconds, or one or more NUMBER UNIT parts
 * with units s, m, h, d, w (also "second(s)", "minute(s)", "hour(s)",
 * "day(s)", "week(s)"), optionally separated by spaces. 0 and *out in
 * seconds, or -EINVAL (garbage, a missing unit after a part, overflow). */
int timefmt_parse_duration(const char *s, long *out);

/* The shortest exact form: "30d", "12h", "15m", "90s" ("0" for zero). */
void timefmt_format_duration(long secs, char *buf, size_t len);

/* "2026-11-23T10:00:00Z" (UTC, seconds). */
void timefmt_format_rfc3339(time_t t, char *buf, size_t len);

/* Parse an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS", optional fraction
 * (dropped), then "Z" or "+HH:MM"/"-HH:MM" ('t'/'z' and a space for 'T'
 * accepted). 0 or -EINVAL. */
int timefmt_parse_rfc3339(const char *s, time_t *out);
