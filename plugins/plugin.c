#include <assert.h>

#include "plugins/plugin.h"
#include "util.h"

/* Indexed as authn.h's table of names. */
static const struct authenticator *const impls[AUTHN__MAX] = {
	[AUTHN_WEBROOT] = &authn_webroot,
	/* nginx serves acmed's own web root: the files are written the same way. */
	[AUTHN_NGINX] = &authn_webroot,
	[AUTHN_STANDALONE] = &authn_standalone,
	[AUTHN_MANUAL] = &authn_manual,
	[AUTHN_RFC2136] = &authn_rfc2136,
};
static_assert(ELEMENTSOF(impls) == AUTHN__MAX, "every authenticator needs its code");

const struct authenticator *authn_impl(enum authn_kind kind)
{
	return impls[kind];
}
