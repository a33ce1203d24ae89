/* acmed: the certificate manager daemon. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/renew/batch.h"
#include "daemon/renew/deploy.h"
#include "build-config.h"
#include "config.h"
#include "daemon/control/ctlsrv.h"
#include "daemon/cluster.h"
#include "daemon/daemon.h"
#include "error.h"
#include "fsutil.h"
#include "daemon/renew/hooks.h"
#include "daemon/jobs/job.h"
#include "log.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "daemon/control/peer.h"
#include "daemon/privsep/sandbox.h"
#include "daemon/reload.h"
#include "daemon/renew/scheduler.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: acmed [OPTIONS]\n"
		"Keep ACME certificates under a state directory and renew them.\n\n"
		"  -c, --config FILE     configuration file (default %s/acmed.conf)\n"
		"      --state-dir DIR   where lineages live (default /var/lib/acmed)\n"
		"      --socket PATH     control socket (default /run/acmed/acmed.sock)\n"
		"      --server URL      ACME directory URL of the CA\n"
		"      --ca-bundle FILE  trust anchors for the CA's TLS certificate\n"
		"  -f, --foreground      do not detach from the terminal\n"
		"      --oneshot         renew what is due (running the hooks), then exit:\n"
		"                        0 if nothing failed, 1 otherwise; no control socket\n"
		"      --log-level LVL   error, warning, info (default) or debug\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n",
		ACMED_SYSCONFDIR);
}

static int parse_args(int argc, char **argv, struct daemon_options *o)
{
	enum { O_STATE = 256, O_SOCKET, O_SERVER, O_CA, O_LOGLEVEL, O_ONESHOT };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "server", required_argument, NULL, O_SERVER },
		{ "ca-bundle", required_argument, NULL, O_CA },
		{ "foreground", no_argument, NULL, 'f' },
		{ "oneshot", no_argument, NULL, O_ONESHOT },
		{ "log-level", required_argument, NULL, O_LOGLEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case O_STATE: o->state_dir = optarg; break;
		case O_SOCKET: o->socket = optarg; break;
		case O_SERVER: o->server = optarg; break;
		case O_CA: o->ca_bundle = optarg; break;
		case 'f': o->foreground = true; break;
		case O_ONESHOT: o->oneshot = o->foreground = true; break;
		case O_LOGLEVEL: o->log_level = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("acmed %s\n", ACMED_VERSION); exit(0);
		default:
			fprintf(stderr, "Try 'acmed --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "acmed: unexpected argument '%s'\nTry 'acmed --help'.\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int setup_config(const struct daemon_options *o, struct daemon *d)
{
	struct acmed_config *cfg = &d->cfg;
	char err[512] = "";
	enum log_level lvl;
	int r = daemon_read_config(o, cfg, err, sizeof(err));

	if (r == 0 && (r = daemon_resolve_groups(cfg, &d->read_gid, &d->admin_gid, err, sizeof(err))) < 0)
		config_clear(cfg);

	if (r < 0) {
		fprintf(stderr, "acmed: %s\n", err);
		return r;
	}
	log_parse_level(cfg->log_level, &lvl);
	log_set_level(lvl);
	return 0;
}

static void on_signal(struct daemon *d, struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	if (read(w->fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %u, stopping", si.ssi_signo);
		d->quit = true;
		break;
	case SIGHUP: {
		char msg[1024] = "";

		daemon_reload(d, msg, sizeof(msg));
		break;
	}
	}
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	d->signal_w = (struct watch){ fd, on_signal };
	return daemon_watch(d, &d->signal_w, EPOLLIN);
}

/* One acmed (daemon or --oneshot) per state directory: two would renew the
 * same lineages. The lock is the state directory itself, held until exit. */
static int lock_state(struct daemon *d, char *err, size_t errlen)
{
	char who[64] = "another process";
	pid_t holder = 0;
	int r = fs_lock_dir(d->cfg.state_dir, &holder);

	if (r >= 0) {
		d->state_lock_fd = r;
		return 0;
	}
	if (r != -EBUSY) {
		snprintf(err, errlen, "state directory %s: %s", d->cfg.state_dir, strerror(-r));
		return r;
	}
	if (holder)
		snprintf(who, sizeof(who), "another acmed (pid %d)", (int)holder);
	if (d->oneshot)
		snprintf(err, errlen, "%s already manages %s: it renews what is due itself; "
				      "'acmectl renew' asks it to renew now",
			 who, d->cfg.state_dir);
	else
		snprintf(err, errlen, "%s already manages %s: stop it first, or give this acmed "
				      "its own --state-dir (and --socket)",
			 who, d->cfg.state_dir);
	return r;
}

/* Open the store, finish any interrupted publish, build the index. */
static int load_state(struct daemon *d)
{
	char err[1024];
	/* Checked before anything is made there, and again once it is. */
	int r = fs_check_private_dir(d->cfg.state_dir, err, sizeof(err));

	if (r == 0 && (r = store_open(d->cfg.state_dir, true, &d->store)) < 0)
		snprintf(err, sizeof(err), "state directory %s: %s", d->cfg.state_dir,
			 acmed_strerror(r));
	if (r == 0)
		r = lock_state(d, err, sizeof(err));
	if (r == 0)
		r = fs_check_private_dir(d->cfg.state_dir, err, sizeof(err));
	if (r == 0)
		r = daemon_check_trusted_dirs(d->cfg.state_dir, err, sizeof(err));
	if (r < 0) {
		log_error("refusing to start: %s", err);
		return r;
	}
	/* Where the administrator puts hooks, as certbot makes it. */
	r = store_make_hook_dirs(d->store);
	if (r < 0)
		log_warning("%s/renewal-hooks: cannot make its pre/, deploy/ and post/: %s",
			    d->cfg.state_dir, acmed_strerror(r));
	store_recover_all(d->store);
	r = index_load(&d->index, d->store);
	if (r < 0)
		log_error("loading the certificate index: %s", acmed_strerror(r));
	return r;
}

