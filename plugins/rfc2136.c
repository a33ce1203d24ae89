/* The dns-rfc2136 authenticator: dns-01 answered with TSIG-signed DNS
 * UPDATEs (RFC 2136, RFC 8945) to the administrator's authoritative
 * server, configured by certbot's credentials file (rfc2136_creds.h).
 * Packets and TSIG are ldns's:
 * this file only decides what to send and reads the answers. Every
 * exchange is over TCP, as certbot's plugin sends its updates, so a large
 * TXT set is never truncated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "error.h"
#include "log.h"
#include "plugins/plugin.h"
#include "rfc2136_creds.h"
#include "util.h"

#define TXT_TTL 10              /* seconds: short, so a retry's value is seen soon */
#define DNS_TIMEOUT 10          /* seconds per exchange */
#define POLL_FIRST_MS 200       /* the first wait for a record to show */
#define POLL_MAX_MS 2000

/* ---- DNS exchanges ---- */

/* One job's DNS server: its resolver, and the credentials file it was made
 * from (for messages). */
struct dns {
	ldns_resolver *res;
	const struct rfc2136_creds *creds;
	const char *path;
};

static const char *rcode_name(unsigned rc)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};

	return rc < ELEMENTSOF(names) ? names[rc] : "an unknown error";
}

static ldns_resolver *resolver_new(const struct rfc2136_creds *c)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *ns = ldns_rdf_new_frm_str(strchr(c->server, ':') ? LDNS_RDF_TYPE_AAAA
								   : LDNS_RDF_TYPE_A,
					    c->server);

	if (!res || !ns || ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(ns);
		ldns_resolver_deep_free(res);
		return NULL;
	}
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(res, (uint16_t)c->port);
	ldns_resolver_set_usevc(res, true);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_timeout(res, (struct timeval){ .tv_sec = DNS_TIMEOUT });
	ldns_resolver_set_tsig_keyname(res, c->key_name);
	ldns_resolver_set_tsig_keydata(res, c->secret);
	ldns_resolver_set_tsig_algorithm(res, c->algorithm);
	return res;
}

/* The TSIG error of ANS ("BADSIG"), or NULL. */
static const char *tsig_error(const ldns_pkt *ans)
{
	const ldns_rr *t = ldns_pkt_tsig(ans);
	const ldns_rdf *e = t ? ldns_rr_rdf(t, 5) : NULL;
	uint16_t code = e && ldns_rdf_size(e) == 2 ? ldns_rdf2native_int16(e) : 0;

	switch (code) {
	case 0: return NULL;
	case 16: return "BADSIG";
	case 17: return "BADKEY";
	case 18: return "BADTIME";
	default: return "an unknown TSIG error";
	}
}

/* Send Q (signed when SIGN) and return the answer in *ANS with its rcode
 * NOERROR (or NXDOMAIN when NXDOMAIN_OK). WHAT names the exchange in
 * errors: "DNS UPDATE of _acme-challenge.a.test". */
static int exchange(const struct dns *dns, ldns_pkt *q, bool sign, bool nxdomain_ok,
		    const char *what, ldns_pkt **ans, char *err, size_t errlen)
{
	ldns_status s;
	unsigned rc;
	const char *terr;

	*ans = NULL;
	ldns_pkt_set_random_id(q);
	if (sign && (s = ldns_update_pkt_tsig_add(q, dns->res)) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "%s: cannot sign with key %s: %s", what, dns->creds->key_name,
			 ldns_get_errorstr_by_id(s));
		return ACMED_EDNS;
	}
	/* ldns_send, not ldns_resolver_send_pkt: that one drops the answer when
	 * its signature does not verify, and with it the server's reason. */
	s = ldns_send(ans, dns->res, q);
	if (!*ans) {
		snprintf(err, errlen, "%s: no answer from %s port %d: %s", what, dns->creds->server,
			 dns->creds->port, ldns_get_errorstr_by_id(s));
		return ACMED_EDNS;
	}
	rc = ldns_pkt_get_rcode(*ans);
	terr = tsig_error(*ans);
	if (terr || (rc == LDNS_RCODE_NOTAUTH && sign)) {
		snprintf(err, errlen, "%s: %s port %d refused key %s (%s%s%s): check "
				      "dns_rfc2136_name, _secret and _algorithm in %s and the "
				      "server's key statement",
			 what, dns->creds->server, dns->creds->port, dns->creds->key_name, rcode_name(rc),
			 terr ? ", TSIG " : "", terr ? terr : "", dns->path);
		return ACMED_EDNS;
	}
	if (rc != LDNS_RCODE_NOERROR && !(rc == LDNS_RCODE_NXDOMAIN && nxdomain_ok)) {
		snprintf(err, errlen, "%s: %s port %d answered %s%s", what, dns->creds->server,
			 dns->creds->port, rcode_name(rc),
			 rc == LDNS_RCODE_REFUSED ? " (does its policy let this key update the "
						    "name?)" : "");
		return ACMED_EDNS;
	}
	if (s != LDNS_STATUS_OK || ldns_pkt_id(*ans) != ldns_pkt_id(q)) {
		snprintf(err, errlen, "%s: the answer from %s port %d is not to be trusted: %s",
			 what, dns->creds->server, dns->creds->port,
			 s != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(s) : "wrong ID");
		return ACMED_EDNS;
	}
	return 0;
}

