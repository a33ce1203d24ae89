/* acmed-watch's loop (watcher.h): resync or resume, then watch the
 * prefix in bounded rounds, keeping this host's record in etcd alive
 * between them, and tell the daemon when etcd stops or starts answering. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "daemon/watch/apply.h"
#include "daemon/watch/watcher.h"
#include "error.h"
#include "fsutil.h"
#include "log.h"
#include "text.h"
#include "util.h"

#define REVISION_FILE "cluster.revision"
#define HOST_TTL 15         /* seconds: hosts/HOST goes this long after the watcher */
#define WATCH_ROUND_MS 5000 /* one watch, then the keep-alive */
#define RETRY_SECONDS 3     /* while etcd does not answer */

struct watcher {
	struct watch_ctx c;
	int state_fd;
	int64_t seen;       /* every change to a lineage or an account up to
			     * here is applied or pending */
	int64_t watch_from; /* the last revision the watch returned (other
			     * hosts' records too): the next watch starts after */
	int64_t saved;      /* what REVISION_FILE says */
	int64_t lease;
	bool resync;        /* a full resync is due */
	bool accounts;      /* an account changed */
	bool down;          /* etcd did not answer last time */
	bool host_put;      /* hosts/HOST is written on the current lease */
	time_t kept;        /* when the lease was last kept alive */
};

static int64_t load_revision(int state_fd)
{
	char *text = NULL;
	long long v = 0;

	if (fs_read_fileat(state_fd, REVISION_FILE, 64, &text, NULL) == 0 &&
	    sscanf(text, "%lld", &v) != 1)
		v = 0;
	free(text);
	return v > 0 ? v : 0;
}

/* The revision a restart resumes from: only once nothing is pending, so
 * nothing before it is left undone. */
static void save_revision(struct watcher *w)
{
	char buf[32];
	int n, r;

	if (w->c.npending || w->seen <= w->saved)
		return;
	n = snprintf(buf, sizeof(buf), "%lld\n", (long long)w->seen);
	r = fs_write_durable(w->state_fd, REVISION_FILE, buf, (size_t)n, 0644, 0);
	if (r < 0)
		log_warning(REVISION_FILE ": %s: a restart resyncs from an older revision",
			    acmed_strerror(r));
	else
		w->saved = w->seen;
	w->host_put = false; /* the record says the revision */
}

static bool relevant(const char *what, char kind, const struct etcd_event *ev)
{
	if (kind == 'l')
		return streq(what, "current") || streq(what, "renewal") ||
		       (streq(what, "lock") && ev->type == ETCD_EVENT_DELETE);
	return kind == 'a' && streq(what, "key.sealed") && ev->type == ETCD_EVENT_PUT;
}

/* hosts/HOST on a lease of HOST_TTL, kept alive every third of it (not
 * every round: a round ends at each change another host publishes). */
static int keep_host(struct watcher *w, char *err, size_t errlen)
{
	struct etcd *e = estore_client(w->c.es);
	char text[256];
	int64_t ttl = 0;
	time_t now = time(NULL);
	bool due = !w->lease || now - w->kept >= HOST_TTL / 3 || now < w->kept;
	int r = !due ? 0 : w->lease ? etcd_lease_keepalive(e, w->lease, &ttl) : -ENOENT;

	if (r == -ENOENT) {
		w->lease = 0;
		w->host_put = false;
		r = etcd_lease_grant(e, HOST_TTL, &w->lease, &ttl);
	}
	if (r == 0 && due)
		w->kept = now;
	if (r == 0 && !w->host_put) {
		snprintf(text, sizeof(text),
			 "{\"revision\":%lld,\"version\":\"%s\",\"materialised\":%lld}",
			 (long long)w->saved, ACMED_VERSION, (long long)time(NULL));
		r = estore_put_host(w->c.es, w->c.host, text, w->lease, err, errlen);
		w->host_put = r == 0;
	} else if (r < 0) {
		snprintf(err, errlen, "%s", r == ACMED_EETCD ? etcd_errmsg(e) : acmed_strerror(r));
	}
	return r;
}

/* Each watched change: a lineage's current version, lock or renewal
 * settings, or an account's key; noted, applied once the round ends. */
