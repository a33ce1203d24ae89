/* Inside the lineage store: what store.c, store_account.c, store_recover.c and
 * store_check.c share. Not for other modules: they use store.h. */
#pragma once

#include <dirent.h>
#include <stdbool.h>

#include "store/store.h"

#define PEM_MAX (256 * 1024)

struct store {
	char *dir;
	int dfd, archive_fd, live_fd, renewal_fd, accounts_fd;
	int live_wait; /* seconds a switch waits for live/'s lock (store_live.c) */
};

/* The four files of a version, in the order live/ links are switched:
 * the key first, so no reader ever pairs a new certificate with an old key
 * for longer than the window between two renames. */
#define STORE_NKINDS 4
extern const char *const store_kinds[STORE_NKINDS];

/* Read the directory DIRFD refers to from its start, without giving up
 * DIRFD. NULL with errno set on failure. */
DIR *store_dir_stream(int dirfd);
/* "renewal/NAME.conf"'s file name: "NAME.conf". Caller frees. */
char *store_conf_name(const char *name);
/* Slot KIND ("privkey", "cert", "chain", "fullchain" in that order) of V. */
char **store_pem_slot(struct version_pems *v, size_t kind);
/* "certN.pem" and the like. 0 or -ENAMETOOLONG. */
int store_file_name(char *buf, size_t len, size_t kind, int version);
/* Highest N of any archive file; 0 if none, or -errno. */
int store_highest_version(int archfd);
int store_read_version_at(int archfd, int version, struct version_pems *v);
/* True if version N exists and passes store_check_pems(). */
bool store_version_good(int archfd, int n);
/* The mode and group of a new privkeyN.pem: 0600, with the group (and its
 * read bit) of the newest earlier key. */
void store_key_access(int archfd, int version, mode_t *mode, gid_t *gid);
/* Write version N's four files, never replacing. */
int store_write_version(int archfd, int version, const struct version_pems *v);
/* Point the four live links of NAME at VERSION, then fsync the directory.
 * The caller holds live/'s lock (store_live_lock()) from before it writes
 * the intent until it has removed it. */
int store_switch_links(int livefd, const char *name, int version);
/* Record in archive/NAME/.intent that live/NAME is about to be switched to
 * VERSION. Every writer of live/NAME does this first: recovery looks into
 * live/ only where it finds an intent. */
int store_write_intent(int archfd, int version);
int store_clear_intent(int archfd);
/* Make checked version N of NAME the live one: record the intent, switch
 * the links, add live/NAME/README if missing, clear the intent. 0, or an
 * error with ERR naming what failed. */
int store_go_live(struct store *s, const char *name, int archfd, int livefd, int n, char *err,
		  size_t errlen);
int store_open_lineage_dirs(struct store *s, const char *name, bool create, int *archfd,
			    int *livefd);
/* Open (making them) NAME's archive and live directories and take the
 * publishers' lock (flock on the archive directory, without waiting:
 * -EBUSY while another process holds it). 0, or an error in ERR with both
 * fds -1. The lock goes with the archive fd. */
int store_lock_lineage(struct store *s, const char *name, int *archfd, int *livefd, char *err,
		       size_t errlen);

/* Write FNAME (PEM) in the archive directory ARCHFD exclusively, with MODE
 * and group GID ((gid_t)-1: as made); one already there must hold the same
 * bytes (written before, or by a run a crash interrupted): DIFFERS if not.
 * For the versions imported and those installed from a cluster. */
int store_put_file_once(int archfd, const char *fname, const char *pem, mode_t mode, gid_t gid,
			int differs);
