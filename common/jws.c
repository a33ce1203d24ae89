#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "error.h"
#include "jws.h"
#include "util.h"

struct signer {
	EVP_PKEY *key;
	const char *alg;
	const EVP_MD *md;
	size_t ec_coord_len; /* 0 for RSA */
	struct json_object *jwk;
	char *thumbprint;
	/* A key another process holds (key NULL). */
	signer_remote_fn *remote;
	void *ctx;
	char *which;
};

static const char *member(const struct json_object *jwk, const char *name);

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *b64url_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc(len / 3 * 4 + 5), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
		*o++ = b64url_alphabet[v >> 6 & 63];
		*o++ = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
		*o++ = b64url_alphabet[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

static int b64url_value(char c)
{
	const char *p = c ? strchr(b64url_alphabet, c) : NULL;

	return p ? (int)(p - b64url_alphabet) : -1;
}

int b64url_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(s), o = 0;
	unsigned char *buf;
	unsigned acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -EINVAL;
	buf = malloc(n * 3 / 4 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value(s[i]);

		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, else the encoding is not canonical. */
	if (acc != 0) {
		free(buf);
		return -EINVAL;
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
}

bool b64url_valid(const char *s)
{
	if (str_empty(s))
		return false;
	for (; *s; s++)
		if (b64url_value(*s) < 0)
			return false;
	return true;
}

static struct json_object *json_b64(const unsigned char *p, size_t n)
{
	char *s = b64url_encode(p, n);
	struct json_object *o = s ? json_object_new_string(s) : NULL;

	free(s);
	return o;
}

static struct json_object *bn_b64(const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
	struct json_object *o = NULL;

	if (buf && BN_bn2bin(bn, buf) == n)
		o = json_b64(buf, (size_t)n);
	free(buf);
	return o;
}

static struct json_object *rsa_jwk(EVP_PKEY *key)
{
	BIGNUM *n = NULL, *e = NULL;
	struct json_object *jwk = NULL;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) &&
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
		jwk = json_object_new_object();
		json_object_object_add(jwk, "e", bn_b64(e));
		json_object_object_add(jwk, "kty", json_object_new_string("RSA"));
		json_object_object_add(jwk, "n", bn_b64(n));
	}
	BN_free(n);
	BN_free(e);
	return jwk;
}

static struct json_object *ec_jwk(EVP_PKEY *key, const char *crv, size_t coord)
{
	unsigned char pub[1 + 2 * 66];
	size_t len = 0;
	struct json_object *jwk;

	/* Uncompressed point: 0x04 || X || Y, each coordinate COORD bytes. */
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
					     sizeof(pub), &len) ||
	    len != 1 + 2 * coord || pub[0] != 0x04)
		return NULL;
	jwk = json_object_new_object();
	json_object_object_add(jwk, "crv", json_object_new_string(crv));
	json_object_object_add(jwk, "kty", json_object_new_string("EC"));
	json_object_object_add(jwk, "x", json_b64(pub + 1, coord));
	json_object_object_add(jwk, "y", json_b64(pub + 1 + coord, coord));
	return jwk;
}

int signer_new(EVP_PKEY *key, struct signer **out)
{
	struct signer *s = calloc(1, sizeof(*s));
	char group[32] = "";

	if (!s)
		return -ENOMEM;
	if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048) {
		s->alg = "RS256";
		s->md = EVP_sha256();
		s->jwk = rsa_jwk(key);
	} else if (EVP_PKEY_is_a(key, "EC") &&
		   EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						  sizeof(group), NULL)) {
		if (streq(group, "prime256v1")) {
			s->alg = "ES256";
			s->md = EVP_sha256();
			s->ec_coord_len = 32;
			s->jwk = ec_jwk(key, "P-256", 32);
		} else if (streq(group, "secp384r1")) {
			s->alg = "ES384";
			s->md = EVP_sha384();
			s->ec_coord_len = 48;
			s->jwk = ec_jwk(key, "P-384", 48);
		}
	}
	if (!s->jwk || !(s->thumbprint = jwk_thumbprint(s->jwk))) {
		json_object_put(s->jwk);
		free(s);
		return -EINVAL;
	}
	s->key = key;
	*out = s;
	return 0;
}

