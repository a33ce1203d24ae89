#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "daemon/renew/alert.h"
#include "daemon/renew/batch.h"
#include "error.h"
#include "issue_req.h"
#include "daemon/jobs/job.h"
#include "jsonutil.h"
#include "log.h"
#include "daemon/renew/scheduler.h"
#include "store/store.h"
#include "timefmt.h"
#include "util.h"

static void sched_ari_event(struct daemon *d, const char *server, struct json_object *ev);
static void sched_ari_done(struct daemon *d, const char *server, struct json_object *reply);
static void sched_batch_done(struct daemon *d, unsigned failures);

enum ca_ari { CA_UNKNOWN, CA_NO_ARI, CA_ARI };

/* A certonly of NAME the CA at SERVER refused with a Retry-After: not
 * again before UNTIL. Apart from the CAs' states: a CA in this list alone
 * is not one the scheduler probes. */
struct ca_hold {
	struct ca_hold *next;
	char *server, *name;
	time_t until;
};

/* What we know of one CA (directory URL) the lineages use. */
struct ca_state {
	struct ca_state *next;
	char *server;
	enum ca_ari ari;
	bool checking;     /* an ARI job for it is queued or running */
	time_t next_probe; /* CA_UNKNOWN: when to load its directory */
};

static struct ca_state *ca_get(struct daemon *d, const char *server)
{
	struct ca_state *ca;

	for (ca = d->sched.cas; ca; ca = ca->next)
		if (streq(ca->server, server))
			return ca;
	ca = calloc(1, sizeof(*ca));
	if (!ca || !(ca->server = strdup(server))) {
		free(ca);
		return NULL;
	}
	ca->next = d->sched.cas;
	d->sched.cas = ca;
	return ca;
}

/* A lineage the timer looks after: a parsed renewal file, a certificate
 * that was not revoked (certbot would renew a revoked one at once), and
 * autorenew not turned off (--no-autorenew). */
static bool schedulable(const struct lineage_entry *e)
{
	return e->have_conf && e->have_cert && !e->conf.revoked && !e->conf.no_autorenew;
}

/* Its CA is being asked whether it has ARI: wait for the answer. */
static bool waiting_for_ca(struct daemon *d, const struct lineage_entry *e)
{
	struct ca_state *ca = ca_get(d, e->conf.server);

	return ca && ca->ari == CA_UNKNOWN && ca->checking;
}

/* A failed attempt recorded in the future: the clock was set back since.
 * The backoff starts again from now, so the jump neither delays the next
 * attempt by its size nor lets it come at once. */
static void clock_went_back(struct lineage_entry *e, time_t now)
{
	struct renewal_state *st = &e->conf.state;

	if (st->failures > 0 && st->last_attempt > now + 60) {
		log_job(LOG_LVL_WARNING, 0, e->name,
			"%s: the last failed attempt is dated %ld s ahead of this host's clock, "
			"which was set back: the backoff counts from now",
			e->name, (long)(st->last_attempt - now));
		st->last_attempt = now;
		st->next_attempt = now + renewal_backoff(st->failures);
	}
}

/* The effective renew_before_expiry of E. */
static long sched_renew_before(const struct daemon *d, const struct lineage_entry *e)
{
	return e->conf.renew_before > 0 ? e->conf.renew_before : d->cfg.renew_before;
}

static struct renew_plan plan_of(const struct daemon *d, const struct lineage_entry *e,
				 long jitter)
{
	return (struct renew_plan){
		.not_before = e->cert.not_before,
		.not_after = e->cert.not_after,
		.renew_before = sched_renew_before(d, e),
		.jitter = jitter,
		.ari = e->sched.ari_valid,
		.ari_pick = e->sched.ari_pick,
	};
}

time_t sched_renew_at(const struct daemon *d, struct lineage_entry *e)
{
	struct renew_plan p;
	time_t at;

	if (!schedulable(e))
		return 0;
	clock_went_back(e, time(NULL));
	if (!e->sched.jitter_drawn) {
		long cap = renewal_jitter_cap(e->cert.not_before, e->cert.not_after,
					      sched_renew_before(d, e), d->cfg.renew_jitter);

		e->sched.jitter = cap > 0 ? (long)arc4random_uniform((uint32_t)cap + 1) : 0;
		e->sched.jitter_drawn = true;
	}
	p = plan_of(d, e, e->sched.jitter);
	at = renewal_renew_at(&p, &e->conf.state);
	return at < e->sched.hold_until ? e->sched.hold_until : at;
}