/* A query for NAME's records of TYPE, without recursion. */
static ldns_pkt *query_new(const char *name, ldns_rr_type type)
{
	ldns_rdf *dname = ldns_dname_new_frm_str(name);

	return dname ? ldns_pkt_query_new(dname, type, LDNS_RR_CLASS_IN, 0) : NULL;
}

/* The zone holding DOMAIN on the server: the closest enclosing name for
 * which it answers an SOA with authority, as certbot finds it. The queries
 * are signed when SIGN. */
static int find_zone(const struct dns *dns, const char *domain, bool sign, char **zone, char *err,
		     size_t errlen)
{
	char what[300];

	for (const char *d = domain; d && *d; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
		ldns_pkt *q = query_new(d, LDNS_RR_TYPE_SOA), *ans = NULL;
		ldns_rr_list *soa;
		bool found = false;
		int r;

		if (!q)
			return -ENOMEM;
		snprintf(what, sizeof(what), "SOA query for %s", d);
		r = exchange(dns, q, sign, true, what, &ans, err, errlen);
		ldns_pkt_free(q);
		if (r < 0 && ans && ldns_pkt_get_rcode(ans) == LDNS_RCODE_REFUSED)
			r = 0; /* not a zone of this server: try the parent */
		if (r < 0) {
			ldns_pkt_free(ans);
			return r;
		}
		soa = ldns_pkt_rr_list_by_type(ans, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER);
		if (soa && ldns_pkt_aa(ans) && ldns_pkt_get_rcode(ans) == LDNS_RCODE_NOERROR) {
			ldns_rdf *want = ldns_dname_new_frm_str(d);

			found = want && ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(soa, 0)),
							   want) == 0;
			ldns_rdf_deep_free(want);
		}
		ldns_rr_list_deep_free(soa);
		ldns_pkt_free(ans);
		if (found)
			return asprintf(zone, "%s.", d) < 0 ? -ENOMEM : 0;
	}
	snprintf(err, errlen, "%s port %d is authoritative for no zone holding %s: check "
			      "dns_rfc2136_server in %s", dns->creds->server, dns->creds->port, domain,
		 dns->path);
	return ACMED_EDNS;
}

/* OWNER's TXT record holding VALUE, of class CLS (IN to add, NONE to
 * delete that one record). */
static ldns_rr *txt_rr(const char *owner, const char *value, ldns_rr_class cls)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *name = ldns_dname_new_frm_str(owner);
	ldns_rdf *txt = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR, value);

	if (!rr || !name || !txt || !ldns_rr_push_rdf(rr, txt)) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(name);
		ldns_rdf_deep_free(txt);
		return NULL;
	}
	ldns_rr_set_owner(rr, name);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, cls == LDNS_RR_CLASS_IN ? TXT_TTL : 0);
	return rr;
}

