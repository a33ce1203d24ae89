/* hookcheck: certbot's check of a hook's first word, with a PATH made of
 * a temporary directory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "hookcheck.h"
#include "test.h"

static char dir[64];

static void make_file(const char *name, mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_EQ(chmod(path, mode), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hookcheck.XXXXXX");
	ASSERT_NONNULL(mkdtemp(dir));
	make_file("reload-it", 0755);
	make_file("plain", 0644);
	ASSERT_EQ(mkdir(strcat(strcpy((char[128]){ 0 }, dir), "/subdir"), 0755), 0);
}

static int check(const char *kind, const char *cmd, char *err)
{
	char search[128];

	snprintf(search, sizeof(search), "/nonexistent:%s", dir);
	err[0] = '\0';
	return hookcheck_command(kind, cmd, search, err, 512);
}

TEST(none_is_fine)
{
	char err[512];

	setup();
	ASSERT_EQ(check("pre", NULL, err), 0);
	ASSERT_EQ(check("pre", "", err), 0);
	ASSERT_EQ(check("pre", "  \t ", err), 0);
}

TEST(found_in_the_path)
{
	char err[512];

	setup();
	ASSERT_EQ(check("deploy", "reload-it nginx", err), 0);
	ASSERT_EQ(check("deploy", "\treload-it", err), 0);
}

TEST(typo_in_certbots_words)
{
	char err[512];

	setup();
	ASSERT_EQ(check("deploy", "reload-itt nginx", err), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(err, "Unable to find deploy-hook command reload-itt in the PATH.");
	ASSERT_STR_CONTAINS(err, "(PATH is /nonexistent:/tmp/hookcheck.");
	ASSERT_STR_CONTAINS(err, "--disable-hook-validation");
}

TEST(not_executable_or_not_a_file)
{
	char err[512], cmd[160];

	setup();
	/* In the PATH but without an execute bit, or a directory: not found. */
	ASSERT_EQ(check("post", "plain", err), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(err, "Unable to find post-hook command plain in the PATH.");
	ASSERT_EQ(check("post", "subdir", err), ACMED_EHOOK);
	snprintf(cmd, sizeof(cmd), "%s/plain --flag", dir);
	ASSERT_EQ(check("manual-auth", cmd, err), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(err, "manual-auth-hook command /tmp/hookcheck.");
	ASSERT_STR_CONTAINS(err, "/plain exists, but is not executable.");
	ASSERT_STR_CONTAINS(err, "chmod +x");
	snprintf(cmd, sizeof(cmd), "%s/subdir", dir);
	ASSERT_EQ(check("pre", cmd, err), ACMED_EHOOK);
	snprintf(cmd, sizeof(cmd), "%s/reload-it x", dir);
	ASSERT_EQ(check("pre", cmd, err), 0);
}

TEST(paths_count_from_the_root)
{
	char err[512];

	setup();
	ASSERT_EQ(check("pre", "/bin/sh -c true", err), 0);
	ASSERT_EQ(check("pre", "bin/sh", err), 0); /* hooks run in / */
	ASSERT_EQ(check("pre", "./nosuch/thing", err), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(err, "Unable to find pre-hook command ./nosuch/thing.");
}

TEST(an_overlong_word_is_refused)
{
	char err[512], *cmd = malloc(5000);

	setup();
	memset(cmd, 'a', 4999);
	cmd[4999] = '\0';
	ASSERT_EQ(check("pre", cmd, err), ACMED_EHOOK);
	ASSERT_STR_CONTAINS(err, "too long");
	free(cmd);
}
