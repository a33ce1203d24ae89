#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "config.h"
#include "ctlproto.h"
#include "daemon/child.h"
#include "daemon/jobs/job.h"
#include "daemon/metrics.h"
#include "error.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "store/store.h"
#include "timefmt.h"
#include "util.h"

struct job {
	struct job *next;
	struct child child;
	int id;
	char *kind, *label, *what, *name, *server;
	char **domains;
	size_t ndomains;
	int port;
	bool may_register;
	bool told_waiting;    /* logged that it waits for a registration */
	long extra_time;
	int verbosity;
	struct json_object *args;
	bool (*may_start)(void *ctx);
	void (*on_event)(struct daemon *d, void *ctx, int id, struct json_object *ev);
	void (*on_done)(struct daemon *d, void *ctx, int id, struct json_object *reply);
	void (*on_drop)(struct daemon *d, void *ctx);
	void *ctx;
	char *step;           /* the last progress message */
	char tag[24];         /* "job N", for the log */
	time_t started_at;
	struct json_object *reply;
	int spec_fd;          /* what the job's process reads on fd 0, until it runs */
	bool started;
	bool committed;       /* its process is past the point of no return */
	bool waiting_user;    /* its process waits for job_tell() */
	int in_fd, in_rd;     /* a pipe to its process (fd 4 there): job_tell() */
	bool cancelling;      /* SIGTERM sent to cancel it */
	struct job_waiter *waiters; /* who asked to cancel it */
	size_t nwaiters;
};

struct job_waiter {
	job_cancel_fn fn;
	void *ctx;
};

/* `status` shows this many finished jobs. */
#define JOB_HISTORY 16

bool job_busy(const struct daemon *d, const char *name)
{
	for (const struct job *j = d->jobs; j; j = j->next)
		if (streq(j->name, name))
			return true;
	return false;
}

bool job_any(const struct daemon *d, const char *kind)
{
	for (const struct job *j = d->jobs; j; j = j->next)
		if (streq(j->kind, kind))
			return true;
	return false;
}

const char *job_name_for_domains(const struct daemon *d, char *const *domains, size_t n)
{
	for (const struct job *j = d->jobs; j; j = j->next) {
		bool same = j->name && j->ndomains == n;

		for (size_t i = 0; same && i < n; i++) {
			same = false;
			for (size_t k = 0; k < n; k++)
				same |= streq(j->domains[k], domains[i]);
		}
		if (same)
			return j->name;
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
	free(j->kind);
	free(j->label);
	free(j->what);
	free(j->name);
	free(j->server);
	strv_free(j->domains, j->ndomains);
	json_object_put(j->args);
	free(j->step);
	json_object_put(j->reply);
	free(j->waiters);
	if (j->in_fd >= 0)
		close(j->in_fd);
	if (j->in_rd >= 0)
		close(j->in_rd);
	if (j->spec_fd >= 0)
		close(j->spec_fd);
	free(j);
}

/* ---- the job's process ---- */

/* The executable a job runs (acmed-job: beside acmed's own executable when
 * there is one, as in a build tree; else the installed one). */
static const char *job_executable(void)
{
	static char path[PATH_MAX];

	return path[0] ? path : fs_beside_self(path, sizeof(path), "acmed-job", ACMED_JOB_PATH);
}

/* FD as descriptor TO, kept across exec (dup2 onto itself would keep
 * O_CLOEXEC). */
static int move_fd(int fd, int to)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, to) < 0 ? -1 : 0;
}

/* The variables of acmed's own environment a job gets, besides PATH: where
 * the log goes, the time zone, whether acmed runs under systemd (for the
 * fix an error names), and how acmed was started to run programs (a
 * preloaded library such as libfaketime, a sanitizer's options). */
