#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "hookcheck.h"

#define WORD_MAX 4096

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* certbot's filesystem.is_executable(): a regular file we may execute. */
static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Is WORD (no '/') an executable in one of SEARCH's directories? */
static bool in_path(const char *word, const char *search)
{
	char path[2 * WORD_MAX + 2];

	for (const char *p = search; p && *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		/* An empty entry is the current directory: hooks run in /. */
		if (len < WORD_MAX &&
		    snprintf(path, sizeof(path), "%.*s/%s", (int)len, len ? p : "", word) > 0 &&
		    executable(path))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

int hookcheck_command(const char *kind, const char *command, const char *search, char *err,
		      size_t errlen)
{
	char word[WORD_MAX], path[WORD_MAX + 2];
	size_t len;

	if (!command)
		return 0;
	while (is_space(*command))
		command++;
	for (len = 0; command[len] && !is_space(command[len]); len++)
		;
	if (len == 0)
		return 0;
	if (len >= sizeof(word)) {
		snprintf(err, errlen, "the %s-hook command's first word is too long", kind);
		return ACMED_EHOOK;
	}
	memcpy(word, command, len);
	word[len] = '\0';
	if (!strchr(word, '/')) {
		if (in_path(word, search))
			return 0;
		snprintf(err, errlen,
			 "Unable to find %s-hook command %s in the PATH.\n(PATH is %s)\n"
			 "Correct the command or give its full path; --disable-hook-validation "
			 "skips this check.",
			 kind, word, search);
		return ACMED_EHOOK;
	}
	snprintf(path, sizeof(path), "%s%s", word[0] == '/' ? "" : "/", word);
	if (executable(path))
		return 0;
	if (access(path, F_OK) == 0)
		snprintf(err, errlen,
			 "%s-hook command %s exists, but is not executable.\n"
			 "Make it an executable file (chmod +x %s); --disable-hook-validation "
			 "skips this check.",
			 kind, word, word);
	else
		snprintf(err, errlen,
			 "Unable to find %s-hook command %s.\n"
			 "Correct the path%s; --disable-hook-validation skips this check.",
			 kind, word, word[0] == '/' ? "" : " (hooks run in /, give it in full)");
	return ACMED_EHOOK;
}
