/* The checks a certificate passes before it is published (certcheck.h). */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certcheck.h"
#include "crypto.h"
#include "error.h"
#include "testutil.h"

/* A root, an intermediate it signed, and keys: the world each test builds
 * its leaf in. */
struct world {
	EVP_PKEY *rk, *ik, *lk;
	X509 *root, *inter;
	char *root_pem, *inter_pem, *key_pem;
};

static void world_make(struct world *w)
{
	w->rk = ec_key();
	w->ik = ec_key();
	w->lk = ec_key();
	w->root = cert_make(w->rk, "Test Root", NULL, NULL, true, NULL, 1, 3650);
	w->inter = cert_make(w->ik, "Test Intermediate", w->root, w->rk, true, NULL, 2, 365);
	w->root_pem = cert_pem(w->root);
	w->inter_pem = cert_pem(w->inter);
	w->key_pem = key_pem(w->lk);
}

static void world_free(struct world *w)
{
	X509_free(w->root);
	X509_free(w->inter);
	EVP_PKEY_free(w->rk);
	EVP_PKEY_free(w->ik);
	EVP_PKEY_free(w->lk);
	free(w->root_pem);
	free(w->inter_pem);
	free(w->key_pem);
}

/* A leaf for a.test and b.test, signed by the intermediate. */
static X509 *leaf_make(struct world *w)
{
	return cert_make(w->lk, "a.test", w->inter, w->ik, false, "DNS:a.test,DNS:b.test", 3, 90);
}

static char *const names[] = { "a.test", "B.test" };

static int run(const char *cert, const char *chain, const char *key, const char *roots,
	       time_t now, char *err, size_t errlen)
{
	struct certcheck c = { .cert = cert, .chain = chain, .key = key, .names = names,
			       .nnames = 2, .now = now, .roots = roots };

	err[0] = '\0';
	return certcheck_run(&c, err, errlen);
}

/* R == ACMED_EBADCERT and ERR holds WANT. */
#define ASSERT_REFUSED(r, err, want)                                                   \
	do {                                                                           \
		ASSERT_INT_EQ(r, ACMED_EBADCERT);                                      \
		TEST_CHECK(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);   \
	} while (0)

TEST(good_chain_passes_every_check)
{
	struct world w;
	X509 *leaf;
	char *l, *ir, err[512];

	world_make(&w);
	leaf = leaf_make(&w);
	l = cert_pem(leaf);
	ir = str_concat(w.inter_pem, w.root_pem);
	ASSERT_INT_EQ(run(l, w.inter_pem, w.key_pem, NULL, time(NULL), err, sizeof(err)), 0);
	/* With the root sent too, and checked against a bundle of it. */
	ASSERT_INT_EQ(run(l, ir, w.key_pem, w.root_pem, time(NULL), err, sizeof(err)), 0);
	/* The bundle may hold the intermediate one trusts. */
	ASSERT_INT_EQ(run(l, w.inter_pem, w.key_pem, w.inter_pem, time(NULL), err, sizeof(err)),
		      0);
	free(l);
	free(ir);
	X509_free(leaf);
	world_free(&w);
}

TEST(times)
{
	struct world w;
	X509 *leaf;
	char *l, err[512];
	time_t now = time(NULL);

	world_make(&w);
	leaf = leaf_make(&w);
	l = cert_pem(leaf);
	/* cert_make: notBefore an hour ago, notAfter in 90 days. */
	ASSERT_REFUSED(run(l, w.inter_pem, NULL, NULL, now + 91L * 86400, err, sizeof(err)), err,
		       "the certificate expired at");
	ASSERT_REFUSED(run(l, w.inter_pem, NULL, NULL, now - 2 * 3600, err, sizeof(err)), err,
		       "the certificate is not valid before");
	/* Within the skew: a CA clock a few minutes ahead. */
	ASSERT_INT_EQ(run(l, w.inter_pem, NULL, NULL, now - 3600 - CERTCHECK_SKEW + 5, err,
			  sizeof(err)), 0);
	/* Times not checked. */
	ASSERT_INT_EQ(run(l, w.inter_pem, NULL, NULL, 0, err, sizeof(err)), 0);
	/* An expired intermediate. */
	ASSERT_REFUSED(run(l, w.inter_pem, NULL, NULL, now + 366L * 86400, err, sizeof(err)), err,
		       "expired at");
	free(l);
	X509_free(leaf);
	world_free(&w);
}

TEST(a_ca_is_no_leaf)
{
	struct world w;
	X509 *leaf;
	char *l, err[512];

	world_make(&w);
	leaf = cert_make(w.lk, "a.test", w.inter, w.ik, true, "DNS:a.test,DNS:b.test", 3, 90);
	l = cert_pem(leaf);
	ASSERT_REFUSED(run(l, w.inter_pem, w.key_pem, NULL, time(NULL), err, sizeof(err)), err,
		       "is a CA certificate");
	free(l);
	X509_free(leaf);
	world_free(&w);
}

