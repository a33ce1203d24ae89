/* The webroot authenticator: where it writes, what it refuses, what it
 * leaves behind. */
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "plugins/plugin.h"
#include "testutil.h"

#define CHALLENGE ".well-known/acme-challenge"

static struct authn_config webroot_cfg(char *root, char *domain)
{
	static struct webroot_entry e;

	e = (struct webroot_entry){ domain, root };
	return (struct authn_config){ .name = "webroot", .webroot = &e, .nwebroot = 1 };
}

/* setup() for one domain (and teardown(), when it fails) in one call. */
static int setup(const struct authenticator *au, const struct authn_config *cfg,
		 char *const *domains, size_t n, struct authn_job **job, char *err, size_t len)
{
	*job = NULL;
	return au->setup(&(struct authn_setup){ cfg, domains, n, 10, NULL, NULL }, job, err, len);
}

TEST(lookup)
{
	ASSERT_TRUE(authn_impl((enum authn_kind)authn_find("webroot")) == &authn_webroot);
	ASSERT_TRUE(authn_impl((enum authn_kind)authn_find("standalone")) == &authn_standalone);
	ASSERT_TRUE(authn_impl((enum authn_kind)authn_find("manual")) == &authn_manual);
	ASSERT_TRUE(authn_impl((enum authn_kind)authn_find("dns-rfc2136")) == &authn_rfc2136);
	/* nginx serves acmed's own web root: webroot's code writes the files. */
	ASSERT_TRUE(authn_impl((enum authn_kind)authn_find("nginx")) == &authn_webroot);
	ASSERT_INT_EQ(authn_find("dns-route53"), -1);
	ASSERT_TRUE(authn_answers(AUTHN_STANDALONE, "tls-alpn-01"));
	ASSERT_TRUE(!authn_answers(AUTHN_WEBROOT, "dns-01"));
}

TEST(writes_and_removes_the_response)
{
	char *root = tmpdir_make(), *file, text[128];
	struct authn_config cfg = webroot_cfg(root, "a.example.com");
	struct authn_challenge ch = { "a.example.com", "http-01", "tok_en-1", "tok_en-1.thumb",
				      "tok_en-1.thumb" };
	struct authn_state *st = NULL;
	struct authn_job *job;
	char err[256] = "";
	FILE *f;

	ASSERT_INT_EQ(setup(&authn_webroot, &cfg, (char *[]){ "a.example.com" }, 1, &job, err,
			    sizeof(err)),
		      0);
	ASSERT_INT_EQ(authn_webroot.perform(job, &ch, 1, &st, err, sizeof(err)), 0);
	file = path_join(root, ".well-known/acme-challenge/tok_en-1");
	f = fopen(file, "r");
	ASSERT_NONNULL(f);
	ASSERT_NONNULL(fgets(text, sizeof(text), f));
	fclose(f);
	ASSERT_STR_EQ(text, "tok_en-1.thumb");
	ASSERT_INT_EQ(file_mode(file), 0644);
	authn_webroot.cleanup(job, st);
	authn_webroot.teardown(job);
	/* The file and the directories it created are gone; the root stays. */
	ASSERT_INT_EQ(dir_count(root, NULL), 0);
	free(file);
	tmpdir_remove(root);
}

/* Jobs side by side on one web root (renewals run in parallel): each
 * one's cleanup removes the directories it made once empty, perhaps between
 * another's mkdir and its write; that one makes them again. Four processes,
 * 300 rounds each of perform and cleanup. */
