/* JWK thumbprints (RFC 7638), JWS signing (RFC 7515 / RFC 8555 section 6.2)
 * checked against OpenSSL, key authorizations and dns-01 values. */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

/* Included for the static ecdsa_der_to_raw(). */
#include "common/jws.c"

#include "test.h"

/* RFC 7638 section 3.1. */
static const char rfc7638_jwk[] =
	"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78L"
	"hWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5"
	"n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu"
	"6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIq"
	"bw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

static const char *member_str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static unsigned char *b64_bytes(const char *s, size_t *n)
{
	unsigned char *out = NULL;

	ASSERT_INT_EQ(b64url_decode(s, &out, n), 0);
	return out;
}

TEST(rfc7638_thumbprint)
{
	struct json_object *jwk = json_tokener_parse(rfc7638_jwk);
	char *input, *tp;

	ASSERT_NONNULL(jwk);
	input = jwk_thumbprint_input(jwk);
	ASSERT_NONNULL(input);
	/* Required members only, sorted, no whitespace. */
	ASSERT_TRUE(strncmp(input, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7agoe", 37) == 0);
	ASSERT_TRUE(strstr(input, "alg") == NULL && strstr(input, "kid") == NULL);
	ASSERT_TRUE(strcmp(input + strlen(input) - 3, "w\"}") == 0);
	tp = jwk_thumbprint(jwk);
	ASSERT_STR_EQ(tp, rfc7638_thumbprint);
	free(input);
	free(tp);
	json_object_put(jwk);
}

TEST(thumbprint_rejects_bad_jwk)
{
	static const char *const bad[] = {
		"{\"kty\":\"oct\",\"k\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"a\\\"b\"}", /* would break the JSON */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAB\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":5,\"y\":\"AQAB\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *jwk = json_tokener_parse(bad[i]);

		ASSERT_NONNULL(jwk);
		if (jwk_thumbprint(jwk) != NULL)
			test_fail(__FILE__, __LINE__, "thumbprint of %s", bad[i]);
		json_object_put(jwk);
	}
}

/* The RFC 7638 public key as an EVP_PKEY. */
static EVP_PKEY *rfc7638_key(void)
{
	struct json_object *jwk = json_tokener_parse(rfc7638_jwk);
	unsigned char *n_raw, *e_raw;
	size_t n_len, e_len;
	BIGNUM *n, *e;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;

	n_raw = b64_bytes(member_str(jwk, "n"), &n_len);
	e_raw = b64_bytes(member_str(jwk, "e"), &e_len);
	n = BN_bin2bn(n_raw, (int)n_len, NULL);
	e = BN_bin2bn(e_raw, (int)e_len, NULL);
	ASSERT_TRUE(bld && ctx && n && e);
	ASSERT_INT_EQ(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	ASSERT_INT_EQ(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	ASSERT_NONNULL(params);
	ASSERT_INT_EQ(EVP_PKEY_fromdata_init(ctx), 1);
	ASSERT_INT_EQ(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	ASSERT_INT_EQ(EVP_PKEY_get_bits(key), 2048);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	free(n_raw);
	free(e_raw);
	json_object_put(jwk);
	return key;
}

TEST(signer_rfc7638_key)
{
	struct json_object *want = json_tokener_parse(rfc7638_jwk), *jwk;
	struct signer *s = NULL;
	EVP_PKEY *key = rfc7638_key();

	ASSERT_INT_EQ(signer_new(key, &s), 0);
	ASSERT_STR_EQ(signer_alg(s), "RS256");
	ASSERT_STR_EQ(signer_thumbprint(s), rfc7638_thumbprint);
	ASSERT_TRUE(signer_key(s) == key);
	jwk = signer_jwk(s);
	ASSERT_NONNULL(jwk);
	ASSERT_STR_EQ(member_str(jwk, "kty"), "RSA");
	ASSERT_STR_EQ(member_str(jwk, "e"), "AQAB");
	ASSERT_STR_EQ(member_str(jwk, "n"), member_str(want, "n"));
	json_object_put(jwk);
	json_object_put(want);
	signer_free(s);
}

TEST(signer_rejects_weak_or_odd_keys)
{
	EVP_PKEY *rsa1024 = EVP_RSA_gen(1024), *p521 = EVP_EC_gen("P-521");
	struct signer *s = NULL;

	ASSERT_TRUE(rsa1024 && p521);
	ASSERT_INT_EQ(signer_new(rsa1024, &s), -EINVAL);
	ASSERT_INT_EQ(signer_new(p521, &s), -EINVAL);
	ASSERT_TRUE(s == NULL);
	/* The caller still owns a key signer_new() refused. */
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p521);
}

/* Verify the JWS signature SIG64 over INPUT ("protected.payload") with the
 * signer's public key; EC signatures are raw r || s of COORD bytes each. */
static bool jws_verifies(const struct signer *s, const char *input, const char *sig64,
			 const EVP_MD *md, size_t coord)
{
	size_t siglen;
	unsigned char *sig = b64_bytes(sig64, &siglen), *der = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int derlen, ok;

	if (coord) {
		ECDSA_SIG *es = ECDSA_SIG_new();

		ASSERT_INT_EQ(siglen, 2 * coord);
		ASSERT_INT_EQ(ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)coord, NULL),
					     BN_bin2bn(sig + coord, (int)coord, NULL)), 1);
		derlen = i2d_ECDSA_SIG(es, &der);
		ASSERT_TRUE(derlen > 0);
		ECDSA_SIG_free(es);
	} else {
		ASSERT_INT_EQ(siglen, (size_t)EVP_PKEY_get_size(signer_key(s)));
		der = sig;
		sig = NULL;
		derlen = (int)siglen;
	}
	ASSERT_INT_EQ(EVP_DigestVerifyInit(ctx, NULL, md, NULL, signer_key(s)), 1);
	ok = EVP_DigestVerify(ctx, der, (size_t)derlen, (const unsigned char *)input,
			      strlen(input));
	EVP_MD_CTX_free(ctx);
	if (coord)
		OPENSSL_free(der);
	else
		free(der);
	free(sig);
	return ok == 1;
}

struct alg_case {
	const char *alg;
	EVP_PKEY *(*gen)(void);
	const EVP_MD *(*md)(void);
	size_t coord; /* 0 for RSA */
};

static EVP_PKEY *gen_p256(void) { return EVP_EC_gen("P-256"); }
static EVP_PKEY *gen_p384(void) { return EVP_EC_gen("P-384"); }
static EVP_PKEY *gen_rsa(void) { return EVP_RSA_gen(2048); }

/* Sign with KID / PAYLOAD / NONCE and check every part of the result. */
static void check_jws(const struct alg_case *c, struct signer *s, const char *kid,
		      const char *payload, const char *nonce)
{
	const char *url = "https://ca.example/acme/new-order";
	struct json_object *jws, *hdr, *hjwk;
	char *out = NULL, *input = NULL, *hdr_text, *tp;
	unsigned char *pl;
	size_t n;

	ASSERT_INT_EQ(jws_sign(s, url, nonce, kid, payload, &out), 0);
	jws = json_tokener_parse(out);
	ASSERT_NONNULL(jws);
	ASSERT_INT_EQ(json_object_object_length(jws), 3);
	ASSERT_NONNULL(member_str(jws, "protected"));
	ASSERT_NONNULL(member_str(jws, "payload"));
	ASSERT_NONNULL(member_str(jws, "signature"));

	hdr_text = (char *)b64_bytes(member_str(jws, "protected"), &n);
	hdr = json_tokener_parse(hdr_text);
	ASSERT_NONNULL(hdr);
	ASSERT_STR_EQ(member_str(hdr, "alg"), c->alg);
	ASSERT_STR_EQ(member_str(hdr, "url"), url);
	if (nonce)
		ASSERT_STR_EQ(member_str(hdr, "nonce"), nonce);
	else
		ASSERT_TRUE(!json_object_object_get_ex(hdr, "nonce", NULL));
	/* Exactly one of kid and jwk (RFC 8555 section 6.2). */
	ASSERT_INT_EQ(json_object_object_get_ex(hdr, "kid", NULL), kid != NULL);
	ASSERT_INT_EQ(json_object_object_get_ex(hdr, "jwk", &hjwk), kid == NULL);
	if (kid) {
		ASSERT_STR_EQ(member_str(hdr, "kid"), kid);
	} else {
		tp = jwk_thumbprint(hjwk);
		ASSERT_STR_EQ(tp, signer_thumbprint(s));
		ASSERT_TRUE(!json_object_object_get_ex(hjwk, "d", NULL)); /* public only */
		if (c->coord) {
			ASSERT_STR_EQ(member_str(hjwk, "crv"), c->coord == 32 ? "P-256" : "P-384");
			ASSERT_INT_EQ(strlen(member_str(hjwk, "x")), (c->coord * 4 + 2) / 3);
			ASSERT_INT_EQ(strlen(member_str(hjwk, "y")), (c->coord * 4 + 2) / 3);
		}
		free(tp);
	}

	pl = b64_bytes(member_str(jws, "payload"), &n);
	ASSERT_STR_EQ((char *)pl, payload ? payload : "");
	if (!payload)
		ASSERT_STR_EQ(member_str(jws, "payload"), "");

	ASSERT_TRUE(asprintf(&input, "%s.%s", member_str(jws, "protected"),
			     member_str(jws, "payload")) > 0);
	ASSERT_TRUE(jws_verifies(s, input, member_str(jws, "signature"), c->md(), c->coord));
	/* And the check is real: another input does not verify. */
	input[strlen(input) - 1] ^= 1;
	ASSERT_TRUE(!jws_verifies(s, input, member_str(jws, "signature"), c->md(), c->coord));

	free(pl);
	free(input);
	free(hdr_text);
	json_object_put(hdr);
	json_object_put(jws);
	free(out);
}

static void check_alg(const struct alg_case *c)
{
	struct signer *s = NULL;
	EVP_PKEY *key = c->gen();

	ASSERT_NONNULL(key);
	ASSERT_INT_EQ(signer_new(key, &s), 0);
	ASSERT_STR_EQ(signer_alg(s), c->alg);
	check_jws(c, s, NULL, "{\"termsOfServiceAgreed\":true}", "nonce-1");
	check_jws(c, s, "https://ca.example/acme/acct/17", "{\"identifiers\":[]}", "nonce-2");
	check_jws(c, s, "https://ca.example/acme/acct/17", NULL, "nonce-3"); /* POST-as-GET */
	check_jws(c, s, NULL, NULL, NULL);
	signer_free(s);
}

TEST(es256)
{
	check_alg(&(struct alg_case){ "ES256", gen_p256, EVP_sha256, 32 });
}

TEST(es384)
{
	check_alg(&(struct alg_case){ "ES384", gen_p384, EVP_sha384, 48 });
}

TEST(rs256)
{
	check_alg(&(struct alg_case){ "RS256", gen_rsa, EVP_sha256, 0 });
}

/* ES256 signatures must be padded: over many signatures some r or s has a
 * leading zero byte, and each must still be 64 bytes and verify. */
TEST(es256_many_signatures_padded)
{
	struct alg_case c = { "ES256", gen_p256, EVP_sha256, 32 };
	struct signer *s = NULL;

	ASSERT_INT_EQ(signer_new(gen_p256(), &s), 0);
	for (int i = 0; i < 300; i++) {
		char nonce[32];

		snprintf(nonce, sizeof(nonce), "n%d", i);
		check_jws(&c, s, "k", "{}", nonce);
	}
	signer_free(s);
}

/* DER ECDSA signatures become r || s, each left-padded to the coordinate
 * size; a value that does not fit is an error, not a truncation. */
TEST(ecdsa_der_to_raw_pads)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL, raw[2 * 48];
	int derlen;

	ASSERT_TRUE(BN_hex2bn(&r, "01") > 0);
	ASSERT_TRUE(BN_hex2bn(&s, "ff000000000000000000000000000000"
				  "00000000000000000000000000000001") > 0);
	ASSERT_INT_EQ(ECDSA_SIG_set0(es, r, s), 1);
	derlen = i2d_ECDSA_SIG(es, &der);
	ASSERT_TRUE(derlen > 0);
	memset(raw, 0xaa, sizeof(raw));
	ASSERT_INT_EQ(ecdsa_der_to_raw(der, (size_t)derlen, 32, raw), 0);
	for (int i = 0; i < 31; i++)
		ASSERT_INT_EQ(raw[i], 0);
	ASSERT_INT_EQ(raw[31], 1);
	ASSERT_INT_EQ(raw[32], 0xff);
	ASSERT_INT_EQ(raw[63], 1);
	ASSERT_INT_EQ(raw[64], 0xaa); /* nothing written past 2 * 32 */
	/* s does not fit in 16 bytes. */
	ASSERT_INT_EQ(ecdsa_der_to_raw(der, (size_t)derlen, 16, raw), ACMED_ECRYPTO);
	ASSERT_INT_EQ(ecdsa_der_to_raw(der, (size_t)derlen - 1, 32, raw), ACMED_ECRYPTO);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
}

