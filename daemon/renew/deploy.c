#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/renew/deploy.h"
#include "daemon/renew/hooks.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

#define DEPLOY_DIR "deploy-pending"
#define SUFFIX ".json"
/* A record names a few hooks: far below this. */
#define RECORD_MAX (256 * 1024)

/* Add "NAME=value" to the list (VALUE NULL: nothing). */
static void var_add(char **v, size_t *n, const char *name, const char *value)
{
	if (value && asprintf(&v[*n], "%s=%s", name, value) >= 0)
		(*n)++;
}

char **deploy_env(struct daemon *d, const char *name, const char *domains,
		  struct json_object *data)
{
	static const char *const files[][2] = {
		{ "ACMED_CERT_PATH", "cert.pem" },
		{ "ACMED_CHAIN_PATH", "chain.pem" },
		{ "ACMED_FULLCHAIN_PATH", "fullchain.pem" },
		{ "ACMED_KEY_PATH", "privkey.pem" },
	};
	char *extra[16] = { 0 }, **env, num[32];
	char *live = fs_join(store_dir(d->store), "live");
	char *dir = live ? fs_join(live, name) : NULL;
	size_t n = 0, count;

	var_add(extra, &n, "ACMED_STATE_DIR", store_dir(d->store));
	/* certbot's names, so existing deploy hooks work unchanged. */
	var_add(extra, &n, "RENEWED_LINEAGE", dir);
	var_add(extra, &n, "RENEWED_DOMAINS", domains);
	var_add(extra, &n, "ACMED_CERT_NAME", name);
	snprintf(num, sizeof(num), "%lld", jobj_int(data, "version", 0));
	var_add(extra, &n, "ACMED_VERSION", num);
	var_add(extra, &n, "ACMED_SERIAL", jobj_str(data, "serial"));
	var_add(extra, &n, "ACMED_NOT_AFTER", jobj_str(data, "not_after"));
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		char *p = store_live_path(d->store, name, files[i][1]);

		var_add(extra, &n, files[i][0], p);
		free(p);
	}
	env = hooks_env(HOOK_DEPLOY, extra, n, &count);
	for (size_t i = 0; i < n; i++)
		free(extra[i]);
	free(dir);
	free(live);
	return env;
}

/* ---- the records ---- */

