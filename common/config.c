#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"
#include "config_priv.h"
#include "config_cluster.h"
#include "conftext.h"
#include "error.h"
#include "fsutil.h"
#include "ident.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

enum setting_type { T_STRING, T_BOOL, T_INT, T_DURATION };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	int min, max; /* T_INT, T_DURATION (seconds) */
	int (*check)(const char *value, char *why, size_t whylen); /* T_STRING, optional */
};

static int check_email(const char *v, char *why, size_t len)
{
	if (ident_emails_ok(v))
		return 0;
	snprintf(why, len, "'%s' is not an email address", v);
	return -EINVAL;
}

static int check_https(const char *v, char *why, size_t len)
{
	if (strncmp(v, "https://", 8) == 0)
		return 0;
	snprintf(why, len, "must be an https:// URL");
	return -EINVAL;
}

static int check_absolute(const char *v, char *why, size_t len)
{
	if (v[0] == '/')
		return 0;
	snprintf(why, len, "must be an absolute path");
	return -EINVAL;
}

static int check_level(const char *v, char *why, size_t len)
{
	enum log_level l;

	if (log_parse_level(v, &l) == 0)
		return 0;
	snprintf(why, len, "must be one of error, warning, info, debug");
	return -EINVAL;
}

static int check_hook_runner(const char *v, char *why, size_t len)
{
	if (streq(v, "auto") || streq(v, "systemd-run") || streq(v, "direct"))
		return 0;
	snprintf(why, len, "must be one of auto, systemd-run, direct");
	return -EINVAL;
}

/* An ACME profile name: what a CA would list in meta.profiles. */
static int check_profile(const char *v, char *why, size_t len)
{
	for (const char *p = v; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.')
			continue;
		snprintf(why, len, "'%s' is not a profile name (letters, digits, '-', '_', '.')", v);
		return -EINVAL;
	}
	if (*v)
		return 0;
	snprintf(why, len, "must not be empty");
	return -EINVAL;
}

/* "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6): an address to listen on. */
static int check_listen(const char *v, char *why, size_t len)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;

	if (colon && colon > v && colon[1] && !*end && port > 0 && port < 65536)
		return 0;
	snprintf(why, len, "'%s' is not ADDRESS:PORT (\"127.0.0.1:9101\", \"[::1]:9101\")", v);
	return -EINVAL;
}

#define SF(n, f, t, ...) { n, t, offsetof(struct acmed_config, f), __VA_ARGS__ }
#define S(n, t, ...) SF(#n, n, t, __VA_ARGS__)
static const struct setting schema[] = {
	S(server, T_STRING, 0, 0, check_https),
	S(ca_bundle, T_STRING, 0, 0, check_absolute),
	S(email, T_STRING, 0, 0, check_email),
	S(agree_tos, T_BOOL, 0, 0, NULL),
	S(state_dir, T_STRING, 0, 0, check_absolute),
	SF("socket", socket_path, T_STRING, 0, 0, check_absolute),
	S(log_level, T_STRING, 0, 0, check_level),
	S(key_type, T_STRING, 0, 0, NULL),
	S(elliptic_curve, T_STRING, 0, 0, NULL),
	S(rsa_key_size, T_INT, 2048, 4096, NULL),
	S(max_parallel_jobs, T_INT, 1, 64, NULL),
	SF("renew_before_expiry", renew_before, T_DURATION, 60, 365 * 86400, NULL),
	S(renew_jitter, T_DURATION, 0, 86400, NULL),
	S(hook_timeout, T_DURATION, 1, 86400, NULL),
	S(hook_runner, T_STRING, 0, 0, check_hook_runner),
	S(job_timeout, T_DURATION, 10, 7 * 86400, NULL),
	S(acme_timeout, T_DURATION, 5, 600, NULL),
	S(pre_hook, T_STRING, 0, 0, NULL),
	S(post_hook, T_STRING, 0, 0, NULL),
	S(deploy_hook, T_STRING, 0, 0, NULL),
	S(directory_hooks, T_BOOL, 0, 0, NULL),
	S(alert_hook, T_STRING, 0, 0, NULL),
	S(alert_email, T_STRING, 0, 0, check_email),
	S(sendmail, T_STRING, 0, 0, check_absolute),
	S(metrics_file, T_STRING, 0, 0, check_absolute),
	S(metrics_interval, T_DURATION, 1, 86400, NULL),
	S(metrics_listen, T_STRING, 0, 0, check_listen),
	S(profile, T_STRING, 0, 0, check_profile),
	S(read_group, T_STRING, 0, 0, NULL),
	S(admin_group, T_STRING, 0, 0, NULL),
	S(max_clients, T_INT, 1, 4096, NULL),
	S(client_timeout, T_DURATION, 1, 3600, NULL),
	S(storage, T_STRING, 0, 0, config_check_storage),
	S(etcd_ca, T_STRING, 0, 0, check_absolute),
	S(etcd_cert, T_STRING, 0, 0, check_absolute),
	S(etcd_key, T_STRING, 0, 0, check_absolute),
	S(etcd_user, T_STRING, 0, 0, NULL),
	S(etcd_password, T_STRING, 0, 0, NULL),
	S(etcd_prefix, T_STRING, 0, 0, config_check_etcd_prefix),
	S(cluster_key_file, T_STRING, 0, 0, check_absolute),
	S(cluster_host, T_STRING, 0, 0, config_check_cluster_host),
};
#undef S
#undef SF

