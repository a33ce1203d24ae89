#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "certcheck.h"
#include "ctlproto.h"
#include "error.h"
#include "fsutil.h"
#include "helper.h"
#include "ident.h"
#include "jsonutil.h"
#include "log.h"
#include "daemon/privsep/sandbox.h"
#include "daemon/privsep/signer.h"
#include "daemon/privsep/signer_priv.h"
#include "store/store.h"
#include "util.h"

/* A request is a header, a payload or two PEM certificates: 1 MiB is
 * plenty, and a worker sending more is not one to trust. */
#define SIGNER_MAX_REQUEST (1024 * 1024)
/* A publish carries a chain the worker took from the CA: JSON may double
 * its bytes (every '/' and newline escaped). */
_Static_assert(SIGNER_MAX_REQUEST >= 2 * CERT_CHAIN_MAX + 64 * 1024,
	       "the signer must take any chain the download takes");

/* ---- the signer process ---- */

int signer_refuse(struct keyproc *k, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->err, sizeof(k->err), fmt, ap);
	va_end(ap);
	return r;
}

static struct signer **slot(struct keyproc *k, const char *which)
{
	if (streq(which, "account"))
		return &k->account;
	if (streq(which, "account-next"))
		return &k->next;
	if (streq(which, "certificate"))
		return &k->certificate;
	return NULL;
}

/* Wrap KEY (taken) into *S, replacing what was there. */
static int hold(struct keyproc *k, EVP_PKEY *key, struct signer **s)
{
	struct signer *n = NULL;

	if (signer_new(key, &n) < 0) {
		EVP_PKEY_free(key);
		return signer_refuse(k, -EINVAL, "the key is not one acmed can sign with");
	}
	signer_free(*s);
	*s = n;
	return 0;
}

static int describe_account(struct keyproc *k, const char *id, bool create,
			    struct json_object *out)
{
	struct stored_account st = { 0 };
	int r;

	/* One account per job: the first one it opens or makes. */
	if (k->account_id && (create || !streq(id, k->account_id)))
		return signer_refuse(k, -EPERM, "describe: this job uses account %s", k->account_id);
	if (create) {
		st.key = crypto_key_generate(&KEY_SPEC_DEFAULT);
		if (!st.key)
			return signer_refuse(k, ACMED_ECRYPTO, "could not generate an account key");
		r = store_account_save_key(k->store, k->c->server, &st);
		if (r < 0) {
			signer_refuse(k, r, "could not save the account key: %s", acmed_strerror(r));
			goto out;
		}
	} else {
		if (!id || !fs_name_ok(id))
			return signer_refuse(k, -EINVAL, "describe: no valid account id");
		r = store_account_load(k->store, k->c->server, id, &st, k->err, sizeof(k->err));
		if (r < 0)
			goto out;
	}
	json_object_object_add(out, "id", json_object_new_string(st.id));
	r = hold(k, st.key, &k->account);
	st.key = NULL;
	if (r == 0 && !k->account_id) {
		k->account_id = xstrdup(st.id);
		k->account_url = xstrdup(st.url);
	}
out:
	stored_account_clear(&st);
	return r;
}

static int describe_next(struct keyproc *k, const char *id, bool create)
{
	EVP_PKEY *key = NULL;
	int r;

	if (!id || !fs_name_ok(id))
		return signer_refuse(k, -EINVAL, "describe: no valid account id");
	if (k->account_id && !streq(id, k->account_id))
		return signer_refuse(k, -EPERM, "describe: this job uses account %s, not %s",
			      k->account_id, id);
	if (create) {
		key = crypto_key_generate(&KEY_SPEC_DEFAULT);
		if (!key)
			return signer_refuse(k, ACMED_ECRYPTO, "could not generate a key");
		/* On disk before the CA hears of it (store.h). */
		r = store_account_rollover_begin(k->store, k->c->server, id, key);
		if (r < 0) {
			EVP_PKEY_free(key);
			return signer_refuse(k, r, "could not save the new key: %s", acmed_strerror(r));
		}
	} else {
		r = store_account_next_key(k->store, k->c->server, id, &key);
		if (r < 0)
			return signer_refuse(k, r, "no key.next.pem: %s", acmed_strerror(r));
	}
	r = hold(k, key, &k->next);
	if (r == 0 && !k->account_id)
		k->account_id = xstrdup(id);
	return r;
}

