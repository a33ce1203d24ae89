/* ACME engine pieces that need no CA: problem documents as users see them,
 * and Retry-After parsing. The exchanges themselves run against Pebble in
 * tests/integration. */
#include "acme/acme.h"
#include "error.h"
#include "acme/http.h"
#include "test.h"

TEST(problem_with_subproblems)
{
	struct acme_problem p = { 0 };
	char buf[1024];

	ASSERT_INT_EQ(acme_problem_parse(
			      "{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
			      "\"detail\":\"Some identifiers were rejected\",\"status\":400,"
			      "\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:malformed\","
			      "\"detail\":\"Invalid underscore\",\"identifier\":{\"type\":\"dns\","
			      "\"value\":\"a_b.example.com\"}},{\"type\":"
			      "\"urn:ietf:params:acme:error:rejectedIdentifier\",\"detail\":"
			      "\"policy forbids\",\"identifier\":{\"type\":\"dns\",\"value\":"
			      "\"bad.example\"}}]}",
			      &p),
		      0);
	ASSERT_INT_EQ(p.status, 400);
	ASSERT_INT_EQ(p.nsub, 2);
	acme_problem_format(&p, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "urn:ietf:params:acme:error:rejectedIdentifier: Some identifiers were "
			   "rejected; subproblems: a_b.example.com: "
			   "urn:ietf:params:acme:error:malformed: Invalid underscore; bad.example: "
			   "urn:ietf:params:acme:error:rejectedIdentifier: policy forbids");
	acme_problem_clear(&p);
}

/* CA text reaches logs and terminals: control characters must not. */
TEST(problem_text_is_sanitised)
{
	struct acme_problem p = { 0 };
	char buf[256];

	ASSERT_INT_EQ(acme_problem_parse("{\"type\":\"urn:x\",\"detail\":\"line1\\nFAKE LOG\\u001b[31m\"}",
					 &p),
		      0);
	acme_problem_format(&p, buf, sizeof(buf));
	ASSERT_TRUE(strchr(buf, '\n') == NULL && strchr(buf, '\033') == NULL);
	ASSERT_STR_CONTAINS(buf, "line1 FAKE LOG");
	acme_problem_clear(&p);
}

TEST(problem_truncates_safely)
{
	struct acme_problem p = { 0 };
	char buf[16];

	ASSERT_INT_EQ(acme_problem_parse("{\"type\":\"urn:ietf:params:acme:error:serverInternal\"}",
					 &p),
		      0);
	acme_problem_format(&p, buf, sizeof(buf));
	ASSERT_INT_EQ(strlen(buf), sizeof(buf) - 1);
	acme_problem_clear(&p);
}

TEST(problem_rejects_non_problems)
{
	struct acme_problem p = { 0 };

	ASSERT_INT_EQ(acme_problem_parse("not json", &p), -EINVAL);
	ASSERT_INT_EQ(acme_problem_parse("[1,2]", &p), -EINVAL);
	ASSERT_INT_EQ(acme_problem_parse("{\"detail\":\"no type\"}", &p), -EINVAL);
	ASSERT_INT_EQ(acme_problem_parse("{\"type\":5}", &p), -EINVAL);
}

TEST(retry_after)
{
	/* Tue, 01 Dec 2026 00:00:00 GMT */
	long now = 1796083200;

	ASSERT_INT_EQ(http_retry_after_seconds("120", now), 120);
	ASSERT_INT_EQ(http_retry_after_seconds("0", now), 0);
	ASSERT_INT_EQ(http_retry_after_seconds("Tue, 01 Dec 2026 00:01:30 GMT", now), 90);
	/* A date in the past means "now", not a negative wait. */
	ASSERT_INT_EQ(http_retry_after_seconds("Mon, 30 Nov 2026 00:00:00 GMT", now), 0);
	ASSERT_INT_EQ(http_retry_after_seconds(NULL, now), -1);
	ASSERT_INT_EQ(http_retry_after_seconds("", now), -1);
	ASSERT_INT_EQ(http_retry_after_seconds("soon", now), -1);
	ASSERT_INT_EQ(http_retry_after_seconds("12s", now), -1);
	/* Years, or more than a long holds: a week at most. */
	ASSERT_INT_EQ(http_retry_after_seconds("315360000", now), HTTP_RETRY_AFTER_MAX);
	ASSERT_INT_EQ(http_retry_after_seconds("99999999999999999999999", now),
		      HTTP_RETRY_AFTER_MAX);
	ASSERT_INT_EQ(http_retry_after_seconds("Fri, 01 Dec 2090 00:00:00 GMT", now),
		      HTTP_RETRY_AFTER_MAX);
	ASSERT_INT_EQ(http_retry_after_seconds("-5", now), -1);
	ASSERT_INT_EQ(http_retry_after_seconds("-5", now), -1);
}
