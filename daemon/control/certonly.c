/* certonly, the daemon's half: certbot's decision about which lineage a
 * request goes to — a new one, an existing one renewed (with more names
 * under --expand), or none because the existing one is not due — and the
 * key settings a lineage keeps unless they are changed on purpose. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlproto.h"
#include "daemon/control/certonly.h"
#include "daemon/control/conn.h"
#include "daemon/jobs/job.h"
#include "daemon/renew/batch.h"
#include "daemon/renew/scheduler.h"
#include "error.h"
#include "hookcheck.h"
#include "hookexec.h"
#include "issue_req.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

/* What certonly does with an existing lineage. */
enum action {
	ACT_NEW,   /* a lineage of its own */
	ACT_RENEW, /* a new version of lineage E, with the request's names */
	ACT_KEEP,  /* nothing: E has these names and is not due */
};

/* certbot's rule for a new lineage's name: --cert-name, else the first
 * domain ("*." dropped), with -0001... on a collision. */
static int new_name(struct daemon *d, struct issue_req *req, char **out)
{
	char *base, *name;

	if (req->cert_name)
		return (*out = strdup(req->cert_name)) ? 0 : -ENOMEM;
	base = store_name_base(req->domains[0]);
	if (!base)
		return -ENOMEM;
	name = strdup(base);
	for (int i = 1; name && i < 10000 &&
			(index_get(&d->index, name) || job_busy(d, name) ||
			 store_exists(d->store, name));
	     i++) {
		free(name);
		if (asprintf(&name, "%s-%04d", base, i) < 0)
			name = NULL;
	}
	free(base);
	*out = name;
	return name ? 0 : -ENOMEM;
}

static int take_name(struct daemon *d, struct issue_req *req, char *name, char *err,
		     size_t errlen)
{
	if (!store_name_valid(name)) {
		snprintf(err, errlen, "'%s' cannot be used as a certificate name; pass --cert-name",
			 name);
		free(name);
		return ACMED_EUSAGE;
	}
	if (job_busy(d, name)) {
		snprintf(err, errlen, "a job is already running for %s; try again when it is done",
			 name);
		free(name);
		return -EBUSY;
	}
	req->name = name;
	return 0;
}

/* A lineage REQ would have gone to but whose files cannot be read: its
 * --cert-name, or the one named after its first domain. Ordering around it
 * (a NAME-0001 beside it) would hide the problem; certonly refuses. */
static struct lineage_entry *unreadable(struct daemon *d, const struct issue_req *req)
{
	char *base = req->cert_name ? NULL : store_name_base(req->domains[0]);
	struct lineage_entry *e = index_get(&d->index, req->cert_name ? req->cert_name : base);

	free(base);
	return e && !e->have_conf ? e : NULL;
}

/* Answer C with a question the client may put to its user: MESSAGE is the
 * error for a client that cannot ask (certbot's -n), QUESTION what to ask,
 * SET the request members a "yes" adds (taken over). */
static void ask(struct conn *c, const char *message, const char *question, const char *yes,
		const char *no, struct json_object *set)
{
	struct json_object *reply = ctl_error_reply(ACMED_ECONFIRM, NULL, message);
	struct json_object *q = json_object_new_object();

	json_object_object_add(q, "question", json_object_new_string(question));
	json_object_object_add(q, "yes", json_object_new_string(yes));
	json_object_object_add(q, "no", json_object_new_string(no));
	json_object_object_add(q, "set", set);
	json_object_object_add(reply, "confirm", q);
	conn_finish(c, reply);
	json_object_put(reply);
}

static struct json_object *one_member(const char *key, struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, v);
	return o;
}

/* certbot's check before renewing E: --key-type naming another type than
 * E's changes it only together with --cert-name. True if C was answered. */
