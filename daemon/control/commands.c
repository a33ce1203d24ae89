#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "ctlproto.h"
#include "daemon/control/cancel.h"
#include "daemon/control/certonly.h"
#include "daemon/control/commands.h"
#include "daemon/control/conn.h"
#include "daemon/control/reconfigure.h"
#include "daemon/control/status.h"
#include "daemon/jobs/job.h"
#include "daemon/reload.h"
#include "daemon/renew/alert.h"
#include "daemon/renew/batch.h"
#include "daemon/renew/hooks.h"
#include "daemon/renew/scheduler.h"
#include "error.h"
#include "hookcheck.h"
#include "hookexec.h"
#include "ident.h"
#include "issue_req.h"
#include "jsonutil.h"
#include "jws.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

typedef void (*cmd_handler)(struct daemon *d, struct conn *c, struct json_object *args);

static void set_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

/* A hook given to `renew` replaces the one E saved, for this renewal
 * (batch.h) and, once it succeeds, in E's renewal file, as certbot does. */
static int renew_hooks(struct issue_req *req, char *const hooks[HOOK_BATCH__MAX])
{
	char **mine[HOOK_BATCH__MAX] = { &req->pre_hook, &req->deploy_hook, &req->post_hook };

	for (int k = 0; k < HOOK_BATCH__MAX; k++) {
		if (!hooks[k])
			continue;
		free(*mine[k]);
		if (!(*mine[k] = strdup(hooks[k])))
			return -ENOMEM;
	}
	return 0;
}

/* Start renewing E in B with the command's HOOKS (NULL: none given). 0 or
 * an error. */
static int renew_job(struct daemon *d, struct batch *b, const struct lineage_entry *e,
		     bool dry_run, char *const hooks[HOOK_BATCH__MAX])
{
	struct issue_req req;
	int r = issue_req_from_renewal(&e->conf, &req);

	if (r < 0)
		return r;
	if ((r = renew_hooks(&req, hooks)) < 0) {
		issue_req_clear(&req);
		return r;
	}
	req.replaces = certonly_replaced_ari_id(d, &req);
	req.from_version = e->version;
	req.dry_run = dry_run;
	r = issue_req_aim_dry_run(&req, &d->cfg);
	if (r == 0)
		r = batch_add(d, b, &req);
	if (r < 0)
		issue_req_clear(&req);
	return r;
}

/* What `renew` does with E: a job in B, or a note why not. */
static void renew_one(struct daemon *d, struct batch *b, struct lineage_entry *e, bool force,
		      bool dry_run, bool named, time_t now, char *const hooks[HOOK_BATCH__MAX])
{
	struct json_object *o = json_object_new_object();
	char msg[256], when[32], *path = store_live_path(d->store, e->name, "fullchain.pem");
	const char *list = "failed";
	time_t hold;
	int r;

	set_str(o, "name", e->name);
	set_str(o, "fullchain_path", path);
	free(path);
	if (!e->have_conf || !e->have_cert) {
		set_str(o, "code", "corrupt");
		set_str(o, "message", e->problem);
	} else if (job_busy(d, e->name)) {
		list = "skipped";
		set_str(o, "reason", "a renewal of it is already running");
	} else if (e->conf.revoked && !named) {
		list = "skipped";
		set_str(o, "reason", "revoked: renew it by name (--cert-name) for a new certificate");
	} else if (e->conf.no_autorenew && !force && !dry_run) {
		list = "skipped";
		set_str(o, "reason", "autorenew is off (--no-autorenew): renew it with "
				     "--force-renewal");
	} else if ((hold = sched_ca_hold(d, e->conf.server, e->name, now)) > 0) {
		timefmt_format_rfc3339(hold, when, sizeof(when));
		snprintf(msg, sizeof(msg), "the CA asked not to be contacted before %s "
					   "(Retry-After); acmed retries then on its own", when);
		set_str(o, "code", "rate-limited");
		set_str(o, "message", msg);
	} else if (!force && !dry_run && !(e->conf.revoked && named) && !sched_due(d, e, now)) {
		list = "not_due";
		json_object_object_add(o, "not_after", jobj_new_time(e->cert.not_after));
		json_object_object_add(o, "next_renewal", jobj_new_time(sched_renew_at(d, e)));
	} else if ((r = renew_job(d, b, e, dry_run, hooks)) < 0) {
		set_str(o, "code", acmed_errname(r));
		set_str(o, "message", acmed_strerror(r));
	} else {
		json_object_put(o);
		return;
	}
	batch_note(b, list, o);
}

