#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sys/stat.h>

#include <libconfig.h>

#include "config.h"
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
	if (strchr(v, '@') && !strpbrk(v, " ,<>\n"))
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
	S(pre_hook, T_STRING, 0, 0, NULL),
	S(post_hook, T_STRING, 0, 0, NULL),
	S(deploy_hook, T_STRING, 0, 0, NULL),
	S(directory_hooks, T_BOOL, 0, 0, NULL),
	S(profile, T_STRING, 0, 0, check_profile),
	S(read_group, T_STRING, 0, 0, NULL),
	S(admin_group, T_STRING, 0, 0, NULL),
	S(max_clients, T_INT, 1, 4096, NULL),
	S(client_timeout, T_DURATION, 1, 3600, NULL),
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
	cfg->directory_hooks = true;
	cfg->max_clients = 64;
	cfg->client_timeout = 10;
	cfg->key = KEY_SPEC_DEFAULT;
	if (config_set_string(&cfg->server, ACMED_DEFAULT_SERVER) < 0 ||
	    config_set_string(&cfg->state_dir, "/var/lib/acmed") < 0 ||
	    config_set_string(&cfg->socket_path, "/run/acmed/acmed.sock") < 0 ||
	    config_set_string(&cfg->log_level, "info") < 0 ||
	    config_set_string(&cfg->read_group, "acmed") < 0)
		return -ENOMEM;
	return 0;
}

void config_clear(struct acmed_config *cfg)
{
	for (size_t i = 0; i < ELEMENTSOF(schema); i++)
		if (schema[i].type == T_STRING)
			free(*(char **)((char *)cfg + schema[i].offset));
	memset(cfg, 0, sizeof(*cfg));
}

/* A duration: seconds as a number, or a string such as "30d" or "12h". */
static void apply_duration(const struct setting *st, config_setting_t *s, long *slot, char *why,
			   size_t len)
{
	char lo[32], hi[32];
	long v;

	if (config_setting_type(s) == CONFIG_TYPE_INT) {
		v = config_setting_get_int(s);
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
		if (config_setting_type(s) != CONFIG_TYPE_INT)
			snprintf(why, sizeof(why), "must be an integer");
		else if (config_setting_get_int(s) < st->min || config_setting_get_int(s) > st->max)
			snprintf(why, sizeof(why), "must be between %d and %d", st->min, st->max);
		else
			*(int *)slot = config_setting_get_int(s);
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
	return 0;
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
	struct stat fst;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f) {
		if (errno == ENOENT && missing_ok)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	/* libconfig exits the process on a read error (a directory, say). */
	if (fstat(fileno(f), &fst) < 0 || !S_ISREG(fst.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return -EINVAL;
	}
	config_init(&c);
	if (!config_read(&c, f)) {
		snprintf(err, errlen, "%s:%d: syntax error: %s", path, config_error_line(&c),
			 config_error_text(&c));
		r = -EINVAL;
		goto out;
	}
	root = config_root_setting(&c);
	for (int i = 0; r == 0 && i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const struct setting *st = NULL;

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
out:
	config_destroy(&c);
	fclose(f);
	return r;
}
