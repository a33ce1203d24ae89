/* --nginx-create (ngx_create.c, docs/nginx.md): a minimal server block, in
 * a file of its own, for each name no block names on the challenge port. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "ctl/nginx/ngx_challenge.h"

struct ngx_create_opts {
	const struct ngx_challenge_opts *challenge; /* nginx.conf, nginx, snippet, port, backups, --dry-run */
	const char *root; /* the directory of nginx.conf: conf.d/, sites-available/ */
};

/* For each of NAMES[0..N) no server_name matches on the challenge port
 * (MADE[i] set): ROOT/conf.d/NAME.conf when nginx.conf includes conf.d/,
 * else ROOT/sites-available/NAME linked from sites-enabled/ when it
 * includes that; the block listens where the others do on the port, names
 * NAME and includes the challenge snippet (written first). The files are an
 * edit set of their own for rollback --nginx; nginx -t must accept them,
 * else they are removed (ACMED_ECONFIG, ERR quoting nginx). A wildcard, a
 * layout with neither directory, a file there already: ACMED_ECONFIG. With
 * --dry-run the files go to OUT as a diff and nothing is written; else OUT
 * gets a line per file. 0 or -errno. */
int ngx_create_blocks(const struct ngx_conf *c, const struct ngx_create_opts *o,
		      char *const *names, size_t n, bool *made, FILE *out, char *err,
		      size_t errlen);
