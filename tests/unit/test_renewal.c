/* Renewal files: format/parse round trips, error messages that name file,
 * line and setting, and when a certificate is due. */
#include "store/renewal.h"
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
	r.allow_subset = true;
	r.preferred_chain = strdup("ISRG Root X1");
	r.renew_before = 12 * 3600;
	r.profile = strdup("shortlived");
	r.pre_hook = strdup("systemctl stop nginx");
	r.post_hook = strdup("systemctl start nginx");
	r.deploy_hook = strdup("printf '%s\\n' \"$RENEWED_LINEAGE\" >> /var/log/renewed");
	r.user_agent = strdup("example-deploy/1.2 (ops)");
	r.state.failures = 3;
	r.state.last_attempt = 1795428000;
	r.state.next_attempt = 1795428000 + 6000;
	r.state.retry_after = 1795428000 + 3600;
	r.state.last_error = strdup("creating the order failed: \"quoted\"\nand a newline");
	return r;
}

static bool same_str(const char *a, const char *b)
{
	return streq(a, b) || (!a && !b);
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
	ASSERT_INT_EQ(a->allow_subset, b->allow_subset);
	ASSERT_TRUE(same_str(a->preferred_chain, b->preferred_chain));
	ASSERT_INT_EQ(a->renew_before, b->renew_before);
	ASSERT_TRUE(same_str(a->profile, b->profile));
	ASSERT_TRUE(same_str(a->pre_hook, b->pre_hook));
	ASSERT_TRUE(same_str(a->post_hook, b->post_hook));
	ASSERT_TRUE(same_str(a->deploy_hook, b->deploy_hook));
	ASSERT_TRUE(same_str(a->user_agent, b->user_agent));
	ASSERT_INT_EQ(a->state.failures, b->state.failures);
	ASSERT_INT_EQ(a->state.last_attempt, b->state.last_attempt);
	ASSERT_INT_EQ(a->state.next_attempt, b->state.next_attempt);
	ASSERT_INT_EQ(a->state.retry_after, b->state.retry_after);
	ASSERT_TRUE(same_str(a->state.last_error, b->state.last_error));
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
	/* No failures: no state group, and the optional settings absent. */
	renewal_state_clear(&r.state);
	r.renew_before = 0;
	FREE_AND_NULL(r.profile);
	FREE_AND_NULL(r.pre_hook);
	round_trip(&r);
	renewal_clear(&r);
}

TEST(format_is_readable)
{
	struct renewal r = full_renewal();
	char *text = NULL;

	ASSERT_INT_EQ(renewal_format(&r, &text), 0);
	ASSERT_STR_CONTAINS(text, "renew_before_expiry = \"12h\";");
	ASSERT_STR_CONTAINS(text, "profile = \"shortlived\";");
	ASSERT_STR_CONTAINS(text, "failures = 3;");
	ASSERT_STR_CONTAINS(text, "last_attempt = \"2026-11-23T10:00:00Z\";");
	ASSERT_STR_CONTAINS(text, "retry_after = \"2026-11-23T11:00:00Z\";");
	free(text);
	renewal_state_clear(&r.state);
	ASSERT_INT_EQ(renewal_format(&r, &text), 0);
	ASSERT_TRUE(strstr(text, "state") == NULL);
	free(text);
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
TEST(renewal_settings_errors)
{
	CHECK_ERROR(6, "renew_before_expiry = \"soon\";",
		    FILE_NAME ":6: renew_before_expiry: must be a duration");
	CHECK_ERROR(6, "renew_before_expiry = 0;",
		    FILE_NAME ":6: renew_before_expiry: must be longer than zero");
	CHECK_ERROR(6, "renew_before_expiry = true;", FILE_NAME ":6: renew_before_expiry:");
	CHECK_ERROR(6, "deploy_hook = 5;", FILE_NAME ":6: deploy_hook: must be a string");
	CHECK_ERROR(6, "profile = [ \"a\" ];", FILE_NAME ":6: profile: must be a string");
	CHECK_ERROR(6, "user_agent = \"tab\\there\";",
		    FILE_NAME ":6: user_agent: at most 256 printable ASCII characters");
	CHECK_ERROR(6, "state = 5;", FILE_NAME ":6: state: must be a group");
	CHECK_ERROR(6, "state = { failures = -1; };", FILE_NAME ":6: state.failures:");
	CHECK_ERROR(6, "state = { failures = \"2\"; };", FILE_NAME ":6: state.failures:");
	CHECK_ERROR(6, "state = { next_attempt = \"tomorrow\"; };",
		    FILE_NAME ":6: state.next_attempt: must be a UTC time");
	CHECK_ERROR(6, "state = { retry_after = 1795428000; };", FILE_NAME ":6: state.retry_after:");
}

TEST(renew_before_forms)
{
	static const struct {
		const char *line;
		long secs;
	} forms[] = {
		{ "renew_before_expiry = \"30 days\";", 30 * DAY }, /* certbot's form */
		{ "renew_before_expiry = \"12h\";", 12 * 3600 },
		{ "renew_before_expiry = 90;", 90 },
	};

	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		char *text = text_with(6, forms[i].line), err[512] = "";
		struct renewal r;

		ASSERT_INT_EQ(renewal_parse(text, FILE_NAME, &r, err, sizeof(err)), 0);
		ASSERT_INT_EQ(r.renew_before, forms[i].secs);
		renewal_clear(&r);
		free(text);
	}
}

