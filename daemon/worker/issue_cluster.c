/* The issuance job in cluster mode (issue_priv.h; docs/cluster.md): the
 * lineage's lock before any order, another host's order in flight taken
 * over, the order recorded in etcd before finalize, the version published
 * in etcd before it is saved here, and a failure counted cluster-wide. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_cluster.h"
#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"
#include "etcd/seal.h"
#include "store/renewal.h"
#include "store/store.h"
#include "daemon/privsep/signer.h"
#include "daemon/worker/cluster.h"
#include "daemon/worker/issue_priv.h"
#include "daemon/worker/progress.h"

/* How soon a job that found another host at work looks again: by then the
 * other host has published, or died and lost its lock. */
#define CLUSTER_RECHECK (3 * CLUSTER_LOCK_TTL)
/* How soon a renewal that could not reach etcd tries again. */
#define CLUSTER_CUT_OFF_RETRY CLUSTER_RECHECK

bool issue_cluster_on(const struct run *run)
{
	return run->cfg->storage && streq(run->cfg->storage, "etcd") && !run->req->dry_run &&
	       !run->req->csr;
}

int issue_cluster_prepare(struct run *run, struct signer_conf *sc, char *err, size_t errlen)
{
	size_t n = 0;
	int r;

	if (!issue_cluster_on(run))
		return 0;
	r = seal_key_load(run->cfg->cluster_key_file, run->cluster_key, err, errlen);
	if (r < 0)
		return r;
	sc->cluster_key = run->cluster_key;
	if (run->cfg->etcd_ca)
		run->etcd_files[n++] = run->cfg->etcd_ca;
	if (run->cfg->etcd_cert)
		run->etcd_files[n++] = run->cfg->etcd_cert;
	if (run->cfg->etcd_key)
		run->etcd_files[n++] = run->cfg->etcd_key;
	sc->worker_read = run->etcd_files;
	sc->nworker_read = n;
	return 0;
}

/* The job ends without an order: REASON, looked at again at UNTIL. A
 * renewal is then neither renewed nor failed; a certonly, which asked for
 * a certificate now, fails with REASON. */
static int defer(struct run *run, struct json_object **data, time_t until, const char *reason)
{
	char when[32], why[1400];

	timefmt_format_rfc3339(until, when, sizeof(when));
	if (!run->req->renewal) {
		snprintf(why, sizeof(why), "%s: try again after %s", reason, when);
		return issue_fail(run, -EAGAIN, why);
	}
	progress(run->ev_fd, "%s; looking again at %s", reason, when);
	*data = json_object_new_object();
	json_object_object_add(*data, "deferred", json_object_new_string(reason));
	json_object_object_add(*data, "until", jobj_new_time(until));
	return 1;
}

/* Another host's order in flight for this lineage: finish it rather than
 * place a second one (the signer opens its key). */
static void adopt_order(struct run *run, const struct cluster_view *v)
{
	const char *url = jobj_str(v->order, "order"), *key = jobj_str(v->order, "key");
	struct json_object *names = NULL;
	int version = (int)jobj_int(v->order, "version", 0);

	json_object_object_get_ex(v->order, "names", &names);
	if (!url || !key || version != v->current + 1) {
		log_warning("%s: the order in flight in etcd is not for version %d; placing a new "
			    "one", run->req->name, v->current + 1);
		return;
	}
	if (signer_adopt(&run->keys, url, key, version, names) < 0) {
		log_warning("%s: the order in flight %s (left by %s) cannot be taken over: %s",
			    run->req->name, url, str_or_empty(jobj_str(v->order, "host")),
			    run->keys.err);
		return;
	}
	progress(run->ev_fd, "Taking over order %s, left by %s", url,
		 str_or_empty(jobj_str(v->order, "host")));
}

/* The cluster-wide backoff: a failure on any host holds every host. */
static int backoff(struct run *run, const struct cluster_view *v, struct json_object **data)
{
	time_t now = time(NULL), next = (time_t)jobj_int(v->state, "next_attempt", 0),
	       retry = (time_t)jobj_int(v->state, "retry_after", 0);
	char reason[1024];

	if (retry > next)
		next = retry;
	if (!v->state || next <= now)
		return 0;
	snprintf(reason, sizeof(reason), "%s failed %d time(s) in a row in the cluster (last on "
					 "%s: %.600s)",
		 run->req->name, (int)jobj_int(v->state, "failures", 0),
		 str_or_empty(jobj_str(v->state, "host")), str_or_empty(jobj_str(v->state, "error")));
	return defer(run, data, next, reason);
}

