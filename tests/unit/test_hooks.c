/* Hooks: the directory listing (executables only, byte order), quoting for
 * /bin/sh, the clean environment, and the runner itself on a small event
 * loop: output line by line, exit status, the timeout that kills the
 * whole process group, and live/'s lock held while a hook runs. */
#include <sys/epoll.h>
#include <sys/file.h>
#include <time.h>

#include "daemon/renew/hooks.c"
#include "daemon/renew/hookunit.c"

#include "testutil.h"

TEST(dir_list_sorted_executables_only)
{
	char *dir = tmpdir_make(), *p;
	struct hook_list l;
	static const char *const names[] = { "20-b", "10-a", "B-upper", "plain", ".hidden" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		p = path_join(dir, names[i]);
		file_write(p, "#!/bin/sh\n");
		ASSERT_INT_EQ(chmod(p, strcmp(names[i], "plain") ? 0755 : 0644), 0);
		free(p);
	}
	p = path_join(dir, "subdir");
	ASSERT_INT_EQ(mkdir(p, 0755), 0);
	free(p);
	ASSERT_INT_EQ(hooks_dir_list(dir, &l), 0);
	ASSERT_INT_EQ(l.n, 3);
	ASSERT_INT_EQ(l.nrefused, 0);
	/* Byte order: "1" < "2" < "B". */
	ASSERT_TRUE(strstr(l.paths[0], "/10-a") && strstr(l.paths[1], "/20-b") &&
		    strstr(l.paths[2], "/B-upper"));
	ASSERT_TRUE(l.paths[3] == NULL);
	hook_list_clear(&l);
	p = path_join(dir, "missing");
	ASSERT_INT_EQ(hooks_dir_list(p, &l), 0);
	ASSERT_INT_EQ(l.n, 0);
	free(p);
	tmpdir_remove(dir);
}

static bool any_contains(const struct hook_list *l, const char *want)
{
	for (size_t i = 0; i < l->nrefused; i++)
		if (strstr(l->refused[i], want))
			return true;
	return false;
}

/* A hook others could have changed runs as root never: the file, a link's
 * target, or the directory writable by others, or owned by another user. */
TEST(dir_list_refuses_untrusted_hooks)
{
	char *dir = tmpdir_make(), *p, *q, *other = tmpdir_make();
	struct hook_list l;

	p = path_join(dir, "10-open");
	file_write(p, "#!/bin/sh\n");
	ASSERT_INT_EQ(chmod(p, 0777), 0);
	free(p);
	p = path_join(dir, "20-fine");
	file_write(p, "#!/bin/sh\n");
	ASSERT_INT_EQ(chmod(p, 0755), 0);
	free(p);
	q = path_join(other, "target");
	file_write(q, "#!/bin/sh\n");
	ASSERT_INT_EQ(chmod(q, 0757), 0);
	p = path_join(dir, "30-link");
	ASSERT_INT_EQ(symlink(q, p), 0);
	free(p);
	p = path_join(dir, "40-theirs");
	file_write(p, "#!/bin/sh\n");
	ASSERT_INT_EQ(chmod(p, 0755), 0);
	if (geteuid() == 0)
		ASSERT_INT_EQ(chown(p, 4242, 4242), 0);
	free(p);
	ASSERT_INT_EQ(hooks_dir_list(dir, &l), 0);
	ASSERT_INT_EQ(l.n, geteuid() == 0 ? 1 : 2);
	ASSERT_TRUE(strstr(l.paths[0], "/20-fine") != NULL);
	ASSERT_INT_EQ(l.nrefused, geteuid() == 0 ? 3 : 2);
	ASSERT_TRUE(any_contains(&l, "10-open is writable by others (mode 0777)"));
	ASSERT_TRUE(any_contains(&l, "chmod go-w"));
	ASSERT_TRUE(any_contains(&l, "target is writable by others (mode 0757)"));
	if (geteuid() == 0)
		ASSERT_TRUE(any_contains(&l, "40-theirs is owned by uid 4242, not root"));
	hook_list_clear(&l);
	/* The directory open to others: nothing in it runs. */
	ASSERT_INT_EQ(chmod(dir, 0777), 0);
	ASSERT_INT_EQ(hooks_dir_list(dir, &l), 0);
	ASSERT_INT_EQ(l.n, 0);
	ASSERT_INT_EQ(l.nrefused, 1);
	ASSERT_STR_CONTAINS(l.refused[0], "is writable by others (mode 0777)");
	hook_list_clear(&l);
	ASSERT_INT_EQ(chmod(dir, 0700), 0);
	free(q);
	tmpdir_remove(dir);
	tmpdir_remove(other);
}

