/* certonly --nginx: once, acmectl (as root) gives the server blocks nginx
 * picks for the names an include of acmed's challenge snippet, checked by
 * `nginx -t` and followed by a reload; then the order goes to the daemon
 * with the nginx authenticator, which writes token files in acmed's own
 * challenge directory (webroot's code), so that renewals never touch
 * nginx's configuration. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "fsutil.h"
#include "issue_opts.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/certonly_nginx.h"
#include "ctl/nginx/ngx_challenge.h"
#include "ctl/nginx/ngx_create.h"
#include "ctl/nginx/ngx_install.h"

#define NGINX_OUTPUT 8192
#define PROBE_TRIES 150   /* 0.1 s apart after a miss, 20 ms after a hit */
#define PROBE_IN_A_ROW 10 /* hits in a row that show the switch is done */

struct paths {
	char *top, *state, *conf, *snippet, *webroot, *backups, *challenges;
};

static void paths_clear(struct paths *p)
{
	free(p->top), free(p->state), free(p->conf), free(p->snippet);
	free(p->webroot), free(p->backups), free(p->challenges);
}

/* acmed's own files for nginx, under its state directory (the daemon's
 * answer to status). */
static int make_paths(const struct client *cl, const struct certonly_nginx *o, struct paths *p)
{
	struct json_object *reply = NULL, *data = NULL;
	const char *root = o->server_root ? o->server_root : "/etc/nginx";
	int ret = client_request(cl, "status", NULL, &reply, &data);

	if (ret == EXIT_OK && !jobj_str(data, "state_dir"))
		ret = EXIT_FAILED;
	if (ret == EXIT_OK) {
		p->top = strdup(jobj_str(data, "state_dir"));
		ngx_run_state_dir(p->top);
		p->state = fs_join(jobj_str(data, "state_dir"), "nginx");
		p->conf = fs_join(root, "nginx.conf");
	}
	json_object_put(reply);
	if (ret != EXIT_OK)
		return ret;
	p->snippet = fs_join(p->state, "acme-challenge.conf");
	p->webroot = fs_join(p->state, "webroot");
	p->backups = fs_join(p->state, "backups");
	p->challenges = fs_join(p->webroot, ".well-known/acme-challenge");
	if (!p->top || !p->state || !p->conf || !p->snippet || !p->webroot || !p->backups || !p->challenges)
		return EXIT_FAILED;
	return EXIT_OK;
}

/* The request's names (or a lineage entry's: the same "domains" member) as
 * an array of C strings (borrowed from ARGS; the array caller frees). */
static char **names_of(struct json_object *args, size_t *n)
{
	struct json_object *d = NULL;
	char **v;

	json_object_object_get_ex(args, issue_opts[IO_DOMAINS].key, &d);
	*n = d ? json_object_array_length(d) : 0;
	v = calloc(*n + 1, sizeof(*v));
	for (size_t i = 0; v && i < *n; i++)
		v[i] = (char *)json_object_get_string(json_object_array_get_idx(d, i));
	return v;
}

/* One GET of the probe file through nginx on 127.0.0.1:PORT as HOST. */
static bool probe_once(unsigned port, const char *host, const char *name, const char *want)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	char req[1024], resp[4096];
	size_t n = 0;
	ssize_t got;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	snprintf(req, sizeof(req), "GET /.well-known/acme-challenge/%s HTTP/1.0\r\nHost: %s\r\n\r\n",
		 name, host);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    fs_write_all(fd, req, strlen(req)) == 0) {
		while (n < sizeof(resp) - 1 && (got = read(fd, resp + n, sizeof(resp) - 1 - n)) > 0)
			n += (size_t)got;
		resp[n] = '\0';
		ok = strncmp(resp, "HTTP/1.1 200", 12) == 0 && strstr(resp, want);
	}
	close(fd);
	return ok;
}

/* After the reload: does nginx serve a file put in the challenge
 * directory for HOST yet? It may take a moment to switch workers, and
 * until the old ones have stopped accepting, a connection may still reach
 * one of them (the CA's validation got a 404 so, right after a probe
 * that passed): it must pass PROBE_IN_A_ROW times running, each on a
 * new connection. */
