/* One issuance ("certonly"): the request as the daemon validated it, and the
 * flow a worker process runs for it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "store/renewal.h"
#include "store/store.h"

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
	bool dry_run;       /* go through the order, save nothing */
	bool renewal;       /* renewing a lineage from its renewal file */
	char *profile;      /* as given (saved in the renewal file); NULL: acmed.conf's */
	char *replaces;     /* ARI certificate ID of the certificate being replaced */
	char *pre_hook, *post_hook, *deploy_hook; /* saved in the renewal file */
	long renew_before;  /* kept in the renewal file; 0: acmed.conf's */
	char *eab_kid, *eab_hmac_key; /* external account binding for a new account */
};

/* Validate a certonly request's ARGS (see ctl/certonly.c for the fields)
 * against CFG's defaults. On error returns ACMED_EUSAGE (or -ENOMEM) with
 * one line in ERR naming the offending option. */
int issue_req_parse(struct json_object *args, const struct acmed_config *cfg,
		    struct issue_req *req, char *err, size_t errlen);
void issue_req_clear(struct issue_req *req);

/* The hook command ARGS[KEY] (option OPT, for the error) in *OUT: one line
 * of text, "" meaning none. 0, ACMED_EUSAGE or -ENOMEM. */
int issue_parse_hook(struct json_object *args, const char *key, const char *opt, char **out,
		     char *err, size_t errlen);

/* Save REQ's lineage's renewal file after a successful issuance with
 * account ACCOUNT_ID, keeping what the old file had that REQ does not say
 * (hooks, profile, renew_before_expiry). For the signer, which writes it. */
int issue_save_renewal(struct store *s, const struct issue_req *req, const char *account_id);

/* The request that renews lineage R with what its renewal file saved. */
int issue_req_from_renewal(const struct renewal *r, struct issue_req *req);

/* Run the issuance; progress events are written to EV_FD as JSON lines.
 * Returns the final reply object ({"status":...}); never NULL. Besides
 * "data" or "error" it may carry "retry_after" (the CA's Retry-After
 * deadline, epoch seconds) and "ari" (whether the CA's directory offers
 * renewalInfo), for the scheduler. */
struct json_object *issue_run(const struct issue_req *req, const struct acmed_config *cfg,
			      int ev_fd);

/* Emit one progress event line on FD. */
void issue_progress(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
