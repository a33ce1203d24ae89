#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "conftext.h"
#include "store/renewal.h"
#include "timefmt.h"
#include "util.h"

#define RENEWAL_FORMAT 1

void authn_config_clear(struct authn_config *a)
{
	free(a->name);
	for (size_t i = 0; i < a->nwebroot; i++) {
		free(a->webroot[i].domain);
		free(a->webroot[i].path);
	}
	free(a->webroot);
	free(a->http01_address);
	free(a->manual_auth_hook);
	free(a->manual_cleanup_hook);
	free(a->preferred_challenges);
	free(a->dns_rfc2136_credentials);
	memset(a, 0, sizeof(*a));
}

int authn_parse_preferred(const char *text, char *canon, size_t len, char *err, size_t errlen)
{
	static const char *const names[][2] = {
		{ "dns", "dns-01" }, { "dns-01", "dns-01" }, { "http", "http-01" },
		{ "http-01", "http-01" }, { "tls-alpn", "tls-alpn-01" },
		{ "tls-alpn-01", "tls-alpn-01" },
	};
	char item[32];
	size_t used = 0;

	canon[0] = '\0';
	for (const char *p = text, *end; p && *p; p = *end ? end + 1 : end) {
		const char *type = NULL;
		size_t n;

		end = p + strcspn(p, ",");
		while (p < end && *p == ' ')
			p++;
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0)
			continue;
		snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) ? n : sizeof(item) - 1),
			 p);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcasecmp(item, names[i][0]) == 0)
				type = names[i][1];
		if (!type) {
			snprintf(err, errlen, "'%s' is not a challenge type: say dns, http or tls-alpn",
				 item);
			return -EINVAL;
		}
		if (strstr(canon, type))
			continue;
		if (used + strlen(type) + 2 > len)
			return -EINVAL;
		used += (size_t)snprintf(canon + used, len - used, "%s%s", used ? "," : "", type);
	}
	if (!used) {
		snprintf(err, errlen, "no challenge type given");
		return -EINVAL;
	}
	return 0;
}

int authn_config_copy(const struct authn_config *src, struct authn_config *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->name = xstrdup(src->name);
	dst->http01_address = xstrdup(src->http01_address);
	dst->http01_port = src->http01_port;
	dst->tlsalpn01_port = src->tlsalpn01_port;
	dst->manual_auth_hook = xstrdup(src->manual_auth_hook);
	dst->manual_cleanup_hook = xstrdup(src->manual_cleanup_hook);
	dst->preferred_challenges = xstrdup(src->preferred_challenges);
	dst->dns_rfc2136_credentials = xstrdup(src->dns_rfc2136_credentials);
	dst->dns_rfc2136_propagation_seconds = src->dns_rfc2136_propagation_seconds;
	if ((src->manual_auth_hook && !dst->manual_auth_hook) ||
	    (src->dns_rfc2136_credentials && !dst->dns_rfc2136_credentials) ||
	    (src->manual_cleanup_hook && !dst->manual_cleanup_hook) ||
	    (src->preferred_challenges && !dst->preferred_challenges))
		goto oom;
	dst->webroot = calloc(src->nwebroot + 1, sizeof(*dst->webroot));
	if (!dst->webroot)
		goto oom;
	for (size_t i = 0; i < src->nwebroot; i++) {
		dst->webroot[i].domain = xstrdup(src->webroot[i].domain);
		dst->webroot[i].path = xstrdup(src->webroot[i].path);
		dst->nwebroot++;
		if (!dst->webroot[i].domain || !dst->webroot[i].path)
			goto oom;
	}
	if ((src->name && !dst->name) || (src->http01_address && !dst->http01_address))
		goto oom;
	return 0;
oom:
	authn_config_clear(dst);
	return -ENOMEM;
}

const char *authn_webroot_for(const struct authn_config *a, const char *domain)
{
	for (size_t i = 0; i < a->nwebroot; i++)
		if (streq(a->webroot[i].domain, domain))
			return a->webroot[i].path;
	return NULL;
}

