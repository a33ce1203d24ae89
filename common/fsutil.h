/* File helpers. Every durable write in acmed goes through fs_write_durable(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

enum {
	FS_NOREPLACE = 1 << 0, /* fail with -EEXIST instead of replacing NAME */
};

/* Durably write LEN bytes as NAME in directory DIRFD: a temp file in the same
 * directory is created with MODE (before any byte is written), written with
 * EINTR/short-write handling, fsynced, renamed onto NAME and the directory
 * fsynced. The temp file is removed on every failure path. With FS_NOREPLACE
 * an existing NAME is never touched (-EEXIST). Returns 0 or -errno. */
int fs_write_durable(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		     unsigned flags);

/* The same, the file's group set to GID ((gid_t)-1: the process's) before
 * MODE's group bits apply. */
int fs_write_durable_group(int dirfd, const char *name, const void *data, size_t len,
			   mode_t mode, gid_t gid, unsigned flags);

/* write(2) all of DATA, through EINTR and short writes. 0 or -errno. */
int fs_write_all(int fd, const void *data, size_t len);

/* Same, for a path: opens the parent directory (which must exist). */
int fs_write_path(const char *path, const void *data, size_t len, mode_t mode, unsigned flags);

/* Read a whole regular file (at most MAX bytes, else -EFBIG) into a
 * NUL-terminated buffer the caller frees. fs_read_file() follows symlinks
 * (a file a user names); fs_read_fileat(), for the state directory, does
 * not: a symlink there is -ELOOP. Anything but a regular file is refused
 * without blocking (a FIFO): -EISDIR, ACMED_ENOTREG. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len);
int fs_read_fileat(int dirfd, const char *name, size_t max, char **data, size_t *len);

/* fs_read_fileat() of a file that decides what runs as root (a renewal
 * file): also refused, with -EPERM, unless fs_check_trusted_stat() passes.
 * ERR, on any error, names it as SHOWN. */
int fs_read_trusted_at(int dirfd, const char *name, const char *shown, size_t max, char **data,
		       size_t *len, char *err, size_t errlen);

/* mkdir -p: create PATH and missing parents with MODE. Existing directories
 * are left as they are; a non-directory in the way is -ENOTDIR. */
int fs_mkdirs(const char *path, mode_t mode);

/* Point symlink NAME in DIRFD at TARGET by renaming a fresh temp symlink over
 * it, so readers see the old or the new target, never none. Does not fsync
 * the directory: callers swapping several links fsync once after the last. */
int fs_symlink_replace(int dirfd, const char *target, const char *name);

/* Remove directory NAME in DIRFD with everything below it, never following
 * a symlink (a link is removed, not what it points at), then fsync DIRFD.
 * A NAME that does not exist is 0. 0 or -errno. */
int fs_remove_tree(int dirfd, const char *name);

/* Call FN(NAME, CTX) for each entry of directory DIRFD, "." and ".." too.
 * The entries are read through DIRFD itself, from its offset on (as
 * fdopendir() does: a descriptor just opened is at the start) and moving
 * it. A non-zero return of FN ends the walk and is returned; else 0 or
 * -errno. */
int fs_each_entry(int dirfd, int (*fn)(const char *name, void *ctx), void *ctx);
/* Is NAME one of the temp files fs_write_durable() and fs_symlink_replace()
 * leave behind when the process dies between creating and renaming one
 * (".NAME.XXXXXXXXXXXX")? */
bool fs_is_temp_name(const char *name);
/* Remove those temp files from directory DIRFD (rewound, then
 * fs_each_entry()); the directory is fsynced if any went. Only for a
 * directory no one is writing to. *REMOVED gets the count. 0 or -errno. */
int fs_remove_temps(int dirfd, int *removed);
/* fsync a directory. */
int fs_fsync_dir(int dirfd);

/* True if NAME is safe as one path component we create: non-empty, at most
 * 255 bytes, no '/', no NUL, not starting with '.', printable ASCII only. */
bool fs_name_ok(const char *name);

/* Open directory RELPATH below DIRFD one component at a time, never
 * following a symlink; with CREATE, missing components are made with MODE.
 * The directory's fd, or -errno (-ELOOP for a symlink on the way). */
int fs_open_dirs(int dirfd, const char *relpath, bool create, mode_t mode);

/* Is directory PATH safe to keep secrets in: it and every directory above
 * it (symlinks resolved) owned by root or by us, and writable by nobody
 * else, but for a parent with the sticky bit owned by root (/tmp). A PATH
 * not made yet: the directories it would be made in. 0, or -EPERM with ERR
 * naming the directory and saying what to do. */
int fs_check_private_dir(const char *path, char *err, size_t errlen);

/* A file that decides what acmed runs as root (acmed.conf, a renewal file,
 * a hook): PATH and every directory above it owned by root or by us and
 * writable by no one else (a root-owned sticky directory such as /tmp
 * above it aside). 0, or -EPERM with ERR naming the file and the chown or
 * chmod that fixes it (or -errno). */
int fs_check_trusted_path(const char *path, char *err, size_t errlen);
/* The same for one file or directory already opened: ST is its fstat(),
 * NAME how to call it. */
int fs_check_trusted_stat(const struct stat *st, const char *name, char *err, size_t errlen);

/* Lock directory PATH for this process and its forks (flock, without
 * waiting): the open descriptor holding the lock (close it to let go), or
 * -EBUSY with *HOLDER the process that holds it (0 if it cannot be found),
 * or -errno. */
int fs_lock_dir(const char *path, pid_t *holder);

/* Join A and B with one '/'; caller frees. NULL on allocation failure. */
char *fs_join(const char *a, const char *b);

/* The executable NAME beside this process's own (a build tree) if it is
 * there, else INSTALLED: in PATH (LEN bytes), which is returned. */
const char *fs_beside_self(char *path, size_t len, const char *name, const char *installed);
