/* acmectl import-certbot: one certbot lineage, from its renewal file to
 * acmed's archive, live/ and renewal file (and, with --keep-paths, certbot's
 * live/ links pointing at acmed's). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ctl/import/cbconf.h"
#include "ctl/import/certbot.h"
#include "crypto.h"
#include "error.h"
#include "fsutil.h"
#include "ctl/import/import_lineage.h"
#include "jsonutil.h"
#include "jws.h"
#include "store/store.h"
#include "unitlimits.h"
#include "util.h"

void import_note(struct json_object *list, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) >= 0)
		json_object_array_add(list, json_object_new_string(text));
	va_end(ap);
	free(text);
}

static const char *const kinds[4] = { "privkey", "cert", "chain", "fullchain" };

/* Largest certbot version number looked at: far more than any lineage has. */
#define MAX_VERSION 100000

/* ---- one lineage ---- */

struct lineage_job {
	struct import_run *run;
	const char *name;
	char *conf_path;
	struct certbot_lineage cb;
	struct store_import_version *versions;
	size_t nversions;
	int live;
	char *account_id; /* acmed's */
	struct json_object *out; /* this lineage's report */
	char why[512];
};

static void lineage_job_clear(struct lineage_job *j)
{
	for (size_t i = 0; i < j->nversions; i++)
		version_pems_clear(&j->versions[i].pems);
	free(j->versions);
	free(j->conf_path);
	free(j->account_id);
	certbot_lineage_clear(&j->cb);
}

static int cmp_version(const void *a, const void *b)
{
	return ((const struct store_import_version *)a)->version -
	       ((const struct store_import_version *)b)->version;
}

/* N from a file name "KINDN.pem", or -1. */
static int version_of(const char *fname, const char *kind)
{
	size_t k = strlen(kind);
	char *end;
	long n;

	if (strncmp(fname, kind, k) != 0 || fname[k] < '1' || fname[k] > '9')
		return -1;
	n = strtol(fname + k, &end, 10);
	return streq(end, ".pem") && n <= MAX_VERSION ? (int)n : -1;
}

/* Which version certbot's live/ points at: from cert.pem's link target. */
static int find_live_version(struct lineage_job *j)
{
	char target[4096];
	ssize_t n = readlink(j->cb.live[1], target, sizeof(target) - 1);
	const char *base;

	if (n < 0) {
		snprintf(j->why, sizeof(j->why), "%s: %s", j->cb.live[1],
			 errno == EINVAL ? "not a link into the archive" : strerror(errno));
		return -EINVAL;
	}
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	j->live = version_of(base, "cert");
	if (j->live < 1) {
		snprintf(j->why, sizeof(j->why), "%s points at %.200s, not at a certN.pem",
			 j->cb.live[1], target);
		return -EINVAL;
	}
	return 0;
}

