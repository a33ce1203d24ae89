/* The lineage store: layout, publishing versions, renewal files and
 * accounts, each in a fresh temp state directory (crash recovery:
 * test_store_recover.c). */
#include "store_fixture.h"

TEST(open_creates_layout)
{
	struct fixture f = fixture_open();
	struct store *s2 = NULL;
	char *missing = path_join(f.tmp, "missing");

	ASSERT_STR_EQ(store_dir(f.s), f.state);
	ASSERT_INT_EQ(mode_of(&f, "archive"), 0700);
	ASSERT_INT_EQ(mode_of(&f, "live"), 0700);
	ASSERT_INT_EQ(mode_of(&f, "accounts"), 0700);
	ASSERT_INT_EQ(mode_of(&f, "renewal"), 0755);
	/* Opening again, with or without CREATE, works on the existing tree. */
	ASSERT_INT_EQ(store_open(f.state, false, &s2), 0);
	store_close(s2);
	ASSERT_INT_EQ(store_open(f.state, true, &s2), 0);
	store_close(s2);
	ASSERT_INT_EQ(store_open(missing, false, &s2), -ENOENT);
	ASSERT_TRUE(access(missing, F_OK) < 0);
	store_close(NULL);
	free(missing);
	fixture_close(&f);
}

/* certbot's renewal-hooks/{pre,deploy,post}, 0755 whatever the umask;
 * what is there stays as it is. */
TEST(hook_dirs)
{
	struct fixture f = fixture_open();
	char *deploy = fpath(&f, "renewal-hooks/deploy");

	ASSERT_INT_EQ(mkdir(deploy, 0700), -1); /* not made by store_open() */
	umask(077);
	ASSERT_INT_EQ(store_make_hook_dirs(f.s), 0);
	ASSERT_INT_EQ(mode_of(&f, "renewal-hooks"), 0755);
	ASSERT_INT_EQ(mode_of(&f, "renewal-hooks/pre"), 0755);
	ASSERT_INT_EQ(mode_of(&f, "renewal-hooks/deploy"), 0755);
	ASSERT_INT_EQ(mode_of(&f, "renewal-hooks/post"), 0755);
	ASSERT_INT_EQ(chmod(deploy, 0700), 0);
	ASSERT_INT_EQ(store_make_hook_dirs(f.s), 0);
	ASSERT_INT_EQ(mode_of(&f, "renewal-hooks/deploy"), 0700);
	umask(022);
	free(deploy);
	fixture_close(&f);
}

TEST(names)
{
	char n201[202], *b;

	ASSERT_TRUE(store_name_valid("example.com"));
	ASSERT_TRUE(store_name_valid("Example_1-2.com"));
	ASSERT_TRUE(store_name_valid("example.com-0001"));
	ASSERT_TRUE(!store_name_valid(""));
	ASSERT_TRUE(!store_name_valid(NULL));
	ASSERT_TRUE(!store_name_valid(".example.com"));
	ASSERT_TRUE(!store_name_valid(".."));
	ASSERT_TRUE(!store_name_valid("-rf"));
	ASSERT_TRUE(!store_name_valid("a/b"));
	ASSERT_TRUE(!store_name_valid("a b"));
	ASSERT_TRUE(!store_name_valid("*.example.com"));
	ASSERT_TRUE(!store_name_valid("a:b"));
	memset(n201, 'a', 201);
	n201[201] = '\0';
	ASSERT_TRUE(!store_name_valid(n201));
	n201[200] = '\0';
	ASSERT_TRUE(store_name_valid(n201));
	b = store_name_base("*.example.com");
	ASSERT_STR_EQ(b, "example.com");
	free(b);
	b = store_name_base("www.example.com");
	ASSERT_STR_EQ(b, "www.example.com");
	free(b);
}

