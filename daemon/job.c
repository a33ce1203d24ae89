#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlproto.h"
#include "ctlsrv.h"
#include "error.h"
#include "job.h"
#include "log.h"
#include "util.h"

struct job {
	struct job *next;
	struct watch pipe_w; /* progress lines from the worker */
	struct watch pid_w;  /* pidfd: readable when the worker exits */
	int id;
	pid_t pid;
	struct issue_req req;
	struct conn *client;
	struct ctl_reader lines; /* reused as a plain byte buffer */
	struct json_object *reply;
	bool started, pipe_done, exited;
	int wstatus;
};

bool job_busy(const struct daemon *d, const char *name)
{
	for (const struct job *j = d->jobs; j; j = j->next)
		if (streq(j->req.name, name))
			return true;
	return false;
}

const char *job_name_for_domains(const struct daemon *d, char *const *domains, size_t n)
{
	for (const struct job *j = d->jobs; j; j = j->next) {
		bool same = j->req.name && j->req.ndomains == n;

		for (size_t i = 0; same && i < n; i++) {
			same = false;
			for (size_t k = 0; k < n; k++)
				same |= streq(j->req.domains[k], domains[i]);
		}
		if (same)
			return j->req.name;
	}
	return NULL;
}

unsigned job_count(const struct daemon *d)
{
	unsigned n = 0;

	for (const struct job *j = d->jobs; j; j = j->next)
		n++;
	return n;
}

void job_forget_client(struct daemon *d, struct conn *client)
{
	for (struct job *j = d->jobs; j; j = j->next)
		if (j->client == client)
			j->client = NULL;
}

static void job_free(struct job *j)
{
	issue_req_clear(&j->req);
	ctl_reader_clear(&j->lines);
	json_object_put(j->reply);
	free(j);
}