static int read_version(struct lineage_job *j, int dfd, int n)
{
	struct store_import_version *v = &j->versions[j->nversions];
	char fname[64];
	struct stat st;
	int r = 0;

	memset(v, 0, sizeof(*v));
	v->version = n;
	for (size_t k = 0; r == 0 && k < ELEMENTSOF(kinds); k++) {
		char **slot = k == 0 ? &v->pems.privkey : k == 1 ? &v->pems.cert
					: k == 2 ? &v->pems.chain : &v->pems.fullchain;

		snprintf(fname, sizeof(fname), "%s%d.pem", kinds[k], n);
		r = fs_read_fileat(dfd, fname, 256 * 1024, slot, NULL);
		if (r < 0)
			snprintf(j->why, sizeof(j->why), "%s/%s: %s", j->cb.archive_dir, fname,
				 acmed_strerror(r));
	}
	snprintf(fname, sizeof(fname), "privkey%d.pem", n);
	if (r == 0 && fstatat(dfd, fname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* certbot's mode and group, without anything for others */
		v->key_mode = st.st_mode & 0640;
		v->key_gid = st.st_gid;
		if (st.st_mode & 0007)
			import_note(json_object_object_get(j->out, "notes"), "%s/%s was open to others (mode %04o): "
						      "imported as %04o",
						      j->cb.archive_dir, fname,
						      (unsigned)(st.st_mode & 07777),
						      (unsigned)v->key_mode);
	}
	if (r < 0)
		version_pems_clear(&v->pems);
	else
		j->nversions++;
	return r;
}

/* Every version in archive_dir (four files each), sorted. */
static int read_archive(struct lineage_job *j)
{
	int dfd = open(j->cb.archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dup(dfd)) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d) {
		snprintf(j->why, sizeof(j->why), "%s: %s", j->cb.archive_dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	while (r == 0 && (e = readdir(d))) {
		int n = version_of(e->d_name, "cert");
		struct store_import_version *v;

		if (n < 1)
			continue;
		v = reallocarray(j->versions, j->nversions + 1, sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			break;
		}
		j->versions = v;
		r = read_version(j, dfd, n);
	}
	closedir(d);
	close(dfd);
	if (r < 0)
		return r;
	qsort(j->versions, j->nversions, sizeof(*j->versions), cmp_version);
	return 0;
}

static struct store_import_version *live_version(struct lineage_job *j)
{
	for (size_t i = 0; i < j->nversions; i++)
		if (j->versions[i].version == j->live)
			return &j->versions[i];
	return NULL;
}

/* Domains from the live certificate (certbot keeps none in the renewal
 * file): the subject's CN first, as certbot lists them, then the SANs. */
static int take_domains(struct lineage_job *j, const struct version_pems *v)
{
	struct cert_info ci = { 0 };
	struct renewal *r = &j->cb.r;
	int ret = crypto_cert_info_full(v->cert, strlen(v->cert), &ci);

	if (ret < 0 || ci.nnames == 0) {
		snprintf(j->why, sizeof(j->why), "the certificate of version %d names no domain",
			 j->live);
		cert_info_clear(&ci);
		return -EINVAL;
	}
	r->domains = calloc(ci.nnames + 1, sizeof(*r->domains));
	if (!r->domains) {
		cert_info_clear(&ci);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ci.nnames; i++)
		if (streq(ci.names[i], ci.subject_cn))
			r->domains[r->ndomains++] = xstrdup(ci.names[i]);
	for (size_t i = 0; i < ci.nnames; i++)
		if (!streq(ci.names[i], ci.subject_cn))
			r->domains[r->ndomains++] = xstrdup(ci.names[i]);
	cert_info_clear(&ci);
	return 0;
}

/* Without key_type in the file (certbot before 2.0), renewals keep the
 * kind of key in use: that is what certbot itself would make. */
static int key_from_current(struct lineage_job *j, const struct version_pems *v)
{
	EVP_PKEY *key = NULL;
	int r = crypto_key_from_pem(v->privkey, strlen(v->privkey), &key);
	char curve[16] = "", why[160];

	if (r < 0) {
		snprintf(j->why, sizeof(j->why), "privkey%d.pem does not parse", j->live);
		return -EINVAL;
	}
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)
		snprintf(curve, sizeof(curve), "P-%d", EVP_PKEY_get_bits(key));
	r = key_spec_parse(EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? "ecdsa" : "rsa", curve,
			   EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? EVP_PKEY_get_bits(key) : 0,
			   &j->cb.r.key, why, sizeof(why));
	EVP_PKEY_free(key);
	if (r < 0) {
		snprintf(j->why, sizeof(j->why), "the current key: %s", why);
		return -ENOTSUP;
	}
	return 0;
}

/* ---- the account ---- */

static struct json_object *read_json(const char *dir, const char *file, char *why, size_t len)
{
	char *path = fs_join(dir, file), *text = NULL;
	struct json_object *o = NULL;
	int r = path ? fs_read_file(path, 64 * 1024, &text, NULL) : -ENOMEM;

	if (r == 0)
		o = json_tokener_parse(text);
	if (r < 0)
		snprintf(why, len, "%s: %s", path, acmed_strerror(r));
	else if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, len, "%s: not a JSON object", path);
		json_object_put(o);
		o = NULL;
	}
	str_free_secret(text);
	free(path);
	return o;
}