static bool passed_on(const char *var)
{
	static const char *const names[] = { "JOURNAL_STREAM=", "TZ=", "INVOCATION_ID=", "LD_PRELOAD=",
					     "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strncmp(var, names[i], strlen(names[i])) == 0)
			return true;
	return strncmp(var, "FAKETIME", 8) == 0;
}

/* In the forked child: the job's executable, with its spec on fd 0, its
 * event pipe on fd 3, the pipe job_tell() writes to on fd 4 (at fd 10 or
 * above until then, so neither move overwrites it), stdio for the log,
 * nothing else, and a clean
 * environment: nothing of this process (other jobs' requests, their
 * secrets) reaches it but what its spec says. */
static void job_exec(void *ctx, int out)
{
	extern char **environ;
	const struct job *j = ctx;
	char *argv[] = { "acmed-job", NULL }, *env[32];
	size_t n = 0;
	sigset_t none;

	/* The daemon blocks these for its signalfd; the job wants defaults. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (move_fd(j->spec_fd, 0) < 0 || move_fd(out, 3) < 0 || move_fd(j->in_rd, 4) < 0)
		_exit(127);
	close_range(5, ~0U, 0);
	env[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	for (char **e = environ; *e && n + 1 < ELEMENTSOF(env); e++)
		if (passed_on(*e))
			env[n++] = *e;
	env[n] = NULL;
	execve(job_executable(), argv, env);
	_exit(127);
}

/* The spec the job's process reads: its kind, the configuration, its
 * arguments; in a memfd, so no write can block the loop. */
static int write_spec(struct daemon *d, struct job *j)
{
	struct json_object *o = json_object_new_object(), *cfg = config_to_json(&d->cfg);
	const char *text;
	int fd = -1, r;

	if (!o || !cfg) {
		json_object_put(o);
		json_object_put(cfg);
		return -ENOMEM;
	}
	json_object_object_add(o, "job", json_object_new_int(j->id));
	json_object_object_add(o, "kind", json_object_new_string(j->kind));
	json_object_object_add(o, "label", json_object_new_string(j->label));
	if (j->name)
		json_object_object_add(o, "name", json_object_new_string(j->name));
	json_object_object_add(o, "log", json_object_new_string(log_sink_name()));
	json_object_object_add(o, "config", cfg);
	json_object_object_add(o, "args", json_object_get(j->args));
	if (j->verbosity > 0)
		json_object_object_add(o, "verbosity", json_object_new_int(j->verbosity));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	fd = memfd_create("acmed-job", MFD_CLOEXEC);
	r = fd < 0 ? -errno : fs_write_all(fd, text, strlen(text));
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	json_object_put(o);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	j->spec_fd = fd;
	return 0;
}

static void job_finish(struct daemon *d, struct job *j);

static double jobj_double(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static void job_line(struct daemon *d, void *ctx, char *line)
{
	struct job *j = ctx;
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
	} else if (streq(type, "request")) {
		metrics_count_request(d, jobj_str(o, "endpoint"), (int)jobj_int(o, "status", 0),
				      jobj_double(o, "seconds"));
	} else {
		if (streq(type, "commit")) {
			j->committed = true;
			goto out;
		}
		if (streq(type, "manual"))
			j->waiting_user = true;
		if (streq(type, "progress")) {
			free(j->step);
			j->step = xstrdup(jobj_str(o, "message"));
		}
		if (j->on_event)
			j->on_event(d, j->ctx, j->id, o);
	}
out:
	json_object_put(o);
}

/* The reply of job J, cancelled. */
static struct json_object *cancelled_reply(const struct job *j)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "job %d (%s%s%s) was cancelled; %s", j->id, j->label,
		 j->name ? " " : "", j->name ? j->name : "",
		 j->name ? "its lineage is unchanged" : "nothing was changed");
	return ctl_error_reply(ACMED_ECANCELLED, NULL, msg);
}

static struct json_object *crash_reply(const struct job *j, const struct child_exit *e)
{
	char msg[1400], limit[32];

	timefmt_format_duration(j->child.timeout, limit, sizeof(limit));
	if (e->timed_out)
		snprintf(msg, sizeof(msg), "job %d was stopped: it took longer than %s (job_timeout)%s%s",
			 j->id, limit, j->step ? "; its last step: " : "", j->step ? j->step : "");
	else
		snprintf(msg, sizeof(msg),
			 "the worker for job %d ended without a result (exit status %d)", j->id,
			 e->signal ? 128 + e->signal : e->exit_status);
	return ctl_error_reply(e->timed_out ? ACMED_ETIMEOUT : -EIO,
			       e->timed_out ? "timeout" : "worker", msg);
}

