/* A strict reader for certbot's renewal files, which are ConfigObj text:
 *
 *   # comment
 *   version = 2.1.0
 *   archive_dir = /etc/letsencrypt/archive/example.com
 *   [renewalparams]
 *   webroot_path = /var/www/html,          <- a list (a comma makes one)
 *   pre_hook = "echo a, b"                  <- quoted: the comma is text
 *   [[webroot_map]]
 *   example.com = /var/www/html
 *
 * Accepted: key = value, [section] and [[subsection]] (one level deeper at
 * most), full-line and trailing comments, values quoted with ' or " (also
 * ''' and """ on one line), comma-separated lists with an optional trailing
 * comma. Refused, with FILE:LINE in the message: a line that is none of
 * these, a duplicate key or section, an unterminated quote, text after a
 * closing quote, multi-line values, control characters, NUL bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cbconf_value {
	char *key;
	char **items; /* one item for a plain value; any number for a list */
	size_t nitems;
	bool is_list;
	int line;
};

struct cbconf_section {
	char *name; /* "" for the top level */
	int line;
	struct cbconf_value *values;
	size_t nvalues;
	struct cbconf_section **subs;
	size_t nsubs;
	struct cbconf_section *parent;
};

/* Largest file cbconf_parse() reads; certbot's are well under 4 KiB. */
#define CBCONF_MAX (256 * 1024)

/* Parse LEN bytes of TEXT (read from FILENAME, for messages) into a new
 * tree in *ROOT (caller frees with cbconf_free()). 0, -EINVAL with
 * "FILENAME:LINE: what is wrong" in ERR, or -ENOMEM. */
int cbconf_parse(const char *text, size_t len, const char *filename, struct cbconf_section **root,
		 char *err, size_t errlen);
void cbconf_free(struct cbconf_section *s);

/* Subsection NAME of S, or NULL. Borrowed. */
const struct cbconf_section *cbconf_sub(const struct cbconf_section *s, const char *name);
/* Value KEY of S, or NULL. Borrowed. */
const struct cbconf_value *cbconf_get(const struct cbconf_section *s, const char *key);
/* The single value of KEY in S; NULL if absent, a list, or "None" (how
 * certbot writes an unset option). Borrowed. */
const char *cbconf_str(const struct cbconf_section *s, const char *key);
