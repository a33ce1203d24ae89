/* nginx's configuration syntax, read the way nginx reads it: this follows
 * ngx_conf_read_token() state for state (which character ends a word, what
 * may follow a closing quote, where a comment may start), so a file nginx
 * accepts parses here into the same words, and one it refuses is refused
 * with its message. Offsets are kept for every word and directive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ctl/nginx/ngx_conf.h"

/* Blocks nest no deeper than this (nginx has no limit, but recursion on an
 * input of a million '{' would overflow the stack). */
#define NGX_MAX_DEPTH 100

struct lexer {
	const char *text;
	size_t len, pos;
	unsigned line;
	char *err;
	size_t errlen;
};

enum stmt_end { END_SEMI, END_OPEN, END_CLOSE, END_FILE, END_ERROR };

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static enum stmt_end lex_error(struct lexer *lx, const char *what, char ch)
{
	if (ch)
		snprintf(lx->err, lx->errlen, "line %u: unexpected \"%c\"", lx->line, ch);
	else
		snprintf(lx->err, lx->errlen, "line %u: %s", lx->line, what);
	return END_ERROR;
}

/* A word's value from its bytes, as nginx copies it: \" \' \\ lose their
 * backslash, \t \r \n become the character, any other backslash stays. */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *d = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		if (s[i] == '\\' && i + 1 < len) {
			char n = s[i + 1];

			if (n == '"' || n == '\'' || n == '\\') {
				i++;
			} else if (n == 't' || n == 'r' || n == 'n') {
				*d++ = n == 't' ? '\t' : n == 'r' ? '\r' : '\n';
				i += 2;
				continue;
			}
		}
		*d++ = s[i++];
	}
	*d = '\0';
	return out;
}

static int add_word(struct ngx_dir *d, const char *text, size_t start, size_t end, bool quoted)
{
	struct ngx_word *w = realloc(d->words, (d->nwords + 1) * sizeof(*w));

	if (!w)
		return -ENOMEM;
	d->words = w;
	w = &d->words[d->nwords];
	*w = (struct ngx_word){ .off = quoted ? start - 1 : start,
				.len = end - start + (quoted ? 2 : 0), .quoted = quoted };
	w->text = unescape(text + start, end - start);
	if (!w->text)
		return -ENOMEM;
	d->nwords++;
	return 0;
}

struct lexstate {
	bool last_space, need_space, sharp, quoted, dq, sq, variable;
	size_t start;
};

/* After a closing quote: a space, ';', '{' or ')' must follow. */
static int after_quote(struct lexer *lx, struct lexstate *s, char ch, enum stmt_end *end)
{
	if (is_space(ch)) {
		s->last_space = true;
		s->need_space = false;
		return 1;
	}
	if (ch == ';' || ch == '{') {
		*end = ch == ';' ? END_SEMI : END_OPEN;
		return 2;
	}
	if (ch != ')') {
		*end = lex_error(lx, NULL, ch);
		return 2;
	}
	s->last_space = true;
	s->need_space = false;
	return 0;
}

/* Between words: CH may end the statement or start a word. */
static int between(struct lexer *lx, struct lexstate *s, struct ngx_dir *d, char ch,
		   enum stmt_end *end)
{
	s->start = lx->pos - 1;
	if (is_space(ch))
		return 1;
	switch (ch) {
	case ';':
	case '{':
		*end = d->nwords == 0 ? lex_error(lx, NULL, ch) : ch == ';' ? END_SEMI : END_OPEN;
		return 2;
	case '}':
		*end = d->nwords != 0 ? lex_error(lx, NULL, ch) : END_CLOSE;
		return 2;
	case '#': s->sharp = true; return 1;
	case '\\': s->quoted = true; break;
	case '"': s->start++; s->dq = true; break;
	case '\'': s->start++; s->sq = true; break;
	case '$': s->variable = true; break;
	default: break;
	}
	s->last_space = false;
	return 1;
}

/* Inside a word: CH may end it (and the statement). */
static int in_word(struct lexer *lx, struct lexstate *s, struct ngx_dir *d, char ch,
		   enum stmt_end *end)
{
	bool found = false, quoted = s->dq || s->sq;

	if (ch == '{' && s->variable)
		return 1;
	s->variable = false;
	if (ch == '\\') {
		s->quoted = true;
		return 1;
	}
	if (ch == '$') {
		s->variable = true;
		return 1;
	}
	if (s->dq || s->sq) {
		if (ch == (s->dq ? '"' : '\'')) {
			s->dq = s->sq = false;
			s->need_space = found = true;
		}
	} else if (is_space(ch) || ch == ';' || ch == '{') {
		s->last_space = found = true;
	}
	if (!found)
		return 1;
	if (add_word(d, lx->text, s->start, lx->pos - 1, quoted) < 0) {
		*end = lex_error(lx, "out of memory", 0);
		return 2;
	}
	if (ch == ';' || ch == '{') {
		*end = ch == ';' ? END_SEMI : END_OPEN;
		return 2;
	}
	return 1;
}

