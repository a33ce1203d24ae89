/* nginx's configuration as nginx reads it, kept with byte offsets so that an
 * edit changes its own bytes and no other (docs/nginx.md).
 *
 * ngx_parse() tokenizes one file's text by nginx's own rules
 * (ngx_conf_read_token: words, single and double quotes, backslash escapes,
 * `#` comments between words, `${var}`) into a tree of directives; it
 * interprets nothing, so `map`, `if`, `types` and any module's blocks come
 * through as plain directives. ngx_conf_load() reads nginx.conf and every
 * file its `include` directives name (globs, relative to the conf prefix,
 * the directory of nginx.conf), each file once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct ngx_word {
	size_t off, len; /* the word's bytes in the file, quotes included */
	char *text;      /* its value: quotes removed, escapes applied; owned */
	bool quoted;
};

struct ngx_dir {
	struct ngx_word *words; /* words[0] is the directive's name */
	size_t nwords;
	size_t start, end; /* its first byte; one past its ';' or '}' */
	unsigned line;     /* line of its first word, from 1 */
	bool block;
	size_t open, close;    /* a block: the offsets of '{' and '}' */
	struct ngx_dir *kids;  /* a block's directives */
	size_t nkids;
	int *incl;             /* `include`: indexes of the files it names */
	size_t nincl;
};

struct ngx_file {
	char *path; /* absolute, as nginx names it (symlinks kept) */
	char *text; /* the file's bytes, NUL-terminated */
	size_t len;
	struct ngx_dir root; /* its top-level directives, as root.kids */
};

struct ngx_conf {
	char *prefix; /* nginx's conf prefix: the directory of nginx.conf */
	struct ngx_file *files; /* files[0] is nginx.conf; the rest as first included */
	size_t nfiles;
};

/* Parse TEXT (LEN bytes; NUL bytes are ordinary characters) into ROOT's
 * kids. 0, or ACMED_ECONFIG with ERR as nginx would say it ("line 3:
 * unexpected \"}\""). ROOT is cleared on failure. */
int ngx_parse(const char *text, size_t len, struct ngx_dir *root, char *err, size_t errlen);
/* Free what ngx_parse() put in D (not D itself). NULL-safe. */
void ngx_dir_clear(struct ngx_dir *d);

/* Read CONF_PATH (nginx.conf) and what it includes into C (caller clears
 * with ngx_conf_clear()). An include naming a missing file, an include
 * cycle or a file that does not parse is an error, as for nginx; ERR names
 * the file and line. 0 or a negative errno / ACMED_ECONFIG. */
int ngx_conf_load(const char *conf_path, struct ngx_conf *c, char *err, size_t errlen);
void ngx_conf_clear(struct ngx_conf *c);

/* The directive's name and its Nth argument (from 1), or NULL. */
const char *ngx_name(const struct ngx_dir *d);
const char *ngx_arg(const struct ngx_dir *d, size_t n);

/* Call FN for each directive of BLOCK (a file's root or a block of FILE),
 * in nginx's order: an `include` is replaced by the directives of the files
 * it names, recursively. FN gets the directive and the index of the file
 * holding it; a non-zero return stops the walk and is returned. */
typedef int (*ngx_visit_fn)(const struct ngx_conf *c, int file, struct ngx_dir *d, void *ctx);
int ngx_each(const struct ngx_conf *c, int file, struct ngx_dir *block, ngx_visit_fn fn,
	     void *ctx);

/* Edits: each replaces bytes [off, off+len) of one file with TEXT. */
struct ngx_edit {
	int file;
	size_t off, len;
	char *text; /* owned */
};

struct ngx_edits {
	struct ngx_edit *v;
	size_t n;
};

/* Add an edit (TEXT copied). Edits of one file must not overlap: -EINVAL. */
int ngx_edits_add(struct ngx_edits *e, int file, size_t off, size_t len, const char *text);
void ngx_edits_clear(struct ngx_edits *e);
/* Does E change FILE? */
bool ngx_edits_touch(const struct ngx_edits *e, int file);
/* FILE's text with E's edits applied (caller frees *OUT, NUL-terminated):
 * every byte outside the edited ranges is copied as it was. 0 or -ENOMEM. */
int ngx_render(const struct ngx_conf *c, const struct ngx_edits *e, int file, char **out,
	       size_t *outlen);
/* A unified diff (3 lines of context, `--- a/PATH`, `+++ b/PATH`) of OLD
 * against NEW, appended to *OUT (caller frees). 0 or -ENOMEM. */
int ngx_diff(const char *path, const char *old, size_t oldlen, const char *new_text,
	     size_t newlen, char **out, size_t *outlen);

/* S as one nginx word: as it is when that is safe, else double-quoted
 * (caller frees), or NULL. */
char *ngx_quote(const char *s);
/* The edit adding LINES[0..N) (directives, "listen 443 ssl;") at the top
 * of block BLK of FILE: each on its own line right after the line holding
 * the '{', indented like the block's first directive and followed by
 * "# COMMENT" (none if NULL), with the file's line ending; a block written
 * on one line gets them after its '{' on that line, without the comment.
 * One edit in E. 0, -EINVAL (an edit there already) or -ENOMEM. */
int ngx_block_insert(const struct ngx_conf *c, int file, const struct ngx_dir *blk,
		     char *const *lines, size_t n, const char *comment, struct ngx_edits *e);
