/* acmectl's verbs: the daemon's commands (ctl_cmds[], by the same enum),
 * acmectl's own, and certbot's verbs, mapped to acmectl's or answered with
 * the acmectl command that does their job. One set of tables for dispatch,
 * --help, the suggestion for a mistyped verb and the shell completion. */
#pragma once

#include <stddef.h>

#include "ctlproto.h"
#include "ctl/verbs.h"

typedef int (*verb_fn)(struct client *cl, int argc, char **argv);

/* A verb acmectl carries out itself. */
struct local_verb {
	const char *name;
	verb_fn fn;
	const char *summary;       /* acmectl --help's line */
	bool root;                 /* changes state: run it as root */
	const struct option *opts; /* its options, for the completion */
};

/* A verb of certbot's that acmectl has under another name, or not at all. */
struct certbot_verb {
	const char *name; /* certbot's spelling */
	const char *verb; /* acmectl's verb that does it, or NULL */
	const char *sub;  /* ... given this first argument (account's), or NULL */
	const char *hint; /* no such verb: what to run instead (exit 2) */
};

extern const verb_fn cmd_verbs[CMD__MAX];
extern const struct local_verb local_verbs[];
extern const size_t nlocal_verbs;
extern const struct certbot_verb certbot_verbs[];
extern const size_t ncertbot_verbs;

/* The I-th verb's name, over every table in that order; NULL past the end. */
const char *verb_name_at(size_t i);
/* The verb NAME looks like a misspelling of (at most two letters changed,
 * added, dropped or swapped, case and '-'/'_' aside), or NULL. */
const char *verb_nearest(const char *name);
/* The getopt table of verb NAME (certbot's: of the verb it maps to), for
 * the completion; NULL for certonly and reconfigure (issue_opts[]) and
 * for none. */
const struct option *verb_options(const char *name);

/* Run the verb ARGV[0] with its arguments: its exit status. An unknown
 * verb is said with the nearest one, and a certbot verb without an
 * equivalent with what to run instead, both exit 2. */
int verb_run(struct client *cl, int argc, char **argv);
