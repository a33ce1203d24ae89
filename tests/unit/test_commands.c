/* The control commands (daemon/control/commands.c) over the fakes of
 * commands_fakes.h: renew of an unknown name, what renew does with each
 * lineage (due, not due, busy, revoked, rate-limited, forced, named);
 * certonly's usage errors and the lineage name it chooses; delete refused
 * while a job runs. */
#include "daemon/control/certonly.c"
#include "daemon/control/commands.c"
#include "daemon/control/status.c"
#include "daemon/control/reconfigure.c"

#include "commands_fakes.h"

TEST(renew_of_an_unknown_name_is_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -80 * DAY);
	run(d, &c, CMD_RENEW, "{\"cert_names\":[\"a.test\",\"unknown.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -ENOENT);
	ASSERT_STR_CONTAINS(c.message, "no certificate named 'unknown.test'");
	ASSERT_TRUE(batch == NULL); /* nothing started, not even a.test */
	cleanup(d, &c);
}

TEST(renew_renews_what_is_due_and_says_why_not_the_rest)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	time_t now = time(NULL);

	lineage_add(d, "due.test", -80 * DAY);
	lineage_add(d, "notdue.test", -10 * DAY);
	lineage_add(d, "busy.test", -80 * DAY);
	lineage_add(d, "revoked.test", -80 * DAY)->conf.revoked = true;
	lineage_add(d, "limited.test", -80 * DAY)->conf.state.retry_after = now + DAY;
	lineage_add(d, "broken.test", -80 * DAY)->have_cert = false;
	jobs.busy[0] = "busy.test";
	run(d, &c, CMD_RENEW, "{}");
	ASSERT_NONNULL(batch);
	ASSERT_TRUE(batch->started);
	ASSERT_TRUE(batch->client == &c.conn);
	ASSERT_INT_EQ(batch->opts.kind, BATCH_RENEW);
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_TRUE(batch_has("due.test"));
	ASSERT_STR_EQ(noted("not_due"), "notdue.test");
	ASSERT_STR_EQ(noted("skipped"), "busy.test,revoked.test");
	ASSERT_STR_EQ(noted("failed"), "limited.test,broken.test");
	ASSERT_INT_EQ(c.replies, 0); /* the batch answers */
	cleanup(d, &c);
}

TEST(renew_force_and_dry_run_take_lineages_not_due)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "notdue.test", -10 * DAY);
	run(d, &c, CMD_RENEW, "{\"force_renewal\":true}");
	ASSERT_TRUE(batch_has("notdue.test"));
	ASSERT_TRUE(!batch->dry_run[0]);
	cleanup(d, &c);

	d = daemon_new();
	lineage_add(d, "notdue.test", -10 * DAY);
	run(d, &c, CMD_RENEW, "{\"dry_run\":true}");
	ASSERT_TRUE(batch_has("notdue.test"));
	ASSERT_TRUE(batch->dry_run[0]);
	ASSERT_TRUE(batch->opts.dry_run);
	cleanup(d, &c);
}

/* A revoked certificate is renewed when named, even before it is due. */
TEST(renew_by_name_renews_a_revoked_lineage)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "revoked.test", -10 * DAY)->conf.revoked = true;
	lineage_add(d, "other.test", -80 * DAY);
	run(d, &c, CMD_RENEW, "{\"cert_names\":[\"revoked.test\"]}");
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_TRUE(batch_has("revoked.test"));
	ASSERT_TRUE(!batch_has("other.test"));
	cleanup(d, &c);
}

/* The renewal names the certificate it replaces (ARI) when it goes to the
 * CA that issued it. */
TEST(renew_names_the_replaced_certificate)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	strcpy(lineage_add(d, "due.test", -80 * DAY)->cert.ari_id, "aki.serial");
	run(d, &c, CMD_RENEW, "{}");
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_STR_EQ(batch->replaces[0], "aki.serial");
	cleanup(d, &c);
}

/* ---- certonly ---- */

