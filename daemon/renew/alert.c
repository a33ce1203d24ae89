#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_cluster.h"
#include "daemon/metrics.h"
#include "daemon/renew/alert.h"
#include "daemon/renew/hooks.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "store/store.h"
#include "text.h"
#include "timefmt.h"
#include "util.h"

const char *const alert_event_names[ALERT__MAX] = {
	[ALERT_RENEWAL_FAILED] = "renewal-failed",
	[ALERT_EXPIRY_WARNING] = "expiry-warning",
	[ALERT_RENEWAL_RECOVERED] = "renewal-recovered",
	[ALERT_REVOKED] = "revoked",
	[ALERT_CLUSTER_UNREACHABLE] = "cluster-unreachable",
	[ALERT_CLUSTER_RECOVERED] = "cluster-recovered",
};

/* The environment of an alert hook has at most this many ACMED_ values. */
#define ALERT_ENV_MAX 16
/* How much of the last error an alert carries. */
#define ALERT_ERROR_MAX 1000

size_t alert_thresholds(const struct acmed_config *cfg, time_t not_before, time_t not_after,
			long out[ALERT_MAX_THRESHOLDS])
{
	long life = (long)(not_after - not_before);
	size_t n = 0;

	if (life <= 0 || cfg->nexpiry_warnings == 0)
		return 0;
	if (life < ALERT_SHORT_LIVED) {
		out[n++] = life / 4;
		out[n++] = life / 8;
		return n;
	}
	for (size_t i = 0; i < cfg->nexpiry_warnings && n < ALERT_MAX_THRESHOLDS; i++)
		if (cfg->expiry_warnings[i] < life / 3)
			out[n++] = cfg->expiry_warnings[i];
	return n;
}

bool alert_failure_step(int failures)
{
	return failures == 1 ||
	       (failures > 1 && renewal_backoff(failures) != renewal_backoff(failures - 1));
}

/* When E is due for renewal by the rule (no jitter, no ARI): the warnings
 * start no earlier. */
static time_t due_of(const struct daemon *d, const struct lineage_entry *e)
{
	long before = e->have_conf && e->conf.renew_before > 0 ? e->conf.renew_before
							       : d->cfg.renew_before;

	return (time_t)renewal_due(e->cert.not_before, e->cert.not_after, before);
}

/* A certificate whose expiry is worth warning about: a revoked one is not. */
static bool watched(const struct lineage_entry *e)
{
	return e->have_cert && !(e->have_conf && e->conf.revoked);
}

/* What has been announced of E's current certificate, read from the store
 * the first time. */
static struct alert_mark *mark_of(struct daemon *d, struct lineage_entry *e)
{
	struct entry_sched *sc = &e->sched;

	if (!sc->alert_loaded) {
		if (store_alert_load(d->store, e->name, &sc->alert) < 0)
			memset(&sc->alert, 0, sizeof(sc->alert));
		sc->alert_loaded = true;
	}
	if (sc->alert.not_after != e->cert.not_after)
		sc->alert = (struct alert_mark){ .not_after = e->cert.not_after };
	return &sc->alert;
}

time_t alert_next(struct daemon *d, struct lineage_entry *e)
{
	long th[ALERT_MAX_THRESHOLDS];
	size_t n;
	const struct alert_mark *m;

	if (!watched(e))
		return 0;
	n = alert_thresholds(&d->cfg, e->cert.not_before, e->cert.not_after, th);
	/* Before the first moment a warning may come, none can have come
	 * (but for a clock set back: then the wake-up is early, and the mark,
	 * read when it comes, says so). So the store's mark is read only from
	 * then on, not for every lineage at start-up. */
	if (n > 0 && !e->sched.alert_loaded) {
		time_t at = e->cert.not_after - th[0], due = due_of(d, e);

		if ((at > due ? at : due) > time(NULL))
			return at > due ? at : due;
	}
	m = mark_of(d, e);
	for (size_t i = 0; i < n; i++) {
		if (m->warned == 0 || th[i] < m->warned) {
			time_t at = e->cert.not_after - th[i], due = due_of(d, e);

			return at > due ? at : due;
		}
	}
	/* Once more at expiry, for STATUS= and the metrics to say so. */
	return m->warned && e->cert.not_after >= time(NULL) ? e->cert.not_after + 1 : 0;
}

