#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"
#include "daemon/worker/ask.h"
#include "daemon/worker/cancel.h"
#include "daemon/worker/progress.h"
#include "daemon/worker/account.h"
#include "acme/acme.h"
#include "certcheck.h"
#include "crypto.h"
#include "error.h"
#include "ident.h"
#include "daemon/worker/issue.h"
#include "daemon/worker/issue_priv.h"
#include "jws.h"
#include "jsonutil.h"
#include "log.h"
#include "plugins/plugin.h"
#include "daemon/privsep/signer.h"
#include "store/store.h"
#include "text.h"
#include "timefmt.h"
#include "util.h"

/* ---- the flow (worker process) ---- */

/* Record the failure of the current step, with the CA's words if any. */
int issue_fail(struct run *run, int r, const char *detail)
{
	snprintf(run->err, sizeof(run->err), "%s failed: %s", run->step,
		 !str_empty(detail) ? detail : acmed_strerror(r));
	/* It goes to the admin's terminal: it may quote the CA. */
	text_clean(run->err);
	return r;
}

int issue_fail_acme(struct run *run, int r)
{
	size_t len;
	char when[32];

	if (run->acme->retry_after > 0)
		run->retry_after = time(NULL) + run->acme->retry_after;
	issue_fail(run, r, run->acme->err);
	/* Say when it may be tried again: acmed holds it back until then. */
	len = strlen(run->err);
	if (run->retry_after > 0 && len < sizeof(run->err)) {
		timefmt_format_rfc3339(run->retry_after, when, sizeof(when));
		snprintf(run->err + len, sizeof(run->err) - len,
			 "; the CA asks not to be asked again before %s (Retry-After)", when);
	}
	return r;
}

/* Load the account for the server (the one the lineage used, or the only
 * one), register one if there is none (as the request allows), look it up
 * by key if its URL was lost. */
static int setup_account(struct run *run, const char *account_id)
{
	const struct issue_req *req = run->req;
	struct account_reg reg = {
		.email = req->email,
		.agree_tos = req->agree_tos,
		.unsafe_no_email = req->unsafe_no_email,
		.eab_kid = req->eab_kid,
	};
	char err[1024];
	int r = account_open(run->store, &run->keys, run->acme, req->server, account_id, &reg,
			     run->ev_fd, &run->account, err, sizeof(err));

	if (r < 0) {
		run->step = run->account.step;
		if (run->acme->retry_after > 0)
			run->retry_after = time(NULL) + run->acme->retry_after;
		return issue_fail(run, r, err);
	}
	return 0;
}

/* Split the downloaded chain into the three certificate files. */
static int split_chain(struct run *run, const char *pem, struct version_pems *v)
{
	char **certs = NULL;
	size_t n = 0, len = 0;
	int r = crypto_pem_split(pem, strlen(pem), &certs, &n);

	run->step = "reading the certificate the CA sent";
	if (strlen(pem) > CERT_CHAIN_MAX) {
		char why[128];

		strv_free(certs, n);
		snprintf(why, sizeof(why), "the certificate chain is larger than %d bytes",
			 CERT_CHAIN_MAX);
		return issue_fail(run, ACMED_EPROTO, why);
	}
	if (r < 0)
		return issue_fail(run, ACMED_EPROTO, "the CA's answer is not a PEM certificate chain");
	if (n < 2) {
		strv_free(certs, n);
		return issue_fail(run, ACMED_EPROTO, "the CA sent no intermediate certificate");
	}
	for (size_t i = 1; i < n; i++)
		len += strlen(certs[i]);
	v->chain = calloc(1, len + 1);
	v->cert = certs[0];
	certs[0] = NULL;
	for (size_t i = 1; v->chain && i < n; i++)
		strcat(v->chain, certs[i]);
	strv_free(certs, n);
	if (!v->chain || asprintf(&v->fullchain, "%s%s", v->cert, v->chain) < 0)
		return issue_fail(run, -ENOMEM, NULL);
	return 0;
}

/* Nothing reaches live/ that is not what we asked for (certcheck.h): the
 * key of our CSR, exactly the names, valid now, a chain that links (to the
 * CA's issuer_bundle, if acmed.conf has one). The signer checks again. */
