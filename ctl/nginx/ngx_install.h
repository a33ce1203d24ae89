/* Installing a lineage's certificate into the server blocks nginx picks for
 * its names (docs/nginx.md, "Installing"): an edit set like the challenge
 * include's, carried out by ngx_challenge_apply(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ctl/nginx/ngx_conf.h"

struct ngx_install_opts {
	const char *fullchain;  /* STATE/live/NAME/fullchain.pem */
	const char *privkey;    /* STATE/live/NAME/privkey.pem */
	const char *snippet;    /* the challenge include, for --redirect's port-80 block */
	unsigned http_port;     /* the plain-HTTP port (80) */
	unsigned https_port;    /* the TLS port (443; --https-port) */
	bool redirect;          /* 301 from http_port to https, challenges excepted */
	bool hsts;              /* Strict-Transport-Security */
	bool uir;               /* Content-Security-Policy: upgrade-insecure-requests */
};

/* Add to E the edits that make nginx serve O's certificate for NAMES[0..N):
 * a TLS block nginx picks for a name by SNI on O->https_port gets its
 * ssl_certificate and ssl_certificate_key replaced; otherwise the block it
 * picks on O->http_port is made to serve TLS in place (a `listen ADDR:PORT
 * ssl` for each of its port-80 addresses, the two ssl_ lines). With
 * O->redirect, port 80 answers a 301 to https for everything but the
 * challenges; O->hsts and O->uir add certbot's headers. Nothing is planned
 * for what is in place already. A name no server_name matches is an error
 * (ACMED_ECONFIG, ERR saying so). INFO gets a line per block. 0 or -errno. */
int ngx_install_plan(const struct ngx_conf *c, const struct ngx_install_opts *o,
		     char *const *names, size_t n, struct ngx_edits *e, FILE *info, char *err,
		     size_t errlen);
