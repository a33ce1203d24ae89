/* Logging: readable lines on stderr, the journal with structured fields
 * under systemd, or syslog for a daemon that left its terminal. Messages
 * never contain secrets; callers pass identifiers and URLs, never key
 * material or JWS bodies.
 *
 * The journal is written through a socket of this module's own (the
 * native protocol, one datagram an entry), not libsystemd's, whose
 * descriptor a forked helper's close_range() took away for good: each
 * process, the job's helpers included, logs to the journal itself, with
 * its job's fields. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
/* Send lines to syslog instead of stderr (a daemon that left its terminal). */
void log_use_syslog(void);
/* Send lines to the journal, with PRIORITY and acmed's fields, when stderr
 * is the journal's (systemd sets $JOURNAL_STREAM to its device:inode).
 * True if it does. */
bool log_use_journal_if_there(void);
/* Parse "error", "warning", "info", "debug". Returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
/* What the lines of this process are about: job JOB (0: none) for lineage
 * NAME (NULL: none), shown as "job 3 example.com" on stderr and as
 * ACMED_JOB= and ACMED_CERT_NAME= in the journal; WHAT ("ARI", "revoke")
 * replaces the name in the text when there is none. */
void log_set_context(int job, const char *name, const char *what);
/* Where messages go: "journal", "syslog" or "stderr"; log_use_sink() takes
 * one of those (a job's process logs where its daemon does). */
const char *log_sink_name(void);
void log_use_sink(const char *name);

/* "error", "warning", "info" or "debug". */
const char *log_level_name(enum log_level level);
/* Also hand every line of LEVEL or more urgent to FN (its text, as the log
 * has it, without the context), whatever the log level says, in this
 * process only: a process forked later does not. FN must not log. NULL
 * stops it. What a job does for `acmectl -v`. */
void log_set_mirror(enum log_level level, void (*fn)(enum log_level level, const char *line));

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line about job JOB (0: none) of lineage NAME (NULL: none) from a
 * process that runs many (the daemon): ACMED_JOB= and ACMED_CERT_NAME= in
 * the journal for this line alone. The text is the caller's, and names
 * them itself. */
void log_job(enum log_level level, int job, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A line about an alert (alert.h) for lineage NAME: ACMED_CERT_NAME=,
 * ACMED_EVENT=EVENT and, unless NULL, ACMED_DAYS_LEFT=DAYS_LEFT in the
 * journal. */
void log_event(enum log_level level, const char *name, const char *event, const char *days_left,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* In a forked child about to close the descriptors it did not open
 * (close_range()): let go of the journal's or syslog's socket first. The
 * next message opens a new one. */
void log_close(void);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
