/* acmectl cluster status: hosts, locks, orders in flight and backoff
 * (cluster_report.h). The values are read as the hosts wrote them
 * (docs/cluster.md, "Key layout"); one that does not parse is shown as
 * such, never trusted. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/client.h"
#include "ctl/cluster_report.h"
#include "ctl/verbs.h"

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(str_or_empty(v)));
}

static void add_int(struct json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* How many of LS a host that has materialised up to revision REV has not
 * seen the current version of. */
static long long behind(const struct cview_lineages *ls, long long rev)
{
	long long n = 0;

	for (size_t i = 0; i < ls->n; i++)
		n += ls->l[i].current_rev > rev;
	return n;
}

/* One P hosts/HOST entry. */
static struct json_object *host_json(const struct etcd_kv *kv, size_t base, int64_t revision,
				     const struct cview_lineages *ls)
{
	struct json_object *o = json_object_new_object(),
			   *v = json_tokener_parse((const char *)kv->value);

	add_str(o, "name", kv->key + base);
	if (!json_object_is_type(v, json_type_object)) {
		add_str(o, "error", "its entry is not JSON");
	} else {
		long long rev = jobj_int(v, "revision", 0);

		add_str(o, "version", jobj_str(v, "version"));
		add_int(o, "revision", rev);
		add_int(o, "lag", revision > rev ? revision - rev : 0);
		add_int(o, "behind", behind(ls, rev));
		add_int(o, "materialised", jobj_int(v, "materialised", 0));
	}
	json_object_put(v);
	return o;
}

static int hosts_json(struct cview *v, const struct cview_lineages *ls,
		      struct json_object *report, char *err, size_t errlen)
{
	struct json_object *a = json_object_new_array();
	struct etcd_range rg;
	size_t base = strlen(cview_prefix(v)) + strlen("hosts/");
	int r = cview_hosts(v, &rg);

	if (r < 0) {
		snprintf(err, errlen, "%s", etcd_errmsg(cview_etcd(v)));
		json_object_put(a);
		return r;
	}
	for (size_t i = 0; i < rg.n; i++)
		json_object_array_add(a, host_json(&rg.kvs[i], base, rg.revision, ls));
	json_object_object_add(report, "hosts", a);
	etcd_range_clear(&rg);
	return 0;
}

/* The lock of L, with its lease's time left. */
static struct json_object *lock_json(struct cview *v, const struct cview_lineage *l)
{
	struct json_object *o = json_object_new_object();
	int64_t ttl = 0;
	char lease[20];

	add_str(o, "lineage", l->name);
	add_str(o, "holder", l->lock);
	if (!l->lock_lease)
		return o; /* not bound to a lease: it never expires */
	snprintf(lease, sizeof(lease), "%016" PRIx64, (uint64_t)l->lock_lease);
	add_str(o, "lease", lease);
	if (etcd_lease_ttl(cview_etcd(v), l->lock_lease, &ttl, NULL) == 0)
		add_int(o, "ttl", ttl);
	else
		json_object_object_add(o, "ttl", NULL); /* expired just now, or unanswered */
	return o;
}

/* The JSON text TEXT of L's key as an object with "lineage" first and the
 * members KEEP, or an "error". */
static struct json_object *value_json(const struct cview_lineage *l, const char *text,
				      const char *const *keep)
{
	struct json_object *o = json_object_new_object(), *in = json_tokener_parse(text), *m;

	add_str(o, "lineage", l->name);
	if (!json_object_is_type(in, json_type_object))
		add_str(o, "error", "not JSON");
	for (size_t i = 0; keep[i] && json_object_is_type(in, json_type_object); i++)
		if (json_object_object_get_ex(in, keep[i], &m))
			json_object_object_add(o, keep[i], json_object_get(m));
	json_object_put(in);
	return o;
}

/* The order's sealed key is left out: an operator has no use for it. */
static const char *const order_keep[] = { "order", "version", "host", "names", "account", NULL };
static const char *const state_keep[] = { "failures", "next_attempt", "retry_after", "error",
					  "host", NULL };

