/* certonly --nginx (ctl/certonly_nginx.c, docs/nginx.md). */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "ctl/client.h"

struct certonly_nginx {
	const char *server_root; /* --nginx-server-root; NULL: /etc/nginx */
	const char *ctl;         /* --nginx-ctl; NULL: nginx */
	bool dry_run;            /* print the edit as a diff, write nothing */
};

/* Before the order for ARGS (its domains, http01_port): give the server
 * blocks nginx picks for the names the challenge include, once (checked by
 * nginx -t; everything put back if nginx refuses), reload nginx and check
 * it serves acmed's challenge directory. The daemon does the rest (the
 * nginx authenticator: webroot in that directory). EXIT_OK, *DONE set when a dry run must stop before
 * the order; else the exit code, the error printed. */
int certonly_nginx(const struct client *cl, struct json_object *args,
		   const struct certonly_nginx *o, bool *done);
