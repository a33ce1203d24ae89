#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/control/conn.h"
#include "daemon/jobs/job.h"
#include "daemon/renew/batch.h"
#include "daemon/renew/batch_priv.h"
#include "daemon/renew/deploy.h"
#include "error.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

static bool batch_released(const struct batch *b);



struct batch *batch_by_id(struct daemon *d, int id)
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
	if (b->opts.ctx_free)
		b->opts.ctx_free(b->opts.ctx);
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

void batch_unref(struct batch *b)
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
	b->opts = *o;
	b->renewed = json_object_new_array();
	b->failed = json_object_new_array();
	b->not_due = json_object_new_array();
	b->skipped = json_object_new_array();
	b->hooks = json_object_new_array();
	for (int k = 0; k < HOOK_BATCH__MAX; k++) {
		b->cmd_hooks[k] = o->hooks[k] && *o->hooks[k] ? strdup(o->hooks[k]) : NULL;
		b->opts.hooks[k] = NULL;
	}
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
		.verbosity = b->opts.verbosity,
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

		if (b->opts.kind == BATCH_CERTONLY && req_hooks[k])
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

void batch_progress(struct batch *b, const char *fmt, ...)
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

/* ---- the phases ---- */

static struct json_object *finish_reply(struct batch *b)
{
	struct json_object *reply, *data;

	if (b->opts.kind == BATCH_CERTONLY && b->job_reply) {
		reply = json_object_get(b->job_reply);
		if (!json_object_object_get_ex(reply, "data", &data))
			data = reply;
	} else {
		reply = json_object_new_object();
		data = json_object_new_object();
		json_object_object_add(reply, "status", json_object_new_int(0));
		json_object_object_add(reply, "data", data);
		json_object_object_add(data, "dry_run", json_object_new_boolean(b->opts.dry_run));
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
	if (b->opts.on_done)
		b->opts.on_done(d, b->failures + b->hook_failures);
	if (b->client) {
		struct conn *c = b->client;

		conn_off_close(c, lost_client, b);
		b->client = NULL;
		reply = finish_reply(b);
		conn_finish(c, reply);
		json_object_put(reply);
	}
}

void batch_advance(struct daemon *d, struct batch *b)
{
	if (b->phase == PHASE_PRE && b->hooks_pending == 0) {
		b->phase = PHASE_JOBS;
		if (b->jobs_pending > 0 && d->running >= (unsigned)d->cfg.max_parallel_jobs)
			batch_progress(b, "Waiting for a free job slot");
		/* Its jobs may start now: daemon_settle() starts them. */
	}
	if (b->phase == PHASE_JOBS && b->jobs_pending == 0 && b->hooks_pending == 0) {
		b->phase = PHASE_POST;
		if (b->nitems > 0)
			batch_queue_hooks(d, b, HOOK_POST, NULL, NULL);
	}
	if (b->phase == PHASE_POST && b->hooks_pending == 0)
		batch_finish(d, b);
}

void batch_start(struct daemon *d, struct batch *b)
{
	b->refs++;
	if (b->jobs_pending > 0)
		batch_queue_hooks(d, b, HOOK_PRE, NULL, NULL);
	batch_advance(d, b);
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

	if (b->opts.kind == BATCH_CERTONLY || b->opts.dry_run) {
		log_job(LOG_LVL_WARNING, job, it ? it->name : NULL, "%s for %s failed: %s",
			b->opts.dry_run ? "dry run" : "certonly", name, msg);
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
	if (b->opts.on_result)
		b->opts.on_result(d, it ? it->name : NULL, reply,
				  b->opts.kind != BATCH_CERTONLY && !b->opts.dry_run);
	if (b->opts.on_job)
		b->opts.on_job(d, b->opts.ctx, it ? it->name : NULL, reply);
	if (b->opts.kind == BATCH_CERTONLY) {
		json_object_put(b->job_reply);
		b->job_reply = json_object_get(reply);
	}
	record_result(d, b, it, reply);
	if (it && it->renewed && !b->opts.dry_run && json_object_object_get_ex(reply, "data", &data))
		batch_queue_hooks(d, b, HOOK_DEPLOY, it, data);
	batch_advance(d, b);
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
