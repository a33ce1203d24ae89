/* A batch: the jobs started by one timer wake-up or one command, and the
 * hooks around them (DESIGN.md, "Hooks"). The pre hooks run once before
 * the first job may start, the deploy hooks after each lineage update, the
 * post hooks once after the last job; identical commands run once. Hooks
 * come from renewal-hooks/{pre,deploy,post}/ (executables, byte order; not
 * for certonly, as in certbot), then acmed.conf, then each lineage's
 * renewal file, then the command; a hook the command gives takes the place
 * of the lineages' saved ones of its kind, as in certbot. A batch without
 * jobs runs no hooks. */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/renew/hooks.h"
#include "issue_req.h"

enum batch_kind { BATCH_CERTONLY, BATCH_RENEW, BATCH_TIMER };

struct batch_opts {
	enum batch_kind kind;
	bool dry_run;                 /* no deploy hooks; nothing saved */
	bool directory_hooks;         /* run renewal-hooks/ */
	const char *hooks[HOOK_BATCH__MAX]; /* the command's --pre-hook etc., or NULL */
	int verbosity;                /* acmectl -v: the jobs send their log lines */
	/* Each job's result (its lineage NAME, NULL for --csr), before the batch
	 * records it: with RECORD_FAILURE a failure counts for the backoff. */
	void (*on_result)(struct daemon *d, const char *name, struct json_object *reply,
			  bool record_failure);
	/* The batch is done, with FAILURES failed renewals or hooks. */
	void (*on_done)(struct daemon *d, unsigned failures);
	/* After on_result, with CTX: may change REPLY, which for certonly is
	 * what the client is sent. CTX is the batch's from batch_new() on, and
	 * CTX_FREE (if not NULL) frees it with the batch. */
	void (*on_job)(struct daemon *d, void *ctx, const char *name, struct json_object *reply);
	void *ctx;
	void (*ctx_free)(void *ctx);
};

/* A new batch (in d->batches) that answers CLIENT (NULL: nobody) when it
 * is done. NULL on allocation failure (O->ctx is then the caller's). */
struct batch *batch_new(struct daemon *d, struct conn *client, const struct batch_opts *o);
/* Add a job for REQ (moved; left empty on success). 0 or -errno. */
int batch_add(struct daemon *d, struct batch *b, struct issue_req *req);
/* Drop B, to which no job was added (an error came first). */
void batch_abandon(struct daemon *d, struct batch *b);
/* Record a lineage the batch did not attempt, under KEY ("not_due",
 * "skipped" or "failed"); INFO is moved. */
void batch_note(struct batch *b, const char *key, struct json_object *info);
/* Run the pre hooks, then release the jobs. A batch without jobs is
 * answered at once. B may be gone when this returns. */
void batch_start(struct daemon *d, struct batch *b);
/* Shutdown: drop every batch unanswered. */
void batch_free_all(struct daemon *d);
