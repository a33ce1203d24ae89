/* Text from outside (a CA, a file, a hook) on its way to a terminal or a
 * log line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Replace in S, in place, every byte that could move a terminal's cursor,
 * change its colours or title, or start a new line: C0 controls, DEL, and
 * the C1 controls as UTF-8 (U+0080..U+009F, two bytes each) become ' '. */
void text_clean(char *s);

/* The last TEXT_TAIL_MAX bytes of a stream (a failing hook's error output,
 * for its error message), kept as it is read. */
#define TEXT_TAIL_MAX 4096

struct text_tail {
	char buf[3 + TEXT_TAIL_MAX + 1]; /* room for "..." before the text */
	size_t len;
	bool cut; /* earlier bytes were dropped */
};

/* Append the N bytes at P, dropping the oldest beyond TEXT_TAIL_MAX. */
void text_tail_add(struct text_tail *t, const char *p, size_t n);

/* T's text for a message: control characters (new lines too) become ' ',
 * white space at both ends is dropped, and "..." starts a text whose start
 * was dropped. Points into T (changed in place); "" when there was none. */
const char *text_tail_get(struct text_tail *t);