static int describe_certificate(struct keyproc *k, const char *cert)
{
	const char *pem = k->c->cert_key_pem;
	EVP_PKEY *key = NULL;
	int r;

	if (!pem)
		return signer_refuse(k, -EPERM, "this job has no certificate key");
	if (!cert)
		return signer_refuse(k, -EINVAL, "describe: the certificate is missing");
	r = crypto_key_matches_cert(pem, strlen(pem), cert, strlen(cert));
	if (r == ACMED_EMISMATCH)
		return signer_refuse(k, r, "the key given with --key-path does not belong to the "
				    "certificate");
	if (r == 0)
		r = crypto_key_from_pem(pem, strlen(pem), &key);
	if (r < 0)
		return signer_refuse(k, r, "--key-path: not a private key acmed can sign with");
	return hold(k, key, &k->certificate);
}

static int op_describe(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const char *which = jobj_str(req, "key");
	struct signer **s = which ? slot(k, which) : NULL;
	int r;

	if (!s)
		return signer_refuse(k, -EINVAL, "describe: no key '%s'", str_or_empty(which));
	if (streq(which, "account"))
		r = describe_account(k, jobj_str(req, "id"), jobj_bool(req, "create"), out);
	else if (streq(which, "account-next"))
		r = describe_next(k, jobj_str(req, "id"), jobj_bool(req, "create"));
	else
		r = describe_certificate(k, jobj_str(req, "cert"));
	if (r < 0)
		return r;
	json_object_object_add(out, "alg", json_object_new_string(signer_alg(*s)));
	json_object_object_add(out, "jwk", signer_jwk(*s));
	return 0;
}

/* The JSON object base64url B64 encodes, or NULL: exactly one object, no
 * NUL byte and nothing after it, so that what the signer checks is what
 * the CA reads. */
