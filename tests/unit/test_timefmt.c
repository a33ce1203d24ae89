/* Durations and RFC 3339 times: what acmed.conf, renewal files and ARI
 * answers may hold, and what they may not. */
#include <limits.h>

#include "timefmt.h"
#include "test.h"

static long dur(const char *s)
{
	long v = -1;

	if (timefmt_parse_duration(s, &v) < 0)
		return -1;
	return v;
}

TEST(durations)
{
	static const struct {
		const char *in;
		long secs;
	} ok[] = {
		{ "0", 0 },          { "3600", 3600 },       { "90s", 90 },
		{ "15m", 900 },      { "12h", 43200 },       { "30d", 2592000 },
		{ "2w", 1209600 },   { "30 days", 2592000 }, { "1 day", 86400 },
		{ "1d 12h", 129600 }, { "1d12h30m", 131400 }, { "5 minutes", 300 },
		{ "10 MIN", 600 },   { " 7d ", 604800 },     { "1 hour 1 second", 3601 },
	};
	static const char *const bad[] = {
		"", " ", "d", "-5s", "5x", "5 dayz", "1.5d", "30d 10", "10 10", "s5",
		"99999999999999999999", "9223372036854775807w",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		TEST_CHECK(dur(ok[i].in) == ok[i].secs, "'%s' -> %ld, expected %ld", ok[i].in,
			   dur(ok[i].in), ok[i].secs);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEST_CHECK(dur(bad[i]) == -1, "'%s' was accepted as %ld", bad[i], dur(bad[i]));
	ASSERT_INT_EQ(timefmt_parse_duration(NULL, &(long){ 0 }), -EINVAL);
}

TEST(duration_format_round_trips)
{
	static const long v[] = { 0, 1, 59, 60, 90, 3600, 5400, 86400, 30 * 86400, 86401 };
	char buf[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		timefmt_format_duration(v[i], buf, sizeof(buf));
		ASSERT_INT_EQ(dur(buf), v[i]);
	}
	timefmt_format_duration(30 * 86400, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "30d");
	timefmt_format_duration(5400, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "90m");
	timefmt_format_duration(86401, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "86401s");
}

TEST(rfc3339)
{
	time_t t = 0;
	char buf[32];

	ASSERT_INT_EQ(timefmt_parse_rfc3339("2026-11-23T10:00:00Z", &t), 0);
	ASSERT_INT_EQ(t, 1795428000);
	timefmt_format_rfc3339(t, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "2026-11-23T10:00:00Z");
	/* Fractions are dropped; offsets are applied; 't', 'z' and ' ' pass. */
	ASSERT_INT_EQ(timefmt_parse_rfc3339("2026-11-23T10:00:00.999999Z", &t), 0);
	ASSERT_INT_EQ(t, 1795428000);
	ASSERT_INT_EQ(timefmt_parse_rfc3339("2026-11-23T12:30:00+02:30", &t), 0);
	ASSERT_INT_EQ(t, 1795428000);
	ASSERT_INT_EQ(timefmt_parse_rfc3339("2026-11-23t05:00:00-05:00", &t), 0);
	ASSERT_INT_EQ(t, 1795428000);
	ASSERT_INT_EQ(timefmt_parse_rfc3339("2026-11-23 10:00:00z", &t), 0);
	ASSERT_INT_EQ(t, 1795428000);
	/* RFC 9773's example window. */
	ASSERT_INT_EQ(timefmt_parse_rfc3339("2025-01-02T04:00:00Z", &t), 0);
	ASSERT_INT_EQ(t, 1735790400);
}

TEST(rfc3339_rejects)
{
	static const char *const bad[] = {
		"", "2026-11-23", "2026-11-23T10:00:00", "2026-11-23T10:00Z", "2026-13-01T00:00:00Z",
		"2026-11-32T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T10:00:00.Z",
		"2026-11-23T10:00:00+0200", "2026-11-23T10:00:00Z trailing", "26-11-23T10:00:00Z",
		"2026-11-23X10:00:00Z", "yesterday at noon, roughly",
	};
	time_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEST_CHECK(timefmt_parse_rfc3339(bad[i], &t) == -EINVAL, "'%s' was accepted", bad[i]);
	ASSERT_INT_EQ(timefmt_parse_rfc3339(NULL, &t), -EINVAL);
}

