/* acmectl import-certbot: adopt certbot's lineages, accounts and renewal
 * settings. The work is done here, as root, not by the daemon: certbot's
 * directory is outside what acmed's service may read or write (the unit's
 * ProtectSystem=strict), and --keep-paths rewrites links inside it. The
 * daemon is told to reload afterwards. docs/migrating-from-certbot.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "ctl/import/import_lineage.h"
#include "jsonutil.h"
#include "store/store.h"
#include "util.h"
#include "ctl/verbs.h"

static void import_run_clear(struct import_run *run)
{
	if (run->lock_fd >= 0) {
		/* As certbot releases it: remove the file, then drop the lock. */
		unlink(run->lock_path);
		close(run->lock_fd);
	}
	free(run->lock_path);
	free(run->config_dir);
	if (run->store)
		store_close(run->store);
	json_object_put(run->lineages);
	json_object_put(run->accounts);
	json_object_put(run->notes);
	memset(run, 0, sizeof(*run));
	run->lock_fd = -1;
}

static int import_lock(struct import_run *run, char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat a, b;

	run->lock_path = fs_join(run->config_dir, ".certbot.lock");
	if (!run->lock_path)
		return -ENOMEM;
	/* certbot's own protocol (its lock.py): open or create the file, take a
	 * whole-file fcntl write lock without waiting, and make sure the file
	 * was not removed by its previous holder in between. */
	for (int tries = 0; tries < 10; tries++) {
		int fd = open(run->lock_path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", run->lock_path, strerror(errno));
			return -errno;
		}
		if (fcntl(fd, F_SETLK, &fl) < 0) {
			int e = errno;

			close(fd);
			if (e == EACCES || e == EAGAIN) {
				snprintf(err, errlen, "certbot is running (it holds %s): try again "
						      "when it has finished", run->lock_path);
				return -EBUSY;
			}
			snprintf(err, errlen, "locking %s: %s", run->lock_path, strerror(e));
			return -e;
		}
		if (fstat(fd, &a) == 0 && stat(run->lock_path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			run->lock_fd = fd;
			return 0;
		}
		close(fd);
	}
	snprintf(err, errlen, "%s keeps changing: is certbot starting and stopping?",
		 run->lock_path);
	return -EBUSY;
}

/* ---- the verb ---- */

/* certbot's renewal/ file names, sorted; only NAMES if given. */
static int list_lineages(struct import_run *run, char **names, size_t nnames, char ***out,
			 size_t *n, char *err, size_t errlen)
{
	char *dir = fs_join(run->config_dir, "renewal");
	struct dirent **ents = NULL;
	int count = dir ? scandir(dir, &ents, NULL, alphasort) : -1;

	*out = NULL;
	*n = 0;
	if (count < 0) {
		snprintf(err, errlen, "%s: %s", dir ? dir : run->config_dir, strerror(errno));
		free(dir);
		return -errno;
	}
	*out = calloc((size_t)count + nnames + 1, sizeof(**out));
	for (int i = 0; *out && i < count; i++) {
		size_t len = strlen(ents[i]->d_name);
		bool wanted = nnames == 0;

		if (ents[i]->d_name[0] == '.' || len <= 5 ||
		    !streq(ents[i]->d_name + len - 5, ".conf"))
			continue;
		ents[i]->d_name[len - 5] = '\0';
		for (size_t k = 0; k < nnames; k++)
			wanted |= streq(names[k], ents[i]->d_name);
		if (wanted)
			(*out)[(*n)++] = xstrdup(ents[i]->d_name);
	}
	for (int i = 0; i < count; i++)
		free(ents[i]);
	free(ents);
	free(dir);
	if (!*out)
		return -ENOMEM;
	/* A name asked for but not found is reported, not silently dropped. */
	for (size_t k = 0; k < nnames; k++) {
		bool found = false;

		for (size_t i = 0; i < *n; i++)
			found |= streq((*out)[i], names[k]);
		if (!found)
			(*out)[(*n)++] = xstrdup(names[k]);
	}
	return 0;
}

/* certbot's renewal-hooks directories hold scripts run for every lineage;
 * acmed has the same directories under its state directory. */
static void note_hook_dirs(struct import_run *run)
{
	static const char *const phases[] = { "pre", "deploy", "post" };

	for (size_t i = 0; i < ELEMENTSOF(phases); i++) {
		char *dir = NULL;
		struct dirent *e;
		DIR *d;

		if (asprintf(&dir, "%s/renewal-hooks/%s", run->config_dir, phases[i]) < 0)
			continue;
		d = opendir(dir);
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				import_note(run->notes, "%s/%s is not copied: acmed runs the scripts in "
						"%s/renewal-hooks/%s/ the same way; copy it there "
						"if it should run for acmed's renewals",
						dir, e->d_name, run->state_dir, phases[i]);
		if (d)
			closedir(d);
		free(dir);
	}
}

/* Where certbot would still renew from on its own. */
static void note_certbot_timer(struct import_run *run)
{
	static const char *const timers[] = { "/lib/systemd/system/certbot.timer",
					      "/etc/systemd/system/certbot.timer" };
	bool any = false;

	/* The packaged timer and cron job run certbot on its default directory. */
	if (!streq(run->config_dir, "/etc/letsencrypt")) {
		import_note(run->notes, "if certbot runs on %s from a timer or cron job, disable "
				     "it: acmed renews these lineages now", run->config_dir);
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(timers); i++)
		if (access(timers[i], F_OK) == 0 && !any) {
			any = true;
			json_object_array_add(run->notes, json_object_new_string(
				"certbot's timer would still renew these lineages: stop it with "
				"'systemctl disable --now certbot.timer'"));
		}
	if (access("/etc/cron.d/certbot", F_OK) == 0) {
		any = true;
		json_object_array_add(run->notes, json_object_new_string(
			"/etc/cron.d/certbot would still run certbot: remove it or comment out "
			"its line"));
	}
	if (!any)
		json_object_array_add(run->notes, json_object_new_string(
			"if certbot runs from a timer or cron job, disable it: acmed renews these "
			"lineages now"));
}

static void print_versions(struct json_object *versions)
{
	size_t n = json_object_array_length(versions);

	for (size_t i = 0; i < n; i++) {
		int v = json_object_get_int(json_object_array_get_idx(versions, i));
		size_t k = i;

		while (k + 1 < n &&
		       json_object_get_int(json_object_array_get_idx(versions, k + 1)) ==
			       v + (int)(k + 1 - i))
			k++;
		client_printf("%s%d", i ? "," : "", v);
		if (k > i)
			client_printf("-%d",
				      json_object_get_int(json_object_array_get_idx(versions, k)));
		i = k;
	}
}

static void print_lineage(struct json_object *l)
{
	struct json_object *notes = json_object_object_get(l, "notes");
	struct json_object *versions = json_object_object_get(l, "versions");
	const char *result = jobj_str(l, "result");

	client_printf("%s: %s", str_or_empty(jobj_str(l, "name")), str_or_empty(result));
	if (streq(result, "skipped"))
		client_printf(": %s", str_or_empty(jobj_str(l, "reason")));
	else if (versions) {
		client_printf(" (version%s ", json_object_array_length(versions) > 1 ? "s" : "");
		print_versions(versions);
		client_printf(", live %lld; %s)", jobj_int(l, "live_version", 0),
			      str_or_empty(jobj_str(l, "authenticator")));
	}
	client_printf("\n");
	for (size_t i = 0; i < json_object_array_length(notes); i++)
		client_printf("  note: %s\n",
			      json_object_get_string(json_object_array_get_idx(notes, i)));
}

/* Lineages skipped, or imported without the --keep-paths asked for. */
static int count_problems(const struct import_run *run)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(run->lineages); i++) {
		struct json_object *l = json_object_array_get_idx(run->lineages, i);

		if (streq(jobj_str(l, "result"), "skipped") ||
		    (run->keep_paths && !run->dry_run && !jobj_bool(l, "paths_kept")))
			n++;
	}
	return n;
}

