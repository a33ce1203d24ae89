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
static char seen[4][256];
static int nseen;

static void mirror_fn(enum log_level level, const char *line)
{
	if (nseen < 4)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s %s", log_level_name(level),
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
	ASSERT_INT_EQ(nseen, 2);
	ASSERT_STR_EQ(seen[0], "debug GET https://ca.test/dir: 200");
	ASSERT_STR_EQ(seen[1], "info a b");
	/* A child forked afterwards (a job's signer) does not write to it. */
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		log_debug("from the child");
		_exit(nseen == 2 ? 0 : 1);
	}
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_INT_EQ(status, 0);
	log_set_mirror(LOG_LVL_DEBUG, NULL);
	log_debug("after");
	ASSERT_INT_EQ(nseen, 2);
}

/* ---- the journal, through a socket of the test's own ---- */

#include <sys/socket.h>
#include <sys/un.h>

static char journal_path[108];
#define JOURNAL_SOCKET journal_path
#include "common/log.c"

/* Bind a datagram socket where log.c sends journal entries. */
static int journal_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *dir = tmpdir_make();
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(journal_path, sizeof(journal_path), "%s/journal", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", journal_path);
	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	free(dir);
	sink = SINK_JOURNAL;
	return fd;
}

/* The next entry, NUL-terminated (binary fields have no NUL here). */
static char *next_entry(int fd)
{
	static char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
	return buf;
}

TEST(journal_entry_fields)
{
	int fd = journal_listen();

	log_job(LOG_LVL_WARNING, 7, "a.test", "renewal of %s failed", "a.test");
	ASSERT_STR_EQ(next_entry(fd), "MESSAGE=renewal of a.test failed\nPRIORITY=4\n"
				      "SYSLOG_IDENTIFIER=acmed\nACMED_JOB=7\nACMED_CERT_NAME=a.test\n");
	/* A job's process: its context on every line. */
	log_set_context(3, "b.test", NULL);
	log_error("validating b.test failed");
	ASSERT_STR_EQ(next_entry(fd), "MESSAGE=job 3 b.test: validating b.test failed\n"
				      "PRIORITY=3\nSYSLOG_IDENTIFIER=acmed\nACMED_JOB=3\n"
				      "ACMED_CERT_NAME=b.test\n");
	log_set_context(0, NULL, NULL);
	log_debug("below the level");
	log_info("no context");
	ASSERT_STR_EQ(next_entry(fd), "MESSAGE=no context\nPRIORITY=6\nSYSLOG_IDENTIFIER=acmed\n");
	close(fd);
}

TEST(journal_binary_field)
{
	struct entry e = { .len = 0 };

	field(&e, "K", "a\nb");
	ASSERT_INT_EQ(e.len, 2 + 8 + 3 + 1);
	ASSERT_TRUE(memcmp(e.buf, "K\n\3\0\0\0\0\0\0\0a\nb\n", e.len) == 0);
	ASSERT_TRUE(!e.truncated);
}

/* A forked helper's close_range() took the socket's number, and it went
 * to a socket pair: the entry still reaches the journal, through a new
 * socket, and the pair is neither written to nor closed. */
TEST(journal_socket_taken_away)
{
	int fd = journal_listen(), sv[2], old;
	char c;

	log_info("first");
	ASSERT_STR_CONTAINS(next_entry(fd), "MESSAGE=first\n");
	old = journal_fd;
	ASSERT_TRUE(old >= 0);
	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ASSERT_INT_EQ(dup2(sv[0], old), old); /* closes the log's socket */
	log_info("second");
	ASSERT_STR_CONTAINS(next_entry(fd), "MESSAGE=second\n");
	ASSERT_TRUE(journal_fd >= 0 && journal_fd != old);
	ASSERT_TRUE(fcntl(old, F_GETFD) >= 0);
	ASSERT_TRUE(recv(sv[1], &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN);
	/* Closed outright: EBADF, and again a new socket. */
	close(journal_fd);
	log_info("third");
	ASSERT_STR_CONTAINS(next_entry(fd), "MESSAGE=third\n");
	/* log_close() before a close_range(): the next entry opens one. */
	log_close();
	ASSERT_INT_EQ(journal_fd, -1);
	log_info("fourth");
	ASSERT_STR_CONTAINS(next_entry(fd), "MESSAGE=fourth\n");
	close(fd);
}