/* deploy-pending/ (made with CREATE), or -errno (-ENOENT: none yet). */
static int dir_open(struct daemon *d, bool create)
{
	int dfd = open(store_dir(d->store), O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (dfd < 0)
		return -errno;
	fd = fs_open_dirs(dfd, DEPLOY_DIR, create, 0700);
	close(dfd);
	return fd;
}

static char *file_of(const char *name)
{
	char *f;

	return asprintf(&f, "%s" SUFFIX, name) < 0 ? NULL : f;
}

static int write_record(struct daemon *d, const char *name, struct json_object *rec)
{
	const char *text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	char *file = file_of(name);
	int fd = file ? dir_open(d, true) : -ENOMEM, r = fd;

	if (fd >= 0) {
		r = fs_write_durable(fd, file, text, strlen(text), 0600, 0);
		close(fd);
	}
	free(file);
	return r;
}

static int clear_record(struct daemon *d, const char *name)
{
	char *file = file_of(name);
	int fd = file ? dir_open(d, false) : -ENOMEM, r = fd;

	if (fd >= 0) {
		r = unlinkat(fd, file, 0) < 0 && errno != ENOENT ? -errno : fs_fsync_dir(fd);
		close(fd);
	}
	free(file);
	return r == -ENOENT ? 0 : r;
}

/* Is REC a record for NAME: the members deploy_resume() and deploy_done()
 * rely on, of the right types? */
static bool record_ok(struct json_object *rec, const char *name)
{
	struct json_object *hooks;

	if (!json_object_is_type(rec, json_type_object) || !streq(jobj_str(rec, "name"), name) ||
	    !jobj_str(rec, "domains") || jobj_int(rec, "version", 0) < 1 ||
	    !json_object_object_get_ex(rec, "hooks", &hooks) ||
	    !json_object_is_type(hooks, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(hooks); i++) {
		struct json_object *h = json_object_array_get_idx(hooks, i);

		if (!json_object_is_type(h, json_type_object) || str_empty(jobj_str(h, "command")))
			return false;
	}
	return true;
}

/* NAME's record, or NULL with ERR saying why (-ENOENT in *ERRNUM: none). */
static struct json_object *load_record(struct daemon *d, const char *name, int *errnum, char *err,
				       size_t errlen)
{
	char *file = file_of(name), *text = NULL, shown[300];
	struct json_object *rec = NULL;
	int fd = file ? dir_open(d, false) : -ENOMEM, r = fd;

	snprintf(shown, sizeof(shown), DEPLOY_DIR "/%s", str_or_empty(file));
	if (fd >= 0) {
		r = fs_read_trusted_at(fd, file, shown, RECORD_MAX, &text, NULL, err, errlen);
		close(fd);
	} else {
		snprintf(err, errlen, "%s: %s", shown, strerror(-r));
	}
	if (r == 0 && (!(rec = json_tokener_parse(text)) || !record_ok(rec, name))) {
		snprintf(err, errlen, "%s: not a record of deploy hooks for %s", shown, name);
		json_object_put(rec);
		rec = NULL;
		r = -EINVAL;
	}
	*errnum = r;
	free(text);
	free(file);
	return rec;
}

int deploy_record(struct daemon *d, const char *name, const char *domains,
		  struct json_object *data, struct json_object *hooks)
{
	static const char *const copied[] = { "serial", "not_after" };
	struct json_object *rec = json_object_new_object();
	int r;

	if (!rec)
		return -ENOMEM;
	json_object_object_add(rec, "name", json_object_new_string(name));
	json_object_object_add(rec, "domains", json_object_new_string(domains));
	json_object_object_add(rec, "version",
			       json_object_new_int((int)jobj_int(data, "version", 0)));
	for (size_t i = 0; i < ELEMENTSOF(copied); i++)
		if (jobj_str(data, copied[i]))
			json_object_object_add(rec, copied[i],
					       json_object_new_string(jobj_str(data, copied[i])));
	json_object_object_add(rec, "hooks", json_object_get(hooks));
	r = write_record(d, name, rec);
	json_object_put(rec);
	return r;
}

/* Take hook COMMAND out of REC (NAME's); the file goes with the last. */
static int take_out(struct daemon *d, const char *name, struct json_object *rec,
		    const char *command)
{
	struct json_object *hooks, *left = json_object_new_array();

	if (!left)
		return -ENOMEM;
	json_object_object_get_ex(rec, "hooks", &hooks);
	for (size_t i = 0, taken = 0; i < json_object_array_length(hooks); i++) {
		struct json_object *h = json_object_array_get_idx(hooks, i);

		if (!taken && streq(jobj_str(h, "command"), command))
			taken = 1;
		else
			json_object_array_add(left, json_object_get(h));
	}
	json_object_object_add(rec, "hooks", left);
	return json_object_array_length(left) ? write_record(d, name, rec) : clear_record(d, name);
}

void deploy_done(struct daemon *d, const char *name, int version, const char *command)
{
	char err[600];
	int r;
	struct json_object *rec = load_record(d, name, &r, err, sizeof(err));

	if (!rec && r == -ENOENT)
		return;
	if (rec && jobj_int(rec, "version", 0) != version) {
		json_object_put(rec);
		return; /* a newer version's hooks were recorded since */
	}
	if (rec)
		r = take_out(d, name, rec, command);
	if (r < 0)
		log_job(LOG_LVL_WARNING, 0, name,
			"%s: cannot take the deploy hook \"%.200s\" out of the record of those "
			"still to run (%s): it will run again when acmed starts again",
			name, command, rec ? strerror(-r) : err);
	json_object_put(rec);
}

/* ---- at start-up ---- */

/* What a hook run again remembers, to take itself out of the record. */
struct resumed {
	char *name, *command;
	int version;
};

static void resumed_done(struct daemon *d, void *ctx, const struct hook_req *h,
			 const struct hook_result *res)
{
	struct resumed *rs = ctx;

	(void)h;
	if (!res->stopped) {
		deploy_done(d, rs->name, rs->version, rs->command);
		/* --oneshot: a failed hook fails the run, as in a batch. */
		if (d->oneshot &&
		    (res->not_started || res->timed_out || res->signal || res->exit_status))
			d->exit_code = 1;
	}
	free(rs->name);
	free(rs->command);
	free(rs);
}

/* Queue hook H of REC (NAME's), WHY said in its label; false if it may
 * not run. */
static bool queue_recorded(struct daemon *d, const char *name, struct json_object *rec,
			   struct json_object *h, const char *why_label)
{
	const char *command = jobj_str(h, "command");
	struct hook_req req = { .kind = HOOK_DEPLOY, .on_done = resumed_done };
	struct resumed *rs = calloc(1, sizeof(*rs));
	char why[600];

	/* An executable of renewal-hooks/deploy/ is judged again: it may have
	 * changed since it was recorded. */
	if (jobj_bool(h, "path") && fs_check_trusted_path(command, why, sizeof(why)) < 0) {
		log_job(LOG_LVL_ERROR, 0, name, "deploy hook not run again for %s: %s", name, why);
		free(rs);
		return false;
	}
	req.command = jobj_bool(h, "path") ? hooks_sh_quote(command) : strdup(command);
	req.env = deploy_env(d, name, jobj_str(rec, "domains"), rec);
	req.name = strdup(name);
	if (asprintf(&req.label, "deploy hook \"%.200s\" for %s (%s)", command, name, why_label) < 0)
		req.label = NULL;
	if (rs) {
		rs->name = strdup(name);
		rs->command = strdup(command);
		rs->version = (int)jobj_int(rec, "version", 0);
		req.ctx = rs;
	}
	if (!rs || !rs->name || !rs->command || !req.command || !req.env || !req.name ||
	    !req.label || hooks_enqueue(d, &req) < 0) {
		log_job(LOG_LVL_ERROR, 0, name, "out of memory running deploy hooks for %s again",
			name);
		if (rs) {
			free(rs->name);
			free(rs->command);
		}
		free(rs);
		free(req.command);
		free(req.label);
		free(req.name);
		strv_free_nt(req.env);
	}
	return true;
}

/* Run NAME's recorded deploy hooks again. */
static void resume_one(struct daemon *d, const char *name)
{
	char err[600];
	int r;
	struct json_object *rec = load_record(d, name, &r, err, sizeof(err)), *hooks, *refused;
	size_t n;

	if (!rec) {
		log_job(LOG_LVL_ERROR, 0, name, "deploy hooks not run again: %s", err);
		return;
	}
	if (!index_get(&d->index, name)) {
		log_job(LOG_LVL_WARNING, 0, name, "%s is gone: its deploy hooks are not run again",
			name);
		clear_record(d, name);
		json_object_put(rec);
		return;
	}
	json_object_object_get_ex(rec, "hooks", &hooks);
	n = json_object_array_length(hooks);
	log_job(LOG_LVL_WARNING, 0, name,
		"%s: %zu deploy hook(s) for version %lld had not finished when acmed stopped: "
		"running them again",
		name, n, jobj_int(rec, "version", 0));
	refused = json_object_new_array();
	for (size_t i = 0; refused && i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hooks, i);

		if (!queue_recorded(d, name, rec, h, "run again"))
			json_object_array_add(refused,
					      json_object_new_string(jobj_str(h, "command")));
	}
	for (size_t i = 0; i < json_object_array_length(refused); i++)
		deploy_done(d, name, (int)jobj_int(rec, "version", 0),
			    json_object_get_string(json_object_array_get_idx(refused, i)));
	json_object_put(refused);
	json_object_put(rec);
}

/* Collect "NAME" of each "NAME.json" into the array CTX. */
static int collect(const char *file, void *ctx)
{
	size_t len = strlen(file);
	char *name;

	if (len <= strlen(SUFFIX) || !streq(file + len - strlen(SUFFIX), SUFFIX))
		return 0;
	name = strndup(file, len - strlen(SUFFIX));
	if (name && store_name_valid(name))
		json_object_array_add(ctx, json_object_new_string(name));
	free(name);
	return 0;
}

void deploy_resume(struct daemon *d)
{
	struct json_object *names = json_object_new_array();
	int fd = dir_open(d, false), gone = 0;

	if (fd < 0 || !names) {
		if (fd != -ENOENT)
			log_error(DEPLOY_DIR ": %s: deploy hooks that had not finished are not "
				  "run again", strerror(fd < 0 ? -fd : ENOMEM));
		if (fd >= 0)
			close(fd);
		json_object_put(names);
		return;
	}
	/* A record's temp copy a crash left; then the names, before any
	 * record changes under the walk. */
	fs_remove_temps(fd, &gone);
	if (lseek(fd, 0, SEEK_SET) == 0)
		fs_each_entry(fd, collect, names);
	close(fd);
	for (size_t i = 0; i < json_object_array_length(names); i++)
		resume_one(d, json_object_get_string(json_object_array_get_idx(names, i)));
	json_object_put(names);
}

/* ---- a version another host published ---- */

/* Add {"command": RAW, "path": IS_PATH} to SET unless empty or there. */
static void set_add(struct json_object *set, const char *raw, bool is_path)
{
	if (str_empty(raw))
		return;
	for (size_t i = 0; i < json_object_array_length(set); i++)
		if (streq(jobj_str(json_object_array_get_idx(set, i), "command"), raw))
			return;
	struct json_object *h = json_object_new_object();

	json_object_object_add(h, "command", json_object_new_string(raw));
	json_object_object_add(h, "path", json_object_new_boolean(is_path));
	json_object_array_add(set, h);
}

/* NAME's deploy hooks, in a batch's order: renewal-hooks/deploy/ (unless
 * directory_hooks is off), acmed.conf's, the lineage's own. */
static struct json_object *hooks_of(struct daemon *d, const struct lineage_entry *e)
{
	struct json_object *set = json_object_new_array();
	struct hook_list dir_hooks = { 0 };

	if (!set)
		return NULL;
	if (d->cfg.directory_hooks) {
		char *base = fs_join(store_dir(d->store), "renewal-hooks");
		char *dir = base ? fs_join(base, "deploy") : NULL;

		if (dir && hooks_dir_list(dir, &dir_hooks) < 0)
			log_warning("%s: cannot list the hooks there", dir);
		free(dir);
		free(base);
	}
	for (size_t i = 0; i < dir_hooks.nrefused; i++)
		log_job(LOG_LVL_ERROR, 0, e->name, "deploy hook not run: %s", dir_hooks.refused[i]);
	for (size_t i = 0; i < dir_hooks.n; i++)
		set_add(set, dir_hooks.paths[i], true);
	hook_list_clear(&dir_hooks);
	set_add(set, d->cfg.deploy_hook, false);
	if (e->have_conf)
		set_add(set, e->conf.deploy_hook, false);
	return set;
}

/* "a.example www.a.example": E's names. Caller frees. */
static char *domains_of(const struct lineage_entry *e)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; e->have_conf && i < e->conf.ndomains; i++)
		fprintf(f, "%s%s", i ? " " : "", e->conf.domains[i]);
	return fclose(f) == 0 ? out : (free(out), NULL);
}

