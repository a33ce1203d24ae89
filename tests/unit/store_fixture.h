/* The lineage store's tests (test_store.c, test_store_recover.c): a fresh
 * temp state directory and what they check in it. */
#pragma once

#include <sys/file.h>

#include "crypto.h"
#include "error.h"
#include "log.h"
#include "store/store.h"
#include "util.h"

#include "testutil.h"

#define NAME "example.com"
#define SERVER "https://acme.example:14000/dir"

struct fixture {
	char *tmp;   /* removed at the end */
	char *state; /* TMP/state */
	struct store *s;
};

static inline struct fixture fixture_open(void)
{
	struct fixture f = { tmpdir_make(), NULL, NULL };

	umask(022);
	log_set_level(LOG_LVL_ERROR); /* recovery warns; expected here */
	f.state = path_join(f.tmp, "state");
	ASSERT_INT_EQ(store_open(f.state, true, &f.s), 0);
	return f;
}

static inline void fixture_close(struct fixture *f)
{
	store_close(f->s);
	free(f->state);
	tmpdir_remove(f->tmp);
}

static inline char *fpath(struct fixture *f, const char *rel)
{
	return path_join(f->state, rel);
}

/* A version as a CA would issue it: a leaf for a new key, signed by a fresh
 * self-signed CA that is the chain. */
static inline struct version_pems make_version(void)
{
	EVP_PKEY *ca = ec_key(), *k = ec_key();
	X509 *cax = cert_make(ca, "Test CA", NULL, NULL, true, NULL, 1, 365);
	X509 *leaf = cert_make(k, NAME, cax, ca, false, "DNS:" NAME ",DNS:www." NAME, 2, 90);
	struct version_pems v = { cert_pem(leaf), cert_pem(cax), NULL, key_pem(k) };

	v.fullchain = str_concat(v.cert, v.chain);
	X509_free(cax);
	X509_free(leaf);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(k);
	return v;
}

static inline char *link_at(struct fixture *f, const char *rel)
{
	char *p = fpath(f, rel), buf[512];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);

	free(p);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static inline bool exists(struct fixture *f, const char *rel)
{
	char *p = fpath(f, rel);
	bool r = access(p, F_OK) == 0;

	free(p);
	return r;
}

static inline mode_t mode_of(struct fixture *f, const char *rel)
{
	char *p = fpath(f, rel);
	mode_t m = file_mode(p);

	free(p);
	return m;
}

/* All four live links point at version N, relatively. */
static inline void check_links(struct fixture *f, int n)
{
	static const char *const kinds[] = { "cert", "chain", "fullchain", "privkey" };
	int v = -1;

	for (size_t i = 0; i < 4; i++) {
		char rel[64], want[128], *got;

		snprintf(rel, sizeof(rel), "live/" NAME "/%s.pem", kinds[i]);
		snprintf(want, sizeof(want), "../../archive/" NAME "/%s%d.pem", kinds[i], n);
		got = link_at(f, rel);
		ASSERT_STR_EQ(got, want);
		free(got);
	}
	ASSERT_INT_EQ(store_live_version(f->s, NAME, &v), 0);
	ASSERT_INT_EQ(v, n);
}

static inline void check_same(const struct version_pems *a, const struct version_pems *b)
{
	ASSERT_STR_EQ(a->cert, b->cert);
	ASSERT_STR_EQ(a->chain, b->chain);
	ASSERT_STR_EQ(a->fullchain, b->fullchain);
	ASSERT_STR_EQ(a->privkey, b->privkey);
}

static inline int publish(struct fixture *f, const struct version_pems *v, char *err,
			  size_t errlen)
{
	int version = -1, r;

	err[0] = '\0';
	r = store_publish(f->s, NAME, v, &version, err, errlen);
	return r < 0 ? r : version;
}

static inline void write_version_by_hand(struct fixture *f, int n,
					 const struct version_pems *v)
{
	const char *const kinds[] = { "cert", "chain", "fullchain", "privkey" };
	const char *const pems[] = { v->cert, v->chain, v->fullchain, v->privkey };

	for (int i = 0; i < 4; i++) {
		char rel[128], *p;

		snprintf(rel, sizeof(rel), "archive/" NAME "/%s%d.pem", kinds[i], n);
		p = fpath(f, rel);
		file_write(p, pems[i]);
		free(p);
	}
}

static inline void write_intent(struct fixture *f, const char *text)
{
	char *p = fpath(f, "archive/" NAME "/.intent");

	file_write(p, text);
	free(p);
}
