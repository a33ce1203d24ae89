#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/privsep/sandbox.h"
#include "util.h"

/* The kernel's ABI, spelt out here: Debian 12's headers stop at ABI 2 and
 * the values never change. */
#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_REMOVE_DIR (1ULL << 4)
#define FS_REMOVE_FILE (1ULL << 5)
#define FS_MAKE_CHAR (1ULL << 6)
#define FS_MAKE_DIR (1ULL << 7)
#define FS_MAKE_REG (1ULL << 8)
#define FS_MAKE_SOCK (1ULL << 9)
#define FS_MAKE_FIFO (1ULL << 10)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_MAKE_SYM (1ULL << 12)
#define FS_REFER (1ULL << 13)      /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
#define NET_BIND_TCP (1ULL << 0)   /* ABI 4 */
#define NET_CONNECT_TCP (1ULL << 1)
#define SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define SCOPE_SIGNAL (1ULL << 1)

#define CREATE_RULESET_VERSION (1U << 0)
#define RULE_PATH_BENEATH 1

struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

struct path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* Rights that apply to a file (the rest only make sense on directories). */
#define FS_FILE_RIGHTS (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV)

const struct sandbox_rule sandbox_system[] = {
	{ "/usr", SANDBOX_READ },
	{ "/lib", SANDBOX_READ },
	{ "/lib64", SANDBOX_READ },
	{ "/lib32", SANDBOX_READ },
	/* The CA certificates and OpenSSL's configuration; not the rest of
	 * /etc/ssl (private/ holds the host's keys). */
	{ "/etc/ssl/certs", SANDBOX_READ },
	{ "/etc/ssl/openssl.cnf", SANDBOX_READ },
	{ "/etc/ca-certificates", SANDBOX_READ },
	{ "/etc/ld.so.cache", SANDBOX_READ },
	{ "/etc/localtime", SANDBOX_READ },
	{ "/etc/hosts", SANDBOX_READ },
	{ "/etc/host.conf", SANDBOX_READ },
	{ "/etc/resolv.conf", SANDBOX_READ },
	{ "/etc/nsswitch.conf", SANDBOX_READ },
	{ "/etc/gai.conf", SANDBOX_READ },
	{ "/etc/services", SANDBOX_READ },
	{ "/etc/protocols", SANDBOX_READ },
	{ "/dev/null", SANDBOX_READ_WRITE },
	{ "/dev/urandom", SANDBOX_READ },
#ifdef __SANITIZE_ADDRESS__
	/* Sanitizer builds only: LeakSanitizer lists /proc/self/task at exit. */
	{ "/proc", SANDBOX_READ },
#endif
};
const size_t sandbox_nsystem = ELEMENTSOF(sandbox_system);

static uint64_t handled_fs(int abi)
{
	uint64_t fs = (FS_MAKE_SYM << 1) - 1; /* ABI 1: EXECUTE to MAKE_SYM */

	if (abi >= 2)
		fs |= FS_REFER;
	if (abi >= 3)
		fs |= FS_TRUNCATE;
	if (abi >= 5)
		fs |= FS_IOCTL_DEV;
	return fs;
}

static uint64_t class_rights(enum sandbox_access a, uint64_t handled)
{
	switch (a) {
	case SANDBOX_READ:
		return (FS_READ_FILE | FS_READ_DIR) & handled;
	case SANDBOX_READ_WRITE:
		return handled & ~(FS_EXECUTE | FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_MAKE_FIFO |
				   FS_MAKE_SOCK | FS_IOCTL_DEV);
	case SANDBOX_WRITE_ONLY:
		return class_rights(SANDBOX_READ_WRITE, handled) & ~FS_READ_FILE;
	case SANDBOX_LIST:
		return FS_READ_DIR & handled;
	}
	return 0;
}

static int add_rule(int ruleset, const struct sandbox_rule *rule, uint64_t handled, char *err,
		    size_t errlen)
{
	struct path_beneath_attr pb = { 0 };
	struct stat st;
	int fd = open(rule->path, O_PATH | O_CLOEXEC), r = 0;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "sandbox rule for %s: %s", rule->path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	pb.allowed_access = class_rights(rule->access, handled);
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= FS_FILE_RIGHTS;
	pb.parent_fd = fd;
	if (pb.allowed_access &&
	    syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &pb, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "sandbox rule for %s: %s", rule->path, strerror(-r));
	}
out:
	close(fd);
	return r;
}

