/* acmectl's output and input checks: the escaping of everything it prints,
 * the JSON it prints, a request too large for a frame, the wait
 * for frames, the files it reads, and "certificates"' validity. The .c
 * files are included to reach their statics. */
#include "ctl/client.c"
#include "ctl/output.c"
#include "ctl/certificates.c"

#include <sys/wait.h>

#include "test.h"

/* Swap stderr for a memory stream (stderr is a variable in glibc). */
static FILE *saved_stderr;
static char *err_buf;
static size_t err_len;

static void capture_stderr(void)
{
	saved_stderr = stderr;
	stderr = open_memstream(&err_buf, &err_len);
	ASSERT_NONNULL(stderr);
}

static char *release_stderr(void)
{
	fclose(stderr);
	stderr = saved_stderr;
	return err_buf;
}

static void assert_escaped(const char *in, const char *want)
{
	char *got = client_escape(in);

	ASSERT_STR_EQ(got, want);
	free(got);
}

TEST(escape_keeps_text)
{
	assert_escaped("", "");
	assert_escaped("plain ASCII: ~!@#$%^&*()_+{}|:\"<>?[]\\;',./`", "plain ASCII: ~!@#$%^&*()_+{}|:\"<>?[]\\;',./`");
	assert_escaped("a\ttab", "a\ttab");
	/* UTF-8 stays, U+00A0 (just after the C1 block) and 4-byte forms too. */
	assert_escaped("caf\xc3\xa9 \xc2\xa0 \xe2\x82\xac \xf0\x9f\x94\x92", "caf\xc3\xa9 \xc2\xa0 \xe2\x82\xac \xf0\x9f\x94\x92");
}

TEST(escape_controls)
{
	assert_escaped("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	assert_escaped("\x1b]0;title\x07", "\\x1b]0;title\\x07");
	assert_escaped("line\nbreak\r", "line\\x0abreak\\x0d");
	assert_escaped("del\x7f", "del\\x7f");
	assert_escaped("\x01\x1f", "\\x01\\x1f");
	/* C1 controls, as UTF-8: U+0080, U+009B (CSI), U+009F */
	assert_escaped("\xc2\x80\xc2\x9b\xc2\x9f", "\\xc2\\x80\\xc2\\x9b\\xc2\\x9f");
}

TEST(escape_invalid_utf8)
{
	assert_escaped("\x9b", "\\x9b");                     /* a lone continuation byte */
	assert_escaped("\xff\xfe", "\\xff\\xfe");
	assert_escaped("\xc3", "\\xc3");                     /* cut short by the end */
	assert_escaped("\xe2\x82x", "\\xe2\\x82x");          /* cut short */
	assert_escaped("\xc0\xaf", "\\xc0\\xaf");            /* overlong '/' */
	assert_escaped("\xe0\x80\xaf", "\\xe0\\x80\\xaf");   /* overlong */
	assert_escaped("\xed\xa0\x80", "\\xed\\xa0\\x80");   /* a surrogate */
	assert_escaped("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	assert_escaped("\xc3\x1b", "\\xc3\\x1b");
}

static char *printed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *printed(const char *fmt, ...)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	va_list ap;

	ASSERT_NONNULL(f);
	va_start(ap, fmt);
	client_vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return buf;
}

#define ASSERT_PRINTS(want, ...)                     \
	do {                                         \
		char *p_ = printed(__VA_ARGS__);     \
		ASSERT_STR_EQ(p_, want);             \
		free(p_);                            \
	} while (0)

TEST(printf_escapes_all_but_newlines)
{
	ASSERT_PRINTS("no conversion\n", "no conversion\n");
	ASSERT_PRINTS("-5 ff [  abc] 2027-02-21", "%d %x [%5s] %.10s", -5, 255u, "abc",
		      "2027-02-21 10:00:00+00:00");
	ASSERT_PRINTS("\tname: \\x1b[2J\n", "\tname: %s\n", "\x1b[2J");
	ASSERT_PRINTS("<\\x07>", "<%c>", '\a');
	ASSERT_PRINTS("\\xc2\\x9b \\x0d \\x7f", "%s %s %s", "\xc2\x9b", "\r", "\x7f");
	ASSERT_PRINTS("a\xc3\xa9 \\xff", "%s %s", "a\xc3\xa9", "\xff");
}

