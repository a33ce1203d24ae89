/* acmectl cluster: cluster mode's own commands (docs/cluster.md), run by
 * acmectl itself from acmed.conf's settings, without the daemon:
 *
 *   init    write a new cluster key to cluster_key_file (never replaced)
 *   status  etcd's members, each endpoint's health, revision and leader;
 *           the hosts, locks, orders in flight and backoff (cluster_report.c) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "config.h"
#include "error.h"
#include "util.h"
#include "ctl/cluster_report.h"
#include "ctl/verbs.h"
#include "etcd/etcd.h"
#include "etcd/etcd_store.h"
#include "etcd/seal.h"

enum { O_CONFIG = 256 };

const struct option cluster_options[] = {
	{ "config", required_argument, NULL, O_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

static const char usage[] =
	"Usage: acmectl cluster init [--config FILE]\n"
	"       acmectl cluster status [--config FILE] [--json]\n\n"
	"Cluster mode: several hosts share their lineages in etcd (storage = \"etcd\" in\n"
	"acmed.conf).\n"
	"  init    write a new cluster key to acmed.conf's cluster_key_file, readable by\n"
	"          root only; an existing file is never replaced. Copy it to every host.\n"
	"  status  etcd's members, and each endpoint's health, revision and leader;\n"
	"          each host's last materialised revision and its lag, the locks held,\n"
	"          the orders in flight and the lineages in the cluster's backoff;\n"
	"          exit 1 when etcd cannot be reached or has no leader.\n"
	"  --config FILE  acmed's configuration (default " ACMED_SYSCONFDIR "/acmed.conf)\n";

static int load_config(const char *path, struct acmed_config *cfg)
{
	char err[1024];
	int r = client_load_config(path, cfg, err, sizeof(err));

	if (r < 0)
		client_fprintf(stderr, "acmectl: error: %s\n", err);
	return r;
}

static int cluster_init(const struct acmed_config *cfg, const char *path)
{
	char err[1024];
	int r;

	if (!cfg->cluster_key_file) {
		client_fprintf(stderr, "acmectl: error: %s: cluster_key_file is not set\n", path);
		return EXIT_FAILED;
	}
	r = seal_key_create(cfg->cluster_key_file, err, sizeof(err));
	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: %s\n", err);
		return EXIT_FAILED;
	}
	client_printf("Wrote a new cluster key to %s (mode 0600).\nCopy it, with the same "
		      "mode, to every host of the cluster.\n", cfg->cluster_key_file);
	return EXIT_OK;
}

/* ---- status ---- */

static struct json_object *hex(uint64_t id)
{
	char buf[20];

	snprintf(buf, sizeof(buf), "%" PRIx64, id);
	return json_object_new_string(buf);
}

static struct json_object *members_json(const struct etcd_member *m, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object(), *urls = json_object_new_array();

		json_object_object_add(o, "id", hex(m[i].id));
		json_object_object_add(o, "name", json_object_new_string(m[i].name));
		for (size_t k = 0; k < m[i].nclient_urls; k++)
			json_object_array_add(urls, json_object_new_string(m[i].client_urls[k]));
		json_object_object_add(o, "client_urls", urls);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *endpoint_json(const char *ep, int r, const struct etcd_status *st,
					 const char *why)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "endpoint", json_object_new_string(ep));
	json_object_object_add(o, "healthy", json_object_new_boolean(r == 0 && st->leader));
	if (r < 0) {
		json_object_object_add(o, "error", json_object_new_string(why));
		return o;
	}
	json_object_object_add(o, "member_id", hex(st->member_id));
	json_object_object_add(o, "version", json_object_new_string(st->version));
	json_object_object_add(o, "revision", json_object_new_int64(st->revision));
	json_object_object_add(o, "raft_term", json_object_new_int64(st->raft_term));
	json_object_object_add(o, "db_size", json_object_new_int64(st->db_size));
	if (st->leader)
		json_object_object_add(o, "leader", hex(st->leader));
	else
		json_object_object_add(o, "error", json_object_new_string("no leader"));
	return o;
}

/* Ask every endpoint for its status; what they said goes into REPORT's
 * "endpoints", and the leader and newest revision seen into it too. */
static void endpoints_status(struct etcd *e, const struct acmed_config *cfg,
			     struct json_object *report)
{
	struct json_object *eps = json_object_new_array();
	uint64_t leader = 0;
	int64_t revision = 0;

	for (size_t i = 0; i < cfg->netcd_endpoints; i++) {
		struct etcd_status st;
		int r = etcd_status(e, cfg->etcd_endpoints[i], &st);

		json_object_array_add(eps, endpoint_json(cfg->etcd_endpoints[i], r, &st,
							 etcd_errmsg(e)));
		if (r == 0 && st.leader)
			leader = st.leader;
		if (r == 0 && st.revision > revision)
			revision = st.revision;
		etcd_status_clear(&st);
	}
	json_object_object_add(report, "endpoints", eps);
	if (leader)
		json_object_object_add(report, "leader", hex(leader));
	json_object_object_add(report, "revision", json_object_new_int64(revision));
}

static const char *member_name(struct json_object *members, const char *id)
{
	for (size_t i = 0; i < json_object_array_length(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i), *v;

		if (json_object_object_get_ex(m, "id", &v) && streq(json_object_get_string(v), id) &&
		    json_object_object_get_ex(m, "name", &v))
			return json_object_get_string(v);
	}
	return "?";
}

