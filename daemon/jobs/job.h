/* Jobs: each issuance, renewal, ARI check or task (account, revoke, check,
 * repair) runs in a process of its own, started from its own executable,
 * acmed-job (daemon/worker/main.c), which reports progress as JSON lines
 * on a pipe (DESIGN.md, "Process model"). At most max_parallel_jobs run at
 * once; others wait in submission order. What a job is, and what becomes
 * of its events and its result, is its submitter's: the runner knows only
 * the spec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "daemon/daemon.h"

struct job_spec {
	const char *kind;         /* what acmed-job runs: "issue", "ari", "revoke",
				   * "account", "check" or "repair" */
	const char *label;        /* for `status`: "certonly", "renew", "ari", ... */
	const char *what;         /* for the log, after "job N started (worker PID)":
				   * "for a.example", ": revoke a.example" */
	struct json_object *args; /* what it is given (a reference is taken) */
	const char *name;         /* the lineage it works on (one job per
				   * lineage), or NULL */
	char *const *domains;     /* the names it orders, or NULL */
	size_t ndomains;
	const char *server;       /* the CA, for `status` (ARI checks) */
	bool may_register;        /* it registers an account at SERVER if there is
				   * none: while there is none, such jobs for
				   * SERVER take turns, so that they share the
				   * first one's account */
	int port;                 /* its standalone http-01 port: such jobs take
				   * turns; 0 for none */
	long extra_time;          /* seconds beyond job_timeout it may take */
	int verbosity;            /* > 0: its process also sends its log lines,
				   * debug ones too, as "log" events (acmectl -v) */
	/* May it start yet (a batch's pre hooks done)? NULL: at once. */
	bool (*may_start)(void *ctx);
	/* An event line of its process ({"event": ...}, not the result). */
	void (*on_event)(struct daemon *d, void *ctx, int id, struct json_object *ev);
	/* Its reply ({"status": ...}, never NULL), once; it is no longer in
	 * the runner's list then. */
	void (*on_done)(struct daemon *d, void *ctx, int id, struct json_object *reply);
	/* The job is dropped without a reply (shutdown): free what CTX holds.
	 * NULL: nothing to free. */
	void (*on_drop)(struct daemon *d, void *ctx);
	void *ctx;
};

/* Queue a job for SPEC (everything in it is copied or referenced). Jobs
 * start from job_start_queued(). The job's id, or -errno. */
int job_submit(struct daemon *d, const struct job_spec *spec);
/* Start queued jobs while slots are free. May finish jobs whose process
 * cannot be started. */
void job_start_queued(struct daemon *d);
/* True if any job of KIND is queued or running. */
bool job_any(const struct daemon *d, const char *kind);
/* True if a job (running or queued) works on lineage NAME. */
bool job_busy(const struct daemon *d, const char *name);
unsigned job_count(const struct daemon *d);
/* The lineage name of a queued or running job for exactly DOMAINS, or NULL. */
const char *job_name_for_domains(const struct daemon *d, char *const *domains, size_t n);
/* The jobs as JSON for `status`: id, kind, name or server, state,
 * started, step (the last progress message). Caller puts. */
struct json_object *job_list_json(const struct daemon *d);
/* Stop every job's process and drop every job (shutdown); on_done is not
 * called, on_drop is, and every job_cancel() waiter (CANCELLED false). */
void job_stop_all(struct daemon *d);

/* ---- cancelling (acmectl cancel) ---- */

/* Told once job ID ended after job_cancel(): CANCELLED, or false when it
 * finished (or failed) on its own first. */
typedef void (*job_cancel_fn)(struct daemon *d, void *ctx, int id, bool cancelled);

/* Cancel job ID. A queued one is dropped at once; a running one's process
 * gets SIGTERM and ends unless it has committed (worker/cancel.h). Its
 * reply, to its submitter, is an ACMED_ECANCELLED error ("code":
 * "cancelled"); `status` shows it so, and the log. FN(D, CTX, ...) is
 * called once the job has ended, maybe before this returns. 0; -ENOENT no
 * such job; -EBUSY too late: it commits (publishes, records its order),
 * or it is a revocation, an account change or a repair, which are not
 * cut off once running; -ENOMEM. */
int job_cancel(struct daemon *d, int id, job_cancel_fn fn, void *ctx);
/* Tell job ID's process, which waits for it (it sent a "manual" event:
 * certonly --manual without hooks), LINE ("continue"): 0; -ENOENT no such
 * job; -EAGAIN it waits for nothing; -errno. */
int job_tell(struct daemon *d, int id, const char *line);
/* Nobody will tell job ID anything any more (its client went away): a
 * process that waits for job_tell() reads the end of its input and fails. */
void job_hangup(struct daemon *d, int id);
/* The id of the job (running or queued) on lineage NAME, or 0. */
int job_id_for_name(const struct daemon *d, const char *name);
/* Job ID's label ("certonly", "renew", ...) and lineage (or NULL), both
 * borrowed until it ends; false if there is no such job. */
bool job_info(const struct daemon *d, int id, const char **label, const char **name);
/* The last jobs that ended, for `status`: id, kind, name, result ("done",
 * "failed", "cancelled"), finished, error. Borrowed; may be NULL. */
struct json_object *job_history_json(const struct daemon *d);
