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

#include "ctlproto.h"
#include "fsutil.h"
#include "daemon/renew/hooks.h"
#include "log.h"
#include "util.h"

#define HOOK_LINE_MAX 4096
/* Output beyond this much is read and dropped: a chatty hook must not
 * fill the log. */
#define HOOK_OUTPUT_MAX (256 * 1024)
#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *const hook_kind_names[HOOK__MAX] = {
	[HOOK_PRE] = "pre",
	[HOOK_DEPLOY] = "deploy",
	[HOOK_POST] = "post",
};

struct hook_run {
	struct hook_run *next;
	struct hook_req req;
	pid_t pid;
	struct watch out_w;   /* the hook's stdout and stderr */
	struct watch pid_w;   /* pidfd */
	struct watch timer_w; /* timeout, then the kill grace */
	struct ctl_reader buf;
	size_t output;   /* bytes read so far */
	bool term_sent;
	struct timespec t0;
};

static void req_clear(struct hook_req *r)
{
	free(r->command);
	free(r->label);
	strv_free_nt(r->env);
	memset(r, 0, sizeof(*r));
}

static void unwatch_close(struct daemon *d, struct watch *w)
{
	if (w->fd < 0)
		return;
	daemon_unwatch(d, w);
	close(w->fd);
	w->fd = -1;
}

static void emit_line(struct daemon *d, struct hook_run *h, const char *line)
{
	log_info("%s: %s", h->req.label, line);
	if (h->req.on_output)
		h->req.on_output(d, h->req.ctx, &h->req, line);
}

