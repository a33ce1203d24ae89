#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fsutil.h"
#include "daemon/control/listen.h"
#include "log.h"

/* The first listening Unix stream socket systemd passed, or -1. */
static int activated_fd(void)
{
	int n = sd_listen_fds(1);

	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			return fd;
		}
		log_warning("systemd passed fd %d, which is not a listening Unix stream socket; "
			    "ignoring it", fd);
	}
	return -1;
}

/* PATH.lock, held for as long as acmed runs: two daemons starting at once
 * cannot both decide the socket at PATH is a leftover. */
static int take_lock(const char *path, char *err, size_t errlen)
{
	char lock[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", lock, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;

		snprintf(err, errlen, "another acmed is already listening on %s (it holds %s)",
			 path, lock);
		close(fd);
		return r;
	}
	return fd;
}

/* A socket file at PATH: a live daemon (connect works) or a leftover. */
static int claim_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket%s; refusing to replace it",
			 path, S_ISLNK(st.st_mode) ? " (a symlink)" : "");
		return -EEXIST;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	if (r) {
		snprintf(err, errlen, "another acmed is already listening on %s", path);
		return -EADDRINUSE;
	}
	return unlink(path) < 0 ? -errno : 0;
}

int listen_open(const char *path, gid_t gid, struct listener *l, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	mode_t old;
	int r;

	*l = (struct listener){ .fd = -1, .lock_fd = -1 };
	l->fd = activated_fd();
	if (l->fd >= 0) {
		l->activated = true;
		log_info("using the control socket systemd passed (fd %d)", l->fd);
		return 0;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		fs_mkdirs(dir, 0755); /* the socket's own mode guards it */
	}
	l->lock_fd = take_lock(path, err, errlen);
	if (l->lock_fd < 0)
		return l->lock_fd;
	r = claim_path(path, err, errlen);
	if (r < 0)
		goto fail;
	strcpy(sa.sun_path, path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0) {
		r = -errno;
		goto fail;
	}
	old = umask(0117); /* 0660 from the moment it exists */
	r = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	/* Then the read group's, as SocketGroup= does under systemd. */
	if (r == 0 && gid != (gid_t)-1 && lchown(path, (uid_t)-1, gid) < 0)
		r = -1;
	if (r == 0 && listen(l->fd, SOMAXCONN) == 0)
		return 0;
	r = -errno;
	snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
fail:
	if (!*err)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	if (l->fd >= 0)
		close(l->fd);
	close(l->lock_fd);
	*l = (struct listener){ .fd = -1, .lock_fd = -1 };
	return r;
}

void listen_close(struct listener *l, const char *path)
{
	if (l->fd < 0)
		return;
	close(l->fd);
	if (!l->activated)
		unlink(path);
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	*l = (struct listener){ .fd = -1, .lock_fd = -1 };
}
