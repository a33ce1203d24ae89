/* acmectl --completion bash|zsh (completion.h). */
#include <stdio.h>
#include <string.h>

#include "authn.h"
#include "issue_opts.h"
#include "util.h"
#include "ctl/completion.h"
#include "ctl/verbtab.h"

/* What an option's argument completes to. */
enum value { V_NONE, V_FILE, V_DIR, V_WORDS, V_NAMES, V_COMMAND };

struct copt {
	char spell[3][64];  /* "--flag", "--alias", "-f"; "" for none */
	bool arg;           /* takes an argument */
	enum value value;
	char words[256];    /* V_WORDS: the words, space-separated */
	const char *help;   /* certonly's: its help, or NULL */
	const char *argname; /* certonly's: its argument's name in --help, or NULL */
};

/* Arguments the tables do not spell out, by option name (for every verb). */
static const struct {
	const char *name, *words;
} known_words[] = {
	{ "elliptic-curve", "secp256r1 secp384r1 secp521r1" },
	{ "rsa-key-size", "2048 3072 4096" },
	{ "preferred-challenges", "dns http" },
	{ "reason", "unspecified keycompromise affiliationchanged superseded cessationofoperation" },
};

/* The kind of argument option NAME of a verb other than certonly takes. */
static enum value value_by_name(const char *name, char *words, size_t len)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ELEMENTSOF(known_words); i++)
		if (streq(name, known_words[i].name)) {
			snprintf(words, len, "%s", known_words[i].words);
			return V_WORDS;
		}
	if (streq(name, "cert-name"))
		return V_NAMES;
	if (n > 4 && streq(name + n - 4, "-dir"))
		return V_DIR;
	if (n > 5 && streq(name + n - 5, "-path"))
		return V_FILE;
	if (n > 5 && streq(name + n - 5, "-hook"))
		return V_COMMAND;
	return V_NONE;
}

/* certonly's option O. */
static void from_issue_opt(const struct issue_opt_info *o, struct copt *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->spell[0], sizeof(c->spell[0]), "--%s", o->flag);
	if (o->alias)
		snprintf(c->spell[1], sizeof(c->spell[1]), "--%s", o->alias);
	if (o->short_flag)
		snprintf(c->spell[2], sizeof(c->spell[2]), "-%c", o->short_flag);
	c->arg = issue_opt_has_arg(o);
	c->help = o->help;
	c->argname = o->arg;
	if (!c->arg)
		return;
	if (o->type == IOT_COMMAND) {
		c->value = V_COMMAND;
	} else if (o->type == IOT_PATH || o->type == IOT_FILE || streq(o->arg, "FILE")) {
		c->value = streq(o->arg, "DIR") ? V_DIR : V_FILE;
	} else if (o->type == IOT_AUTHN) {
		c->value = V_WORDS;
		for (int k = 0; k < AUTHN__MAX; k++)
			snprintf(c->words + strlen(c->words), sizeof(c->words) - strlen(c->words),
				 "%s%s", k ? " " : "", authn_infos[k].name);
	} else if (strchr(o->arg, '|')) {
		c->value = V_WORDS;
		snprintf(c->words, sizeof(c->words), "%s", o->arg);
		for (char *p = c->words; (p = strchr(p, '|'));)
			*p = ' ';
	} else {
		c->value = value_by_name(o->flag, c->words, sizeof(c->words));
	}
}

/* Verb VERB's options into V (at most MAX): 0 or their number. */
static size_t verb_opts(const char *verb, struct copt *v, size_t max)
{
	const struct option *t = verb_options(verb);
	size_t n = 0;

	/* reconfigure, run and install take certonly's options (issue_opts[]). */
	if (streq(verb, "certonly") || streq(verb, "reconfigure") || streq(verb, "run") ||
	    streq(verb, "install")) {
		for (int i = 0; i < IO__MAX && n < max; i++)
			if (issue_opts[i].flag)
				from_issue_opt(&issue_opts[i], &v[n++]);
		return n;
	}
	for (; t && t->name && n < max; t++, n++) {
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].spell[0], sizeof(v[n].spell[0]), "--%s", t->name);
		v[n].arg = t->has_arg == required_argument;
		if (v[n].arg)
			v[n].value = value_by_name(t->name, v[n].words, sizeof(v[n].words));
	}
	return n;
}

