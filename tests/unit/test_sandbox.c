/* The worker's confinement (daemon/privsep/sandbox.c): after sandbox_worker() a
 * process cannot open a private key of the state directory, nor anything
 * outside what it was given, but still reads and writes what a job needs.
 * Each test runs in its own child (test.h), so confinement ends with it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "daemon/privsep/sandbox.h"
#include "testutil.h"

/* A state directory as acmed keeps it, with a key in each place keys are. */
static char *make_state(void)
{
	char *d = tmpdir_make(), p[512];
	static const char *const dirs[] = {
		"accounts", "accounts/ca.test", "accounts/ca.test/dir",
		"accounts/ca.test/dir/0123abcd", "archive", "archive/a.test", "live", "renewal",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d, dirs[i]);
		ASSERT_INT_EQ(mkdir(p, 0700), 0);
	}
	snprintf(p, sizeof(p), "%s/accounts/ca.test/dir/0123abcd/key.pem", d);
	file_write(p, "-----BEGIN PRIVATE KEY-----\n");
	snprintf(p, sizeof(p), "%s/accounts/ca.test/dir/0123abcd/account.json", d);
	file_write(p, "{\"url\":\"https://ca.test/acct/1\"}");
	snprintf(p, sizeof(p), "%s/archive/a.test/privkey1.pem", d);
	file_write(p, "-----BEGIN PRIVATE KEY-----\n");
	snprintf(p, sizeof(p), "%s/archive/a.test/cert1.pem", d);
	file_write(p, "-----BEGIN CERTIFICATE-----\n");
	snprintf(p, sizeof(p), "%s/renewal/a.test.conf", d);
	file_write(p, "name = \"a.test\";\n");
	return d;
}

/* open(STATE/REL, FLAGS): 0 or -errno. */
static int try_open(const char *state, const char *rel, int flags)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", state, rel);
	fd = open(p, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

TEST(worker_cannot_open_keys)
{
	char *state = make_state(), *web = tmpdir_make(), err[256] = "";
	char *roots[] = { web };
	int r;

	if (sandbox_abi() == 0) {
		/* The documented fallback: nothing is confined, and it says so. */
		ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EOPNOTSUPP);
		ASSERT_INT_EQ(try_open(state, "archive/a.test/privkey1.pem", O_RDONLY), 0);
		printf("# this kernel has no Landlock: checked the fallback only\n");
		free(state);
		free(web);
		return;
	}
	r = sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err));
	TEST_CHECK(r == 0, "sandbox_worker: %d %s", r, err);
	/* The private keys: not even for reading. */
	ASSERT_INT_EQ(try_open(state, "accounts/ca.test/dir/0123abcd/key.pem", O_RDONLY), -EACCES);
	ASSERT_INT_EQ(try_open(state, "archive/a.test/privkey1.pem", O_RDONLY), -EACCES);
	/* Nor anything else of archive/ and live/. */
	ASSERT_INT_EQ(try_open(state, "archive/a.test/cert1.pem", O_RDONLY), -EACCES);
	ASSERT_INT_EQ(try_open(state, "archive/a.test/new.pem", O_WRONLY | O_CREAT), -EACCES);
	ASSERT_INT_EQ(try_open(state, "live", O_RDONLY | O_DIRECTORY), -EACCES);
	/* What a job needs: its account's public file, the renewal files and
	 * the account directories to read, the web root. */
	ASSERT_INT_EQ(try_open(state, "accounts/ca.test/dir/0123abcd/account.json", O_RDONLY), 0);
	ASSERT_INT_EQ(try_open(state, "accounts/ca.test/dir", O_RDONLY | O_DIRECTORY), 0);
	ASSERT_INT_EQ(try_open(state, "renewal/a.test.conf", O_RDONLY), 0);
	/* And not one write in the state directory: the signer makes them. */
	ASSERT_INT_EQ(try_open(state, "renewal/a.test.conf", O_WRONLY), -EACCES);
	ASSERT_INT_EQ(try_open(state, "renewal/b.test.conf", O_WRONLY | O_CREAT | O_EXCL),
		      -EACCES);
	ASSERT_INT_EQ(try_open(state, "accounts/ca.test/dir/0123abcd/account.json", O_WRONLY),
		      -EACCES);
	ASSERT_INT_EQ(try_open(state, "accounts/ca.test/dir/0123abcd/new.json",
			       O_WRONLY | O_CREAT | O_EXCL), -EACCES);
	ASSERT_INT_EQ(try_open(web, ".well-known", O_WRONLY | O_CREAT | O_EXCL), 0);
	/* The system: libraries and CA certificates yes, the rest of /etc no. */
	ASSERT_INT_EQ(try_open("", "etc/hosts", O_RDONLY), 0);
	ASSERT_INT_EQ(try_open("", "usr/lib", O_RDONLY | O_DIRECTORY), 0);
	ASSERT_INT_EQ(try_open("", "etc/passwd", O_RDONLY), -EACCES);
	ASSERT_INT_EQ(try_open("", "root", O_RDONLY | O_DIRECTORY), -EACCES);
	ASSERT_INT_EQ(try_open("", "tmp/x", O_WRONLY | O_CREAT), -EACCES);
	free(state);
	free(web);
}