static void job_exited(struct daemon *d, void *ctx, const struct child_exit *e)
{
	struct job *j = ctx;

	if (!j->reply)
		j->reply = j->cancelling ? cancelled_reply(j) : crash_reply(j, e);
	job_finish(d, j);
}

static const struct child_ops job_ops = { job_exec, job_line, job_exited };

/* Keep what became of J for `status`: the last JOB_HISTORY jobs. */
static void remember(struct daemon *d, const struct job *j)
{
	struct json_object *o = json_object_new_object(), *err = NULL;
	int status = (int)jobj_int(j->reply, "status", -1);

	if (!d->job_history)
		d->job_history = json_object_new_array();
	if (!o || !d->job_history) {
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "id", json_object_new_int(j->id));
	json_object_object_add(o, "kind", json_object_new_string(j->label));
	if (j->name)
		json_object_object_add(o, "name", json_object_new_string(j->name));
	json_object_object_add(o, "result", json_object_new_string(
		status == 0 ? "done" : status == ACMED_ECANCELLED ? "cancelled" : "failed"));
	json_object_object_add(o, "finished", jobj_new_time(time(NULL)));
	if (status != 0 && json_object_object_get_ex(j->reply, "error", &err) &&
	    jobj_str(err, "message"))
		json_object_object_add(o, "error", json_object_new_string(jobj_str(err, "message")));
	if (json_object_array_length(d->job_history) >= JOB_HISTORY)
		json_object_array_del_idx(d->job_history, 0, 1);
	json_object_array_add(d->job_history, o);
}

