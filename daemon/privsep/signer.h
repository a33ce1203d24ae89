/* The signer: the one process of a job that holds private keys.
 *
 * A job that talks to a CA (issuance, renewal, revocation, account work)
 * runs as two processes. The worker speaks HTTP to the CA and parses what
 * it answers; it holds no private key and, where the kernel has Landlock,
 * cannot open one (sandbox.h). The signer, forked by the worker before it
 * reads a byte from the network, loads and creates the keys and answers
 * typed requests over a socketpair, four that use a key:
 *
 *   describe  the public half of a key (and create it, where that is the
 *             request): the account key, the next account key of a
 *             rollover, a revocation's certificate key
 *   sign      a JWS signature over a protected header and payload the
 *             signer checks first (the header's alg is the key's, it names
 *             a URL, an account request is signed by kid or by the
 *             account's own JWK; an external account binding binds the
 *             account's key and nothing else)
 *   csr       a CSR for exactly the job's names, with a new certificate key
 *             (or the lineage's current one, with reuse_key)
 *   publish   the certificate the CA issued for that key, saved with it as
 *             the lineage's next version (the store's checks: key matches
 *             certificate, chain verifies), so the key never leaves here;
 *             and the lineage's renewal file, made from the job's request
 *
 * and, because the worker may not write a byte of the state directory (a
 * renewal file names hooks that run as root), the other writes a job
 * makes, from typed values it checks:
 *
 *   failed    a failed renewal's error and Retry-After, into the renewal
 *             file's state (the backoff)
 *   account   account.json (an https URL, an email address), and the
 *             renames of a key rollover (commit, abort) and of a
 *             deactivation (retire)
 *   pending   an order about to be finalized (its https URL) with the
 *             CSR's key, so that a crash before publish costs no second
 *             order; "resume" gives it back to the next job for the same
 *             lineage, CA and names
 *
 * and in cluster mode (docs/cluster.md; signer_cluster.c):
 *
 *   seal      the CSR's key sealed under the cluster key for one version of
 *             the job's lineage (or the job's account key), for etcd
 *   adopt     another host's order in flight, its key opened as that
 *             version, made this job's order to resume
 *   live      the lineage's live version here
 *
 * A signature is bound to what the job is for: a request signed by kid
 * names the account's own URL; a finalize carries the CSR this signer
 * made; a new order asks for the job's names only; a key change (its inner
 * JWS by this job's next key) only in a rollover, a deactivation only in
 * the account job that deactivates, a revocation only in a revocation job.
 * One job publishes once, a certificate for exactly its names.
 *
 * Anything else, or a request that does not pass its checks, is refused
 * with an error and logged. What a signer may use is fixed when it starts
 * (struct signer_conf). The signer itself cannot open TCP connections
 * (Landlock, ABI 4) and reads and writes only the state directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "crypto.h"
#include "helper.h"
#include "issue_req.h"
#include "jws.h"

struct signer_conf {
	const char *state_dir;
	const char *server;       /* the CA: its accounts only */
	const char *name;         /* lineage for csr and publish, or NULL */
	char *const *domains;     /* the names a CSR must have, in order */
	size_t ndomains;
	bool allow_subset;        /* a CSR may have some of them (--allow-subset-of-names):
				   * those are then the names published and saved */
	struct key_spec key;      /* a new certificate key's type */
	bool reuse_key;           /* the CSR uses the lineage's current key */
	bool publish;             /* publish allowed (not a dry run) */
	const struct issue_req *req; /* its renewal file is saved on publish, and
				      * failures recorded in it; or NULL */
	const char *eab_hmac_key; /* base64url MAC key of "eab" signatures, or NULL */
	const char *cert_key_pem; /* the "certificate" key of a revocation, or NULL */
	const char *account_op;   /* an account job's operation ("rollover",
				   * "deactivate", ...), or NULL */
	bool revoke;              /* a revocation job: a revokeCert payload */
	const unsigned char *csr_der; /* --csr: the CSR given, DER; or NULL */
	size_t csr_len;
	const char *issuer_pem;   /* the CA's issuer_bundle: what a published
				   * certificate's chain must lead to; or NULL */
	/* Cluster mode (docs/cluster.md): the cluster key (SEAL_KEY_LEN bytes)
	 * the signer seals the certificate key with for etcd, and the files
	 * the confined worker may still read (etcd's CA and client
	 * certificate and key). NULL / 0 otherwise. */
	const unsigned char *cluster_key;
	const char *const *worker_read;
	size_t nworker_read;
};

