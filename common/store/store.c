#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "certcheck.h"
#include "crypto.h"
#include "error.h"
#include "fsutil.h"
#include "jws.h"
#include "log.h"
#include "store/store.h"
#include "util.h"

#include "store/store_priv.h"

const char *const store_kinds[STORE_NKINDS] = { "privkey", "cert", "chain", "fullchain" };

static const char live_readme[] =
	"This directory contains your keys and certificates.\n"
	"\n"
	"`privkey.pem`  : the private key for your certificate.\n"
	"`fullchain.pem`: the certificate file used in most server software.\n"
	"`chain.pem`    : used for OCSP stapling in Nginx >=1.3.7.\n"
	"`cert.pem`     : will break many server configurations, and should not be used\n"
	"                 without reading further documentation (see link below).\n"
	"\n"
	"These are symbolic links into ../../archive/; acmed switches them to each\n"
	"new version. Point your server at these paths, never at archive/.\n";

void version_pems_clear(struct version_pems *v)
{
	if (v->privkey)
		OPENSSL_cleanse(v->privkey, strlen(v->privkey));
	free(v->cert);
	free(v->chain);
	free(v->fullchain);
	free(v->privkey);
	memset(v, 0, sizeof(*v));
}

char **store_pem_slot(struct version_pems *v, size_t i)
{
	char **slots[] = { &v->privkey, &v->cert, &v->chain, &v->fullchain };

	return slots[i];
}

static int open_subdir(int dfd, const char *name, mode_t mode, bool create)
{
	int fd;

	if (create && mkdirat(dfd, name, mode) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int store_open(const char *dir, bool create, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->dfd = s->archive_fd = s->live_fd = s->renewal_fd = s->accounts_fd = -1;
	s->live_wait = STORE_LIVE_WRITE_WAIT;
	s->dir = strdup(dir);
	if (!s->dir) {
		r = -ENOMEM;
		goto fail;
	}
	if (create && (r = fs_mkdirs(dir, 0755)) < 0)
		goto fail;
	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		r = -errno;
		goto fail;
	}
	/* Keys live below archive/, live/ and accounts/: only root enters. */
	if ((r = s->archive_fd = open_subdir(s->dfd, "archive", 0700, create)) < 0 ||
	    (r = s->live_fd = open_subdir(s->dfd, "live", 0700, create)) < 0 ||
	    (r = s->accounts_fd = open_subdir(s->dfd, "accounts", 0700, create)) < 0 ||
	    (r = s->renewal_fd = open_subdir(s->dfd, "renewal", 0755, create)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return r;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int *fd = &s->dfd; fd <= &s->accounts_fd; fd++)
		if (*fd >= 0)
			close(*fd);
	free(s->dir);
	free(s);
}

/* NAME in DFD, a directory of mode 0755 if it is made now (whatever the
 * umask). 0 or -errno. */
static int make_dir(int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	return fchmodat(dfd, name, 0755, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOTSUP ? -errno : 0;
}

int store_make_hook_dirs(struct store *s)
{
	static const char *const kinds[] = { "pre", "deploy", "post", "alert" };
	int r = make_dir(s->dfd, "renewal-hooks"), fd;

	if (r < 0)
		return r;
	fd = openat(s->dfd, "renewal-hooks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(kinds); i++)
		r = make_dir(fd, kinds[i]);
	close(fd);
	return r;
}

const char *store_dir(const struct store *s)
{
	return s->dir;
}

bool store_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!fs_name_ok(name) || n > 200 || name[0] == '-')
		return false;
	/* ".conf" is appended for the renewal file; keep names plain. */
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    c != '.' && c != '-' && c != '_')
			return false;
	}
	return true;
}

char *store_name_base(const char *first_domain)
{
	char *name;

	if (strncmp(first_domain, "*.", 2) == 0)
		first_domain += 2;
	name = strdup(first_domain);
	/* An IPv6 address names its lineage with '_' for ':' ("2001_db8__1"). */
	for (char *p = name; p && *p; p++)
		if (*p == ':')
			*p = '_';
	return name;
}

/* Read the directory DIRFD refers to from its start, without giving up
 * DIRFD. NULL with errno set on failure. */