static void print_paths(const struct import_run *run)
{
	size_t n = json_object_array_length(run->lineages);
	bool header = false;

	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(run->lineages, i);
		struct json_object *paths = json_object_object_get(l, "paths");

		for (size_t k = 0; paths && !jobj_bool(l, "paths_kept") &&
				   k < json_object_array_length(paths);
		     k++) {
			struct json_object *p = json_object_array_get_idx(paths, k);

			if (!header)
				client_printf(
					"\n%s (or run again with --keep-paths, which points certbot's "
					"links at acmed's files):\n",
					run->dry_run ? "Servers will need these paths"
						     : "Point your servers at acmed's files");
			header = true;
			client_printf("  %s -> %s\n", jobj_str(p, "certbot"), jobj_str(p, "acmed"));
		}
	}
}

static void print_report(const struct import_run *run)
{
	size_t n = json_object_array_length(run->lineages), counts[3] = { 0 };

	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(run->lineages, i);
		const char *result = jobj_str(l, "result");

		print_lineage(l);
		counts[streq(result, "skipped") ? 2 : streq(result, "already imported") ? 1 : 0]++;
	}
	for (size_t i = 0; i < json_object_array_length(run->accounts); i++) {
		struct json_object *a = json_object_array_get_idx(run->accounts, i);

		client_printf("account %s at %s: %s (acmed id %s)\n", jobj_str(a, "certbot_id"),
			      jobj_str(a, "server"), jobj_str(a, "result"),
			      jobj_str(a, "acmed_id"));
	}
	print_paths(run);
	client_printf("\n");
	for (size_t i = 0; i < json_object_array_length(run->notes); i++)
		client_printf("%s\n",
			      json_object_get_string(json_object_array_get_idx(run->notes, i)));
	client_printf("%s%zu %s, %zu already imported, %zu skipped.\n",
		      run->dry_run ? "Dry run, nothing changed: " : "", counts[0],
		      run->dry_run ? "to import" : "imported", counts[1], counts[2]);
}

