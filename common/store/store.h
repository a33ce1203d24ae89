/* The lineage store under the state directory (DESIGN.md, "Storage"):
 *
 *   accounts/<server>/<id>/{key.pem,account.json}
 *   archive/NAME/{cert,chain,fullchain,privkey}N.pem
 *   live/NAME/{cert,chain,fullchain,privkey}.pem -> ../../archive/NAME/...N.pem
 *   renewal/NAME.conf
 *
 * A second backend (etcd, later) implements the same functions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "store/renewal.h"

struct store;

/* The four files of one version, PEM text. */
struct version_pems {
	char *cert, *chain, *fullchain, *privkey;
};

void version_pems_clear(struct version_pems *v);

/* Open (and with CREATE, make) the state directory and its subdirectories. */
int store_open(const char *dir, bool create, struct store **out);
void store_close(struct store *s);
const char *store_dir(const struct store *s);
/* live/'s lock (store_live.c): every switch of live/NAME's links holds it
 * exclusively, and the daemon holds it shared while a hook that may read
 * live/ runs, so no hook ever sees a certificate paired with another
 * version's key. SHARED never waits: -EWOULDBLOCK while a switch runs or
 * waits (try again later). Exclusive waits for the running hook, up to
 * the store's live wait (-EBUSY past it). 0 or -errno; store_live_unlock()
 * releases (a released lock is a no-op). */
struct store_live_lock {
	int gate_fd, live_fd;
};
#define STORE_LIVE_UNLOCKED ((struct store_live_lock){ -1, -1 })
int store_live_lock(struct store *s, bool shared, struct store_live_lock *l);
/* Shared, trying every STORE_LIVE_RETRY_MS ms, STORE_LIVE_TRIES times (a
 * switch takes milliseconds; past that, a hung file system): 0, or the
 * error of the last try (L is then unlocked). */
#define STORE_LIVE_RETRY_MS 20
#define STORE_LIVE_TRIES 500
/* How long a switch waits for the readers (a hook runs up to hook_timeout,
 * 300 s by default) before it gives up with -EBUSY, unless
 * store_set_live_wait() says otherwise: seconds. */
#define STORE_LIVE_WRITE_WAIT 600
void store_set_live_wait(struct store *s, int seconds);
int store_live_lock_wait(struct store *s, struct store_live_lock *l);
/* The same for a process without the store open (acmectl around
 * `nginx -t`): STATE_DIR's archive/ and live/. */
int store_live_lock_wait_path(const char *state_dir, struct store_live_lock *l);
void store_live_unlock(struct store_live_lock *l);

/* renewal-hooks/ and its pre/, deploy/ and post/, as certbot has them,
 * and acmed's alert/,
 * each made 0755 if missing (never through a symlink); what exists is left
 * as it is. 0 or -errno. */
int store_make_hook_dirs(struct store *s);

/* True if NAME is acceptable as a lineage name (safe as a path component). */
bool store_name_valid(const char *name);
/* certbot's default name for DOMAINS[0]: the domain, "*." dropped. Caller frees. */
char *store_name_base(const char *first_domain);

/* NAMES of lineages (those with a renewal file), sorted. Caller frees. */
int store_list(struct store *s, char ***names, size_t *n);
bool store_exists(struct store *s, const char *name);

int store_renewal_load(struct store *s, const char *name, struct renewal *r, char *err,
		       size_t errlen);
int store_renewal_save(struct store *s, const struct renewal *r);

/* Count a failed renewal of NAME at NOW in its renewal file (load, update
 * the state with renewal_state_fail(), save durably); *OUT, if not NULL,
 * gets the new state (caller clears). Errors as store_renewal_load() or
 * the write. */
int store_renewal_record_failure(struct store *s, const char *name, time_t now, const char *error,
				 time_t retry_after, struct renewal_state *out, char *err,
				 size_t errlen);

/* Mark lineage NAME revoked (certificate SERIAL, REASON, at AT) in its
 * renewal file; a mark for SERIAL already there is kept as it is (its
 * reason and time). Errors as store_renewal_load() or the write. */
int store_renewal_mark_revoked(struct store *s, const char *name, const char *serial,
			       const char *reason, time_t at, char *err, size_t errlen);

/* Check one version's files: each parses, the key matches the certificate,
 * fullchain is cert followed by chain, the leaf verifies against the chain.
 * 0 or an error with the reason in ERR. */
int store_check_pems(const struct version_pems *v, char *err, size_t errlen);

/* Publish V as version N+1 of NAME (creating the lineage if new): write the
 * four archive files exclusively (privkey 0600), check them, then switch
 * live/ link by link under a recorded intent. *VERSION gets N+1. On any
 * error live/ is unchanged. */
int store_publish(struct store *s, const char *name, const struct version_pems *v, int *version,
		  char *err, size_t errlen);

