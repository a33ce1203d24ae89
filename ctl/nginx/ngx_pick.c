/* Server block selection, as nginx's ngx_http_find_virtual_server() does
 * it over the address lists ngx_http_optimize_servers() builds. */
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"
#include "ctl/nginx/ngx_pick.h"

static int push_str(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* An address as nginx compares it: the IPv4 and IPv6 wildcards as "*" and
 * "[::]", numeric addresses in their canonical form. */
static char *canonical_addr(const char *a, size_t len)
{
	char buf[64], out[INET6_ADDRSTRLEN + 2];
	unsigned char bin[16];

	if (len == 1 && a[0] == '*')
		return strdup("*");
	if (len >= sizeof(buf))
		return strndup(a, len);
	memcpy(buf, a, len);
	buf[len] = '\0';
	if (buf[0] == '[' && len > 2 && buf[len - 1] == ']') {
		buf[len - 1] = '\0';
		if (inet_pton(AF_INET6, buf + 1, bin) != 1)
			return strndup(a, len);
		inet_ntop(AF_INET6, bin, out + 1, sizeof(out) - 2);
		out[0] = '[';
		strcat(out, "]");
		return strdup(out);
	}
	if (inet_pton(AF_INET, buf, bin) == 1) {
		inet_ntop(AF_INET, bin, out, sizeof(out));
		return strdup(streq(out, "0.0.0.0") ? "*" : out);
	}
	for (char *p = buf; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	return strdup(buf);
}

static bool all_digits(const char *s, size_t len)
{
	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* listen's first argument: "80", "addr", "addr:80", "[v6]:80". 1 if it is
 * an inet address (a unix: socket or nonsense is 0). */
static int parse_listen_addr(const char *spec, struct ngx_listen *l)
{
	const char *colon = NULL, *end = spec + strlen(spec);

	if (strncmp(spec, "unix:", 5) == 0)
		return 0;
	if (all_digits(spec, strlen(spec))) {
		l->port = (unsigned)atoi(spec);
		l->addr = strdup("*");
		return l->addr ? 1 : -ENOMEM;
	}
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb)
			return 0;
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (!colon && rb[1])
			return 0;
	} else {
		colon = strrchr(spec, ':');
	}
	l->port = 80;
	if (colon) {
		if (!all_digits(colon + 1, strlen(colon + 1)))
			return 0;
		l->port = (unsigned)atoi(colon + 1);
		end = colon;
	}
	l->addr = canonical_addr(spec, (size_t)(end - spec));
	return l->addr ? 1 : -ENOMEM;
}

int ngx_listen_parse(const struct ngx_dir *d, struct ngx_listen *l)
{
	int r;

	*l = (struct ngx_listen){ 0 };
	r = d->nwords >= 2 ? parse_listen_addr(ngx_arg(d, 1), l) : 0;
	for (size_t i = 2; r > 0 && i < d->nwords; i++) {
		l->def |= streq(ngx_arg(d, i), "default_server") || streq(ngx_arg(d, i), "default");
		l->ssl |= streq(ngx_arg(d, i), "ssl");
	}
	return r;
}

static int add_listen(struct ngx_server *sv, const struct ngx_dir *d)
{
	struct ngx_listen l, *v;
	int r = ngx_listen_parse(d, &l);

	if (r <= 0)
		return r;
	v = realloc(sv->listens, (sv->nlistens + 1) * sizeof(*v));
	if (!v) {
		free(l.addr);
		return -ENOMEM;
	}
	sv->listens = v;
	v[sv->nlistens++] = l;
	return 0;
}

static int server_part(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx)
{
	struct ngx_server *sv = ctx;
	char host[256];
	int r = 0;

	if (streq(ngx_name(d), "listen"))
		return add_listen(sv, d);
	if (!streq(ngx_name(d), "server_name"))
		return 0;
	for (size_t i = 1; i < d->nwords && r == 0; i++) {
		const char *n = ngx_arg(d, i);

		if (streq(n, "$hostname") && gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = '\0';
			n = host;
		}
		r = push_str(&sv->names, &sv->nnames, n);
	}
	return r;
}

static int add_server(const struct ngx_conf *c, int file, struct ngx_dir *d,
		      struct ngx_servers *s)
{
	struct ngx_server *v = realloc(s->v, (s->n + 1) * sizeof(*v)), *sv;
	int r;

	if (!v)
		return -ENOMEM;
	s->v = v;
	sv = &v[s->n++];
	*sv = (struct ngx_server){ .file = file, .dir = d };
	r = ngx_each(c, file, d, server_part, sv);
	if (r == 0 && sv->nnames == 0)
		r = push_str(&sv->names, &sv->nnames, "");
	if (r == 0 && sv->nlistens == 0) {
		sv->listens = calloc(1, sizeof(*sv->listens));
		if (!sv->listens || !(sv->listens[0].addr = strdup("*")))
			return -ENOMEM;
		sv->listens[0].port = 80;
		sv->nlistens = 1;
	}
	return r;
}

static int http_part(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx)
{
	return streq(ngx_name(d), "server") && d->block ? add_server(c, file, d, ctx) : 0;
}

static int top_part(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx)
{
	return streq(ngx_name(d), "http") && d->block ? ngx_each(c, file, d, http_part, ctx) : 0;
}

int ngx_servers_collect(const struct ngx_conf *c, struct ngx_servers *s)
{
	int r;

	*s = (struct ngx_servers){ 0 };
	r = c->nfiles ? ngx_each(c, 0, &c->files[0].root, top_part, s) : 0;
	if (r < 0)
		ngx_servers_clear(s);
	return r;
}

void ngx_servers_clear(struct ngx_servers *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		strv_free(s->v[i].names, s->v[i].nnames);
		for (size_t j = 0; j < s->v[i].nlistens; j++)
			free(s->v[i].listens[j].addr);
		free(s->v[i].listens);
	}
	free(s->v);
	*s = (struct ngx_servers){ 0 };
}

