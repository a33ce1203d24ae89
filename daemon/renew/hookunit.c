#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

#include "daemon/renew/hookunit.h"
#include "util.h"

bool hookunit_wanted(const char *setting, char **unit)
{
	bool want;

	*unit = NULL;
	if (setting && streq(setting, "direct"))
		return false;
	want = setting && streq(setting, "systemd-run");
	/* A service of the system manager: PID 1 is our parent. (A shell in
	 * a terminal may have INVOCATION_ID from the terminal's service.) */
	if (!want)
		want = geteuid() == 0 && getppid() == 1 && getenv("INVOCATION_ID") &&
		       sd_booted() > 0 && access(HOOKUNIT_SYSTEMD_RUN, X_OK) == 0;
	if (want && sd_pid_get_unit(0, unit) < 0)
		*unit = NULL;
	return want;
}

/* COMMAND with each '$' doubled: systemd expands $NAME and ${NAME} in a
 * service's command line, also a transient one's, and "$$" is its '$'. */
static char *escape_dollars(const char *command)
{
	size_t n = strlen(command) + 1;
	char *out, *p;

	for (const char *c = command; *c; c++)
		n += *c == '$';
	out = malloc(n);
	if (!out)
		return NULL;
	p = out;
	for (const char *c = command; *c; c++) {
		*p++ = *c;
		if (*c == '$')
			*p++ = '$';
	}
	*p = '\0';
	return out;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, f);
	r = vasprintf(&s, f, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

char **hookunit_argv(const char *command, char *const *env, const char *description,
		     long timeout, long grace, const char *owner_unit, unsigned seq)
{
	size_t nenv = 0, k = 0, max;
	char **argv;
	bool ok = true;

	while (env && env[nenv])
		nenv++;
	max = 16 + 2 * nenv;
	argv = calloc(max + 1, sizeof(char *));
	if (!argv)
		return NULL;
#define ADD(s) (argv[k++] = (s), ok = ok && argv[k - 1])
#define ADDF(...) ADD(fmt(__VA_ARGS__))
	ADD(xstrdup("systemd-run"));
	ADDF("--unit=acmed-hook-%d-%u.service", (int)getpid(), seq);
	/* --wait: its exit status is the hook's; --pipe: the hook's output
	 * comes to acmed's pipe; --collect: unloaded even if it failed. */
	ADD(xstrdup("--quiet"));
	ADD(xstrdup("--wait"));
	ADD(xstrdup("--pipe"));
	ADD(xstrdup("--collect"));
	ADD(xstrdup("--service-type=exec"));
	ADDF("--description=acmed: %s", description);
	ADDF("--property=RuntimeMaxSec=%lds", timeout);
	ADDF("--property=TimeoutStopSec=%lds", grace);
	if (owner_unit)
		ADDF("--property=StopPropagatedFrom=%s", owner_unit);
	for (size_t i = 0; i < nenv; i++)
		ADDF("--setenv=%s", env[i]);
	ADD(xstrdup("--"));
	ADD(xstrdup("/bin/sh"));
	ADD(xstrdup("-c"));
	ADD(escape_dollars(command));
#undef ADD
#undef ADDF
	if (!ok) {
		strv_free(argv, k);
		return NULL;
	}
	return argv;
}

void hookunit_stop(const char *unit)
{
	char *argv[] = { "systemctl", "--no-block", "--quiet", "stop", (char *)unit, NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t pid;

	if (posix_spawn(&pid, HOOKUNIT_SYSTEMCTL, NULL, NULL, argv, env) != 0)
		return;
	/* acmed is exiting: a short, bounded wait, not the event loop's. */
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
