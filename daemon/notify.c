#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/jobs/job.h"
#include "log.h"
#include "daemon/cluster.h"
#include "daemon/notify.h"
#include "daemon/renew/alert.h"
#include "daemon/renew/scheduler.h"
#include "text.h"
#include "util.h"

static char last_status[1024];

static void on_watchdog(struct daemon *d, struct watch *w, uint32_t events)
{
	uint64_t ticks;

	/* Sent from the loop: a loop that hangs stops sending, and systemd
	 * restarts the service. */
	if (read(w->fd, &ticks, sizeof(ticks)) > 0)
		sd_notify(0, "WATCHDOG=1");
}

int notify_init(struct daemon *d)
{
	uint64_t usec = 0;
	struct itimerspec its;

	d->watchdog_w.fd = -1;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	usec /= 2;
	its.it_value.tv_sec = (time_t)(usec / 1000000);
	its.it_value.tv_nsec = (long)(usec % 1000000) * 1000;
	its.it_interval = its.it_value;
	d->watchdog_w = (struct watch){ timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
					on_watchdog };
	if (d->watchdog_w.fd < 0 || timerfd_settime(d->watchdog_w.fd, 0, &its, NULL) < 0)
		return -errno;
	log_debug("watchdog: pinging every %llu ms", (unsigned long long)usec / 1000);
	return daemon_watch(d, &d->watchdog_w, EPOLLIN);
}

void notify_fini(struct daemon *d)
{
	if (d->watchdog_w.fd >= 0) {
		daemon_unwatch(d, &d->watchdog_w);
		close(d->watchdog_w.fd);
		d->watchdog_w.fd = -1;
	}
}

/* "renewing 2 of 3: a.example, b.example" from the jobs. */
static bool jobs_status(struct daemon *d, char *buf, size_t len)
{
	struct json_object *jobs = job_list_json(d);
	size_t running = 0, total = 0, pos;

	for (size_t i = 0; i < json_object_array_length(jobs); i++) {
		struct json_object *j = json_object_array_get_idx(jobs, i), *v;

		if (json_object_object_get_ex(j, "kind", &v) &&
		    (streq(json_object_get_string(v), "renew") ||
		     streq(json_object_get_string(v), "certonly"))) {
			total++;
			running += json_object_object_get_ex(j, "started", NULL);
		}
	}
	pos = (size_t)snprintf(buf, len, "renewing %zu of %zu", running, total);
	for (size_t i = 0, shown = 0; i < json_object_array_length(jobs) && pos < len; i++) {
		struct json_object *j = json_object_array_get_idx(jobs, i), *v;

		if (!json_object_object_get_ex(j, "started", NULL) ||
		    !json_object_object_get_ex(j, "name", &v))
			continue;
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", shown++ ? ", " : ": ",
					json_object_get_string(v));
	}
	json_object_put(jobs);
	return total > 0;
}

/* How long a failing lineage's reason may be in STATUS=, which systemctl
 * status shows on one line. */
#define REASON_MAX 120

/* ", 1 failing (a.example: why)" or ", 3 failing (a.example: why; and 2
 * more)" from the lineages whose last renewal failed; "" if none. */
static void failing_status(const struct daemon *d, char *buf, size_t len)
{
	const struct lineage_entry *first = NULL;
	char why[REASON_MAX + 4], more[32] = "";
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->index.n; i++) {
		const struct lineage_entry *e = &d->index.v[i];

		if (e->have_conf && e->conf.state.failures > 0 && !n++)
			first = e;
	}
	if (!first)
		return;
	snprintf(why, sizeof(why), "%s", str_or_empty(first->conf.state.last_error));
	if (strlen(why) > REASON_MAX)
		strcpy(why + REASON_MAX - 3, "...");
	text_clean(why); /* one line, as every notification field must be */
	if (n > 1)
		snprintf(more, sizeof(more), "; and %zu more", n - 1);
	snprintf(buf, len, ", %zu failing (%s: %s%s)", n, first->name, why, more);
}

static void format_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/* ", a.example expires 2026-12-20 03:14 UTC (and 1 more)" for the lineage
 * that expires first among those past a warning threshold (alert.h); ""
 * if none. */
static void expiring_status(const struct daemon *d, char *buf, size_t len)
{
	const struct lineage_entry *first = NULL;
	time_t now = time(NULL);
	char when[64], more[48] = "";
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->index.n; i++) {
		const struct lineage_entry *e = &d->index.v[i];

		if (alert_level_of(d, e, now) < ALERT_LEVEL_WARNING)
			continue;
		n++;
		if (!first || e->cert.not_after < first->cert.not_after)
			first = e;
	}
	if (!first)
		return;
	format_utc(first->cert.not_after, when, sizeof(when));
	if (n > 1)
		snprintf(more, sizeof(more), " (and %zu more)", n - 1);
	snprintf(buf, len, ", %s %s %s%s", first->name,
		 first->cert.not_after <= now ? "expired" : "expires", when, more);
}

void notify_status(struct daemon *d)
{
	char buf[sizeof(last_status)], when[64], failing[400], expiring[400];
	const struct lineage_entry *first = NULL;
	time_t first_at = 0;

	if (!jobs_status(d, buf, sizeof(buf))) {
		for (size_t i = 0; i < d->index.n; i++) {
			time_t at = sched_renew_at(d, &d->index.v[i]);

			if (at > 0 && (!first || at < first_at)) {
				first = &d->index.v[i];
				first_at = at;
			}
		}
		if (first)
			format_utc(first_at, when, sizeof(when));
		failing_status(d, failing, sizeof(failing));
		expiring_status(d, expiring, sizeof(expiring));
		snprintf(buf, sizeof(buf), "%zu certificate%s%s%s, %s%s%s%s", d->index.n,
			 d->index.n == 1 ? "" : "s", failing, expiring,
			 first ? "next renewal " : "no renewal scheduled", first ? first->name : "",
			 first ? " at " : "", first ? when : "");
	}
	/* Cluster mode without etcd: said first, it is what matters most. */
	if (cluster_down(d)) {
		static const char head[] = "etcd unreachable: serving what is here; ";
		size_t room = sizeof(buf) - sizeof(head);

		buf[room] = '\0'; /* what follows the head is cut to fit */
		memmove(buf + sizeof(head) - 1, buf, strlen(buf) + 1);
		memcpy(buf, head, sizeof(head) - 1);
	}
	if (streq(buf, last_status))
		return;
	snprintf(last_status, sizeof(last_status), "%s", buf);
	sd_notifyf(0, "STATUS=%s", buf);
}

void notify_ready(struct daemon *d)
{
	notify_status(d);
	sd_notify(0, "READY=1");
}

void notify_reloading(void)
{
	struct timespec now;
	unsigned long long usec;

	/* MONOTONIC_USEC: what systemd 253's Type=notify-reload asks for. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	usec = (unsigned long long)now.tv_sec * 1000000 + (unsigned long long)now.tv_nsec / 1000;
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
