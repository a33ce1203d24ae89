/* acmectl verbs: each parses its own options and talks to the daemon. */
#pragma once

#include "ctl/client.h"

int verb_certonly(const struct client *cl, int argc, char **argv);
int verb_renew(const struct client *cl, int argc, char **argv);
int verb_delete(const struct client *cl, int argc, char **argv);
int verb_revoke(const struct client *cl, int argc, char **argv);
int verb_account(const struct client *cl, int argc, char **argv);
int verb_check(const struct client *cl, int argc, char **argv);
int verb_repair(const struct client *cl, int argc, char **argv);
int verb_reload(const struct client *cl, int argc, char **argv);
int verb_certificates(const struct client *cl, int argc, char **argv);
int verb_status(const struct client *cl, int argc, char **argv);
/* Verbs acmectl carries out itself (as root), telling the daemon after. */
int verb_import_certbot(const struct client *cl, int argc, char **argv);

/* "2027-02-21 10:00:00+00:00", as certbot prints dates. */
void format_time(long t, char *buf, size_t len);
