/* store_materialise(): a version another host of a cluster published,
 * written here under its own number. */
#include <fcntl.h>
#include <sys/file.h>

#include "test.h"
#include "store_fixture.h"

static int materialise(struct fixture *f, int n, const struct version_pems *v, bool live,
		       bool *switched)
{
	char err[512] = "";

	return store_materialise(f->s, NAME, n, v, live, switched, err, sizeof(err));
}

/* Version 3 into an empty store: written under 3, not 1; live/ at it. */
TEST(own_number_and_live)
{
	struct fixture f = fixture_open();
	struct version_pems v = make_version(), back;
	bool sw = false;

	ASSERT_INT_EQ(materialise(&f, 3, &v, true, &sw), 0);
	ASSERT_TRUE(sw);
	check_links(&f, 3);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/cert1.pem"));
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/privkey3.pem"), 0600);
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/cert3.pem"), 0644);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/.intent"));
	ASSERT_TRUE(exists(&f, "live/" NAME "/README"));
	ASSERT_INT_EQ(store_read_version(f.s, NAME, 0, &back), 0);
	check_same(&v, &back);
	version_pems_clear(&back);
	version_pems_clear(&v);
	fixture_close(&f);
}

/* The same version again is a no-op; other bytes under its number are
 * refused and live/ stays where it was. */
TEST(same_bytes_noop_other_bytes_refused)
{
	struct fixture f = fixture_open();
	struct version_pems v = make_version(), other = make_version(), back;
	bool sw = true;
	char err[512] = "";

	ASSERT_INT_EQ(materialise(&f, 1, &v, true, &sw), 0);
	ASSERT_INT_EQ(materialise(&f, 1, &v, true, &sw), 0);
	ASSERT_TRUE(!sw);
	ASSERT_INT_EQ(store_materialise(f.s, NAME, 1, &other, true, &sw, err, sizeof(err)),
		      ACMED_EMISMATCH);
	ASSERT_TRUE(strstr(err, "different") != NULL);
	ASSERT_INT_EQ(store_materialise(f.s, NAME, 2, &other, false, &sw, err, sizeof(err)), 0);
	ASSERT_TRUE(!sw);
	check_links(&f, 1);
	/* The refusal left version 1 as it was. */
	ASSERT_INT_EQ(store_read_version(f.s, NAME, 1, &back), 0);
	check_same(&v, &back);
	version_pems_clear(&back);
	version_pems_clear(&v);
	version_pems_clear(&other);
	fixture_close(&f);
}

/* live/ never moves backwards: an older version is archived, not served. */
TEST(never_backwards)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version();
	bool sw = false;

	ASSERT_INT_EQ(materialise(&f, 2, &v2, true, &sw), 0);
	ASSERT_INT_EQ(materialise(&f, 1, &v1, true, &sw), 0);
	ASSERT_TRUE(!sw);
	check_links(&f, 2);
	ASSERT_TRUE(exists(&f, "archive/" NAME "/privkey1.pem"));
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	fixture_close(&f);
}

/* A version whose key does not match is refused before anything is
 * written; a lineage another process publishes to is -EBUSY. */
TEST(bad_version_and_busy)
{
	struct fixture f = fixture_open();
	struct version_pems v = make_version(), w = make_version();
	char *p, *tmp;
	bool sw = false;
	int fd;

	tmp = v.privkey;
	v.privkey = w.privkey;
	ASSERT_TRUE(materialise(&f, 1, &v, true, &sw) < 0);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/cert1.pem"));
	v.privkey = tmp;
	ASSERT_INT_EQ(materialise(&f, 1, &v, true, &sw), 0);
	p = fpath(&f, "archive/" NAME);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(flock(fd, LOCK_EX), 0);
	ASSERT_INT_EQ(materialise(&f, 2, &w, true, &sw), -EBUSY);
	close(fd);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/cert2.pem"));
	check_links(&f, 1);
	free(p);
	version_pems_clear(&v);
	version_pems_clear(&w);
	fixture_close(&f);
}

static void mkdirs(struct fixture *f, const char *rel)
{
	char *p = fpath(f, rel), *cmd = str_concat("mkdir -p ", p);

	ASSERT_INT_EQ(system(cmd), 0);
	free(cmd);
	free(p);
}

/* Accounts as files: listed (retired ones left out), read, written to
 * another store with the key 0600; the same key again is kept, another is
 * refused; paths outside accounts/ are refused. */
