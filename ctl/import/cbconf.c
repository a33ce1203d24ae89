/* certbot renewal files (ConfigObj syntax): a strict line parser. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/import/cbconf.h"
#include "util.h"

struct parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
	struct cbconf_section *root, *cur;
	int depth; /* of cur: 0 for the top level */
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);

	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static char *dup_trimmed(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

void cbconf_free(struct cbconf_section *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nvalues; i++) {
		free(s->values[i].key);
		strv_free(s->values[i].items, s->values[i].nitems);
	}
	free(s->values);
	for (size_t i = 0; i < s->nsubs; i++)
		cbconf_free(s->subs[i]);
	free(s->subs);
	free(s->name);
	free(s);
}

const struct cbconf_section *cbconf_sub(const struct cbconf_section *s, const char *name)
{
	for (size_t i = 0; s && i < s->nsubs; i++)
		if (streq(s->subs[i]->name, name))
			return s->subs[i];
	return NULL;
}

const struct cbconf_value *cbconf_get(const struct cbconf_section *s, const char *key)
{
	for (size_t i = 0; s && i < s->nvalues; i++)
		if (streq(s->values[i].key, key))
			return &s->values[i];
	return NULL;
}

const char *cbconf_str(const struct cbconf_section *s, const char *key)
{
	const struct cbconf_value *v = cbconf_get(s, key);

	if (!v || v->is_list || v->nitems != 1 || streq(v->items[0], "None"))
		return NULL;
	return v->items[0];
}

/* A key or section name already used in S? */
static bool name_taken(const struct cbconf_section *s, const char *name)
{
	return cbconf_get(s, name) || cbconf_sub(s, name);
}

/* A quoted string at *S (opening quote Q, the same quote closes it; no
 * escapes in ConfigObj): its text in *OUT, *S moved past the closing quote. */
static int quoted(struct parser *p, const char **s, char **out)
{
	char q = **s;
	const char *end = strchr(*s + 1, q);

	if (!end)
		return fail(p, "no closing %c", q);
	*out = strndup(*s + 1, (size_t)(end - *s - 1));
	if (!*out)
		return -ENOMEM;
	*s = end + 1;
	return 0;
}

/* After a value or a section header: nothing, or a comment. */
static int rest_of_line(struct parser *p, const char *s, const char *what)
{
	s = skip_ws(s);
	if (*s && *s != '#')
		return fail(p, "unexpected '%s' after %s", s, what);
	return 0;
}

static int section(struct parser *p, const char *s)
{
	struct cbconf_section *parent, *sec, **subs;
	const char *name_end;
	char *name = NULL;
	int depth = 0, r;

	while (s[depth] == '[')
		depth++;
	s = skip_ws(s + depth);
	if (*s == '"' || *s == '\'') {
		r = quoted(p, &s, &name);
		if (r < 0)
			return r;
		s = skip_ws(s);
	} else {
		name_end = strchr(s, ']');
		if (!name_end)
			return fail(p, "section header without ']'");
		name = dup_trimmed(s, (size_t)(name_end - s));
		if (!name)
			return -ENOMEM;
		s = name_end;
	}
	r = -EINVAL;
	for (int i = 0; i < depth; i++, s++)
		if (*s != ']') {
			fail(p, "section [%s] must close with %d ']'", name, depth);
			goto out;
		}
	if ((r = rest_of_line(p, s, "the section header")) < 0)
		goto out;
	r = -EINVAL;
	if (!*name) {
		fail(p, "empty section name");
		goto out;
	}
	if (depth > p->depth + 1) {
		fail(p, "section [%s] is nested too deep (%d levels below its parent)", name,
		     depth - p->depth);
		goto out;
	}
	parent = p->cur;
	for (int d = p->depth; d >= depth; d--)
		parent = parent->parent;
	if (name_taken(parent, name)) {
		fail(p, "duplicate section [%s]", name);
		goto out;
	}
	r = -ENOMEM;
	sec = calloc(1, sizeof(*sec));
	subs = reallocarray(parent->subs, parent->nsubs + 1, sizeof(*subs));
	if (!sec || !subs) {
		free(sec);
		goto out;
	}
	parent->subs = subs;
	sec->name = name;
	name = NULL;
	sec->line = p->line;
	sec->parent = parent;
	subs[parent->nsubs++] = sec;
	p->cur = sec;
	p->depth = depth;
	r = 0;
out:
	free(name);
	return r;
}

static int add_item(struct cbconf_value *v, char *item)
{
	char **items;

	if (!item)
		return -ENOMEM;
	items = reallocarray(v->items, v->nitems + 1, sizeof(*items));
	if (!items) {
		free(item);
		return -ENOMEM;
	}
	v->items = items;
	v->items[v->nitems++] = item;
	return 0;
}

