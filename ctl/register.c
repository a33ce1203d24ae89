/* certbot's questions on a first registration: the e-mail address and the
 * CA's terms of service (certonly, when the daemon answered that the
 * account needs them). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ident.h"
#include "issue_opts.h"
#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static const char unsafe_suggestion[] =
	"\nIf you really want to skip this, you can run the client with\n"
	"--register-unsafely-without-email but you will then be unable to receive notice\n"
	"about impending expiration or revocation of your certificates or problems with\n"
	"your Certbot installation that will lead to failure to renew.\n\n";

/* TEXT into OUT, its lines broken at spaces to at most 80 columns (a word
 * longer than that, a URL, stays whole), as certbot's textwrap does. */
static void wrap(const char *text, char *out, size_t len)
{
	size_t col = 0, o = 0;

	for (const char *p = text; *p && o + 2 < len;) {
		size_t w = strcspn(p, " ");

		if (col > 0 && col + 1 + w > 80) {
			out[o++] = '\n';
			col = 0;
		} else if (col > 0) {
			out[o++] = ' ';
			col++;
		}
		for (size_t i = 0; i < w && o + 2 < len; i++)
			out[o++] = p[i];
		col += w;
		p += w;
		while (*p == ' ')
			p++;
	}
	out[o] = '\0';
}

/* certbot's display_ops.get_email(): an address, or false ('c', end of
 * input). */
static bool ask_email(char *email, size_t len)
{
	for (;;) {
		if (prompt_line("Enter email address (used for urgent renewal and security notices)\n"
				" (Enter 'c' to cancel): ", email, len) < 0 ||
		    streq(email, "c") || streq(email, "C"))
			return false;
		if (email[0] && strchr(email, '@') && !strchr(email, ',') && ident_emails_ok(email))
			return true;
		client_fprintf(stderr, "Invalid email address: %s.\n%s%s", email,
			       email[0] ? "There seem to be problems with that address.\n" : "",
			       unsafe_suggestion);
	}
}

/* certbot's question on the terms of service at URL: true if agreed. */
static bool ask_tos(const char *url)
{
	char question[1024], text[1024];

	snprintf(text, sizeof(text), "Please read the Terms of Service at %s. You must agree in "
				     "order to register with the ACME server. Do you agree?", url);
	wrap(text, question, sizeof(question));
	return prompt_yesno(question, "yes", "no") == 1;
}

int prompt_registration(const struct client *cl, struct json_object *reply,
			struct json_object *args, bool *again)
{
	struct json_object *reg = NULL;
	const char *tos;
	char email[320];

	*again = false;
	if (!json_object_object_get_ex(reply, "register", &reg) || !prompt_can_ask(cl, false))
		return client_report_error(cl, reply);
	if (jobj_bool(reg, "need_email")) {
		if (!ask_email(email, sizeof(email))) {
			client_fprintf(stderr, "acmectl: error: An e-mail address or "
					       "--register-unsafely-without-email must be provided.\n");
			return EXIT_FAILED;
		}
		json_object_object_add(args, issue_opts[IO_EMAIL].key, json_object_new_string(email));
	}
	tos = jobj_str(reg, "terms_of_service");
	if (jobj_bool(reg, "need_tos")) {
		/* A CA without terms has none to agree to: no question then. */
		if (tos && !ask_tos(tos)) {
			client_fprintf(stderr, "acmectl: error: Unable to register an account with "
					       "ACME server. Registration cannot proceed without "
					       "accepting Terms of Service.\n");
			return EXIT_FAILED;
		}
		json_object_object_add(args, issue_opts[IO_AGREE_TOS].key, json_object_new_boolean(1));
	}
	*again = true;
	return EXIT_OK;
}
