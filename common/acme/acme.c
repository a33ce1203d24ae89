#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme/acme.h"
#include "crypto.h"
#include "error.h"
#include "ident.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "text.h"
#include "util.h"

#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"

static void set_err(struct acme_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct acme_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* A URL member: must be https, as every ACME resource is. */
static const char *jurl(struct json_object *obj, const char *key)
{
	const char *s = jobj_str(obj, key);

	return s && strncasecmp(s, "https://", 8) == 0 ? s : NULL;
}

static int dupstr(char **dst, const char *src)
{
	free(*dst);
	*dst = xstrdup(src);
	return src && !*dst ? -ENOMEM : 0;
}

/* STATUS is one of the NULL-terminated LIST (RFC 8555 section 7.1.6). */
static bool status_known(const char *status, const char *const *list)
{
	for (; *list; list++)
		if (streq(status, *list))
			return true;
	return false;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int acme_client_new(const char *directory_url, const char *ca_bundle, struct acme_client **out)
{
	struct acme_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->retry_after = -1;
	c->poll_first_ms = 50;
	c->poll_max_ms = 5000;
	c->poll_timeout_s = 300;
	/* Asked again after 1, 2, 4, 8 and 8 s, and given 8 s more: a record
	 * or file that appears within half a minute still passes. */
	c->challenge_reposts = 5;
	c->repost_first_ms = 1000;
	/* A badNonce answer carries a fresh nonce (RFC 8555 section 6.5), so a
	 * retry costs one request and nothing happened at the CA. Pebble can
	 * be told to reject 90% of good nonces: at that rate 100 tries leave
	 * a request failing once in 40,000, an issuance of ten requests once in
	 * 4,000. A CA that rejects every nonce still ends the job. */
	c->bad_nonce_retries = 100;
	c->directory_url = strdup(directory_url);
	r = c->directory_url ? http_client_new(ca_bundle, &c->http) : -ENOMEM;
	if (r < 0) {
		acme_client_free(c);
		return r;
	}
	*out = c;
	return 0;
}

static void directory_clear(struct acme_directory *d)
{
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->terms_of_service);
	strv_free(d->profiles, d->nprofiles);
	memset(d, 0, sizeof(*d));
}

void acme_client_free(struct acme_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	directory_clear(&c->dir);
	acme_problem_clear(&c->problem);
	free(c->directory_url);
	free(c->nonce);
	free(c->kid);
	free(c->eab_kid);
	if (c->eab_key)
		OPENSSL_cleanse(c->eab_key, c->eab_keylen);
	free(c->eab_key);
	free(c);
}

void acme_problem_clear(struct acme_problem *p)
{
	free(p->type);
	free(p->detail);
	for (size_t i = 0; i < p->nsub; i++) {
		free(p->sub[i].type);
		free(p->sub[i].detail);
		free(p->sub[i].identifier);
	}
	memset(p, 0, sizeof(*p));
}

static void problem_from_json(struct json_object *o, struct acme_problem *p)
{
	struct json_object *subs, *status;

	p->type = xstrdup(jobj_str(o, "type"));
	p->detail = xstrdup(jobj_str(o, "detail"));
	if (json_object_object_get_ex(o, "status", &status))
		p->status = json_object_get_int(status);
	if (!json_object_object_get_ex(o, "subproblems", &subs) ||
	    !json_object_is_type(subs, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(subs) && p->nsub < ACME_MAX_SUBPROBLEMS;
	     i++) {
		struct json_object *s = json_object_array_get_idx(subs, i), *id;
		struct acme_subproblem *sp = &p->sub[p->nsub++];

		sp->type = xstrdup(jobj_str(s, "type"));
		sp->detail = xstrdup(jobj_str(s, "detail"));
		if (json_object_object_get_ex(s, "identifier", &id))
			sp->identifier = xstrdup(jobj_str(id, "value"));
	}
}

int acme_problem_parse(const char *json, struct acme_problem *p)
{
	struct json_object *o = json_tokener_parse(json);

	acme_problem_clear(p);
	if (!o || !json_object_is_type(o, json_type_object) || !jobj_str(o, "type")) {
		json_object_put(o);
		return -EINVAL;
	}
	problem_from_json(o, p);
	json_object_put(o);
	return 0;
}

/* Append S to BUF; acme_problem_format() cleans the whole at the end. */
static size_t append_clean(char *buf, size_t len, size_t pos, const char *s)
{
	for (; s && *s && pos + 1 < len; s++)
		buf[pos++] = *s;
	if (pos < len)
		buf[pos] = '\0';
	return pos;
}

void acme_problem_format(const struct acme_problem *p, char *buf, size_t len)
{
	size_t pos = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	pos = append_clean(buf, len, pos, p->type ? p->type : "(no type)");
	if (p->detail) {
		pos = append_clean(buf, len, pos, ": ");
		pos = append_clean(buf, len, pos, p->detail);
	}
	for (size_t i = 0; i < p->nsub; i++) {
		pos = append_clean(buf, len, pos, i == 0 ? "; subproblems: " : "; ");
		if (p->sub[i].identifier) {
			pos = append_clean(buf, len, pos, p->sub[i].identifier);
			pos = append_clean(buf, len, pos, ": ");
		}
		pos = append_clean(buf, len, pos, p->sub[i].type);
		if (p->sub[i].detail) {
			pos = append_clean(buf, len, pos, ": ");
			pos = append_clean(buf, len, pos, p->sub[i].detail);
		}
	}
	/* CA text must not forge log lines or terminal escapes. */
	text_clean(buf);
}

/* Keep a Replay-Nonce if it is well-formed (RFC 8555 section 6.5.1). */
static void take_nonce(struct acme_client *c, struct http_response *resp)
{
	if (b64url_valid(resp->replay_nonce)) {
		free(c->nonce);
		c->nonce = resp->replay_nonce;
		resp->replay_nonce = NULL;
	}
}

/* Keep the response's Retry-After (seconds from now) for the caller: a
 * 429 or 503 says when the CA wants to hear from us again. */
static void note_retry_after(struct acme_client *c, const struct http_response *resp)
{
	c->retry_after = http_retry_after_seconds(resp->retry_after, (long)time(NULL));
}

static int fetch_nonce(struct acme_client *c)
{
	struct http_response resp;
	int r;

	c->retry_after = -1; /* this response's, or none */

	r = http_request(c->http, "HEAD", c->dir.new_nonce, NULL, NULL, &resp, c->err,
			 sizeof(c->err));
	if (r < 0)
		return r;
	note_retry_after(c, &resp);
	take_nonce(c, &resp);
	if (!c->nonce) {
		set_err(c, "HEAD %s: HTTP %ld without a usable Replay-Nonce", c->dir.new_nonce,
			resp.status);
		r = ACMED_EPROTO;
	}
	http_response_clear(&resp);
	return r;
}

static bool is_problem(const struct http_response *resp)
{
	return resp->content_type &&
	       strncasecmp(resp->content_type, "application/problem+json", 24) == 0;
}

/* Turn an error response into c->problem / c->err and an error code. */
static int response_error(struct acme_client *c, const char *url, struct http_response *resp)
{
	char text[768];

	if (is_problem(resp) && acme_problem_parse(resp->body, &c->problem) == 0) {
		acme_problem_format(&c->problem, text, sizeof(text));
		set_err(c, "%s", text);
		if (streq(c->problem.type, PROBLEM_PREFIX "rateLimited"))
			return ACMED_ERATELIMITED;
		return ACMED_EPROBLEM;
	}
	set_err(c, "HTTP %ld from %s", resp->status, url);
	return resp->status >= 500 ? ACMED_EHTTP : ACMED_EPROTO;
}

/* Signed POST to URL (PAYLOAD NULL: POST-as-GET), retrying badNonce. With
 * USE_JWK the public key goes in the header instead of the account URL. On
 * success RESP holds a 2xx response. */
static int acme_post(struct acme_client *c, const char *url, const char *payload, bool use_jwk,
		     struct http_response *resp)
{
	char *jws = NULL;
	int r;

	if (!c->key || (!use_jwk && !c->kid)) {
		set_err(c, "no account key or account URL to sign with");
		return ACMED_ENOACCOUNT;
	}
	for (unsigned attempt = 0;; attempt++) {
		if (!c->nonce && (r = fetch_nonce(c)) < 0)
			return r;
		r = jws_sign(c->key, url, c->nonce, use_jwk ? NULL : c->kid, payload, &jws);
		FREE_AND_NULL(c->nonce); /* a nonce is good for one request only */
		if (r < 0) {
			set_err(c, "signing a request to %s failed", url);
			return r;
		}
		c->retry_after = -1; /* this response's, or none */

		r = http_request(c->http, "POST", url, jws, "application/jose+json", resp, c->err,
				 sizeof(c->err));
		FREE_AND_NULL(jws);
		if (r < 0)
			return r;
		take_nonce(c, resp);
		note_retry_after(c, resp);
		c->last_status = resp->status;
		if (resp->status >= 200 && resp->status < 300)
			return 0;
		r = response_error(c, url, resp);
		if (r == ACMED_EPROBLEM && streq(c->problem.type, PROBLEM_PREFIX "badNonce") &&
		    attempt < c->bad_nonce_retries) {
			/* RFC 8555 section 6.5: retry with the nonce this error carried. */
			log_debug("badNonce from %s, retrying (%u)", url, attempt + 1);
			http_response_clear(resp);
			continue;
		}
		if (r == ACMED_EPROBLEM && streq(c->problem.type, PROBLEM_PREFIX "badNonce"))
			r = ACMED_EBADNONCE;
		http_response_clear(resp);
		return r;
	}
}

/* POST and parse a JSON object response; caller puts *out. */
static int acme_post_json(struct acme_client *c, const char *url, const char *payload,
			  bool use_jwk, struct http_response *resp, struct json_object **out)
{
	struct json_object *o;
	int r = acme_post(c, url, payload, use_jwk, resp);

	if (r < 0)
		return r;
	o = json_tokener_parse(resp->body);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		set_err(c, "%s answered HTTP %ld with a body that is not a JSON object", url,
			resp->status);
		http_response_clear(resp);
		return ACMED_EPROTO;
	}
	*out = o;
	return 0;
}

/* meta.profiles: an object whose member names are the profiles. */
static int directory_profiles(struct json_object *meta, struct acme_directory *d)
{
	struct json_object *profiles;

	if (!json_object_object_get_ex(meta, "profiles", &profiles) ||
	    !json_object_is_type(profiles, json_type_object))
		return 0;
	d->profiles = calloc((size_t)json_object_object_length(profiles) + 1, sizeof(char *));
	if (!d->profiles)
		return -ENOMEM;
	json_object_object_foreach(profiles, key, val) {
		(void)val;
		d->profiles[d->nprofiles] = strdup(key);
		if (!d->profiles[d->nprofiles++])
			return -ENOMEM;
	}
	return 0;
}

bool acme_profile_offered(const struct acme_client *c, const char *name)
{
	for (size_t i = 0; i < c->dir.nprofiles; i++)
		if (streq(c->dir.profiles[i], name))
			return true;
	return false;
}

/* The directory object O (NULL if the body was not JSON) into C->dir. */
static int directory_from_json(struct acme_client *c, struct json_object *o)
{
	struct acme_directory *d = &c->dir;
	struct json_object *meta, *ear;

	directory_clear(d);
	if (dupstr(&d->new_nonce, jurl(o, "newNonce")) < 0 ||
	    dupstr(&d->new_account, jurl(o, "newAccount")) < 0 ||
	    dupstr(&d->new_order, jurl(o, "newOrder")) < 0 ||
	    dupstr(&d->revoke_cert, jurl(o, "revokeCert")) < 0 ||
	    dupstr(&d->key_change, jurl(o, "keyChange")) < 0 ||
	    dupstr(&d->renewal_info, jurl(o, "renewalInfo")) < 0)
		return -ENOMEM;
	if (!d->new_nonce || !d->new_account || !d->new_order) {
		set_err(c, "%s is not an ACME directory (newNonce, newAccount or newOrder missing)",
			c->directory_url);
		return ACMED_EPROTO;
	}
	if (json_object_object_get_ex(o, "meta", &meta)) {
		d->terms_of_service = xstrdup(jobj_str(meta, "termsOfService"));
		if (json_object_object_get_ex(meta, "externalAccountRequired", &ear))
			d->external_account_required = json_object_get_boolean(ear);
		if (directory_profiles(meta, d) < 0)
			return -ENOMEM;
	}
	return 0;
}

int acme_directory_load(struct acme_client *c)
{
	struct http_response resp;
	struct json_object *o = NULL;
	int r;

	c->retry_after = -1; /* this response's, or none */

	r = http_request(c->http, "GET", c->directory_url, NULL, NULL, &resp, c->err,
			 sizeof(c->err));
	if (r < 0)
		return r;
	note_retry_after(c, &resp);
	if (resp.status != 200) {
		r = response_error(c, c->directory_url, &resp);
		goto out;
	}
	o = json_tokener_parse(resp.body);
	r = directory_from_json(c, o);
out:
	json_object_put(o);
	http_response_clear(&resp);
	return r;
}

int acme_set_account(struct acme_client *c, const struct signer *key, const char *kid)
{
	c->key = key;
	return dupstr(&c->kid, kid);
}

int acme_set_eab(struct acme_client *c, const char *kid, const char *hmac_key_b64url)
{
	unsigned char *key = NULL;
	size_t len = 0;

	if (hmac_key_b64url &&
	    (b64url_decode(hmac_key_b64url, &key, &len) < 0 || len == 0)) {
		free(key);
		set_err(c, "the EAB MAC key is not base64url");
		return -EINVAL;
	}
	if (dupstr(&c->eab_kid, kid) < 0) {
		free(key);
		return -ENOMEM;
	}
	if (c->eab_key)
		OPENSSL_cleanse(c->eab_key, c->eab_keylen);
	free(c->eab_key);
	c->eab_key = key;
	c->eab_keylen = len;
	return 0;
}

/* Add the externalAccountBinding to a newAccount request. */
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

	if (!status || !status_known(status, statuses)) {
		set_err(c, "account %s has no status RFC 8555 knows (\"%.40s\")", url,
			str_or_empty(status));
		return ACMED_EPROTO;
	}
	if (!streq(status, "valid")) {
		set_err(c, "account %s is %s", url, status);
		return ACMED_ENOACCOUNT;
	}
	return 0;
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
			struct json_object *contact = json_object_new_array();
			char *mailto;

			if (asprintf(&mailto, "mailto:%s", email) < 0) {
				r = -ENOMEM;
				goto out;
			}
			json_object_array_add(contact, json_object_new_string(mailto));
			free(mailto);
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
		set_err(c, "newAccount answered without an https account URL in Location");
		r = ACMED_EPROTO;
		goto out;
	}
	r = account_from_json(c, acct, resp.location);
	if (r < 0)
		goto out;
	c->account_created = resp.status == 201;
	r = dupstr(&c->kid, resp.location);
