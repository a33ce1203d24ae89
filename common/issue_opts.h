/* The certonly request's options, one table for both ends of the socket:
 * acmectl builds its command line, --help and the request from it, and the
 * daemon checks the request's members against it (type, limits, the option
 * named in the error) before issue_req_parse() reads them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

enum issue_opt {
	IO_DOMAINS,
	IO_CERT_NAME,
	IO_WEBROOT,
	IO_WEBROOT_PATH,
	IO_WEBROOT_MAP,
	IO_STANDALONE,
	IO_HTTP01_ADDRESS,
	IO_HTTP01_PORT,
	IO_TLSALPN01_PORT,
	IO_MANUAL,
	IO_MANUAL_AUTH_HOOK,
	IO_MANUAL_CLEANUP_HOOK,
	IO_RFC2136,
	IO_RFC2136_CREDENTIALS,
	IO_RFC2136_PROPAGATION,
	IO_NGINX,
	IO_NGINX_SERVER_ROOT,
	IO_NGINX_CTL,
	IO_NGINX_CREATE,
	IO_HTTPS_PORT,
	IO_REDIRECT,
	IO_HSTS,
	IO_UIR,
	IO_AUTHENTICATOR,
	IO_PREFERRED_CHALLENGES,
	IO_KEY_TYPE,
	IO_ELLIPTIC_CURVE,
	IO_RSA_KEY_SIZE,
	IO_REUSE_KEY,
	IO_NO_REUSE_KEY,
	IO_NEW_KEY,
	IO_CSR,
	IO_CERT_PATH,
	IO_CHAIN_PATH,
	IO_FULLCHAIN_PATH,
	IO_EMAIL,
	IO_UNSAFE_NO_EMAIL,
	IO_AGREE_TOS,
	IO_EAB_KID,
	IO_EAB_HMAC_KEY,
	IO_SERVER,
	IO_PREFERRED_CHAIN,
	IO_PROFILE,
	IO_PRE_HOOK,
	IO_POST_HOOK,
	IO_DEPLOY_HOOK,
	IO_DISABLE_HOOK_VALIDATION,
	IO_ISSUANCE_TIMEOUT,
	IO_USER_AGENT,
	IO_EFF_EMAIL,
	IO_NO_EFF_EMAIL,
	IO_QUIET,
	IO_VERBOSE,
	IO_DRY_RUN,
	IO_NON_INTERACTIVE,
	IO_FORCE_RENEWAL,
	IO_KEEP,
	IO_EXPAND,
	IO_DUPLICATE,
	IO_ALLOW_SUBSET,
	IO_STAGING,
	IO_AUTORENEW,
	IO_NO_AUTORENEW,
	IO_JSON,
	IO_HELP,
	IO_MANUAL_PROMPT, /* no option: acmectl on a terminal, --manual without hooks */
	IO__MAX,
};

enum issue_opt_type {
	IOT_FLAG,     /* no argument; true in the request */
	IOT_STRING,   /* text */
	IOT_COMMAND,  /* one line of text: a hook command ("" for none) */
	IOT_EMAIL,    /* an e-mail address */
	IOT_INT,      /* a number in [min, max] */
	IOT_PATH,     /* a path, sent absolute (the daemon has another cwd) */
	IOT_LIST,     /* comma-separated; given again, the lists add up */
	IOT_DOMAINS,  /* -d: a list of names (array of strings) */
	IOT_WEBROOTS, /* no option of its own: {domain, path} pairs from -w and -d */
	IOT_AUTHN,    /* selects the authenticator ("authenticator") */
	IOT_FILE,     /* a file acmectl reads and sends base64url-encoded */
	IOT_LOCAL,    /* acmectl's alone; not sent */
	IOT_COUNT,    /* no argument, given N times: N in the request (-v) */
	IOT_NOOP,     /* certbot's, nothing to do in acmed: accepted, -v says why */
	IOT_HEADER,   /* text for an HTTP header: printable ASCII, at most 256 bytes */
};

struct issue_opt_info {
	const char *flag;    /* the long option, without "--"; NULL: none */
	const char *alias;   /* another spelling certbot accepts, or NULL */
	char short_flag;     /* or 0 */
	const char *key;     /* the request member, or NULL: not sent */
	enum issue_opt_type type;
	long min, max;       /* IOT_INT */
	const char *value;   /* IOT_AUTHN: the authenticator it picks (NULL: the argument);
			      * IOT_NOOP: why it does nothing, for -v */
	const char *arg;     /* the argument's name in --help, NULL for none */
	const char *help;    /* NULL: not shown; '\n' continues on the next line */
};

extern const struct issue_opt_info issue_opts[IO__MAX];

/* Whether option O takes an argument. */
static inline bool issue_opt_has_arg(const struct issue_opt_info *o)
{
	return o->arg != NULL;
}

/* The request member of option O: a string (or NULL), a number (or 0), a
 * flag (or false) when absent or of another type. */
const char *issue_opt_str(struct json_object *args, enum issue_opt o);
long long issue_opt_int(struct json_object *args, enum issue_opt o);
bool issue_opt_flag(struct json_object *args, enum issue_opt o);

/* Check option O's member of ARGS, if there is one, as issue_opts_check()
 * does: for requests that take a few of these options (renew's hooks). */
int issue_opt_check(struct json_object *args, enum issue_opt o, char *err, size_t errlen);

/* Check every member of the request ARGS against the table: known, of its
 * option's type, within its limits. 0, or ACMED_EUSAGE with one line in ERR
 * naming the option. */
int issue_opts_check(struct json_object *args, char *err, size_t errlen);

/* The option's name for messages: "--flag", or the member's key. */
const char *issue_opt_name(enum issue_opt o, char *buf, size_t len);
