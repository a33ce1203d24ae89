/* Jobs: each issuance runs in a forked worker process that reports progress
 * as JSON lines on a pipe (DESIGN.md, "Process model"). At most
 * max_parallel_jobs run at once; others wait in submission order. */
#pragma once

#include <stdbool.h>

#include "daemon.h"
#include "issue.h"

struct conn;

/* Queue an issuance for REQ (moved into the job; REQ is left empty). CLIENT
 * receives the progress events and the final reply. Returns the job id. */
int job_submit(struct daemon *d, struct issue_req *req, struct conn *client);
/* CLIENT went away: its jobs go on, their events are dropped. */
void job_forget_client(struct daemon *d, struct conn *client);
/* True if a job (running or queued) works on lineage NAME. */
bool job_busy(const struct daemon *d, const char *name);
unsigned job_count(const struct daemon *d);
/* The lineage name of a queued or running job for exactly DOMAINS, or NULL. */
const char *job_name_for_domains(const struct daemon *d, char *const *domains, size_t n);
/* Stop every worker and drop every job (daemon shutdown). */
void job_stop_all(struct daemon *d);
