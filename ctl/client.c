#include <errno.h>
#include <fcntl.h>
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

#include "client.h"
#include "ctlproto.h"
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

/* The next frame from FD into *OUT (caller puts), with RD holding what was
 * read beyond the last one: 0; -ETIMEDOUT if the frame is not whole by
 * DEADLINE, however its bytes trickle in; -ECONNRESET at the end of the
 * stream; -EMSGSIZE, -EBADMSG for a bad frame; -errno. */
static int recv_frame(int fd, struct ctl_reader *rd, uint64_t deadline, struct json_object **out)
{
	char buf[65536];

	for (;;) {
		int r = ctl_reader_next(rd, out);
		ssize_t n;

		if (r != 0)
			return r < 0 ? r : 0;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			r = ctl_reader_feed(rd, buf, (size_t)n);
			if (r < 0)
				return r;
			continue;
		}
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
		struct json_object *o = json_object_new_object(), *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_string(code));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_object_add(o, "status", json_object_new_int(status));
		json_object_object_add(o, "error", e);
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

/* Progress as it happens: each step on its own line. An event without a
 * message (a keepalive, say) prints nothing. */
static void print_event(const struct client *cl, struct json_object *frame)
{
	const char *msg = jobj_str(frame, "message"), *name = jobj_str(frame, "name");

	if (cl->quiet || !msg)
		return;
	client_fprintf(stderr, "%s%s%s\n", cl->show_names && name ? name : "",
		       cl->show_names && name ? ": " : "", msg);
}

/* Read the answer to a request sent on FD: progress events, printed, and
 * the final reply in *REPLY. Every frame, a keepalive too, starts the wait
 * for the next afresh; the wait for one frame is bounded as a whole.
 * DEADLINE bounds the first. 0 or -errno as recv_frame(). */
static int read_answer(const struct client *cl, int fd, uint64_t deadline,
		       struct json_object **reply)
{
	struct ctl_reader rd = { .max = CTL_MAX_REPLY };
	struct json_object *frame = NULL;
	int r;

