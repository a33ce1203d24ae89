/* certbot renewal settings -> acmed renewal settings. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/certonly_nginx.h"
#include "ctl/import/certbot.h"
#include "util.h"

/* certbot's ACME v1 endpoint; certbot itself renews such lineages at v2. */
#define CERTBOT_V1_SERVER "https://acme-v01.api.letsencrypt.org/directory"

struct mapper {
	const struct cbconf_section *top, *params;
	const char *file;
	struct certbot_lineage *l;
	char *why;
	size_t whylen;
};

void certbot_lineage_clear(struct certbot_lineage *l)
{
	free(l->archive_dir);
	for (size_t i = 0; i < ELEMENTSOF(l->live); i++)
		free(l->live[i]);
	free(l->account);
	renewal_clear(&l->r);
	free(l->webroot_default);
	strv_free(l->notes, l->nnotes);
	memset(l, 0, sizeof(*l));
}

__attribute__((format(printf, 2, 3))) static int note(struct certbot_lineage *l, const char *fmt,
						      ...)
{
	char **notes = reallocarray(l->notes, l->nnotes + 1, sizeof(*notes));
	va_list ap;
	int r;

	if (!notes)
		return -ENOMEM;
	l->notes = notes;
	va_start(ap, fmt);
	r = vasprintf(&notes[l->nnotes], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	l->nnotes++;
	return 0;
}

/* Not importable: WHY says why. */
__attribute__((format(printf, 3, 4))) static int skip(struct mapper *m, int code, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->why, m->whylen, fmt, ap);
	va_end(ap);
	return code;
}

static int bad_value(struct mapper *m, const struct cbconf_value *v, const char *what)
{
	return skip(m, -EINVAL, "%s:%d: %s: %s", m->file, v->line, v->key, what);
}

/* Copy string setting KEY of S (absent or "None": *DST stays NULL). */
static int take_str(struct mapper *m, const struct cbconf_section *s, const char *key, char **dst)
{
	const struct cbconf_value *v = cbconf_get(s, key);
	const char *text = cbconf_str(s, key);

	if (v && v->is_list)
		return bad_value(m, v, "a single value was expected, not a list");
	if (!text || !*text)
		return 0;
	*dst = strdup(text);
	return *dst ? 0 : -ENOMEM;
}

static int take_int(struct mapper *m, const char *key, int min, int max, int *dst)
{
	const struct cbconf_value *v = cbconf_get(m->params, key);
	const char *text = cbconf_str(m->params, key);
	char *end;
	long n;

	if (v && v->is_list)
		return bad_value(m, v, "a number was expected, not a list");
	if (!text)
		return 0;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || n < min || n > max) {
		char what[64];

		snprintf(what, sizeof(what), "'%s' is not a number from %d to %d", text, min, max);
		return bad_value(m, v, what);
	}
	*dst = (int)n;
	return 0;
}

/* certbot's booleans: True or False, any case. -1 when absent. */
static int take_bool(struct mapper *m, const char *key, int *dst)
{
	const struct cbconf_value *v = cbconf_get(m->params, key);
	const char *text = cbconf_str(m->params, key);

	*dst = -1;
	if (!text)
		return v && v->is_list ? bad_value(m, v, "True or False was expected") : 0;
	if (strcasecmp(text, "true") == 0)
		*dst = 1;
	else if (strcasecmp(text, "false") == 0)
		*dst = 0;
	else
		return bad_value(m, v, "True or False was expected");
	return 0;
}

static int map_paths(struct mapper *m)
{
	static const char *const keys[] = { "privkey", "cert", "chain", "fullchain" };
	int r = take_str(m, m->top, "archive_dir", &m->l->archive_dir);

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(keys); i++)
		r = take_str(m, m->top, keys[i], &m->l->live[i]);
	if (r < 0)
		return r;
	if (!m->l->archive_dir)
		return skip(m, -EINVAL, "%s: archive_dir is missing", m->file);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (!m->l->live[i])
			return skip(m, -EINVAL, "%s: %s is missing", m->file, keys[i]);
	return 0;
}

