/* Edits of nginx's files by byte range, and the unified diff that shows
 * them (--dry-run). Applying edits copies every other byte as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "ctl/nginx/ngx_conf.h"

/* Beyond this many differing lines the diff shows the changed middle as
 * removed and added whole, rather than spend quadratic memory. */
#define DIFF_MAX_D 2000
#define DIFF_CONTEXT 3

/* Do edit O and bytes [OFF, OFF+LEN) clash? Two insertions (LEN 0) at one
 * offset do, so does one inside a range replaced; an insertion where a
 * replaced range starts or ends does not (it goes before or after). */
static bool overlap(const struct ngx_edit *o, size_t off, size_t len)
{
	if (len == 0 && o->len == 0)
		return off == o->off;
	if (len == 0)
		return off > o->off && off < o->off + o->len;
	if (o->len == 0)
		return o->off > off && o->off < off + len;
	return off < o->off + o->len && o->off < off + len;
}

int ngx_edits_add(struct ngx_edits *e, int file, size_t off, size_t len, const char *text)
{
	struct ngx_edit *v;

	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].file == file && overlap(&e->v[i], off, len))
			return -EINVAL;
	v = realloc(e->v, (e->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->v = v;
	v[e->n] = (struct ngx_edit){ .file = file, .off = off, .len = len, .text = strdup(text) };
	if (!v[e->n].text)
		return -ENOMEM;
	e->n++;
	return 0;
}

void ngx_edits_clear(struct ngx_edits *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].text);
	free(e->v);
	*e = (struct ngx_edits){ 0 };
}

bool ngx_edits_touch(const struct ngx_edits *e, int file)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].file == file)
			return true;
	return false;
}

static int by_offset(const void *a, const void *b)
{
	const struct ngx_edit *x = *(const struct ngx_edit *const *)a;
	const struct ngx_edit *y = *(const struct ngx_edit *const *)b;

	/* At one offset an insertion goes before the range replaced there. */
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return (x->len != 0) - (y->len != 0);
}

int ngx_render(const struct ngx_conf *c, const struct ngx_edits *e, int file, char **out,
	       size_t *outlen)
{
	const struct ngx_file *f = &c->files[file];
	const struct ngx_edit **v = calloc(e->n + 1, sizeof(*v));
	size_t size = f->len + 1, pos = 0, n = 0, nv = 0;
	char *buf = NULL;
	int r = -ENOMEM;

	if (!v)
		goto out;
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].file == file) {
			v[nv++] = &e->v[i];
			size += strlen(e->v[i].text);
		}
	qsort(v, nv, sizeof(*v), by_offset);
	buf = malloc(size);
	if (!buf)
		goto out;
	r = -EINVAL;
	for (size_t i = 0; i < nv; i++) {
		size_t len = strlen(v[i]->text);

		if (v[i]->off < pos || v[i]->off + v[i]->len > f->len)
			goto out;
		memcpy(buf + n, f->text + pos, v[i]->off - pos);
		n += v[i]->off - pos;
		memcpy(buf + n, v[i]->text, len);
		n += len;
		pos = v[i]->off + v[i]->len;
	}
	memcpy(buf + n, f->text + pos, f->len - pos);
	n += f->len - pos;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	free(v);
	return r;
}

/* S as one nginx word: as it is when that is safe, else double-quoted. */
char *ngx_quote(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(2 * n + 3), *d = out;
	bool plain = n > 0;

	if (!out)
		return NULL;
	for (const char *p = s; *p; p++)
		plain &= strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				"/._-+:@,=%", *p) != NULL;
	if (plain)
		return strcpy(out, s);
	*d++ = '"';
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			*d++ = '\\';
		*d++ = *p;
	}
	*d++ = '"';
	*d = '\0';
	return out;
}

/* The whitespace before byte OFF on its line, if only whitespace is. */
static size_t indent_before(const char *text, size_t off, size_t *start)
{
	size_t i = off;

	while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t'))
		i--;
	if (i > 0 && text[i - 1] != '\n')
		return (size_t)-1;
	*start = i;
	return off - i;
}