/* Add (ADD) or delete the TXT record OWNER VALUE in ZONE. */
static int update(const struct dns *dns, const char *zone, const char *owner, const char *value,
		  bool add, char *err, size_t errlen)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rr *rr = txt_rr(owner, value, add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
	ldns_rdf *z = ldns_dname_new_frm_str(zone);
	ldns_pkt *q = NULL, *ans = NULL;
	char what[300];
	int r = -ENOMEM;

	if (up && rr && z && ldns_rr_list_push_rr(up, rr)) {
		rr = NULL;
		q = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, NULL, up, NULL);
		z = NULL; /* the packet owns it, or it was freed */
	}
	if (q) {
		ldns_pkt_set_rd(q, false);
		snprintf(what, sizeof(what), "DNS UPDATE %s TXT record %s in zone %s",
			 add ? "adding the" : "deleting the", owner, zone);
		r = exchange(dns, q, true, false, what, &ans, err, errlen);
	}
	ldns_pkt_free(ans);
	ldns_pkt_free(q);
	ldns_rdf_deep_free(z);
	ldns_rr_free(rr);
	ldns_rr_list_deep_free(up);
	return r;
}

/* Does the server answer OWNER's TXT set with VALUE in it? */
static int txt_visible(const struct dns *dns, const char *owner, const char *value, bool *yes,
		       char *err, size_t errlen)
{
	ldns_pkt *q = query_new(owner, LDNS_RR_TYPE_TXT), *ans = NULL;
	ldns_rr_list *txt;
	size_t len = strlen(value);
	char what[300];
	int r;

	*yes = false;
	if (!q)
		return -ENOMEM;
	snprintf(what, sizeof(what), "TXT query for %s", owner);
	r = exchange(dns, q, dns->creds->sign_query, true, what, &ans, err, errlen);
	ldns_pkt_free(q);
	txt = r == 0 ? ldns_pkt_rr_list_by_type(ans, LDNS_RR_TYPE_TXT, LDNS_SECTION_ANSWER) : NULL;
	for (size_t i = 0; txt && i < ldns_rr_list_rr_count(txt); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(txt, i);
		const ldns_rdf *s = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;

		/* One character-string: its length byte, then the value. */
		if (s && ldns_rdf_size(s) == len + 1 && ldns_rdf_data(s)[0] == len &&
		    memcmp(ldns_rdf_data(s) + 1, value, len) == 0)
			*yes = true;
	}
	ldns_rr_list_deep_free(txt);
	ldns_pkt_free(ans);
	return r;
}

/* ---- the authenticator ---- */

struct record {
	char *zone, *owner, *value;
};

/* The job's credentials, read by setup() before the worker is confined. */
struct authn_job {
	const struct authn_config *cfg;
	struct rfc2136_creds creds;
	char *path;
};

struct authn_state {
	struct dns dns;
	struct record *rec; /* each added (or maybe added: the answer may be lost) */
	size_t n;
};

static void rfc2136_teardown(struct authn_job *job)
{
	if (!job)
		return;
	rfc2136_creds_clear(&job->creds);
	free(job->path);
	free(job);
}

/* Read the credentials (the worker may read no file once confined); then,
 * before any order, find each name's zone with signed queries, so a wrong
 * key, secret or algorithm fails here and costs the CA nothing. */
