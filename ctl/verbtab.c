/* acmectl's verbs and certbot's (verbtab.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "ctl/verbtab.h"

/* Indexed by the shared command table, so help and dispatch cannot drift. */
const verb_fn cmd_verbs[CMD__MAX] = {
	[CMD_CERTONLY] = verb_certonly,
	[CMD_RENEW] = verb_renew,
	[CMD_RECONFIGURE] = verb_reconfigure,
	[CMD_REVOKE] = verb_revoke,
	[CMD_DELETE] = verb_delete,
	[CMD_CHECK] = verb_check,
	[CMD_REPAIR] = verb_repair,
	[CMD_ACCOUNT] = verb_account,
	[CMD_RELOAD] = verb_reload,
	[CMD_CERTIFICATES] = verb_certificates,
	[CMD_STATUS] = verb_status,
	[CMD_CANCEL] = verb_cancel,
	[CMD_CONTINUE] = verb_continue,
	[CMD_METRICS] = verb_metrics,
};
_Static_assert(ELEMENTSOF(cmd_verbs) == CMD__MAX, "every command needs a verb");

static const struct option *const cmd_options[CMD__MAX] = {
	[CMD_RENEW] = renew_options,
	[CMD_REVOKE] = revoke_options,
	[CMD_DELETE] = delete_options,
	[CMD_CHECK] = check_options,
	[CMD_REPAIR] = check_options,
	[CMD_ACCOUNT] = account_options,
	[CMD_RELOAD] = reload_options,
	[CMD_CERTIFICATES] = certificates_options,
	[CMD_STATUS] = status_options,
	[CMD_CANCEL] = cancel_options,
	[CMD_CONTINUE] = cancel_options,
	[CMD_METRICS] = reload_options,
};

const struct local_verb local_verbs[] = {
	{ "import-certbot", verb_import_certbot,
	  "adopt certbot's lineages, accounts and renewal settings", true,
	  import_certbot_options },
	{ "plugins", verb_plugins, "list the authenticators and the challenges they answer", false,
	  plugins_options },
	{ "run", verb_run_nginx,
	  "obtain a certificate through nginx and install it there (--nginx)",
	  true, NULL },
	{ "install", verb_install,
	  "install a lineage's certificate into nginx (--nginx --cert-name NAME)", true, NULL },
	{ "rollback", verb_rollback, "undo acmectl's last edit of nginx's files (--nginx)",
	  true, rollback_options },
	{ "cluster", verb_cluster, "cluster mode: init (a new cluster key), status (etcd)", true,
	  cluster_options },
	{ "store", verb_store, "migrate --to etcd|local: copy the lineages into etcd or back", true,
	  store_options },
};
const size_t nlocal_verbs = ELEMENTSOF(local_verbs);

const struct certbot_verb certbot_verbs[] = {
	{ "register", "account", "register", NULL },
	{ "unregister", "account", "deactivate", NULL },
	{ "update_account", "account", "update", NULL },
	{ "show_account", "account", "show", NULL },
	{ "update_symlinks", "repair", NULL, NULL },
	{ "enhance", NULL, NULL,
	  "acmectl certificates: acmed sets no redirects, HSTS or OCSP stapling (they are the "
	  "server's own settings); this lists what acmed manages" },
	{ "config_changes", NULL, NULL,
	  "acmectl certificates: acmed installs nothing into a web server's configuration; this "
	  "lists what acmed manages" },
};
const size_t ncertbot_verbs = ELEMENTSOF(certbot_verbs);

const char *verb_name_at(size_t i)
{
	if (i < CMD__MAX)
		return ctl_cmds[i].name;
	i -= CMD__MAX;
	if (i < nlocal_verbs)
		return local_verbs[i].name;
	i -= nlocal_verbs;
	return i < ncertbot_verbs ? certbot_verbs[i].name : NULL;
}

/* A and B compare equal here: case and '-'/'_' aside. */
static int fold(char c)
{
	return c == '_' ? '-' : tolower((unsigned char)c);
}

/* The optimal string alignment distance between A and B (edits: insert,
 * delete, change, swap two neighbours), or 3 when it is more than 2. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[34][34];

	if (la > 32 || lb > 32 || (la > lb ? la - lb : lb - la) > 2)
		return 3;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = fold(a[i - 1]) != fold(b[j - 1]), best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
			    fold(a[i - 2]) == fold(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb] > 2 ? 3 : d[la][lb];
}

const char *verb_nearest(const char *name)
{
	const char *best = NULL, *v;
	unsigned best_d = 3;

	for (size_t i = 0; (v = verb_name_at(i)); i++) {
		unsigned d = distance(name, v);

		/* Two edits of a word of two letters is any word. */
		if (d < best_d && d < strlen(name)) {
			best = v;
			best_d = d;
		}
	}
	return best;
}

static const struct certbot_verb *certbot_verb(const char *name)
{
	for (size_t i = 0; i < ncertbot_verbs; i++)
		if (streq(certbot_verbs[i].name, name))
			return &certbot_verbs[i];
	return NULL;
}

const struct option *verb_options(const char *name)
{
	const struct certbot_verb *cv = certbot_verb(name);
	int cmd;

	if (cv && cv->verb)
		name = cv->verb;
	for (size_t i = 0; i < nlocal_verbs; i++)
		if (streq(local_verbs[i].name, name))
			return local_verbs[i].opts;
	cmd = ctl_cmd_lookup(name);
	return cmd >= 0 ? cmd_options[cmd] : NULL;
}

/* certbot's verb CV as the acmectl verb it maps to. */
static int run_mapped(struct client *cl, const struct certbot_verb *cv, int argc, char **argv)
{
	int n = 0, r;
	char **v = calloc((size_t)argc + 2, sizeof(*v));

	if (!v) {
		client_fprintf(stderr, "acmectl: out of memory\n");
		return EXIT_FAILED;
	}
	v[n++] = (char *)cv->verb;
	if (cv->sub)
		v[n++] = (char *)cv->sub;
	for (int i = 1; i < argc; i++)
		v[n++] = argv[i];
	client_note(cl, "certbot's '%s' is 'acmectl %s%s%s' here", cv->name, cv->verb,
		    cv->sub ? " " : "", cv->sub ? cv->sub : "");
	r = verb_run(cl, n, v);
	free(v);
	return r;
}

int verb_run(struct client *cl, int argc, char **argv)
{
	const struct certbot_verb *cv;
	const char *near;
	int cmd;

	for (size_t i = 0; i < nlocal_verbs; i++)
		if (streq(argv[0], local_verbs[i].name))
			return local_verbs[i].fn(cl, argc, argv);
	/* acmectl's own verbs first: a certbot name acmectl takes up later
	 * (reconfigure) is acmectl's then. */
	cmd = ctl_cmd_lookup(argv[0]);
	if (cmd >= 0)
		return cmd_verbs[cmd](cl, argc, argv);
	cv = certbot_verb(argv[0]);
	if (cv && cv->verb)
		return run_mapped(cl, cv, argc, argv);
	if (cv) {
		client_fprintf(stderr, "acmectl: certbot's '%s' has no acmectl verb of its own; use %s\n",
			       cv->name, cv->hint);
		return EXIT_USAGE;
	}
	near = verb_nearest(argv[0]);
	client_fprintf(stderr, "acmectl: unknown command '%s'%s%s%s\nTry 'acmectl --help'.\n",
		       argv[0], near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
	return EXIT_USAGE;
}