static bool probe(const struct paths *p, unsigned port, const char *host)
{
	unsigned char rnd[12];
	char name[40], *path = NULL;
	bool ok = false;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return false;
	strcpy(name, "acmectl-probe-");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(name + 14 + 2 * i, 3, "%02x", rnd[i]);
	path = fs_join(p->challenges, name);
	if (!path || fs_write_path(path, name, strlen(name), 0644, FS_NOREPLACE) < 0)
		goto out;
	for (int i = 0, row = 0; i < PROBE_TRIES && !ok; i++) {
		row = probe_once(port, host, name, name) ? row + 1 : 0;
		ok = row == PROBE_IN_A_ROW;
		if (!ok)
			nanosleep(&(struct timespec){ .tv_nsec = (row ? 20 : 100) * 1000 * 1000 },
				  NULL);
	}
	unlink(path);
out:
	free(path);
	return ok;
}

/* The challenge directory belongs to whoever owns the state directory:
 * the daemon writes the token files. */
static void give_to_daemon(const struct paths *p)
{
	const char *dirs[] = { p->state, p->webroot, "", p->challenges };
	char *wk = fs_join(p->webroot, ".well-known");
	struct stat st;

	dirs[2] = wk;
	if (wk && stat(p->top, &st) == 0)
		for (size_t i = 1; i < ELEMENTSOF(dirs); i++)
			if (chown(dirs[i], st.st_uid, st.st_gid) < 0)
				break;
	free(wk);
}

static int reload_and_probe(const struct client *cl, const struct certonly_nginx *o,
			    const struct paths *p, unsigned port, const char *host)
{
	char *out = malloc(NGINX_OUTPUT);
	int r;

	if (!out)
		return EXIT_FAILED;
	r = ngx_run(o->ctl ? o->ctl : "nginx", p->conf, "-s", "reload", out, NGINX_OUTPUT);
	if (r != 0)
		client_fprintf(stderr, "acmectl: warning: nginx -s reload failed (is nginx "
				       "running?):\n%s",
			       out);
	else if (!probe(p, port, host))
		client_fprintf(stderr, "acmectl: warning: nginx on 127.0.0.1:%u does not serve "
				       "%s for %s yet; the CA's check may fail\n",
			       port, p->challenges, host);
	free(out);
	return EXIT_OK;
}

/* --json --dry-run stopping before the order: the edit, as JSON. */
static void print_dry_run_json(const char *diff)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return;
	json_object_object_add(o, "dry_run", json_object_new_boolean(1));
	json_object_object_add(o, "nginx_diff", json_object_new_string(diff ? diff : ""));
	client_print_json(o);
	json_object_put(o);
}

/* A line of the report: on stdout, or on stderr when stdout is for JSON. */
__attribute__((format(printf, 2, 3))) static void report(const struct client *cl,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (cl->json) {
		if (!cl->quiet)
			client_vfprintf(stderr, fmt, ap);
	} else {
		char *s = NULL;

		if (vasprintf(&s, fmt, ap) >= 0)
			client_printf("%s", s);
		free(s);
	}
	va_end(ap);
}

/* What the plan wrote is reported; the diff is kept in *DIFF (caller
 * frees). */
static void close_streams(const struct client *cl, FILE *info, char **itext, FILE *diff,
			  char **dtext, char **out)
{
	if (info && fclose(info) == 0 && *itext)
		report(cl, "%s", *itext);
	if (diff)
		fclose(diff);
	*out = *dtext;
	free(*itext);
}

/* Plans an edit set of C for NAMES with CTX's options (ngx_challenge_plan,
 * ngx_install_plan). */
typedef int (*plan_fn)(const struct ngx_conf *c, const void *ctx, char *const *names, size_t n,
		       struct ngx_edits *e, FILE *info, char *err, size_t errlen);

