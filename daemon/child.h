/* A child process the event loop supervises without ever waiting for it:
 * its output read line by line from a pipe, its exit from a pidfd, its time
 * bounded by a timerfd. Jobs (their worker, exec'd) and hooks (/bin/sh -c)
 * are both children. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "ctlproto.h"
#include "daemon/daemon.h"

struct child_exit {
	int exit_status; /* 0..255; -1 if killed by a signal or never started */
	int signal;      /* the signal that ended it, 0 if none */
	bool timed_out;  /* stopped for taking longer than its timeout */
	double seconds;
};

struct child_ops {
	/* In the child, right after fork(): OUT is the write end of the pipe
	 * the daemon reads. It must exec or _exit. */
	void (*exec)(void *ctx, int out);
	/* One line of output (NUL-terminated, without its newline). */
	void (*on_line)(struct daemon *d, void *ctx, char *line);
	/* The child is gone (with WAIT_EOF, also its output read to the end):
	 * called once, after the child's watches are closed. */
	void (*on_exit)(struct daemon *d, void *ctx, const struct child_exit *e);
};

struct child {
	/* Set by the owner before child_start(). */
	const struct child_ops *ops;
	void *ctx;
	const char *label;  /* for the log: "deploy hook ... for a.example" */
	int job;            /* the job it is or follows, and its lineage (NULL: */
	const char *name;   /* none), for the log's fields (log_job()) */
	long timeout;       /* seconds; 0: none */
	const char *timeout_name; /* the setting it comes from ("job_timeout"), for the log */
	long grace;         /* after the timeout, SIGTERM and this long to stop
			     * before SIGKILL; 0: SIGKILL at once */
	size_t line_max;    /* a longer line is passed on in pieces */
	size_t output_max;  /* beyond this much, output is read and dropped
			     * (said once as a line); 0: no limit */
	bool group;         /* own process group: signals go to the group */
	bool wait_eof;      /* finish only once the output reached EOF */
	/* The supervisor's own. */
	struct watch out_w, pid_w, timer_w;
	pid_t pid;
	struct ctl_reader buf;
	size_t output;
	bool term_sent, exited, eof, done;
	struct child_exit result;
	struct timespec t0;
};

/* Fork C (its ops, limits and context set) and watch it. 0, or -errno
 * (nothing runs then, and on_exit is not called). */
int child_start(struct daemon *d, struct child *c);
/* Send SIG to C (to its group with GROUP). */
void child_signal(const struct child *c, int sig);
/* Stop watching C without waiting for it (shutdown): on_exit is not called. */
void child_abandon(struct daemon *d, struct child *c);
