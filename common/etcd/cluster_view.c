/* The cluster's state for acmectl (cluster_view.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"
#include "etcd/cluster_view.h"
#include "etcd/etcd_http.h"
#include "etcd/etcd_store.h"

/* Keys listed per page, and lineages read per transaction: four reads each,
 * 128 in all, as many as etcd allows by default (--max-txn-ops). */
#define CVIEW_PAGE 1000
#define CVIEW_BATCH 32

struct cview {
	struct etcd *e;
	char *prefix;
};

int cview_open(const struct acmed_config *cfg, struct cview **out, char *err, size_t errlen)
{
	struct etcd_opts o = estore_etcd_opts(cfg);
	struct cview *v;
	int r;

	if (!cfg->netcd_endpoints) {
		snprintf(err, errlen, "etcd_endpoints is not set");
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->prefix = strdup(estore_cfg_prefix(cfg)))) {
		free(v);
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	r = etcd_new(&o, &v->e, err, errlen);
	if (r < 0) {
		cview_close(v);
		return r;
	}
	*out = v;
	return 0;
}

void cview_close(struct cview *v)
{
	if (!v)
		return;
	etcd_free(v->e);
	free(v->prefix);
	free(v);
}

struct etcd *cview_etcd(struct cview *v)
{
	return v->e;
}

const char *cview_prefix(const struct cview *v)
{
	return v->prefix;
}

int cview_parse_version(const char *text)
{
	char *end = NULL;
	long n;

	if (!text || *text < '1' || *text > '9')
		return 0;
	errno = 0;
	n = strtol(text, &end, 10);
	return errno == 0 && *end == '\0' && n <= CVIEW_MAX_VERSION ? (int)n : 0;
}

void cview_lineages_clear(struct cview_lineages *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->l[i].name);
		free(ls->l[i].lock);
		free(ls->l[i].order);
		free(ls->l[i].state);
	}
	free(ls->l);
	memset(ls, 0, sizeof(*ls));
}

/* ---- listing the keys ---- */

/* A keys-only range from START (LEN bytes) to END, at REVISION (0: now). */
static struct json_object *keys_req(const char *start, size_t len, const char *end, size_t endlen,
				    int64_t revision)
{
	struct json_object *o = json_object_new_object();
	char *k = etcd_b64_encode(start, len), *re = etcd_b64_encode(end, endlen), rev[24];

	snprintf(rev, sizeof(rev), "%lld", (long long)revision);
	if (!o || !k || !re || json_object_object_add(o, "key", json_object_new_string(k)) < 0 ||
	    json_object_object_add(o, "range_end", json_object_new_string(re)) < 0 ||
	    json_object_object_add(o, "limit", json_object_new_int(CVIEW_PAGE)) < 0 ||
	    json_object_object_add(o, "keys_only", json_object_new_boolean(1)) < 0 ||
	    (revision > 0 && json_object_object_add(o, "revision", json_object_new_string(rev)) < 0)) {
		json_object_put(o);
		o = NULL;
	}
	free(k);
	free(re);
	return o;
}

/* The lineage for NAME: the last one if it has that name (a lineage's keys
 * come together in key order), else a new one at the end. */
static struct cview_lineage *lineage_for(struct cview_lineages *ls, const char *name, size_t len)
{
	struct cview_lineage *grown, *l;

