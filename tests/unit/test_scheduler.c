/* The renewal scheduler (daemon/renew/scheduler.c) over fakes of what lies
 * beneath it: a job runner that records each job it is given (the ARI
 * probes), batches that record the lineages put in them, the in-memory index
 * as a small array of lineages the test fills in, and an event loop that
 * only counts watches. What is checked: when a lineage is renewed (30 days
 * before expiry within the jitter, no earlier than half the lifetime of a
 * short certificate, later after failures, not before a Retry-After); that
 * `acmectl renew`'s due test ignores jitter and backoff; that the timer is
 * armed for the earliest lineage; that the timer starts one batch with
 * exactly the due lineages that are not busy; that a failed renewal is
 * recorded for the backoff. */
#include "daemon/renew/scheduler.c"

#include "testutil.h"

#define DAY 86400L
#define SERVER "https://ca.test/dir"

/* ---- a fake job runner ---- */

#define JOBS_MAX 8

static struct {
	char *kind[JOBS_MAX];
	void (*on_done)(struct daemon *d, void *ctx, int id, struct json_object *reply);
	void *ctx[JOBS_MAX];
	bool done[JOBS_MAX];
	int n;
	const char *busy[4]; /* lineages with a job queued or running */
} jobs;

int job_submit(struct daemon *d, const struct job_spec *s)
{
	ASSERT_TRUE(jobs.n < JOBS_MAX);
	jobs.kind[jobs.n] = strdup(s->kind);
	jobs.on_done = s->on_done;
	jobs.ctx[jobs.n] = s->ctx;
	jobs.n++;
	return ++d->next_job_id;
}

bool job_busy(const struct daemon *d, const char *name)
{
	for (size_t i = 0; i < sizeof(jobs.busy) / sizeof(jobs.busy[0]); i++)
		if (jobs.busy[i] && streq(jobs.busy[i], name))
			return true;
	return false;
}

/* Job I ends with REPLY (JSON text). */
static void job_ends(struct daemon *d, int i, const char *reply)
{
	struct json_object *r = json_tokener_parse(reply);

	ASSERT_NONNULL(r);
	ASSERT_TRUE(i < jobs.n && !jobs.done[i]);
	jobs.done[i] = true;
	jobs.on_done(d, jobs.ctx[i], i + 1, r);
	json_object_put(r);
}

/* ---- fake batches ---- */

#define BATCHES_MAX 4
#define MEMBERS_MAX 8

struct batch {
	struct batch_opts opts;
	struct conn *client;
	char *names[MEMBERS_MAX];
	char *replaces[MEMBERS_MAX];
	int n;
	bool started;
};

static struct {
	struct batch *b[BATCHES_MAX];
	int n;
} batches;

struct batch *batch_new(struct daemon *d, struct conn *client, const struct batch_opts *o)
{
	struct batch *b = calloc(1, sizeof(*b));

	ASSERT_NONNULL(b);
	ASSERT_TRUE(batches.n < BATCHES_MAX);
	b->opts = *o;
	b->client = client;
	batches.b[batches.n++] = b;
	return b;
}

/* Takes REQ over, as the real one does. */
int batch_add(struct daemon *d, struct batch *b, struct issue_req *req)
{
	ASSERT_TRUE(b->n < MEMBERS_MAX);
	ASSERT_TRUE(!b->started);
	ASSERT_TRUE(req->renewal);
	b->names[b->n] = strdup(req->name);
	b->replaces[b->n] = req->replaces ? strdup(req->replaces) : NULL;
	b->n++;
	issue_req_clear(req);
	return 0;
}

void batch_start(struct daemon *d, struct batch *b)
{
	ASSERT_TRUE(!b->started);
	b->started = true;
}

/* ---- a fake event loop ---- */

static int watched;

int daemon_watch(struct daemon *d, struct watch *w, uint32_t events)
{
	watched++;
	return 0;
}

void daemon_unwatch(struct daemon *d, struct watch *w)
{
	watched--;
}

