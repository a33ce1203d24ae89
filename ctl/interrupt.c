/* Ctrl-C while acmectl waits for a job (client.h): ask, cancel or detach. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/verbs.h"

static volatile sig_atomic_t sigint_seen;
static struct sigaction old_action;
static unsigned armed;  /* nested calls arm once */
static bool asking;     /* client_interrupted() runs: a Ctrl-C there is its own */
static int jobs[64];    /* the jobs the answer named, in order */
static size_t njobs;

static void on_sigint(int sig)
{
	(void)sig;
	sigint_seen = 1;
}

void interrupt_arm(void)
{
	/* Without SA_RESTART: poll() and a prompt's read end with EINTR. */
	struct sigaction sa = { .sa_handler = on_sigint };

	if (armed++)
		return;
	sigint_seen = 0;
	njobs = 0;
	/* Started with SIGINT ignored (nohup, a shell's background job):
	 * it stays so. */
	if (sigaction(SIGINT, NULL, &old_action) < 0 || old_action.sa_handler == SIG_IGN)
		return;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

void interrupt_disarm(void)
{
	if (armed && --armed == 0)
		sigaction(SIGINT, &old_action, NULL);
}

bool interrupt_pending(void)
{
	return sigint_seen && !asking;
}

bool interrupt_seen(void)
{
	return sigint_seen;
}

void interrupt_job_seen(int id)
{
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i] == id)
			return;
	if (njobs < sizeof(jobs) / sizeof(jobs[0]))
		jobs[njobs++] = id;
}

/* No one to ask: say what goes on, then die of the SIGINT, as before. */
static void detach(void)
{
	if (njobs == 1)
		client_fprintf(stderr, "\nacmectl: detached: job %d goes on in acmed; "
				       "'acmectl cancel %d' cancels it\n", jobs[0], jobs[0]);
	else if (njobs > 1)
		client_fprintf(stderr, "\nacmectl: detached: jobs %d to %d go on in acmed; "
				       "'acmectl cancel JOB' cancels one ('acmectl status' lists "
				       "them)\n", jobs[0], jobs[njobs - 1]);
	else
		client_fprintf(stderr, "\nacmectl: detached: the request goes on in acmed; "
				       "'acmectl status' lists its jobs, 'acmectl cancel JOB' "
				       "cancels one\n");
	fflush(stderr);
	signal(SIGINT, SIG_DFL);
	raise(SIGINT);
	_exit(130);
}

bool client_interrupted(const struct client *cl)
{
	bool cancelled = false;
	char line[64];

	sigint_seen = 0;
	if (!prompt_can_ask(cl, false))
		detach();
	asking = true;
	client_fprintf(stderr, "\n");
	if (prompt_line(njobs > 1 ? "Cancel the jobs? (y/N) " : "Cancel the job? (y/N) ", line,
			sizeof(line)) < 0) {
		clearerr(stdin);
		client_fprintf(stderr, "\nWaiting for acmed...\n");
	} else if (tolower((unsigned char)line[0]) == 'y') {
		if (njobs == 0)
			client_fprintf(stderr, "acmectl: no job has started yet; 'acmectl status' "
					       "lists them, 'acmectl cancel JOB' cancels one\n");
		for (size_t i = 0; i < njobs; i++) {
			client_fprintf(stderr, "Cancelling job %d...\n", jobs[i]);
			cancelled |= cancel_job(cl, jobs[i], true) == EXIT_OK;
		}
	} else {
		client_fprintf(stderr, "Waiting for acmed...\n");
	}
	asking = false;
	sigint_seen = 0;
	return cancelled;
}
