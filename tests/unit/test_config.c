/* acmed.conf: values, defaults, and errors that name file, line and setting. */
#include "config.h"
#include "error.h"

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
	ERROR("\nelliptic_curve = \"secp224r1\";\n", ":2: elliptic_curve: ");
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

/* libconfig 1.5 reads 4294967297 as 1: every integer is range-checked on
 * the text first, and as 64 bits before it is narrowed. */
TEST(integers_do_not_wrap)
{
	struct ctx *c = ctx_new();
	int r;

	r = load(c, "max_parallel_jobs = 4294967297;\n");
	ASSERT_INT_EQ(r, -ERANGE);
	ASSERT_STR_CONTAINS(c->err, ":1: max_parallel_jobs: 4294967297 is out of range");
	r = load(c, "# a comment 99999999999\nmax_clients = 5;\nrsa_key_size = -4294963200;\n");
	ASSERT_INT_EQ(r, -ERANGE);
	ASSERT_STR_CONTAINS(c->err, ":3: rsa_key_size: -4294963200 is out of range");
	r = load(c, "max_clients = 0x100000001;\n");
	ASSERT_INT_EQ(r, -ERANGE);
	/* Lines are counted through comments and strings; names are cut at 63. */
	r = load(c, "/* 99999999999\n */ x = \"\\\" 99999999999\";\n// 99999999999\n"
		    "a_very_long_setting_name_that_goes_on_and_on_past_sixty_three_characters"
		    " = 4294967296;\n");
	ASSERT_INT_EQ(r, -ERANGE);
	ASSERT_STR_CONTAINS(c->err, ":4: a_very_long_setting_name_that_goes_on_and_on_past_"
				    "sixty_three_c: 4294967296 is out of range");
	/* int64 literals are libconfig's own, and range-checked as settings. */
	ERROR("max_parallel_jobs = 4294967297L;\n", ":1: max_parallel_jobs: must be between 1 and 64");
	/* Numbers inside strings and comments are not settings. */
	ASSERT_INT_EQ(load(c, "email = \"a99999999999@example.com\"; // 99999999999\n"
			      "/* 99999999999\n */ max_clients = 7;\n"), 0);
	ASSERT_INT_EQ(c->cfg.max_clients, 7);
	ASSERT_INT_EQ(load(c, "hook_timeout = 600;\njob_timeout = \"20m\";\n"), 0);
	ASSERT_INT_EQ(c->cfg.job_timeout, 1200);
	ERROR("job_timeout = 5;\n", ":1: job_timeout: must be between 10s and 7d");
	ASSERT_INT_EQ(load(c, "# defaults\n"), 0);
	ASSERT_INT_EQ(c->cfg.acme_timeout, 60);
	ASSERT_INT_EQ(load(c, "acme_timeout = \"2m\";\n"), 0);
	ASSERT_INT_EQ(c->cfg.acme_timeout, 120);
	ERROR("acme_timeout = \"1s\";\n", ":1: acme_timeout: must be between 5s and 10m");
	ctx_free(c);
}

TEST(email_without_control_characters)
{
	struct ctx *c = ctx_new();

	ERROR("email = \"a\\x1b@example.com\";\n", ":1: email: ");
	ERROR("email = \"a\\x07b@example.com\";\n", ":1: email: ");
	ctx_free(c);
}

/* acmed.conf decides what runs as root: trusted along its path, a regular
 * file, and so is every file it includes. */