void renewal_clear(struct renewal *r)
{
	free(r->name);
	strv_free(r->domains, r->ndomains);
	free(r->server);
	free(r->account);
	authn_config_clear(&r->authn);
	free(r->preferred_chain);
	free(r->profile);
	free(r->pre_hook);
	free(r->post_hook);
	free(r->deploy_hook);
	free(r->alert_hook);
	free(r->user_agent);
	renewal_state_clear(&r->state);
	free(r->revoked_reason);
	free(r->revoked_serial);
	memset(r, 0, sizeof(*r));
}

void renewal_state_clear(struct renewal_state *st)
{
	free(st->last_error);
	memset(st, 0, sizeof(*st));
}

time_t renewal_renew_at(const struct renew_plan *p, const struct renewal_state *st)
{
	time_t at = p->ari ? p->ari_pick
			   : (time_t)renewal_due(p->not_before, p->not_after, p->renew_before) +
				     p->jitter;

	if (st->failures > 0 && st->next_attempt > at)
		at = st->next_attempt;
	if (st->retry_after > at)
		at = st->retry_after;
	return at;
}

long renewal_jitter_cap(long not_before, long not_after, long renew_before, long jitter)
{
	long window = not_after - renewal_due(not_before, not_after, renew_before);
	long cap = window > 0 ? window / 4 : 0;

	return jitter < cap ? jitter : cap;
}

long renewal_backoff(int failures)
{
	static const long steps[] = { 60, 600, 6000, 86400 };

	if (failures < 1)
		return 0;
	return steps[(size_t)failures > ELEMENTSOF(steps) ? ELEMENTSOF(steps) - 1
							  : (size_t)failures - 1];
}

int renewal_state_fail(struct renewal_state *st, time_t now, const char *error,
		       time_t retry_after)
{
	char *e = xstrdup(error);

	if (error && !e)
		return -ENOMEM;
	free(st->last_error);
	st->last_error = e;
	st->failures++;
	st->last_attempt = now;
	st->next_attempt = now + renewal_backoff(st->failures);
	/* No CA (or worker) defers a renewal more than a week. */
	if (retry_after > now + RENEWAL_RETRY_AFTER_MAX)
		retry_after = now + RENEWAL_RETRY_AFTER_MAX;
	st->retry_after = retry_after > now ? retry_after : 0;
	if (st->retry_after > st->next_attempt)
		st->next_attempt = st->retry_after;
	return 0;
}

static void add_string(config_setting_t *parent, const char *name, const char *value)
{
	if (value)
		config_setting_set_string(config_setting_add(parent, name, CONFIG_TYPE_STRING),
					  value);
}

static void add_time(config_setting_t *parent, const char *name, time_t t)
{
	char buf[32];

	if (t > 0) {
		timefmt_format_rfc3339(t, buf, sizeof(buf));
		add_string(parent, name, buf);
	}
}

static void format_state(config_setting_t *root, const struct renewal_state *st)
{
	config_setting_t *grp = config_setting_add(root, "state", CONFIG_TYPE_GROUP);

	config_setting_set_int(config_setting_add(grp, "failures", CONFIG_TYPE_INT), st->failures);
	add_time(grp, "last_attempt", st->last_attempt);
	add_time(grp, "next_attempt", st->next_attempt);
	add_time(grp, "retry_after", st->retry_after);
	add_string(grp, "last_error", st->last_error);
}

