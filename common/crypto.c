#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "error.h"
#include "ident.h"
#include "jws.h"
#include "text.h"
#include "util.h"

int key_spec_parse(const char *type, const char *curve, int rsa_bits, struct key_spec *out,
		   char *err, size_t errlen)
{
	struct key_spec spec = KEY_SPEC_DEFAULT;

	if (str_empty(type) || streq(type, "ecdsa"))
		spec.alg = KEY_ALG_EC;
	else if (streq(type, "rsa"))
		spec.alg = KEY_ALG_RSA;
	else {
		snprintf(err, errlen, "key type '%s' is not one of: ecdsa, rsa", type);
		return -EINVAL;
	}
	if (str_empty(curve) || streq(curve, "secp256r1") || streq(curve, "P-256"))
		spec.curve = 256;
	else if (streq(curve, "secp384r1") || streq(curve, "P-384"))
		spec.curve = 384;
	else if (streq(curve, "secp521r1") || streq(curve, "P-521"))
		spec.curve = 521;
	else {
		snprintf(err, errlen, "elliptic curve '%s' is not one of: secp256r1, secp384r1, secp521r1",
			 curve);
		return -EINVAL;
	}
	if (rsa_bits == 0)
		spec.rsa_bits = 2048;
	else if (rsa_bits == 2048 || rsa_bits == 3072 || rsa_bits == 4096)
		spec.rsa_bits = rsa_bits;
	else {
		snprintf(err, errlen, "RSA key size %d is not one of: 2048, 3072, 4096", rsa_bits);
		return -EINVAL;
	}
	*out = spec;
	return 0;
}

const char *key_spec_type_name(const struct key_spec *spec)
{
	return spec->alg == KEY_ALG_RSA ? "rsa" : "ecdsa";
}

const char *key_spec_curve_name(const struct key_spec *spec)
{
	return spec->curve == 521 ? "secp521r1" : spec->curve == 384 ? "secp384r1" : "secp256r1";
}

EVP_PKEY *crypto_key_generate(const struct key_spec *spec)
{
	if (spec->alg == KEY_ALG_RSA)
		return EVP_RSA_gen((unsigned)spec->rsa_bits);
	return EVP_EC_gen(spec->curve == 521 ? "P-521" : spec->curve == 384 ? "P-384" : "P-256");
}

bool crypto_key_matches(EVP_PKEY *key, const struct key_spec *spec)
{
	int bits = EVP_PKEY_get_bits(key);

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		return spec->alg == KEY_ALG_RSA && bits == spec->rsa_bits;
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && spec->alg == KEY_ALG_EC &&
	       bits == spec->curve;
}

/* Copy a memory BIO's contents into a fresh NUL-terminated string. */
static int bio_to_string(BIO *bio, char **out, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(bio, &p);
	char *s = malloc((size_t)n + 1);

	if (!s)
		return -ENOMEM;
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	*out = s;
	if (len)
		*len = (size_t)n;
	return 0;
}

int crypto_key_to_pem(EVP_PKEY *key, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int r = ACMED_ECRYPTO;

	if (!bio)
		return -ENOMEM;
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
		r = bio_to_string(bio, pem, len);
	BIO_free(bio);
	return r;
}

int crypto_key_from_pem(const char *pem, size_t len, EVP_PKEY **out)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key;

	if (!bio)
		return -ENOMEM;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (!key)
		return -EINVAL;
	*out = key;
	return 0;
}

const char *crypto_key_type_label(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "RSA"))
		return "RSA";
	if (EVP_PKEY_is_a(key, "EC"))
		return "ECDSA";
	return "unknown";
}

static int add_general_name(GENERAL_NAMES *gens, const char *name)
{
	GENERAL_NAME *gen;

	if (ident_is_ip(name)) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);

		if (!ip)
			return -EINVAL;
		gen = GENERAL_NAME_new();
		if (!gen) {
			ASN1_OCTET_STRING_free(ip);
			return -ENOMEM;
		}
		GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
	} else {
		ASN1_IA5STRING *dns = ASN1_IA5STRING_new();

		if (!dns || !ASN1_STRING_set(dns, name, -1)) {
			ASN1_IA5STRING_free(dns);
			return -ENOMEM;
		}
		gen = GENERAL_NAME_new();
		if (!gen) {
			ASN1_IA5STRING_free(dns);
			return -ENOMEM;
		}
		GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
	}
	if (!sk_GENERAL_NAME_push(gens, gen)) {
		GENERAL_NAME_free(gen);
		return -ENOMEM;
	}
	return 0;
}