static struct json_object *decode_json(const char *b64)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	struct json_object *o = NULL;
	struct json_tokener *tok = json_tokener_new();

	if (tok && b64 && b64url_decode(b64, &raw, &len) == 0 && len > 0 &&
	    strlen((const char *)raw) == len) {
		o = json_tokener_parse_ex(tok, (const char *)raw, (int)len);
		if (o && (json_tokener_get_error(tok) != json_tokener_success ||
			  json_tokener_get_parse_end(tok) != len ||
			  !json_object_is_type(o, json_type_object))) {
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	free(raw);
	return o;
}

/* Same public key: same thumbprint. */
static bool same_jwk(struct json_object *a, struct json_object *b)
{
	char *ta = a ? jwk_thumbprint(a) : NULL, *tb = b ? jwk_thumbprint(b) : NULL;
	bool same = ta && tb && streq(ta, tb);

	free(ta);
	free(tb);
	return same;
}

/* An external account binding: HS256, a kid, and as payload the account's
 * own public key (RFC 8555 section 7.3.4), nothing else. */
static int sign_eab(struct keyproc *k, struct json_object *hdr, const char *hdr64,
		    const char *payload64, char **sig)
{
	struct json_object *payload = decode_json(payload64), *jwk = NULL;
	unsigned char *mac = NULL;
	size_t maclen = 0;
	int r;

	if (!k->c->eab_hmac_key)
		r = signer_refuse(k, -EPERM, "this job has no external account binding");
	else if (!streq(jobj_str(hdr, "alg"), "HS256") || !jobj_str(hdr, "kid"))
		r = signer_refuse(k, -EINVAL, "sign: an external account binding is HS256 with a kid");
	else if (!k->account || !(jwk = signer_jwk(k->account)) || !same_jwk(payload, jwk))
		r = signer_refuse(k, -EINVAL, "sign: an external account binding binds the account "
				       "key only");
	else if (b64url_decode(k->c->eab_hmac_key, &mac, &maclen) < 0 || maclen == 0)
		r = signer_refuse(k, -EINVAL, "--eab-hmac-key: not the base64url key the CA gave");
	else
		r = jws_eab_mac(mac, maclen, hdr64, payload64, sig);
	if (mac)
		OPENSSL_cleanse(mac, maclen);
	free(mac);
	json_object_put(payload);
	json_object_put(jwk);
	return r;
}

static bool is_job_name(const struct signer_conf *c, const char *name)
{
	for (size_t i = 0; name && i < c->ndomains; i++)
		if (strcasecmp(name, c->domains[i]) == 0)
			return true;
	return false;
}

/* The payload of a request signed by the account key (or the next or
 * certificate key) must be what this job is for: signer.h. P is the
 * decoded payload; NULL for a POST-as-GET. */
static int check_intent(struct keyproc *k, const char *which, struct json_object *hdr,
			struct json_object *p)
{
	const struct signer_conf *c = k->c;
	const char *kid = jobj_str(hdr, "kid");
	struct json_object *v, *inner;
	bool ok;

	if (kid && (!streq(which, "account") || !streq(kid, k->account_url)))
		return signer_refuse(k, -EPERM, "sign: the kid must be this job's account URL");
	if (streq(which, "certificate")) {
		/* revokeCert signed by the certificate's own key: that only. */
		if (!p || !jobj_str(p, "certificate"))
			return signer_refuse(k, -EPERM, "sign: the certificate key signs its revocation only");
		json_object_object_foreach(p, key, val) {
			(void)val;
			if (!streq(key, "certificate") && !streq(key, "reason"))
				return signer_refuse(k, -EPERM, "sign: the certificate key signs its "
							 "revocation only");
		}
		return 0;
	}
	if (!p)
		return 0;
	if (json_object_object_get_ex(p, "csr", &v)) {
		if (!k->csr || !streq(json_object_get_string(v), k->csr))
			return signer_refuse(k, -EPERM, "sign: a finalize must carry the CSR this signer "
						 "made");
	} else if (json_object_object_get_ex(p, "identifiers", &v)) {
		ok = json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0;
		for (size_t i = 0; ok && i < json_object_array_length(v); i++)
			ok = is_job_name(c, jobj_str(json_object_array_get_idx(v, i), "value"));
		if (!ok)
			return signer_refuse(k, -EPERM, "sign: a new order may ask for this job's names only");
	} else if (json_object_object_get_ex(p, "protected", &v)) {
		/* keyChange: the inner JWS must be this job's next key's. */
		inner = decode_json(json_object_get_string(v));
		ok = streq(c->account_op, "rollover") && k->next && inner &&
		     json_object_object_get_ex(inner, "jwk", &v) &&
		     same_jwk(v, signer_jwk_borrow(k->next));
		json_object_put(inner);
		if (!ok)
			return signer_refuse(k, -EPERM, "sign: a key change only in a rollover, to this "
						 "job's next key");
	} else if (streq(jobj_str(p, "status"), "deactivated")) {
		if (!streq(c->account_op, "deactivate"))
			return signer_refuse(k, -EPERM, "sign: only 'acmectl account deactivate' "
						 "deactivates");
	} else if (json_object_object_get_ex(p, "certificate", &v)) {
		if (!c->revoke)
			return signer_refuse(k, -EPERM, "sign: only a revocation job revokes");
	}
	return 0;
}

static int op_sign(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const char *which = jobj_str(req, "key"), *hdr64 = jobj_str(req, "protected");
	const char *payload64 = jobj_str(req, "payload"), *url;
	struct json_object *hdr = decode_json(hdr64), *jwk, *payload = NULL;
	struct signer **s = which ? slot(k, which) : NULL;
	char *sig = NULL;
	int r;

	url = hdr ? jobj_str(hdr, "url") : NULL;
	if (payload64 && payload64[0])
		payload = decode_json(payload64);
	if (!hdr || !payload64 || (payload64[0] && !payload))
		r = signer_refuse(k, -EINVAL, "sign: protected and payload must be base64url, the "
				       "protected header a JSON object");
	else if (!url || strncmp(url, "https://", 8) != 0)
		r = signer_refuse(k, -EINVAL, "sign: the protected header names no https URL");
	else if (streq(which, "eab"))
		r = sign_eab(k, hdr, hdr64, payload64, &sig);
	else if (!s || !*s)
		r = signer_refuse(k, -EINVAL, "sign: key '%s' is not open", str_or_empty(which));
	else if (!streq(jobj_str(hdr, "alg"), signer_alg(*s)))
		r = signer_refuse(k, -EINVAL, "sign: alg must be %s", signer_alg(*s));
	else if (!jobj_str(hdr, "kid") &&
		 (!json_object_object_get_ex(hdr, "jwk", &jwk) ||
		  !same_jwk(jwk, signer_jwk_borrow(*s))))
		r = signer_refuse(k, -EINVAL, "sign: the header has neither a kid nor this key's jwk");
	else if ((r = check_intent(k, which, hdr, payload)) == 0)
		r = jws_sign_input(*s, hdr64, payload64, &sig);
	if (r == 0)
		json_object_object_add(out, "signature", json_object_new_string(sig));
	free(sig);
	json_object_put(hdr);
	json_object_put(payload);
	return r;
}

/* NAMES (a CSR's) are the job's, in order; or, with allow_subset, some of
 * them in the job's order, which from now on are the names published. */
static bool csr_names_ok(struct keyproc *k, struct json_object *names)
{
	const struct signer_conf *c = k->c;
	size_t n = json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
	size_t at = 0;

	if (n == 0 || n > c->ndomains || (n < c->ndomains && !c->allow_subset))
		return false;
	for (size_t i = 0; i < n; i++, at++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));

		while (at < c->ndomains && !streq(name, c->domains[at]))
			at++;
		if (at == c->ndomains)
			return false;
	}
	strv_free(k->subset, k->nsubset);
	k->subset = NULL;
	k->nsubset = 0;
	if (n == c->ndomains)
		return true;
	k->subset = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; k->subset && i < n; i++, k->nsubset++)
		k->subset[i] = xstrdup(json_object_get_string(json_object_array_get_idx(names, i)));
	return k->subset && (n == 0 || k->subset[n - 1]);
}

