/* The manual authenticator: the administrator's hooks put each response in
 * place (an http-01 file, a dns-01 TXT record) and take it down, with
 * certbot's environment, so certbot's hook scripts work unchanged. The
 * hooks run in the job's hook runner (authhook.h), not in the confined
 * worker that calls these functions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/privsep/authhook.h"
#include "log.h"
#include "plugins/plugin.h"
#include "util.h"

static struct helper *runner;

void authn_manual_use(struct helper *l)
{
	runner = l;
}

/* A challenge whose auth hook ran: copies, since the caller's strings
 * (an authorization being polled) change before the cleanup. */
struct done {
	char *identifier, *type, *token, *validation;
};

struct authn_state {
	struct done *done;
	size_t n;
};

static int manual_prepare(const struct authn_config *cfg, char *const *domains, size_t n,
			  char *err, size_t errlen)
{
	(void)domains;
	(void)n;
	if (!cfg->manual_auth_hook || !*cfg->manual_auth_hook) {
		snprintf(err, errlen, "--manual needs --manual-auth-hook: acmed runs unattended "
				      "and cannot ask you to put a response in place");
		return -EINVAL;
	}
	return 0;
}

static int manual_perform(const struct authn_config *cfg, const struct authn_challenge *chal,
			  size_t n, struct authn_state **out, char *err, size_t errlen)
{
	struct authn_state *st = calloc(1, sizeof(*st));
	int r = 0;

	(void)cfg;
	if (!st || !(st->done = calloc(n ? n : 1, sizeof(*st->done)))) {
		free(st);
		return -ENOMEM;
	}
	*out = st;
	for (size_t i = 0; i < n; i++) {
		const struct authn_challenge *c = &chal[i];

		r = runner ? authhook_auth(runner, c->identifier, c->type,
					   streq(c->type, "http-01") ? c->token : NULL,
					   c->validation, (int)(n - i - 1))
			   : -EPIPE;
		if (r < 0) {
			snprintf(err, errlen, "manual auth hook for %s: %s", c->identifier,
				 runner ? runner->err : "no hook runner");
			return r;
		}
		st->done[st->n++] = (struct done){ xstrdup(c->identifier), xstrdup(c->type),
						   xstrdup(c->token), xstrdup(c->validation) };
	}
	return 0;
}

static void manual_cleanup(struct authn_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		struct done *c = &st->done[i];

		if (runner && c->identifier && c->type && c->validation &&
		    authhook_cleanup(runner, c->identifier, c->type,
				     streq(c->type, "http-01") ? c->token : NULL, c->validation,
				     (int)(st->n - i - 1)) < 0)
			log_warning("manual cleanup hook for %s: %s", c->identifier, runner->err);
		free(c->identifier);
		free(c->type);
		free(c->token);
		free(c->validation);
	}
	free(st->done);
	free(st);
}

const struct authenticator authn_manual = {
	.name = "manual",
	/* certbot's default for --manual is http-01. */
	.types = { "http-01", "dns-01" },
	.prepare = manual_prepare,
	.perform = manual_perform,
	.cleanup = manual_cleanup,
};