/* The first mailto: contact of certbot's regr.json, or NULL. Borrowed. */
static const char *regr_email(struct json_object *regr)
{
	struct json_object *body = NULL, *contact = NULL;

	json_object_object_get_ex(regr, "body", &body);
	json_object_object_get_ex(body, "contact", &contact);
	for (size_t i = 0; json_object_is_type(contact, json_type_array) &&
			   i < json_object_array_length(contact); i++) {
		const char *c = json_object_get_string(json_object_array_get_idx(contact, i));

		if (c && strncmp(c, "mailto:", 7) == 0 && c[7])
			return c + 7;
	}
	return NULL;
}

/* accounts/SERVER-PATH/ID/ under certbot's directory, as certbot names it
 * (the URL's host, port and path). Caller frees. */
static char *certbot_account_dir(const struct import_run *run, const char *server,
				 const char *id)
{
	char *dir = NULL;

	if (asprintf(&dir, "%s/accounts/%s/%s", run->config_dir, server + strlen("https://"),
		     id) < 0)
		return NULL;
	return dir;
}

/* The report entry of account ID at SERVER if it was handled already. */
static struct json_object *account_seen(struct import_run *run, const char *server, const char *id)
{
	for (size_t i = 0; i < json_object_array_length(run->accounts); i++) {
		struct json_object *a = json_object_array_get_idx(run->accounts, i);

		if (streq(jobj_str(a, "server"), server) && streq(jobj_str(a, "certbot_id"), id))
			return a;
	}
	return NULL;
}

static int save_account(struct import_run *run, const char *server, EVP_PKEY *key,
			const char *url, const char *email, char *why, size_t len)
{
	struct stored_account a = { .key = key, .url = (char *)url, .email = (char *)email };
	int r = store_account_save_key(run->store, server, &a);

	if (r == 0)
		r = store_account_save_info(run->store, server, &a);
	if (r < 0)
		snprintf(why, len, "saving the account in %s/accounts: %s", run->state_dir,
			 acmed_strerror(r));
	free(a.id);
	return r;
}

/* Import (or find) certbot's account of the lineage; *ID gets acmed's id. */
static int import_account(struct lineage_job *j)
{
	struct import_run *run = j->run;
	const char *server = j->cb.r.server, *cb_id = j->cb.account, *url, *result;
	struct json_object *jwk = NULL, *regr = NULL, *seen = account_seen(run, server, cb_id);
	char *dir = NULL, err[256];
	EVP_PKEY *key = NULL;
	int r = -EINVAL;

	if (seen) {
		j->account_id = xstrdup(jobj_str(seen, "acmed_id"));
		return 0;
	}
	if (!fs_name_ok(cb_id)) {
		snprintf(j->why, sizeof(j->why), "account '%s' is not a valid account id", cb_id);
		return -EINVAL;
	}
	dir = certbot_account_dir(run, server, cb_id);
	if (!dir)
		return -ENOMEM;
	jwk = read_json(dir, "private_key.json", j->why, sizeof(j->why));
	regr = jwk ? read_json(dir, "regr.json", j->why, sizeof(j->why)) : NULL;
	if (!regr)
		goto out;
	url = jobj_str(regr, "uri");
	if (!url || strncmp(url, "https://", 8) != 0) {
		snprintf(j->why, sizeof(j->why), "%s/regr.json: no account URL (\"uri\")", dir);
		goto out;
	}
	if (jwk_private_key(jwk, &key, err, sizeof(err)) < 0) {
		snprintf(j->why, sizeof(j->why), "%s/private_key.json: %s", dir, err);
		goto out;
	}
	r = -ENOMEM;
	j->account_id = store_account_key_id(key);
	if (!j->account_id)
		goto out;
	if (run->store && store_account_exists(run->store, server, j->account_id))
		result = "already imported";
	else if (run->dry_run)
		result = "would import";
	else if ((r = save_account(run, server, key, url, regr_email(regr), j->why,
				   sizeof(j->why))) < 0)
		goto out;
	else
		result = "imported";
	seen = json_object_new_object();
	json_object_object_add(seen, "server", json_object_new_string(server));
	json_object_object_add(seen, "certbot_id", json_object_new_string(cb_id));
	json_object_object_add(seen, "acmed_id", json_object_new_string(j->account_id));
	json_object_object_add(seen, "url", json_object_new_string(url));
	json_object_object_add(seen, "result", json_object_new_string(result));
	json_object_array_add(run->accounts, seen);
	r = 0;
out:
	EVP_PKEY_free(key);
	json_object_put(jwk);
	json_object_put(regr);
	free(dir);
	return r;
}

