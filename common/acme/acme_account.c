/* ACME accounts (acme.h): new, look-up, update, deactivation, key change
 * (RFC 8555 sections 7.3). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/acme_priv.h"
#include "crypto.h"
#include "error.h"
#include "ident.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "text.h"
#include "util.h"

static int add_eab(struct acme_client *c, struct json_object *req)
{
	char *eab = NULL;
	struct json_object *o;
	int r = jws_eab(c->key, c->eab_kid, c->eab_key, c->eab_keylen, c->dir.new_account, &eab);

	if (r < 0)
		return r;
	o = json_tokener_parse(eab);
	free(eab);
	if (!o)
		return -ENOMEM;
	json_object_object_add(req, "externalAccountBinding", o);
	return 0;
}

/* The account object the CA answered for URL: usable only if "valid". */
static int account_from_json(struct acme_client *c, struct json_object *acct, const char *url)
{
	static const char *const statuses[] = { "valid", "deactivated", "revoked", NULL };
	const char *status = jobj_str(acct, "status");

	if (!status || !acme_status_known(status, statuses)) {
		acme_set_err(c, "account %s has no status RFC 8555 knows (\"%.40s\")", url,
			str_or_empty(status));
		return ACMED_EPROTO;
	}
	if (!streq(status, "valid")) {
		acme_set_err(c, "account %s is %s", url, status);
		return ACMED_ENOACCOUNT;
	}
	return 0;
}

/* "mailto:" contacts for EMAILS, one or more addresses separated by commas
 * (certbot's -m a@x,b@y); none for NULL. NULL if out of memory. */
static struct json_object *contacts(const char *emails)
{
	struct json_object *contact = json_object_new_array();
	char *mailto;

	for (const char *p = emails, *end; contact && p; p = *end ? end + 1 : NULL) {
		end = p + strcspn(p, ",");
		if (asprintf(&mailto, "mailto:%.*s", (int)(end - p), p) < 0) {
			json_object_put(contact);
			return NULL;
		}
		json_object_array_add(contact, json_object_new_string(mailto));
		free(mailto);
	}
	return contact;
}

int acme_account_new(struct acme_client *c, const char *email, bool tos_agreed,
		     bool only_existing)
{
	struct json_object *req = json_object_new_object(), *acct = NULL;
	struct http_response resp = { 0 };
	int r;

	if (!req)
		return -ENOMEM;
	if (only_existing) {
		json_object_object_add(req, "onlyReturnExisting", json_object_new_boolean(1));
	} else {
		if (tos_agreed)
			json_object_object_add(req, "termsOfServiceAgreed",
					       json_object_new_boolean(1));
		if (email) {
			struct json_object *contact = contacts(email);

			if (!contact) {
				r = -ENOMEM;
				goto out;
			}
			json_object_object_add(req, "contact", contact);
		}
		if (c->eab_kid && (r = add_eab(c, req)) < 0)
			goto out;
	}
	r = acme_post_json(c, c->dir.new_account, json_object_to_json_string(req), true, &resp,
			   &acct);
	if (r < 0) {
		if (only_existing && r == ACMED_EPROBLEM &&
		    streq(c->problem.type, PROBLEM_PREFIX "accountDoesNotExist"))
			r = -ENOENT;
		goto out;
	}
	if (!resp.location || strncasecmp(resp.location, "https://", 8) != 0) {
		acme_set_err(c, "newAccount answered without an https account URL in Location");
		r = ACMED_EPROTO;
		goto out;
	}
	r = account_from_json(c, acct, resp.location);
	if (r < 0)
		goto out;
	c->account_created = resp.status == 201;
	r = acme_dupstr(&c->kid, resp.location);
out:
	json_object_put(req);
	json_object_put(acct);
	http_response_clear(&resp);
	return r;
}

int acme_account_get(struct acme_client *c, struct json_object **out)
{
	struct http_response resp = { 0 };
	int r = acme_post_json(c, c->kid, NULL, false, &resp, out);

	http_response_clear(&resp);
	return r;
}

int acme_account_update(struct acme_client *c, const char *email, bool deactivate,
			struct json_object **out)
{
	struct json_object *req = json_object_new_object(), *acct = NULL;
	struct http_response resp = { 0 };
	int r = -ENOMEM;

	if (!req)
		return -ENOMEM;
	if (deactivate) {
		json_object_object_add(req, "status", json_object_new_string("deactivated"));
	} else {
		struct json_object *contact = email ? contacts(email) : json_object_new_array();

		if (!contact)
			goto out;
		json_object_object_add(req, "contact", contact);
	}
	r = acme_post_json(c, c->kid, json_object_to_json_string(req), false, &resp, &acct);
	if (r == 0 && out) {
		*out = acct;
		acct = NULL;
	}
out:
	json_object_put(req);
	json_object_put(acct);
	http_response_clear(&resp);
	return r;
}

int acme_key_change(struct acme_client *c, const struct signer *new_key)
{
	struct json_object *inner_payload = json_object_new_object();
	struct http_response resp = { 0 };
	char *inner = NULL;
	int r = -ENOMEM;

	if (!c->dir.key_change) {
		acme_set_err(c, "this CA does not support changing an account's key: its directory "
			   "has no keyChange; to use a new key, register a new account");
		r = -EOPNOTSUPP;
		goto out;
	}
	if (!inner_payload)
		goto out;
	/* The inner JWS, signed by the new key with it as JWK and no nonce,
	 * names the account and its old key. */
	json_object_object_add(inner_payload, "account", json_object_new_string(c->kid));
	json_object_object_add(inner_payload, "oldKey", signer_jwk(c->key));
	r = jws_sign(new_key, c->dir.key_change, NULL, NULL,
		     json_object_to_json_string(inner_payload), &inner);
	if (r < 0) {
		acme_set_err(c, "signing the key change failed");
		goto out;
	}
	/* Some CAs answer with the account, some with nothing; some list
	 * keyChange and do not implement it. */
	c->last_status = 0;
	r = acme_post(c, c->dir.key_change, inner, false, &resp);
	if (r == 0)
		c->key = new_key;
	else if (c->last_status == 501 || c->last_status == 404 || c->last_status == 405) {
		char was[sizeof(c->err)];

		snprintf(was, sizeof(was), "%s", c->err);
		acme_set_err(c, "this CA does not support changing an account's key: keyChange "
			   "answered HTTP %ld (%.600s); to use a new key, register a new account",
			c->last_status, was);
		r = -EOPNOTSUPP;
	}
out:
	json_object_put(inner_payload);
	http_response_clear(&resp);
	free(inner);
	return r;
}
