/* acmectl check and repair. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

/* Older versions that fail the checks: said, not problems (live/ does
 * not serve them). */
static void print_notes(struct json_object *e)
{
	struct json_object *n = NULL;

	json_object_object_get_ex(e, "notes", &n);
	for (size_t k = 0; n && k < json_object_array_length(n); k++)
		client_printf("  note: %s\n",
			      json_object_get_string(json_object_array_get_idx(n, k)));
}

static void print_result(struct json_object *data, bool repair)
{
	struct json_object *list = NULL;

	json_object_object_get_ex(data, "lineages", &list);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *p = NULL, *rem = NULL;
		const char *name = str_or_empty(jobj_str(e, "name"));

		json_object_object_get_ex(e, "problems", &p);
		json_object_object_get_ex(e, "remaining", &rem);
		if (!p || json_object_array_length(p) == 0) {
			client_printf("%s: ok\n", name);
			print_notes(e);
			continue;
		}
		client_printf("%s: %zu problem(s)\n", name, json_object_array_length(p));
		for (size_t k = 0; k < json_object_array_length(p); k++)
			client_printf("  - %s\n",
				      json_object_get_string(json_object_array_get_idx(p, k)));
		print_notes(e);
		if (!repair)
			continue;
		client_printf("  repair: %s\n", str_or_empty(jobj_str(e, "repaired")));
		for (size_t k = 0; rem && k < json_object_array_length(rem); k++)
			client_printf("  still: %s\n",
				      json_object_get_string(json_object_array_get_idx(rem, k)));
		client_printf("  %s\n", jobj_bool(e, "ok") ? "now ok" : "NOT repaired");
	}
	if (jobj_int(data, "problems", 0))
		client_printf("%lld lineage(s) with problems%s.\n", jobj_int(data, "problems", 0),
			      repair ? " left"
				     : "; 'acmectl repair' relinks live/ to a good version");
	else
		client_printf("All %zu lineage(s) are whole.\n",
			      list ? json_object_array_length(list) : 0);
}

enum { O_NAME = 256 };

/* check's and repair's. */
const struct option check_options[] = {
	{ "cert-name", required_argument, NULL, O_NAME },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

static int check_or_repair(struct client *cl, int argc, char **argv, bool repair)
{
	struct json_object *args = json_object_new_object(), *names = NULL, *reply = NULL, *data;
	int c, ret = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", check_options, NULL)) != -1) {
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
		case 'h':
			client_fprintf(stdout,
				"Usage: acmectl %s [--cert-name NAME]... [--json]\n\n%s\n",
				repair ? "repair" : "check",
				repair ? "Point live/ of broken lineages at their newest version that "
					 "passes the check again\n(links flattened into files become links)."
				       : "Check every lineage (or those named): live/ links, archive/ "
					 "files, keys, modes.\nExit status 1 if any has a problem.");
			ret = EXIT_OK;
			goto out;
		default:
			client_fprintf(stderr, "Try 'acmectl %s --help'.\n",
				       repair ? "repair" : "check");
			goto out;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl %s: unexpected argument '%s'\n",
			       repair ? "repair" : "check", argv[optind]);
		goto out;
	}
	ret = client_request(cl, repair ? "repair" : "check", args, &reply, &data);
	if (ret != EXIT_OK)
		goto out;
	if (cl->json)
		client_print_json(data);
	else
		print_result(data, repair);
	if (jobj_int(data, "problems", 0))
		ret = EXIT_FAILED;
out:
	json_object_put(reply);
	json_object_put(args);
	return ret;
}

int verb_check(struct client *cl, int argc, char **argv)
{
	return check_or_repair(cl, argc, argv, false);
}

int verb_repair(struct client *cl, int argc, char **argv)
{
	return check_or_repair(cl, argc, argv, true);
}
