/* acmectl certonly: certbot's flags turned into a request for the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "issue_opts.h"
#include "jws.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/certonly_nginx.h"
#include "ctl/verbs.h"
#include "ctl/webroots.h"

struct certonly {
	struct client *cl;
	const char *verb;           /* "certonly", or "reconfigure" (which shares its options) */
	bool domains_given;         /* -d (not only --webroot-map's names) */
	struct json_object *args;
	struct webroots wr;         /* -d, -w, --webroot-map */
	const char *local[IO__MAX]; /* the options acmectl keeps: --csr, --cert-path... */
	bool noop[IO__MAX];         /* certbot's options given that do nothing here */
};

/* The options install's help lists (it parses certonly's). */
static const bool install_opt[IO__MAX] = {
	[IO_CERT_NAME] = true,	     [IO_NGINX] = true,	   [IO_NGINX_SERVER_ROOT] = true,
	[IO_NGINX_CTL] = true,	     [IO_HTTP01_PORT] = true, [IO_HTTPS_PORT] = true,
	[IO_REDIRECT] = true,	     [IO_HSTS] = true,	   [IO_UIR] = true,
	[IO_DRY_RUN] = true,	     [IO_QUIET] = true,	   [IO_VERBOSE] = true,
};

static void usage(FILE *f, const char *verb)
{
	if (streq(verb, "reconfigure"))
		fputs("Usage: acmectl reconfigure --cert-name NAME [OPTIONS]\n\n"
		      "Change the settings lineage NAME is renewed with (certbot's reconfigure).\n"
		      "They are tried by a dry run first and saved only if it succeeds. The names\n"
		      "cannot change: -d, --csr, --force-renewal, --expand, --duplicate and\n"
		      "--new-key mean nothing here. The options are certonly's:\n\n",
		      f);
	else if (streq(verb, "run"))
		fputs("Usage: acmectl run --nginx -d DOMAIN [-d DOMAIN...] [--redirect] [--hsts] "
		      "[--uir]\n       [OPTIONS]\n\n"
		      "Obtain a certificate through nginx (certonly --nginx) and install it into the\n"
		      "server blocks for its names (certbot's run; docs/nginx.md). A deploy hook\n"
		      "that reloads nginx is saved for renewals. The options are certonly's:\n\n",
		      f);
	else if (streq(verb, "install"))
		fputs("Usage: acmectl install --nginx --cert-name NAME [--redirect] [--hsts] [--uir]\n"
		      "       [--nginx-server-root DIR] [--nginx-ctl PATH] [--https-port P] "
		      "[--dry-run]\n\n"
		      "Install lineage NAME's certificate into the nginx server blocks for its names\n"
		      "and save a deploy hook that reloads nginx (certbot's install).\n\n",
		      f);
	else
		fputs("Usage: acmectl certonly -d DOMAIN [-d DOMAIN...] (--webroot -w DIR | "
		      "--standalone |\n"
		      "       --nginx | --manual --manual-auth-hook CMD |\n"
		      "       --dns-rfc2136 --dns-rfc2136-credentials FILE) [OPTIONS]\n\n",
		      f);
	for (int i = 0; i < IO__MAX; i++) {
		const struct issue_opt_info *o = &issue_opts[i];
		char left[80];
		int n;

		if (!o->help || (streq(verb, "install") && !install_opt[i]))
			continue;
		n = snprintf(left, sizeof(left), "%c%c%c --%s%s%s", o->short_flag ? '-' : ' ',
			     o->short_flag ? o->short_flag : ' ', o->short_flag ? ',' : ' ',
			     o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, n > 26 ? "  %s\n%29s" : "  %-26s ", left, "");
		for (const char *h = o->help; *h;) {
			size_t len = strcspn(h, "\n");

			fprintf(f, "%.*s\n", (int)len, h);
			h += len;
			if (*h)
				fprintf(f, "%29s", ""), h++;
		}
	}
}

static int set_authenticator(struct certonly *co, const char *name)
{
	struct json_object *cur;

	if (json_object_object_get_ex(co->args, issue_opts[IO_AUTHENTICATOR].key, &cur) &&
	    !streq(json_object_get_string(cur), name)) {
		client_fprintf(stderr,
			       "acmectl: choose one authenticator: --%s and --%s were both given\n",
			       json_object_get_string(cur), name);
		return -EINVAL;
	}
	json_object_object_add(co->args, issue_opts[IO_AUTHENTICATOR].key,
			       json_object_new_string(name));
	return 0;
}