/* Lines longer than the stack buffer, plain or not, print the same. */
TEST(printf_long_lines)
{
	char long_in[2000], long_want[2100];

	memset(long_in, 'x', sizeof(long_in) - 1);
	long_in[sizeof(long_in) - 1] = '\0';
	ASSERT_PRINTS(long_in, "%s", long_in);
	snprintf(long_want, sizeof(long_want), "%s\\x1b\n", long_in);
	ASSERT_PRINTS(long_want, "%s\x1b\n", long_in);
	memset(long_in, 'y', 511);
	long_in[511] = '\0';
	ASSERT_PRINTS(long_in, "%s", long_in);
	snprintf(long_want, sizeof(long_want), "%s\\x07", long_in);
	ASSERT_PRINTS(long_want, "%s\a", long_in);
}

TEST(json_text_escapes_del_c1_invalid)
{
	struct json_object *o = json_object_new_object(), *back;
	const char *s = "\x1b[31m \x7f \xc2\x9b \xc3\xa9 \xff";
	char *text;

	json_object_object_add(o, "k", json_object_new_string(s));
	text = client_json_text(o);
	ASSERT_NONNULL(text);
	ASSERT_STR_CONTAINS(text, "\"\\u001b[31m \\u007f \\u009b \xc3\xa9 \\ufffd\"");
	for (const char *c = text; *c; c++)
		TEST_CHECK(*c != 0x1b && *c != 0x7f && (unsigned char)*c != 0x9b &&
				   (unsigned char)*c != 0xff,
			   "raw byte 0x%02x in %s", (unsigned char)*c, text);
	/* The same string, but the invalid byte, which becomes U+FFFD. */
	back = json_tokener_parse(text);
	ASSERT_NONNULL(back);
	ASSERT_STR_EQ(json_object_get_string(json_object_object_get(back, "k")),
		      "\x1b[31m \x7f \xc2\x9b \xc3\xa9 \xef\xbf\xbd");
	json_object_put(back);
	free(text);
	json_object_put(o);
}

TEST(validity_minutes_in_the_last_hour)
{
	char buf[64];

	validity(1000 + 42 * 60 + 30, 1000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "VALID: 42 minute(s)");
	validity(1000 + 59, 1000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "VALID: 0 minute(s)");
	validity(1000 + 3600, 1000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "VALID: 1 hour(s)");
	validity(1000 + 86400 + 5, 1000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "VALID: 1 day");
	validity(1000 + 89 * 86400, 1000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "VALID: 89 days");
	validity(1000, 1000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "INVALID: EXPIRED");
}

/* What print_entry() prints for E. */
static char *printed_entry(struct json_object *e)
{
	FILE *saved = stdout;
	char *buf = NULL;
	size_t len = 0;

	stdout = open_memstream(&buf, &len);
	ASSERT_NONNULL(stdout);
	print_entry(e, 1700000000);
	fclose(stdout);
	stdout = saved;
	return buf;
}

/* The text listing asks acmed for printed_fields only, so print_entry()
 * must read no other member: certificates with every member acmed sends
 * (index_entry_json()), in the states that print more lines, print the
 * same whole and cut down to those. */