/* ---- bash ---- */

static const char bash_head[] =
	"# bash completion for acmectl                            -*- shell-script -*-\n"
	"# Made by `acmectl --completion bash` from acmectl's own tables of verbs and\n"
	"# options (the build does it): do not edit.\n"
	"\n"
	"# The lineages' names, from the running acmed (none if it does not answer).\n"
	"_acmectl_names()\n"
	"{\n"
	"\tlocal -a sock=()\n"
	"\t[[ -n ${_acmectl_socket-} ]] && sock=(--socket \"$_acmectl_socket\")\n"
	"\t\"${COMP_WORDS[0]}\" \"${sock[@]}\" --timeout 3 certificates 2>/dev/null |\n"
	"\t\tsed -n 's/^ *Certificate Name: //p'\n"
	"}\n"
	"\n"
	"_acmectl()\n"
	"{\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	"\tlocal i at=0 verb= sub= opts= _acmectl_socket=\n"
	"\tCOMPREPLY=()\n"
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tcase ${COMP_WORDS[i]} in\n"
	"\t\t--socket) [[ -z $verb ]] && _acmectl_socket=${COMP_WORDS[i+1]}; ((i++)) ;;\n"
	"\t\t--timeout) [[ -z $verb ]] && ((i++)) ;;\n"
	"\t\t-*) ;;\n"
	"\t\t*)\n"
	"\t\t\tif [[ -z $verb ]]; then verb=${COMP_WORDS[i]} at=$i\n"
	"\t\t\telif ((i == at + 1)); then sub=${COMP_WORDS[i]}\n"
	"\t\t\tfi ;;\n"
	"\t\tesac\n"
	"\tdone\n";

/* An arm's body: COMPREPLY from compgen WHAT (-f, -d, -c; -W with WORDS). */
static void bash_words(const char *what, const char *words)
{
	printf("\t\t\tCOMPREPLY=($(compgen %s%s%s%s -- \"$cur\")); return ;;\n", what,
	       words ? " \"" : "", words ? words : "", words ? "\"" : "");
}

/* The "case $prev" arms of V's options that take an argument. */
static void bash_args(const struct copt *v, size_t n)
{
	printf("\t\tcase $prev in\n");
	for (size_t i = 0; i < n; i++) {
		const struct copt *c = &v[i];

		if (!c->arg)
			continue;
		printf("\t\t");
		for (int s = 0, first = 1; s < 3; s++)
			if (c->spell[s][0]) {
				printf("%s%s", first ? "" : "|", c->spell[s]);
				first = 0;
			}
		printf(")\n");
		switch (c->value) {
		case V_FILE: printf("\t\t\tcompopt -o filenames 2>/dev/null\n"); bash_words("-f", NULL); break;
		case V_DIR: printf("\t\t\tcompopt -o filenames 2>/dev/null\n"); bash_words("-d", NULL); break;
		case V_WORDS: bash_words("-W", c->words); break;
		case V_NAMES: bash_words("-W", "$(_acmectl_names)"); break;
		case V_COMMAND: bash_words("-c", NULL); break;
		case V_NONE: printf("\t\t\treturn ;;\n"); break;
		}
	}
	printf("\t\tesac\n");
}

static void bash_verb(const char *verb, const char *also)
{
	struct copt v[IO__MAX * 2];
	size_t n = verb_opts(verb, v, ELEMENTSOF(v));

	printf("\t%s%s)\n", verb, also ? also : "");
	if (streq(verb, "account")) {
		printf("\t\tif [[ $verb == account && -z $sub && $cur != -* ]]; then\n"
		       "\t\t\tCOMPREPLY=($(compgen -W \"");
		for (size_t i = 0; account_ops[i]; i++)
			printf("%s%s", i ? " " : "", account_ops[i]);
		printf("\" -- \"$cur\")); return\n\t\tfi\n");
	}
	bash_args(v, n);
	printf("\t\topts=\"");
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < 3; s++)
			if (v[i].spell[s][0])
				printf("%s%s", i || s ? " " : "", v[i].spell[s]);
	printf("\" ;;\n");
}

