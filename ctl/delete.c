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
	      "is revoked (see acmectl revoke). Asks on a terminal (without --cert-name, which\n"
	      "ones first); elsewhere needs -n.\n\n"
	      "      --cert-name NAME       the lineage to delete (may be repeated)\n"
	      "  -n, --non-interactive, --yes\n"
	      "                             do not ask\n"
	      "      --json                 the result as JSON\n",
	      f);
}

/* certbot's question. */
static bool confirmed(struct json_object *names)
{
	char question[4096];
	size_t len;

	len = (size_t)snprintf(question, sizeof(question),
			       "The following certificate(s) are selected for deletion:\n\n");
	for (size_t i = 0; i < json_object_array_length(names) && len < sizeof(question); i++)
		len += (size_t)snprintf(question + len, sizeof(question) - len, "  * %s\n",
					json_object_get_string(json_object_array_get_idx(names, i)));
	if (len < sizeof(question))
		snprintf(question + len, sizeof(question) - len,
			 "\nWARNING: Before continuing, ensure that the listed certificates are not "
			 "being\nused by any installed server software (e.g. Apache, nginx, mail "
			 "servers).\nDeleting a certificate that is still being used will cause the "
			 "server software\nto stop working. See https://certbot.org/deleting-certs for "
			 "information on\ndeleting certificates safely.\n\nAre you sure you want to "
			 "delete the above certificate(s)?");
	return prompt_yesno(question, "yes", "no") == 1;
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

/* On a cluster host the lineages deleted here are still in etcd (under
 * PREFIX), and the other hosts keep and renew them: say so, and what
 * removes them everywhere. */
static void cluster_note(struct json_object *names, const char *prefix)
{
	if (!prefix)
		return;
	client_fprintf(stderr, "Note: this host shares its certificates through etcd, so they "
			       "were deleted on this host only. The other hosts keep them and go "
			       "on renewing them, and their next version comes back here. To remove "
			       "them from the cluster, run this same delete on every host, then:\n");
	for (size_t i = 0; i < json_object_array_length(names); i++)
		client_fprintf(stderr, "  etcdctl del --prefix %slineages/%s/\n", prefix,
			       json_object_get_string(json_object_array_get_idx(names, i)));
}

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
	if (!ask)
		cl->non_interactive = true;
	if (json_object_array_length(names) == 0 && prompt_can_ask(cl, false)) {
		ret = pick_certificates(cl, "delete", true, names);
		if (ret != EXIT_OK)
			goto out;
		ret = EXIT_USAGE;
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
		cluster_note(names, jobj_str(data, "cluster_prefix"));
	}
out:
	json_object_put(reply);
	json_object_put(args);
	return ret;
}
