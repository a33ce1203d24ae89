/* acmed.conf: values, defaults, and errors that name file, line and setting. */
#include "config.h"

#include "testutil.h"

struct ctx {
	char *dir, *path;
	struct acmed_config cfg;
	char err[512];
};

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	ASSERT_NONNULL(c);
	c->dir = tmpdir_make();
	c->path = path_join(c->dir, "acmed.conf");
	ASSERT_INT_EQ(config_defaults(&c->cfg), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	config_clear(&c->cfg);
	free(c->path);
	tmpdir_remove(c->dir);
	free(c);
}

static int load(struct ctx *c, const char *text)
{
	file_write(c->path, text);
	c->err[0] = '\0';
	return config_load(c->path, false, &c->cfg, c->err, sizeof(c->err));
}

/* TEXT must be refused with -EINVAL and "PATH" WANT in the message. */
static void check_error(int line, struct ctx *c, const char *text, const char *want)
{
	char *full;
	int r = load(c, text);

	ASSERT_TRUE(asprintf(&full, "%s%s", c->path, want) > 0);
	if (r != -EINVAL || !strstr(c->err, full))
		test_fail(__FILE__, line, "%s: %d \"%s\", want -EINVAL \"%s\"", text, r, c->err, full);
	free(full);
}
#define ERROR(text, want) check_error(__LINE__, c, text, want)

TEST(defaults)
{
	struct ctx *c = ctx_new();

	ASSERT_STR_EQ(c->cfg.server, ACMED_DEFAULT_SERVER);
	ASSERT_INT_EQ(c->cfg.max_parallel_jobs, 4);
	ASSERT_STR_EQ(c->cfg.log_level, "info");
	ASSERT_TRUE(c->cfg.email == NULL && !c->cfg.agree_tos);
	ASSERT_INT_EQ(c->cfg.key.alg, KEY_ALG_EC);
	ASSERT_INT_EQ(c->cfg.key.curve, 256);
	ASSERT_TRUE(c->cfg.state_dir && c->cfg.state_dir[0] == '/');
	ASSERT_TRUE(c->cfg.socket_path && c->cfg.socket_path[0] == '/');
	ASSERT_INT_EQ(c->cfg.renew_before, 30 * 86400);
	ASSERT_INT_EQ(c->cfg.renew_jitter, 3600);
	ASSERT_INT_EQ(c->cfg.hook_timeout, 300);
	ASSERT_TRUE(c->cfg.directory_hooks);
	ASSERT_TRUE(!c->cfg.pre_hook && !c->cfg.post_hook && !c->cfg.deploy_hook && !c->cfg.profile);
	ASSERT_STR_EQ(c->cfg.read_group, "acmed");
	ASSERT_TRUE(c->cfg.admin_group == NULL);
	ASSERT_INT_EQ(c->cfg.max_clients, 64);
	ASSERT_INT_EQ(c->cfg.client_timeout, 10);
	ctx_free(c);
}

TEST(access_settings)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(load(c, "read_group = \"ssl-cert\";\nadmin_group = \"wheel\";\n"
			      "max_clients = 200;\nclient_timeout = \"1m\";\n"), 0);
	ASSERT_STR_EQ(c->cfg.read_group, "ssl-cert");
	ASSERT_STR_EQ(c->cfg.admin_group, "wheel");
	ASSERT_INT_EQ(c->cfg.max_clients, 200);
	ASSERT_INT_EQ(c->cfg.client_timeout, 60);
	ERROR("max_clients = 0;\n", ":1: max_clients: must be between 1 and 4096");
	ERROR("client_timeout = \"2h\";\n", ":1: client_timeout: must be between 1s and 1h");
	ERROR("read_group = 7;\n", ":1: read_group: must be a string");
	ctx_free(c);
}