DIR *store_dir_stream(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	rewinddir(d);
	return d;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list(struct store *s, char ***names, size_t *n)
{
	DIR *d = store_dir_stream(s->renewal_fd);
	struct dirent *e;
	char **v = NULL;
	size_t count = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *name, **nv;

		if (len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		name = strndup(e->d_name, len - 5);
		if (!name || !store_name_valid(name)) {
			free(name);
			continue;
		}
		nv = realloc(v, (count + 2) * sizeof(*v));
		if (!nv) {
			free(name);
			strv_free(v, count);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		v[count++] = name;
		v[count] = NULL;
	}
	closedir(d);
	if (count)
		qsort(v, count, sizeof(*v), cmp_str);
	*names = v;
	*n = count;
	return 0;
}

char *store_conf_name(const char *name)
{
	char *s;

	return asprintf(&s, "%s.conf", name) < 0 ? NULL : s;
}

bool store_exists(struct store *s, const char *name)
{
	char *conf = store_name_valid(name) ? store_conf_name(name) : NULL;
	bool r = conf && faccessat(s->renewal_fd, conf, F_OK, AT_SYMLINK_NOFOLLOW) == 0;

	free(conf);
	return r;
}

int store_renewal_load(struct store *s, const char *name, struct renewal *r, char *err,
		       size_t errlen)
{
	char *conf = store_conf_name(name), *text = NULL, *fname = NULL;
	int ret;

	if (!conf)
		return -ENOMEM;
	if (asprintf(&fname, "%s/renewal/%s", s->dir, conf) < 0)
		fname = NULL;
	/* It names hooks run as root: trusted (fsutil.h), or not read. */
	ret = fs_read_trusted_at(s->renewal_fd, conf, fname ? fname : conf, PEM_MAX, &text, NULL, err,
				 errlen);
	if (ret == 0)
		ret = renewal_parse(text, fname ? fname : conf, r, err, errlen);
	if (ret == 0 && !streq(r->name, name)) {
		snprintf(err, errlen, "%s: name: '%s' does not match the file name", fname,
			 r->name);
		renewal_clear(r);
		ret = -EINVAL;
	}
	free(text);
	free(fname);
	free(conf);
	return ret;
}

int store_renewal_save(struct store *s, const struct renewal *r)
{
	char *conf = store_conf_name(r->name), *text = NULL;
	int ret = conf ? renewal_format(r, &text) : -ENOMEM;

	if (ret == 0)
		ret = fs_write_durable(s->renewal_fd, conf, text, strlen(text), 0600, 0);
	free(text);
	free(conf);
	return ret;
}

int store_renewal_record_failure(struct store *s, const char *name, time_t now, const char *error,
				 time_t retry_after, struct renewal_state *out, char *err,
				 size_t errlen)
{
	struct renewal r;
	int ret = store_renewal_load(s, name, &r, err, errlen);

	if (ret < 0)
		return ret;
	ret = renewal_state_fail(&r.state, now, error, retry_after);
	if (ret == 0)
		ret = store_renewal_save(s, &r);
	if (ret < 0)
		snprintf(err, errlen, "%s/renewal/%s.conf: %s", s->dir, name, acmed_strerror(ret));
	if (ret == 0 && out) {
		*out = r.state;
		memset(&r.state, 0, sizeof(r.state));
	}
	renewal_clear(&r);
	return ret;
}

int store_renewal_mark_revoked(struct store *s, const char *name, const char *serial,
			       const char *reason, time_t at, char *err, size_t errlen)
{
	struct renewal r;
	int ret = store_renewal_load(s, name, &r, err, errlen);

	if (ret < 0)
		return ret;
	/* Revoked again (the CA answered alreadyRevoked): the first
	 * revocation's reason and time are the true ones. */
	if (r.revoked && streq(r.revoked_serial, serial)) {
		renewal_clear(&r);
		return 0;
	}
	r.revoked = true;
	r.revoked_at = at;
	free(r.revoked_reason);
	free(r.revoked_serial);
	r.revoked_reason = xstrdup(reason);
	r.revoked_serial = xstrdup(serial);
	ret = store_renewal_save(s, &r);
	if (ret < 0)
		snprintf(err, errlen, "%s/renewal/%s.conf: %s", s->dir, name, acmed_strerror(ret));
	renewal_clear(&r);
	return ret;
}

/* fullchainN.pem holds all that the download took. */
_Static_assert(PEM_MAX >= CERT_CHAIN_MAX, "the store must take any chain the download takes");

int store_check_pems(const struct version_pems *v, char *err, size_t errlen)
{
	char **certs = NULL, *joined = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(store_kinds); i++) {
		if (str_empty(*store_pem_slot((struct version_pems *)v, i))) {
			snprintf(err, errlen, "%s is empty", store_kinds[i]);
			return ACMED_ECORRUPT;
		}
	}
	r = crypto_pem_split(v->cert, strlen(v->cert), &certs, &n);
	if (r < 0 || n != 1) {
		snprintf(err, errlen, "cert does not hold exactly one certificate");
		r = ACMED_ECORRUPT;
		goto out;
	}
	strv_free(certs, n);
	certs = NULL;
	r = crypto_pem_split(v->chain, strlen(v->chain), &certs, &n);
	if (r < 0) {
		snprintf(err, errlen, "chain does not parse");
		r = ACMED_ECORRUPT;
		goto out;
	}
	if (asprintf(&joined, "%s%s", v->cert, v->chain) < 0) {
		joined = NULL;
		r = -ENOMEM;
		goto out;
	}
	if (!streq(joined, v->fullchain)) {
		snprintf(err, errlen, "fullchain is not cert followed by chain");
		r = ACMED_EMISMATCH;
		goto out;
	}
	r = crypto_key_matches_cert(v->privkey, strlen(v->privkey), v->cert, strlen(v->cert));
	if (r < 0) {
		snprintf(err, errlen, r == ACMED_EMISMATCH ? "privkey does not match cert"
							     : "privkey does not parse");
		goto out;
	}
	/* What a certificate must be to be published, but for the times
	 * (an old version has expired) and the names (a lineage's names may
	 * change): certcheck.h. */
	r = certcheck_run(&(struct certcheck){ .cert = v->cert, .chain = v->chain }, err, errlen);
out:
	strv_free(certs, n);
	free(joined);
	return r;
}

int store_file_name(char *buf, size_t len, size_t kind, int version)
{
	int n = snprintf(buf, len, "%s%d.pem", store_kinds[kind], version);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Highest N of any archive/NAME/{cert,chain,fullchain,privkey}N.pem; 0 if
 * none. A version a crash left half-written still counts, so the next
 * publish never collides with its files. */
int store_highest_version(int dirfd)
{
	int best = 0;
	DIR *d = store_dir_stream(dirfd);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		for (size_t i = 0; i < ELEMENTSOF(store_kinds); i++) {
			size_t klen = strlen(store_kinds[i]);
			int v;
			char tail[8];

			if (strncmp(e->d_name, store_kinds[i], klen) == 0 &&
			    sscanf(e->d_name + klen, "%d%7s", &v, tail) == 2 &&
			    streq(tail, ".pem") && v > best)
				best = v;
		}
	}
	closedir(d);
	return best;
}

int store_read_version_at(int archfd, int version, struct version_pems *v)
{
	char fname[64];
	int r = 0;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(store_kinds); i++) {
		r = store_file_name(fname, sizeof(fname), i, version);
		if (r == 0)
			r = fs_read_fileat(archfd, fname, PEM_MAX, store_pem_slot(v, i), NULL);
	}
	if (r < 0)
		version_pems_clear(v);
	return r;
}

