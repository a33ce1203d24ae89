#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ctlproto.h"
#include "daemon/control/commands.h"
#include "daemon/control/conn.h"
#include "daemon/control/ctlsrv.h"
#include "daemon/control/listen.h"
#include "daemon/control/peer.h"
#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

/* A client waiting for a job hears at least this often that acmed is alive
 * (acmectl gives up after --timeout seconds of silence). */
#define CONN_KEEPALIVE_SECONDS 15

/* Changing state takes an administrator (root, the daemon's user or
 * admin_group); reading, a member of read_group at least. */
static bool authorised(const struct conn *c, int cmd)
{
	if (ctl_cmds[cmd].flags & CMD_MUTATES)
		return c->peer.role == PEER_ADMIN;
	return c->peer.role >= PEER_READER;
}

static void stop_timer(struct conn *c)
{
	if (c->timer_w.fd >= 0) {
		daemon_unwatch(c->d, &c->timer_w);
		close(c->timer_w.fd);
		c->timer_w.fd = -1;
	}
}

/* While a command runs (it may stream for as long as its job), the client
 * gets {"event":"keepalive"} every CONN_KEEPALIVE_SECONDS. */
static void on_keepalive(struct daemon *d, struct watch *w, uint32_t events)
{
	struct conn *c = container_of(w, struct conn, timer_w);
	struct json_object *ev = json_object_new_object();
	uint64_t n;

	(void)d;
	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	json_object_object_add(ev, "event", json_object_new_string("keepalive"));
	if (!c->closing)
		conn_send(c, ev); /* may close C */
	json_object_put(ev);
}

static void start_keepalive(struct daemon *d, struct conn *c)
{
	struct itimerspec its = { .it_value.tv_sec = CONN_KEEPALIVE_SECONDS,
				  .it_interval.tv_sec = CONN_KEEPALIVE_SECONDS };

	stop_timer(c);
	c->timer_w = (struct watch){ timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
				     on_keepalive };
	if (c->timer_w.fd >= 0 && (timerfd_settime(c->timer_w.fd, 0, &its, NULL) < 0 ||
				   daemon_watch(d, &c->timer_w, EPOLLIN) < 0)) {
		close(c->timer_w.fd);
		c->timer_w.fd = -1;
	}
}

/* A string holding a NUL byte would be cut short where C reads it: a
 * name, a path or a hook that is not what the client sent. */
