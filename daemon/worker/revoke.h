/* Revocation (RFC 8555 section 7.6), the worker's side. */
#pragma once

#include <json-c/json.h>

#include "config.h"


/* The `revoke` task (job.h's task_fn): ARGS {"name" (a lineage: its current
 * certificate) or "cert" (PEM), "key" (PEM: sign with the certificate's
 * key instead of the account's), "reason", "server", "account"}. The
 * daemon marks a revoked lineage so in its renewal file when the task is
 * done (the worker writes nothing in the state directory). */
struct json_object *revoke_task(struct json_object *args, const struct acmed_config *cfg,
				int ev_fd);