/* Point the four live links at VERSION, then fsync live/NAME. The caller
 * holds live/'s lock (store_live.c). */
int store_switch_links(int livefd, const char *name, int version)
{
	char target[512], fname[64], link[32];
	int r;

	for (size_t i = 0; i < ELEMENTSOF(store_kinds); i++) {
		store_file_name(fname, sizeof(fname), i, version);
		snprintf(target, sizeof(target), "../../archive/%s/%s", name, fname);
		snprintf(link, sizeof(link), "%s.pem", store_kinds[i]);
		r = fs_symlink_replace(livefd, target, link);
		if (r < 0)
			return r;
	}
	return fs_fsync_dir(livefd);
}

int store_write_intent(int archfd, int version)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", version);

	return fs_write_durable(archfd, ".intent", buf, (size_t)n, 0600, 0);
}

int store_clear_intent(int archfd)
{
	if (unlinkat(archfd, ".intent", 0) < 0 && errno != ENOENT)
		return -errno;
	return fs_fsync_dir(archfd);
}

/* The mode and group of a new privkeyN.pem: 0600, but with the group of
 * the newest earlier key and its group-read bit (as certbot does), so a
 * server reading keys through a group (ssl-cert) keeps working. */
void store_key_access(int archfd, int version, mode_t *mode, gid_t *gid)
{
	char fname[64];
	struct stat st;

	*mode = 0600;
	*gid = (gid_t)-1;
	for (int n = version - 1; n > 0; n--) {
		store_file_name(fname, sizeof(fname), 0, n);
		if (fstatat(archfd, fname, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
			*mode |= st.st_mode & S_IRGRP;
			*gid = st.st_gid;
			return;
		}
	}
}

int store_write_version(int archfd, int version, const struct version_pems *v)
{
	char fname[64];
	mode_t key_mode;
	gid_t key_gid;
	int r = 0;

	store_key_access(archfd, version, &key_mode, &key_gid);
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(store_kinds); i++) {
		const char *pem = *store_pem_slot((struct version_pems *)v, i);

		r = store_file_name(fname, sizeof(fname), i, version);
		if (r == 0 && i == 0)
			r = fs_write_durable_group(archfd, fname, pem, strlen(pem), key_mode,
						   key_gid, FS_NOREPLACE);
		else if (r == 0)
			r = fs_write_durable(archfd, fname, pem, strlen(pem), 0644, FS_NOREPLACE);
	}
	return r;
}

