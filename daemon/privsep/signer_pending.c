/* The signer's order in flight (signer_priv.h): "pending" keeps an order
 * before it is finalized, "resume" gives it back to the next job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "daemon/privsep/signer_priv.h"
#include "util.h"

/* The version of the lineage whose certificate is CERT (a leaf, PEM as the
 * store keeps it), in "version" (0: none). The worker cannot read the
 * archive (sandbox.h); it asks before it resumes an order whose
 * certificate may have been published just before a crash. */
static int pending_published(struct keyproc *k, const char *cert, struct json_object *out)
{
	char *ours = NULL;
	int live = 0, found = 0;

	if (!cert)
		return signer_refuse(k, -EINVAL, "pending: published needs the certificate");
	if (store_live_version(k->store, k->c->name, &live) < 0)
		live = 0;
	for (int v = live; v > 0 && !found; v--) {
		if (store_read_cert_version(k->store, k->c->name, v, &ours) == 0 &&
		    streq(ours, cert))
			found = v;
		free(ours);
		ours = NULL;
	}
	json_object_object_add(out, "version", json_object_new_int(found));
	return 0;
}

int signer_pending_write(struct keyproc *k, const char *url, const char *pem)
{
	struct json_object *o = json_object_new_object(), *names = json_object_new_array();
	int r;

	for (size_t i = 0; i < (k->subset ? k->nsubset : k->c->ndomains); i++)
		json_object_array_add(names, json_object_new_string(k->subset ? k->subset[i]
									    : k->c->domains[i]));
	json_object_object_add(o, "order", json_object_new_string(url));
	json_object_object_add(o, "server", json_object_new_string(k->c->server));
	json_object_object_add(o, "names", names);
	json_object_object_add(o, "key", json_object_new_string(pem));
	r = store_pending_save(k->store, k->c->name, json_object_to_json_string_ext(
				       o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o); /* json-c does not wipe: the key's copy there is freed as is */
	if (r < 0)
		return signer_refuse(k, r, "saving archive/%s/.pending: %s", k->c->name,
				     acmed_strerror(r));
	return 0;
}

/* "pending" {"action": "save", "order": URL}: before the worker finalizes
 * ORDER, keep its URL with the CSR's key (store_pending_save()), so an
 * attempt after a crash can finish it. {"action": "drop"}: the order left
 * by an earlier attempt cannot be finished; forget it and its key (the
 * next CSR has a new one). {"action": "published", "cert": PEM}: see
 * pending_published(). */
int signer_op_pending(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	const char *action = jobj_str(req, "action"), *url = jobj_str(req, "order");
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (!k->c->publish || !k->c->name)
		return signer_refuse(k, -EPERM, "this job keeps no order");
	if (streq(action, "drop")) {
		EVP_PKEY_free(k->cert_key);
		k->cert_key = NULL;
		r = store_pending_clear(k->store, k->c->name);
		return r < 0 ? signer_refuse(k, r, "removing archive/%s/.pending: %s", k->c->name,
				      acmed_strerror(r))
			     : 0;
	}
	if (streq(action, "published"))
		return pending_published(k, jobj_str(req, "cert"), out);
	if (!streq(action, "save"))
		return signer_refuse(k, -EINVAL, "pending: the action is save, drop or published");
	if (!k->cert_key)
		return signer_refuse(k, -EINVAL, "pending: no CSR was made");
	if (!url || strncmp(url, "https://", 8) != 0 || strlen(url) > 2048 || strpbrk(url, " \t\r\n"))
		return signer_refuse(k, -EINVAL, "pending: the order must be an https URL");
	r = crypto_key_to_pem(k->cert_key, &pem, &len);
	if (r < 0)
		return signer_refuse(k, r, "pending: the key cannot be written out");
	r = signer_pending_write(k, url, pem);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (r < 0)
		return r;
	(void)out;
	return 0;
}

/* The saved order is this job's: same CA, the job's names in its order. */
bool signer_names_are_the_jobs(const struct signer_conf *c, struct json_object *names)
{
	if (!json_object_is_type(names, json_type_array) ||
	    json_object_array_length(names) != c->ndomains)
		return false;
	for (size_t i = 0; i < c->ndomains; i++)
		if (!streq(json_object_get_string(json_object_array_get_idx(names, i)),
			   c->domains[i]))
			return false;
	return true;
}

static bool pending_is_the_jobs(const struct signer_conf *c, struct json_object *o)
{
	struct json_object *names = NULL;

	return streq(jobj_str(o, "server"), c->server) &&
	       json_object_object_get_ex(o, "names", &names) &&
	       signer_names_are_the_jobs(c, names);
}

/* "resume": the order an interrupted attempt left, if it is this job's:
 * its URL in "order", and its key becomes the CSR's key. Anything else
 * there (another CA or other names, a damaged file) is removed. */
int signer_op_resume(struct keyproc *k, struct json_object *req, struct json_object *out)
{
	struct json_object *o = NULL;
	const char *key;
	char *text = NULL;
	int r;

	(void)req;
	if (!k->c->publish || !k->c->name)
		return signer_refuse(k, -EPERM, "this job keeps no order");
	r = store_pending_load(k->store, k->c->name, &text);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		o = json_tokener_parse(text);
	key = jobj_str(o, "key");
	EVP_PKEY_free(k->cert_key);
	k->cert_key = NULL;
	if (r == 0 && key && jobj_str(o, "order") && pending_is_the_jobs(k->c, o) &&
	    crypto_key_from_pem(key, strlen(key), &k->cert_key) == 0) {
		json_object_object_add(out, "order", json_object_new_string(jobj_str(o, "order")));
	} else {
		log_warning("%s: archive/%s/.pending is not this job's order; removing it",
			    k->c->name, k->c->name);
		store_pending_clear(k->store, k->c->name);
	}
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	json_object_put(o);
	return 0;
}
