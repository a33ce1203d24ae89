/* Validation of certonly requests (issue_req_parse) against config defaults. */
#include "config.h"
#include "crypto.h"
#include "error.h"
#include "daemon/worker/issue.h"
#include "jws.h"

#include "testutil.h"

struct ctx {
	struct acmed_config cfg;
	struct issue_req req;
	char err[512];
};

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	ASSERT_NONNULL(c);
	ASSERT_INT_EQ(config_defaults(&c->cfg), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	issue_req_clear(&c->req);
	config_clear(&c->cfg);
	free(c);
}

static int parse(struct ctx *c, const char *json)
{
	struct json_object *args = json_tokener_parse(json);
	int r;

	if (!args)
		test_fail(__FILE__, __LINE__, "test JSON does not parse: %s", json);
	issue_req_clear(&c->req);
	c->err[0] = '\0';
	r = issue_req_parse(args, &c->cfg, &c->req, c->err, sizeof(c->err));
	json_object_put(args);
	return r;
}

/* JSON must be refused with ACMED_EUSAGE, a message containing WANT, and an
 * empty request. */
static void check_usage(int line, struct ctx *c, const char *json, const char *want)
{
	int r = parse(c, json);

	if (r != ACMED_EUSAGE || !strstr(c->err, want))
		test_fail(__FILE__, line, "%s: %d \"%s\", want ACMED_EUSAGE \"%s\"", json, r, c->err,
			  want);
	ASSERT_TRUE(c->req.domains == NULL && c->req.ndomains == 0 && c->req.authn.name == NULL);
}
#define USAGE(json, want) check_usage(__LINE__, c, json, want)

TEST(domains_normalised_and_deduplicated)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"Example.COM\",\"www.example.com.\",\"example.com\","
			       "\"WWW.EXAMPLE.COM\",\"*.Example.com\"],"
			       "\"authenticator\":\"standalone\"}"), 0);
	ASSERT_INT_EQ(c->req.ndomains, 3);
	ASSERT_STR_EQ(c->req.domains[0], "example.com");
	ASSERT_STR_EQ(c->req.domains[1], "www.example.com");
	ASSERT_STR_EQ(c->req.domains[2], "*.example.com");
	ASSERT_STR_EQ(c->req.authn.name, "standalone");
	ASSERT_TRUE(c->req.cert_name == NULL && c->req.csr == NULL);
	ctx_free(c);
}

TEST(missing_or_bad_domains)
{
	struct ctx *c = ctx_new();

	USAGE("{\"authenticator\":\"standalone\"}", "no domains");
	USAGE("{\"domains\":[],\"authenticator\":\"standalone\"}", "no domains");
	USAGE("{\"domains\":\"example.com\",\"authenticator\":\"standalone\"}", "no domains");
	USAGE("{\"domains\":[\"example.com\",\"bad_name.example.com\"],"
	      "\"authenticator\":\"standalone\"}", "'bad_name.example.com'");
	USAGE("{\"domains\":[\"192.0.2.256\"],\"authenticator\":\"standalone\"}",
	      "its last label is a number");
	USAGE("{\"domains\":[\"localhost\"],\"authenticator\":\"standalone\"}", "'localhost'");
	ctx_free(c);
}

/* Every refusal carries a message, also for a non-string domain. */
TEST(non_string_domain_has_message)
{
	struct ctx *c = ctx_new();

	USAGE("{\"domains\":[\"example.com\",5],\"authenticator\":\"standalone\"}", "domain");
	ctx_free(c);
}

TEST(too_many_domains)
{
	struct ctx *c = ctx_new();
	char *json = strdup("{\"authenticator\":\"standalone\",\"domains\":[\"d0.example\""), *t;

	for (int i = 1; i <= 100; i++) {
		ASSERT_TRUE(asprintf(&t, "%s,\"d%d.example\"", json, i) > 0);
		free(json);
		json = t;
	}
	ASSERT_TRUE(asprintf(&t, "%s]}", json) > 0);
	USAGE(t, "at most 100");
	free(t);
	free(json);
	ctx_free(c);
}

TEST(authenticator_required)
{
	struct ctx *c = ctx_new();

	USAGE("{\"domains\":[\"example.com\"]}", "--webroot");
	USAGE("{\"domains\":[\"example.com\"]}", "--standalone");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"carrier\"}", "--manual");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":5}", "--webroot");
	/* --manual needs its auth hook; the manual hooks need --manual. */
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"manual\"}",
	      "--manual needs --manual-auth-hook");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"manual_auth_hook\":\"true\"}",
	      "go with --manual");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"preferred_challenges\":\"dns\"}",
	      "the standalone authenticator answers http-01 and tls-alpn-01 only");
	ctx_free(c);
}

