/* A certificate request: what `certonly` asked for (checked by the daemon)
 * or what a renewal file says, carried to the job's process and, after a
 * successful issuance, saved as the lineage's renewal file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "authn.h"
#include "crypto.h"
#include "error.h"
#include "fsutil.h"
#include "ident.h"
#include "issue_opts.h"
#include "issue_req.h"
#include "jws.h"
#include "jsonutil.h"
#include "rfc2136_creds.h"
#include "store/store.h"
#include "util.h"


void issue_req_clear(struct issue_req *req)
{
	strv_free(req->domains, req->ndomains);
	free(req->cert_name);
	free(req->name);
	authn_config_clear(&req->authn);
	free(req->email);
	free(req->server);
	free(req->preferred_chain);
	free(req->csr);
	free(req->profile);
	free(req->replaces);
	free(req->pre_hook);
	free(req->post_hook);
	free(req->deploy_hook);
	free(req->eab_kid);
	free(req->user_agent);
	if (req->eab_hmac_key)
		OPENSSL_cleanse(req->eab_hmac_key, strlen(req->eab_hmac_key));
	free(req->eab_hmac_key);
	memset(req, 0, sizeof(*req));
}

int issue_req_from_renewal(const struct renewal *r, struct issue_req *req)
{
	memset(req, 0, sizeof(*req));
	req->domains = calloc(r->ndomains + 1, sizeof(char *));
	if (!req->domains)
		return -ENOMEM;
	for (size_t i = 0; i < r->ndomains; i++) {
		req->domains[i] = strdup(r->domains[i]);
		if (!req->domains[i])
			goto oom;
		req->ndomains++;
	}
	if (authn_config_copy(&r->authn, &req->authn) < 0)
		goto oom;
	req->cert_name = xstrdup(r->name);
	req->name = xstrdup(r->name);
	req->server = xstrdup(r->server);
	req->preferred_chain = xstrdup(r->preferred_chain);
	req->profile = xstrdup(r->profile);
	req->pre_hook = xstrdup(r->pre_hook);
	req->post_hook = xstrdup(r->post_hook);
	req->deploy_hook = xstrdup(r->deploy_hook);
	req->user_agent = xstrdup(r->user_agent);
	req->key = r->key;
	req->reuse_key = r->reuse_key;
	req->allow_subset = r->allow_subset;
	req->autorenew = r->no_autorenew ? 0 : 1;
	req->renew_before = r->renew_before;
	req->renewal = true;
	if (!req->name || !req->cert_name || !req->server ||
	    (r->preferred_chain && !req->preferred_chain) || (r->profile && !req->profile) ||
	    (r->pre_hook && !req->pre_hook) || (r->post_hook && !req->post_hook) ||
	    (r->deploy_hook && !req->deploy_hook) || (r->user_agent && !req->user_agent))
		goto oom;
	return 0;
oom:
	issue_req_clear(req);
	return -ENOMEM;
}

static int add_domain(struct issue_req *req, const char *d, char *err, size_t errlen)
{
	char norm[IDENT_MAX + 1];
	char **v;

	if (ident_normalize(d, norm, err, errlen) < 0)
		return ACMED_EUSAGE;
	for (size_t i = 0; i < req->ndomains; i++)
		if (streq(req->domains[i], norm))
			return 0; /* certbot drops repeats silently */
	if (req->ndomains >= 100) {
		snprintf(err, errlen, "at most 100 domains fit in one certificate");
		return ACMED_EUSAGE;
	}
	v = realloc(req->domains, (req->ndomains + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	req->domains = v;
	v[req->ndomains] = strdup(norm);
	if (!v[req->ndomains])
		return -ENOMEM;
	v[++req->ndomains] = NULL;
	return 0;
}

static int parse_webroot_map(struct json_object *args, struct issue_req *req, char *err,
			     size_t errlen)
{
	struct json_object *map;
	size_t n;

	if (!json_object_object_get_ex(args, issue_opts[IO_WEBROOT_MAP].key, &map))
		return 0;
	if (!json_object_is_type(map, json_type_array)) {
		snprintf(err, errlen, "webroot_map must be a list");
		return ACMED_EUSAGE;
	}
	n = json_object_array_length(map);
	req->authn.webroot = calloc(n + 1, sizeof(*req->authn.webroot));
	if (!req->authn.webroot)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(map, i);
		const char *d = jobj_str(e, "domain"), *p = jobj_str(e, "path");
		char norm[IDENT_MAX + 1];

		if (!d || !p || ident_normalize(d, norm, err, errlen) < 0) {
			if (!d || !p)
				snprintf(err, errlen, "webroot_map entry %zu is malformed", i + 1);
			return ACMED_EUSAGE;
		}
		if (p[0] != '/') {
			snprintf(err, errlen, "webroot %s is not an absolute path", p);
			return ACMED_EUSAGE;
		}
		req->authn.webroot[i].domain = strdup(norm);
		req->authn.webroot[i].path = strdup(p);
		req->authn.nwebroot++;
		if (!req->authn.webroot[i].domain || !req->authn.webroot[i].path)
			return -ENOMEM;
	}
	return 0;
}