/* Write V as version N of NAME under its own number (cluster mode: a
 * version another host published): the four archive files exclusively
 * (privkey 0600, or with the key group of the version before as
 * store_publish() does), read back and checked; then with LIVE, live/
 * switched to N under a recorded intent, unless it points at N or a newer
 * version already (live/ never moves backwards; *SWITCHED says whether it
 * moved). A version already there with the same bytes is kept (written
 * nothing: a no-op); with other bytes it is refused with ACMED_EMISMATCH
 * and live/ is untouched. -EBUSY while another process publishes to NAME.
 * The renewal file is the caller's (written last for a new lineage, as
 * with store_import()). 0, or an error with the reason in ERR. */
int store_materialise(struct store *s, const char *name, int n, const struct version_pems *v,
		      bool live, bool *switched, char *err, size_t errlen);

/* Make TEXT (a renewal file another host wrote) lineage NAME's renewal
 * file, durably (0600), unless it holds TEXT already; *CHANGED says
 * whether it was written. TEXT must parse as a renewal file (else the
 * parser's error, nothing written). KEEP_STATE: the settings are TEXT's,
 * but the state section and the revocation mark stay this host's (the
 * settings changed, not the version). 0, or an error with ERR. */
int store_renewal_put_text(struct store *s, const char *name, const char *text, bool keep_state,
			   bool *changed, char *err, size_t errlen);

/* One version of a lineage made by another client, to import. */
struct store_import_version {
	int version;
	struct version_pems pems;
	mode_t key_mode; /* privkeyN.pem's mode and group */
	gid_t key_gid;
};

/* Import lineage NAME from another client: write each of the N versions V
 * under its own number (exclusively; a file already there with the same
 * bytes is kept, so an interrupted import can run again), check version
 * LIVE as store_publish() does and point live/ at it. NAME must not have a
 * renewal file yet: the caller saves it last, and from then on the lineage
 * exists. 0, or an error with the reason in ERR (-EEXIST: a lineage of
 * that name, or a different file in its archive). */
int store_import(struct store *s, const char *name, const struct store_import_version *v,
		 size_t n, int live, char *err, size_t errlen);

/* The order in flight for lineage NAME (DESIGN.md, "Storage"): before an
 * order is finalized, its URL and the new key are saved as TEXT (JSON,
 * written durably as archive/NAME/.pending, 0600; the directory is made if
 * the lineage is new), so that an attempt after a crash fetches the
 * certificate already issued instead of ordering another. Load: -ENOENT if
 * there is none; the caller frees *TEXT (a secret: wipe it). Clear: done
 * when the certificate is published or the order cannot be finished. */
int store_pending_save(struct store *s, const char *name, const char *text);
int store_pending_load(struct store *s, const char *name, char **text);
int store_pending_clear(struct store *s, const char *name);

/* What the alerts of lineage NAME have announced, kept so that a restart
 * does not announce it again: for the certificate expiring at NOT_AFTER,
 * the smallest expiry threshold (seconds before NOT_AFTER) already
 * announced (0: none). In archive/NAME/.alerts, written durably; gone
 * with the lineage. Load: a missing file gives zeroes and 0. */
struct alert_mark {
	time_t not_after;
	long warned;
};
int store_alert_load(struct store *s, const char *name, struct alert_mark *m);
int store_alert_save(struct store *s, const char *name, const struct alert_mark *m);

/* Delete lineage NAME: its renewal file first (from then on it does not
 * exist), then live/NAME and archive/NAME with everything in them. Refused
 * with -EBUSY while another process publishes to it. 0, or an error with
 * the reason in ERR. */
int store_delete(struct store *s, const char *name, char *err, size_t errlen);

/* What store_check() checks the live certificate against (NULL: nothing
 * more than every version). */
struct store_check_opts {
	time_t now;        /* it must be valid then; 0: not checked */
	const char *roots; /* the CA's issuer_bundle, PEM; or NULL */
};

/* Check lineage NAME against the invariant (renewal file readable; live/
 * links all into archive/NAME at one version; that version whole, key
 * matching, fullchain = cert + chain and what store_publish() checks, also
 * valid at O->now for the renewal file's names and leading to O->roots;
 * private keys not open to others); each problem is added to PROBLEMS (a
 * JSON array) as a sentence. Older versions get the same checks but the
 * time and names; what fails there goes to NOTES (if not NULL), not a
 * problem: live/ does not serve it. ACMED_ECORRUPT if any problem, else 0. */
int store_check(struct store *s, const char *name, const struct store_check_opts *o,
		struct json_object *problems, struct json_object *notes);
/* Point live/NAME at the version the check picks: what live/ holds if it is
 * whole but in no archive version (saved as a new one first), else the
 * newest version that passes; links flattened into files become links
 * again. WHAT says what was done, or why nothing could be. */
int store_repair(struct store *s, const char *name, char *what, size_t whatlen);

/* The version live/NAME points at (from cert.pem's link), or an error. */
int store_live_version(struct store *s, const char *name, int *version);
/* Read version N's files (N = 0: what live/ points at). */
int store_read_version(struct store *s, const char *name, int version, struct version_pems *v);
/* The current certificate of NAME alone (no key read), PEM in *PEM
 * (caller frees). */
