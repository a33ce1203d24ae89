/* What the parts of the ACME client share (acme.c, acme_account.c,
 * acme_order.c, acme_cert.c); callers use acme.h. */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "acme/acme.h"
#include "acme/http.h"

#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"

/* C->err from FMT. */
void acme_set_err(struct acme_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* OBJ[KEY] if it is an https URL, else NULL. */
const char *acme_jurl(struct json_object *obj, const char *key);
/* Replace *DST with a copy of SRC (NULL stays NULL). 0 or -ENOMEM. */
int acme_dupstr(char **dst, const char *src);
/* STATUS is one of the NULL-terminated LIST (RFC 8555 section 7.1.6). */
bool acme_status_known(const char *status, const char *const *list);
void acme_sleep_ms(unsigned ms);
long acme_now_ms(void);
/* A problem document's fields into P. */
void acme_problem_from_json(struct json_object *o, struct acme_problem *p);
/* Signed POST to URL (PAYLOAD NULL: POST-as-GET), retrying badNonce. With
 * USE_JWK the public key goes in the header instead of the account URL. On
 * success RESP holds a 2xx response. */
int acme_post(struct acme_client *c, const char *url, const char *payload, bool use_jwk,
	      struct http_response *resp);
/* The same, its body parsed as a JSON object in *OUT (caller puts). */
int acme_post_json(struct acme_client *c, const char *url, const char *payload, bool use_jwk,
		   struct http_response *resp, struct json_object **out);
/* c->retry_after from RESP's Retry-After (-1 if none). */
void acme_note_retry_after(struct acme_client *c, const struct http_response *resp);
/* An error response into c->problem / c->err and an error code. */
int acme_response_error(struct acme_client *c, const char *url, struct http_response *resp);
