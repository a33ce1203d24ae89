/* Control-socket protocol shared by acmed and acmectl (DESIGN.md, "Control
 * protocol"): each frame is a 4-byte big-endian length and one JSON object,
 * at most CTL_MAX_FRAME bytes. A request is {"v":1,"cmd":...,"args":{...}};
 * the daemon answers zero or more {"event":...} frames, then one
 * {"status":0,"data":...} or {"status":-N,"error":{"code":...,"message":...}}. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* A request (client to daemon) is at most this long, checked before it is
 * buffered; a reply (daemon to client) may be longer: the certificates of
 * thousands of lineages. */
#ifndef CTL_MAX_FRAME
#define CTL_MAX_FRAME (64 * 1024)
#endif
#ifndef CTL_MAX_REPLY
#define CTL_MAX_REPLY (64 * 1024 * 1024)
#endif
#define CTL_VERSION 1

enum ctl_cmd {
	CMD_CERTONLY,
	CMD_RENEW,
	CMD_RECONFIGURE,
	CMD_REVOKE,
	CMD_DELETE,
	CMD_CERTIFICATES,
	CMD_CHECK,
	CMD_REPAIR,
	CMD_ACCOUNT,
	CMD_STATUS,
	CMD_RELOAD,
	CMD_CANCEL,
	CMD_CONTINUE,
	CMD_METRICS,
	CMD__MAX,
};

enum {
	CMD_MUTATES = 1 << 0, /* changes state: admins only (peer.h) */
	CMD_STREAMS = 1 << 1, /* runs a job and streams progress events */
};

struct ctl_cmd_info {
	const char *name;
	unsigned flags;
	const char *summary; /* one line for acmectl --help */
};

/* The one table of commands: the daemon's dispatch, acmectl's help and the
 * authorisation check all index it by enum ctl_cmd. */
extern const struct ctl_cmd_info ctl_cmds[CMD__MAX];

/* An error reply: REPLY (an object) gets "status": ERR and "error":
 * {"code": CODE, or acmed_errname(ERR) when NULL, "message": MSG}. What the
 * daemon, a job and acmectl answer with. */
void ctl_reply_set_error(struct json_object *reply, int err, const char *code, const char *msg);
/* A new such reply (caller puts). */
struct json_object *ctl_error_reply(int err, const char *code, const char *msg);

/* revoke --reason: certbot's names of the reasons ACME takes, and their
 * codes (RFC 5280 section 5.3.1): 0 and *CODE, or -EINVAL for a name
 * that is not one (any case). */
int ctl_revoke_reason(const char *name, int *code);

/* acmectl -v: the "verbosity" of a request's ARGS, 0 to 3 (0 if absent or
 * not a number). A command's jobs with more than 0 send their log lines. */
int ctl_verbosity(struct json_object *args);

/* Index of NAME in ctl_cmds, or -1. */
int ctl_cmd_lookup(const char *name);

/* Serialise O as one request frame; caller frees *buf. -EMSGSIZE if over
 * CTL_MAX_FRAME. */
int ctl_frame_encode(struct json_object *o, char **buf, size_t *len);
/* The same for a reply frame (up to CTL_MAX_REPLY). */
int ctl_reply_encode(struct json_object *o, char **buf, size_t *len);
/* The reply frame {"status":0,"data":{KEY:[...]}} of up to N items: item I
 * is ITEM(I, CTX), a new reference (NULL leaves it out), serialised and put
 * at once. The same bytes ctl_reply_encode() makes of the whole tree,
 * without holding a listing of thousands as one: its objects take several
 * times the memory of its text. Caller frees *BUF. -EMSGSIZE over
 * CTL_MAX_REPLY, -ENOMEM. */
int ctl_reply_encode_list(const char *key, size_t n,
			  struct json_object *(*item)(size_t i, void *ctx), void *ctx, char **buf,
			  size_t *len);

/* A reply frame's BODY (LEN bytes, no length prefix) that
 * ctl_reply_encode_list() made for KEY (letters and '_' only), taken item by
 * item: FN(ITEM, CTX) for each, ITEM borrowed for the call. A reader of a
 * listing of thousands then holds one item's objects at a time, not the
 * whole tree (several times the text's size, and as many allocations).
 * 1 if BODY is such a reply and every item was handed over; 0 if BODY is
 * something else (an error reply, say: parse it whole); -EBADMSG if it
 * starts as one and is broken; FN's negative return, which stops it. */
int ctl_list_each(const char *body, size_t len, const char *key,
		  int (*fn)(struct json_object *item, void *ctx), void *ctx);
/* BODY (LEN bytes) as one frame's JSON object, nothing after it: 0 and *OUT
 * (caller puts), or -EBADMSG. */
int ctl_frame_parse(const char *body, size_t len, struct json_object **out);

/* Incremental decoder for a non-blocking reader. A frame's body is parsed
 * as it arrives and its bytes dropped once parsed: a reply of megabytes is
 * never held as text and parsed only at its end. */
struct ctl_reader {
	unsigned char *buf; /* bytes fed and not parsed yet */
	size_t len, cap;
	size_t max; /* the frame limit; 0: CTL_MAX_FRAME */
	struct json_tokener *tok; /* the frame being parsed, if any */
	size_t body_left;         /* its bytes still to come */
	size_t taken;             /* ctl_reader_next_body(): bytes handed out */
};

void ctl_reader_clear(struct ctl_reader *r);
/* Append bytes. -ENOMEM. */
int ctl_reader_feed(struct ctl_reader *r, const void *data, size_t n);
/* 1 and a frame in *out (caller puts), 0 if more bytes are needed, -EMSGSIZE
 * for an oversized frame, -EBADMSG for one that is not a JSON object. */
int ctl_reader_next(struct ctl_reader *r, struct json_object **out);
/* The same, but the frame's body unparsed: 1 with *BODY pointing at its
 * *LEN bytes inside R (valid until the next call on R), 0, -EMSGSIZE or
 * -EBADMSG. Not to be mixed with ctl_reader_next() within one frame. */
int ctl_reader_next_body(struct ctl_reader *r, const char **body, size_t *len);

/* Blocking send of one request frame, and receive of one reply frame (up to
 * CTL_MAX_REPLY), on FD (for acmectl and tests). */
int ctl_send(int fd, struct json_object *o);
int ctl_recv(int fd, struct json_object **out);
/* ctl_recv() of a frame of at most MAX bytes (-EMSGSIZE beyond). */
int ctl_recv_max(int fd, size_t max, struct json_object **out);

/* The whole of FD up to its end, at most MAX bytes, as one JSON object (a
 * job's or the watcher's spec on fd 0); NULL if it is longer, not JSON, or
 * unreadable. Caller puts. */
struct json_object *ctl_read_whole(int fd, size_t max);
