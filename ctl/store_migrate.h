/* acmectl store migrate's two directions (store_migrate.c: --to etcd;
 * store_migrate_local.c: --to local). */
#pragma once

#include <stddef.h>

#include "config.h"

/* Reconfigure's second half on a cluster host: SETTINGS, the renewal
 * settings the daemon saved for lineage NAME (without its state), as
 * NAME's renewal settings in etcd, where every host's watcher installs
 * them. CONFIG: the acmed.conf with the etcd settings (NULL: the default),
 * which must name the daemon's cluster (etcd_prefix PREFIX). 0, or -errno
 * with ERR set. */
int migrate_push_renewal(const char *config, const char *prefix, const char *name,
			 const char *settings, char *err, size_t errlen);

/* Copy the lineages NAMES (none: every lineage etcd has) from etcd into
 * CFG's state directory, each whole or not at all, and say what was done.
 * EXIT_OK, or EXIT_FAILED when any lineage failed (said). */
int migrate_to_local(const struct acmed_config *cfg, char **names, size_t nnames);
