/* acmectl status: the daemon's state. */
#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static void print_time_line(const char *label, time_t t)
{
	char date[64];

	format_time(t, date, sizeof(date));
	client_printf("%s%s\n", label, date);
}

static void print_jobs(struct json_object *jobs)
{
	for (size_t i = 0; jobs && i < json_object_array_length(jobs); i++) {
		struct json_object *j = json_object_array_get_idx(jobs, i);
		const char *what = jobj_str(j, "name") ? jobj_str(j, "name") : jobj_str(j, "server");

		client_printf("  job %lld, %s%s%s: %s%s%s\n", jobj_int(j, "id", 0),
			      str_or_empty(jobj_str(j, "kind")), what ? " " : "",
			      str_or_empty(what), str_or_empty(jobj_str(j, "state")),
			      jobj_str(j, "step") ? ", " : "", str_or_empty(jobj_str(j, "step")));
	}
}

/* The jobs that ended lately, the last first: "job 5, certonly a.example:
 * cancelled at DATE". */
static void print_recent(struct json_object *recent)
{
	size_t n = recent ? json_object_array_length(recent) : 0;

	if (n)
		client_printf("Recent jobs:\n");
	for (size_t i = n; i-- > 0;) {
		struct json_object *j = json_object_array_get_idx(recent, i);
		const char *name = jobj_str(j, "name"), *err = jobj_str(j, "error");
		char date[64];

		format_time(jobj_time(j, "finished"), date, sizeof(date));
		client_printf("  job %lld, %s%s%s: %s at %s\n", jobj_int(j, "id", 0),
			      str_or_empty(jobj_str(j, "kind")), name ? " " : "", str_or_empty(name),
			      str_or_empty(jobj_str(j, "result")), date);
		if (err && !streq(jobj_str(j, "result"), "cancelled"))
			client_printf("    %s\n", err);
	}
}

static void print_failing(struct json_object *failing)
{
	for (size_t i = 0; failing && i < json_object_array_length(failing); i++) {
		struct json_object *f = json_object_array_get_idx(failing, i);
		char date[64];

		format_time(jobj_time(f, "next_attempt"), date, sizeof(date));
		client_printf("  %s: %lld failure(s), next attempt %s\n    %s\n",
			      str_or_empty(jobj_str(f, "name")), jobj_int(f, "failures", 0), date,
			      str_or_empty(jobj_str(f, "last_error")));
	}
}

/* The lineages past their renewal time (status's "attention"). */
static void print_attention(struct json_object *data)
{
	struct json_object *att = NULL;
	size_t n;

	json_object_object_get_ex(data, "attention", &att);
	n = att ? json_object_array_length(att) : 0;
	if (n == 0)
		return;
	client_printf("Past their renewal time: %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(att, i);
		char date[64];

		format_time(jobj_time(a, "not_after"), date, sizeof(date));
		client_printf("  %s: %s, %s %s\n", str_or_empty(jobj_str(a, "name")),
			      str_or_empty(jobj_str(a, "level")),
			      jobj_time(a, "not_after") <= time(NULL) ? "expired" : "expires", date);
	}
}

/* Cluster mode: this host, its watcher and etcd as the watcher sees it. */
static void print_cluster(struct json_object *data)
{
	struct json_object *cl;
	char since[64];

	if (!json_object_object_get_ex(data, "cluster", &cl))
		return;
	format_time(jobj_time(cl, "since"), since, sizeof(since));
	client_printf("Cluster: host %s, watcher %s, etcd %s since %s%s%s, %lld version(s) "
		      "copied from other hosts\n",
		      str_or_empty(jobj_str(cl, "host")), str_or_empty(jobj_str(cl, "watcher")),
		      streq(str_or_empty(jobj_str(cl, "etcd")), "down") ? "UNREACHABLE" : "up",
		      since, jobj_str(cl, "error") ? ": " : "", str_or_empty(jobj_str(cl, "error")),
		      jobj_int(cl, "materialised", 0));
}