TEST(webroot_map)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\",\"www.example.com\"],"
			       "\"authenticator\":\"webroot\",\"webroot_map\":["
			       "{\"domain\":\"Example.com\",\"path\":\"/var/www/a\"},"
			       "{\"domain\":\"www.example.com\",\"path\":\"/var/www/b\"}]}"), 0);
	ASSERT_STR_EQ(c->req.authn.name, "webroot");
	ASSERT_INT_EQ(c->req.authn.nwebroot, 2);
	ASSERT_STR_EQ(authn_webroot_for(&c->req.authn, "example.com"), "/var/www/a");
	ASSERT_STR_EQ(authn_webroot_for(&c->req.authn, "www.example.com"), "/var/www/b");

	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"webroot\",\"webroot_map\":["
	      "{\"domain\":\"example.com\",\"path\":\"var/www\"}]}", "var/www");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"webroot\",\"webroot_map\":["
	      "{\"domain\":\"example.com\",\"path\":\"../www\"}]}", "../www");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"webroot\",\"webroot_map\":["
	      "{\"domain\":\"example.com\"}]}", "webroot_map entry 1");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"webroot\",\"webroot_map\":["
	      "{\"domain\":\"example.com\",\"path\":\"/a\"},5]}", "webroot_map entry 2");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"webroot\",\"webroot_map\":["
	      "{\"domain\":\"bad_x.com\",\"path\":\"/a\"}]}", "bad_x.com");
	ctx_free(c);
}

/* --nginx: every name gets acmed's own challenge directory, whatever -w
 * or --webroot-map say (the worker may write nowhere else in the state). */
TEST(nginx_web_root_is_the_state_directory_own)
{
	struct ctx *c = ctx_new();
	char want[512];

	snprintf(want, sizeof(want), "%s/nginx/webroot", c->cfg.state_dir);
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\",\"www.example.com\"],"
			       "\"authenticator\":\"nginx\",\"webroot_path\":\"/srv/x\","
			       "\"webroot_map\":[{\"domain\":\"example.com\",\"path\":\"/a\"}]}"),
		      0);
	ASSERT_STR_EQ(c->req.authn.name, "nginx");
	ASSERT_INT_EQ(c->req.authn.nwebroot, 2);
	ASSERT_STR_EQ(authn_webroot_for(&c->req.authn, "example.com"), want);
	ASSERT_STR_EQ(authn_webroot_for(&c->req.authn, "www.example.com"), want);
	ctx_free(c);
}

/* Requests come from a socket: a webroot_map of the wrong JSON type is an
 * error answered to the client, not an assertion failure in the daemon. */
TEST(webroot_map_wrong_type)
{
	struct ctx *c = ctx_new();

	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"webroot\","
	      "\"webroot_map\":\"/var/www\"}", "webroot");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"webroot\","
	      "\"webroot_map\":{\"example.com\":\"/var/www\"}}", "webroot");
	ctx_free(c);
}

TEST(key_options)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
			       "\"key_type\":\"rsa\",\"rsa_key_size\":4096}"), 0);
	ASSERT_INT_EQ(c->req.key.alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(c->req.key.rsa_bits, 4096);
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
			       "\"elliptic_curve\":\"secp384r1\"}"), 0);
	ASSERT_INT_EQ(c->req.key.alg, KEY_ALG_EC);
	ASSERT_INT_EQ(c->req.key.curve, 384);
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"key_type\":\"rsa\",\"rsa_key_size\":1024}", "1024");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"key_type\":\"dsa\"}", "dsa");
	ctx_free(c);
}

TEST(email_server_port_name)
{
	struct ctx *c = ctx_new();

	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"email\":\"admin.example.com\"}", "admin.example.com");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"email\":\"a@b.com, c@d.com\"}", "--email");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"server\":\"http://ca.example/dir\"}", "--server");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"http01_port\":70000}", "--http-01-port");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"cert_name\":\"../x\"}", "--cert-name");
	USAGE("{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
	      "\"cert_name\":\"-x\"}", "--cert-name");
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
			       "\"cert_name\":\"my-cert\",\"http01_port\":8080,"
			       "\"http01_address\":\"127.0.0.1\",\"preferred_chain\":\"X1\","
			       "\"reuse_key\":true,\"register_unsafely_without_email\":true}"), 0);
	ASSERT_STR_EQ(c->req.cert_name, "my-cert");
	ASSERT_INT_EQ(c->req.authn.http01_port, 8080);
	ASSERT_STR_EQ(c->req.authn.http01_address, "127.0.0.1");
	ASSERT_STR_EQ(c->req.preferred_chain, "X1");
	ASSERT_TRUE(c->req.reuse_key && c->req.unsafe_no_email);
	ctx_free(c);
}

