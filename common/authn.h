/* The authenticators acmed has, as requests and renewal files name them,
 * and the challenge types each answers: what the daemon needs to check a
 * request. The job's process runs them (plugins/plugin.h), indexed by the
 * same enum. */
#pragma once

#include <stdbool.h>

enum authn_kind {
	AUTHN_WEBROOT,
	AUTHN_STANDALONE,
	AUTHN_MANUAL,
	AUTHN_RFC2136,
	AUTHN_NGINX, /* webroot in acmed's own STATE/nginx/webroot (docs/nginx.md) */
	AUTHN__MAX,
};

struct authn_info {
	const char *name;     /* "webroot", as given with -a */
	const char *types[3]; /* the challenge types it answers, in its own order */
};

extern const struct authn_info authn_infos[AUTHN__MAX];

/* The authenticator called NAME, or -1. */
int authn_find(const char *name);
/* Does authenticator KIND answer challenges of TYPE? */
bool authn_answers(enum authn_kind kind, const char *type);
