/* A client of the control socket, as the commands see it (ctlsrv.c
 * accepts it and reads its one request): frames are queued to it without
 * ever blocking, the final reply closes it, and whoever answers through it
 * (a batch, a task) is told when it goes away. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "ctlproto.h"
#include "daemon/control/peer.h"
#include "daemon/daemon.h"

struct conn_close_fn {
	void (*fn)(struct daemon *d, void *ctx, struct conn *c);
	void *ctx;
};

struct conn {
	struct conn *next;
	struct watch w;
	struct watch timer_w; /* the whole request must arrive before it fires;
			       * once it has, the keepalive's period */
	struct daemon *d;
	struct ctl_reader in;
	char *out;
	size_t outlen; /* bytes in OUT */
	size_t outoff; /* of which sent: a reply of megabytes goes out in
			* pieces, and is not moved down after each */
	struct peer peer;
	bool got_request; /* one request per connection */
	bool closing;     /* close once OUT is written */
	struct conn_close_fn *on_close; /* told when C goes, last first */
	size_t nclose;
};

/* Queue a frame to C (takes no reference to FRAME). C may be closed (and
 * freed) before this returns, if the client is gone. */
void conn_send(struct conn *c, struct json_object *frame);
/* Queue the final reply; the connection closes once it is written. */
void conn_finish(struct conn *c, struct json_object *reply);
/* The same for a reply encoded already: R, BUF and LEN as
 * ctl_reply_encode_list() left them. BUF is taken over; R < 0 is answered
 * as a reply too long to send. */
void conn_finish_encoded(struct conn *c, int r, char *buf, size_t len);
/* Final replies: {"status":ERR,"error":{"code","message"}}, or
 * {"status":0,"data":DATA} (DATA is taken over). */
void conn_reply_error(struct conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conn_reply_data(struct conn *c, struct json_object *data);
/* Write what is queued; C is closed if it is finished and all is sent. */
void conn_flush(struct conn *c);
/* Close C now: tell those registered, unwatch, free. */
void conn_close(struct conn *c);
/* Read and drop what socket FD holds (at most 256 KiB): closing a Unix
 * socket with unread bytes resets it, and the client may lose the reply it
 * was sent. */
void conn_drain(int fd);
/* Call FN(D, CTX, C) when C closes (FN must not use C's queue any more);
 * conn_off_close() undoes it. 0 or -ENOMEM. */
int conn_on_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		  void *ctx);
void conn_off_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		    void *ctx);
