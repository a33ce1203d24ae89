#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctlproto.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"

const struct ctl_cmd_info ctl_cmds[CMD__MAX] = {
	[CMD_CERTONLY] = { "certonly", CMD_MUTATES | CMD_STREAMS,
			   "obtain a certificate and save it as a lineage" },
	[CMD_RENEW] = { "renew", CMD_MUTATES | CMD_STREAMS,
			"renew the certificates that are due (all with --force-renewal)" },
	[CMD_RECONFIGURE] = { "reconfigure", CMD_MUTATES | CMD_STREAMS,
			      "change a lineage's saved settings, tried by a dry run first" },
	[CMD_REVOKE] = { "revoke", CMD_MUTATES | CMD_STREAMS,
			 "revoke a certificate (and stop renewing its lineage)" },
	[CMD_DELETE] = { "delete", CMD_MUTATES,
			 "delete a lineage: its archive, live links and renewal file" },
	[CMD_CERTIFICATES] = { "certificates", 0, "list the certificates acmed manages" },
	[CMD_CHECK] = { "check", CMD_STREAMS, "verify every lineage's files and live/ links" },
	[CMD_REPAIR] = { "repair", CMD_MUTATES | CMD_STREAMS,
			 "point live/ at the newest good version again" },
	[CMD_ACCOUNT] = { "account", CMD_MUTATES | CMD_STREAMS,
			  "register, show, update, deactivate or roll over the ACME account" },
	[CMD_STATUS] = { "status", 0, "show the daemon's state" },
	[CMD_RELOAD] = { "reload", CMD_MUTATES,
			 "re-read acmed.conf and the renewal files" },
	[CMD_CANCEL] = { "cancel", CMD_MUTATES,
			 "cancel a job: its lineage stays as it was" },
	[CMD_CONTINUE] = { "continue", CMD_MUTATES,
			   "tell a job waiting for you (certonly --manual) to go on" },
	[CMD_METRICS] = { "metrics", 0, "print the Prometheus metrics" },
};
_Static_assert(ELEMENTSOF(ctl_cmds) == CMD__MAX, "every command needs a table entry");

int ctl_cmd_lookup(const char *name)
{
	for (size_t i = 0; i < CMD__MAX; i++)
		if (streq(ctl_cmds[i].name, name))
			return (int)i;
	return -1;
}

int ctl_verbosity(struct json_object *args)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(args, "verbosity", &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n < 0 ? 0 : n > 3 ? 3 : (int)n;
}

/* How every frame's JSON is written. */
#define CTL_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static int encode(struct json_object *o, size_t max, char **buf, size_t *len)
{
	const char *text = json_object_to_json_string_ext(o, CTL_JSON_FLAGS);
	size_t n = strlen(text);
	unsigned char *b;

	if (n > max)
		return -EMSGSIZE;
	b = malloc(n + 4);
	if (!b)
		return -ENOMEM;
	b[0] = (unsigned char)(n >> 24);
	b[1] = (unsigned char)(n >> 16);
	b[2] = (unsigned char)(n >> 8);
	b[3] = (unsigned char)n;
	memcpy(b + 4, text, n);
	*buf = (char *)b;
	*len = n + 4;
	return 0;
}

int ctl_frame_encode(struct json_object *o, char **buf, size_t *len)
{
	return encode(o, CTL_MAX_FRAME, buf, len);
}

int ctl_reply_encode(struct json_object *o, char **buf, size_t *len)
{
	return encode(o, CTL_MAX_REPLY, buf, len);
}

/* A frame being written: the 4-byte length first, filled in at the end. */
struct frame_buf {
	char *p;
	size_t len, cap;
};

static int frame_add(struct frame_buf *f, const char *s, size_t n)
{
	if (f->len + n > 4 + (size_t)CTL_MAX_REPLY)
		return -EMSGSIZE;
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		char *p;

		while (cap < f->len + n)
			cap *= 2;
		p = realloc(f->p, cap);
		if (!p)
			return -ENOMEM;
		f->p = p;
		f->cap = cap;
	}
	memcpy(f->p + f->len, s, n);
	f->len += n;
	return 0;
}

static int frame_add_json(struct frame_buf *f, struct json_object *o)
{
	size_t n;
	const char *text = json_object_to_json_string_length(o, CTL_JSON_FLAGS, &n);

	return text ? frame_add(f, text, n) : -ENOMEM;
}

