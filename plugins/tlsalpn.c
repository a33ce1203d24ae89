/* The tls-alpn-01 responder (RFC 8737) of the standalone authenticator: a
 * TLS server that, for the "acme-tls/1" protocol only, presents for each
 * name being validated a self-signed certificate with that name and the
 * critical acmeIdentifier extension holding SHA-256 of the key
 * authorization. An IP identifier is asked for by its reverse name (RFC
 * 8738 section 6). It runs in a child of the worker, like the http-01
 * responder, and never serves anything else. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ident.h"
#include "plugins/plugin.h"
#include "plugins/tlsalpn.h"
#include "util.h"

static const unsigned char ALPN[] = "\x0a" "acme-tls/1";

struct tlsalpn_cert {
	char *sni; /* the server name the CA asks for */
	X509 *cert;
};

struct tlsalpn {
	EVP_PKEY *key;
	struct tlsalpn_cert *v;
	size_t n;
};

/* The name a validation of IDENT asks for with SNI: IDENT, or for an IP
 * address its in-addr.arpa / ip6.arpa name. */
static char *sni_name(const char *ident)
{
	unsigned char a[16];
	char buf[80], *p = buf;

	if (inet_pton(AF_INET, ident, a) == 1) {
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
		return strdup(buf);
	}
	if (inet_pton(AF_INET6, ident, a) == 1) {
		for (int i = 15; i >= 0; i--)
			p += sprintf(p, "%x.%x.", a[i] & 0xf, a[i] >> 4);
		strcpy(p, "ip6.arpa");
		return strdup(buf);
	}
	return strdup(ident);
}

/* A self-signed certificate for IDENT with the acmeIdentifier extension
 * over KEY_AUTH (RFC 8737 section 3). */
static X509 *challenge_cert(EVP_PKEY *key, const char *ident, const char *key_auth)
{
	unsigned char digest[32], der[34] = { 0x04, 0x20 };
	X509 *x = X509_new();
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL, *san = NULL;
	X509V3_CTX ctx;
	char sanv[300];
	bool ok;

	ok = x && oid && val &&
	     EVP_Digest(key_auth, strlen(key_auth), digest, NULL, EVP_sha256(), NULL) == 1;
	if (ok) {
		memcpy(der + 2, digest, sizeof(digest));
		snprintf(sanv, sizeof(sanv), "%s:%s", ident_is_ip(ident) ? "IP" : "DNS", ident);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ok = ASN1_OCTET_STRING_set(val, der, sizeof(der)) &&
		     (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, val)) &&
		     (san = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, sanv)) &&
		     X509_set_version(x, 2) &&
		     ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
		     X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
		     X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) &&
		     X509_set_pubkey(x, key) && X509_add_ext(x, san, -1) &&
		     X509_add_ext(x, ext, -1) && X509_sign(x, key, EVP_sha256()) > 0;
	}
	X509_EXTENSION_free(ext);
	X509_EXTENSION_free(san);
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(oid);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

struct tlsalpn *tlsalpn_new(const struct authn_challenge *chal, size_t n)
{
	struct tlsalpn *t = calloc(1, sizeof(*t));

	if (!t || !(t->v = calloc(n ? n : 1, sizeof(*t->v))) ||
	    !(t->key = EVP_EC_gen("P-256"))) {
		tlsalpn_free(t);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!streq(chal[i].type, "tls-alpn-01"))
			continue;
		t->v[t->n].sni = sni_name(chal[i].identifier);
		t->v[t->n].cert = challenge_cert(t->key, chal[i].identifier,
						 chal[i].key_authorization);
		if (!t->v[t->n++].cert) {
			tlsalpn_free(t);
			return NULL;
		}
	}
	return t;
}

void tlsalpn_free(struct tlsalpn *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->v && i < t->n; i++) {
		free(t->v[i].sni);
		X509_free(t->v[i].cert);
	}
	free(t->v);
	EVP_PKEY_free(t->key);
	free(t);
}

/* Only "acme-tls/1": a client that does not ask for it gets no handshake. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, ALPN, sizeof(ALPN) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* The certificate for the name the client asks for, or none at all. */
static int select_cert(SSL *ssl, int *alert, void *arg)
{
	struct tlsalpn *t = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	for (size_t i = 0; name && i < t->n; i++)
		if (strcasecmp(name, t->v[i].sni) == 0 && SSL_use_certificate(ssl, t->v[i].cert) == 1 &&
		    SSL_use_PrivateKey(ssl, t->key) == 1)
			return SSL_TLSEXT_ERR_OK;
	*alert = SSL_AD_UNRECOGNIZED_NAME;
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

_Noreturn void tlsalpn_serve(int lfd, struct tlsalpn *t)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		_exit(1);
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	SSL_CTX_set_tlsext_servername_callback(ctx, select_cert);
	SSL_CTX_set_tlsext_servername_arg(ctx, t);
	for (;;) {
		struct timeval tv = { .tv_sec = 5 };
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		SSL *ssl;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		ssl = SSL_new(ctx);
		if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1)
			SSL_shutdown(ssl);
		SSL_free(ssl);
		ERR_clear_error();
		close(fd);
	}
}
