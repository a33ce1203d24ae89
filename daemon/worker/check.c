#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctlproto.h"
#include "daemon/worker/progress.h"
#include "daemon/worker/check.h"
#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "store/store.h"
#include "util.h"

/* Check NAME (and with REPAIR, repair it and check again): its result. The
 * live certificate is checked for now, and against its CA's issuer_bundle. */
static struct json_object *one(struct store *s, const char *name, const struct acmed_config *cfg,
			       bool repair, int ev_fd, bool *ok)
{
	struct json_object *o = json_object_new_object(), *problems = json_object_new_array();
	struct json_object *notes = json_object_new_array();
	struct store_check_opts opts = { .now = time(NULL) };
	const struct ca_settings *ca;
	struct renewal r;
	char what[600];

	if (store_renewal_load(s, name, &r, what, sizeof(what)) == 0) {
		ca = config_ca(cfg, r.server);
		opts.roots = ca ? ca->issuer_pem : NULL;
		renewal_clear(&r);
	}
	json_object_object_add(o, "name", json_object_new_string(name));
	*ok = store_check(s, name, &opts, problems, notes) == 0;
	json_object_object_add(o, "problems", problems);
	json_object_object_add(o, "notes", notes);
	if (repair && !*ok) {
		struct json_object *remaining = json_object_new_array();

		store_repair(s, name, what, sizeof(what));
		progress(ev_fd, "%s: %s", name, what);
		json_object_object_add(o, "repaired", json_object_new_string(what));
		*ok = store_check(s, name, &opts, remaining, NULL) == 0;
		json_object_object_add(o, "remaining", remaining);
	}
	json_object_object_add(o, "ok", json_object_new_boolean(*ok));
	return o;
}

struct json_object *check_task(struct json_object *args, const struct acmed_config *cfg,
			       int ev_fd)
{
	struct json_object *reply = json_object_new_object(), *data = json_object_new_object();
	struct json_object *list = json_object_new_array(), *given = NULL;
	bool repair = streq(jobj_str(args, "op"), "repair");
	struct store *s = NULL;
	char **names = NULL;
	size_t n = 0;
	int bad = 0, r = store_open(cfg->state_dir, false, &s);

	if (r == 0 && json_object_object_get_ex(args, "names", &given)) {
		names = calloc(json_object_array_length(given) + 1, sizeof(char *));
		for (size_t i = 0; names && i < json_object_array_length(given); i++)
			names[n++] = xstrdup(json_object_get_string(json_object_array_get_idx(given, i)));
		r = names ? 0 : -ENOMEM;
	} else if (r == 0) {
		r = store_list(s, &names, &n);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool ok;

		json_object_array_add(list, one(s, names[i], cfg, repair, ev_fd, &ok));
		bad += !ok;
	}
	json_object_object_add(reply, "status", json_object_new_int(r < 0 ? r : 0));
	if (r < 0) {
		ctl_reply_set_error(reply, r, NULL, acmed_strerror(r));
		json_object_put(data);
		json_object_put(list);
	} else {
		json_object_object_add(data, "lineages", list);
		json_object_object_add(data, "problems", json_object_new_int(bad));
		json_object_object_add(reply, "data", data);
	}
	strv_free(names, n);
	store_close(s);
	return reply;
}
