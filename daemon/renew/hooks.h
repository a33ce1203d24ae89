/* Hooks: shell commands run around renewals, one at a time, without ever
 * blocking the event loop (DESIGN.md, "Hooks"). Each runs as
 * `/bin/sh -c COMMAND` in its own process group with a clean environment,
 * stdout and stderr going to the log line by line; after hook_timeout the
 * group gets SIGTERM, HOOK_KILL_GRACE seconds later SIGKILL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "daemon/daemon.h"

#define HOOK_KILL_GRACE 10

/* The kinds a batch runs come first; alert hooks run outside batches
 * (alert.h), when something needs the administrator's attention. */
enum hook_kind {
	HOOK_PRE,
	HOOK_DEPLOY,
	HOOK_POST,
	HOOK_BATCH__MAX,
	HOOK_ALERT = HOOK_BATCH__MAX,
	HOOK__MAX
};

/* "pre", "deploy", "post", "alert": the renewal-hooks/ subdirectory and
 * ACMED_HOOK. */
extern const char *const hook_kind_names[HOOK__MAX];

struct hook_result {
	int exit_status; /* 0..255; -1 if killed by a signal or not started */
	int signal;      /* the signal that ended it, 0 if none */
	bool timed_out;
	bool not_started;
	bool stopped;    /* acmed is shutting down: it was stopped, or never ran */
	double seconds;
	/* The end of its output (stdout and stderr share one pipe): the last
	 * TEXT_TAIL_MAX bytes, cleaned (text_tail_get()); "" if none. Valid
	 * during on_done only. */
	const char *output;
};

struct hook_req {
	enum hook_kind kind;
	char *command;  /* given to /bin/sh -c */
	char **env;     /* NULL-terminated "NAME=value" list, the whole environment */
	char *label;    /* for the log: "deploy hook for example.com" */
	char *name;     /* the lineage of a deploy hook (NULL: none) and the */
	int job;        /* job that renewed it (0: none), for the log's fields */
	/* Each line of output, then the end. CTX is the caller's. */
	void (*on_output)(struct daemon *d, void *ctx, const struct hook_req *h, const char *line);
	void (*on_done)(struct daemon *d, void *ctx, const struct hook_req *h,
			const struct hook_result *res);
	void *ctx;
};

/* Queue a hook (REQ's strings move to the runner; REQ is left empty). It
 * runs after the hooks queued before it. 0 or -ENOMEM. */
int hooks_enqueue(struct daemon *d, struct hook_req *req);
/* Hooks queued or running. */
unsigned hooks_pending(const struct daemon *d);
/* Shutdown: SIGTERM the running hook's group and drop the queue; on_done
 * is still called for each (with STOPPED set), so its owner can free CTX. */
void hooks_stop_all(struct daemon *d);

/* The hooks of a renewal-hooks/ directory. */
struct hook_list {
	char **paths;   /* to run, in byte order of their names */
	size_t n;
	char **refused; /* not to run: "PATH is writable by others ...; chmod ..." */
	size_t nrefused;
};

/* The executables in DIR (regular files with an execute bit; others are
 * skipped with a warning, a missing DIR is empty). One that others could
 * have changed (fs_check_trusted_path(): the file, the directory, the way
 * there) is refused with the reason; an untrusted DIR refuses all. 0 or
 * -errno; free with hook_list_clear(). */
int hooks_dir_list(const char *dir, struct hook_list *out);
void hook_list_clear(struct hook_list *l);

/* Quote S for /bin/sh: 'it'\''s'. Caller frees. */
char *hooks_sh_quote(const char *s);

/* An environment for a hook: the fixed PATH, HOME/LANG/LC_ALL/TZ when the
 * daemon has them, ACMED_HOOK=KIND, then EXTRA ("NAME=value"s, NEXTRA of
 * them). NULL-terminated; caller frees with strv_free(env, count + 1). */
char **hooks_env(enum hook_kind kind, char *const *extra, size_t nextra, size_t *count);
