/* certbot's renewal files: the ConfigObj reader (ctl/import/cbconf.c), the
 * mapping onto acmed's settings (ctl/import/certbot.c) and the account key in
 * JWK form (ctl/import/jwk.c). */
#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "ctl/import/certbot.h"
#include "crypto.h"
#include "jws.h"
#include "testutil.h"

/* A renewal file as certbot 2.1 writes it. */
static const char webroot_conf[] =
	"# renew_before_expiry = 30 days\n"
	"version = 2.1.0\n"
	"archive_dir = /etc/letsencrypt/archive/example.com\n"
	"cert = /etc/letsencrypt/live/example.com/cert.pem\n"
	"privkey = /etc/letsencrypt/live/example.com/privkey.pem\n"
	"chain = /etc/letsencrypt/live/example.com/chain.pem\n"
	"fullchain = /etc/letsencrypt/live/example.com/fullchain.pem\n"
	"\n"
	"# Options used in the renewal process\n"
	"[renewalparams]\n"
	"account = 0123456789abcdef0123456789abcdef\n"
	"authenticator = webroot\n"
	"webroot_path = /var/www/a, /var/www/b,\n"
	"server = https://acme-v02.api.letsencrypt.org/directory\n"
	"key_type = rsa\n"
	"rsa_key_size = 3072\n"
	"reuse_key = True\n"
	"renew_hook = \"systemctl reload nginx, or else\"\n"
	"pre_hook = 'echo \"pre\"'\n"
	"pref_challs = http-01,\n"
	"[[webroot_map]]\n"
	"example.com = /var/www/a\n"
	"www.example.com = /var/www/b\n";

static struct cbconf_section *parse_ok(const char *text)
{
	struct cbconf_section *root = NULL;
	char err[256] = "";
	int r = cbconf_parse(text, strlen(text), "t.conf", &root, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "unexpected parse error: %s\n", err);
	return root;
}

/* The error cbconf_parse() gives for TEXT ("" if it parses). */
static const char *parse_err(const char *text, size_t len)
{
	static char err[256];
	struct cbconf_section *root = NULL;

	err[0] = '\0';
	if (cbconf_parse(text, len, "t.conf", &root, err, sizeof(err)) == 0)
		cbconf_free(root);
	return err;
}

TEST(cbconf_reads_certbots_file)
{
	struct cbconf_section *root = parse_ok(webroot_conf);
	const struct cbconf_section *p, *map;
	const struct cbconf_value *v;

	ASSERT_NONNULL(root);
	ASSERT_STR_EQ(cbconf_str(root, "version"), "2.1.0");
	p = cbconf_sub(root, "renewalparams");
	ASSERT_NONNULL(p);
	v = cbconf_get(p, "webroot_path");
	ASSERT_TRUE(v->is_list);
	ASSERT_INT_EQ(v->nitems, 2);
	ASSERT_STR_EQ(v->items[1], "/var/www/b");
	ASSERT_STR_EQ(cbconf_str(p, "renew_hook"), "systemctl reload nginx, or else");
	ASSERT_STR_EQ(cbconf_str(p, "pre_hook"), "echo \"pre\"");
	v = cbconf_get(p, "pref_challs");
	ASSERT_TRUE(v->is_list);
	ASSERT_INT_EQ(v->nitems, 1);
	map = cbconf_sub(p, "webroot_map");
	ASSERT_NONNULL(map);
	ASSERT_STR_EQ(cbconf_str(map, "www.example.com"), "/var/www/b");
	ASSERT_INT_EQ(cbconf_get(map, "www.example.com")->line, 23);
	ASSERT_TRUE(cbconf_sub(root, "webroot_map") == NULL);
	cbconf_free(root);
}