/* ---- the announcement ---- */

struct alert {
	enum alert_event event;
	const struct lineage_entry *e;
	time_t now;
	long threshold; /* expiry-warning: the threshold crossed, seconds */
	bool last;      /* expiry-warning: the last threshold, or expired */
	const char *reason; /* revoked: why */
	const char *error;  /* cluster-unreachable: etcd's error */
	const char *host;   /* cluster events (E NULL): this host's cluster_host */
};

static double days_left(const struct alert *a)
{
	return a->e && a->e->have_cert ? (double)(a->e->cert.not_after - a->now) / 86400.0 : 0;
}

/* "example.com www.example.com": the lineage's names, or the certificate's
 * for a quarantined lineage. Caller frees. */
static char *domains_of(const struct lineage_entry *e)
{
	char *const *v = e->have_conf ? e->conf.domains : e->cert.names;
	size_t n = e->have_conf ? e->conf.ndomains : e->cert.nnames, len = 1;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	out = calloc(1, len);
	for (size_t i = 0; out && i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, v[i]);
	}
	return out;
}

/* One sentence for the log and the mail's subject. */
static void summary(const struct alert *a, char *buf, size_t len)
{
	const struct lineage_entry *e = a->e;
	double left = days_left(a);

	if (!e && a->event != ALERT_CLUSTER_UNREACHABLE && a->event != ALERT_CLUSTER_RECOVERED) {
		buf[0] = '\0';
		return;
	}

	switch (a->event) {
	case ALERT_RENEWAL_FAILED:
		snprintf(buf, len, "%s: renewal failed (%d failure%s in a row)", e->name,
			 e->conf.state.failures, e->conf.state.failures == 1 ? "" : "s");
		return;
	case ALERT_EXPIRY_WARNING:
		if (left <= 0)
			snprintf(buf, len, "%s: the certificate has expired and was not renewed",
				 e->name);
		else
			snprintf(buf, len, "%s: the certificate expires in %.1f day(s) and was not "
					   "renewed", e->name, left);
		return;
	case ALERT_RENEWAL_RECOVERED:
		snprintf(buf, len, "%s: renewal succeeded again after failures", e->name);
		return;
	case ALERT_REVOKED:
		snprintf(buf, len, "%s: the certificate was revoked (%s)", e->name,
			 a->reason ? a->reason : "unspecified");
		return;
	case ALERT_CLUSTER_UNREACHABLE:
		snprintf(buf, len, "host %s: etcd does not answer (%s); serving the certificates "
				   "it has, renewing none", a->host, a->error ? a->error : "");
		return;
	case ALERT_CLUSTER_RECOVERED:
		snprintf(buf, len, "host %s: etcd answers again", a->host);
		return;
	case ALERT__MAX:
		break;
	}
	buf[0] = '\0';
}

static int env_add(char **env, size_t *n, const char *key, const char *value)
{
	char *clean = NULL;

	if (*n >= ALERT_ENV_MAX)
		return -E2BIG;
	/* One line each: a CA's error text must not become a mail header. */
	if (value && !(clean = strdup(value)))
		return -ENOMEM;
	if (clean)
		text_clean(clean);
	if (asprintf(&env[*n], "%s=%s", key, clean ? clean : "") < 0) {
		free(clean);
		return -ENOMEM;
	}
	(*n)++;
	free(clean);
	return 0;
}

static void env_free(char **env, size_t *count)
{
	for (size_t i = 0; i < *count; i++)
		free(env[i]);
	*count = 0;
}

static void time_or_empty(time_t t, char *buf, size_t len)
{
	if (t > 0)
		timefmt_format_rfc3339(t, buf, len);
	else
		buf[0] = '\0';
}

/* The ACMED_ values of A (hooks.h's hooks_env() adds ACMED_HOOK=alert and
 * PATH): COUNT strings in ENV, caller frees them. */
