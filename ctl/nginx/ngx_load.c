/* The files nginx loads: nginx.conf and, recursively, what its `include`
 * directives name, resolved as ngx_conf_include() does (relative to the
 * conf prefix; a pattern with * ? or [ is a glob, sorted, that may match
 * nothing; a plain path must exist). */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/nginx/ngx_conf.h"

#define NGX_MAX_FILE (16u << 20)
#define NGX_MAX_INCLUDE_DEPTH 32

struct loader {
	struct ngx_conf *c;
	int stack[NGX_MAX_INCLUDE_DEPTH]; /* the files being read, outermost first */
	int depth;
	char *err;
	size_t errlen;
};

static int load_file(struct loader *ld, const char *path, int *index);

static int find_file(const struct ngx_conf *c, const char *path)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (streq(c->files[i].path, path))
			return (int)i;
	return -1;
}

static int add_incl(struct ngx_dir *d, int index)
{
	int *v = realloc(d->incl, (d->nincl + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	d->incl = v;
	v[d->nincl++] = index;
	return 0;
}

/* Load PATH for include D of file FROM. */
static int include_one(struct loader *ld, int from, struct ngx_dir *d, const char *path)
{
	int index = -1, r;

	for (int i = 0; i < ld->depth; i++)
		if (streq(ld->c->files[ld->stack[i]].path, path)) {
			snprintf(ld->err, ld->errlen, "%s:%u: include cycle: %s includes itself",
				 ld->c->files[from].path, d->line, path);
			return ACMED_ECONFIG;
		}
	r = load_file(ld, path, &index);
	if (r < 0)
		return r;
	return add_incl(d, index);
}

static int include_glob(struct loader *ld, int from, struct ngx_dir *d, const char *pattern)
{
	glob_t g = { 0 };
	int r = glob(pattern, 0, NULL, &g);

	if (r == GLOB_NOMATCH) {
		globfree(&g);
		return 0;
	}
	if (r != 0) {
		snprintf(ld->err, ld->errlen, "%s:%u: glob \"%s\" failed",
			 ld->c->files[from].path, d->line, pattern);
		globfree(&g);
		return r == GLOB_NOSPACE ? -ENOMEM : -EIO;
	}
	for (size_t i = 0; i < g.gl_pathc && r == 0; i++)
		r = include_one(ld, from, d, g.gl_pathv[i]);
	globfree(&g);
	return r;
}

static int include(struct loader *ld, int from, struct ngx_dir *d)
{
	const char *arg = ngx_arg(d, 1);
	char *path;
	int r;

	if (d->nwords != 2 || d->block) {
		snprintf(ld->err, ld->errlen,
			 "%s:%u: invalid number of arguments in \"include\" directive",
			 ld->c->files[from].path, d->line);
		return ACMED_ECONFIG;
	}
	if (arg[0] == '/')
		path = strdup(arg);
	else
		path = fs_join(ld->c->prefix, arg);
	if (!path)
		return -ENOMEM;
	if (strpbrk(path, "*?["))
		r = include_glob(ld, from, d, path);
	else
		r = include_one(ld, from, d, path);
	free(path);
	return r;
}

/* Resolve the includes among KIDS, recursively. KIDS, not their parent:
 * loading a file moves the files (a file's root with them), never a
 * directive array. */
static int resolve(struct loader *ld, int from, struct ngx_dir *kids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ngx_dir *k = &kids[i];
		int r = streq(ngx_name(k), "include") ? include(ld, from, k)
						      : resolve(ld, from, k->kids, k->nkids);

		if (r < 0)
			return r;
	}
	return 0;
}

static int read_one(struct loader *ld, const char *path, struct ngx_file *f)
{
	char perr[512];
	int r;

	r = fs_read_file(path, NGX_MAX_FILE, &f->text, &f->len);
	if (r < 0) {
		snprintf(ld->err, ld->errlen, "open() \"%s\" failed: %s", path,
			 r < -999 ? acmed_strerror(r) : strerror(-r));
		return r;
	}
	r = ngx_parse(f->text, f->len, &f->root, perr, sizeof(perr));
	if (r < 0)
		snprintf(ld->err, ld->errlen, "%s: %s", path, perr);
	return r;
}

/* PATH's index in the conf, read and parsed (with its includes) if new. */
static int load_file(struct loader *ld, const char *path, int *index)
{
	struct ngx_conf *c = ld->c;
	struct ngx_file *v;
	int i = find_file(c, path), r;

	if (i >= 0) {
		*index = i;
		return 0;
	}
	if (ld->depth >= NGX_MAX_INCLUDE_DEPTH) {
		snprintf(ld->err, ld->errlen, "%s: includes nested too deep", path);
		return ACMED_ECONFIG;
	}
	v = realloc(c->files, (c->nfiles + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->files = v;
	i = (int)c->nfiles++;
	v[i] = (struct ngx_file){ .path = strdup(path) };
	if (!v[i].path)
		return -ENOMEM;
	r = read_one(ld, path, &v[i]);
	if (r < 0)
		return r;
	ld->stack[ld->depth++] = i;
	r = resolve(ld, i, c->files[i].root.kids, c->files[i].root.nkids);
	ld->depth--;
	*index = i;
	return r;
}

int ngx_conf_load(const char *conf_path, struct ngx_conf *c, char *err, size_t errlen)
{
	struct loader ld = { .c = c, .err = err, .errlen = errlen };
	char cwd[PATH_MAX], *path = NULL, *slash;
	int index, r = -ENOMEM;

	*c = (struct ngx_conf){ 0 };
	if (errlen)
		err[0] = '\0';
	if (conf_path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd))) {
			snprintf(err, errlen, "cannot tell the current directory");
			return -ENOENT;
		}
		path = fs_join(cwd, conf_path);
	} else {
		path = strdup(conf_path);
	}
	if (!path)
		goto out;
	c->prefix = strdup(path);
	if (!c->prefix)
		goto out;
	slash = strrchr(c->prefix, '/');
	slash[slash == c->prefix ? 1 : 0] = '\0';
	r = load_file(&ld, path, &index);
out:
	if (r == -ENOMEM && !*err)
		snprintf(err, errlen, "out of memory");
	if (r < 0)
		ngx_conf_clear(c);
	free(path);
	return r;
}

void ngx_conf_clear(struct ngx_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].text);
		ngx_dir_clear(&c->files[i].root);
	}
	free(c->files);
	free(c->prefix);
	*c = (struct ngx_conf){ 0 };
}

int ngx_each(const struct ngx_conf *c, int file, struct ngx_dir *block, ngx_visit_fn fn,
	     void *ctx)
{
	for (size_t i = 0; i < block->nkids; i++) {
		struct ngx_dir *k = &block->kids[i];
		int r = 0;

		if (streq(ngx_name(k), "include") && !k->block) {
			for (size_t j = 0; j < k->nincl && r == 0; j++)
				r = ngx_each(c, k->incl[j], &c->files[k->incl[j]].root, fn, ctx);
		} else {
			r = fn(c, file, k, ctx);
		}
		if (r)
			return r;
	}
	return 0;
}
