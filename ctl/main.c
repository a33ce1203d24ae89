/* acmectl: drive acmed over its control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "ctlproto.h"
#include "issue_opts.h"
#include "util.h"
#include "ctl/completion.h"
#include "ctl/verbtab.h"

static void usage(FILE *f)
{
	client_fprintf(f, "Usage: acmectl [--socket PATH] [--timeout SECONDS] [--json] [-q] [-v] "
			  "COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < CMD__MAX; i++)
		client_fprintf(f, "  %-14s %s%s\n", ctl_cmds[i].name, ctl_cmds[i].summary,
			       ctl_cmds[i].flags & CMD_MUTATES ? " (root)" : "");
	for (size_t i = 0; i < nlocal_verbs; i++)
		client_fprintf(f, "  %-14s %s%s\n", local_verbs[i].name, local_verbs[i].summary,
			       local_verbs[i].root ? " (root)" : "");
	client_fprintf(f, "  %-14s %s\n", "help COMMAND", "the command's help");
	client_fprintf(f, "\ncertbot's verbs work too:");
	for (size_t i = 0; i < ncertbot_verbs; i++)
		client_fprintf(f, "%s %s", i ? "," : "", certbot_verbs[i].name);
	client_fprintf(f,
		       "\n(each runs the acmectl command that does its job, or names it).\n"
		       "\nOptions:\n"
		       "  --socket PATH      control socket (default $ACMED_SOCKET or %s/acmed.sock)\n"
		       "  --timeout SECONDS  give up when acmed sends nothing for so long (default %d;\n"
		       "                     0: wait forever)\n"
		       "  --json             machine-readable output on stdout\n"
		       "  -q, --quiet        nothing but errors (before or after COMMAND)\n"
		       "  -v, --verbose      the jobs' own log lines too, debug ones included\n"
		       "  -h, --help         this help; 'acmectl help COMMAND' for a command's\n"
		       "  -V, --version      show the version\n"
		       "\nExit status: 0 success, 1 failure, 2 usage error, 3 acmed unreachable or not\n"
		       "answering.\n",
		       ACMED_RUNDIR, CLIENT_TIMEOUT_DEFAULT);
}

/* --timeout's value: whole seconds, 0 to CLIENT_TIMEOUT_MAX. 0, or -EINVAL
 * (said on stderr) for anything else, a missing value (NULL) too. */
static int parse_timeout(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (s && *s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (*end == '\0' && errno == 0 && v <= CLIENT_TIMEOUT_MAX) {
			*out = (unsigned)v;
			return 0;
		}
	}
	client_fprintf(stderr, "acmectl: --timeout %s%s%s: must be a number of seconds from 0 (no "
			       "limit) to %d\nTry 'acmectl --help'.\n",
		       s ? "'" : "", s ? s : "needs a value", s ? "'" : "", CLIENT_TIMEOUT_MAX);
	return -EINVAL;
}

/* Is ARG an option of run's (certonly's: issue_opts[]), "--nginx" or
 * "-d", say, given with no verb before it? */
static bool run_option(const char *arg)
{
	size_t len = strcspn(arg, "=");

	if (arg[0] == '-' && arg[1] != '-' && arg[1])
		for (int i = 0; i < IO__MAX; i++)
			if (issue_opts[i].short_flag == arg[1])
				return true;
	for (int i = 0; arg[0] == '-' && arg[1] == '-' && i < IO__MAX; i++)
		if ((issue_opts[i].flag && strlen(issue_opts[i].flag) == len - 2 &&
		     strncmp(issue_opts[i].flag, arg + 2, len - 2) == 0) ||
		    (issue_opts[i].alias && strlen(issue_opts[i].alias) == len - 2 &&
		     strncmp(issue_opts[i].alias, arg + 2, len - 2) == 0))
			return true;
	return false;
}

/* `acmectl help [VERB]`, `acmectl --help [VERB]`: the verb's own --help,
 * or acmectl's. */
static int help(struct client *cl, const char *verb)
{
	char *argv[] = { (char *)verb, (char *)"--help", NULL };

	if (!verb) {
		usage(stdout);
		return EXIT_OK;
	}
	return verb_run(cl, 2, argv);
}

int main(int argc, char **argv)
{
	struct client cl = { .socket = getenv("ACMED_SOCKET"), .timeout = CLIENT_TIMEOUT_DEFAULT };
	int i;

	if (str_empty(cl.socket))
		cl.socket = ACMED_RUNDIR "/acmed.sock";
	/* --json is accepted before or after the command, as certbot users expect. */
	for (i = 1; i < argc; i++)
		if (streq(argv[i], "--json"))
			cl.json = true;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "--socket") && i + 1 < argc)
			cl.socket = argv[++i];
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			cl.socket = argv[i] + 9;
		else if (streq(argv[i], "--timeout") || strncmp(argv[i], "--timeout=", 10) == 0) {
			const char *v = argv[i][9] == '=' ? argv[i] + 10 : argv[++i];

			if (parse_timeout(v, &cl.timeout) < 0)
				return EXIT_USAGE;
		} else if (client_common_arg(&cl, argv[i]))
			;
		else if (streq(argv[i], "-h") || streq(argv[i], "--help"))
			return help(&cl, i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : NULL);
		else if (streq(argv[i], "-V") || streq(argv[i], "--version")) {
			client_fprintf(stdout, "acmectl %s\n", ACMED_VERSION);
			return EXIT_OK;
		} else if (streq(argv[i], "--completion")) {
			/* Hidden: the build makes the shell completion with it. */
			return completion_print(i + 1 < argc ? argv[i + 1] : NULL);
		} else if (run_option(argv[i])) {
			/* certbot's default subcommand: `acmectl --nginx -d NAME` runs. */
			argv[i - 1] = (char *)"run";
			return verb_run(&cl, argc - i + 1, argv + i - 1);
		} else {
			client_fprintf(stderr,
				       "acmectl: unknown option '%s'\nTry 'acmectl --help'.\n",
				       argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (streq(argv[i], "help"))
		return help(&cl, i + 1 < argc ? argv[i + 1] : NULL);
	return verb_run(&cl, argc - i, argv + i);
}