/* base64url without padding, computed with OpenSSL's standard base64. */
static char *ref_b64url(const unsigned char *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1), *c;

	ASSERT_NONNULL(s);
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	for (c = s; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	while (c > s && c[-1] == '=')
		*--c = '\0';
	return s;
}

TEST(key_authorization_and_dns01)
{
	const char *token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
	struct signer *s = NULL;
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *ka, *dns, *ref;

	ASSERT_INT_EQ(signer_new(rfc7638_key(), &s), 0);
	ka = jws_key_authorization(s, token);
	ASSERT_STR_EQ(ka, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
			  "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	dns = jws_dns01_value(ka);
	/* printf %s KA | openssl dgst -sha256 -binary | base64 | tr +/ -_ | tr -d = */
	ASSERT_STR_EQ(dns, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	ASSERT_INT_EQ(EVP_Digest(ka, strlen(ka), d, NULL, EVP_sha256(), NULL), 1);
	ref = ref_b64url(d, sizeof(d));
	ASSERT_STR_EQ(dns, ref);
	ASSERT_INT_EQ(strlen(dns), 43);
	free(ref);
	free(dns);
	free(ka);
	signer_free(s);
}

TEST(key_authorization_fresh_key)
{
	struct signer *s = NULL;
	char *ka, *want;

	ASSERT_INT_EQ(signer_new(gen_p256(), &s), 0);
	ASSERT_TRUE(b64url_valid(signer_thumbprint(s)));
	ASSERT_INT_EQ(strlen(signer_thumbprint(s)), 43);
	ka = jws_key_authorization(s, "tok-EN_1");
	ASSERT_TRUE(asprintf(&want, "tok-EN_1.%s", signer_thumbprint(s)) > 0);
	ASSERT_STR_EQ(ka, want);
	free(want);
	free(ka);
	signer_free(s);
}
