/* live/'s lock: the links of live/NAME never change while a hook that may
 * read them runs.
 *
 * Each link in live/NAME is switched by its own rename(). A reader that
 * opens fullchain.pem and then privkey.pem across a switch pairs a new
 * certificate with an old key: `nginx -s reload`, run by one lineage's
 * deploy hook while another lineage on the same host is switched, fails
 * on that lineage's "key values mismatch". So:
 *
 *   - a switch holds live/ exclusively (flock) for its renames and fsync.
 *     That is from before it writes archive/NAME/.intent until it has
 *     removed it, so a reader never sees a switch half done;
 *   - the daemon holds live/ shared while a pre, deploy or post hook runs
 *     (its hooks run one at a time), acmectl while it runs nginx -t or
 *     nginx -s reload, and `acmectl check` while it looks at a lineage;
 *   - archive/ is the writers' turnstile: a writer holds it exclusively
 *     from before it waits for live/ until it is done, and a reader that
 *     finds the turnstile taken backs off and tries again later. A queue
 *     of deploy hooks therefore never starves a waiting switch, which
 *     waits only for the readers there already (the running hook, an
 *     nginx -t), and gives up past the store's live wait (-EBUSY; ten
 *     minutes, the watcher's a few seconds: it tries again later).
 *
 * What it cannot cover: `nginx -s reload` (or systemctl reload) returns
 * once it has signalled nginx's master, which reads the certificates again
 * after the hook has ended; a switch then can make that reload fail (nginx
 * logs it and keeps the old configuration). The switched lineage's own
 * deploy hook reloads again after its switch, so nginx ends up serving
 * every new version.
 *
 * flock() locks belong to an open file description: each lock opens the
 * directory anew (O_CLOEXEC, so a hook never inherits it). */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/store.h"
#include "util.h"
#include "store/store_priv.h"

static int open_dir(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int lock_fd(int fd, int op)
{
	while (flock(fd, op) < 0)
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
	return 0;
}

void store_live_unlock(struct store_live_lock *l)
{
	if (l->live_fd >= 0)
		close(l->live_fd);
	if (l->gate_fd >= 0)
		close(l->gate_fd);
	l->live_fd = l->gate_fd = -1;
}

/* flock(FD, LOCK_EX) until DEADLINE (monotonic_now()): 0, -EBUSY past it, or
 * another error. */
static int lock_ex_until(int fd, double deadline)
{
	const struct timespec pause = { .tv_nsec = STORE_LIVE_RETRY_MS * 1000000L };
	int r;

	while ((r = lock_fd(fd, LOCK_EX | LOCK_NB)) == -EWOULDBLOCK) {
		if (monotonic_now() >= deadline)
			return -EBUSY;
		nanosleep(&pause, NULL);
	}
	return r;
}

/* The lock on LIVE (live/), through the turnstile ARCHIVE (archive/):
 * PATHs opened anew from the directories DIRFDs. Exclusive waits up to
 * WAIT seconds. */
static int live_lock(int archive_dirfd, const char *archive, int live_dirfd, const char *live,
		     bool shared, int wait, struct store_live_lock *l)
{
	double deadline = monotonic_now() + wait;
	int r;

	l->live_fd = -1;
	l->gate_fd = open_dir(archive_dirfd, archive);
	if (l->gate_fd < 0)
		return l->gate_fd;
	r = shared ? lock_fd(l->gate_fd, LOCK_SH | LOCK_NB) : lock_ex_until(l->gate_fd, deadline);
	if (r == 0) {
		l->live_fd = open_dir(live_dirfd, live);
		r = l->live_fd < 0 ? l->live_fd
		    : shared	   ? lock_fd(l->live_fd, LOCK_SH | LOCK_NB)
				   : lock_ex_until(l->live_fd, deadline);
	}
	if (r < 0) {
		store_live_unlock(l);
		return r;
	}
	if (shared) { /* through the turnstile: writers may queue behind us */
		close(l->gate_fd);
		l->gate_fd = -1;
	}
	return 0;
}

void store_set_live_wait(struct store *s, int seconds)
{
	s->live_wait = seconds;
}

int store_live_lock(struct store *s, bool shared, struct store_live_lock *l)
{
	return live_lock(s->archive_fd, ".", s->live_fd, ".", shared, s->live_wait, l);
}

/* Shared, trying every STORE_LIVE_RETRY_MS, STORE_LIVE_TRIES times. */
static int shared_wait(int archive_dirfd, const char *archive, int live_dirfd, const char *live,
		       struct store_live_lock *l)
{
	const struct timespec pause = { .tv_nsec = STORE_LIVE_RETRY_MS * 1000000L };
	int r = -EWOULDBLOCK;

	for (int i = 0; r == -EWOULDBLOCK && i < STORE_LIVE_TRIES; i++) {
		if (i > 0)
			nanosleep(&pause, NULL);
		r = live_lock(archive_dirfd, archive, live_dirfd, live, true, 0, l);
	}
	return r;
}

int store_live_lock_wait(struct store *s, struct store_live_lock *l)
{
	return shared_wait(s->archive_fd, ".", s->live_fd, ".", l);
}

int store_live_lock_wait_path(const char *state_dir, struct store_live_lock *l)
{
	int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	*l = STORE_LIVE_UNLOCKED;
	if (dfd < 0)
		return -errno;
	r = shared_wait(dfd, "archive", dfd, "live", l);
	close(dfd);
	return r;
}