static int map_webroot(struct mapper *m)
{
	const struct cbconf_section *map = cbconf_sub(m->params, "webroot_map");
	const struct cbconf_value *paths = cbconf_get(m->params, "webroot_path");
	struct authn_config *a = &m->l->r.authn;

	if (paths && paths->nitems > 0) {
		m->l->webroot_default = strdup(paths->items[paths->nitems - 1]);
		if (!m->l->webroot_default)
			return -ENOMEM;
	}
	if (!map)
		return 0;
	a->webroot = calloc(map->nvalues + 1, sizeof(*a->webroot));
	if (!a->webroot)
		return -ENOMEM;
	for (size_t i = 0; i < map->nvalues; i++) {
		const struct cbconf_value *v = &map->values[i];

		if (v->is_list || v->nitems != 1 || v->items[0][0] != '/')
			return bad_value(m, v, "the webroot must be one absolute path");
		a->webroot[i].domain = strdup(v->key);
		a->webroot[i].path = strdup(v->items[0]);
		a->nwebroot++;
		if (!a->webroot[i].domain || !a->webroot[i].path)
			return -ENOMEM;
	}
	return 0;
}

static int map_authenticator(struct mapper *m)
{
	struct authn_config *a = &m->l->r.authn;
	int r = take_str(m, m->params, "authenticator", &a->name);

	if (r < 0)
		return r;
	if (!a->name)
		return skip(m, -ENOTSUP, "%s: no authenticator is named", m->file);
	if (streq(a->name, "webroot"))
		return map_webroot(m);
	if (streq(a->name, "standalone")) {
		r = take_int(m, "http01_port", 1, 65535, &a->http01_port);
		return r < 0 ? r : take_str(m, m->params, "http01_address", &a->http01_address);
	}
	if (streq(a->name, "manual")) {
		r = take_str(m, m->params, "manual_auth_hook", &a->manual_auth_hook);
		if (r == 0)
			r = take_str(m, m->params, "manual_cleanup_hook", &a->manual_cleanup_hook);
		if (r == 0 && !a->manual_auth_hook)
			return skip(m, -ENOTSUP,
				    "authenticator manual without manual_auth_hook: it was answered by "
				    "hand and cannot renew unattended");
		return r;
	}
	if (streq(a->name, "nginx"))
		/* Its web root is acmed's own (certbot_complete_webroots()). */
		return note(m->l, "authenticator nginx: renewals answer from acmed's own challenge "
				  "directory, which nginx serves once 'acmectl certonly --nginx' has "
				  "added its include: run it once with this lineage's names");
	if (streq(a->name, "dns-rfc2136")) {
		r = take_str(m, m->params, "dns_rfc2136_credentials", &a->dns_rfc2136_credentials);
		if (r == 0)
			r = take_int(m, "dns_rfc2136_propagation_seconds", 0, 3600,
				     &a->dns_rfc2136_propagation_seconds);
		if (r == 0 && !a->dns_rfc2136_credentials)
			return skip(m, -ENOTSUP, "authenticator dns-rfc2136 without "
						 "dns_rfc2136_credentials");
		return r;
	}
	return skip(m, -ENOTSUP,
		    "authenticator '%s' has no acmed counterpart (acmed has webroot, standalone, "
		    "manual with an auth hook, dns-rfc2136, nginx)",
		    a->name);
}

static int map_challenges(struct mapper *m)
{
	const struct cbconf_value *v = cbconf_get(m->params, "pref_challs");
	char list[128] = "", canon[64], why[128];
	size_t used = 0;

	if (!v || v->nitems == 0 || (!v->is_list && streq(v->items[0], "None")))
		return 0;
	for (size_t i = 0; i < v->nitems; i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? "," : "", v->items[i]);

		if (n < 0 || (size_t)n >= sizeof(list) - used)
			return bad_value(m, v, "too many challenge types");
		used += (size_t)n;
	}
	if (authn_parse_preferred(list, canon, sizeof(canon), why, sizeof(why)) < 0)
		return bad_value(m, v, why);
	m->l->r.authn.preferred_challenges = strdup(canon);
	return m->l->r.authn.preferred_challenges ? 0 : -ENOMEM;
}

