/* The signer process's own state, shared by its files: signer.c (keys,
 * signatures, the CSR, publish, the store's other writes) and
 * signer_cluster.c (cluster mode: the certificate key sealed for etcd). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "jws.h"
#include "daemon/privsep/signer.h"
#include "store/store.h"

struct keyproc {
	const struct signer_conf *c;
	struct store *store;
	struct signer *account;      /* "account" */
	struct signer *next;         /* "account-next" */
	struct signer *certificate;  /* "certificate" (revocation) */
	EVP_PKEY *cert_key;          /* the CSR's key, for publish */
	char *account_id;            /* the account "account" opened */
	char *account_url;           /* its URL (the kid), once known */
	char *csr;                   /* the last CSR made, base64url DER */
	char **subset;               /* its names, when some of the job's only */
	size_t nsubset;
	bool published;              /* publish is once per job */
	char err[512];
};

/* Refuse a request: K's error is FMT's text; returns R. */
int signer_refuse(struct keyproc *k, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Save ORDER_URL with the CSR's key PEM as the lineage's order in flight
 * (store_pending_save()), for the job's names. */
int signer_pending_write(struct keyproc *k, const char *order_url, const char *pem);

/* The order in flight (signer_pending.c): "pending" and "resume" as in
 * signer.h; are NAMES (a JSON array) exactly the job's, in order? */
bool signer_names_are_the_jobs(const struct signer_conf *c, struct json_object *names);
int signer_op_pending(struct keyproc *k, struct json_object *req, struct json_object *out);
int signer_op_resume(struct keyproc *k, struct json_object *req, struct json_object *out);

/* The cluster ops (signer_cluster.c), requests as in signer.h:
 *   seal   {"version": N} -> {"sealed": base64url}: the CSR's key sealed
 *          for version N of the job's lineage (seal.h); {"account": ID}:
 *          the job's account key, sealed as "account:SERVERDIR/ID", 0
 *   adopt  {"order": URL, "sealed": ..., "version": N, "names": [...]}:
 *          another host's order in flight for the job's lineage and names
 *          becomes this job's order to resume (its key opened)
 *   live   {} -> {"version": N}: the lineage's live version here, 0: none */
int signer_op_seal(struct keyproc *k, struct json_object *req, struct json_object *out);
int signer_op_adopt(struct keyproc *k, struct json_object *req, struct json_object *out);
int signer_op_live(struct keyproc *k, struct json_object *req, struct json_object *out);
