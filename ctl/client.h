/* acmectl's side of the control socket. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Exit codes, as documented in acmectl(8). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

/* The version of acmectl's JSON output (docs/json.md), in every object it
 * prints as "schema". */
#define CTL_JSON_SCHEMA 1

struct client {
	const char *socket; /* --socket, $ACMED_SOCKET or the default */
	bool json;          /* --json */
	bool quiet;         /* -q */
	bool show_names;    /* prefix progress lines with their lineage */
};

/* Send CMD with ARGS (borrowed), print progress events as they arrive (to
 * stderr, unless quiet), and return the final reply in *REPLY (caller puts).
 * When the daemon cannot be reached or the connection is lost, print one
 * line naming the socket (with --json also an error object on stdout) and
 * return EXIT_UNREACHABLE; otherwise EXIT_OK. */
int client_call(const struct client *cl, const char *cmd, struct json_object *args,
		struct json_object **reply);

/* client_call(), then: on a failed reply print its error and return the
 * exit code for it; on success *DATA borrows the reply's "data" (valid until
 * *REPLY is put). *REPLY is NULL unless the call reached the daemon. */
int client_request(const struct client *cl, const char *cmd, struct json_object *args,
		   struct json_object **reply, struct json_object **data);

/* Print the reply's error ("acmectl: error: ...") or, with --json, the reply.
 * Returns the exit code for a failed reply. */
int client_report_error(const struct client *cl, struct json_object *reply);

/* Print a JSON object on stdout, pretty, with "schema" added. */
void client_print_json(struct json_object *o);

/* reply.status == 0? */
bool client_reply_ok(struct json_object *reply);
