/* The pure half of the etcd client (etcd.h): base64, range ends, request
 * bodies and the parsing of answers. No I/O, so the unit tests reach it all.
 * The gateway speaks protobuf's JSON mapping: bytes are base64, int64s are
 * strings, and zero values are left out. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "error.h"
#include "jsonutil.h"
#include "util.h"
#include "etcd/etcd.h"

char *etcd_b64_encode(const void *data, size_t len)
{
	char *out;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int etcd_b64_decode(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *buf;
	int got;

	/* EVP_DecodeBlock skips blanks and says nothing of misplaced '=': check
	 * the alphabet and the padding here. */
	if (n % 4)
		return -EINVAL;
	while (pad < n && pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++)
		if (!b64_char(s[i]))
			return -EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	got = n ? EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n) : 0;
	if (got < 0) {
		free(buf);
		return -EINVAL;
	}
	*len = (size_t)got - pad;
	buf[*len] = '\0';
	*out = buf;
	return 0;
}

int etcd_prefix_end(const char *prefix, size_t len, char **end, size_t *endlen)
{
	size_t n = len;

	while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
		n--;
	*end = malloc(n ? n : 1);
	if (!*end)
		return -ENOMEM;
	if (n == 0) {
		(*end)[0] = '\0';
		*endlen = 1;
		return 0;
	}
	memcpy(*end, prefix, n);
	(*end)[n - 1] = (char)((unsigned char)(*end)[n - 1] + 1);
	*endlen = n;
	return 0;
}

static const char *json_num_text(struct json_object *o, const char *member)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, member, &v))
		return NULL;
	return json_object_get_string(v);
}

int64_t etcd_json_int(struct json_object *o, const char *member)
{
	const char *s = json_num_text(o, member);

	return s ? (int64_t)strtoll(s, NULL, 10) : 0;
}

uint64_t etcd_json_uint(struct json_object *o, const char *member)
{
	const char *s = json_num_text(o, member);

	return s ? (uint64_t)strtoull(s, NULL, 10) : 0;
}

/* ---- requests ---- */

/* Add MEMBER: LEN bytes of DATA in base64. False on OOM. */
static bool add_bytes(struct json_object *o, const char *member, const void *data, size_t len)
{
	char *b = etcd_b64_encode(data, len);
	struct json_object *v = b ? json_object_new_string(b) : NULL;

	free(b);
	return v && json_object_object_add(o, member, v) == 0;
}

static bool add_int(struct json_object *o, const char *member, int64_t v)
{
	char buf[24];
	struct json_object *s;

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	s = json_object_new_string(buf);
	return s && json_object_object_add(o, member, s) == 0;
}

/* KEY, and its range_end when PREFIX. */
static bool add_key(struct json_object *o, const char *key, bool prefix)
{
	char *end = NULL;
	size_t endlen;
	bool ok = add_bytes(o, "key", key, strlen(key));

	if (ok && prefix) {
		ok = etcd_prefix_end(key, strlen(key), &end, &endlen) == 0 &&
		     add_bytes(o, "range_end", end, endlen);
		free(end);
	}
	return ok;
}

static struct json_object *done(struct json_object *o, bool ok)
{
	if (ok)
		return o;
	json_object_put(o);
	return NULL;
}

struct json_object *etcd_req_range(const char *key, bool prefix, int64_t limit, int64_t revision)
{
	struct json_object *o = json_object_new_object();
	bool ok = o && add_key(o, key, prefix);

	if (ok && limit > 0)
		ok = add_int(o, "limit", limit);
	if (ok && revision > 0)
		ok = add_int(o, "revision", revision);
	return done(o, ok);
}

struct json_object *etcd_req_put(const char *key, const void *value, size_t len, int64_t lease)
{
	struct json_object *o = json_object_new_object();
	bool ok = o && add_key(o, key, false) && add_bytes(o, "value", value, len);

	if (ok && lease)
		ok = add_int(o, "lease", lease);
	return done(o, ok);
}

struct json_object *etcd_req_delete(const char *key, bool prefix)
{
	struct json_object *o = json_object_new_object();

	return done(o, o && add_key(o, key, prefix));
}

