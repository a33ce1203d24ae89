/* The job runner cancelling a job (queued, running, committed) and
 * job_tell(), over the fake child layer of job_fixture.h. */
#include "job_fixture.h"

struct cancelled {
	int id, calls;
	bool cancelled;
};

static void on_cancelled(struct daemon *d, void *ctx, int id, bool cancelled)
{
	struct cancelled *c = ctx;

	(void)d;
	c->id = id;
	c->cancelled = cancelled;
	c->calls++;
}

TEST(cancel_drops_a_queued_job_at_once)
{
	struct daemon d;
	struct seen s = { 0 };
	struct cancelled c = { 0 };
	char want[64];
	int a;

	daemon_init(&d, 1);
	a = submit(&d, &s, "a.example", 0);
	ASSERT_INT_EQ(job_cancel(&d, a, on_cancelled, &c), 0);
	ASSERT_INT_EQ(c.calls, 1);
	ASSERT_TRUE(c.cancelled);
	ASSERT_INT_EQ(s.ndone, 1);
	snprintf(want, sizeof(want), "\"status\":%d,", ACMED_ECANCELLED);
	ASSERT_STR_CONTAINS(s.replies[0], want);
	ASSERT_STR_CONTAINS(s.replies[0], "its lineage is unchanged");
	ASSERT_INT_EQ(job_count(&d), 0);
	ASSERT_INT_EQ(fake.n, 0); /* never started */
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(job_history_json(&d), 0), "result"),
		      "cancelled");
	ASSERT_INT_EQ(job_cancel(&d, a, on_cancelled, &c), -ENOENT);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(cancel_stops_a_running_job_until_it_commits)
{
	struct daemon d;
	struct seen s = { 0 };
	struct cancelled c = { 0 };
	int a, b;

	daemon_init(&d, 4);
	a = submit(&d, &s, "a.example", 0);
	b = submit(&d, &s, "b.example", 0);
	job_start_queued(&d);
	/* b commits: too late for it. */
	child_says(&d, 1, "{\"event\":\"commit\"}");
	ASSERT_INT_EQ(job_cancel(&d, b, on_cancelled, &c), -EBUSY);
	ASSERT_INT_EQ(fake.kids[1].signal, 0);
	ASSERT_INT_EQ(s.nevents, 0); /* the commit is the runner's own */
	/* a is stopped, and ends without a result: cancelled. */
	ASSERT_INT_EQ(job_cancel(&d, a, on_cancelled, &c), 0);
	ASSERT_INT_EQ(fake.kids[0].signal, SIGTERM);
	assert_state(&d, a, "cancelling");
	ASSERT_INT_EQ(c.calls, 0);
	child_ends(&d, 0, 75, 0, false);
	ASSERT_INT_EQ(c.calls, 1);
	ASSERT_INT_EQ(c.id, a);
	ASSERT_TRUE(c.cancelled);
	ASSERT_STR_CONTAINS(s.replies[0], "\"code\":\"cancelled\"");
	/* One that finished first: the waiter hears it was not cancelled. */
	c = (struct cancelled){ 0 };
	child_says(&d, 1, "{\"event\":\"result\",\"reply\":{\"status\":0}}");
	child_ends(&d, 1, 0, 0, false);
	ASSERT_INT_EQ(c.calls, 0); /* b's cancel was refused: no waiter */
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(tell_reaches_only_a_job_that_waits)
{
	struct daemon d;
	struct seen s = { 0 };
	int a;

	daemon_init(&d, 1);
	a = submit(&d, &s, "a.example", 0);
	ASSERT_INT_EQ(job_tell(&d, a + 1, "continue"), -ENOENT);
	ASSERT_INT_EQ(job_tell(&d, a, "continue"), -EAGAIN); /* queued */
	job_start_queued(&d);
	ASSERT_INT_EQ(job_tell(&d, a, "continue"), -EAGAIN); /* waits for nothing */
	child_says(&d, 0, "{\"event\":\"manual\",\"identifier\":\"a.example\"}");
	ASSERT_INT_EQ(s.nevents, 1); /* passed on to the submitter */
	/* Its process is a fake: nobody reads the pipe, and a write to it
	 * fails as it would once a real one died (SIGPIPE is ignored). */
	signal(SIGPIPE, SIG_IGN);
	ASSERT_INT_EQ(job_tell(&d, a, "continue"), -EPIPE);
	daemon_fini(&d);
	seen_clear(&s);
}