TEST(file_trust_and_includes)
{
	struct ctx *c = ctx_new();
	char *inc = path_join(c->dir, "inc.conf"), *sub = path_join(c->dir, "conf.d");
	char *fifo = path_join(c->dir, "fifo.conf"), text[512];
	int r;

	file_write(inc, "max_clients = 9;\n");
	snprintf(text, sizeof(text), "@include \"inc.conf\"\nmax_parallel_jobs = 3;\n");
	ASSERT_INT_EQ(load(c, text), 0);
	ASSERT_INT_EQ(c->cfg.max_clients, 9);
	ASSERT_INT_EQ(c->cfg.max_parallel_jobs, 3);
	/* A directory, a FIFO, a missing file: named with the line. */
	ASSERT_INT_EQ(mkdir(sub, 0755), 0);
	r = load(c, "max_clients = 2;\n@include \"conf.d\"\n");
	ASSERT_TRUE(r < 0);
	ASSERT_STR_CONTAINS(c->err, ":2: @include \"conf.d\": ");
	ASSERT_STR_CONTAINS(c->err, "Is a directory");
	ASSERT_INT_EQ(mkfifo(fifo, 0600), 0);
	r = load(c, "@include \"fifo.conf\"\n");
	ASSERT_INT_EQ(r, ACMED_ENOTREG);
	ASSERT_STR_CONTAINS(c->err, ":1: @include \"fifo.conf\": ");
	ASSERT_STR_CONTAINS(c->err, "not a regular file");
	r = load(c, "@include \"nothere.conf\"\n");
	ASSERT_INT_EQ(r, -ENOENT);
	/* An included file others may write. */
	ASSERT_INT_EQ(chmod(inc, 0666), 0);
	r = load(c, "@include \"inc.conf\"\n");
	ASSERT_INT_EQ(r, -EPERM);
	ASSERT_STR_CONTAINS(c->err, "inc.conf is writable by others (mode 0666)");
	ASSERT_STR_CONTAINS(c->err, "chmod go-w");
	ASSERT_INT_EQ(chmod(inc, 0644), 0);
	/* acmed.conf itself, as a FIFO and writable by its group. */
	r = config_load(fifo, false, &c->cfg, c->err, sizeof(c->err));
	ASSERT_INT_EQ(r, ACMED_ENOTREG);
	file_write(c->path, "max_clients = 4;\n");
	ASSERT_INT_EQ(chmod(c->path, 0664), 0);
	r = config_load(c->path, false, &c->cfg, c->err, sizeof(c->err));
	ASSERT_INT_EQ(r, -EPERM);
	ASSERT_STR_CONTAINS(c->err, "is writable by its group (mode 0664)");
	ASSERT_INT_EQ(c->cfg.max_clients, 9); /* unchanged */
	ASSERT_INT_EQ(chmod(c->path, 0600), 0);
	free(inc);
	free(sub);
	free(fifo);
	ctx_free(c);
}

TEST(ca_entries)
{
	struct ctx *c = ctx_new();
	EVP_PKEY *k = ec_key();
	X509 *root = cert_make(k, "Root", NULL, NULL, true, NULL, 1, 30);
	char *pem = cert_pem(root), *bundle = path_join(c->dir, "roots.pem"), text[1024];
	const struct ca_settings *ca;

	file_write(bundle, pem);
	snprintf(text, sizeof(text),
		 "ca = (\n  { server = \"https://a.test/dir\"; issuer_bundle = \"%s\"; },\n"
		 "  { server = \"https://b.test/dir\"; }\n);\n", bundle);
	ASSERT_INT_EQ(load(c, text), 0);
	ASSERT_INT_EQ(c->cfg.ncas, 2);
	ca = config_ca(&c->cfg, "https://a.test/dir");
	ASSERT_NONNULL(ca);
	ASSERT_STR_EQ(ca->issuer_pem, pem);
	ca = config_ca(&c->cfg, "https://b.test/dir");
	ASSERT_TRUE(ca && !ca->issuer_bundle);
	ASSERT_TRUE(config_ca(&c->cfg, "https://c.test/dir") == NULL);
	/* A reload keeps them (a copy), and a failed one leaves them. */
	ERROR("ca = ( { server = \"http://x\"; } );\n", ":1: ca: server: must be an https:// URL");
	ASSERT_INT_EQ(c->cfg.ncas, 2);
	ERROR("ca = ( { issuer_bundle = \"/x\"; } );\n", ":1: ca: an entry needs server");
	ERROR("ca = ( { server = \"https://a\"; colour = \"red\"; } );\n",
	      ":1: ca: colour: unknown setting");
	ERROR("ca = ( { server = \"https://a\"; }, { server = \"https://a\"; } );\n",
	      ":1: ca: https://a is listed twice");
	file_write(bundle, "not a certificate\n");
	snprintf(text, sizeof(text), "ca = ( { server = \"https://a\";\n issuer_bundle = \"%s\"; } );\n",
		 bundle);
	ERROR(text, ":2: ca: issuer_bundle: ");
	ASSERT_STR_CONTAINS(c->err, "holds no PEM certificates");
	free(pem);
	free(bundle);
	X509_free(root);
	EVP_PKEY_free(k);
	ctx_free(c);
}

