#include <assert.h>

#include "authn.h"
#include "util.h"

const struct authn_info authn_infos[AUTHN__MAX] = {
	[AUTHN_WEBROOT] = { "webroot", { "http-01" } },
	[AUTHN_STANDALONE] = { "standalone", { "http-01", "tls-alpn-01" } },
	/* certbot's default for --manual is http-01. */
	[AUTHN_MANUAL] = { "manual", { "http-01", "dns-01" } },
	[AUTHN_RFC2136] = { "dns-rfc2136", { "dns-01" } },
	[AUTHN_NGINX] = { "nginx", { "http-01" } },
};
static_assert(ELEMENTSOF(authn_infos) == AUTHN__MAX, "every authenticator needs its entry");

int authn_find(const char *name)
{
	for (int k = 0; k < AUTHN__MAX; k++)
		if (streq(authn_infos[k].name, name))
			return k;
	return -1;
}

bool authn_answers(enum authn_kind kind, const char *type)
{
	const struct authn_info *a = &authn_infos[kind];

	for (size_t i = 0; i < ELEMENTSOF(a->types) && a->types[i]; i++)
		if (streq(a->types[i], type))
			return true;
	return false;
}
