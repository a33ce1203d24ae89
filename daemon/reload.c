/* acmed.conf and the renewal files read again, all or nothing (SIGHUP,
 * `acmectl reload`); and the reading both start-up and reloads do. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "config.h"
#include "daemon/control/peer.h"
#include "daemon/notify.h"
#include "daemon/metrics.h"
#include "daemon/reload.h"
#include "error.h"
#include "fsutil.h"
#include "log.h"
#include "util.h"

/* Config file first, then command-line flags over it, into CFG (cleared
 * on error). ERR says what is wrong. */
int daemon_read_config(const struct daemon_options *o, struct acmed_config *cfg, char *err,
		       size_t errlen)
{
	enum log_level lvl;
	int r = config_defaults(cfg);

	if (r == 0)
		r = config_load(o->config ? o->config : ACMED_SYSCONFDIR "/acmed.conf", !o->config,
				cfg, err, errlen);
	if (r == 0 && ((o->state_dir && (r = config_set_string(&cfg->state_dir, o->state_dir))) ||
		       (o->socket && (r = config_set_string(&cfg->socket_path, o->socket))) ||
		       (o->server && (r = config_set_string(&cfg->server, o->server))) ||
		       (o->ca_bundle && (r = config_set_string(&cfg->ca_bundle, o->ca_bundle))) ||
		       (o->log_level && (r = config_set_string(&cfg->log_level, o->log_level)))))
		snprintf(err, errlen, "out of memory");
	if (r == 0 && log_parse_level(cfg->log_level, &lvl) < 0) {
		snprintf(err, errlen, "--log-level %s: must be error, warning, info or debug",
			 cfg->log_level);
		r = -EINVAL;
	}
	if (r == 0 && strncmp(cfg->server, "https://", 8) != 0) {
		snprintf(err, errlen, "--server %s: must be an https:// URL", cfg->server);
		r = -EINVAL;
	}
	/* Read as the workers' HTTP client will (http.h): a regular file. */
	if (r == 0 && cfg->ca_bundle) {
		char *pem = NULL;

		r = fs_read_file(cfg->ca_bundle, 4 * 1024 * 1024, &pem, NULL);
		free(pem);
		if (r < 0)
			snprintf(err, errlen, "CA bundle %s: %s", cfg->ca_bundle, acmed_strerror(r));
	}
	if (r < 0)
		config_clear(cfg);
	return r;
}

/* The gids of CFG's read and admin groups: a missing read group (the
 * default "acmed" when the package made none) leaves reading to root. */
int daemon_resolve_groups(const struct acmed_config *cfg, gid_t *read_gid, gid_t *admin_gid,
			  char *err, size_t errlen)
{
	if (peer_group(cfg->admin_group, admin_gid) < 0) {
		snprintf(err, errlen, "admin_group: there is no group named '%s'", cfg->admin_group);
		return ACMED_ECONFIG;
	}
	if (peer_group(cfg->read_group, read_gid) < 0)
		log_debug("there is no group '%s': only root may use acmectl", cfg->read_group);
	return 0;
}

/* The state directory's renewal/, renewal-hooks/ and deploy-pending/
 * decide what runs as root (renewal files and deploy records name hooks):
 * trusted (fs_check_trusted_path()), or acmed does not start (or reload).
 * A missing renewal-hooks/ or deploy-pending/ is fine. */
int daemon_check_trusted_dirs(const char *state_dir, char *err, size_t errlen)
{
	static const char *const dirs[] = { "renewal", "renewal-hooks", "deploy-pending" };
	int r = 0;

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(dirs); i++) {
		char *p = fs_join(state_dir, dirs[i]);

		if (!p)
			return -ENOMEM;
		if (i == 0 || access(p, F_OK) == 0)
			r = fs_check_trusted_path(p, err, errlen);
		free(p);
	}
	return r;
}

/* Keep what the scheduler learnt of each certificate that is still there. */
static void carry_over(struct cert_index *to, struct cert_index *from)
{
	for (size_t i = 0; i < to->n; i++) {
		struct lineage_entry *e = &to->v[i], *old = index_get(from, e->name);

		if (old && e->have_cert && old->have_cert && streq(e->cert.serial, old->cert.serial)) {
			e->sched = old->sched;
			memset(&old->sched, 0, sizeof(old->sched));
		}
	}
}

int daemon_reload(struct daemon *d, char *msg, size_t msglen)
{
	struct acmed_config cfg;
	struct cert_index ix = { 0 };
	enum log_level lvl;
	gid_t read_gid, admin_gid;
	int r, quarantined = 0;

	msg[0] = '\0';
	notify_reloading();
	r = daemon_read_config(d->opts, &cfg, msg, msglen);
	if (r == 0 && (r = daemon_resolve_groups(&cfg, &read_gid, &admin_gid, msg, msglen)) < 0)
		config_clear(&cfg);
	if (r < 0)
		goto refused;
	if (!streq(cfg.state_dir, d->cfg.state_dir) || !streq(cfg.socket_path, d->cfg.socket_path)) {
		snprintf(msg, msglen, "state_dir and socket cannot change while acmed runs: "
				      "restart it");
		r = ACMED_ECONFIG;
		goto refused;
	}
	r = daemon_check_trusted_dirs(d->cfg.state_dir, msg, msglen);
	if (r == 0)
		r = index_load(&ix, d->store);
	if (r < 0)
		goto refused;
	/* A renewal file that does not parse quarantines its lineage (never
	 * scheduled, never written, reported by `certificates`), as at start;
	 * it does not hold back the others. */
	quarantined = index_quarantined(&ix);
	carry_over(&ix, &d->index);
	index_clear(&d->index);
	d->index = ix;
	config_clear(&d->cfg);
	d->cfg = cfg;
	d->read_gid = read_gid;
	d->admin_gid = admin_gid;
	log_parse_level(d->cfg.log_level, &lvl);
	log_set_level(lvl);
	if (quarantined) {
		size_t used = (size_t)snprintf(msg, msglen, "reloaded acmed.conf and %zu renewal "
					   "files; %d quarantined (fix and reload):",
					   d->index.n - (size_t)quarantined, quarantined);

		for (size_t i = 0; i < d->index.n && used < msglen; i++)
			if (!d->index.v[i].have_conf)
				used += (size_t)snprintf(msg + used, msglen - used, " %s",
							 str_or_empty(d->index.v[i].problem));
		log_warning("%s", msg);
	} else {
		snprintf(msg, msglen, "reloaded acmed.conf and %zu renewal files", d->index.n);
		log_info("%s", msg);
	}
	d->dirty = true;
	if (!d->oneshot)
		metrics_apply(d); /* logs what fails; the reload stands */
	notify_ready(d);
	return 0;
refused:
	if (!*msg)
		snprintf(msg, msglen, "%s", acmed_strerror(r));
	log_error("reload refused, the running configuration stays: %s", msg);
	index_clear(&ix);
	config_clear(&cfg);
	notify_ready(d);
	return r;
}

