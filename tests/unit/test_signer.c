/* The signer process (daemon/privsep/signer.c): it answers describe, sign, csr,
 * publish, failed and account, and refuses anything else, or a request that
 * fails its checks.
 * Each test starts a real signer process on a throwaway state directory. */
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "error.h"
#include "fsutil.h"
#include "ctlproto.h"
#include "jsonutil.h"
#include "jws.h"
#include "daemon/privsep/signer.h"
#include "etcd/seal.h"
#include "store/store.h"
#include "testutil.h"

#define SERVER "https://ca.test/dir"
#define EAB_KEY "c2VjcmV0LW1hYy1rZXktZm9yLXRlc3Rz" /* "secret-mac-key-for-tests" */

static char *domains[] = { "a.test", "b.test" };

struct fixture {
	char *state;
	struct signer_conf conf;
	struct helper link;
};

static void start(struct fixture *f, bool publish)
{
	f->state = tmpdir_make();
	f->conf = (struct signer_conf){
		.state_dir = f->state,
		.server = SERVER,
		.name = "a.test",
		.domains = domains,
		.ndomains = 2,
		.key = KEY_SPEC_DEFAULT,
		.publish = publish,
		.eab_hmac_key = EAB_KEY,
	};
	ASSERT_INT_EQ(signer_start(&f->conf, &f->link), 0);
}

static void stop(struct fixture *f)
{
	signer_stop(&f->link);
	free(f->state);
}

/* Send REQ (a JSON text) as is; the reply's error message, or NULL if the
 * signer answered "ok". */
static char *raw(struct fixture *f, const char *req)
{
	struct json_object *o = json_tokener_parse(req), *reply = NULL, *e;
	char *buf, *msg = NULL;
	size_t len;

	ASSERT_NONNULL(o);
	ASSERT_INT_EQ(ctl_reply_encode(o, &buf, &len), 0);
	ASSERT_INT_EQ(write(f->link.fd, buf, len), (ssize_t)len);
	ASSERT_INT_EQ(ctl_recv(f->link.fd, &reply), 0);
	if (json_object_object_get_ex(reply, "error", &e))
		msg = strdup(jobj_str(e, "message"));
	else
		ASSERT_TRUE(json_object_object_get_ex(reply, "ok", NULL));
	json_object_put(o);
	json_object_put(reply);
	free(buf);
	return msg;
}

static void assert_refused(struct fixture *f, const char *req, const char *why)
{
	char *msg = raw(f, req);

	TEST_CHECK(msg != NULL, "the signer accepted %s", req);
	ASSERT_STR_CONTAINS(msg, why);
	free(msg);
}

static char *b64(const char *s)
{
	return b64url_encode(s, strlen(s));
}

/* A sign request for KEY over the header HDR and PAYLOAD (JSON texts). */
static char *sign_req_payload(const char *key, const char *hdr, const char *payload)
{
	char *h = b64(hdr), *p = b64(payload), *req;

	ASSERT_TRUE(asprintf(&req, "{\"op\":\"sign\",\"key\":\"%s\",\"protected\":\"%s\","
				   "\"payload\":\"%s\"}",
			     key, h, p) > 0);
	free(h);
	free(p);
	return req;
}

/* A sign request for KEY over the header HDR (JSON text) and payload "{}". */
static char *sign_req(const char *key, const char *hdr)
{
	char *h = b64(hdr), *p = b64("{}"), *req;

	ASSERT_TRUE(asprintf(&req, "{\"op\":\"sign\",\"key\":\"%s\",\"protected\":\"%s\","
				   "\"payload\":\"%s\"}",
			     key, h, p) > 0);
	free(h);
	free(p);
	return req;
}

/* The account key the signer saved, read as a test may. */
static EVP_PKEY *saved_account_key(struct fixture *f, const char *id)
{
	char path[512];
	FILE *fp;
	EVP_PKEY *key;

	snprintf(path, sizeof(path), "%s/accounts/ca.test/dir/%s/key.pem", f->state, id);
	ASSERT_INT_EQ(file_mode(path), 0600);
	fp = fopen(path, "r");
	ASSERT_NONNULL(fp);
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	ASSERT_NONNULL(key);
	return key;
}

