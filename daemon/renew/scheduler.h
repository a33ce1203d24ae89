/* The renewal scheduler (DESIGN.md, "When to renew"): it knows when each
 * lineage is due, sleeps until the earliest such moment on one timerfd (no
 * polling), starts a batch of renewals for what is due, learns from each
 * result (failure backoff, Retry-After) and asks CAs that offer ARI for
 * their suggested windows. */
#pragma once

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/index.h"

/* ARI answers are asked for again after their Retry-After, clamped to this
 * range; without one, after ARI_DEFAULT_RECHECK. */
#define ARI_MIN_RECHECK 60
#define ARI_MAX_RECHECK (12 * 3600)
#define ARI_DEFAULT_RECHECK (6 * 3600)
/* A CA whose directory could not be read is asked again after this. */
#define CA_PROBE_RETRY 3600

int sched_init(struct daemon *d);
void sched_fini(struct daemon *d);

/* Recompute the next wake-up and arm the timer: after anything that changes
 * when a lineage is due or whether it may start. O(lineages). */
void sched_update(struct daemon *d);

/* When the timer will renew E (with its jitter, ARI window, backoff and
 * Retry-After), or 0 if it will not (no readable certificate). */
time_t sched_renew_at(const struct daemon *d, struct lineage_entry *e);
/* True if E is due at NOW for `acmectl renew`: as sched_renew_at() but
 * without the jitter and without the backoff (the administrator asked). */
bool sched_due(const struct daemon *d, const struct lineage_entry *e, time_t now);
/* When the timer fires next (0: not armed). */
time_t sched_next_wake(const struct daemon *d);

/* An issuance or renewal of NAME ended with REPLY. With RECORD_FAILURE a
 * failure counts for the backoff (in the renewal file and in memory). The
 * index is refreshed. */
void sched_job_result(struct daemon *d, const char *name, struct json_object *reply,
		      bool record_failure);

/* Until when the CA at SERVER asked (Retry-After) that NAME not be asked
 * for again: a certonly it refused (kept in memory: there may be no
 * renewal file to keep it in), or the lineage's recorded Retry-After. 0
 * if it did not, or that time is past NOW. */
/* NAME has a new version made elsewhere (cluster mode: another host
 * renewed it): as after a renewal here, a certificate due at once by this
 * host's clock is held, not renewed again. */
void sched_new_version(struct daemon *d, const char *name);
time_t sched_ca_hold(struct daemon *d, const char *server, const char *name, time_t now);
