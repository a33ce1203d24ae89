#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/child.h"
#include "daemon/metrics.h"
#include "daemon/renew/hooks.h"
#include "daemon/renew/hookunit.h"
#include "fsutil.h"
#include "hookexec.h"
#include "log.h"
#include "text.h"
#include "util.h"

#define HOOK_LINE_MAX 4096
/* Output beyond this much is read and dropped: a chatty hook must not
 * fill the log. */
#define HOOK_OUTPUT_MAX (256 * 1024)
/* A hook held back while live/ is switched tries again every
 * STORE_LIVE_RETRY_MS; a switch takes milliseconds. Past HOOK_LIVE_WAIT s
 * (a hung file system), it runs anyway. */
#define HOOK_LIVE_WAIT 60

const char *const hook_kind_names[HOOK__MAX] = {
	[HOOK_PRE] = "pre",
	[HOOK_DEPLOY] = "deploy",
	[HOOK_POST] = "post",
	[HOOK_ALERT] = "alert",
};

struct hook_run {
	struct hook_run *next;
	struct hook_req req;
	struct child child;
	bool started;
	char **unit_argv; /* systemd-run's, when it runs as a transient unit */
	struct text_tail tail; /* for hook_result's output */
	struct store_live_lock live; /* held while it runs (live_locked()) */
	double wait_start; /* monotonic seconds it first waited for live/; 0: never */
};

static void req_clear(struct hook_req *r)
{
	free(r->command);
	free(r->label);
	free(r->name);
	strv_free_nt(r->env);
	memset(r, 0, sizeof(*r));
}

static void hook_start_next(struct daemon *d);

static void log_result(const struct hook_run *h, const struct hook_result *res)
{
	const struct hook_req *r = &h->req;

	if (res->timed_out)
		log_job(LOG_LVL_ERROR, r->job, r->name, "%s: killed after the %s timeout (%.1f s)",
			r->label, "hook_timeout", res->seconds);
	else if (res->not_started)
		log_job(LOG_LVL_ERROR, r->job, r->name, "%s: could not be started", r->label);
	else if (res->signal)
		log_job(LOG_LVL_ERROR, r->job, r->name, "%s: killed by signal %d", r->label,
			res->signal);
	else if (res->exit_status)
		log_job(LOG_LVL_ERROR, r->job, r->name, "%s: failed with exit status %d%s%s",
			r->label, res->exit_status, *res->output ? "; its output ended: " : "",
			res->output);
	else
		log_job(LOG_LVL_INFO, r->job, r->name, "%s: done in %.2f s", r->label,
			res->seconds);
}

/* Pop the head of the queue, report it, start the next. */
static void hook_finish(struct daemon *d, const struct hook_result *res)
{
	struct hook_run *h = d->hooks;
	struct hook_result r = *res;

	d->hooks = h->next;
	store_live_unlock(&h->live);
	r.output = text_tail_get(&h->tail);
	res = &r;
	log_result(h, res);
	if (!res->stopped)
		metrics_count_hook(d, h->req.kind,
				   res->timed_out ? 2
				   : res->exit_status == 0 && !res->signal && !res->not_started ? 0
												: 1);
	if (h->req.on_done)
		h->req.on_done(d, h->req.ctx, &h->req, res);
	req_clear(&h->req);
	strv_free_nt(h->unit_argv);
	free(h);
	hook_start_next(d);
}

static void hook_exec(void *ctx, int out)
{
	const struct hook_run *h = ctx;
	/* systemd-run's own environment; the hook's is in its arguments. */
	static char *const run_env[] = { "PATH=" HOOK_PATH, NULL };

	if (h->unit_argv)
		hookexec_exec(HOOKUNIT_SYSTEMD_RUN, h->unit_argv, run_env, out, out);
	hookexec_child(h->req.command, h->req.env, out, out);
}

static void hook_line(struct daemon *d, void *ctx, char *line)
{
	struct hook_run *h = ctx;

	/* Control characters from a script must not forge log lines. */
	text_clean(line);
	if (h->tail.len)
		text_tail_add(&h->tail, "\n", 1);
	text_tail_add(&h->tail, line, strlen(line));
	log_job(LOG_LVL_INFO, h->req.job, h->req.name, "%s: %s", h->req.label, line);
	if (h->req.on_output)
		h->req.on_output(d, h->req.ctx, &h->req, line);
}

