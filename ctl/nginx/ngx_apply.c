/* Writing an edit set to nginx's files: a backup set first (the original
 * bytes and their SHA-256, for a rollback), each file replaced through
 * fs_write_durable() at its real path (a sites-enabled symlink stays a
 * symlink), then `nginx -t`; when nginx refuses the result, the old bytes
 * go back and are checked. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/nginx/ngx_challenge.h"
#include "store/store.h"

#define NGX_MAX_FILE (16u << 20)
#define NGX_TEST_OUTPUT 8192

struct changed {
	int file;
	char *real; /* the path written: symlinks resolved */
	struct stat st;
	char *text; /* the new bytes */
	size_t len;
};

struct applying {
	const struct ngx_conf *c;
	const struct ngx_challenge_opts *o;
	struct changed *v;
	size_t n;
	char *err;
	size_t errlen;
};

void ngx_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	size_t mdlen = 0;

	out[0] = '\0';
	if (!EVP_Q_digest(NULL, "SHA256", NULL, data, len, md, &mdlen))
		return;
	for (size_t i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void changed_clear(struct applying *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].real);
		free(a->v[i].text);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* The files E changes, rendered, each checked to be as it was read. */
static int gather(struct applying *a, const struct ngx_edits *e)
{
	const struct ngx_conf *c = a->c;
	int r = 0;

	a->v = calloc(c->nfiles + 1, sizeof(*a->v));
	if (!a->v)
		return -ENOMEM;
	for (size_t i = 0; i < c->nfiles && r == 0; i++) {
		struct changed *x = &a->v[a->n];
		char *now = NULL;
		size_t nowlen = 0;

		if (!ngx_edits_touch(e, (int)i))
			continue;
		x->file = (int)i;
		a->n++;
		x->real = realpath(c->files[i].path, NULL);
		if (!x->real || stat(x->real, &x->st) < 0) {
			r = -errno;
			snprintf(a->err, a->errlen, "%s: %s", c->files[i].path, strerror(errno));
			break;
		}
		for (size_t j = 0; j + 1 < a->n; j++)
			if (streq(a->v[j].real, x->real)) {
				/* Two edited copies of one file: the second would undo the first. */
				snprintf(a->err, a->errlen, "%s is included twice, also as %s: acmectl "
							    "does not edit it",
					 x->real, c->files[a->v[j].file].path);
				return -EINVAL;
			}
		r = fs_read_file(x->real, NGX_MAX_FILE, &now, &nowlen);
		if (r == 0 && (nowlen != c->files[i].len || memcmp(now, c->files[i].text, nowlen))) {
			snprintf(a->err, a->errlen, "%s changed while acmectl read it: run again",
				 c->files[i].path);
			r = -EAGAIN;
		}
		free(now);
		if (r == 0)
			r = ngx_render(c, e, (int)i, &x->text, &x->len);
	}
	return r;
}

int ngx_write_as(const char *path, const struct stat *st, const char *data, size_t len)
{
	char *dir = strdup(path), *base = strdup(path);
	int dfd = -1, r = -ENOMEM;

	if (!dir || !base)
		goto out;
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		goto out;
	}
	r = fs_write_durable_group(dfd, basename(base), data, len, st->st_mode & 07777,
				   st->st_gid, 0);
	if (r == 0 && st->st_uid != geteuid() &&
	    fchownat(dfd, basename(base), st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
out:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(base);
	return r;
}

/* Put back the first N changed files' original bytes, and check them. */
static int restore(struct applying *a, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ngx_file *f = &a->c->files[a->v[i].file];
		char *now = NULL;
		size_t len = 0;
		int r = ngx_write_as(a->v[i].real, &a->v[i].st, f->text, f->len);

		if (r == 0)
			r = fs_read_file(a->v[i].real, NGX_MAX_FILE, &now, &len);
		if (r == 0 && (len != f->len || memcmp(now, f->text, len)))
			r = -EIO;
		if (r < 0) {
			fprintf(stderr, "acmectl: could not restore %s: %s; its backup is in %s\n",
				a->v[i].real, strerror(-r), a->o->backup_dir);
			ret = r;
		}
		free(now);
	}
	return ret;
}

