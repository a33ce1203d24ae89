#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Name a temp file ".NAME.XXXXXXXXXXXX" (12 random hex digits) next to NAME. */
static int temp_name(const char *name, char *buf, size_t size)
{
	unsigned char rnd[6];
	static const char hex[] = "0123456789abcdef";
	int n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	n = snprintf(buf, size, ".%.200s.", name);
	if (n < 0 || (size_t)n + 2 * sizeof(rnd) + 1 > size)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		buf[n++] = hex[rnd[i] >> 4];
		buf[n++] = hex[rnd[i] & 15];
	}
	buf[n] = '\0';
	return 0;
}

/* Rename without replacing; falls back to link+unlink where renameat2 is not
 * supported by the file system. */
static int rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -errno;
	unlinkat(dirfd, from, 0);
	return 0;
}

int fs_fsync_dir(int dirfd)
{
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int fs_write_durable(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		     unsigned flags)
{
	return fs_write_durable_group(dirfd, name, data, len, mode, (gid_t)-1, flags);
}

int fs_write_durable_group(int dirfd, const char *name, const void *data, size_t len,
			   mode_t mode, gid_t gid, unsigned flags)
{
	char tmp[300];
	int fd = -1, r;
	bool created = false;

	if (!fs_name_ok(name) && !(name[0] == '.' && fs_name_ok(name + 1)))
		return -EINVAL;
	for (int tries = 0; fd < 0; tries++) {
		r = temp_name(name, tmp, sizeof(tmp));
		if (r < 0)
			return r;
		/* The mode is fixed here, before a single secret byte exists:
		 * the owner's bits only until the group is the right one. */
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    mode & 0700);
		if (fd < 0 && (errno != EEXIST || tries > 8))
			return -errno;
	}
	created = true;
	/* umask may have narrowed the mode; make it exactly what was asked. */
	if ((gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) || fchmod(fd, mode) < 0) {
		r = -errno;
		goto out;
	}
	r = fs_write_all(fd, data, len);
	if (r < 0)
		goto out;
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto out;
	}
	fd = -1;
	if (flags & FS_NOREPLACE)
		r = rename_noreplace(dirfd, tmp, name);
	else
		r = renameat(dirfd, tmp, dirfd, name) < 0 ? -errno : 0;
	if (r < 0)
		goto out;
	created = false;
	r = fs_fsync_dir(dirfd);
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlinkat(dirfd, tmp, 0);
	return r;
}

int fs_write_path(const char *path, const void *data, size_t len, mode_t mode, unsigned flags)
{
	char *dir = strdup(path);
	const char *name;
	char *slash;
	int dfd, r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		name = path + (slash - dir) + 1;
		dfd = open(slash == dir ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		name = path;
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	free(dir);
	if (dfd < 0)
		return -errno;
	r = fs_write_durable(dfd, name, data, len, mode, flags);
	close(dfd);
	return r;
}

/* Read to EOF, or to EXPECT bytes (the size fstat() gave; 0 if unknown).
 * The buffer may hold MAX + 1 bytes: reading that one byte more is how a
 * file over the limit is told from one exactly at it. */
static int read_fd(int fd, size_t max, size_t expect, char **data, size_t *len)
{
	size_t size = max < 4096 ? max + 1 : 4096, used = 0;
	char *buf = malloc(size + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (used == size) {
			char *nbuf;

			if (size > max) {
				free(buf);
				return -EFBIG;
			}
			size = size * 2 > max + 1 ? max + 1 : size * 2;
			nbuf = realloc(buf, size + 1);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
		}
		n = read(fd, buf + used, size - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		/* All fstat() saw: no read more just to hear it is the end (at
		 * start-up, two system calls a lineage). */
		if (used == expect)
			break;
	}
	if (used > max) {
		free(buf);
		return -EFBIG;
	}
	buf[used] = '\0';
	*data = buf;
	if (len)
		*len = used;
	return 0;
}

static int read_at(int dirfd, const char *name, int flags, size_t max, char **data, size_t *len,
		   struct stat *out)
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : ACMED_ENOTREG;
	}
	r = read_fd(fd, max, st.st_size > 0 ? (size_t)st.st_size : 0, data, len);
	close(fd);
	if (out)
		*out = st;
	return r;
}

int fs_read_fileat(int dirfd, const char *name, size_t max, char **data, size_t *len)
{
	return read_at(dirfd, name, O_NOFOLLOW, max, data, len, NULL);
}

int fs_read_trusted_at(int dirfd, const char *name, const char *shown, size_t max, char **data,
		       size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int r = read_at(dirfd, name, O_NOFOLLOW, max, data, len, &st);

	if (r < 0) {
		snprintf(err, errlen, "%s: %s", shown, acmed_strerror(r));
		return r;
	}
	r = fs_check_trusted_stat(&st, shown, err, errlen);
	if (r < 0)
		FREE_AND_NULL(*data);
	return r;
}

int fs_read_file(const char *path, size_t max, char **data, size_t *len)
{
	return read_at(AT_FDCWD, path, 0, max, data, len, NULL);
}