TEST(listing_asks_for_what_it_prints)
{
	static const char *const entries[] = {
		"{\"name\":\"a.test\",\"domains\":[\"a.test\",\"b.test\"],"
		"\"server\":\"https://ca.test/dir\",\"authenticator\":\"webroot\","
		"\"job_running\":false,\"failures\":0,"
		"\"last_result\":{\"at\":\"2023-11-01T00:00:00Z\",\"status\":\"issued\"},"
		"\"version\":2,\"serial\":\"2a0d\",\"key_type\":\"ECDSA\","
		"\"not_before\":\"2023-11-01T00:00:00Z\",\"not_after\":\"2024-01-30T00:00:00Z\","
		"\"valid\":true,\"next_renewal\":\"2023-12-31T00:00:00Z\","
		"\"cert_path\":\"/s/live/a.test/cert.pem\",\"chain_path\":\"/s/live/a.test/chain.pem\","
		"\"fullchain_path\":\"/s/live/a.test/fullchain.pem\","
		"\"privkey_path\":\"/s/live/a.test/privkey.pem\"}",
		"{\"name\":\"r.test\",\"domains\":[\"r.test\"],\"server\":\"https://ca.test/dir\","
		"\"authenticator\":\"standalone\",\"job_running\":true,\"problem\":\"odd\","
		"\"failures\":3,\"last_attempt\":\"2023-11-10T00:00:00Z\",\"last_error\":\"no\","
		"\"next_attempt\":\"2023-11-11T00:00:00Z\",\"retry_after\":\"2030-01-01T00:00:00Z\","
		"\"ari\":{\"window_start\":\"2023-12-01T00:00:00Z\",\"window_end\":"
		"\"2023-12-02T00:00:00Z\",\"renew_at\":\"2023-12-01T10:00:00Z\","
		"\"next_check\":\"2023-11-15T00:00:00Z\",\"explanation\":\"https://ca.test/why\"},"
		"\"revoked\":{\"at\":\"2023-11-05T00:00:00Z\",\"reason\":\"keyCompromise\","
		"\"serial\":\"0b\"},\"last_result\":{\"at\":\"2023-11-10T00:00:00Z\","
		"\"status\":\"failed\",\"error\":\"no\"},\"version\":1,\"serial\":\"0b\","
		"\"key_type\":\"RSA\",\"not_before\":\"2023-11-01T00:00:00Z\","
		"\"not_after\":\"2024-01-30T00:00:00Z\",\"valid\":true,"
		"\"cert_path\":\"/s/c.pem\",\"chain_path\":\"/s/ch.pem\","
		"\"fullchain_path\":\"/s/f.pem\",\"privkey_path\":\"/s/k.pem\"}",
		"{\"name\":\"q.test\",\"domains\":[],\"job_running\":false,"
		"\"problem\":\"live/q.test does not point at a readable certificate\","
		"\"ari\":{\"error\":\"bad window\"},\"last_result\":{\"status\":\"none\"}}",
	};

	for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
		struct json_object *whole = json_tokener_parse(entries[i]), *cut, *v;
		char *a, *b;

		ASSERT_NONNULL(whole);
		cut = json_object_new_object();
		for (size_t k = 0; k < ELEMENTSOF(printed_fields); k++)
			if (json_object_object_get_ex(whole, printed_fields[k], &v))
				json_object_object_add(cut, printed_fields[k], json_object_get(v));
		a = printed_entry(whole);
		b = printed_entry(cut);
		ASSERT_STR_CONTAINS(a, "Certificate Name: ");
		ASSERT_STR_EQ(b, a);
		free(a);
		free(b);
		json_object_put(cut);
		json_object_put(whole);
	}
}

/* client_call() of CMD with ARGS on a socket that does not exist: its exit
 * code, and what it said in *ERR (caller frees). */
static int call_nowhere(const char *cmd, struct json_object *args, char **err)
{
	struct client cl = { .socket = "/nonexistent/acmed.sock", .timeout = 1 };
	struct json_object *reply = NULL;
	int ret;

	capture_stderr();
	ret = client_call(&cl, cmd, args, &reply);
	*err = release_stderr();
	ASSERT_TRUE(reply == NULL);
	return ret;
}

static struct json_object *string_of(size_t n, char c)
{
	char *s = malloc(n + 1);
	struct json_object *o;

	ASSERT_NONNULL(s);
	memset(s, c, n);
	s[n] = '\0';
	o = json_object_new_string(s);
	free(s);
	return o;
}

