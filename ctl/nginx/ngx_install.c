/* Which server blocks serve a lineage's certificate, and the edits that
 * make them: the block keeps every byte but the lines added or the words
 * replaced. A block that serves plain HTTP for a name is made to serve TLS
 * in place, as certbot does; with --redirect its port-80 listens move to a
 * small block of their own right after it, which answers the challenges
 * (acmed's include) and redirects everything else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "util.h"
#include "ctl/nginx/ngx_install.h"
#include "ctl/nginx/ngx_pick.h"

#define ADDED "added by acmectl"
#define MAX_LINES 16

enum {
	B_TLS = 1,      /* a TLS block nginx picks by name: its paths are set */
	B_CONVERT = 2,  /* a plain block picked by name: it is made to serve TLS */
	B_REDIRECT = 4, /* it answers port 80 for a name: --redirect */
};

struct target {
	size_t server;
	unsigned flags;
};

struct plan {
	const struct ngx_conf *c;
	const struct ngx_install_opts *o;
	const struct ngx_servers *s;
	struct target *v;
	size_t n;
	struct ngx_edits *e;
	FILE *info;
};

static int mark(struct plan *p, size_t server, unsigned flags)
{
	struct target *v;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].server == server) {
			p->v[i].flags |= flags;
			return 0;
		}
	v = realloc(p->v, (p->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->v = v;
	v[p->n++] = (struct target){ server, flags };
	return 0;
}

static void describe(const struct plan *p, const char *name, const struct ngx_pick *k,
		     unsigned port, const char *what)
{
	const struct ngx_server *sv = &p->s->v[k->server];

	if (p->info)
		fprintf(p->info, "%s: %s:%u: server block at %s:%u (%s): %s\n", name, k->addr, port,
			p->c->files[sv->file].path, sv->dir->line, ngx_match_name(k->how), what);
}

/* The blocks NAME's certificate goes to. */
static int plan_name(struct plan *p, const char *name, char *err, size_t errlen)
{
	struct ngx_pick *tls = NULL, *http = NULL;
	size_t ntls = 0, nhttp = 0;
	bool named_tls = false, named_http = false;
	char warn[512];
	int r = ngx_pick_tls(p->s, name, p->o->https_port, &tls, &ntls, warn, sizeof(warn));

	if (r == 0)
		r = ngx_pick(p->s, name, p->o->http_port, &http, &nhttp, warn, sizeof(warn));
	for (size_t i = 0; r == 0 && i < ntls; i++)
		if (tls[i].how != NGX_MATCH_DEFAULT) {
			describe(p, name, &tls[i], p->o->https_port, "its certificate is set");
			named_tls = true;
			r = mark(p, tls[i].server, B_TLS);
		}
	for (size_t i = 0; r == 0 && i < nhttp; i++)
		if (http[i].how != NGX_MATCH_DEFAULT) {
			unsigned f = (named_tls ? 0 : B_CONVERT) | (p->o->redirect ? B_REDIRECT : 0);

			if (f)
				describe(p, name, &http[i], p->o->http_port,
					 f & B_CONVERT ? "made to serve TLS" : "redirected to https");
			named_http = true;
			r = f ? mark(p, http[i].server, f) : 0;
		}
	if (r == 0 && !named_tls && !named_http) {
		snprintf(err, errlen, "no server block on port %u or %u has a server_name matching "
				      "%s: the certificate cannot be installed for it",
			 p->o->http_port, p->o->https_port, name);
		r = ACMED_ECONFIG;
	}
	free(tls);
	free(http);
	return r;
}

/* The block's own directive named NAME (with first argument ARG1, if not
 * NULL, case-insensitively), or NULL. */
static const struct ngx_dir *own(const struct ngx_dir *blk, const char *name, const char *arg1)
{
	for (size_t i = 0; i < blk->nkids; i++)
		if (streq(ngx_name(&blk->kids[i]), name) &&
		    (!arg1 || (ngx_arg(&blk->kids[i], 1) &&
			       strcasecmp(ngx_arg(&blk->kids[i], 1), arg1) == 0)))
			return &blk->kids[i];
	return NULL;
}

/* An `if` of the block's that returns 301: a redirect is there already. */
static bool redirects(const struct ngx_dir *blk)
{
	for (size_t i = 0; i < blk->nkids; i++)
		if (streq(ngx_name(&blk->kids[i]), "if") &&
		    streq(ngx_arg(own(&blk->kids[i], "return", NULL), 1), "301"))
			return true;
	return false;
}

/* "listen ADDR:PORT ssl;" for a plain listen on ADDR (caller frees). */
static char *tls_listen(const char *addr, unsigned port)
{
	char *s = NULL;
	int n = streq(addr, "*") ? asprintf(&s, "listen %u ssl;", port)
				 : asprintf(&s, "listen %s:%u ssl;", addr, port);

	return n < 0 ? NULL : s;
}

static bool listens_tls(const struct ngx_server *sv, const char *addr, unsigned port)
{
	for (size_t i = 0; i < sv->nlistens; i++)
		if (sv->listens[i].ssl && sv->listens[i].port == port &&
		    streq(sv->listens[i].addr, addr))
			return true;
	return false;
}

struct lines {
	char *v[MAX_LINES];
	size_t n;
};

static int push(struct lines *l, char *s)
{
	if (!s)
		return -ENOMEM;
	if (l->n == MAX_LINES) {
		free(s);
		return -E2BIG;
	}
	l->v[l->n++] = s;
	return 0;
}

/* The TLS listens a converted block gets, one per plain address. */
static int add_listens(const struct plan *p, const struct ngx_server *sv, struct lines *l)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < sv->nlistens; i++) {
		const struct ngx_listen *x = &sv->listens[i];
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			dup |= !sv->listens[j].ssl && sv->listens[j].port == p->o->http_port &&
			       streq(sv->listens[j].addr, x->addr);
		if (!x->ssl && x->port == p->o->http_port && !dup &&
		    !listens_tls(sv, x->addr, p->o->https_port))
			r = push(l, tls_listen(x->addr, p->o->https_port));
	}
	return r;
}