int fs_open_dirs(int dirfd, const char *relpath, bool create, mode_t mode)
{
	char *p = strdup(relpath), *save = NULL;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0), r = fd < 0 ? -errno : 0;

	if (!p || fd < 0) {
		free(p);
		if (fd >= 0)
			close(fd);
		return r < 0 ? r : -ENOMEM;
	}
	for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;

		if (create && mkdirat(fd, c, mode) < 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			r = errno == ENOTDIR ? -ELOOP : -errno;
			break;
		}
		close(fd);
		fd = next;
	}
	free(p);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int fs_mkdirs(const char *path, mode_t mode)
{
	char *p = strdup(path);
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		bool last = *s == '\0';
		struct stat st;

		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0) {
			if (errno != EEXIST) {
				r = -errno;
				break;
			}
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
				r = -ENOTDIR;
				break;
			}
		}
		if (last)
			break;
		*s = '/';
	}
	free(p);
	return r;
}

int fs_symlink_replace(int dirfd, const char *target, const char *name)
{
	char tmp[300];
	int r;

	for (int tries = 0;; tries++) {
		r = temp_name(name, tmp, sizeof(tmp));
		if (r < 0)
			return r;
		if (symlinkat(target, dirfd, tmp) == 0)
			break;
		if (errno != EEXIST || tries > 8)
			return -errno;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return 0;
}

/* Empty the directory FD (which this closes) depth first. */
static int empty_dir(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int r = 0;

	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0 && (e = readdir(d))) {
		int sub;

		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			r = -errno;
			break;
		}
		sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || (r = empty_dir(sub)) < 0 || unlinkat(fd, e->d_name, AT_REMOVEDIR) < 0)
			r = r < 0 ? r : -errno;
		/* Entries removed under readdir() are fine; start over to be sure. */
		rewinddir(d);
	}
	closedir(d);
	return r;
}

int fs_remove_tree(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = empty_dir(fd);
	if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		r = -errno;
	return r < 0 ? r : fs_fsync_dir(dirfd);
}

bool fs_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 255 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c < 0x21 || c > 0x7e)
			return false;
	}
	return true;
}

char *fs_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *s;

	while (la > 1 && a[la - 1] == '/')
		la--;
	if (la == 1 && a[0] == '/')
		la = 0;
	if (asprintf(&s, "%.*s/%s", (int)la, a, b) < 0)
		return NULL;
	return s;
}

/* What a path check guards, for its messages. */
struct trust_why {
	const char *reason; /* "acmed keeps private keys below it" */
	const char *other;  /* another way out, or "" */
};

static const struct trust_why keys_why = { "acmed keeps private keys below it",
					   ", or choose another --state-dir" };
static const struct trust_why root_why = { "what it says runs as root", "" };

/* ST (of NAME) is owned by root or by us and writable by no one else; a
 * directory with the sticky bit owned by root (/tmp) may be writable by
 * all, unless it is the end of the path (LAST). */
static int check_trusted(const struct stat *st, const char *name, bool last,
			 const struct trust_why *why, char *err, size_t errlen)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen, "%s is owned by uid %u, not root: %s; chown root %s%s", name,
			 (unsigned)st->st_uid, why->reason, name, why->other);
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    (last || !S_ISDIR(st->st_mode) || !(st->st_mode & S_ISVTX) || st->st_uid)) {
		snprintf(err, errlen, "%s is writable by %s (mode %04o): %s; chmod go-w %s%s", name,
			 st->st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned)(st->st_mode & 07777), why->reason, name, why->other);
		return -EPERM;
	}
	return 0;
}

int fs_check_trusted_stat(const struct stat *st, const char *name, char *err, size_t errlen)
{
	return check_trusted(st, name, true, &root_why, err, errlen);
}

/* One component of check_path(): LAST is the path itself. */
static int check_component(const char *path, bool last, const struct trust_why *why, char *err,
			   size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	return check_trusted(&st, path, last, why, err, errlen);
}

/* PATH and every directory above it (symlinks resolved) pass
 * check_trusted(). With MAY_BE_MISSING a PATH not made yet is checked
 * where it would be made. */
static int check_path(const char *path, bool may_be_missing, const struct trust_why *why,
		      char *err, size_t errlen)
{
	char *copy = strdup(path), *real = NULL, *slash;
	bool exists = true;
	size_t len;
	int r;

	if (!copy)
		return -ENOMEM;
	/* A directory not made yet: check where it will be made. */
	while (!(real = realpath(copy, NULL)) && errno == ENOENT && may_be_missing &&
	       (slash = strrchr(copy, '/')) && slash != copy) {
		*slash = '\0';
		exists = false;
	}
	if (!real && errno == ENOENT && may_be_missing && copy[0] == '/')
		real = strdup("/");
	free(copy);
	if (!real) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	/* From the top down: "/", "/var", "/var/lib", ... PATH. */
	len = strlen(real);
	r = check_component("/", len == 1 && exists, why, err, errlen);
	for (size_t i = 2; r == 0 && i <= len; i++) {
		if (i < len && real[i] != '/')
			continue;
		real[i] = '\0';
		r = check_component(real, i == len && exists, why, err, errlen);
		if (i < len)
			real[i] = '/';
	}
	free(real);
	return r;
}

