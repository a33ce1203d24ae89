/* The etcd client's streamed calls (etcd.h): a watch, read as etcd sends
 * its JSON objects, and a lease's keep-alive, one answer of its stream. */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "etcd/etcd_http.h"

struct watch_ctx {
	struct etcd *e;
	etcd_watch_fn fn;
	void *ctx;
	int64_t compact_revision;
};

static int on_watch(struct json_object *o, void *p)
{
	struct watch_ctx *w = p;
	struct etcd_watch_msg msg;
	int r = etcd_parse_watch(o, &msg);

	if (r < 0) {
		etcd_set_err(w->e, "%s: the watch sent what is not etcd's", w->e->last_endpoint
				   ? w->e->last_endpoint : "etcd");
		return r;
	}
	if (msg.compact_revision > 0) {
		w->compact_revision = msg.compact_revision;
		etcd_set_err(w->e, "etcd has compacted its history up to revision %lld: resync, "
				   "then watch from there", (long long)msg.compact_revision);
		r = ACMED_ECOMPACTED;
	} else if (msg.canceled) {
		etcd_set_err(w->e, "etcd cancelled the watch: %s",
			     msg.cancel_reason ? msg.cancel_reason : "no reason given");
		r = ACMED_EETCD;
	} else if (msg.nevents || msg.created) {
		/* Created: no events, the revision the watch starts after. */
		r = w->fn(msg.events, msg.nevents, msg.revision, w->ctx);
		if (r < 0)
			etcd_set_err(w->e, "the watch's reader stopped: %s", acmed_strerror(r));
		else if (r > 0)
			r = 1;
	}
	etcd_watch_msg_clear(&msg);
	return r;
}

int etcd_watch(struct etcd *e, const char *key, bool prefix, int64_t start_revision, long max_ms,
	       etcd_watch_fn fn, void *ctx, int64_t *compact_revision)
{
	struct watch_ctx w = { .e = e, .fn = fn, .ctx = ctx };
	struct etcd_stream s = { .on_object = on_watch, .ctx = &w, .max_ms = max_ms };
	struct json_object *req = etcd_req_watch(key, prefix, start_revision);
	int r = etcd_call_stream(e, "/v3/watch", req, &s);

	json_object_put(req);
	if (r == ACMED_ECOMPACTED && compact_revision)
		*compact_revision = w.compact_revision;
	return r;
}

struct keepalive_ctx {
	int64_t ttl;
	bool answered;
};

static int on_keepalive(struct json_object *o, void *p)
{
	struct keepalive_ctx *k = p;
	struct json_object *res;

	if (!json_object_object_get_ex(o, "result", &res))
		return ACMED_EETCD;
	k->ttl = etcd_json_int(res, "TTL");
	k->answered = true;
	return 1; /* one answer is all we asked for */
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl)
{
	struct keepalive_ctx k = { 0 };
	struct etcd_stream s = { .on_object = on_keepalive, .ctx = &k, .max_ms = e->timeout_ms };
	struct json_object *req = json_object_new_object();
	char buf[24];
	int r = -ENOMEM;

	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	if (req && json_object_object_add(req, "ID", json_object_new_string(buf)) == 0)
		r = etcd_call_stream(e, "/v3/lease/keepalive", req, &s);
	json_object_put(req);
	if (r == 0 && !k.answered) {
		etcd_set_err(e, "%s: the keep-alive got no answer", e->last_endpoint);
		r = ACMED_EETCD;
	}
	if (r == 0 && k.ttl <= 0) {
		etcd_set_err(e, "lease %llx has expired", (unsigned long long)id);
		r = -ENOENT;
	}
	if (r == 0)
		*ttl = k.ttl;
	return r;
}