int ctl_reply_encode_list(const char *key, size_t n,
			  struct json_object *(*item)(size_t i, void *ctx), void *ctx, char **buf,
			  size_t *len)
{
	static const char head[] = "\0\0\0\0{\"status\":0,\"data\":{";
	struct frame_buf f = { 0 };
	struct json_object *k = json_object_new_string(key);
	bool first = true;
	size_t body;
	int r = k ? frame_add(&f, head, sizeof(head) - 1) : -ENOMEM;

	if (r == 0 && (r = frame_add_json(&f, k)) == 0)
		r = frame_add(&f, ":[", 2);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct json_object *o = item(i, ctx);

		if (!o)
			continue;
		if (!first)
			r = frame_add(&f, ",", 1);
		if (r == 0)
			r = frame_add_json(&f, o);
		first = false;
		json_object_put(o);
	}
	if (r == 0)
		r = frame_add(&f, "]}}", 3);
	json_object_put(k);
	if (r < 0) {
		free(f.p);
		return r;
	}
	body = f.len - 4;
	f.p[0] = (char)(body >> 24);
	f.p[1] = (char)(body >> 16);
	f.p[2] = (char)(body >> 8);
	f.p[3] = (char)body;
	*buf = f.p;
	*len = f.len;
	return 0;
}

void ctl_reader_clear(struct ctl_reader *r)
{
	free(r->buf);
	if (r->tok)
		json_tokener_free(r->tok);
	memset(r, 0, sizeof(*r));
}

/* Drop the first N bytes of R's buffer. */
static void reader_consume(struct ctl_reader *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

int ctl_reader_feed(struct ctl_reader *r, const void *data, size_t n)
{
	if (n == 0)
		return 0; /* nothing to add (and r->buf may still be NULL) */
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		unsigned char *b;

		while (cap < r->len + n)
			cap *= 2;
		b = realloc(r->buf, cap);
		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	return 0;
}

/* The frame length at the start of R's buffer, checked: 1 and *N, 0 if
 * not all 4 bytes are in, -EMSGSIZE, -EBADMSG. */
static int reader_length(const struct ctl_reader *r, uint32_t *n)
{
	if (r->len < 4)
		return 0;
	*n = (uint32_t)r->buf[0] << 24 | (uint32_t)r->buf[1] << 16 | (uint32_t)r->buf[2] << 8 |
	     r->buf[3];
	/* Refuse before buffering: the length is checked, not trusted. */
	if (*n > (r->max ? r->max : CTL_MAX_FRAME))
		return -EMSGSIZE;
	return *n == 0 ? -EBADMSG : 1;
}

int ctl_reader_next(struct ctl_reader *r, struct json_object **out)
{
	struct json_object *o;
	enum json_tokener_error e;
	size_t k;

	if (!r->tok) {
		uint32_t n;
		int got = reader_length(r, &n);

		if (got <= 0)
			return got;
		r->tok = json_tokener_new();
		if (!r->tok)
			return -ENOMEM;
		r->body_left = n;
		reader_consume(r, 4);
	}
	k = r->len < r->body_left ? r->len : r->body_left;
	if (k == 0)
		return 0;
	o = json_tokener_parse_ex(r->tok, (const char *)r->buf, (int)k);
	e = json_tokener_get_error(r->tok);
	/* The whole frame must be exactly one object: not cut short, nothing
	 * after it. */
	if (o ? e != json_tokener_success || json_tokener_get_parse_end(r->tok) != k ||
			k != r->body_left || !json_object_is_type(o, json_type_object)
	      : e != json_tokener_continue || k == r->body_left) {
		json_object_put(o);
		return -EBADMSG;
	}
	reader_consume(r, k);
	r->body_left -= k;
	if (!o)
		return 0;
	json_tokener_free(r->tok);
	r->tok = NULL;
	*out = o;
	return 1;
}

int ctl_reader_next_body(struct ctl_reader *r, const char **body, size_t *len)
{
	uint32_t n;
	int k;

	if (r->taken) {
		reader_consume(r, r->taken);
		r->taken = 0;
	}
	k = reader_length(r, &n);
	if (k <= 0)
		return k;
	if (r->len - 4 < n)
		return 0;
	*body = (const char *)r->buf + 4;
	*len = n;
	r->taken = 4 + (size_t)n;
	return 1;
}

int ctl_frame_parse(const char *body, size_t len, struct json_object **out)
{
	struct json_tokener *tok = len <= INT_MAX ? json_tokener_new() : NULL;
	struct json_object *o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
	bool whole = o && json_tokener_get_error(tok) == json_tokener_success &&
		     json_tokener_get_parse_end(tok) == len &&
		     json_object_is_type(o, json_type_object);

	if (tok)
		json_tokener_free(tok);
	if (!whole) {
		json_object_put(o);
		return -EBADMSG;
	}
	*out = o;
	return 0;
}

/* The items of a listing from P on, up to and with its closing "]}}" at
 * END: as ctl_list_each(). */
static int list_items(struct json_tokener *tok, const char *p, const char *end,
		      int (*fn)(struct json_object *item, void *ctx), void *ctx)
{
	if (p < end && *p == ']')
		return end - p == 3 && memcmp(p, "]}}", 3) == 0 ? 1 : -EBADMSG;
	for (;;) {
		struct json_object *o;
		int r;

		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, p, (int)(end - p));
		if (!o || json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(o);
			return -EBADMSG;
		}
		p += json_tokener_get_parse_end(tok);
		r = fn(o, ctx);
		json_object_put(o);
		if (r < 0)
			return r;
		if (p < end && *p == ',')
			p++;
		else
			return end - p == 3 && memcmp(p, "]}}", 3) == 0 ? 1 : -EBADMSG;
	}
}

