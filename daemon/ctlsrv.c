#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "build-config.h"
#include "ctlproto.h"
#include "ctlsrv.h"
#include "error.h"
#include "fsutil.h"
#include "ident.h"
#include "issue.h"
#include "job.h"
#include "log.h"
#include "util.h"

#define CONN_MAX_QUEUED (1024 * 1024) /* a client this far behind is dropped */

struct conn {
	struct conn *next;
	struct watch w;
	struct daemon *d;
	struct ctl_reader in;
	char *out;
	size_t outlen;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool got_request; /* one request per connection */
	bool closing;     /* close once OUT is written */
};

typedef void (*cmd_handler)(struct daemon *d, struct conn *c, struct json_object *args);

static void conn_close(struct conn *c)
{
	struct daemon *d = c->d;
	struct conn **pp;

	job_forget_client(d, c);
	daemon_unwatch(d, &c->w);
	close(c->w.fd);
	for (pp = &d->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	ctl_reader_clear(&c->in);
	free(c->out);
	free(c);
}

static void conn_flush(struct conn *c)
{
	while (c->outlen > 0) {
		ssize_t n = send(c->w.fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

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
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	daemon_rewatch(c->d, &c->w, EPOLLIN);
	if (c->closing)
		conn_close(c);
}

void conn_send(struct conn *c, struct json_object *frame)
{
	char *buf, *nout;
	size_t len;

	if (ctl_frame_encode(frame, &buf, &len) < 0)
		return;
	if (c->outlen + len > CONN_MAX_QUEUED) {
		free(buf);
		log_warning("control client pid %d is not reading; dropping it", (int)c->pid);
		c->closing = true;
		c->outlen = 0;
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

void conn_finish(struct conn *c, struct json_object *reply)
{
	/* Set first: the flush inside conn_send may close and free C. */
	c->closing = true;
	conn_send(c, reply);
}

static void reply_error(struct conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(struct conn *c, int err, const char *fmt, ...)
{
	struct json_object *reply = json_object_new_object(), *e = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "code", json_object_new_string(acmed_errname(err)));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(reply, "status", json_object_new_int(err));
	json_object_object_add(reply, "error", e);
	conn_finish(c, reply);
	json_object_put(reply);
}

static void reply_data(struct conn *c, struct json_object *data)
{
	struct json_object *reply = json_object_new_object();

	json_object_object_add(reply, "status", json_object_new_int(0));
	json_object_object_add(reply, "data", data);
	conn_finish(c, reply);
	json_object_put(reply);
}

/* certbot's rule: --cert-name, else the lineage with exactly these domains,
 * else the first domain ("*." dropped), with -0001... on a collision. */
static int choose_name(struct daemon *d, struct issue_req *req, char *err, size_t errlen)
{
	const char *same = index_find_by_domains(&d->index, req->domains, req->ndomains);

	/* A job already working on exactly these domains holds their name. */
	if (!same)
		same = job_name_for_domains(d, req->domains, req->ndomains);
	char *base, *name = NULL;

	if (req->cert_name)
		name = strdup(req->cert_name);
	else if (same)
		name = strdup(same);
	else {
		base = store_name_base(req->domains[0]);
		if (!base)
			return -ENOMEM;
		name = strdup(base);
		for (int i = 1; name && i < 10000 &&
				(index_get(&d->index, name) || job_busy(d, name) ||
				 store_exists(d->store, name));
		     i++) {
			free(name);
			if (asprintf(&name, "%s-%04d", base, i) < 0)
				name = NULL;
		}
		free(base);
	}
	if (!name)
		return -ENOMEM;
	if (!store_name_valid(name)) {
		snprintf(err, errlen, "'%s' cannot be used as a certificate name; pass --cert-name",
			 name);
		free(name);
		return ACMED_EUSAGE;
	}
	if (job_busy(d, name)) {
		snprintf(err, errlen, "a job is already running for %s; try again when it is done",
			 name);
		free(name);
		return -EBUSY;
	}
	req->name = name;
	return 0;
}

static void cmd_certonly(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct issue_req req;
	char err[512];
	int r = issue_req_parse(args, &d->cfg, &req, err, sizeof(err));

	if (r < 0) {
		reply_error(c, r, "%s", err);
		return;
	}
	if (!req.csr && (r = choose_name(d, &req, err, sizeof(err))) < 0) {
		issue_req_clear(&req);
		reply_error(c, r, "%s", err);
		return;
	}
	r = job_submit(d, &req, c);
	if (r < 0) {
		issue_req_clear(&req);
		reply_error(c, r, "could not start the job: %s", acmed_strerror(r));
	}
}

static const char *arg_str(struct json_object *args, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(args, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* certbot: with -d, the lineages that hold every given domain. */
static bool entry_has_domains(const struct lineage_entry *e, struct json_object *domains)
{
	for (size_t k = 0; domains && k < json_object_array_length(domains); k++) {
		char norm[IDENT_MAX + 1], why[256];
		const char *d = json_object_get_string(json_object_array_get_idx(domains, k));
		bool found = false;

		if (!d || ident_normalize(d, norm, why, sizeof(why)) < 0)
			return false;
		for (size_t i = 0; i < e->ndomains; i++)
			found |= streq(e->domains[i], norm);
		if (!found)
			return false;
	}
	return true;
}

static void cmd_certificates(struct daemon *d, struct conn *c, struct json_object *args)
{
	const char *name = arg_str(args, "cert_name");
	struct json_object *list = json_object_new_array(), *data = json_object_new_object();
	struct json_object *domains = NULL;
	time_t now = time(NULL);

	if (json_object_object_get_ex(args, "domains", &domains) &&
	    !json_object_is_type(domains, json_type_array))
		domains = NULL;
	for (size_t i = 0; i < d->index.n; i++) {
		const struct lineage_entry *e = &d->index.v[i];

		if ((name && !streq(e->name, name)) || !entry_has_domains(e, domains))
			continue;
		json_object_array_add(list, index_entry_json(e, d->store, now, job_busy(d, e->name)));
	}
	json_object_object_add(data, "certificates", list);
	reply_data(c, data);
}

static void cmd_status(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct json_object *data = json_object_new_object();

	json_object_object_add(data, "version", json_object_new_string(ACMED_VERSION));
	json_object_object_add(data, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(data, "uptime", json_object_new_int64(time(NULL) - d->started));
	json_object_object_add(data, "state_dir", json_object_new_string(store_dir(d->store)));
	json_object_object_add(data, "server", json_object_new_string(d->cfg.server));
	json_object_object_add(data, "certificates", json_object_new_int((int)d->index.n));
	json_object_object_add(data, "jobs_running", json_object_new_int((int)d->running));
	json_object_object_add(data, "jobs_queued",
			       json_object_new_int((int)(job_count(d) - d->running)));
	reply_data(c, data);
}

static const cmd_handler handlers[CMD__MAX] = {
	[CMD_CERTONLY] = cmd_certonly,
	[CMD_CERTIFICATES] = cmd_certificates,
	[CMD_STATUS] = cmd_status,
};
_Static_assert(ELEMENTSOF(handlers) == CMD__MAX, "every command needs a handler");

static bool authorised(const struct conn *c, int cmd)
{
	if (!(ctl_cmds[cmd].flags & CMD_MUTATES))
		return true;
	return c->uid == 0 || c->uid == geteuid();
}

static void dispatch(struct daemon *d, struct conn *c, struct json_object *req)
{
	struct json_object *v, *args = NULL;
	const char *name;
	int cmd;

	c->got_request = true;
	if (!json_object_object_get_ex(req, "v", &v) || json_object_get_int(v) != CTL_VERSION) {
		reply_error(c, ACMED_EUSAGE, "unsupported protocol version (this acmed speaks %d)",
			    CTL_VERSION);
		return;
	}
	name = arg_str(req, "cmd");
	cmd = name ? ctl_cmd_lookup(name) : -1;
	if (cmd < 0) {
		reply_error(c, ACMED_EUSAGE, "unknown command '%s'", name ? name : "");
		return;
	}
	if (!authorised(c, cmd)) {
		log_warning("refused %s from uid %u (pid %d)", name, (unsigned)c->uid, (int)c->pid);
		reply_error(c, -EPERM, "%s changes state and needs root", name);
		return;
	}
	json_object_object_get_ex(req, "args", &args);
	if (args && !json_object_is_type(args, json_type_object)) {
		reply_error(c, ACMED_EUSAGE, "args must be an object");
		return;
	}
	log_debug("%s from uid %u (pid %d)", name, (unsigned)c->uid, (int)c->pid);
	handlers[cmd](d, c, args);
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
		if (r == -EMSGSIZE)
			reply_error(c, r, "request larger than %d bytes", CTL_MAX_FRAME);
		else
			reply_error(c, ACMED_EUSAGE, "malformed request");
		return;
	}
	if (r == 1) {
		dispatch(d, c, req);
		json_object_put(req);
	}
}

static void on_accept(struct daemon *d, struct watch *w, uint32_t events)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->d = d;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->w = (struct watch){ fd, on_conn };
	if (daemon_watch(d, &c->w, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = d->conns;
	d->conns = c;
}

/* A socket file at PATH: live daemon (connect works) or leftover. */
static int claim_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; refusing to replace it", path);
		return -EEXIST;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	if (r) {
		snprintf(err, errlen, "another acmed is already listening on %s", path);
		return -EADDRINUSE;
	}
	return unlink(path) < 0 ? -errno : 0;
}

int ctlsrv_open(struct daemon *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = d->cfg.socket_path;
	char *dir = strdup(path), *slash;
	mode_t old;
	int fd, r;

	if (!dir)
		return -ENOMEM;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		free(dir);
		return -ENAMETOOLONG;
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		fs_mkdirs(dir, 0750);
	}
	free(dir);
	r = claim_path(path, err, errlen);
	if (r < 0) {
		if (!*err)
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0117); /* 0660 from the moment it exists */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	d->listen_w = (struct watch){ fd, on_accept };
	return daemon_watch(d, &d->listen_w, EPOLLIN);
}

void ctlsrv_close(struct daemon *d)
{
	while (d->conns)
		conn_close(d->conns);
	if (d->listen_w.fd >= 0) {
		daemon_unwatch(d, &d->listen_w);
		close(d->listen_w.fd);
		unlink(d->cfg.socket_path);
		d->listen_w.fd = -1;
	}
}