int store_open_lineage_dirs(struct store *s, const char *name, bool create, int *archfd,
			     int *livefd)
{
	*archfd = open_subdir(s->archive_fd, name, 0755, create);
	if (*archfd < 0)
		return *archfd;
	*livefd = open_subdir(s->live_fd, name, 0755, create);
	if (*livefd < 0) {
		close(*archfd);
		return *livefd;
	}
	return 0;
}

/* The intent, the links and the intent gone, all under live/'s lock: a
 * hook or a check never sees a switch half done (store_live.c). */
int store_go_live(struct store *s, const char *name, int archfd, int livefd, int n, char *err,
		  size_t errlen)
{
	struct store_live_lock lock;
	int r = store_live_lock(s, false, &lock);

	if (r == 0)
		r = store_write_intent(archfd, n);
	if (r == 0)
		r = store_switch_links(livefd, name, n);
	if (r == -EBUSY) {
		snprintf(err, errlen, "%s/live/%s not switched to version %d: a hook (or another "
				      "reader of live/) held live/ for over %d s", s->dir, name, n,
			 s->live_wait);
		return r;
	}
	if (r < 0) {
		store_live_unlock(&lock);
		snprintf(err, errlen, "switching %s/live/%s: %s", s->dir, name, acmed_strerror(r));
		return r;
	}
	if (faccessat(livefd, "README", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		fs_write_durable(livefd, "README", live_readme, sizeof(live_readme) - 1, 0644, 0);
	r = store_clear_intent(archfd);
	store_live_unlock(&lock);
	return r;
}

int store_lock_lineage(struct store *s, const char *name, int *archfd, int *livefd, char *err,
		       size_t errlen)
{
	int r = store_open_lineage_dirs(s, name, true, archfd, livefd);

	if (r < 0) {
		snprintf(err, errlen, "%s/archive/%s: %s", s->dir, name, acmed_strerror(r));
		return r;
	}
	/* One publisher per lineage, also across processes. */
	if (flock(*archfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, "lineage %s is locked by another process", name);
		close(*archfd);
		close(*livefd);
		*archfd = *livefd = -1;
		return r;
	}
	return 0;
}

int store_publish(struct store *s, const char *name, const struct version_pems *v, int *version,
		  char *err, size_t errlen)
{
	struct version_pems back = { 0 };
	int archfd = -1, livefd = -1, n, r;

	if (!store_name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a valid certificate name", name);
		return -EINVAL;
	}
	r = store_check_pems(v, err, errlen);
	if (r < 0)
		return r;
	r = store_lock_lineage(s, name, &archfd, &livefd, err, errlen);
	if (r < 0)
		return r;
	n = store_highest_version(archfd);
	if (n < 0) {
		r = n;
		goto out;
	}
	n++;
	r = store_write_version(archfd, n, v);
	if (r < 0) {
		snprintf(err, errlen, "writing %s/archive/%s version %d: %s", s->dir, name, n,
			 acmed_strerror(r));
		goto out;
	}
	/* Check what is on disk, not what we meant to write. */
	r = store_read_version_at(archfd, n, &back);
	if (r == 0)
		r = store_check_pems(&back, err, errlen);
	if (r < 0)
		goto out;
	r = store_go_live(s, name, archfd, livefd, n, err, errlen);
	if (r == 0)
		*version = n;
out:
	version_pems_clear(&back);
	close(archfd);
	close(livefd);
	return r;
}

int store_delete(struct store *s, const char *name, char *err, size_t errlen)
{
	char *conf = store_name_valid(name) ? store_conf_name(name) : NULL;
	int archfd, r = 0;

	if (!conf) {
		snprintf(err, errlen, "'%s' is not a valid certificate name", name);
		return -EINVAL;
	}
	archfd = openat(s->archive_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* The publishers' lock: never pull a lineage from under one. */
	if (archfd >= 0 && flock(archfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, "lineage %s is locked by another process", name);
		goto out;
	}
	if (unlinkat(s->renewal_fd, conf, 0) < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(err, errlen, "%s/renewal/%s: %s", s->dir, conf, strerror(errno));
		goto out;
	}
	if ((r = fs_fsync_dir(s->renewal_fd)) < 0 || (r = fs_remove_tree(s->live_fd, name)) < 0 ||
	    (r = fs_remove_tree(s->archive_fd, name)) < 0)
		snprintf(err, errlen, "deleting %s from %s: %s", name, s->dir, acmed_strerror(r));
out:
	if (archfd >= 0)
		close(archfd);
	free(conf);
	return r;
}

int store_live_version(struct store *s, const char *name, int *version)
{
	char link[512], fname[64], expect[600];
	int livefd, v;
	ssize_t n;

	livefd = openat(s->live_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (livefd < 0)
		return -errno;
	n = readlinkat(livefd, "cert.pem", link, sizeof(link) - 1);
	close(livefd);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	if (sscanf(link + (strrchr(link, '/') ? strrchr(link, '/') - link + 1 : 0), "cert%d.pem",
		   &v) != 1 || v < 1)
		return ACMED_ECORRUPT;
	store_file_name(fname, sizeof(fname), 1, v);
	snprintf(expect, sizeof(expect), "../../archive/%s/%s", name, fname);
	if (!streq(link, expect))
		return ACMED_ECORRUPT;
	*version = v;
	return 0;
}

int store_read_version(struct store *s, const char *name, int version, struct version_pems *v)
{
	int archfd, r;

	if (version == 0 && (r = store_live_version(s, name, &version)) < 0)
		return r;
	archfd = openat(s->archive_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (archfd < 0)
		return -errno;
	r = store_read_version_at(archfd, version, v);
	close(archfd);
	return r;
}

int store_read_cert(struct store *s, const char *name, char **pem)
{
	int version, r = store_live_version(s, name, &version);

	return r < 0 ? r : store_read_cert_version(s, name, version, pem);
}

int store_read_cert_version(struct store *s, const char *name, int version, char **pem)
{
	char fname[64];
	int archfd, r;

	archfd = openat(s->archive_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (archfd < 0)
		return -errno;
	store_file_name(fname, sizeof(fname), 1, version);
	r = fs_read_fileat(archfd, fname, PEM_MAX, pem, NULL);
	close(archfd);
	return r;
}

char *store_live_path(const struct store *s, const char *name, const char *file)
{
	char *p;

	return asprintf(&p, "%s/live/%s/%s", s->dir, name, file) < 0 ? NULL : p;
}

char *store_renewal_path(const struct store *s, const char *name)
{
	char *p;

	return asprintf(&p, "%s/renewal/%s.conf", s->dir, name) < 0 ? NULL : p;
}
