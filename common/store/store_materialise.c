/* Versions made on another host of a cluster, written here under their own
 * numbers (docs/cluster.md, "Materialise"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "store/store.h"
#include "util.h"

#include "store/store_priv.h"

static int put_version(int archfd, int n, const struct version_pems *v)
{
	char fname[64];
	mode_t key_mode;
	gid_t key_gid;
	int r = 0;

	store_key_access(archfd, n, &key_mode, &key_gid);
	for (size_t i = 0; r == 0 && i < STORE_NKINDS; i++) {
		const char *pem = *store_pem_slot((struct version_pems *)v, i);

		r = store_file_name(fname, sizeof(fname), i, n);
		if (r == 0)
			r = store_put_file_once(archfd, fname, pem, i == 0 ? key_mode : 0644,
						i == 0 ? key_gid : (gid_t)-1, ACMED_EMISMATCH);
	}
	return r;
}

/* Switch live/NAME to N unless it is there or further already. */
static int maybe_go_live(struct store *s, const char *name, int archfd, int livefd, int n,
			 bool *switched, char *err, size_t errlen)
{
	int cur = 0, r = store_live_version(s, name, &cur);

	if (r < 0 && r != -ENOENT)
		cur = 0; /* broken links: the version checked here repairs them */
	if (cur >= n)
		return 0;
	r = store_go_live(s, name, archfd, livefd, n, err, errlen);
	if (r == 0)
		*switched = true;
	return r;
}

int store_materialise(struct store *s, const char *name, int n, const struct version_pems *v,
		      bool live, bool *switched, char *err, size_t errlen)
{
	struct version_pems back = { 0 };
	int archfd = -1, livefd = -1, r;

	*switched = false;
	if (!store_name_valid(name) || n < 1) {
		snprintf(err, errlen, "'%s' version %d is not a valid lineage version", name, n);
		return -EINVAL;
	}
	r = store_check_pems(v, err, errlen);
	if (r < 0)
		return r;
	r = store_lock_lineage(s, name, &archfd, &livefd, err, errlen);
	if (r < 0)
		return r;
	r = put_version(archfd, n, v);
	if (r < 0) {
		snprintf(err, errlen, "%s/archive/%s version %d: %s", s->dir, name, n,
			 r == ACMED_EMISMATCH ? "a different file of that number is already there"
					      : acmed_strerror(r));
		goto out;
	}
	/* Check what is on disk, not what we meant to write. */
	r = store_read_version_at(archfd, n, &back);
	if (r == 0)
		r = store_check_pems(&back, err, errlen);
	else
		snprintf(err, errlen, "reading back version %d of %s: %s", n, name,
			 acmed_strerror(r));
	if (r == 0 && live)
		r = maybe_go_live(s, name, archfd, livefd, n, switched, err, errlen);
out:
	version_pems_clear(&back);
	close(archfd);
	close(livefd);
	return r;
}

/* Give R (parsed from another host's text) the state section and the
 * revocation mark of lineage NAME's file here, if it has one that parses. */
static void keep_local_state(struct store *s, const char *name, struct renewal *r)
{
	struct renewal here;
	char err[256];

	if (store_renewal_load(s, name, &here, err, sizeof(err)) < 0)
		return;
	renewal_state_clear(&r->state);
	free(r->revoked_reason);
	free(r->revoked_serial);
	r->state = here.state;
	r->revoked = here.revoked;
	r->revoked_at = here.revoked_at;
	r->revoked_reason = here.revoked_reason;
	r->revoked_serial = here.revoked_serial;
	memset(&here.state, 0, sizeof(here.state));
	here.revoked_reason = here.revoked_serial = NULL;
	renewal_clear(&here);
}

int store_renewal_put_text(struct store *s, const char *name, const char *text, bool keep_state,
			   bool *changed, char *err, size_t errlen)
{
	char *conf = store_name_valid(name) ? store_conf_name(name) : NULL, *old = NULL;
	char *merged = NULL;
	struct renewal r;
	int ret;

	*changed = false;
	if (!conf) {
		snprintf(err, errlen, "'%s' is not a valid certificate name", name);
		return -EINVAL;
	}
	/* What reaches the renewal directory must be a renewal file. */
	ret = renewal_parse(text, conf, &r, err, errlen);
	if (ret == 0) {
		if (r.name && !streq(r.name, name)) {
			snprintf(err, errlen, "the renewal file for %s names lineage %s", name,
				 r.name);
			ret = -EINVAL;
		} else if (keep_state) {
			keep_local_state(s, name, &r);
			ret = renewal_format(&r, &merged);
			if (ret < 0)
				snprintf(err, errlen, "%s", acmed_strerror(ret));
			text = merged;
		}
		renewal_clear(&r);
	}
	if (ret == 0 && fs_read_fileat(s->renewal_fd, conf, PEM_MAX, &old, NULL) == 0 &&
	    streq(old, text))
		goto out;
	if (ret == 0) {
		ret = fs_write_durable(s->renewal_fd, conf, text, strlen(text), 0600, 0);
		if (ret < 0)
			snprintf(err, errlen, "%s/renewal/%s: %s", s->dir, conf, acmed_strerror(ret));
		else
			*changed = true;
	}
out:
	free(merged);
	free(old);
	free(conf);
	return ret;
}