/* ---- a fake index: the lineages the test fills in ---- */

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

int index_refresh(struct cert_index *ix, struct store *s, const char *name)
{
	ASSERT_TRUE(refreshed.n < 8);
	refreshed.names[refreshed.n++] = strdup(name);
	return 0;
}

/* ---- fake alerts: what the scheduler tells them, and when they want it
 * to wake ---- */

static struct {
	time_t next;      /* what alert_next() answers for every lineage */
	int checks;       /* alert_check() calls */
	int results;      /* alert_job_result() calls */
	int prev_failures; /* the last one's */
} alerts;

time_t alert_next(struct daemon *d, struct lineage_entry *e)
{
	return alerts.next;
}

void alert_check(struct daemon *d, time_t now)
{
	alerts.checks++;
}

void alert_job_result(struct daemon *d, const char *name, int prev_failures,
		      struct json_object *reply)
{
	alerts.results++;
	alerts.prev_failures = prev_failures;
}

/* The metrics count renewals by result. */
static unsigned long renewals_counted[2];

void metrics_count_renewal(struct daemon *d, bool ok)
{
	renewals_counted[ok ? 0 : 1]++;
}

/* ---- fixtures ---- */

#define LINEAGES_MAX 6
static struct lineage_entry lineages[LINEAGES_MAX];

static struct daemon *daemon_new(void)
{
	static struct daemon d;

	memset(&d, 0, sizeof(d));
	d.cfg.renew_before = RENEW_BEFORE_DEFAULT; /* 30 days */
	d.cfg.renew_jitter = 3600;
	d.sched.timer_w.fd = -1; /* the timer is fired by hand */
	d.sched.clock_w.fd = -1;
	d.index.v = lineages;
	return &d;
}

/* Lineage NAME with a certificate valid from NOW + FROM for LIFETIME. */
static struct lineage_entry *lineage_add(struct daemon *d, const char *name, long from,
					 long lifetime)
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
	e->cert.not_after = now + from + lifetime;
	e->version = 1;
	return e;
}

/* The CA is known not to offer ARI (as the answer to a probe would say):
 * the timer renews its lineages without waiting. */
static void ca_without_ari(struct daemon *d)
{
	struct ca_state *ca = ca_get(d, SERVER);

	ASSERT_NONNULL(ca);
	ca->ari = CA_NO_ARI;
}

static void fire_timer(struct daemon *d)
{
	d->sched.timer_w.on_event = on_timer;
	d->sched.timer_w.on_event(d, &d->sched.timer_w, EPOLLIN);
}

static bool batch_has(const struct batch *b, const char *name)
{
	for (int i = 0; i < b->n; i++)
		if (streq(b->names[i], name))
			return true;
	return false;
}

static void cleanup(struct daemon *d)
{
	sched_fini(d);
	for (size_t i = 0; i < d->index.n; i++) {
		struct lineage_entry *e = &lineages[i];

		free(e->name);
		renewal_clear(&e->conf);
		free(e->sched.ari_error);
		free(e->sched.ari_explanation);
	}
	d->index.n = 0;
	for (int i = 0; i < jobs.n; i++) {
		free(jobs.kind[i]);
		if (!jobs.done[i])
			free(jobs.ctx[i]); /* an ARI job's server */
	}
	for (int i = 0; i < batches.n; i++) {
		for (int j = 0; j < batches.b[i]->n; j++) {
			free(batches.b[i]->names[j]);
			free(batches.b[i]->replaces[j]);
		}
		free(batches.b[i]);
	}
	for (int i = 0; i < refreshed.n; i++)
		free(refreshed.names[i]);
	memset(&jobs, 0, sizeof(jobs));
	memset(&batches, 0, sizeof(batches));
	memset(&refreshed, 0, sizeof(refreshed));
}

/* ---- when to renew ---- */

