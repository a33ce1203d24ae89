/* The nginx configuration reader and editor (ctl/nginx/): nginx's
 * tokenizing rules, byte offsets, includes and globs, and edits that leave
 * every other byte alone; Debian's stock configuration as the real input. */
#include <glob.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"
#include "ctl/nginx/ngx_conf.h"

#include "testutil.h"

static struct ngx_dir parse_ok(const char *text)
{
	struct ngx_dir root;
	char err[256] = "";
	int r = ngx_parse(text, strlen(text), &root, err, sizeof(err));

	TEST_CHECK(r == 0, "parse failed: %s", err);
	return root;
}

static void parse_fails(const char *text, const char *msg)
{
	struct ngx_dir root;
	char err[256] = "";

	ASSERT_INT_EQ(ngx_parse(text, strlen(text), &root, err, sizeof(err)), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(err, msg);
	ASSERT_INT_EQ(root.nkids, 0);
}

/* Every word's recorded bytes are where its text came from, and every
 * directive's range starts at its name and ends at its ';' or '}'. */
static void check_offsets(const char *text, const struct ngx_dir *d)
{
	for (size_t i = 0; i < d->nkids; i++) {
		const struct ngx_dir *k = &d->kids[i];
		char last = text[k->end - 1];

		ASSERT_INT_EQ(k->start, k->words[0].off);
		TEST_CHECK(last == (k->block ? '}' : ';'), "line %u ends with '%c'", k->line,
			   last);
		for (size_t w = 0; w < k->nwords; w++) {
			const struct ngx_word *x = &k->words[w];

			if (x->quoted)
				ASSERT_TRUE(text[x->off] == '"' || text[x->off] == '\'');
			if (!strpbrk(x->text, "\\\"'") && !x->quoted)
				ASSERT_INT_EQ(memcmp(text + x->off, x->text, x->len), 0);
		}
		if (k->block) {
			ASSERT_INT_EQ(text[k->open], '{');
			ASSERT_INT_EQ(k->close, k->end - 1);
			check_offsets(text, k);
		}
	}
}

TEST(words_quotes_and_escapes)
{
	const char *t = "a \"b c\" 'd\\'e' f\\ g \"x\\ty\\\\z\" w\\;v;\n";
	struct ngx_dir r = parse_ok(t);

	ASSERT_INT_EQ(r.nkids, 1);
	ASSERT_INT_EQ(r.kids[0].nwords, 6);
	ASSERT_STR_EQ(ngx_arg(&r.kids[0], 1), "b c");
	ASSERT_STR_EQ(ngx_arg(&r.kids[0], 2), "d'e");
	ASSERT_STR_EQ(ngx_arg(&r.kids[0], 3), "f\\ g");
	ASSERT_STR_EQ(ngx_arg(&r.kids[0], 4), "x\ty\\z");
	ASSERT_STR_EQ(ngx_arg(&r.kids[0], 5), "w\\;v");
	ASSERT_TRUE(r.kids[0].words[1].quoted);
	ASSERT_INT_EQ(r.kids[0].words[1].off, 2);
	ASSERT_INT_EQ(r.kids[0].words[1].len, 5);
	check_offsets(t, &r);
	ngx_dir_clear(&r);
}

TEST(comments_only_between_words)
{
	const char *t = "# a { comment ;\nlisten 80#x; # trailing }\nserver_name \"#\" a;#end";
	struct ngx_dir r = parse_ok(t);

	ASSERT_INT_EQ(r.nkids, 2);
	ASSERT_STR_EQ(ngx_arg(&r.kids[0], 1), "80#x");
	ASSERT_INT_EQ(r.kids[0].line, 2);
	ASSERT_STR_EQ(ngx_arg(&r.kids[1], 1), "#");
	ASSERT_INT_EQ(r.kids[1].line, 3);
	check_offsets(t, &r);
	ngx_dir_clear(&r);
}

TEST(variables_braces_and_if)
{
	const char *t = "set $x ${y}z;\nif ($host = \"a.example\") { return 404; }\n"
			"location ~ \"^/a{2}$\" { }\nrewrite x} y;";
	struct ngx_dir r = parse_ok(t);

	ASSERT_INT_EQ(r.nkids, 4);
	ASSERT_STR_EQ(ngx_arg(&r.kids[0], 2), "${y}z");
	/* nginx gives `if` its parentheses as words: "($host" ... ")". */
	ASSERT_INT_EQ(r.kids[1].nwords, 5);
	ASSERT_STR_EQ(ngx_arg(&r.kids[1], 1), "($host");
	ASSERT_STR_EQ(ngx_arg(&r.kids[1], 3), "a.example");
	ASSERT_STR_EQ(ngx_arg(&r.kids[1], 4), ")");
	ASSERT_TRUE(r.kids[1].block);
	ASSERT_STR_EQ(ngx_name(&r.kids[1].kids[0]), "return");
	ASSERT_STR_EQ(ngx_arg(&r.kids[2], 2), "^/a{2}$");
	ASSERT_STR_EQ(ngx_arg(&r.kids[3], 1), "x}");
	check_offsets(t, &r);
	ngx_dir_clear(&r);
}

TEST(map_and_types_pass_through_as_directives)
{
	const char *t = "http {\n map $http_upgrade $c {\n  default upgrade;\n  '' close;\n"
			"  ~^a\\.b 1;\n }\n types { text/html html htm; }\n}\n";
	struct ngx_dir r = parse_ok(t);
	struct ngx_dir *map = &r.kids[0].kids[0];

	ASSERT_STR_EQ(ngx_name(map), "map");
	ASSERT_INT_EQ(map->nkids, 3);
	ASSERT_STR_EQ(ngx_name(&map->kids[1]), "");
	ASSERT_STR_EQ(ngx_name(&map->kids[2]), "~^a\\.b");
	ASSERT_INT_EQ(r.kids[0].kids[1].kids[0].nwords, 3);
	ASSERT_INT_EQ(map->line, 2);
	ASSERT_INT_EQ(map->kids[2].line, 5);
	check_offsets(t, &r);
	ngx_dir_clear(&r);
}

TEST(nginx_errors)
{
	parse_fails("a;\n}", "line 2: unexpected \"}\"");
	parse_fails("http {\n a;\n", "unexpected end of file, expecting \"}\"");
	parse_fails("a b", "unexpected end of file, expecting \";\" or \"}\"");
	parse_fails("a \"b\"c;", "unexpected \"c\"");
	parse_fails(";", "unexpected \";\"");
	parse_fails("a \"open", "unexpected end of file");
	parse_fails("a { b }", "unexpected \"}\"");
	/* A '{' ends a word: an unquoted regex's "{2}" opens a block, as for nginx. */
	parse_fails("location ~ ^/a{2}$ { }", "unexpected end of file, expecting \"}\"");
}

TEST(deep_nesting_refused_not_crashing)
{
	size_t n = 100000;
	char *t = malloc(2 * n + 1);
	struct ngx_dir r;
	char err[128];

	for (size_t i = 0; i < n; i++)
		t[2 * i] = 'a', t[2 * i + 1] = '{';
	t[2 * n] = '\0';
	ASSERT_INT_EQ(ngx_parse(t, 2 * n, &r, err, sizeof(err)), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(err, "nested too deep");
	free(t);
}

static struct ngx_conf conf_of(const char *path)
{
	struct ngx_conf c;
	char err[512] = "";

	TEST_CHECK(ngx_conf_load(path, &c, err, sizeof(err)) == 0, "load %s: %s", path, err);
	return c;
}

/* Parse and render with no edits: the same bytes. */
static void round_trip(const struct ngx_conf *c)
{
	struct ngx_edits none = { 0 };

	for (size_t i = 0; i < c->nfiles; i++) {
		char *out = NULL;
		size_t len = 0;

		ASSERT_INT_EQ(ngx_render(c, &none, (int)i, &out, &len), 0);
		ASSERT_INT_EQ(len, c->files[i].len);
		TEST_CHECK(memcmp(out, c->files[i].text, len) == 0, "%s changed",
			   c->files[i].path);
		check_offsets(c->files[i].text, &c->files[i].root);
		free(out);
	}
}

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/tests/unit/nginx-debian/%s",
		 getenv("SOURCE_DIR") ? getenv("SOURCE_DIR") : ".", name);
	return path;
}

