/* Private keys sealed for etcd (cluster mode, docs/cluster.md): AES-256-GCM
 * under the cluster key, a random 12-byte nonce per blob, and the lineage's
 * name and version as associated data, so a blob opens only as the version
 * it was sealed for. Blob format (v1):
 *
 *     "AKS1" | nonce (12 bytes) | ciphertext | tag (16 bytes)
 *
 * Associated data: "acmed-key-v1" NUL NAME NUL VERSION (decimal). */
#pragma once

#include <stddef.h>

#define SEAL_KEY_LEN 32

/* Write 32 fresh random bytes to PATH (mode 0600, durably), refusing to
 * replace an existing file: -EEXIST. ERR says what failed and where. */
int seal_key_create(const char *path, char *err, size_t errlen);
/* Read the cluster key from PATH: a regular file of exactly 32 bytes that
 * no one but its owner can read. ACMED_ECORRUPT for a file of another
 * size, -EPERM for one that group or others can read. */
int seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *err, size_t errlen);

/* Seal LEN bytes of PLAIN as version VERSION of lineage NAME: *BLOB (caller
 * frees, *BLOBLEN bytes). -ENOMEM, ACMED_ECRYPTO. */
int seal_seal(const unsigned char key[SEAL_KEY_LEN], const char *name, unsigned long version,
	      const void *plain, size_t len, unsigned char **blob, size_t *bloblen);
/* Open BLOB as version VERSION of lineage NAME: *PLAIN (caller frees; LEN
 * bytes and a '\0'). ACMED_ECORRUPT for what is not a v1 blob,
 * ACMED_ECRYPTO when it does not open: another key, another lineage or
 * version, or altered. */
int seal_open(const unsigned char key[SEAL_KEY_LEN], const char *name, unsigned long version,
	      const unsigned char *blob, size_t bloblen, unsigned char **plain, size_t *len);