TEST(publish_first_version)
{
	struct fixture f = fixture_open();
	struct version_pems v = make_version(), back;
	char err[512], *names = NULL, *p;
	int n;

	ASSERT_INT_EQ(publish(&f, &v, err, sizeof(err)), 1);
	check_links(&f, 1);
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/privkey1.pem"), 0600);
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/cert1.pem"), 0644);
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/chain1.pem"), 0644);
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/fullchain1.pem"), 0644);
	ASSERT_TRUE(exists(&f, "live/" NAME "/README"));
	ASSERT_INT_EQ(mode_of(&f, "live/" NAME "/README"), 0644);
	/* Exactly the four files: no .intent, no temp files. */
	p = fpath(&f, "archive/" NAME);
	n = dir_count(p, &names);
	ASSERT_INT_EQ(n, 4);
	ASSERT_TRUE(strstr(names, ".intent") == NULL);
	free(names);
	free(p);
	p = fpath(&f, "live/" NAME);
	ASSERT_INT_EQ(dir_count(p, NULL), 5);
	free(p);
	/* The links resolve to what was published. */
	ASSERT_INT_EQ(store_read_version(f.s, NAME, 0, &back), 0);
	check_same(&v, &back);
	version_pems_clear(&back);
	ASSERT_TRUE(back.cert == NULL);
	p = store_live_path(f.s, NAME, "fullchain.pem");
	names = fpath(&f, "live/" NAME "/fullchain.pem");
	ASSERT_STR_EQ(p, names);
	free(names);
	free(p);
	version_pems_clear(&v);
	fixture_close(&f);
}

TEST(publish_second_version_moves_links)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version(), back;
	char err[512];

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	ASSERT_INT_EQ(publish(&f, &v2, err, sizeof(err)), 2);
	check_links(&f, 2);
	ASSERT_INT_EQ(store_read_version(f.s, NAME, 0, &back), 0);
	check_same(&v2, &back);
	version_pems_clear(&back);
	/* Version 1 stays in the archive. */
	ASSERT_INT_EQ(store_read_version(f.s, NAME, 1, &back), 0);
	check_same(&v1, &back);
	version_pems_clear(&back);
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/privkey2.pem"), 0600);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/.intent"));
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	fixture_close(&f);
}

/* A key made readable to a group (ssl-cert, for a server that reads it as
 * itself) stays so for the next versions: same group, group-read, nothing
 * more; a 0600 key stays 0600. */
TEST(publish_carries_the_key_group_over)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version(), v3 = make_version();
	char err[512], *k1 = fpath(&f, "archive/" NAME "/privkey1.pem");
	char *k2 = fpath(&f, "archive/" NAME "/privkey2.pem");
	char *k3 = fpath(&f, "archive/" NAME "/privkey3.pem");
	struct stat st;
	gid_t group = 65534; /* nogroup: not root's */

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	ASSERT_INT_EQ(publish(&f, &v2, err, sizeof(err)), 2);
	ASSERT_INT_EQ(mode_of(&f, "archive/" NAME "/privkey2.pem"), 0600);
	ASSERT_INT_EQ(chown(k2, (uid_t)-1, group), 0);
	ASSERT_INT_EQ(chmod(k2, 0644), 0); /* others' read is not carried */
	ASSERT_INT_EQ(publish(&f, &v3, err, sizeof(err)), 3);
	ASSERT_INT_EQ(stat(k3, &st), 0);
	ASSERT_INT_EQ(st.st_gid, group);
	ASSERT_INT_EQ(st.st_mode & 07777, 0640);
	ASSERT_INT_EQ(stat(k1, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0600);
	free(k1);
	free(k2);
	free(k3);
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	version_pems_clear(&v3);
	fixture_close(&f);
}

