/* Durable writes, bounded reads, mkdir -p, atomic symlink swaps, names. */
#include <signal.h>
#include <sys/resource.h>

#include "fsutil.h"

#include "testutil.h"

struct dir {
	char *path;
	int fd;
};

static struct dir dir_open(void)
{
	struct dir d = { tmpdir_make(), -1 };

	d.fd = open(d.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(d.fd >= 0);
	return d;
}

static void dir_close(struct dir *d)
{
	close(d->fd);
	tmpdir_remove(d->path);
}

static void check_content(struct dir *d, const char *name, const char *want, size_t wantlen)
{
	char *data = NULL;
	size_t len = 0;

	ASSERT_INT_EQ(fs_read_fileat(d->fd, name, 1 << 24, &data, &len), 0);
	ASSERT_INT_EQ(len, wantlen);
	ASSERT_TRUE(memcmp(data, want, len) == 0);
	free(data);
}

static mode_t mode_at(struct dir *d, const char *name)
{
	struct stat st;

	ASSERT_INT_EQ(fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	ASSERT_TRUE(S_ISREG(st.st_mode));
	return st.st_mode & 07777;
}

TEST(write_exact_mode_regardless_of_umask)
{
	static const mode_t masks[] = { 077, 000, 022 }, modes[] = { 0600, 0644, 0640 };
	struct dir d = dir_open();

	for (size_t m = 0; m < 3; m++) {
		umask(masks[m]);
		for (size_t i = 0; i < 3; i++) {
			char name[32];

			snprintf(name, sizeof(name), "f%zu%zu", m, i);
			ASSERT_INT_EQ(fs_write_durable(d.fd, name, "secret\n", 7, modes[i], 0), 0);
			ASSERT_INT_EQ(mode_at(&d, name), modes[i]);
			check_content(&d, name, "secret\n", 7);
		}
	}
	ASSERT_INT_EQ(dir_count(d.path, NULL), 9); /* no temp files */
	dir_close(&d);
}

TEST(write_replaces_by_default)
{
	struct dir d = dir_open();
	static char big[300000];

	ASSERT_INT_EQ(fs_write_durable(d.fd, "f", "old content", 11, 0644, 0), 0);
	ASSERT_INT_EQ(fs_write_durable(d.fd, "f", "new", 3, 0600, 0), 0);
	check_content(&d, "f", "new", 3);
	ASSERT_INT_EQ(mode_at(&d, "f"), 0600);
	ASSERT_INT_EQ(fs_write_durable(d.fd, "f", "", 0, 0644, 0), 0);
	check_content(&d, "f", "", 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	ASSERT_INT_EQ(fs_write_durable(d.fd, "f", big, sizeof(big), 0644, 0), 0);
	check_content(&d, "f", big, sizeof(big));
	/* Dot names are allowed for the store's own files (".intent"). */
	ASSERT_INT_EQ(fs_write_durable(d.fd, ".intent", "3\n", 2, 0600, 0), 0);
	check_content(&d, ".intent", "3\n", 2);
	ASSERT_INT_EQ(dir_count(d.path, NULL), 2);
	dir_close(&d);
}

TEST(write_noreplace)
{
	struct dir d = dir_open();
	char *names = NULL;

	ASSERT_INT_EQ(fs_write_durable(d.fd, "key.pem", "first", 5, 0600, FS_NOREPLACE), 0);
	check_content(&d, "key.pem", "first", 5);
	ASSERT_INT_EQ(fs_write_durable(d.fd, "key.pem", "second", 6, 0644, FS_NOREPLACE), -EEXIST);
	check_content(&d, "key.pem", "first", 5);
	ASSERT_INT_EQ(mode_at(&d, "key.pem"), 0600);
	/* The temp file written before the failed rename is gone. */
	ASSERT_INT_EQ(dir_count(d.path, &names), 1);
	ASSERT_STR_EQ(names, "key.pem ");
	free(names);
	dir_close(&d);
}

TEST(write_rejects_bad_names)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "../x", "..x", "a\nb" };
	struct dir d = dir_open();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_INT_EQ(fs_write_durable(d.fd, bad[i], "x", 1, 0644, 0), -EINVAL);
	ASSERT_INT_EQ(dir_count(d.path, NULL), 0);
	dir_close(&d);
}

TEST(write_into_removed_dir_fails)
{
	struct dir d = dir_open();

	ASSERT_INT_EQ(rmdir(d.path), 0);
	ASSERT_INT_EQ(fs_write_durable(d.fd, "f", "x", 1, 0644, 0), -ENOENT);
	close(d.fd);
	free(d.path);
}

/* A write that fails half-way (file size limit) leaves no temp file. */
TEST(write_failure_leaves_no_temp)
{
	struct dir d = dir_open();
	struct rlimit old, lim;
	static char data[100000];
	int r;

	ASSERT_INT_EQ(fs_write_durable(d.fd, "f", "old", 3, 0644, 0), 0);
	signal(SIGXFSZ, SIG_IGN);
	ASSERT_INT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	ASSERT_INT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r = fs_write_durable(d.fd, "f", data, sizeof(data), 0644, 0);
	ASSERT_INT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
	ASSERT_INT_EQ(r, -EFBIG);
	check_content(&d, "f", "old", 3);
	ASSERT_INT_EQ(dir_count(d.path, NULL), 1);
	dir_close(&d);
}

TEST(write_path)
{
	struct dir d = dir_open();
	char *p = path_join(d.path, "out.pem"), *q = path_join(d.path, "missing/out.pem");

	ASSERT_INT_EQ(fs_write_path(p, "abc", 3, 0640, 0), 0);
	check_content(&d, "out.pem", "abc", 3);
	ASSERT_INT_EQ(file_mode(p), 0640);
	ASSERT_INT_EQ(fs_write_path(q, "abc", 3, 0640, 0), -ENOENT);
	free(p);
	free(q);
	dir_close(&d);
}

static void make_file(struct dir *d, const char *name, size_t size)
{
	char *buf = malloc(size + 1);

	ASSERT_NONNULL(buf);
	memset(buf, 'x', size);
	ASSERT_INT_EQ(fs_write_durable(d->fd, name, buf, size, 0644, 0), 0);
	free(buf);
}

static mode_t file_mode_at(struct dir *d, const char *name)
{
	struct stat st;

	ASSERT_INT_EQ(fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode & 07777;
}

static int read_size(struct dir *d, const char *name, size_t max, size_t *len)
{
	char *path = path_join(d->path, name), *data = NULL;
	int r;

	*len = 0;
	r = fs_read_file(path, max, &data, len);
	if (r == 0) {
		ASSERT_INT_EQ(strlen(data), *len); /* NUL-terminated */
		free(data);
	}
	free(path);
	return r;
}

TEST(read_file_within_limit)
{
	struct dir d = dir_open();
	size_t len;

	make_file(&d, "empty", 0);
	make_file(&d, "f100", 100);
	make_file(&d, "f10000", 10000);
	ASSERT_INT_EQ(read_size(&d, "empty", 10, &len), 0);
	ASSERT_INT_EQ(len, 0);
	ASSERT_INT_EQ(read_size(&d, "f100", 1000, &len), 0);
	ASSERT_INT_EQ(len, 100);
	ASSERT_INT_EQ(read_size(&d, "f10000", 1 << 20, &len), 0);
	ASSERT_INT_EQ(len, 10000);
	ASSERT_INT_EQ(read_size(&d, "f10000", 9999, &len), -EFBIG);
	ASSERT_INT_EQ(read_size(&d, "f10000", 8192, &len), -EFBIG);
	dir_close(&d);
}

/* "at most MAX bytes, else -EFBIG": a limit below the first 4 KiB buffer
 * must hold too (store.c reads .intent with a limit of 64). */
TEST(read_file_small_limit)
{
	struct dir d = dir_open();
	size_t len;

	make_file(&d, "f100", 100);
	ASSERT_INT_EQ(read_size(&d, "f100", 64, &len), -EFBIG);
	ASSERT_INT_EQ(read_size(&d, "f100", 99, &len), -EFBIG);
	dir_close(&d);
}

/* A file of exactly MAX bytes is within the limit, one more byte is not. */
TEST(read_file_exact_limit)
{
	struct dir d = dir_open();
	size_t len;

	make_file(&d, "f100", 100);
	make_file(&d, "f4096", 4096);
	make_file(&d, "f8192", 8192);
	make_file(&d, "f8193", 8193);
	ASSERT_INT_EQ(read_size(&d, "f100", 100, &len), 0);
	ASSERT_INT_EQ(len, 100);
	ASSERT_INT_EQ(read_size(&d, "f8193", 8192, &len), -EFBIG);
	ASSERT_INT_EQ(read_size(&d, "f8192", 8192, &len), 0);
	ASSERT_INT_EQ(len, 8192);
	ASSERT_INT_EQ(read_size(&d, "f4096", 4096, &len), 0);
	ASSERT_INT_EQ(len, 4096);
	dir_close(&d);
}

TEST(read_file_kinds)
{
	struct dir d = dir_open();
	char *data = NULL;
	size_t len;

	make_file(&d, "target", 5);
	ASSERT_INT_EQ(symlinkat("target", d.fd, "link"), 0);
	ASSERT_INT_EQ(mkdirat(d.fd, "sub", 0755), 0);
	ASSERT_INT_EQ(read_size(&d, "link", 100, &len), 0); /* symlinks are followed */
	ASSERT_INT_EQ(len, 5);
	ASSERT_INT_EQ(read_size(&d, "missing", 100, &len), -ENOENT);
	ASSERT_INT_EQ(read_size(&d, "sub", 100, &len), -EISDIR);
	ASSERT_INT_EQ(fs_read_fileat(d.fd, "target", 100, &data, NULL), 0);
	ASSERT_STR_EQ(data, "xxxxx");
	free(data);
	/* Under the state directory, a symlink is not followed. */
	ASSERT_INT_EQ(fs_read_fileat(d.fd, "link", 100, &data, NULL), -ELOOP);
	dir_close(&d);
}

TEST(open_dirs_never_follows_links)
{
	struct dir d = dir_open();
	int fd;

	fd = fs_open_dirs(d.fd, "a/b/c", true, 0700);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_INT_EQ(file_mode_at(&d, "a/b"), 0700);
	fd = fs_open_dirs(d.fd, "a/b/c", false, 0700);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_INT_EQ(fs_open_dirs(d.fd, "a/x", false, 0700), -ENOENT);
	/* A link anywhere on the way: refused, created or not. */
	ASSERT_INT_EQ(symlinkat("a", d.fd, "l"), 0);
	ASSERT_INT_EQ(fs_open_dirs(d.fd, "l/b", false, 0700), -ELOOP);
	ASSERT_INT_EQ(fs_open_dirs(d.fd, "l/b/new", true, 0700), -ELOOP);
	ASSERT_INT_EQ(symlinkat("/", d.fd, "a/b/up"), 0);
	ASSERT_INT_EQ(fs_open_dirs(d.fd, "a/b/up", true, 0700), -ELOOP);
	dir_close(&d);
}

/* Where private keys may live: every directory from / down owned by root
 * (or us) and writable by nobody else, but sticky root-owned parents. */
TEST(private_dir_check)
{
	struct dir d = dir_open();
	char err[512] = "", *state = path_join(d.path, "state"), *deep = path_join(d.path, "x/y/z");

	ASSERT_INT_EQ(mkdir(state, 0755), 0);
	ASSERT_INT_EQ(fs_check_private_dir(state, err, sizeof(err)), 0);
	/* Not made yet: where it would be made is checked. */
	ASSERT_INT_EQ(fs_check_private_dir(deep, err, sizeof(err)), 0);
	ASSERT_INT_EQ(chmod(state, 0775), 0);
	ASSERT_INT_EQ(fs_check_private_dir(state, err, sizeof(err)), -EPERM);
	ASSERT_STR_CONTAINS(err, "is writable by its group (mode 0775)");
	ASSERT_STR_CONTAINS(err, "chmod go-w");
	ASSERT_INT_EQ(chmod(state, 0755), 0);
	/* A parent writable by all: refused, unless sticky and root's. */
	ASSERT_INT_EQ(chmod(d.path, 0777), 0);
	ASSERT_INT_EQ(fs_check_private_dir(state, err, sizeof(err)), -EPERM);
	ASSERT_STR_CONTAINS(err, "is writable by others (mode 0777)");
	ASSERT_INT_EQ(fs_check_private_dir(deep, err, sizeof(err)), -EPERM);
	ASSERT_INT_EQ(chmod(d.path, 01777), 0);
	ASSERT_INT_EQ(fs_check_private_dir(state, err, sizeof(err)) == 0, geteuid() == 0);
	/* But the state directory itself is never shared, sticky or not. */
	ASSERT_INT_EQ(chmod(state, 01777), 0);
	ASSERT_INT_EQ(fs_check_private_dir(state, err, sizeof(err)), -EPERM);
	ASSERT_INT_EQ(chmod(state, 0700), 0);
	ASSERT_INT_EQ(chmod(d.path, 0700), 0);
	/* Owned by someone else. */
	if (geteuid() == 0) {
		ASSERT_INT_EQ(chown(state, 65534, 65534), 0);
		ASSERT_INT_EQ(fs_check_private_dir(state, err, sizeof(err)), -EPERM);
		ASSERT_STR_CONTAINS(err, "is owned by uid 65534, not root");
	}
	free(state);
	free(deep);
	dir_close(&d);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(mkdirs)
{
	struct dir d = dir_open();
	char *nested = path_join(d.path, "a/b/c"), *file = path_join(d.path, "file");
	char *through = path_join(d.path, "file/sub"), *ab = path_join(d.path, "a/b");
	char *slash = path_join(d.path, "x/y/");

	umask(022);
	ASSERT_INT_EQ(fs_mkdirs(nested, 0750), 0);
	ASSERT_TRUE(is_dir(nested));
	ASSERT_INT_EQ(file_mode(nested), 0750);
	ASSERT_INT_EQ(file_mode(ab), 0750);
	ASSERT_INT_EQ(fs_mkdirs(nested, 0700), 0); /* existing: left alone */
	ASSERT_INT_EQ(file_mode(nested), 0750);
	ASSERT_INT_EQ(fs_mkdirs(d.path, 0700), 0);
	ASSERT_INT_EQ(fs_mkdirs(slash, 0755), 0);
	ASSERT_TRUE(is_dir(slash));
	file_write(file, "x");
	ASSERT_INT_EQ(fs_mkdirs(file, 0755), -ENOTDIR);
	ASSERT_INT_EQ(fs_mkdirs(through, 0755), -ENOTDIR);
	free(nested);
	free(file);
	free(through);
	free(ab);
	free(slash);
	dir_close(&d);
}

static char *link_target(struct dir *d, const char *name)
{
	char buf[256];
	ssize_t n = readlinkat(d->fd, name, buf, sizeof(buf) - 1);

	ASSERT_TRUE(n >= 0);
	buf[n] = '\0';
	return strdup(buf);
}

TEST(symlink_replace)
{
	struct dir d = dir_open();
	char *t, *names = NULL;

	ASSERT_INT_EQ(fs_symlink_replace(d.fd, "../../archive/x/cert1.pem", "cert.pem"), 0);
	t = link_target(&d, "cert.pem");
	ASSERT_STR_EQ(t, "../../archive/x/cert1.pem");
	free(t);
	ASSERT_INT_EQ(fs_symlink_replace(d.fd, "../../archive/x/cert2.pem", "cert.pem"), 0);
	t = link_target(&d, "cert.pem");
	ASSERT_STR_EQ(t, "../../archive/x/cert2.pem");
	free(t);
	ASSERT_INT_EQ(dir_count(d.path, &names), 1);
	ASSERT_STR_EQ(names, "cert.pem ");
	free(names);
	dir_close(&d);
}

/* While one process swaps the link, another never finds it missing. */
TEST(symlink_replace_atomic)
{
	struct dir d = dir_open();
	int status;
	pid_t pid;

	ASSERT_INT_EQ(fs_symlink_replace(d.fd, "t0", "l"), 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		char buf[16];

		for (int i = 0; i < 200000; i++)
			if (readlinkat(d.fd, "l", buf, sizeof(buf)) < 0)
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < 3000; i++)
		ASSERT_INT_EQ(fs_symlink_replace(d.fd, i % 2 ? "t1" : "t2", "l"), 0);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_INT_EQ(status, 0);
	ASSERT_INT_EQ(dir_count(d.path, NULL), 1);
	dir_close(&d);
}

TEST(name_ok)
{
	char n255[257];

	ASSERT_TRUE(fs_name_ok("example.com"));
	ASSERT_TRUE(fs_name_ok("a"));
	ASSERT_TRUE(fs_name_ok("a.b-c_d~"));
	ASSERT_TRUE(!fs_name_ok(NULL));
	ASSERT_TRUE(!fs_name_ok(""));
	ASSERT_TRUE(!fs_name_ok("."));
	ASSERT_TRUE(!fs_name_ok(".."));
	ASSERT_TRUE(!fs_name_ok(".hidden"));
	ASSERT_TRUE(!fs_name_ok("a/b"));
	ASSERT_TRUE(!fs_name_ok("/"));
	ASSERT_TRUE(!fs_name_ok("a\nb"));
	ASSERT_TRUE(!fs_name_ok("a\tb"));
	ASSERT_TRUE(!fs_name_ok("a\x7f"));
	ASSERT_TRUE(!fs_name_ok("a\x1b[31m"));
	ASSERT_TRUE(!fs_name_ok("a b"));
	ASSERT_TRUE(!fs_name_ok("caf\xc3\xa9"));
	memset(n255, 'a', 255);
	n255[255] = '\0';
	ASSERT_TRUE(fs_name_ok(n255));
	n255[255] = 'a';
	n255[256] = '\0';
	ASSERT_TRUE(!fs_name_ok(n255));
}

TEST(join)
{
	char *s;

	s = fs_join("/var/lib/acmed", "live");
	ASSERT_STR_EQ(s, "/var/lib/acmed/live");
	free(s);
	s = fs_join("/var/lib/acmed//", "live");
	ASSERT_STR_EQ(s, "/var/lib/acmed/live");
	free(s);
	s = fs_join("rel", "x/y");
	ASSERT_STR_EQ(s, "rel/x/y");
	free(s);
	/* "with one '/'" holds for the root too. */
	s = fs_join("/", "etc");
	ASSERT_STR_EQ(s, "/etc");
	free(s);
}

TEST(fsync_dir)
{
	struct dir d = dir_open();

	ASSERT_INT_EQ(fs_fsync_dir(d.fd), 0);
	ASSERT_INT_EQ(fs_fsync_dir(-1), -EBADF);
	dir_close(&d);
}

/* Temp files (".NAME.XXXXXXXXXXXX") go, everything else stays, also in a
 * directory whose entries take more than one read, and on a second call
 * through the same descriptor. */
TEST(remove_temps)
{
	struct dir d = dir_open();
	int removed = -1;

	for (int i = 0; i < 200; i++) {
		char name[64];

		snprintf(name, sizeof(name), "keep-%03d-with-a-longer-name.pem", i);
		ASSERT_INT_EQ(fs_write_durable(d.fd, name, "x", 1, 0644, 0), 0);
		snprintf(name, sizeof(name), ".cert%d.pem.%012x", i, i * 7919);
		ASSERT_INT_EQ(fs_write_durable(d.fd, name, "x", 1, 0644, 0), 0);
	}
	/* Not temp names: upper-case hex, too short a suffix, no dot before it. */
	ASSERT_INT_EQ(fs_write_durable(d.fd, ".cert.pem.0123456789AB", "x", 1, 0644, 0), 0);
	ASSERT_INT_EQ(fs_write_durable(d.fd, ".cert.pem.0123456789a", "x", 1, 0644, 0), 0);
	ASSERT_INT_EQ(fs_write_durable(d.fd, ".intent", "1", 1, 0644, 0), 0);
	ASSERT_INT_EQ(fs_remove_temps(d.fd, &removed), 0);
	ASSERT_INT_EQ(removed, 200);
	ASSERT_INT_EQ(dir_count(d.path, NULL), 203);
	ASSERT_INT_EQ(fs_write_durable(d.fd, ".x.0123456789ab", "x", 1, 0644, 0), 0);
	ASSERT_INT_EQ(fs_remove_temps(d.fd, &removed), 0);
	ASSERT_INT_EQ(removed, 1);
	ASSERT_INT_EQ(dir_count(d.path, NULL), 203);
	check_content(&d, ".intent", "1", 1);
	ASSERT_INT_EQ(fs_remove_temps(-1, &removed), -EBADF);
	dir_close(&d);
}
