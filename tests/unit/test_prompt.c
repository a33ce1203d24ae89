/* acmectl's prompts: lines read from stdin, and a Ctrl-C that comes just
 * after a prompt is printed (before the read starts) ending the wait. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "test.h"

/* STDIN becomes a pipe holding TEXT; its write end stays open unless
 * CLOSE (then the reader sees EOF after TEXT). */
static int stdin_from(const char *text, bool close_it)
{
	int p[2];

	ASSERT_INT_EQ(pipe(p), 0);
	ASSERT_INT_EQ(write(p[1], text, strlen(text)), (long long)strlen(text));
	ASSERT_INT_EQ(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	if (close_it) {
		close(p[1]);
		return -1;
	}
	return p[1];
}

TEST(lines_are_read_one_at_a_time)
{
	char line[8];

	stdin_from("yes\r\nsecond\nmuch too long\nabc", true);
	ASSERT_INT_EQ(prompt_line("? ", line, sizeof(line)), 0);
	ASSERT_STR_EQ(line, "yes");
	ASSERT_INT_EQ(prompt_line("? ", line, sizeof(line)), 0);
	ASSERT_STR_EQ(line, "second");
	ASSERT_INT_EQ(prompt_line("? ", line, sizeof(line)), 0);
	ASSERT_STR_EQ(line, "much to");
	/* The last line without its newline, then the end. */
	ASSERT_INT_EQ(prompt_line("? ", line, sizeof(line)), 0);
	ASSERT_STR_EQ(line, "abc");
	ASSERT_INT_EQ(prompt_line("? ", line, sizeof(line)), -1);
}

/* The Ctrl-C was caught before the prompt's read began: the prompt
 * returns at once, it does not wait for a line that never comes (alarm()
 * kills the test if it does). */
TEST(a_ctrl_c_before_the_read_ends_the_prompt)
{
	char line[8];
	int w = stdin_from("", false);

	interrupt_arm();
	raise(SIGINT);
	ASSERT_TRUE(interrupt_seen());
	alarm(5);
	ASSERT_INT_EQ(prompt_line("? ", line, sizeof(line)), -1);
	alarm(0);
	interrupt_disarm();
	close(w);
}

/* One that comes while the prompt waits ends it too. */
TEST(a_ctrl_c_during_the_read_ends_the_prompt)
{
	char line[8];
	int w = stdin_from("", false);
	pid_t me = getpid(), child;

	interrupt_arm();
	child = fork();
	ASSERT_TRUE(child >= 0);
	if (child == 0) {
		usleep(200 * 1000);
		kill(me, SIGINT);
		_exit(0);
	}
	alarm(5);
	ASSERT_INT_EQ(prompt_line("? ", line, sizeof(line)), -1);
	alarm(0);
	ASSERT_TRUE(interrupt_seen());
	interrupt_disarm();
	close(w);
}
