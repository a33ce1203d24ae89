/* A job's lock, order and publish in etcd (cluster.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "jsonutil.h"
#include "jws.h"
#include "log.h"
#include "util.h"
#include "etcd/etcd.h"
#include "etcd/etcd_store.h"
#include "daemon/worker/cluster.h"

/* C's lineage's key WHAT (printf-style), docs/cluster.md's layout. */
#define LKEY(c, ...) estore_lineage_key((c)->prefix, (c)->name, __VA_ARGS__)

struct cluster {
	struct etcd *e;
	struct etcd_opts opts; /* for the keeper's own client */
	char *prefix, *name, *host;
	int64_t lease;
	pid_t keeper;
	struct cluster_view view;
};

int cluster_open(const struct acmed_config *cfg, const char *name, const char *host,
		 struct cluster **out, char *err, size_t errlen)
{
	struct cluster *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->opts = estore_etcd_opts(cfg);
	c->prefix = strdup(estore_cfg_prefix(cfg));
	c->name = strdup(name);
	c->host = strdup(host);
	r = c->prefix && c->name && c->host ? etcd_new(&c->opts, &c->e, err, errlen) : -ENOMEM;
	if (r < 0) {
		cluster_close(c);
		return r;
	}
	*out = c;
	return 0;
}

static void stop_keeper(struct cluster *c)
{
	if (c->keeper > 0) {
		kill(c->keeper, SIGKILL);
		while (waitpid(c->keeper, NULL, 0) < 0 && errno == EINTR)
			;
	}
	c->keeper = 0;
}

void cluster_close(struct cluster *c)
{
	if (!c)
		return;
	stop_keeper(c);
	/* The lock goes with its lease; if etcd cannot be told now, the lease
	 * runs out within CLUSTER_LOCK_TTL. */
	if (c->lease && etcd_lease_revoke(c->e, c->lease) < 0)
		log_warning("%s: the cluster lock could not be released (%s); it expires within "
			    "%d s", c->name, etcd_errmsg(c->e), CLUSTER_LOCK_TTL);
	json_object_put(c->view.order);
	json_object_put(c->view.state);
	etcd_free(c->e);
	free(c->prefix);
	free(c->name);
	free(c->host);
	free(c);
}

static int fail(struct cluster *c, int r, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", r == ACMED_EETCD ? etcd_errmsg(c->e) : acmed_strerror(r));
	return r;
}

/* The keeper: renews the lease every third of its time until the job
 * kills it, or the job's process dies (PR_SET_PDEATHSIG), or the lease is
 * gone. Its own client: a connection is not shared across fork(). */
static void keeper_main(struct cluster *c, pid_t parent)
{
	struct etcd *e = NULL;
	char err[256];

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent ||
	    etcd_new(&c->opts, &e, err, sizeof(err)) < 0)
		_exit(1);
	for (;;) {
		int64_t ttl = 0;

		sleep(CLUSTER_LOCK_TTL / 3);
		if (etcd_lease_keepalive(e, c->lease, &ttl) == -ENOENT)
			_exit(1);
	}
}

static int start_keeper(struct cluster *c)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		keeper_main(c, parent);
	c->keeper = pid;
	return 0;
}

static int parse_json(const struct etcd_range *rg, struct json_object **out)
{
	*out = rg->n ? json_tokener_parse((const char *)rg->kvs[0].value) : NULL;
	return rg->n && !*out ? ACMED_ECORRUPT : 0;
}

/* The view from the lock transaction's three reads. */
static int read_view(struct cluster *c, const struct etcd_txn_result *t, char *err, size_t errlen)
{
	const struct etcd_range *cur = &t->ranges[0];

	if (t->nranges != 3) {
		snprintf(err, errlen, "etcd answered the lock transaction without its reads");
		return ACMED_EETCD;
	}
	c->view.current = cur->n ? atoi((const char *)cur->kvs[0].value) : 0;
	c->view.current_mod = cur->n ? cur->kvs[0].mod_revision : 0;
	if (parse_json(&t->ranges[1], &c->view.order) < 0 ||
	    parse_json(&t->ranges[2], &c->view.state) < 0 || (cur->n && c->view.current < 1)) {
		snprintf(err, errlen, "%s's current version, order or state in etcd is damaged",
			 c->name);
		return ACMED_ECORRUPT;
	}
	return 0;
}

