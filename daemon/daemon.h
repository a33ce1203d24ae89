/* The daemon's state, owned by the main process's event loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "daemon/control/listen.h"
#include "daemon/index.h"
#include "store/store.h"

struct daemon;

/* Something the event loop watches: embedded in its owner. */
struct watch {
	int fd;
	void (*on_event)(struct daemon *d, struct watch *w, uint32_t events);
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* The command line, kept for reloads. */
struct daemon_options {
	const char *config;
	const char *state_dir, *socket, *server, *ca_bundle, *log_level;
	bool foreground;
	bool oneshot;
};

struct conn;
struct job;
struct json_object;
struct batch;
struct hook_run;
struct ca_state;
struct ca_hold;
struct cluster;

/* The scheduler's state (scheduler.c). */
struct sched_state {
	struct watch timer_w;  /* CLOCK_BOOTTIME timerfd: the next wake-up */
	struct watch clock_w;  /* CLOCK_REALTIME timerfd that fires when the clock is set */
	struct ca_state *cas;  /* what we know of each CA in use */
	struct ca_hold *holds; /* certonly requests a CA said to retry later */
	time_t next_wake;      /* wall clock, 0 if disarmed */
	bool oneshot_started;  /* --oneshot: the one batch has been started */
};

/* What the metrics count (metrics.h), since start. */
#define METRICS_HOOK_KINDS 4   /* enum hook_kind */
#define METRICS_HOOK_RESULTS 3 /* success, failure, timeout */
#define METRICS_ALERT_EVENTS 6 /* enum alert_event */
#define METRICS_REQ_SERIES 64 /* endpoint and status pairs */
#define METRICS_REQ_BUCKETS 10
struct metrics_requests {
	char endpoint[24];
	int status; /* 0: no answer */
	unsigned long count;
	double sum;
	unsigned long buckets[METRICS_REQ_BUCKETS]; /* not cumulative */
};
struct metrics_counters {
	struct metrics_requests requests[METRICS_REQ_SERIES]; /* ACME requests */
	size_t nrequests;
	unsigned long renewals[2]; /* successful, failed */
	unsigned long hooks[METRICS_HOOK_KINDS][METRICS_HOOK_RESULTS];
	unsigned long alerts[METRICS_ALERT_EVENTS];
	unsigned long materialised; /* versions copied from the cluster */
};

struct metrics_conn;

/* The metrics' outputs (metrics.c, metrics_http.c). */
struct metrics_state {
	struct watch file_w;   /* CLOCK_MONOTONIC timerfd: write metrics_file */
	struct watch listen_w; /* metrics_listen's socket */
	char *listening;       /* the address it is bound to */
	struct metrics_conn *conns;
	unsigned nconns;
};

struct daemon {
	const struct daemon_options *opts;
	struct acmed_config cfg;
	struct store *store;
	int state_lock_fd; /* flock on the state directory: one acmed per directory */
	struct cert_index index;
	int epfd;
	struct watch listen_w;
	struct watch signal_w;
	struct conn *conns;
	unsigned nconns;
	time_t last_refusal;    /* of a client over max_clients, for the log */
	struct listener listener;
	gid_t read_gid, admin_gid; /* who may read, who may change state */
	struct job *jobs; /* running and queued, in submission order */
	unsigned running;
	int next_job_id;
	struct json_object *job_history; /* the last jobs that ended (job.c) */
	struct batch *batches;  /* batches not finished yet */
	int next_batch_id;
	struct hook_run *hooks; /* hook queue; the first one runs */
	struct watch hook_wait_w; /* timerfd: the first waits for live/ (hooks.c) */
	struct sched_state sched;
	struct metrics_counters counters;
	struct metrics_state metrics;
	struct watch watchdog_w; /* notify.c */
	struct cluster *cluster; /* cluster mode's watcher (cluster.h); NULL: none */
	bool oneshot;  /* --oneshot: one renewal pass, then exit */
	bool oneshot_done; /* that pass is over: QUIT once no hook runs */
	int exit_code; /* main()'s exit status when QUIT is set */
	bool quit;
	bool dirty;    /* something changed that the timer or STATUS= depends on:
			* the next daemon_settle() recomputes them */
	time_t started;
};

/* Re-read acmed.conf (with the command line's settings over it) and every
 * renewal file; all or nothing: on any error nothing changes. MSG says
 * what happened. 0 or an error. (main.c) */
int daemon_reload(struct daemon *d, char *msg, size_t msglen);

/* Register / change / remove W in the event loop. 0 or -errno. */
int daemon_watch(struct daemon *d, struct watch *w, uint32_t events);
int daemon_rewatch(struct daemon *d, struct watch *w, uint32_t events);
void daemon_unwatch(struct daemon *d, struct watch *w);
