/* acmectl reconfigure: certbot's `reconfigure` (certbot 2.3 and later).
 * certonly's options for a lineage named with --cert-name; the daemon
 * tries them with a dry run and saves them only if it succeeds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/store_migrate.h"
#include "ctl/verbs.h"

/* certbot's words (it says nothing more of the dry run when it succeeded),
 * then each setting that changed. */
static void print_result(struct json_object *data)
{
	struct json_object *list = NULL;
	size_t n;

	json_object_object_get_ex(data, "changes", &list);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	if (n == 0) {
		client_printf("\nNo changes were made to the renewal configuration.\n");
		return;
	}
	client_printf("\nSuccessfully updated configuration.\n"
		      "Changes will apply when the certificate renews.\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(list, i);

		client_printf("  %s: %s -> %s\n", str_or_empty(jobj_str(o, "setting")),
			      jobj_str(o, "old") ? jobj_str(o, "old") : "(none)",
			      jobj_str(o, "new") ? jobj_str(o, "new") : "(none)");
	}
}

/* On a cluster host (the daemon's reply names etcd's prefix), the settings
 * the daemon saved here go to etcd too, so that every host installs them
 * and the next version published anywhere keeps them; also when nothing
 * changed (reconfigure run again after etcd did not answer). Said, and
 * recorded in DATA ("cluster": {"saved", "error"}). EXIT_OK, or
 * EXIT_FAILED when they are on this host only. SAY: print the success
 * (not with --json). */
static int push_to_cluster(struct json_object *data, bool say)
{
	const char *name = jobj_str(data, "name"), *settings = jobj_str(data, "settings");
	const char *config = jobj_str(data, "config"), *prefix = jobj_str(data, "cluster_prefix");
	struct json_object *said = json_object_new_object();
	char err[1024] = "";
	int r;

	if (!name || !settings)
		r = -EPROTO;
	else
		r = migrate_push_renewal(config, prefix, name, settings, err, sizeof(err));
	json_object_object_add(said, "saved", json_object_new_boolean(r == 0));
	if (r < 0)
		json_object_object_add(said, "error",
				       json_object_new_string(err[0] ? err : acmed_strerror(r)));
	json_object_object_add(data, "cluster", said);
	if (r == 0) {
		if (say)
			client_printf("The renewal settings of %s are in etcd too: every host of "
				      "the cluster renews it with them.\n", name);
		return EXIT_OK;
	}
	fflush(stdout); /* what was saved first, then what was not */
	client_fprintf(stderr,
		       "acmectl: error: the renewal settings were saved on this host only, not "
		       "in etcd: %s\nThe next version another host publishes would bring its "
		       "own settings back here. Once acmectl can reach etcd, run this same "
		       "reconfigure again, or:\n"
		       "  acmectl store migrate --to etcd%s%s --cert-name %s\n",
		       err[0] ? err : acmed_strerror(r), config ? " --config " : "",
		       config ? config : "", str_or_empty(name));
	return EXIT_FAILED;
}

/* No --cert-name, on a terminal: certbot's question, with the lineages
 * acmed has to pick from. EXIT_OK with "cert_name" in ARGS, or the exit
 * status (the error said). */
static int pick_name(const struct client *cl, struct json_object *args)
{
	struct json_object *q = json_object_new_object(), *fields = json_object_new_array();
	struct json_object *reply = NULL, *data = NULL, *list = NULL;
	const char **names = NULL;
	size_t n = 0;
	int ret, choice = -1;

	json_object_array_add(fields, json_object_new_string("name"));
	json_object_object_add(q, "fields", fields);
	ret = client_request(cl, "certificates", q, &reply, &data);
	json_object_put(q);
	if (ret == EXIT_OK && json_object_object_get_ex(data, "certificates", &list))
		n = json_object_array_length(list);
	if (ret == EXIT_OK && n == 0) {
		client_fprintf(stderr, "acmectl: error: No certificates found.\n");
		ret = EXIT_FAILED;
	}
	if (ret == EXIT_OK && !(names = calloc(n, sizeof(*names))))
		ret = EXIT_FAILED;
	for (size_t i = 0; ret == EXIT_OK && i < n; i++)
		names[i] = str_or_empty(jobj_str(json_object_array_get_idx(list, i), "name"));
	if (ret == EXIT_OK)
		choice = prompt_menu("Which certificate would you like to reconfigure?", names,
				     (int)n, 0);
	if (ret == EXIT_OK && choice < 0) {
		client_fprintf(stderr, "acmectl: error: User chose to cancel the operation and may "
				       "reinvoke the client.\n");
		ret = EXIT_FAILED;
	}
	if (ret == EXIT_OK)
		json_object_object_add(args, "cert_name", json_object_new_string(names[choice]));
	free(names);
	json_object_put(reply);
	return ret;
}

int verb_reconfigure(struct client *cl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object(), *reply = NULL, *data = NULL;
	bool non_interactive = false;
	int ret;

	if (!args) {
		client_fprintf(stderr, "acmectl: out of memory\n");
		return EXIT_FAILED;
	}
	ret = certonly_read_options(cl, "reconfigure", argc, argv, args, &non_interactive);
	if (ret == EXIT_OK && !jobj_str(args, "cert_name") && prompt_can_ask(cl, non_interactive))
		ret = pick_name(cl, args);
	if (ret == EXIT_OK)
		ret = client_call(cl, "reconfigure", args, &reply);
	if (ret == EXIT_OK && !client_reply_ok(reply))
		ret = client_report_error(cl, reply);
	if (ret == EXIT_OK) {
		json_object_object_get_ex(reply, "data", &data);
		if (!cl->json)
			print_result(data);
		if (jobj_str(data, "cluster_prefix"))
			ret = push_to_cluster(data, !cl->json);
		if (cl->json)
			client_print_json(data);
		if (jobj_int(data, "hook_failures", 0) > 0) {
			client_fprintf(stderr, "acmectl: %lld hook(s) of the dry run failed; see acmed's "
					       "log\n", jobj_int(data, "hook_failures", 0));
			ret = EXIT_FAILED;
		}
	}
	json_object_put(reply);
	json_object_put(args);
	return ret;
}
