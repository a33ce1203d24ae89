/* What an ACME order gives and what becomes of it (acme.h): the
 * certificate and its alternate chains, revocation (RFC 8555 sections
 * 7.4.2, 7.6) and renewal information (RFC 9773). */
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
	int r;

	c->endpoint = "certificate";
	r = acme_post(c, url, NULL, false, resp);
	c->endpoint = NULL;
	if (r < 0)
		return r;
	if (resp->body_len == 0 || strlen(resp->body) != resp->body_len) {
		acme_set_err(c, "certificate at %s is empty or binary", url);
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
		acme_set_err(c, "'%s' is not a certificate ID", cert_id);
		return -EINVAL;
	}
	if (asprintf(&url, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", cert_id) < 0)
		return -ENOMEM;
	c->retry_after = -1; /* this response's, or none */

	http_client_set_endpoint(c->http, "renewalInfo");
	r = http_request(c->http, "GET", url, NULL, NULL, &resp, c->err, sizeof(c->err));
	if (r < 0)
		goto out;
	acme_note_retry_after(c, &resp);
	ri->retry_after = c->retry_after;
	if (resp.status != 200) {
		r = acme_response_error(c, url, &resp);
		goto out;
	}
	o = json_tokener_parse(resp.body);
	r = o && json_object_is_type(o, json_type_object) ? renewal_window(o, ri) : -EINVAL;
	if (r == -ERANGE)
		acme_set_err(c, "%s: suggestedWindow ends before it starts", url);
	else if (r < 0)
		acme_set_err(c, "%s: not a renewal information object (suggestedWindow with RFC 3339 "
			   "start and end)", url);
	if (r < 0) {
		r = ACMED_EPROTO;
		goto out;
	}
	if (acme_jurl(o, "explanationURL") && printable(acme_jurl(o, "explanationURL")))
		ri->explanation = strdup(acme_jurl(o, "explanationURL"));
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
		acme_set_err(c, "the CA's directory has no revokeCert");
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

