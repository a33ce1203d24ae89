/* certbot's credentials file for the dns-rfc2136 authenticator
 * (rfc2136.h): a small, strict reader of its "key = value" lines. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "rfc2136_creds.h"
#include "util.h"

void rfc2136_creds_clear(struct rfc2136_creds *c)
{
	free(c->server);
	free(c->key_name);
	if (c->secret)
		OPENSSL_cleanse(c->secret, strlen(c->secret));
	free(c->secret);
	free(c->algorithm);
	memset(c, 0, sizeof(*c));
}

/* certbot's names, and ldns's. ldns 1.8 has no HMAC-SHA224, and a typo in
 * its table ("hmac-shac384.") leaves it without HMAC-SHA384 too. */
static const struct {
	const char *name, *ldns;
} algorithms[] = {
	{ "HMAC-MD5", "hmac-md5.sig-alg.reg.int." },
	{ "HMAC-SHA1", "hmac-sha1." },
	{ "HMAC-SHA256", "hmac-sha256." },
	{ "HMAC-SHA512", "hmac-sha512." },
};

static bool base64_ok(const char *s)
{
	size_t n = 0, pad = 0;

	for (; *s; s++, n++) {
		if (*s == '=') {
			pad++;
		} else if (pad || !(isalnum((unsigned char)*s) || *s == '+' || *s == '/')) {
			return false;
		}
	}
	return n > 0 && n % 4 == 0 && pad <= 2;
}

static bool dname_ok(const char *s)
{
	size_t label = 0, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.')
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0 && s[1])
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* configobj's booleans. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* One "key = value" line: KEY and VALUE point into LINE, trimmed, quotes
 * and a trailing comment removed. 1 for a setting, 0 for a blank or
 * comment line, -EINVAL. */
static int split_line(char *line, char **key, char **value)
{
	char *eq, *end, *v;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#' || *line == ';')
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return -EINVAL;
	for (end = eq; end > line && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	v = eq + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '"' || *v == '\'') {
		char *close = strchr(v + 1, *v);

		if (!close)
			return -EINVAL;
		*close = '\0';
		for (char *t = close + 1; *t; t++)
			if (*t == '#')
				break;
			else if (*t != ' ' && *t != '\t')
				return -EINVAL;
		v++;
	} else {
		char *hash = strstr(v, " #");

		if (hash)
			*hash = '\0';
		for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
	}
	*key = line;
	*value = v;
	return **key ? 1 : -EINVAL;
}

enum { K_SERVER, K_PORT, K_NAME, K_SECRET, K_ALGORITHM, K_SIGN_QUERY, K__MAX };
static const char *const key_names[] = {
	[K_SERVER] = "dns_rfc2136_server",       [K_PORT] = "dns_rfc2136_port",
	[K_NAME] = "dns_rfc2136_name",           [K_SECRET] = "dns_rfc2136_secret",
	[K_ALGORITHM] = "dns_rfc2136_algorithm", [K_SIGN_QUERY] = "dns_rfc2136_sign_query",
};
_Static_assert(ELEMENTSOF(key_names) == K__MAX, "a name for every key");

