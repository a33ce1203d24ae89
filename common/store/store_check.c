/* Checking a lineage against the store's invariant, and repairing live/:
 * every file in live/NAME a symlink into archive/NAME/, all four at one
 * version, that version's files whole and matching, keys not readable by
 * others, and the renewal file readable. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certcheck.h"
#include "error.h"
#include "fsutil.h"
#include "store/store_priv.h"
#include "util.h"

static void problem(struct json_object *list, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct json_object *list, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_array_add(list, json_object_new_string(msg));
}

/* The version live/NAME/KIND.pem links to, 0 if it is no link into
 * archive/NAME (a problem said in LIST), -1 if it is missing. */
static int link_version(int livefd, const char *name, size_t kind, struct json_object *list)
{
	char link[32], target[512], want[600], fname[64];
	const char *base;
	struct stat st;
	ssize_t n;
	int v = 0;

	snprintf(link, sizeof(link), "%s.pem", store_kinds[kind]);
	if (fstatat(livefd, link, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		problem(list, "live/%s/%s is missing", name, link);
		return -1;
	}
	if (!S_ISLNK(st.st_mode)) {
		problem(list, "live/%s/%s is a %s, not a link into archive/%s (flattened by a copy "
			      "or a backup restore?)",
			name, link, S_ISREG(st.st_mode) ? "regular file" : "non-link", name);
		return 0;
	}
	n = readlinkat(livefd, link, target, sizeof(target) - 1);
	if (n < 0) {
		problem(list, "live/%s/%s: %s", name, link, strerror(errno));
		return 0;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	if (sscanf(base ? base + 1 : target, "%*[a-z]%d.pem", &v) != 1)
		v = 0;
	store_file_name(fname, sizeof(fname), kind, v > 0 ? v : 1);
	snprintf(want, sizeof(want), "../../archive/%s/%s", name, fname);
	if (v < 1 || !streq(target, want)) {
		problem(list, "live/%s/%s points at %s, not into archive/%s", name, link, target,
			name);
		return 0;
	}
	if (fstatat(livefd, link, &st, 0) < 0) {
		problem(list, "live/%s/%s points at %s, which does not exist", name, link, target);
		return 0;
	}
	return v;
}

/* Private keys of every version: no access for others (the group may read,
 * as certbot keeps it for a web server's group). */
static void check_key_modes(int archfd, const char *name, struct json_object *list)
{
	DIR *d = store_dir_stream(archfd);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		struct stat st;

		if (strncmp(e->d_name, "privkey", 7) != 0 ||
		    fstatat(archfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(st.st_mode))
			problem(list, "archive/%s/%s is not a regular file", name, e->d_name);
		else if (st.st_mode & 0037)
			problem(list, "archive/%s/%s has mode %04o: others (or the group) may write "
				      "or read it; it should be 0600",
				name, e->d_name, (unsigned)(st.st_mode & 07777));
	}
	if (d)
		closedir(d);
}

/* Renewal files may name hooks and credentials' paths: 0600. */
static void check_conf_mode(struct store *s, const char *name, struct json_object *list)
{
	char *conf = store_conf_name(name);
	struct stat st;

	if (conf && fstatat(s->renewal_fd, conf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & 077))
		problem(list, "renewal/%s has mode %04o: it should be 0600", conf,
			(unsigned)(st.st_mode & 07777));
	free(conf);
}

/* True if every file of version N is there: a version a crash left half
 * written is never linked, and no problem. */
static bool version_complete(int archfd, int n)
{
	char fname[64];

	for (size_t k = 0; k < STORE_NKINDS; k++)
		if (store_file_name(fname, sizeof(fname), k, n) < 0 ||
		    faccessat(archfd, fname, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			return false;
	return true;
}

/* The versions live/ does not point at: what store_publish() checks, but
 * for the times (an old certificate has expired) and the names. What
 * fails is noted, not a problem: nothing serves it, and repair cannot
 * change it. */
static void check_old_versions(int archfd, const char *name, int live, struct json_object *list)
{
	int top = store_highest_version(archfd);
	char err[600];

	for (int n = 1; n <= top; n++) {
		struct version_pems pems;

		if (n == live || !version_complete(archfd, n))
			continue;
		if (store_read_version_at(archfd, n, &pems) < 0)
			problem(list, "archive/%s: version %d cannot be read", name, n);
		else if (store_check_pems(&pems, err, sizeof(err)) < 0)
			problem(list, "archive/%s version %d (not live): %s", name, n, err);
		version_pems_clear(&pems);
	}
}

/* The version live/ points at: also what a certificate must be now, for
 * the lineage's names (certcheck.h). */
static void check_live_version(int archfd, const char *name, int n, const struct renewal *r,
			       const struct store_check_opts *o, struct json_object *list)
{
	struct version_pems pems;
	char err[600];

	if (store_read_version_at(archfd, n, &pems) < 0) {
		problem(list, "archive/%s: version %d cannot be read", name, n);
		return;
	}
	if (store_check_pems(&pems, err, sizeof(err)) < 0 ||
	    certcheck_run(&(struct certcheck){ .cert = pems.cert, .chain = pems.chain,
					       .names = r ? r->domains : NULL,
					       .nnames = r ? r->ndomains : 0,
					       .now = o ? o->now : 0,
					       .roots = o ? o->roots : NULL },
			  err, sizeof(err)) < 0)
		problem(list, "archive/%s version %d: %s", name, n, err);
	version_pems_clear(&pems);
}

int store_check(struct store *s, const char *name, const struct store_check_opts *o,
		struct json_object *problems, struct json_object *notes)
{
	size_t before = json_object_array_length(problems);
	int archfd = -1, livefd = -1, v[STORE_NKINDS];
	struct store_live_lock lock = STORE_LIVE_UNLOCKED;
	struct renewal r;
	char err[512];
	bool same = true, links_ok = true, have_conf;

	have_conf = store_renewal_load(s, name, &r, err, sizeof(err)) == 0;
	if (!have_conf)
		problem(problems, "%s", err);
	check_conf_mode(s, name, problems);
	archfd = openat(s->archive_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	livefd = openat(s->live_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (archfd < 0)
		problem(problems, "archive/%s is missing", name);
	if (livefd < 0)
		problem(problems, "live/%s is missing", name);
	if (archfd < 0 || livefd < 0)
		goto out;
	/* Not across a switch: a renewal's intent and links are not a fault. */
	store_live_lock_wait(s, &lock);
	if (faccessat(archfd, ".intent", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		problem(problems, "archive/%s/.intent: an update of live/ was interrupted (acmed "
				  "finishes it when it starts)", name);
	for (size_t k = 0; k < STORE_NKINDS; k++) {
		v[k] = link_version(livefd, name, k, problems);
		same &= v[k] == v[0];
		links_ok &= v[k] > 0;
	}
	if (links_ok && same) {
		check_live_version(archfd, name, v[0], have_conf ? &r : NULL, o, problems);
	} else if (links_ok) {
		problem(problems, "live/%s links point at different versions (privkey %d, cert %d, "
				  "chain %d, fullchain %d)",
			name, v[0], v[1], v[2], v[3]);
	}
	if (notes)
		check_old_versions(archfd, name, links_ok && same ? v[0] : 0, notes);
	check_key_modes(archfd, name, problems);
out:
	store_live_unlock(&lock);
	if (have_conf)
		renewal_clear(&r);
	if (archfd >= 0)
		close(archfd);
	if (livefd >= 0)
		close(livefd);
	return json_object_array_length(problems) > before ? ACMED_ECORRUPT : 0;
}

/* What live/NAME holds, read through links or as the regular files a
 * backup restore left, if it is a whole, matching set; else -EINVAL. */
static int live_contents(int archfd, int livefd, struct version_pems *v)
{
	char link[32], target[512];
	int r = 0;

	memset(v, 0, sizeof(*v));
	for (size_t k = 0; r == 0 && k < STORE_NKINDS; k++) {
		char **slot = store_pem_slot(v, k);
		ssize_t n;

		snprintf(link, sizeof(link), "%s.pem", store_kinds[k]);
		n = readlinkat(livefd, link, target, sizeof(target) - 1);
		if (n < 0) {
			/* Not a link: a regular file, read where it is. */
			r = errno == EINVAL ? fs_read_fileat(livefd, link, PEM_MAX, slot, NULL)
					    : -errno;
			continue;
		}
		target[n] = '\0';
		/* A link is followed by hand, and only into this lineage's
		 * archive: ../../archive/NAME/FILE. */
		r = strncmp(target, "../../archive/", 14) == 0 && strchr(target + 14, '/') &&
				    fs_name_ok(strrchr(target, '/') + 1)
			    ? fs_read_fileat(archfd, strrchr(target, '/') + 1, PEM_MAX, slot, NULL)
			    : -ELOOP;
	}
	if (r == 0 && store_check_pems(v, target, sizeof(target)) < 0)
		r = -EINVAL;
	if (r < 0)
		version_pems_clear(v);
	return r;
}

/* True if archive version N holds exactly V. */
static bool same_as_version(int archfd, int n, const struct version_pems *v)
{
	struct version_pems a;
	bool same = store_read_version_at(archfd, n, &a) == 0;

	for (size_t k = 0; same && k < STORE_NKINDS; k++)
		same = streq(*store_pem_slot(&a, k), *store_pem_slot((struct version_pems *)v, k));
	version_pems_clear(&a);
	return same;
}

/* The version live/ should point at: a whole set the live files hold but
 * no archive version does (a restore that kept only live/) is saved as a
 * new version first; else the newest version that passes the check. */
static int pick_version(int archfd, int livefd, char *what, size_t whatlen)
{
	struct version_pems cur;
	int top = store_highest_version(archfd), n;

	if (top < 0)
		return top;
	if (live_contents(archfd, livefd, &cur) == 0) {
		for (n = top; n > 0 && !same_as_version(archfd, n, &cur); n--)
			;
		if (n == 0) {
			n = top + 1;
			if (store_write_version(archfd, n, &cur) < 0)
				n = 0;
			else
				snprintf(what, whatlen, "saved what live/ held as version %d; ", n);
		}
		version_pems_clear(&cur);
		if (n > 0 && store_version_good(archfd, n))
			return n;
	}
	for (n = top; n > 0 && !store_version_good(archfd, n); n--)
		;
	return n;
}

/* Private keys open to others are closed to them: 0600. */
static int fix_key_modes(int archfd, char *what, size_t whatlen)
{
	DIR *d = store_dir_stream(archfd);
	struct dirent *e;
	int fixed = 0;

	while (d && (e = readdir(d))) {
		struct stat st;

		if (strncmp(e->d_name, "privkey", 7) == 0 &&
		    fstatat(archfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && (st.st_mode & 0037) &&
		    fchmodat(archfd, e->d_name, 0600, 0) == 0)
			fixed++;
	}
	if (d)
		closedir(d);
	if (fixed)
		snprintf(what + strlen(what), whatlen - strlen(what),
			 "%s%d private key(s) made 0600", *what ? "; " : "", fixed);
	return fixed;
}

static void fix_conf_mode(struct store *s, const char *name, char *what, size_t whatlen)
{
	char *conf = store_conf_name(name);
	struct stat st;

	if (conf && fstatat(s->renewal_fd, conf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && (st.st_mode & 077) && fchmodat(s->renewal_fd, conf, 0600, 0) == 0)
		snprintf(what + strlen(what), whatlen - strlen(what), "%srenewal/%s made 0600",
			 *what ? "; " : "", conf);
	free(conf);
}

int store_repair(struct store *s, const char *name, char *what, size_t whatlen)
{
	struct store_live_lock lock;
	char saved[128] = "";
	int archfd = -1, livefd = -1, n, r;

	archfd = openat(s->archive_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (archfd < 0) {
		snprintf(what, whatlen, "archive/%s is missing: nothing to link to", name);
		return ACMED_ECORRUPT;
	}
	close(archfd);
	/* Also makes live/NAME again if it is gone. */
	r = store_open_lineage_dirs(s, name, true, &archfd, &livefd);
	if (r < 0) {
		snprintf(what, whatlen, "%s: %s", name, acmed_strerror(r));
		return r;
	}
	if (flock(archfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(what, whatlen, "lineage %s is locked by another process", name);
		goto out;
	}
	n = pick_version(archfd, livefd, saved, sizeof(saved));
	if (n <= 0) {
		r = n < 0 ? n : ACMED_ECORRUPT;
		snprintf(what, whatlen, "no version of %s passes the check: nothing changed", name);
		goto out;
	}
	r = store_live_lock(s, false, &lock);
	if (r == 0)
		r = store_write_intent(archfd, n);
	if (r == 0)
		r = store_switch_links(livefd, name, n);
	if (r == 0)
		r = store_clear_intent(archfd);
	store_live_unlock(&lock);
	if (r == 0)
		snprintf(what, whatlen, "%slive/%s now points at version %d", saved, name, n);
	else
		snprintf(what, whatlen, "relinking live/%s: %s", name, acmed_strerror(r));
	if (r == 0)
		fix_key_modes(archfd, what, whatlen);
	if (r == 0)
		fix_conf_mode(s, name, what, whatlen);
out:
	close(archfd);
	close(livefd);
	return r;
}