TEST(ninety_day_certificate_renews_30_days_before_expiry)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY, 90 * DAY);
	time_t due = e->cert.not_after - 30 * DAY, at = sched_renew_at(d, e);

	ASSERT_TRUE(at >= due);
	ASSERT_TRUE(at <= due + 3600); /* the configured jitter */
	ASSERT_TRUE(e->sched.jitter_drawn);
	/* The jitter is drawn once: asked again, the same moment. */
	ASSERT_INT_EQ(sched_renew_at(d, e), at);
	cleanup(d);
}

TEST(jitter_varies_between_lineages_but_stays_in_its_bound)
{
	struct daemon *d = daemon_new();
	bool differ = false;
	time_t first = 0;

	d->cfg.renew_jitter = 10 * DAY; /* capped at a quarter of the 30 days */
	for (int i = 0; i < LINEAGES_MAX; i++) {
		char name[16];
		struct lineage_entry *e;
		time_t at, due;

		snprintf(name, sizeof(name), "l%d.test", i);
		e = lineage_add(d, name, -10 * DAY, 90 * DAY);
		e->cert.not_before = lineages[0].cert.not_before;
		e->cert.not_after = lineages[0].cert.not_after;
		due = e->cert.not_after - 30 * DAY;
		at = sched_renew_at(d, e);
		ASSERT_TRUE(at >= due);
		ASSERT_TRUE(at <= due + 30 * DAY / 4);
		if (i == 0)
			first = at;
		else if (at != first)
			differ = true;
	}
	ASSERT_TRUE(differ);
	cleanup(d);
}

TEST(lineage_renew_before_overrides_the_daemon_default)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY, 90 * DAY);
	time_t at;

	d->cfg.renew_jitter = 0;
	e->conf.renew_before = 20 * DAY;
	at = sched_renew_at(d, e);
	ASSERT_INT_EQ(at, e->cert.not_after - 20 * DAY);
	cleanup(d);
}

/* renew_before_expiry of 30 days on a 6-day certificate would renew it at
 * once, in a loop: under 10 days of lifetime it is renewed at half of it at
 * the earliest (common/store/renewal.h), and the jitter keeps within a
 * quarter of what is left. */
TEST(short_certificate_is_not_renewed_before_half_its_lifetime)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "short.test", -1 * DAY, 6 * DAY);
	time_t half = e->cert.not_before + 3 * DAY, at;

	d->cfg.renew_jitter = 10 * DAY;
	at = sched_renew_at(d, e);
	ASSERT_TRUE(at >= half);
	ASSERT_TRUE(at <= half + 3 * DAY / 4);
	ASSERT_TRUE(at < e->cert.not_after);
	ASSERT_TRUE(!sched_due(d, e, time(NULL)));
	ASSERT_TRUE(sched_due(d, e, half));
	ASSERT_TRUE(!sched_due(d, e, half - 1));
	cleanup(d);
}

/* Over 10 days of lifetime, at most a third of it before expiry. */
TEST(medium_certificate_is_renewed_at_most_a_third_of_its_lifetime_early)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "m.test", 0, 30 * DAY);

	d->cfg.renew_jitter = 0;
	ASSERT_INT_EQ(sched_renew_at(d, e), e->cert.not_after - 10 * DAY);
	cleanup(d);
}

TEST(failures_push_the_renewal_back)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -80 * DAY, 90 * DAY);
	time_t now = time(NULL), at;

	/* Due 20 days ago; it failed twice, the last time just now. */
	ASSERT_TRUE(sched_renew_at(d, e) < now);
	ASSERT_INT_EQ(renewal_state_fail(&e->conf.state, now - 60, "one", 0), 0);
	ASSERT_INT_EQ(renewal_state_fail(&e->conf.state, now, "two", 0), 0);
	at = sched_renew_at(d, e);
	ASSERT_INT_EQ(at, now + 600); /* the second step of the backoff */
	/* `acmectl renew` does not wait for the backoff. */
	ASSERT_TRUE(sched_due(d, e, now));
	cleanup(d);
}

