/* The etcd client's pure parts (common/etcd/etcd_json.c): base64, range
 * ends, request bodies, and answers as etcd 3.4's gateway sends them. */
#include "test.h"

#include "error.h"
#include "jsonutil.h"
#include "etcd/cluster_view.h"
#include "etcd/etcd.h"

static struct json_object *parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	TEST_CHECK(o != NULL, "bad JSON in the test: %s", s);
	return o;
}

TEST(b64_round_trip)
{
	const unsigned char bin[] = { 0, 1, 0xff, 0xfe, 'a', 0 };

	for (size_t len = 0; len <= sizeof(bin); len++) {
		char *s = etcd_b64_encode(bin, len);
		unsigned char *back = NULL;
		size_t n = 99;

		ASSERT_NONNULL(s);
		ASSERT_EQ(strlen(s) % 4, 0);
		ASSERT_EQ(etcd_b64_decode(s, &back, &n), 0);
		ASSERT_EQ(n, len);
		ASSERT_TRUE(memcmp(back, bin, len) == 0);
		ASSERT_EQ(back[n], 0);
		free(s);
		free(back);
	}
}

TEST(b64_known_and_bad)
{
	char *s = etcd_b64_encode("/acmed/a", 8);
	unsigned char *out = NULL;
	size_t n;

	ASSERT_STR_EQ(s, "L2FjbWVkL2E=");
	free(s);
	ASSERT_EQ(etcd_b64_decode("", &out, &n), 0);
	ASSERT_EQ(n, 0);
	free(out);
	ASSERT_EQ(etcd_b64_decode("abc", &out, &n), -EINVAL);   /* not a multiple of 4 */
	ASSERT_EQ(etcd_b64_decode("ab-_", &out, &n), -EINVAL);  /* base64url, not base64 */
	ASSERT_EQ(etcd_b64_decode("a=bc", &out, &n), -EINVAL);  /* padding inside */
	ASSERT_EQ(etcd_b64_decode("ab c", &out, &n), -EINVAL);
}

static void check_end(const char *prefix, size_t len, const char *want, size_t wantlen)
{
	char *end = NULL;
	size_t n = 0;

	ASSERT_EQ(etcd_prefix_end(prefix, len, &end, &n), 0);
	ASSERT_EQ(n, wantlen);
	ASSERT_TRUE(memcmp(end, want, n) == 0);
	free(end);
}

TEST(prefix_end)
{
	check_end("/acmed/", 7, "/acmed0", 7);
	check_end("a", 1, "b", 1);
	check_end("a\xff", 2, "b", 1);          /* trailing 0xff bytes are dropped */
	check_end("\xff\xff", 2, "\0", 1);      /* nothing to increment: every key */
	check_end("", 0, "\0", 1);
}

TEST(request_range_prefix)
{
	struct json_object *o = etcd_req_range("/acmed/", true, 10, 42);

	ASSERT_NONNULL(o);
	ASSERT_STR_EQ(jobj_str(o, "key"), "L2FjbWVkLw==");
	ASSERT_STR_EQ(jobj_str(o, "range_end"), "L2FjbWVkMA==");
	ASSERT_STR_EQ(jobj_str(o, "limit"), "10");
	ASSERT_STR_EQ(jobj_str(o, "revision"), "42");
	json_object_put(o);
	o = etcd_req_range("/k", false, 0, 0);
	ASSERT_TRUE(!jobj_str(o, "range_end") && !jobj_str(o, "limit") && !jobj_str(o, "revision"));
	json_object_put(o);
}

TEST(request_put_lease)
{
	struct json_object *o = etcd_req_put("/k", "v\0w", 3, 7);

	ASSERT_STR_EQ(jobj_str(o, "key"), "L2s=");
	ASSERT_STR_EQ(jobj_str(o, "value"), "dgB3");
	ASSERT_STR_EQ(jobj_str(o, "lease"), "7");
	json_object_put(o);
}