static int check_certificate(struct run *run, const struct version_pems *v,
			     const unsigned char *csr, size_t csrlen)
{
	struct certcheck c = {
		.cert = v->cert,
		.chain = v->chain,
		.csr = csr,
		.csrlen = csrlen,
		.names = run->names,
		.nnames = run->nnames,
		.now = time(NULL),
		.roots = run->issuer_pem,
	};
	char why[600];
	int r;

	run->step = "checking the certificate the CA sent";
	r = certcheck_run(&c, why, sizeof(why));
	return r < 0 ? issue_fail(run, r, why) : 0;
}

static struct json_object *lineage_result(struct run *run, int version, const char *cert)
{
	struct json_object *d = json_object_new_object();
	static const char *const files[] = { "cert", "chain", "fullchain", "privkey" };
	struct cert_info info;

	json_object_object_add(d, "name", json_object_new_string(run->req->name));
	if (version > 0)
		json_object_object_add(d, "version", json_object_new_int(version));
	else
		json_object_object_add(d, "dry_run", json_object_new_boolean(1));
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		char file[32], key[32], *path;

		snprintf(file, sizeof(file), "%s.pem", files[i]);
		snprintf(key, sizeof(key), "%s_path", files[i]);
		path = store_live_path(run->store, run->req->name, file);
		json_object_object_add(d, key, json_object_new_string(path ? path : ""));
		free(path);
	}
	if (crypto_cert_info(cert, strlen(cert), &info) == 0) {
		json_object_object_add(d, "not_after", jobj_new_time(info.not_after));
		json_object_object_add(d, "serial", json_object_new_string(info.serial));
		cert_info_clear(&info);
	}
	return d;
}

/* A dry run that stopped before finalizing: no certificate to describe. */
static struct json_object *validated_result(struct run *run)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "name", json_object_new_string(run->req->name));
	json_object_object_add(d, "dry_run", json_object_new_boolean(1));
	json_object_object_add(d, "validated_only", json_object_new_boolean(1));
	json_object_object_add(d, "server", json_object_new_string(run->req->server));
	return d;
}

static struct json_object *csr_result(const struct version_pems *v)
{
	struct json_object *d = json_object_new_object();
	struct cert_info info;

	json_object_object_add(d, "cert", json_object_new_string(v->cert));
	json_object_object_add(d, "chain", json_object_new_string(v->chain));
	json_object_object_add(d, "fullchain", json_object_new_string(v->fullchain));
	if (crypto_cert_info(v->cert, strlen(v->cert), &info) == 0) {
		json_object_object_add(d, "not_after", jobj_new_time(info.not_after));
		cert_info_clear(&info);
	}
	return d;
}

/* The profile (the request's, else acmed.conf's) must be one the CA lists. */
static int check_profile(struct run *run)
{
	const char *profile = run->req->profile ? run->req->profile : run->cfg->profile;
	const struct acme_directory *dir = &run->acme->dir;
	char why[1024], *p = why;

	if (!profile || acme_profile_offered(run->acme, profile))
		return 0;
	run->step = "choosing the profile";
	if (dir->nprofiles == 0)
		return issue_fail(run, ACMED_ECONFIG, "the CA offers no profiles (its directory has no "
						"meta.profiles); remove the profile setting");
	p += snprintf(why, sizeof(why), "the CA does not offer profile '%s'; it offers:", profile);
	for (size_t i = 0; i < dir->nprofiles && p < why + sizeof(why) - 2; i++)
		p += snprintf(p, (size_t)(why + sizeof(why) - p), " %s", dir->profiles[i]);
	return issue_fail(run, ACMED_ECONFIG, why);
}

/* newOrder with the profile and, when the CA has ARI, "replaces". A CA
 * that refuses the order with it gets the order again without it. */
