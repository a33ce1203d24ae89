/* Installing a certificate into nginx's server blocks (ctl/nginx/
 * ngx_install.c): which blocks, the lines added or words replaced, the
 * --redirect split, and nothing planned twice. Rendered only: applying
 * goes through the challenge's edit set (test_nginx_challenge.c). And
 * --nginx-create (ngx_create.c): the layout's file, checked by the real
 * nginx -t, removed by a rollback; its refusals. */
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/nginx/ngx_create.h"
#include "ctl/nginx/ngx_install.h"
#include "ctl/nginx/ngx_rollback.h"

#include "testutil.h"

#define FC "/var/lib/acmed/live/a.example/fullchain.pem"
#define PK "/var/lib/acmed/live/a.example/privkey.pem"
/* Relative: nginx reads it next to nginx.conf. */
#define SNIPPET "acme-challenge.conf"

struct fx {
	char *dir, *conf;
	struct ngx_install_opts o;
	struct ngx_conf c;
	struct ngx_edits e;
	char err[4096];
};

static void setup(struct fx *f, const char *body)
{
	char *text;

	memset(f, 0, sizeof(*f));
	f->dir = tmpdir_make();
	f->conf = path_join(f->dir, "nginx.conf");
	ASSERT_TRUE(asprintf(&text, "events {}\nhttp {\n%s}\n", body) > 0);
	file_write(f->conf, text);
	free(text);
	text = path_join(f->dir, SNIPPET);
	file_write(text, "# the challenge location\n");
	free(text);
	f->o = (struct ngx_install_opts){ .fullchain = FC, .privkey = PK, .snippet = SNIPPET,
					  .http_port = 80, .https_port = 443 };
}

static void fx_done(struct fx *f)
{
	ngx_edits_clear(&f->e);
	ngx_conf_clear(&f->c);
	free(f->dir);
	free(f->conf);
}

