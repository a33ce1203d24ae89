#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "config.h"
#include "ctl/client.h"
#include "ctlproto.h"
#include "error.h"
#include "fsutil.h"
#include "ident.h"
#include "jsonutil.h"
#include "util.h"


/* ---- talking to the daemon ---- */

/* Now on CLOCK_MONOTONIC, in milliseconds. */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The deadline TIMEOUT seconds from now, or 0 (none) if TIMEOUT is 0. */
static uint64_t deadline_in(unsigned timeout)
{
	return timeout ? now_ms() + (uint64_t)timeout * 1000 : 0;
}

/* Wait until FD is ready for EVENTS (or has hung up): 0, -ETIMEDOUT once
 * DEADLINE (0: none) has passed, or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int ms = -1, n;

		if (deadline) {
			uint64_t now = now_ms();

			if (now >= deadline)
				return -ETIMEDOUT;
			ms = deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
		}
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0; /* the read or write that follows tells an error */
		if (n < 0 && errno != EINTR)
			return -errno;
		if (interrupt_pending())
			return -EINTR;
	}
}

/* Connect to the socket at PATH: its fd, or -errno, -ETIMEDOUT when the
 * daemon's listen queue stayed full for TIMEOUT seconds (0: no limit). */
static int connect_socket(const char *path, unsigned timeout)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout };
	int fd, r = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A blocking connect() to a Unix socket whose listen queue is full
	 * (a daemon that stopped accepting) waits as long as SO_SNDTIMEO
	 * says, then fails with EAGAIN. (A non-blocking one fails at once,
	 * and poll() cannot wait for the queue.) */
	if (timeout && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		r = -errno;
	else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = errno == EAGAIN && timeout ? -ETIMEDOUT : -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* The group of PATH, else of the directory it is in (the one that said
 * no when PATH cannot even be looked at), as a name: 0, or -errno. */
static int path_group(const char *path, char *name, size_t len)
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
	struct stat st;
	struct group *g;
	int r = 0;

	if (stat(path, &st) < 0) {
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		if (!slash || stat(dir, &st) < 0)
			r = -errno;
	}
	free(dir);
	if (r < 0)
		return r;
	g = getgrgid(st.st_gid);
	if (g)
		snprintf(name, len, "%s", g->gr_name);
	else
		snprintf(name, len, "%u", (unsigned)st.st_gid);
	return 0;
}

const char *client_access_hint(const char *path, char *buf, size_t len)
{
	char group[64];

	if (path_group(path, group, sizeof(group)) < 0)
		snprintf(buf, len, "acmed lets root and the members of its group (read_group in "
				   "acmed.conf, acmed by default) connect; run acmectl as one of them");
	else
		snprintf(buf, len, "the socket is for root and the members of group %s; ask an "
				   "administrator to add you (usermod -aG %s USER, then log in "
				   "again), or use sudo",
			 group, group);
	return buf;
}

