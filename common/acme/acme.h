/* ACME v2 client (RFC 8555). Blocking: it runs in a job's worker process.
 *
 * Every function returns 0 or a negative error. On ACMED_EPROBLEM the CA's
 * problem document is in client->problem; on any error client->err holds
 * one line saying what went wrong with which URL. Callers add the step. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "acme/http.h"
#include "jws.h"

#define ACME_MAX_AUTHZ 100
#define ACME_MAX_SUBPROBLEMS 32

struct acme_subproblem {
	char *type;
	char *detail;
	char *identifier;
};

struct acme_problem {
	char *type;
	char *detail;
	long status;
	struct acme_subproblem sub[ACME_MAX_SUBPROBLEMS];
	size_t nsub;
};

struct acme_directory {
	char *new_nonce, *new_account, *new_order, *revoke_cert, *key_change, *renewal_info;
	char *terms_of_service;
	bool external_account_required;
	char **profiles; /* names in meta.profiles (draft-aaron-acme-profiles) */
	size_t nprofiles;
};

struct acme_client {
	struct http_client *http;
	char *directory_url;
	struct acme_directory dir;
	char *nonce;
	const struct signer *key; /* account key, borrowed */
	char *kid;                /* account URL */
	struct acme_problem problem;
	char err[1024];
	long retry_after;          /* from the last response, seconds; -1 if none */
	long last_status;          /* the HTTP status of the last response, 0 if none */
	/* What the next signed request is for ("order", "authz"...) when its
	 * URL does not say (the directory's own URLs do): the metrics' label.
	 * Set around the request by its caller. */
	const char *endpoint;
	unsigned poll_first_ms;    /* first polling interval */
	unsigned poll_max_ms;      /* backoff cap */
	unsigned poll_timeout_s;   /* give up polling after this long */
	unsigned order_timeout_s;  /* ... a finalized order, if set (certbot's
				    * --issuance-timeout); 0: poll_timeout_s */
	unsigned challenge_reposts; /* a challenge left pending with an error is
				     * POSTed again at most this often */
	unsigned repost_first_ms;  /* the first such retry waits this long, the
				    * next ones twice as long as the one before,
				    * at most 8 s */
	unsigned bad_nonce_retries;
	bool account_created;      /* the last newAccount made a new account (201) */
	char *eab_kid;             /* external account binding for newAccount */
	unsigned char *eab_key;
	size_t eab_keylen;
};

/* A client of the CA at DIRECTORY_URL, trusting CA_BUNDLE (NULL: the system's),
 * each request given TIMEOUT seconds (0: HTTP_TIMEOUT). */
int acme_client_new(const char *directory_url, const char *ca_bundle, long timeout,
		    struct acme_client **out);
void acme_client_free(struct acme_client *c);

/* GET the directory. */
int acme_directory_load(struct acme_client *c);

/* Use KEY (borrowed) and, once known, the account URL KID for signing. */
int acme_set_account(struct acme_client *c, const struct signer *key, const char *kid);

/* Bind new accounts to the CA's external account KID with its MAC key
 * (base64url, as CAs hand it out). A NULL key: the account's remote signer
 * holds it (jws_eab()). 0, or -EINVAL for a key that is not base64url. */
int acme_set_eab(struct acme_client *c, const char *kid, const char *hmac_key_b64url);

/* newAccount with the key set by acme_set_account(). EMAIL, one address or
 * several separated by commas, gives a "mailto:" contact each; NULL
 * registers without contact. With ONLY_EXISTING, looks the key's account up instead
 * (-ENOENT if the CA has none). The account URL is stored as c->kid. */
int acme_account_new(struct acme_client *c, const char *email, bool tos_agreed,
		     bool only_existing);

/* The account object (POST-as-GET to the account URL); caller puts *OUT. */
int acme_account_get(struct acme_client *c, struct json_object **out);
/* Update the account: its contacts to EMAIL (as acme_account_new() takes
 * it; NULL: no contact) unless
 * DEACTIVATE, which deactivates it for good. *OUT (caller puts, may be
 * NULL) gets the account object the CA returned. */
int acme_account_update(struct acme_client *c, const char *email, bool deactivate,
			struct json_object **out);
/* keyChange (RFC 8555 section 7.3.5): the account, signed for by the
 * current key, moves to NEW_KEY. On success the client signs with NEW_KEY
 * (borrowed) from then on. */
int acme_key_change(struct acme_client *c, const struct signer *new_key);

struct acme_order {
	char *url;
	char *status;
	char *finalize;
	char *certificate;
	char *authz[ACME_MAX_AUTHZ];
	size_t nauthz;
};

void acme_order_clear(struct acme_order *o);
/* Optional members of a newOrder request. */
struct acme_order_opts {
	const char *profile;  /* "profile": one of the directory's meta.profiles */
	const char *replaces; /* "replaces": ARI certificate ID (RFC 9773 section 5) */
};

