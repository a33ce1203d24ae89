/* A tiny unit-test harness. TEST(name) { ... } defines and registers a test;
 * main() runs each in a forked child, so a crash or a leak the sanitizers
 * find fails that test alone and umask or rlimit changes do not carry over.
 * A failed ASSERT_* prints file, line and both values and ends the test, also
 * from a helper. Output is TAP; `./test_x NAME...` runs the named tests. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_MAX 128

struct test_case {
	const char *name;
	void (*fn)(void);
};
static struct test_case test_table[TEST_MAX];
static int test_count;

#define TEST(name)                                                                        \
	static void test_##name(void);                                                    \
	__attribute__((constructor)) static void test_register_##name(void)               \
	{                                                                                 \
		if (test_count < TEST_MAX)                                                \
			test_table[test_count++] = (struct test_case){ #name, test_##name }; \
	}                                                                                 \
	static void test_##name(void)

__attribute__((noreturn, format(printf, 3, 4))) static void test_fail(const char *file, int line,
								      const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1); /* exit(), not _exit(): LeakSanitizer checks at exit */
}

#define TEST_CHECK(cond, ...) \
	do { if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)

#define ASSERT_TRUE(c) TEST_CHECK(c, "expected true: %s", #c)
#define ASSERT_NONNULL(p) TEST_CHECK((p) != NULL, "expected non-NULL: %s", #p)

#define ASSERT_INT_EQ(a, b)                                                                 \
	do {                                                                                \
		long long ta_ = (long long)(a), tb_ = (long long)(b);                       \
		TEST_CHECK(ta_ == tb_, "%s == %s: %lld != %lld", #a, #b, ta_, tb_);         \
	} while (0)
#define ASSERT_EQ(a, b) ASSERT_INT_EQ(a, b)

#define ASSERT_STR_EQ(a, b)                                                                 \
	do {                                                                                \
		const char *ta_ = (a), *tb_ = (b);                                          \
		TEST_CHECK(ta_ && tb_ && strcmp(ta_, tb_) == 0, "%s == %s: \"%s\" != \"%s\"", \
			   #a, #b, ta_ ? ta_ : "(null)", tb_ ? tb_ : "(null)");             \
	} while (0)

/* H contains N: for error messages. */
#define ASSERT_STR_CONTAINS(h, n)                                                           \
	do {                                                                                \
		const char *th_ = (h), *tn_ = (n);                                          \
		TEST_CHECK(th_ && strstr(th_, tn_), "%s contains %s: \"%s\" lacks \"%s\"", #h, \
			   #n, th_ ? th_ : "(null)", tn_);                                  \
	} while (0)

/* Run test I in a child; true if it passed. */
static bool test_run(int i)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		test_table[i].fn();
		fflush(stdout);
		exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("# fork/waitpid: %s\n", strerror(errno));
		return false;
	}
	if (WIFSIGNALED(status))
		printf("# killed by signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) > 1)
		printf("# exited with status %d\n", WEXITSTATUS(status));
	return status == 0;
}

int main(int argc, char **argv)
{
	int failed = 0, n = 0;

	for (int i = 0; i < test_count; i++) {
		bool selected = argc < 2, ok;

		for (int a = 1; a < argc; a++)
			selected |= strcmp(argv[a], test_table[i].name) == 0;
		if (!selected)
			continue;
		ok = test_run(i);
		failed += !ok;
		printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, test_table[i].name);
	}
	printf("1..%d\n", n); /* TAP allows the plan at the end */
	return failed || n == 0 ? 1 : 0;
}
