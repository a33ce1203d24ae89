/* acmectl certificates. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/certificates_cluster.h"
#include "ctl/timeline.h"
#include "ctl/verbs.h"

enum { OPT_TIMELINE = 0x100, OPT_CONFIG };

#define RULE "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -"

void format_time(long t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S+00:00", &tm);
}

/* certbot: "(VALID: 89 days)", "(VALID: 1 day)", "(VALID: 5 hour(s))"; and
 * in the last hour, where certbot says "0 hour(s)", "(VALID: 42 minute(s))". */
static void validity(long not_after, long now, char *buf, size_t len)
{
	long left = not_after - now;

	if (left <= 0)
		snprintf(buf, len, "INVALID: EXPIRED");
	else if (left >= 2 * 86400)
		snprintf(buf, len, "VALID: %ld days", left / 86400);
	else if (left >= 86400)
		snprintf(buf, len, "VALID: 1 day");
	else if (left >= 3600)
		snprintf(buf, len, "VALID: %ld hour(s)", left / 3600);
	else
		snprintf(buf, len, "VALID: %ld minute(s)", left / 60);
}

static void print_next_renewal(struct json_object *e)
{
	struct json_object *ari = NULL;
	char date[64], a[64], b[64];

	json_object_object_get_ex(e, "ari", &ari);
	if (jobj_time(e, "next_renewal")) {
		format_time(jobj_time(e, "next_renewal"), date, sizeof(date));
		client_printf("    Next Renewal: %s\n", date);
	} else if (json_object_object_get_ex(e, "revoked", NULL)) {
		client_printf(
			"    Next Renewal: none: revoked; 'acmectl renew --cert-name %s' for a new "
			"certificate\n",
			str_or_empty(jobj_str(e, "name")));
	} else {
		client_printf("    Next Renewal: not scheduled\n");
	}
	if (ari && jobj_time(ari, "window_start")) {
		format_time(jobj_time(ari, "window_start"), a, sizeof(a));
		format_time(jobj_time(ari, "window_end"), b, sizeof(b));
		client_printf("    Renewal Window (ARI): %s to %s\n", a, b);
		if (jobj_str(ari, "explanation"))
			client_printf("    Renewal Window Explanation: %s\n",
				      str_or_empty(jobj_str(ari, "explanation")));
	} else if (ari && jobj_str(ari, "error")) {
		client_printf(
			"    Renewal Window (ARI): unusable answer, renewing by the expiry rule: %s\n",
			str_or_empty(jobj_str(ari, "error")));
	}
}

/* What happened last: "issued 2026-...", "failed 2026-...", "revoked ...". */
static void print_last_result(struct json_object *e)
{
	struct json_object *lr = NULL;
	char date[64];

	if (!json_object_object_get_ex(e, "last_result", &lr) || !jobj_time(lr, "at"))
		return;
	format_time(jobj_time(lr, "at"), date, sizeof(date));
	client_printf("    Last Result: %s at %s\n", str_or_empty(jobj_str(lr, "status")), date);
}

/* The backoff after failed renewals, and the CA's Retry-After. */
static void print_failures(struct json_object *e)
{
	char date[64];

	if (jobj_int(e, "failures", 0) > 0) {
		format_time(jobj_time(e, "last_attempt"), date, sizeof(date));
		client_printf("    Renewal Failures: %lld in a row, the last at %s\n",
			      jobj_int(e, "failures", 0), date);
		if (jobj_str(e, "last_error"))
			client_printf("    Last Error: %s\n",
				      str_or_empty(jobj_str(e, "last_error")));
		format_time(jobj_time(e, "next_attempt"), date, sizeof(date));
		client_printf("    Next Attempt: %s\n", date);
	}
	if (jobj_time(e, "retry_after") > time(NULL)) {
		format_time(jobj_time(e, "retry_after"), date, sizeof(date));
		client_printf("    CA Retry-After: %s\n", date);
	}
}

/* The members of a certificate that print_entry() reads, and the text
 * listing asks acmed for: the reply then leaves out the others (server,
 * version, cert_path...), a third of it, which acmectl would parse for
 * nothing. test_ctl_output.c checks that print_entry() reads no other. */
static const char *const printed_fields[] = {
	"name", "serial", "key_type", "domains", "not_after", "revoked", "next_renewal", "ari",
	"fullchain_path", "privkey_path", "last_result", "failures", "last_attempt", "last_error",
	"next_attempt", "retry_after", "job_running", "problem",
};

static void print_entry(struct json_object *e, long now)
{
	struct json_object *doms;
	char date[64], valid[64];

	client_printf("  Certificate Name: %s\n", str_or_empty(jobj_str(e, "name")));
	if (jobj_str(e, "serial"))
		client_printf("    Serial Number: %s\n", str_or_empty(jobj_str(e, "serial")));
	if (jobj_str(e, "key_type"))
		client_printf("    Key Type: %s\n", str_or_empty(jobj_str(e, "key_type")));
	client_printf("    Domains:");
	if (json_object_object_get_ex(e, "domains", &doms))
		for (size_t i = 0; i < json_object_array_length(doms); i++)
			client_printf(" %s",
				      json_object_get_string(json_object_array_get_idx(doms, i)));
	client_printf("\n");
	if (jobj_str(e, "serial")) {
		format_time(jobj_time(e, "not_after"), date, sizeof(date));
		validity(jobj_time(e, "not_after"), now, valid, sizeof(valid));
		if (json_object_object_get_ex(e, "revoked", NULL))
			snprintf(valid, sizeof(valid), "INVALID: REVOKED");
		client_printf("    Expiry Date: %s (%s)\n", date, valid);
		print_next_renewal(e);
		client_printf("    Certificate Path: %s\n",
			      str_or_empty(jobj_str(e, "fullchain_path")));
		client_printf("    Private Key Path: %s\n",
			      str_or_empty(jobj_str(e, "privkey_path")));
	}
	print_last_result(e);
	print_failures(e);
	if (jobj_bool(e, "job_running"))
		client_printf("    Job: running\n");
	if (jobj_str(e, "problem"))
		client_printf("    Problem: %s\n", str_or_empty(jobj_str(e, "problem")));
}

