#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "build-config.h"
#include "daemon/jobs/job.h"
#include "daemon/cluster.h"
#include "daemon/metrics.h"
#include "daemon/renew/alert.h"
#include "daemon/renew/hooks.h"
#include "daemon/renew/scheduler.h"
#include "fsutil.h"
#include "log.h"
#include "util.h"

_Static_assert(HOOK__MAX == METRICS_HOOK_KINDS, "a counter for every hook kind");
_Static_assert(ALERT__MAX == METRICS_ALERT_EVENTS, "a counter for every alert event");

static const char *const hook_results[METRICS_HOOK_RESULTS] = { "success", "failure",
								 "timeout" };

void metrics_count_renewal(struct daemon *d, bool ok)
{
	d->counters.renewals[ok ? 0 : 1]++;
}

void metrics_count_hook(struct daemon *d, int kind, int result)
{
	if (kind >= 0 && kind < METRICS_HOOK_KINDS && result >= 0 && result < METRICS_HOOK_RESULTS)
		d->counters.hooks[kind][result]++;
}

void metrics_count_materialised(struct daemon *d)
{
	d->counters.materialised++;
}

void metrics_count_alert(struct daemon *d, int event)
{
	if (event >= 0 && event < METRICS_ALERT_EVENTS)
		d->counters.alerts[event]++;
}

/* The upper bounds of the request latency histogram's buckets, seconds. */
static const double req_bounds[METRICS_REQ_BUCKETS] = { 0.05, 0.1, 0.25, 0.5, 1,
							2.5,  5,   10,   30,  60 };

