/* acmectl store migrate --to local: copy the cluster's lineages from etcd
 * back into this host's state directory (docs/cluster.md). Per lineage:
 * every version etcd has (the private key opened with the cluster key)
 * through store_import(), live/ pointed at the cluster's current version,
 * each version read back and compared, and the renewal file written last:
 * from then on the lineage exists here. Resumable: a file already here
 * with the same bytes is kept, a lineage already whole is skipped, and a
 * lineage here that lacks etcd's newer versions gets them. A file here
 * that differs is never replaced: the lineage is refused before anything
 * of it is written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/client.h"
#include "ctl/store_migrate.h"
#include "etcd/cluster_view.h"
#include "etcd/etcd_store.h"
#include "etcd/etcd_sync.h"
#include "store/renewal.h"
#include "store/store.h"

#define MIGRATE_PEM_MAX (256 * 1024)

struct back {
	struct store *local;
	struct estore *etcd;
	struct cview *view;
	int copied, present, failed;
	int accounts, accounts_copied, accounts_failed;
};

/* One lineage on its way: etcd's versions and renewal text. */
struct lineage {
	const char *name;
	int current;
	char *renewal;
	struct store_import_version *v;
	size_t n;
	char err[1024];
};

static void lineage_clear(struct lineage *l)
{
	for (size_t i = 0; i < l->n; i++)
		version_pems_clear(&l->v[i].pems);
	free(l->v);
	free(l->renewal);
}

/* The files of a version as the archive names them, and their text in V. */
static const char *const kinds[] = { "privkey", "cert", "chain", "fullchain" };

static char *pem_of(struct version_pems *v, size_t kind)
{
	char *const slots[] = { v->privkey, v->cert, v->chain, v->fullchain };

	return slots[kind];
}

/* Read from etcd: current, renewal text (it must parse), every version
 * 1..current there is (a gap is a version the archive had lost). */
static int read_cluster(struct back *b, struct lineage *l)
{
	struct renewal parsed = { 0 };
	char *cur = NULL;
	int r = cview_get(b->view, l->name, "current", &cur);

	if (r == 0 && (l->current = cview_parse_version(cur)) < 1)
		r = -EINVAL;
	if (r == 0)
		r = cview_get(b->view, l->name, "renewal", &l->renewal);
	if (r < 0)
		snprintf(l->err, sizeof(l->err), "%s",
			 r == ACMED_EETCD ? etcd_errmsg(cview_etcd(b->view))
			 : r == -EINVAL ? "its current version in etcd is not a version number"
			 : r == -ENOENT ? (cur ? "no renewal settings in etcd"
					       : "no current version in etcd")
					: acmed_strerror(r));
	if (r == 0)
		r = renewal_parse(l->renewal, "the renewal settings in etcd", &parsed, l->err,
				  sizeof(l->err));
	renewal_clear(&parsed);
	if (r == 0 && !(l->v = calloc((size_t)l->current, sizeof(*l->v))))
		r = -ENOMEM;
	for (int n = 1; r == 0 && n <= l->current; n++) {
		struct store_import_version *v = &l->v[l->n];

		r = estore_read_version(b->etcd, l->name, n, &v->pems, l->err, sizeof(l->err));
		if (r == -ENOENT && n < l->current) {
			r = 0; /* not in etcd: not copied */
			continue;
		}
		v->version = n;
		v->key_mode = 0600;
		v->key_gid = (gid_t)-1;
		l->n += r == 0;
	}
	free(cur);
	return r;
}

/* Compare FILE (in DIRFD) with TEXT: 0 same, -ENOENT absent, -EEXIST
 * different; or a read error. */
static int compare_file(int dirfd, const char *file, const char *text)
{
	char *have = NULL;
	size_t len = 0;
	int r = fs_read_fileat(dirfd, file, MIGRATE_PEM_MAX, &have, &len);

	if (r == 0 && (len != strlen(text) || memcmp(have, text, len) != 0))
		r = -EEXIST;
	if (have)
		explicit_bzero(have, len);
	free(have);
	return r;
}

/* Every file etcd's versions would write that is here already: the same
 * bytes, or the lineage is refused. *WHOLE: how many versions are here in
 * full. */