static int alert_env(struct daemon *d, const struct alert *a, char **env, size_t *count)
{
	const struct lineage_entry *e = a->e;
	const struct renewal_state *st = e->have_conf ? &e->conf.state : NULL;
	char na[32], next[32], left[32], secs[32], fails[16], thr[32], err[ALERT_ERROR_MAX + 1];
	char *live = fs_join(store_dir(d->store), "live"), *dir = live ? fs_join(live, e->name) : NULL;
	char *domains = domains_of(e);
	int r = dir && domains ? 0 : -ENOMEM;

	*count = 0;
	time_or_empty(e->have_cert ? e->cert.not_after : 0, na, sizeof(na));
	time_or_empty(st && st->failures ? st->next_attempt : 0, next, sizeof(next));
	snprintf(left, sizeof(left), "%.1f", days_left(a));
	snprintf(secs, sizeof(secs), "%lld", (long long)(e->have_cert ? e->cert.not_after - a->now : 0));
	snprintf(fails, sizeof(fails), "%d", st ? st->failures : 0);
	snprintf(thr, sizeof(thr), "%ld", a->threshold);
	snprintf(err, sizeof(err), "%s", st ? str_or_empty(st->last_error) : "");
	const char *kv[][2] = {
		{ "ACMED_EVENT", alert_event_names[a->event] },
		{ "ACMED_CERT_NAME", e->name },
		{ "ACMED_LINEAGE", dir },
		{ "ACMED_DOMAINS", domains },
		{ "ACMED_NOT_AFTER", na },
		{ "ACMED_DAYS_LEFT", left },
		{ "ACMED_SECONDS_LEFT", secs },
		{ "ACMED_FAILURES", fails },
		{ "ACMED_LAST_ERROR", err },
		{ "ACMED_NEXT_ATTEMPT", next },
		{ "ACMED_THRESHOLD_SECONDS", a->event == ALERT_EXPIRY_WARNING ? thr : "" },
		{ "ACMED_REVOKED_REASON", a->reason },
	};

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(kv); i++)
		r = env_add(env, count, kv[i][0], kv[i][1]);
	free(live);
	free(dir);
	free(domains);
	if (r < 0)
		env_free(env, count);
	return r;
}

/* The ACMED_ values of a cluster event (no lineage). */
static int cluster_env(const struct alert *a, char **env, size_t *count)
{
	int r;

	*count = 0;
	r = env_add(env, count, "ACMED_EVENT", alert_event_names[a->event]);
	if (r == 0)
		r = env_add(env, count, "ACMED_CLUSTER_HOST", a->host);
	if (r == 0)
		r = env_add(env, count, "ACMED_LAST_ERROR", a->error);
	if (r < 0)
		env_free(env, count);
	return r;
}

/* Queue COMMAND (LABEL for the log) with ENV (copied) and a MAIL value if
 * not NULL. */
static void queue(struct daemon *d, const struct alert *a, const char *command, const char *label,
		  char *const *env, size_t nenv, const char *mail)
{
	char *extra[ALERT_ENV_MAX + 1];
	size_t n = 0, count;
	struct hook_req req = { .kind = HOOK_ALERT };

	for (; n < nenv; n++)
		extra[n] = env[n];
	if (mail && asprintf(&extra[n++], "ACMED_MAIL=%s", mail) < 0)
		n--, mail = NULL;
	req.command = strdup(command);
	req.env = hooks_env(HOOK_ALERT, extra, n, &count);
	req.name = a->e ? strdup(a->e->name) : NULL;
	req.label = strdup(label);
	if (mail)
		free(extra[n - 1]);
	if (!req.command || !req.env || (a->e && !req.name) || !req.label ||
	    hooks_enqueue(d, &req) < 0) {
		log_error("out of memory queueing the %s", label);
		free(req.command);
		free(req.name);
		free(req.label);
		strv_free_nt(req.env);
	}
}

/* The mail for A: headers and body, one value for the shell to print. */
static char *mail_text(struct daemon *d, const struct alert *a, char *const *env, size_t nenv)
{
	char host[256] = "", subj[512], *body = NULL, *out = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);

	if (!f)
		return NULL;
	gethostname(host, sizeof(host) - 1);
	text_clean(host);
	summary(a, subj, sizeof(subj));
	text_clean(subj);
	fprintf(f, "acmed on %s: %s.\n\n", host, subj);
	for (size_t i = 0; i < nenv; i++)
		fprintf(f, "%s\n", env[i]);
	if (fclose(f) != 0) {
		free(body);
		return NULL;
	}
	if (asprintf(&out, "To: %s\nSubject: [acmed] %s: %s\nAuto-Submitted: auto-generated\n"
			   "Content-Type: text/plain; charset=utf-8\n\n%s",
		     d->cfg.alert_email, host, subj, body) < 0)
		out = NULL;
	free(body);
	return out;
}

