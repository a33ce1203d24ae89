/* The control commands (daemon/control/commands.c) over fakes of what lies
 * beneath them: connections that capture the reply, batches that record
 * the lineages put in them and the notes on those left out, a job runner
 * that records each job, the index as a small array of lineages, and a
 * scheduler whose lineages are due 30 days before expiry. The state
 * directory is a real (empty) one. What is checked: renew of an unknown
 * name, what renew does with each lineage (due, not due, busy, revoked,
 * rate-limited, forced, named); certonly's usage errors and the lineage
 * name it chooses; delete and revoke refused while a job runs; the status
 * reply. */
#include "daemon/control/commands.c"

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
	k->replies++;
}

/* A listing arrives encoded: decode it as the client would. */
void conn_finish_encoded(struct conn *c, int r, char *buf, size_t len)
{
	struct client *k = container_of(c, struct client, conn);
	struct json_object *reply = r < 0 ? NULL : json_tokener_parse(buf + 4);
	struct json_object *data = NULL;

	(void)len;
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
	memset(c, 0, sizeof(*c));
}

/* ---- a fake job runner ---- */

#define JOBS_MAX 4

static struct {
	char *kind[JOBS_MAX], *name[JOBS_MAX];
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

/* Task I ends with REPLY (JSON text), as the runner would say. */
static void job_ends(struct daemon *d, int i, const char *reply)
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

static bool batch_has(const char *name)
{
	for (int i = 0; batch && i < batch->n; i++)
		if (streq(batch->names[i], name))
			return true;
	return false;
}

/* The names noted in LIST ("not_due", "skipped", "failed"), comma-separated. */
static const char *noted(const char *list)
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

const char *index_find_by_domains(const struct cert_index *ix, char *const *domains, size_t n)
{
	for (size_t i = 0; i < ix->n; i++)
		if (ix->v[i].conf.ndomains == n && n == 1 &&
		    streq(ix->v[i].conf.domains[0], domains[0]))
			return ix->v[i].name;
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
		json_object_put(jobs.args[i]);
		if (jobs.on_done[i]) {
			struct task *t = jobs.ctx[i];

			json_object_put(t->args);
			free(t);
		}
	}
	memset(&jobs, 0, sizeof(jobs));
	if (batch) {
		for (int i = 0; i < batch->n; i++) {
			free(batch->names[i]);
			free(batch->replaces[i]);
		}
		json_object_put(batch->notes);
		free(batch);
		batch = NULL;
	}
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

TEST(renew_of_an_unknown_name_is_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -80 * DAY);
	run(d, &c, CMD_RENEW, "{\"cert_names\":[\"a.test\",\"unknown.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -ENOENT);
	ASSERT_STR_CONTAINS(c.message, "no certificate named 'unknown.test'");
	ASSERT_TRUE(batch == NULL); /* nothing started, not even a.test */
	cleanup(d, &c);
}

TEST(renew_renews_what_is_due_and_says_why_not_the_rest)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	time_t now = time(NULL);

	lineage_add(d, "due.test", -80 * DAY);
	lineage_add(d, "notdue.test", -10 * DAY);
	lineage_add(d, "busy.test", -80 * DAY);
	lineage_add(d, "revoked.test", -80 * DAY)->conf.revoked = true;
	lineage_add(d, "limited.test", -80 * DAY)->conf.state.retry_after = now + DAY;
	lineage_add(d, "broken.test", -80 * DAY)->have_cert = false;
	jobs.busy[0] = "busy.test";
	run(d, &c, CMD_RENEW, "{}");
	ASSERT_NONNULL(batch);
	ASSERT_TRUE(batch->started);
	ASSERT_TRUE(batch->client == &c.conn);
	ASSERT_INT_EQ(batch->opts.kind, BATCH_RENEW);
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_TRUE(batch_has("due.test"));
	ASSERT_STR_EQ(noted("not_due"), "notdue.test");
	ASSERT_STR_EQ(noted("skipped"), "busy.test,revoked.test");
	ASSERT_STR_EQ(noted("failed"), "limited.test,broken.test");
	ASSERT_INT_EQ(c.replies, 0); /* the batch answers */
	cleanup(d, &c);
}