static int read_csr(struct certonly *co, const char *path)
{
	char *data = NULL, *b64;
	size_t len = 0;
	int r = client_read_file("--csr", path, &data, &len);

	if (r < 0)
		return r;
	b64 = b64url_encode(data, len);
	free(data);
	if (!b64)
		return -ENOMEM;
	json_object_object_add(co->args, issue_opts[IO_CSR].key, json_object_new_string(b64));
	free(b64);
	return 0;
}

static int parse_int(const char *opt, const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max) {
		client_fprintf(stderr, "acmectl: %s %s: must be a number between %ld and %ld\n",
			       opt, s, min, max);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* getopt_long's table from issue_opts[]: an option without a short letter
 * returns 256 + its index; the short letters are in SHORT. */
static void getopt_table(struct option *longopts, char *shortopts)
{
	size_t n = 0;

	for (int i = 0; i < IO__MAX; i++) {
		const struct issue_opt_info *o = &issue_opts[i];
		int has = issue_opt_has_arg(o) ? required_argument : no_argument;
		int val = o->short_flag ? o->short_flag : 256 + i;

		if (!o->flag)
			continue;
		longopts[n++] = (struct option){ o->flag, has, NULL, val };
		if (o->alias)
			longopts[n++] = (struct option){ o->alias, has, NULL, val };
		if (o->short_flag) {
			*shortopts++ = o->short_flag;
			if (has == required_argument)
				*shortopts++ = ':';
		}
	}
	longopts[n] = (struct option){ 0 };
	*shortopts = '\0';
}

/* The option getopt_long returned as C, or -1. */
static int option_index(int c)
{
	if (c >= 256 && c < 256 + IO__MAX)
		return c - 256;
	for (int i = 0; i < IO__MAX; i++)
		if (issue_opts[i].short_flag && issue_opts[i].short_flag == c)
			return i;
	return -1;
}

/* An option of a type the request takes as it is, with ARG. */
static int set_option(struct certonly *co, enum issue_opt i, const char *arg)
{
	const struct issue_opt_info *o = &issue_opts[i];
	struct json_object *a = co->args;
	char name[64], err[512], *path = NULL, *all = NULL;
	const char *was;
	int n, r;

	issue_opt_name(i, name, sizeof(name));
	switch (o->type) {
	case IOT_FLAG: json_object_object_add(a, o->key, json_object_new_boolean(1)); break;
	case IOT_EMAIL:
		if (client_check_email(name, arg) < 0)
			return -EINVAL;
		/* fall through */
	case IOT_STRING:
	case IOT_HEADER:
	case IOT_COMMAND: json_object_object_add(a, o->key, json_object_new_string(arg)); break;
	case IOT_INT:
		if (parse_int(name, arg, o->min, o->max, &n) < 0)
			return -EINVAL;
		json_object_object_add(a, o->key, json_object_new_int(n));
		break;
	case IOT_PATH:
		/* The daemon has another working directory. */
		if (webroots_absolute(arg, &path) < 0) {
			client_fprintf(stderr, "acmectl: %s: cannot tell the current directory\n",
				       arg);
			return -EINVAL;
		}
		json_object_object_add(a, o->key, json_object_new_string(path));
		free(path);
		break;
	case IOT_LIST:
		/* certbot takes it more than once: the lists add up. */
		was = jobj_str(a, o->key);
		if (asprintf(&all, "%s%s%s", was ? was : "", was ? "," : "", arg) < 0)
			return -ENOMEM;
		json_object_object_add(a, o->key, json_object_new_string(all));
		free(all);
		break;
	case IOT_AUTHN: return set_authenticator(co, o->value ? o->value : arg);
	case IOT_DOMAINS: co->domains_given = true; return webroots_add_domains(&co->wr, arg);
	case IOT_FILE:
	case IOT_LOCAL: co->local[i] = arg ? arg : ""; break; /* "": a flag given */
	case IOT_COUNT: break; /* -v: client.h sends it */
	case IOT_NOOP: co->noop[i] = true; break;
	case IOT_WEBROOTS:
		r = webroots_add_map(&co->wr, arg, err, sizeof(err));
		if (r < 0)
			client_fprintf(stderr, "acmectl: %s: %s\n", name, err);
		return r;
	}
	return 0;
}

static int parse(struct certonly *co, int argc, char **argv)
{
	struct option longopts[2 * IO__MAX + 1];
	char shortopts[3 * IO__MAX + 1], err[512];
	struct json_object *a = co->args, *pairs;
	int c, i;

	getopt_table(longopts, shortopts);
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		i = option_index(c);
		if (i < 0) {
			client_fprintf(stderr, "Try 'acmectl %s --help'.\n", co->verb);
			return -EINVAL;
		}
		if (i == IO_HELP) {
			usage(stdout, co->verb);
			exit(0);
		}
		if (client_common_opt(co->cl, i == IO_QUIET ? 'q' : i == IO_VERBOSE ? 'v'
							  : i == IO_JSON ? CLIENT_OPT_JSON : 0))
			continue;
		if (i == IO_WEBROOT_PATH) {
			/* -w applies to the -d options that follow it. */
			if (webroots_add_path(&co->wr, optarg, err, sizeof(err)) < 0) {
				client_fprintf(stderr, "acmectl: -w %s: %s\n", optarg, err);
				return -EINVAL;
			}
			continue;
		}
		if (set_option(co, (enum issue_opt)i, optarg) < 0)
			return -EINVAL;
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl %s: unexpected argument '%s'\n", co->verb,
			       argv[optind]);
		return -EINVAL;
	}
	/* A web root given (-w, --webroot-map) picks the webroot authenticator. */
	pairs = webroots_pairs(&co->wr);
	if ((pairs || co->wr.npaths) &&
	    !json_object_object_get_ex(a, issue_opts[IO_AUTHENTICATOR].key, NULL))
		set_authenticator(co, "webroot");
	if (webroots_last(&co->wr))
		json_object_object_add(a, issue_opts[IO_WEBROOT_PATH].key,
				       json_object_new_string(webroots_last(&co->wr)));
	if (pairs)
		json_object_object_add(a, issue_opts[IO_WEBROOT_MAP].key, pairs);
	json_object_object_add(a, issue_opts[IO_DOMAINS].key, json_object_get(co->wr.domains));
	for (i = 0; i < IO__MAX; i++)
		if (co->noop[i])
			client_note(co->cl, "--%s does nothing: %s", issue_opts[i].flag,
				    issue_opts[i].value);
	if (co->local[IO_CSR] && read_csr(co, co->local[IO_CSR]) < 0)
		return -EINVAL;
	if (co->local[IO_NON_INTERACTIVE])
		co->cl->non_interactive = true;
	/* --manual without hooks: on a terminal the job shows each response
	 * and waits for Enter (manual.c), as certbot's manual plugin does. */
	if (streq(jobj_str(a, issue_opts[IO_AUTHENTICATOR].key), "manual") &&
	    !json_object_object_get_ex(a, issue_opts[IO_MANUAL_AUTH_HOOK].key, NULL) &&
	    !json_object_object_get_ex(a, issue_opts[IO_MANUAL_CLEANUP_HOOK].key, NULL) &&
	    prompt_can_ask(co->cl, false))
		json_object_object_add(a, issue_opts[IO_MANUAL_PROMPT].key, json_object_new_boolean(1));
	return 0;
}

