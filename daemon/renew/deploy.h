/* Deploy hooks that outlive an acmed stopped while they run. Before a
 * lineage's deploy hooks start, what they are and what they run for is
 * written durably to deploy-pending/NAME.json in the state directory
 * (temp file, fsync, rename, fsync the directory); each hook that ends,
 * successfully or not, is taken out of it, and the file goes with the
 * last. A hook that had not ended when acmed stopped (systemctl stop or
 * restart, SIGKILL, a crash, a power cut) is still recorded at the next
 * start and runs again then, with the same environment. A failed hook is
 * reported once, not run again.
 *
 * The file is JSON, 0600, written only by acmed:
 *   {"name": NAME, "domains": "a.example www.a.example", "version": N,
 *    "serial": HEX, "not_after": TIME,
 *    "hooks": [{"command": COMMAND, "path": false}, ...]}
 * "path" marks an executable of renewal-hooks/deploy/ (COMMAND is its
 * path), checked again before it runs again. What it names runs as root:
 * the directory and the file must pass fs_check_trusted_path() as renewal
 * files do. */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "daemon/daemon.h"

/* The environment of a deploy hook of lineage NAME (DOMAINS space-separated)
 * after the job that published DATA ({"version", "serial", "not_after"}):
 * certbot's RENEWED_LINEAGE and RENEWED_DOMAINS, ACMED_CERT_NAME,
 * ACMED_VERSION, ACMED_SERIAL, ACMED_NOT_AFTER, ACMED_{CERT,CHAIN,
 * FULLCHAIN,KEY}_PATH and ACMED_STATE_DIR, over hooks_env()'s. NULL on
 * allocation failure; caller frees with strv_free_nt(). */
char **deploy_env(struct daemon *d, const char *name, const char *domains,
		  struct json_object *data);

/* Record HOOKS (a JSON array of {"command", "path"}, borrowed) as lineage
 * NAME's deploy hooks for the version DATA names, before the first starts.
 * A record of an earlier version is replaced: the hooks for the newer one
 * cover it. 0 or -errno. */
int deploy_record(struct daemon *d, const char *name, const char *domains,
		  struct json_object *data, struct json_object *hooks);

/* The deploy hook COMMAND of lineage NAME for VERSION ended: out of the
 * record (which is left alone if it is for another version). */
void deploy_done(struct daemon *d, const char *name, int version, const char *command);

/* At start-up, once the event loop runs in the process that stays: queue
 * every deploy hook still recorded. Records of lineages that are gone are
 * dropped. */
void deploy_resume(struct daemon *d);

/* Lineage NAME's live/ was switched to VERSION by the cluster's watcher
 * (another host published it; the index already refreshed): run its deploy
 * hooks as after a renewal here (renewal-hooks/deploy/, acmed.conf's,
 * the lineage's own; deploy_env()'s variables), recorded first. 0 or
 * -errno. */
int deploy_materialised(struct daemon *d, const char *name, int version);