int crypto_csr_make(EVP_PKEY *key, char *const *names, size_t n, unsigned char **der,
		    size_t *derlen)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subj = X509_NAME_new();
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	unsigned char *buf = NULL;
	int r = -ENOMEM, len;

	if (!req || !subj || !gens || !exts || n == 0)
		goto out;
	/* A CN holds at most 64 characters; longer names live in the SAN only,
	 * which is all a CA looks at anyway. IP literals never go in the CN. */
	if (strlen(names[0]) <= 64 && !ident_is_ip(names[0]) &&
	    !X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)names[0], -1, -1, 0))
		goto out;
	for (size_t i = 0; i < n; i++) {
		r = add_general_name(gens, names[i]);
		if (r < 0)
			goto out;
	}
	r = ACMED_ECRYPTO;
	if (!X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, subj) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) ||
	    !X509_REQ_add_extensions(req, exts) || X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	len = i2d_X509_REQ(req, &buf);
	if (len <= 0)
		goto out;
	*der = buf;
	*derlen = (size_t)len;
	r = 0;
out:
	X509_REQ_free(req);
	X509_NAME_free(subj);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return r;
}

/* Append NAME (lower-cased) to the list unless present. */
static int names_add(char ***names, size_t *n, const char *name, size_t len)
{
	char *s = strndup(name, len);
	char **v;

	if (!s)
		return -ENOMEM;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < *n; i++) {
		if (streq((*names)[i], s)) {
			free(s);
			return 0;
		}
	}
	v = realloc(*names, (*n + 2) * sizeof(*v));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	v[(*n)++] = s;
	v[*n] = NULL;
	*names = v;
	return 0;
}

