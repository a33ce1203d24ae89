/* One issuance ("certonly"): the request as the daemon validated it, and the
 * flow a worker process runs for it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "renewal.h"

struct issue_req {
	char **domains;
	size_t ndomains;
	char *cert_name; /* as given with --cert-name, or NULL */
	char *name;      /* the lineage name the daemon chose */
	struct authn_config authn;
	struct key_spec key;
	bool reuse_key;
	char *email;
	bool unsafe_no_email;
	bool agree_tos;
	char *server;
	char *preferred_chain;
	unsigned char *csr; /* DER, --csr mode: no lineage, PEMs returned */
	size_t csrlen;
};

/* Validate a certonly request's ARGS (see ctl/certonly.c for the fields)
 * against CFG's defaults. On error returns ACMED_EUSAGE (or -ENOMEM) with
 * one line in ERR naming the offending option. */
int issue_req_parse(struct json_object *args, const struct acmed_config *cfg,
		    struct issue_req *req, char *err, size_t errlen);
void issue_req_clear(struct issue_req *req);

/* Run the issuance; progress events are written to EV_FD as JSON lines.
 * Returns the final reply object ({"status":...}); never NULL. */
struct json_object *issue_run(const struct issue_req *req, const struct acmed_config *cfg,
			      int ev_fd);

/* Emit one progress event line on FD. */
void issue_progress(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