/* certbot: renew [--cert-name NAME]... [--force-renewal] [--dry-run]
 * [--pre-hook C] [--post-hook C] [--deploy-hook C] [--no-directory-hooks].
 * A dry run goes through every selected lineage, due or not, as certbot's. */
static void cmd_renew(struct daemon *d, struct conn *c, struct json_object *args)
{
	static const enum issue_opt opts[HOOK_BATCH__MAX] = {
		[HOOK_PRE] = IO_PRE_HOOK,
		[HOOK_DEPLOY] = IO_DEPLOY_HOOK,
		[HOOK_POST] = IO_POST_HOOK,
	};
	static const struct {
		enum hook_kind hook;
		const char *kind;
	} check_order[] = { { HOOK_PRE, "pre" }, { HOOK_POST, "post" }, { HOOK_DEPLOY, "deploy" } };
	struct json_object *names = NULL;
	char *hooks[HOOK_BATCH__MAX] = { 0 }, err[512];
	struct batch_opts o = {
		.kind = BATCH_RENEW,
		.dry_run = jobj_bool(args, "dry_run"),
		.directory_hooks = d->cfg.directory_hooks && !jobj_bool(args, "no_directory_hooks"),
		.verbosity = ctl_verbosity(args),
		.on_result = sched_job_result,
	};
	struct batch *b = NULL;
	time_t now = time(NULL);
	int r = 0;

	if (json_object_object_get_ex(args, "cert_names", &names) &&
	    !json_object_is_type(names, json_type_array))
		names = NULL;
	for (size_t i = 0; names && i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(names, i));

		if (!index_get(&d->index, n)) {
			conn_reply_error(c, -ENOENT, "no certificate named '%s'; 'acmectl certificates' "
						"lists them", n ? n : "");
			return;
		}
	}
	for (int k = 0; r == 0 && k < HOOK_BATCH__MAX; k++)
		r = issue_parse_hook(args, opts[k], &hooks[k], err, sizeof(err));
	/* certbot checks them before anything is renewed: pre, post, deploy. */
	for (size_t i = 0; r == 0 && !jobj_bool(args, issue_opts[IO_DISABLE_HOOK_VALIDATION].key) &&
			   i < ELEMENTSOF(check_order); i++)
		r = hookcheck_command(check_order[i].kind, hooks[check_order[i].hook], HOOK_PATH,
				      err, sizeof(err));
	for (int k = 0; k < HOOK_BATCH__MAX; k++)
		o.hooks[k] = hooks[k];
	if (r == 0 && !(b = batch_new(d, c, &o)))
		r = -ENOMEM;
	if (r < 0) {
		if (r == ACMED_EHOOK)
			log_info("renew refused: %s", err);
		conn_reply_error(c, r, "%s", r == -ENOMEM ? acmed_strerror(r) : err);
		goto out;
	}
	for (size_t i = 0; i < d->index.n; i++) {
		struct lineage_entry *e = &d->index.v[i];
		bool picked = !names;

		for (size_t k = 0; names && k < json_object_array_length(names); k++)
			picked |= streq(e->name, json_object_get_string(
							 json_object_array_get_idx(names, k)));
		if (picked)
			renew_one(d, b, e, jobj_bool(args, "force_renewal"), o.dry_run, names != NULL,
				  now, hooks);
	}
	batch_start(d, b);
out:
	for (int k = 0; k < HOOK_BATCH__MAX; k++)
		free(hooks[k]);
}

