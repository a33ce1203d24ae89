/* A job's side of cluster mode (docs/cluster.md, "Transactions"): the
 * lineage's lock in etcd, bound to a lease a small keeper process keeps
 * alive while the job runs; what was in etcd when it was taken (the
 * current version, the order in flight, the cluster-wide backoff); the
 * order recorded before finalize; the publish and failure transactions,
 * each written only while this host still holds the lock. Blocking: a job
 * runs it in its own process. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "config.h"

/* The lock's lease: a host that dies frees its locks within this time. */
#define CLUSTER_LOCK_TTL 10

struct cluster;

/* What etcd held for the lineage when the lock was taken. */
struct cluster_view {
	int current;                 /* the current version, 0: none yet */
	int64_t current_mod;         /* its mod_revision, 0: absent */
	struct json_object *order;   /* the order in flight, or NULL */
	struct json_object *state;   /* the cluster-wide backoff, or NULL */
};

/* A client of CFG's etcd for lineage NAME as host HOST (copied). */
int cluster_open(const struct acmed_config *cfg, const char *name, const char *host,
		 struct cluster **out, char *err, size_t errlen);
/* Release the lock if held (revoke its lease) and free C. */
void cluster_close(struct cluster *c);

/* Take the lineage's lock: 1 taken (C's view read in the same
 * transaction); 0 when another host holds it (its name in HOLDER); a
 * negative error (etcd unreachable: ACMED_EETCD) with ERR. */
int cluster_lock(struct cluster *c, char *holder, size_t len, char *err, size_t errlen);
const struct cluster_view *cluster_view(const struct cluster *c);

/* Record the order about to be finalized: its URL, ACCOUNT, NAMES (a JSON
 * array), the certificate key SEALED (base64url) for VERSION. */
int cluster_record_order(struct cluster *c, const char *url, const char *account,
			 struct json_object *names, int version, const char *sealed, char *err,
			 size_t errlen);
/* Publish VERSION (CERT, CHAIN, the key SEALED, base64url) as the current
 * one with the lineage's RENEWAL settings, and drop the order and the
 * backoff: one transaction, only if this host still holds the lock and the
 * current version is the one the lock found. ACMED_EMISMATCH otherwise. */
int cluster_publish(struct cluster *c, int version, const char *cert, const char *chain,
		    const char *sealed, const char *renewal, char *err, size_t errlen);
/* Accounts in etcd (P accounts/DIR/ID/{account.json,key.sealed}, DIR the
 * CA's directory under accounts/): how many keys there are under DIR (and
 * ID, if set) in *N; account ID published (its account.json INFO and key
 * SEALED, base64url) unless it is there already. */
int cluster_account_count(struct cluster *c, const char *dir, const char *id, int64_t *n,
			  char *err, size_t errlen);
int cluster_publish_account(struct cluster *c, const char *dir, const char *id, const char *info,
			    const char *sealed, char *err, size_t errlen);
/* Record a failed attempt in the cluster-wide backoff: FAILURES in a row,
 * the NEXT attempt, the CA's RETRY_AFTER (0: none), ERROR. */
int cluster_record_failure(struct cluster *c, int failures, time_t next, time_t retry_after,
			   const char *error, char *err, size_t errlen);
