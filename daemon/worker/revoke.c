#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctlproto.h"
#include "daemon/worker/progress.h"
#include "daemon/worker/account.h"
#include "acme/acme.h"
#include "crypto.h"
#include "error.h"
#include "jsonutil.h"
#include "jws.h"
#include "log.h"
#include "daemon/worker/revoke.h"
#include "store/store.h"
#include "util.h"

struct revocation {
	struct store *store;
	struct acme_client *acme;
	struct helper keys;
	struct account account;
	struct signer *cert_key; /* with --key-path */
	char *cert;              /* PEM */
	unsigned char *der;
	size_t derlen;
	bool by_key;             /* sign with the certificate's key */
	const char *step;
	char err[1024];
};

static int failed(struct revocation *rv, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failed(struct revocation *rv, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rv->err, sizeof(rv->err), fmt, ap);
	va_end(ap);
	return r;
}

/* Sign with the certificate's own key (RFC 8555 section 7.6: for when the
 * account is lost), which the signer checks belongs to the certificate. */
static int use_cert_key(struct revocation *rv)
{
	rv->step = "reading the certificate's key";
	if (signer_open_key(&rv->keys, "certificate", NULL, false, rv->cert, &rv->cert_key,
			    NULL) < 0)
		return failed(rv, ACMED_EMISMATCH, "%s", rv->keys.err);
	acme_set_account(rv->acme, rv->cert_key, NULL);
	return 0;
}

/* The certificate to revoke: the lineage's current one, or the one given. */
static int read_cert(struct revocation *rv, struct json_object *args)
{
	const char *name = jobj_str(args, "name");
	int r;

	rv->step = "reading the certificate";
	if (name) {
		r = store_read_cert(rv->store, name, &rv->cert);
		if (r < 0)
			return failed(rv, r, "live/%s: %s", name, acmed_strerror(r));
	} else {
		rv->cert = xstrdup(jobj_str(args, "cert"));
	}
	if (!rv->cert || crypto_cert_der(rv->cert, strlen(rv->cert), &rv->der, &rv->derlen) < 0)
		return failed(rv, -EINVAL, "not a PEM certificate");
	return 0;
}

static int revoke(struct revocation *rv, struct json_object *args, int ev_fd, bool *already)
{
	int r;

	if (rv->by_key) {
		r = use_cert_key(rv);
	} else {
		r = account_open(rv->store, &rv->keys, rv->acme, jobj_str(args, "server"),
				 jobj_str(args, "account"), NULL, ev_fd, &rv->account, rv->err,
				 sizeof(rv->err));
		rv->step = rv->account.step;
		if (r == ACMED_ENOACCOUNT)
			failed(rv, r, "acmed has no account with this CA to revoke with: sign with "
				      "the certificate's key (--key-path), or register one first "
				      "('acmectl account register')");
	}
	if (r == 0) {
		rv->step = "revoking the certificate";
		r = acme_revoke(rv->acme, rv->der, rv->derlen,
				(enum acme_revoke_reason)jobj_int(args, "reason", 0), rv->by_key);
		*already = r == -EALREADY;
		if (*already)
			r = 0;
		else if (r < 0)
			failed(rv, r, "%s", rv->acme->err);
	}
	return r;
}

static struct json_object *result(struct revocation *rv, struct json_object *args, bool already)
{
	struct json_object *d = json_object_new_object();
	const char *name = jobj_str(args, "name");
	struct cert_info info;
	time_t now = time(NULL);

	if (name)
		json_object_object_add(d, "name", json_object_new_string(name));
	if (crypto_cert_info(rv->cert, strlen(rv->cert), &info) == 0) {
		json_object_object_add(d, "serial", json_object_new_string(info.serial));
		json_object_object_add(d, "not_after", jobj_new_time(info.not_after));
		cert_info_clear(&info);
	}
	json_object_object_add(d, "reason", json_object_new_string(
						    str_or_empty(jobj_str(args, "reason_name"))));
	json_object_object_add(d, "revoked_at", jobj_new_time(now));
	json_object_object_add(d, "already_revoked", json_object_new_boolean(already));
	return d;
}

struct json_object *revoke_task(struct json_object *args, const struct acmed_config *cfg,
				int ev_fd)
{
	struct json_object *reply = json_object_new_object();
	struct revocation rv = { .step = "opening the state", .keys.fd = -1 };
	struct signer_conf sc = {
		.state_dir = cfg->state_dir,
		.server = jobj_str(args, "server"),
		.cert_key_pem = jobj_str(args, "key"),
		.revoke = true,
	};
	bool already = false;
	char err[512] = "";
	int r = store_open(cfg->state_dir, false, &rv.store);

	/* What the worker reads of the state, it reads before it is confined. */
	rv.by_key = sc.cert_key_pem != NULL;
	if (r == 0)
		r = read_cert(&rv, args);
	if (r == 0) {
		rv.step = "starting the signer";
		r = signer_separate(&sc, cfg->ca_bundle, NULL, 0, &rv.keys, err, sizeof(err));
		if (r < 0)
			failed(&rv, r, "%s", err);
	}
	/* The certificate key given with --key-path is the signer's now: the
	 * worker keeps no copy of it while it talks to the CA. */
	if (sc.cert_key_pem)
		OPENSSL_cleanse((char *)sc.cert_key_pem, strlen(sc.cert_key_pem));
	if (r == 0) {
		rv.step = "loading the CA's directory";
		r = acme_client_new(sc.server, cfg->ca_bundle, cfg->acme_timeout, &rv.acme);
	}
	if (r == 0 && (r = acme_directory_load(rv.acme)) < 0)
		failed(&rv, r, "%s", rv.acme->err);
	if (r == 0)
		r = revoke(&rv, args, ev_fd, &already);
	json_object_object_add(reply, "status", json_object_new_int(r < 0 ? r : 0));
	if (r < 0) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "%s failed: %s", rv.step,
			 rv.err[0] ? rv.err : acmed_strerror(r));
		log_error("%s", msg);
		ctl_reply_set_error(reply, r, NULL, msg);
	} else {
		progress(ev_fd, already ? "The CA had revoked the certificate already"
					      : "The certificate is revoked");
		json_object_object_add(reply, "data", result(&rv, args, already));
	}
	account_clear(&rv.account);
	signer_free(rv.cert_key);
	acme_client_free(rv.acme);
	signer_stop(&rv.keys);
	store_close(rv.store);
	free(rv.cert);
	free(rv.der);
	return reply;
}
