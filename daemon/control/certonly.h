/* certonly, the daemon's half: which lineage a request goes to, certbot's
 * way, and the settings a lineage keeps. */
#pragma once

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "issue_req.h"

/* Answer C's certonly request ARGS (borrowed): a job, a lineage kept as it
 * is (not due), a question for the user (ACMED_ECONFIRM), or an error. */
void certonly_command(struct daemon *d, struct conn *c, struct json_object *args);

/* The ARI ID of the certificate REQ replaces: lineage REQ->name's current
 * one, if REQ goes to the same CA (so the same account) for some of its
 * names; a CA refuses "replaces" for a certificate it or the account did
 * not issue, or for names it did not cover. NULL if none; caller frees. */
char *certonly_replaced_ari_id(struct daemon *d, const struct issue_req *req);

/* certbot's check of REQ's hooks (pre, post, deploy, then the manual
 * ones), before anything is ordered: hookcheck_command() against the PATH
 * hooks run with. 0, or ACMED_EHOOK with the message in ERR. */
int certonly_check_hooks(const struct issue_req *req, char *err, size_t errlen);
