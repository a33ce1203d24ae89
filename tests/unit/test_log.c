/* The log (common/log.c): one message is one line, whatever text from
 * outside it carries. */
#include "fsutil.h"
#include "log.h"
#include "testutil.h"

/* What log_msg wrote to stderr while logging MSG as a warning. */
static char *logged(const char *msg)
{
	char *dir = tmpdir_make(), path[512], *out = NULL;
	size_t len;
	int saved = dup(STDERR_FILENO), fd;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_warning("refused: %s", msg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	ASSERT_INT_EQ(fs_read_file(path, 4096, &out, &len), 0);
	free(dir);
	return out;
}

TEST(control_characters_cannot_forge_lines)
{
	char *out = logged("root@a.test\nacmed[error]: forged\r\033[2Jx\x7f");

	ASSERT_STR_EQ(out, "acmed[warning]: refused: root@a.test acmed[error]: forged  [2Jx \n");
	free(out);
	out = logged("tabs\tand UTF-8 caf\xc3\xa9 stay");
	ASSERT_STR_EQ(out, "acmed[warning]: refused: tabs and UTF-8 caf\xc3\xa9 stay\n");
	free(out);
}



/* log_set_mirror(): what a job hands acmectl -v. */
static char mirrored[4][256];
static int nmirrored;

static void mirror_fn(enum log_level level, const char *line)
{
	if (nmirrored < 4)
		snprintf(mirrored[nmirrored++], sizeof(mirrored[0]), "%s %s", log_level_name(level),
			 line);
}

TEST(mirror_takes_debug_lines_below_the_log_level)
{
	pid_t pid;
	int status;

	log_set_level(LOG_LVL_ERROR);
	log_set_mirror(LOG_LVL_DEBUG, mirror_fn);
	log_debug("GET %s: %d", "https://ca.test/dir", 200);
	log_info("a\nb");
	ASSERT_INT_EQ(nmirrored, 2);
	ASSERT_STR_EQ(mirrored[0], "debug GET https://ca.test/dir: 200");
	ASSERT_STR_EQ(mirrored[1], "info a b");
	/* A child forked afterwards (a job's signer) does not write to it. */
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		log_debug("from the child");
		_exit(nmirrored == 2 ? 0 : 1);
	}
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_INT_EQ(status, 0);
	log_set_mirror(LOG_LVL_DEBUG, NULL);
	log_debug("after");
	ASSERT_INT_EQ(nmirrored, 2);
}
