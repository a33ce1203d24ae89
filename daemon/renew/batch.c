#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/control/conn.h"
#include "daemon/jobs/job.h"
#include "daemon/renew/batch.h"
#include "daemon/renew/deploy.h"
#include "error.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

static bool batch_released(const struct batch *b);

enum phase { PHASE_PRE, PHASE_JOBS, PHASE_POST, PHASE_DONE };

/* One lineage of the batch. */
struct item {
	int job;  /* its job's id */
	char *name;
	char *domains;           /* space-separated, for RENEWED_DOMAINS */
	char *hooks[HOOK_BATCH__MAX];  /* the lineage's own (renewal file or certonly) */
	bool renewed, failed;
};

struct batch {
	struct batch *next;
	int id;
	unsigned refs; /* callers inside; freed at PHASE_DONE when 0 */
	struct conn *client;
	enum batch_kind kind;
	bool dry_run, dir_hooks;
	int verbosity;
	char *cmd_hooks[HOOK_BATCH__MAX];
	enum phase phase;
	struct item *items;
	size_t nitems;
	unsigned jobs_pending, hooks_pending, failures, hook_failures;
	struct json_object *renewed, *failed, *not_due, *skipped, *hooks;
	struct json_object *job_reply; /* certonly: the job's own reply */
	void (*on_result)(struct daemon *d, const char *name, struct json_object *reply,
			  bool record_failure);
	void (*on_done)(struct daemon *d, unsigned failures);
	void (*on_job)(struct daemon *d, void *ctx, const char *name, struct json_object *reply);
	void *ctx;
	void (*ctx_free)(void *ctx);
};

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

static struct batch *batch_by_id(struct daemon *d, int id)
{
	for (struct batch *b = d->batches; b; b = b->next)
		if (b->id == id)
			return b;
	return NULL;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->nitems; i++) {
		free(b->items[i].name);
		free(b->items[i].domains);
		for (int k = 0; k < HOOK_BATCH__MAX; k++)
			free(b->items[i].hooks[k]);
	}
	free(b->items);
	for (int k = 0; k < HOOK_BATCH__MAX; k++)
		free(b->cmd_hooks[k]);
	json_object_put(b->renewed);
	json_object_put(b->failed);
	json_object_put(b->not_due);
	json_object_put(b->skipped);
	json_object_put(b->hooks);
	json_object_put(b->job_reply);
	if (b->ctx_free)
		b->ctx_free(b->ctx);
	free(b);
}

static void unlink_batch(struct daemon *d, struct batch *b)
{
	for (struct batch **pp = &d->batches; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			return;
		}
	}
}

static void batch_unref(struct batch *b)
{
	if (--b->refs == 0 && b->phase == PHASE_DONE)
		batch_free(b);
}

/* The client went away: the batch goes on, unanswered; a job that waits
 * for its user (certonly --manual without hooks) fails, as nobody is left
 * to tell it the response is in place. */
static void lost_client(struct daemon *d, void *ctx, struct conn *c)
{
	struct batch *b = ctx;

	(void)c;
	b->client = NULL;
	for (size_t i = 0; i < b->nitems; i++)
		job_hangup(d, b->items[i].job);
}

struct batch *batch_new(struct daemon *d, struct conn *client, const struct batch_opts *o)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	if (client && conn_on_close(client, lost_client, b) < 0) {
		free(b);
		return NULL;
	}
	b->id = ++d->next_batch_id;
	b->client = client;
	b->kind = o->kind;
	b->dry_run = o->dry_run;
	b->dir_hooks = o->directory_hooks;
	b->verbosity = o->verbosity;
	b->on_result = o->on_result;
	b->on_done = o->on_done;
	b->on_job = o->on_job;
	b->ctx = o->ctx;
	b->ctx_free = o->ctx_free;
	b->renewed = json_object_new_array();
	b->failed = json_object_new_array();
	b->not_due = json_object_new_array();
	b->skipped = json_object_new_array();
	b->hooks = json_object_new_array();
	for (int k = 0; k < HOOK_BATCH__MAX; k++)
		b->cmd_hooks[k] = o->hooks[k] && *o->hooks[k] ? strdup(o->hooks[k]) : NULL;
	b->next = d->batches;
	d->batches = b;
	return b;
}