out:
	json_object_put(req);
	json_object_put(acct);
	http_response_clear(&resp);
	return r;
}

void acme_order_clear(struct acme_order *o)
{
	free(o->url);
	free(o->status);
	free(o->finalize);
	free(o->certificate);
	for (size_t i = 0; i < o->nauthz; i++)
		free(o->authz[i]);
	memset(o, 0, sizeof(*o));
}

/* Fill O's fields from an order object, checking what we rely on. */

static int order_from_json(struct acme_client *c, struct json_object *obj, struct acme_order *o)
{
	static const char *const statuses[] = { "pending", "ready", "processing", "valid",
						"invalid", NULL };
	struct json_object *authz;
	const char *status = jobj_str(obj, "status");
	size_t n;

	if (!status || !jurl(obj, "finalize") ||
	    !json_object_object_get_ex(obj, "authorizations", &authz) ||
	    !json_object_is_type(authz, json_type_array)) {
		set_err(c, "order %s is malformed (status, finalize or authorizations missing)",
			o->url);
		return ACMED_EPROTO;
	}
	if (!status_known(status, statuses)) {
		set_err(c, "order %s has a status RFC 8555 does not know: \"%.40s\"", o->url,
			status);
		return ACMED_EPROTO;
	}
	n = json_object_array_length(authz);
	if (n == 0 || n > ACME_MAX_AUTHZ) {
		set_err(c, "order %s lists %zu authorizations", o->url, n);
		return ACMED_EPROTO;
	}
	for (size_t i = 0; i < o->nauthz; i++)
		FREE_AND_NULL(o->authz[i]);
	o->nauthz = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(authz, i);
		const char *s = json_object_is_type(u, json_type_string) ? json_object_get_string(u)
									 : NULL;

		if (!s || strncasecmp(s, "https://", 8) != 0) {
			set_err(c, "order %s has an authorization that is not an https URL", o->url);
			return ACMED_EPROTO;
		}
		o->authz[o->nauthz] = strdup(s);
		if (!o->authz[o->nauthz++])
			return -ENOMEM;
	}
	if (dupstr(&o->status, status) < 0 || dupstr(&o->finalize, jurl(obj, "finalize")) < 0 ||
	    dupstr(&o->certificate, jurl(obj, "certificate")) < 0)
		return -ENOMEM;
	if (streq(status, "invalid")) {
		struct json_object *e;

		acme_problem_clear(&c->problem);
		if (json_object_object_get_ex(obj, "error", &e))
			problem_from_json(e, &c->problem);
		set_err(c, "order %s is invalid", o->url);
		return ACMED_EINVALID;
	}
	return 0;
}

