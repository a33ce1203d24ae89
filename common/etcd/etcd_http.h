/* The etcd client's transport (etcd_http.c), shared by its calls (etcd.c)
 * and its streams (etcd_watch.c). Not for use outside common/etcd/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "etcd/etcd.h"

struct etcd {
	char **endpoints;
	size_t nendpoints;
	size_t current;   /* the endpoint that answered last: tried first */
	char *ca, *cert, *key, *user, *password;
	char *token;      /* from /v3/auth/authenticate, when USER is set */
	long timeout_ms;
	CURL *curl;       /* kept for its connections */
	const char *last_endpoint;
	char err[1024];
};

/* A streamed answer: ON_OBJECT gets each JSON object as it arrives (an
 * error object etcd sends ends the stream before it) and returns 0 to read
 * on, a positive number to stop (the call then returns 0), or a negative
 * error to stop with it (having set etcd_set_err()). */
struct etcd_stream {
	int (*on_object)(struct json_object *o, void *ctx);
	void *ctx;
	long max_ms;      /* the stream's own limit once it runs; 0: none */
	/* set by the transport */
	const char *endpoint;
	char errmsg[512]; /* an error object etcd streamed, said */
	json_tokener *tok;
	bool stopped;
	bool retry;       /* etcd said "unavailable" first: try another member */
	size_t objects;   /* how many arrived */
	int cb_error;     /* ON_OBJECT's stop code when negative */
};

/* POST REQ to PATH ("/v3/kv/range") on the endpoints in turn until one
 * answers, within the client's timeout; *RESP (caller puts) is the answer.
 * ACMED_EETCD with etcd_errmsg() set when none answered or etcd refused. */
int etcd_call(struct etcd *e, const char *path, struct json_object *req,
	      struct json_object **resp);
/* The same at ENDPOINT alone. */
int etcd_call_at(struct etcd *e, const char *endpoint, const char *path,
		 struct json_object *req, struct json_object **resp);
/* POST REQ to PATH and hand the streamed objects to S; the endpoints are
 * tried in turn until one sends its first object. */
int etcd_call_stream(struct etcd *e, const char *path, struct json_object *req,
		     struct etcd_stream *s);
/* Set the client's error message. */
void etcd_set_err(struct etcd *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