static int map_key(struct mapper *m)
{
	const char *type = cbconf_str(m->params, "key_type");
	const char *curve = cbconf_str(m->params, "elliptic_curve");
	int bits = 0, reuse, r;
	char why[160];

	r = take_int(m, "rsa_key_size", 1, 65536, &bits);
	if (r < 0)
		return r;
	m->l->key_type_given = type != NULL;
	if (key_spec_parse(type, curve, bits, &m->l->r.key, why, sizeof(why)) < 0)
		return skip(m, -ENOTSUP, "%s", why);
	r = take_bool(m, "reuse_key", &reuse);
	m->l->r.reuse_key = reuse == 1;
	return r;
}

static int map_hooks(struct mapper *m)
{
	struct renewal *rn = &m->l->r;
	int r = take_str(m, m->params, "pre_hook", &rn->pre_hook);

	if (r == 0)
		r = take_str(m, m->params, "post_hook", &rn->post_hook);
	/* certbot saves --deploy-hook under its old name, renew_hook. */
	if (r == 0)
		r = take_str(m, m->params, "renew_hook", &rn->deploy_hook);
	if (r == 0 && !rn->deploy_hook)
		r = take_str(m, m->params, "deploy_hook", &rn->deploy_hook);
	if (r == 0)
		r = take_str(m, m->params, "preferred_chain", &rn->preferred_chain);
	return r;
}

/* certbot's nginx installer reloaded nginx after each renewal: without a
 * deploy hook of the lineage's own, the one `acmectl run --nginx` saves
 * (for certbot's nginx_ctl and nginx_server_root) does it now. */
static int map_nginx_installer(struct mapper *m)
{
	const char *root = cbconf_str(m->params, "nginx_server_root");
	struct certonly_nginx o = { .ctl = cbconf_str(m->params, "nginx_ctl") };

	if (root && !streq(root, "/etc/nginx") && !streq(root, "/etc/nginx/"))
		o.server_root = root;
	if (o.ctl && streq(o.ctl, "nginx"))
		o.ctl = NULL;
	if (!m->l->r.deploy_hook && !(m->l->r.deploy_hook = certonly_nginx_reload_hook(&o)))
		return -ENOMEM;
	return note(m->l, "installer nginx: the deploy hook reloads nginx (%s); acmectl install "
			  "--nginx --cert-name NAME points nginx's server blocks at acmed's files",
		    m->l->r.deploy_hook);
}

/* The settings that change nothing acmed does, or that it says something
 * about itself. */
static int map_flags(struct mapper *m)
{
	const char *installer = cbconf_str(m->params, "installer");
	int staple, subset, autorenew, r;

	r = take_bool(m, "must_staple", &staple);
	if (r == 0)
		r = take_bool(m, "allow_subset_of_names", &subset);
	if (r == 0)
		r = take_bool(m, "autorenew", &autorenew);
	if (r < 0)
		return r;
	if (autorenew == 0) {
		m->l->r.no_autorenew = true;
		if ((r = note(m->l, "autorenew = False: carried over; acmed's timer leaves the "
				    "lineage alone (acmectl renew --cert-name NAME "
				    "--force-renewal renews it)")) < 0)
			return r;
	}
	if (staple == 1 && (r = note(m->l, "must_staple: acmed does not request OCSP Must-Staple; "
					   "renewed certificates will not carry it")) < 0)
		return r;
	if (subset == 1 && (r = note(m->l, "allow_subset_of_names: acmed renews all the names or "
					   "none")) < 0)
		return r;
	if (installer && streq(installer, "nginx"))
		return map_nginx_installer(m);
	if (installer && (r = note(m->l, "installer %s: acmed does not edit web server "
					 "configurations; a deploy hook reloads the server%s",
				   installer, m->l->r.deploy_hook ? "" : " (none is set)")) < 0)
		return r;
	return 0;
}