/* ssl_certificate[_key] PATH: the block's own replaced, else a line. */
static int set_path(const struct plan *p, const struct ngx_server *sv, const char *directive,
		    const char *path, struct lines *l)
{
	const struct ngx_dir *d = own(sv->dir, directive, NULL);
	char *word = ngx_quote(path), *line = NULL;
	int r;

	if (!word)
		return -ENOMEM;
	if (d && d->nwords >= 2) {
		r = streq(ngx_arg(d, 1), path) ? 0 : ngx_edits_add(p->e, sv->file, d->words[1].off,
								  d->words[1].len, word);
		free(word);
		return r;
	}
	r = asprintf(&line, "%s %s;", directive, word) < 0 ? -ENOMEM : push(l, line);
	free(word);
	return r;
}

static int add_header(const struct ngx_server *sv, const char *name, const char *value,
		      struct lines *l)
{
	char *line = NULL;

	if (own(sv->dir, "add_header", name))
		return 0;
	if (asprintf(&line, "add_header %s \"%s\" always;", name, value) < 0)
		return -ENOMEM;
	return push(l, line);
}

/* The 301 for everything on port 80 but the challenges (caller frees). */
static char *redirect_line(unsigned https_port)
{
	char *s = NULL, port[16] = "";

	if (https_port != 443)
		snprintf(port, sizeof(port), ":%u", https_port);
	if (asprintf(&s, "if ($uri !~ \"^/\\.well-known/acme-challenge/\") { return 301 "
			 "https://$host%s$request_uri; }",
		     port) < 0)
		return NULL;
	return s;
}

/* Bytes [off, end) of FILE, and with them the whole line if the directive
 * is alone on it. */
static int remove_directive(struct ngx_edits *e, const struct ngx_file *f, int file,
			    const struct ngx_dir *d)
{
	size_t from = d->start, to = d->end;

	while (from > 0 && (f->text[from - 1] == ' ' || f->text[from - 1] == '\t'))
		from--;
	while (to < f->len && (f->text[to] == ' ' || f->text[to] == '\t' || f->text[to] == '\r'))
		to++;
	if ((from == 0 || f->text[from - 1] == '\n') && to < f->len && f->text[to] == '\n')
		return ngx_edits_add(e, file, from, to + 1 - from, "");
	return ngx_edits_add(e, file, d->start, d->end - d->start, "");
}

/* --redirect on a block that also serves TLS: its own port-80 listens go
 * (a converted block's become its TLS listens, on their lines) to a new
 * block right after it, with its server_name, the challenge include and
 * the 301. */
