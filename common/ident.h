/* ACME identifiers as users type them: DNS names (RFC 8555 section 7.1.4)
 * and IP addresses (RFC 8738). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define IDENT_MAX 254

/* True if S is an email address as acmed takes them (for an account's
 * contact): something@something, under 256 bytes, of printable ASCII but
 * for the separators ",<>\"" (no space, no control character). */
bool ident_email_ok(const char *s);
/* True if LIST is one or more such addresses separated by commas, as
 * certbot's -m takes them ("a@example.com,b@example.com"): each becomes a
 * contact of the account. */
bool ident_emails_ok(const char *list);

/* True if S is an IPv4 or IPv6 literal. */
bool ident_is_ip(const char *s);

/* Check and normalise one domain as given with -d: lower-cased, one trailing
 * dot dropped. A wildcard is allowed only as the whole leftmost label. The
 * name must have at least two labels of 1-63 letters, digits or hyphens, not
 * starting or ending with a hyphen. On error returns -EINVAL and a reason in
 * ERR ("'foo_bar.com' is not a valid domain name: ..."). */
int ident_normalize(const char *in, char out[IDENT_MAX + 1], char *err, size_t errlen);
