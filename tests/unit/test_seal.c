/* Sealed private keys (common/etcd/seal.c): a blob opens only as the
 * lineage and version it was sealed for, with the key it was sealed with,
 * unaltered; the cluster key file is made once, 0600, never replaced. */
#include <sys/stat.h>

#include "error.h"
#include "etcd/seal.h"

#include "testutil.h"

static const char pem[] = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG...\n"
			  "-----END PRIVATE KEY-----\n";

static void key_of(unsigned char k[SEAL_KEY_LEN], unsigned char fill)
{
	memset(k, fill, SEAL_KEY_LEN);
}

static void seal(const unsigned char *k, const char *name, unsigned long v, unsigned char **b,
		 size_t *n)
{
	ASSERT_EQ(seal_seal(k, name, v, pem, strlen(pem), b, n), 0);
}

TEST(round_trip)
{
	unsigned char k[SEAL_KEY_LEN], *b, *b2, *p;
	size_t n, n2, len;

	key_of(k, 7);
	seal(k, "example.com", 3, &b, &n);
	ASSERT_EQ(n, 4 + 12 + strlen(pem) + 16);
	ASSERT_TRUE(memcmp(b, "AKS1", 4) == 0);
	ASSERT_TRUE(memmem(b, n, "PRIVATE KEY", 11) == NULL);
	ASSERT_EQ(seal_open(k, "example.com", 3, b, n, &p, &len), 0);
	ASSERT_EQ(len, strlen(pem));
	ASSERT_STR_EQ((char *)p, pem);
	free(p);
	/* A fresh nonce each time: the same key sealed twice differs. */
	seal(k, "example.com", 3, &b2, &n2);
	ASSERT_TRUE(n == n2 && memcmp(b, b2, n) != 0);
	free(b);
	free(b2);
	/* Nothing to seal is still a blob. */
	ASSERT_EQ(seal_seal(k, "e", 1, "", 0, &b, &n), 0);
	ASSERT_EQ(seal_open(k, "e", 1, b, n, &p, &len), 0);
	ASSERT_EQ(len, 0);
	free(p);
	free(b);
}

TEST(moved_blob_fails)
{
	unsigned char k[SEAL_KEY_LEN], *b, *p = NULL;
	size_t n, len;

	key_of(k, 7);
	seal(k, "example.com", 3, &b, &n);
	ASSERT_EQ(seal_open(k, "example.org", 3, b, n, &p, &len), ACMED_ECRYPTO);
	ASSERT_EQ(seal_open(k, "example.com", 4, b, n, &p, &len), ACMED_ECRYPTO);
	/* The NUL between name and version: "a" 12 is not "a1" 2. */
	free(b);
	seal(k, "a", 12, &b, &n);
	ASSERT_EQ(seal_open(k, "a1", 2, b, n, &p, &len), ACMED_ECRYPTO);
	ASSERT_TRUE(p == NULL);
	free(b);
}

TEST(flipped_bit_fails)
{
	unsigned char k[SEAL_KEY_LEN], *b, *p = NULL;
	size_t n, len;

	key_of(k, 7);
	seal(k, "example.com", 3, &b, &n);
	for (size_t i = 4; i < n; i += 7) {
		b[i] ^= 0x10;
		ASSERT_EQ(seal_open(k, "example.com", 3, b, n, &p, &len), ACMED_ECRYPTO);
		b[i] ^= 0x10;
	}
	ASSERT_EQ(seal_open(k, "example.com", 3, b, n - 1, &p, &len), ACMED_ECRYPTO);
	b[0] = 'X';
	ASSERT_EQ(seal_open(k, "example.com", 3, b, n, &p, &len), ACMED_ECORRUPT);
	ASSERT_EQ(seal_open(k, "example.com", 3, b, 20, &p, &len), ACMED_ECORRUPT);
	free(b);
}

TEST(wrong_key_fails)
{
	unsigned char k[SEAL_KEY_LEN], other[SEAL_KEY_LEN], *b, *p = NULL;
	size_t n, len;

	key_of(k, 7);
	key_of(other, 7);
	other[31] ^= 1;
	seal(k, "example.com", 3, &b, &n);
	ASSERT_EQ(seal_open(other, "example.com", 3, b, n, &p, &len), ACMED_ECRYPTO);
	free(b);
}

TEST(key_file)
{
	char *dir = tmpdir_make(), *path = path_join(dir, "cluster.key"), err[512];
	unsigned char k[SEAL_KEY_LEN], again[SEAL_KEY_LEN];
	struct stat st;

	ASSERT_EQ(seal_key_create(path, err, sizeof(err)), 0);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(st.st_size, SEAL_KEY_LEN);
	ASSERT_EQ(seal_key_load(path, k, err, sizeof(err)), 0);
	/* Never replaced. */
	ASSERT_EQ(seal_key_create(path, err, sizeof(err)), -EEXIST);
	ASSERT_STR_CONTAINS(err, "exists");
	ASSERT_EQ(seal_key_load(path, again, err, sizeof(err)), 0);
	ASSERT_TRUE(memcmp(k, again, SEAL_KEY_LEN) == 0);
	/* Readable by others, or of the wrong size: refused. */
	ASSERT_EQ(chmod(path, 0644), 0);
	ASSERT_EQ(seal_key_load(path, k, err, sizeof(err)), -EPERM);
	ASSERT_STR_CONTAINS(err, "chmod 600");
	unlink(path);
	file_write(path, "short");
	ASSERT_EQ(chmod(path, 0600), 0);
	ASSERT_EQ(seal_key_load(path, k, err, sizeof(err)), ACMED_ECORRUPT);
	free(path);
	tmpdir_remove(dir);
}
