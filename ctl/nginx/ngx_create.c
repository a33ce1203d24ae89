/* --nginx-create: a name no server block names on the challenge port gets a
 * minimal block in a file of its own, where the layout puts sites
 * (conf.d/NAME.conf, or sites-available/NAME linked from sites-enabled/),
 * including acmed's challenge snippet. The files are an edit set of their
 * own ("-" for the original in the manifest), so rollback --nginx removes
 * them; nginx -t judges them, and they go if it refuses. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/nginx/ngx_create.h"
#include "ctl/nginx/ngx_pick.h"

#define NGX_OUTPUT 8192

struct new_file {
	char *path, *link, *text; /* link: sites-enabled/NAME, or NULL */
};

/* Does some include of C's name a path holding DIR ("conf.d/")? */
static bool included(const struct ngx_dir *d, const char *dir)
{
	if (streq(ngx_name(d), "include") && ngx_arg(d, 1) && strstr(ngx_arg(d, 1), dir))
		return true;
	for (size_t i = 0; i < d->nkids; i++)
		if (included(&d->kids[i], dir))
			return true;
	return false;
}

static bool conf_includes(const struct ngx_conf *c, const char *dir)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (included(&c->files[i].root, dir))
			return true;
	return false;
}

static bool is_dir(const char *root, const char *sub)
{
	char *p = fs_join(root, sub);
	struct stat st;
	bool r = p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);

	free(p);
	return r;
}

/* A name as a file name: letters, digits, '.', '-' (no wildcard). */
static bool plain_name(const char *name)
{
	return name[0] && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
		       strlen(name);
}

/* The listen lines: every address a block listens on at PORT, so that the
 * new block is reached wherever the others are. */
static void listens(FILE *m, const struct ngx_servers *s, unsigned port)
{
	const char **seen = calloc(1, sizeof(*seen));
	size_t n = 0;

	for (size_t i = 0; seen && i < s->n; i++)
		for (size_t j = 0; j < s->v[i].nlistens; j++) {
			const struct ngx_listen *l = &s->v[i].listens[j];
			const char **v;
			bool dup = false;

			for (size_t k = 0; k < n; k++)
				dup |= streq(seen[k], l->addr);
			if (l->ssl || l->port != port || dup || !(v = realloc(seen, (n + 1) * sizeof(*v))))
				continue;
			seen = v;
			seen[n++] = l->addr;
			if (streq(l->addr, "*"))
				fprintf(m, "\tlisten %u;\n", port);
			else
				fprintf(m, "\tlisten %s:%u;\n", l->addr, port);
		}
	if (n == 0)
		fprintf(m, "\tlisten %u;\n", port);
	free(seen);
}

static int plan_file(const struct ngx_conf *c, const struct ngx_create_opts *o,
		     const struct ngx_servers *s, const char *name, struct new_file *f, char *err,
		     size_t errlen)
{
	char *word = ngx_quote(o->challenge->snippet);
	size_t len = 0;
	FILE *m;
	int r = 0;

	if (!plain_name(name)) {
		snprintf(err, errlen, "--nginx-create: %s: no file is made for this name (a "
				      "wildcard cannot be validated over http-01)", name);
		r = ACMED_ECONFIG;
	} else if (is_dir(o->root, "conf.d") && conf_includes(c, "conf.d/")) {
		r = asprintf(&f->path, "%s/conf.d/%s.conf", o->root, name) < 0 ? -ENOMEM : 0;
	} else if (is_dir(o->root, "sites-available") && is_dir(o->root, "sites-enabled") &&
		   conf_includes(c, "sites-enabled")) {
		if (asprintf(&f->path, "%s/sites-available/%s", o->root, name) < 0 ||
		    asprintf(&f->link, "%s/sites-enabled/%s", o->root, name) < 0)
			r = -ENOMEM;
	} else {
		snprintf(err, errlen, "--nginx-create: nginx.conf includes neither conf.d/ nor "
				      "sites-enabled/ in %s: add a server block for %s yourself",
			 o->root, name);
		r = ACMED_ECONFIG;
	}
	if (r < 0 || r == ACMED_ECONFIG || !word || !(m = open_memstream(&f->text, &len))) {
		free(word);
		return r ? r : -ENOMEM;
	}
	fprintf(m, "# Written by acmectl (--nginx-create) for %s: nginx answers the ACME\n"
		   "# http-01 challenges for it here. Yours to edit.\nserver {\n", name);
	listens(m, s, o->challenge->port);
	fprintf(m, "\tserver_name %s;\n\tinclude %s;\n\n\tlocation / {\n\t\treturn 404;\n\t}\n}\n",
		name, word);
	free(word);
	return fclose(m) == 0 ? 0 : -ENOMEM;
}

/* The files for the names no block names on O->port; MADE[i] set for them. */
static int plan(const struct ngx_conf *c, const struct ngx_create_opts *o, char *const *names,
		size_t n, bool *made, struct new_file *v, size_t *nv, char *err, size_t errlen)
{
	struct ngx_servers s;
	int r = ngx_servers_collect(c, &s);

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct ngx_pick *picks = NULL;
		size_t np = 0;
		bool named = false;
		char warn[512];

		r = ngx_pick(&s, names[i], o->challenge->port, &picks, &np, warn, sizeof(warn));
		for (size_t k = 0; k < np; k++)
			named |= picks[k].how != NGX_MATCH_DEFAULT;
		free(picks);
		made[i] = r == 0 && !named;
		if (made[i])
			r = plan_file(c, o, &s, names[i], &v[(*nv)++], err, errlen);
	}
	ngx_servers_clear(&s);
	return r;
}