TEST(renewal_settings)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(load(c, "renew_before_expiry = \"20d\";\n"
			      "renew_jitter = 0;\n"
			      "hook_timeout = \"2m\";\n"
			      "pre_hook = \"systemctl stop nginx\";\n"
			      "deploy_hook = \"systemctl reload nginx\";\n"
			      "post_hook = \"systemctl start nginx\";\n"
			      "directory_hooks = false;\n"
			      "profile = \"tlsserver\";\n"), 0);
	ASSERT_INT_EQ(c->cfg.renew_before, 20 * 86400);
	ASSERT_INT_EQ(c->cfg.renew_jitter, 0);
	ASSERT_INT_EQ(c->cfg.hook_timeout, 120);
	ASSERT_STR_EQ(c->cfg.pre_hook, "systemctl stop nginx");
	ASSERT_STR_EQ(c->cfg.deploy_hook, "systemctl reload nginx");
	ASSERT_STR_EQ(c->cfg.post_hook, "systemctl start nginx");
	ASSERT_TRUE(!c->cfg.directory_hooks);
	ASSERT_STR_EQ(c->cfg.profile, "tlsserver");
	/* Seconds as a number, and certbot's "30 days". */
	ASSERT_INT_EQ(load(c, "renew_before_expiry = 86400;\nrenew_jitter = \"90s\";\n"), 0);
	ASSERT_INT_EQ(c->cfg.renew_before, 86400);
	ASSERT_INT_EQ(c->cfg.renew_jitter, 90);
	ASSERT_INT_EQ(load(c, "renew_before_expiry = \"30 days\";\n"), 0);
	ASSERT_INT_EQ(c->cfg.renew_before, 30 * 86400);
	ERROR("renew_before_expiry = \"soon\";\n", ":1: renew_before_expiry: must be a duration");
	ERROR("\nrenew_before_expiry = \"30s\";\n",
	      ":2: renew_before_expiry: must be between 1m and 365d");
	ERROR("renew_jitter = \"2d\";\n", ":1: renew_jitter: must be between 0 and 1d");
	ERROR("hook_timeout = 0;\n", ":1: hook_timeout: must be between 1s and 1d");
	ERROR("hook_timeout = true;\n", ":1: hook_timeout: must be a duration");
	ERROR("profile = \"a b\";\n", ":1: profile: 'a b' is not a profile name");
	ERROR("profile = \"\";\n", ":1: profile: must not be empty");
	ERROR("deploy_hook = 1;\n", ":1: deploy_hook: must be a string");
	/* A refused file left the values as they were. */
	ASSERT_INT_EQ(c->cfg.renew_before, 30 * 86400);
	ctx_free(c);
}

TEST(valid_file)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(load(c, "# comment\n"
			      "server = \"https://ca.example/dir\";\n"
			      "ca_bundle = \"/etc/ssl/ca.pem\";\n"
			      "email = \"admin@example.com\";\n"
			      "agree_tos = true;\n"
			      "state_dir = \"/srv/acmed\";\n"
			      "socket = \"/run/x/acmed.sock\";\n"
			      "log_level = \"debug\";\n"
			      "key_type = \"rsa\";\n"
			      "rsa_key_size = 3072;\n"
			      "max_parallel_jobs = 8;\n"), 0);
	ASSERT_STR_EQ(c->cfg.server, "https://ca.example/dir");
	ASSERT_STR_EQ(c->cfg.ca_bundle, "/etc/ssl/ca.pem");
	ASSERT_STR_EQ(c->cfg.email, "admin@example.com");
	ASSERT_TRUE(c->cfg.agree_tos);
	ASSERT_STR_EQ(c->cfg.state_dir, "/srv/acmed");
	ASSERT_STR_EQ(c->cfg.socket_path, "/run/x/acmed.sock");
	ASSERT_STR_EQ(c->cfg.log_level, "debug");
	ASSERT_INT_EQ(c->cfg.max_parallel_jobs, 8);
	ASSERT_INT_EQ(c->cfg.key.alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(c->cfg.key.rsa_bits, 3072);
	ctx_free(c);
}

TEST(file_overrides_only_what_it_sets)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(load(c, "elliptic_curve = \"secp384r1\";\n"), 0);
	ASSERT_STR_EQ(c->cfg.server, ACMED_DEFAULT_SERVER);
	ASSERT_INT_EQ(c->cfg.max_parallel_jobs, 4);
	ASSERT_INT_EQ(c->cfg.key.alg, KEY_ALG_EC);
	ASSERT_INT_EQ(c->cfg.key.curve, 384);
	ASSERT_INT_EQ(load(c, ""), 0);
	ASSERT_INT_EQ(c->cfg.key.curve, 384);
	ctx_free(c);
}

TEST(unknown_setting)
{
	struct ctx *c = ctx_new();

	ERROR("email = \"a@b.c\";\n\nservre = \"https://x/\";\n", ":3: servre: unknown setting");
	ERROR("socket_path = \"/run/a.sock\";\n", ":1: socket_path: unknown setting");
	ctx_free(c);
}

