#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/control/peer.h"

#define MAX_GROUPS 256

/* Is the peer in group GID: its primary group, or one of its others (the
 * kernel's SO_PEERGROUPS, as of connect()). */
static bool in_group(int fd, gid_t primary, gid_t gid)
{
	gid_t some[MAX_GROUPS], *groups = some;
	socklen_t len = sizeof(some);
	bool found = false;

	if (gid == (gid_t)-1)
		return false;
	if (primary == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		/* More groups than fit: LEN says how many bytes they take. */
		if (errno != ERANGE || !(groups = malloc(len)))
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
			len = 0;
	}
	for (size_t i = 0; !found && i < len / sizeof(gid_t); i++)
		found = groups[i] == gid;
	if (groups != some)
		free(groups);
	return found;
}

int peer_get(int fd, gid_t read_gid, gid_t admin_gid, struct peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->pid = cred.pid;
	if (cred.uid == 0 || cred.uid == geteuid() || in_group(fd, cred.gid, admin_gid))
		p->role = PEER_ADMIN;
	else if (in_group(fd, cred.gid, read_gid))
		p->role = PEER_READER;
	else
		p->role = PEER_NONE;
	return 0;
}

int peer_group(const char *name, gid_t *gid)
{
	struct group *g;

	*gid = (gid_t)-1;
	if (!name || !*name)
		return 0;
	errno = 0;
	g = getgrnam(name);
	if (!g)
		return errno ? -errno : -ENOENT;
	*gid = g->gr_gid;
	return 0;
}