TEST(alert_and_metrics_settings)
{
	struct ctx *c = ctx_new();

	ASSERT_STR_EQ(c->cfg.sendmail, "/usr/sbin/sendmail");
	ASSERT_INT_EQ(c->cfg.metrics_interval, 60);
	ASSERT_TRUE(!c->cfg.alert_email && !c->cfg.metrics_file && !c->cfg.metrics_listen);
	ASSERT_INT_EQ(load(c, "alert_hook = \"page\";\nalert_email = \"ops@example.com\";\n"
			      "metrics_file = \"/var/lib/prom/acmed.prom\";\n"
			      "metrics_interval = \"15s\";\nmetrics_listen = \"[::1]:9101\";\n"),
		      0);
	ASSERT_STR_EQ(c->cfg.alert_hook, "page");
	ASSERT_STR_EQ(c->cfg.alert_email, "ops@example.com");
	ASSERT_INT_EQ(c->cfg.metrics_interval, 15);
	ASSERT_STR_EQ(c->cfg.metrics_listen, "[::1]:9101");
	ERROR("metrics_listen = \"127.0.0.1\";", ":1: metrics_listen: '127.0.0.1' is not ADDRESS:PORT");
	ERROR("metrics_listen = \"127.0.0.1:0\";", ":1: metrics_listen: ");
	ERROR("metrics_listen = \":9101\";", ":1: metrics_listen: ");
	ERROR("metrics_file = \"acmed.prom\";", ":1: metrics_file: must be an absolute path");
	ERROR("sendmail = \"sendmail\";", ":1: sendmail: must be an absolute path");
	ERROR("alert_email = \"not mail\";", ":1: alert_email: ");
	ERROR("metrics_interval = \"0s\";", ":1: metrics_interval: ");
	ctx_free(c);
}

TEST(expiry_warnings)
{
	struct ctx *c = ctx_new();

	ASSERT_INT_EQ(c->cfg.nexpiry_warnings, 4);
	ASSERT_INT_EQ(c->cfg.expiry_warnings[0], 14 * 86400);
	ASSERT_INT_EQ(c->cfg.expiry_warnings[3], 86400);
	/* Sorted, largest first, repeats dropped; in a list, seconds as
	 * numbers too. */
	ASSERT_INT_EQ(load(c, "expiry_warnings = [ \"12h\", \"21d\", \"48h\", \"2d\" ];"), 0);
	ASSERT_INT_EQ(c->cfg.nexpiry_warnings, 3);
	ASSERT_INT_EQ(load(c, "expiry_warnings = ( \"12h\", \"21d\", 172800 );"), 0);
	ASSERT_INT_EQ(c->cfg.nexpiry_warnings, 3);
	ASSERT_INT_EQ(c->cfg.expiry_warnings[0], 21 * 86400);
	ASSERT_INT_EQ(c->cfg.expiry_warnings[1], 2 * 86400);
	ASSERT_INT_EQ(c->cfg.expiry_warnings[2], 12 * 3600);
	ASSERT_INT_EQ(load(c, "expiry_warnings = [ ];"), 0);
	ASSERT_INT_EQ(c->cfg.nexpiry_warnings, 0);
	ERROR("expiry_warnings = \"7d\";", ":1: expiry_warnings: must be a list of at most 8");
	ERROR("\nexpiry_warnings = [ \"7d\", \"soon\" ];",
	      ":2: expiry_warnings: element 2: must be a duration");
	ERROR("expiry_warnings = [ \"400d\" ];", ":1: expiry_warnings: element 1: ");
	ERROR("expiry_warnings = [ \"1d\", \"2d\", \"3d\", \"4d\", \"5d\", \"6d\", \"7d\", \"8d\", "
	      "\"9d\" ];",
	      ":1: expiry_warnings: must be a list of at most 8");
	/* A refused file changes nothing. */
	ASSERT_INT_EQ(c->cfg.nexpiry_warnings, 0);
	ctx_free(c);
}

