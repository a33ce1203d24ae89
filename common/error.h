/* One error convention: functions return 0 or a negative errno. Errors that
 * errno cannot express start at -1000 (see acmed_strerror()). */
#pragma once

#include <errno.h>

enum {
	ACMED_EFIRST = -1000,
	ACMED_EPROTO = -1000,       /* CA answered something RFC 8555 forbids */
	ACMED_EPROBLEM = -1001,     /* CA answered a problem document */
	ACMED_EBADNONCE = -1002,    /* badNonce retries exhausted */
	ACMED_ERATELIMITED = -1003, /* CA says rateLimited */
	ACMED_EHTTP = -1004,        /* transport failure (connect, TLS, timeout) */
	ACMED_ECONFIG = -1005,      /* invalid configuration */
	ACMED_EUSAGE = -1006,       /* invalid request from a client */
	ACMED_EINVALID = -1007,     /* challenge or order became invalid */
	ACMED_ETIMEOUT = -1008,     /* polling gave up */
	ACMED_EMISMATCH = -1009,    /* key does not match certificate, etc. */
	ACMED_ECRYPTO = -1010,      /* OpenSSL failure */
	ACMED_ENOACCOUNT = -1011,   /* no account and registration not allowed */
	ACMED_ENOCHALLENGE = -1012, /* no challenge we can answer */
	ACMED_ECORRUPT = -1013,     /* a stored file does not parse */
	ACMED_EHOOK = -1014,        /* a hook failed (a manual auth hook) */
	ACMED_EDNS = -1015,         /* a DNS server refused or did not answer */
	ACMED_EBADCERT = -1016,     /* a certificate failed the publish checks */
	ACMED_ENOTREG = -1017,      /* not a regular file (a FIFO, a device...) */
	ACMED_ECONFIRM = -1018,     /* the request needs the user's say-so (--expand...) */
	ACMED_ECANCELLED = -1019,   /* the job was cancelled (acmectl cancel) */
	ACMED_EETCD = -1020,        /* etcd unreachable, or it answered an error */
	ACMED_ECOMPACTED = -1021,   /* an etcd watch started before the compacted revision */
	ACMED_ELAST = -1021,
};

/* Static description of any negative error code (errno or ACMED_E*). */
const char *acmed_strerror(int err);

/* Stable machine name of an error ("protocol", "not-found"...) for --json. */
const char *acmed_errname(int err);