TEST(wrong_type)
{
	struct ctx *c = ctx_new();

	ERROR("\nagree_tos = \"yes\";\n", ":2: agree_tos: must be true or false");
	ERROR("email = 5;\n", ":1: email: must be a string");
	ERROR("max_parallel_jobs = \"4\";\n", ":1: max_parallel_jobs: must be an integer");
	ERROR("max_parallel_jobs = 4.5;\n", ":1: max_parallel_jobs: must be an integer");
	ctx_free(c);
}

TEST(out_of_range)
{
	struct ctx *c = ctx_new();

	ERROR("max_parallel_jobs = 0;\n", ":1: max_parallel_jobs: must be between 1 and 64");
	ERROR("\n\nmax_parallel_jobs = 65;\n", ":3: max_parallel_jobs: must be between 1 and 64");
	ERROR("max_parallel_jobs = -1;\n", ":1: max_parallel_jobs:");
	ASSERT_INT_EQ(load(c, "max_parallel_jobs = 64;\n"), 0);
	ASSERT_INT_EQ(c->cfg.max_parallel_jobs, 64);
	ASSERT_INT_EQ(load(c, "max_parallel_jobs = 1;\n"), 0);
	ASSERT_INT_EQ(c->cfg.max_parallel_jobs, 1);
	ERROR("rsa_key_size = 1024;\n", ":1: rsa_key_size:");
	ctx_free(c);
}

TEST(checked_values)
{
	struct ctx *c = ctx_new();

	ERROR("server = \"http://ca.example/dir\";\n", ":1: server: must be an https:// URL");
	ERROR("\nserver = \"ca.example\";\n", ":2: server: must be an https:// URL");
	ERROR("state_dir = \"var/lib/acmed\";\n", ":1: state_dir: must be an absolute path");
	ERROR("ca_bundle = \"ca.pem\";\n", ":1: ca_bundle:");
	ERROR("socket = \"acmed.sock\";\n", ":1: socket:");
	ERROR("log_level = \"verbose\";\n", ":1: log_level:");
	ERROR("key_type = \"dsa\";\n", ":1: key_type: ");
	ASSERT_STR_CONTAINS(c->err, "dsa");
	ctx_free(c);
}

/* The key settings are checked together after the file is read, but the
 * error still has the "PATH:LINE: SETTING: reason" form of every other. */
TEST(key_errors_name_line_and_setting)
{
	struct ctx *c = ctx_new();

	ERROR("email = \"a@b.c\";\nkey_type = \"dsa\";\n", ":2: key_type: ");
	ERROR("\nelliptic_curve = \"secp521r1\";\n", ":2: elliptic_curve: ");
	ctx_free(c);
}

TEST(syntax_error)
{
	struct ctx *c = ctx_new();

	ERROR("email = \"a@b.c\";\nagree_tos = ;\n", ":2: syntax error");
	ERROR("email = \"a@b.c\";\n\n\nserver = \"https://x/\"\nemail = \"x\";\n", ":5: syntax error");
	ctx_free(c);
}

TEST(missing_file)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(config_load(c->path, true, &c->cfg, c->err, sizeof(c->err)), 0);
	ASSERT_STR_EQ(c->cfg.server, ACMED_DEFAULT_SERVER);
	ASSERT_INT_EQ(c->cfg.max_parallel_jobs, 4);
	c->err[0] = '\0';
	ASSERT_INT_EQ(config_load(c->path, false, &c->cfg, c->err, sizeof(c->err)), -ENOENT);
	ASSERT_STR_CONTAINS(c->err, c->path);
	ctx_free(c);
}

/* A directory given as the config file is an error returned to the caller
 * (MISSING_OK covers only a missing file), not an exit from inside libconfig. */
TEST(path_is_a_directory)
{
	struct ctx *c = ctx_new();
	int r = config_load(c->dir, true, &c->cfg, c->err, sizeof(c->err));

	ASSERT_TRUE(r < 0);
	ASSERT_STR_CONTAINS(c->err, c->dir);
	ctx_free(c);
}

TEST(set_string)
{
	char *slot = strdup("old");

	ASSERT_INT_EQ(config_set_string(&slot, "new"), 0);
	ASSERT_STR_EQ(slot, "new");
	ASSERT_INT_EQ(config_set_string(&slot, NULL), 0);
	ASSERT_TRUE(slot == NULL);
}
