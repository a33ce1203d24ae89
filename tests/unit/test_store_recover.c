/* The lineage store's recovery from a crash: an intent rolled forward or
 * back, temp files removed, each in a fresh temp state directory; and
 * live/'s lock: a check or a new reader waits for a switch, a switch
 * (recovery's too) for the readers. */
#include "store_fixture.h"

TEST(recover_rolls_forward)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version(), v3 = make_version(), back;
	char err[512];

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	ASSERT_INT_EQ(publish(&f, &v2, err, sizeof(err)), 2);
	write_version_by_hand(&f, 3, &v3);
	write_intent(&f, "3\n");
	check_links(&f, 2);
	ASSERT_INT_EQ(store_recover(f.s, NAME), 0);
	check_links(&f, 3);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/.intent"));
	ASSERT_INT_EQ(store_read_version(f.s, NAME, 0, &back), 0);
	check_same(&v3, &back);
	version_pems_clear(&back);
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	version_pems_clear(&v3);
	fixture_close(&f);
}

TEST(recover_rolls_back)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version(), v3 = make_version();
	char err[512], *p;

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	ASSERT_INT_EQ(publish(&f, &v2, err, sizeof(err)), 2);
	/* Version 3 is broken (its cert is cut short) and the crash came after
	 * the first link switched. */
	v3.cert[100] = '\0';
	write_version_by_hand(&f, 3, &v3);
	write_intent(&f, "3\n");
	p = fpath(&f, "live/" NAME "/privkey.pem");
	ASSERT_INT_EQ(unlink(p), 0);
	ASSERT_INT_EQ(symlink("../../archive/" NAME "/privkey3.pem", p), 0);
	free(p);
	ASSERT_INT_EQ(store_recover(f.s, NAME), 0);
	check_links(&f, 2);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/.intent"));
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	version_pems_clear(&v3);
	fixture_close(&f);
}

/* Temp files a crash left in archive/ (with or without an intent) or in
 * live/ (written only under an intent, so looked for only with one) go;
 * while a publisher holds the lineage, nothing is touched. */
TEST(recover_removes_temps)
{
	static const char *temps[] = { "archive/" NAME "/.cert2.pem.0123456789ab",
				       "live/" NAME "/.cert.pem.abcdef012345" };
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version();
	char err[512], *p;
	int fd;

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	for (size_t i = 0; i < 2; i++) {
		/* Each alone, then both. */
		for (size_t k = 0; k < 2; k++)
			if (k == i || i == 1) {
				p = fpath(&f, temps[k]);
				file_write(p, "x");
				free(p);
			}
		if (i == 1)
			write_intent(&f, "1\n");
		ASSERT_INT_EQ(store_recover(f.s, NAME), 0);
		ASSERT_TRUE(!exists(&f, temps[0]) && !exists(&f, temps[1]));
		ASSERT_TRUE(!exists(&f, "archive/" NAME "/.intent"));
	}
	p = fpath(&f, temps[1]);
	file_write(p, "x");
	free(p);
	write_intent(&f, "1\n");
	p = fpath(&f, "archive/" NAME);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	free(p);
	ASSERT_INT_EQ(flock(fd, LOCK_EX), 0);
	ASSERT_INT_EQ(store_recover(f.s, NAME), 0);
	/* The holder's intent and temps are its own: left alone. */
	ASSERT_TRUE(exists(&f, temps[1]));
	ASSERT_TRUE(exists(&f, "archive/" NAME "/.intent"));
	close(fd);
	ASSERT_INT_EQ(store_recover(f.s, NAME), 0);
	ASSERT_TRUE(!exists(&f, temps[1]));
	check_links(&f, 1);
	version_pems_clear(&v1);
	fixture_close(&f);
}

TEST(recover_without_intent)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version();
	char err[512];

	ASSERT_INT_EQ(store_recover(f.s, NAME), 0); /* no lineage at all */
	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	/* Version 2 complete but never made live and no intent: not ours to switch. */
	write_version_by_hand(&f, 2, &v2);
	ASSERT_INT_EQ(store_recover(f.s, NAME), 0);
	check_links(&f, 1);
	/* An unreadable intent falls back to the newest good version. */
	write_intent(&f, "garbage");
	ASSERT_INT_EQ(store_recover(f.s, NAME), 0);
	check_links(&f, 2);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/.intent"));
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	fixture_close(&f);
}

