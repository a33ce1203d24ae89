/* Alerts (daemon/renew/alert.c) over a fake hook runner that records what
 * it is given, and a real store in a temp directory. What is checked: the
 * expiry thresholds of long and short certificates; which failures start a
 * backoff step; that each threshold is announced once, the smallest when
 * several were crossed, never before the renewal time, not again after a
 * restart, also with autorenew off, not for a revoked lineage; a failure
 * and a recovery; the hooks' environment; the mail's headers. */
#include "daemon/renew/alert.c"
#include "config_priv.h"

#include "hookexec.h"
#include "testutil.h"

#define DAY 86400L

/* ---- a fake hook runner ---- */

#define QUEUED_MAX 16

static struct {
	char *command[QUEUED_MAX];
	char **env[QUEUED_MAX];
	int n;
} queued;

int hooks_enqueue(struct daemon *d, struct hook_req *req)
{
	ASSERT_TRUE(queued.n < QUEUED_MAX);
	ASSERT_INT_EQ(req->kind, HOOK_ALERT);
	queued.command[queued.n] = req->command;
	queued.env[queued.n] = req->env;
	queued.n++;
	free(req->label);
	free(req->name);
	memset(req, 0, sizeof(*req));
	return 0;
}

int hooks_dir_list(const char *dir, struct hook_list *out)
{
	memset(out, 0, sizeof(*out));
	return 0;
}

void hook_list_clear(struct hook_list *l)
{
	memset(l, 0, sizeof(*l));
}

char *hooks_sh_quote(const char *s)
{
	char *q = NULL;

	return asprintf(&q, "'%s'", s) < 0 ? NULL : q;
}

char **hooks_env(enum hook_kind kind, char *const *extra, size_t nextra, size_t *count)
{
	char **env = hookexec_env(hook_kind_names[kind], extra, nextra);

	for (*count = 0; env && env[*count]; (*count)++)
		;
	return env;
}

const char *const hook_kind_names[HOOK__MAX] = { "pre", "deploy", "post", "alert" };

static void queued_clear(void)
{
	for (int i = 0; i < queued.n; i++) {
		free(queued.command[i]);
		strv_free_nt(queued.env[i]);
	}
	queued.n = 0;
}

