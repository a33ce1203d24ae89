/* metrics_listen: a tiny HTTP/1.x server in the event loop for Prometheus.
 * It answers GET /metrics and nothing else, reads at most one request
 * head of METRICS_HTTP_HEAD_MAX bytes, keeps at most METRICS_HTTP_CONNS
 * connections and closes any that takes longer than METRICS_HTTP_TIMEOUT
 * seconds in all; every socket is non-blocking, so a slow or hostile
 * client never holds the loop. Idle, it costs no wake-up: the listening
 * socket waits in epoll. */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "log.h"
#include "util.h"

#define METRICS_HTTP_CONNS 8
#define METRICS_HTTP_HEAD_MAX 4096
#define METRICS_HTTP_TIMEOUT 10

struct metrics_conn {
	struct metrics_conn *next;
	struct watch w;       /* the connection */
	struct watch timer_w; /* its deadline */
	char head[METRICS_HTTP_HEAD_MAX + 1];
	size_t headlen;
	char *out; /* the response, once the request is read */
	size_t outlen, outpos;
};

static void watch_close(struct daemon *d, struct watch *w)
{
	if (w->fd >= 0) {
		daemon_unwatch(d, w);
		close(w->fd);
		w->fd = -1;
	}
}

static void conn_close(struct daemon *d, struct metrics_conn *c)
{
	struct metrics_conn **pp;

	for (pp = &d->metrics.conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	d->metrics.nconns--;
	watch_close(d, &c->w);
	watch_close(d, &c->timer_w);
	free(c->out);
	free(c);
}

/* The response to the request line LINE: the metrics for GET /metrics, a
 * short error for anything else. */
static int respond(struct daemon *d, struct metrics_conn *c, const char *line)
{
	const char *status = "200 OK", *type = "text/plain; version=0.0.4; charset=utf-8";
	char *body = NULL;
	size_t blen = 0;
	int n;

	if (strncmp(line, "GET ", 4) != 0) {
		status = "405 Method Not Allowed";
	} else if (strcmp(line + 4, "/metrics HTTP/1.1") != 0 &&
		   strcmp(line + 4, "/metrics HTTP/1.0") != 0) {
		status = "404 Not Found";
	} else if (!(body = metrics_text(d, &blen))) {
		status = "500 Internal Server Error";
	}
	if (!body) {
		type = "text/plain; charset=utf-8";
		body = strdup(status);
		blen = body ? strlen(body) : 0;
	}
	n = asprintf(&c->out, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			      "Connection: close\r\n\r\n%s",
		     status, type, blen, body ? body : "");
	free(body);
	if (n < 0) {
		c->out = NULL;
		return -ENOMEM;
	}
	c->outlen = (size_t)n;
	return daemon_rewatch(d, &c->w, EPOLLOUT);
}

/* Read what the client sent; at the end of the request head, answer. */
static void on_readable(struct daemon *d, struct metrics_conn *c)
{
	ssize_t n = read(c->w.fd, c->head + c->headlen, METRICS_HTTP_HEAD_MAX - c->headlen);
	char *eol;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(d, c);
		return;
	}
	c->headlen += (size_t)n;
	c->head[c->headlen] = '\0';
	if (!strstr(c->head, "\r\n\r\n") && !strstr(c->head, "\n\n")) {
		if (c->headlen == METRICS_HTTP_HEAD_MAX)
			conn_close(d, c); /* a head this long is no scrape */
		return;
	}
	eol = strpbrk(c->head, "\r\n");
	*eol = '\0';
	if (respond(d, c, c->head) < 0)
		conn_close(d, c);
}

static void on_writable(struct daemon *d, struct metrics_conn *c)
{
	ssize_t n = send(c->w.fd, c->out + c->outpos, c->outlen - c->outpos, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (c->outpos += (size_t)n) == c->outlen)
		conn_close(d, c);
}

static void on_conn(struct daemon *d, struct watch *w, uint32_t events)
{
	struct metrics_conn *c = container_of(w, struct metrics_conn, w);

	if (c->out)
		on_writable(d, c);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(d, c);
}

static void on_deadline(struct daemon *d, struct watch *w, uint32_t events)
{
	conn_close(d, container_of(w, struct metrics_conn, timer_w));
}

static void conn_new(struct daemon *d, int fd)
{
	struct metrics_conn *c = calloc(1, sizeof(*c));
	struct itimerspec its = { .it_value.tv_sec = METRICS_HTTP_TIMEOUT };

	if (!c) {
		close(fd);
		return;
	}
	c->w = (struct watch){ fd, on_conn };
	c->timer_w = (struct watch){ timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
				     on_deadline };
	c->next = d->metrics.conns;
	d->metrics.conns = c;
	d->metrics.nconns++;
	/* (A watch that failed is unwatched all the same: epoll ignores it.) */
	if (c->timer_w.fd < 0 || timerfd_settime(c->timer_w.fd, 0, &its, NULL) < 0 ||
	    daemon_watch(d, &c->timer_w, EPOLLIN) < 0 || daemon_watch(d, &c->w, EPOLLIN) < 0)
		conn_close(d, c);
}

static void on_accept(struct daemon *d, struct watch *w, uint32_t events)
{
	int fd;

	while ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (d->metrics.nconns >= METRICS_HTTP_CONNS) {
			close(fd); /* more scrapers at once than anyone needs */
			continue;
		}
		conn_new(d, fd);
	}
}

/* "HOST:PORT" or "[HOST]:PORT", numeric only: no name lookup that could
 * block. */
static int resolve(const char *address, struct addrinfo **ai)
{
	char host[256];
	const char *colon = strrchr(address, ':');
	size_t hlen = colon ? (size_t)(colon - address) : 0;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };

	if (!colon || hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	if (address[0] == '[' && hlen >= 2 && address[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hlen - 2, address + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, address);
	return getaddrinfo(host, colon + 1, &hints, ai) == 0 ? 0 : -EINVAL;
}

int metrics_http_open(struct daemon *d, const char *address)
{
	struct addrinfo *ai = NULL;
	int fd = -1, one = 1, r = resolve(address, &ai);

	if (r < 0)
		return r;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		goto out;
	}
	d->metrics.listen_w = (struct watch){ fd, on_accept };
	if ((r = daemon_watch(d, &d->metrics.listen_w, EPOLLIN)) < 0)
		goto out;
	if (!(d->metrics.listening = strdup(address))) {
		daemon_unwatch(d, &d->metrics.listen_w);
		r = -ENOMEM;
		goto out;
	}
	fd = -1;
	log_info("metrics: serving GET /metrics on %s", address);
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		d->metrics.listen_w.fd = -1;
	freeaddrinfo(ai);
	return r;
}

void metrics_http_close(struct daemon *d)
{
	while (d->metrics.conns)
		conn_close(d, d->metrics.conns);
	watch_close(d, &d->metrics.listen_w);
	free(d->metrics.listening);
	d->metrics.listening = NULL;
}