	if (ls->n && strlen(ls->l[ls->n - 1].name) == len &&
	    memcmp(ls->l[ls->n - 1].name, name, len) == 0)
		return &ls->l[ls->n - 1];
	grown = realloc(ls->l, (ls->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	ls->l = grown;
	l = &ls->l[ls->n];
	memset(l, 0, sizeof(*l));
	if (!(l->name = strndup(name, len)))
		return NULL;
	ls->n++;
	return l;
}

/* One key listed, P lineages/NAME/REST: its lineage noted. */
static int note_key(struct cview_lineages *ls, const char *key, size_t base)
{
	const char *name = key + base, *slash = strchr(name, '/');

	if (!slash || slash == name)
		return 0; /* not one of ours */
	return lineage_for(ls, name, (size_t)(slash - name)) ? 0 : -ENOMEM;
}

static int list_lineages(struct cview *v, struct cview_lineages *ls)
{
	char *base = NULL, *end = NULL, *start = NULL;
	size_t endlen = 0, startlen;
	int r = asprintf(&base, "%slineages/", v->prefix) < 0 ? -ENOMEM : 0;

	if (r == 0)
		r = etcd_prefix_end(base, strlen(base), &end, &endlen);
	if (r == 0 && !(start = strdup(base)))
		r = -ENOMEM;
	startlen = start ? strlen(start) : 0;
	for (bool more = true; r == 0 && more;) {
		struct json_object *resp = NULL, *req = keys_req(start, startlen, end, endlen,
								  ls->revision);
		struct etcd_range rg = { 0 };

		r = req ? etcd_call(v->e, "/v3/kv/range", req, &resp) : -ENOMEM;
		if (r == 0)
			r = etcd_parse_range(resp, &rg);
		if (r == 0 && !ls->revision)
			ls->revision = rg.revision;
		for (size_t i = 0; r == 0 && i < rg.n; i++)
			r = note_key(ls, rg.kvs[i].key, strlen(base));
		more = r == 0 && rg.more && rg.n;
		if (more) { /* the next page starts just past the last key */
			free(start);
			startlen = strlen(rg.kvs[rg.n - 1].key) + 1;
			if ((start = calloc(1, startlen)))
				memcpy(start, rg.kvs[rg.n - 1].key, startlen - 1);
			else
				r = -ENOMEM;
		}
		etcd_range_clear(&rg);
		json_object_put(req);
		json_object_put(resp);
	}
	free(base);
	free(end);
	free(start);
	return r;
}

/* ---- reading the values ---- */

static const char *const fields[] = { "current", "lock", "order", "state" };
#define NFIELDS ELEMENTSOF(fields)

/* Field F of L from KV (NULL: absent). */
static int set_field(struct cview_lineage *l, size_t f, const struct etcd_kv *kv)
{
	char **slot = f == 1 ? &l->lock : f == 2 ? &l->order : f == 3 ? &l->state : NULL;

	if (!kv)
		return 0;
	if (f == 0) {
		l->current = cview_parse_version((const char *)kv->value);
		l->current_rev = kv->mod_revision;
		return 0;
	}
	if (f == 1)
		l->lock_lease = kv->lease;
	*slot = strdup((const char *)kv->value);
	return *slot ? 0 : -ENOMEM;
}

/* Read the fields of lineages FROM..FROM+N in one transaction. */
static int read_batch(struct cview *v, struct cview_lineages *ls, size_t from, size_t n)
{
	struct etcd_op ops[CVIEW_BATCH * NFIELDS];
	char *keys[CVIEW_BATCH * NFIELDS] = { 0 };
	struct etcd_txn_result t = { 0 };
	size_t nops = n * NFIELDS;
	int r = 0;

	for (size_t i = 0; i < nops; i++) {
		if (asprintf(&keys[i], "%slineages/%s/%s", v->prefix, ls->l[from + i / NFIELDS].name,
			     fields[i % NFIELDS]) < 0) {
			keys[i] = NULL;
			r = -ENOMEM;
		}
		ops[i] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = keys[i] };
	}
	if (r == 0)
		r = etcd_txn(v->e, NULL, 0, ops, nops, NULL, 0, &t);
	if (r == 0 && t.nranges != nops) {
		etcd_set_err(v->e, "etcd answered %zu reads of %zu", t.nranges, nops);
		r = ACMED_EETCD;
	}
	for (size_t i = 0; r == 0 && i < nops; i++)
		r = set_field(&ls->l[from + i / NFIELDS], i % NFIELDS,
			      t.ranges[i].n ? &t.ranges[i].kvs[0] : NULL);
	etcd_txn_result_clear(&t);
	for (size_t i = 0; i < nops; i++)
		free(keys[i]);
	return r;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct cview_lineage *)a)->name,
		      ((const struct cview_lineage *)b)->name);
}

int cview_lineages(struct cview *v, struct cview_lineages *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = list_lineages(v, out);
	for (size_t i = 0; r == 0 && i < out->n; i += CVIEW_BATCH)
		r = read_batch(v, out, i, out->n - i < CVIEW_BATCH ? out->n - i : CVIEW_BATCH);
	if (r < 0) {
		cview_lineages_clear(out);
		return r;
	}
	if (out->n)
		qsort(out->l, out->n, sizeof(*out->l), by_name);
	return 0;
}

const struct cview_lineage *cview_find(const struct cview_lineages *ls, const char *name)
{
	struct cview_lineage key = { .name = (char *)name };

	return ls->n ? bsearch(&key, ls->l, ls->n, sizeof(*ls->l), by_name) : NULL;
}

int cview_hosts(struct cview *v, struct etcd_range *out)
{
	char *key = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (asprintf(&key, "%shosts/", v->prefix) < 0)
		return -ENOMEM;
	r = etcd_get_prefix(v->e, key, 0, 0, out);
	free(key);
	return r;
}

int cview_get(struct cview *v, const char *name, const char *what, char **text)
{
	struct etcd_range rg = { 0 };
	char *key = NULL;
	int r = asprintf(&key, "%slineages/%s/%s", v->prefix, name, what) < 0 ? -ENOMEM : 0;

	*text = NULL;
	if (r == 0)
		r = etcd_get(v->e, key, 0, &rg);
	if (r == 0 && !rg.n)
		r = -ENOENT;
	if (r == 0 && !(*text = strdup((const char *)rg.kvs[0].value)))
		r = -ENOMEM;
	etcd_range_clear(&rg);
	free(key);
	return r;
}
