/* The certonly options: certbot's spellings, the request members they
 * become, their types and limits, and --help's text. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "ident.h"
#include "issue_opts.h"
#include "rfc2136_creds.h"
#include "util.h"

#define FLAG(f, k, h) { .flag = f, .key = k, .type = IOT_FLAG, .help = h }
#define TEXT(f, k, a, h) { .flag = f, .key = k, .type = IOT_STRING, .arg = a, .help = h }
#define COMMAND(f, k, h) { .flag = f, .key = k, .type = IOT_COMMAND, .arg = "CMD", .help = h }
#define NUMBER(f, k, lo, hi, a, h) \
	{ .flag = f, .key = k, .type = IOT_INT, .min = lo, .max = hi, .arg = a, .help = h }
#define AUTHN(f, h) \
	{ .flag = f, .key = "authenticator", .type = IOT_AUTHN, .value = f, .help = h }
#define LOCAL(f, a, h) { .flag = f, .type = IOT_LOCAL, .arg = a, .help = h }
#define NOOP(f, why, h) { .flag = f, .type = IOT_NOOP, .value = why, .help = h }

const struct issue_opt_info issue_opts[IO__MAX] = {
	[IO_DOMAINS] = { .flag = "domains", .alias = "domain", .short_flag = 'd',
			 .key = "domains", .type = IOT_DOMAINS, .arg = "D[,D...]",
			 .help = "domains for the certificate; the first is the name" },
	[IO_CERT_NAME] = TEXT("cert-name", "cert_name", "NAME",
			      "lineage name (default: the first domain)"),
	[IO_WEBROOT] = AUTHN("webroot", "prove control by files under a web root"),
	[IO_WEBROOT_PATH] = { .flag = "webroot-path", .short_flag = 'w', .key = "webroot_path",
			      .type = IOT_PATH, .arg = "DIR",
			      .help = "web root for the -d options that follow it" },
	[IO_WEBROOT_MAP] = { .flag = "webroot-map", .key = "webroot_map", .type = IOT_WEBROOTS,
			     .arg = "JSON", .help = "{\"a.example,b.example\": \"/var/www/a\", ...}:\n"
						    "those domains (added) and their web roots" },
	[IO_STANDALONE] = AUTHN("standalone", "prove control with a built-in HTTP server"),
	[IO_HTTP01_ADDRESS] = TEXT("http-01-address", "http01_address", "A",
				   "address the standalone server listens on"),
	[IO_HTTP01_PORT] = NUMBER("http-01-port", "http01_port", 1, 65535, "P",
				  "port the standalone server listens on (80)"),
	[IO_TLSALPN01_PORT] = NUMBER("tls-alpn-01-port", "tlsalpn01_port", 1, 65535, "P",
				     "port of its tls-alpn-01 responder (443)"),
	[IO_MANUAL] = AUTHN("manual", "prove control with your own hooks (certbot's)"),
	[IO_MANUAL_AUTH_HOOK] = COMMAND("manual-auth-hook", "manual_auth_hook",
					"puts each response in place (http-01 file or\n"
					"dns-01 TXT record; saved for renewals)"),
	[IO_MANUAL_CLEANUP_HOOK] = COMMAND("manual-cleanup-hook", "manual_cleanup_hook",
					   "takes it down afterwards (saved)"),
	[IO_RFC2136] = AUTHN("dns-rfc2136", "prove control with DNS UPDATEs (RFC 2136) to your\n"
					    "authoritative server; dns-01, wildcards allowed"),
	[IO_RFC2136_CREDENTIALS] = { .flag = "dns-rfc2136-credentials",
				     .key = "dns_rfc2136_credentials", .type = IOT_PATH,
				     .arg = "FILE",
				     .help = "certbot's credentials file: server, key (saved)" },
	[IO_RFC2136_PROPAGATION] = NUMBER("dns-rfc2136-propagation-seconds",
					  "dns_rfc2136_propagation_seconds", 1,
					  RFC2136_PROPAGATION_MAX, "N",
					  "wait at most N s for the server to answer the\n"
					  "TXT records (60; saved)"),
	/* acmectl's: a one-time edit of nginx's files, then webroot in
	 * acmed's own directory (ctl/certonly_nginx.c). */
	[IO_NGINX] = AUTHN("nginx", "prove control through the running nginx: its\n"
				    "server blocks for the names include, once, a\n"
				    "snippet serving acmed's challenge directory"),
	[IO_NGINX_SERVER_ROOT] = LOCAL("nginx-server-root", "DIR",
				       "the directory of nginx.conf (/etc/nginx)"),
	[IO_NGINX_CTL] = LOCAL("nginx-ctl", "PATH", "the nginx binary (nginx)"),
	[IO_NGINX_CREATE] = LOCAL("nginx-create", NULL,
				  "a name no server block serves gets a minimal\n"
				  "one in a file of its own"),
	/* run and install: the certificate goes into nginx's server blocks. */
	[IO_HTTPS_PORT] = LOCAL("https-port", "P", "run, install: the TLS port nginx serves (443)"),
	[IO_REDIRECT] = LOCAL("redirect", NULL, "run, install: 301 from http to https (not the\n"
						"ACME challenges)"),
	[IO_HSTS] = LOCAL("hsts", NULL, "run, install: add Strict-Transport-Security"),
	[IO_UIR] = LOCAL("uir", NULL, "run, install: add Content-Security-Policy\n"
				      "upgrade-insecure-requests"),
	[IO_AUTHENTICATOR] = { .flag = "authenticator", .short_flag = 'a', .key = "authenticator",
			       .type = IOT_AUTHN, .arg = "NAME",
			       .help = "webroot, standalone, manual, dns-rfc2136 or nginx" },
	[IO_PREFERRED_CHALLENGES] = { .flag = "preferred-challenges",
				      .key = "preferred_challenges", .type = IOT_LIST,
				      .arg = "T[,T...]",
				      .help = "challenge types in order: dns, http (saved)" },
	[IO_KEY_TYPE] = TEXT("key-type", "key_type", "ecdsa|rsa", "key type (default ecdsa)"),
	[IO_ELLIPTIC_CURVE] = TEXT("elliptic-curve", "elliptic_curve", "C",
				   "secp256r1 (default), secp384r1 or secp521r1"),
	[IO_RSA_KEY_SIZE] = NUMBER("rsa-key-size", "rsa_key_size", 1, 65536, "N",
				   "2048 (default), 3072 or 4096"),
	[IO_REUSE_KEY] = FLAG("reuse-key", "reuse_key",
			      "keep the lineage's key at renewals (saved; a new\n"
			      "lineage gets a new key)"),
	[IO_NO_REUSE_KEY] = FLAG("no-reuse-key", "no_reuse_key",
				 "a new key at every renewal again (saved)"),
	[IO_NEW_KEY] = FLAG("new-key", "new_key", "a new key this time, whatever is saved"),
	[IO_CSR] = { .flag = "csr", .key = "csr", .type = IOT_FILE, .arg = "FILE",
		     .help = "use this CSR (PEM or DER); no lineage is kept" },
	[IO_CERT_PATH] = LOCAL("cert-path", "FILE",
			       "where --csr's certificate goes (./000N_cert.pem)"),
	[IO_CHAIN_PATH] = LOCAL("chain-path", "FILE", "where its chain goes (./000N_chain.pem)"),
	[IO_FULLCHAIN_PATH] = LOCAL("fullchain-path", "FILE",
				    "both together (./000N_fullchain.pem)"),
	[IO_EMAIL] = { .flag = "email", .short_flag = 'm', .key = "email", .type = IOT_EMAIL,
		       .arg = "ADDRESS", .help = "contact address for a new account (a,b: several)" },
	[IO_UNSAFE_NO_EMAIL] = FLAG("register-unsafely-without-email",
				    "register_unsafely_without_email",
				    "a new account without a contact address"),
	[IO_AGREE_TOS] = FLAG("agree-tos", "agree_tos", "accept the CA's terms of service"),
	[IO_EAB_KID] = TEXT("eab-kid", "eab_kid", "KID",
			    "external account binding for a new account:\n"
			    "the key identifier the CA gave"),
	[IO_EAB_HMAC_KEY] = TEXT("eab-hmac-key", "eab_hmac_key", "KEY",
				 "and its base64url HMAC key"),
	[IO_SERVER] = TEXT("server", "server", "URL", "ACME directory (default: the daemon's)"),
	[IO_PREFERRED_CHAIN] = TEXT("preferred-chain", "preferred_chain", "CN",
				    "pick the chain whose top issuer has this CN"),
	[IO_PROFILE] = { .flag = "profile", .alias = "required-profile", .key = "profile",
			 .type = IOT_STRING, .arg = "NAME",
			 .help = "ask the CA for this certificate profile" },
	[IO_PRE_HOOK] = COMMAND("pre-hook", "pre_hook", "run before the order (saved for renewals)"),
	[IO_POST_HOOK] = COMMAND("post-hook", "post_hook", "run after it (saved for renewals)"),
	[IO_DEPLOY_HOOK] = { .flag = "deploy-hook", .alias = "renew-hook", .key = "deploy_hook",
			     .type = IOT_COMMAND, .arg = "CMD",
			     .help = "run when the lineage got a new version (saved)" },
	[IO_DISABLE_HOOK_VALIDATION] = FLAG("disable-hook-validation", "disable_hook_validation",
					    "do not check the hooks' commands first"),
	[IO_ISSUANCE_TIMEOUT] = NUMBER("issuance-timeout", "issuance_timeout", 1, 86400, "SECONDS",
				       "wait so long at most for the CA to issue a\n"
				       "finalized order (300)"),
	[IO_USER_AGENT] = { .flag = "user-agent", .key = "user_agent", .type = IOT_HEADER,
			    .arg = "TEXT", .help = "added to acmed's User-Agent header" },
	[IO_EFF_EMAIL] = NOOP("eff-email", "acmed gives your address to nobody but the CA",
			      "accepted: acmed shares your address with no list"),
	[IO_NO_EFF_EMAIL] = NOOP("no-eff-email", "acmed gives your address to nobody but the CA",
				 NULL),
	[IO_QUIET] = { .flag = "quiet", .short_flag = 'q', .type = IOT_LOCAL,
		       .help = "print nothing but errors" },
	[IO_VERBOSE] = { .flag = "verbose", .short_flag = 'v', .key = "verbosity", .type = IOT_COUNT,
			 .max = 3, .help = "show the job's own log lines, debug ones too" },
	[IO_DRY_RUN] = FLAG("dry-run", "dry_run", "order and check a certificate, save nothing"),
	[IO_NON_INTERACTIVE] = { .flag = "non-interactive", .alias = "noninteractive",
				 .short_flag = 'n', .type = IOT_LOCAL,
				 .help = "never ask (acmectl certonly never does)" },
	[IO_FORCE_RENEWAL] = { .flag = "force-renewal", .alias = "renew-by-default",
			       .key = "force_renewal", .type = IOT_FLAG,
			       .help = "replace the lineage's certificate even if it is\n"
				       "not due for renewal" },
	[IO_KEEP] = { .flag = "keep-until-expiring", .alias = "keep", .type = IOT_LOCAL,
		      .help = "keep a certificate not due without asking" },
	[IO_EXPAND] = FLAG("expand", "expand",
			   "add names to the lineage that has some of them"),
	[IO_DUPLICATE] = FLAG("duplicate", "duplicate",
			      "a new lineage (NAME-0001) even where one exists"),
	[IO_ALLOW_SUBSET] = FLAG("allow-subset-of-names", "allow_subset_of_names",
				 "drop the names that fail validation and order the\n"
				 "rest (saved; no wildcards, no --csr)"),
	[IO_STAGING] = { .flag = "staging", .alias = "test-cert", .key = "staging",
			 .type = IOT_FLAG,
			 .help = "use the CA's staging server (Let's Encrypt's)" },
	[IO_AUTORENEW] = FLAG("autorenew", "autorenew", "renew it on the timer (the default; saved)"),
	[IO_NO_AUTORENEW] = FLAG("no-autorenew", "no_autorenew",
				 "never renew it on the timer (saved)"),
	[IO_JSON] = { .flag = "json", .type = IOT_LOCAL },
	[IO_HELP] = { .flag = "help", .short_flag = 'h', .type = IOT_LOCAL },
	/* Set by acmectl itself: --manual without hooks, on a terminal. */
	[IO_MANUAL_PROMPT] = { .key = "manual_prompt", .type = IOT_FLAG },
};

