/* etcd-tool: the etcd client (common/etcd/etcd.h) from the command line, for
 * tests/integration/etcd-client.sh only; not installed.
 *
 *   etcd-tool ENDPOINTS CA CERT KEY TIMEOUT_MS COMMAND ARGS...
 *
 * ENDPOINTS is comma-separated. Commands: put KEY VALUE [LEASE], get KEY,
 * prefix PREFIX [LIMIT], pages PREFIX PAGE [REV] (every key under PREFIX
 * read PAGE keys at a time at one revision), create KEY VALUE [LEASE] (a transaction that puts
 * KEY only if it does not exist: exit 3 if it does), delete KEY,
 * grant TTL, keepalive ID, revoke ID, watch KEY REV N (print the first N
 * events under KEY from revision REV), status, members.
 * CERT "-" (and any KEY): no client certificate. $ETCD_USER and
 * $ETCD_PASSWORD, when set, log in with etcd's own authentication.
 * Exit 0 on success, 1 with etcd_errmsg() on stderr. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"
#include "etcd/etcd.h"
#include "etcd/etcd_sync.h"

static void print_kv(const struct etcd_kv *kv)
{
	printf("%s=%s create=%" PRId64 " mod=%" PRId64 " version=%" PRId64 " lease=%" PRId64 "\n",
	       kv->key, (const char *)kv->value, kv->create_revision, kv->mod_revision, kv->version,
	       kv->lease);
}

static int print_range(int r, struct etcd_range *rg)
{
	if (r == 0) {
		for (size_t i = 0; i < rg->n; i++)
			print_kv(&rg->kvs[i]);
		printf("count=%" PRId64 " more=%d revision=%" PRId64 "\n", rg->count, rg->more,
		       rg->revision);
	}
	etcd_range_clear(rg);
	return r;
}

static int create(struct etcd *e, const char *key, const char *value, int64_t lease)
{
	struct etcd_cmp cmp = { .key = key, .target = ETCD_CREATE, .result = ETCD_EQUAL };
	struct etcd_op put = { .type = ETCD_OP_PUT, .key = key, .value = value,
			       .value_len = strlen(value), .lease = lease };
	struct etcd_op get = { .type = ETCD_OP_RANGE, .key = key };
	struct etcd_txn_result t;
	int r = etcd_txn(e, &cmp, 1, &put, 1, &get, 1, &t);

	if (r == 0 && !t.succeeded) {
		printf("exists: %s\n", t.nranges && t.ranges[0].n
					       ? (const char *)t.ranges[0].kvs[0].value
					       : "?");
		r = 3;
	} else if (r == 0) {
		printf("created revision=%" PRId64 "\n", t.revision);
	}
	etcd_txn_result_clear(&t);
	return r;
}

struct watch_count {
	long left;
};

static int on_events(const struct etcd_event *ev, size_t n, int64_t revision, void *ctx)
{
	struct watch_count *w = ctx;

	if (n == 0)
		printf("watching at revision %" PRId64 "\n", revision);
	for (size_t i = 0; i < n && w->left > 0; i++, w->left--) {
		printf("%s ", ev[i].type == ETCD_EVENT_PUT ? "PUT" : "DELETE");
		print_kv(&ev[i].kv);
	}
	fflush(stdout);
	return w->left > 0 ? 0 : 1;
}

static int status(struct etcd *e, char **eps, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct etcd_status st;

		if (etcd_status(e, eps[i], &st) < 0) {
			fprintf(stderr, "%s\n", etcd_errmsg(e));
			bad = 1;
			continue;
		}
		printf("%s version=%s member=%" PRIx64 " leader=%" PRIx64 " revision=%" PRId64 "\n",
		       eps[i], st.version, st.member_id, st.leader, st.revision);
		etcd_status_clear(&st);
	}
	return bad ? ACMED_EETCD : 0;
}

static int members(struct etcd *e)
{
	struct etcd_member *m;
	size_t n;
	int r = etcd_member_list(e, &m, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		printf("%" PRIx64 " %s %s\n", m[i].id, m[i].name,
		       m[i].nclient_urls ? m[i].client_urls[0] : "-");
	if (r == 0)
		etcd_members_free(m, n);
	return r;
}

static int run(struct etcd *e, char **eps, size_t neps, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct etcd_range rg;
	int64_t id, ttl, lease = 0;

	if (streq(cmd, "put") && argc >= 3) {
		lease = argc > 3 ? strtoll(argv[3], NULL, 10) : 0;
		return etcd_put(e, argv[1], argv[2], strlen(argv[2]), lease, NULL);
	}
	if (streq(cmd, "get") && argc == 2)
		return print_range(etcd_get(e, argv[1], 0, &rg), &rg);
	if (streq(cmd, "prefix") && argc >= 2)
		return print_range(etcd_get_prefix(e, argv[1], argc > 2 ? atol(argv[2]) : 0, 0, &rg),
				   &rg);
	if (streq(cmd, "pages") && argc >= 3) {
		int64_t rev = argc > 3 ? strtoll(argv[3], NULL, 10) : 0;

		return print_range(etcd_get_prefix_paged(e, argv[1], strtoll(argv[2], NULL, 10), &rev,
							 &rg), &rg);
	}
	if (streq(cmd, "create") && argc >= 3)
		return create(e, argv[1], argv[2], argc > 3 ? strtoll(argv[3], NULL, 10) : 0);
	if (streq(cmd, "delete") && argc == 2)
		return etcd_delete(e, argv[1], false, NULL);
	if (streq(cmd, "grant") && argc == 2) {
		int r = etcd_lease_grant(e, atol(argv[1]), &id, &ttl);

		if (r == 0)
			printf("%" PRId64 "\n", id);
		return r;
	}
	if (streq(cmd, "keepalive") && argc == 2) {
		int r = etcd_lease_keepalive(e, strtoll(argv[1], NULL, 10), &ttl);

		if (r == 0)
			printf("ttl=%" PRId64 "\n", ttl);
		return r;
	}
	if (streq(cmd, "revoke") && argc == 2)
		return etcd_lease_revoke(e, strtoll(argv[1], NULL, 10));
	if (streq(cmd, "watch") && argc == 4) {
		struct watch_count w = { atol(argv[3]) };
		int64_t compacted = 0;
		int r = etcd_watch(e, argv[1], true, strtoll(argv[2], NULL, 10), 20000, on_events,
				   &w, &compacted);

		if (r == ACMED_ECOMPACTED)
			printf("compacted=%" PRId64 "\n", compacted);
		return r == 0 && w.left > 0 ? ACMED_ETIMEOUT : r;
	}
	if (streq(cmd, "status"))
		return status(e, eps, neps);
	if (streq(cmd, "members"))
		return members(e);
	fprintf(stderr, "etcd-tool: bad command\n");
	return -EINVAL;
}

int main(int argc, char **argv)
{
	char *eps[8], *list, *save = NULL, err[256];
	size_t n = 0;
	struct etcd *e = NULL;
	int r;

	if (argc < 7) {
		fprintf(stderr, "usage: etcd-tool ENDPOINTS CA CERT KEY TIMEOUT_MS COMMAND...\n");
		return 2;
	}
	list = argv[1];
	for (char *t = strtok_r(list, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save))
		eps[n++] = t;
	/* "-": no client certificate; $ETCD_USER, $ETCD_PASSWORD: etcd's auth. */
	bool cert = !streq(argv[3], "-");
	struct etcd_opts o = { (const char *const *)eps, n, argv[2], cert ? argv[3] : NULL,
			       cert ? argv[4] : NULL, getenv("ETCD_USER"), getenv("ETCD_PASSWORD"),
			       atol(argv[5]) };
	r = etcd_new(&o, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "etcd-tool: %s\n", err);
		return 1;
	}
	r = run(e, eps, n, argc - 6, argv + 6);
	if (r < 0)
		fprintf(stderr, "etcd-tool: %s (%s)\n", etcd_errmsg(e), acmed_strerror(r));
	etcd_free(e);
	return r == 3 ? 3 : r < 0 ? 1 : 0;
}