/* What /bin/sh makes of the quoted string is the string itself. */
TEST(sh_quote)
{
	static const char *const cases[] = {
		"/var/lib/acmed/renewal-hooks/deploy/reload nginx", "it's", "'", "$HOME `id` \"x\"",
		"",
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *q = hooks_sh_quote(cases[i]), *cmd, buf[256] = "";
		FILE *f;

		ASSERT_NONNULL(q);
		ASSERT_TRUE(asprintf(&cmd, "printf %%s %s", q) > 0);
		f = popen(cmd, "r");
		ASSERT_NONNULL(f);
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		pclose(f);
		ASSERT_STR_EQ(buf, cases[i]);
		free(cmd);
		free(q);
	}
}

/* Under acmed.service a hook runs as a transient unit: its environment in
 * --setenv=, its '$' doubled (systemd would expand $NAME itself), the
 * timeout and the owner unit as properties. */
TEST(unit_argv)
{
	char *env[] = { "PATH=/bin", "RENEWED_DOMAINS=a $b", NULL };
	char **argv = hookunit_argv("cp \"$RENEWED_LINEAGE/x\" /etc/y; echo $$", env,
				    "deploy hook for a", 300, 10, "acmed.service", 7);
	size_t n = 0;
	char unit[64], *owner = NULL;

	ASSERT_TRUE(argv != NULL);
	while (argv[n])
		n++;
	snprintf(unit, sizeof(unit), "--unit=acmed-hook-%d-7.service", (int)getpid());
	ASSERT_STR_EQ(argv[0], "systemd-run");
	ASSERT_STR_EQ(argv[1], unit);
	ASSERT_STR_EQ(argv[n - 4], "--");
	ASSERT_STR_EQ(argv[n - 3], "/bin/sh");
	ASSERT_STR_EQ(argv[n - 2], "-c");
	ASSERT_STR_EQ(argv[n - 1], "cp \"$$RENEWED_LINEAGE/x\" /etc/y; echo $$$$");
	ASSERT_STR_EQ(argv[n - 5], "--setenv=RENEWED_DOMAINS=a $b");
	ASSERT_STR_EQ(argv[n - 6], "--setenv=PATH=/bin");
	ASSERT_STR_EQ(argv[n - 7], "--property=StopPropagatedFrom=acmed.service");
	ASSERT_STR_EQ(argv[n - 8], "--property=TimeoutStopSec=10s");
	ASSERT_STR_EQ(argv[n - 9], "--property=RuntimeMaxSec=300s");
	ASSERT_STR_EQ(argv[n - 10], "--description=acmed: deploy hook for a");
	strv_free_nt(argv);
	/* Not under systemd as PID 1's service: hooks run directly. */
	ASSERT_TRUE(!hookunit_wanted("direct", &owner));
	ASSERT_TRUE(owner == NULL);
}

TEST(env_is_clean)
{
	char *extra[] = { "RENEWED_LINEAGE=/var/lib/acmed/live/a", "RENEWED_DOMAINS=a b" };
	size_t n = 0;
	char **env;

	setenv("LANG", "C.UTF-8", 1);
	setenv("ACMED_SECRET_TEST", "leak", 1);
	env = hooks_env(HOOK_DEPLOY, extra, 2, &n);
	ASSERT_NONNULL(env);
	ASSERT_STR_EQ(env[0], "PATH=" HOOK_PATH);
	ASSERT_STR_EQ(env[1], "ACMED_HOOK=deploy");
	ASSERT_TRUE(env[n] == NULL);
	ASSERT_STR_EQ(env[n - 2], "RENEWED_LINEAGE=/var/lib/acmed/live/a");
	ASSERT_STR_EQ(env[n - 1], "RENEWED_DOMAINS=a b");
	for (size_t i = 0; i < n; i++)
		ASSERT_TRUE(strncmp(env[i], "ACMED_SECRET_TEST", 17) != 0);
	ASSERT_TRUE(n >= 5); /* LANG passed on */
	strv_free_nt(env);
}

/* ---- the runner, on a minimal event loop ---- */