/* The daemon's state directory, asked over the socket. */
static int daemon_state_dir(const struct client *cl, char **dir)
{
	struct json_object *reply = NULL, *data = NULL;
	int r = client_request(cl, "status", NULL, &reply, &data);

	if (r == EXIT_OK) {
		*dir = jobj_str(data, "state_dir") ? xstrdup(jobj_str(data, "state_dir")) : NULL;
		if (!*dir)
			r = EXIT_FAILED;
	}
	json_object_put(reply);
	return r;
}

/* Tell a running acmed about the new lineages. */
static void reload_daemon(const struct client *cl, struct import_run *run)
{
	struct client quiet = *cl;
	struct json_object *reply = NULL;

	quiet.quiet = true;
	quiet.json = true; /* no text from client_call: the note says it */
	if (access(cl->socket, F_OK) < 0 || client_call(&quiet, "reload", NULL, &reply) != EXIT_OK)
		import_note(run->notes, "acmed is not running at %s: it takes the imported lineages when it starts",
			cl->socket);
	else if (!client_reply_ok(reply))
		import_note(run->notes, "acmed did not reload: %s ('acmectl reload' tries again)",
			str_or_empty(jobj_str(json_object_object_get(reply, "error"), "message")));
	else
		json_object_array_add(run->notes, json_object_new_string(
			"acmed reloaded: it renews the imported lineages from now on"));
	json_object_put(reply);
}

static int open_state(struct import_run *run, char *err, size_t errlen)
{
	int r = store_open(run->state_dir, !run->dry_run, &run->store);

	if (r == -ENOENT && run->dry_run) {
		run->store = NULL; /* acmed has not run yet: everything would be new */
		return 0;
	}
	if (r < 0)
		snprintf(err, errlen, "state directory %s: %s", run->state_dir, acmed_strerror(r));
	return r;
}

static int usage(int code)
{
	client_fprintf(
		code ? stderr : stdout,
		"Usage: acmectl import-certbot [--config-dir DIR] [--cert-name NAME]... "
		"[--dry-run]\n"
		"                              [--keep-paths] [--state-dir DIR] [--json]\n\n"
		"Import certbot's lineages (every archive version), ACME accounts and renewal\n"
		"settings into acmed. Runs as root; certbot must not be running.\n\n"
		"  --config-dir DIR  certbot's directory (default /etc/letsencrypt)\n"
		"  --cert-name NAME  import only this lineage (repeatable)\n"
		"  --dry-run         report what would be done; change nothing\n"
		"  --keep-paths      point certbot's live/NAME/*.pem links at acmed's live files\n"
		"  --state-dir DIR   acmed's state directory (default: ask the running daemon)\n");
	return code;
}

enum { O_CONFIG = 256, O_NAME, O_DRY, O_KEEP, O_STATE };

