/* reconfigure (daemon/control/reconfigure.c) over the fakes of
 * commands_fakes.h: the names cannot change, an unknown name and the
 * options that mean nothing are refused, the new settings go to a dry run
 * first, the renewal file is rewritten only after the dry run succeeded
 * and is left byte for byte as it was when it failed. */
#include "daemon/control/certonly.c"
#include "daemon/control/commands.c"
#include "daemon/control/status.c"
#include "daemon/control/reconfigure.c"

#include "commands_fakes.h"
#include "fsutil.h"

/* A lineage with web roots and a deploy hook, its renewal file written. */
static struct lineage_entry *webroot_lineage(struct daemon *d, const char *name)
{
	struct lineage_entry *e = lineage_add(d, name, -10 * DAY);

	free(e->conf.authn.name);
	e->conf.authn.name = strdup("webroot");
	e->conf.authn.webroot = calloc(1, sizeof(*e->conf.authn.webroot));
	e->conf.authn.webroot[0].domain = strdup(name);
	e->conf.authn.webroot[0].path = strdup("/srv/old");
	e->conf.authn.nwebroot = 1;
	e->conf.deploy_hook = strdup("true");
	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	return e;
}

static char *renewal_text(struct daemon *d, const char *name)
{
	char *path = store_renewal_path(d->store, name), *text = NULL;
	size_t len = 0;

	ASSERT_INT_EQ(fs_read_file(path, 1 << 20, &text, &len), 0);
	free(path);
	return text;
}

/* The change of SETTING in the reply's "changes", as "old -> new". */
static const char *change_of(struct json_object *reply, const char *setting)
{
	static char out[512];
	struct json_object *data, *list;

	out[0] = '\0';
	if (!json_object_object_get_ex(reply, "data", &data) ||
	    !json_object_object_get_ex(data, "changes", &list))
		return out;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i);

		if (streq(jobj_str(o, "setting"), setting))
			snprintf(out, sizeof(out), "%s -> %s", str_or_empty(jobj_str(o, "old")),
				 str_or_empty(jobj_str(o, "new")));
	}
	return out;
}

TEST(the_names_cannot_change)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	webroot_lineage(d, "a.test");
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"domains\":[\"a.test\",\"b.test\"]}");
	ASSERT_INT_EQ(c.error, -EINVAL);
	ASSERT_STR_CONTAINS(c.message, "cannot be used to modify the domains in a certificate");
	ASSERT_TRUE(batch == NULL);
	conn_clear(&c);
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"webroot_map\":"
				    "[{\"domain\":\"other.test\",\"path\":\"/srv/x\"}]}");
	ASSERT_INT_EQ(c.error, -EINVAL);
	ASSERT_STR_CONTAINS(c.message, "--webroot-map names other.test");
	ASSERT_TRUE(batch == NULL);
	cleanup(d, &c);
}

TEST(unknown_names_and_meaningless_options_are_refused)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };

	webroot_lineage(d, "a.test");
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"nope.test\"}");
	ASSERT_INT_EQ(c.error, -ENOENT);
	ASSERT_STR_CONTAINS(c.message, "An existing certificate with name nope.test could not be found");
	conn_clear(&c);
	run(d, &c, CMD_RECONFIGURE, "{}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	conn_clear(&c);
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"force_renewal\":true}");
	ASSERT_INT_EQ(c.error, ACMED_EUSAGE);
	ASSERT_STR_CONTAINS(c.message, "--force-renewal has no meaning for reconfigure");
	conn_clear(&c);
	jobs.busy[0] = "a.test";
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"deploy_hook\":\"x\"}");
	ASSERT_INT_EQ(c.error, -EBUSY);
	ASSERT_TRUE(batch == NULL);
	cleanup(d, &c);
}

TEST(a_successful_dry_run_saves_the_new_settings)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct json_object *reply;
	struct renewal back;
	char err[512], *before, *after;

	webroot_lineage(d, "a.test");
	before = renewal_text(d, "a.test");
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"webroot_path\":\"/srv/new\","
				    "\"authenticator\":\"webroot\",\"key_type\":\"rsa\","
				    "\"deploy_hook\":\"systemctl reload nginx\"}");
	ASSERT_INT_EQ(c.replies, 0);
	ASSERT_NONNULL(batch);
	ASSERT_TRUE(batch->started && batch->opts.dry_run && batch->dry_run[0]);
	ASSERT_INT_EQ(batch->key[0].alg, KEY_ALG_RSA);
	ASSERT_INT_EQ(batch->key[0].rsa_bits, 2048);
	/* Nothing is written before the dry run is done. */
	after = renewal_text(d, "a.test");
	ASSERT_STR_EQ(after, before);
	free(after);
	reply = json_tokener_parse("{\"status\":0,\"data\":{\"dry_run\":true}}");
	batch->opts.on_job(d, batch->opts.ctx, "a.test", reply);
	ASSERT_INT_EQ((int)jobj_int(reply, "status", -1), 0);
	ASSERT_STR_EQ(change_of(reply, "webroot-map"), "a.test=/srv/old -> a.test=/srv/new");
	ASSERT_STR_EQ(change_of(reply, "key"), "ecdsa secp256r1 -> rsa 2048");
	ASSERT_STR_EQ(change_of(reply, "deploy-hook"), "true -> systemctl reload nginx");
	ASSERT_STR_EQ(change_of(reply, "server"), "");
	ASSERT_INT_EQ(store_renewal_load(d->store, "a.test", &back, err, sizeof(err)), 0);
	ASSERT_STR_EQ(back.authn.webroot[0].path, "/srv/new");
	ASSERT_STR_EQ(back.deploy_hook, "systemctl reload nginx");
	ASSERT_STR_EQ(back.account, "acct"); /* the same CA: the same account */
	ASSERT_INT_EQ(back.key.alg, KEY_ALG_RSA);
	renewal_clear(&back);
	json_object_put(reply);
	free(before);
	cleanup(d, &c);
}

