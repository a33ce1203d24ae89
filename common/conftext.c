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

/* Move N characters on (never past the text's end), counting lines. */
static void advance(struct scan *s, size_t n)
{
	const char *end = s->p + strnlen(s->p, n), *nl;

	while ((nl = memchr(s->p, '\n', (size_t)(end - s->p)))) {
		s->line++;
		s->p = nl + 1;
	}
	s->p = end;
}

/* The ASCII classes of the scan, by hand (acmed keeps the C locale):
 * strspn() with a long set rebuilds its table on every call, and this runs
 * over every renewal file at start-up. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_name_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*';
}

static size_t span(const char *p, bool (*in)(char))
{
	size_t n = 0;

	while (in(p[n]))
		n++;
	return n;
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
	/* The last name seen, for the message: kept as a span of TEXT and
	 * formatted only if a number is out of range. */
	static const char unnamed[] = "a setting";
	const char *name = unnamed;
	size_t namelen = sizeof(unnamed) - 1;

	while (*s.p) {
		const char *p = s.p;
		size_t n;

		if (skip_comment_or_string(&s))
			continue;
		if (is_alpha(*p)) {
			/* A name (or true/false). */
			n = span(p, is_name_char);
			name = p;
			namelen = n;
			s.p += n;
			continue;
		}
		if (is_digit(*p) || ((*p == '-' || *p == '+') && is_digit(p[1]))) {
			size_t sign = *p == '-' || *p == '+';
			bool hex = p[sign] == '0' && (p[sign + 1] == 'x' || p[sign + 1] == 'X');
			size_t len = sign + (hex ? 2 + span(p + sign + 2, is_hex)
						 : span(p + sign, is_digit));
			long long v;

			/* Floats ("1.5", "1e3") and int64 ("5L") are libconfig's to read. */
			if (!hex && (p[len] == '.' || p[len] == 'e' || p[len] == 'E')) {
				s.p += len + 1 + strspn(p + len + 1, "0123456789eE+-");
				continue;
			}
			if (p[len] == 'L') {
				s.p += len + 1;
				continue;
			}
			errno = 0;
			v = strtoll(p, NULL, 0);
			if (errno == ERANGE || v > INT_MAX || v < INT_MIN) {
				snprintf(err, errlen, "%s:%d: %.*s: %.*s is out of range", fname, s.line,
					 (int)(namelen > 63 ? 63 : namelen), name,
					 (int)(len > 40 ? 40 : len), p);
				return -ERANGE;
			}
			s.p += len;
			continue;
		}
		s.line += *p == '\n';
		s.p++;
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