static char *join_domains(const struct issue_req *req)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < req->ndomains; i++)
		len += strlen(req->domains[i]) + 1;
	s = calloc(1, len);
	for (size_t i = 0; s && i < req->ndomains; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, req->domains[i]);
	}
	return s;
}

static bool released(void *ctx)
{
	return batch_released(ctx);
}

static void job_event(struct daemon *d, void *ctx, int id, struct json_object *ev);
static void job_done(struct daemon *d, void *ctx, int id, struct json_object *reply);

/* Tell CLIENT the id of its job ID (on lineage NAME, or NULL), so that it
 * can cancel it: {"event":"job","job":ID,"name":NAME}. */
static void announce(struct conn *client, int id, const char *name)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string("job"));
	json_object_object_add(ev, "job", json_object_new_int(id));
	if (name)
		json_object_object_add(ev, "name", json_object_new_string(name));
	conn_send(client, ev);
	json_object_put(ev);
}

/* REQ's job, which it is given as JSON. */
static int submit(struct daemon *d, struct batch *b, const struct issue_req *req)
{
	struct json_object *args = issue_req_to_json(req);
	const char *authn = req->authn.name;
	char what[300];
	int r;

	if (!args)
		return -ENOMEM;
	snprintf(what, sizeof(what), "for %s", req->name ? req->name : "a CSR");
	r = job_submit(d, &(struct job_spec){
		.kind = "issue",
		.label = req->renewal ? "renew" : "certonly",
		.what = what,
		.args = args,
		.name = req->name,
		.domains = req->domains,
		.ndomains = req->ndomains,
		.server = req->server,
		.may_register = true,
		/* Standalone jobs on one http-01 port take turns. */
		.port = streq(authn, "standalone")
				? (req->authn.http01_port ? req->authn.http01_port : 80) : 0,
		/* Its manual hooks may take hook_timeout each, its DNS records
		 * their propagation wait, the CA as long as --issuance-timeout
		 * allows. */
		.extra_time = (streq(authn, "manual") ? 2 * d->cfg.hook_timeout : 0) +
			      req->authn.dns_rfc2136_propagation_seconds + req->issuance_timeout,
		.verbosity = b->verbosity,
		.may_start = released,
		.on_event = job_event,
		.on_done = job_done,
		.ctx = b,
	});
	json_object_put(args);
	if (r > 0 && b->client)
		announce(b->client, r, req->name);
	return r;
}

int batch_add(struct daemon *d, struct batch *b, struct issue_req *req)
{
	const struct lineage_entry *e = req->name ? index_get(&d->index, req->name) : NULL;
	char *const req_hooks[HOOK_BATCH__MAX] = { req->pre_hook, req->deploy_hook, req->post_hook };
	struct item *v = realloc(b->items, (b->nitems + 1) * sizeof(*v)), *it;
	int r;

	if (!v)
		return -ENOMEM;
	b->items = v;
	it = memset(&v[b->nitems], 0, sizeof(*it));
	it->name = xstrdup(req->name);
	it->domains = join_domains(req);
	/* certonly's hooks become the lineage's; else what the lineage saved,
	 * but as certbot a hook given to renew takes the place of the saved one
	 * of its kind (renew's are in REQ too, to be saved with the new
	 * version; they run once, as the command's). */
	for (int k = 0; k < HOOK_BATCH__MAX; k++) {
		const char *saved = !e ? NULL
				    : k == HOOK_PRE ? e->conf.pre_hook
				    : k == HOOK_DEPLOY ? e->conf.deploy_hook
						       : e->conf.post_hook;

		if (b->kind == BATCH_CERTONLY && req_hooks[k])
			it->hooks[k] = xstrdup(req_hooks[k]);
		else if (!b->cmd_hooks[k])
			it->hooks[k] = xstrdup(saved);
	}
	b->nitems++;
	r = (req->name && !it->name) || !it->domains ? -ENOMEM : submit(d, b, req);
	if (r > 0)
		it->job = r;
	if (r < 0) {
		free(it->name);
		free(it->domains);
		for (int k = 0; k < HOOK_BATCH__MAX; k++)
			free(it->hooks[k]);
		b->nitems--;
		return r;
	}
	b->jobs_pending++;
	issue_req_clear(req); /* the job has its own copy: moved, as batch.h says */
	return 0;
}

