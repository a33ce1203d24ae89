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

#define NGINX_OUTPUT 8192
#define PROBE_TRIES 100 /* 0.1 s apart */

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

/* The request's names as an array of C strings (borrowed from ARGS). */
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
 * directory for HOST yet? It may take a moment to switch workers. */
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
	for (int i = 0; i < PROBE_TRIES && !ok; i++) {
		ok = probe_once(port, host, name, name);
		if (!ok)
			nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
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

/* Plan and carry out the edit; *EDITED: whether files changed; *DIFF the
 * dry run's unified diff (caller frees). */
static int edit(const struct client *cl, const struct certonly_nginx *o, const struct paths *p,
		char **names, size_t n, unsigned port, bool *edited, char **out)
{
	struct ngx_challenge_opts co = { .conf_path = p->conf, .nginx_ctl = o->ctl ? o->ctl : "nginx",
					 .snippet = p->snippet, .webroot = p->webroot,
					 .backup_dir = p->backups, .port = port,
					 .dry_run = o->dry_run };
	struct ngx_conf c = { 0 };
	struct ngx_edits e = { 0 };
	char err[NGINX_OUTPUT + 256], *itext = NULL, *dtext = NULL;
	size_t ilen = 0, dlen = 0;
	FILE *info = open_memstream(&itext, &ilen), *diff = open_memstream(&dtext, &dlen);
	int r = info && diff ? ngx_conf_load(p->conf, &c, err, sizeof(err)) : -ENOMEM;

	if (r == -ENOMEM && (!info || !diff))
		snprintf(err, sizeof(err), "out of memory");
	if (r == 0)
		r = ngx_challenge_plan(&c, &co, names, n, &e, info, err, sizeof(err));
	if (r == 0)
		r = ngx_challenge_apply(&c, &co, &e, diff, err, sizeof(err));
	close_streams(cl, info, &itext, diff, &dtext, out);
	if (r < 0)
		client_fprintf(stderr, "acmectl: error: nginx: %s\n", err);
	*edited = r == 0 && e.n > 0;
	if (r == 0 && !o->dry_run && e.n)
		report(cl, "nginx: %zu server block(s) now include %s\n", e.n, p->snippet);
	else if (r == 0 && !o->dry_run)
		report(cl, "nginx: the server blocks include %s already\n", p->snippet);
	ngx_edits_clear(&e);
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
	bool edited = false;
	char *diff = NULL;
	int ret;

	*done = false;
	if (!names)
		return EXIT_FAILED;
	port = port > 0 ? port : 80;
	ret = make_paths(cl, o, &p);
	if (ret == EXIT_OK)
		ret = edit(cl, o, &p, names, n, (unsigned)port, &edited, &diff);
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
	free(names);
	paths_clear(&p);
	return ret;
}
