/* The etcd client's transport: one POST per call over libcurl, client TLS,
 * failover across the endpoints within one bounded time per call, and the
 * streamed answers of watches and keep-alives (etcd_http.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "jsonutil.h"
#include "util.h"
#include "etcd/etcd_http.h"

/* The most a non-streamed answer may hold: a range of many versions. */
#define ETCD_ANSWER_MAX (64u << 20)
/* gRPC's "unavailable": this member cannot serve now (no leader, no
 * quorum, shutting down); another one may. */
#define GRPC_UNAVAILABLE 14
#define GRPC_UNAUTHENTICATED 16

/* One attempt failed in a way another endpoint may not. */
#define RETRY 1

void etcd_set_err(struct etcd *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct body {
	char *data;
	size_t len;
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t len = size * n;
	char *grown;

	if (b->len + len > ETCD_ANSWER_MAX) {
		b->too_big = true;
		return 0;
	}
	grown = realloc(b->data, b->len + len + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, p, len);
	b->data = grown;
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* Feed the streamed bytes to the tokenizer; every complete object goes to
 * the stream's callback. */
static size_t on_stream(char *p, size_t size, size_t n, void *ctx)
{
	struct etcd_stream *s = ctx;
	size_t len = size * n, off = 0;
	const char *msg;
	int code = 0;

	while (off < len) {
		struct json_object *o = json_tokener_parse_ex(s->tok, p + off, (int)(len - off));
		enum json_tokener_error te = json_tokener_get_error(s->tok);
		size_t used;

		if (!o) {
			if (te == json_tokener_continue)
				return len;
			s->cb_error = ACMED_EETCD;
			return 0;
		}
		used = json_tokener_get_parse_end(s->tok);
		json_tokener_reset(s->tok);
		off += used ? used : len - off;
		s->objects++;
		if ((msg = etcd_parse_error(o, &code)) != NULL) {
			snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", s->endpoint, msg);
			/* Unavailable before anything else: another member may serve. */
			s->retry = code == GRPC_UNAVAILABLE && s->objects == 1;
			s->cb_error = ACMED_EETCD;
		} else {
			s->cb_error = s->on_object(o, s->ctx);
		}
		json_object_put(o);
		if (s->cb_error) {
			s->stopped = true;
			return 0;
		}
	}
	return len;
}

static void setup(struct etcd *e, const char *url, const char *body, struct curl_slist *hdrs,
		  long budget_ms, char *errbuf)
{
	CURL *h = e->curl;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (e->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, e->ca);
	if (e->cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, e->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, e->key);
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, budget_ms < 2000 ? budget_ms : 2000L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
}

/* What an answer that failed says: RETRY when another endpoint may do
 * better, else ACMED_EETCD; the reason goes into WHY. */
static int answer_error(struct etcd *e, const char *ep, long status, struct json_object *o,
			const char *body, char *why, size_t whylen)
{
	int code = 0;
	const char *msg = etcd_parse_error(o, &code);

	if (!msg) {
		/* Plain text (the gateway's own refusals): its first line, printable. */
		char text[200] = "";
		size_t i = 0;

		for (; body && body[i] && body[i] != '\n' && i + 1 < sizeof(text); i++)
			text[i] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : '?';
		text[i] = '\0';
		snprintf(why, whylen, "%s: HTTP %ld%s%s", ep, status, *text ? ": " : " without an answer",
			 text);
		return status >= 500 ? RETRY : ACMED_EETCD;
	}
	snprintf(why, whylen, "%s: %s", ep, msg);
	if (code == GRPC_UNAUTHENTICATED && e->user) {
		FREE_AND_NULL(e->token); /* expired: authenticate again */
		return RETRY;
	}
	return code == GRPC_UNAVAILABLE ? RETRY : ACMED_EETCD;
}

static int authenticate(struct etcd *e, const char *ep, long budget_ms, char *why,
			size_t whylen);

/* How a streamed call ended: 0 when the callback stopped it, the stream's
 * own time ran out or etcd closed it; RETRY when nothing arrived. */
static int stream_end(const char *ep, struct etcd_stream *s, CURLcode cc, const char *errbuf,
		      char *why, size_t whylen)
{
	if (s->stopped) {
		snprintf(why, whylen, "%s", s->errmsg);
		return s->retry ? RETRY : s->cb_error > 0 ? 0 : s->cb_error;
	}
	if (cc == CURLE_OK || (cc == CURLE_OPERATION_TIMEDOUT && s->max_ms && s->objects))
		return 0;
	snprintf(why, whylen, "%s: %s", ep, *errbuf ? errbuf : curl_easy_strerror(cc));
	return s->objects ? ACMED_EETCD : RETRY;
}

/* One POST of REQ to EP's PATH within BUDGET_MS. With S the answer is
 * streamed to it, else parsed into *RESP. 0, RETRY, or an error, with WHY
 * set on failure. */
static int attempt(struct etcd *e, const char *ep, const char *path, struct json_object *req,
		   long budget_ms, struct json_object **resp, struct etcd_stream *s, char *why,
		   size_t whylen)
{
	char url[512], errbuf[CURL_ERROR_SIZE] = "", auth[1100];
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	struct body b = { 0 };
	struct json_object *o = NULL;
	long status = 0;
	CURLcode cc;
	int r;

	if (e->user && !e->token && strncmp(path, "/v3/auth/", 9) != 0 &&
	    (r = authenticate(e, ep, budget_ms, why, whylen)) != 0)
		goto out;
	if (e->token) {
		snprintf(auth, sizeof(auth), "Authorization: %s", e->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	snprintf(url, sizeof(url), "%s%s", ep, path);
	setup(e, url, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), hdrs, budget_ms,
	      errbuf);
	if (s) {
		s->endpoint = ep;
		s->stopped = false;
		s->retry = false;
		s->objects = 0;
		s->cb_error = 0;
		s->errmsg[0] = '\0';
		s->tok = json_tokener_new();
		curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_stream);
		curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, s->max_ms);
	} else {
		curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, budget_ms);
	}
	cc = !hdrs || (s && !s->tok) ? CURLE_OUT_OF_MEMORY : curl_easy_perform(e->curl);
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
	if (s) {
		r = stream_end(ep, s, cc, errbuf, why, whylen);
		goto out;
	}
	if (cc != CURLE_OK) {
		snprintf(why, whylen, "%s: %s", ep,
			 b.too_big ? "answer larger than 64 MiB" : *errbuf ? errbuf
							: curl_easy_strerror(cc));
		r = b.too_big ? ACMED_EETCD : RETRY;
		goto out;
	}
	o = b.data ? json_tokener_parse(b.data) : NULL;
	if (status == 200 && o && !etcd_parse_error(o, NULL)) {
		*resp = o;
		o = NULL;
		r = 0;
	} else {
		r = answer_error(e, ep, status, o, b.data, why, whylen);
	}
out:
	if (s && s->tok) {
		json_tokener_free(s->tok);
		s->tok = NULL;
	}
	json_object_put(o);
	free(b.data);
	curl_slist_free_all(hdrs);
	return r;
}

