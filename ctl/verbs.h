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
/* acmectl cluster init|status (cluster.c). */
int verb_cluster(struct client *cl, int argc, char **argv);
/* acmectl store migrate --to etcd (store_migrate.c). */
int verb_store(struct client *cl, int argc, char **argv);
int verb_cancel(struct client *cl, int argc, char **argv);
/* Cancel job ID (cancel.c): its exit code. FROM_WAIT (Ctrl-C while
 * waiting for it): print only why it could not be, and nothing for a job
 * that has ended already. */
int cancel_job(const struct client *cl, int id, bool from_wait);
int verb_continue(struct client *cl, int argc, char **argv);
/* Tell job ID, which waits for the user, to go on: its exit code (an
 * error said). */
int continue_job(const struct client *cl, int id);
/* certbot's picker, for a verb given no --cert-name on a terminal: "Which
 * certificate(s) would you like to VERB?" as a checklist (MULTIPLE) or a
 * menu of the daemon's lineages; the names chosen are added to NAMES.
 * EXIT_OK, or the exit code (said): no lineage ("No existing certificates
 * found."), the user cancelled ("User ended interaction."), the daemon
 * unreachable. (pick.c) */
int pick_certificates(const struct client *cl, const char *verb, bool multiple,
		      struct json_object *names);
/* A failed REPLY to a request with ARGS: when the job could not register an
 * account for want of an e-mail address or of the CA's terms agreed to
 * (its "register" member) and acmectl may ask, certbot's questions
 * ("Enter email address...", "Please read the Terms of Service at URL...")
 * and the answers added to ARGS: EXIT_OK and *AGAIN (send it again).
 * Otherwise the error is printed and its exit code returned; so is a
 * refusal to answer (exit 1). (register.c) */
int prompt_registration(const struct client *cl, struct json_object *reply,
			struct json_object *args, bool *again);
/* Verbs acmectl carries out itself (as root), telling the daemon after. */
int verb_import_certbot(struct client *cl, int argc, char **argv);
int verb_rollback(struct client *cl, int argc, char **argv);
/* certbot's run (--nginx: obtain and install) and install (certonly.c). */
int verb_run_nginx(struct client *cl, int argc, char **argv);
int verb_install(struct client *cl, int argc, char **argv);

/* Their getopt tables (certonly's is common/issue_opts.c), for the shell
 * completion; check's serves repair too. */
extern const struct option renew_options[], revoke_options[], delete_options[],
	account_options[], check_options[], certificates_options[], status_options[],
	reload_options[], import_certbot_options[], plugins_options[], rollback_options[],
	cluster_options[], store_options[],
	cancel_options[];
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
