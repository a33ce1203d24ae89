#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/worker/ari.h"
#include "daemon/renew/batch.h"
#include "daemon/control/ctlsrv.h"
#include "ctlproto.h"
#include "error.h"
#include "daemon/jobs/job.h"
#include "jsonutil.h"
#include "log.h"
#include "daemon/notify.h"
#include "daemon/renew/scheduler.h"
#include "timefmt.h"
#include "util.h"

enum job_kind { JOB_ISSUE, JOB_ARI, JOB_TASK };

struct job {
	struct job *next;
	struct watch pipe_w; /* progress lines from the worker */
	struct watch pid_w;  /* pidfd: readable when the worker exits */
	struct watch timer_w; /* timerfd: the job's deadline (job_timeout) */
	int id;
	pid_t pid;
	enum job_kind kind;
	struct issue_req req; /* JOB_ISSUE */
	struct batch *batch;  /* JOB_ISSUE */
	char *server;         /* JOB_ARI: the CA, and the certificates to ask about */
	char **ari_names, **ari_ids;
	size_t nari;
	const char *what;     /* JOB_TASK: what it is, the function, its client */
	char *task_name;
	task_fn task;
	task_done_fn task_done;
	struct json_object *task_args;
	struct conn *client;
	struct ctl_reader lines; /* reused as a plain byte buffer */
	char *step;              /* the last progress message */
	time_t started_at;
	struct json_object *reply;
	bool started, pipe_done, exited, timed_out;
	int wstatus;
	long deadline; /* seconds from its start */
};

bool job_busy(const struct daemon *d, const char *name)
{
	for (const struct job *j = d->jobs; j; j = j->next)
		if ((j->kind == JOB_ISSUE && streq(j->req.name, name)) ||
		    (j->kind == JOB_TASK && streq(j->task_name, name)))
			return true;
	return false;
}

bool job_renewing(const struct daemon *d)
{
	for (const struct job *j = d->jobs; j; j = j->next)
		if (j->kind == JOB_ISSUE)
			return true;
	return false;
}

void job_forget_client(struct daemon *d, struct conn *client)
{
	for (struct job *j = d->jobs; j; j = j->next)
		if (j->client == client)
			j->client = NULL;
}