TEST(request_txn)
{
	struct etcd_cmp cmp[] = {
		{ .key = "/lock", .target = ETCD_CREATE, .result = ETCD_EQUAL, .number = 0 },
		{ .key = "/cur", .target = ETCD_VALUE, .result = ETCD_NOT_EQUAL, .value = "x",
		  .value_len = 1 },
	};
	struct etcd_op then = { .type = ETCD_OP_PUT, .key = "/lock", .value = "h", .value_len = 1,
				.lease = 9 };
	struct etcd_op other = { .type = ETCD_OP_DELETE, .key = "/d/", .prefix = true };
	struct json_object *o = etcd_req_txn(cmp, 2, &then, 1, &other, 1), *a, *c, *op, *in;

	ASSERT_NONNULL(o);
	ASSERT_TRUE(json_object_object_get_ex(o, "compare", &a));
	c = json_object_array_get_idx(a, 0);
	ASSERT_STR_EQ(jobj_str(c, "target"), "CREATE");
	ASSERT_STR_EQ(jobj_str(c, "result"), "EQUAL");
	ASSERT_STR_EQ(jobj_str(c, "create_revision"), "0");
	c = json_object_array_get_idx(a, 1);
	ASSERT_STR_EQ(jobj_str(c, "target"), "VALUE");
	ASSERT_STR_EQ(jobj_str(c, "result"), "NOT_EQUAL");
	ASSERT_STR_EQ(jobj_str(c, "value"), "eA==");
	ASSERT_TRUE(json_object_object_get_ex(o, "success", &a));
	op = json_object_array_get_idx(a, 0);
	ASSERT_TRUE(json_object_object_get_ex(op, "request_put", &in));
	ASSERT_STR_EQ(jobj_str(in, "lease"), "9");
	ASSERT_TRUE(json_object_object_get_ex(o, "failure", &a));
	op = json_object_array_get_idx(a, 0);
	ASSERT_TRUE(json_object_object_get_ex(op, "request_delete_range", &in));
	ASSERT_STR_EQ(jobj_str(in, "range_end"), "L2Qw");
	json_object_put(o);
}

TEST(request_watch)
{
	struct json_object *o = etcd_req_watch("/acmed/", true, 5), *c;

	ASSERT_TRUE(json_object_object_get_ex(o, "create_request", &c));
	ASSERT_STR_EQ(jobj_str(c, "start_revision"), "5");
	ASSERT_STR_EQ(jobj_str(c, "range_end"), "L2FjbWVkMA==");
	json_object_put(o);
}

/* What etcd 3.4.23 answered to a range (recorded from a real member). */
static const char range_answer[] =
	"{\"header\":{\"cluster_id\":\"11925465053649860255\",\"member_id\":"
	"\"6393396099264824805\",\"revision\":\"2\",\"raft_term\":\"2\"},\"kvs\":[{\"key\":"
	"\"L2FjbWVkLXRlc3QvYQ==\",\"create_revision\":\"2\",\"mod_revision\":\"2\","
	"\"version\":\"1\",\"value\":\"b25l\"}],\"count\":\"1\"}";