bool sched_due(const struct daemon *d, const struct lineage_entry *e, time_t now)
{
	struct renew_plan p;
	struct renewal_state st = { .retry_after = e->conf.state.retry_after };

	if (!schedulable(e) || now < e->sched.hold_until)
		return false;
	p = plan_of(d, e, 0);
	return renewal_renew_at(&p, &st) <= now;
}

time_t sched_next_wake(const struct daemon *d)
{
	return d->sched.next_wake;
}

/* Due for the timer at NOW: its time has come, jitter aside, so that one
 * wake-up takes along every lineage already past its due time (one batch,
 * one round of hooks). The backoff and Retry-After still hold. */
static bool timer_due(struct daemon *d, struct lineage_entry *e, time_t now)
{
	struct renew_plan p = plan_of(d, e, 0);

	if (now < e->sched.hold_until)
		return false;
	return sched_renew_at(d, e) <= now || renewal_renew_at(&p, &e->conf.state) <= now;
}

static time_t earlier(time_t a, time_t b)
{
	return a == 0 || (b != 0 && b < a) ? b : a;
}

/* The latest Retry-After the CA gave for any of its lineages: until then
 * it hears nothing from us, not even a directory request. */
static time_t ca_quiet_until(const struct daemon *d, const struct ca_state *ca)
{
	time_t until = 0;

	for (size_t i = 0; i < d->index.n; i++) {
		const struct lineage_entry *e = &d->index.v[i];

		if (e->have_conf && streq(e->conf.server, ca->server) &&
		    e->conf.state.retry_after > until)
			until = e->conf.state.retry_after;
	}
	return until;
}

/* When a CA next needs a job of ours (a probe or ARI checks), or 0. */
static time_t ca_next(struct daemon *d, struct ca_state *ca)
{
	time_t next = 0, quiet = ca_quiet_until(d, ca);

	if (ca->checking || ca->ari == CA_NO_ARI)
		return 0;
	if (quiet > time(NULL))
		return quiet;
	if (ca->ari == CA_UNKNOWN)
		return ca->next_probe > 0 ? ca->next_probe : 1;
	for (size_t i = 0; i < d->index.n; i++) {
		struct lineage_entry *e = &d->index.v[i];

		if (schedulable(e) && e->cert.ari_id[0] && streq(e->conf.server, ca->server) &&
		    e->cert.not_after > time(NULL))
			next = earlier(next, e->sched.ari_next_check > 0 ? e->sched.ari_next_check : 1);
	}
	return next;
}

static void arm(struct daemon *d, time_t next)
{
	struct itimerspec its = { 0 };
	time_t now = time(NULL);
	char when[32];

	d->sched.next_wake = next;
	if (next > now) {
		its.it_value.tv_sec = next - now;
		timefmt_format_rfc3339(next, when, sizeof(when));
		log_debug("next wake-up at %s (in %lld s)", when, (long long)its.it_value.tv_sec);
	} else if (next > 0) {
		/* 0 would disarm it: a moment already past fires at once. */
		its.it_value.tv_nsec = 1;
		log_debug("next wake-up: now");
	} else {
		log_debug("nothing to wake up for");
	}
	if (d->sched.timer_w.fd >= 0)
		timerfd_settime(d->sched.timer_w.fd, 0, &its, NULL);
}

static bool cas_settled(const struct daemon *d);