int acme_order_new(struct acme_client *c, char *const *idents, size_t n,
		   const struct acme_order_opts *opts, struct acme_order *o)
{
	struct json_object *req = json_object_new_object(), *ids = json_object_new_array();
	struct json_object *obj = NULL;
	struct http_response resp = { 0 };
	int r;

	memset(o, 0, sizeof(*o));
	if (!req || !ids) {
		json_object_put(req);
		json_object_put(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *id = json_object_new_object();

		json_object_object_add(id, "type",
				       json_object_new_string(ident_is_ip(idents[i]) ? "ip" : "dns"));
		json_object_object_add(id, "value", json_object_new_string(idents[i]));
		json_object_array_add(ids, id);
	}
	json_object_object_add(req, "identifiers", ids);
	if (opts && opts->profile)
		json_object_object_add(req, "profile", json_object_new_string(opts->profile));
	if (opts && opts->replaces)
		json_object_object_add(req, "replaces", json_object_new_string(opts->replaces));
	r = acme_post_json(c, c->dir.new_order, json_object_to_json_string(req), false, &resp,
			   &obj);
	if (r < 0)
		goto out;
	if (!resp.location || strncasecmp(resp.location, "https://", 8) != 0) {
		set_err(c, "newOrder answered without an https order URL in Location");
		r = ACMED_EPROTO;
		goto out;
	}
	o->url = strdup(resp.location);
	r = o->url ? order_from_json(c, obj, o) : -ENOMEM;
out:
	json_object_put(req);
	json_object_put(obj);
	http_response_clear(&resp);
	return r;
}

int acme_order_get(struct acme_client *c, struct acme_order *o)
{
	struct json_object *obj = NULL;
	struct http_response resp = { 0 };
	int r = acme_post_json(c, o->url, NULL, false, &resp, &obj);

	if (r == 0)
		r = order_from_json(c, obj, o);
	json_object_put(obj);
	http_response_clear(&resp);
	return r;
}

void acme_authz_clear(struct acme_authz *a)
{
	free(a->url);
	free(a->status);
	free(a->identifier);
	for (size_t i = 0; i < a->nchal; i++) {
		free(a->chal[i].type);
		free(a->chal[i].url);
		free(a->chal[i].token);
		free(a->chal[i].status);
		free(a->chal[i].error);
	}
	free(a->chal);
	memset(a, 0, sizeof(*a));
}

/* Record the error of the first invalid challenge as the problem. */
static void challenge_error(struct acme_client *c, struct json_object *chals)
{
	acme_problem_clear(&c->problem);
	for (size_t i = 0; i < json_object_array_length(chals); i++) {
		struct json_object *ch = json_object_array_get_idx(chals, i), *e;

		if (json_object_object_get_ex(ch, "error", &e)) {
			problem_from_json(e, &c->problem);
			return;
		}
	}
}

/* The "error" of challenge object CH, formatted; NULL if it has none. */
static char *challenge_error_text(struct json_object *ch)
{
	struct acme_problem p = { 0 };
	struct json_object *e;
	char text[768];

	if (!json_object_object_get_ex(ch, "error", &e) || !json_object_is_type(e, json_type_object))
		return NULL;
	problem_from_json(e, &p);
	acme_problem_format(&p, text, sizeof(text));
	acme_problem_clear(&p);
	return strdup(text);
}

static int authz_from_json(struct acme_client *c, struct json_object *obj, struct acme_authz *a)
{
	static const char *const statuses[] = { "pending", "valid", "invalid", "deactivated",
						"expired", "revoked", NULL };
	struct json_object *id, *chals, *wc;
	size_t n;

	if (!jobj_str(obj, "status") || !json_object_object_get_ex(obj, "identifier", &id) ||
	    !jobj_str(id, "value") || !json_object_object_get_ex(obj, "challenges", &chals) ||
	    !json_object_is_type(chals, json_type_array)) {
		set_err(c, "authorization %s is malformed (status, identifier or challenges "
			   "missing)", a->url);
		return ACMED_EPROTO;
	}
	if (!status_known(jobj_str(obj, "status"), statuses)) {
		set_err(c, "authorization %s has a status RFC 8555 does not know: \"%.40s\"",
			a->url, jobj_str(obj, "status"));
		return ACMED_EPROTO;
	}
	n = json_object_array_length(chals);
	if (n > 16) {
		set_err(c, "authorization %s offers %zu challenges", a->url, n);
		return ACMED_EPROTO;
	}
	if (dupstr(&a->status, jobj_str(obj, "status")) < 0 ||
	    dupstr(&a->identifier, jobj_str(id, "value")) < 0)
		return -ENOMEM;
	a->wildcard = json_object_object_get_ex(obj, "wildcard", &wc) &&
		      json_object_get_boolean(wc);
	a->chal = calloc(n ? n : 1, sizeof(*a->chal));
	if (!a->chal)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *ch = json_object_array_get_idx(chals, i);
		struct acme_challenge *x = &a->chal[a->nchal];
		const char *token = jobj_str(ch, "token");

		/* Skip what we could not use safely rather than fail the whole
		 * authorization: another challenge may still do. */
		if (!jobj_str(ch, "type") || !jurl(ch, "url"))
			continue;
		if (token && !b64url_valid(token)) {
			log_warning("authorization %s: challenge %.20s refused: its token \"%.40s\" "
				    "is not base64url (RFC 8555 section 8.3)",
				    a->url, jobj_str(ch, "type"), token);
			continue;
		}
		x->type = xstrdup(jobj_str(ch, "type"));
		x->url = xstrdup(jurl(ch, "url"));
		x->token = xstrdup(token);
		x->status = xstrdup(jobj_str(ch, "status"));
		x->error = challenge_error_text(ch);
		a->nchal++;
	}
	if (streq(a->status, "invalid"))
		challenge_error(c, chals);
	return 0;
}