/* Domains with no -w before them get the first -w ("webroot_path"), as in
 * certbot, where a lone -w may come after the -d options. */
static int default_webroot(struct json_object *args, struct issue_req *req, char *err,
			   size_t errlen)
{
	const char *path = issue_opt_str(args, IO_WEBROOT_PATH);
	struct webroot_entry *v;

	if (!path)
		return 0;
	if (path[0] != '/') {
		snprintf(err, errlen, "webroot %s is not an absolute path", path);
		return ACMED_EUSAGE;
	}
	for (size_t i = 0; i < req->ndomains; i++) {
		if (authn_webroot_for(&req->authn, req->domains[i]))
			continue;
		v = realloc(req->authn.webroot, (req->authn.nwebroot + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		req->authn.webroot = v;
		v[req->authn.nwebroot].domain = strdup(req->domains[i]);
		v[req->authn.nwebroot].path = strdup(path);
		if (!v[req->authn.nwebroot].domain || !v[req->authn.nwebroot].path) {
			free(v[req->authn.nwebroot].domain);
			free(v[req->authn.nwebroot].path);
			return -ENOMEM;
		}
		req->authn.nwebroot++;
	}
	return 0;
}

/* --nginx: every name's web root is acmed's own challenge directory,
 * STATE/nginx/webroot, which acmectl made nginx serve (docs/nginx.md),
 * whatever the request says: the worker may write no other place in the
 * state directory. */
static int nginx_webroot(const struct acmed_config *cfg, struct issue_req *req)
{
	char *path = fs_join(cfg->state_dir, "nginx/webroot");
	int r = 0;

	if (!path)
		return -ENOMEM;
	for (size_t i = 0; i < req->authn.nwebroot; i++) {
		free(req->authn.webroot[i].domain);
		free(req->authn.webroot[i].path);
	}
	free(req->authn.webroot);
	req->authn.nwebroot = 0;
	req->authn.webroot = calloc(req->ndomains + 1, sizeof(*req->authn.webroot));
	for (size_t i = 0; req->authn.webroot && i < req->ndomains && r == 0; i++) {
		req->authn.webroot[i].domain = strdup(req->domains[i]);
		req->authn.webroot[i].path = strdup(path);
		req->authn.nwebroot++;
		if (!req->authn.webroot[i].domain || !req->authn.webroot[i].path)
			r = -ENOMEM;
	}
	free(path);
	return req->authn.webroot ? r : -ENOMEM;
}

/* --csr: the names come from the CSR; -d, if given, must list the same. */
static int parse_csr(const char *csr64, struct issue_req *req, char *err, size_t errlen)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0, n = 0;
	char **names = NULL;
	int r;

	if (b64url_decode(csr64, &raw, &rawlen) < 0) {
		snprintf(err, errlen, "csr: not base64url");
		return ACMED_EUSAGE;
	}
	r = crypto_csr_load(raw, rawlen, &req->csr, &req->csrlen, &names, &n);
	free(raw);
	if (r < 0) {
		snprintf(err, errlen, "--csr: not a CSR in PEM or DER, or its signature is bad");
		return ACMED_EUSAGE;
	}
	if (req->ndomains) {
		bool same = req->ndomains == n;

		for (size_t i = 0; same && i < n; i++) {
			same = false;
			for (size_t k = 0; k < req->ndomains; k++)
				same |= streq(names[i], req->domains[k]);
		}
		if (!same) {
			snprintf(err, errlen, "the domains given with -d differ from those in the CSR");
			strv_free(names, n);
			return ACMED_EUSAGE;
		}
		strv_free(req->domains, req->ndomains);
		req->domains = NULL;
		req->ndomains = 0;
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_domain(req, names[i], err, errlen);
	strv_free(names, n);
	return r;
}

int issue_parse_hook(struct json_object *args, enum issue_opt o, char **out, char *err,
		     size_t errlen)
{
	const char *v = issue_opt_str(args, o);
	int r = issue_opt_check(args, o, err, errlen);

	if (r < 0 || !v)
		return r;
	*out = *v ? strdup(v) : NULL;
	return *v && !*out ? -ENOMEM : 0;
}

static int parse_hooks_and_profile(struct json_object *args, struct issue_req *req, char *err,
				   size_t errlen)
{
	const char *profile = issue_opt_str(args, IO_PROFILE);
	int r;

	if ((r = issue_parse_hook(args, IO_PRE_HOOK, &req->pre_hook, err, errlen)) < 0 ||
	    (r = issue_parse_hook(args, IO_POST_HOOK, &req->post_hook, err, errlen)) < 0 ||
	    (r = issue_parse_hook(args, IO_DEPLOY_HOOK, &req->deploy_hook, err, errlen)) < 0)
		return r;
	if (!profile)
		return 0;
	for (const char *p = profile; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.", *p))) {
			snprintf(err, errlen, "--profile '%s' is not a profile name", profile);
			return ACMED_EUSAGE;
		}
	}
	req->profile = *profile ? strdup(profile) : NULL;
	return *profile && !req->profile ? -ENOMEM : 0;
}

/* --dns-rfc2136-credentials and --dns-rfc2136-propagation-seconds. The
 * file is read here too, so a bad one is reported before any CA traffic;
 * the job's worker reads it again before it is confined. */
static int parse_rfc2136_options(struct json_object *args, enum authn_kind au,
				 struct issue_req *req, char *err, size_t errlen)
{
	const char *path = issue_opt_str(args, IO_RFC2136_CREDENTIALS);
	long long secs = issue_opt_int(args, IO_RFC2136_PROPAGATION);
	struct rfc2136_creds c;
	int r;

	if (au != AUTHN_RFC2136) {
		if (!path && !secs)
			return 0;
		snprintf(err, errlen, "--dns-rfc2136-credentials and "
				      "--dns-rfc2136-propagation-seconds go with --dns-rfc2136");
		return ACMED_EUSAGE;
	}
	if (!path || path[0] != '/') {
		snprintf(err, errlen, path ? "--dns-rfc2136-credentials %s: give an absolute path"
					   : "--dns-rfc2136 needs --dns-rfc2136-credentials FILE%s",
			 path ? path : "");
		return ACMED_EUSAGE;
	}
	r = rfc2136_creds_load(path, &c, err, errlen);
	rfc2136_creds_clear(&c);
	if (r < 0)
		return r == -ENOMEM ? r : ACMED_EUSAGE;
	req->authn.dns_rfc2136_credentials = xstrdup(path);
	req->authn.dns_rfc2136_propagation_seconds = (int)secs;
	return req->authn.dns_rfc2136_credentials ? 0 : -ENOMEM;
}

/* --manual's hooks and --preferred-challenges. */
static int parse_challenge_options(struct json_object *args, enum authn_kind au,
				   struct issue_req *req, char *err, size_t errlen)
{
	const char *auth = issue_opt_str(args, IO_MANUAL_AUTH_HOOK);
	const char *cleanup = issue_opt_str(args, IO_MANUAL_CLEANUP_HOOK);
	const char *pref = issue_opt_str(args, IO_PREFERRED_CHALLENGES);
	const struct authn_info *info = &authn_infos[au];
	char canon[64], why[128];
	bool usable = false;
	int r;

	req->manual_prompt = au == AUTHN_MANUAL && str_empty(auth) && !cleanup &&
			     issue_opt_flag(args, IO_MANUAL_PROMPT);
	if (au == AUTHN_MANUAL ? str_empty(auth) && !req->manual_prompt : auth || cleanup) {
		snprintf(err, errlen, au == AUTHN_MANUAL ? "--manual needs --manual-auth-hook CMD: "
			 "acmed runs unattended and cannot ask you to put a response in place "
			 "(acmectl asks on a terminal, without -n)"
			 : "--manual-auth-hook and --manual-cleanup-hook go with --manual");
		return ACMED_EUSAGE;
	}
	if (pref) {
		if (authn_parse_preferred(pref, canon, sizeof(canon), why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--preferred-challenges: %s", why);
			return ACMED_EUSAGE;
		}
		for (const char *p = canon, *end; *p; p = *end ? end + 1 : end) {
			char type[32];

			end = p + strcspn(p, ",");
			snprintf(type, sizeof(type), "%.*s", (int)(end - p), p);
			usable |= authn_answers(au, type);
		}
		if (!usable) {
			snprintf(err, errlen, "--preferred-challenges %s: the %s authenticator answers "
					      "%s%s%s only",
				 pref, info->name, info->types[0], info->types[1] ? " and " : "",
				 info->types[1] ? info->types[1] : "");
			return ACMED_EUSAGE;
		}
	}
	r = parse_rfc2136_options(args, au, req, err, errlen);
	if (r < 0)
		return r;
	req->authn.manual_auth_hook = xstrdup(auth);
	req->authn.manual_cleanup_hook = xstrdup(cleanup && *cleanup ? cleanup : NULL);
	req->authn.preferred_challenges = pref ? xstrdup(canon) : NULL;
	return 0;
}

/* certbot's limits of --allow-subset-of-names, in its words. */
static int check_subset(const struct issue_req *req, char *err, size_t errlen)
{
	if (!req->allow_subset)
		return 0;
	if (req->csr) {
		snprintf(err, errlen, "--allow-subset-of-names cannot be used with --csr");
		return ACMED_EUSAGE;
	}
	for (size_t i = 0; i < req->ndomains; i++)
		if (strncmp(req->domains[i], "*.", 2) == 0)
			return snprintf(err, errlen, "Using --allow-subset-of-names with a wildcard "
						     "domain is not supported."), ACMED_EUSAGE;
	return 0;
}

/* Whether URL is a staging server acmed knows. */
static bool is_staging(const struct acmed_config *cfg, const char *url)
{
	for (size_t i = 0; i < cfg->ncas; i++)
		if (cfg->cas[i].staging && streq(cfg->cas[i].staging, url))
			return true;
	return streq(url, ACMED_LE_STAGING);
}

/* --staging: the staging server of the CA the request would go to. */
static int to_staging(const struct acmed_config *cfg, struct issue_req *req, char *err,
		      size_t errlen)
{
	const char *staging = config_staging_for(cfg, req->server);

	if (is_staging(cfg, req->server))
		return 0;
	if (!staging) {
		snprintf(err, errlen, "--staging: acmed knows no staging server for %s; "
				      "give it as staging = \"https://...\" in that CA's ca entry "
				      "of acmed.conf, or use --server", req->server);
		return ACMED_EUSAGE;
	}
	free(req->server);
	req->server = strdup(staging);
	return req->server ? 0 : -ENOMEM;
}

int issue_req_parse(struct json_object *args, const struct acmed_config *cfg,
		    struct issue_req *req, char *err, size_t errlen)
{
	struct json_object *domains;
	const char *authn;
	long long rsa_bits;
	int r;

	memset(req, 0, sizeof(*req));
	/* Types and limits first: below, every member is what the table says. */
	r = issue_opts_check(args, err, errlen);
	if (r == 0 && json_object_object_get_ex(args, issue_opts[IO_DOMAINS].key, &domains) &&
	    json_object_is_type(domains, json_type_array))
		for (size_t i = 0; r == 0 && i < json_object_array_length(domains); i++)
			r = add_domain(req,
				       json_object_get_string(json_object_array_get_idx(domains, i)),
				       err, errlen);
	if (r == 0 && issue_opt_str(args, IO_CSR))
		r = parse_csr(issue_opt_str(args, IO_CSR), req, err, errlen);
	if (r < 0)
		goto fail;
	if (req->ndomains == 0) {
		snprintf(err, errlen, "no domains given: use -d DOMAIN");
		r = ACMED_EUSAGE;
		goto fail;
	}
	req->cert_name = xstrdup(issue_opt_str(args, IO_CERT_NAME));
	if (req->cert_name && !store_name_valid(req->cert_name)) {
		snprintf(err, errlen, "--cert-name '%s' may only hold letters, digits, '.', '-' "
				      "and '_', and may not start with '.' or '-'", req->cert_name);
		r = ACMED_EUSAGE;
		goto fail;
	}
	authn = issue_opt_str(args, IO_AUTHENTICATOR);
	if (!authn || authn_find(authn) < 0) {
		snprintf(err, errlen, "choose how to prove control: --webroot -w DIR, --standalone, "
				      "--nginx, --manual --manual-auth-hook CMD or --dns-rfc2136 "
				      "--dns-rfc2136-credentials FILE");
		r = ACMED_EUSAGE;
		goto fail;
	}
	req->authn.name = strdup(authn);
	r = parse_challenge_options(args, (enum authn_kind)authn_find(authn), req, err, errlen);
	if (r < 0)
		goto fail;
	req->authn.http01_address = xstrdup(issue_opt_str(args, IO_HTTP01_ADDRESS));
	/* issue_opts_check() kept these within their options' limits. */
	req->authn.http01_port = (int)issue_opt_int(args, IO_HTTP01_PORT);
	req->authn.tlsalpn01_port = (int)issue_opt_int(args, IO_TLSALPN01_PORT);
	rsa_bits = issue_opt_int(args, IO_RSA_KEY_SIZE);
	r = parse_webroot_map(args, req, err, errlen);
	if (r == 0)
		r = default_webroot(args, req, err, errlen);
	if (r == 0 && authn_find(authn) == AUTHN_NGINX)
		r = nginx_webroot(cfg, req);
	if (r < 0)
		goto fail;
	if (req->csr && req->cert_name) {
		snprintf(err, errlen, "--cert-name cannot be used with --csr: no lineage is kept");
		r = ACMED_EUSAGE;
		goto fail;
	}
	/* Each key option given overrides its own acmed.conf setting only. */
	r = key_spec_parse(issue_opt_str(args, IO_KEY_TYPE) ? issue_opt_str(args, IO_KEY_TYPE) : cfg->key_type,
			   issue_opt_str(args, IO_ELLIPTIC_CURVE) ? issue_opt_str(args, IO_ELLIPTIC_CURVE)
							   : cfg->elliptic_curve,
			   rsa_bits ? (int)rsa_bits : cfg->rsa_key_size,
			   &req->key, err, errlen);
	if (r < 0) {
		r = ACMED_EUSAGE;
		goto fail;
	}
	req->reuse_key = issue_opt_flag(args, IO_REUSE_KEY);
	req->new_key = issue_opt_flag(args, IO_NEW_KEY);
	req->allow_subset = issue_opt_flag(args, IO_ALLOW_SUBSET);
	if ((r = check_subset(req, err, errlen)) < 0)
		goto fail;
	req->autorenew = issue_opt_flag(args, IO_AUTORENEW)      ? 1
			 : issue_opt_flag(args, IO_NO_AUTORENEW) ? 0
								 : -1;
	if ((req->reuse_key && issue_opt_flag(args, IO_NO_REUSE_KEY)) ||
	    (req->autorenew == 1 && issue_opt_flag(args, IO_NO_AUTORENEW))) {
		snprintf(err, errlen, "--%s and --no-%s contradict each other: give one",
			 req->reuse_key ? "reuse-key" : "autorenew",
			 req->reuse_key ? "reuse-key" : "autorenew");
		r = ACMED_EUSAGE;
		goto fail;
	}
	req->email = xstrdup(issue_opt_str(args, IO_EMAIL) ? issue_opt_str(args, IO_EMAIL) : cfg->email);
	req->unsafe_no_email = issue_opt_flag(args, IO_UNSAFE_NO_EMAIL);
	req->agree_tos = issue_opt_flag(args, IO_AGREE_TOS) || cfg->agree_tos;
	req->server = xstrdup(issue_opt_str(args, IO_SERVER) ? issue_opt_str(args, IO_SERVER) : cfg->server);
	if (req->server && issue_opt_flag(args, IO_STAGING) &&
	    (r = to_staging(cfg, req, err, errlen)) < 0)
		goto fail;
	req->preferred_chain = xstrdup(issue_opt_str(args, IO_PREFERRED_CHAIN));
	req->dry_run = issue_opt_flag(args, IO_DRY_RUN);
	req->user_agent = xstrdup(issue_opt_str(args, IO_USER_AGENT));
	req->issuance_timeout = (long)issue_opt_int(args, IO_ISSUANCE_TIMEOUT);
	req->eab_kid = xstrdup(issue_opt_str(args, IO_EAB_KID));
	req->eab_hmac_key = xstrdup(issue_opt_str(args, IO_EAB_HMAC_KEY));
	if (!req->eab_kid != !req->eab_hmac_key) {
		snprintf(err, errlen, "--eab-kid and --eab-hmac-key go together");
		r = ACMED_EUSAGE;
		goto fail;
	}
	if (req->eab_hmac_key && !b64url_valid(req->eab_hmac_key)) {
		snprintf(err, errlen, "--eab-hmac-key: not the base64url key the CA gave");
		r = ACMED_EUSAGE;
		goto fail;
	}
	r = parse_hooks_and_profile(args, req, err, errlen);
	if (r < 0)
		goto fail;
	if (req->email && !ident_emails_ok(req->email)) {
		snprintf(err, errlen, "--email '%s' is not an email address", req->email);
		r = ACMED_EUSAGE;
		goto fail;
	}
	if (!req->server || strncmp(req->server, "https://", 8) != 0) {
		snprintf(err, errlen, "--server must be an https:// URL");
		r = ACMED_EUSAGE;
		goto fail;
	}
	if (!req->authn.name)
		r = -ENOMEM;
	if (r == 0)
		return 0;
fail:
	issue_req_clear(req);
	return r;
}

int issue_req_aim_dry_run(struct issue_req *req, const struct acmed_config *cfg)
{
	const char *staging;

	if (!req->dry_run || is_staging(cfg, req->server))
		return 0;
	staging = config_staging_for(cfg, req->server);
	if (!staging) {
		req->validate_only = true;
		return 0;
	}
	free(req->server);
	req->server = strdup(staging);
	if (!req->email && cfg->email)
		req->email = strdup(cfg->email);
	req->unsafe_no_email = !req->email;
	req->agree_tos = true;
	/* A replaced certificate's ID means nothing to another CA. */
	free(req->replaces);
	req->replaces = NULL;
	return req->server && (req->email || !cfg->email) ? 0 : -ENOMEM;
}

/* A value of the request, else what the lineage had saved. */
static char *keep(char *given, char *old)
{
	return given ? given : old;
}

/* The renewal file for the new version: the request's settings, the
 * lineage's saved hooks (its alert_hook always), profile, User-Agent and
 * renew_before_expiry where the request gave none, and no failure state
 * (this attempt succeeded). */
/* The renewal file REQ makes (its settings, with what REQ leaves unset
 * kept from the lineage's old file), in *TEXT or saved. */
static int renewal_of(struct store *s, const struct issue_req *req, const char *account_id,
		      char **text)
{
	struct renewal old = { 0 };
	char err[512];
	bool have_old = store_exists(s, req->name) &&
			store_renewal_load(s, req->name, &old, err, sizeof(err)) == 0;
	struct renewal r = {
		.name = req->name,
		.domains = req->domains,
		.ndomains = req->ndomains,
		.server = req->server,
		.account = (char *)account_id,
		.authn = req->authn,
		.key = req->key,
		.reuse_key = req->reuse_key,
		.allow_subset = req->allow_subset,
		.no_autorenew = req->autorenew == 0 ||
				(req->autorenew < 0 && have_old && old.no_autorenew),
		.preferred_chain = req->preferred_chain,
		.renew_before = req->renew_before ? req->renew_before
						  : have_old ? old.renew_before : 0,
		.profile = keep(req->profile, have_old ? old.profile : NULL),
		.pre_hook = keep(req->pre_hook, have_old ? old.pre_hook : NULL),
		.post_hook = keep(req->post_hook, have_old ? old.post_hook : NULL),
		.deploy_hook = keep(req->deploy_hook, have_old ? old.deploy_hook : NULL),
		.user_agent = keep(req->user_agent, have_old ? old.user_agent : NULL),
		.alert_hook = have_old ? old.alert_hook : NULL,
	};
	int ret = text ? renewal_format(&r, text) : store_renewal_save(s, &r);

	renewal_clear(&old);
	return ret;
}

int issue_req_save_renewal(struct store *s, const struct issue_req *req, const char *account_id)
{
	return renewal_of(s, req, account_id, NULL);
}

int issue_req_renewal_text(struct store *s, const struct issue_req *req, const char *account_id,
			   char **text)
{
	*text = NULL;
	return renewal_of(s, req, account_id, text);
}