TEST(too_large_names_the_option)
{
	struct json_object *args = json_object_new_object(), *d = json_object_new_array();
	char *err = NULL;

	/* Small: reaches for the socket. */
	json_object_object_add(args, "deploy_hook", string_of(100, 'x'));
	ASSERT_EQ(call_nowhere("renew", args, &err), EXIT_UNREACHABLE);
	ASSERT_STR_CONTAINS(err, "cannot reach acmed");
	free(err);

	/* The largest share is named, before any connection. */
	json_object_object_add(args, "pre_hook", string_of(30000, 'x'));
	json_object_object_add(args, "deploy_hook", string_of(40000, 'x'));
	ASSERT_EQ(call_nowhere("renew", args, &err), EXIT_USAGE);
	ASSERT_STR_CONTAINS(err, "acmectl: the request is too large for acmed (700");
	ASSERT_STR_CONTAINS(err, " bytes, at most 65536): --deploy-hook is 40000 bytes\n");
	free(err);
	json_object_put(args);

	/* -d, with the webroot map counted towards it. */
	args = json_object_new_object();
	for (int i = 0; i < 2000; i++) {
		struct json_object *e = json_object_new_object();
		char name[32];

		snprintf(name, sizeof(name), "name%05d.example.org", i);
		json_object_array_add(d, json_object_new_string(name));
		json_object_object_add(e, "domain", json_object_new_string(name));
		json_object_object_add(e, "path", json_object_new_string("/w"));
		if (!json_object_object_get(args, "webroot_map"))
			json_object_object_add(args, "webroot_map", json_object_new_array());
		json_object_array_add(json_object_object_get(args, "webroot_map"), e);
	}
	json_object_object_add(args, "domains", d);
	json_object_object_add(args, "webroot_path", json_object_new_string("/w"));
	ASSERT_EQ(call_nowhere("certonly", args, &err), EXIT_USAGE);
	ASSERT_STR_CONTAINS(err, "): -d: 2000 names, 42000 bytes in all\n");
	free(err);
	json_object_put(args);

	/* A file's contents: --cert-path, not "--cert". */
	args = json_object_new_object();
	json_object_object_add(args, "cert", string_of(70000, 'C'));
	ASSERT_EQ(call_nowhere("revoke", args, &err), EXIT_USAGE);
	ASSERT_STR_CONTAINS(err, "): --cert-path: the file is 70000 bytes\n");
	free(err);
	json_object_put(args);
}

/* A socket pair: [0] acmectl's end, [1] the daemon's. */
static void pair(int sv[2])
{
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void put_frame(int fd, const char *json)
{
	unsigned char hdr[4];
	size_t n = strlen(json);

	hdr[0] = (unsigned char)(n >> 24);
	hdr[1] = (unsigned char)(n >> 16);
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	ASSERT_EQ(write(fd, hdr, 4), 4);
	ASSERT_EQ(write(fd, json, n), (ssize_t)n);
}

TEST(recv_frame_bounds_one_frame)
{
	static const char frame[] = "\0\0\0\x0c{\"status\":0}";
	struct ctl_reader rd = { .max = CTL_MAX_REPLY };
	struct json_object *o = NULL;
	uint64_t t0, ms;
	pid_t pid;
	int sv[2];

	pair(sv);
	/* Half a frame, then silence: -ETIMEDOUT at the deadline. */
	ASSERT_EQ(write(sv[1], frame, 9), 9);
	t0 = now_ms();
	ASSERT_EQ(recv_frame(sv[0], &rd, t0 + 200, &o), -ETIMEDOUT);
	ms = now_ms() - t0;
	TEST_CHECK(ms >= 200 && ms < 2000, "gave up after %llu ms", (unsigned long long)ms);
	/* The rest comes: the frame is whole. */
	ASSERT_EQ(write(sv[1], frame + 9, sizeof(frame) - 1 - 9), (ssize_t)(sizeof(frame) - 1 - 9));
	ASSERT_EQ(recv_frame(sv[0], &rd, now_ms() + 1000, &o), 0);
	ASSERT_EQ(jobj_int(o, "status", -1), 0);
	json_object_put(o);
	o = NULL;

	/* A byte every 50 ms: 800 ms for the frame, but the wait for it is
	 * 200 ms however many bytes come meanwhile. */
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(frame) - 1; i++) {
			if (write(sv[1], frame + i, 1) != 1)
				_exit(1);
			usleep(50 * 1000);
		}
		_exit(0);
	}
	t0 = now_ms();
	ASSERT_EQ(recv_frame(sv[0], &rd, t0 + 200, &o), -ETIMEDOUT);
	ms = now_ms() - t0;
	TEST_CHECK(ms >= 200 && ms < 700, "gave up after %llu ms", (unsigned long long)ms);
	waitpid(pid, NULL, 0);
	/* What came meanwhile was kept: the frame is whole now. */
	ASSERT_EQ(recv_frame(sv[0], &rd, now_ms() + 1000, &o), 0);
	ASSERT_EQ(jobj_int(o, "status", -1), 0);
	json_object_put(o);

	/* The daemon hangs up. */
	close(sv[1]);
	ASSERT_EQ(recv_frame(sv[0], &rd, now_ms() + 1000, &o), -ECONNRESET);
	ctl_reader_clear(&rd);
	close(sv[0]);
}

