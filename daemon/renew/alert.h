/* Alerts: telling the administrator what needs attention (DESIGN.md,
 * "Telling the admin"). A renewal that failed (once per backoff step, not
 * at every retry), a certificate past its renewal time whose remaining
 * lifetime crosses a warning threshold (once per threshold and certificate,
 * recorded in the store so a restart does not repeat it; also for a
 * lineage with autorenew off or a quarantined one), a recovery after
 * failures, a revocation. Each is logged with ACMED_EVENT= and
 * ACMED_DAYS_LEFT= in the journal, runs the alert hooks (renewal-hooks/
 * alert/, acmed.conf's alert_hook, the lineage's alert_hook) through the
 * hook runner, and is mailed to alert_email through sendmail(8). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/index.h"

enum alert_event {
	ALERT_RENEWAL_FAILED,
	ALERT_EXPIRY_WARNING,
	ALERT_RENEWAL_RECOVERED,
	ALERT_REVOKED,
	ALERT_CLUSTER_UNREACHABLE, /* cluster mode: no etcd endpoint answers */
	ALERT_CLUSTER_RECOVERED,   /* it answers again */
	ALERT__MAX
};

/* "renewal-failed", "expiry-warning", "renewal-recovered", "revoked",
 * "cluster-unreachable", "cluster-recovered": ACMED_EVENT's values. */
extern const char *const alert_event_names[ALERT__MAX];

/* Below this lifetime a certificate is short-lived: its thresholds are a
 * quarter and an eighth of its lifetime. */
#define ALERT_SHORT_LIVED (10L * 86400)
#define ALERT_MAX_THRESHOLDS CONFIG_MAX_WARNINGS

/* The warning thresholds of a certificate valid from NOT_BEFORE to
 * NOT_AFTER, as seconds before NOT_AFTER, largest first, in OUT: CFG's
 * expiry_warnings (by default 14, 7, 3 and 1 day(s)), each only if under a
 * third of the lifetime; for a short-lived certificate a quarter and an
 * eighth of it (none when expiry_warnings is empty). The count. */
size_t alert_thresholds(const struct acmed_config *cfg, time_t not_before, time_t not_after,
			long out[ALERT_MAX_THRESHOLDS]);

/* Whether the FAILURES-th failure in a row starts a new backoff step (1
 * min, 10 min, 100 min, a day): only those are announced. */
bool alert_failure_step(int failures);

/* When E's next expiry threshold is to be announced (wall clock); after
 * the last, the moment it expires (nothing is announced, STATUS= changes);
 * 0 when none is left. The scheduler wakes for it. */
time_t alert_next(struct daemon *d, struct lineage_entry *e);

/* Announce every expiry threshold crossed by NOW and not announced yet. */
void alert_check(struct daemon *d, time_t now);

/* A renewal of NAME ended with REPLY; its lineage had PREV_FAILURES
 * failures in a row before (the index is already refreshed): announce a
 * failure that starts a new step, or a recovery. */
void alert_job_result(struct daemon *d, const char *name, int prev_failures,
		      struct json_object *reply);

/* Lineage NAME's certificate was revoked (REASON: "keycompromise"...). */
void alert_revoked(struct daemon *d, const char *name, const char *reason);

/* Cluster mode: etcd stopped answering (DOWN, ERROR what the watcher
 * last got) or answers again. Not about one lineage: logged with
 * ACMED_EVENT=, the alert hooks of renewal-hooks/alert/ and acmed.conf's
 * alert_hook run with ACMED_EVENT, ACMED_CLUSTER_HOST and (when down)
 * ACMED_LAST_ERROR, and the mail goes to alert_email. */
void alert_cluster(struct daemon *d, bool down, const char *error);

/* How urgent E is at NOW, for STATUS= and `status --check`. */
enum alert_level {
	ALERT_LEVEL_OK,
	ALERT_LEVEL_OVERDUE,  /* past its renewal time, no threshold crossed yet */
	ALERT_LEVEL_WARNING,  /* a warning threshold crossed */
	ALERT_LEVEL_CRITICAL, /* the last threshold crossed, or expired */
};
enum alert_level alert_level_of(const struct daemon *d, const struct lineage_entry *e, time_t now);