static void hook_exited(struct daemon *d, void *ctx, const struct child_exit *e)
{
	const struct hook_run *h = ctx;
	struct hook_result res = { .exit_status = e->exit_status, .signal = e->signal,
				   .timed_out = e->timed_out, .seconds = e->seconds };

	/* systemd stopped the unit at RuntimeMaxSec=: systemd-run says 1. */
	if (h->unit_argv && e->exit_status != 0 && e->seconds >= (double)d->cfg.hook_timeout)
		res.timed_out = true;
	hook_finish(d, &res);
}

static const struct child_ops hook_ops = { hook_exec, hook_line, hook_exited };

/* systemd-run's --unit=NAME (hookunit_argv()). */
#define HOOK_UNIT_ARG 1

/* Under acmed.service (hookunit.h), make H run as a transient unit, and
 * give acmed's own timer a margin over systemd's, as a backstop. 0 or
 * -ENOMEM. */
static int hook_as_unit(struct daemon *d, struct hook_run *h)
{
	static unsigned seq;
	char *owner = NULL;

	if (!hookunit_wanted(d->cfg.hook_runner, &owner))
		return 0;
	h->unit_argv = hookunit_argv(h->req.command, h->req.env, h->req.label,
				     d->cfg.hook_timeout, HOOK_KILL_GRACE, owner, ++seq);
	free(owner);
	if (!h->unit_argv)
		return -ENOMEM;
	h->child.timeout += HOOK_KILL_GRACE + 5;
	return 0;
}

static void live_retry(struct daemon *d, struct watch *w, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warning("hooks: reading the retry timer: %s", strerror(errno));
	hook_start_next(d);
}

