/* acmectl certonly: certbot's flags turned into a request for the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "jws.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

struct certonly {
	struct json_object *args;
	struct json_object *domains;
	struct json_object *webroot_map;
	char *webroot;             /* the -w in effect for the next -d */
	char *first_webroot;       /* for -d given before any -w (one of the webroots) */
	char **webroots;           /* every -w, absolute, to free */
	size_t nwebroots;
	const char *csr_file;
	const char *cert_path, *chain_path, *fullchain_path;
};

static void usage(FILE *f)
{
	fputs("Usage: acmectl certonly -d DOMAIN [-d DOMAIN...] (--webroot -w DIR | --standalone |\n"
	      "       --manual --manual-auth-hook CMD |\n"
	      "       --dns-rfc2136 --dns-rfc2136-credentials FILE) [OPTIONS]\n\n"
	      "  -d, --domains D[,D...]     domains for the certificate; the first is the name\n"
	      "      --cert-name NAME       lineage name (default: the first domain)\n"
	      "      --webroot              prove control by files under a web root\n"
	      "  -w, --webroot-path DIR     web root for the -d options that follow it\n"
	      "      --standalone           prove control with a built-in HTTP server\n"
	      "      --http-01-address A    address the standalone server listens on\n"
	      "      --http-01-port P       port the standalone server listens on (80)\n"
	      "      --tls-alpn-01-port P   port of its tls-alpn-01 responder (443)\n"
	      "      --manual               prove control with your own hooks (certbot's)\n"
	      "      --manual-auth-hook CMD puts each response in place (http-01 file or\n"
	      "                             dns-01 TXT record; saved for renewals)\n"
	      "      --manual-cleanup-hook CMD  takes it down afterwards (saved)\n"
	      "      --dns-rfc2136          prove control with DNS UPDATEs (RFC 2136) to your\n"
	      "                             authoritative server; dns-01, wildcards allowed\n"
	      "      --dns-rfc2136-credentials FILE\n"
	      "                             certbot's credentials file: server, key (saved)\n"
	      "      --dns-rfc2136-propagation-seconds N\n"
	      "                             wait at most N s for the server to answer the\n"
	      "                             TXT records (60; saved)\n"
	      "      --preferred-challenges T[,T...]\n"
	      "                             challenge types in order: dns, http (saved)\n"
	      "      --key-type ecdsa|rsa   key type (default ecdsa)\n"
	      "      --elliptic-curve C     secp256r1 (default) or secp384r1\n"
	      "      --rsa-key-size N       2048 (default), 3072 or 4096\n"
	      "      --reuse-key            keep the lineage's current key\n"
	      "      --csr FILE             use this CSR (PEM or DER); no lineage is kept\n"
	      "      --cert-path, --chain-path, --fullchain-path FILE\n"
	      "                             where --csr results go (default ./000N_*.pem)\n"
	      "  -m, --email ADDRESS        contact address for a new account\n"
	      "      --register-unsafely-without-email\n"
	      "      --agree-tos            accept the CA's terms of service\n"
	      "      --eab-kid KID, --eab-hmac-key KEY\n"
	      "                             external account binding for a new account\n"
	      "      --server URL           ACME directory (default: the daemon's)\n"
	      "      --preferred-chain CN   pick the chain whose top issuer has this CN\n"
	      "      --profile NAME         ask the CA for this certificate profile\n"
	      "      --pre-hook CMD         run before the order (saved for renewals)\n"
	      "      --post-hook CMD        run after it (saved for renewals)\n"
	      "      --deploy-hook CMD      run when the lineage got a new version (saved)\n"
	      "      --dry-run              order and check a certificate, save nothing\n"
	      "  -n, --non-interactive      never ask (acmectl certonly never does)\n"
	      "      --force-renewal        accepted for certbot compatibility\n",
	      f);
}