TEST(parse_range)
{
	struct json_object *o = parse(range_answer);
	struct etcd_range r;

	ASSERT_EQ(etcd_parse_range(o, &r), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EQ(r.revision, 2);
	ASSERT_EQ(r.count, 1);
	ASSERT_TRUE(!r.more);
	ASSERT_STR_EQ(r.kvs[0].key, "/acmed-test/a");
	ASSERT_STR_EQ((char *)r.kvs[0].value, "one");
	ASSERT_EQ(r.kvs[0].value_len, 3);
	ASSERT_EQ(r.kvs[0].create_revision, 2);
	ASSERT_EQ(r.kvs[0].version, 1);
	ASSERT_EQ(r.kvs[0].lease, 0);
	etcd_range_clear(&r);
	json_object_put(o);
	/* No kvs at all: an empty range, not an error. */
	o = parse("{\"header\":{\"revision\":\"7\"}}");
	ASSERT_EQ(etcd_parse_range(o, &r), 0);
	ASSERT_EQ(r.n, 0);
	ASSERT_EQ(r.revision, 7);
	json_object_put(o);
	/* A value that is not base64 is refused. */
	o = parse("{\"kvs\":[{\"key\":\"L2s=\",\"value\":\"!!\"}]}");
	ASSERT_EQ(etcd_parse_range(o, &r), ACMED_EETCD);
	json_object_put(o);
}

TEST(parse_txn_failed_branch)
{
	struct json_object *o = parse(
		"{\"header\":{\"revision\":\"2\"},\"responses\":[{\"response_range\":{\"header\":"
		"{\"revision\":\"2\"},\"kvs\":[{\"key\":\"L2FjbWVkLXRlc3QvYQ==\",\"create_revision\":"
		"\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"b25l\"}],\"count\":\"1\"}}]}");
	struct etcd_txn_result t;

	ASSERT_EQ(etcd_parse_txn(o, &t), 0);
	ASSERT_TRUE(!t.succeeded); /* false is left out of the JSON */
	ASSERT_EQ(t.nranges, 1);
	ASSERT_STR_EQ((char *)t.ranges[0].kvs[0].value, "one");
	etcd_txn_result_clear(&t);
	json_object_put(o);
	o = parse("{\"header\":{\"revision\":\"3\"},\"succeeded\":true,\"responses\":"
		  "[{\"response_put\":{\"header\":{\"revision\":\"3\"}}}]}");
	ASSERT_EQ(etcd_parse_txn(o, &t), 0);
	ASSERT_TRUE(t.succeeded);
	ASSERT_EQ(t.nranges, 0);
	ASSERT_EQ(t.revision, 3);
	etcd_txn_result_clear(&t);
	json_object_put(o);
}

TEST(parse_error)
{
	struct json_object *o = parse("{\"error\":\"etcdserver: request timed out\",\"message\":"
				      "\"etcdserver: request timed out\",\"code\":14}");
	int code = 0;

	ASSERT_STR_EQ(etcd_parse_error(o, &code), "etcdserver: request timed out");
	ASSERT_EQ(code, 14);
	json_object_put(o);
	o = parse(range_answer);
	ASSERT_TRUE(etcd_parse_error(o, &code) == NULL);
	json_object_put(o);
}

TEST(parse_status_and_members)
{
	struct json_object *o = parse(
		"{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"18366294674164116480\","
		"\"revision\":\"9\",\"raft_term\":\"2\"},\"version\":\"3.4.23\",\"dbSize\":\"20480\","
		"\"leader\":\"6393396099264824805\",\"raftIndex\":\"9\",\"raftTerm\":\"2\"}");
	struct etcd_status st;
	struct etcd_member *m;
	size_t n;

	ASSERT_EQ(etcd_parse_status(o, &st), 0);
	ASSERT_STR_EQ(st.version, "3.4.23");
	ASSERT_TRUE(st.member_id == 18366294674164116480ull); /* past INT64_MAX */
	ASSERT_TRUE(st.leader == 6393396099264824805ull);
	ASSERT_EQ(st.revision, 9);
	ASSERT_EQ(st.db_size, 20480);
	etcd_status_clear(&st);
	json_object_put(o);
	o = parse("{\"members\":[{\"ID\":\"18366294674164116480\",\"name\":\"m2\",\"peerURLs\":"
		  "[\"https://127.0.0.1:2\"],\"clientURLs\":[\"https://127.0.0.1:1\"]},"
		  "{\"ID\":\"5\",\"peerURLs\":[\"https://127.0.0.1:4\"]}]}");
	ASSERT_EQ(etcd_parse_members(o, &m, &n), 0);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(m[0].name, "m2");
	ASSERT_STR_EQ(m[0].client_urls[0], "https://127.0.0.1:1");
	ASSERT_STR_EQ(m[1].name, ""); /* not started yet */
	ASSERT_EQ(m[1].nclient_urls, 0);
	etcd_members_free(m, n);
	json_object_put(o);
}

TEST(lease_ttl)
{
	struct json_object *o = etcd_req_lease(7587869876553127170, 0);
	int64_t ttl = 0, granted = 0;

	/* The id as a string (an int64 past 2^53), and no TTL: nothing granted. */
	ASSERT_STR_EQ(jobj_str(o, "ID"), "7587869876553127170");
	ASSERT_TRUE(!json_object_object_get_ex(o, "TTL", NULL));
	json_object_put(o);
	o = etcd_req_lease(0, 10);
	ASSERT_STR_EQ(jobj_str(o, "TTL"), "10");
	json_object_put(o);
	o = parse("{\"header\":{\"revision\":\"12\"},\"ID\":\"7587869876553127170\","
		  "\"TTL\":\"7\",\"grantedTTL\":\"10\"}");
	ASSERT_EQ(etcd_parse_lease_ttl(o, &ttl, &granted), 0);
	ASSERT_EQ(ttl, 7);
	ASSERT_EQ(granted, 10);
	json_object_put(o);
	/* Expired: TTL -1, no grantedTTL. */
	o = parse("{\"header\":{\"revision\":\"12\"},\"ID\":\"5\",\"TTL\":\"-1\"}");
	ASSERT_EQ(etcd_parse_lease_ttl(o, &ttl, &granted), -ENOENT);
	json_object_put(o);
	o = parse("{\"error\":\"etcdserver: request timed out\",\"code\":14}");
	ASSERT_EQ(etcd_parse_lease_ttl(o, &ttl, &granted), ACMED_EETCD);
	json_object_put(o);
}

/* A lineage's current key as acmectl reads it: a plain decimal version. */
TEST(cview_parse_version)
{
	ASSERT_EQ(cview_parse_version("4"), 4);
	ASSERT_EQ(cview_parse_version("100000"), 100000);
	ASSERT_EQ(cview_parse_version("100001"), 0);
	ASSERT_EQ(cview_parse_version("0"), 0);
	ASSERT_EQ(cview_parse_version("04"), 0);
	ASSERT_EQ(cview_parse_version("-1"), 0);
	ASSERT_EQ(cview_parse_version("3abc"), 0);
	ASSERT_EQ(cview_parse_version(" 3"), 0);
	ASSERT_EQ(cview_parse_version(""), 0);
	ASSERT_EQ(cview_parse_version("99999999999999999999"), 0);
	ASSERT_EQ(cview_parse_version(NULL), 0);
}

TEST(parse_watch)
{
	struct json_object *o = parse(
		"{\"result\":{\"header\":{\"revision\":\"3\"},\"events\":[{\"kv\":{\"key\":"
		"\"L2FjbWVkLXRlc3QvYQ==\",\"create_revision\":\"2\",\"mod_revision\":\"3\","
		"\"version\":\"2\",\"value\":\"dHdv\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":"
		"\"L2I=\",\"mod_revision\":\"3\"}}]}}");
	struct etcd_watch_msg m;

	ASSERT_EQ(etcd_parse_watch(o, &m), 0);
	ASSERT_EQ(m.nevents, 2);
	ASSERT_EQ(m.events[0].type, ETCD_EVENT_PUT);
	ASSERT_STR_EQ((char *)m.events[0].kv.value, "two");
	ASSERT_EQ(m.events[1].type, ETCD_EVENT_DELETE);
	ASSERT_STR_EQ(m.events[1].kv.key, "/b");
	ASSERT_EQ(m.revision, 3);
	ASSERT_EQ(m.compact_revision, 0);
	etcd_watch_msg_clear(&m);
	json_object_put(o);
	/* What etcd sends to a watch that starts before the compaction. */
	o = parse("{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,"
		  "\"compact_revision\":\"3\"}}");
	ASSERT_EQ(etcd_parse_watch(o, &m), 0);
	ASSERT_TRUE(m.canceled);
	ASSERT_EQ(m.compact_revision, 3);
	etcd_watch_msg_clear(&m);
	json_object_put(o);
	o = parse("{\"error\":\"x\",\"code\":2}");
	ASSERT_EQ(etcd_parse_watch(o, &m), ACMED_EETCD);
	json_object_put(o);
}

TEST(new_checks_options)
{
	const char *bad[] = { "127.0.0.1:2379" }, *slash[] = { "https://h:1/" };
	struct etcd_opts o = { bad, 1, NULL, NULL, NULL, NULL, NULL, 0 };
	struct etcd *e = NULL;
	char err[256];

	ASSERT_EQ(etcd_new(&o, &e, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "127.0.0.1:2379");
	o.endpoints = slash;
	ASSERT_EQ(etcd_new(&o, &e, err, sizeof(err)), -EINVAL);
	o.nendpoints = 0;
	ASSERT_EQ(etcd_new(&o, &e, err, sizeof(err)), -EINVAL);
}

/* Nothing listens: the call fails within its time, naming the endpoint. */
TEST(unreachable_names_endpoint)
{
	const char *eps[] = { "http://127.0.0.1:1", "http://127.0.0.1:2" };
	struct etcd_opts o = { eps, 2, NULL, NULL, NULL, NULL, NULL, 2000 };
	struct etcd *e = NULL;
	struct etcd_range r;
	char err[256];

	ASSERT_EQ(etcd_new(&o, &e, err, sizeof(err)), 0);
	ASSERT_EQ(etcd_get(e, "/k", 0, &r), ACMED_EETCD);
	ASSERT_STR_CONTAINS(etcd_errmsg(e), "http://127.0.0.1:1");
	ASSERT_STR_CONTAINS(etcd_errmsg(e), "http://127.0.0.1:2");
	ASSERT_STR_CONTAINS(etcd_errmsg(e), "no etcd endpoint answered");
	etcd_free(e);
}
