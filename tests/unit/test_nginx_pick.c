/* Server block selection (ctl/nginx/ngx_pick.c) by nginx's documented
 * order: listen address first, then exact name, longest leading wildcard,
 * longest trailing wildcard, first regex, default server. */
#include "error.h"
#include "util.h"
#include "ctl/nginx/ngx_pick.h"

#include "testutil.h"

struct fixture {
	struct ngx_conf c;
	struct ngx_servers s;
};

static void load(struct fixture *f, const char *http_body)
{
	char *d = tmpdir_make(), *p = path_join(d, "nginx.conf"), *text, err[512] = "";

	ASSERT_TRUE(asprintf(&text, "events {}\nhttp {\n%s}\n", http_body) > 0);
	file_write(p, text);
	TEST_CHECK(ngx_conf_load(p, &f->c, err, sizeof(err)) == 0, "%s", err);
	ASSERT_INT_EQ(ngx_servers_collect(&f->c, &f->s), 0);
	free(text);
	free(p);
	free(d);
}

static void unload(struct fixture *f)
{
	ngx_servers_clear(&f->s);
	ngx_conf_clear(&f->c);
}

/* "addr=server-index/how ..." for NAME on PORT. */
static const char *picks(const struct fixture *f, const char *name, unsigned port)
{
	static char out[512];
	struct ngx_pick *p = NULL;
	size_t n = 0, len = 0;
	char warn[256];

	ASSERT_INT_EQ(ngx_pick(&f->s, name, port, &p, &n, warn, sizeof(warn)), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s=%zu/%d", i ? " " : "",
					p[i].addr, p[i].server, p[i].how);
	free(p);
	return out;
}

#define EXACT "0"
#define LEAD "1"
#define TRAIL "2"
#define REGEX "3"
#define DEFAULT "4"

TEST(names_in_nginx_order)
{
	struct fixture f;

	load(&f, "server { listen 80; server_name ~^(?<sub>\\w+)\\.example\\.org$; }\n"
		 "server { listen 80; server_name *.example.org; }\n"
		 "server { listen 80; server_name www.example.*; }\n"
		 "server { listen 80; server_name WWW.Example.org; }\n"
		 "server { listen 80; server_name *.b.example.org .c.example.org; }\n"
		 "server { listen 80; server_name \"~^x\\d+\\.example\\.net$\"; }\n");
	ASSERT_INT_EQ(f.s.n, 6);
	ASSERT_STR_EQ(picks(&f, "www.example.org", 80), "*=3/" EXACT);
	ASSERT_STR_EQ(picks(&f, "a.example.org", 80), "*=1/" LEAD);
	ASSERT_STR_EQ(picks(&f, "a.b.example.org", 80), "*=4/" LEAD);
	ASSERT_STR_EQ(picks(&f, "c.example.org", 80), "*=4/" LEAD);
	ASSERT_STR_EQ(picks(&f, "www.example.com", 80), "*=2/" TRAIL);
	ASSERT_STR_EQ(picks(&f, "x12.example.net", 80), "*=5/" REGEX);
	ASSERT_STR_EQ(picks(&f, "xy.example.net", 80), "*=0/" DEFAULT);
	ASSERT_STR_EQ(picks(&f, "example.org", 80), "*=0/" DEFAULT);
	ASSERT_STR_EQ(picks(&f, "example.org", 443), "");
	unload(&f);
}

TEST(first_regex_in_order_wins)
{
	struct fixture f;

	load(&f, "server { server_name ~^a; }\nserver { server_name ~^ab; }\n"
		 "server { server_name ~^(?:b|c)x; }\n");
	ASSERT_STR_EQ(picks(&f, "abc.example", 80), "*=0/" REGEX);
	ASSERT_STR_EQ(picks(&f, "cx.example", 80), "*=2/" REGEX);
	unload(&f);
}

TEST(default_server_and_addresses)
{
	struct fixture f;

	load(&f, "server { listen 80; server_name a.example; }\n"
		 "server { listen 0.0.0.0:80 default_server; server_name b.example; }\n"
		 "server { listen 127.0.0.1:80; server_name c.example; }\n"
		 "server { listen 127.0.0.1; server_name d.example; }\n"
		 "server { listen [::]:80; listen [0::0]:8080; server_name a.example; }\n"
		 "server { listen 80 ssl; server_name e.example; }\n"
		 "server { listen unix:/run/x.sock; server_name a.example; }\n");
	/* 0.0.0.0 is "*"; 127.0.0.1 is its own address: there a.example is not
	 * found (the "*" blocks are not asked), so its first block answers. */
	ASSERT_STR_EQ(picks(&f, "a.example", 80), "*=0/" EXACT " 127.0.0.1=2/" DEFAULT " [::]=4/" EXACT);
	ASSERT_STR_EQ(picks(&f, "x.example", 80), "*=1/" DEFAULT " 127.0.0.1=2/" DEFAULT " [::]=4/" DEFAULT);
	ASSERT_STR_EQ(picks(&f, "d.example", 80), "*=1/" DEFAULT " 127.0.0.1=3/" EXACT " [::]=4/" DEFAULT);
	/* An ssl listen on the port does not answer plain HTTP. */
	ASSERT_STR_EQ(picks(&f, "e.example", 80), "*=1/" DEFAULT " 127.0.0.1=2/" DEFAULT " [::]=4/" DEFAULT);
	ASSERT_STR_EQ(picks(&f, "a.example", 8080), "[::]=4/" EXACT);
	unload(&f);
}

TEST(servers_through_includes_and_no_listen)
{
	char *d = tmpdir_make(), *p, err[256];
	struct fixture f;

	p = path_join(d, "sites"), mkdir(p, 0755), free(p);
	p = path_join(d, "sites/one"), file_write(p, "server {\n include listen.conf;\n"
						 " server_name one.example;\n}\n"), free(p);
	p = path_join(d, "listen.conf"), file_write(p, "listen 8080 default;\n"), free(p);
	p = path_join(d, "nginx.conf");
	file_write(p, "http { server { server_name plain.example; } include sites/*; }\n"
		      "stream { server { listen 80; } }\n");
	TEST_CHECK(ngx_conf_load(p, &f.c, err, sizeof(err)) == 0, "%s", err);
	free(p);
	ASSERT_INT_EQ(ngx_servers_collect(&f.c, &f.s), 0);
	ASSERT_INT_EQ(f.s.n, 2);
	ASSERT_STR_EQ(picks(&f, "plain.example", 80), "*=0/" EXACT);
	ASSERT_STR_EQ(picks(&f, "one.example", 8080), "*=1/" EXACT);
	ASSERT_TRUE(f.s.v[1].listens[0].def);
	ASSERT_STR_EQ(f.c.files[f.s.v[1].file].path + strlen(d), "/sites/one");
	unload(&f);
	free(d);
}

TEST(pcre_only_regex_is_reported)
{
	struct fixture f;
	struct ngx_pick *p = NULL;
	size_t n = 0;
	char warn[256];

	load(&f, "server { server_name a.example; }\nserver { server_name ~^(?=x)\\d; }\n");
	ASSERT_INT_EQ(ngx_pick(&f.s, "x1", 80, &p, &n, warn, sizeof(warn)), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(p[0].how, NGX_MATCH_DEFAULT);
	ASSERT_STR_CONTAINS(warn, "~^(?=x)\\d");
	free(p);
	unload(&f);
}