static int check_archive(struct back *b, struct lineage *l, int *whole)
{
	char *path = NULL, file[64];
	int dirfd, r = 0;

	*whole = 0;
	if (asprintf(&path, "%s/archive/%s", store_dir(b->local), l->name) < 0)
		return -ENOMEM;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		r = errno == ENOENT ? 0 : -errno;
		if (r < 0)
			snprintf(l->err, sizeof(l->err), "%s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		int same = 0;

		for (size_t k = 0; r == 0 && k < ELEMENTSOF(kinds); k++) {
			snprintf(file, sizeof(file), "%s%d.pem", kinds[k], l->v[i].version);
			r = compare_file(dirfd, file, pem_of(&l->v[i].pems, k));
			same += r == 0;
			if (r == -ENOENT)
				r = 0;
			else if (r < 0)
				snprintf(l->err, sizeof(l->err), "%s/%s %s; nothing of %s was written",
					 path, file, r == -EEXIST ? "differs from etcd's"
								  : acmed_strerror(r), l->name);
		}
		*whole += same == (int)ELEMENTSOF(kinds);
	}
	close(dirfd);
	free(path);
	return r;
}

/* Read every version back from here and compare it with etcd's. */
static int verify(struct back *b, struct lineage *l)
{
	int live = 0, r = store_live_version(b->local, l->name, &live);

	if (r == 0 && live != l->current)
		r = ACMED_EMISMATCH;
	if (r < 0)
		snprintf(l->err, sizeof(l->err), "live/%s is not at version %d", l->name, l->current);
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		struct version_pems here = { 0 };

		r = store_read_version(b->local, l->name, l->v[i].version, &here);
		for (size_t k = 0; r == 0 && k < ELEMENTSOF(kinds); k++)
			if (!streq(pem_of(&here, k), pem_of(&l->v[i].pems, k)))
				r = ACMED_EMISMATCH;
		if (r < 0)
			snprintf(l->err, sizeof(l->err), "version %d reads back otherwise than etcd "
				 "has it (%s)", l->v[i].version, acmed_strerror(r));
		version_pems_clear(&here);
	}
	return r;
}

/* The renewal file, last, never replacing one (with WRITE; else only
 * compared); read back. */
static int save_renewal(struct back *b, struct lineage *l, bool write)
{
	char *path = store_renewal_path(b->local, l->name);
	int r = !path ? -ENOMEM
		: write ? fs_write_path(path, l->renewal, strlen(l->renewal), 0600, FS_NOREPLACE)
			: 0;

	if (r == 0) {
		int dirfd = open(store_dir(b->local), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char file[512];

		snprintf(file, sizeof(file), "renewal/%s.conf", l->name);
		r = dirfd < 0 ? -errno : compare_file(dirfd, file, l->renewal);
		if (dirfd >= 0)
			close(dirfd);
	}
	if (r < 0)
		snprintf(l->err, sizeof(l->err), "%s: %s", path ? path : l->name,
			 r == -EEXIST ? "differs from etcd's renewal settings" : acmed_strerror(r));
	free(path);
	return r;
}

/* A lineage that has its renewal file here: the same renewal settings as
 * etcd's, or refused. The versions of etcd's it lacks (a host that left
 * the cluster before its watcher installed them) are added as the watcher
 * would: store_materialise(), which writes only what is missing, and
 * moves live/ forward to the cluster's current version, never back. */
static int complete_existing(struct back *b, struct lineage *l, int whole)
{
	int r = save_renewal(b, l, false);

	for (size_t i = 0; r == 0 && whole != (int)l->n && i < l->n; i++) {
		bool switched;

		r = store_materialise(b->local, l->name, l->v[i].version, &l->v[i].pems,
				      l->v[i].version == l->current, &switched, l->err,
				      sizeof(l->err));
	}
	if (r == 0)
		r = verify(b, l);
	return r;
}

static int migrate_back(struct back *b, struct lineage *l)
{
	int whole = 0, r = store_name_valid(l->name) ? 0 : -EINVAL;

	if (r < 0)
		snprintf(l->err, sizeof(l->err), "not a valid certificate name: never copied");
	else
		r = read_cluster(b, l);

	if (r == 0)
		r = check_archive(b, l, &whole);
	if (r == 0 && store_exists(b->local, l->name)) {
		r = complete_existing(b, l, whole);
	} else if (r == 0) {
		r = store_import(b->local, l->name, l->v, l->n, l->current, l->err,
				 sizeof(l->err));
		if (r == 0)
			r = verify(b, l);
		if (r == 0)
			r = save_renewal(b, l, true);
	}
	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: %s: %s\n", l->name, l->err);
		b->failed++;
		return r;
	}
	b->copied += (int)l->n - whole;
	b->present += whole;
	client_printf("%s: %d version%s copied, %d already here; current version %d\n", l->name,
		      (int)l->n - whole, (int)l->n - whole == 1 ? "" : "s", whole, l->current);
	return 0;
}

