/* An etcd v3 client over etcd's HTTP/JSON gateway (libcurl + json-c), for
 * cluster mode (docs/cluster.md). Every call blocks for at most the client's
 * timeout, trying the endpoints in turn on a connection error or an
 * "unavailable" answer: so it belongs in a job's process or in acmectl,
 * never in the daemon's event loop (which does not link it).
 *
 * Errors: 0 or a negative errno; ACMED_EETCD when no endpoint answered or
 * etcd refused the request, ACMED_ECOMPACTED for a watch that starts before
 * the compacted revision. etcd_errmsg() then says which endpoint and what
 * etcd said. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct etcd;

struct etcd_opts {
	const char *const *endpoints; /* "https://host:port", at least one */
	size_t nendpoints;
	const char *ca;               /* PEM file of the CA etcd's certificate leads to */
	const char *cert, *key;       /* the client certificate, or NULL */
	const char *user, *password;  /* etcd's own authentication, or NULL */
	long timeout_ms;              /* per call, over all endpoints; 0: 5000 */
};

/* A new client (no connection is made yet); caller frees with etcd_free().
 * -EINVAL with ERR set for bad options, -ENOMEM. */
int etcd_new(const struct etcd_opts *opts, struct etcd **out, char *err, size_t errlen);
void etcd_free(struct etcd *e);
/* What the last failed call said: "https://...: etcdserver: ..." (borrowed). */
const char *etcd_errmsg(const struct etcd *e);
/* The endpoint that answered the last call (borrowed), or NULL. */
const char *etcd_last_endpoint(const struct etcd *e);

/* One key-value pair. VALUE holds VALUE_LEN bytes plus a '\0'. */
struct etcd_kv {
	char *key;
	unsigned char *value;
	size_t value_len;
	int64_t create_revision, mod_revision, version, lease;
};

/* A range's answer: the pairs, the store's revision when it was read,
 * how many keys matched (COUNT may exceed N past a limit: MORE). */
struct etcd_range {
	struct etcd_kv *kvs;
	size_t n;
	int64_t revision;
	int64_t count;
	bool more;
};
void etcd_range_clear(struct etcd_range *r);

/* KEY alone (at REVISION, 0 for the newest): OUT->n is 0 or 1. */
int etcd_get(struct etcd *e, const char *key, int64_t revision, struct etcd_range *out);
/* Every key starting with PREFIX in key order, at most LIMIT (0: all). */
int etcd_get_prefix(struct etcd *e, const char *prefix, int64_t limit, int64_t revision,
		    struct etcd_range *out);
/* Set KEY to LEN bytes of VALUE, bound to LEASE (0: none); *REVISION (may
 * be NULL) gets the revision of the write. */
int etcd_put(struct etcd *e, const char *key, const void *value, size_t len, int64_t lease,
	     int64_t *revision);
/* Delete KEY (or every key under it with PREFIX); *DELETED (may be NULL)
 * gets how many. */
int etcd_delete(struct etcd *e, const char *key, bool prefix, int64_t *deleted);

/* A transaction: if every comparison holds, the success operations run,
 * else the failure ones, atomically. */
enum etcd_target { ETCD_VERSION, ETCD_CREATE, ETCD_MOD, ETCD_VALUE, ETCD_TARGET__MAX };
enum etcd_result { ETCD_EQUAL, ETCD_GREATER, ETCD_LESS, ETCD_NOT_EQUAL, ETCD_RESULT__MAX };
struct etcd_cmp {
	const char *key;
	enum etcd_target target;
	enum etcd_result result;
	int64_t number;           /* VERSION, CREATE, MOD */
	const void *value;        /* VALUE */
	size_t value_len;
};
enum etcd_op_type { ETCD_OP_RANGE, ETCD_OP_PUT, ETCD_OP_DELETE };
struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	bool prefix;              /* RANGE, DELETE: every key under KEY */
	const void *value;        /* PUT */
	size_t value_len;
	int64_t lease;            /* PUT, 0: none */
};
struct etcd_txn_result {
	bool succeeded;           /* which branch ran */
	int64_t revision;
	struct etcd_range *ranges; /* one per RANGE op of that branch, in order */
	size_t nranges;
};
void etcd_txn_result_clear(struct etcd_txn_result *r);
int etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp, const struct etcd_op *then,
	     size_t nthen, const struct etcd_op *otherwise, size_t notherwise,
	     struct etcd_txn_result *out);

/* Leases: a grant of TTL seconds (*ID its id, *GRANTED the TTL etcd gave);
 * a keep-alive (*TTL the seconds left; -ENOENT once the lease has
 * expired); a revoke, which deletes every key bound to it. */
int etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t *id, int64_t *granted);
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl);
int etcd_lease_revoke(struct etcd *e, int64_t id);
/* The seconds lease ID has left (*TTL) and was granted (*GRANTED, may be
 * NULL), without extending it: -ENOENT once it has expired (or never was). */
int etcd_lease_ttl(struct etcd *e, int64_t id, int64_t *ttl, int64_t *granted);

