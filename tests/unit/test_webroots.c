/* certonly's web roots as certbot combines them (ctl/webroots.c): -w for
 * the -d options after it, --webroot-map adding domains and winning over
 * -w, the last -w for the rest, and certbot's one refusal. */
#include <unistd.h>

#include "ctl/webroots.h"

#include "test.h"

/* "domain=path domain=path ..." of W's request pairs. */
static const char *pairs(const struct webroots *w)
{
	static char out[1024];
	struct json_object *p = webroots_pairs(w);
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; p && i < json_object_array_length(p); i++) {
		struct json_object *e = json_object_array_get_idx(p, i);

		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s=%s", i ? " " : "",
				      json_object_get_string(json_object_object_get(e, "domain")),
				      json_object_get_string(json_object_object_get(e, "path")));
	}
	json_object_put(p);
	return out;
}

static const char *domains(const struct webroots *w)
{
	return json_object_to_json_string_ext(w->domains, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
}

#define OK(call) ASSERT_INT_EQ((call), 0)

TEST(w_applies_to_the_domains_after_it)
{
	struct webroots w;
	char err[256];

	OK(webroots_init(&w));
	OK(webroots_add_path(&w, "/srv/a", err, sizeof(err)));
	OK(webroots_add_domains(&w, "a.example, www.a.example"));
	OK(webroots_add_path(&w, "/srv/b", err, sizeof(err)));
	OK(webroots_add_domains(&w, "b.example"));
	ASSERT_STR_EQ(pairs(&w), "a.example=/srv/a www.a.example=/srv/a b.example=/srv/b");
	ASSERT_STR_EQ(webroots_last(&w), "/srv/b");
	webroots_clear(&w);
}

TEST(one_w_after_the_domains_serves_them_all)
{
	struct webroots w;
	char err[256];

	OK(webroots_init(&w));
	OK(webroots_add_domains(&w, "a.example"));
	OK(webroots_add_domains(&w, "A.example,b.example,")); /* repeats: once */
	OK(webroots_add_path(&w, "/srv/a", err, sizeof(err)));
	ASSERT_STR_EQ(domains(&w), "[\"a.example\",\"b.example\"]");
	ASSERT_STR_EQ(pairs(&w), "a.example=/srv/a b.example=/srv/a");
	/* certbot: "If you specify multiple webroot paths, one of them must
	 * precede all domain flags". */
	ASSERT_INT_EQ(webroots_add_path(&w, "/srv/b", err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "one of them must precede all domain flags");
	webroots_clear(&w);
}

TEST(webroot_map_adds_domains_and_wins)
{
	struct webroots w;
	char err[256];

	OK(webroots_init(&w));
	OK(webroots_add_path(&w, "/srv/default", err, sizeof(err)));
	OK(webroots_add_domains(&w, "a.example"));
	OK(webroots_add_map(&w, "{\"b.example, www.b.example\": \"/srv/b\", \"A.EXAMPLE\": \"/srv/a\"}",
			    err, sizeof(err)));
	OK(webroots_add_domains(&w, "c.example"));
	ASSERT_STR_EQ(domains(&w), "[\"a.example\",\"b.example\",\"www.b.example\",\"c.example\"]");
	ASSERT_STR_EQ(pairs(&w), "a.example=/srv/a b.example=/srv/b www.b.example=/srv/b "
				 "c.example=/srv/default");
	/* A later -w does not take a mapped domain back. */
	OK(webroots_add_path(&w, "/srv/last", err, sizeof(err)));
	ASSERT_STR_EQ(pairs(&w), "a.example=/srv/a b.example=/srv/b www.b.example=/srv/b "
				 "c.example=/srv/default");
	webroots_clear(&w);
}

TEST(webroot_map_alone)
{
	struct webroots w;
	char err[256], cwd[4096], want[4200];

	OK(webroots_init(&w));
	ASSERT_TRUE(webroots_pairs(&w) == NULL);
	OK(webroots_add_map(&w, "{\"x.example\": \"www\"}", err, sizeof(err)));
	ASSERT_NONNULL(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "x.example=%s/www", cwd);
	ASSERT_STR_EQ(pairs(&w), want);
	ASSERT_TRUE(webroots_last(&w) == NULL);
	webroots_clear(&w);
}

TEST(webroot_map_malformed)
{
	static const char *const bad[] = { "", "[]", "\"/srv\"", "{\"a.example\": 1}",
					   "{\"a.example\": \"\"}", "{\"a.example\": \"/srv\"",
					   "{\"a.example\": null}" };
	struct webroots w;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		OK(webroots_init(&w));
		err[0] = '\0';
		ASSERT_INT_EQ(webroots_add_map(&w, bad[i], err, sizeof(err)), -EINVAL);
		ASSERT_TRUE(err[0] != '\0');
		webroots_clear(&w);
	}
	OK(webroots_init(&w));
	ASSERT_INT_EQ(webroots_add_map(&w, "[]", err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "not a JSON object such as {\"example.com,www.example.com\"");
	webroots_clear(&w);
}
