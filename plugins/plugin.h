/* Authenticators: how acmed proves control of an identifier. One interface,
 * modelled on certbot's: check the options before any CA traffic, put all
 * challenge responses in place at once, take them down afterwards. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "authn.h"
#include "store/renewal.h"

struct authn_challenge {
	const char *identifier;        /* the name being validated */
	const char *type;              /* "http-01", "dns-01" or "tls-alpn-01" */
	const char *token;             /* validated base64url */
	const char *key_authorization; /* token "." thumbprint */
	/* What the response holds: the key authorization for http-01, its
	 * SHA-256 in base64url (the TXT record) for dns-01. */
	const char *validation;
};

/* What an authenticator gets for one job, before the worker is confined. */
struct authn_setup {
	const struct authn_config *cfg; /* borrowed for the job's life */
	char *const *domains;           /* the job's names, as ordered */
	size_t ndomains;
	int hook_timeout;               /* seconds a --manual hook may run */
	/* --manual without an auth hook (issue_req's manual_prompt): show
	 * challenge I of N to the user and wait until they say its response
	 * is in place. 0, or an error with ERR saying why. NULL: nobody to
	 * ask, and manual needs its hook. */
	int (*ask_user)(void *ctx, const struct authn_challenge *c, size_t i, size_t n, char *err,
			size_t errlen);
	void *ask_ctx;
};

struct authn_job;   /* an authenticator's own state for one job */
struct authn_state; /* the responses one perform() put in place */

/* One authenticator's code (its name and challenge types: authn.h). */
struct authenticator {
	/* Check the job's options and take what the job needs while the
	 * worker still may (a credentials file, a helper process): runs
	 * before the worker is confined and before any CA traffic. *JOB gets
	 * the authenticator's state for the job. */
	int (*setup)(const struct authn_setup *s, struct authn_job **job, char *err,
		     size_t errlen);
	/* Make the N responses available. *ST is for cleanup. */
	int (*perform)(struct authn_job *job, const struct authn_challenge *chal, size_t n,
		       struct authn_state **st, char *err, size_t errlen);
	/* Remove every response and free ST (NULL allowed). Never fails. */
	void (*cleanup)(struct authn_job *job, struct authn_state *st);
	/* Free JOB (NULL allowed) and stop what setup() started. */
	void (*teardown)(struct authn_job *job);
};

extern const struct authenticator authn_webroot;
extern const struct authenticator authn_standalone;
extern const struct authenticator authn_manual;
extern const struct authenticator authn_rfc2136;

/* The code of authenticator KIND. */
const struct authenticator *authn_impl(enum authn_kind kind);
