/* The read-only commands about the daemon itself: `status` (with what
 * `status --check` needs) and `metrics`. */
#pragma once

#include <json-c/json.h>

#include "daemon/daemon.h"

void cmd_status(struct daemon *d, struct conn *c, struct json_object *args);
void cmd_metrics(struct daemon *d, struct conn *c, struct json_object *args);