int config_set_string(char **slot, const char *value)
{
	char *v = xstrdup(value);

	if (value && !v)
		return -ENOMEM;
	free(*slot);
	*slot = v;
	return 0;
}

int config_defaults(struct acmed_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_parallel_jobs = 4;
	cfg->renew_before = 30L * 86400;
	cfg->renew_jitter = 3600;
	cfg->hook_timeout = 300;
	/* The CA's own limits: 300 s for a poll, 60 s for a request; a few
	 * minutes more than a job of several authorizations takes. */
	cfg->job_timeout = 900;
	cfg->acme_timeout = 60; /* http.h's HTTP_TIMEOUT */
	cfg->directory_hooks = true;
	cfg->max_clients = 64;
	cfg->client_timeout = 10;
	cfg->metrics_interval = 60;
	cfg->key = KEY_SPEC_DEFAULT;
	config_default_warnings(cfg);
	if (config_set_string(&cfg->server, ACMED_DEFAULT_SERVER) < 0 ||
	    config_set_string(&cfg->state_dir, "/var/lib/acmed") < 0 ||
	    config_set_string(&cfg->socket_path, "/run/acmed/acmed.sock") < 0 ||
	    config_set_string(&cfg->log_level, "info") < 0 ||
	    config_set_string(&cfg->sendmail, "/usr/sbin/sendmail") < 0 ||
	    config_set_string(&cfg->hook_runner, "auto") < 0 ||
	    config_set_string(&cfg->read_group, "acmed") < 0 ||
	    config_set_string(&cfg->storage, "local") < 0 ||
	    config_set_string(&cfg->etcd_prefix, "/acmed/") < 0)
		return -ENOMEM;
	return 0;
}

static void ca_settings_clear(struct ca_settings *ca)
{
	free(ca->server);
	free(ca->issuer_bundle);
	free(ca->issuer_pem);
	free(ca->staging);
	memset(ca, 0, sizeof(*ca));
}

