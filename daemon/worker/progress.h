/* A job's progress, for its client: one JSON line
 * {"event":"progress","message":...} on the job's event pipe, which the
 * daemon relays (job.h), and the same message in the log. */
#pragma once

/* Say FMT on FD (the job's fd 3). The message is cleaned of terminal
 * controls: it may quote the CA. */
void progress(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
