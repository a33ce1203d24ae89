/* The one-time edit for http-01 through nginx (docs/nginx.md): each server
 * block nginx picks for the names on the challenge port gets, once, an
 * `include` of a snippet acmed owns, which serves /.well-known/acme-challenge/
 * from a directory acmed owns. The edit is checked with `nginx -t`; if that
 * fails every file is put back byte for byte. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ctl/nginx/ngx_conf.h"

struct ngx_challenge_opts {
	const char *conf_path;  /* nginx.conf (--nginx-server-root's) */
	const char *nginx_ctl;  /* the nginx binary: `CTL -t -c CONF_PATH` */
	const char *snippet;    /* absolute path of acmed's snippet file */
	const char *webroot;    /* the root it serves challenges from */
	const char *backup_dir; /* where edit sets are kept for a rollback */
	unsigned port;          /* the port the CA validates on (80) */
	bool dry_run;           /* print the diff, write nothing */
};

/* The snippet's text for WEBROOT (caller frees), or NULL. */
char *ngx_challenge_snippet(const char *webroot);

/* Add to E the edits that make the blocks NAMES[0..N) reach on O->port
 * include O->snippet (none for a block that already does). A name no
 * server_name matches, or a block that has its own location for the path,
 * is an error (ACMED_ECONFIG, ERR saying which). 0 or -errno. INFO gets
 * one line per block: which names reach it and how. */
int ngx_challenge_plan(const struct ngx_conf *c, const struct ngx_challenge_opts *o,
		       char *const *names, size_t n, struct ngx_edits *e, FILE *info, char *err,
		       size_t errlen);

/* Carry out E on C's files: the snippet and web root are created, a backup
 * set written (originals and their SHA-256), the files written in place
 * (symlinks followed, mode and owner kept), and `nginx -t` run; if it
 * fails, every file gets its old bytes back and ERR holds nginx's message
 * (ACMED_ECONFIG). A file changed on disk since C was read is not touched
 * (-EAGAIN). With O->dry_run, the unified diff goes to OUT and nothing is
 * written. 0 or -errno. */
int ngx_challenge_apply(const struct ngx_conf *c, const struct ngx_challenge_opts *o,
			const struct ngx_edits *e, FILE *out, char *err, size_t errlen);

/* Write O->snippet's TEXT (if it differs) and make O->webroot's challenge
 * directory. 0 or -errno, ERR saying what failed. */
int ngx_write_snippet(const struct ngx_challenge_opts *o, const char *text, char *err,
		      size_t errlen);

/* A new edit set's directory under BACKUP_DIR (made 0700 if need be),
 * named by the UTC time in NAME: its fd, *PARENT the backup directory's
 * (caller closes both), or -errno. */
int ngx_backup_set_dir(const char *backup_dir, char *name, size_t namelen, int *parent);

/* DATA's SHA-256 in lower-case hex ("" if OpenSSL fails). */
void ngx_sha256_hex(const void *data, size_t len, char out[65]);

/* Durably write LEN bytes of DATA as PATH (a file, not a symlink), with
 * ST's mode, group and owner. 0 or -errno. */
struct stat;
int ngx_write_as(const char *path, const struct stat *st, const char *data, size_t len);

/* Run `CTL -c CONF ARG1 [ARG2]` (`-t`; `-s reload`), its output (stdout
 * and stderr, cut at OUTLEN - 1 bytes) in OUT: 0 if it exits 0, else
 * ACMED_ECONFIG; -errno if it cannot be started. A CTL without '/' is
 * looked up in PATH, then in /usr/sbin. Once ngx_run_state_dir() has
 * named acmed's state directory, it runs holding live/'s lock shared
 * (store_live_lock()): nginx reads every certificate and key it serves,
 * and must not pair one lineage's new certificate with its old key while
 * the daemon switches it. */
int ngx_run(const char *ctl, const char *conf, const char *arg1, const char *arg2, char *out,
	    size_t outlen);
void ngx_run_state_dir(const char *dir);
