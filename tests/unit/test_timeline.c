/* acmectl certificates --timeline: the bar's cells and the lines printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/timeline.h"
#include "test.h"

#define DAY 86400L
#define T0 1800000000L /* 2027-01-15 08:00:00 UTC */

/* A 90-day certificate, renewal window from day 60; now is day 0. */
TEST(cells_validity_window_and_now)
{
	struct timeline_span s = { T0, T0 + 90 * DAY, T0 + 60 * DAY, 0, T0, false };
	char cells[31];

	timeline_cells(&s, cells, 30);
	ASSERT_STR_EQ(cells, "*===================##########");
}

/* Day 45 puts now in the middle cell. */
TEST(cells_now_in_the_middle)
{
	struct timeline_span s = { T0, T0 + 90 * DAY, T0 + 60 * DAY, 0, T0 + 45 * DAY, false };
	char cells[31];

	timeline_cells(&s, cells, 30);
	ASSERT_STR_EQ(cells, "===============*====##########");
}

/* Past its renewal time, not renewed: the passed part of the window is
 * '!', the rest '#'. */
TEST(cells_overdue)
{
	struct timeline_span s = { T0, T0 + 90 * DAY, T0 + 60 * DAY, 0, T0 + 75 * DAY, true };
	char cells[31];

	timeline_cells(&s, cells, 30);
	ASSERT_STR_EQ(cells, "====================!!!!!*####");
}

/* An ARI window ends before notAfter: after it, plain validity. */
TEST(cells_ari_window)
{
	struct timeline_span s = { T0, T0 + 90 * DAY, T0 + 60 * DAY, T0 + 66 * DAY, T0, false };
	char cells[31];

	timeline_cells(&s, cells, 30);
	ASSERT_STR_EQ(cells, "*===================##========");
}

/* Expired: no '*' inside the bar; no renewal window known: all valid. */
TEST(cells_expired_and_no_window)
{
	struct timeline_span s = { T0, T0 + 6 * DAY, 0, 0, T0 + 7 * DAY, false };
	char cells[13];

	timeline_cells(&s, cells, 12);
	ASSERT_STR_EQ(cells, "============");
}

static char *printed(const char *json, long now)
{
	struct json_object *e = json_tokener_parse(json);
	FILE *saved = stdout;
	char *buf = NULL;
	size_t len = 0;

	ASSERT_NONNULL(e);
	stdout = open_memstream(&buf, &len);
	ASSERT_NONNULL(stdout);
	timeline_print(e, now, 30);
	fclose(stdout);
	stdout = saved;
	json_object_put(e);
	return buf;
}

TEST(print_due_later)
{
	char *out = printed("{\"name\":\"a.test\",\"not_before\":\"2027-01-15T08:00:00Z\","
			    "\"not_after\":\"2027-04-15T08:00:00Z\","
			    "\"next_renewal\":\"2027-03-16T08:00:00Z\",\"failures\":0}",
			    T0 + 45 * DAY);

	ASSERT_STR_EQ(out, "  a.test: 45 days left, renews 2027-03-16\n"
			   "    2027-01-15 [===============*====##########] 2027-04-15\n");
	free(out);
}

/* A short-lived certificate failing: hours in the dates, the failures. */
TEST(print_short_lived_failing)
{
	char *out = printed("{\"name\":\"s.test\",\"not_before\":\"2027-01-15T08:00:00Z\","
			    "\"not_after\":\"2027-01-21T08:00:00Z\","
			    "\"next_renewal\":\"2027-01-19T08:00:00Z\",\"failures\":2,"
			    "\"next_attempt\":\"2027-01-20T10:00:00Z\"}",
			    T0 + 5 * DAY);

	ASSERT_STR_EQ(out, "  s.test: 1 day left, 2 failed renewal(s), next attempt "
			   "2027-01-20 10:00\n"
			   "    2027-01-15 08:00 [====================!!!!!*####] "
			   "2027-01-21 08:00\n");
	free(out);
}

TEST(print_expired_and_broken)
{
	char *out = printed("{\"name\":\"x.test\",\"not_before\":\"2027-01-15T08:00:00Z\","
			    "\"not_after\":\"2027-04-15T08:00:00Z\"}",
			    T0 + 100 * DAY);

	ASSERT_STR_CONTAINS(out, "x.test: EXPIRED on 2027-04-15\n");
	free(out);
	out = printed("{\"name\":\"q.test\",\"problem\":\"live/q.test is broken\"}", T0);
	ASSERT_STR_EQ(out, "  q.test: no certificate: live/q.test is broken\n");
	free(out);
}
