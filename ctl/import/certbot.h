/* certbot's renewal settings mapped onto acmed's (acmectl import-certbot).
 * Only what acmed does the same way is carried over; every other setting is
 * either listed as a note (the lineage is imported without it) or is the
 * reason the lineage is skipped. Nothing is guessed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ctl/import/cbconf.h"
#include "store/renewal.h"

/* Let's Encrypt's ACME v2 directory: certbot's default server, and where it
 * sends renewal files that still name the retired v1 endpoint. */
#define CERTBOT_DEFAULT_SERVER "https://acme-v02.api.letsencrypt.org/directory"

struct certbot_lineage {
	/* The top-level paths certbot keeps: archive_dir and the live links. */
	char *archive_dir;
	char *live[4]; /* privkey, cert, chain, fullchain (store_kinds order) */
	char *account;  /* certbot's account id */
	/* acmed's settings: name, server, authenticator, key, reuse_key, hooks,
	 * renew_before, preferred_chain. Domains and the acmed account id are
	 * filled in by the caller (from the certificate and the imported key). */
	struct renewal r;
	bool key_type_given; /* else the key type is that of the current key */
	char *webroot_default; /* webroot_path's last entry: for unmapped domains */
	char **notes;          /* settings not carried over, one sentence each */
	size_t nnotes;
};

void certbot_lineage_clear(struct certbot_lineage *l);

/* Map the parsed renewal file ROOT (read from FILE) of lineage NAME into
 * *OUT. 0: importable (perhaps with notes); -ENOTSUP: not importable, the
 * reason in WHY; -EINVAL: a malformed setting, "FILE:LINE: ..." in WHY;
 * -ENOMEM. *OUT is cleared on error. */
int certbot_map(const struct cbconf_section *root, const char *file, const char *name,
		struct certbot_lineage *out, char *why, size_t whylen);

/* Fill in the webroot of every one of the DOMAINS that [[webroot_map]] does
 * not name with webroot_path's last entry, as certbot's webroot plugin
 * does. -ENOTSUP with WHY naming the domain if there is none. An nginx
 * lineage gets NGINX_WEBROOT (STATE/nginx/webroot) for every domain. */
int certbot_complete_webroots(struct certbot_lineage *l, char *const *domains, size_t n,
			      const char *nginx_webroot, char *why, size_t whylen);

/* certbot's renew_before_expiry ("30 days", "2 weeks 3 days", "12 hours",
 * a bare number of days) in seconds. -EINVAL for text it cannot read, and
 * for months and years (whose length depends on the date). */
int certbot_parse_interval(const char *text, long *seconds);
