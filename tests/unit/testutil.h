/* Fixtures shared by the unit tests: temp directories, files, and keys and
 * certificates made with OpenSSL directly (not through the code under test). */
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "test.h"

#define UNUSED __attribute__((unused))

UNUSED static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Temp directories still to remove: also when a failed ASSERT exits. */
static char *tmpdirs[16];

UNUSED static void tmpdirs_cleanup(void)
{
	for (size_t i = 0; i < sizeof(tmpdirs) / sizeof(tmpdirs[0]); i++) {
		if (tmpdirs[i])
			nftw(tmpdirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(tmpdirs[i]);
		tmpdirs[i] = NULL;
	}
}

/* A fresh directory under /tmp, removed at exit if not before. */
UNUSED static char *tmpdir_make(void)
{
	static bool registered;
	char *d = strdup("/tmp/acmed-test-XXXXXX");
	size_t i = 0;

	ASSERT_NONNULL(d);
	ASSERT_NONNULL(mkdtemp(d));
	while (i < sizeof(tmpdirs) / sizeof(tmpdirs[0]) && tmpdirs[i])
		i++;
	ASSERT_TRUE(i < sizeof(tmpdirs) / sizeof(tmpdirs[0]));
	if (!registered)
		registered = atexit(tmpdirs_cleanup) == 0;
	tmpdirs[i] = strdup(d);
	return d;
}

/* rm -rf DIR now and free it. */
UNUSED static void tmpdir_remove(char *dir)
{
	for (size_t i = 0; i < sizeof(tmpdirs) / sizeof(tmpdirs[0]); i++) {
		if (tmpdirs[i] && strcmp(tmpdirs[i], dir) == 0) {
			free(tmpdirs[i]);
			tmpdirs[i] = NULL;
		}
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

UNUSED static char *path_join(const char *a, const char *b)
{
	char *s;

	ASSERT_TRUE(asprintf(&s, "%s/%s", a, b) > 0);
	return s;
}

UNUSED static void file_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ASSERT_NONNULL(f);
	ASSERT_INT_EQ(fputs(text, f) >= 0, 1);
	ASSERT_INT_EQ(fclose(f), 0);
}

/* Entries of DIR other than "." and "..", counted; NAMES_OUT, if not NULL,
 * gets them as one space-separated string (caller frees). */
UNUSED static int dir_count(const char *dir, char **names_out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names = strdup("");
	int n = 0;

	ASSERT_NONNULL(d);
	while ((e = readdir(d))) {
		char *s;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		ASSERT_TRUE(asprintf(&s, "%s%s ", names, e->d_name) > 0);
		free(names);
		names = s;
	}
	closedir(d);
	if (names_out)
		*names_out = names;
	else
		free(names);
	return n;
}

UNUSED static mode_t file_mode(const char *path)
{
	struct stat st;

	ASSERT_INT_EQ(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

UNUSED static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	ASSERT_NONNULL(k);
	return k;
}

UNUSED static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ASSERT_NONNULL(ext);
	ASSERT_INT_EQ(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for KEY's public half with subject CN, signed by ISSUER_KEY
 * under ISSUER (NULL: self-signed), valid from an hour ago for DAYS days.
 * CA adds basicConstraints CA:TRUE; SAN ("DNS:a,DNS:b") may be NULL. */
UNUSED static X509 *cert_make(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
			      bool ca, const char *san, long serial, long days)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(X509_set_version(x, 2), 1);
	ASSERT_INT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	ASSERT_INT_EQ(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
						 (const unsigned char *)cn, -1, -1, 0), 1);
	ASSERT_INT_EQ(X509_set_subject_name(x, name), 1);
	ASSERT_INT_EQ(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
	X509_NAME_free(name);
	ASSERT_NONNULL(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	ASSERT_NONNULL(X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL));
	ASSERT_INT_EQ(X509_set_pubkey(x, key), 1);
	if (ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	if (san)
		add_ext(x, issuer, NID_subject_alt_name, san);
	ASSERT_TRUE(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

/* The text a memory BIO holds, as a string the caller frees; frees B. */
UNUSED static char *bio_string(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	s = strndup(p, (size_t)n);
	BIO_free(b);
	return s;
}

UNUSED static char *cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());

	ASSERT_INT_EQ(PEM_write_bio_X509(b, x), 1);
	return bio_string(b);
}

UNUSED static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());

	ASSERT_INT_EQ(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	return bio_string(b);
}

UNUSED static char *str_concat(const char *a, const char *b)
{
	char *s;

	ASSERT_TRUE(asprintf(&s, "%s%s", a, b) > 0);
	return s;
}