TEST(connect_gives_up_on_a_full_listen_queue)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_ctl_output.XXXXXX";
	int lfd, first, fd;
	uint64_t t0, ms;

	ASSERT_NONNULL(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(lfd >= 0);
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* A daemon that stopped accepting: its queue holds one connection. */
	ASSERT_EQ(listen(lfd, 0), 0);
	first = connect_socket(sa.sun_path, 1);
	ASSERT_TRUE(first >= 0);
	t0 = now_ms();
	fd = connect_socket(sa.sun_path, 1);
	ms = now_ms() - t0;
	ASSERT_EQ(fd, -ETIMEDOUT);
	TEST_CHECK(ms >= 900 && ms < 3000, "gave up after %llu ms", (unsigned long long)ms);
	close(first);
	close(lfd);
	unlink(sa.sun_path);
	rmdir(dir);
}

TEST(read_answer_ignores_keepalives)
{
	struct client cl = { .socket = "test", .timeout = 1 };
	struct json_object *reply = NULL;
	char *err;
	int sv[2], r;

	pair(sv);
	put_frame(sv[1], "{\"event\":\"keepalive\"}");
	put_frame(sv[1], "{\"event\":\"progress\",\"name\":\"x\"}");
	put_frame(sv[1], "{\"event\":\"progress\",\"message\":\"step \\u001b[2J\"}");
	put_frame(sv[1], "{\"status\":0,\"data\":{}}");
	capture_stderr();
	r = read_answer(&cl, sv[0], deadline_in(1), NULL, &reply);
	err = release_stderr();
	ASSERT_EQ(r, 0);
	ASSERT_EQ(jobj_int(reply, "status", -1), 0);
	ASSERT_STR_EQ(err, "step \\x1b[2J\n");
	free(err);
	json_object_put(reply);
	close(sv[0]);
	close(sv[1]);
}

/* client_read_file() of PATH: its result, and the message in *ERR. */
static int read_file(const char *path, char **data, size_t *len, char **err)
{
	int r;

	capture_stderr();
	r = client_read_file("--csr", path, data, len);
	*err = release_stderr();
	return r;
}