/* certbot's default for --csr output: ./0000_cert.pem, then 0001_... */
static int save_csr_output(const char *given, const char *kind, const char *pem, char *path,
			   size_t len)
{
	int r;

	if (given) {
		snprintf(path, len, "%s", given);
		return fs_write_path(path, pem, strlen(pem), 0644, FS_NOREPLACE);
	}
	for (int i = 0; i < 10000; i++) {
		snprintf(path, len, "%04d_%s.pem", i, kind);
		r = fs_write_path(path, pem, strlen(pem), 0644, FS_NOREPLACE);
		if (r != -EEXIST)
			return r;
	}
	return -EEXIST;
}

static int print_csr_result(const struct client *cl, const struct certonly *co,
			    struct json_object *data)
{
	static const char *const kinds[] = { "cert", "chain", "fullchain" };
	const char *given[] = { co->local[IO_CERT_PATH], co->local[IO_CHAIN_PATH],
				co->local[IO_FULLCHAIN_PATH] };
	char paths[3][4096], date[64];

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		int r = save_csr_output(given[i], kinds[i], str_or_empty(jobj_str(data, kinds[i])), paths[i],
					sizeof(paths[i]));

		if (r < 0) {
			client_fprintf(stderr, "acmectl: error: cannot write %s: %s\n", paths[i],
				       strerror(-r));
			return EXIT_FAILED;
		}
	}
	if (cl->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cert_path", json_object_new_string(paths[0]));
		json_object_object_add(o, "chain_path", json_object_new_string(paths[1]));
		json_object_object_add(o, "fullchain_path", json_object_new_string(paths[2]));
		json_object_object_add(o, "not_after",
				       json_object_get(json_object_object_get(data, "not_after")));
		client_print_json(o);
		json_object_put(o);
		return EXIT_OK;
	}
	format_time(jobj_time(data, "not_after"), date, sizeof(date));
	client_printf("Successfully received certificate.\n"
		      "Certificate is saved at:            %s\n"
		      "Intermediate CA chain is saved at:  %s\n"
		      "Full certificate chain is saved at: %s\n"
		      "This certificate expires on %.10s.\n",
		      paths[0], paths[1], paths[2], date);
	return EXIT_OK;
}

