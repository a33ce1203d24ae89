/* Accounts copied as files, between this host's store and a cluster's
 * (cluster mode): accounts/SERVERDIR/ID/{key.pem,account.json}, SERVERDIR
 * being the directory the store keeps the CA's accounts in. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "store/store_priv.h"
#include "util.h"

#define ACCOUNT_FILE_MAX (64 * 1024)
#define SERVERDIR_DEPTH 8

struct walk {
	char ***dirs, ***ids;
	size_t *n;
};

static int add(struct walk *w, const char *rel, const char *id)
{
	char **d = realloc(*w->dirs, (*w->n + 1) * sizeof(char *));
	char **i = d ? realloc(*w->ids, (*w->n + 1) * sizeof(char *)) : NULL;

	if (d)
		*w->dirs = d;
	if (!i)
		return -ENOMEM;
	*w->ids = i;
	d[*w->n] = strdup(rel);
	i[*w->n] = strdup(id);
	if (!d[*w->n] || !i[*w->n]) {
		free(d[*w->n]);
		free(i[*w->n]);
		return -ENOMEM;
	}
	(*w->n)++;
	return 0;
}

static bool is_dir_at(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Directory DFD (REL under accounts/): an account if it holds key.pem,
 * else look below. Retired accounts (".deactivated-ID") start with a dot
 * and are left out. */
static int walk_dir(struct walk *w, int dfd, const char *rel, int depth)
{
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (depth > SERVERDIR_DEPTH || !(d = store_dir_stream(dfd)))
		return depth > SERVERDIR_DEPTH ? 0 : -errno;
	while (r == 0 && (e = readdir(d))) {
		char *sub = NULL;
		int cfd;

		if (e->d_name[0] == '.' || !fs_name_ok(e->d_name) || !is_dir_at(dfd, e->d_name))
			continue;
		cfd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;
		if (rel[0] && faccessat(cfd, "key.pem", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			r = add(w, rel, e->d_name);
		else if (asprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) < 0)
			r = -ENOMEM;
		else
			r = walk_dir(w, cfd, sub, depth + 1);
		free(sub);
		close(cfd);
	}
	closedir(d);
	return r;
}

int store_account_list_all(struct store *s, char ***serverdirs, char ***ids, size_t *n)
{
	struct walk w = { serverdirs, ids, n };
	int r;

	*serverdirs = *ids = NULL;
	*n = 0;
	r = walk_dir(&w, s->accounts_fd, "", 0);
	if (r < 0) {
		strv_free(*serverdirs, *n);
		strv_free(*ids, *n);
		*serverdirs = *ids = NULL;
		*n = 0;
	}
	return r;
}

/* accounts/SERVERDIR/ID, each component checked; made with CREATE. */
static int open_id(struct store *s, const char *serverdir, const char *id, bool create)
{
	int sfd, afd;

	if (!fs_name_ok(id) || id[0] == '.' || strstr(serverdir, "..") || serverdir[0] == '/')
		return -EINVAL;
	sfd = fs_open_dirs(s->accounts_fd, serverdir, create, 0700);
	if (sfd < 0)
		return sfd;
	if (create && mkdirat(sfd, id, 0700) < 0 && errno != EEXIST) {
		afd = -errno;
		close(sfd);
		return afd;
	}
	afd = openat(sfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (afd < 0)
		afd = -errno;
	else if (create)
		fs_fsync_dir(sfd);
	close(sfd);
	return afd;
}

int store_account_read_files(struct store *s, const char *serverdir, const char *id,
			     char **json, char **key_pem)
{
	int afd = open_id(s, serverdir, id, false), r;

	*json = *key_pem = NULL;
	if (afd < 0)
		return afd;
	r = fs_read_fileat(afd, "key.pem", ACCOUNT_FILE_MAX, key_pem, NULL);
	if (r == 0) {
		int j = fs_read_fileat(afd, "account.json", ACCOUNT_FILE_MAX, json, NULL);

		if (j < 0 && j != -ENOENT)
			r = j;
	}
	close(afd);
	if (r < 0) {
		str_free_secret(*key_pem);
		free(*json);
		*json = *key_pem = NULL;
	}
	return r;
}

int store_account_write_files(struct store *s, const char *serverdir, const char *id,
			      const char *json, const char *key_pem, bool *added)
{
	char *old = NULL;
	size_t len = strlen(key_pem), oldlen = 0;
	int afd = open_id(s, serverdir, id, true), r;

	*added = false;
	if (afd < 0)
		return afd;
	r = fs_write_durable(afd, "key.pem", key_pem, len, 0600, FS_NOREPLACE);
	if (r == 0)
		*added = true;
	if (r == -EEXIST) {
		r = fs_read_fileat(afd, "key.pem", ACCOUNT_FILE_MAX, &old, &oldlen);
		if (r == 0 && (oldlen != len || memcmp(old, key_pem, len) != 0))
			r = ACMED_EMISMATCH;
		if (old)
			explicit_bzero(old, oldlen);
		free(old);
	}
	/* account.json only where there is none: this host's may be newer. */
	if (r == 0 && json) {
		r = fs_write_durable(afd, "account.json", json, strlen(json), 0644, FS_NOREPLACE);
		if (r == -EEXIST)
			r = 0;
	}
	close(afd);
	return r;
}