/* Debian 12's stock files, each parsed alone (their includes are absolute
 * paths into /etc/nginx). */
TEST(debian_stock_files_round_trip)
{
	static const char *const files[] = {
		"nginx.conf", "mime.types", "fastcgi.conf", "fastcgi_params", "proxy_params",
		"scgi_params", "uwsgi_params", "sites-available/default",
		"snippets/fastcgi-php.conf", "snippets/snakeoil.conf", "koi-utf", "win-utf",
	};

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		struct ngx_conf c = { 0 };
		char err[512] = "";

		c.nfiles = 1;
		c.files = calloc(1, sizeof(*c.files));
		c.files[0].path = strdup(fixture(files[i]));
		ASSERT_INT_EQ(fs_read_file(c.files[0].path, 1 << 20, &c.files[0].text,
					   &c.files[0].len), 0);
		TEST_CHECK(ngx_parse(c.files[0].text, c.files[0].len, &c.files[0].root, err,
				     sizeof(err)) == 0, "%s: %s", files[i], err);
		ASSERT_TRUE(c.files[0].root.nkids > 0);
		round_trip(&c);
		ngx_conf_clear(&c);
	}
}

static int count_servers(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx)
{
	if (streq(ngx_name(d), "server"))
		++*(int *)ctx;
	if (streq(ngx_name(d), "http"))
		return ngx_each(c, file, d, count_servers, ctx);
	return 0;
}

