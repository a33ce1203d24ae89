/* The manual hooks' runner (plugins/authhook.c): it runs the administrator's
 * hooks for the job's own challenges with certbot's environment, and
 * refuses anything else. Each test starts a real runner process. */
#include "plugins/authhook.h"
#include "error.h"
#include "fsutil.h"
#include "store/renewal.h"
#include "testutil.h"

static char *domains[] = { "*.w.test", "a.test" };

struct fixture {
	char *dir, *auth, *cleanup;
	struct authhook_conf conf;
	struct helper link;
};

/* Hooks that append their CERTBOT_ variables to DIR/auth.env or
 * DIR/cleanup.env; the auth hook prints a line. */
static void start(struct fixture *f, const char *auth_extra)
{
	f->dir = tmpdir_make();
	ASSERT_TRUE(asprintf(&f->auth, "env | grep ^CERTBOT_ | sort >> %s/auth.env; %s; "
				       "echo out-$CERTBOT_DOMAIN",
			     f->dir, auth_extra) > 0);
	ASSERT_TRUE(asprintf(&f->cleanup, "env | grep -E '^(CERTBOT_|ACMED_HOOK)' | sort "
					  ">> %s/cleanup.env",
			     f->dir) > 0);
	f->conf = (struct authhook_conf){ .auth_hook = f->auth, .cleanup_hook = f->cleanup,
					  .domains = domains, .ndomains = 2, .timeout = 2 };
	ASSERT_INT_EQ(authhook_start(&f->conf, &f->link), 0);
}

static void stop(struct fixture *f)
{
	authhook_stop(&f->link);
	free(f->auth);
	free(f->cleanup);
	free(f->dir);
}

static char *read_env(struct fixture *f, const char *which)
{
	char *path = NULL, *text = NULL;
	size_t len;

	ASSERT_TRUE(asprintf(&path, "%s/%s.env", f->dir, which) > 0);
	if (fs_read_file(path, 65536, &text, &len) < 0)
		text = strdup("");
	free(path);
	return text;
}

TEST(runs_the_hooks_with_certbots_environment)
{
	struct fixture f;
	char *env;

	start(&f, "true");
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "http-01", "tok-1", "tok-1.thumb", 1), 0);
	/* The wildcard's authorization names its base. */
	ASSERT_INT_EQ(authhook_auth(&f.link, "w.test", "dns-01", NULL, "AbC_-d", 0), 0);
	env = read_env(&f, "auth");
	ASSERT_STR_EQ(env, "CERTBOT_ALL_DOMAINS=*.w.test,a.test\n"
			   "CERTBOT_DOMAIN=a.test\n"
			   "CERTBOT_REMAINING_CHALLENGES=1\n"
			   "CERTBOT_TOKEN=tok-1\n"
			   "CERTBOT_VALIDATION=tok-1.thumb\n"
			   "CERTBOT_ALL_DOMAINS=*.w.test,a.test\n"
			   "CERTBOT_DOMAIN=w.test\n"
			   "CERTBOT_REMAINING_CHALLENGES=0\n"
			   "CERTBOT_VALIDATION=AbC_-d\n");
	free(env);
	ASSERT_INT_EQ(authhook_cleanup(&f.link, "w.test", "dns-01", NULL, "AbC_-d", 0), 0);
	env = read_env(&f, "cleanup");
	ASSERT_STR_EQ(env, "ACMED_HOOK=manual-cleanup\n"
			   "CERTBOT_ALL_DOMAINS=*.w.test,a.test\n"
			   "CERTBOT_AUTH_OUTPUT=out-w.test\n"
			   "CERTBOT_DOMAIN=w.test\n"
			   "CERTBOT_REMAINING_CHALLENGES=0\n"
			   "CERTBOT_VALIDATION=AbC_-d\n");
	free(env);
	stop(&f);
}