/* certbot: with -d, the lineages that hold every given domain. */
static bool entry_has_domains(const struct lineage_entry *e, struct json_object *domains)
{
	for (size_t k = 0; domains && k < json_object_array_length(domains); k++) {
		char norm[IDENT_MAX + 1], why[256];
		const char *d = json_object_get_string(json_object_array_get_idx(domains, k));
		bool found = false;

		if (!d || ident_normalize(d, norm, why, sizeof(why)) < 0)
			return false;
		for (size_t i = 0; i < e->conf.ndomains; i++)
			found |= streq(e->conf.domains[i], norm);
		if (!found)
			return false;
	}
	return true;
}

/* What `certificates` asked for. */
struct listing {
	struct daemon *d;
	const char *name;
	struct json_object *domains;
	struct json_object *fields; /* the names as an object's keys, if asked */
	time_t now;
};

/* The names in the list FIELDS, as the keys of a new object (a set). */
static struct json_object *field_set(struct json_object *fields)
{
	struct json_object *set = json_object_new_object();

	for (size_t i = 0; set && i < json_object_array_length(fields); i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(fields, i));

		if (k)
			json_object_object_add(set, k, NULL);
	}
	return set;
}

/* Drop the members of O whose names are not keys of SET. */
static struct json_object *only_fields(struct json_object *o, struct json_object *set)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!json_object_object_get_ex(set, key, NULL))
			json_object_object_del(o, key);
	}
	return o;
}

static struct json_object *listed_entry(size_t i, void *ctx)
{
	const struct listing *l = ctx;
	struct lineage_entry *e = &l->d->index.v[i];
	struct json_object *o;

	if ((l->name && !streq(e->name, l->name)) || !entry_has_domains(e, l->domains))
		return NULL;
	o = index_entry_json(e, l->d->store, l->now, job_busy(l->d, e->name),
			     sched_renew_at(l->d, e));
	return l->fields ? only_fields(o, l->fields) : o;
}

/* ARGS: "cert_name", "domains" (certbot's -d), and "fields": only these
 * members of each certificate (acmectl's text listing asks for what it
 * prints). */
static void cmd_certificates(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct listing l = { d, jobj_str(args, "cert_name"), NULL, NULL, time(NULL) };
	struct json_object *fields = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (json_object_object_get_ex(args, "domains", &l.domains) &&
	    !json_object_is_type(l.domains, json_type_array))
		l.domains = NULL;
	if (json_object_object_get_ex(args, "fields", &fields) &&
	    json_object_is_type(fields, json_type_array))
		l.fields = field_set(fields);
	/* Each lineage's object is written out and freed in turn: the tree of
	 * a thousand takes megabytes of fresh memory on every listing. */
	r = ctl_reply_encode_list("certificates", d->index.n, listed_entry, &l, &buf, &len);
	json_object_put(l.fields);
	conn_finish_encoded(c, r, buf, len);
}

/* The names in ARGS[KEY] (a list of strings), each an existing lineage;
 * else an error reply and NULL. Borrowed from ARGS. */
static struct json_object *existing_names(struct daemon *d, struct conn *c,
					  struct json_object *args, const char *key)
{
	struct json_object *names = NULL;

	if (!json_object_object_get_ex(args, key, &names) ||
	    !json_object_is_type(names, json_type_array) || json_object_array_length(names) == 0) {
		conn_reply_error(c, ACMED_EUSAGE, "no certificate named: use --cert-name NAME");
		return NULL;
	}
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(names, i));

		if (!n || !index_get(&d->index, n)) {
			conn_reply_error(c, -ENOENT, "no certificate named '%s'; 'acmectl certificates' "
						"lists them", n ? n : "");
			return NULL;
		}
	}
	return names;
}

/* certbot: delete --cert-name NAME... (acmectl asks for confirmation). All
 * names are checked first: one that does not exist or is being renewed
 * changes nothing. */
