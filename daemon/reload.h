/* Reading acmed.conf (with the command line over it) and reloading it with
 * every renewal file, all or nothing (SIGHUP, `acmectl reload`). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "daemon/daemon.h"

/* acmed.conf first, then O's command-line flags over it, into CFG (cleared
 * on error). ERR says what is wrong. */
int daemon_read_config(const struct daemon_options *o, struct acmed_config *cfg, char *err,
		       size_t errlen);
/* The gids of CFG's read and admin groups: a missing read group (the
 * default "acmed" when the package made none) leaves reading to root. */
int daemon_resolve_groups(const struct acmed_config *cfg, gid_t *read_gid, gid_t *admin_gid,
			  char *err, size_t errlen);
/* The state directory's renewal/, renewal-hooks/ and deploy-pending/ may be trusted
 * (fs_check_trusted_path()): they decide what runs as root. */
int daemon_check_trusted_dirs(const char *state_dir, char *err, size_t errlen);
/* Re-read acmed.conf (with the command line's settings over it) and every
 * renewal file; all or nothing: on any error nothing changes. MSG says
 * what happened. 0 or an error. */
int daemon_reload(struct daemon *d, char *msg, size_t msglen);
