/* Domain names as users type them with -d. */
#include "ident.h"

#include "test.h"

static void check_ok(int line, const char *in, const char *want)
{
	char out[IDENT_MAX + 1], err[512] = "";
	int r = ident_normalize(in, out, err, sizeof(err));

	if (r != 0 || strcmp(out, want) != 0)
		test_fail(__FILE__, line, "ident_normalize(\"%s\"): %d \"%s\" (%s), want \"%s\"", in,
			  r, r == 0 ? out : "", err, want);
}

static void check_bad(int line, const char *in, const char *why)
{
	char out[IDENT_MAX + 1], err[512] = "", prefix[400];
	int r = ident_normalize(in, out, err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "'%s' is not a valid domain name: ", in);
	if (r != -EINVAL || strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, why))
		test_fail(__FILE__, line, "ident_normalize(\"%s\"): %d \"%s\", want -EINVAL \"%s\"",
			  in, r, err, why);
}
#define OK(in, want) check_ok(__LINE__, in, want)
#define BAD(in, why) check_bad(__LINE__, in, why)

TEST(valid_names)
{
	OK("example.com", "example.com");
	OK("www.example.co.uk", "www.example.co.uk");
	OK("xn--bcher-kva.example", "xn--bcher-kva.example");
	OK("a-b.c0m", "a-b.c0m");
	OK("1.example", "1.example");
	OK("*.example.com", "*.example.com");
}

TEST(normalised)
{
	OK("Example.COM", "example.com");
	OK("WWW.Example.Com.", "www.example.com");
	OK("example.com.", "example.com");
	OK("*.Example.com.", "*.example.com");
}

TEST(invalid_names)
{
	BAD("", "empty");
	BAD(".", "empty");
	BAD("foo", "needs a dot");
	BAD("foo.", "needs a dot");
	BAD("a.*.example.com", "only letters, digits, hyphens");
	BAD("*example.com", "only letters, digits, hyphens");
	BAD("*", "only letters, digits, hyphens");
	BAD("**.example.com", "only letters, digits, hyphens");
	BAD("-a.com", "hyphen");
	BAD("a-.com", "hyphen");
	BAD("a.-b.com", "hyphen");
	BAD("a..com", "empty label");
	BAD(".a.com", "empty label");
	BAD("a.com..", "empty label");
	BAD("a_b.com", "only letters, digits, hyphens");
	BAD("a b.com", "only letters, digits, hyphens");
	BAD("a/b.com", "only letters, digits, hyphens");
	BAD("caf\xc3\xa9.com", "only letters, digits, hyphens");
}

TEST(wildcard_malformed)
{
	char out[IDENT_MAX + 1], err[256];

	ASSERT_INT_EQ(ident_normalize("*.", out, err, sizeof(err)), -EINVAL);
	ASSERT_INT_EQ(ident_normalize("*..com", out, err, sizeof(err)), -EINVAL);
}

/* "a.b.c..." of exactly LEN characters, labels of at most LABEL characters. */
static char *name_of(size_t len, size_t label)
{
	char *s = malloc(len + 1);
	size_t run = 0;

	ASSERT_NONNULL(s);
	for (size_t i = 0; i < len; i++) {
		bool dot = run == label && i + 1 < len;

		s[i] = dot ? '.' : 'a';
		run = dot ? 0 : run + 1;
	}
	s[len] = '\0';
	return s;
}

TEST(lengths)
{
	char *s, *t, *l63 = name_of(63, 63), *l64 = name_of(64, 64);

	ASSERT_TRUE(asprintf(&s, "%s.com", l63) > 0);
	OK(s, s);
	free(s);
	ASSERT_TRUE(asprintf(&s, "%s.com", l64) > 0);
	BAD(s, "longer than 63");
	free(s);
	ASSERT_TRUE(asprintf(&s, "www.%s", l64) > 0);
	BAD(s, "longer than 63");
	free(s);

	s = name_of(253, 63);
	OK(s, s);
	ASSERT_TRUE(asprintf(&t, "%s.", s) > 0); /* 254 with the root dot: still fine */
	OK(t, s);
	free(t);
	free(s);
	s = name_of(254, 63);
	BAD(s, "longer than 253");
	free(s);
	s = name_of(400, 50);
	BAD(s, "longer than 253");
	free(s);
	free(l63);
	free(l64);
}

/* RFC 8738 IP identifiers, in canonical text form (RFC 5952 for IPv6). */
TEST(ip_literals_canonical)
{
	OK("192.0.2.1", "192.0.2.1");
	OK("::1", "::1");
	OK("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	OK("2001:0db8::0001", "2001:db8::1");
	OK("::ffff:192.0.2.1", "::ffff:192.0.2.1");
	/* The trailing dot is dropped before the IP check: an IP identifier,
	 * not the DNS name "192.0.2.1". */
	OK("192.0.2.1.", "192.0.2.1");
	BAD("*.192.0.2.1", "");
	BAD("192.0.2.256", "");
	BAD("2001:db8::1%eth0", "");
}

TEST(is_ip)
{
	ASSERT_TRUE(ident_is_ip("192.0.2.1"));
	ASSERT_TRUE(ident_is_ip("0.0.0.0"));
	ASSERT_TRUE(ident_is_ip("::"));
	ASSERT_TRUE(ident_is_ip("::1"));
	ASSERT_TRUE(ident_is_ip("2001:db8::1"));
	ASSERT_TRUE(ident_is_ip("fe80::1:2:3:4"));
	ASSERT_TRUE(ident_is_ip("::ffff:192.0.2.1"));
	ASSERT_TRUE(!ident_is_ip("example.com"));
	ASSERT_TRUE(!ident_is_ip(""));
	ASSERT_TRUE(!ident_is_ip("1.2.3"));
	ASSERT_TRUE(!ident_is_ip("256.1.1.1"));
	ASSERT_TRUE(!ident_is_ip("192.0.2.1/24"));
	ASSERT_TRUE(!ident_is_ip("[::1]"));
	ASSERT_TRUE(!ident_is_ip("2001:db8::1%eth0"));
}

/* certbot's -m a@x,b@y: several contacts, each a whole address. */
TEST(email_lists)
{
	char longest[300];

	ASSERT_TRUE(ident_emails_ok("a@example.com"));
	ASSERT_TRUE(ident_emails_ok("a@example.com,b@example.org"));
	ASSERT_TRUE(ident_emails_ok("a@x,b@y,c@z"));
	ASSERT_TRUE(!ident_emails_ok(NULL));
	ASSERT_TRUE(!ident_emails_ok(""));
	ASSERT_TRUE(!ident_emails_ok(","));
	ASSERT_TRUE(!ident_emails_ok("a@example.com,"));
	ASSERT_TRUE(!ident_emails_ok(",a@example.com"));
	ASSERT_TRUE(!ident_emails_ok("a@example.com,,b@example.com"));
	ASSERT_TRUE(!ident_emails_ok("a@example.com, b@example.com"));
	ASSERT_TRUE(!ident_emails_ok("a@example.com,nobody"));
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	longest[5] = '@';
	ASSERT_TRUE(!ident_emails_ok(longest));
	ASSERT_TRUE(!ident_email_ok("a@example.com,b@example.com"));
}
