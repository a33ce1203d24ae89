/* The control commands: what the daemon does for each verb of acmectl.
 * ctlsrv.c reads and authorises the request; these answer it. */
#pragma once

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Run command CMD (enum ctl_cmd) for client C with ARGS (borrowed; may be
 * NULL). The handler answers C itself, now or when its job is done. */
void commands_run(struct daemon *d, struct conn *c, int cmd, struct json_object *args);

/* For a command that changed this host's copy of a lineage (delete,
 * reconfigure): in cluster mode, add to its reply DATA what acmectl needs
 * to say so or to finish the job in etcd: "cluster_prefix" (etcd_prefix)
 * and "config" (the acmed.conf this daemon runs with, when given as an
 * absolute path). Nothing otherwise. */
void commands_cluster_reply(const struct daemon *d, struct json_object *data);