int acme_authz_get(struct acme_client *c, const char *url, struct acme_authz *a)
{
	struct json_object *obj = NULL;
	struct http_response resp = { 0 };
	int r;

	acme_authz_clear(a);
	a->url = strdup(url);
	if (!a->url)
		return -ENOMEM;
	r = acme_post_json(c, url, NULL, false, &resp, &obj);
	if (r == 0)
		r = authz_from_json(c, obj, a);
	json_object_put(obj);
	http_response_clear(&resp);
	return r;
}

int acme_challenge_respond(struct acme_client *c, const char *url)
{
	struct json_object *obj = NULL;
	struct http_response resp = { 0 };
	int r = acme_post_json(c, url, "{}", false, &resp, &obj);

	/* A CA may validate inside the POST: its answer is then the verdict. */
	if (r == 0 && streq(jobj_str(obj, "status"), "invalid")) {
		char *why = challenge_error_text(obj);

		acme_problem_clear(&c->problem);
		set_err(c, "the CA found the challenge invalid: %s",
			why ? why : "it gave no reason");
		free(why);
		r = ACMED_EINVALID;
	}
	json_object_put(obj);
	http_response_clear(&resp);
	return r;
}

/* Wait before the next poll: the backoff interval, or the CA's Retry-After
 * if it asked for longer. Returns ACMED_ETIMEOUT if that passes DEADLINE. */
