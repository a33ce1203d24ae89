/* The signer's part in cluster mode (signer_priv.h, docs/cluster.md): the
 * certificate key leaves this process only sealed under the cluster key,
 * for the one lineage version it is meant to become; another host's order
 * in flight is taken over with the key it sealed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "error.h"
#include "jsonutil.h"
#include "jws.h"
#include "etcd/seal.h"
#include "daemon/privsep/signer_priv.h"
#include "util.h"

/* Versions a cluster lineage may reach: far past any real one, and small
 * enough for the associated data. */
#define VERSION_MAX 1000000

static int cluster_ok(struct keyproc *k, const char *op, struct json_object *req, int *version)
{
	if (!k->c->cluster_key || !k->c->publish || !k->c->name)
		return signer_refuse(k, -EPERM, "%s: this job publishes nothing to a cluster", op);
	*version = (int)jobj_int(req, "version", 0);
	if (*version < 1 || *version > VERSION_MAX)
		return signer_refuse(k, -EINVAL, "%s: a version from 1 to %d is needed", op,
				     VERSION_MAX);
	return 0;
}

/* KEY as PEM, sealed for (NAME, VERSION), base64url in OUT's "sealed". */
static int seal_key(struct keyproc *k, EVP_PKEY *key, const char *name, int version,
		    struct json_object *out)
{
	unsigned char *blob = NULL;
	size_t len = 0, bloblen = 0;
	char *pem = NULL, *b64;
	int r = crypto_key_to_pem(key, &pem, &len);

	if (r == 0)
		r = seal_seal(k->c->cluster_key, name, (unsigned long)version, pem, len, &blob,
			      &bloblen);
	if (pem) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	if (r < 0)
		return signer_refuse(k, r, "seal: %s", acmed_strerror(r));
	b64 = b64url_encode(blob, bloblen);
	free(blob);
	if (!b64)
		return -ENOMEM;
	json_object_object_add(out, "sealed", json_object_new_string(b64));
	free(b64);
	return 0;
}

/* The job's account key, sealed as "account:SERVERDIR/ID", version 0. */
static int seal_account(struct keyproc *k, const char *id, struct json_object *out)
{
	char *dir = store_account_server_dir(k->c->server), *name = NULL;
	int r;

	if (!k->c->cluster_key || !k->account || !k->account_id || !streq(id, k->account_id)) {
		free(dir);
		return signer_refuse(k, -EPERM, "seal: this job has not opened account %s", id);
	}
	if (!dir || asprintf(&name, "account:%s/%s", dir, id) < 0) {
		free(dir);
		return -ENOMEM;
	}
	r = seal_key(k, signer_key(k->account), name, 0, out);
	free(name);
	free(dir);
	return r;
}

int signer_op_seal(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	int version, r;

	if (jobj_str(req, "account"))
		return seal_account(k, jobj_str(req, "account"), out);
	if ((r = cluster_ok(k, "seal", req, &version)) < 0)
		return r;
	if (!k->cert_key)
		return signer_refuse(k, -EINVAL, "seal: no CSR was made");
	return seal_key(k, k->cert_key, k->c->name, version, out);
}

int signer_op_adopt(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const char *url = jobj_str(req, "order"), *sealed = jobj_str(req, "sealed");
	struct json_object *names = NULL;
	unsigned char *blob = NULL, *pem = NULL;
	size_t bloblen = 0, len = 0;
	EVP_PKEY *key = NULL;
	int version, r = cluster_ok(k, "adopt", req, &version);

	(void)out;
	if (r < 0)
		return r;
	json_object_object_get_ex(req, "names", &names);
	if (!url || strncmp(url, "https://", 8) != 0 || strlen(url) > 2048 ||
	    strpbrk(url, " \t\r\n") || !sealed)
		return signer_refuse(k, -EINVAL, "adopt: an https order URL and its sealed key "
						 "are needed");
	if (!signer_names_are_the_jobs(k->c, names))
		return signer_refuse(k, -EPERM, "adopt: the order is not for this job's names");
	if (b64url_decode(sealed, &blob, &bloblen) < 0)
		return signer_refuse(k, -EINVAL, "adopt: the sealed key is not base64url");
	r = seal_open(k->c->cluster_key, k->c->name, (unsigned long)version, blob, bloblen, &pem,
		      &len);
	free(blob);
	if (r < 0)
		return signer_refuse(k, r, "adopt: the order's key does not open as version %d of "
					   "%s with this cluster key", version, k->c->name);
	r = crypto_key_from_pem((const char *)pem, len, &key);
	if (r < 0)
		signer_refuse(k, r, "adopt: the order's key is not a private key");
	else
		r = signer_pending_write(k, url, (const char *)pem);
	EVP_PKEY_free(key);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return r;
}

int signer_op_live(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	int live = 0;

	(void)req;
	if (!k->c->name)
		return signer_refuse(k, -EPERM, "live: this job has no lineage");
	if (store_live_version(k->store, k->c->name, &live) < 0)
		live = 0;
	json_object_object_add(out, "version", json_object_new_int(live));
	return 0;
}