/* The text of LINES for a block written on one line: " a; b;". */
static char *one_line(char *const *lines, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", lines[i]);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* LINES one a line, each with INDENT, " # COMMENT" and EOL. */
static char *many_lines(char *const *lines, size_t n, const char *indent, const char *comment,
			const char *eol)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s%s%s%s", indent, lines[i], comment ? " # " : "",
			comment ? comment : "", eol);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int ngx_block_insert(const struct ngx_conf *c, int file, const struct ngx_dir *blk,
		     char *const *lines, size_t n, const char *comment, struct ngx_edits *e)
{
	const struct ngx_file *f = &c->files[file];
	size_t q = blk->open + 1, start = 0, k;
	char *text = NULL, indent[128] = "\t";
	int r = -ENOMEM;

	while (q < f->len && (f->text[q] == ' ' || f->text[q] == '\t' || f->text[q] == '\r'))
		q++;
	if (q < f->len && f->text[q] == '#')
		while (q < f->len && f->text[q] != '\n')
			q++;
	if (q >= f->len || f->text[q] != '\n') {
		/* server { listen 80; }: the lines go on the same line. */
		text = one_line(lines, n);
		if (text)
			r = ngx_edits_add(e, file, blk->open + 1, 0, text);
		free(text);
		return r;
	}
	if (blk->nkids && (k = indent_before(f->text, blk->kids[0].start, &start)) < sizeof(indent))
		snprintf(indent, sizeof(indent), "%.*s", (int)k, f->text + start);
	else if ((k = indent_before(f->text, blk->start, &start)) < sizeof(indent) - 1)
		snprintf(indent, sizeof(indent), "%.*s\t", (int)k, f->text + start);
	/* The file's own line ending: CRLF if the '{' line has one. */
	text = many_lines(lines, n, indent, comment, q > 0 && f->text[q - 1] == '\r' ? "\r\n" : "\n");
	if (text)
		r = ngx_edits_add(e, file, q + 1, 0, text);
	free(text);
	return r;
}

/* ---- unified diff ---- */

struct lines {
	const char **p;
	size_t *len;
	size_t n;
};

static int split(const char *t, size_t len, struct lines *l)
{
	size_t cap = 1;

	for (size_t i = 0; i < len; i++)
		cap += t[i] == '\n';
	l->p = malloc(cap * sizeof(*l->p));
	l->len = malloc(cap * sizeof(*l->len));
	l->n = 0;
	if (!l->p || !l->len)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - t) + 1 : len;

		l->p[l->n] = t + i;
		l->len[l->n++] = end - i;
		i = end;
	}
	return 0;
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j], a->len[i]) == 0;
}

enum op { OP_EQ, OP_DEL, OP_INS };

struct script {
	char *op; /* one per line of the edit script, in order */
	size_t n;
};

static void push(struct script *s, enum op o)
{
	s->op[s->n++] = (char)o;
}

/* Myers' O(ND) shortest edit script of A[lo..ahi) against B[lo..bhi),
 * appended to S in reverse order; -E2BIG beyond DIFF_MAX_D. */
