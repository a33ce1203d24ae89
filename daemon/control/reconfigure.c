/* reconfigure, the daemon's half (reconfigure.h). The request is read as a
 * certonly over the lineage's saved settings: the lineage's settings become
 * request members, the options given replace theirs, and issue_req_parse()
 * checks the whole as it checks certonly. A dry run with the result (the
 * same dry run as certonly's, issue_req_aim_dry_run()) must succeed before
 * the renewal file is rewritten, through the store's durable write. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctlproto.h"
#include "daemon/control/commands.h"
#include "daemon/control/conn.h"
#include "daemon/control/reconfigure.h"
#include "daemon/jobs/job.h"
#include "daemon/renew/batch.h"
#include "daemon/renew/scheduler.h"
#include "error.h"
#include "issue_opts.h"
#include "issue_req.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

/* A reconfiguration waiting for its dry run. */
struct reconf {
	char *name;
	char *old_text;  /* the renewal file as it was read: saved over only if unchanged */
	struct renewal next;
	struct json_object *changes;
};

static void reconf_free(void *ctx)
{
	struct reconf *p = ctx;

	if (!p)
		return;
	free(p->name);
	free(p->old_text);
	renewal_clear(&p->next);
	json_object_put(p->changes);
	free(p);
}

/* certonly's options that mean nothing here: reconfigure orders nothing but
 * its dry run, and keeps the lineage's names. */
static const bool refused[IO__MAX] = {
	[IO_CSR] = true,	 [IO_NEW_KEY] = true, [IO_FORCE_RENEWAL] = true,
	[IO_EXPAND] = true,	 [IO_DUPLICATE] = true,
};

/* The options that belong to one authenticator: dropped from the saved
 * settings when another authenticator is given. */
static const enum issue_opt authn_opts[] = {
	IO_WEBROOT_PATH,	IO_WEBROOT_MAP,		IO_HTTP01_ADDRESS,
	IO_HTTP01_PORT,		IO_TLSALPN01_PORT,	IO_MANUAL_AUTH_HOOK,
	IO_MANUAL_CLEANUP_HOOK, IO_RFC2136_CREDENTIALS, IO_RFC2136_PROPAGATION,
	IO_PREFERRED_CHALLENGES,
};

static const char *key_of(enum issue_opt o)
{
	return issue_opts[o].key;
}

static bool opt_given(struct json_object *args, enum issue_opt o)
{
	return json_object_object_get_ex(args, key_of(o), NULL);
}

static void put_str(struct json_object *o, enum issue_opt opt, const char *v)
{
	if (v)
		json_object_object_add(o, key_of(opt), json_object_new_string(v));
}

static void put_int(struct json_object *o, enum issue_opt opt, int v)
{
	if (v)
		json_object_object_add(o, key_of(opt), json_object_new_int(v));
}

static void put_flag(struct json_object *o, enum issue_opt opt)
{
	json_object_object_add(o, key_of(opt), json_object_new_boolean(1));
}

static struct json_object *webroot_pair(const char *domain, const char *path)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "domain", json_object_new_string(domain));
	json_object_object_add(e, "path", json_object_new_string(path));
	return e;
}

/* Lineage R's saved settings as certonly's request members. */
static struct json_object *saved_args(const struct renewal *r)
{
	struct json_object *o = json_object_new_object(), *map = json_object_new_array();
	struct json_object *domains = json_object_new_array();
	const struct authn_config *a = &r->authn;