int renewal_format(const struct renewal *r, char **text)
{
	config_t cfg;
	config_setting_t *root, *list, *grp;
	FILE *f;
	size_t len;
	int ret = -ENOMEM;

	config_init(&cfg);
	root = config_root_setting(&cfg);
	config_setting_set_int(config_setting_add(root, "format", CONFIG_TYPE_INT), RENEWAL_FORMAT);
	add_string(root, "name", r->name);
	list = config_setting_add(root, "domains", CONFIG_TYPE_ARRAY);
	for (size_t i = 0; i < r->ndomains; i++)
		config_setting_set_string_elem(list, -1, r->domains[i]);
	add_string(root, "server", r->server);
	add_string(root, "account", r->account);
	add_string(root, "key_type", key_spec_type_name(&r->key));
	if (r->key.alg == KEY_ALG_EC)
		add_string(root, "elliptic_curve", key_spec_curve_name(&r->key));
	else
		config_setting_set_int(config_setting_add(root, "rsa_key_size", CONFIG_TYPE_INT),
				       r->key.rsa_bits);
	config_setting_set_bool(config_setting_add(root, "reuse_key", CONFIG_TYPE_BOOL),
				r->reuse_key);
	if (r->no_autorenew)
		config_setting_set_bool(config_setting_add(root, "autorenew", CONFIG_TYPE_BOOL),
					false);
	if (r->allow_subset)
		config_setting_set_bool(config_setting_add(root, "allow_subset_of_names",
							   CONFIG_TYPE_BOOL),
					true);
	add_string(root, "preferred_chain", r->preferred_chain);
	if (r->renew_before > 0) {
		char dur[32];

		timefmt_format_duration(r->renew_before, dur, sizeof(dur));
		add_string(root, "renew_before_expiry", dur);
	}
	add_string(root, "profile", r->profile);
	add_string(root, "pre_hook", r->pre_hook);
	add_string(root, "post_hook", r->post_hook);
	add_string(root, "deploy_hook", r->deploy_hook);
	add_string(root, "alert_hook", r->alert_hook);
	add_string(root, "user_agent", r->user_agent);
	grp = config_setting_add(root, "authenticator", CONFIG_TYPE_GROUP);
	add_string(grp, "name", r->authn.name);
	if (r->authn.nwebroot) {
		list = config_setting_add(grp, "webroot_map", CONFIG_TYPE_LIST);
		for (size_t i = 0; i < r->authn.nwebroot; i++) {
			config_setting_t *e = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);

			add_string(e, "domain", r->authn.webroot[i].domain);
			add_string(e, "path", r->authn.webroot[i].path);
		}
	}
	add_string(grp, "http01_address", r->authn.http01_address);
	if (r->authn.http01_port)
		config_setting_set_int(config_setting_add(grp, "http01_port", CONFIG_TYPE_INT),
				       r->authn.http01_port);
	if (r->authn.tlsalpn01_port)
		config_setting_set_int(config_setting_add(grp, "tlsalpn01_port", CONFIG_TYPE_INT),
				       r->authn.tlsalpn01_port);
	add_string(grp, "manual_auth_hook", r->authn.manual_auth_hook);
	add_string(grp, "manual_cleanup_hook", r->authn.manual_cleanup_hook);
	add_string(grp, "preferred_challenges", r->authn.preferred_challenges);
	add_string(grp, "dns_rfc2136_credentials", r->authn.dns_rfc2136_credentials);
	if (r->authn.dns_rfc2136_propagation_seconds)
		config_setting_set_int(config_setting_add(grp, "dns_rfc2136_propagation_seconds",
							  CONFIG_TYPE_INT),
				       r->authn.dns_rfc2136_propagation_seconds);
	if (r->state.failures > 0 || r->state.retry_after > 0)
		format_state(root, &r->state);
	if (r->revoked) {
		grp = config_setting_add(root, "revoked", CONFIG_TYPE_GROUP);
		add_time(grp, "at", r->revoked_at);
		add_string(grp, "reason", r->revoked_reason);
		add_string(grp, "serial", r->revoked_serial);
	}
	f = open_memstream(text, &len);
	if (f) {
		fputs("# acmed renewal configuration. Written by acmed; edit with care.\n", f);
		config_write(&cfg, f);
		ret = fclose(f) == 0 ? 0 : -ENOMEM;
	}
	config_destroy(&cfg);
	return ret;
}