/* What nginx loads on this machine, if it is Debian's stock layout. */
TEST(installed_configuration_round_trips)
{
	struct ngx_conf c;
	int servers = 0;

	if (access("/etc/nginx/sites-enabled/default", F_OK) != 0) {
		printf("# no /etc/nginx/sites-enabled/default here: nothing to read\n");
		return;
	}
	c = conf_of("/etc/nginx/nginx.conf");
	ASSERT_STR_EQ(c.prefix, "/etc/nginx");
	ASSERT_TRUE(c.nfiles >= 3);
	round_trip(&c);
	ASSERT_INT_EQ(ngx_each(&c, 0, &c.files[0].root, count_servers, &servers), 0);
	ASSERT_TRUE(servers >= 1);
	ngx_conf_clear(&c);
}

static char *tree(void)
{
	char *d = tmpdir_make(), *p;

	p = path_join(d, "conf.d"), mkdir(p, 0755), free(p);
	p = path_join(d, "nginx.conf");
	file_write(p, "events {}\nhttp {\n  include conf.d/*.conf;\n  include none/*.conf;\n"
		      "  include extra.conf;\n}\n");
	free(p);
	p = path_join(d, "conf.d/b.conf"), file_write(p, "server { server_name b; }\n"), free(p);
	p = path_join(d, "conf.d/a.conf"), file_write(p, "server { server_name a; }\n"), free(p);
	p = path_join(d, "extra.conf"), file_write(p, "server { server_name c; }\n"), free(p);
	return d;
}

static int names(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx)
{
	char *out = ctx;

	if (streq(ngx_name(d), "http"))
		return ngx_each(c, file, d, names, ctx);
	if (streq(ngx_name(d), "server")) {
		strcat(out, ngx_arg(&d->kids[0], 1));
		strcat(out, strrchr(c->files[file].path, '/'));
		strcat(out, " ");
	}
	return 0;
}

TEST(includes_relative_to_prefix_globs_sorted)
{
	char *d = tree(), *conf = path_join(d, "nginx.conf"), seen[256] = "";
	struct ngx_conf c = conf_of(conf);

	ASSERT_STR_EQ(c.prefix, d);
	ASSERT_INT_EQ(c.nfiles, 4);
	ASSERT_INT_EQ(ngx_each(&c, 0, &c.files[0].root, names, seen), 0);
	ASSERT_STR_EQ(seen, "a/a.conf b/b.conf c/extra.conf ");
	round_trip(&c);
	ngx_conf_clear(&c);
	free(conf);
	free(d);
}