void sched_update(struct daemon *d)
{
	time_t next = 0;
	/* --oneshot renews only once every CA has answered: until then only
	 * the CAs' times count, or a due lineage would fire the timer in a loop. */
	bool renewals = !d->oneshot || cas_settled(d);

	if (d->oneshot && d->sched.oneshot_started)
		return;
	for (size_t i = 0; i < d->index.n; i++) {
		struct lineage_entry *e = &d->index.v[i];

		if (renewals && schedulable(e) && !job_busy(d, e->name) && !waiting_for_ca(d, e))
			next = earlier(next, sched_renew_at(d, e));
		if (schedulable(e))
			ca_get(d, e->conf.server); /* know every CA in use */
		/* Expiry warnings come whether or not the lineage is renewed. */
		if (!d->oneshot)
			next = earlier(next, alert_next(d, e));
	}
	for (struct ca_state *ca = d->sched.cas; ca; ca = ca->next)
		next = earlier(next, ca_next(d, ca));
	/* --oneshot decides as soon as the CAs have answered. */
	if (d->oneshot && cas_settled(d))
		next = 1;
	arm(d, next);
}

/* ---- ARI ---- */

static void ari_event(struct daemon *d, void *ctx, int id, struct json_object *ev)
{
	(void)id;
	if (streq(jobj_str(ev, "event"), "ari"))
		sched_ari_event(d, ctx, ev);
}

static void ari_done(struct daemon *d, void *ctx, int id, struct json_object *reply)
{
	(void)id;
	sched_ari_done(d, ctx, reply);
}

/* An ARI check of the N certificates NAMES[i] (ARI IDs IDS[i]) at SERVER,
 * a CA's own string (struct ca_state lives until sched_fini(), after every
 * job is gone: the job's context needs no freeing, also when the job is
 * dropped at shutdown without its on_done). */
static int submit_ari(struct daemon *d, const char *server, char **names, char **ids, size_t n)
{
	struct json_object *args = json_object_new_object(), *nv = json_object_new_array();
	struct json_object *iv = json_object_new_array();
	char what[600];
	int r;

	for (size_t i = 0; nv && iv && i < n; i++) {
		json_object_array_add(nv, json_object_new_string(names[i]));
		json_object_array_add(iv, json_object_new_string(ids[i]));
	}
	json_object_object_add(args, "server", json_object_new_string(server));
	json_object_object_add(args, "names", nv);
	json_object_object_add(args, "ids", iv);
	snprintf(what, sizeof(what), ": ARI check of %zu certificate(s) at %s", n, server);
	r = job_submit(d, &(struct job_spec){ .kind = "ari", .label = "ari", .what = what,
					      .args = args, .server = server, .on_event = ari_event,
					      .on_done = ari_done, .ctx = (void *)server });
	json_object_put(args);
	return r;
}

/* Ask SERVER about the certificates of its lineages (all of them for a
 * probe, else those whose next check has come). */
static void start_ari_job(struct daemon *d, struct ca_state *ca, bool probe, time_t now)
{
	char **names = calloc(d->index.n + 1, sizeof(char *));
	char **ids = calloc(d->index.n + 1, sizeof(char *));
	size_t n = 0;

	for (size_t i = 0; names && ids && i < d->index.n; i++) {
		struct lineage_entry *e = &d->index.v[i];

		/* A lineage being renewed is asked about once it has its new
		 * certificate. */
		if (!schedulable(e) || !e->cert.ari_id[0] || !streq(e->conf.server, ca->server) ||
		    e->cert.not_after <= now || (!probe && e->sched.ari_next_check > now) ||
		    job_busy(d, e->name))
			continue;
		names[n] = strdup(e->name);
		ids[n] = strdup(e->cert.ari_id);
		if (!names[n] || !ids[n]) {
			free(names[n]);
			free(ids[n]);
			break;
		}
		n++;
	}
	if (!names || !ids || (!probe && n == 0)) {
		strv_free(names, n);
		strv_free(ids, n);
		return;
	}
	if (submit_ari(d, ca->server, names, ids, n) < 0) {
		log_error("could not queue an ARI check for %s", ca->server);
		ca->next_probe = now + CA_PROBE_RETRY;
	} else {
		ca->checking = true;
	}
	strv_free(names, n);
	strv_free(ids, n);
}