int cluster_lock(struct cluster *c, char *holder, size_t len, char *err, size_t errlen)
{
	char *lock = LKEY(c, "lock"), *cur = LKEY(c, "current"), *order = LKEY(c, "order"),
	     *state = LKEY(c, "state");
	struct etcd_txn_result t = { 0 };
	int64_t granted = 0;
	int r = lock && cur && order && state ? 0 : -ENOMEM;

	if (r == 0 && (r = etcd_lease_grant(c->e, CLUSTER_LOCK_TTL, &c->lease, &granted)) < 0)
		fail(c, r, err, errlen);
	if (r == 0) {
		struct etcd_cmp absent = { .key = lock, .target = ETCD_CREATE, .result = ETCD_EQUAL };
		struct etcd_op then[] = {
			{ .type = ETCD_OP_PUT, .key = lock, .value = c->host,
			  .value_len = strlen(c->host), .lease = c->lease },
			{ .type = ETCD_OP_RANGE, .key = cur },
			{ .type = ETCD_OP_RANGE, .key = order },
			{ .type = ETCD_OP_RANGE, .key = state },
		};
		struct etcd_op who = { .type = ETCD_OP_RANGE, .key = lock };

		if ((r = etcd_txn(c->e, &absent, 1, then, 4, &who, 1, &t)) < 0)
			fail(c, r, err, errlen);
	}
	if (r == 0 && !t.succeeded) {
		snprintf(holder, len, "%s", t.nranges && t.ranges[0].n
						    ? (const char *)t.ranges[0].kvs[0].value
						    : "another host");
		etcd_lease_revoke(c->e, c->lease);
		c->lease = 0;
	} else if (r == 0 && (r = read_view(c, &t, err, errlen)) == 0) {
		r = start_keeper(c);
		if (r < 0)
			snprintf(err, errlen, "cannot start the lock's keeper: %s", strerror(-r));
		else
			r = 1;
	}
	etcd_txn_result_clear(&t);
	free(lock);
	free(cur);
	free(order);
	free(state);
	return r;
}

const struct cluster_view *cluster_view(const struct cluster *c)
{
	return &c->view;
}

/* The comparison "this host holds the lock". */
static struct etcd_cmp held(const char *lock, const struct cluster *c)
{
	return (struct etcd_cmp){ .key = lock, .target = ETCD_VALUE, .result = ETCD_EQUAL,
				  .value = c->host, .value_len = strlen(c->host) };
}

static int lost_lock(struct cluster *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "this host no longer holds %s's cluster lock (its lease ran out: "
			      "etcd was unreachable for %d s or more); the next host to take it "
			      "finishes the order",
		 c->name, CLUSTER_LOCK_TTL);
	return ACMED_EMISMATCH;
}

/* Put O (taken) as KEY of the lineage, only while this host holds the lock. */
static int put_held(struct cluster *c, const char *what, struct json_object *o, char *err,
		    size_t errlen)
{
	char *lock = LKEY(c, "lock"), *key = LKEY(c, "%s", what);
	const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE)
			     : NULL;
	struct etcd_txn_result t = { 0 };
	int r = lock && key && text ? 0 : -ENOMEM;

	if (r == 0) {
		struct etcd_cmp mine = held(lock, c);
		struct etcd_op put = { .type = ETCD_OP_PUT, .key = key, .value = text,
				       .value_len = strlen(text) };

		if ((r = etcd_txn(c->e, &mine, 1, &put, 1, NULL, 0, &t)) < 0)
			fail(c, r, err, errlen);
		else if (!t.succeeded)
			r = lost_lock(c, err, errlen);
	}
	etcd_txn_result_clear(&t);
	json_object_put(o);
	free(lock);
	free(key);
	return r;
}

int cluster_record_order(struct cluster *c, const char *url, const char *account,
			 struct json_object *names, int version, const char *sealed, char *err,
			 size_t errlen)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "order", json_object_new_string(url));
	json_object_object_add(o, "account", json_object_new_string(str_or_empty(account)));
	json_object_object_add(o, "names", json_object_get(names));
	json_object_object_add(o, "version", json_object_new_int(version));
	json_object_object_add(o, "key", json_object_new_string(sealed));
	json_object_object_add(o, "host", json_object_new_string(c->host));
	return put_held(c, "order", o, err, errlen);
}

