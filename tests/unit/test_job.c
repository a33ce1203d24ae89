/* The job runner (daemon/jobs/job.c) over a fake child layer: child_start
 * records each child it is given (and the spec its process would read)
 * without forking, or fails when told to; the test then plays the child's
 * part through the recorded ops: its lines, its exit. What is checked: the
 * queue order, max_parallel_jobs, may_start, standalone ports taking turns,
 * progress and result lines, crash and timeout replies, on_done called once
 * with the job already out of the list, shutdown (cancelling and
 * job_tell(): test_job_cancel.c). */
#include "job_fixture.h"

TEST(submit_queues_in_order_and_starts_none)
{
	struct daemon d;
	struct seen s = { 0 };
	struct json_object *list;
	int a, b, c;

	daemon_init(&d, 4);
	a = submit(&d, &s, "a.example", 0);
	b = submit(&d, &s, "b.example", 0);
	c = submit(&d, &s, "c.example", 0);
	ASSERT_INT_EQ(a, 1);
	ASSERT_INT_EQ(b, 2);
	ASSERT_INT_EQ(c, 3);
	ASSERT_INT_EQ(job_count(&d), 3);
	ASSERT_INT_EQ(d.running, 0);
	ASSERT_INT_EQ(fake.n, 0);
	list = job_list_json(&d);
	ASSERT_INT_EQ(json_object_array_length(list), 3);
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 0), "name"), "a.example");
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 1), "name"), "b.example");
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 2), "name"), "c.example");
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 0), "state"), "queued");
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 0), "kind"), "renew");
	json_object_put(list);
	/* Started in submission order. */
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 3);
	ASSERT_INT_EQ(kid_job_id(0), a);
	ASSERT_INT_EQ(kid_job_id(1), b);
	ASSERT_INT_EQ(kid_job_id(2), c);
	ASSERT_STR_EQ(fake.kids[0].c->timeout_name, "job_timeout");
	ASSERT_INT_EQ(fake.kids[0].c->timeout, d.cfg.job_timeout);
	ASSERT_TRUE(fake.kids[0].c->wait_eof);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(start_queued_respects_max_parallel_jobs)
{
	struct daemon d;
	struct seen s = { 0 };
	int id[5];

	daemon_init(&d, 2);
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%c.example", 'a' + i);
		id[i] = submit(&d, &s, name, 0);
	}
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 2);
	ASSERT_INT_EQ(d.running, 2);
	assert_state(&d, id[0], "running");
	assert_state(&d, id[1], "running");
	assert_state(&d, id[2], "queued");
	/* Nothing more while both slots are taken. */
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 2);
	/* One ends: its slot goes to the next in line, and to it only. */
	child_says(&d, 0, "{\"event\":\"result\",\"reply\":{\"status\":\"ok\"}}");
	child_ends(&d, 0, 0, 0, false);
	ASSERT_INT_EQ(d.running, 1);
	ASSERT_INT_EQ(job_count(&d), 4);
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 3);
	ASSERT_INT_EQ(d.running, 2);
	ASSERT_INT_EQ(kid_job_id(2), id[2]);
	assert_state(&d, id[3], "queued");
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(may_start_false_holds_a_job_while_later_ones_start)
{
	struct daemon d;
	struct seen held = { .allow = false }, other = { 0 };
	struct job_spec spec = {
		.kind = "issue", .name = "held.example", .may_start = may_start,
		.on_done = on_done, .ctx = &held,
	};
	int h, o;

	daemon_init(&d, 4);
	h = job_submit(&d, &spec);
	ASSERT_TRUE(h > 0);
	o = submit(&d, &other, "other.example", 0);
	job_start_queued(&d);
	ASSERT_TRUE(held.may_start_calls > 0);
	ASSERT_INT_EQ(fake.n, 1);
	ASSERT_INT_EQ(kid_job_id(0), o);
	assert_state(&d, h, "queued");
	assert_state(&d, o, "running");
	held.allow = true;
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 2);
	ASSERT_INT_EQ(kid_job_id(1), h);
	assert_state(&d, h, "running");
	daemon_fini(&d);
	seen_clear(&held);
	seen_clear(&other);
}