/* newOrder for the identifiers (DNS names; IP literals become "ip"). OPTS
 * may be NULL. */
int acme_order_new(struct acme_client *c, char *const *idents, size_t n,
		   const struct acme_order_opts *opts, struct acme_order *o);
/* Refresh O from O->url. */
int acme_order_get(struct acme_client *c, struct acme_order *o);
/* Poll a finalized order ("processing") until it is "valid" with a
 * certificate URL. ACMED_EPROTO for any other status, or the polling's
 * errors. */
int acme_order_wait(struct acme_client *c, struct acme_order *o);

struct acme_challenge {
	char *type;
	char *url;
	char *token; /* validated base64url, or NULL if absent */
	char *status;
	char *error; /* the CA's problem with it, formatted (acme_problem_format()); or NULL */
};

struct acme_authz {
	char *url;
	char *status;
	char *identifier; /* the value; wildcard authorizations carry the base name */
	bool wildcard;
	struct acme_challenge *chal;
	size_t nchal;
};

void acme_authz_clear(struct acme_authz *a);
int acme_authz_get(struct acme_client *c, const char *url, struct acme_authz *a);
/* Tell the CA to validate the challenge at URL. A CA that validates inside
 * this POST and answers with the challenge "invalid" gets ACMED_EINVALID,
 * its error in c->err. */
int acme_challenge_respond(struct acme_client *c, const char *url);
/* Poll the authorization until it leaves "pending": 0 if valid,
 * ACMED_EINVALID if invalid (the challenge's error in c->problem, or in
 * c->err), ACMED_ETIMEOUT. On every poll the challenge at CHAL_URL is read
 * too: "invalid" there fails at once, even while the authorization stays
 * pending (a CA that validates once, inside the POST); "pending" with an
 * error (a CA that tries once and waits to be asked again) is POSTed again,
 * at most c->challenge_reposts times, so a response put in place late can
 * still pass. A timeout's message carries the CA's last error. */
int acme_authz_wait(struct acme_client *c, struct acme_authz *a, const char *chal_url);

/* Finalize with the CSR (DER), then poll the order until it is valid and has
 * a certificate URL. */
int acme_order_finalize(struct acme_client *c, struct acme_order *o, const unsigned char *csr,
			size_t csrlen);

/* Download the certificate chain. With PREFERRED_CHAIN set, alternate chains
 * (Link rel="alternate") are fetched too and the first whose topmost
 * certificate's issuer CN equals it is returned; otherwise the default. */
int acme_certificate_get(struct acme_client *c, const char *url, const char *preferred_chain,
			 char **pem);

/* True if the directory's meta.profiles lists NAME. */
bool acme_profile_offered(const struct acme_client *c, const char *name);

/* A suggested renewal window (RFC 9773 section 4.2). */
struct acme_renewal_info {
	time_t start, end;
	long retry_after;   /* seconds from the Retry-After header; -1 if none */
	char *explanation;  /* explanationURL, or NULL */
};

void acme_renewal_info_clear(struct acme_renewal_info *ri);
/* GET {renewalInfo}/{CERT_ID}. ACMED_EPROTO (reason in c->err) for an
 * answer that is not a window: bad JSON, a missing or unparsable time, or
 * end <= start. -ENOTSUP if the directory has no renewalInfo. */
int acme_renewal_info_get(struct acme_client *c, const char *cert_id,
			  struct acme_renewal_info *ri);

/* Revocation reasons (RFC 5280 section 5.3.1) that ACME accepts. */
enum acme_revoke_reason {
	REVOKE_UNSPECIFIED = 0,
	REVOKE_KEY_COMPROMISE = 1,
	REVOKE_AFFILIATION_CHANGED = 3,
	REVOKE_SUPERSEDED = 4,
	REVOKE_CESSATION_OF_OPERATION = 5,
};

/* revokeCert (RFC 8555 section 7.6) for certificate DER with REASON. With
 * BY_CERT_KEY the request is signed by the certificate's own key, set as
 * the account key with acme_set_account(c, key, NULL), and carries it as a
 * JWK; else by the account. An already revoked certificate is -EALREADY. */
int acme_revoke(struct acme_client *c, const unsigned char *der, size_t len,
		enum acme_revoke_reason reason, bool by_cert_key);

/* "type: detail; subproblems: ident: type: detail; ..." for a person.
 * The "urn:ietf:params:acme:error:" prefix is kept: it is what CAs document. */
void acme_problem_format(const struct acme_problem *p, char *buf, size_t len);
void acme_problem_clear(struct acme_problem *p);
/* Parse a problem document. 0 or -EINVAL. */
int acme_problem_parse(const char *json, struct acme_problem *p);
