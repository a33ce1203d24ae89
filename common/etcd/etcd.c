/* The etcd client's calls (etcd.h): key-value, transactions, leases,
 * status and members, each one POST through the transport (etcd_http.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "util.h"
#include "etcd/etcd_http.h"

#define ETCD_DEFAULT_TIMEOUT_MS 5000

static bool endpoint_ok(const char *ep)
{
	size_t n = strlen(ep);

	return (strncmp(ep, "https://", 8) == 0 || strncmp(ep, "http://", 7) == 0) && n < 256 &&
	       ep[n - 1] != '/';
}

static int copy_opts(struct etcd *e, const struct etcd_opts *o)
{
	e->endpoints = calloc(o->nendpoints, sizeof(char *));
	if (!e->endpoints)
		return -ENOMEM;
	for (; e->nendpoints < o->nendpoints; e->nendpoints++)
		if (!(e->endpoints[e->nendpoints] = strdup(o->endpoints[e->nendpoints])))
			return -ENOMEM;
	e->ca = xstrdup(o->ca);
	e->cert = xstrdup(o->cert);
	e->key = xstrdup(o->key);
	e->user = xstrdup(o->user);
	e->password = xstrdup(o->password ? o->password : "");
	if ((o->ca && !e->ca) || (o->cert && !e->cert) || (o->key && !e->key) ||
	    (o->user && !e->user) || !e->password)
		return -ENOMEM;
	return 0;
}

int etcd_new(const struct etcd_opts *o, struct etcd **out, char *err, size_t errlen)
{
	struct etcd *e;
	int r;

	if (o->nendpoints == 0) {
		snprintf(err, errlen, "no etcd endpoint given");
		return -EINVAL;
	}
	for (size_t i = 0; i < o->nendpoints; i++)
		if (!endpoint_ok(o->endpoints[i])) {
			snprintf(err, errlen, "'%s' is not an etcd endpoint (https://HOST:PORT)",
				 o->endpoints[i]);
			return -EINVAL;
		}
	if (!o->cert != !o->key) {
		snprintf(err, errlen, "a client certificate needs its key, and a key its certificate");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : ETCD_DEFAULT_TIMEOUT_MS;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = copy_opts(e, o);
	if (r == 0 && !(e->curl = curl_easy_init()))
		r = -ENOMEM;
	if (r < 0) {
		snprintf(err, errlen, "%s", acmed_strerror(r));
		etcd_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	strv_free(e->endpoints, e->nendpoints);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e->user);
	str_free_secret(e->password);
	free(e->token);
	free(e);
}

const char *etcd_errmsg(const struct etcd *e)
{
	return e->err;
}

const char *etcd_last_endpoint(const struct etcd *e)
{
	return e->last_endpoint;
}

/* Call PATH with REQ (taken) and parse the answer with PARSE into OUT. */
static int call_parse(struct etcd *e, const char *path, struct json_object *req,
		      int (*parse)(struct json_object *, void *), void *out)
{
	struct json_object *resp = NULL;
	int r = etcd_call(e, path, req, &resp);

	if (r == 0 && parse) {
		r = parse(resp, out);
		if (r == ACMED_EETCD)
			etcd_set_err(e, "%s: %s answered what is not etcd's", e->last_endpoint, path);
	}
	json_object_put(req);
	json_object_put(resp);
	return r;
}

static int parse_range(struct json_object *o, void *out)
{
	return etcd_parse_range(o, out);
}

int etcd_get(struct etcd *e, const char *key, int64_t revision, struct etcd_range *out)
{
	memset(out, 0, sizeof(*out));
	return call_parse(e, "/v3/kv/range", etcd_req_range(key, false, 0, revision), parse_range,
			  out);
}

int etcd_get_prefix(struct etcd *e, const char *prefix, int64_t limit, int64_t revision,
		    struct etcd_range *out)
{
	memset(out, 0, sizeof(*out));
	return call_parse(e, "/v3/kv/range", etcd_req_range(prefix, true, limit, revision),
			  parse_range, out);
}

static int parse_header_revision(struct json_object *o, void *out)
{
	struct json_object *h;

	if (!json_object_object_get_ex(o, "header", &h))
		return ACMED_EETCD;
	*(int64_t *)out = etcd_json_int(h, "revision");
	return 0;
}

