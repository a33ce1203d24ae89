#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "text.h"
#include "util.h"

enum sink { SINK_STDERR, SINK_SYSLOG, SINK_JOURNAL };

/* journald's native socket (systemd's "Native Journal Protocol"); the
 * unit test points it elsewhere. */
#ifndef JOURNAL_SOCKET
#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#endif

static enum log_level max_level = LOG_LVL_INFO;
static enum sink sink = SINK_STDERR;
static char tag[160];       /* "job 3 example.com" */
static int ctx_job;
static char ctx_name[256];
static void (*mirror)(enum log_level level, const char *line);
static enum log_level mirror_level;
static pid_t mirror_pid; /* the process that set it */
static int journal_fd = -1; /* ours: opened at the first entry */
static bool syslog_open;

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
	syslog_open = true;
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

void log_close(void)
{
	if (journal_fd >= 0)
		close(journal_fd);
	journal_fd = -1;
	/* glibc's syslog() closes its descriptor when a send fails: after
	 * close_range() that number may be another file of the child's. */
	if (syslog_open)
		closelog();
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

/* ---- the journal ---- */

/* An entry being built: fields in the native protocol's form. */
struct entry {
	char buf[4096];
	size_t len;
	bool truncated;
};

static void put(struct entry *e, const void *p, size_t n)
{
	if (n > sizeof(e->buf) - e->len) {
		e->truncated = true;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

/* KEY=VALUE, or, for a value holding a newline, KEY, the value's length
 * (64 bits, little-endian) and the value. */
static void field(struct entry *e, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

	if (!memchr(value, '\n', vlen)) {
		put(e, key, klen);
		put(e, "=", 1);
	} else {
		uint8_t le[8];

		for (int i = 0; i < 8; i++)
			le[i] = (uint8_t)((uint64_t)vlen >> (8 * i));
		put(e, key, klen);
		put(e, "\n", 1);
		put(e, le, sizeof(le));
	}
	put(e, value, vlen);
	put(e, "\n", 1);
}

/* Send ENTRY as one datagram. Our entries are a few KiB at most, far below
 * a datagram's limit, so the memfd libsystemd uses for large entries is not
 * needed. The socket is this module's own; a forked child that closed its
 * descriptors calls log_close() first, and if one did not, the send fails
 * (EBADF; ENOTSOCK or EISCONN when the number went to another file or
 * socket) and the entry goes through a new socket, the old number left
 * alone: it is not ours any more. */
static void journal_send(const struct entry *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct iovec iov = { (void *)e->buf, e->len };
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			     .msg_iovlen = 1 };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", JOURNAL_SOCKET);

	for (int attempt = 0; attempt < 2; attempt++) {
		if (journal_fd < 0)
			journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (journal_fd < 0 || sendmsg(journal_fd, &mh, MSG_NOSIGNAL) >= 0)
			return;
		if (errno != EBADF && errno != ENOTSOCK && errno != EISCONN &&
		    errno != EOPNOTSUPP && errno != EPROTOTYPE)
			return; /* no journal (ENOENT, ECONNREFUSED): nowhere to say it */
		journal_fd = -1;
	}
}

/* What a line is about: job JOB (0: none) of lineage NAME (NULL: none),
 * and for an alert its EVENT and DAYS_LEFT (NULL: none). */
struct about {
	int job;
	const char *name, *event, *days_left;
};

/* One journal entry: the text, its priority, and what it is about. */
static void to_journal(enum log_level level, const struct about *a, const char *line)
{
	int job = a->job;
	const char *name = a->name;
	struct entry entry, *e = &entry;
	char msg[2400], num[32];

	e->len = 0;
	e->truncated = false;
	snprintf(msg, sizeof(msg), "%s%s%s", tag, *tag ? ": " : "", line);
	field(e, "MESSAGE", msg);
	snprintf(num, sizeof(num), "%d", priorities[level]);
	field(e, "PRIORITY", num);
	field(e, "SYSLOG_IDENTIFIER", "acmed");
	if (job > 0) {
		snprintf(num, sizeof(num), "%d", job);
		field(e, "ACMED_JOB", num);
	}
	if (name && *name)
		field(e, "ACMED_CERT_NAME", name);
	if (a->event)
		field(e, "ACMED_EVENT", a->event);
	if (a->days_left)
		field(e, "ACMED_DAYS_LEFT", a->days_left);
	if (!e->truncated) /* (2.7 KiB at most: never) */
		journal_send(e);
}

static void emit(enum log_level level, const struct about *a, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void emit(enum log_level level, const struct about *a, const char *fmt, va_list ap)
{
	/* A child forked after log_set_mirror() (a job's signer) has its own
	 * descriptors: the mirror's is not its to write. */
	bool mirrored = mirror && level <= mirror_level && getpid() == mirror_pid;
	char line[2048];

	if (level > max_level && !mirrored)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One message is one line: a newline or escape sequence in text from
	 * outside (a CA, a worker, a hook) cannot forge another log line. */
	text_clean(line);
	if (mirrored)
		mirror(level, line);
	if (level > max_level)
		return;
	switch (sink) {
	case SINK_JOURNAL:
		to_journal(level, a, line);
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

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, &(struct about){ .job = ctx_job, .name = ctx_name }, fmt, ap);
	va_end(ap);
}

void log_job(enum log_level level, int job, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, &(struct about){ .job = job, .name = name }, fmt, ap);
	va_end(ap);
}

void log_event(enum log_level level, const char *name, const char *event, const char *days_left,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, &(struct about){ .name = name, .event = event, .days_left = days_left }, fmt,
	     ap);
	va_end(ap);
}