void config_clear(struct acmed_config *cfg)
{
	for (size_t i = 0; i < ELEMENTSOF(schema); i++)
		if (schema[i].type == T_STRING)
			free(*(char **)((char *)cfg + schema[i].offset));
	for (size_t i = 0; i < cfg->ncas; i++)
		ca_settings_clear(&cfg->cas[i]);
	free(cfg->cas);
	config_etcd_endpoints_clear(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

const struct ca_settings *config_ca(const struct acmed_config *cfg, const char *server)
{
	for (size_t i = 0; i < cfg->ncas; i++)
		if (streq(cfg->cas[i].server, server))
			return &cfg->cas[i];
	return NULL;
}

const char *config_staging_for(const struct acmed_config *cfg, const char *server)
{
	const struct ca_settings *ca = config_ca(cfg, server);

	if (ca && ca->staging)
		return ca->staging;
	return streq(server, ACMED_DEFAULT_SERVER) ? ACMED_LE_STAGING : NULL;
}

/* A duration: seconds as a number, or a string such as "30d" or "12h". */
static void apply_duration(const struct setting *st, config_setting_t *s, long *slot, char *why,
			   size_t len)
{
	char lo[32], hi[32];
	long v;

	if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long ll = config_setting_get_int64(s);

		v = ll < LONG_MIN / 2 || ll > LONG_MAX / 2 ? LONG_MAX : (long)ll;
	} else if (config_setting_type(s) != CONFIG_TYPE_STRING ||
		   timefmt_parse_duration(config_setting_get_string(s), &v) < 0) {
		snprintf(why, len, "must be a duration such as \"30d\", \"12h\", \"15m\", \"90s\" "
				   "or a number of seconds");
		return;
	}
	if (v < st->min || v > st->max) {
		timefmt_format_duration(st->min, lo, sizeof(lo));
		timefmt_format_duration(st->max, hi, sizeof(hi));
		snprintf(why, len, "must be between %s and %s", lo, hi);
		return;
	}
	*slot = v;
}

static int apply(const struct setting *st, config_setting_t *s, struct acmed_config *cfg,
		 const char *path, char *err, size_t errlen)
{
	void *slot = (char *)cfg + st->offset;
	char why[160] = "";
	int line = config_setting_source_line(s);

	switch (st->type) {
	case T_STRING:
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			snprintf(why, sizeof(why), "must be a string in double quotes");
		else if (st->check)
			st->check(config_setting_get_string(s), why, sizeof(why));
		if (!*why)
			return config_set_string(slot, config_setting_get_string(s));
		break;
	case T_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			snprintf(why, sizeof(why), "must be true or false");
		else
			*(bool *)slot = config_setting_get_bool(s);
		break;
	case T_DURATION:
		apply_duration(st, s, slot, why, sizeof(why));
		break;
	case T_INT:
		/* Read as 64 bits and range-checked before it is narrowed. */
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64)
			snprintf(why, sizeof(why), "must be an integer");
		else if (config_setting_get_int64(s) < st->min ||
			 config_setting_get_int64(s) > st->max)
			snprintf(why, sizeof(why), "must be between %d and %d", st->min, st->max);
		else
			*(int *)slot = (int)config_setting_get_int64(s);
		break;
	}
	if (!*why)
		return 0;
	snprintf(err, errlen, "%s:%d: %s: %s", path, line, st->name, why);
	return -EINVAL;
}

/* The three key settings together; each checked alone first so the error
 * names the setting and its line. */
static int check_key_settings(config_t *c, struct acmed_config *cfg, const char *path, char *err,
			      size_t errlen)
{
	const struct {
		const char *name;
		const char *type, *curve;
		int bits;
	} parts[] = {
		{ "key_type", cfg->key_type, NULL, 0 },
		{ "elliptic_curve", NULL, cfg->elliptic_curve, 0 },
		{ "rsa_key_size", NULL, NULL, cfg->rsa_key_size },
	};
	struct key_spec spec;
	char why[200];

	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		if (key_spec_parse(parts[i].type, parts[i].curve, parts[i].bits, &spec, why,
				   sizeof(why)) < 0) {
			config_setting_t *s = config_lookup(c, parts[i].name);

			snprintf(err, errlen, "%s:%d: %s: %s", path,
				 s ? config_setting_source_line(s) : 0, parts[i].name, why);
			return -EINVAL;
		}
	}
	return key_spec_parse(cfg->key_type, cfg->elliptic_curve, cfg->rsa_key_size, &cfg->key,
			      err, errlen);
}

/* A deep copy of SRC, for loading without touching the original. */
static int config_copy(const struct acmed_config *src, struct acmed_config *dst)
{
	*dst = *src;
	dst->cas = NULL;
	dst->ncas = 0;
	dst->etcd_endpoints = NULL; /* copied last, below */
	dst->netcd_endpoints = 0;
	for (size_t i = 0; i < ELEMENTSOF(schema); i++) {
		char **slot = (char **)((char *)dst + schema[i].offset);

		if (schema[i].type == T_STRING && *slot && !(*slot = strdup(*slot))) {
			/* Forget the copies not made yet before freeing the ones made. */
			for (size_t k = i + 1; k < ELEMENTSOF(schema); k++)
				if (schema[k].type == T_STRING)
					*(char **)((char *)dst + schema[k].offset) = NULL;
			config_clear(dst);
			return -ENOMEM;
		}
	}
	dst->cas = src->ncas ? calloc(src->ncas, sizeof(*dst->cas)) : NULL;
	if (src->ncas && !dst->cas) {
		config_clear(dst);
		return -ENOMEM;
	}
	for (size_t i = 0; i < src->ncas; i++, dst->ncas++) {
		struct ca_settings *to = &dst->cas[i];
		const struct ca_settings *from = &src->cas[i];

		to->server = xstrdup(from->server);
		to->issuer_bundle = xstrdup(from->issuer_bundle);
		to->issuer_pem = xstrdup(from->issuer_pem);
		to->staging = xstrdup(from->staging);
		if (!to->server || (from->issuer_bundle && !to->issuer_bundle) ||
		    (from->issuer_pem && !to->issuer_pem) || (from->staging && !to->staging)) {
			dst->ncas++;
			config_clear(dst);
			return -ENOMEM;
		}
	}
	if (config_etcd_endpoints_copy(src, dst) < 0) {
		config_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

/* The most an acmed.conf (or an included file, or an issuer_bundle) may
 * hold. */
#define CONFIG_MAX (1024 * 1024)

/* Read PATH, a file that decides what runs as root: a regular file (read
 * without blocking on a FIFO), trusted along its whole path
 * (fs_check_trusted_path()), with no integer libconfig would wrap. */
static int read_trusted(const char *path, char **text, char *err, size_t errlen)
{
	int r = fs_read_file(path, CONFIG_MAX, text, NULL);

	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EFBIG ? "larger than 1 MiB" : acmed_strerror(r));
		return r;
	}
	r = fs_check_trusted_path(path, err, errlen);
	if (r == 0)
		r = conftext_check_numbers(*text, path, err, errlen);
	if (r < 0)
		FREE_AND_NULL(*text);
	return r;
}

