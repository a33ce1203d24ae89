/* Fakes beneath daemon/control/commands.c, shared by its two unit tests
 * (test_commands.c, test_commands_tasks.c), each of which #includes the
 * module first: connections that capture the reply, batches that record
 * the lineages put in them and the notes on those left out, a job runner
 * that records each job, the index as a small array of lineages, and a
 * scheduler whose lineages are due 30 days before expiry. The state
 * directory is a real (empty) one. */
#ifndef ACMED_TEST_COMMANDS_FAKES_H
#define ACMED_TEST_COMMANDS_FAKES_H

#include "testutil.h"

#define DAY 86400L
#define SERVER "https://ca.test/dir"

/* ---- fake connections ---- */

struct client {
	struct conn conn;
	int replies;         /* final replies: exactly one is right */
	int error;           /* the error's status, 0 for data */
	char message[1024];  /* the error's message */
	struct json_object *data;
	struct json_object *confirm; /* an ACMED_ECONFIRM reply's question */
	bool watched;        /* a task registered conn_on_close */
};

void conn_reply_error(struct conn *c, int err, const char *fmt, ...)
{
	struct client *k = container_of(c, struct client, conn);
	va_list ap;

	k->replies++;
	k->error = err;
	va_start(ap, fmt);
	vsnprintf(k->message, sizeof(k->message), fmt, ap);
	va_end(ap);
}

void conn_reply_data(struct conn *c, struct json_object *data)
{
	struct client *k = container_of(c, struct client, conn);
	k->replies++;
	k->error = 0;
	json_object_put(k->data);
	k->data = data;
}

void conn_send(struct conn *c, struct json_object *frame)
{
}

void conn_finish(struct conn *c, struct json_object *reply)
{
	struct client *k = container_of(c, struct client, conn);
	struct json_object *e, *q;

	k->replies++;
	k->error = (int)jobj_int(reply, "status", 0);
	if (json_object_object_get_ex(reply, "error", &e))
		snprintf(k->message, sizeof(k->message), "%s", str_or_empty(jobj_str(e, "message")));
	if (json_object_object_get_ex(reply, "confirm", &q)) {
		json_object_put(k->confirm);
		k->confirm = json_object_get(q);
	}
}

/* A listing arrives encoded: decode it as the client would. */
void conn_finish_encoded(struct conn *c, int r, char *buf, size_t len)
{
	struct client *k = container_of(c, struct client, conn);
	struct json_object *reply = NULL;
	struct json_object *data = NULL;

	/* The frame is a length prefix and JSON with no NUL after it. */
	if (r >= 0 && len > 4) {
		struct json_tokener *tok = json_tokener_new();

		reply = json_tokener_parse_ex(tok, buf + 4, (int)(len - 4));
		json_tokener_free(tok);
	}
	k->replies++;
	k->error = r < 0 ? r : 0;
	json_object_put(k->data);
	k->data = json_object_object_get_ex(reply, "data", &data) ? json_object_get(data) : NULL;
	json_object_put(reply);
	free(buf);
}

int conn_on_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		  void *ctx)
{
	container_of(c, struct client, conn)->watched = true;
	return 0;
}

void conn_off_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		    void *ctx)
{
	container_of(c, struct client, conn)->watched = false;
}

static void conn_clear(struct client *c)
{
	json_object_put(c->data);
	json_object_put(c->confirm);
	memset(c, 0, sizeof(*c));
}

/* ---- a fake job runner ---- */

#define JOBS_MAX 4

static struct {
	char *kind[JOBS_MAX], *name[JOBS_MAX];
	char *server[JOBS_MAX]; /* with may_register only */
	struct json_object *args[JOBS_MAX];
	void *ctx[JOBS_MAX];
	void (*on_done[JOBS_MAX])(struct daemon *d, void *ctx, int id, struct json_object *reply);
	int n;
	const char *busy[4];
	unsigned count; /* job_count() */
} jobs;