TEST(renew_force_and_dry_run_take_lineages_not_due)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "notdue.test", -10 * DAY);
	run(d, &c, CMD_RENEW, "{\"force_renewal\":true}");
	ASSERT_TRUE(batch_has("notdue.test"));
	ASSERT_TRUE(!batch->dry_run[0]);
	cleanup(d, &c);

	d = daemon_new();
	lineage_add(d, "notdue.test", -10 * DAY);
	run(d, &c, CMD_RENEW, "{\"dry_run\":true}");
	ASSERT_TRUE(batch_has("notdue.test"));
	ASSERT_TRUE(batch->dry_run[0]);
	ASSERT_TRUE(batch->opts.dry_run);
	cleanup(d, &c);
}

/* A revoked certificate is renewed when named, even before it is due. */
TEST(renew_by_name_renews_a_revoked_lineage)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "revoked.test", -10 * DAY)->conf.revoked = true;
	lineage_add(d, "other.test", -80 * DAY);
	run(d, &c, CMD_RENEW, "{\"cert_names\":[\"revoked.test\"]}");
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_TRUE(batch_has("revoked.test"));
	ASSERT_TRUE(!batch_has("other.test"));
	cleanup(d, &c);
}

/* The renewal names the certificate it replaces (ARI) when it goes to the
 * CA that issued it. */
TEST(renew_names_the_replaced_certificate)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	strcpy(lineage_add(d, "due.test", -80 * DAY)->cert.ari_id, "aki.serial");
	run(d, &c, CMD_RENEW, "{}");
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_STR_EQ(batch->replaces[0], "aki.serial");
	cleanup(d, &c);
}

/* ---- certonly ---- */