TEST(refuses_what_is_not_the_jobs)
{
	struct fixture f;
	char *env;

	start(&f, "true");
	ASSERT_INT_EQ(authhook_auth(&f.link, "evil.test", "dns-01", NULL, "abc", 0), -EPERM);
	ASSERT_STR_CONTAINS(f.link.err, "evil.test is not one of this job's names");
	ASSERT_INT_EQ(authhook_auth(&f.link, "x.w.test", "dns-01", NULL, "abc", 0), -EPERM);
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "tls-alpn-01", NULL, "abc", 0), -EINVAL);
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "dns-01", NULL, "a;rm -rf /", 0), -EINVAL);
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "http-01", "../x", "t.x", 0), -EINVAL);
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "dns-01", "tok", "abc", 0), -EINVAL);
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "dns-01", NULL, "abc", 99), -EINVAL);
	/* A cleanup only for a challenge whose auth hook ran. */
	ASSERT_INT_EQ(authhook_cleanup(&f.link, "a.test", "dns-01", NULL, "abc", 0), -EPERM);
	ASSERT_STR_CONTAINS(f.link.err, "no auth hook ran for that challenge");
	/* None of those ran a hook. */
	env = read_env(&f, "auth");
	ASSERT_STR_EQ(env, "");
	free(env);
	stop(&f);
}

TEST(a_failing_or_hanging_hook_fails_the_challenge)
{
	struct fixture f;

	start(&f, "exit 4");
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "dns-01", NULL, "abc", 0), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(f.link.err, "the auth hook failed with exit status 4");
	stop(&f);
	start(&f, "sleep 30 & sleep 30");
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "dns-01", NULL, "abc", 0), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(f.link.err, "killed after 2 s");
	stop(&f);
}

/* Its stderr, cleaned and capped to its last 4 KiB, is in the error; its
 * stdout is not (that is CERTBOT_AUTH_OUTPUT). */
TEST(a_failing_hooks_error_output_is_in_the_error)
{
	struct fixture f;

	start(&f, "echo to-stdout; printf 'zone \\033[31mnot found\\n' >&2; exit 3");
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "dns-01", NULL, "abc", 0), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(f.link.err, "the auth hook failed with exit status 3; its error "
					"output: zone  [31mnot found");
	ASSERT_TRUE(!strstr(f.link.err, "to-stdout"));
	ASSERT_TRUE(!strchr(f.link.err, '\033'));
	stop(&f);
	start(&f, "head -c 10000 /dev/zero | tr '\\0' x >&2; echo the-end >&2; exit 1");
	ASSERT_INT_EQ(authhook_auth(&f.link, "a.test", "dns-01", NULL, "abc", 0), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(f.link.err, "its error output: ...xxx");
	ASSERT_STR_CONTAINS(f.link.err, "xxxthe-end");
	ASSERT_TRUE(strlen(f.link.err) < 4096 + 200);
	stop(&f);
}

TEST(preferred_challenges_parse_as_certbot)
{
	char canon[64], err[128];

	ASSERT_INT_EQ(authn_parse_preferred("dns,http", canon, sizeof(canon), err, sizeof(err)), 0);
	ASSERT_STR_EQ(canon, "dns-01,http-01");
	ASSERT_INT_EQ(authn_parse_preferred(" HTTP-01 , dns,http", canon, sizeof(canon), err,
					    sizeof(err)), 0);
	ASSERT_STR_EQ(canon, "http-01,dns-01");
	ASSERT_INT_EQ(authn_parse_preferred("tls-alpn", canon, sizeof(canon), err, sizeof(err)), 0);
	ASSERT_STR_EQ(canon, "tls-alpn-01");
	ASSERT_INT_EQ(authn_parse_preferred("dns,smoke", canon, sizeof(canon), err, sizeof(err)),
		      -EINVAL);
	ASSERT_STR_CONTAINS(err, "'smoke' is not a challenge type");
	ASSERT_INT_EQ(authn_parse_preferred(",", canon, sizeof(canon), err, sizeof(err)), -EINVAL);
}
