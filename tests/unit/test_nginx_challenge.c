/* The one-time challenge edit (ctl/nginx/ngx_challenge.c, ngx_apply.c):
 * where the include goes, once per block; the clear refusals; and applying
 * it with the real `nginx -t`: backups with checksums, symlinks kept, every
 * byte put back when nginx refuses, --dry-run writing nothing; nginx run
 * under live/'s lock. */
#include <openssl/evp.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/nginx/ngx_challenge.h"
#include "store/store.h"

#include "testutil.h"

#define NGINX "/usr/sbin/nginx"

struct fx {
	char *dir, *conf, *snippet, *webroot, *backups;
	struct ngx_challenge_opts o;
	struct ngx_conf c;
	struct ngx_edits e;
	char err[4096];
};

/* A directory with nginx.conf whose http block holds BODY; logs and pid in
 * the directory, so `nginx -t` needs nothing else. */
static void setup(struct fx *f, const char *body)
{
	char *text;

	memset(f, 0, sizeof(*f));
	f->dir = tmpdir_make();
	f->conf = path_join(f->dir, "nginx.conf");
	f->snippet = path_join(f->dir, "state/nginx/acme-challenge.conf");
	f->webroot = path_join(f->dir, "state/nginx/webroot");
	f->backups = path_join(f->dir, "state/nginx/backups");
	ASSERT_TRUE(asprintf(&text, "pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\n"
				    "http {\n\taccess_log off;\n%s}\n",
			     f->dir, f->dir, body) > 0);
	file_write(f->conf, text);
	free(text);
	f->o = (struct ngx_challenge_opts){ .conf_path = f->conf, .nginx_ctl = NGINX,
					    .snippet = f->snippet, .webroot = f->webroot,
					    .backup_dir = f->backups, .port = 80 };
}

static void fx_done(struct fx *f)
{
	ngx_edits_clear(&f->e);
	ngx_conf_clear(&f->c);
	free(f->dir), free(f->conf), free(f->snippet), free(f->webroot), free(f->backups);
}

static void load(struct fx *f)
{
	ngx_conf_clear(&f->c);
	TEST_CHECK(ngx_conf_load(f->conf, &f->c, f->err, sizeof(f->err)) == 0, "%s", f->err);
}