/* The reply for a successful reconfigure on a cluster host tells acmectl
 * where etcd's settings are and what to put there (the settings without
 * this host's failures), also when nothing changed (run again after etcd
 * did not answer); a single host's says nothing of etcd. */
static struct json_object *reconfigured(struct daemon *d, struct client *c, const char *name,
					const char *hook)
{
	struct json_object *reply, *data = NULL;
	char args[256];
	struct lineage_entry *e = webroot_lineage(d, name);

	/* This host's own attempts: not settings. */
	e->conf.state.failures = 2;
	e->conf.state.last_error = strdup("the CA said no");
	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	snprintf(args, sizeof(args), "{\"cert_name\":\"%s\",\"deploy_hook\":\"%s\"}", name, hook);
	run(d, c, CMD_RECONFIGURE, args);
	ASSERT_NONNULL(batch);
	reply = json_tokener_parse("{\"status\":0,\"data\":{\"dry_run\":true}}");
	batch->opts.on_job(d, batch->opts.ctx, name, reply);
	ASSERT_INT_EQ((int)jobj_int(reply, "status", -1), 0);
	ASSERT_TRUE(json_object_object_get_ex(reply, "data", &data));
	json_object_get(data);
	json_object_put(reply);
	batch_clear();
	conn_clear(c);
	return data;
}

TEST(a_cluster_hosts_reply_says_where_etcd_is)
{
	struct daemon *d = daemon_new();
	struct daemon_options opts = { .config = "/etc/acmed/fleet.conf" };
	struct client c = { 0 };
	struct json_object *data;

	d->opts = &opts;
	data = reconfigured(d, &c, "a.test", "one");
	ASSERT_TRUE(!json_object_object_get_ex(data, "cluster_prefix", NULL));
	ASSERT_TRUE(!json_object_object_get_ex(data, "config", NULL));
	ASSERT_TRUE(!json_object_object_get_ex(data, "settings", NULL));
	json_object_put(data);

	ASSERT_INT_EQ(config_set_string(&d->cfg.storage, "etcd"), 0);
	ASSERT_INT_EQ(config_set_string(&d->cfg.etcd_prefix, "/fleet/"), 0);
	data = reconfigured(d, &c, "b.test", "two");
	ASSERT_STR_EQ(jobj_str(data, "cluster_prefix"), "/fleet/");
	ASSERT_STR_EQ(jobj_str(data, "config"), "/etc/acmed/fleet.conf");
	ASSERT_STR_CONTAINS(jobj_str(data, "renewal_file"), "renewal/b.test.conf");
	ASSERT_STR_CONTAINS(jobj_str(data, "settings"), "deploy_hook = \"two\"");
	ASSERT_STR_CONTAINS(jobj_str(data, "settings"), "name = \"b.test\"");
	ASSERT_TRUE(strstr(jobj_str(data, "settings"), "the CA said no") == NULL);
	ASSERT_TRUE(strstr(jobj_str(data, "settings"), "failures") == NULL);
	/* The file here keeps them. */
	{
		char *here = renewal_text(d, "b.test");

		ASSERT_STR_CONTAINS(here, "the CA said no");
		free(here);
	}
	json_object_put(data);

	/* A relative path means nothing in acmectl's working directory. */
	opts.config = "fleet.conf";
	data = reconfigured(d, &c, "c.test", "three");
	ASSERT_STR_EQ(jobj_str(data, "cluster_prefix"), "/fleet/");
	ASSERT_TRUE(!json_object_object_get_ex(data, "config", NULL));
	json_object_put(data);

	/* Nothing changed (webroot_lineage's hook is "true"): the settings
	 * all the same, for a reconfigure run again after etcd did not
	 * answer. */
	data = reconfigured(d, &c, "d.test", "true");
	ASSERT_INT_EQ(json_object_array_length(json_object_object_get(data, "changes")), 0);
	ASSERT_STR_EQ(jobj_str(data, "cluster_prefix"), "/fleet/");
	ASSERT_STR_CONTAINS(jobj_str(data, "settings"), "deploy_hook = \"true\"");
	json_object_put(data);
	d->opts = NULL;
	cleanup(d, &c);
}