static bool key_type_refused(struct conn *c, struct json_object *args,
			     const struct issue_req *req, const struct lineage_entry *e)
{
	const char *from = e->conf.key.alg == KEY_ALG_RSA ? "RSA" : "ECDSA";
	const char *to = req->key.alg == KEY_ALG_RSA ? "RSA" : "ECDSA";
	char msg[768], question[512];

	if (!issue_opt_str(args, IO_KEY_TYPE) || req->key.alg == e->conf.key.alg || req->cert_name)
		return false;
	snprintf(msg, sizeof(msg),
		 "Are you trying to change the key type of the certificate named %s from %s "
		 "to %s? Please provide both --cert-name and --key-type on the command line "
		 "to confirm the change you are trying to make.",
		 e->name, from, to);
	snprintf(question, sizeof(question),
		 "An %s certificate named %s already exists. Do you want to update its key "
		 "type to %s?", from, e->name, to);
	ask(c, msg, question, "Update key type", "Keep existing key type",
	    one_member("cert_name", json_object_new_string(e->name)));
	return true;
}

static char *names_list(char *const *v, size_t n)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	s = p = malloc(len);
	for (size_t i = 0; s && i < n; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", v[i]);
	if (s)
		*p = '\0';
	return s;
}

/* certbot's question when E has some of the names asked for. */
static void ask_expand(struct daemon *d, struct conn *c, const struct issue_req *req,
		       const struct lineage_entry *e)
{
	char *has = names_list(e->conf.domains, e->conf.ndomains);
	char *want = names_list(req->domains, req->ndomains);
	char *conf = store_renewal_path(d->store, e->name), *question = NULL, *msg = NULL;

	if (has && want && conf &&
	    asprintf(&question,
		     "You have an existing certificate that contains a portion of the domains "
		     "you requested (ref: %s)\n\nIt contains these names: %s\n\nYou requested "
		     "these names for the new certificate: %s.\n\nDo you want to expand and "
		     "replace this existing certificate with the new certificate?",
		     conf, has, want) >= 0 &&
	    asprintf(&msg,
		     "Missing command line flag or config entry for this setting:\n%s\n\n"
		     "(You can set this with the --expand flag)\n\nTo obtain a new certificate "
		     "that contains these names without replacing your existing certificate "
		     "for %s, you must use the --duplicate option.",
		     question, has) >= 0)
		ask(c, msg, question, "Expand", "Cancel",
		    one_member("expand", json_object_new_boolean(1)));
	else
		conn_reply_error(c, -ENOMEM, "out of memory");
	free(has);
	free(want);
	free(conf);
	free(question);
	free(msg);
}

/* Which lineage REQ goes to, certbot's way (its _find_lineage_for_domains
 * _and_certname): 0 with *ACT and *E, or 1 when C has been answered. */
static int decide(struct daemon *d, struct conn *c, struct json_object *args,
		  struct issue_req *req, enum action *act, struct lineage_entry **e)
{
	bool force = issue_opt_flag(args, IO_FORCE_RENEWAL);
	const char *same;

	*act = ACT_NEW;
	*e = NULL;
	if (req->cert_name) {
		*e = index_get(&d->index, req->cert_name);
		if (!*e || !(*e)->have_conf)
			return *e = NULL, 0;
		if (!index_entry_has_names(*e, req->domains, req->ndomains)) {
			*act = ACT_RENEW; /* new names for the lineage: certbot's default "yes" */
			return 0;
		}
	} else if (issue_opt_flag(args, IO_DUPLICATE)) {
		return 0;
	} else if ((same = index_find_by_domains(&d->index, req->domains, req->ndomains))) {
		*e = index_get(&d->index, same);
	} else if ((*e = index_find_subset(&d->index, req->domains, req->ndomains))) {
		if (key_type_refused(c, args, req, *e))
			return 1;
		if (!issue_opt_flag(args, IO_EXPAND) && !force) {
			ask_expand(d, c, req, *e);
			return 1;
		}
		*act = ACT_RENEW;
		return 0;
	} else {
		return 0;
	}
	/* The same names (certbot's _handle_identical_cert_request). */
	if (key_type_refused(c, args, req, *e))
		return 1;
	*act = force || req->dry_run || !(*e)->have_cert ||
			       sched_due(d, *e, time(NULL)) ||
			       (issue_opt_str(args, IO_KEY_TYPE) && req->key.alg != (*e)->conf.key.alg)
		       ? ACT_RENEW
		       : ACT_KEEP;
	return 0;
}

/* What E keeps unless the request changes it: its key type, size and
 * curve, and whether it reuses its key. A key of another kind is new. */