TEST(cbconf_syntax_it_accepts)
{
	struct cbconf_section *root = parse_ok(
		"a = 1 # trailing comment\r\n"
		"  b=two words\n"
		"c =\n"
		"d = ,\n"
		"e = '''it's \"both\"'''\n"
		"\"quoted key\" = x\n"
		"f = \"#not a comment\" # but this is\n"
		"g = None\n"
		"[ s ]\n"
		"[[t]]\n"
		"k = v\n"
		"[u]\n");
	const struct cbconf_value *v;

	ASSERT_NONNULL(root);
	ASSERT_STR_EQ(cbconf_str(root, "a"), "1");
	ASSERT_STR_EQ(cbconf_str(root, "b"), "two words");
	ASSERT_STR_EQ(cbconf_str(root, "c"), "");
	v = cbconf_get(root, "d");
	ASSERT_TRUE(v->is_list);
	ASSERT_INT_EQ(v->nitems, 0);
	ASSERT_STR_EQ(cbconf_str(root, "e"), "it's \"both\"");
	ASSERT_STR_EQ(cbconf_str(root, "quoted key"), "x");
	ASSERT_STR_EQ(cbconf_str(root, "f"), "#not a comment");
	ASSERT_TRUE(cbconf_str(root, "g") == NULL); /* certbot's unset */
	ASSERT_STR_EQ(cbconf_str(cbconf_sub(cbconf_sub(root, "s"), "t"), "k"), "v");
	ASSERT_NONNULL(cbconf_sub(root, "u")); /* back at depth 1 */
	cbconf_free(root);
}

TEST(cbconf_refusals_name_the_line)
{
	ASSERT_STR_EQ(parse_err("a = 1\na = 2\n", 12), "t.conf:2: duplicate key 'a'");
	ASSERT_STR_EQ(parse_err("[s]\n[s]\n", 8), "t.conf:2: duplicate section [s]");
	ASSERT_STR_EQ(parse_err("a = \"x\n", 7), "t.conf:1: no closing \"");
	ASSERT_STR_EQ(parse_err("a = \"x\" y\n", 10),
		      "t.conf:1: unexpected 'y' after the closing quote");
	ASSERT_STR_EQ(parse_err("[[deep]]\n", 9),
		      "t.conf:1: section [deep] is nested too deep (2 levels below its parent)");
	ASSERT_STR_EQ(parse_err("just text\n", 10),
		      "t.conf:1: expected 'key = value', a [section] or a comment");
	ASSERT_STR_EQ(parse_err(" = v\n", 5), "t.conf:1: empty key before '='");
	ASSERT_STR_EQ(parse_err("a = '''x\ny'''\n", 14),
		      "t.conf:1: multi-line values are not supported (no closing ''')");
	ASSERT_STR_EQ(parse_err("a = 1,,2\n", 9), "t.conf:1: empty item in the list");
	ASSERT_STR_EQ(parse_err("a = 1\n\nb = \x01\n", 12), "t.conf:3: control character 0x01");
	ASSERT_STR_EQ(parse_err("a = 1\nb = x\0y\n", 13), "t.conf:2: NUL byte: not a text file");
	ASSERT_STR_EQ(parse_err("[s\n", 3), "t.conf:1: section header without ']'");
	ASSERT_STR_EQ(parse_err("[s]]\n", 5), "t.conf:1: unexpected ']' after the section header");
	ASSERT_STR_EQ(parse_err("[[s]\n", 5), "t.conf:1: section [s] must close with 2 ']'");
	ASSERT_STR_EQ(parse_err("a = 1\n[a]\n", 10), "t.conf:2: duplicate section [a]");
}

TEST(cbconf_size_limit)
{
	size_t len = CBCONF_MAX + 1;
	char *big = malloc(len);

	ASSERT_NONNULL(big);
	memset(big, '#', len);
	ASSERT_STR_CONTAINS(parse_err(big, len), "larger than 256 KiB");
	free(big);
}

/* Map TEXT as lineage "example.com"; the return code, WHY in WHY. */
static int map(const char *text, struct certbot_lineage *l, char *why, size_t len)
{
	struct cbconf_section *root = parse_ok(text);
	int r;

	if (!root)
		return -999;
	r = certbot_map(root, "t.conf", "example.com", l, why, len);
	cbconf_free(root);
	return r;
}