/* ---- paths ---- */

static char *acmed_live_path(const struct import_run *run, const char *name, size_t kind)
{
	char *p = NULL;

	if (asprintf(&p, "%s/live/%s/%s.pem", run->state_dir, name, kinds[kind]) < 0)
		return NULL;
	return p;
}

/* Has --keep-paths been run on this lineage: certbot's cert.pem a link to
 * acmed's? */
static bool paths_kept(const struct lineage_job *j)
{
	char target[4096], *ours = acmed_live_path(j->run, j->name, 1);
	ssize_t n = readlink(j->cb.live[1], target, sizeof(target) - 1);
	bool kept = false;

	if (n > 0 && ours) {
		target[n] = '\0';
		kept = streq(target, ours);
	}
	free(ours);
	return kept;
}

/* Point certbot's four live links at acmed's live files: each renamed over
 * atomically, the directory fsynced. */
static int keep_paths(struct lineage_job *j)
{
	int r = 0;

	for (size_t k = 0; r == 0 && k < ELEMENTSOF(kinds); k++) {
		char *dir = xstrdup(j->cb.live[k]), *slash = dir ? strrchr(dir, '/') : NULL;
		char *target = acmed_live_path(j->run, j->name, k);
		int dfd;

		if (!slash || !target) {
			r = slash ? -ENOMEM : -EINVAL;
		} else {
			*slash = '\0';
			dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			r = dfd < 0 ? -errno : fs_symlink_replace(dfd, target, slash + 1);
			if (r == 0)
				r = fs_fsync_dir(dfd);
			if (dfd >= 0)
				close(dfd);
		}
		if (r < 0)
			snprintf(j->why, sizeof(j->why), "relinking %s: %s", j->cb.live[k],
				 acmed_strerror(r));
		free(target);
		free(dir);
	}
	return r;
}

static void report_paths(struct lineage_job *j, bool kept)
{
	struct json_object *paths = json_object_new_array();

	for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
		struct json_object *p = json_object_new_object();
		char *ours = acmed_live_path(j->run, j->name, k);

		json_object_object_add(p, "certbot", json_object_new_string(j->cb.live[k]));
		json_object_object_add(p, "acmed", json_object_new_string(str_or_empty(ours)));
		json_object_array_add(paths, p);
		free(ours);
	}
	json_object_object_add(j->out, "paths", paths);
	json_object_object_add(j->out, "paths_kept", json_object_new_boolean(kept));
}

/* ---- one lineage, start to end ---- */

