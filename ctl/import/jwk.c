/* Private keys from JWK (RFC 7518 section 6): certbot keeps its ACME
 * account key as private_key.json. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "jws.h"
#include "jsonutil.h"
#include "util.h"

/* Member NAME of JWK, base64url-decoded into a new BIGNUM in *BN. */
static int jwk_bn(struct json_object *jwk, const char *name, BIGNUM **bn, char *err,
		  size_t errlen)
{
	const char *text = jobj_str(jwk, name);
	unsigned char *bytes = NULL;
	size_t n = 0;
	int r;

	if (!text) {
		snprintf(err, errlen, "member \"%s\" is missing", name);
		return -EINVAL;
	}
	r = b64url_decode(text, &bytes, &n);
	if (r < 0 || n == 0 || n > 1024) {
		snprintf(err, errlen, "member \"%s\" is not a base64url number", name);
		free(bytes);
		return -EINVAL;
	}
	*bn = BN_bin2bn(bytes, (int)n, NULL);
	OPENSSL_cleanse(bytes, n);
	free(bytes);
	return *bn ? 0 : -ENOMEM;
}

static int rsa_params(struct json_object *jwk, OSSL_PARAM_BLD *b, BIGNUM **bns,
		      char *err, size_t errlen)
{
	static const char *const members[][2] = {
		{ "n", OSSL_PKEY_PARAM_RSA_N },
		{ "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D },
		{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};

	for (size_t i = 0; i < ELEMENTSOF(members); i++) {
		int r = jwk_bn(jwk, members[i][0], &bns[i], err, errlen);

		if (r < 0)
			return r;
		if (!OSSL_PARAM_BLD_push_BN(b, members[i][1], bns[i]))
			return -ENOMEM;
	}
	return 0;
}

static int ec_params(struct json_object *jwk, OSSL_PARAM_BLD *b, BIGNUM **bns,
		     unsigned char *pub, char *err, size_t errlen)
{
	const char *crv = jobj_str(jwk, "crv");
	const char *group = streq(crv, "P-256") ? "prime256v1" : streq(crv, "P-384") ? "secp384r1"
											 : NULL;
	size_t coord = streq(crv, "P-256") ? 32 : 48;
	int r;

	if (!group) {
		snprintf(err, errlen, "curve \"%s\" is not P-256 or P-384", str_or_empty(crv));
		return -EINVAL;
	}
	for (int i = 0; i < 3; i++) {
		r = jwk_bn(jwk, (const char *[]){ "x", "y", "d" }[i], &bns[i], err, errlen);
		if (r < 0)
			return r;
	}
	/* the public point, uncompressed: 04 || x || y */
	pub[0] = 4;
	if (BN_bn2binpad(bns[0], pub + 1, (int)coord) < 0 ||
	    BN_bn2binpad(bns[1], pub + 1 + coord, (int)coord) < 0) {
		snprintf(err, errlen, "a coordinate is longer than the curve allows");
		return -EINVAL;
	}
	if (!OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * coord) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bns[2]))
		return -ENOMEM;
	return 0;
}

int jwk_private_key(struct json_object *jwk, EVP_PKEY **out, char *err, size_t errlen)
{
	const char *kty = jobj_str(jwk, "kty");
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	BIGNUM *bns[8] = { 0 };
	unsigned char pub[1 + 2 * 48];
	bool rsa = streq(kty, "RSA");
	int r = -ENOMEM;

	*out = NULL;
	if (!b)
		goto out;
	if (!rsa && !streq(kty, "EC")) {
		snprintf(err, errlen, "key type \"%s\" is not RSA or EC", str_or_empty(kty));
		r = -EINVAL;
		goto out;
	}
	r = rsa ? rsa_params(jwk, b, bns, err, errlen) : ec_params(jwk, b, bns, pub, err, errlen);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	params = OSSL_PARAM_BLD_to_param(b);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	r = -EINVAL;
	if (EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) <= 0) {
		snprintf(err, errlen, "the members do not make a %s key", kty);
		goto out;
	}
	/* The private half must belong to the public one. */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
	if (!check || EVP_PKEY_pairwise_check(check) <= 0) {
		snprintf(err, errlen, "the private and public members do not belong together");
		EVP_PKEY_free(*out);
		*out = NULL;
		goto out;
	}
	r = 0;
out:
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < ELEMENTSOF(bns); i++)
		BN_clear_free(bns[i]);
	OPENSSL_cleanse(pub, sizeof(pub));
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_CTX_free(check);
	return r;
}
