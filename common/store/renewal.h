/* renewal/NAME.conf: everything needed to renew a lineage without the
 * original command line, in libconfig syntax. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "crypto.h"

struct webroot_entry {
	char *domain;
	char *path;
};

/* The authenticator and its options, as saved for renewals. */
struct authn_config {
	char *name; /* "webroot", "standalone", "manual" or "dns-rfc2136" */
	struct webroot_entry *webroot;
	size_t nwebroot;
	char *http01_address; /* standalone; NULL = all addresses */
	int http01_port;      /* standalone; 0 = 80 */
	int tlsalpn01_port;   /* standalone's tls-alpn-01; 0 = 443 */
	char *manual_auth_hook;    /* manual: the command that puts a response in place */
	char *manual_cleanup_hook; /* manual: the one that takes it down, or NULL */
	/* Challenge types in order of preference ("dns-01,http-01"), or NULL
	 * for the authenticator's own order. */
	char *preferred_challenges;
	/* dns-rfc2136: certbot's credentials file, and how long to wait for
	 * the server to answer the TXT records (0: the default). */
	char *dns_rfc2136_credentials;
	int dns_rfc2136_propagation_seconds;
};

/* certbot's --preferred-challenges (comma-separated "dns", "http",
 * "tls-alpn", or the full type names) as the list of types CANON, e.g.
 * "dns-01,http-01". 0, or -EINVAL with ERR naming the item. */
int authn_parse_preferred(const char *text, char *canon, size_t len, char *err, size_t errlen);

/* What happened at the last attempts; written after a failed renewal, cleared
 * by a successful one. Times are wall-clock seconds, 0 for none. */
struct renewal_state {
	int failures;        /* consecutive failed attempts */
	time_t last_attempt;
	time_t next_attempt; /* the backoff: not before this */
	time_t retry_after;  /* the CA's Retry-After deadline */
	char *last_error;
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
	bool allow_subset; /* certbot's allow_subset_of_names: drop names that fail */
	bool no_autorenew; /* certbot's autorenew = False: the timer leaves it */
	char *preferred_chain;
	long renew_before; /* renew_before_expiry in seconds; 0: acmed.conf's */
	char *profile;     /* ACME profile for new orders, or NULL */
	char *pre_hook, *post_hook, *deploy_hook;
	char *alert_hook; /* run on this lineage's alerts (acmed's own; certbot has none) */
	char *user_agent;  /* certbot's --user-agent, added to acmed's; or NULL */
	struct renewal_state state;
	/* Set by `acmectl revoke`: the timer leaves the lineage alone until a
	 * new version replaces the revoked certificate. */
	bool revoked;
	time_t revoked_at;
	char *revoked_reason; /* "keycompromise"... */
	char *revoked_serial;
};

void authn_config_clear(struct authn_config *a);
int authn_config_copy(const struct authn_config *src, struct authn_config *dst);
/* The webroot for DOMAIN, or NULL. */
const char *authn_webroot_for(const struct authn_config *a, const char *domain);

void renewal_clear(struct renewal *r);

/* Serialise R; *text is caller-freed. */
int renewal_format(const struct renewal *r, char **text);

/* R's settings alone, as a cluster shares them (what a publish writes in
 * etcd): without the state section and the revocation mark, which are one
 * host's own. *text is caller-freed. */
int renewal_format_settings(const struct renewal *r, char **text);

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

/* What decides when a lineage is renewed. */
struct renew_plan {
	time_t not_before, not_after; /* of the current certificate */
	long renew_before;            /* the lineage's, else acmed.conf's */
	long jitter;                  /* random delay after the due time */
	bool ari;                     /* the CA's suggested window is known: */
	time_t ari_pick;              /* renew at this moment in it */
};

/* When to renew: the ARI moment if there is one, else the due time plus
 * the jitter; after failed attempts not before the backoff's next attempt;
 * never before the CA's Retry-After. */
time_t renewal_renew_at(const struct renew_plan *p, const struct renewal_state *st);

/* The largest jitter to draw: JITTER, but at most a quarter of the time
 * between the due time and expiry, so a short-lived certificate is not
 * left to expire. */
long renewal_jitter_cap(long not_before, long not_after, long renew_before, long jitter);

/* How long to wait after the FAILURES-th failed attempt in a row: 1 min,
 * 10 min, 100 min, then a day (Let's Encrypt's integration guide). */
long renewal_backoff(int failures);

/* The furthest a Retry-After defers a renewal: a week (http.h's cap). */
#define RENEWAL_RETRY_AFTER_MAX (7L * 86400)

/* Record a failed attempt at NOW with ERROR (copied) and the CA's
 * Retry-After deadline RETRY_AFTER (0: none; at most NOW plus
 * RENEWAL_RETRY_AFTER_MAX) in ST: the count goes up and the next attempt is
 * the backoff after NOW, never before RETRY_AFTER. */
int renewal_state_fail(struct renewal_state *st, time_t now, const char *error,
		       time_t retry_after);
void renewal_state_clear(struct renewal_state *st);