int ctl_list_each(const char *body, size_t len, const char *key,
		  int (*fn)(struct json_object *item, void *ctx), void *ctx)
{
	struct json_tokener *tok;
	char head[128];
	int n = snprintf(head, sizeof(head), "{\"status\":0,\"data\":{\"%s\":[", key);
	int r;

	if (n < 0 || (size_t)n >= sizeof(head) || len > INT_MAX || len < (size_t)n ||
	    memcmp(body, head, (size_t)n) != 0)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	r = list_items(tok, body + n, body + len, fn, ctx);
	json_tokener_free(tok);
	return r;
}

int ctl_send(int fd, struct json_object *o)
{
	char *buf;
	size_t len;
	int r = ctl_frame_encode(o, &buf, &len);

	if (r < 0)
		return r;
	/* send() with MSG_NOSIGNAL: a peer that hung up (a daemon refusing a
	 * client before reading its request) is an error to report, not a
	 * SIGPIPE that kills acmectl before it can read the refusal. */
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	free(buf);
	return r;
}

int ctl_recv(int fd, struct json_object **out)
{
	return ctl_recv_max(fd, CTL_MAX_REPLY, out);
}

int ctl_recv_max(int fd, size_t max, struct json_object **out)
{
	struct ctl_reader rd = { .max = max };
	unsigned char hdr[4], *body = NULL;
	size_t need = 4, got = 0;
	int r;

	/* Read exactly one frame, header then body, so no byte of the next
	 * frame is consumed. */
	for (int phase = 0; phase < 2; phase++) {
		unsigned char *dst = phase == 0 ? hdr : body;

		got = 0;
		while (got < need) {
			ssize_t n = read(fd, dst + got, need - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r = n == 0 ? -ECONNRESET : -errno;
				goto out;
			}
			got += (size_t)n;
		}
		if (phase == 0) {
			need = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
			       hdr[3];
			if (need > max) {
				r = -EMSGSIZE;
				goto out;
			}
			body = malloc(need + 1);
			if (!body) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	r = ctl_reader_feed(&rd, hdr, 4);
	if (r == 0)
		r = ctl_reader_feed(&rd, body, need);
	if (r == 0)
		r = ctl_reader_next(&rd, out) == 1 ? 0 : -EBADMSG;
out:
	free(body);
	ctl_reader_clear(&rd);
	return r;
}

int ctl_revoke_reason(const char *name, int *code)
{
	static const struct {
		const char *name;
		int code;
	} reasons[] = {
		{ "unspecified", 0 }, { "keycompromise", 1 }, { "affiliationchanged", 3 },
		{ "superseded", 4 },  { "cessationofoperation", 5 },
	};

	for (size_t i = 0; i < ELEMENTSOF(reasons); i++) {
		if (name && strcasecmp(name, reasons[i].name) == 0) {
			*code = reasons[i].code;
			return 0;
		}
	}
	return -EINVAL;
}

void ctl_reply_set_error(struct json_object *reply, int err, const char *code, const char *msg)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code ? code : acmed_errname(err)));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(reply, "status", json_object_new_int(err));
	json_object_object_add(reply, "error", e);
}

struct json_object *ctl_error_reply(int err, const char *code, const char *msg)
{
	struct json_object *reply = json_object_new_object();

	if (reply)
		ctl_reply_set_error(reply, err, code, msg);
	return reply;
}

struct json_object *ctl_read_whole(int fd, size_t max)
{
	char *buf = malloc(max + 1);
	size_t len = 0;
	ssize_t n = 1;
	struct json_object *o = NULL;

	while (buf && n > 0 && len < max) {
		n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			len += (size_t)n;
	}
	if (buf && n == 0) {
		buf[len] = '\0';
		o = json_tokener_parse(buf);
	}
	free(buf);
	return o;
}