int sandbox_apply(const struct sandbox_rule *rules, size_t n, bool deny_tcp, char *err,
		  size_t errlen)
{
	int abi = sandbox_abi(), ruleset, r = 0;
	struct ruleset_attr attr = { 0 };
	size_t size = sizeof(attr.handled_access_fs);

	if (abi < 1)
		return -EOPNOTSUPP;
	attr.handled_access_fs = handled_fs(abi);
	if (abi >= 4) {
		size += sizeof(attr.handled_access_net);
		/* Handled and never granted: no TCP at all. */
		if (deny_tcp)
			attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
	}
	if (abi >= 6) {
		size = sizeof(attr);
		attr.scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX;
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0) {
		r = -errno;
		snprintf(err, errlen, "landlock_create_ruleset: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_rule(ruleset, &rules[i], attr.handled_access_fs, err, errlen);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
	}
	if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "landlock_restrict_self: %s", strerror(errno));
	}
	close(ruleset);
	return r;
}

struct rule_list {
	struct sandbox_rule *v;
	size_t n;
	char **paths; /* the ones made here, to free */
	size_t npaths;
};

static int add_path_rule(struct rule_list *l, char *path, enum sandbox_access access)
{
	struct sandbox_rule *nv = path ? realloc(l->v, (l->n + 1) * sizeof(*l->v)) : NULL;
	char **np = nv ? realloc(l->paths, (l->npaths + 1) * sizeof(*l->paths)) : NULL;

	if (nv)
		l->v = nv;
	if (np)
		l->paths = np;
	if (!nv || !np) {
		free(path);
		return -ENOMEM;
	}
	l->paths[l->npaths++] = path;
	l->v[l->n++] = (struct sandbox_rule){ path, access };
	return 0;
}

/* A read rule for every account.json under DIR (accounts/SERVER-PATH/ID/,
 * SERVER-PATH of any depth), symlinks not followed. */
static int account_files(const char *dir, int depth, struct rule_list *l)
{
	DIR *d = depth < 8 ? opendir(dir) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d)
		return 0;
	while (r == 0 && (e = readdir(d))) {
		char *path;

		if (e->d_name[0] == '.' || asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			continue;
		if (e->d_type == DT_DIR) {
			r = account_files(path, depth + 1, l);
			free(path);
		} else if (e->d_type == DT_REG && streq(e->d_name, "account.json")) {
			r = add_path_rule(l, path, SANDBOX_READ);
		} else {
			free(path);
		}
	}
	closedir(d);
	return r;
}

/* ---- system calls ---- */

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_AARCH64
#endif

/* What Landlock does not cover and a worker never needs: changing a file's
 * mode, owner, times or extended attributes, and reading or writing
 * another process's memory. (Not every architecture has every call.) */
static const int denied_calls[] = {
#ifdef __NR_chmod
	__NR_chmod,
#endif
	__NR_fchmod, __NR_fchmodat,
#ifdef __NR_fchmodat2
	__NR_fchmodat2,
#endif
#ifdef __NR_chown
	__NR_chown,
#endif
#ifdef __NR_lchown
	__NR_lchown,
#endif
	__NR_fchown, __NR_fchownat,
	__NR_setxattr, __NR_lsetxattr, __NR_fsetxattr,
	__NR_removexattr, __NR_lremovexattr, __NR_fremovexattr,
#ifdef __NR_utime
	__NR_utime,
#endif
#ifdef __NR_utimes
	__NR_utimes,
#endif
#ifdef __NR_futimesat
	__NR_futimesat,
#endif
	__NR_utimensat,
#ifndef __SANITIZE_ADDRESS__
	/* (LeakSanitizer traces its own process's threads at exit.) */
	__NR_ptrace,
#endif
	__NR_process_vm_readv, __NR_process_vm_writev,
};

int sandbox_syscalls(char *err, size_t errlen)
{
#ifdef AUDIT_ARCH_HERE
	enum { NDENIED = sizeof(denied_calls) / sizeof(denied_calls[0]) };
	struct sock_filter f[NDENIED + 16];
	struct sock_fprog prog = { 0 };
	unsigned short n = 0;

#define STMT(code, k) (f[n++] = (struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) (f[n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf))
	/* Another architecture's calls (x86's i386 ABI): denied outright. */
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	/* The x32 ABI's numbers. */
	JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, NDENIED + 7, 0);
#endif
	/* Each jumps to the last instruction, the refusal. */
	for (int i = 0; i < NDENIED; i++)
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied_calls[i],
		     (unsigned char)(NDENIED - i + 6), 0);
	/* No Unix stream socket: no connecting to acmed's control socket
	 * (where root is an administrator), to D-Bus or to another local
	 * service. Datagrams stay: the journal and syslog are reached so. */
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 5);
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 3);
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]));
	STMT(BPF_ALU | BPF_AND | BPF_K, 0xf);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0, 1);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
#undef STMT
#undef JUMP
	prog.len = n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		int r = -errno;

		snprintf(err, errlen, "seccomp filter: %s", strerror(-r));
		return r;
	}
	return 0;
#else
	snprintf(err, errlen, "no seccomp filter for this architecture");
	return -EOPNOTSUPP;
#endif
}

/* Is A the same directory as B or below it? (Both resolved.) */
static bool path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || streq(b, "/"));
}

