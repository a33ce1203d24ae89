/* A batch's hooks (batch_priv.h): pre hooks before its jobs, each
 * lineage's deploy hooks after its job, post hooks at the end, with the
 * environment each kind gets; their output and results go to the batch's
 * client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/renew/batch_priv.h"
#include "daemon/renew/deploy.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

/* What a queued hook remembers of its batch: the id, not a pointer, since
 * a hook dropped at shutdown reports after its batch is gone. */
struct hook_ctx {
	int batch_id;
	char *name;     /* the lineage of a deploy hook, */
	char *command;  /* the hook as recorded (deploy.h) */
	int version;    /* and the version it is for */
	unsigned lines; /* output lines passed to the client */
};

/* A client sees this many lines of a hook's output; the log has more. */
#define HOOK_CLIENT_LINES 200

/* "a b c" of the items' names, those renewed or failed only if asked. */
static char *names_of(const struct batch *b, int which)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < b->nitems; i++)
		len += b->items[i].name ? strlen(b->items[i].name) + 1 : 0;
	s = calloc(1, len);
	for (size_t i = 0; s && i < b->nitems; i++) {
		const struct item *it = &b->items[i];

		if (!it->name || (which == 1 && !it->renewed) || (which == 2 && !it->failed))
			continue;
		if (*s)
			strcat(s, " ");
		strcat(s, it->name);
	}
	return s;
}

/* Add "NAME=value" to the list (VALUE NULL: nothing). */
static void env_add(char **v, size_t *n, const char *name, const char *value)
{
	if (value && asprintf(&v[*n], "%s=%s", name, value) >= 0)
		(*n)++;
}

/* The environment of a hook of KIND: for a deploy hook deploy_env() of
 * lineage IT after the job that published DATA; for the others the batch's
 * lineages (and for post hooks those renewed and failed). */
static char **hook_env(struct daemon *d, struct batch *b, enum hook_kind kind,
		       const struct item *it, struct json_object *data)
{
	char *extra[8] = { 0 }, **env;
	char *lists[3] = { 0 };
	size_t n = 0, count;

	if (kind == HOOK_DEPLOY && it)
		return deploy_env(d, it->name, it->domains, data);
	env_add(extra, &n, "ACMED_STATE_DIR", store_dir(d->store));
	lists[0] = names_of(b, 0);
	env_add(extra, &n, "ACMED_LINEAGES", lists[0]);
	env_add(extra, &n, "ACMED_DRY_RUN", b->opts.dry_run ? "1" : "0");
	if (kind == HOOK_POST) {
		lists[1] = names_of(b, 1);
		lists[2] = names_of(b, 2);
		env_add(extra, &n, "ACMED_RENEWED", lists[1]);
		env_add(extra, &n, "ACMED_FAILED", lists[2]);
	}
	env = hooks_env(kind, extra, n, &count);
	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		free(lists[i]);
	for (size_t i = 0; i < n; i++)
		free(extra[i]);
	return env;
}

static void hook_output(struct daemon *d, void *ctx, const struct hook_req *h, const char *line)
{
	struct hook_ctx *hc = ctx;
	struct batch *b = batch_by_id(d, hc->batch_id);

	if (!b || hc->lines > HOOK_CLIENT_LINES)
		return;
	if (++hc->lines > HOOK_CLIENT_LINES)
		batch_progress(b, "%s: (more output in acmed's log)", h->label);
	else
		batch_progress(b, "%s: %s", h->label, line);
}

static void hook_ctx_free(struct hook_ctx *hc)
{
	if (hc) {
		free(hc->name);
		free(hc->command);
	}
	free(hc);
}

static void hook_done(struct daemon *d, void *ctx, const struct hook_req *h,
		      const struct hook_result *res)
{
	struct hook_ctx *hc = ctx;
	struct batch *b = batch_by_id(d, hc->batch_id);
	struct json_object *o;
	bool failed = res->not_started || res->timed_out || res->signal || res->exit_status != 0;

	/* Ended, well or not: not to be run again. One that acmed stopped
	 * stays recorded, for the next start. */
	if (h->kind == HOOK_DEPLOY && hc->name && !res->stopped)
		deploy_done(d, hc->name, hc->version, hc->command);
	if (!b)
		goto out;
	b->refs++;
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(hook_kind_names[h->kind]));
	json_object_object_add(o, "command", json_object_new_string(h->command));
	if (hc->name)
		json_object_object_add(o, "name", json_object_new_string(hc->name));
	json_object_object_add(o, "exit_status", json_object_new_int(res->exit_status));
	if (res->signal)
		json_object_object_add(o, "signal", json_object_new_int(res->signal));
	json_object_object_add(o, "timed_out", json_object_new_boolean(res->timed_out));
	json_object_object_add(o, "failed", json_object_new_boolean(failed));
	json_object_object_add(o, "seconds", json_object_new_double(res->seconds));
	if (failed && res->output && *res->output)
		json_object_object_add(o, "output", json_object_new_string(res->output));
	json_object_array_add(b->hooks, o);
	if (failed) {
		b->hook_failures++;
		batch_progress(b, "%s failed: %s", h->label,
			      res->timed_out     ? "killed after hook_timeout"
			      : res->not_started ? "could not be started"
			      : res->signal      ? "killed by a signal"
						 : "non-zero exit status");
	}
	b->hooks_pending--;
	batch_advance(d, b);
	batch_unref(b);
out:
	hook_ctx_free(hc);
}

