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
}

/* reload's and status's: nothing but the common ones. */
const struct option status_options[] = {
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

/* The options of VERB, which takes no argument: 0, 1 after its help
 * (USAGE), or -1 after a usage error (said). */
static int parse(struct client *cl, const char *verb, int argc, char **argv, const char *usage)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", status_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
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
	int ret = parse(cl, "reload", argc, argv,
			"Usage: acmectl reload [--json]\n\nRe-read acmed.conf and the renewal "
			"files. A bad acmed.conf is reported and the\nrunning configuration "
			"stays; a renewal file that does not parse quarantines its\nlineage "
			"(exit status 1), the others are reloaded.\n");

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

int verb_status(struct client *cl, int argc, char **argv)
{
	struct json_object *reply = NULL, *data;
	int ret = parse(cl, "status", argc, argv, "Usage: acmectl status [--json]\n");

	if (ret != 0)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	ret = client_request(cl, "status", NULL, &reply, &data);
	if (ret == EXIT_OK) {
		if (cl->json)
			client_print_json(data);
		else
			print_status(data);
	}
	json_object_put(reply);
	return ret;
}