/* What @include needs: libconfig opens included files itself, so each is
 * vetted first, and the files they include, to libconfig's own depth. */
struct include_scan {
	const char *dir;   /* relative paths are taken from here */
	const char *from;  /* the including file, for messages */
	int depth;
	char *err;
	size_t errlen;
};

static int vet_include(const char *path, int line, void *ctx)
{
	struct include_scan *sc = ctx, sub = *sc;
	char *full = path[0] == '/' ? strdup(path) : fs_join(sc->dir, path), *text = NULL;
	char why[512];
	int r;

	if (!full)
		return -ENOMEM;
	if (sc->depth >= 10) {
		snprintf(sc->err, sc->errlen, "%s:%d: @include \"%s\": nested too deep", sc->from,
			 line, path);
		free(full);
		return -ELOOP;
	}
	r = read_trusted(full, &text, why, sizeof(why));
	if (r < 0)
		snprintf(sc->err, sc->errlen, "%s:%d: @include \"%s\": %s", sc->from, line, path, why);
	sub.from = full;
	sub.depth++;
	if (r == 0)
		r = conftext_includes(text, full, vet_include, &sub, sc->err, sc->errlen);
	free(text);
	free(full);
	return r;
}

static bool holds_certificates(const char *pem)
{
	char **v = NULL;
	size_t n = 0;
	bool ok = crypto_pem_split(pem, strlen(pem), &v, &n) == 0 && n > 0;

	strv_free(v, n);
	return ok;
}

/* One "ca" entry: { server = "https://..."; issuer_bundle = "/path";
 * staging = "https://..."; }. */
static int apply_ca(config_setting_t *e, struct ca_settings *ca, const char *path, char *err,
		    size_t errlen)
{
	const char *server = NULL, *bundle = NULL, *staging = NULL;
	int line = config_setting_source_line(e), r;
	char why[512];

	if (!config_setting_is_group(e)) {
		snprintf(err, errlen, "%s:%d: ca: each entry is a group { server = \"...\"; ... }",
			 path, line);
		return -EINVAL;
	}
	for (int i = 0; i < config_setting_length(e); i++) {
		config_setting_t *m = config_setting_get_elem(e, (unsigned)i);
		const char *name = config_setting_name(m), *v = config_setting_get_string(m);

		line = config_setting_source_line(m);
		bool url = streq(name, "server") || streq(name, "staging");

		if (!url && !streq(name, "issuer_bundle")) {
			snprintf(err, errlen,
				 "%s:%d: ca: %s: unknown setting (server, issuer_bundle, staging)",
				 path, line, name);
			return -EINVAL;
		}
		if (!v || (url ? check_https(v, why, sizeof(why))
			       : check_absolute(v, why, sizeof(why))) < 0) {
			snprintf(err, errlen, "%s:%d: ca: %s: %s", path, line, name,
				 v ? why : "must be a string in double quotes");
			return -EINVAL;
		}
		*(streq(name, "server") ? &server : streq(name, "staging") ? &staging : &bundle) = v;
	}
	if (!server) {
		snprintf(err, errlen, "%s:%d: ca: an entry needs server = \"https://...\"", path,
			 config_setting_source_line(e));
		return -EINVAL;
	}
	ca->server = strdup(server);
	ca->staging = xstrdup(staging);
	if (!ca->server || (staging && !ca->staging))
		return -ENOMEM;
	if (!bundle)
		return 0;
	ca->issuer_bundle = strdup(bundle);
	if (!ca->issuer_bundle)
		return -ENOMEM;
	r = fs_read_file(bundle, CONFIG_MAX, &ca->issuer_pem, NULL);
	if (r == 0 && !holds_certificates(ca->issuer_pem))
		r = -EINVAL;
	if (r < 0)
		snprintf(err, errlen, "%s:%d: ca: issuer_bundle: %s: %s", path, line, bundle,
			 r == -EINVAL ? "holds no PEM certificates" : acmed_strerror(r));
	return r;
}

