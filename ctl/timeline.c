/* acmectl certificates --timeline. */
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/client.h"
#include "ctl/timeline.h"

enum { WIDTH_PIPE = 50, WIDTH_MIN = 20, WIDTH_MAX = 80 };

void timeline_cells(const struct timeline_span *s, char *cells, int width)
{
	double span = (double)(s->not_after - s->not_before);
	long until = s->renew_until ? s->renew_until : s->not_after;

	for (int i = 0; i < width; i++) {
		long t = s->not_before + (long)((i + 0.5) * span / width);
		char c = '=';

		if (s->renew_from && t >= s->renew_from && t <= until)
			c = s->overdue && t < s->now ? '!' : '#';
		cells[i] = c;
	}
	cells[width] = '\0';
	if (width > 0 && span > 0 && s->now >= s->not_before && s->now <= s->not_after) {
		int i = (int)((double)(s->now - s->not_before) * width / span);

		cells[i < width ? i : width - 1] = '*';
	}
}

bool timeline_span_of(struct json_object *e, long now, struct timeline_span *s)
{
	struct json_object *ari = NULL;
	long next = jobj_time(e, "next_renewal");

	*s = (struct timeline_span){ .not_before = jobj_time(e, "not_before"),
				     .not_after = jobj_time(e, "not_after"),
				     .now = now };
	if (!s->not_after || !s->not_before || s->not_before >= s->not_after)
		return false;
	if (json_object_object_get_ex(e, "ari", &ari) && jobj_time(ari, "window_start")) {
		s->renew_from = jobj_time(ari, "window_start");
		s->renew_until = jobj_time(ari, "window_end");
	} else if (next) {
		s->renew_from = next;
	}
	s->overdue = !json_object_object_get_ex(e, "revoked", NULL) &&
		     ((next && next < now) || jobj_int(e, "failures", 0) > 0);
	return true;
}

const char *const timeline_fields[] = {
	"name",	    "not_before", "not_after", "next_renewal", "ari", "failures",
	"revoked",  "job_running", "next_attempt", "problem", NULL,
};

/* A date as wide as the lifetime needs: the hour too below 10 days. */
static void date_of(long t, bool short_lived, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, len, short_lived ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
}

static void time_left(long left, char *buf, size_t len)
{
	if (left >= 2 * 86400)
		snprintf(buf, len, "%ld days left", left / 86400);
	else if (left >= 86400)
		snprintf(buf, len, "1 day left");
	else if (left >= 3600)
		snprintf(buf, len, "%ld hour(s) left", left / 3600);
	else if (left >= 60)
		snprintf(buf, len, "%ld minute(s) left", left / 60);
	else
		snprintf(buf, len, "%ld second(s) left", left);
}

/* What the bar means for E, after its name. */
static void state_of(struct json_object *e, const struct timeline_span *s, bool short_lived,
		     char *buf, size_t len)
{
	char left[48], date[32];
	long failures = (long)jobj_int(e, "failures", 0);

	time_left(s->not_after - s->now, left, sizeof(left));
	if (json_object_object_get_ex(e, "revoked", NULL)) {
		snprintf(buf, len, "revoked");
	} else if (s->now >= s->not_after) {
		date_of(s->not_after, short_lived, date, sizeof(date));
		snprintf(buf, len, "EXPIRED on %s", date);
	} else if (s->now < s->not_before) {
		date_of(s->not_before, short_lived, date, sizeof(date));
		snprintf(buf, len, "not valid before %s", date);
	} else if (jobj_bool(e, "job_running")) {
		snprintf(buf, len, "%s, renewing now", left);
	} else if (failures > 0) {
		date_of(jobj_time(e, "next_attempt"), true, date, sizeof(date));
		snprintf(buf, len, "%s, %ld failed renewal(s), next attempt %s", left, failures,
			 date);
	} else if (!jobj_time(e, "next_renewal")) {
		snprintf(buf, len, "%s, not renewed by the timer", left);
	} else {
		date_of(jobj_time(e, "next_renewal"), short_lived, date, sizeof(date));
		snprintf(buf, len, "%s, %s %s", left, s->overdue ? "past its renewal time" : "renews",
			 date);
	}
}

void timeline_print_head(long now)
{
	char date[32];

	date_of(now, true, date, sizeof(date));
	client_printf("Certificate timelines, now %s UTC\n"
		      "  = valid   # renewal window   ! renewal window passed, not renewed   * now\n",
		      date);
}

void timeline_print(struct json_object *e, long now, int width)
{
	struct timeline_span s;
	char cells[WIDTH_MAX + 1], from[32], to[32], state[160];
	bool short_lived;

	client_printf("  %s: ", str_or_empty(jobj_str(e, "name")));
	if (!timeline_span_of(e, now, &s)) {
		client_printf("no certificate%s%s\n", jobj_str(e, "problem") ? ": " : "",
			      str_or_empty(jobj_str(e, "problem")));
		return;
	}
	short_lived = s.not_after - s.not_before < 10 * 86400;
	state_of(e, &s, short_lived, state, sizeof(state));
	if (width > WIDTH_MAX)
		width = WIDTH_MAX;
	timeline_cells(&s, cells, width);
	date_of(s.not_before, short_lived, from, sizeof(from));
	date_of(s.not_after, short_lived, to, sizeof(to));
	client_printf("%s\n    %s [%s] %s\n", state, from, cells, to);
}

int timeline_width(void)
{
	struct winsize ws;
	int w;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_col)
		return WIDTH_PIPE;
	/* "    2027-01-01 12:00 [" and "] 2027-01-01 12:00" around the bar. */
	w = ws.ws_col - 42;
	return w < WIDTH_MIN ? WIDTH_MIN : w > WIDTH_MAX ? WIDTH_MAX : w;
}
