/* Batches (daemon/renew/batch.c) and the hook queue under them
 * (daemon/renew/hooks.c), over fakes of what lies beneath: a job runner
 * that records each job_spec and finishes a job when the test says so,
 * connections that capture the frames sent to the client, and a child
 * layer that records each hook's command and environment without forking.
 * What is checked: the pre hooks run once, one at a time, before any job is
 * released; deploy hooks run per renewed lineage (not for a failure, not on
 * a dry run); the post hooks once, after the last job and its deploy hooks;
 * identical commands run once; the reply and on_done; a batch without jobs
 * is answered at once; a client that goes away. */
#include "daemon/renew/batch.c"
#include "daemon/renew/batch_hooks.c"
#include "daemon/renew/hooks.c"
#include "daemon/renew/hookunit.c"
#include "daemon/renew/deploy.c"

#include "testutil.h"

/* ---- the metrics count hook runs by kind and result ---- */

static unsigned long hooks_counted[HOOK__MAX][3];

void metrics_count_hook(struct daemon *d, int kind, int result)
{
	hooks_counted[kind][result]++;
}

/* ---- a fake child layer: hooks do not fork ---- */

#define KIDS_MAX 16

static struct {
	struct child *c[KIDS_MAX]; /* NULL once ended */
	char *command[KIDS_MAX];
	char *env[KIDS_MAX];       /* the environment, one "NAME=value\n" a line */
	int n;
	int signalled;
} kids;

int child_start(struct daemon *d, struct child *c)
{
	const struct hook_run *h = c->ctx;
	char *env = strdup("");

	ASSERT_TRUE(kids.n < KIDS_MAX);
	for (char **e = h->req.env; e && *e; e++) {
		char *s;

		ASSERT_TRUE(asprintf(&s, "%s%s\n", env, *e) > 0);
		free(env);
		env = s;
	}
	kids.c[kids.n] = c;
	kids.command[kids.n] = strdup(h->req.command);
	kids.env[kids.n] = env;
	kids.n++;
	c->pid = 2000 + kids.n;
	return 0;
}

void child_signal(const struct child *c, int sig)
{
	kids.signalled++;
}

void child_abandon(struct daemon *d, struct child *c)
{
}

/* Hook I (0 first) ends with STATUS. */
static void hook_ends(struct daemon *d, int i, int status)
{
	struct child_exit e = { .exit_status = status };
	struct child *c;

	ASSERT_TRUE(i < kids.n);
	ASSERT_NONNULL(kids.c[i]);
	c = kids.c[i];
	kids.c[i] = NULL;
	c->ops->on_exit(d, c->ctx, &e);
}

static void hook_says(struct daemon *d, int i, const char *line)
{
	char *copy = strdup(line);

	ASSERT_TRUE(i < kids.n);
	ASSERT_NONNULL(kids.c[i]);
	kids.c[i]->ops->on_line(d, kids.c[i]->ctx, copy);
	free(copy);
}

/* ---- the event loop: hooks.c's retry timer (test_hooks.c runs it) ---- */

int daemon_watch(struct daemon *d, struct watch *w, uint32_t events)
{
	return 0;
}

void daemon_unwatch(struct daemon *d, struct watch *w)
{
}

/* ---- a fake job runner ---- */

#define JOBS_MAX 16

struct fake_job {
	int id;
	char *name, *label;
	int port;
	long extra_time;
	bool (*may_start)(void *ctx);
	void (*on_event)(struct daemon *d, void *ctx, int id, struct json_object *ev);
	void (*on_done)(struct daemon *d, void *ctx, int id, struct json_object *reply);
	void *ctx;
	bool done;
};

static struct {
	struct fake_job j[JOBS_MAX];
	int n;
} jobs;

int job_submit(struct daemon *d, const struct job_spec *s)
{
	struct fake_job *j;

	ASSERT_TRUE(jobs.n < JOBS_MAX);
	j = &jobs.j[jobs.n++];
	j->id = ++d->next_job_id;
	j->name = s->name ? strdup(s->name) : NULL;
	j->label = strdup(s->label);
	j->port = s->port;
	j->extra_time = s->extra_time;
	j->may_start = s->may_start;
	j->on_event = s->on_event;
	j->on_done = s->on_done;
	j->ctx = s->ctx;
	return j->id;
}

