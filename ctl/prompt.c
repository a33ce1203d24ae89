/* Questions on a terminal, as certbot asks them. Every question goes to
 * stderr, so stdout stays what a script reads. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"

static const char rule[] =
	"- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n";

bool prompt_can_ask(const struct client *cl, bool non_interactive)
{
	return !non_interactive && !cl->non_interactive && !cl->json && isatty(STDIN_FILENO) &&
	       isatty(STDERR_FILENO);
}

/* Wait until stdin can be read: 0, or -1 for a Ctrl-C that acmectl
 * catches (interrupt.c). SIGINT stays blocked from the check until ppoll()
 * waits, so one that comes just after the prompt is printed ends the wait
 * too, instead of being noticed only after a line is typed. */
static int wait_stdin(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	sigset_t block, old;
	int r;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	r = interrupt_seen() ? -1 : ppoll(&p, 1, NULL, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r < 0 ? -1 : 0;
}

/* A line read byte by byte with read(2), not stdio: nothing is read ahead
 * into a buffer that ppoll() cannot see. A longer line than LEN is cut. */
int prompt_line(const char *prompt, char *buf, size_t len)
{
	size_t n = 0;
	char c;

	client_fprintf(stderr, "%s", prompt);
	fflush(stderr);
	for (;;) {
		ssize_t k;

		if (wait_stdin() < 0)
			return -1;
		k = read(STDIN_FILENO, &c, 1);
		if (k < 0 && errno == EAGAIN)
			continue;
		if (k < 0 || (k == 0 && n == 0))
			return -1;
		if (k == 0 || c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r")] = '\0';
	return 0;
}

int prompt_yesno(const char *question, const char *yes, const char *no)
{
	char line[256], prompt[128];

	client_fprintf(stderr, "\n%s%s\n%s", rule, question, rule);
	snprintf(prompt, sizeof(prompt), "(%c)%s/(%c)%s: ", toupper((unsigned char)yes[0]),
		 yes + 1, toupper((unsigned char)no[0]), no + 1);
	for (;;) {
		if (prompt_line(prompt, line, sizeof(line)) < 0)
			return 0;
		if (tolower((unsigned char)line[0]) == tolower((unsigned char)yes[0]))
			return 1;
		if (tolower((unsigned char)line[0]) == tolower((unsigned char)no[0]))
			return 0;
	}
}

int prompt_menu(const char *question, const char *const *choices, int n, int def)
{
	char line[64], prompt[160], *end;
	long v;

	client_fprintf(stderr, "\n%s%s\n%s", rule, question, rule);
	for (int i = 0; i < n; i++)
		client_fprintf(stderr, "%d: %s\n", i + 1, choices[i]);
	client_fprintf(stderr, "%s", rule);
	snprintf(prompt, sizeof(prompt),
		 "Select the appropriate number [1-%d] then [enter] (press 'c' to cancel): ", n);
	for (;;) {
		if (prompt_line(prompt, line, sizeof(line)) < 0 || tolower((unsigned char)line[0]) == 'c')
			return -1;
		if (!line[0] && def >= 0)
			return def;
		v = strtol(line, &end, 10);
		if (!*end && v >= 1 && v <= n)
			return (int)v - 1;
		client_fprintf(stderr, "** Invalid input **\n");
	}
}
