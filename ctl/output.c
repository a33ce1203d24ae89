/* acmectl's output: nothing it prints can drive the terminal (client.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "ctlproto.h"
#include "jsonutil.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at S (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF), or 0 if S starts with a byte that
 * cannot begin one. A NUL ends every sequence: it is no continuation byte. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Is the character of N bytes at S a control character (C0 but tab, DEL,
 * C1)? */
static bool is_control(const unsigned char *s, size_t n)
{
	if (n == 1)
		return (s[0] < 0x20 && s[0] != '\t') || s[0] == 0x7f;
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/* Escape S into OUT (NULL: only count); returns the length. With
 * KEEP_NEWLINES a newline stays a newline. */
static size_t escape(const char *str, char *out, bool keep_newlines)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t len = 0;

	while (*s) {
		size_t n = utf8_len(s);
		bool bad = n == 0 || (is_control(s, n) && !(keep_newlines && *s == '\n'));

		if (n == 0)
			n = 1; /* an invalid byte is escaped alone */
		for (size_t i = 0; i < n; i++, s++) {
			if (!bad) {
				if (out)
					out[len] = (char)*s;
				len++;
				continue;
			}
			if (out) {
				out[len] = '\\';
				out[len + 1] = 'x';
				out[len + 2] = hex[*s >> 4];
				out[len + 3] = hex[*s & 0xf];
			}
			len += 4;
		}
	}
	if (out)
		out[len] = '\0';
	return len;
}

char *client_escape(const char *s)
{
	char *out = malloc(escape(s, NULL, false) + 1);

	if (out)
		escape(s, out, false);
	return out;
}

/* Does escape() with KEEP_NEWLINES pass the byte C through alone? */
static bool plain_byte(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n';
}

void client_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	char line[512], *text = line, *out = NULL;
	size_t len = 0;
	va_list aq;
	int n;

	/* A listing prints thousands of lines, nearly all short and plain
	 * ASCII: those are formatted on the stack and written as they are,
	 * without an allocation and two passes for the escaping. */
	va_copy(aq, ap);
	n = vsnprintf(line, sizeof(line), fmt, aq);
	va_end(aq);
	if (n < 0 || ((size_t)n >= sizeof(line) && vasprintf(&text, fmt, ap) < 0))
		return;
	while (plain_byte((unsigned char)text[len]))
		len++;
	if (text[len] == '\0') {
		fwrite(text, 1, len, f);
	} else if ((out = malloc(escape(text, NULL, true) + 1))) {
		escape(text, out, true);
		fputs(out, f);
	}
	free(out);
	if (text != line)
		free(text);
}

void client_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	client_vfprintf(f, fmt, ap);
	va_end(ap);
}

/* -q: the commands' reports are not printed. */
static bool quiet;

void client_quiet(void)
{
	quiet = true;
}

void client_printf(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	client_vfprintf(stdout, fmt, ap);
	va_end(ap);
}


/* Escape TEXT, JSON that json-c wrote, into OUT (NULL: only count): DEL and
 * the C1 controls as \u00XX, each byte of invalid UTF-8 as \ufffd. Outside
 * strings json-c writes ASCII only, so every such byte is in a string. */
static size_t json_escape_more(const char *text, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)text;
	size_t len = 0;

	while (*s) {
		size_t n = utf8_len(s);
		char esc[7] = "\\ufffd";

		/* C0 controls are escaped in strings already; outside them
		 * json-c's newlines lay the text out. */
		if (n != 0 && (!is_control(s, n) || s[0] < 0x20)) {
			if (out)
				memcpy(out + len, s, n);
			len += n;
			s += n;
			continue;
		}
		if (n != 0) {
			unsigned cp = n == 1 ? s[0] : s[1];

			memcpy(esc, "\\u00", 4);
			esc[4] = hex[cp >> 4];
			esc[5] = hex[cp & 0xf];
		}
		if (out)
			memcpy(out + len, esc, 6);
		len += 6;
		s += n ? n : 1;
	}
	if (out)
		out[len] = '\0';
	return len;
}

char *client_json_text(struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out;

	if (!text)
		return NULL;
	out = malloc(json_escape_more(text, NULL) + 1);
	if (out)
		json_escape_more(text, out);
	return out;
}

void client_print_json(struct json_object *o)
{
	char *text;

	if (json_object_is_type(o, json_type_object))
		json_object_object_add(o, "schema", json_object_new_int(CTL_JSON_SCHEMA));
	text = client_json_text(o);
	if (!text) {
		fprintf(stderr, "acmectl: out of memory\n");
		return;
	}
	fputs(text, stdout);
	fputc('\n', stdout);
	free(text);
}


size_t client_print_hook_failures(FILE *f, struct json_object *data, const char *indent)
{
	struct json_object *l = NULL;
	size_t n = 0;

	if (!json_object_object_get_ex(data, "hooks", &l) || !json_object_is_type(l, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		struct json_object *h = json_object_array_get_idx(l, i);
		const char *name = jobj_str(h, "name"), *out = jobj_str(h, "output");
		const char *what = jobj_str(h, "command") ? jobj_str(h, "command")
							  : jobj_str(h, "refused");

		if (!jobj_bool(h, "failed"))
			continue;
		n++;
		client_fprintf(f, "%s%s hook%s%s: %s (%s)%s%s\n", indent,
			       str_or_empty(jobj_str(h, "kind")), name ? " for " : "",
			       str_or_empty(name), str_or_empty(what),
			       jobj_str(h, "refused")       ? "not run"
			       : jobj_int(h, "signal", 0)   ? "killed"
			       : jobj_bool(h, "timed_out")  ? "timed out"
							    : "failed",
			       out ? "; its output ended: " : "", str_or_empty(out));
	}
	return n;
}
