/* The worker's side of the signer (signer.h): typed requests over the
 * socketpair, the answers checked. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctlproto.h"
#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "etcd/seal.h"
#include "daemon/privsep/sandbox.h"
#include "daemon/privsep/signer.h"
#include "util.h"

/* Send REQ (taken), wait for the answer: *OK (caller puts) or the refusal
 * in l->err. */
static int call(struct helper *l, struct json_object *req, struct json_object **ok)
{
	return helper_call(l, req, CTL_MAX_REPLY, ok);
}

static struct json_object *request(const char *op)
{
	return helper_request(op);
}

/* jws.h's signer_remote_fn: CTX is the link. */
static int remote_sign(void *ctx, const char *which, const char *hdr64, const char *payload64,
		       char **sig64)
{
	struct helper *l = ctx;
	struct json_object *req = request("sign"), *ok;
	int r;

	json_object_object_add(req, "key", json_object_new_string(which));
	json_object_object_add(req, "protected", json_object_new_string(hdr64));
	json_object_object_add(req, "payload", json_object_new_string(payload64));
	r = call(l, req, &ok);
	if (r < 0) {
		log_error("the signer refused to sign: %s", l->err);
		return r;
	}
	*sig64 = xstrdup(jobj_str(ok, "signature"));
	json_object_put(ok);
	return *sig64 ? 0 : -EPROTO;
}

int signer_open_key(struct helper *l, const char *which, const char *id, bool create,
		    const char *cert, struct signer **out, char **new_id)
{
	struct json_object *req = request("describe"), *ok, *jwk;
	int r;

	json_object_object_add(req, "key", json_object_new_string(which));
	if (id)
		json_object_object_add(req, "id", json_object_new_string(id));
	if (create)
		json_object_object_add(req, "create", json_object_new_boolean(1));
	if (cert)
		json_object_object_add(req, "cert", json_object_new_string(cert));
	r = call(l, req, &ok);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(ok, "jwk", &jwk) ||
	    signer_new_remote(str_or_empty(jobj_str(ok, "alg")), jwk, remote_sign, l, which,
			      out) < 0) {
		snprintf(l->err, sizeof(l->err), "the signer described no usable key");
		r = -EPROTO;
	} else if (new_id) {
		*new_id = xstrdup(jobj_str(ok, "id"));
	}
	json_object_put(ok);
	return r;
}

int signer_csr(struct helper *l, char *const *names, size_t n, unsigned char **der,
	       size_t *len)
{
	struct json_object *req = request("csr"), *arr = json_object_new_array(), *ok;
	const char *b64;
	int r;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(names[i]));
	json_object_object_add(req, "names", arr);
	r = call(l, req, &ok);
	if (r < 0)
		return r;
	b64 = jobj_str(ok, "csr");
	if (!b64 || b64url_decode(b64, der, len) < 0) {
		snprintf(l->err, sizeof(l->err), "the signer sent no CSR");
		r = -EPROTO;
	}
	json_object_put(ok);
	return r;
}

int signer_publish(struct helper *l, const char *cert, const char *chain, int *version)
{
	return signer_publish_as(l, cert, chain, 0, version);
}

int signer_publish_as(struct helper *l, const char *cert, const char *chain, int expect,
		      int *version)
{
	struct json_object *req = request("publish"), *ok;
	int r;

	json_object_object_add(req, "cert", json_object_new_string(cert));
	json_object_object_add(req, "chain", json_object_new_string(chain));
	if (expect > 0)
		json_object_object_add(req, "version", json_object_new_int(expect));
	r = call(l, req, &ok);
	if (r < 0)
		return r;
	*version = (int)jobj_int(ok, "version", 0);
	json_object_put(ok);
	if (*version <= 0) {
		snprintf(l->err, sizeof(l->err), "the signer sent no version");
		return -EPROTO;
	}
	return 0;
}

int signer_record_failure(struct helper *l, const char *error, time_t retry_after,
			  int *failures, time_t *next)
{
	struct json_object *req = request("failed"), *ok;
	int r;

	json_object_object_add(req, "error", json_object_new_string(error));
	json_object_object_add(req, "retry_after", json_object_new_int64(retry_after));
	r = call(l, req, &ok);
	if (r < 0)
		return r;
	*failures = (int)jobj_int(ok, "failures", 0);
	*next = (time_t)jobj_int(ok, "next_attempt", 0);
	json_object_put(ok);
	return 0;
}

