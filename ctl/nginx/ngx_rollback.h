/* Rolling back acmectl's edits of nginx's files from the backup sets
 * ngx_challenge_apply() keeps (docs/nginx.md). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct ngx_rollback_opts {
	const char *backup_dir; /* STATE/nginx/backups */
	const char *conf_path;  /* nginx.conf, for nginx -t */
	const char *nginx_ctl;
	int checkpoints;        /* how many sets, newest first (certbot's --checkpoints) */
	bool dry_run;           /* print the diff, write nothing */
};

/* Give the files of the newest O->checkpoints edit sets their original
 * bytes back: every file must still hold what acmectl wrote (else
 * -EAGAIN, nothing written) and every backup its checksum (else -EIO);
 * then `nginx -t`, and if nginx refuses, the edited bytes go back
 * (ACMED_ECONFIG, ERR quoting nginx). Sets undone are kept, renamed
 * NAME.rolled-back. No set: -ENOENT. A summary, or with O->dry_run the
 * unified diff, goes to OUT. 0 or -errno. */
int ngx_rollback(const struct ngx_rollback_opts *o, FILE *out, char *err, size_t errlen);
