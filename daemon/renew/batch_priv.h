/* What batch.c and batch_hooks.c share of a batch: its lineages, its
 * phase and counts (batch.c runs the phases and the jobs), and the hooks
 * each phase queues (batch_hooks.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/renew/batch.h"
#include "daemon/renew/hooks.h"

enum phase { PHASE_PRE, PHASE_JOBS, PHASE_POST, PHASE_DONE };

/* One lineage of the batch. */
struct item {
	int job;  /* its job's id */
	char *name;
	char *domains;           /* space-separated, for RENEWED_DOMAINS */
	char *hooks[HOOK_BATCH__MAX];  /* the lineage's own (renewal file or certonly) */
	bool renewed, failed;
};

struct batch {
	struct batch *next;
	int id;
	unsigned refs; /* callers inside; freed at PHASE_DONE when 0 */
	struct conn *client;
	/* As batch_new() was given them, but for opts.hooks (the caller's
	 * strings): cmd_hooks holds copies. */
	struct batch_opts opts;
	char *cmd_hooks[HOOK_BATCH__MAX];
	enum phase phase;
	struct item *items;
	size_t nitems;
	unsigned jobs_pending, hooks_pending, failures, hook_failures;
	struct json_object *renewed, *failed, *not_due, *skipped, *hooks;
	struct json_object *job_reply; /* certonly: the job's own reply */
};

/* The batch of id ID, or NULL once it is gone. */
struct batch *batch_by_id(struct daemon *d, int id);
/* Drop a reference; the batch is freed once done and unreferenced. */
void batch_unref(struct batch *b);
/* Move B on to its next phase if the current one is over. */
void batch_advance(struct daemon *d, struct batch *b);
/* A progress message to B's client, if it has one. */
void batch_progress(struct batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every hook of KIND for this batch (IT: one lineage's deploy hooks, after
 * the job that published DATA), in order: renewal-hooks/KIND/, acmed.conf,
 * the lineage(s), the command. */
void batch_queue_hooks(struct daemon *d, struct batch *b, enum hook_kind kind,
		       const struct item *it, struct json_object *data);