static int plan(struct fx *f, const char *names)
{
	char *v[8], *copy = strdup(names), *save = NULL;
	size_t n = 0;
	int r;

	for (char *t = strtok_r(copy, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	ngx_edits_clear(&f->e);
	load(f);
	r = ngx_challenge_plan(&f->c, &f->o, v, n, &f->e, NULL, f->err, sizeof(f->err));
	free(copy);
	return r;
}

/* FILE's text after the planned edits. */
static char *rendered(struct fx *f, int file)
{
	char *out = NULL;
	size_t len;

	ASSERT_INT_EQ(ngx_render(&f->c, &f->e, file, &out, &len), 0);
	return out;
}

/* PATH's text, or NULL; kept (reachable) until the test's process ends,
 * so that assertions may compare it inline. */
static char *slurp(const char *path)
{
	static char *kept[64];
	static size_t n;
	char *t = NULL;
	size_t len;

	if (fs_read_file(path, 1 << 20, &t, &len) < 0)
		return NULL;
	if (n < ELEMENTSOF(kept))
		kept[n++] = t;
	return t;
}

TEST(include_after_the_brace_line_indented_like_the_block)
{
	struct fx f;
	char *out, *want;

	setup(&f, "\tserver { # main\n\t\tlisten 80;\n\t\tserver_name a.example b.example;\n\t}\n"
		  "    server {\n        server_name c.example;\n    }\n"
		  "\tserver { server_name d.example; }\n");
	ASSERT_INT_EQ(plan(&f, "a.example b.example c.example d.example"), 0);
	ASSERT_INT_EQ(f.e.n, 3); /* a and b share a block: once */
	out = rendered(&f, 0);
	ASSERT_TRUE(asprintf(&want, "\tserver { # main\n\t\tinclude %s; # added by acmectl: ACME "
				    "http-01 challenges\n\t\tlisten 80;\n",
			     f.snippet) > 0);
	ASSERT_STR_CONTAINS(out, want);
	free(want);
	ASSERT_TRUE(asprintf(&want, "    server {\n        include %s; # added", f.snippet) > 0);
	ASSERT_STR_CONTAINS(out, want);
	free(want);
	ASSERT_TRUE(asprintf(&want, "\tserver { include %s; server_name d.example; }\n",
			     f.snippet) > 0);
	ASSERT_STR_CONTAINS(out, want);
	free(want);
	free(out);
	fx_done(&f);
}

/* A file with CRLF line endings gets a CRLF line. */
TEST(include_line_keeps_crlf)
{
	struct fx f;
	char *out, *want;

	setup(&f, "\tserver {\r\n\t\tserver_name a.example;\r\n\t}\r\n");
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	out = rendered(&f, 0);
	ASSERT_TRUE(asprintf(&want, "\tserver {\r\n\t\tinclude %s; # added by acmectl: ACME "
				    "http-01 challenges\r\n\t\tserver_name", f.snippet) > 0);
	ASSERT_STR_CONTAINS(out, want);
	free(want);
	free(out);
	fx_done(&f);
}

TEST(refusals_are_clear)
{
	struct fx f;

	setup(&f, "\tserver {\n\t\tserver_name a.example;\n"
		  "\t\tlocation /.well-known/acme-challenge/ { root /srv; }\n\t}\n"
		  "\tserver {\n\t\tlisten 80 default_server;\n\t\tserver_name b.example;\n\t}\n");
	ASSERT_INT_EQ(plan(&f, "a.example"), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "nginx.conf:8: this server block has its own location "
				   "/.well-known/acme-challenge/");
	ASSERT_INT_EQ(plan(&f, "b.example nothere.example"), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "no server block listening on port 80 has a server_name "
				   "matching nothere.example");
	f.o.port = 8080;
	ASSERT_INT_EQ(plan(&f, "b.example"), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "port 8080");
	fx_done(&f);
}

static void snippet_dirs(struct fx *f)
{
	char *p = path_join(f->dir, "state/nginx");

	ASSERT_INT_EQ(fs_mkdirs(p, 0755), 0);
	free(p);
}

static void sha_hex(const char *text, char out[65])
{
	unsigned char md[32];
	size_t n;

	ASSERT_TRUE(EVP_Q_digest(NULL, "SHA256", NULL, text, strlen(text), md, &n));
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The one backup set's manifest under F's backup directory. */
static char *manifest(struct fx *f)
{
	char *names = NULL, *p, *m;

	ASSERT_INT_EQ(dir_count(f->backups, &names), 1);
	names[strcspn(names, " ")] = '\0';
	ASSERT_TRUE(asprintf(&p, "%s/%s/manifest", f->backups, names) > 0);
	m = slurp(p);
	ASSERT_NONNULL(m);
	free(p);
	free(names);
	return m;
}

TEST(apply_with_nginx_t_keeps_symlinks_and_backs_up)
{
	struct fx f;
	char *site, *link, *before, *after, *m, sha_before[65], sha_after[65];
	char *avail;

	if (access(NGINX, X_OK) != 0) {
		printf("# %s is not installed\n", NGINX);
		return;
	}
	setup(&f, "\tinclude sites-enabled/*;\n");
	avail = path_join(f.dir, "sites-available"), mkdir(avail, 0755);
	link = path_join(f.dir, "sites-enabled"), mkdir(link, 0755), free(link);
	site = path_join(avail, "default");
	file_write(site, "server {\n\tlisten 127.0.0.1:8099;\n\tserver_name a.example;\n}\n");
	chmod(site, 0640);
	link = path_join(f.dir, "sites-enabled/default");
	ASSERT_INT_EQ(symlink(site, link), 0);
	snippet_dirs(&f);
	f.o.port = 8099;
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	before = slurp(site);
	TEST_CHECK(ngx_challenge_apply(&f.c, &f.o, &f.e, NULL, f.err, sizeof(f.err)) == 0, "%s",
		   f.err);
	after = slurp(site);
	ASSERT_STR_CONTAINS(after, f.snippet);
	ASSERT_INT_EQ(strlen(after) > strlen(before), 1);
	ASSERT_INT_EQ(file_mode(site), 0640);
	ASSERT_INT_EQ(readlink(link, (char[8]){ 0 }, 8) > 0, 1); /* still a symlink */
	ASSERT_NONNULL(slurp(f.snippet));
	ASSERT_STR_CONTAINS(slurp(f.snippet), "location ^~ /.well-known/acme-challenge/ {");
	m = manifest(&f);
	sha_hex(before, sha_before);
	sha_hex(after, sha_after);
	ASSERT_STR_CONTAINS(m, sha_before);
	ASSERT_STR_CONTAINS(m, sha_after);
	ASSERT_STR_CONTAINS(m, " 0640 ");
	ASSERT_STR_CONTAINS(m, site);
	/* Once: a second run finds the include and changes nothing. */
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	ASSERT_INT_EQ(f.e.n, 0);
	free(site), free(link), free(avail);
	fx_done(&f);
}

TEST(nginx_refusing_puts_every_byte_back)
{
	struct fx f;
	char *before;

	if (access(NGINX, X_OK) != 0) {
		printf("# %s is not installed\n", NGINX);
		return;
	}
	/* Ours parses it; nginx knows no directive "no_such_directive". */
	setup(&f, "\tserver {\n\t\tlisten 127.0.0.1:8099;\n\t\tserver_name a.example;\n"
		  "\t\tno_such_directive \"x\";\n\t}\n");
	snippet_dirs(&f);
	f.o.port = 8099;
	before = slurp(f.conf);
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	ASSERT_INT_EQ(f.e.n, 1);
	ASSERT_INT_EQ(ngx_challenge_apply(&f.c, &f.o, &f.e, NULL, f.err, sizeof(f.err)),
		      ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "put back");
	ASSERT_STR_CONTAINS(f.err, "unknown directive \"no_such_directive\"");
	ASSERT_STR_EQ(slurp(f.conf), before);
	ASSERT_INT_EQ(dir_count(f.backups, NULL), 0);
	fx_done(&f);
}

TEST(dry_run_prints_the_diff_and_writes_nothing)
{
	struct fx f;
	char *before, *out = NULL, *want;
	size_t len = 0;
	FILE *mem;

	setup(&f, "\tserver {\n\t\tserver_name a.example;\n\t}\n");
	f.o.dry_run = true;
	f.o.nginx_ctl = "/bin/false";
	before = slurp(f.conf);
	ASSERT_INT_EQ(plan(&f, "a.example"), 0);
	mem = open_memstream(&out, &len);
	ASSERT_INT_EQ(ngx_challenge_apply(&f.c, &f.o, &f.e, mem, f.err, sizeof(f.err)), 0);
	fclose(mem);
	ASSERT_TRUE(asprintf(&want, "--- a%s\n+++ b%s\n@@ -4,6 +4,7 @@\n http {\n"
				    " \taccess_log off;\n \tserver {\n+\t\tinclude %s; # added by "
				    "acmectl: ACME http-01 challenges\n \t\tserver_name a.example;\n"
				    " \t}\n }\n",
			     f.conf, f.conf, f.snippet) > 0);
	ASSERT_STR_CONTAINS(out, want);
	ASSERT_STR_CONTAINS(out, "+location ^~ /.well-known/acme-challenge/ {");
	ASSERT_STR_EQ(slurp(f.conf), before);
	ASSERT_TRUE(access(f.snippet, F_OK) != 0);
	ASSERT_TRUE(access(f.backups, F_OK) != 0);
	free(want);
	free(out);
	fx_done(&f);
}

/* One file reached under two paths: edits to both copies would undo each
 * other, so none is made. */
TEST(a_file_included_under_two_paths_is_not_edited)
{
	struct fx f;
	char *a, *link, *before;

	setup(&f, "\tinclude a.conf;\n\tinclude link.conf;\n");
	a = path_join(f.dir, "a.conf");
	link = path_join(f.dir, "link.conf");
	file_write(a, "# shared\n");
	ASSERT_INT_EQ(symlink(a, link), 0);
	load(&f);
	ASSERT_INT_EQ(f.c.nfiles, 3);
	ASSERT_INT_EQ(ngx_edits_add(&f.e, 1, 0, 0, "# one\n"), 0);
	ASSERT_INT_EQ(ngx_edits_add(&f.e, 2, 0, 0, "# two\n"), 0);
	f.o.nginx_ctl = "/bin/true";
	before = slurp(a);
	ASSERT_INT_EQ(ngx_challenge_apply(&f.c, &f.o, &f.e, NULL, f.err, sizeof(f.err)), -EINVAL);
	ASSERT_STR_CONTAINS(f.err, "is included twice");
	ASSERT_STR_EQ(slurp(a), before);
	free(a), free(link);
	fx_done(&f);
}

#include "ctl/nginx/ngx_rollback.h"

/* An edit applied (the real nginx -t when there is one, else /bin/true),
 * for the rollback tests: F's nginx.conf edited, one backup set. */
static char *edited(struct fx *f)
{
	setup(f, "\tserver {\n\t\tlisten 127.0.0.1:8099;\n\t\tserver_name a.example;\n\t}\n");
	snippet_dirs(f);
	f->o.port = 8099;
	if (access(NGINX, X_OK) != 0)
		f->o.nginx_ctl = "/bin/true";
	ASSERT_INT_EQ(plan(f, "a.example"), 0);
	ASSERT_INT_EQ(f->e.n, 1);
	TEST_CHECK(ngx_challenge_apply(&f->c, &f->o, &f->e, NULL, f->err, sizeof(f->err)) == 0,
		   "%s", f->err);
	return f->c.files[0].text; /* the bytes before the edit */
}

static int rollback(struct fx *f, bool dry_run, const char *ctl, char **out)
{
	struct ngx_rollback_opts o = { .backup_dir = f->backups, .conf_path = f->conf,
				       .nginx_ctl = ctl ? ctl : f->o.nginx_ctl, .checkpoints = 1,
				       .dry_run = dry_run };
	size_t len = 0;
	FILE *mem = open_memstream(out, &len);
	int r = ngx_rollback(&o, mem, f->err, sizeof(f->err));

	fclose(mem);
	return r;
}

TEST(rollback_puts_the_original_bytes_back)
{
	struct fx f;
	char *orig = edited(&f), *now = slurp(f.conf), *out = NULL, *names = NULL;

	ASSERT_TRUE(strcmp(now, orig) != 0);
	ASSERT_INT_EQ(rollback(&f, true, NULL, &out), 0);
	ASSERT_STR_CONTAINS(out, "-\t\tinclude ");
	ASSERT_STR_EQ(slurp(f.conf), now); /* the dry run wrote nothing */
	free(out);
	/* nginx refusing the originals: the edit stays. */
	ASSERT_INT_EQ(rollback(&f, false, "/bin/false", &out), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(f.err, "acmectl's edits were put back");
	ASSERT_STR_EQ(slurp(f.conf), now);
	free(out);
	ASSERT_INT_EQ(rollback(&f, false, NULL, &out), 0);
	ASSERT_STR_CONTAINS(out, "Rolled back 1 edit set(s): 1 file(s) restored");
	ASSERT_STR_EQ(slurp(f.conf), orig);
	ASSERT_INT_EQ(dir_count(f.backups, &names), 1);
	ASSERT_STR_CONTAINS(names, ".rolled-back");
	free(out);
	ASSERT_INT_EQ(rollback(&f, false, NULL, &out), -ENOENT);
	ASSERT_STR_CONTAINS(f.err, "no edit set");
	free(out);
	free(names);
	fx_done(&f);
}

TEST(rollback_refuses_a_file_changed_since_or_a_damaged_backup)
{
	struct fx f;
	char *out = NULL, *changed, *names = NULL, *orig;

	edited(&f);
	ASSERT_TRUE(asprintf(&changed, "%s# a later edit\n", slurp(f.conf)) > 0);
	file_write(f.conf, changed);
	ASSERT_INT_EQ(rollback(&f, false, NULL, &out), -EAGAIN);
	ASSERT_STR_CONTAINS(f.err, "changed since acmectl edited it: not rolled back");
	ASSERT_STR_EQ(slurp(f.conf), changed);
	free(out);
	ASSERT_INT_EQ(dir_count(f.backups, &names), 1);
	names[strcspn(names, " ")] = '\0';
	ASSERT_TRUE(asprintf(&orig, "%s/%s/0.orig", f.backups, names) > 0);
	file_write(orig, "damaged");
	ASSERT_INT_EQ(rollback(&f, false, NULL, &out), -EIO);
	ASSERT_STR_CONTAINS(f.err, "damaged");
	ASSERT_STR_EQ(slurp(f.conf), changed);
	free(out);
	free(orig);
	free(names);
	free(changed);
	fx_done(&f);
}

/* A set's name is not taken again once a set of that name was rolled back
 * (its NAME.rolled-back would clash, and the new set would stay live). */
TEST(backup_set_names_not_reused_after_a_rollback)
{
	char *dir = tmpdir_make(), stamp[32], name[64], *p;
	time_t now = time(NULL);
	struct tm tm;
	int parent = -1, fd;

	for (int i = 0; i < 2; i++) {
		time_t t = now + i;

		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ.rolled-back", &tm);
		p = path_join(dir, stamp);
		ASSERT_INT_EQ(mkdir(p, 0700), 0);
		free(p);
	}
	fd = ngx_backup_set_dir(dir, name, sizeof(name), &parent);
	ASSERT_TRUE(fd >= 0);
	ASSERT_STR_CONTAINS(name, "Z-001");
	close(fd);
	close(parent);
	free(dir);
}

/* Sets made one after another, many in the same second, sort by name in
 * the order they were made: rollback takes the last by name. */
TEST(backup_set_names_sort_in_order_made)
{
	char *dir = tmpdir_make(), prev[64] = "", name[64];

	for (int i = 0; i < 12; i++) {
		int parent = -1, fd = ngx_backup_set_dir(dir, name, sizeof(name), &parent);

		ASSERT_TRUE(fd >= 0);
		if (i > 0 && strcmp(name, prev) <= 0)
			test_fail(__FILE__, __LINE__, "set %d '%s' sorts before '%s'", i, name, prev);
		snprintf(prev, sizeof(prev), "%s", name);
		close(fd);
		close(parent);
	}
	free(dir);
}

/* nginx runs holding live/'s lock shared once acmed's state directory is
 * known: a switch of live/ links (flock -x on live/) cannot start while
 * nginx reads the certificates. CTL here is /bin/sh, CONF the script it
 * runs; flock(1) tells whether live/ is locked. */
TEST(nginx_runs_holding_the_live_lock)
{
	char *dir = tmpdir_make(), *script = NULL, out[256];
	struct store *s;

	ASSERT_INT_EQ(store_open(dir, true, &s), 0);
	ASSERT_TRUE(asprintf(&script, "flock -n -x %s/live true && echo free || echo held",
			     dir) > 0);
	ASSERT_INT_EQ(ngx_run("/bin/sh", script, NULL, NULL, out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "free\n"); /* no state directory named yet */
	ngx_run_state_dir(dir);
	ASSERT_INT_EQ(ngx_run("/bin/sh", script, NULL, NULL, out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "held\n");
	/* ...and released after. */
	free(script);
	ASSERT_TRUE(asprintf(&script, "flock -n -x %s/live true", dir) > 0);
	ASSERT_INT_EQ(system(script), 0);
	ngx_run_state_dir(NULL);
	store_close(s);
	free(script);
	tmpdir_remove(dir);
}