TEST(defaults_from_config)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\"}"), 0);
	ASSERT_STR_EQ(c->req.server, ACMED_DEFAULT_SERVER);
	ASSERT_TRUE(c->req.email == NULL && !c->req.agree_tos);
	ASSERT_INT_EQ(c->req.key.alg, KEY_ALG_EC);
	ASSERT_INT_EQ(c->req.key.curve, 256);

	ASSERT_INT_EQ(config_set_string(&c->cfg.email, "admin@example.com"), 0);
	ASSERT_INT_EQ(config_set_string(&c->cfg.server, "https://ca.example/dir"), 0);
	c->cfg.agree_tos = true;
	ASSERT_INT_EQ(config_set_string(&c->cfg.key_type, "rsa"), 0);
	c->cfg.rsa_key_size = 3072;
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\"}"), 0);
	ASSERT_STR_EQ(c->req.email, "admin@example.com");
	ASSERT_STR_EQ(c->req.server, "https://ca.example/dir");
	ASSERT_TRUE(c->req.agree_tos);
	ASSERT_INT_EQ(c->req.key.alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(c->req.key.rsa_bits, 3072);

	/* The request wins over the config. */
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
			       "\"email\":\"me@example.org\",\"server\":\"https://other/dir\","
			       "\"key_type\":\"ecdsa\"}"), 0);
	ASSERT_STR_EQ(c->req.email, "me@example.org");
	ASSERT_STR_EQ(c->req.server, "https://other/dir");
	ASSERT_INT_EQ(c->req.key.alg, KEY_ALG_EC);
	ctx_free(c);
}

/* base64url of a PEM CSR for NAMES; its DER in *DER. */
static char *csr_arg(char *const *names, size_t n, unsigned char **der, size_t *derlen)
{
	EVP_PKEY *k = ec_key();
	const unsigned char *p;
	X509_REQ *req;
	BIO *b = BIO_new(BIO_s_mem());
	char *pem, *s;
	long len;

	ASSERT_INT_EQ(crypto_csr_make(k, names, n, der, derlen), 0);
	p = *der;
	req = d2i_X509_REQ(NULL, &p, (long)*derlen);
	ASSERT_NONNULL(req);
	ASSERT_INT_EQ(PEM_write_bio_X509_REQ(b, req), 1);
	len = BIO_get_mem_data(b, &pem);
	s = b64url_encode(pem, (size_t)len);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return s;
}

TEST(csr)
{
	char *const names[] = { "example.com", "www.example.com" };
	struct ctx *c = ctx_new();
	unsigned char *der = NULL;
	size_t derlen = 0;
	char *arg = csr_arg(names, 2, &der, &derlen), *json;

	ASSERT_TRUE(asprintf(&json, "{\"csr\":\"%s\",\"authenticator\":\"standalone\"}", arg) > 0);
	ASSERT_INT_EQ(parse(c, json), 0);
	ASSERT_INT_EQ(c->req.ndomains, 2);
	ASSERT_STR_EQ(c->req.domains[0], "example.com");
	ASSERT_STR_EQ(c->req.domains[1], "www.example.com");
	ASSERT_INT_EQ(c->req.csrlen, derlen);
	ASSERT_TRUE(memcmp(c->req.csr, der, derlen) == 0);
	free(json);

	/* -d with the same names, in any order, is fine. */
	ASSERT_TRUE(asprintf(&json, "{\"csr\":\"%s\",\"authenticator\":\"standalone\","
				    "\"domains\":[\"WWW.example.com\",\"example.com\"]}", arg) > 0);
	ASSERT_INT_EQ(parse(c, json), 0);
	ASSERT_INT_EQ(c->req.ndomains, 2);
	ASSERT_STR_EQ(c->req.domains[0], "example.com");
	free(json);

	ASSERT_TRUE(asprintf(&json, "{\"csr\":\"%s\",\"authenticator\":\"standalone\","
				    "\"domains\":[\"example.com\",\"mail.example.com\"]}", arg) > 0);
	USAGE(json, "differ");
	free(json);
	ASSERT_TRUE(asprintf(&json, "{\"csr\":\"%s\",\"authenticator\":\"standalone\","
				    "\"domains\":[\"example.com\"]}", arg) > 0);
	USAGE(json, "differ");
	free(json);

	USAGE("{\"csr\":\"not base64!\",\"authenticator\":\"standalone\"}", "csr");
	USAGE("{\"csr\":\"Z2FyYmFnZQ\",\"authenticator\":\"standalone\"}", "--csr");
	free(arg);
	OPENSSL_free(der);
	ctx_free(c);
}

/* One key option on the command line overrides only its own setting:
 * key_type = "rsa" in acmed.conf plus --rsa-key-size 4096 is RSA 4096. */