static void job_finish(struct daemon *d, struct job *j)
{
	bool cancelled = jobj_int(j->reply, "status", -1) == ACMED_ECANCELLED;
	struct job **pp;

	if (cancelled)
		log_job(LOG_LVL_INFO, j->id, j->name, "job %d (%s%s%s) cancelled; %s", j->id,
			j->label, j->name ? " " : "", j->name ? j->name : "",
			j->name ? "its lineage is unchanged" : "nothing was changed");
	else
		log_job(LOG_LVL_INFO, j->id, j->name, "job %d finished: %s", j->id,
			json_object_to_json_string_ext(j->reply, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	remember(d, j);
	/* Out of the list first: the lineage is free again for what the
	 * result sets off (deploy hooks, the next batch, a reschedule). */
	for (pp = &d->jobs; *pp != j; pp = &(*pp)->next)
		;
	*pp = j->next;
	if (j->started)
		d->running--;
	d->dirty = true;
	if (j->on_done)
		j->on_done(d, j->ctx, j->id, j->reply);
	for (size_t i = 0; i < j->nwaiters; i++)
		j->waiters[i].fn(d, j->waiters[i].ctx, j->id, cancelled);
	job_free(j);
}

/* The pipe job_tell() writes to: the read end at fd 10 or above. */
static int open_input(struct job *j)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	j->in_fd = p[1];
	j->in_rd = fcntl(p[0], F_DUPFD_CLOEXEC, 10);
	close(p[0]);
	/* The process reads it blocking. */
	if (j->in_rd < 0 || fcntl(j->in_rd, F_SETFL, 0) < 0)
		return -errno;
	return 0;
}

static int job_start(struct daemon *d, struct job *j)
{
	int r = write_spec(d, j);

	if (r == 0)
		r = open_input(j);
	if (r < 0)
		return r;
	j->child = (struct child){
		.ops = &job_ops,
		.ctx = j,
		.label = j->tag,
		.job = j->id,
		.name = j->name,
		.timeout_name = "job_timeout",
		.timeout = d->cfg.job_timeout + j->extra_time,
		.line_max = CTL_MAX_REPLY,
		.wait_eof = true,
	};
	r = child_start(d, &j->child);
	close(j->spec_fd);
	j->spec_fd = -1;
	close(j->in_rd);
	j->in_rd = -1;
	if (r < 0)
		return r;
	j->started = true;
	j->started_at = time(NULL);
	d->running++;
	d->dirty = true;
	log_job(LOG_LVL_INFO, j->id, j->name, "job %d started (worker %d)%s%s", j->id,
		(int)j->child.pid, j->what[0] == ':' ? "" : " ", j->what);
	return 0;
}

/* Two standalone responders cannot listen on one port: such jobs take turns. */
static bool port_taken(const struct daemon *d, const struct job *j)
{
	for (const struct job *o = d->jobs; j->port && o; o = o->next)
		if (o != j && o->started && o->port == j->port)
			return true;
	return false;
}

/* Issuances and `account register` for a CA without an account here take
 * turns: the first one registers it, and jobs started beside it would each
 * register another ("several accounts"). What one pass of job_start_queued() found for
 * SERVER: the job that may be registering there, or NULL (none: go). */
struct reg_seen {
	const char *server;
	const struct job *registrant;
};

/* Must J wait for a registration? SEEN spares asking again for each of a
 * long queue's jobs for the same CA. */
static bool registering(const struct daemon *d, struct job *j, struct reg_seen *seen)
{
	const struct job *o;
	char *id = NULL;

	if (!j->may_register || !j->server || !d->store)
		return false;
	if (!seen->server || !streq(seen->server, j->server)) {
		for (o = d->jobs; o; o = o->next)
			if (o->started && o->may_register && o->server && streq(o->server, j->server))
				break;
		if (o && store_account_find(d->store, j->server, &id) != -ENOENT)
			o = NULL;
		free(id);
		*seen = (struct reg_seen){ j->server, o };
	}
	o = seen->registrant;
	if (o && !j->told_waiting) {
		j->told_waiting = true;
		log_job(LOG_LVL_INFO, j->id, j->name,
			"job %d waits for job %d to register an account at %s", j->id, o->id,
			j->server);
	}
	return o != NULL;
}

void job_start_queued(struct daemon *d)
{
	struct reg_seen seen = { 0 };

	for (struct job *j = d->jobs, *next; j; j = next) {
		char msg[256];
		int r;

		next = j->next;
		if (d->running >= (unsigned)d->cfg.max_parallel_jobs)
			return;
		if (j->started || (j->may_start && !j->may_start(j->ctx)) || port_taken(d, j) ||
		    registering(d, j, &seen))
			continue;
		r = job_start(d, j);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "the worker for job %d could not be started: %s",
				 j->id, strerror(-r));
			log_job(LOG_LVL_ERROR, j->id, j->name, "%s", msg);
			j->reply = ctl_error_reply(-EIO, "worker", msg);
			job_finish(d, j); /* may finish its batch, and change the list */
			return;
		}
		if (j->may_register)
			seen.server = NULL; /* it may be registering now: ask again */
	}
}

int job_submit(struct daemon *d, const struct job_spec *s)
{
	struct job *j = calloc(1, sizeof(*j)), **pp;

	if (!j)
		return -ENOMEM;
	j->spec_fd = j->in_fd = j->in_rd = -1;
	j->kind = xstrdup(s->kind);
	j->label = xstrdup(s->label ? s->label : s->kind);
	j->what = xstrdup(s->what ? s->what : "");
	j->name = xstrdup(s->name);
	j->server = xstrdup(s->server);
	j->domains = s->ndomains ? calloc(s->ndomains + 1, sizeof(char *)) : NULL;
	for (size_t i = 0; j->domains && i < s->ndomains; i++)
		if ((j->domains[j->ndomains] = xstrdup(s->domains[i])))
			j->ndomains++;
	if (!j->kind || !j->label || !j->what || (s->name && !j->name) || (s->server && !j->server) ||
	    j->ndomains != s->ndomains) {
		job_free(j);
		return -ENOMEM;
	}
	j->port = s->port;
	j->may_register = s->may_register;
	j->extra_time = s->extra_time;
	j->verbosity = s->verbosity;
	j->args = json_object_get(s->args);
	j->may_start = s->may_start;
	j->on_event = s->on_event;
	j->on_done = s->on_done;
	j->on_drop = s->on_drop;
	j->ctx = s->ctx;
	j->id = ++d->next_job_id;
	snprintf(j->tag, sizeof(j->tag), "job %d", j->id);
	for (pp = &d->jobs; *pp; pp = &(*pp)->next)
		;
	*pp = j;
	d->dirty = true;
	return j->id;
}

