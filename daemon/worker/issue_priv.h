/* The issuance job's state, shared by its two files: issue.c (the flow:
 * account, order, finalize, download, publish), authorize.c (the
 * authorizations, and the names --allow-subset-of-names drops) and
 * issue_cluster.c (cluster mode's lock, order and publish in etcd). */
#pragma once

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "acme/acme.h"
#include "config.h"
#include "daemon/worker/account.h"
#include "helper.h"
#include "issue_req.h"
#include "plugins/plugin.h"
#include "store/store.h"
#include "etcd/seal.h"

struct cluster;
struct signer_conf;

struct run {
	const struct issue_req *req;
	const struct acmed_config *cfg;
	int ev_fd;
	struct store *store;
	struct acme_client *acme;
	struct helper keys; /* the job's signer: every private key is there */
	const struct authn_info *authn;          /* the authenticator: its name, types */
	const struct authenticator *authn_impl;  /* its code */
	struct authn_job *authn_job;             /* its state, from setup() */
	struct account account;
	const char *step; /* what we are doing, for the error message */
	char err[HELPER_ERR_MAX + 1024]; /* room for a manual hook's error output */
	time_t retry_after; /* the CA's Retry-After deadline, 0 if none */
	const char *issuer_pem; /* the CA's issuer_bundle (acmed.conf), or NULL */
	int ca_ari;         /* the directory has renewalInfo: 1, 0, -1 not loaded */
	bool resumed_order; /* the order is one an interrupted attempt left */
	/* The names ordered: the request's, or those left when some were
	 * dropped (then NAMES_OWNED holds them). */
	char *const *names;
	size_t nnames;
	char **names_owned;
	struct json_object *failed;  /* this round's names that failed: [{name, why}] */
	struct json_object *dropped; /* every name dropped, for the result */
	/* cluster mode: the lineage's lock and what etcd held; the cluster
	 * key until the signer has it; the etcd files the worker still reads */
	struct cluster *cluster;
	unsigned char cluster_key[SEAL_KEY_LEN];
	const char *etcd_files[3];
};


/* Record the failure of the current step with DETAIL (else R's words) in
 * run->err; returns R. issue_fail_acme() with the CA's words and its
 * Retry-After. */
int issue_fail(struct run *run, int r, const char *detail);
int issue_fail_acme(struct run *run, int r);

/* Answer ORDER's pending authorizations with the authenticator. 0, or the
 * error in run->err. With --allow-subset-of-names a name the CA could not
 * validate is put in run->failed instead. */
int issue_authorize(struct run *run, struct acme_order *order);

/* After issue_authorize() with names in run->failed: certbot's "Retrying
 * without" them. run->names becomes the rest; ACMED_EINVALID when none is
 * left ("All challenges have failed."). */
int issue_drop_failed(struct run *run);

/* Cluster mode (issue_cluster.c; each does nothing on a single host):
 * - on: the job takes part (storage "etcd", not a dry run nor --csr);
 * - prepare: before the signer starts, the cluster key for it (SC) and
 *   the etcd files the confined worker still reads;
 * - connect: before the account, etcd's client; 1 (*DATA) when the
 *   cluster has an account for the CA (ACCOUNT_ID, or any) that is not
 *   installed here yet, rather than registering a second;
 * - begin: after the account, the lineage's lock: 0 go on (another host's
 *   order in flight adopted), 1 no order now (*DATA says why and until
 *   when: another host holds the lock, a newer version is to be
 *   installed here first, the cluster-wide backoff), or the error; the
 *   account is shared in etcd if it is not there yet;
 * - order: the order at URL recorded in etcd as soon as it is created;
 * - publish: the version published in etcd, *EXPECT the number the local
 *   publish must give (0 on a single host);
 * - failed: the failure counted in the cluster-wide backoff;
 * - end: the lock released. */
bool issue_cluster_on(const struct run *run);
int issue_cluster_prepare(struct run *run, struct signer_conf *sc, char *err, size_t errlen);
int issue_cluster_connect(struct run *run, const char *account_id, struct json_object **data);
int issue_cluster_begin(struct run *run, struct json_object **data);
int issue_cluster_order(struct run *run, const char *url);
int issue_cluster_publish(struct run *run, const struct version_pems *pems, int *expect);
void issue_cluster_failed(struct run *run);
void issue_cluster_end(struct run *run);