/* Jobs whose client went away (job_hangup()), by id. */
static int hung_up[JOBS_MAX], nhung_up;

void job_hangup(struct daemon *d, int id)
{
	(void)d;
	ASSERT_TRUE(nhung_up < JOBS_MAX);
	hung_up[nhung_up++] = id;
}

static bool job_may_start(int i)
{
	ASSERT_TRUE(i < jobs.n);
	return !jobs.j[i].may_start || jobs.j[i].may_start(jobs.j[i].ctx);
}

/* Job I ends with REPLY (JSON text). */
static void job_ends(struct daemon *d, int i, const char *reply)
{
	struct json_object *r = json_tokener_parse(reply);

	ASSERT_NONNULL(r);
	ASSERT_TRUE(i < jobs.n);
	ASSERT_TRUE(!jobs.j[i].done);
	jobs.j[i].done = true;
	jobs.j[i].on_done(d, jobs.j[i].ctx, jobs.j[i].id, r);
	json_object_put(r);
}

#define OK_REPLY "{\"status\":0,\"data\":{\"version\":2,\"serial\":\"0a\"," \
		 "\"not_after\":\"2027-01-01T00:00:00Z\"}}"
/* A failure that still carries data: its status decides. */
#define FAIL_REPLY "{\"status\":-5,\"data\":{\"version\":1}," \
		   "\"error\":{\"code\":\"acme\",\"message\":\"no\"}}"

/* ---- fake connections ---- */

#define FRAMES_MAX 64

static struct {
	char *frames[FRAMES_MAX]; /* sent with conn_send */
	int nframes;
	char *final;              /* given to conn_finish */
	int nfinish;
	void (*close_fn)(struct daemon *d, void *ctx, struct conn *c);
	void *close_ctx;
} client;

void conn_send(struct conn *c, struct json_object *frame)
{
	ASSERT_TRUE(client.nframes < FRAMES_MAX);
	client.frames[client.nframes++] =
		strdup(json_object_to_json_string_ext(frame, JSON_C_TO_STRING_PLAIN));
}

void conn_finish(struct conn *c, struct json_object *reply)
{
	free(client.final);
	client.final = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	client.nfinish++;
}

int conn_on_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		  void *ctx)
{
	client.close_fn = fn;
	client.close_ctx = ctx;
	return 0;
}

void conn_off_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		    void *ctx)
{
	ASSERT_TRUE(client.close_fn == fn && client.close_ctx == ctx);
	client.close_fn = NULL;
	client.close_ctx = NULL;
}

/* Some frame sent contains S. */
static bool sent(const char *s)
{
	for (int i = 0; i < client.nframes; i++)
		if (strstr(client.frames[i], s))
			return true;
	return false;
}

/* ---- the lineage index: one entry the test may set ---- */

static struct lineage_entry *fake_entry;

struct lineage_entry *index_get(const struct cert_index *ix, const char *name)
{
	return fake_entry && streq(fake_entry->name, name) ? fake_entry : NULL;
}

/* ---- the daemon and requests ---- */

static struct {
	unsigned ndone, failures;
	char *results[JOBS_MAX];
	int nresults;
	bool record_failure[JOBS_MAX];
} owner;

static void batch_done_cb(struct daemon *d, unsigned failures)
{
	owner.ndone++;
	owner.failures = failures;
}

static void result_cb(struct daemon *d, const char *name, struct json_object *reply,
		      bool record_failure)
{
	ASSERT_TRUE(owner.nresults < JOBS_MAX);
	owner.record_failure[owner.nresults] = record_failure;
	owner.results[owner.nresults++] = strdup(name ? name : "(csr)");
}

static char *state_dir;

static void setup(struct daemon *d)
{
	memset(d, 0, sizeof(*d));
	ASSERT_INT_EQ(config_defaults(&d->cfg), 0);
	log_set_level(LOG_LVL_ERROR);
	state_dir = tmpdir_make();
	ASSERT_INT_EQ(store_open(state_dir, true, &d->store), 0);
}

