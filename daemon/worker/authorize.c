/* The authorizations of an issuance job (issue_priv.h): a challenge
 * picked for each name, answered through the authenticator, waited for;
 * with --allow-subset-of-names the names that fail are dropped as certbot
 * drops them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/worker/issue_priv.h"
#include "daemon/worker/progress.h"
#include "error.h"
#include "ident.h"
#include "jws.h"
#include "jsonutil.h"
#include "util.h"

static const struct acme_challenge *offered(const struct acme_authz *a, const char *type)
{
	for (size_t i = 0; i < a->nchal; i++)
		if (streq(a->chal[i].type, type) && a->chal[i].token)
			return &a->chal[i];
	return NULL;
}

/* The challenge to answer for A: the first type in the order of
 * preference (--preferred-challenges, else the authenticator's own) that
 * AU answers and the CA offers. */
static const struct acme_challenge *pick_challenge(const struct authn_info *au,
						   const struct authn_config *cfg,
						   const struct acme_authz *a)
{
	const char *pref = cfg->preferred_challenges;
	const struct acme_challenge *c;

	if (!pref) {
		for (size_t i = 0; i < ELEMENTSOF(au->types) && au->types[i]; i++)
			if ((c = offered(a, au->types[i])))
				return c;
		return NULL;
	}
	for (const char *p = pref, *end; *p; p = *end ? end + 1 : end) {
		char type[32];

		end = p + strcspn(p, ",");
		snprintf(type, sizeof(type), "%.*s", (int)(end - p), p);
		if (authn_answers((enum authn_kind)(au - authn_infos), type) &&
		    (c = offered(a, type)))
			return c;
	}
	return NULL;
}

struct pending {
	struct acme_authz authz; /* refreshed while polling: keep no pointers into it */
	char shown[IDENT_MAX + 3]; /* its name as ordered: "*.example.com" */
	char *chal_url;
	char *type;
	char *token;
	char *key_auth;
	char *validation;
	bool failed; /* found invalid (--allow-subset-of-names): set aside */
};

/* The name authorization A is for, as the order asked for it ("*." and the
 * base name for a wildcard), in SHOWN; an authorization for a name the
 * order did not ask for is refused: the CA is not doing what we asked. */
static int check_identifier(struct run *run, const struct acme_authz *a, char *shown,
			    size_t len)
{
	char why[IDENT_MAX + 200];

	snprintf(shown, len, "%s%.*s", a->wildcard ? "*." : "", IDENT_MAX, a->identifier);
	for (size_t i = 0; i < run->nnames; i++)
		if (strcasecmp(run->names[i], shown) == 0)
			return 0;
	snprintf(why, sizeof(why), "the CA sent an authorization for %s, which the order did not "
				   "ask for", shown);
	return issue_fail(run, ACMED_EPROTO, why);
}

/* --allow-subset-of-names: NAME failed validation for WHY; said, and kept
 * in run->failed for issue_drop_failed(). 0 or -ENOMEM. */
static int set_aside(struct run *run, const char *name, const char *why)
{
	struct json_object *o = json_object_new_object();

	if (!o || (!run->failed && !(run->failed = json_object_new_array()))) {
		json_object_put(o);
		return issue_fail(run, -ENOMEM, NULL);
	}
	progress(run->ev_fd, "Could not validate %s (authenticator: %s): %s", name,
		 run->authn->name, why);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "why", json_object_new_string(why));
	json_object_array_add(run->failed, o);
	return 0;
}

/* The CA's words on why the current step's name is invalid, in WHY. */
static const char *invalid_why(struct run *run, char *why, size_t len)
{
	acme_problem_format(&run->acme->problem, why, len);
	return run->acme->problem.type ? why : run->acme->err;
}

/* P's name found invalid with --allow-subset-of-names: set aside. */
static int invalid_name(struct run *run, struct pending *p)
{
	char why[1024];

	p->failed = true;
	return set_aside(run, p->shown, invalid_why(run, why, sizeof(why)));
}

/* The same without it: the job fails with the CA's words. */
static int invalid_fail(struct run *run, int r)
{
	char why[1024];

	return issue_fail(run, r, invalid_why(run, why, sizeof(why)));
}

static bool failed_name(const struct run *run, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(run->failed); i++)
		if (streq(jobj_str(json_object_array_get_idx(run->failed, i), "name"), name))
			return true;
	return false;
}

int issue_drop_failed(struct run *run)
{
	size_t n = json_object_array_length(run->failed), left = 0, at = 0;
	char **rest, list[1024];

	if (n >= run->nnames) {
		run->step = "authorizing";
		return issue_fail(run, ACMED_EINVALID, "All challenges have failed.");
	}
	rest = calloc(run->nnames - n + 1, sizeof(*rest));
	if (!rest || (!run->dropped && !(run->dropped = json_object_new_array()))) {
		free(rest);
		return issue_fail(run, -ENOMEM, NULL);
	}
	list[0] = '\0';
	for (size_t i = 0; i < run->nnames; i++) {
		if (!failed_name(run, run->names[i])) {
			if (!(rest[left++] = strdup(run->names[i]))) {
				strv_free(rest, left);
				return issue_fail(run, -ENOMEM, NULL);
			}
			continue;
		}
		at += (size_t)snprintf(list + at, at < sizeof(list) ? sizeof(list) - at : 0, "%s%s",
				       at ? ", " : "", run->names[i]);
		json_object_array_add(run->dropped, json_object_new_string(run->names[i]));
	}
	progress(run->ev_fd, "Unable to obtain a certificate with every requested domain. "
			     "Retrying without: %s", list);
	strv_free(run->names_owned, run->nnames);
	run->names = run->names_owned = rest;
	run->nnames = left;
	json_object_put(run->failed);
	run->failed = NULL;
	return 0;
}

