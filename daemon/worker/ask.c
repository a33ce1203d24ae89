#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon/worker/ask.h"
#include "log.h"
#include "util.h"

/* One line from ASK_FD into BUF (without its newline): its length, or -1
 * at the end of input or on an error. Read a byte at a time: what follows
 * the line is the next answer's. */
static ssize_t read_line(char *buf, size_t len)
{
	size_t n = 0;

	for (;;) {
		char ch;
		ssize_t r = read(ASK_FD, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (ch == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

int ask_user(void *ctx, const struct authn_challenge *c, size_t i, size_t n, char *err,
	     size_t errlen)
{
	int ev_fd = *(const int *)ctx;
	struct json_object *ev = json_object_new_object();
	char line[64];

	if (!ev)
		return -ENOMEM;
	json_object_object_add(ev, "event", json_object_new_string("manual"));
	json_object_object_add(ev, "identifier", json_object_new_string(c->identifier));
	json_object_object_add(ev, "type", json_object_new_string(c->type));
	if (streq(c->type, "http-01"))
		json_object_object_add(ev, "token", json_object_new_string(c->token));
	json_object_object_add(ev, "validation", json_object_new_string(c->validation));
	json_object_object_add(ev, "index", json_object_new_int((int)i));
	json_object_object_add(ev, "count", json_object_new_int((int)n));
	dprintf(ev_fd, "%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
	json_object_put(ev);
	/* Not a progress message: acmectl shows the instructions instead. */
	log_info("waiting for the %s response for %s to be put in place", c->type, c->identifier);
	if (read_line(line, sizeof(line)) < 0 || !streq(line, "continue")) {
		snprintf(err, errlen, "nobody said the %s response for %s was in place (acmectl "
				      "went away?)", c->type, c->identifier);
		return -ECANCELED;
	}
	return 0;
}
