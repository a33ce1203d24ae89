/* acmed.conf (libconfig), read through one schema table so every error can
 * name file, line and setting. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "crypto.h"

#define ACMED_DEFAULT_SERVER "https://acme-v02.api.letsencrypt.org/directory"
#define ACMED_LE_STAGING "https://acme-staging-v02.api.letsencrypt.org/directory"

/* Settings of one CA (a "ca" entry of acmed.conf), by its directory URL. */
struct ca_settings {
	char *server;
	char *issuer_bundle; /* trust anchors a certificate's chain must lead to */
	char *issuer_pem;    /* their PEM, read when the file is loaded */
	char *staging;       /* its test server, for --staging and dry runs */
};

/* The most expiry_warnings acmed.conf may list. */
#define CONFIG_MAX_WARNINGS 8

struct acmed_config {
	char *server;
	char *ca_bundle;
	char *email;
	bool agree_tos;
	char *state_dir;
	char *socket_path;
	char *log_level;
	char *key_type;
	char *elliptic_curve;
	int rsa_key_size;
	int max_parallel_jobs;
	long renew_before;  /* renew_before_expiry, seconds */
	long renew_jitter;  /* at most this much random delay, seconds; 0 off */
	long hook_timeout;  /* seconds */
	char *hook_runner;  /* "auto", "systemd-run" (a transient unit), "direct" */
	long job_timeout;   /* a job's worker is stopped after this, seconds */
	long acme_timeout;  /* the longest one request to the CA may take, seconds */
	char *pre_hook, *post_hook, *deploy_hook;
	bool directory_hooks; /* run STATE/renewal-hooks/{pre,deploy,post,alert}/ */
	char *alert_hook;    /* run on every alert (alert.h), or NULL */
	char *alert_email;   /* alerts also mailed here, or NULL */
	char *sendmail;      /* the sendmail(8) that mails them */
	long expiry_warnings[CONFIG_MAX_WARNINGS]; /* seconds before expiry, largest first */
	size_t nexpiry_warnings;                   /* 0: no expiry warnings */
	char *metrics_file;  /* Prometheus text written here, or NULL */
	long metrics_interval; /* that often, seconds */
	char *metrics_listen;  /* "127.0.0.1:9XXX": serve GET /metrics, or NULL */
	char *profile;
	char *read_group;    /* may list and check; default "acmed" */
	char *admin_group;   /* may change state besides root; default none */
	int max_clients;     /* control connections at once */
	long client_timeout; /* seconds for a client to send its request */
	/* cluster mode (docs/cluster.md; config_cluster.c) */
	char *storage;       /* "local" (default) or "etcd" */
	char **etcd_endpoints; /* "https://HOST:PORT" */
	size_t netcd_endpoints;
	char *etcd_ca, *etcd_cert, *etcd_key; /* etcd's client TLS */
	char *etcd_user, *etcd_password;
	char *etcd_prefix;   /* every key under it; default "/acmed/" */
	char *cluster_key_file; /* the key sealing private keys in etcd */
	char *cluster_host;  /* this host's name in the cluster; default: its hostname */
	struct key_spec key; /* derived from the three key settings */
	struct ca_settings *cas; /* "ca" entries */
	size_t ncas;
};

/* Fill CFG with built-in defaults. */
int config_defaults(struct acmed_config *cfg);
/* Read PATH over the values already in CFG, all or nothing: on error CFG is
 * unchanged. With MISSING_OK a file that does not exist leaves CFG as it is.
 * Errors: "PATH:LINE: SETTING: reason". */
int config_load(const char *path, bool missing_ok, struct acmed_config *cfg, char *err,
		size_t errlen);
void config_clear(struct acmed_config *cfg);
/* The settings of CA SERVER (a "ca" entry), or NULL. */
const struct ca_settings *config_ca(const struct acmed_config *cfg, const char *server);
/* The staging server of CA SERVER: its "ca" entry's staging, else Let's
 * Encrypt's for Let's Encrypt's production server; NULL if none is known. */
const char *config_staging_for(const struct acmed_config *cfg, const char *server);
/* CFG as a JSON object, every setting (caller puts; NULL if out of
 * memory); config_from_json() reads it back into CFG (cleared on error):
 * 0, -EINVAL, -ENOMEM. What the daemon hands a job's process. */
struct json_object *config_to_json(const struct acmed_config *cfg);
int config_from_json(struct json_object *o, struct acmed_config *cfg);
/* Replace a string setting (for command-line overrides). */
int config_set_string(char **slot, const char *value);