int daemon_watch(struct daemon *d, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

int daemon_rewatch(struct daemon *d, struct watch *w, uint32_t events)
{
	return 0;
}

void daemon_unwatch(struct daemon *d, struct watch *w)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

struct seen {
	char lines[8][128];
	int nlines;
	struct hook_result res;
	char output[TEXT_TAIL_MAX + 8]; /* res.output, copied */
	int done;
};

static void on_line(struct daemon *d, void *ctx, const struct hook_req *h, const char *line)
{
	struct seen *s = ctx;

	if (s->nlines < 8)
		snprintf(s->lines[s->nlines++], sizeof(s->lines[0]), "%s", line);
}

static void on_done(struct daemon *d, void *ctx, const struct hook_req *h,
		    const struct hook_result *res)
{
	struct seen *s = ctx;

	s->res = *res;
	snprintf(s->output, sizeof(s->output), "%s", res->output);
	s->res.output = s->output;
	s->done++;
}

static void run_hook(struct daemon *d, const char *cmd, struct seen *s, int max_seconds)
{
	struct hook_req req = { .kind = HOOK_POST, .on_output = on_line, .on_done = on_done,
				.ctx = s };
	size_t n;
	time_t end = time(NULL) + max_seconds;

	req.command = strdup(cmd);
	req.label = strdup("test hook");
	req.env = hooks_env(HOOK_POST, NULL, 0, &n);
	ASSERT_INT_EQ(hooks_enqueue(d, &req), 0);
	/* One event per wait, as the daemon's loop takes them: a handler may
	 * free another watch (a hook's exit frees its output pipe's). */
	while (!s->done && time(NULL) <= end) {
		struct epoll_event ev;

		if (epoll_wait(d->epfd, &ev, 1, 200) == 1) {
			struct watch *w = ev.data.ptr;

			w->on_event(d, w, ev.events);
		}
	}
	ASSERT_INT_EQ(s->done, 1);
	ASSERT_TRUE(d->hooks == NULL);
}

TEST(runner_output_and_status)
{
	struct daemon d = { .epfd = epoll_create1(EPOLL_CLOEXEC), .cfg.hook_timeout = 10 };
	struct seen s = { 0 };

	run_hook(&d, "echo one; printf 'two\\033[31m\\n' >&2; printf three; echo $ACMED_HOOK; "
		     "exit 7", &s, 10);
	ASSERT_INT_EQ(s.res.exit_status, 7);
	ASSERT_TRUE(!s.res.timed_out && !s.res.signal && !s.res.not_started);
	ASSERT_INT_EQ(s.nlines, 3);
	ASSERT_STR_EQ(s.lines[0], "one");
	ASSERT_STR_EQ(s.lines[1], "two [31m"); /* control characters defused */
	ASSERT_STR_EQ(s.lines[2], "threepost");
	/* The end of the output, for the error: cleaned, on one line. */
	ASSERT_STR_EQ(s.res.output, "one two [31m threepost");
	close(d.epfd);
}

/* PID is gone, or a zombie nobody reaped yet (it was reparented). */
static bool running(pid_t pid)
{
	char path[64], *stat = NULL, *p;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 50; i++) {
		if (fs_read_file(path, 4096, &stat, NULL) < 0)
			return false;
		p = strrchr(stat, ')');
		alive = p && p[1] == ' ' && p[2] != 'Z';
		FREE_AND_NULL(stat);
		if (!alive)
			return false;
		usleep(20000);
	}
	return true;
}

/* A hook that hangs, with a child of its own: at hook_timeout the group
 * gets SIGTERM, so neither survives. */
TEST(runner_timeout_kills_the_group)
{
	struct daemon d = { .epfd = epoll_create1(EPOLL_CLOEXEC), .cfg.hook_timeout = 1 };
	struct seen s = { 0 };
	char pidfile[] = "/tmp/acmed-test-hook-XXXXXX", *cmd, *text = NULL;
	int fd = mkstemp(pidfile);
	pid_t child;

	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_TRUE(asprintf(&cmd, "sleep 100 & echo $! > %s; wait", pidfile) > 0);
	run_hook(&d, cmd, &s, 5);
	ASSERT_TRUE(s.res.timed_out);
	ASSERT_INT_EQ(s.res.signal, SIGTERM);
	ASSERT_TRUE(s.res.seconds >= 1.0 && s.res.seconds < 4.0);
	ASSERT_INT_EQ(fs_read_file(pidfile, 64, &text, NULL), 0);
	child = (pid_t)atoi(text);
	ASSERT_TRUE(child > 0);
	ASSERT_TRUE(!running(child));
	unlink(pidfile);
	free(text);
	free(cmd);
	close(d.epfd);
}

/* At shutdown the running hook is stopped and queued ones are dropped, each
 * reported once, so their owners can free what they gave them. */
