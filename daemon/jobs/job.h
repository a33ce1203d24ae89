/* Jobs: each issuance, renewal, ARI check or task (account, revoke, check,
 * repair) runs in a forked worker process
 * that reports progress as JSON lines on a pipe (DESIGN.md, "Process
 * model"). At most max_parallel_jobs run at once; others wait in submission
 * order. An issuance belongs to a batch and starts only once the batch's
 * pre hooks are done. */
#pragma once

#include <stdbool.h>

#include "daemon/daemon.h"
#include "daemon/worker/issue.h"

struct batch;
struct conn;

/* A task a worker runs for a command (revoke, account, check...): ARGS as
 * the daemon checked them (borrowed), progress lines on EV_FD with
 * issue_progress(); returns the reply ({"status":...}), never NULL. */
typedef struct json_object *(*task_fn)(struct json_object *args, const struct acmed_config *cfg,
				       int ev_fd);
/* In the daemon once a task ended, before REPLY goes to the client: may act
 * on it (delete a revoked lineage, refresh the index) and add to it. */
typedef void (*task_done_fn)(struct daemon *d, struct json_object *args, struct json_object *reply);

/* Queue an issuance or renewal for REQ (moved into the job; REQ is left
 * empty) as part of batch B, which receives its progress and its result.
 * Returns the job id or -errno. */
int job_submit_issue(struct daemon *d, struct issue_req *req, struct batch *b);
/* Queue an ARI check against SERVER of the N certificates NAMES[i] with
 * ARI certificate IDs IDS[i] (both arrays move into the job). Results go to
 * sched_ari_event() and sched_ari_done(). Returns the job id or -errno. */
int job_submit_ari(struct daemon *d, const char *server, char **names, char **ids, size_t n);
/* Queue task FN with ARGS (a reference is taken) for CLIENT, which gets the
 * progress and the reply. WHAT names it in logs and status; NAME, if not
 * NULL, is the lineage it works on (so no renewal starts on it meanwhile).
 * DONE may be NULL. Returns the job id or -errno. */
int job_submit_task(struct daemon *d, const char *what, const char *name, task_fn fn,
		    task_done_fn done, struct json_object *args, struct conn *client);
/* CLIENT went away: its tasks go on, their events are dropped. */
void job_forget_client(struct daemon *d, struct conn *client);
/* Start queued jobs while slots are free. May finish jobs (and batches)
 * whose worker cannot be started. */
void job_start_queued(struct daemon *d);
/* True if any issuance or renewal is queued or running. */
bool job_renewing(const struct daemon *d);
/* True if a job (running or queued) works on lineage NAME. */
bool job_busy(const struct daemon *d, const char *name);
unsigned job_count(const struct daemon *d);
/* The lineage name of a queued or running job for exactly DOMAINS, or NULL. */
const char *job_name_for_domains(const struct daemon *d, char *const *domains, size_t n);
/* The jobs as JSON for `status`: id, kind, name or server, state,
 * started, step (the last progress message). Caller puts. */
struct json_object *job_list_json(const struct daemon *d);
/* Stop every worker and drop every job (daemon shutdown). */
void job_stop_all(struct daemon *d);