TEST(cluster_settings)
{
	struct ctx *c = ctx_new();
	struct acmed_config back;
	struct json_object *o;

	ASSERT_STR_EQ(c->cfg.storage, "local");
	ASSERT_STR_EQ(c->cfg.etcd_prefix, "/acmed/");
	ASSERT_INT_EQ(c->cfg.netcd_endpoints, 0);
	ASSERT_INT_EQ(load(c, "storage = \"etcd\";\n"
			      "etcd_endpoints = [ \"https://10.0.0.1:2379\", \"https://e2:2379\" ];\n"
			      "etcd_ca = \"/etc/acmed/etcd-ca.pem\";\n"
			      "etcd_cert = \"/etc/acmed/etcd.pem\";\n"
			      "etcd_key = \"/etc/acmed/etcd.key\";\n"
			      "etcd_prefix = \"/certs/\";\n"
			      "cluster_key_file = \"/etc/acmed/cluster.key\";\n"),
		      0);
	ASSERT_STR_EQ(c->cfg.storage, "etcd");
	ASSERT_INT_EQ(c->cfg.netcd_endpoints, 2);
	ASSERT_STR_EQ(c->cfg.etcd_endpoints[1], "https://e2:2379");
	ASSERT_STR_EQ(c->cfg.etcd_key, "/etc/acmed/etcd.key");
	ASSERT_STR_EQ(c->cfg.etcd_prefix, "/certs/");
	/* What the daemon hands a job carries the list. */
	o = config_to_json(&c->cfg);
	ASSERT_NONNULL(o);
	ASSERT_INT_EQ(config_from_json(o, &back), 0);
	ASSERT_INT_EQ(back.netcd_endpoints, 2);
	ASSERT_STR_EQ(back.etcd_endpoints[0], "https://10.0.0.1:2379");
	ASSERT_STR_EQ(back.cluster_key_file, "/etc/acmed/cluster.key");
	config_clear(&back);
	json_object_put(o);
	/* A bad file later leaves the list as it was (all or nothing). */
	ASSERT_INT_EQ(load(c, "etcd_endpoints = [ \"https://x:1\" ];\nstorage = \"nfs\";\n"),
		      -EINVAL);
	ASSERT_INT_EQ(c->cfg.netcd_endpoints, 2);
	ctx_free(c);
}

TEST(cluster_errors)
{
	struct ctx *c = ctx_new();

	ERROR("storage = \"nfs\";\n", ":1: storage: must be \"local\" or \"etcd\"");
	ERROR("etcd_endpoints = \"https://a:1\";\n", ":1: etcd_endpoints: must be a list");
	ERROR("etcd_endpoints = [ ];\n", ":1: etcd_endpoints: must list 1 to 16 endpoints");
	ERROR("etcd_endpoints = [ \"10.0.0.1:2379\" ];\n",
	      ":1: etcd_endpoints: '10.0.0.1:2379' is not https://HOST:PORT");
	ERROR("etcd_endpoints = [ \"https://a:2379/v3\" ];\n", ":1: etcd_endpoints: 'https://a");
	ERROR("etcd_ca = \"ca.pem\";\n", ":1: etcd_ca: must be an absolute path");
	ERROR("etcd_prefix = \"acmed\";\n", ":1: etcd_prefix: must start and end with '/'");
	ERROR("\netcd_cert = \"/c.pem\";\n", ":2: etcd_cert: needs etcd_key");
	ERROR("etcd_password = \"x\";\n", ":1: etcd_password: needs etcd_user");
	ERROR("etcd_cert = \"/c\"; etcd_key = \"/k\";\netcd_user = \"u\"; etcd_password = \"p\";\n"
	      "storage = \"etcd\"; etcd_endpoints = [ \"https://a:1\" ];\n"
	      "cluster_key_file = \"/k2\";\n",
	      ":2: etcd_user: etcd's gateway refuses users who also send a client certificate");
	ASSERT_INT_EQ(load(c, "etcd_user = \"u\"; etcd_password = \"p\";\n"), 0);
	ASSERT_STR_EQ(c->cfg.etcd_password, "p");
	ERROR("storage = \"etcd\";\ncluster_key_file = \"/k\";\n",
	      ":1: storage: \"etcd\" needs etcd_endpoints");
	ERROR("etcd_endpoints = [ \"https://a:1\" ];\n\nstorage = \"etcd\";\n",
	      ":3: storage: \"etcd\" needs cluster_key_file");
	/* The etcd settings alone do not turn cluster mode on. */
	ASSERT_INT_EQ(load(c, "etcd_endpoints = [ \"https://a:1\" ];\n"), 0);
	ASSERT_STR_EQ(c->cfg.storage, "local");
	ctx_free(c);
}