static void start_ari_checks(struct daemon *d, time_t now)
{
	for (struct ca_state *ca = d->sched.cas; ca; ca = ca->next) {
		if (ca->checking || ca->ari == CA_NO_ARI || ca_quiet_until(d, ca) > now)
			continue;
		if (ca->ari == CA_UNKNOWN && ca->next_probe <= now)
			start_ari_job(d, ca, true, now);
		else if (ca->ari == CA_ARI)
			start_ari_job(d, ca, false, now);
	}
}

static long clamp_recheck(long retry_after)
{
	if (retry_after < 0)
		return ARI_DEFAULT_RECHECK;
	if (retry_after < ARI_MIN_RECHECK)
		return ARI_MIN_RECHECK;
	return retry_after > ARI_MAX_RECHECK ? ARI_MAX_RECHECK : retry_after;
}

/* A new window gets a new random moment in it (RFC 9773 section 4.2); the
 * same window keeps the moment already chosen. */
static void take_window(struct lineage_entry *e, time_t start, time_t end, time_t now)
{
	struct entry_sched *sc = &e->sched;
	char a[32], b[32], at[32];
	time_t span;

	if (sc->ari_valid && sc->ari_start == start && sc->ari_end == end)
		return;
	sc->ari_valid = true;
	sc->ari_start = start;
	sc->ari_end = end;
	span = end - start < UINT32_MAX - 1 ? end - start : UINT32_MAX - 1;
	sc->ari_pick = start + (time_t)arc4random_uniform((uint32_t)span + 1);
	/* A window already past, or closing: renew now. */
	if (end <= now || sc->ari_pick < now)
		sc->ari_pick = now;
	timefmt_format_rfc3339(start, a, sizeof(a));
	timefmt_format_rfc3339(end, b, sizeof(b));
	timefmt_format_rfc3339(sc->ari_pick, at, sizeof(at));
	log_job(LOG_LVL_INFO, 0, e->name,
		"%s: the CA suggests renewing between %s and %s; renewing at %s", e->name, a, b,
		at);
}

/* One certificate's ARI answer from an ARI job against SERVER. */
static void sched_ari_event(struct daemon *d, const char *server, struct json_object *ev)
{
	struct lineage_entry *e = index_get(&d->index, jobj_str(ev, "name"));
	const char *error = jobj_str(ev, "error"), *expl = jobj_str(ev, "explanation");
	time_t now = time(NULL);

	/* An answer about a certificate the lineage no longer has (it was
	 * renewed meanwhile) must not schedule the new one. */
	if (!e || !streq(e->conf.server, server) || !e->have_cert ||
	    !streq(e->cert.ari_id, jobj_str(ev, "cert_id")))
		return;
	free(e->sched.ari_error);
	e->sched.ari_error = xstrdup(error);
	free(e->sched.ari_explanation);
	e->sched.ari_explanation = xstrdup(expl);
	e->sched.ari_next_check = now + clamp_recheck((long)jobj_int(ev, "retry_after", -1));
	if (error) {
		/* Malformed or missing: the rule of renew_before_expiry holds. */
		e->sched.ari_valid = false;
		return;
	}
	take_window(e, (time_t)jobj_int(ev, "start", 0), (time_t)jobj_int(ev, "end", 0), now);
}

/* An ARI job against SERVER ended with REPLY. */
static void sched_ari_done(struct daemon *d, const char *server, struct json_object *reply)
{
	struct ca_state *ca = ca_get(d, server);
	struct json_object *ari;
	time_t now = time(NULL);

	if (!ca)
		return;
	ca->checking = false;
	if (jobj_int(reply, "status", -1) == 0 && json_object_object_get_ex(reply, "ari", &ari)) {
		ca->ari = json_object_get_boolean(ari) ? CA_ARI : CA_NO_ARI;
		log_info("%s %s ARI (renewalInfo)", server,
			 ca->ari == CA_ARI ? "offers" : "does not offer");
	} else {
		/* Try again later; meanwhile renew by the rule. */
		ca->next_probe = now + CA_PROBE_RETRY;
		for (size_t i = 0; i < d->index.n; i++) {
			struct entry_sched *sc = &d->index.v[i].sched;

			if (streq(d->index.v[i].conf.server, server) && sc->ari_next_check <= now)
				sc->ari_next_check = now + CA_PROBE_RETRY;
		}
	}
	d->dirty = true;
}

