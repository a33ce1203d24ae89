/* Keys, CSRs, PEM bundles and certificate checks, each result checked with
 * OpenSSL directly. */
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "crypto.h"
#include "error.h"
#include "util.h"

#include "testutil.h"

/* A reused key is kept only while it is what the saved settings say. */
TEST(key_matches_its_spec)
{
	struct key_spec p256 = KEY_SPEC_DEFAULT, p384 = { KEY_ALG_EC, 2048, 384 };
	struct key_spec rsa2048 = { KEY_ALG_RSA, 2048, 256 }, rsa3072 = { KEY_ALG_RSA, 3072, 256 };
	EVP_PKEY *ec = crypto_key_generate(&p256), *rsa = crypto_key_generate(&rsa2048);

	ASSERT_NONNULL(ec);
	ASSERT_NONNULL(rsa);
	ASSERT_TRUE(crypto_key_matches(ec, &p256));
	ASSERT_TRUE(!crypto_key_matches(ec, &p384));
	ASSERT_TRUE(!crypto_key_matches(ec, &rsa2048));
	ASSERT_TRUE(crypto_key_matches(rsa, &rsa2048));
	ASSERT_TRUE(!crypto_key_matches(rsa, &rsa3072));
	ASSERT_TRUE(!crypto_key_matches(rsa, &p256));
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

TEST(key_spec_parse_accepts)
{
	struct key_spec k;
	char err[256] = "";

	ASSERT_INT_EQ(key_spec_parse(NULL, NULL, 0, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.alg, KEY_ALG_EC);
	ASSERT_INT_EQ(k.curve, 256);
	ASSERT_INT_EQ(key_spec_parse("ecdsa", "secp384r1", 0, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.alg, KEY_ALG_EC);
	ASSERT_INT_EQ(k.curve, 384);
	ASSERT_STR_EQ(key_spec_type_name(&k), "ecdsa");
	ASSERT_STR_EQ(key_spec_curve_name(&k), "secp384r1");
	ASSERT_INT_EQ(key_spec_parse("ecdsa", "P-384", 0, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.curve, 384);
	ASSERT_INT_EQ(key_spec_parse("ecdsa", "P-256", 0, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.curve, 256);
	ASSERT_STR_EQ(key_spec_curve_name(&k), "secp256r1");
	ASSERT_INT_EQ(key_spec_parse("ecdsa", "secp256r1", 0, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.curve, 256);
	ASSERT_INT_EQ(key_spec_parse("rsa", NULL, 0, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(k.rsa_bits, 2048);
	ASSERT_STR_EQ(key_spec_type_name(&k), "rsa");
	ASSERT_INT_EQ(key_spec_parse("rsa", NULL, 3072, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.rsa_bits, 3072);
	ASSERT_INT_EQ(key_spec_parse("rsa", NULL, 4096, &k, err, sizeof(err)), 0);
	ASSERT_INT_EQ(k.rsa_bits, 4096);
}

TEST(key_spec_parse_rejects)
{
	struct key_spec k;
	char err[256] = "";

	ASSERT_INT_EQ(key_spec_parse("dsa", NULL, 0, &k, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "'dsa'");
	err[0] = '\0';
	ASSERT_INT_EQ(key_spec_parse("ecdsa", "secp224r1", 0, &k, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "secp224r1");
	err[0] = '\0';
	ASSERT_INT_EQ(key_spec_parse("rsa", NULL, 1024, &k, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "1024");
	err[0] = '\0';
	ASSERT_INT_EQ(key_spec_parse("RSA", NULL, 0, &k, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(err[0] != '\0');
	err[0] = '\0';
	ASSERT_INT_EQ(key_spec_parse("rsa", NULL, 2047, &k, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "2047");
}

static void check_generate(struct key_spec spec, const char *type, int bits, const char *group)
{
	EVP_PKEY *k = crypto_key_generate(&spec);
	char g[64] = "";

	ASSERT_NONNULL(k);
	ASSERT_TRUE(EVP_PKEY_is_a(k, type));
	ASSERT_INT_EQ(EVP_PKEY_get_bits(k), bits);
	if (group) {
		ASSERT_INT_EQ(EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, g,
							     sizeof(g), NULL), 1);
		ASSERT_STR_EQ(g, group);
		ASSERT_STR_EQ(crypto_key_type_label(k), "ECDSA");
	} else {
		ASSERT_STR_EQ(crypto_key_type_label(k), "RSA");
	}
	EVP_PKEY_free(k);
}

TEST(key_generate_ec)
{
	check_generate((struct key_spec){ KEY_ALG_EC, 2048, 256 }, "EC", 256, "prime256v1");
	check_generate((struct key_spec){ KEY_ALG_EC, 2048, 384 }, "EC", 384, "secp384r1");
}

TEST(key_generate_rsa)
{
	check_generate((struct key_spec){ KEY_ALG_RSA, 2048, 256 }, "RSA", 2048, NULL);
	check_generate((struct key_spec){ KEY_ALG_RSA, 3072, 256 }, "RSA", 3072, NULL);
	check_generate((struct key_spec){ KEY_ALG_RSA, 4096, 256 }, "RSA", 4096, NULL);
}

TEST(key_pem_round_trip)
{
	EVP_PKEY *k = crypto_key_generate(&KEY_SPEC_DEFAULT), *back = NULL;
	char *pem = NULL, *pub;
	size_t len = 0;
	BIO *b = BIO_new(BIO_s_mem());
	long n;

	ASSERT_NONNULL(k);
	ASSERT_INT_EQ(crypto_key_to_pem(k, &pem, &len), 0);
	ASSERT_INT_EQ(len, strlen(pem));
	ASSERT_TRUE(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0); /* PKCS#8 */
	ASSERT_INT_EQ(crypto_key_from_pem(pem, len, &back), 0);
	ASSERT_INT_EQ(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);

	ASSERT_INT_EQ(crypto_key_from_pem("garbage", 7, &back), -EINVAL);
	ASSERT_INT_EQ(crypto_key_from_pem(pem, len / 2, &back), -EINVAL); /* truncated */
	/* A public key is not a private key. */
	ASSERT_INT_EQ(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &pub);
	ASSERT_INT_EQ(crypto_key_from_pem(pub, (size_t)n, &back), -EINVAL);
	BIO_free(b);
	free(pem);
	EVP_PKEY_free(k);
}

static X509_REQ *req_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);

	ASSERT_NONNULL(req);
	ASSERT_TRUE(p == der + len);
	return req;
}

/* "DNS:a,IP:1.2.3.4," etc. from the request's SAN extension. */
static char *req_sans(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	char *out = strdup(""), *s;

	ASSERT_NONNULL(gens);
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;

		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			ASSERT_TRUE(asprintf(&s, "%sDNS:%s,", out, (const char *)d) > 0);
		} else {
			ASSERT_INT_EQ(g->type, GEN_IPADD);
			ASSERT_INT_EQ(ASN1_STRING_length(g->d.iPAddress), 4);
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			ASSERT_TRUE(asprintf(&s, "%sIP:%d.%d.%d.%d,", out, d[0], d[1], d[2], d[3]) > 0);
		}
		free(out);
		out = s;
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return out;
}

static char *req_cn(X509_REQ *req)
{
	char cn[256];

	if (X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
				      sizeof(cn)) < 0)
		return NULL;
	return strdup(cn);
}

static char *const three[] = { "example.com", "www.example.com", "mail.example.org" };

TEST(csr_make)
{
	EVP_PKEY *k = ec_key();
	unsigned char *der = NULL;
	size_t len = 0;
	X509_REQ *req;
	char *cn, *sans;

	ASSERT_INT_EQ(crypto_csr_make(k, three, 3, &der, &len), 0);
	req = req_from_der(der, len);
	cn = req_cn(req);
	ASSERT_STR_EQ(cn, "example.com");
	sans = req_sans(req);
	ASSERT_STR_EQ(sans, "DNS:example.com,DNS:www.example.com,DNS:mail.example.org,");
	ASSERT_INT_EQ(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);
	ASSERT_INT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), k), 1);
	free(cn);
	free(sans);
	X509_REQ_free(req);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

TEST(csr_make_long_name_and_ip)
{
	char longname[80], *names[2];
	EVP_PKEY *k = ec_key();
	unsigned char *der = NULL;
	size_t len = 0;
	X509_REQ *req;
	char *sans, *want;

	/* 70 characters: too long for a CN, fine in the SAN. */
	memset(longname, 'a', 60);
	strcpy(longname + 60, ".example.c");
	names[0] = longname;
	names[1] = "192.0.2.7";
	ASSERT_INT_EQ(crypto_csr_make(k, names, 2, &der, &len), 0);
	req = req_from_der(der, len);
	ASSERT_TRUE(req_cn(req) == NULL);
	sans = req_sans(req);
	ASSERT_TRUE(asprintf(&want, "DNS:%s,IP:192.0.2.7,", longname) > 0);
	ASSERT_STR_EQ(sans, want);
	ASSERT_INT_EQ(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);
	free(want);
	free(sans);
	X509_REQ_free(req);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static char *der_to_pem_csr(const unsigned char *der, size_t len)
{
	X509_REQ *req = req_from_der(der, len);
	BIO *b = BIO_new(BIO_s_mem());

	ASSERT_INT_EQ(PEM_write_bio_X509_REQ(b, req), 1);
	X509_REQ_free(req);
	return bio_string(b);
}

static void check_csr_names(const void *data, size_t len, const unsigned char *want_der,
			    size_t want_len, char *const *want, size_t nwant)
{
	unsigned char *der = NULL;
	size_t derlen = 0, n = 0;
	char **names = NULL;

	ASSERT_INT_EQ(crypto_csr_load(data, len, &der, &derlen, &names, &n), 0);
	ASSERT_INT_EQ(derlen, want_len);
	ASSERT_TRUE(memcmp(der, want_der, want_len) == 0);
	ASSERT_INT_EQ(n, nwant);
	for (size_t i = 0; i < n; i++)
		ASSERT_STR_EQ(names[i], want[i]);
	strv_free(names, n);
	OPENSSL_free(der);
}

TEST(csr_load_pem_and_der)
{
	EVP_PKEY *k = ec_key();
	unsigned char *der = NULL;
	size_t len = 0;
	char *pem;

	ASSERT_INT_EQ(crypto_csr_make(k, three, 3, &der, &len), 0);
	check_csr_names(der, len, der, len, three, 3);
	pem = der_to_pem_csr(der, len);
	check_csr_names(pem, strlen(pem), der, len, three, 3);
	free(pem);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

TEST(csr_load_dedups_and_lowercases)
{
	char *const names[] = { "Example.COM", "www.example.com", "EXAMPLE.com", "192.0.2.1" };
	char *const want[] = { "example.com", "www.example.com", "192.0.2.1" };
	EVP_PKEY *k = ec_key();
	unsigned char *der = NULL;
	size_t len = 0;

	ASSERT_INT_EQ(crypto_csr_make(k, names, 4, &der, &len), 0);
	check_csr_names(der, len, der, len, want, 3);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void check_csr_rejected(const void *data, size_t len)
{
	unsigned char *der = NULL;
	size_t derlen = 0, n = 7;
	char *dummy[1] = { NULL }, **names = dummy;

	ASSERT_INT_EQ(crypto_csr_load(data, len, &der, &derlen, &names, &n), -EINVAL);
	ASSERT_TRUE(names == NULL);
	ASSERT_INT_EQ(n, 0);
}

TEST(csr_load_rejects)
{
	static const char empty_csr[] =
		"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
	EVP_PKEY *k = ec_key();
	unsigned char *der = NULL;
	size_t len = 0;
	char *pem;
	X509_REQ *req;

	check_csr_rejected("garbage", 7);
	check_csr_rejected("", 0);
	check_csr_rejected(empty_csr, strlen(empty_csr));
	ASSERT_INT_EQ(crypto_csr_make(k, three, 3, &der, &len), 0);
	check_csr_rejected(der, len - 10); /* truncated */
	/* The last byte is inside the signature: the self-signature breaks. */
	der[len - 1] ^= 0x01;
	check_csr_rejected(der, len);
	pem = der_to_pem_csr(der, len);
	check_csr_rejected(pem, strlen(pem));
	free(pem);
	OPENSSL_free(der);

	/* A CSR with neither CN nor SAN has no names. */
	req = X509_REQ_new();
	ASSERT_INT_EQ(X509_REQ_set_pubkey(req, k), 1);
	ASSERT_TRUE(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	der = NULL;
	len = (size_t)i2d_X509_REQ(req, &der);
	check_csr_rejected(der, len);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

/* Three self-signed certificates, canonical PEM. */
static void three_certs(char *pems[3])
{
	for (int i = 0; i < 3; i++) {
		EVP_PKEY *k = ec_key();
		char cn[32];
		X509 *x;

		snprintf(cn, sizeof(cn), "cert %d", i);
		x = cert_make(k, cn, NULL, NULL, false, "DNS:a.example", i + 1, 30);
		pems[i] = cert_pem(x);
		X509_free(x);
		EVP_PKEY_free(k);
	}
}

static int split(const char *bundle, char ***v, size_t *n)
{
	*v = NULL;
	*n = 0;
	return crypto_pem_split(bundle, strlen(bundle), v, n);
}

TEST(pem_split)
{
	char *c[3], *bundle, **v;
	size_t n;

	three_certs(c);
	ASSERT_TRUE(asprintf(&bundle, "%s%s%s", c[0], c[1], c[2]) > 0);
	ASSERT_INT_EQ(split(bundle, &v, &n), 0);
	ASSERT_INT_EQ(n, 3);
	for (int i = 0; i < 3; i++)
		ASSERT_STR_EQ(v[i], c[i]);
	ASSERT_TRUE(v[3] == NULL);
	strv_free(v, n);
	free(bundle);

	/* Text around and between the blocks is ignored. */
	ASSERT_TRUE(asprintf(&bundle, "subject=CN = x\nissuer=y\n%sjunk text\n\n%s"
				      "Bag Attributes\n    localKeyID: 01\n%strailing\n",
			     c[0], c[1], c[2]) > 0);
	ASSERT_INT_EQ(split(bundle, &v, &n), 0);
	ASSERT_INT_EQ(n, 3);
	for (int i = 0; i < 3; i++)
		ASSERT_STR_EQ(v[i], c[i]);
	strv_free(v, n);
	free(bundle);

	ASSERT_INT_EQ(split(c[1], &v, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_STR_EQ(v[0], c[1]);
	strv_free(v, n);
	for (int i = 0; i < 3; i++)
		free(c[i]);
}

TEST(pem_split_rejects)
{
	char *c[3], *bundle, *key, **v = NULL, *trunc;
	EVP_PKEY *k = ec_key();
	size_t n = 0;

	three_certs(c);
	key = key_pem(k);
	/* A key between certificates: not a certificate bundle. */
	ASSERT_TRUE(asprintf(&bundle, "%s%s%s", c[0], key, c[1]) > 0);
	ASSERT_INT_EQ(split(bundle, &v, &n), -EINVAL);
	free(bundle);
	ASSERT_INT_EQ(split(key, &v, &n), -EINVAL);
	ASSERT_INT_EQ(split("", &v, &n), -EINVAL);
	ASSERT_INT_EQ(split("no PEM here\n", &v, &n), -EINVAL);
	/* Truncated: the END line is missing, alone or after a good block. */
	trunc = strndup(c[2], strlen(c[2]) - 30);
	ASSERT_INT_EQ(split(trunc, &v, &n), -EINVAL);
	ASSERT_TRUE(asprintf(&bundle, "%s%s", c[0], trunc) > 0);
	ASSERT_INT_EQ(split(bundle, &v, &n), -EINVAL);
	free(bundle);
	/* A CERTIFICATE block that holds no certificate. */
	ASSERT_INT_EQ(split("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
			    &v, &n), -EINVAL);
	ASSERT_TRUE(v == NULL);
	free(trunc);
	free(key);
	for (int i = 0; i < 3; i++)
		free(c[i]);
	EVP_PKEY_free(k);
}

TEST(cert_info)
{
	EVP_PKEY *k = ec_key(), *ca = ec_key();
	X509 *cax = cert_make(ca, "Test CA R1", NULL, NULL, true, NULL, 1, 365);
	X509 *x = cert_make(k, "example.com", cax, ca, false,
			    "DNS:example.com,DNS:WWW.example.com,IP:192.0.2.9", 1, 90);
	BIGNUM *bn = NULL;
	struct cert_info info;
	char *pem;

	/* A 19-byte serial whose first nibble is zero. */
	ASSERT_TRUE(BN_hex2bn(&bn, "0123456789abcdef00112233445566778899aa") > 0);
	ASSERT_NONNULL(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	ASSERT_NONNULL(ASN1_TIME_set(X509_getm_notBefore(x), 1700000000));
	ASSERT_NONNULL(ASN1_TIME_set(X509_getm_notAfter(x), 1707776000));
	ASSERT_TRUE(X509_sign(x, ca, EVP_sha256()) > 0);
	pem = cert_pem(x);
	ASSERT_INT_EQ(crypto_cert_info(pem, strlen(pem), &info), 0);
	ASSERT_STR_EQ(info.serial, "123456789abcdef00112233445566778899aa");
	ASSERT_INT_EQ(info.not_before, 1700000000);
	ASSERT_INT_EQ(info.not_after, 1707776000);
	ASSERT_STR_EQ(info.subject_cn, "example.com");
	ASSERT_STR_EQ(info.issuer_cn, "Test CA R1");
	ASSERT_STR_EQ(info.key_type, "ECDSA");
	ASSERT_INT_EQ(info.nnames, 3);
	ASSERT_STR_EQ(info.names[0], "example.com");
	ASSERT_STR_EQ(info.names[1], "www.example.com");
	ASSERT_STR_EQ(info.names[2], "192.0.2.9");
	cert_info_clear(&info);
	ASSERT_TRUE(info.names == NULL && info.nnames == 0);
	free(pem);

	/* Small serials: no leading zeros, lower case, zeros inside kept. */
	static const struct {
		long serial;
		const char *hex;
	} small[] = { { 0x0f, "f" }, { 0x1000, "1000" } };
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		ASSERT_INT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(x), small[i].serial), 1);
		ASSERT_TRUE(X509_sign(x, ca, EVP_sha256()) > 0);
		pem = cert_pem(x);
		ASSERT_INT_EQ(crypto_cert_info(pem, strlen(pem), &info), 0);
		ASSERT_STR_EQ(info.serial, small[i].hex);
		cert_info_clear(&info);
		free(pem);
	}

	ASSERT_INT_EQ(crypto_cert_info("junk", 4, &info), -EINVAL);
	BN_free(bn);
	X509_free(x);
	X509_free(cax);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ca);
}

TEST(cert_info_rsa)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = cert_make(k, "rsa.example", NULL, NULL, false, NULL, 77, 10);
	char *pem = cert_pem(x);
	struct cert_info info;

	ASSERT_INT_EQ(crypto_cert_info(pem, strlen(pem), &info), 0);
	ASSERT_STR_EQ(info.key_type, "RSA");
	ASSERT_STR_EQ(info.serial, "4d");
	ASSERT_INT_EQ(info.nnames, 0);
	cert_info_clear(&info);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* RFC 9773 section 4.1's example: AKI keyIdentifier
 * 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4 and serial
 * 0x87654321, whose DER content octets carry a leading zero. */
TEST(cert_ari_id)
{
	static const unsigned char kid[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
					     0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0,
					     0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4 };
	EVP_PKEY *k = ec_key();
	X509 *x = cert_make(k, "example.com", NULL, NULL, false, "DNS:example.com", 1, 90);
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	struct cert_info info;
	char *pem;

	/* Without an AKI there is no ID (ARI is then not asked). */
	pem = cert_pem(x);
	ASSERT_INT_EQ(crypto_cert_info(pem, strlen(pem), &info), 0);
	ASSERT_STR_EQ(info.ari_id, "");
	cert_info_clear(&info);
	free(pem);

	ASSERT_NONNULL(akid);
	akid->keyid = ASN1_OCTET_STRING_new();
	ASSERT_INT_EQ(ASN1_OCTET_STRING_set(akid->keyid, kid, sizeof(kid)), 1);
	ASSERT_INT_EQ(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0), 1);
	ASSERT_INT_EQ(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), 0x87654321), 1);
	ASSERT_TRUE(X509_sign(x, k, EVP_sha256()) > 0);
	pem = cert_pem(x);
	ASSERT_INT_EQ(crypto_cert_info(pem, strlen(pem), &info), 0);
	ASSERT_STR_EQ(info.ari_id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	cert_info_clear(&info);
	free(pem);

	/* A serial without the high bit set needs no leading zero. */
	ASSERT_INT_EQ(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), 0x12345678), 1);
	ASSERT_TRUE(X509_sign(x, k, EVP_sha256()) > 0);
	pem = cert_pem(x);
	ASSERT_INT_EQ(crypto_cert_info(pem, strlen(pem), &info), 0);
	ASSERT_STR_EQ(info.ari_id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.EjRWeA");
	cert_info_clear(&info);
	free(pem);
	AUTHORITY_KEYID_free(akid);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* The quick reading (no public key decoded) and the full parse agree. */
static void assert_same_facts(const char *pem)
{
	struct cert_info a, b;

	ASSERT_INT_EQ(crypto_cert_info(pem, strlen(pem), &a), 0);
	ASSERT_INT_EQ(crypto_cert_info_full(pem, strlen(pem), &b), 0);
	ASSERT_INT_EQ(a.not_before, b.not_before);
	ASSERT_INT_EQ(a.not_after, b.not_after);
	ASSERT_STR_EQ(a.serial, b.serial);
	ASSERT_STR_EQ(a.issuer_cn, b.issuer_cn);
	ASSERT_STR_EQ(a.subject_cn, b.subject_cn);
	ASSERT_STR_EQ(a.key_type, b.key_type);
	ASSERT_STR_EQ(a.ari_id, b.ari_id);
	ASSERT_INT_EQ(a.nnames, b.nnames);
	for (size_t i = 0; i < a.nnames; i++)
		ASSERT_STR_EQ(a.names[i], b.names[i]);
	cert_info_clear(&a);
	cert_info_clear(&b);
}

/* PEM as OpenSSL writes it, and the same certificate in other layouts
 * PEM readers take: CRLF line ends, 76-column lines, text before it, a
 * chain after it. The facts are the same in every one. */
static void assert_same_facts_in_other_layouts(const char *pem)
{
	char *b64 = strdup(strchr(pem, '\n') + 1), *v = NULL, *w = NULL;
	size_t len = 0;
	FILE *f;

	ASSERT_NONNULL(b64);
	*strstr(b64, "-----END") = '\0';
	for (char *s = b64, *d = b64;; s++) {
		if (*s != '\n')
			*d++ = *s;
		if (!*s)
			break;
	}
	/* CRLF */
	f = open_memstream(&v, &len);
	for (const char *s = pem; *s; s++)
		fputs(*s == '\n' ? "\r\n" : (char[]){ *s, 0 }, f);
	fclose(f);
	assert_same_facts(v);
	free(v);
	/* 76 columns, text before, a second certificate after */
	f = open_memstream(&w, &len);
	fputs("Bag Attributes\n-----BEGIN CERTIFICATE-----\n", f);
	for (size_t n = 0; n < strlen(b64); n += 76)
		fprintf(f, "%.76s\n", b64 + n);
	fprintf(f, "-----END CERTIFICATE-----\n%s", pem);
	fclose(f);
	assert_same_facts(w);
	assert_same_facts(strstr(w, "-----BEGIN"));
	free(w);
	free(b64);
}

TEST(cert_info_quick_reading_matches_full_parse)
{
	EVP_PKEY *ec = ec_key(), *rsa = EVP_RSA_gen(2048);
	X509 *ca = cert_make(rsa, "Test Root \xc3\xa9", NULL, NULL, true, NULL, 0x7fffffff, 3650);
	X509 *leaf = cert_make(ec, "a.test", ca, rsa, false,
			       "DNS:a.test,DNS:*.b.test,IP:127.0.0.1,IP:::1", 0x80, 90);
	X509 *bare = X509_new();
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	static const unsigned char kid[] = { 1, 2, 3, 4, 5 };
	char *pem;

	/* A root (RSA, no SAN), a leaf with every kind of name and an AKI. */
	pem = cert_pem(ca);
	assert_same_facts(pem);
	free(pem);
	akid->keyid = ASN1_OCTET_STRING_new();
	ASSERT_INT_EQ(ASN1_OCTET_STRING_set(akid->keyid, kid, sizeof(kid)), 1);
	ASSERT_INT_EQ(X509_add1_ext_i2d(leaf, NID_authority_key_identifier, akid, 0, 0), 1);
	ASSERT_TRUE(X509_sign(leaf, rsa, EVP_sha256()) > 0);
	pem = cert_pem(leaf);
	assert_same_facts(pem);
	assert_same_facts_in_other_layouts(pem);
	free(pem);
	/* A version 1 certificate: no [0] version, no extensions. */
	ASSERT_INT_EQ(X509_set_version(bare, 0), 1);
	ASSERT_INT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(bare), 0), 1);
	ASSERT_INT_EQ(X509_set_issuer_name(bare, X509_get_subject_name(ca)), 1);
	ASSERT_INT_EQ(X509_set_subject_name(bare, X509_get_subject_name(ca)), 1);
	ASSERT_NONNULL(X509_gmtime_adj(X509_getm_notBefore(bare), 0));
	ASSERT_NONNULL(X509_gmtime_adj(X509_getm_notAfter(bare), 86400));
	ASSERT_INT_EQ(X509_set_pubkey(bare, ec), 1);
	ASSERT_TRUE(X509_sign(bare, rsa, EVP_sha256()) > 0);
	pem = cert_pem(bare);
	assert_same_facts(pem);
	free(pem);
	AUTHORITY_KEYID_free(akid);
	X509_free(bare);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

TEST(key_matches_cert)
{
	EVP_PKEY *k = ec_key(), *other = ec_key();
	X509 *x = cert_make(k, "example.com", NULL, NULL, false, NULL, 5, 30);
	char *cert = cert_pem(x), *kp = key_pem(k), *op = key_pem(other);

	ASSERT_INT_EQ(crypto_key_matches_cert(kp, strlen(kp), cert, strlen(cert)), 0);
	ASSERT_INT_EQ(crypto_key_matches_cert(op, strlen(op), cert, strlen(cert)),
		      ACMED_EMISMATCH);
	ASSERT_INT_EQ(crypto_key_matches_cert("junk", 4, cert, strlen(cert)), -EINVAL);
	ASSERT_INT_EQ(crypto_key_matches_cert(kp, strlen(kp), "junk", 4), -EINVAL);
	free(cert);
	free(kp);
	free(op);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

TEST(cert_from_pem)
{
	EVP_PKEY *k = ec_key();
	X509 *x = cert_make(k, "a.example", NULL, NULL, false, NULL, 9, 1), *back;
	char *pem = cert_pem(x);

	back = crypto_cert_from_pem(pem, strlen(pem));
	ASSERT_NONNULL(back);
	ASSERT_INT_EQ(X509_cmp(x, back), 0);
	ASSERT_TRUE(crypto_cert_from_pem("junk", 4) == NULL);
	X509_free(back);
	X509_free(x);
	free(pem);
	EVP_PKEY_free(k);
}
