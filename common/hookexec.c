#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "hookexec.h"
#include "util.h"

char **hookexec_env(const char *kind, char *const *extra, size_t n)
{
	static const char *const pass[] = { "HOME", "LANG", "LC_ALL", "TZ" };
	char **env = calloc(n + ELEMENTSOF(pass) + 3, sizeof(char *));
	size_t k = 0;

	if (!env)
		return NULL;
	env[k++] = strdup("PATH=" HOOK_PATH);
	if (asprintf(&env[k++], "ACMED_HOOK=%s", kind) < 0)
		env[k - 1] = NULL;
	for (size_t i = 0; i < ELEMENTSOF(pass); i++) {
		const char *v = getenv(pass[i]);

		if (v && asprintf(&env[k++], "%s=%s", pass[i], v) < 0)
			env[k - 1] = NULL;
	}
	for (size_t i = 0; i < n; i++)
		env[k++] = xstrdup(extra[i]);
	for (size_t i = 0; i < k; i++) {
		if (!env[i]) {
			strv_free(env, k);
			return NULL;
		}
	}
	return env;
}

_Noreturn void hookexec_child(const char *command, char *const *env, int out, int err)
{
	char *argv[] = { "sh", "-c", (char *)command, NULL };

	hookexec_exec("/bin/sh", argv, env, out, err);
}

_Noreturn void hookexec_exec(const char *path, char *const *argv, char *const *env, int out,
			     int err)
{
	sigset_t none;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* The daemon blocks signals for its signalfd and ignores SIGPIPE; a
	 * hook starts with the defaults. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out, 1);
	dup2(err, 2);
	close_range(3, ~0U, 0);
	if (chdir("/") < 0)
		_exit(127);
	execve(path, argv, env);
	_exit(127);
}