/* One member's own view, asked of ENDPOINT alone (no failover). */
struct etcd_status {
	char *version;
	uint64_t member_id, leader;
	int64_t revision, raft_term, db_size;
};
void etcd_status_clear(struct etcd_status *st);
int etcd_status(struct etcd *e, const char *endpoint, struct etcd_status *out);

struct etcd_member {
	uint64_t id;
	char *name;        /* "" for a member not started yet */
	char **client_urls;
	size_t nclient_urls;
};
void etcd_members_free(struct etcd_member *m, size_t n);
int etcd_member_list(struct etcd *e, struct etcd_member **out, size_t *n);

/* A watch: events on KEY (or under it with PREFIX) from START_REVISION on
 * (0: from now). FN gets each batch of events with the revision of the
 * batch's header, and first, once etcd has set the watch up, no events
 * (NEV 0) and the store's revision then; it returns 0 to go on, a positive
 * number to stop the watch (which then returns 0), or a negative error. The watch also ends with 0 after MAX_MS (0: no
 * limit). A start before the compacted revision gives ACMED_ECOMPACTED
 * with *COMPACT_REVISION (may be NULL) set: resync, then watch from it. */
enum etcd_event_type { ETCD_EVENT_PUT, ETCD_EVENT_DELETE };
struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;
};
typedef int (*etcd_watch_fn)(const struct etcd_event *ev, size_t nev, int64_t revision,
			     void *ctx);
int etcd_watch(struct etcd *e, const char *key, bool prefix, int64_t start_revision, long max_ms,
	       etcd_watch_fn fn, void *ctx, int64_t *compact_revision);

/* ---- the pure parts, for the transport and the unit tests (etcd_json.c) ---- */

/* Standard base64 with padding, as etcd's gateway wants bytes. Caller frees;
 * NULL on OOM. */
char *etcd_b64_encode(const void *data, size_t len);
/* Decode S into *OUT (LEN bytes plus a '\0'; caller frees): -EINVAL for
 * anything that is not base64, -ENOMEM. */
int etcd_b64_decode(const char *s, unsigned char **out, size_t *len);
/* The range_end that selects every key starting with PREFIX (LEN bytes):
 * PREFIX with its last byte below 0xff incremented and what follows
 * dropped; "\0" (one zero byte: every key) when there is none. Caller
 * frees *END (*ENDLEN bytes). */
int etcd_prefix_end(const char *prefix, size_t len, char **end, size_t *endlen);
/* An int64 that the gateway sends as a JSON string (or a number): 0 when
 * absent. The unsigned form is for member ids, which exceed INT64_MAX. */
int64_t etcd_json_int(struct json_object *o, const char *member);
uint64_t etcd_json_uint(struct json_object *o, const char *member);

/* Request bodies (caller puts; NULL on OOM). */
struct json_object *etcd_req_range(const char *key, bool prefix, int64_t limit, int64_t revision);
struct json_object *etcd_req_put(const char *key, const void *value, size_t len, int64_t lease);
struct json_object *etcd_req_delete(const char *key, bool prefix);
struct json_object *etcd_req_txn(const struct etcd_cmp *cmp, size_t ncmp,
				 const struct etcd_op *then, size_t nthen,
				 const struct etcd_op *otherwise, size_t notherwise);
struct json_object *etcd_req_watch(const char *key, bool prefix, int64_t start_revision);
/* {"ID": ID} for the lease calls, and "TTL" when TTL > 0 (a grant). */
struct json_object *etcd_req_lease(int64_t id, int64_t ttl);

/* Answers: an error body ({"error": ..., "code": N}) as its message
 * (borrowed from O) and gRPC code, or NULL; a range answer, a transaction
 * answer; one object of a watch stream. */
const char *etcd_parse_error(struct json_object *o, int *code);
int etcd_parse_kv(struct json_object *o, struct etcd_kv *kv);
void etcd_kv_clear(struct etcd_kv *kv);
int etcd_parse_range(struct json_object *o, struct etcd_range *out);
int etcd_parse_txn(struct json_object *o, struct etcd_txn_result *out);
int etcd_parse_status(struct json_object *o, struct etcd_status *out);
int etcd_parse_members(struct json_object *o, struct etcd_member **out, size_t *n);
/* A time-to-live answer: *TTL and *GRANTED; -ENOENT for an expired lease
 * (TTL -1), ACMED_EETCD for what is not such an answer. */
int etcd_parse_lease_ttl(struct json_object *o, int64_t *ttl, int64_t *granted);

/* One watch response, unwrapped from the stream's {"result": ...}. */
struct etcd_watch_msg {
	bool created, canceled;
	int64_t revision;          /* the header's */
	int64_t compact_revision;  /* > 0: the watch was compacted away */
	const char *cancel_reason; /* borrowed */
	struct etcd_event *events;
	size_t nevents;
};
int etcd_parse_watch(struct json_object *o, struct etcd_watch_msg *msg);
void etcd_watch_msg_clear(struct etcd_watch_msg *msg);
