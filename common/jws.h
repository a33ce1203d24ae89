/* JWS (RFC 7515) for ACME, JWK (RFC 7517), thumbprints (RFC 7638) and
 * base64url. Keys sit behind struct signer, the narrow interface a separate
 * key-holding process can later provide: sign, describe the public key. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

/* base64url without padding (RFC 7515 section 2). Caller frees; NULL on OOM. */
char *b64url_encode(const void *data, size_t len);
/* Decode; rejects padding, whitespace and characters outside the alphabet.
 * *out (caller frees) is NUL-terminated for convenience. 0 or -EINVAL/-ENOMEM. */
int b64url_decode(const char *s, unsigned char **out, size_t *outlen);
/* True if S is non-empty and only [A-Za-z0-9_-]: what an ACME token must be
 * before it may become a file name (RFC 8555 section 8.3). */
bool b64url_valid(const char *s);

struct signer;

/* Wrap KEY (EC P-256, P-384 or RSA >= 2048); on success the signer owns KEY.
 * Returns 0, -EINVAL for an unsupported key, -ENOMEM. */
int signer_new(EVP_PKEY *key, struct signer **out);
void signer_free(struct signer *s);
/* "ES256", "ES384" or "RS256". */
const char *signer_alg(const struct signer *s);
/* Public JWK as a new JSON object (caller puts it). */
struct json_object *signer_jwk(const struct signer *s);
/* The public JWK itself (borrowed, lives as long as S). */
struct json_object *signer_jwk_borrow(const struct signer *s);
/* RFC 7638 thumbprint, base64url SHA-256 (borrowed, lives as long as S). */
const char *signer_thumbprint(const struct signer *s);
/* Borrow the key (for CSR signing by the same process); NULL for a remote
 * signer. */
EVP_PKEY *signer_key(const struct signer *s);

/* A key held by another process: FN(CTX, WHICH, PROTECTED, PAYLOAD, &SIG)
 * returns the base64url signature over PROTECTED "." PAYLOAD (both
 * base64url) made with key WHICH, or an error. */
typedef int signer_remote_fn(void *ctx, const char *which, const char *protected64,
			     const char *payload64, char **sig64);
/* A signer for key WHICH of FN's process, whose algorithm is ALG and public
 * key JWK (a reference is taken). 0, -EINVAL (ALG not one this file
 * signs with, or JWK not a public key) or -ENOMEM. */
int signer_new_remote(const char *alg, struct json_object *jwk, signer_remote_fn *fn, void *ctx,
		      const char *which, struct signer **out);

/* Canonical JWK members for the thumbprint: lexicographic order, no
 * whitespace. Caller frees. Exposed for the RFC 7638 test vector. */
char *jwk_thumbprint_input(const struct json_object *jwk);
/* base64url(SHA-256(jwk_thumbprint_input(jwk))); caller frees. */
char *jwk_thumbprint(const struct json_object *jwk);

/* Build a flattened JWS (RFC 8555 section 6.2) as a JSON string, caller
 * frees. KID NULL puts the public JWK in the header (newAccount,
 * revokeCert with the certificate key); PAYLOAD NULL is POST-as-GET (empty
 * payload). Returns 0, -ENOMEM or ACMED_ECRYPTO. */
int jws_sign(const struct signer *s, const char *url, const char *nonce, const char *kid,
	     const char *payload, char **out);

/* The externalAccountBinding of a newAccount request (RFC 8555 section
 * 7.3.4): a flattened JWS over the account's public JWK, HS256 with the
 * CA's MAC KEY (raw bytes) and KID, for URL (newAccount). KEY NULL with a
 * remote ACCOUNT signer: its process holds the MAC key and computes it as
 * key "eab". Caller frees. 0, -ENOMEM or ACMED_ECRYPTO. */
int jws_eab(const struct signer *account, const char *kid, const unsigned char *key,
	    size_t keylen, const char *url, char **out);

/* The HS256 MAC of HDR64 "." PAYLOAD64 with KEY, base64url: what
 * jws_eab() signs with. 0, -ENOMEM or ACMED_ECRYPTO. */
int jws_eab_mac(const unsigned char *key, size_t keylen, const char *hdr64,
		const char *payload64, char **sig64);
/* The base64url signature of HDR64 "." PAYLOAD64 with S's own key (what a
 * key-holding process answers a remote signer with). -EINVAL for a remote
 * S. */
int jws_sign_input(const struct signer *s, const char *hdr64, const char *payload64,
		   char **sig64);

/* Key authorization TOKEN "." thumbprint (RFC 8555 section 8.1); caller frees. */
char *jws_key_authorization(const struct signer *s, const char *token);
/* base64url(SHA-256(key authorization)): the dns-01 TXT value. Caller frees. */
char *jws_dns01_value(const char *key_authorization);

/* The private key of JWK (RSA, or EC on P-256 or P-384, with every private
 * member RFC 7518 lists) in *OUT, checked to match its public half. 0, or
 * -EINVAL with ERR saying what is wrong, or -ENOMEM. */
int jwk_private_key(struct json_object *jwk, EVP_PKEY **out, char *err, size_t errlen);