TEST(ari_worker_gets_no_state_at_all)
{
	char *state = make_state(), err[256] = "";

	if (sandbox_abi() == 0) {
		ASSERT_INT_EQ(sandbox_worker(NULL, NULL, NULL, 0, NULL, 0, err, sizeof(err)), -EOPNOTSUPP);
		printf("# this kernel has no Landlock: checked the fallback only\n");
		free(state);
		return;
	}
	ASSERT_INT_EQ(sandbox_worker(NULL, NULL, NULL, 0, NULL, 0, err, sizeof(err)), 0);
	ASSERT_INT_EQ(try_open(state, "renewal/a.test.conf", O_RDONLY), -EACCES);
	ASSERT_INT_EQ(try_open(state, "accounts/ca.test/dir/0123abcd/account.json", O_RDONLY),
		      -EACCES);
	ASSERT_INT_EQ(try_open("", "etc/ssl/certs", O_RDONLY | O_DIRECTORY), 0);
	/* Not the host's own keys. */
	ASSERT_INT_EQ(try_open("", "etc/ssl/private", O_RDONLY | O_DIRECTORY), -EACCES);
	free(state);
}

TEST(signer_rules_keep_tcp_away)
{
	struct sandbox_rule rules[] = {
		{ "/usr", SANDBOX_READ },
#ifdef __SANITIZE_ADDRESS__
		{ "/proc", SANDBOX_READ }, /* for LeakSanitizer, as in sandbox.c */
#endif
	};
	size_t n = sizeof(rules) / sizeof(rules[0]);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(1) };
	char err[256] = "";
	int fd;

	if (sandbox_abi() < 4) {
		printf("# Landlock ABI %d has no network rules: skipping nothing, checking the "
		       "call still succeeds\n", sandbox_abi());
		ASSERT_TRUE(sandbox_apply(rules, n, true, err, sizeof(err)) ==
			    (sandbox_abi() ? 0 : -EOPNOTSUPP));
		return;
	}
	ASSERT_INT_EQ(sandbox_apply(rules, n, true, err, sizeof(err)), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0);
	/* Denied by the sandbox (EACCES), not refused by the port (ECONNREFUSED). */
	ASSERT_INT_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0, -EACCES);
	close(fd);
}

TEST(worker_syscalls_landlock_leaves_open)
{
	char *dir = tmpdir_make(), err[256] = "", *path = path_join(dir, "f");
	struct iovec local = { 0 }, remote = { 0 };
	mode_t mode;
	int fd, r;

	file_write(path, "x");
	mode = file_mode(path);
	r = sandbox_syscalls(err, sizeof(err));
	if (r == -EOPNOTSUPP) {
		printf("# %s: checked the fallback only\n", err);
		free(path);
		free(dir);
		return;
	}
	TEST_CHECK(r == 0, "sandbox_syscalls: %d %s", r, err);
	/* No mode, owner or time changes, not even of a file it may write. */
	ASSERT_INT_EQ(chmod(path, 0666) < 0 ? -errno : 0, -EPERM);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(fchmod(fd, 0666) < 0 ? -errno : 0, -EPERM);
	ASSERT_INT_EQ(fchown(fd, 1, 1) < 0 ? -errno : 0, -EPERM);
	ASSERT_INT_EQ(futimens(fd, NULL) < 0 ? -errno : 0, -EPERM);
	ASSERT_INT_EQ(write(fd, "y", 1), 1); /* writing itself is Landlock's */
	close(fd);
	ASSERT_INT_EQ(file_mode(path), mode);
	/* No reading another process's memory. */
	ASSERT_INT_EQ(process_vm_readv(getppid(), &local, 1, &remote, 1, 0) < 0 ? -errno : 0,
		      -EPERM);
	/* No Unix stream socket (the control socket, D-Bus); datagrams (the
	 * journal) and TCP stay. */
	ASSERT_INT_EQ(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) < 0 ? -errno : 0, -EPERM);
	ASSERT_INT_EQ(socket(AF_UNIX, SOCK_SEQPACKET, 0) < 0 ? -errno : 0, -EPERM);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	free(path);
	free(dir);
}

