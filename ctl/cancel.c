/* acmectl cancel JOB: stop a job of acmed. Its lineage stays as it was. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static const char usage_text[] =
	"Usage: acmectl cancel JOB|NAME [--json] [-q]\n\n"
	"Cancel job JOB (its number, as 'acmectl status' shows it), or the job that\n"
	"works on certificate NAME. A queued job is dropped; a running certonly, renew\n"
	"or check job is stopped before it changes anything: live/, archive/ and the\n"
	"renewal file stay as they were, and its locks are released. A job that is\n"
	"already saving its certificate finishes (exit status 1 then), as do a\n"
	"revocation and an account change once they run. acmectl waits until the job\n"
	"has ended. Whoever waited for the job is told it was cancelled (exit status\n"
	"4).\n";

const struct option cancel_options[] = {
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

/* The request for JOB: a number is a job's id, anything else a name. */
static struct json_object *request_for(const char *job)
{
	struct json_object *args = json_object_new_object();
	char *end;
	long id = strtol(job, &end, 10);

	if (*job >= '0' && *job <= '9' && !*end && id > 0 && id < 1L << 30)
		json_object_object_add(args, "job", json_object_new_int((int)id));
	else
		json_object_object_add(args, "name", json_object_new_string(job));
	return args;
}

static int cancel(const struct client *cl, struct json_object *args, bool from_wait)
{
	struct json_object *reply = NULL, *data = NULL, *e = NULL;
	int ret = client_call(cl, "cancel", args, &reply);
	const char *name;

	if (ret != EXIT_OK)
		goto out;
	if (!client_reply_ok(reply)) {
		json_object_object_get_ex(reply, "error", &e);
		if (!from_wait) {
			ret = client_report_error(cl, reply);
		} else if (!streq(jobj_str(e, "code"), "not-found")) {
			/* (Waiting for a batch: a job of it that ended is not news.) */
			client_fprintf(stderr, "acmectl: %s\n", str_or_empty(jobj_str(e, "message")));
			ret = EXIT_FAILED;
		}
		goto out;
	}
	json_object_object_get_ex(reply, "data", &data);
	name = jobj_str(data, "name");
	if (from_wait)
		goto out; /* the job's own reply says it */
	if (cl->json)
		client_print_json(data);
	else
		client_printf("Job %lld (%s%s%s) cancelled; %s.\n", jobj_int(data, "job", 0),
			      str_or_empty(jobj_str(data, "kind")), name ? " " : "",
			      str_or_empty(name),
			      name ? "its lineage is unchanged" : "nothing was changed");
out:
	json_object_put(reply);
	return ret;
}

int cancel_job(const struct client *cl, int id, bool from_wait)
{
	struct json_object *args = json_object_new_object();
	int ret;

	json_object_object_add(args, "job", json_object_new_int(id));
	ret = cancel(cl, args, from_wait);
	json_object_put(args);
	return ret;
}

int verb_cancel(struct client *cl, int argc, char **argv)
{
	struct json_object *args;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", cancel_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		if (c == 'h') {
			client_fprintf(stdout, "%s", usage_text);
			return EXIT_OK;
		}
		client_fprintf(stderr, "Try 'acmectl cancel --help'.\n");
		return EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		client_fprintf(stderr, "acmectl cancel: %s\nTry 'acmectl cancel --help'.\n",
			       optind == argc ? "say which job: its number or its certificate's name"
					      : "one job at a time");
		return EXIT_USAGE;
	}
	args = request_for(argv[optind]);
	ret = cancel(cl, args, false);
	json_object_put(args);
	return ret;
}

int continue_job(const struct client *cl, int id)
{
	struct json_object *args = json_object_new_object(), *reply = NULL, *data;
	int ret;

	json_object_object_add(args, "job", json_object_new_int(id));
	ret = client_request(cl, "continue", args, &reply, &data);
	json_object_put(reply);
	json_object_put(args);
	return ret;
}

int verb_continue(struct client *cl, int argc, char **argv)
{
	char *end;
	long id;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", cancel_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		if (c == 'h') {
			client_fprintf(stdout, "Usage: acmectl continue JOB\n\nTell job JOB, which "
					       "waits for you to put a response in place (certonly\n"
					       "--manual without hooks), that it is: the job goes on. "
					       "The acmectl that\nstarted it does this when you press "
					       "Enter.\n");
			return EXIT_OK;
		}
		client_fprintf(stderr, "Try 'acmectl continue --help'.\n");
		return EXIT_USAGE;
	}
	id = optind + 1 == argc ? strtol(argv[optind], &end, 10) : 0;
	if (id <= 0 || id >= 1L << 30 || *end) {
		client_fprintf(stderr, "acmectl continue: say which job, by its number\nTry "
				       "'acmectl continue --help'.\n");
		return EXIT_USAGE;
	}
	c = continue_job(cl, (int)id);
	if (c == EXIT_OK)
		client_printf("Job %ld goes on.\n", id);
	return c;
}
