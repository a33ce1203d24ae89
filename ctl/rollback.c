/* acmectl rollback --nginx: certbot's rollback, for the one kind of edit
 * acmectl makes to a web server's files (certonly --nginx's challenge
 * include). acmectl does it itself, as root; the daemon only names its
 * state directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/nginx/ngx_challenge.h"
#include "ctl/nginx/ngx_rollback.h"
#include "ctl/verbs.h"

enum { O_NGINX = 256, O_ROOT, O_CTL, O_CHECKPOINTS, O_DRY_RUN };

const struct option rollback_options[] = {
	{ "nginx", no_argument, NULL, O_NGINX },
	{ "nginx-server-root", required_argument, NULL, O_ROOT },
	{ "nginx-ctl", required_argument, NULL, O_CTL },
	{ "checkpoints", required_argument, NULL, O_CHECKPOINTS },
	{ "dry-run", no_argument, NULL, O_DRY_RUN },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

static void usage(FILE *f)
{
	client_fprintf(f, "Usage: acmectl rollback [--nginx] [--checkpoints N] [--dry-run]\n"
			  "       [--nginx-server-root DIR] [--nginx-ctl PATH]\n\n"
			  "Put back nginx's files as they were before acmectl's last edit (the "
			  "challenge\ninclude of certonly --nginx), or the last N edits, checked "
			  "by nginx -t, and\nreload nginx. A file changed since acmectl edited it "
			  "is not touched.\n--dry-run prints the diff and writes nothing.\n");
}

static int parse(struct client *cl, int argc, char **argv, struct ngx_rollback_opts *o,
		 const char **root)
{
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", rollback_options, NULL)) !=
	       -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_NGINX: break; /* nginx is the only one */
		case O_ROOT: *root = optarg; break;
		case O_CTL: o->nginx_ctl = optarg; break;
		case O_DRY_RUN: o->dry_run = true; break;
		case O_CHECKPOINTS:
			o->checkpoints = (int)strtol(optarg, &end, 10);
			if (*optarg && !*end && o->checkpoints >= 1 && o->checkpoints <= 1000)
				break;
			client_fprintf(stderr, "acmectl: --checkpoints %s: must be a number between "
					       "1 and 1000\n", optarg);
			return EXIT_USAGE;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: client_fprintf(stderr, "Try 'acmectl rollback --help'.\n"); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl rollback: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* After the files are back: nginx reloaded, and what it means. */
static void reload(const struct ngx_rollback_opts *o)
{
	char *out = malloc(8192);

	if (out && ngx_run(o->nginx_ctl, o->conf_path, "-s", "reload", out, 8192) != 0)
		client_fprintf(stderr, "acmectl: warning: nginx -s reload failed (is nginx "
				       "running?):\n%s", out);
	free(out);
	client_printf("Certificates with the nginx authenticator cannot renew until "
		      "acmectl certonly --nginx\nadds the challenge include again.\n");
}

int verb_rollback(struct client *cl, int argc, char **argv)
{
	struct ngx_rollback_opts o = { .nginx_ctl = "nginx", .checkpoints = 1 };
	struct json_object *reply = NULL, *data = NULL;
	const char *root = "/etc/nginx";
	char *backups = NULL, *conf = NULL, *text = NULL, err[8448];
	size_t len = 0;
	FILE *out = NULL;
	int ret = parse(cl, argc, argv, &o, &root);

	if (ret == EXIT_OK)
		ret = client_request(cl, "status", NULL, &reply, &data);
	if (ret != EXIT_OK)
		goto done;
	backups = fs_join(str_or_empty(jobj_str(data, "state_dir")), "nginx/backups");
	ngx_run_state_dir(jobj_str(data, "state_dir"));
	conf = fs_join(root, "nginx.conf");
	out = open_memstream(&text, &len);
	if (!backups || !conf || !out) {
		ret = EXIT_FAILED;
		goto done;
	}
	o.backup_dir = backups;
	o.conf_path = conf;
	ret = ngx_rollback(&o, out, err, sizeof(err)) == 0 ? EXIT_OK : EXIT_FAILED;
	fclose(out);
	out = NULL;
	if (text && o.dry_run)
		client_fprintf(stdout, "%s", text);
	else if (text)
		client_printf("%s", text);
	if (ret != EXIT_OK)
		client_fprintf(stderr, "acmectl: error: %s\n", err);
	else if (!o.dry_run)
		reload(&o);
done:
	if (out)
		fclose(out);
	free(text);
	free(backups);
	free(conf);
	json_object_put(reply);
	return ret;
}
