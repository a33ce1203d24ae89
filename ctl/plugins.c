/* acmectl plugins: certbot's `plugins`, the authenticators acmed has. It
 * has no installers. */
#include <stdio.h>
#include <string.h>

#include "authn.h"
#include "issue_opts.h"
#include "util.h"
#include "ctl/verbs.h"

enum { O_AUTH = 256, O_INST, O_IGNORED };

const struct option plugins_options[] = {
	{ "authenticators", no_argument, NULL, O_AUTH },
	{ "installers", no_argument, NULL, O_INST },
	{ "init", no_argument, NULL, O_IGNORED },
	{ "prepare", no_argument, NULL, O_IGNORED },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

#define RULE "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -"

/* The certonly option that picks authenticator K, for its description. */
static const struct issue_opt_info *option_of(enum authn_kind k)
{
	for (int i = 0; i < IO__MAX; i++)
		if (issue_opts[i].type == IOT_AUTHN && streq(issue_opts[i].value, authn_infos[k].name))
			return &issue_opts[i];
	return NULL;
}

static void print_authenticator(enum authn_kind k)
{
	const struct issue_opt_info *o = option_of(k);
	const struct authn_info *a = &authn_infos[k];

	client_printf("* %s\nDescription: ", a->name);
	/* The help text, its lines joined. */
	for (const char *h = o ? o->help : ""; *h; h++)
		client_printf("%c", *h == '\n' ? ' ' : *h);
	client_printf("\nInterfaces: Authenticator\nChallenges:");
	for (size_t i = 0; i < ELEMENTSOF(a->types) && a->types[i]; i++)
		client_printf("%s %s", i ? "," : "", a->types[i]);
	client_printf("\nOption: --%s (or -a %s)\n", a->name, a->name);
}

int verb_plugins(struct client *cl, int argc, char **argv)
{
	bool installers = false, authenticators = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", plugins_options, NULL)) != -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_AUTH: authenticators = true; break;
		case O_INST: installers = true; break;
		case O_IGNORED: break;
		case 'h':
			client_fprintf(stdout, "Usage: acmectl plugins [--authenticators] [--installers]\n\n"
					       "The authenticators acmed has (certonly's --webroot ...) "
					       "and the challenges\neach answers. acmed has no "
					       "installers: it installs no certificate into a web\nserver's configuration (--nginx adds "
					       "only nginx's challenge location, once).\n");
			return EXIT_OK;
		default: client_fprintf(stderr, "Try 'acmectl plugins --help'.\n"); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl plugins: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	client_printf("%s\n", RULE);
	for (int k = 0; (authenticators || !installers) && k < AUTHN__MAX; k++) {
		if (k)
			client_printf("\n");
		print_authenticator((enum authn_kind)k);
	}
	client_printf("%s\n", RULE);
	return EXIT_OK;
}