int issue_authorize(struct run *run, struct acme_order *order)
{
	const struct authn_info *au = run->authn;
	struct pending *p = calloc(order->nauthz, sizeof(*p));
	struct authn_challenge *ac = calloc(order->nauthz, sizeof(*ac));
	struct authn_state *st = NULL;
	size_t np = 0, done = 0;
	int r = 0;
	char step[300];

	if (!p || !ac) {
		free(p);
		free(ac);
		return issue_fail(run, -ENOMEM, NULL);
	}
	run->step = "fetching authorizations";
	for (size_t i = 0; i < order->nauthz; i++) {
		struct pending *x = &p[np];
		const struct acme_challenge *chal;

		r = acme_authz_get(run->acme, order->authz[i], &x->authz);
		if (r < 0)
			r = issue_fail_acme(run, r);
		else
			r = check_identifier(run, &x->authz, x->shown, sizeof(x->shown));
		if (r < 0) {
			acme_authz_clear(&x->authz);
			goto out;
		}
		if (streq(x->authz.status, "valid")) {
			progress(run->ev_fd, "Authorization %zu/%zu valid: %s (reused)",
				       ++done, order->nauthz, x->shown);
			acme_authz_clear(&x->authz);
			continue;
		}
		snprintf(step, sizeof(step), "authorizing %s", x->shown);
		run->step = step;
		chal = pick_challenge(au, &run->req->authn, &x->authz);
		if (!streq(x->authz.status, "pending") || !chal) {
			char why[300];

			if (streq(x->authz.status, "pending"))
				snprintf(why, sizeof(why), "the CA offers no challenge the %s "
							   "authenticator answers (%s%s%s)%s",
					 au->name, au->types[0], au->types[1] ? ", " : "",
					 au->types[1] ? au->types[1] : "",
					 x->authz.wildcard ? "; wildcards need dns-01" : "");
			else
				snprintf(why, sizeof(why), "the authorization is %s",
					 x->authz.status);
			acme_authz_clear(&x->authz);
			r = issue_fail(run, ACMED_ENOCHALLENGE, why);
			goto out;
		}
		x->chal_url = strdup(chal->url);
		x->type = strdup(chal->type);
		x->token = strdup(chal->token);
		x->key_auth = jws_key_authorization(run->account.key, chal->token);
		x->validation = !x->key_auth ? NULL
			      : streq(chal->type, "dns-01") ? jws_dns01_value(x->key_auth)
							    : strdup(x->key_auth);
		np++;
		if (!x->chal_url || !x->type || !x->token || !x->key_auth || !x->validation) {
			r = issue_fail(run, -ENOMEM, NULL);
			goto out;
		}
	}
	if (np == 0)
		goto out;
	for (size_t i = 0; i < np; i++)
		ac[i] = (struct authn_challenge){ p[i].authz.identifier, p[i].type, p[i].token,
						  p[i].key_auth, p[i].validation };
	run->step = "setting up the challenge responses";
	r = run->authn_impl->perform(run->authn_job, ac, np, &st, run->err, sizeof(run->err));
	if (r < 0) {
		char why[sizeof(run->err)];

		snprintf(why, sizeof(why), "%s", run->err);
		r = issue_fail(run, r, why);
		goto out;
	}
	/* A CA may validate within the challenge's POST (or answer a POST
	 * sent again after a badNonce with the outcome): found invalid there
	 * or while waiting, the name is set aside the same way. */
	for (size_t i = 0; r == 0 && i < np; i++) {
		snprintf(step, sizeof(step), "answering the %s challenge for %s", p[i].type,
			 p[i].shown);
		run->step = step;
		r = acme_challenge_respond(run->acme, p[i].chal_url);
		if (r == ACMED_EINVALID && run->req->allow_subset)
			r = invalid_name(run, &p[i]);
		else if (r < 0)
			r = issue_fail_acme(run, r);
	}
	for (size_t i = 0; r == 0 && i < np; i++) {
		if (p[i].failed)
			continue;
		snprintf(step, sizeof(step), "validating %s", p[i].shown);
		run->step = step;
		r = acme_authz_wait(run->acme, &p[i].authz, p[i].chal_url);
		if (r == ACMED_EINVALID) {
			if (run->req->allow_subset)
				r = invalid_name(run, &p[i]);
			else
				r = invalid_fail(run, r);
		} else if (r < 0) {
			r = issue_fail_acme(run, r);
		} else {
			progress(run->ev_fd, "Authorization %zu/%zu valid: %s (%s)", ++done,
				       order->nauthz, p[i].shown, p[i].type);
		}
	}
out:
	run->authn_impl->cleanup(run->authn_job, st);
	for (size_t i = 0; i < order->nauthz; i++) {
		acme_authz_clear(&p[i].authz);
		free(p[i].chal_url);
		free(p[i].type);
		free(p[i].token);
		free(p[i].key_auth);
		free(p[i].validation);
	}
	free(p);
	free(ac);
	return r;
}