static int create_order(struct run *run, struct acme_order *order)
{
	const struct issue_req *req = run->req;
	struct acme_order_opts opts = {
		.profile = req->profile ? req->profile : run->cfg->profile,
		.replaces = run->ca_ari == 1 && !str_empty(req->replaces) ? req->replaces : NULL,
	};
	int r;

	run->step = "creating the order";
	r = acme_order_new(run->acme, run->names, run->nnames, &opts, order);
	if ((r == ACMED_EPROBLEM || r == ACMED_EPROTO) && opts.replaces) {
		/* alreadyReplaced, or a certificate the CA will not have this
		 * order replace (another account, other names): RFC 9773 makes
		 * "replaces" a hint, so order without it. */
		char why[512];

		acme_problem_format(&run->acme->problem, why, sizeof(why));
		log_warning("the CA refused the order replacing %s (%s); ordering without "
			    "\"replaces\"", opts.replaces, r == ACMED_EPROBLEM ? why : run->acme->err);
		acme_order_clear(order);
		opts.replaces = NULL;
		r = acme_order_new(run->acme, run->names, run->nnames, &opts, order);
	}
	if (r < 0)
		return issue_fail_acme(run, r);
	progress(run->ev_fd, "Order created: %s%s%s", order->url,
		       opts.replaces ? ", replacing " : "", opts.replaces ? opts.replaces : "");
	/* In a cluster, in etcd at once: a host that dies from here on costs
	 * no second order (the next holder takes this one over). */
	return issue_cluster_order(run, order->url);
}

/* Orders are kept across a crash for jobs that publish a key they made:
 * not a dry run, not --csr (there acmed has no key). */
static bool keeps_orders(const struct run *run)
{
	return !run->req->csr && !run->req->dry_run;
}

static bool resumed(const struct run *run)
{
	return run->resumed_order;
}

/* The version of the lineage whose certificate the valid ORDER issued, or
 * 0: the crash came after the publish, before the saved order was removed.
 * The leaf is compared; the chain may differ. */
static int published_as(struct run *run, const struct acme_order *order)
{
	char *pem = NULL, **certs = NULL;
	size_t n = 0;
	int version = 0;

	if (acme_certificate_get(run->acme, order->certificate, NULL, &pem) == 0 &&
	    crypto_pem_split(pem, strlen(pem), &certs, &n) == 0 && n > 0 &&
	    signer_published(&run->keys, certs[0], &version) < 0)
		version = 0;
	strv_free(certs, n);
	free(pem);
	return version;
}

/* An earlier attempt for this lineage crashed (or failed) after it had
 * asked for the certificate: finish its order rather than place a new one.
 * ORDER gets it, with its URL set, if it can be finished; an order the CA
 * no longer has, or has marked invalid, is forgotten (a new one follows,
 * with a new key). */
static int resume_order(struct run *run, struct acme_order *order)
{
	char *url = NULL;
	int r, version;

	run->step = "looking for an interrupted order";
	r = signer_resume(&run->keys, &url);
	if (r < 0)
		return issue_fail(run, r, run->keys.err);
	if (!url)
		return 0;
	order->url = url;
	r = acme_order_get(run->acme, order);
	if (r == 0 && streq(order->status, "valid") && order->certificate &&
	    (version = published_as(run, order)) > 0) {
		progress(run->ev_fd, "The order %s left by an interrupted attempt is saved "
					   "already (version %d); placing a new one",
			       order->url, version);
		acme_order_clear(order);
		cancel_commit(run->ev_fd); /* the saved order goes */
		r = signer_pending(&run->keys, "drop", NULL);
		return r < 0 ? issue_fail(run, r, run->keys.err) : 0;
	}
	if (r == 0 && !streq(order->status, "invalid")) {
		run->resumed_order = true;
		progress(run->ev_fd, "Resuming order %s (%s), left by an interrupted attempt",
			       order->url, order->status);
		return 0;
	}
	log_warning("%s: the order %s left by an interrupted attempt cannot be finished (%s); "
		    "placing a new one",
		    run->req->name, order->url, r < 0 ? run->acme->err : order->status);
	acme_order_clear(order); /* frees URL */
	cancel_commit(run->ev_fd);
	r = signer_pending(&run->keys, "drop", NULL);
	return r < 0 ? issue_fail(run, r, run->keys.err) : 0;
}