static void add_domains(struct certonly *co, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	for (char *d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		while (*d == ' ')
			d++;
		if (!*d)
			continue;
		json_object_array_add(co->domains, json_object_new_string(d));
		if (co->webroot) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "domain", json_object_new_string(d));
			json_object_object_add(e, "path", json_object_new_string(co->webroot));
			json_object_array_add(co->webroot_map, e);
		}
	}
	free(copy);
}

static int keep(struct certonly *co, char *s)
{
	char **v = realloc(co->webroots, (co->nwebroots + 1) * sizeof(*v));

	if (!v) {
		free(s);
		return -ENOMEM;
	}
	co->webroots = v;
	v[co->nwebroots++] = s;
	return 0;
}

static int set_authenticator(struct certonly *co, const char *name)
{
	struct json_object *cur;

	if (json_object_object_get_ex(co->args, "authenticator", &cur) &&
	    !streq(json_object_get_string(cur), name)) {
		client_fprintf(stderr,
			       "acmectl: choose one authenticator: --%s and --%s were both given\n",
			       json_object_get_string(cur), name);
		return -EINVAL;
	}
	json_object_object_add(co->args, "authenticator", json_object_new_string(name));
	return 0;
}

static int read_csr(struct certonly *co, const char *path)
{
	char *data = NULL, *b64;
	size_t len = 0;
	int r = client_read_file("--csr", path, &data, &len);

	if (r < 0)
		return r;
	b64 = b64url_encode(data, len);
	free(data);
	if (!b64)
		return -ENOMEM;
	json_object_object_add(co->args, "csr", json_object_new_string(b64));
	free(b64);
	return 0;
}

