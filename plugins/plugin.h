/* Authenticators: how acmed proves control of an identifier. One interface,
 * modelled on certbot's: check the options before any CA traffic, put all
 * challenge responses in place at once, take them down afterwards. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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

struct authn_state; /* per-job state of one authenticator */

struct authenticator {
	const char *name;
	/* The challenge types it answers, in its own order of preference. */
	const char *types[3];
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
extern const struct authenticator authn_manual;
extern const struct authenticator authn_rfc2136;

struct helper;
/* The manual authenticator's hook runner for this job (authhook.h). */
void authn_manual_use(struct helper *l);

/* Does AU answer challenges of TYPE? */
bool authn_answers(const struct authenticator *au, const char *type);

/* The authenticator called NAME, or NULL. */
const struct authenticator *authn_lookup(const char *name);