TEST(publish_rejects_bad_versions_and_leaves_live)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version(), bad = make_version();
	struct version_pems other = make_version();
	char err[512], *p;
	int version = -1;

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	ASSERT_INT_EQ(publish(&f, &v2, err, sizeof(err)), 2);

	/* The key of another version. */
	free(bad.privkey);
	bad.privkey = strdup(other.privkey);
	ASSERT_INT_EQ(publish(&f, &bad, err, sizeof(err)), ACMED_EMISMATCH);
	ASSERT_STR_CONTAINS(err, "privkey does not match cert");
	check_links(&f, 2);
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/privkey3.pem"));
	ASSERT_TRUE(!exists(&f, "archive/" NAME "/cert3.pem"));

	/* fullchain that is not cert followed by chain. */
	version_pems_clear(&bad);
	bad = make_version();
	free(bad.fullchain);
	bad.fullchain = str_concat(bad.chain, bad.cert);
	ASSERT_INT_EQ(publish(&f, &bad, err, sizeof(err)), ACMED_EMISMATCH);
	ASSERT_STR_CONTAINS(err, "fullchain");
	check_links(&f, 2);
	p = fpath(&f, "archive/" NAME);
	ASSERT_INT_EQ(dir_count(p, NULL), 8);
	free(p);

	ASSERT_INT_EQ(store_publish(f.s, "../x", &v1, &version, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "../x");
	ASSERT_INT_EQ(version, -1);
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	version_pems_clear(&bad);
	version_pems_clear(&other);
	fixture_close(&f);
}

/* A publish that crashed after writing version 2's key (before its cert and
 * before recording an intent) must not block every later publish. */
TEST(publish_after_interrupted_write)
{
	struct fixture f = fixture_open();
	struct version_pems v1 = make_version(), v2 = make_version(), back;
	char err[512], *p;
	int n, live = -1;

	ASSERT_INT_EQ(publish(&f, &v1, err, sizeof(err)), 1);
	p = fpath(&f, "archive/" NAME "/privkey2.pem");
	file_write(p, v1.privkey);
	free(p);
	n = publish(&f, &v2, err, sizeof(err));
	if (n < 0)
		test_fail(__FILE__, __LINE__, "publish after a stray privkey2.pem: %d (%s)", n, err);
	ASSERT_TRUE(n >= 2);
	ASSERT_INT_EQ(store_live_version(f.s, NAME, &live), 0);
	ASSERT_INT_EQ(live, n);
	ASSERT_INT_EQ(store_read_version(f.s, NAME, 0, &back), 0);
	check_same(&v2, &back);
	version_pems_clear(&back);
	version_pems_clear(&v1);
	version_pems_clear(&v2);
	fixture_close(&f);
}

static void check_pems_err(const struct version_pems *v, int want, const char *msg)
{
	char err[512] = "";
	int r = store_check_pems(v, err, sizeof(err));

	if (r != want || !strstr(err, msg))
		test_fail(__FILE__, __LINE__, "store_check_pems: %d \"%s\", want %d \"%s\"", r, err,
			  want, msg);
}

TEST(check_pems_messages)
{
	struct version_pems good = make_version(), other = make_version(), v;
	char err[512] = "";

	ASSERT_INT_EQ(store_check_pems(&good, err, sizeof(err)), 0);

	v = good;
	v.privkey = "";
	check_pems_err(&v, ACMED_ECORRUPT, "privkey is empty");
	v = good;
	v.cert = NULL;
	check_pems_err(&v, ACMED_ECORRUPT, "cert is empty");
	v = good;
	v.chain = "";
	check_pems_err(&v, ACMED_ECORRUPT, "chain is empty");
	v = good;
	v.fullchain = NULL;
	check_pems_err(&v, ACMED_ECORRUPT, "fullchain is empty");

	v = good;
	v.cert = good.fullchain; /* two certificates */
	check_pems_err(&v, ACMED_ECORRUPT, "cert does not hold exactly one certificate");
	v = good;
	v.cert = "junk";
	check_pems_err(&v, ACMED_ECORRUPT, "cert does not hold exactly one certificate");
	v = good;
	v.chain = "junk";
	check_pems_err(&v, ACMED_ECORRUPT, "chain does not parse");
	v = good;
	v.fullchain = good.cert;
	check_pems_err(&v, ACMED_EMISMATCH, "fullchain is not cert followed by chain");
	v = good;
	v.privkey = other.privkey;
	check_pems_err(&v, ACMED_EMISMATCH, "privkey does not match cert");
	v = good;
	v.privkey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	check_pems_err(&v, -EINVAL, "privkey does not parse");
	/* A chain from another CA: consistent files, but the leaf does not verify. */
	v = good;
	v.chain = other.chain;
	v.fullchain = str_concat(good.cert, other.chain);
	check_pems_err(&v, ACMED_EBADCERT, "the signature of the certificate does not verify "
					   "with the key of chain certificate 1");
	free(v.fullchain);
	version_pems_clear(&good);
	version_pems_clear(&other);
}

