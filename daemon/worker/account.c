#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctlproto.h"
#include "daemon/worker/progress.h"
#include "daemon/worker/account.h"
#include "error.h"
#include "jsonutil.h"
#include "jws.h"
#include "log.h"
#include "util.h"

#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"

void account_clear(struct account *a)
{
	signer_free(a->key);
	free(a->id);
	free(a->url);
	free(a->email);
	memset(a, 0, sizeof(*a));
}

/* ERR gets FMT; returns R. */
static int failed(int r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int failed(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int acme_failed(struct acme_client *c, int r, char *err, size_t errlen)
{
	return failed(r, err, errlen, "%s", c->err[0] ? c->err : acmed_strerror(r));
}

/* A rollover that stopped between saving the new key and using it: if the
 * CA knows the account by the new key, finish it, else drop the new key. */
static int finish_rollover(struct store *s, struct helper *keys, struct acme_client *c,
			   const char *server, const char *id, int ev_fd)
{
	struct stored_account st;
	struct signer *next = NULL;
	char why[512];
	int r;

	if (!store_account_has_next_key(s, server, id))
		return 0;
	r = signer_open_key(keys, "account-next", id, false, NULL, &next, NULL);
	if (r < 0)
		return r;
	r = store_account_load_info(s, server, id, &st, why, sizeof(why));
	if (r == -ENOENT) {
		/* Only the last rename was missing: the CA took the new key. */
		r = signer_account(keys, "commit", id, NULL, NULL);
	} else if (r == 0) {
		acme_set_account(c, next, NULL);
		r = acme_account_new(c, NULL, false, true);
		if (r == 0 && streq(c->kid, st.url))
			r = signer_account(keys, "commit", id, NULL, NULL);
		else if (r == 0 || r == -ENOENT)
			r = signer_account(keys, "abort", id, NULL, NULL);
		acme_set_account(c, NULL, NULL);
		stored_account_clear(&st);
	}
	if (r == 0)
		progress(ev_fd, "Finished an interrupted key rollover of account %s", id);
	signer_free(next);
	return r;
}

struct json_object *account_needs(const struct account *a, const struct acme_client *c)
{
	struct json_object *o;
	const char *tos = c ? c->dir.terms_of_service : NULL;

	if (!a->need_email && !a->need_tos)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "need_email", json_object_new_boolean(a->need_email));
	json_object_object_add(o, "need_tos", json_object_new_boolean(a->need_tos));
	if (tos)
		json_object_object_add(o, "terms_of_service", json_object_new_string(tos));
	return o;
}

static int register_new(struct helper *keys, struct acme_client *c,
			const struct account_reg *reg, int ev_fd, struct account *a, char *err,
			size_t errlen)
{
	int r;

	a->step = "registering an account";
	/* Both at once: acmectl asks for them in one go (certonly.c). */
	a->need_tos = !reg || !reg->agree_tos;
	a->need_email = !reg || (!reg->email && !reg->unsafe_no_email);
	if (!reg || !reg->agree_tos)
		return failed(ACMED_ENOACCOUNT, err, errlen,
			      "no account for this CA yet; pass --agree-tos to accept its terms "
			      "of service%s%s%s and register one%s",
			      c->dir.terms_of_service ? " (" : "",
			      str_or_empty(c->dir.terms_of_service),
			      c->dir.terms_of_service ? ")" : "",
			      a->need_email ? ", with --email ADDRESS or "
					      "--register-unsafely-without-email" : "");
	if (!reg->email && !reg->unsafe_no_email)
		return failed(ACMED_ENOACCOUNT, err, errlen,
			      "an email address is needed to register: pass --email ADDRESS or "
			      "--register-unsafely-without-email");
	if (c->dir.external_account_required && !reg->eab_kid)
		return failed(ACMED_ENOACCOUNT, err, errlen,
			      "this CA registers accounts only with an external account binding: "
			      "pass --eab-kid and --eab-hmac-key as the CA gave them");
	/* The signer makes the key and saves it first: if the CA registers it
	 * and we crash, the next run finds the account by this key. */
	r = signer_open_key(keys, "account", NULL, true, NULL, &a->key, &a->id);
	if (r < 0)
		return failed(r, err, errlen, "%s", keys->err);
	acme_set_account(c, a->key, NULL);
	r = acme_account_new(c, reg->email, true, false);
	if (r < 0)
		return acme_failed(c, r, err, errlen);
	a->url = xstrdup(c->kid);
	a->email = xstrdup(reg->email);
	r = signer_account(keys, "save", a->id, c->kid, reg->email);
	if (r < 0)
		return failed(r, err, errlen, "could not save account.json: %s", keys->err);
	progress(ev_fd, "Account registered: %s", c->kid);
	return 0;
}

/* account.json was lost (or the registration never finished): the CA finds
 * the account by its key, and with REG registers it if it has none. */
static int find_by_key(struct helper *keys, struct acme_client *c,
		       const struct account_reg *reg, int ev_fd, struct stored_account *st,
		       char *err, size_t errlen)
{
	bool may_register = reg && reg->agree_tos && (reg->email || reg->unsafe_no_email);
	int r = acme_account_new(c, reg ? reg->email : NULL, may_register, !may_register);

	if (r == -ENOENT)
		return failed(ACMED_ENOACCOUNT, err, errlen,
			      "the CA has no account for the saved key; pass --agree-tos (and "
			      "--email or --register-unsafely-without-email) to register it");
	if (r < 0)
		return acme_failed(c, r, err, errlen);
	st->url = strdup(c->kid);
	free(st->email);
	st->email = xstrdup(c->account_created ? reg->email : NULL);
	if (!st->url)
		return failed(-ENOMEM, err, errlen, "out of memory");
	r = signer_account(keys, "save", st->id, st->url, st->email);
	if (r < 0)
		return failed(r, err, errlen, "could not save account.json: %s", keys->err);
	progress(ev_fd, "%s: %s", c->account_created ? "Account registered"
						   : "Found existing account",
		       c->kid);
	return r;
}

int account_open(struct store *s, struct helper *keys, struct acme_client *c,
		 const char *server, const char *id, const struct account_reg *reg, int ev_fd,
		 struct account *a, char *err, size_t errlen)
{
	struct stored_account st;
	char *found = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	a->step = "loading the account";
	/* Any newAccount below (a registration, or one found by its key) is
	 * bound to the external account, if one was given; the signer holds
	 * its MAC key. */
	if (reg && reg->eab_kid && acme_set_eab(c, reg->eab_kid, NULL) < 0)
		return failed(-ENOMEM, err, errlen, "out of memory");
	/* The lineage's account; if it is gone (deactivated), the CA's one. */
	if (!id || !store_account_exists(s, server, id)) {
		r = store_account_find(s, server, &found);
		if (r == -ENOENT)
			return register_new(keys, c, reg, ev_fd, a, err, errlen);
		if (r == -EEXIST)
			return failed(r, err, errlen, "several accounts for %s in %s/accounts: keep "
						      "one, or name it in the renewal file",
				      server, store_dir(s));
		if (r < 0)
			return failed(r, err, errlen, "no usable account directory for %s", server);
		if (id)
			log_warning("account %s is no longer there; using account %s", id, found);
		id = found;
	}
	r = finish_rollover(s, keys, c, server, id, ev_fd);
	if (r < 0)
		failed(r, err, errlen, "%s", keys->err[0] ? keys->err : acmed_strerror(r));
	if (r == 0)
		r = store_account_load_info(s, server, id, &st, err, errlen);
	free(found);
	if (r < 0)
		return r;
	r = signer_open_key(keys, "account", st.id, false, NULL, &a->key, NULL);
	if (r < 0) {
		stored_account_clear(&st);
		return failed(r, err, errlen, "%s", keys->err);
	}
	acme_set_account(c, a->key, st.url);
	if (!st.url) {
		a->step = "looking up the account by its key";
		r = find_by_key(keys, c, reg, ev_fd, &st, err, errlen);
	}
	a->id = xstrdup(st.id);
	a->url = xstrdup(st.url);
	a->email = xstrdup(st.email);
	stored_account_clear(&st);
	return r;
}

/* ---- acmectl account ---- */

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

/* What `account show` and the others answer: the stored account, and the
 * CA's view of it when OBJ is not NULL. */
static struct json_object *describe(const char *server, const struct account *a,
				    struct json_object *obj)
{
	struct json_object *d = json_object_new_object(), *contact;

	add_str(d, "server", server);
	add_str(d, "id", a->id);
	add_str(d, "url", a->url);
	add_str(d, "email", a->email);
	add_str(d, "key_type", signer_alg(a->key));
	add_str(d, "thumbprint", signer_thumbprint(a->key));
	if (obj) {
		add_str(d, "status", jobj_str(obj, "status"));
		if (json_object_object_get_ex(obj, "contact", &contact))
			json_object_object_add(d, "contact", json_object_get(contact));
		add_str(d, "orders", jobj_str(obj, "orders"));
	}
	return d;
}

static int op_rollover(struct helper *keys, struct acme_client *c, struct account *a,
		       int ev_fd, char *err, size_t errlen)
{
	struct signer *next = NULL;
	int r;

	a->step = "changing the account key";
	/* The signer saves the new key before the CA hears of it; it replaces
	 * the old one only once the CA took it. */
	r = signer_open_key(keys, "account-next", a->id, true, NULL, &next, NULL);
	if (r < 0)
		return failed(r, err, errlen, "%s", keys->err);
	r = acme_key_change(c, next);
	if (r < 0) {
		acme_failed(c, r, err, errlen);
		signer_account(keys, "abort", a->id, NULL, NULL);
		signer_free(next);
		return r;
	}
	r = signer_account(keys, "commit", a->id, NULL, NULL);
	if (r < 0)
		failed(r, err, errlen, "the CA took the new key, but saving it failed (%s); the "
				       "next start finishes it", keys->err);
	progress(ev_fd, "The CA now knows account %s by its new key", a->url);
	signer_free(a->key);
	a->key = next;
	return r;
}

/* An account whose registration completed (a key alone, left by a failed
 * registration, is finished by the next one). *ID gets its ID. */
static bool registered(struct store *s, const char *server, char **id)
{
	struct stored_account st;
	char err[256];
	bool done;

	*id = NULL;
	if (store_account_find(s, server, id) == -ENOENT)
		return false;
	if (!*id || store_account_load_info(s, server, *id, &st, err, sizeof(err)) < 0)
		return true; /* several, or unreadable: not for us to replace */
	done = st.url != NULL;
	stored_account_clear(&st);
	return done;
}

static int run_op(const char *op, struct json_object *args, struct store *s,
		  struct helper *keys, struct acme_client *c, const char *server, int ev_fd,
		  struct account *a, struct json_object **obj, char *err, size_t errlen)
{
	struct account_reg reg = {
		.email = jobj_str(args, "email"),
		.agree_tos = jobj_bool(args, "agree_tos"),
		.unsafe_no_email = jobj_bool(args, "register_unsafely_without_email"),
		.eab_kid = jobj_str(args, "eab_kid"),
	};
	char *existing = NULL;
	int r;

	if (streq(op, "register") && registered(s, server, &existing)) {
		r = failed(-EEXIST, err, errlen, "there is an account for %s already (%s/accounts, "
						 "%s); acmed uses one account per CA: see "
						 "'acmectl account show'",
			   server, store_dir(s), str_or_empty(existing));
		free(existing);
		return r;
	}
	free(existing);
	r = account_open(s, keys, c, server, NULL, streq(op, "register") ? &reg : NULL, ev_fd, a,
			 err, errlen);
	if (r < 0 || streq(op, "register"))
		return r;
	if (streq(op, "rollover"))
		return op_rollover(keys, c, a, ev_fd, err, errlen);
	a->step = streq(op, "show") ? "asking the CA for the account" : "updating the account";
	if (streq(op, "show"))
		r = acme_account_get(c, obj);
	else
		r = acme_account_update(c, reg.email, streq(op, "deactivate"), obj);
	if (r < 0)
		return acme_failed(c, r, err, errlen);
	if (streq(op, "update")) {
		free(a->email);
		a->email = xstrdup(reg.email);
		r = signer_account(keys, "save", a->id, a->url, reg.email);
	} else if (streq(op, "deactivate")) {
		progress(ev_fd, "Account %s is deactivated", a->url);
		r = signer_account(keys, "retire", a->id, NULL, NULL);
	}
	if (r < 0)
		failed(r, err, errlen, "saving the account failed: %s", keys->err);
	return r;
}

struct json_object *account_task(struct json_object *args, const struct acmed_config *cfg,
				 int ev_fd)
{
	const char *op = jobj_str(args, "op"), *server = jobj_str(args, "server");
	struct json_object *reply = json_object_new_object(), *obj = NULL;
	struct store *s = NULL;
	struct acme_client *c = NULL;
	struct account a = { .step = "starting the signer" };
	struct helper keys = { .fd = -1 };
	struct signer_conf sc = {
		.state_dir = cfg->state_dir,
		.server = server,
		.eab_hmac_key = jobj_str(args, "eab_hmac_key"),
		.account_op = op,
	};
	char err[1024] = "";
	int r = store_open(cfg->state_dir, false, &s);

	if (r == 0)
		r = signer_separate(&sc, cfg->ca_bundle, NULL, 0, &keys, err, sizeof(err));
	if (r == 0) {
		a.step = "loading the CA's directory";
		r = acme_client_new(server, cfg->ca_bundle, cfg->acme_timeout, &c);
	}
	if (r == 0 && (r = acme_directory_load(c)) < 0)
		acme_failed(c, r, err, sizeof(err));
	if (r == 0)
		r = run_op(op, args, s, &keys, c, server, ev_fd, &a, &obj, err, sizeof(err));
	json_object_object_add(reply, "status", json_object_new_int(r < 0 ? r : 0));
	if (r < 0) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "%s failed: %s", a.step,
			 err[0] ? err : acmed_strerror(r));
		log_error("%s", msg);
		ctl_reply_set_error(reply, r, NULL, msg);
	} else {
		struct json_object *d = describe(server, &a, obj);

		add_str(d, "op", op);
		if (streq(op, "deactivate"))
			json_object_object_add(d, "status", json_object_new_string("deactivated"));
		json_object_object_add(reply, "data", d);
	}
	json_object_put(obj);
	account_clear(&a);
	acme_client_free(c);
	signer_stop(&keys);
	store_close(s);
	return reply;
}
