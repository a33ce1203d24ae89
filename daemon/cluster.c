#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "build-config.h"
#include "config_cluster.h"
#include "daemon/child.h"
#include "daemon/cluster.h"
#include "daemon/index.h"
#include "daemon/metrics.h"
#include "daemon/renew/alert.h"
#include "daemon/renew/deploy.h"
#include "daemon/renew/scheduler.h"
#include "daemon/watch/decide.h"
#include "error.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

struct cluster {
	struct child child;
	bool running;
	struct watch restart_w; /* timerfd: the next start */
	long backoff;           /* seconds before the next start */
	int spec_fd;
	bool down;
	char *error;            /* etcd's last error while down */
	time_t since;           /* of the current state */
	unsigned long materialised;
	char host[256];
};

bool cluster_active(const struct daemon *d)
{
	return d->cluster != NULL;
}

bool cluster_down(const struct daemon *d)
{
	return d->cluster && d->cluster->down;
}

/* acmed-watch beside acmed's own executable (a build tree), else the
 * installed one. */
static const char *watch_executable(void)
{
	static char path[PATH_MAX];

	return path[0] ? path
		       : fs_beside_self(path, sizeof(path), "acmed-watch", ACMED_WATCH_PATH);
}

static bool passed_on(const char *var)
{
	static const char *const names[] = { "JOURNAL_STREAM=", "TZ=", "INVOCATION_ID=",
					     "LD_PRELOAD=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
					     "LSAN_OPTIONS=" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strncmp(var, names[i], strlen(names[i])) == 0)
			return true;
	return strncmp(var, "FAKETIME", 8) == 0;
}

/* In the child: the spec on fd 0, the event pipe on fd 3, nothing else. */
static void watch_exec(void *ctx, int out)
{
	extern char **environ;
	const struct cluster *c = ctx;
	char *argv[] = { "acmed-watch", NULL }, *env[16];
	size_t n = 0;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(c->spec_fd, 0) < 0 || (out == 3 ? fcntl(out, F_SETFD, 0) : dup2(out, 3)) < 0)
		_exit(127);
	close_range(4, ~0U, 0);
	env[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	for (char **e = environ; *e && n + 1 < ELEMENTSOF(env); e++)
		if (passed_on(*e))
			env[n++] = *e;
	env[n] = NULL;
	execve(watch_executable(), argv, env);
	_exit(127);
}

static int write_spec(struct daemon *d, struct cluster *c)
{
	struct json_object *o = json_object_new_object(), *cfg = config_to_json(&d->cfg);
	const char *text;
	int fd, r;

	if (!o || !cfg) {
		json_object_put(o);
		json_object_put(cfg);
		return -ENOMEM;
	}
	json_object_object_add(o, "log", json_object_new_string(log_sink_name()));
	json_object_object_add(o, "config", cfg);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	fd = memfd_create("acmed-watch", MFD_CLOEXEC);
	r = fd < 0 ? -errno : fs_write_all(fd, text, strlen(text));
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	json_object_put(o);
	if (r < 0 && fd >= 0)
		close(fd);
	if (r == 0) {
		if (c->spec_fd >= 0)
			close(c->spec_fd);
		c->spec_fd = fd;
	}
	return r;
}

static void set_state(struct daemon *d, bool down, const char *error)
{
	struct cluster *c = d->cluster;

	if (c->down == down)
		return;
	c->down = down;
	c->since = time(NULL);
	free(c->error);
	c->error = down ? strdup(error ? error : "") : NULL;
	alert_cluster(d, down, error);
	d->dirty = true;
}

static void on_materialised(struct daemon *d, const char *name, int version)
{
	struct cluster *c = d->cluster;
	int r;

	if (!name || !store_name_valid(name) || version < 1)
		return;
	r = index_refresh(&d->index, d->store, name);
	if (r < 0) {
		log_job(LOG_LVL_ERROR, 0, name, "%s: copied from the cluster, but cannot be read "
			"here: %s", name, acmed_strerror(r));
		return;
	}
	sched_new_version(d, name);
	c->materialised++;
	metrics_count_materialised(d);
	log_job(LOG_LVL_INFO, 0, name, "%s: version %d copied from the cluster; running its "
		"deploy hooks", name, version);
	deploy_materialised(d, name, version);
	d->dirty = true;
}