/* Fire live_retry() in STORE_LIVE_RETRY_MS. 0 or -errno. */
static int live_arm(struct daemon *d)
{
	struct itimerspec its = { .it_value.tv_nsec = STORE_LIVE_RETRY_MS * 1000000L };
	int r;

	if (!d->hook_wait_w.on_event) { /* made on first use */
		int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

		if (fd < 0)
			return -errno;
		d->hook_wait_w = (struct watch){ fd, live_retry };
		r = daemon_watch(d, &d->hook_wait_w, EPOLLIN);
		if (r < 0) {
			close(fd);
			d->hook_wait_w = (struct watch){ -1, NULL };
			return r;
		}
	}
	return timerfd_settime(d->hook_wait_w.fd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* A pre, deploy or post hook may read live/ (nginx -s reload reads every
 * certificate and key it serves): it runs holding live/'s lock, so no
 * lineage's links are switched under it (store_live.c). False if it must
 * wait: live_retry() starts it later. */
static bool live_locked(struct daemon *d, struct hook_run *h)
{
	double now;
	int r;

	if (h->req.kind == HOOK_ALERT || !d->store)
		return true;
	r = store_live_lock(d->store, true, &h->live);
	if (r == 0)
		return true;
	now = monotonic_now();
	if (h->wait_start == 0)
		h->wait_start = now;
	if (r == -EWOULDBLOCK && now - h->wait_start < HOOK_LIVE_WAIT) {
		r = live_arm(d);
		if (r == 0)
			return false;
		log_job(LOG_LVL_WARNING, h->req.job, h->req.name,
			"%s: running it without waiting for %s/live: its timer: %s", h->req.label,
			store_dir(d->store), strerror(-r));
	} else if (r == -EWOULDBLOCK) {
		log_job(LOG_LVL_WARNING, h->req.job, h->req.name,
			"%s: running it although %s/live is still being changed after %d s",
			h->req.label, store_dir(d->store), HOOK_LIVE_WAIT);
	} else {
		log_job(LOG_LVL_WARNING, h->req.job, h->req.name,
			"%s: running it without %s/live's lock: %s", h->req.label,
			store_dir(d->store), strerror(-r));
	}
	return true;
}

static void hook_start_next(struct daemon *d)
{
	struct hook_run *h = d->hooks;
	struct hook_result res = { .exit_status = -1, .not_started = true };
	int r;

	if (!h || h->started)
		return; /* nothing queued, or the head is running */
	if (!live_locked(d, h))
		return;
	h->started = true;
	h->child = (struct child){
		.ops = &hook_ops,
		.ctx = h,
		.label = h->req.label,
		.job = h->req.job,
		.name = h->req.name,
		.timeout = d->cfg.hook_timeout,
		.grace = HOOK_KILL_GRACE,
		.line_max = HOOK_LINE_MAX,
		.output_max = HOOK_OUTPUT_MAX,
		.group = true,
	};
	r = hook_as_unit(d, h);
	if (r == 0) {
		log_job(LOG_LVL_INFO, h->req.job, h->req.name, "%s: running %s%s%s", h->req.label,
			h->req.command, h->unit_argv ? " in " : "",
			h->unit_argv ? h->unit_argv[HOOK_UNIT_ARG] + strlen("--unit=") : "");
		r = child_start(d, &h->child);
	}
	if (r < 0) {
		log_job(LOG_LVL_ERROR, h->req.job, h->req.name, "%s: cannot start: %s",
			h->req.label, strerror(-r));
		hook_finish(d, &res); /* starts the next one */
	}
}

int hooks_enqueue(struct daemon *d, struct hook_req *req)
{
	struct hook_run *h = calloc(1, sizeof(*h)), **pp;

	if (!h)
		return -ENOMEM;
	h->req = *req;
	h->live = STORE_LIVE_UNLOCKED;
	memset(req, 0, sizeof(*req));
	for (pp = &d->hooks; *pp; pp = &(*pp)->next)
		;
	*pp = h;
	hook_start_next(d);
	return 0;
}

unsigned hooks_pending(const struct daemon *d)
{
	unsigned n = 0;

	for (const struct hook_run *h = d->hooks; h; h = h->next)
		n++;
	return n;
}

void hooks_stop_all(struct daemon *d)
{
	while (d->hooks) {
		struct hook_run *h = d->hooks;
		struct hook_result res = { .exit_status = -1, .not_started = !h->started,
					   .stopped = true, .output = "" };

		d->hooks = h->next;
		store_live_unlock(&h->live);
		if (h->started) {
			log_job(LOG_LVL_WARNING, h->req.job, h->req.name,
				"%s: stopping it (acmed is shutting down)", h->req.label);
			child_signal(&h->child, SIGTERM);
			res.signal = SIGTERM;
			child_abandon(d, &h->child);
			/* systemd-run's end does not end its unit. */
			if (h->unit_argv)
				hookunit_stop(h->unit_argv[HOOK_UNIT_ARG] + strlen("--unit="));
		}
		/* The owner frees what it gave the hook (its batch is gone). */
		if (h->req.on_done)
			h->req.on_done(d, h->req.ctx, &h->req, &res);
		req_clear(&h->req);
		strv_free_nt(h->unit_argv);
		free(h);
	}
	/* Last: an owner's on_done above may not queue another hook, but if
	 * it did, nothing would start it now. */
	if (d->hook_wait_w.on_event) {
		daemon_unwatch(d, &d->hook_wait_w);
		close(d->hook_wait_w.fd);
		d->hook_wait_w = (struct watch){ -1, NULL };
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append a copy of S to the counted list *V. */
static int list_add(char ***v, size_t *n, char *s)
{
	char **nv = s ? realloc(*v, (*n + 2) * sizeof(**v)) : NULL;

	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	*v = nv;
	nv[(*n)++] = s;
	nv[*n] = NULL;
	return 0;
}

int hooks_dir_list(const char *dir, struct hook_list *out)
{
	DIR *dh;
	struct dirent *e;
	char why[600];
	int r = 0;

	memset(out, 0, sizeof(*out));
	dh = opendir(dir);
	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	/* What it holds runs as root: the directory must be trusted too, or
	 * none of it runs. */
	if (fs_check_trusted_path(dir, why, sizeof(why)) < 0) {
		closedir(dh);
		return list_add(&out->refused, &out->nrefused, strdup(why));
	}
	while (r == 0 && (e = readdir(dh))) {
		struct stat st;
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = fs_join(dir, e->d_name);
		if (!path) {
			r = -ENOMEM;
			break;
		}
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
			log_warning("%s: not an executable file; skipping it", path);
			free(path);
			continue;
		}
		/* A link is judged by what it points at, and the way there. */
		if (fs_check_trusted_path(path, why, sizeof(why)) < 0) {
			free(path);
			r = list_add(&out->refused, &out->nrefused, strdup(why));
			continue;
		}
		r = list_add(&out->paths, &out->n, path);
	}
	closedir(dh);
	if (r < 0) {
		hook_list_clear(out);
		return r;
	}
	if (out->n)
		qsort(out->paths, out->n, sizeof(*out->paths), cmp_str);
	return 0;
}

void hook_list_clear(struct hook_list *l)
{
	strv_free(l->paths, l->n);
	strv_free(l->refused, l->nrefused);
	memset(l, 0, sizeof(*l));
}

char *hooks_sh_quote(const char *s)
{
	size_t n = 2;
	char *out, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	p = out;
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

char **hooks_env(enum hook_kind kind, char *const *extra, size_t nextra, size_t *count)
{
	char **env = hookexec_env(hook_kind_names[kind], extra, nextra);

	for (*count = 0; env && env[*count]; (*count)++)
		;
	return env;
}
