/* Renewal files: format/parse round trips, error messages that name file,
 * line and setting, and when a certificate is due. */
#include "renewal.h"
#include "util.h"

#include "test.h"

#define FILE_NAME "renewal/example.com.conf"
#define DAY 86400L

static struct renewal full_renewal(void)
{
	struct renewal r = { 0 };

	r.name = strdup("example.com");
	r.domains = calloc(4, sizeof(char *));
	r.domains[0] = strdup("example.com");
	r.domains[1] = strdup("www.example.com");
	r.domains[2] = strdup("*.example.org");
	r.ndomains = 3;
	r.server = strdup("https://acme-staging-v02.api.letsencrypt.org/directory");
	r.account = strdup("5f0b6b1c2a3d4e5f60718293a4b5c6d7");
	r.authn.name = strdup("webroot");
	r.authn.webroot = calloc(3, sizeof(*r.authn.webroot));
	r.authn.webroot[0].domain = strdup("example.com");
	r.authn.webroot[0].path = strdup("/var/www/html");
	r.authn.webroot[1].domain = strdup("www.example.com");
	r.authn.webroot[1].path = strdup("/srv/www \"quoted\" \\ dir");
	r.authn.nwebroot = 2;
	r.authn.http01_address = strdup("::1");
	r.authn.http01_port = 8080;
	r.key = (struct key_spec){ KEY_ALG_RSA, 3072, 256 };
	r.reuse_key = true;
	r.preferred_chain = strdup("ISRG Root X1");
	return r;
}

static void check_equal(const struct renewal *a, const struct renewal *b)
{
	ASSERT_STR_EQ(a->name, b->name);
	ASSERT_INT_EQ(a->ndomains, b->ndomains);
	for (size_t i = 0; i < a->ndomains; i++)
		ASSERT_STR_EQ(a->domains[i], b->domains[i]);
	ASSERT_STR_EQ(a->server, b->server);
	ASSERT_TRUE(streq(a->account, b->account) || (!a->account && !b->account));
	ASSERT_STR_EQ(a->authn.name, b->authn.name);
	ASSERT_INT_EQ(a->authn.nwebroot, b->authn.nwebroot);
	for (size_t i = 0; i < a->authn.nwebroot; i++) {
		ASSERT_STR_EQ(a->authn.webroot[i].domain, b->authn.webroot[i].domain);
		ASSERT_STR_EQ(a->authn.webroot[i].path, b->authn.webroot[i].path);
	}
	ASSERT_TRUE(streq(a->authn.http01_address, b->authn.http01_address) ||
		    (!a->authn.http01_address && !b->authn.http01_address));
	ASSERT_INT_EQ(a->authn.http01_port, b->authn.http01_port);
	ASSERT_INT_EQ(a->key.alg, b->key.alg);
	if (a->key.alg == KEY_ALG_RSA)
		ASSERT_INT_EQ(a->key.rsa_bits, b->key.rsa_bits);
	else
		ASSERT_INT_EQ(a->key.curve, b->key.curve);
	ASSERT_INT_EQ(a->reuse_key, b->reuse_key);
	ASSERT_TRUE(streq(a->preferred_chain, b->preferred_chain) ||
		    (!a->preferred_chain && !b->preferred_chain));
}

static void round_trip(const struct renewal *r)
{
	struct renewal back;
	char *text = NULL, err[512] = "";
	int ret;

	ASSERT_INT_EQ(renewal_format(r, &text), 0);
	ret = renewal_parse(text, FILE_NAME, &back, err, sizeof(err));
	if (ret != 0)
		test_fail(__FILE__, __LINE__, "parse: %d %s\n%s", ret, err, text);
	check_equal(r, &back);
	renewal_clear(&back);
	free(text);
}

TEST(round_trip_full)
{
	struct renewal r = full_renewal();

	round_trip(&r);
	renewal_clear(&r);
	ASSERT_TRUE(r.name == NULL && r.domains == NULL && r.authn.webroot == NULL);
}

TEST(round_trip_minimal_ec)
{
	struct renewal r = full_renewal();

	authn_config_clear(&r.authn);
	r.authn.name = strdup("standalone");
	FREE_AND_NULL(r.preferred_chain);
	FREE_AND_NULL(r.account);
	r.reuse_key = false;
	r.key = (struct key_spec){ KEY_ALG_EC, 2048, 384 };
	round_trip(&r);
	r.key.curve = 256;
	round_trip(&r);
	renewal_clear(&r);
}