void cluster_line(struct daemon *d, const char *line)
{
	struct json_object *o = json_tokener_parse(line);
	const char *ev = jobj_str(o, "event"), *name = jobj_str(o, "name");

	if (!o || !ev || !d->cluster) {
		json_object_put(o);
		return;
	}
	if (streq(ev, "materialised")) {
		on_materialised(d, name, (int)jobj_int(o, "version", 0));
	} else if (streq(ev, "renewal") && name && store_name_valid(name)) {
		index_refresh(&d->index, d->store, name);
		d->dirty = true;
	} else if (streq(ev, "etcd")) {
		set_state(d, streq(str_or_empty(jobj_str(o, "state")), "down"),
			  jobj_str(o, "error"));
	}
	json_object_put(o);
}

static void on_line(struct daemon *d, void *ctx, char *line)
{
	(void)ctx;
	cluster_line(d, line);
}

static void arm_restart(struct daemon *d, struct cluster *c)
{
	struct itimerspec its = { .it_value.tv_sec = c->backoff };

	if (c->restart_w.fd < 0 || timerfd_settime(c->restart_w.fd, 0, &its, NULL) < 0)
		log_error("acmed-watch: cannot arm its restart: %s", strerror(errno));
	(void)d;
}

static void on_exit_watch(struct daemon *d, void *ctx, const struct child_exit *e)
{
	struct cluster *c = ctx;

	c->running = false;
	/* A run of over a minute was a good one: start again soon. */
	c->backoff = watch_backoff(c->backoff, e->seconds);
	log_error("acmed-watch ended (exit status %d%s); starting it again in %ld s",
		  e->signal ? 128 + e->signal : e->exit_status, e->signal ? ", a signal" : "",
		  c->backoff);
	arm_restart(d, c);
	d->dirty = true;
}

static const struct child_ops watch_ops = {
	.exec = watch_exec,
	.on_line = on_line,
	.on_exit = on_exit_watch,
};

static int spawn(struct daemon *d, struct cluster *c)
{
	int r = write_spec(d, c);

	c->child = (struct child){ .ops = &watch_ops, .ctx = c, .label = "acmed-watch",
				   .line_max = 4096 };
	if (r == 0)
		r = child_start(d, &c->child);
	if (r < 0) {
		log_error("acmed-watch: cannot start it: %s", strerror(-r));
		c->backoff = watch_backoff(c->backoff, 0);
		arm_restart(d, c);
		return r;
	}
	c->running = true;
	return 0;
}

static void on_restart(struct daemon *d, struct watch *w, uint32_t events)
{
	struct cluster *c = container_of(w, struct cluster, restart_w);
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks) || c->running)
		return;
	spawn(d, c);
}

int cluster_start(struct daemon *d)
{
	struct cluster *c;
	char buf[256];

	/* --oneshot renews and exits: there is nothing to follow. */
	if (!d->cfg.storage || !streq(d->cfg.storage, "etcd") || d->cluster || d->oneshot)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->spec_fd = -1;
	c->since = time(NULL);
	snprintf(c->host, sizeof(c->host), "%s", config_cluster_host(&d->cfg, buf, sizeof(buf)));
	c->restart_w = (struct watch){ timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
				       on_restart };
	if (c->restart_w.fd < 0 || daemon_watch(d, &c->restart_w, EPOLLIN) < 0) {
		log_error("acmed-watch: %s", strerror(errno));
		if (c->restart_w.fd >= 0)
			close(c->restart_w.fd);
		free(c);
		return -errno;
	}
	d->cluster = c;
	log_info("cluster mode: this host is %s; starting acmed-watch", c->host);
	return spawn(d, c);
}

void cluster_stop(struct daemon *d)
{
	struct cluster *c = d->cluster;

	if (!c)
		return;
	if (c->running) {
		child_signal(&c->child, SIGTERM);
		child_abandon(d, &c->child);
	}
	daemon_unwatch(d, &c->restart_w);
	close(c->restart_w.fd);
	if (c->spec_fd >= 0)
		close(c->spec_fd);
	free(c->error);
	free(c);
	d->cluster = NULL;
}

struct json_object *cluster_status_json(const struct daemon *d)
{
	const struct cluster *c = d->cluster;
	struct json_object *o;

	if (!c || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(o, "host", json_object_new_string(c->host));
	json_object_object_add(o, "watcher",
			       json_object_new_string(c->running ? "running" : "restarting"));
	json_object_object_add(o, "etcd", json_object_new_string(c->down ? "down" : "up"));
	if (c->down && c->error)
		json_object_object_add(o, "error", json_object_new_string(c->error));
	json_object_object_add(o, "since", jobj_new_time(c->since));
	json_object_object_add(o, "materialised", json_object_new_int64((int64_t)c->materialised));
	return o;
}