int store_read_cert(struct store *s, const char *name, char **pem);
/* The same, of version VERSION. */
int store_read_cert_version(struct store *s, const char *name, int version, char **pem);

/* Finish or undo a publish interrupted by a crash (an intent left behind),
 * and remove the temp files it left; nothing while another process holds
 * the lineage's lock (what it leaves is its own). */
int store_recover(struct store *s, const char *name);
/* store_recover() for every lineage directory under archive/, including one
 * whose first publish was interrupted before its renewal file existed. */
void store_recover_all(struct store *s);

/* Path of a live file ("fullchain.pem"...) for display. Caller frees. */
char *store_live_path(const struct store *s, const char *name, const char *file);
/* Path of lineage NAME's renewal file, for display. Caller frees. */
char *store_renewal_path(const struct store *s, const char *name);

/* Accounts. SERVER is the directory URL; ID is derived from the key. */
struct stored_account {
	char *id;
	char *url;
	char *email; /* may be NULL */
	EVP_PKEY *key;
};

void stored_account_clear(struct stored_account *a);
/* Load account ID for SERVER; ID NULL picks the only one there is (-ENOENT
 * if none, -EEXIST if several). An account whose key exists but whose
 * account.json is missing loads with url NULL. */
int store_account_load(struct store *s, const char *server, const char *id,
		       struct stored_account *a, char *err, size_t errlen);
/* The same without reading the key (a->key stays NULL): for the process
 * that talks to the CA, which never holds a private key. */
int store_account_load_info(struct store *s, const char *server, const char *id,
			    struct stored_account *a, char *err, size_t errlen);
/* True if account ID is stored for SERVER. */
bool store_account_exists(struct store *s, const char *server, const char *id);
/* The directory under accounts/ of SERVER's accounts: "HOST[:PORT]/PATH"
 * (caller frees; NULL for a URL that cannot be one). Cluster mode names
 * accounts in etcd by it. */
char *store_account_server_dir(const char *server);
/* The ID of the only account stored for SERVER in *ID (caller frees):
 * -ENOENT if none, -EEXIST if several. */
int store_account_find(struct store *s, const char *server, char **id);
/* The account id KEY is stored under (caller frees; NULL on failure). */
char *store_account_key_id(EVP_PKEY *key);
/* Save the key (exclusively, 0600) of a new account; fills a->id. */
int store_account_save_key(struct store *s, const char *server, struct stored_account *a);
/* account.json's text for account A (url, email) of SERVER (caller frees;
 * NULL on OOM). */
char *store_account_info_text(const char *server, const struct stored_account *a);
/* Save account.json (url, email) next to the key. */
int store_account_save_info(struct store *s, const char *server, const struct stored_account *a);

/* Account key rollover, crash-safe. Begin: save NEW_KEY as key.next.pem
 * (exclusively, 0600) beside account ID's key.pem. Commit, once the CA
 * accepted it: key.pem is kept as key.replaced-TIME.pem and key.next.pem
 * becomes key.pem (renames, the directory fsynced). Abort: drop
 * key.next.pem. The account's ID (its directory) stays the same. */
int store_account_rollover_begin(struct store *s, const char *server, const char *id,
				 EVP_PKEY *new_key);
int store_account_rollover_commit(struct store *s, const char *server, const char *id);
int store_account_rollover_abort(struct store *s, const char *server, const char *id);
/* The key.next.pem of an interrupted rollover in *KEY (caller frees), or
 * -ENOENT. */
int store_account_next_key(struct store *s, const char *server, const char *id, EVP_PKEY **key);
/* True if account ID has a key.next.pem (an interrupted rollover). */
bool store_account_has_next_key(struct store *s, const char *server, const char *id);
/* A deactivated account moves aside to accounts/SERVER/.deactivated-ID
 * (kept, but no longer "the" account), so a new one can be registered. */
int store_account_retire(struct store *s, const char *server, const char *id);

/* Accounts as files, for copying between hosts of a cluster (cluster
 * mode): each account is accounts/SERVERDIR/ID/{key.pem,account.json},
 * SERVERDIR being the directory the store keeps a CA's accounts in
 * ("acme.example:14000/dir").
 * List: every account with a key.pem (retired ones left out), SERVERDIRS
 * and IDS N each (caller frees both with strv_free()).
 * Read: key.pem into *KEY_PEM (a secret: wipe it), account.json into
 * *JSON (NULL if there is none); caller frees.
 * Write: make the account's directories (0700), key.pem exclusively
 * (0600; one there with the same bytes is kept, other bytes are
 * ACMED_EMISMATCH), account.json if not there yet; *ADDED says whether
 * the key was written. -EINVAL for a SERVERDIR or ID that is not a path
 * inside accounts/. 0 or -errno. */
int store_account_list_all(struct store *s, char ***serverdirs, char ***ids, size_t *n);
int store_account_read_files(struct store *s, const char *serverdir, const char *id,
			     char **json, char **key_pem);
int store_account_write_files(struct store *s, const char *serverdir, const char *id,
			      const char *json, const char *key_pem, bool *added);