static bool known_param(const char *key, const char *installer)
{
	static const char *const keys[] = {
		"account", "server", "authenticator", "installer", "webroot_path", "http01_port",
		"http01_address", "manual_auth_hook", "manual_cleanup_hook",
		"dns_rfc2136_credentials", "dns_rfc2136_propagation_seconds", "pref_challs",
		"key_type", "elliptic_curve", "rsa_key_size", "reuse_key", "pre_hook", "post_hook",
		"renew_hook", "deploy_hook", "preferred_chain", "must_staple",
		"allow_subset_of_names", "autorenew",
		/* certbot's own directories and manners: nothing to carry over */
		"config_dir", "work_dir", "logs_dir", "user_agent", "manual_public_ip_logging_ok",
	};
	size_t n = installer ? strlen(installer) : 0;

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(key, keys[i]))
			return true;
	/* the installer's own settings ("nginx_server_root"): its note covers them */
	return n && strncmp(key, installer, n) == 0 && key[n] == '_';
}

static int note_unknown(struct mapper *m)
{
	static const char *const top_keys[] = { "version", "archive_dir", "cert", "privkey",
						"chain", "fullchain", "renew_before_expiry" };
	const char *installer = cbconf_str(m->params, "installer");
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->top->nvalues; i++) {
		bool known = false;

		for (size_t k = 0; k < ELEMENTSOF(top_keys); k++)
			known |= streq(m->top->values[i].key, top_keys[k]);
		if (!known)
			r = note(m->l, "%s (line %d) is not carried over", m->top->values[i].key,
				 m->top->values[i].line);
	}
	for (size_t i = 0; r == 0 && i < m->params->nvalues; i++)
		if (!known_param(m->params->values[i].key, installer))
			r = note(m->l, "%s (line %d) is not carried over", m->params->values[i].key,
				 m->params->values[i].line);
	for (size_t i = 0; r == 0 && i < m->params->nsubs; i++)
		if (!streq(m->params->subs[i]->name, "webroot_map"))
			r = note(m->l, "[[%s]] (line %d) is not carried over",
				 m->params->subs[i]->name, m->params->subs[i]->line);
	return r;
}

static int map_renew_before(struct mapper *m)
{
	const struct cbconf_value *v = cbconf_get(m->top, "renew_before_expiry");
	const char *text = cbconf_str(m->top, "renew_before_expiry");

	if (!text)
		return v && v->is_list ? bad_value(m, v, "a time such as '30 days' was expected") : 0;
	if (certbot_parse_interval(text, &m->l->r.renew_before) < 0)
		return note(m->l, "renew_before_expiry '%s' is not a plain interval (days, weeks, "
				  "hours...); acmed.conf's renew_before_expiry applies",
			    text);
	return 0;
}

static int map_server(struct mapper *m)
{
	struct renewal *rn = &m->l->r;
	int r = take_str(m, m->params, "server", &rn->server);

	if (r == 0)
		r = take_str(m, m->params, "account", &m->l->account);
	if (r < 0)
		return r;
	if (!rn->server)
		return skip(m, -ENOTSUP, "%s: no server is named", m->file);
	if (strncmp(rn->server, "https://", 8) != 0)
		return skip(m, -ENOTSUP, "server '%s' is not an https:// URL", rn->server);
	if (streq(rn->server, CERTBOT_V1_SERVER)) {
		free(rn->server);
		rn->server = strdup(CERTBOT_DEFAULT_SERVER);
		if (!rn->server)
			return -ENOMEM;
	}
	if (!m->l->account)
		return skip(m, -ENOTSUP, "%s: no account is named", m->file);
	return 0;
}