const char *job_name_for_domains(const struct daemon *d, char *const *domains, size_t n)
{
	for (const struct job *j = d->jobs; j; j = j->next) {
		bool same = j->kind == JOB_ISSUE && j->req.name && j->req.ndomains == n;

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

static void job_free(struct job *j)
{
	free(j->step);
	issue_req_clear(&j->req);
	free(j->server);
	free(j->task_name);
	json_object_put(j->task_args);
	strv_free(j->ari_names, j->nari);
	strv_free(j->ari_ids, j->nari);
	ctl_reader_clear(&j->lines);
	json_object_put(j->reply);
	free(j);
}

/* The worker: run the issuance, write the reply as the last line, exit. */
static _Noreturn void worker_main(struct daemon *d, struct job *j, int ev_fd)
{
	struct json_object *reply, *line;
	sigset_t all;
	struct timespec t0, t1;
	struct rusage ru, ru_children;

	prctl(PR_SET_NAME, "acmed-worker");
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
	if (j->kind == JOB_ARI)
		log_set_context(j->id, NULL, "ARI");
	else if (j->kind == JOB_TASK)
		log_set_context(j->id, j->task_name, j->what);
	else
		log_set_context(j->id, j->req.name, "(csr)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (j->kind == JOB_ARI)
		reply = ari_check_run(j->server, &d->cfg, j->ari_names, j->ari_ids, j->nari, ev_fd);
	else if (j->kind == JOB_TASK)
		reply = j->task(j->task_args, &d->cfg, ev_fd);
	else
		reply = issue_run(&j->req, &d->cfg, ev_fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	getrusage(RUSAGE_CHILDREN, &ru_children);
	/* The children (signer, responder) are reaped by now: the largest
	 * one's peak. */
	log_info("worker done in %.3f s, peak memory %ld KiB, largest child %ld KiB",
		 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		 ru.ru_maxrss, ru_children.ru_maxrss);
	line = json_object_new_object();
	json_object_object_add(line, "event", json_object_new_string("result"));
	json_object_object_add(line, "reply", reply);
	dprintf(ev_fd, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	json_object_put(line);
	_exit(0);
}

static void job_finish(struct daemon *d, struct job *j);

static void handle_line(struct daemon *d, struct job *j, char *line)
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
	} else if (streq(type, "progress") && j->kind == JOB_ISSUE) {
		free(j->step);
		j->step = xstrdup(jobj_str(o, "message"));
		json_object_object_add(o, "job", json_object_new_int(j->id));
		if (j->req.name)
			json_object_object_add(o, "name", json_object_new_string(j->req.name));
		batch_progress(d, j->batch, o);
	} else if (streq(type, "progress") && j->kind == JOB_TASK) {
		free(j->step);
		j->step = xstrdup(jobj_str(o, "message"));
		json_object_object_add(o, "job", json_object_new_int(j->id));
		if (j->client)
			conn_send(j->client, o);
	} else if (streq(type, "ari") && j->kind == JOB_ARI) {
		sched_ari_event(d, j->server, o);
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
			handle_line(d, j, (char *)j->lines.buf);
			memmove(j->lines.buf, nl + 1, j->lines.len - len - 1);
			j->lines.len -= len + 1;
		}
		/* A worker line never gets this long; a runaway one is dropped. */
		if (j->lines.len > CTL_MAX_REPLY)
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
	char msg[1400], limit[32];

	timefmt_format_duration(j->deadline, limit, sizeof(limit));
	if (j->timed_out)
		snprintf(msg, sizeof(msg), "job %d was stopped: it took longer than %s (job_timeout)%s%s",
			 j->id, limit, j->step ? "; its last step: " : "", j->step ? j->step : "");
	else
		snprintf(msg, sizeof(msg),
			 "the worker for job %d ended without a result (exit status %d)", j->id,
			 j->wstatus);
	json_object_object_add(e, "code", json_object_new_string(j->timed_out ? "timeout"
									      : "worker"));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(reply, "status",
			       json_object_new_int(j->timed_out ? ACMED_ETIMEOUT : -EIO));
	json_object_object_add(reply, "error", e);
	return reply;
}

static void job_finish(struct daemon *d, struct job *j)
{
	struct job **pp;

	if (j->timer_w.fd >= 0) {
		daemon_unwatch(d, &j->timer_w);
		close(j->timer_w.fd);
		j->timer_w.fd = -1;
	}
	if (!j->reply)
		j->reply = crash_reply(j);
	log_info("job %d finished: %s", j->id,
		 json_object_to_json_string_ext(j->reply, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	/* Out of the list first: the lineage is free again for what the
	 * result sets off (deploy hooks, the next batch, a reschedule). */
	for (pp = &d->jobs; *pp != j; pp = &(*pp)->next)
		;
	*pp = j->next;
	d->running--;
	if (j->kind == JOB_ARI) {
		sched_ari_done(d, j->server, j->reply);
	} else if (j->kind == JOB_TASK) {
		if (j->task_done)
			j->task_done(d, j->task_args, j->reply);
		if (j->client)
			conn_finish(j->client, j->reply);
		sched_update(d);
	} else {
		batch_job_done(d, j->batch, j->req.name, j->reply);
	}
	job_free(j);
	job_start_queued(d);
}

/* The deadline passed: stop the worker (its signer and responders die
 * with it, PR_SET_PDEATHSIG); the pidfd then finishes the job. */
static void on_deadline(struct daemon *d, struct watch *w, uint32_t events)
{
	struct job *j = container_of(w, struct job, timer_w);
	uint64_t n;
	char limit[32];

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	daemon_unwatch(d, w);
	close(w->fd);
	w->fd = -1;
	if (j->exited)
		return;
	timefmt_format_duration(j->deadline, limit, sizeof(limit));
	log_error("job %d took longer than %s (job_timeout): stopping its worker %d%s%s", j->id,
		  limit, (int)j->pid, j->step ? "; its last step: " : "", str_or_empty(j->step));
	j->timed_out = true;
	kill(j->pid, SIGKILL);
}

/* How long job J may run: job_timeout, plus what the job's own settings
 * let its steps take (the manual hooks' hook_timeout, a DNS propagation
 * wait). */
static long job_deadline(const struct daemon *d, const struct job *j)
{
	long t = d->cfg.job_timeout;

	if (j->kind == JOB_ISSUE && streq(j->req.authn.name, "manual"))
		t += 2 * d->cfg.hook_timeout;
	if (j->kind == JOB_ISSUE)
		t += j->req.authn.dns_rfc2136_propagation_seconds;
	return t;
}

static int arm_deadline(struct daemon *d, struct job *j)
{
	struct itimerspec its = { 0 };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	j->deadline = job_deadline(d, j);
	its.it_value.tv_sec = j->deadline;
	j->timer_w = (struct watch){ fd, on_deadline };
	if (timerfd_settime(fd, 0, &its, NULL) < 0 || daemon_watch(d, &j->timer_w, EPOLLIN) < 0) {
		int r = -errno;

		close(fd);
		j->timer_w.fd = -1;
		return r;
	}
	return 0;
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
	j->started_at = time(NULL);
	j->pipe_w = (struct watch){ pfd[0], on_pipe };
	j->pid_w = (struct watch){ pidfd, on_exit_fd };
	if (pidfd < 0 || daemon_watch(d, &j->pipe_w, EPOLLIN) < 0 ||
	    daemon_watch(d, &j->pid_w, EPOLLIN) < 0 || arm_deadline(d, j) < 0) {
		/* Cannot supervise it: do not leave it running unsupervised,
		 * nor a watch pointing at a job about to be freed. */
		r = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		for (struct watch *w = &j->pipe_w; w <= &j->timer_w; w++) {
			if (w->fd >= 0) {
				daemon_unwatch(d, w);
				close(w->fd);
				w->fd = -1;
			}
		}
		return r;
	}
	d->running++;
	notify_status(d);
	if (j->kind == JOB_ARI)
		log_info("job %d started (worker %d): ARI check of %zu certificate(s) at %s", j->id,
			 (int)pid, j->nari, j->server);
	else if (j->kind == JOB_TASK)
		log_info("job %d started (worker %d): %s%s%s", j->id, (int)pid, j->what,
			 j->task_name ? " " : "", j->task_name ? j->task_name : "");
	else
		log_info("job %d started (worker %d) for %s", j->id, (int)pid,
			 j->req.name ? j->req.name : "a CSR");
	return 0;
}

/* The port a standalone job answers http-01 on, or 0 for other jobs. */
static int standalone_port(const struct job *j)
{
	if (j->kind != JOB_ISSUE || !streq(j->req.authn.name, "standalone"))
		return 0;
	return j->req.authn.http01_port ? j->req.authn.http01_port : 80;
}

/* Two standalone responders cannot listen on one port: such jobs take turns. */
static bool port_taken(const struct daemon *d, const struct job *j)
{
	int port = standalone_port(j);

	for (const struct job *o = d->jobs; port && o; o = o->next)
		if (o != j && o->started && !o->exited && standalone_port(o) == port)
			return true;
	return false;
}

void job_start_queued(struct daemon *d)
{
	for (struct job *j = d->jobs; j; j = j->next) {
		if (j->started || (j->kind == JOB_ISSUE && !batch_released(j->batch)) ||
		    port_taken(d, j))
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

/* Append J to the queue. Jobs start from job_start_queued(). */
static int job_queue(struct daemon *d, struct job *j)
{
	struct job **pp;

	j->id = ++d->next_job_id;
	j->pipe_w.fd = j->pid_w.fd = j->timer_w.fd = -1;
	for (pp = &d->jobs; *pp; pp = &(*pp)->next)
		;
	*pp = j;
	return j->id;
}

int job_submit_issue(struct daemon *d, struct issue_req *req, struct batch *b)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->kind = JOB_ISSUE;
	j->req = *req;
	memset(req, 0, sizeof(*req));
	j->batch = b;
	return job_queue(d, j);
}

int job_submit_task(struct daemon *d, const char *what, const char *name, task_fn fn,
		    task_done_fn done, struct json_object *args, struct conn *client)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j || (name && !(j->task_name = strdup(name)))) {
		free(j);
		return -ENOMEM;
	}
	j->kind = JOB_TASK;
	j->what = what;
	j->task = fn;
	j->task_done = done;
	j->task_args = json_object_get(args);
	j->client = client;
	return job_queue(d, j);
}

int job_submit_ari(struct daemon *d, const char *server, char **names, char **ids, size_t n)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j || !(j->server = strdup(server))) {
		free(j);
		strv_free(names, n);
		strv_free(ids, n);
		return -ENOMEM;
	}
	j->kind = JOB_ARI;
	j->ari_names = names;
	j->ari_ids = ids;
	j->nari = n;
	return job_queue(d, j);
}

void job_stop_all(struct daemon *d)
{
	while (d->jobs) {
		struct job *j = d->jobs;

		d->jobs = j->next;
		if (j->started && !j->exited)
			kill(j->pid, SIGTERM);
		for (struct watch *w = &j->pipe_w; w <= &j->timer_w; w++) {
			if (w->fd >= 0) {
				daemon_unwatch(d, w);
				close(w->fd);
			}
		}
		job_free(j);
	}
	d->running = 0;
}

struct json_object *job_list_json(const struct daemon *d)
{
	struct json_object *list = json_object_new_array();

	for (const struct job *j = d->jobs; j; j = j->next) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int(j->id));
		json_object_object_add(o, "kind", json_object_new_string(
							 j->kind == JOB_ARI	   ? "ari"
							 : j->kind == JOB_TASK ? j->what
							 : j->req.renewal	   ? "renew"
									   : "certonly"));
		if (j->kind == JOB_ISSUE && j->req.name)
			json_object_object_add(o, "name", json_object_new_string(j->req.name));
		if (j->kind == JOB_TASK && j->task_name)
			json_object_object_add(o, "name", json_object_new_string(j->task_name));
		if (j->kind == JOB_ARI)
			json_object_object_add(o, "server", json_object_new_string(j->server));
		json_object_object_add(o, "state", json_object_new_string(j->started ? "running"
										      : "queued"));
		if (j->started)
			json_object_object_add(o, "started", jobj_new_time(j->started_at));
		if (j->step)
			json_object_object_add(o, "step", json_object_new_string(j->step));
		json_object_array_add(list, o);
	}
	return list;
}