/* Is REAL (resolved) the state directory's own challenge directory for
 * nginx, STATE/nginx/webroot (docs/nginx.md)? It holds token files only. */
static bool own_challenge_dir(const char *rstate, const char *real)
{
	char *own = NULL;
	bool yes;

	if (!rstate || asprintf(&own, "%s/nginx/webroot", rstate) < 0)
		return false;
	yes = streq(real, own);
	free(own);
	return yes;
}

/* The web roots the usual packages give a web server under a system
 * directory: the worker may write there all the same (only there). */
static const char *const usual_web_roots[] = {
	"/usr/share/nginx/html",     /* nginx's own packages, RHEL, Fedora, Alpine */
	"/usr/local/nginx/html",     /* nginx built from source */
	"/usr/share/caddy",          /* Caddy's packages */
	"/usr/local/apache2/htdocs", /* Apache built from source, the httpd image */
	"/usr/local/www",            /* FreeBSD's layout */
};

static const char *const system_dirs[] = { "/etc", "/usr", "/boot", "/proc", "/sys", "/dev",
					    "/run" };

const char *sandbox_web_root_refused(const char *real, const char *rstate, bool is_dir)
{
	static const char *const system_dir =
		"is a system directory: the worker may not write there; serve "
		"/.well-known/acme-challenge/ from a directory such as /var/www/html and give "
		"that with -w";

	if (!is_dir)
		return "is not a directory: give the directory the web server serves "
		       "/.well-known/acme-challenge/ from";
	if (streq(real, "/"))
		return system_dir;
	if (rstate && (path_within(real, rstate) || path_within(rstate, real)) &&
	    !own_challenge_dir(rstate, real))
		return "holds acmed's state: the worker may not write there; give the directory "
		       "the web server serves /.well-known/acme-challenge/ from";
	for (size_t i = 0; i < ELEMENTSOF(usual_web_roots); i++)
		if (path_within(real, usual_web_roots[i]))
			return NULL;
	for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
		if (path_within(real, system_dirs[i]))
			return system_dir;
	return NULL;
}

/* A web root the worker may write: a directory, not the system's
 * directories (but the usual web roots there), and neither inside the
 * state directory (but for its own challenge directory) nor above it (resolved, symbolic links followed, as
 * Landlock will). */
static int rw_root_ok(const char *state, const char *root, char *err, size_t errlen)
{
	char *real = realpath(root, NULL), *rstate = state ? realpath(state, NULL) : NULL;
	const char *why;
	struct stat st;
	int r = 0;

	if (!real)
		return 0; /* a missing one gets no rule */
	why = sandbox_web_root_refused(real, rstate, stat(real, &st) == 0 && S_ISDIR(st.st_mode));
	if (why) {
		r = -EPERM;
		if (streq(root, real))
			snprintf(err, errlen, "web root %s %s", root, why);
		else
			snprintf(err, errlen, "web root %s (%s) %s", root, real, why);
	}
	free(real);
	free(rstate);
	return r;
}

int sandbox_worker(const char *state, const char *ca_bundle, char *const *rw, size_t n,
		   const char *const *ro, size_t nro, char *err, size_t errlen)
{
	struct rule_list l = { 0 };
	char *renewal = NULL, *accounts = NULL;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		if ((r = rw_root_ok(state, rw[i], err, errlen)) < 0)
			return r;
	for (size_t i = 0; r == 0 && i < sandbox_nsystem; i++)
		r = add_path_rule(&l, strdup(sandbox_system[i].path), sandbox_system[i].access);
	if (r == 0 && ca_bundle)
		r = add_path_rule(&l, strdup(ca_bundle), SANDBOX_READ);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_path_rule(&l, strdup(rw[i]), SANDBOX_READ_WRITE);
	for (size_t i = 0; r == 0 && i < nro; i++)
		r = add_path_rule(&l, strdup(ro[i]), SANDBOX_READ);
	if (r == 0 && state) {
		if (asprintf(&renewal, "%s/renewal", state) < 0)
			renewal = NULL;
		if (asprintf(&accounts, "%s/accounts", state) < 0)
			accounts = NULL;
		r = add_path_rule(&l, renewal, SANDBOX_READ);
		if (r == 0)
			r = add_path_rule(&l, accounts ? strdup(accounts) : NULL, SANDBOX_LIST);
		if (r == 0)
			r = account_files(accounts, 0, &l);
		free(accounts);
	}
	if (r == 0)
		r = sandbox_apply(l.v, l.n, false, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	/* With or without Landlock, the calls it does not cover. */
	if (r == 0 || r == -EOPNOTSUPP) {
		char why[128];
		int s = sandbox_syscalls(why, sizeof(why));

		if (s < 0 && s != -EOPNOTSUPP) {
			snprintf(err, errlen, "%s", why);
			r = s;
		}
	}
	for (size_t i = 0; i < l.npaths; i++)
		free(l.paths[i]);
	free(l.paths);
	free(l.v);
	return r;
}