TEST(include_errors)
{
	char *d = tree(), *conf = path_join(d, "nginx.conf"), *p, err[512];
	struct ngx_conf c;

	p = path_join(d, "extra.conf"), unlink(p), free(p);
	ASSERT_INT_EQ(ngx_conf_load(conf, &c, err, sizeof(err)), -ENOENT);
	ASSERT_STR_CONTAINS(err, "extra.conf");
	p = path_join(d, "extra.conf"), file_write(p, "include nginx.conf;\n"), free(p);
	ASSERT_INT_EQ(ngx_conf_load(conf, &c, err, sizeof(err)), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(err, "include cycle");
	p = path_join(d, "extra.conf"), file_write(p, "server {\n"), free(p);
	ASSERT_INT_EQ(ngx_conf_load(conf, &c, err, sizeof(err)), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(err, "extra.conf: line 2: unexpected end of file");
	p = path_join(d, "extra.conf"), file_write(p, "include a b;\n"), free(p);
	ASSERT_INT_EQ(ngx_conf_load(conf, &c, err, sizeof(err)), ACMED_ECONFIG);
	ASSERT_STR_CONTAINS(err, "invalid number of arguments");
	free(conf);
	free(d);
}

TEST(edits_change_only_their_bytes)
{
	const char *t = "server {\n\tlisten 80; # keep me\n\n    server_name  a  b;\n}";
	struct ngx_conf c = { 0 };
	struct ngx_edits e = { 0 };
	char *out = NULL, err[128];
	size_t len = 0, name_off, listen_off;

	c.nfiles = 1;
	c.files = calloc(1, sizeof(*c.files));
	c.files[0].text = strdup(t);
	c.files[0].len = strlen(t);
	ASSERT_INT_EQ(ngx_parse(t, strlen(t), &c.files[0].root, err, sizeof(err)), 0);
	name_off = c.files[0].root.kids[0].kids[1].words[2].off;
	ASSERT_INT_EQ(ngx_edits_add(&e, 0, c.files[0].root.kids[0].open + 1, 0, "\n\tinclude x;"), 0);
	ASSERT_INT_EQ(ngx_edits_add(&e, 0, name_off, 1, "\"c d\""), 0);
	/* An insertion where a replaced range starts goes before it; a second
	 * one there, or one inside a replaced range, is refused. */
	ASSERT_INT_EQ(ngx_edits_add(&e, 0, name_off, 0, "x "), 0);
	ASSERT_INT_EQ(ngx_edits_add(&e, 0, name_off, 0, "y"), -EINVAL);
	listen_off = c.files[0].root.kids[0].kids[0].words[0].off;
	ASSERT_INT_EQ(ngx_edits_add(&e, 0, listen_off, 6, "listen"), 0);
	ASSERT_INT_EQ(ngx_edits_add(&e, 0, listen_off + 2, 0, "y"), -EINVAL);
	ASSERT_INT_EQ(ngx_edits_add(&e, 0, listen_off + 1, 2, "y"), -EINVAL);
	ASSERT_INT_EQ(ngx_render(&c, &e, 0, &out, &len), 0);
	ASSERT_STR_EQ(out, "server {\n\tinclude x;\n\tlisten 80; # keep me\n\n    server_name  a  "
			   "x \"c d\";\n}");
	ASSERT_INT_EQ(len, strlen(out));
	ASSERT_TRUE(ngx_edits_touch(&e, 0));
	ASSERT_TRUE(!ngx_edits_touch(&e, 1));
	free(out);
	ngx_edits_clear(&e);
	ngx_conf_clear(&c);
}

static char *diff_of(const char *a, const char *b)
{
	char *out = NULL;
	size_t len = 0;

	ASSERT_INT_EQ(ngx_diff("/x.conf", a, strlen(a), b, strlen(b), &out, &len), 0);
	return out;
}

TEST(unified_diff)
{
	char *d;

	d = diff_of("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nnew\n5\n6\n7\n8\n");
	ASSERT_STR_EQ(d, "--- a/x.conf\n+++ b/x.conf\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n"
			 " 7\n");
	free(d);
	d = diff_of("a\nb", "a\nc");
	ASSERT_STR_EQ(d, "--- a/x.conf\n+++ b/x.conf\n@@ -1,2 +1,2 @@\n a\n-b\n"
			 "\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
	free(d);
	d = diff_of("", "x\n");
	ASSERT_STR_EQ(d, "--- a/x.conf\n+++ b/x.conf\n@@ -0,0 +1,1 @@\n+x\n");
	free(d);
	d = diff_of("same\n", "same\n");
	ASSERT_TRUE(d == NULL);
	/* Two changes far apart: two hunks. */
	d = diff_of("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n+\n");
	ASSERT_STR_EQ(d, "--- a/x.conf\n+++ b/x.conf\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n"
			 "@@ -9,3 +10,4 @@\n 9\n 10\n 11\n++\n");
	free(d);
}
