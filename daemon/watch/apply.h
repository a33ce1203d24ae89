/* What the watcher writes into this host's store (watcher.h): one
 * lineage brought to the cluster's version, the accounts, a resync. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "etcd/etcd_store.h"
#include "etcd/etcd_sync.h"
#include "store/store.h"

struct watch_ctx {
	struct store *st;
	struct estore *es;
	const char *host;   /* cluster_host */
	int ev_fd;
	char **pending;     /* lineages to look at again (busy, or held here) */
	size_t npending;
	char **held;        /* those held by this host's own job, said once */
	size_t nheld;
};

/* Tell the daemon: one JSON line, printf-formatted. */
void apply_tell(struct watch_ctx *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add NAME to the pending set (once): true if it was not there. */
bool apply_pend(struct watch_ctx *w, const char *name);

/* Bring lineage NAME to what etcd says (L): the versions this host lacks,
 * live/ to the current one, the renewal file; the daemon told. NAME stays
 * (or goes) pending if this host's job holds it or another process
 * publishes to it here. ACMED_EETCD when etcd does not answer (ERR says);
 * other errors are logged, not returned. */
int apply_lineage(struct watch_ctx *w, const char *name, const struct estore_lineage *l,
		  char *err, size_t errlen);
/* The same with L read from etcd now. */
int apply_lineage_now(struct watch_ctx *w, const char *name, char *err, size_t errlen);
/* Each pending lineage again. */
int apply_pending(struct watch_ctx *w, char *err, size_t errlen);

/* Every account in etcd that is missing here, written (key 0600). With
 * REVISION, as of that revision. */
int apply_accounts(struct watch_ctx *w, int64_t revision, char *err, size_t errlen);

/* A full resync: the whole lineages/ prefix read at one revision (*REVISION
 * gets it), every lineage applied, then the accounts at that revision. */
int apply_resync(struct watch_ctx *w, int64_t *revision, char *err, size_t errlen);