/* The worker: run the issuance, write the reply as the last line, exit. */
static _Noreturn void worker_main(struct daemon *d, struct job *j, int ev_fd)
{
	struct json_object *reply, *line;
	char tag[300];
	sigset_t all;
	struct timespec t0, t1;
	struct rusage ru;

	/* The parent blocks these for its signalfd; the worker wants defaults. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Keep stdio (logging) and the event pipe; drop the daemon's sockets. */
	if (ev_fd != 3) {
		dup2(ev_fd, 3);
		ev_fd = 3;
	}
	close_range(4, ~0U, 0);
	snprintf(tag, sizeof(tag), "job %d %s", j->id, j->req.name ? j->req.name : "(csr)");
	log_set_tag(tag);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	reply = issue_run(&j->req, &d->cfg, ev_fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	log_info("worker done in %.3f s, peak memory %ld KiB",
		 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		 ru.ru_maxrss);
	line = json_object_new_object();
	json_object_object_add(line, "event", json_object_new_string("result"));
	json_object_object_add(line, "reply", reply);
	dprintf(ev_fd, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	json_object_put(line);
	_exit(0);
}

static void job_finish(struct daemon *d, struct job *j);
static void job_start_queued(struct daemon *d);

static void handle_line(struct job *j, char *line)
{
	struct json_object *o = json_tokener_parse(line), *ev, *reply;
	const char *type;

	if (!o || !json_object_object_get_ex(o, "event", &ev)) {
		json_object_put(o);
		return;
	}
	type = json_object_get_string(ev);
	if (streq(type, "result") && json_object_object_get_ex(o, "reply", &reply)) {
		json_object_put(j->reply);
		j->reply = json_object_get(reply);
	} else if (streq(type, "progress") && j->client) {
		json_object_object_add(o, "job", json_object_new_int(j->id));
		conn_send(j->client, o);
	}
	json_object_put(o);
}

static void on_pipe(struct daemon *d, struct watch *w, uint32_t events)
{
	struct job *j = container_of(w, struct job, pipe_w);
	char buf[4096];
	ssize_t n = read(w->fd, buf, sizeof(buf));
	unsigned char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0 && ctl_reader_feed(&j->lines, buf, (size_t)n) == 0) {
		while ((nl = memchr(j->lines.buf, '\n', j->lines.len))) {
			size_t len = (size_t)(nl - j->lines.buf);

			*nl = '\0';
			handle_line(j, (char *)j->lines.buf);
			memmove(j->lines.buf, nl + 1, j->lines.len - len - 1);
			j->lines.len -= len + 1;
		}
		/* A worker line never gets this long; a runaway one is dropped. */
		if (j->lines.len > CTL_MAX_FRAME)
			j->lines.len = 0;
		return;
	}
	daemon_unwatch(d, w);
	close(w->fd);
	w->fd = -1;
	j->pipe_done = true;
	if (j->exited)
		job_finish(d, j);
}

static void on_exit_fd(struct daemon *d, struct watch *w, uint32_t events)
{
	struct job *j = container_of(w, struct job, pid_w);
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	j->wstatus = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	daemon_unwatch(d, w);
	close(w->fd);
	w->fd = -1;
	j->exited = true;
	if (j->pipe_done)
		job_finish(d, j);
}

static struct json_object *crash_reply(const struct job *j)
{
	struct json_object *reply = json_object_new_object(), *e = json_object_new_object();
	char msg[160];

	snprintf(msg, sizeof(msg), "the worker for job %d ended without a result (exit status %d)",
		 j->id, j->wstatus);
	json_object_object_add(e, "code", json_object_new_string("worker"));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(reply, "status", json_object_new_int(-EIO));
	json_object_object_add(reply, "error", e);
	return reply;
}

static void job_finish(struct daemon *d, struct job *j)
{
	struct job **pp;

	if (!j->reply)
		j->reply = crash_reply(j);
	log_info("job %d finished: %s", j->id,
		 json_object_to_json_string_ext(j->reply, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	if (j->req.name && index_refresh(&d->index, d->store, j->req.name) < 0)
		log_warning("could not refresh the index for %s", j->req.name);
	if (j->client)
		conn_finish(j->client, j->reply);
	for (pp = &d->jobs; *pp != j; pp = &(*pp)->next)
		;
	*pp = j->next;
	d->running--;
	job_free(j);
	job_start_queued(d);
}

static int job_start(struct daemon *d, struct job *j)
{
	int pfd[2], pidfd, r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		close(pfd[0]);
		worker_main(d, j, pfd[1]);
	}
	close(pfd[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	j->pid = pid;
	j->started = true;
	j->pipe_w = (struct watch){ pfd[0], on_pipe };
	j->pid_w = (struct watch){ pidfd, on_exit_fd };
	if (pidfd < 0 || daemon_watch(d, &j->pipe_w, EPOLLIN) < 0 ||
	    daemon_watch(d, &j->pid_w, EPOLLIN) < 0) {
		/* Cannot supervise it: do not leave it running unsupervised. */
		kill(pid, SIGKILL);
		return -errno;
	}
	d->running++;
	log_info("job %d started (worker %d) for %s", j->id, (int)pid,
		 j->req.name ? j->req.name : "a CSR");
	return 0;
}

static void job_start_queued(struct daemon *d)
{
	for (struct job *j = d->jobs; j; j = j->next) {
		if (j->started)
			continue;
		if (d->running >= (unsigned)d->cfg.max_parallel_jobs)
			return;
		if (job_start(d, j) < 0) {
			log_error("job %d: could not start a worker: %s", j->id, strerror(errno));
			j->started = j->exited = j->pipe_done = true;
			d->running++;
			job_finish(d, j);
			return;
		}
	}
}

int job_submit(struct daemon *d, struct issue_req *req, struct conn *client)
{
	struct job *j = calloc(1, sizeof(*j)), **pp;
	int id;

	if (!j)
		return -ENOMEM;
	j->id = id = ++d->next_job_id;
	j->req = *req;
	memset(req, 0, sizeof(*req));
	j->client = client;
	j->pipe_w.fd = j->pid_w.fd = -1;
	for (pp = &d->jobs; *pp; pp = &(*pp)->next)
		;
	*pp = j;
	if (d->running >= (unsigned)d->cfg.max_parallel_jobs && client) {
		struct json_object *ev = json_object_new_object();

		json_object_object_add(ev, "event", json_object_new_string("progress"));
		json_object_object_add(ev, "message",
				       json_object_new_string("Waiting for a free job slot"));
		conn_send(client, ev);
		json_object_put(ev);
	}
	job_start_queued(d); /* may already have finished and freed J */
	return id;
}

void job_stop_all(struct daemon *d)
{
	while (d->jobs) {
		struct job *j = d->jobs;

		d->jobs = j->next;
		if (j->started && !j->exited)
			kill(j->pid, SIGTERM);
		for (struct watch *w = &j->pipe_w; w <= &j->pid_w; w++) {
			if (w->fd >= 0) {
				daemon_unwatch(d, w);
				close(w->fd);
			}
		}
		job_free(j);
	}
	d->running = 0;
}