/* The daemon asks before it expands a lineage or changes its key type, the
 * job before it registers an account without an address or the terms
 * agreed to: put the question to the user and send the request again with
 * what the answer sets. EXIT_OK and *AGAIN, or the exit code (the error
 * printed). */
static int confirm(const struct client *cl, const struct certonly *co,
		   struct json_object *reply, bool *again)
{
	struct json_object *q, *set;

	*again = false;
	if (json_object_object_get_ex(reply, "register", NULL))
		return prompt_registration(cl, reply, co->args, again);
	if (jobj_int(reply, "status", 0) != ACMED_ECONFIRM ||
	    !json_object_object_get_ex(reply, "confirm", &q) ||
	    !prompt_can_ask(cl, co->local[IO_NON_INTERACTIVE]))
		return client_report_error(cl, reply);
	if (!prompt_yesno(str_or_empty(jobj_str(q, "question")), str_or_empty(jobj_str(q, "yes")),
			  str_or_empty(jobj_str(q, "no")))) {
		client_fprintf(stderr, "acmectl: error: User chose to cancel the operation and "
				       "may reinvoke the client.\n");
		return EXIT_FAILED;
	}
	if (json_object_object_get_ex(q, "set", &set)) {
		json_object_object_foreach(set, k, v)
			json_object_object_add(co->args, k, json_object_get(v));
	}
	*again = true;
	return EXIT_OK;
}

/* Not due: certbot's words, or on a terminal certbot's menu. */
static int kept(const struct client *cl, const struct certonly *co, struct json_object *data,
		bool *again)
{
	static const char *const choices[] = {
		"Keep the existing certificate for now",
		"Renew & replace the certificate (may be subject to CA rate limits)",
	};
	char question[1024];
	int choice = 0;

	*again = false;
	if (!co->local[IO_KEEP] && prompt_can_ask(cl, co->local[IO_NON_INTERACTIVE])) {
		snprintf(question, sizeof(question),
			 "You have an existing certificate that has exactly the same domains or "
			 "certificate name you requested and isn't close to expiry.\n(ref: %s)\n\n"
			 "What would you like to do?",
			 str_or_empty(jobj_str(data, "renewal_file")));
		choice = prompt_menu(question, choices, 2, 0);
		if (choice < 0) {
			client_fprintf(stderr, "acmectl: error: Operation canceled. You may re-run "
					       "the client.\n");
			return EXIT_FAILED;
		}
	}
	if (choice == 1) {
		json_object_object_add(co->args, issue_opts[IO_FORCE_RENEWAL].key,
				       json_object_new_boolean(1));
		*again = true;
		return EXIT_OK;
	}
	if (cl->json)
		client_print_json(data);
	else
		client_printf("Certificate not yet due for renewal; no action taken.\n");
	return EXIT_OK;
}

/* The request, and again for each question the user answers yes. */
static int ask_daemon(const struct client *cl, const struct certonly *co,
		      struct json_object **reply, struct json_object **data)
{
	bool again = true;
	int ret = EXIT_OK;

	for (int round = 0; again && round < 4; round++) {
		json_object_put(*reply);
		*reply = *data = NULL;
		ret = client_call(cl, "certonly", co->args, reply);
		if (ret != EXIT_OK)
			return ret;
		if (!client_reply_ok(*reply)) {
			ret = confirm(cl, co, *reply, &again);
			continue;
		}
		json_object_object_get_ex(*reply, "data", data);
		again = false;
		if (jobj_bool(*data, "kept"))
			ret = kept(cl, co, *data, &again);
	}
	if (ret == EXIT_OK && !*data)
		ret = EXIT_FAILED;
	return ret;
}