static void teardown(struct daemon *d)
{
	batch_free_all(d);
	hooks_stop_all(d);
	store_close(d->store);
	config_clear(&d->cfg);
	for (int i = 0; i < kids.n; i++) {
		free(kids.command[i]);
		free(kids.env[i]);
	}
	for (int i = 0; i < jobs.n; i++) {
		free(jobs.j[i].name);
		free(jobs.j[i].label);
	}
	for (int i = 0; i < client.nframes; i++)
		free(client.frames[i]);
	free(client.final);
	for (int i = 0; i < owner.nresults; i++)
		free(owner.results[i]);
	tmpdir_remove(state_dir);
}

/* Add a job for lineage NAME (domains NAME and www.NAME) to B. */
static void add(struct daemon *d, struct batch *b, const char *name, const char *authn, int port)
{
	struct issue_req req = { 0 };

	req.ndomains = 2;
	req.domains = calloc(3, sizeof(char *));
	ASSERT_NONNULL(req.domains);
	req.domains[0] = strdup(name);
	ASSERT_TRUE(asprintf(&req.domains[1], "www.%s", name) > 0);
	req.name = strdup(name);
	req.renewal = true;
	req.authn.name = strdup(authn);
	req.authn.http01_port = port;
	ASSERT_INT_EQ(batch_add(d, b, &req), 0);
	/* Moved into the job: nothing left for the caller to free. */
	ASSERT_TRUE(req.domains == NULL && req.name == NULL && req.authn.name == NULL);
}

static struct conn *fake_conn(void)
{
	static struct conn c;

	return &c;
}

static struct batch *new_batch(struct daemon *d, enum batch_kind kind, bool dry_run,
			       const char *pre, const char *deploy, const char *post)
{
	struct batch_opts o = {
		.kind = kind,
		.dry_run = dry_run,
		.hooks = { [HOOK_PRE] = pre, [HOOK_DEPLOY] = deploy, [HOOK_POST] = post },
		.on_result = result_cb,
		.on_done = batch_done_cb,
	};
	struct batch *b = batch_new(d, fake_conn(), &o);

	ASSERT_NONNULL(b);
	ASSERT_TRUE(client.close_fn != NULL);
	return b;
}

/* ---- the tests ---- */

TEST(batch_without_jobs_is_answered_at_once)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	d.cfg.pre_hook = strdup("echo pre");
	d.cfg.post_hook = strdup("echo post");
	b = new_batch(&d, BATCH_RENEW, false, NULL, NULL, NULL);
	batch_note(b, "not_due", json_object_new_string("a.example"));
	batch_start(&d, b);
	ASSERT_INT_EQ(client.nfinish, 1);
	ASSERT_STR_CONTAINS(client.final, "\"status\":0");
	ASSERT_STR_CONTAINS(client.final, "\"not_due\":[\"a.example\"]");
	ASSERT_STR_CONTAINS(client.final, "\"renewed\":[]");
	ASSERT_INT_EQ(kids.n, 0); /* no hooks without jobs */
	ASSERT_INT_EQ(owner.ndone, 1);
	ASSERT_INT_EQ(owner.failures, 0);
	ASSERT_TRUE(d.batches == NULL);
	ASSERT_TRUE(client.close_fn == NULL); /* no longer told of the client */
	teardown(&d);
}

TEST(pre_hooks_run_once_each_before_jobs_are_released)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	d.cfg.pre_hook = strdup("echo conf-pre");
	/* The command's pre hook is the same command: it runs once. */
	b = new_batch(&d, BATCH_RENEW, false, "echo conf-pre", NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	add(&d, b, "b.example", "webroot", 0);
	ASSERT_INT_EQ(jobs.n, 2);
	ASSERT_TRUE(!batch_released(b));
	ASSERT_TRUE(!job_may_start(0));
	batch_start(&d, b);
	ASSERT_INT_EQ(kids.n, 1);
	ASSERT_STR_EQ(kids.command[0], "echo conf-pre");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_HOOK=pre\n");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_LINEAGES=a.example b.example\n");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_DRY_RUN=0\n");
	ASSERT_TRUE(!batch_released(b));
	ASSERT_TRUE(!job_may_start(0) && !job_may_start(1));
	ASSERT_TRUE(sent("Running pre hook"));
	/* Its output goes to the client. */
	hook_says(&d, 0, "stopping nginx");
	ASSERT_TRUE(sent("stopping nginx"));
	hook_ends(&d, 0, 0);
	ASSERT_TRUE(batch_released(b));
	ASSERT_TRUE(job_may_start(0) && job_may_start(1));
	ASSERT_INT_EQ(kids.n, 1); /* no second run of the same command */
	ASSERT_INT_EQ(client.nfinish, 0);
	teardown(&d);
}