static void cmd_delete(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct json_object *names = existing_names(d, c, args, "cert_names"), *done, *data;
	char err[512];
	int r;

	if (!names)
		return;
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(names, i));

		if (job_busy(d, n)) {
			conn_reply_error(c, -EBUSY, "%s is being renewed; try again when that is done", n);
			return;
		}
	}
	done = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(names, i));

		r = store_delete(d->store, n, err, sizeof(err));
		index_refresh(&d->index, d->store, n);
		d->dirty = true;
		if (r < 0) {
			json_object_put(done);
			conn_reply_error(c, r, "%s", err);
			return;
		}
		log_info("deleted lineage %s", n);
		json_object_array_add(done, json_object_new_string(n));
	}
	data = json_object_new_object();
	json_object_object_add(data, "deleted", done);
	/* In cluster mode the lineage lives on in etcd and on the other
	 * hosts: the client says so, and how to remove it there. */
	commands_cluster_reply(d, data);
	conn_reply_data(c, data);
}

void commands_cluster_reply(const struct daemon *d, struct json_object *data)
{
	const char *config = d->opts ? d->opts->config : NULL;

	if (!d->cfg.storage || !streq(d->cfg.storage, "etcd"))
		return;
	json_object_object_add(data, "cluster_prefix",
			       json_object_new_string(d->cfg.etcd_prefix ? d->cfg.etcd_prefix
									 : "/acmed/"));
	if (config && config[0] == '/')
		json_object_object_add(data, "config", json_object_new_string(config));
}

/* ---- tasks: revoke, account, check, repair ---- */

/* A task's job and its client. */
struct task {
	struct conn *client;      /* NULL once it went away */
	struct json_object *args; /* what the job was given */
	/* In the daemon once the job ended, before REPLY goes to the client:
	 * may act on it (delete a revoked lineage, refresh the index). */
	void (*done)(struct daemon *d, struct json_object *args, struct json_object *reply);
};

static void task_lost_client(struct daemon *d, void *ctx, struct conn *c)
{
	struct task *t = ctx;

	(void)d;
	(void)c;
	t->client = NULL;
}

static void task_event(struct daemon *d, void *ctx, int id, struct json_object *ev)
{
	struct task *t = ctx;

	(void)d;
	if (!t->client ||
	    !(streq(jobj_str(ev, "event"), "progress") || streq(jobj_str(ev, "event"), "log")))
		return;
	json_object_object_add(ev, "job", json_object_new_int(id));
	conn_send(t->client, ev);
}

/* Shutdown: the job is dropped unanswered. */
static void task_drop(struct daemon *d, void *ctx)
{
	struct task *t = ctx;

	(void)d;
	if (t->client)
		conn_off_close(t->client, task_lost_client, t);
	json_object_put(t->args);
	free(t);
}

static void task_done(struct daemon *d, void *ctx, int id, struct json_object *reply)
{
	struct task *t = ctx;

	(void)id;
	if (t->done)
		t->done(d, t->args, reply);
	if (t->client) {
		conn_off_close(t->client, task_lost_client, t);
		conn_finish(t->client, reply);
	}
	json_object_put(t->args);
	free(t);
}

/* Run job KIND with ARGS (a reference is taken) for client C, on lineage
 * NAME (or NULL); DONE may be NULL; VERBOSITY as job_spec's. REGISTERS_AT:
 * the CA it may register an account at, so it takes turns with the
 * issuances for that CA (job_spec's may_register), or NULL. Any error is
 * C's reply. */
static void submit_task(struct daemon *d, struct conn *c, const char *kind, const char *name,
			const char *registers_at,
			void (*done)(struct daemon *d, struct json_object *args,
				     struct json_object *reply),
			struct json_object *args, int verbosity)
{
	struct task *t = calloc(1, sizeof(*t));
	struct json_object *ev;
	char what[300];
	int r;