static int op_csr(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const struct signer_conf *c = k->c;
	struct json_object *names;
	unsigned char *der = NULL;
	size_t len = 0;
	char *b64;
	int r;

	if (!c->name)
		return signer_refuse(k, -EPERM, "this job makes no CSR");
	if (!json_object_object_get_ex(req, "names", &names) || !csr_names_ok(k, names))
		return signer_refuse(k, -EPERM, "csr: the names must be the job's");
	if (!k->cert_key && c->reuse_key) {
		struct version_pems v = { 0 };

		r = store_read_version(k->store, c->name, 0, &v);
		if (r == 0)
			r = crypto_key_from_pem(v.privkey, strlen(v.privkey), &k->cert_key);
		version_pems_clear(&v);
		/* A new lineage has no key to reuse: it gets its first. */
		if (r < 0 && r != -ENOENT)
			return signer_refuse(k, r, "--reuse-key: the current key cannot be read");
		/* Key settings changed since (reconfigure): one new key of the new
		 * kind, reused from then on. */
		if (k->cert_key && !crypto_key_matches(k->cert_key, &c->key)) {
			EVP_PKEY_free(k->cert_key);
			k->cert_key = NULL;
		}
	}
	if (!k->cert_key && !(k->cert_key = crypto_key_generate(&c->key)))
		return signer_refuse(k, ACMED_ECRYPTO, "key generation failed");
	r = crypto_csr_make(k->cert_key, k->subset ? k->subset : c->domains,
			    k->subset ? k->nsubset : c->ndomains, &der, &len);
	if (r < 0)
		return signer_refuse(k, r, "could not make the CSR");
	b64 = b64url_encode(der, len);
	if (b64)
		json_object_object_add(out, "csr", json_object_new_string(b64));
	free(k->csr);
	k->csr = b64;
	free(der);
	return b64 ? 0 : -ENOMEM;
}

/* Cluster mode: the version etcd has just made current must be the one
 * this publish makes here ("version", when the request names it). */
static int expected_version(struct keyproc *k, struct json_object *req)
{
	int want = (int)jobj_int(req, "version", 0), live = 0;

	if (want > 0 && (store_live_version(k->store, k->c->name, &live) < 0 ? 0 : live) + 1 != want)
		return signer_refuse(k, ACMED_EMISMATCH, "publish: version %d is published in the "
					"cluster, but this host has version %d of %s", want, live,
				     k->c->name);
	return 0;
}