int job_submit(struct daemon *d, const struct job_spec *s)
{
	ASSERT_TRUE(jobs.n < JOBS_MAX);
	jobs.kind[jobs.n] = strdup(s->kind);
	jobs.name[jobs.n] = s->name ? strdup(s->name) : NULL;
	jobs.server[jobs.n] = s->may_register && s->server ? strdup(s->server) : NULL;
	jobs.args[jobs.n] = json_object_get(s->args);
	jobs.ctx[jobs.n] = s->ctx;
	jobs.on_done[jobs.n] = s->on_done;
	jobs.n++;
	return ++d->next_job_id;
}

bool job_busy(const struct daemon *d, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(jobs.busy); i++)
		if (jobs.busy[i] && name && streq(jobs.busy[i], name))
			return true;
	return false;
}

bool job_any(const struct daemon *d, const char *kind)
{
	return jobs.busy[0] != NULL;
}

unsigned job_count(const struct daemon *d)
{
	return jobs.count;
}

const char *job_name_for_domains(const struct daemon *d, char *const *domains, size_t n)
{
	return NULL;
}

/* One entry per busy lineage. */
struct json_object *job_list_json(const struct daemon *d)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < ELEMENTSOF(jobs.busy); i++) {
		struct json_object *o;

		if (!jobs.busy[i])
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int((int)i + 1));
		json_object_object_add(o, "label", json_object_new_string("renew"));
		json_object_object_add(o, "name", json_object_new_string(jobs.busy[i]));
		json_object_array_add(list, o);
	}
	return list;
}

struct json_object *job_history_json(const struct daemon *d)
{
	(void)d;
	return NULL;
}

/* acmectl cancel and continue have tests of their own (integration): not
 * reached here. */
void cancel_command(struct daemon *d, struct conn *c, struct json_object *args)
{
	(void)d;
	(void)c;
	(void)args;
}

void continue_command(struct daemon *d, struct conn *c, struct json_object *args)
{
	(void)d;
	(void)c;
	(void)args;
}

/* Task I ends with REPLY (JSON text), as the runner would say. */
static inline void job_ends(struct daemon *d, int i, const char *reply)
{
	struct json_object *r = json_tokener_parse(reply);

	ASSERT_NONNULL(r);
	ASSERT_TRUE(i < jobs.n && jobs.on_done[i]);
	jobs.on_done[i](d, jobs.ctx[i], i + 1, r);
	jobs.on_done[i] = NULL;
	json_object_put(r);
}

unsigned hooks_pending(const struct daemon *d)
{
	return 0;
}

/* ---- fake batches ---- */

#define MEMBERS_MAX 8

struct batch {
	struct batch_opts opts;
	struct conn *client;
	char *names[MEMBERS_MAX];
	bool dry_run[MEMBERS_MAX];
	char *replaces[MEMBERS_MAX];
	char *server[MEMBERS_MAX];
	size_t ndomains[MEMBERS_MAX];
	struct key_spec key[MEMBERS_MAX];
	bool reuse_key[MEMBERS_MAX], new_key[MEMBERS_MAX];
	int n;
	struct json_object *notes; /* { LIST: [ INFO... ] } */
	bool started, abandoned;
};

static struct batch *batch; /* the one batch a command made, or NULL */

struct batch *batch_new(struct daemon *d, struct conn *client, const struct batch_opts *o)
{
	ASSERT_TRUE(batch == NULL);
	batch = calloc(1, sizeof(*batch));
	ASSERT_NONNULL(batch);
	batch->opts = *o;
	batch->client = client;
	batch->notes = json_object_new_object();
	return batch;
}

int batch_add(struct daemon *d, struct batch *b, struct issue_req *req)
{
	ASSERT_TRUE(b->n < MEMBERS_MAX);
	ASSERT_TRUE(!b->started);
	b->names[b->n] = strdup(req->name);
	b->dry_run[b->n] = req->dry_run;
	b->replaces[b->n] = req->replaces ? strdup(req->replaces) : NULL;
	b->server[b->n] = req->server ? strdup(req->server) : NULL;
	b->ndomains[b->n] = req->ndomains;
	b->key[b->n] = req->key;
	b->reuse_key[b->n] = req->reuse_key;
	b->new_key[b->n] = req->new_key;
	b->n++;
	issue_req_clear(req);
	return 0;
}