static void print_bash(void)
{
	const char *name;

	fputs(bash_head, stdout);
	printf("\tcase $verb in\n\t'')\n\t\tcase $prev in\n\t\t--socket)\n");
	printf("\t\t\tcompopt -o filenames 2>/dev/null\n");
	bash_words("-f", NULL);
	printf("\t\t--timeout) return ;;\n\t\tesac\n");
	printf("\t\tif [[ $cur == -* ]]; then\n\t\t\tCOMPREPLY=($(compgen -W \"--socket --timeout "
	       "--json --quiet --verbose --help --version\" -- \"$cur\"))\n\t\telse\n"
	       "\t\t\tCOMPREPLY=($(compgen -W \"");
	for (size_t i = 0; (name = verb_name_at(i)); i++)
		printf("%s ", name);
	printf("help\" -- \"$cur\"))\n\t\tfi\n\t\treturn ;;\n");
	printf("\thelp)\n\t\t[[ -z $sub ]] && COMPREPLY=($(compgen -W \"");
	for (size_t i = 0; (name = verb_name_at(i)); i++)
		printf("%s%s", i ? " " : "", name);
	printf("\" -- \"$cur\"))\n\t\treturn ;;\n");
	for (size_t i = 0; i < CMD__MAX; i++) {
		char also[256] = "";

		/* certbot's verbs that are this one complete as it does. */
		for (size_t k = 0; k < ncertbot_verbs; k++)
			if (streq(certbot_verbs[k].verb, ctl_cmds[i].name))
				snprintf(also + strlen(also), sizeof(also) - strlen(also), "|%s",
					 certbot_verbs[k].name);
		bash_verb(ctl_cmds[i].name, also);
	}
	for (size_t i = 0; i < nlocal_verbs; i++)
		bash_verb(local_verbs[i].name, NULL);
	printf("\t*) opts=\"--help\" ;;\n\tesac\n"
	       "\t[[ -z $cur || $cur == -* ]] && COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	       "\treturn 0\n}\ncomplete -F _acmectl acmectl\n");
}

/* ---- zsh ---- */

/* S for a description inside '...[S]' of _arguments: no quote or bracket
 * left to end it early; its lines joined. */
static void zsh_text(const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\n')
			putchar(' ');
		else if (*s == '\'')
			fputs("'\\''", stdout);
		else if (*s == '[' || *s == ']' || *s == '\\')
			printf("\\%c", *s);
		else
			putchar(*s);
	}
}

static void zsh_action(const struct copt *c)
{
	if (c->argname && c->value != V_NAMES) {
		/* certonly's names it: "--domains D[,D...]". */
		printf(":");
		for (const char *s = c->argname; *s; s++)
			printf(*s == ':' ? "\\:" : *s == '\'' ? "'\\''" : "%c", *s);
		printf(":");
	}
	switch (c->value) {
	case V_FILE: printf("%s_files", c->argname ? "" : ":file:"); break;
	case V_DIR: printf("%s_files -/", c->argname ? "" : ":directory:"); break;
	case V_WORDS: printf("%s(%s)", c->argname ? "" : ":value:", c->words); break;
	case V_NAMES: printf(":certificate name:_acmectl_names"); break;
	case V_COMMAND: printf("%s_command_names -e", c->argname ? "" : ":command:"); break;
	case V_NONE: printf("%s ", c->argname ? "" : ":value:"); break;
	}
}

static void zsh_verb(const char *verb)
{
	struct copt v[IO__MAX * 2];
	size_t n = verb_opts(verb, v, ELEMENTSOF(v));

	printf("\t\t\t_arguments -s -S \\\n");
	if (streq(verb, "account")) {
		printf("\t\t\t\t'1:subcommand:(");
		for (size_t i = 0; account_ops[i]; i++)
			printf("%s%s", i ? " " : "", account_ops[i]);
		printf(")' \\\n");
	}
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < 3; s++) {
			if (!v[i].spell[s][0])
				continue;
			/* Every option may be given again (-d, -w, --cert-name...). */
			printf("\t\t\t\t'*%s[", v[i].spell[s]);
			zsh_text(v[i].help ? v[i].help : v[i].spell[0] + 2);
			printf("]");
			if (v[i].arg)
				zsh_action(&v[i]);
			printf("' \\\n");
		}
	printf("\t\t\t\t&& ret=0\n\t\t\t;;\n");
}

