/* certbot's certificate picker (cert_manager.get_certnames()): on a
 * terminal, a verb given no --cert-name asks which lineage(s). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static const char rule[] =
	"- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n";

/* The lineages' names, from the daemon: EXIT_OK and *LIST (caller puts),
 * or the exit code (said). */
static int list_names(const struct client *cl, struct json_object **list)
{
	struct json_object *args = json_object_new_object(), *fields = json_object_new_array();
	struct json_object *reply = NULL, *data = NULL, *certs = NULL;
	int ret;

	json_object_array_add(fields, json_object_new_string("name"));
	json_object_object_add(args, "fields", fields);
	ret = client_request(cl, "certificates", args, &reply, &data);
	json_object_put(args);
	*list = json_object_new_array();
	if (ret == EXIT_OK && json_object_object_get_ex(data, "certificates", &certs))
		for (size_t i = 0; i < json_object_array_length(certs); i++) {
			const char *n = jobj_str(json_object_array_get_idx(certs, i), "name");

			if (n)
				json_object_array_add(*list, json_object_new_string(n));
		}
	json_object_put(reply);
	return ret;
}

/* Parse "1, 3 2" against N choices into CHOSEN (blank: all): the count,
 * 0 for input that is not such a list. */
static int parse_numbers(const char *line, int n, bool *chosen)
{
	int count = 0;

	memset(chosen, 0, (size_t)n * sizeof(*chosen));
	for (const char *p = line;;) {
		char *end;
		long v;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		v = strtol(p, &end, 10);
		if (end == p || v < 1 || v > n)
			return 0;
		count += !chosen[v - 1];
		chosen[v - 1] = true;
		p = end;
	}
	if (count == 0) {
		for (int i = 0; i < n; i++)
			chosen[i] = true;
		count = n;
	}
	return count;
}

/* certbot's checklist: which of LIST (NULL: cancelled). */
static bool checklist(const char *question, struct json_object *list, struct json_object *names)
{
	int n = (int)json_object_array_length(list);
	bool *chosen = calloc((size_t)n, sizeof(*chosen));
	char line[1024];
	bool ok = false;

	client_fprintf(stderr, "\n%s\n%s", question, rule);
	for (int i = 0; i < n; i++)
		client_fprintf(stderr, "%d: %s\n", i + 1,
			       json_object_get_string(json_object_array_get_idx(list, i)));
	client_fprintf(stderr, "%s", rule);
	while (chosen) {
		if (prompt_line("Select the appropriate numbers separated by commas and/or spaces, "
				"or leave input\nblank to select all options shown (Enter 'c' to "
				"cancel): ", line, sizeof(line)) < 0 ||
		    tolower((unsigned char)line[0]) == 'c')
			break;
		if (parse_numbers(line, n, chosen) > 0) {
			ok = true;
			break;
		}
		client_fprintf(stderr, "** Invalid input **\n");
	}
	for (int i = 0; ok && i < n; i++)
		if (chosen[i])
			json_object_array_add(names, json_object_get(json_object_array_get_idx(list, i)));
	free(chosen);
	return ok;
}

int pick_certificates(const struct client *cl, const char *verb, bool multiple,
		      struct json_object *names)
{
	struct json_object *list = NULL;
	char question[128];
	int ret = list_names(cl, &list), n, i;
	const char **choices = NULL;

	if (ret != EXIT_OK)
		goto out;
	n = (int)json_object_array_length(list);
	if (n == 0) {
		client_fprintf(stderr, "acmectl: error: No existing certificates found.\n");
		ret = EXIT_FAILED;
		goto out;
	}
	snprintf(question, sizeof(question), "Which certificate%s would you like to %s?",
		 multiple ? "(s)" : "", verb);
	if (multiple) {
		ret = checklist(question, list, names) ? EXIT_OK : EXIT_FAILED;
	} else {
		choices = calloc((size_t)n, sizeof(*choices));
		for (i = 0; choices && i < n; i++)
			choices[i] = json_object_get_string(json_object_array_get_idx(list, i));
		i = choices ? prompt_menu(question, choices, n, -1) : -1;
		if (i >= 0)
			json_object_array_add(names, json_object_get(json_object_array_get_idx(list, i)));
		ret = i >= 0 ? EXIT_OK : EXIT_FAILED;
	}
	if (ret != EXIT_OK)
		client_fprintf(stderr, "acmectl: error: User ended interaction.\n");
out:
	free(choices);
	json_object_put(list);
	return ret;
}