static int op_publish(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const char *cert = jobj_str(req, "cert"), *chain = jobj_str(req, "chain");
	struct version_pems v = { 0 };
	int version = 0, r;

	if (!k->c->publish || !k->c->name)
		return signer_refuse(k, -EPERM, "this job publishes nothing");
	if (k->published)
		return signer_refuse(k, -EPERM, "publish: this job has published already");
	if (!k->cert_key)
		return signer_refuse(k, -EINVAL, "publish: no CSR was made");
	if (!cert || !chain)
		return signer_refuse(k, -EINVAL, "publish: cert and chain are needed");
	if ((r = expected_version(k, req)) < 0)
		return r;
	v.cert = strdup(cert);
	v.chain = strdup(chain);
	if (!v.cert || !v.chain || asprintf(&v.fullchain, "%s%s", cert, chain) < 0) {
		v.fullchain = NULL;
		r = -ENOMEM;
	} else {
		r = crypto_key_to_pem(k->cert_key, &v.privkey, NULL);
	}
	/* The worker checked it; the signer does not take its word for it. */
	if (r == 0) {
		char why[600];

		r = certcheck_run(&(struct certcheck){ .cert = cert, .chain = chain,
							.key = v.privkey,
							.names = k->subset ? k->subset : k->c->domains,
							.nnames = k->subset ? k->nsubset : k->c->ndomains,
							.now = time(NULL),
							.roots = k->c->issuer_pem },
				  why, sizeof(why));
		if (r < 0)
			signer_refuse(k, r, "publish: %s", why);
	}
	if (r == 0)
		r = store_publish(k->store, k->c->name, &v, &version, k->err, sizeof(k->err));
	version_pems_clear(&v);
	if (r < 0)
		return r;
	k->published = true;
	/* The order is finished: nothing to resume any more. */
	if (store_pending_clear(k->store, k->c->name) < 0)
		log_warning("%s: archive/%s/.pending could not be removed; the next renewal "
			    "finds its order finished and removes it",
			    k->c->name, k->c->name);
	if (k->c->req) {
		struct issue_req saved = *k->c->req; /* with the names published */

		if (k->subset) {
			saved.domains = k->subset;
			saved.ndomains = k->nsubset;
		}
		r = k->account_id ? issue_req_save_renewal(k->store, &saved, k->account_id) : -EINVAL;
		if (r < 0)
			return signer_refuse(k, r, "version %d is saved, but not renewal/%s.conf: %s",
				      version, k->c->name, acmed_strerror(r));
	}
	json_object_object_add(out, "version", json_object_new_int(version));
	return 0;
}

static int op_failed(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const struct issue_req *ir = k->c->req;
	const char *error = jobj_str(req, "error");
	time_t retry_after = (time_t)jobj_int(req, "retry_after", 0);
	struct renewal_state st;
	int r;

	if (!ir || !ir->renewal || ir->dry_run)
		return signer_refuse(k, -EPERM, "this job records no failure");
	if (!error || strlen(error) > 2048 || retry_after < 0)
		return signer_refuse(k, -EINVAL, "failed: an error of at most 2048 bytes is needed");
	r = store_renewal_record_failure(k->store, ir->name, time(NULL), error, retry_after, &st,
					 k->err, sizeof(k->err));
	if (r < 0)
		return r;
	json_object_object_add(out, "failures", json_object_new_int(st.failures));
	json_object_object_add(out, "next_attempt", json_object_new_int64(st.next_attempt));
	renewal_state_clear(&st);
	return 0;
}

static int op_account(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const char *action = jobj_str(req, "action"), *id = jobj_str(req, "id");
	const char *url = jobj_str(req, "url"), *email = jobj_str(req, "email");
	const char *server = k->c->server;
	int r;

	(void)out;
	/* Only the account this job opened, and deactivation only by an
	 * account job (a renewal never retires its account). */
	if (!id || !k->account_id || !streq(id, k->account_id))
		return signer_refuse(k, -EPERM, "account: this job has not opened account %s",
			      str_or_empty(id));
	if (streq(action, "retire") && !streq(k->c->account_op, "deactivate"))
		return signer_refuse(k, -EPERM, "account: only 'acmectl account deactivate' retires an "
					 "account");
	if ((streq(action, "commit") || streq(action, "abort")) && !k->next)
		return signer_refuse(k, -EPERM, "account: this job has no next key to %s", action);
	if (streq(action, "save")) {
		struct stored_account st = { .id = (char *)id, .url = (char *)url,
					     .email = (char *)email };

		if (!url || strncmp(url, "https://", 8) != 0 || strpbrk(url, " \n\r\t\"") ||
		    strlen(url) > 1024)
			return signer_refuse(k, -EINVAL, "account: the URL must be an https URL");
		if (email && !ident_emails_ok(email))
			return signer_refuse(k, -EINVAL, "account: '%s' is not an email address", email);
		/* The URL is learnt once: from account.json, or from the CA when
		 * this job registered the account or found it by its key. */
		if (k->account_url && !streq(url, k->account_url))
			return signer_refuse(k, -EPERM, "account: the account's URL is %s already",
				      k->account_url);
		r = store_account_save_info(k->store, server, &st);
		if (r == 0 && !streq(k->account_url, url)) {
			free(k->account_url);
			k->account_url = xstrdup(url);
		}
	} else if (streq(action, "commit")) {
		r = store_account_rollover_commit(k->store, server, id);
	} else if (streq(action, "abort")) {
		r = store_account_rollover_abort(k->store, server, id);
	} else if (streq(action, "retire")) {
		r = store_account_retire(k->store, server, id);
	} else {
		return signer_refuse(k, -EINVAL, "account: no action '%s'", str_or_empty(action));
	}
	if (r < 0)
		signer_refuse(k, r, "account %s: %s: %s", id, action, acmed_strerror(r));
	return r;
}

