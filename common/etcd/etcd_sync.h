/* What the hosts of a cluster read from etcd to copy it, and accounts in
 * etcd (docs/cluster.md, "Key layout"), beside etcd_store.h's lineage
 * versions:
 *   P accounts/SERVERDIR/ID/account.json   the account's account.json
 *   P accounts/SERVERDIR/ID/key.sealed     its key, sealed as
 *                                          "account:SERVERDIR/ID", version 0
 *   P hosts/HOST                           {"revision", "version",
 *                                          "materialised"}, on a lease
 * SERVERDIR is the directory the local store keeps that CA's accounts in.
 * Blocking (etcd.h): for acmectl, jobs and the watcher. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd/etcd.h"
#include "etcd/etcd_store.h"

/* Write account SERVERDIR/ID (KEY_PEM sealed; JSON, may be NULL) unless its
 * key is there already: *ADDED false then, and a key with other contents
 * is ACMED_EMISMATCH; an account.json there is replaced by JSON. */
int estore_put_account(struct estore *s, const char *serverdir, const char *id,
		       const char *json, const char *key_pem, bool *added, char *err,
		       size_t errlen);
/* Read account SERVERDIR/ID back: *JSON (NULL if none) and *KEY_PEM
 * opened (a secret: wipe it); caller frees. -ENOENT if its key is not
 * there, ACMED_ECRYPTO if it does not open with this cluster key. */
int estore_read_account(struct estore *s, const char *serverdir, const char *id, char **json,
			char **key_pem, char *err, size_t errlen);

/* Every account in etcd (at REVISION, 0: the newest) installed into ST
 * where it is missing: the key opened and written exclusively (0600),
 * account.json if there is none, the key read back and compared. FN gets
 * each account ("SERVERDIR/ID"): its result R (0, or an error with WHY),
 * *ADDED whether it was written now; FN's negative return stops. etcd
 * unreachable stops with ACMED_EETCD and ERR. */
typedef int (*estore_account_fn)(void *ctx, const char *acct, int r, bool added,
				 const char *why);
int estore_install_accounts(struct estore *s, struct store *st, int64_t revision,
			    estore_account_fn fn, void *ctx, char *err, size_t errlen);

/* Every key starting with PREFIX at one revision, read in pages of PAGE
 * keys (0: 500), each page starting just after the last key of the one
 * before: *REVISION 0 reads the newest and gets the revision read. OUT's
 * pairs in key order (caller clears). Errors as etcd_get_prefix(). */
int etcd_get_prefix_paged(struct etcd *e, const char *prefix, int64_t page, int64_t *revision,
			  struct etcd_range *out);

/* Every key under P SUB ("lineages/", "accounts/") at one revision, read
 * in pages of PAGE keys (0: 500): *REVISION 0 reads the newest and gets
 * the revision read. OUT's pairs in key order; caller clears. */
int estore_snapshot(struct estore *s, const char *sub, int64_t page, int64_t *revision,
		    struct etcd_range *out, char *err, size_t errlen);

/* The parts of a key under P: for "P lineages/NAME/WHAT" *NAME and
 * *WHAT ("current", "versions/3/cert"...), for "P accounts/SERVERDIR/ID/
 * FILE" *NAME = "SERVERDIR/ID" and *WHAT = FILE. Pointers into a copy
 * the caller frees (*BUF). Which: 'l', 'a', or 0 for a key of neither. */
char estore_key_parts(const char *prefix, const char *key, char **buf, const char **name,
		      const char **what);

/* The lineage keys the watcher decides by: current (0 if absent), the
 * lock's holder (NULL if none) and the renewal text (NULL if none), read
 * now. Caller frees. */
struct estore_lineage {
	int current;
	char *lock;
	char *renewal;
};
void estore_lineage_clear(struct estore_lineage *l);
int estore_read_lineage(struct estore *s, const char *name, struct estore_lineage *out, char *err,
			size_t errlen);

/* P hosts/HOST = TEXT on LEASE. */
int estore_put_host(struct estore *s, const char *host, const char *text, int64_t lease,
		    char *err, size_t errlen);
