/* The control socket: accept clients, check who they are, read one request,
 * dispatch it through the command table, stream the replies. */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Listen on d->cfg.socket_path (a socket file left by a dead daemon is
 * replaced; a live daemon or a symlink at the path is an error). */
int ctlsrv_open(struct daemon *d, char *err, size_t errlen);
void ctlsrv_close(struct daemon *d);