/* ---- matching ---- */

/* SV's listen on ADDR:PORT, plain HTTP or (SSL) TLS, or NULL. */
static const struct ngx_listen *listen_at(const struct ngx_server *sv, const char *addr,
					  unsigned port, bool ssl)
{
	for (size_t i = 0; i < sv->nlistens; i++)
		if (sv->listens[i].port == port && sv->listens[i].ssl == ssl &&
		    streq(sv->listens[i].addr, addr))
			return &sv->listens[i];
	return NULL;
}

/* How long a match of wildcard PAT on NAME is (0: none). */
static size_t leading_match(const char *pat, const char *name)
{
	size_t pl = strlen(pat), nl = strlen(name);
	const char *suffix = pat[0] == '*' ? pat + 1 : pat; /* ".example.org" */

	if (!(pat[0] == '.' || (pat[0] == '*' && pat[1] == '.')))
		return 0;
	if (pat[0] == '.' && strcasecmp(name, pat + 1) == 0)
		return pl;
	if (nl > strlen(suffix) && strcasecmp(name + nl - strlen(suffix), suffix) == 0)
		return pl;
	return 0;
}

static size_t trailing_match(const char *pat, const char *name)
{
	size_t pl = strlen(pat);

	if (pl < 3 || pat[pl - 1] != '*' || pat[pl - 2] != '.')
		return 0;
	return strlen(name) > pl - 1 && strncasecmp(name, pat, pl - 1) == 0 ? pl : 0;
}

/* PCRE's common shorthands in POSIX ERE; false for what ERE cannot say. */
static bool pcre_to_ere(const char *re, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = re; *p; p++) {
		const char *rep = NULL;
		char one[3] = { p[0], 0, 0 };

		if (p[0] == '(' && p[1] == '?') {
			if (p[2] == ':')
				p += 2;
			else if (p[2] == '<' && p[3] != '=' && p[3] != '!')
				p = strchr(p, '>');
			else if (p[2] == 'P' && p[3] == '<')
				p = strchr(p, '>');
			else
				return false;
			if (!p)
				return false;
			rep = "(";
		} else if (p[0] == '\\' && p[1]) {
			p++;
			rep = *p == 'd' ? "[0-9]" : *p == 'w' ? "[A-Za-z0-9_]"
			      : *p == 's' ? "[[:space:]]" : NULL;
			if (!rep && strchr("DWSbBAzZQE0123456789", *p))
				return false;
			if (!rep)
				one[0] = '\\', one[1] = *p, rep = one;
		} else {
			rep = one;
		}
		if (n + strlen(rep) + 1 > len)
			return false;
		memcpy(out + n, rep, strlen(rep));
		n += strlen(rep);
	}
	out[n] = '\0';
	return true;
}

/* 1 if regex RE (server_name's "~..." without the '~') matches NAME, 0 if
 * not, -1 if it cannot be evaluated here. nginx's are case-insensitive. */