int renewal_format_settings(const struct renewal *r, char **text)
{
	struct renewal settings = *r; /* shallow: only read */

	memset(&settings.state, 0, sizeof(settings.state));
	settings.revoked = false;
	settings.revoked_at = 0;
	settings.revoked_reason = settings.revoked_serial = NULL;
	return renewal_format(&settings, text);
}

/* The authenticator's integer settings: key, name in messages, bound. */
static const struct {
	const char *key, *name, *what;
	int max;
	size_t offset; /* in struct authn_config */
} authn_ints[] = {
	{ "dns_rfc2136_propagation_seconds", "authenticator.dns_rfc2136_propagation_seconds",
	  "a number of seconds", 3600, offsetof(struct authn_config, dns_rfc2136_propagation_seconds) },
	{ "http01_port", "authenticator.http01_port", "a port number", 65535,
	  offsetof(struct authn_config, http01_port) },
	{ "tlsalpn01_port", "authenticator.tlsalpn01_port", "a port number", 65535,
	  offsetof(struct authn_config, tlsalpn01_port) },
};

/* Error helpers: every message names file, line and setting. */
#define FAIL(setting, ...)                                                      \
	do {                                                                    \
		int n_ = error_prefix(err, errlen, filename, (setting), name);  \
		if (n_ >= 0 && (size_t)n_ < errlen)                             \
			snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);   \
		ret = -EINVAL;                                                  \
		goto out;                                                       \
	} while (0)

/* "FILE:LINE: NAME: ", or "FILE: NAME: " for a setting that is absent. */
static int error_prefix(char *err, size_t errlen, const char *filename,
			const config_setting_t *setting, const char *name)
{
	if (setting)
		return snprintf(err, errlen, "%s:%d: %s: ", filename,
				config_setting_source_line(setting), name);
	return snprintf(err, errlen, "%s: %s: ", filename, name);
}

static int get_string(config_setting_t *parent, const char *name, bool required, char **out,
		      const char *filename, char *err, size_t errlen)
{
	config_setting_t *s = config_setting_get_member(parent, name);
	int ret = 0;

	if (!s) {
		if (required) {
			snprintf(err, errlen, "%s: %s: missing", filename, name);
			return -EINVAL;
		}
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		FAIL(s, "must be a string");
	*out = strdup(config_setting_get_string(s));
	if (!*out)
		ret = -ENOMEM;
out:
	return ret;
}

static int parse_webroot(config_setting_t *grp, struct authn_config *a, const char *filename,
			 char *err, size_t errlen)
{
	const char *name = "authenticator.webroot_map";
	config_setting_t *list = config_setting_get_member(grp, "webroot_map");
	int n, ret = 0;

	if (!list)
		return 0;
	if (!config_setting_is_list(list))
		FAIL(list, "must be a list of { domain = \"...\"; path = \"...\"; }");
	n = config_setting_length(list);
	a->webroot = calloc((size_t)n + 1, sizeof(*a->webroot));
	if (!a->webroot)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *d = NULL, *p = NULL;

		if (!config_setting_lookup_string(e, "domain", &d) ||
		    !config_setting_lookup_string(e, "path", &p))
			FAIL(e, "entry %d needs string settings domain and path", i + 1);
		a->webroot[i].domain = strdup(d);
		a->webroot[i].path = strdup(p);
		a->nwebroot++;
		if (!a->webroot[i].domain || !a->webroot[i].path)
			return -ENOMEM;
	}
out:
	return ret;
}

static int parse_domains(config_setting_t *root, struct renewal *r, const char *filename,
			 char *err, size_t errlen)
{
	const char *name = "domains";
	config_setting_t *s = config_setting_get_member(root, name);
	int n, ret = 0;

	if (!s) {
		snprintf(err, errlen, "%s: domains: missing", filename);
		return -EINVAL;
	}
	n = config_setting_is_aggregate(s) ? config_setting_length(s) : 0;
	if (n == 0)
		FAIL(s, "must be a non-empty list of strings");
	r->domains = calloc((size_t)n + 1, sizeof(char *));
	if (!r->domains)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const char *d = config_setting_get_string_elem(s, (unsigned)i);

		if (!d)
			FAIL(s, "element %d is not a string", i + 1);
		r->domains[i] = strdup(d);
		if (!r->domains[i])
			return -ENOMEM;
		r->ndomains++;
	}