TEST(retry_after_is_honoured_even_by_acmectl_renew)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -80 * DAY, 90 * DAY);
	time_t now = time(NULL);

	ASSERT_INT_EQ(renewal_state_fail(&e->conf.state, now, "rate limited", now + 2 * DAY), 0);
	ASSERT_INT_EQ(sched_renew_at(d, e), now + 2 * DAY);
	ASSERT_TRUE(!sched_due(d, e, now));
	ASSERT_TRUE(!sched_due(d, e, now + 2 * DAY - 1));
	ASSERT_TRUE(sched_due(d, e, now + 2 * DAY));
	cleanup(d);
}

TEST(acmectl_renew_ignores_the_jitter)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY, 90 * DAY);
	time_t due = e->cert.not_after - 30 * DAY;

	/* The jitter is forced to its largest: the timer waits, renew does not. */
	e->sched.jitter_drawn = true;
	e->sched.jitter = 3600;
	ASSERT_INT_EQ(sched_renew_at(d, e), due + 3600);
	ASSERT_TRUE(sched_due(d, e, due));
	ASSERT_TRUE(!sched_due(d, e, due - 1));
	cleanup(d);
}

TEST(unreadable_or_revoked_lineages_are_not_scheduled)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *nocert = lineage_add(d, "nocert.test", -80 * DAY, 90 * DAY);
	struct lineage_entry *revoked = lineage_add(d, "revoked.test", -80 * DAY, 90 * DAY);
	time_t now = time(NULL);

	nocert->have_cert = false;
	revoked->conf.revoked = true;
	ASSERT_INT_EQ(sched_renew_at(d, nocert), 0);
	ASSERT_INT_EQ(sched_renew_at(d, revoked), 0);
	ASSERT_TRUE(!sched_due(d, nocert, now));
	ASSERT_TRUE(!sched_due(d, revoked, now));
	cleanup(d);
}

/* ---- the timer ---- */

TEST(update_arms_for_the_earliest_lineage)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *late, *early, *busy;

	d->cfg.renew_jitter = 0;
	early = lineage_add(d, "early.test", -40 * DAY, 90 * DAY); /* due in 20 days */
	late = lineage_add(d, "late.test", -10 * DAY, 90 * DAY);   /* due in 50 days */
	busy = lineage_add(d, "busy.test", -55 * DAY, 90 * DAY);   /* due in 5 days */
	jobs.busy[0] = "busy.test";
	ca_without_ari(d);
	sched_update(d);
	ASSERT_INT_EQ(sched_next_wake(d), sched_renew_at(d, early));
	ASSERT_INT_EQ(sched_next_wake(d), early->cert.not_after - 30 * DAY);
	/* Once its job is over, the busy one is the earliest. */
	jobs.busy[0] = NULL;
	sched_update(d);
	ASSERT_INT_EQ(sched_next_wake(d), busy->cert.not_after - 30 * DAY);
	ASSERT_TRUE(sched_next_wake(d) < sched_renew_at(d, late));
	cleanup(d);
}

/* Expiry warnings wake the timer also for a lineage it never renews. */
TEST(update_wakes_for_the_next_expiry_warning)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "off.test", -80 * DAY, 90 * DAY);
	time_t now = time(NULL);

	e->conf.no_autorenew = true;
	ca_without_ari(d);
	sched_update(d);
	ASSERT_INT_EQ(sched_next_wake(d), 0);
	alerts.next = now + 3600;
	sched_update(d);
	ASSERT_INT_EQ(sched_next_wake(d), now + 3600);
	alerts.next = 0;
	cleanup(d);
}

TEST(the_timer_checks_the_alerts_and_results_reach_them)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY, 90 * DAY);
	struct json_object *ok = json_tokener_parse("{\"status\":0}");
	int checks = alerts.checks, results = alerts.results;
	unsigned long oks = renewals_counted[0];

	ca_without_ari(d);
	sched_run(d);
	ASSERT_INT_EQ(alerts.checks, checks + 1);
	e->conf.state.failures = 2;
	sched_job_result(d, "a.test", ok, true);
	ASSERT_INT_EQ(alerts.results, results + 1);
	ASSERT_INT_EQ(alerts.prev_failures, 2);
	ASSERT_INT_EQ(renewals_counted[0], oks + 1);
	/* The metrics' last success. */
	ASSERT_TRUE(e->sched.last_success >= time(NULL) - 5);
	json_object_put(ok);
	cleanup(d);
}