const struct option certificates_options[] = {
	{ "cert-name", required_argument, NULL, 'c' },
	{ "domains", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "timeline", no_argument, NULL, OPT_TIMELINE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

/* The text listing, printed as the reply's items are parsed; with
 * --timeline, a bar a lineage (timeline.c). */
struct shown {
	long now;
	size_t n;
	int timeline; /* the bar's width; 0: certbot's listing */
	struct certs_cluster *cluster; /* storage = "etcd": the cluster's versions too */
};

static int print_item(struct json_object *e, void *ctx)
{
	struct shown *sh = ctx;

	if (sh->n++ == 0 && sh->timeline)
		timeline_print_head(sh->now);
	else if (sh->n == 1)
		client_printf("%s\nFound the following certs:\n", RULE);
	if (sh->timeline)
		timeline_print(e, sh->now, sh->timeline);
	else
		print_entry(e, sh->now);
	if (!sh->timeline)
		certs_cluster_print_version(sh->cluster, e);
	return 0;
}

/* The members the text listing prints, which acmed then sends alone. */
static struct json_object *fields_for(const struct shown *sh)
{
	struct json_object *fields = json_object_new_array();

	if (sh->timeline)
		for (size_t i = 0; timeline_fields[i]; i++)
			json_object_array_add(fields, json_object_new_string(timeline_fields[i]));
	else
		for (size_t i = 0; i < ELEMENTSOF(printed_fields); i++)
			json_object_array_add(fields, json_object_new_string(printed_fields[i]));
	if (sh->cluster && !sh->timeline)
		json_object_array_add(fields, json_object_new_string("version"));
	return fields;
}

/* What the command line asks for, beyond the request's ARGS. */
struct certs_opts {
	const char *config;    /* --config */
	const char *cert_name; /* --cert-name */
	bool filtered;         /* --cert-name or -d */
};

/* read_options() after --help: nothing more to do. */
#define HELP_SHOWN (-1)

/* The options into ARGS, SH and O: EXIT_OK, HELP_SHOWN, or the exit
 * status for a bad option. */
static int read_options(struct client *cl, int argc, char **argv, struct json_object *args,
			struct shown *sh, struct certs_opts *o)
{
	struct json_object *domains = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "d:h", certificates_options, NULL)) !=
	       -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case 'c':
			json_object_object_add(args, "cert_name", json_object_new_string(optarg));
			o->cert_name = optarg;
			o->filtered = true;
			break;
		case 'd':
			if (!domains) {
				domains = json_object_new_array();
				json_object_object_add(args, "domains", domains);
			}
			json_object_array_add(domains, json_object_new_string(optarg));
			o->filtered = true;
			break;
		case OPT_TIMELINE: sh->timeline = timeline_width(); break;
		case OPT_CONFIG: o->config = optarg; break;
		case 'h':
			client_fprintf(stdout, "Usage: acmectl certificates [--cert-name NAME] [-d DOMAIN] "
					       "[--timeline] [--json] [--config FILE]\n");
			return HELP_SHOWN;
		default:
			client_fprintf(stderr, "Try 'acmectl certificates --help'.\n");
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/* What follows the listing's items. */
static void print_tail(const struct shown *sh, const struct certs_opts *o)
{
	if (sh->n == 0)
		client_printf("No certificates found.\n");
	else if (!sh->timeline)
		client_printf("%s\n", RULE);
	if (!sh->timeline)
		certs_cluster_print_only(sh->cluster, o->cert_name, o->filtered);
}

int verb_certificates(struct client *cl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object(), *reply = NULL, *data, *list;
	struct shown shown = { (long)time(NULL), 0, 0, NULL };
	struct certs_opts o = { 0 };
	int ret = read_options(cl, argc, argv, args, &shown, &o);

	if (ret != EXIT_OK)
		goto out;
	/* In cluster mode (acmed.conf's storage), the cluster's versions too. */
	if (!shown.timeline || cl->json)
		shown.cluster = certs_cluster_new(o.config);
	if (!cl->json)
		json_object_object_add(args, "fields", fields_for(&shown));
	ret = cl->json ? client_request(cl, "certificates", args, &reply, &data)
		       : client_request_list(cl, "certificates", args, "certificates", print_item,
					     &shown, &reply, &data);
	if (ret != EXIT_OK)
		goto out;
	/* A reply in another form than acmed's own listing (its members in
	 * another order, say) arrives whole: its items are printed the same. */
	if (!cl->json && json_object_object_get_ex(data, "certificates", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++)
			print_item(json_object_array_get_idx(list, i), &shown);
	if (cl->json) {
		certs_cluster_annotate(shown.cluster, data, o.cert_name, o.filtered);
		client_print_json(data);
	} else {
		print_tail(&shown, &o);
	}
out:
	certs_cluster_free(shown.cluster);
	json_object_put(args);
	json_object_put(reply);
	return ret == HELP_SHOWN ? EXIT_OK : ret;
}