const char *issue_opt_str(struct json_object *args, enum issue_opt o)
{
	struct json_object *v;

	return args && json_object_object_get_ex(args, issue_opts[o].key, &v) &&
		       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

long long issue_opt_int(struct json_object *args, enum issue_opt o)
{
	struct json_object *v;

	return args && json_object_object_get_ex(args, issue_opts[o].key, &v) &&
		       json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v)
		       : 0;
}

bool issue_opt_flag(struct json_object *args, enum issue_opt o)
{
	struct json_object *v;

	return args && json_object_object_get_ex(args, issue_opts[o].key, &v) &&
	       json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

const char *issue_opt_name(enum issue_opt o, char *buf, size_t len)
{
	if (issue_opts[o].flag)
		snprintf(buf, len, "--%s", issue_opts[o].flag);
	else
		snprintf(buf, len, "%s", issue_opts[o].key);
	return buf;
}

/* The option whose member is KEY (for "authenticator", --authenticator). */
static int find_key(const char *key)
{
	if (streq(key, issue_opts[IO_AUTHENTICATOR].key))
		return IO_AUTHENTICATOR;
	for (int i = 0; i < IO__MAX; i++)
		if (issue_opts[i].key && streq(issue_opts[i].key, key))
			return i;
	return -1;
}

static bool one_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

/* What an HTTP header's value may hold (RFC 9110 section 5.5, without
 * obs-text), kept short. */
static bool header_text(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return n <= 256;
}

static bool strings_only(struct json_object *v)
{
	for (size_t i = 0; i < json_object_array_length(v); i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
			return false;
	return true;
}

static const char *kind_name(enum json_type t)
{
	switch (t) {
	case json_type_boolean: return "true or false";
	case json_type_int: return "a whole number";
	case json_type_double: return "a number";
	case json_type_string: return "text";
	case json_type_array: return "a list";
	case json_type_object: return "an object";
	default: return "null";
	}
}

/* The member V of option O: 0, or ACMED_EUSAGE with the reason in ERR.
 * The domains and the authenticator are left to issue_req_parse() when
 * they are not what it reads: it says what to give instead. */
static int check_one(enum issue_opt o, struct json_object *v, char *err, size_t errlen)
{
	const struct issue_opt_info *info = &issue_opts[o];
	enum json_type want = json_type_string;
	char name[64];
	int64_t n;

	issue_opt_name(o, name, sizeof(name));
	switch (info->type) {
	case IOT_FLAG: want = json_type_boolean; break;
	case IOT_INT:
	case IOT_COUNT: want = json_type_int; break;
	case IOT_DOMAINS:
	case IOT_WEBROOTS: want = json_type_array; break;
	default: break;
	}
	if ((info->type == IOT_DOMAINS || info->type == IOT_AUTHN) && !json_object_is_type(v, want))
		return 0;
	if (!json_object_is_type(v, want)) {
		snprintf(err, errlen, "%s: the request holds %s where %s belongs", name,
			 kind_name(json_object_get_type(v)), kind_name(want));
		return ACMED_EUSAGE;
	}
	switch (info->type) {
	case IOT_INT:
	case IOT_COUNT:
		n = json_object_get_int64(v);
		if (n < info->min || n > info->max) {
			snprintf(err, errlen, "%s must be between %ld and %ld", name, info->min,
				 info->max);
			return ACMED_EUSAGE;
		}
		break;
	case IOT_HEADER:
		if (!header_text(json_object_get_string(v))) {
			snprintf(err, errlen, "%s: at most 256 printable ASCII characters", name);
			return ACMED_EUSAGE;
		}
		break;
	case IOT_COMMAND:
		if (!one_line(json_object_get_string(v))) {
			snprintf(err, errlen, "%s: the command must be one line of text", name);
			return ACMED_EUSAGE;
		}
		break;
	case IOT_EMAIL:
		if (!ident_emails_ok(json_object_get_string(v))) {
			snprintf(err, errlen, "%s '%s' is not an email address (or a comma-separated "
					      "list of them)", name,
				 json_object_get_string(v));
			return ACMED_EUSAGE;
		}
		break;
	case IOT_DOMAINS:
		if (!strings_only(v)) {
			snprintf(err, errlen, "domains must be a list of strings");
			return ACMED_EUSAGE;
		}
		break;
	default: break;
	}
	return 0;
}

int issue_opt_check(struct json_object *args, enum issue_opt o, char *err, size_t errlen)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, issue_opts[o].key, &v))
		return 0;
	return check_one(o, v, err, errlen);
}

int issue_opts_check(struct json_object *args, char *err, size_t errlen)
{
	if (!json_object_is_type(args, json_type_object)) {
		snprintf(err, errlen, "the request's arguments are not an object");
		return ACMED_EUSAGE;
	}
	json_object_object_foreach(args, key, v) {
		int o = find_key(key);

		if (o < 0) {
			snprintf(err, errlen, "the request holds '%.64s', which is no certonly option "
					      "this acmed knows: is acmectl newer than acmed?",
				 key);
			return ACMED_EUSAGE;
		}
		if (check_one((enum issue_opt)o, v, err, errlen) < 0)
			return ACMED_EUSAGE;
	}
	return 0;
}
