/* acmectl's side of the control socket, and what every verb prints with. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <getopt.h>

#include <json-c/json.h>

/* Exit codes, as documented in acmectl(8). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_CANCELLED = 4 };

/* The version of acmectl's JSON output (docs/json.md), in every object it
 * prints as "schema". */
#define CTL_JSON_SCHEMA 1

struct client {
	const char *socket; /* --socket, $ACMED_SOCKET or the default */
	bool json;          /* --json */
	bool quiet;         /* -q: errors only */
	unsigned verbosity; /* -v, -vv: the job's own log lines too */
	bool show_names;    /* prefix progress lines with their lineage */
	unsigned timeout;   /* --timeout: seconds to wait for a connection or for
			     * each frame of the answer; 0: no limit */
	bool non_interactive; /* -n: never ask (the verbs that take it set it) */
};

/* --timeout's default: the daemon sends a keepalive frame every 20 s or so
 * while a job runs without progress. */
#define CLIENT_TIMEOUT_DEFAULT 120
#define CLIENT_TIMEOUT_MAX 86400

/* ---- the options every verb takes, before or after it (certbot's) ----
 *
 * -q/--quiet, -v/--verbose (again for more) and --json. A verb's getopt
 * table ends with CLIENT_COMMON_OPTIONS, its short options start with
 * CLIENT_COMMON_SHORT, and client_common_opt() takes the option
 * getopt_long() returned: true if C was one of them. */