/* "no order is placed while etcd cannot be reached: ERR" */
static int unreachable(struct run *run, int r, const char *err)
{
	char reason[1300];

	snprintf(reason, sizeof(reason), "no order is placed while etcd cannot be reached: %s",
		 err);
	return issue_fail(run, r, reason);
}

/* etcd cannot be reached, and nothing is ordered yet: a renewal waits and
 * is tried again in CLUSTER_CUT_OFF_RETRY, with no failure counted in its
 * backoff (the watcher raises the cluster's alert once, rather than one
 * per lineage); acmectl renew still lists it as failed. A certonly, or any
 * other error, fails. */
static int cut_off(struct run *run, struct json_object **data, int r, const char *err)
{
	char reason[1300];

	if (r != ACMED_EETCD || !run->req->renewal)
		return unreachable(run, r, err);
	snprintf(reason, sizeof(reason), "no order is placed while etcd cannot be reached: %s",
		 err);
	r = defer(run, data, time(NULL) + CLUSTER_CUT_OFF_RETRY, reason);
	json_object_object_add(*data, "cluster_unreachable", json_object_new_boolean(1));
	return r;
}

/* Is the account the job will use (ID, or the only one) stored here? */
static bool account_here(struct run *run, const char *id)
{
	char *only = NULL;
	int r;

	if (id)
		return store_account_exists(run->store, run->req->server, id);
	r = store_account_find(run->store, run->req->server, &only);
	free(only);
	return r != -ENOENT;
}

int issue_cluster_connect(struct run *run, const char *account_id, struct json_object **data)
{
	char host[80], err[1024], reason[1300], *dir;
	int64_t n = 0;
	int r;

	if (!issue_cluster_on(run))
		return 0;
	run->step = "connecting to etcd";
	r = cluster_open(run->cfg, run->req->name, config_cluster_host(run->cfg, host, sizeof(host)),
			 &run->cluster, err, sizeof(err));
	if (r < 0)
		return issue_fail(run, r, err);
	if (account_here(run, account_id))
		return 0;
	/* The cluster's account, not a second one: its watcher installs it
	 * here. */
	if (!(dir = store_account_server_dir(run->req->server)))
		return issue_fail(run, -EINVAL, "the CA's URL cannot name an account directory");
	r = cluster_account_count(run->cluster, dir, account_id, &n, err, sizeof(err));
	free(dir);
	if (r < 0)
		return cut_off(run, data, r, err);
	if (n == 0)
		return 0;
	snprintf(reason, sizeof(reason), "the cluster's account at %s is not installed on this "
					 "host yet (acmed's watcher installs it)",
		 run->req->server);
	return defer(run, data, time(NULL) + CLUSTER_RECHECK, reason);
}

/* The job's account in etcd, for every host: a renewal another host takes
 * over is finished with the account that placed its order. */
static int share_account(struct run *run)
{
	char *dir = store_account_server_dir(run->req->server), *sealed = NULL, *info = NULL,
	     err[1024];
	struct stored_account a = { .id = run->account.id, .url = run->account.url,
				    .email = run->account.email };
	int64_t n = 0;
	int r = dir && run->account.id ? 0 : -ENOMEM;

	if (r == 0 && (r = cluster_account_count(run->cluster, dir, a.id, &n, err, sizeof(err))) < 0)
		r = unreachable(run, r, err);
	if (r == 0 && n == 0) {
		run->step = "sharing the account in etcd";
		if ((r = signer_seal_account(&run->keys, a.id, &sealed)) < 0)
			r = issue_fail(run, r, run->keys.err);
		else if (!(info = store_account_info_text(run->req->server, &a)))
			r = issue_fail(run, -ENOMEM, NULL);
		else if ((r = cluster_publish_account(run->cluster, dir, a.id, info, sealed, err,
						      sizeof(err))) < 0)
			r = unreachable(run, r, err);
	}
	free(info);
	free(sealed);
	free(dir);
	return r;
}