static void keep_lineage_settings(struct json_object *args, struct issue_req *req,
				  const struct lineage_entry *e)
{
	const struct key_spec *was = &e->conf.key;
	bool type_given = issue_opt_str(args, IO_KEY_TYPE) != NULL;

	if (!type_given)
		req->key.alg = was->alg;
	if (!issue_opt_str(args, IO_ELLIPTIC_CURVE) && (!type_given || req->key.alg == was->alg))
		req->key.curve = was->curve;
	if (!issue_opt_int(args, IO_RSA_KEY_SIZE) && (!type_given || req->key.alg == was->alg))
		req->key.rsa_bits = was->rsa_bits;
	if (!issue_opt_flag(args, IO_REUSE_KEY) && !issue_opt_flag(args, IO_NO_REUSE_KEY))
		req->reuse_key = e->conf.reuse_key;
	if (req->key.alg != was->alg ||
	    (req->key.alg == KEY_ALG_RSA ? req->key.rsa_bits != was->rsa_bits
					 : req->key.curve != was->curve))
		req->new_key = true;
}

/* Not due: certbot's "no action taken", with what the client needs to say
 * so and to offer a renewal anyway. */
static void reply_kept(struct daemon *d, struct conn *c, const struct lineage_entry *e)
{
	struct json_object *data = index_entry_json(e, d->store, time(NULL), false,
						    sched_renew_at(d, (struct lineage_entry *)e));
	char *conf = store_renewal_path(d->store, e->name);

	json_object_object_add(data, "kept", json_object_new_boolean(1));
	json_object_object_add(data, "renewal_file", json_object_new_string(conf ? conf : ""));
	free(conf);
	conn_reply_data(c, data);
}

/* certonly --cert-name NAME without -d: the lineage's own names. A new
 * ARGS (caller puts), or NULL to use ARGS as it is. */
static struct json_object *with_lineage_domains(struct daemon *d, struct json_object *args)
{
	const char *name = issue_opt_str(args, IO_CERT_NAME);
	const struct lineage_entry *e = name ? index_get(&d->index, name) : NULL;
	struct json_object *v, *copy = NULL, *list;

	if (!e || !e->have_conf ||
	    (json_object_object_get_ex(args, issue_opts[IO_DOMAINS].key, &v) &&
	     json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0))
		return NULL;
	if (json_object_deep_copy(args, &copy, NULL) < 0)
		return NULL;
	list = json_object_new_array();
	for (size_t i = 0; i < e->conf.ndomains; i++)
		json_object_array_add(list, json_object_new_string(e->conf.domains[i]));
	json_object_object_add(copy, issue_opts[IO_DOMAINS].key, list);
	return copy;
}

char *certonly_replaced_ari_id(struct daemon *d, const struct issue_req *req)
{
	const struct lineage_entry *e = req->name ? index_get(&d->index, req->name) : NULL;
	bool overlap = false;

	if (!e || !e->have_cert || !e->cert.ari_id[0] || !streq(e->conf.server, req->server))
		return NULL;
	for (size_t i = 0; i < req->ndomains && !overlap; i++)
		for (size_t k = 0; k < e->conf.ndomains && !overlap; k++)
			overlap = streq(req->domains[i], e->conf.domains[k]);
	return overlap ? strdup(e->cert.ari_id) : NULL;
}

int certonly_check_hooks(const struct issue_req *req, char *err, size_t errlen)
{
	/* certbot's order: its own hooks when it parses the command line, the
	 * manual plugin's when it prepares the plugin. */
	const struct {
		const char *kind, *command;
	} h[] = {
		{ "pre", req->pre_hook },
		{ "post", req->post_hook },
		{ "deploy", req->deploy_hook },
		{ "manual-auth", req->authn.manual_auth_hook },
		{ "manual-cleanup", req->authn.manual_cleanup_hook },
	};
	int r = 0;

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(h); i++)
		r = hookcheck_command(h[i].kind, h[i].command, HOOK_PATH, err, errlen);
	return r;
}

/* The CA REQ goes to refused REQ's lineage (or a certonly of it) with a
 * Retry-After that has not passed: C is told until when. --force-renewal
 * says the certificate need not be due; it does not override the CA. */