/* Keep the order (and the CSR's key) before finalizing it, then finalize. */
static int finalize(struct run *run, struct acme_order *order, const unsigned char *csr,
		    size_t csrlen)
{
	int r;

	if (keeps_orders(run) && !resumed(run)) {
		/* No cancelling from here: the order is kept in the lineage
		 * and finalized, so the CA issues. */
		cancel_commit(run->ev_fd);
		run->step = "recording the order";
		r = signer_pending(&run->keys, "save", order->url);
		if (r < 0)
			return issue_fail(run, r, run->keys.err);
	}

	run->step = "finalizing the order";
	r = acme_order_finalize(run->acme, order, csr, csrlen);
	if (r < 0)
		return issue_fail_acme(run, r);
	progress(run->ev_fd, "Order finalized");
	return 0;
}

/* The signer's CSR for run->names: it makes the key (or reuses the
 * lineage's) and keeps it. --csr's CSR is the administrator's. */
static int make_csr(struct run *run, unsigned char **csr, size_t *csrlen)
{
	int r;

	free(*csr);
	*csr = NULL;
	if (run->req->csr)
		return 0;
	run->step = "preparing the certificate key";
	r = signer_csr(&run->keys, run->names, run->nnames, csr, csrlen);
	return r < 0 ? issue_fail(run, r, run->keys.err) : 0;
}

/* A CSR, an order for run->names (or the resumed one), its authorizations.
 * With --allow-subset-of-names the names that fail are dropped and the
 * rest ordered again, as certbot does, until all left are valid. */
static int order_and_authorize(struct run *run, struct acme_order *order, unsigned char **csr,
			       size_t *csrlen)
{
	int r = make_csr(run, csr, csrlen);

	while (r == 0) {
		if (!order->url && (r = create_order(run, order)) < 0)
			break;
		if (streq(order->status, "pending") || !resumed(run))
			r = issue_authorize(run, order);
		if (r < 0 || !run->failed)
			break;
		r = issue_drop_failed(run);
		acme_order_clear(order);
		run->resumed_order = false;
		if (r == 0)
			r = make_csr(run, csr, csrlen);
	}
	return r;
}

static int obtain(struct run *run, struct json_object **data)
{
	const struct issue_req *req = run->req;
	struct renewal old = { 0 };
	bool have_old = false;
	struct acme_order order = { 0 };
	struct version_pems v = { 0 };
	unsigned char *csr = NULL;
	size_t csrlen = 0;
	char *pem = NULL, err[512];
	const char *account;
	int r, version = 0, expect = 0;

	if (!req->csr && store_exists(run->store, req->name)) {
		run->step = "reading the renewal configuration";
		r = store_renewal_load(run->store, req->name, &old, err, sizeof(err));
		if (r < 0)
			return issue_fail(run, r, err);
		have_old = true;
	}
	run->step = "loading the CA's directory";
	r = acme_client_new(req->server, run->cfg->ca_bundle, run->cfg->acme_timeout,
			    &run->acme);
	if (r == 0 && req->user_agent)
		r = http_client_set_user_agent(run->acme->http, req->user_agent);
	if (r == 0 && req->issuance_timeout > 0)
		run->acme->order_timeout_s = (unsigned)req->issuance_timeout;
	if (r == 0)
		r = acme_directory_load(run->acme);
	if (r < 0) {
		r = run->acme ? issue_fail_acme(run, r) : issue_fail(run, r, NULL);
		goto out;
	}
	run->ca_ari = run->acme->dir.renewal_info != NULL;
	r = check_profile(run);
	if (r < 0)
		goto out;
	/* Stay with the lineage's account when it was issued by the same CA
	 * (in a cluster, once it is installed here). */
	account = have_old && streq(old.server, req->server) ? old.account : NULL;
	r = issue_cluster_connect(run, account, data);
	if (r == 0)
		r = setup_account(run, account);
	if (r != 0) {
		r = r > 0 ? 0 : r;
		goto out;
	}
	/* Cluster mode: the lineage's lock first, or no order at all. */
	r = issue_cluster_begin(run, data);
	if (r != 0) {
		r = r > 0 ? 0 : r;
		goto out;
	}
	/* Before the CSR: a resumed order's CSR has the key saved with it. */
	r = keeps_orders(run) ? resume_order(run, &order) : 0;
	if (r < 0)
		goto out;
	r = order_and_authorize(run, &order, &csr, &csrlen);
	if (r < 0)
		goto out;
	if (req->validate_only && !streq(order.status, "valid") &&
	    !streq(order.status, "processing")) {
		progress(run->ev_fd, "Dry run: %s validated every name; the order was not "
				     "finalized, so no certificate was issued", req->server);
		*data = validated_result(run);
		goto out;
	}
	if (!streq(order.status, "valid") && !streq(order.status, "processing")) {
		r = finalize(run, &order, req->csr ? req->csr : csr, req->csr ? req->csrlen : csrlen);
		if (r < 0)
			goto out;
	} else if (!streq(order.status, "valid") || !order.certificate) {
		run->step = "waiting for the certificate";
		r = acme_order_wait(run->acme, &order);
		if (r < 0) {
			r = issue_fail_acme(run, r);
			goto out;
		}
	}
	run->step = "downloading the certificate";
	r = acme_certificate_get(run->acme, order.certificate, req->preferred_chain, &pem);
	if (r < 0) {
		r = issue_fail_acme(run, r);
		goto out;
	}
	r = split_chain(run, pem, &v);
	if (r == 0)
		r = check_certificate(run, &v, req->csr ? req->csr : csr,
				      req->csr ? req->csrlen : csrlen);
	if (r < 0)
		goto out; /* a saved order stays: the next attempt downloads again */
	if (req->csr) {
		*data = csr_result(&v);
		goto out;
	}
	if (req->dry_run) {
		progress(run->ev_fd, "Dry run: the certificate was issued and checked; "
					   "nothing was saved");
		*data = lineage_result(run, 0, v.cert);
		goto out;
	}
	/* The signer saves it with its key, and the renewal file with it; in
	 * a cluster, etcd has it first (each host's watcher installs it). */
	cancel_commit(run->ev_fd);
	r = issue_cluster_publish(run, &v, &expect);
	if (r < 0)
		goto out;
	run->step = "saving the certificate";
	r = signer_publish_as(&run->keys, v.cert, v.chain, expect, &version);
	if (r < 0) {
		r = issue_fail(run, r, run->keys.err);
		goto out;
	}
	progress(run->ev_fd, "Saved as version %d of %s", version, req->name);
	*data = lineage_result(run, version, v.cert);
out:
	version_pems_clear(&v);
	acme_order_clear(&order);
	renewal_clear(&old);
	free(csr);
	free(pem);
	return r;
}