static void print_zsh(void)
{
	const char *name;

	printf("#compdef acmectl\n"
	       "# zsh completion for acmectl. Made by `acmectl --completion zsh` from\n"
	       "# acmectl's own tables of verbs and options (the build does it): do not edit.\n"
	       "\n"
	       "_acmectl_names() {\n"
	       "\tlocal -a names\n"
	       "\tnames=(${(f)\"$(_call_program names ${words[1]} --timeout 3 certificates "
	       "2>/dev/null | sed -n 's/^ *Certificate Name: //p')\"})\n"
	       "\t_describe -t names 'certificate name' names\n"
	       "}\n"
	       "\n"
	       "_acmectl() {\n"
	       "\tlocal curcontext=$curcontext state line ret=1\n"
	       "\tlocal -a verbs\n"
	       "\ttypeset -A opt_args\n"
	       "\t_arguments -C \\\n"
	       "\t\t'--socket[control socket]:socket:_files' \\\n"
	       "\t\t'--timeout[give up when acmed sends nothing for so long]:seconds: ' \\\n"
	       "\t\t'(-q --quiet)'{-q,--quiet}'[nothing but errors]' \\\n"
	       "\t\t'*'{-v,--verbose}'[the jobs'\\'' own log lines too]' \\\n"
	       "\t\t'--json[machine-readable output]' \\\n"
	       "\t\t'(- *)'{-h,--help}'[help]' \\\n"
	       "\t\t'(- *)'{-V,--version}'[the version]' \\\n"
	       "\t\t'1:command:->verb' \\\n"
	       "\t\t'*::argument:->args' && ret=0\n"
	       "\tcase $state in\n"
	       "\tverb)\n"
	       "\t\tverbs=(\n");
	for (size_t i = 0; i < CMD__MAX; i++) {
		printf("\t\t\t'%s:", ctl_cmds[i].name);
		zsh_text(ctl_cmds[i].summary);
		printf("'\n");
	}
	for (size_t i = 0; i < nlocal_verbs; i++) {
		printf("\t\t\t'%s:", local_verbs[i].name);
		zsh_text(local_verbs[i].summary);
		printf("'\n");
	}
	for (size_t i = 0; i < ncertbot_verbs; i++)
		printf("\t\t\t'%s:certbot'\\''s verb (acmectl %s%s%s)'\n", certbot_verbs[i].name,
		       certbot_verbs[i].verb ? certbot_verbs[i].verb : "names the command",
		       certbot_verbs[i].sub ? " " : "",
		       certbot_verbs[i].sub ? certbot_verbs[i].sub : "");
	printf("\t\t\t'help:a command'\\''s help'\n\t\t)\n"
	       "\t\t_describe -t commands 'acmectl command' verbs && ret=0\n\t\t;;\n"
	       "\targs)\n\t\tcurcontext=${curcontext%%:*:*}:acmectl-$words[1]:\n"
	       "\t\tcase $words[1] in\n\t\thelp)\n\t\t\t_arguments '1:command:(");
	for (size_t i = 0; (name = verb_name_at(i)); i++)
		printf("%s%s", i ? " " : "", name);
	printf(")' && ret=0\n\t\t\t;;\n");
	for (size_t i = 0; i < CMD__MAX; i++) {
		printf("\t\t%s", ctl_cmds[i].name);
		for (size_t k = 0; k < ncertbot_verbs; k++)
			if (streq(certbot_verbs[k].verb, ctl_cmds[i].name))
				printf("|%s", certbot_verbs[k].name);
		printf(")\n");
		zsh_verb(ctl_cmds[i].name);
	}
	for (size_t i = 0; i < nlocal_verbs; i++) {
		printf("\t\t%s)\n", local_verbs[i].name);
		zsh_verb(local_verbs[i].name);
	}
	printf("\t\t*)\n\t\t\t_arguments '(- *)--help[help]' && ret=0\n\t\t\t;;\n"
	       "\t\tesac\n\t\t;;\n\tesac\n\treturn ret\n}\n\n_acmectl \"$@\"\n");
}

int completion_print(const char *shell)
{
	if (streq(shell, "bash"))
		print_bash();
	else if (streq(shell, "zsh"))
		print_zsh();
	else {
		fprintf(stderr, "acmectl: --completion bash or --completion zsh\n");
		return EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}
