#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "daemon/worker/cancel.h"

/* Set by the main thread before the first write it must not be cut off
 * in; the handler reads it. At that point no other thread runs (a
 * transfer's resolver thread is done when the transfer is). */
static volatile sig_atomic_t committed;

static void on_term(int sig)
{
	(void)sig;
	if (!committed)
		_exit(CANCEL_EXIT_STATUS);
}

void cancel_init(void)
{
	struct sigaction sa = { .sa_handler = on_term };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
}

void cancel_commit(int fd)
{
	if (committed)
		return;
	committed = 1;
	if (fd >= 0)
		dprintf(fd, "{\"event\":\"commit\"}\n");
}