TEST(read_file_regular_files_only)
{
	char dir[] = "/tmp/test_ctl_output.XXXXXX", path[64], *data = NULL, *err = NULL;
	size_t len = 0;
	FILE *f;

	ASSERT_NONNULL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/csr.pem", dir);
	f = fopen(path, "w");
	ASSERT_NONNULL(f);
	fputs("-----BEGIN CERTIFICATE REQUEST-----\n", f);
	fclose(f);
	ASSERT_EQ(read_file(path, &data, &len, &err), 0);
	ASSERT_STR_EQ(data, "-----BEGIN CERTIFICATE REQUEST-----\n");
	ASSERT_EQ(len, 36);
	ASSERT_STR_EQ(err, "");
	free(data);
	free(err);

	/* Just over the limit. */
	ASSERT_EQ(truncate(path, CLIENT_FILE_MAX + 1), 0);
	ASSERT_EQ(read_file(path, &data, &len, &err), -EFBIG);
	ASSERT_TRUE(data == NULL);
	ASSERT_STR_CONTAINS(err, "csr.pem: too large (more than 1048576 bytes)\n");
	free(err);
	ASSERT_EQ(truncate(path, CLIENT_FILE_MAX), 0);
	ASSERT_EQ(read_file(path, &data, &len, &err), 0);
	ASSERT_EQ(len, CLIENT_FILE_MAX);
	free(data);
	free(err);
	unlink(path);

	/* A FIFO without a writer: refused at once, not waited on. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ASSERT_EQ(mkfifo(path, 0600), 0);
	alarm(5);
	ASSERT_EQ(read_file(path, &data, &len, &err), -EINVAL);
	alarm(0);
	ASSERT_STR_CONTAINS(err, "acmectl: --csr ");
	ASSERT_STR_CONTAINS(err, "/fifo: not a regular file\n");
	free(err);
	unlink(path);
	ASSERT_EQ(read_file("/dev/zero", &data, &len, &err), -EINVAL);
	ASSERT_STR_EQ(err, "acmectl: --csr /dev/zero: not a regular file\n");
	free(err);
	ASSERT_EQ(read_file(dir, &data, &len, &err), -EINVAL);
	free(err);
	ASSERT_EQ(read_file("/nonexistent/csr", &data, &len, &err), -ENOENT);
	ASSERT_STR_EQ(err, "acmectl: --csr /nonexistent/csr: No such file or directory\n");
	free(err);
	rmdir(dir);
}

TEST(check_email)
{
	char *err;

	capture_stderr();
	ASSERT_EQ(client_check_email("--email", "alice@example.org"), 0);
	err = release_stderr();
	ASSERT_STR_EQ(err, "");
	free(err);
	capture_stderr();
	ASSERT_EQ(client_check_email("--email", "a\x1b@x.org"), -EINVAL);
	ASSERT_EQ(client_check_email("--email", "a b@x.org"), -EINVAL);
	ASSERT_EQ(client_check_email("--email", "a\t@x.org"), -EINVAL);
	ASSERT_EQ(client_check_email("--email", "a\n@x.org"), -EINVAL);
	ASSERT_EQ(client_check_email("--email", "a\x7f@x.org"), -EINVAL);
	ASSERT_EQ(client_check_email("--email", "a\xc2\x9b@x.org"), -EINVAL);
	ASSERT_EQ(client_check_email("--email", "a\xff@x.org"), -EINVAL);
	ASSERT_EQ(client_check_email("--email", "nobody"), -EINVAL);
	err = release_stderr();
	ASSERT_STR_CONTAINS(err, "acmectl: --email 'a\\x1b@x.org': not an e-mail address (no spaces, "
				 "separators or control characters)\n");
	free(err);
}

/* EACCES on the socket: the hint names the group of the socket, or of its
 * directory when the socket cannot be looked at, and how to join it. */
TEST(access_hint_names_the_sockets_group)
{
	char dir[] = "/tmp/acmectl-hint.XXXXXX", path[64], hint[256], want[128];
	struct group *g;
	int fd;

	ASSERT_NONNULL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/acmed.sock", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0660);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	g = getgrgid(getegid());
	snprintf(want, sizeof(want), "the socket is for root and the members of group %s; ",
		 g ? g->gr_name : "?");
	ASSERT_STR_CONTAINS(client_access_hint(path, hint, sizeof(hint)), want);
	ASSERT_STR_CONTAINS(hint, "usermod -aG ");
	unlink(path);
	/* No socket: its directory's group. */
	ASSERT_STR_CONTAINS(client_access_hint(path, hint, sizeof(hint)), want);
	rmdir(dir);
	/* Nothing to look at: the general rule. */
	ASSERT_STR_CONTAINS(client_access_hint(path, hint, sizeof(hint)),
			    "read_group in acmed.conf, acmed by default");
}

/* A failed hook is listed with the end of its output; one that went well
 * is not. */
TEST(hook_failures_with_their_output)
{
	struct json_object *data = json_tokener_parse(
		"{\"hooks\": [{\"kind\": \"pre\", \"command\": \"true\", \"failed\": false},"
		" {\"kind\": \"deploy\", \"name\": \"a.example\", \"command\": \"reload\","
		"  \"failed\": true, \"exit_status\": 1, \"output\": \"bad \\u001b[31mconfig\"},"
		" {\"kind\": \"post\", \"refused\": \"/x is writable by others\", \"failed\": true}]}");
	char *out;

	capture_stderr();
	ASSERT_INT_EQ(client_print_hook_failures(stderr, data, "acmectl: "), 2);
	out = release_stderr();
	ASSERT_STR_EQ(out, "acmectl: deploy hook for a.example: reload (failed); its output "
			   "ended: bad \\x1b[31mconfig\n"
			   "acmectl: post hook: /x is writable by others (not run)\n");
	free(out);
	json_object_put(data);
}