void batch_note(struct batch *b, const char *key, struct json_object *info)
{
	struct json_object *list;

	if (!json_object_object_get_ex(b->notes, key, &list)) {
		list = json_object_new_array();
		json_object_object_add(b->notes, key, list);
	}
	json_object_array_add(list, info);
}

void batch_start(struct daemon *d, struct batch *b)
{
	ASSERT_TRUE(!b->started);
	b->started = true;
}

void batch_abandon(struct daemon *d, struct batch *b)
{
	b->abandoned = true;
}

static inline bool batch_has(const char *name)
{
	for (int i = 0; batch && i < batch->n; i++)
		if (streq(batch->names[i], name))
			return true;
	return false;
}

/* The names noted in LIST ("not_due", "skipped", "failed"), comma-separated. */
static inline const char *noted(const char *list)
{
	static char out[256];
	struct json_object *v;

	out[0] = '\0';
	if (!batch || !json_object_object_get_ex(batch->notes, list, &v))
		return out;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		const char *n = jobj_str(json_object_array_get_idx(v, i), "name");

		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", n);
	}
	return out;
}

/* ---- a fake scheduler: due 30 days before expiry, after any Retry-After ---- */

time_t sched_renew_at(const struct daemon *d, struct lineage_entry *e)
{
	time_t at;

	if (!e->have_cert || !e->have_conf)
		return 0;
	at = e->cert.not_after - 30 * DAY;
	return e->conf.state.retry_after > at ? e->conf.state.retry_after : at;
}

bool sched_due(const struct daemon *d, const struct lineage_entry *e, time_t now)
{
	return e->have_cert && e->cert.not_after - 30 * DAY <= now;
}

time_t sched_next_wake(const struct daemon *d)
{
	return 0;
}

void sched_job_result(struct daemon *d, const char *name, struct json_object *reply,
		      bool record_failure)
{
}

/* Alerts: the lineages whose revocation was announced. */
static struct {
	int revoked;
	char last[64];
} fake_alerts;

void alert_revoked(struct daemon *d, const char *name, const char *reason)
{
	fake_alerts.revoked++;
	snprintf(fake_alerts.last, sizeof(fake_alerts.last), "%s", name);
}

enum alert_level alert_level_of(const struct daemon *d, const struct lineage_entry *e, time_t now)
{
	return ALERT_LEVEL_OK;
}

/* Not in cluster mode. */
bool cluster_active(const struct daemon *d)
{
	return false;
}

struct json_object *cluster_status_json(const struct daemon *d)
{
	return NULL;
}

char *metrics_text(struct daemon *d, size_t *len)
{
	*len = strlen("acmed_certificates 0\n");
	return strdup("acmed_certificates 0\n");
}

/* The lineage's recorded Retry-After only (the real one also keeps a
 * refused certonly's in memory). */
time_t sched_ca_hold(struct daemon *d, const char *server, const char *name, time_t now)
{
	const struct lineage_entry *e = index_get(&d->index, name);

	return e && e->have_conf && e->conf.state.retry_after > now ? e->conf.state.retry_after
								     : 0;
}

int daemon_reload(struct daemon *d, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "reloaded");
	return 0;
}

/* ---- a fake index ---- */

#define LINEAGES_MAX 6
static struct lineage_entry lineages[LINEAGES_MAX];

static struct {
	char *names[8];
	int n;
} refreshed;

struct lineage_entry *index_get(const struct cert_index *ix, const char *name)
{
	for (size_t i = 0; name && i < ix->n; i++)
		if (streq(ix->v[i].name, name))
			return &ix->v[i];
	return NULL;
}

static bool fake_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

bool index_entry_has_names(const struct lineage_entry *e, char *const *domains, size_t n)
{
	bool same = e->conf.ndomains == n;

	for (size_t k = 0; same && k < n; k++)
		same = fake_has(e->conf.domains, e->conf.ndomains, domains[k]);
	return same;
}

const char *index_find_by_domains(const struct cert_index *ix, char *const *domains, size_t n)
{
	for (size_t i = 0; i < ix->n; i++)
		if (index_entry_has_names(&ix->v[i], domains, n))
			return ix->v[i].name;
	return NULL;
}

