/* The watcher's decisions (acmed-watch, docs/cluster.md "Materialise"),
 * apart from etcd and the files so they can be tested alone. */
#pragma once

#include <stdbool.h>

enum watch_action {
	WATCH_NOTHING,      /* this host serves the cluster's version already */
	WATCH_SKIP_LOCKED,  /* this host's own job holds the lineage: it
			     * publishes here itself; decided again when the
			     * lock goes */
	WATCH_MATERIALISE,  /* write versions FROM..TO, then live/ to TO */
};

struct watch_decision {
	enum watch_action action;
	int from, to;
};

/* What to do for a lineage whose live/ here is at LOCAL (0: none), whose
 * current version in etcd is CURRENT (0: none) and whose lock is held by
 * LOCK (NULL: nobody), this host being ME. live/ never moves backwards. */
struct watch_decision watch_decide(int local, int current, const char *lock, const char *me);

/* The restart backoff of the daemon's watcher: 1 s after the first exit,
 * doubling to 60 s; back to 1 s after a run that lasted over a minute.
 * Inline: the daemon (cluster.c) uses it without linking the watcher. */
static inline long watch_backoff(long previous, double ran_seconds)
{
	if (previous <= 0 || ran_seconds > 60)
		return 1;
	return previous >= 30 ? 60 : previous * 2;
}
