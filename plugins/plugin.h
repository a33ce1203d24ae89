/* Authenticators: how acmed proves control of an identifier. One interface,
 * modelled on certbot's: check the options before any CA traffic, put all
 * challenge responses in place at once, take them down afterwards. */
#pragma once

#include <stddef.h>

#include "renewal.h"

struct authn_challenge {
	const char *identifier;        /* the name being validated */
	const char *token;             /* validated base64url */
	const char *key_authorization; /* token "." thumbprint */
};

struct authn_state; /* per-job state of one authenticator */

struct authenticator {
	const char *name;
	const char *challenge_type; /* "http-01" */
	/* Check CFG for DOMAINS before anything is sent to the CA. */
	int (*prepare)(const struct authn_config *cfg, char *const *domains, size_t n, char *err,
		       size_t errlen);
	/* Make the N responses available. *ST is for cleanup. */
	int (*perform)(const struct authn_config *cfg, const struct authn_challenge *chal,
		       size_t n, struct authn_state **st, char *err, size_t errlen);
	/* Remove every response and free ST (NULL allowed). Never fails. */
	void (*cleanup)(struct authn_state *st);
};

extern const struct authenticator authn_webroot;
extern const struct authenticator authn_standalone;

/* The authenticator called NAME, or NULL. */
const struct authenticator *authn_lookup(const char *name);