static bool held_by_ca(struct daemon *d, struct conn *c, const struct issue_req *req)
{
	time_t until = req->name ? sched_ca_hold(d, req->server, req->name, time(NULL)) : 0;
	char when[32];

	if (!until)
		return false;
	timefmt_format_rfc3339(until, when, sizeof(when));
	log_info("certonly for %s not sent: %s asked for no new request before %s", req->name,
		 req->server, when);
	conn_reply_error(c, ACMED_ERATELIMITED,
			 "the CA (%s) refused %s with a rate limit and asked not to be asked "
			 "again before %s (Retry-After); try again after that time "
			 "(--force-renewal does not override the CA)",
			 req->server, req->name, when);
	return true;
}

/* A batch of one job for C; it answers when the job and its hooks are
 * done. REQ is moved; VERBOSITY is acmectl -v's (batch.h). */
static void submit(struct daemon *d, struct conn *c, struct issue_req *req, int verbosity)
{
	struct batch_opts o = { .kind = BATCH_CERTONLY, .on_result = sched_job_result,
				.dry_run = req->dry_run, .verbosity = verbosity };
	struct batch *b = batch_new(d, c, &o);
	int r = b ? batch_add(d, b, req) : -ENOMEM;

	if (r < 0) {
		if (b)
			batch_abandon(d, b);
		issue_req_clear(req);
		conn_reply_error(c, r, "could not start the job: %s", acmed_strerror(r));
		return;
	}
	batch_start(d, b);
}

void certonly_command(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct json_object *own = with_lineage_domains(d, args);
	struct lineage_entry *e = NULL;
	struct issue_req req;
	enum action act = ACT_NEW;
	char err[512], *name = NULL;
	const char *busy;
	int r;

	if (own)
		args = own;
	r = issue_req_parse(args, &d->cfg, &req, err, sizeof(err));
	if (r < 0) {
		conn_reply_error(c, r, "%s", err);
		goto out;
	}
	/* As certbot: a hook that cannot run refuses the command before
	 * anything else, even a certificate that is not due. */
	if (!issue_opt_flag(args, IO_DISABLE_HOOK_VALIDATION) &&
	    (r = certonly_check_hooks(&req, err, sizeof(err))) < 0) {
		log_info("certonly refused: %s", err);
		issue_req_clear(&req);
		conn_reply_error(c, r, "%s", err);
		goto out;
	}
	if (!req.csr && decide(d, c, args, &req, &act, &e) > 0) {
		issue_req_clear(&req);
		goto out;
	}
	if (act == ACT_KEEP) {
		reply_kept(d, c, e);
		issue_req_clear(&req);
		goto out;
	}
	if (req.csr) {
		r = 0;
	} else if (act == ACT_RENEW) {
		keep_lineage_settings(args, &req, e);
		r = (name = strdup(e->name)) ? 0 : -ENOMEM;
	} else if (!req.cert_name && !issue_opt_flag(args, IO_DUPLICATE) &&
		   (busy = job_name_for_domains(d, req.domains, req.ndomains))) {
		/* A job already working on exactly these domains holds their name. */
		r = (name = strdup(busy)) ? 0 : -ENOMEM;
	} else {
		r = new_name(d, &req, &name);
		e = r == 0 ? unreadable(d, &req) : NULL;
		if (e) {
			r = ACMED_ECORRUPT;
			snprintf(err, sizeof(err), "%s; fix or delete lineage %s first (acmectl check "
						   "names what is wrong)", str_or_empty(e->problem), e->name);
		}
	}
	if (r == 0 && name) {
		r = take_name(d, &req, name, err, sizeof(err)); /* takes NAME */
	} else if (r < 0) {
		if (r != ACMED_ECORRUPT)
			snprintf(err, sizeof(err), "%s", acmed_strerror(r));
		free(name);
	}
	if (r < 0) {
		issue_req_clear(&req);
		conn_reply_error(c, r, "%s", err);
		goto out;
	}
	req.replaces = certonly_replaced_ari_id(d, &req);
	if (issue_req_aim_dry_run(&req, &d->cfg) < 0) {
		issue_req_clear(&req);
		conn_reply_error(c, -ENOMEM, "out of memory");
		goto out;
	}
	if (held_by_ca(d, c, &req)) {
		issue_req_clear(&req);
		goto out;
	}
	submit(d, c, &req, ctl_verbosity(args));
out:
	json_object_put(own);
}
