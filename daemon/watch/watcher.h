/* acmed-watch's work (docs/cluster.md, "Materialise"): copy what the
 * cluster serves into this host's store, then follow etcd's changes.
 * Blocking: it runs in the watcher's own process. Every line it tells the
 * daemon is one JSON object on EV_FD:
 *   {"event":"materialised","name":NAME,"version":N}  live/NAME switched to N
 *   {"event":"renewal","name":NAME}                   renewal/NAME.conf rewritten
 *   {"event":"etcd","state":"down","error":TEXT}      no endpoint answers
 *   {"event":"etcd","state":"up"}                     it answers again */
#pragma once

#include "config.h"
#include "etcd/etcd_store.h"
#include "store/store.h"

/* Run until killed (or an error that is not etcd's: returned). HOST is
 * this host's cluster_host. */
int watcher_run(const struct acmed_config *cfg, struct store *st, struct estore *es,
		const char *host, int ev_fd);