static int parse_int(const char *opt, const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max) {
		client_fprintf(stderr, "acmectl: %s %s: must be a number between %ld and %ld\n",
			       opt, s, min, max);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* The daemon has another working directory: send absolute web roots. */
static int absolute(const char *path, char **out)
{
	char cwd[4096];

	if (path[0] == '/') {
		*out = strdup(path);
	} else if (getcwd(cwd, sizeof(cwd))) {
		*out = fs_join(cwd, path);
	} else {
		client_fprintf(stderr, "acmectl: %s: cannot tell the current directory\n", path);
		return -errno;
	}
	return *out ? 0 : -ENOMEM;
}

static int parse(struct certonly *co, int argc, char **argv)
{
	enum {
		O_CERTNAME = 256, O_WEBROOT, O_STANDALONE, O_ADDR, O_PORT, O_KEYTYPE, O_CURVE,
		O_RSA, O_REUSE, O_CSR, O_CERTPATH, O_CHAINPATH, O_FULLPATH, O_UNSAFE, O_TOS,
		O_SERVER, O_CHAIN, O_FORCE, O_JSON, O_PROFILE, O_PRE, O_POST, O_DEPLOY, O_DRY,
		O_EABKID, O_EABKEY, O_MANUAL, O_MAUTH, O_MCLEAN, O_PREFCHAL, O_ALPNPORT,
		O_RFC2136, O_RFC2136_CREDS, O_RFC2136_PROP,
	};
	static const struct option longopts[] = {
		{ "domains", required_argument, NULL, 'd' },
		{ "domain", required_argument, NULL, 'd' },
		{ "cert-name", required_argument, NULL, O_CERTNAME },
		{ "webroot", no_argument, NULL, O_WEBROOT },
		{ "webroot-path", required_argument, NULL, 'w' },
		{ "standalone", no_argument, NULL, O_STANDALONE },
		{ "authenticator", required_argument, NULL, 'a' },
		{ "http-01-address", required_argument, NULL, O_ADDR },
		{ "http-01-port", required_argument, NULL, O_PORT },
		{ "tls-alpn-01-port", required_argument, NULL, O_ALPNPORT },
		{ "key-type", required_argument, NULL, O_KEYTYPE },
		{ "elliptic-curve", required_argument, NULL, O_CURVE },
		{ "rsa-key-size", required_argument, NULL, O_RSA },
		{ "reuse-key", no_argument, NULL, O_REUSE },
		{ "csr", required_argument, NULL, O_CSR },
		{ "cert-path", required_argument, NULL, O_CERTPATH },
		{ "chain-path", required_argument, NULL, O_CHAINPATH },
		{ "fullchain-path", required_argument, NULL, O_FULLPATH },
		{ "email", required_argument, NULL, 'm' },
		{ "register-unsafely-without-email", no_argument, NULL, O_UNSAFE },
		{ "agree-tos", no_argument, NULL, O_TOS },
		{ "server", required_argument, NULL, O_SERVER },
		{ "preferred-chain", required_argument, NULL, O_CHAIN },
		{ "non-interactive", no_argument, NULL, 'n' },
		{ "noninteractive", no_argument, NULL, 'n' },
		{ "force-renewal", no_argument, NULL, O_FORCE },
		{ "renew-by-default", no_argument, NULL, O_FORCE },
		{ "json", no_argument, NULL, O_JSON },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "required-profile", required_argument, NULL, O_PROFILE },
		{ "pre-hook", required_argument, NULL, O_PRE },
		{ "post-hook", required_argument, NULL, O_POST },
		{ "deploy-hook", required_argument, NULL, O_DEPLOY },
		{ "renew-hook", required_argument, NULL, O_DEPLOY },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "eab-kid", required_argument, NULL, O_EABKID },
		{ "eab-hmac-key", required_argument, NULL, O_EABKEY },
		{ "manual", no_argument, NULL, O_MANUAL },
		{ "manual-auth-hook", required_argument, NULL, O_MAUTH },
		{ "manual-cleanup-hook", required_argument, NULL, O_MCLEAN },
		{ "preferred-challenges", required_argument, NULL, O_PREFCHAL },
		{ "dns-rfc2136", no_argument, NULL, O_RFC2136 },
		{ "dns-rfc2136-credentials", required_argument, NULL, O_RFC2136_CREDS },
		{ "dns-rfc2136-propagation-seconds", required_argument, NULL, O_RFC2136_PROP },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct json_object *a = co->args;
	int c, port;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:w:a:m:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': add_domains(co, optarg); break;
		case O_CERTNAME:
			json_object_object_add(a, "cert_name", json_object_new_string(optarg));
			break;
		case O_WEBROOT:
			if (set_authenticator(co, "webroot") < 0)
				return -EINVAL;
			break;
		case 'w':
			if (absolute(optarg, &co->webroot) < 0 || keep(co, co->webroot) < 0)
				return -EINVAL;
			if (!co->first_webroot)
				co->first_webroot = co->webroot;
			break;
		case O_STANDALONE:
			if (set_authenticator(co, "standalone") < 0)
				return -EINVAL;
			break;
		case O_MANUAL:
			if (set_authenticator(co, "manual") < 0)
				return -EINVAL;
			break;
		case O_RFC2136:
			if (set_authenticator(co, "dns-rfc2136") < 0)
				return -EINVAL;
			break;
		case O_RFC2136_CREDS: {
			char *path = NULL;

			if (absolute(optarg, &path) < 0)
				return -EINVAL;
			json_object_object_add(a, "dns_rfc2136_credentials",
					       json_object_new_string(path));
			free(path);
			break;
		}
		case O_RFC2136_PROP:
			if (parse_int("--dns-rfc2136-propagation-seconds", optarg, 1, 3600, &port) < 0)
				return -EINVAL;
			json_object_object_add(a, "dns_rfc2136_propagation_seconds",
					       json_object_new_int(port));
			break;
		case O_MAUTH:
			json_object_object_add(a, "manual_auth_hook", json_object_new_string(optarg));
			break;
		case O_MCLEAN:
			json_object_object_add(a, "manual_cleanup_hook",
					       json_object_new_string(optarg));
			break;
		case O_PREFCHAL: {
			/* certbot takes it more than once: the lists add up. */
			const char *was = jobj_str(a, "preferred_challenges");
			char *all = NULL;

			if (asprintf(&all, "%s%s%s", was ? was : "", was ? "," : "", optarg) < 0)
				return -ENOMEM;
			json_object_object_add(a, "preferred_challenges", json_object_new_string(all));
			free(all);
			break;
		}
		case 'a':
			if (set_authenticator(co, optarg) < 0)
				return -EINVAL;
			break;
		case O_ADDR:
			json_object_object_add(a, "http01_address", json_object_new_string(optarg));
			break;
		case O_PORT:
			if (parse_int("--http-01-port", optarg, 1, 65535, &port) < 0)
				return -EINVAL;
			json_object_object_add(a, "http01_port", json_object_new_int(port));
			break;
		case O_ALPNPORT:
			if (parse_int("--tls-alpn-01-port", optarg, 1, 65535, &port) < 0)
				return -EINVAL;
			json_object_object_add(a, "tlsalpn01_port", json_object_new_int(port));
			break;
		case O_KEYTYPE:
			json_object_object_add(a, "key_type", json_object_new_string(optarg));
			break;
		case O_CURVE:
			json_object_object_add(a, "elliptic_curve", json_object_new_string(optarg));
			break;
		case O_RSA:
			if (parse_int("--rsa-key-size", optarg, 1, 65536, &port) < 0)
				return -EINVAL;
			json_object_object_add(a, "rsa_key_size", json_object_new_int(port));
			break;
		case O_REUSE: json_object_object_add(a, "reuse_key", json_object_new_boolean(1)); break;
		case O_CSR: co->csr_file = optarg; break;
		case O_CERTPATH: co->cert_path = optarg; break;
		case O_CHAINPATH: co->chain_path = optarg; break;
		case O_FULLPATH: co->fullchain_path = optarg; break;
		case 'm':
			if (client_check_email("--email", optarg) < 0)
				return -EINVAL;
			json_object_object_add(a, "email", json_object_new_string(optarg));
			break;
		case O_UNSAFE:
			json_object_object_add(a, "register_unsafely_without_email",
					       json_object_new_boolean(1));
			break;
		case O_TOS: json_object_object_add(a, "agree_tos", json_object_new_boolean(1)); break;
		case O_SERVER:
			json_object_object_add(a, "server", json_object_new_string(optarg));
			break;
		case O_CHAIN:
			json_object_object_add(a, "preferred_chain", json_object_new_string(optarg));
			break;
		case O_PROFILE: json_object_object_add(a, "profile", json_object_new_string(optarg)); break;
		case O_PRE: json_object_object_add(a, "pre_hook", json_object_new_string(optarg)); break;
		case O_POST: json_object_object_add(a, "post_hook", json_object_new_string(optarg)); break;
		case O_DEPLOY:
			json_object_object_add(a, "deploy_hook", json_object_new_string(optarg));
			break;
		case O_DRY: json_object_object_add(a, "dry_run", json_object_new_boolean(1)); break;
		case O_EABKID: json_object_object_add(a, "eab_kid", json_object_new_string(optarg)); break;
		case O_EABKEY:
			json_object_object_add(a, "eab_hmac_key", json_object_new_string(optarg));
			break;
		case 'n': case O_FORCE: case O_JSON: break;
		case 'h': usage(stdout); exit(0);
		default: client_fprintf(stderr, "Try 'acmectl certonly --help'.\n"); return -EINVAL;
		}
	}
	if (optind < argc) {
		client_fprintf(stderr, "acmectl certonly: unexpected argument '%s'\n",
			       argv[optind]);
		return -EINVAL;
	}
	if (co->first_webroot && !json_object_object_get_ex(a, "authenticator", NULL))
		set_authenticator(co, "webroot");
	if (co->first_webroot)
		json_object_object_add(a, "webroot_path", json_object_new_string(co->first_webroot));
	if (json_object_array_length(co->webroot_map))
		json_object_object_add(a, "webroot_map", json_object_get(co->webroot_map));
	json_object_object_add(a, "domains", json_object_get(co->domains));
	if (co->csr_file && read_csr(co, co->csr_file) < 0)
		return -EINVAL;
	return 0;
}