static void queue_mail(struct daemon *d, const struct alert *a, char *const *env, size_t nenv)
{
	char *sendmail = hooks_sh_quote(d->cfg.sendmail), *cmd = NULL, *mail, label[300];

	mail = mail_text(d, a, env, nenv);
	if (sendmail && mail &&
	    asprintf(&cmd, "printf '%%s\\n' \"$ACMED_MAIL\" | %s -oi -t", sendmail) >= 0) {
		snprintf(label, sizeof(label), "alert mail to %s", d->cfg.alert_email);
		queue(d, a, cmd, label, env, nenv, mail);
	} else {
		log_error("out of memory writing the alert mail for %s", a->e ? a->e->name : a->host);
	}
	free(cmd);
	free(mail);
	free(sendmail);
}

/* Every alert hook, in order: renewal-hooks/alert/, acmed.conf, the
 * lineage's own. */
static void queue_hooks(struct daemon *d, const struct alert *a, char *const *env, size_t nenv)
{
	struct hook_list dir_hooks = { 0 };
	char label[300];
	const char *who = a->e ? a->e->name : "the cluster";

	if (d->cfg.directory_hooks) {
		char *base = fs_join(store_dir(d->store), "renewal-hooks");
		char *dir = base ? fs_join(base, "alert") : NULL;

		if (dir && hooks_dir_list(dir, &dir_hooks) < 0)
			log_warning("%s: cannot list the hooks there", dir);
		free(dir);
		free(base);
	}
	for (size_t i = 0; i < dir_hooks.nrefused; i++)
		log_error("alert hook not run: %s", dir_hooks.refused[i]);
	for (size_t i = 0; i < dir_hooks.n; i++) {
		char *q = hooks_sh_quote(dir_hooks.paths[i]);

		snprintf(label, sizeof(label), "alert hook \"%.200s\" for %s", dir_hooks.paths[i],
			 who);
		if (q)
			queue(d, a, q, label, env, nenv, NULL);
		free(q);
	}
	hook_list_clear(&dir_hooks);
	if (d->cfg.alert_hook) {
		snprintf(label, sizeof(label), "alert hook \"%.200s\" for %s", d->cfg.alert_hook,
			 who);
		queue(d, a, d->cfg.alert_hook, label, env, nenv, NULL);
	}
	if (a->e && a->e->have_conf && a->e->conf.alert_hook &&
	    !streq(a->e->conf.alert_hook, d->cfg.alert_hook)) {
		snprintf(label, sizeof(label), "alert hook \"%.200s\" for %s",
			 a->e->conf.alert_hook, a->e->name);
		queue(d, a, a->e->conf.alert_hook, label, env, nenv, NULL);
	}
}

static enum log_level level_of(const struct alert *a)
{
	switch (a->event) {
	case ALERT_RENEWAL_FAILED:
		return LOG_LVL_ERROR;
	case ALERT_EXPIRY_WARNING:
		return a->last ? LOG_LVL_ERROR : LOG_LVL_WARNING;
	case ALERT_RENEWAL_RECOVERED:
	case ALERT_CLUSTER_RECOVERED:
		return LOG_LVL_INFO;
	case ALERT_CLUSTER_UNREACHABLE:
		return LOG_LVL_ERROR;
	default:
		return LOG_LVL_WARNING;
	}
}

static void fire(struct daemon *d, const struct alert *a)
{
	char *env[ALERT_ENV_MAX], text[600], left[32];
	size_t n;

	metrics_count_alert(d, a->event);
	summary(a, text, sizeof(text));
	snprintf(left, sizeof(left), "%.1f", days_left(a));
	log_event(level_of(a), a->e ? a->e->name : NULL, alert_event_names[a->event],
		  a->e && a->e->have_cert ? left : NULL, "%s", text);
	if ((a->e ? alert_env(d, a, env, &n) : cluster_env(a, env, &n)) < 0) {
		log_error("out of memory preparing the alert for %s", a->e ? a->e->name : a->host);
		return;
	}
	queue_hooks(d, a, env, n);
	if (d->cfg.alert_email)
		queue_mail(d, a, env, n);
	env_free(env, &n);
}

