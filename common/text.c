#include <string.h>

#include "text.h"

void text_clean(char *s)
{
	for (unsigned char *p = (unsigned char *)s; p && *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*p = ' ';
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = ' ';
			p[1] = ' ';
			p++;
		}
	}
}

void text_tail_add(struct text_tail *t, const char *p, size_t n)
{
	char *d = t->buf + 3;

	if (n >= TEXT_TAIL_MAX) {
		t->cut |= t->len > 0 || n > TEXT_TAIL_MAX;
		memcpy(d, p + n - TEXT_TAIL_MAX, TEXT_TAIL_MAX);
		t->len = TEXT_TAIL_MAX;
		return;
	}
	if (t->len + n > TEXT_TAIL_MAX) {
		size_t drop = t->len + n - TEXT_TAIL_MAX;

		memmove(d, d + drop, t->len - drop);
		t->len -= drop;
		t->cut = true;
	}
	memcpy(d + t->len, p, n);
	t->len += n;
}

const char *text_tail_get(struct text_tail *t)
{
	char *s = t->buf + 3;
	size_t len = t->len;

	/* A NUL in the output would end the text early: it is a control too. */
	for (size_t i = 0; i < len; i++)
		if (!s[i])
			s[i] = ' ';
	s[len] = '\0';
	text_clean(s);
	/* A cut may have split a UTF-8 sequence: drop its continuation bytes. */
	while (t->cut && len > 0 && ((unsigned char)*s & 0xc0) == 0x80)
		s++, len--;
	while (len > 0 && *s == ' ')
		s++, len--;
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
	if (t->cut && len > 0) {
		s -= 3;
		memcpy(s, "...", 3);
	}
	return s;
}