TEST(authn_copy_and_lookup)
{
	struct renewal r = full_renewal();
	struct authn_config c;

	ASSERT_INT_EQ(authn_config_copy(&r.authn, &c), 0);
	ASSERT_STR_EQ(c.name, "webroot");
	ASSERT_INT_EQ(c.nwebroot, 2);
	ASSERT_TRUE(c.webroot[1].path != r.authn.webroot[1].path);
	ASSERT_STR_EQ(authn_webroot_for(&c, "www.example.com"), r.authn.webroot[1].path);
	ASSERT_STR_EQ(authn_webroot_for(&c, "example.com"), "/var/www/html");
	ASSERT_TRUE(authn_webroot_for(&c, "other.example.com") == NULL);
	ASSERT_STR_EQ(c.http01_address, "::1");
	ASSERT_INT_EQ(c.http01_port, 8080);
	authn_config_clear(&c);
	renewal_clear(&r);
}

/* A valid file; each error test replaces one numbered line. */
static const char *const base_lines[] = {
	"format = 1;",                                      /* 1 */
	"name = \"example.com\";",                          /* 2 */
	"domains = [ \"example.com\", \"www.example.com\" ];", /* 3 */
	"server = \"https://acme.example/dir\";",           /* 4 */
	"key_type = \"ecdsa\";",                            /* 5 */
	"reuse_key = false;",                               /* 6 */
	"authenticator = {",                                /* 7 */
	"  name = \"webroot\";",                            /* 8 */
	"  http01_port = 80;",                              /* 9 */
	"  webroot_map = ( { domain = \"example.com\"; path = \"/var/www\"; } );", /* 10 */
	"};",                                               /* 11 */
};
#define NLINES (sizeof(base_lines) / sizeof(base_lines[0]))

/* The base file with line LINE (1-based) replaced by REPLACEMENT (0: none). */
static char *text_with(size_t line, const char *replacement)
{
	char *text = strdup(""), *t;

	for (size_t i = 0; i < NLINES; i++) {
		const char *l = i + 1 == line ? replacement : base_lines[i];

		ASSERT_TRUE(asprintf(&t, "%s%s\n", text, l) > 0);
		free(text);
		text = t;
	}
	return text;
}

/* Parse the base file with LINE replaced; it must fail with WANT in the message. */
static void check_error(int srcline, size_t line, const char *replacement, const char *want)
{
	char *text = text_with(line, replacement), err[512] = "";
	struct renewal r;
	int ret = renewal_parse(text, FILE_NAME, &r, err, sizeof(err));

	if (ret != -EINVAL || !strstr(err, want))
		test_fail(__FILE__, srcline, "line %zu \"%s\": %d \"%s\", want \"%s\"", line,
			  replacement, ret, err, want);
	ASSERT_TRUE(r.name == NULL && r.domains == NULL); /* cleared on error */
	free(text);
}
#define CHECK_ERROR(...) check_error(__LINE__, __VA_ARGS__)

TEST(base_file_parses)
{
	char *text = text_with(0, NULL), err[512] = "";
	struct renewal r;

	ASSERT_INT_EQ(renewal_parse(text, FILE_NAME, &r, err, sizeof(err)), 0);
	ASSERT_INT_EQ(r.ndomains, 2);
	ASSERT_STR_EQ(authn_webroot_for(&r.authn, "example.com"), "/var/www");
	ASSERT_INT_EQ(r.authn.http01_port, 80);
	ASSERT_INT_EQ(r.key.alg, KEY_ALG_EC);
	ASSERT_TRUE(r.account == NULL && r.preferred_chain == NULL);
	renewal_clear(&r);
	free(text);
}