/* Start the job's signer and confine this process (signer.h): from here on
 * it holds no private key and cannot open one. */
static int separate(struct run *run)
{
	const struct issue_req *req = run->req;
	struct signer_conf sc = {
		.state_dir = run->cfg->state_dir,
		.server = req->server,
		.name = req->csr ? NULL : req->name,
		.domains = req->domains,
		.ndomains = req->ndomains,
		.allow_subset = req->allow_subset,
		.key = req->key,
		.reuse_key = req->reuse_key && !req->new_key,
		.publish = !req->dry_run && !req->csr,
		.req = req->csr ? NULL : req,
		.eab_hmac_key = req->eab_hmac_key,
		.csr_der = req->csr,
		.csr_len = req->csrlen,
		.issuer_pem = run->issuer_pem,
	};
	char **roots = calloc(req->authn.nwebroot + 1, sizeof(*roots));
	char err[1024] = "";
	int r;

	if (!roots)
		return -ENOMEM;
	for (size_t i = 0; i < req->authn.nwebroot; i++)
		roots[i] = req->authn.webroot[i].path;
	/* What the authenticator needs it takes now (its files, its helper),
	 * while this process may still. */
	run->step = "checking the authenticator";
	r = run->authn_impl->setup(&(struct authn_setup){ &req->authn, req->domains, req->ndomains,
							   (int)run->cfg->hook_timeout,
							   req->manual_prompt ? ask_user : NULL,
							   &run->ev_fd },
				   &run->authn_job, err, sizeof(err));
	if (r < 0) {
		free(roots);
		return issue_fail(run, r, err);
	}
	r = issue_cluster_prepare(run, &sc, err, sizeof(err));
	if (r < 0) {
		free(roots);
		return issue_fail(run, r, err);
	}
	run->step = "starting the signer";
	r = signer_separate(&sc, run->cfg->ca_bundle, roots, req->authn.nwebroot, &run->keys, err,
			    sizeof(err));
	free(roots);
	if (r < 0)
		return issue_fail(run, r, err);
	return 0;
}