TEST(same_standalone_port_takes_turns)
{
	struct daemon d;
	struct seen s = { 0 };
	int a, b, c;

	daemon_init(&d, 4);
	a = submit(&d, &s, "a.example", 8080);
	b = submit(&d, &s, "b.example", 8080);
	c = submit(&d, &s, "c.example", 8081);
	job_start_queued(&d);
	/* B waits for A's port; C, on another port, starts. */
	ASSERT_INT_EQ(fake.n, 2);
	ASSERT_INT_EQ(kid_job_id(0), a);
	ASSERT_INT_EQ(kid_job_id(1), c);
	assert_state(&d, b, "queued");
	child_ends(&d, 0, 0, 0, false);
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 3);
	ASSERT_INT_EQ(kid_job_id(2), b);
	assert_state(&d, b, "running");
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(progress_sets_step_and_goes_to_on_event)
{
	struct daemon d;
	struct seen s = { 0 };
	char *step, *state;
	int a;

	daemon_init(&d, 4);
	a = submit(&d, &s, "a.example", 0);
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 1);
	state = listed_state(&d, a, &step);
	ASSERT_STR_EQ(state, "running");
	ASSERT_TRUE(step == NULL);
	free(state);
	child_says(&d, 0, "{\"event\":\"progress\",\"message\":\"validating a.example\"}");
	state = listed_state(&d, a, &step);
	ASSERT_STR_EQ(step, "validating a.example");
	free(state);
	free(step);
	ASSERT_INT_EQ(s.nevents, 1);
	ASSERT_INT_EQ(s.event_ids[0], a);
	ASSERT_STR_CONTAINS(s.events[0], "\"message\":\"validating a.example\"");
	/* Other events go to on_event too, leaving the step alone; lines that
	 * are not events go nowhere. */
	child_says(&d, 0, "{\"event\":\"order\",\"url\":\"https://ca/o/1\"}");
	child_says(&d, 0, "not json at all");
	child_says(&d, 0, "{\"no_event\":1}");
	ASSERT_INT_EQ(s.nevents, 2);
	ASSERT_STR_CONTAINS(s.events[1], "\"event\":\"order\"");
	/* A request to the CA goes to the metrics, not to on_event. */
	child_says(&d, 0, "{\"event\":\"request\",\"endpoint\":\"newOrder\",\"status\":201,"
			  "\"seconds\":0.25}");
	ASSERT_INT_EQ(s.nevents, 2);
	ASSERT_INT_EQ(requests.n, 1);
	ASSERT_STR_EQ(requests.endpoint, "newOrder");
	ASSERT_INT_EQ(requests.status, 201);
	ASSERT_TRUE(requests.seconds > 0.24 && requests.seconds < 0.26);
	state = listed_state(&d, a, &step);
	ASSERT_STR_EQ(step, "validating a.example");
	free(state);
	free(step);
	ASSERT_INT_EQ(s.ndone, 0);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(result_line_is_the_reply_and_on_done_runs_once_after_removal)
{
	struct daemon d;
	struct seen s = { .name = "a.example" };
	int a, b;

	daemon_init(&d, 1);
	a = submit(&d, &s, "a.example", 0);
	b = submit(&d, &s, "b.example", 0);
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 1);
	ASSERT_TRUE(job_busy(&d, "a.example"));
	child_says(&d, 0, "{\"event\":\"result\",\"reply\":{\"status\":\"ok\",\"n\":7}}");
	/* The result alone finishes nothing: the exit does. */
	ASSERT_INT_EQ(s.ndone, 0);
	ASSERT_INT_EQ(s.nevents, 0);
	child_ends(&d, 0, 0, 0, false);
	ASSERT_INT_EQ(s.ndone, 1);
	ASSERT_INT_EQ(s.done_ids[0], a);
	ASSERT_STR_EQ(s.replies[0], "{\"status\":\"ok\",\"n\":7}");
	ASSERT_TRUE(!s.busy_in_done[0]);
	ASSERT_INT_EQ(s.count_in_done[0], 1);
	ASSERT_TRUE(!job_busy(&d, "a.example"));
	ASSERT_INT_EQ(d.running, 0);
	ASSERT_TRUE(listed_state(&d, a, NULL) == NULL);
	/* The freed slot goes to the next job. */
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 2);
	ASSERT_INT_EQ(kid_job_id(1), b);
	/* A second result line replaces the first. */
	child_says(&d, 1, "{\"event\":\"result\",\"reply\":{\"status\":\"first\"}}");
	child_says(&d, 1, "{\"event\":\"result\",\"reply\":{\"status\":\"second\"}}");
	child_ends(&d, 1, 0, 0, false);
	ASSERT_INT_EQ(s.ndone, 2);
	ASSERT_INT_EQ(s.done_ids[1], b);
	ASSERT_STR_EQ(s.replies[1], "{\"status\":\"second\"}");
	ASSERT_INT_EQ(job_count(&d), 0);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(exit_without_result_is_a_crash_reply)
{
	struct daemon d;
	struct seen s = { .name = "a.example" };
	char want[128];
	int a, b;

	daemon_init(&d, 4);
	a = submit(&d, &s, "a.example", 0);
	b = submit(&d, &s, "b.example", 0);
	job_start_queued(&d);
	child_ends(&d, 0, 3, 0, false);
	ASSERT_INT_EQ(s.ndone, 1);
	ASSERT_INT_EQ(s.done_ids[0], a);
	snprintf(want, sizeof(want), "\"status\":%d,", -EIO);
	ASSERT_STR_CONTAINS(s.replies[0], want);
	ASSERT_STR_CONTAINS(s.replies[0], "\"code\":\"worker\"");
	snprintf(want, sizeof(want), "job %d ended without a result (exit status 3)", a);
	ASSERT_STR_CONTAINS(s.replies[0], want);
	ASSERT_TRUE(!s.busy_in_done[0]);
	/* Killed by a signal: the shell's 128 + N. */
	child_ends(&d, 1, -1, SIGKILL, false);
	ASSERT_INT_EQ(s.ndone, 2);
	snprintf(want, sizeof(want), "job %d ended without a result (exit status %d)", b,
		 128 + SIGKILL);
	ASSERT_STR_CONTAINS(s.replies[1], want);
	ASSERT_INT_EQ(d.running, 0);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(timed_out_is_a_timeout_reply_naming_job_timeout)
{
	struct daemon d;
	struct seen s = { 0 };
	struct job_spec spec = {
		.kind = "issue", .name = "a.example", .extra_time = 60,
		.on_event = on_event, .on_done = on_done, .ctx = &s,
	};
	char want[64];
	int a;

	daemon_init(&d, 4);
	d.cfg.job_timeout = 600;
	a = job_submit(&d, &spec);
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 1);
	ASSERT_INT_EQ(fake.kids[0].c->timeout, 660);
	child_says(&d, 0, "{\"event\":\"progress\",\"message\":\"waiting for the CA\"}");
	child_ends(&d, 0, -1, SIGKILL, true);
	ASSERT_INT_EQ(s.ndone, 1);
	ASSERT_INT_EQ(s.done_ids[0], a);
	snprintf(want, sizeof(want), "\"status\":%d,", ACMED_ETIMEOUT);
	ASSERT_STR_CONTAINS(s.replies[0], want);
	ASSERT_STR_CONTAINS(s.replies[0], "\"code\":\"timeout\"");
	ASSERT_STR_CONTAINS(s.replies[0], "longer than 11m");
	ASSERT_STR_CONTAINS(s.replies[0], "(job_timeout)");
	ASSERT_STR_CONTAINS(s.replies[0], "its last step: waiting for the CA");
	ASSERT_TRUE(strstr(s.replies[0], "without a result") == NULL);
	ASSERT_INT_EQ(d.running, 0);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(spec_holds_kind_label_name_args_and_config)
{
	struct daemon d;
	struct seen s = { 0 };
	struct json_object *args = json_object_new_object(), *spec_o, *v, *cfg;
	struct job_spec spec = {
		.kind = "revoke", .label = "revoke", .what = ": revoke a.example",
		.name = "a.example", .args = args, .on_done = on_done, .ctx = &s,
	};
	int a;

	daemon_init(&d, 4);
	d.cfg.rsa_key_size = 3072;
	json_object_object_add(args, "reason", json_object_new_int(4));
	a = job_submit(&d, &spec);
	json_object_put(args); /* the runner holds its own reference */
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 1);
	/* job.c closed the spec once the child had it. */
	ASSERT_INT_EQ(((const struct job *)fake.kids[0].c->ctx)->spec_fd, -1);
	spec_o = json_tokener_parse(fake.kids[0].spec);
	ASSERT_NONNULL(spec_o);
	ASSERT_INT_EQ(jobj_int(spec_o, "job", -1), a);
	ASSERT_STR_EQ(jobj_str(spec_o, "kind"), "revoke");
	ASSERT_STR_EQ(jobj_str(spec_o, "label"), "revoke");
	ASSERT_STR_EQ(jobj_str(spec_o, "name"), "a.example");
	ASSERT_TRUE(json_object_object_get_ex(spec_o, "args", &v));
	ASSERT_INT_EQ(jobj_int(v, "reason", -1), 4);
	ASSERT_TRUE(json_object_object_get_ex(spec_o, "config", &cfg));
	ASSERT_TRUE(json_object_is_type(cfg, json_type_object));
	ASSERT_INT_EQ(jobj_int(cfg, "rsa_key_size", -1), 3072);
	ASSERT_INT_EQ(jobj_int(cfg, "max_parallel_jobs", -1), 4);
	json_object_put(spec_o);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(spec_without_name_or_label)
{
	struct daemon d;
	struct seen s = { 0 };
	struct json_object *spec_o, *list;
	struct job_spec spec = {
		.kind = "ari", .server = "https://ca.example/dir", .on_done = on_done, .ctx = &s,
	};

	daemon_init(&d, 4);
	ASSERT_TRUE(job_submit(&d, &spec) > 0);
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 1);
	spec_o = json_tokener_parse(fake.kids[0].spec);
	ASSERT_NONNULL(spec_o);
	ASSERT_STR_EQ(jobj_str(spec_o, "label"), "ari"); /* the kind stands in */
	ASSERT_TRUE(!json_object_object_get_ex(spec_o, "name", NULL));
	json_object_put(spec_o);
	list = job_list_json(&d);
	ASSERT_STR_EQ(jobj_str(json_object_array_get_idx(list, 0), "server"),
		      "https://ca.example/dir");
	ASSERT_TRUE(jobj_str(json_object_array_get_idx(list, 0), "name") == NULL);
	ASSERT_NONNULL(jobj_str(json_object_array_get_idx(list, 0), "started"));
	json_object_put(list);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(child_start_failure_finishes_the_job_and_others_start)
{
	struct daemon d;
	struct seen s = { .name = "a.example" };
	char want[128];
	int a, b;

	daemon_init(&d, 4);
	a = submit(&d, &s, "a.example", 0);
	b = submit(&d, &s, "b.example", 0);
	fake.fail = -EAGAIN;
	job_start_queued(&d);
	ASSERT_INT_EQ(s.ndone, 1);
	ASSERT_INT_EQ(s.done_ids[0], a);
	/* The reply and the log say why, from the error job_start() returned. */
	snprintf(want, sizeof(want), "job %d could not be started: %s", a, strerror(EAGAIN));
	ASSERT_STR_CONTAINS(s.replies[0], want);
	ASSERT_TRUE(!s.busy_in_done[0]);
	ASSERT_INT_EQ(d.running, 0);
	ASSERT_INT_EQ(fake.n, 0);
	/* The list may have changed under it: the loop stops, the next call
	 * starts the rest. */
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 1);
	ASSERT_INT_EQ(kid_job_id(0), b);
	ASSERT_INT_EQ(d.running, 1);
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(name_for_domains_any_and_busy)
{
	struct daemon d;
	struct seen s = { 0 };
	char *doms[] = { "a.example", "www.a.example" };
	char *same_other_order[] = { "www.a.example", "a.example" };
	char *subset[] = { "a.example" };
	char *other[] = { "a.example", "b.example" };
	struct job_spec spec = {
		.kind = "issue", .label = "certonly", .name = "a.example", .domains = doms,
		.ndomains = 2, .on_done = on_done, .ctx = &s,
	};
	struct job_spec ari = { .kind = "ari", .server = "https://ca/", .ctx = &s };

	daemon_init(&d, 4);
	ASSERT_TRUE(job_name_for_domains(&d, doms, 2) == NULL);
	ASSERT_TRUE(!job_any(&d, "issue"));
	ASSERT_TRUE(job_submit(&d, &spec) > 0);
	/* Queued jobs count as well as running ones. */
	ASSERT_STR_EQ(job_name_for_domains(&d, doms, 2), "a.example");
	ASSERT_STR_EQ(job_name_for_domains(&d, same_other_order, 2), "a.example");
	ASSERT_TRUE(job_name_for_domains(&d, subset, 1) == NULL);
	ASSERT_TRUE(job_name_for_domains(&d, other, 2) == NULL);
	ASSERT_TRUE(job_any(&d, "issue"));
	ASSERT_TRUE(!job_any(&d, "ari"));
	ASSERT_TRUE(job_busy(&d, "a.example"));
	ASSERT_TRUE(!job_busy(&d, "b.example"));
	ASSERT_TRUE(job_submit(&d, &ari) > 0);
	ASSERT_TRUE(job_any(&d, "ari"));
	job_start_queued(&d);
	ASSERT_STR_EQ(job_name_for_domains(&d, same_other_order, 2), "a.example");
	child_ends(&d, 0, 1, 0, false);
	ASSERT_TRUE(job_name_for_domains(&d, doms, 2) == NULL);
	ASSERT_TRUE(!job_any(&d, "issue"));
	ASSERT_TRUE(job_any(&d, "ari"));
	daemon_fini(&d);
	seen_clear(&s);
}

TEST(stop_all_signals_started_children_and_drops_all)
{
	struct daemon d;
	struct seen s = { 0 };

	daemon_init(&d, 2);
	submit(&d, &s, "a.example", 0);
	submit(&d, &s, "b.example", 0);
	submit(&d, &s, "c.example", 0);
	job_start_queued(&d);
	ASSERT_INT_EQ(fake.n, 2);
	job_stop_all(&d);
	ASSERT_INT_EQ(fake.kids[0].signal, SIGTERM);
	ASSERT_INT_EQ(fake.kids[1].signal, SIGTERM);
	ASSERT_TRUE(fake.kids[0].abandoned);
	ASSERT_TRUE(fake.kids[1].abandoned);
	ASSERT_INT_EQ(job_count(&d), 0);
	ASSERT_INT_EQ(d.running, 0);
	ASSERT_INT_EQ(s.ndone, 0); /* on_done is not called at shutdown */
	ASSERT_INT_EQ(s.ndropped, 3); /* on_drop is, for every job: its context is freed */
	/* The queued one never started, so nothing more was signalled. */
	ASSERT_INT_EQ(fake.n, 2);
	daemon_fini(&d);
	seen_clear(&s);
}

/* ---- cancelling, and telling a job to go on ---- */
