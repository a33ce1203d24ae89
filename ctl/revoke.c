/* acmectl revoke: certbot's `revoke`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static void usage(FILE *f)
{
	fputs("Usage: acmectl revoke (--cert-name NAME | --cert-path PATH) [OPTIONS]\n\n"
	      "Revoke a certificate. A lineage's current certificate is then marked revoked\n"
	      "and not renewed on its own; renew it by name, or delete it. Given neither\n"
	      "--cert-name nor --cert-path on a terminal, it asks which lineage.\n\n"
	      "      --cert-name NAME       the current certificate of this lineage\n"
	      "      --cert-path PATH       this certificate file (PEM)\n"
	      "      --reason R             unspecified (default), keycompromise,\n"
	      "                             affiliationchanged, superseded, cessationofoperation\n"
	      "      --key-path KEY         sign with the certificate's own key (PEM) instead\n"
	      "                             of the account key, e.g. when the account is lost\n"
	      "      --delete-after-revoke  then delete the lineage\n"
	      "      --no-delete-after-revoke  keep it, marked revoked (the default)\n"
	      "      --server URL           the CA, for a certificate that is in no lineage\n"
	      "  -n, --non-interactive      never ask which certificate\n"
	      "      --json                 the result as JSON\n",
	      f);
}

/* Put the text of file PATH, named by option OPT, in ARGS[KEY]. */
static int add_file(struct json_object *args, const char *key, const char *opt,
		    const char *path)
{
	char *text = NULL;
	int r = client_read_file(opt, path, &text, NULL);

	if (r < 0)
		return r;
	json_object_object_add(args, key, json_object_new_string(text));
	free(text);
	return 0;
}

enum { O_NAME = 256, O_PATH, O_REASON, O_KEY, O_DEL, O_NODEL, O_SERVER };

const struct option revoke_options[] = {
	{ "cert-name", required_argument, NULL, O_NAME },
	{ "cert-path", required_argument, NULL, O_PATH },
	{ "reason", required_argument, NULL, O_REASON },
	{ "key-path", required_argument, NULL, O_KEY },
	{ "delete-after-revoke", no_argument, NULL, O_DEL },
	{ "no-delete-after-revoke", no_argument, NULL, O_NODEL },
	{ "server", required_argument, NULL, O_SERVER },
	{ "non-interactive", no_argument, NULL, 'n' },
	{ "noninteractive", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

int verb_revoke(struct client *cl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object(), *reply = NULL, *data, *picked = NULL;
	const char *path = NULL, *name = NULL;
	int c, ret = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "nh", revoke_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_NAME: name = optarg; break;
		case O_PATH: path = optarg; break;
		case O_REASON:
			json_object_object_add(args, "reason", json_object_new_string(optarg));
			break;
		case O_KEY:
			if (add_file(args, "key", "--key-path", optarg) < 0)
				goto out;
			break;
		case O_DEL: json_object_object_add(args, "delete", json_object_new_boolean(1)); break;
		case O_NODEL: json_object_object_del(args, "delete"); break;
		case O_SERVER:
			json_object_object_add(args, "server", json_object_new_string(optarg));
			break;
		case 'n': cl->non_interactive = true; break;
		case 'h': usage(stdout); ret = EXIT_OK; goto out;
		default: client_fprintf(stderr, "Try 'acmectl revoke --help'.\n"); goto out;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl revoke: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	if (!name && !path && prompt_can_ask(cl, false)) {
		picked = json_object_new_array();
		ret = pick_certificates(cl, "revoke", false, picked);
		if (ret != EXIT_OK)
			goto out;
		name = json_object_get_string(json_object_array_get_idx(picked, 0));
		ret = EXIT_USAGE;
	}
	if (!name == !path) {
		client_fprintf(stderr, "acmectl revoke: say which certificate: --cert-name NAME or "
				       "--cert-path PATH\n");
		goto out;
	}
	if (name)
		json_object_object_add(args, "cert_name", json_object_new_string(name));
	if (path && add_file(args, "cert", "--cert-path", path) < 0)
		goto out;
	ret = client_request(cl, "revoke", args, &reply, &data);
	if (ret != EXIT_OK)
		goto out;
	if (cl->json) {
		client_print_json(data);
		goto out;
	}
	if (jobj_bool(data, "already_revoked"))
		client_printf("The CA had revoked the certificate %s already",
			      str_or_empty(path ? path : name));
	else
		client_printf("Congratulations! You have successfully revoked the certificate %s",
			      str_or_empty(path ? path : name));
	client_printf(" (serial %s, reason %s).\n", str_or_empty(jobj_str(data, "serial")),
		      str_or_empty(jobj_str(data, "reason")));
	if (jobj_bool(data, "deleted"))
		client_printf("Deleted all files relating to certificate %s.\n",
			      str_or_empty(jobj_str(data, "name")));
	else if (jobj_str(data, "name"))
		client_printf("Lineage %s is marked revoked and will not be renewed on its own.\n",
			      jobj_str(data, "name"));
out:
	json_object_put(reply);
	json_object_put(args);
	json_object_put(picked);
	return ret;
}
