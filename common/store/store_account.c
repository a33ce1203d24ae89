/* The store's accounts: accounts/<host[:port]><path>/<id>/{key.pem,
 * account.json}. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "error.h"
#include "fsutil.h"
#include "jws.h"
#include "store/store_priv.h"
#include "util.h"

/* accounts/<host[:port]><path>, each component checked. */
char *store_account_server_dir(const char *server)
{
	const char *p = strstr(server, "://");
	char *dir, *tok, *save = NULL, *out = NULL;
	size_t used = 0;

	if (!p)
		return NULL;
	dir = strdup(p + 3);
	out = calloc(1, strlen(server) + 1);
	if (!dir || !out)
		goto fail;
	for (tok = strtok_r(dir, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!fs_name_ok(tok) || strchr(tok, '?') || strchr(tok, '#'))
			goto fail;
		used += (size_t)sprintf(out + used, "%s%s", used ? "/" : "", tok);
	}
	if (used == 0)
		goto fail;
	free(dir);
	return out;
fail:
	free(dir);
	free(out);
	return NULL;
}

void stored_account_clear(struct stored_account *a)
{
	free(a->id);
	free(a->url);
	free(a->email);
	EVP_PKEY_free(a->key);
	memset(a, 0, sizeof(*a));
}

/* The only subdirectory of DIRFD, or -ENOENT / -EEXIST. */
static int only_subdir(int dirfd, char **out)
{
	int r = -ENOENT;
	DIR *d = store_dir_stream(dirfd);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct stat st;

		/* d_type is DT_UNKNOWN on some file systems: ask then. */
		if (!fs_name_ok(e->d_name) ||
		    (e->d_type != DT_DIR &&
		     (e->d_type != DT_UNKNOWN ||
		      fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		      !S_ISDIR(st.st_mode))))
			continue;
		if (*out) {
			r = -EEXIST;
			FREE_AND_NULL(*out);
			break;
		}
		*out = strdup(e->d_name);
		r = *out ? 0 : -ENOMEM;
	}
	closedir(d);
	return r;
}

static int open_account_dir(struct store *s, const char *server, bool create, char **rel)
{
	char *sdir = store_account_server_dir(server);
	int r;

	if (!sdir)
		return -EINVAL;
	r = fs_open_dirs(s->accounts_fd, sdir, create, 0700);
	if (rel)
		*rel = sdir;
	else
		free(sdir);
	return r;
}

static int load(struct store *s, const char *server, const char *id, bool with_key,
		struct stored_account *a, char *err, size_t errlen)
{
	char *rel = NULL, *pick = NULL, *text = NULL, *path = NULL;
	struct json_object *info = NULL, *v;
	int sfd, afd = -1, r;

	memset(a, 0, sizeof(*a));
	sfd = open_account_dir(s, server, false, &rel);
	if (sfd < 0) {
		r = sfd == -EINVAL ? -EINVAL : -ENOENT;
		snprintf(err, errlen, "no account for %s", server);
		goto out;
	}
	if (!id) {
		r = only_subdir(sfd, &pick);
		if (r < 0) {
			snprintf(err, errlen,
				 r == -EEXIST ? "several accounts for %s in %s/accounts/%s"
					      : "no account for %s",
				 server, s->dir, rel);
			goto out;
		}
		id = pick;
	}
	if (!fs_name_ok(id)) {
		r = -EINVAL;
		snprintf(err, errlen, "account id '%s' is not valid", id);
		goto out;
	}
	afd = openat(sfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (afd < 0) {
		r = -errno;
		snprintf(err, errlen, "account %s for %s: %s", id, server, acmed_strerror(r));
		goto out;
	}
	if (asprintf(&path, "%s/accounts/%s/%s/key.pem", s->dir, rel, id) < 0)
		path = NULL;
	if (!with_key)
		r = faccessat(afd, "key.pem", F_OK, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	else if ((r = fs_read_fileat(afd, "key.pem", PEM_MAX, &text, NULL)) == 0)
		r = crypto_key_from_pem(text, strlen(text), &a->key);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path ? path : "key.pem",
			 r == -EINVAL ? "not a private key" : acmed_strerror(r));
		goto out;
	}
	a->id = strdup(id);
	if (text)
		OPENSSL_cleanse(text, strlen(text));
	FREE_AND_NULL(text);
	/* A missing account.json is recoverable: the CA finds the account by key. */
	if (fs_read_fileat(afd, "account.json", PEM_MAX, &text, NULL) == 0) {
		info = json_tokener_parse(text);
		if (json_object_object_get_ex(info, "url", &v) &&
		    json_object_is_type(v, json_type_string))
			a->url = strdup(json_object_get_string(v));
		if (json_object_object_get_ex(info, "email", &v) &&
		    json_object_is_type(v, json_type_string))
			a->email = strdup(json_object_get_string(v));
	}
	r = a->id ? 0 : -ENOMEM;
out:
	if (r < 0)
		stored_account_clear(a);
	if (text)
		OPENSSL_cleanse(text, strlen(text));
	json_object_put(info);
	free(text);
	free(path);
	free(pick);
	free(rel);
	if (afd >= 0)
		close(afd);
	if (sfd >= 0)
		close(sfd);
	return r;
}

