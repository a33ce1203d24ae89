/* Keys, CSRs and certificate facts, on OpenSSL 3. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum key_alg { KEY_ALG_EC, KEY_ALG_RSA };

struct key_spec {
	enum key_alg alg;
	int rsa_bits; /* 2048, 3072 or 4096 */
	int curve;    /* 256, 384 or 521 */
};

#define KEY_SPEC_DEFAULT ((struct key_spec){ .alg = KEY_ALG_EC, .rsa_bits = 2048, .curve = 256 })

/* Parse certbot's --key-type (ecdsa|rsa), --elliptic-curve (secp256r1|
 * secp384r1|secp521r1, also P-256/P-384/P-521) and --rsa-key-size. NULL/0 keeps the default.
 * Returns 0 or -EINVAL with a message in ERR. */
int key_spec_parse(const char *type, const char *curve, int rsa_bits, struct key_spec *out,
		   char *err, size_t errlen);
/* "ecdsa" / "rsa" and "secp256r1" / "secp384r1" for renewal files. */
const char *key_spec_type_name(const struct key_spec *spec);
const char *key_spec_curve_name(const struct key_spec *spec);

/* Generate a new private key. NULL on failure. */
EVP_PKEY *crypto_key_generate(const struct key_spec *spec);
/* Whether KEY is of the type and size (or curve) SPEC says. */
bool crypto_key_matches(EVP_PKEY *key, const struct key_spec *spec);
/* Unencrypted PKCS#8 PEM; caller frees (and should clear: it is a secret). */
int crypto_key_to_pem(EVP_PKEY *key, char **pem, size_t *len);
int crypto_key_from_pem(const char *pem, size_t len, EVP_PKEY **out);
/* "ECDSA" or "RSA", as certbot's `certificates` shows it. */
const char *crypto_key_type_label(EVP_PKEY *key);

/* A CSR for NAMES (the first is the CN, every name a SAN), signed by KEY.
 * DER in *der, caller frees. IP literals become IP SANs. */
int crypto_csr_make(EVP_PKEY *key, char *const *names, size_t n, unsigned char **der,
		    size_t *derlen);
/* Load a CSR from PEM or DER, check its self-signature, return its DER and
 * its names (CN first if present, then SANs not already listed; lower-case).
 * Caller frees. -EINVAL for garbage or a bad signature. */
int crypto_csr_load(const void *data, size_t len, unsigned char **der, size_t *derlen,
		    char ***names, size_t *nnames);

/* Split a PEM bundle into its certificates, re-encoded canonically.
 * Anything that is not a CERTIFICATE block, or a block that does not parse,
 * is -EINVAL. Caller frees with strv_free(*pems, *n). */
int crypto_pem_split(const char *bundle, size_t len, char ***pems, size_t *n);

struct cert_info {
	time_t not_before, not_after;
	char serial[80];     /* lower-case hex without leading zeros, as certbot shows */
	char issuer_cn[256];
	char subject_cn[256];
	char key_type[8];    /* "ECDSA", "RSA" */
	char ari_id[160];    /* RFC 9773 certificate ID, "" without an AKI key id */
	char **names;        /* SANs, DNS and IP */
	size_t nnames;
};

/* Facts of the first certificate in PEM, read without decoding its public
 * key (the slow part of a full parse with OpenSSL 3); a certificate that
 * reading does not understand goes through crypto_cert_info_full(). */
int crypto_cert_info(const char *pem, size_t len, struct cert_info *out);
/* The same facts through a full X509 parse. */
int crypto_cert_info_full(const char *pem, size_t len, struct cert_info *out);
void cert_info_clear(struct cert_info *info);

X509 *crypto_cert_from_pem(const char *pem, size_t len);
/* The DER of the first certificate in PEM; caller frees. -EINVAL. */
int crypto_cert_der(const char *pem, size_t len, unsigned char **der, size_t *derlen);

/* 0 if the private KEY belongs to certificate CERT_PEM, ACMED_EMISMATCH if
 * not, -EINVAL if either does not parse. */
int crypto_key_matches_cert(const char *key_pem, size_t keylen, const char *cert_pem,
			    size_t certlen);