/* Pass on every complete line in the buffer; with FLUSH also the rest. */
static void emit_lines(struct daemon *d, struct hook_run *h, bool flush)
{
	unsigned char *nl;

	if (!h->buf.buf)
		return;
	while ((nl = memchr(h->buf.buf, '\n', h->buf.len)) ||
	       (h->buf.len > 0 && (flush || h->buf.len >= HOOK_LINE_MAX))) {
		size_t len = nl ? (size_t)(nl - h->buf.buf) : h->buf.len;
		char line[HOOK_LINE_MAX + 1];
		size_t keep = len > HOOK_LINE_MAX ? HOOK_LINE_MAX : len;

		memcpy(line, h->buf.buf, keep);
		line[keep] = '\0';
		/* Control characters from a script must not forge log lines. */
		for (size_t i = 0; i < keep; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
				line[i] = ' ';
		emit_line(d, h, line);
		len += nl ? 1 : 0;
		memmove(h->buf.buf, h->buf.buf + len, h->buf.len - len);
		h->buf.len -= len;
	}
}

/* One read of what is there (one per event, so a hook that writes without
 * pause cannot keep the loop from the rest); false at EOF or on an error. */
static bool read_output(struct daemon *d, struct hook_run *h)
{
	char chunk[4096];
	ssize_t n = read(h->out_w.fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (h->output < HOOK_OUTPUT_MAX) {
		size_t keep = (size_t)n < HOOK_OUTPUT_MAX - h->output ? (size_t)n
								       : HOOK_OUTPUT_MAX - h->output;

		if (ctl_reader_feed(&h->buf, chunk, keep) < 0)
			return false;
		emit_lines(d, h, false);
		if (h->output + (size_t)n > HOOK_OUTPUT_MAX) {
			emit_lines(d, h, true);
			emit_line(d, h, "(more output dropped)");
		}
	}
	h->output += (size_t)n;
	return true;
}

static void on_output(struct daemon *d, struct watch *w, uint32_t events)
{
	struct hook_run *h = container_of(w, struct hook_run, out_w);

	if (!read_output(d, h)) {
		emit_lines(d, h, true);
		unwatch_close(d, w);
	}
}

static void on_timeout(struct daemon *d, struct watch *w, uint32_t events)
{
	struct hook_run *h = container_of(w, struct hook_run, timer_w);
	struct itimerspec grace = { .it_value.tv_sec = HOOK_KILL_GRACE };
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
		return;
	if (!h->term_sent) {
		log_error("%s: still running after %ld s; sending SIGTERM to its process group",
			  h->req.label, d->cfg.hook_timeout);
		h->term_sent = true;
		kill(-h->pid, SIGTERM);
		timerfd_settime(w->fd, 0, &grace, NULL);
	} else {
		log_error("%s: did not stop within %d s of SIGTERM; sending SIGKILL", h->req.label,
			  HOOK_KILL_GRACE);
		kill(-h->pid, SIGKILL);
	}
}

static void hook_start_next(struct daemon *d);

static void log_result(const struct hook_run *h, const struct hook_result *res)
{
	if (res->timed_out)
		log_error("%s: killed after the %s timeout (%.1f s)", h->req.label, "hook_timeout",
			  res->seconds);
	else if (res->not_started)
		log_error("%s: could not be started", h->req.label);
	else if (res->signal)
		log_error("%s: killed by signal %d", h->req.label, res->signal);
	else if (res->exit_status)
		log_error("%s: failed with exit status %d", h->req.label, res->exit_status);
	else
		log_info("%s: done in %.2f s", h->req.label, res->seconds);
}

/* Pop the head of the queue, report it, start the next. */
static void hook_finish(struct daemon *d, struct hook_result *res)
{
	struct hook_run *h = d->hooks;

	d->hooks = h->next;
	unwatch_close(d, &h->pid_w);
	unwatch_close(d, &h->timer_w);
	if (h->out_w.fd >= 0) {
		/* What the hook wrote before it ended; a child it left running may
		 * still hold the pipe, so do not wait for EOF. */
		read_output(d, h);
		emit_lines(d, h, true);
		unwatch_close(d, &h->out_w);
	}
	log_result(h, res);
	if (h->req.on_done)
		h->req.on_done(d, h->req.ctx, &h->req, res);
	req_clear(&h->req);
	ctl_reader_clear(&h->buf);
	free(h);
	hook_start_next(d);
}

static void on_exit_fd(struct daemon *d, struct watch *w, uint32_t events)
{
	struct hook_run *h = container_of(w, struct hook_run, pid_w);
	struct hook_result res = { .exit_status = -1 };
	struct timespec t1;
	siginfo_t si = { 0 };

	/* A hook killed for its timeout takes its whole group along; the
	 * zombie keeps the group's id from being reused until we reap it. */
	if (h->term_sent)
		kill(-h->pid, SIGKILL);
	if (waitid(P_PID, (id_t)h->pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res.seconds = (double)(t1.tv_sec - h->t0.tv_sec) + (double)(t1.tv_nsec - h->t0.tv_nsec) / 1e9;
	res.timed_out = h->term_sent;
	if (si.si_code == CLD_EXITED)
		res.exit_status = si.si_status;
	else
		res.signal = si.si_status;
	hook_finish(d, &res);
}

static _Noreturn void hook_child(const struct hook_req *req, int out_fd)
{
	char *argv[] = { "sh", "-c", req->command, NULL };
	sigset_t none;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* The daemon blocks signals for its signalfd and ignores SIGPIPE; a
	 * hook starts with the defaults. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	close_range(3, ~0U, 0);
	if (chdir("/") < 0)
		_exit(127);
	execve("/bin/sh", argv, req->env);
	_exit(127);
}

static int hook_spawn(struct daemon *d, struct hook_run *h)
{
	struct itimerspec timeout = { .it_value.tv_sec = d->cfg.hook_timeout };
	int pfd[2], r;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	log_info("%s: running %s", h->req.label, h->req.command);
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
	h->pid = fork();
	if (h->pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (h->pid == 0)
		hook_child(&h->req, pfd[1]);
	close(pfd[1]);
	/* Also here, so kill(-pid) reaches the group before the child ran. */
	setpgid(h->pid, h->pid);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	h->out_w = (struct watch){ pfd[0], on_output };
	h->pid_w = (struct watch){ (int)syscall(SYS_pidfd_open, h->pid, 0), on_exit_fd };
	h->timer_w = (struct watch){ timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
				     on_timeout };
	if (h->pid_w.fd < 0 || h->timer_w.fd < 0 ||
	    timerfd_settime(h->timer_w.fd, 0, &timeout, NULL) < 0 ||
	    daemon_watch(d, &h->out_w, EPOLLIN) < 0 || daemon_watch(d, &h->pid_w, EPOLLIN) < 0 ||
	    daemon_watch(d, &h->timer_w, EPOLLIN) < 0) {
		/* Cannot supervise it: do not leave it running unsupervised. */
		r = -errno;
		kill(-h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		return r;
	}
	return 0;
}

static void hook_start_next(struct daemon *d)
{
	struct hook_run *h = d->hooks;
	struct hook_result res = { .exit_status = -1, .not_started = true };
	int r;

	if (!h || h->pid != 0)
		return; /* nothing queued, or the head is running */
	r = hook_spawn(d, h);
	if (r < 0) {
		log_error("%s: cannot start: %s", h->req.label, strerror(-r));
		hook_finish(d, &res); /* starts the next one */
	}
}

int hooks_enqueue(struct daemon *d, struct hook_req *req)
{
	struct hook_run *h = calloc(1, sizeof(*h)), **pp;

	if (!h)
		return -ENOMEM;
	h->req = *req;
	memset(req, 0, sizeof(*req));
	h->out_w.fd = h->pid_w.fd = h->timer_w.fd = -1;
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
		struct hook_result res = { .exit_status = -1, .not_started = h->pid <= 0 };

		d->hooks = h->next;
		if (h->pid > 0) {
			log_warning("%s: stopping it (acmed is shutting down)", h->req.label);
			kill(-h->pid, SIGTERM);
			res.signal = SIGTERM;
		}
		/* The owner frees what it gave the hook (its batch is gone). */
		if (h->req.on_done)
			h->req.on_done(d, h->req.ctx, &h->req, &res);
		unwatch_close(d, &h->out_w);
		unwatch_close(d, &h->pid_w);
		unwatch_close(d, &h->timer_w);
		req_clear(&h->req);
		ctl_reader_clear(&h->buf);
		free(h);
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
	static const char *const pass[] = { "HOME", "LANG", "LC_ALL", "TZ" };
	char **env = calloc(nextra + ELEMENTSOF(pass) + 3, sizeof(char *));
	size_t n = 0;

	if (!env)
		return NULL;
	env[n++] = strdup("PATH=" HOOK_PATH);
	if (asprintf(&env[n++], "ACMED_HOOK=%s", hook_kind_names[kind]) < 0)
		env[n - 1] = NULL;
	for (size_t i = 0; i < ELEMENTSOF(pass); i++) {
		const char *v = getenv(pass[i]);

		if (v && asprintf(&env[n++], "%s=%s", pass[i], v) < 0)
			env[n - 1] = NULL;
	}
	for (size_t i = 0; i < nextra; i++)
		env[n++] = xstrdup(extra[i]);
	for (size_t i = 0; i < n; i++) {
		if (!env[i]) {
			strv_free(env, n);
			return NULL;
		}
	}
	*count = n;
	return env;
}
