/* acmed.conf's cluster-mode settings (storage = "etcd", docs/cluster.md):
 * the parts config.c's schema table cannot say alone, the endpoint list and
 * the rules between settings. */
#pragma once

#include <stddef.h>

#include <json-c/json.h>
#include <libconfig.h>

struct acmed_config;

/* Value checks for the schema: storage, etcd_prefix. */
int config_check_storage(const char *v, char *why, size_t len);
int config_check_etcd_prefix(const char *v, char *why, size_t len);
int config_check_cluster_host(const char *v, char *why, size_t len);
/* This host's name in the cluster: cluster_host, else gethostname(2). */
const char *config_cluster_host(const struct acmed_config *cfg, char *buf, size_t len);
/* etcd_endpoints = [ "https://HOST:PORT", ... ] over CFG's list. */
int config_etcd_endpoints(config_setting_t *s, struct acmed_config *cfg, const char *path,
			  char *err, size_t errlen);
/* The rules between settings once the file is read: etcd_cert goes with
 * etcd_key and etcd_user with etcd_password; with storage = "etcd",
 * etcd_endpoints and cluster_key_file are needed, and etcd_user cannot go
 * with etcd_cert. The error names the setting and its line. */
int config_cluster_check(config_t *c, const struct acmed_config *cfg, const char *path,
			 char *err, size_t errlen);
/* The endpoint list: freed, copied (-ENOMEM), as JSON and back. */
void config_etcd_endpoints_clear(struct acmed_config *cfg);
int config_etcd_endpoints_copy(const struct acmed_config *src, struct acmed_config *dst);
int config_etcd_endpoints_to_json(const struct acmed_config *cfg, struct json_object *o);
int config_etcd_endpoints_from_json(struct json_object *o, struct acmed_config *cfg);
