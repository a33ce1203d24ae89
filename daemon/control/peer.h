/* Who is on the other end of a control connection (SO_PEERCRED), and what
 * that allows: changing state (root, the daemon's own user, or a member of
 * admin_group), reading it (a member of read_group), or nothing. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

enum peer_role { PEER_NONE, PEER_READER, PEER_ADMIN };

struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	enum peer_role role;
};

/* The peer of connected socket FD, with its role given the groups
 * (gid_t -1: none). 0 or -errno. */
int peer_get(int fd, gid_t read_gid, gid_t admin_gid, struct peer *p);

/* The gid of group NAME in *GID; NULL or "" is no group ((gid_t)-1).
 * -ENOENT if there is no such group. */
int peer_group(const char *name, gid_t *gid);