TEST(jobs_side_by_side_on_one_web_root)
{
	char *root = tmpdir_make();
	pid_t pids[4];
	int failed = 0;

	for (int p = 0; p < 4; p++) {
		pids[p] = fork();
		ASSERT_TRUE(pids[p] >= 0);
		if (pids[p] > 0)
			continue;
		for (int round = 0; round < 300; round++) {
			char tok[32], ka[64], err[256] = "";
			struct authn_config cfg = webroot_cfg(root, "a.example.com");
			struct authn_challenge ch = { "a.example.com", "http-01", tok, ka, ka };
			struct authn_state *st = NULL;
			struct authn_job *job;

			snprintf(tok, sizeof(tok), "t%d-%d", p, round);
			snprintf(ka, sizeof(ka), "%s.thumb", tok);
			if (setup(&authn_webroot, &cfg, (char *[]){ "a.example.com" }, 1, &job, err,
				  sizeof(err)) < 0 ||
			    authn_webroot.perform(job, &ch, 1, &st, err, sizeof(err)) < 0) {
				fprintf(stderr, "# process %d, round %d: %s\n", p, round, err);
				_exit(1);
			}
			authn_webroot.cleanup(job, st);
			authn_webroot.teardown(job);
		}
		_exit(0);
	}
	for (int p = 0; p < 4; p++) {
		int status;

		ASSERT_INT_EQ(waitpid(pids[p], &status, 0), pids[p]);
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	ASSERT_INT_EQ(failed, 0);
	/* Every response is gone. The directories stay when the job that made
	 * them found another's response in them at its cleanup: empty. */
	{
		char *wk = path_join(root, ".well-known"), *ac = path_join(root, CHALLENGE);

		ASSERT_TRUE(dir_count(root, NULL) <= 1);
		ASSERT_TRUE(dir_count(root, NULL) == 0 || dir_count(wk, NULL) <= 1);
		ASSERT_TRUE(access(ac, F_OK) < 0 || dir_count(ac, NULL) == 0);
		free(wk);
		free(ac);
	}
	tmpdir_remove(root);
}

/* A token from the CA is checked before it becomes part of a path. */
TEST(rejects_a_token_that_is_not_base64url)
{
	static const char *const bad[] = { "../../etc/passwd", "a/b", "", "tok.en", "x y" };
	char *root = tmpdir_make();
	struct authn_config cfg = webroot_cfg(root, "a.example.com");
	struct authn_job *job;
	char err[256];

	ASSERT_INT_EQ(setup(&authn_webroot, &cfg, (char *[]){ "a.example.com" }, 1, &job, err,
			    sizeof(err)),
		      0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct authn_challenge ch = { "a.example.com", "http-01", bad[i], "x.y", "x.y" };
		struct authn_state *st = NULL;

		err[0] = '\0';
		ASSERT_INT_EQ(authn_webroot.perform(job, &ch, 1, &st, err, sizeof(err)),
			      ACMED_EPROTO);
		ASSERT_STR_CONTAINS(err, "not base64url");
		ASSERT_TRUE(st == NULL);
		ASSERT_INT_EQ(dir_count(root, NULL), 0);
	}
	authn_webroot.teardown(job);
	tmpdir_remove(root);
}

TEST(setup_names_the_problem)
{
	char *root = tmpdir_make(), *missing = path_join(root, "nope"), *file;
	struct authn_config cfg = webroot_cfg(missing, "a.example.com");
	struct authn_job *job;
	char err[256] = "";

	ASSERT_INT_EQ(setup(&authn_webroot, &cfg, (char *[]){ "a.example.com" }, 1, &job, err,
			    sizeof(err)),
		      -ENOENT);
	ASSERT_STR_CONTAINS(err, missing);
	/* A domain without a webroot. */
	cfg = webroot_cfg(root, "a.example.com");
	ASSERT_TRUE(setup(&authn_webroot, &cfg, (char *[]){ "b.example.com" }, 1, &job, err,
			  sizeof(err)) < 0);
	ASSERT_STR_CONTAINS(err, "no webroot for b.example.com");
	/* A file where the webroot should be. */
	file = path_join(root, "file");
	file_write(file, "x");
	cfg = webroot_cfg(file, "a.example.com");
	ASSERT_TRUE(setup(&authn_webroot, &cfg, (char *[]){ "a.example.com" }, 1, &job, err,
			  sizeof(err)) < 0);
	ASSERT_STR_CONTAINS(err, "not a directory");
	free(missing);
	free(file);
	tmpdir_remove(root);
}

TEST(standalone_rejects_a_bad_address)
{
	struct authn_config cfg = { .name = "standalone", .http01_address = "example.com" };
	struct authn_job *job;
	char err[256] = "";

	ASSERT_INT_EQ(setup(&authn_standalone, &cfg, NULL, 0, &job, err, sizeof(err)),
		      ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(err, "not an IP address");
}
