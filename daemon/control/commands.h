/* The control commands: what the daemon does for each verb of acmectl.
 * ctlsrv.c reads and authorises the request; these answer it. */
#pragma once

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Run command CMD (enum ctl_cmd) for client C with ARGS (borrowed; may be
 * NULL). The handler answers C itself, now or when its job is done. */
void commands_run(struct daemon *d, struct conn *c, int cmd, struct json_object *args);
