/* acmectl: drive acmed over its control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "ctlproto.h"
#include "util.h"
#include "ctl/verbs.h"

typedef int (*verb_fn)(struct client *cl, int argc, char **argv);

/* Indexed by the shared command table, so help and dispatch cannot drift. */
static const verb_fn verbs[CMD__MAX] = {
	[CMD_CERTONLY] = verb_certonly,
	[CMD_RENEW] = verb_renew,
	[CMD_REVOKE] = verb_revoke,
	[CMD_DELETE] = verb_delete,
	[CMD_CHECK] = verb_check,
	[CMD_REPAIR] = verb_repair,
	[CMD_ACCOUNT] = verb_account,
	[CMD_RELOAD] = verb_reload,
	[CMD_CERTIFICATES] = verb_certificates,
	[CMD_STATUS] = verb_status,
};
_Static_assert(ELEMENTSOF(verbs) == CMD__MAX, "every command needs a verb");

/* Verbs that work on files rather than through the daemon. */
static const struct {
	const char *name;
	verb_fn fn;
	const char *summary;
} local_verbs[] = {
	{ "import-certbot", verb_import_certbot,
	  "adopt certbot's lineages, accounts and renewal settings" },
};

static void usage(FILE *f)
{
	client_fprintf(f, "Usage: acmectl [--socket PATH] [--timeout SECONDS] [--json] [-q] COMMAND "
			  "[OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < CMD__MAX; i++)
		client_fprintf(f, "  %-14s %s%s\n", ctl_cmds[i].name, ctl_cmds[i].summary,
			       ctl_cmds[i].flags & CMD_MUTATES ? " (root)" : "");
	for (size_t i = 0; i < ELEMENTSOF(local_verbs); i++)
		client_fprintf(f, "  %-14s %s (root)\n", local_verbs[i].name,
			       local_verbs[i].summary);
	client_fprintf(f,
		       "\nOptions:\n"
		       "  --socket PATH      control socket (default $ACMED_SOCKET or %s/acmed.sock)\n"
		       "  --timeout SECONDS  give up when acmed sends nothing for so long (default %d;\n"
		       "                     0: wait forever)\n"
		       "  --json             machine-readable output on stdout\n"
		       "  -q, --quiet        nothing but errors (before or after COMMAND)\n"
		       "  -v, --verbose      the jobs' own log lines too, debug ones included\n"
		       "  -h, --help         this help; 'acmectl COMMAND --help' for a command\n"
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

int main(int argc, char **argv)
{
	struct client cl = { .socket = getenv("ACMED_SOCKET"), .timeout = CLIENT_TIMEOUT_DEFAULT };
	int i, cmd;

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
		else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (streq(argv[i], "-V") || streq(argv[i], "--version")) {
			client_printf("acmectl %s\n", ACMED_VERSION);
			return EXIT_OK;
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
	for (size_t k = 0; k < ELEMENTSOF(local_verbs); k++)
		if (streq(argv[i], local_verbs[k].name))
			return local_verbs[k].fn(&cl, argc - i, argv + i);
	cmd = ctl_cmd_lookup(argv[i]);
	if (cmd < 0) {
		client_fprintf(stderr, "acmectl: unknown command '%s'\nTry 'acmectl --help'.\n",
			       argv[i]);
		return EXIT_USAGE;
	}
	return verbs[cmd](&cl, argc - i, argv + i);
}
