#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "build-config.h"
#include "error.h"
#include "fsutil.h"
#include "log.h"
#include "acme/http.h"
#include "util.h"

struct http_client {
	CURL *curl;
	char *ca_pem; /* the CA bundle's contents */
	size_t ca_len;
	char *user_agent; /* NULL: HTTP_USER_AGENT alone */
	const char *endpoint; /* the next requests' label, or NULL */
	long timeout;         /* seconds for one request */
};

/* The requests of this process, for http_stats_take(). */
static struct json_object *stats;

void http_client_set_endpoint(struct http_client *c, const char *endpoint)
{
	c->endpoint = endpoint;
}

static void stats_add(const char *endpoint, long status, double seconds)
{
	struct json_object *o = json_object_new_array();

	if (!stats)
		stats = json_object_new_array();
	if (!stats || !o) {
		json_object_put(o);
		return;
	}
	json_object_array_add(o, json_object_new_string(endpoint ? endpoint : "other"));
	json_object_array_add(o, json_object_new_int((int)status));
	json_object_array_add(o, json_object_new_double(seconds));
	json_object_array_add(stats, o);
}

struct json_object *http_stats_take(void)
{
	struct json_object *s = stats;

	stats = NULL;
	return s;
}

/* A CA bundle is a few hundred KiB of PEM; more is not one. */
#define HTTP_MAX_CA_BUNDLE (4 * 1024 * 1024)

int http_client_new(const char *ca_bundle, struct http_client **out)
{
	struct http_client *c = calloc(1, sizeof(*c));
	int r = 0;

	if (!c)
		return -ENOMEM;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl = curl_easy_init();
	c->timeout = HTTP_TIMEOUT;
	/* Read here, as a regular file, and handed to libcurl from memory: a
	 * FIFO in its place must not hang the job in libcurl's fopen(). */
	if (ca_bundle)
		r = fs_read_file(ca_bundle, HTTP_MAX_CA_BUNDLE, &c->ca_pem, &c->ca_len);
	if (!c->curl || r < 0) {
		http_client_free(c);
		return r < 0 ? r : -ENOMEM;
	}
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->ca_pem);
	free(c->user_agent);
	free(c);
}

void http_client_set_timeout(struct http_client *c, long seconds)
{
	if (seconds > 0)
		c->timeout = seconds;
}

int http_client_set_user_agent(struct http_client *c, const char *extra)
{
	char *ua = NULL;

	if (extra && asprintf(&ua, "%s %s", HTTP_USER_AGENT, extra) < 0)
		return -ENOMEM;
	free(c->user_agent);
	c->user_agent = ua;
	return 0;
}

void http_response_clear(struct http_response *resp)
{
	free(resp->body);
	free(resp->content_type);
	free(resp->replay_nonce);
	free(resp->location);
	free(resp->retry_after);
	for (size_t i = 0; i < resp->nlinks_alternate; i++)
		free(resp->links_alternate[i]);
	memset(resp, 0, sizeof(*resp));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_response *resp = userdata;
	size_t n = size * nmemb;
	char *b;

	if (resp->body_len + n > HTTP_MAX_BODY)
		return 0; /* aborts the transfer: a CA has no business sending more */
	b = realloc(resp->body, resp->body_len + n + 1);
	if (!b)
		return 0;
	memcpy(b + resp->body_len, data, n);
	resp->body_len += n;
	b[resp->body_len] = '\0';
	resp->body = b;
	return n;
}

