/* The control protocol's framing, with the frame limit shrunk to 18 bytes
 * (as Knot tests its control protocol) so every limit path runs. */
#define CTL_MAX_FRAME 18
#define CTL_MAX_REPLY 40
#include "common/ctlproto.c"

#include <sys/socket.h>

#include "test.h"

/* {"k":"xxx..."}: 8 bytes plus N x's. */
static struct json_object *obj_of_size(size_t size)
{
	char val[64];
	struct json_object *o = json_object_new_object();

	ASSERT_TRUE(size >= 8 && size - 8 < sizeof(val));
	memset(val, 'x', size - 8);
	val[size - 8] = '\0';
	json_object_object_add(o, "k", json_object_new_string(val));
	ASSERT_INT_EQ(strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)), size);
	return o;
}

/* A raw frame: 4-byte big-endian length, then BODY. */
static size_t raw_frame(unsigned char *buf, const char *body, size_t n)
{
	buf[0] = (unsigned char)(n >> 24);
	buf[1] = (unsigned char)(n >> 16);
	buf[2] = (unsigned char)(n >> 8);
	buf[3] = (unsigned char)n;
	memcpy(buf + 4, body, n);
	return n + 4;
}

static const char *str_member(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

TEST(encode_at_and_over_limit)
{
	struct json_object *at = obj_of_size(18), *over = obj_of_size(19);
	char *buf = NULL;
	size_t len = 0;

	ASSERT_INT_EQ(ctl_frame_encode(at, &buf, &len), 0);
	ASSERT_INT_EQ(len, 22);
	ASSERT_TRUE(memcmp(buf, "\0\0\0\x12{\"k\":\"xxxxxxxxxx\"}", 22) == 0);
	free(buf);
	buf = NULL;
	ASSERT_INT_EQ(ctl_frame_encode(over, &buf, &len), -EMSGSIZE);
	ASSERT_TRUE(buf == NULL);
	json_object_put(at);
	json_object_put(over);
}

TEST(reader_byte_by_byte)
{
	struct json_object *o = obj_of_size(18), *out = NULL;
	struct ctl_reader r = { 0 };
	char *buf;
	size_t len;

	ASSERT_INT_EQ(ctl_frame_encode(o, &buf, &len), 0);
	for (size_t i = 0; i < len; i++) {
		ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
		ASSERT_INT_EQ(ctl_reader_feed(&r, buf + i, 1), 0);
	}
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 1);
	ASSERT_STR_EQ(str_member(out, "k"), "xxxxxxxxxx");
	ASSERT_INT_EQ(r.len, 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
	json_object_put(out);
	ctl_reader_clear(&r);
	ASSERT_TRUE(r.buf == NULL && r.len == 0 && r.cap == 0);
	free(buf);
	json_object_put(o);
}

TEST(reader_two_frames_in_one_feed)
{
	unsigned char buf[128];
	size_t n = raw_frame(buf, "{\"a\":\"1\"}", 9);
	struct ctl_reader r = { 0 };
	struct json_object *out = NULL;

	n += raw_frame(buf + n, "{\"a\":\"2\"}", 9);
	n += raw_frame(buf + n, "{\"a\":\"3\"}", 9);
	/* All of frames 1 and 2, half of frame 3. */
	ASSERT_INT_EQ(ctl_reader_feed(&r, buf, n - 6), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 1);
	ASSERT_STR_EQ(str_member(out, "a"), "1");
	json_object_put(out);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 1);
	ASSERT_STR_EQ(str_member(out, "a"), "2");
	json_object_put(out);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
	ASSERT_INT_EQ(ctl_reader_feed(&r, buf + n - 6, 6), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 1);
	ASSERT_STR_EQ(str_member(out, "a"), "3");
	json_object_put(out);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
	ctl_reader_clear(&r);
}

static int reader_result(const char *body, size_t n)
{
	unsigned char buf[64];
	struct ctl_reader r = { 0 };
	struct json_object *out = NULL;
	int ret;

	ASSERT_INT_EQ(ctl_reader_feed(&r, buf, raw_frame(buf, body, n)), 0);
	ret = ctl_reader_next(&r, &out);
	if (ret == 1)
		json_object_put(out);
	ctl_reader_clear(&r);
	return ret;
}