/* Another authenticator takes the old one's options away; another key
 * type its curve; settings not given stay. */
TEST(another_authenticator_drops_the_old_ones_options)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct lineage_entry *e = lineage_add(d, "s.test", -10 * DAY);
	struct json_object *reply;
	struct renewal back;
	char err[512];

	e->conf.authn.http01_port = 8080;
	e->conf.authn.preferred_challenges = strdup("http-01");
	e->conf.pre_hook = strdup("echo pre");
	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"s.test\",\"authenticator\":\"webroot\","
				    "\"webroot_path\":\"/srv/w\"}");
	ASSERT_NONNULL(batch);
	reply = json_tokener_parse("{\"status\":0,\"data\":{}}");
	batch->opts.on_job(d, batch->opts.ctx, "s.test", reply);
	ASSERT_STR_EQ(change_of(reply, "authenticator"), "standalone -> webroot");
	ASSERT_STR_EQ(change_of(reply, "http-01-port"), "8080 -> ");
	ASSERT_INT_EQ(store_renewal_load(d->store, "s.test", &back, err, sizeof(err)), 0);
	ASSERT_STR_EQ(back.authn.name, "webroot");
	ASSERT_INT_EQ(back.authn.http01_port, 0);
	ASSERT_TRUE(back.authn.preferred_challenges == NULL);
	ASSERT_INT_EQ(back.authn.nwebroot, 1);
	ASSERT_STR_EQ(back.authn.webroot[0].path, "/srv/w");
	ASSERT_STR_EQ(back.pre_hook, "echo pre");
	renewal_clear(&back);
	json_object_put(reply);
	cleanup(d, &c);
}

TEST(a_failed_dry_run_leaves_the_file_as_it_was)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct json_object *reply, *e;
	char *before, *after;

	webroot_lineage(d, "a.test");
	before = renewal_text(d, "a.test");
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"webroot_path\":\"/srv/new\"}");
	ASSERT_NONNULL(batch);
	reply = json_tokener_parse("{\"status\":-1007,\"error\":{\"code\":\"invalid\","
				   "\"message\":\"validating a.test failed: 404\"}}");
	batch->opts.on_job(d, batch->opts.ctx, "a.test", reply);
	ASSERT_INT_EQ((int)jobj_int(reply, "status", 0), ACMED_EINVALID);
	ASSERT_TRUE(json_object_object_get_ex(reply, "error", &e));
	ASSERT_STR_CONTAINS(jobj_str(e, "message"), "renewal/a.test.conf was not changed");
	ASSERT_STR_CONTAINS(jobj_str(e, "message"), "validating a.test failed: 404");
	after = renewal_text(d, "a.test");
	ASSERT_STR_EQ(after, before);
	json_object_put(reply);
	free(before);
	free(after);
	cleanup(d, &c);
}

TEST(another_server_drops_the_account_and_a_file_changed_meanwhile_is_kept)
{
	struct daemon *d = daemon_new();
	struct client c = { 0 };
	struct json_object *reply;
	struct lineage_entry *e;
	struct renewal back;
	char err[512], *edited;

	e = webroot_lineage(d, "a.test");
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"server\":\"https://other.test/d\"}");
	ASSERT_NONNULL(batch);
	/* The file changes under the dry run (an admin's edit): not saved over. */
	free(e->conf.pre_hook);
	e->conf.pre_hook = strdup("echo edited");
	ASSERT_INT_EQ(store_renewal_save(d->store, &e->conf), 0);
	edited = renewal_text(d, "a.test");
	reply = json_tokener_parse("{\"status\":0,\"data\":{}}");
	batch->opts.on_job(d, batch->opts.ctx, "a.test", reply);
	ASSERT_INT_EQ((int)jobj_int(reply, "status", 0), -EBUSY);
	free(e->conf.pre_hook); /* the index's copy: not what the test compares */
	e->conf.pre_hook = NULL;
	{
		char *now = renewal_text(d, "a.test");

		ASSERT_STR_EQ(now, edited);
		free(now);
	}
	json_object_put(reply);
	free(edited);
	cleanup(d, &c);

	d = daemon_new();
	webroot_lineage(d, "a.test");
	run(d, &c, CMD_RECONFIGURE, "{\"cert_name\":\"a.test\",\"server\":\"https://other.test/d\"}");
	ASSERT_NONNULL(batch);
	reply = json_tokener_parse("{\"status\":0,\"data\":{}}");
	batch->opts.on_job(d, batch->opts.ctx, "a.test", reply);
	ASSERT_STR_EQ(change_of(reply, "account"), "acct -> ");
	ASSERT_INT_EQ(store_renewal_load(d->store, "a.test", &back, err, sizeof(err)), 0);
	ASSERT_STR_EQ(back.server, "https://other.test/d");
	ASSERT_TRUE(back.account == NULL);
	renewal_clear(&back);
	json_object_put(reply);
	cleanup(d, &c);
}

