/* acmectl store migrate --to etcd: copy this host's lineages into etcd
 * (cluster mode, docs/cluster.md): the accounts first (each key sealed),
 * then every version's certificate, chain and private key (sealed), the
 * renewal settings, and the current version.
 * Resumable: a version already in etcd with the same contents is skipped,
 * one with other contents stops that lineage. Verified: each version is
 * read back from etcd, its key opened, and compared with the local files.
 * acmectl does it itself, from acmed.conf, reading the state directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "config.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/store_migrate.h"
#include "ctl/verbs.h"
#include "etcd/etcd_store.h"
#include "etcd/etcd_sync.h"
#include "store/renewal.h"
#include "store/store.h"

enum { O_CONFIG = 256, O_TO, O_NAME };

const struct option store_options[] = {
	{ "config", required_argument, NULL, O_CONFIG },
	{ "to", required_argument, NULL, O_TO },
	{ "cert-name", required_argument, NULL, O_NAME },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

static const char usage[] =
	"Usage: acmectl store migrate --to etcd|local [--config FILE] [--cert-name NAME]\n\n"
	"--to etcd: copy this host's ACME accounts and lineages (every version, the\n"
	"private keys sealed with the cluster key, the renewal settings, the current\n"
	"version) into etcd, as acmed.conf's etcd settings say; with --cert-name, only\n"
	"those lineages (no accounts).\n"
	"--to local: copy the cluster's accounts and lineages from etcd into this\n"
	"host's state directory (every version, the keys opened, live/ at the\n"
	"cluster's current version, the renewal file last); with --cert-name, only\n"
	"those lineages (no accounts); a file here that differs is never replaced.\n"
	"Run it again after an interruption: what is there already with the same\n"
	"contents is skipped. Each account and version is read back and compared.\n";

struct migrate {
	struct store *local;
	struct estore *etcd;
	int copied, present, failed;
	int accounts_copied, accounts_present;
};

/* Account SERVERDIR/ID: copy, then read back and compare. */
static int migrate_account(struct migrate *m, const char *serverdir, const char *id)
{
	char *json = NULL, *key = NULL, *bjson = NULL, *bkey = NULL, err[1024] = "";
	bool added = false;
	int r = store_account_read_files(m->local, serverdir, id, &json, &key);

	if (r < 0)
		snprintf(err, sizeof(err), "%s", acmed_strerror(r));
	if (r == 0)
		r = estore_put_account(m->etcd, serverdir, id, json, key, &added, err, sizeof(err));
	if (r == 0)
		r = estore_read_account(m->etcd, serverdir, id, &bjson, &bkey, err, sizeof(err));
	if (r == 0 && (!streq(bkey, key) || (json && !streq(bjson, json)))) {
		snprintf(err, sizeof(err), "it reads back from etcd otherwise than written");
		r = ACMED_EMISMATCH;
	}
	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: account %s/%s: %s\n", serverdir, id, err);
		m->failed++;
	} else {
		(*(added ? &m->accounts_copied : &m->accounts_present))++;
	}
	str_free_secret(key);
	str_free_secret(bkey);
	free(json);
	free(bjson);
	return r;
}

/* Every account, before the lineages that use them. */
static int migrate_accounts(struct migrate *m)
{
	char **dirs = NULL, **ids = NULL;
	size_t n = 0;
	int r = store_account_list_all(m->local, &dirs, &ids, &n);

	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: listing the accounts: %s\n",
			       acmed_strerror(r));
		return r;
	}
	for (size_t i = 0; i < n; i++)
		migrate_account(m, dirs[i], ids[i]);
	if (n)
		client_printf("%zu account%s: %d copied, %d already in etcd\n", n,
			      n == 1 ? "" : "s", m->accounts_copied, m->accounts_present);
	strv_free(dirs, n);
	strv_free(ids, n);
	return 0;
}