int cluster_report_add(struct cview *v, struct json_object *report, char *err, size_t errlen)
{
	struct json_object *locks, *orders, *backoff;
	struct cview_lineages ls;
	int r = cview_lineages(v, &ls);

	if (r < 0) {
		snprintf(err, errlen, "%s", r == ACMED_EETCD ? etcd_errmsg(cview_etcd(v))
							     : acmed_strerror(r));
		return r;
	}
	if ((r = hosts_json(v, &ls, report, err, errlen)) < 0) {
		cview_lineages_clear(&ls);
		return r;
	}
	locks = json_object_new_array();
	orders = json_object_new_array();
	backoff = json_object_new_array();
	for (size_t i = 0; i < ls.n; i++) {
		if (ls.l[i].lock)
			json_object_array_add(locks, lock_json(v, &ls.l[i]));
		if (ls.l[i].order)
			json_object_array_add(orders, value_json(&ls.l[i], ls.l[i].order, order_keep));
		if (ls.l[i].state)
			json_object_array_add(backoff, value_json(&ls.l[i], ls.l[i].state, state_keep));
	}
	json_object_object_add(report, "locks", locks);
	json_object_object_add(report, "orders", orders);
	json_object_object_add(report, "backoff", backoff);
	json_object_object_add(report, "lineages", json_object_new_int64((int64_t)ls.n));
	cview_lineages_clear(&ls);
	return 0;
}

/* ---- text ---- */

/* Member K of O, "" when absent. */
static const char *jstr(struct json_object *o, const char *k)
{
	return str_or_empty(jobj_str(o, k));
}


static struct json_object *section(struct json_object *report, const char *name,
				   const char *title)
{
	struct json_object *a = NULL;

	json_object_object_get_ex(report, name, &a);
	if (!a)
		return NULL;
	client_printf("%s:%s\n", title, json_object_array_length(a) ? "" : " none");
	return a;
}

static const char *when(struct json_object *o, const char *key, char *buf, size_t len)
{
	long long t = jobj_int(o, key, 0);

	if (t <= 0)
		return "never";
	format_time((long)t, buf, len);
	return buf;
}

static void print_hosts(struct json_object *report)
{
	struct json_object *a = section(report, "hosts", "Hosts");
	char date[64];

	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *h = json_object_array_get_idx(a, i);

		if (jobj_str(h, "error")) {
			client_printf("  %s: %s\n", jstr(h, "name"), jstr(h, "error"));
			continue;
		}
		long long n = jobj_int(h, "behind", 0);
		char state[64] = "up to date";

		if (n > 0)
			snprintf(state, sizeof(state), "%lld lineage%s not yet installed", n,
				 n == 1 ? "" : "s");
		client_printf("  %s: acmed %s, revision %lld (%s; lag %lld), materialised %s\n",
			      jstr(h, "name"), jstr(h, "version"), jobj_int(h, "revision", 0), state,
			      jobj_int(h, "lag", 0), when(h, "materialised", date, sizeof(date)));
	}
}

static void print_locks(struct json_object *report)
{
	struct json_object *a = section(report, "locks", "Locks");

	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *l = json_object_array_get_idx(a, i), *ttl = NULL;

		client_printf("  %s: held by %s", jstr(l, "lineage"), jstr(l, "holder"));
		if (!jobj_str(l, "lease"))
			client_printf(", no lease (it does not expire)\n");
		else if (json_object_object_get_ex(l, "ttl", &ttl) && ttl)
			client_printf(", lease %s, %d s left\n", jstr(l, "lease"),
				      json_object_get_int(ttl));
		else
			client_printf(", lease %s, expired\n", jstr(l, "lease"));
	}
}

static void print_orders(struct json_object *report)
{
	struct json_object *a = section(report, "orders", "Orders in flight");

	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (jobj_str(o, "error"))
			client_printf("  %s: %s\n", jstr(o, "lineage"), jstr(o, "error"));
		else
			client_printf("  %s: version %lld by %s: %s\n", jstr(o, "lineage"),
				      jobj_int(o, "version", 0), jstr(o, "host"),
				      jstr(o, "order"));
	}
}

static void print_backoff(struct json_object *report)
{
	struct json_object *a = section(report, "backoff", "Backoff");
	char next[64], retry[64];

	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *s = json_object_array_get_idx(a, i);

		if (jobj_str(s, "error") && !json_object_object_get_ex(s, "failures", NULL)) {
			client_printf("  %s: %s\n", jstr(s, "lineage"), jstr(s, "error"));
			continue;
		}
		client_printf("  %s: %lld failure(s), the last on %s: %s; next attempt %s",
			      jstr(s, "lineage"), jobj_int(s, "failures", 0),
			      jstr(s, "host"), jstr(s, "error"),
			      when(s, "next_attempt", next, sizeof(next)));
		if (jobj_int(s, "retry_after", 0) > 0)
			client_printf(", CA Retry-After %s",
				      when(s, "retry_after", retry, sizeof(retry)));
		client_printf("\n");
	}
}

void cluster_report_print(struct json_object *report)
{
	print_hosts(report);
	print_locks(report);
	print_orders(report);
	print_backoff(report);
}