int store_account_load(struct store *s, const char *server, const char *id,
		       struct stored_account *a, char *err, size_t errlen)
{
	return load(s, server, id, true, a, err, errlen);
}

int store_account_load_info(struct store *s, const char *server, const char *id,
			    struct stored_account *a, char *err, size_t errlen)
{
	return load(s, server, id, false, a, err, errlen);
}

int store_account_find(struct store *s, const char *server, char **id)
{
	int sfd = open_account_dir(s, server, false, NULL), r;

	if (sfd < 0)
		return sfd == -EINVAL ? -EINVAL : -ENOENT;
	*id = NULL;
	r = only_subdir(sfd, id);
	close(sfd);
	return r;
}

/* Account id: hex of the first 16 bytes of SHA-256 over the thumbprint. */
static char *account_id(EVP_PKEY *key)
{
	struct signer *sg = NULL;
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *id = malloc(33);

	if (!id || !EVP_PKEY_up_ref(key))
		goto fail;
	if (signer_new(key, &sg) < 0) {
		EVP_PKEY_free(key);
		goto fail;
	}
	SHA256((const unsigned char *)signer_thumbprint(sg), strlen(signer_thumbprint(sg)), d);
	for (int i = 0; i < 16; i++)
		sprintf(id + 2 * i, "%02x", d[i]);
	signer_free(sg);
	return id;
fail:
	free(id);
	return NULL;
}

char *store_account_key_id(EVP_PKEY *key)
{
	return account_id(key);
}