static void print_status(struct json_object *data)
{
	struct json_object *jobs = NULL, *failing = NULL, *next = NULL, *recent = NULL;

	json_object_object_get_ex(data, "jobs", &jobs);
	json_object_object_get_ex(data, "failing", &failing);
	json_object_object_get_ex(data, "next_renewal", &next);
	client_printf("acmed %s (pid %lld), up %lld s\n", str_or_empty(jobj_str(data, "version")),
		      jobj_int(data, "pid", 0), jobj_int(data, "uptime", 0));
	client_printf("State directory: %s\n", str_or_empty(jobj_str(data, "state_dir")));
	client_printf("Default CA: %s\n", str_or_empty(jobj_str(data, "server")));
	client_printf("Certificates: %lld\n", jobj_int(data, "certificates", 0));
	print_cluster(data);
	if (next) {
		char date[64];

		format_time(jobj_time(next, "at"), date, sizeof(date));
		client_printf("Next renewal: %s at %s\n", str_or_empty(jobj_str(next, "name")),
			      date);
	}
	client_printf("Jobs: %lld running, %lld queued\n", jobj_int(data, "jobs_running", 0),
		      jobj_int(data, "jobs_queued", 0));
	print_jobs(jobs);
	json_object_object_get_ex(data, "recent_jobs", &recent);
	print_recent(recent);
	client_printf("Hooks: %lld running or queued\n", jobj_int(data, "hooks_pending", 0));
	if (jobj_time(data, "next_wakeup"))
		print_time_line("Next wake-up: ", jobj_time(data, "next_wakeup"));
	else
		client_printf("Next wake-up: none scheduled\n");
	if (failing && json_object_array_length(failing)) {
		client_printf("Renewals failing: %zu\n", json_object_array_length(failing));
		print_failing(failing);
	}
	print_attention(data);
}

/* reload's and metrics': nothing but the common ones. */
const struct option reload_options[] = {
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

const struct option status_options[] = {
	{ "check", no_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

/* The options of VERB (OPTS), which takes no argument: 0, 1 after its help
 * (USAGE), or -1 after a usage error (said). *CHECK is set by --check. */
static int parse(struct client *cl, const char *verb, const struct option *opts, int argc,
		 char **argv, const char *usage, bool *check)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		if (c == 'C') {
			*check = true;
			continue;
		}
		if (c == 'h') {
			client_fprintf(stdout, "%s", usage);
			return 1;
		}
		client_fprintf(stderr, "Try 'acmectl %s --help'.\n", verb);
		return -1;
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl %s: unexpected argument '%s'\nTry 'acmectl %s "
				       "--help'.\n", verb, argv[optind], verb);
		return -1;
	}
	return 0;
}

int verb_reload(struct client *cl, int argc, char **argv)
{
	struct json_object *reply = NULL, *data;
	bool check = false;
	int ret = parse(cl, "reload", reload_options, argc, argv,
			"Usage: acmectl reload [--json]\n\nRe-read acmed.conf and the renewal "
			"files. A bad acmed.conf is reported and the\nrunning configuration "
			"stays; a renewal file that does not parse quarantines its\nlineage "
			"(exit status 1), the others are reloaded.\n", &check);

	if (ret != 0)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	ret = client_request(cl, "reload", NULL, &reply, &data);
	if (ret == EXIT_OK && cl->json)
		client_print_json(data);
	else if (ret == EXIT_OK)
		client_printf("acmed: %s\n", str_or_empty(jobj_str(data, "message")));
	if (ret == EXIT_OK && jobj_int(data, "quarantined", 0) > 0)
		ret = EXIT_FAILED;
	json_object_put(reply);
	return ret;
}

/* Nagios's plugin exit statuses; UNKNOWN is acmectl's "cannot reach". */
enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL };

/* The lineages of ATTENTION at LEVEL: "a.example expired 2026-...", "b
 * (expires ...)", joined by ", " into BUF at *POS. The count. */