static int plan(struct fx *f, const char *names)
{
	char *v[8], *copy = strdup(names), *save = NULL;
	size_t n = 0;
	int r;

	for (char *t = strtok_r(copy, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	ngx_edits_clear(&f->e);
	ngx_conf_clear(&f->c);
	TEST_CHECK(ngx_conf_load(f->conf, &f->c, f->err, sizeof(f->err)) == 0, "%s", f->err);
	r = ngx_install_plan(&f->c, &f->o, v, n, &f->e, NULL, f->err, sizeof(f->err));
	free(copy);
	return r;
}

/* nginx.conf after the planned edits, also written back (for a second plan). */
static char *rendered(struct fx *f)
{
	char *out = NULL;
	size_t len;

	ASSERT_INT_EQ(ngx_render(&f->c, &f->e, 0, &out, &len), 0);
	file_write(f->conf, out);
	return out;
}

#define ADDED " # added by acmectl\n"

TEST(plain_block_made_to_serve_tls_in_place)
{
	struct fx f;
	char *out;

	setup(&f, "\tserver {\n\t\tlisten 80;\n\t\tlisten [::]:80;\n\t\tlisten 127.0.0.1:8080;\n"
		  "\t\tserver_name a.example;\n\t}\n");
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	out = rendered(&f);
	ASSERT_STR_EQ(out, "events {}\nhttp {\n\tserver {\n"
			   "\t\tlisten 443 ssl;" ADDED
			   "\t\tlisten [::]:443 ssl;" ADDED
			   "\t\tssl_certificate " FC ";" ADDED
			   "\t\tssl_certificate_key " PK ";" ADDED
			   "\t\tlisten 80;\n\t\tlisten [::]:80;\n\t\tlisten 127.0.0.1:8080;\n"
			   "\t\tserver_name a.example;\n\t}\n}\n");
	free(out);
	/* Again: all in place, nothing to do. */
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	ASSERT_INT_EQ(f.e.n, 0);
	fx_done(&f);
}

TEST(tls_block_gets_its_paths_replaced)
{
	struct fx f;
	char *out;

	setup(&f, "server { listen 80; server_name a.example b.example; }\n"
		  "server {\n  listen 443 ssl;\n  server_name a.example;\n"
		  "  ssl_certificate \"/etc/ssl/old cert.pem\"; # old\n"
		  "  ssl_certificate_key /etc/ssl/old.key;\n}\n");
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	ASSERT_INT_EQ(f.e.n, 2);
	out = rendered(&f);
	ASSERT_STR_CONTAINS(out, "server { listen 80; server_name a.example b.example; }\n");
	ASSERT_STR_CONTAINS(out, "  ssl_certificate " FC "; # old\n  ssl_certificate_key " PK
				 ";\n}\n");
	free(out);
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	ASSERT_INT_EQ(f.e.n, 0);
	fx_done(&f);
}

TEST(hsts_and_uir_headers_once)
{
	struct fx f;
	char *out;

	setup(&f, "server {\n    listen 443 ssl;\n    server_name a.example;\n"
		  "    add_header strict-transport-security \"max-age=60\";\n}\n");
	f.o.hsts = f.o.uir = true;
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	out = rendered(&f);
	ASSERT_STR_CONTAINS(out, "    add_header Content-Security-Policy "
				 "\"upgrade-insecure-requests\" always;" ADDED);
	ASSERT_TRUE(!strstr(out, "max-age=31536000")); /* one of its own already */
	free(out);
	fx_done(&f);
}

/* --redirect, one block for both: its port-80 listens become the TLS
 * ones on their lines and move to a block of their own after it. */
TEST(redirect_splits_a_block_serving_both)
{
	struct fx f;
	char *out;

	setup(&f, "\tserver {\n\t\tlisten 127.0.0.1:80 default_server; # main\n"
		  "\t\tserver_name a.example;\n\t\troot /srv;\n\t}\n");
	f.o.redirect = true;
	f.o.https_port = 8443;
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	out = rendered(&f);
	ASSERT_STR_EQ(out, "events {}\nhttp {\n\tserver {\n"
			   "\t\tssl_certificate " FC ";" ADDED
			   "\t\tssl_certificate_key " PK ";" ADDED
			   "\t\tlisten 127.0.0.1:8443 ssl; # main\n"
			   "\t\tserver_name a.example;\n\t\troot /srv;\n\t}\n\n"
			   "\tserver { # added by acmectl: --redirect\n"
			   "\t\tlisten 127.0.0.1:80 default_server;\n"
			   "\t\tserver_name a.example;\n"
			   "\t\tinclude " SNIPPET ";\n"
			   "\t\tif ($uri !~ \"^/\\.well-known/acme-challenge/\") { return 301 "
			   "https://$host:8443$request_uri; }\n"
			   "\t}\n}\n");
	free(out);
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	ASSERT_INT_EQ(f.e.n, 0);
	fx_done(&f);
}

/* --redirect, TLS in a block of its own: the port-80 block gets the 301
 * (challenges excepted), once. */
TEST(redirect_in_a_port_80_block)
{
	struct fx f;
	char *out;

	setup(&f, "server {\n  listen 80;\n  server_name a.example;\n}\n"
		  "server {\n  listen 443 ssl;\n  server_name a.example;\n}\n");
	f.o.redirect = true;
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	out = rendered(&f);
	ASSERT_STR_CONTAINS(out, "server {\n  if ($uri !~ \"^/\\.well-known/acme-challenge/\") { "
				 "return 301 https://$host$request_uri; }" ADDED "  listen 80;\n");
	free(out);
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	ASSERT_INT_EQ(f.e.n, 0);
	fx_done(&f);
}

TEST(a_name_no_block_serves_is_an_error)
{
	struct fx f;

	setup(&f, "server { listen 80 default_server; server_name _; }\n");
	ASSERT_INT_EQ(plan(&f, "a.example"), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "no server block on port 80 or 443 has a server_name matching "
				   "a.example");
	ASSERT_INT_EQ(f.e.n, 0);
	fx_done(&f);
}


/* ---- --nginx-create (ngx_create.c) ---- */

#define NGINX "/usr/sbin/nginx"

/* Debian's layout without conf.d/: sites-available/, sites-enabled/ and a
 * site for a.example on 127.0.0.1:80. */
static void sites(struct fx *f, struct ngx_challenge_opts *co, char **snippet, char **backups)
{
	char *text, *p;

	f->dir = tmpdir_make();
	f->conf = path_join(f->dir, "nginx.conf");
	*snippet = path_join(f->dir, "state/acme-challenge.conf");
	*backups = path_join(f->dir, "state/backups");
	ASSERT_TRUE(asprintf(&text, "pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\n"
				    "http {\n\taccess_log off;\n\tinclude sites-enabled/*;\n}\n",
			     f->dir, f->dir) > 0);
	file_write(f->conf, text);
	free(text);
	p = path_join(f->dir, "sites-available");
	ASSERT_INT_EQ(mkdir(p, 0755), 0);
	free(p);
	p = path_join(f->dir, "sites-enabled");
	ASSERT_INT_EQ(mkdir(p, 0755), 0);
	free(p);
	p = path_join(f->dir, "sites-enabled/a");
	file_write(p, "server { listen 127.0.0.1:80; server_name a.example; }\n");
	free(p);
	*co = (struct ngx_challenge_opts){ .conf_path = f->conf, .nginx_ctl = NGINX,
					   .snippet = *snippet, .webroot = f->dir,
					   .backup_dir = *backups, .port = 80 };
}

static int create(struct fx *f, const struct ngx_challenge_opts *co, const char *names,
		  bool *made, char **out)
{
	struct ngx_create_opts o = { .challenge = co, .root = f->dir };
	char *v[4], *copy = strdup(names), *save = NULL;
	size_t n = 0, len = 0;
	FILE *m = open_memstream(out, &len);
	int r;

	for (char *t = strtok_r(copy, " ", &save); t && n < 4; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	ngx_conf_clear(&f->c);
	TEST_CHECK(ngx_conf_load(f->conf, &f->c, f->err, sizeof(f->err)) == 0, "%s", f->err);
	r = ngx_create_blocks(&f->c, &o, v, n, made, m, f->err, sizeof(f->err));
	fclose(m);
	free(copy);
	return r;
}

TEST(create_in_sites_available_linked_and_rolled_back)
{
	struct fx f = { 0 };
	struct ngx_challenge_opts co;
	struct ngx_rollback_opts ro;
	char *snippet, *backups, *out = NULL, *file, *link, *text = NULL;
	bool made[2] = { false, false };
	size_t len;
	struct stat st;

	if (access(NGINX, X_OK) != 0) {
		printf("# %s is not installed\n", NGINX);
		return;
	}
	sites(&f, &co, &snippet, &backups);
	file = path_join(f.dir, "sites-available/b.example");
	link = path_join(f.dir, "sites-enabled/b.example");
	co.dry_run = true;
	ASSERT_INT_EQ(create(&f, &co, "a.example b.example", made, &out), 0);
	ASSERT_TRUE(!made[0] && made[1]);
	ASSERT_STR_CONTAINS(out, "+\tlisten 127.0.0.1:80;\n+\tserver_name b.example;\n");
	ASSERT_TRUE(lstat(file, &st) < 0 && lstat(link, &st) < 0); /* the dry run made nothing */
	free(out);
	co.dry_run = false;
	ASSERT_INT_EQ(create(&f, &co, "a.example b.example", made, &out), 0);
	ASSERT_STR_CONTAINS(out, "nginx: made ");
	ASSERT_INT_EQ(fs_read_file(file, 1 << 20, &text, &len), 0);
	ASSERT_STR_CONTAINS(text, "\tinclude ");
	ASSERT_INT_EQ(lstat(link, &st), 0);
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	free(out);
	ro = (struct ngx_rollback_opts){ .backup_dir = backups, .conf_path = f.conf,
					 .nginx_ctl = NGINX, .checkpoints = 1 };
	ASSERT_INT_EQ(ngx_rollback(&ro, NULL, f.err, sizeof(f.err)), 0);
	ASSERT_TRUE(lstat(file, &st) < 0 && lstat(link, &st) < 0);
	free(text);
	free(file);
	free(link);
	free(snippet);
	free(backups);
	fx_done(&f);
}

TEST(create_refuses_a_wildcard_and_an_existing_file)
{
	struct fx f = { 0 };
	struct ngx_challenge_opts co;
	char *snippet, *backups, *out = NULL, *p;
	bool made[1];

	sites(&f, &co, &snippet, &backups);
	co.dry_run = true;
	ASSERT_INT_EQ(create(&f, &co, "*.b.example", made, &out), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "a wildcard cannot be validated over http-01");
	free(out);
	p = path_join(f.dir, "sites-available/b.example");
	file_write(p, "# not enabled\n");
	ASSERT_INT_EQ(create(&f, &co, "b.example", made, &out), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "exists already");
	free(out);
	free(p);
	free(snippet);
	free(backups);
	fx_done(&f);
}