static int poll_wait(struct acme_client *c, unsigned *interval_ms, long deadline_ms,
		     const char *what, const char *last_error)
{
	long wait = *interval_ms;

	if (c->retry_after > 0 && c->retry_after * 1000 > wait)
		wait = c->retry_after * 1000;
	if (now_mono_ms() + wait > deadline_ms) {
		set_err(c, "%s still not done after %u seconds%s%s", what, c->poll_timeout_s,
			last_error ? "; the CA's last error: " : "", str_or_empty(last_error));
		return ACMED_ETIMEOUT;
	}
	sleep_ms((unsigned)wait);
	*interval_ms = *interval_ms * 2 > c->poll_max_ms ? c->poll_max_ms : *interval_ms * 2;
	return 0;
}

static const struct acme_challenge *challenge_at(const struct acme_authz *a, const char *url)
{
	for (size_t i = 0; url && i < a->nchal; i++)
		if (streq(a->chal[i].url, url))
			return &a->chal[i];
	return NULL;
}

int acme_authz_wait(struct acme_client *c, struct acme_authz *a, const char *chal_url)
{
	long deadline = now_mono_ms() + (long)c->poll_timeout_s * 1000, next_repost;
	unsigned interval = c->poll_first_ms, reposts = 0, repost_wait = c->repost_first_ms;
	char *url = strdup(a->url), *last = NULL;
	const struct acme_challenge *ch;
	int r;

	if (!url)
		return -ENOMEM;
	next_repost = now_mono_ms() + repost_wait;
	for (;;) {
		r = poll_wait(c, &interval, deadline, a->url, last);
		if (r < 0)
			break;
		r = acme_authz_get(c, url, a);
		if (r < 0)
			break;
		if (streq(a->status, "valid"))
			break;
		if (!streq(a->status, "pending")) {
			set_err(c, "authorization for %s is %s", a->identifier, a->status);
			r = ACMED_EINVALID;
			break;
		}
		ch = challenge_at(a, chal_url);
		if (ch && ch->error && !streq(last, ch->error)) {
			free(last);
			last = strdup(ch->error);
		}
		if (ch && streq(ch->status, "invalid")) {
			/* Validated once and failed; the authorization may stay
			 * pending for good. */
			acme_problem_clear(&c->problem);
			set_err(c, "the CA found the challenge invalid: %s",
				ch->error ? ch->error : "it gave no reason");
			r = ACMED_EINVALID;
			break;
		}
		if (ch && streq(ch->status, "pending") && ch->error && now_mono_ms() >= next_repost) {
			/* Tried and failed, waiting to be asked again. */
			if (reposts == c->challenge_reposts) {
				acme_problem_clear(&c->problem);
				set_err(c, "the CA could not validate the challenge, also after %u "
					   "retries: %s", reposts, ch->error);
				r = ACMED_EINVALID;
				break;
			}
			log_info("%s: the CA could not validate the challenge (%s); asking it to try "
				 "again (%u/%u)", a->identifier, ch->error, ++reposts,
				 c->challenge_reposts);
			r = acme_challenge_respond(c, chal_url);
			if (r < 0)
				break;
			repost_wait = repost_wait * 2 > 8000 ? 8000 : repost_wait * 2;
			next_repost = now_mono_ms() + repost_wait;
		}
	}
	free(last);
	free(url);
	return r;
}

