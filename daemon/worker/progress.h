/* A job's progress, for its client: one JSON line
 * {"event":"progress","message":...} on the job's event pipe, which the
 * daemon relays (job.h), and the same message in the log. */
#pragma once

/* Say FMT on FD (the job's fd 3). The message is cleaned of terminal
 * controls: it may quote the CA. */
void progress(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `acmectl -v` (VERBOSITY > 0): from now on every line this process logs,
 * debug ones too and whatever acmed's log level, but for the progress
 * messages (sent already), goes to FD as well, as
 * {"event":"log","level":...,"message":...}. Lines of the job's helpers
 * (its signer, the standalone responder) are in acmed's log only. */
void progress_forward_logs(int fd, int verbosity);
