/* acmed.conf's cluster-mode settings (config_cluster.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_cluster.h"
#include "util.h"

#define ETCD_ENDPOINTS_MAX 16

int config_check_storage(const char *v, char *why, size_t len)
{
	if (streq(v, "local") || streq(v, "etcd"))
		return 0;
	snprintf(why, len, "must be \"local\" or \"etcd\"");
	return -EINVAL;
}

int config_check_etcd_prefix(const char *v, char *why, size_t len)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '/' && v[n - 1] == '/' && n < 128 && !strpbrk(v, " \t\n"))
		return 0;
	snprintf(why, len, "must start and end with '/' (\"/acmed/\"), without blanks");
	return -EINVAL;
}

/* A host's name is a key component and a lock's value: letters, digits,
 * '.', '-', '_', at most 64. */
int config_check_cluster_host(const char *v, char *why, size_t len)
{
	size_t n = strlen(v);

	if (n >= 1 && n <= 64 && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789.-_") == n)
		return 0;
	snprintf(why, len, "must be 1 to 64 letters, digits, '.', '-' or '_'");
	return -EINVAL;
}

const char *config_cluster_host(const struct acmed_config *cfg, char *buf, size_t len)
{
	char why[80];

	if (cfg->cluster_host)
		return cfg->cluster_host;
	if (gethostname(buf, len) < 0 || !buf[0] ||
	    config_check_cluster_host(buf, why, sizeof(why)) < 0)
		snprintf(buf, len, "localhost");
	return buf;
}

/* "https://HOST:PORT" or "http://HOST:PORT", nothing after the port. */
static int check_endpoint(const char *v, char *why, size_t len)
{
	const char *host = strncmp(v, "https://", 8) == 0 ? v + 8
			   : strncmp(v, "http://", 7) == 0 ? v + 7
							   : NULL;
	const char *colon = host ? strrchr(host, ':') : NULL;
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;

	if (colon && colon > host && colon[1] && !*end && port > 0 && port < 65536 &&
	    !strchr(host, '/') && strlen(v) < 256)
		return 0;
	snprintf(why, len, "'%s' is not https://HOST:PORT", v);
	return -EINVAL;
}

void config_etcd_endpoints_clear(struct acmed_config *cfg)
{
	strv_free(cfg->etcd_endpoints, cfg->netcd_endpoints);
	cfg->etcd_endpoints = NULL;
	cfg->netcd_endpoints = 0;
}

/* Append V to CFG's list. */
static int add_endpoint(struct acmed_config *cfg, const char *v)
{
	char **grown = realloc(cfg->etcd_endpoints,
			       (cfg->netcd_endpoints + 1) * sizeof(*cfg->etcd_endpoints));

	if (!grown)
		return -ENOMEM;
	cfg->etcd_endpoints = grown;
	if (!(grown[cfg->netcd_endpoints] = strdup(v)))
		return -ENOMEM;
	cfg->netcd_endpoints++;
	return 0;
}

int config_etcd_endpoints(config_setting_t *s, struct acmed_config *cfg, const char *path,
			  char *err, size_t errlen)
{
	int n = config_setting_length(s), line = config_setting_source_line(s), r = 0;
	char why[300];

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		snprintf(err, errlen, "%s:%d: etcd_endpoints: must be a list [ \"https://...\", ... ]",
			 path, line);
		return -EINVAL;
	}
	if (n < 1 || n > ETCD_ENDPOINTS_MAX) {
		snprintf(err, errlen, "%s:%d: etcd_endpoints: must list 1 to %d endpoints", path,
			 line, ETCD_ENDPOINTS_MAX);
		return -EINVAL;
	}
	config_etcd_endpoints_clear(cfg);
	for (int i = 0; r == 0 && i < n; i++) {
		const char *v = config_setting_get_string_elem(s, i);

		if (!v) {
			snprintf(err, errlen, "%s:%d: etcd_endpoints: each must be a string in double "
					      "quotes", path, line);
			return -EINVAL;
		}
		if (check_endpoint(v, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: etcd_endpoints: %s", path, line, why);
			return -EINVAL;
		}
		r = add_endpoint(cfg, v);
	}
	return r;
}

/* "PATH:LINE: NAME: WHY" with NAME's line (or the file's first). */
static int refuse(config_t *c, const char *name, const char *path, const char *why, char *err,
		  size_t errlen)
{
	config_setting_t *s = config_lookup(c, name);

	snprintf(err, errlen, "%s:%d: %s: %s", path, s ? config_setting_source_line(s) : 1, name,
		 why);
	return -EINVAL;
}

int config_cluster_check(config_t *c, const struct acmed_config *cfg, const char *path,
			 char *err, size_t errlen)
{
	bool etcd = cfg->storage && streq(cfg->storage, "etcd");

	if (!cfg->etcd_cert != !cfg->etcd_key)
		return refuse(c, cfg->etcd_cert ? "etcd_cert" : "etcd_key", path,
			      cfg->etcd_cert ? "needs etcd_key, the client certificate's key"
					     : "needs etcd_cert, the key's client certificate",
			      err, errlen);
	if (!cfg->etcd_user != !cfg->etcd_password)
		return refuse(c, cfg->etcd_user ? "etcd_user" : "etcd_password", path,
			      cfg->etcd_user ? "needs etcd_password" : "needs etcd_user", err,
			      errlen);
	if (!etcd)
		return 0;
	/* etcd 3.4's gateway refuses every request carrying a client
	 * certificate once its user authentication is on. */
	if (cfg->etcd_user && cfg->etcd_cert)
		return refuse(c, "etcd_user", path,
			      "etcd's gateway refuses users who also send a client certificate "
			      "(etcd_cert): set one or the other", err, errlen);
	if (!cfg->netcd_endpoints)
		return refuse(c, "storage", path,
			      "\"etcd\" needs etcd_endpoints = [ \"https://HOST:PORT\", ... ]", err,
			      errlen);
	if (!cfg->cluster_key_file)
		return refuse(c, "storage", path,
			      "\"etcd\" needs cluster_key_file (made by 'acmectl cluster init')", err,
			      errlen);
	return 0;
}

int config_etcd_endpoints_copy(const struct acmed_config *src, struct acmed_config *dst)
{
	dst->etcd_endpoints = NULL;
	dst->netcd_endpoints = 0;
	for (size_t i = 0; i < src->netcd_endpoints; i++)
		if (add_endpoint(dst, src->etcd_endpoints[i]) < 0)
			return -ENOMEM;
	return 0;
}

int config_etcd_endpoints_to_json(const struct acmed_config *cfg, struct json_object *o)
{
	struct json_object *a = json_object_new_array();

	if (!a || json_object_object_add(o, "etcd_endpoints", a) < 0) {
		json_object_put(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->netcd_endpoints; i++)
		if (json_object_array_add(a, json_object_new_string(cfg->etcd_endpoints[i])) < 0)
			return -ENOMEM;
	return 0;
}

int config_etcd_endpoints_from_json(struct json_object *o, struct acmed_config *cfg)
{
	struct json_object *a;
	int r = 0;

	if (!json_object_object_get_ex(o, "etcd_endpoints", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; r == 0 && i < json_object_array_length(a); i++)
		r = add_endpoint(cfg, json_object_get_string(json_object_array_get_idx(a, i)));
	return r;
}