TEST(key_options_override_one_by_one)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(config_set_string(&c->cfg.key_type, "rsa"), 0);
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
			       "\"rsa_key_size\":4096}"), 0);
	ASSERT_INT_EQ(c->req.key.alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(c->req.key.rsa_bits, 4096);
	ASSERT_INT_EQ(config_set_string(&c->cfg.key_type, "ecdsa"), 0);
	ASSERT_INT_EQ(config_set_string(&c->cfg.elliptic_curve, "secp384r1"), 0);
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\"],\"authenticator\":\"standalone\","
			       "\"key_type\":\"ecdsa\"}"), 0);
	ASSERT_INT_EQ(c->req.key.curve, 384);
	ctx_free(c);
}

/* The daemon hands the job's process the request as JSON: every field comes
 * back as it went, and an object of another shape is refused. */
/* certbot's limits of --allow-subset-of-names, in its words. */
TEST(allow_subset_limits)
{
	struct ctx *c = ctx_new();

	USAGE("{\"domains\":[\"example.com\",\"*.example.com\"],\"authenticator\":\"manual\","
	      "\"manual_auth_hook\":\"true\",\"allow_subset_of_names\":true}",
	      "Using --allow-subset-of-names with a wildcard domain is not supported.");
	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\",\"www.example.com\"],"
			       "\"authenticator\":\"standalone\",\"allow_subset_of_names\":true}"), 0);
	ASSERT_TRUE(c->req.allow_subset);
	ctx_free(c);
}

TEST(json_round_trip)
{
	struct ctx *c = ctx_new();
	struct issue_req back = { 0 };
	struct json_object *o, *again;

	ASSERT_INT_EQ(parse(c, "{\"domains\":[\"example.com\",\"www.example.com\"],"
			       "\"authenticator\":\"webroot\",\"webroot_map\":["
			       "{\"domain\":\"example.com\",\"path\":\"/srv/a\"}],"
			       "\"webroot_path\":\"/srv/b\",\"cert_name\":\"web\","
			       "\"key_type\":\"rsa\",\"rsa_key_size\":3072,\"reuse_key\":true,"
			       "\"email\":\"me@example.org\",\"agree_tos\":true,"
			       "\"server\":\"https://ca.example/dir\",\"preferred_chain\":\"X2\","
			       "\"profile\":\"shortlived\",\"pre_hook\":\"echo pre\","
			       "\"post_hook\":\"echo post\",\"deploy_hook\":\"echo deploy\","
			       "\"dry_run\":true,\"preferred_challenges\":\"http\","
			       "\"allow_subset_of_names\":true,"
			       "\"eab_kid\":\"kid-1\",\"eab_hmac_key\":\"c2VjcmV0\"}"), 0);
	c->req.name = strdup("web");
	c->req.renew_before = 86400L * 40;
	c->req.replaces = strdup("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	o = issue_req_to_json(&c->req);
	ASSERT_NONNULL(o);
	ASSERT_INT_EQ(issue_req_from_json(o, &back), 0);
	ASSERT_INT_EQ(back.ndomains, 2);
	ASSERT_STR_EQ(back.domains[1], "www.example.com");
	ASSERT_STR_EQ(back.name, "web");
	ASSERT_STR_EQ(back.cert_name, "web");
	ASSERT_STR_EQ(back.authn.name, "webroot");
	ASSERT_INT_EQ(back.authn.nwebroot, 2);
	ASSERT_STR_EQ(authn_webroot_for(&back.authn, "www.example.com"), "/srv/b");
	ASSERT_STR_EQ(back.authn.preferred_challenges, "http-01");
	ASSERT_INT_EQ(back.key.alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(back.key.rsa_bits, 3072);
	ASSERT_TRUE(back.reuse_key && back.agree_tos && back.dry_run && !back.renewal);
	ASSERT_TRUE(back.allow_subset);
	ASSERT_STR_EQ(back.email, "me@example.org");
	ASSERT_STR_EQ(back.server, "https://ca.example/dir");
	ASSERT_STR_EQ(back.preferred_chain, "X2");
	ASSERT_STR_EQ(back.profile, "shortlived");
	ASSERT_STR_EQ(back.deploy_hook, "echo deploy");
	ASSERT_STR_EQ(back.replaces, c->req.replaces);
	ASSERT_INT_EQ(back.renew_before, 86400L * 40);
	ASSERT_STR_EQ(back.eab_hmac_key, "c2VjcmV0");
	/* And back again: the same JSON. */
	again = issue_req_to_json(&back);
	ASSERT_STR_EQ(json_object_to_json_string(again), json_object_to_json_string(o));
	json_object_put(again);
	issue_req_clear(&back);

	/* What issue_req_to_json() did not make is refused. */
	json_object_object_del(o, "key");
	ASSERT_INT_EQ(issue_req_from_json(o, &back), -EINVAL);
	ASSERT_TRUE(back.domains == NULL && back.name == NULL);
	json_object_put(o);
	ctx_free(c);
}
