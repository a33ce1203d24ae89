/* The manual authenticator: the administrator's hooks put each response in
 * place (an http-01 file, a dns-01 TXT record) and take it down, with
 * certbot's environment, so certbot's hook scripts work unchanged. The
 * hooks run in the job's hook runner (authhook.h), which setup() starts
 * before the worker is confined: the worker may run nothing itself.
 * Without an auth hook, when the job has someone to ask (acmectl on a
 * terminal: plugin.h's ask_user), the user puts each response in place
 * instead, as with certbot's manual plugin without hooks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "plugins/authhook.h"
#include "plugins/plugin.h"
#include "util.h"

struct authn_job {
	struct authhook_conf conf; /* the runner's copy is its own */
	struct helper runner;      /* none when the user is asked */
	int (*ask_user)(void *ctx, const struct authn_challenge *c, size_t i, size_t n,
			char *err, size_t errlen);
	void *ask_ctx;
};

/* A challenge whose auth hook ran: copies, since the caller's strings
 * (an authorization being polled) change before the cleanup. */
struct done {
	char *identifier, *type, *token, *validation;
};

struct authn_state {
	struct done *done;
	size_t n;
};

static void manual_teardown(struct authn_job *job)
{
	if (!job)
		return;
	authhook_stop(&job->runner);
	free(job);
}

static int manual_setup(const struct authn_setup *s, struct authn_job **out, char *err,
			size_t errlen)
{
	const struct authn_config *cfg = s->cfg;
	struct authn_job *job;
	int r;

	if ((!cfg->manual_auth_hook || !*cfg->manual_auth_hook) && !s->ask_user) {
		snprintf(err, errlen, "--manual needs --manual-auth-hook: acmed runs unattended "
				      "and cannot ask you to put a response in place (on a "
				      "terminal, acmectl certonly --manual shows it and waits "
				      "for you)");
		return -EINVAL;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->runner = HELPER_INIT("the hook runner");
	if (!cfg->manual_auth_hook || !*cfg->manual_auth_hook) {
		/* The user puts the responses in place, told by acmectl. */
		job->ask_user = s->ask_user;
		job->ask_ctx = s->ask_ctx;
		*out = job;
		return 0;
	}
	job->conf = (struct authhook_conf){
		.auth_hook = cfg->manual_auth_hook,
		.cleanup_hook = cfg->manual_cleanup_hook,
		.domains = s->domains,
		.ndomains = s->ndomains,
		.timeout = s->hook_timeout,
	};
	r = authhook_start(&job->conf, &job->runner);
	if (r < 0) {
		snprintf(err, errlen, "starting the manual hook runner: %s", strerror(-r));
		free(job);
		return r;
	}
	*out = job;
	return 0;
}

static int manual_perform(struct authn_job *job, const struct authn_challenge *chal, size_t n,
			  struct authn_state **out, char *err, size_t errlen)
{
	struct authn_state *st = calloc(1, sizeof(*st));
	int r = 0;

	if (!st || !(st->done = calloc(n ? n : 1, sizeof(*st->done)))) {
		free(st);
		return -ENOMEM;
	}
	*out = st;
	for (size_t i = 0; i < n; i++) {
		const struct authn_challenge *c = &chal[i];

		if (job->ask_user) {
			r = job->ask_user(job->ask_ctx, c, i, n, err, errlen);
			if (r < 0)
				return r;
			continue; /* nothing for acmed to take down */
		}
		r = authhook_auth(&job->runner, c->identifier, c->type,
				  streq(c->type, "http-01") ? c->token : NULL, c->validation,
				  (int)(n - i - 1));
		if (r < 0) {
			snprintf(err, errlen, "manual auth hook for %s: %s", c->identifier,
				 job->runner.err);
			return r;
		}
		st->done[st->n++] = (struct done){ xstrdup(c->identifier), xstrdup(c->type),
						   xstrdup(c->token), xstrdup(c->validation) };
	}
	return 0;
}

static void manual_cleanup(struct authn_job *job, struct authn_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		struct done *c = &st->done[i];

		if (c->identifier && c->type && c->validation &&
		    authhook_cleanup(&job->runner, c->identifier, c->type,
				     streq(c->type, "http-01") ? c->token : NULL, c->validation,
				     (int)(st->n - i - 1)) < 0)
			log_warning("manual cleanup hook for %s: %s", c->identifier,
				    job->runner.err);
		free(c->identifier);
		free(c->type);
		free(c->token);
		free(c->validation);
	}
	free(st->done);
	free(st);
}

const struct authenticator authn_manual = {
	.setup = manual_setup,
	.perform = manual_perform,
	.cleanup = manual_cleanup,
	.teardown = manual_teardown,
};
