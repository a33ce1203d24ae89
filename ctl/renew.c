/* acmectl renew: certbot's `renew`, run by the daemon. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issue_opts.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

#define RULE "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -"

static void usage(FILE *f)
{
	fputs("Usage: acmectl renew [--cert-name NAME]... [OPTIONS]\n\n"
	      "Renew the certificates that are due (or those named) now, through the daemon.\n\n"
	      "      --cert-name NAME       only this lineage (may be repeated)\n"
	      "      --force-renewal        renew even if not due\n"
	      "      --dry-run              order and check new certificates, save nothing, run no\n"
	      "                             deploy hooks (pre and post hooks do run)\n"
	      "      --pre-hook CMD         run once before the first renewal\n"
	      "      --post-hook CMD        run once after the last renewal\n"
	      "      --deploy-hook CMD      run after each renewed lineage ($RENEWED_LINEAGE,\n"
	      "                             $RENEWED_DOMAINS)\n"
	      "      --no-directory-hooks   skip the hooks in renewal-hooks/\n"
	      "      --disable-hook-validation  do not check the hooks' commands first\n"
	      "      --no-random-sleep-on-renew accepted: renew never sleeps\n"
	      "  -q, --quiet                nothing but errors (cron mails nothing when all is\n"
	      "                             well)\n"
	      "  -v, --verbose              the jobs' own log lines too (-vv: the same)\n"
	      "      --json                 the result as JSON\n"
	      "\nExit status: 0 if no renewal or hook failed (also when nothing was due), 1 if any\n"
	      "did, 2 for a usage error.\n",
	      f);
}

static struct json_object *list_of(struct json_object *data, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(data, key, &v) && json_object_is_type(v, json_type_array)
		       ? v
		       : NULL;
}

static size_t count_of(struct json_object *data, const char *key)
{
	struct json_object *l = list_of(data, key);

	return l ? json_object_array_length(l) : 0;
}

/* "  PATH (TAG)" lines, certbot's layout; WHY adds the reason below. */
static void print_list(struct json_object *data, const char *key, const char *tag, bool why)
{
	struct json_object *l = list_of(data, key);
	char date[64];

	for (size_t i = 0; l && i < json_object_array_length(l); i++) {
		struct json_object *e = json_object_array_get_idx(l, i);
		const char *path = jobj_str(e, "fullchain_path"), *reason;

		if (str_empty(path))
			path = str_or_empty(jobj_str(e, "name"));
		if (jobj_time(e, "not_after") && streq(key, "not_due")) {
			format_time(jobj_time(e, "not_after"), date, sizeof(date));
			client_printf("  %s expires on %.10s (%s)\n", path, date, tag);
		} else {
			client_printf("  %s (%s)\n", path, tag);
		}
		reason = jobj_str(e, "message") ? jobj_str(e, "message") : jobj_str(e, "reason");
		if (why && reason)
			client_printf("    %s\n", reason);
	}
}

static void print_summary(struct json_object *data)
{
	bool dry = false;
	struct json_object *v;
	size_t renewed = count_of(data, "renewed"), failed = count_of(data, "failed");
	long hook_failures = jobj_int(data, "hook_failures", 0);

	if (json_object_object_get_ex(data, "dry_run", &v))
		dry = json_object_get_boolean(v);
	client_printf("%s\n", RULE);
	if (dry)
		client_printf(
			"** DRY RUN: simulating renewals; nothing is saved and no deploy hook runs\n");
	if (count_of(data, "not_due")) {
		client_printf("The following certificates are not due for renewal yet:\n");
		print_list(data, "not_due", "skipped", false);
	}
	if (count_of(data, "skipped")) {
		client_printf("The following certificates were skipped:\n");
		print_list(data, "skipped", "skipped", true);
	}
	if (renewed + failed == 0) {
		client_printf("No renewals were attempted.\n");
	} else if (failed == 0) {
		client_printf("Congratulations, all %srenewals succeeded:\n",
			      dry ? "simulated " : "");
		print_list(data, "renewed", "success", false);
	} else if (renewed == 0) {
		client_printf(
			"All %srenewals failed. The following certificates could not be renewed:\n",
			dry ? "simulated " : "");
		print_list(data, "failed", "failure", true);
	} else {
		client_printf("The following %srenewals succeeded:\n", dry ? "simulated " : "");
		print_list(data, "renewed", "success", false);
		client_printf("\nThe following %srenewals failed:\n", dry ? "simulated " : "");
		print_list(data, "failed", "failure", true);
	}
	if (hook_failures) {
		client_printf(
			"\nThe following hooks failed (the daemon's log has all their output):\n");
		client_print_hook_failures(stdout, data, "  ");
	}
	client_printf("%s\n", RULE);
	if (failed || hook_failures)
		client_printf("%zu renew failure(s), %ld hook failure(s)\n", failed, hook_failures);
}