int store_account_save_key(struct store *s, const char *server, struct stored_account *a)
{
	char *pem = NULL;
	size_t len = 0;
	int sfd, afd = -1, r;

	sfd = open_account_dir(s, server, true, NULL);
	if (sfd < 0)
		return sfd;
	free(a->id);
	a->id = account_id(a->key);
	r = a->id ? 0 : -ENOMEM;
	if (r == 0 && mkdirat(sfd, a->id, 0700) < 0)
		r = -errno;
	if (r == 0 && (afd = openat(sfd, a->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = -errno;
	if (r == 0)
		r = crypto_key_to_pem(a->key, &pem, &len);
	if (r == 0)
		r = fs_write_durable(afd, "key.pem", pem, len, 0600, FS_NOREPLACE);
	if (r == 0)
		r = fs_fsync_dir(sfd);
	if (pem)
		OPENSSL_cleanse(pem, len);
	free(pem);
	if (afd >= 0)
		close(afd);
	close(sfd);
	return r;
}

char *store_account_info_text(const char *server, const struct stored_account *a)
{
	struct json_object *o = json_object_new_object();
	char *text;

	if (!o)
		return NULL;
	json_object_object_add(o, "url", json_object_new_string(a->url));
	json_object_object_add(o, "server", json_object_new_string(server));
	if (a->email)
		json_object_object_add(o, "email", json_object_new_string(a->email));
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

int store_account_save_info(struct store *s, const char *server, const struct stored_account *a)
{
	char *text = store_account_info_text(server, a);
	int sfd, afd = -1, r = -ENOMEM;

	if (!text)
		return -ENOMEM;
	sfd = open_account_dir(s, server, false, NULL);
	if (sfd < 0) {
		r = sfd;
		goto out;
	}
	afd = openat(sfd, a->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = afd < 0 ? -errno : fs_write_durable(afd, "account.json", text, strlen(text), 0644, 0);
	if (afd >= 0)
		close(afd);
	close(sfd);
out:
	free(text);
	return r;
}

/* accounts/SERVER/ID as a directory fd, or -errno. */
static int open_account_id(struct store *s, const char *server, const char *id)
{
	int sfd, afd;

	if (!fs_name_ok(id))
		return -EINVAL;
	sfd = open_account_dir(s, server, false, NULL);
	if (sfd < 0)
		return sfd;
	afd = openat(sfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(sfd);
	return afd < 0 ? -errno : afd;
}

int store_account_rollover_begin(struct store *s, const char *server, const char *id,
				 EVP_PKEY *new_key)
{
	char *pem = NULL;
	size_t len = 0;
	int afd = open_account_id(s, server, id), r;

	if (afd < 0)
		return afd;
	r = crypto_key_to_pem(new_key, &pem, &len);
	if (r == 0)
		r = fs_write_durable(afd, "key.next.pem", pem, len, 0600, FS_NOREPLACE);
	if (pem)
		OPENSSL_cleanse(pem, len);
	free(pem);
	close(afd);
	return r;
}

int store_account_rollover_commit(struct store *s, const char *server, const char *id)
{
	char old[64];
	int afd = open_account_id(s, server, id), r = 0;

	if (afd < 0)
		return afd;
	/* Without a next key there is nothing to commit: keep key.pem. */
	if (faccessat(afd, "key.next.pem", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		close(afd);
		return r;
	}
	snprintf(old, sizeof(old), "key.replaced-%lld.pem", (long long)time(NULL));
	/* The old key is kept, never overwritten; then the new one takes its
	 * name. A crash between the two leaves key.next.pem and no key.pem,
	 * which the next start finishes (store_account_next_key()). */
	if (renameat2(afd, "key.pem", afd, old, RENAME_NOREPLACE) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0 && renameat(afd, "key.next.pem", afd, "key.pem") < 0)
		r = -errno;
	if (r == 0)
		r = fs_fsync_dir(afd);
	close(afd);
	return r;
}

int store_account_rollover_abort(struct store *s, const char *server, const char *id)
{
	int afd = open_account_id(s, server, id), r = 0;

	if (afd < 0)
		return afd;
	if (unlinkat(afd, "key.next.pem", 0) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0)
		r = fs_fsync_dir(afd);
	close(afd);
	return r;
}

int store_account_next_key(struct store *s, const char *server, const char *id, EVP_PKEY **key)
{
	char *text = NULL;
	size_t len = 0;
	int afd = open_account_id(s, server, id), r;

	if (afd < 0)
		return afd;
	r = fs_read_fileat(afd, "key.next.pem", PEM_MAX, &text, &len);
	if (r == 0)
		r = crypto_key_from_pem(text, len, key);
	if (text)
		OPENSSL_cleanse(text, len);
	free(text);
	close(afd);
	return r;
}

bool store_account_has_next_key(struct store *s, const char *server, const char *id)
{
	int afd = open_account_id(s, server, id);
	bool there;

	if (afd < 0)
		return false;
	there = faccessat(afd, "key.next.pem", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	close(afd);
	return there;
}

int store_account_retire(struct store *s, const char *server, const char *id)
{
	char aside[300];
	int sfd = fs_name_ok(id) ? open_account_dir(s, server, false, NULL) : -EINVAL, r = 0;

	if (sfd < 0)
		return sfd;
	snprintf(aside, sizeof(aside), ".deactivated-%s", id);
	if (renameat2(sfd, id, sfd, aside, RENAME_NOREPLACE) < 0)
		r = -errno;
	if (r == 0)
		r = fs_fsync_dir(sfd);
	close(sfd);
	return r;
}

bool store_account_exists(struct store *s, const char *server, const char *id)
{
	int afd = open_account_id(s, server, id);

	if (afd < 0)
		return false;
	close(afd);
	return true;
}