/* certbot's default for --csr output: ./0000_cert.pem, then 0001_... */
static int save_csr_output(const char *given, const char *kind, const char *pem, char *path,
			   size_t len)
{
	int r;

	if (given) {
		snprintf(path, len, "%s", given);
		return fs_write_path(path, pem, strlen(pem), 0644, FS_NOREPLACE);
	}
	for (int i = 0; i < 10000; i++) {
		snprintf(path, len, "%04d_%s.pem", i, kind);
		r = fs_write_path(path, pem, strlen(pem), 0644, FS_NOREPLACE);
		if (r != -EEXIST)
			return r;
	}
	return -EEXIST;
}

static int print_csr_result(const struct client *cl, const struct certonly *co,
			    struct json_object *data)
{
	static const char *const kinds[] = { "cert", "chain", "fullchain" };
	const char *given[] = { co->cert_path, co->chain_path, co->fullchain_path };
	char paths[3][4096], date[64];

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		int r = save_csr_output(given[i], kinds[i], str_or_empty(jobj_str(data, kinds[i])), paths[i],
					sizeof(paths[i]));

		if (r < 0) {
			client_fprintf(stderr, "acmectl: error: cannot write %s: %s\n", paths[i],
				       strerror(-r));
			return EXIT_FAILED;
		}
	}
	if (cl->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cert_path", json_object_new_string(paths[0]));
		json_object_object_add(o, "chain_path", json_object_new_string(paths[1]));
		json_object_object_add(o, "fullchain_path", json_object_new_string(paths[2]));
		json_object_object_add(o, "not_after",
				       json_object_get(json_object_object_get(data, "not_after")));
		client_print_json(o);
		json_object_put(o);
		return EXIT_OK;
	}
	format_time(jobj_time(data, "not_after"), date, sizeof(date));
	client_printf("Successfully received certificate.\n"
		      "Certificate is saved at:            %s\n"
		      "Intermediate CA chain is saved at:  %s\n"
		      "Full certificate chain is saved at: %s\n"
		      "This certificate expires on %.10s.\n",
		      paths[0], paths[1], paths[2], date);
	return EXIT_OK;
}

