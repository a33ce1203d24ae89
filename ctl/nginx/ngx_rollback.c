/* Undoing acmectl's edit sets (docs/nginx.md): each file of a set gets its
 * original bytes back, but only if it still holds exactly what acmectl
 * wrote (its "after" checksum) and the backup is intact (its "before"
 * checksum); then `nginx -t`, and on a refusal the files go back to what
 * they held. A set rolled back is renamed NAME.rolled-back and kept. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"
#include "ctl/nginx/ngx_challenge.h"
#include "ctl/nginx/ngx_rollback.h"

#define NGX_MAX_FILE (16u << 20)
#define NGX_OUTPUT 8192

struct undo {
	char *path;
	struct stat st;
	char *now;  /* what it holds: acmectl's edit */
	size_t nowlen;
	char *orig; /* what it goes back to */
	size_t origlen;
	bool created; /* acmectl made it (--nginx-create): it goes */
	bool link;    /* ... a symbolic link to NOW */
};

struct undos {
	struct undo *v;
	size_t n;
};

static void undos_clear(struct undos *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].path);
		free(u->v[i].now);
		free(u->v[i].orig);
	}
	free(u->v);
	*u = (struct undos){ 0 };
}

static bool is_set_name(const char *name)
{
	return strlen(name) >= 16 && name[0] >= '0' && name[0] <= '9' && !strchr(name, '.');
}

static int by_name_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/* The edit sets in DIR, newest first (their names are UTC timestamps). */
static int list_sets(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (e = readdir(d))) {
		char **v;

		if (!is_set_name(e->d_name))
			continue;
		v = realloc(*names, (*n + 1) * sizeof(*v));
		if (!v || !(v[*n] = strdup(e->d_name)))
			r = -ENOMEM;
		if (v)
			*names = v;
		if (r == 0)
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), by_name_desc);
	return r;
}

/* A file or link acmectl created ("-" before it): it must be as acmectl
 * made it (AFTER's checksum; "-": a link). */
static int check_created(const char *after, struct undo *u, char *err, size_t errlen)
{
	char sum[65] = "", target[4096];
	ssize_t n;
	int r = 0;

	u->created = true;
	u->link = streq(after, "-");
	if (u->link) {
		n = readlink(u->path, target, sizeof(target) - 1);
		r = n < 0 ? -errno : 0;
		if (r == 0 && lstat(u->path, &u->st) == 0 && (u->now = strndup(target, (size_t)n)))
			return 0;
	} else {
		r = fs_read_file(u->path, NGX_MAX_FILE, &u->now, &u->nowlen);
		if (r == 0)
			ngx_sha256_hex(u->now, u->nowlen, sum);
		if (r == 0 && stat(u->path, &u->st) == 0 && streq(sum, after))
			return 0;
	}
	snprintf(err, errlen, "%s changed since acmectl created it: not rolled back", u->path);
	return r < 0 ? r : -EAGAIN;
}

/* One manifest line, "BEFORE AFTER MODE PATH", into U after checking it
 * against the backup ORIG_PATH and the file as it is now. */
static int check_line(const char *line, const char *orig_path, struct undo *u, char *err,
		      size_t errlen)
{
	char before[65], after[65], sum[65];
	unsigned mode;
	int used = 0, r;

	if (sscanf(line, "%64s %64s %o %n", before, after, &mode, &used) != 3 || !used ||
	    line[used] != '/') {
		snprintf(err, errlen, "%s: a manifest line is malformed", orig_path);
		return -EINVAL;
	}
	u->path = strdup(line + used);
	if (!u->path)
		return -ENOMEM;
	if (streq(before, "-"))
		return check_created(after, u, err, errlen);
	r = fs_read_file(orig_path, NGX_MAX_FILE, &u->orig, &u->origlen);
	if (r == 0)
		ngx_sha256_hex(u->orig, u->origlen, sum);
	if (r < 0 || !streq(sum, before)) {
		snprintf(err, errlen, "%s: the backup of %s is %s", orig_path, u->path,
			 r < 0 ? strerror(-r) : "damaged (its checksum differs)");
		return r < 0 ? r : -EIO;
	}
	r = fs_read_file(u->path, NGX_MAX_FILE, &u->now, &u->nowlen);
	if (r == 0)
		ngx_sha256_hex(u->now, u->nowlen, sum);
	if (r < 0 || stat(u->path, &u->st) < 0 || !streq(sum, after)) {
		snprintf(err, errlen, "%s changed since acmectl edited it: not rolled back (its "
				      "original is %s)", u->path, orig_path);
		return r < 0 ? r : -EAGAIN;
	}
	return 0;
}

