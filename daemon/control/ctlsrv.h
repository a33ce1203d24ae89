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

/* Queue a frame to C (takes no reference to FRAME). */
void conn_send(struct conn *c, struct json_object *frame);
/* Queue the final reply; the connection closes once it is written. */
void conn_finish(struct conn *c, struct json_object *reply);
/* Final replies: {"status":ERR,"error":{"code","message"}}, or
 * {"status":0,"data":DATA} (DATA is taken over). */
void conn_reply_error(struct conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conn_reply_data(struct conn *c, struct json_object *data);