TEST(syntax_errors)
{
	char err[512] = "";
	struct renewal r;

	CHECK_ERROR(3, "domains = [ \"a\" ;", FILE_NAME ":3: syntax error");
	/* Not `key_type "ecdsa";`: libconfig 1.5 itself leaks on that one. */
	CHECK_ERROR(5, "key_type = ;", FILE_NAME ":5: syntax error");
	/* Unterminated at the end of the file. */
	ASSERT_INT_EQ(renewal_parse("name = \"a\";\ndomains = [ \"a\" ", FILE_NAME, &r, err,
				    sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, FILE_NAME ":2: syntax error");
}

TEST(setting_errors_name_line_and_setting)
{
	CHECK_ERROR(3, "domains = 5;", FILE_NAME ":3: domains: must be a non-empty list");
	CHECK_ERROR(3, "domains = [];", FILE_NAME ":3: domains:");
	CHECK_ERROR(3, "domains = ( \"a.example\", 5 );", FILE_NAME ":3: domains: element 2");
	CHECK_ERROR(1, "format = 2;", FILE_NAME ":1: format: 2 is not");
	CHECK_ERROR(2, "name = 5;", FILE_NAME ":2: name: must be a string");
	CHECK_ERROR(4, "server = true;", FILE_NAME ":4: server: must be a string");
	CHECK_ERROR(5, "key_type = \"dsa\";", FILE_NAME ":5: key_type: key type 'dsa'");
	CHECK_ERROR(6, "reuse_key = \"yes\";", FILE_NAME ":6: reuse_key: must be true or false");
	CHECK_ERROR(9, "  http01_port = 70000;", FILE_NAME ":9: authenticator.http01_port:");
	CHECK_ERROR(9, "  http01_port = 0;", FILE_NAME ":9: authenticator.http01_port:");
	CHECK_ERROR(9, "  http01_port = \"80\";", FILE_NAME ":9: authenticator.http01_port:");
	CHECK_ERROR(10, "  webroot_map = ( { domain = \"example.com\"; } );",
		    FILE_NAME ":10: authenticator.webroot_map: entry 1");
	CHECK_ERROR(10, "  webroot_map = \"/var/www\";",
		    FILE_NAME ":10: authenticator.webroot_map: must be a list");
	CHECK_ERROR(8, "  name = 1;", FILE_NAME ":8: name: must be a string");
}

TEST(missing_settings)
{
	CHECK_ERROR(2, "", FILE_NAME ": name: missing");
	CHECK_ERROR(3, "", FILE_NAME ": domains: missing");
	CHECK_ERROR(4, "", FILE_NAME ": server: missing");
	CHECK_ERROR(8, "", FILE_NAME ": name: missing");
}

/* The key settings are checked together, but an error must still point at
 * the setting (and line) that is wrong, not at key_type on "line 0". */
TEST(key_errors_name_their_setting)
{
	CHECK_ERROR(5, "elliptic_curve = \"secp521r1\";", FILE_NAME ":5: elliptic_curve:");
	CHECK_ERROR(5, "key_type = \"rsa\"; rsa_key_size = 1024;",
		    FILE_NAME ":5: rsa_key_size:");
}

/* A missing group has no line: "FILE: authenticator: ...", never ":0:". */
TEST(missing_authenticator)
{
	char *text = strdup(""), *t, err[512] = "";
	struct renewal r;

	for (size_t i = 0; i < 6; i++) {
		ASSERT_TRUE(asprintf(&t, "%s%s\n", text, base_lines[i]) > 0);
		free(text);
		text = t;
	}
	ASSERT_INT_EQ(renewal_parse(text, FILE_NAME, &r, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "authenticator");
	ASSERT_TRUE(strstr(err, ":0:") == NULL);
	free(text);
}

TEST(due)
{
	const long nb = 1700000000L;

	/* 90 days: the default 30 days before expiry. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 90 * DAY, RENEW_BEFORE_DEFAULT), nb + 60 * DAY);
	ASSERT_INT_EQ(renewal_due(nb, nb + 90 * DAY, 7 * DAY), nb + 83 * DAY);
	/* 15 days: at most a third of the lifetime before expiry. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 15 * DAY, RENEW_BEFORE_DEFAULT), nb + 10 * DAY);
	/* 6 days (under 10): half. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 6 * DAY, RENEW_BEFORE_DEFAULT), nb + 3 * DAY);
	ASSERT_INT_EQ(renewal_due(nb, nb + 6 * DAY, DAY), nb + 5 * DAY);
	/* renew_before 0: at expiry. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 90 * DAY, 0), nb + 90 * DAY);
	/* Nonsense lifetimes do not crash or go back in time. */
	ASSERT_INT_EQ(renewal_due(nb, nb, RENEW_BEFORE_DEFAULT), nb);
	ASSERT_INT_EQ(renewal_due(nb, nb - DAY, RENEW_BEFORE_DEFAULT), nb - DAY);
}
