#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "daemon/worker/progress.h"
#include "log.h"
#include "text.h"

static int forward_fd = -1; /* progress_forward_logs() */
static bool saying;         /* progress() is logging its own message */

/* One event line on FD: one write, the daemon reads whole lines. */
static void send_event(int fd, const char *event, const char *level, const char *msg)
{
	struct json_object *ev = json_object_new_object();

	if (!ev)
		return;
	json_object_object_add(ev, "event", json_object_new_string(event));
	if (level)
		json_object_object_add(ev, "level", json_object_new_string(level));
	json_object_object_add(ev, "message", json_object_new_string(msg));
	dprintf(fd, "%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
	json_object_put(ev);
}

void progress(int fd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* It may quote the CA (a URL, an identifier): no terminal controls. */
	text_clean(msg);
	saying = true;
	log_info("%s", msg);
	saying = false;
	send_event(fd, "progress", NULL, msg);
}

static void forward(enum log_level level, const char *line)
{
	if (!saying)
		send_event(forward_fd, "log", log_level_name(level), line);
}

void progress_forward_logs(int fd, int verbosity)
{
	if (verbosity <= 0)
		return;
	forward_fd = fd;
	log_set_mirror(LOG_LVL_DEBUG, forward);
}
