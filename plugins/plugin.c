#include "plugin.h"
#include "util.h"

static const struct authenticator *const authenticators[] = {
	&authn_webroot,
	&authn_standalone,
};

const struct authenticator *authn_lookup(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(authenticators); i++)
		if (streq(authenticators[i]->name, name))
			return authenticators[i];
	return NULL;
}