static int plan_challenge(const struct ngx_conf *c, const void *ctx, char *const *names,
			  size_t n, struct ngx_edits *e, FILE *info, char *err, size_t errlen)
{
	return ngx_challenge_plan(c, ctx, names, n, e, info, err, errlen);
}

static int plan_install(const struct ngx_conf *c, const void *ctx, char *const *names, size_t n,
			struct ngx_edits *e, FILE *info, char *err, size_t errlen)
{
	return ngx_install_plan(c, ctx, names, n, e, info, err, errlen);
}

static struct ngx_challenge_opts apply_opts(const struct certonly_nginx *o, const struct paths *p,
					    unsigned port)
{
	return (struct ngx_challenge_opts){ .conf_path = p->conf,
					    .nginx_ctl = o->ctl ? o->ctl : "nginx",
					    .snippet = p->snippet, .webroot = p->webroot,
					    .backup_dir = p->backups, .port = port,
					    .dry_run = o->dry_run };
}

/* Read nginx's files, plan with PLAN and CTX and carry the edit set out
 * (ngx_challenge_apply: nginx -t, files put back if it refuses; with
 * --dry-run only the diff). *NEDITS: how many edits were made; *OUT the
 * dry run's unified diff (caller frees). The error is printed. */
static int edit(const struct client *cl, const struct ngx_challenge_opts *co, plan_fn plan,
		const void *ctx, char *const *names, size_t n, size_t *nedits, char **out)
{
	struct ngx_conf c = { 0 };
	struct ngx_edits e = { 0 };
	char err[NGINX_OUTPUT + 256], *itext = NULL, *dtext = NULL;
	size_t ilen = 0, dlen = 0;
	FILE *info = open_memstream(&itext, &ilen), *diff = open_memstream(&dtext, &dlen);
	int r = info && diff ? ngx_conf_load(co->conf_path, &c, err, sizeof(err)) : -ENOMEM;

	if (r == -ENOMEM && (!info || !diff))
		snprintf(err, sizeof(err), "out of memory");
	if (r == 0)
		r = plan(&c, ctx, names, n, &e, info, err, sizeof(err));
	if (r == 0)
		r = ngx_challenge_apply(&c, co, &e, diff, err, sizeof(err));
	close_streams(cl, info, &itext, diff, &dtext, out);
	if (r < 0)
		client_fprintf(stderr, "acmectl: error: nginx: %s\n", err);
	*nedits = r == 0 ? e.n : 0;
	ngx_edits_clear(&e);
	ngx_conf_clear(&c);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

/* The challenge include, once. */
static int edit_challenge(const struct client *cl, const struct certonly_nginx *o,
			  const struct paths *p, char **names, size_t n, unsigned port,
			  bool *edited, char **out)
{
	struct ngx_challenge_opts co = apply_opts(o, p, port);
	size_t k = 0;
	int ret = edit(cl, &co, plan_challenge, &co, names, n, &k, out);

	*edited = k > 0;
	if (ret == EXIT_OK && !o->dry_run && k)
		report(cl, "nginx: %zu server block(s) now include %s\n", k, p->snippet);
	else if (ret == EXIT_OK && !o->dry_run)
		report(cl, "nginx: the server blocks include %s already\n", p->snippet);
	return ret;
}

/* --nginx-create: a block for each name none serves; in a dry run, those
 * names are taken out of NAMES (*N shrinks) since their blocks are not
 * written. *DIFF gets the dry run's diff (caller frees); *CREATED whether
 * a block was (or, in a dry run, would be) made. */
static int create_blocks(const struct client *cl, const struct certonly_nginx *o,
			 const struct paths *p, char **names, size_t *n, unsigned port, char **diff,
			 bool *created)
{
	struct ngx_challenge_opts co = apply_opts(o, p, port);
	struct ngx_create_opts cr = { .challenge = &co,
				      .root = o->server_root ? o->server_root : "/etc/nginx" };
	struct ngx_conf c = { 0 };
	char err[NGINX_OUTPUT + 256], *text = NULL;
	size_t len = 0, k = 0;
	bool *made = calloc(*n + 1, sizeof(*made));
	FILE *out = open_memstream(&text, &len);
	int r = made && out ? ngx_conf_load(co.conf_path, &c, err, sizeof(err)) : -ENOMEM;

	if (r == -ENOMEM && (!made || !out))
		snprintf(err, sizeof(err), "out of memory");
	if (r == 0)
		r = ngx_create_blocks(&c, &cr, names, *n, made, out, err, sizeof(err));
	if (out && fclose(out) == 0 && r == 0 && text && *text && o->dry_run)
		*diff = text, text = NULL;
	else if (r == 0 && text && *text)
		report(cl, "%s", text);
	if (r < 0)
		client_fprintf(stderr, "acmectl: error: nginx: %s\n", err);
	for (size_t i = 0; r == 0 && i < *n; i++) {
		*created |= made[i];
		if (!made[i] || !o->dry_run)
			names[k++] = names[i];
	}
	if (r == 0)
		*n = k;
	free(text);
	free(made);
	ngx_conf_clear(&c);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

int certonly_nginx(const struct client *cl, struct json_object *args,
		   const struct certonly_nginx *o, bool *done)
{
	struct paths p = { 0 };
	size_t n = 0;
	char **names = names_of(args, &n);
	long long port = issue_opt_int(args, IO_HTTP01_PORT);
	bool edited = false, created = false;
	char *diff = NULL, *cdiff = NULL;
	int ret;

	*done = false;
	if (!names)
		return EXIT_FAILED;
	port = port > 0 ? port : 80;
	ret = make_paths(cl, o, &p);
	if (ret == EXIT_OK && o->create)
		ret = create_blocks(cl, o, &p, names, &n, (unsigned)port, &cdiff, &created);
	if (ret == EXIT_OK && n)
		ret = edit_challenge(cl, o, &p, names, n, (unsigned)port, &edited, &diff);
	edited |= created;
	if (ret == EXIT_OK && cdiff && !cl->json)
		client_fprintf(stdout, "%s", cdiff);
	if (ret == EXIT_OK && diff && !cl->json)
		client_fprintf(stdout, "%s", diff);
	if (ret == EXIT_OK && o->dry_run && edited) {
		report(cl, "The dry run stops here: nginx's files were not changed, so its "
			   "server blocks\ncannot answer the CA yet.\n");
		if (cl->json)
			print_dry_run_json(diff);
		*done = true;
	} else if (ret == EXIT_OK && !o->dry_run) {
		give_to_daemon(&p);
		if (edited)
			ret = reload_and_probe(cl, o, &p, (unsigned)port, names[0]);
	}
	free(diff);
	free(cdiff);
	free(names);
	paths_clear(&p);
	return ret;
}

/* S as one shell word (caller frees): as it is when that is safe, else in
 * single quotes. */
static char *sh_word(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * n + 3), *d = out;

	if (!out)
		return NULL;
	if (n && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@,=") == n)
		return strcpy(out, s);
	*d++ = '\'';
	for (; *s; s++) {
		if (*s == '\'')
			d = stpcpy(d, "'\\''");
		else
			*d++ = *s;
	}
	strcpy(d, "'");
	return out;
}

char *certonly_nginx_reload_hook(const struct certonly_nginx *o)
{
	char *ctl = sh_word(o->ctl ? o->ctl : "nginx"), *conf = NULL, *word = NULL, *hook = NULL;

	/* systemd manages the system's nginx; a binary or root named is another nginx. */
	if (!o->ctl && !o->server_root && access("/run/systemd/system", F_OK) == 0) {
		free(ctl);
		return strdup("systemctl reload nginx");
	}
	if (o->server_root)
		conf = fs_join(o->server_root, "nginx.conf");
	if (conf)
		word = sh_word(conf);
	if (ctl && (!o->server_root || word) &&
	    asprintf(&hook, "%s%s%s -s reload", ctl, word ? " -c " : "", word ? word : "") < 0)
		hook = NULL;
	free(ctl);
	free(conf);
	free(word);
	return hook;
}

/* The certificate's files: FULLCHAIN and PRIVKEY if given, else live/NAME's. */
static int cert_files(const struct paths *p, const char *name, const char *fullchain,
		      const char *privkey, char **fc, char **pk)
{
	char *live = NULL;

	if (fullchain && privkey) {
		*fc = strdup(fullchain);
		*pk = strdup(privkey);
	} else if (asprintf(&live, "%s/live/%s", p->top, name) >= 0) {
		*fc = fs_join(live, "fullchain.pem");
		*pk = fs_join(live, "privkey.pem");
	}
	free(live);
	return *fc && *pk ? EXIT_OK : EXIT_FAILED;
}

/* nginx -s reload: false (warned) if it fails. */
static bool reload(const struct certonly_nginx *o, const struct paths *p)
{
	char *out = malloc(NGINX_OUTPUT);
	int r = out ? ngx_run(o->ctl ? o->ctl : "nginx", p->conf, "-s", "reload", out, NGINX_OUTPUT)
		    : -ENOMEM;

	if (r != 0)
		client_fprintf(stderr, "acmectl: warning: nginx -s reload failed (is nginx "
				       "running?); nginx serves the certificate once reloaded:\n%s",
			       out ? out : "");
	free(out);
	return r == 0;
}

int certonly_nginx_install(const struct client *cl, const struct certonly_nginx *o,
			   const struct nginx_cert *cert)
{
	struct paths p = { 0 };
	struct ngx_install_opts io = { .http_port = cert->http_port ? cert->http_port : 80,
				       .https_port = o->https_port ? o->https_port : 443,
				       .redirect = o->redirect, .hsts = o->hsts, .uir = o->uir };
	struct ngx_challenge_opts co;
	char *fc = NULL, *pk = NULL, *diff = NULL;
	size_t k = 0;
	int ret = make_paths(cl, o, &p);

	if (ret == EXIT_OK)
		ret = cert_files(&p, cert->name, cert->fullchain, cert->privkey, &fc, &pk);
	if (ret == EXIT_OK) {
		io.fullchain = fc, io.privkey = pk, io.snippet = p.snippet;
		co = apply_opts(o, &p, io.http_port);
		ret = edit(cl, &co, plan_install, &io, cert->names, cert->n, &k, &diff);
	}
	if (ret == EXIT_OK && diff && !cl->json)
		client_fprintf(stdout, "%s", diff);
	if (ret == EXIT_OK && o->dry_run)
		report(cl, "The dry run installed nothing: nginx's files were not changed.\n");
	else if (ret == EXIT_OK && k)
		report(cl, "nginx: %zu edit(s) install %s%s\n", k, fc,
		       reload(o, &p) ? "; nginx reloaded" : "");
	else if (ret == EXIT_OK)
		report(cl, "nginx: the server blocks serve %s already\n", fc);
	free(fc);
	free(pk);
	free(diff);
	paths_clear(&p);
	return ret;
}

/* ---- run and install: the lineage, its names, its hook ---- */

/* run: the saved deploy hook reloads nginx, unless one is given. */
int certonly_nginx_add_hook(const struct client *cl, struct json_object *args,
			    const struct certonly_nginx *ngx)
{
	char *hook;

	if (issue_opt_str(args, IO_DEPLOY_HOOK)) {
		client_note(cl, "your --deploy-hook is saved as it is: it must reload nginx");
		return 0;
	}
	hook = certonly_nginx_reload_hook(ngx);
	if (!hook)
		return -ENOMEM;
	json_object_object_add(args, issue_opts[IO_DEPLOY_HOOK].key,
			       json_object_new_string(hook));
	free(hook);
	return 0;
}

/* run, after the order (or a certificate kept): install it. */
int certonly_nginx_install_issued(const struct client *cl, struct json_object *args,
				  const struct certonly_nginx *ngx, struct json_object *data)
{
	const char *name = jobj_str(data, "name");
	size_t n = 0;
	char **names = names_of(args, &n);
	int ret;

	if (!names)
		return EXIT_FAILED;
	if (!name)
		name = issue_opt_str(args, IO_CERT_NAME);
	if (!name && n)
		name = strncmp(names[0], "*.", 2) == 0 ? names[0] + 2 : names[0];
	ret = certonly_nginx_install(
		cl, ngx,
		&(struct nginx_cert){ .name = name ? name : "", .names = names, .n = n,
				      .fullchain = jobj_str(data, "fullchain_path"),
				      .privkey = jobj_str(data, "privkey_path"),
				      .http_port = (unsigned)issue_opt_int(args, IO_HTTP01_PORT) });
	free(names);
	return ret;
}

/* install: the hook that reloads nginx, saved for NAME's renewals
 * (reconfigure, whose dry run checks the lineage still renews). */
static int save_reload_hook(const struct client *cl, const struct certonly_nginx *ngx,
			    const char *name)
{
	struct json_object *a = json_object_new_object(), *reply = NULL;
	char *hook = certonly_nginx_reload_hook(ngx);
	int ret = a && hook ? EXIT_OK : EXIT_FAILED;

	if (ret == EXIT_OK) {
		json_object_object_add(a, "cert_name", json_object_new_string(name));
		json_object_object_add(a, issue_opts[IO_DEPLOY_HOOK].key, json_object_new_string(hook));
		ret = client_call(cl, "reconfigure", a, &reply);
	}
	if (ret == EXIT_OK && !client_reply_ok(reply))
		ret = client_report_error(cl, reply);
	if (ret != EXIT_OK)
		client_fprintf(stderr, "acmectl: the certificate is installed, but the deploy hook "
				       "that reloads nginx was not saved: run acmectl reconfigure "
				       "--cert-name %s --deploy-hook \"%s\"\n",
			       name, hook ? hook : "nginx -s reload");
	else
		report(cl, "nginx: the deploy hook for %s reloads nginx: %s\n", name, hook);
	json_object_put(reply);
	json_object_put(a);
	free(hook);
	return ret;
}

/* install: lineage NAME's entry (borrowed from *REPLY, which the caller
 * puts), or NULL (said). */
static struct json_object *lineage(const struct client *cl, const char *name,
				   struct json_object **reply)
{
	struct json_object *q = json_object_new_object(), *data = NULL, *list = NULL;
	int ret;

	if (!q)
		return NULL;
	json_object_object_add(q, "cert_name", json_object_new_string(name));
	ret = client_request(cl, "certificates", q, reply, &data);
	json_object_put(q);
	if (ret != EXIT_OK)
		return NULL;
	if (json_object_object_get_ex(data, "certificates", &list) &&
	    json_object_array_length(list) > 0)
		return json_object_array_get_idx(list, 0);
	client_fprintf(stderr, "acmectl: error: no certificate named %s (acmectl certificates "
			       "lists them)\n",
		       name);
	return NULL;
}

static int install_lineage(const struct client *cl, struct json_object *args,
			   const struct certonly_nginx *ngx, const char *name)
{
	struct json_object *reply = NULL, *e = lineage(cl, name, &reply);
	size_t n = 0;
	char **names = e ? names_of(e, &n) : NULL; /* its "domains", as a request's */
	int ret = names ? EXIT_OK : EXIT_FAILED;

	if (ret == EXIT_OK)
		ret = certonly_nginx_install(
			cl, ngx,
			&(struct nginx_cert){
				.name = name, .names = names, .n = n,
				.fullchain = jobj_str(e, "fullchain_path"),
				.privkey = jobj_str(e, "privkey_path"),
				.http_port = (unsigned)issue_opt_int(args, IO_HTTP01_PORT) });
	free(names);
	json_object_put(reply);
	return ret;
}

int certonly_nginx_install_lineage(const struct client *cl, struct json_object *args,
				   const struct certonly_nginx *ngx, const char *name)
{
	int ret = install_lineage(cl, args, ngx, name);

	if (ret == EXIT_OK && !ngx->dry_run)
		ret = save_reload_hook(cl, ngx, name);
	return ret;
}