void batch_abandon(struct daemon *d, struct batch *b)
{
	if (b->client)
		conn_off_close(b->client, lost_client, b);
	unlink_batch(d, b);
	batch_free(b);
}

void batch_note(struct batch *b, const char *key, struct json_object *info)
{
	struct json_object *list = streq(key, "not_due") ? b->not_due
				   : streq(key, "skipped") ? b->skipped
							   : b->failed;

	if (list == b->failed)
		b->failures++;
	json_object_array_add(list, info);
}

/* May B's jobs start (its pre hooks are done)? */
static bool batch_released(const struct batch *b)
{
	return b && b->phase != PHASE_PRE;
}

static void send_progress(struct batch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void send_progress(struct batch *b, const char *fmt, ...)
{
	struct json_object *ev;
	char msg[1024];
	va_list ap;

	if (!b->client)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("progress"));
	json_object_object_add(ev, "message", json_object_new_string(msg));
	conn_send(b->client, ev);
	json_object_put(ev);
}

/* A job's progress (and, for acmectl -v, its log lines), to the client
 * with the job's id and lineage. */
static void job_event(struct daemon *d, void *ctx, int id, struct json_object *ev)
{
	struct batch *b = ctx;
	const char *type = jobj_str(ev, "event");

	(void)d;
	/* "manual": a response for the user to put in place (certonly
	 * --manual without hooks); acmectl shows it and says when it is. */
	if (!b->client || !(streq(type, "progress") || streq(type, "log") || streq(type, "manual")))
		return;
	json_object_object_add(ev, "job", json_object_new_int(id));
	for (size_t i = 0; i < b->nitems; i++)
		if (b->items[i].job == id && b->items[i].name)
			json_object_object_add(ev, "name", json_object_new_string(b->items[i].name));
	conn_send(b->client, ev);
}

/* ---- hooks ---- */

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
	env_add(extra, &n, "ACMED_DRY_RUN", b->dry_run ? "1" : "0");
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

static void advance(struct daemon *d, struct batch *b);

static void hook_output(struct daemon *d, void *ctx, const struct hook_req *h, const char *line)
{
	struct hook_ctx *hc = ctx;
	struct batch *b = batch_by_id(d, hc->batch_id);

	if (!b || hc->lines > HOOK_CLIENT_LINES)
		return;
	if (++hc->lines > HOOK_CLIENT_LINES)
		send_progress(b, "%s: (more output in acmed's log)", h->label);
	else
		send_progress(b, "%s: %s", h->label, line);
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
		send_progress(b, "%s failed: %s", h->label,
			      res->timed_out     ? "killed after hook_timeout"
			      : res->not_started ? "could not be started"
			      : res->signal      ? "killed by a signal"
						 : "non-zero exit status");
	}
	b->hooks_pending--;
	advance(d, b);
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
	send_progress(b, "Running %s", req.label);
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
	send_progress(b, "%s hook not run: %s", hook_kind_names[kind], why);
	json_object_object_add(o, "kind", json_object_new_string(hook_kind_names[kind]));
	json_object_object_add(o, "refused", json_object_new_string(why));
	json_object_object_add(o, "failed", json_object_new_boolean(1));
	json_object_array_add(b->hooks, o);
	b->hook_failures++;
}

/* Every hook of KIND for this batch (IT: one lineage's deploy hooks), in
 * order: renewal-hooks/KIND/, acmed.conf, the lineage(s), the command. */
