#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "daemon/cluster.h"
#include "daemon/control/conn.h"
#include "daemon/control/status.h"
#include "daemon/jobs/job.h"
#include "daemon/metrics.h"
#include "daemon/renew/alert.h"
#include "daemon/renew/hooks.h"
#include "daemon/renew/scheduler.h"
#include "jsonutil.h"
#include "store/store.h"

/* How urgent lineage E is for `status --check` (alert.h): a lineage past
 * its renewal time is not overdue while its renewal is under way or the
 * scheduler's moment for it (jitter, ARI window, backoff) has not come; one
 * the scheduler leaves alone (autorenew off, quarantined) is. */
static enum alert_level status_level(struct daemon *d, struct lineage_entry *e, time_t now)
{
	enum alert_level l = alert_level_of(d, e, now);

	if (l == ALERT_LEVEL_OVERDUE && (job_busy(d, e->name) || sched_renew_at(d, e) > now))
		return ALERT_LEVEL_OK;
	return l;
}

/* The lineages past their renewal time, as "attention": [{name, level,
 * not_after}], level "overdue", "warning" or "critical". */
static void status_attention(struct daemon *d, struct json_object *data)
{
	static const char *const names[] = { [ALERT_LEVEL_OVERDUE] = "overdue",
					      [ALERT_LEVEL_WARNING] = "warning",
					      [ALERT_LEVEL_CRITICAL] = "critical" };
	struct json_object *list = json_object_new_array();
	time_t now = time(NULL);

	for (size_t i = 0; i < d->index.n; i++) {
		struct lineage_entry *e = &d->index.v[i];
		enum alert_level l = status_level(d, e, now);
		struct json_object *o;

		if (l == ALERT_LEVEL_OK)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(e->name));
		json_object_object_add(o, "level", json_object_new_string(names[l]));
		json_object_object_add(o, "not_after", jobj_new_time(e->cert.not_after));
		json_object_array_add(list, o);
	}
	json_object_object_add(data, "attention", list);
}

/* The lineage renewed next, and those whose last renewals failed. */
static void status_lineages(struct daemon *d, struct json_object *data)
{
	struct json_object *failing = json_object_new_array(), *next = NULL;
	struct lineage_entry *first = NULL;
	time_t first_at = 0;

	for (size_t i = 0; i < d->index.n; i++) {
		struct lineage_entry *e = &d->index.v[i];
		time_t at = sched_renew_at(d, e);

		if (at > 0 && (!first || at < first_at)) {
			first = e;
			first_at = at;
		}
		if (e->have_conf && e->conf.state.failures > 0) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(e->name));
			json_object_object_add(o, "failures",
					       json_object_new_int(e->conf.state.failures));
			if (e->conf.state.last_error)
				json_object_object_add(o, "last_error",
						       json_object_new_string(e->conf.state.last_error));
			json_object_object_add(o, "next_attempt",
					       jobj_new_time(e->conf.state.next_attempt));
			json_object_array_add(failing, o);
		}
	}
	if (first) {
		next = json_object_new_object();
		json_object_object_add(next, "name", json_object_new_string(first->name));
		json_object_object_add(next, "at", jobj_new_time(first_at));
		json_object_object_add(data, "next_renewal", next);
	}
	json_object_object_add(data, "failing", failing);
}

void cmd_status(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct json_object *data = json_object_new_object(), *hist;

	json_object_object_add(data, "version", json_object_new_string(ACMED_VERSION));
	json_object_object_add(data, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(data, "started", jobj_new_time(d->started));
	json_object_object_add(data, "uptime", json_object_new_int64(time(NULL) - d->started));
	json_object_object_add(data, "state_dir", json_object_new_string(store_dir(d->store)));
	json_object_object_add(data, "server", json_object_new_string(d->cfg.server));
	json_object_object_add(data, "certificates", json_object_new_int((int)d->index.n));
	json_object_object_add(data, "jobs_running", json_object_new_int((int)d->running));
	json_object_object_add(data, "jobs_queued",
			       json_object_new_int((int)(job_count(d) - d->running)));
	json_object_object_add(data, "hooks_pending", json_object_new_int((int)hooks_pending(d)));
	json_object_object_add(data, "jobs", job_list_json(d));
	hist = job_history_json(d);
	json_object_object_add(data, "recent_jobs",
			       hist ? json_object_get(hist) : json_object_new_array());
	if (sched_next_wake(d) > time(NULL))
		json_object_object_add(data, "next_wakeup", jobj_new_time(sched_next_wake(d)));
	status_lineages(d, data);
	status_attention(d, data);
	if (cluster_active(d))
		json_object_object_add(data, "cluster", cluster_status_json(d));
	conn_reply_data(c, data);
}

/* The Prometheus text (metrics.h), as "text". */
void cmd_metrics(struct daemon *d, struct conn *c, struct json_object *args)
{
	size_t len;
	char *text = metrics_text(d, &len);
	struct json_object *data;

	if (!text) {
		conn_reply_error(c, -ENOMEM, "out of memory");
		return;
	}
	data = json_object_new_object();
	json_object_object_add(data, "text", json_object_new_string_len(text, (int)len));
	free(text);
	conn_reply_data(c, data);
}

