/* The lineage store's recovery from a crash: an intent rolled forward or
 * back, temp files removed, each in a fresh temp state directory; and a
 * check that waits for a switch in progress instead of reporting it. */
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
 * (its intent written, live/'s lock held) is waited for, not reported as
 * an interrupted update. The "publisher" here is a child that holds the
 * lock with an intent for 300 ms. */
TEST(check_waits_for_a_switch_in_progress)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version();
	struct json_object *problems = json_object_new_array();
	char err[512], c;
	int sync[2], status;
	pid_t pid;

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	ASSERT_INT_EQ(pipe(sync), 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		struct store_live_lock l;
		char *p = fpath(&f, "archive/" NAME "/.intent");

		if (store_live_lock(f.s, false, &l) < 0)
			_exit(1);
		write_intent(&f, "1\n");
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		unlink(p);
		store_live_unlock(&l);
		_exit(0);
	}
	close(sync[1]);
	ASSERT_INT_EQ(read(sync[0], &c, 1), 1);
	store_check(f.s, NAME, NULL, problems, NULL);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_INT_EQ(status, 0);
	for (size_t i = 0; i < json_object_array_length(problems); i++)
		ASSERT_TRUE(!strstr(json_object_get_string(json_object_array_get_idx(problems, i)),
				    ".intent"));
	/* Left by a crash (no lock held), it is reported. */
	write_intent(&f, "1\n");
	store_check(f.s, NAME, NULL, problems, NULL);
	ASSERT_STR_CONTAINS(json_object_to_json_string(problems), "was interrupted");
	close(sync[0]);
	json_object_put(problems);
	version_pems_clear(&v1);
	fixture_close(&f);
}