	snprintf(what, sizeof(what), ": %s%s%s", kind, name ? " " : "", name ? name : "");
	if (!t || conn_on_close(c, task_lost_client, t) < 0) {
		free(t);
		conn_reply_error(c, -ENOMEM, "could not start the job: %s", acmed_strerror(-ENOMEM));
		return;
	}
	*t = (struct task){ c, json_object_get(args), done };
	r = job_submit(d, &(struct job_spec){ .kind = kind, .label = kind, .what = what,
					      .args = args, .name = name, .verbosity = verbosity,
					      .server = registers_at,
					      .may_register = registers_at != NULL,
					      .on_event = task_event,
					      .on_done = task_done, .on_drop = task_drop,
					      .ctx = t });
	if (r < 0) {
		conn_off_close(c, task_lost_client, t);
		json_object_put(t->args);
		free(t);
		conn_reply_error(c, r, "could not start the job: %s", acmed_strerror(r));
		return;
	}
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("job"));
	json_object_object_add(ev, "job", json_object_new_int(r));
	conn_send(c, ev); /* its id, to cancel it */
	json_object_put(ev);
}

/* ---- revoke ---- */

/* Once the CA revoked: delete the lineage if asked, else re-read it (it is
 * marked revoked now). */
static void revoke_done(struct daemon *d, struct json_object *args, struct json_object *reply)
{
	const char *name = jobj_str(args, "name");
	const struct lineage_entry *e = name ? index_get(&d->index, name) : NULL;
	struct json_object *data = NULL;
	char err[512];

	if (!name || jobj_int(reply, "status", -1) != 0)
		return;
	json_object_object_get_ex(reply, "data", &data);
	/* The daemon writes the mark, from what it read itself: the worker
	 * writes nothing in the state directory. */
	if (e && e->have_cert &&
	    store_renewal_mark_revoked(d->store, name, e->cert.serial, jobj_str(args, "reason_name"),
				       time(NULL), err, sizeof(err)) < 0)
		log_error("the certificate is revoked, but marking %s so failed: %s", name, err);
	alert_revoked(d, name, jobj_str(args, "reason_name"));
	if (jobj_bool(args, "delete")) {
		if (store_delete(d->store, name, err, sizeof(err)) < 0)
			log_error("revoked, but could not delete %s: %s", name, err);
		else if (json_object_is_type(data, json_type_object)) /* the job's reply may lack it */
			json_object_object_add(data, "deleted", json_object_new_boolean(1));
	}
	index_refresh(&d->index, d->store, name);
}

static bool crypto_is_cert(const char *pem)
{
	X509 *x = crypto_cert_from_pem(pem, strlen(pem));

	X509_free(x);
	return x != NULL;
}

/* The lineage whose current certificate is PEM's, or NULL. */
static const char *lineage_of_cert(struct daemon *d, const char *pem)
{
	struct cert_info info;
	const char *name = NULL;

	if (crypto_cert_info(pem, strlen(pem), &info) < 0)
		return NULL;
	for (size_t i = 0; !name && i < d->index.n; i++) {
		const struct lineage_entry *e = &d->index.v[i];

		if (e->have_cert && streq(e->cert.serial, info.serial) &&
		    e->cert.not_after == info.not_after && streq(e->cert.issuer_cn, info.issuer_cn))
			name = e->name;
	}
	cert_info_clear(&info);
	return name;
}

/* certbot: revoke (--cert-name NAME | --cert-path PATH) [--reason R]
 * [--key-path KEY] [--delete-after-revoke]; acmectl sends the files. */