TEST(reader_frame_at_limit)
{
	ASSERT_INT_EQ(reader_result("{\"k\":\"xxxxxxxxxx\"}", 18), 1);
	ASSERT_INT_EQ(reader_result("{}", 2), 1);
}

TEST(reader_rejects_non_objects)
{
	ASSERT_INT_EQ(reader_result("[1,2]", 5), -EBADMSG);
	ASSERT_INT_EQ(reader_result("\"str\"", 5), -EBADMSG);
	ASSERT_INT_EQ(reader_result("5", 1), -EBADMSG);
	ASSERT_INT_EQ(reader_result("null", 4), -EBADMSG);
	ASSERT_INT_EQ(reader_result("true", 4), -EBADMSG);
	ASSERT_INT_EQ(reader_result("", 0), -EBADMSG);
}

TEST(reader_rejects_garbage_in_frame)
{
	ASSERT_INT_EQ(reader_result("{\"a\":1}x", 8), -EBADMSG);
	ASSERT_INT_EQ(reader_result("{\"a\":1}{}", 9), -EBADMSG);
	ASSERT_INT_EQ(reader_result("{\"a\":1}\0\0", 9), -EBADMSG);
	ASSERT_INT_EQ(reader_result("{\"a\":", 5), -EBADMSG);
	ASSERT_INT_EQ(reader_result("{a:1}", 5), -EBADMSG);
	ASSERT_INT_EQ(reader_result("\xff\xfe{}", 4), -EBADMSG);
}

TEST(reader_refuses_oversized_header_early)
{
	static const unsigned char hdr19[] = { 0, 0, 0, 19 }, huge[] = { 0xff, 0xff, 0xff, 0xff };
	struct ctl_reader r = { 0 };
	struct json_object *out = NULL;

	/* Only the header has arrived: the length alone is refused. */
	ASSERT_INT_EQ(ctl_reader_feed(&r, hdr19, 3), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
	ASSERT_INT_EQ(ctl_reader_feed(&r, hdr19 + 3, 1), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), -EMSGSIZE);
	ctl_reader_clear(&r);
	ASSERT_INT_EQ(ctl_reader_feed(&r, huge, 4), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), -EMSGSIZE);
	ctl_reader_clear(&r);
	/* At the limit, a partial body just waits for more. */
	ASSERT_INT_EQ(ctl_reader_feed(&r, "\0\0\0\x12{\"k\"", 8), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
	ctl_reader_clear(&r);
}

/* A body parsed as it arrives: its bytes are not kept, and the frame
 * still has to be exactly one object, however it is cut. */
TEST(reader_parses_as_bytes_arrive)
{
	unsigned char buf[64];
	struct ctl_reader r = { 0 };
	struct json_object *out = NULL;
	size_t n = raw_frame(buf, "{\"a\":\"xyz\"}", 11);

	ASSERT_INT_EQ(ctl_reader_feed(&r, buf, 9), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
	ASSERT_INT_EQ(r.len, 0);
	ASSERT_INT_EQ(ctl_reader_feed(&r, buf + 9, n - 9), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 1);
	ASSERT_STR_EQ(str_member(out, "a"), "xyz");
	json_object_put(out);
	ctl_reader_clear(&r);
	/* The object ends before the frame does, or the frame before it. */
	n = raw_frame(buf, "{\"a\":1} ", 8);
	ASSERT_INT_EQ(ctl_reader_feed(&r, buf, n - 1), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), -EBADMSG);
	ctl_reader_clear(&r);
	n = raw_frame(buf, "{\"a\":1", 6);
	n += raw_frame(buf + n, "}", 1);
	ASSERT_INT_EQ(ctl_reader_feed(&r, buf, 7), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), 0);
	ASSERT_INT_EQ(ctl_reader_feed(&r, buf + 7, n - 7), 0);
	ASSERT_INT_EQ(ctl_reader_next(&r, &out), -EBADMSG);
	ctl_reader_clear(&r);
	ASSERT_TRUE(r.tok == NULL);
}