/* Version N: copy, then read back and compare. */
static int migrate_version(struct migrate *m, const char *name, int n, char *err, size_t errlen)
{
	struct version_pems v = { 0 }, back = { 0 };
	bool added = false;
	int r = store_read_version(m->local, name, n, &v);

	if (r == -ENOENT)
		return 0; /* a version removed from the archive */
	if (r < 0)
		snprintf(err, errlen, "version %d: %s", n, acmed_strerror(r));
	if (r == 0)
		r = estore_put_version(m->etcd, name, n, &v, &added, err, errlen);
	if (r == 0)
		r = estore_read_version(m->etcd, name, n, &back, err, errlen);
	if (r == 0 && (!streq(back.cert, v.cert) || !streq(back.chain, v.chain) ||
		       !streq(back.privkey, v.privkey))) {
		snprintf(err, errlen, "version %d reads back from etcd otherwise than written", n);
		r = ACMED_EMISMATCH;
	}
	if (r == 0)
		(*(added ? &m->copied : &m->present))++;
	version_pems_clear(&v);
	version_pems_clear(&back);
	return r;
}

/* RAW (a renewal file's text, from WHAT) checked as lineage NAME's, and its
 * settings as a publish writes them (renewal_format_settings()). */
static int settings_text(const char *name, const char *raw, const char *what, char **text,
			 char *err, size_t errlen)
{
	struct renewal rn;
	int r = renewal_parse(raw, what, &rn, err, errlen);

	if (r < 0)
		return r;
	if (!rn.name || !streq(rn.name, name)) {
		snprintf(err, errlen, "%s is not the renewal settings of %s", what, name);
		r = -EINVAL;
	}
	if (r == 0 && (r = renewal_format_settings(&rn, text)) < 0)
		snprintf(err, errlen, "%s: %s", what, acmed_strerror(r));
	renewal_clear(&rn);
	return r;
}

/* The settings of the renewal file at PATH, lineage NAME's. */
static int settings_of(const char *name, const char *path, char **text, char *err,
		       size_t errlen)
{
	char *raw = NULL;
	int r = fs_read_file(path, 1 << 20, &raw, NULL);

	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, acmed_strerror(r));
	else
		r = settings_text(name, raw, path, text, err, errlen);
	free(raw);
	return r;
}

static int migrate_renewal(struct migrate *m, const char *name, char *err, size_t errlen)
{
	char *path = store_renewal_path(m->local, name), *text = NULL;
	int r = path ? settings_of(name, path, &text, err, errlen) : -ENOMEM;

	if (!path)
		snprintf(err, errlen, "%s", acmed_strerror(r));
	if (r == 0)
		r = estore_put_renewal(m->etcd, name, text, err, errlen);
	free(text);
	free(path);
	return r;
}

int migrate_push_renewal(const char *config, const char *prefix, const char *name,
			 const char *settings, char *err, size_t errlen)
{
	const char *path = config ? config : ACMED_SYSCONFDIR "/acmed.conf";
	struct acmed_config cfg;
	struct estore *etcd = NULL;
	char *text = NULL;
	int r = client_load_config(config, &cfg, err, errlen);

	/* The daemon's cluster, not another one this acmed.conf names. */
	if (r == 0 && (!cfg.storage || !streq(cfg.storage, "etcd") ||
		       !streq(estore_cfg_prefix(&cfg), prefix))) {
		snprintf(err, errlen, "%s is not the configuration of acmed's cluster (storage "
				      "\"etcd\", etcd_prefix \"%s\")", path, prefix);
		r = -EINVAL;
	}
	/* Settings for NAME, whole, before anything reaches etcd. */
	if (r == 0)
		r = settings_text(name, settings, "acmed's settings", &text, err, errlen);
	if (r == 0)
		r = estore_open(&cfg, &etcd, err, errlen);
	if (r == 0)
		r = estore_put_renewal(etcd, name, text, err, errlen);
	estore_close(etcd);
	config_clear(&cfg);
	free(text);
	return r;
}

