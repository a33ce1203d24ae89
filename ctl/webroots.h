/* certbot's web roots on the certonly command line (acmectl's side):
 * -w DIR applies to the -d options that follow it, --webroot-map JSON
 * ({"a.example,www.a.example": "/var/www/a", ...}) adds its domains to
 * -d's with their web roots, and a domain left without one gets the last
 * -w. As in certbot, a --webroot-map entry wins over -w for its domains,
 * and when a -d comes before the first -w, there may be only one -w. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct webroots {
	struct json_object *domains; /* the names (array), in order, each once */
	struct json_object *map;     /* lower-cased name -> web root (object) */
	char **paths;                /* every -w, absolute, in order */
	size_t npaths;
	bool domain_first;           /* a -d came before the first -w */
};

/* 0 or -ENOMEM. webroots_clear() frees what it holds (also after a
 * failed init). */
int webroots_init(struct webroots *w);
void webroots_clear(struct webroots *w);

/* -d LIST: comma-separated names, blanks around them dropped, repeats
 * (in any case) ignored. 0 or -ENOMEM. */
int webroots_add_domains(struct webroots *w, const char *list);
/* -w PATH (relative to the current directory, or absolute). 0,
 * -EINVAL with certbot's reason in ERR, or -errno. */
int webroots_add_path(struct webroots *w, const char *path, char *err, size_t errlen);
/* --webroot-map JSON. 0, or -EINVAL with the reason in ERR, or -errno. */
int webroots_add_map(struct webroots *w, const char *json, char *err, size_t errlen);

/* The request's "webroot_map": [{"domain", "path"}, ...] for every domain
 * that has a web root, in the order of the domains; NULL if none has one.
 * Caller puts. */
struct json_object *webroots_pairs(const struct webroots *w);
/* The last -w (NULL: none): the web root of names the command line does
 * not list (a --csr's). Borrowed. */
const char *webroots_last(const struct webroots *w);

/* PATH made absolute against the current directory, in *OUT (caller
 * frees): the daemon has another one. 0 or -errno. */
int webroots_absolute(const char *path, char **out);