static bool es256_verifies(EVP_PKEY *key, const char *input, const char *sig64)
{
	unsigned char *sig = NULL, *der = NULL;
	size_t siglen = 0;
	ECDSA_SIG *es = ECDSA_SIG_new();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int derlen, ok;

	ASSERT_INT_EQ(b64url_decode(sig64, &sig, &siglen), 0);
	ASSERT_INT_EQ(siglen, 64);
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	derlen = i2d_ECDSA_SIG(es, &der);
	ASSERT_INT_EQ(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	ok = EVP_DigestVerify(ctx, der, (size_t)derlen, (const unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	free(sig);
	return ok == 1;
}

/* PROTECTED "." PAYLOAD of flattened JWS O. */
static char *signing_input(struct json_object *o)
{
	const char *p = jobj_str(o, "protected"), *q = jobj_str(o, "payload");
	char *s = NULL;

	ASSERT_TRUE(p && q);
	ASSERT_TRUE(asprintf(&s, "%s.%s", p ? p : "", q ? q : "") > 0);
	return s;
}

TEST(unknown_requests_are_refused)
{
	struct fixture f;

	start(&f, false);
	assert_refused(&f, "{\"op\":\"read\",\"path\":\"/etc/shadow\"}",
		       "unknown request 'read': the signer answers describe, sign, csr, publish, "
		       "failed, account, pending, resume, seal, adopt and live only");
	assert_refused(&f, "{\"op\":\"export\",\"key\":\"account\"}", "unknown request 'export'");
	assert_refused(&f, "{\"path\":\"x\"}", "unknown request ''");
	/* A key that is not open signs nothing; a job without one has none. */
	assert_refused(&f, "{\"op\":\"describe\",\"key\":\"private\"}", "no key 'private'");
	assert_refused(&f, "{\"op\":\"describe\",\"key\":\"certificate\",\"cert\":\"x\"}",
		       "this job has no certificate key");
	assert_refused(&f, "{\"op\":\"describe\",\"key\":\"account\",\"id\":\"../../x\"}",
		       "no valid account id");
	stop(&f);
}

TEST(account_key_signs_only_what_it_checked)
{
	struct fixture f;
	struct signer *acct = NULL;
	struct json_object *jws;
	char *id = NULL, *out = NULL, *input = NULL, *req;
	EVP_PKEY *key;

	start(&f, false);
	ASSERT_INT_EQ(signer_open_key(&f.link, "account", NULL, true, NULL, &acct, &id), 0);
	ASSERT_NONNULL(id);
	ASSERT_STR_EQ(signer_alg(acct), "ES256");
	ASSERT_TRUE(signer_key(acct) == NULL); /* this process holds no key */
	key = saved_account_key(&f, id);
	/* The CA's answer to the registration: the account URL, the kid. */
	ASSERT_INT_EQ(signer_account(&f.link, "save", id, "https://ca.test/acct/1", NULL), 0);

	/* A request signed through the signer verifies with the saved key. */
	ASSERT_INT_EQ(jws_sign(acct, "https://ca.test/new-order", "n1", "https://ca.test/acct/1",
			       "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}", &out),
		      0);
	jws = json_tokener_parse(out);
	input = signing_input(jws);
	ASSERT_TRUE(es256_verifies(key, input, jobj_str(jws, "signature")));
	input[0] ^= 1;
	ASSERT_TRUE(!es256_verifies(key, input, jobj_str(jws, "signature")));

	/* What it refuses to sign. */
	req = sign_req("account", "{\"alg\":\"RS256\",\"kid\":\"k\",\"url\":\"https://ca.test/x\"}");
	assert_refused(&f, req, "alg must be ES256");
	free(req);
	req = sign_req("account", "{\"alg\":\"ES256\",\"kid\":\"k\",\"url\":\"http://ca.test/x\"}");
	assert_refused(&f, req, "names no https URL");
	free(req);
	req = sign_req("account", "{\"alg\":\"ES256\",\"kid\":\"k\"}");
	assert_refused(&f, req, "names no https URL");
	free(req);
	/* Another key's JWK in the header: not this key's request. */
	req = sign_req("account", "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
				  "\"x\":\"AAAA\",\"y\":\"AAAA\"},\"url\":\"https://ca.test/x\"}");
	assert_refused(&f, req, "neither a kid nor this key's jwk");
	free(req);
	req = sign_req("account-next", "{\"alg\":\"ES256\",\"kid\":\"k\",\"url\":\"https://c/x\"}");
	assert_refused(&f, req, "key 'account-next' is not open");
	free(req);
	assert_refused(&f, "{\"op\":\"sign\",\"key\":\"account\",\"protected\":\"!!\","
			   "\"payload\":\"\"}",
		       "must be base64url");

	json_object_put(jws);
	EVP_PKEY_free(key);
	free(input);
	free(out);
	free(id);
	signer_free(acct);
	stop(&f);
}

TEST(state_writes_only_for_the_jobs_account)
{
	struct fixture f;
	struct signer *acct = NULL;
	char *id = NULL, *req, path[512], *text;
	size_t len;
	int failures;
	time_t next;

	start(&f, false);
	/* No renewal request in this job: no failure to record. */
	ASSERT_INT_EQ(signer_record_failure(&f.link, "boom", 0, &failures, &next), -EPERM);
	ASSERT_STR_CONTAINS(f.link.err, "records no failure");
	/* No account opened yet: no account to write. */
	assert_refused(&f, "{\"op\":\"account\",\"action\":\"save\",\"id\":\"x\","
			   "\"url\":\"https://ca.test/acct/1\"}",
		       "has not opened account x");
	ASSERT_INT_EQ(signer_open_key(&f.link, "account", NULL, true, NULL, &acct, &id), 0);
	/* Its own account, but not any URL or address. */
	ASSERT_TRUE(asprintf(&req, "{\"op\":\"account\",\"action\":\"save\",\"id\":\"%s\","
				   "\"url\":\"http://ca.test/acct/1\"}",
			     id) > 0);
	assert_refused(&f, req, "must be an https URL");
	free(req);
	ASSERT_INT_EQ(signer_account(&f.link, "save", id, "https://ca.test/acct/1",
				     "root@a.test\nhook = \"x\""),
		      -EINVAL);
	ASSERT_STR_CONTAINS(f.link.err, "is not an email address");
	ASSERT_INT_EQ(signer_account(&f.link, "rename", id, NULL, NULL), -EINVAL);
	ASSERT_STR_CONTAINS(f.link.err, "no action 'rename'");
	ASSERT_INT_EQ(signer_account(&f.link, "retire", "0000ffff", NULL, NULL), -EPERM);
	/* What it accepts lands in account.json. */
	ASSERT_INT_EQ(signer_account(&f.link, "save", id, "https://ca.test/acct/1", "a@a.test"), 0);
	snprintf(path, sizeof(path), "%s/accounts/ca.test/dir/%s/account.json", f.state, id);
	ASSERT_INT_EQ(fs_read_file(path, 65536, &text, &len), 0);
	ASSERT_STR_CONTAINS(text, "\"https://ca.test/acct/1\"");
	ASSERT_STR_CONTAINS(text, "a@a.test");
	free(text);
	free(id);
	signer_free(acct);
	stop(&f);
}

TEST(eab_binds_the_account_key_only)
{
	struct fixture f;
	struct signer *acct = NULL;
	struct json_object *jws;
	unsigned char mac[32], *key = NULL;
	unsigned int maclen = 0;
	size_t keylen = 0;
	char *id = NULL, *out = NULL, *input = NULL, *mac64, *req, hdr[1024];

	start(&f, false);
	/* No account open yet: nothing to bind. */
	req = sign_req("eab", "{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"https://ca.test/n\"}");
	assert_refused(&f, req, "binds the account key only");
	free(req);
	ASSERT_INT_EQ(signer_open_key(&f.link, "account", NULL, true, NULL, &acct, &id), 0);
	/* The MAC comes from the signer (no key given here) and is right. */
	ASSERT_INT_EQ(jws_eab(acct, "kid-1", NULL, 0, "https://ca.test/new-acct", &out), 0);
	jws = json_tokener_parse(out);
	input = signing_input(jws);
	ASSERT_INT_EQ(b64url_decode(EAB_KEY, &key, &keylen), 0);
	HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)input, strlen(input), mac, &maclen);
	mac64 = b64url_encode(mac, maclen);
	ASSERT_STR_EQ(jobj_str(jws, "signature"), mac64);
	/* A payload other than the account's key, or another alg: refused. */
	req = sign_req("eab", "{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"https://ca.test/n\"}");
	assert_refused(&f, req, "binds the account key only");
	free(req);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS512\",\"kid\":\"kid-1\",\"url\":\"https://c/n\"}");
	req = sign_req("eab", hdr);
	assert_refused(&f, req, "HS256 with a kid");
	free(req);

	json_object_put(jws);
	free(mac64);
	free(key);
	free(input);
	free(out);
	free(id);
	signer_free(acct);
	stop(&f);
}

TEST(csr_for_the_jobs_names_only)
{
	struct fixture f;
	unsigned char *der = NULL, *der2 = NULL;
	size_t len = 0, len2 = 0, n = 0;
	char **names = NULL, *evil[] = { "evil.test" }, *one[] = { "a.test" }, *path;
	int version = 0;

	start(&f, false);
	ASSERT_INT_EQ(signer_csr(&f.link, evil, 1, &der, &len), -EPERM);
	ASSERT_STR_CONTAINS(f.link.err, "the names must be the job's");
	ASSERT_INT_EQ(signer_csr(&f.link, one, 1, &der, &len), -EPERM);
	ASSERT_INT_EQ(signer_csr(&f.link, domains, 2, &der, &len), 0);
	ASSERT_INT_EQ(crypto_csr_load(der, len, &der2, &len2, &names, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_STR_EQ(names[0], "a.test");
	ASSERT_STR_EQ(names[1], "b.test");
	/* A dry run publishes nothing. */
	ASSERT_INT_EQ(signer_publish(&f.link, "cert", "chain", &version), -EPERM);
	ASSERT_STR_CONTAINS(f.link.err, "this job publishes nothing");
	/* And no key file was written: the key stays in the signer. */
	path = path_join(f.state, "archive");
	ASSERT_INT_EQ(dir_count(path, NULL), 0);
	free(path);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(der);
	free(der2);
	stop(&f);
}

/* The names of CSR DER, comma-separated. */
static char *csr_names(const unsigned char *der, size_t len)
{
	unsigned char *copy = NULL;
	size_t clen = 0, n = 0;
	char **names = NULL, *out = calloc(1, 256);

	ASSERT_INT_EQ(crypto_csr_load(der, len, &copy, &clen, &names, &n), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(out + strlen(out), 256 - strlen(out), "%s%s", i ? "," : "", names[i]);
		free(names[i]);
	}
	free(names);
	free(copy);
	return out;
}

/* --allow-subset-of-names: some of the job's names, in its order, and
 * nothing else; without it, all of them. */
TEST(csr_for_a_subset_only_when_the_job_allows_it)
{
	struct fixture f;
	unsigned char *der = NULL;
	size_t len = 0;
	char *a[] = { "a.test" }, *b[] = { "b.test" }, *ba[] = { "b.test", "a.test" };
	char *aa[] = { "a.test", "a.test" }, *ax[] = { "a.test", "x.test" }, *got;

	start(&f, false);
	ASSERT_INT_EQ(signer_csr(&f.link, b, 1, &der, &len), -EPERM);
	stop(&f);
	f.state = tmpdir_make();
	f.conf.state_dir = f.state;
	f.conf.allow_subset = true;
	ASSERT_INT_EQ(signer_start(&f.conf, &f.link), 0);
	ASSERT_INT_EQ(signer_csr(&f.link, ba, 2, &der, &len), -EPERM);
	ASSERT_INT_EQ(signer_csr(&f.link, aa, 2, &der, &len), -EPERM);
	ASSERT_INT_EQ(signer_csr(&f.link, ax, 2, &der, &len), -EPERM);
	ASSERT_INT_EQ(signer_csr(&f.link, domains, 2, &der, &len), 0);
	free(der);
	ASSERT_INT_EQ(signer_csr(&f.link, b, 1, &der, &len), 0);
	got = csr_names(der, len);
	ASSERT_STR_EQ(got, "b.test");
	free(got);
	free(der);
	ASSERT_INT_EQ(signer_csr(&f.link, a, 1, &der, &len), 0);
	got = csr_names(der, len);
	ASSERT_STR_EQ(got, "a.test");
	free(got);
	free(der);
	stop(&f);
}

TEST(signatures_only_for_what_the_job_is_for)
{
	struct fixture f;
	struct signer *acct = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	char *id = NULL, *req, *csr, payload[4096];
	static const char kid[] = "{\"alg\":\"ES256\",\"kid\":\"https://ca.test/acct/1\","
				  "\"url\":\"https://ca.test/x\"}";

	start(&f, false);
	ASSERT_INT_EQ(signer_open_key(&f.link, "account", NULL, true, NULL, &acct, &id), 0);
	/* Before the CA named the account, no kid is its URL. */
	req = sign_req("account", kid);
	assert_refused(&f, req, "the kid must be this job's account URL");
	free(req);
	ASSERT_INT_EQ(signer_account(&f.link, "save", id, "https://ca.test/acct/1", NULL), 0);
	/* Nor may the worker rename it afterwards, or open another. */
	ASSERT_INT_EQ(signer_account(&f.link, "save", id, "https://evil.test/acct/9", NULL),
		      -EPERM);
	req = sign_req("account", "{\"alg\":\"ES256\",\"kid\":\"https://ca.test/acct/2\","
				  "\"url\":\"https://ca.test/x\"}");
	assert_refused(&f, req, "the kid must be this job's account URL");
	free(req);
	assert_refused(&f, "{\"op\":\"describe\",\"key\":\"account\",\"create\":true}",
		       "this job uses account");
	/* A new order for the job's names only. */
	req = sign_req_payload("account", kid, "{\"identifiers\":[{\"type\":\"dns\","
					       "\"value\":\"a.test\"},{\"type\":\"dns\","
					       "\"value\":\"evil.test\"}]}");
	assert_refused(&f, req, "a new order may ask for this job's names only");
	free(req);
	req = sign_req_payload("account", kid, "{\"identifiers\":[{\"type\":\"dns\","
					       "\"value\":\"B.test\"}]}");
	ASSERT_TRUE(raw(&f, req) == NULL);
	free(req);
	/* A finalize with the CSR this signer made, and no other. */
	req = sign_req_payload("account", kid, "{\"csr\":\"MIIBxyz\"}");
	assert_refused(&f, req, "a finalize must carry the CSR this signer made");
	free(req);
	ASSERT_INT_EQ(signer_csr(&f.link, domains, 2, &der, &len), 0);
	csr = b64url_encode(der, len);
	snprintf(payload, sizeof(payload), "{\"csr\":\"%s\"}", csr);
	req = sign_req_payload("account", kid, payload);
	ASSERT_TRUE(raw(&f, req) == NULL);
	free(req);
	/* What only an account job doing it, or a revocation job, may sign. */
	req = sign_req_payload("account", kid, "{\"status\":\"deactivated\"}");
	assert_refused(&f, req, "only 'acmectl account deactivate' deactivates");
	free(req);
	req = sign_req_payload("account", kid, "{\"protected\":\"e30\",\"payload\":\"e30\","
					       "\"signature\":\"AA\"}");
	assert_refused(&f, req, "a key change only in a rollover");
	free(req);
	req = sign_req_payload("account", kid, "{\"certificate\":\"MIIB\"}");
	assert_refused(&f, req, "only a revocation job revokes");
	free(req);
	ASSERT_INT_EQ(signer_account(&f.link, "retire", id, NULL, NULL), -EPERM);
	ASSERT_INT_EQ(signer_account(&f.link, "commit", id, NULL, NULL), -EPERM);
	/* A payload the CA would read otherwise than the signer: refused. */
	req = sign_req_payload("account", kid, "{\"status\":\"valid\"} {\"status\":\"deactivated\"}");
	assert_refused(&f, req, "must be base64url");
	free(req);
	free(csr);
	free(der);
	free(id);
	signer_free(acct);
	stop(&f);
}

TEST(publish_once_for_the_jobs_names)
{
	struct fixture f;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	EVP_PKEY *ca_key = ec_key(), *pub;
	X509 *ca = cert_make(ca_key, "Test CA", NULL, NULL, true, NULL, 1, 90), *leaf;
	X509_REQ *csr;
	char *chain = cert_pem(ca), *cert;
	int version = 0;

	start(&f, true);
	ASSERT_INT_EQ(signer_csr(&f.link, domains, 2, &der, &len), 0);
	p = der;
	csr = d2i_X509_REQ(NULL, &p, (long)len);
	ASSERT_NONNULL(csr);
	pub = X509_REQ_get_pubkey(csr);
	/* The CSR's key, but names the job did not ask for. */
	leaf = cert_make(pub, "a.test", ca, ca_key, false, "DNS:a.test,DNS:b.test,DNS:evil.test", 2,
			 30);
	cert = cert_pem(leaf);
	ASSERT_INT_EQ(signer_publish(&f.link, cert, chain, &version), ACMED_EBADCERT);
	ASSERT_STR_CONTAINS(f.link.err, "publish: the certificate names evil.test, which was not "
					"asked for");
	X509_free(leaf);
	free(cert);
	leaf = cert_make(pub, "a.test", ca, ca_key, false, "DNS:a.test", 3, 30);
	cert = cert_pem(leaf);
	ASSERT_INT_EQ(signer_publish(&f.link, cert, chain, &version), ACMED_EBADCERT);
	ASSERT_STR_CONTAINS(f.link.err, "does not cover b.test");
	X509_free(leaf);
	free(cert);
	/* What the worker should have refused, the signer refuses too: an
	 * expired certificate, a CA certificate, a leaf sent as its chain. */
	leaf = cert_make(pub, "a.test", ca, ca_key, false, "DNS:b.test,DNS:a.test", 5, 30);
	X509_gmtime_adj(X509_getm_notBefore(leaf), -40L * 86400);
	X509_gmtime_adj(X509_getm_notAfter(leaf), -86400);
	ASSERT_TRUE(X509_sign(leaf, ca_key, EVP_sha256()) > 0);
	cert = cert_pem(leaf);
	ASSERT_INT_EQ(signer_publish(&f.link, cert, chain, &version), ACMED_EBADCERT);
	ASSERT_STR_CONTAINS(f.link.err, "the certificate expired at");
	ASSERT_INT_EQ(signer_publish(&f.link, cert, cert, &version), ACMED_EBADCERT);
	X509_free(leaf);
	free(cert);
	leaf = cert_make(pub, "a.test", ca, ca_key, true, "DNS:b.test,DNS:a.test", 6, 30);
	cert = cert_pem(leaf);
	ASSERT_INT_EQ(signer_publish(&f.link, cert, chain, &version), ACMED_EBADCERT);
	ASSERT_STR_CONTAINS(f.link.err, "is a CA certificate");
	X509_free(leaf);
	free(cert);
	/* Exactly the job's names: saved, once. */
	leaf = cert_make(pub, "a.test", ca, ca_key, false, "DNS:b.test,DNS:a.test", 4, 30);
	cert = cert_pem(leaf);
	ASSERT_INT_EQ(signer_publish(&f.link, cert, chain, &version), 0);
	ASSERT_INT_EQ(version, 1);
	ASSERT_INT_EQ(signer_publish(&f.link, cert, chain, &version), -EPERM);
	ASSERT_STR_CONTAINS(f.link.err, "this job has published already");
	X509_free(leaf);
	X509_free(ca);
	X509_REQ_free(csr);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ca_key);
	free(cert);
	free(chain);
	free(der);
	stop(&f);
}

TEST(publish_needs_a_csr_first)
{
	struct fixture f;
	int version = 0;

	start(&f, true);
	ASSERT_INT_EQ(signer_publish(&f.link, "cert", "chain", &version), -EINVAL);
	ASSERT_STR_CONTAINS(f.link.err, "no CSR was made");
	stop(&f);
}

/* Cluster mode: the CSR's key leaves the signer only sealed for one
 * version of the job's lineage; another host's order is taken over only
 * for the job's names, and only as the version its key was sealed for. */
TEST(cluster_key_sealed_for_one_version)
{
	static const unsigned char ckey[SEAL_KEY_LEN] = { 7, 1, 2, 3 };
	struct fixture f;
	struct json_object *names = json_object_new_array();
	unsigned char *der = NULL, *blob = NULL, *plain = NULL;
	size_t len = 0, bloblen = 0, plainlen = 0;
	char *sealed = NULL, *url = NULL;
	int live = -1, version = 0;

	start(&f, true);
	/* No cluster key: nothing is sealed. */
	ASSERT_INT_EQ(signer_seal(&f.link, 1, &sealed), -EPERM);
	stop(&f);

	f.state = tmpdir_make();
	f.conf.state_dir = f.state;
	f.conf.cluster_key = ckey;
	ASSERT_INT_EQ(signer_start(&f.conf, &f.link), 0);
	ASSERT_INT_EQ(signer_seal(&f.link, 1, &sealed), -EINVAL); /* no CSR yet */
	ASSERT_INT_EQ(signer_csr(&f.link, domains, 2, &der, &len), 0);
	ASSERT_INT_EQ(signer_seal(&f.link, 0, &sealed), -EINVAL);
	ASSERT_INT_EQ(signer_seal(&f.link, 3, &sealed), 0);
	ASSERT_INT_EQ(b64url_decode(sealed, &blob, &bloblen), 0);
	/* It opens as version 3 of a.test and as nothing else. */
	ASSERT_INT_EQ(seal_open(ckey, "a.test", 3, blob, bloblen, &plain, &plainlen), 0);
	ASSERT_STR_CONTAINS((char *)plain, "PRIVATE KEY");
	free(plain);
	ASSERT_INT_EQ(seal_open(ckey, "a.test", 2, blob, bloblen, &plain, &plainlen), ACMED_ECRYPTO);
	ASSERT_INT_EQ(seal_open(ckey, "b.test", 3, blob, bloblen, &plain, &plainlen), ACMED_ECRYPTO);
	ASSERT_INT_EQ(signer_live(&f.link, &live), 0);
	ASSERT_INT_EQ(live, 0);

	/* Adopted: for the job's names, as the version it was sealed for. */
	json_object_array_add(names, json_object_new_string("a.test"));
	ASSERT_INT_EQ(signer_adopt(&f.link, "https://ca.test/order/1", sealed, 3, names), -EPERM);
	json_object_array_add(names, json_object_new_string("b.test"));
	ASSERT_INT_EQ(signer_adopt(&f.link, "https://ca.test/order/1", sealed, 2, names),
		      ACMED_ECRYPTO);
	ASSERT_INT_EQ(signer_adopt(&f.link, "http://ca.test/order/1", sealed, 3, names), -EINVAL);
	ASSERT_INT_EQ(signer_adopt(&f.link, "https://ca.test/order/1", sealed, 3, names), 0);
	ASSERT_INT_EQ(signer_resume(&f.link, &url), 0);
	ASSERT_STR_EQ(url, "https://ca.test/order/1");
	/* A publish that would not make the cluster's version is refused. */
	ASSERT_INT_EQ(signer_publish_as(&f.link, "cert", "chain", 2, &version), ACMED_EMISMATCH);
	ASSERT_STR_CONTAINS(f.link.err, "version 2 is published in the cluster, but this host has "
					"version 0");
	json_object_put(names);
	free(url);
	free(blob);
	free(sealed);
	free(der);
	stop(&f);
}

TEST(malformed_frame_ends_the_signer)
{
	struct fixture f;
	int status = 0;

	start(&f, false);
	/* A frame longer than any request may be. */
	ASSERT_INT_EQ(write(f.link.fd, "\x7f\xff\xff\xff", 4), 4);
	ASSERT_INT_EQ(waitpid(f.link.pid, &status, 0), f.link.pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	close(f.link.fd);
	free(f.state);
}