static void queue_hooks(struct daemon *d, struct batch *b, enum hook_kind kind,
			const struct item *it, struct json_object *data)
{
	struct json_object *set = json_object_new_array();
	const char *conf[HOOK_BATCH__MAX] = { d->cfg.pre_hook, d->cfg.deploy_hook, d->cfg.post_hook };
	struct hook_list dir_hooks = { 0 };

	/* Held while queueing: a hook that cannot start reports at once, and
	 * must not let the batch move on while more are being queued. */
	b->refs++;
	b->hooks_pending++;
	if (b->dir_hooks) {
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
	advance(d, b);
	batch_unref(b);
}

/* ---- the phases ---- */

static struct json_object *finish_reply(struct batch *b)
{
	struct json_object *reply, *data;

	if (b->kind == BATCH_CERTONLY && b->job_reply) {
		reply = json_object_get(b->job_reply);
		if (!json_object_object_get_ex(reply, "data", &data))
			data = reply;
	} else {
		reply = json_object_new_object();
		data = json_object_new_object();
		json_object_object_add(reply, "status", json_object_new_int(0));
		json_object_object_add(reply, "data", data);
		json_object_object_add(data, "dry_run", json_object_new_boolean(b->dry_run));
		json_object_object_add(data, "renewed", json_object_get(b->renewed));
		json_object_object_add(data, "failed", json_object_get(b->failed));
		json_object_object_add(data, "not_due", json_object_get(b->not_due));
		json_object_object_add(data, "skipped", json_object_get(b->skipped));
	}
	json_object_object_add(data, "hooks", json_object_get(b->hooks));
	json_object_object_add(data, "hook_failures", json_object_new_int((int)b->hook_failures));
	return reply;
}

static void batch_finish(struct daemon *d, struct batch *b)
{
	struct json_object *reply;

	b->phase = PHASE_DONE;
	unlink_batch(d, b);
	if (b->nitems > 0)
		log_info("batch %d done: %zu renewed, %zu failed, %u hook failure(s)", b->id,
			 json_object_array_length(b->renewed), json_object_array_length(b->failed),
			 b->hook_failures);
	if (b->on_done)
		b->on_done(d, b->failures + b->hook_failures);
	if (b->client) {
		struct conn *c = b->client;

		conn_off_close(c, lost_client, b);
		b->client = NULL;
		reply = finish_reply(b);
		conn_finish(c, reply);
		json_object_put(reply);
	}
}

static void advance(struct daemon *d, struct batch *b)
{
	if (b->phase == PHASE_PRE && b->hooks_pending == 0) {
		b->phase = PHASE_JOBS;
		if (b->jobs_pending > 0 && d->running >= (unsigned)d->cfg.max_parallel_jobs)
			send_progress(b, "Waiting for a free job slot");
		/* Its jobs may start now: daemon_settle() starts them. */
	}
	if (b->phase == PHASE_JOBS && b->jobs_pending == 0 && b->hooks_pending == 0) {
		b->phase = PHASE_POST;
		if (b->nitems > 0)
			queue_hooks(d, b, HOOK_POST, NULL, NULL);
	}
	if (b->phase == PHASE_POST && b->hooks_pending == 0)
		batch_finish(d, b);
}

void batch_start(struct daemon *d, struct batch *b)
{
	b->refs++;
	if (b->jobs_pending > 0)
		queue_hooks(d, b, HOOK_PRE, NULL, NULL);
	advance(d, b);
	batch_unref(b);
}

/* A job of B that failed with MSG, said once and readably: the lineage,
 * what failed and, for a renewal, when it is tried again (its failure is
 * counted by now). An error for a renewal, a warning for what a client
 * asked for and is told anyway (certonly, a dry run). */
static void log_failure(struct daemon *d, const struct batch *b, const struct item *it,
			const char *msg)
{
	const char *name = it && it->name ? it->name : "a CSR";
	const struct lineage_entry *e = it && it->name ? index_get(&d->index, it->name) : NULL;
	const struct renewal_state *st = e && e->have_conf ? &e->conf.state : NULL;
	int job = it ? it->job : 0;
	char when[32];

	if (b->kind == BATCH_CERTONLY || b->dry_run) {
		log_job(LOG_LVL_WARNING, job, it ? it->name : NULL, "%s for %s failed: %s",
			b->dry_run ? "dry run" : "certonly", name, msg);
		return;
	}
	if (!st || st->failures == 0) {
		log_job(LOG_LVL_ERROR, job, name, "renewal of %s failed: %s", name, msg);
		return;
	}
	timefmt_format_rfc3339(st->retry_after > st->next_attempt ? st->retry_after
								   : st->next_attempt,
			       when, sizeof(when));
	log_job(LOG_LVL_ERROR, job, name, "renewal of %s failed (%d in a row; not tried again "
					  "before %s): %s",
		name, st->failures, when, msg);
}

static void record_result(struct daemon *d, struct batch *b, struct item *it,
			  struct json_object *reply)
{
	struct json_object *data = NULL, *err = NULL, *o = json_object_new_object();
	const char *name = it && it->name ? it->name : "(csr)", *code, *msg;

	json_object_object_add(o, "name", json_object_new_string(name));
	if (it && it->name) {
		char *path = store_live_path(d->store, it->name, "fullchain.pem");

		json_object_object_add(o, "fullchain_path", json_object_new_string(str_or_empty(path)));
		free(path);
	}
	if (json_object_object_get_ex(reply, "data", &data) && jobj_int(reply, "status", 0) == 0 &&
	    jobj_str(data, "deferred")) {
		/* Cluster mode: another host renews it, or this one installs it
		 * first; cut off from etcd: failed here, with no backoff. */
		bool cut_off = json_object_get_boolean(json_object_object_get(data, "cluster_unreachable"));

		json_object_object_add(o, cut_off ? "message" : "reason",
				       json_object_new_string(jobj_str(data, "deferred")));
		if (cut_off) {
			json_object_object_add(o, "code", json_object_new_string("cluster-unreachable"));
			b->failures++;
		}
		if (it)
			it->failed = cut_off;
		json_object_array_add(cut_off ? b->failed : b->skipped, o);
		return;
	}
	if (json_object_object_get_ex(reply, "data", &data) && jobj_int(reply, "status", 0) == 0) {
		static const char *const keys[] = { "version", "serial", "not_after" };

		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			struct json_object *v;

			if (json_object_object_get_ex(data, keys[i], &v))
				json_object_object_add(o, keys[i], json_object_get(v));
		}
		if (it)
			it->renewed = true;
		json_object_array_add(b->renewed, o);
		return;
	}
	json_object_object_get_ex(reply, "error", &err);
	code = jobj_str(err, "code");
	msg = jobj_str(err, "message");
	json_object_object_add(o, "code", json_object_new_string(code ? code : "worker"));
	json_object_object_add(o, "message", json_object_new_string(msg ? msg : "the job failed"));
	if (jobj_int(reply, "status", -1) != ACMED_ECANCELLED) /* job.c said it */
		log_failure(d, b, it, msg ? msg : "the job failed");
	if (it)
		it->failed = true;
	b->failures++;
	json_object_array_add(b->failed, o);
}

