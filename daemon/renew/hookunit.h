/* Hooks as transient systemd units: under acmed.service, a hook is started
 * with systemd-run as a service of its own (acmed-hook-PID-N.service), so
 * it runs as certbot's hooks do, as root outside acmed's sandbox: it may
 * write into /etc/nginx, find processes by name, run a JIT. acmed still
 * sees its output (systemd-run --pipe) and exit status (--wait); systemd
 * enforces hook_timeout (RuntimeMaxSec=) and stops the hook when acmed's
 * unit stops (StopPropagatedFrom=); when acmed stops or restarts, it stops
 * a running hook's unit itself (hookunit_stop()). docs/systemd.md explains
 * the trade. */
#pragma once

#include <stdbool.h>

#define HOOKUNIT_SYSTEMD_RUN "/usr/bin/systemd-run"
#define HOOKUNIT_SYSTEMCTL "/usr/bin/systemctl"

/* Whether hooks run as transient units with the hook_runner setting
 * SETTING ("auto", the default when NULL; "systemd-run"; "direct"). "auto"
 * means: when acmed runs as a system service (root, started by systemd as
 * PID 1 with an INVOCATION_ID) and systemd-run is there. On true, *UNIT
 * is acmed's own unit (caller frees; NULL if it cannot be told). */
bool hookunit_wanted(const char *setting, char **unit);

/* The argv of systemd-run for COMMAND (/bin/sh -c) with the whole
 * environment ENV, described as DESCRIPTION, stopped after TIMEOUT seconds
 * and GRACE more, and with OWNER_UNIT (may be NULL). SEQ makes the unit's
 * name unique: argv[1] is "--unit=acmed-hook-PID-SEQ.service".
 * NULL-terminated; caller frees with strv_free_nt(). NULL if out of
 * memory. */
char **hookunit_argv(const char *command, char *const *env, const char *description,
		     long timeout, long grace, const char *owner_unit, unsigned seq);

/* Shutdown: ask systemd to stop the hook's unit UNIT ("acmed-hook-...")
 * without waiting for the stop (systemctl --no-block: it returns once the
 * job is queued, and is waited for at most 5 s). A restart of acmed does
 * not stop it otherwise: the new acmed runs the hook again (deploy.h). */
void hookunit_stop(const char *unit);