int etcd_put(struct etcd *e, const char *key, const void *value, size_t len, int64_t lease,
	     int64_t *revision)
{
	int64_t rev = 0;
	int r = call_parse(e, "/v3/kv/put", etcd_req_put(key, value, len, lease),
			   parse_header_revision, &rev);

	if (r == 0 && revision)
		*revision = rev;
	return r;
}

static int parse_deleted(struct json_object *o, void *out)
{
	*(int64_t *)out = etcd_json_int(o, "deleted");
	return 0;
}

int etcd_delete(struct etcd *e, const char *key, bool prefix, int64_t *deleted)
{
	int64_t n = 0;
	int r = call_parse(e, "/v3/kv/deleterange", etcd_req_delete(key, prefix), parse_deleted,
			   &n);

	if (r == 0 && deleted)
		*deleted = n;
	return r;
}

static int parse_txn(struct json_object *o, void *out)
{
	return etcd_parse_txn(o, out);
}

int etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp, const struct etcd_op *then,
	     size_t nthen, const struct etcd_op *otherwise, size_t notherwise,
	     struct etcd_txn_result *out)
{
	memset(out, 0, sizeof(*out));
	return call_parse(e, "/v3/kv/txn",
			  etcd_req_txn(cmp, ncmp, then, nthen, otherwise, notherwise), parse_txn,
			  out);
}

struct grant {
	int64_t id, ttl;
};

static int parse_grant(struct json_object *o, void *out)
{
	struct grant *g = out;
	const char *err = jobj_str(o, "error");

	g->id = etcd_json_int(o, "ID");
	g->ttl = etcd_json_int(o, "TTL");
	return err && *err ? ACMED_EETCD : g->id ? 0 : ACMED_EETCD;
}

int etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t *id, int64_t *granted)
{
	struct grant g = { 0 };
	int r = call_parse(e, "/v3/lease/grant", etcd_req_lease(0, ttl), parse_grant, &g);

	if (r == 0) {
		*id = g.id;
		if (granted)
			*granted = g.ttl;
	}
	return r;
}

int etcd_lease_revoke(struct etcd *e, int64_t id)
{
	return call_parse(e, "/v3/lease/revoke", etcd_req_lease(id, 0), NULL, NULL);
}

struct lease_ttl {
	int64_t ttl, granted;
};

static int parse_lease_ttl(struct json_object *o, void *out)
{
	struct lease_ttl *t = out;

	return etcd_parse_lease_ttl(o, &t->ttl, &t->granted);
}

int etcd_lease_ttl(struct etcd *e, int64_t id, int64_t *ttl, int64_t *granted)
{
	struct lease_ttl t = { 0 };
	int r = call_parse(e, "/v3/lease/timetolive", etcd_req_lease(id, 0), parse_lease_ttl, &t);

	if (r == 0) {
		*ttl = t.ttl;
		if (granted)
			*granted = t.granted;
	}
	return r;
}

static int parse_status(struct json_object *o, void *out)
{
	return etcd_parse_status(o, out);
}

int etcd_status(struct etcd *e, const char *endpoint, struct etcd_status *out)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	int r = etcd_call_at(e, endpoint, "/v3/maintenance/status", req, &resp);

	memset(out, 0, sizeof(*out));
	if (r == 0 && (r = parse_status(resp, out)) == ACMED_EETCD)
		etcd_set_err(e, "%s: the status answer is not etcd's", endpoint);
	json_object_put(req);
	json_object_put(resp);
	return r;
}

struct members {
	struct etcd_member *m;
	size_t n;
};

static int parse_members(struct json_object *o, void *out)
{
	struct members *ms = out;

	return etcd_parse_members(o, &ms->m, &ms->n);
}

int etcd_member_list(struct etcd *e, struct etcd_member **out, size_t *n)
{
	struct members ms = { 0 };
	int r = call_parse(e, "/v3/cluster/member/list", json_object_new_object(), parse_members,
			   &ms);

	if (r == 0) {
		*out = ms.m;
		*n = ms.n;
	}
	return r;
}