static int load_conf(struct lineage_job *j)
{
	struct cbconf_section *root = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (asprintf(&j->conf_path, "%s/renewal/%s.conf", j->run->config_dir, j->name) < 0)
		return -ENOMEM;
	r = fs_read_file(j->conf_path, CBCONF_MAX, &text, &len);
	if (r < 0) {
		snprintf(j->why, sizeof(j->why), "%s: %s", j->conf_path,
			 r == -EFBIG ? "too large for a certbot renewal file" : acmed_strerror(r));
		return r;
	}
	r = cbconf_parse(text, len, j->conf_path, &root, j->why, sizeof(j->why));
	if (r == 0)
		r = certbot_map(root, j->conf_path, j->name, &j->cb, j->why, sizeof(j->why));
	for (size_t i = 0; r == 0 && i < j->cb.nnotes; i++)
		json_object_array_add(json_object_object_get(j->out, "notes"),
				      json_object_new_string(j->cb.notes[i]));
	cbconf_free(root);
	free(text);
	return r;
}

/* What acmed.service allows, against this lineage: each web root must be
 * one the unit (or a drop-in of it) lets acmed write into, or its renewals
 * will fail; say so with the fix, once a path. Hooks run as certbot ran
 * them (a transient unit of their own, outside acmed's sandbox): said so. */
static int check_unit_limits(struct lineage_job *j)
{
	struct json_object *notes = json_object_object_get(j->out, "notes");
	const struct authn_config *a = &j->cb.r.authn;
	char **extra = NULL, fix[600];
	size_t nextra = 0;
	int r = unit_dropin_paths(&extra, &nextra);

	for (size_t i = 0; r == 0 && i < a->nwebroot; i++) {
		const char *p = a->webroot[i].path;
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen = seen || streq(a->webroot[k].path, p);
		if (seen || !p || unit_allows_write(p, extra, nextra))
			continue;
		unit_dropin_hint(fix, sizeof(fix), p, false);
		import_note(notes, "under %s, acmed may not write into webroot %s (not one of "
				   "the unit's web roots, nor in a drop-in): its renewals will fail "
				   "until you allow it: %s",
			    UNIT_SERVICE, p, fix);
	}
	strv_free(extra, nextra);
	if (r == 0 && (j->cb.r.pre_hook || j->cb.r.deploy_hook || j->cb.r.post_hook))
		import_note(notes, "its hooks run as certbot ran them, as root; under %s in a "
				   "transient unit of their own, outside acmed's sandbox "
				   "(hook_runner, docs/systemd.md)",
			    UNIT_SERVICE);
	return r;
}

/* The archive, the certificate's names and the key kind. */
static int load_archive(struct lineage_job *j)
{
	struct store_import_version *live;
	char err[256];
	int r = find_live_version(j);

	if (r == 0)
		r = read_archive(j);
	if (r < 0)
		return r;
	live = live_version(j);
	if (!live) {
		snprintf(j->why, sizeof(j->why), "%s: version %d is not in %s", j->cb.live[1],
			 j->live, j->cb.archive_dir);
		return -EINVAL;
	}
	if (store_check_pems(&live->pems, err, sizeof(err)) < 0) {
		snprintf(j->why, sizeof(j->why), "version %d, which live/ points at: %s", j->live,
			 err);
		return -EINVAL;
	}
	for (size_t i = 0; i < j->nversions; i++)
		if (j->versions[i].version != j->live &&
		    store_check_pems(&j->versions[i].pems, err, sizeof(err)) < 0)
			import_note(json_object_object_get(j->out, "notes"), "version %d is copied as it is, but it is "
						      "not whole: %s",
						      j->versions[i].version, err);
	r = take_domains(j, &live->pems);
	if (r == 0 && !j->cb.key_type_given)
		r = key_from_current(j, &live->pems);
	if (r == 0) {
		char *nginx = fs_join(j->run->state_dir, "nginx/webroot");

		r = nginx ? certbot_complete_webroots(&j->cb, j->cb.r.domains, j->cb.r.ndomains,
						      nginx, j->why, sizeof(j->why))
			  : -ENOMEM;
		free(nginx);
	}
	if (r == 0)
		r = check_unit_limits(j);
	return r;
}

