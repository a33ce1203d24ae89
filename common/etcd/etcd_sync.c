/* Accounts in etcd, snapshots and the watcher's reads (etcd_sync.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "util.h"
#include "etcd/etcd_http.h"
#include "etcd/etcd_sync.h"
#include "etcd/seal.h"

#define PAGE_DEFAULT 500

static int fail(struct estore *s, int r, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s",
		 r == ACMED_EETCD ? etcd_errmsg(estore_client(s)) : acmed_strerror(r));
	return r;
}

/* P accounts/SERVERDIR/ID/FILE (FILE "" for the directory). Caller frees. */
static char *akey(const struct estore *s, const char *serverdir, const char *id,
		  const char *file)
{
	char *k;

	return asprintf(&k, "%saccounts/%s/%s/%s", estore_prefix(s), serverdir, id, file) < 0
		       ? NULL
		       : k;
}

static char *seal_name(const char *serverdir, const char *id)
{
	char *n;

	return asprintf(&n, "account:%s/%s", serverdir, id) < 0 ? NULL : n;
}

static const struct etcd_kv *find(const struct etcd_range *rg, const char *key)
{
	for (size_t i = 0; i < rg->n; i++)
		if (streq(rg->kvs[i].key, key))
			return &rg->kvs[i];
	return NULL;
}

/* The account in RG (its directory's keys) into *JSON and *KEY_PEM. */
static int account_from(struct estore *s, const char *serverdir, const char *id,
			const struct etcd_range *rg, char **json, char **key_pem, char *err,
			size_t errlen)
{
	char *kj = akey(s, serverdir, id, "account.json"), *ks = akey(s, serverdir, id, "key.sealed");
	char *sname = seal_name(serverdir, id);
	const struct etcd_kv *j, *k;
	size_t len;
	int r = kj && ks && sname ? 0 : -ENOMEM;

	*json = *key_pem = NULL;
	j = r == 0 ? find(rg, kj) : NULL;
	k = r == 0 ? find(rg, ks) : NULL;
	if (r == 0 && !k) {
		snprintf(err, errlen, "account %s/%s is not in etcd", serverdir, id);
		r = -ENOENT;
	}
	if (r == 0 && (r = seal_open(estore_seal_key(s), sname, 0, k->value, k->value_len,
				     (unsigned char **)key_pem, &len)) < 0)
		snprintf(err, errlen, "the key of account %s/%s does not open with this cluster "
				      "key (%s)", serverdir, id, acmed_strerror(r));
	if (r == 0 && j && !(*json = strdup((const char *)j->value)))
		r = -ENOMEM;
	if (r < 0 && *key_pem) {
		explicit_bzero(*key_pem, len);
		FREE_AND_NULL(*key_pem);
	}
	free(kj);
	free(ks);
	free(sname);
	return r;
}

int estore_read_account(struct estore *s, const char *serverdir, const char *id, char **json,
			char **key_pem, char *err, size_t errlen)
{
	char *dir = akey(s, serverdir, id, "");
	struct etcd_range rg = { 0 };
	int r = dir ? etcd_get_prefix(estore_client(s), dir, 0, 0, &rg) : -ENOMEM;

	*json = *key_pem = NULL;
	if (r < 0)
		fail(s, r, err, errlen);
	else
		r = account_from(s, serverdir, id, &rg, json, key_pem, err, errlen);
	etcd_range_clear(&rg);
	free(dir);
	return r;
}

/* The account there already: the same key, and JSON put if it differs. */
static int account_there(struct estore *s, const char *serverdir, const char *id,
			 const struct etcd_range *rg, const char *json, const char *key_pem,
			 char *err, size_t errlen)
{
	char *tj = NULL, *tk = NULL, *kj = NULL;
	int r = account_from(s, serverdir, id, rg, &tj, &tk, err, errlen);

	if (r == 0 && !streq(tk, key_pem)) {
		snprintf(err, errlen, "account %s/%s is in etcd already with another key",
			 serverdir, id);
		r = ACMED_EMISMATCH;
	}
	if (r == 0 && json && !streq(tj, json)) {
		kj = akey(s, serverdir, id, "account.json");
		r = kj ? etcd_put(estore_client(s), kj, json, strlen(json), 0, NULL) : -ENOMEM;
		if (r < 0 && kj)
			fail(s, r, err, errlen);
	}
	str_free_secret(tk);
	free(tj);
	free(kj);
	return r;
}

