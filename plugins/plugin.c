#include "plugins/plugin.h"
#include "util.h"

static const struct authenticator *const authenticators[] = {
	&authn_webroot,
	&authn_standalone,
	&authn_manual,
	&authn_rfc2136,
};

bool authn_answers(const struct authenticator *au, const char *type)
{
	for (size_t i = 0; i < ELEMENTSOF(au->types) && au->types[i]; i++)
		if (streq(au->types[i], type))
			return true;
	return false;
}

const struct authenticator *authn_lookup(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(authenticators); i++)
		if (streq(authenticators[i]->name, name))
			return authenticators[i];
	return NULL;
}