TEST(account_files)
{
	struct fixture f = fixture_open(), g = fixture_open();
	char **dirs = NULL, **ids = NULL, *json = NULL, *key = NULL, *p;
	size_t n = 0;
	bool added = false;

	mkdirs(&f, "accounts/ca.example:14000/dir/ID1");
	mkdirs(&f, "accounts/ca.example:14000/dir/.deactivated-ID0");
	p = fpath(&f, "accounts/ca.example:14000/dir/ID1/key.pem");
	file_write(p, "KEY ONE\n");
	free(p);
	p = fpath(&f, "accounts/ca.example:14000/dir/ID1/account.json");
	file_write(p, "{\"url\": \"u\"}\n");
	free(p);
	ASSERT_INT_EQ(store_account_list_all(f.s, &dirs, &ids, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_STR_EQ(dirs[0], "ca.example:14000/dir");
	ASSERT_STR_EQ(ids[0], "ID1");
	ASSERT_INT_EQ(store_account_read_files(f.s, dirs[0], ids[0], &json, &key), 0);
	ASSERT_STR_EQ(key, "KEY ONE\n");
	ASSERT_STR_EQ(json, "{\"url\": \"u\"}\n");
	ASSERT_INT_EQ(store_account_write_files(g.s, dirs[0], ids[0], json, key, &added), 0);
	ASSERT_TRUE(added);
	ASSERT_INT_EQ(mode_of(&g, "accounts/ca.example:14000/dir/ID1/key.pem"), 0600);
	ASSERT_INT_EQ(store_account_write_files(g.s, dirs[0], ids[0], json, key, &added), 0);
	ASSERT_TRUE(!added);
	ASSERT_INT_EQ(store_account_write_files(g.s, dirs[0], ids[0], json, "OTHER\n", &added),
		      ACMED_EMISMATCH);
	ASSERT_INT_EQ(store_account_write_files(g.s, "../x", "ID1", json, key, &added), -EINVAL);
	ASSERT_INT_EQ(store_account_write_files(g.s, dirs[0], "..", json, key, &added), -EINVAL);
	free(json);
	free(key);
	strv_free(dirs, n);
	strv_free(ids, n);
	fixture_close(&g);
	fixture_close(&f);
}

/* New settings from the cluster, no new version: this host's failures,
 * backoff and revocation mark stay (its own attempts); with a new
 * version they go, as after a renewal here. */
TEST(renewal_text_keeps_this_hosts_state)
{
	struct fixture f = fixture_open();
	const char *text = "format = 1;\nname = \"" NAME "\";\ndomains = [ \"" NAME "\" ];\n"
			   "server = \"https://acme.example/dir\";\n"
			   "authenticator = { name = \"standalone\"; };\n"
			   "deploy_hook = \"systemctl reload nginx\";\n";
	struct renewal here = { 0 }, back;
	char err[512] = "";
	bool changed = false;

	TEST_CHECK(store_renewal_put_text(f.s, NAME, text, false, &changed, err, sizeof(err)) == 0,
		   "%s", err);
	ASSERT_INT_EQ(store_renewal_load(f.s, NAME, &here, err, sizeof(err)), 0);
	free(here.deploy_hook);
	here.deploy_hook = NULL;
	here.state.failures = 3;
	here.state.next_attempt = 2000000000;
	here.state.last_error = strdup("the CA said no");
	here.revoked = true;
	here.revoked_at = 1900000000;
	here.revoked_serial = strdup("0a0b");
	ASSERT_INT_EQ(store_renewal_save(f.s, &here), 0);
	renewal_clear(&here);

	TEST_CHECK(store_renewal_put_text(f.s, NAME, text, true, &changed, err, sizeof(err)) == 0,
		   "%s", err);
	ASSERT_TRUE(changed);
	ASSERT_INT_EQ(store_renewal_load(f.s, NAME, &back, err, sizeof(err)), 0);
	ASSERT_STR_EQ(back.deploy_hook, "systemctl reload nginx");
	ASSERT_INT_EQ(back.state.failures, 3);
	ASSERT_TRUE(back.state.next_attempt == 2000000000);
	ASSERT_STR_EQ(back.state.last_error, "the CA said no");
	ASSERT_TRUE(back.revoked);
	ASSERT_STR_EQ(back.revoked_serial, "0a0b");
	renewal_clear(&back);
	/* The same settings again: nothing to write. */
	ASSERT_INT_EQ(store_renewal_put_text(f.s, NAME, text, true, &changed, err, sizeof(err)), 0);
	ASSERT_TRUE(!changed);

	/* A new version: the cluster's text as it is. */
	ASSERT_INT_EQ(store_renewal_put_text(f.s, NAME, text, false, &changed, err, sizeof(err)), 0);
	ASSERT_TRUE(changed);
	ASSERT_INT_EQ(store_renewal_load(f.s, NAME, &back, err, sizeof(err)), 0);
	ASSERT_INT_EQ(back.state.failures, 0);
	ASSERT_TRUE(!back.revoked);
	renewal_clear(&back);
	fixture_close(&f);
}

/* A renewal file from another host: written if it parses and differs. */
TEST(renewal_text)
{
	struct fixture f = fixture_open();
	const char *text = "format = 1;\nname = \"" NAME "\";\ndomains = [ \"" NAME "\" ];\n"
			   "server = \"https://acme.example/dir\";\n"
			   "authenticator = { name = \"standalone\"; };\n";
	char err[512] = "";
	bool changed = false;

	TEST_CHECK(store_renewal_put_text(f.s, NAME, text, false, &changed, err, sizeof(err)) == 0, "%s",
		   err);
	ASSERT_TRUE(changed);
	ASSERT_INT_EQ(mode_of(&f, "renewal/" NAME ".conf"), 0600);
	ASSERT_INT_EQ(store_renewal_put_text(f.s, NAME, text, false, &changed, err, sizeof(err)), 0);
	ASSERT_TRUE(!changed);
	ASSERT_TRUE(store_renewal_put_text(f.s, NAME, "domains = ;\n", false, &changed, err,
					   sizeof(err)) < 0);
	ASSERT_TRUE(!changed);
	/* Another lineage's file is not this one's. */
	ASSERT_INT_EQ(store_renewal_put_text(f.s, "other.example", text, false, &changed, err,
					     sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "names lineage") != NULL);
	ASSERT_TRUE(exists(&f, "renewal/" NAME ".conf"));
	fixture_close(&f);
}