TEST(map_webroot_lineage)
{
	struct certbot_lineage l;
	char why[512] = "";
	char *domains[] = { "example.com", "www.example.com", "new.example.com" };

	ASSERT_INT_EQ(map(webroot_conf, &l, why, sizeof(why)), 0);
	ASSERT_STR_EQ(l.r.name, "example.com");
	ASSERT_STR_EQ(l.archive_dir, "/etc/letsencrypt/archive/example.com");
	ASSERT_STR_EQ(l.live[3], "/etc/letsencrypt/live/example.com/fullchain.pem");
	ASSERT_STR_EQ(l.account, "0123456789abcdef0123456789abcdef");
	ASSERT_STR_EQ(l.r.server, "https://acme-v02.api.letsencrypt.org/directory");
	ASSERT_STR_EQ(l.r.authn.name, "webroot");
	ASSERT_TRUE(l.key_type_given);
	ASSERT_INT_EQ(l.r.key.alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(l.r.key.rsa_bits, 3072);
	ASSERT_TRUE(l.r.reuse_key);
	ASSERT_STR_EQ(l.r.deploy_hook, "systemctl reload nginx, or else");
	ASSERT_STR_EQ(l.r.pre_hook, "echo \"pre\"");
	ASSERT_TRUE(l.r.post_hook == NULL);
	ASSERT_STR_EQ(l.r.authn.preferred_challenges, "http-01");
	ASSERT_INT_EQ(l.nnotes, 0);
	/* mapped domains keep their root; the others get webroot_path's last */
	ASSERT_INT_EQ(certbot_complete_webroots(&l, domains, 3, "/s/nginx/webroot", why, sizeof(why)), 0);
	ASSERT_STR_EQ(authn_webroot_for(&l.r.authn, "example.com"), "/var/www/a");
	ASSERT_STR_EQ(authn_webroot_for(&l.r.authn, "www.example.com"), "/var/www/b");
	ASSERT_STR_EQ(authn_webroot_for(&l.r.authn, "new.example.com"), "/var/www/b");
	certbot_lineage_clear(&l);
}

/* WEBROOT_CONF with the renewalparams line starting with KEY replaced by
 * LINE (appended if KEY is absent; LINE "" drops it). */
static char *edit(const char *key, const char *line)
{
	char *out = malloc(sizeof(webroot_conf) + strlen(line) + 2), *p = out;
	const char *s = webroot_conf, *params = strstr(webroot_conf, "[renewalparams]\n");
	bool done = false;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = (size_t)(nl - s) + 1;

		if (s > params && !done && strncmp(s, key, strlen(key)) == 0 &&
		    s[strlen(key)] == ' ') {
			p += sprintf(p, "%s%s", line, *line ? "\n" : "");
			done = true;
		} else if (!done && strncmp(s, "[[webroot_map]]", 15) == 0) {
			p += sprintf(p, "%s%s", line, *line ? "\n" : "");
			done = true;
			memcpy(p, s, n);
			p += n;
		} else {
			memcpy(p, s, n);
			p += n;
		}
		s += n;
	}
	*p = '\0';
	return out;
}

/* The mapping of the edited file: its code, and WHY or the first note. */
static int map_edit(const char *key, const char *line, char *why, size_t len)
{
	struct certbot_lineage l;
	char *text = edit(key, line);
	int r = map(text, &l, why, len);

	if (r == 0 && l.nnotes)
		snprintf(why, len, "%s", l.notes[0]);
	else if (r == 0)
		why[0] = '\0';
	if (r == 0)
		certbot_lineage_clear(&l);
	free(text);
	return r;
}

