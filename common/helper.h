/* Helper processes of a job: forked by its worker before the worker is
 * confined, each answers typed requests over a socketpair (the signer,
 * which holds the keys; the manual authenticator's hook runner). One
 * transport for all: every request is a frame {"op": NAME, ...}, every
 * answer {"ok": {...}} or {"error": {"code": N, "message": "..."}}, framed
 * as on the control socket. */
#pragma once

/* The longest error a helper answers: room for a hook's error output. */
#define HELPER_ERR_MAX 5120

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

/* One request a helper answers: FN fills OUT (an object) from REQ, or
 * returns an error with ERR saying why (empty: acmed_strerror()). */
struct helper_op {
	const char *name;
	int (*fn)(void *state, struct json_object *req, struct json_object *out, char *err,
		  size_t errlen);
};

/* The worker's end of one helper. */
struct helper {
	int fd;         /* -1 when none runs */
	pid_t pid;
	const char *what; /* "the signer", for messages */
	char err[HELPER_ERR_MAX]; /* why the last call failed */
};

#define HELPER_INIT(w) ((struct helper){ .fd = -1, .pid = -1, .what = (w) })

/* Fork the helper. The child calls itself NAME, dies with its parent
 * (PR_SET_PDEATHSIG), keeps stdio and the socket (as fd 3) and closes every
 * other descriptor, runs MAIN(ARG, 3) and exits 0 if it returned 0. What
 * ARG points at is the child's own copy from then on. 0 or -errno. */
int helper_start(struct helper *h, const char *name, int (*main)(void *arg, int fd), void *arg);
/* Close the socket (the helper's loop ends) and reap the helper. */
void helper_stop(struct helper *h);

/* Send REQ (taken), wait for the answer (at most MAX bytes): 0 and *OK
 * (caller puts; OK may be NULL), or the helper's error code with h->err
 * saying why; -EPIPE and friends if the helper is gone. */
int helper_call(struct helper *h, struct json_object *req, size_t max, struct json_object **ok);

/* A new request object {"op": OP}; NULL only when out of memory. */
struct json_object *helper_request(const char *op);

/* The helper's loop on FD: each request (at most MAX bytes) is dispatched
 * by its "op" through the N OPS with STATE, and answered; a refused one
 * is logged as "WHAT: refused OP: why" (WHAT: "signer"). Returns when the worker closes its
 * end (0), or on a malformed frame (-errno). */
int helper_serve(int fd, const struct helper_op *ops, size_t n, void *state, size_t max,
		 const char *what);