int estore_put_account(struct estore *s, const char *serverdir, const char *id,
		       const char *json, const char *key_pem, bool *added, char *err,
		       size_t errlen)
{
	char *kj = akey(s, serverdir, id, "account.json"), *ks = akey(s, serverdir, id, "key.sealed");
	char *dir = akey(s, serverdir, id, ""), *sname = seal_name(serverdir, id);
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	struct etcd_txn_result t = { 0 };
	int r = kj && ks && dir && sname ? 0 : -ENOMEM;

	*added = false;
	if (r == 0)
		r = seal_seal(estore_seal_key(s), sname, 0, key_pem, strlen(key_pem), &blob,
			      &bloblen);
	if (r == 0) {
		struct etcd_cmp absent = { .key = ks, .target = ETCD_CREATE, .result = ETCD_EQUAL };
		struct etcd_op puts[] = {
			{ .type = ETCD_OP_PUT, .key = ks, .value = blob, .value_len = bloblen },
			{ .type = ETCD_OP_PUT, .key = kj, .value = json ? json : "{}",
			  .value_len = json ? strlen(json) : 2 },
		};
		struct etcd_op get = { .type = ETCD_OP_RANGE, .key = dir, .prefix = true };

		r = etcd_txn(estore_client(s), &absent, 1, puts, 2, &get, 1, &t);
		if (r < 0)
			fail(s, r, err, errlen);
	}
	if (r == 0 && !(*added = t.succeeded))
		r = t.nranges ? account_there(s, serverdir, id, &t.ranges[0], json, key_pem, err,
					      errlen)
			      : ACMED_EETCD;
	etcd_txn_result_clear(&t);
	free(blob);
	free(kj);
	free(ks);
	free(dir);
	free(sname);
	return r;
}

/* ---- snapshots ---- */

/* One page: keys from START (inclusive) to the end of PREFIX's range. */
static int range_page(struct etcd *e, const char *prefix, const char *start, int64_t limit,
		      int64_t revision, struct etcd_range *out)
{
	struct json_object *req = etcd_req_range(prefix, true, limit, revision), *resp = NULL;
	char *k = etcd_b64_encode(start, strlen(start));
	int r = req && k ? 0 : -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (r == 0)
		json_object_object_add(req, "key", json_object_new_string(k));
	if (r == 0)
		r = etcd_call(e, "/v3/kv/range", req, &resp);
	if (r == 0)
		r = etcd_parse_range(resp, out);
	json_object_put(req);
	json_object_put(resp);
	free(k);
	return r;
}

