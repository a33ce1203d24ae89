/* Lineages in etcd (etcd_store.h). Keys, under the prefix P:
 *   P lineages/NAME/versions/N/{cert,chain,key.sealed}
 *   P lineages/NAME/current      N, decimal
 *   P lineages/NAME/renewal      the renewal file's text */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"
#include "etcd/etcd.h"
#include "etcd/etcd_store.h"
#include "etcd/seal.h"

struct estore {
	struct etcd *e;
	char *prefix;
	unsigned char key[SEAL_KEY_LEN];
};

struct etcd_opts estore_etcd_opts(const struct acmed_config *cfg)
{
	return (struct etcd_opts){ (const char *const *)cfg->etcd_endpoints, cfg->netcd_endpoints,
				   cfg->etcd_ca, cfg->etcd_cert, cfg->etcd_key, cfg->etcd_user,
				   cfg->etcd_password, 0 };
}

const char *estore_cfg_prefix(const struct acmed_config *cfg)
{
	return cfg->etcd_prefix ? cfg->etcd_prefix : "/acmed/";
}

int estore_open(const struct acmed_config *cfg, struct estore **out, char *err, size_t errlen)
{
	struct etcd_opts o = estore_etcd_opts(cfg);
	struct estore *s;
	int r;

	if (!cfg->netcd_endpoints || !cfg->cluster_key_file) {
		snprintf(err, errlen, "%s is not set",
			 cfg->netcd_endpoints ? "cluster_key_file" : "etcd_endpoints");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->prefix = strdup(estore_cfg_prefix(cfg)))) {
		free(s);
		return -ENOMEM;
	}
	r = seal_key_load(cfg->cluster_key_file, s->key, err, errlen);
	if (r == 0)
		r = etcd_new(&o, &s->e, err, errlen);
	if (r < 0) {
		estore_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void estore_close(struct estore *s)
{
	if (!s)
		return;
	etcd_free(s->e);
	free(s->prefix);
	explicit_bzero(s->key, sizeof(s->key));
	free(s);
}

/* P lineages/NAME/WHAT, WHAT formatted. Caller frees; NULL on OOM. */
char *estore_lineage_key(const char *prefix, const char *name, const char *fmt, ...)
{
	char *what = NULL, *k = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r >= 0 && asprintf(&k, "%slineages/%s/%s", prefix, name, what) < 0)
		k = NULL;
	free(what);
	return k;
}

/* ERR from the client's message. */
static int etcd_fail(struct estore *s, int r, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", r == ACMED_EETCD ? etcd_errmsg(s->e) : acmed_strerror(r));
	return r;
}

static const struct etcd_kv *find(const struct etcd_range *rg, const char *key)
{
	for (size_t i = 0; i < rg->n; i++)
		if (streq(rg->kvs[i].key, key))
			return &rg->kvs[i];
	return NULL;
}

/* Version N's three keys from RG into V (the key opened). */
static int version_from(struct estore *s, const char *name, int n, const struct etcd_range *rg,
			const char *const keys[3], struct version_pems *v, char *err,
			size_t errlen)
{
	const struct etcd_kv *cert = find(rg, keys[0]), *chain = find(rg, keys[1]),
			     *sealed = find(rg, keys[2]);
	size_t len;
	int r;

	memset(v, 0, sizeof(*v));
	if (!cert || !chain || !sealed) {
		snprintf(err, errlen, "version %d of %s is not in etcd", n, name);
		return -ENOENT;
	}
	r = seal_open(s->key, name, (unsigned long)n, sealed->value, sealed->value_len,
		      (unsigned char **)&v->privkey, &len);
	if (r < 0) {
		snprintf(err, errlen, "the private key of version %d of %s does not open with "
				      "this cluster key (%s)", n, name, acmed_strerror(r));
		return r;
	}
	v->cert = strdup((const char *)cert->value);
	v->chain = strdup((const char *)chain->value);
	if (!v->cert || !v->chain || asprintf(&v->fullchain, "%s%s", v->cert, v->chain) < 0) {
		v->fullchain = NULL;
		version_pems_clear(v);
		return -ENOMEM;
	}
	return 0;
}

static bool same_version(const struct version_pems *a, const struct version_pems *b)
{
	return streq(a->cert, b->cert) && streq(a->chain, b->chain) &&
	       streq(a->privkey, b->privkey);
}

static void free_keys(char *keys[3])
{
	for (int i = 0; i < 3; i++)
		free(keys[i]);
}

static int version_keys(const struct estore *s, const char *name, int n, char *keys[3])
{
	keys[0] = estore_lineage_key(s->prefix, name, "versions/%d/cert", n);
	keys[1] = estore_lineage_key(s->prefix, name, "versions/%d/chain", n);
	keys[2] = estore_lineage_key(s->prefix, name, "versions/%d/key.sealed", n);
	return keys[0] && keys[1] && keys[2] ? 0 : -ENOMEM;
}