/* Remove what was made of V[0..N). */
static void unmake(struct new_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].link)
			unlink(v[i].link);
		unlink(v[i].path);
	}
}

/* The files and links, then the manifest of their set. */
static int make(const struct ngx_create_opts *o, struct new_file *v, size_t n, int setfd,
		char *err, size_t errlen)
{
	char *manifest = NULL, sum[65];
	size_t len = 0, done = 0;
	FILE *m = open_memstream(&manifest, &len);
	int r = m ? 0 : -ENOMEM;

	if (m)
		fprintf(m, "# acmed nginx edit set 1: sha256-before sha256-after mode path\n");
	for (; r == 0 && done < n; done++) {
		const char *bad = v[done].path;

		r = fs_write_path(v[done].path, v[done].text, strlen(v[done].text), 0644,
				  FS_NOREPLACE);
		if (r == 0 && v[done].link && symlink(v[done].path, v[done].link) < 0) {
			r = -errno;
			bad = v[done].link;
			unlink(v[done].path);
		}
		if (r < 0) {
			snprintf(err, errlen, "--nginx-create: cannot make %s: %s", bad, strerror(-r));
			break;
		}
		ngx_sha256_hex(v[done].text, strlen(v[done].text), sum);
		fprintf(m, "- %s 0644 %s\n", sum, v[done].path);
		if (v[done].link)
			fprintf(m, "- - 0777 %s\n", v[done].link);
	}
	if (m && fclose(m) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0)
		r = fs_write_durable(setfd, "manifest", manifest, len, 0600, FS_NOREPLACE);
	if (r < 0)
		unmake(v, done);
	free(manifest);
	return r;
}

/* Make V[0..N) and let nginx judge them; all gone again if it refuses. */
static int apply(const struct ngx_create_opts *o, struct new_file *v, size_t n, FILE *out,
		 char *err, size_t errlen)
{
	char setname[64], *output = malloc(NGX_OUTPUT);
	int parent = -1, setfd = output ? ngx_backup_set_dir(o->challenge->backup_dir, setname,
							     sizeof(setname), &parent)
				      : -ENOMEM;
	int r = setfd < 0 ? setfd : make(o, v, n, setfd, err, errlen);

	if (setfd < 0)
		snprintf(err, errlen, "cannot make a backup directory in %s: %s",
			 o->challenge->backup_dir, strerror(-r));
	if (r == 0) {
		r = ngx_run(o->challenge->nginx_ctl, o->challenge->conf_path, "-t", NULL, output,
			    NGX_OUTPUT);
		if (r != 0) {
			snprintf(err, errlen, "nginx -t refused the new server block(s), so they "
					      "were removed; nginx said:\n%s", output);
			unmake(v, n);
		}
	}
	if (r != 0 && parent >= 0)
		fs_remove_tree(parent, setname);
	else if (r == 0 && out)
		for (size_t i = 0; i < n; i++)
			fprintf(out, "nginx: made %s%s%s\n", v[i].path, v[i].link ? ", linked from " : "",
				v[i].link ? v[i].link : "");
	if (setfd >= 0)
		close(setfd);
	if (parent >= 0)
		close(parent);
	free(output);
	return r;
}

int ngx_create_blocks(const struct ngx_conf *c, const struct ngx_create_opts *o,
		      char *const *names, size_t n, bool *made, FILE *out, char *err,
		      size_t errlen)
{
	struct new_file *v = calloc(n + 1, sizeof(*v));
	char *snippet = ngx_challenge_snippet(o->challenge->webroot), *d = NULL;
	size_t nv = 0, dlen = 0;
	int r;

	err[0] = '\0';
	r = v && snippet ? plan(c, o, names, n, made, v, &nv, err, errlen) : -ENOMEM;
	for (size_t i = 0; r == 0 && i < nv; i++) {
		struct stat st;

		if (lstat(v[i].path, &st) == 0 || (v[i].link && lstat(v[i].link, &st) == 0)) {
			snprintf(err, errlen, "--nginx-create: %s exists already, and nginx does not "
					      "read it: acmectl leaves it alone",
				 v[i].link && lstat(v[i].link, &st) == 0 ? v[i].link : v[i].path);
			r = ACMED_ECONFIG;
		}
	}
	if (r == 0 && nv && o->challenge->dry_run) {
		for (size_t i = 0; r == 0 && i < nv; i++)
			r = ngx_diff(v[i].path, "", 0, v[i].text, strlen(v[i].text), &d, &dlen);
		if (r == 0 && d && out)
			fwrite(d, 1, dlen, out);
	} else if (r == 0 && nv) {
		r = ngx_write_snippet(o->challenge, snippet, err, errlen);
		if (r == 0)
			r = apply(o, v, nv, out, err, errlen);
	}
	if (r < 0 && r != ACMED_ECONFIG && !err[0])
		snprintf(err, errlen, "--nginx-create: %s", strerror(-r));
	for (size_t i = 0; v && i < nv; i++)
		free(v[i].path), free(v[i].link), free(v[i].text);
	free(v);
	free(d);
	free(snippet);
	return r;
}
