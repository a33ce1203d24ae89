/* acmectl certificates in cluster mode (certificates_cluster.c): beside
 * this host's view (what acmed answers), each lineage's current version in
 * etcd, and the lineages only the cluster has. */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

struct certs_cluster;

/* With storage = "etcd" in CONFIG (NULL: the default acmed.conf, which may
 * be missing or unreadable: then silently no cluster view), the cluster's
 * view, read from etcd now; NULL otherwise. An explicit CONFIG that does
 * not load, or etcd that cannot be read, is said in one warning line (and
 * the view then prints nothing). */
struct certs_cluster *certs_cluster_new(const char *config);
void certs_cluster_free(struct certs_cluster *c);

/* "    Version: 3 (cluster: 4, not yet installed here)" for the listing
 * entry E (its "version" and "name"). */
void certs_cluster_print_version(struct certs_cluster *c, struct json_object *e);
/* After the listing: the lineages etcd has that this host does not (only
 * when the listing was not filtered, or filtered by CERT_NAME alone). */
void certs_cluster_print_only(struct certs_cluster *c, const char *cert_name, bool filtered);
/* --json: "cluster_version" into each of DATA's certificates, and
 * "cluster" ({"prefix", "revision", "only_in_cluster"} or {"error"}). */
void certs_cluster_annotate(struct certs_cluster *c, struct json_object *data,
			    const char *cert_name, bool filtered);
