/* acmectl account: register, show, update, deactivate, rollover. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static void usage(FILE *f)
{
	fputs("Usage: acmectl account COMMAND [OPTIONS]\n\n"
	      "The ACME account acmed uses with a CA (one per CA).\n\n"
	      "Commands:\n"
	      "  register   --agree-tos (--email E | --register-unsafely-without-email)\n"
	      "             [--eab-kid KID --eab-hmac-key KEY]\n"
	      "  show       what the CA has on file (status, contact)\n"
	      "  update     --email E: change the contact address\n"
	      "  deactivate stop the account for good (a new one can be registered)\n"
	      "  rollover   replace the account key (RFC 8555 key change)\n\n"
	      "Options:\n"
	      "  -m, --email ADDRESS        contact address (a@x,b@y: several)\n"
	      "      --register-unsafely-without-email\n"
	      "      --agree-tos            accept the CA's terms of service\n"
	      "      --eab-kid KID          external account binding: the key ID the CA gave\n"
	      "      --eab-hmac-key KEY     and its MAC key (base64url)\n"
	      "      --server URL           the CA (default: the daemon's)\n"
	      "      --eff-email, --no-eff-email  accepted: acmed shares your address with no\n"
	      "                             list\n"
	      "      --json                 the result as JSON\n",
	      f);
}

static void print_account(struct json_object *d)
{
	struct json_object *contact = NULL;
	const char *op = jobj_str(d, "op");

	if (streq(op, "register"))
		client_printf("Account registered.\n");
	else if (streq(op, "update"))
		client_printf("Your e-mail address was updated to %s.\n",
			      str_or_empty(jobj_str(d, "email")));
	else if (streq(op, "deactivate"))
		client_printf("Account deactivated.\n");
	else if (streq(op, "rollover"))
		client_printf(
			"The account key was replaced; the CA knows the account by the new one.\n");
	client_printf("  Server: %s\n", str_or_empty(jobj_str(d, "server")));
	client_printf("  Account URL: %s\n", str_or_empty(jobj_str(d, "url")));
	client_printf("  Account ID: %s\n", str_or_empty(jobj_str(d, "id")));
	if (jobj_str(d, "status"))
		client_printf("  Status: %s\n", str_or_empty(jobj_str(d, "status")));
	if (json_object_object_get_ex(d, "contact", &contact)) {
		client_printf("  Contact:");
		for (size_t i = 0; i < json_object_array_length(contact); i++)
			client_printf(" %s", json_object_get_string(
						     json_object_array_get_idx(contact, i)));
		client_printf("%s\n", json_object_array_length(contact) ? "" : " none");
	} else if (jobj_str(d, "email")) {
		client_printf("  Email: %s\n", str_or_empty(jobj_str(d, "email")));
	}
	client_printf("  Key: %s, thumbprint %s\n", str_or_empty(jobj_str(d, "key_type")),
		      str_or_empty(jobj_str(d, "thumbprint")));
}

enum { O_UNSAFE = 256, O_TOS, O_KID, O_HMAC, O_SERVER, O_EFF };

const char *const account_ops[] = { "register", "show", "update", "deactivate", "rollover",
				    NULL };

const struct option account_options[] = {
	{ "email", required_argument, NULL, 'm' },
	{ "register-unsafely-without-email", no_argument, NULL, O_UNSAFE },
	{ "agree-tos", no_argument, NULL, O_TOS },
	{ "eab-kid", required_argument, NULL, O_KID },
	{ "eab-hmac-key", required_argument, NULL, O_HMAC },
	{ "server", required_argument, NULL, O_SERVER },
	{ "non-interactive", no_argument, NULL, 'n' },
	{ "eff-email", no_argument, NULL, O_EFF },
	{ "no-eff-email", no_argument, NULL, O_EFF },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

int verb_account(struct client *cl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object(), *reply = NULL, *data;
	const char *op = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	const char *eff = NULL;
	bool known = false;
	int c, ret = EXIT_USAGE;

	for (size_t i = 0; op && account_ops[i]; i++)
		known |= streq(op, account_ops[i]);
	optind = op ? 2 : 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "m:nh", account_options, NULL)) !=
	       -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case 'm':
			if (client_check_email("--email", optarg) < 0)
				goto out;
			json_object_object_add(args, "email", json_object_new_string(optarg));
			break;
		case O_UNSAFE:
			json_object_object_add(args, "register_unsafely_without_email",
					       json_object_new_boolean(1));
			break;
		case O_TOS: json_object_object_add(args, "agree_tos", json_object_new_boolean(1)); break;
		case O_KID: json_object_object_add(args, "eab_kid", json_object_new_string(optarg)); break;
		case O_HMAC:
			json_object_object_add(args, "eab_hmac_key", json_object_new_string(optarg));
			break;
		case O_SERVER:
			json_object_object_add(args, "server", json_object_new_string(optarg));
			break;
		case 'n': cl->non_interactive = true; break;
		case O_EFF: eff = argv[optind - 1]; break;
		case 'h': usage(stdout); ret = EXIT_OK; goto out;
		default: client_fprintf(stderr, "Try 'acmectl account --help'.\n"); goto out;
		}
	}
	if (!known) {
		client_fprintf(stderr,
			       "acmectl account: %s%s%s: say register, show, update, deactivate or "
			       "rollover\n",
			       op ? "unknown command '" : "which command", op ? op : "",
			       op ? "'" : "");
		goto out;
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl account %s: unexpected argument '%s'\n", op,
			       argv[optind]);
		goto out;
	}
	if (eff)
		client_note(cl, "%s does nothing: acmed gives your address to nobody but the CA",
			    eff);
	json_object_object_add(args, "op", json_object_new_string(op));
	ret = client_request(cl, "account", args, &reply, &data);
	if (ret == EXIT_OK && cl->json)
		client_print_json(data);
	else if (ret == EXIT_OK)
		print_account(data);
out:
	json_object_put(reply);
	json_object_put(args);
	return ret;
}