/* Trimmed copy of a header value. */
static char *header_value(const char *v, size_t len)
{
	while (len > 0 && isspace((unsigned char)*v)) {
		v++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	return strndup(v, len);
}

/* Link: <url>;rel="alternate", possibly several comma-separated links. */
static void parse_link(struct http_response *resp, const char *v, size_t len)
{
	const char *end = v + len;

	while (v < end && resp->nlinks_alternate < HTTP_MAX_LINKS) {
		const char *lt = memchr(v, '<', (size_t)(end - v)), *gt, *next;

		if (!lt)
			return;
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (!gt)
			return;
		next = memchr(gt, ',', (size_t)(end - gt));
		if (!next)
			next = end;
		for (const char *p = gt; p + 15 <= next; p++) {
			if (strncasecmp(p, "rel=\"alternate\"", 15) == 0 ||
			    strncasecmp(p, "rel=alternate", 13) == 0) {
				resp->links_alternate[resp->nlinks_alternate++] =
					strndup(lt + 1, (size_t)(gt - lt - 1));
				break;
			}
		}
		v = next + 1;
	}
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata)
{
	struct http_response *resp = userdata;
	size_t n = size * nitems;
	const char *colon = memchr(data, ':', n);
	size_t klen;
	const char *v;
	size_t vlen;
	char **slot = NULL;

	if (!colon)
		return n;
	klen = (size_t)(colon - data);
	v = colon + 1;
	vlen = n - klen - 1;
	if (klen == 12 && strncasecmp(data, "Replay-Nonce", klen) == 0)
		slot = &resp->replay_nonce;
	else if (klen == 8 && strncasecmp(data, "Location", klen) == 0)
		slot = &resp->location;
	else if (klen == 11 && strncasecmp(data, "Retry-After", klen) == 0)
		slot = &resp->retry_after;
	else if (klen == 12 && strncasecmp(data, "Content-Type", klen) == 0)
		slot = &resp->content_type;
	else if (klen == 4 && strncasecmp(data, "Link", klen) == 0)
		parse_link(resp, v, vlen);
	if (slot) {
		free(*slot);
		*slot = header_value(v, vlen);
	}
	return n;
}

int http_request(struct http_client *c, const char *method, const char *url, const char *body,
		 const char *content_type, struct http_response *resp, char *err, size_t errlen)
{
	CURL *h = c->curl;
	struct curl_slist *hdrs = NULL;
	char ctype[128], errbuf[CURL_ERROR_SIZE] = "";
	curl_off_t took;
	struct timespec t0, t1;
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_pem) {
		struct curl_blob blob = { c->ca_pem, c->ca_len, CURL_BLOB_NOCOPY };

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout < 15 ? c->timeout : 15L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent ? c->user_agent : HTTP_USER_AGENT);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	hdrs = curl_slist_append(hdrs, "Accept-Language: en");
	if (streq(method, "POST")) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, ctype);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (streq(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = curl_easy_perform(h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	stats_add(c->endpoint, rc == CURLE_OK ? resp->status : 0,
		  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", method, url,
			 rc == CURLE_WRITE_ERROR ? "response body larger than 1 MiB"
			 : *errbuf	     ? errbuf
					     : curl_easy_strerror(rc));
		http_response_clear(resp);
		return ACMED_EHTTP;
	}
	if (curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &took) != CURLE_OK)
		took = 0;
	/* Every exchange with the CA, for the log at debug level and acmectl -v. */
	log_debug("%s %s: %ld%s%s, %zu bytes in %lld ms", method, url, resp->status,
		  resp->content_type ? " " : "", str_or_empty(resp->content_type), resp->body_len,
		  (long long)(took / 1000));
	if (!resp->body) {
		resp->body = strdup("");
		if (!resp->body)
			return -ENOMEM;
	}
	return 0;
}

long http_retry_after_seconds(const char *value, long now)
{
	struct tm tm;
	char *end;
	long secs;

	if (str_empty(value))
		return -1;
	if (isdigit((unsigned char)value[0])) {
		errno = 0;
		secs = strtol(value, &end, 10);
		if (*end != '\0' || secs < 0 || (errno && errno != ERANGE))
			return -1;
		return secs > HTTP_RETRY_AFTER_MAX ? HTTP_RETRY_AFTER_MAX : secs;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end != '\0')
		return -1;
	secs = (long)timegm(&tm) - now;
	if (secs > HTTP_RETRY_AFTER_MAX)
		secs = HTTP_RETRY_AFTER_MAX;
	return secs < 0 ? 0 : secs;
}