TEST(pre_hooks_run_one_at_a_time_in_order)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	d.cfg.pre_hook = strdup("echo conf-pre");
	b = new_batch(&d, BATCH_RENEW, false, "echo cmd-pre", NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	ASSERT_INT_EQ(kids.n, 1);
	ASSERT_STR_EQ(kids.command[0], "echo conf-pre"); /* acmed.conf's, then the command's */
	ASSERT_INT_EQ(hooks_pending(&d), 2);
	hook_ends(&d, 0, 0);
	ASSERT_INT_EQ(kids.n, 2);
	ASSERT_STR_EQ(kids.command[1], "echo cmd-pre");
	ASSERT_TRUE(!batch_released(b));
	hook_ends(&d, 1, 0);
	ASSERT_TRUE(batch_released(b));
	ASSERT_INT_EQ(hooks_pending(&d), 0);
	teardown(&d);
}

TEST(deploy_per_renewed_lineage_then_post_once_after_the_last_job)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	d.cfg.deploy_hook = strdup("systemctl reload nginx");
	d.cfg.post_hook = strdup("echo post");
	b = new_batch(&d, BATCH_RENEW, false, NULL, NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	add(&d, b, "b.example", "webroot", 0);
	add(&d, b, "c.example", "webroot", 0);
	batch_start(&d, b); /* no pre hooks: released at once */
	ASSERT_INT_EQ(kids.n, 0);
	ASSERT_TRUE(batch_released(b));
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 1);
	ASSERT_STR_EQ(kids.command[0], "systemctl reload nginx");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_HOOK=deploy\n");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_CERT_NAME=a.example\n");
	ASSERT_STR_CONTAINS(kids.env[0], "RENEWED_DOMAINS=a.example www.a.example\n");
	ASSERT_STR_CONTAINS(kids.env[0], "/live/a.example\n");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_VERSION=2\n");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_SERIAL=0a\n");
	hook_ends(&d, 0, 0);
	/* A failure gets no deploy hook. */
	job_ends(&d, 1, FAIL_REPLY);
	ASSERT_INT_EQ(kids.n, 1);
	ASSERT_INT_EQ(client.nfinish, 0);
	job_ends(&d, 2, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 2);
	ASSERT_STR_CONTAINS(kids.env[1], "ACMED_CERT_NAME=c.example\n");
	/* The post hook waits for the last deploy hook. */
	ASSERT_INT_EQ(hooks_pending(&d), 1);
	hook_ends(&d, 1, 0);
	ASSERT_INT_EQ(kids.n, 3);
	ASSERT_STR_EQ(kids.command[2], "echo post");
	ASSERT_STR_CONTAINS(kids.env[2], "ACMED_HOOK=post\n");
	ASSERT_STR_CONTAINS(kids.env[2], "ACMED_RENEWED=a.example c.example\n");
	ASSERT_STR_CONTAINS(kids.env[2], "ACMED_FAILED=b.example\n");
	ASSERT_INT_EQ(client.nfinish, 0);
	ASSERT_INT_EQ(owner.ndone, 0);
	hook_ends(&d, 2, 0);
	ASSERT_INT_EQ(kids.n, 3);
	ASSERT_INT_EQ(client.nfinish, 1);
	ASSERT_STR_CONTAINS(client.final, "\"status\":0");
	ASSERT_STR_CONTAINS(client.final, "\"name\":\"b.example\"");
	ASSERT_STR_CONTAINS(client.final, "\"code\":\"acme\"");
	ASSERT_STR_CONTAINS(client.final, "\"hook_failures\":0");
	ASSERT_INT_EQ(owner.ndone, 1);
	ASSERT_INT_EQ(owner.failures, 1);
	ASSERT_INT_EQ(owner.nresults, 3);
	ASSERT_STR_EQ(owner.results[1], "b.example");
	ASSERT_TRUE(owner.record_failure[1]);
	ASSERT_TRUE(d.batches == NULL);
	teardown(&d);
}