/* Poll O while it is "processing" until it is "valid" with a certificate
 * URL; any other status is an error (WHEN says at which step). */
static int order_wait(struct acme_client *c, struct acme_order *o, const char *when)
{
	long deadline = now_mono_ms() + (long)c->poll_timeout_s * 1000;
	unsigned interval = c->poll_first_ms;
	int r = 0;

	while (r == 0 && !(streq(o->status, "valid") && o->certificate)) {
		if (!streq(o->status, "processing") && !streq(o->status, "valid")) {
			set_err(c, "order %s is %s %s", o->url, o->status, when);
			return ACMED_EPROTO;
		}
		r = poll_wait(c, &interval, deadline, o->url, NULL);
		if (r == 0)
			r = acme_order_get(c, o);
	}
	return r;
}

int acme_order_wait(struct acme_client *c, struct acme_order *o)
{
	return order_wait(c, o, "while it was processing");
}

int acme_order_finalize(struct acme_client *c, struct acme_order *o, const unsigned char *csr,
			size_t csrlen)
{
	struct json_object *req = json_object_new_object(), *obj = NULL;
	struct http_response resp = { 0 };
	char *csr64 = b64url_encode(csr, csrlen);
	int r = -ENOMEM;

	if (!req || !csr64)
		goto out;
	json_object_object_add(req, "csr", json_object_new_string(csr64));
	r = acme_post_json(c, o->finalize, json_object_to_json_string(req), false, &resp, &obj);
	if (r < 0)
		goto out;
	r = order_from_json(c, obj, o);
	if (r == 0)
		r = order_wait(c, o, "after finalize");
out:
	json_object_put(req);
	json_object_put(obj);
	http_response_clear(&resp);
	free(csr64);
	return r;
}

