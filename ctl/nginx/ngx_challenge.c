/* Which server blocks get the challenge include, and where in each the
 * line goes: right after the block's '{' line, indented like the block's
 * first directive, so nothing else in the file moves but down. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"
#include "ctl/nginx/ngx_challenge.h"
#include "ctl/nginx/ngx_pick.h"

#define CHALLENGE_PATH "/.well-known/acme-challenge/"

char *ngx_challenge_snippet(const char *webroot)
{
	char *root = ngx_quote(webroot), *text = NULL;

	if (root && asprintf(&text,
			     "# Written by acmectl: nginx answers ACME http-01 challenges from the\n"
			     "# files acmed writes below %s. acmectl may rewrite this file.\n"
			     "location ^~ " CHALLENGE_PATH " {\n"
			     "\troot %s;\n"
			     "\tdefault_type text/plain;\n"
			     "\ttry_files $uri =404;\n"
			     "}\n",
			     webroot, root) < 0)
		text = NULL;
	free(root);
	return text;
}

/* Does block SV include SNIPPET itself? */
static bool includes_snippet(const struct ngx_dir *sv, const char *snippet)
{
	for (size_t i = 0; i < sv->nkids; i++)
		if (streq(ngx_name(&sv->kids[i]), "include") &&
		    streq(ngx_arg(&sv->kids[i], 1), snippet))
			return true;
	return false;
}

struct clash {
	const struct ngx_conf *c;
	char *err;
	size_t errlen;
};

/* A location of the block's own for the challenge path would clash with
 * the snippet's (nginx -t: duplicate location). */
static int find_clash(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx)
{
	struct clash *cl = ctx;
	const char *path = d->nwords >= 2 ? ngx_arg(d, d->nwords - 1) : NULL;

	if (!streq(ngx_name(d), "location") || !d->block || !path)
		return 0;
	if (!streq(path, CHALLENGE_PATH) && !streq(path, "/.well-known/acme-challenge"))
		return 0;
	snprintf(cl->err, cl->errlen,
		 "%s:%u: this server block has its own location %s already: remove it (acmed's "
		 "snippet serves the challenges) or use --webroot",
		 c->files[file].path, d->line, path);
	return ACMED_ECONFIG;
}

/* The edit adding the include line to block SV of FILE. */
static int add_include(const struct ngx_conf *c, int file, const struct ngx_dir *sv,
		       const char *snippet, struct ngx_edits *e)
{
	char *word = ngx_quote(snippet), *line = NULL;
	int r = -ENOMEM;

	if (word && asprintf(&line, "include %s;", word) >= 0)
		r = ngx_block_insert(c, file, sv, &line, 1, "added by acmectl: ACME http-01 challenges",
				     e);
	free(word);
	free(line);
	return r;
}

/* A server-level return or rewrite runs before nginx picks a location:
 * the challenge location would never be reached. */
static int find_early_return(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx)
{
	FILE *info = ctx;

	if (!streq(ngx_name(d), "return") && !streq(ngx_name(d), "rewrite"))
		return 0;
	if (info)
		fprintf(info, "warning: %s:%u: \"%s\" at server level runs before any location, "
			      "so the challenge location is not reached: move it into \"location /\"\n",
			c->files[file].path, d->line, ngx_name(d));
	return 0;
}

/* The block for one picked server: nothing if it has the include, an
 * error if it clashes, else the edit (once per block). */
static int plan_server(const struct ngx_conf *c, const struct ngx_challenge_opts *o,
		       const struct ngx_server *sv, struct ngx_edits *e, FILE *info, char *err,
		       size_t errlen)
{
	struct clash cl = { c, err, errlen };
	int r;

	if (includes_snippet(sv->dir, o->snippet))
		return 0;
	r = ngx_each(c, sv->file, sv->dir, find_clash, &cl);
	if (r)
		return r;
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].file == sv->file && e->v[i].off > sv->dir->open &&
		    e->v[i].off <= sv->dir->close)
			return 0; /* already planned for another name */
	ngx_each(c, sv->file, sv->dir, find_early_return, info);
	return add_include(c, sv->file, sv->dir, o->snippet, e);
}

static void describe(FILE *info, const struct ngx_conf *c, const struct ngx_servers *s,
		     const char *name, const struct ngx_pick *p, unsigned port)
{
	const struct ngx_server *sv = &s->v[p->server];

	if (info)
		fprintf(info, "%s: %s:%u: server block at %s:%u (%s)\n", name, p->addr, port,
			c->files[sv->file].path, sv->dir->line, ngx_match_name(p->how));
}

/* The blocks NAME reaches: every address's pick, provided a server_name
 * matches NAME on at least one of them. */
static int plan_name(const struct ngx_conf *c, const struct ngx_challenge_opts *o,
		     const struct ngx_servers *s, const char *name, struct ngx_edits *e,
		     FILE *info, char *err, size_t errlen)
{
	struct ngx_pick *picks = NULL;
	size_t n = 0;
	bool named = false;
	char warn[512];
	int r = ngx_pick(s, name, o->port, &picks, &n, warn, sizeof(warn));

	if (r < 0)
		return r;
	if (warn[0] && info)
		fprintf(info, "warning: %s\n", warn);
	for (size_t i = 0; i < n; i++)
		named |= picks[i].how != NGX_MATCH_DEFAULT;
	if (!named) {
		snprintf(err, errlen, "no server block listening on port %u has a server_name "
				      "matching %s%s%s: add one (or name it in an existing block)",
			 o->port, name, n ? "; nginx would answer it with its default server at " : "",
			 n ? c->files[s->v[picks[0].server].file].path : "");
		r = ACMED_ECONFIG;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		describe(info, c, s, name, &picks[i], o->port);
		r = plan_server(c, o, &s->v[picks[i].server], e, info, err, errlen);
	}
	free(picks);
	return r;
}

int ngx_challenge_plan(const struct ngx_conf *c, const struct ngx_challenge_opts *o,
		       char *const *names, size_t n, struct ngx_edits *e, FILE *info, char *err,
		       size_t errlen)
{
	struct ngx_servers s;
	int r = ngx_servers_collect(c, &s);

	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		r = plan_name(c, o, &s, names[i], e, info, err, errlen);
	ngx_servers_clear(&s);
	return r;
}