	for (;;) {
		r = recv_frame(fd, &rd, deadline, &frame);
		if (r < 0)
			break;
		deadline = deadline_in(cl->timeout);
		if (!json_object_object_get_ex(frame, "event", NULL)) {
			*reply = frame;
			break;
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

static struct json_object *new_request(const char *cmd, struct json_object *args)
{
	struct json_object *req = json_object_new_object();

	if (!req)
		return NULL;
	json_object_object_add(req, "v", json_object_new_int(CTL_VERSION));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args", args ? json_object_get(args) : json_object_new_object());
	return req;
}

int client_call(const struct client *cl, const char *cmd, struct json_object *args,
		struct json_object **reply)
{
	struct json_object *req = new_request(cmd, args);
	char *buf = NULL;
	size_t len = 0;
	uint64_t deadline;
	int fd = -1, r, ret = EXIT_UNREACHABLE;

	*reply = NULL;
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
		r = read_answer(cl, fd, deadline, reply);
	if (r == 0)
		ret = EXIT_OK;
	else if (r == -ETIMEDOUT)
		no_answer(cl);
	else
		report(cl, EXIT_UNREACHABLE, -ECONNREFUSED, "unreachable",
		       "lost the connection to acmed at %s: %s", cl->socket,
		       r == -ECONNRESET ? "the daemon closed it" : strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	json_object_put(req);
	return ret;
}

int client_request(const struct client *cl, const char *cmd, struct json_object *args,
		   struct json_object **reply, struct json_object **data)
{
	int ret;

	*reply = NULL;
	*data = NULL;
	ret = client_call(cl, cmd, args, reply);
	if (ret != EXIT_OK)
		return ret;
	if (!client_reply_ok(*reply))
		return client_report_error(cl, *reply);
	json_object_object_get_ex(*reply, "data", data);
	return EXIT_OK;
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
	return streq(code, "usage") ? EXIT_USAGE : EXIT_FAILED;
}

/* ---- output ---- */

/* Length of the valid UTF-8 sequence at S (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF), or 0 if S starts with a byte that
 * cannot begin one. A NUL ends every sequence: it is no continuation byte. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Is the character of N bytes at S a control character (C0 but tab, DEL,
 * C1)? */
static bool is_control(const unsigned char *s, size_t n)
{
	if (n == 1)
		return (s[0] < 0x20 && s[0] != '\t') || s[0] == 0x7f;
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/* Escape S into OUT (NULL: only count); returns the length. */
static size_t escape(const char *str, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t len = 0;

	while (*s) {
		size_t n = utf8_len(s);
		bool bad = n == 0 || is_control(s, n);

		if (n == 0)
			n = 1; /* an invalid byte is escaped alone */
		for (size_t i = 0; i < n; i++, s++) {
			if (!bad) {
				if (out)
					out[len] = (char)*s;
				len++;
				continue;
			}
			if (out) {
				out[len] = '\\';
				out[len + 1] = 'x';
				out[len + 2] = hex[*s >> 4];
				out[len + 3] = hex[*s & 0xf];
			}
			len += 4;
		}
	}
	if (out)
		out[len] = '\0';
	return len;
}

char *client_escape(const char *s)
{
	char *out = malloc(escape(s, NULL) + 1);

	if (out)
		escape(s, out);
	return out;
}

/* The first bytes of S, at most MAX, ending on a character boundary. */
static size_t utf8_prefix(const char *s, size_t max)
{
	size_t len = 0;

	while (s[len]) {
		size_t n = utf8_len((const unsigned char *)s + len);

		if (len + (n ? n : 1) > max)
			break;
		len += n ? n : 1;
	}
	return len;
}

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

/* A conversion specification being copied from the format. */
struct spec {
	char text[48]; /* "%-10.3lld" */
	size_t len;
};

static void spec_add(struct spec *sp, const char *s, size_t n)
{
	/* Our own format strings are short: a longer one is a bug. */
	if (sp->len + n >= sizeof(sp->text))
		abort();
	memcpy(sp->text + sp->len, s, n);
	sp->len += n;
	sp->text[sp->len] = '\0';
}

/* A width or precision of the format at *P, '*' or digits, into SP; its
 * value, or -1 if there is none. */
static long spec_number(struct spec *sp, const char **p, va_list *ap)
{
	char num[16];
	long v = -1;
	size_t n;

	if (**p == '*') {
		v = va_arg(*ap, int);
		spec_add(sp, num, (size_t)snprintf(num, sizeof(num), "%ld", v));
		(*p)++;
		return v;
	}
	n = strspn(*p, "0123456789");
	if (n == 0)
		return -1;
	v = strtol(*p, NULL, 10);
	spec_add(sp, *p, n);
	*p += n;
	return v;
}

static enum length spec_length(struct spec *sp, const char **p)
{
	static const struct {
		const char *text;
		enum length len;
	} mods[] = { { "hh", LEN_HH }, { "h", LEN_H }, { "ll", LEN_LL }, { "l", LEN_L },
		     { "z", LEN_Z }, { "j", LEN_J }, { "t", LEN_T } };

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		size_t n = strlen(mods[i].text);

		if (strncmp(*p, mods[i].text, n) == 0) {
			spec_add(sp, *p, n);
			*p += n;
			return mods[i].len;
		}
	}
	return LEN_NONE;
}

/* The format is built at run time from our own literal one, which the
 * compiler checked against the arguments (the format attribute). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* Print string S (NULL: "(null)", as glibc does) under SPEC, a "%...s"
 * without precision; PREC >= 0 first cuts S to that many bytes, on a
 * character boundary, so that no escape is cut in half. */
static void print_escaped(FILE *f, const char *spec, const char *s, long prec)
{
	char *cut = NULL, *safe;

	if (!s)
		s = "(null)";
	if (prec >= 0 && strlen(s) > (size_t)prec) {
		cut = strndup(s, utf8_prefix(s, (size_t)prec));
		s = cut ? cut : "";
	}
	safe = client_escape(s);
	fprintf(f, spec, safe ? safe : "?");
	free(safe);
	free(cut);
}

/* One integer conversion under SPEC: the argument's type follows LEN. */
static void print_integer(FILE *f, const char *spec, bool is_signed, enum length len,
			  va_list *ap)
{
	switch (len) {
	case LEN_NONE: case LEN_HH: case LEN_H: /* promoted to int */
		if (is_signed)
			fprintf(f, spec, va_arg(*ap, int));
		else
			fprintf(f, spec, va_arg(*ap, unsigned));
		break;
	case LEN_L:
		if (is_signed)
			fprintf(f, spec, va_arg(*ap, long));
		else
			fprintf(f, spec, va_arg(*ap, unsigned long));
		break;
	case LEN_LL:
		if (is_signed)
			fprintf(f, spec, va_arg(*ap, long long));
		else
			fprintf(f, spec, va_arg(*ap, unsigned long long));
		break;
	case LEN_Z:
		if (is_signed)
			fprintf(f, spec, va_arg(*ap, ssize_t));
		else
			fprintf(f, spec, va_arg(*ap, size_t));
		break;
	case LEN_J:
		if (is_signed)
			fprintf(f, spec, va_arg(*ap, intmax_t));
		else
			fprintf(f, spec, va_arg(*ap, uintmax_t));
		break;
	case LEN_T: fprintf(f, spec, va_arg(*ap, ptrdiff_t)); break;
	}
}

/* Print the conversion of the format at *P (just after its '%'), taking
 * its arguments from AP; *P moves past it. */
static void print_conversion(FILE *f, const char **p, va_list *ap)
{
	struct spec sp = { "%", 1 };
	size_t width_end;
	long prec = -1;
	enum length len;
	char conv, c[2] = "";

	spec_add(&sp, *p, strspn(*p, "-+ #0"));
	*p += strspn(*p, "-+ #0");
	spec_number(&sp, p, ap);
	width_end = sp.len;
	if (**p == '.') {
		spec_add(&sp, (*p)++, 1);
		prec = spec_number(&sp, p, ap);
		if (prec < 0)
			prec = 0; /* "%.s" */
	}
	len = spec_length(&sp, p);
	conv = *(*p)++;
	spec_add(&sp, &conv, 1);
	switch (conv) {
	case 'd': case 'i': print_integer(f, sp.text, true, len, ap); break;
	case 'u': case 'o': case 'x': case 'X': print_integer(f, sp.text, false, len, ap); break;
	case 'c': case 's':
		if (len != LEN_NONE)
			abort(); /* %lc, %ls: wide characters, which we never print */
		/* Flags and width stay; the precision is applied before escaping. */
		sp.len = width_end;
		spec_add(&sp, "s", 1);
		if (conv == 's') {
			print_escaped(f, sp.text, va_arg(*ap, const char *), prec);
		} else {
			c[0] = (char)va_arg(*ap, int);
			print_escaped(f, sp.text, c, -1);
		}
		break;
	case 'p': fprintf(f, sp.text, va_arg(*ap, void *)); break;
	case '%': fputc('%', f); break;
	default: abort(); /* a conversion we do not support in our own format */
	}
}
#pragma GCC diagnostic pop

void client_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	va_list aq;

	/* va_copy: AP is passed on by address, which a va_list parameter
	 * (an array type on some ABIs) cannot be. */
	va_copy(aq, ap);
	while (*fmt) {
		size_t n = strcspn(fmt, "%");

		fwrite(fmt, 1, n, f);
		fmt += n;
		if (!*fmt)
			break;
		fmt++;
		print_conversion(f, &fmt, &aq);
	}
	va_end(aq);
}

void client_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	client_vfprintf(f, fmt, ap);
	va_end(ap);
}

void client_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	client_vfprintf(stdout, fmt, ap);
	va_end(ap);
}

/* Escape TEXT, JSON that json-c wrote, into OUT (NULL: only count): DEL and
 * the C1 controls as \u00XX, each byte of invalid UTF-8 as \ufffd. Outside
 * strings json-c writes ASCII only, so every such byte is in a string. */
static size_t json_escape_more(const char *text, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)text;
	size_t len = 0;