TEST(certonly_with_bad_arguments_gets_the_usage_error)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	run(d, &c, CMD_CERTONLY, "{\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "no domains given");
	conn_clear(&c);
	run(d, &c, CMD_CERTONLY, "{\"domains\":[\"a.test\"]}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "choose how to prove control");
	ASSERT_TRUE(batch == NULL);
	cleanup(d, &c);
}

TEST(certonly_chooses_a_free_lineage_name)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	lineage_add(d, "b.test", -10 * DAY);
	/* Other domains, the first one taken by a lineage's name: -0001. */
	run(d, &c, CMD_CERTONLY,
	    "{\"domains\":[\"b.test\",\"c.test\"],\"authenticator\":\"standalone\","
	    "\"duplicate\":true}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_NONNULL(batch);
	ASSERT_TRUE(batch->started);
	ASSERT_INT_EQ(batch->opts.kind, BATCH_CERTONLY);
	ASSERT_INT_EQ(batch->n, 1);
	ASSERT_STR_EQ(batch->names[0], "b.test-0001");
	cleanup(d, &c);
}

/* The reply's "confirm" question and the member a "yes" sets. */
static void assert_asks(struct client *c, const char *says, const char *sets)
{
	struct json_object *set;

	ASSERT_INT_EQ(c->replies, 1);
	ASSERT_INT_EQ(c->error, ACMED_ECONFIRM);
	ASSERT_STR_CONTAINS(c->message, says);
	ASSERT_TRUE(json_object_object_get_ex(c->confirm, "set", &set));
	ASSERT_TRUE(json_object_object_get_ex(set, sets, NULL));
	ASSERT_TRUE(batch == NULL);
}

TEST(certonly_with_more_names_asks_for_expand_or_duplicate)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	const char *more = "{\"domains\":[\"a.test\",\"new.test\"],"
			   "\"authenticator\":\"standalone\"";
	char args[256];

	lineage_add(d, "a.test", -10 * DAY);
	snprintf(args, sizeof(args), "%s}", more);
	run(d, &c, CMD_CERTONLY, args);
	assert_asks(&c, "(You can set this with the --expand flag)", "expand");
	ASSERT_STR_CONTAINS(c.message, "you must use the --duplicate option");
	conn_clear(&c);
	/* --expand: the lineage renewed with both names. */
	snprintf(args, sizeof(args), "%s,\"expand\":true}", more);
	run(d, &c, CMD_CERTONLY, args);
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_STR_EQ(batch->names[0], "a.test");
	ASSERT_INT_EQ(batch->ndomains[0], 2);
	cleanup(d, &c);
}

TEST(certonly_for_the_same_domains_not_due_keeps_the_lineage)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	run(d, &c, CMD_CERTONLY, "{\"domains\":[\"a.test\"],\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, 0);
	ASSERT_TRUE(jobj_bool(c.data, "kept"));
	ASSERT_TRUE(batch == NULL);
	cleanup(d, &c);
}