int issue_cluster_begin(struct run *run, struct json_object **data)
{
	const struct cluster_view *v;
	char holder[80], err[1024], reason[1300];
	int r, live = 0;

	if (!run->cluster)
		return 0;
	run->step = "taking the lineage's lock in etcd";
	r = cluster_lock(run->cluster, holder, sizeof(holder), err, sizeof(err));
	if (r < 0)
		return cut_off(run, data, r, err);
	if (r == 0) {
		snprintf(reason, sizeof(reason), "%s holds %s's cluster lock (it is renewing it)",
			 holder, run->req->name);
		return defer(run, data, time(NULL) + CLUSTER_RECHECK, reason);
	}
	v = cluster_view(run->cluster);
	run->step = "comparing this host's version with the cluster's";
	if ((r = signer_live(&run->keys, &live)) < 0)
		return issue_fail(run, r, run->keys.err);
	if (v->current > live) {
		snprintf(reason, sizeof(reason), "version %d of %s is published in the cluster and "
						 "this host has version %d: it installs it",
			 v->current, run->req->name, live);
		return defer(run, data, time(NULL) + CLUSTER_RECHECK, reason);
	}
	/* Another host renewed it since this renewal was planned: that is
	 * the renewal (one order per renewal, cluster-wide). */
	if (run->req->renewal && run->req->from_version > 0 &&
	    v->current > run->req->from_version) {
		snprintf(reason, sizeof(reason), "version %d of %s was published in the cluster "
						 "since this renewal of version %d was planned",
			 v->current, run->req->name, run->req->from_version);
		return defer(run, data, time(NULL) + CLUSTER_RECHECK, reason);
	}
	if (v->current < live) {
		snprintf(reason, sizeof(reason), "this host has version %d of %s but the cluster "
						 "has %d: copy it in with 'acmectl store migrate "
						 "--to etcd'",
			 live, run->req->name, v->current);
		return issue_fail(run, ACMED_EMISMATCH, reason);
	}
	if (run->req->renewal && (r = backoff(run, v, data)) != 0)
		return r;
	if ((r = share_account(run)) < 0)
		return r;
	if (v->order)
		adopt_order(run, v);
	return 0;
}

int issue_cluster_order(struct run *run, const char *url)
{
	const struct cluster_view *v;
	struct json_object *names;
	char *sealed = NULL, err[1024];
	int r;

	if (!run->cluster)
		return 0;
	v = cluster_view(run->cluster);
	run->step = "recording the order in etcd";
	r = signer_seal(&run->keys, v->current + 1, &sealed);
	if (r < 0)
		return issue_fail(run, r, run->keys.err);
	names = json_object_new_array();
	for (size_t i = 0; i < run->nnames; i++)
		json_object_array_add(names, json_object_new_string(run->names[i]));
	r = cluster_record_order(run->cluster, url, run->account.id, names, v->current + 1,
				 sealed, err, sizeof(err));
	json_object_put(names);
	free(sealed);
	return r < 0 ? issue_fail(run, r, err) : 0;
}

int issue_cluster_publish(struct run *run, const struct version_pems *pems, int *expect)
{
	struct issue_req saved = *run->req; /* with the names ordered */
	const struct cluster_view *v;
	char *sealed = NULL, *renewal = NULL, err[1024];
	int r;

	*expect = 0;
	if (!run->cluster)
		return 0;
	v = cluster_view(run->cluster);
	run->step = "publishing the certificate in etcd";
	saved.domains = (char **)run->names;
	saved.ndomains = run->nnames;
	r = issue_req_renewal_text(run->store, &saved, run->account.id, &renewal);
	if (r < 0)
		return issue_fail(run, r, "the renewal settings cannot be written out");
	r = signer_seal(&run->keys, v->current + 1, &sealed);
	if (r < 0)
		r = issue_fail(run, r, run->keys.err);
	else if ((r = cluster_publish(run->cluster, v->current + 1, pems->cert, pems->chain, sealed,
				      renewal, err, sizeof(err))) < 0)
		r = issue_fail(run, r, err);
	else
		*expect = v->current + 1;
	free(sealed);
	free(renewal);
	return r;
}

void issue_cluster_failed(struct run *run)
{
	const struct cluster_view *v;
	struct renewal_state st = { 0 };
	char err[1024];

	if (!run->cluster)
		return;
	v = cluster_view(run->cluster);
	/* Counted for the lineage, whichever host failed before: the backoff
	 * steps as on one host, from the cluster's count. */
	st.failures = (int)jobj_int(v->state, "failures", 0);
	if (renewal_state_fail(&st, time(NULL), run->err, run->retry_after) < 0 ||
	    cluster_record_failure(run->cluster, st.failures, st.next_attempt, st.retry_after,
				   run->err, err, sizeof(err)) < 0)
		log_error("%s: the failure could not be recorded in etcd: %s", run->req->name,
			  st.last_error ? err : "out of memory");
	renewal_state_clear(&st);
}

void issue_cluster_end(struct run *run)
{
	cluster_close(run->cluster);
	run->cluster = NULL;
	explicit_bzero(run->cluster_key, sizeof(run->cluster_key));
}
