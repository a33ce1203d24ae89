/* File helpers. Every durable write in acmed goes through fs_write_durable(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
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

/* write(2) all of DATA, through EINTR and short writes. 0 or -errno. */
int fs_write_all(int fd, const void *data, size_t len);

/* Same, for a path: opens the parent directory (which must exist). */
int fs_write_path(const char *path, const void *data, size_t len, mode_t mode, unsigned flags);

/* Read a whole regular file (at most MAX bytes, else -EFBIG) into a
 * NUL-terminated buffer the caller frees. Symlinks are followed. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len);
int fs_read_fileat(int dirfd, const char *name, size_t max, char **data, size_t *len);

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

/* fsync a directory. */
int fs_fsync_dir(int dirfd);

/* True if NAME is safe as one path component we create: non-empty, at most
 * 255 bytes, no '/', no NUL, not starting with '.', printable ASCII only. */
bool fs_name_ok(const char *name);

/* Join A and B with one '/'; caller frees. NULL on allocation failure. */
char *fs_join(const char *a, const char *b);