/* NAMES, or every lineage etcd has a current version of, into *ALL. */
static int list_names(struct back *b, char ***all, size_t *nall)
{
	struct cview_lineages ls;
	int r = cview_lineages(b->view, &ls);

	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: %s\n",
			       r == ACMED_EETCD ? etcd_errmsg(cview_etcd(b->view))
						: acmed_strerror(r));
		return r;
	}
	*all = calloc(ls.n + 1, sizeof(char *));
	for (size_t i = 0; *all && i < ls.n; i++) {
		if (ls.l[i].current < 1)
			continue; /* keys of a lineage never published */
		(*all)[(*nall)++] = ls.l[i].name; /* stolen */
		ls.l[i].name = NULL;
	}
	cview_lineages_clear(&ls);
	return *all ? 0 : -ENOMEM;
}

static int open_all(const struct acmed_config *cfg, struct back *b)
{
	char err[1024];
	int r = store_open(cfg->state_dir, true, &b->local);

	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: %s: %s\n", cfg->state_dir, acmed_strerror(r));
		return r;
	}
	if ((r = estore_open(cfg, &b->etcd, err, sizeof(err))) == 0)
		r = cview_open(cfg, &b->view, err, sizeof(err));
	if (r < 0)
		client_fprintf(stderr, "acmectl: error: %s\n", err);
	return r;
}

static int account_back(void *ctx, const char *acct, int r, bool added, const char *why)
{
	struct back *b = ctx;

	b->accounts++;
	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: %s\n", why);
		b->accounts_failed++;
	} else if (added) {
		b->accounts_copied++;
	}
	return 0;
}

/* Every account first, as --to etcd copies them: the lineages' renewal
 * files name them. */
static int accounts_back(struct back *b)
{
	char err[1024];
	int r = estore_install_accounts(b->etcd, b->local, 0, account_back, b, err, sizeof(err));

	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: the accounts: %s\n", err);
		return r;
	}
	client_printf("%d account%s: %d copied, %d already here%s\n", b->accounts,
		      b->accounts == 1 ? "" : "s", b->accounts_copied,
		      b->accounts - b->accounts_copied - b->accounts_failed,
		      b->accounts_failed ? ", some failed" : "");
	return 0;
}

int migrate_to_local(const struct acmed_config *cfg, char **names, size_t nnames)
{
	struct back b = { 0 };
	char **all = NULL;
	size_t nall = 0;
	int r = open_all(cfg, &b);

	if (r == 0 && !nnames)
		r = accounts_back(&b);
	if (r == 0 && !nnames && (r = list_names(&b, &all, &nall)) == 0) {
		names = all;
		nnames = nall;
	}
	for (size_t i = 0; r == 0 && i < nnames; i++) {
		struct lineage l = { .name = names[i] };

		migrate_back(&b, &l);
		lineage_clear(&l);
	}
	if (r == 0)
		client_printf("%zu lineage%s: %d version%s copied, %d already here, %d failed.\n",
			      nnames, nnames == 1 ? "" : "s", b.copied, b.copied == 1 ? "" : "s",
			      b.present, b.failed);
	strv_free(all, nall);
	cview_close(b.view);
	estore_close(b.etcd);
	store_close(b.local);
	return r < 0 || b.failed || b.accounts_failed ? EXIT_FAILED : EXIT_OK;
}