static int myers(const struct lines *a, const struct lines *b, size_t lo, size_t ahi,
		 size_t bhi, struct script *s)
{
	long n = (long)(ahi - lo), m = (long)(bhi - lo), d, k, x, y, found = -1;
	long dmax = n + m < DIFF_MAX_D ? n + m : DIFF_MAX_D, off = dmax + 1;
	long *v = calloc((size_t)(2 * dmax + 3), sizeof(*v));
	long **trace = calloc((size_t)dmax + 1, sizeof(*trace));
	int r = -ENOMEM;

	if (!v || !trace)
		goto out;
	for (d = 0; d <= dmax && found < 0; d++) {
		trace[d] = malloc((size_t)(2 * d + 3) * sizeof(**trace));
		if (!trace[d])
			goto out;
		memcpy(trace[d], v + off - d - 1, (size_t)(2 * d + 3) * sizeof(*v));
		for (k = -d; k <= d; k += 2) {
			x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				    ? v[off + k + 1] : v[off + k - 1] + 1;
			y = x - k;
			while (x < n && y < m && line_eq(a, lo + (size_t)x, b, lo + (size_t)y))
				x++, y++;
			v[off + k] = x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
	}
	r = -E2BIG;
	if (found < 0)
		goto out;
	x = n, y = m;
	for (d = found; d >= 0; d--) {
		long *t = trace[d] + d + 1; /* t[k] is V[k] before step d */
		long pk, px, py;

		k = x - y;
		pk = (k == -d || (k != d && t[k - 1] < t[k + 1])) ? k + 1 : k - 1;
		px = t[pk];
		py = px - pk;
		for (; x > px && y > py; x--, y--)
			push(s, OP_EQ);
		if (d > 0)
			push(s, x == px ? OP_INS : OP_DEL);
		x = px, y = py;
	}
	r = 0;
out:
	for (d = 0; trace && d <= dmax; d++)
		free(trace[d]);
	free(trace);
	free(v);
	return r;
}

/* The edit script of A against B, in order. */
static int edit_script(const struct lines *a, const struct lines *b, struct script *s)
{
	size_t pre = 0, suf = 0, mid0;
	int r;

	s->n = 0;
	s->op = malloc(a->n + b->n + 1);
	if (!s->op)
		return -ENOMEM;
	while (pre < a->n && pre < b->n && line_eq(a, pre, b, pre))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
		suf++;
	for (size_t i = 0; i < suf; i++)
		push(s, OP_EQ);
	mid0 = s->n;
	r = myers(a, b, pre, a->n - suf, b->n - suf, s);
	if (r == -E2BIG) {
		s->n = mid0;
		for (size_t i = pre; i < b->n - suf; i++)
			push(s, OP_INS);
		for (size_t i = pre; i < a->n - suf; i++)
			push(s, OP_DEL);
		r = 0;
	}
	for (size_t i = 0; i < pre; i++)
		push(s, OP_EQ);
	for (size_t i = 0, j = s->n - 1; i < j; i++, j--) {
		char t = s->op[i];

		s->op[i] = s->op[j];
		s->op[j] = t;
	}
	return r;
}

struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (o->err)
		return;
	if (o->len + len + 1 > o->cap) {
		size_t cap = (o->len + len + 1) * 2;
		char *b = realloc(o->buf, cap);

		if (!b) {
			o->err = -ENOMEM;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

static void put_line(struct out *o, char mark, const char *p, size_t len)
{
	put(o, &mark, 1);
	put(o, p, len);
	if (len == 0 || p[len - 1] != '\n')
		put(o, "\n\\ No newline at end of file\n", 29);
}

/* One hunk: script ops [from, to), starting at line AI of A and BI of B. */
static void hunk(struct out *o, const struct script *s, size_t from, size_t to,
		 const struct lines *a, size_t ai, const struct lines *b, size_t bi)
{
	size_t na = 0, nb = 0;
	char head[96];

	for (size_t i = from; i < to; i++) {
		na += s->op[i] != OP_INS;
		nb += s->op[i] != OP_DEL;
	}
	snprintf(head, sizeof(head), "@@ -%zu,%zu +%zu,%zu @@\n", na ? ai + 1 : ai, na,
		 nb ? bi + 1 : bi, nb);
	put(o, head, strlen(head));
	for (size_t i = from; i < to; i++) {
		if (s->op[i] == OP_EQ)
			put_line(o, ' ', a->p[ai], a->len[ai]), ai++, bi++;
		else if (s->op[i] == OP_DEL)
			put_line(o, '-', a->p[ai], a->len[ai]), ai++;
		else
			put_line(o, '+', b->p[bi], b->len[bi]), bi++;
	}
}

/* The hunks of S: changes closer than twice the context share one. */
static void hunks(struct out *o, const struct script *s, const struct lines *a,
		  const struct lines *b)
{
	size_t i = 0, ai = 0, bi = 0;

	while (i < s->n) {
		size_t from, to, last, hai, hbi;

		if (s->op[i] == OP_EQ) {
			i++, ai++, bi++;
			continue;
		}
		from = i > DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
		hai = ai - (i - from);
		hbi = bi - (i - from);
		for (last = to = i; to < s->n && to <= last + 2 * DIFF_CONTEXT; to++)
			if (s->op[to] != OP_EQ)
				last = to;
		to = last + 1 + DIFF_CONTEXT < s->n ? last + 1 + DIFF_CONTEXT : s->n;
		hunk(o, s, from, to, a, hai, b, hbi);
		for (; i < to; i++) {
			ai += s->op[i] != OP_INS;
			bi += s->op[i] != OP_DEL;
		}
	}
}

int ngx_diff(const char *path, const char *old, size_t oldlen, const char *new_text,
	     size_t newlen, char **out, size_t *outlen)
{
	struct lines a = { 0 }, b = { 0 };
	struct script s = { 0 };
	struct out o = { .buf = *out, .len = *outlen, .cap = *out ? *outlen + 1 : 0 };
	int r;

	r = split(old, oldlen, &a);
	if (r == 0)
		r = split(new_text, newlen, &b);
	if (r == 0)
		r = edit_script(&a, &b, &s);
	if (r == 0 && s.n) {
		bool same = true;

		for (size_t i = 0; i < s.n; i++)
			same &= s.op[i] == OP_EQ;
		if (!same) {
			put(&o, "--- a", 5), put(&o, path, strlen(path)), put(&o, "\n", 1);
			put(&o, "+++ b", 5), put(&o, path, strlen(path)), put(&o, "\n", 1);
			hunks(&o, &s, &a, &b);
		}
		r = o.err;
	}
	*out = o.buf;
	*outlen = o.len;
	free(a.p), free(a.len), free(b.p), free(b.len), free(s.op);
	return r;
}
