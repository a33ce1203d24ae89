/* How a hook is run, by the daemon (renewal hooks) and by a job's manual
 * hook runner alike: `/bin/sh -c COMMAND` as certbot runs them, with a
 * clean environment, its own process group, stdin from /dev/null and its
 * output into a pipe. Who waits for it, and how, is the caller's. */
#pragma once

#include <stddef.h>

#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A hook's whole environment: PATH=HOOK_PATH, ACMED_HOOK=KIND, HOME, LANG,
 * LC_ALL and TZ where this process has them, then the N "NAME=value"
 * strings of EXTRA (copied). NULL-terminated; free with strv_free_nt().
 * NULL if out of memory. */
char **hookexec_env(const char *kind, char *const *extra, size_t n);

/* In a child just forked: run COMMAND under /bin/sh -c with ENV, signals as
 * a new process has them, in its own process group, stdin /dev/null,
 * stdout to OUT and stderr to ERR (may be OUT), no other descriptor, in /.
 * Never returns. */
_Noreturn void hookexec_child(const char *command, char *const *env, int out, int err);
/* The same for the program PATH with ARGV: what hookexec_child() runs
 * /bin/sh with, and the daemon runs systemd-run with. Never returns. */
_Noreturn void hookexec_exec(const char *path, char *const *argv, char *const *env, int out,
			     int err);
