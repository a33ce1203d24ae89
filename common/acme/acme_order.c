/* ACME orders, authorizations and challenges (acme.h): new orders,
 * polling, validation as CAs do it, finalize (RFC 8555 sections 7.4, 7.5). */
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

	if (!status || !acme_jurl(obj, "finalize") ||
	    !json_object_object_get_ex(obj, "authorizations", &authz) ||
	    !json_object_is_type(authz, json_type_array)) {
		acme_set_err(c, "order %s is malformed (status, finalize or authorizations missing)",
			o->url);
		return ACMED_EPROTO;
	}
	if (!acme_status_known(status, statuses)) {
		acme_set_err(c, "order %s has a status RFC 8555 does not know: \"%.40s\"", o->url,
			status);
		return ACMED_EPROTO;
	}
	n = json_object_array_length(authz);
	if (n == 0 || n > ACME_MAX_AUTHZ) {
		acme_set_err(c, "order %s lists %zu authorizations", o->url, n);
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
			acme_set_err(c, "order %s has an authorization that is not an https URL", o->url);
			return ACMED_EPROTO;
		}
		o->authz[o->nauthz] = strdup(s);
		if (!o->authz[o->nauthz++])
			return -ENOMEM;
	}
	if (acme_dupstr(&o->status, status) < 0 || acme_dupstr(&o->finalize, acme_jurl(obj, "finalize")) < 0 ||
	    acme_dupstr(&o->certificate, acme_jurl(obj, "certificate")) < 0)
		return -ENOMEM;
	if (streq(status, "invalid")) {
		struct json_object *e;

		acme_problem_clear(&c->problem);
		if (json_object_object_get_ex(obj, "error", &e))
			acme_problem_from_json(e, &c->problem);
		acme_set_err(c, "order %s is invalid", o->url);
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
		acme_set_err(c, "newOrder answered without an https order URL in Location");
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
	int r;

	c->endpoint = "order";
	r = acme_post_json(c, o->url, NULL, false, &resp, &obj);
	c->endpoint = NULL;

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
			acme_problem_from_json(e, &c->problem);
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
	acme_problem_from_json(e, &p);
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
		acme_set_err(c, "authorization %s is malformed (status, identifier or challenges "
			   "missing)", a->url);
		return ACMED_EPROTO;
	}
	if (!acme_status_known(jobj_str(obj, "status"), statuses)) {
		acme_set_err(c, "authorization %s has a status RFC 8555 does not know: \"%.40s\"",
			a->url, jobj_str(obj, "status"));
		return ACMED_EPROTO;
	}
	n = json_object_array_length(chals);
	if (n > 16) {
		acme_set_err(c, "authorization %s offers %zu challenges", a->url, n);
		return ACMED_EPROTO;
	}
	if (acme_dupstr(&a->status, jobj_str(obj, "status")) < 0 ||
	    acme_dupstr(&a->identifier, jobj_str(id, "value")) < 0)
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
		if (!jobj_str(ch, "type") || !acme_jurl(ch, "url"))
			continue;
		if (token && !b64url_valid(token)) {
			log_warning("authorization %s: challenge %.20s refused: its token \"%.40s\" "
				    "is not base64url (RFC 8555 section 8.3)",
				    a->url, jobj_str(ch, "type"), token);
			continue;
		}
		x->type = xstrdup(jobj_str(ch, "type"));
		x->url = xstrdup(acme_jurl(ch, "url"));
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
	c->endpoint = "authz";
	r = acme_post_json(c, url, NULL, false, &resp, &obj);
	c->endpoint = NULL;
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
	int r;

	c->endpoint = "challenge";
	r = acme_post_json(c, url, "{}", false, &resp, &obj);
	c->endpoint = NULL;
	/* A CA may validate inside the POST: its answer is then the verdict. */
	if (r == 0 && streq(jobj_str(obj, "status"), "invalid")) {
		char *why = challenge_error_text(obj);

		acme_problem_clear(&c->problem);
		acme_set_err(c, "the CA found the challenge invalid: %s",
			why ? why : "it gave no reason");
		free(why);
		r = ACMED_EINVALID;
	}
	json_object_put(obj);
	http_response_clear(&resp);
	return r;
}

/* Wait before the next poll: the backoff interval, or the CA's Retry-After
 * if it asked for longer. Returns ACMED_ETIMEOUT if that passes DEADLINE,
 * LIMIT_S seconds after the first poll. */
static int poll_wait(struct acme_client *c, unsigned *interval_ms, long deadline_ms,
		     unsigned limit_s, const char *what, const char *last_error)
{
	long wait = *interval_ms;

	if (c->retry_after > 0 && c->retry_after * 1000 > wait)
		wait = c->retry_after * 1000;
	if (acme_now_ms() + wait > deadline_ms) {
		acme_set_err(c, "%s still not done after %u seconds%s%s", what, limit_s,
			last_error ? "; the CA's last error: " : "", str_or_empty(last_error));
		return ACMED_ETIMEOUT;
	}
	acme_sleep_ms((unsigned)wait);
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
	long deadline = acme_now_ms() + (long)c->poll_timeout_s * 1000, next_repost;
	unsigned interval = c->poll_first_ms, reposts = 0, repost_wait = c->repost_first_ms;
	char *url = strdup(a->url), *last = NULL;
	const struct acme_challenge *ch;
	int r;

	if (!url)
		return -ENOMEM;
	next_repost = acme_now_ms() + repost_wait;
	for (;;) {
		r = poll_wait(c, &interval, deadline, c->poll_timeout_s, a->url, last);
		if (r < 0)
			break;
		r = acme_authz_get(c, url, a);
		if (r < 0)
			break;
		if (streq(a->status, "valid"))
			break;
		if (!streq(a->status, "pending")) {
			acme_set_err(c, "authorization for %s is %s", a->identifier, a->status);
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
			acme_set_err(c, "the CA found the challenge invalid: %s",
				ch->error ? ch->error : "it gave no reason");
			r = ACMED_EINVALID;
			break;
		}
		if (ch && streq(ch->status, "pending") && ch->error && acme_now_ms() >= next_repost) {
			/* Tried and failed, waiting to be asked again. */
			if (reposts == c->challenge_reposts) {
				acme_problem_clear(&c->problem);
				acme_set_err(c, "the CA could not validate the challenge, also after %u "
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
			next_repost = acme_now_ms() + repost_wait;
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
	unsigned limit = c->order_timeout_s ? c->order_timeout_s : c->poll_timeout_s;
	long deadline = acme_now_ms() + (long)limit * 1000;
	unsigned interval = c->poll_first_ms;
	int r = 0;

	while (r == 0 && !(streq(o->status, "valid") && o->certificate)) {
		if (!streq(o->status, "processing") && !streq(o->status, "valid")) {
			acme_set_err(c, "order %s is %s %s", o->url, o->status, when);
			return ACMED_EPROTO;
		}
		r = poll_wait(c, &interval, deadline, limit, o->url, NULL);
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
	c->endpoint = "finalize";
	r = acme_post_json(c, o->finalize, json_object_to_json_string(req), false, &resp, &obj);
	c->endpoint = NULL;
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