/* A new directory for this edit set under the backup directory: its fd,
 * its NAME. */
int ngx_backup_set_dir(const char *backup_dir, char *name, size_t namelen, int *parent)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	int r;

	r = fs_mkdirs(backup_dir, 0700);
	if (r < 0)
		return r;
	*parent = open(backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*parent < 0)
		return -errno;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < 1000; i++) {
		char done[96];
		struct stat st;

		/* Zero-padded: the names sort as they were made (rollback picks
		 * the last by name). */
		snprintf(name, namelen, i ? "%s-%03d" : "%s", stamp, i);
		/* A name a set rolled back had is not taken again: its rename to
		 * NAME.rolled-back would fail, and the set would stay live. */
		snprintf(done, sizeof(done), "%s.rolled-back", name);
		if (fstatat(*parent, done, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (mkdirat(*parent, name, 0700) == 0)
			return openat(*parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* The originals as N.orig and a manifest, "SHA-before SHA-after MODE PATH"
 * a line, written last: a set without one is incomplete. */
static int write_backup(struct applying *a, int dfd)
{
	char *manifest = NULL, name[32], before[65], after[65];
	size_t len = 0;
	FILE *m = open_memstream(&manifest, &len);
	int r = m ? 0 : -ENOMEM;

	if (m)
		fprintf(m, "# acmed nginx edit set 1: sha256-before sha256-after mode path\n");
	for (size_t i = 0; r == 0 && i < a->n; i++) {
		const struct ngx_file *f = &a->c->files[a->v[i].file];

		snprintf(name, sizeof(name), "%zu.orig", i);
		r = fs_write_durable(dfd, name, f->text, f->len, 0600, FS_NOREPLACE);
		ngx_sha256_hex(f->text, f->len, before);
		ngx_sha256_hex(a->v[i].text, a->v[i].len, after);
		fprintf(m, "%s %s %04o %s\n", before, after, (unsigned)(a->v[i].st.st_mode & 07777),
			a->v[i].real);
	}
	if (m && fclose(m) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0)
		r = fs_write_durable(dfd, "manifest", manifest, len, 0600, FS_NOREPLACE);
	free(manifest);
	return r;
}

/* acmed's state directory, for live/'s lock; "" before ngx_run_state_dir(). */
static char state_dir[PATH_MAX];

void ngx_run_state_dir(const char *dir)
{
	snprintf(state_dir, sizeof(state_dir), "%s", dir ? dir : "");
}

/* live/'s lock, shared (store_live_lock_wait_path()); without it (a hung
 * file system, or a state directory this user cannot read), nginx runs
 * anyway. */
static void live_hold(struct store_live_lock *l)
{
	*l = STORE_LIVE_UNLOCKED;
	if (state_dir[0])
		store_live_lock_wait_path(state_dir, l);
}

int ngx_run(const char *ctl, const char *conf, const char *arg1, const char *arg2, char *out,
	    size_t outlen)
{
	const char *argv[] = { ctl, "-c", conf, arg1, arg2, NULL };
	struct store_live_lock live;
	int pfd[2], status = 0, r;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	live_hold(&live);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(ctl, (char *const *)argv);
		if (!strchr(ctl, '/'))
			execv("/usr/sbin/nginx", (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", ctl, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		store_live_unlock(&live);
		return r;
	}
	/* Read to the end, dropping what does not fit, so nginx never blocks. */
	for (;;) {
		char sink[512];
		bool room = n < outlen - 1;

		got = room ? read(pfd[0], out + n, outlen - 1 - n) : read(pfd[0], sink, sizeof(sink));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += room ? (size_t)got : 0;
	}
	out[n] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	store_live_unlock(&live);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : ACMED_ECONFIG;
}

/* The snippet and the web root, made or brought up to date. */
int ngx_write_snippet(const struct ngx_challenge_opts *o, const char *text, char *err,
		      size_t errlen)
{
	char *dir = strdup(o->snippet), *old = NULL, *wk = fs_join(o->webroot, ".well-known/acme-challenge");
	size_t len = 0;
	int r = -ENOMEM;

	if (!dir || !wk)
		goto out;
	r = fs_mkdirs(dirname(dir), 0755);
	if (r == 0)
		r = fs_mkdirs(wk, 0755);
	if (r < 0) {
		snprintf(err, errlen, "cannot create %s: %s", wk, strerror(-r));
		goto out;
	}
	if (fs_read_file(o->snippet, NGX_MAX_FILE, &old, &len) == 0 && streq(old, text))
		goto out;
	r = fs_write_path(o->snippet, text, strlen(text), 0644, 0);
	if (r < 0)
		snprintf(err, errlen, "cannot write %s: %s", o->snippet, strerror(-r));
out:
	free(old);
	free(dir);
	free(wk);
	return r;
}

static int print_diffs(struct applying *a, const char *snippet, FILE *out)
{
	char *d = NULL, *old = NULL;
	size_t dlen = 0, oldlen = 0;
	int r;

	if (fs_read_file(a->o->snippet, NGX_MAX_FILE, &old, &oldlen) < 0)
		oldlen = 0;
	r = ngx_diff(a->o->snippet, old ? old : "", oldlen, snippet, strlen(snippet), &d, &dlen);
	for (size_t i = 0; r == 0 && i < a->n; i++)
		r = ngx_diff(a->v[i].real, a->c->files[a->v[i].file].text,
			     a->c->files[a->v[i].file].len, a->v[i].text, a->v[i].len, &d, &dlen);
	if (r == 0 && d)
		fwrite(d, 1, dlen, out);
	free(d);
	free(old);
	return r;
}

/* Write the changed files, then let nginx judge them. */
static int write_and_test(struct applying *a, int setfd, char *output, size_t outlen)
{
	size_t done = 0;
	int r = write_backup(a, setfd);

	if (r < 0) {
		snprintf(a->err, a->errlen, "cannot write the backup in %s: %s", a->o->backup_dir,
			 strerror(-r));
		return r;
	}
	for (; r == 0 && done < a->n; done++) {
		r = ngx_write_as(a->v[done].real, &a->v[done].st, a->v[done].text, a->v[done].len);
		if (r < 0)
			snprintf(a->err, a->errlen, "cannot write %s: %s", a->v[done].real,
				 strerror(-r));
	}
	if (r == 0) {
		r = ngx_run(a->o->nginx_ctl, a->o->conf_path, "-t", NULL, output, outlen);
		if (r != 0)
			snprintf(a->err, a->errlen, "nginx -t refused the edit, so every file was "
						    "put back as it was; nginx said:\n%s", output);
	}
	if (r != 0)
		restore(a, done);
	return r;
}

int ngx_challenge_apply(const struct ngx_conf *c, const struct ngx_challenge_opts *o,
			const struct ngx_edits *e, FILE *out, char *err, size_t errlen)
{
	struct applying a = { .c = c, .o = o, .err = err, .errlen = errlen };
	char *snippet = ngx_challenge_snippet(o->webroot), setname[64] = "";
	char *output = malloc(NGX_TEST_OUTPUT);
	int r = snippet && output ? gather(&a, e) : -ENOMEM, parent = -1, setfd = -1;

	if (r < 0 || o->dry_run) {
		if (r == 0)
			r = print_diffs(&a, snippet, out);
		goto out;
	}
	r = ngx_write_snippet(o, snippet, err, errlen);
	if (r < 0 || a.n == 0)
		goto out;
	setfd = ngx_backup_set_dir(o->backup_dir, setname, sizeof(setname), &parent);
	if (setfd < 0) {
		r = setfd;
		snprintf(err, errlen, "cannot make a backup directory in %s: %s", o->backup_dir,
			 strerror(-r));
		goto out;
	}
	r = write_and_test(&a, setfd, output, NGX_TEST_OUTPUT);
	if (r != 0)
		fs_remove_tree(parent, setname);
	else if (out)
		fprintf(out, "The edit set's backup: %s/%s\n", o->backup_dir, setname);
out:
	if (setfd >= 0)
		close(setfd);
	if (parent >= 0)
		close(parent);
	changed_clear(&a);
	free(snippet);
	free(output);
	return r;
}