/* The helper transport's view of each request (helper.h): K's own error
 * becomes the answer's. */
#define SIGNER_OP(name, fn)                                                                   \
	static int helper_##name(void *state, struct json_object *req, struct json_object *out, \
				 char *err, size_t errlen)                                  \
	{                                                                                  \
		struct keyproc *k = state;                                                 \
		int r;                                                                     \
                                                                                           \
		k->err[0] = '\0';                                                          \
		r = fn(k, req, out);                                                \
		if (r < 0)                                                                 \
			snprintf(err, errlen, "%s", k->err);                               \
		return r;                                                                  \
	}
SIGNER_OP(describe, op_describe)
SIGNER_OP(sign, op_sign)
SIGNER_OP(csr, op_csr)
SIGNER_OP(publish, op_publish)
SIGNER_OP(failed, op_failed)
SIGNER_OP(account, op_account)
SIGNER_OP(pending, signer_op_pending)
SIGNER_OP(resume, signer_op_resume)
SIGNER_OP(seal, signer_op_seal)
SIGNER_OP(adopt, signer_op_adopt)
SIGNER_OP(live, signer_op_live)
#undef SIGNER_OP

static const struct helper_op ops[] = {
	{ "describe", helper_describe }, { "sign", helper_sign },
	{ "csr", helper_csr },           { "publish", helper_publish },
	{ "failed", helper_failed },     { "account", helper_account },
	{ "pending", helper_pending },   { "resume", helper_resume },
	{ "seal", helper_seal },         { "adopt", helper_adopt },
	{ "live", helper_live },
};

/* The whole request loop of a signer on FD (what signer_start runs, after
 * confining itself). Returns when FD is closed: 0, or -errno for a
 * malformed frame. */
static int signer_serve(const struct signer_conf *c, int fd)
{
	struct keyproc k = { .c = c };
	int r = store_open(c->state_dir, true, &k.store);

	/* With --csr, the CSR to finalize with is the administrator's. */
	if (r == 0 && c->csr_der && !(k.csr = b64url_encode(c->csr_der, c->csr_len)))
		r = -ENOMEM;
	if (r < 0)
		log_error("signer: state directory %s: %s", c->state_dir, acmed_strerror(r));
	else
		r = helper_serve(fd, ops, ELEMENTSOF(ops), &k, SIGNER_MAX_REQUEST, "signer");
	signer_free(k.account);
	signer_free(k.next);
	signer_free(k.certificate);
	EVP_PKEY_free(k.cert_key);
	free(k.account_id);
	free(k.account_url);
	free(k.csr);
	strv_free(k.subset, k.nsubset);
	store_close(k.store);
	return r;
}

/* The signer process (helper_start() made it, fd 3 its socket). */
static int signer_main(void *arg, int fd)
{
	const struct signer_conf *c = arg;
	struct sandbox_rule rules[32];
	size_t n = 0;
	char err[256] = "";
	int r;

	/* No core dump with keys in it, and no ptrace or /proc/PID/mem but by
	 * a process with CAP_SYS_PTRACE (Landlock also keeps the confined
	 * worker from tracing it: their domains are siblings). */
	prctl(PR_SET_DUMPABLE, 0);
	for (size_t i = 0; i < sandbox_nsystem; i++)
		rules[n++] = sandbox_system[i];
	rules[n++] = (struct sandbox_rule){ c->state_dir, SANDBOX_READ_WRITE };
	r = sandbox_apply(rules, n, true, err, sizeof(err));
	if (r < 0 && r != -EOPNOTSUPP) {
		log_error("signer: cannot confine itself: %s", err);
		return r;
	}
	return signer_serve(c, fd);
}

int signer_start(const struct signer_conf *c, struct helper *l)
{
	*l = HELPER_INIT("the signer");
	return helper_start(l, "acmed-signer", signer_main, (void *)c);
}
