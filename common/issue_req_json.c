/* A certificate request as JSON: how the daemon hands a checked request
 * to the job's process (issue_req.c has the request itself). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "issue_req.h"
#include "jsonutil.h"
#include "jws.h"
#include "util.h"

enum field_type { F_STR, F_BOOL, F_INT, F_LONG };

struct field {
	const char *key;
	enum field_type type;
	size_t off;
};

#define REQ(t, f) { #f, t, offsetof(struct issue_req, f) }
static const struct field req_fields[] = {
	REQ(F_STR, cert_name),	   REQ(F_STR, name),	      REQ(F_BOOL, reuse_key),
	REQ(F_STR, email),	   REQ(F_BOOL, unsafe_no_email), REQ(F_BOOL, agree_tos),
	REQ(F_STR, server),	   REQ(F_STR, preferred_chain), REQ(F_BOOL, dry_run),
	REQ(F_BOOL, renewal),	   REQ(F_STR, profile),	      REQ(F_STR, replaces),
	REQ(F_STR, pre_hook),	   REQ(F_STR, post_hook),     REQ(F_STR, deploy_hook),
	REQ(F_LONG, renew_before), REQ(F_STR, eab_kid),	      REQ(F_STR, eab_hmac_key),
	REQ(F_STR, user_agent),	   REQ(F_LONG, issuance_timeout),
	REQ(F_BOOL, new_key),	   REQ(F_INT, autorenew),     REQ(F_BOOL, validate_only),
	REQ(F_BOOL, manual_prompt), REQ(F_BOOL, allow_subset), REQ(F_INT, from_version),
};
#undef REQ
#define AUTHN(t, f) { #f, t, offsetof(struct authn_config, f) }
static const struct field authn_fields[] = {
	AUTHN(F_STR, name),
	AUTHN(F_STR, http01_address),
	AUTHN(F_INT, http01_port),
	AUTHN(F_INT, tlsalpn01_port),
	AUTHN(F_STR, manual_auth_hook),
	AUTHN(F_STR, manual_cleanup_hook),
	AUTHN(F_STR, preferred_challenges),
	AUTHN(F_STR, dns_rfc2136_credentials),
	AUTHN(F_INT, dns_rfc2136_propagation_seconds),
};
#undef AUTHN
#define KEY(f) { #f, F_INT, offsetof(struct key_spec, f) }
static const struct field key_fields[] = { { "alg", F_INT, offsetof(struct key_spec, alg) },
					   KEY(rsa_bits), KEY(curve) };
#undef KEY

static void fields_to_json(struct json_object *o, const void *base, const struct field *f,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)base + f[i].off;

		switch (f[i].type) {
		case F_STR:
			if (*(char *const *)p)
				json_object_object_add(o, f[i].key,
						       json_object_new_string(*(char *const *)p));
			break;
		case F_BOOL:
			json_object_object_add(o, f[i].key, json_object_new_boolean(*(const bool *)p));
			break;
		case F_INT:
			json_object_object_add(o, f[i].key, json_object_new_int(*(const int *)p));
			break;
		case F_LONG:
			json_object_object_add(o, f[i].key, json_object_new_int64(*(const long *)p));
			break;
		}
	}
}

static int fields_from_json(struct json_object *o, void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = (char *)base + f[i].off;

		switch (f[i].type) {
		case F_STR:
			*(char **)p = xstrdup(jobj_str(o, f[i].key));
			if (jobj_str(o, f[i].key) && !*(char **)p)
				return -ENOMEM;
			break;
		case F_BOOL:
			*(bool *)p = jobj_bool(o, f[i].key);
			break;
		case F_INT:
			*(int *)p = (int)jobj_int(o, f[i].key, 0);
			break;
		case F_LONG:
			*(long *)p = (long)jobj_int(o, f[i].key, 0);
			break;
		}
	}
	return 0;
}

struct json_object *issue_req_to_json(const struct issue_req *req)
{
	struct json_object *o = json_object_new_object(), *authn = json_object_new_object();
	struct json_object *domains = json_object_new_array(), *key = json_object_new_object();
	struct json_object *webroot = json_object_new_array();

	if (!o || !authn || !domains || !key || !webroot) {
		json_object_put(o);
		json_object_put(authn);
		json_object_put(domains);
		json_object_put(key);
		json_object_put(webroot);
		return NULL;
	}
	for (size_t i = 0; i < req->ndomains; i++)
		json_object_array_add(domains, json_object_new_string(req->domains[i]));
	json_object_object_add(o, "domains", domains);
	fields_to_json(o, req, req_fields, ELEMENTSOF(req_fields));
	fields_to_json(authn, &req->authn, authn_fields, ELEMENTSOF(authn_fields));
	for (size_t i = 0; i < req->authn.nwebroot; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "domain",
				       json_object_new_string(req->authn.webroot[i].domain));
		json_object_object_add(e, "path", json_object_new_string(req->authn.webroot[i].path));
		json_object_array_add(webroot, e);
	}
	json_object_object_add(authn, "webroot", webroot);
	json_object_object_add(o, "authn", authn);
	fields_to_json(key, &req->key, key_fields, ELEMENTSOF(key_fields));
	json_object_object_add(o, "key", key);
	if (req->csr) {
		char *b64 = b64url_encode(req->csr, req->csrlen);

		if (!b64) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, "csr", json_object_new_string(b64));
		free(b64);
	}
	return o;
}

int issue_req_from_json(struct json_object *o, struct issue_req *req)
{
	struct json_object *domains = NULL, *authn = NULL, *key = NULL, *webroot = NULL;
	int r = 0;

	memset(req, 0, sizeof(*req));
	if (!json_object_object_get_ex(o, "domains", &domains) ||
	    !json_object_is_type(domains, json_type_array) ||
	    !json_object_object_get_ex(o, "authn", &authn) ||
	    !json_object_object_get_ex(o, "key", &key))
		return -EINVAL;
	req->domains = calloc(json_object_array_length(domains) + 1, sizeof(char *));
	if (!req->domains)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < json_object_array_length(domains); i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(domains, i));

		if (!(req->domains[req->ndomains++] = xstrdup(d)))
			r = -ENOMEM;
	}
	if (r == 0)
		r = fields_from_json(o, req, req_fields, ELEMENTSOF(req_fields));
	if (r == 0)
		r = fields_from_json(authn, &req->authn, authn_fields, ELEMENTSOF(authn_fields));
	if (r == 0)
		r = fields_from_json(key, &req->key, key_fields, ELEMENTSOF(key_fields));
	if (r == 0 && json_object_object_get_ex(authn, "webroot", &webroot)) {
		size_t n = json_object_array_length(webroot);

		req->authn.webroot = calloc(n ? n : 1, sizeof(*req->authn.webroot));
		for (size_t i = 0; req->authn.webroot && r == 0 && i < n; i++) {
			struct json_object *e = json_object_array_get_idx(webroot, i);
			struct webroot_entry *w = &req->authn.webroot[req->authn.nwebroot++];

			w->domain = xstrdup(jobj_str(e, "domain"));
			w->path = xstrdup(jobj_str(e, "path"));
			if (!w->domain || !w->path)
				r = -ENOMEM;
		}
		if (!req->authn.webroot)
			r = -ENOMEM;
	}
	if (r == 0 && jobj_str(o, "csr") &&
	    b64url_decode(jobj_str(o, "csr"), &req->csr, &req->csrlen) < 0)
		r = -EINVAL;
	if (r < 0)
		issue_req_clear(req);
	return r;
}