/* The renewal file acmed will read: it must read it back the same. */
static int check_renewal(struct lineage_job *j)
{
	struct renewal back = { 0 };
	char *text = NULL, file[300];
	int r;

	j->cb.r.account = xstrdup(j->account_id);
	r = renewal_format(&j->cb.r, &text);
	snprintf(file, sizeof(file), "renewal/%s.conf", j->name);
	if (r == 0)
		r = renewal_parse(text, file, &back, j->why, sizeof(j->why));
	renewal_clear(&back);
	free(text);
	return r;
}

/* acmed has a lineage of this name: the same one (imported before), or a
 * different one (left alone)? */
static int compare_existing(struct lineage_job *j)
{
	const struct store_import_version *live = live_version(j);
	char *ours = NULL;
	int r = store_read_cert_version(j->run->store, j->name, j->live, &ours);

	if (r == 0 && streq(ours, live->pems.cert)) {
		free(ours);
		return 0;
	}
	free(ours);
	snprintf(j->why, sizeof(j->why), "acmed already has a lineage named %s with other "
					 "certificates: delete it first or leave this one to certbot",
		 j->name);
	return -EEXIST;
}

static void add_versions(struct lineage_job *j)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < j->nversions; i++)
		json_object_array_add(a, json_object_new_int(j->versions[i].version));
	json_object_object_add(j->out, "versions", a);
	json_object_object_add(j->out, "live_version", json_object_new_int(j->live));
	json_object_object_add(j->out, "authenticator", json_object_new_string(j->cb.r.authn.name));
	json_object_object_add(j->out, "account", json_object_new_string(j->account_id));
}

/* --keep-paths, and the report of the paths. A failure is a note: the
 * lineage is imported all the same ("paths_kept" says false). */
static void relink(struct lineage_job *j)
{
	bool kept = false;

	if (j->run->keep_paths && !j->run->dry_run) {
		kept = keep_paths(j) == 0;
		if (!kept)
			json_object_array_add(json_object_object_get(j->out, "notes"),
					      json_object_new_string(j->why));
	}
	report_paths(j, kept);
}

/* Returns the result: "imported", "would import", "already imported". */
static const char *import_steps(struct lineage_job *j)
{
	struct import_run *run = j->run;
	int r;

	if (load_conf(j) < 0)
		return NULL;
	if (paths_kept(j)) {
		report_paths(j, true);
		return "already imported";
	}
	if (load_archive(j) < 0 || import_account(j) < 0 || check_renewal(j) < 0)
		return NULL;
	add_versions(j);
	if (run->store && store_exists(run->store, j->name)) {
		if (compare_existing(j) < 0)
			return NULL;
		relink(j);
		return "already imported";
	}
	if (run->dry_run) {
		report_paths(j, false);
		return "would import";
	}
	r = store_import(run->store, j->name, j->versions, j->nversions, j->live, j->why,
			 sizeof(j->why));
	if (r == 0 && (r = store_renewal_save(run->store, &j->cb.r)) < 0)
		snprintf(j->why, sizeof(j->why), "saving renewal/%s.conf: %s", j->name,
			 acmed_strerror(r));
	if (r < 0)
		return NULL;
	relink(j);
	return "imported";
}

void import_lineage(struct import_run *run, const char *name)
{
	struct lineage_job j = { .run = run, .name = name, .out = json_object_new_object() };
	const char *result;

	json_object_object_add(j.out, "name", json_object_new_string(name));
	json_object_object_add(j.out, "notes", json_object_new_array());
	result = import_steps(&j);
	json_object_object_add(j.out, "result", json_object_new_string(result ? result
									       : "skipped"));
	if (!result)
		json_object_object_add(j.out, "reason", json_object_new_string(j.why));
	json_object_array_add(run->lineages, j.out);
	lineage_job_clear(&j);
}

