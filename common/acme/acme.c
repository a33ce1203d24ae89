/* The ACME client (acme.h): the client, the directory, nonces, signed
 * requests and problem documents. */
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

void acme_set_err(struct acme_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* A URL member: must be https, as every ACME resource is. */
const char *acme_jurl(struct json_object *obj, const char *key)
{
	const char *s = jobj_str(obj, key);

	return s && strncasecmp(s, "https://", 8) == 0 ? s : NULL;
}

int acme_dupstr(char **dst, const char *src)
{
	free(*dst);
	*dst = xstrdup(src);
	return src && !*dst ? -ENOMEM : 0;
}

/* STATUS is one of the NULL-terminated LIST (RFC 8555 section 7.1.6). */
bool acme_status_known(const char *status, const char *const *list)
{
	for (; *list; list++)
		if (streq(status, *list))
			return true;
	return false;
}

void acme_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

long acme_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int acme_client_new(const char *directory_url, const char *ca_bundle, long timeout,
		    struct acme_client **out)
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
	http_client_set_timeout(c->http, timeout);
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

void acme_problem_from_json(struct json_object *o, struct acme_problem *p)
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
	acme_problem_from_json(o, p);
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
static void acme_take_nonce(struct acme_client *c, struct http_response *resp)
{
	if (b64url_valid(resp->replay_nonce)) {
		free(c->nonce);
		c->nonce = resp->replay_nonce;
		resp->replay_nonce = NULL;
	}
}

/* Keep the response's Retry-After (seconds from now) for the caller: a
 * 429 or 503 says when the CA wants to hear from us again. */
void acme_note_retry_after(struct acme_client *c, const struct http_response *resp)
{
	c->retry_after = http_retry_after_seconds(resp->retry_after, (long)time(NULL));
}

static int fetch_nonce(struct acme_client *c)
{
	struct http_response resp;
	int r;

	c->retry_after = -1; /* this response's, or none */

	http_client_set_endpoint(c->http, "newNonce");
	r = http_request(c->http, "HEAD", c->dir.new_nonce, NULL, NULL, &resp, c->err,
			 sizeof(c->err));
	if (r < 0)
		return r;
	acme_note_retry_after(c, &resp);
	acme_take_nonce(c, &resp);
	if (!c->nonce) {
		acme_set_err(c, "HEAD %s: HTTP %ld without a usable Replay-Nonce", c->dir.new_nonce,
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
int acme_response_error(struct acme_client *c, const char *url, struct http_response *resp)
{
	char text[768];

	if (is_problem(resp) && acme_problem_parse(resp->body, &c->problem) == 0) {
		acme_problem_format(&c->problem, text, sizeof(text));
		acme_set_err(c, "%s", text);
		if (streq(c->problem.type, PROBLEM_PREFIX "rateLimited"))
			return ACMED_ERATELIMITED;
		return ACMED_EPROBLEM;
	}
	acme_set_err(c, "HTTP %ld from %s", resp->status, url);
	return resp->status >= 500 ? ACMED_EHTTP : ACMED_EPROTO;
}

/* The metrics' label of a signed request to URL. */
static const char *endpoint_of(const struct acme_client *c, const char *url)
{
	if (streq(url, c->dir.new_account))
		return "newAccount";
	if (streq(url, c->dir.new_order))
		return "newOrder";
	if (streq(url, c->dir.revoke_cert))
		return "revokeCert";
	if (streq(url, c->dir.key_change))
		return "keyChange";
	if (streq(url, c->kid))
		return "account";
	return c->endpoint;
}

/* Signed POST to URL (PAYLOAD NULL: POST-as-GET), retrying badNonce. With
 * USE_JWK the public key goes in the header instead of the account URL. On
 * success RESP holds a 2xx response. */
int acme_post(struct acme_client *c, const char *url, const char *payload, bool use_jwk,
		     struct http_response *resp)
{
	char *jws = NULL;
	int r;

	if (!c->key || (!use_jwk && !c->kid)) {
		acme_set_err(c, "no account key or account URL to sign with");
		return ACMED_ENOACCOUNT;
	}
	for (unsigned attempt = 0;; attempt++) {
		if (!c->nonce && (r = fetch_nonce(c)) < 0)
			return r;
		r = jws_sign(c->key, url, c->nonce, use_jwk ? NULL : c->kid, payload, &jws);
		FREE_AND_NULL(c->nonce); /* a nonce is good for one request only */
		if (r < 0) {
			acme_set_err(c, "signing a request to %s failed", url);
			return r;
		}
		c->retry_after = -1; /* this response's, or none */

		http_client_set_endpoint(c->http, endpoint_of(c, url));
		r = http_request(c->http, "POST", url, jws, "application/jose+json", resp, c->err,
				 sizeof(c->err));
		FREE_AND_NULL(jws);
		if (r < 0)
			return r;
		acme_take_nonce(c, resp);
		acme_note_retry_after(c, resp);
		c->last_status = resp->status;
		if (resp->status >= 200 && resp->status < 300)
			return 0;
		r = acme_response_error(c, url, resp);
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
int acme_post_json(struct acme_client *c, const char *url, const char *payload,
			  bool use_jwk, struct http_response *resp, struct json_object **out)
{
	struct json_object *o;
	int r = acme_post(c, url, payload, use_jwk, resp);

	if (r < 0)
		return r;
	o = json_tokener_parse(resp->body);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		acme_set_err(c, "%s answered HTTP %ld with a body that is not a JSON object", url,
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
	if (acme_dupstr(&d->new_nonce, acme_jurl(o, "newNonce")) < 0 ||
	    acme_dupstr(&d->new_account, acme_jurl(o, "newAccount")) < 0 ||
	    acme_dupstr(&d->new_order, acme_jurl(o, "newOrder")) < 0 ||
	    acme_dupstr(&d->revoke_cert, acme_jurl(o, "revokeCert")) < 0 ||
	    acme_dupstr(&d->key_change, acme_jurl(o, "keyChange")) < 0 ||
	    acme_dupstr(&d->renewal_info, acme_jurl(o, "renewalInfo")) < 0)
		return -ENOMEM;
	if (!d->new_nonce || !d->new_account || !d->new_order) {
		acme_set_err(c, "%s is not an ACME directory (newNonce, newAccount or newOrder missing)",
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

	http_client_set_endpoint(c->http, "directory");
	r = http_request(c->http, "GET", c->directory_url, NULL, NULL, &resp, c->err,
			 sizeof(c->err));
	if (r < 0)
		return r;
	acme_note_retry_after(c, &resp);
	if (resp.status != 200) {
		r = acme_response_error(c, c->directory_url, &resp);
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
	return acme_dupstr(&c->kid, kid);
}

int acme_set_eab(struct acme_client *c, const char *kid, const char *hmac_key_b64url)
{
	unsigned char *key = NULL;
	size_t len = 0;

	if (hmac_key_b64url &&
	    (b64url_decode(hmac_key_b64url, &key, &len) < 0 || len == 0)) {
		free(key);
		acme_set_err(c, "the EAB MAC key is not base64url");
		return -EINVAL;
	}
	if (acme_dupstr(&c->eab_kid, kid) < 0) {
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
