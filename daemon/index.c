#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "daemon/index.h"
#include "jsonutil.h"
#include "log.h"
#include "store/renewal.h"
#include "timefmt.h"
#include "util.h"

static void sched_clear(struct entry_sched *s)
{
	free(s->ari_explanation);
	free(s->ari_error);
	memset(s, 0, sizeof(*s));
}

static void entry_clear(struct lineage_entry *e)
{
	free(e->name);
	renewal_clear(&e->conf);
	cert_info_clear(&e->cert);
	free(e->problem);
	sched_clear(&e->sched);
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
	char err[512], *cert = NULL;

	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	e->have_conf = store_renewal_load(s, name, &e->conf, err, sizeof(err)) == 0;
	if (!e->have_conf) {
		e->problem = strdup(err);
		log_warning("%s", err);
	}
	/* The certificate only: the main process has no business with keys.
	 * Read also for a quarantined lineage: its expiry is still watched. */
	if (store_live_version(s, name, &e->version) == 0 &&
	    store_read_cert_version(s, name, e->version, &cert) == 0 &&
	    crypto_cert_info(cert, strlen(cert), &e->cert) == 0)
		e->have_cert = true;
	else if (e->have_conf &&
		 asprintf(&e->problem, "live/%s does not point at a readable certificate", name) < 0)
		e->problem = NULL;
	free(cert);
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
		struct lineage_entry *old = &ix->v[i];

		if (!streq(old->name, name))
			continue;
		if (!store_exists(s, name)) {
			entry_clear(old);
			memmove(old, old + 1, (ix->n - i - 1) * sizeof(*old));
			ix->n--;
			return 0;
		}
		r = entry_load(&e, s, name);
		if (r < 0)
			return r;
		/* Same certificate: what the scheduler learnt still holds. */
		if (e.have_cert && old->have_cert && streq(e.cert.serial, old->cert.serial)) {
			e.sched = old->sched;
			memset(&old->sched, 0, sizeof(old->sched));
		}
		entry_clear(old);
		*old = e;
		return 0;
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

struct lineage_entry *index_get(const struct cert_index *ix, const char *name)
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

bool index_entry_has_names(const struct lineage_entry *e, char *const *domains, size_t n)
{
	bool same = e->have_conf && e->conf.ndomains == n;

	for (size_t k = 0; same && k < n; k++)
		same = contains(e->conf.domains, e->conf.ndomains, domains[k]);
	return same;
}

const char *index_find_by_domains(const struct cert_index *ix, char *const *domains, size_t n)
{
	for (size_t i = 0; i < ix->n; i++)
		if (index_entry_has_names(&ix->v[i], domains, n))
			return ix->v[i].name;
	return NULL;
}

struct lineage_entry *index_find_subset(const struct cert_index *ix, char *const *domains,
					size_t n)
{
	for (size_t i = 0; i < ix->n; i++) {
		struct lineage_entry *e = &ix->v[i];
		bool subset = e->have_conf && e->conf.ndomains > 0 && e->conf.ndomains < n;

		for (size_t k = 0; subset && k < e->conf.ndomains; k++)
			subset = contains(domains, n, e->conf.domains[k]);
		if (subset)
			return e;
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

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void add_time(struct json_object *o, const char *key, time_t t)
{
	if (t > 0)
		json_object_object_add(o, key, jobj_new_time(t));
}

/* The last failures, if any: "failures", "last_attempt", "last_error"... */
static void add_state(struct json_object *o, const struct renewal_state *st)
{
	json_object_object_add(o, "failures", json_object_new_int(st->failures));
	add_time(o, "last_attempt", st->last_attempt);
	add_str(o, "last_error", st->last_error);
	if (st->failures > 0)
		add_time(o, "next_attempt", st->next_attempt);
	add_time(o, "retry_after", st->retry_after);
}

static struct json_object *ari_json(const struct entry_sched *sc)
{
	struct json_object *a = json_object_new_object();

	add_time(a, "window_start", sc->ari_start);
	add_time(a, "window_end", sc->ari_end);
	add_time(a, "renew_at", sc->ari_pick);
	add_time(a, "next_check", sc->ari_next_check);
	add_str(a, "explanation", sc->ari_explanation);
	add_str(a, "error", sc->ari_error);
	return a;
}

/* What happened last: a failed attempt, a revocation, or the issue of the
 * current certificate. */
static struct json_object *last_result(const struct lineage_entry *e)
{
	struct json_object *r = json_object_new_object();
	const char *status = "none";

	if (e->have_conf && e->conf.state.failures > 0) {
		status = "failed";
		add_time(r, "at", e->conf.state.last_attempt);
		add_str(r, "error", e->conf.state.last_error);
	} else if (e->have_conf && e->conf.revoked) {
		status = "revoked";
		add_time(r, "at", e->conf.revoked_at);
	} else if (e->have_cert) {
		status = "issued";
		add_time(r, "at", e->cert.not_before);
	}
	json_object_object_add(r, "status", json_object_new_string(status));
	return r;
}

struct json_object *index_entry_json(const struct lineage_entry *e, const struct store *s,
				     time_t now, bool running, time_t next_renewal)
{
	struct json_object *o = json_object_new_object(), *doms = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(e->name));
	for (size_t i = 0; i < e->conf.ndomains; i++)
		json_object_array_add(doms, json_object_new_string(e->conf.domains[i]));
	json_object_object_add(o, "domains", doms);
	add_str(o, "server", e->conf.server);
	add_str(o, "authenticator", e->conf.authn.name);
	json_object_object_add(o, "job_running", json_object_new_boolean(running));
	add_str(o, "problem", e->problem);
	if (e->have_conf)
		add_state(o, &e->conf.state);
	if (e->sched.ari_valid || e->sched.ari_error)
		json_object_object_add(o, "ari", ari_json(&e->sched));
	if (e->have_conf && e->conf.revoked) {
		struct json_object *r = json_object_new_object();

		add_time(r, "at", e->conf.revoked_at);
		add_str(r, "reason", e->conf.revoked_reason);
		add_str(r, "serial", e->conf.revoked_serial);
		json_object_object_add(o, "revoked", r);
	}
	json_object_object_add(o, "last_result", last_result(e));
	if (!e->have_cert)
		return o;
	json_object_object_add(o, "version", json_object_new_int(e->version));
	json_object_object_add(o, "serial", json_object_new_string(e->cert.serial));
	json_object_object_add(o, "key_type", json_object_new_string(e->cert.key_type));
	json_object_object_add(o, "not_before", jobj_new_time(e->cert.not_before));
	json_object_object_add(o, "not_after", jobj_new_time(e->cert.not_after));
	json_object_object_add(o, "valid", json_object_new_boolean(e->cert.not_after > now));
	add_time(o, "next_renewal", next_renewal);
	add_path(o, s, e->name, "cert_path", "cert.pem");
	add_path(o, s, e->name, "chain_path", "chain.pem");
	add_path(o, s, e->name, "fullchain_path", "fullchain.pem");
	add_path(o, s, e->name, "privkey_path", "privkey.pem");
	return o;
}

int index_quarantined(const struct cert_index *ix)
{
	int n = 0;

	for (size_t i = 0; i < ix->n; i++)
		n += !ix->v[i].have_conf;
	return n;
}
