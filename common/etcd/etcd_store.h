/* Lineages in etcd (cluster mode, docs/cluster.md: "Key layout"), the
 * first pieces of the store's etcd backend: a version's files written once
 * in one transaction with the private key sealed, read back (the key
 * opened), the lineage's current version moved forward with a
 * compare-on-mod-revision transaction, and its renewal settings. Blocking
 * (etcd.h): for acmectl and jobs only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "etcd/etcd.h"
#include "store/store.h"

struct estore;

/* PREFIX lineages/NAME/WHAT, WHAT formatted from FMT (docs/cluster.md's
 * key layout). Caller frees; NULL on OOM. */
char *estore_lineage_key(const char *prefix, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CFG's etcd client options (endpoints, TLS, etcd user; the default time
 * per call), and its etcd_prefix ("/acmed/" when unset). */
struct etcd_opts estore_etcd_opts(const struct acmed_config *cfg);
const char *estore_cfg_prefix(const struct acmed_config *cfg);

/* Connect to CFG's etcd_endpoints with its TLS settings, and read
 * cluster_key_file. -EINVAL with ERR naming what is missing. */
int estore_open(const struct acmed_config *cfg, struct estore **out, char *err, size_t errlen);
void estore_close(struct estore *s);

/* Write version N of lineage NAME (cert, chain, the private key sealed for
 * NAME and N) in one transaction, only if that version is not there yet.
 * *ADDED: false when it was there already with the same certificate,
 * chain and key (an interrupted copy run again); ACMED_EMISMATCH when it
 * is there with other contents. */
int estore_put_version(struct estore *s, const char *name, int n, const struct version_pems *v,
		       bool *added, char *err, size_t errlen);
/* Read version N of NAME back: cert, chain, fullchain (cert + chain) and
 * the opened private key. -ENOENT if it is not there; ACMED_ECRYPTO if the
 * key does not open with this cluster key. */
int estore_read_version(struct estore *s, const char *name, int n, struct version_pems *v,
			char *err, size_t errlen);
/* Make N the current version of NAME unless it is already N or newer
 * (*CURRENT gets the current version after the call). The write is a
 * transaction on the mod_revision read, so a concurrent move is never
 * overwritten: ACMED_EMISMATCH then. */
int estore_set_current(struct estore *s, const char *name, int n, int *current, char *err,
		       size_t errlen);
/* Put the renewal settings of NAME (the renewal file's TEXT). */
int estore_put_renewal(struct estore *s, const char *name, const char *text, char *err,
		       size_t errlen);

/* ---- for the cluster's other modules (etcd_sync.c): what an open store
 * holds, borrowed ---- */
struct etcd *estore_client(struct estore *s);
const char *estore_prefix(const struct estore *s);
const unsigned char *estore_seal_key(const struct estore *s);