TEST(map_skips_what_acmed_cannot_do)
{
	char why[512];

	ASSERT_INT_EQ(map_edit("authenticator", "authenticator = apache", why, sizeof(why)),
		      -ENOTSUP);
	ASSERT_STR_CONTAINS(why, "authenticator 'apache' has no acmed counterpart");
	ASSERT_INT_EQ(map_edit("authenticator", "authenticator = manual", why, sizeof(why)),
		      -ENOTSUP);
	ASSERT_STR_CONTAINS(why, "without manual_auth_hook");
	ASSERT_INT_EQ(map_edit("key_type", "key_type = ecdsa\nelliptic_curve = secp224r1", why,
			       sizeof(why)),
		      -ENOTSUP);
	ASSERT_STR_CONTAINS(why, "secp224r1");
	ASSERT_INT_EQ(map_edit("autorenew", "autorenew = False", why, sizeof(why)), 0);
	ASSERT_STR_CONTAINS(why, "autorenew = False: carried over");
	ASSERT_INT_EQ(map_edit("account", "", why, sizeof(why)), -ENOTSUP);
	ASSERT_STR_CONTAINS(why, "no account is named");
	ASSERT_INT_EQ(map_edit("server", "server = http://ca.test/dir", why, sizeof(why)),
		      -ENOTSUP);
	ASSERT_INT_EQ(map_edit("rsa_key_size", "rsa_key_size = big", why, sizeof(why)), -EINVAL);
	ASSERT_STR_EQ(why, "t.conf:16: rsa_key_size: 'big' is not a number from 1 to 65536");
	ASSERT_INT_EQ(map_edit("reuse_key", "reuse_key = yes", why, sizeof(why)), -EINVAL);
	ASSERT_STR_EQ(why, "t.conf:17: reuse_key: True or False was expected");
	ASSERT_INT_EQ(map_edit("pref_challs", "pref_challs = carrier-pigeon,", why, sizeof(why)),
		      -EINVAL);
	ASSERT_STR_CONTAINS(why, "'carrier-pigeon' is not a challenge type");
}

TEST(map_notes_what_it_leaves_out)
{
	char why[512];

	ASSERT_INT_EQ(map_edit("must_staple", "must_staple = True", why, sizeof(why)), 0);
	ASSERT_STR_CONTAINS(why, "must_staple");
	ASSERT_INT_EQ(map_edit("installer", "installer = nginx\nnginx_server_root = /etc/nginx",
			       why, sizeof(why)),
		      0);
	ASSERT_STR_CONTAINS(why, "installer nginx: the deploy hook reloads nginx (");
	ASSERT_STR_CONTAINS(why, "acmectl install --nginx --cert-name NAME");
	ASSERT_INT_EQ(map_edit("installer", "installer = apache", why, sizeof(why)), 0);
	ASSERT_STR_CONTAINS(why, "installer apache: acmed does not edit");
	ASSERT_INT_EQ(map_edit("frobnicate", "frobnicate = 1", why, sizeof(why)), 0);
	ASSERT_STR_EQ(why, "frobnicate (line 21) is not carried over");
	ASSERT_INT_EQ(map_edit("config_dir", "config_dir = /etc/letsencrypt", why, sizeof(why)),
		      0);
	ASSERT_STR_EQ(why, ""); /* certbot's own directories: nothing to say */
}

/* certbot's nginx installer reloaded nginx after a renewal: the lineage
 * gets the deploy hook that does it, for certbot's nginx; its own is kept. */
TEST(map_nginx_installer_to_a_reload_hook)
{
	struct certbot_lineage l;
	char why[512];
	char *text = edit("renew_hook", "installer = nginx\nnginx_ctl = /opt/nginx/sbin/nginx\n"
					"nginx_server_root = /opt/nginx/conf");

	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_STR_EQ(l.r.deploy_hook, "/opt/nginx/sbin/nginx -c /opt/nginx/conf/nginx.conf -s reload");
	certbot_lineage_clear(&l);
	free(text);
	text = edit("installer", "installer = nginx");
	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_STR_EQ(l.r.deploy_hook, "systemctl reload nginx, or else");
	certbot_lineage_clear(&l);
	free(text);
}