out:
	return ret;
}

static int parse_renew_before(config_setting_t *root, struct renewal *r, const char *filename,
			      char *err, size_t errlen)
{
	const char *name = "renew_before_expiry";
	config_setting_t *s = config_setting_get_member(root, name);
	int ret = 0;

	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		r->renew_before = config_setting_get_int(s);
	else if (config_setting_type(s) != CONFIG_TYPE_STRING ||
		 timefmt_parse_duration(config_setting_get_string(s), &r->renew_before) < 0)
		FAIL(s, "must be a duration such as \"30d\", \"12h\" or a number of seconds");
	if (r->renew_before <= 0)
		FAIL(s, "must be longer than zero");
out:
	return ret;
}

/* A time member of group GROUP: "2026-11-23T10:00:00Z". */
static int parse_time(config_setting_t *grp, const char *group, const char *member, time_t *out,
		      const char *filename, char *err, size_t errlen)
{
	config_setting_t *s = config_setting_get_member(grp, member);
	char name[64];
	int ret = 0;

	snprintf(name, sizeof(name), "%s.%s", group, member);
	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    timefmt_parse_rfc3339(config_setting_get_string(s), out) < 0)
		FAIL(s, "must be a UTC time such as \"2026-11-23T10:00:00Z\"");
out:
	return ret;
}

static int parse_revoked(config_setting_t *root, struct renewal *r, const char *filename,
			 char *err, size_t errlen)
{
	const char *name = "revoked";
	config_setting_t *grp = config_setting_get_member(root, name);
	int ret = 0;

	if (!grp)
		return 0;
	if (!config_setting_is_group(grp))
		FAIL(grp, "must be a group { at = \"...\"; reason = \"...\"; serial = \"...\"; }");
	r->revoked = true;
	if ((ret = parse_time(grp, "revoked", "at", &r->revoked_at, filename, err, errlen)) < 0 ||
	    (ret = get_string(grp, "reason", false, &r->revoked_reason, filename, err, errlen)) < 0 ||
	    (ret = get_string(grp, "serial", false, &r->revoked_serial, filename, err, errlen)) < 0)
		goto out;
out:
	return ret;
}

static int parse_state(config_setting_t *root, struct renewal_state *st, const char *filename,
		       char *err, size_t errlen)
{
	const char *name = "state";
	config_setting_t *grp = config_setting_get_member(root, name), *s;
	int ret = 0;

	if (!grp)
		return 0;
	if (!config_setting_is_group(grp))
		FAIL(grp, "must be a group { failures = N; ... }");
	s = config_setting_get_member(grp, "failures");
	if (s) {
		name = "state.failures";
		if (config_setting_type(s) != CONFIG_TYPE_INT || config_setting_get_int(s) < 0)
			FAIL(s, "must be a number of failures, 0 or more");
		st->failures = config_setting_get_int(s);
	}
	static const struct {
		const char *member;
		size_t offset;
	} times[] = {
		{ "last_attempt", offsetof(struct renewal_state, last_attempt) },
		{ "next_attempt", offsetof(struct renewal_state, next_attempt) },
		{ "retry_after", offsetof(struct renewal_state, retry_after) },
	};

	for (size_t i = 0; i < ELEMENTSOF(times); i++) {
		ret = parse_time(grp, "state", times[i].member,
				 (time_t *)((char *)st + times[i].offset), filename, err, errlen);
		if (ret < 0)
			goto out;
	}
	ret = get_string(grp, "last_error", false, &st->last_error, filename, err, errlen);
out:
	return ret;
}

struct include_refusal {
	const char *filename;
	char *err;
	size_t errlen;
};

/* What an HTTP header's value may hold (printable ASCII), kept short: a
 * User-Agent read back from the file goes into every request. */