/* ---- when ---- */

/* The smallest threshold of E crossed at NOW and not announced yet, or 0. */
static long crossed(struct daemon *d, struct lineage_entry *e, time_t now)
{
	long th[ALERT_MAX_THRESHOLDS], hit = 0;
	size_t n = alert_thresholds(&d->cfg, e->cert.not_before, e->cert.not_after, th);
	const struct alert_mark *m;

	/* Before the due time nothing is announced, and the store's mark is
	 * not read: at start-up that is most lineages. */
	if (now < due_of(d, e))
		return 0;
	m = mark_of(d, e);
	for (size_t i = 0; i < n; i++)
		if ((m->warned == 0 || th[i] < m->warned) && now >= e->cert.not_after - th[i])
			hit = th[i];
	return hit;
}

static void check_one(struct daemon *d, struct lineage_entry *e, time_t now)
{
	struct alert_mark *m;
	long hit;

	if (!watched(e) || !(hit = crossed(d, e, now)))
		return;
	/* Recorded first: a crash may lose a warning, never repeat one. The
	 * mark in memory holds even if the disk does not. */
	m = mark_of(d, e);
	m->warned = hit;
	if (store_alert_save(d->store, e->name, m) < 0)
		log_job(LOG_LVL_ERROR, 0, e->name,
			"%s: could not record the expiry warning: it may be repeated after a restart",
			e->name);
	fire(d, &(struct alert){ .event = ALERT_EXPIRY_WARNING, .e = e, .now = now,
				 .threshold = hit,
				 .last = alert_level_of(d, e, now) == ALERT_LEVEL_CRITICAL });
}

void alert_check(struct daemon *d, time_t now)
{
	for (size_t i = 0; i < d->index.n; i++)
		check_one(d, &d->index.v[i], now);
}

void alert_job_result(struct daemon *d, const char *name, int prev_failures,
		      struct json_object *reply)
{
	struct lineage_entry *e = name ? index_get(&d->index, name) : NULL;
	int failures;

	if (!e || !e->have_conf)
		return;
	failures = e->conf.state.failures;
	if (jobj_int(reply, "status", -1) != 0 && failures > prev_failures) {
		if (alert_failure_step(failures))
			fire(d, &(struct alert){ .event = ALERT_RENEWAL_FAILED, .e = e,
						 .now = time(NULL) });
		else
			log_event(LOG_LVL_ERROR, e->name, alert_event_names[ALERT_RENEWAL_FAILED],
				  NULL, "%s: renewal failed again (%d failures in a row; "
				  "announced at the first of this backoff step)", e->name, failures);
	} else if (jobj_int(reply, "status", -1) == 0 && prev_failures > 0 && failures == 0) {
		fire(d, &(struct alert){ .event = ALERT_RENEWAL_RECOVERED, .e = e,
					 .now = time(NULL) });
	}
}

void alert_revoked(struct daemon *d, const char *name, const char *reason)
{
	struct lineage_entry *e = name ? index_get(&d->index, name) : NULL;

	if (e)
		fire(d, &(struct alert){ .event = ALERT_REVOKED, .e = e, .now = time(NULL),
					 .reason = reason });
}

enum alert_level alert_level_of(const struct daemon *d, const struct lineage_entry *e, time_t now)
{
	long th[ALERT_MAX_THRESHOLDS];
	size_t n;

	if (!watched(e) || now < due_of(d, e))
		return ALERT_LEVEL_OK;
	n = alert_thresholds(&d->cfg, e->cert.not_before, e->cert.not_after, th);
	if (now >= e->cert.not_after || (n && now >= e->cert.not_after - th[n - 1]))
		return ALERT_LEVEL_CRITICAL;
	if (n && now >= e->cert.not_after - th[0])
		return ALERT_LEVEL_WARNING;
	return ALERT_LEVEL_OVERDUE;
}

void alert_cluster(struct daemon *d, bool down, const char *error)
{
	char buf[256];

	fire(d, &(struct alert){ .event = down ? ALERT_CLUSTER_UNREACHABLE : ALERT_CLUSTER_RECOVERED,
				 .now = time(NULL), .error = down ? error : NULL,
				 .host = config_cluster_host(&d->cfg, buf, sizeof(buf)) });
}
