/* The certonly options table (common/issue_opts.c) both acmectl and the
 * daemon read: its rows are consistent, and the daemon's check of a request
 * refuses what the table does not allow, naming the option. */
#include <getopt.h>

#include "error.h"
#include "issue_opts.h"

#include "testutil.h"

TEST(table_is_consistent)
{
	for (int i = 0; i < IO__MAX; i++) {
		const struct issue_opt_info *o = &issue_opts[i];

		/* Every row is used: an option, a request member, or both. */
		ASSERT_TRUE(o->flag || o->key);
		/* Sent options have a member; acmectl's own have none. */
		ASSERT_TRUE((o->key == NULL) == (o->type == IOT_LOCAL || o->type == IOT_NOOP));
		/* Options without an argument: flags, counts (-v),
		 * authenticators, acmectl's. */
		if (o->type == IOT_FLAG || o->type == IOT_COUNT || o->type == IOT_NOOP ||
		    (o->type == IOT_AUTHN && o->value))
			ASSERT_TRUE(o->arg == NULL);
		else if (o->flag && o->type != IOT_LOCAL)
			ASSERT_NONNULL(o->arg);
		/* A no-op says why with -v. */
		if (o->type == IOT_NOOP)
			ASSERT_NONNULL(o->value);
		if (o->type == IOT_INT || o->type == IOT_COUNT)
			ASSERT_TRUE(o->min <= o->max && o->min >= 0);
		for (int k = 0; k < i; k++) {
			const struct issue_opt_info *p = &issue_opts[k];
			const char *mine[] = { o->flag, o->alias }, *theirs[] = { p->flag, p->alias };

			/* No spelling twice, no short letter twice. */
			for (int a = 0; a < 2; a++)
				for (int b = 0; b < 2; b++)
					ASSERT_TRUE(!mine[a] || !theirs[b] || strcmp(mine[a], theirs[b]));
			ASSERT_TRUE(!o->short_flag || o->short_flag != p->short_flag);
			/* One member, one option: the authenticators share theirs. */
			if (o->key && p->key && !strcmp(o->key, p->key))
				ASSERT_TRUE(o->type == IOT_AUTHN && p->type == IOT_AUTHN);
		}
	}
}

static int check(const char *json, char *err, size_t len)
{
	struct json_object *args = json_tokener_parse(json);
	int r;

	ASSERT_NONNULL(args);
	err[0] = '\0';
	r = issue_opts_check(args, err, len);
	json_object_put(args);
	return r;
}

#define REFUSED(json, want)                                                  \
	do {                                                                 \
		ASSERT_INT_EQ(check(json, err, sizeof(err)), ACMED_EUSAGE);   \
		ASSERT_STR_CONTAINS(err, want);                              \
	} while (0)

TEST(request_members_checked)
{
	char err[256];

	ASSERT_INT_EQ(check("{\"domains\":[\"a.example\"],\"authenticator\":\"standalone\","
			    "\"http01_port\":8080,\"reuse_key\":true,\"pre_hook\":\"\","
			    "\"email\":\"me@example.org\",\"webroot_map\":[]}",
			    err, sizeof(err)),
		      0);
	REFUSED("{\"domains\":[\"a.example\"],\"frobnicate\":1}", "'frobnicate'");
	REFUSED("{\"http01_port\":0}", "--http-01-port must be between 1 and 65535");
	REFUSED("{\"tlsalpn01_port\":65536}", "--tls-alpn-01-port");
	REFUSED("{\"dns_rfc2136_propagation_seconds\":3601}", "between 1 and 3600");
	REFUSED("{\"http01_port\":\"80\"}", "--http-01-port: the request holds text where a "
					    "whole number belongs");
	REFUSED("{\"reuse_key\":1}", "--reuse-key: the request holds a whole number where true "
				     "or false belongs");
	REFUSED("{\"deploy_hook\":\"systemctl reload nginx\\nrm -rf /\"}",
		"--deploy-hook: the command must be one line");
	REFUSED("{\"manual_auth_hook\":\"a\\rb\"}", "--manual-auth-hook");
	REFUSED("{\"email\":\"not an address\"}", "--email 'not an address'");
	REFUSED("{\"webroot_map\":\"/srv\"}", "--webroot-map: the request holds text");
	/* certbot's flags that acmed takes too. */
	ASSERT_INT_EQ(check("{\"user_agent\":\"my-ansible-role/1.2 (+https://x.example)\","
			    "\"issuance_timeout\":90,\"disable_hook_validation\":true,"
			    "\"verbosity\":2,\"email\":\"a@example.org,b@example.org\"}",
			    err, sizeof(err)),
		      0);
	REFUSED("{\"user_agent\":\"x\\r\\nX-Injected: 1\"}",
		"--user-agent: at most 256 printable ASCII characters");
	REFUSED("{\"user_agent\":\"caf\u00e9\"}", "--user-agent");
	REFUSED("{\"issuance_timeout\":0}", "--issuance-timeout must be between 1 and 86400");
	REFUSED("{\"verbosity\":9}", "--verbose must be between 0 and 3");
	REFUSED("{\"disable_hook_validation\":\"yes\"}", "--disable-hook-validation");
	REFUSED("{\"email\":\"a@example.org,\"}", "comma-separated");
	REFUSED("{\"domains\":[\"a.example\",5]}", "domains must be a list of strings");
	REFUSED("[1]", "not an object");
	/* A tab is part of one line. */
	ASSERT_INT_EQ(check("{\"post_hook\":\"a\\tb\"}", err, sizeof(err)), 0);
}

TEST(names_and_readers)
{
	struct json_object *args = json_tokener_parse(
		"{\"cert_name\":\"web\",\"http01_port\":81,\"dry_run\":true,\"reuse_key\":\"yes\"}");
	char buf[64];

	ASSERT_STR_EQ(issue_opt_name(IO_RFC2136_PROPAGATION, buf, sizeof(buf)),
		      "--dns-rfc2136-propagation-seconds");
	ASSERT_STR_EQ(issue_opt_name(IO_WEBROOT_MAP, buf, sizeof(buf)), "--webroot-map");
	ASSERT_STR_EQ(issue_opt_str(args, IO_CERT_NAME), "web");
	ASSERT_TRUE(issue_opt_str(args, IO_HTTP01_PORT) == NULL);
	ASSERT_INT_EQ(issue_opt_int(args, IO_HTTP01_PORT), 81);
	ASSERT_INT_EQ(issue_opt_int(args, IO_TLSALPN01_PORT), 0);
	ASSERT_TRUE(issue_opt_flag(args, IO_DRY_RUN));
	ASSERT_TRUE(!issue_opt_flag(args, IO_REUSE_KEY)); /* text is no flag */
	ASSERT_TRUE(!issue_opt_flag(args, IO_AGREE_TOS));
	json_object_put(args);
}