int estore_put_version(struct estore *s, const char *name, int n, const struct version_pems *v,
		       bool *added, char *err, size_t errlen)
{
	char *keys[3] = { 0 }, *dir = estore_lineage_key(s->prefix, name, "versions/%d/", n);
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	struct etcd_txn_result t = { 0 };
	struct version_pems there = { 0 };
	int r = version_keys(s, name, n, keys);

	if (r == 0 && !dir)
		r = -ENOMEM;
	if (r == 0)
		r = seal_seal(s->key, name, (unsigned long)n, v->privkey, strlen(v->privkey), &blob,
			      &bloblen);
	if (r == 0) {
		struct etcd_cmp absent = { .key = keys[0], .target = ETCD_CREATE,
					   .result = ETCD_EQUAL };
		struct etcd_op puts[] = {
			{ .type = ETCD_OP_PUT, .key = keys[0], .value = v->cert,
			  .value_len = strlen(v->cert) },
			{ .type = ETCD_OP_PUT, .key = keys[1], .value = v->chain,
			  .value_len = strlen(v->chain) },
			{ .type = ETCD_OP_PUT, .key = keys[2], .value = blob, .value_len = bloblen },
		};
		struct etcd_op get = { .type = ETCD_OP_RANGE, .key = dir, .prefix = true };

		r = etcd_txn(s->e, &absent, 1, puts, 3, &get, 1, &t);
		if (r < 0)
			etcd_fail(s, r, err, errlen);
	}
	if (r == 0 && !(*added = t.succeeded)) {
		r = t.nranges ? version_from(s, name, n, &t.ranges[0],
					     (const char *const *)keys, &there, err, errlen)
			      : ACMED_EETCD;
		if (r == 0 && !same_version(&there, v)) {
			snprintf(err, errlen, "version %d of %s is in etcd already with another "
					      "certificate or key", n, name);
			r = ACMED_EMISMATCH;
		}
	}
	version_pems_clear(&there);
	etcd_txn_result_clear(&t);
	free(blob);
	free(dir);
	free_keys(keys);
	return r;
}

int estore_read_version(struct estore *s, const char *name, int n, struct version_pems *v,
			char *err, size_t errlen)
{
	char *keys[3] = { 0 }, *dir = estore_lineage_key(s->prefix, name, "versions/%d/", n);
	struct etcd_range rg = { 0 };
	int r = version_keys(s, name, n, keys);

	memset(v, 0, sizeof(*v));
	if (r == 0 && !dir)
		r = -ENOMEM;
	if (r == 0 && (r = etcd_get_prefix(s->e, dir, 0, 0, &rg)) < 0)
		etcd_fail(s, r, err, errlen);
	if (r == 0)
		r = version_from(s, name, n, &rg, (const char *const *)keys, v, err, errlen);
	etcd_range_clear(&rg);
	free(dir);
	free_keys(keys);
	return r;
}

int estore_set_current(struct estore *s, const char *name, int n, int *current, char *err,
		       size_t errlen)
{
	char *key = estore_lineage_key(s->prefix, name, "current"), value[16];
	struct etcd_range rg = { 0 };
	struct etcd_txn_result t = { 0 };
	int r = key ? etcd_get(s->e, key, 0, &rg) : -ENOMEM, have = 0;

	if (r < 0 && key)
		etcd_fail(s, r, err, errlen);
	if (r == 0 && rg.n)
		have = atoi((const char *)rg.kvs[0].value);
	*current = have;
	if (r == 0 && have < n) {
		/* Compare on what was read: 0 (absent) or its mod_revision. */
		struct etcd_cmp same = { .key = key, .target = rg.n ? ETCD_MOD : ETCD_CREATE,
					 .result = ETCD_EQUAL,
					 .number = rg.n ? rg.kvs[0].mod_revision : 0 };
		struct etcd_op put = { .type = ETCD_OP_PUT, .key = key, .value = value };

		put.value_len = (size_t)snprintf(value, sizeof(value), "%d", n);
		r = etcd_txn(s->e, &same, 1, &put, 1, NULL, 0, &t);
		if (r < 0)
			etcd_fail(s, r, err, errlen);
		else if (!t.succeeded) {
			snprintf(err, errlen, "the current version of %s moved while it was set", name);
			r = ACMED_EMISMATCH;
		} else {
			*current = n;
		}
	}
	etcd_txn_result_clear(&t);
	etcd_range_clear(&rg);
	free(key);
	return r;
}

int estore_put_renewal(struct estore *s, const char *name, const char *text, char *err,
		       size_t errlen)
{
	char *key = estore_lineage_key(s->prefix, name, "renewal");
	int r = key ? etcd_put(s->e, key, text, strlen(text), 0, NULL) : -ENOMEM;

	if (r < 0 && key)
		etcd_fail(s, r, err, errlen);
	free(key);
	return r;
}

/* ---- for the cluster's other modules (etcd_sync.c) ---- */

struct etcd *estore_client(struct estore *s)
{
	return s->e;
}

const char *estore_prefix(const struct estore *s)
{
	return s->prefix;
}

const unsigned char *estore_seal_key(const struct estore *s)
{
	return s->key;
}
