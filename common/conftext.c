#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conftext.h"

/* A scan position: the text and the line it is on. */
struct scan {
	const char *p;
	int line;
};

static void advance(struct scan *s, size_t n)
{
	for (size_t i = 0; i < n && *s->p; i++, s->p++)
		if (*s->p == '\n')
			s->line++;
}

/* Skip a comment or a string at S->p; true if there was one. */
static bool skip_comment_or_string(struct scan *s)
{
	const char *p = s->p;

	if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
		advance(s, strcspn(p, "\n"));
		return true;
	}
	if (p[0] == '/' && p[1] == '*') {
		const char *end = strstr(p + 2, "*/");

		advance(s, end ? (size_t)(end + 2 - p) : strlen(p));
		return true;
	}
	if (*p == '"') {
		size_t i = 1;

		while (p[i] && p[i] != '"')
			i += p[i] == '\\' && p[i + 1] ? 2 : 1;
		advance(s, p[i] ? i + 1 : i);
		return true;
	}
	return false;
}

int conftext_check_numbers(const char *text, const char *fname, char *err, size_t errlen)
{
	struct scan s = { text, 1 };
	char name[64] = "";

	while (*s.p) {
		const char *p = s.p;
		size_t n;

		if (skip_comment_or_string(&s))
			continue;
		if (isalpha((unsigned char)*p)) {
			/* A name (or true/false): remembered for the message. */
			n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_-*");
			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			advance(&s, n);
			continue;
		}
		if (isdigit((unsigned char)*p) ||
		    ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
			size_t sign = *p == '-' || *p == '+';
			bool hex = p[sign] == '0' && (p[sign + 1] == 'x' || p[sign + 1] == 'X');
			size_t len = sign + (hex ? 2 + strspn(p + sign + 2, "0123456789abcdefABCDEF")
						 : strspn(p + sign, "0123456789"));
			long long v;

			/* Floats ("1.5", "1e3") and int64 ("5L") are libconfig's to read. */
			if (!hex && (p[len] == '.' || p[len] == 'e' || p[len] == 'E')) {
				advance(&s, len + 1 + strspn(p + len + 1, "0123456789eE+-"));
				continue;
			}
			if (p[len] == 'L') {
				advance(&s, len + 1);
				continue;
			}
			errno = 0;
			v = strtoll(p, NULL, 0);
			if (errno == ERANGE || v > INT_MAX || v < INT_MIN) {
				snprintf(err, errlen, "%s:%d: %s: %.*s is out of range", fname, s.line,
					 *name ? name : "a setting", (int)(len > 40 ? 40 : len), p);
				return -ERANGE;
			}
			advance(&s, len);
			continue;
		}
		advance(&s, 1);
	}
	return 0;
}

int conftext_includes(const char *text, const char *fname,
		      int (*fn)(const char *path, int line, void *ctx), void *ctx, char *err,
		      size_t errlen)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		const char *eol = p + strcspn(p, "\n"), *q = p + strspn(p, " \t");

		if (strncmp(q, "@include", 8) == 0) {
			const char *open = q + 8 + strspn(q + 8, " \t"), *close;
			char *path;
			int r;

			close = *open == '"' ? memchr(open + 1, '"', (size_t)(eol - open - 1)) : NULL;
			if (!close || close == open + 1) {
				snprintf(err, errlen, "%s:%d: @include: give a file name in double quotes",
					 fname, line);
				return -EINVAL;
			}
			path = strndup(open + 1, (size_t)(close - open - 1));
			if (!path)
				return -ENOMEM;
			r = fn(path, line, ctx);
			free(path);
			if (r)
				return r;
		}
		p = *eol ? eol + 1 : eol;
	}
	return 0;
}
