/* The control socket's listening end: the one systemd passes (socket
 * activation), or one acmed claims itself, safely: a lock file taken first,
 * no symlink or other file at the path replaced, a live daemon's socket
 * never taken over, the mode right from bind(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct listener {
	int fd;          /* listening, non-blocking; -1 if none */
	int lock_fd;     /* PATH.lock, held while acmed runs; -1 if activated */
	bool activated;  /* passed by systemd: not ours to remove */
};

/* Listen on PATH (or take the socket systemd passed), the socket mode 0660
 * and its group GID unless that is -1. ERR says why not. 0 or -errno. */
int listen_open(const char *path, gid_t gid, struct listener *l, char *err, size_t errlen);
/* Stop listening; remove PATH if acmed made it. */
void listen_close(struct listener *l, const char *path);