TEST(update_with_an_unknown_ca_wakes_at_once_to_probe_it)
{
	struct daemon *d = daemon_new();

	lineage_add(d, "a.test", -10 * DAY, 90 * DAY);
	sched_update(d);
	ASSERT_INT_EQ(sched_next_wake(d), 1);
	cleanup(d);
}

TEST(timer_starts_one_batch_with_exactly_the_due_lineages)
{
	struct daemon *d = daemon_new();
	struct batch *b;

	lineage_add(d, "due1.test", -80 * DAY, 90 * DAY);
	lineage_add(d, "notdue.test", -10 * DAY, 90 * DAY);
	lineage_add(d, "due2.test", -70 * DAY, 90 * DAY);
	lineage_add(d, "busy.test", -80 * DAY, 90 * DAY);
	lineage_add(d, "revoked.test", -80 * DAY, 90 * DAY)->conf.revoked = true;
	strcpy(lineages[2].cert.ari_id, "aki.serial");
	jobs.busy[0] = "busy.test";
	ca_without_ari(d);
	fire_timer(d);
	ASSERT_INT_EQ(batches.n, 1);
	b = batches.b[0];
	ASSERT_TRUE(b->started);
	ASSERT_TRUE(b->client == NULL);
	ASSERT_INT_EQ(b->opts.kind, BATCH_TIMER);
	ASSERT_TRUE(b->opts.on_result == sched_job_result);
	ASSERT_INT_EQ(b->n, 2);
	ASSERT_TRUE(batch_has(b, "due1.test"));
	ASSERT_TRUE(batch_has(b, "due2.test"));
	/* The replaced certificate is named to the CA (ARI's "replaces"). */
	ASSERT_TRUE(streq(b->replaces[0] ? b->replaces[0] : b->replaces[1], "aki.serial"));
	ASSERT_TRUE(b->replaces[0] == NULL || b->replaces[1] == NULL);
	ASSERT_INT_EQ(jobs.n, 0); /* no ARI probe of a CA known without ARI */
	cleanup(d);
}

TEST(timer_with_nothing_due_starts_no_batch)
{
	struct daemon *d = daemon_new();

	lineage_add(d, "notdue.test", -10 * DAY, 90 * DAY);
	ca_without_ari(d);
	fire_timer(d);
	ASSERT_INT_EQ(batches.n, 0);
	ASSERT_TRUE(!d->quit);
	cleanup(d);
}

/* The timer takes along a lineage past its due time but not yet past its
 * jitter, so one wake-up means one batch; one in its backoff stays out. */
TEST(timer_takes_lineages_in_their_jitter_but_not_in_their_backoff)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *jittered, *backoff;
	time_t now = time(NULL);

	jittered = lineage_add(d, "jittered.test", -60 * DAY - 60, 90 * DAY);
	jittered->sched.jitter_drawn = true;
	jittered->sched.jitter = 3600; /* due a minute ago, its jitter an hour */
	backoff = lineage_add(d, "backoff.test", -80 * DAY, 90 * DAY);
	ASSERT_INT_EQ(renewal_state_fail(&backoff->conf.state, now, "no", 0), 0);
	lineage_add(d, "due.test", -80 * DAY, 90 * DAY);
	ca_without_ari(d);
	ASSERT_TRUE(sched_renew_at(d, jittered) > now);
	fire_timer(d);
	ASSERT_INT_EQ(batches.n, 1);
	ASSERT_INT_EQ(batches.b[0]->n, 2);
	ASSERT_TRUE(batch_has(batches.b[0], "jittered.test"));
	ASSERT_TRUE(batch_has(batches.b[0], "due.test"));
	ASSERT_TRUE(!batch_has(batches.b[0], "backoff.test"));
	cleanup(d);
}