TEST(reader_grows_buffer)
{
	struct ctl_reader r = { 0 };
	unsigned char buf[22 * 40], frame[32];
	struct json_object *out = NULL;
	size_t n = raw_frame(frame, "{\"k\":\"xxxxxxxxxx\"}", 18);
	int count = 0;

	for (int i = 0; i < 40; i++)
		memcpy(buf + (size_t)i * n, frame, n);
	ASSERT_INT_EQ(ctl_reader_feed(&r, buf, sizeof(buf)), 0);
	ASSERT_TRUE(r.cap >= sizeof(buf));
	while (ctl_reader_next(&r, &out) == 1) {
		count++;
		json_object_put(out);
	}
	ASSERT_INT_EQ(count, 40);
	ctl_reader_clear(&r);
}

TEST(send_recv_socketpair)
{
	int sv[2];
	struct json_object *a = json_object_new_object(), *b = obj_of_size(18);
	struct json_object *over = obj_of_size(19), *out = NULL;

	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	json_object_object_add(a, "v", json_object_new_int(1));
	ASSERT_INT_EQ(ctl_send(sv[0], a), 0);
	ASSERT_INT_EQ(ctl_send(sv[0], b), 0);
	ASSERT_INT_EQ(ctl_send(sv[0], over), -EMSGSIZE); /* nothing written */
	ASSERT_INT_EQ(ctl_recv(sv[1], &out), 0);
	ASSERT_TRUE(json_object_equal(out, a));
	json_object_put(out);
	/* The first recv did not eat into the second frame. */
	ASSERT_INT_EQ(ctl_recv(sv[1], &out), 0);
	ASSERT_TRUE(json_object_equal(out, b));
	json_object_put(out);
	close(sv[0]);
	ASSERT_INT_EQ(ctl_recv(sv[1], &out), -ECONNRESET);
	close(sv[1]);
	json_object_put(a);
	json_object_put(b);
	json_object_put(over);
}

static int recv_raw(const void *data, size_t n, bool close_after)
{
	struct json_object *out = NULL;
	int sv[2], r;

	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ASSERT_INT_EQ(write(sv[0], data, n), (ssize_t)n);
	if (close_after)
		close(sv[0]);
	r = ctl_recv(sv[1], &out);
	if (r == 0)
		json_object_put(out);
	if (!close_after)
		close(sv[0]);
	close(sv[1]);
	return r;
}

TEST(recv_errors)
{
	/* Replies may be longer than requests, up to CTL_MAX_REPLY. */
	ASSERT_INT_EQ(recv_raw("\0\0\0\x29", 4, false), -EMSGSIZE);
	ASSERT_INT_EQ(recv_raw("\0\0\0\x13{\"k\":\"xxxxxxxxxxx\"}", 23, false), 0);
	ASSERT_INT_EQ(recv_raw("\0\0\0\x05[1,2]", 9, false), -EBADMSG);
	ASSERT_INT_EQ(recv_raw("\0\0\0\x03{}x", 7, false), -EBADMSG);
	ASSERT_INT_EQ(recv_raw("\0\0\0\x10{\"a\":", 9, true), -ECONNRESET); /* body cut */
	ASSERT_INT_EQ(recv_raw("\0\0", 2, true), -ECONNRESET);              /* header cut */
	ASSERT_INT_EQ(recv_raw("\0\0\0\x02{}", 6, true), 0);
	ASSERT_INT_EQ(ctl_recv(-1, &(struct json_object *){ NULL }), -EBADF);
}

/* Even numbers up to the context's limit; odd ones are left out. */
static struct json_object *even(size_t i, void *ctx)
{
	(void)ctx;
	return i % 2 ? NULL : json_object_new_int((int)i);
}

/* The reply of {"status":0,"data":{KEY:[the even numbers below N]}} as one
 * tree, through ctl_reply_encode(). */