/* Send LEN bytes of BUF by DEADLINE: 0, -ETIMEDOUT or -errno. */
static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len > 0) {
		/* MSG_NOSIGNAL: a daemon that refused us and hung up is an error
		 * to report, not a SIGPIPE that kills acmectl first. */
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* More bytes from FD into RD, waiting until DEADLINE: 0; -ETIMEDOUT;
 * -ECONNRESET at the end of the stream; -errno. */
static int recv_more(int fd, struct ctl_reader *rd, uint64_t deadline)
{
	char buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int r;

		if (n > 0)
			return ctl_reader_feed(rd, buf, (size_t)n);
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

/* The next frame from FD into *OUT (caller puts), with RD holding what was
 * read beyond the last one: 0; -ETIMEDOUT if the frame is not whole by
 * DEADLINE, however its bytes trickle in; -ECONNRESET at the end of the
 * stream; -EMSGSIZE, -EBADMSG for a bad frame; -errno. */
static int recv_frame(int fd, struct ctl_reader *rd, uint64_t deadline, struct json_object **out)
{
	for (;;) {
		int r = ctl_reader_next(rd, out);

		if (r != 0)
			return r < 0 ? r : 0;
		r = recv_more(fd, rd, deadline);
		if (r < 0)
			return r;
	}
}

/* The same, the frame's body left unparsed (see ctl_reader_next_body()). */
static int recv_body(int fd, struct ctl_reader *rd, uint64_t deadline, const char **body,
		     size_t *len)
{
	for (;;) {
		int r = ctl_reader_next_body(rd, body, len);

		if (r != 0)
			return r < 0 ? r : 0;
		r = recv_more(fd, rd, deadline);
		if (r < 0)
			return r;
	}
}

/* An error acmectl finds itself: "acmectl: MESSAGE" on stderr, and with
 * --json {"status":STATUS,"error":{"code":CODE,"message":MESSAGE}} on
 * stdout, so a script reads JSON either way. Returns RET. */
static int report(const struct client *cl, int ret, int status, const char *code,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int report(const struct client *cl, int ret, int status, const char *code,
		  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	client_fprintf(stderr, "acmectl: %s\n", msg);
	if (cl->json) {
		struct json_object *o = ctl_error_reply(status, code, msg);

		client_print_json(o);
		json_object_put(o);
	}
	return ret;
}

/* The daemon took the connection but sent nothing for --timeout seconds. */
static int no_answer(const struct client *cl)
{
	return report(cl, EXIT_UNREACHABLE, -ETIMEDOUT, "timeout",
		      "no answer from acmed at %s for %u second%s (is it stopped or overloaded? "
		      "--timeout sets the limit)",
		      cl->socket, cl->timeout, cl->timeout == 1 ? "" : "s");
}

/* Progress as it happens: each step on its own line; with -v the job's log
 * lines too ("log" events, "debug: ..."). An event without a message (a
 * keepalive, say) prints nothing. */
static void print_event(const struct client *cl, struct json_object *frame)
{
	const char *msg = jobj_str(frame, "message"), *name = jobj_str(frame, "name");
	const char *level = streq(jobj_str(frame, "event"), "log") ? jobj_str(frame, "level") : NULL;

	if (cl->quiet || !msg || (level && !cl->verbosity))
		return;
	client_fprintf(stderr, "%s%s%s%s%s\n", cl->show_names && name ? name : "",
		       cl->show_names && name ? ": " : "", level ? level : "", level ? ": " : "",
		       msg);
}

/* Where a listing's items go, one at a time (ctl_list_each()). */
struct list_sink {
	const char *key;
	int (*fn)(struct json_object *item, void *ctx);
	void *ctx;
};

/* The next frame as recv_frame(); with SINK, a listing for SINK's key is
 * handed to it item by item instead, and *OUT is {"status":0,"data":{}}. */
static int next_frame(int fd, struct ctl_reader *rd, uint64_t deadline,
		      const struct list_sink *sink, struct json_object **out)
{
	const char *body;
	size_t len;
	int r;

	if (!sink)
		return recv_frame(fd, rd, deadline, out);
	r = recv_body(fd, rd, deadline, &body, &len);
	if (r < 0)
		return r;
	r = ctl_list_each(body, len, sink->key, sink->fn, sink->ctx);
	if (r == 0)
		return ctl_frame_parse(body, len, out);
	if (r < 0)
		return r;
	*out = json_object_new_object();
	json_object_object_add(*out, "status", json_object_new_int(0));
	json_object_object_add(*out, "data", json_object_new_object());
	return 0;
}

/* Read the answer to a request sent on FD: progress events, printed, and
 * the final reply in *REPLY. Every frame, a keepalive too, starts the wait
 * for the next afresh; the wait for one frame is bounded as a whole.
 * DEADLINE bounds the first. 0 or -errno as recv_frame(). */
static int read_answer(const struct client *cl, int fd, uint64_t deadline,
		       const struct list_sink *sink, struct json_object **reply)
{
	struct ctl_reader rd = { .max = CTL_MAX_REPLY };
	struct json_object *frame = NULL;
	int r;

	for (;;) {
		r = next_frame(fd, &rd, deadline, sink, &frame);
		if (r == -EINTR) {
			/* Ctrl-C: asked (and maybe cancelled), the wait goes on. */
			client_interrupted(cl);
			deadline = deadline_in(cl->timeout);
			continue;
		}
		if (r < 0)
			break;
		deadline = deadline_in(cl->timeout);
		if (!json_object_object_get_ex(frame, "event", NULL)) {
			*reply = frame;
			break;
		}
		if (jobj_int(frame, "job", 0) > 0)
			interrupt_job_seen((int)jobj_int(frame, "job", 0));
		if (streq(jobj_str(frame, "event"), "manual")) {
			client_manual(cl, frame);
			deadline = deadline_in(cl->timeout);
		}
		print_event(cl, frame);
		json_object_put(frame);
	}
	ctl_reader_clear(&rd);
	return r;
}

/* ---- a request too large for a frame ---- */

enum arg_kind { ARG_TEXT, ARG_FILE, ARG_FILE_BASE64 };

/* The option behind each request member whose option is not "--" and its
 * name with '-' for '_' (the verbs build the members from the options:
 * certonly.c, revoke.c...), and the members that carry a file's contents.
 * "webroot_map" (certonly's -d after a -w) counts towards -d and -w. */
static const struct {
	const char *key, *option;
	enum arg_kind kind;
} arg_options[] = {
	{ "domains", "-d", ARG_TEXT },
	{ "webroot_path", "-w", ARG_TEXT },
	{ "cert_names", "--cert-name", ARG_TEXT },
	{ "http01_address", "--http-01-address", ARG_TEXT },
	{ "csr", "--csr", ARG_FILE_BASE64 },
	{ "cert", "--cert-path", ARG_FILE },
	{ "key", "--key-path", ARG_FILE },
};

/* The option that request member KEY comes from, in BUF. */
static const char *option_of(const char *key, enum arg_kind *kind, char *buf, size_t len)
{
	size_t i;

	*kind = ARG_TEXT;
	for (i = 0; i < ELEMENTSOF(arg_options); i++)
		if (streq(key, arg_options[i].key)) {
			*kind = arg_options[i].kind;
			return arg_options[i].option;
		}
	snprintf(buf, len, "--%s", key);
	for (char *c = buf; *c; c++)
		if (*c == '_')
			*c = '-';
	return buf;
}

static size_t json_size(struct json_object *v)
{
	return strlen(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* What an option's share of the request is: the bytes it takes there. */
struct share {
	char option[64];
	const char *key; /* the member that tells the option's value */
	enum arg_kind kind;
	size_t bytes;
};

static void add_share(struct share *sh, size_t *n, size_t max, const char *key, size_t bytes)
{
	char buf[64];
	enum arg_kind kind;
	const char *opt = option_of(key, &kind, buf, sizeof(buf));
	size_t i;

	for (i = 0; i < *n && !streq(sh[i].option, opt); i++)
		;
	if (i == *n) {
		if (*n == max)
			return; /* more members than any verb sends */
		snprintf(sh[i].option, sizeof(sh[i].option), "%s", opt);
		sh[i].key = key;
		sh[i].kind = kind;
		sh[i].bytes = 0;
		(*n)++;
	}
	sh[i].bytes += bytes;
}

/* "--deploy-hook is 70000 bytes", "-d: 3000 names, 100000 bytes in all":
 * the value of SH as the user gave it. */
static void describe(struct json_object *args, const struct share *sh, char *buf, size_t len)
{
	struct json_object *v = json_object_object_get(args, sh->key);
	size_t n = 0, bytes = 0;

	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			bytes += (size_t)json_object_get_string_len(json_object_array_get_idx(v, i));
		snprintf(buf, len, "%s: %zu name%s, %zu bytes in all", sh->option, n,
			 n == 1 ? "" : "s", bytes);
		return;
	}
	bytes = json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v)
							  : json_size(v);
	if (sh->kind == ARG_FILE_BASE64)
		bytes = bytes * 3 / 4; /* unpadded base64url */
	snprintf(buf, len, sh->kind == ARG_TEXT ? "%s is %zu bytes" : "%s: the file is %zu bytes",
		 sh->option, bytes);
}

/* REQ does not fit in a frame: say which option makes it too large, the
 * one with the largest share, as a usage error. */
static int too_large(const struct client *cl, struct json_object *req)
{
	struct json_object *args = json_object_object_get(req, "args");
	struct share sh[64];
	size_t n = 0, top = 0;
	char what[160] = "";

	json_object_object_foreach(args, key, val) {
		if (!streq(key, "webroot_map")) {
			add_share(sh, &n, ELEMENTSOF(sh), key, json_size(val));
			continue;
		}
		for (size_t i = 0; i < json_object_array_length(val); i++) {
			struct json_object *e = json_object_array_get_idx(val, i);

			add_share(sh, &n, ELEMENTSOF(sh), "domains",
				  json_size(json_object_object_get(e, "domain")));
			add_share(sh, &n, ELEMENTSOF(sh), "webroot_path",
				  json_size(json_object_object_get(e, "path")));
		}
	}
	for (size_t i = 1; i < n; i++)
		if (sh[i].bytes > sh[top].bytes)
			top = i;
	if (n > 0)
		describe(args, &sh[top], what, sizeof(what));
	return report(cl, EXIT_USAGE, -EMSGSIZE, "usage",
		      "the request is too large for acmed (%zu bytes, at most %d)%s%s", json_size(req),
		      CTL_MAX_FRAME, n > 0 ? ": " : "", what);
}

/* The request for CMD with ARGS (borrowed): with -v, a command that runs
 * jobs is asked for their log lines ("verbosity"), in a copy of ARGS. */
static struct json_object *new_request(const struct client *cl, const char *cmd,
				       struct json_object *args)
{
	struct json_object *req = json_object_new_object(), *a = json_object_new_object();
	int k = ctl_cmd_lookup(cmd);

	if (!req || !a) {
		json_object_put(req);
		json_object_put(a);
		return NULL;
	}
	if (json_object_is_type(args, json_type_object)) {
		json_object_object_foreach(args, key, val)
			json_object_object_add(a, key, json_object_get(val));
	}
	if (cl->verbosity && k >= 0 && (ctl_cmds[k].flags & CMD_STREAMS))
		json_object_object_add(a, "verbosity",
				       json_object_new_int(cl->verbosity > 3 ? 3 : (int)cl->verbosity));
	json_object_object_add(req, "v", json_object_new_int(CTL_VERSION));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args", a);
	return req;
}

static int call(const struct client *cl, const char *cmd, struct json_object *args,
		const struct list_sink *sink, struct json_object **reply)
{
	struct json_object *req = new_request(cl, cmd, args);
	char *buf = NULL;
	size_t len = 0;
	uint64_t deadline;
	int fd = -1, r, ret = EXIT_UNREACHABLE, k = ctl_cmd_lookup(cmd);
	bool arm = k >= 0 && (ctl_cmds[k].flags & CMD_STREAMS);

	*reply = NULL;
	if (arm)
		interrupt_arm();
	r = req ? ctl_frame_encode(req, &buf, &len) : -ENOMEM;
	/* Found before connecting: the daemon is not even asked. */
	if (r == -EMSGSIZE) {
		ret = too_large(cl, req);
		goto out;
	}
	if (r < 0) {
		ret = report(cl, EXIT_FAILED, r, "system", "cannot make the request: %s",
			     strerror(-r));
		goto out;
	}
	fd = connect_socket(cl->socket, cl->timeout);
	if (fd == -ETIMEDOUT) {
		no_answer(cl);
		goto out;
	}
	if (fd == -EACCES || fd == -EPERM) {
		char hint[256];

		report(cl, EXIT_UNREACHABLE, fd, "permission",
		       "cannot reach acmed at %s: permission denied: %s", cl->socket,
		       client_access_hint(cl->socket, hint, sizeof(hint)));
		goto out;
	}
	if (fd < 0) {
		report(cl, EXIT_UNREACHABLE, -ECONNREFUSED, "unreachable",
		       "cannot reach acmed at %s: %s (is acmed running? see --socket)", cl->socket,
		       strerror(-fd));
		goto out;
	}
	/* Sending the request and its first answer share one wait. */
	deadline = deadline_in(cl->timeout);
	r = send_all(fd, buf, len, deadline);
	/* A refusal may already wait in the socket even when sending failed. */
	if (r == -EPIPE || r == -ECONNRESET)
		r = 0;
	if (r == 0)
		r = read_answer(cl, fd, deadline, sink, reply);
	if (r == 0)
		ret = EXIT_OK;
	else if (r == -ETIMEDOUT)
		no_answer(cl);
	else
		report(cl, EXIT_UNREACHABLE, -ECONNREFUSED, "unreachable",
		       "lost the connection to acmed at %s: %s", cl->socket,
		       r == -ECONNRESET ? "the daemon closed it" : strerror(-r));
out:
	if (arm)
		interrupt_disarm();
	if (fd >= 0)
		close(fd);
	free(buf);
	json_object_put(req);
	return ret;
}

int client_call(const struct client *cl, const char *cmd, struct json_object *args,
		struct json_object **reply)
{
	return call(cl, cmd, args, NULL, reply);
}

static int request(const struct client *cl, const char *cmd, struct json_object *args,
		   const struct list_sink *sink, struct json_object **reply,
		   struct json_object **data)
{
	int ret;

	*reply = NULL;
	*data = NULL;
	ret = call(cl, cmd, args, sink, reply);
	if (ret != EXIT_OK)
		return ret;
	if (!client_reply_ok(*reply))
		return client_report_error(cl, *reply);
	json_object_object_get_ex(*reply, "data", data);
	return EXIT_OK;
}

int client_request(const struct client *cl, const char *cmd, struct json_object *args,
		   struct json_object **reply, struct json_object **data)
{
	return request(cl, cmd, args, NULL, reply, data);
}

int client_request_list(const struct client *cl, const char *cmd, struct json_object *args,
			const char *key, int (*fn)(struct json_object *item, void *ctx),
			void *ctx, struct json_object **reply, struct json_object **data)
{
	const struct list_sink sink = { key, fn, ctx };

	return request(cl, cmd, args, &sink, reply, data);
}

bool client_reply_ok(struct json_object *reply)
{
	struct json_object *st;

	return json_object_object_get_ex(reply, "status", &st) && json_object_get_int(st) == 0;
}

int client_report_error(const struct client *cl, struct json_object *reply)
{
	struct json_object *e = NULL;
	const char *code, *msg;

	if (cl->json) {
		client_print_json(reply);
	} else {
		json_object_object_get_ex(reply, "error", &e);
		msg = jobj_str(e, "message");
		client_fprintf(stderr, "acmectl: error: %s\n",
			       msg ? msg : "the daemon reported a failure");
	}
	json_object_object_get_ex(reply, "error", &e);
	code = jobj_str(e, "code");
	return streq(code, "usage") ? EXIT_USAGE : streq(code, "cancelled") ? EXIT_CANCELLED
									   : EXIT_FAILED;
}

/* ---- the options every verb takes ---- */

bool client_common_opt(struct client *cl, int c)
{
	switch (c) {
	case 'q':
		cl->quiet = true;
		client_quiet();
		return true;
	case 'v': cl->verbosity++; return true;
	case CLIENT_OPT_JSON: cl->json = true; return true;
	default: return false;
	}
}

bool client_common_arg(struct client *cl, const char *arg)
{
	if (streq(arg, "-q") || streq(arg, "--quiet"))
		return client_common_opt(cl, 'q');
	if (streq(arg, "--verbose"))
		return client_common_opt(cl, 'v');
	if (streq(arg, "--json"))
		return client_common_opt(cl, CLIENT_OPT_JSON);
	if (arg[0] != '-' || arg[1] != 'v' || arg[strspn(arg + 1, "v") + 1] != '\0')
		return false;
	for (const char *v = arg + 1; *v; v++) /* -v, -vv, -vvv */
		client_common_opt(cl, 'v');
	return true;
}

void client_note(const struct client *cl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!cl->verbosity || cl->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	client_fprintf(stderr, "acmectl: note: %s\n", msg);
}

/* ---- input ---- */

int client_load_config(const char *path, struct acmed_config *cfg, char *err, size_t errlen)
{
	int r = config_defaults(cfg);

	if (r == 0)
		r = config_load(path ? path : ACMED_SYSCONFDIR "/acmed.conf", !path, cfg, err,
				errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	if (r < 0)
		config_clear(cfg);
	return r;
}

int client_read_file(const char *opt, const char *path, char **data, size_t *len)
{
	int r;

	*data = NULL;
	/* fsutil.h: a FIFO or device is refused without blocking. */
	r = fs_read_file(path, CLIENT_FILE_MAX, data, len);
	if (r == ACMED_ENOTREG || r == -EISDIR)
		client_fprintf(stderr, "acmectl: %s %s: not a regular file\n", opt, path);
	else if (r == -EFBIG)
		client_fprintf(stderr, "acmectl: %s %s: too large (more than %d bytes)\n", opt,
			       path, CLIENT_FILE_MAX);
	else if (r < 0)
		client_fprintf(stderr, "acmectl: %s %s: %s\n", opt, path, strerror(-r));
	return r == ACMED_ENOTREG || r == -EISDIR ? -EINVAL : r;
}

int client_check_email(const char *opt, const char *value)
{
	if (ident_emails_ok(value))
		return 0;
	client_fprintf(stderr, "acmectl: %s '%s': not an e-mail address (no spaces, separators or "
			       "control characters)\n",
		       opt, value);
	return -EINVAL;
}