	for (size_t i = 0; i < r->ndomains; i++)
		json_object_array_add(domains, json_object_new_string(r->domains[i]));
	json_object_object_add(o, key_of(IO_DOMAINS), domains);
	put_str(o, IO_AUTHENTICATOR, a->name);
	for (size_t i = 0; i < a->nwebroot; i++)
		json_object_array_add(map, webroot_pair(a->webroot[i].domain, a->webroot[i].path));
	json_object_object_add(o, key_of(IO_WEBROOT_MAP), map);
	put_str(o, IO_HTTP01_ADDRESS, a->http01_address);
	put_int(o, IO_HTTP01_PORT, a->http01_port);
	put_int(o, IO_TLSALPN01_PORT, a->tlsalpn01_port);
	put_str(o, IO_MANUAL_AUTH_HOOK, a->manual_auth_hook);
	put_str(o, IO_MANUAL_CLEANUP_HOOK, a->manual_cleanup_hook);
	put_str(o, IO_RFC2136_CREDENTIALS, a->dns_rfc2136_credentials);
	put_int(o, IO_RFC2136_PROPAGATION, a->dns_rfc2136_propagation_seconds);
	put_str(o, IO_PREFERRED_CHALLENGES, a->preferred_challenges);
	put_str(o, IO_KEY_TYPE, key_spec_type_name(&r->key));
	if (r->key.alg == KEY_ALG_RSA)
		put_int(o, IO_RSA_KEY_SIZE, r->key.rsa_bits);
	else
		put_str(o, IO_ELLIPTIC_CURVE, key_spec_curve_name(&r->key));
	if (r->reuse_key)
		put_flag(o, IO_REUSE_KEY);
	if (r->allow_subset)
		put_flag(o, IO_ALLOW_SUBSET);
	put_flag(o, r->no_autorenew ? IO_NO_AUTORENEW : IO_AUTORENEW);
	put_str(o, IO_SERVER, r->server);
	put_str(o, IO_PREFERRED_CHAIN, r->preferred_chain);
	put_str(o, IO_PROFILE, r->profile);
	put_str(o, IO_PRE_HOOK, r->pre_hook);
	put_str(o, IO_POST_HOOK, r->post_hook);
	put_str(o, IO_DEPLOY_HOOK, r->deploy_hook);
	put_str(o, IO_USER_AGENT, r->user_agent);
	return o;
}

/* --webroot-map given: its pairs, and the saved ones for the other names. */
static void merge_webroots(struct json_object *base, struct json_object *args)
{
	struct json_object *now = json_object_object_get(args, key_of(IO_WEBROOT_MAP));
	struct json_object *was = json_object_object_get(base, key_of(IO_WEBROOT_MAP));
	struct json_object *map = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(now); i++)
		json_object_array_add(map, json_object_get(json_object_array_get_idx(now, i)));
	for (size_t i = 0; i < json_object_array_length(was); i++) {
		struct json_object *e = json_object_array_get_idx(was, i);
		bool replaced = false;

		for (size_t k = 0; k < json_object_array_length(now); k++)
			replaced |= streq(jobj_str(e, "domain"),
					  jobj_str(json_object_array_get_idx(now, k), "domain"));
		if (!replaced)
			json_object_array_add(map, json_object_get(e));
	}
	json_object_object_add(base, key_of(IO_WEBROOT_MAP), map);
}

/* The options given in ARGS over the saved ones in BASE. A setting
 * replaced drops what went with the old one: another authenticator its
 * options, another key type its size or curve, -w the saved web roots. */
static void overlay(struct json_object *base, struct json_object *args)
{
	const char *auth = jobj_str(args, key_of(IO_AUTHENTICATOR));

	if (auth && !streq(auth, jobj_str(base, key_of(IO_AUTHENTICATOR))))
		for (size_t i = 0; i < ELEMENTSOF(authn_opts); i++)
			json_object_object_del(base, key_of(authn_opts[i]));
	if (opt_given(args, IO_WEBROOT_PATH))
		json_object_object_del(base, key_of(IO_WEBROOT_MAP));
	else if (json_object_is_type(json_object_object_get(args, key_of(IO_WEBROOT_MAP)),
				     json_type_array))
		merge_webroots(base, args);
	if (opt_given(args, IO_KEY_TYPE) &&
	    !streq(jobj_str(args, key_of(IO_KEY_TYPE)), jobj_str(base, key_of(IO_KEY_TYPE)))) {
		json_object_object_del(base, key_of(IO_ELLIPTIC_CURVE));
		json_object_object_del(base, key_of(IO_RSA_KEY_SIZE));
	}
	if (opt_given(args, IO_NO_REUSE_KEY))
		json_object_object_del(base, key_of(IO_REUSE_KEY));
	if (opt_given(args, IO_AUTORENEW) || opt_given(args, IO_NO_AUTORENEW)) {
		json_object_object_del(base, key_of(IO_AUTORENEW));
		json_object_object_del(base, key_of(IO_NO_AUTORENEW));
	}
	json_object_object_foreach(args, k, v) {
		if (!streq(k, key_of(IO_WEBROOT_MAP)) || !json_object_is_type(v, json_type_array))
			json_object_object_add(base, k, json_object_get(v));
	}
}

