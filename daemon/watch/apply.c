/* The watcher's writes into this host's store (apply.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/watch/apply.h"
#include "daemon/watch/decide.h"
#include "error.h"
#include "fsutil.h"
#include "log.h"
#include "util.h"

void apply_tell(struct watch_ctx *w, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return;
	line[n++] = '\n';
	fs_write_all(w->ev_fd, line, (size_t)n);
}

/* Add NAME to the set V (N names) unless there: true if added. */
static bool set_add(char ***v, size_t *n, const char *name)
{
	char **grown;

	for (size_t i = 0; i < *n; i++)
		if (streq((*v)[i], name))
			return false;
	grown = realloc(*v, (*n + 1) * sizeof(char *));
	if (!grown)
		return false;
	*v = grown;
	if (!(grown[*n] = strdup(name)))
		return false;
	(*n)++;
	return true;
}

static void set_remove(char **v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (streq(v[i], name)) {
			free(v[i]);
			v[i] = v[--*n];
			return;
		}
}

bool apply_pend(struct watch_ctx *w, const char *name)
{
	return set_add(&w->pending, &w->npending, name);
}

static void unpend(struct watch_ctx *w, const char *name)
{
	size_t len = strlen(name);

	set_remove(w->pending, &w->npending, name);
	for (size_t i = w->nheld; i-- > 0;)
		if (strncmp(w->held[i], name, len) == 0 && w->held[i][len] == ' ')
			set_remove(w->held, &w->nheld, w->held[i]);
}

/* Versions D->from..D->to of NAME, live/ to the last. *SWITCHED: live/
 * moved. -EBUSY: another process of this host publishes to it. */
static int materialise(struct watch_ctx *w, const char *name, const struct watch_decision *d,
		       bool *switched, char *err, size_t errlen)
{
	int r = 0;

	*switched = false;
	for (int n = d->from; r == 0 && n <= d->to; n++) {
		struct version_pems v = { 0 };
		bool sw = false;

		r = estore_read_version(w->es, name, n, &v, err, errlen);
		if (r == -ENOENT && n < d->to) {
			r = 0; /* a version etcd does not have: only the current one must be */
			continue;
		}
		if (r == 0)
			r = store_materialise(w->st, name, n, &v, n == d->to, &sw, err, errlen);
		*switched |= sw;
		version_pems_clear(&v);
	}
	return r;
}

/* A lineage's outcome, logged: 0, or ACMED_EETCD for the caller (the
 * lineage stays pending). */
static int settle(struct watch_ctx *w, const char *name, int r, const char *err)
{
	/* Busy here, or etcd gone mid-way: looked at again, not forgotten. */
	if (r == -EBUSY || r == ACMED_EETCD) {
		apply_pend(w, name);
		return r == ACMED_EETCD ? r : 0;
	}
	unpend(w, name);
	if (r < 0)
		log_job(LOG_LVL_ERROR, 0, name, "%s: not copied from the cluster: %s", name, err);
	return 0;
}

int apply_lineage(struct watch_ctx *w, const char *name, const struct estore_lineage *l,
		  char *err, size_t errlen)
{
	struct watch_decision d;
	bool switched = false, changed = false;
	int local = 0, r = 0;

	if (!store_name_valid(name))
		return 0;
	if (store_live_version(w->st, name, &local) < 0)
		local = 0;
	d = watch_decide(local, l->current, l->lock, w->host);
	if (d.action == WATCH_SKIP_LOCKED || (l->lock && streq(l->lock, w->host))) {
		/* This host's own job publishes it: looked at again when the
		 * lock goes. */
		char said[300];

		apply_pend(w, name);
		/* Said once per version etcd has while it waits. */
		snprintf(said, sizeof(said), "%s %d", name, l->current);
		if (set_add(&w->held, &w->nheld, said))
			log_job(LOG_LVL_INFO, 0, name, "%s: version %d held by this host's own job: "
				"left to it until its lock goes", name, l->current);
		return 0;
	}
	if (d.action == WATCH_MATERIALISE)
		r = materialise(w, name, &d, &switched, err, errlen);
	/* The renewal file last, and only with a version here: for a new
	 * lineage, from then on it exists. Without a new version (settings
	 * changed by a reconfigure, or read again at a resync), this host's
	 * failures, backoff and revocation mark stay; a new version clears
	 * them, as a renewal here does. */
	if (r == 0 && l->renewal && (local > 0 || switched))
		r = store_renewal_put_text(w->st, name, l->renewal, !switched, &changed, err,
					   errlen);
	if (switched) {
		log_job(LOG_LVL_INFO, 0, name, "%s: version %d copied from the cluster and live",
			name, d.to);
		apply_tell(w, "{\"event\":\"materialised\",\"name\":\"%s\",\"version\":%d}", name,
			   d.to);
	} else if (changed) {
		apply_tell(w, "{\"event\":\"renewal\",\"name\":\"%s\"}", name);
	}
	return settle(w, name, r, err);
}