/* A CA not known yet is first asked whether it offers ARI; its lineages
 * wait for the answer, then renew. */
TEST(timer_probes_an_unknown_ca_before_renewing)
{
	struct daemon *d = daemon_new();

	lineage_add(d, "due.test", -80 * DAY, 90 * DAY);
	fire_timer(d);
	ASSERT_INT_EQ(jobs.n, 1);
	ASSERT_TRUE(streq(jobs.kind[0], "ari"));
	ASSERT_INT_EQ(batches.n, 0);
	fire_timer(d); /* still waiting: no second probe, no batch */
	ASSERT_INT_EQ(jobs.n, 1);
	ASSERT_INT_EQ(batches.n, 0);
	job_ends(d, 0, "{\"status\":0,\"ari\":false}");
	fire_timer(d);
	ASSERT_INT_EQ(jobs.n, 1);
	ASSERT_INT_EQ(batches.n, 1);
	ASSERT_INT_EQ(batches.b[0]->n, 1);
	ASSERT_TRUE(batch_has(batches.b[0], "due.test"));
	cleanup(d);
}

/* A CA whose directory cannot be read is asked again in an hour; meanwhile
 * its lineages are renewed by the rule of renew_before_expiry. */
TEST(a_failed_probe_does_not_hold_renewals_back)
{
	struct daemon *d = daemon_new();
	time_t now;

	lineage_add(d, "due.test", -80 * DAY, 90 * DAY);
	lineage_add(d, "later.test", -10 * DAY, 90 * DAY);
	fire_timer(d);
	ASSERT_INT_EQ(jobs.n, 1);
	ASSERT_INT_EQ(batches.n, 0);
	now = time(NULL);
	job_ends(d, 0, "{\"status\":-3,\"error\":{\"message\":\"unreachable\"}}");
	sched_update(d);
	/* The due lineage at once, not the next probe an hour away. */
	ASSERT_TRUE(sched_next_wake(d) <= now);
	fire_timer(d);
	ASSERT_INT_EQ(jobs.n, 1); /* not probed again yet */
	ASSERT_INT_EQ(batches.n, 1);
	ASSERT_INT_EQ(batches.b[0]->n, 1);
	ASSERT_TRUE(batch_has(batches.b[0], "due.test"));
	/* With nothing else due, the timer waits for the next probe. */
	lineages[0].sched.hold_until = now + 2 * CA_PROBE_RETRY;
	sched_update(d);
	ASSERT_TRUE(sched_next_wake(d) >= now + CA_PROBE_RETRY);
	ASSERT_TRUE(sched_next_wake(d) <= time(NULL) + CA_PROBE_RETRY);
	cleanup(d);
}

TEST(init_watches_and_wakes_at_once_and_fini_unwatches)
{
	struct daemon *d = daemon_new();

	watched = 0;
	ASSERT_INT_EQ(sched_init(d), 0);
	ASSERT_INT_EQ(watched, 2);
	ASSERT_INT_EQ(sched_next_wake(d), 1);
	sched_fini(d);
	ASSERT_INT_EQ(watched, 0);
	ASSERT_INT_EQ(d->sched.timer_w.fd, -1);
	ASSERT_INT_EQ(d->sched.clock_w.fd, -1);
	cleanup(d);
}

/* ---- results ---- */

#define FAIL_REPLY "{\"status\":-5,\"error\":{\"code\":\"acme\",\"message\":\"no luck\"}}"

/* The renewal file cannot be written (no store directory holds it): the
 * failure is counted in memory, so the backoff still holds. */
