/* acmectl certificates in cluster mode (certificates_cluster.h). acmectl
 * reads etcd itself (cluster_view.h), once, before it asks the daemon (a
 * listing is printed as it arrives); the daemon is not asked anything
 * more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/certificates_cluster.h"
#include "ctl/client.h"
#include "etcd/cluster_view.h"

struct certs_cluster {
	struct acmed_config cfg;
	bool loaded, failed;
	char err[1024];
	struct cview_lineages ls;
	struct json_object *seen; /* the names listed, as an object's members */
};

/* Read etcd once; false (said once) if it cannot be. */
static bool load(struct certs_cluster *c)
{
	struct cview *v = NULL;
	int r;

	if (c->loaded || c->failed)
		return c->loaded;
	r = cview_open(&c->cfg, &v, c->err, sizeof(c->err));
	if (r == 0 && (r = cview_lineages(v, &c->ls)) < 0)
		snprintf(c->err, sizeof(c->err), "%s",
			 r == ACMED_EETCD ? etcd_errmsg(cview_etcd(v)) : acmed_strerror(r));
	cview_close(v);
	c->loaded = r == 0;
	c->failed = r < 0;
	if (c->failed)
		client_fprintf(stderr, "acmectl: warning: the cluster's view is not shown: etcd: %s\n",
			       c->err);
	return c->loaded;
}

struct certs_cluster *certs_cluster_new(const char *config)
{
	struct certs_cluster *c = calloc(1, sizeof(*c));
	char err[1024];
	int r = c ? client_load_config(config, &c->cfg, err, sizeof(err)) : -ENOMEM;

	if (r < 0 && config)
		client_fprintf(stderr, "acmectl: warning: the cluster's view is not shown: %s\n",
			       c ? err : strerror(ENOMEM));
	if (r < 0 || !c->cfg.storage || !streq(c->cfg.storage, "etcd")) {
		if (c)
			config_clear(&c->cfg);
		free(c);
		return NULL;
	}
	load(c);
	return c;
}

void certs_cluster_free(struct certs_cluster *c)
{
	if (!c)
		return;
	cview_lineages_clear(&c->ls);
	json_object_put(c->seen);
	config_clear(&c->cfg);
	free(c);
}

/* The cluster's current version of NAME; 0: etcd has none. */
static int cluster_version(const struct certs_cluster *c, const char *name)
{
	const struct cview_lineage *l = name ? cview_find(&c->ls, name) : NULL;

	return l ? l->current : 0;
}

/* NAME was listed. */
static void see(struct certs_cluster *c, const char *name)
{
	if (!c->seen)
		c->seen = json_object_new_object();
	if (c->seen && name)
		json_object_object_add(c->seen, name, NULL);
}

void certs_cluster_print_version(struct certs_cluster *c, struct json_object *e)
{
	long long here = jobj_int(e, "version", 0);
	int there;
	char local[32];

	if (!c || !load(c))
		return;
	see(c, jobj_str(e, "name"));
	there = cluster_version(c, jobj_str(e, "name"));
	if (here > 0)
		snprintf(local, sizeof(local), "%lld", here);
	else
		snprintf(local, sizeof(local), "none here");
	if (!there)
		client_printf("    Version: %s (not in the cluster)\n", local);
	else if (here == there)
		client_printf("    Version: %s (the cluster's current version)\n", local);
	else if (here < there)
		client_printf("    Version: %s (cluster: %d, not yet installed here)\n", local, there);
	else
		client_printf("    Version: %s (cluster: %d, newer here than in the cluster)\n", local,
			      there);
}

/* Whether the listing would have shown lineage NAME. */
static bool wanted(const char *name, const char *cert_name, bool filtered)
{
	return cert_name ? streq(name, cert_name) : !filtered;
}

/* The lineages with a current version in etcd, wanted, and not listed
 * (caller puts). */
static struct json_object *only_in_cluster(const struct certs_cluster *c, const char *cert_name,
					   bool filtered)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < c->ls.n; i++) {
		const struct cview_lineage *l = &c->ls.l[i];
		struct json_object *o;

		if (!l->current || !wanted(l->name, cert_name, filtered) ||
		    (c->seen && json_object_object_get_ex(c->seen, l->name, NULL)))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(l->name));
		json_object_object_add(o, "cluster_version", json_object_new_int(l->current));
		json_object_array_add(a, o);
	}
	return a;
}

void certs_cluster_print_only(struct certs_cluster *c, const char *cert_name, bool filtered)
{
	struct json_object *a;

	if (!c || !load(c))
		return;
	a = only_in_cluster(c, cert_name, filtered);
	if (json_object_array_length(a))
		client_printf("Only in the cluster, not yet installed here:\n");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		client_printf("  Certificate Name: %s\n    Version: none here (cluster: %lld, not "
			      "yet installed here)\n", str_or_empty(jobj_str(o, "name")),
			      jobj_int(o, "cluster_version", 0));
	}
	json_object_put(a);
}

void certs_cluster_annotate(struct certs_cluster *c, struct json_object *data,
			    const char *cert_name, bool filtered)
{
	struct json_object *list = NULL, *cl;

	if (!c)
		return;
	cl = json_object_new_object();
	json_object_object_get_ex(data, "certificates", &list);
	if (!load(c)) {
		json_object_object_add(cl, "error", json_object_new_string(c->err));
		json_object_object_add(data, "cluster", cl);
		return;
	}
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		int there = cluster_version(c, jobj_str(e, "name"));

		see(c, jobj_str(e, "name"));
		json_object_object_add(e, "cluster_version", there ? json_object_new_int(there) : NULL);
	}
	json_object_object_add(cl, "prefix", json_object_new_string(c->cfg.etcd_prefix));
	json_object_object_add(cl, "revision", json_object_new_int64(c->ls.revision));
	json_object_object_add(cl, "only_in_cluster", only_in_cluster(c, cert_name, filtered));
	json_object_object_add(data, "cluster", cl);
}