static int san_names(GENERAL_NAMES *gens, char ***names, size_t *n)
{
	int r = 0;

	for (int i = 0; r == 0 && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[64];

		if (g->type == GEN_DNS) {
			r = names_add(names, n, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
				      (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;

			if (af < 0 || !inet_ntop(af, ASN1_STRING_get0_data(g->d.iPAddress), ip,
						 sizeof(ip)))
				return -EINVAL;
			r = names_add(names, n, ip, strlen(ip));
		}
	}
	return r;
}

int crypto_csr_load(const void *data, size_t len, unsigned char **der, size_t *derlen,
		    char ***names, size_t *nnames)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	const unsigned char *p = data;
	X509_REQ *req = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = NULL;
	EVP_PKEY *pub;
	char cn[256];
	int r = -EINVAL, dlen;

	*names = NULL;
	*nnames = 0;
	if (!bio)
		return -ENOMEM;
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	if (!req)
		req = d2i_X509_REQ(NULL, &p, (long)len);
	if (!req)
		goto out;
	pub = X509_REQ_get0_pubkey(req);
	if (!pub || X509_REQ_verify(req, pub) != 1)
		goto out;
	if (X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
				      sizeof(cn)) > 0 &&
	    names_add(names, nnames, cn, strlen(cn)) < 0)
		goto out;
	exts = X509_REQ_get_extensions(req);
	gens = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
	if (gens && san_names(gens, names, nnames) < 0)
		goto out;
	if (*nnames == 0)
		goto out;
	*der = NULL;
	dlen = i2d_X509_REQ(req, der);
	if (dlen <= 0)
		goto out;
	*derlen = (size_t)dlen;
	r = 0;
out:
	if (r < 0) {
		strv_free(*names, *nnames);
		*names = NULL;
		*nnames = 0;
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

static char *cert_to_pem(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (bio && PEM_write_bio_X509(bio, x) == 1)
		bio_to_string(bio, &s, NULL);
	BIO_free(bio);
	return s;
}

int crypto_pem_split(const char *bundle, size_t len, char ***pems, size_t *n)
{
	BIO *bio = BIO_new_mem_buf(bundle, (int)len);
	char **v = NULL;
	size_t count = 0;
	int r = -EINVAL;

	if (!bio)
		return -ENOMEM;
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		const unsigned char *p;
		long dlen;
		X509 *x;
		char *pem, **nv;

		if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
			unsigned long e = ERR_peek_last_error();

			/* A clean end of input reads as "no start line". */
			if (count > 0 && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				r = 0;
			break;
		}
		p = data;
		x = streq(name, "CERTIFICATE") ? d2i_X509(NULL, &p, dlen) : NULL;
		/* Trailing bytes inside a block mean it is not one certificate. */
		if (x && p != data + dlen) {
			X509_free(x);
			x = NULL;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (!x)
			break;
		pem = cert_to_pem(x);
		X509_free(x);
		nv = pem ? realloc(v, (count + 2) * sizeof(*v)) : NULL;
		if (!nv) {
			free(pem);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[count++] = pem;
		v[count] = NULL;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (r < 0) {
		strv_free(v, count);
		return r;
	}
	*pems = v;
	*n = count;
	return 0;
}

X509 *crypto_cert_from_pem(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return x;
}

int crypto_cert_der(const char *pem, size_t len, unsigned char **der, size_t *derlen)
{
	X509 *x = crypto_cert_from_pem(pem, len);
	unsigned char *buf = NULL;
	int n = x ? i2d_X509(x, &buf) : -1;

	X509_free(x);
	if (n <= 0)
		return -EINVAL;
	*der = malloc((size_t)n);
	if (*der)
		memcpy(*der, buf, (size_t)n);
	OPENSSL_free(buf);
	*derlen = (size_t)n;
	return *der ? 0 : -ENOMEM;
}

static int asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

void cert_info_clear(struct cert_info *info)
{
	strv_free(info->names, info->nnames);
	memset(info, 0, sizeof(*info));
}

/* RFC 9773 section 4.1: base64url(AKI keyIdentifier) "." base64url(the
 * DER content octets of the serial number, leading zero included). */
static void ari_id_of(const ASN1_OCTET_STRING *kid, const ASN1_INTEGER *serial, char *buf,
		      size_t len)
{
	unsigned char *der = NULL;
	char *a = NULL, *b = NULL;
	int n = i2d_ASN1_INTEGER(serial, &der);
	long clen;
	int tag, cls;
	size_t la, lb;
	const unsigned char *p = der;

	buf[0] = '\0';
	/* Skip the INTEGER's tag and length: only its content is the serial. */
	if (kid && n > 0 && !(ASN1_get_object(&p, &clen, &tag, &cls, n) & 0x80) && clen > 0) {
		a = b64url_encode(ASN1_STRING_get0_data(kid), (size_t)ASN1_STRING_length(kid));
		b = b64url_encode(p, (size_t)clen);
		la = a ? strlen(a) : 0;
		lb = b ? strlen(b) : 0;
		if (la && lb && la + lb + 2 <= len) {
			memcpy(buf, a, la);
			buf[la] = '.';
			memcpy(buf + la + 1, b, lb + 1);
		}
	}
	free(a);
	free(b);
	OPENSSL_free(der);
}

static void ari_cert_id(X509 *x, char *buf, size_t len)
{
	ari_id_of(X509_get0_authority_key_id(x), X509_get0_serialNumber(x), buf, len);
}

/* SERIAL as certbot shows it: lower-case hex, no leading zeros. */
static int serial_hex(const ASN1_INTEGER *serial, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	const char *h = hex;

	BN_free(bn);
	if (!hex)
		return -EINVAL;
	while (h[0] == '0' && h[1])
		h++;
	snprintf(buf, len, "%s", h);
	for (char *c = buf; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	OPENSSL_free(hex);
	return 0;
}

/* ---- certificate facts without decoding the public key ----
 *
 * d2i_X509 decodes the subject's public key through OpenSSL 3's decoder
 * framework: most of the time it takes (about 1M instructions a
 * certificate). acmed's index needs none of the key, so its facts are read
 * from the DER structure (RFC 5280 section 4.1) with OpenSSL's decoders of
 * the parts; anything unexpected falls back to the full parse. */

/* The next TLV at *P (before END): its tag and class, and its content in
 * [*P, *P + *LEN) once it returns true. */
static bool der_next(const unsigned char **p, const unsigned char *end, long *len, int *tag,
		     int *cls)
{
	int r;

	if (*p >= end)
		return false;
	r = ASN1_get_object(p, len, tag, cls, end - *p);
	return !(r & 0x80) && r != 0x21 && *len >= 0 && *len <= end - *p;
}

static int cert_info_der(const unsigned char *der, long n, struct cert_info *out)
{
	const unsigned char *p = der, *end = der + n, *tbs_end, *q, *spki_end;
	long len;
	int tag, cls, r = -EINVAL;
	ASN1_INTEGER *serial = NULL;
	X509_NAME *issuer = NULL, *subject = NULL;
	ASN1_TIME *nb = NULL, *na = NULL;
	ASN1_OBJECT *alg = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = NULL;
	AUTHORITY_KEYID *akid = NULL;

	memset(out, 0, sizeof(*out));
	/* Certificate, then tbsCertificate: SEQUENCEs. */
	if (!der_next(&p, end, &len, &tag, &cls) || tag != V_ASN1_SEQUENCE ||
	    !der_next(&p, end, &len, &tag, &cls) || tag != V_ASN1_SEQUENCE)
		goto out;
	tbs_end = p + len;
	/* [0] version, optional. */
	q = p;
	if (!der_next(&q, tbs_end, &len, &tag, &cls))
		goto out;
	if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 0)
		p = q + len;
	if (!(serial = d2i_ASN1_INTEGER(NULL, &p, tbs_end - p)))
		goto out;
	/* signature AlgorithmIdentifier: skipped. */
	if (!der_next(&p, tbs_end, &len, &tag, &cls) || tag != V_ASN1_SEQUENCE)
		goto out;
	p += len;
	if (!(issuer = d2i_X509_NAME(NULL, &p, tbs_end - p)))
		goto out;
	/* validity: SEQUENCE { notBefore, notAfter }. */
	if (!der_next(&p, tbs_end, &len, &tag, &cls) || tag != V_ASN1_SEQUENCE ||
	    !(nb = d2i_ASN1_TIME(NULL, &p, tbs_end - p)) ||
	    !(na = d2i_ASN1_TIME(NULL, &p, tbs_end - p)))
		goto out;
	if (!(subject = d2i_X509_NAME(NULL, &p, tbs_end - p)))
		goto out;
	/* subjectPublicKeyInfo: only its algorithm's OID. */
	if (!der_next(&p, tbs_end, &len, &tag, &cls) || tag != V_ASN1_SEQUENCE)
		goto out;
	spki_end = p + len;
	if (!der_next(&p, spki_end, &len, &tag, &cls) || tag != V_ASN1_SEQUENCE ||
	    !(alg = d2i_ASN1_OBJECT(NULL, &p, spki_end - p)))
		goto out;
	p = spki_end;
	/* [1], [2] unique IDs (skipped), [3] extensions. */
	while (p < tbs_end) {
		if (!der_next(&p, tbs_end, &len, &tag, &cls) || cls != V_ASN1_CONTEXT_SPECIFIC)
			goto out;
		q = p;
		p += len;
		if (tag == 3 && !(exts = d2i_X509_EXTENSIONS(NULL, &q, len)))
			goto out;
	}
	if (asn1_time(nb, &out->not_before) < 0 || asn1_time(na, &out->not_after) < 0 ||
	    serial_hex(serial, out->serial, sizeof(out->serial)) < 0)
		goto out;
	X509_NAME_get_text_by_NID(issuer, NID_commonName, out->issuer_cn, sizeof(out->issuer_cn));
	X509_NAME_get_text_by_NID(subject, NID_commonName, out->subject_cn,
				  sizeof(out->subject_cn));
	/* The CA chose these; they are shown to people. */
	text_clean(out->issuer_cn);
	text_clean(out->subject_cn);
	switch (OBJ_obj2nid(alg)) {
	case NID_rsaEncryption:
		snprintf(out->key_type, sizeof(out->key_type), "RSA");
		break;
	case NID_X9_62_id_ecPublicKey:
		snprintf(out->key_type, sizeof(out->key_type), "ECDSA");
		break;
	default:
		snprintf(out->key_type, sizeof(out->key_type), "unknown");
	}
	if (exts) {
		akid = X509V3_get_d2i(exts, NID_authority_key_identifier, NULL, NULL);
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	}
	ari_id_of(akid ? akid->keyid : NULL, serial, out->ari_id, sizeof(out->ari_id));
	if (gens && san_names(gens, &out->names, &out->nnames) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		cert_info_clear(out);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(issuer);
	X509_NAME_free(subject);
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	ASN1_OBJECT_free(alg);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	AUTHORITY_KEYID_free(akid);
	return r;
}

/* Past the "\n" or "\r\n" at P (before END), or NULL. */
static const char *pem_eol(const char *p, const char *end)
{
	if (p < end && *p == '\r')
		p++;
	return p < end && *p == '\n' ? p + 1 : NULL;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* The DER of PEM when it starts with a certificate as OpenSSL and CAs write
 * one: lines of 64 base64 characters, the last one shorter or padded.
 * PEM_read_bio() reads that through a BIO line by line and decodes it with
 * EVP_DecodeUpdate(), several times slower, and this runs for every lineage
 * at start-up. Anything else is -EINVAL, for PEM_read_bio() to read. Caller
 * frees *DER with OPENSSL_free(). */
static int pem_plain_cert(const char *pem, size_t len, unsigned char **der, long *derlen)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----",
			  end_line[] = "-----END CERTIFICATE-----";
	const size_t blen = sizeof(begin) - 1, elen = sizeof(end_line) - 1;
	const char *p = pem, *end = pem + len;
	unsigned char *buf = NULL;
	size_t n = 0;
	bool last = false;

	if (len < blen || len > INT_MAX || memcmp(p, begin, blen) != 0 ||
	    !(p = pem_eol(p + blen, end)) || !(buf = OPENSSL_malloc(len / 4 * 3)))
		goto fail;
	while (!last) {
		size_t k = 0, pad = 0;
		int d;

		while (p + k < end && is_b64(p[k]))
			k++;
		while (p + k < end && p[k] == '=' && pad < 2) {
			k++;
			pad++;
		}
		if (k == 0 || k > 64 || k % 4 ||
		    (d = EVP_DecodeBlock(buf + n, (const unsigned char *)p, (int)k)) < 0 ||
		    !(p = pem_eol(p + k, end)))
			goto fail;
		n += (size_t)d - pad;
		last = k < 64 || pad || ((size_t)(end - p) >= elen && memcmp(p, end_line, elen) == 0);
	}
	if ((size_t)(end - p) < elen || memcmp(p, end_line, elen) != 0 || !pem_eol(p + elen, end))
		goto fail;
	*der = buf;
	*derlen = (long)n;
	return 0;
fail:
	OPENSSL_free(buf);
	return -EINVAL;
}

int crypto_cert_info(const char *pem, size_t len, struct cert_info *out)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	int r = -EINVAL;

	if (pem_plain_cert(pem, len, &der, &derlen) == 0)
		r = cert_info_der(der, derlen, out);
	else if ((bio = BIO_new_mem_buf(pem, (int)len)) &&
		 PEM_read_bio(bio, &name, &header, &der, &derlen) == 1 &&
		 streq(name, PEM_STRING_X509))
		r = cert_info_der(der, derlen, out);
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	ERR_clear_error();
	return r == 0 ? 0 : crypto_cert_info_full(pem, len, out);
}

int crypto_cert_info_full(const char *pem, size_t len, struct cert_info *out)
{
	X509 *x = crypto_cert_from_pem(pem, len);
	GENERAL_NAMES *gens = NULL;
	EVP_PKEY *pub;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!x)
		return -EINVAL;
	if (asn1_time(X509_get0_notBefore(x), &out->not_before) < 0 ||
	    asn1_time(X509_get0_notAfter(x), &out->not_after) < 0 ||
	    serial_hex(X509_get0_serialNumber(x), out->serial, sizeof(out->serial)) < 0)
		goto out;
	X509_NAME_get_text_by_NID(X509_get_issuer_name(x), NID_commonName, out->issuer_cn,
				  sizeof(out->issuer_cn));
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out->subject_cn,
				  sizeof(out->subject_cn));
	text_clean(out->issuer_cn);
	text_clean(out->subject_cn);
	pub = X509_get0_pubkey(x);
	snprintf(out->key_type, sizeof(out->key_type), "%s",
		 pub ? crypto_key_type_label(pub) : "unknown");
	ari_cert_id(x, out->ari_id, sizeof(out->ari_id));
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens && san_names(gens, &out->names, &out->nnames) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		cert_info_clear(out);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	ERR_clear_error();
	return r;
}

int crypto_key_matches_cert(const char *key_pem, size_t keylen, const char *cert_pem,
			    size_t certlen)
{
	EVP_PKEY *key = NULL;
	X509 *x = crypto_cert_from_pem(cert_pem, certlen);
	int r = -EINVAL;

	if (x && crypto_key_from_pem(key_pem, keylen, &key) == 0)
		r = EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1 ? 0 : ACMED_EMISMATCH;
	EVP_PKEY_free(key);
	X509_free(x);
	ERR_clear_error();
	return r;
}