TEST(reply_lists_renewed_and_failed)
{
	struct daemon d;
	struct batch *b;
	struct json_object *r, *data, *v;

	setup(&d);
	b = new_batch(&d, BATCH_RENEW, false, NULL, NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	add(&d, b, "b.example", "webroot", 0);
	batch_start(&d, b);
	job_ends(&d, 1, FAIL_REPLY);
	ASSERT_INT_EQ(client.nfinish, 0);
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 0); /* no hooks configured */
	ASSERT_INT_EQ(client.nfinish, 1);
	r = json_tokener_parse(client.final);
	ASSERT_NONNULL(r);
	ASSERT_TRUE(json_object_object_get_ex(r, "data", &data));
	ASSERT_TRUE(json_object_object_get_ex(data, "renewed", &v));
	ASSERT_INT_EQ(json_object_array_length(v), 1);
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(v, 0), "name"), "a.example");
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(v, 0), "serial"), "0a");
	ASSERT_TRUE(json_object_object_get_ex(data, "failed", &v));
	ASSERT_INT_EQ(json_object_array_length(v), 1);
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(v, 0), "name"), "b.example");
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(v, 0), "message"), "no");
	json_object_put(r);
	ASSERT_INT_EQ(owner.failures, 1);
	teardown(&d);
}

TEST(dry_run_runs_no_deploy_hooks)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	d.cfg.deploy_hook = strdup("echo deploy");
	d.cfg.post_hook = strdup("echo post");
	b = new_batch(&d, BATCH_RENEW, true, NULL, NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 1);
	ASSERT_STR_EQ(kids.command[0], "echo post");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_DRY_RUN=1\n");
	ASSERT_TRUE(!owner.record_failure[0]); /* a dry run counts for no backoff */
	hook_ends(&d, 0, 0);
	ASSERT_INT_EQ(client.nfinish, 1);
	ASSERT_STR_CONTAINS(client.final, "\"dry_run\":true");
	teardown(&d);
}

TEST(failed_hook_counts_and_the_batch_goes_on)
{
	struct daemon d;
	struct batch *b;

	unsigned long failed = hooks_counted[HOOK_PRE][1];

	setup(&d);
	d.cfg.pre_hook = strdup("false");
	b = new_batch(&d, BATCH_RENEW, false, NULL, NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	hook_ends(&d, 0, 1);
	ASSERT_INT_EQ(hooks_counted[HOOK_PRE][1], failed + 1);
	ASSERT_TRUE(batch_released(b));
	ASSERT_TRUE(sent("failed: non-zero exit status"));
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(client.nfinish, 1);
	ASSERT_STR_CONTAINS(client.final, "\"hook_failures\":1");
	ASSERT_STR_CONTAINS(client.final, "\"kind\":\"pre\"");
	ASSERT_INT_EQ(owner.failures, 1);
	teardown(&d);
}

TEST(lineage_hooks_come_from_its_renewal_file)
{
	struct daemon d;
	struct batch *b;
	struct lineage_entry e = { .name = "a.example", .have_conf = true };

	setup(&d);
	e.conf.deploy_hook = "echo saved-deploy";
	fake_entry = &e;
	b = new_batch(&d, BATCH_RENEW, false, NULL, NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	add(&d, b, "b.example", "webroot", 0);
	batch_start(&d, b);
	job_ends(&d, 1, OK_REPLY); /* b has no hook of its own */
	ASSERT_INT_EQ(kids.n, 0);
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 1);
	ASSERT_STR_EQ(kids.command[0], "echo saved-deploy");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_CERT_NAME=a.example\n");
	hook_ends(&d, 0, 0);
	ASSERT_INT_EQ(client.nfinish, 1);
	fake_entry = NULL;
	teardown(&d);
}

TEST(job_spec_labels_ports_and_progress_events)
{
	struct daemon d;
	struct batch *b;
	struct json_object *ev;

	setup(&d);
	b = new_batch(&d, BATCH_RENEW, false, NULL, NULL, NULL);
	add(&d, b, "a.example", "standalone", 0);
	add(&d, b, "b.example", "standalone", 8080);
	add(&d, b, "c.example", "manual", 0);
	ASSERT_STR_EQ(jobs.j[0].name, "a.example");
	ASSERT_STR_EQ(jobs.j[0].label, "renew");
	ASSERT_INT_EQ(jobs.j[0].port, 80);
	ASSERT_INT_EQ(jobs.j[1].port, 8080);
	ASSERT_INT_EQ(jobs.j[2].port, 0);
	ASSERT_INT_EQ(jobs.j[2].extra_time, 2 * d.cfg.hook_timeout);
	batch_start(&d, b);
	ev = json_tokener_parse("{\"event\":\"progress\",\"message\":\"ordering\"}");
	jobs.j[1].on_event(&d, jobs.j[1].ctx, jobs.j[1].id, ev);
	json_object_put(ev);
	ASSERT_TRUE(sent("\"message\":\"ordering\""));
	ASSERT_TRUE(sent("\"name\":\"b.example\""));
	ASSERT_TRUE(sent("\"job\":2"));
	teardown(&d);
}

TEST(client_gone_batch_goes_on_unanswered)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	d.cfg.post_hook = strdup("echo post");
	b = new_batch(&d, BATCH_RENEW, false, NULL, NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	nhung_up = 0;
	client.close_fn(&d, client.close_ctx, fake_conn());
	client.close_fn = NULL;
	/* A job waiting for its user would hear nobody is left. */
	ASSERT_INT_EQ(nhung_up, 1);
	ASSERT_INT_EQ(hung_up[0], jobs.j[0].id);
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 1); /* the post hook still runs */
	hook_ends(&d, 0, 0);
	ASSERT_INT_EQ(client.nfinish, 0);
	ASSERT_INT_EQ(owner.ndone, 1);
	ASSERT_TRUE(d.batches == NULL);
	teardown(&d);
}