static bool holds(const struct lineage_entry *e, const char *domain)
{
	for (size_t i = 0; domain && i < e->conf.ndomains; i++)
		if (strcasecmp(e->conf.domains[i], domain) == 0)
			return true;
	return false;
}

/* What the request cannot do: 0, or an error reply to C. */
static int refuse_request(struct daemon *d, struct conn *c, struct json_object *args,
		  const struct lineage_entry *e)
{
	struct json_object *v;
	char name[64];

	if (json_object_object_get_ex(args, key_of(IO_DOMAINS), &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
		conn_reply_error(c, -EINVAL, "You have specified domains, but this function cannot "
			"be used to modify the domains in a certificate. If you would like to do so, "
			"use acmectl certonly --cert-name %s with every -d DOMAIN the certificate is "
			"to have. Otherwise, remove the domains from the command to continue "
			"reconfiguring. You can specify which certificate you want on the command "
			"line with flag --cert-name instead.", e->name);
		return -1;
	}
	for (int i = 0; i < IO__MAX; i++) {
		if (refused[i] && opt_given(args, (enum issue_opt)i)) {
			conn_reply_error(c, ACMED_EUSAGE, "%s has no meaning for reconfigure: it changes "
				"the settings saved for renewals and orders nothing but its dry run",
				issue_opt_name((enum issue_opt)i, name, sizeof(name)));
			return -1;
		}
	}
	v = json_object_object_get(args, key_of(IO_WEBROOT_MAP));
	for (size_t i = 0; json_object_is_type(v, json_type_array) &&
			   i < json_object_array_length(v); i++) {
		const char *dom = jobj_str(json_object_array_get_idx(v, i), "domain");

		if (!holds(e, dom)) {
			conn_reply_error(c, -EINVAL, "--webroot-map names %s, which certificate %s does "
				"not hold; reconfigure cannot change the names (acmectl certonly "
				"--cert-name %s --expand -d ... does)", str_or_empty(dom), e->name, e->name);
			return -1;
		}
	}
	if (job_busy(d, e->name)) {
		conn_reply_error(c, -EBUSY, "a job is already running for %s; try again when it "
			"is done", e->name);
		return -1;
	}
	return 0;
}


/* ---- the settings saved, before and after ---- */

/* V, or NULL for "" (an option given empty clears its setting). */
static char *dup_set(const char *v)
{
	return v && *v ? strdup(v) : NULL;
}

static int replace_str(char **field, const char *v)
{
	free(*field);
	*field = dup_set(v);
	return v && *v && !*field ? -ENOMEM : 0;
}

/* NEXT: OLD's renewal file with REQ's settings. A new server drops the
 * account: the next renewal uses (or registers) one at that CA. */
static int next_settings(const struct renewal *old, const struct issue_req *req,
			 struct renewal *next)
{
	char *text = NULL, err[512];
	bool same_ca = streq(old->server, req->server);
	int r = renewal_format(old, &text);

	if (r == 0)
		r = renewal_parse(text, old->name, next, err, sizeof(err));
	free(text);
	if (r < 0)
		return r == -ENOMEM ? r : ACMED_ECORRUPT;
	authn_config_clear(&next->authn);
	r = authn_config_copy(&req->authn, &next->authn);
	next->key = req->key;
	next->reuse_key = req->reuse_key;
	next->allow_subset = req->allow_subset;
	next->no_autorenew = req->autorenew == 0;
	if (r == 0 && !same_ca)
		r = replace_str(&next->account, NULL);
	if (r == 0)
		r = replace_str(&next->server, req->server);
	if (r == 0)
		r = replace_str(&next->preferred_chain, req->preferred_chain);
	if (r == 0)
		r = replace_str(&next->profile, req->profile);
	if (r == 0)
		r = replace_str(&next->pre_hook, req->pre_hook);
	if (r == 0)
		r = replace_str(&next->post_hook, req->post_hook);
	if (r == 0)
		r = replace_str(&next->deploy_hook, req->deploy_hook);
	if (r == 0)
		r = replace_str(&next->user_agent, req->user_agent);
	return r;
}

/* The settings reconfigure can change, in the words of their options. */
enum setting {
	S_AUTHENTICATOR, S_WEBROOT, S_HTTP01_ADDRESS, S_HTTP01_PORT, S_TLSALPN01_PORT,
	S_MANUAL_AUTH_HOOK, S_MANUAL_CLEANUP_HOOK, S_RFC2136_CREDENTIALS, S_RFC2136_PROPAGATION,
	S_PREFERRED_CHALLENGES, S_KEY, S_REUSE_KEY, S_ALLOW_SUBSET, S_AUTORENEW, S_SERVER, S_ACCOUNT,
	S_PREFERRED_CHAIN, S_PROFILE, S_PRE_HOOK, S_POST_HOOK, S_DEPLOY_HOOK, S_USER_AGENT,
	S__MAX,
};

static const char *const setting_names[S__MAX] = {
	[S_AUTHENTICATOR] = "authenticator",
	[S_WEBROOT] = "webroot-map",
	[S_HTTP01_ADDRESS] = "http-01-address",
	[S_HTTP01_PORT] = "http-01-port",
	[S_TLSALPN01_PORT] = "tls-alpn-01-port",
	[S_MANUAL_AUTH_HOOK] = "manual-auth-hook",
	[S_MANUAL_CLEANUP_HOOK] = "manual-cleanup-hook",
	[S_RFC2136_CREDENTIALS] = "dns-rfc2136-credentials",
	[S_RFC2136_PROPAGATION] = "dns-rfc2136-propagation-seconds",
	[S_PREFERRED_CHALLENGES] = "preferred-challenges",
	[S_KEY] = "key",
	[S_REUSE_KEY] = "reuse-key",
	[S_ALLOW_SUBSET] = "allow-subset-of-names",
	[S_AUTORENEW] = "autorenew",
	[S_SERVER] = "server",
	[S_ACCOUNT] = "account",
	[S_PREFERRED_CHAIN] = "preferred-chain",
	[S_PROFILE] = "profile",
	[S_PRE_HOOK] = "pre-hook",
	[S_POST_HOOK] = "post-hook",
	[S_DEPLOY_HOOK] = "deploy-hook",
	[S_USER_AGENT] = "user-agent",
};
_Static_assert(ELEMENTSOF(setting_names) == S__MAX, "every setting needs a name");

static char *number_text(int v)
{
	char *s = NULL;

	return v && asprintf(&s, "%d", v) >= 0 ? s : NULL;
}

/* "a.example=/var/www/a, b.example=/var/www/b", or NULL for none. */
static char *webroots_text(const struct authn_config *a)
{
	char *s = NULL, *t;

	for (size_t i = 0; i < a->nwebroot; i++) {
		if (asprintf(&t, "%s%s%s=%s", s ? s : "", s ? ", " : "", a->webroot[i].domain,
			     a->webroot[i].path) < 0)
			t = NULL;
		free(s);
		if (!(s = t))
			return NULL;
	}
	return s;
}

/* Setting S of R as text (caller frees), NULL for none. */
static char *setting_text(const struct renewal *r, enum setting s)
{
	const struct authn_config *a = &r->authn;
	char *t = NULL;

	switch (s) {
	case S_AUTHENTICATOR: return xstrdup(a->name);
	case S_WEBROOT: return webroots_text(a);
	case S_HTTP01_ADDRESS: return xstrdup(a->http01_address);
	case S_HTTP01_PORT: return number_text(a->http01_port);
	case S_TLSALPN01_PORT: return number_text(a->tlsalpn01_port);
	case S_MANUAL_AUTH_HOOK: return xstrdup(a->manual_auth_hook);
	case S_MANUAL_CLEANUP_HOOK: return xstrdup(a->manual_cleanup_hook);
	case S_RFC2136_CREDENTIALS: return xstrdup(a->dns_rfc2136_credentials);
	case S_RFC2136_PROPAGATION: return number_text(a->dns_rfc2136_propagation_seconds);
	case S_PREFERRED_CHALLENGES: return xstrdup(a->preferred_challenges);
	case S_KEY:
		if (r->key.alg == KEY_ALG_RSA ? asprintf(&t, "rsa %d", r->key.rsa_bits) < 0
					      : asprintf(&t, "ecdsa %s", key_spec_curve_name(&r->key)) < 0)
			t = NULL;
		return t;
	case S_REUSE_KEY: return strdup(r->reuse_key ? "yes" : "no");
	case S_ALLOW_SUBSET: return strdup(r->allow_subset ? "yes" : "no");
	case S_AUTORENEW: return strdup(r->no_autorenew ? "no" : "yes");
	case S_SERVER: return xstrdup(r->server);
	case S_ACCOUNT: return xstrdup(r->account);
	case S_PREFERRED_CHAIN: return xstrdup(r->preferred_chain);
	case S_PROFILE: return xstrdup(r->profile);
	case S_PRE_HOOK: return xstrdup(r->pre_hook);
	case S_POST_HOOK: return xstrdup(r->post_hook);
	case S_DEPLOY_HOOK: return xstrdup(r->deploy_hook);
	case S_USER_AGENT: return xstrdup(r->user_agent);
	case S__MAX: break;
	}
	return NULL;
}

static struct json_object *text_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* [{"setting", "old", "new"}...] for the settings that differ. */
static struct json_object *setting_changes(const struct renewal *old, const struct renewal *next)
{
	struct json_object *list = json_object_new_array();

	for (int s = 0; list && s < S__MAX; s++) {
		char *a = setting_text(old, (enum setting)s), *b = setting_text(next, (enum setting)s);

		if (!streq(a ? a : "", b ? b : "")) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "setting", json_object_new_string(setting_names[s]));
			json_object_object_add(o, "old", text_or_null(a));
			json_object_object_add(o, "new", text_or_null(b));
			json_object_array_add(list, o);
		}
		free(a);
		free(b);
	}
	return list;
}

