/* ARI checks (RFC 9773), the worker's side: ask the CA for the suggested
 * renewal window of each certificate. The scheduler (sched.c) decides when
 * to ask and what to do with the answers. */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"

/* Load SERVER's directory; if it has renewalInfo, GET the window of each of
 * the N certificates (NAMES[i], ARI certificate ID IDS[i]) and write one
 * line per certificate on EV_FD:
 *   {"event":"ari","name":N,"cert_id":I,"start":T,"end":T,"retry_after":S,
 *    "explanation":U}
 *   {"event":"ari","name":N,"cert_id":I,"error":"...","retry_after":S}
 * (T epoch seconds; retry_after -1 when absent). Returns the reply:
 * {"status":0,"ari":true|false} or an error reply. Never NULL. */
struct json_object *ari_check_run(const char *server, const struct acmed_config *cfg,
				  char *const *names, char *const *ids, size_t n, int ev_fd);