/* Issuer CN of the last certificate in a PEM chain. */
static int top_issuer(const char *pem, char *buf, size_t len)
{
	char **pems = NULL;
	size_t n = 0;
	struct cert_info info;
	int r = crypto_pem_split(pem, strlen(pem), &pems, &n);

	if (r < 0)
		return r;
	r = crypto_cert_info(pems[n - 1], strlen(pems[n - 1]), &info);
	if (r == 0) {
		snprintf(buf, len, "%s", info.issuer_cn);
		cert_info_clear(&info);
	}
	strv_free(pems, n);
	return r;
}

static int download(struct acme_client *c, const char *url, char **pem,
		    struct http_response *resp)
{
	int r = acme_post(c, url, NULL, false, resp);

	if (r < 0)
		return r;
	if (resp->body_len == 0 || strlen(resp->body) != resp->body_len) {
		set_err(c, "certificate at %s is empty or binary", url);
		http_response_clear(resp);
		return ACMED_EPROTO;
	}
	*pem = strdup(resp->body);
	return *pem ? 0 : -ENOMEM;
}

int acme_certificate_get(struct acme_client *c, const char *url, const char *preferred_chain,
			 char **pem)
{
	struct http_response resp = { 0 };
	char issuer[256];
	int r = download(c, url, pem, &resp);

	if (r < 0 || str_empty(preferred_chain))
		goto out;
	if (top_issuer(*pem, issuer, sizeof(issuer)) == 0 && streq(issuer, preferred_chain))
		goto out;
	for (size_t i = 0; i < resp.nlinks_alternate; i++) {
		struct http_response alt_resp = { 0 };
		char *alt = NULL;

		if (strncasecmp(resp.links_alternate[i], "https://", 8) != 0 ||
		    download(c, resp.links_alternate[i], &alt, &alt_resp) < 0) {
			log_warning("could not fetch alternate chain %s: %s",
				    resp.links_alternate[i], c->err);
			continue;
		}
		http_response_clear(&alt_resp);
		if (top_issuer(alt, issuer, sizeof(issuer)) == 0 &&
		    streq(issuer, preferred_chain)) {
			free(*pem);
			*pem = alt;
			goto out;
		}
		free(alt);
	}
	log_info("no chain whose topmost issuer is '%s'; using the default chain",
		 preferred_chain);
out:
	http_response_clear(&resp);
	return r;
}