/* ---- after the dry run ---- */

/* Write P's settings, if the renewal file is still the one read. */
static int save_settings(struct daemon *d, struct reconf *p, char *err, size_t errlen)
{
	struct renewal now;
	char *text = NULL;
	int r = store_renewal_load(d->store, p->name, &now, err, errlen);

	if (r == 0) {
		r = renewal_format(&now, &text);
		renewal_clear(&now);
	}
	if (r == 0 && !streq(text, p->old_text)) {
		snprintf(err, errlen, "renewal/%s.conf changed while the dry run ran, so it was left "
				      "as it is; run reconfigure again", p->name);
		r = -EBUSY;
	} else if (r == 0 && json_object_array_length(p->changes) > 0) {
		r = store_renewal_save(d->store, &p->next);
		if (r < 0)
			snprintf(err, errlen, "the dry run succeeded, but renewal/%s.conf could not be "
					      "written: %s", p->name, acmed_strerror(r));
		else
			log_info("reconfigured %s: %zu setting(s) changed", p->name,
				 json_object_array_length(p->changes));
	}
	free(text);
	index_refresh(&d->index, d->store, p->name);
	d->dirty = true;
	return r;
}

static void dry_run_done(struct daemon *d, void *ctx, const char *name, struct json_object *reply)
{
	struct reconf *p = ctx;
	struct json_object *data = NULL, *error = NULL;
	char err[1024], *path;
	int status = (int)jobj_int(reply, "status", -1), r;

	(void)name;
	if (status != 0) {
		json_object_object_get_ex(reply, "error", &error);
		snprintf(err, sizeof(err), "the dry run with the new settings failed, so "
					   "renewal/%s.conf was not changed: %s", p->name,
			 str_or_empty(jobj_str(error, "message")));
		ctl_reply_set_error(reply, status, jobj_str(error, "code"), err);
		return;
	}
	r = save_settings(d, p, err, sizeof(err));
	if (r < 0) {
		json_object_object_del(reply, "data");
		ctl_reply_set_error(reply, r, NULL, err);
		return;
	}
	if (!json_object_object_get_ex(reply, "data", &data) ||
	    !json_object_is_type(data, json_type_object)) {
		data = json_object_new_object();
		json_object_object_add(reply, "data", data);
	}
	path = store_renewal_path(d->store, p->name);
	json_object_object_add(data, "name", json_object_new_string(p->name));
	json_object_object_add(data, "renewal_file", json_object_new_string(str_or_empty(path)));
	json_object_object_add(data, "reconfigured", json_object_new_boolean(1));
	json_object_object_add(data, "changes", json_object_get(p->changes));
	/* In cluster mode acmectl puts the settings in etcd too: SETTINGS,
	 * as saved here, without this host's state. Also when nothing
	 * changed: reconfigure run again after etcd did not answer. */
	commands_cluster_reply(d, data);
	if (json_object_object_get_ex(data, "cluster_prefix", NULL)) {
		char *settings = NULL;

		if (renewal_format_settings(&p->next, &settings) == 0)
			json_object_object_add(data, "settings", json_object_new_string(settings));
		free(settings);
	}
	free(path);
}