static int apply_cas(config_setting_t *list, struct acmed_config *cfg, const char *path,
		     char *err, size_t errlen)
{
	int n = config_setting_length(list), r = 0;

	if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
		snprintf(err, errlen, "%s:%d: ca: must be a list ( { server = ...; }, ... )", path,
			 config_setting_source_line(list));
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->ncas; i++)
		ca_settings_clear(&cfg->cas[i]);
	free(cfg->cas);
	cfg->ncas = 0;
	cfg->cas = n ? calloc((size_t)n, sizeof(*cfg->cas)) : NULL;
	if (n && !cfg->cas)
		return -ENOMEM;
	for (int i = 0; r == 0 && i < n; i++) {
		cfg->ncas++;
		r = apply_ca(config_setting_get_elem(list, (unsigned)i), &cfg->cas[i], path, err,
			     errlen);
		for (int k = 0; r == 0 && k < i; k++)
			if (streq(cfg->cas[k].server, cfg->cas[i].server)) {
				snprintf(err, errlen, "%s:%d: ca: %s is listed twice", path,
					 config_setting_source_line(
						 config_setting_get_elem(list, (unsigned)i)),
					 cfg->cas[i].server);
				r = -EINVAL;
			}
	}
	return r;
}

static int config_load_into(const char *path, bool missing_ok, struct acmed_config *cfg,
			    char *err, size_t errlen);

int config_load(const char *path, bool missing_ok, struct acmed_config *cfg, char *err,
		size_t errlen)
{
	struct acmed_config next;
	int r = config_copy(cfg, &next);

	/* All or nothing: a bad file leaves CFG exactly as it was. */
	if (r == 0)
		r = config_load_into(path, missing_ok, &next, err, errlen);
	if (r < 0) {
		config_clear(&next);
		return r;
	}
	config_clear(cfg);
	*cfg = next;
	return 0;
}

static int config_load_into(const char *path, bool missing_ok, struct acmed_config *cfg,
			    char *err, size_t errlen)
{
	config_t c;
	config_setting_t *root;
	char *text = NULL, *dir = strdup(path), *slash;
	struct include_scan sc = { .from = path, .err = err, .errlen = errlen };
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	sc.dir = slash ? dir : ".";
	r = read_trusted(path, &text, err, errlen);
	if (r == -ENOENT && missing_ok) {
		free(dir);
		return 0;
	}
	/* Included files are vetted as this one; libconfig takes relative
	 * paths from the including file's directory. */
	if (r == 0)
		r = conftext_includes(text, path, vet_include, &sc, err, errlen);
	if (r < 0) {
		free(text);
		free(dir);
		return r;
	}
	config_init(&c);
	config_set_include_dir(&c, sc.dir);
	if (!config_read_string(&c, text)) {
		snprintf(err, errlen, "%s:%d: syntax error: %s", path, config_error_line(&c),
			 config_error_text(&c));
		r = -EINVAL;
		goto out;
	}
	root = config_root_setting(&c);
	for (int i = 0; r == 0 && i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const struct setting *st = NULL;

		if (streq(config_setting_name(s), "ca")) {
			r = apply_cas(s, cfg, path, err, errlen);
			continue;
		}
		if (streq(config_setting_name(s), "expiry_warnings")) {
			r = config_apply_warnings(s, cfg, path, err, errlen);
			continue;
		}
		if (streq(config_setting_name(s), "etcd_endpoints")) {
			r = config_etcd_endpoints(s, cfg, path, err, errlen);
			continue;
		}
		for (size_t k = 0; k < ELEMENTSOF(schema); k++)
			if (streq(schema[k].name, config_setting_name(s)))
				st = &schema[k];
		if (!st) {
			snprintf(err, errlen, "%s:%d: %s: unknown setting", path,
				 config_setting_source_line(s), config_setting_name(s));
			r = -EINVAL;
			break;
		}
		r = apply(st, s, cfg, path, err, errlen);
	}
	if (r == 0)
		r = check_key_settings(&c, cfg, path, err, errlen);
	if (r == 0)
		r = config_cluster_check(&c, cfg, path, err, errlen);
out:
	config_destroy(&c);
	free(text);
	free(dir);
	return r;
}