void acme_renewal_info_clear(struct acme_renewal_info *ri)
{
	free(ri->explanation);
	memset(ri, 0, sizeof(*ri));
	ri->retry_after = -1;
}

/* base64url "." base64url: safe to put in a URL path. */
static bool cert_id_ok(const char *id)
{
	const char *dot = id ? strchr(id, '.') : NULL;
	char *head;
	bool ok;

	if (!dot || dot == id || !b64url_valid(dot + 1))
		return false;
	head = strndup(id, (size_t)(dot - id));
	ok = head && b64url_valid(head);
	free(head);
	return ok;
}

/* Printable ASCII only: it is shown to people as it is. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* suggestedWindow { start, end } with end after start. */
static int renewal_window(struct json_object *o, struct acme_renewal_info *ri)
{
	struct json_object *w;

	if (!json_object_object_get_ex(o, "suggestedWindow", &w) ||
	    timefmt_parse_rfc3339(jobj_str(w, "start"), &ri->start) < 0 ||
	    timefmt_parse_rfc3339(jobj_str(w, "end"), &ri->end) < 0)
		return -EINVAL;
	return ri->end > ri->start ? 0 : -ERANGE;
}

int acme_renewal_info_get(struct acme_client *c, const char *cert_id,
			  struct acme_renewal_info *ri)
{
	struct http_response resp = { 0 };
	struct json_object *o = NULL;
	const char *base = c->dir.renewal_info;
	char *url = NULL;
	int r;

	acme_renewal_info_clear(ri);
	if (!base)
		return -ENOTSUP;
	if (!cert_id_ok(cert_id)) {
		set_err(c, "'%s' is not a certificate ID", cert_id);
		return -EINVAL;
	}
	if (asprintf(&url, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", cert_id) < 0)
		return -ENOMEM;
	c->retry_after = -1; /* this response's, or none */

	r = http_request(c->http, "GET", url, NULL, NULL, &resp, c->err, sizeof(c->err));
	if (r < 0)
		goto out;
	note_retry_after(c, &resp);
	ri->retry_after = c->retry_after;
	if (resp.status != 200) {
		r = response_error(c, url, &resp);
		goto out;
	}
	o = json_tokener_parse(resp.body);
	r = o && json_object_is_type(o, json_type_object) ? renewal_window(o, ri) : -EINVAL;
	if (r == -ERANGE)
		set_err(c, "%s: suggestedWindow ends before it starts", url);
	else if (r < 0)
		set_err(c, "%s: not a renewal information object (suggestedWindow with RFC 3339 "
			   "start and end)", url);
	if (r < 0) {
		r = ACMED_EPROTO;
		goto out;
	}
	if (jurl(o, "explanationURL") && printable(jurl(o, "explanationURL")))
		ri->explanation = strdup(jurl(o, "explanationURL"));
out:
	json_object_put(o);
	http_response_clear(&resp);
	free(url);
	return r;
}

int acme_revoke(struct acme_client *c, const unsigned char *der, size_t len,
		enum acme_revoke_reason reason, bool by_cert_key)
{
	struct json_object *req = json_object_new_object();
	struct http_response resp = { 0 };
	char *cert64 = b64url_encode(der, len);
	int r = -ENOMEM;

	if (!req || !cert64)
		goto out;
	if (!c->dir.revoke_cert) {
		set_err(c, "the CA's directory has no revokeCert");
		r = ACMED_EPROTO;
		goto out;
	}
	json_object_object_add(req, "certificate", json_object_new_string(cert64));
	json_object_object_add(req, "reason", json_object_new_int((int)reason));
	r = acme_post(c, c->dir.revoke_cert, json_object_to_json_string(req), by_cert_key, &resp);
	if (r == ACMED_EPROBLEM && streq(c->problem.type, PROBLEM_PREFIX "alreadyRevoked"))
		r = -EALREADY;
out:
	json_object_put(req);
	http_response_clear(&resp);
	free(cert64);
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
		struct json_object *contact = json_object_new_array();
		char *mailto = NULL;

		if (email && asprintf(&mailto, "mailto:%s", email) < 0)
			goto out;
		if (mailto)
			json_object_array_add(contact, json_object_new_string(mailto));
		free(mailto);
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
		set_err(c, "this CA does not support changing an account's key: its directory "
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
		set_err(c, "signing the key change failed");
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
		set_err(c, "this CA does not support changing an account's key: keyChange "
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
