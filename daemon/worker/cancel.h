/* Cancelling a job (acmectl cancel): the daemon sends the job's process
 * SIGTERM. Until the job commits, that ends it at once: nothing of the
 * lineage has been written yet, and its helpers (signer, responder, hook
 * runner) die with it (PR_SET_PDEATHSIG), which frees every lock they
 * hold. Once it commits (it is about to record an order it will finalize,
 * to publish, or to record a failure) it runs to its end and the daemon
 * says it was too late. */
#pragma once

/* The exit status of a job ended by cancellation (the daemon does not rely
 * on it: it knows which job it asked to stop). */
#define CANCEL_EXIT_STATUS 75

/* Make SIGTERM cancel this process until cancel_commit(). Call it first. */
void cancel_init(void);
/* From here on SIGTERM is ignored; with FD >= 0 the daemon is told
 * ({"event":"commit"} on FD), so it refuses a cancel from then on. A
 * second call does nothing. */
void cancel_commit(int fd);
