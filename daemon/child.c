#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/child.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

static void unwatch_close(struct daemon *d, struct watch *w)
{
	if (w->fd < 0)
		return;
	daemon_unwatch(d, w);
	close(w->fd);
	w->fd = -1;
}

void child_signal(const struct child *c, int sig)
{
	if (c->pid > 0)
		kill(c->group ? -c->pid : c->pid, sig);
}

/* Pass on every complete line in the buffer; with FLUSH also the rest. */
static void emit_lines(struct daemon *d, struct child *c, bool flush)
{
	unsigned char *nl;

	while (c->buf.len > 0 && ((nl = memchr(c->buf.buf, '\n', c->buf.len)) || flush ||
				  c->buf.len >= c->line_max)) {
		size_t len = nl ? (size_t)(nl - c->buf.buf) : c->buf.len;
		size_t keep = len > c->line_max ? c->line_max : len;
		char *line = strndup((const char *)c->buf.buf, keep);

		if (line)
			c->ops->on_line(d, c->ctx, line);
		free(line);
		len = keep < len ? keep : len + (nl ? 1 : 0);
		memmove(c->buf.buf, c->buf.buf + len, c->buf.len - len);
		c->buf.len -= len;
	}
}

/* One read of what is there (one per event, so a child that writes without
 * pause cannot keep the loop from the rest); false at EOF or on an error. */
static bool read_output(struct daemon *d, struct child *c)
{
	char chunk[4096];
	ssize_t n = read(c->out_w.fd, chunk, sizeof(chunk));
	size_t keep;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	keep = (size_t)n;
	if (c->output_max && c->output + keep > c->output_max)
		keep = c->output < c->output_max ? c->output_max - c->output : 0;
	if (keep > 0 && ctl_reader_feed(&c->buf, chunk, keep) < 0)
		return false;
	emit_lines(d, c, false);
	if (c->output_max && c->output <= c->output_max && c->output + (size_t)n > c->output_max) {
		char dropped[] = "(more output dropped)";

		emit_lines(d, c, true);
		c->ops->on_line(d, c->ctx, dropped);
	}
	c->output += (size_t)n;
	return true;
}

static void finish(struct daemon *d, struct child *c)
{
	struct timespec t1;

	if (c->done)
		return;
	c->done = true;
	unwatch_close(d, &c->pid_w);
	unwatch_close(d, &c->timer_w);
	if (c->out_w.fd >= 0) {
		/* What it wrote before it ended; a process it left running may
		 * still hold the pipe, so do not wait for EOF. */
		read_output(d, c);
		unwatch_close(d, &c->out_w);
	}
	emit_lines(d, c, true);
	ctl_reader_clear(&c->buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c->result.seconds = (double)(t1.tv_sec - c->t0.tv_sec) +
			    (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e9;
	c->result.timed_out = c->term_sent;
	c->ops->on_exit(d, c->ctx, &c->result); /* may free C */
}

static void on_output(struct daemon *d, struct watch *w, uint32_t events)
{
	struct child *c = container_of(w, struct child, out_w);

	(void)events;
	if (read_output(d, c))
		return;
	emit_lines(d, c, true);
	unwatch_close(d, w);
	c->eof = true;
	if (c->exited)
		finish(d, c);
}

static void on_pid(struct daemon *d, struct watch *w, uint32_t events)
{
	struct child *c = container_of(w, struct child, pid_w);
	siginfo_t si = { 0 };

	(void)events;
	/* A child killed for its time takes its whole group along; the zombie
	 * keeps the group's id from being reused until it is reaped. */
	if (c->term_sent && c->group)
		kill(-c->pid, SIGKILL);
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	if (si.si_code == CLD_EXITED)
		c->result.exit_status = si.si_status;
	else
		c->result.signal = si.si_status;
	c->exited = true;
	unwatch_close(d, w);
	if (!c->wait_eof || c->eof)
		finish(d, c);
}

static void on_timer(struct daemon *d, struct watch *w, uint32_t events)
{
	struct child *c = container_of(w, struct child, timer_w);
	struct itimerspec grace = { .it_value.tv_sec = c->grace };
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks) || c->exited)
		return;
	if (!c->term_sent && c->grace > 0) {
		log_job(LOG_LVL_ERROR, c->job, c->name,
			"%s: still running after %ld s; sending SIGTERM%s", c->label, c->timeout,
			c->group ? " to its process group" : "");
		c->term_sent = true;
		child_signal(c, SIGTERM);
		timerfd_settime(w->fd, 0, &grace, NULL);
		return;
	}
	if (c->term_sent) {
		log_job(LOG_LVL_ERROR, c->job, c->name,
			"%s: did not stop within %ld s of SIGTERM; sending SIGKILL", c->label,
			c->grace);
	} else {
		char limit[32];

		timefmt_format_duration(c->timeout, limit, sizeof(limit));
		log_job(LOG_LVL_ERROR, c->job, c->name,
			"%s took longer than %s (%s): stopping its worker %d", c->label, limit,
			str_or_empty(c->timeout_name), (int)c->pid);
	}
	c->term_sent = true;
	child_signal(c, SIGKILL);
}

int child_start(struct daemon *d, struct child *c)
{
	struct itimerspec its = { .it_value.tv_sec = c->timeout };
	int pfd[2], r;

	c->out_w = c->pid_w = c->timer_w = (struct watch){ -1, NULL };
	c->result = (struct child_exit){ .exit_status = -1 };
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->pid = fork();
	if (c->pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (c->pid == 0) {
		close(pfd[0]);
		if (c->group)
			setpgid(0, 0);
		c->ops->exec(c->ctx, pfd[1]);
		_exit(127);
	}
	close(pfd[1]);
	/* Also here, so a signal to the group reaches it before it ran. */
	if (c->group)
		setpgid(c->pid, c->pid);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	c->out_w = (struct watch){ pfd[0], on_output };
	c->pid_w = (struct watch){ (int)syscall(SYS_pidfd_open, c->pid, 0), on_pid };
	if (c->timeout)
		c->timer_w = (struct watch){ timerfd_create(CLOCK_MONOTONIC,
							    TFD_CLOEXEC | TFD_NONBLOCK),
					     on_timer };
	if (c->pid_w.fd < 0 || (c->timeout && c->timer_w.fd < 0) ||
	    daemon_watch(d, &c->out_w, EPOLLIN) < 0 || daemon_watch(d, &c->pid_w, EPOLLIN) < 0 ||
	    (c->timeout && (timerfd_settime(c->timer_w.fd, 0, &its, NULL) < 0 ||
			    daemon_watch(d, &c->timer_w, EPOLLIN) < 0))) {
		/* Cannot supervise it: do not leave it running unsupervised. */
		r = -errno;
		child_signal(c, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->done = true;
		unwatch_close(d, &c->out_w);
		unwatch_close(d, &c->pid_w);
		unwatch_close(d, &c->timer_w);
		return r < 0 ? r : -EIO;
	}
	return 0;
}

void child_abandon(struct daemon *d, struct child *c)
{
	c->done = true;
	unwatch_close(d, &c->out_w);
	unwatch_close(d, &c->pid_w);
	unwatch_close(d, &c->timer_w);
	ctl_reader_clear(&c->buf);
}
