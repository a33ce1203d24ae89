/* The daemon's state, owned by the main process's event loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "index.h"
#include "store.h"

struct daemon;

/* Something the event loop watches: embedded in its owner. */
struct watch {
	int fd;
	void (*on_event)(struct daemon *d, struct watch *w, uint32_t events);
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct conn;
struct job;

struct daemon {
	struct acmed_config cfg;
	struct store *store;
	struct cert_index index;
	int epfd;
	struct watch listen_w;
	struct watch signal_w;
	struct conn *conns;
	struct job *jobs; /* running and queued, in submission order */
	unsigned running;
	int next_job_id;
	bool quit;
	time_t started;
};

/* Register / change / remove W in the event loop. 0 or -errno. */
int daemon_watch(struct daemon *d, struct watch *w, uint32_t events);
int daemon_rewatch(struct daemon *d, struct watch *w, uint32_t events);
void daemon_unwatch(struct daemon *d, struct watch *w);