int fs_check_private_dir(const char *path, char *err, size_t errlen)
{
	return check_path(path, true, &keys_why, err, errlen);
}

int fs_check_trusted_path(const char *path, char *err, size_t errlen)
{
	return check_path(path, false, &root_why, err, errlen);
}

/* ".NAME.XXXXXXXXXXXX", as temp_name() makes them. */
bool fs_is_temp_name(const char *n)
{
	size_t len = strlen(n);

	if (len < 15 || n[0] != '.' || n[len - 13] != '.')
		return false;
	for (size_t i = len - 12; i < len; i++)
		if (!isxdigit((unsigned char)n[i]) || isupper((unsigned char)n[i]))
			return false;
	return true;
}

int fs_each_entry(int dirfd, int (*fn)(const char *name, void *ctx), void *ctx)
{
	/* The entries are read through DIRFD itself: an opendir() of it would
	 * add an open, an fstat, two fcntl and a close for each directory,
	 * which at start-up is two directories a lineage, thousands of them. */
	_Alignas(struct dirent64) char buf[4096];
	ssize_t n;
	int r = 0;

	while (r == 0 && (n = getdents64(dirfd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; r == 0 && off < n;) {
			const struct dirent64 *e = (const struct dirent64 *)(buf + off);

			r = fn(e->d_name, ctx);
			off += e->d_reclen;
		}
	return r != 0 ? r : n < 0 ? -errno : 0;
}

/* The state of fs_remove_temps(). */
struct temps {
	int dirfd, removed;
};

static int remove_temp(const char *name, void *ctx)
{
	struct temps *t = ctx;

	if (fs_is_temp_name(name) && unlinkat(t->dirfd, name, 0) == 0)
		t->removed++;
	return 0;
}

int fs_remove_temps(int dirfd, int *removed)
{
	struct temps t = { dirfd, 0 };
	int r = lseek(dirfd, 0, SEEK_SET) < 0 ? -errno : fs_each_entry(dirfd, remove_temp, &t);

	*removed = t.removed;
	if (*removed) {
		int f = fs_fsync_dir(dirfd);

		r = r < 0 ? r : f;
	}
	return r;
}

/* The process holding a flock() on the file DEV:INO, from /proc/locks; 0 if
 * none is found alive. */
static pid_t locks_holder(dev_t dev, ino_t ino)
{
	char *text = NULL, path[64];
	pid_t found = 0;

	if (fs_read_file("/proc/locks", 1 << 20, &text, NULL) < 0)
		return 0;
	for (char *line = text, *nl; line && *line && !found; line = nl ? nl + 1 : NULL) {
		unsigned maj, min;
		unsigned long long i;
		int pid;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(line, "->") || !strstr(line, "FLOCK") ||
		    sscanf(strstr(line, "FLOCK"), "FLOCK %*s %*s %d %x:%x:%llu", &pid, &maj, &min,
			   &i) != 4)
			continue;
		snprintf(path, sizeof(path), "/proc/%d", pid);
		if (maj == major(dev) && min == minor(dev) && i == (unsigned long long)ino &&
		    access(path, F_OK) == 0)
			found = pid;
	}
	free(text);
	return found;
}

/* A process other than us with DEV:INO open (the holder of a lock taken
 * before a fork, whose taker is gone); 0 if none. */
static pid_t opener(dev_t dev, ino_t ino)
{
	DIR *procs = opendir("/proc");
	struct dirent *p;
	pid_t found = 0;

	while (procs && !found && (p = readdir(procs))) {
		char path[300];
		DIR *fds;
		struct dirent *f;

		if (!isdigit((unsigned char)p->d_name[0]) || atoi(p->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && !found && (f = readdir(fds))) {
			char fd[600];
			struct stat st;

			snprintf(fd, sizeof(fd), "%s/%s", path, f->d_name);
			if (f->d_name[0] != '.' && stat(fd, &st) == 0 && st.st_dev == dev &&
			    st.st_ino == ino)
				found = atoi(p->d_name);
		}
		if (fds)
			closedir(fds);
	}
	if (procs)
		closedir(procs);
	return found;
}

int fs_lock_dir(const char *path, pid_t *holder)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
	struct stat st;

	*holder = 0;
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	r = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (r == -EBUSY && fstat(fd, &st) == 0 && !(*holder = locks_holder(st.st_dev, st.st_ino)))
		*holder = opener(st.st_dev, st.st_ino);
	close(fd);
	return r;
}

const char *fs_beside_self(char *path, size_t len, const char *name, const char *installed)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;

	if (n > 0) {
		self[n] = '\0';
		snprintf(path, len, "%s/%s", dirname(self), name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return path;
	}
	snprintf(path, len, "%s", installed);
	return path;
}