/* ---- results of renewals ---- */

/* A worker that died before it could count its failure: count it here.
 * False if the renewal file cannot be written: then it is counted in memory
 * only, so a full disk does not turn into a stream of requests to the CA. */
static bool record_failure(struct daemon *d, const char *name, struct json_object *reply)
{
	struct json_object *err = NULL;
	struct lineage_entry *e = index_get(&d->index, name);
	const char *msg;
	char why[512];
	time_t now = time(NULL), retry_after = jobj_time(reply, "retry_after");

	json_object_object_get_ex(reply, "error", &err);
	msg = jobj_str(err, "message") ? jobj_str(err, "message") : "the renewal failed";
	if (store_renewal_record_failure(d->store, name, now, msg, retry_after, NULL, why,
					 sizeof(why)) == 0)
		return true;
	log_job(LOG_LVL_ERROR, 0, name, "%s: could not record the failure: %s", name, why);
	if (e)
		renewal_state_fail(&e->conf.state, now, msg, retry_after);
	return false;
}

/* How long the timer leaves a certificate that was due the moment it was
 * issued: renewing it again would give one just like it. */
#define SKEW_HOLD (24L * 3600)

/* After a renewal: a certificate due at once means this host's clock and
 * the CA's disagree by about the time it was due early; say so, and hold. */
static void check_skew(struct daemon *d, struct lineage_entry *e)
{
	time_t now = time(NULL);
	char nb[32], na[32], clock[32], until[32];

	if (!e || !sched_due(d, e, now))
		return;
	e->sched.hold_until = now + SKEW_HOLD;
	timefmt_format_rfc3339(e->cert.not_before, nb, sizeof(nb));
	timefmt_format_rfc3339(e->cert.not_after, na, sizeof(na));
	timefmt_format_rfc3339(now, clock, sizeof(clock));
	timefmt_format_rfc3339(e->sched.hold_until, until, sizeof(until));
	log_job(LOG_LVL_WARNING, 0, e->name,
		"%s: the certificate just issued (valid %s to %s) is due for renewal already "
		"by this host's clock (%s): is the clock wrong? Not renewing it again before %s",
		e->name, nb, na, clock, until);
}

void sched_new_version(struct daemon *d, const char *name)
{
	struct lineage_entry *e = index_get(&d->index, name);

	check_skew(d, e);
	if (e)
		e->sched.last_success = time(NULL);
}

/* A renewal of E was cancelled (nothing of it recorded): the timer, which
 * would start it again at once, leaves it alone for CANCEL_HOLD; acmectl
 * renew may run it before. In memory only: a restart forgets it. */
#define CANCEL_HOLD 3600L

static void hold_cancelled(struct lineage_entry *e)
{
	char until[32];

	if (!e)
		return;
	e->sched.hold_until = time(NULL) + CANCEL_HOLD;
	timefmt_format_rfc3339(e->sched.hold_until, until, sizeof(until));
	log_job(LOG_LVL_INFO, 0, e->name, "%s: its renewal was cancelled; not renewing it on "
					  "its own before %s", e->name, until);
}

static void hold_free(struct ca_hold *h)
{
	if (h) {
		free(h->server);
		free(h->name);
	}
	free(h);
}

/* Remember (UNTIL > 0) or forget NAME's hold at SERVER. */
static void set_hold(struct daemon *d, const char *server, const char *name, time_t until)
{
	struct ca_hold **pp = &d->sched.holds, *h;

	while (*pp && !(streq((*pp)->server, server) && streq((*pp)->name, name)))
		pp = &(*pp)->next;
	h = *pp;
	if (h && until <= 0) {
		*pp = h->next;
		hold_free(h);
		return;
	}
	if (!h && until > 0) {
		h = calloc(1, sizeof(*h));
		if (!h || !(h->server = strdup(server)) || !(h->name = strdup(name))) {
			hold_free(h);
			return;
		}
		*pp = h;
	}
	if (h)
		h->until = until;
}