static int on_events(const struct etcd_event *ev, size_t nev, int64_t revision, void *ctx)
{
	struct watcher *w = ctx;
	bool any = false;

	for (size_t i = 0; i < nev; i++) {
		char *buf = NULL;
		const char *name, *what;
		char kind = estore_key_parts(estore_prefix(w->c.es), ev[i].kv.key, &buf, &name,
					     &what);

		if (kind && relevant(what, kind, &ev[i])) {
			any = true;
			if (kind == 'l')
				apply_pend(&w->c, name);
			else
				w->accounts = true;
		}
		free(buf);
	}
	if (nev && revision > w->watch_from)
		w->watch_from = revision;
	/* Nothing of ours (the watch set up, hosts' records): watch on. */
	if (!any)
		return 0;
	if (revision > w->seen)
		w->seen = revision;
	return 1; /* apply, then watch on from the next revision */
}

static int watch_round(struct watcher *w, char *err, size_t errlen)
{
	struct etcd *e = estore_client(w->c.es);
	int64_t compacted = 0;
	int r = etcd_watch(e, estore_prefix(w->c.es), true, w->watch_from + 1, WATCH_ROUND_MS,
			   on_events, w, &compacted);

	if (r == ACMED_ECOMPACTED) {
		log_warning("etcd has compacted its history past revision %lld: full resync",
			    (long long)w->watch_from);
		w->resync = true;
		return 0;
	}
	if (r < 0)
		snprintf(err, errlen, "%s", r == ACMED_EETCD ? etcd_errmsg(e) : acmed_strerror(r));
	return r;
}

/* One round: resync if due, the pending lineages, the host record, one
 * bounded watch. */
static int round_once(struct watcher *w, char *err, size_t errlen)
{
	int64_t rev = 0;
	int r = keep_host(w, err, errlen);

	if (r == 0 && w->resync && (r = apply_resync(&w->c, &rev, err, errlen)) == 0) {
		w->resync = false;
		w->seen = w->watch_from = rev;
		w->accounts = false;
	}
	if (r == 0 && w->accounts && (r = apply_accounts(&w->c, 0, err, errlen)) == 0)
		w->accounts = false;
	if (r == 0)
		r = apply_pending(&w->c, err, errlen);
	if (r == 0)
		save_revision(w);
	if (r == 0)
		r = watch_round(w, err, errlen);
	return r;
}

static void say_state(struct watcher *w, int r, const char *err)
{
	char clean[1024];

	if (r == 0 && w->down) {
		w->down = false;
		log_info("etcd answers again");
		apply_tell(&w->c, "{\"event\":\"etcd\",\"state\":\"up\"}");
	} else if (r < 0 && !w->down) {
		w->down = true;
		snprintf(clean, sizeof(clean), "%s", err);
		text_clean(clean);
		/* A JSON string: no quote or backslash in it. */
		for (char *p = clean; *p; p++)
			if (*p == '"' || *p == '\\')
				*p = '\'';
		log_error("etcd does not answer: %s; serving what is here, retrying every %d s",
			  clean, RETRY_SECONDS);
		apply_tell(&w->c, "{\"event\":\"etcd\",\"state\":\"down\",\"error\":\"%s\"}", clean);
	}
}

int watcher_run(const struct acmed_config *cfg, struct store *st, struct estore *es,
		const char *host, int ev_fd)
{
	struct watcher w = { .c = { .st = st, .es = es, .host = host, .ev_fd = ev_fd } };

	w.state_fd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.state_fd < 0)
		return -errno;
	w.saved = w.seen = w.watch_from = load_revision(w.state_fd);
	w.resync = w.seen == 0;
	log_info("acmed-watch: host %s, %s from revision %lld", host,
		 w.resync ? "full resync, then watching" : "watching", (long long)w.seen);
	for (;;) {
		char err[1024] = "";
		int r = round_once(&w, err, sizeof(err));

		if (r < 0 && r != ACMED_EETCD && r != -ENOENT) {
			log_error("acmed-watch: %s", err[0] ? err : acmed_strerror(r));
			break;
		}
		say_state(&w, r == 0 ? 0 : -1, err);
		if (r < 0) {
			/* Keep serving; nothing local is removed. */
			w.host_put = false;
			sleep(RETRY_SECONDS);
		}
	}
	strv_free(w.c.pending, w.c.npending);
	strv_free(w.c.held, w.c.nheld);
	close(w.state_fd);
	return -EIO;
}
