#include <string.h>

#include "error.h"
#include "util.h"

struct errdesc {
	const char *name;
	const char *text;
};

static const struct errdesc domain_errors[] = {
	[-(ACMED_EPROTO - ACMED_EFIRST)] = { "protocol", "the CA sent a malformed or unexpected response" },
	[-(ACMED_EPROBLEM - ACMED_EFIRST)] = { "ca-problem", "the CA reported a problem" },
	[-(ACMED_EBADNONCE - ACMED_EFIRST)] = { "bad-nonce", "the CA kept rejecting our nonces" },
	[-(ACMED_ERATELIMITED - ACMED_EFIRST)] = { "rate-limited", "the CA's rate limit was reached" },
	[-(ACMED_EHTTP - ACMED_EFIRST)] = { "http", "could not talk to the CA" },
	[-(ACMED_ECONFIG - ACMED_EFIRST)] = { "config", "invalid configuration" },
	[-(ACMED_EUSAGE - ACMED_EFIRST)] = { "usage", "invalid request" },
	[-(ACMED_EINVALID - ACMED_EFIRST)] = { "invalid", "the CA could not validate the challenge" },
	[-(ACMED_ETIMEOUT - ACMED_EFIRST)] = { "timeout", "timed out waiting for the CA" },
	[-(ACMED_EMISMATCH - ACMED_EFIRST)] = { "mismatch", "files do not belong together" },
	[-(ACMED_ECRYPTO - ACMED_EFIRST)] = { "crypto", "a cryptographic operation failed" },
	[-(ACMED_ENOACCOUNT - ACMED_EFIRST)] = { "no-account", "no ACME account" },
	[-(ACMED_ENOCHALLENGE - ACMED_EFIRST)] = { "no-challenge", "no challenge the authenticator can answer" },
	[-(ACMED_ECORRUPT - ACMED_EFIRST)] = { "corrupt", "a stored file is corrupt" },
	[-(ACMED_EHOOK - ACMED_EFIRST)] = { "hook", "a hook failed" },
	[-(ACMED_EDNS - ACMED_EFIRST)] = { "dns", "the DNS server refused the update or did not answer" },
	[-(ACMED_EBADCERT - ACMED_EFIRST)] = { "bad-certificate", "the certificate failed a check" },
	[-(ACMED_ENOTREG - ACMED_EFIRST)] = { "not-regular", "not a regular file" },
	[-(ACMED_ECONFIRM - ACMED_EFIRST)] = { "confirm", "the request needs a confirmation" },
	[-(ACMED_ECANCELLED - ACMED_EFIRST)] = { "cancelled", "the job was cancelled" },
	[-(ACMED_EETCD - ACMED_EFIRST)] = { "etcd", "etcd did not answer or refused the request" },
	[-(ACMED_ECOMPACTED - ACMED_EFIRST)] = { "compacted", "etcd has compacted past the revision asked for" },
};
_Static_assert(ELEMENTSOF(domain_errors) == ACMED_EFIRST - ACMED_ELAST + 1,
	       "every ACMED_E* code needs a description");

static const struct errdesc *lookup(int err)
{
	if (err <= ACMED_EFIRST && err >= ACMED_ELAST)
		return &domain_errors[ACMED_EFIRST - err];
	return NULL;
}

const char *acmed_strerror(int err)
{
	const struct errdesc *d = lookup(err);

	if (d)
		return d->text;
	return strerror(err < 0 ? -err : err);
}

const char *acmed_errname(int err)
{
	const struct errdesc *d = lookup(err);

	if (d)
		return d->name;
	switch (-err) {
	case ENOENT: return "not-found";
	case EEXIST: return "exists";
	case EACCES: case EPERM: return "permission";
	case EBUSY: return "busy";
	case EINVAL: return "invalid-argument";
	case ENOMEM: return "no-memory";
	default: return "system";
	}
}
