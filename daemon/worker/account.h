/* ACME accounts, the worker's side: opening the stored account for a CA
 * (registering one, finding a lost one by its key, finishing an interrupted
 * key rollover), and the `acmectl account` tasks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "acme/acme.h"
#include "config.h"
#include "daemon/privsep/signer.h"
#include "store/store.h"

/* What may be registered when the CA has no account for us. */
struct account_reg {
	const char *email; /* NULL: no contact */
	bool agree_tos;
	bool unsafe_no_email;
	const char *eab_kid; /* external account binding (the signer has its key), or NULL */
};

/* One worker's session with one account. */
struct account {
	struct signer *key; /* signs the client's requests */
	char *id;           /* accounts/SERVER/ID */
	char *url;
	char *email;
	const char *step;   /* what failed, for the error message */
	/* A registration refused for what the user may still give: */
	bool need_email;    /* an address (or --register-unsafely-without-email) */
	bool need_tos;      /* the CA's terms agreed to */
};

void account_clear(struct account *a);

/* After account_open() failed for want of an address or of the terms
 * agreed to (A's need_*): {"need_email", "need_tos", "terms_of_service":
 * C's directory's}, what acmectl asks on a terminal. NULL for any other
 * failure. Caller puts. */
struct json_object *account_needs(const struct account *a, const struct acme_client *c);

/* Open the account for SERVER in client C (directory loaded): account ID,
 * or the only one stored, its key held by the job's signer KEYS. With none
 * stored, REG (NULL: none) registers a new one; a key whose account.json
 * was lost is looked up by key (registered with REG if the CA has none);
 * an interrupted key rollover is finished or undone first. Progress on
 * EV_FD. 0, or an error with the reason in ERR and the failing step in
 * a->step. */
int account_open(struct store *s, struct helper *keys, struct acme_client *c,
		 const char *server, const char *id, const struct account_reg *reg, int ev_fd,
		 struct account *a, char *err, size_t errlen);

/* The `account` task (job.h's task_fn): ARGS {"op": "register" | "show" |
 * "update" | "deactivate" | "rollover", "server", "email",
 * "register_unsafely_without_email", "agree_tos", "eab_kid", "eab_hmac_key"}. */
struct json_object *account_task(struct json_object *args, const struct acmed_config *cfg,
				 int ev_fd);