int signer_new_remote(const char *alg, struct json_object *jwk, signer_remote_fn *fn, void *ctx,
		      const char *which, struct signer **out)
{
	static const char *const algs[] = { "ES256", "ES384", "RS256" };
	const char *kty = member(jwk, "kty");
	struct signer *s;
	size_t i;

	for (i = 0; i < ELEMENTSOF(algs) && !streq(alg, algs[i]); i++)
		;
	if (i == ELEMENTSOF(algs) || !streq(kty, alg[0] == 'E' ? "EC" : "RSA") ||
	    member(jwk, "d"))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->alg = algs[i];
	s->jwk = json_object_get(jwk);
	s->thumbprint = jwk_thumbprint(jwk);
	s->remote = fn;
	s->ctx = ctx;
	s->which = strdup(which);
	if (!s->thumbprint || !s->which) {
		signer_free(s);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

void signer_free(struct signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	json_object_put(s->jwk);
	free(s->thumbprint);
	free(s->which);
	free(s);
}

const char *signer_alg(const struct signer *s)
{
	return s->alg;
}

struct json_object *signer_jwk(const struct signer *s)
{
	struct json_object *copy = NULL;

	if (json_object_deep_copy(s->jwk, &copy, NULL) < 0)
		return NULL;
	return copy;
}

struct json_object *signer_jwk_borrow(const struct signer *s)
{
	return s->jwk;
}

const char *signer_thumbprint(const struct signer *s)
{
	return s->thumbprint;
}

EVP_PKEY *signer_key(const struct signer *s)
{
	return s->key;
}

static const char *member(const struct json_object *jwk, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(jwk, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

char *jwk_thumbprint_input(const struct json_object *jwk)
{
	const char *kty = member(jwk, "kty");
	char *s = NULL;
	int r = -1;

	/* RFC 7638 section 3.2: only the required members, sorted. Values are
	 * base64url or fixed names, so no JSON escaping is ever needed. */
	if (streq(kty, "EC") && b64url_valid(member(jwk, "x")) && b64url_valid(member(jwk, "y")) &&
	    member(jwk, "crv"))
		r = asprintf(&s, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			     member(jwk, "crv"), member(jwk, "x"), member(jwk, "y"));
	else if (streq(kty, "RSA") && b64url_valid(member(jwk, "e")) &&
		 b64url_valid(member(jwk, "n")))
		r = asprintf(&s, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", member(jwk, "e"),
			     member(jwk, "n"));
	return r < 0 ? NULL : s;
}

char *jwk_thumbprint(const struct json_object *jwk)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char *input = jwk_thumbprint_input(jwk);

	if (!input)
		return NULL;
	SHA256((const unsigned char *)input, strlen(input), digest);
	free(input);
	return b64url_encode(digest, sizeof(digest));
}

/* ECDSA signatures come out of OpenSSL as DER; JWS wants r || s, each
 * zero-padded to the coordinate size (RFC 7518 section 3.4). */
static int ecdsa_der_to_raw(const unsigned char *der, size_t derlen, size_t coord,
			    unsigned char *raw)
{
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, (long)derlen);
	const BIGNUM *r, *s;
	int ok;

	if (!sig)
		return ACMED_ECRYPTO;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, (int)coord) == (int)coord &&
	     BN_bn2binpad(s, raw + coord, (int)coord) == (int)coord;
	ECDSA_SIG_free(sig);
	return ok ? 0 : ACMED_ECRYPTO;
}

static int sign_local(const struct signer *s, const char *data, char **sig_b64)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL, raw[2 * 66];
	size_t siglen = 0;
	int r = ACMED_ECRYPTO;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, s->md, NULL, s->key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)data, strlen(data)) != 1)
		goto out;
	sig = malloc(siglen);
	if (!sig || EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)data,
				   strlen(data)) != 1)
		goto out;
	if (s->ec_coord_len) {
		r = ecdsa_der_to_raw(sig, siglen, s->ec_coord_len, raw);
		if (r < 0)
			goto out;
		*sig_b64 = b64url_encode(raw, 2 * s->ec_coord_len);
	} else {
		*sig_b64 = b64url_encode(sig, siglen);
	}
	r = *sig_b64 ? 0 : -ENOMEM;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return r;
}

/* The signature over HDR64 "." PAYLOAD64, by S or by the process holding
 * its key. */
static int sign_bytes(const struct signer *s, const char *hdr64, const char *payload64,
		      char **sig_b64)
{
	char *input;
	int r;

	if (s->remote)
		return s->remote(s->ctx, s->which, hdr64, payload64, sig_b64);
	if (asprintf(&input, "%s.%s", hdr64, payload64) < 0)
		return -ENOMEM;
	r = sign_local(s, input, sig_b64);
	free(input);
	return r;
}

