/* Sealing private keys for etcd (seal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "error.h"
#include "fsutil.h"
#include "etcd/seal.h"

#define MAGIC "AKS1"
#define MAGIC_LEN 4
#define NONCE_LEN 12
#define TAG_LEN 16
#define AD_MAX 512

int seal_key_create(const char *path, char *err, size_t errlen)
{
	unsigned char key[SEAL_KEY_LEN];
	int r;

	if (RAND_bytes(key, sizeof(key)) != 1) {
		snprintf(err, errlen, "no random bytes from OpenSSL");
		return ACMED_ECRYPTO;
	}
	r = fs_write_path(path, key, sizeof(key), 0600, FS_NOREPLACE);
	explicit_bzero(key, sizeof(key));
	if (r == -EEXIST)
		snprintf(err, errlen, "%s exists: a cluster key is never replaced (every sealed "
				      "key in etcd needs it); remove it first if it is really unused",
			 path);
	else if (r < 0)
		snprintf(err, errlen, "%s: %s", path, acmed_strerror(r));
	return r;
}

int seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	ssize_t n;
	int r = 0;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = ACMED_ENOTREG;
		snprintf(err, errlen, "%s: not a regular file", path);
	} else if (st.st_mode & 077) {
		r = -EPERM;
		snprintf(err, errlen, "%s: readable by others (mode %04o): chmod 600 %s", path,
			 (unsigned)(st.st_mode & 07777), path);
	} else if (st.st_size != SEAL_KEY_LEN ||
		   (n = pread(fd, key, SEAL_KEY_LEN, 0)) != SEAL_KEY_LEN) {
		r = ACMED_ECORRUPT;
		snprintf(err, errlen, "%s: not a cluster key (%d bytes, made by 'acmectl cluster "
				      "init')", path, SEAL_KEY_LEN);
	}
	close(fd);
	return r;
}

/* The associated data of NAME's VERSION into AD: its length, or -EINVAL. */
static int make_ad(const char *name, unsigned long version, unsigned char *ad)
{
	int n = snprintf((char *)ad, AD_MAX, "acmed-key-v1%c%s%c%lu", 0, name, 0, version);

	return n < 0 || n >= AD_MAX ? -EINVAL : n;
}

/* Run AES-256-GCM one way (ENC 1: seal, 0: open) over IN into OUT. */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce,
	       const unsigned char *ad, int adlen, const unsigned char *in, int inlen,
	       unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, ok;

	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, ad, adlen) == 1 &&
	     (inlen == 0 || EVP_CipherUpdate(c, out, &n, in, inlen) == 1) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
	     EVP_CipherFinal_ex(c, out + (inlen ? n : 0), &fin) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : ACMED_ECRYPTO;
}

int seal_seal(const unsigned char key[SEAL_KEY_LEN], const char *name, unsigned long version,
	      const void *plain, size_t len, unsigned char **blob, size_t *bloblen)
{
	unsigned char ad[AD_MAX], *b;
	int adlen = make_ad(name, version, ad), r;
	size_t total = MAGIC_LEN + NONCE_LEN + len + TAG_LEN;

	if (adlen < 0 || len > (1u << 24))
		return -EINVAL;
	b = malloc(total);
	if (!b)
		return -ENOMEM;
	memcpy(b, MAGIC, MAGIC_LEN);
	r = RAND_bytes(b + MAGIC_LEN, NONCE_LEN) == 1 ? 0 : ACMED_ECRYPTO;
	if (r == 0)
		r = gcm(1, key, b + MAGIC_LEN, ad, adlen, plain, (int)len,
			b + MAGIC_LEN + NONCE_LEN, b + total - TAG_LEN);
	if (r < 0) {
		free(b);
		return r;
	}
	*blob = b;
	*bloblen = total;
	return 0;
}

int seal_open(const unsigned char key[SEAL_KEY_LEN], const char *name, unsigned long version,
	      const unsigned char *blob, size_t bloblen, unsigned char **plain, size_t *len)
{
	unsigned char ad[AD_MAX], tag[TAG_LEN], *p;
	int adlen = make_ad(name, version, ad), r;
	size_t n;

	if (adlen < 0)
		return -EINVAL;
	if (bloblen < MAGIC_LEN + NONCE_LEN + TAG_LEN || memcmp(blob, MAGIC, MAGIC_LEN) != 0 ||
	    bloblen > (1u << 24))
		return ACMED_ECORRUPT;
	n = bloblen - MAGIC_LEN - NONCE_LEN - TAG_LEN;
	p = malloc(n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(tag, blob + bloblen - TAG_LEN, TAG_LEN);
	r = gcm(0, key, blob + MAGIC_LEN, ad, adlen, blob + MAGIC_LEN + NONCE_LEN, (int)n, p, tag);
	if (r < 0) {
		explicit_bzero(p, n + 1);
		free(p);
		return r;
	}
	p[n] = '\0';
	*plain = p;
	*len = n;
	return 0;
}