void job_stop_all(struct daemon *d)
{
	while (d->jobs) {
		struct job *j = d->jobs;

		d->jobs = j->next;
		if (j->started) {
			child_signal(&j->child, SIGTERM);
			child_abandon(d, &j->child);
		}
		if (j->on_drop)
			j->on_drop(d, j->ctx);
		for (size_t i = 0; i < j->nwaiters; i++)
			j->waiters[i].fn(d, j->waiters[i].ctx, j->id, false);
		job_free(j);
	}
	d->running = 0;
	json_object_put(d->job_history);
	d->job_history = NULL;
}

struct json_object *job_list_json(const struct daemon *d)
{
	struct json_object *list = json_object_new_array();

	for (const struct job *j = d->jobs; j; j = j->next) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int(j->id));
		json_object_object_add(o, "kind", json_object_new_string(j->label));
		if (j->name)
			json_object_object_add(o, "name", json_object_new_string(j->name));
		else if (j->server)
			json_object_object_add(o, "server", json_object_new_string(j->server));
		json_object_object_add(o, "state",
				       json_object_new_string(j->cancelling ? "cancelling"
							      : j->started  ? "running"
									    : "queued"));
		if (j->started)
			json_object_object_add(o, "started", jobj_new_time(j->started_at));
		if (j->step)
			json_object_object_add(o, "step", json_object_new_string(j->step));
		json_object_array_add(list, o);
	}
	return list;
}

/* ---- cancelling ---- */

static struct job *job_by_id(const struct daemon *d, int id)
{
	for (struct job *j = d->jobs; j; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

int job_id_for_name(const struct daemon *d, const char *name)
{
	for (const struct job *j = d->jobs; j; j = j->next)
		if (streq(j->name, name))
			return j->id;
	return 0;
}

bool job_info(const struct daemon *d, int id, const char **label, const char **name)
{
	const struct job *j = job_by_id(d, id);

	if (j) {
		*label = j->label;
		*name = j->name;
	}
	return j != NULL;
}

/* Kinds whose process may be stopped before it commits (cancel.h). */
static bool cancellable(const struct job *j)
{
	return streq(j->kind, "issue") || streq(j->kind, "ari") || streq(j->kind, "check");
}

int job_cancel(struct daemon *d, int id, job_cancel_fn fn, void *ctx)
{
	struct job *j = job_by_id(d, id);
	struct job_waiter *w;

	if (!j)
		return -ENOENT;
	if (j->started && (!cancellable(j) || j->committed))
		return -EBUSY;
	w = realloc(j->waiters, (j->nwaiters + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	j->waiters = w;
	w[j->nwaiters++] = (struct job_waiter){ fn, ctx };
	if (j->cancelling)
		return 0;
	j->cancelling = true;
	d->dirty = true;
	log_job(LOG_LVL_INFO, j->id, j->name, "job %d (%s%s%s): cancelling, as asked", j->id,
		j->label, j->name ? " " : "", j->name ? j->name : "");
	if (j->started) {
		child_signal(&j->child, SIGTERM);
		return 0;
	}
	j->reply = cancelled_reply(j);
	job_finish(d, j); /* calls FN */
	return 0;
}

struct json_object *job_history_json(const struct daemon *d)
{
	return d->job_history;
}

int job_tell(struct daemon *d, int id, const char *line)
{
	struct job *j = job_by_id(d, id);
	char buf[256];
	int n;

	if (!j)
		return -ENOENT;
	if (!j->waiting_user || j->in_fd < 0)
		return -EAGAIN;
	n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	/* Far less than PIPE_BUF into a pipe it drains: whole or not at all. */
	if (write(j->in_fd, buf, (size_t)n) != n)
		return -errno;
	j->waiting_user = false;
	return 0;
}

void job_hangup(struct daemon *d, int id)
{
	struct job *j = job_by_id(d, id);

	if (j && j->in_fd >= 0) {
		close(j->in_fd);
		j->in_fd = -1;
	}
}