TEST(live_version)
{
	struct fixture f = fixture_open();
	struct version_pems v = make_version();
	char err[512], *p;
	int n = -1;

	ASSERT_INT_EQ(store_live_version(f.s, NAME, &n), -ENOENT);
	ASSERT_INT_EQ(publish(&f, &v, err, sizeof(err)), 1);
	ASSERT_INT_EQ(store_live_version(f.s, NAME, &n), 0);
	ASSERT_INT_EQ(n, 1);
	/* A link someone pointed elsewhere is not ours. */
	p = fpath(&f, "live/" NAME "/cert.pem");
	ASSERT_INT_EQ(unlink(p), 0);
	ASSERT_INT_EQ(symlink("/etc/ssl/cert1.pem", p), 0);
	ASSERT_INT_EQ(store_live_version(f.s, NAME, &n), ACMED_ECORRUPT);
	ASSERT_INT_EQ(unlink(p), 0);
	ASSERT_INT_EQ(symlink("../../archive/" NAME "/certX.pem", p), 0);
	ASSERT_INT_EQ(store_live_version(f.s, NAME, &n), ACMED_ECORRUPT);
	free(p);
	version_pems_clear(&v);
	fixture_close(&f);
}

/* Write version N's files into the archive by hand, as a crashed publish
 * would have left them. */

static struct renewal make_renewal(const char *name)
{
	struct renewal r = { 0 };

	r.name = strdup(name);
	r.domains = calloc(3, sizeof(char *));
	r.domains[0] = strdup(name);
	r.domains[1] = strdup("www.example.com");
	r.ndomains = 2;
	r.server = strdup(SERVER);
	r.account = strdup("0123456789abcdef0123456789abcdef");
	r.authn.name = strdup("standalone");
	r.authn.http01_port = 8080;
	r.key = (struct key_spec){ KEY_ALG_EC, 2048, 384 };
	r.reuse_key = true;
	return r;
}

TEST(renewal_save_load)
{
	struct fixture f = fixture_open();
	struct renewal r = make_renewal(NAME), back;
	char err[512] = "", *p;

	ASSERT_TRUE(!store_exists(f.s, NAME));
	ASSERT_INT_EQ(store_renewal_save(f.s, &r), 0);
	ASSERT_TRUE(store_exists(f.s, NAME));
	ASSERT_INT_EQ(mode_of(&f, "renewal/" NAME ".conf"), 0600);
	ASSERT_INT_EQ(store_renewal_load(f.s, NAME, &back, err, sizeof(err)), 0);
	ASSERT_STR_EQ(back.name, NAME);
	ASSERT_INT_EQ(back.ndomains, 2);
	ASSERT_STR_EQ(back.domains[1], "www.example.com");
	ASSERT_STR_EQ(back.server, SERVER);
	ASSERT_STR_EQ(back.account, r.account);
	ASSERT_STR_EQ(back.authn.name, "standalone");
	ASSERT_INT_EQ(back.authn.http01_port, 8080);
	ASSERT_INT_EQ(back.key.alg, KEY_ALG_EC);
	ASSERT_INT_EQ(back.key.curve, 384);
	ASSERT_INT_EQ(back.reuse_key, true);
	renewal_clear(&back);

	ASSERT_INT_EQ(store_renewal_load(f.s, "missing", &back, err, sizeof(err)), -ENOENT);
	ASSERT_STR_CONTAINS(err, "renewal/missing.conf");
	/* The name inside must match the file name. */
	p = fpath(&f, "renewal/other.conf");
	{
		char *text = NULL;

		ASSERT_INT_EQ(renewal_format(&r, &text), 0);
		file_write(p, text);
		free(text);
	}
	ASSERT_INT_EQ(store_renewal_load(f.s, "other", &back, err, sizeof(err)), -EINVAL);
	ASSERT_STR_CONTAINS(err, "does not match");
	free(p);
	renewal_clear(&r);
	fixture_close(&f);
}

