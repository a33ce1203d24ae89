/* certbot's credentials file for the dns-rfc2136 authenticator
 * (plugins/rfc2136.h):
 *
 *   dns_rfc2136_server = 192.0.2.1
 *   dns_rfc2136_port = 53
 *   dns_rfc2136_name = keyname.
 *   dns_rfc2136_secret = base64==
 *   dns_rfc2136_algorithm = HMAC-SHA512
 *   dns_rfc2136_sign_query = false
 *
 * Read by the daemon to check a request, and by the job that uses it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define RFC2136_PROPAGATION_DEFAULT 60 /* seconds; certbot's default */
#define RFC2136_PROPAGATION_MAX 3600
#define RFC2136_CREDS_MAX (64 * 1024)

struct rfc2136_creds {
	char *server;    /* an IPv4 or IPv6 address, as certbot requires */
	int port;        /* 53 unless given */
	char *key_name;  /* the TSIG key's name, fully qualified ("key.") */
	char *secret;    /* base64, as in BIND's key statement */
	char *algorithm; /* the DNS library's name: "hmac-sha512." */
	bool sign_query; /* sign the SOA and TXT queries too */
};

/* Parse the credentials TEXT read from FILENAME into C. Errors name the
 * file, line and key: "creds.ini:3: dns_rfc2136_port: ...". 0 or -EINVAL
 * (C is then cleared), -ENOMEM. */
int rfc2136_creds_parse(const char *text, const char *filename, struct rfc2136_creds *c,
			char *err, size_t errlen);

/* Read and parse the credentials file at PATH (absolute). It must be a
 * regular file owned by root (or by this process's user) that neither
 * group nor others may read or write. */
int rfc2136_creds_load(const char *path, struct rfc2136_creds *c, char *err, size_t errlen);

/* Wipe the secret and free everything; C may be all zeros. */
void rfc2136_creds_clear(struct rfc2136_creds *c);