/* One statement's words into D: up to its ';', the '{' opening its block,
 * a '}' closing the enclosing block, or the end of the text. */
static enum stmt_end read_statement(struct lexer *lx, struct ngx_dir *d)
{
	struct lexstate s = { .last_space = true };
	enum stmt_end end = END_ERROR;
	int r;

	for (;;) {
		char ch;

		if (lx->pos >= lx->len) {
			if (d->nwords || !s.last_space)
				return lex_error(lx, "unexpected end of file, expecting \";\" or "
						     "\"}\"", 0);
			return END_FILE;
		}
		ch = lx->text[lx->pos++];
		if (ch == '\n')
			lx->line++;
		if (s.sharp) {
			s.sharp = ch != '\n';
			continue;
		}
		if (s.quoted) {
			s.quoted = false;
			continue;
		}
		if (s.need_space && (r = after_quote(lx, &s, ch, &end)) != 0) {
			if (r == 2)
				return end;
			continue;
		}
		r = s.last_space ? between(lx, &s, d, ch, &end) : in_word(lx, &s, d, ch, &end);
		if (r == 2)
			return end;
	}
}

static int parse_block(struct lexer *lx, struct ngx_dir *parent, int depth);

/* The statement just read into D ended with END: keep it in PARENT. */
static int keep(struct lexer *lx, struct ngx_dir *parent, struct ngx_dir *d, enum stmt_end end,
		int depth)
{
	struct ngx_dir *kids;
	int r;

	if (end == END_OPEN) {
		d->block = true;
		d->open = lx->pos - 1;
		if (depth >= NGX_MAX_DEPTH) {
			lex_error(lx, "blocks nested too deep", 0);
			return ACMED_ECONFIG;
		}
		r = parse_block(lx, d, depth + 1);
		if (r < 0)
			return r;
	}
	d->end = lx->pos;
	kids = realloc(parent->kids, (parent->nkids + 1) * sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	parent->kids = kids;
	kids[parent->nkids++] = *d;
	*d = (struct ngx_dir){ 0 };
	return 0;
}

/* Statements into PARENT's kids up to its '}' (DEPTH > 0) or the end of
 * the text (DEPTH 0). */
static int parse_block(struct lexer *lx, struct ngx_dir *parent, int depth)
{
	for (;;) {
		struct ngx_dir d = { 0 };
		enum stmt_end end;
		int r;

		end = read_statement(lx, &d);
		if (d.nwords)
			d.start = d.words[0].off;
		if (end == END_ERROR) {
			ngx_dir_clear(&d);
			return ACMED_ECONFIG;
		}
		if (end == END_CLOSE || end == END_FILE) {
			ngx_dir_clear(&d);
			if ((end == END_CLOSE) != (depth > 0)) {
				lex_error(lx, end == END_CLOSE ? "unexpected \"}\""
							       : "unexpected end of file, expecting \"}\"",
					  0);
				return ACMED_ECONFIG;
			}
			if (end == END_CLOSE)
				parent->close = lx->pos - 1;
			return 0;
		}
		r = keep(lx, parent, &d, end, depth);
		if (r < 0) {
			ngx_dir_clear(&d);
			return r;
		}
	}
}

/* The line number of byte OFF of TEXT. */
static unsigned line_of(const char *text, size_t off)
{
	unsigned line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

static void set_lines(const char *text, struct ngx_dir *d, size_t *pos, unsigned *line)
{
	for (size_t i = 0; i < d->nkids; i++) {
		struct ngx_dir *k = &d->kids[i];

		for (; *pos < k->start; (*pos)++)
			*line += text[*pos] == '\n';
		k->line = *line;
		set_lines(text, k, pos, line);
	}
}

int ngx_parse(const char *text, size_t len, struct ngx_dir *root, char *err, size_t errlen)
{
	struct lexer lx = { .text = text, .len = len, .line = 1, .err = err, .errlen = errlen };
	size_t pos = 0;
	unsigned line = 1;
	int r;

	*root = (struct ngx_dir){ 0 };
	r = parse_block(&lx, root, 0);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "line %u: out of memory", line_of(text, lx.pos));
		ngx_dir_clear(root);
		return r == -ENOMEM ? r : ACMED_ECONFIG;
	}
	set_lines(text, root, &pos, &line);
	return 0;
}

void ngx_dir_clear(struct ngx_dir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nwords; i++)
		free(d->words[i].text);
	free(d->words);
	for (size_t i = 0; i < d->nkids; i++)
		ngx_dir_clear(&d->kids[i]);
	free(d->kids);
	free(d->incl);
	*d = (struct ngx_dir){ 0 };
}

const char *ngx_name(const struct ngx_dir *d)
{
	return d && d->nwords ? d->words[0].text : NULL;
}

const char *ngx_arg(const struct ngx_dir *d, size_t n)
{
	return d && n < d->nwords ? d->words[n].text : NULL;
}
