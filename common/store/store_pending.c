/* An order in flight: archive/NAME/.pending, what a crash between
 * finalizing an order and publishing its certificate must not lose. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "store/store.h"
#include "util.h"

#include "store/store_priv.h"

#define PENDING_FILE ".pending"
#define PENDING_MAX (64 * 1024)

static int pending_dir(struct store *s, const char *name, bool create)
{
	if (!store_name_valid(name))
		return -EINVAL;
	return fs_open_dirs(s->archive_fd, name, create, 0755);
}

int store_pending_save(struct store *s, const char *name, const char *text)
{
	int dfd = pending_dir(s, name, true), r;

	if (dfd < 0)
		return dfd;
	r = fs_write_durable(dfd, PENDING_FILE, text, strlen(text), 0600, 0);
	close(dfd);
	return r;
}

int store_pending_load(struct store *s, const char *name, char **text)
{
	int dfd = pending_dir(s, name, false), r;

	*text = NULL;
	if (dfd < 0)
		return dfd;
	r = fs_read_fileat(dfd, PENDING_FILE, PENDING_MAX, text, NULL);
	close(dfd);
	return r;
}

int store_pending_clear(struct store *s, const char *name)
{
	int dfd = pending_dir(s, name, false), r = 0;

	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	if (unlinkat(dfd, PENDING_FILE, 0) < 0)
		r = errno == ENOENT ? 0 : -errno;
	else
		r = fs_fsync_dir(dfd);
	close(dfd);
	return r;
}
