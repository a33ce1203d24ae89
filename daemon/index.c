#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "index.h"
#include "log.h"
#include "renewal.h"
#include "util.h"

static void entry_clear(struct lineage_entry *e)
{
	free(e->name);
	strv_free(e->domains, e->ndomains);
	free(e->server);
	free(e->authenticator);
	cert_info_clear(&e->cert);
	free(e->problem);
	memset(e, 0, sizeof(*e));
}

void index_clear(struct cert_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		entry_clear(&ix->v[i]);
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}

static int entry_load(struct lineage_entry *e, struct store *s, const char *name)
{
	struct renewal r;
	struct version_pems v = { 0 };
	char err[512];

	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	if (store_renewal_load(s, name, &r, err, sizeof(err)) < 0) {
		e->problem = strdup(err);
		log_warning("%s", err);
		return 0;
	}
	e->domains = r.domains;
	e->ndomains = r.ndomains;
	r.domains = NULL;
	r.ndomains = 0;
	e->server = r.server;
	r.server = NULL;
	e->authenticator = r.authn.name;
	r.authn.name = NULL;
	renewal_clear(&r);
	if (store_live_version(s, name, &e->version) == 0 &&
	    store_read_version(s, name, e->version, &v) == 0 &&
	    crypto_cert_info(v.cert, strlen(v.cert), &e->cert) == 0)
		e->have_cert = true;
	else if (asprintf(&e->problem, "live/%s does not point at a readable certificate",
			  name) < 0)
		e->problem = NULL;
	version_pems_clear(&v);
	return 0;
}

int index_load(struct cert_index *ix, struct store *s)
{
	char **names = NULL;
	size_t n = 0;
	int r = store_list(s, &names, &n);

	index_clear(ix);
	if (r < 0)
		return r;
	ix->v = calloc(n ? n : 1, sizeof(*ix->v));
	if (!ix->v) {
		strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = entry_load(&ix->v[ix->n], s, names[i]);
		if (r == 0)
			ix->n++;
	}
	strv_free(names, n);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct lineage_entry *)a)->name,
		      ((const struct lineage_entry *)b)->name);
}

int index_refresh(struct cert_index *ix, struct store *s, const char *name)
{
	struct lineage_entry e, *v;
	int r;

	for (size_t i = 0; i < ix->n; i++) {
		if (streq(ix->v[i].name, name)) {
			r = entry_load(&e, s, name);
			if (r < 0)
				return r;
			entry_clear(&ix->v[i]);
			ix->v[i] = e;
			return 0;
		}
	}
	if (!store_exists(s, name))
		return 0;
	v = realloc(ix->v, (ix->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ix->v = v;
	r = entry_load(&ix->v[ix->n], s, name);
	if (r < 0)
		return r;
	ix->n++;
	qsort(ix->v, ix->n, sizeof(*ix->v), cmp_entry);
	return 0;
}

const struct lineage_entry *index_get(const struct cert_index *ix, const char *name)
{
	for (size_t i = 0; i < ix->n; i++)
		if (streq(ix->v[i].name, name))
			return &ix->v[i];
	return NULL;
}

static bool contains(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

const char *index_find_by_domains(const struct cert_index *ix, char *const *domains, size_t n)
{
	for (size_t i = 0; i < ix->n; i++) {
		const struct lineage_entry *e = &ix->v[i];
		bool same = e->ndomains == n;

		for (size_t k = 0; same && k < n; k++)
			same = contains(e->domains, e->ndomains, domains[k]);
		if (same)
			return e->name;
	}
	return NULL;
}

static void add_path(struct json_object *o, const struct store *s, const char *name,
		     const char *key, const char *file)
{
	char *p = store_live_path(s, name, file);

	json_object_object_add(o, key, json_object_new_string(p ? p : ""));
	free(p);
}

struct json_object *index_entry_json(const struct lineage_entry *e, const struct store *s,
				     time_t now, bool running)
{
	struct json_object *o = json_object_new_object(), *doms = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(e->name));
	for (size_t i = 0; i < e->ndomains; i++)
		json_object_array_add(doms, json_object_new_string(e->domains[i]));
	json_object_object_add(o, "domains", doms);
	if (e->server)
		json_object_object_add(o, "server", json_object_new_string(e->server));
	if (e->authenticator)
		json_object_object_add(o, "authenticator", json_object_new_string(e->authenticator));
	json_object_object_add(o, "job_running", json_object_new_boolean(running));
	if (e->problem)
		json_object_object_add(o, "problem", json_object_new_string(e->problem));
	if (!e->have_cert)
		return o;
	json_object_object_add(o, "version", json_object_new_int(e->version));
	json_object_object_add(o, "serial", json_object_new_string(e->cert.serial));
	json_object_object_add(o, "key_type", json_object_new_string(e->cert.key_type));
	json_object_object_add(o, "not_before", json_object_new_int64(e->cert.not_before));
	json_object_object_add(o, "not_after", json_object_new_int64(e->cert.not_after));
	json_object_object_add(o, "valid", json_object_new_boolean(e->cert.not_after > now));
	json_object_object_add(o, "next_renewal",
			       json_object_new_int64(renewal_due(e->cert.not_before,
								 e->cert.not_after,
								 RENEW_BEFORE_DEFAULT)));
	add_path(o, s, e->name, "cert_path", "cert.pem");
	add_path(o, s, e->name, "chain_path", "chain.pem");
	add_path(o, s, e->name, "fullchain_path", "fullchain.pem");
	add_path(o, s, e->name, "privkey_path", "privkey.pem");
	return o;
}
