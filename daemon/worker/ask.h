/* certonly --manual without hooks: the job asks its user, through the
 * daemon and the acmectl that waits for it, to put each response in place,
 * and waits until they have (plugin.h's ask_user). */
#pragma once

#include <stddef.h>

#include "plugins/plugin.h"

/* The descriptor the daemon's answers come on (job.c's job_tell()). */
#define ASK_FD 4

/* plugin.h's ask_user, CTX pointing at the job's event descriptor (an
 * int): {"event":"manual", "identifier", "type", "token", "validation",
 * "index", "count"} on it, then a line on ASK_FD: "continue" goes on;
 * the end of input (the daemon is gone) or anything else fails. */
int ask_user(void *ctx, const struct authn_challenge *c, size_t i, size_t n, char *err,
	     size_t errlen);
