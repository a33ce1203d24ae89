#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "ctlproto.h"
#include "jsonutil.h"
#include "util.h"

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* The daemon is not there (or went away): one line on stderr, and with
 * --json an error object on stdout, so a script reads JSON either way. */
static void unreachable(const struct client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void unreachable(const struct client *cl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "acmectl: %s\n", msg);
	if (cl->json) {
		struct json_object *o = json_object_new_object(), *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_string("unreachable"));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_object_add(o, "status", json_object_new_int(-ECONNREFUSED));
		json_object_object_add(o, "error", e);
		client_print_json(o);
		json_object_put(o);
	}
}

int client_call(const struct client *cl, const char *cmd, struct json_object *args,
		struct json_object **reply)
{
	struct json_object *req = json_object_new_object(), *frame = NULL, *ev;
	int fd = connect_socket(cl->socket), r;

	if (fd < 0) {
		unreachable(cl, "cannot reach acmed at %s: %s (is acmed running? see --socket)",
			    cl->socket, strerror(-fd));
		json_object_put(req);
		return EXIT_UNREACHABLE;
	}
	json_object_object_add(req, "v", json_object_new_int(CTL_VERSION));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args", args ? json_object_get(args) : json_object_new_object());
	r = ctl_send(fd, req);
	json_object_put(req);
	/* A refusal may already wait in the socket even when sending failed. */
	if (r == -EPIPE || r == -ECONNRESET)
		r = 0;
	while (r == 0) {
		r = ctl_recv(fd, &frame);
		if (r < 0)
			break;
		if (!json_object_object_get_ex(frame, "event", &ev)) {
			*reply = frame;
			close(fd);
			return EXIT_OK;
		}
		/* Progress as it happens: each step on its own line. */
		if (!cl->quiet && jobj_str(frame, "message")) {
			if (cl->show_names && jobj_str(frame, "name"))
				fprintf(stderr, "%s: ", jobj_str(frame, "name"));
			fprintf(stderr, "%s\n", jobj_str(frame, "message"));
		}
		json_object_put(frame);
	}
	unreachable(cl, "lost the connection to acmed at %s: %s", cl->socket,
		    r == -ECONNRESET ? "the daemon closed it" : strerror(-r));
	close(fd);
	return EXIT_UNREACHABLE;
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

void client_print_json(struct json_object *o)
{
	if (json_object_is_type(o, json_type_object))
		json_object_object_add(o, "schema", json_object_new_int(CTL_JSON_SCHEMA));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
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
		fprintf(stderr, "acmectl: error: %s\n", msg ? msg : "the daemon reported a failure");
	}
	json_object_object_get_ex(reply, "error", &e);
	code = jobj_str(e, "code");
	return streq(code, "usage") ? EXIT_USAGE : EXIT_FAILED;
}
