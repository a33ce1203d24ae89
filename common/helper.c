#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlproto.h"
#include "error.h"
#include "fsutil.h"
#include "helper.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

int helper_start(struct helper *h, const char *name, int (*main)(void *arg, int fd), void *arg)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	h->fd = -1;
	h->pid = -1;
	h->err[0] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		prctl(PR_SET_NAME, name);
		/* If the worker dies, so does its helper. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(sv[0]);
		log_close(); /* its socket is among what close_range() takes */
		if (sv[1] != 3) {
			dup2(sv[1], 3);
			close(sv[1]);
		}
		close_range(4, ~0U, 0);
		_exit(main(arg, 3) < 0 ? 1 : 0);
	}
	close(sv[1]);
	h->fd = sv[0];
	h->pid = pid;
	return 0;
}

void helper_stop(struct helper *h)
{
	int status;

	if (h->fd < 0)
		return;
	close(h->fd);
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	h->fd = -1;
	h->pid = -1;
}

struct json_object *helper_request(const char *op)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "op", json_object_new_string(op));
	return o;
}

static int send_frame(int fd, struct json_object *o)
{
	char *buf;
	size_t len;
	int r = ctl_reply_encode(o, &buf, &len);

	if (r == 0) {
		r = fs_write_all(fd, buf, len);
		free(buf);
	}
	return r;
}

int helper_call(struct helper *h, struct json_object *req, size_t max, struct json_object **ok)
{
	struct json_object *reply = NULL, *v, *e;
	int r;

	if (ok)
		*ok = NULL;
	if (!req)
		return -ENOMEM;
	if (h->fd < 0) {
		json_object_put(req);
		snprintf(h->err, sizeof(h->err), "%s does not run for this job", h->what);
		return -EPIPE;
	}
	r = send_frame(h->fd, req);
	json_object_put(req);
	if (r == 0)
		r = ctl_recv_max(h->fd, max, &reply);
	if (r < 0) {
		snprintf(h->err, sizeof(h->err), "%s is gone (%s)", h->what, acmed_strerror(r));
		return r;
	}
	if (json_object_object_get_ex(reply, "ok", &v)) {
		if (ok)
			*ok = json_object_get(v);
	} else if (json_object_object_get_ex(reply, "error", &e)) {
		r = (int)jobj_int(e, "code", -EPROTO);
		snprintf(h->err, sizeof(h->err), "%s", str_or_empty(jobj_str(e, "message")));
		if (r >= 0)
			r = -EPROTO;
	} else {
		r = -EPROTO;
		snprintf(h->err, sizeof(h->err), "the answer of %s makes no sense", h->what);
	}
	json_object_put(reply);
	return r;
}

/* The answer to REQ. */
static struct json_object *answer(const struct helper_op *ops, size_t n, void *state,
				  struct json_object *req, const char *what)
{
	const char *op = jobj_str(req, "op");
	struct json_object *reply = json_object_new_object(), *out = json_object_new_object();
	char err[HELPER_ERR_MAX] = "";
	size_t i;
	int r;

	for (i = 0; i < n && !streq(op, ops[i].name); i++)
		;
	if (i < n) {
		r = ops[i].fn(state, req, out, err, sizeof(err));
	} else {
		size_t used = (size_t)snprintf(err, sizeof(err), "unknown request '%s': the %s answers",
					       str_or_empty(op), what);

		for (size_t k = 0; k < n && used < sizeof(err); k++)
			used += (size_t)snprintf(err + used, sizeof(err) - used, "%s %s",
						 k == 0 ? "" : k + 1 == n ? " and" : ",", ops[k].name);
		if (used < sizeof(err))
			snprintf(err + used, sizeof(err) - used, " only");
		r = -EPERM;
	}
	if (r < 0) {
		struct json_object *e = json_object_new_object();

		if (!err[0])
			snprintf(err, sizeof(err), "%s", acmed_strerror(r));
		log_warning("%s: refused %s: %s", what, str_or_empty(op), err);
		json_object_object_add(e, "code", json_object_new_int(r));
		json_object_object_add(e, "message", json_object_new_string(err));
		json_object_object_add(reply, "error", e);
		json_object_put(out);
	} else {
		json_object_object_add(reply, "ok", out);
	}
	return reply;
}

int helper_serve(int fd, const struct helper_op *ops, size_t n, void *state, size_t max,
		 const char *what)
{
	int r = 0;

	while (r == 0) {
		struct json_object *req = NULL, *reply;

		r = ctl_recv_max(fd, max, &req);
		if (r == -ECONNRESET)
			return 0; /* the worker is done */
		if (r < 0) {
			log_error("%s: malformed request from the worker (%s); stopping", what,
				  acmed_strerror(r));
			break;
		}
		reply = answer(ops, n, state, req, what);
		r = send_frame(fd, reply);
		json_object_put(reply);
		json_object_put(req);
	}
	return r;
}