TEST(certonly_for_the_same_domains_due_or_forced_replaces_its_certificate)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	strcpy(lineage_add(d, "a.test", -10 * DAY)->cert.ari_id, "aki.serial");
	lineage_add(d, "due.test", -70 * DAY);
	free(d->cfg.server);
	d->cfg.server = strdup(SERVER); /* the lineage's CA */
	run(d, &c, CMD_CERTONLY,
	    "{\"domains\":[\"a.test\"],\"authenticator\":\"standalone\",\"server\":\"" SERVER
	    "\",\"force_renewal\":true}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_STR_EQ(batch->names[0], "a.test");
	ASSERT_STR_EQ(batch->replaces[0], "aki.serial");
	cleanup(d, &c);
	d = daemon_new();
	lineage_add(d, "due.test", -70 * DAY);
	run(d, &c, CMD_CERTONLY,
	    "{\"domains\":[\"due.test\"],\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_STR_EQ(batch->names[0], "due.test");
	cleanup(d, &c);
}

TEST(certonly_keeps_the_lineages_key_settings_unless_changed_on_purpose)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct lineage_entry *e = lineage_add(d, "rsa.test", -70 * DAY);

	e->conf.key = (struct key_spec){ KEY_ALG_RSA, 3072, 256 };
	e->conf.reuse_key = true;
	run(d, &c, CMD_CERTONLY, "{\"domains\":[\"rsa.test\"],\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_INT_EQ(batch->key[0].alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(batch->key[0].rsa_bits, 3072);
	ASSERT_TRUE(batch->reuse_key[0] && !batch->new_key[0]);
	cleanup(d, &c);
	/* --key-type ecdsa without --cert-name: certbot's question. */
	d = daemon_new();
	e = lineage_add(d, "rsa.test", -70 * DAY);
	e->conf.key = (struct key_spec){ KEY_ALG_RSA, 2048, 256 };
	run(d, &c, CMD_CERTONLY, "{\"domains\":[\"rsa.test\"],\"authenticator\":\"standalone\","
				 "\"key_type\":\"ecdsa\"}");
	assert_asks(&c, "Please provide both --cert-name and --key-type", "cert_name");
	conn_clear(&c);
	/* With --cert-name it changes, and the new type needs a new key. */
	run(d, &c, CMD_CERTONLY, "{\"domains\":[\"rsa.test\"],\"authenticator\":\"standalone\","
				 "\"key_type\":\"ecdsa\",\"cert_name\":\"rsa.test\"}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_INT_EQ(batch->key[0].alg, KEY_ALG_EC);
	ASSERT_TRUE(batch->new_key[0]);
	cleanup(d, &c);
}

TEST(certonly_for_a_lineage_being_renewed_is_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	jobs.busy[0] = "x.test";
	run(d, &c, CMD_CERTONLY,
	    "{\"domains\":[\"a.test\"],\"cert_name\":\"x.test\",\"authenticator\":\"standalone\"}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -EBUSY);
	ASSERT_STR_CONTAINS(c.message, "already running for x.test");
	ASSERT_TRUE(batch == NULL);
	cleanup(d, &c);
}

/* ---- delete ---- */

TEST(delete_of_a_lineage_being_renewed_is_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	lineage_add(d, "busy.test", -80 * DAY);
	jobs.busy[0] = "busy.test";
	run(d, &c, CMD_DELETE, "{\"cert_names\":[\"a.test\",\"busy.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -EBUSY);
	ASSERT_STR_CONTAINS(c.message, "busy.test is being renewed");
	ASSERT_INT_EQ(refreshed.n, 0); /* nothing deleted, not even a.test */
	ASSERT_TRUE(!d->dirty);
	cleanup(d, &c);
}

TEST(delete_needs_existing_names)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	lineage_add(d, "a.test", -10 * DAY);
	run(d, &c, CMD_DELETE, "{}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "use --cert-name");
	conn_clear(&c);
	run(d, &c, CMD_DELETE, "{\"cert_names\":[\"a.test\",\"gone.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, -ENOENT);
	ASSERT_STR_CONTAINS(c.message, "no certificate named 'gone.test'");
	ASSERT_INT_EQ(refreshed.n, 0);
	cleanup(d, &c);
}

TEST(delete_removes_the_lineage_and_says_so)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY);
	struct json_object *deleted;

	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	ASSERT_TRUE(store_exists(d->store, "a.test"));
	run(d, &c, CMD_DELETE, "{\"cert_names\":[\"a.test\"]}");
	ASSERT_INT_EQ(c.replies, 1);
	ASSERT_INT_EQ(c.error, 0);
	ASSERT_TRUE(json_object_object_get_ex(c.data, "deleted", &deleted));
	ASSERT_INT_EQ(json_object_array_length(deleted), 1);
	ASSERT_STR_EQ(json_object_get_string(json_object_array_get_idx(deleted, 0)), "a.test");
	ASSERT_TRUE(!store_exists(d->store, "a.test"));
	ASSERT_INT_EQ(refreshed.n, 1);
	ASSERT_TRUE(d->dirty);
	/* A single host says nothing of a cluster. */
	ASSERT_TRUE(!json_object_object_get_ex(c.data, "cluster_prefix", NULL));
	cleanup(d, &c);
}

TEST(delete_on_a_cluster_host_names_the_etcd_prefix)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct lineage_entry *e = lineage_add(d, "a.test", -10 * DAY);

	ASSERT_INT_EQ(config_set_string(&d->cfg.storage, "etcd"), 0);
	ASSERT_INT_EQ(config_set_string(&d->cfg.etcd_prefix, "/fleet/"), 0);
	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	run(d, &c, CMD_DELETE, "{\"cert_names\":[\"a.test\"]}");
	ASSERT_INT_EQ(c.error, 0);
	ASSERT_TRUE(!store_exists(d->store, "a.test"));
	ASSERT_STR_EQ(jobj_str(c.data, "cluster_prefix"), "/fleet/");
	cleanup(d, &c);
}
