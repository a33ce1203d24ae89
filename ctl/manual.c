/* certonly --manual without hooks: the job shows each response the user
 * puts in place, with certbot's words, and goes on once they press Enter. */
#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"
#include "ctl/verbs.h"

static const char rule[] =
	"- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n";

/* certbot's manual plugin's instructions for the dns-01 challenge I of N. */
static void print_dns(const char *name, const char *value, long i, long n)
{
	client_fprintf(stderr, "Please deploy a DNS TXT record under the name:\n\n"
			       "_acme-challenge.%s.\n\nwith the following value:\n\n%s\n\n",
		       name, value);
	if (i > 0)
		client_fprintf(stderr,
			       "(This must be set up in addition to the previous challenges; do "
			       "not remove,\nreplace, or undo the previous challenge tasks yet. "
			       "Note that you might be\nasked to create multiple distinct TXT "
			       "records with the same name. This is\npermitted by DNS "
			       "standards.)\n\n");
	if (i + 1 == n)
		client_fprintf(stderr,
			       "Before continuing, verify the TXT record has been deployed. "
			       "Depending on the DNS\nprovider, this may take some time, from a "
			       "few seconds to multiple minutes. You can\ncheck if it has finished "
			       "deploying with aid of online tools, such as the Google\nAdmin "
			       "Toolbox: https://toolbox.googleapps.com/apps/dig/#TXT/"
			       "_acme-challenge.%s.\nLook for one or more bolded line(s) below the "
			       "line ';ANSWER'. It should show the\nvalue(s) you've just added.\n\n",
			       name);
}

static void print_http(const char *name, const char *token, const char *value)
{
	client_fprintf(stderr, "Create a file containing just this data:\n\n%s\n\n"
			       "And make it available on your web server at this URL:\n\n"
			       "http://%s/.well-known/acme-challenge/%s\n\n",
		       value, name, token);
}

void client_manual(const struct client *cl, struct json_object *ev)
{
	const char *type = jobj_str(ev, "type"), *name = jobj_str(ev, "identifier");
	const char *value = jobj_str(ev, "validation");
	int job = (int)jobj_int(ev, "job", 0);
	char line[64];

	client_fprintf(stderr, "\n%s", rule);
	if (streq(type, "dns-01"))
		print_dns(str_or_empty(name), str_or_empty(value), jobj_int(ev, "index", 0),
			  jobj_int(ev, "count", 1));
	else
		print_http(str_or_empty(name), str_or_empty(jobj_str(ev, "token")),
			   str_or_empty(value));
	client_fprintf(stderr, "%s", rule);
	for (;;) {
		if (prompt_line("Press Enter to Continue", line, sizeof(line)) == 0)
			break;
		clearerr(stdin);
		/* Ctrl-C: cancelled (the job's reply says so), or asked again. */
		if (!interrupt_pending() || client_interrupted(cl))
			return;
	}
	continue_job(cl, job);
}