time_t sched_ca_hold(struct daemon *d, const char *server, const char *name, time_t now)
{
	const struct lineage_entry *e = index_get(&d->index, name);
	time_t until = 0;

	for (const struct ca_hold *h = d->sched.holds; h; h = h->next)
		if (streq(h->server, server) && streq(h->name, name))
			until = h->until;
	if (e && e->have_conf && streq(e->conf.server, server) &&
	    e->conf.state.retry_after > until)
		until = e->conf.state.retry_after;
	return until > now ? until : 0;
}

/* Cluster mode: the job placed no order (another host holds the lock, this
 * host installs the cluster's version first, or the cluster backs off).
 * The timer leaves the lineage until the job's "until"; the watcher's
 * install or acmectl renew may come before. */
static bool deferred(struct lineage_entry *e, struct json_object *reply)
{
	struct json_object *data = NULL;
	char until[32];

	if (!json_object_object_get_ex(reply, "data", &data) || !jobj_str(data, "deferred"))
		return false;
	if (e) {
		/* A longer hold stays (a version installed meanwhile that is
		 * due at once by this clock: check_skew()). */
		if (jobj_time(data, "until") > e->sched.hold_until)
			e->sched.hold_until = jobj_time(data, "until");
		timefmt_format_rfc3339(e->sched.hold_until, until, sizeof(until));
		log_job(LOG_LVL_INFO, 0, e->name, "%s: no order from this host: %s; looking again "
						  "at %s",
			e->name, jobj_str(data, "deferred"), until);
	}
	return true;
}

void sched_job_result(struct daemon *d, const char *name, struct json_object *reply,
		      bool record_fail)
{
	struct lineage_entry *e = name ? index_get(&d->index, name) : NULL;
	struct json_object *ari;
	int prev_failures = e && e->have_conf ? e->conf.state.failures : 0;
	bool ok = jobj_int(reply, "status", -1) == 0;

	if (e && e->have_conf && json_object_object_get_ex(reply, "ari", &ari)) {
		struct ca_state *ca = ca_get(d, e->conf.server);

		if (ca && !ca->checking)
			ca->ari = json_object_get_boolean(ari) ? CA_ARI : CA_NO_ARI;
	}
	/* certonly's own: a Retry-After held until then, a success forgets it. */
	if (!record_fail && name && jobj_str(reply, "server"))
		set_hold(d, jobj_str(reply, "server"), name,
			 jobj_int(reply, "status", -1) != 0 ? jobj_time(reply, "retry_after") : 0);
	if (jobj_int(reply, "status", -1) == 0 && deferred(e, reply))
		return;
	/* A cancelled job changed nothing, the failure count neither. */
	if (record_fail && e && e->have_conf && jobj_int(reply, "status", -1) != 0 &&
	    jobj_int(reply, "status", -1) != ACMED_ECANCELLED &&
	    !json_object_object_get_ex(reply, "failure_recorded", NULL) &&
	    !record_failure(d, name, reply)) {
		metrics_count_renewal(d, false);
		alert_job_result(d, name, prev_failures, reply);
		return;
	}
	if (name && index_refresh(&d->index, d->store, name) < 0)
		log_job(LOG_LVL_WARNING, 0, name, "could not refresh the index for %s", name);
	if (name && jobj_int(reply, "status", -1) == ACMED_ECANCELLED)
		hold_cancelled(index_get(&d->index, name));
	if (name && ok)
		check_skew(d, index_get(&d->index, name));
	if (name && ok && (e = index_get(&d->index, name)))
		e->sched.last_success = time(NULL);
	metrics_count_renewal(d, ok);
	alert_job_result(d, name, prev_failures, reply);
}

/* ---- the timer ---- */