enum { O_NAME = 256, O_FORCE, O_DRY, O_PRE, O_POST, O_DEPLOY, O_NODIR, O_IGNORED, O_NOSLEEP,
       O_NOVALIDATE };

const struct option renew_options[] = {
	{ "cert-name", required_argument, NULL, O_NAME },
	{ "force-renewal", no_argument, NULL, O_FORCE },
	{ "renew-by-default", no_argument, NULL, O_FORCE },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "pre-hook", required_argument, NULL, O_PRE },
	{ "post-hook", required_argument, NULL, O_POST },
	{ "deploy-hook", required_argument, NULL, O_DEPLOY },
	{ "renew-hook", required_argument, NULL, O_DEPLOY },
	{ "no-directory-hooks", no_argument, NULL, O_NODIR },
	{ "disable-hook-validation", no_argument, NULL, O_NOVALIDATE },
	{ "no-random-sleep-on-renew", no_argument, NULL, O_NOSLEEP },
	{ "non-interactive", no_argument, NULL, O_IGNORED },
	{ "noninteractive", no_argument, NULL, O_IGNORED },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

static int parse(struct client *cl, int argc, char **argv, struct json_object *args)
{
	struct json_object *names = NULL;
	bool nosleep = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "nh", renew_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_NAME:
			if (!names) {
				names = json_object_new_array();
				json_object_object_add(args, "cert_names", names);
			}
			json_object_array_add(names, json_object_new_string(optarg));
			break;
		case O_FORCE:
			json_object_object_add(args, "force_renewal", json_object_new_boolean(1));
			break;
		case O_DRY: json_object_object_add(args, "dry_run", json_object_new_boolean(1)); break;
		case O_PRE: json_object_object_add(args, issue_opts[IO_PRE_HOOK].key, json_object_new_string(optarg)); break;
		case O_POST:
			json_object_object_add(args, issue_opts[IO_POST_HOOK].key, json_object_new_string(optarg));
			break;
		case O_DEPLOY:
			json_object_object_add(args, issue_opts[IO_DEPLOY_HOOK].key, json_object_new_string(optarg));
			break;
		case O_NODIR:
			json_object_object_add(args, "no_directory_hooks", json_object_new_boolean(1));
			break;
		case O_NOVALIDATE:
			json_object_object_add(args, issue_opts[IO_DISABLE_HOOK_VALIDATION].key,
					       json_object_new_boolean(1));
			break;
		case O_NOSLEEP: nosleep = true; break;
		case 'n': case O_IGNORED: break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: client_fprintf(stderr, "Try 'acmectl renew --help'.\n"); return -1;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl renew: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (nosleep)
		client_note(cl, "--no-random-sleep-on-renew does nothing: acmectl renew never "
				"sleeps (acmed spreads its own renewals)");
	return 0;
}

/* -q: what failed, on stderr; nothing when all went well (cron mails
 * nothing). */
static void print_errors(struct json_object *data)
{
	struct json_object *l = list_of(data, "failed");

	for (size_t i = 0; l && i < json_object_array_length(l); i++) {
		struct json_object *e = json_object_array_get_idx(l, i);
		const char *why = jobj_str(e, "message") ? jobj_str(e, "message") : jobj_str(e, "reason");

		client_fprintf(stderr, "acmectl: renewing %s failed%s%s\n",
			       str_or_empty(jobj_str(e, "name")), why ? ": " : "", str_or_empty(why));
	}
	client_print_hook_failures(stderr, data, "acmectl: ");
}

int verb_renew(struct client *cl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object(), *reply = NULL, *data;
	int ret;

	cl->show_names = true;
	if (parse(cl, argc, argv, args) < 0) {
		json_object_put(args);
		return EXIT_USAGE;
	}
	ret = client_request(cl, "renew", args, &reply, &data);
	json_object_put(args);
	if (ret == EXIT_OK) {
		if (cl->json)
			client_print_json(data);
		else if (cl->quiet)
			print_errors(data);
		else
			print_summary(data);
		if (count_of(data, "failed") || jobj_int(data, "hook_failures", 0))
			ret = EXIT_FAILED;
	}
	json_object_put(reply);
	return ret;
}
