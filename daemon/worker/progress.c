#include <stdarg.h>
#include <stdio.h>

#include <json-c/json.h>

#include "daemon/worker/progress.h"
#include "log.h"
#include "text.h"

void progress(int fd, const char *fmt, ...)
{
	struct json_object *ev = json_object_new_object();
	char msg[1024];
	const char *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* It may quote the CA (a URL, an identifier): no terminal controls. */
	text_clean(msg);
	log_info("%s", msg);
	if (!ev)
		return;
	json_object_object_add(ev, "event", json_object_new_string("progress"));
	json_object_object_add(ev, "message", json_object_new_string(msg));
	line = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
	/* One write per line: the daemon reads whole lines. */
	dprintf(fd, "%s\n", line);
	json_object_put(ev);
}
