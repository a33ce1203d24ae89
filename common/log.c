#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "util.h"

static enum log_level max_level = LOG_LVL_INFO;
static char tag[128];
static bool to_syslog;

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_use_syslog(void)
{
	openlog("acmed", LOG_PID, LOG_DAEMON);
	to_syslog = true;
}

void log_set_level(enum log_level level)
{
	max_level = level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++) {
		if (streq(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_tag(const char *t)
{
	snprintf(tag, sizeof(tag), "%s", t ? t : "");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (to_syslog) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

		syslog(prio[level], "%s%s%s", tag, *tag ? ": " : "", line);
		return;
	}
	/* One fprintf per line so lines from concurrent workers do not interleave. */
	fprintf(stderr, "acmed[%s]%s%s: %s\n", level_names[level], *tag ? " " : "", tag, line);
}
