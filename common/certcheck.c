#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certcheck.h"
#include "crypto.h"
#include "error.h"
#include "timefmt.h"
#include "util.h"

/* The chain as parsed: [0] the leaf, then the chain in the order sent. */
struct parsed {
	X509 **x;
	size_t n;
};

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ACMED_EBADCERT;
}

static void parsed_clear(struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++)
		X509_free(p->x[i]);
	free(p->x);
	memset(p, 0, sizeof(*p));
}

/* Append every certificate of PEM to P; -EINVAL if it holds anything else. */
static int parse_into(struct parsed *p, const char *pem)
{
	char **pems = NULL;
	size_t n = 0;
	X509 **v;
	int r = crypto_pem_split(pem, strlen(pem), &pems, &n);

	if (r < 0)
		return r;
	v = realloc(p->x, (p->n + n) * sizeof(*v));
	if (!v) {
		strv_free(pems, n);
		return -ENOMEM;
	}
	p->x = v;
	for (size_t i = 0; i < n; i++) {
		X509 *x = crypto_cert_from_pem(pems[i], strlen(pems[i]));

		if (!x) {
			r = -EINVAL;
			break;
		}
		p->x[p->n++] = x;
	}
	strv_free(pems, n);
	return r;
}

/* "CN=..." or the whole name, for messages. */
static const char *who(X509 *x, char *buf, size_t len)
{
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)len) < 0)
		X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len);
	/* A name is shown to people: nothing but printable ASCII. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return buf;
}

/* "the certificate" or "chain certificate I (CN)". */
static const char *label(const struct parsed *p, size_t i, char *buf, size_t len)
{
	char cn[128];

	if (i == 0)
		snprintf(buf, len, "the certificate");
	else
		snprintf(buf, len, "chain certificate %zu (%s)", i, who(p->x[i], cn, sizeof(cn)));
	return buf;
}

static int time_of(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

/* The leaf is an end-entity certificate: no CA, may not sign certificates. */
static int check_leaf(X509 *x, char *err, size_t errlen)
{
	uint32_t flags = X509_get_extension_flags(x);

	if (flags & EXFLAG_INVALID)
		return bad(err, errlen, "the certificate has malformed extensions");
	if (flags & EXFLAG_CA)
		return bad(err, errlen, "the certificate is a CA certificate (basicConstraints "
					"CA:TRUE), not one for a server");
	if ((flags & EXFLAG_KUSAGE) && (X509_get_key_usage(x) & KU_KEY_CERT_SIGN))
		return bad(err, errlen, "the certificate may sign certificates (keyUsage "
					"keyCertSign), not one for a server");
	return 0;
}

/* The leaf is valid at NOW, give or take CERTCHECK_SKEW; no chain
 * certificate has expired. */
static int check_times(const struct parsed *p, time_t now, char *err, size_t errlen)
{
	char what[200], when[32];
	time_t nb, na;

	for (size_t i = 0; i < p->n; i++) {
		label(p, i, what, sizeof(what));
		if (time_of(X509_get0_notBefore(p->x[i]), &nb) < 0 ||
		    time_of(X509_get0_notAfter(p->x[i]), &na) < 0 || na <= nb)
			return bad(err, errlen, "%s has an unreadable or empty validity period", what);
		timefmt_format_rfc3339(na, when, sizeof(when));
		if (na <= now)
			return bad(err, errlen, "%s expired at %s", what, when);
		if (i > 0)
			continue;
		timefmt_format_rfc3339(nb, when, sizeof(when));
		if (nb > now + CERTCHECK_SKEW)
			return bad(err, errlen, "%s is not valid before %s, %lld minute(s) from now "
						"(is the CA's clock or this machine's wrong?)",
				   what, when, (long long)(nb - now + 59) / 60);
	}
	return 0;
}

/* Each certificate is issued by the next: names link, signature verifies,
 * and the issuer is a CA. */
static int check_links(const struct parsed *p, char *err, size_t errlen)
{
	char what[200], next[200];

	for (size_t i = 0; i + 1 < p->n; i++) {
		X509 *x = p->x[i], *up = p->x[i + 1];
		EVP_PKEY *key = X509_get0_pubkey(up);

		label(p, i, what, sizeof(what));
		label(p, i + 1, next, sizeof(next));
		if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(up)) != 0)
			return bad(err, errlen, "%s is not issued by %s (the issuer's name is not "
						"its subject)", what, next);
		if (!key || X509_verify(x, key) != 1)
			return bad(err, errlen, "the signature of %s does not verify with the key "
						"of %s", what, next);
		if (X509_check_ca(up) == 0)
			return bad(err, errlen, "%s is not a CA certificate", next);
	}
	return 0;
}