/* Detach from the terminal once ready; the parent exits 0 only then. */
static int detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	log_use_syslog();
	return 0;
}

/* After every event, what it may have set off: jobs whose turn has come
 * start, and if anything the timer or STATUS= depends on changed, the
 * next wake-up is recomputed and systemd told. */
static void daemon_settle(struct daemon *d)
{
	job_start_queued(d);
	/* --oneshot ends once its pass is done and no hook runs (deploy hooks
	 * run again from an earlier stop may outlast it). */
	if (d->oneshot_done && hooks_pending(d) == 0)
		d->quit = true;
	if (d->dirty) {
		d->dirty = false;
		sched_update(d);
		notify_status(d); /* sent when it changed */
	}
}

static int run_loop(struct daemon *d)
{
	struct epoll_event ev;

	/* One event per wait: a handler may free other watches (a hook's exit
	 * frees its output pipe's watch, a finished job closes its client's
	 * connection), and a second event already fetched for one of them would
	 * point at freed memory. Events here are few; the extra syscalls cost
	 * nothing measurable. */
	while (!d->quit) {
		int n = epoll_wait(d->epfd, &ev, 1, -1);

		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		if (n == 1) {
			struct watch *w = ev.data.ptr;

			w->on_event(d, w, ev.events);
			daemon_settle(d);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_options opts = { 0 };
	struct daemon d = {
		.epfd = -1,
		.listen_w.fd = -1,
		.signal_w.fd = -1,
		.sched.timer_w.fd = -1,
		.sched.clock_w.fd = -1,
		.watchdog_w.fd = -1,
		.hook_wait_w.fd = -1,
		.metrics.file_w.fd = -1,
		.metrics.listen_w.fd = -1,
		.listener = { .fd = -1, .lock_fd = -1 },
		.read_gid = (gid_t)-1,
		.admin_gid = (gid_t)-1,
		.state_lock_fd = -1,
	};
	char err[512] = "";
	int r;

	/* The umask is the caller's (UMask=0077 in acmed.service), and the
	 * hooks' too: every file acmed writes gets its mode explicitly. */
	if (parse_args(argc, argv, &opts) < 0)
		return 2;
	d.opts = &opts;
	/* Under systemd, stderr may be the journal: use its fields then. */
	log_use_journal_if_there();
	if (setup_config(&opts, &d) < 0)
		return 1;
	d.started = time(NULL);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.epfd < 0 || setup_signals(&d) < 0) {
		log_error("event loop setup: %s", strerror(errno));
		return 1;
	}
	d.oneshot = opts.oneshot;
	r = load_state(&d);
	if (r == 0 && !d.oneshot && (r = ctlsrv_open(&d, err, sizeof(err))) < 0)
		log_error("%s", *err ? err : acmed_strerror(r));
	if (r == 0 && (r = sched_init(&d)) < 0)
		log_error("renewal timer setup: %s", strerror(-r));
	if (r == 0 && (r = notify_init(&d)) < 0)
		log_error("watchdog setup: %s", strerror(-r));
	if (r == 0 && !d.oneshot && (r = metrics_apply(&d)) < 0)
		log_error("metrics setup failed");
	if (r < 0)
		goto out;
	if (!opts.foreground && !getenv("NOTIFY_SOCKET") && (r = detach()) < 0) {
		log_error("cannot detach: %s", strerror(-r));
		goto out;
	}
	/* In the process that stays: its hooks must be its own children. */
	deploy_resume(&d);
	cluster_start(&d);
	if (d.oneshot)
		log_info("acmed %s --oneshot: %zu certificates in %s", ACMED_VERSION, d.index.n,
			 d.cfg.state_dir);
	else
		log_info("acmed %s ready: %zu certificates in %s, control socket %s", ACMED_VERSION,
			 d.index.n, d.cfg.state_dir, d.cfg.socket_path);
	if (sandbox_abi() == 0 && errno == EPERM)
		log_warning("Landlock is blocked (a seccomp filter? SystemCallFilter= must allow "
			    "landlock_create_ruleset, landlock_add_rule and landlock_restrict_self): "
			    "the workers that talk to the CA run apart from the private keys, but "
			    "are not confined (docs/security.md)");
	else if (sandbox_abi() == 0)
		log_warning("this kernel has no Landlock: the workers that talk to the CA run apart "
			    "from the private keys, but are not confined (docs/security.md)");
	notify_ready(&d);
	r = run_loop(&d);
	notify_stopping();
	cluster_stop(&d);
	job_stop_all(&d);
	batch_free_all(&d);
	hooks_stop_all(&d);
out:
	metrics_fini(&d);
	notify_fini(&d);
	sched_fini(&d);
	ctlsrv_close(&d);
	index_clear(&d.index);
	store_close(d.store);
	if (d.state_lock_fd >= 0)
		close(d.state_lock_fd);
	config_clear(&d.cfg);
	if (d.signal_w.fd >= 0)
		close(d.signal_w.fd);
	if (d.epfd >= 0)
		close(d.epfd);
	return r < 0 ? 1 : d.exit_code;
}