int verb_certonly(const struct client *cl, int argc, char **argv)
{
	struct certonly co = {
		.args = json_object_new_object(),
		.domains = json_object_new_array(),
		.webroot_map = json_object_new_array(),
	};
	struct json_object *reply = NULL, *data = NULL;
	char date[64];
	int ret;

	if (parse(&co, argc, argv) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	ret = client_request(cl, "certonly", co.args, &reply, &data);
	if (ret != EXIT_OK)
		goto out;
	if (co.csr_file) {
		ret = print_csr_result(cl, &co, data);
		goto out;
	}
	if (jobj_int(data, "hook_failures", 0) > 0)
		ret = EXIT_FAILED;
	if (cl->json) {
		client_print_json(data);
		goto out;
	}
	format_time(jobj_time(data, "not_after"), date, sizeof(date));
	if (json_object_object_get_ex(data, "dry_run", NULL))
		client_printf(
			"The dry run was successful: the CA issued a certificate expiring on %.10s;\n"
			"nothing was saved.\n",
			date);
	else
		client_printf("Successfully received certificate.\n"
			      "Certificate is saved at: %s\n"
			      "Key is saved at:         %s\n"
			      "This certificate expires on %.10s.\n",
			      str_or_empty(jobj_str(data, "fullchain_path")),
			      str_or_empty(jobj_str(data, "privkey_path")), date);
	if (ret != EXIT_OK)
		client_printf(
			"The certificate was obtained, but %lld hook(s) failed; see acmed's log.\n",
			jobj_int(data, "hook_failures", 0));
out:
	json_object_put(reply);
	json_object_put(co.args);
	json_object_put(co.domains);
	json_object_put(co.webroot_map);
	strv_free(co.webroots, co.nwebroots);
	return ret;
}