static void cmd_revoke(struct daemon *d, struct conn *c, struct json_object *args)
{
	const char *name = jobj_str(args, "cert_name"), *cert = jobj_str(args, "cert");
	const char *reason = jobj_str(args, "reason") ? jobj_str(args, "reason") : "unspecified";
	const char *server = jobj_str(args, "server") ? jobj_str(args, "server") : d->cfg.server;
	const struct lineage_entry *e;
	struct json_object *task;
	char lower[32];
	int code;

	if (!name == !cert) {
		conn_reply_error(c, ACMED_EUSAGE, "say which certificate: --cert-name NAME or "
					     "--cert-path PATH");
		return;
	}
	if (ctl_revoke_reason(reason, &code) < 0) {
		conn_reply_error(c, ACMED_EUSAGE, "--reason %s: not one of unspecified, keycompromise, "
					     "affiliationchanged, superseded, cessationofoperation",
			    reason);
		return;
	}
	if (cert && !(name = lineage_of_cert(d, cert)) && !crypto_is_cert(cert)) {
		conn_reply_error(c, ACMED_EUSAGE, "--cert-path: not a PEM certificate");
		return;
	}
	e = name ? index_get(&d->index, name) : NULL;
	if (name && (!e || !e->have_cert || !e->have_conf)) {
		conn_reply_error(c, e ? ACMED_ECORRUPT : -ENOENT,
			    e ? "%s has no readable certificate or renewal file; see acmectl check"
			      : "no certificate named '%s'; 'acmectl certificates' lists them",
			    name);
		return;
	}
	if (jobj_bool(args, "delete") && !e) {
		conn_reply_error(c, ACMED_EUSAGE, "--delete-after-revoke: that certificate is not the "
					     "current one of any lineage; nothing to delete");
		return;
	}
	if (e && job_busy(d, name)) {
		conn_reply_error(c, -EBUSY, "%s is being renewed; try again when that is done", name);
		return;
	}
	snprintf(lower, sizeof(lower), "%s", reason);
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	task = json_object_new_object();
	if (e)
		json_object_object_add(task, "name", json_object_new_string(name));
	else
		json_object_object_add(task, "cert", json_object_new_string(cert));
	if (jobj_str(args, "key"))
		json_object_object_add(task, "key", json_object_new_string(jobj_str(args, "key")));
	json_object_object_add(task, "reason", json_object_new_int(code));
	json_object_object_add(task, "reason_name", json_object_new_string(lower));
	json_object_object_add(task, "server",
			       json_object_new_string(e ? e->conf.server : server));
	if (e && e->conf.account)
		json_object_object_add(task, "account", json_object_new_string(e->conf.account));
	json_object_object_add(task, "delete", json_object_new_boolean(jobj_bool(args, "delete")));
	submit_task(d, c, "revoke", e ? name : NULL, NULL, revoke_done, task, ctl_verbosity(args));
	json_object_put(task);
}

/* ---- account, check, repair, reload ---- */

static void cmd_account(struct daemon *d, struct conn *c, struct json_object *args)
{
	static const char *const ops[] = { "register", "show", "update", "deactivate",
					   "rollover" };
	const char *op = jobj_str(args, "op"), *email = jobj_str(args, "email");
	const char *server = jobj_str(args, "server") ? jobj_str(args, "server") : d->cfg.server;
	struct json_object *task;
	bool known = false;

	for (size_t i = 0; i < ELEMENTSOF(ops); i++)
		known |= streq(op, ops[i]);
	if (!known) {
		conn_reply_error(c, ACMED_EUSAGE, "account: say register, show, update, deactivate or "
					     "rollover");
		return;
	}
	if (strncmp(server, "https://", 8) != 0) {
		conn_reply_error(c, ACMED_EUSAGE, "--server must be an https:// URL");
		return;
	}
	if (email && !ident_emails_ok(email)) {
		conn_reply_error(c, ACMED_EUSAGE, "--email '%s' is not an email address", email);
		return;
	}
	if (streq(op, "update") && !email) {
		conn_reply_error(c, ACMED_EUSAGE, "account update: pass --email ADDRESS");
		return;
	}
	if (!jobj_str(args, "eab_kid") != !jobj_str(args, "eab_hmac_key")) {
		conn_reply_error(c, ACMED_EUSAGE, "--eab-kid and --eab-hmac-key go together");
		return;
	}
	if (jobj_str(args, "eab_hmac_key") && !b64url_valid(jobj_str(args, "eab_hmac_key"))) {
		conn_reply_error(c, ACMED_EUSAGE, "--eab-hmac-key: not the base64url key the CA gave");
		return;
	}
	task = json_object_new_object();
	json_object_object_foreach(args, key, val)
		json_object_object_add(task, key, json_object_get(val));
	json_object_object_add(task, "server", json_object_new_string(server));
	if (!email && d->cfg.email)
		json_object_object_add(task, "email", json_object_new_string(d->cfg.email));
	if (d->cfg.agree_tos)
		json_object_object_add(task, "agree_tos", json_object_new_boolean(1));
	submit_task(d, c, "account", NULL, streq(op, "register") ? server : NULL, NULL, task,
		    ctl_verbosity(args));
	json_object_put(task);
}

