#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "timefmt.h"
#include "util.h"

struct unit {
	const char *name;
	long secs;
};

/* Longest names first, so "minutes" is not read as "m" + "inutes". */
static const struct unit units[] = {
	{ "seconds", 1 }, { "second", 1 }, { "secs", 1 }, { "sec", 1 }, { "s", 1 },
	{ "minutes", 60 }, { "minute", 60 }, { "mins", 60 }, { "min", 60 }, { "m", 60 },
	{ "hours", 3600 }, { "hour", 3600 }, { "h", 3600 },
	{ "days", 86400 }, { "day", 86400 }, { "d", 86400 },
	{ "weeks", 604800 }, { "week", 604800 }, { "w", 604800 },
};

/* Match a unit name at P (not followed by another letter). */
static const struct unit *match_unit(const char *p, size_t *len)
{
	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		size_t n = strlen(units[i].name);

		if (strncasecmp(p, units[i].name, n) == 0 && !isalpha((unsigned char)p[n])) {
			*len = n;
			return &units[i];
		}
	}
	return NULL;
}

int timefmt_parse_duration(const char *s, long *out)
{
	const char *p = s;
	long total = 0;
	bool any = false;

	if (!s)
		return -EINVAL;
	while (*p) {
		const struct unit *u;
		size_t ulen;
		char *end;
		long v;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno)
			return -EINVAL;
		p = end;
		while (*p == ' ')
			p++;
		if (!*p) {
			/* A bare number is seconds, and only alone. */
			if (any)
				return -EINVAL;
			*out = v;
			return 0;
		}
		u = match_unit(p, &ulen);
		if (!u || v > (LONG_MAX - total) / u->secs)
			return -EINVAL;
		total += v * u->secs;
		p += ulen;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*out = total;
	return 0;
}

void timefmt_format_duration(long secs, char *buf, size_t len)
{
	static const struct unit fmt[] = { { "d", 86400 }, { "h", 3600 }, { "m", 60 } };

	if (secs == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(fmt); i++) {
		if (secs % fmt[i].secs == 0) {
			snprintf(buf, len, "%ld%s", secs / fmt[i].secs, fmt[i].name);
			return;
		}
	}
	snprintf(buf, len, "%lds", secs);
}

void timefmt_format_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "(time out of range)");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool digits(const char *p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

int timefmt_parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh, om, sign;
	const char *p = s;

	if (!s || strlen(s) < 20 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) ||
	    p[7] != '-' || !digits(p + 8, 2, &d) || !strchr("Tt ", p[10]) ||
	    !digits(p + 11, 2, &h) || p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' ||
	    !digits(p + 17, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	p += 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		oh = om = 0;
		sign = 1;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
		   digits(p + 4, 2, &om) && p[6] == '\0' && oh < 24 && om < 60) {
		sign = *p == '-' ? -1 : 1;
	} else {
		return -EINVAL;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;
	*out = timegm(&tm) - sign * (time_t)(oh * 3600 + om * 60);
	return 0;
}
