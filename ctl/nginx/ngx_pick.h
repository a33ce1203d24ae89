/* Which http server block nginx gives a request for a name on a port, by
 * nginx's documented order (docs/nginx.md): first the listen address, then
 * server_name: the exact name, the longest wildcard starting with '*' (or
 * ".example.org"), the longest wildcard ending with '*', the first regex
 * that matches, and last the address's default server (default_server,
 * else the first block listening there). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctl/nginx/ngx_conf.h"

struct ngx_listen {
	char *addr; /* "*", "[::]", "127.0.0.1", "[::1]", or a host name as written */
	unsigned port;
	bool def; /* default_server */
	bool ssl;
};

/* A `listen` directive D as L (L->addr caller frees): 1 for an address and
 * port, 0 for what is not one (unix:, nonsense), -ENOMEM. */
int ngx_listen_parse(const struct ngx_dir *d, struct ngx_listen *l);

struct ngx_server {
	int file;            /* the file holding its block */
	struct ngx_dir *dir; /* the `server { }` block (borrowed from the conf) */
	char **names;        /* server_name's arguments, "" when it has none */
	size_t nnames;
	struct ngx_listen *listens; /* "*:80" when it has no listen directive */
	size_t nlistens;
};

struct ngx_servers {
	struct ngx_server *v; /* in the order nginx reads them */
	size_t n;
};

enum ngx_match {
	NGX_MATCH_EXACT,
	NGX_MATCH_LEADING,  /* *.example.org, .example.org */
	NGX_MATCH_TRAILING, /* www.example.* */
	NGX_MATCH_REGEX,
	NGX_MATCH_DEFAULT,  /* no name matched: the address's default server */
};

struct ngx_pick {
	size_t server; /* index in ngx_servers */
	enum ngx_match how;
	const char *addr; /* the listen address (borrowed from a listen) */
};

/* The server blocks of C's http blocks (includes followed). The caller
 * clears S with ngx_servers_clear(); S borrows from C. 0 or -ENOMEM. */
int ngx_servers_collect(const struct ngx_conf *c, struct ngx_servers *s);
void ngx_servers_clear(struct ngx_servers *s);

/* For a request for NAME on PORT: in each address some server listens on
 * at PORT (without ssl), the block nginx picks, in *PICKS (caller frees;
 * *NPICKS of them, 0 when no block listens on PORT). A regex that cannot
 * be evaluated here (docs/nginx.md) is skipped and named in WARN
 * (WARN[0] stays '\0' otherwise). 0 or -ENOMEM. */
int ngx_pick(const struct ngx_servers *s, const char *name, unsigned port,
	     struct ngx_pick **picks, size_t *npicks, char *warn, size_t warnlen);

/* The same among the listeners with ssl at PORT: the TLS server block nginx
 * picks for NAME (by SNI) on each address. */
int ngx_pick_tls(const struct ngx_servers *s, const char *name, unsigned port,
		 struct ngx_pick **picks, size_t *npicks, char *warn, size_t warnlen);

/* "exact", "wildcard", ..., for messages. */
const char *ngx_match_name(enum ngx_match m);