/* "a", "a and b", "a, b and c", as certbot words it. */
static const char *list_names(char *buf, size_t len, char *const *names, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && pos < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
		int w = snprintf(buf + pos, len - pos, "%s%s", sep, names[i]);

		if (w < 0)
			break;
		pos += (size_t)w;
	}
	return buf;
}

/* A failed renewal counts for the backoff: written here, before the
 * worker exits, so an answer such as a Retry-After is kept even if the
 * daemon stops before it reads the result. */
static void record_failure(struct run *run, struct json_object *reply)
{
	int failures = 0;
	time_t next = 0;
	char when[32];

	cancel_commit(run->ev_fd); /* the renewal file changes */
	issue_cluster_failed(run);
	if (signer_record_failure(&run->keys, run->err, run->retry_after, &failures, &next) < 0) {
		log_error("could not record the failure: %s", run->keys.err);
		return;
	}
	timefmt_format_rfc3339(next, when, sizeof(when));
	log_debug("failure %d in a row recorded; next attempt at %s", failures, when);
	json_object_object_add(reply, "failure_recorded", json_object_new_boolean(1));
}

struct json_object *issue_run(const struct issue_req *req, const struct acmed_config *cfg,
			      int ev_fd)
{
	const struct ca_settings *ca = config_ca(cfg, req->server);
	int kind = authn_find(req->authn.name);
	struct run run = { .req = req, .cfg = cfg, .ev_fd = ev_fd, .step = "opening the state",
			   .ca_ari = -1, .keys = HELPER_INIT("the signer"),
			   .issuer_pem = ca ? ca->issuer_pem : NULL,
			   .authn = kind >= 0 ? &authn_infos[kind] : NULL,
			   .authn_impl = kind >= 0 ? authn_impl((enum authn_kind)kind) : NULL,
			   .names = req->domains, .nnames = req->ndomains };
	struct json_object *reply = json_object_new_object(), *data = NULL;
	char names[1024];
	int r;

	list_names(names, sizeof(names), req->domains, req->ndomains);
	if (req->dry_run)
		progress(ev_fd, "Simulating %s for %s at %s%s", req->renewal ? "a renewal" : "a certificate request",
			 names, req->server,
			 req->validate_only ? " (no staging server known: validation only)" : "");
	else if (req->renewal)
		progress(ev_fd, "Renewing %s (%s)", req->name, names);
	else
		progress(ev_fd, "Requesting a certificate for %s", names);
	r = run.authn ? store_open(cfg->state_dir, false, &run.store) : -EINVAL;
	if (r == 0)
		r = separate(&run);
	if (r < 0 && !run.err[0])
		issue_fail(&run, r, NULL);
	else if (r == 0)
		r = obtain(&run, &data);
	json_object_object_add(reply, "status", json_object_new_int(r < 0 ? r : 0));
	if (r < 0) {
		/* Logged by the daemon, which also learns of a worker that died. */
		ctl_reply_set_error(reply, r, NULL, run.err);
		if (req->renewal && !req->dry_run && run.keys.fd >= 0)
			record_failure(&run, reply);
	} else {
		if (run.dropped && data)
			json_object_object_add(data, "dropped_domains", json_object_get(run.dropped));
		json_object_object_add(reply, "data", data);
	}
	if (r < 0 && (data = account_needs(&run.account, run.acme)))
		json_object_object_add(reply, "register", data);
	if (run.retry_after > 0)
		json_object_object_add(reply, "retry_after", jobj_new_time(run.retry_after));
	/* Whose Retry-After: a certonly's is kept by the daemon per CA. */
	json_object_object_add(reply, "server", json_object_new_string(req->server));
	if (run.ca_ari >= 0)
		json_object_object_add(reply, "ari", json_object_new_boolean(run.ca_ari));
	issue_cluster_end(&run);
	acme_client_free(run.acme);
	account_clear(&run.account);
	signer_stop(&run.keys);
	if (run.authn_job)
		run.authn_impl->teardown(run.authn_job);
	store_close(run.store);
	strv_free(run.names_owned, run.nnames);
	json_object_put(run.failed);
	json_object_put(run.dropped);
	return reply;
}