static int regex_match(const char *re, const char *name)
{
	char ere[1024];
	regex_t rx;
	int r;

	if (!pcre_to_ere(re, ere, sizeof(ere)) ||
	    regcomp(&rx, ere, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
		return -1;
	r = regexec(&rx, name, 0, NULL, 0) == 0;
	regfree(&rx);
	return r;
}

struct best {
	size_t server, len;
	bool found;
};

static void consider(struct best *b, size_t server, size_t len)
{
	if (len > b->len) {
		b->server = server;
		b->len = len;
		b->found = true;
	}
}

/* The block for NAME among those listening on ADDR:PORT. */
static struct ngx_pick pick_in(const struct ngx_servers *s, const char *addr, unsigned port,
			       bool ssl, const char *name, char *warn, size_t warnlen)
{
	struct best lead = { 0 }, trail = { 0 };
	struct ngx_pick p = { .addr = addr, .how = NGX_MATCH_DEFAULT };
	bool first = true, def = false;

	for (size_t i = 0; i < s->n; i++) {
		const struct ngx_listen *l = listen_at(&s->v[i], addr, port, ssl);

		if (!l)
			continue;
		if (first || (l->def && !def))
			p.server = i;
		def |= l->def;
		first = false;
		for (size_t j = 0; j < s->v[i].nnames; j++) {
			const char *n = s->v[i].names[j];

			if (n[0] != '~' && !strchr(n, '*') && n[0] != '.' && strcasecmp(n, name) == 0)
				return (struct ngx_pick){ i, NGX_MATCH_EXACT, addr };
			consider(&lead, i, leading_match(n, name));
			consider(&trail, i, trailing_match(n, name));
		}
	}
	if (lead.found)
		return (struct ngx_pick){ lead.server, NGX_MATCH_LEADING, addr };
	if (trail.found)
		return (struct ngx_pick){ trail.server, NGX_MATCH_TRAILING, addr };
	for (size_t i = 0; i < s->n; i++) {
		if (!listen_at(&s->v[i], addr, port, ssl))
			continue;
		for (size_t j = 0; j < s->v[i].nnames; j++) {
			const char *n = s->v[i].names[j];
			int m = n[0] == '~' ? regex_match(n + 1, name) : 0;

			if (m > 0)
				return (struct ngx_pick){ i, NGX_MATCH_REGEX, addr };
			if (m < 0 && !warn[0])
				snprintf(warn, warnlen, "server_name %s: this regex is not evaluated "
						       "here (PCRE only); it is taken as not matching",
					 n);
		}
	}
	return p;
}

/* Has an address like ADDR been listed among the first N of PICKS? */
static bool seen_addr(const struct ngx_pick *picks, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (streq(picks[i].addr, addr))
			return true;
	return false;
}

static int pick_all(const struct ngx_servers *s, const char *name, unsigned port, bool ssl,
		    struct ngx_pick **picks, size_t *npicks, char *warn, size_t warnlen)
{
	struct ngx_pick *v = NULL;
	size_t n = 0, max = 0;

	warn[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		max += s->v[i].nlistens;
	v = calloc(max + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->v[i].nlistens; j++) {
			const struct ngx_listen *l = &s->v[i].listens[j];

			if (l->port != port || l->ssl != ssl || seen_addr(v, n, l->addr))
				continue;
			v[n++] = pick_in(s, l->addr, port, ssl, name, warn, warnlen);
		}
	*picks = v;
	*npicks = n;
	return 0;
}

int ngx_pick(const struct ngx_servers *s, const char *name, unsigned port,
	     struct ngx_pick **picks, size_t *npicks, char *warn, size_t warnlen)
{
	return pick_all(s, name, port, false, picks, npicks, warn, warnlen);
}

int ngx_pick_tls(const struct ngx_servers *s, const char *name, unsigned port,
		 struct ngx_pick **picks, size_t *npicks, char *warn, size_t warnlen)
{
	return pick_all(s, name, port, true, picks, npicks, warn, warnlen);
}

const char *ngx_match_name(enum ngx_match m)
{
	static const char *const names[] = {
		[NGX_MATCH_EXACT] = "exact name",
		[NGX_MATCH_LEADING] = "wildcard name starting with '*'",
		[NGX_MATCH_TRAILING] = "wildcard name ending with '*'",
		[NGX_MATCH_REGEX] = "regular expression",
		[NGX_MATCH_DEFAULT] = "default server",
	};

	return m < ELEMENTSOF(names) ? names[m] : "?";
}
