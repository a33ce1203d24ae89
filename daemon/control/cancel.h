/* acmectl cancel, the daemon's half: stop a job and answer once it ended. */
#pragma once

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Answer C's cancel request ARGS (borrowed): {"job": ID} or {"name":
 * LINEAGE}. The reply comes when the job has ended: {"cancelled": true,
 * "job", "kind", "name"}; or an error: no such job ("not-found"), too late
 * ("busy", "not-cancellable"), or it finished first ("finished"). */
void cancel_command(struct daemon *d, struct conn *c, struct json_object *args);
/* Answer C's continue request ARGS, {"job": ID}: the job, which waits for
 * its user (certonly --manual without hooks), goes on. {"continued":
 * true, "job"}, or an error: no such job, or it waits for nothing. */
void continue_command(struct daemon *d, struct conn *c, struct json_object *args);