static void start_due(struct daemon *d, time_t now)
{
	struct batch_opts opts = { .kind = BATCH_TIMER, .directory_hooks = d->cfg.directory_hooks,
				   .on_result = sched_job_result, .on_done = sched_batch_done };
	struct batch *b = NULL;

	for (size_t i = 0; i < d->index.n; i++) {
		struct lineage_entry *e = &d->index.v[i];
		struct issue_req req;
		char due[32];

		if (!schedulable(e) || job_busy(d, e->name) || waiting_for_ca(d, e) ||
		    !timer_due(d, e, now))
			continue;
		if (!b && !(b = batch_new(d, NULL, &opts)))
			return;
		if (issue_req_from_renewal(&e->conf, &req) < 0)
			continue;
		req.replaces = xstrdup(e->cert.ari_id[0] ? e->cert.ari_id : NULL); /* same CA */
		req.from_version = e->version;
		timefmt_format_rfc3339(e->cert.not_after, due, sizeof(due));
		log_job(LOG_LVL_INFO, 0, e->name, "%s is due for renewal (expires %s%s)", e->name,
			due, e->conf.state.failures ? ", retrying after a failure" : "");
		if (batch_add(d, b, &req) < 0)
			issue_req_clear(&req);
	}
	if (b) {
		d->sched.oneshot_started = d->oneshot;
		batch_start(d, b);
	} else if (d->oneshot) {
		log_info("--oneshot: no certificate is due for renewal");
		d->oneshot_done = true;
	}
}

/* --oneshot renews once every CA's ARI support (and windows) are known,
 * or cannot be asked for now. */
static bool cas_settled(const struct daemon *d)
{
	for (const struct ca_state *ca = d->sched.cas; ca; ca = ca->next)
		if (ca->checking || (ca->ari == CA_UNKNOWN && ca->next_probe == 0 &&
				     ca_quiet_until(d, ca) <= time(NULL)))
			return false;
	return true;
}

static void sched_run(struct daemon *d)
{
	time_t now = time(NULL);

	if (d->oneshot && d->sched.oneshot_started)
		return;
	sched_update(d); /* learns the CAs in use */
	alert_check(d, now);
	start_ari_checks(d, now);
	if (!d->oneshot || cas_settled(d))
		start_due(d, now);
	d->dirty = true;
}

/* A batch the timer started ended with FAILURES failed renewals or hooks
 * (with --oneshot the daemon then exits). */
static void sched_batch_done(struct daemon *d, unsigned failures)
{
	if (!d->oneshot)
		return;
	if (failures)
		d->exit_code = 1;
	d->oneshot_done = true;
}

static void on_timer(struct daemon *d, struct watch *w, uint32_t events)
{
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	sched_run(d);
}

/* A far-off absolute CLOCK_REALTIME timer with TFD_TIMER_CANCEL_ON_SET
 * never fires, but its read fails with ECANCELED whenever the wall clock
 * is set (NTP step, an administrator): due times are wall-clock times, so
 * the sleep is recomputed. */
static int arm_clock_watch(int fd)
{
	struct itimerspec its = { .it_value.tv_sec = time(NULL) + 10L * 366 * 86400 };

	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0
		       ? -errno
		       : 0;
}

static void on_clock_set(struct daemon *d, struct watch *w, uint32_t events)
{
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == ECANCELED) {
		log_info("the system clock was set; recomputing renewal times");
		arm_clock_watch(w->fd);
		d->dirty = true;
	}
}

int sched_init(struct daemon *d)
{
	struct sched_state *s = &d->sched;

	s->timer_w = (struct watch){ timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK),
				     on_timer };
	s->clock_w = (struct watch){ timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK),
				     on_clock_set };
	if (s->timer_w.fd < 0 || s->clock_w.fd < 0 || arm_clock_watch(s->clock_w.fd) < 0 ||
	    daemon_watch(d, &s->timer_w, EPOLLIN) < 0 || daemon_watch(d, &s->clock_w, EPOLLIN) < 0)
		return -errno;
	/* The first pass: probe the CAs, renew what is already due. */
	arm(d, 1);
	return 0;
}

void sched_fini(struct daemon *d)
{
	struct sched_state *s = &d->sched;

	for (struct watch *w = &s->timer_w; w <= &s->clock_w; w++) {
		if (w->fd >= 0) {
			daemon_unwatch(d, w);
			close(w->fd);
			w->fd = -1;
		}
	}
	while (s->holds) {
		struct ca_hold *h = s->holds;

		s->holds = h->next;
		hold_free(h);
	}
	while (s->cas) {
		struct ca_state *ca = s->cas;

		s->cas = ca->next;
		free(ca->server);
		free(ca);
	}
}
