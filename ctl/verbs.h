/* acmectl verbs: each parses its own options and talks to the daemon.
 * Each takes the options every verb takes (client.h) and may change CL
 * accordingly. */
#pragma once

#include <getopt.h>

#include "ctl/client.h"

int verb_certonly(struct client *cl, int argc, char **argv);
int verb_renew(struct client *cl, int argc, char **argv);
int verb_reconfigure(struct client *cl, int argc, char **argv);
int verb_delete(struct client *cl, int argc, char **argv);
int verb_revoke(struct client *cl, int argc, char **argv);
int verb_account(struct client *cl, int argc, char **argv);
int verb_check(struct client *cl, int argc, char **argv);
int verb_repair(struct client *cl, int argc, char **argv);
int verb_reload(struct client *cl, int argc, char **argv);
int verb_certificates(struct client *cl, int argc, char **argv);
int verb_status(struct client *cl, int argc, char **argv);
int verb_metrics(struct client *cl, int argc, char **argv);
int verb_plugins(struct client *cl, int argc, char **argv);
/* Verbs acmectl carries out itself (as root), telling the daemon after. */
int verb_import_certbot(struct client *cl, int argc, char **argv);
int verb_rollback(struct client *cl, int argc, char **argv);

/* Their getopt tables (certonly's is common/issue_opts.c), for the shell
 * completion; check's serves repair too. */
extern const struct option renew_options[], revoke_options[], delete_options[],
	account_options[], check_options[], certificates_options[], status_options[],
	reload_options[], import_certbot_options[], plugins_options[], rollback_options[];
/* account's subcommands, NULL-terminated. */
extern const char *const account_ops[];

/* certonly's options (common/issue_opts.c) in ARGV as the members of the
 * request ARGS, for VERB ("reconfigure" shares them): "domains" only if -d
 * was given, and none of the options acmectl keeps (--csr's outputs);
 * *NON_INTERACTIVE whether -n was given. EXIT_OK, or the exit status (the
 * error said); --help exits. */
int certonly_read_options(struct client *cl, const char *verb, int argc, char **argv,
			  struct json_object *args, bool *non_interactive);

/* "2027-02-21 10:00:00+00:00", as certbot prints dates. */
void format_time(long t, char *buf, size_t len);