TEST(certonly_with_bad_arguments_gets_the_usage_error)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	run(d, &c, CMD_CERTONLY, "{\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "no domains given");
	conn_clear(&c);
	run(d, &c, CMD_CERTONLY, "{\"domains\":[\"a.test\"]}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "choose how to prove control");
	ASSERT_TRUE(batch == NULL);
	cleanup(d, &c);
}

TEST(certonly_chooses_a_free_lineage_name)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	/* Other domains, first one taken by a lineage's name: -0001. */
	run(d, &c, CMD_CERTONLY,
	    "{\"domains\":[\"a.test\",\"b.test\"],\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_NONNULL(batch);
	ASSERT_TRUE(batch->started);
	ASSERT_INT_EQ(batch->opts.kind, BATCH_CERTONLY);
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_STR_EQ(batch->names[0], "a.test-0001");
	cleanup(d, &c);
}

TEST(certonly_for_the_same_domains_reuses_the_lineage_and_replaces_its_certificate)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	strcpy(lineage_add(d, "a.test", -10 * DAY)->cert.ari_id, "aki.serial");
	free(d->cfg.server);
	d->cfg.server = strdup(SERVER); /* the lineage's CA */
	run(d, &c, CMD_CERTONLY,
	    "{\"domains\":[\"a.test\"],\"authenticator\":\"standalone\",\"server\":\"" SERVER "\"}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_STR_EQ(batch->names[0], "a.test");
	ASSERT_STR_EQ(batch->replaces[0], "aki.serial");
	cleanup(d, &c);
}

TEST(certonly_for_a_lineage_being_renewed_is_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	jobs.busy[0] = "x.test";
	run(d, &c, CMD_CERTONLY,
	    "{\"domains\":[\"a.test\"],\"cert_name\":\"x.test\",\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -EBUSY);
	ASSERT_STR_CONTAINS(c.message, "already running for x.test");
	ASSERT_TRUE(batch == NULL);
	cleanup(d, &c);
}

/* ---- delete ---- */

TEST(delete_of_a_lineage_being_renewed_is_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	lineage_add(d, "busy.test", -80 * DAY);
	jobs.busy[0] = "busy.test";
	run(d, &c, CMD_DELETE, "{\"cert_names\":[\"a.test\",\"busy.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -EBUSY);
	ASSERT_STR_CONTAINS(c.message, "busy.test is being renewed");
	ASSERT_INT_EQ(refreshed.n, 0); /* nothing deleted, not even a.test */
	ASSERT_TRUE(!d->dirty);
	cleanup(d, &c);
}

TEST(delete_needs_existing_names)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	run(d, &c, CMD_DELETE, "{}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "use --cert-name");
	conn_clear(&c);
	run(d, &c, CMD_DELETE, "{\"cert_names\":[\"a.test\",\"gone.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -ENOENT);
	ASSERT_STR_CONTAINS(c.message, "no certificate named 'gone.test'");
	ASSERT_INT_EQ(refreshed.n, 0);
	cleanup(d, &c);
}

TEST(delete_removes_the_lineage_and_says_so)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY);
	struct json_object *deleted;

	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	ASSERT_TRUE(store_exists(d->store, "a.test"));
	run(d, &c, CMD_DELETE, "{\"cert_names\":[\"a.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, 0);
	ASSERT_TRUE(json_object_object_get_ex(c.data, "deleted", &deleted));
	ASSERT_INT_EQ(json_object_array_length(deleted), 1);
	ASSERT_STR_EQ(json_object_get_string(json_object_array_get_idx(deleted, 0)), "a.test");
	ASSERT_TRUE(!store_exists(d->store, "a.test"));
	ASSERT_INT_EQ(refreshed.n, 1);
	ASSERT_TRUE(d->dirty);
	cleanup(d, &c);
}

/* ---- revoke ---- */

TEST(revoke_of_a_lineage_being_renewed_is_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "busy.test", -80 * DAY);
	jobs.busy[0] = "busy.test";
	run(d, &c, CMD_REVOKE, "{\"cert_name\":\"busy.test\"}");
	ASSERT_INT_EQ(c.error, -EBUSY);
	ASSERT_STR_CONTAINS(c.message, "busy.test is being renewed");
	ASSERT_INT_EQ(jobs.n, 0);
	cleanup(d, &c);
}

TEST(revoke_usage_errors)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	run(d, &c, CMD_REVOKE, "{}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "--cert-name NAME or --cert-path PATH");
	conn_clear(&c);
	run(d, &c, CMD_REVOKE, "{\"cert_name\":\"a.test\",\"reason\":\"bored\"}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "--reason bored");
	conn_clear(&c);
	run(d, &c, CMD_REVOKE, "{\"cert_name\":\"nope.test\"}");
	ASSERT_INT_EQ(c.error, -ENOENT);
	ASSERT_INT_EQ(jobs.n, 0);
	cleanup(d, &c);
}

TEST(revoke_runs_a_job_for_the_lineage_and_answers_when_it_ends)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct json_object *a;

	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY);
	struct renewal saved;
	char err[256];

	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	run(d, &c, CMD_REVOKE, "{\"cert_name\":\"a.test\",\"reason\":\"keyCompromise\"}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_INT_EQ(jobs.n, 1);
	ASSERT_STR_EQ(jobs.kind[0], "revoke");
	ASSERT_STR_EQ(jobs.name[0], "a.test");
	a = jobs.args[0];
	ASSERT_STR_EQ(jobj_str(a, "name"), "a.test");
	ASSERT_STR_EQ(jobj_str(a, "server"), SERVER);
	ASSERT_STR_EQ(jobj_str(a, "account"), "acct");
	ASSERT_INT_EQ(jobj_int(a, "reason", -1), 1);
	ASSERT_STR_EQ(jobj_str(a, "reason_name"), "keycompromise");
	ASSERT_TRUE(c.watched);
	job_ends(d, 0, "{\"status\":0,\"data\":{}}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_TRUE(!c.watched);
	ASSERT_INT_EQ(refreshed.n, 1);
	/* The daemon marks the lineage revoked, so the timer leaves it. */
	ASSERT_INT_EQ(store_renewal_load(d->store, "a.test", &saved, err, sizeof(err)), 0);
	ASSERT_TRUE(saved.revoked);
	ASSERT_STR_EQ(saved.revoked_serial, "0a");
	ASSERT_STR_EQ(saved.revoked_reason, "keycompromise");
	renewal_clear(&saved);
	cleanup(d, &c);
}

/* ---- account ---- */

TEST(account_usage_errors)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	run(d, &c, CMD_ACCOUNT, "{\"op\":\"dance\"}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "say register");
	conn_clear(&c);
	run(d, &c, CMD_ACCOUNT, "{\"op\":\"show\",\"server\":\"http://ca.test/\"}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "https://");
	conn_clear(&c);
	run(d, &c, CMD_ACCOUNT, "{\"op\":\"update\",\"server\":\"" SERVER "\"}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "--email");
	ASSERT_INT_EQ(jobs.n, 0);
	cleanup(d, &c);
}

/* ---- status ---- */

TEST(status_lists_jobs_and_failing_lineages)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct json_object *list, *o;
	struct lineage_entry *f;
	time_t now = time(NULL);

	lineage_add(d, "late.test", -10 * DAY);
	lineage_add(d, "soon.test", -50 * DAY);
	f = lineage_add(d, "failing.test", -20 * DAY);
	ASSERT_INT_EQ(renewal_state_fail(&f->conf.state, now, "the CA said no", 0), 0);
	jobs.busy[0] = "soon.test";
	jobs.busy[1] = "late.test";
	jobs.count = 3;
	d->running = 2;
	run(d, &c, CMD_STATUS, "{}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, 0);
	ASSERT_INT_EQ(jobj_int(c.data, "certificates", -1), 3);
	ASSERT_INT_EQ(jobj_int(c.data, "jobs_running", -1), 2);
	ASSERT_INT_EQ(jobj_int(c.data, "jobs_queued", -1), 1);
	ASSERT_STR_EQ(jobj_str(c.data, "state_dir"), store_dir(d->store));
	ASSERT_TRUE(json_object_object_get_ex(c.data, "jobs", &list));
	ASSERT_INT_EQ(json_object_array_length(list), 2);
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 0), "name"), "soon.test");
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 1), "name"), "late.test");
	ASSERT_TRUE(json_object_object_get_ex(c.data, "next_renewal", &o));
	ASSERT_STR_EQ(jobj_str(o, "name"), "soon.test");
	ASSERT_TRUE(json_object_object_get_ex(c.data, "failing", &list));
	ASSERT_INT_EQ(json_object_array_length(list), 1);
	o = json_object_array_get_idx(list, 0);
	ASSERT_STR_EQ(jobj_str(o, "name"), "failing.test");
	ASSERT_INT_EQ(jobj_int(o, "failures", -1), 1);
	ASSERT_STR_EQ(jobj_str(o, "last_error"), "the CA said no");
	ASSERT_TRUE(jobj_int(c.data, "uptime", -1) >= 100);
	cleanup(d, &c);
}