static int split(const struct plan *p, const struct ngx_server *sv, unsigned flags)
{
	const struct ngx_file *f = &p->c->files[sv->file];
	const struct ngx_dir *blk = sv->dir;
	char *text = NULL, *word = ngx_quote(p->o->snippet), *redir = redirect_line(p->o->https_port);
	size_t len = 0, ls = blk->start;
	FILE *m = open_memstream(&text, &len);
	int r = m && word && redir ? 0 : -ENOMEM;

	while (ls > 0 && (f->text[ls - 1] == ' ' || f->text[ls - 1] == '\t'))
		ls--;
	if (m)
		fprintf(m, "\n\n%.*sserver { # " ADDED ": --redirect\n", (int)(blk->start - ls),
			f->text + ls);
	for (size_t i = 0; r == 0 && i < blk->nkids; i++) {
		const struct ngx_dir *d = &blk->kids[i];
		struct ngx_listen l;
		int is = streq(ngx_name(d), "listen") ? ngx_listen_parse(d, &l) : 0;
		bool plain = is > 0 && !l.ssl && l.port == p->o->http_port;
		char *tls = plain && (flags & B_CONVERT) && !listens_tls(sv, l.addr, p->o->https_port)
				    ? tls_listen(l.addr, p->o->https_port) : NULL;

		if (plain || streq(ngx_name(d), "server_name"))
			fprintf(m, "%.*s\t%.*s\n", (int)(blk->start - ls), f->text + ls,
				(int)(d->end - d->start), f->text + d->start);
		if (plain)
			r = tls ? ngx_edits_add(p->e, sv->file, d->start, d->end - d->start, tls)
				: remove_directive(p->e, f, sv->file, d);
		if (is > 0)
			free(l.addr);
		free(tls);
		r = is < 0 ? is : r;
	}
	if (m) {
		fprintf(m, "%.*s\tinclude %s;\n%.*s\t%s\n%.*s}", (int)(blk->start - ls), f->text + ls,
			word, (int)(blk->start - ls), f->text + ls, redir, (int)(blk->start - ls),
			f->text + ls);
		r = fclose(m) != 0 && r == 0 ? -ENOMEM : r;
	}
	if (r == 0)
		r = ngx_edits_add(p->e, sv->file, blk->close + 1, 0, text);
	free(text);
	free(word);
	free(redir);
	return r;
}

static int edit_block(const struct plan *p, const struct target *t)
{
	const struct ngx_server *sv = &p->s->v[t->server];
	bool tls = t->flags & (B_TLS | B_CONVERT), redirect = t->flags & B_REDIRECT;
	bool two = tls && redirect; /* it serves port 80 and TLS */
	struct lines l = { 0 };
	int r = 0;

	if ((t->flags & B_CONVERT) && !two)
		r = add_listens(p, sv, &l);
	if (r == 0 && tls)
		r = set_path(p, sv, "ssl_certificate", p->o->fullchain, &l);
	if (r == 0 && tls)
		r = set_path(p, sv, "ssl_certificate_key", p->o->privkey, &l);
	if (r == 0 && tls && p->o->hsts)
		r = add_header(sv, "Strict-Transport-Security", "max-age=31536000", &l);
	if (r == 0 && tls && p->o->uir)
		r = add_header(sv, "Content-Security-Policy", "upgrade-insecure-requests", &l);
	if (r == 0 && redirect && !tls && !redirects(sv->dir))
		r = push(&l, redirect_line(p->o->https_port));
	if (r == 0 && two)
		r = split(p, sv, t->flags);
	if (r == 0 && l.n)
		r = ngx_block_insert(p->c, sv->file, sv->dir, l.v, l.n, ADDED, p->e);
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	return r;
}

int ngx_install_plan(const struct ngx_conf *c, const struct ngx_install_opts *o,
		     char *const *names, size_t n, struct ngx_edits *e, FILE *info, char *err,
		     size_t errlen)
{
	struct ngx_servers s;
	struct plan p = { .c = c, .o = o, .s = &s, .e = e, .info = info };
	int r = ngx_servers_collect(c, &s);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = plan_name(&p, names[i], err, errlen);
	for (size_t i = 0; r == 0 && i < p.n; i++)
		r = edit_block(&p, &p.v[i]);
	if (r < 0 && r != ACMED_ECONFIG)
		snprintf(err, errlen, "cannot plan the edit: %s", strerror(-r));
	free(p.v);
	ngx_servers_clear(&s);
	return r;
}