/* An endpoint label from a job: letters only, else "other". */
static const char *endpoint_label(const char *s)
{
	size_t n = 0;

	for (; s && s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')))
			return "other";
	return n > 0 && n < sizeof(((struct metrics_requests *)0)->endpoint) ? s : "other";
}

void metrics_count_request(struct daemon *d, const char *endpoint, int status, double seconds)
{
	struct metrics_counters *c = &d->counters;
	struct metrics_requests *r = NULL;
	size_t b = 0;

	endpoint = endpoint_label(endpoint);
	if (status < 0 || status > 599)
		status = 0;
	for (size_t i = 0; i < c->nrequests && !r; i++)
		if (c->requests[i].status == status && streq(c->requests[i].endpoint, endpoint))
			r = &c->requests[i];
	if (!r && c->nrequests == METRICS_REQ_SERIES)
		return; /* a CA answering with every status there is: enough */
	if (!r) {
		r = &c->requests[c->nrequests++];
		snprintf(r->endpoint, sizeof(r->endpoint), "%s", endpoint);
		r->status = status;
	}
	r->count++;
	r->sum += seconds > 0 ? seconds : 0;
	while (b < METRICS_REQ_BUCKETS && seconds > req_bounds[b])
		b++;
	if (b < METRICS_REQ_BUCKETS)
		r->buckets[b]++;
}

/* ---- the text ---- */

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One gauge of a lineage: its value in *V, or false if it has none. */
struct lineage_metric {
	const char *name, *help;
	bool (*value)(struct daemon *d, struct lineage_entry *e, long long *v);
};

static bool m_not_after(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = e->cert.not_after;
	return e->have_cert;
}

static bool m_not_before(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = e->cert.not_before;
	return e->have_cert;
}

static bool m_next_renewal(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = sched_renew_at(d, e);
	return *v > 0;
}

static bool m_last_success(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = e->sched.last_success ? e->sched.last_success : e->cert.not_before;
	return e->have_cert;
}

static bool m_last_attempt(struct daemon *d, struct lineage_entry *e, long long *v)
{
	if (e->have_conf && e->conf.state.failures > 0 && e->conf.state.last_attempt > 0) {
		*v = e->conf.state.last_attempt;
		return true;
	}
	return m_last_success(d, e, v);
}

static bool m_failures(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = e->have_conf ? e->conf.state.failures : 0;
	return e->have_conf;
}

static bool m_ari_start(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = e->sched.ari_start;
	return e->sched.ari_valid;
}

static bool m_ari_end(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = e->sched.ari_end;
	return e->sched.ari_valid;
}

static bool m_renewing(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = e->have_conf && !e->conf.no_autorenew && !e->conf.revoked;
	return true;
}

static bool m_alert_level(struct daemon *d, struct lineage_entry *e, long long *v)
{
	*v = alert_level_of(d, e, time(NULL));
	return e->have_cert;
}

#define CERT "acmed_certificate_"
static const struct lineage_metric lineage_metrics[] = {
	{ CERT "not_after_timestamp_seconds", "When the current certificate expires.",
	  m_not_after },
	{ CERT "not_before_timestamp_seconds", "When the current certificate became valid.",
	  m_not_before },
	{ CERT "next_renewal_timestamp_seconds",
	  "When the timer renews the lineage (absent: it does not).", m_next_renewal },
	{ CERT "last_success_timestamp_seconds",
	  "The last successful renewal this daemon saw, else the certificate's notBefore.",
	  m_last_success },
	{ CERT "last_attempt_timestamp_seconds",
	  "The last renewal attempt: the last failed one, else the last success.",
	  m_last_attempt },
	{ CERT "consecutive_failures", "Failed renewal attempts in a row.", m_failures },
	{ CERT "ari_window_start_timestamp_seconds", "Start of the CA's suggested renewal window.",
	  m_ari_start },
	{ CERT "ari_window_end_timestamp_seconds", "End of the CA's suggested renewal window.",
	  m_ari_end },
	{ CERT "autorenew", "1 if the timer renews the lineage (0: autorenew off, revoked, or "
			    "its renewal file quarantined).", m_renewing },
	{ CERT "alert_level", "0 ok, 1 past its renewal time, 2 past an expiry warning "
			      "threshold, 3 past the last threshold or expired.", m_alert_level },
};
#undef CERT

static void lineage_families(struct daemon *d, FILE *f)
{
	for (size_t k = 0; k < ELEMENTSOF(lineage_metrics); k++) {
		const struct lineage_metric *m = &lineage_metrics[k];

		family(f, m->name, "gauge", m->help);
		for (size_t i = 0; i < d->index.n; i++) {
			struct lineage_entry *e = &d->index.v[i];
			long long v;

			if (!m->value(d, e, &v))
				continue;
			fprintf(f, "%s{name=\"", m->name);
			put_label(f, e->name);
			fprintf(f, "\"} %lld\n", v);
		}
	}
}

static void counter_families(struct daemon *d, FILE *f)
{
	const struct metrics_counters *c = &d->counters;

	family(f, "acmed_renewals_total", "counter",
	       "Renewals and issuances finished since start, by result.");
	fprintf(f, "acmed_renewals_total{result=\"success\"} %lu\n", c->renewals[0]);
	fprintf(f, "acmed_renewals_total{result=\"failure\"} %lu\n", c->renewals[1]);
	family(f, "acmed_hook_runs_total", "counter", "Hooks run since start, by kind and result.");
	for (int k = 0; k < METRICS_HOOK_KINDS; k++)
		for (int r = 0; r < METRICS_HOOK_RESULTS; r++)
			fprintf(f, "acmed_hook_runs_total{kind=\"%s\",result=\"%s\"} %lu\n",
				hook_kind_names[k], hook_results[r], c->hooks[k][r]);
	family(f, "acmed_alerts_total", "counter", "Alerts raised since start, by event.");
	for (int a = 0; a < METRICS_ALERT_EVENTS; a++)
		fprintf(f, "acmed_alerts_total{event=\"%s\"} %lu\n", alert_event_names[a],
			c->alerts[a]);
	if (!d->cluster)
		return;
	family(f, "acmed_cluster_materialised_total", "counter",
	       "Versions other hosts of the cluster published, switched to here since start.");
	fprintf(f, "acmed_cluster_materialised_total %lu\n", c->materialised);
	family(f, "acmed_cluster_etcd_up", "gauge",
	       "1 while etcd answers this host's watcher, 0 while it does not.");
	fprintf(f, "acmed_cluster_etcd_up %d\n", cluster_down(d) ? 0 : 1);
}

static void request_family(struct daemon *d, FILE *f)
{
	const char *name = "acmed_acme_request_duration_seconds";

	family(f, name, "histogram",
	       "Requests the jobs made to ACME servers, by endpoint and HTTP status (0: no "
	       "answer), and how long they took.");
	for (size_t i = 0; i < d->counters.nrequests; i++) {
		const struct metrics_requests *r = &d->counters.requests[i];
		unsigned long cum = 0;

		for (size_t b = 0; b < METRICS_REQ_BUCKETS; b++) {
			cum += r->buckets[b];
			fprintf(f, "%s_bucket{endpoint=\"%s\",status=\"%d\",le=\"%g\"} %lu\n", name,
				r->endpoint, r->status, req_bounds[b], cum);
		}
		fprintf(f, "%s_bucket{endpoint=\"%s\",status=\"%d\",le=\"+Inf\"} %lu\n", name,
			r->endpoint, r->status, r->count);
		fprintf(f, "%s_sum{endpoint=\"%s\",status=\"%d\"} %.6f\n", name, r->endpoint,
			r->status, r->sum);
		fprintf(f, "%s_count{endpoint=\"%s\",status=\"%d\"} %lu\n", name, r->endpoint,
			r->status, r->count);
	}
}

static void daemon_families(struct daemon *d, FILE *f)
{
	family(f, "acmed_build_info", "gauge", "The running acmed's version.");
	fprintf(f, "acmed_build_info{version=\"%s\"} 1\n", ACMED_VERSION);
	family(f, "acmed_start_time_seconds", "gauge", "When the daemon started.");
	fprintf(f, "acmed_start_time_seconds %lld\n", (long long)d->started);
	family(f, "acmed_certificates", "gauge", "Lineages, quarantined ones included.");
	fprintf(f, "acmed_certificates %zu\n", d->index.n);
	family(f, "acmed_jobs_running", "gauge", "Jobs running.");
	fprintf(f, "acmed_jobs_running %u\n", d->running);
	family(f, "acmed_jobs_queued", "gauge", "Jobs waiting for a free slot.");
	fprintf(f, "acmed_jobs_queued %u\n", job_count(d) - d->running);
}

char *metrics_text(struct daemon *d, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	daemon_families(d, f);
	counter_families(d, f);
	request_family(d, f);
	lineage_families(d, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

/* ---- metrics_file ---- */

static void write_file(struct daemon *d)
{
	size_t len;
	char *text = metrics_text(d, &len);
	int r = text ? fs_write_path(d->cfg.metrics_file, text, len, 0644, 0) : -ENOMEM;

	if (r < 0)
		log_error("metrics_file %s: cannot write it: %s", d->cfg.metrics_file,
			  strerror(-r));
	free(text);
}

static void on_file_timer(struct daemon *d, struct watch *w, uint32_t events)
{
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	write_file(d);
}

static void file_stop(struct daemon *d)
{
	struct watch *w = &d->metrics.file_w;

	if (w->fd < 0)
		return;
	daemon_unwatch(d, w);
	close(w->fd);
	w->fd = -1;
}

/* Write the file now, then every metrics_interval (a periodic timer: no
 * other wake-up). */
static int file_start(struct daemon *d)
{
	struct watch *w = &d->metrics.file_w;
	struct itimerspec its = { .it_value.tv_nsec = 1,
				  .it_interval.tv_sec = d->cfg.metrics_interval };

	if (w->fd < 0) {
		*w = (struct watch){ timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
				     on_file_timer };
		if (w->fd < 0 || daemon_watch(d, w, EPOLLIN) < 0) {
			int r = -errno;

			if (w->fd >= 0)
				close(w->fd);
			w->fd = -1;
			return r;
		}
	}
	return timerfd_settime(w->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int metrics_apply(struct daemon *d)
{
	int r = 0, q;

	if (d->cfg.metrics_file && (r = file_start(d)) < 0)
		log_error("metrics_file: cannot set its timer up: %s", strerror(-r));
	else if (!d->cfg.metrics_file)
		file_stop(d);
	if (d->metrics.listening && !streq(d->metrics.listening, d->cfg.metrics_listen))
		metrics_http_close(d);
	if (d->cfg.metrics_listen && !d->metrics.listening &&
	    (q = metrics_http_open(d, d->cfg.metrics_listen)) < 0) {
		log_error("metrics_listen %s: cannot listen there: %s", d->cfg.metrics_listen,
			  strerror(-q));
		r = r < 0 ? r : q;
	}
	return r;
}

void metrics_fini(struct daemon *d)
{
	file_stop(d);
	metrics_http_close(d);
}
