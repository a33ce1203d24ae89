/* webroot: write each key authorization to
 * WEBROOT/.well-known/acme-challenge/TOKEN for the web server to serve. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "jws.h"
#include "log.h"
#include "plugins/plugin.h"
#include "unitlimits.h"
#include "util.h"

#define CHALLENGE_DIR ".well-known/acme-challenge"
/* How often a response is written again when its directory vanished under
 * it (removed by another job's cleanup). */
#define WEBROOT_TRIES 10

struct created {
	char *path;
	bool is_dir;
};

struct authn_state {
	struct created *items; /* in creation order; removed in reverse */
	size_t n;
};

struct authn_job {
	const struct authn_config *cfg;
};

static void webroot_teardown(struct authn_job *job)
{
	free(job);
}

/* The error for a web root ROOT that access() refused with E; under
 * acmed.service, with the drop-in that fixes it: EROFS is the unit's
 * ProtectSystem=strict, EACCES (for root) a missing CAP_DAC_OVERRIDE. */
static void not_writable(const char *root, int e, char *err, size_t errlen)
{
	char fix[400];

	if (!unit_running() || (e != EROFS && e != EACCES)) {
		snprintf(err, errlen, "webroot %s is not writable: %s", root, strerror(e));
		return;
	}
	unit_dropin_hint(fix, sizeof(fix), root, e == EACCES);
	snprintf(err, errlen, "webroot %s is not writable: %s: %s lets acmed write only into "
			      "the web roots it lists (docs/systemd.md); to allow this one, %s",
		 root, strerror(e), UNIT_SERVICE, fix);
}

static int webroot_setup(const struct authn_setup *s, struct authn_job **job, char *err,
			 size_t errlen)
{
	const struct authn_config *cfg = s->cfg;

	for (size_t i = 0; i < s->ndomains; i++) {
		const char *root = authn_webroot_for(cfg, s->domains[i]);
		struct stat st;

		if (!root) {
			snprintf(err, errlen, "no webroot for %s: give -w DIR before its -d",
				 s->domains[i]);
			return ACMED_EUSAGE;
		}
		if (root[0] != '/') {
			snprintf(err, errlen, "webroot %s is not an absolute path", root);
			return ACMED_EUSAGE;
		}
		if (stat(root, &st) < 0) {
			snprintf(err, errlen, "webroot %s %s%s: give the directory the web server "
					      "serves /.well-known/acme-challenge/ from", root,
				 errno == ENOENT ? "does not exist" : "cannot be reached: ",
				 errno == ENOENT ? "" : strerror(errno));
			return -ENOENT;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "webroot %s is not a directory: give the directory the "
					      "web server serves /.well-known/acme-challenge/ from",
				 root);
			return -ENOTDIR;
		}
		if (access(root, W_OK | X_OK) < 0) {
			not_writable(root, errno, err, errlen);
			return -EACCES;
		}
	}
	*job = calloc(1, sizeof(**job));
	if (!*job)
		return -ENOMEM;
	(*job)->cfg = cfg;
	return 0;
}

static int remember(struct authn_state *st, const char *path, bool is_dir)
{
	struct created *v = realloc(st->items, (st->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	st->items = v;
	v[st->n].path = strdup(path);
	if (!v[st->n].path)
		return -ENOMEM;
	v[st->n++].is_dir = is_dir;
	return 0;
}

/* Create ROOT/.well-known and ROOT/.well-known/acme-challenge as needed,
 * world-readable so the web server can enter them. */
static int make_dirs(struct authn_state *st, const char *root, char *err, size_t errlen)
{
	const char *parts[] = { ".well-known", CHALLENGE_DIR };

	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		char *p = fs_join(root, parts[i]);
		int r = 0;

		if (!p)
			return -ENOMEM;
		if (mkdir(p, 0755) == 0) {
			r = remember(st, p, true);
		} else if (errno != EEXIST) {
			r = -errno;
			snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
		}
		free(p);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_response(struct authn_state *st, const char *dir,
			  const struct authn_challenge *c, char *err, size_t errlen)
{
	char *path = fs_join(dir, c->token);
	int fd, r = 0;
	size_t len = strlen(c->key_authorization);

	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, c->key_authorization, len) != (ssize_t)len) {
		r = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	} else {
		r = remember(st, path, false);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

static void webroot_cleanup(struct authn_job *job, struct authn_state *st)
{
	(void)job;
	if (!st)
		return;
	for (size_t i = st->n; i-- > 0;) {
		int r = st->items[i].is_dir ? rmdir(st->items[i].path) : unlink(st->items[i].path);

		/* A directory someone else put files in stays. */
		if (r < 0 && errno != ENOENT && errno != ENOTEMPTY)
			log_warning("could not remove %s: %s", st->items[i].path, strerror(errno));
		free(st->items[i].path);
	}
	free(st->items);
	free(st);
}

static int webroot_perform(struct authn_job *job, const struct authn_challenge *chal, size_t n,
			   struct authn_state **out, char *err, size_t errlen)
{
	const struct authn_config *cfg = job->cfg;
	struct authn_state *st = calloc(1, sizeof(*st));
	mode_t umask_was;
	int r = 0;

	if (!st)
		return -ENOMEM;
	/* The web server must read what is made here (0755 directories, 0644
	 * files), whatever acmed's umask (0077 under its unit); the worker may
	 * not chmod (sandbox.h). */
	umask_was = umask(022);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *root = authn_webroot_for(cfg, chal[i].identifier);
		char *dir;

		/* The token comes from the CA: it must be base64url before it
		 * becomes part of a path (no "/", no ".."). */
		if (!b64url_valid(chal[i].token)) {
			snprintf(err, errlen, "the CA sent a token that is not base64url for %s",
				 chal[i].identifier);
			r = ACMED_EPROTO;
			break;
		}
		if (!root) {
			snprintf(err, errlen, "no webroot for %s", chal[i].identifier);
			r = ACMED_EUSAGE;
			break;
		}
		/* Jobs run side by side: another job's cleanup removes the
		 * directories it made once they are empty, which may be
		 * between this job's mkdir and its write. Then they are made
		 * again (and are this job's to remove). */
		for (int tries = 0; tries < WEBROOT_TRIES; tries++) {
			r = make_dirs(st, root, err, errlen);
			if (r == 0) {
				dir = fs_join(root, CHALLENGE_DIR);
				r = dir ? write_response(st, dir, &chal[i], err, errlen) : -ENOMEM;
				free(dir);
			}
			if (r != -ENOENT)
				break;
		}
	}
	umask(umask_was);
	if (r < 0) {
		webroot_cleanup(job, st);
		return r;
	}
	*out = st;
	return 0;
}

const struct authenticator authn_webroot = {
	.setup = webroot_setup,
	.perform = webroot_perform,
	.cleanup = webroot_cleanup,
	.teardown = webroot_teardown,
};