int certonly_read_options(struct client *cl, const char *verb, int argc, char **argv,
			  struct json_object *args, bool *non_interactive)
{
	struct certonly co = { .cl = cl, .verb = verb, .args = args };
	int ret = EXIT_OK;

	if (webroots_init(&co.wr) < 0) {
		client_fprintf(stderr, "acmectl: out of memory\n");
		return EXIT_FAILED;
	}
	if (parse(&co, argc, argv) < 0)
		ret = EXIT_USAGE;
	for (int i = 0; ret == EXIT_OK && i < IO__MAX; i++) {
		/* What acmectl keeps for itself: only certonly's --csr outputs. */
		if (co.local[i] && i != IO_QUIET && i != IO_NON_INTERACTIVE && i != IO_JSON) {
			client_fprintf(stderr, "acmectl: --%s has no meaning for %s\n",
				       issue_opts[i].flag, verb);
			ret = EXIT_USAGE;
		}
	}
	if (!co.domains_given)
		json_object_object_del(args, issue_opts[IO_DOMAINS].key);
	*non_interactive = co.local[IO_NON_INTERACTIVE] != NULL;
	webroots_clear(&co.wr);
	return ret;
}

/* --nginx's settings from the command line. */
static struct certonly_nginx nginx_opts(const struct certonly *co, int https_port)
{
	return (struct certonly_nginx){ .server_root = co->local[IO_NGINX_SERVER_ROOT],
					.ctl = co->local[IO_NGINX_CTL],
					.dry_run = issue_opt_flag(co->args, IO_DRY_RUN),
					.create = co->local[IO_NGINX_CREATE] != NULL,
					.https_port = (unsigned)https_port,
					.redirect = co->local[IO_REDIRECT] != NULL,
					.hsts = co->local[IO_HSTS] != NULL,
					.uir = co->local[IO_UIR] != NULL };
}

/* The options that install (run's, install's): refused by certonly, which
 * installs nothing, as certbot's. *PORT: --https-port's, 0 if not given. */
static int installer_options(const struct certonly *co, bool installs, int *port)
{
	static const enum issue_opt opts[] = { IO_HTTPS_PORT, IO_REDIRECT, IO_HSTS, IO_UIR };

	*port = 0;
	for (size_t i = 0; i < ELEMENTSOF(opts); i++)
		if (co->local[opts[i]] && !installs) {
			client_fprintf(stderr, "acmectl: --%s is for installing the certificate, which "
					       "%s does not do: use acmectl run --nginx\n",
				       issue_opts[opts[i]].flag, co->verb);
			return -EINVAL;
		}
	if (co->local[IO_HTTPS_PORT])
		return parse_int("--https-port", co->local[IO_HTTPS_PORT], 1, 65535, port);
	return 0;
}

/* run: nginx is the installer, and the authenticator unless another one
 * is given, which acmed cannot combine with it yet. */
static int run_authenticator(struct certonly *co)
{
	const char *a = issue_opt_str(co->args, IO_AUTHENTICATOR);

	if (!a)
		return set_authenticator(co, "nginx");
	if (streq(a, "nginx"))
		return 0;
	client_fprintf(stderr, "acmectl: run installs into nginx and proves control through it: "
			       "use --nginx, or certonly --%s to obtain the certificate only\n",
		       a);
	return -EINVAL;
}

static void print_issued(const struct client *cl, struct json_object *data, int ret)
{
	char date[64];

	format_time(jobj_time(data, "not_after"), date, sizeof(date));
	if (jobj_bool(data, "validated_only"))
		client_printf("The dry run was successful: %s validated every name. acmed knows "
			      "no staging\nserver for it, so the order was not finalized: no "
			      "certificate was issued.\n",
			      str_or_empty(jobj_str(data, "server")));
	else if (json_object_object_get_ex(data, "dry_run", NULL))
		client_printf(
			"The dry run was successful: the CA issued a certificate expiring on %.10s;\n"
			"nothing was saved.\n",
			date);
	else
		client_printf("Successfully received certificate.\n"
			      "Certificate is saved at: %s\n"
			      "Key is saved at:         %s\n"
			      "This certificate expires on %.10s.\n",
			      str_or_empty(jobj_str(data, "fullchain_path")),
			      str_or_empty(jobj_str(data, "privkey_path")), date);
	if (ret != EXIT_OK) {
		client_fprintf(cl->quiet ? stderr : stdout,
			       "%s certificate was obtained, but %lld hook(s) failed (acmed's log has "
			       "all their output):\n",
			       cl->quiet ? "acmectl: the" : "The", jobj_int(data, "hook_failures", 0));
		client_print_hook_failures(cl->quiet ? stderr : stdout, data, "  ");
	}
}

