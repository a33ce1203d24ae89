#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"
#include "text.h"
#include "util.h"

enum sink { SINK_STDERR, SINK_SYSLOG, SINK_JOURNAL };

static enum log_level max_level = LOG_LVL_INFO;
static enum sink sink = SINK_STDERR;
static char tag[160];       /* "job 3 example.com" */
static int ctx_job;
static char ctx_name[256];
static void (*mirror)(enum log_level level, const char *line);
static enum log_level mirror_level;
static pid_t mirror_pid; /* the process that set it */

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};
static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_use_syslog(void)
{
	openlog("acmed", LOG_PID, LOG_DAEMON);
	sink = SINK_SYSLOG;
}

bool log_use_journal_if_there(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* Only if stderr is still that stream (not redirected since). */
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0 ||
	    (unsigned long long)st.st_dev != dev || (unsigned long long)st.st_ino != ino)
		return false;
	sink = SINK_JOURNAL;
	return true;
}

const char *log_sink_name(void)
{
	return sink == SINK_JOURNAL ? "journal" : sink == SINK_SYSLOG ? "syslog" : "stderr";
}

void log_use_sink(const char *name)
{
	if (streq(name, "syslog"))
		log_use_syslog();
	else if (streq(name, "journal"))
		log_use_journal_if_there();
}

const char *log_level_name(enum log_level level)
{
	return level < ELEMENTSOF(level_names) ? level_names[level] : "debug";
}

void log_set_mirror(enum log_level level, void (*fn)(enum log_level level, const char *line))
{
	mirror = fn;
	mirror_level = level;
	mirror_pid = getpid();
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

void log_set_context(int job, const char *name, const char *what)
{
	ctx_job = job;
	snprintf(ctx_name, sizeof(ctx_name), "%s", name ? name : "");
	if (job > 0)
		snprintf(tag, sizeof(tag), "job %d %s", job, name ? name : what ? what : "");
	else
		tag[0] = '\0';
}

/* One journal entry: the text, its priority, and what it is about. */
static void to_journal(enum log_level level, const char *line)
{
	char msg[2400], pri[16], job[32], name[300];
	struct iovec iov[5];
	int n = 0;

	snprintf(msg, sizeof(msg), "MESSAGE=%s%s%s", tag, *tag ? ": " : "", line);
	snprintf(pri, sizeof(pri), "PRIORITY=%d", priorities[level]);
	iov[n++] = (struct iovec){ msg, strlen(msg) };
	iov[n++] = (struct iovec){ pri, strlen(pri) };
	iov[n++] = (struct iovec){ "SYSLOG_IDENTIFIER=acmed", 23 };
	if (ctx_job > 0) {
		snprintf(job, sizeof(job), "ACMED_JOB=%d", ctx_job);
		iov[n++] = (struct iovec){ job, strlen(job) };
	}
	if (ctx_name[0]) {
		snprintf(name, sizeof(name), "ACMED_CERT_NAME=%s", ctx_name);
		iov[n++] = (struct iovec){ name, strlen(name) };
	}
	sd_journal_sendv(iov, n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	/* A child forked after log_set_mirror() (a job's signer) has its own
	 * descriptors: the mirror's is not its to write. */
	bool mirrored = mirror && level <= mirror_level && getpid() == mirror_pid;
	char line[2048];
	va_list ap;

	if (level > max_level && !mirrored)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One message is one line: a newline or escape sequence in text from
	 * outside (a CA, a worker, a hook) cannot forge another log line. */
	text_clean(line);
	if (mirrored)
		mirror(level, line);
	if (level > max_level)
		return;
	switch (sink) {
	case SINK_JOURNAL:
		to_journal(level, line);
		return;
	case SINK_SYSLOG:
		syslog(priorities[level], "%s%s%s", tag, *tag ? ": " : "", line);
		return;
	case SINK_STDERR:
		/* One fprintf per line so lines from concurrent workers do not
		 * interleave. */
		fprintf(stderr, "acmed[%s]%s%s: %s\n", level_names[level], *tag ? " " : "", tag,
			line);
		return;
	}
}