static bool has_nul(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (has_nul(json_object_array_get_idx(o, i)))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (has_nul(val))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

static void dispatch(struct daemon *d, struct conn *c, struct json_object *req)
{
	struct json_object *v, *args = NULL;
	const char *name;
	int cmd;

	c->got_request = true;
	start_keepalive(d, c);
	if (!json_object_object_get_ex(req, "v", &v) || json_object_get_int(v) != CTL_VERSION) {
		conn_reply_error(c, ACMED_EUSAGE, "unsupported protocol version (this acmed speaks %d)",
				 CTL_VERSION);
		return;
	}
	name = jobj_str(req, "cmd");
	cmd = name ? ctl_cmd_lookup(name) : -1;
	if (cmd < 0) {
		conn_reply_error(c, ACMED_EUSAGE, "unknown command '%s'", name ? name : "");
		return;
	}
	if (!authorised(c, cmd)) {
		const char *admin = d->cfg.admin_group;

		log_warning("refused %s from uid %u (pid %d): not an administrator", name,
			    (unsigned)c->peer.uid, (int)c->peer.pid);
		if (admin && *admin)
			conn_reply_error(c, -EPERM,
					 "permission denied: %s changes state and needs root or a "
					 "member of group %s (admin_group in acmed.conf); ask an "
					 "administrator to add you (usermod -aG %s USER, then log in "
					 "again), or use sudo",
					 name, admin, admin);
		else
			conn_reply_error(c, -EPERM,
					 "permission denied: %s changes state and needs root; use "
					 "sudo, or have an administrator set admin_group in "
					 "acmed.conf to a group of yours and reload acmed",
					 name);
		return;
	}
	json_object_object_get_ex(req, "args", &args);
	if (args && !json_object_is_type(args, json_type_object)) {
		conn_reply_error(c, ACMED_EUSAGE, "args must be an object");
		return;
	}
	if (args && has_nul(args)) {
		conn_reply_error(c, ACMED_EUSAGE, "a string in the request holds a NUL byte");
		return;
	}
	log_debug("%s from uid %u (pid %d)", name, (unsigned)c->peer.uid, (int)c->peer.pid);
	commands_run(d, c, cmd, args);
}

static void on_conn(struct daemon *d, struct watch *w, uint32_t events)
{
	struct conn *c = container_of(w, struct conn, w);
	struct json_object *req = NULL;
	char buf[4096];
	ssize_t n;
	int r;

	if (events & EPOLLOUT) {
		conn_flush(c);
		return;
	}
	n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	if (c->got_request)
		return; /* one request per connection; the rest is ignored */
	r = ctl_reader_feed(&c->in, buf, (size_t)n);
	if (r == 0)
		r = ctl_reader_next(&c->in, &req);
	if (r < 0) {
		c->got_request = true;
		stop_timer(c);
		if (r == -EMSGSIZE)
			conn_reply_error(c, r, "request larger than %d bytes", CTL_MAX_FRAME);
		else
			conn_reply_error(c, ACMED_EUSAGE, "malformed request");
		return;
	}
	if (r == 1) {
		dispatch(d, c, req);
		json_object_put(req);
	}
}

/* A client that has not sent its whole request in time is dropped: it
 * holds a slot and could hold them all. */
static void on_conn_timeout(struct daemon *d, struct watch *w, uint32_t events)
{
	struct conn *c = container_of(w, struct conn, timer_w);

	log_warning("control client pid %d sent no whole request within %ld s; dropping it",
		    (int)c->peer.pid, d->cfg.client_timeout);
	conn_close(c);
}

static int start_timer(struct daemon *d, struct conn *c)
{
	struct itimerspec its = { .it_value.tv_sec = d->cfg.client_timeout };

	c->timer_w = (struct watch){ timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
				     on_conn_timeout };
	if (c->timer_w.fd < 0 || timerfd_settime(c->timer_w.fd, 0, &its, NULL) < 0 ||
	    daemon_watch(d, &c->timer_w, EPOLLIN) < 0)
		return -errno;
	return 0;
}

/* Tell a client refused at accept why, if its socket takes the few bytes
 * at once (a fresh one does); never wait for it. */
static void refuse_busy(int fd, int max)
{
	struct json_object *reply;
	char msg[128], *buf;
	size_t len;

	snprintf(msg, sizeof(msg), "acmed is serving %d clients already (max_clients); try again",
		 max);
	reply = ctl_error_reply(-EBUSY, "busy", msg);
	if (ctl_reply_encode(reply, &buf, &len) == 0) {
		if (send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_debug("could not tell a refused client why: %s", strerror(errno));
		free(buf);
	}
	json_object_put(reply);
}

/* Out of descriptors, a pending connection would wake the loop again and
 * again: one is kept in reserve to accept it and close it at once. */
static int spare_fd = -1;

static void shed_connection(int listen_fd)
{
	int fd;

	if (spare_fd < 0)
		return;
	close(spare_fd);
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void on_accept(struct daemon *d, struct watch *w, uint32_t events)
{
	struct conn *c;
	int fd;

	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warning("out of file descriptors: refusing a control client");
			shed_connection(w->fd);
		}
		return;
	}
	/* Beyond max_clients a connection is closed at once: the clients
	 * already there, and the jobs, go on undisturbed. */
	if (d->nconns >= (unsigned)d->cfg.max_clients) {
		time_t now = time(NULL);

		if (now != d->last_refusal)
			log_warning("more than %d control clients at once; refusing more",
				    d->cfg.max_clients);
		d->last_refusal = now;
		refuse_busy(fd, d->cfg.max_clients);
		conn_drain(fd);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->d = d;
	c->w = (struct watch){ fd, on_conn };
	c->timer_w.fd = -1;
	if (peer_get(fd, d->read_gid, d->admin_gid, &c->peer) < 0 ||
	    daemon_watch(d, &c->w, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = d->conns;
	d->conns = c;
	d->nconns++;
	/* Who may not even read is told so before a byte of the request is read. */
	if (c->peer.role == PEER_NONE) {
		log_warning("refused a control client: uid %u (pid %d) is neither root nor in the "
			    "read or admin group", (unsigned)c->peer.uid, (int)c->peer.pid);
		c->got_request = true;
		conn_reply_error(c, -EPERM, "permission denied: acmed answers root and the members "
					    "of group %s only",
				 d->cfg.read_group && *d->cfg.read_group ? d->cfg.read_group : "(none)");
		return;
	}
	if (start_timer(d, c) < 0)
		conn_close(c);
}

int ctlsrv_open(struct daemon *d, char *err, size_t errlen)
{
	int r = listen_open(d->cfg.socket_path, d->read_gid, &d->listener, err, errlen);

	if (r < 0)
		return r;
	d->listen_w = (struct watch){ d->listener.fd, on_accept };
	return daemon_watch(d, &d->listen_w, EPOLLIN);
}

void ctlsrv_close(struct daemon *d)
{
	while (d->conns)
		conn_close(d->conns);
	if (d->listen_w.fd >= 0) {
		daemon_unwatch(d, &d->listen_w);
		d->listen_w.fd = -1;
	}
	listen_close(&d->listener, d->cfg.socket_path);
}