/* A job of B ended with REPLY: the scheduler learns from it, the result
 * is recorded, the deploy hooks of a renewed lineage are queued. */
static void job_done(struct daemon *d, void *ctx, int id, struct json_object *reply)
{
	struct batch *b = ctx;
	struct item *it = NULL;
	struct json_object *data = NULL;

	for (size_t i = 0; i < b->nitems && !it; i++)
		if (b->items[i].job == id)
			it = &b->items[i];
	b->refs++;
	b->jobs_pending--;
	if (b->on_result)
		b->on_result(d, it ? it->name : NULL, reply,
			     b->kind != BATCH_CERTONLY && !b->dry_run);
	if (b->on_job)
		b->on_job(d, b->ctx, it ? it->name : NULL, reply);
	if (b->kind == BATCH_CERTONLY) {
		json_object_put(b->job_reply);
		b->job_reply = json_object_get(reply);
	}
	record_result(d, b, it, reply);
	if (it && it->renewed && !b->dry_run && json_object_object_get_ex(reply, "data", &data))
		queue_hooks(d, b, HOOK_DEPLOY, it, data);
	advance(d, b);
	batch_unref(b);
}

void batch_free_all(struct daemon *d)
{
	while (d->batches) {
		struct batch *b = d->batches;

		d->batches = b->next;
		if (b->client)
			conn_off_close(b->client, lost_client, b);
		batch_free(b);
	}
}
