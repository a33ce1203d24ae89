/* certbot's dns-rfc2136 credentials file (plugins/rfc2136_creds.c): what
 * it accepts, what it refuses and how the refusal names file, line and key. */
#include "error.h"
#include "fsutil.h"
#include "rfc2136_creds.h"
#include "testutil.h"

static const char good[] =
	"# certbot's example\n"
	"dns_rfc2136_server = 192.0.2.1\n"
	"dns_rfc2136_port = 5353\n"
	"\n"
	"dns_rfc2136_name = acme-key\n"
	"dns_rfc2136_secret = I0B/SXpBDZGq/CuO60Z35MEcd2LPymc6i3a1Q23Q"
	"anNMXwBVrZwy3Rm8BPlcUjE5yQLSNKvr2dQPfTETv8kk4g==\n"
	"dns_rfc2136_algorithm = HMAC-SHA512\n"
	"dns_rfc2136_sign_query = true  # inline comment\n";

TEST(parses_certbots_example)
{
	struct rfc2136_creds c;
	char err[512] = "";

	ASSERT_INT_EQ(rfc2136_creds_parse(good, "c.ini", &c, err, sizeof(err)), 0);
	ASSERT_STR_EQ(c.server, "192.0.2.1");
	ASSERT_INT_EQ(c.port, 5353);
	ASSERT_STR_EQ(c.key_name, "acme-key.");
	ASSERT_STR_EQ(c.algorithm, "hmac-sha512.");
	ASSERT_TRUE(c.sign_query);
	ASSERT_TRUE(strcmp(c.secret, "I0B/SXpBDZGq/CuO60Z35MEcd2LPymc6i3a1Q23QanNMXwBVrZwy3Rm8BPlcUjE5yQLSNKvr2dQPfTETv8kk4g==") == 0);
	rfc2136_creds_clear(&c);
	ASSERT_TRUE(c.secret == NULL);
}

TEST(defaults_and_quotes)
{
	struct rfc2136_creds c;
	char err[512] = "";

	ASSERT_INT_EQ(rfc2136_creds_parse("dns_rfc2136_server = \"::1\"\r\n"
					  "dns_rfc2136_name='k.example.'\n"
					  "dns_rfc2136_secret = c2VjcmV0\n"
					  "other_plugin_setting = kept out of it\n",
					  "c.ini", &c, err, sizeof(err)),
		      0);
	ASSERT_STR_EQ(c.server, "::1");
	ASSERT_INT_EQ(c.port, 53);
	ASSERT_STR_EQ(c.key_name, "k.example.");
	/* certbot's default algorithm */
	ASSERT_STR_EQ(c.algorithm, "hmac-md5.sig-alg.reg.int.");
	ASSERT_TRUE(!c.sign_query);
	rfc2136_creds_clear(&c);
}

static void refused(const char *text, const char *want)
{
	struct rfc2136_creds c;
	char err[512] = "";

	ASSERT_INT_EQ(rfc2136_creds_parse(text, "c.ini", &c, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, want);
	ASSERT_TRUE(c.server == NULL && c.secret == NULL && c.key_name == NULL);
}

#define BASE "dns_rfc2136_server = 127.0.0.1\ndns_rfc2136_name = k\n"

TEST(refusals_name_line_and_key)
{
	refused(BASE, "c.ini: dns_rfc2136_secret is missing");
	refused("dns_rfc2136_name = k\ndns_rfc2136_secret = c2VjcmV0\n",
		"dns_rfc2136_server is missing");
	refused(BASE "dns_rfc2136_secret = not base64!\n", "c.ini:3: dns_rfc2136_secret: is not");
	refused(BASE "dns_rfc2136_secret = c2VjcmV0\ndns_rfc2136_port = 0\n",
		"c.ini:4: dns_rfc2136_port: '0' is not a port number");
	refused(BASE "dns_rfc2136_secret = c2VjcmV0\ndns_rfc2136_port = 53x\n",
		"c.ini:4: dns_rfc2136_port");
	refused("dns_rfc2136_server = ns1.example.test\n", "c.ini:1: dns_rfc2136_server: "
							  "'ns1.example.test' is not an IP address");
	refused(BASE "dns_rfc2136_secret = c2VjcmV0\ndns_rfc2136_algorithm = HMAC-SHA384\n",
		"c.ini:4: dns_rfc2136_algorithm: 'HMAC-SHA384' is not supported");
	refused(BASE "dns_rfc2136_secret = c2VjcmV0\ndns_rfc2136_sign_query = maybe\n",
		"c.ini:4: dns_rfc2136_sign_query: 'maybe' is not true or false");
	refused(BASE "dns_rfc2136_secret = c2VjcmV0\ndns_rfc2136_name = j\n",
		"c.ini:4: dns_rfc2136_name: given twice (first on line 2)");
	refused(BASE "dns_rfc2136_secert = c2VjcmV0\n",
		"c.ini:3: dns_rfc2136_secert: unknown setting");
	refused(BASE "this line has no equals sign\n", "c.ini:3: expected 'key = value'");
	refused(BASE "dns_rfc2136_secret = \"c2VjcmV0\n", "c.ini:3: expected");
	refused("dns_rfc2136_server = 127.0.0.1\ndns_rfc2136_name = a..b\n",
		"c.ini:2: dns_rfc2136_name: 'a..b' is not a key name");
}

static char *write_creds(const char *dir, mode_t mode)
{
	char *path = fs_join(dir, "creds.ini");

	ASSERT_NONNULL(path);
	ASSERT_INT_EQ(fs_write_path(path, good, strlen(good), 0600, 0), 0);
	ASSERT_INT_EQ(chmod(path, mode), 0);
	return path;
}

TEST(load_refuses_files_others_may_read)
{
	char *dir = tmpdir_make(), *path = write_creds(dir, 0644), err[512] = "";
	struct rfc2136_creds c;

	ASSERT_INT_EQ(rfc2136_creds_load(path, &c, err, sizeof(err)), -EPERM);
	ASSERT_STR_CONTAINS(err, "may be read or written by others (mode 0644)");
	ASSERT_STR_CONTAINS(err, "chmod 600");
	ASSERT_INT_EQ(chmod(path, 0640), 0);
	ASSERT_INT_EQ(rfc2136_creds_load(path, &c, err, sizeof(err)), -EPERM);
	ASSERT_INT_EQ(chmod(path, 0600), 0);
	ASSERT_INT_EQ(rfc2136_creds_load(path, &c, err, sizeof(err)), 0);
	ASSERT_INT_EQ(c.port, 5353);
	rfc2136_creds_clear(&c);
	ASSERT_INT_EQ(rfc2136_creds_load("creds.ini", &c, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "absolute path");
	ASSERT_INT_EQ(rfc2136_creds_load(dir, &c, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "not a regular file");
	free(path);
	free(dir);
}

TEST(load_names_the_file_in_parse_errors)
{
	char *dir = tmpdir_make(), *path = fs_join(dir, "bad.ini"), err[512] = "", want[600];
	struct rfc2136_creds c;

	ASSERT_INT_EQ(fs_write_path(path, BASE "x", 1 + strlen(BASE), 0600, 0), 0);
	ASSERT_INT_EQ(rfc2136_creds_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: expected 'key = value'", path);
	ASSERT_STR_EQ(err, want);
	free(path);
	free(dir);
}