/* Fork the signer for C. Everything in C is copied into the new process
 * before this returns; the caller may then wipe its secrets. 0 or -errno. */
int signer_start(const struct signer_conf *c, struct helper *l);
/* What a job's worker does before it reads a byte from the network:
 * signer_start(C), wipe C's secrets (eab_hmac_key, cert_key_pem,
 * cluster_key) from its own memory, and confine itself with
 * sandbox_worker() (C's state directory, CA_BUNDLE, C's worker_read, the
 * N directories RW read-write). A kernel
 * without Landlock leaves the worker unconfined (acmed says so when it
 * starts). 0, or -errno with ERR saying why. */
int signer_separate(const struct signer_conf *c, const char *ca_bundle, char *const *rw,
		    size_t n, struct helper *l, char *err, size_t errlen);
/* End the signer and reap it. */
void signer_stop(struct helper *l);

/* Key WHICH ("account", "account-next", "certificate") as a jws.h signer
 * whose signatures the signer makes. For "account": ID's key, or with
 * CREATE a new account key, saved (its ID in *NEW_ID, caller frees). For
 * "account-next": account ID's key.next.pem, made first with CREATE
 * (-EEXIST if one is there), -ENOENT without. For "certificate": the
 * revocation's key, which must belong to certificate CERT (PEM). The
 * signer's refusal is in l->err. */
int signer_open_key(struct helper *l, const char *which, const char *id, bool create,
		    const char *cert, struct signer **out, char **new_id);
/* A DER CSR for the N NAMES (the job's). Caller frees *DER. */
int signer_csr(struct helper *l, char *const *names, size_t n, unsigned char **der,
	       size_t *len);
/* Publish CERT and CHAIN (PEM) with the CSR's key as the lineage's next
 * version, its number in *VERSION. */
int signer_publish(struct helper *l, const char *cert, const char *chain, int *version);
/* The same, refused (ACMED_EMISMATCH) unless it makes version EXPECT:
 * cluster mode, where etcd has just made EXPECT the current version. */
int signer_publish_as(struct helper *l, const char *cert, const char *chain, int expect,
		      int *version);
/* Cluster mode (signer_cluster.c): the CSR's key sealed for VERSION of the
 * job's lineage, base64url, in *SEALED (caller frees); another host's
 * order in flight (ORDER_URL, its key SEALED for VERSION, for NAMES, a
 * JSON array) made this job's order to resume (signer_resume() then gives
 * it); the lineage's live version here in *VERSION (0: none). */
int signer_seal(struct helper *l, int version, char **sealed);
/* The job's account ID's key, sealed as "account:SERVERDIR/ID", version 0. */
int signer_seal_account(struct helper *l, const char *id, char **sealed);
int signer_adopt(struct helper *l, const char *order_url, const char *sealed, int version,
		 struct json_object *names);
int signer_live(struct helper *l, int *version);

/* Before finalizing the order at ORDER_URL: ACTION "save" keeps the URL
 * and the CSR's key in the lineage's archive (store_pending_save()), so a
 * later attempt can finish the order after a crash; "drop" (ORDER_URL
 * NULL) forgets a saved order that cannot be finished, and its key. */
int signer_pending(struct helper *l, const char *action, const char *order_url);
/* The URL of the order an interrupted attempt saved for this job's lineage
 * and names, in *ORDER_URL (caller frees), its key made the CSR's key; or
 * *ORDER_URL NULL if there is none. */
int signer_resume(struct helper *l, char **order_url);
/* The lineage's version whose certificate is CERT (a leaf in the store's
 * PEM form) in *VERSION, 0 if none. */
int signer_published(struct helper *l, const char *cert, int *version);
/* Record the job's failure (ERROR, and the CA's RETRY_AFTER or 0) in the
 * lineage's renewal file: the consecutive *FAILURES and the *NEXT attempt. */
int signer_record_failure(struct helper *l, const char *error, time_t retry_after,
			  int *failures, time_t *next);
/* Account ID's ACTION: "save" (account.json: URL, EMAIL or NULL),
 * "commit" or "abort" (a key rollover), "retire" (deactivated). */
int signer_account(struct helper *l, const char *action, const char *id, const char *url,
		   const char *email);

