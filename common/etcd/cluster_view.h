/* The cluster's state as an operator sees it (docs/cluster.md, "Key
 * layout"), read from etcd without the cluster key: every lineage with its
 * current version, lock, order in flight and backoff state, and every
 * host's entry. For acmectl (cluster status, certificates, store migrate
 * --to local); blocking (etcd.h). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "etcd/etcd.h"

struct cview;

/* Connect to CFG's etcd_endpoints with its TLS settings (no cluster key is
 * read). -EINVAL with ERR naming what is missing; caller closes. */
int cview_open(const struct acmed_config *cfg, struct cview **out, char *err, size_t errlen);
void cview_close(struct cview *v);
/* The client (borrowed), for calls of its own: etcd_errmsg(), leases. */
struct etcd *cview_etcd(struct cview *v);
/* P, the prefix every key is under (borrowed). */
const char *cview_prefix(const struct cview *v);

/* The value of a current key ("4"): a version from 1 to CVIEW_MAX_VERSION,
 * or 0 for anything else (absent, not a decimal number, out of range). */
#define CVIEW_MAX_VERSION 100000
int cview_parse_version(const char *text);

/* One lineage as etcd has it. The texts are the keys' values (NUL
 * terminated), NULL when the key is absent. */
struct cview_lineage {
	char *name;
	int current;         /* P lineages/NAME/current; 0: absent or not a version */
	int64_t current_rev; /* the revision that last wrote current; 0: absent */
	char *lock;          /* the holder's cluster_host */
	int64_t lock_lease;  /* the lease the lock is bound to; 0: none */
	char *order;         /* JSON: the order in flight */
	char *state;         /* JSON: the cluster-wide backoff */
};

struct cview_lineages {
	struct cview_lineage *l; /* sorted by name (strcmp) */
	size_t n;
	int64_t revision;        /* etcd's revision when the keys were listed */
};
void cview_lineages_clear(struct cview_lineages *ls);

/* Every lineage that has a key under P lineages/. The keys are listed
 * (names only, in pages, at one revision), then the values of current,
 * lock, order and state are read in transactions of 128 reads.
 * 0, ACMED_EETCD (etcd_errmsg() says why), -ENOMEM. */
int cview_lineages(struct cview *v, struct cview_lineages *out);
/* The lineage NAME in LS (borrowed), or NULL. */
const struct cview_lineage *cview_find(const struct cview_lineages *ls, const char *name);

/* Every P hosts/HOST entry, in key order; OUT->revision is etcd's. Errors
 * as cview_lineages(). */
int cview_hosts(struct cview *v, struct etcd_range *out);

/* The value of P lineages/NAME/WHAT into *TEXT (caller frees): -ENOENT if
 * absent; errors as cview_lineages(). */
int cview_get(struct cview *v, const char *name, const char *what, char **text);