/* etcd's own authentication: a token for USER, sent with every request. */
static int authenticate(struct etcd *e, const char *ep, long budget_ms, char *why,
			size_t whylen)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	int r = -ENOMEM;

	if (req && json_object_object_add(req, "name", json_object_new_string(e->user)) == 0 &&
	    json_object_object_add(req, "password", json_object_new_string(e->password)) == 0)
		r = attempt(e, ep, "/v3/auth/authenticate", req, budget_ms, &resp, NULL, why,
			    whylen);
	if (r == 0 && !(e->token = xstrdup(jobj_str(resp, "token")))) {
		snprintf(why, whylen, "%s: authentication answered no token", ep);
		r = ACMED_EETCD;
	}
	json_object_put(req);
	json_object_put(resp);
	return r;
}

/* Try the endpoints in turn, the one that answered last first, within the
 * client's timeout. */
static int failover(struct etcd *e, const char *path, struct json_object *req,
		    struct json_object **resp, struct etcd_stream *s)
{
	long deadline = now_ms() + e->timeout_ms;
	size_t used = 0;
	char why[600];
	int r = RETRY;

	e->err[0] = '\0';
	e->last_endpoint = NULL;
	for (size_t i = 0; i < e->nendpoints && r == RETRY; i++) {
		size_t k = (e->current + i) % e->nendpoints;
		long left = deadline - now_ms();

		if (left <= 0)
			break;
		why[0] = '\0';
		r = attempt(e, e->endpoints[k], path, req, left, resp, s, why, sizeof(why));
		if (r == 0) {
			e->current = k;
			e->last_endpoint = e->endpoints[k];
			return 0;
		}
		if (*why && used < sizeof(e->err))
			used += (size_t)snprintf(e->err + used, sizeof(e->err) - used, "%s%s",
						 used ? "; " : "", why);
	}
	if (r == RETRY) {
		char tried[sizeof(e->err)];

		snprintf(tried, sizeof(tried), "%s", e->err);
		etcd_set_err(e, "no etcd endpoint answered within %ld ms (no quorum, or "
				"unreachable): %s", e->timeout_ms, tried);
		return ACMED_EETCD;
	}
	return r;
}

int etcd_call(struct etcd *e, const char *path, struct json_object *req,
	      struct json_object **resp)
{
	*resp = NULL;
	return req ? failover(e, path, req, resp, NULL) : -ENOMEM;
}

int etcd_call_stream(struct etcd *e, const char *path, struct json_object *req,
		     struct etcd_stream *s)
{
	return req ? failover(e, path, req, NULL, s) : -ENOMEM;
}

int etcd_call_at(struct etcd *e, const char *endpoint, const char *path,
		 struct json_object *req, struct json_object **resp)
{
	int r;

	*resp = NULL;
	if (!req)
		return -ENOMEM;
	e->err[0] = '\0';
	r = attempt(e, endpoint, path, req, e->timeout_ms, resp, NULL, e->err, sizeof(e->err));
	return r == RETRY ? ACMED_EETCD : r;
}