struct lineage_entry *index_find_subset(const struct cert_index *ix, char *const *domains,
					size_t n)
{
	for (size_t i = 0; i < ix->n; i++) {
		struct lineage_entry *e = &ix->v[i];
		bool subset = e->conf.ndomains > 0 && e->conf.ndomains < n;

		for (size_t k = 0; subset && k < e->conf.ndomains; k++)
			subset = fake_has(domains, n, e->conf.domains[k]);
		if (subset)
			return e;
	}
	return NULL;
}

int index_refresh(struct cert_index *ix, struct store *s, const char *name)
{
	ASSERT_TRUE(refreshed.n < 8);
	refreshed.names[refreshed.n++] = strdup(name);
	return 0;
}

struct json_object *index_entry_json(const struct lineage_entry *e, const struct store *s,
				     time_t now, bool running, time_t next_renewal)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "running", json_object_new_boolean(running));
	return o;
}

int index_quarantined(const struct cert_index *ix)
{
	return 0;
}

/* ---- fixtures ---- */

static struct daemon dmn;
static char *dir;

static struct daemon *daemon_new(void)
{
	dir = tmpdir_make();

	memset(&dmn, 0, sizeof(dmn));
	ASSERT_INT_EQ(config_defaults(&dmn.cfg), 0);
	ASSERT_INT_EQ(store_open(dir, true, &dmn.store), 0);
	dmn.index.v = lineages;
	dmn.started = time(NULL) - 100;
	return &dmn;
}

/* Lineage NAME for domain NAME, its certificate valid from NOW + FROM for
 * 90 days. */
static struct lineage_entry *lineage_add(struct daemon *d, const char *name, long from)
{
	struct lineage_entry *e;
	time_t now = time(NULL);

	ASSERT_TRUE(d->index.n < LINEAGES_MAX);
	e = &lineages[d->index.n++];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	e->have_conf = true;
	e->conf.name = strdup(name);
	e->conf.server = strdup(SERVER);
	e->conf.account = strdup("acct");
	e->conf.authn.name = strdup("standalone");
	e->conf.key = KEY_SPEC_DEFAULT;
	e->conf.domains = calloc(2, sizeof(char *));
	e->conf.domains[0] = strdup(name);
	e->conf.ndomains = 1;
	e->have_cert = true;
	e->cert.not_before = now + from;
	e->cert.not_after = now + from + 90 * DAY;
	snprintf(e->cert.serial, sizeof(e->cert.serial), "0a");
	return e;
}

/* Run command CMD with ARGS (JSON text) for C. */
static void run(struct daemon *d, struct client *c, int cmd, const char *args)
{
	struct json_object *a = json_tokener_parse(args);

	ASSERT_NONNULL(a);
	commands_run(d, &c->conn, cmd, a);
	json_object_put(a);
}

/* Free the batch a command made, so that the next command can make one. */
static void batch_clear(void)
{
	if (!batch)
		return;
	for (int i = 0; i < batch->n; i++) {
		free(batch->names[i]);
		free(batch->replaces[i]);
		free(batch->server[i]);
	}
	json_object_put(batch->notes);
	if (batch->opts.ctx_free)
		batch->opts.ctx_free(batch->opts.ctx);
	free(batch);
	batch = NULL;
}

static void cleanup(struct daemon *d, struct client *c)
{
	for (size_t i = 0; i < d->index.n; i++) {
		free(lineages[i].name);
		renewal_clear(&lineages[i].conf);
	}
	d->index.n = 0;
	for (int i = 0; i < jobs.n; i++) {
		free(jobs.kind[i]);
		free(jobs.name[i]);
		free(jobs.server[i]);
		json_object_put(jobs.args[i]);
		if (jobs.on_done[i]) {
			struct task *t = jobs.ctx[i];

			json_object_put(t->args);
			free(t);
		}
	}
	memset(&jobs, 0, sizeof(jobs));
	batch_clear();
	for (int i = 0; i < refreshed.n; i++)
		free(refreshed.names[i]);
	memset(&refreshed, 0, sizeof(refreshed));
	conn_clear(c);
	store_close(d->store);
	tmpdir_remove(dir);
	dir = NULL;
	config_clear(&d->cfg);
}

/* ---- renew ---- */

#endif