	while (*s) {
		size_t n = utf8_len(s);
		char esc[7] = "\\ufffd";

		/* C0 controls are escaped in strings already; outside them
		 * json-c's newlines lay the text out. */
		if (n != 0 && (!is_control(s, n) || s[0] < 0x20)) {
			if (out)
				memcpy(out + len, s, n);
			len += n;
			s += n;
			continue;
		}
		if (n != 0) {
			unsigned cp = n == 1 ? s[0] : s[1];

			memcpy(esc, "\\u00", 4);
			esc[4] = hex[cp >> 4];
			esc[5] = hex[cp & 0xf];
		}
		if (out)
			memcpy(out + len, esc, 6);
		len += 6;
		s += n ? n : 1;
	}
	if (out)
		out[len] = '\0';
	return len;
}

char *client_json_text(struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out;

	if (!text)
		return NULL;
	out = malloc(json_escape_more(text, NULL) + 1);
	if (out)
		json_escape_more(text, out);
	return out;
}

void client_print_json(struct json_object *o)
{
	char *text;

	if (json_object_is_type(o, json_type_object))
		json_object_object_add(o, "schema", json_object_new_int(CTL_JSON_SCHEMA));
	text = client_json_text(o);
	if (!text) {
		fprintf(stderr, "acmectl: out of memory\n");
		return;
	}
	fputs(text, stdout);
	fputc('\n', stdout);
	free(text);
}

/* ---- input ---- */

int client_read_file(const char *opt, const char *path, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n = 1;
	int fd, r = 0;

	*data = NULL;
	/* O_NONBLOCK: opening a FIFO that has no writer does not wait, and
	 * what is not a regular file is refused before anything is read. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size > CLIENT_FILE_MAX)
		r = -EFBIG;
	else if (!(buf = malloc(CLIENT_FILE_MAX + 2)))
		r = -ENOMEM;
	/* Up to one byte over the limit: the file may have grown since. */
	while (r == 0 && n > 0 && got <= CLIENT_FILE_MAX) {
		n = read(fd, buf + got, CLIENT_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n < 0)
			r = -errno;
		else
			got += (size_t)n;
	}
	if (r == 0 && got > CLIENT_FILE_MAX)
		r = -EFBIG;
	if (r == 0) {
		buf[got] = '\0';
		*data = buf;
		buf = NULL;
		if (len)
			*len = got;
	} else if (r == -EINVAL) {
		client_fprintf(stderr, "acmectl: %s %s: not a regular file\n", opt, path);
	} else if (r == -EFBIG) {
		client_fprintf(stderr, "acmectl: %s %s: too large (more than %d bytes)\n", opt,
			       path, CLIENT_FILE_MAX);
	} else {
		client_fprintf(stderr, "acmectl: %s %s: %s\n", opt, path, strerror(-r));
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int client_check_email(const char *opt, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;

	while (*s) {
		size_t n = utf8_len(s);

		if (n == 0 || is_control(s, n) || *s == ' ' || *s == '\t') {
			client_fprintf(stderr, "acmectl: %s '%s': an e-mail address has no spaces or "
					       "control characters\n",
				       opt, value);
			return -EINVAL;
		}
		s += n;
	}
	return 0;
}