#define CLIENT_OPT_JSON 0x4000
#define CLIENT_COMMON_SHORT "qv"
#define CLIENT_COMMON_OPTIONS                                                             \
	{ "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },       \
		{ "json", no_argument, NULL, CLIENT_OPT_JSON }
bool client_common_opt(struct client *cl, int c);
/* The same for an argument ARG of a verb that reads its arguments itself. */
bool client_common_arg(struct client *cl, const char *arg);
/* With -v, "acmectl: note: ..." on stderr: what a certbot option that
 * does nothing here would have done. Nothing otherwise. */
void client_note(const struct client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Send CMD with ARGS (borrowed; with -v, a streaming command's request
 * gets "verbosity" too), print progress events as they arrive (to stderr,
 * unless quiet; events without a message, such as keepalives, print
 * nothing; the job's log lines, "log" events, with -v only), and return the final reply in *REPLY (caller puts). When the
 * daemon cannot be reached, the connection is lost, or connecting or any one
 * frame of the answer takes longer than cl->timeout, print one line naming
 * the socket (with --json also an error object on stdout, code "unreachable"
 * or "timeout") and return EXIT_UNREACHABLE; otherwise EXIT_OK. */
int client_call(const struct client *cl, const char *cmd, struct json_object *args,
		struct json_object **reply);

/* client_call(), then: on a failed reply print its error and return the
 * exit code for it; on success *DATA borrows the reply's "data" (valid until
 * *REPLY is put). *REPLY is NULL unless the call reached the daemon. */
int client_request(const struct client *cl, const char *cmd, struct json_object *args,
		   struct json_object **reply, struct json_object **data);
/* client_request() for a listing: the items of the reply's data member KEY
 * go to FN(ITEM, CTX) one at a time as they are parsed (ITEM borrowed for
 * the call), and *DATA then lacks KEY. A listing of thousands is never held
 * as one tree. FN returns 0 (a negative return is taken for a broken
 * reply). */
int client_request_list(const struct client *cl, const char *cmd, struct json_object *args,
			const char *key, int (*fn)(struct json_object *item, void *ctx),
			void *ctx, struct json_object **reply, struct json_object **data);

/* Print a failed reply's error ("acmectl: error: ...") or, with --json, the
 * reply. Returns the exit code for it: EXIT_USAGE, EXIT_CANCELLED for a
 * cancelled job, else EXIT_FAILED. */
int client_report_error(const struct client *cl, struct json_object *reply);

/* reply.status == 0? */
bool client_reply_ok(struct json_object *reply);

/* Why a connection to the socket at PATH was refused with EACCES, and what
 * to do: the group that may use it (the socket's, or its directory's), in
 * BUF, which it returns. */
const char *client_access_hint(const char *path, char *buf, size_t len);

/* ---- output (output.c): nothing acmectl prints can drive the terminal ----
 *
 * Strings come from the daemon, the CA (through it), certbot's files and
 * the command line. What client_printf() and client_fprintf() print is
 * escaped as client_escape() does, but for its newlines: those lay the
 * output out (the daemon has already turned any newline in text from a CA
 * into a space). Every print under ctl/ goes through them. */

/* printf(3) and fprintf(3), the result escaped. client_printf() prints a
 * command's report: nothing once client_quiet() was called (-q). Help is
 * printed with client_fprintf(stdout, ...), which -q leaves alone, and
 * JSON with client_print_json(), which it leaves alone too: a script that
 * asks for --json gets it. */
void client_vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void client_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void client_quiet(void);

/* S for a terminal: tab, printable ASCII and valid UTF-8 stay; every byte
 * of a C0 control (newline included), DEL, a C1 control (U+0080..U+009F)
 * or of invalid UTF-8 becomes "\xHH" (ESC is "\x1b", U+009B "\xc2\x9b").
 * Caller frees; NULL if out of memory. */
char *client_escape(const char *s);

/* O as acmectl prints JSON: pretty, and with DEL, the C1 controls and the
 * bytes of invalid UTF-8 escaped as well (\u007f, \u0080..\u009f, \ufffd),
 * which json-c leaves raw; the meaning of valid JSON is unchanged. Caller
 * frees; NULL if out of memory. */
char *client_json_text(struct json_object *o);

/* Print a JSON object on stdout as client_json_text() does, with "schema"
 * added. */
void client_print_json(struct json_object *o);

/* ---- Ctrl-C while acmectl waits for a job (interrupt.c) ----
 *
 * client_call() arms it for a command that runs jobs: a Ctrl-C then
 * interrupts the wait, and client_interrupted() asks on a terminal
 * "Cancel the job? (y/N)" (y: `acmectl cancel` for each job the answer
 * named, then the wait goes on for the job's own reply, which says it
 * was cancelled); without a terminal (or with -n, --json) acmectl says
 * the job goes on and how to cancel it, and dies of the SIGINT as it
 * would have. */
void interrupt_arm(void);
void interrupt_disarm(void);
/* A Ctrl-C came that client_interrupted() has not answered yet. */
bool interrupt_pending(void);
/* Whether a Ctrl-C came that acmectl caught and has not answered yet,
 * also while it asks what to do about one. */
bool interrupt_seen(void);
/* The answer being read names job ID (a "job" member of an event). */
void interrupt_job_seen(int id);
/* True if the user had the jobs cancelled. */
bool client_interrupted(const struct client *cl);

/* A {"event":"manual"} frame EV (certonly --manual without hooks): show
 * certbot's instructions for the response to put in place, wait for
 * Enter, and tell the daemon the job may go on (manual.c). */
void client_manual(const struct client *cl, struct json_object *ev);

/* The hooks of the answer DATA ("hooks") that failed, one line each to F
 * after INDENT: its kind, lineage and command, then the end of its output
 * when the daemon sent it. How many there were. */
size_t client_print_hook_failures(FILE *f, struct json_object *data, const char *indent);

/* ---- questions on a terminal (prompt.c), certbot's ---- */

/* Whether acmectl may ask: stdin and stderr are terminals, and neither
 * --json nor -n/--non-interactive (NON_INTERACTIVE, or cl->non_interactive)
 * was given. */
bool prompt_can_ask(const struct client *cl, bool non_interactive);
/* Ask QUESTION with answers YES and NO ("(E)xpand/(C)ancel: "): 1 yes,
 * 0 no (end of input too). */
int prompt_yesno(const char *question, const char *yes, const char *no);
/* A numbered menu of N CHOICES after QUESTION: the index chosen (Enter:
 * DEF; with DEF -1 Enter is no answer), or -1 cancelled ('c' or end of
 * input). */
int prompt_menu(const char *question, const char *const *choices, int n, int def);
/* A line of text after PROMPT, without its newline, in BUF; -1 at end of
 * input. */
int prompt_line(const char *prompt, char *buf, size_t len);

/* ---- input the verbs check before asking the daemon ---- */

/* The largest file acmectl reads for an option (a CSR, a certificate, a
 * key): far more than any of them needs. */
#define CLIENT_FILE_MAX (1024 * 1024)

/* Read PATH, named by option OPT ("--csr"), into *DATA, NUL-terminated
 * (caller frees), and its length into *LEN (LEN may be NULL). Only a regular
 * file of at most CLIENT_FILE_MAX bytes is read: a FIFO, device or directory
 * is refused before any read, so nothing blocks. On failure prints
 * "acmectl: OPT PATH: why" and returns -EINVAL (not a regular file), -EFBIG
 * (too large) or the -errno of open or read. */
int client_read_file(const char *opt, const char *path, char **data, size_t *len);

/* acmed.conf as acmectl reads it (--config PATH; NULL: the default file,
 * which may be missing): CFG is the built-in defaults with the file over
 * them. 0, or an error in ERR with CFG cleared. */
struct acmed_config;
int client_load_config(const char *path, struct acmed_config *cfg, char *err, size_t errlen);

/* 0 if VALUE, an e-mail address given with option OPT, has no space, no
 * control character and is valid UTF-8; else prints why and returns
 * -EINVAL. */
int client_check_email(const char *opt, const char *value);