TEST(stop_all_reports_each_hook)
{
	struct daemon d = { .epfd = epoll_create1(EPOLL_CLOEXEC), .cfg.hook_timeout = 60 };
	struct seen a = { 0 }, b = { 0 };
	struct hook_req ra = { .kind = HOOK_PRE, .on_done = on_done, .ctx = &a };
	struct hook_req rb = { .kind = HOOK_PRE, .on_done = on_done, .ctx = &b };
	size_t n;

	ra.command = strdup("sleep 100");
	ra.label = strdup("running");
	ra.env = hooks_env(HOOK_PRE, NULL, 0, &n);
	rb.command = strdup("true");
	rb.label = strdup("queued");
	rb.env = hooks_env(HOOK_PRE, NULL, 0, &n);
	ASSERT_INT_EQ(hooks_enqueue(&d, &ra), 0);
	ASSERT_INT_EQ(hooks_enqueue(&d, &rb), 0);
	ASSERT_INT_EQ(hooks_pending(&d), 2);
	hooks_stop_all(&d);
	ASSERT_INT_EQ(hooks_pending(&d), 0);
	ASSERT_INT_EQ(a.done, 1);
	ASSERT_INT_EQ(a.res.signal, SIGTERM);
	ASSERT_INT_EQ(b.done, 1);
	ASSERT_TRUE(b.res.not_started);
	close(d.epfd);
}

/* Run the loop for MS milliseconds, one event per wait. */
static void pump(struct daemon *d, int ms)
{
	struct epoll_event ev;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (epoll_wait(d->epfd, &ev, 1, 20) == 1) {
			struct watch *w = ev.data.ptr;

			w->on_event(d, w, ev.events);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

/* Until S's hook is done: at most 10 s. */
static void pump_until(struct daemon *d, struct seen *s)
{
	for (int i = 0; i < 200 && !s->done; i++)
		pump(d, 50);
	ASSERT_INT_EQ(s->done, 1);
}

static void queue(struct daemon *d, enum hook_kind kind, const char *cmd, struct seen *s)
{
	struct hook_req req = { .kind = kind, .on_output = on_line, .on_done = on_done,
				.ctx = s };
	size_t n;

	req.command = strdup(cmd);
	req.label = strdup("test hook");
	req.env = hooks_env(kind, NULL, 0, &n);
	ASSERT_INT_EQ(hooks_enqueue(d, &req), 0);
}

/* A pre, deploy or post hook runs holding live/'s lock shared (flock(1)
 * in the hook cannot take it exclusively); it waits while a switch holds
 * it, and while a switch waits for it at the turnstile (archive/), so a
 * queue of hooks cannot starve a switch. An alert hook does not take it. */
TEST(hooks_never_run_while_live_is_switched)
{
	struct daemon d = { .epfd = epoll_create1(EPOLL_CLOEXEC), .cfg.hook_timeout = 10,
			    .hook_wait_w.fd = -1 };
	struct seen a = { 0 }, b = { 0 }, c = { 0 };
	struct store_live_lock sw;
	char *dir = tmpdir_make(), *cmd, *gate;
	int fd, timer;

	ASSERT_INT_EQ(store_open(dir, true, &d.store), 0);
	ASSERT_TRUE(asprintf(&cmd, "flock -n -x %s/live true && echo free || echo held", dir) > 0);
	/* A switch in progress: the deploy hook waits, then runs under the lock. */
	ASSERT_INT_EQ(store_live_lock(d.store, false, &sw), 0);
	queue(&d, HOOK_DEPLOY, cmd, &a);
	pump(&d, 200);
	ASSERT_INT_EQ(a.done, 0);
	ASSERT_TRUE(!d.hooks->started);
	store_live_unlock(&sw);
	pump_until(&d, &a);
	ASSERT_INT_EQ(a.nlines, 1);
	ASSERT_STR_EQ(a.lines[0], "held");
	/* A switch waiting at the turnstile holds the next hook back. */
	ASSERT_TRUE(asprintf(&gate, "%s/archive", dir) > 0);
	fd = open(gate, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0 && flock(fd, LOCK_EX) == 0);
	queue(&d, HOOK_POST, cmd, &b);
	pump(&d, 200);
	ASSERT_INT_EQ(b.done, 0);
	ASSERT_TRUE(!d.hooks->started);
	timer = d.hook_wait_w.fd;
	ASSERT_TRUE(timer >= 0);
	close(fd);
	pump_until(&d, &b);
	ASSERT_STR_EQ(b.lines[0], "held");
	/* An alert hook reads no certificate: it runs without the lock. */
	queue(&d, HOOK_ALERT, cmd, &c);
	pump_until(&d, &c);
	ASSERT_STR_EQ(c.lines[0], "free");
	hooks_stop_all(&d); /* closes the retry timer */
	ASSERT_TRUE(d.hook_wait_w.on_event == NULL);
	ASSERT_TRUE(fcntl(timer, F_GETFD) < 0 && errno == EBADF);
	store_close(d.store);
	free(gate);
	free(cmd);
	close(d.epfd);
	tmpdir_remove(dir);
}