/* A one-line triple-quoted value: '''text''' or """text""". */
static int triple_quoted(struct parser *p, const char *s, struct cbconf_value *v)
{
	char delim[4] = { s[0], s[0], s[0], 0 };
	const char *end = strstr(s + 3, delim);
	int r;

	if (!end)
		return fail(p, "multi-line values are not supported (no closing %s)", delim);
	r = add_item(v, strndup(s + 3, (size_t)(end - s - 3)));
	return r < 0 ? r : rest_of_line(p, end + 3, "the closing quotes");
}

/* VALUE: empty, one item, or items separated by commas (a list). */
static int value(struct parser *p, const char *s, struct cbconf_value *v)
{
	char *item;
	int r;

	s = skip_ws(s);
	if (!*s || *s == '#')
		return add_item(v, strdup(""));
	if (strncmp(s, "'''", 3) == 0 || strncmp(s, "\"\"\"", 3) == 0)
		return triple_quoted(p, s, v);
	if (*s == ',') { /* "key = ," is the empty list */
		v->is_list = true;
		return rest_of_line(p, s + 1, "the empty list");
	}
	for (;;) {
		if (*s == '"' || *s == '\'') {
			r = quoted(p, &s, &item);
			if (r < 0)
				return r;
			s = skip_ws(s);
		} else {
			size_t n = strcspn(s, ",#");

			item = dup_trimmed(s, n);
			if (item && !*item) {
				free(item);
				return fail(p, "empty item in the list");
			}
			s += n;
		}
		r = add_item(v, item);
		if (r < 0)
			return r;
		if (*s == ',') {
			v->is_list = true;
			s = skip_ws(s + 1);
			if (!*s || *s == '#')
				return 0; /* a trailing comma */
			continue;
		}
		return rest_of_line(p, s, "the closing quote");
	}
}

static int key_value(struct parser *p, const char *s)
{
	struct cbconf_section *sec = p->cur;
	struct cbconf_value v = { .line = p->line }, *vals;
	const char *eq;
	int r;

	if (*s == '"' || *s == '\'') {
		r = quoted(p, &s, &v.key);
		if (r < 0)
			return r;
		s = skip_ws(s);
		if (*s != '=') {
			r = fail(p, "expected '=' after the key \"%s\"", v.key);
			goto fail;
		}
		eq = s;
	} else {
		eq = strchr(s, '=');
		if (!eq || memchr(s, '#', (size_t)(eq - s)))
			return fail(p, "expected 'key = value', a [section] or a comment");
		v.key = dup_trimmed(s, (size_t)(eq - s));
		if (!v.key)
			return -ENOMEM;
	}
	r = -EINVAL;
	if (!*v.key) {
		fail(p, "empty key before '='");
		goto fail;
	}
	if (name_taken(sec, v.key)) {
		fail(p, "duplicate key '%s'", v.key);
		goto fail;
	}
	r = value(p, eq + 1, &v);
	if (r < 0)
		goto fail;
	vals = reallocarray(sec->values, sec->nvalues + 1, sizeof(*vals));
	if (!vals) {
		r = -ENOMEM;
		goto fail;
	}
	sec->values = vals;
	sec->values[sec->nvalues++] = v;
	return 0;
fail:
	free(v.key);
	strv_free(v.items, v.nitems);
	return r;
}

static int parse_line(struct parser *p, const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(p, "control character 0x%02x", c);
	}
	line = skip_ws(line);
	if (!*line || *line == '#')
		return 0;
	if (*line == '[')
		return section(p, line);
	return key_value(p, line);
}

int cbconf_parse(const char *text, size_t len, const char *filename, struct cbconf_section **root,
		 char *err, size_t errlen)
{
	struct parser p = { .file = filename, .err = err, .errlen = errlen };
	char *line = NULL;
	size_t pos = 0;
	int r = 0;

	*root = NULL;
	if (len > CBCONF_MAX) {
		snprintf(err, errlen, "%s: larger than %d KiB: not a certbot renewal file",
			 filename, CBCONF_MAX / 1024);
		return -EINVAL;
	}
	p.root = p.cur = calloc(1, sizeof(*p.root));
	if (!p.root || !(p.root->name = strdup("")))
		r = -ENOMEM;
	while (r == 0 && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t full = nl ? (size_t)(nl - (text + pos)) : len - pos, n = full;

		p.line++;
		if (memchr(text + pos, '\0', full)) {
			r = fail(&p, "NUL byte: not a text file");
			break;
		}
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		free(line);
		line = strndup(text + pos, n);
		r = line ? parse_line(&p, line, n) : -ENOMEM;
		pos += full + (nl ? 1 : 0);
	}
	free(line);
	if (r < 0) {
		cbconf_free(p.root);
		return r;
	}
	*root = p.root;
	return 0;
}
