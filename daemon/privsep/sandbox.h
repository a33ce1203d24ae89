/* Confinement of a job's processes with Landlock (an unprivileged Linux
 * LSM, kernel 5.13 and later): a process lists the files and directories it
 * still needs and loses every other file access, for good and for its
 * children too. docs/security.md says who gets what.
 *
 * Rights are asked for by class; a rule on a file (not a directory) keeps
 * only the file rights of its class. A path that does not exist is left
 * out. Opened file descriptors keep working: confinement checks opens. */
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <stdbool.h>
#include <stddef.h>

enum sandbox_access {
	SANDBOX_READ,       /* read files, list directories */
	SANDBOX_READ_WRITE, /* everything: create, write, rename, remove */
	SANDBOX_WRITE_ONLY, /* all of READ_WRITE but reading files */
	SANDBOX_LIST,       /* list directories, open no file */
};

struct sandbox_rule {
	const char *path;
	enum sandbox_access access;
};

/* The Landlock ABI version of the running kernel, or 0 if it has none (too
 * old, or Landlock not enabled in its LSM list: errno EOPNOTSUPP or
 * ENOSYS) or may not use it (a seccomp filter: errno EPERM). Inline: the
 * daemon asks too, to warn at start-up, without linking the sandbox. */
static inline int sandbox_abi(void)
{
	/* LANDLOCK_CREATE_RULESET_VERSION */
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U << 0);

	return abi > 0 ? (int)abi : 0;
}

/* Confine the calling process to the N RULES. With DENY_TCP (and a kernel
 * of ABI 4 or later) it can neither connect nor bind TCP sockets either;
 * with ABI 6 it can no longer signal processes outside its sandbox. Sets
 * no_new_privs. 0, -EOPNOTSUPP if the kernel has no Landlock (nothing
 * changed), or -errno with ERR saying which step failed. */
int sandbox_apply(const struct sandbox_rule *rules, size_t n, bool deny_tcp, char *err,
		  size_t errlen);

/* The read-only system paths every confined process keeps: shared
 * libraries, the CA certificates, name resolution, time zones, /dev/null
 * and /dev/urandom. */
extern const struct sandbox_rule sandbox_system[];
extern const size_t sandbox_nsystem;

/* Confine a job's worker (the process that talks to the CA): the system
 * paths, CA_BUNDLE (may be NULL), STATE/renewal read-only, STATE/accounts
 * listed but for the account.json files there now (readable), and the N
 * directories RW (web roots) read-write, the NRO files RO read-only (cluster
mode's etcd client certificate). Nothing else of STATE, and no
 * write there at all (the signer makes every write of a job): the private
 * keys in accounts/ and archive/ cannot be opened. STATE NULL: no part of
 * it. As sandbox_apply(), without TCP restrictions. */
int sandbox_worker(const char *state, const char *ca_bundle, char *const *rw, size_t n,
		   const char *const *ro, size_t nro, char *err, size_t errlen);

/* What Landlock leaves open, closed with a seccomp filter (sandbox_worker
 * applies it too, Landlock or not): the calling process can no longer
 * change a file's mode, owner, times or extended attributes, trace or
 * read another process's memory (EPERM), or make a Unix stream socket, so
 * it cannot reach acmed's control socket or D-Bus (datagrams, for the
 * journal and syslog, stay); the calls of another
 * architecture's ABI kill it. Sets no_new_privs. 0, -EOPNOTSUPP on an
 * architecture it does not know (x86-64 and arm64 it does), or -errno. */
int sandbox_syscalls(char *err, size_t errlen);

/* Why the worker may not write the web root REAL (resolved), given the
 * state directory RSTATE (resolved, or NULL) and whether REAL IS_DIR: the
 * rest of "web root X ...", with what to do instead; NULL if it may. Not
 * "/" nor a system directory (/etc, /usr, /run...) but for the web roots
 * packages put there (/usr/share/nginx/html...), nothing inside or above
 * the state directory. */
const char *sandbox_web_root_refused(const char *real, const char *rstate, bool is_dir);