static const char *const target_names[ETCD_TARGET__MAX] = {
	[ETCD_VERSION] = "VERSION",
	[ETCD_CREATE] = "CREATE",
	[ETCD_MOD] = "MOD",
	[ETCD_VALUE] = "VALUE",
};
static const char *const target_fields[ETCD_TARGET__MAX] = {
	[ETCD_VERSION] = "version",
	[ETCD_CREATE] = "create_revision",
	[ETCD_MOD] = "mod_revision",
	[ETCD_VALUE] = "value",
};
static const char *const result_names[ETCD_RESULT__MAX] = {
	[ETCD_EQUAL] = "EQUAL",
	[ETCD_GREATER] = "GREATER",
	[ETCD_LESS] = "LESS",
	[ETCD_NOT_EQUAL] = "NOT_EQUAL",
};

static struct json_object *req_cmp(const struct etcd_cmp *c)
{
	struct json_object *o = json_object_new_object();
	bool ok = o && (unsigned)c->target < ETCD_TARGET__MAX &&
		  (unsigned)c->result < ETCD_RESULT__MAX && add_key(o, c->key, false) &&
		  json_object_object_add(o, "target",
					 json_object_new_string(target_names[c->target])) == 0 &&
		  json_object_object_add(o, "result",
					 json_object_new_string(result_names[c->result])) == 0;

	if (ok)
		ok = c->target == ETCD_VALUE
			     ? add_bytes(o, "value", c->value, c->value_len)
			     : add_int(o, target_fields[c->target], c->number);
	return done(o, ok);
}

static struct json_object *req_op(const struct etcd_op *op)
{
	struct json_object *o = json_object_new_object(), *inner = NULL;
	const char *name = NULL;

	switch (op->type) {
	case ETCD_OP_RANGE:
		inner = etcd_req_range(op->key, op->prefix, 0, 0);
		name = "request_range";
		break;
	case ETCD_OP_PUT:
		inner = etcd_req_put(op->key, op->value, op->value_len, op->lease);
		name = "request_put";
		break;
	case ETCD_OP_DELETE:
		inner = etcd_req_delete(op->key, op->prefix);
		name = "request_delete_range";
		break;
	}
	if (!o || !inner || json_object_object_add(o, name, inner) < 0) {
		json_object_put(inner);
		return done(o, false);
	}
	return o;
}

/* The list MEMBER of N items made by MAKE. */
static bool add_list(struct json_object *o, const char *member, const void *items, size_t n,
		     size_t size, struct json_object *(*make)(const void *))
{
	struct json_object *a = json_object_new_array();

	if (!a || json_object_object_add(o, member, a) < 0) {
		json_object_put(a);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = make((const char *)items + i * size);

		if (!v || json_object_array_add(a, v) < 0) {
			json_object_put(v);
			return false;
		}
	}
	return true;
}

static struct json_object *make_cmp(const void *p)
{
	return req_cmp(p);
}

static struct json_object *make_op(const void *p)
{
	return req_op(p);
}

struct json_object *etcd_req_txn(const struct etcd_cmp *cmp, size_t ncmp,
				 const struct etcd_op *then, size_t nthen,
				 const struct etcd_op *otherwise, size_t notherwise)
{
	struct json_object *o = json_object_new_object();
	bool ok = o && add_list(o, "compare", cmp, ncmp, sizeof(*cmp), make_cmp) &&
		  add_list(o, "success", then, nthen, sizeof(*then), make_op) &&
		  add_list(o, "failure", otherwise, notherwise, sizeof(*otherwise), make_op);

	return done(o, ok);
}

struct json_object *etcd_req_watch(const char *key, bool prefix, int64_t start_revision)
{
	struct json_object *o = json_object_new_object(), *create = json_object_new_object();
	bool ok = o && create && add_key(create, key, prefix) &&
		  (start_revision <= 0 || add_int(create, "start_revision", start_revision));

	if (ok && json_object_object_add(o, "create_request", create) == 0)
		return o;
	json_object_put(create);
	return done(o, false);
}