static bool header_text(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return n <= 256;
}

static int refuse_include(const char *path, int line, void *ctx)
{
	struct include_refusal *ir = ctx;

	snprintf(ir->err, ir->errlen, "%s:%d: @include \"%.200s\": a renewal file may not include "
				      "other files", ir->filename, line, path);
	return -EINVAL;
}

int renewal_parse(const char *text, const char *filename, struct renewal *r, char *err,
		  size_t errlen)
{
	config_t cfg;
	config_setting_t *root, *grp, *s;
	char *key_type = NULL, *curve = NULL;
	const char *name = "";
	int rsa_bits = 0, ival, ret;

	memset(r, 0, sizeof(*r));
	config_init(&cfg);
	/* acmed writes renewal files: an @include in one is not ours, and
	 * libconfig would open it unchecked (conftext.h). */
	ret = conftext_includes(text, filename, refuse_include,
				&(struct include_refusal){ filename, err, errlen }, err, errlen);
	if (ret == 0)
		ret = conftext_check_numbers(text, filename, err, errlen);
	if (ret < 0) {
		ret = ret == -ENOMEM ? ret : -EINVAL;
		goto out;
	}
	if (!config_read_string(&cfg, text)) {
		snprintf(err, errlen, "%s:%d: syntax error: %s", filename, config_error_line(&cfg),
			 config_error_text(&cfg));
		ret = -EINVAL;
		goto out;
	}
	root = config_root_setting(&cfg);
	if (config_setting_lookup_int(root, "format", &ival) && ival != RENEWAL_FORMAT) {
		name = "format";
		FAIL(config_setting_get_member(root, "format"), "%d is not a format this acmed reads",
		     ival);
	}
	if ((ret = get_string(root, "name", true, &r->name, filename, err, errlen)) < 0 ||
	    (ret = parse_domains(root, r, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "server", true, &r->server, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "account", false, &r->account, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "preferred_chain", false, &r->preferred_chain, filename, err,
			      errlen)) < 0 ||
	    (ret = get_string(root, "key_type", false, &key_type, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "elliptic_curve", false, &curve, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "profile", false, &r->profile, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "pre_hook", false, &r->pre_hook, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "post_hook", false, &r->post_hook, filename, err, errlen)) < 0 ||
	    (ret = get_string(root, "deploy_hook", false, &r->deploy_hook, filename, err,
			      errlen)) < 0 ||
	    (ret = get_string(root, "alert_hook", false, &r->alert_hook, filename, err,
			      errlen)) < 0 ||
	    (ret = get_string(root, "user_agent", false, &r->user_agent, filename, err,
			      errlen)) < 0 ||
	    (ret = parse_renew_before(root, r, filename, err, errlen)) < 0 ||
	    (ret = parse_state(root, &r->state, filename, err, errlen)) < 0 ||
	    (ret = parse_revoked(root, r, filename, err, errlen)) < 0)
		goto out;
	if (r->user_agent && !header_text(r->user_agent)) {
		name = "user_agent";
		FAIL(config_setting_get_member(root, name), "at most 256 printable ASCII characters");
	}
	s = config_setting_get_member(root, "rsa_key_size");
	if (s) {
		name = "rsa_key_size";
		if (config_setting_type(s) != CONFIG_TYPE_INT)
			FAIL(s, "must be an integer");
		rsa_bits = config_setting_get_int(s);
	}
	{
		/* Each key setting on its own first, so the error names it. */
		struct key_spec spec;
		char why[256];

		name = "key_type";
		if (key_spec_parse(key_type, NULL, 0, &spec, why, sizeof(why)) < 0)
			FAIL(config_setting_get_member(root, name), "%s", why);
		name = "elliptic_curve";
		if (key_spec_parse(NULL, curve, 0, &spec, why, sizeof(why)) < 0)
			FAIL(config_setting_get_member(root, name), "%s", why);
		name = "rsa_key_size";
		if (key_spec_parse(NULL, NULL, rsa_bits, &spec, why, sizeof(why)) < 0)
			FAIL(config_setting_get_member(root, name), "%s", why);
		key_spec_parse(key_type, curve, rsa_bits, &r->key, why, sizeof(why));
	}
	s = config_setting_get_member(root, "reuse_key");
	if (s) {
		name = "reuse_key";
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			FAIL(s, "must be true or false");
		r->reuse_key = config_setting_get_bool(s);
	}
	s = config_setting_get_member(root, "allow_subset_of_names");
	if (s) {
		name = "allow_subset_of_names";
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			FAIL(s, "must be true or false");
		r->allow_subset = config_setting_get_bool(s);
	}
	s = config_setting_get_member(root, "autorenew");
	if (s) {
		name = "autorenew";
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			FAIL(s, "must be true or false");
		r->no_autorenew = !config_setting_get_bool(s);
	}
	grp = config_setting_get_member(root, "authenticator");
	name = "authenticator";
	if (!grp || !config_setting_is_group(grp))
		FAIL(grp, "must be a group { name = \"webroot\"; ... }");
	if ((ret = get_string(grp, "name", true, &r->authn.name, filename, err, errlen)) < 0 ||
	    (ret = get_string(grp, "http01_address", false, &r->authn.http01_address, filename,
			      err, errlen)) < 0 ||
	    (ret = get_string(grp, "manual_auth_hook", false, &r->authn.manual_auth_hook,
			      filename, err, errlen)) < 0 ||
	    (ret = get_string(grp, "manual_cleanup_hook", false, &r->authn.manual_cleanup_hook,
			      filename, err, errlen)) < 0 ||
	    (ret = get_string(grp, "preferred_challenges", false,
			      &r->authn.preferred_challenges, filename, err, errlen)) < 0 ||
	    (ret = get_string(grp, "dns_rfc2136_credentials", false,
			      &r->authn.dns_rfc2136_credentials, filename, err, errlen)) < 0 ||
	    (ret = parse_webroot(grp, &r->authn, filename, err, errlen)) < 0)
		goto out;
	if (r->authn.preferred_challenges) {
		char canon[64], why[128];

		name = "authenticator.preferred_challenges";
		s = config_setting_get_member(grp, "preferred_challenges");
		if (authn_parse_preferred(r->authn.preferred_challenges, canon, sizeof(canon), why,
					  sizeof(why)) < 0)
			FAIL(s, "%s", why);
	}
	/* manual without its auth hook is a lineage made on a terminal
	 * (certonly --manual): its renewals say they need one (manual.c). */
	if (streq(r->authn.name, "dns-rfc2136") &&
	    (!r->authn.dns_rfc2136_credentials || r->authn.dns_rfc2136_credentials[0] != '/')) {
		name = "authenticator.dns_rfc2136_credentials";
		FAIL(grp, "an absolute path is needed with the dns-rfc2136 authenticator");
	}
	for (size_t i = 0; i < ELEMENTSOF(authn_ints); i++) {
		s = config_setting_get_member(grp, authn_ints[i].key);
		if (!s)
			continue;
		name = authn_ints[i].name;
		ival = config_setting_get_int(s);
		if (config_setting_type(s) != CONFIG_TYPE_INT || ival < 1 || ival > authn_ints[i].max)
			FAIL(s, "must be %s between 1 and %d", authn_ints[i].what, authn_ints[i].max);
		*(int *)((char *)&r->authn + authn_ints[i].offset) = ival;
	}
	ret = 0;
out:
	if (ret < 0)
		renewal_clear(r);
	free(key_type);
	free(curve);
	config_destroy(&cfg);
	return ret;
}

long renewal_due(long not_before, long not_after, long renew_before)
{
	long lifetime = not_after - not_before;
	long cap = lifetime < 10L * 86400 ? lifetime / 2 : lifetime / 3;

	if (lifetime <= 0)
		return not_after;
	if (renew_before > cap)
		renew_before = cap;
	return not_after - renew_before;
}