TEST(map_other_authenticators)
{
	struct certbot_lineage l;
	char why[512];
	char *text = edit("authenticator", "authenticator = standalone\nhttp01_port = 8080\n"
					   "http01_address = 127.0.0.1");

	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_INT_EQ(l.r.authn.http01_port, 8080);
	ASSERT_STR_EQ(l.r.authn.http01_address, "127.0.0.1");
	certbot_lineage_clear(&l);
	free(text);
	text = edit("authenticator", "authenticator = dns-rfc2136\n"
				     "dns_rfc2136_credentials = /etc/letsencrypt/rfc2136.ini\n"
				     "dns_rfc2136_propagation_seconds = 30");
	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_STR_EQ(l.r.authn.dns_rfc2136_credentials, "/etc/letsencrypt/rfc2136.ini");
	ASSERT_INT_EQ(l.r.authn.dns_rfc2136_propagation_seconds, 30);
	certbot_lineage_clear(&l);
	free(text);
	text = edit("authenticator", "authenticator = manual\nmanual_auth_hook = /a.sh\n"
				     "manual_cleanup_hook = /c.sh");
	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_STR_EQ(l.r.authn.manual_auth_hook, "/a.sh");
	ASSERT_STR_EQ(l.r.authn.manual_cleanup_hook, "/c.sh");
	certbot_lineage_clear(&l);
	free(text);
}

TEST(map_old_files)
{
	struct certbot_lineage l;
	char why[512];
	/* certbot before 2.0: no key_type, the ACME v1 server */
	char *text = edit("server", "server = https://acme-v01.api.letsencrypt.org/directory");
	char *noakey;

	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_STR_EQ(l.r.server, CERTBOT_DEFAULT_SERVER);
	certbot_lineage_clear(&l);
	noakey = edit("key_type", "");
	ASSERT_INT_EQ(map(noakey, &l, why, sizeof(why)), 0);
	ASSERT_TRUE(!l.key_type_given);
	certbot_lineage_clear(&l);
	free(noakey);
	free(text);
}

/* certbot's nginx authenticator: acmed's own, every name answered from
 * STATE/nginx/webroot, with a note to add the include once. */
TEST(map_nginx_authenticator)
{
	struct certbot_lineage l;
	char why[512];
	char *text = edit("authenticator", "authenticator = nginx\ninstaller = nginx");
	char *domains[] = { "example.com", "www.example.com" };

	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_STR_EQ(l.r.authn.name, "nginx");
	ASSERT_TRUE(l.nnotes >= 1);
	ASSERT_STR_CONTAINS(l.notes[0], "acmectl certonly --nginx");
	ASSERT_INT_EQ(certbot_complete_webroots(&l, domains, 2, "/s/nginx/webroot", why,
						sizeof(why)), 0);
	ASSERT_STR_EQ(authn_webroot_for(&l.r.authn, "example.com"), "/s/nginx/webroot");
	ASSERT_STR_EQ(authn_webroot_for(&l.r.authn, "www.example.com"), "/s/nginx/webroot");
	certbot_lineage_clear(&l);
	free(text);
}

TEST(webroot_without_a_root)
{
	struct certbot_lineage l;
	char why[512];
	char *text = edit("webroot_path", "");
	char *domains[] = { "other.example.com" };

	ASSERT_INT_EQ(map(text, &l, why, sizeof(why)), 0);
	ASSERT_INT_EQ(certbot_complete_webroots(&l, domains, 1, "/s/nginx/webroot", why,
						 sizeof(why)), -ENOTSUP);
	ASSERT_STR_CONTAINS(why, "no webroot for other.example.com");
	certbot_lineage_clear(&l);
	free(text);
}

TEST(intervals)
{
	long s = 0;

	ASSERT_INT_EQ(certbot_parse_interval("30 days", &s), 0);
	ASSERT_INT_EQ(s, 30L * 86400);
	ASSERT_INT_EQ(certbot_parse_interval("14", &s), 0);
	ASSERT_INT_EQ(s, 14L * 86400);
	ASSERT_INT_EQ(certbot_parse_interval("2 weeks 3 days", &s), 0);
	ASSERT_INT_EQ(s, 17L * 86400);
	ASSERT_INT_EQ(certbot_parse_interval("12 hours", &s), 0);
	ASSERT_INT_EQ(s, 12L * 3600);
	ASSERT_INT_EQ(certbot_parse_interval("1 month", &s), -EINVAL);
	ASSERT_INT_EQ(certbot_parse_interval("soon", &s), -EINVAL);
	ASSERT_INT_EQ(certbot_parse_interval("3 days 4", &s), -EINVAL);
	ASSERT_INT_EQ(certbot_parse_interval("", &s), -EINVAL);
	ASSERT_INT_EQ(certbot_parse_interval("99999999999 days", &s), -EINVAL);
}