/* The challenge include, the hook that reloads nginx for run. EXIT_OK and
 * *DONE when a dry run stops here. */
static int prepare_nginx(struct certonly *co, const struct certonly_nginx *ngx, bool run,
			 bool *done)
{
	int ret = certonly_nginx(co->cl, co->args, ngx, done);

	if (ret == EXIT_OK && !*done && run && certonly_nginx_add_hook(co->cl, co->args, ngx) < 0)
		ret = EXIT_FAILED;
	return ret;
}

/* certonly, and run (RUN: the certificate is installed into nginx too). */
static int certonly_main(struct client *cl, int argc, char **argv, const char *verb, bool run)
{
	struct certonly co = { .cl = cl, .verb = verb, .args = json_object_new_object() };
	struct json_object *reply = NULL, *data = NULL;
	struct certonly_nginx ngx;
	int ret, https_port = 0;
	bool done = false;

	if (!co.args || webroots_init(&co.wr) < 0) {
		client_fprintf(stderr, "acmectl: out of memory\n");
		ret = EXIT_FAILED;
		goto out;
	}
	if (parse(&co, argc, argv) < 0 || installer_options(&co, run, &https_port) < 0 ||
	    (run && run_authenticator(&co) < 0)) {
		ret = EXIT_USAGE;
		goto out;
	}
	ngx = nginx_opts(&co, https_port);
	if (streq(issue_opt_str(co.args, IO_AUTHENTICATOR), "nginx")) {
		ret = prepare_nginx(&co, &ngx, run, &done);
		if (ret != EXIT_OK || done)
			goto out;
	}
	ret = ask_daemon(cl, &co, &reply, &data);
	if (ret == EXIT_OK && run && data && jobj_bool(data, "kept"))
		ret = certonly_nginx_install_issued(cl, co.args, &ngx, data);
	if (ret != EXIT_OK || !data || jobj_bool(data, "kept"))
		goto out;
	if (co.local[IO_CSR]) {
		ret = print_csr_result(cl, &co, data);
		goto out;
	}
	if (jobj_int(data, "hook_failures", 0) > 0)
		ret = EXIT_FAILED;
	if (cl->json)
		client_print_json(data);
	else
		print_issued(cl, data, ret);
	if (run && certonly_nginx_install_issued(cl, co.args, &ngx, data) != EXIT_OK)
		ret = EXIT_FAILED;
out:
	json_object_put(reply);
	json_object_put(co.args);
	webroots_clear(&co.wr);
	return ret;
}

int verb_certonly(struct client *cl, int argc, char **argv)
{
	return certonly_main(cl, argc, argv, "certonly", false);
}

int verb_run_nginx(struct client *cl, int argc, char **argv)
{
	return certonly_main(cl, argc, argv, "run", true);
}

int verb_install(struct client *cl, int argc, char **argv)
{
	struct certonly co = { .cl = cl, .verb = "install", .args = json_object_new_object() };
	struct certonly_nginx ngx;
	const char *name;
	int ret = EXIT_USAGE, port = 0;

	if (!co.args || webroots_init(&co.wr) < 0) {
		client_fprintf(stderr, "acmectl: out of memory\n");
		ret = EXIT_FAILED;
		goto out;
	}
	if (parse(&co, argc, argv) < 0 || installer_options(&co, true, &port) < 0 ||
	    run_authenticator(&co) < 0)
		goto out;
	name = issue_opt_str(co.args, IO_CERT_NAME);
	if (!name) {
		client_fprintf(stderr, "acmectl: install needs --cert-name NAME (acmectl "
				       "certificates lists them)\n");
		goto out;
	}
	ngx = nginx_opts(&co, port);
	ret = certonly_nginx_install_lineage(cl, co.args, &ngx, name);
out:
	json_object_put(co.args);
	webroots_clear(&co.wr);
	return ret;
}