/* Hook I's value of KEY, or NULL. */
static const char *env_of(int i, const char *key)
{
	size_t len = strlen(key);

	ASSERT_TRUE(i < queued.n);
	for (char **e = queued.env[i]; *e; e++)
		if (strncmp(*e, key, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static const char *command_of(int i)
{
	ASSERT_TRUE(i < queued.n);
	return queued.command[i];
}

/* The metrics count alerts by event. */
static unsigned long alerts_counted[ALERT__MAX];

void metrics_count_alert(struct daemon *d, int event)
{
	alerts_counted[event]++;
}

/* ---- a fake index ---- */

struct lineage_entry *index_get(const struct cert_index *ix, const char *name)
{
	for (size_t i = 0; name && i < ix->n; i++)
		if (streq(ix->v[i].name, name))
			return &ix->v[i];
	return NULL;
}

/* ---- fixtures ---- */

static struct lineage_entry lineage;
static char *dir;

/* A daemon with one lineage "a.test" whose 90-day certificate has LEFT
 * seconds left, a hook in acmed.conf, and a store to record in. */
static struct daemon *daemon_new(long left)
{
	static struct daemon d;
	time_t now = time(NULL);
	char path[512];

	memset(&d, 0, sizeof(d));
	memset(&lineage, 0, sizeof(lineage));
	config_default_warnings(&d.cfg);
	d.cfg.renew_before = RENEW_BEFORE_DEFAULT;
	d.cfg.directory_hooks = true;
	d.cfg.alert_hook = strdup("true");
	dir = tmpdir_make();
	ASSERT_INT_EQ(store_open(dir, true, &d.store), 0);
	snprintf(path, sizeof(path), "%s/archive/a.test", dir);
	ASSERT_INT_EQ(mkdir(path, 0700), 0);
	lineage.name = strdup("a.test");
	lineage.have_conf = true;
	lineage.conf.domains = calloc(3, sizeof(char *));
	lineage.conf.domains[0] = strdup("a.test");
	lineage.conf.domains[1] = strdup("www.a.test");
	lineage.conf.ndomains = 2;
	lineage.have_cert = true;
	lineage.cert.not_after = now + left;
	lineage.cert.not_before = lineage.cert.not_after - 90 * DAY;
	d.index.v = &lineage;
	d.index.n = 1;
	return &d;
}

static void cleanup(struct daemon *d)
{
	queued_clear();
	free(lineage.name);
	renewal_clear(&lineage.conf);
	free(d->cfg.alert_hook);
	free(d->cfg.alert_email);
	store_close(d->store);
	tmpdir_remove(dir);
}

/* A restart: what was announced is known from the store alone. */
static void forget(struct daemon *d)
{
	memset(&lineage.sched, 0, sizeof(lineage.sched));
}

/* ---- tests ---- */

TEST(thresholds_of_long_and_short_certificates)
{
	long th[ALERT_MAX_THRESHOLDS];
	struct acmed_config cfg = { 0 };

	config_default_warnings(&cfg);

	ASSERT_INT_EQ(alert_thresholds(&cfg, 0, 90 * DAY, th), 4);
	ASSERT_INT_EQ(th[0], 14 * DAY);
	ASSERT_INT_EQ(th[3], 1 * DAY);
	/* 30 days: 14 is not under a third (10 days). */
	ASSERT_INT_EQ(alert_thresholds(&cfg, 0, 30 * DAY, th), 3);
	ASSERT_INT_EQ(th[0], 7 * DAY);
	/* 6 days: a quarter and an eighth, not "1 day" at every issuance. */
	ASSERT_INT_EQ(alert_thresholds(&cfg, 0, 6 * DAY, th), 2);
	ASSERT_INT_EQ(th[0], 6 * DAY / 4);
	ASSERT_INT_EQ(th[1], 6 * DAY / 8);
	ASSERT_INT_EQ(alert_thresholds(&cfg, 100, 140, th), 2);
	ASSERT_INT_EQ(th[0], 10);
	ASSERT_INT_EQ(th[1], 5);
	ASSERT_INT_EQ(alert_thresholds(&cfg, 100, 100, th), 0);
}

/* acmed.conf's expiry_warnings: its own list, under a third of the
 * lifetime still; none at all, short-lived certificates included. */
TEST(thresholds_from_the_configuration)
{
	long th[ALERT_MAX_THRESHOLDS];
	struct acmed_config cfg = { .expiry_warnings = { 20 * DAY, 2 * DAY, 3600 },
				    .nexpiry_warnings = 3 };

	ASSERT_INT_EQ(alert_thresholds(&cfg, 0, 90 * DAY, th), 3);
	ASSERT_INT_EQ(th[0], 20 * DAY);
	ASSERT_INT_EQ(th[2], 3600);
	ASSERT_INT_EQ(alert_thresholds(&cfg, 0, 45 * DAY, th), 2);
	ASSERT_INT_EQ(th[0], 2 * DAY);
	cfg.nexpiry_warnings = 0;
	ASSERT_INT_EQ(alert_thresholds(&cfg, 0, 90 * DAY, th), 0);
	ASSERT_INT_EQ(alert_thresholds(&cfg, 0, 6 * DAY, th), 0);
}

TEST(each_backoff_step_is_announced_once)
{
	ASSERT_TRUE(!alert_failure_step(0));
	for (int i = 1; i <= 4; i++)
		ASSERT_TRUE(alert_failure_step(i));
	ASSERT_TRUE(!alert_failure_step(5));
	ASSERT_TRUE(!alert_failure_step(30));
}

TEST(a_threshold_is_announced_once_and_not_after_a_restart)
{
	struct daemon *d = daemon_new(5 * DAY);
	time_t now = time(NULL);

	lineage.conf.no_autorenew = true;
	/* 14 and 7 days are both crossed: one warning, for the nearer. */
	ASSERT_TRUE(alert_next(d, &lineage) <= now);
	alert_check(d, now);
	ASSERT_INT_EQ(queued.n, 1);
	ASSERT_STR_EQ(env_of(0, "ACMED_EVENT"), "expiry-warning");
	ASSERT_STR_EQ(env_of(0, "ACMED_HOOK"), "alert");
	ASSERT_STR_EQ(env_of(0, "ACMED_CERT_NAME"), "a.test");
	ASSERT_STR_EQ(env_of(0, "ACMED_DOMAINS"), "a.test www.a.test");
	ASSERT_STR_EQ(env_of(0, "ACMED_DAYS_LEFT"), "5.0");
	ASSERT_INT_EQ(atol(env_of(0, "ACMED_THRESHOLD_SECONDS")), 7 * DAY);
	ASSERT_STR_CONTAINS(env_of(0, "ACMED_LINEAGE"), "/live/a.test");
	ASSERT_STR_EQ(command_of(0), "true");
	alert_check(d, now);
	ASSERT_INT_EQ(queued.n, 1);
	/* The next is 3 days before expiry. */
	ASSERT_INT_EQ(alert_next(d, &lineage), lineage.cert.not_after - 3 * DAY);
	forget(d);
	alert_check(d, now);
	ASSERT_INT_EQ(queued.n, 1);
	alert_check(d, lineage.cert.not_after - 3 * DAY);
	ASSERT_INT_EQ(queued.n, 2);
	ASSERT_INT_EQ(atol(env_of(1, "ACMED_THRESHOLD_SECONDS")), 3 * DAY);
	alert_check(d, lineage.cert.not_after - 3600);
	ASSERT_INT_EQ(queued.n, 3);
	ASSERT_INT_EQ(atol(env_of(2, "ACMED_THRESHOLD_SECONDS")), 1 * DAY);
	/* After the last: a wake-up at expiry, then none. */
	ASSERT_INT_EQ(alert_next(d, &lineage), lineage.cert.not_after + 1);
	lineage.cert.not_after = now - 1;
	lineage.sched.alert.not_after = lineage.cert.not_after;
	ASSERT_INT_EQ(alert_next(d, &lineage), 0);
	cleanup(d);
}

TEST(a_new_certificate_starts_afresh)
{
	struct daemon *d = daemon_new(5 * DAY);
	time_t now = time(NULL);

	alert_check(d, now);
	ASSERT_INT_EQ(queued.n, 1);
	lineage.cert.not_after += 100 * DAY;
	lineage.cert.not_before += 100 * DAY;
	alert_check(d, now);
	ASSERT_INT_EQ(queued.n, 1);
	ASSERT_INT_EQ(alert_next(d, &lineage), lineage.cert.not_after - 14 * DAY);
	cleanup(d);
}

TEST(no_warning_before_the_renewal_time_nor_for_a_revoked_certificate)
{
	struct daemon *d = daemon_new(10 * DAY);
	time_t now = time(NULL);

	/* renew_before_expiry 5 days: the 14 and 7 day marks come first. */
	lineage.conf.renew_before = 5 * DAY;
	alert_check(d, now);
	ASSERT_INT_EQ(queued.n, 0);
	ASSERT_INT_EQ(alert_next(d, &lineage), lineage.cert.not_after - 5 * DAY);
	ASSERT_INT_EQ(alert_level_of(d, &lineage, now), ALERT_LEVEL_OK);
	lineage.conf.renew_before = 0;
	lineage.conf.revoked = true;
	alert_check(d, now);
	ASSERT_INT_EQ(queued.n, 0);
	ASSERT_INT_EQ(alert_next(d, &lineage), 0);
	cleanup(d);
}

TEST(levels_for_status_check)
{
	struct daemon *d = daemon_new(20 * DAY);
	time_t now = time(NULL);

	ASSERT_INT_EQ(alert_level_of(d, &lineage, now), ALERT_LEVEL_OVERDUE);
	ASSERT_INT_EQ(alert_level_of(d, &lineage, now - 20 * DAY), ALERT_LEVEL_OK);
	ASSERT_INT_EQ(alert_level_of(d, &lineage, lineage.cert.not_after - 10 * DAY),
		      ALERT_LEVEL_WARNING);
	ASSERT_INT_EQ(alert_level_of(d, &lineage, lineage.cert.not_after - 3600),
		      ALERT_LEVEL_CRITICAL);
	ASSERT_INT_EQ(alert_level_of(d, &lineage, lineage.cert.not_after + 1),
		      ALERT_LEVEL_CRITICAL);
	cleanup(d);
}

TEST(failures_are_announced_per_step_then_the_recovery)
{
	struct daemon *d = daemon_new(60 * DAY);
	struct json_object *fail = json_tokener_parse("{\"status\":-1}");
	struct json_object *ok = json_tokener_parse("{\"status\":0}");

	lineage.conf.state.failures = 1;
	lineage.conf.state.last_error = strdup("the CA said\nno");
	lineage.conf.state.next_attempt = time(NULL) + 60;
	alert_job_result(d, "a.test", 0, fail);
	ASSERT_INT_EQ(queued.n, 1);
	ASSERT_STR_EQ(env_of(0, "ACMED_EVENT"), "renewal-failed");
	ASSERT_STR_EQ(env_of(0, "ACMED_FAILURES"), "1");
	ASSERT_STR_EQ(env_of(0, "ACMED_LAST_ERROR"), "the CA said no");
	ASSERT_TRUE(strlen(env_of(0, "ACMED_NEXT_ATTEMPT")) > 0);
	/* The fifth is the daily step again: logged, not announced. */
	lineage.conf.state.failures = 5;
	alert_job_result(d, "a.test", 4, fail);
	ASSERT_INT_EQ(queued.n, 1);
	/* A failure not counted (a dry run) is nothing new. */
	alert_job_result(d, "a.test", 5, fail);
	ASSERT_INT_EQ(queued.n, 1);
	lineage.conf.state.failures = 0;
	alert_job_result(d, "a.test", 5, ok);
	ASSERT_INT_EQ(queued.n, 2);
	ASSERT_STR_EQ(env_of(1, "ACMED_EVENT"), "renewal-recovered");
	ASSERT_INT_EQ(alerts_counted[ALERT_RENEWAL_FAILED], 1);
	ASSERT_INT_EQ(alerts_counted[ALERT_RENEWAL_RECOVERED], 1);
	/* Success without failures before: nothing to say. */
	alert_job_result(d, "a.test", 0, ok);
	ASSERT_INT_EQ(queued.n, 2);
	json_object_put(fail);
	json_object_put(ok);
	cleanup(d);
}

TEST(the_mail_has_a_clear_subject_and_goes_through_sendmail)
{
	struct daemon *d = daemon_new(60 * DAY);
	const char *mail;

	d->cfg.alert_email = strdup("ops@example.com");
	d->cfg.sendmail = "/usr/sbin/sendmail";
	alert_revoked(d, "a.test", "keycompromise");
	ASSERT_INT_EQ(queued.n, 2);
	ASSERT_STR_EQ(env_of(1, "ACMED_EVENT"), "revoked");
	ASSERT_STR_CONTAINS(command_of(1), "'/usr/sbin/sendmail' -oi -t");
	mail = env_of(1, "ACMED_MAIL");
	ASSERT_NONNULL(mail);
	ASSERT_TRUE(strncmp(mail, "To: ops@example.com\nSubject: [acmed] ", 36) == 0);
	ASSERT_STR_CONTAINS(mail, "a.test: the certificate was revoked (keycompromise)\n");
	ASSERT_STR_CONTAINS(mail, "\n\nacmed on ");
	ASSERT_STR_CONTAINS(mail, "ACMED_REVOKED_REASON=keycompromise\n");
	cleanup(d);
}