int jws_sign(const struct signer *s, const char *url, const char *nonce, const char *kid,
	     const char *payload, char **out)
{
	struct json_object *hdr = json_object_new_object(), *jws = NULL;
	char *hdr64 = NULL, *payload64 = NULL, *sig64 = NULL;
	const char *hdr_str;
	int r = -ENOMEM;

	if (!hdr)
		return -ENOMEM;
	json_object_object_add(hdr, "alg", json_object_new_string(s->alg));
	if (kid)
		json_object_object_add(hdr, "kid", json_object_new_string(kid));
	else
		json_object_object_add(hdr, "jwk", signer_jwk(s));
	if (nonce)
		json_object_object_add(hdr, "nonce", json_object_new_string(nonce));
	json_object_object_add(hdr, "url", json_object_new_string(url));
	hdr_str = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	hdr64 = b64url_encode(hdr_str, strlen(hdr_str));
	payload64 = payload ? b64url_encode(payload, strlen(payload)) : strdup("");
	if (!hdr64 || !payload64)
		goto out;
	r = sign_bytes(s, hdr64, payload64, &sig64);
	if (r < 0)
		goto out;
	jws = json_object_new_object();
	json_object_object_add(jws, "protected", json_object_new_string(hdr64));
	json_object_object_add(jws, "payload", json_object_new_string(payload64));
	json_object_object_add(jws, "signature", json_object_new_string(sig64));
	*out = strdup(json_object_to_json_string_ext(jws, JSON_C_TO_STRING_PLAIN));
	r = *out ? 0 : -ENOMEM;
out:
	json_object_put(hdr);
	json_object_put(jws);
	free(hdr64);
	free(payload64);
	free(sig64);
	return r;
}

int jws_eab_mac(const unsigned char *key, size_t keylen, const char *hdr64,
		const char *payload64, char **sig64)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *input;
	int r = ACMED_ECRYPTO;

	if (asprintf(&input, "%s.%s", hdr64, payload64) < 0)
		return -ENOMEM;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)input, strlen(input), mac,
		 &maclen)) {
		*sig64 = b64url_encode(mac, maclen);
		r = *sig64 ? 0 : -ENOMEM;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	free(input);
	return r;
}

int jws_eab(const struct signer *account, const char *kid, const unsigned char *key,
	    size_t keylen, const char *url, char **out)
{
	struct json_object *hdr = json_object_new_object(), *jwk = signer_jwk(account);
	struct json_object *jws = json_object_new_object();
	char *hdr64 = NULL, *payload64 = NULL, *sig64 = NULL;
	const char *s;
	int r = -ENOMEM;

	if (!hdr || !jwk || !jws)
		goto out;
	json_object_object_add(hdr, "alg", json_object_new_string("HS256"));
	json_object_object_add(hdr, "kid", json_object_new_string(kid));
	json_object_object_add(hdr, "url", json_object_new_string(url));
	s = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE);
	hdr64 = b64url_encode(s, strlen(s));
	s = json_object_to_json_string_ext(jwk, JSON_C_TO_STRING_PLAIN);
	payload64 = b64url_encode(s, strlen(s));
	if (!hdr64 || !payload64)
		goto out;
	if (key)
		r = jws_eab_mac(key, keylen, hdr64, payload64, &sig64);
	else if (account->remote)
		r = account->remote(account->ctx, "eab", hdr64, payload64, &sig64);
	else
		r = -EINVAL;
	if (r < 0)
		goto out;
	json_object_object_add(jws, "protected", json_object_new_string(hdr64));
	json_object_object_add(jws, "payload", json_object_new_string(payload64));
	json_object_object_add(jws, "signature", json_object_new_string(sig64));
	*out = strdup(json_object_to_json_string_ext(jws, JSON_C_TO_STRING_PLAIN));
	r = *out ? 0 : -ENOMEM;
out:
	json_object_put(hdr);
	json_object_put(jwk);
	json_object_put(jws);
	free(hdr64);
	free(payload64);
	free(sig64);
	return r;
}

/* The signature of HDR64 "." PAYLOAD64 with the local key of S, for the
 * process that holds it. */
int jws_sign_input(const struct signer *s, const char *hdr64, const char *payload64,
		   char **sig64)
{
	return s->remote ? -EINVAL : sign_bytes(s, hdr64, payload64, sig64);
}

char *jws_key_authorization(const struct signer *s, const char *token)
{
	char *ka;

	if (asprintf(&ka, "%s.%s", token, s->thumbprint) < 0)
		return NULL;
	return ka;
}

char *jws_dns01_value(const char *key_authorization)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)key_authorization, strlen(key_authorization), digest);
	return b64url_encode(digest, sizeof(digest));
}