int apply_lineage_now(struct watch_ctx *w, const char *name, char *err, size_t errlen)
{
	struct estore_lineage l;
	int r = estore_read_lineage(w->es, name, &l, err, errlen);

	if (r == 0)
		r = apply_lineage(w, name, &l, err, errlen);
	estore_lineage_clear(&l);
	return r;
}

int apply_pending(struct watch_ctx *w, char *err, size_t errlen)
{
	size_t n = w->npending;
	char **names = n ? calloc(n, sizeof(char *)) : NULL;
	int r = 0;

	/* A copy: applying changes the set. */
	for (size_t i = 0; names && i < n; i++)
		names[i] = strdup(w->pending[i]);
	for (size_t i = 0; names && r == 0 && i < n; i++)
		if (names[i])
			r = apply_lineage_now(w, names[i], err, errlen);
	strv_free(names, names ? n : 0);
	return r;
}

/* One account of apply_accounts(): logged; an error other than etcd's
 * leaves that account out (the next change tries again). */
static int account_done(void *ctx, const char *acct, int r, bool added, const char *why)
{
	(void)ctx;
	if (r == 0 && added)
		log_info("account %s copied from the cluster", acct);
	else if (r < 0)
		log_error("account %s: not copied from the cluster: %s", acct, why);
	return 0;
}

int apply_accounts(struct watch_ctx *w, int64_t revision, char *err, size_t errlen)
{
	return estore_install_accounts(w->es, w->st, revision, account_done, NULL, err, errlen);
}

/* The lineage keys of a snapshot into L, one lineage's run at a time:
 * RG's pairs are in key order, so a lineage's keys are together. */
static int resync_lineages(struct watch_ctx *w, const struct etcd_range *rg, char *err,
			   size_t errlen)
{
	struct estore_lineage l = { 0 };
	char *cur = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && i <= rg->n; i++) {
		char *buf = NULL;
		const char *name = NULL, *what = NULL;
		const char *value = i < rg->n ? (const char *)rg->kvs[i].value : NULL;

		if (i < rg->n &&
		    estore_key_parts(estore_prefix(w->es), rg->kvs[i].key, &buf, &name, &what) != 'l')
			continue;
		if (cur && (!name || !streq(cur, name))) {
			r = apply_lineage(w, cur, &l, err, errlen);
			estore_lineage_clear(&l);
			FREE_AND_NULL(cur);
		}
		if (name && !cur)
			cur = strdup(name);
		if (what && streq(what, "current"))
			l.current = atoi(value);
		else if (what && streq(what, "lock"))
			l.lock = strdup(value);
		else if (what && streq(what, "renewal"))
			l.renewal = strdup(value);
		free(buf);
	}
	estore_lineage_clear(&l);
	free(cur);
	return r;
}

int apply_resync(struct watch_ctx *w, int64_t *revision, char *err, size_t errlen)
{
	struct etcd_range rg = { 0 };
	int r;

	*revision = 0;
	r = estore_snapshot(w->es, "lineages/", 0, revision, &rg, err, errlen);
	if (r == 0)
		log_info("resync: %zu keys under lineages/ at revision %lld", rg.n,
			 (long long)*revision);
	if (r == 0)
		r = resync_lineages(w, &rg, err, errlen);
	etcd_range_clear(&rg);
	if (r == 0)
		r = apply_accounts(w, *revision, err, errlen);
	return r;
}