TEST(certificates_filters_by_name_and_domains)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct json_object *list;

	lineage_add(d, "a.test", -10 * DAY);
	lineage_add(d, "b.test", -10 * DAY);
	jobs.busy[0] = "b.test";
	run(d, &c, CMD_CERTIFICATES, "{}");
	ASSERT_TRUE(json_object_object_get_ex(c.data, "certificates", &list));
	ASSERT_INT_EQ(json_object_array_length(list), 2);
	ASSERT_TRUE(!jobj_bool(json_object_array_get_idx(list, 0), "running"));
	ASSERT_TRUE(jobj_bool(json_object_array_get_idx(list, 1), "running"));
	conn_clear(&c);
	run(d, &c, CMD_CERTIFICATES, "{\"domains\":[\"B.test\"]}");
	ASSERT_TRUE(json_object_object_get_ex(c.data, "certificates", &list));
	ASSERT_INT_EQ(json_object_array_length(list), 1);
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 0), "name"), "b.test");
	conn_clear(&c);
	run(d, &c, CMD_CERTIFICATES, "{\"cert_name\":\"a.test\"}");
	ASSERT_TRUE(json_object_object_get_ex(c.data, "certificates", &list));
	ASSERT_INT_EQ(json_object_array_length(list), 1);
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 0), "name"), "a.test");
	cleanup(d, &c);
}

/* A job that says it revoked but sends no data (a misbehaving worker) does
 * not bring the daemon down: the lineage is still deleted as asked. */
TEST(revoke_and_delete_with_a_reply_without_data)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY);

	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	run(d, &c, CMD_REVOKE, "{\"cert_name\":\"a.test\",\"delete\":true}");
	ASSERT_INT_EQ(jobs.n, 1);
	ASSERT_TRUE(jobj_bool(jobs.args[0], "delete"));
	job_ends(d, 0, "{\"status\":0}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_TRUE(!store_exists(d->store, "a.test"));
	cleanup(d, &c);
}
