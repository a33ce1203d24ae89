/* A certificate request: what `acmectl certonly` asked for, as the daemon
 * checked it, or what a lineage's renewal file says; carried to the job's
 * process as JSON, and saved as the renewal file after the issuance. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "crypto.h"
#include "issue_opts.h"
#include "store/renewal.h"
#include "store/store.h"

struct issue_req {
	char **domains;
	size_t ndomains;
	char *cert_name; /* as given with --cert-name, or NULL */
	char *name;      /* the lineage name the daemon chose */
	struct authn_config authn;
	struct key_spec key;
	bool reuse_key;     /* saved: keep the key at renewals */
	bool new_key;       /* this time a new key, whatever reuse_key says */
	bool allow_subset;  /* drop names that fail validation (saved) */
	int autorenew;      /* 1 on, 0 off (saved); -1 not said: as the lineage was */
	bool validate_only; /* a dry run that stops before finalizing */
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
	int from_version;   /* a renewal: the version it replaces (live when it was
			     * planned); 0: not known */
	char *pre_hook, *post_hook, *deploy_hook; /* saved in the renewal file */
	long renew_before;  /* kept in the renewal file; 0: acmed.conf's */
	char *eab_kid, *eab_hmac_key; /* external account binding for a new account */
	char *user_agent;       /* --user-agent, after acmed's own (saved, as certbot does) */
	long issuance_timeout;  /* --issuance-timeout, seconds; 0: the default (not saved) */
	bool manual_prompt;     /* --manual without hooks, asked by acmectl on a terminal:
				 * the job shows each response to put in place to the
				 * user and waits (not saved) */
};

/* Validate a certonly request's ARGS (common/issue_opts.c lists the members)
 * against CFG's defaults. On error returns ACMED_EUSAGE (or -ENOMEM) with
 * one line in ERR naming the offending option. */
int issue_req_parse(struct json_object *args, const struct acmed_config *cfg,
		    struct issue_req *req, char *err, size_t errlen);
void issue_req_clear(struct issue_req *req);

/* certbot's dry run never spends a production certificate: a dry run REQ
 * goes to its CA's staging server when acmed knows one (config_staging_for),
 * registering an account there if need be with REQ's contact address (or
 * acmed.conf's) and agreeing to its terms; at a CA without a known staging
 * server it validates the names and stops before finalizing. 0 or -ENOMEM. */
int issue_req_aim_dry_run(struct issue_req *req, const struct acmed_config *cfg);

/* The hook command of option O (IO_PRE_HOOK...) in ARGS, in *OUT: one line
 * of text, "" meaning none. 0, ACMED_EUSAGE or -ENOMEM. */
int issue_parse_hook(struct json_object *args, enum issue_opt o, char **out, char *err,
		     size_t errlen);

/* The request that renews lineage R with what its renewal file saved. */
int issue_req_from_renewal(const struct renewal *r, struct issue_req *req);

/* REQ as a JSON object, every field (caller puts); NULL if out of memory.
 * issue_req_from_json() reads it back: 0, -EINVAL for an object this
 * function did not make, -ENOMEM. What the daemon hands a job's process. */
struct json_object *issue_req_to_json(const struct issue_req *req);
int issue_req_from_json(struct json_object *o, struct issue_req *req);

/* Save REQ's lineage's renewal file after a successful issuance with
 * account ACCOUNT_ID, keeping what the old file had that REQ does not say
 * (hooks, profile, renew_before_expiry). For the signer, which writes it. */
int issue_req_save_renewal(struct store *s, const struct issue_req *req, const char *account_id);
/* The text that would save, in *TEXT (caller frees): cluster mode puts it
 * in etcd with the version it goes with. */
int issue_req_renewal_text(struct store *s, const struct issue_req *req, const char *account_id,
			   char **text);