TEST(key_errors_name_their_setting)
{
	CHECK_ERROR(5, "elliptic_curve = \"secp224r1\";", FILE_NAME ":5: elliptic_curve:");
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

/* The edges the issue names: 6, 45 and 90 days; expiry already past;
 * renew_before longer than the whole lifetime. */
TEST(due_edges)
{
	long nb = 1795428000;

	/* 6 days (< 10): at most half the lifetime, even when asked for 30. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 6 * DAY, 30 * DAY), nb + 3 * DAY);
	/* 45 days: a third (15 d) caps 30 d; 10 d is taken as it is. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 45 * DAY, 30 * DAY), nb + 30 * DAY);
	ASSERT_INT_EQ(renewal_due(nb, nb + 45 * DAY, 10 * DAY), nb + 35 * DAY);
	/* 90 days: 30 d is exactly a third. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 90 * DAY, 30 * DAY), nb + 60 * DAY);
	ASSERT_INT_EQ(renewal_due(nb, nb + 90 * DAY, 31 * DAY), nb + 60 * DAY);
	/* renew_before longer than the lifetime: still the cap, never before
	 * issue (no loop). */
	ASSERT_INT_EQ(renewal_due(nb, nb + 90 * DAY, 400 * DAY), nb + 60 * DAY);
	ASSERT_INT_EQ(renewal_due(nb, nb + 6 * DAY, 400 * DAY), nb + 3 * DAY);
	/* 10 days exactly is no longer "short": a third. */
	ASSERT_INT_EQ(renewal_due(nb, nb + 9 * DAY, 30 * DAY), nb + 9 * DAY - 9 * DAY / 2);
	ASSERT_INT_EQ(renewal_due(nb, nb + 10 * DAY, 30 * DAY), nb + 10 * DAY - 10 * DAY / 3);
	/* Already expired: the due time is in the past, so it is due now. */
	ASSERT_TRUE(renewal_due(nb - 100 * DAY, nb - 10 * DAY, 30 * DAY) < nb);
}

TEST(backoff)
{
	ASSERT_INT_EQ(renewal_backoff(0), 0);
	ASSERT_INT_EQ(renewal_backoff(1), 60);
	ASSERT_INT_EQ(renewal_backoff(2), 600);
	ASSERT_INT_EQ(renewal_backoff(3), 6000);
	ASSERT_INT_EQ(renewal_backoff(4), 86400);
	ASSERT_INT_EQ(renewal_backoff(100), 86400);
}

TEST(state_fail)
{
	struct renewal_state st = { 0 };
	time_t now = 1795428000;

	ASSERT_INT_EQ(renewal_state_fail(&st, now, "first", 0), 0);
	ASSERT_INT_EQ(st.failures, 1);
	ASSERT_INT_EQ(st.last_attempt, now);
	ASSERT_INT_EQ(st.next_attempt, now + 60);
	ASSERT_STR_EQ(st.last_error, "first");
	ASSERT_INT_EQ(renewal_state_fail(&st, now + 60, "second", 0), 0);
	ASSERT_INT_EQ(st.next_attempt, now + 60 + 600);
	/* A Retry-After beyond the backoff wins... */
	ASSERT_INT_EQ(renewal_state_fail(&st, now + 700, "429", now + 700 + 86400 * 2), 0);
	ASSERT_INT_EQ(st.failures, 3);
	ASSERT_INT_EQ(st.next_attempt, now + 700 + 86400 * 2);
	ASSERT_INT_EQ(st.retry_after, now + 700 + 86400 * 2);
	/* ...one before it does not shorten it, and a past one is dropped. */
	ASSERT_INT_EQ(renewal_state_fail(&st, now + 1000, "503", now + 1010), 0);
	ASSERT_INT_EQ(st.next_attempt, now + 1000 + 86400);
	ASSERT_INT_EQ(st.retry_after, now + 1010);
	ASSERT_INT_EQ(renewal_state_fail(&st, now + 2000, "x", now), 0);
	ASSERT_INT_EQ(st.retry_after, 0);
	ASSERT_STR_EQ(st.last_error, "x");
	/* A deadline years away (a hostile CA, or a worker) is held to a week. */
	ASSERT_INT_EQ(renewal_state_fail(&st, now + 3000, "y", (time_t)INT64_MAX), 0);
	ASSERT_INT_EQ(st.retry_after, now + 3000 + RENEWAL_RETRY_AFTER_MAX);
	ASSERT_INT_EQ(st.next_attempt, now + 3000 + RENEWAL_RETRY_AFTER_MAX);
	renewal_state_clear(&st);
	ASSERT_TRUE(st.failures == 0 && st.last_error == NULL);
}

TEST(renew_at)
{
	long nb = 1795428000, na = nb + 90 * DAY;
	struct renew_plan p = { .not_before = nb, .not_after = na, .renew_before = 30 * DAY };
	struct renewal_state st = { 0 };

	ASSERT_INT_EQ(renewal_renew_at(&p, &st), nb + 60 * DAY);
	p.jitter = 1800;
	ASSERT_INT_EQ(renewal_renew_at(&p, &st), nb + 60 * DAY + 1800);
	/* An ARI moment replaces the rule and the jitter, earlier or later. */
	p.ari = true;
	p.ari_pick = nb + 10 * DAY;
	ASSERT_INT_EQ(renewal_renew_at(&p, &st), nb + 10 * DAY);
	p.ari_pick = nb + 70 * DAY;
	ASSERT_INT_EQ(renewal_renew_at(&p, &st), nb + 70 * DAY);
	p.ari = false;
	/* After failures: not before the backoff's next attempt... */
	st.failures = 2;
	st.next_attempt = nb + 61 * DAY;
	ASSERT_INT_EQ(renewal_renew_at(&p, &st), nb + 61 * DAY);
	/* ...unless the due time is later (a failed forced renewal). */
	st.next_attempt = nb + DAY;
	ASSERT_INT_EQ(renewal_renew_at(&p, &st), nb + 60 * DAY + 1800);
	/* Never before Retry-After, whatever else says. */
	st.retry_after = nb + 80 * DAY;
	ASSERT_INT_EQ(renewal_renew_at(&p, &st), nb + 80 * DAY);
}

TEST(jitter_cap)
{
	long nb = 1795428000;

	/* 90 days, due 30 days before expiry: an hour fits. */
	ASSERT_INT_EQ(renewal_jitter_cap(nb, nb + 90 * DAY, 30 * DAY, 3600), 3600);
	/* 30 s certificates renew 15 s before expiry: at most a quarter of that. */
	ASSERT_INT_EQ(renewal_jitter_cap(nb, nb + 30, 30 * DAY, 3600), 3);
	ASSERT_INT_EQ(renewal_jitter_cap(nb, nb + 90 * DAY, 30 * DAY, 0), 0);
	ASSERT_INT_EQ(renewal_jitter_cap(nb, nb, 30 * DAY, 3600), 0);
}