/* Nothing under the state directory is read through a symlink: a link
 * planted as a renewal file or an account directory is refused. */
TEST(no_symlinks_followed)
{
	struct fixture f = fixture_open();
	struct renewal r = make_renewal(NAME), back;
	struct stored_account a;
	char err[512] = "", *p = fpath(&f, "renewal/" NAME ".conf"), *q;

	ASSERT_INT_EQ(store_renewal_save(f.s, &r), 0);
	q = fpath(&f, "renewal.real");
	ASSERT_INT_EQ(rename(p, q), 0);
	ASSERT_INT_EQ(symlink(q, p), 0);
	ASSERT_INT_EQ(store_renewal_load(f.s, NAME, &back, err, sizeof(err)), -ELOOP);
	free(q);
	/* accounts/ca.test -> elsewhere: not followed on the way to an account. */
	q = fpath(&f, "accounts/ca.test");
	ASSERT_INT_EQ(symlink(f.tmp, q), 0);
	ASSERT_INT_EQ(store_account_load_info(f.s, "https://ca.test/dir", NULL, &a, err,
					      sizeof(err)),
		      -ENOENT);
	free(q);
	free(p);
	renewal_clear(&r);
	fixture_close(&f);
}

TEST(list_sorted)
{
	static const char *const names[] = { "b.example", "c.example", "a.example", "a-b.example" };
	struct fixture f = fixture_open();
	char **v = NULL, *p;
	size_t n = 9;

	ASSERT_INT_EQ(store_list(f.s, &v, &n), 0);
	ASSERT_INT_EQ(n, 0);
	free(v);
	for (size_t i = 0; i < 4; i++) {
		struct renewal r = make_renewal(names[i]);

		ASSERT_INT_EQ(store_renewal_save(f.s, &r), 0);
		renewal_clear(&r);
	}
	/* Not lineages: other suffixes, hidden files, unsafe names. */
	p = fpath(&f, "renewal/notes.txt");
	file_write(p, "x");
	free(p);
	p = fpath(&f, "renewal/.hidden.conf");
	file_write(p, "x");
	free(p);
	p = fpath(&f, "renewal/.conf");
	file_write(p, "x");
	free(p);
	ASSERT_INT_EQ(store_list(f.s, &v, &n), 0);
	ASSERT_INT_EQ(n, 4);
	ASSERT_STR_EQ(v[0], "a-b.example");
	ASSERT_STR_EQ(v[1], "a.example");
	ASSERT_STR_EQ(v[2], "b.example");
	ASSERT_STR_EQ(v[3], "c.example");
	strv_free(v, n);
	/* Listing twice gives the same (the directory is rewound). */
	ASSERT_INT_EQ(store_list(f.s, &v, &n), 0);
	ASSERT_INT_EQ(n, 4);
	strv_free(v, n);
	fixture_close(&f);
}

static char *account_dir(struct fixture *f, const char *id, const char *file)
{
	char *rel, *p;

	ASSERT_TRUE(asprintf(&rel, "accounts/acme.example:14000/dir/%s/%s", id, file) > 0);
	p = fpath(f, rel);
	free(rel);
	return p;
}