static void print_status(struct json_object *report)
{
	struct json_object *members, *eps, *v;
	const char *leader = json_object_object_get_ex(report, "leader", &v)
				     ? json_object_get_string(v) : NULL;

	json_object_object_get_ex(report, "members", &members);
	json_object_object_get_ex(report, "endpoints", &eps);
	client_printf("Members:\n");
	for (size_t i = 0; members && i < json_object_array_length(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i), *id, *name, *urls;

		json_object_object_get_ex(m, "id", &id);
		json_object_object_get_ex(m, "name", &name);
		json_object_object_get_ex(m, "client_urls", &urls);
		client_printf("  %-16s %-12s %s\n", json_object_get_string(id),
			      *json_object_get_string(name) ? json_object_get_string(name)
							    : "(not started)",
			      json_object_array_length(urls)
				      ? json_object_get_string(json_object_array_get_idx(urls, 0))
				      : "-");
	}
	client_printf("Endpoints:\n");
	for (size_t i = 0; i < json_object_array_length(eps); i++) {
		struct json_object *o = json_object_array_get_idx(eps, i), *ep, *err, *rev, *ver;

		json_object_object_get_ex(o, "endpoint", &ep);
		if (json_object_object_get_ex(o, "error", &err) &&
		    !json_object_object_get_ex(o, "revision", &rev)) {
			client_printf("  %s: unhealthy: %s\n", json_object_get_string(ep),
				      json_object_get_string(err));
			continue;
		}
		json_object_object_get_ex(o, "revision", &rev);
		json_object_object_get_ex(o, "version", &ver);
		client_printf("  %s: %s, etcd %s, revision %s\n", json_object_get_string(ep),
			      json_object_object_get_ex(o, "error", &err) ? "no leader" : "healthy",
			      json_object_get_string(ver), json_object_get_string(rev));
	}
	if (leader)
		client_printf("Leader: %s (%s)\n", member_name(members, leader), leader);
	else
		client_printf("Leader: none: etcd has no quorum\n");
	json_object_object_get_ex(report, "revision", &v);
	client_printf("Revision: %s\n", json_object_get_string(v));
	cluster_report_print(report);
}

/* The hosts, locks, orders and backoff into REPORT. */
static int cluster_view(const struct acmed_config *cfg, struct json_object *report, char *err,
			size_t errlen)
{
	struct cview *v = NULL;
	int r = cview_open(cfg, &v, err, errlen);

	if (r == 0)
		r = cluster_report_add(v, report, err, errlen);
	cview_close(v);
	return r;
}

static int cluster_status(struct client *cl, const struct acmed_config *cfg, const char *path)
{
	struct etcd_opts o = estore_etcd_opts(cfg);
	struct json_object *report = NULL, *v;
	struct etcd_member *m = NULL;
	struct etcd *e = NULL;
	size_t n = 0;
	char err[512];
	int r, rc = EXIT_FAILED;

	if (!cfg->netcd_endpoints) {
		client_fprintf(stderr, "acmectl: error: %s: etcd_endpoints is not set\n", path);
		return EXIT_FAILED;
	}
	if (etcd_new(&o, &e, err, sizeof(err)) < 0) {
		client_fprintf(stderr, "acmectl: error: %s\n", err);
		return EXIT_FAILED;
	}
	r = etcd_member_list(e, &m, &n);
	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: etcd unreachable: %s\n", etcd_errmsg(e));
		goto out;
	}
	report = json_object_new_object();
	json_object_object_add(report, "prefix", json_object_new_string(cfg->etcd_prefix));
	json_object_object_add(report, "members", members_json(m, n));
	endpoints_status(e, cfg, report);
	rc = json_object_object_get_ex(report, "leader", &v) ? EXIT_OK : EXIT_FAILED;
	if (rc == EXIT_OK && cluster_view(cfg, report, err, sizeof(err)) < 0) {
		json_object_object_add(report, "view_error", json_object_new_string(err));
		rc = EXIT_FAILED;
	}
	if (cl->json)
		client_print_json(report);
	else
		print_status(report);
	if (!json_object_object_get_ex(report, "leader", &v))
		client_fprintf(stderr, "acmectl: error: no etcd member has a leader (no quorum)\n");
	else if (rc != EXIT_OK)
		client_fprintf(stderr, "acmectl: error: reading the cluster's state: %s\n", err);
out:
	json_object_put(report);
	etcd_members_free(m, n);
	etcd_free(e);
	return rc;
}

int verb_cluster(struct client *cl, int argc, char **argv)
{
	const char *config = NULL, *sub;
	struct acmed_config cfg;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", cluster_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_CONFIG: config = optarg; break;
		case 'h': client_fprintf(stdout, "%s", usage); return EXIT_OK;
		default: client_fprintf(stderr, "Try 'acmectl cluster --help'.\n"); return EXIT_USAGE;
		}
	}
	sub = optind < argc ? argv[optind] : NULL;
	if (!sub || optind + 1 < argc || (!streq(sub, "init") && !streq(sub, "status"))) {
		client_fprintf(stderr, "acmectl cluster: %s\nTry 'acmectl cluster --help'.\n",
			       !sub ? "which command: init or status?"
			       : optind + 1 < argc ? "one command at a time"
						   : "unknown command (init, status)");
		return EXIT_USAGE;
	}
	if (load_config(config, &cfg) < 0)
		return EXIT_FAILED;
	if (!config)
		config = ACMED_SYSCONFDIR "/acmed.conf";
	rc = streq(sub, "init") ? cluster_init(&cfg, config) : cluster_status(cl, &cfg, config);
	config_clear(&cfg);
	return rc;
}
