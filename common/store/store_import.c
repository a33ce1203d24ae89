/* Adopting a lineage made by another client (certbot), version numbers and
 * key modes kept. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "store/store.h"
#include "util.h"

#include "store/store_priv.h"

int store_put_file_once(int archfd, const char *fname, const char *pem, mode_t mode, gid_t gid,
			int differs)
{
	char *old = NULL;
	size_t len = strlen(pem), oldlen = 0;
	int r = fs_write_durable_group(archfd, fname, pem, len, mode, gid, FS_NOREPLACE);

	if (r != -EEXIST)
		return r;
	r = fs_read_fileat(archfd, fname, PEM_MAX, &old, &oldlen);
	if (r == 0 && (oldlen != len || memcmp(old, pem, len) != 0))
		r = differs;
	if (old)
		explicit_bzero(old, oldlen);
	free(old);
	return r;
}

static int import_version(int archfd, const struct store_import_version *v)
{
	char fname[64];
	int r = 0;

	for (size_t i = 0; r == 0 && i < STORE_NKINDS; i++) {
		const char *pem = *store_pem_slot((struct version_pems *)&v->pems, i);

		r = store_file_name(fname, sizeof(fname), i, v->version);
		if (r == 0)
			r = store_put_file_once(archfd, fname, pem, i == 0 ? v->key_mode : 0644,
						i == 0 ? v->key_gid : (gid_t)-1, -EEXIST);
	}
	return r;
}

int store_import(struct store *s, const char *name, const struct store_import_version *v,
		 size_t n, int live, char *err, size_t errlen)
{
	struct version_pems back = { 0 };
	int archfd = -1, livefd = -1, r;
	bool have_live = false;

	if (!store_name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a valid certificate name", name);
		return -EINVAL;
	}
	if (store_exists(s, name)) {
		snprintf(err, errlen, "acmed already has a lineage named %s", name);
		return -EEXIST;
	}
	for (size_t i = 0; i < n; i++)
		have_live |= v[i].version == live;
	if (!have_live || live < 1) {
		snprintf(err, errlen, "version %d is not among those to import", live);
		return -EINVAL;
	}
	r = store_lock_lineage(s, name, &archfd, &livefd, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = import_version(archfd, &v[i]);
		if (r < 0) {
			snprintf(err, errlen, "%s/archive/%s version %d: %s", s->dir, name,
				 v[i].version,
				 r == -EEXIST ? "a different file of that name is already there"
					      : acmed_strerror(r));
			goto out;
		}
	}
	/* Check what is on disk, not what we meant to write. */
	r = store_read_version_at(archfd, live, &back);
	if (r == 0)
		r = store_check_pems(&back, err, errlen);
	else
		snprintf(err, errlen, "reading back version %d: %s", live, acmed_strerror(r));
	if (r == 0)
		r = store_go_live(s, name, archfd, livefd, live, err, errlen);
out:
	version_pems_clear(&back);
	close(archfd);
	close(livefd);
	return r;
}
