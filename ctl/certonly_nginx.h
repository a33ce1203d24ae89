/* certonly --nginx (ctl/certonly_nginx.c, docs/nginx.md). */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "ctl/client.h"

struct certonly_nginx {
	const char *server_root; /* --nginx-server-root; NULL: /etc/nginx */
	const char *ctl;         /* --nginx-ctl; NULL: nginx */
	bool dry_run;            /* print the edit as a diff, write nothing */
	bool create;             /* --nginx-create */
	unsigned https_port;     /* --https-port; 0: 443 */
	bool redirect, hsts, uir;
};

/* The lineage certonly_nginx_install() puts in place. */
struct nginx_cert {
	const char *name;                /* the lineage */
	char *const *names;              /* its domains */
	size_t n;
	const char *fullchain, *privkey; /* NULL: STATE/live/NAME/'s */
	unsigned http_port;              /* 0: 80 */
};

/* Before the order for ARGS (its domains, http01_port): give the server
 * blocks nginx picks for the names the challenge include, once (checked by
 * nginx -t; everything put back if nginx refuses), reload nginx and check
 * it serves acmed's challenge directory. The daemon does the rest (the
 * nginx authenticator: webroot in that directory). EXIT_OK, *DONE set when a dry run must stop before
 * the order; else the exit code, the error printed. */
int certonly_nginx(const struct client *cl, struct json_object *args,
		   const struct certonly_nginx *o, bool *done);

/* After the order (run) or for an existing lineage (install): the server
 * blocks nginx picks for CERT's names serve its certificate (ngx_install.c:
 * the same edit set, nginx -t, backups and --dry-run diff as the challenge
 * include), and nginx is reloaded. EXIT_OK or the exit code, the error
 * printed. */
int certonly_nginx_install(const struct client *cl, const struct certonly_nginx *o,
			   const struct nginx_cert *cert);

/* The command that reloads the nginx O names, saved as the lineage's
 * deploy hook: `systemctl reload nginx` when systemd runs the machine and
 * neither --nginx-ctl nor --nginx-server-root is given, else
 * `CTL [-c ROOT/nginx.conf] -s reload`. Caller frees; NULL: no memory. */
char *certonly_nginx_reload_hook(const struct certonly_nginx *o);

/* run: the deploy hook that reloads nginx added to the request ARGS, unless
 * it has one (a note says it must reload nginx). 0 or -ENOMEM. */
int certonly_nginx_add_hook(const struct client *cl, struct json_object *args,
			    const struct certonly_nginx *ngx);
/* run: after the order for ARGS, the lineage in the daemon's reply DATA
 * (or kept) installed. EXIT_OK or the exit code, the error said. */
int certonly_nginx_install_issued(const struct client *cl, struct json_object *args,
				  const struct certonly_nginx *ngx, struct json_object *data);
/* install: lineage NAME (the daemon's) installed, and unless NGX->dry_run
 * its deploy hook set to reload nginx (reconfigure). EXIT_OK or the exit
 * code, the error said. */
int certonly_nginx_install_lineage(const struct client *cl, struct json_object *args,
				   const struct certonly_nginx *ngx, const char *name);
