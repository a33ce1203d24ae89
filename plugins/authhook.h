/* The manual authenticator's hook runner: the process that runs the
 * administrator's --manual-auth-hook and --manual-cleanup-hook for a job.
 *
 * The worker cannot run them itself: it is confined (no exec, no writes)
 * before it reads a byte from the CA. So, like the signer, the runner is
 * forked by the worker before that, with what it may run fixed at that
 * moment (struct authhook_conf), and answers two typed requests over a
 * socketpair:
 *
 *   auth     run the auth hook for one challenge: CERTBOT_DOMAIN (one of
 *            the job's names), CERTBOT_VALIDATION (base64url and '.'
 *            only), CERTBOT_TOKEN (http-01), CERTBOT_REMAINING_CHALLENGES,
 *            CERTBOT_ALL_DOMAINS; its output is kept for the cleanup
 *   cleanup  run the cleanup hook (if any) for a challenge the auth hook
 *            ran for, with CERTBOT_AUTH_OUTPUT set to that output
 *
 * The environment is certbot's, so certbot's hook scripts work unchanged.
 * Each hook runs as the daemon's hooks do: /bin/sh -c, its own process
 * group, a clean environment, hook_timeout and then SIGKILL to the group.
 * Anything else is refused. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "helper.h"

struct authhook_conf {
	const char *auth_hook;    /* required */
	const char *cleanup_hook; /* or NULL */
	char *const *domains;     /* the job's names, as given (wildcards "*.") */
	size_t ndomains;
	int timeout;              /* seconds a hook may run */
};

/* Fork the runner. 0 or -errno. */
int authhook_start(const struct authhook_conf *c, struct helper *l);
/* Close the link and wait for the runner. */
void authhook_stop(struct helper *l);

/* Run the auth hook for DOMAIN's TYPE challenge ("http-01" with TOKEN, or
 * "dns-01" with TOKEN NULL) and VALIDATION, REMAINING challenges after it.
 * 0, or -errno / an acmed error with L->err saying why (the hook's exit
 * status, a refusal). */
int authhook_auth(struct helper *l, const char *domain, const char *type,
		  const char *token, const char *validation, int remaining);
/* Run the cleanup hook for the same challenge (nothing without one). */
int authhook_cleanup(struct helper *l, const char *domain, const char *type,
		     const char *token, const char *validation, int remaining);