static size_t check_list(struct json_object *attention, const char *level, char *buf,
			 size_t len, size_t *pos)
{
	size_t n = 0;

	for (size_t i = 0; attention && i < json_object_array_length(attention); i++) {
		struct json_object *a = json_object_array_get_idx(attention, i);
		time_t na = jobj_time(a, "not_after");
		char date[64];

		if (!streq(jobj_str(a, "level"), level))
			continue;
		format_time(na, date, sizeof(date));
		if (*pos < len)
			*pos += (size_t)snprintf(buf + *pos, len - *pos, "%s%s %s %s",
						 *pos ? ", " : "", str_or_empty(jobj_str(a, "name")),
						 na <= time(NULL) ? "expired" : "expires", date);
		n++;
	}
	return n;
}

/* `status --check`: one line for Nagios/Icinga, and its exit status. */
static int print_check(struct json_object *data)
{
	struct json_object *attention = NULL, *failing = NULL;
	char crit[512] = "", warn[512] = "", fail[512] = "";
	size_t cpos = 0, wpos = 0, fpos = 0, ncrit, nwarn, nover, nfail;
	int code;

	json_object_object_get_ex(data, "attention", &attention);
	json_object_object_get_ex(data, "failing", &failing);
	ncrit = check_list(attention, "critical", crit, sizeof(crit), &cpos);
	nwarn = check_list(attention, "warning", warn, sizeof(warn), &wpos);
	nover = check_list(attention, "overdue", warn, sizeof(warn), &wpos);
	nfail = failing ? json_object_array_length(failing) : 0;
	for (size_t i = 0; i < nfail && fpos < sizeof(fail); i++)
		fpos += (size_t)snprintf(fail + fpos, sizeof(fail) - fpos, "%s%s", i ? ", " : "",
					 str_or_empty(jobj_str(json_object_array_get_idx(failing, i),
							       "name")));
	code = ncrit ? CHECK_CRITICAL : nwarn || nover || nfail ? CHECK_WARNING : CHECK_OK;
	client_printf("ACMED %s - %lld certificate(s)", code == CHECK_CRITICAL ? "CRITICAL"
							: code == CHECK_WARNING ? "WARNING" : "OK",
		      jobj_int(data, "certificates", 0));
	if (ncrit)
		client_printf("; past the last warning: %s", crit);
	if (nwarn || nover)
		client_printf("; past the renewal time: %s", warn);
	if (nfail)
		client_printf("; renewal failing: %s", fail);
	if (code == CHECK_OK)
		client_printf(", every one renewed on time");
	client_printf(" | critical=%zu warning=%zu overdue=%zu failing=%zu\n", ncrit, nwarn, nover,
		      nfail);
	return code;
}

int verb_status(struct client *cl, int argc, char **argv)
{
	struct json_object *reply = NULL, *data;
	bool check = false;
	int ret = parse(cl, "status", status_options, argc, argv,
			"Usage: acmectl status [--check] [--json]\n\n  --check  one line for "
			"Nagios or Icinga; exit status 0 OK, 1 WARNING (a\n           renewal "
			"failing or a certificate past its renewal time), 2 CRITICAL\n"
			"           (past its last expiry warning, or expired), 3 acmed not reached\n",
			&check);

	if (ret != 0)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	ret = client_request(cl, "status", NULL, &reply, &data);
	if (ret == EXIT_OK && check)
		ret = print_check(data);
	else if (ret == EXIT_OK) {
		if (cl->json)
			client_print_json(data);
		else
			print_status(data);
	}
	json_object_put(reply);
	return ret;
}

int verb_metrics(struct client *cl, int argc, char **argv)
{
	struct json_object *reply = NULL, *data;
	bool check = false;
	int ret = parse(cl, "metrics", reload_options, argc, argv,
			"Usage: acmectl metrics\n\nPrint the daemon's Prometheus metrics (text "
			"format 0.0.4), the same as\nmetrics_file and metrics_listen give.\n",
			&check);

	if (ret != 0)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	ret = client_request(cl, "metrics", NULL, &reply, &data);
	if (ret == EXIT_OK && cl->json)
		client_print_json(data);
	else if (ret == EXIT_OK)
		client_printf("%s", str_or_empty(jobj_str(data, "text")));
	json_object_put(reply);
	return ret;
}