static int migrate_lineage(struct migrate *m, const char *name)
{
	char err[1024] = "";
	int live = 0, current = 0, before = m->copied, had = m->present;
	int r = store_live_version(m->local, name, &live);

	if (r < 0)
		snprintf(err, sizeof(err), "no live version: %s", acmed_strerror(r));
	for (int n = 1; r == 0 && n <= live; n++)
		r = migrate_version(m, name, n, err, sizeof(err));
	if (r == 0)
		r = migrate_renewal(m, name, err, sizeof(err));
	if (r == 0)
		r = estore_set_current(m->etcd, name, live, &current, err, sizeof(err));
	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: %s: %s\n", name, err);
		m->failed++;
		return r;
	}
	client_printf("%s: %d version%s copied, %d already in etcd; current version %d%s\n", name,
		      m->copied - before, m->copied - before == 1 ? "" : "s", m->present - had,
		      current, current > live ? " (newer in etcd than here)" : "");
	return 0;
}

static int migrate(const struct acmed_config *cfg, char **names, size_t nnames)
{
	struct migrate m = { 0 };
	char **all = NULL, err[1024];
	size_t nall = 0;
	int r = store_open(cfg->state_dir, false, &m.local);

	if (r < 0) {
		client_fprintf(stderr, "acmectl: error: %s: %s\n", cfg->state_dir, acmed_strerror(r));
		return EXIT_FAILED;
	}
	r = estore_open(cfg, &m.etcd, err, sizeof(err));
	if (r < 0)
		client_fprintf(stderr, "acmectl: error: %s\n", err);
	if (r == 0 && !nnames)
		r = migrate_accounts(&m);
	if (r == 0 && !nnames && (r = store_list(m.local, &all, &nall)) == 0) {
		names = all;
		nnames = nall;
	}
	for (size_t i = 0; r == 0 && i < nnames; i++)
		migrate_lineage(&m, names[i]);
	if (r == 0)
		client_printf("%zu lineage%s: %d versions copied, %d already in etcd, %d failed.\n",
			      nnames, nnames == 1 ? "" : "s", m.copied, m.present, m.failed);
	strv_free(all, nall);
	estore_close(m.etcd);
	store_close(m.local);
	return r < 0 || m.failed ? EXIT_FAILED : EXIT_OK;
}

int verb_store(struct client *cl, int argc, char **argv)
{
	const char *config = NULL, *to = NULL;
	char **names = NULL, err[1024];
	size_t nnames = 0;
	struct acmed_config cfg;
	int c, rc = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", store_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_CONFIG: config = optarg; break;
		case O_TO: to = optarg; break;
		case O_NAME: {
			char **grown = realloc(names, (nnames + 1) * sizeof(*names));

			if (!grown)
				goto out;
			names = grown;
			names[nnames++] = optarg; /* borrowed from argv */
			break;
		}
		case 'h': client_fprintf(stdout, "%s", usage); rc = EXIT_OK; goto out;
		default: client_fprintf(stderr, "Try 'acmectl store --help'.\n"); goto out;
		}
	}
	if (optind + 1 != argc || !streq(argv[optind], "migrate") || !to ||
	    (!streq(to, "etcd") && !streq(to, "local"))) {
		client_fprintf(stderr, "acmectl store: %s\nTry 'acmectl store --help'.\n",
			       optind + 1 != argc || !streq(argv[optind], "migrate")
				       ? "the command is migrate"
				       : "--to etcd or --to local");
		goto out;
	}
	rc = EXIT_FAILED;
	if (client_load_config(config, &cfg, err, sizeof(err)) < 0)
		client_fprintf(stderr, "acmectl: error: %s\n", err);
	else if (streq(to, "local"))
		rc = migrate_to_local(&cfg, names, nnames);
	else
		rc = migrate(&cfg, names, nnames);
	config_clear(&cfg);
out:
	free(names);
	return rc;
}
