/* acmectl store migrate's two directions (store_migrate.c: --to etcd;
 * store_migrate_local.c: --to local). */
#pragma once

#include <stddef.h>

#include "config.h"

/* Copy the lineages NAMES (none: every lineage etcd has) from etcd into
 * CFG's state directory, each whole or not at all, and say what was done.
 * EXIT_OK, or EXIT_FAILED when any lineage failed (said). */
int migrate_to_local(const struct acmed_config *cfg, char **names, size_t nnames);
