/* HTTPS requests to a CA with libcurl: TLS always verified, HTTPS only, no
 * redirects followed, bodies capped, the headers ACME needs captured. */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

#define HTTP_MAX_BODY (1024 * 1024)
#define HTTP_MAX_LINKS 8

struct http_response {
	long status;
	char *body; /* NUL-terminated, may be empty */
	size_t body_len;
	char *content_type;
	char *replay_nonce;
	char *location;
	char *retry_after;
	char *links_alternate[HTTP_MAX_LINKS]; /* Link: <url>;rel="alternate" */
	size_t nlinks_alternate;
};

struct http_client;

/* CA_BUNDLE (a file of PEM trust anchors, read now) or NULL for the system
 * trust store. 0, -ENOMEM, or the error reading CA_BUNDLE (ACMED_ENOTREG
 * for a FIFO...). */
int http_client_new(const char *ca_bundle, struct http_client **out);
void http_client_free(struct http_client *c);

/* The longest one request may take, connecting included: HTTP_TIMEOUT
 * seconds unless set (acmed.conf's acme_timeout). */
#define HTTP_TIMEOUT 60
void http_client_set_timeout(struct http_client *c, long seconds);

/* acmed's product token, the first of its User-Agent (RFC 8555 section 6.1). */
#define HTTP_USER_AGENT "acmed/" ACMED_VERSION
/* Send "HTTP_USER_AGENT EXTRA" as the User-Agent (certbot's --user-agent;
 * EXTRA is printable ASCII, issue_opts.c checks it), or HTTP_USER_AGENT
 * alone for NULL. 0 or -ENOMEM. */
int http_client_set_user_agent(struct http_client *c, const char *extra);

/* METHOD is "GET", "HEAD" or "POST" (BODY sent with CONTENT_TYPE). On a
 * transport failure returns ACMED_EHTTP with a one-line reason in ERR; any
 * HTTP status is success at this level. Caller clears RESP. */
int http_request(struct http_client *c, const char *method, const char *url, const char *body,
		 const char *content_type, struct http_response *resp, char *err, size_t errlen);

void http_response_clear(struct http_response *resp);

/* What the next requests of C are for ("newOrder", "authz", ...; NULL:
 * "other"), the endpoint label of their metrics. ENDPOINT is borrowed: a
 * literal. */
void http_client_set_endpoint(struct http_client *c, const char *endpoint);
/* Every request this process made since the last call, as a JSON array of
 * [endpoint, HTTP status (0: no answer), seconds]; what a job reports to
 * the daemon for its metrics. Caller puts; NULL if none. */
struct json_object *http_stats_take(void);

/* A Retry-After longer than this counts as this: a CA's mistake must not
 * stop renewals for years. */
#define HTTP_RETRY_AFTER_MAX (7L * 86400)

/* Parse a Retry-After value (delta-seconds or HTTP-date) relative to NOW.
 * Returns seconds to wait (0 to HTTP_RETRY_AFTER_MAX) or -1 if absent or
 * malformed. */
long http_retry_after_seconds(const char *value, long now);