static bool has_name(const struct cert_info *info, const char *name)
{
	for (size_t i = 0; i < info->nnames; i++)
		if (strcasecmp(info->names[i], name) == 0)
			return true;
	return false;
}

/* The SANs are exactly NAMES. */
static int check_names(const char *cert, char *const *names, size_t n, char *err, size_t errlen)
{
	struct cert_info info;
	int r = crypto_cert_info(cert, strlen(cert), &info);

	if (r < 0)
		return bad(err, errlen, "the certificate's names cannot be read");
	for (size_t i = 0; r == 0 && i < n; i++)
		if (!has_name(&info, names[i]))
			r = bad(err, errlen, "the certificate does not cover %s", names[i]);
	for (size_t i = 0; r == 0 && i < info.nnames; i++) {
		bool asked = false;

		for (size_t k = 0; k < n; k++)
			asked |= strcasecmp(info.names[i], names[k]) == 0;
		if (!asked)
			r = bad(err, errlen, "the certificate names %.255s, which was not asked for",
				info.names[i]);
	}
	if (r == 0 && info.nnames == 0)
		r = bad(err, errlen, "the certificate names nothing (no subjectAltName)");
	cert_info_clear(&info);
	return r;
}

/* X carries the public key of the CSR (DER). */
static int check_csr_key(X509 *x, const unsigned char *csr, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = csr;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	EVP_PKEY *want = req ? X509_REQ_get0_pubkey(req) : NULL;
	int r = 0;

	if (!want)
		r = bad(err, errlen, "the CSR does not parse");
	else if (EVP_PKEY_eq(X509_get0_pubkey(x), want) != 1)
		r = bad(err, errlen, "the certificate is for another key than the CSR's");
	X509_REQ_free(req);
	return r;
}

/* The chain ends at (or passes through) a certificate of ROOTS. Validity
 * times are check_times()'s business. */
static int check_roots(const struct parsed *p, const char *roots, char *err, size_t errlen)
{
	struct parsed anchors = { 0 };
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int r = parse_into(&anchors, roots);

	if (r == -EINVAL || (r == 0 && anchors.n == 0))
		r = bad(err, errlen, "the issuer_bundle holds no certificates");
	if (r < 0)
		goto out;
	r = -ENOMEM;
	if (!store || !ctx || !untrusted)
		goto out;
	for (size_t i = 0; i < anchors.n; i++)
		X509_STORE_add_cert(store, anchors.x[i]);
	for (size_t i = 1; i < p->n; i++)
		sk_X509_push(untrusted, p->x[i]);
	/* The bundle may hold roots or the intermediates one trusts. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
	if (X509_STORE_CTX_init(ctx, store, p->x[0], untrusted) != 1)
		goto out;
	r = 0;
	if (X509_verify_cert(ctx) != 1)
		r = bad(err, errlen, "the chain does not lead to a certificate in the issuer_bundle "
				     "(%s)", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted); /* the certificates belong to P */
	X509_STORE_free(store);
	parsed_clear(&anchors);
	return r;
}

int certcheck_run(const struct certcheck *c, char *err, size_t errlen)
{
	struct parsed p = { 0 };
	int r;

	r = parse_into(&p, c->cert);
	if (r == -EINVAL || (r == 0 && p.n != 1)) {
		r = bad(err, errlen, "the certificate is not exactly one PEM certificate");
		goto out;
	}
	if (r == 0) {
		r = parse_into(&p, c->chain ? c->chain : "");
		if (r == -EINVAL || (r == 0 && p.n < 2))
			r = bad(err, errlen, "the chain is not one or more PEM certificates");
	}
	if (r == 0)
		r = check_leaf(p.x[0], err, errlen);
	if (r == 0 && c->now)
		r = check_times(&p, c->now, err, errlen);
	if (r == 0)
		r = check_links(&p, err, errlen);
	if (r == 0 && c->names)
		r = check_names(c->cert, c->names, c->nnames, err, errlen);
	if (r == 0 && c->key) {
		r = crypto_key_matches_cert(c->key, strlen(c->key), c->cert, strlen(c->cert));
		if (r < 0)
			r = bad(err, errlen, r == ACMED_EMISMATCH ? "the certificate is for another key"
								  : "the private key does not parse");
	}
	if (r == 0 && c->csr)
		r = check_csr_key(p.x[0], c->csr, c->csrlen, err, errlen);
	if (r == 0 && c->roots)
		r = check_roots(&p, c->roots, err, errlen);
out:
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	parsed_clear(&p);
	ERR_clear_error();
	return r;
}