TEST(accounts)
{
	struct fixture f = fixture_open();
	struct stored_account a = { .key = ec_key() }, again = { 0 }, b = { .key = ec_key() }, l;
	char err[512] = "", *p, *id;

	ASSERT_INT_EQ(store_account_load(f.s, SERVER, NULL, &l, err, sizeof(err)), -ENOENT);
	ASSERT_INT_EQ(store_account_save_key(f.s, SERVER, &a), 0);
	ASSERT_NONNULL(a.id);
	ASSERT_INT_EQ(strlen(a.id), 32);
	p = account_dir(&f, a.id, "key.pem");
	ASSERT_INT_EQ(file_mode(p), 0600);
	free(p);

	/* Keys are saved exclusively: the same key again is refused. */
	ASSERT_TRUE(EVP_PKEY_up_ref(a.key));
	again.key = a.key;
	ASSERT_INT_EQ(store_account_save_key(f.s, SERVER, &again), -EEXIST);
	stored_account_clear(&again);

	/* Without account.json the account loads with url NULL. */
	ASSERT_INT_EQ(store_account_load(f.s, SERVER, NULL, &l, err, sizeof(err)), 0);
	ASSERT_STR_EQ(l.id, a.id);
	ASSERT_TRUE(l.url == NULL && l.email == NULL);
	ASSERT_INT_EQ(EVP_PKEY_eq(l.key, a.key), 1);
	stored_account_clear(&l);

	a.url = strdup("https://acme.example:14000/my-account/1");
	a.email = strdup("admin@example.com");
	ASSERT_INT_EQ(store_account_save_info(f.s, SERVER, &a), 0);
	ASSERT_INT_EQ(store_account_load(f.s, SERVER, a.id, &l, err, sizeof(err)), 0);
	ASSERT_STR_EQ(l.url, a.url);
	ASSERT_STR_EQ(l.email, a.email);
	ASSERT_INT_EQ(EVP_PKEY_eq(l.key, a.key), 1);
	stored_account_clear(&l);
	ASSERT_INT_EQ(store_account_load(f.s, SERVER, NULL, &l, err, sizeof(err)), 0);
	ASSERT_STR_EQ(l.id, a.id);
	ASSERT_STR_EQ(l.url, a.url);
	stored_account_clear(&l);

	/* A second account: the id must be given. */
	ASSERT_INT_EQ(store_account_save_key(f.s, SERVER, &b), 0);
	ASSERT_TRUE(strcmp(a.id, b.id) != 0);
	ASSERT_INT_EQ(store_account_load(f.s, SERVER, NULL, &l, err, sizeof(err)), -EEXIST);
	ASSERT_STR_CONTAINS(err, "several accounts");
	ASSERT_INT_EQ(store_account_load(f.s, SERVER, b.id, &l, err, sizeof(err)), 0);
	ASSERT_INT_EQ(EVP_PKEY_eq(l.key, b.key), 1);
	ASSERT_TRUE(l.url == NULL);
	stored_account_clear(&l);

	ASSERT_INT_EQ(store_account_load(f.s, SERVER, "../x", &l, err, sizeof(err)), -EINVAL);
	id = strdup("0123456789abcdef0123456789abcdef");
	ASSERT_INT_EQ(store_account_load(f.s, SERVER, id, &l, err, sizeof(err)), -ENOENT);
	free(id);
	ASSERT_INT_EQ(store_account_load(f.s, "https://other.example/dir", NULL, &l, err,
					 sizeof(err)), -ENOENT);
	stored_account_clear(&a);
	stored_account_clear(&b);
	fixture_close(&f);
}

TEST(account_server_paths_are_checked)
{
	struct fixture f = fixture_open();
	struct stored_account a = { .key = ec_key() }, l;
	char err[512], *p = path_join(f.tmp, "etc");

	ASSERT_INT_EQ(store_account_save_key(f.s, "https://ca.example/../../../etc", &a), -EINVAL);
	ASSERT_INT_EQ(store_account_save_key(f.s, "no-scheme", &a), -EINVAL);
	ASSERT_INT_EQ(store_account_save_key(f.s, "https://", &a), -EINVAL);
	ASSERT_INT_EQ(store_account_load(f.s, "https://ca.example/..", NULL, &l, err, sizeof(err)),
		      -EINVAL);
	ASSERT_TRUE(access(p, F_OK) < 0);
	free(p);
	p = fpath(&f, "accounts");
	ASSERT_INT_EQ(dir_count(p, NULL), 0);
	free(p);
	stored_account_clear(&a);
	fixture_close(&f);
}