/* Queue RAW (a configured command, or with IS_PATH an executable's path). */
static void queue_one(struct daemon *d, struct batch *b, enum hook_kind kind, const struct item *it,
		      struct json_object *data, const char *raw, bool is_path)
{
	struct hook_req req = { .kind = kind, .on_output = hook_output, .on_done = hook_done };
	struct hook_ctx *hc = calloc(1, sizeof(*hc));

	req.command = is_path ? hooks_sh_quote(raw) : strdup(raw);
	req.env = hook_env(d, b, kind, it, data);
	if (asprintf(&req.label, "%s hook \"%.200s\"%s%s", hook_kind_names[kind], raw,
		     it ? " for " : "", it ? it->name : "") < 0)
		req.label = NULL;
	if (it) {
		req.job = it->job;
		req.name = strdup(it->name);
	}
	if (hc && it) {
		hc->name = strdup(it->name);
		hc->command = strdup(raw);
		hc->version = (int)jobj_int(data, "version", 0);
	}
	if (!hc || !req.command || !req.env || !req.label ||
	    (it && (!req.name || !hc->name || !hc->command))) {
		log_error("out of memory queueing %s hook %s", hook_kind_names[kind], raw);
		goto fail;
	}
	hc->batch_id = b->id;
	req.ctx = hc;
	b->hooks_pending++;
	batch_progress(b, "Running %s", req.label);
	if (hooks_enqueue(d, &req) == 0)
		return;
	b->hooks_pending--;
fail:
	hook_ctx_free(hc);
	free(req.command);
	free(req.label);
	free(req.name);
	strv_free_nt(req.env);
}

/* Add {"command": RAW, "path": IS_PATH} to SET unless RAW is empty or
 * there already: identical commands run once. */
static void add_hook(struct json_object *set, const char *raw, bool is_path)
{
	struct json_object *h;

	if (str_empty(raw))
		return;
	for (size_t i = 0; i < json_object_array_length(set); i++)
		if (streq(jobj_str(json_object_array_get_idx(set, i), "command"), raw))
			return;
	h = json_object_new_object();
	json_object_object_add(h, "command", json_object_new_string(raw));
	json_object_object_add(h, "path", json_object_new_boolean(is_path));
	json_object_array_add(set, h);
}

/* A hook of renewal-hooks/KIND/ that is not run, because others could have
 * changed it (WHY): a failed hook, said to the client and logged. */
static void refuse_hook(struct batch *b, enum hook_kind kind, const char *why)
{
	struct json_object *o = json_object_new_object();

	log_error("%s hook not run: %s", hook_kind_names[kind], why);
	batch_progress(b, "%s hook not run: %s", hook_kind_names[kind], why);
	json_object_object_add(o, "kind", json_object_new_string(hook_kind_names[kind]));
	json_object_object_add(o, "refused", json_object_new_string(why));
	json_object_object_add(o, "failed", json_object_new_boolean(1));
	json_object_array_add(b->hooks, o);
	b->hook_failures++;
}

/* Every hook of KIND for this batch (IT: one lineage's deploy hooks), in
 * order: renewal-hooks/KIND/, acmed.conf, the lineage(s), the command. */
void batch_queue_hooks(struct daemon *d, struct batch *b, enum hook_kind kind,
			const struct item *it, struct json_object *data)
{
	struct json_object *set = json_object_new_array();
	const char *conf[HOOK_BATCH__MAX] = { d->cfg.pre_hook, d->cfg.deploy_hook, d->cfg.post_hook };
	struct hook_list dir_hooks = { 0 };

	/* Held while queueing: a hook that cannot start reports at once, and
	 * must not let the batch move on while more are being queued. */
	b->refs++;
	b->hooks_pending++;
	if (b->opts.directory_hooks) {
		char *base = fs_join(store_dir(d->store), "renewal-hooks");
		char *dir = base ? fs_join(base, hook_kind_names[kind]) : NULL;

		if (dir && hooks_dir_list(dir, &dir_hooks) < 0)
			log_warning("%s: cannot list the hooks there", dir);
		free(dir);
		free(base);
	}
	for (size_t i = 0; i < dir_hooks.nrefused; i++)
		refuse_hook(b, kind, dir_hooks.refused[i]);
	for (size_t i = 0; i < dir_hooks.n; i++)
		add_hook(set, dir_hooks.paths[i], true);
	add_hook(set, conf[kind], false);
	for (size_t i = 0; i < b->nitems; i++)
		if (!it || &b->items[i] == it)
			add_hook(set, b->items[i].hooks[kind], false);
	add_hook(set, b->cmd_hooks[kind], false);
	/* Recorded before the first starts, so a stop or crash while they
	 * run leaves them to the next start (deploy.h). */
	if (kind == HOOK_DEPLOY && it && json_object_array_length(set) > 0) {
		int r = deploy_record(d, it->name, it->domains, data, set);

		if (r < 0)
			log_job(LOG_LVL_WARNING, it->job, it->name,
				"%s: cannot record its deploy hooks before they run (%s): if acmed "
				"stops while they run, they do not run again at its next start",
				it->name, strerror(-r));
	}
	for (size_t i = 0; i < json_object_array_length(set); i++) {
		struct json_object *h = json_object_array_get_idx(set, i);

		queue_one(d, b, kind, it, data, jobj_str(h, "command"), jobj_bool(h, "path"));
	}
	hook_list_clear(&dir_hooks);
	json_object_put(set);
	b->hooks_pending--;
	batch_advance(d, b);
	batch_unref(b);
}

