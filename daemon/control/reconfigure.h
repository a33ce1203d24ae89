/* reconfigure, the daemon's half: certbot's `reconfigure` (certbot 2.3 and
 * later). A lineage's saved settings are changed without a new certificate,
 * and only once a dry run with the new settings succeeded. */
#pragma once

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Answer C's reconfigure request ARGS (borrowed): certonly's options and
 * "cert_name", "domains" refused. The reply is the dry run's, with
 * "changes" (setting, old, new) once the renewal file was rewritten; a
 * failed dry run leaves the file as it was and says why. */
void reconfigure_command(struct daemon *d, struct conn *c, struct json_object *args);