static int tree_reply(const char *key, size_t n, char **buf, size_t *len)
{
	struct json_object *reply = json_object_new_object(), *data = json_object_new_object();
	struct json_object *list = json_object_new_array();
	int r;

	for (size_t i = 0; i < n; i += 2)
		json_object_array_add(list, json_object_new_int((int)i));
	json_object_object_add(data, key, list);
	json_object_object_add(reply, "status", json_object_new_int(0));
	json_object_object_add(reply, "data", data);
	r = ctl_reply_encode(reply, buf, len);
	json_object_put(reply);
	return r;
}

TEST(reply_list_same_bytes_as_tree)
{
	static const char *keys[] = { "k", "q\"" };

	for (size_t k = 0; k < 2; k++) {
		for (size_t n = 0; n <= 7; n++) {
			char *a = NULL, *b = NULL;
			size_t alen = 0, blen = 0;

			ASSERT_INT_EQ(ctl_reply_encode_list(keys[k], n, even, NULL, &a, &alen), 0);
			ASSERT_INT_EQ(tree_reply(keys[k], n, &b, &blen), 0);
			ASSERT_INT_EQ(alen, blen);
			ASSERT_TRUE(memcmp(a, b, alen) == 0);
			free(a);
			free(b);
		}
	}
}

TEST(reply_list_over_limit)
{
	char *buf = NULL;
	size_t len = 0;

	/* {"status":0,"data":{"k":[0,2,4,6,8,10]}}: 40 bytes, at the limit. */
	ASSERT_INT_EQ(ctl_reply_encode_list("k", 12, even, NULL, &buf, &len), 0);
	ASSERT_INT_EQ(len, 44);
	free(buf);
	buf = NULL;
	ASSERT_INT_EQ(ctl_reply_encode_list("k", 13, even, NULL, &buf, &len), -EMSGSIZE);
	ASSERT_TRUE(buf == NULL);
}

/* ctl_list_each()'s collector: the items' JSON texts, joined by ' '. */
static int collect(struct json_object *item, void *ctx)
{
	char *all = ctx;
	size_t n = strlen(all);

	snprintf(all + n, 256 - n, "%s%s", n ? " " : "", json_object_to_json_string(item));
	return 0;
}

static int refuse_third(struct json_object *item, void *ctx)
{
	return ++*(int *)ctx == 3 ? -ECANCELED : 0;
}

TEST(list_each_gives_what_the_list_encoder_wrote)
{
	for (size_t n = 0; n <= 7; n++) {
		char *buf = NULL, got[256] = "", want[256] = "";
		size_t len = 0;

		ASSERT_INT_EQ(ctl_reply_encode_list("k", n, even, NULL, &buf, &len), 0);
		for (size_t i = 0; i < n; i += 2)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%zu",
				 i ? " " : "", i);
		ASSERT_INT_EQ(ctl_list_each(buf + 4, len - 4, "k", collect, got), 1);
		ASSERT_STR_EQ(got, want);
		free(buf);
	}
}

TEST(list_each_objects_and_a_stop)
{
	static const char body[] = "{\"status\":0,\"data\":{\"certificates\":"
				   "[{\"name\":\"a\",\"d\":[1,{}]},{\"name\":\"b,]\"},{},{}]}}";
	char got[256] = "";
	int calls = 0;

	ASSERT_INT_EQ(ctl_list_each(body, strlen(body), "certificates", collect, got), 1);
	ASSERT_STR_EQ(got, "{ \"name\": \"a\", \"d\": [ 1, { } ] } { \"name\": \"b,]\" } { } { }");
	ASSERT_INT_EQ(ctl_list_each(body, strlen(body), "certificates", refuse_third, &calls),
		      -ECANCELED);
	ASSERT_INT_EQ(calls, 3);
}