/* A check looks at a lineage only between switches: a publish in progress
 * (its intent written, live/'s lock held, here by the test) is waited
 * for, not reported as an interrupted update; the check runs in a child
 * that must still be waiting 300 ms later. (A lock is the open file's: a
 * child forked while it is held drops its copy first, as exec does for
 * the daemon's children.) */
TEST(check_waits_for_a_switch_in_progress)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version();
	struct json_object *problems = json_object_new_array();
	struct store_live_lock sw;
	char err[512], *intent = fpath(&f, "archive/" NAME "/.intent");
	int status;
	pid_t pid;

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	ASSERT_INT_EQ(store_live_lock(f.s, false, &sw), 0);
	write_intent(&f, "1\n");
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		struct json_object *seen = json_object_new_array();

		store_live_unlock(&sw); /* the parent's, not ours to hold */
		store_check(f.s, NAME, NULL, seen, NULL);
		_exit(strstr(json_object_to_json_string(seen), ".intent") ? 1 : 0);
	}
	usleep(300 * 1000);
	ASSERT_INT_EQ(waitpid(pid, &status, WNOHANG), 0); /* still waiting */
	ASSERT_INT_EQ(unlink(intent), 0);
	store_live_unlock(&sw);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
	/* Left by a crash (no lock held), it is reported. */
	write_intent(&f, "1\n");
	store_check(f.s, NAME, NULL, problems, NULL);
	ASSERT_STR_CONTAINS(json_object_to_json_string(problems), "was interrupted");
	json_object_put(problems);
	free(intent);
	version_pems_clear(&v1);
	fixture_close(&f);
}

/* A switch waits for the readers there (here the test's shared lock), and
 * while it waits it holds the turnstile: a new reader is turned away. Past
 * the store's live wait it gives up. */
TEST(a_waiting_switch_holds_back_new_readers)
{
	struct fixture f = fixture_open();
	struct store_live_lock rd, rd2, w;
	int status;
	pid_t pid;

	ASSERT_INT_EQ(store_live_lock(f.s, true, &rd), 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		int r;

		store_live_unlock(&rd); /* the parent's, not ours to hold */
		r = store_live_lock(f.s, false, &w);

		store_live_unlock(&w);
		_exit(r == 0 ? 0 : 1);
	}
	usleep(200 * 1000);
	ASSERT_INT_EQ(waitpid(pid, &status, WNOHANG), 0);
	ASSERT_INT_EQ(store_live_lock(f.s, true, &rd2), -EWOULDBLOCK);
	store_live_unlock(&rd);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_INT_EQ(store_live_lock(f.s, true, &rd2), 0);
	store_set_live_wait(f.s, 1);
	ASSERT_INT_EQ(store_live_lock(f.s, false, &w), -EBUSY);
	store_live_unlock(&rd2);
	ASSERT_INT_EQ(store_live_lock(f.s, false, &w), 0);
	store_live_unlock(&w);
	fixture_close(&f);
}

/* Recovery at start-up switches under the lock too: it waits for a reader. */
TEST(recover_waits_for_readers)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version();
	struct store_live_lock rd;
	char err[512];
	int status;
	pid_t pid;

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	write_version_by_hand(&f, 2, &v2);
	write_intent(&f, "2\n");
	ASSERT_INT_EQ(store_live_lock(f.s, true, &rd), 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		store_live_unlock(&rd); /* the parent's, not ours to hold */
		_exit(store_recover(f.s, NAME) == 0 ? 0 : 1);
	}
	usleep(200 * 1000);
	ASSERT_INT_EQ(waitpid(pid, &status, WNOHANG), 0);
	check_links(&f, 1);
	store_live_unlock(&rd);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_links(&f, 2);
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	fixture_close(&f);
}
