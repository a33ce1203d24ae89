/* acmed-watch: this host's copy of a cluster's certificates (cluster mode,
 * docs/cluster.md "Materialise"). The daemon runs it as a supervised child
 * when storage = "etcd", and starts it again when it ends. It reads the
 * configuration as one JSON object on fd 0 ({"log", "config"}), tells the
 * daemon what it did as JSON lines on fd 3 (watcher.h), logs on stderr or
 * where the daemon logs, and runs until stopped. Its calls to etcd block:
 * that is why it is a process of its own, not part of the event loop.
 *
 * Confined with Landlock (docs/security.md): the state directory
 * read-write (it writes archive/, live/, renewal/, accounts/ and its
 * revision there), the cluster key and etcd's TLS files read-only, the
 * system's libraries and CA certificates; TCP stays open (etcd). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "config_cluster.h"
#include "daemon/privsep/sandbox.h"
#include "daemon/watch/watcher.h"
#include "error.h"
#include "etcd/etcd_store.h"
#include "ctlproto.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

#define SPEC_MAX (1024 * 1024)
/* Seconds an install waits for live/'s lock (store_set_live_wait()): its
 * host record's lease (15 s) must not lapse meanwhile. */
#define WATCH_LIVE_WAIT 5

static struct json_object *read_spec(void)
{
	return ctl_read_whole(0, SPEC_MAX);
}

static void confine(const struct acmed_config *cfg)
{
	struct sandbox_rule rules[32];
	const char *ro[] = { cfg->cluster_key_file, cfg->etcd_ca, cfg->etcd_cert, cfg->etcd_key };
	size_t n = 0;
	char err[512];
	int r;

	for (size_t i = 0; i < sandbox_nsystem && n < ELEMENTSOF(rules) - 8; i++)
		rules[n++] = sandbox_system[i];
	rules[n++] = (struct sandbox_rule){ cfg->state_dir, SANDBOX_READ_WRITE };
	for (size_t i = 0; i < ELEMENTSOF(ro); i++)
		if (ro[i])
			rules[n++] = (struct sandbox_rule){ ro[i], SANDBOX_READ };
	r = sandbox_apply(rules, n, false, err, sizeof(err));
	if (r == -EOPNOTSUPP)
		log_warning("acmed-watch: no Landlock on this kernel: not confined");
	else if (r < 0)
		log_warning("acmed-watch: not confined: %s", err);
}

int main(int argc, char **argv)
{
	struct json_object *spec = read_spec(), *cfgj = NULL;
	struct acmed_config cfg = { 0 };
	struct store *st = NULL;
	struct estore *es = NULL;
	char err[1024] = "", hostbuf[256];
	const char *host;
	enum log_level lvl;
	int r;

	(void)argc;
	(void)argv;
	prctl(PR_SET_NAME, "acmed-watch");
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	log_use_sink(jobj_str(spec, "log"));
	log_set_context(0, NULL, "watch");
	if (!spec || !json_object_object_get_ex(spec, "config", &cfgj) ||
	    config_from_json(cfgj, &cfg) < 0) {
		log_error("acmed-watch: no configuration on fd 0 (only acmed starts this program)");
		json_object_put(spec);
		return 2;
	}
	json_object_put(spec);
	if (log_parse_level(cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	host = config_cluster_host(&cfg, hostbuf, sizeof(hostbuf));
	r = store_open(cfg.state_dir, false, &st);
	if (r < 0)
		snprintf(err, sizeof(err), "%s: %s", cfg.state_dir, acmed_strerror(r));
	else /* not minutes behind a long hook: busy, it tries again later */
		store_set_live_wait(st, WATCH_LIVE_WAIT);
	/* Every file it needs is opened or named before it is confined. */
	if (r == 0)
		r = estore_open(&cfg, &es, err, sizeof(err));
	if (r == 0) {
		confine(&cfg);
		r = watcher_run(&cfg, st, es, host, 3);
		if (r < 0)
			snprintf(err, sizeof(err), "%s", acmed_strerror(r));
	}
	if (r < 0)
		log_error("acmed-watch: %s", err);
	estore_close(es);
	store_close(st);
	config_clear(&cfg);
	return 1;
}