static int rfc2136_setup(const struct authn_setup *s, struct authn_job **out, char *err,
			 size_t errlen)
{
	const struct authn_config *cfg = s->cfg;
	struct authn_job *job = calloc(1, sizeof(*job));
	struct dns dns = { 0 };
	int r;

	if (!job)
		return -ENOMEM;
	job->cfg = cfg;
	if (!cfg->dns_rfc2136_credentials) {
		snprintf(err, errlen, "--dns-rfc2136 needs --dns-rfc2136-credentials FILE");
		r = ACMED_EUSAGE;
		goto out;
	}
	r = rfc2136_creds_load(cfg->dns_rfc2136_credentials, &job->creds, err, errlen);
	if (r == 0 && !(job->path = strdup(cfg->dns_rfc2136_credentials)))
		r = -ENOMEM;
	if (r == 0 && !(dns.res = resolver_new(&job->creds)))
		r = -ENOMEM;
	dns.creds = &job->creds;
	dns.path = job->path;
	for (size_t i = 0; r == 0 && i < s->ndomains; i++) {
		const char *d = s->domains[i];
		char *zone = NULL;

		r = find_zone(&dns, strncmp(d, "*.", 2) == 0 ? d + 2 : d, true, &zone, err, errlen);
		free(zone);
	}
	ldns_resolver_deep_free(dns.res);
out:
	if (r < 0) {
		rfc2136_teardown(job);
		return r;
	}
	*out = job;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Query until the server answers every added record, at most SECONDS. */
static int wait_visible(struct authn_state *st, int seconds, char *err, size_t errlen)
{
	long deadline = now_ms() + seconds * 1000L, wait = POLL_FIRST_MS;
	size_t shown = 0;

	for (;;) {
		int r = 0;
		bool yes = true;

		while (r == 0 && yes && shown < st->n) {
			r = txt_visible(&st->dns, st->rec[shown].owner, st->rec[shown].value, &yes,
					err, errlen);
			shown += r == 0 && yes;
		}
		if (r < 0 || shown == st->n)
			return r;
		if (now_ms() + wait > deadline) {
			snprintf(err, errlen, "%s port %d still does not answer the TXT record %s "
					      "after %d s (--dns-rfc2136-propagation-seconds)",
				 st->dns.creds->server, st->dns.creds->port, st->rec[shown].owner,
				 seconds);
			return ACMED_ETIMEOUT;
		}
		nanosleep(&(struct timespec){ wait / 1000, (wait % 1000) * 1000000L }, NULL);
		wait = wait * 2 > POLL_MAX_MS ? POLL_MAX_MS : wait * 2;
	}
}

static int rfc2136_perform(struct authn_job *job, const struct authn_challenge *chal, size_t n,
			   struct authn_state **out, char *err, size_t errlen)
{
	const struct rfc2136_creds *creds = &job->creds;
	struct authn_state *st = calloc(1, sizeof(*st));
	int r = 0, seconds = job->cfg->dns_rfc2136_propagation_seconds > 0
				     ? job->cfg->dns_rfc2136_propagation_seconds
				     : RFC2136_PROPAGATION_DEFAULT;

	if (!st || !(st->rec = calloc(n ? n : 1, sizeof(*st->rec)))) {
		free(st);
		return -ENOMEM;
	}
	*out = st;
	st->dns = (struct dns){ resolver_new(creds), creds, job->path };
	if (!st->dns.res)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct record *rec = &st->rec[st->n];
		char *zone = NULL;

		if (!streq(chal[i].type, "dns-01")) {
			snprintf(err, errlen, "dns-rfc2136 answers dns-01 only, not %s", chal[i].type);
			return ACMED_ENOCHALLENGE;
		}
		if (asprintf(&rec->owner, "_acme-challenge.%s.", chal[i].identifier) < 0)
			return -ENOMEM;
		st->n++;
		/* The wildcard and the apex of a name share one owner: its zone
		 * is looked up once. */
		for (size_t j = 0; j + 1 < st->n && !zone; j++)
			if (streq(st->rec[j].owner, rec->owner))
				zone = xstrdup(st->rec[j].zone);
		if (!zone && (r = find_zone(&st->dns, chal[i].identifier, creds->sign_query, &zone,
					    err, errlen)) < 0)
			return r;
		rec->zone = zone;
		if (!zone || !(rec->value = strdup(chal[i].validation)))
			return -ENOMEM;
		log_info("dns-rfc2136: adding TXT %s in zone %s at %s port %d", rec->owner,
			 rec->zone, creds->server, creds->port);
		r = update(&st->dns, rec->zone, rec->owner, rec->value, true, err, errlen);
	}
	return r == 0 ? wait_visible(st, seconds, err, errlen) : r;
}

static void rfc2136_cleanup(struct authn_job *job, struct authn_state *st)
{
	char err[1024];

	(void)job;
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		struct record *rec = &st->rec[i];

		if (st->dns.res && update(&st->dns, rec->zone, rec->owner, rec->value, false, err,
					  sizeof(err)) < 0)
			log_warning("dns-rfc2136: %s; remove it by hand", err);
		free(rec->zone);
		free(rec->owner);
		free(rec->value);
	}
	ldns_resolver_deep_free(st->dns.res);
	free(st->rec);
	free(st);
}

const struct authenticator authn_rfc2136 = {
	.setup = rfc2136_setup,
	.perform = rfc2136_perform,
	.cleanup = rfc2136_cleanup,
	.teardown = rfc2136_teardown,
};
