#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "acme.h"
#include "crypto.h"
#include "error.h"
#include "issue.h"
#include "jsonutil.h"
#include "jws.h"
#include "log.h"
#include "revoke.h"
#include "store.h"
#include "util.h"

static const struct {
	const char *name;
	enum acme_revoke_reason code;
} reasons[] = {
	{ "unspecified", REVOKE_UNSPECIFIED },
	{ "keycompromise", REVOKE_KEY_COMPROMISE },
	{ "affiliationchanged", REVOKE_AFFILIATION_CHANGED },
	{ "superseded", REVOKE_SUPERSEDED },
	{ "cessationofoperation", REVOKE_CESSATION_OF_OPERATION },
};

int revoke_reason_parse(const char *name, int *code)
{
	for (size_t i = 0; i < ELEMENTSOF(reasons); i++) {
		if (name && strcasecmp(name, reasons[i].name) == 0) {
			*code = (int)reasons[i].code;
			return 0;
		}
	}
	return -EINVAL;
}

struct revocation {
	struct store *store;
	struct acme_client *acme;
	struct account account;
	struct signer *cert_key; /* with --key-path */
	char *cert;              /* PEM */
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
 * account is lost), which must belong to the certificate. */
static int use_cert_key(struct revocation *rv, const char *key_pem)
{
	EVP_PKEY *key = NULL;
	int r;

	rv->step = "reading the certificate's key";
	r = crypto_key_matches_cert(key_pem, strlen(key_pem), rv->cert, strlen(rv->cert));
	if (r == ACMED_EMISMATCH)
		return failed(rv, r, "the key given with --key-path does not belong to the "
				     "certificate");
	if (r == 0)
		r = crypto_key_from_pem(key_pem, strlen(key_pem), &key);
	if (r == 0 && (r = signer_new(key, &rv->cert_key)) < 0)
		EVP_PKEY_free(key);
	if (r < 0)
		return failed(rv, r, "--key-path: not a private key acmed can sign with");
	acme_set_account(rv->acme, rv->cert_key, NULL);
	return 0;
}

static int revoke(struct revocation *rv, struct json_object *args, int ev_fd, bool *already)
{
	const char *name = jobj_str(args, "name");
	unsigned char *der = NULL;
	size_t derlen = 0;
	int r;

	rv->step = "reading the certificate";
	if (name) {
		struct version_pems v = { 0 };

		r = store_read_version(rv->store, name, 0, &v);
		if (r < 0)
			return failed(rv, r, "live/%s: %s", name, acmed_strerror(r));
		rv->cert = v.cert;
		v.cert = NULL;
		version_pems_clear(&v);
	} else {
		rv->cert = xstrdup(jobj_str(args, "cert"));
	}
	if (!rv->cert || crypto_cert_der(rv->cert, strlen(rv->cert), &der, &derlen) < 0)
		return failed(rv, -EINVAL, "not a PEM certificate");
	if (jobj_str(args, "key")) {
		r = use_cert_key(rv, jobj_str(args, "key"));
	} else {
		r = account_open(rv->store, rv->acme, jobj_str(args, "server"),
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
		r = acme_revoke(rv->acme, der, derlen, (enum acme_revoke_reason)jobj_int(args,
												"reason", 0),
				jobj_str(args, "key") != NULL);
		*already = r == -EALREADY;
		if (*already)
			r = 0;
		else if (r < 0)
			failed(rv, r, "%s", rv->acme->err);
	}
	free(der);
	return r;
}

static struct json_object *result(struct revocation *rv, struct json_object *args, bool already)
{
	struct json_object *d = json_object_new_object();
	const char *name = jobj_str(args, "name");
	struct cert_info info;
	time_t now = time(NULL);
	char err[512];

	if (name)
		json_object_object_add(d, "name", json_object_new_string(name));
	if (crypto_cert_info(rv->cert, strlen(rv->cert), &info) == 0) {
		json_object_object_add(d, "serial", json_object_new_string(info.serial));
		json_object_object_add(d, "not_after", jobj_new_time(info.not_after));
		if (name && store_renewal_mark_revoked(rv->store, name, info.serial,
						       jobj_str(args, "reason_name"), now, err,
						       sizeof(err)) < 0)
			log_error("the certificate is revoked, but marking %s so failed: %s", name,
				  err);
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
	struct revocation rv = { .step = "loading the CA's directory" };
	bool already = false;
	int r = store_open(cfg->state_dir, true, &rv.store);

	if (r == 0)
		r = acme_client_new(jobj_str(args, "server"), cfg->ca_bundle, &rv.acme);
	if (r == 0 && (r = acme_directory_load(rv.acme)) < 0)
		failed(&rv, r, "%s", rv.acme->err);
	if (r == 0)
		r = revoke(&rv, args, ev_fd, &already);
	json_object_object_add(reply, "status", json_object_new_int(r < 0 ? r : 0));
	if (r < 0) {
		struct json_object *e = json_object_new_object();
		char msg[1200];

		snprintf(msg, sizeof(msg), "%s failed: %s", rv.step,
			 rv.err[0] ? rv.err : acmed_strerror(r));
		log_error("%s", msg);
		json_object_object_add(e, "code", json_object_new_string(acmed_errname(r)));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_object_add(reply, "error", e);
	} else {
		issue_progress(ev_fd, already ? "The CA had revoked the certificate already"
					      : "The certificate is revoked");
		json_object_object_add(reply, "data", result(&rv, args, already));
	}
	account_clear(&rv.account);
	signer_free(rv.cert_key);
	acme_client_free(rv.acme);
	store_close(rv.store);
	free(rv.cert);
	return reply;
}