/* Set NAME's files, checked, appended to U. */
static int read_set(const char *dir, const char *name, struct undos *u, char *err,
		    size_t errlen)
{
	char *setdir = fs_join(dir, name), *mpath = NULL, *m = NULL, *save = NULL;
	size_t len = 0, index = 0;
	int r = -ENOMEM;

	if (!setdir || !(mpath = fs_join(setdir, "manifest")))
		goto out;
	r = fs_read_file(mpath, NGX_MAX_FILE, &m, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s (an incomplete edit set)", mpath, strerror(-r));
		goto out;
	}
	for (char *line = strtok_r(m, "\n", &save); line && r == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		char orig[32], *opath;
		struct undo *v;

		if (line[0] == '#')
			continue;
		snprintf(orig, sizeof(orig), "%zu.orig", index++);
		v = realloc(u->v, (u->n + 1) * sizeof(*v));
		opath = fs_join(setdir, orig);
		if (!v || !opath) {
			free(opath);
			r = -ENOMEM;
			break;
		}
		u->v = v;
		v[u->n] = (struct undo){ 0 };
		r = check_line(line, opath, &v[u->n++], err, errlen);
		free(opath);
	}
out:
	free(setdir);
	free(mpath);
	free(m);
	return r;
}

/* Write each file's FROM side (orig, or now when undoing the undo). */
static int write_all(const struct undos *u, bool orig, char *err, size_t errlen)
{
	int ret = 0;

	for (size_t i = 0; i < u->n; i++) {
		const struct undo *x = &u->v[i];
		int r;

		if (x->created && orig)
			r = unlink(x->path) < 0 && errno != ENOENT ? -errno : 0;
		else if (x->link)
			r = symlink(x->now, x->path) < 0 ? -errno : 0;
		else
			r = ngx_write_as(x->path, &x->st, orig ? x->orig : x->now,
					 orig ? x->origlen : x->nowlen);

		if (r < 0 && ret == 0) {
			snprintf(err, errlen, "cannot write %s: %s", x->path, strerror(-r));
			ret = r;
		}
	}
	return ret;
}

static int print_diffs(const struct undos *u, FILE *out)
{
	char *d = NULL;
	size_t dlen = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < u->n; i++)
		if (u->v[i].link && out)
			fprintf(out, "acmectl removes the link %s -> %s\n", u->v[i].path, u->v[i].now);
		else if (!u->v[i].link)
			r = ngx_diff(u->v[i].path, u->v[i].now, u->v[i].nowlen,
				     u->v[i].orig ? u->v[i].orig : "", u->v[i].origlen, &d, &dlen);
	if (r == 0 && d && out)
		fwrite(d, 1, dlen, out);
	free(d);
	return r;
}

/* Rename the sets rolled back to NAME.rolled-back. */
static void mark_done(const char *dir, char **names, size_t n)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char to[300];

	if (dfd < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(to, sizeof(to), "%s.rolled-back", names[i]);
		if (renameat(dfd, names[i], dfd, to) < 0)
			fprintf(stderr, "acmectl: warning: %s/%s was rolled back but could not be "
					"renamed %s (%s): remove it before the next rollback\n",
				dir, names[i], to, strerror(errno));
	}
	fs_fsync_dir(dfd);
	close(dfd);
}

/* Write the originals and let nginx judge them; put the edits back if it
 * refuses. */
static int apply(const struct ngx_rollback_opts *o, const struct undos *u, char *err,
		 size_t errlen)
{
	char *output = malloc(NGX_OUTPUT);
	int r = output ? write_all(u, true, err, errlen) : -ENOMEM;

	if (r == 0) {
		r = ngx_run(o->nginx_ctl, o->conf_path, "-t", NULL, output, NGX_OUTPUT);
		if (r != 0) {
			snprintf(err, errlen, "nginx -t refused the rolled-back files, so acmectl's "
					      "edits were put back; nginx said:\n%s", output);
			write_all(u, false, NULL, 0);
		}
	} else if (output) {
		write_all(u, false, NULL, 0);
	}
	free(output);
	return r;
}

int ngx_rollback(const struct ngx_rollback_opts *o, FILE *out, char *err, size_t errlen)
{
	struct undos u = { 0 };
	char **names = NULL;
	size_t n = 0, take;
	int r = list_sets(o->backup_dir, &names, &n);

	if (r < 0)
		snprintf(err, errlen, "%s: %s", o->backup_dir, strerror(-r));
	if (r == 0 && n == 0) {
		snprintf(err, errlen, "no edit set of acmectl's to roll back in %s", o->backup_dir);
		r = -ENOENT;
	}
	take = r == 0 && (size_t)o->checkpoints < n ? (size_t)o->checkpoints : n;
	/* One set at a time would see the files as the newer set left them;
	 * sets touching the same file are undone one per run instead. */
	for (size_t i = 0; r == 0 && i < take; i++)
		r = read_set(o->backup_dir, names[i], &u, err, errlen);
	for (size_t i = 0; r == 0 && i < u.n; i++)
		for (size_t j = 0; j < i; j++)
			if (streq(u.v[i].path, u.v[j].path)) {
				snprintf(err, errlen, "%s is in more than one of these edit sets: roll "
						      "them back one at a time", u.v[i].path);
				r = -EINVAL;
			}
	if (r == 0 && o->dry_run)
		r = print_diffs(&u, out);
	else if (r == 0)
		r = apply(o, &u, err, errlen);
	if (r == 0 && !o->dry_run) {
		mark_done(o->backup_dir, names, take);
		if (out)
			fprintf(out, "Rolled back %zu edit set(s): %zu file(s) restored\n", take, u.n);
	}
	undos_clear(&u);
	strv_free(names, n);
	return r;
}