int deploy_materialised(struct daemon *d, const char *name, int version)
{
	const struct lineage_entry *e = index_get(&d->index, name);
	struct json_object *data = json_object_new_object(), *set = NULL, *rec = NULL, *hooks;
	char *domains = NULL, serial[128] = "", na[32] = "";
	int r = -ENOMEM;

	if (!e)
		goto out;
	if (e->have_cert) {
		snprintf(serial, sizeof(serial), "%s", str_or_empty(e->cert.serial));
		timefmt_format_rfc3339(e->cert.not_after, na, sizeof(na));
	}
	domains = domains_of(e);
	set = hooks_of(d, e);
	if (!data || !domains || !set)
		goto out;
	json_object_object_add(data, "version", json_object_new_int(version));
	json_object_object_add(data, "serial", json_object_new_string(serial));
	json_object_object_add(data, "not_after", json_object_new_string(na));
	r = 0;
	if (json_object_array_length(set) == 0)
		goto out;
	/* Recorded first, as after a job: a stop while they run leaves them
	 * to the next start. */
	r = deploy_record(d, name, domains, data, set);
	if (r < 0)
		log_job(LOG_LVL_WARNING, 0, name, "%s: cannot record its deploy hooks before they "
			"run (%s)", name, strerror(-r));
	rec = json_object_new_object();
	json_object_object_add(rec, "domains", json_object_new_string(domains));
	json_object_object_add(rec, "version", json_object_new_int(version));
	json_object_object_add(rec, "serial", json_object_new_string(serial));
	json_object_object_add(rec, "not_after", json_object_new_string(na));
	hooks = set;
	for (size_t i = 0; i < json_object_array_length(hooks); i++) {
		struct json_object *h = json_object_array_get_idx(hooks, i);

		if (!queue_recorded(d, name, rec, h, "copied from the cluster"))
			deploy_done(d, name, version, jobj_str(h, "command"));
	}
	r = 0;
out:
	json_object_put(rec);
	json_object_put(set);
	json_object_put(data);
	free(domains);
	return r;
}