int certbot_map(const struct cbconf_section *root, const char *file, const char *name,
		struct certbot_lineage *out, char *why, size_t whylen)
{
	struct mapper m = { .top = root, .file = file, .l = out, .why = why, .whylen = whylen };
	int r;

	memset(out, 0, sizeof(*out));
	m.params = cbconf_sub(root, "renewalparams");
	if (!m.params)
		return skip(&m, -EINVAL, "%s: no [renewalparams] section", file);
	out->r.name = strdup(name);
	r = out->r.name ? map_paths(&m) : -ENOMEM;
	if (r == 0)
		r = map_server(&m);
	if (r == 0)
		r = map_authenticator(&m);
	if (r == 0)
		r = map_challenges(&m);
	if (r == 0)
		r = map_key(&m);
	if (r == 0)
		r = map_hooks(&m);
	if (r == 0)
		r = map_flags(&m);
	if (r == 0)
		r = map_renew_before(&m);
	if (r == 0)
		r = note_unknown(&m);
	if (r == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	if (r < 0)
		certbot_lineage_clear(out);
	return r;
}

int certbot_complete_webroots(struct certbot_lineage *l, char *const *domains, size_t n,
			      const char *nginx_webroot, char *why, size_t whylen)
{
	struct authn_config *a = &l->r.authn;
	struct webroot_entry *w;

	if (streq(a->name, "nginx")) {
		free(l->webroot_default);
		l->webroot_default = strdup(nginx_webroot);
		if (!l->webroot_default)
			return -ENOMEM;
	} else if (!streq(a->name, "webroot")) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (authn_webroot_for(a, domains[i]))
			continue;
		if (!l->webroot_default) {
			snprintf(why, whylen, "no webroot for %s: neither webroot_map nor "
					      "webroot_path names one", domains[i]);
			return -ENOTSUP;
		}
		w = reallocarray(a->webroot, a->nwebroot + 2, sizeof(*w));
		if (!w)
			return -ENOMEM;
		a->webroot = w;
		w[a->nwebroot].domain = strdup(domains[i]);
		w[a->nwebroot].path = strdup(l->webroot_default);
		memset(&w[a->nwebroot + 1], 0, sizeof(*w));
		a->nwebroot++;
		if (!w[a->nwebroot - 1].domain || !w[a->nwebroot - 1].path)
			return -ENOMEM;
	}
	return 0;
}

int certbot_parse_interval(const char *text, long *seconds)
{
	static const struct {
		const char *name;
		long secs;
	} units[] = {
		{ "s", 1 },	    { "sec", 1 },	{ "secs", 1 },	  { "second", 1 },
		{ "seconds", 1 },   { "min", 60 },	{ "mins", 60 },	  { "minute", 60 },
		{ "minutes", 60 },  { "h", 3600 },	{ "hr", 3600 },	  { "hrs", 3600 },
		{ "hour", 3600 },   { "hours", 3600 },	{ "d", 86400 },	  { "day", 86400 },
		{ "days", 86400 },  { "w", 604800 },	{ "wk", 604800 }, { "wks", 604800 },
		{ "week", 604800 }, { "weeks", 604800 },
	};
	const char *p = text;
	long total = 0;
	bool any = false;

	while (*p) {
		char unit[16];
		long n, mult = 0;
		size_t len;
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno || n > 3650L * 86400)
			return -EINVAL;
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (len == 0) {
			/* certbot reads a bare number as days */
			if (any || *p)
				return -EINVAL;
			mult = 86400;
		} else if (len < sizeof(unit)) {
			snprintf(unit, sizeof(unit), "%.*s", (int)len, p);
			for (size_t i = 0; i < ELEMENTSOF(units); i++)
				if (strcasecmp(unit, units[i].name) == 0)
					mult = units[i].secs;
		}
		if (!mult)
			return -EINVAL;
		p += len;
		total += n * mult;
		if (total > 3650L * 86400)
			return -EINVAL;
		any = true;
	}
	if (!any || total <= 0)
		return -EINVAL;
	*seconds = total;
	return 0;
}
