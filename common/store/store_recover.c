/* Recovery at start-up: what a crash in the middle of publishing a
 * version left in a lineage's directories is finished or rolled back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "store/store.h"
#include "util.h"

#include "store/store_priv.h"

/* True if version N exists and passes the check. */
bool store_version_good(int archfd, int n)
{
	struct version_pems v;
	char err[256];
	bool ok = store_read_version_at(archfd, n, &v) == 0 && store_check_pems(&v, err, sizeof(err)) == 0;

	version_pems_clear(&v);
	return ok;
}

/* What a lineage's directory holds that store_recover() acts on. */
struct leftovers {
	bool temps, intent;
};

static int note_leftover(const char *name, void *ctx)
{
	struct leftovers *l = ctx;

	l->temps = l->temps || fs_is_temp_name(name);
	l->intent = l->intent || streq(name, ".intent");
	return 0;
}

int store_recover(struct store *s, const char *name)
{
	struct leftovers arch = { 0 }, live = { 0 };
	struct store_live_lock lock;
	char *text = NULL;
	int archfd, livefd = -1, n, r;

	archfd = openat(s->archive_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (archfd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* One look at the archive first (a directory that cannot be read is
	 * taken to hold both): most lineages have nothing to recover, and then
	 * neither the lock, nor live/NAME, nor a read of .intent is needed. At
	 * start-up over thousands of lineages, each system call here counts.
	 * live/NAME is written only under an intent (store_write_intent()), so
	 * where there is none, it holds no temp file either. */
	if (fs_each_entry(archfd, note_leftover, &arch) < 0)
		arch = (struct leftovers){ true, true };
	/* Nothing left, or a publisher at work (its lock held): what it
	 * leaves now is its own. */
	if ((!arch.intent && !arch.temps) || flock(archfd, LOCK_EX | LOCK_NB) < 0) {
		r = 0;
		goto out;
	}
	if (arch.intent) {
		livefd = openat(s->live_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (livefd < 0) {
			r = errno == ENOENT ? 0 : -errno;
			goto out;
		}
		if (fs_each_entry(livefd, note_leftover, &live) < 0)
			live.temps = true;
	}
	if (arch.temps || live.temps) {
		int gone = 0, more = 0;

		fs_remove_temps(archfd, &gone);
		if (livefd >= 0)
			fs_remove_temps(livefd, &more);
		if (gone + more)
			log_info("%s: removed %d temp file(s) an interrupted update left", name,
				 gone + more);
	}
	r = arch.intent ? fs_read_fileat(archfd, ".intent", 64, &text, NULL) : -ENOENT;
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r < 0 || sscanf(text, "%d", &n) != 1 || n < 1)
		n = store_highest_version(archfd);
	/* Roll forward if the new version is whole, else back to the newest
	 * older version that is. */
	while (n > 0 && !store_version_good(archfd, n))
		n--;
	r = store_live_lock(s, false, &lock);
	if (r == 0 && n > 0) {
		log_warning("%s: finishing an interrupted update of live/ (version %d)", name, n);
		r = store_switch_links(livefd, name, n);
	}
	if (r == 0)
		r = store_clear_intent(archfd);
	store_live_unlock(&lock);
out:
	free(text);
	close(archfd); /* and with it the lock */
	if (livefd >= 0)
		close(livefd);
	return r;
}

void store_recover_all(struct store *s)
{
	DIR *d = store_dir_stream(s->archive_fd);
	struct dirent *e;
	int gone = 0;

	/* A renewal file's temp copy a crash left (renewal files are written
	 * by jobs, and none runs yet). */
	if (fs_remove_temps(s->renewal_fd, &gone) == 0 && gone)
		log_info("renewal/: removed %d temp file(s) an interrupted write left", gone);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (store_name_valid(e->d_name) && store_recover(s, e->d_name) < 0)
			log_warning("%s: could not recover an interrupted update", e->d_name);
	closedir(d);
}
