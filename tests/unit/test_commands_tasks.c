/* The control commands that run tasks or report (daemon/control/commands.c)
 * over the fakes of commands_fakes.h: revoke refused while a job runs, its
 * usage errors and its job; account's usage errors and which of its jobs
 * may register; the status reply; the
 * certificates filters; revoke and delete with a reply without data. */
#include "daemon/control/certonly.c"
#include "daemon/control/commands.c"
#include "daemon/control/status.c"
#include "daemon/control/reconfigure.c"

#include "commands_fakes.h"

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

/* `account register` takes turns with the issuances for its CA while it
 * has no account (job_spec's may_register); the other operations do not. */
TEST(account_register_may_register_at_its_ca)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	run(d, &c, CMD_ACCOUNT, "{\"op\":\"register\",\"server\":\"" SERVER "\"}");
	ASSERT_INT_EQ(jobs.n, 1);
	ASSERT_STR_EQ(jobs.kind[0], "account");
	ASSERT_NONNULL(jobs.server[0]);
	ASSERT_STR_EQ(jobs.server[0], SERVER);
	conn_clear(&c);
	run(d, &c, CMD_ACCOUNT, "{\"op\":\"show\",\"server\":\"" SERVER "\"}");
	ASSERT_INT_EQ(jobs.n, 2);
	ASSERT_TRUE(jobs.server[1] == NULL);
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