/* KEY's private JWK, as certbot (josepy) writes it. */
static struct json_object *private_jwk(EVP_PKEY *key)
{
	static const char *const rsa[][2] = {
		{ "n", OSSL_PKEY_PARAM_RSA_N },
		{ "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D },
		{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	static const char *const ec[][2] = {
		{ "x", OSSL_PKEY_PARAM_EC_PUB_X },
		{ "y", OSSL_PKEY_PARAM_EC_PUB_Y },
		{ "d", OSSL_PKEY_PARAM_PRIV_KEY },
	};
	bool is_rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
	struct json_object *o = json_object_new_object();
	size_t n = is_rsa ? 8 : 3;

	json_object_object_add(o, "kty", json_object_new_string(is_rsa ? "RSA" : "EC"));
	if (!is_rsa)
		json_object_object_add(o, "crv", json_object_new_string("P-256"));
	for (size_t i = 0; i < n; i++) {
		BIGNUM *bn = NULL;
		unsigned char buf[512];
		int len;
		char *b64;

		EVP_PKEY_get_bn_param(key, is_rsa ? rsa[i][1] : ec[i][1], &bn);
		len = is_rsa ? BN_bn2bin(bn, buf) : BN_bn2binpad(bn, buf, 32);
		b64 = b64url_encode(buf, (size_t)len);
		json_object_object_add(o, is_rsa ? rsa[i][0] : ec[i][0], json_object_new_string(b64));
		free(b64);
		BN_free(bn);
	}
	return o;
}

static void jwk_round_trip(const struct key_spec *spec)
{
	EVP_PKEY *key = crypto_key_generate(spec), *back = NULL;
	struct json_object *jwk = private_jwk(key);
	char err[256] = "";

	ASSERT_INT_EQ(jwk_private_key(jwk, &back, err, sizeof(err)), 0);
	ASSERT_INT_EQ(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	/* a private exponent from another key does not belong */
	json_object_object_add(jwk, "d", json_object_new_string("AQAB"));
	ASSERT_INT_EQ(jwk_private_key(jwk, &back, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(back == NULL);
	json_object_put(jwk);
	EVP_PKEY_free(key);
}

TEST(jwk_private_keys)
{
	struct key_spec rsa = { .alg = KEY_ALG_RSA, .rsa_bits = 2048 };
	struct key_spec ec = KEY_SPEC_DEFAULT;
	struct json_object *o = json_tokener_parse("{\"kty\":\"oct\",\"k\":\"AAAA\"}");
	EVP_PKEY *key = NULL;
	char err[256] = "";

	jwk_round_trip(&rsa);
	jwk_round_trip(&ec);
	ASSERT_INT_EQ(jwk_private_key(o, &key, err, sizeof(err)), -EINVAL);
	ASSERT_STR_EQ(err, "key type \"oct\" is not RSA or EC");
	json_object_put(o);
	o = json_tokener_parse("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}");
	ASSERT_INT_EQ(jwk_private_key(o, &key, err, sizeof(err)), -EINVAL);
	ASSERT_STR_EQ(err, "member \"d\" is missing");
	json_object_put(o);
	o = json_tokener_parse("{\"kty\":\"EC\",\"crv\":\"P-521\"}");
	ASSERT_INT_EQ(jwk_private_key(o, &key, err, sizeof(err)), -EINVAL);
	ASSERT_STR_EQ(err, "curve \"P-521\" is not P-256 or P-384");
	json_object_put(o);
}
