/* The cluster watcher's decisions (daemon/watch/decide.h): what to
 * materialise given this host's live version, the cluster's current one
 * and the lineage's lock; the restart backoff. */
#include "test.h"

#include "daemon/watch/decide.h"
#include "etcd/etcd_sync.h"

TEST(behind_materialises_the_missing_versions)
{
	struct watch_decision d = watch_decide(2, 5, NULL, "b");

	ASSERT_INT_EQ(d.action, WATCH_MATERIALISE);
	ASSERT_INT_EQ(d.from, 3);
	ASSERT_INT_EQ(d.to, 5);
	/* A new lineage here: every version from 1. */
	d = watch_decide(0, 3, NULL, "b");
	ASSERT_INT_EQ(d.action, WATCH_MATERIALISE);
	ASSERT_INT_EQ(d.from, 1);
	ASSERT_INT_EQ(d.to, 3);
}

TEST(up_to_date_or_ahead_does_nothing)
{
	ASSERT_INT_EQ(watch_decide(3, 3, NULL, "b").action, WATCH_NOTHING);
	/* live/ never moves backwards. */
	ASSERT_INT_EQ(watch_decide(4, 3, NULL, "b").action, WATCH_NOTHING);
	/* Nothing published in the cluster yet. */
	ASSERT_INT_EQ(watch_decide(0, 0, NULL, "b").action, WATCH_NOTHING);
}

TEST(own_lock_is_left_to_the_job)
{
	ASSERT_INT_EQ(watch_decide(1, 2, "b", "b").action, WATCH_SKIP_LOCKED);
	/* Another host's lock: its publish is what is copied. */
	ASSERT_INT_EQ(watch_decide(1, 2, "a", "b").action, WATCH_MATERIALISE);
	/* Nothing to copy: no reason to wait. */
	ASSERT_INT_EQ(watch_decide(2, 2, "b", "b").action, WATCH_NOTHING);
}

TEST(backoff_doubles_to_a_minute)
{
	long b = watch_backoff(0, 0);

	ASSERT_INT_EQ(b, 1);
	ASSERT_INT_EQ(b = watch_backoff(b, 0.1), 2);
	ASSERT_INT_EQ(b = watch_backoff(b, 0.1), 4);
	ASSERT_INT_EQ(watch_backoff(32, 0.1), 60);
	ASSERT_INT_EQ(watch_backoff(60, 0.1), 60);
	ASSERT_INT_EQ(watch_backoff(60, 120), 1);
}

/* The watched keys, taken apart: a lineage's name is one component, an
 * account's every component but the file's. */
TEST(key_parts)
{
	char *buf = NULL;
	const char *name, *what;

	ASSERT_INT_EQ(estore_key_parts("/acmed/", "/acmed/lineages/a.example/current", &buf, &name,
				       &what), 'l');
	ASSERT_STR_EQ(name, "a.example");
	ASSERT_STR_EQ(what, "current");
	free(buf);
	ASSERT_INT_EQ(estore_key_parts("/acmed/", "/acmed/lineages/a.example/versions/3/cert", &buf,
				       &name, &what), 'l');
	ASSERT_STR_EQ(what, "versions/3/cert");
	free(buf);
	ASSERT_INT_EQ(estore_key_parts("/acmed/", "/acmed/accounts/ca.example:14000/dir/AbC/key.sealed",
				       &buf, &name, &what), 'a');
	ASSERT_STR_EQ(name, "ca.example:14000/dir/AbC");
	ASSERT_STR_EQ(what, "key.sealed");
	free(buf);
	ASSERT_INT_EQ(estore_key_parts("/acmed/", "/acmed/hosts/b", &buf, &name, &what), 0);
	ASSERT_TRUE(buf == NULL);
	ASSERT_INT_EQ(estore_key_parts("/acmed/", "/other/lineages/a/current", &buf, &name, &what), 0);
	ASSERT_INT_EQ(estore_key_parts("/acmed/", "/acmed/lineages/a", &buf, &name, &what), 0);
	ASSERT_INT_EQ(estore_key_parts("/acmed/", "/acmed/lineages//current", &buf, &name, &what), 0);
}
