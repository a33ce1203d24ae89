/* What a certificate must be before it reaches live/ (docs/architecture.md,
 * "Certificate checks"): run by the worker on what the CA sent, again by
 * the signer before it publishes, and by `acmectl check` on every stored
 * version. */
#pragma once

#include <stddef.h>
#include <time.h>

/* A CA's clock may run this far ahead of ours: a certificate whose
 * notBefore is at most this many seconds in the future is accepted. */
#define CERTCHECK_SKEW 600

/* The largest certificate chain (leaf and chain, PEM) acmed takes from a
 * CA. Real chains are a few KiB; this bound holds end to end: the download
 * refuses more, the signer's requests and the store's files take this
 * much. */
#define CERT_CHAIN_MAX (128 * 1024)

struct certcheck {
	const char *cert;   /* the leaf, PEM: exactly one certificate */
	const char *chain;  /* its chain, PEM: one or more certificates */
	const char *key;    /* the private key it must be for, PEM; or NULL */
	const unsigned char *csr; /* or the CSR (DER) whose key it must carry */
	size_t csrlen;
	char *const *names; /* its SANs must be exactly these (any order, case
			     * insensitive); or NULL: not checked */
	size_t nnames;
	time_t now;         /* it must be valid now (with CERTCHECK_SKEW); 0:
			     * validity times are not checked */
	const char *roots;  /* trust anchors, PEM (issuer_bundle): the chain must
			     * end at one; or NULL */
};

/* Check C, in this order: the leaf and chain parse; the leaf is not a CA;
 * it is valid at C->now; each certificate's issuer is the next one's
 * subject and its signature verifies with the next one's key; every chain
 * certificate is a CA; the names; the key; the trust anchors. 0, or
 * ACMED_EBADCERT with ERR naming the check that failed (-ENOMEM). */
int certcheck_run(const struct certcheck *c, char *err, size_t errlen);