/* Move RG's pairs to the end of OUT. */
static int append(struct etcd_range *out, struct etcd_range *rg)
{
	struct etcd_kv *v = realloc(out->kvs, (out->n + rg->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	out->kvs = v;
	memcpy(v + out->n, rg->kvs, rg->n * sizeof(*v));
	out->n += rg->n;
	rg->n = 0;
	return 0;
}

int etcd_get_prefix_paged(struct etcd *e, const char *prefix, int64_t page, int64_t *revision,
			  struct etcd_range *out)
{
	struct etcd_range rg = { 0 };
	char *start = strdup(prefix);
	int r = start ? 0 : -ENOMEM;

	memset(out, 0, sizeof(*out));
	for (bool more = true; r == 0 && more;) {
		r = range_page(e, prefix, start, page > 0 ? page : PAGE_DEFAULT, *revision, &rg);
		if (r < 0)
			break;
		/* Every page at the first page's revision: one consistent view. */
		if (*revision == 0)
			*revision = rg.revision;
		more = rg.more && rg.n > 0;
		free(start);
		/* The next page starts just after this one's last key. */
		start = more ? malloc(strlen(rg.kvs[rg.n - 1].key) + 2) : NULL;
		if (more && !start)
			r = -ENOMEM;
		else if (more)
			strcat(strcpy(start, rg.kvs[rg.n - 1].key), "\x01");
		if (r == 0)
			r = append(out, &rg);
		etcd_range_clear(&rg);
	}
	out->revision = *revision;
	out->count = (int64_t)out->n;
	if (r < 0)
		etcd_range_clear(out);
	free(start);
	return r;
}

int estore_snapshot(struct estore *s, const char *sub, int64_t page, int64_t *revision,
		    struct etcd_range *out, char *err, size_t errlen)
{
	char *prefix = NULL;
	int r = asprintf(&prefix, "%s%s", estore_prefix(s), sub) < 0 ? -ENOMEM : 0;

	memset(out, 0, sizeof(*out));
	if (r == 0)
		r = etcd_get_prefix_paged(estore_client(s), prefix, page, revision, out);
	if (r < 0)
		fail(s, r, err, errlen);
	free(prefix);
	return r;
}

char estore_key_parts(const char *prefix, const char *key, char **buf, const char **name,
		      const char **what)
{
	size_t pl = strlen(prefix);
	char kind = 0, *p, *slash;

	*buf = NULL;
	*name = *what = NULL;
	if (strncmp(key, prefix, pl) != 0)
		return 0;
	key += pl;
	if (strncmp(key, "lineages/", 9) == 0)
		kind = 'l', key += 9;
	else if (strncmp(key, "accounts/", 9) == 0)
		kind = 'a', key += 9;
	else
		return 0;
	if (!(*buf = strdup(key)))
		return 0;
	p = *buf;
	/* A lineage's name is one component; an account's is all but the last. */
	slash = kind == 'l' ? strchr(p, '/') : strrchr(p, '/');
	if (!slash || slash == p || !slash[1]) {
		FREE_AND_NULL(*buf);
		return 0;
	}
	*slash = '\0';
	*name = p;
	*what = slash + 1;
	return kind;
}

void estore_lineage_clear(struct estore_lineage *l)
{
	free(l->lock);
	free(l->renewal);
	memset(l, 0, sizeof(*l));
}

int estore_read_lineage(struct estore *s, const char *name, struct estore_lineage *out, char *err,
			size_t errlen)
{
	static const char *const what[] = { "current", "lock", "renewal" };
	int r = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(what); i++) {
		struct etcd_range rg = { 0 };
		char *key = NULL;

		if (asprintf(&key, "%slineages/%s/%s", estore_prefix(s), name, what[i]) < 0)
			return -ENOMEM;
		r = etcd_get(estore_client(s), key, 0, &rg);
		if (r < 0)
			fail(s, r, err, errlen);
		else if (rg.n && i == 0)
			out->current = atoi((const char *)rg.kvs[0].value);
		else if (rg.n && !(*(i == 1 ? &out->lock : &out->renewal) =
					   strdup((const char *)rg.kvs[0].value)))
			r = -ENOMEM;
		etcd_range_clear(&rg);
		free(key);
	}
	if (r < 0)
		estore_lineage_clear(out);
	return r;
}

int estore_put_host(struct estore *s, const char *host, const char *text, int64_t lease,
		    char *err, size_t errlen)
{
	char *key = NULL;
	int r = asprintf(&key, "%shosts/%s", estore_prefix(s), host) < 0 ? -ENOMEM : 0;

	if (r == 0)
		r = etcd_put(estore_client(s), key, text, strlen(text), lease, NULL);
	if (r < 0)
		fail(s, r, err, errlen);
	free(key);
	return r;
}

/* Account SERVERDIR/ID ("SERVERDIR/ID" in ACCT) from etcd into ST. */
static int install_account(struct estore *s, struct store *st, const char *acct, bool *added,
			   char *err, size_t errlen)
{
	char *serverdir = strdup(acct), *id, *json = NULL, *key = NULL, *bjson = NULL,
	     *bkey = NULL;
	int r = serverdir ? 0 : -ENOMEM;

	id = serverdir ? strrchr(serverdir, '/') : NULL;
	if (r == 0 && !id) {
		snprintf(err, errlen, "account %s: not SERVER/ID", acct);
		r = -EINVAL;
	}
	if (r == 0) {
		*id++ = '\0';
		r = estore_read_account(s, serverdir, id, &json, &key, err, errlen);
	}
	if (r == 0 && (r = store_account_write_files(st, serverdir, id, json, key, added)) < 0)
		snprintf(err, errlen, "account %s: %s", acct, acmed_strerror(r));
	/* Read back: the key as etcd has it (account.json is this host's if it
	 * had one). */
	if (r == 0 && (r = store_account_read_files(st, serverdir, id, &bjson, &bkey)) < 0)
		snprintf(err, errlen, "account %s: reading it back: %s", acct, acmed_strerror(r));
	if (r == 0 && !streq(bkey, key)) {
		snprintf(err, errlen, "account %s: its key reads back otherwise than etcd has it",
			 acct);
		r = ACMED_EMISMATCH;
	}
	str_free_secret(key);
	str_free_secret(bkey);
	free(json);
	free(bjson);
	free(serverdir);
	return r;
}

int estore_install_accounts(struct estore *s, struct store *st, int64_t revision,
			    estore_account_fn fn, void *ctx, char *err, size_t errlen)
{
	struct etcd_range rg = { 0 };
	int r = estore_snapshot(s, "accounts/", 0, &revision, &rg, err, errlen);

	for (size_t i = 0; r == 0 && i < rg.n; i++) {
		char *buf = NULL, why[512] = "";
		const char *name, *what;
		bool added = false;
		int one;

		if (estore_key_parts(estore_prefix(s), rg.kvs[i].key, &buf, &name, &what) == 'a' &&
		    streq(what, "key.sealed")) {
			one = install_account(s, st, name, &added, why, sizeof(why));
			if (one == ACMED_EETCD) {
				snprintf(err, errlen, "%s", why);
				r = one;
			} else {
				r = fn(ctx, name, one, added, why);
			}
		}
		free(buf);
	}
	etcd_range_clear(&rg);
	return r;
}
