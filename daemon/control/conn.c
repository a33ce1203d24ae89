/* A client of the control socket, as the commands see it: frames queued
 * to it without blocking, the final reply, and who to tell when it goes. */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctlproto.h"
#include "daemon/control/conn.h"
#include "error.h"
#include "log.h"
#include "util.h"

/* A client this far behind is dropped: room for the longest reply and the
 * progress lines before it. */
#define CONN_MAX_QUEUED (CTL_MAX_REPLY + 1024 * 1024)


/* Closing a Unix socket with unread bytes in it resets the connection, and
 * the client may then lose the reply it was sent (a refusal of a request it
 * had not finished sending): read what is there first. */
void conn_drain(int fd)
{
	char buf[4096];

	for (int i = 0; i < 64 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

void conn_close(struct conn *c)
{
	struct daemon *d = c->d;
	struct conn **pp;

	/* Who answers through C (a batch, a task) hears it is gone. */
	while (c->nclose > 0) {
		struct conn_close_fn *f = &c->on_close[--c->nclose];

		f->fn(d, f->ctx, c);
	}
	free(c->on_close);
	daemon_unwatch(d, &c->w);
	conn_drain(c->w.fd);
	close(c->w.fd);
	if (c->timer_w.fd >= 0) {
		daemon_unwatch(d, &c->timer_w);
		close(c->timer_w.fd);
	}
	d->nconns--;
	for (pp = &d->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	ctl_reader_clear(&c->in);
	free(c->out);
	free(c);
	/* A listing of thousands of lineages is a reply of megabytes: once no
	 * client is left, give what it freed back to the system, so the
	 * daemon at rest stays small. */
	if (d->nconns == 0)
		malloc_trim(0);
}

void conn_flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->w.fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				daemon_rewatch(c->d, &c->w, EPOLLIN | EPOLLOUT);
				return;
			}
			conn_close(c); /* client gone */
			return;
		}
		c->outoff += (size_t)n;
	}
	c->outlen = c->outoff = 0;
	daemon_rewatch(c->d, &c->w, EPOLLIN);
	if (c->closing)
		conn_close(c);
}

static void send_too_long(struct conn *c)
{
	struct json_object *reply = ctl_error_reply(-EMSGSIZE, "system",
						    "the answer is longer than the control "
						    "protocol allows; ask for less (--cert-name)");

	conn_send(c, reply);
	json_object_put(reply);
}

/* Queue the LEN bytes of frame BUF (taken over) and write what the socket
 * takes now. */
static void conn_queue(struct conn *c, char *buf, size_t len)
{
	char *nout;

	if (c->outlen - c->outoff + len > CONN_MAX_QUEUED) {
		free(buf);
		log_warning("control client pid %d is not reading; dropping it", (int)c->peer.pid);
		c->closing = true;
		c->outlen = c->outoff = 0;
		conn_flush(c);
		return;
	}
	if (c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	if (c->outlen == 0) {
		/* Nothing waiting (the usual case): the frame is the queue, and a
		 * reply of megabytes is not copied again. */
		free(c->out);
		c->out = buf;
		c->outlen = len;
		conn_flush(c);
		return;
	}
	nout = realloc(c->out, c->outlen + len);
	if (nout) {
		memcpy(nout + c->outlen, buf, len);
		c->out = nout;
		c->outlen += len;
	}
	free(buf);
	conn_flush(c);
}

void conn_send(struct conn *c, struct json_object *frame)
{
	char *buf;
	size_t len;

	if (ctl_reply_encode(frame, &buf, &len) < 0) {
		/* A reply too long to send still ends the exchange. */
		if (c->closing && !json_object_object_get_ex(frame, "event", NULL))
			send_too_long(c);
		return;
	}
	conn_queue(c, buf, len);
}

void conn_finish_encoded(struct conn *c, int r, char *buf, size_t len)
{
	c->closing = true;
	if (r < 0) {
		free(buf);
		send_too_long(c);
		return;
	}
	conn_queue(c, buf, len);
}

void conn_finish(struct conn *c, struct json_object *reply)
{
	/* Set first: the flush inside conn_send may close and free C. */
	c->closing = true;
	conn_send(c, reply);
}

void conn_reply_error(struct conn *c, int err, const char *fmt, ...)
{
	struct json_object *reply;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply = ctl_error_reply(err, NULL, msg);
	conn_finish(c, reply);
	json_object_put(reply);
}

void conn_reply_data(struct conn *c, struct json_object *data)
{
	struct json_object *reply = json_object_new_object();

	json_object_object_add(reply, "status", json_object_new_int(0));
	json_object_object_add(reply, "data", data);
	conn_finish(c, reply);
	json_object_put(reply);
}


int conn_on_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		  void *ctx)
{
	struct conn_close_fn *v = realloc(c->on_close, (c->nclose + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	c->on_close = v;
	v[c->nclose++] = (struct conn_close_fn){ fn, ctx };
	return 0;
}

void conn_off_close(struct conn *c, void (*fn)(struct daemon *d, void *ctx, struct conn *c),
		    void *ctx)
{
	for (size_t i = 0; i < c->nclose; i++) {
		if (c->on_close[i].fn == fn && c->on_close[i].ctx == ctx) {
			c->on_close[i] = c->on_close[--c->nclose];
			return;
		}
	}
}