TEST(list_each_leaves_other_replies_and_refuses_broken_ones)
{
	static const char *other[] = {
		"{\"status\":-2,\"error\":{\"message\":\"x\"}}",
		"{\"status\":0,\"data\":{\"other\":[]}}",
		"{\"status\":0,\"data\":{\"k\":[]}}",
		"{\"status\":0,",
	};
	static const char *broken[] = {
		"{\"status\":0,\"data\":{\"certificates\":[",
		"{\"status\":0,\"data\":{\"certificates\":[{}",
		"{\"status\":0,\"data\":{\"certificates\":[{},]}}",
		"{\"status\":0,\"data\":{\"certificates\":[{}]}}x",
		"{\"status\":0,\"data\":{\"certificates\":[{}]}",
		"{\"status\":0,\"data\":{\"certificates\":[{} {}]}}",
		"{\"status\":0,\"data\":{\"certificates\":[{\"a\":}]}}",
		"{\"status\":0,\"data\":{\"certificates\":[]}},\"more\":1}",
	};
	char got[256] = "";

	for (size_t i = 0; i < ELEMENTSOF(other); i++)
		ASSERT_INT_EQ(ctl_list_each(other[i], strlen(other[i]), "certificates", collect, got),
			      0);
	for (size_t i = 0; i < ELEMENTSOF(broken); i++)
		ASSERT_INT_EQ(ctl_list_each(broken[i], strlen(broken[i]), "certificates", collect,
					    got),
			      -EBADMSG);
}

TEST(frame_parse_whole_objects_only)
{
	struct json_object *o = NULL;

	ASSERT_INT_EQ(ctl_frame_parse("{\"a\":1}", 7, &o), 0);
	ASSERT_INT_EQ(json_object_get_int(json_object_object_get(o, "a")), 1);
	json_object_put(o);
	ASSERT_INT_EQ(ctl_frame_parse("{\"a\":1}x", 8, &o), -EBADMSG);
	ASSERT_INT_EQ(ctl_frame_parse("{\"a\":1", 6, &o), -EBADMSG);
	ASSERT_INT_EQ(ctl_frame_parse("[1]", 3, &o), -EBADMSG);
	ASSERT_INT_EQ(ctl_frame_parse("{}{}", 4, &o), -EBADMSG);
}

TEST(cmd_table)
{
	ASSERT_INT_EQ(ctl_cmd_lookup("certonly"), CMD_CERTONLY);
	ASSERT_INT_EQ(ctl_cmd_lookup("certificates"), CMD_CERTIFICATES);
	ASSERT_INT_EQ(ctl_cmd_lookup("status"), CMD_STATUS);
	ASSERT_INT_EQ(ctl_cmd_lookup("renew"), CMD_RENEW);
	ASSERT_INT_EQ(ctl_cmd_lookup("revoke"), CMD_REVOKE);
	ASSERT_INT_EQ(ctl_cmd_lookup("register"), -1);
	ASSERT_INT_EQ(ctl_cmd_lookup("CERTONLY"), -1);
	ASSERT_INT_EQ(ctl_cmd_lookup("cert"), -1);
	ASSERT_INT_EQ(ctl_cmd_lookup(""), -1);
	ASSERT_INT_EQ(ctl_cmd_lookup(NULL), -1);
	for (int i = 0; i < CMD__MAX; i++) {
		ASSERT_NONNULL(ctl_cmds[i].name);
		ASSERT_NONNULL(ctl_cmds[i].summary);
		ASSERT_INT_EQ(ctl_cmd_lookup(ctl_cmds[i].name), i);
	}
	ASSERT_TRUE(ctl_cmds[CMD_CERTONLY].flags & CMD_MUTATES);
	ASSERT_TRUE(ctl_cmds[CMD_CERTONLY].flags & CMD_STREAMS);
	ASSERT_TRUE(ctl_cmds[CMD_RENEW].flags & CMD_MUTATES);
	ASSERT_TRUE(ctl_cmds[CMD_RENEW].flags & CMD_STREAMS);
	ASSERT_INT_EQ(ctl_cmds[CMD_STATUS].flags & CMD_MUTATES, 0);
	ASSERT_INT_EQ(ctl_cmds[CMD_CERTIFICATES].flags & CMD_MUTATES, 0);
}
