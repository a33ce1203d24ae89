/* One issuance or renewal: the flow a job's process runs for a request
 * (issue_req.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "issue_req.h"

/* Run the issuance; progress events are written to EV_FD as JSON lines.
 * Returns the final reply object ({"status":...}); never NULL. Besides
 * "data" or "error" it may carry "retry_after" (the CA's Retry-After
 * deadline, epoch seconds) and "ari" (whether the CA's directory offers
 * renewalInfo), for the scheduler. */
struct json_object *issue_run(const struct issue_req *req, const struct acmed_config *cfg,
			      int ev_fd);