int cluster_publish(struct cluster *c, int version, const char *cert, const char *chain,
		    const char *sealed, const char *renewal, char *err, size_t errlen)
{
	char *lock = LKEY(c, "lock"), *cur = LKEY(c, "current"), *order = LKEY(c, "order"),
	     *state = LKEY(c, "state"), *kcert = LKEY(c, "versions/%d/cert", version),
	     *kchain = LKEY(c, "versions/%d/chain", version),
	     *kkey = LKEY(c, "versions/%d/key.sealed", version), *kren = LKEY(c, "renewal"),
	     value[16];
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	struct etcd_txn_result t = { 0 };
	int r = lock && cur && order && state && kcert && kchain && kkey && kren ? 0 : -ENOMEM;

	if (r == 0 && b64url_decode(sealed, &blob, &bloblen) < 0)
		r = -EINVAL;
	if (r == 0) {
		struct etcd_cmp cmp[] = {
			held(lock, c),
			{ .key = cur, .target = c->view.current_mod ? ETCD_MOD : ETCD_CREATE,
			  .result = ETCD_EQUAL, .number = c->view.current_mod },
			{ .key = kcert, .target = ETCD_CREATE, .result = ETCD_EQUAL },
		};
		struct etcd_op then[] = {
			{ .type = ETCD_OP_PUT, .key = kcert, .value = cert, .value_len = strlen(cert) },
			{ .type = ETCD_OP_PUT, .key = kchain, .value = chain,
			  .value_len = strlen(chain) },
			{ .type = ETCD_OP_PUT, .key = kkey, .value = blob, .value_len = bloblen },
			{ .type = ETCD_OP_PUT, .key = kren, .value = renewal,
			  .value_len = strlen(renewal) },
			{ .type = ETCD_OP_DELETE, .key = order },
			{ .type = ETCD_OP_DELETE, .key = state },
			{ .type = ETCD_OP_PUT, .key = cur, .value = value },
		};

		then[6].value_len = (size_t)snprintf(value, sizeof(value), "%d", version);
		if ((r = etcd_txn(c->e, cmp, ELEMENTSOF(cmp), then, ELEMENTSOF(then), NULL, 0,
				  &t)) < 0)
			fail(c, r, err, errlen);
		else if (!t.succeeded)
			r = lost_lock(c, err, errlen);
	}
	etcd_txn_result_clear(&t);
	free(blob);
	free(lock);
	free(cur);
	free(order);
	free(state);
	free(kcert);
	free(kchain);
	free(kkey);
	free(kren);
	return r;
}

/* P accounts/DIR/ (with ID/ when ID is set). */
static char *account_key(const struct cluster *c, const char *dir, const char *id,
			 const char *file)
{
	char *k = NULL;

	if (asprintf(&k, "%saccounts/%s/%s%s%s", c->prefix, dir, id ? id : "", id ? "/" : "",
		     file ? file : "") < 0)
		return NULL;
	return k;
}

int cluster_account_count(struct cluster *c, const char *dir, const char *id, int64_t *n,
			  char *err, size_t errlen)
{
	char *key = account_key(c, dir, id, NULL);
	struct etcd_range rg = { 0 };
	int r = key ? etcd_get_prefix(c->e, key, 1, 0, &rg) : -ENOMEM;

	if (r < 0 && key)
		fail(c, r, err, errlen);
	*n = r == 0 ? rg.count : 0;
	etcd_range_clear(&rg);
	free(key);
	return r;
}

int cluster_publish_account(struct cluster *c, const char *dir, const char *id, const char *info,
			    const char *sealed, char *err, size_t errlen)
{
	char *kinfo = account_key(c, dir, id, "account.json"),
	     *kkey = account_key(c, dir, id, "key.sealed");
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	struct etcd_txn_result t = { 0 };
	int r = kinfo && kkey ? 0 : -ENOMEM;

	if (r == 0 && b64url_decode(sealed, &blob, &bloblen) < 0)
		r = -EINVAL;
	if (r == 0) {
		struct etcd_cmp absent = { .key = kkey, .target = ETCD_CREATE, .result = ETCD_EQUAL };
		struct etcd_op then[] = {
			{ .type = ETCD_OP_PUT, .key = kinfo, .value = info, .value_len = strlen(info) },
			{ .type = ETCD_OP_PUT, .key = kkey, .value = blob, .value_len = bloblen },
		};

		if ((r = etcd_txn(c->e, &absent, 1, then, 2, NULL, 0, &t)) < 0)
			fail(c, r, err, errlen);
	}
	etcd_txn_result_clear(&t);
	free(blob);
	free(kinfo);
	free(kkey);
	return r;
}

int cluster_record_failure(struct cluster *c, int failures, time_t next, time_t retry_after,
			   const char *error, char *err, size_t errlen)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "failures", json_object_new_int(failures));
	json_object_object_add(o, "next_attempt", json_object_new_int64(next));
	json_object_object_add(o, "retry_after", json_object_new_int64(retry_after));
	json_object_object_add(o, "error", json_object_new_string(str_or_empty(error)));
	json_object_object_add(o, "host", json_object_new_string(c->host));
	return put_held(c, "state", o, err, errlen);
}