/* ---- the command ---- */

/* The request REQ for lineage E: the saved settings with ARGS over them,
 * checked as certonly's. 0, or an error reply to C. */
static int new_request(struct daemon *d, struct conn *c, struct json_object *args,
		       const struct lineage_entry *e, struct issue_req *req)
{
	struct json_object *all = saved_args(&e->conf);
	char err[512];
	int r;

	overlay(all, args);
	r = issue_req_parse(all, &d->cfg, req, err, sizeof(err));
	json_object_put(all);
	if (r < 0) {
		conn_reply_error(c, r, "%s", err);
		return r;
	}
	free(req->name);
	free(req->cert_name);
	req->name = strdup(e->name);
	req->cert_name = strdup(e->name);
	req->renewal = true;
	req->renew_before = e->conf.renew_before;
	if (!req->name || !req->cert_name) {
		issue_req_clear(req);
		conn_reply_error(c, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* The pending reconfiguration of E to REQ's settings; NULL if out of memory. */
static struct reconf *reconf_new(const struct lineage_entry *e, const struct issue_req *req)
{
	struct reconf *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(e->name);
	if (!p->name || renewal_format(&e->conf, &p->old_text) < 0 ||
	    next_settings(&e->conf, req, &p->next) < 0 ||
	    !(p->changes = setting_changes(&e->conf, &p->next))) {
		reconf_free(p);
		return NULL;
	}
	return p;
}

/* The dry run of REQ (moved) for C, with P (moved) to save after it. */
static void submit_dry_run(struct daemon *d, struct conn *c, struct issue_req *req, struct reconf *p,
		   int verbosity)
{
	struct batch_opts o = { .kind = BATCH_CERTONLY, .dry_run = true, .verbosity = verbosity,
				.on_result = sched_job_result, .on_job = dry_run_done, .ctx = p,
				.ctx_free = reconf_free };
	struct batch *b = batch_new(d, c, &o);
	int r = b ? batch_add(d, b, req) : -ENOMEM;

	if (!b)
		reconf_free(p);
	if (r < 0) {
		if (b)
			batch_abandon(d, b);
		issue_req_clear(req);
		conn_reply_error(c, r, "could not start the dry run: %s", acmed_strerror(r));
		return;
	}
	batch_start(d, b);
}

void reconfigure_command(struct daemon *d, struct conn *c, struct json_object *args)
{
	const char *name = issue_opt_str(args, IO_CERT_NAME);
	const struct lineage_entry *e = name ? index_get(&d->index, name) : NULL;
	struct issue_req req;
	struct reconf *p;

	if (!name) {
		conn_reply_error(c, ACMED_EUSAGE, "reconfigure: say which certificate with "
						  "--cert-name NAME; 'acmectl certificates' lists them");
		return;
	}
	if (!e) {
		conn_reply_error(c, -ENOENT, "An existing certificate with name %s could not be "
			"found. Run `acmectl certificates` to list available certificates.", name);
		return;
	}
	if (!e->have_conf) {
		conn_reply_error(c, ACMED_ECORRUPT, "%s; fix or delete lineage %s first (acmectl "
			"check names what is wrong)", str_or_empty(e->problem), e->name);
		return;
	}
	if (refuse_request(d, c, args, e) < 0 || new_request(d, c, args, e, &req) < 0)
		return;
	p = reconf_new(e, &req);
	req.dry_run = true;
	if (!p || issue_req_aim_dry_run(&req, &d->cfg) < 0) {
		reconf_free(p);
		issue_req_clear(&req);
		conn_reply_error(c, -ENOMEM, "out of memory");
		return;
	}
	submit_dry_run(d, c, &req, p, ctl_verbosity(args));
}