TEST(a_failure_is_recorded_for_the_backoff)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -80 * DAY, 90 * DAY);
	struct json_object *r = json_tokener_parse(FAIL_REPLY);
	char *dir = tmpdir_make();
	time_t now = time(NULL);

	ASSERT_INT_EQ(store_open(dir, true, &d->store), 0);
	ASSERT_NONNULL(r);
	sched_job_result(d, "a.test", r, true);
	ASSERT_INT_EQ(e->conf.state.failures, 1);
	ASSERT_TRUE(streq(e->conf.state.last_error, "no luck"));
	ASSERT_TRUE(e->conf.state.next_attempt >= now + 60);
	ASSERT_TRUE(sched_renew_at(d, e) >= now + 60);
	/* Counted in memory only, so the index is not re-read over it. */
	ASSERT_INT_EQ(refreshed.n, 0);
	json_object_put(r);
	store_close(d->store);
	tmpdir_remove(dir);
	cleanup(d);
}

/* With the renewal file at hand the failure is written there, and the
 * index re-reads the lineage. */
TEST(a_failure_is_written_to_the_renewal_file)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -80 * DAY, 90 * DAY);
	struct json_object *r = json_tokener_parse(FAIL_REPLY);
	struct renewal saved;
	char *dir = tmpdir_make(), err[256];

	ASSERT_INT_EQ(store_open(dir, true, &d->store), 0);
	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	sched_job_result(d, "a.test", r, true);
	ASSERT_INT_EQ(store_renewal_load(d->store, "a.test", &saved, err, sizeof(err)), 0);
	ASSERT_INT_EQ(saved.state.failures, 1);
	ASSERT_TRUE(streq(saved.state.last_error, "no luck"));
	ASSERT_INT_EQ(refreshed.n, 1);
	ASSERT_TRUE(streq(refreshed.names[0], "a.test"));
	renewal_clear(&saved);
	json_object_put(r);
	store_close(d->store);
	tmpdir_remove(dir);
	cleanup(d);
}

/* A failure the worker recorded itself, or one that does not count (a
 * dry run, `acmectl renew` with its own rules), is not counted again. */
TEST(a_failure_already_recorded_or_not_to_record_is_not_counted)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -80 * DAY, 90 * DAY);
	struct json_object *r = json_tokener_parse(FAIL_REPLY);
	struct json_object *rec = json_tokener_parse(
		"{\"status\":-5,\"failure_recorded\":true,\"error\":{\"message\":\"x\"}}");
	char *dir = tmpdir_make();

	ASSERT_INT_EQ(store_open(dir, true, &d->store), 0);
	sched_job_result(d, "a.test", r, false);
	sched_job_result(d, "a.test", rec, true);
	ASSERT_INT_EQ(e->conf.state.failures, 0);
	ASSERT_INT_EQ(refreshed.n, 2);
	json_object_put(r);
	json_object_put(rec);
	store_close(d->store);
	tmpdir_remove(dir);
	cleanup(d);
}

/* A renewal whose new certificate is due at once (this host's clock runs
 * ahead of the CA's) is held for a day rather than renewed in a loop. */
TEST(a_certificate_due_as_soon_as_issued_is_held)
{
	struct daemon *d = daemon_new();
	struct lineage_entry *e = lineage_add(d, "a.test", -80 * DAY, 90 * DAY);
	struct json_object *r = json_tokener_parse("{\"status\":0}");
	time_t now = time(NULL);

	ca_without_ari(d);
	sched_job_result(d, "a.test", r, true);
	ASSERT_TRUE(e->sched.hold_until >= now + SKEW_HOLD);
	ASSERT_TRUE(sched_renew_at(d, e) >= now + SKEW_HOLD);
	ASSERT_TRUE(!sched_due(d, e, now));
	fire_timer(d);
	ASSERT_INT_EQ(batches.n, 0);
	json_object_put(r);
	cleanup(d);
}

TEST(a_result_tells_whether_the_ca_offers_ari)
{
	struct daemon *d = daemon_new();
	struct json_object *r = json_tokener_parse("{\"status\":0,\"ari\":false}");

	lineage_add(d, "a.test", -10 * DAY, 90 * DAY);
	sched_job_result(d, "a.test", r, true);
	ASSERT_INT_EQ(ca_get(d, SERVER)->ari, CA_NO_ARI);
	json_object_put(r);
	cleanup(d);
}