/* Check VALUE for setting K and store it in C. */
static int set_key(struct rfc2136_creds *c, int k, const char *v, char *why, size_t len)
{
	unsigned char addr[16];
	char *end;
	long port;

	switch (k) {
	case K_SERVER:
		if (inet_pton(AF_INET, v, addr) != 1 && inet_pton(AF_INET6, v, addr) != 1) {
			snprintf(why, len, "'%s' is not an IP address (give the server's address, "
					   "not its name)", v);
			return -EINVAL;
		}
		c->server = strdup(v);
		return c->server ? 0 : -ENOMEM;
	case K_PORT:
		errno = 0;
		port = strtol(v, &end, 10);
		if (!*v || *end || errno || port < 1 || port > 65535) {
			snprintf(why, len, "'%s' is not a port number (1 to 65535)", v);
			return -EINVAL;
		}
		c->port = (int)port;
		return 0;
	case K_NAME:
		if (!dname_ok(v)) {
			snprintf(why, len, "'%s' is not a key name", v);
			return -EINVAL;
		}
		return asprintf(&c->key_name, "%s%s", v, v[strlen(v) - 1] == '.' ? "" : ".") < 0
			       ? -ENOMEM : 0;
	case K_SECRET:
		if (!base64_ok(v)) {
			snprintf(why, len, "is not base64 (the secret of BIND's key statement)");
			return -EINVAL;
		}
		c->secret = strdup(v);
		return c->secret ? 0 : -ENOMEM;
	case K_ALGORITHM:
		for (size_t i = 0; i < ELEMENTSOF(algorithms); i++)
			if (strcasecmp(v, algorithms[i].name) == 0) {
				c->algorithm = strdup(algorithms[i].ldns);
				return c->algorithm ? 0 : -ENOMEM;
			}
		snprintf(why, len, "'%s' is not supported: use HMAC-SHA512, HMAC-SHA256, HMAC-SHA1 "
				   "or HMAC-MD5", v);
		return -EINVAL;
	case K_SIGN_QUERY:
		if (parse_bool(v, &c->sign_query) < 0) {
			snprintf(why, len, "'%s' is not true or false", v);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

int rfc2136_creds_parse(const char *text, const char *filename, struct rfc2136_creds *c,
			char *err, size_t errlen)
{
	char *copy = strdup(text), why[256];
	int lineno = 0, r = 0, seen[K__MAX] = { 0 };

	memset(c, 0, sizeof(*c));
	c->port = 53;
	if (!copy)
		return -ENOMEM;
	/* strtok_r would skip empty lines and get the numbers wrong. */
	for (char *line = copy, *next; r == 0 && line; line = next) {
		char *key, *value;
		int k = -1, s;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		s = split_line(line, &key, &value);
		if (s < 0) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'", filename, lineno);
			r = -EINVAL;
		}
		if (s <= 0)
			continue;
		for (int i = 0; i < K__MAX; i++)
			if (streq(key, key_names[i]))
				k = i;
		if (k < 0) {
			/* The file may hold other settings; a misspelt one of ours is an
			 * error, not a silent default. */
			if (strncmp(key, "dns_rfc2136_", 12) == 0) {
				snprintf(err, errlen, "%s:%d: %s: unknown setting", filename, lineno,
					 key);
				r = -EINVAL;
			}
			continue;
		}
		if (seen[k]) {
			snprintf(err, errlen, "%s:%d: %s: given twice (first on line %d)", filename,
				 lineno, key, seen[k]);
			r = -EINVAL;
			continue;
		}
		seen[k] = lineno;
		why[0] = '\0';
		r = set_key(c, k, value, why, sizeof(why));
		if (r == -EINVAL)
			snprintf(err, errlen, "%s:%d: %s: %s", filename, lineno, key, why);
	}
	if (copy) {
		OPENSSL_cleanse(copy, strlen(text));
		free(copy);
	}
	for (int k = K_SERVER; r == 0 && k <= K_SECRET; k++) {
		if (k == K_PORT || seen[k])
			continue;
		snprintf(err, errlen, "%s: %s is missing", filename, key_names[k]);
		r = -EINVAL;
	}
	if (r == 0 && !c->algorithm && !(c->algorithm = strdup(algorithms[0].ldns)))
		r = -ENOMEM;
	if (r < 0)
		rfc2136_creds_clear(c);
	return r;
}

int rfc2136_creds_load(const char *path, struct rfc2136_creds *c, char *err, size_t errlen)
{
	char *text = NULL;
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	memset(c, 0, sizeof(*c));
	if (path[0] != '/') {
		snprintf(err, errlen, "credentials file %s: give an absolute path", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "credentials file %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "credentials file %s: %s", path, strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "credentials file %s is not a regular file", path);
		r = -EINVAL;
	} else if (st.st_mode & 077) {
		/* certbot only warns; a TSIG key that can change the zone is worth
		 * refusing for. */
		snprintf(err, errlen, "credentials file %s may be read or written by others "
				      "(mode %04o): run chmod 600 %s", path,
			 (unsigned)(st.st_mode & 07777), path);
		r = -EPERM;
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "credentials file %s is owned by uid %u: it must be root's",
			 path, (unsigned)st.st_uid);
		r = -EPERM;
	} else if (st.st_size > RFC2136_CREDS_MAX) {
		snprintf(err, errlen, "credentials file %s is larger than %d bytes", path,
			 RFC2136_CREDS_MAX);
		r = -EFBIG;
	} else if (!(text = calloc(1, (size_t)st.st_size + 1))) {
		r = -ENOMEM;
	} else {
		n = read(fd, text, (size_t)st.st_size);
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "credentials file %s: %s", path, strerror(-r));
		} else {
			text[n] = '\0';
			if (strlen(text) != (size_t)n) {
				snprintf(err, errlen, "credentials file %s holds a NUL byte", path);
				r = -EINVAL;
			} else {
				r = rfc2136_creds_parse(text, path, c, err, errlen);
			}
		}
		OPENSSL_cleanse(text, (size_t)st.st_size);
	}
	free(text);
	close(fd);
	return r;
}