struct json_object *etcd_req_lease(int64_t id, int64_t ttl)
{
	struct json_object *o = json_object_new_object();
	bool ok = o && add_int(o, "ID", id) && (ttl <= 0 || add_int(o, "TTL", ttl));

	return done(o, ok);
}

/* ---- answers ---- */

const char *etcd_parse_error(struct json_object *o, int *code)
{
	const char *msg = jobj_str(o, "message");

	if (!msg)
		msg = jobj_str(o, "error");
	if (msg && code)
		*code = (int)jobj_int(o, "code", 0);
	return msg;
}

void etcd_kv_clear(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

/* The bytes member NAME ("" when left out) into *OUT. */
static int get_bytes(struct json_object *o, const char *name, unsigned char **out, size_t *len)
{
	const char *s = jobj_str(o, name);

	return etcd_b64_decode(s ? s : "", out, len);
}

int etcd_parse_kv(struct json_object *o, struct etcd_kv *kv)
{
	size_t klen;
	int r;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_is_type(o, json_type_object))
		return ACMED_EETCD;
	r = get_bytes(o, "key", (unsigned char **)&kv->key, &klen);
	if (r == 0)
		r = get_bytes(o, "value", &kv->value, &kv->value_len);
	if (r == 0 && strlen(kv->key) != klen)
		r = -EINVAL; /* a key with a NUL: not one of ours */
	if (r < 0) {
		etcd_kv_clear(kv);
		return r == -ENOMEM ? r : ACMED_EETCD;
	}
	kv->create_revision = etcd_json_int(o, "create_revision");
	kv->mod_revision = etcd_json_int(o, "mod_revision");
	kv->version = etcd_json_int(o, "version");
	kv->lease = etcd_json_int(o, "lease");
	return 0;
}

void etcd_range_clear(struct etcd_range *r)
{
	for (size_t i = 0; r->kvs && i < r->n; i++)
		etcd_kv_clear(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

static int64_t header_revision(struct json_object *o)
{
	struct json_object *h;

	return json_object_object_get_ex(o, "header", &h) ? etcd_json_int(h, "revision") : 0;
}

/* The array member NAME, or NULL (left out: empty). */
static struct json_object *get_array(struct json_object *o, const char *name)
{
	struct json_object *a;

	return json_object_object_get_ex(o, name, &a) && json_object_is_type(a, json_type_array)
		       ? a
		       : NULL;
}

int etcd_parse_range(struct json_object *o, struct etcd_range *out)
{
	struct json_object *kvs = get_array(o, "kvs");
	size_t n = kvs ? json_object_array_length(kvs) : 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->revision = header_revision(o);
	out->count = etcd_json_int(o, "count");
	out->more = jobj_bool(o, "more");
	if (n && !(out->kvs = calloc(n, sizeof(*out->kvs))))
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = etcd_parse_kv(json_object_array_get_idx(kvs, i), &out->kvs[i]);
		if (r == 0)
			out->n++;
	}
	if (r < 0)
		etcd_range_clear(out);
	return r;
}

void etcd_txn_result_clear(struct etcd_txn_result *r)
{
	for (size_t i = 0; r->ranges && i < r->nranges; i++)
		etcd_range_clear(&r->ranges[i]);
	free(r->ranges);
	memset(r, 0, sizeof(*r));
}

int etcd_parse_txn(struct json_object *o, struct etcd_txn_result *out)
{
	struct json_object *resp = get_array(o, "responses"), *rr;
	size_t n = resp ? json_object_array_length(resp) : 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->succeeded = jobj_bool(o, "succeeded");
	out->revision = header_revision(o);
	if (n && !(out->ranges = calloc(n, sizeof(*out->ranges))))
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(resp, i),
					       "response_range", &rr))
			continue;
		r = etcd_parse_range(rr, &out->ranges[out->nranges]);
		if (r == 0)
			out->nranges++;
	}
	if (r < 0)
		etcd_txn_result_clear(out);
	return r;
}

void etcd_status_clear(struct etcd_status *st)
{
	free(st->version);
	memset(st, 0, sizeof(*st));
}