/* ---- as JSON, for the job's process ---- */

struct json_object *config_to_json(const struct acmed_config *cfg)
{
	struct json_object *o = json_object_new_object(), *cas = json_object_new_array();

	if (!o || !cas) {
		json_object_put(o);
		json_object_put(cas);
		return NULL;
	}
	for (size_t i = 0; i < ELEMENTSOF(schema); i++) {
		const char *slot = (const char *)cfg + schema[i].offset;
		struct json_object *v = NULL;

		switch (schema[i].type) {
		case T_STRING:
			if (*(char *const *)slot)
				v = json_object_new_string(*(char *const *)slot);
			break;
		case T_BOOL:
			v = json_object_new_boolean(*(const bool *)slot);
			break;
		case T_INT:
			v = json_object_new_int(*(const int *)slot);
			break;
		case T_DURATION:
			v = json_object_new_int64(*(const long *)slot);
			break;
		}
		if (v)
			json_object_object_add(o, schema[i].name, v);
	}
	for (size_t i = 0; i < cfg->ncas; i++) {
		struct json_object *ca = json_object_new_object();

		json_object_object_add(ca, "server", json_object_new_string(cfg->cas[i].server));
		if (cfg->cas[i].issuer_bundle)
			json_object_object_add(ca, "issuer_bundle",
					       json_object_new_string(cfg->cas[i].issuer_bundle));
		if (cfg->cas[i].issuer_pem)
			json_object_object_add(ca, "issuer_pem",
					       json_object_new_string(cfg->cas[i].issuer_pem));
		if (cfg->cas[i].staging)
			json_object_object_add(ca, "staging",
					       json_object_new_string(cfg->cas[i].staging));
		json_object_array_add(cas, ca);
	}
	json_object_object_add(o, "ca", cas);
	if (config_etcd_endpoints_to_json(cfg, o) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int config_from_json(struct json_object *o, struct acmed_config *cfg)
{
	struct json_object *cas = NULL;
	char err[256];
	int r = config_defaults(cfg);

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(schema); i++) {
		char *slot = (char *)cfg + schema[i].offset;
		struct json_object *v;

		if (!json_object_object_get_ex(o, schema[i].name, &v))
			continue;
		switch (schema[i].type) {
		case T_STRING:
			r = config_set_string((char **)slot, json_object_get_string(v));
			break;
		case T_BOOL:
			*(bool *)slot = json_object_get_boolean(v);
			break;
		case T_INT:
			*(int *)slot = json_object_get_int(v);
			break;
		case T_DURATION:
			*(long *)slot = (long)json_object_get_int64(v);
			break;
		}
	}
	if (r == 0 && json_object_object_get_ex(o, "ca", &cas) &&
	    json_object_is_type(cas, json_type_array) && json_object_array_length(cas) > 0) {
		size_t n = json_object_array_length(cas);

		cfg->cas = calloc(n, sizeof(*cfg->cas));
		for (size_t i = 0; cfg->cas && r == 0 && i < n; i++) {
			struct json_object *ca = json_object_array_get_idx(cas, i);
			struct ca_settings *to = &cfg->cas[cfg->ncas++];

			to->server = xstrdup(jobj_str(ca, "server"));
			to->issuer_bundle = xstrdup(jobj_str(ca, "issuer_bundle"));
			to->issuer_pem = xstrdup(jobj_str(ca, "issuer_pem"));
			to->staging = xstrdup(jobj_str(ca, "staging"));
			if (!to->server)
				r = -ENOMEM;
		}
		if (!cfg->cas)
			r = -ENOMEM;
	}
	if (r == 0)
		r = config_etcd_endpoints_from_json(o, cfg);
	if (r == 0 && key_spec_parse(cfg->key_type, cfg->elliptic_curve, cfg->rsa_key_size,
				     &cfg->key, err, sizeof(err)) < 0)
		r = -EINVAL;
	if (r < 0)
		config_clear(cfg);
	return r;
}