TEST(web_roots_never_cover_the_state_or_the_system)
{
	char *state = make_state(), *parent = strdup(state), *inside, err[512] = "";
	char *roots[1];

	*strrchr(parent, '/') = '\0';
	inside = path_join(state, "renewal");
	roots[0] = parent; /* above the state directory */
	ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EPERM);
	ASSERT_STR_CONTAINS(err, "holds acmed's state");
	roots[0] = inside;
	ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EPERM);
	roots[0] = "/usr/../etc";
	ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EPERM);
	ASSERT_STR_CONTAINS(err, "(/etc)");
	roots[0] = "/";
	ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EPERM);
	/* A file is not a directory, whatever it is in. */
	roots[0] = "/etc/passwd";
	ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EPERM);
	ASSERT_STR_CONTAINS(err, "web root /etc/passwd is not a directory: give the directory");
	/* Nothing was confined by a refusal. */
	ASSERT_INT_EQ(try_open("", "etc/passwd", O_RDONLY), 0);
	free(inside);
	free(parent);
	free(state);
}

/* STATE/nginx/webroot, the challenge directory nginx serves, is the one
 * place inside the state directory a web root may be; not through a
 * symlink, and not its parent. */
TEST(web_root_may_be_the_own_nginx_challenge_directory)
{
	char *state = make_state(), *nginx = path_join(state, "nginx"), err[512] = "";
	char *own = path_join(state, "nginx/webroot"), *archive = path_join(state, "archive");
	char *roots[1] = { nginx };
	int r;

	ASSERT_INT_EQ(mkdir(nginx, 0755), 0);
	ASSERT_INT_EQ(symlink(archive, own), 0);
	roots[0] = own; /* a symlink into archive/ */
	ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EPERM);
	ASSERT_INT_EQ(unlink(own), 0);
	ASSERT_INT_EQ(mkdir(own, 0755), 0);
	roots[0] = nginx;
	ASSERT_INT_EQ(sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err)), -EPERM);
	roots[0] = own;
	r = sandbox_worker(state, NULL, roots, 1, NULL, 0, err, sizeof(err));
	TEST_CHECK(r == 0 || r == -EOPNOTSUPP, "%d: %s", r, err); /* -EOPNOTSUPP: no Landlock */
	free(nginx);
	free(own);
	free(archive);
	free(state);
}

/* The usual web roots of packaged web servers are fine, though under /usr;
 * the rest of /usr and the other system directories are not. */
TEST(usual_web_roots_under_usr)
{
	ASSERT_TRUE(sandbox_web_root_refused("/usr/share/nginx/html", NULL, true) == NULL);
	ASSERT_TRUE(sandbox_web_root_refused("/usr/share/nginx/html/site", "/var/lib/acmed",
					     true) == NULL);
	ASSERT_TRUE(sandbox_web_root_refused("/usr/local/nginx/html", NULL, true) == NULL);
	ASSERT_TRUE(sandbox_web_root_refused("/usr/share/caddy", NULL, true) == NULL);
	ASSERT_TRUE(sandbox_web_root_refused("/var/www/html", "/var/lib/acmed", true) == NULL);
	ASSERT_STR_CONTAINS(sandbox_web_root_refused("/usr/share/nginx", NULL, true),
			    "is a system directory: the worker may not write there; serve "
			    "/.well-known/acme-challenge/ from a directory such as /var/www/html");
	ASSERT_NONNULL(sandbox_web_root_refused("/usr/share/nginx/htmlx", NULL, true));
	ASSERT_NONNULL(sandbox_web_root_refused("/usr/bin", NULL, true));
	ASSERT_NONNULL(sandbox_web_root_refused("/etc/nginx", NULL, true));
	ASSERT_NONNULL(sandbox_web_root_refused("/run/x", NULL, true));
	ASSERT_STR_CONTAINS(sandbox_web_root_refused("/", "/var/lib/acmed", true),
			    "is a system directory");
	ASSERT_STR_CONTAINS(sandbox_web_root_refused("/var/lib", "/var/lib/acmed", true),
			    "holds acmed's state");
	ASSERT_STR_CONTAINS(sandbox_web_root_refused("/usr/share/nginx/html/x.html", NULL, false),
			    "is not a directory");
}
