/* acmectl delete: certbot's `delete`, with the confirmation on a terminal. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static void usage(FILE *f)
{
	fputs("Usage: acmectl delete --cert-name NAME [--cert-name NAME...] [-n]\n\n"
	      "Delete lineages: their archive/ versions, live/ links and renewal file. Nothing\n"
	      "is revoked (see acmectl revoke). Asks on a terminal; elsewhere needs -n.\n\n"
	      "      --cert-name NAME       the lineage to delete (may be repeated)\n"
	      "  -n, --non-interactive, --yes\n"
	      "                             do not ask\n"
	      "      --json                 the result as JSON\n",
	      f);
}

/* certbot's question; true for "y" or "yes". */
static bool confirmed(struct json_object *names)
{
	char line[64] = "";

	client_printf("The following certificate(s) are selected for deletion:\n");
	for (size_t i = 0; i < json_object_array_length(names); i++)
		client_printf("  * %s\n",
			      json_object_get_string(json_object_array_get_idx(names, i)));
	client_printf("Are you sure you want to delete the above certificate(s)? (y)es/(c)ancel: ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return streq(line, "y") || streq(line, "Y") || streq(line, "yes") || streq(line, "Yes");
}

enum { O_NAME = 256 };

const struct option delete_options[] = {
	{ "cert-name", required_argument, NULL, O_NAME },
	{ "non-interactive", no_argument, NULL, 'n' },
	{ "noninteractive", no_argument, NULL, 'n' },
	{ "yes", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

int verb_delete(struct client *cl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object(), *names = json_object_new_array();
	struct json_object *reply = NULL, *data;
	bool ask = true;
	int c, ret = EXIT_USAGE;

	json_object_object_add(args, "cert_names", names);
	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "nh", delete_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_NAME: json_object_array_add(names, json_object_new_string(optarg)); break;
		case 'n': ask = false; break;
		case 'h': usage(stdout); ret = EXIT_OK; goto out;
		default: client_fprintf(stderr, "Try 'acmectl delete --help'.\n"); goto out;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl delete: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	if (json_object_array_length(names) == 0) {
		client_fprintf(stderr, "acmectl delete: which certificate? Pass --cert-name NAME "
				       "('acmectl certificates' lists them)\n");
		goto out;
	}
	if (ask && !isatty(STDIN_FILENO)) {
		client_fprintf(stderr,
			       "acmectl delete: not on a terminal, so nobody can confirm: pass -n "
			       "(or --yes) to delete without asking\n");
		goto out;
	}
	if (ask && !confirmed(names)) {
		client_printf("Nothing was deleted.\n");
		ret = EXIT_FAILED;
		goto out;
	}
	ret = client_request(cl, "delete", args, &reply, &data);
	if (ret == EXIT_OK && cl->json) {
		client_print_json(data);
	} else if (ret == EXIT_OK) {
		for (size_t i = 0; i < json_object_array_length(names); i++)
			client_printf("Deleted all files relating to certificate %s.\n",
				      json_object_get_string(json_object_array_get_idx(names, i)));
	}
out:
	json_object_put(reply);
	json_object_put(args);
	return ret;
}