TEST(certonly_reply_is_the_jobs_own)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	b = new_batch(&d, BATCH_CERTONLY, false, NULL, NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(client.nfinish, 1);
	ASSERT_STR_CONTAINS(client.final, "\"serial\":\"0a\"");
	ASSERT_STR_CONTAINS(client.final, "\"hook_failures\":0");
	ASSERT_TRUE(strstr(client.final, "\"not_due\"") == NULL);
	ASSERT_TRUE(!owner.record_failure[0]); /* certonly counts for no backoff */
	teardown(&d);
}

TEST(shutdown_with_a_hook_running_and_one_queued)
{
	struct daemon d;
	struct batch *b;

	setup(&d);
	d.cfg.pre_hook = strdup("echo one");
	b = new_batch(&d, BATCH_RENEW, false, "echo two", NULL, NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	ASSERT_INT_EQ(hooks_pending(&d), 2);
	batch_free_all(&d);
	hooks_stop_all(&d);
	ASSERT_INT_EQ(kids.signalled, 1); /* the running one */
	ASSERT_INT_EQ(hooks_pending(&d), 0);
	ASSERT_INT_EQ(client.nfinish, 0);
	kids.c[0] = NULL;
	teardown(&d);
}

/* ---- deploy hooks kept across a stop (deploy.c) ---- */

/* The deploy record of NAME as text, or NULL if there is none. */
static char *record_of(const char *name)
{
	char path[512], *text = NULL;

	snprintf(path, sizeof(path), "%s/deploy-pending/%s.json", state_dir, name);
	if (fs_read_file(path, 65536, &text, NULL) < 0)
		return NULL;
	return text;
}

TEST(deploy_hooks_recorded_before_they_run_and_taken_out_as_they_end)
{
	struct daemon d;
	struct batch *b;
	char *rec;

	setup(&d);
	d.cfg.deploy_hook = strdup("echo one");
	b = new_batch(&d, BATCH_RENEW, false, NULL, "echo two", NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	ASSERT_TRUE(record_of("a.example") == NULL);
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 1); /* the first runs; both are recorded */
	rec = record_of("a.example");
	ASSERT_NONNULL(rec);
	ASSERT_STR_CONTAINS(rec, "\"command\":\"echo one\"");
	ASSERT_STR_CONTAINS(rec, "\"command\":\"echo two\"");
	ASSERT_STR_CONTAINS(rec, "\"version\":2");
	ASSERT_STR_CONTAINS(rec, "\"domains\":\"a.example www.a.example\"");
	free(rec);
	hook_ends(&d, 0, 0);
	rec = record_of("a.example");
	ASSERT_NONNULL(rec);
	ASSERT_TRUE(strstr(rec, "echo one") == NULL);
	ASSERT_STR_CONTAINS(rec, "\"command\":\"echo two\"");
	free(rec);
	/* A failed hook is reported, not kept to run again. */
	hook_ends(&d, 1, 3);
	ASSERT_TRUE(record_of("a.example") == NULL);
	ASSERT_STR_CONTAINS(client.final, "\"hook_failures\":1");
	teardown(&d);
}

TEST(deploy_hooks_stopped_at_shutdown_stay_recorded)
{
	struct daemon d;
	struct batch *b;
	char *rec;

	setup(&d);
	b = new_batch(&d, BATCH_RENEW, false, NULL, "echo one; echo two", NULL);
	add(&d, b, "a.example", "webroot", 0);
	batch_start(&d, b);
	job_ends(&d, 0, OK_REPLY);
	ASSERT_INT_EQ(kids.n, 1);
	batch_free_all(&d);
	hooks_stop_all(&d);
	kids.c[0] = NULL;
	rec = record_of("a.example");
	ASSERT_NONNULL(rec);
	ASSERT_STR_CONTAINS(rec, "echo one; echo two");
	free(rec);
	teardown(&d);
}

TEST(deploy_resume_runs_what_is_recorded_once)
{
	struct daemon d;
	struct lineage_entry e = { .name = "a.example", .have_conf = true };
	struct json_object *data = json_tokener_parse(OK_REPLY), *hooks;
	char bad[600], *rec;
	int fd;

	setup(&d);
	fake_entry = &e;
	/* A hook of renewal-hooks/deploy/ that others may now change. */
	snprintf(bad, sizeof(bad), "%s/writable-hook", state_dir);
	fd = open(bad, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_INT_EQ(chmod(bad, 0777), 0);
	hooks = json_object_new_array();
	json_object_array_add(hooks,
			      json_tokener_parse("{\"command\":\"echo again\",\"path\":false}"));
	json_object_array_add(hooks, json_object_new_object());
	json_object_object_add(json_object_array_get_idx(hooks, 1), "command",
			       json_object_new_string(bad));
	json_object_object_add(json_object_array_get_idx(hooks, 1), "path",
			       json_object_new_boolean(1));
	ASSERT_INT_EQ(deploy_record(&d, "a.example", "a.example www.a.example",
				    json_object_object_get(data, "data"), hooks), 0);
	/* One for a lineage that is gone. */
	ASSERT_INT_EQ(deploy_record(&d, "gone.example", "gone.example",
				    json_object_object_get(data, "data"), hooks), 0);
	deploy_resume(&d);
	ASSERT_TRUE(record_of("gone.example") == NULL);
	ASSERT_INT_EQ(kids.n, 1); /* the writable one is refused */
	ASSERT_STR_EQ(kids.command[0], "echo again");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_HOOK=deploy\n");
	ASSERT_STR_CONTAINS(kids.env[0], "/live/a.example\n");
	ASSERT_STR_CONTAINS(kids.env[0], "RENEWED_DOMAINS=a.example www.a.example\n");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_VERSION=2\n");
	ASSERT_STR_CONTAINS(kids.env[0], "ACMED_SERIAL=0a\n");
	rec = record_of("a.example");
	ASSERT_NONNULL(rec);
	ASSERT_STR_CONTAINS(rec, "echo again");
	ASSERT_TRUE(strstr(rec, "writable-hook") == NULL);
	free(rec);
	hook_ends(&d, 0, 0);
	ASSERT_TRUE(record_of("a.example") == NULL);
	deploy_resume(&d); /* nothing left: nothing runs */
	ASSERT_INT_EQ(kids.n, 1);
	json_object_put(hooks);
	json_object_put(data);
	fake_entry = NULL;
	teardown(&d);
}
