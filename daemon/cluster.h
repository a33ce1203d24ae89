/* Cluster mode in the daemon (docs/cluster.md): with storage = "etcd",
 * acmed-watch runs beside the event loop as a supervised child (started
 * again when it ends: 1 s, doubling to 60 s), copies what the cluster
 * serves into this host's store and says so in JSON lines (watcher.h).
 * For each lineage it switched, the daemon reloads the lineage into its
 * index and runs its deploy hooks as after a renewal here; when etcd stops
 * or starts answering, it raises the cluster-unreachable or
 * cluster-recovered alert, and says so in status and STATUS=. The daemon
 * never links the etcd client: everything it knows of etcd comes from
 * these lines. */
#pragma once

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Start the watcher if acmed.conf says storage = "etcd" (a reload does not
 * start or stop it: a restart does; --oneshot runs none). 0 or -errno
 * (logged). */
int cluster_start(struct daemon *d);
/* Shutdown: stop it (SIGTERM) without waiting. */
void cluster_stop(struct daemon *d);

/* Whether cluster mode runs, and etcd's state as the watcher last said it. */
bool cluster_active(const struct daemon *d);
bool cluster_down(const struct daemon *d);
/* {"host", "watcher": "running"|"restarting", "etcd": "up"|"down",
 * "error", "since", "materialised"} for status --json; NULL when not in
 * cluster mode. */
struct json_object *cluster_status_json(const struct daemon *d);

/* One line of the watcher's (for the tests: what the daemon does with it). */
void cluster_line(struct daemon *d, const char *line);