TEST(signatures_and_names_link)
{
	struct world w;
	EVP_PKEY *ok = ec_key();
	X509 *leaf, *other, *self;
	unsigned char *der = NULL;
	char *l, *o, *s, *bad, err[512];
	int n;

	world_make(&w);
	leaf = leaf_make(&w);
	l = cert_pem(leaf);
	/* The leaf sent as its own chain. */
	ASSERT_REFUSED(run(l, l, w.key_pem, NULL, time(NULL), err, sizeof(err)), err,
		       "is not issued by chain certificate 1");
	/* An intermediate of the same name but another key. */
	other = cert_make(ok, "Test Intermediate", w.root, w.rk, true, NULL, 9, 365);
	o = cert_pem(other);
	ASSERT_REFUSED(run(l, o, w.key_pem, NULL, time(NULL), err, sizeof(err)), err,
		       "does not verify with the key of chain certificate 1");
	/* A self-signed leaf sent as its own chain: it verifies, but is no CA. */
	self = cert_make(w.lk, "a.test", NULL, NULL, false, "DNS:a.test,DNS:b.test", 4, 90);
	s = cert_pem(self);
	ASSERT_REFUSED(run(s, s, w.key_pem, NULL, time(NULL), err, sizeof(err)), err,
		       "is not a CA certificate");
	/* One bit of the leaf's signature flipped. */
	n = i2d_X509(leaf, &der);
	ASSERT_TRUE(n > 10);
	der[n - 1] ^= 1;
	{
		const unsigned char *p = der;
		X509 *flipped = d2i_X509(NULL, &p, n);

		ASSERT_NONNULL(flipped);
		bad = cert_pem(flipped);
		X509_free(flipped);
	}
	ASSERT_REFUSED(run(bad, w.inter_pem, w.key_pem, NULL, time(NULL), err, sizeof(err)), err,
		       "signature of the certificate does not verify");
	/* A chain link further up: the intermediate, then a root that did not
	 * sign it. */
	{
		char *oi = str_concat(w.inter_pem, s);

		ASSERT_REFUSED(run(l, oi, w.key_pem, NULL, time(NULL), err, sizeof(err)), err,
			       "chain certificate 1 (Test Intermediate) is not issued by chain "
			       "certificate 2");
		free(oi);
	}
	OPENSSL_free(der);
	free(l);
	free(o);
	free(s);
	free(bad);
	X509_free(leaf);
	X509_free(other);
	X509_free(self);
	EVP_PKEY_free(ok);
	world_free(&w);
}

TEST(names_are_exactly_the_orders)
{
	struct world w;
	X509 *more, *fewer, *none;
	char *m, *f, *nn, err[512];

	world_make(&w);
	more = cert_make(w.lk, "a.test", w.inter, w.ik, false, "DNS:a.test,DNS:b.test,DNS:c.test",
			 3, 90);
	fewer = cert_make(w.lk, "a.test", w.inter, w.ik, false, "DNS:a.test", 3, 90);
	none = cert_make(w.lk, "a.test", w.inter, w.ik, false, NULL, 3, 90);
	m = cert_pem(more);
	f = cert_pem(fewer);
	nn = cert_pem(none);
	ASSERT_REFUSED(run(m, w.inter_pem, NULL, NULL, 0, err, sizeof(err)), err,
		       "names c.test, which was not asked for");
	ASSERT_REFUSED(run(f, w.inter_pem, NULL, NULL, 0, err, sizeof(err)), err,
		       "does not cover B.test");
	ASSERT_REFUSED(run(nn, w.inter_pem, NULL, NULL, 0, err, sizeof(err)), err,
		       "does not cover a.test");
	free(m);
	free(f);
	free(nn);
	X509_free(more);
	X509_free(fewer);
	X509_free(none);
	world_free(&w);
}

TEST(key_and_roots)
{
	struct world w, other;
	X509 *leaf;
	char *l, *okey, err[512];

	world_make(&w);
	world_make(&other);
	leaf = leaf_make(&w);
	l = cert_pem(leaf);
	okey = key_pem(other.lk);
	ASSERT_REFUSED(run(l, w.inter_pem, okey, NULL, 0, err, sizeof(err)), err,
		       "is for another key");
	ASSERT_REFUSED(run(l, w.inter_pem, w.key_pem, other.root_pem, 0, err, sizeof(err)), err,
		       "does not lead to a certificate in the issuer_bundle");
	ASSERT_REFUSED(run(l, w.inter_pem, w.key_pem, "junk", 0, err, sizeof(err)), err,
		       "issuer_bundle holds no certificates");
	free(l);
	free(okey);
	X509_free(leaf);
	world_free(&w);
	world_free(&other);
}

TEST(garbage)
{
	struct world w;
	X509 *leaf;
	char *l, *two, err[512];

	world_make(&w);
	leaf = leaf_make(&w);
	l = cert_pem(leaf);
	two = str_concat(l, l);
	ASSERT_REFUSED(run("junk", w.inter_pem, NULL, NULL, 0, err, sizeof(err)), err,
		       "not exactly one PEM certificate");
	ASSERT_REFUSED(run(two, w.inter_pem, NULL, NULL, 0, err, sizeof(err)), err,
		       "not exactly one PEM certificate");
	ASSERT_REFUSED(run(l, "", NULL, NULL, 0, err, sizeof(err)), err,
		       "the chain is not one or more PEM certificates");
	ASSERT_REFUSED(run(l, "junk", NULL, NULL, 0, err, sizeof(err)), err,
		       "the chain is not one or more PEM certificates");
	free(l);
	free(two);
	X509_free(leaf);
	world_free(&w);
}