const struct option import_certbot_options[] = {
	{ "config-dir", required_argument, NULL, O_CONFIG },
	{ "cert-name", required_argument, NULL, O_NAME },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "keep-paths", no_argument, NULL, O_KEEP },
	{ "state-dir", required_argument, NULL, O_STATE },
	{ "help", no_argument, NULL, 'h' },
	CLIENT_COMMON_OPTIONS,
	{ 0 },
};

int verb_import_certbot(struct client *cl, int argc, char **argv)
{
	struct import_run run = { .lock_fd = -1 };
	const char *config_dir = "/etc/letsencrypt";
	char *state_dir = NULL, **names = NULL, **todo = NULL, err[512];
	size_t nnames = 0, ntodo = 0;
	struct json_object *report = NULL;
	int c, ret = EXIT_USAGE, problems;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLIENT_COMMON_SHORT "h", import_certbot_options, NULL)) !=
	       -1) {
		if (client_common_opt(cl, c))
			continue;
		switch (c) {
		case O_CONFIG: config_dir = optarg; break;
		case O_NAME:
			names = reallocarray(names, nnames + 1, sizeof(*names));
			if (!names)
				goto out;
			names[nnames++] = optarg;
			break;
		case O_DRY: run.dry_run = true; break;
		case O_KEEP: run.keep_paths = true; break;
		case O_STATE:
			free(state_dir);
			state_dir = xstrdup(optarg);
			break;
		case 'h': ret = usage(EXIT_OK); goto out;
		default: client_fprintf(stderr, "Try 'acmectl import-certbot --help'.\n"); goto out;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl import-certbot: unexpected argument '%s'\n",
			       argv[optind]);
		goto out;
	}
	ret = EXIT_FAILED;
	if (geteuid() != 0 && !run.dry_run) {
		client_fprintf(stderr,
			       "acmectl import-certbot: run it as root: it reads certbot's keys "
			       "and writes acmed's state directory\n");
		goto out;
	}
	run.config_dir = realpath(config_dir, NULL);
	if (!run.config_dir) {
		client_fprintf(stderr, "acmectl import-certbot: %s: %s (see --config-dir)\n",
			       config_dir, strerror(errno));
		goto out;
	}
	if (!state_dir && (ret = daemon_state_dir(cl, &state_dir)) != EXIT_OK) {
		client_fprintf(stderr,
			       "acmectl import-certbot: start acmed, or name its state directory "
			       "with --state-dir\n");
		goto out;
	}
	ret = EXIT_FAILED;
	run.state_dir = state_dir;
	run.lineages = json_object_new_array();
	run.accounts = json_object_new_array();
	run.notes = json_object_new_array();
	if (import_lock(&run, err, sizeof(err)) < 0 || open_state(&run, err, sizeof(err)) < 0 ||
	    list_lineages(&run, names, nnames, &todo, &ntodo, err, sizeof(err)) < 0) {
		client_fprintf(stderr, "acmectl import-certbot: %s\n", err);
		goto out;
	}
	if (!cl->json && !cl->quiet)
		client_fprintf(stderr, "Importing %zu certbot lineage(s) from %s into %s%s\n",
			       ntodo, run.config_dir, run.state_dir,
			       run.dry_run ? " (dry run)" : "");
	for (size_t i = 0; i < ntodo; i++)
		import_lineage(&run, todo[i]);
	note_hook_dirs(&run);
	if (!run.dry_run && json_object_array_length(run.accounts) + ntodo > 0)
		reload_daemon(cl, &run);
	note_certbot_timer(&run);
	report = json_object_new_object();
	json_object_object_add(report, "config_dir", json_object_new_string(run.config_dir));
	json_object_object_add(report, "state_dir", json_object_new_string(run.state_dir));
	json_object_object_add(report, "dry_run", json_object_new_boolean(run.dry_run));
	json_object_object_add(report, "lineages", json_object_get(run.lineages));
	json_object_object_add(report, "accounts", json_object_get(run.accounts));
	json_object_object_add(report, "notes", json_object_get(run.notes));
	problems = count_problems(&run);
	if (cl->json)
		client_print_json(report);
	else
		print_report(&run);
	ret = problems ? EXIT_FAILED : EXIT_OK;
out:
	json_object_put(report);
	strv_free(todo, ntodo);
	free(names);
	free(state_dir);
	import_run_clear(&run);
	return ret;
}