int signer_account(struct helper *l, const char *action, const char *id, const char *url,
		   const char *email)
{
	struct json_object *req = request("account"), *ok;
	int r;

	json_object_object_add(req, "action", json_object_new_string(action));
	json_object_object_add(req, "id", json_object_new_string(id));
	if (url)
		json_object_object_add(req, "url", json_object_new_string(url));
	if (email)
		json_object_object_add(req, "email", json_object_new_string(email));
	r = call(l, req, &ok);
	json_object_put(ok);
	return r;
}

int signer_pending(struct helper *l, const char *action, const char *order_url)
{
	struct json_object *req = request("pending"), *ok;
	int r;

	json_object_object_add(req, "action", json_object_new_string(action));
	if (order_url)
		json_object_object_add(req, "order", json_object_new_string(order_url));
	r = call(l, req, &ok);
	json_object_put(ok);
	return r;
}

int signer_resume(struct helper *l, char **order_url)
{
	struct json_object *ok;
	int r = call(l, request("resume"), &ok);

	*order_url = NULL;
	if (r == 0 && jobj_str(ok, "order"))
		*order_url = xstrdup(jobj_str(ok, "order"));
	json_object_put(ok);
	return r;
}

int signer_published(struct helper *l, const char *cert, int *version)
{
	struct json_object *req = request("pending"), *ok;
	int r;

	json_object_object_add(req, "action", json_object_new_string("published"));
	json_object_object_add(req, "cert", json_object_new_string(cert));
	r = call(l, req, &ok);
	*version = r == 0 ? (int)jobj_int(ok, "version", 0) : 0;
	json_object_put(ok);
	return r;
}

/* A "seal" request REQ (taken): the sealed key in *SEALED. */
static int seal_call(struct helper *l, struct json_object *req, char **sealed)
{
	struct json_object *ok;
	int r = call(l, req, &ok);

	*sealed = r == 0 && jobj_str(ok, "sealed") ? xstrdup(jobj_str(ok, "sealed")) : NULL;
	json_object_put(ok);
	if (r == 0 && !*sealed) {
		snprintf(l->err, sizeof(l->err), "the signer sent no sealed key");
		return -EPROTO;
	}
	return r;
}

int signer_seal(struct helper *l, int version, char **sealed)
{
	struct json_object *req = request("seal");

	json_object_object_add(req, "version", json_object_new_int(version));
	return seal_call(l, req, sealed);
}

int signer_seal_account(struct helper *l, const char *id, char **sealed)
{
	struct json_object *req = request("seal");

	json_object_object_add(req, "account", json_object_new_string(id));
	return seal_call(l, req, sealed);
}

int signer_adopt(struct helper *l, const char *order_url, const char *sealed, int version,
		 struct json_object *names)
{
	struct json_object *req = request("adopt"), *ok;
	int r;

	json_object_object_add(req, "order", json_object_new_string(order_url));
	json_object_object_add(req, "sealed", json_object_new_string(sealed));
	json_object_object_add(req, "version", json_object_new_int(version));
	json_object_object_add(req, "names", json_object_get(names));
	r = call(l, req, &ok);
	json_object_put(ok);
	return r;
}

int signer_live(struct helper *l, int *version)
{
	struct json_object *ok;
	int r = call(l, request("live"), &ok);

	*version = r == 0 ? (int)jobj_int(ok, "version", 0) : 0;
	json_object_put(ok);
	return r;
}

/* ---- the worker starts its signer, then confines itself ---- */

int signer_separate(const struct signer_conf *c, const char *ca_bundle, char *const *rw,
		    size_t n, struct helper *l, char *err, size_t errlen)
{
	int r = signer_start(c, l);

	if (r < 0) {
		snprintf(err, errlen, "could not start the signer: %s", strerror(-r));
		return r;
	}
	if (c->eab_hmac_key)
		explicit_bzero((char *)c->eab_hmac_key, strlen(c->eab_hmac_key));
	if (c->cert_key_pem)
		explicit_bzero((char *)c->cert_key_pem, strlen(c->cert_key_pem));
	if (c->cluster_key)
		explicit_bzero((unsigned char *)c->cluster_key, SEAL_KEY_LEN);
	r = sandbox_worker(c->state_dir, ca_bundle, rw, n, c->worker_read, c->nworker_read, err,
			   errlen);
	if (r == -EOPNOTSUPP)
		return 0;
	if (r < 0) {
		signer_stop(l);
		return r;
	}
	return 0;
}

void signer_stop(struct helper *l)
{
	helper_stop(l);
}
