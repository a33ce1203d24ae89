/* renewal/NAME.conf: everything needed to renew a lineage without the
 * original command line, in libconfig syntax. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "crypto.h"

struct webroot_entry {
	char *domain;
	char *path;
};

/* The authenticator and its options, as saved for renewals. */
struct authn_config {
	char *name; /* "webroot" or "standalone" */
	struct webroot_entry *webroot;
	size_t nwebroot;
	char *http01_address; /* standalone; NULL = all addresses */
	int http01_port;      /* standalone; 0 = 80 */
};

struct renewal {
	char *name;
	char **domains;
	size_t ndomains;
	char *server;
	char *account; /* account id under accounts/<server>/ */
	struct authn_config authn;
	struct key_spec key;
	bool reuse_key;
	char *preferred_chain;
};

void authn_config_clear(struct authn_config *a);
int authn_config_copy(const struct authn_config *src, struct authn_config *dst);
/* The webroot for DOMAIN, or NULL. */
const char *authn_webroot_for(const struct authn_config *a, const char *domain);

void renewal_clear(struct renewal *r);

/* Serialise R; *text is caller-freed. */
int renewal_format(const struct renewal *r, char **text);

/* Parse TEXT read from FILENAME. Errors name the file, line and setting:
 * "renewal/a.conf:4: domains: must be a list of strings". -EINVAL or -ENOMEM. */
int renewal_parse(const char *text, const char *filename, struct renewal *r, char *err,
		  size_t errlen);

#define RENEW_BEFORE_DEFAULT (30L * 86400)

/* When a certificate valid from NOT_BEFORE to NOT_AFTER is due for renewal:
 * NOT_AFTER - RENEW_BEFORE, but never earlier than a third of the lifetime
 * before expiry (half for lifetimes under 10 days), so short-lived
 * certificates do not renew in a loop. */
long renewal_due(long not_before, long not_after, long renew_before);