int etcd_parse_status(struct json_object *o, struct etcd_status *out)
{
	struct json_object *h;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(o, "header", &h) || !jobj_str(o, "version"))
		return ACMED_EETCD;
	out->version = strdup(jobj_str(o, "version"));
	if (!out->version)
		return -ENOMEM;
	out->member_id = etcd_json_uint(h, "member_id");
	out->revision = etcd_json_int(h, "revision");
	out->raft_term = etcd_json_int(o, "raftTerm");
	out->leader = etcd_json_uint(o, "leader");
	out->db_size = etcd_json_int(o, "dbSize");
	return 0;
}

void etcd_members_free(struct etcd_member *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].name);
		strv_free(m[i].client_urls, m[i].nclient_urls);
	}
	free(m);
}

static int parse_member(struct json_object *o, struct etcd_member *m)
{
	struct json_object *urls = get_array(o, "clientURLs");
	size_t n = urls ? json_object_array_length(urls) : 0;

	m->id = etcd_json_uint(o, "ID");
	m->name = strdup(jobj_str(o, "name") ? jobj_str(o, "name") : "");
	if (!m->name || (n && !(m->client_urls = calloc(n, sizeof(char *)))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m->client_urls[i] = strdup(json_object_get_string(json_object_array_get_idx(urls, i)));
		if (!m->client_urls[i])
			return -ENOMEM;
		m->nclient_urls++;
	}
	return 0;
}

int etcd_parse_members(struct json_object *o, struct etcd_member **out, size_t *n)
{
	struct json_object *a = get_array(o, "members");
	size_t len = a ? json_object_array_length(a) : 0;
	struct etcd_member *m;
	int r = 0;

	if (!len)
		return ACMED_EETCD; /* a cluster has one member at least */
	m = calloc(len, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < len; i++)
		r = parse_member(json_object_array_get_idx(a, i), &m[i]);
	if (r < 0) {
		etcd_members_free(m, len);
		return r;
	}
	*out = m;
	*n = len;
	return 0;
}

void etcd_watch_msg_clear(struct etcd_watch_msg *msg)
{
	for (size_t i = 0; msg->events && i < msg->nevents; i++)
		etcd_kv_clear(&msg->events[i].kv);
	free(msg->events);
	memset(msg, 0, sizeof(*msg));
}

int etcd_parse_watch(struct json_object *o, struct etcd_watch_msg *msg)
{
	struct json_object *res, *evs, *kv;
	size_t n;
	int r = 0;

	memset(msg, 0, sizeof(*msg));
	if (!json_object_object_get_ex(o, "result", &res))
		return ACMED_EETCD; /* an error object, or not etcd's */
	msg->created = jobj_bool(res, "created");
	msg->canceled = jobj_bool(res, "canceled");
	msg->revision = header_revision(res);
	msg->compact_revision = etcd_json_int(res, "compact_revision");
	msg->cancel_reason = jobj_str(res, "cancel_reason");
	evs = get_array(res, "events");
	n = evs ? json_object_array_length(evs) : 0;
	if (n && !(msg->events = calloc(n, sizeof(*msg->events))))
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct json_object *ev = json_object_array_get_idx(evs, i);
		const char *type = jobj_str(ev, "type");

		if (!json_object_object_get_ex(ev, "kv", &kv)) {
			r = ACMED_EETCD;
			break;
		}
		/* PUT is the zero value, left out of the JSON. */
		msg->events[i].type = type && streq(type, "DELETE") ? ETCD_EVENT_DELETE
								     : ETCD_EVENT_PUT;
		r = etcd_parse_kv(kv, &msg->events[i].kv);
		if (r == 0)
			msg->nevents++;
	}
	if (r < 0)
		etcd_watch_msg_clear(msg);
	return r;
}

int etcd_parse_lease_ttl(struct json_object *o, int64_t *ttl, int64_t *granted)
{
	const char *err = jobj_str(o, "error");

	if (!json_object_is_type(o, json_type_object) || (err && *err) ||
	    !json_object_object_get_ex(o, "header", NULL))
		return ACMED_EETCD;
	*ttl = etcd_json_int(o, "TTL");
	*granted = etcd_json_int(o, "grantedTTL");
	/* A lease that has expired, or never was, answers TTL -1. */
	return *ttl < 0 ? -ENOENT : 0;
}