/* After a repair the lineages are read again. */
/* Re-read the lineages the repair touched, one by one: reloading the
 * whole index would forget what the scheduler knows of every other one
 * (its jitter, ARI windows). */
static void repair_done(struct daemon *d, struct json_object *args, struct json_object *reply)
{
	struct json_object *data, *list;

	(void)args;
	if (!json_object_object_get_ex(reply, "data", &data) ||
	    !json_object_object_get_ex(data, "lineages", &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i);

		if (jobj_str(o, "repaired"))
			index_refresh(&d->index, d->store, jobj_str(o, "name"));
	}
}

static void check_or_repair(struct daemon *d, struct conn *c, struct json_object *args,
			    bool repair)
{
	struct json_object *names = NULL, *task;

	if (json_object_object_get_ex(args, "cert_names", &names) &&
	    !(names = existing_names(d, c, args, "cert_names")))
		return;
	for (size_t i = 0; repair && names && i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(names, i));

		if (job_busy(d, n)) {
			conn_reply_error(c, -EBUSY, "%s is being renewed; try again when that is done",
				    n);
			return;
		}
	}
	if (repair && !names && job_any(d, "issue")) {
		conn_reply_error(c, -EBUSY, "renewals are running; try again when they are done, or "
				       "name the lineages with --cert-name");
		return;
	}
	task = json_object_new_object();
	json_object_object_add(task, "op", json_object_new_string(repair ? "repair" : "check"));
	if (names)
		json_object_object_add(task, "names", json_object_get(names));
	submit_task(d, c, repair ? "repair" : "check", NULL, NULL, repair ? repair_done : NULL, task,
		    ctl_verbosity(args));
	json_object_put(task);
}

static void cmd_check(struct daemon *d, struct conn *c, struct json_object *args)
{
	check_or_repair(d, c, args, false);
}

static void cmd_repair(struct daemon *d, struct conn *c, struct json_object *args)
{
	check_or_repair(d, c, args, true);
}

static void cmd_reload(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct json_object *data;
	char msg[1024];
	int r = daemon_reload(d, msg, sizeof(msg));

	if (r < 0) {
		conn_reply_error(c, r, "%s", msg);
		return;
	}
	data = json_object_new_object();
	json_object_object_add(data, "reloaded", json_object_new_boolean(1));
	json_object_object_add(data, "certificates", json_object_new_int((int)d->index.n));
	json_object_object_add(data, "quarantined", json_object_new_int(index_quarantined(&d->index)));
	json_object_object_add(data, "message", json_object_new_string(msg));
	conn_reply_data(c, data);
}

static const cmd_handler handlers[CMD__MAX] = {
	[CMD_CERTONLY] = certonly_command,
	[CMD_RENEW] = cmd_renew,
	[CMD_RECONFIGURE] = reconfigure_command,
	[CMD_REVOKE] = cmd_revoke,
	[CMD_DELETE] = cmd_delete,
	[CMD_CHECK] = cmd_check,
	[CMD_REPAIR] = cmd_repair,
	[CMD_ACCOUNT] = cmd_account,
	[CMD_RELOAD] = cmd_reload,
	[CMD_CERTIFICATES] = cmd_certificates,
	[CMD_STATUS] = cmd_status,
	[CMD_CANCEL] = cancel_command,
	[CMD_CONTINUE] = continue_command,
	[CMD_METRICS] = cmd_metrics,
};
_Static_assert(ELEMENTSOF(handlers) == CMD__MAX, "every command needs a handler");

void commands_run(struct daemon *d, struct conn *c, int cmd, struct json_object *args)
{
	handlers[cmd](d, c, args);
}
